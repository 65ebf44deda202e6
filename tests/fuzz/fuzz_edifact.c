/*
 * fuzz_edifact — libFuzzer target for the EDIFACT reader (tokenizer, character sets,
 * envelopes) and the X12 view of each message.
 *
 * Each input is parsed with the default limits and with tight ones, strict and with
 * tolerances.charset_relaxed, each time twice: from one memory block and made visible a
 * few bytes at a time. Both runs must tell the same story (messages, values, findings,
 * hashes): a difference is a chunk-straddling bug and aborts. The handler reads every
 * value and checks what the contract promises: well-formed UTF-8 with no control
 * characters (so never NUL or the view's separator bytes), a NUL after each value, the
 * view's spans inside its arena and equal to the values joined.
 *
 * Built three ways:
 *   - into tests/replay_edifact (with replay_edifact.c), run by `make check` over
 *     tests/fuzz/corpus/edifact;
 *   - `make fuzz-edifact` in a build directory: the real libFuzzer binary (clang,
 *     -fsanitize=fuzzer,address,undefined), run as
 *       ./tests/fuzz/fuzz_edifact -max_total_time=600 -dict=$(top_srcdir)/tests/fuzz/edifact.dict \
 *         fuzz-work $(top_srcdir)/tests/fuzz/corpus/edifact
 *     A crash file it writes goes into tests/fuzz/corpus/edifact as a regression seed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edifact/edifact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over everything the parse reported. */
struct trace {
	uint64_t h;
	uint64_t n;
	struct edi_view view;
};

/* Fold n bytes into the trace. */
static void mix(struct trace *t, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		t->h ^= b[i];
		t->h *= 1099511628211ull;
	}
	t->n++;
}

/* Fold a number into the trace. */
static void mix_u64(struct trace *t, uint64_t v)
{
	mix(t, &v, sizeof v);
}

/* Fold every finding into the trace. */
static void mix_errors(struct trace *t, const struct x12_errlist *l)
{
	mix_u64(t, l->n);
	mix_u64(t, l->dropped);
	for (size_t i = 0; i < l->n; i++) {
		const struct x12_error *e = &l->v[i];
		mix_u64(t, (uint64_t)e->scope);
		mix(t, e->code, strlen(e->code));
		mix(t, e->seg_id, strlen(e->seg_id));
		mix_u64(t, e->seg_pos);
		mix_u64(t, (uint64_t)e->elem_pos);
		mix_u64(t, (uint64_t)e->comp_pos);
		mix_u64(t, (uint64_t)e->rep_pos);
		mix_u64(t, e->file_seg);
		mix_u64(t, e->line);
		mix_u64(t, e->offset);
		if (e->bad_value)
			mix(t, e->bad_value, strlen(e->bad_value));
		char *d = x12_error_describe(e);
		mix(t, d, strlen(d));
		free(d);
	}
}

/* Well-formed UTF-8 without control characters (C0, DEL, C1). */
static int clean_utf8(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		unsigned c = u[i], cp, len, min;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4, min = 0x10000, cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (unsigned k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
			return 0;
		i += len;
	}
	return 1;
}

/* One value: the contract's promises, then into the trace. */
static void check_val(struct trace *t, const struct edi_val *v)
{
	if (v->n && !v->p)
		abort();
	if (v->p && v->p[v->n] != '\0')
		abort();
	if (v->n && !clean_utf8(v->p, v->n))
		abort();
	if (v->n)
		mix(t, v->p, v->n);
	mix_u64(t, v->n);
}

/* Interchange start: trace the UNB; skip every third one. */
static int f_ich_begin(void *ctx, const struct edi_unb *unb)
{
	struct trace *t = ctx;
	mix(t, unb->syntax_id, strlen(unb->syntax_id));
	mix(t, unb->sender, strlen(unb->sender));
	mix(t, unb->ref, strlen(unb->ref));
	mix(t, &unb->delims, sizeof unb->delims);
	mix_u64(t, unb->line);
	mix_u64(t, unb->offset);
	if (!clean_utf8(unb->sender, strlen(unb->sender)) || !clean_utf8(unb->ref, strlen(unb->ref)))
		abort();
	return unb->index % 3 == 0 ? EDI_SKIP : 0;
}

/* Group start. */
static int f_grp_begin(void *ctx, const struct edi_unb *unb, const struct edi_ung *ung)
{
	struct trace *t = ctx;
	(void)unb;
	mix(t, ung->ref, strlen(ung->ref));
	mix(t, ung->group_id, strlen(ung->group_id));
	return 0;
}

