/*
 * map_apply.c — apply a compiled map to one X12 transaction set
 * (map_apply_x12) or one EDIFACT message (map_apply_edifact) and build its
 * canonical record.
 *
 * An EDIFACT message is read through its X12 view (edifact.h, struct
 * edi_view): one segment per EDIFACT segment, each data element one span
 * with its components joined by EDI_VIEW_COMP and its repetitions by
 * EDI_VIEW_REP, so paths (BGM02-1, DTM[DTM01-1=137]/DTM01-2), loops and
 * conditions work as on X12. What differs for EDIFACT: a path reads the
 * first repetition of an element; a whole composite (no -N) reads its
 * components joined by the interchange's component separator; numbers take
 * '.' or ',' as the decimal mark (the UNA's, or the other one, as syntax 4
 * allows: EDIFACT has no thousands separator); dates written as 2379 codes
 * take the format code from the component after the value; findings carry
 * ISO 9735 syntax error codes (0085) and no X12 element reference number;
 * the source element comes from UNB/UNG/UNH.
 *
 * A CSV file (map_apply_csv) is read through a view built here (csv_view): one ROW
 * segment per data row of the group, whose elements are the map's column slots (slot k
 * the column headed by the map's k-th @name, then slot names + c for column Cc), so the
 * engine reads @ship_date as ROW0k. Findings name the file line and column (elem_pos is
 * the file's column, line the row's line).
 *
 * A fixed-width file (map_apply_fixed) is read the same way: one view segment per line,
 * named by its record type (map_fixed_type: the first record declaration whose text is
 * at its column), whose elements are the fields the map reads in that record type (slot
 * k: the record's k-th distinct FIRST+LENGTH), cut by character position; loops of
 * record types work as X12 loops. Findings name the line and the columns.
 *
 * An XML document (map_apply_xml) has no segments: fields are XPath expressions (compiled
 * by map_load) evaluated at the block's current node, and where the segment engine
 * passes segment indexes the XML code passes indexes into a table of the nodes it has
 * read (the current node of each block, the node each value came from), so options,
 * conversions, checks and findings are shared; a finding names the node's line and path.
 *
 * Nested groups of flat rows (apply_group: "each group @po" in a CSV map, "each group
 * D:3-12" in a fixed-width one) partition the current scope's rows (the record's, or the
 * enclosing group's: struct actx rset) by the key's trimmed value: the rows are sorted
 * by (key, position), cut into groups, and the groups ordered by their first row, so
 * rows need not be adjacent (n log n per level). A group's block reads its first row;
 * each row (each D) inside repeats the group's rows. A row with an empty key is in no
 * group: a finding on that row.
 *
 * For the partner setting flat.bad-row, a struct map_rowflags passed in learns which
 * rows (lines) the findings reject: those of the innermost each element a finding is
 * made in (every row of a group's element); any other finding marks the record.
 *
 * The transaction set is partner data. It is read through the bounds the
 * envelope layer already enforced (segments per transaction, element
 * length); this file adds: loop nesting at most MAP_MAX_LOOP_DEPTH (the
 * map's loop definitions cannot nest deeper), at most `max` (default
 * MAP_MAX_LIST) elements per list, values checked to be UTF-8 XML text
 * before they enter the record, numbers with exponents of at most 30.
 *
 * Steps: (1) one pass over the segments builds the loop tree from the
 * map's loop definitions (an occurrence per loop start, each segment owned
 * by the innermost open loop that lists it; a segment no open loop lists
 * closes them), and occurrences of the hierarchical HL loop are linked to
 * their parents by HL02 = HL01 (sorted ids, binary search: n log n for
 * partner-sized 856s); (2) the map's fields are evaluated block by block, each
 * path step walking only the segments or loop occurrences of its scope;
 * (3) check count()/sum() totals are compared once the record is built.
 * Data problems become struct x12_error entries with the X12 code and
 * position; the record is built as far as possible either way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "map/map_int.h"

struct occ {
	int loop;          /* -1: the top level */
	int parent;
	size_t start;      /* index of its first segment */
	size_t end;        /* one past its last segment, nested loops included */
	int first_child, last_child, next_sibling;
	long first_direct, last_direct;
	int hfirst, hlast, hnext; /* HL loops: children by HL02, in document order */
};

/* A CSV view's context: the file, slot → file column (0: the header lacks it). */
struct csvctx {
	const struct csv_table *t;
	size_t *col;            /* nslots + 1 */
	size_t nslots;
};

/* An XML document's context: the XPath context (the map's namespaces) and the nodes
 * read so far, which stand where segment indexes stand for the other sources: the
 * current node of a block, and the node each value came from (finding positions). */
struct xmlctx {
	xmlXPathContextPtr xp;
	struct buf err;       /* the last XPath error */
	xmlNodePtr *nodes;
	size_t n, cap;
	struct buf v;         /* the value being read */
};

/* A fixed-width view's context: each view segment's record type. */
struct fixctx {
	const struct fixed_file *f;
	int *rec;               /* per view segment: index into m->recs */
};

struct joinring {
	struct buf b[4];
	size_t n;
};

struct pending {
	const struct mfield *f;
	xmlNodePtr node;
	char *value;
	long seg;
	char *label;
};

struct missing {
	char seg_id[4];
	uint64_t pos;
};

struct actx {
	const struct map *m;
	const struct x12_txn *txn;
	size_t nseg;
	uint32_t *packed;     /* per segment */
	long *next_direct;    /* per segment: next segment of the same occurrence */
	int *owner;           /* per segment: its occurrence */
	struct occ *occ;
	size_t nocc, capocc;
	char comp;            /* component separator, 0 when unknown */
	int edifact;          /* reading the X12 view of an EDIFACT message */
	char rep;             /* EDIFACT: repetition separator of the view (first repetition read) */
	char edi_comp;        /* EDIFACT: the interchange's component separator (whole composites) */
	struct joinring *ring; /* EDIFACT: whole composites re-joined */
	const struct csvctx *csv; /* CSV: the file and the slot → column table */
	const struct fixctx *fix; /* fixed-width: the file and each segment's record type */
	const size_t *vrow;   /* CSV, fixed: view segment → index into the caller's rows (NULL: the same) */
	struct xmlctx *xml;   /* XML: no segments; "segment" indexes are indexes into xml->nodes */
	struct x12_errlist *errs;
	struct buf val;       /* converted value */
	struct buf tmp;       /* squeezed value */
	struct pending *pend;
	size_t npend, cappend;
	struct missing *miss;
	size_t nmiss;
	struct {
		const struct mfield *f;
		size_t index;
		long from, to;  /* the segments the list element is made from */
		const long *rows; /* an each group's element: its rows (segments), or NULL */
		size_t nrows;
	} lab[MAP_MAX_DEPTH + 1];
	size_t nlab;
	/* CSV, fixed: in the block of an each group, the group's rows (view segments, in file
	 * order), which each row (each D) repeats; NULL elsewhere */
	const long *rset;
	size_t nrset;
	struct map_rowflags *rf; /* CSV and fixed-width: which rows the findings reject */
	int mark;             /* the finding being added is one row's (elem_error, missing_segment) */
	long mark_only;       /* ... and only this segment's, + 1 (a row no group takes); 0 none */
	/* deepest failure of the last find() */
	size_t fail_step;
	int fail_occ;
	int failed;
};

/* ------------------------------------------------------------ loop tree */

/* A new loop occurrence (the top level when loop < 0), linked under parent. */
static int occ_new(struct actx *a, int loop, int parent, size_t start)
{
	if (a->nocc == a->capocc) /* never: at most one occurrence per segment, plus the top */
		abort();
	int o = (int)a->nocc++;
	struct occ *c = &a->occ[o];
	c->loop = loop;
	c->parent = parent;
	c->start = start;
	c->end = a->nseg;
	c->first_child = c->last_child = c->next_sibling = -1;
	c->first_direct = c->last_direct = -1;
	c->hfirst = c->hlast = c->hnext = -1;
	if (parent >= 0) {
		struct occ *p = &a->occ[parent];
		if (p->last_child >= 0)
			a->occ[p->last_child].next_sibling = o;
		else
			p->first_child = o;
		p->last_child = o;
	}
	return o;
}

/* Segment s belongs directly to occurrence o. */
static void add_direct(struct actx *a, int o, size_t s)
{
	struct occ *c = &a->occ[o];
	a->next_direct[s] = -1;
	a->owner[s] = o;
	if (c->last_direct >= 0)
		a->next_direct[c->last_direct] = (long)s;
	else
		c->first_direct = (long)s;
	c->last_direct = (long)s;
}

/* One pass: loop occurrences and the segments each directly holds. */
static void build_tree(struct actx *a)
{
	const struct map *m = a->m;
	int stack[MAP_MAX_LOOP_DEPTH + 2];
	size_t top = 0;
	stack[0] = occ_new(a, -1, -1, 0);
	for (size_t i = 0; i < a->nseg; i++) {
		int k = map_intern(m, a->packed[i]);
		int placed = 0;
		for (size_t lv = top + 1; k >= 0 && lv-- > 0;) {
			int r = map_role(m, a->occ[stack[lv]].loop, k);
			if (r >= 2 && lv + 1 < sizeof stack / sizeof stack[0]) {
				while (top > lv)
					a->occ[stack[top--]].end = i;
				int o = occ_new(a, r - 2, stack[lv], i);
				stack[++top] = o;
				add_direct(a, o, i);
				placed = 1;
				break;
			}
			if (r == 1 && lv > 0) {
				while (top > lv)
					a->occ[stack[top--]].end = i;
				add_direct(a, stack[lv], i);
				placed = 1;
				break;
			}
		}
		if (!placed) {
			while (top > 0)
				a->occ[stack[top--]].end = i;
			add_direct(a, stack[0], i);
		}
	}
	while (top > 0)
		a->occ[stack[top--]].end = a->nseg;
}

/* Element pos (trimmed) of the segment that starts occurrence o. */
static struct span occ_elem(const struct actx *a, int o, int pos)
{
	const struct x12_tseg *g = &a->txn->segs[a->occ[o].start];
	if ((size_t)pos > g->nelem || !g->elem[pos].p)
		return (struct span){ "", 0 };
	return span_trim(g->elem[pos]);
}

struct hlid {
	struct span id; /* HL01, trimmed */
	int occ;
};

/* Order HL occurrences by their id (HL01), then by position. */
static int hl_cmp(const void *x, const void *y)
{
	const struct hlid *u = x, *v = y;
	int r = memcmp(u->id.p, v->id.p, u->id.n < v->id.n ? u->id.n : v->id.n);
	if (r == 0 && u->id.n != v->id.n)
		r = u->id.n < v->id.n ? -1 : 1;
	return r ? r : (u->occ > v->occ) - (u->occ < v->occ);
}

/* Link every occurrence of a hierarchical (HL) loop under the earlier occurrence whose
 * HL01 is its HL02 (the first such one when ids repeat); ids are compared trimmed,
 * and an occurrence that does not precede the child is not its parent. */
