/*
 * x12_envelope.c — envelope validation over the segment stream: ISA/IEA, GS/GE,
 * ST/SE, with the TA1, AK9 and AK5 codes, handing each complete transaction set to
 * the handler (x12_parse).
 *
 * Ownership: results (and their error lists) are owned here and lent to the
 * callbacks; a struct x12_txn and its segments are valid during the transaction
 * callback only. x12_parse's *err strings belong to the caller (x12_error_free).
 *
 * Memory: one transaction set at a time, its bytes, spans and segment records counted
 * against max_txn_bytes and its segments against max_segments_per_txn; a set beyond
 * either is rejected (AK3 code 5 at the first segment over the limit, AK5 R), read to
 * its SE and not handed to the transaction callback (transaction_end still is). ST02
 * uniqueness is tracked per group for up to X12_ST02_TRACK sets (8 bytes each).
 *
 * Policy (doc/x12-reader.md says what a partner sees):
 *   - every callback pair is balanced: a group or interchange cut short (missing GE/IEA,
 *     end of input, a fatal reader error) still gets its group_end/interchange_end with
 *     the error; a handler returning <0 stops everything at once without further calls;
 *   - transaction sets of an interchange whose envelope is in error are still handed to
 *     the handler: the verdict (envelope_ok, ta1_status) comes with interchange_end, and
 *     the handler must not commit before it;
 *   - an envelope error rejects the interchange (TA1 R, TA105 = the first error's code);
 *     a group error rejects the group (AK9 R); the next interchange of the file is read
 *     as usual.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "x12/x12.h"
#include "x12/x12_internal.h"

#define X12_ST02_TRACK (1u << 20)

enum estate { E_OUT = 0, E_ICH, E_GROUP, E_TXN };

/* Tolerances reported once per file (the first occurrence, with its line). */
enum { NOTED_TRAILING = 1u << 0, NOTED_SE01 = 1u << 1, NOTED_GE01 = 1u << 2 };

/* Where a finding is. */
struct where {
	const char *id;
	uint64_t seg_pos, file_seg, line, offset;
};

/* ST02 values seen in the current group, packed 7 bits per character (exact). */
struct st02set {
	uint64_t *v;
	size_t cap, n;
	int full;
};

/* The transaction set being collected. */
struct txn_build {
	struct x12_tseg *segs;
	size_t nseg, segcap;
	size_t *off;       /* arena offset of each segment's bytes */
	size_t *first;     /* index of each segment's first span */
	struct span *spans;
	size_t nspan, spancap;
	char *arena;
	size_t alen, acap;
	size_t held;       /* bytes held, against max_txn_bytes */
	int overflow;      /* a limit was hit: nothing more is kept */
	uint64_t count;    /* segments ST..SE seen */
	uint64_t index;
	struct x12_txn_result res;
};

struct pctx {
	struct x12_reader *r;
	const struct x12_handler *h;
	struct x12_file_summary *sum;
	struct x12_limits lim;
	struct x12_tolerances tol;
	unsigned noted;      /* NOTED_*: tolerances already reported in this file */
	enum estate st;
	int skip;
	int orphan;          /* inside an ST..SE outside any group: ignored */
	int gs_seen;
	int abort_rc;
	uint64_t ich_index;
	struct x12_interchange_result ir;
	struct x12_group_result gr;
	struct st02set set;
	int set_noted;
	struct st02set gset; /* GS06 values of the current interchange */
	int grp_e;           /* a set of the group was accepted with errors noted */
	struct txn_build t;
};

/* ------------------------------------------------------------ small helpers */

/* Free the strings of a single error and clear it. */
void x12_error_free(struct x12_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e->bad_value);
	memset(e, 0, sizeof *e);
}

/* Element n (1-based) of a transaction segment, SPAN_NULL when absent. */
struct span x12_tseg_elem(const struct x12_tseg *s, size_t n)
{
	if (!s || n == 0 || n > s->nelem)
		return SPAN_NULL;
	return s->elem[n];
}

/* A letter or a digit. */
static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The position of segment s for a finding (seg_pos: place in the set, 0 outside). */
static struct where where_of(const struct x12_segment *s, uint64_t seg_pos)
{
	/* an id longer than 3 would be cut to another segment's name: leave it out */
	return (struct where){ s->elem[0].n <= 3 ? s->id : "", seg_pos, s->index, s->line, s->offset };
}

/* Add a finding to list l. */
static void add_err(struct x12_errlist *l, enum x12_scope scope, const char *code,
		    const struct where *w, int elem, struct span bad, const char *fmt, ...)
	EDIGW_PRINTF(7, 8);
static void add_err(struct x12_errlist *l, enum x12_scope scope, const char *code,
		    const struct where *w, int elem, struct span bad, const char *fmt, ...)
{
	struct x12_error e;
	memset(&e, 0, sizeof e);
	e.scope = scope;
	size_t n = strlen(code);
	memcpy(e.code, code, n < 4 ? n : 4);
	if (w) {
		/* AK301 gets only a well-formed identifier: garbage stays in bad_value/msg */
		size_t k = w->id ? strlen(w->id) : 0, i;
		for (i = 0; i < k && i < 3 && is_alnum((unsigned char)w->id[i]); i++)
			;
		if (i == k && k <= 3)
			memcpy(e.seg_id, w->id, k);
		e.seg_pos = w->seg_pos;
		e.file_seg = w->file_seg;
		e.line = w->line;
		e.offset = w->offset;
	}
	e.elem_pos = elem;
	char *bv = NULL;
	if (bad.p && bad.n) {
		bv = span_dup((struct span){ bad.p, bad.n > 99 ? 99 : bad.n });
		/* a NUL in partner data would cut the copy short: show it escaped instead */
		if (memchr(bad.p, 0, bad.n > 99 ? 99 : bad.n)) {
			free(bv);
			bv = escape_bytes(bad.p, bad.n, 40);
		}
	}
	e.bad_value = bv;
	struct buf b;
	buf_init(&b, 0);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	e.msg = b.data ? b.data : (char *)"";
	x12_errlist_add(l, &e);
	buf_free(&b);
	free(bv);
}

