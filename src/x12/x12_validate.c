/*
 * x12_validate — checks one X12 transaction set against its compiled
 * definition (x12_schema.c): the segment table as a state machine over
 * entry indexes and a loop stack (order, usage, max use, loop repeats,
 * nesting), the HL hierarchy, and every element (usage, type, length,
 * codes, repetitions, components, relational conditions P R C E L).
 *
 * Functions: x12_schema_validate, x12_schema_validate_warn.
 *
 * Partner bytes are hostile: values are read through spans and never
 * copied into fixed arrays beyond the 99 bytes of an AK404 copy; loop
 * nesting and HL depth are bounded by max_loop_depth. State is allocated
 * once per transaction set; the hot path compares integers.
 *
 * Recovery: a segment that does not fit the table is reported and skipped
 * without moving the position, so one stray segment gives one error.
 *
 * EDIFACT: a definition loaded from an EDIFACT release directory is checked the
 * same way (the message seen through its X12 view, src/edifact/edifact.h) and
 * its findings carry ISO 9735 syntax error codes (0085) instead of AK304/AK403:
 * edi_code() is the one table between the two (doc/edifact-schemas.md); the
 * checks only EDIFACT has (numeric and alphabetic formats, a component in a
 * simple data element) report their 0085 code directly.
 */
#define X12_SCHEMA_INTERNAL
#include "x12/x12_schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct hlnode {
	uint64_t id;
	int level;
	size_t depth;
};

struct vst {
	const struct x12_txn_def *def;
	const struct xs_ver *ver;
	const struct x12_txn *txn;
	struct x12_errlist *errs, *warns;
	int nfound;
	uint32_t *count;
	int stack[X12_SCHEMA_MAX_NEST + 1]; /* stack[1..depth]: open loops */
	const struct x12_tseg *trig[X12_SCHEMA_MAX_NEST + 1]; /* the segment that opened each */
	size_t pos[X12_SCHEMA_MAX_NEST + 1];
	int depth;
	size_t maxdepth;
	struct hlnode *hl;
	size_t nhl, hlcap;
	char comp, rep;
	int edi;                /* EDIFACT definition: 0085 codes, UTF-8 values, EDIFACT wording */
	unsigned char bad[256]; /* 1 for bytes an element may not hold (controls, non-ASCII, comp) */
};

/* The ISO 9735 syntax error code (0085) for an X12 finding code of a scope. A code written
 * "E<n>" is already an EDIFACT code (a check only EDIFACT has). */