static void link_hier(struct actx *a)
{
	size_t n = 0;
	for (size_t o = 1; o < a->nocc; o++)
		n += map_loop_hier(a->m, a->occ[o].loop) != 0;
	if (n == 0)
		return;
	struct hlid *v = xmalloc(n * sizeof *v);
	n = 0;
	for (size_t o = 1; o < a->nocc; o++)
		if (map_loop_hier(a->m, a->occ[o].loop)) {
			v[n].id = occ_elem(a, (int)o, 1);
			v[n++].occ = (int)o;
		}
	qsort(v, n, sizeof *v, hl_cmp);
	for (size_t o = 1; o < a->nocc; o++) {
		if (!map_loop_hier(a->m, a->occ[o].loop))
			continue;
		struct hlid key = { occ_elem(a, (int)o, 2), -1 };
		if (!key.id.n)
			continue;
		size_t lo = 0, hi = n; /* the first entry not below key: its lowest position */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (hl_cmp(&v[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == n || v[lo].id.n != key.id.n || memcmp(v[lo].id.p, key.id.p, key.id.n) != 0 ||
		    v[lo].occ >= (int)o)
			continue;
		struct occ *po = &a->occ[v[lo].occ];
		if (po->hlast >= 0)
			a->occ[po->hlast].hnext = (int)o;
		else
			po->hfirst = (int)o;
		po->hlast = (int)o;
	}
	free(v);
}

/* --------------------------------------------------------------- values */

/* An EDIFACT composite read whole: its components joined by the interchange's component
 * separator (as the partner wrote it, release characters removed). The value lives in
 * a ring of buffers, so it stays valid for the few reads between taking and using it. */
static struct span join_composite(const struct actx *a, struct span v)
{
	struct joinring *r = a->ring;
	struct buf *b = &r->b[r->n++ % (sizeof r->b / sizeof r->b[0])];
	buf_reset(b);
	for (size_t i = 0; i < v.n; i++)
		buf_putc(b, v.p[i] == a->comp ? a->edi_comp : v.p[i]);
	return (struct span){ b->data ? b->data : "", b->len };
}

/* Element pos (component comp) of segment s; empty span when absent. */
static struct span elem_value(const struct actx *a, long s, int pos, int comp)
{
	const struct x12_tseg *g = &a->txn->segs[s];
	if (pos < 1 || (size_t)pos > g->nelem)
		return (struct span){ "", 0 };
	struct span v = g->elem[pos];
	if (!v.p)
		return (struct span){ "", 0 };
	if (a->edifact) {
		const char *r = a->rep ? memchr(v.p, a->rep, v.n) : NULL;
		if (r)
			v.n = (size_t)(r - v.p); /* the first repetition */
		if (comp == 0 && memchr(v.p, a->comp, v.n))
			return join_composite(a, v);
	}
	if (comp == 0)
		return v;
	if (!a->comp)
		return comp == 1 ? v : (struct span){ "", 0 };
	size_t k = 1, start = 0;
	for (size_t i = 0; i <= v.n; i++) {
		if (i == v.n || v.p[i] == a->comp) {
			if ((int)k == comp)
				return (struct span){ v.p + start, i - start };
			k++;
			start = i + 1;
		}
	}
	return (struct span){ "", 0 };
}

/* The loop occurrence segment s starts directly holds a seg segment or a loop starting
 * with seg; for a hierarchical loop asked about its own start segment: has children. */
static int occ_holds(const struct actx *a, long s, uint32_t seg)
{
	int o = a->owner[s];
	if (o <= 0 || a->occ[o].loop < 0 || a->occ[o].start != (size_t)s)
		return 0; /* not the start of a loop occurrence */
	const struct occ *c = &a->occ[o];
	if (map_loop_hier(a->m, c->loop) && a->m->loops[c->loop].start == seg)
		return c->hfirst >= 0;
	for (long d = c->first_direct; d >= 0; d = a->next_direct[d])
		if (d != s && a->packed[d] == seg)
			return 1;
	for (int k = c->first_child; k >= 0; k = a->occ[k].next_sibling)
		if (a->m->loops[a->occ[k].loop].start == seg)
			return 1;
	return 0;
}

/* Segment s satisfies every condition of step st. */
static int cond_ok(const struct actx *a, long s, const struct mstep *st)
{
	for (size_t c = 0; c < st->nconds; c++) {
		const struct mcond *cd = &st->conds[c];
		if (cd->holds) {
			if (occ_holds(a, s, cd->holds) == cd->neg)
				return 0;
			continue;
		}
		struct span v = span_trim(elem_value(a, s, cd->elem, cd->comp));
		int hit = 0;
		for (size_t k = 0; k < cd->nvals && !hit; k++)
			hit = span_eq(v, cd->vals[k]);
		if (hit == cd->neg)
			return 0;
	}
	return 1;
}

/* Remember the deepest step that found nothing (for the missing-segment report). */
static void note_fail(struct actx *a, size_t i, int occ)
{
	if (!a->failed || i > a->fail_step) {
		a->fail_step = i;
		a->fail_occ = occ;
		a->failed = 1;
	}
}

/* First segment matching steps[i..] from occurrence occ with current segment cur. */
static long find(struct actx *a, const struct mpath *p, size_t i, int occ, long cur)
{
	if (i == p->nsteps)
		return cur;
	const struct mstep *st = &p->steps[i];
	switch (st->kind) {
	case STEP_OWN:
		if (cur >= 0 && cond_ok(a, cur, st))
			return find(a, p, i + 1, occ, cur);
		break;
	case STEP_PLAIN:
		for (long s = a->occ[occ].first_direct; s >= 0; s = a->next_direct[s]) {
			if (a->packed[s] != st->seg || !cond_ok(a, s, st))
				continue;
			long r = find(a, p, i + 1, occ, s);
			if (r >= 0)
				return r;
		}
		break;
	case STEP_ENTER:
		for (int c = a->occ[occ].first_child; c >= 0; c = a->occ[c].next_sibling) {
			if (a->occ[c].loop != st->loop || !cond_ok(a, (long)a->occ[c].start, st))
				continue;
			long r = find(a, p, i + 1, c, (long)a->occ[c].start);
			if (r >= 0)
				return r;
		}
		break;
	default:
		break;
	}
	note_fail(a, i, occ);
	return -1;
}

/* ------------------------------------------------------------- errors */

/* "lines/line[3]/quantity" for the field f in the current lists. */
static char *label(const struct actx *a, const struct mfield *f)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < a->nlab; i++)
		buf_printf(&b, "%s[%zu]/", a->lab[i].f->target, a->lab[i].index);
	buf_puts(&b, f->target);
	return buf_steal(&b);
}

/* The line of an XML node (an attribute's element's; 0 when unknown). */
static uint64_t xml_line(xmlNodePtr n)
{
	if (n && n->type == XML_ATTRIBUTE_NODE)
		n = n->parent;
	if (!n || n->type == XML_NAMESPACE_DECL)
		return 0;
	long l = xmlGetLineNo(n);
	return l > 0 ? (uint64_t)l : 0;
}

/* Position fields of a finding about segment s. */
static void fill_seg(const struct actx *a, struct x12_error *e, long s)
{
	if (a->xml) {
		e->line = xml_line(a->xml->nodes[s]);
		return;
	}
	const struct x12_tseg *g = &a->txn->segs[s];
	memcpy(e->seg_id, g->id, sizeof e->seg_id);
	e->seg_id[sizeof e->seg_id - 1] = '\0';
	e->seg_pos = (uint64_t)s + 1;
	e->file_seg = g->file_seg;
	e->line = g->line;
	e->offset = g->offset;
	int o = a->owner[s];
	if (o >= 0 && a->occ[o].loop >= 0) {
		const char *n = a->m->loops[a->occ[o].loop].name;
		size_t k = strlen(n);
		if (k >= sizeof e->loop_id)
			k = sizeof e->loop_id - 1;
		memcpy(e->loop_id, n, k);
		e->loop_id[k] = '\0';
	}
}

/* Mark view segment s's row bad in a->rf, keeping the first reason. */
static void mark_seg(struct actx *a, long s, const char *msg, const char *bad_value)
{
	struct map_rowflags *rf = a->rf;
	if (s < 0 || (size_t)s >= a->nseg)
		return;
	size_t r = a->vrow ? a->vrow[s] : (size_t)s;
	rf->bad[r] = 1;
	if (rf->why && !rf->why[r]) {
		if (bad_value && bad_value[0]) {
			char *v = escape_bytes(bad_value, strlen(bad_value), 40);
			rf->why[r] = xasprintf("%s (value '%s')", msg, v);
			free(v);
		} else {
			rf->why[r] = xstrdup(msg);
		}
	}
}

/* Note a finding in a->rf: a row's (mark, inside an each block) rejects the rows of the
 * innermost list element (every row of an each group's element), or only the row no
 * group takes (seg, + 1); anything else the record. */
static void mark_rows(struct actx *a, int mark, long seg, const char *msg, const char *bad_value)
{
	if (mark && seg > 0) {
		mark_seg(a, seg - 1, msg, bad_value);
		return;
	}
	if (!mark || a->nlab == 0) {
		a->rf->record_bad = 1;
		return;
	}
	const long *rows = a->lab[a->nlab - 1].rows;
	if (rows) {
		for (size_t k = 0; k < a->lab[a->nlab - 1].nrows; k++)
			mark_seg(a, rows[k], msg, bad_value);
		return;
	}
	long from = a->lab[a->nlab - 1].from, to = a->lab[a->nlab - 1].to;
	for (long s = from; s < to && s >= 0 && (size_t)s < a->nseg; s++)
		mark_seg(a, s, msg, bad_value);
}

/* Add a finding whose message is "LABEL: text (map FILE:LINE)". */
static void add_error(struct actx *a, struct x12_error *e, const struct mfield *f, const char *fmt,
		      ...) EDIGW_PRINTF(4, 5);
static void add_error(struct actx *a, struct x12_error *e, const struct mfield *f, const char *fmt,
		      ...)
{
	int mark = a->mark;
	long seg = a->mark_only;
	a->mark = 0;
	a->mark_only = 0;
	if (!a->errs && !a->rf)
		return;
	struct buf b;
	buf_init(&b, 0);
	char *lb = label(a, f);
	buf_printf(&b, "%s: ", lb);
	free(lb);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_printf(&b, " (map %s:%zu)", f->file, f->line);
	e->msg = b.data;
	if (a->rf)
		mark_rows(a, mark, seg, b.data, e->bad_value);
	if (a->errs)
		x12_errlist_add(a->errs, e);
	buf_free(&b);
}

/* The code of a finding: X12's (AK3/AK4) or, on EDIFACT, ISO 9735's (0085). */
#define ECODE(a, x12, edi) ((a)->edifact ? (edi) : (x12))

/* The file column of CSV view slot pos (0 when the header lacks it). */
static size_t csv_col_of(const struct actx *a, int pos)
{
	return pos >= 1 && (size_t)pos <= a->csv->nslots ? a->csv->col[pos] : 0;
}

/* "line 4, column 3 (ship_date)" for slot pos of a CSV row on line. */
static void csv_ref(const struct actx *a, int pos, uint64_t line, char *ref, size_t n)
{
	const struct map *m = a->m;
	size_t col = csv_col_of(a, pos);
	const char *name = pos >= 1 && (size_t)pos <= m->ncsv_names ? m->csv_names[pos - 1] : NULL;
	if (col && name)
		snprintf(ref, n, "line %llu, column %zu (%s)", (unsigned long long)line, col, name);
	else if (col)
		snprintf(ref, n, "line %llu, column %zu", (unsigned long long)line, col);
	else
		snprintf(ref, n, "line %llu, column %s (not in the header)", (unsigned long long)line,
			 name ? name : "?");
}

/* The slot pos of view segment s of a fixed-width view, NULL when out of range. */
static const struct mslot *fix_slot(const struct actx *a, long s, int pos)
{
	const struct mrec *r = &a->m->recs[a->fix->rec[s]];
	return pos >= 1 && (size_t)pos <= r->nslots ? &r->slots[pos - 1] : NULL;
}