/* An interchange-level finding. */
#define IERR(c, code, w, elem, bad, ...) add_err(&(c)->ir.errors, X12_SCOPE_INTERCHANGE, code, w, elem, bad, __VA_ARGS__)
/* A group-level finding. */
#define GERR(c, code, w, elem, bad, ...) add_err(&(c)->gr.errors, X12_SCOPE_GROUP, code, w, elem, bad, __VA_ARGS__)

static void notice(struct pctx *c, uint64_t line, const char *fmt, ...) EDIGW_PRINTF(3, 4);
/* An envelope-level note for the handler's notice callback. */
static void notice(struct pctx *c, uint64_t line, const char *fmt, ...)
{
	if (!c->h->notice)
		return;
	struct buf b;
	buf_init(&b, 0);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	c->h->notice(c->h->ctx, line, b.data ? b.data : "");
	buf_free(&b);
}

/* A non-empty run of digits. */
static int all_digits(struct span s)
{
	if (s.n == 0)
		return 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
	return 1;
}

/* Trailing blanks removed (fixed-width padding). */
static struct span rtrim(struct span s)
{
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

/* Copy a span into a fixed field, truncated, NUL-terminated. */
static void copy_field(char *dst, size_t cap, struct span s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* Two control numbers are equal: numerically when both are numbers, else byte for byte. */
static int ctl_equal(struct span a, struct span b)
{
	uint64_t x, y;
	if (span_to_u64(a, &x) == 0 && span_to_u64(b, &y) == 0)
		return x == y;
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Two digits as a number. */
static int num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* A calendar date: yyyy (full year), mm, dd. */
static int date_ok(int yyyy, int mm, int dd)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mm < 1 || mm > 12 || dd < 1 || dd > mdays[mm - 1])
		return 0;
	if (mm == 2 && dd == 29) {
		int leap = (yyyy % 4 == 0 && yyyy % 100 != 0) || yyyy % 400 == 0;
		return leap;
	}
	return 1;
}

/* YYMMDD (6) or CCYYMMDD (8) digits forming a real date; len must be one of `lens`. */
static int date_span_ok(struct span s, int allow6, int allow8)
{
	if (!all_digits(s) || !((s.n == 6 && allow6) || (s.n == 8 && allow8)))
		return 0;
	const char *p = s.p;
	int y = s.n == 8 ? num2(p) * 100 + num2(p + 2) : 2000 + num2(p);
	if (s.n == 8)
		p += 2;
	return date_ok(y, num2(p + 2), num2(p + 4));
}

/* HHMM[SS[d[d]]]: n digits out of the allowed lengths, a real time of day. */
static int time_span_ok(struct span s, int max)
{
	if (!all_digits(s) || s.n < 4 || (int)s.n > max || s.n == 5)
		return 0;
	if (num2(s.p) > 23 || num2(s.p + 2) > 59)
		return 0;
	if (s.n >= 6 && num2(s.p + 4) > 59)
		return 0;
	return 1;
}

/* ------------------------------------------------------------- ST02 set */

/* ST02 packed 7 bits per character: exact for up to 9 ASCII characters. */
static uint64_t st02_key(struct span s)
{
	uint64_t k = 0;
	for (size_t i = 0; i < s.n; i++)
		k = (k << 7) | (uint64_t)(unsigned char)s.p[i];
	return k;
}

/* Empty the set for a new group (a big table is given back). */
static void set_reset(struct st02set *s)
{
	if (s->cap > 4096) {
		free(s->v);
		s->v = NULL;
		s->cap = 0;
	} else if (s->n) {
		memset(s->v, 0, s->cap * sizeof *s->v);
	}
	s->n = 0;
	s->full = 0;
}

/* Home slot of key k in a table of cap (a power of two) slots. */
static size_t set_slot(uint64_t k, size_t cap)
{
	k ^= k >> 29;
	k *= 0x9E3779B97F4A7C15ull;
	return (size_t)(k >> 20) & (cap - 1);
}

/* Insert k: 1 = was new, 0 = already there, -1 = not tracked (set full). */
static int set_insert(struct st02set *s, uint64_t k)
{
	if (s->n * 2 >= s->cap) {
		if (s->n >= X12_ST02_TRACK) {
			s->full = 1;
			return -1;
		}
		size_t ncap = s->cap ? s->cap * 2 : 64;
		uint64_t *nv = xcalloc(ncap, sizeof *nv);
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->v[i])
				continue;
			size_t j = set_slot(s->v[i], ncap);
			while (nv[j])
				j = (j + 1) & (ncap - 1);
			nv[j] = s->v[i];
		}
		free(s->v);
		s->v = nv;
		s->cap = ncap;
	}
	size_t j = set_slot(k, s->cap);
	while (s->v[j]) {
		if (s->v[j] == k)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->v[j] = k;
	s->n++;
	return 1;
}

/* -------------------------------------------------------- callbacks */

/* Call a callback result through: <0 aborts the parse. */
static int cb_rc(struct pctx *c, int rc)
{
	if (rc < 0 && !c->abort_rc)
		c->abort_rc = rc;
	return rc < 0 ? rc : 0;
}

/* -------------------------------------------------------- transaction sets */

/* Forget the last set, keep the buffers. */
static void txn_reset(struct txn_build *t)
{
	t->nseg = t->nspan = t->alen = t->held = 0;
	t->overflow = 0;
	t->count = 0;
	memset(&t->res, 0, sizeof t->res);
}

/* Free the collection buffers. */
static void txn_free(struct txn_build *t)
{
	x12_txn_result_free(&t->res);
	free(t->segs);
	free(t->off);
	free(t->first);
	free(t->spans);
	free(t->arena);
	memset(t, 0, sizeof *t);
}

/* Grow an array of size-byte items to hold need items (doubling). */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(p, n * size);
}

/* A segment ending in empty elements ("N1*ST*X**~"): X12.6 leaves out the separators of
 * unused trailing elements. Tolerated with a notice (once per file), or AK4 code 3 (too
 * many data elements: more element positions than the segment uses) at the first. */