static const char *edi_code(enum x12_scope sc, const char *code)
{
	static const char *const seg[] = {
		[1] = "15", /* segment tag not in the directory: not supported in this position */
		[2] = "15", /* cannot occur here */
		[3] = "13", /* missing */
		[4] = "36", /* too many segment group repetitions */
		[5] = "35", /* too many segment repetitions */
		[6] = "15", /* not in this message */
		[7] = "15", /* out of order */
	};
	static const char *const el[] = {
		[1] = "13",  /* mandatory missing */
		[2] = "13",  /* required by a condition: missing */
		[3] = "16",  /* too many constituents (data elements) */
		[4] = "40",  /* too short */
		[5] = "39",  /* too long */
		[6] = "21",  /* invalid character */
		[7] = "12",  /* invalid value (code not in the list) */
		[8] = "12",  /* invalid value (date) */
		[9] = "12",  /* invalid value (time) */
		[10] = "48", /* dependency notes condition violated (exclusion) */
		[12] = "35", /* too many data element repetitions */
		[13] = "16", /* too many constituents (components) */
	};
	if (code[0] == 'E')
		return code + 1;
	int n = 0;
	for (const char *p = code; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (*p - '0');
	const char *r = NULL;
	if (sc == X12_SCOPE_SEGMENT && n >= 1 && n < (int)(sizeof seg / sizeof *seg))
		r = seg[n];
	else if (sc == X12_SCOPE_ELEMENT && n >= 1 && n < (int)(sizeof el / sizeof *el))
		r = el[n];
	return r ? r : "18"; /* unspecified error */
}

/* The bytes no element value may hold: controls, DEL and above, the component separator. */
static void bad_bytes(struct vst *st)
{
	/* EDIFACT values are decoded UTF-8, checked against the syntax level by the reader */
	for (int c = 0; c < 256; c++)
		st->bad[c] = c < 0x20 || (st->edi ? c == 0x7f : c >= 0x7f);
	if (st->comp)
		st->bad[(unsigned char)st->comp] = 1;
}

/* The business unit of a finding (999 CTX): the innermost open loop's first segment
 * and its first element, e.g. PO101 = 3 for anything inside the third PO1 loop. */
static void set_ctx(const struct vst *st, struct x12_error *e)
{
	const struct x12_tseg *t = st->depth > 0 ? st->trig[st->depth] : NULL;
	struct span v = x12_tseg_elem(t, 1);
	if (!t || !v.n)
		return;
	snprintf(e->ctx_name, sizeof e->ctx_name, "%.3s01", t->id);
	size_t n = v.n < sizeof e->ctx_ref - 1 ? v.n : sizeof e->ctx_ref - 1;
	memcpy(e->ctx_ref, v.p, n);
	e->ctx_ref[n] = '\0';
}

/* Add a SEGMENT finding. */
static void seg_err(struct vst *st, const char *code, const char *seg_id, uint64_t seg_pos,
		    const char *loop_id, const char *fmt, ...) EDIGW_PRINTF(6, 7);
static void seg_err(struct vst *st, const char *code, const char *seg_id, uint64_t seg_pos,
		    const char *loop_id, const char *fmt, ...)
{
	struct x12_error e;
	char msg[320];
	va_list ap;

	memset(&e, 0, sizeof e);
	e.scope = X12_SCOPE_SEGMENT;
	if (st->edi)
		code = edi_code(X12_SCOPE_SEGMENT, code);
	memcpy(e.code, code, strlen(code) + 1);
	memcpy(e.seg_id, seg_id, strnlen(seg_id, 3));
	e.seg_pos = seg_pos;
	if (loop_id)
		memcpy(e.loop_id, loop_id, strnlen(loop_id, sizeof e.loop_id - 1));
	if (seg_pos >= 1 && seg_pos <= st->txn->nseg) {
		const struct x12_tseg *s = &st->txn->segs[seg_pos - 1];
		e.file_seg = s->file_seg;
		e.line = s->line;
		e.offset = s->offset;
	}
	set_ctx(st, &e);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e.msg = msg;
	x12_errlist_add(st->errs, &e);
	st->nfound++;
}

/* Where an element finding points. */
struct epos {
	const struct x12_tseg *seg;
	uint64_t seg_pos;
	int elem, comp, rep;
};

/* The analyst's name of a position: "PO103", "MEA04-1" (built only for messages). */
#define PNAME(p, buf) pname((p), (buf), sizeof(buf))
static const char *pname(const struct epos *p, char *out, size_t cap)
{
	if (p->comp)
		snprintf(out, cap, "%.3s%02d-%d", p->seg->id, p->elem, p->comp);
	else
		snprintf(out, cap, "%.3s%02d", p->seg->id, p->elem);
	return out;
}

/* Add an ELEMENT finding (to warns when warn is set). */
static void elem_err(struct vst *st, int warn, const char *code, const struct epos *p, int ref,
		     struct span bad, const char *fmt, ...) EDIGW_PRINTF(7, 8);
static void elem_err(struct vst *st, int warn, const char *code, const struct epos *p, int ref,
		     struct span bad, const char *fmt, ...)
{
	struct x12_error e;
	char msg[320], val[100];
	va_list ap;

	if (warn && !st->warns)
		return;
	memset(&e, 0, sizeof e);
	e.scope = X12_SCOPE_ELEMENT;
	if (st->edi)
		code = edi_code(X12_SCOPE_ELEMENT, code);
	memcpy(e.code, code, strlen(code) + 1);
	memcpy(e.seg_id, p->seg->id, strnlen(p->seg->id, 3));
	e.seg_pos = p->seg_pos;
	e.elem_pos = p->elem;
	e.comp_pos = p->comp;
	e.rep_pos = p->rep;
	e.elem_ref = ref < XS_IREF ? ref : 0; /* AK402 has no interchange (I..) elements */
	if (bad.p && bad.n) {
		size_t n = bad.n > 99 ? 99 : bad.n;
		memcpy(val, bad.p, n);
		val[n] = '\0';
		e.bad_value = val;
	}
	e.file_seg = p->seg->file_seg;
	e.line = p->seg->line;
	e.offset = p->seg->offset;
	set_ctx(st, &e);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e.msg = msg;
	x12_errlist_add(warn ? st->warns : st->errs, &e);
	if (!warn)
		st->nfound++;
}

/* Printable form of a bad value for a message (escaped, truncated). */
#define SHOW(v, buf) show((v), (buf), sizeof(buf))
static const char *show(struct span v, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < v.n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "\\x%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static int is_digits(struct span v)
{
	if (!v.n)
		return 0;
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return 0;
	return 1;
}

static unsigned num2(const char *p)
{
	return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

/* CCYYMMDD or YYMMDD is a real calendar date. */
static int valid_date(struct span v)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, m, dd;
	if (!is_digits(v) || (v.n != 6 && v.n != 8))
		return 0;
	const char *p = v.p + (v.n == 8 ? 2 : 0);
	y = num2(p) + (v.n == 8 ? num2(v.p) * 100 : 2000);
	m = num2(p + 2);
	dd = num2(p + 4);
	if (m < 1 || m > 12 || dd < 1 || dd > mdays[m - 1])
		return 0;
	if (m == 2 && dd == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

/* HHMM[SS[d..]] is a real time of day. */
static int valid_time(struct span v)
{
	if (!is_digits(v) || v.n < 4 || v.n == 5)
		return 0;
	if (num2(v.p) > 23 || num2(v.p + 2) > 59)
		return 0;
	if (v.n >= 6 && num2(v.p + 4) > 59)
		return 0;
	return 1;
}

static int code_known(const struct xs_elem *e, struct span v)
{
	if (e->ckeys) { /* every code is 1..8 bytes: compare packed integers */
		uint64_t k = xs_code_key(v.p, v.n);
		size_t lo = 0, hi = e->ncodes;
		if (!k)
			return 0;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (e->ckeys[mid] == k)
				return 1;
			if (e->ckeys[mid] < k)
				lo = mid + 1;
			else
				hi = mid;
		}
		return 0;
	}
	size_t lo = 0, hi = e->ncodes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *c = e->codes[mid];
		size_t cn = strlen(c);
		int r = memcmp(v.p, c, v.n < cn ? v.n : cn);
		if (r == 0)
			r = v.n < cn ? -1 : v.n > cn ? 1 : 0;
		if (r == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static const char *type_name(const struct xs_elem *e)
{
	switch (e->type) {
	case XS_AN: return "text";
	case XS_ID: return "code";
	case XS_N: return "whole number";
	case XS_R: return "decimal number";
	case XS_DT: return "date";
	case XS_TM: return "time";
	case XS_EA: return "alphabetic value";
	case XS_EAN: return "text";
	case XS_EN: return "number";
	default: return "binary";
	}
}

/* "PO103 unit of measure": position and the element's name for messages; EDIFACT adds the
 * data element number ("BGM01-1 1001 document name code"). */
static const char *label(const struct epos *p, const struct xs_elem *e, char *out, size_t cap)
{
	char nm[48], num[8] = "";
	if (e->type >= XS_EA)
		snprintf(num, sizeof num, " %04d", e->ref);
	snprintf(out, cap, "%s%s%s%.100s", PNAME(p, nm), num, e->name ? " " : "", e->name ? e->name : "");
	return out;
}

/* An element reference for messages: "355", "I17" for an interchange element, "0065" for
 * an EDIFACT one. */
#define REFS(e, buf) ref_str((e), (buf), sizeof(buf))
static const char *ref_str(const struct xs_elem *e, char *out, size_t cap)
{
	int ref = e->ref;
	if (e->type >= XS_EA)
		snprintf(out, cap, "%04d", ref);
	else if (ref > XS_IREF)
		snprintf(out, cap, "I%02d", ref - XS_IREF);
	else
		snprintf(out, cap, "%d", ref);
	return out;
}

/* Whether v passes the overlay's only-codes at position p (1 when none applies there). */
static int only_code_ok(const struct x12_txn_def *d, const struct epos *p, struct span v)
{
	int restricted = 0;
	for (size_t i = 0; i < d->nonly; i++) {
		const struct xs_extra *x = &d->only[i];
		if (x->elem != p->elem || x->comp != p->comp || strcmp(d->ver->segs[x->seg].id, p->seg->id) != 0)
			continue;
		restricted = 1;
		if (strlen(x->code) == v.n && memcmp(x->code, v.p, v.n) == 0)
			return 1;
	}
	return !restricted;
}

/* The partner overlay's extra code matching a value at position p, or NULL. */
static const struct xs_extra *extra_code(const struct x12_txn_def *d, const struct epos *p, struct span v)
{
	for (size_t i = 0; i < d->nextra; i++) {
		const struct xs_extra *x = &d->extra[i];
		if (x->elem == p->elem && x->comp == p->comp && strcmp(d->ver->segs[x->seg].id, p->seg->id) == 0 &&
		    strlen(x->code) == v.n && memcmp(x->code, v.p, v.n) == 0)
			return x;
	}
	return NULL;
}

/* Check one non-empty simple value against its element definition. */
static void check_value(struct vst *st, const struct xs_elem *e, struct span v, const struct epos *p)
{
	char sh[128], lab[160];
	size_t len = v.n;
	unsigned char any = 0;
	for (size_t i = 0; i < v.n; i++)
		any |= st->bad[(unsigned char)v.p[i]];
	if (any && st->edi && st->comp && memchr(v.p, st->comp, v.n)) {
		/* "BGM+220:X+..." where BGM's element is simple: a component too many */
		struct epos q = *p;
		q.comp = 2;
		const char *c2 = (const char *)memchr(v.p, st->comp, v.n) + 1;
		struct span x = { c2, (size_t)(v.p + v.n - c2) };
		elem_err(st, 0, "E16", &q, e->ref, x, "%s is a simple data element: component '%s' is too many",
			 label(p, e, lab, sizeof lab), SHOW(x, sh));
		return;
	}
	for (size_t i = 0; any && i < v.n; i++) {
		if (st->bad[(unsigned char)v.p[i]]) {
			elem_err(st, 0, "6", p, e->ref, v, "%s '%s' contains a character that is not allowed",
				 label(p, e, lab, sizeof lab), SHOW(v, sh));
			return;
		}
	}
	if (e->type == XS_EN) {
		/* ISO 9735: an optional leading minus, at most one decimal mark ('.' or ',', whatever
		 * UNA3 says) preceded and followed by a digit; the length counts digits only */
		size_t i = v.n && v.p[0] == '-' ? 1 : 0;
		int marks = 0, prev_digit = 0;
		const char *code = NULL, *why = NULL;
		len = 0;
		if (i == v.n)
			code = "E37", why = "is not a number";
		for (; !code && i < v.n; i++) {
			char c = v.p[i];
			if (c >= '0' && c <= '9') {
				len++;
				prev_digit = 1;
			} else if (c == '.' || c == ',') {
				if (marks)
					code = "E19", why = "has more than one decimal mark";
				else if (!prev_digit)
					code = "E38", why = "has no digit in front of its decimal mark";
				marks = 1;
				prev_digit = 0;
			} else
				code = "E37", why = "is not a number (digits, a leading minus and one decimal mark)";
		}
		if (!code && !prev_digit)
			code = "E19", why = "ends with its decimal mark";
		if (code) {
			elem_err(st, 0, code, p, e->ref, v, "%s '%s' %s", label(p, e, lab, sizeof lab), SHOW(v, sh), why);
			return;
		}
	} else if (e->type == XS_EA || e->type == XS_EAN) {
		/* length in characters: UTF-8 continuation bytes do not count */
		len = 0;
		for (size_t i = 0; i < v.n; i++) {
			unsigned char c = (unsigned char)v.p[i];
			len += (c & 0xc0) != 0x80;
			if (e->type == XS_EA && c >= '0' && c <= '9') {
				elem_err(st, 0, "E37", p, e->ref, v, "%s '%s' is alphabetic: digits are not allowed",
					 label(p, e, lab, sizeof lab), SHOW(v, sh));
				return;
			}
		}
	}
	if (e->type == XS_N || e->type == XS_R) {
		struct span d = v;
		int dots = 0;
		if (d.n && d.p[0] == '-')
			d.p++, d.n--;
		len = 0;
		int ok = d.n > 0;
		for (size_t i = 0; i < d.n; i++) {
			if (d.p[i] == '.' && e->type == XS_R && !dots)
				dots = 1;
			else if (d.p[i] >= '0' && d.p[i] <= '9')
				len++;
			else
				ok = 0;
		}
		if (!ok || !len) {
			elem_err(st, 0, "6", p, e->ref, v, "%s '%s' is not a %s", label(p, e, lab, sizeof lab), SHOW(v, sh),
				 type_name(e));
			return;
		}
	}
	if (len < e->minlen) {
		elem_err(st, 0, "4", p, e->ref, v, "%s '%s' is too short: %zu characters, at least %u needed",
			 label(p, e, lab, sizeof lab), SHOW(v, sh), len, e->minlen);
		return;
	}
	if (len > e->maxlen) {
		elem_err(st, 0, "5", p, e->ref, v, "%s '%.40s' is too long: %zu characters, at most %u allowed",
			 label(p, e, lab, sizeof lab), SHOW(v, sh), len, e->maxlen);
		return;
	}
	if (e->type == XS_DT && !valid_date(v))
		elem_err(st, 0, "8", p, e->ref, v, "%s '%s' is not a valid date (%s)", label(p, e, lab, sizeof lab), SHOW(v, sh),
			 v.n == 6 ? "YYMMDD" : "CCYYMMDD");
	else if (e->type == XS_TM && !valid_time(v))
		elem_err(st, 0, "9", p, e->ref, v, "%s '%s' is not a valid time (HHMM, HHMMSS)", label(p, e, lab, sizeof lab),
			 SHOW(v, sh));
	else if (st->def && st->def->nonly && !only_code_ok(st->def, p, v)) {
		elem_err(st, 0, "7", p, e->ref, v, "%s code '%s' is not one this partner sends (only-codes in %s)",
			 label(p, e, lab, sizeof lab), SHOW(v, sh), st->def->overlay);
	} else if (e->has_codes && !code_known(e, v)) {
		const struct xs_extra *x = st->def ? extra_code(st->def, p, v) : NULL;
		char rs[12];
		if (x)
			elem_err(st, 1, "7", p, e->ref, v,
				 "%s code '%s' is not a standard code for element %s; accepted for this partner "
				 "(%s line %u)", label(p, e, lab, sizeof lab), SHOW(v, sh), REFS(e, rs), st->def->overlay,
				 x->line);
		else if (e->partial)
			elem_err(st, 1, "7", p, e->ref, v,
				 "%s code '%s' is not in our list for element %s (the list is partial: it may be valid)",
				 label(p, e, lab, sizeof lab), SHOW(v, sh), REFS(e, rs));
		else
			elem_err(st, 0, "7", p, e->ref, v, "%s code '%s' is not a known code for element %s",
				 label(p, e, lab, sizeof lab), SHOW(v, sh), REFS(e, rs));
	}
}

/* The relational conditions of a segment or composite; present[] is 1-based. */
static void check_rules(struct vst *st, const struct xs_rule *rules, size_t nrules,
			const unsigned char *present, const struct xs_item *items, struct epos *p,
			const struct span *vals, int comp)
{
	char nm[48];
	for (size_t r = 0; r < nrules; r++) {
		const struct xs_rule *ru = &rules[r];
		size_t npres = 0;
		for (size_t i = 0; i < ru->n; i++)
			npres += present[ru->pos[i]];
		int first = present[ru->pos[0]];
		/* the common case: the condition holds, nothing to report */
		int broken;
		switch (ru->kind) {
		case 'P': broken = npres && npres < ru->n; break;
		case 'R': broken = !npres; break;
		case 'C': broken = first && npres < ru->n; break;
		case 'L': broken = first && npres == 1; break;
		case 'E': broken = npres > 1; break;
		default: broken = 1; break;
		}
		if (!broken)
			continue;
		for (size_t i = 0; i < ru->n; i++) {
			int pos = ru->pos[i];
			const char *code = NULL;
			const char *why = NULL;
			switch (ru->kind) {
			case 'P':
				if (npres && !present[pos])
					code = "2", why = "these elements go together: when one is present all are required";
				break;
			case 'R':
				if (!npres && i == 0)
					code = "2", why = "at least one of these elements is required";
				break;
			case 'C':
				if (first && i > 0 && !present[pos])
					code = "2", why = "when the first element is present the others are required";
				break;
			case 'L': {
				size_t rest = npres - (size_t)first;
				if (first && !rest && i == 1)
					code = "2",
					why = "when the first element is present at least one of the others is required";
				break;
			}
			case 'E':
				if (present[pos]) {
					size_t before = 0;
					for (size_t j = 0; j < i; j++)
						before += present[ru->pos[j]];
					if (before)
						code = "10", why = "only one of these elements may be present";
				}
				break;
			}
			if (!code)
				continue;
			if (comp)
				p->comp = pos;
			else
				p->elem = pos;
			const struct xs_item *it = &items[pos - 1];
			elem_err(st, 0, code, p, it->e ? it->e->ref : 0, code[0] == '1' ? vals[pos] : SPAN_NULL,
				 "%s violates condition %s: %s", PNAME(p, nm), ru->text, why);
		}
	}
	if (comp)
		p->comp = 0;
}

/* One repetition of an item (simple or composite). */
static void check_one(struct vst *st, const struct xs_item *it, struct span v, struct epos *p)
{
	char sh[128];
	if (it->e) {
		check_value(st, it->e, v, p);
		return;
	}
	const struct xs_comp *c = it->c;
	struct span vals[X12_SCHEMA_MAX_SEG_ITEMS + 2];
	unsigned char present[X12_SCHEMA_MAX_SEG_ITEMS + 2];
	char base[48], nm[48];
	size_t n = 0;
	const char *q = v.p, *end = v.p + v.n;
	memset(present, 0, sizeof present);
	for (;;) {
		const char *s = q;
		while (q < end && *q != st->comp)
			q++;
		n++;
		if (n <= c->n) {
			vals[n] = (struct span){ s, (size_t)(q - s) };
			present[n] = q > s;
		} else if (q > s) {
			p->comp = 0;
			PNAME(p, base);
			p->comp = (int)n;
			struct span x = { s, (size_t)(q - s) };
			elem_err(st, 0, "13", p, 0, x, "%s has too many components: '%s' is component %zu, at most %zu allowed",
				 base, SHOW(x, sh), n, c->n);
			break;
		}
		if (q >= end)
			break;
		q++;
	}
	for (size_t i = n + 1; i <= c->n; i++)
		vals[i] = SPAN_NULL;
	for (size_t i = 1; i <= c->n; i++) {
		p->comp = (int)i;
		const struct xs_item *ci = &c->items[i - 1];
		if (!present[i]) {
			if (ci->usage == 'M')
				elem_err(st, 0, "1", p, ci->e->ref, SPAN_NULL,
					 "%s (element %d) is mandatory in composite %s but missing", PNAME(p, nm), ci->e->ref,
					 c->id);
			continue;
		}
		check_value(st, ci->e, vals[i], p);
	}
	p->comp = 0;
	check_rules(st, c->rules, c->nrules, present, c->items, p, vals, 1);
}

/* Elements of a segment that matched the table. */
static void check_segment(struct vst *st, const struct xs_seg *sd, const struct x12_tseg *s, uint64_t segpos)
{
	struct epos p = { .seg = s, .seg_pos = segpos };
	unsigned char present[X12_SCHEMA_MAX_SEG_ITEMS + 2];
	struct span vals[X12_SCHEMA_MAX_SEG_ITEMS + 2];
	char sh[128], nm[48];
	for (size_t i = 1; i <= sd->n; i++) {
		const struct xs_item *it = &sd->items[i - 1];
		struct span v = i <= s->nelem ? s->elem[i] : SPAN_NULL;
		if (st->edi && it->c && v.n) {
			/* an EDIFACT composite of empty components ("+::+") is an absent one */
			size_t k = 0;
			while (k < v.n && v.p[k] == st->comp)
				k++;
			if (k == v.n)
				v = SPAN_NULL;
		}
		vals[i] = v;
		present[i] = v.n > 0;
		p.elem = (int)i;
		p.rep = 0;
		p.comp = 0;
		int ref = it->e ? it->e->ref : 0;
		if (!v.n) {
			if (it->usage == 'M')
				elem_err(st, 0, "1", &p, ref, SPAN_NULL, "%s is mandatory but missing", PNAME(&p, nm));
			continue;
		}
		if (st->rep && (it->maxrep > 1 || memchr(v.p, st->rep, v.n))) {
			const char *q = v.p, *end = v.p + v.n;
			unsigned nrep = 0;
			for (;;) {
				const char *a = q;
				while (q < end && *q != st->rep)
					q++;
				nrep++;
				struct span r = { a, (size_t)(q - a) };
				p.rep = it->maxrep > 1 ? (int)nrep : 0;
				if (nrep > it->maxrep) {
					p.rep = (int)nrep;
					elem_err(st, 0, "12", &p, ref, r,
						 "%s repeats %u or more times, at most %u allowed", PNAME(&p, nm), nrep,
						 it->maxrep);
					break;
				}
				if (r.n)
					check_one(st, it, r, &p);
				if (q >= end)
					break;
				q++;
			}
			continue;
		}
		check_one(st, it, v, &p);
	}
	for (size_t i = sd->n + 1; i <= s->nelem; i++) {
		if (!s->elem[i].n)
			continue;
		p.elem = (int)i;
		p.comp = p.rep = 0;
		elem_err(st, 0, "3", &p, 0, s->elem[i],
			 "%s has too many elements: '%s' is element %zu, at most %zu defined", s->id,
			 SHOW(s->elem[i], sh), i, sd->n);
		break;
	}
	p.rep = 0;
	check_rules(st, sd->rules, sd->nrules, present, sd->items, &p, vals, 0);
}

/* ------------------------------------------------------------ table */

static const char *loop_name(const struct vst *st, int l)
{
	return l < 0 ? "" : st->def->loops[l].id;
}

/* What a loop is called in messages: an EDIFACT loop is a segment group. */
static const char *loop_word(const struct vst *st)
{
	return st->edi ? "segment group" : "loop";
}

static const char *seg_name(const struct vst *st, size_t entry)
{
	return st->ver->segs[st->def->entries[entry].seg].id;
}

static size_t level_end(const struct vst *st, int level)
{
	return level ? st->def->loops[st->stack[level]].end : st->def->nentries;
}

/* Report mandatory entries of one level in [a, b) that did not occur. */
static void check_missing(struct vst *st, int level, size_t a, size_t b, uint64_t segpos)
{
	const struct x12_txn_def *d = st->def;
	int L = level ? st->stack[level] : -1;
	/* only the level's mandatory entries (def_index) can be missing */
	const int *m = d->mand + d->mand_off[L + 1], *mend = d->mand + d->mand_off[L + 2];
	for (; m < mend; m++) {
		size_t j = (size_t)*m;
		if (j < a || j >= b || st->count[j])
			continue;
		const struct xs_entry *e = &d->entries[j];
		if (e->loop != L && !(level && j == d->loops[L].start)) {
			const struct xs_loop *K = &d->loops[e->loop];
			seg_err(st, "3", seg_name(st, j), segpos, K->id,
				"mandatory %s %s (starting with segment %s) is missing", loop_word(st), K->id,
				seg_name(st, j));
			continue;
		}
		if (L >= 0)
			seg_err(st, "3", seg_name(st, j), segpos, loop_name(st, L),
				"mandatory segment %s is missing in %s %s", seg_name(st, j), loop_word(st), loop_name(st, L));
		else
			seg_err(st, "3", seg_name(st, j), segpos, "", "mandatory segment %s is missing",
				seg_name(st, j));
	}
}

/* Close open loops down to level h. */
static void pop_to(struct vst *st, int h, uint64_t segpos)
{
	while (st->depth > h) {
		check_missing(st, st->depth, st->pos[st->depth], level_end(st, st->depth), segpos);
		st->depth--;
	}
}

enum { HIT_NONE, HIT_PLAIN, HIT_ENTER, HIT_AGAIN };

/* Where segment si fits from the current state, without changing it. */
static int find(const struct vst *st, int si, int *level_out, size_t *j_out)
{
	const struct x12_txn_def *d = st->def;
	int level = st->depth;
	size_t from = st->pos[level];
	for (;;) {
		int L = level ? st->stack[level] : -1;
		size_t end = level_end(st, level);
		if (L >= 0 && from == d->loops[L].start)
			from++;
		/* a segment that never occurs in this loop's body: no need to walk it */
		if (L >= 0 && !(d->body_bits[(size_t)L * d->bitwords + (unsigned)si / 32] & (1u << ((unsigned)si % 32))))
			from = end;
		for (size_t j = from; j < end;) {
			const struct xs_entry *e = &d->entries[j];
			if (e->loop != L) {
				const struct xs_loop *K = &d->loops[e->loop];
				if (e->seg == si) {
					*level_out = level;
					*j_out = j;
					return HIT_ENTER;
				}
				j = K->end;
				continue;
			}
			if (e->seg == si) {
				*level_out = level;
				*j_out = j;
				return HIT_PLAIN;
			}
			j++;
		}
		if (!level)
			return HIT_NONE;
		if (d->entries[d->loops[L].start].seg == si) {
			*level_out = level;
			*j_out = d->loops[L].start;
			return HIT_AGAIN;
		}
		from = d->loops[L].end;
		level--;
	}
}

/* HL01/HL02/HL03 against the declared hierarchy. */
static void check_hl(struct vst *st, const struct x12_tseg *s, uint64_t segpos)
{
	const struct x12_txn_def *d = st->def;
	struct epos p = { .seg = s, .seg_pos = segpos };
	struct span id = x12_tseg_elem(s, 1), par = x12_tseg_elem(s, 2), lv = x12_tseg_elem(s, 3);
	uint64_t idn = 0, parn = 0;
	char sh[128], levels[XS_MAX_HL * 3 + 1];
	int level = -1, id_ok = 0;
	size_t depth = 1;

	p.elem = 1;
	if (id.n && span_to_u64(id, &idn) < 0)
		elem_err(st, 0, "6", &p, 628, id, "HL01 '%s' must be a number to be checked as a hierarchy id",
			 SHOW(id, sh));
	else if (id.n && st->nhl && idn <= st->hl[st->nhl - 1].id)
		elem_err(st, 0, "7", &p, 628, id, "HL01 '%s' %s: HL ids must be unique and increasing", SHOW(id, sh),
			 idn == st->hl[st->nhl - 1].id ? "repeats the previous HL01" :
			 "is not greater than the previous HL01");
	else if (id.n)
		id_ok = 1;
	if (!lv.n)
		return; /* HL03 missing: reported by the element check */
	for (size_t i = 0; i < d->nhl; i++)
		if (span_eq(lv, d->hl_code[i]))
			level = (int)i;
	p.elem = 3;
	if (level < 0) {
		size_t o = 0;
		for (size_t i = 0; i < d->nhl; i++)
			o += (size_t)snprintf(levels + o, sizeof levels - o, "%s%s", i ? " " : "", d->hl_code[i]);
		elem_err(st, 0, "7", &p, 735, lv, "HL03 level '%s' is not a level of transaction set %s (%s)",
			 SHOW(lv, sh), d->id, levels);
		return;
	}
	if (!par.n) {
		if (!d->hl_top[level]) {
			p.elem = 2;
			elem_err(st, 0, "2", &p, 734, SPAN_NULL, "HL level %s needs a parent: HL02 is missing",
				 d->hl_code[level]);
		}
	} else {
		p.elem = 2;
		const struct hlnode *pn = NULL;
		if (span_to_u64(par, &parn) == 0) {
			size_t lo = 0, hi = st->nhl;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (st->hl[mid].id == parn) {
					pn = &st->hl[mid];
					break;
				}
				if (st->hl[mid].id < parn)
					lo = mid + 1;
				else
					hi = mid;
			}
		}
		if (!pn) {
			elem_err(st, 0, "7", &p, 734, par, "HL02 '%s' names no earlier HL01", SHOW(par, sh));
		} else if (!(d->hl_parents[level] & (1u << pn->level))) {
			p.elem = 3;
			elem_err(st, 0, "7", &p, 735, lv, "HL level %s is not allowed under level %s (HL %s)",
				 d->hl_code[level], d->hl_code[pn->level], SHOW(par, sh));
		} else {
			depth = pn->depth + 1;
			if (depth > st->maxdepth) {
				elem_err(st, 0, "7", &p, 734, par, "HL hierarchy is deeper than %zu levels", st->maxdepth);
				return;
			}
		}
	}
	if (!id_ok)
		return;
	if (st->nhl == st->hlcap) {
		st->hlcap = st->hlcap ? st->hlcap * 2 : 64;
		st->hl = xrealloc(st->hl, st->hlcap * sizeof *st->hl);
	}
	st->hl[st->nhl++] = (struct hlnode){ idn, level, depth };
}

/* Place one segment in the table, report what does not fit, then check its elements. */
static void step(struct vst *st, const struct x12_tseg *s, uint64_t segpos)
{
	const struct x12_txn_def *d = st->def;
	int si = x12_schema_seg_index(st->ver, s->id, strnlen(s->id, 4));
	int level = 0;
	size_t j = 0;
	int hit;
	char sh[16];

	if (si < 0) {
		if (st->edi)
			seg_err(st, "1", s->id, segpos, "", "segment tag '%s' is not in the %s directory's segments",
				SHOW(span_cstr(s->id), sh), d->version);
		else
			seg_err(st, "1", s->id, segpos, "", "segment id '%s' is not a known X12 segment",
				SHOW(span_cstr(s->id), sh));
		return;
	}
	if (d->first_entry[si] < 0) {
		seg_err(st, "6", s->id, segpos, "", "segment %s is not part of %s %s", s->id,
			st->edi ? "message" : "transaction set", d->id);
		return;
	}
	hit = find(st, si, &level, &j);
	if (hit == HIT_NONE) {
		int L = st->depth ? st->stack[st->depth] : -1;
		if ((size_t)d->first_entry[si] < st->pos[st->depth])
			seg_err(st, "7", s->id, segpos, loop_name(st, L),
				"segment %s is out of order: it belongs before the segments already read", s->id);
		else {
			const struct xs_entry *e = &d->entries[d->first_entry[si]];
			if (e->loop >= 0 && !e->trigger)
				seg_err(st, "2", s->id, segpos, loop_name(st, L),
					"segment %s is unexpected here: it belongs inside %s %s, which is not open",
					s->id, loop_word(st), d->loops[e->loop].id);
			else
				seg_err(st, "2", s->id, segpos, loop_name(st, L), "segment %s is unexpected here",
					s->id);
		}
		return;
	}
	if (hit == HIT_ENTER && (size_t)level + 1 > st->maxdepth) {
		seg_err(st, "2", s->id, segpos, d->loops[d->entries[j].loop].id,
			"%s %s would be nested %d deep, at most %zu allowed", loop_word(st), d->loops[d->entries[j].loop].id,
			level + 1, st->maxdepth);
		return;
	}
	pop_to(st, level, segpos);
	if (hit == HIT_PLAIN) {
		check_missing(st, level, st->pos[level], j, segpos);
		st->pos[level] = j;
		if (++st->count[j] > d->entries[j].maxuse)
			seg_err(st, "5", s->id, segpos, loop_name(st, d->entries[j].loop),
				"segment %s occurs %u times, at most %u allowed%s%s", s->id, st->count[j],
				d->entries[j].maxuse, d->entries[j].loop >= 0 ? (st->edi ? " in segment group " : " in loop ") : "",
				loop_name(st, d->entries[j].loop));
	} else if (hit == HIT_ENTER) {
		int K = d->entries[j].loop;
		check_missing(st, level, st->pos[level], j, segpos);
		st->pos[level] = j;
		st->depth = level + 1;
		st->stack[st->depth] = K;
		st->trig[st->depth] = s;
		st->pos[st->depth] = j;
		st->count[j] = 1;
		for (size_t k = j + 1; k < d->loops[K].end; k++)
			st->count[k] = 0;
	} else {
		int L = st->stack[level];
		const struct xs_loop *lp = &d->loops[L];
		check_missing(st, level, st->pos[level], lp->end, segpos);
		st->trig[level] = s;
		st->pos[level] = j;
		if (++st->count[j] > lp->maxrep)
			seg_err(st, "4", s->id, segpos, lp->id, st->edi ? "segment group %s occurs %u times, at most %u allowed"
								 : "%s loop occurs %u times, at most %u allowed", lp->id,
				st->count[j], lp->maxrep);
		for (size_t k = j + 1; k < lp->end; k++)
			st->count[k] = 0;
	}
	check_segment(st, &st->ver->segs[si], s, segpos);
	if (si == d->hl_seg)
		check_hl(st, s, segpos);
}

/* Validate one transaction set; warnings (partial code lists) go to warns when not NULL. */
int x12_schema_validate_warn(const struct x12_txn_def *def, const struct x12_txn *txn,
			     size_t max_loop_depth, struct x12_errlist *errs,
			     struct x12_errlist *warns)
{
	struct vst st;
	if (!def || !txn || !errs || txn->nseg == 0)
		return -EINVAL;
	memset(&st, 0, sizeof st);
	st.def = def;
	st.ver = def->ver;
	st.txn = txn;
	st.errs = errs;
	st.warns = warns;
	st.maxdepth = max_loop_depth && max_loop_depth < X12_SCHEMA_MAX_NEST ? max_loop_depth : X12_SCHEMA_MAX_NEST;
	st.comp = txn->delims ? txn->delims->comp : 0;
	st.rep = txn->delims ? txn->delims->rep : 0;
	st.edi = def->ver->edifact;
	bad_bytes(&st);
	st.count = xcalloc(def->nentries, sizeof *st.count);
	/* segs[0] is ST, entries[0] is ST */
	st.count[0] = 1;
	check_segment(&st, &st.ver->segs[def->entries[0].seg], &txn->segs[0], 1);
	for (size_t i = 1; i < txn->nseg; i++)
		step(&st, &txn->segs[i], i + 1);
	pop_to(&st, 0, txn->nseg);
	check_missing(&st, 0, st.pos[0], def->nentries, txn->nseg);
	free(st.count);
	free(st.hl);
	return st.nfound;
}

/* Check one segment outside a transaction set (e.g. an inbound TA1) against its
 * definition in a version's dictionary. */
int x12_schema_check_segment(const struct x12_schema *s, const char *version, const struct x12_tseg *seg,
			     const struct x12_delims *delims, struct x12_errlist *errs)
{
	if (!s || !version || !seg || !errs || strlen(version) < 6)
		return -EINVAL;
	const struct xs_ver *v = NULL;
	for (size_t i = 0; i < s->nvers && !v; i++)
		if (memcmp(s->vers[i].name, version, 6) == 0)
			v = &s->vers[i];
	int si = v ? x12_schema_seg_index(v, seg->id, strnlen(seg->id, 4)) : -1;
	if (si < 0)
		return 0; /* no definition: nothing to check */
	struct x12_txn txn = { 0 };
	txn.nseg = 1;
	txn.segs = seg;
	struct vst st;
	memset(&st, 0, sizeof st);
	st.ver = v;
	st.txn = &txn;
	st.errs = errs;
	st.comp = delims ? delims->comp : 0;
	st.rep = delims ? delims->rep : 0;
	bad_bytes(&st);
	check_segment(&st, &v->segs[si], seg, 0);
	return st.nfound;
}

/* Validate one transaction set against its definition. */
int x12_schema_validate(const struct x12_txn_def *def, const struct x12_txn *txn,
			size_t max_loop_depth, struct x12_errlist *errs)
{
	return x12_schema_validate_warn(def, txn, max_loop_depth, errs, NULL);
}