/* A message: every value, and the view, which must hold the same bytes. */
static int f_msg(void *ctx, const struct edi_msg *m, struct edi_msg_result *res)
{
	struct trace *t = ctx;
	(void)res;
	mix(t, m->ref, strlen(m->ref));
	mix(t, m->type, strlen(m->type));
	mix_u64(t, m->nseg);
	mix_u64(t, m->index);
	for (size_t i = 0; i < m->nseg; i++) {
		const struct edi_seg *s = &m->segs[i];
		mix(t, s->tag, strlen(s->tag));
		mix_u64(t, s->line);
		mix_u64(t, s->offset);
		for (size_t k = 0; k <= s->nelem; k++)
			for (const struct edi_elem *e = &s->elem[k]; e; e = e->next) {
				if (e->ncomp == 0 && k)
					abort();
				for (size_t c = 0; c < e->ncomp; c++)
					check_val(t, &e->comp[c]);
			}
		struct edi_val a = edi_seg_val(s, 1, 1);
		if (s->nelem && !a.p)
			abort();
	}
	if (edi_view_build(&t->view, m) != 0)
		abort();
	const struct x12_txn *x = &t->view.txn;
	if (x->nseg != m->nseg)
		abort();
	const char *lo = t->view.arena, *hi = t->view.arena + t->view.used_arena;
	for (size_t i = 0; i < x->nseg; i++) {
		const struct x12_tseg *ts = &x->segs[i];
		if (ts->nelem != m->segs[i].nelem)
			abort();
		for (size_t k = 0; k <= ts->nelem; k++) {
			struct span sp = ts->elem[k];
			if (sp.n && (sp.p < lo || sp.p + sp.n > hi))
				abort();
			/* component 1 of repetition 1 is the first value */
			if (k) {
				struct span c1 = x12_component(x12_repetition(sp, x->delims->rep, 1),
							       x->delims->comp, 1);
				struct edi_val v = m->segs[i].elem[k].comp[0];
				if (c1.n != v.n || (v.n && memcmp(c1.p, v.p, v.n) != 0))
					abort();
			}
			mix(t, sp.p ? sp.p : "", sp.n);
		}
	}
	return 0;
}

/* A message's verdict. */
static int f_msg_end(void *ctx, const struct edi_msg_result *r)
{
	struct trace *t = ctx;
	mix(t, &r->action, 1);
	mix(t, r->code, strlen(r->code));
	mix_u64(t, r->seg_count);
	mix_errors(t, &r->errors);
	return 0;
}

/* A group's verdict. */
static int f_grp_end(void *ctx, const struct edi_group_result *r)
{
	struct trace *t = ctx;
	mix(t, &r->action, 1);
	mix_u64(t, r->declared);
	mix_u64(t, r->received);
	mix_u64(t, r->accepted);
	mix_errors(t, &r->errors);
	return 0;
}

/* An interchange's verdict and hash. */
static int f_ich_end(void *ctx, const struct edi_interchange_result *r)
{
	struct trace *t = ctx;
	mix(t, &r->action, 1);
	mix(t, r->code, strlen(r->code));
	mix(t, r->sha256, strlen(r->sha256));
	mix_u64(t, (uint64_t)r->skipped);
	mix_u64(t, r->groups);
	mix_u64(t, r->messages);
	mix_u64(t, r->declared);
	mix_errors(t, &r->errors);
	return 0;
}

/* A notice. */
static void f_notice(void *ctx, uint64_t line, const char *msg)
{
	struct trace *t = ctx;
	mix_u64(t, line);
	mix(t, msg, strlen(msg));
}

/* One parse; the trace of everything it reported. */
static void run(struct trace *t, const uint8_t *data, size_t size, const struct edi_limits *lim,
		int relaxed, size_t chunk)
{
	t->h = 1469598103934665603ull;
	t->n = 0;
	struct edi_reader *r;
	if (edi_reader_new_mem(&r, data, size, lim) < 0)
		abort();
	if (chunk)
		edi_reader_set_chunk_size(r, chunk);
	struct edi_tolerances tol;
	edi_tolerances_default(&tol);
	tol.charset_relaxed = relaxed;
	tol.wrong_counts = relaxed;
	edi_reader_set_tolerances(r, &tol);
	struct edi_handler h = { 0 };
	h.ctx = t;
	h.interchange_begin = f_ich_begin;
	h.group_begin = f_grp_begin;
	h.message = f_msg;
	h.message_end = f_msg_end;
	h.group_end = f_grp_end;
	h.interchange_end = f_ich_end;
	h.notice = f_notice;
	struct edi_file_summary sum;
	struct x12_error err;
	int rc = edi_parse(r, &h, &sum, &err);
	mix_u64(t, (uint64_t)(int64_t)rc);
	mix(t, &sum, sizeof sum);
	if (rc < 0) {
		struct x12_errlist l = { 0 };
		x12_errlist_add(&l, &err);
		mix_errors(t, &l);
		x12_errlist_free(&l);
		x12_error_free(&err);
	}
	edi_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edi_limits def, tight;
	edi_limits_default(&def);
	tight = def;
	tight.max_file_size = 1 << 20;
	tight.max_segment_len = 200;
	tight.max_element_len = 40;
	tight.max_elements = 24;
	tight.max_components = 5;
	tight.max_repeats = 3;
	tight.max_segments_per_msg = 20;
	tight.max_msg_bytes = 4096;
	const struct edi_limits *lims[2] = { &def, &tight };
	struct trace a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	edi_sniff(data, size);
	for (int i = 0; i < 2; i++) {
		run(&a, data, size, lims[i], i, 0);
		run(&b, data, size, lims[i], i, 1 + size % 13);
		if (a.h != b.h || a.n != b.n)
			abort(); /* the chunk size changed what was read */
	}
	edi_view_free(&a.view);
	edi_view_free(&b.view);
	return 0;
}