static void trailing_empty(struct pctx *c, const struct x12_segment *s, const struct where *w)
{
	size_t first = s->nelem;
	while (first > 1 && s->elem[first - 1].n == 0)
		first--;
	if (!c->tol.trailing_empty_elements) {
		add_err(&c->t.res.errors, X12_SCOPE_ELEMENT, "3", w, (int)first, SPAN_NULL,
			"trailing empty data element%s from position %zu: the separators of unused "
			"elements at the end of a segment must be left out (tolerate.trailing-empty-"
			"elements = no)", first < s->nelem ? "s" : "", first);
		return;
	}
	if (c->noted & NOTED_TRAILING)
		return;
	c->noted |= NOTED_TRAILING;
	notice(c, s->line, "segment %s ends in empty data elements (from position %zu): accepted "
	       "by tolerate.trailing-empty-elements (first in this file; later ones not reported)",
	       w->id, first);
}

/* Element checks that need no schema, for a segment inside a transaction set. */
static void txn_seg_checks(struct pctx *c, const struct x12_segment *s, uint64_t pos)
{
	struct x12_errlist *l = &c->t.res.errors;
	struct where w = where_of(s, pos);
	struct span id = s->elem[0];
	int idok = id.n >= 2 && id.n <= 3;
	for (size_t i = 0; idok && i < id.n; i++)
		if (!((id.p[i] >= 'A' && id.p[i] <= 'Z') || (id.p[i] >= '0' && id.p[i] <= '9')))
			idok = 0;
	if (!idok)
		add_err(l, X12_SCOPE_SEGMENT, "1", &w, 0, id,
			"segment identifier is not 2 or 3 upper-case letters or digits");
	if (s->elem_too_long) {
		for (size_t i = s->elem_too_long; i <= s->nelem; i++)
			if (s->elem[i].n > c->lim.max_element_len)
				add_err(l, X12_SCOPE_ELEMENT, "5", &w, (int)i, s->elem[i],
					"data element longer than the limit of %zu bytes "
					"(max_element_len): %zu bytes", c->lim.max_element_len, s->elem[i].n);
	}
	if (s->too_many_elems)
		add_err(l, X12_SCOPE_ELEMENT, "3", &w, (int)c->lim.max_elements + 1, SPAN_NULL,
			"more than %zu data elements in the segment (max_elements)",
			c->lim.max_elements);
	else if (s->nelem && s->elem[s->nelem].n == 0)
		trailing_empty(c, s, &w);
}

/* Keep segment s of the set being collected, within the limits. */
static void txn_store(struct pctx *c, const struct x12_segment *s)
{
	struct txn_build *t = &c->t;
	t->count++;
	txn_seg_checks(c, s, t->count);
	if (t->overflow)
		return;
	size_t cost = s->raw.n + (s->nelem + 1) * sizeof(struct span) + sizeof(struct x12_tseg) +
		      2 * sizeof(size_t);
	const char *why = NULL;
	if (t->count > c->lim.max_segments_per_txn)
		why = "max_segments_per_txn";
	else if (cost > c->lim.max_txn_bytes || t->held > c->lim.max_txn_bytes - cost)
		why = "max_txn_bytes";
	if (why) {
		struct where w = where_of(s, t->count);
		add_err(&t->res.errors, X12_SCOPE_SEGMENT, "5", &w, 0, SPAN_NULL,
			"transaction set larger than the limit (%s = %zu); the set is rejected", why,
			strcmp(why, "max_txn_bytes") == 0 ? c->lim.max_txn_bytes
							   : c->lim.max_segments_per_txn);
		t->overflow = 1;
		return;
	}
	t->held += cost;
	size_t oldcap = t->segcap;
	t->segs = grow(t->segs, &t->segcap, t->nseg + 1, sizeof *t->segs);
	if (t->segcap != oldcap) {
		/* off and first grow with segs */
		t->off = xrealloc(t->off, t->segcap * sizeof *t->off);
		t->first = xrealloc(t->first, t->segcap * sizeof *t->first);
	}
	t->spans = grow(t->spans, &t->spancap, t->nspan + s->nelem + 1, sizeof *t->spans);
	t->arena = grow(t->arena, &t->acap, t->alen + s->raw.n + 1, 1);
	struct x12_tseg *ts = &t->segs[t->nseg];
	memcpy(ts->id, s->id, 4);
	ts->nelem = s->nelem;
	ts->elem = NULL;
	ts->file_seg = s->index;
	ts->line = s->line;
	ts->offset = s->offset;
	t->off[t->nseg] = t->alen;
	t->first[t->nseg] = t->nspan;
	memcpy(t->arena + t->alen, s->raw.p, s->raw.n);
	t->alen += s->raw.n;
	memcpy(t->spans + t->nspan, s->elem, (s->nelem + 1) * sizeof *t->spans);
	t->nspan += s->nelem + 1;
	t->nseg++;
}

/* A new transaction set at ST. */
static void txn_begin(struct pctx *c, const struct x12_segment *s)
{
	struct txn_build *t = &c->t;
	txn_reset(t);
	struct x12_txn_result *res = &t->res;
	struct span st01 = x12_seg_elem(s, 1), st02 = x12_seg_elem(s, 2), st03 = x12_seg_elem(s, 3);
	copy_field(res->st01, sizeof res->st01, st01);
	copy_field(res->st02, sizeof res->st02, st02);
	copy_field(res->st03, sizeof res->st03, st03);
	t->index = ++c->gr.received;
	c->ir.transactions++;
	c->sum->transactions++;
	c->st = E_TXN;
	txn_store(c, s);
	struct where w = where_of(s, 1);
	if (!(st01.n == 3 && all_digits(st01)))
		add_err(&res->errors, X12_SCOPE_TXN, "6", &w, 1, st01,
			"ST01 transaction set identifier missing or not 3 digits");
	int st02ok = st02.n >= 4 && st02.n <= 9;
	for (size_t i = 0; st02ok && i < st02.n; i++)
		if ((unsigned char)st02.p[i] <= ' ' || (unsigned char)st02.p[i] >= 0x7f)
			st02ok = 0;
	if (!st02ok) {
		add_err(&res->errors, X12_SCOPE_TXN, "7", &w, 2, st02,
			"ST02 transaction set control number must be 4 to 9 printable characters");
		return;
	}
	int ins = set_insert(&c->set, st02_key(st02));
	if (ins == 0)
		add_err(&res->errors, X12_SCOPE_TXN, "23", &w, 2, st02,
			"ST02 control number used by an earlier transaction set of the same group");
	else if (ins < 0 && !c->set_noted) {
		c->set_noted = 1;
		notice(c, s->line, "more than %u transaction sets in a group: ST02 uniqueness not "
		       "checked beyond that", X12_ST02_TRACK);
	}
}

