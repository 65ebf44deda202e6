/*
 * fuzz_x12 — libFuzzer target for the X12 tokenizer, the envelope layer and the
 * transaction set validator (the definitions in maps/schemas, found through
 * $EDIGW_SRCDIR or the FUZZ_SCHEMA_DIR the build passes; without them the
 * validator is left out).
 *
 * Each input is parsed with the default limits and with tight ones, each time twice:
 * from one memory block and made visible a few bytes at a time. Both runs must tell the
 * same story (segments, findings, hashes): a difference is a chunk-straddling bug and
 * aborts. The handler reads every element, component and repetition so that the
 * sanitizers see any span that points outside its buffer.
 *
 * Built three ways:
 *   - into tests/replay_x12 (with replay_x12.c), run by `make check` over tests/fuzz/corpus/x12;
 *   - `make fuzz-x12` in a build directory: the real libFuzzer binary (clang,
 *     -fsanitize=fuzzer,address,undefined), run as
 *       ./tests/fuzz/fuzz_x12 -max_total_time=600 fuzz-work $(top_srcdir)/tests/fuzz/corpus/x12
 *     A crash file it writes goes into tests/fuzz/corpus/x12 as a regression seed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x12/x12.h"
#include "x12/x12_schema.h"

/* The shipped definitions, loaded once (NULL when not found). */
static const struct x12_schema *schemas(void)
{
	static struct x12_schema *s;
	static int tried;
	if (tried)
		return s;
	tried = 1;
	const char *src = getenv("EDIGW_SRCDIR");
	char *root = NULL;
	if (src)
		root = xasprintf("%s/maps/schemas", src);
#ifdef FUZZ_SCHEMA_DIR
	else
		root = xstrdup(FUZZ_SCHEMA_DIR);
#endif
	if (root) {
		struct diag_list d;
		diag_list_init(&d);
		if (x12_schema_load(&s, root, &d) < 0)
			s = NULL;
		diag_list_free(&d);
		free(root);
	}
	return s;
}