/* "line 5, columns 12-19 (D:12+8)" for slot pos of view segment s on line. */
static void fix_ref(const struct actx *a, long s, int pos, uint64_t line, char *ref, size_t n)
{
	const struct mslot *sl = fix_slot(a, s, pos);
	if (!sl)
		snprintf(ref, n, "line %llu", (unsigned long long)line);
	else if (sl->len == 1)
		snprintf(ref, n, "line %llu, column %zu (%s)", (unsigned long long)line, sl->start, sl->text);
	else
		snprintf(ref, n, "line %llu, columns %zu-%zu (%s)", (unsigned long long)line, sl->start,
			 sl->start + sl->len - 1, sl->text);
}

/* "line 14 (/ShipConfirm/Lines/Line[2]/Qty)" for XML node s. */
static void xml_ref(const struct actx *a, long s, char *ref, size_t n)
{
	xmlNodePtr node = a->xml->nodes[s];
	xmlChar *path = node && node->type != XML_NAMESPACE_DECL ? xmlGetNodePath(node) : NULL;
	const char *ps = path ? (const char *)path : "?";
	size_t pl = strlen(ps);
	if (pl > 120)
		snprintf(ref, n, "line %llu (...%s)", (unsigned long long)xml_line(node), ps + pl - 117);
	else
		snprintf(ref, n, "line %llu (%s)", (unsigned long long)xml_line(node), ps);
	xmlFree(path);
}

/* An AK4 (EDIFACT: UCD) finding on element pos (comp) of segment s. */
static void elem_error(struct actx *a, const struct mfield *f, const char *code, long s, int pos,
		       int comp, struct span bad, const char *what)
{
	struct x12_error e = { 0 };
	e.scope = X12_SCOPE_ELEMENT;
	memcpy(e.code, code, strlen(code) + 1);
	fill_seg(a, &e, s);
	e.elem_pos = pos;
	e.comp_pos = comp;
	e.elem_ref = a->edifact || a->csv || a->fix || a->xml ? 0 : map_elem_ref(e.seg_id, pos);
	char *bv = bad.n ? span_dup(bad) : NULL;
	e.bad_value = bv;
	char ref[160];
	if (a->xml) {
		xml_ref(a, s, ref, sizeof ref);
	} else if (a->csv) {
		e.elem_pos = (int)csv_col_of(a, pos);
		e.comp_pos = 0;
		csv_ref(a, pos, e.line, ref, sizeof ref);
	} else if (a->fix) {
		const struct mslot *sl = fix_slot(a, s, pos);
		e.elem_pos = sl ? (int)sl->start : 0;
		e.comp_pos = 0;
		fix_ref(a, s, pos, e.line, ref, sizeof ref);
	} else if (comp)
		snprintf(ref, sizeof ref, "%s%02d-%d", e.seg_id, pos, comp);
	else
		snprintf(ref, sizeof ref, "%s%02d", e.seg_id, pos);
	a->mark = 1;
	add_error(a, &e, f, "%s %s", ref, what);
	free(bv);
}

/* An AK3 code 3 (mandatory segment missing) for step st not found in occurrence occ. */
static void missing_segment(struct actx *a, const struct mfield *f, const struct mstep *st, int occ)
{
	const struct map *m = a->m;
	long at = (long)a->nseg - 1;
	if (occ >= 0 && a->occ[occ].loop >= 0 && a->occ[occ].end < a->nseg)
		at = (long)a->occ[occ].end;
	struct x12_error e = { 0 };
	e.scope = X12_SCOPE_SEGMENT;
	snprintf(e.code, sizeof e.code, "%s", ECODE(a, "3", "13")); /* mandatory segment missing */
	fill_seg(a, &e, at);
	memcpy(e.seg_id, st->id, sizeof e.seg_id);
	memset(e.loop_id, 0, sizeof e.loop_id);
	const char *lname = NULL;
	if (st->kind == STEP_ENTER || st->kind == STEP_CHILD)
		lname = m->loops[st->loop].name;
	else if (occ >= 0 && a->occ[occ].loop >= 0)
		lname = m->loops[a->occ[occ].loop].name;
	if (lname) {
		size_t k = strlen(lname);
		memcpy(e.loop_id, lname, k < sizeof e.loop_id ? k : sizeof e.loop_id - 1);
	}
	for (size_t i = 0; i < a->nmiss; i++)
		if (strcmp(a->miss[i].seg_id, e.seg_id) == 0 && a->miss[i].pos == e.seg_pos)
			return; /* one finding per missing segment */
	a->miss = xrealloc(a->miss, (a->nmiss + 1) * sizeof *a->miss);
	memcpy(a->miss[a->nmiss].seg_id, e.seg_id, sizeof e.seg_id);
	a->miss[a->nmiss].pos = e.seg_pos;
	a->nmiss++;
	const char *where = "";
	char wb[64];
	if (occ >= 0 && a->occ[occ].loop >= 0) {
		snprintf(wb, sizeof wb, " in this %s loop", m->loops[a->occ[occ].loop].name);
		where = wb;
	}
	a->mark = 1;
	if (st->kind == STEP_ENTER || st->kind == STEP_CHILD)
		add_error(a, &e, f, "required, but there is no %s loop%s", st->text, where);
	else
		add_error(a, &e, f, "required, but there is no %s %s%s", st->text,
			  a->fix ? "record" : a->csv ? "row" : "segment", where);
}

/* ---------------------------------------------------------- conversion */

/* Only digits, at least one. */
static int is_digits(struct span v)
{
	if (v.n == 0)
		return 0;
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return 0;
	return 1;
}

/* Two digits as a number. */
static int num2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* ISO date from CCYYMMDD, YYMMDD, CCYYMMDDHHMM or CCYYMMDDHHMMSS (the format chosen
 * by the length among fmts; a time part is checked, not kept); -1 when invalid. */
static int conv_date(struct buf *out, struct span v, unsigned fmts)
{
	int y;
	const char *md;
	if (!is_digits(v))
		return -1;
	if ((v.n == 8 && (fmts & DATE_CCYYMMDD)) || (v.n == 12 && (fmts & DATE_CCYYMMDDHHMM)) ||
	    (v.n == 14 && (fmts & DATE_CCYYMMDDHHMMSS))) {
		y = num2(v.p) * 100 + num2(v.p + 2);
		md = v.p + 4;
		if (v.n >= 12 && (num2(v.p + 8) > 23 || num2(v.p + 10) > 59 ||
				  (v.n == 14 && num2(v.p + 12) > 59)))
			return -1;
	} else if (v.n == 6 && (fmts & DATE_YYMMDD)) {
		int yy = num2(v.p);
		y = yy < 50 ? 2000 + yy : 1900 + yy; /* window: 00-49 → 20xx, 50-99 → 19xx */
		md = v.p + 2;
	} else {
		return -1;
	}
	int mo = num2(md), d = num2(md + 2);
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mo < 1 || mo > 12 || d < 1)
		return -1;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int max = mdays[mo - 1] + (mo == 2 && leap);
	if (d > max)
		return -1;
	buf_printf(out, "%04d-%02d-%02d", y, mo, d);
	return 0;
}

/* HH:MM[:SS[.d[d]]] from HHMM[SS[d[d]]]; -1 when invalid. */
static int conv_time(struct buf *out, struct span v)
{
	if (!is_digits(v) || (v.n != 4 && v.n != 6 && v.n != 7 && v.n != 8))
		return -1;
	int h = num2(v.p), mi = num2(v.p + 2);
	if (h > 23 || mi > 59)
		return -1;
	buf_printf(out, "%02d:%02d", h, mi);
	if (v.n >= 6) {
		int s = num2(v.p + 4);
		if (s > 59)
			return -1;
		buf_printf(out, ":%02d", s);
		if (v.n > 6)
			buf_printf(out, ".%.*s", (int)(v.n - 6), v.p + 6);
	}
	return 0;
}

/* X12 R (decimal): [-]digits[.digits][E[-]digits]; -1 when invalid. */
static int conv_decimal(struct buf *out, struct span v)
{
	size_t i = 0;
	int neg = 0;
	if (i < v.n && v.p[i] == '-') {
		neg = 1;
		i++;
	}
	struct buf dg;
	buf_init(&dg, 0);
	long point = -1;
	size_t ndig = 0;
	int rc = -1;
	for (; i < v.n; i++) {
		char c = v.p[i];
		if (c >= '0' && c <= '9') {
			buf_putc(&dg, c);
			ndig++;
		} else if (c == '.' && point < 0) {
			point = (long)ndig;
		} else {
			break;
		}
	}
	if (ndig == 0)
		goto out;
	if (point < 0)
		point = (long)ndig;
	if (i < v.n) {
		if (v.p[i] != 'E')
			goto out;
		i++;
		int eneg = 0;
		if (i < v.n && v.p[i] == '-') {
			eneg = 1;
			i++;
		}
		struct span ex = { v.p + i, v.n - i };
		uint64_t e;
		if (ex.n == 0 || ex.n > 3 || span_to_u64(ex, &e) != 0 || e > 30)
			goto out;
		point += eneg ? -(long)e : (long)e;
	}
	decimal_put(out, neg, dg.data, ndig, point);
	rc = 0;
out:
	buf_free(&dg);
	return rc;
}

/* X12 Nn: [-]digits with n implied decimal places; -1 when invalid. */
static int conv_number(struct buf *out, struct span v, int implied)
{
	int neg = 0;
	if (v.n && v.p[0] == '-') {
		neg = 1;
		v.p++;
		v.n--;
	}
	if (!is_digits(v))
		return -1;
	decimal_put(out, neg, v.p, v.n, (long)v.n - implied);
	return 0;
}

/* EDIFACT numeric (ISO 9735 clause 10): [-]digits with at most one decimal mark, '.' or
 * ',' (the UNA's or, as syntax 4 allows, the other: EDIFACT has no thousands separator);
 * no '+', no exponent. Into a->val in canonical form; -1 when invalid. */
static int conv_edi_decimal(struct actx *a, struct span v)
{
	size_t marks = 0, digits = 0;
	struct buf t;
	buf_init(&t, 0);
	int rc = -1;
	for (size_t i = 0; i < v.n; i++) {
		char c = v.p[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if (c == '.' || c == ',')
			c = '.', marks++;
		else if (!(c == '-' && i == 0))
			goto out;
		buf_putc(&t, c);
	}
	if (digits == 0 || marks > 1)
		goto out;
	rc = conv_decimal(&a->val, (struct span){ t.data, t.len });
out:
	buf_free(&t);
	return rc;
}

/* The formats of bits fmts as the map wrote them ("CCYYMMDD or YYMMDD", "102, 203 or 204"). */
static void date_formats_text(struct buf *b, unsigned fmts, int codes)
{
	static const struct {
		unsigned bit;
		const char *name, *code;
	} v[] = {
		{ DATE_CCYYMMDD, "CCYYMMDD", "102" },
		{ DATE_YYMMDD, "YYMMDD", "101" },
		{ DATE_CCYYMMDDHHMM, "CCYYMMDDHHMM", "203" },
		{ DATE_CCYYMMDDHHMMSS, "CCYYMMDDHHMMSS", "204" },
	};
	size_t n = 0, total = 0;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		total += (fmts & v[i].bit) != 0;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		if (!(fmts & v[i].bit))
			continue;
		if (n)
			buf_puts(b, n + 1 == total ? " or " : ", ");
		buf_puts(b, codes ? v[i].code : v[i].name);
		n++;
	}
}

/* A date field: the format by the value's length among the field's formats or, for
 * formats written as EDIFACT codes, the code in the component after the value
 * (DTM01-3 for DTM01-2) when there is one. Returns 0, or -1 after an error. */