/* The set ends at se (NULL: SE missing, at is the segment that ended it or NULL at EOF). */
static int txn_end(struct pctx *c, const struct x12_segment *se, const struct x12_segment *at)
{
	struct txn_build *t = &c->t;
	struct x12_txn_result *res = &t->res;
	int rc = 0;
	if (se) {
		txn_store(c, se);
		struct where w = where_of(se, t->count);
		struct span se01 = x12_seg_elem(se, 1), se02 = x12_seg_elem(se, 2);
		uint64_t n;
		if (span_to_u64(se01, &n) != 0)
			add_err(&res->errors, X12_SCOPE_TXN, "4", &w, 1, se01,
				"SE01 segment count is not a number (%llu segments received, ST through SE)",
				(unsigned long long)t->count);
		else if (n != t->count && !c->tol.wrong_counts)
			add_err(&res->errors, X12_SCOPE_TXN, "4", &w, 1, se01,
				"SE01 segment count does not match the %llu segments received (ST through SE)",
				(unsigned long long)t->count);
		else if (n != t->count && !(c->noted & NOTED_SE01)) {
			c->noted |= NOTED_SE01;
			notice(c, se->line, "SE01 segment count %llu does not match the %llu segments "
			       "received (ST through SE): accepted by tolerate.wrong-counts (first in this "
			       "file; later ones not reported)", (unsigned long long)n,
			       (unsigned long long)t->count);
		}
		if (!(se02.n == strlen(res->st02) && se02.n && memcmp(se02.p, res->st02, se02.n) == 0))
			add_err(&res->errors, X12_SCOPE_TXN, "3", &w, 2, se02,
				"SE02 control number does not match ST02 '%s'", res->st02);
	} else {
		struct where w = { "SE", t->count + 1, at ? at->index : 0, at ? at->line : 0,
				   at ? at->offset : 0 };
		if (at)
			add_err(&res->errors, X12_SCOPE_TXN, "2", &w, 0, SPAN_NULL,
				"transaction set trailer SE missing: the set ends at %s", at->id);
		else
			add_err(&res->errors, X12_SCOPE_TXN, "2", &w, 0, SPAN_NULL,
				"transaction set trailer SE missing: the input ends inside the set");
	}
	res->seg_count = t->count;
	if (!t->overflow && c->h->transaction) {
		/* the spans get their addresses now that the arena no longer moves */
		for (size_t i = 0; i < t->nseg; i++) {
			struct span *sp = t->spans + t->first[i];
			const char *p = t->arena + t->off[i];
			for (size_t k = 0; k <= t->segs[i].nelem; k++) {
				sp[k].p = p;
				p += sp[k].n + 1;
			}
			t->segs[i].elem = sp;
		}
		struct x12_txn txn;
		memset(&txn, 0, sizeof txn);
		memcpy(txn.st01, res->st01, sizeof txn.st01);
		memcpy(txn.st02, res->st02, sizeof txn.st02);
		memcpy(txn.st03, res->st03, sizeof txn.st03);
		txn.nseg = t->nseg;
		txn.segs = t->segs;
		txn.delims = &c->ir.isa.delims;
		txn.isa = &c->ir.isa;
		txn.gs = &c->gr.gs;
		txn.index = t->index;
		rc = cb_rc(c, c->h->transaction(c->h->ctx, &txn, res));
	}
	if (rc == 0) {
		x12_txn_result_finish(res);
		if (res->status == 'A' || res->status == 'E')
			c->gr.accepted++;
		else
			c->sum->rejected_transactions++;
		if (res->status == 'E')
			c->grp_e = 1;
		if (c->h->transaction_end)
			rc = cb_rc(c, c->h->transaction_end(c->h->ctx, res));
	}
	x12_txn_result_free(res);
	t->count = 0;
	c->st = E_GROUP;
	return rc;
}

/* ---------------------------------------------------------------- groups */

