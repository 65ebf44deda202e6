/*
 * x12_schema — loader of the X12 definition files (maps/schemas/x12/<version>/
 * elements.def, segments.def, <ST01>.def) into compiled tables: element and
 * segment dictionaries with pointers resolved, a segment-id hash, and per
 * transaction set a flat entry array with loop ranges, so the validator
 * (x12_validate.c) compares integers only.
 *
 * Functions: x12_schema_load, x12_schema_load_edifact, x12_schema_free,
 * x12_schema_find, x12_schema_seg_index, x12_txn_def_version, x12_txn_def_id,
 * and the partner overlays (x12_overlay_*).
 *
 * The same loader reads UN/EDIFACT directories (maps/schemas/edifact/<release>/):
 * a version flagged 'edifact' takes 4-digit data element numbers, the EDIFACT
 * formats (a3, an..35, n..15), composites Cnnn/Snnn/Ennn, status C as a synonym
 * of O, "message TYPE" files whose table runs from UNH to UNT.
 *
 * Ownership: the schema owns everything it points to.
 * Limits: files at most X12_SCHEMA_MAX_FILE bytes, lines at most
 * X12_SCHEMA_MAX_LINE, counts bounded by the X12_SCHEMA_MAX_* constants;
 * every violation is a diagnostic with file:line.
 */
#define X12_SCHEMA_INTERNAL
#include "x12/x12_schema.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOK 128

/* One file being read, line by line. */
struct rd {
	const char *path;
	struct diag_list *d;
	char *data;
	size_t len, off;
	size_t line;
	struct span tok[MAX_TOK];
	size_t ntok;
	int bad;
};

/* Open a definition file; -errno with a diagnostic when unreadable or too big. */
static int rd_open(struct rd *r, const char *path, struct diag_list *d)
{
	struct buf b;
	int rc;

	memset(r, 0, sizeof *r);
	r->path = path;
	r->d = d;
	buf_init(&b, 0);
	rc = file_read_all(path, X12_SCHEMA_MAX_FILE, &b);
	if (rc == -EFBIG)
		diag_error(d, path, 0, "file larger than %d bytes", X12_SCHEMA_MAX_FILE);
	else if (rc < 0)
		diag_error(d, path, 0, "cannot read: %s", strerror(-rc));
	if (rc < 0) {
		buf_free(&b);
		return rc;
	}
	r->len = b.len;
	r->data = buf_steal(&b);
	buf_free(&b);
	return 0;
}

/* Next non-empty line split into tokens (comments after '#' removed); 0 at end. */
static int rd_next(struct rd *r)
{
	while (r->off < r->len) {
		const char *p = r->data + r->off;
		const char *nl = memchr(p, '\n', r->len - r->off);
		size_t n = nl ? (size_t)(nl - p) : r->len - r->off;
		r->off += n + (nl ? 1 : 0);
		r->line++;
		if (n > X12_SCHEMA_MAX_LINE) {
			diag_error(r->d, r->path, r->line, "line longer than %d bytes", X12_SCHEMA_MAX_LINE);
			r->bad = 1;
			continue;
		}
		r->ntok = 0;
		size_t i = 0;
		while (i < n && p[i] != '#') {
			if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r') {
				i++;
				continue;
			}
			size_t s = i;
			while (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '#')
				i++;
			if (r->ntok == MAX_TOK) {
				diag_error(r->d, r->path, r->line, "more than %d words on a line", MAX_TOK);
				r->bad = 1;
				r->ntok = 0;
				break;
			}
			r->tok[r->ntok++] = (struct span){ p + s, i - s };
		}
		if (r->ntok)
			return 1;
	}
	return 0;
}

/* Report an error at the current line. */
static void rd_err(struct rd *r, const char *fmt, ...) EDIGW_PRINTF(2, 3);
static void rd_err(struct rd *r, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	buf_init(&b, 4096);
	va_start(ap, fmt);
	(void)buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diag_error(r->d, r->path, r->line, "%s", b.data ? b.data : "");
	buf_free(&b);
	r->bad = 1;
}

/* Token i as a NUL-terminated copy in a small buffer (truncated). */
static const char *tokc(const struct rd *r, size_t i, char *out, size_t cap)
{
	size_t n = r->tok[i].n < cap - 1 ? r->tok[i].n : cap - 1;
	memcpy(out, r->tok[i].p, n);
	out[n] = '\0';
	return out;
}

/* Unsigned number token within [lo, hi]; -1 otherwise. */
static long tok_num(const struct rd *r, size_t i, long lo, long hi)
{
	uint64_t v;
	if (span_to_u64(r->tok[i], &v) < 0 || v < (uint64_t)lo || v > (uint64_t)hi)
		return -1;
	return (long)v;
}

/* An element reference token: 1..99999, or I01..I99 (interchange elements, stored as
 * XS_IREF + n); -1 otherwise. */
static long tok_ref(const struct rd *r, size_t i)
{
	struct span t = r->tok[i];
	uint64_t v;
	if (t.n >= 2 && t.n <= 3 && t.p[0] == 'I' && span_to_u64((struct span){ t.p + 1, t.n - 1 }, &v) == 0 &&
	    v >= 1 && v <= 99)
		return XS_IREF + (long)v;
	return tok_num(r, i, 1, 99999);
}

/* An element reference in a version's dictionary: X12 as tok_ref; EDIFACT exactly four
 * digits ("0065", "1004"), stored as the number. -1 otherwise. */
static long tok_ref_v(const struct rd *r, size_t i, int edifact)
{
	struct span t = r->tok[i];
	if (!edifact)
		return tok_ref(r, i);
	if (t.n != 4)
		return -1;
	for (size_t k = 0; k < 4; k++)
		if (t.p[k] < '0' || t.p[k] > '9')
			return -1;
	return tok_num(r, i, 1, 9999);
}