static int convert_date(struct actx *a, const struct mfield *f, struct span v, long s, int pos,
			int comp)
{
	unsigned fmts = f->date_fmts;
	struct buf t;
	buf_init(&t, 0);
	int rc = -1;
	if (f->date_codes && comp > 0) {
		struct span code = span_trim(elem_value(a, s, pos, comp + 1));
		if (code.n) {
			unsigned bit = map_date_code(code);
			if (!(bit & fmts)) {
				buf_printf(&t, "holds the date format code %.*s, but this field reads dates "
					   "in ", (int)code.n, code.p);
				date_formats_text(&t, fmts, 1);
				elem_error(a, f, ECODE(a, "8", "12"), s, pos, comp + 1, code, t.data);
				goto out;
			}
			fmts = bit;
		}
	}
	if (conv_date(&a->val, v, fmts) != 0) {
		buf_puts(&t, "is not a valid date (");
		date_formats_text(&t, fmts, f->date_codes);
		buf_putc(&t, ')');
		elem_error(a, f, ECODE(a, "8", "12"), s, pos, comp, v, t.data);
		goto out;
	}
	rc = 0;
out:
	buf_free(&t);
	return rc;
}

/* Compare a value (span) with a table entry's code. */
static int entry_key_cmp(const void *k, const void *e)
{
	const struct span *s = k;
	const char *c = ((const struct mentry *)e)->code;
	size_t n = strlen(c);
	int r = memcmp(s->p, c, s->n < n ? s->n : n);
	if (r)
		return r;
	return s->n < n ? -1 : s->n > n;
}

/* Translate, format and check one value into a->val. Returns 0, or -1 after an error. */
static int convert(struct actx *a, const struct mfield *f, struct span v, long s, int pos, int comp)
{
	buf_reset(&a->val);
	if (canon_text_valid(v.p, v.n) != 0) {
		elem_error(a, f, ECODE(a, "6", "21"), s, pos, comp, v,
			   "holds bytes that are not text (not UTF-8, or control characters)");
		return -1;
	}
	if (f->xref >= 0) {
		const struct mxref *x = &a->m->xrefs[f->xref];
		const struct mentry *e = x->n ? bsearch(&v, x->v, x->n, sizeof *x->v, entry_key_cmp) : NULL;
		if (e)
			buf_puts(&a->val, e->value);
		else if (x->else_value)
			buf_puts(&a->val, x->else_value);
		else if (x->else_pass)
			buf_append(&a->val, v.p, v.n);
		else {
			char what[200];
			snprintf(what, sizeof what, "holds a value cross-reference %s has no entry for (%s, "
				 "column %s)", x->name, x->shown, x->from);
			elem_error(a, f, ECODE(a, "7", "12"), s, pos, comp, v, what);
			return -1;
		}
		return 0;
	}
	if (f->table >= 0) {
		const struct mtable *t = &a->m->tables[f->table];
		const struct mentry *e =
			t->n ? bsearch(&v, t->v, t->n, sizeof *t->v, entry_key_cmp) : NULL;
		if (e)
			buf_puts(&a->val, e->value);
		else if (t->star)
			buf_puts(&a->val, t->star);
		else if (t->star_pass)
			buf_append(&a->val, v.p, v.n);
		else {
			char what[160];
			snprintf(what, sizeof what, "holds a code that is not in table %s", t->name);
			elem_error(a, f, ECODE(a, "7", "12"), s, pos, comp, v, what);
			return -1;
		}
		return 0;
	}
	switch (f->fmt) {
	case FMT_DATE:
		return convert_date(a, f, v, s, pos, comp);
	case FMT_TIME:
		if (conv_time(&a->val, v) != 0) {
			elem_error(a, f, ECODE(a, "9", "12"), s, pos, comp, v,
				   "is not a valid time (HHMM, HHMMSS or HHMMSSd..)");
			return -1;
		}
		return 0;
	case FMT_NUMBER:
		if (conv_number(&a->val, v, f->implied) != 0) {
			char what[96];
			if (a->edifact || a->csv || a->fix || a->xml)
				snprintf(what, sizeof what, "is not a whole number (digits and an optional "
					 "leading '-'%s)", f->implied ? ", implied decimals" : "");
			else
				snprintf(what, sizeof what,
					 "is not a number (X12 type N%d: digits and an optional leading '-')",
					 f->implied);
			elem_error(a, f, ECODE(a, "6", "37"), s, pos, comp, v, what);
			return -1;
		}
		return 0;
	case FMT_DECIMAL:
		if (a->edifact ? conv_edi_decimal(a, v) != 0 : conv_decimal(&a->val, v) != 0) {
			elem_error(a, f, ECODE(a, "6", "37"), s, pos, comp, v,
				   a->edifact ? "is not a number (EDIFACT numeric: digits, at most one "
						"decimal mark '.' or ',', an optional leading '-')"
				   : a->csv || a->fix || a->xml ? "is not a decimal number (digits, one '.', "
								  "an optional leading '-')"
					    : "is not a decimal number (X12 type R: digits, one '.', an "
					      "optional leading '-')");
			return -1;
		}
		return 0;
	default:
		buf_append(&a->val, v.p, v.n);
		return 0;
	}
}

/* Trim a value per the field's option (TRIM_SQUEEZE copies into a->tmp). */
static struct span trim_value(struct actx *a, const struct mfield *f, struct span v)
{
	if (f->trim == TRIM_RAW)
		return v;
	v = span_trim(v);
	if (f->trim != TRIM_SQUEEZE)
		return v;
	buf_reset(&a->tmp);
	for (size_t i = 0; i < v.n; i++) {
		int blank = v.p[i] == ' ' || v.p[i] == '\t';
		if (blank && (i == 0 || v.p[i - 1] == ' ' || v.p[i - 1] == '\t'))
			continue;
		buf_putc(&a->tmp, blank ? ' ' : v.p[i]);
	}
	return (struct span){ a->tmp.data ? a->tmp.data : "", a->tmp.len };
}

/* ---------------------------------------------------------------- apply */

static void apply_block(struct actx *a, const struct mblock *b, int occ, long cur,
			xmlNodePtr node, size_t index);

/* Enter list element index of f, made from segments [from, to) or from rows (an each
 * group's element); the caller checked the depth. */
static void lab_push(struct actx *a, const struct mfield *f, size_t index, long from, long to,
		     const long *rows, size_t nrows)
{
	a->lab[a->nlab].f = f;
	a->lab[a->nlab].index = index;
	a->lab[a->nlab].from = from;
	a->lab[a->nlab].to = to;
	a->lab[a->nlab].rows = rows;
	a->lab[a->nlab].nrows = nrows;
	a->nlab++;
}

/* ------------------------------------------------------------ XML sources */

/* Remember an XML node; its index stands for it in findings and as a block's current
 * node. */
static long xnode_push(struct actx *a, xmlNodePtr n)
{
	struct xmlctx *x = a->xml;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->nodes = xrealloc(x->nodes, x->cap * sizeof *x->nodes);
	}
	x->nodes[x->n] = n;
	return (long)x->n++;
}

/* Evaluate XPath source p at node cur; NULL after an evaluation error (the record's
 * finding). */
static xmlXPathObjectPtr xml_eval(struct actx *a, const struct mfield *f, const struct mpath *p, long cur)
{
	struct xmlctx *x = a->xml;
	buf_reset(&x->err);
	x->xp->node = x->nodes[cur];
	xmlXPathObjectPtr o = xmlXPathCompiledEval(p->xcomp, x->xp);
	if (!o) {
		struct x12_error e = { 0 };
		e.scope = X12_SCOPE_TXN;
		e.application = 1;
		fill_seg(a, &e, cur);
		add_error(a, &e, f, "%s cannot be evaluated at line %llu: %s", p->text, (unsigned long long)e.line,
			  x->err.len ? x->err.data : "XPath error");
	}
	return o;
}

/* The value of o into *v: a node set's first node's string value (*at: that node), or a
 * string, number or boolean result (*at: cur; NaN is empty). 0 when o selects no node. */
static int xml_value(struct actx *a, xmlXPathObjectPtr o, long cur, struct span *v, long *at)
{
	struct xmlctx *x = a->xml;
	xmlChar *s = NULL;
	buf_reset(&x->v);
	*at = cur;
	*v = (struct span){ "", 0 };
	if (o->type == XPATH_NODESET) {
		if (!o->nodesetval || o->nodesetval->nodeNr == 0)
			return 0;
		xmlNodePtr n = o->nodesetval->nodeTab[0];
		s = xmlXPathCastNodeToString(n);
		if (n->type != XML_NAMESPACE_DECL) /* namespace nodes belong to o */
			*at = xnode_push(a, n);
	} else if (o->type == XPATH_NUMBER && xmlXPathIsNaN(o->floatval)) {
		return 1;
	} else {
		s = xmlXPathCastToString(o);
	}
	if (s) {
		buf_puts(&x->v, (const char *)s);
		xmlFree(s);
	}
	*v = (struct span){ x->v.data ? x->v.data : "", x->v.len };
	return 1;
}

/* A required XPath source selects nothing at node cur. */
static void xml_missing(struct actx *a, const struct mfield *f, const struct mpath *p, long cur)
{
	struct x12_error e = { 0 };
	e.scope = X12_SCOPE_SEGMENT;
	memcpy(e.code, "3", 2);
	fill_seg(a, &e, cur);
	char ref[160];
	xml_ref(a, cur, ref, sizeof ref);
	a->mark = 1;
	add_error(a, &e, f, "required, but %s selects nothing at %s", p->text, ref);
}

/* Repeat f's block for every node its XPath selects at node cur. */
static void xml_each(struct actx *a, const struct mfield *f, long cur, xmlNodePtr node)
{
	const struct mpath *p = &f->alts[0];
	if (a->nlab >= MAP_MAX_DEPTH + 1)
		return; /* compile bounds the depth; never reached */
	xmlXPathObjectPtr o = xml_eval(a, f, p, cur);
	if (!o)
		return;
	size_t count = 0;
	long over = -1;
	int n = o->type == XPATH_NODESET && o->nodesetval ? o->nodesetval->nodeNr : 0;
	for (int k = 0; k < n; k++) {
		xmlNodePtr c = o->nodesetval->nodeTab[k];
		if (c->type == XML_NAMESPACE_DECL)
			continue;
		long ci = xnode_push(a, c);
		if (count == f->max) {
			over = ci;
			break;
		}
		count++;
		xmlNodePtr el = canon_path_append(node, &f->tpath);
		lab_push(a, f, count, -1, -1, NULL, 0);
		apply_block(a, f->block, 0, ci, el, count);
		a->nlab--;
	}
	xmlXPathFreeObject(o);
	if (over >= 0) {
		struct x12_error e = { 0 };
		e.scope = X12_SCOPE_SEGMENT;
		memcpy(e.code, "4", 2);
		fill_seg(a, &e, over);
		add_error(a, &e, f, "more than %zu nodes selected by %s (the map allows at most %zu)", f->max, p->text,
			  f->max);
	}
	if (count == 0 && f->required)
		xml_missing(a, f, p, cur);
}

/* The first non-empty value of f's XPath alternatives at node cur (*seg: its node; -1
 * when none). Returns -1 when the field is done (a required one missing, reported; an
 * evaluation error), else 0. */
static int xml_field(struct actx *a, const struct mfield *f, long cur, struct span *v, long *seg)
{
	int first_found = 0;
	long first_at = cur;
	*seg = -1;
	for (size_t i = 0; i < f->nalts; i++) {
		xmlXPathObjectPtr o = xml_eval(a, f, &f->alts[i], cur);
		if (!o)
			return -1;
		struct span t;
		long at;
		int found = xml_value(a, o, cur, &t, &at);
		xmlXPathFreeObject(o);
		if (i == 0) {
			first_found = found;
			first_at = at;
		}
		t = trim_value(a, f, t);
		if (t.n) {
			*v = t;
			*seg = at;
			return 0;
		}
	}
	if (!f->required)
		return 0;
	if (!first_found)
		xml_missing(a, f, &f->alts[0], cur);
	else
		elem_error(a, f, "1", first_at, 0, 0, (struct span){ "", 0 }, "is required but empty");
	return -1;
}