/* A new functional group at GS. */
static int group_begin(struct pctx *c, const struct x12_segment *s)
{
	struct x12_group_result *g = &c->gr;
	memset(g, 0, sizeof *g);
	c->grp_e = 0;
	set_reset(&c->set);
	c->set_noted = 0;
	c->ir.groups++;
	c->sum->groups++;
	c->gs_seen = 1;
	struct x12_gs *gs = &g->gs;
	gs->file_seg = s->index;
	gs->line = s->line;
	gs->index = c->ir.groups;
	static const struct {
		size_t min, max;
	} len[9] = { { 0, 0 }, { 2, 2 }, { 2, 15 }, { 2, 15 }, { 6, 8 }, { 4, 8 }, { 1, 9 }, { 1, 2 }, { 1, 12 } };
	char *dst[9] = { NULL, gs->fid, gs->sender, gs->receiver, gs->date, gs->time, gs->gcn,
			 gs->agency, gs->version };
	size_t cap[9] = { 0, sizeof gs->fid, sizeof gs->sender, sizeof gs->receiver, sizeof gs->date,
			  sizeof gs->time, sizeof gs->gcn, sizeof gs->agency, sizeof gs->version };
	struct where w = where_of(s, 0);
	for (int i = 1; i <= 8; i++) {
		struct span v = x12_seg_elem(s, (size_t)i);
		copy_field(dst[i], cap[i], v);
		if (v.n == 0)
			IERR(c, "024", &w, i, SPAN_NULL, "invalid GS segment: GS%02d missing", i);
		else if (i != 6 && (v.n < len[i].min || v.n > len[i].max))
			IERR(c, "024", &w, i, v, "invalid GS segment: GS%02d must be %zu to %zu characters",
			     i, len[i].min, len[i].max);
	}
	struct span gs04 = x12_seg_elem(s, 4), gs05 = x12_seg_elem(s, 5), gs06 = x12_seg_elem(s, 6);
	struct span gs08 = x12_seg_elem(s, 8);
	/* GS04 is CCYYMMDD from 004010 on, YYMMDD before */
	int allow6 = 1, allow8 = 1;
	if (gs08.n >= 6 && all_digits((struct span){ gs08.p, 6 })) {
		uint64_t v = 0;
		span_to_u64((struct span){ gs08.p, 6 }, &v);
		allow6 = v < 4010;
		allow8 = v >= 4010;
	}
	if (gs04.n && !date_span_ok(gs04, allow6, allow8))
		IERR(c, "024", &w, 4, gs04, "invalid GS segment: GS04 is not a date (%s)",
		     allow8 && !allow6 ? "CCYYMMDD from version 004010 on"
				       : allow6 && !allow8 ? "YYMMDD before version 004010" : "CCYYMMDD");
	if (gs05.n && !time_span_ok(gs05, 8))
		IERR(c, "024", &w, 5, gs05, "invalid GS segment: GS05 is not a time (HHMM, HHMMSS or HHMMSSd[d])");
	if (gs06.n && !(all_digits(gs06) && gs06.n <= 9))
		GERR(c, "6", &w, 6, gs06, "GS06 group control number must be 1 to 9 digits");
	else if (gs06.n && set_insert(&c->gset, st02_key(gs06)) == 0)
		/* no AK905 code for it before 005030: reported, the group is still read */
		notice(c, s->line, "GS06 %.*s is used by an earlier functional group of interchange %s: "
		       "group control numbers must be unique within an interchange", (int)gs06.n, gs06.p,
		       c->ir.isa.icn);
	if (s->elem_too_long || s->too_many_elems)
		IERR(c, "024", &w, (int)s->elem_too_long, SPAN_NULL,
		     "invalid GS segment: elements beyond the limits (max_element_len/max_elements)");
	c->st = E_GROUP;
	if (c->h->group_begin)
		return cb_rc(c, c->h->group_begin(c->h->ctx, &c->ir.isa, gs));
	return 0;
}

/* The group ends at ge (NULL: GE missing, at = the segment that ended it or NULL). */
static int group_end(struct pctx *c, const struct x12_segment *ge, const struct x12_segment *at)
{
	struct x12_group_result *g = &c->gr;
	int rc = 0;
	g->declared = g->received;
	if (ge) {
		g->have_ge = 1;
		struct where w = where_of(ge, 0);
		struct span ge01 = x12_seg_elem(ge, 1), ge02 = x12_seg_elem(ge, 2);
		uint64_t n;
		if (span_to_u64(ge01, &n) == 0)
			g->declared = n;
		if (span_to_u64(ge01, &n) != 0)
			GERR(c, "5", &w, 1, ge01, "GE01 number of transaction sets is not a number (%llu received)",
			     (unsigned long long)g->received);
		else if (n != g->received && !c->tol.wrong_counts)
			GERR(c, "5", &w, 1, ge01, "GE01 number of transaction sets does not match the %llu received",
			     (unsigned long long)g->received);
		else if (n != g->received && !(c->noted & NOTED_GE01)) {
			c->noted |= NOTED_GE01;
			notice(c, ge->line, "GE01 number of transaction sets %llu does not match the %llu "
			       "received: accepted by tolerate.wrong-counts (first in this file; later ones "
			       "not reported)", (unsigned long long)n, (unsigned long long)g->received);
		}
		if (!ctl_equal(ge02, span_cstr(g->gs.gcn)))
			GERR(c, "4", &w, 2, ge02, "GE02 group control number does not match GS06 '%s'", g->gs.gcn);
		if (ge->elem_too_long || ge->too_many_elems)
			IERR(c, "024", &w, (int)ge->elem_too_long, SPAN_NULL,
			     "invalid GE segment: elements beyond the limits");
	} else {
		struct where w = { "GE", 0, at ? at->index : 0, at ? at->line : 0, at ? at->offset : 0 };
		GERR(c, "3", &w, 0, SPAN_NULL, "functional group trailer GE missing: %s%s",
		     at ? "the group ends at " : "the input ends inside the group", at ? at->id : "");
	}
	int envelope_err = g->errors.n > 0 || g->errors.dropped > 0;
	if (envelope_err)
		g->status = 'R';
	else if (g->accepted == g->received)
		g->status = c->grp_e ? 'E' : 'A';
	else if (g->accepted == 0)
		g->status = 'R';
	else
		g->status = 'P';
	g->ncodes = 0;
	for (size_t i = 0; i < g->errors.n && g->ncodes < 5; i++) {
		const char *code = g->errors.v[i].code;
		size_t k;
		for (k = 0; k < g->ncodes; k++)
			if (strcmp(g->codes[k], code) == 0)
				break;
		if (k == g->ncodes)
			memcpy(g->codes[g->ncodes++], code, 5);
	}
	if (g->status == 'R')
		c->sum->rejected_groups++;
	if (c->h->group_end)
		rc = cb_rc(c, c->h->group_end(c->h->ctx, g));
	x12_errlist_free(&g->errors);
	c->st = E_ICH;
	return rc;
}

/* ---------------------------------------------------------- interchanges */

static const unsigned char isa_w[17] = { 0, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1 };
static const char *const isa_code[17] = { "", "010", "011", "012", "013", "005", "006", "007",
					   "008", "014", "015", "016", "017", "018", "019", "020", "027" };

