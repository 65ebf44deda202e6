/*
 * edi_envelope.c — EDIFACT envelopes over the raw segment stream: UNB/UNZ, UNG/UNE,
 * UNH/UNT with counts and references, the decoding of every value (release characters
 * removed, the syntax level's character set checked and converted to UTF-8), and the
 * handing of complete messages to the handler (edi_parse).
 *
 * Ownership: results (and their error lists) are owned here and lent to the callbacks;
 * a struct edi_msg, its segments and values are valid during the message callback only.
 * edi_parse's *err strings belong to the caller (x12_error_free).
 *
 * Memory: one message at a time; its decoded values and bookkeeping are counted against
 * max_msg_bytes and its segments against max_segments_per_msg. A message beyond either is
 * rejected (UCS code 35 at the first segment over the limit), read to its UNT and not
 * handed to the message callback (message_end still is). Decoded values are
 * NUL-terminated in the arena (the NUL is not counted in edi_val.n).
 *
 * Findings and their scopes (doc/edifact-reader.md lists every code):
 *   UNB, UNZ and what stands between messages  -> INTERCHANGE (UCI)
 *   UNG, UNE                                   -> GROUP (UCF)
 *   UNH, UNT, missing UNT                      -> TXN (UCM; seg_id and elem/comp say where)
 *   a data segment of a message                -> SEGMENT (UCS) / ELEMENT (UCD)
 * Positions: seg_pos counts from UNH = 1 (0 outside a message), elem_pos is the data
 * element (0098), comp_pos the component (0104), rep_pos the repetition (syntax 4);
 * for an invalid character, line and offset are those of the character itself.
 *
 * Policy: every callback pair is balanced (a group or interchange cut short still gets
 * its group_end / interchange_end with the error); a handler returning <0 stops at once.
 * Messages of an interchange whose envelope is in error are still handed to the handler
 * (the verdict comes with interchange_end) except when the syntax identifier is unknown:
 * then nothing inside can be decoded and the interchange is read to its UNZ with no
 * group or message callbacks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "edifact/edi_reader_int.h"

enum estate { E_OUT = 0, E_ICH, E_GROUP, E_MSG };

/* Where a finding is. */
struct where {
	const char *tag;
	uint64_t seg_pos, file_seg, line, offset;
};

/* Segments being decoded: a message (or one envelope segment), index-based until
 * mb_fix gives every record its address. */
struct mb {
	struct edi_seg *segs;
	size_t nseg, segcap;
	size_t *seg_first;          /* index in elems of each segment's elem[0] */
	struct edi_elem *elems;
	size_t nelem, elemcap;
	size_t *elem_first;         /* index in vals of each element's first component */
	size_t *elem_next;          /* index + 1 of the next repetition, 0 none */
	struct edi_val *vals;
	size_t nval, valcap;
	size_t *val_off;            /* arena offset of each value */
	char *arena;
	size_t alen, acap;
	size_t held;                /* bytes held, against max_msg_bytes */
};

/* The message being collected. */
struct msgstate {
	struct mb b;
	uint64_t count;             /* segments UNH..UNT seen */
	int overflow;               /* a limit was hit: nothing more is kept */
	uint64_t index;
	struct edi_msg_result res;
	char version[4], release[4], agency[3], assoc[7];
};

struct pctx {
	struct edi_reader *r;
	const struct edi_handler *h;
	struct edi_file_summary *sum;
	struct edi_limits lim;
	struct edi_tolerances tol;
	enum estate st;
	int skip;                   /* the handler skipped the interchange */
	int nodecode;               /* unknown syntax identifier: read to UNZ, no callbacks */
	int orphan;                 /* inside a UNH..UNT that is ignored */
	int abort_rc;
	uint64_t ich_index;
	int saw_group, saw_loose;   /* groups / messages directly in the interchange */
	uint64_t grp_msgs;          /* messages of the open group */
	int charset_noted;          /* charset_relaxed noticed in this interchange */
	struct edi_interchange_result ir;
	struct edi_group_result gr;
	struct edi_conv conv;
	int conv_on;
	struct mb env;              /* one envelope segment */
	struct msgstate m;
	struct buf un;              /* one unescaped component */
	struct edi_delims d;        /* the interchange's service characters */
	unsigned char stop[256];    /* 1 for d.rel, d.comp, d.rep: where decode() stops */
};

/* ------------------------------------------------------------ small helpers */

/* A letter or a digit. */
static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
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

/* Copy a (UTF-8) span into a fixed field, NUL-terminated, truncated at a character
 * boundary (the value is reported too long where that matters). */