/* The first (s < 0) or next segment of the current scope: an each group's rows, or the
 * segments occurrence occ holds directly (k: the position in the group's rows). */
static long scope_next(const struct actx *a, int occ, long s, size_t *k)
{
	if (a->rset)
		return *k < a->nrset ? a->rset[(*k)++] : -1;
	return s < 0 ? a->occ[occ].first_direct : a->next_direct[s];
}

/* A row of an each group and its key. */
struct grow {
	struct span key;
	long seg;
};

/* Order by key bytes, then by position. */
static int grow_cmp(const void *x, const void *y)
{
	const struct grow *u = x, *v = y;
	size_t n = u->key.n < v->key.n ? u->key.n : v->key.n;
	int c = n ? memcmp(u->key.p, v->key.p, n) : 0;
	if (c == 0 && u->key.n != v->key.n)
		c = u->key.n < v->key.n ? -1 : 1;
	return c ? c : (u->seg > v->seg) - (u->seg < v->seg);
}

/* One group: rows[start, start + n) of the sorted rows. */
struct gspan {
	size_t start, n;
	long first;
};

/* Order groups by their first row. */
static int gspan_cmp(const void *x, const void *y)
{
	const struct gspan *u = x, *v = y;
	return (u->first > v->first) - (u->first < v->first);
}

/* A finding on the key of an each group: "line 7, column 3 (sscc)" / "line 7, columns
 * 3-12 (D:3-12)" of row s, with the map line; only row s is its fault. */
static void group_key_error(struct actx *a, const struct mfield *f, long s, const char *what)
{
	a->mark_only = s + 1;
	elem_error(a, f, "1", s, f->alts[0].elem, 0, (struct span){ "", 0 }, what);
}

/* Repeat f's block (each group KEY) for every distinct trimmed value of the key among
 * the current scope's rows (an enclosing group's, else the record's), in order of first
 * appearance; the block reads the group's first row and its rows are the scope of each
 * row inside. A row whose key is empty belongs to no group: a finding on that row. */
static void apply_group(struct actx *a, const struct mfield *f, int occ, xmlNodePtr node)
{
	const struct mpath *p = &f->alts[0];
	const struct mstep *st = &p->steps[0];
	if (a->nlab >= MAP_MAX_DEPTH + 1)
		return; /* compile bounds the depth; never reached */
	if (a->csv && csv_col_of(a, p->elem) == 0)
		return; /* the header lacks the column: that is the record's finding already */
	size_t n = 0, cap = a->rset ? a->nrset : a->nseg;
	struct grow *v = xmalloc((cap ? cap : 1) * sizeof *v);
	size_t k = 0;
	for (long s = scope_next(a, occ, -1, &k); s >= 0; s = scope_next(a, occ, s, &k)) {
		if (a->packed[s] != st->seg || !cond_ok(a, s, st))
			continue;
		struct span key = span_trim(elem_value(a, s, p->elem, 0));
		if (key.n == 0) {
			char *what = xasprintf("is empty, so the %s is in no group (each group %s needs a value)",
					       a->fix ? "line" : "row", p->text);
			group_key_error(a, f, s, what);
			free(what);
			continue;
		}
		if (n < cap) /* never full: at most one entry per segment of the scope */
			v[n++] = (struct grow){ key, s };
	}
	qsort(v, n, sizeof *v, grow_cmp);
	long *rows = xmalloc((n ? n : 1) * sizeof *rows);
	struct gspan *g = xmalloc((n ? n : 1) * sizeof *g);
	size_t ng = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j].key.n == v[i].key.n && memcmp(v[j].key.p, v[i].key.p, v[i].key.n) == 0)
			j++;
		g[ng++] = (struct gspan){ i, j - i, v[i].seg };
		for (; i < j; i++)
			rows[i] = v[i].seg;
	}
	free(v);
	qsort(g, ng, sizeof *g, gspan_cmp);
	const long *saved = a->rset;
	size_t nsaved = a->nrset;
	size_t count = 0;
	long over = -1;
	for (size_t i = 0; i < ng; i++) {
		if (count == f->max) {
			over = g[i].first;
			break;
		}
		count++;
		xmlNodePtr el = canon_path_append(node, &f->tpath);
		lab_push(a, f, count, -1, -1, rows + g[i].start, g[i].n);
		a->rset = rows + g[i].start;
		a->nrset = g[i].n;
		apply_block(a, f->block, occ, g[i].first, el, count);
		a->rset = saved;
		a->nrset = nsaved;
		a->nlab--;
	}
	if (over >= 0) {
		struct x12_error e = { 0 };
		e.scope = X12_SCOPE_SEGMENT;
		snprintf(e.code, sizeof e.code, "%s", ECODE(a, "4", "36"));
		fill_seg(a, &e, over);
		add_error(a, &e, f, "more than %zu groups of %s at line %llu (the map allows at most %zu)",
			  f->max, p->text, (unsigned long long)e.line, f->max);
	}
	if (count == 0 && f->required) {
		struct x12_error e = { 0 };
		e.scope = X12_SCOPE_SEGMENT;
		snprintf(e.code, sizeof e.code, "%s", ECODE(a, "3", "13"));
		fill_seg(a, &e, saved ? saved[0] : (long)a->nseg - 1);
		a->mark = 1;
		add_error(a, &e, f, "required, but no %s%s of %s%s has a value in %s", a->fix ? st->id : "row",
			  a->fix ? " line" : "", a->nlab ? "this " : "the ",
			  a->nlab ? a->lab[a->nlab - 1].f->target : "record", p->text);
	}
	free(g);
	free(rows);
}

/* Repeat f's block for every occurrence of its loop or segment. */
static void apply_each(struct actx *a, const struct mfield *f, int occ, xmlNodePtr node)
{
	const struct mstep *st = &f->alts[0].steps[0];
	size_t count = 0;
	long over = -1;
	if (a->nlab >= MAP_MAX_DEPTH + 1)
		return; /* compile bounds the depth; never reached */
	if (st->kind == STEP_CHILD) {
		for (int c = a->occ[occ].hfirst; c >= 0; c = a->occ[c].hnext) {
			if (!cond_ok(a, (long)a->occ[c].start, st))
				continue;
			if (count == f->max) {
				over = (long)a->occ[c].start;
				break;
			}
			count++;
			xmlNodePtr el = canon_path_append(node, &f->tpath);
			lab_push(a, f, count, (long)a->occ[c].start, (long)a->occ[c].end, NULL, 0);
			apply_block(a, f->block, c, (long)a->occ[c].start, el, count);
			a->nlab--;
		}
	} else if (st->kind == STEP_ENTER) {
		for (int c = a->occ[occ].first_child; c >= 0; c = a->occ[c].next_sibling) {
			if (a->occ[c].loop != st->loop || !cond_ok(a, (long)a->occ[c].start, st))
				continue;
			if (count == f->max) {
				over = (long)a->occ[c].start;
				break;
			}
			count++;
			xmlNodePtr el = canon_path_append(node, &f->tpath);
			lab_push(a, f, count, (long)a->occ[c].start, (long)a->occ[c].end, NULL, 0);
			apply_block(a, f->block, c, (long)a->occ[c].start, el, count);
			a->nlab--;
		}
	} else {
		size_t k = 0;
		for (long s = scope_next(a, occ, -1, &k); s >= 0; s = scope_next(a, occ, s, &k)) {
			if (a->packed[s] != st->seg || !cond_ok(a, s, st))
				continue;
			if (count == f->max) {
				over = s;
				break;
			}
			count++;
			xmlNodePtr el = canon_path_append(node, &f->tpath);
			lab_push(a, f, count, s, s + 1, NULL, 0);
			apply_block(a, f->block, occ, s, el, count);
			a->nlab--;
		}
	}
	if (over >= 0) {
		struct x12_error e = { 0 };
		e.scope = X12_SCOPE_SEGMENT;
		int loop = st->kind == STEP_ENTER || st->kind == STEP_CHILD;
		/* loop over maximum (EDIFACT 36: too many segment group repetitions), segment
		 * over maximum use (35: too many segment repetitions) */
		snprintf(e.code, sizeof e.code, "%s",
			 loop ? ECODE(a, "4", "36") : ECODE(a, "5", "35"));
		fill_seg(a, &e, over);
		add_error(a, &e, f, "more than %zu %s %s (the map allows at most %zu)", f->max, st->text,
			  loop ? "loops" : "segments", f->max);
	}
	if (count == 0 && f->required) {
		a->failed = 0;
		missing_segment(a, f, st, occ);
	}
}

/* Remember a check count()/sum() for after the record is built. */
static void add_pending(struct actx *a, const struct mfield *f, xmlNodePtr node, long seg)
{
	if (a->npend == a->cappend) {
		a->cappend = a->cappend ? a->cappend * 2 : 4;
		a->pend = xrealloc(a->pend, a->cappend * sizeof *a->pend);
	}
	struct pending *p = &a->pend[a->npend++];
	p->f = f;
	p->node = node;
	p->value = xstrdup(a->val.data ? a->val.data : "");
	p->seg = seg;
	p->label = label(a, f);
}