/* Field checks of the ISA, with the TA1 code of each field. */
static void isa_checks(struct pctx *c, const struct x12_segment *s)
{
	struct where w = where_of(s, 0);
	int bad[17] = { 0 };
	const struct x12_delims *d = &c->ir.isa.delims;
	int unpadded = 0;
	for (int i = 1; i <= 16; i++) {
		struct span v = s->elem[i];
		/* ISA02/04/06/08 are padded with spaces: shorter ones may be tolerated */
		if (v.n < isa_w[i] && isa_w[i] > 2 && i % 2 == 0 && i <= 8 && c->tol.unpadded_isa) {
			if (!unpadded)
				notice(c, s->line, "ISA%02d is %zu characters wide, not the fixed %u: the "
				       "unpadded ISA is accepted by tolerate.unpadded-isa", i, v.n, isa_w[i]);
			unpadded = 1;
			continue;
		}
		if (v.n != isa_w[i]) {
			bad[i] = 1;
			IERR(c, isa_code[i], &w, i, v,
			     "ISA%02d must be %u characters wide (the ISA is fixed width), found %zu", i,
			     isa_w[i], v.n);
		}
	}
#define E(i) s->elem[i]
	if (!bad[1] && !all_digits(E(1)))
		IERR(c, "010", &w, 1, E(1), "ISA01 authorization information qualifier must be 2 digits");
	if (!bad[3] && !all_digits(E(3)))
		IERR(c, "012", &w, 3, E(3), "ISA03 security information qualifier must be 2 digits");
	static const int qual[2] = { 5, 7 };
	for (int k = 0; k < 2; k++) {
		int i = qual[k];
		struct span v = rtrim(E(i));
		if (!bad[i] && (v.n != 2 || !is_alnum((unsigned char)v.p[0]) || !is_alnum((unsigned char)v.p[1])))
			IERR(c, isa_code[i], &w, i, E(i), "ISA%02d interchange ID qualifier must be 2 letters or digits", i);
		struct span id = span_trim(E(i + 1));
		if (!bad[i + 1] && id.n == 0)
			IERR(c, isa_code[i + 1], &w, i + 1, SPAN_NULL, "ISA%02d interchange %s ID is blank",
			     i + 1, i == 5 ? "sender" : "receiver");
	}
	if (!bad[9] && !date_span_ok(E(9), 1, 0))
		IERR(c, "014", &w, 9, E(9), "ISA09 interchange date is not a date (YYMMDD)");
	if (!bad[10] && !time_span_ok(E(10), 4))
		IERR(c, "015", &w, 10, E(10), "ISA10 interchange time is not a time (HHMM)");
	long ver = -1;
	if (!bad[12]) {
		uint64_t v;
		if (all_digits(E(12)) && span_to_u64(E(12), &v) == 0)
			ver = (long)v;
		else
			IERR(c, "017", &w, 12, E(12), "ISA12 interchange control version number must be 5 digits");
	}
	if (!bad[11]) {
		unsigned char r11 = (unsigned char)E(11).p[0];
		if (ver >= 402) {
			if (is_alnum(r11) && !c->tol.alphanumeric_isa11) {
				IERR(c, "016", &w, 11, E(11), "ISA11 repetition separator '%c' is a letter or "
				     "digit at version %05ld (tolerate.alphanumeric-isa11 = no)", r11, ver);
			} else if (is_alnum(r11)) {
				notice(c, s->line, "ISA11 '%c' is a letter or digit at version %05ld: no "
				       "repetition separator (allowed by tolerate.alphanumeric-isa11)", r11, ver);
			} else if (r11 == (unsigned char)d->comp) {
				IERR(c, "027", &w, 16, E(16), "ISA16 component separator is the same as the "
				     "ISA11 repetition separator");
				bad[16] = 1;
			} else if (r11 == (unsigned char)d->seg) {
				IERR(c, "004", &w, 11, E(11), "ISA11 repetition separator is the same as the "
				     "segment terminator");
			} else if (!d->rep) {
				char *e = escape_bytes(E(11).p, 1, 1);
				notice(c, s->line, "ISA11 '%s' cannot be a separator: no repetition separator", e);
				free(e);
			}
		} else if (ver >= 0 && r11 != 'U') {
			char *e = escape_bytes(E(11).p, 1, 1);
			notice(c, s->line, "ISA11 '%s' at version %05ld (before 00402 ISA11 is the standards "
			       "identifier 'U'): no repetition separator", e, ver);
			free(e);
		}
	}
	if (!bad[13] && !all_digits(E(13)))
		IERR(c, "018", &w, 13, E(13), "ISA13 interchange control number must be exactly 9 digits");
	if (!bad[14] && E(14).p[0] != '0' && E(14).p[0] != '1')
		IERR(c, "019", &w, 14, E(14), "ISA14 acknowledgment requested must be 0 or 1");
	if (!bad[15] && E(15).p[0] != 'P' && E(15).p[0] != 'T')
		IERR(c, "020", &w, 15, E(15), "ISA15 usage indicator must be P (production) or T (test)");
	if (!bad[16]) {
		unsigned char cs = (unsigned char)d->comp;
		if (!x12_delim_ok(cs))
			IERR(c, "027", &w, 16, E(16), "ISA16 component separator cannot be a letter, digit, "
			     "space, line break or non-ASCII byte");
		else if (cs == (unsigned char)d->elem || cs == (unsigned char)d->seg)
			IERR(c, "027", &w, 16, E(16), "ISA16 component separator is the same as the %s",
			     cs == (unsigned char)d->elem ? "element separator" : "segment terminator");
	}
#undef E
}

/* A new interchange at ISA. */
static int ich_begin(struct pctx *c, const struct x12_segment *s)
{
	struct x12_interchange_result *ir = &c->ir;
	memset(ir, 0, sizeof *ir);
	set_reset(&c->gset);
	c->gs_seen = 0;
	c->orphan = 0;
	c->skip = 0;
	struct x12_isa *isa = &ir->isa;
	copy_field(isa->auth_qual, sizeof isa->auth_qual, rtrim(s->elem[1]));
	copy_field(isa->auth_info, sizeof isa->auth_info, rtrim(s->elem[2]));
	copy_field(isa->sec_qual, sizeof isa->sec_qual, rtrim(s->elem[3]));
	copy_field(isa->sec_info, sizeof isa->sec_info, rtrim(s->elem[4]));
	copy_field(isa->sender_qual, sizeof isa->sender_qual, rtrim(s->elem[5]));
	copy_field(isa->sender_id, sizeof isa->sender_id, rtrim(s->elem[6]));
	copy_field(isa->receiver_qual, sizeof isa->receiver_qual, rtrim(s->elem[7]));
	copy_field(isa->receiver_id, sizeof isa->receiver_id, rtrim(s->elem[8]));
	copy_field(isa->date, sizeof isa->date, rtrim(s->elem[9]));
	copy_field(isa->time, sizeof isa->time, rtrim(s->elem[10]));
	copy_field(isa->rep_or_std, sizeof isa->rep_or_std, s->elem[11]);
	copy_field(isa->version, sizeof isa->version, rtrim(s->elem[12]));
	copy_field(isa->icn, sizeof isa->icn, rtrim(s->elem[13]));
	copy_field(isa->ack_requested, sizeof isa->ack_requested, rtrim(s->elem[14]));
	copy_field(isa->usage, sizeof isa->usage, rtrim(s->elem[15]));
	isa->delims = *x12_reader_delims(c->r);
	isa->file_seg = s->index;
	isa->line = s->line;
	isa->offset = s->offset;
	isa->index = ++c->ich_index;
	c->sum->interchanges++;
	isa_checks(c, s);
	c->st = E_ICH;
	if (c->h->interchange_begin) {
		int rc = c->h->interchange_begin(c->h->ctx, isa);
		if (rc < 0)
			return cb_rc(c, rc);
		if (rc == X12_SKIP)
			c->skip = 1;
	}
	return 0;
}