/* libFuzzer entry: default and tight limits, whole and chunked, must agree. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over everything the parse reported. */
struct trace {
	uint64_t h;
	uint64_t n;
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

/* Fold every finding (code, position, value, text) into the trace. */
static void mix_errors(struct trace *t, const struct x12_errlist *l)
{
	mix_u64(t, l->n);
	mix_u64(t, l->dropped);
	for (size_t i = 0; i < l->n; i++) {
		const struct x12_error *e = &l->v[i];
		mix(t, e->code, strlen(e->code));
		mix(t, e->seg_id, strlen(e->seg_id));
		mix_u64(t, e->seg_pos);
		mix_u64(t, (uint64_t)e->elem_pos);
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

/* Interchange start: trace the ISA; skip every third one. */
static int f_ich_begin(void *ctx, const struct x12_isa *isa)
{
	struct trace *t = ctx;
	mix(t, isa, offsetof(struct x12_isa, delims));
	mix_u64(t, isa->line);
	/* skip every third interchange to reach the skipping paths */
	return isa->index % 3 == 0 ? X12_SKIP : 0;
}

/* Group start: trace GS06 and GS08. */
static int f_grp_begin(void *ctx, const struct x12_isa *isa, const struct x12_gs *gs)
{
	struct trace *t = ctx;
	(void)isa;
	mix(t, gs->gcn, strlen(gs->gcn));
	mix(t, gs->version, strlen(gs->version));
	return 0;
}

/* A set: read every element, repetition and component. */
static int f_txn(void *ctx, const struct x12_txn *x, struct x12_txn_result *res)
{
	struct trace *t = ctx;
	mix(t, x->st01, strlen(x->st01));
	mix(t, x->st02, strlen(x->st02));
	mix_u64(t, x->nseg);
	for (size_t i = 0; i < x->nseg; i++) {
		const struct x12_tseg *s = &x->segs[i];
		mix(t, s->id, strlen(s->id));
		mix_u64(t, s->line);
		for (size_t k = 1; k <= s->nelem + 1; k++) {
			struct span e = x12_tseg_elem(s, k);
			if (e.p)
				mix(t, e.p, e.n);
			for (size_t r = 1; r <= 3; r++) {
				struct span rp = x12_repetition(e, x->delims->rep, r);
				for (size_t c = 1; c <= 3; c++) {
					struct span cp = x12_component(rp, x->delims->comp, c);
					if (cp.p)
						mix(t, cp.p, cp.n);
				}
			}
		}
	}
	const struct x12_schema *sc = schemas();
	const struct x12_txn_def *def = sc ? x12_schema_find(sc, x->gs->version, x->st01) : NULL;
	if (def)
		x12_schema_validate(def, x, 0, &res->errors);
	return 0;
}

/* A set's verdict. */
static int f_txn_end(void *ctx, const struct x12_txn_result *r)
{
	struct trace *t = ctx;
	mix(t, &r->status, 1);
	mix_u64(t, r->seg_count);
	for (size_t i = 0; i < r->ncodes; i++)
		mix(t, r->codes[i], strlen(r->codes[i]));
	mix_errors(t, &r->errors);
	return 0;
}

/* A group's verdict. */
static int f_grp_end(void *ctx, const struct x12_group_result *r)
{
	struct trace *t = ctx;
	mix(t, &r->status, 1);
	mix_u64(t, r->declared);
	mix_u64(t, r->received);
	mix_u64(t, r->accepted);
	mix_errors(t, &r->errors);
	return 0;
}

/* An interchange's verdict and hash. */
static int f_ich_end(void *ctx, const struct x12_interchange_result *r)
{
	struct trace *t = ctx;
	mix(t, &r->ta1_status, 1);
	mix(t, r->ta1_code, strlen(r->ta1_code));
	mix(t, r->sha256, strlen(r->sha256));
	mix_u64(t, (uint64_t)r->skipped);
	mix_u64(t, r->groups);
	mix_u64(t, r->ta1_segments);
	mix_errors(t, &r->errors);
	return 0;
}

/* A tolerance notice. */
static void f_notice(void *ctx, uint64_t line, const char *msg)
{
	struct trace *t = ctx;
	mix_u64(t, line);
	mix(t, msg, strlen(msg));
}

/* One parse; the trace of everything it reported. */
static struct trace run(const uint8_t *data, size_t size, const struct x12_limits *lim, size_t chunk)
{
	struct trace t = { 1469598103934665603ull, 0 };
	struct x12_reader *r;
	if (x12_reader_new_mem(&r, data, size, lim) < 0)
		abort();
	if (chunk)
		x12_reader_set_chunk_size(r, chunk);
	struct x12_handler h = { 0 };
	h.ctx = &t;
	h.interchange_begin = f_ich_begin;
	h.group_begin = f_grp_begin;
	h.transaction = f_txn;
	h.transaction_end = f_txn_end;
	h.group_end = f_grp_end;
	h.interchange_end = f_ich_end;
	h.notice = f_notice;
	struct x12_file_summary sum;
	struct x12_error err;
	int rc = x12_parse(r, &h, &sum, &err);
	mix_u64(&t, (uint64_t)(int64_t)rc);
	mix(&t, &sum, sizeof sum);
	if (rc < 0) {
		struct x12_errlist l = { 0 };
		x12_errlist_add(&l, &err);
		mix_errors(&t, &l);
		x12_errlist_free(&l);
		x12_error_free(&err);
	}
	x12_reader_free(r);
	return t;
}

/* The tokenizer alone: every element lies inside its segment, ids are what elem[0] says. */
static void tokenize(const uint8_t *data, size_t size, const struct x12_limits *lim)
{
	struct x12_reader *r;
	if (x12_reader_new_mem(&r, data, size, lim) < 0)
		abort();
	struct x12_segment s;
	int rc;
	while ((rc = x12_reader_next(r, &s)) == 1 || rc == -EMSGSIZE) {
		if (rc != 1)
			continue;
		if (s.nelem > lim->max_elements && s.nelem > 16)
			abort();
		if (s.raw.n > lim->max_segment_len && strcmp(s.id, "ISA") != 0)
			abort();
		for (size_t k = 0; k <= s.nelem; k++) {
			struct span e = s.elem[k];
			if (e.p < s.raw.p || e.p + e.n > s.raw.p + s.raw.n)
				abort();
		}
		if (strncmp(s.id, s.elem[0].p, s.elem[0].n < 3 ? s.elem[0].n : 3) != 0 &&
		    memchr(s.elem[0].p, 0, s.elem[0].n) == NULL)
			abort();
	}
	x12_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x12_limits def, tight;
	x12_limits_default(&def);
	tight = def;
	tight.max_file_size = 1 << 20;
	tight.max_segment_len = 200;
	tight.max_element_len = 40;
	tight.max_elements = 24;
	tight.max_segments_per_txn = 20;
	tight.max_txn_bytes = 4096;
	const struct x12_limits *lims[2] = { &def, &tight };
	for (int i = 0; i < 2; i++) {
		tokenize(data, size, lims[i]);
		struct trace a = run(data, size, lims[i], 0);
		struct trace b = run(data, size, lims[i], 1 + size % 13);
		if (a.h != b.h || a.n != b.n)
			abort(); /* the chunk size changed what was read */
	}
	return 0;
}