/* Evaluate one field in occurrence occ (current segment cur) into node. */
static void apply_field(struct actx *a, const struct mfield *f, int occ, long cur, xmlNodePtr node,
			size_t index)
{
	char ibuf[24];
	struct span v = { "", 0 };
	long seg = -1;
	int pos = 0, comp = 0;
	switch (f->src) {
	case SRC_EACH:
		if (a->xml)
			xml_each(a, f, cur, node);
		else if (f->group)
			apply_group(a, f, occ, node);
		else
			apply_each(a, f, occ, node);
		return;
	case SRC_LITERAL:
		canon_path_put(node, &f->tpath, f->literal, strlen(f->literal), f->fresh);
		return;
	case SRC_INDEX:
		snprintf(ibuf, sizeof ibuf, "%zu", index);
		canon_path_put(node, &f->tpath, ibuf, strlen(ibuf), f->fresh);
		return;
	case SRC_PATH: {
		if (a->xml) {
			if (xml_field(a, f, cur, &v, &seg) != 0)
				return;
			break;
		}
		long first_seg = -1;
		size_t first_fail = 0;
		int first_occ = occ, first_found = 0;
		for (size_t i = 0; i < f->nalts; i++) {
			const struct mpath *p = &f->alts[i];
			a->failed = 0;
			long s = p->absolute ? find(a, p, 0, 0, -1) : find(a, p, 0, occ, cur);
			if (i == 0) {
				first_found = s >= 0;
				first_seg = s;
				first_fail = a->fail_step;
				first_occ = a->fail_occ;
			}
			if (s < 0)
				continue;
			struct span t = trim_value(a, f, elem_value(a, s, p->elem, p->comp));
			if (t.n) {
				v = t;
				seg = s;
				pos = p->elem;
				comp = p->comp;
				break;
			}
		}
		if (seg < 0) {
			if (f->required) {
				const struct mpath *p = &f->alts[0];
				if (!first_found)
					missing_segment(a, f, &p->steps[first_fail], first_occ);
				else
					elem_error(a, f, ECODE(a, "1", "13"), first_seg, p->elem, p->comp,
						   (struct span){ "", 0 },
						   "is required but empty or missing");
				return;
			}
		}
		break;
	}
	case SRC_PAIR: {
		const struct mpath *p = &f->alts[0];
		a->failed = 0;
		long s = p->absolute ? find(a, p, 0, 0, -1) : find(a, p, 0, occ, cur);
		if (s < 0) {
			if (f->required)
				missing_segment(a, f, &p->steps[a->fail_step], a->fail_occ);
			else
				break;
			return;
		}
		size_t nel = a->txn->segs[s].nelem;
		int qpos = 0;
		for (size_t q = 0; q < f->nquals && !qpos; q++)
			for (size_t e = (size_t)p->elem; e + 1 <= nel && !qpos; e += 2)
				if (span_eq(span_trim(elem_value(a, s, (int)e, 0)), f->quals[q]))
					qpos = (int)e;
		if (qpos) {
			v = trim_value(a, f, elem_value(a, s, qpos + 1, 0));
			seg = s;
			pos = qpos + 1;
		}
		if (!v.n) {
			if (f->required) {
				if (qpos)
					elem_error(a, f, ECODE(a, "1", "13"), s, qpos + 1, 0,
						   (struct span){ "", 0 },
						   "is required but empty (the value after the qualifier)");
				else {
					struct buf qb;
					buf_init(&qb, 0);
					for (size_t q = 0; q < f->nquals; q++)
						buf_printf(&qb, "%s%s", q ? "|" : "", f->quals[q]);
					char what[200];
					snprintf(what, sizeof what,
						 "and the elements after it hold no qualifier %s (required)",
						 qb.data);
					buf_free(&qb);
					elem_error(a, f, ECODE(a, "1", "13"), s, p->elem, 0,
						   (struct span){ "", 0 }, what);
				}
				return;
			}
			seg = -1;
		}
		break;
	}
	case SRC_NONE:
		break;
	}
	if (seg < 0) {
		if (f->def_index) {
			snprintf(ibuf, sizeof ibuf, "%zu", index);
			canon_path_put(node, &f->tpath, ibuf, strlen(ibuf), f->fresh);
		} else if (f->def) {
			canon_path_put(node, &f->tpath, f->def, strlen(f->def), f->fresh);
		}
		return;
	}
	if (convert(a, f, v, seg, pos, comp) != 0)
		return;
	if (!a->val.len)
		return; /* never: values, table entries and conversions are not empty */
	/* a->val is valid text: partner bytes were checked in convert(), the rest comes
	 * from the map file (checked by canon_lex) or from the conversions (ASCII) */
	xmlNodePtr el = canon_path_put(node, &f->tpath, a->val.data, a->val.len, f->fresh);
	if (el && f->check)
		add_pending(a, f, node, seg);
}

/* Evaluate every field of a block. */
static void apply_block(struct actx *a, const struct mblock *b, int occ, long cur,
			xmlNodePtr node, size_t index)
{
	for (size_t i = 0; i < b->n; i++)
		apply_field(a, b->v[i], occ, cur, node, index);
}

/* --------------------------------------------------------------- checks */

#define SCALE 1000000LL /* sum() works in millionths */

/* Parse a canonical decimal into millionths; -1 when it does not fit. */
static int to_micro(const char *s, long long *out)
{
	int neg = *s == '-';
	if (neg)
		s++;
	long long ip = 0, fp = 0;
	int fd = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (ip > (INT64_MAX / SCALE - 9) / 10)
			return -1;
		ip = ip * 10 + (*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (fd == 6)
				return -1;
			fp = fp * 10 + (*s - '0');
			fd++;
		}
	if (*s)
		return -1;
	for (; fd < 6; fd++)
		fp *= 10;
	*out = (ip * SCALE + fp) * (neg ? -1 : 1);
	return 0;
}

struct sumctx {
	const struct canon_path *p;
	long long total;
	int bad;
};

/* Add one element's (or attribute's) value to a sum(). */
static int sum_one(void *ctx, xmlNodePtr n)
{
	struct sumctx *c = ctx;
	xmlChar *v = c->p->attr ? xmlGetProp(n, c->p->attr) : xmlNodeGetContent(n);
	long long x;
	if (!v || to_micro((const char *)v, &x) != 0 ||
	    (x > 0 && c->total > INT64_MAX - x) || (x < 0 && c->total < INT64_MIN - x))
		c->bad = 1;
	else
		c->total += x;
	xmlFree(v);
	return 0;
}

/* A millionths amount as a canonical decimal. */
static void fmt_micro(struct buf *b, long long v)
{
	char dg[32];
	int neg = v < 0;
	unsigned long long u = neg ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
	snprintf(dg, sizeof dg, "%020llu", u);
	decimal_put(b, neg, dg, strlen(dg), (long)strlen(dg) - 6);
}

/* Compare every check count()/sum() with what the record holds. */
static void run_checks(struct actx *a)
{
	for (size_t i = 0; i < a->npend; i++) {
		struct pending *p = &a->pend[i];
		const struct mfield *f = p->f;
		struct buf have;
		buf_init(&have, 0);
		int ok;
		if (f->check == CHECK_COUNT) {
			size_t n = canon_path_count(p->node, &f->chk);
			buf_printf(&have, "%zu", n);
			ok = strcmp(have.data, p->value) == 0;
		} else {
			struct sumctx c = { &f->chk, 0, 0 };
			canon_path_each(p->node, &f->chk, sum_one, &c);
			long long want;
			if (c.bad || to_micro(p->value, &want) != 0) {
				ok = 0;
				buf_puts(&have, "(not computable)");
			} else {
				fmt_micro(&have, c.total);
				ok = want == c.total;
			}
		}
		if (!ok && a->rf)
			a->rf->record_bad = 1;
		if (!ok && a->errs) {
			struct x12_error e = { 0 };
			e.scope = X12_SCOPE_ELEMENT;
			e.application = 1;
			fill_seg(a, &e, p->seg);
			const struct mpath *pp = f->alts ? &f->alts[0] : NULL;
			e.elem_pos = pp ? pp->elem : 0;
			e.comp_pos = pp ? pp->comp : 0;
			e.elem_ref = a->edifact || a->csv || a->fix || a->xml ? 0 : map_elem_ref(e.seg_id, e.elem_pos);
			if (a->csv) {
				e.elem_pos = (int)csv_col_of(a, e.elem_pos);
				e.comp_pos = 0;
			} else if (a->fix) {
				const struct mslot *sl = fix_slot(a, p->seg, e.elem_pos);
				e.elem_pos = sl ? (int)sl->start : 0;
				e.comp_pos = 0;
			}
			e.bad_value = p->value;
			char *m;
			if (f->check == CHECK_COUNT)
				m = xasprintf("%s: the document says %s but the record has %s %s "
					      "(check count(%s), map %s:%zu)",
					      p->label, p->value, have.data, f->chk.text, f->chk.text,
					      f->file, f->line);
			else
				m = xasprintf("%s: the document says %s but the sum of %s is %s "
					      "(check sum(%s), map %s:%zu)",
					      p->label, p->value, f->chk.text, have.data, f->chk.text,
					      f->file, f->line);
			e.msg = m;
			x12_errlist_add(a->errs, &e);
			free(m);
		}
		buf_free(&have);
	}
}

/* ---------------------------------------------------------------- entry */

/* Add the source child name with an envelope value (escaped when not valid text). */
static void source_child(xmlNodePtr src, const char *name, const char *v, size_t n)
{
	n = strnlen(v, n);
	if (n == 0)
		return;
	xmlNodePtr c = xmlNewDocNode(src->doc, src->ns, (const xmlChar *)name, NULL);
	xmlAddChild(src, c);
	if (canon_text_valid(v, n) == 0) {
		canon_node_set_text(c, v, n);
	} else {
		char *e = escape_bytes(v, n, 64);
		canon_node_set_text(c, e, strlen(e));
		free(e);
	}
}

/* The source element of an EDIFACT record, in the order canon_set_source writes:
 * standard edifact, version (UNH 0052 + 0054, then the association code 0057: "D96A",
 * "D96A EAN008"), document-type (0065), sender (UNB 0004), receiver (0010), interchange
 * (0020), group (UNG 0048), transaction (UNH 0062), test (UNB 0035 = 1). The gateway adds
 * the partner with canon_set_source(doc, partner, NULL), which keeps these. */
static void edifact_source(xmlDocPtr doc, const struct edi_msg *msg)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr src = xmlNewDocNode(doc, root->ns, (const xmlChar *)"source", NULL);
	if (root->children)
		xmlAddPrevSibling(root->children, src);
	else
		xmlAddChild(root, src);
	char ver[sizeof msg->version + sizeof msg->release + sizeof msg->assoc + 2];
	snprintf(ver, sizeof ver, "%.*s%.*s%s%.*s", (int)strnlen(msg->version, sizeof msg->version),
		 msg->version, (int)strnlen(msg->release, sizeof msg->release), msg->release,
		 msg->assoc[0] ? " " : "", (int)strnlen(msg->assoc, sizeof msg->assoc), msg->assoc);
	source_child(src, "standard", "edifact", 7);
	source_child(src, "version", ver, sizeof ver);
	source_child(src, "document-type", msg->type, sizeof msg->type);
	if (msg->unb) {
		source_child(src, "sender", msg->unb->sender, sizeof msg->unb->sender);
		source_child(src, "receiver", msg->unb->recipient, sizeof msg->unb->recipient);
		source_child(src, "interchange", msg->unb->ref, sizeof msg->unb->ref);
	}
	if (msg->ung)
		source_child(src, "group", msg->ung->ref, sizeof msg->ung->ref);
	source_child(src, "transaction", msg->ref, sizeof msg->ref);
	if (msg->unb)
		source_child(src, "test", msg->unb->test[0] == '1' ? "true" : "false", 5);
}

/* The source element of a CSV, fixed-width (or XML) record: standard csv (fixed, xml),
 * document-type (the map's NAME). The gateway adds the partner with
 * canon_set_source(doc, partner, NULL). */
static void flat_source(xmlDocPtr doc, const struct map *m)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr src = xmlNewDocNode(doc, root->ns, (const xmlChar *)"source", NULL);
	if (root->children)
		xmlAddPrevSibling(root->children, src);
	else
		xmlAddChild(root, src);
	source_child(src, "standard", m->std, strlen(m->std));
	source_child(src, "document-type", m->type, strlen(m->type));
}

/* Apply map m to the segments of txn (an X12 transaction set or the view of an EDIFACT
 * message; for EDIFACT, msg is the message). The record's source element is filled
 * before the fields. */
static int apply_txn(const struct map *m, const struct x12_txn *txn, const struct edi_msg *msg,
		     const struct csvctx *csv, const struct fixctx *fix, const size_t *vrow,
		     xmlDocPtr *out, struct x12_errlist *errs, char **business_key,
		     struct map_rowflags *rf)
{
	struct actx a;
	struct joinring ring;
	memset(&a, 0, sizeof a);
	memset(&ring, 0, sizeof ring);
	a.ring = &ring;
	a.m = m;
	a.txn = txn;
	a.nseg = txn->nseg;
	a.errs = errs;
	a.rf = rf;
	a.csv = csv;
	a.fix = fix;
	a.vrow = vrow;
	a.comp = txn->delims ? txn->delims->comp : 0;
	if (msg) {
		a.edifact = 1;
		a.rep = txn->delims ? txn->delims->rep : 0;
		a.edi_comp = msg->delims && msg->delims->comp ? msg->delims->comp : ':';
	}
	a.packed = xmalloc(a.nseg * sizeof *a.packed);
	a.next_direct = xmalloc(a.nseg * sizeof *a.next_direct);
	a.owner = xmalloc(a.nseg * sizeof *a.owner);
	a.capocc = a.nseg + 1;
	a.occ = xmalloc(a.capocc * sizeof *a.occ);
	for (size_t i = 0; i < a.nseg; i++)
		a.packed[i] = map_rec_pack(txn->segs[i].id, strnlen(txn->segs[i].id, 4));
	buf_init(&a.val, 0);
	buf_init(&a.tmp, 0);
	for (size_t i = 0; i < sizeof ring.b / sizeof ring.b[0]; i++)
		buf_init(&ring.b[i], 0);
	build_tree(&a);
	link_hier(&a);