/* The interchange ends at iea (NULL: missing; code/why say what ended it). */
static int ich_end(struct pctx *c, const struct x12_segment *iea, const struct x12_segment *at,
		   const struct x12_error *fatal)
{
	struct x12_interchange_result *ir = &c->ir;
	int rc = 0;
	if (c->skip) {
		ir->skipped = 1;
	} else if (iea) {
		struct where w = where_of(iea, 0);
		struct span iea01 = x12_seg_elem(iea, 1), iea02 = x12_seg_elem(iea, 2);
		uint64_t n;
		if (span_to_u64(iea01, &n) == 0)
			ir->declared_groups = n;
		if (span_to_u64(iea01, &n) != 0)
			IERR(c, "021", &w, 1, iea01, "IEA01 number of functional groups is not a number (%llu received)",
			     (unsigned long long)ir->groups);
		else if (n != ir->groups && !c->tol.wrong_counts)
			IERR(c, "021", &w, 1, iea01, "IEA01 number of functional groups does not match the %llu received",
			     (unsigned long long)ir->groups);
		else if (n != ir->groups)
			notice(c, iea->line, "IEA01 number of functional groups %llu does not match the %llu "
			       "received: accepted by tolerate.wrong-counts", (unsigned long long)n,
			       (unsigned long long)ir->groups);
		if (!ctl_equal(iea02, span_cstr(ir->isa.icn)))
			IERR(c, "001", &w, 2, iea02, "IEA02 interchange control number does not match ISA13 '%s'",
			     ir->isa.icn);
		if (iea->elem_too_long || iea->too_many_elems)
			IERR(c, "024", &w, (int)iea->elem_too_long, SPAN_NULL,
			     "invalid IEA segment: elements beyond the limits");
	} else if (fatal) {
		struct x12_error e = *fatal;
		x12_errlist_add(&ir->errors, &e);
	} else {
		struct where w = { "IEA", 0, at ? at->index : 0, at ? at->line : 0, at ? at->offset : 0 };
		IERR(c, "023", &w, 0, SPAN_NULL, "interchange trailer IEA missing: %s",
		     at ? "a new ISA begins" : "the input ends inside the interchange");
	}
	x12_reader_take_hash(c->r, ir->sha256);
	if (ir->errors.n || ir->errors.dropped) {
		ir->ta1_status = 'R';
		memcpy(ir->ta1_code, ir->errors.v[0].code, 3);
		ir->ta1_code[3] = '\0';
		ir->envelope_ok = 0;
		c->sum->rejected_interchanges++;
	} else {
		ir->ta1_status = 'A';
		memcpy(ir->ta1_code, "000", 4);
		ir->envelope_ok = 1;
	}
	if (c->h->interchange_end)
		rc = cb_rc(c, c->h->interchange_end(c->h->ctx, ir));
	x12_errlist_free(&ir->errors);
	c->st = E_OUT;
	c->skip = 0;
	return rc;
}

/* Close whatever is open (txn, group, interchange) because of segment `at` (NULL: EOF). */
static int close_open(struct pctx *c, const struct x12_segment *at, int upto_group,
		      const struct x12_error *fatal)
{
	int rc = 0;
	if (c->st == E_TXN && (rc = txn_end(c, NULL, at)) < 0)
		return rc;
	if (c->st == E_GROUP && (rc = group_end(c, NULL, at)) < 0)
		return rc;
	if (upto_group)
		return 0;
	if (c->st == E_ICH)
		rc = ich_end(c, NULL, at, fatal);
	return rc;
}

/* ------------------------------------------------------------- dispatch */

/* Envelope segments that are not where they may be. */
static void misplaced(struct pctx *c, const struct x12_segment *s, const char *code, const char *what)
{
	struct where w = where_of(s, 0);
	IERR(c, code, &w, 0, SPAN_NULL, "%s", what);
}

#define ID2(a, b) ((uint32_t)(unsigned char)(a) | (uint32_t)(unsigned char)(b) << 8)
#define ID3(a, b, c) (ID2(a, b) | (uint32_t)(unsigned char)(c) << 16)
enum {
	K_ISA = ID3('I', 'S', 'A'), K_IEA = ID3('I', 'E', 'A'), K_TA1 = ID3('T', 'A', '1'),
	K_TA3 = ID3('T', 'A', '3'), K_ISB = ID3('I', 'S', 'B'), K_ISE = ID3('I', 'S', 'E'),
	K_GS = ID2('G', 'S'), K_GE = ID2('G', 'E'), K_ST = ID2('S', 'T'), K_SE = ID2('S', 'E'),
};

/* The segment id as a number (0 when it is not 2 or 3 bytes). */
static uint32_t id_key(const struct x12_segment *s)
{
	const char *p = s->elem[0].p;
	switch (s->elem[0].n) {
	case 2:
		return ID2(p[0], p[1]);
	case 3:
		return ID3(p[0], p[1], p[2]);
	default:
		return 0;
	}
}