/* A max use / repeat token: a number >= 1 or ">1" (unbounded). */
static int tok_max(const struct rd *r, size_t i, uint32_t *out)
{
	if (span_eq(r->tok[i], ">1")) {
		*out = UINT32_MAX;
		return 0;
	}
	long v = tok_num(r, i, 1, 99999999);
	if (v < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* ------------------------------------------------------------ elements */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_code(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct xs_elem *elem_find(struct xs_ver *v, int ref)
{
	for (size_t i = 0; i < v->nelems; i++)
		if (v->elems[i].ref == ref)
			return &v->elems[i];
	return NULL;
}

/* Parse a type word: AN ID R DT TM B N Nn. */
static int parse_type(struct span t, enum xs_type *ty, int *dec)
{
	*dec = 0;
	if (span_eq(t, "AN"))
		*ty = XS_AN;
	else if (span_eq(t, "ID"))
		*ty = XS_ID;
	else if (span_eq(t, "R"))
		*ty = XS_R;
	else if (span_eq(t, "DT"))
		*ty = XS_DT;
	else if (span_eq(t, "TM"))
		*ty = XS_TM;
	else if (span_eq(t, "B"))
		*ty = XS_B;
	else if (t.n >= 1 && t.n <= 2 && t.p[0] == 'N') {
		*ty = XS_N;
		if (t.n == 2) {
			if (t.p[1] < '0' || t.p[1] > '9')
				return -1;
			*dec = t.p[1] - '0';
		}
	} else
		return -1;
	return 0;
}

/* An EDIFACT type word: a, an, n. */
static int parse_edi_type(struct span t, enum xs_type *ty)
{
	if (span_eq(t, "a"))
		*ty = XS_EA;
	else if (span_eq(t, "an"))
		*ty = XS_EAN;
	else if (span_eq(t, "n"))
		*ty = XS_EN;
	else
		return -1;
	return 0;
}

/* An EDIFACT format as the directories write it: a3 an..35 n..15 (fixed or up to);
 * lengths 1..99999. */
static int parse_edi_format(struct span t, enum xs_type *ty, unsigned *mn, unsigned *mx)
{
	size_t k = 0;
	while (k < t.n && (t.p[k] == 'a' || t.p[k] == 'n'))
		k++;
	if (k == 0 || k == t.n || parse_edi_type((struct span){ t.p, k }, ty) < 0)
		return -1;
	int upto = t.n - k > 2 && t.p[k] == '.' && t.p[k + 1] == '.';
	struct span num = { t.p + k + (upto ? 2 : 0), t.n - k - (upto ? 2 : 0) };
	uint64_t v;
	if (!num.n || num.p[0] < '0' || num.p[0] > '9' || span_to_u64(num, &v) < 0 || v < 1 || v > 99999)
		return -1;
	*mx = (unsigned)v;
	*mn = upto ? 1 : (unsigned)v;
	return 0;
}

/* elements.def: "element REF TYPE MIN MAX" and "codes REF full|partial CODE..."; in an
 * EDIFACT directory "element REF FORMAT" (an..35) or "element REF a|an|n MIN MAX". */
static int load_elements(struct xs_ver *v, const char *path, struct diag_list *d)
{
	struct rd r;
	char tmp[64];
	size_t cap = 0;
	int rc = rd_open(&r, path, d);
	if (rc < 0)
		return rc;
	while (rd_next(&r)) {
		if (span_eq(r.tok[0], "element")) {
			size_t name_at = 5;
			if (r.ntok < (v->edifact ? 3u : 5u)) {
				rd_err(&r, v->edifact ? "expected 'element REF FORMAT [NAME...]' (e.g. 'element 1004 an..35')"
						      : "expected 'element REF TYPE MIN MAX [NAME...]'");
				continue;
			}
			long ref = tok_ref_v(&r, 1, v->edifact);
			struct xs_elem e = { 0 };
			long mn, mx;
			if (ref < 0) {
				rd_err(&r, v->edifact ? "element reference '%s' is not a 4-digit EDIFACT data element number"
							" (e.g. 1004, 0065)"
						      : "element reference '%s' is not a number from 1 to 99999 or I01 to I99",
				       tokc(&r, 1, tmp, sizeof tmp));
				continue;
			}
			if (v->edifact) {
				unsigned fmn = 0, fmx = 0;
				if (parse_edi_format(r.tok[2], &e.type, &fmn, &fmx) == 0) {
					mn = fmn;
					mx = fmx;
					name_at = 3;
				} else if (parse_edi_type(r.tok[2], &e.type) == 0 && r.ntok >= 5) {
					mn = tok_num(&r, 3, 0, 99999);
					mx = tok_num(&r, 4, 1, 99999);
				} else {
					rd_err(&r, "unknown EDIFACT format '%s' (a3, an..35, n..15, or 'a|an|n MIN MAX')",
					       tokc(&r, 2, tmp, sizeof tmp));
					continue;
				}
			} else {
				if (parse_type(r.tok[2], &e.type, &e.decimals) < 0) {
					rd_err(&r, "unknown element type '%s' (AN ID Nn R DT TM B)",
					       tokc(&r, 2, tmp, sizeof tmp));
					continue;
				}
				mn = tok_num(&r, 3, 0, 99999);
				mx = tok_num(&r, 4, 1, 99999);
			}
			if (mn < 0 || mx < 0 || mn > mx) {
				rd_err(&r, "bad length %s..%s (need 0 <= MIN <= MAX, MAX >= 1)",
				       tokc(&r, 3, tmp, 32), tokc(&r, 4, tmp + 32, 32));
				continue;
			}
			if (elem_find(v, (int)ref)) {
				rd_err(&r, "element %ld defined twice", ref);
				continue;
			}
			if (v->nelems == X12_SCHEMA_MAX_ELEMS) {
				rd_err(&r, "more than %d elements", X12_SCHEMA_MAX_ELEMS);
				continue;
			}
			if (v->nelems == cap) {
				cap = cap ? cap * 2 : 64;
				v->elems = xrealloc(v->elems, cap * sizeof *v->elems);
			}
			e.ref = (int)ref;
			e.minlen = (unsigned)mn;
			e.maxlen = (unsigned)mx;
			if (r.ntok > name_at) {
				const char *a = r.tok[name_at].p;
				const char *z = r.tok[r.ntok - 1].p + r.tok[r.ntok - 1].n;
				e.name = span_dup((struct span){ a, (size_t)(z - a) });
			}
			v->elems[v->nelems++] = e;
		} else if (span_eq(r.tok[0], "codes")) {
			if (r.ntok < 4) {
				rd_err(&r, "expected 'codes REF full|partial CODE...'");
				continue;
			}
			long ref = tok_ref_v(&r, 1, v->edifact);
			struct xs_elem *e = ref < 0 ? NULL : elem_find(v, (int)ref);
			if (!e) {
				rd_err(&r, "codes for undefined element '%s' (define it with 'element' first)",
				       tokc(&r, 1, tmp, sizeof tmp));
				continue;
			}
			int partial;
			if (span_eq(r.tok[2], "full"))
				partial = 0;
			else if (span_eq(r.tok[2], "partial"))
				partial = 1;
			else {
				rd_err(&r, "expected 'full' or 'partial', not '%s'", tokc(&r, 2, tmp, sizeof tmp));
				continue;
			}
			if (e->has_codes && e->partial != partial) {
				rd_err(&r, "element %ld: code list is both full and partial", ref);
				continue;
			}
			if (e->ncodes + (r.ntok - 3) > X12_SCHEMA_MAX_CODES) {
				rd_err(&r, "element %ld: more than %d codes", ref, X12_SCHEMA_MAX_CODES);
				continue;
			}
			e->has_codes = 1;
			e->partial = partial;
			e->codes = xrealloc(e->codes, (e->ncodes + r.ntok - 3) * sizeof *e->codes);
			for (size_t i = 3; i < r.ntok; i++) {
				if (r.tok[i].n > e->maxlen || r.tok[i].n < e->minlen)
					rd_err(&r, "code '%s' does not fit element %ld's length %u..%u",
					       tokc(&r, i, tmp, sizeof tmp), ref, e->minlen, e->maxlen);
				e->codes[e->ncodes++] = span_dup(r.tok[i]);
			}
		} else
			rd_err(&r, "unknown keyword '%s' (element, codes)", tokc(&r, 0, tmp, sizeof tmp));
	}
	for (size_t i = 0; i < v->nelems; i++) {
		struct xs_elem *e = &v->elems[i];
		if (!e->ncodes)
			continue;
		qsort(e->codes, e->ncodes, sizeof(char *), cmp_code);
		/* integer keys for the validator when every code fits 8 bytes (they all do today) */
		int fits = 1;
		for (size_t k = 0; k < e->ncodes; k++)
			fits &= strlen(e->codes[k]) <= 8;
		if (!fits)
			continue;
		e->ckeys = xmalloc(e->ncodes * sizeof *e->ckeys);
		for (size_t k = 0; k < e->ncodes; k++)
			e->ckeys[k] = xs_code_key(e->codes[k], strlen(e->codes[k]));
		qsort(e->ckeys, e->ncodes, sizeof *e->ckeys, cmp_u64);
	}
	rc = r.bad ? -EINVAL : 0;
	free(r.data);
	return rc;
}

/* ------------------------------------------------------------ segments */

static uint32_t seg_key(const char *id, size_t n)
{
	uint32_t k = 0;
	for (size_t i = 0; i < n && i < 3; i++)
		k = (k << 8) | (unsigned char)id[i];
	return k;
}

/* Dictionary index of a segment id, -1 when unknown. */
int x12_schema_seg_index(const struct xs_ver *v, const char *id, size_t n)
{
	if (n < 2 || n > 3 || !v->hashcap)
		return -1;
	uint32_t k = seg_key(id, n);
	size_t h = (k * 2654435761u) & (v->hashcap - 1);
	for (;;) {
		int32_t i = v->hash[h];
		if (i < 0)
			return -1;
		if (v->segs[i].key == k)
			return i;
		h = (h + 1) & (v->hashcap - 1);
	}
}

static void build_hash(struct xs_ver *v)
{
	v->hashcap = 16;
	while (v->hashcap < v->nsegs * 4)
		v->hashcap *= 2;
	v->hash = xmalloc(v->hashcap * sizeof *v->hash);
	for (size_t i = 0; i < v->hashcap; i++)
		v->hash[i] = -1;
	for (size_t i = 0; i < v->nsegs; i++) {
		uint32_t k = v->segs[i].key = seg_key(v->segs[i].id, strlen(v->segs[i].id));
		size_t h = (k * 2654435761u) & (v->hashcap - 1);
		while (v->hash[h] >= 0)
			h = (h + 1) & (v->hashcap - 1);
		v->hash[h] = (int32_t)i;
	}
}

/* A relational condition like P0102 or L020304 over n items. */
static int parse_rule(struct span t, size_t nitems, struct xs_rule *out)
{
	memset(out, 0, sizeof *out);
	if (t.n < 5 || t.n % 2 == 0 || t.n >= sizeof out->text || !strchr("PRCEL", t.p[0]))
		return -1;
	out->kind = t.p[0];
	for (size_t i = 1; i < t.n; i += 2) {
		if (t.p[i] < '0' || t.p[i] > '9' || t.p[i + 1] < '0' || t.p[i + 1] > '9')
			return -1;
		int pos = (t.p[i] - '0') * 10 + (t.p[i + 1] - '0');
		if (pos < 1 || (size_t)pos > nitems)
			return -1;
		out->pos[out->n++] = (unsigned char)pos;
	}
	if ((out->kind == 'L' && out->n < 3) || out->n < 2)
		return -1;
	memcpy(out->text, t.p, t.n);
	return 0;
}

static int valid_seg_id(struct span t)
{
	if (t.n < 2 || t.n > 3)
		return 0;
	for (size_t i = 0; i < t.n; i++)
		if (!((t.p[i] >= 'A' && t.p[i] <= 'Z') || (t.p[i] >= '0' && t.p[i] <= '9')))
			return 0;
	return 1;
}

/* A composite id: X12 C followed by up to 5 characters (C001); EDIFACT C, S or E and
 * three digits (C507, S009). */
static int valid_comp_id(struct span t, int edifact)
{
	if (!edifact)
		return t.n >= 2 && t.n <= 6 && t.p[0] == 'C';
	if (t.n != 4 || !strchr("CSE", t.p[0]))
		return 0;
	for (size_t i = 1; i < 4; i++)
		if (t.p[i] < '0' || t.p[i] > '9')
			return 0;
	return 1;
}

/* A usage letter: M O X (X12 segments.def), M O (tables); EDIFACT also takes C
 * (conditional), stored as O. 0 when not allowed. */
static char usage_letter(struct span t, const char *allowed, int edifact)
{
	if (t.n != 1)
		return 0;
	if (edifact && t.p[0] == 'C')
		return 'O';
	return strchr(allowed, t.p[0]) ? t.p[0] : 0;
}

/* segments.def: "composite Cnnn" / "segment ID" blocks of "REF|Cnnn M|O|X [REPEAT]"
 * and "rule Pnnnn" lines, each block closed by "end". */
static int load_segments(struct xs_ver *v, const char *path, struct diag_list *d)
{
	struct rd r;
	char tmp[64];
	size_t segcap = 0, compcap = 0;
	struct xs_item *items = NULL;
	struct xs_rule *rules = NULL;
	size_t nitems = 0, nrules = 0;
	int open = 0; /* 1 segment, 2 composite */
	size_t open_line = 0;
	char open_id[8] = "";
	int rc = rd_open(&r, path, d);
	if (rc < 0)
		return rc;
	/* composites are referenced by pointer: reserve the maximum once */
	v->comps = xcalloc(X12_SCHEMA_MAX_SEGS, sizeof *v->comps);
	compcap = X12_SCHEMA_MAX_SEGS;
	items = xcalloc(X12_SCHEMA_MAX_SEG_ITEMS, sizeof *items);
	rules = xcalloc(X12_SCHEMA_MAX_RULES, sizeof *rules);
	while (rd_next(&r)) {
		struct span k = r.tok[0];
		if (span_eq(k, "segment") || span_eq(k, "composite")) {
			int is_seg = k.p[0] == 's';
			if (open) {
				rd_err(&r, "'%s' inside block %s (missing 'end')", is_seg ? "segment" : "composite", open_id);
				continue;
			}
			if (r.ntok != 2) {
				rd_err(&r, "expected '%s ID'", is_seg ? "segment" : "composite");
				continue;
			}
			if (is_seg && !valid_seg_id(r.tok[1])) {
				rd_err(&r, "segment id '%s' must be 2-3 capital letters or digits", tokc(&r, 1, tmp, sizeof tmp));
				continue;
			}
			if (!is_seg && !valid_comp_id(r.tok[1], v->edifact)) {
				rd_err(&r, v->edifact ? "composite id '%s' must be C, S or E and three digits (C507, S009)"
						      : "composite id '%s' must look like C001",
				       tokc(&r, 1, tmp, sizeof tmp));
				continue;
			}
			open = is_seg ? 1 : 2;
			open_line = r.line;
			tokc(&r, 1, open_id, sizeof open_id);
			nitems = nrules = 0;
			int dup = 0;
			if (is_seg) {
				for (size_t i = 0; i < v->nsegs; i++)
					dup |= strcmp(v->segs[i].id, open_id) == 0;
			} else {
				for (size_t i = 0; i < v->ncomps; i++)
					dup |= strcmp(v->comps[i].id, open_id) == 0;
			}
			if (dup)
				rd_err(&r, "%s %s defined twice", is_seg ? "segment" : "composite", open_id);
		} else if (span_eq(k, "end")) {
			if (!open) {
				rd_err(&r, "'end' without 'segment' or 'composite'");
				continue;
			}
			if (nitems == 0)
				rd_err(&r, "%s has no elements", open_id);
			if (open == 1 && v->nsegs >= X12_SCHEMA_MAX_SEGS)
				rd_err(&r, "more than %d segments", X12_SCHEMA_MAX_SEGS);
			else if (open == 2 && v->ncomps >= compcap)
				rd_err(&r, "more than %d composites", X12_SCHEMA_MAX_SEGS);
			else if (open == 1) {
				if (v->nsegs == segcap) {
					segcap = segcap ? segcap * 2 : 64;
					v->segs = xrealloc(v->segs, segcap * sizeof *v->segs);
				}
				struct xs_seg *s = &v->segs[v->nsegs];
				memset(s, 0, sizeof *s);
				memcpy(s->id, open_id, sizeof s->id - 1);
				s->index = (int)v->nsegs++;
				s->n = nitems;
				s->items = xmalloc(nitems * sizeof *items + 1);
				memcpy(s->items, items, nitems * sizeof *items);
				s->nrules = nrules;
				s->rules = xmalloc(nrules * sizeof *rules + 1);
				memcpy(s->rules, rules, nrules * sizeof *rules);
			} else {
				struct xs_comp *c = &v->comps[v->ncomps++];
				memcpy(c->id, open_id, sizeof c->id);
				c->n = nitems;
				c->items = xmalloc(nitems * sizeof *items + 1);
				memcpy(c->items, items, nitems * sizeof *items);
				c->nrules = nrules;
				c->rules = xmalloc(nrules * sizeof *rules + 1);
				memcpy(c->rules, rules, nrules * sizeof *rules);
			}
			open = 0;
		} else if (span_eq(k, "rule")) {
			if (!open) {
				rd_err(&r, "'rule' outside a segment or composite");
				continue;
			}
			if (r.ntok != 2) {
				rd_err(&r, "expected 'rule CONDITION', e.g. 'rule P0102'");
				continue;
			}
			if (nrules == X12_SCHEMA_MAX_RULES) {
				rd_err(&r, "more than %d rules", X12_SCHEMA_MAX_RULES);
				continue;
			}
			if (parse_rule(r.tok[1], nitems, &rules[nrules]) < 0) {
				rd_err(&r, "bad condition '%s': P, R, C, E or L followed by two-digit positions of "
					   "elements listed above it (at least two; L at least three)",
				       tokc(&r, 1, tmp, sizeof tmp));
				continue;
			}
			nrules++;
		} else if (open) {
			if (r.ntok < 2 || r.ntok > 3) {
				rd_err(&r, "expected 'REF USAGE [REPEAT]', e.g. '353 M' or 'C001 X'");
				continue;
			}
			struct xs_item it = { 0 };
			if (v->edifact ? (r.tok[0].p[0] >= 'A' && r.tok[0].p[0] <= 'Z') : r.tok[0].p[0] == 'C') {
				if (open == 2) {
					rd_err(&r, "a composite cannot contain composite %s", tokc(&r, 0, tmp, sizeof tmp));
					continue;
				}
				for (size_t i = 0; i < v->ncomps; i++)
					if (span_eq(r.tok[0], v->comps[i].id))
						it.c = &v->comps[i];
				if (!it.c) {
					rd_err(&r, "composite %s is not defined above", tokc(&r, 0, tmp, sizeof tmp));
					continue;
				}
			} else {
				long ref = tok_ref_v(&r, 0, v->edifact);
				it.e = ref < 0 ? NULL : elem_find(v, (int)ref);
				if (!it.e) {
					rd_err(&r, "element '%s' is not in elements.def", tokc(&r, 0, tmp, sizeof tmp));
					continue;
				}
			}
			it.usage = usage_letter(r.tok[1], "MOX", v->edifact);
			if (!it.usage) {
				rd_err(&r, v->edifact ? "usage '%s' must be M, C (or O) or X" : "usage '%s' must be M, O or X",
				       tokc(&r, 1, tmp, sizeof tmp));
				continue;
			}
			it.maxrep = 1;
			if (r.ntok == 3) {
				long rep = tok_num(&r, 2, 1, 99999);
				if (rep < 0 || open == 2) {
					rd_err(&r, "repeat '%s' must be a number from 1 to 99999 (segment elements only)",
					       tokc(&r, 2, tmp, sizeof tmp));
					continue;
				}
				it.maxrep = (unsigned)rep;
			}
			if (nitems == X12_SCHEMA_MAX_SEG_ITEMS) {
				rd_err(&r, "more than %d elements in %s", X12_SCHEMA_MAX_SEG_ITEMS, open_id);
				continue;
			}
			items[nitems++] = it;
		} else
			rd_err(&r, "unknown keyword '%s' (segment, composite, rule, end)", tokc(&r, 0, tmp, sizeof tmp));
	}
	if (open)
		diag_error(d, path, open_line, "%s %s is not closed with 'end'", open == 1 ? "segment" : "composite",
			   open_id), r.bad = 1;
	rc = r.bad ? -EINVAL : 0;
	free(items);
	free(rules);
	free(r.data);
	return rc;
}

/* ---------------------------------------------------- transaction sets */

/* <ID>.def: "transaction ID FG" (EDIFACT: "message TYPE", "accept VERSION:RELEASE..."),
 * area words, "SEG USAGE MAX", "loop ID USAGE MAX" ... "end", "hl CODE top|PARENT...",
 * "key SEGNN[-C]". */
static void def_index(struct x12_txn_def *t);

static int load_txn(struct xs_ver *v, struct x12_txn_def *t, const char *path, const char *id,
		    struct diag_list *d)
{
	struct rd r;
	char tmp[64];
	int stack[X12_SCHEMA_MAX_NEST + 1];
	int depth = 0, need_trigger = 0, have_header = 0;
	size_t ecap = 0;
	int rc = rd_open(&r, path, d);
	if (rc < 0)
		return rc;
	memcpy(t->version, v->name, sizeof t->version);
	t->hl_seg = -1;
	t->key_seg = -1;
	t->loops = xcalloc(X12_SCHEMA_MAX_LOOPS, sizeof *t->loops);
	while (rd_next(&r)) {
		struct span k = r.tok[0];
		if (!have_header) {
			if (v->edifact) {
				if (!span_eq(k, "message") || r.ntok != 2 || !span_eq(r.tok[1], id)) {
					rd_err(&r, "the file must start with 'message %s' (the UNH 0065 message type)", id);
					break;
				}
			} else if (!span_eq(k, "transaction") || r.ntok != 3 || !span_eq(r.tok[1], id) || r.tok[2].n != 2) {
				rd_err(&r, "the file must start with 'transaction %s FG' (FG: the GS01 code)", id);
				break;
			}
			memcpy(t->id, id, strlen(id) + 1);
			if (!v->edifact)
				memcpy(t->fg, r.tok[2].p, 2);
			have_header = 1;
			continue;
		}
		if (v->edifact && span_eq(k, "accept")) {
			/* accept D:3 2:2 — other UNH 0052:0054 this definition answers (CONTRL) */
			for (size_t i = 1; i < r.ntok; i++) {
				struct span a = r.tok[i];
				const char *colon = memchr(a.p, ':', a.n);
				if (!colon || colon == a.p || colon == a.p + a.n - 1 || a.n >= sizeof t->accept[0] ||
				    t->naccept == XS_MAX_ACCEPT) {
					rd_err(&r, "expected 'accept VERSION:RELEASE...' (e.g. 'accept D:3 2:2', at most %d)",
					       XS_MAX_ACCEPT);
					break;
				}
				memcpy(t->accept[t->naccept], a.p, a.n);
				t->accept[t->naccept++][a.n] = '\0';
			}
			if (r.ntok < 2)
				rd_err(&r, "expected 'accept VERSION:RELEASE...' (e.g. 'accept D:3 2:2')");
			continue;
		}
		if (span_eq(k, "heading") || span_eq(k, "detail") || span_eq(k, "summary")) {
			if (depth)
				rd_err(&r, "area '%s' inside a loop", tokc(&r, 0, tmp, sizeof tmp));
			continue;
		}
		if (span_eq(k, "loop")) {
			if (need_trigger) {
				rd_err(&r, "a loop must start with a segment (its trigger), not with a loop");
				continue;
			}
			uint32_t mx;
			char lu = r.ntok == 4 ? usage_letter(r.tok[2], "MO", v->edifact) : 0;
			if (r.ntok != 4 || r.tok[1].n < 1 || r.tok[1].n > 6 || !lu || tok_max(&r, 3, &mx) < 0) {
				rd_err(&r, v->edifact ? "expected 'loop ID M|C MAX' (ID up to 6 characters such as SG25, MAX a"
							" number or >1)"
						      : "expected 'loop ID M|O MAX' (ID up to 6 characters, MAX a number or >1)");
				continue;
			}
			if (depth == X12_SCHEMA_MAX_NEST) {
				rd_err(&r, "loops nested deeper than %d", X12_SCHEMA_MAX_NEST);
				continue;
			}
			if (t->nloops == X12_SCHEMA_MAX_LOOPS) {
				rd_err(&r, "more than %d loops", X12_SCHEMA_MAX_LOOPS);
				continue;
			}
			struct xs_loop *l = &t->loops[t->nloops];
			memcpy(l->id, r.tok[1].p, r.tok[1].n);
			l->usage = lu;
			l->maxrep = mx;
			l->parent = depth ? stack[depth - 1] : -1;
			l->start = t->nentries;
			l->depth = depth + 1;
			stack[depth++] = (int)t->nloops++;
			need_trigger = 1;
			continue;
		}
		if (span_eq(k, "end")) {
			if (!depth) {
				rd_err(&r, "'end' without 'loop'");
				continue;
			}
			if (need_trigger)
				rd_err(&r, "loop %s has no segments", t->loops[stack[depth - 1]].id);
			need_trigger = 0;
			t->loops[stack[--depth]].end = t->nentries;
			continue;
		}
		if (span_eq(k, "key")) {
			/* key SEGNN: the element that names the document for people (PO number);
			 * key SEGNN-C: a component of a composite (EDIFACT BGM02-1 from D.01B on) */
			struct span kp = r.ntok == 2 ? r.tok[1] : SPAN_NULL;
			uint64_t en = 0, cn = 0;
			const char *dash = kp.n ? memchr(kp.p, '-', kp.n) : NULL;
			size_t base = dash ? (size_t)(dash - kp.p) : kp.n;
			int ksi = base >= 4 && base <= 5 ? x12_schema_seg_index(v, kp.p, base - 2) : -1;
			const struct xs_item *ki = NULL;
			if (ksi >= 0 && span_to_u64((struct span){ kp.p + base - 2, 2 }, &en) == 0 && en >= 1 &&
			    en <= v->segs[ksi].n)
				ki = &v->segs[ksi].items[en - 1];
			if (ki && dash && (span_to_u64((struct span){ dash + 1, kp.n - base - 1 }, &cn) < 0 || !ki->c ||
					   cn < 1 || cn > ki->c->n))
				ki = NULL;
			if (!ki || (!dash && !ki->e)) {
				rd_err(&r, "expected 'key SEGNN' naming a simple element of a known segment (e.g. 'key BEG03'),"
					   " or 'key SEGNN-C' a component (e.g. 'key BGM02-1')");
				continue;
			}
			t->key_seg = ksi;
			t->key_elem = (int)en;
			t->key_comp = (int)cn;
			continue;
		}
		if (span_eq(k, "hl")) {
			if (r.ntok < 3) {
				rd_err(&r, "expected 'hl LEVEL top|PARENT-LEVEL...', e.g. 'hl O S'");
				continue;
			}
			if (t->nhl == XS_MAX_HL || r.tok[1].n < 1 || r.tok[1].n > 2) {
				rd_err(&r, "bad hierarchy level '%s' (1-2 characters, at most %d levels)",
				       tokc(&r, 1, tmp, sizeof tmp), XS_MAX_HL);
				continue;
			}
			size_t me = t->nhl;
			for (size_t i = 0; i < t->nhl; i++)
				if (span_eq(r.tok[1], t->hl_code[i]))
					me = i;
			if (me != t->nhl) {
				rd_err(&r, "hierarchy level %s declared twice", t->hl_code[me]);
				continue;
			}
			memcpy(t->hl_code[me], r.tok[1].p, r.tok[1].n);
			t->hl_code[me][r.tok[1].n] = '\0';
			t->nhl++;
			for (size_t i = 2; i < r.ntok; i++) {
				if (span_eq(r.tok[i], "top")) {
					t->hl_top[me] = 1;
					continue;
				}
				size_t p = t->nhl;
				for (size_t j = 0; j < t->nhl; j++)
					if (span_eq(r.tok[i], t->hl_code[j]))
						p = j;
				if (p == t->nhl) {
					rd_err(&r, "parent level '%s' is not declared above", tokc(&r, i, tmp, sizeof tmp));
					continue;
				}
				t->hl_parents[me] |= 1u << p;
			}
			continue;
		}
		/* a segment line */
		uint32_t mx;
		char su = r.ntok == 3 ? usage_letter(r.tok[1], "MO", v->edifact) : 0;
		if (r.ntok != 3 || !su || tok_max(&r, 2, &mx) < 0) {
			rd_err(&r, v->edifact ? "expected 'SEGMENT M|C MAX' (MAX a number or >1), 'loop', 'end' or 'accept'"
					      : "expected 'SEGMENT M|O MAX' (MAX a number or >1), 'loop', 'end', 'hl' or an area");
			continue;
		}
		int si = x12_schema_seg_index(v, r.tok[0].p, r.tok[0].n);
		if (si < 0) {
			rd_err(&r, "segment '%s' is not in segments.def", tokc(&r, 0, tmp, sizeof tmp));
			continue;
		}
		if (t->nentries == X12_SCHEMA_MAX_ENTRIES) {
			rd_err(&r, "more than %d segment lines", X12_SCHEMA_MAX_ENTRIES);
			continue;
		}
		if (t->nentries == ecap) {
			ecap = ecap ? ecap * 2 : 64;
			t->entries = xrealloc(t->entries, ecap * sizeof *t->entries);
		}
		struct xs_entry *e = &t->entries[t->nentries++];
		e->seg = si;
		e->usage = su;
		e->maxuse = mx;
		e->loop = depth ? stack[depth - 1] : -1;
		e->trigger = need_trigger;
		e->line = (unsigned)r.line;
		need_trigger = 0;
	}
	if (!have_header && !r.bad) {
		diag_error(d, path, 0, v->edifact ? "empty file: expected 'message %s'" : "empty file: expected 'transaction %s FG'",
			   id);
		r.bad = 1;
	}
	if (depth)
		rd_err(&r, "loop %s is not closed with 'end'", t->loops[stack[depth - 1]].id);
	const char *head = v->edifact ? "UNH" : "ST", *trail = v->edifact ? "UNT" : "SE";
	if (!r.bad && (t->nentries < 2 || strcmp(v->segs[t->entries[0].seg].id, head) != 0 ||
		       strcmp(v->segs[t->entries[t->nentries - 1].seg].id, trail) != 0 ||
		       t->entries[t->nentries - 1].loop != -1))
		rd_err(&r, "the table must start with %s and end with %s (outside loops)", head, trail);
	if (t->nhl) {
		t->hl_seg = x12_schema_seg_index(v, "HL", 2);
		if (t->hl_seg < 0)
			rd_err(&r, "hierarchy declared but segment HL is not in segments.def");
	}
	t->first_entry = xmalloc((v->nsegs + 1) * sizeof *t->first_entry);
	for (size_t i = 0; i < v->nsegs; i++)
		t->first_entry[i] = -1;
	for (size_t i = t->nentries; i-- > 0;)
		t->first_entry[t->entries[i].seg] = (int)i;
	t->ver = v;
	rc = r.bad ? -EINVAL : 0;
	if (rc == 0)
		def_index(t);
	free(r.data);
	return rc;
}

/* Build a definition's placement indexes (body_bits, mand); replaces earlier ones. */
static void def_index(struct x12_txn_def *t)
{
	free(t->body_bits);
	free(t->mand);
	free(t->mand_off);
	t->bitwords = (t->ver->nsegs + 31) / 32 + 1;
	t->body_bits = xcalloc((t->nloops ? t->nloops : 1) * t->bitwords, sizeof *t->body_bits);
	for (size_t L = 0; L < t->nloops; L++) {
		uint32_t *b = t->body_bits + L * t->bitwords;
		for (size_t j = t->loops[L].start + 1; j < t->loops[L].end; j++)
			b[t->entries[j].seg / 32] |= 1u << (t->entries[j].seg % 32);
	}
	size_t nscope = t->nloops + 1;
	t->mand_off = xcalloc(nscope + 1, sizeof *t->mand_off);
	t->mand = xmalloc((t->nentries ? t->nentries : 1) * sizeof *t->mand);
	size_t n = 0;
	for (size_t sc = 0; sc < nscope; sc++) {
		int L = (int)sc - 1;
		size_t a = L >= 0 ? t->loops[L].start : 0, b = L >= 0 ? t->loops[L].end : t->nentries;
		t->mand_off[sc] = n;
		for (size_t j = a; j < b;) {
			const struct xs_entry *e = &t->entries[j];
			if (e->loop != L && !(L >= 0 && j == t->loops[L].start)) {
				const struct xs_loop *K = &t->loops[e->loop];
				if (K->usage == 'M')
					t->mand[n++] = (int)j;
				j = K->end;
				continue;
			}
			/* the trailer (SE, UNT) is the envelope layer's to report */
			if (e->usage == 'M' && strcmp(t->ver->segs[e->seg].id, t->ver->edifact ? "UNT" : "SE") != 0)
				t->mand[n++] = (int)j;
			j++;
		}
	}
	t->mand_off[nscope] = n;
}

/* Free what a definition owns. */
static void free_def(struct x12_txn_def *t)
{
	free(t->entries);
	free(t->loops);
	free(t->first_entry);
	free(t->body_bits);
	free(t->mand);
	free(t->mand_off);
}

static void free_ver(struct xs_ver *v)
{
	for (size_t i = 0; i < v->nelems; i++) {
		for (size_t j = 0; j < v->elems[i].ncodes; j++)
			free(v->elems[i].codes[j]);
		free(v->elems[i].codes);
		free(v->elems[i].ckeys);
		free(v->elems[i].name);
	}
	free(v->elems);
	for (size_t i = 0; i < v->ncomps; i++) {
		free(v->comps[i].items);
		free(v->comps[i].rules);
	}
	free(v->comps);
	for (size_t i = 0; i < v->nsegs; i++) {
		free(v->segs[i].items);
		free(v->segs[i].rules);
	}
	free(v->segs);
	free(v->hash);
	for (size_t i = 0; i < v->ntxns; i++)
		free_def(&v->txns[i]);
	free(v->txns);
}

/* Free a schema; NULL is a no-op. */
void x12_schema_free(struct x12_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nvers; i++)
		free_ver(&s->vers[i]);
	free(s->vers);
	free(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory matching pred (bounded by max); -errno. */
static int list_dir(const char *dir, int (*pred)(const char *), size_t max, char ***out, size_t *n,
		    struct diag_list *d)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	*out = NULL;
	*n = 0;
	if (!dh) {
		int e = errno;
		diag_error(d, dir, 0, "cannot open directory: %s", strerror(e));
		return -e;
	}
	while ((de = readdir(dh))) {
		if (!pred(de->d_name))
			continue;
		if (*n == max) {
			diag_error(d, dir, 0, "more than %zu entries", max);
			break;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (*n)
		qsort(*out, *n, sizeof **out, cmp_str);
	return 0;
}

static int is_version_dir(const char *s)
{
	if (strlen(s) != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int is_txn_file(const char *s)
{
	return strlen(s) == 7 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
	       s[2] <= '9' && strcmp(s + 3, ".def") == 0;
}

/* An EDIFACT release directory: 2-6 capital letters or digits, first a letter ("D96A"). */
static int is_release_dir(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 6 || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* An EDIFACT message file: 1-6 capital letters and ".def" ("ORDERS.def"). */
static int is_msg_file(const char *s)
{
	size_t n = strlen(s);
	if (n < 5 || n > 10 || strcmp(s + n - 4, ".def") != 0)
		return 0;
	for (size_t i = 0; i + 4 < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Load one version directory. */
static int load_ver(struct xs_ver *v, const char *dir, const char *name, int edifact, struct diag_list *d)
{
	char *p;
	char **files = NULL;
	size_t nfiles = 0;
	int rc, bad = 0;
	memcpy(v->name, name, strnlen(name, sizeof v->name - 1));
	v->edifact = edifact;
	p = path_join(dir, "elements.def");
	rc = load_elements(v, p, d);
	free(p);
	if (rc < 0)
		return rc;
	p = path_join(dir, "segments.def");
	rc = load_segments(v, p, d);
	free(p);
	build_hash(v);
	if (rc < 0)
		return rc;
	rc = list_dir(dir, edifact ? is_msg_file : is_txn_file, X12_SCHEMA_MAX_TXNS, &files, &nfiles, d);
	if (rc < 0)
		return rc;
	v->txns = xcalloc(nfiles + 1, sizeof *v->txns);
	for (size_t i = 0; i < nfiles; i++) {
		char id[8];
		size_t idn = strlen(files[i]) - 4; /* without ".def": 3 (X12) or 1..6 (EDIFACT) */
		memcpy(id, files[i], idn);
		id[idn] = '\0';
		p = path_join(dir, files[i]);
		rc = load_txn(v, &v->txns[v->ntxns++], p, id, d);
		free(p);
		if (rc < 0)
			bad = 1;
	}
	free_names(files, nfiles);
	return bad ? -EINVAL : 0;
}

/* Load every version directory under root/<sub> (x12: 004010 ...; edifact: D96A ...). */
static int load_std(struct x12_schema **out, const char *root, int edifact, struct diag_list *d)
{
	struct x12_schema *s = xcalloc(1, sizeof *s);
	char **names = NULL;
	size_t n = 0;
	char *x12dir = path_join(root, edifact ? "edifact" : "x12");
	int rc = list_dir(x12dir, edifact ? is_release_dir : is_version_dir, X12_SCHEMA_MAX_VERSIONS, &names, &n, d);
	*out = NULL;
	s->edifact = edifact;
	if (rc < 0)
		goto out;
	if (n == 0) {
		diag_error(d, x12dir, 0, edifact ? "no release directories (e.g. D96A)" : "no version directories (e.g. 004010)");
		rc = -ENOENT;
		goto out;
	}
	s->vers = xcalloc(n, sizeof *s->vers);
	for (size_t i = 0; i < n; i++) {
		char *vd = path_join(x12dir, names[i]);
		int r = load_ver(&s->vers[s->nvers++], vd, names[i], edifact, d);
		free(vd);
		if (r < 0)
			rc = -EINVAL;
	}
out:
	free_names(names, n);
	free(x12dir);
	if (rc < 0)
		x12_schema_free(s);
	else
		*out = s;
	return rc;
}

/* Load every version directory under root/x12. */
int x12_schema_load(struct x12_schema **out, const char *root, struct diag_list *d)
{
	return load_std(out, root, 0, d);
}

/* Load every EDIFACT release directory under root/edifact. */
int x12_schema_load_edifact(struct x12_schema **out, const char *root, struct diag_list *d)
{
	return load_std(out, root, 1, d);
}

/* Whether a schema holds EDIFACT definitions. */
int x12_schema_is_edifact(const struct x12_schema *s)
{
	return s && s->edifact;
}

/* Whether a version's name matches what the caller asked for: X12 the first six characters
 * of GS08, EDIFACT the whole release directory name. */
static int ver_matches(const char *name, int edifact, const char *want)
{
	if (edifact)
		return strcmp(name, want) == 0;
	return strlen(want) >= 6 && memcmp(name, want, 6) == 0;
}

/* Definition for a GS08 version (first 6 characters) and ST01; NULL when none. */
const struct x12_txn_def *x12_schema_find(const struct x12_schema *s, const char *gs08,
					  const char *st01)
{
	if (!s || !gs08 || !st01)
		return NULL;
	for (size_t i = 0; i < s->nvers; i++) {
		const struct xs_ver *v = &s->vers[i];
		if (!ver_matches(v->name, s->edifact, gs08))
			continue;
		for (size_t j = 0; j < v->ntxns; j++)
			if (strcmp(v->txns[j].id, st01) == 0)
				return &v->txns[j];
	}
	return NULL;
}

/* The document's key (the first occurrence of the definition's 'key' element). */
struct span x12_txn_def_key(const struct x12_txn_def *def, const struct x12_txn *txn)
{
	if (!def || !txn || def->key_seg < 0)
		return SPAN_NULL;
	const char *id = def->ver->segs[def->key_seg].id;
	for (size_t i = 0; i < txn->nseg; i++) {
		if (strcmp(txn->segs[i].id, id) != 0)
			continue;
		struct span el = x12_tseg_elem(&txn->segs[i], (size_t)def->key_elem);
		if (!def->key_comp)
			return el;
		return x12_component(el, txn->delims ? txn->delims->comp : ':', (size_t)def->key_comp);
	}
	return SPAN_NULL;
}

/* The version of a definition ("004010"). */
const char *x12_txn_def_version(const struct x12_txn_def *def)
{
	return def->version;
}

/* The transaction set id of a definition ("850"). */
const char *x12_txn_def_id(const struct x12_txn_def *def)
{
	return def->id;
}

/* ------------------------------------------------------------ partner overlays */

struct x12_overlay {
	int edifact;
	char *path;
	struct x12_txn_def *defs;
	size_t ndefs;
};

/* Copy of a shipped definition that an overlay may change; shares the dictionaries. */
static void def_copy(struct x12_txn_def *dst, const struct x12_txn_def *src, const char *path)
{
	*dst = *src;
	dst->entries = xmalloc((src->nentries ? src->nentries : 1) * sizeof *dst->entries);
	memcpy(dst->entries, src->entries, src->nentries * sizeof *dst->entries);
	dst->loops = xmalloc((src->nloops ? src->nloops : 1) * sizeof *dst->loops);
	memcpy(dst->loops, src->loops, src->nloops * sizeof *dst->loops);
	dst->first_entry = xmalloc((src->ver->nsegs + 1) * sizeof *dst->first_entry);
	memcpy(dst->first_entry, src->first_entry, (src->ver->nsegs + 1) * sizeof *dst->first_entry);
	dst->overlay = path;
	dst->extra = NULL;
	dst->nextra = 0;
	dst->only = NULL;
	dst->nonly = 0;
	dst->body_bits = NULL; /* the copy's own, built when the overlay is loaded */
	dst->mand = NULL;
	dst->mand_off = NULL;
}

/* The loop path of an entry ("PO1/N1"; "" outside loops) into out. */
static void entry_path(const struct x12_txn_def *t, int loop, char *out, size_t cap)
{
	int chain[X12_SCHEMA_MAX_NEST + 1];
	int n = 0;
	for (int l = loop; l >= 0 && n <= X12_SCHEMA_MAX_NEST; l = t->loops[l].parent)
		chain[n++] = l;
	size_t o = 0;
	out[0] = '\0';
	while (n-- > 0 && o < cap) {
		int w = snprintf(out + o, cap - o, "%s%s", o ? "/" : "", t->loops[chain[n]].id);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* Where segment si occurs in t, for messages: "REF, N1/REF, PO1/N1/REF". */
static void seg_places(const struct x12_txn_def *t, int si, char *out, size_t cap)
{
	char lp[160];
	size_t o = 0;
	out[0] = '\0';
	for (size_t j = 0; j < t->nentries && o < cap; j++) {
		if (t->entries[j].seg != si)
			continue;
		entry_path(t, t->entries[j].loop, lp, sizeof lp);
		int w = snprintf(out + o, cap - o, "%s%s%s%s", o ? ", " : "", lp, *lp ? "/" : "",
				 t->ver->segs[si].id);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* Resolve "SEG" (outside loops) or "LOOP/.../SEG" to an entry index; -1 with a diagnostic. */
static int ov_entry(struct rd *r, const struct x12_txn_def *t, struct span path)
{
	char want[160], have[160], tmp[64], places[512];
	const char *slash = NULL;
	for (size_t i = 0; i < path.n; i++)
		if (path.p[i] == '/')
			slash = path.p + i;
	struct span seg = slash ? (struct span){ slash + 1, path.n - (size_t)(slash + 1 - path.p) } : path;
	size_t ln = slash ? (size_t)(slash - path.p) : 0;
	int si = x12_schema_seg_index(t->ver, seg.p, seg.n);
	size_t n = path.n < sizeof tmp - 1 ? path.n : sizeof tmp - 1;
	memcpy(tmp, path.p, n);
	tmp[n] = '\0';
	if (si < 0 || t->first_entry[si] < 0) {
		rd_err(r, "'%s': segment %.*s is not in the %s %s definition", tmp, (int)(seg.n > 3 ? 3 : seg.n),
		       seg.p, t->version, t->id);
		return -1;
	}
	if (ln >= sizeof want) {
		rd_err(r, "'%s': loop path too long", tmp);
		return -1;
	}
	memcpy(want, path.p, ln);
	want[ln] = '\0';
	for (size_t j = 0; j < t->nentries; j++) {
		if (t->entries[j].seg != si)
			continue;
		entry_path(t, t->entries[j].loop, have, sizeof have);
		if (strcmp(have, want) == 0)
			return (int)j;
	}
	seg_places(t, si, places, sizeof places);
	rd_err(r, "'%s' is not in the %s %s definition: %s is at %s", tmp, t->version, t->id,
	       t->ver->segs[si].id, places);
	return -1;
}

/* Resolve a loop path "PO1/N1" to a loop index; -1 with a diagnostic. */
static int ov_loop(struct rd *r, const struct x12_txn_def *t, struct span path)
{
	char want[160], have[160];
	if (path.n >= sizeof want) {
		rd_err(r, "loop path too long");
		return -1;
	}
	memcpy(want, path.p, path.n);
	want[path.n] = '\0';
	for (size_t l = 0; l < t->nloops; l++) {
		entry_path(t, (int)l, have, sizeof have);
		if (strcmp(have, want) == 0)
			return (int)l;
	}
	rd_err(r, "loop '%s' is not in the %s %s definition (write the loop path, e.g. PO1/N1)", want,
	       t->version, t->id);
	return -1;
}

/* Parse an element position "PO103" or "MEA04-1" against segment definitions; the item it names
 * (simple element) or NULL with a diagnostic. */
static const struct xs_elem *ov_position(struct rd *r, const struct x12_txn_def *t, struct span pos,
					 struct xs_extra *x, int need_codes)
{
	char tmp[64];
	tokc(r, 1, tmp, sizeof tmp);
	size_t dash = pos.n;
	for (size_t i = 0; i < pos.n; i++)
		if (pos.p[i] == '-')
			dash = i;
	if (dash < 4 || dash > 5) {
		rd_err(r, "'%s' is not an element position (segment id and two digits: BEG02, PO103, MEA04-1)", tmp);
		return NULL;
	}
	struct span id = { pos.p, dash - 2 };
	struct span el = { pos.p + dash - 2, 2 };
	uint64_t en = 0, cn = 0;
	if (span_to_u64(el, &en) < 0 || en < 1 ||
	    (dash < pos.n && (span_to_u64((struct span){ pos.p + dash + 1, pos.n - dash - 1 }, &cn) < 0 || cn < 1))) {
		rd_err(r, "'%s' is not an element position (segment id and two digits: BEG02, PO103, MEA04-1)", tmp);
		return NULL;
	}
	int si = x12_schema_seg_index(t->ver, id.p, id.n);
	if (si < 0 || t->first_entry[si] < 0) {
		rd_err(r, "'%s': segment %.*s is not in the %s %s definition", tmp, (int)id.n, id.p, t->version, t->id);
		return NULL;
	}
	const struct xs_seg *sg = &t->ver->segs[si];
	if (en > sg->n) {
		rd_err(r, "'%s': segment %s has %zu elements", tmp, sg->id, sg->n);
		return NULL;
	}
	const struct xs_item *it = &sg->items[en - 1];
	if (it->c) {
		if (!cn || cn > it->c->n) {
			rd_err(r, "'%s': element %02d of %s is composite %s with %zu components: name one (e.g. %s%02d-1)",
			       tmp, (int)en, sg->id, it->c->id, it->c->n, sg->id, (int)en);
			return NULL;
		}
		it = &it->c->items[cn - 1];
	} else if (cn) {
		rd_err(r, "'%s': element %02d of %s is not a composite", tmp, (int)en, sg->id);
		return NULL;
	}
	if (!it->e || (need_codes && !it->e->has_codes)) {
		rd_err(r, "'%s' has no code list to extend (only ID elements with codes can take allow-code)", tmp);
		return NULL;
	}
	x->seg = si;
	x->elem = (unsigned char)en;
	x->comp = (unsigned char)cn;
	return it->e;
}

/* Whether the sorted code list of e has code c. */
static int elem_has_code(const struct xs_elem *e, const char *c)
{
	for (size_t i = 0; i < e->ncodes; i++)
		if (strcmp(e->codes[i], c) == 0)
			return 1;
	return 0;
}

/* One directive line of an overlay for definition t. */
static void ov_directive(struct rd *r, struct x12_txn_def *t)
{
	char tmp[64];
	struct span k = r->tok[0];
	if (span_eq(k, "require")) {
		if (r->ntok != 2) {
			rd_err(r, "expected 'require SEGMENT-PATH' (e.g. 'require DTM', 'require PO1/PID/PID')");
			return;
		}
		int j = ov_entry(r, t, r->tok[1]);
		if (j < 0)
			return;
		struct xs_entry *e = &t->entries[j];
		if (e->usage == 'M' && (!e->trigger || t->loops[e->loop].usage == 'M'))
			diag_warn(r->d, r->path, r->line, "%s is already mandatory in %s %s", tokc(r, 1, tmp, sizeof tmp),
				  t->version, t->id);
		e->usage = 'M';
		if (e->trigger)
			t->loops[e->loop].usage = 'M'; /* the loop's first segment: the loop itself is required */
		return;
	}
	if (span_eq(k, "max-use") || span_eq(k, "loop-max")) {
		int loop = span_eq(k, "loop-max");
		uint32_t mx;
		if (r->ntok != 3 || tok_max(r, 2, &mx) < 0 || mx == UINT32_MAX) {
			rd_err(r, loop ? "expected 'loop-max LOOP-PATH N' (N a number >= 1)"
				       : "expected 'max-use SEGMENT-PATH N' (N a number >= 1)");
			return;
		}
		uint32_t *cur;
		if (loop) {
			int l = ov_loop(r, t, r->tok[1]);
			if (l < 0)
				return;
			cur = &t->loops[l].maxrep;
		} else {
			int j = ov_entry(r, t, r->tok[1]);
			if (j < 0)
				return;
			cur = &t->entries[j].maxuse;
		}
		if (mx > *cur) {
			rd_err(r, "%s can only narrow: %s allows %u in %s %s, not more", loop ? "loop-max" : "max-use",
			       tokc(r, 1, tmp, sizeof tmp), *cur, t->version, t->id);
			return;
		}
		*cur = mx;
		return;
	}
	if (span_eq(k, "allow-code")) {
		if (r->ntok < 3) {
			rd_err(r, "expected 'allow-code POSITION CODE...' (e.g. 'allow-code BEG02 ZZ')");
			return;
		}
		struct xs_extra x = { 0 };
		const struct xs_elem *e = ov_position(r, t, r->tok[1], &x, 1);
		if (!e)
			return;
		for (size_t i = 2; i < r->ntok; i++) {
			if (r->tok[i].n > e->maxlen || r->tok[i].n < e->minlen || r->tok[i].n >= sizeof x.code) {
				rd_err(r, "code '%s' does not fit element %d (%u to %u characters)", tokc(r, i, tmp, sizeof tmp),
				       e->ref, e->minlen, e->maxlen);
				continue;
			}
			memcpy(x.code, r->tok[i].p, r->tok[i].n);
			x.code[r->tok[i].n] = '\0';
			if (elem_has_code(e, x.code)) {
				diag_warn(r->d, r->path, r->line, "code '%s' is already in the list of element %d", x.code,
					  e->ref);
				continue;
			}
			x.line = (unsigned)r->line;
			t->extra = xrealloc(t->extra, (t->nextra + 1) * sizeof *t->extra);
			t->extra[t->nextra++] = x;
		}
		return;
	}
	if (span_eq(k, "only-codes")) {
		/* the partner uses these codes and no others at this position: anything else is an
		 * error (AK403 7 / 0085 12), whatever the standard's list allows */
		if (r->ntok < 3) {
			rd_err(r, "expected 'only-codes POSITION CODE...' (e.g. 'only-codes NAD01 BY DP SU')");
			return;
		}
		struct xs_extra x = { 0 };
		const struct xs_elem *e = ov_position(r, t, r->tok[1], &x, 0);
		if (!e)
			return;
		for (size_t i = 2; i < r->ntok; i++) {
			if (r->tok[i].n > e->maxlen || r->tok[i].n < e->minlen || r->tok[i].n >= sizeof x.code) {
				rd_err(r, "code '%s' does not fit element %d (%u to %u characters)", tokc(r, i, tmp, sizeof tmp),
				       e->ref, e->minlen, e->maxlen);
				continue;
			}
			memcpy(x.code, r->tok[i].p, r->tok[i].n);
			x.code[r->tok[i].n] = '\0';
			x.line = (unsigned)r->line;
			t->only = xrealloc(t->only, (t->nonly + 1) * sizeof *t->only);
			t->only[t->nonly++] = x;
		}
		return;
	}
	rd_err(r, "unknown directive '%s' (transaction, require, max-use, loop-max, allow-code, only-codes)",
	       tokc(r, 0, tmp, sizeof tmp));
}

/* Free the definition copies of an overlay. */
static void ov_free_defs(struct x12_overlay *o)
{
	for (size_t i = 0; i < o->ndefs; i++) {
		free_def(&o->defs[i]);
		free(o->defs[i].extra);
		free(o->defs[i].only);
	}
	free(o->defs);
}

/* Load a partner overlay of s. */
int x12_overlay_load(struct x12_overlay **out, const struct x12_schema *s, const char *path,
		     struct diag_list *d)
{
	struct rd r;
	char tmp[64];
	*out = NULL;
	int rc = rd_open(&r, path, d);
	if (rc < 0)
		return rc;
	struct x12_overlay *o = xcalloc(1, sizeof *o);
	o->path = xstrdup(path);
	o->edifact = s->edifact;
	/* allocated up front so the copies do not move while directives point into them */
	o->defs = xcalloc(X12_SCHEMA_MAX_TXNS, sizeof *o->defs);
	struct x12_txn_def *cur = NULL;
	while (rd_next(&r)) {
		if (span_eq(r.tok[0], "transaction") || (s->edifact && span_eq(r.tok[0], "message"))) {
			cur = NULL;
			/* X12: transaction 004010 850; EDIFACT: transaction D96A ORDERS (or message ...) */
			size_t vn = r.ntok == 3 ? r.tok[1].n : 0, in = r.ntok == 3 ? r.tok[2].n : 0;
			if (s->edifact ? (vn < 2 || vn > 6 || in < 1 || in > 6) : (vn != 6 || in != 3)) {
				rd_err(&r, s->edifact ? "expected 'transaction RELEASE TYPE' (e.g. 'transaction D96A ORDERS')"
						      : "expected 'transaction VERSION ID' (e.g. 'transaction 004010 850')");
				continue;
			}
			char ver[7], id[8];
			memcpy(ver, r.tok[1].p, vn);
			ver[vn] = '\0';
			memcpy(id, r.tok[2].p, in);
			id[in] = '\0';
			const struct x12_txn_def *base = x12_schema_find(s, ver, id);
			if (!base) {
				rd_err(&r, "no shipped definition %s %s to overlay (schema-dir)", ver, id);
				continue;
			}
			int twice = 0;
			for (size_t i = 0; i < o->ndefs; i++)
				twice |= strcmp(o->defs[i].version, ver) == 0 && strcmp(o->defs[i].id, id) == 0;
			if (twice) {
				rd_err(&r, "transaction %s %s appears twice in this file", ver, id);
				continue;
			}
			if (o->ndefs == X12_SCHEMA_MAX_TXNS) {
				rd_err(&r, "more than %d transaction sets", X12_SCHEMA_MAX_TXNS);
				continue;
			}
			cur = &o->defs[o->ndefs++];
			def_copy(cur, base, o->path);
			continue;
		}
		if (!cur) {
			rd_err(&r, "'%s' before a 'transaction VERSION ID' line", tokc(&r, 0, tmp, sizeof tmp));
			continue;
		}
		ov_directive(&r, cur);
	}
	free(r.data);
	if (r.bad) {
		x12_overlay_free(o);
		return -EINVAL;
	}
	for (size_t i = 0; i < o->ndefs; i++)
		def_index(&o->defs[i]); /* require and loop usage changed what is mandatory */
	*out = o;
	return 0;
}

/* Free an overlay; NULL is a no-op. */
void x12_overlay_free(struct x12_overlay *o)
{
	if (!o)
		return;
	ov_free_defs(o);
	free(o->path);
	free(o);
}

/* The overlay's definition, else the shipped one. */
const struct x12_txn_def *x12_overlay_find(const struct x12_overlay *o, const struct x12_schema *s,
					   const char *gs08, const char *st01)
{
	if (o && gs08 && st01)
		for (size_t i = 0; i < o->ndefs; i++)
			if (ver_matches(o->defs[i].version, o->edifact, gs08) && strcmp(o->defs[i].id, st01) == 0)
				return &o->defs[i];
	return x12_schema_find(s, gs08, st01);
}

/* Number of definitions the overlay changes. */
size_t x12_overlay_count(const struct x12_overlay *o)
{
	return o ? o->ndefs : 0;
}

/* The overlay a definition came from, NULL when shipped. */
const char *x12_txn_def_overlay(const struct x12_txn_def *def)
{
	return def ? def->overlay : NULL;
}