	xmlDocPtr doc = canon_new(m->kind);
	if (!doc) {
		log_error("map %s: cannot create a %s record", m->name, m->kind);
		abort(); /* compile checked the kind: out of memory */
	}
	if (msg)
		edifact_source(doc, msg);
	else if (csv || fix)
		flat_source(doc, m);
	else
		canon_set_source(doc, NULL, txn);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	apply_block(&a, &m->root, 0, -1, root, 1);
	run_checks(&a);
	if (business_key && m->key)
		*business_key = canon_path_value(root, &m->keypath);
	*out = doc;

	for (size_t i = 0; i < a.npend; i++) {
		free(a.pend[i].value);
		free(a.pend[i].label);
	}
	free(a.pend);
	free(a.miss);
	buf_free(&a.val);
	buf_free(&a.tmp);
	for (size_t i = 0; i < sizeof ring.b / sizeof ring.b[0]; i++)
		buf_free(&ring.b[i]);
	free(a.packed);
	free(a.next_direct);
	free(a.owner);
	free(a.occ);
	return 0;
}

/* Apply an inbound X12 map to one transaction set. */
int map_apply_x12(const struct map *m, const struct x12_txn *txn, xmlDocPtr *out,
		  struct x12_errlist *errs, char **business_key)
{
	if (out)
		*out = NULL;
	if (business_key)
		*business_key = NULL;
	if (!m || !txn || !out || txn->nseg == 0 || !txn->segs)
		return -EINVAL;
	if (m->edifact) {
		log_error("map %s reads EDIFACT %s messages, not X12 transaction sets", m->name,
			  m->type);
		return -EINVAL;
	}
	if (strcmp(txn->st01, m->type) != 0) {
		log_error("map %s reads %s transaction sets, not %s", m->name, m->type, txn->st01);
		return -EINVAL;
	}
	return apply_txn(m, txn, NULL, NULL, NULL, NULL, out, errs, business_key, NULL);
}

/* Apply an inbound EDIFACT map to one message (through its X12 view). */
int map_apply_edifact(const struct map *m, const struct edi_msg *msg, const struct edi_view *view,
		      xmlDocPtr *out, struct x12_errlist *errs, char **business_key)
{
	if (out)
		*out = NULL;
	if (business_key)
		*business_key = NULL;
	if (!m || !msg || !out || msg->nseg == 0 || !msg->segs)
		return -EINVAL;
	if (!m->edifact) {
		log_error("map %s reads %s %s transaction sets, not EDIFACT messages", m->name,
			  m->std, m->type);
		return -EINVAL;
	}
	if (strncmp(msg->type, m->type, sizeof msg->type) != 0) {
		char *t = escape_bytes(msg->type, strnlen(msg->type, sizeof msg->type), 16);
		log_error("map %s reads %s messages, not %s", m->name, m->type, t);
		free(t);
		return -EINVAL;
	}
	if (view)
		return apply_txn(m, &view->txn, msg, NULL, NULL, NULL, out, errs, business_key, NULL);
	struct edi_view v;
	memset(&v, 0, sizeof v);
	int rc = edi_view_build(&v, msg);
	if (rc == 0)
		rc = apply_txn(m, &v.txn, msg, NULL, NULL, NULL, out, errs, business_key, NULL);
	edi_view_free(&v);
	return rc;
}

/* ------------------------------------------------------------------ CSV */

/* The value of CSV path p (a group-by column) in row r, trimmed. */
static struct span csv_path_value(const struct map *m, const struct csv_table *t,
				  const struct csv_row *r, const struct mpath *p)
{
	size_t col = p->csv_name ? csv_column(t, p->csv_name) : (size_t)p->csv_col;
	(void)m;
	if (col == 0 || col > r->n)
		return (struct span){ "", 0 };
	return span_trim(r->f[col - 1]);
}

/* One key/row pair while grouping. */
struct gkey {
	struct span key;
	size_t row;
};

/* Order by key bytes, then by row. */
static int gkey_cmp(const void *x, const void *y)
{
	const struct gkey *a = x, *b = y;
	size_t n = a->key.n < b->key.n ? a->key.n : b->key.n;
	int c = n ? memcmp(a->key.p, b->key.p, n) : 0;
	if (c == 0 && a->key.n != b->key.n)
		c = a->key.n < b->key.n ? -1 : 1;
	if (c == 0)
		c = a->row < b->row ? -1 : a->row > b->row;
	return c;
}

/* Order groups by their first row. */
static int group_cmp(const void *x, const void *y)
{
	const struct map_csv_group *a = x, *b = y;
	return a->rows[0] < b->rows[0] ? -1 : a->rows[0] > b->rows[0];
}

/* Split the data rows of t into the map's groups. */
int map_csv_groups(const struct map *m, const struct csv_table *t, struct map_csv_group **out,
		   size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (!m || !t || !m->csv)
		return -EINVAL;
	if (t->nrows == 0)
		return 0;
	if (m->group_by.nsteps == 0) {
		struct map_csv_group *g = xcalloc(1, sizeof *g);
		g->rows = xmalloc(t->nrows * sizeof *g->rows);
		for (size_t i = 0; i < t->nrows; i++)
			g->rows[i] = i;
		g->nrows = t->nrows;
		g->key = xstrdup("");
		*out = g;
		*nout = 1;
		return 0;
	}
	if (m->group_by.csv_name && csv_column(t, m->group_by.csv_name) == 0) {
		log_error("map %s: group-by column %s is not in the file's header", m->name,
			  m->group_by.text);
		return -ENOENT;
	}
	struct gkey *k = xmalloc(t->nrows * sizeof *k);
	for (size_t i = 0; i < t->nrows; i++)
		k[i] = (struct gkey){ csv_path_value(m, t, &t->rows[i], &m->group_by), i };
	qsort(k, t->nrows, sizeof *k, gkey_cmp);
	struct map_csv_group *g = NULL;
	size_t ng = 0;
	for (size_t i = 0; i < t->nrows;) {
		size_t j = i;
		while (j < t->nrows && k[j].key.n == k[i].key.n &&
		       (k[i].key.n == 0 || memcmp(k[j].key.p, k[i].key.p, k[i].key.n) == 0))
			j++;
		g = xrealloc(g, (ng + 1) * sizeof *g);
		g[ng].key = span_dup(k[i].key);
		g[ng].nrows = j - i;
		g[ng].rows = xmalloc((j - i) * sizeof *g[ng].rows);
		for (size_t r = i; r < j; r++)
			g[ng].rows[r - i] = k[r].row;
		ng++;
		i = j;
	}
	free(k);
	qsort(g, ng, sizeof *g, group_cmp);
	*out = g;
	*nout = ng;
	return 0;
}

/* Free groups from map_csv_groups. */
void map_csv_groups_free(struct map_csv_group *g, size_t n)
{
	if (!g)
		return;
	for (size_t i = 0; i < n; i++) {
		free(g[i].key);
		free(g[i].rows);
	}
	free(g);
}

/* Apply a CSV map to rows of t (all data rows when rows is NULL). */
int map_apply_csv(const struct map *m, const struct csv_table *t, const size_t *rows,
		  size_t nrows, xmlDocPtr *out, struct x12_errlist *errs, char **business_key)
{
	return map_apply_csv_flags(m, t, rows, nrows, out, errs, business_key, NULL);
}

/* The same, noting in rf which rows the findings reject. */
int map_apply_csv_flags(const struct map *m, const struct csv_table *t, const size_t *rows,
			size_t nrows, xmlDocPtr *out, struct x12_errlist *errs, char **business_key,
			struct map_rowflags *rf)
{
	static const struct x12_delims delims = { ',', 0, 0, '\n' };
	if (out)
		*out = NULL;
	if (business_key)
		*business_key = NULL;
	if (!m || !t || !out)
		return -EINVAL;
	if (!m->csv) {
		log_error("map %s reads %s %s, not CSV files", m->name, m->std, m->type);
		return -EINVAL;
	}
	if (!rows)
		nrows = t->nrows;
	if (nrows == 0)
		return -EINVAL;
	for (size_t i = 0; rows && i < nrows; i++)
		if (rows[i] >= t->nrows)
			return -EINVAL;
	struct csvctx c;
	c.t = t;
	c.nslots = m->ncsv_names + (size_t)m->csv_maxcol;
	c.col = xcalloc(c.nslots + 1, sizeof *c.col);
	for (size_t k = 1; k <= m->ncsv_names; k++) {
		c.col[k] = csv_column(t, m->csv_names[k - 1]);
		if (c.col[k] == 0 && rf)
			rf->record_bad = 1;
		if (c.col[k] == 0 && errs) {
			struct x12_error e = { 0 };
			e.scope = X12_SCOPE_TXN;
			memcpy(e.code, "1", 2);
			e.line = t->header.n ? t->header.line : 1;
			e.msg = xasprintf("%s has no column %s (map %s:%zu)",
					  t->header.n ? "the file's header" : "a file without a header",
					  m->csv_names[k - 1], m->csv_name_file[k - 1],
					  m->csv_name_line[k - 1]);
			x12_errlist_add(errs, &e);
			free(e.msg);
		}
	}
	for (size_t k = 1; k <= (size_t)m->csv_maxcol; k++)
		c.col[m->ncsv_names + k] = k;
	struct x12_tseg *segs = xcalloc(nrows, sizeof *segs);
	struct span *sp = xcalloc(nrows * (c.nslots + 1), sizeof *sp);
	for (size_t i = 0; i < nrows; i++) {
		size_t ri = rows ? rows[i] : i;
		const struct csv_row *r = &t->rows[ri];
		struct x12_tseg *g = &segs[i];
		memcpy(g->id, "ROW", 4);
		g->nelem = c.nslots;
		g->elem = sp + i * (c.nslots + 1);
		g->elem[0] = (struct span){ "ROW", 3 };
		for (size_t k = 1; k <= c.nslots; k++)
			if (c.col[k] && c.col[k] <= r->n)
				g->elem[k] = r->f[c.col[k] - 1];
		g->file_seg = ri + 1;
		g->line = r->line;
	}
	struct x12_txn txn;
	memset(&txn, 0, sizeof txn);
	txn.nseg = nrows;
	txn.segs = segs;
	txn.delims = &delims;
	txn.index = 1;
	int rc = apply_txn(m, &txn, NULL, &c, NULL, NULL, out, errs, business_key, rf);
	free(segs);
	free(sp);
	free(c.col);
	return rc;
}

/* ----------------------------------------------------------- fixed-width */

/* The record type of a line (first declaration whose text is at its column; the
 * catch-all last), -1 none, -2 an empty line. */
int map_fixed_type(const struct map *m, const struct fixed_line *l)
{
	if (l->nchars == 0)
		return -2;
	int any = -1;
	for (size_t i = 0; i < m->nrecs; i++) {
		const struct mrec *r = &m->recs[i];
		if (!r->at) {
			any = (int)i;
			continue;
		}
		if (span_eq(fixed_field(l, r->at, r->litchars), r->lit))
			return (int)i;
	}
	return any;
}