/* One segment through the state machine. */
static int dispatch(struct pctx *c, const struct x12_segment *s)
{
	uint32_t k = id_key(s);
	int rc = 0;
	if (c->st == E_TXN && k != K_SE && k != K_ST && k != K_GE && k != K_GS && k != K_IEA &&
	    k != K_ISA) {
		txn_store(c, s); /* the common case first */
		return 0;
	}
	if (k == K_ISA) {
		if (c->st != E_OUT && (rc = close_open(c, s, 0, NULL)) < 0)
			return rc;
		return ich_begin(c, s);
	}
	if (c->st == E_OUT)
		return 0; /* not reached: the reader hands out an ISA first */
	if (c->skip) {
		if (k == K_IEA)
			return ich_end(c, s, NULL, NULL);
		return 0;
	}
	if (k == K_IEA) {
		if ((rc = close_open(c, s, 1, NULL)) < 0)
			return rc;
		return ich_end(c, s, NULL, NULL);
	}
	if (c->orphan) {
		if (k == K_SE)
			c->orphan = 0;
		return 0;
	}
	switch (k) {
	case K_GS:
		if ((rc = close_open(c, s, 1, NULL)) < 0)
			return rc;
		return group_begin(c, s);
	case K_GE:
		if (c->st == E_TXN && (rc = txn_end(c, NULL, s)) < 0)
			return rc;
		if (c->st == E_GROUP)
			return group_end(c, s, NULL);
		misplaced(c, s, "022", "GE without a GS: functional group trailer outside a group");
		return 0;
	case K_ST:
		if (c->st == E_TXN && (rc = txn_end(c, NULL, s)) < 0)
			return rc;
		if (c->st == E_GROUP) {
			txn_begin(c, s);
			return 0;
		}
		misplaced(c, s, "022", "ST outside a functional group (no GS before it); the transaction "
			  "set is ignored");
		c->orphan = 1;
		return 0;
	case K_SE:
		if (c->st == E_TXN)
			return txn_end(c, s, NULL);
		misplaced(c, s, "022", "SE without an ST: transaction set trailer outside a set");
		return 0;
	case K_TA1:
		if (c->st == E_ICH && !c->gs_seen) {
			c->ir.ta1_segments++;
			return c->h->ta1 ? cb_rc(c, c->h->ta1(c->h->ctx, &c->ir.isa, s)) : 0;
		}
		misplaced(c, s, "024", "TA1 after the first functional group: a TA1 goes between the ISA "
			  "and the first GS");
		return 0;
	case K_ISB:
	case K_ISE:
	case K_TA3:
		/* interchange services (grade of service, deferred delivery, delivery notice) */
		if (c->st == E_ICH && !c->gs_seen)
			return 0;
		misplaced(c, s, "024", "interchange service segment after the first functional group: "
			  "ISB, ISE and TA3 go between the ISA and the first GS");
		return 0;
	default:
		break;
	}
	struct where w = where_of(s, 0);
	IERR(c, "024", &w, 0, s->elem[0], "segment outside a transaction set (only GS, GE, ST, IEA, "
	     "and before the first GS TA1, TA3, ISB or ISE, may be here)");
	return 0;
}

/* A segment over max_segment_len (the reader skipped it): the interchange is rejected. */
static void too_long(struct pctx *c, const struct x12_error *re)
{
	if (c->st == E_OUT || c->skip)
		return;
	x12_errlist_add(&c->ir.errors, re);
	if (c->st == E_TXN) {
		struct x12_error e = *re;
		e.scope = X12_SCOPE_SEGMENT;
		memcpy(e.code, "8", 2);
		e.seg_pos = ++c->t.count;
		x12_errlist_add(&c->t.res.errors, &e);
	}
}

/* Copy a reader error into the caller's *err (strings duplicated). */
static void copy_error(struct x12_error *dst, const struct x12_error *src)
{
	if (!dst)
		return;
	*dst = *src;
	dst->msg = xstrdup(src->msg ? src->msg : "error");
	dst->bad_value = src->bad_value ? xstrdup(src->bad_value) : NULL;
}

/* Read every interchange of the input and call the handler. */
int x12_parse(struct x12_reader *r, const struct x12_handler *h, struct x12_file_summary *sum,
	      struct x12_error *err)
{
	static const struct x12_handler none = { 0 };
	struct x12_file_summary dummy;
	struct pctx c;
	memset(&c, 0, sizeof c);
	if (err)
		memset(err, 0, sizeof *err);
	if (!sum)
		sum = &dummy;
	memset(sum, 0, sizeof *sum);
	c.r = r;
	c.h = h ? h : &none;
	c.sum = sum;
	c.lim = *x12_reader_limits(r);
	c.tol = *x12_reader_tolerances(r);
	x12_reader_hash_auto(r);
	if (c.h->notice)
		x12_reader_set_notice(r, c.h->notice, c.h->ctx);
	int rc = 0;
	struct x12_segment seg;
	for (;;) {
		rc = x12_reader_next(r, &seg);
		if (rc == 1) {
			sum->segments++;
			if ((rc = dispatch(&c, &seg)) < 0)
				break;
			continue;
		}
		if (rc == 0) {
			if (c.st != E_OUT)
				rc = close_open(&c, NULL, 0, NULL);
			if (rc == 0 && sum->interchanges == 0) {
				struct x12_error e;
				memset(&e, 0, sizeof e);
				e.scope = X12_SCOPE_INTERCHANGE;
				memcpy(e.code, "023", 4);
				e.line = 1;
				e.msg = (char *)"not X12: the input is empty (no ISA segment)";
				copy_error(err, &e);
				rc = -EINVAL;
			}
			break;
		}
		if (rc == -EMSGSIZE) {
			sum->segments++;
			too_long(&c, x12_reader_error(r));
			rc = 0;
			continue;
		}
		/* final reader error: close what is open with it, then report it */
		const struct x12_error *re = x12_reader_error(r);
		if (c.st != E_OUT) {
			int crc = close_open(&c, NULL, 0, re);
			if (crc < 0) {
				rc = crc;
				break;
			}
		}
		copy_error(err, re);
		break;
	}
	if (c.abort_rc) {
		rc = c.abort_rc;
		if (err)
			x12_error_free(err);
	}
	sum->bytes = x12_reader_offset(r);
	txn_free(&c.t);
	x12_errlist_free(&c.gr.errors);
	x12_errlist_free(&c.ir.errors);
	free(c.set.v);
	free(c.gset.v);
	return rc;
}