static void copy_field(char *dst, size_t cap, struct span s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	if (n < s.n)
		while (n > 0 && ((unsigned char)s.p[n] & 0xc0) == 0x80)
			n--;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* The position of raw segment s. */
static struct where where_of(const struct edi_rawseg *s, uint64_t seg_pos)
{
	return (struct where){ s->tag, seg_pos, s->index, s->line, s->offset };
}

/* Add a finding to list l. */
static void add_err(struct x12_errlist *l, enum x12_scope scope, const char *code,
		    const struct where *w, int elem, int comp, int rep, struct span bad,
		    const char *fmt, ...) EDIGW_PRINTF(9, 10);
static void add_err(struct x12_errlist *l, enum x12_scope scope, const char *code,
		    const struct where *w, int elem, int comp, int rep, struct span bad,
		    const char *fmt, ...)
{
	struct x12_error e;
	memset(&e, 0, sizeof e);
	e.scope = scope;
	size_t n = strlen(code);
	memcpy(e.code, code, n < 4 ? n : 4);
	if (w) {
		size_t k = w->tag ? strlen(w->tag) : 0, i;
		for (i = 0; i < k && i < 3 && is_alnum((unsigned char)w->tag[i]); i++)
			;
		if (i == k && k <= 3)
			memcpy(e.seg_id, w->tag, k);
		e.seg_pos = w->seg_pos;
		e.file_seg = w->file_seg;
		e.line = w->line;
		e.offset = w->offset;
	}
	e.elem_pos = elem;
	e.comp_pos = comp;
	e.rep_pos = rep;
	char *bv = NULL;
	if (bad.p && bad.n) {
		size_t bn = bad.n > 99 ? 99 : bad.n;
		if (memchr(bad.p, 0, bn))
			bv = escape_bytes(bad.p, bad.n, 40); /* a NUL would cut the copy short */
		else
			bv = span_dup((struct span){ bad.p, bn });
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

#define IERR(c, code, w, el, co, bad, ...) \
	add_err(&(c)->ir.errors, X12_SCOPE_INTERCHANGE, code, w, el, co, 0, bad, __VA_ARGS__)
#define GERR(c, code, w, el, co, bad, ...) \
	add_err(&(c)->gr.errors, X12_SCOPE_GROUP, code, w, el, co, 0, bad, __VA_ARGS__)
#define MERR(c, code, w, el, co, bad, ...) \
	add_err(&(c)->m.res.errors, X12_SCOPE_TXN, code, w, el, co, 0, bad, __VA_ARGS__)

static void notice(struct pctx *c, uint64_t line, const char *fmt, ...) EDIGW_PRINTF(3, 4);
/* A note for the handler's notice callback. */
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

/* Call a callback result through: <0 aborts the parse. */
static int cb_rc(struct pctx *c, int rc)
{
	if (rc < 0 && !c->abort_rc)
		c->abort_rc = rc;
	return rc < 0 ? rc : 0;
}

/* Two control references are equal: numerically when both are numbers, else exactly. */
static int ref_equal(struct span a, struct span b)
{
	uint64_t x, y;
	if (all_digits(a) && all_digits(b) && span_to_u64(a, &x) == 0 && span_to_u64(b, &y) == 0)
		return x == y;
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* ------------------------------------------------------------ segment builder */

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

/* Forget the segments, keep the buffers. */
static void mb_reset(struct mb *b)
{
	b->nseg = b->nelem = b->nval = b->alen = b->held = 0;
}

/* Free the buffers. */
static void mb_free(struct mb *b)
{
	free(b->segs);
	free(b->seg_first);
	free(b->elems);
	free(b->elem_first);
	free(b->elem_next);
	free(b->vals);
	free(b->val_off);
	free(b->arena);
	memset(b, 0, sizeof *b);
}

#define VAL_COST (sizeof(struct edi_val) + sizeof(size_t) + 1)
#define ELEM_COST (sizeof(struct edi_elem) + 2 * sizeof(size_t))
#define SEG_COST (sizeof(struct edi_seg) + sizeof(size_t))

/* Room for n more elements; returns the index of the first. */
static size_t mb_elems(struct mb *b, size_t n)
{
	size_t old = b->elemcap;
	b->elems = grow(b->elems, &b->elemcap, b->nelem + n, sizeof *b->elems);
	if (b->elemcap != old) {
		b->elem_first = xrealloc(b->elem_first, b->elemcap * sizeof *b->elem_first);
		b->elem_next = xrealloc(b->elem_next, b->elemcap * sizeof *b->elem_next);
	}
	size_t first = b->nelem;
	for (size_t i = first; i < first + n; i++) {
		b->elems[i].ncomp = 0;
		b->elems[i].comp = NULL;
		b->elems[i].next = NULL;
		b->elem_first[i] = b->nval;
		b->elem_next[i] = 0;
	}
	b->nelem += n;
	b->held += n * ELEM_COST;
	return first;
}

/* Append a value (n bytes, then a NUL) and count it in element e. */
static void mb_val(struct mb *b, size_t e, const char *p, size_t n)
{
	size_t old = b->valcap;
	b->vals = grow(b->vals, &b->valcap, b->nval + 1, sizeof *b->vals);
	if (b->valcap != old)
		b->val_off = xrealloc(b->val_off, b->valcap * sizeof *b->val_off);
	b->arena = grow(b->arena, &b->acap, b->alen + n + 1, 1);
	if (n)
		memcpy(b->arena + b->alen, p, n);
	b->arena[b->alen + n] = '\0';
	b->vals[b->nval].n = n;
	b->vals[b->nval].p = NULL;
	b->val_off[b->nval] = b->alen;
	b->alen += n + 1;
	b->nval++;
	b->held += VAL_COST + n;
	if (b->elems[e].ncomp == 0)
		b->elem_first[e] = b->nval - 1;
	b->elems[e].ncomp++;
}

/* Give every record its address (the arrays no longer move). */
static void mb_fix(struct mb *b)
{
	for (size_t i = 0; i < b->nval; i++)
		b->vals[i].p = b->arena + b->val_off[i];
	for (size_t i = 0; i < b->nelem; i++) {
		b->elems[i].comp = b->elems[i].ncomp ? b->vals + b->elem_first[i] : NULL;
		b->elems[i].next = b->elem_next[i] ? b->elems + (b->elem_next[i] - 1) : NULL;
	}
	for (size_t i = 0; i < b->nseg; i++)
		b->segs[i].elem = b->elems + b->seg_first[i];
}

/* What decode() needs to say where a finding is. */
struct dctx {
	struct x12_errlist *l;
	enum x12_scope scope;       /* scope of element-level findings */
	uint64_t seg_pos;
	const struct edi_rawseg *s;
};

/* Position (file offset and line) of raw byte q of segment s (in the file: through the
 * line breaks a wrapped segment lost). */
static void byte_pos(const struct edi_rawseg *s, const char *q, uint64_t *off, uint64_t *line)
{
	uint64_t lf = 0;
	size_t k = (size_t)(q - s->raw.p);
	if (!s->unwrapped) {
		for (const char *p = s->raw.p; p < q; p++)
			lf += *p == '\n';
		*off = s->offset + k;
		*line = s->line + lf;
		return;
	}
	size_t i = 0, seen = 0;
	for (; i < s->orig.n; i++) {
		char ch = s->orig.p[i];
		if (ch == '\r' || ch == '\n') {
			lf += ch == '\n';
			continue;
		}
		if (seen == k)
			break;
		seen++;
	}
	*off = s->offset + i;
	*line = s->line + lf;
}

/* A printable description of a character for messages. */
static char *char_desc(const char *p, size_t n)
{
	return escape_bytes(p, n, 8);
}

/* Decode one component (raw bytes, release characters in) into element e of b. */
static void decode_comp(struct pctx *c, struct mb *b, const struct dctx *dc, size_t e,
			const char *raw, size_t rawn, int elem, int comp, int rep)
{
	const int rel = c->d.rel ? (unsigned char)c->d.rel : -1;
	const char *v = raw;
	size_t vn = rawn;
	if (rel >= 0 && rawn && memchr(raw, rel, rawn)) {
		/* release characters removed into c->un (otherwise the raw bytes are the value) */
		struct buf *un = &c->un;
		buf_reset(un);
		size_t run = 0; /* start of the bytes not yet copied */
		for (size_t i = 0; i < rawn; i++) {
			if ((unsigned char)raw[i] != rel)
				continue;
			if (i + 1 < rawn) {
				char nx = raw[i + 1];
				int svc = nx == c->d.rel || nx == c->d.comp || nx == c->d.elem ||
					  nx == c->d.seg || (c->d.rep && nx == c->d.rep);
				if (svc) {
					buf_append(un, raw + run, i - run);
					run = i + 1; /* the released character starts the next run */
					i++;
					continue;
				}
			}
			if (!edi_tok_noticed(c->r, EDI_NK_RELEASE_OTHER)) {
				uint64_t off, line;
				byte_pos(dc->s, raw + i, &off, &line);
				char *m = xasprintf("release character before %s, which is not a service "
						    "character: both kept as data (segment %s, element %d, "
						    "component %d; first in this file, later ones not "
						    "reported)",
						    i + 1 < rawn ? "a character" : "the end of the input",
						    dc->s->tag, elem, comp);
				edi_tok_notice(c->r, EDI_NK_RELEASE_OTHER, line, m);
				free(m);
			}
		}
		buf_append(un, raw + run, rawn - run);
		v = un->data ? un->data : "";
		vn = un->len;
	}
	int strict = 1;
	/* the first character outside the level is reported; with charset_relaxed the ones
	 * tolerated are passed over, a control character after them is still an error */
	for (size_t from = 0; c->conv_on && from < vn;) {
		size_t bad = 0, badlen = 1;
		int control = 0;
		if (!edi_conv_check(&c->conv, v + from, vn - from, &bad, &badlen, &control))
			break;
		bad += from;
		/* the raw position of unescaped byte `bad` */
		size_t k = 0, i = 0;
		for (; i < rawn; i++) {
			if ((unsigned char)raw[i] == rel && i + 1 < rawn) {
				char nx = raw[i + 1];
				if (nx == c->d.rel || nx == c->d.comp || nx == c->d.elem ||
				    nx == c->d.seg || (c->d.rep && nx == c->d.rep))
					i++;
			}
			if (k == bad)
				break;
			k++;
		}
		uint64_t off, line;
		byte_pos(dc->s, raw + (i < rawn ? i : rawn), &off, &line);
		char *cd = char_desc(v + bad, badlen);
		strict = 0;
		if (c->tol.charset_relaxed && !control) {
			if (!c->charset_noted) {
				c->charset_noted = 1;
				notice(c, line, "character '%s' outside the syntax level %s (%s) at "
				       "segment %s, element %d, component %d, byte offset %llu: kept "
				       "(tolerances.charset_relaxed; later ones in this interchange "
				       "not reported)", cd, c->conv.cs->id, c->conv.cs->what,
				       dc->s->tag, elem, comp, (unsigned long long)off);
			}
			free(cd);
			from = bad + badlen;
			continue;
		}
		struct where w = { dc->s->tag, dc->seg_pos, dc->s->index, line, off };
		add_err(dc->l, dc->scope, "21", &w, elem, comp, rep, (struct span){ v + bad, badlen },
			"invalid character '%s' at byte offset %llu: %s under syntax level %s (%s)", cd,
			(unsigned long long)off,
			control ? "a control character is in no level" : "not in the character set",
			c->conv.cs->id, c->conv.cs->what);
		free(cd);
		break;
	}
	if (c->conv_on && vn) {
		struct span u = edi_conv_value(&c->conv, v, vn, strict);
		v = u.p;
		vn = u.n;
	} else if (!c->conv_on && vn) {
		/* no known level (the UNB of an unknown syntax identifier): relaxed level B */
		struct edi_conv tmp;
		edi_conv_init(&tmp, edi_charset_find(span_cstr("UNOB")), 1);
		struct span u = edi_conv_value(&tmp, v, vn, 0);
		mb_val(b, e, u.p, u.n);
		edi_conv_close(&tmp);
		return;
	}
	if (vn > c->lim.max_element_len) {
		struct where w = { dc->s->tag, dc->seg_pos, dc->s->index, dc->s->line, dc->s->offset };
		add_err(dc->l, dc->scope, "39", &w, elem, comp, rep, (struct span){ v, vn },
			"data element longer than the limit of %zu bytes (max_element_len): %zu bytes",
			c->lim.max_element_len, vn);
	}
	mb_val(b, e, v, vn);
}

/* Decode raw segment s into b (one more segment) with its findings into dc. */
static void decode(struct pctx *c, struct mb *b, const struct dctx *dc)
{
	const struct edi_rawseg *s = dc->s;
	const int rel = c->d.rel ? (unsigned char)c->d.rel : -1;
	const int rs = c->d.rep ? (unsigned char)c->d.rep : -1;
	size_t oldcap = b->segcap;
	b->segs = grow(b->segs, &b->segcap, b->nseg + 1, sizeof *b->segs);
	if (b->segcap != oldcap)
		b->seg_first = xrealloc(b->seg_first, b->segcap * sizeof *b->seg_first);
	struct edi_seg *sg = &b->segs[b->nseg];
	memset(sg, 0, sizeof *sg);
	memcpy(sg->tag, s->tag, sizeof sg->tag);
	sg->nelem = s->nelem;
	sg->file_seg = s->index;
	sg->line = s->line;
	sg->offset = s->offset;
	size_t base = mb_elems(b, s->nelem + 1);
	b->seg_first[b->nseg] = base;
	b->nseg++;
	b->held += SEG_COST;
	mb_val(b, base, s->tag, strlen(s->tag));
	struct where w = { s->tag, dc->seg_pos, s->index, s->line, s->offset };
	if (s->too_many)
		add_err(dc->l, dc->scope, "16", &w, (int)c->lim.max_elements + 1, 0, 0, SPAN_NULL,
			"more than %zu data elements in the segment (max_elements)", c->lim.max_elements);
	for (size_t k = 1; k <= s->nelem; k++) {
		struct span el = s->el[k];
		size_t slot = base + k;
		size_t nrep = 1, ncomp = 1;
		int dropped_c = 0, dropped_r = 0;
		size_t start = 0;
		const unsigned char *u = (const unsigned char *)el.p;
		for (size_t i = 0; i <= el.n; i++) {
			/* the next release character, component or repetition separator */
			while (i < el.n && !c->stop[u[i]])
				i++;
			int ch = i < el.n ? u[i] : -2;
			if (ch == rel) {
				if (i + 1 < el.n)
					i++;
				continue;
			}
			/* a component ends at i */
			if (nrep <= c->lim.max_repeats && ncomp <= c->lim.max_components)
				decode_comp(c, b, dc, slot, el.p + start, i - start, (int)k, (int)ncomp,
					    c->d.rep ? (int)nrep : 0);
			else if (nrep <= c->lim.max_repeats && !dropped_c) {
				dropped_c = 1;
				add_err(dc->l, dc->scope, "16", &w, (int)k, (int)ncomp, c->d.rep ? (int)nrep : 0,
					SPAN_NULL, "more than %zu components in the data element "
					"(max_components)", c->lim.max_components);
			}
			start = i + 1;
			ncomp++;
			if (ch == rs) {
				nrep++;
				ncomp = 1;
				if (nrep > c->lim.max_repeats) {
					if (!dropped_r) {
						dropped_r = 1;
						add_err(dc->l, dc->scope, "35", &w, (int)k, 0, (int)nrep, SPAN_NULL,
							"more than %zu repetitions of the data element "
							"(max_repeats)", c->lim.max_repeats);
					}
					continue;
				}
				size_t ne = mb_elems(b, 1);
				b->elem_next[slot] = ne + 1;
				slot = ne;
			}
		}
	}
}

/* ---------------------------------------------------------------- envelope values */

/* Decode envelope segment s into the scratch builder; findings at scope. */
static const struct edi_seg *decode_env(struct pctx *c, const struct edi_rawseg *s,
					struct x12_errlist *l, enum x12_scope scope)
{
	mb_reset(&c->env);
	struct dctx dc = { l, scope, 0, s };
	decode(c, &c->env, &dc);
	mb_fix(&c->env);
	return &c->env.segs[0];
}

/* Value of component k of element e of a decoded segment, as a span. */
static struct span val(const struct edi_seg *g, size_t e, size_t k)
{
	struct edi_val v = edi_seg_val(g, e, k);
	return (struct span){ v.p, v.n };
}

/* A required value: missing -> code 13, longer than max -> code 39; copied into dst. */
static void want(struct x12_errlist *l, enum x12_scope scope, const struct where *w,
		 const struct edi_seg *g, size_t e, size_t k, size_t max, char *dst, size_t cap,
		 int required, const char *what)
{
	struct span v = val(g, e, k);
	if (dst)
		copy_field(dst, cap, v);
	if (v.n == 0) {
		if (required)
			add_err(l, scope, "13", w, (int)e, (int)k, 0, SPAN_NULL, "%s missing", what);
		return;
	}
	size_t chars = 0;
	for (size_t i = 0; i < v.n; i++)
		chars += ((unsigned char)v.p[i] & 0xc0) != 0x80; /* UTF-8: count the characters */
	if (max && chars > max)
		add_err(l, scope, "39", w, (int)e, (int)k, 0, v, "%s longer than %zu characters", what, max);
}

/* Two digits as a number. */
static int num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* YYMMDD (6) or CCYYMMDD (8) digits forming a calendar date. */
static int date_ok(struct span s, size_t len)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (s.n != len || !all_digits(s))
		return 0;
	const char *p = s.p + (len == 8 ? 2 : 0);
	int y = len == 8 ? num2(s.p) * 100 + num2(s.p + 2) : 2000 + num2(s.p);
	int mm = num2(p + 2), dd = num2(p + 4);
	if (mm < 1 || mm > 12 || dd < 1 || dd > mdays[mm - 1])
		return 0;
	if (mm == 2 && dd == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return 1;
}

/* HHMM forming a time of day. */
static int time_ok(struct span s)
{
	return s.n == 4 && all_digits(s) && num2(s.p) <= 23 && num2(s.p + 2) <= 59;
}

/* Date and time (S004) of a UNB or UNG: a real date of 6 or 8 digits (the one the syntax
 * version does not say is accepted with a notice: files in the wild write YYMMDD in
 * syntax 4) and a real HHMM time. */
static void check_s004(struct pctx *c, struct x12_errlist *l, enum x12_scope scope,
		       const struct where *w, const struct edi_seg *g, size_t e, int version,
		       int required)
{
	struct span d = val(g, e, 1), t = val(g, e, 2);
	size_t dl = version >= 4 ? 8 : 6, other = version >= 4 ? 6 : 8;
	if (d.n == 0 && required)
		add_err(l, scope, "13", w, (int)e, 1, 0, SPAN_NULL, "date of preparation (0017) missing");
	else if (d.n == other && date_ok(d, other))
		notice(c, w->line, "%s date of preparation '%.*s' is %s in syntax version %d (%s "
		       "expected): accepted", w->tag, (int)d.n, d.p, other == 8 ? "CCYYMMDD" : "YYMMDD",
		       version, dl == 8 ? "CCYYMMDD" : "YYMMDD");
	else if (d.n && !date_ok(d, dl))
		add_err(l, scope, "12", w, (int)e, 1, 0, d, "date of preparation (0017) is not a date "
			"(%s in syntax version %d)", dl == 8 ? "CCYYMMDD" : "YYMMDD", version);
	if (t.n == 0 && required)
		add_err(l, scope, "13", w, (int)e, 2, 0, SPAN_NULL, "time of preparation (0019) missing");
	else if (t.n && !time_ok(t))
		add_err(l, scope, "12", w, (int)e, 2, 0, t, "time of preparation (0019) is not a time (HHMM)");
}

/* ---------------------------------------------------------------- messages */

/* Message findings that need no definition, for a data segment at position pos. */
static void seg_checks(struct pctx *c, const struct edi_rawseg *s, uint64_t pos)
{
	struct span el0 = s->el[0];
	int ok = strlen(s->tag) == 3;
	for (size_t i = 0; ok && i < 3; i++)
		if (!((s->tag[i] >= 'A' && s->tag[i] <= 'Z') || (s->tag[i] >= '0' && s->tag[i] <= '9')))
			ok = 0;
	if (!ok) {
		struct where w = where_of(s, pos);
		add_err(&c->m.res.errors, X12_SCOPE_SEGMENT, "12", &w, 0, 0, 0, el0,
			"segment tag is not 3 upper-case letters or digits");
	}
}

/* Keep segment s of the message being collected, within the limits. Returns the decoded
 * segment: in the message, or (once the message is over a limit) in the scratch builder;
 * with its addresses fixed when fix is set. */
static const struct edi_seg *msg_store(struct pctx *c, const struct edi_rawseg *s,
				       enum x12_scope scope, int fix)
{
	struct msgstate *m = &c->m;
	m->count++;
	if (scope == X12_SCOPE_ELEMENT)
		seg_checks(c, s, m->count);
	struct dctx dc = { &m->res.errors, scope, m->count, s };
	if (!m->overflow) {
		const char *why = NULL;
		size_t limit = 0;
		if (m->count > c->lim.max_segments_per_msg) {
			why = "max_segments_per_msg";
			limit = c->lim.max_segments_per_msg;
		} else {
			struct mb *b = &m->b;
			size_t nseg = b->nseg, nelem = b->nelem, nval = b->nval, alen = b->alen;
			size_t held = b->held;
			decode(c, b, &dc);
			if (b->held <= c->lim.max_msg_bytes) {
				if (fix)
					mb_fix(b);
				return &b->segs[b->nseg - 1];
			}
			b->nseg = nseg;
			b->nelem = nelem;
			b->nval = nval;
			b->alen = alen;
			b->held = held;
			why = "max_msg_bytes";
			limit = c->lim.max_msg_bytes;
		}
		struct where w = where_of(s, m->count);
		add_err(&m->res.errors, X12_SCOPE_SEGMENT, "35", &w, 0, 0, 0, SPAN_NULL,
			"message larger than the limit (%s = %zu); the message is rejected", why, limit);
		m->overflow = 1;
		if (strcmp(why, "max_msg_bytes") == 0) {
			/* its findings are already in: decode it again for its values only */
			struct x12_errlist drop = { 0 };
			struct dctx dd = { &drop, scope, m->count, s };
			mb_reset(&c->env);
			decode(c, &c->env, &dd);
			x12_errlist_free(&drop);
			mb_fix(&c->env);
			return &c->env.segs[0];
		}
	}
	/* not kept, but its characters are still checked */
	mb_reset(&c->env);
	decode(c, &c->env, &dc);
	mb_fix(&c->env);
	return &c->env.segs[0];
}

/* A new message at UNH. */
static void msg_begin(struct pctx *c, const struct edi_rawseg *s)
{
	struct msgstate *m = &c->m;
	mb_reset(&m->b);
	m->count = 0;
	m->overflow = 0;
	memset(&m->res, 0, sizeof m->res);
	m->version[0] = m->release[0] = m->agency[0] = m->assoc[0] = '\0';
	c->ir.messages++;
	c->sum->messages++;
	if (c->st == E_GROUP) {
		m->index = ++c->grp_msgs;
		c->gr.received++;
	} else {
		m->index = c->ir.messages;
	}
	c->st = E_MSG;
	const struct edi_seg *g = msg_store(c, s, X12_SCOPE_TXN, 1);
	struct where w = where_of(s, 1);
	struct x12_errlist *l = &m->res.errors;
	want(l, X12_SCOPE_TXN, &w, g, 1, 1, 14, m->res.ref, sizeof m->res.ref, 1,
	     "message reference number (UNH 0062)");
	want(l, X12_SCOPE_TXN, &w, g, 2, 1, 6, m->res.type, sizeof m->res.type, 1,
	     "message type (UNH 0065)");
	want(l, X12_SCOPE_TXN, &w, g, 2, 2, 3, m->version, sizeof m->version, 1,
	     "message version number (UNH 0052)");
	want(l, X12_SCOPE_TXN, &w, g, 2, 3, 3, m->release, sizeof m->release, 1,
	     "message release number (UNH 0054)");
	want(l, X12_SCOPE_TXN, &w, g, 2, 4, 2, m->agency, sizeof m->agency, 1,
	     "controlling agency (UNH 0051)");
	want(l, X12_SCOPE_TXN, &w, g, 2, 5, 6, m->assoc, sizeof m->assoc, 0,
	     "association assigned code (UNH 0057)");
}

/* The message ends at unt (NULL: UNT missing; at = the segment that ended it or NULL). */
static int msg_end(struct pctx *c, const struct edi_rawseg *unt, const struct edi_rawseg *at)
{
	struct msgstate *m = &c->m;
	struct edi_msg_result *res = &m->res;
	int rc = 0;
	if (unt) {
		const struct edi_seg *g = msg_store(c, unt, X12_SCOPE_TXN, 1);
		struct where w = where_of(unt, m->count);
		{
			struct span n74 = val(g, 1, 1), r62 = val(g, 2, 1);
			uint64_t n;
			if (n74.n == 0)
				MERR(c, "13", &w, 1, 1, SPAN_NULL, "UNT number of segments (0074) missing "
				     "(%llu segments received, UNH through UNT)", (unsigned long long)m->count);
			else if (!all_digits(n74) || span_to_u64(n74, &n) != 0)
				MERR(c, "12", &w, 1, 1, n74, "UNT number of segments (0074) is not a number "
				     "(%llu segments received, UNH through UNT)", (unsigned long long)m->count);
			else if (n != m->count && !c->tol.wrong_counts)
				MERR(c, "29", &w, 1, 1, n74, "UNT number of segments (0074) %llu does not match "
				     "the %llu segments received (UNH through UNT)", (unsigned long long)n,
				     (unsigned long long)m->count);
			else if (n != m->count)
				notice(c, unt->line, "UNT number of segments %llu does not match the %llu "
				       "received (UNH through UNT): accepted by tolerances.wrong_counts",
				       (unsigned long long)n, (unsigned long long)m->count);
			if (r62.n == 0)
				MERR(c, "13", &w, 2, 1, SPAN_NULL, "UNT message reference number (0062) missing");
			else if (!ref_equal(r62, span_cstr(res->ref)))
				MERR(c, "28", &w, 2, 1, r62, "UNT message reference number (0062) does not "
				     "match UNH '%s'", res->ref);
		}
	} else {
		struct where w = { "UNT", m->count + 1, at ? at->index : 0, at ? at->line : 0,
				   at ? at->offset : 0 };
		MERR(c, "13", &w, 0, 0, SPAN_NULL, "message trailer UNT missing: %s%s",
		     at ? "the message ends at " : "the input ends inside the message", at ? at->tag : "");
	}
	res->seg_count = m->count;
	if (!m->overflow && c->h->message) {
		mb_fix(&m->b);
		struct edi_msg msg;
		memset(&msg, 0, sizeof msg);
		memcpy(msg.ref, res->ref, sizeof msg.ref);
		memcpy(msg.type, res->type, sizeof msg.type);
		memcpy(msg.version, m->version, sizeof msg.version);
		memcpy(msg.release, m->release, sizeof msg.release);
		memcpy(msg.agency, m->agency, sizeof msg.agency);
		memcpy(msg.assoc, m->assoc, sizeof msg.assoc);
		msg.nseg = m->b.nseg;
		msg.segs = m->b.segs;
		msg.unb = &c->ir.unb;
		msg.ung = c->gr.ung.file_seg ? &c->gr.ung : NULL;
		msg.delims = &c->ir.unb.delims;
		msg.index = m->index;
		rc = cb_rc(c, c->h->message(c->h->ctx, &msg, res));
	}
	if (rc == 0) {
		edi_msg_result_finish(res);
		if (res->action == EDI_ACTION_ACCEPTED) {
			if (c->gr.ung.file_seg)
				c->gr.accepted++;
		} else {
			c->sum->rejected_messages++;
		}
		if (c->h->message_end)
			rc = cb_rc(c, c->h->message_end(c->h->ctx, res));
	}
	edi_msg_result_free(res);
	m->count = 0;
	c->st = c->gr.ung.file_seg ? E_GROUP : E_ICH;
	return rc;
}

/* ---------------------------------------------------------------- groups */

/* A new group at UNG. */
static int group_begin(struct pctx *c, const struct edi_rawseg *s)
{
	struct edi_group_result *g = &c->gr;
	memset(g, 0, sizeof *g);
	c->grp_msgs = 0;
	c->ir.groups++;
	c->sum->groups++;
	struct edi_ung *u = &g->ung;
	u->file_seg = s->index;
	u->line = s->line;
	u->index = c->ir.groups;
	struct where w = where_of(s, 0);
	if (c->saw_loose)
		IERR(c, "30", &w, 0, 0, SPAN_NULL, "UNG after messages that are not in a group: an "
		     "interchange holds either groups or messages");
	c->saw_group = 1;
	const struct edi_seg *e = decode_env(c, s, &g->errors, X12_SCOPE_GROUP);
	struct x12_errlist *l = &g->errors;
	want(l, X12_SCOPE_GROUP, &w, e, 1, 1, 6, u->group_id, sizeof u->group_id, 1,
	     "message group identification (UNG 0038)");
	want(l, X12_SCOPE_GROUP, &w, e, 2, 1, 35, u->sender, sizeof u->sender, 0,
	     "application sender identification (UNG 0040)");
	want(l, X12_SCOPE_GROUP, &w, e, 2, 2, 4, u->sender_qual, sizeof u->sender_qual, 0,
	     "identification code qualifier (UNG 0007)");
	want(l, X12_SCOPE_GROUP, &w, e, 3, 1, 35, u->recipient, sizeof u->recipient, 0,
	     "application recipient identification (UNG 0044)");
	want(l, X12_SCOPE_GROUP, &w, e, 3, 2, 4, u->recipient_qual, sizeof u->recipient_qual, 0,
	     "identification code qualifier (UNG 0007)");
	copy_field(u->date, sizeof u->date, val(e, 4, 1));
	copy_field(u->time, sizeof u->time, val(e, 4, 2));
	check_s004(c, l, X12_SCOPE_GROUP, &w, e, 4, c->ir.unb.syntax_version, 0);
	want(l, X12_SCOPE_GROUP, &w, e, 5, 1, 14, u->ref, sizeof u->ref, 1,
	     "group reference number (UNG 0048)");
	want(l, X12_SCOPE_GROUP, &w, e, 6, 1, 2, u->agency, sizeof u->agency, 0,
	     "controlling agency (UNG 0051)");
	want(l, X12_SCOPE_GROUP, &w, e, 7, 1, 3, u->version, sizeof u->version, 0,
	     "message version number (UNG 0052)");
	want(l, X12_SCOPE_GROUP, &w, e, 7, 2, 3, u->release, sizeof u->release, 0,
	     "message release number (UNG 0054)");
	want(l, X12_SCOPE_GROUP, &w, e, 7, 3, 6, u->assoc, sizeof u->assoc, 0,
	     "association assigned code (UNG 0057)");
	c->st = E_GROUP;
	if (c->h->group_begin)
		return cb_rc(c, c->h->group_begin(c->h->ctx, &c->ir.unb, u));
	return 0;
}

/* The group ends at une (NULL: missing; at = the segment that ended it or NULL). */
static int group_end(struct pctx *c, const struct edi_rawseg *une, const struct edi_rawseg *at)
{
	struct edi_group_result *g = &c->gr;
	int rc = 0;
	g->declared = g->received;
	if (une) {
		g->have_une = 1;
		struct where w = where_of(une, 0);
		const struct edi_seg *e = decode_env(c, une, &g->errors, X12_SCOPE_GROUP);
		struct span n60 = val(e, 1, 1), r48 = val(e, 2, 1);
		uint64_t n;
		if (n60.n && all_digits(n60) && span_to_u64(n60, &n) == 0)
			g->declared = n;
		if (n60.n == 0)
			GERR(c, "13", &w, 1, 1, SPAN_NULL, "UNE number of messages (0060) missing (%llu received)",
			     (unsigned long long)g->received);
		else if (!all_digits(n60) || span_to_u64(n60, &n) != 0)
			GERR(c, "12", &w, 1, 1, n60, "UNE number of messages (0060) is not a number (%llu received)",
			     (unsigned long long)g->received);
		else if (n != g->received && !c->tol.wrong_counts)
			GERR(c, "29", &w, 1, 1, n60, "UNE number of messages (0060) %llu does not match the %llu "
			     "received", (unsigned long long)n, (unsigned long long)g->received);
		else if (n != g->received)
			notice(c, une->line, "UNE number of messages %llu does not match the %llu received: "
			       "accepted by tolerances.wrong_counts", (unsigned long long)n,
			       (unsigned long long)g->received);
		if (r48.n == 0)
			GERR(c, "13", &w, 2, 1, SPAN_NULL, "UNE group reference number (0048) missing");
		else if (!ref_equal(r48, span_cstr(g->ung.ref)))
			GERR(c, "28", &w, 2, 1, r48, "UNE group reference number (0048) does not match UNG '%s'",
			     g->ung.ref);
	} else {
		struct where w = { "UNE", 0, at ? at->index : 0, at ? at->line : 0, at ? at->offset : 0 };
		GERR(c, "13", &w, 0, 0, SPAN_NULL, "group trailer UNE missing: %s%s",
		     at ? "the group ends at " : "the input ends inside the group", at ? at->tag : "");
	}
	if (g->errors.n || g->errors.dropped) {
		g->action = EDI_ACTION_REJECTED;
		memcpy(g->code, g->errors.v[0].code, 4);
		g->code[3] = '\0';
		c->sum->rejected_groups++;
	} else {
		g->action = EDI_ACTION_ACCEPTED;
		g->code[0] = '\0';
	}
	if (c->h->group_end)
		rc = cb_rc(c, c->h->group_end(c->h->ctx, g));
	x12_errlist_free(&g->errors);
	memset(&g->ung, 0, sizeof g->ung);
	c->st = E_ICH;
	return rc;
}

/* ---------------------------------------------------------------- interchanges */

/* A new interchange at its UNB. */
static int ich_begin(struct pctx *c, const struct edi_rawseg *s)
{
	struct edi_interchange_result *ir = &c->ir;
	memset(ir, 0, sizeof *ir);
	memset(&c->gr, 0, sizeof c->gr);
	c->skip = c->nodecode = c->orphan = 0;
	c->saw_group = c->saw_loose = 0;
	c->charset_noted = 0;
	struct edi_unb *u = &ir->unb;
	c->d = *edi_tok_delims(c->r);
	u->delims = c->d;
	memset(c->stop, 0, sizeof c->stop);
	c->stop[(unsigned char)c->d.comp] = 1;
	if (c->d.rel)
		c->stop[(unsigned char)c->d.rel] = 1;
	if (c->d.rep)
		c->stop[(unsigned char)c->d.rep] = 1;
	u->una = edi_tok_una(c->r);
	u->file_seg = s->index;
	u->line = s->line;
	u->offset = s->ich_offset;
	u->index = ++c->ich_index;
	c->sum->interchanges++;
	struct where w = where_of(s, 0);
	/* the syntax identifier first: it says how to decode the rest */
	struct span el1 = s->nelem >= 1 ? s->el[1] : SPAN_NULL;
	size_t idn = 0;
	while (idn < el1.n && el1.p[idn] != c->d.comp)
		idn++;
	struct span sid = { el1.p, idn };
	const struct edi_charset *cs = edi_charset_find(sid);
	if (c->conv_on)
		edi_conv_close(&c->conv);
	c->conv_on = 0;
	if (cs) {
		edi_conv_init(&c->conv, cs, c->tol.charset_relaxed);
		c->conv_on = 1;
	}
	const struct edi_seg *e = decode_env(c, s, &ir->errors, X12_SCOPE_INTERCHANGE);
	struct x12_errlist *l = &ir->errors;
	struct span id = val(e, 1, 1), ver = val(e, 1, 2);
	copy_field(u->syntax_id, sizeof u->syntax_id, id);
	if (id.n == 0)
		IERR(c, "13", &w, 1, 1, SPAN_NULL, "syntax identifier (UNB 0001) missing");
	else if (!cs)
		IERR(c, "2", &w, 1, 1, id, "syntax identifier '%s' not supported (UNOA, UNOB, UNOC, "
		     "UNOD, UNOE, UNOF, UNOG, UNOH, UNOI, UNOJ, UNOK, UNOW, UNOY, IATA, IATB are)",
		     u->syntax_id);
	if (ver.n == 0) {
		IERR(c, "13", &w, 1, 2, SPAN_NULL, "syntax version number (UNB 0002) missing");
	} else if (ver.n != 1 || ver.p[0] < '1' || ver.p[0] > '4') {
		IERR(c, "2", &w, 1, 2, ver, "syntax version number '%.*s' not supported (1 to 4 are)",
		     (int)(ver.n > 8 ? 8 : ver.n), ver.p);
	} else {
		u->syntax_version = ver.p[0] - '0';
	}
	int sv = u->syntax_version ? u->syntax_version : 3;
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 2, 1, 35, u->sender, sizeof u->sender, 1,
	     "interchange sender identification (UNB 0004)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 2, 2, 4, u->sender_qual, sizeof u->sender_qual, 0,
	     "partner identification code qualifier (UNB 0007)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 2, 3, sv >= 4 ? 35 : 14, u->sender_route,
	     sizeof u->sender_route, 0, "address for reverse routing (UNB 0008)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 3, 1, 35, u->recipient, sizeof u->recipient, 1,
	     "interchange recipient identification (UNB 0010)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 3, 2, 4, u->recipient_qual, sizeof u->recipient_qual, 0,
	     "partner identification code qualifier (UNB 0007)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 3, 3, sv >= 4 ? 35 : 14, u->recipient_route,
	     sizeof u->recipient_route, 0, "routing address (UNB 0014)");
	copy_field(u->date, sizeof u->date, val(e, 4, 1));
	copy_field(u->time, sizeof u->time, val(e, 4, 2));
	check_s004(c, l, X12_SCOPE_INTERCHANGE, &w, e, 4, sv, 1);
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 5, 1, 14, u->ref, sizeof u->ref, 1,
	     "interchange control reference (UNB 0020)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 7, 1, 14, u->app_ref, sizeof u->app_ref, 0,
	     "application reference (UNB 0026)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 9, 1, 1, u->ack_request, sizeof u->ack_request, 0,
	     "acknowledgement request (UNB 0031)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 10, 1, 35, u->agreement, sizeof u->agreement, 0,
	     "interchange agreement identifier (UNB 0032)");
	want(l, X12_SCOPE_INTERCHANGE, &w, e, 11, 1, 1, u->test, sizeof u->test, 0,
	     "test indicator (UNB 0035)");
	if (s->nelem > 11)
		IERR(c, "16", &w, 12, 0, SPAN_NULL, "UNB has more than 11 data elements");
	c->nodecode = !cs;
	c->st = E_ICH;
	if (!c->nodecode && c->h->interchange_begin) {
		int rc = c->h->interchange_begin(c->h->ctx, u);
		if (rc < 0)
			return cb_rc(c, rc);
		if (rc == EDI_SKIP)
			c->skip = 1;
	}
	return 0;
}

/* The interchange ends at unz (NULL: missing; at = what ended it; fatal = a reader error). */
static int ich_end(struct pctx *c, const struct edi_rawseg *unz, const struct edi_rawseg *at,
		   const struct x12_error *fatal)
{
	struct edi_interchange_result *ir = &c->ir;
	int rc = 0;
	uint64_t count = c->saw_group ? ir->groups : ir->messages;
	if (unz && !c->skip) {
		struct where w = where_of(unz, 0);
		const struct edi_seg *e = decode_env(c, unz, &ir->errors, X12_SCOPE_INTERCHANGE);
		struct span n36 = val(e, 1, 1), r20 = val(e, 2, 1);
		uint64_t n;
		ir->declared = count;
		if (n36.n && all_digits(n36) && span_to_u64(n36, &n) == 0)
			ir->declared = n;
		if (c->nodecode) {
			/* nothing inside was read: only the reference is checked */
		} else if (n36.n == 0)
			IERR(c, "13", &w, 1, 1, SPAN_NULL, "UNZ interchange control count (0036) missing");
		else if (!all_digits(n36) || span_to_u64(n36, &n) != 0)
			IERR(c, "12", &w, 1, 1, n36, "UNZ interchange control count (0036) is not a number");
		else if (n != count && !c->tol.wrong_counts)
			IERR(c, "29", &w, 1, 1, n36, "UNZ interchange control count (0036) %llu does not match "
			     "the %llu %s received", (unsigned long long)n, (unsigned long long)count,
			     c->saw_group ? "groups" : "messages");
		else if (n != count)
			notice(c, unz->line, "UNZ interchange control count %llu does not match the %llu %s "
			       "received: accepted by tolerances.wrong_counts", (unsigned long long)n,
			       (unsigned long long)count, c->saw_group ? "groups" : "messages");
		if (r20.n == 0)
			IERR(c, "13", &w, 2, 1, SPAN_NULL, "UNZ interchange control reference (0020) missing");
		else if (!ref_equal(r20, span_cstr(ir->unb.ref)))
			IERR(c, "28", &w, 2, 1, r20, "UNZ interchange control reference (0020) does not match "
			     "UNB '%s'", ir->unb.ref);
	} else if (c->skip) {
		ir->skipped = 1;
	} else if (fatal) {
		struct x12_error e = *fatal;
		x12_errlist_add(&ir->errors, &e);
	} else {
		struct where w = { "UNZ", 0, at ? at->index : 0, at ? at->line : 0, at ? at->offset : 0 };
		IERR(c, "13", &w, 0, 0, SPAN_NULL, "interchange trailer UNZ missing: %s",
		     at ? "a new interchange begins" : "the input ends inside the interchange");
	}
	if (!unz)
		ir->declared = count;
	edi_tok_take_hash(c->r, ir->sha256);
	if (ir->errors.n || ir->errors.dropped) {
		ir->action = EDI_ACTION_REJECTED;
		memcpy(ir->code, ir->errors.v[0].code, 4);
		ir->code[3] = '\0';
		ir->envelope_ok = 0;
		c->sum->rejected_interchanges++;
	} else {
		ir->action = c->skip ? EDI_ACTION_RECEIVED : EDI_ACTION_ACCEPTED;
		ir->code[0] = '\0';
		ir->envelope_ok = 1;
	}
	if (c->h->interchange_end)
		rc = cb_rc(c, c->h->interchange_end(c->h->ctx, ir));
	x12_errlist_free(&ir->errors);
	if (c->conv_on)
		edi_conv_close(&c->conv);
	c->conv_on = 0;
	c->st = E_OUT;
	c->skip = c->nodecode = c->orphan = 0;
	return rc;
}

/* Close whatever is open because of segment at (NULL: end of input). */
static int close_open(struct pctx *c, const struct edi_rawseg *at, int upto_group,
		      const struct x12_error *fatal)
{
	int rc = 0;
	if (c->st == E_MSG && (rc = msg_end(c, NULL, at)) < 0)
		return rc;
	if (c->st == E_GROUP && (rc = group_end(c, NULL, at)) < 0)
		return rc;
	if (upto_group)
		return 0;
	if (c->st == E_ICH)
		rc = ich_end(c, NULL, at, fatal);
	return rc;
}

/* ---------------------------------------------------------------- dispatch */

#define TAG(a, b, c) ((uint32_t)(unsigned char)(a) | (uint32_t)(unsigned char)(b) << 8 | \
		      (uint32_t)(unsigned char)(c) << 16)
enum {
	K_UNB = TAG('U', 'N', 'B'), K_UNZ = TAG('U', 'N', 'Z'), K_UNG = TAG('U', 'N', 'G'),
	K_UNE = TAG('U', 'N', 'E'), K_UNH = TAG('U', 'N', 'H'), K_UNT = TAG('U', 'N', 'T'),
};

/* The tag as a number (0 when it is not 3 bytes). */
static uint32_t tag_key(const struct edi_rawseg *s)
{
	if (strlen(s->tag) != 3)
		return 0;
	return TAG(s->tag[0], s->tag[1], s->tag[2]);
}

/* A segment that is not where it may be: at the interchange or group level. */
static void misplaced(struct pctx *c, const struct edi_rawseg *s, const char *code, const char *what)
{
	struct where w = where_of(s, 0);
	if (c->st == E_GROUP)
		GERR(c, code, &w, 0, 0, SPAN_NULL, "%s", what);
	else
		IERR(c, code, &w, 0, 0, SPAN_NULL, "%s", what);
}

/* One segment through the state machine. */
static int dispatch(struct pctx *c, const struct edi_rawseg *s)
{
	uint32_t k = tag_key(s);
	int rc = 0;
	if (s->starts_ich) {
		if (c->st != E_OUT && (rc = close_open(c, s, 0, NULL)) < 0)
			return rc;
		return ich_begin(c, s);
	}
	if (c->st == E_OUT)
		return 0; /* not reached: the reader hands out a UNB first */
	if (c->st == E_MSG && k != K_UNT && k != K_UNH && k != K_UNE && k != K_UNG && k != K_UNZ) {
		msg_store(c, s, X12_SCOPE_ELEMENT, 0);
		return 0;
	}
	if (c->skip || c->nodecode) {
		if (k == K_UNZ)
			return ich_end(c, s, NULL, NULL);
		return 0;
	}
	if (k == K_UNZ) {
		if ((rc = close_open(c, s, 1, NULL)) < 0)
			return rc;
		return ich_end(c, s, NULL, NULL);
	}
	if (c->orphan) {
		if (k == K_UNT)
			c->orphan = 0;
		return 0;
	}
	switch (k) {
	case K_UNG:
		if ((rc = close_open(c, s, 1, NULL)) < 0)
			return rc;
		return group_begin(c, s);
	case K_UNE:
		if (c->st == E_MSG && (rc = msg_end(c, NULL, s)) < 0)
			return rc;
		if (c->st == E_GROUP)
			return group_end(c, s, NULL);
		misplaced(c, s, "33", "UNE without a UNG: group trailer outside a group");
		return 0;
	case K_UNH:
		if (c->st == E_MSG && (rc = msg_end(c, NULL, s)) < 0)
			return rc;
		if (c->st == E_ICH) {
			if (c->saw_group) {
				struct where w = where_of(s, 0);
				IERR(c, "30", &w, 0, 0, SPAN_NULL, "UNH outside a group in an interchange "
				     "that uses groups: an interchange holds either groups or messages");
			}
			c->saw_loose = 1;
		}
		msg_begin(c, s);
		return 0;
	case K_UNT:
		if (c->st == E_MSG)
			return msg_end(c, s, NULL);
		misplaced(c, s, "33", "UNT without a UNH: message trailer outside a message");
		return 0;
	default:
		break;
	}
	struct where w = where_of(s, 0);
	struct span tag = s->el[0];
	if (c->st == E_GROUP)
		GERR(c, "33", &w, 0, 0, tag, "segment outside a message (only UNG, UNE, UNH and UNZ may "
		     "stand between messages)");
	else
		IERR(c, "33", &w, 0, 0, tag, "segment outside a message (only UNG, UNE, UNH and UNZ may "
		     "stand between messages)");
	return 0;
}

/* A segment over max_segment_len (the reader skipped it). */
static void too_long(struct pctx *c, const struct x12_error *re)
{
	if (c->st == E_OUT || c->skip || c->nodecode)
		return;
	struct x12_error e = *re;
	if (c->st == E_MSG) {
		e.scope = X12_SCOPE_SEGMENT;
		e.seg_pos = ++c->m.count;
		x12_errlist_add(&c->m.res.errors, &e);
	} else if (c->st == E_GROUP) {
		e.scope = X12_SCOPE_GROUP;
		x12_errlist_add(&c->gr.errors, &e);
	} else {
		x12_errlist_add(&c->ir.errors, &e);
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
int edi_parse(struct edi_reader *r, const struct edi_handler *h, struct edi_file_summary *sum,
	      struct x12_error *err)
{
	static const struct edi_handler none = { 0 };
	struct edi_file_summary dummy;
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
	c.lim = *edi_tok_limits(r);
	c.tol = *edi_tok_tolerances(r);
	buf_init(&c.un, 0);
	edi_tok_hash_auto(r);
	if (c.h->notice)
		edi_reader_set_notice(r, c.h->notice, c.h->ctx);
	int rc = 0;
	struct edi_rawseg seg;
	for (;;) {
		rc = edi_tok_next(r, &seg);
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
				memcpy(e.code, "13", 3);
				e.line = 1;
				e.msg = (char *)"not EDIFACT: the input is empty (no UNA or UNB)";
				copy_error(err, &e);
				rc = -EINVAL;
			}
			break;
		}
		if (rc == -EMSGSIZE) {
			sum->segments++;
			too_long(&c, edi_tok_error(r));
			rc = 0;
			continue;
		}
		const struct x12_error *re = edi_tok_error(r);
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
	sum->bytes = edi_tok_offset(r);
	edi_msg_result_free(&c.m.res);
	mb_free(&c.m.b);
	mb_free(&c.env);
	x12_errlist_free(&c.gr.errors);
	x12_errlist_free(&c.ir.errors);
	if (c.conv_on)
		edi_conv_close(&c.conv);
	buf_free(&c.un);
	return rc;
}