/* Why line l of type r (or of no type, r < 0) cannot be used; NULL when it can. */
static char *fixed_line_problem(const struct map *m, const struct fixed_line *l, int r, size_t *col)
{
	if (r < 0) {
		struct buf b;
		buf_init(&b, 0);
		for (size_t i = 0; i < m->nrecs && i < 6; i++)
			buf_printf(&b, "%s%s at %zu \"%s\"", i ? ", " : "", m->recs[i].name, m->recs[i].at,
				   m->recs[i].lit);
		if (m->nrecs > 6)
			buf_puts(&b, ", ...");
		char *start = escape_bytes(l->text.p, l->text.n, 16);
		char *t = xasprintf("line %llu, column 1: no record type matches the line ('%s') (map %s:%zu "
				    "declares %s)", (unsigned long long)l->line, start, m->recs[0].file,
				    m->recs[0].line, b.data);
		free(start);
		buf_free(&b);
		*col = 1;
		return t;
	}
	const struct mrec *rc = &m->recs[r];
	if (!rc->minlen || (l->nchars >= rc->minlen && l->nchars <= rc->maxlen))
		return NULL;
	int longer = l->nchars > rc->maxlen;
	*col = longer ? rc->maxlen + 1 : l->nchars + 1;
	char want[48];
	if (rc->minlen == rc->maxlen)
		snprintf(want, sizeof want, "%zu", rc->minlen);
	else
		snprintf(want, sizeof want, "%zu to %zu", rc->minlen, rc->maxlen);
	return xasprintf("line %llu, column %zu: a %s record of %zu characters, %s than its length %s "
			 "(map %s:%zu)", (unsigned long long)l->line, *col, rc->name, l->nchars,
			 longer ? "longer" : "shorter", want, rc->file, rc->line);
}

/* Add line index i to group g. */
static void group_add(struct map_fixed_group *g, size_t i, size_t *cap)
{
	if (g->nlines == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		g->lines = xrealloc(g->lines, *cap * sizeof *g->lines);
	}
	g->lines[g->nlines++] = i;
}

/* Split a fixed-width file into the map's groups. */
int map_fixed_groups(const struct map *m, const struct fixed_file *f, struct map_fixed_group **out,
		     size_t *nout, struct map_badline **bad, size_t *nbad)
{
	*out = NULL;
	*nout = 0;
	if (bad)
		*bad = NULL;
	if (nbad)
		*nbad = 0;
	if (!m || !f || !m->fixed)
		return -EINVAL;
	struct map_fixed_group *g = NULL;
	size_t ng = 0, capg = 0, capl = 0, capb = 0;
	size_t *pre = NULL, npre = 0, cappre = 0; /* lines before the first group-by record */
	for (size_t i = 0; i < f->nlines; i++) {
		const struct fixed_line *l = &f->lines[i];
		int r = map_fixed_type(m, l);
		if (r == -2)
			continue;
		size_t col = 0;
		char *why = fixed_line_problem(m, l, r, &col);
		if (why) {
			if (bad && nbad) {
				if (*nbad == capb) {
					capb = capb ? capb * 2 : 16;
					*bad = xrealloc(*bad, capb * sizeof **bad);
				}
				(*bad)[(*nbad)++] = (struct map_badline){ l->line, col, why };
			} else {
				free(why);
			}
			continue;
		}
		int starts = m->group_rec < 0 ? ng == 0 : r == m->group_rec;
		if (!starts && ng == 0 && m->group_rec >= 0) {
			if (npre == cappre) {
				cappre = cappre ? cappre * 2 : 8;
				pre = xrealloc(pre, cappre * sizeof *pre);
			}
			pre[npre++] = i;
			continue;
		}
		if (starts) {
			if (ng == capg) {
				capg = capg ? capg * 2 : 8;
				g = xrealloc(g, capg * sizeof *g);
			}
			memset(&g[ng], 0, sizeof g[ng]);
			g[ng].line = l->line;
			capl = 0;
			for (size_t k = 0; k < npre; k++)
				group_add(&g[ng], pre[k], &capl);
			ng++;
		}
		group_add(&g[ng - 1], i, &capl);
	}
	if (ng == 0 && npre && bad && nbad) {
		/* lines, but none starts a record: say so rather than map nothing */
		const struct fixed_line *l = &f->lines[pre[0]];
		if (*nbad == capb)
			*bad = xrealloc(*bad, (capb + 1) * sizeof **bad);
		(*bad)[(*nbad)++] = (struct map_badline){
			l->line, 0,
			xasprintf("line %llu: no %s record in the file (group-by %s, map %s:%zu): its %zu line%s "
				  "make no record", (unsigned long long)l->line, m->recs[m->group_rec].name,
				  m->recs[m->group_rec].name, m->group_by_file, m->group_by_line, npre,
				  npre == 1 ? "" : "s")
		};
	}
	free(pre);
	*out = g;
	*nout = ng;
	return 0;
}

/* Free groups from map_fixed_groups. */
void map_fixed_groups_free(struct map_fixed_group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].lines);
	free(g);
}

/* Free bad lines from map_fixed_groups. */
void map_badlines_free(struct map_badline *b, size_t n)
{
	for (size_t i = 0; b && i < n; i++)
		free(b[i].text);
	free(b);
}

/* Apply a fixed-width map to lines of f (every line when lines is NULL). */
int map_apply_fixed(const struct map *m, const struct fixed_file *f, const size_t *lines,
		    size_t nlines, xmlDocPtr *out, struct x12_errlist *errs, char **business_key,
		    struct map_rowflags *rf)
{
	static const struct x12_delims delims = { '*', 0, 0, '\n' };
	if (out)
		*out = NULL;
	if (business_key)
		*business_key = NULL;
	if (!m || !f || !out)
		return -EINVAL;
	if (!m->fixed) {
		log_error("map %s reads %s %s, not fixed-width files", m->name, m->std, m->type);
		return -EINVAL;
	}
	if (!lines)
		nlines = f->nlines;
	if (nlines == 0)
		return -EINVAL;
	for (size_t i = 0; lines && i < nlines; i++)
		if (lines[i] >= f->nlines)
			return -EINVAL;
	struct fixctx c;
	c.f = f;
	c.rec = xmalloc(nlines * sizeof *c.rec);
	size_t *vrow = xmalloc(nlines * sizeof *vrow);
	struct x12_tseg *segs = xcalloc(nlines, sizeof *segs);
	size_t nspans = 0;
	for (size_t i = 0; i < nlines; i++) {
		int r = map_fixed_type(m, &f->lines[lines ? lines[i] : i]);
		nspans += r >= 0 ? m->recs[r].nslots + 1 : 0;
	}
	struct span *sp = xcalloc(nspans ? nspans : 1, sizeof *sp);
	size_t nseg = 0, used = 0;
	for (size_t i = 0; i < nlines; i++) {
		size_t li = lines ? lines[i] : i;
		const struct fixed_line *l = &f->lines[li];
		int r = map_fixed_type(m, l);
		if (r < 0)
			continue; /* empty, or no record type: map_fixed_groups reports it */
		const struct mrec *rec = &m->recs[r];
		struct x12_tseg *g = &segs[nseg];
		memcpy(g->id, rec->name, sizeof g->id);
		g->nelem = rec->nslots;
		g->elem = sp + used;
		used += rec->nslots + 1;
		g->elem[0] = (struct span){ rec->name, strlen(rec->name) };
		for (size_t k = 1; k <= rec->nslots; k++)
			g->elem[k] = fixed_field(l, rec->slots[k - 1].start, rec->slots[k - 1].len);
		g->file_seg = li + 1;
		g->line = l->line;
		c.rec[nseg] = r;
		vrow[nseg] = i;
		nseg++;
	}
	int rc = -EINVAL;
	if (nseg) {
		struct x12_txn txn;
		memset(&txn, 0, sizeof txn);
		txn.nseg = nseg;
		txn.segs = segs;
		txn.delims = &delims;
		txn.index = 1;
		rc = apply_txn(m, &txn, NULL, NULL, &c, vrow, out, errs, business_key, rf);
	}
	free(segs);
	free(sp);
	free(vrow);
	free(c.rec);
	return rc;
}

/* ------------------------------------------------------------------- XML */

/* The nodes group-by selects (or the root element). */
int map_xml_groups(const struct map *m, xmlDocPtr doc, xmlNodePtr **out, size_t *nout, char **why)
{
	*out = NULL;
	*nout = 0;
	if (why)
		*why = NULL;
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!m || !m->xml || !root)
		return -EINVAL;
	if (!m->group_by.xpath) {
		*out = xmalloc(sizeof **out);
		(*out)[0] = root;
		*nout = 1;
		return 0;
	}
	struct buf err;
	buf_init(&err, 0);
	struct map_xpath_saved saved;
	map_xpath_quiet(&err, &saved);
	xmlXPathContextPtr c = map_xpath_context(m, doc, &err);
	c->node = root;
	xmlXPathObjectPtr o = xmlXPathCompiledEval(m->group_by.xcomp, c);
	map_xpath_loud(&saved);
	int rc = 0;
	if (!o || o->type != XPATH_NODESET) {
		if (why)
			*why = xasprintf("group-by %s (map %s:%zu) %s", m->group_by.text, m->group_by_file,
					 m->group_by_line, o ? "does not select nodes" : err.len ? err.data : "fails");
		rc = -EINVAL;
	} else {
		int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
		*out = xmalloc((size_t)(n ? n : 1) * sizeof **out);
		for (int k = 0; k < n; k++)
			if (o->nodesetval->nodeTab[k]->type != XML_NAMESPACE_DECL)
				(*out)[(*nout)++] = o->nodesetval->nodeTab[k];
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(c);
	buf_free(&err);
	return rc;
}

/* Apply an XML map with node as the current node. */
int map_apply_xml(const struct map *m, xmlDocPtr doc, xmlNodePtr node, xmlDocPtr *out,
		  struct x12_errlist *errs, char **business_key)
{
	if (out)
		*out = NULL;
	if (business_key)
		*business_key = NULL;
	if (!m || !doc || !out || !xmlDocGetRootElement(doc))
		return -EINVAL;
	if (!m->xml) {
		log_error("map %s reads %s %s, not XML documents", m->name, m->std, m->type);
		return -EINVAL;
	}
	if (!node)
		node = xmlDocGetRootElement(doc);
	if (node->doc != doc)
		return -EINVAL;
	struct actx a;
	struct xmlctx x;
	memset(&a, 0, sizeof a);
	memset(&x, 0, sizeof x);
	a.m = m;
	a.errs = errs;
	a.xml = &x;
	buf_init(&x.err, 0);
	buf_init(&x.v, 0);
	buf_init(&a.val, 0);
	buf_init(&a.tmp, 0);
	struct map_xpath_saved saved;
	map_xpath_quiet(&x.err, &saved);
	x.xp = map_xpath_context(m, doc, &x.err);
	long cur = xnode_push(&a, node);
	xmlDocPtr rec = canon_new(m->kind);
	if (!rec) {
		log_error("map %s: cannot create a %s record", m->name, m->kind);
		abort(); /* compile checked the kind: out of memory */
	}
	flat_source(rec, m);
	xmlNodePtr root = xmlDocGetRootElement(rec);
	apply_block(&a, &m->root, 0, cur, root, 1);
	run_checks(&a);
	if (business_key && m->key)
		*business_key = canon_path_value(root, &m->keypath);
	*out = rec;
	for (size_t i = 0; i < a.npend; i++) {
		free(a.pend[i].value);
		free(a.pend[i].label);
	}
	free(a.pend);
	buf_free(&a.val);
	buf_free(&a.tmp);
	xmlXPathFreeContext(x.xp);
	map_xpath_loud(&saved);
	buf_free(&x.err);
	buf_free(&x.v);
	free(x.nodes);
	return 0;
}
