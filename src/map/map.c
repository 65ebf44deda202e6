/*
 * map.c — map files: parse (doc/edigw-map.5), follow "extends" chains,
 * merge overlays and compile the result for map_apply_x12 and
 * map_apply_edifact (the same paths, read on an X12 transaction set or on
 * the X12 view of an EDIFACT message), map_apply_csv (CSV columns, slots of
 * a ROW segment) and map_apply_fixed (record types declared by "record"
 * lines, their FIRST-LAST / FIRST+LENGTH fields slots of the record's
 * segment). "each group KEY" (CSV, fixed-width) compiles to an each over the
 * rows' segment whose key path is a column or field; its block is bound to
 * that segment like an each over a plain segment, except that an each over
 * the same segment (each row) or another each group may nest in it.
 *
 *   map_load     parse every file of the chain, merge, compile; every
 *                problem goes to the diag list with file:line
 *   map_free     free a compiled map
 *
 * Ownership: struct map owns everything, including the file names the
 * fields and diagnostics point at. Limits (map_int.h): files of at most
 * 1 MiB with lines of 4096 bytes (canon_lex), MAP_MAX_EXTENDS hops,
 * MAP_MAX_DEPTH nested each blocks, MAP_MAX_LOOP_DEPTH nested loops,
 * MAP_MAX_FIELDS lines; a list is capped at MAP_MAX_LIST elements.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xpathInternals.h>

#include "canon/canon.h"
#include "canon/canon_lex.h"
#include "flat/csv.h"
#include "map/map_int.h"

/* One parsed file of an extends chain, before merging. */
struct mfile {
	const char *path;
	char *name;
	char *std, *type;
	const char *source_file;
	size_t source_line;
	char *kind;
	const char *target_file;
	size_t target_line;
	char *key;
	const char *key_file;
	size_t key_line;
	char *group_by;         /* source csv: "group-by @col"; fixed: "group-by H" */
	const char *group_by_file;
	size_t group_by_line;
	char *extends;
	size_t extends_line;
	struct mloop *loops;
	size_t nloops;
	struct mtable *tables;
	size_t ntables;
	struct mxref *xrefs;    /* xref lines (files not read yet) */
	size_t nxrefs;
	struct mrec *recs;      /* source fixed: record lines */
	size_t nrecs;
	char **ns_prefix, **ns_uri; /* source xml: namespace lines */
	size_t *ns_line;
	size_t nns;
	struct mblock root;
};

/* ------------------------------------------------------------ helpers */

/* Character code for packing: 0 none, 1..10 digits, 11..36 letters. */
static int seg_char(char c, int first)
{
	if (c >= 'A' && c <= 'Z')
		return 11 + (c - 'A');
	if (!first && c >= '0' && c <= '9')
		return 1 + (c - '0');
	return -1;
}

/* Pack a segment id. */
uint32_t map_seg_pack(const char *s, size_t n)
{
	if (n < 2 || n > 3)
		return 0;
	return map_rec_pack(s, n);
}

/* Pack a record type name (1 to 3 characters). */
uint32_t map_rec_pack(const char *s, size_t n)
{
	if (n < 1 || n > 3)
		return 0;
	uint32_t v = 0;
	for (size_t i = 0; i < 3; i++) {
		int c = 0;
		if (i < n && (c = seg_char(s[i], i == 0)) < 0)
			return 0;
		v = v * 37 + (uint32_t)c;
	}
	return v;
}

/* Free an array of strings. */
static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Free a source path's steps and conditions. */
static void path_free(struct mpath *p)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		struct mstep *s = &p->steps[i];
		for (size_t k = 0; k < s->nconds; k++)
			strv_free(s->conds[k].vals, s->conds[k].nvals);
		free(s->conds);
		free(s->text);
	}
	free(p->steps);
	free(p->text);
	free(p->csv_name);
	free(p->fx_text);
	free(p->xpath);
	if (p->xcomp)
		xmlXPathFreeCompExpr(p->xcomp);
}

/* Free a block's fields. */
void map_block_free(struct mblock *b)
{
	for (size_t i = 0; i < b->n; i++)
		map_field_free(b->v[i]);
	free(b->v);
	memset(b, 0, sizeof *b);
}

/* Free a field and everything it owns. */
void map_field_free(struct mfield *f)
{
	if (!f)
		return;
	free(f->target);
	canon_path_clear(&f->tpath);
	for (size_t i = 0; i < f->nalts; i++)
		path_free(&f->alts[i]);
	free(f->alts);
	strv_free(f->quals, f->nquals);
	free(f->literal);
	free(f->def);
	free(f->table_name);
	free(f->xref_name);
	canon_path_clear(&f->chk);
	if (f->block) {
		map_block_free(f->block);
		free(f->block);
	}
	free(f);
}

/* Append a field to a block. */
static void block_add(struct mblock *b, struct mfield *f)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	b->v[b->n++] = f;
}

/* Free a loop definition. */
static void loop_free(struct mloop *l)
{
	free(l->name);
	strv_free(l->members, l->nmembers);
}

/* Free a record declaration and its slots. */
static void rec_free(struct mrec *r)
{
	free(r->lit);
	for (size_t i = 0; i < r->nslots; i++)
		free(r->slots[i].text);
	free(r->slots);
}

/* Free a cross-reference and its entries. */
static void xref_free(struct mxref *x)
{
	free(x->name);
	free(x->path);
	free(x->shown);
	free(x->from);
	free(x->to);
	free(x->else_value);
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].code);
		free(x->v[i].value);
	}
	free(x->v);
}

/* Free a code table. */
static void table_free(struct mtable *t)
{
	free(t->name);
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].code);
		free(t->v[i].value);
	}
	free(t->v);
	free(t->star);
}

/* Free one parsed file of a chain. */
static void mfile_free(struct mfile *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->std);
	free(f->type);
	free(f->kind);
	free(f->key);
	free(f->group_by);
	free(f->extends);
	for (size_t i = 0; i < f->nloops; i++)
		loop_free(&f->loops[i]);
	free(f->loops);
	for (size_t i = 0; i < f->ntables; i++)
		table_free(&f->tables[i]);
	free(f->tables);
	for (size_t i = 0; i < f->nrecs; i++)
		rec_free(&f->recs[i]);
	free(f->recs);
	for (size_t i = 0; i < f->nxrefs; i++)
		xref_free(&f->xrefs[i]);
	free(f->xrefs);
	strv_free(f->ns_prefix, f->nns);
	strv_free(f->ns_uri, f->nns);
	free(f->ns_line);
	map_block_free(&f->root);
	free(f);
}

/* Free a map. */
void map_free(struct map *m)
{
	if (!m)
		return;
	map_block_free(&m->root);
	for (size_t i = 0; i < m->nloops; i++)
		loop_free(&m->loops[i]);
	free(m->loops);
	for (size_t i = 0; i < m->ntables; i++)
		table_free(&m->tables[i]);
	free(m->tables);
	free(m->name);
	free(m->std);
	free(m->type);
	free(m->kind);
	free(m->key);
	canon_path_clear(&m->keypath);
	path_free(&m->group_by);
	strv_free(m->csv_names, m->ncsv_names);
	for (size_t i = 0; i < m->nrecs; i++)
		rec_free(&m->recs[i]);
	free(m->recs);
	for (size_t i = 0; i < m->nxrefs; i++)
		xref_free(&m->xrefs[i]);
	free(m->xrefs);
	strv_free(m->ns_prefix, m->nns);
	strv_free(m->ns_uri, m->nns);
	free(m->csv_name_file);
	free(m->csv_name_line);
	free(m->intern);
	free(m->role);
	strv_free(m->files, m->nfiles);
	free(m);
}

/* Source standard ("x12"). */
const char *map_source_standard(const struct map *m)
{
	return m->std;
}

/* Source document type ("850"). */
const char *map_source_type(const struct map *m)
{
	return m->type;
}

/* The group-by as written, "" without one. */
const char *map_group_by_text(const struct map *m)
{
	if (m->group_by.text)
		return m->group_by.text;
	return m->fixed && m->group_rec >= 0 ? m->recs[m->group_rec].name : "";
}

/* Target record kind ("order"). */
const char *map_target_kind(const struct map *m)
{
	return m->kind;
}

/* ------------------------------------------------------- source paths */

/* Parse an element reference "PO106" / "PO106-1" (n bytes) into id, elem, comp. */
static const char *parse_elemref(const char *s, size_t n, char id[4], int *elem, int *comp)
{
	*comp = 0;
	const char *dash = memchr(s, '-', n);
	size_t base = dash ? (size_t)(dash - s) : n;
	if (dash) {
		size_t cn = n - base - 1;
		if (cn < 1 || cn > 2)
			return "a component is written -N after the element (PO106-1)";
		int c = 0;
		for (size_t i = 0; i < cn; i++) {
			char ch = dash[1 + i];
			if (ch < '0' || ch > '9')
				return "a component is written -N after the element (PO106-1)";
			c = c * 10 + (ch - '0');
		}
		if (c < 1)
			return "components are numbered from 1";
		*comp = c;
	}
	if (base != 4 && base != 5)
		return "an element is a segment id and two digits (BEG03, N101, PO106)";
	char d1 = s[base - 2], d2 = s[base - 1];
	if (d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9')
		return "an element is a segment id and two digits (BEG03, N101, PO106)";
	*elem = (d1 - '0') * 10 + (d2 - '0');
	if (*elem < 1)
		return "elements are numbered from 01";
	if (!map_seg_pack(s, base - 2))
		return "a segment id is 2 or 3 capital letters or digits, starting with a letter";
	memcpy(id, s, base - 2);
	id[base - 2] = '\0';
	return NULL;
}

/* A position or length: digits, 1..MAP_FIXED_MAX_COL. */
static int fx_num(const char *s, size_t n, size_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 6)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < 1 || v > MAP_FIXED_MAX_COL)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Parse a fixed-width field "D:12-19" / "D:12+8" (n bytes) into id, start, len. */
static const char *parse_fixref(const char *s, size_t n, char id[4], size_t *start, size_t *len)
{
	static const char form[] = "a fixed-width field is RECORD:FIRST-LAST or RECORD:FIRST+LENGTH "
				   "(D:12-19, D:12+8; columns from 1 to 65536)";
	const char *colon = memchr(s, ':', n);
	size_t k = (size_t)(colon - s);
	if (!colon || !map_rec_pack(s, k))
		return "a record type is 1 to 3 capital letters or digits, starting with a letter "
		       "(D:12-19)";
	memcpy(id, s, k);
	id[k] = '\0';
	const char *spec = colon + 1;
	size_t sn = n - k - 1;
	size_t i = 0;
	while (i < sn && spec[i] >= '0' && spec[i] <= '9')
		i++;
	size_t a, b;
	if (i == sn || fx_num(spec, i, &a) != 0 || (spec[i] != '-' && spec[i] != '+') ||
	    fx_num(spec + i + 1, sn - i - 1, &b) != 0)
		return form;
	if (spec[i] == '-') {
		if (b < a)
			return "the last column of a fixed-width field comes before its first";
		b = b - a + 1;
	} else if (b > MAP_FIXED_MAX_COL - a + 1) {
		return form;
	}
	*start = a;
	*len = b;
	return NULL;
}

/* Parse one condition "N101=ST|BT" / "N101!=ST" of a step on segment id. */
static const char *parse_cond(struct mcond *c, const char *s, size_t n, const char *id)
{
	memset(c, 0, sizeof *c);
	size_t i = 0;
	while (i < n && s[i] != '=' && s[i] != '!')
		i++;
	if (i == 0 && n > 1 && s[0] == '!' && memchr(s, '=', n) == NULL) {
		c->neg = 1; /* [!LIN] */
		s++;
		n--;
		i = n;
	}
	if (i == n) {
		/* [LIN]: the loop holds a LIN */
		c->holds = map_rec_pack(s, n);
		if (!c->holds)
			return "a condition is written [N101=ST], [N101!=ST] or [SEG] (the loop holds "
			       "a SEG)";
		memcpy(c->holds_id, s, n);
		c->holds_id[n] = '\0';
		return NULL;
	}
	char cid[4];
	const char *why = memchr(s, ':', i) ? parse_fixref(s, i, cid, &c->fx_start, &c->fx_len)
					    : parse_elemref(s, i, cid, &c->elem, &c->comp);
	if (why)
		return why;
	if (strcmp(cid, id) != 0)
		return c->fx_len ? "a condition must test a field of its own record ([D:20+1=X] on D)"
				 : "a condition must test an element of its own segment ([N101=ST] on N1)";
	if (s[i] == '!') {
		if (i + 1 >= n || s[i + 1] != '=')
			return "a condition is written [N101=ST] or [N101!=ST]";
		c->neg = 1;
		i++;
	}
	i++;
	/* values separated by '|' */
	size_t start = i;
	for (;;) {
		if (i == n || s[i] == '|') {
			c->vals = xrealloc(c->vals, (c->nvals + 1) * sizeof *c->vals);
			c->vals[c->nvals++] = span_dup((struct span){ s + start, i - start });
			if (i == n)
				break;
			start = i + 1;
		}
		i++;
	}
	return NULL;
}

/* Parse a segment step "N1[N101=ST][N103=92]" (n bytes). */
static const char *parse_step(struct mstep *st, const char *s, size_t n)
{
	memset(st, 0, sizeof *st);
	st->text = span_dup((struct span){ s, n });
	size_t i = 0;
	while (i < n && s[i] != '[')
		i++;
	st->seg = map_rec_pack(s, i); /* a one-letter id is a fixed-width record's; compile checks */
	if (!st->seg)
		return "a segment id is 2 or 3 capital letters or digits, starting with a letter";
	memcpy(st->id, s, i);
	st->id[i] = '\0';
	while (i < n) {
		if (s[i] != '[')
			return "unexpected text after a condition";
		const char *e = memchr(s + i, ']', n - i);
		if (!e)
			return "missing ']'";
		if (st->nconds == MAP_MAX_CONDS)
			return "too many conditions on one segment";
		st->conds = xrealloc(st->conds, (st->nconds + 1) * sizeof *st->conds);
		const char *why = parse_cond(&st->conds[st->nconds], s + i + 1,
					     (size_t)(e - s - i - 1), st->id);
		st->nconds++;
		if (why)
			return why;
		i = (size_t)(e - s) + 1;
	}
	return NULL;
}

/* Split s at sep characters outside [...]; returns pieces as spans. */
static size_t split_outside(const char *s, char sep, struct span *out, size_t max)
{
	size_t n = 0, depth = 0, start = 0, i = 0;
	for (;; i++) {
		char c = s[i];
		if (c == '[')
			depth++;
		else if (c == ']' && depth)
			depth--;
		if (c == '\0' || (c == sep && depth == 0)) {
			if (n == max)
				return max + 1;
			out[n++] = (struct span){ s + start, i - start };
			if (c == '\0')
				break;
			start = i + 1;
		}
	}
	return n;
}

static int word_ok(const char *s, size_t max);

/* "xpath(EXPR)": the expression, or NULL with *why when s is not one. */
static char *parse_xpath(const char *s, const char **why)
{
	size_t n = strlen(s);
	*why = NULL;
	if (n < 7 || s[n - 1] != ')') {
		*why = "an XPath source is written xpath(EXPRESSION), with no blank outside quotes "
		       "(quote the expression when it holds blanks: xpath(\"Line[@type = 'x']\"))";
		return NULL;
	}
	if (n - 7 > MAP_XPATH_MAX) {
		*why = "XPath expression longer than 1024 bytes";
		return NULL;
	}
	if (n == 7) {
		*why = "empty XPath expression";
		return NULL;
	}
	return span_dup((struct span){ s + 6, n - 7 });
}

/* Parse a path "N1[N101=ST]/N3/N301" (or a CSV column "@name", "C3", a fixed-width field
 * "D:12+8", an XML source "xpath(EXPR)") into p. */
static const char *parse_path(struct mpath *p, const char *s)
{
	memset(p, 0, sizeof *p);
	p->text = xstrdup(s);
	if (strncmp(s, "xpath(", 6) == 0) {
		const char *why;
		p->xpath = parse_xpath(s, &why);
		return why;
	}
	if (s[0] == '@' || (s[0] == 'C' && s[1] >= '0' && s[1] <= '9' && !strchr(s, ':'))) {
		/* a CSV column: @name or C3, read on the ROW segment */
		if (s[0] == '@') {
			if (!word_ok(s + 1, 64))
				return "a CSV column name is @ and a word (@ship_date)";
			p->csv_name = xstrdup(s + 1);
		} else {
			uint64_t c;
			if (str_to_u64(s + 1, &c) != 0 || c < 1 || c > MAP_CSV_MAX_COL)
				return "a CSV column number is C1 to C1000 (C3: the third field)";
			p->csv_col = (int)c;
		}
		p->steps = xcalloc(1, sizeof *p->steps);
		p->nsteps = 1;
		p->steps[0].seg = map_seg_pack("ROW", 3);
		memcpy(p->steps[0].id, "ROW", 4);
		p->steps[0].text = xstrdup("ROW");
		p->elem = 0; /* the slot, set by compile */
		return NULL;
	}
	if (s[0] == '/') {
		p->absolute = 1; /* from the top level */
		s++;
	}
	struct span part[MAP_MAX_STEPS + 2];
	size_t n = split_outside(s, '/', part, MAP_MAX_STEPS + 1);
	if (n > MAP_MAX_STEPS + 1)
		return "too many steps in the path";
	for (size_t i = 0; i < n; i++)
		if (part[i].n == 0)
			return "empty step in the path (two '/' or a '/' at an end)";
	struct span last = part[n - 1];
	if (memchr(last.p, '[', last.n))
		return "the path must end in an element (N1[N101=ST]/N102), not a segment";
	char id[4];
	const char *why;
	if (memchr(last.p, ':', last.n)) {
		/* a fixed-width field: its record's view segment, slot set by compile */
		why = parse_fixref(last.p, last.n, id, &p->fx_start, &p->fx_len);
		p->fx_text = span_dup(last);
		p->elem = 0;
	} else {
		why = parse_elemref(last.p, last.n, id, &p->elem, &p->comp);
	}
	if (why)
		return why;
	p->steps = xcalloc(n, sizeof *p->steps);
	for (size_t i = 0; i + 1 < n; i++) {
		why = parse_step(&p->steps[p->nsteps], part[i].p, part[i].n);
		p->nsteps++;
		if (why)
			return why;
	}
	/* the element's segment: the last step's, or an implicit step */
	if (p->nsteps == 0 || strcmp(p->steps[p->nsteps - 1].id, id) != 0) {
		struct mstep *st = &p->steps[p->nsteps++];
		memset(st, 0, sizeof *st);
		st->seg = map_rec_pack(id, strlen(id));
		memcpy(st->id, id, sizeof st->id);
		st->text = xstrdup(id);
	}
	return NULL;
}

/* Split XPath alternatives "xpath(A)|xpath(B)" at '|' outside parentheses, brackets and
 * quotes (an XPath union a|b stays one expression). */
static size_t split_xpath_alts(const char *s, struct span *out, size_t max)
{
	size_t n = 0, depth = 0, start = 0;
	char q = 0;
	for (size_t i = 0;; i++) {
		char c = s[i];
		if (q) {
			if (c == q)
				q = 0;
			else if (c == '\0')
				q = 0;
		} else if (c == '\'' || c == '"') {
			q = c;
		} else if (c == '(' || c == '[') {
			depth++;
		} else if ((c == ')' || c == ']') && depth) {
			depth--;
		}
		if (c == '\0' || (!q && c == '|' && depth == 0)) {
			if (n == max)
				return max + 1;
			out[n++] = (struct span){ s + start, i - start };
			if (c == '\0')
				break;
			start = i + 1;
		}
	}
	return n;
}

/* Parse alternatives "A|B" of a source into f->alts. */
static const char *parse_alts(struct mfield *f, const char *s)
{
	struct span alt[MAP_MAX_ALTS + 1];
	size_t n = strncmp(s, "xpath(", 6) == 0 ? split_xpath_alts(s, alt, MAP_MAX_ALTS)
						: split_outside(s, '|', alt, MAP_MAX_ALTS);
	if (n > MAP_MAX_ALTS)
		return "too many alternatives";
	f->alts = xcalloc(n, sizeof *f->alts);
	for (size_t i = 0; i < n; i++) {
		char *t = span_dup(alt[i]);
		const char *why = parse_path(&f->alts[f->nalts], t);
		f->nalts++;
		free(t);
		if (why)
			return why;
	}
	return NULL;
}

/* ------------------------------------------------------------ options */

static const char *const option_words[] = {
	"required", "default", "code", "date", "time", "number", "decimal",
	"raw", "squeeze", "check", "max", "xref", NULL,
};

/* The word is an option keyword. */
static int is_option(const struct canon_tok *t)
{
	if (t->quoted)
		return 0;
	for (size_t i = 0; option_words[i]; i++)
		if (strcmp(t->s, option_words[i]) == 0)
			return 1;
	return 0;
}

/* Table, loop and map names: letters, digits, '-', '_'. */
static int word_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* Date formats by name and by EDIFACT 2379 code (the same formats). */
static const struct {
	const char *name, *code;
	unsigned bit;
} date_formats[] = {
	{ "CCYYMMDD", "102", DATE_CCYYMMDD },
	{ "YYMMDD", "101", DATE_YYMMDD },
	{ "CCYYMMDDHHMM", "203", DATE_CCYYMMDDHHMM },
	{ "CCYYMMDDHHMMSS", "204", DATE_CCYYMMDDHHMMSS },
};

/* The format bit of an EDIFACT 2379 code (0 when not one of ours). */
unsigned map_date_code(struct span code)
{
	for (size_t i = 0; i < sizeof date_formats / sizeof date_formats[0]; i++)
		if (span_eq(code, date_formats[i].code))
			return date_formats[i].bit;
	return 0;
}

/* "CCYYMMDD|YYMMDD" or "102|203|204" into f->date_fmts / date_codes; -1 when bad. */
static int parse_date_formats(struct mfield *f, const char *arg)
{
	f->date_fmts = 0;
	f->date_codes = 0;
	if (!arg)
		return -1;
	struct span part[5];
	size_t n = split_outside(arg, '|', part, 4);
	if (n > 4)
		return -1;
	int names = 0, codes = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned bit = 0;
		for (size_t j = 0; j < sizeof date_formats / sizeof date_formats[0] && !bit; j++) {
			if (span_eq(part[k], date_formats[j].name)) {
				bit = date_formats[j].bit;
				names = 1;
			} else if (span_eq(part[k], date_formats[j].code)) {
				bit = date_formats[j].bit;
				codes = 1;
			}
		}
		if (!bit || (f->date_fmts & bit))
			return -1;
		f->date_fmts |= bit;
	}
	if (names && codes)
		return -1;
	f->date_codes = codes;
	return 0;
}

/* Parse "count(PATH)" / "sum(PATH)". */
static int parse_check(struct mfield *f, const char *s, const char **why)
{
	size_t n = strlen(s);
	const char *arg;
	if (strncmp(s, "count(", 6) == 0) {
		f->check = CHECK_COUNT;
		arg = s + 6;
	} else if (strncmp(s, "sum(", 4) == 0) {
		f->check = CHECK_SUM;
		arg = s + 4;
	} else {
		*why = "check is written check count(PATH) or check sum(PATH)";
		return -1;
	}
	if (n < 2 || s[n - 1] != ')') {
		*why = "missing ')' after the check's path";
		return -1;
	}
	char *p = span_dup((struct span){ arg, (size_t)(s + n - 1 - arg) });
	int rc = canon_path_parse(&f->chk, p, why);
	free(p);
	if (rc == 0 && f->check == CHECK_COUNT && f->chk.attr) {
		*why = "count() counts elements, not an attribute";
		canon_path_clear(&f->chk);
		return -1;
	}
	return rc == 0 ? 0 : -1;
}

/* Parse the options of a field from token i on; errors to d. Returns 0 when all good. */
static int parse_options(struct mfield *f, const struct canon_line *l, size_t i, const char *file,
			 struct diag_list *d)
{
	int bad = 0;
	int nfmt = 0;
	for (; i < l->ntok; i++) {
		const char *o = l->tok[i].s;
		const char *arg = i + 1 < l->ntok ? l->tok[i + 1].s : NULL;
		if (l->tok[i].quoted) {
			diag_error(d, file, l->lineno, "unexpected quoted text \"%s\" (options are words)", o);
			bad = 1;
		} else if (strcmp(o, "required") == 0) {
			f->required = 1;
		} else if (strcmp(o, "default") == 0) {
			if (!arg) {
				diag_error(d, file, l->lineno, "'default' needs a value");
				bad = 1;
				break;
			}
			i++;
			free(f->def);
			f->def = NULL;
			f->def_index = 0;
			if (!l->tok[i].quoted && strcmp(arg, "$index") == 0)
				f->def_index = 1;
			else
				f->def = xstrdup(arg);
		} else if (strcmp(o, "code") == 0) {
			if (!arg || !word_ok(arg, 64)) {
				diag_error(d, file, l->lineno, "'code' needs a table name");
				bad = 1;
				break;
			}
			i++;
			free(f->table_name);
			f->table_name = xstrdup(arg);
		} else if (strcmp(o, "xref") == 0) {
			if (!arg || !word_ok(arg, 64)) {
				diag_error(d, file, l->lineno, "'xref' needs a cross-reference name");
				bad = 1;
				break;
			}
			i++;
			free(f->xref_name);
			f->xref_name = xstrdup(arg);
		} else if (strcmp(o, "date") == 0) {
			nfmt++;
			f->fmt = FMT_DATE;
			f->date_fmts = 0;
			if (parse_date_formats(f, arg) != 0) {
				diag_error(d, file, l->lineno,
					   "'date' needs a format: CCYYMMDD, YYMMDD or CCYYMMDD|YYMMDD (also "
					   "CCYYMMDDHHMM, CCYYMMDDHHMMSS, or the EDIFACT codes 101 102 203 "
					   "204, not mixed with names)");
				bad = 1;
				if (!arg)
					break;
			}
			i++;
		} else if (strcmp(o, "time") == 0) {
			nfmt++;
			f->fmt = FMT_TIME;
		} else if (strcmp(o, "number") == 0) {
			nfmt++;
			f->fmt = FMT_NUMBER;
			f->implied = 0;
			if (arg && arg[0] == 'N' && !l->tok[i + 1].quoted) {
				if (arg[1] >= '0' && arg[1] <= '9' && arg[2] == '\0') {
					f->implied = arg[1] - '0';
					i++;
				} else {
					diag_error(d, file, l->lineno,
						   "'number' takes N0..N9 (implied decimal places), not '%s'", arg);
					bad = 1;
					i++;
				}
			}
		} else if (strcmp(o, "decimal") == 0) {
			nfmt++;
			f->fmt = FMT_DECIMAL;
		} else if (strcmp(o, "raw") == 0) {
			f->trim = TRIM_RAW;
		} else if (strcmp(o, "squeeze") == 0) {
			f->trim = TRIM_SQUEEZE;
		} else if (strcmp(o, "check") == 0) {
			const char *why = NULL;
			if (!arg) {
				diag_error(d, file, l->lineno, "'check' needs count(PATH) or sum(PATH)");
				bad = 1;
				break;
			}
			i++;
			canon_path_clear(&f->chk);
			if (parse_check(f, arg, &why) != 0) {
				diag_error(d, file, l->lineno, "bad check '%s': %s", arg, why);
				bad = 1;
			}
		} else if (strcmp(o, "max") == 0) {
			uint64_t v;
			if (!arg || str_to_u64(arg, &v) != 0 || v < 1 || v > MAP_MAX_LIST) {
				diag_error(d, file, l->lineno, "'max' needs a number from 1 to %d",
					   MAP_MAX_LIST);
				bad = 1;
				if (!arg)
					break;
			} else {
				f->max = (size_t)v;
			}
			i++;
		} else {
			diag_error(d, file, l->lineno,
				   "unknown option '%s' (expected required, default, code, xref, date, time, "
				   "number, decimal, raw, squeeze, check or max)", o);
			bad = 1;
		}
	}
	if (nfmt > 1) {
		diag_error(d, file, l->lineno,
			   "more than one of date, time, number, decimal: a field has one format");
		bad = 1;
	}
	if (f->table_name && f->fmt != FMT_NONE) {
		diag_error(d, file, l->lineno, "'code' and a date/time/number format exclude each other");
		bad = 1;
	}
	if (f->xref_name && (f->table_name || f->fmt != FMT_NONE)) {
		diag_error(d, file, l->lineno, "'xref' excludes 'code' and a date/time/number format (the value "
			   "the cross-reference gives is used as it is)");
		bad = 1;
	}
	if (f->required && (f->def || f->def_index)) {
		diag_error(d, file, l->lineno,
			   "'required' and 'default' exclude each other (a default is used when the "
			   "value is missing)");
		bad = 1;
	}
	if (f->check && f->fmt != FMT_NUMBER && f->fmt != FMT_DECIMAL) {
		if (f->fmt == FMT_NONE)
			f->fmt = FMT_DECIMAL; /* a checked total is a number */
		else {
			diag_error(d, file, l->lineno, "'check' needs a number or decimal field");
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* Parse a field line (target + source + options). Returns NULL on errors (reported). */
static struct mfield *parse_field(const struct canon_line *l, const char *file, struct diag_list *d)
{
	struct mfield *f = xcalloc(1, sizeof *f);
	f->file = file;
	f->line = l->lineno;
	f->table = -1;
	f->xref = -1;
	f->loop_scope = -1;
	const char *t = l->tok[0].s;
	int bad = 0;
	const char *why = NULL;
	if (l->tok[0].quoted) {
		diag_error(d, file, l->lineno, "a line starts with a canonical field name, not quoted text");
		goto fail;
	}
	if (t[0] == '.' && t[1] == '/')
		t += 2;
	f->target = xstrdup(t);
	if (canon_path_parse(&f->tpath, t, &why) != 0) {
		diag_error(d, file, l->lineno, "bad canonical field '%s': %s", l->tok[0].s, why);
		bad = 1;
	} else if (f->tpath.up) {
		diag_error(d, file, l->lineno, "bad canonical field '%s': a map writes below its block, "
			   "'../' is for ERP profiles reading a parent's field", l->tok[0].s);
		bad = 1;
	}
	if (l->ntok < 2) {
		diag_error(d, file, l->lineno,
			   "field %s says nowhere where its value comes from (a path, \"text\", "
			   "each, pair, default or '-')", l->tok[0].s);
		goto fail;
	}
	size_t i = 1;
	const struct canon_tok *s = &l->tok[1];
	if (s->quoted) {
		f->src = SRC_LITERAL;
		f->literal = xstrdup(s->s);
		i = 2;
	} else if (strcmp(s->s, "-") == 0) {
		f->drop = 1;
		if (l->ntok > 2) {
			diag_error(d, file, l->lineno, "'-' (drop the field) takes nothing after it");
			bad = 1;
		}
		i = l->ntok;
	} else if (strcmp(s->s, "$index") == 0) {
		f->src = SRC_INDEX;
		i = 2;
	} else if (strcmp(s->s, "each") == 0) {
		f->src = SRC_EACH;
		f->max = MAP_MAX_LIST;
		if (l->ntok < 3) {
			diag_error(d, file, l->lineno, "'each' needs a loop or segment (each PO1)");
			goto fail;
		}
		f->alts = xcalloc(1, sizeof *f->alts);
		f->nalts = 1;
		struct mpath *p = &f->alts[0];
		const char *es = strcmp(l->tok[2].s, "row") == 0 ? "ROW" : l->tok[2].s;
		if (strcmp(es, "group") == 0 && !l->tok[2].quoted) {
			/* each group KEY: the key is a column (@po, C3) or a fixed-width field
			 * (D:3-12) of the rows grouped; compile checks it fits the map */
			f->group = 1;
			if (l->ntok < 4 || is_option(&l->tok[3])) {
				diag_error(d, file, l->lineno, "'each group' needs the column whose value makes "
					   "the groups (each group @po_number, each group C3; in a fixed-width "
					   "map each group D:3-12)");
				goto fail;
			}
			const char *ks = l->tok[3].s;
			why = NULL;
			if (strncmp(ks, "xpath(", 6) == 0 || ks[0] == '/' || strchr(ks, '|') ||
			    (why = parse_path(p, ks)) != NULL || p->nsteps != 1 || p->steps[0].nconds) {
				diag_error(d, file, l->lineno, "bad key '%s' after each group: %s", ks,
					   why ? why : "a group's key is one column (@po_number, C3) or one "
					   "fixed-width field (D:3-12), without conditions or alternatives");
				bad = 1;
			} else if (p->comp) {
				diag_error(d, file, l->lineno, "bad key '%s' after each group: a group's key is "
					   "one column (@po_number, C3) or fixed-width field (D:3-12)", ks);
				bad = 1;
			}
			f->block = xcalloc(1, sizeof *f->block);
			i = 4;
		} else if (strncmp(es, "xpath(", 6) == 0) {
			/* an XML node set: no segment step */
			if ((why = parse_path(p, es)) != NULL) {
				diag_error(d, file, l->lineno, "bad path '%s' after each: %s", es, why);
				bad = 1;
			}
		} else {
			p->text = xstrdup(l->tok[2].s);
			p->steps = xcalloc(1, sizeof *p->steps);
			p->nsteps = 1;
			if (strchr(es, '/') || (why = parse_step(&p->steps[0], es, strlen(es))) != NULL) {
				diag_error(d, file, l->lineno, "bad path '%s' after each: %s", l->tok[2].s,
					   why ? why : "each takes one loop or segment, with conditions");
				bad = 1;
			}
		}
		if (!f->group) {
			f->block = xcalloc(1, sizeof *f->block);
			i = 3;
		}
	} else if (strcmp(s->s, "pair") == 0) {
		f->src = SRC_PAIR;
		if (l->ntok < 4) {
			diag_error(d, file, l->lineno,
				   "'pair' needs the first qualifier element and the qualifier(s): "
				   "pair PO106 BP");
			goto fail;
		}
		f->alts = xcalloc(1, sizeof *f->alts);
		f->nalts = 1;
		if ((why = parse_path(&f->alts[0], l->tok[2].s)) != NULL) {
			diag_error(d, file, l->lineno, "bad path '%s' after pair: %s", l->tok[2].s, why);
			bad = 1;
		} else if (f->alts[0].comp) {
			diag_error(d, file, l->lineno, "pair reads whole elements, not components");
			bad = 1;
		}
		struct span q[33];
		size_t nq = split_outside(l->tok[3].s, '|', q, 32);
		if (nq > 32) {
			diag_error(d, file, l->lineno, "too many qualifiers after pair (at most 32)");
			bad = 1;
			nq = 0;
		}
		for (size_t k = 0; k < nq; k++) {
			if (q[k].n == 0) {
				diag_error(d, file, l->lineno, "empty qualifier in '%s'", l->tok[3].s);
				bad = 1;
				break;
			}
			f->quals = xrealloc(f->quals, (f->nquals + 1) * sizeof *f->quals);
			f->quals[f->nquals++] = span_dup(q[k]);
		}
		i = 4;
	} else if (is_option(s)) {
		f->src = SRC_NONE;
		i = 1;
	} else {
		f->src = SRC_PATH;
		if ((why = parse_alts(f, s->s)) != NULL) {
			diag_error(d, file, l->lineno, "bad path '%s': %s", s->s, why);
			bad = 1;
		}
		i = 2;
	}
	if (parse_options(f, l, i, file, d) != 0)
		bad = 1;
	if (bad)
		goto fail;
	if (f->drop)
		return f;
	if ((f->src == SRC_LITERAL || f->src == SRC_INDEX) &&
	    (f->required || f->def || f->def_index || f->table_name || f->xref_name || f->fmt || f->check)) {
		diag_error(d, file, l->lineno, "a constant (\"text\" or $index) takes no options");
		goto fail;
	}
	if (f->src == SRC_NONE && !f->def && !f->def_index) {
		diag_error(d, file, l->lineno,
			   "field %s has options but no source: give a path, \"text\" or a default",
			   f->target);
		goto fail;
	}
	if (f->src == SRC_EACH) {
		if (f->def || f->def_index || f->table_name || f->xref_name || f->fmt || f->check ||
		    f->trim != TRIM_BOTH) {
			diag_error(d, file, l->lineno, "an each line takes only 'required' and 'max N'");
			goto fail;
		}
		if (f->tpath.attr || f->tpath.nsteps == 0) {
			diag_error(d, file, l->lineno,
				   "each makes list elements: '%s' must name an element (lines/line)",
				   f->target);
			goto fail;
		}
	} else if (f->max && !f->drop) {
		diag_error(d, file, l->lineno, "'max' is for each lines");
		goto fail;
	}
	return f;
fail:
	map_field_free(f);
	return NULL;
}

/* ---------------------------------------------------------- directives */

static const char *const directive_words[] = {
	"map", "source", "target", "key", "extends", "loop", "table", "group-by", "record", "namespace",
	"xref", NULL,
};

/* The word is a header keyword. */
static int is_directive(const char *s)
{
	for (size_t i = 0; directive_words[i]; i++)
		if (strcmp(s, directive_words[i]) == 0)
			return 1;
	return 0;
}

/* "loop NAME = SEG SEG ..." */
static void parse_loop(struct mfile *mf, const struct canon_line *l, struct diag_list *d)
{
	const char *file = mf->path;
	if (l->ntok < 4 || strcmp(l->tok[2].s, "=") != 0) {
		diag_error(d, file, l->lineno, "write 'loop NAME = FIRST-SEGMENT OTHER-SEGMENTS...'");
		return;
	}
	const char *name = l->tok[1].s;
	if (!word_ok(name, 7) || strchr(name, '.')) {
		diag_error(d, file, l->lineno,
			   "bad loop name '%s' (1 to 7 letters, digits, '-' or '_')", name);
		return;
	}
	for (size_t i = 0; i < mf->nloops; i++)
		if (strcmp(mf->loops[i].name, name) == 0) {
			diag_error(d, file, l->lineno, "loop %s is defined twice (first at line %zu)",
				   name, mf->loops[i].line);
			return;
		}
	if (mf->nloops == MAP_MAX_LOOPS) {
		diag_error(d, file, l->lineno, "too many loops (at most %d)", MAP_MAX_LOOPS);
		return;
	}
	struct mloop lp = { 0 };
	lp.name = xstrdup(name);
	lp.file = file;
	lp.line = l->lineno;
	int bad = 0;
	for (size_t i = 3; i < l->ntok; i++) {
		const char *s = l->tok[i].s;
		if (!word_ok(s, 7) || strchr(s, '.')) {
			diag_error(d, file, l->lineno, "bad member '%s' of loop %s", s, name);
			bad = 1;
			continue;
		}
		for (size_t k = 0; k < lp.nmembers; k++)
			if (strcmp(lp.members[k], s) == 0) {
				diag_error(d, file, l->lineno, "%s is listed twice in loop %s", s, name);
				bad = 1;
			}
		lp.members = xrealloc(lp.members, (lp.nmembers + 1) * sizeof *lp.members);
		lp.members[lp.nmembers++] = xstrdup(s);
	}
	if (!map_rec_pack(lp.members[0], strlen(lp.members[0]))) {
		diag_error(d, file, l->lineno,
			   "loop %s must start with a segment id, not '%s'", name, lp.members[0]);
		bad = 1;
	}
	if (bad) {
		loop_free(&lp);
		return;
	}
	mf->loops = xrealloc(mf->loops, (mf->nloops + 1) * sizeof *mf->loops);
	mf->loops[mf->nloops++] = lp;
}

/* Characters of UTF-8 text (the map is checked UTF-8). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* "record NAME [at COL \"TEXT\"] [length N[-M]]" */
static void parse_record(struct mfile *mf, const struct canon_line *l, struct diag_list *d)
{
	const char *file = mf->path;
	static const char form[] = "write 'record NAME at COLUMN \"TEXT\" [length N]' (record D at 1 \"D\"), "
				   "or 'record NAME' for every other line";
	if (l->ntok < 2) {
		diag_error(d, file, l->lineno, "%s", form);
		return;
	}
	const char *name = l->tok[1].s;
	size_t nn = strlen(name);
	if (l->tok[1].quoted || !map_rec_pack(name, nn)) {
		diag_error(d, file, l->lineno, "bad record type '%s' (1 to 3 capital letters or digits, "
			   "starting with a letter: H, D, HDR)", name);
		return;
	}
	for (size_t i = 0; i < mf->nrecs; i++)
		if (strcmp(mf->recs[i].name, name) == 0) {
			diag_error(d, file, l->lineno, "record %s is declared twice (first at line %zu)", name,
				   mf->recs[i].line);
			return;
		}
	if (mf->nrecs == MAP_MAX_RECORDS) {
		diag_error(d, file, l->lineno, "too many record types (at most %d)", MAP_MAX_RECORDS);
		return;
	}
	struct mrec r;
	memset(&r, 0, sizeof r);
	memcpy(r.name, name, nn + 1);
	r.seg = map_rec_pack(name, nn);
	r.file = file;
	r.line = l->lineno;
	size_t i = 2;
	if (i < l->ntok && !l->tok[i].quoted && strcmp(l->tok[i].s, "at") == 0) {
		if (i + 2 >= l->ntok || l->tok[i + 1].quoted ||
		    fx_num(l->tok[i + 1].s, strlen(l->tok[i + 1].s), &r.at) != 0 || !l->tok[i + 2].quoted ||
		    l->tok[i + 2].s[0] == '\0') {
			diag_error(d, file, l->lineno, "%s; the column is 1 to %d and the text is quoted and "
				   "not empty", form, MAP_FIXED_MAX_COL);
			return;
		}
		r.lit = xstrdup(l->tok[i + 2].s);
		r.litchars = utf8_chars(r.lit);
		i += 3;
	}
	if (i < l->ntok && !l->tok[i].quoted && strcmp(l->tok[i].s, "length") == 0 && i + 1 < l->ntok) {
		const char *v = l->tok[i + 1].s;
		const char *dash = strchr(v, '-');
		size_t a, b;
		int bad = dash ? fx_num(v, (size_t)(dash - v), &a) != 0 || fx_num(dash + 1, strlen(dash + 1), &b) != 0 || b < a
			       : fx_num(v, strlen(v), &a) != 0;
		if (bad || l->tok[i + 1].quoted) {
			diag_error(d, file, l->lineno, "'length' takes N or MIN-MAX characters (length 80, "
				   "length 60-80)");
			free(r.lit);
			return;
		}
		r.minlen = a;
		r.maxlen = dash ? b : a;
		i += 2;
	}
	if (i < l->ntok) {
		diag_error(d, file, l->lineno, "unexpected '%s': %s", l->tok[i].s, form);
		free(r.lit);
		return;
	}
	if (r.at && r.minlen && r.at + r.litchars - 1 > r.maxlen) {
		diag_error(d, file, l->lineno, "record %s: its text ends after column %zu, the most its "
			   "length allows", name, r.maxlen);
		free(r.lit);
		return;
	}
	mf->recs = xrealloc(mf->recs, (mf->nrecs + 1) * sizeof *mf->recs);
	mf->recs[mf->nrecs++] = r;
}

/* "namespace PREFIX URI" (an XML map's prefixes for its XPath expressions). */
static void parse_namespace(struct mfile *mf, const struct canon_line *l, struct diag_list *d)
{
	const char *file = mf->path;
	if (l->ntok != 3) {
		diag_error(d, file, l->lineno, "write 'namespace PREFIX URI' (namespace sc urn:acme:shipconfirm)");
		return;
	}
	const char *pfx = l->tok[1].s, *uri = l->tok[2].s;
	int ok = (pfx[0] >= 'a' && pfx[0] <= 'z') || (pfx[0] >= 'A' && pfx[0] <= 'Z') || pfx[0] == '_';
	for (size_t i = 0; ok && pfx[i]; i++)
		ok = (pfx[i] >= 'a' && pfx[i] <= 'z') || (pfx[i] >= 'A' && pfx[i] <= 'Z') ||
		     (pfx[i] >= '0' && pfx[i] <= '9') || pfx[i] == '_' || pfx[i] == '-' || pfx[i] == '.';
	if (!ok || strlen(pfx) > 64 || strncmp(pfx, "xml", 3) == 0) {
		diag_error(d, file, l->lineno, "bad namespace prefix '%s' (a letter or '_', then letters, digits, "
			   "'-', '_', '.'; not starting with xml)", pfx);
		return;
	}
	if (uri[0] == '\0') {
		diag_error(d, file, l->lineno, "namespace %s needs a URI", pfx);
		return;
	}
	for (size_t i = 0; i < mf->nns; i++)
		if (strcmp(mf->ns_prefix[i], pfx) == 0) {
			diag_error(d, file, l->lineno, "namespace %s is declared twice (first at line %zu)", pfx,
				   mf->ns_line[i]);
			return;
		}
	if (mf->nns == MAP_MAX_NAMESPACES) {
		diag_error(d, file, l->lineno, "too many namespaces (at most %d)", MAP_MAX_NAMESPACES);
		return;
	}
	size_t n = mf->nns + 1;
	mf->ns_prefix = xrealloc(mf->ns_prefix, n * sizeof *mf->ns_prefix);
	mf->ns_uri = xrealloc(mf->ns_uri, n * sizeof *mf->ns_uri);
	mf->ns_line = xrealloc(mf->ns_line, n * sizeof *mf->ns_line);
	mf->ns_prefix[n - 1] = xstrdup(pfx);
	mf->ns_uri[n - 1] = xstrdup(uri);
	mf->ns_line[n - 1] = l->lineno;
	mf->nns = n;
}

/* "xref NAME FILE FROM TO [else VALUE | else *]" (the file is read by compile). */
static void parse_xref(struct mfile *mf, const struct canon_line *l, struct diag_list *d)
{
	const char *file = mf->path;
	if (!(l->ntok == 5 || (l->ntok == 7 && !l->tok[5].quoted && strcmp(l->tok[5].s, "else") == 0))) {
		diag_error(d, file, l->lineno, "write 'xref NAME FILE FROM-COLUMN TO-COLUMN [else VALUE | else *]' "
			   "(xref sku skus.csv partner_sku our_sku)");
		return;
	}
	const char *name = l->tok[1].s;
	if (!word_ok(name, 64) || l->tok[1].quoted) {
		diag_error(d, file, l->lineno, "bad cross-reference name '%s'", name);
		return;
	}
	for (size_t i = 0; i < mf->nxrefs; i++)
		if (strcmp(mf->xrefs[i].name, name) == 0) {
			diag_error(d, file, l->lineno, "xref %s is declared twice (first at line %zu)", name,
				   mf->xrefs[i].line);
			return;
		}
	if (mf->nxrefs == MAP_MAX_XREFS) {
		diag_error(d, file, l->lineno, "too many cross-references (at most %d)", MAP_MAX_XREFS);
		return;
	}
	if (!l->tok[2].s[0] || !l->tok[3].s[0] || !l->tok[4].s[0]) {
		diag_error(d, file, l->lineno, "xref %s: the file and both columns must be named", name);
		return;
	}
	struct mxref x;
	memset(&x, 0, sizeof x);
	x.name = xstrdup(name);
	x.path = path_relative_to(file, l->tok[2].s);
	x.shown = xstrdup(l->tok[2].s);
	x.from = xstrdup(l->tok[3].s);
	x.to = xstrdup(l->tok[4].s);
	x.file = file;
	x.line = l->lineno;
	if (l->ntok == 7) {
		if (!l->tok[6].quoted && strcmp(l->tok[6].s, "*") == 0)
			x.else_pass = 1;
		else
			x.else_value = xstrdup(l->tok[6].s);
	}
	mf->xrefs = xrealloc(mf->xrefs, (mf->nxrefs + 1) * sizeof *mf->xrefs);
	mf->xrefs[mf->nxrefs++] = x;
}

/* "table NAME CODE=VALUE ..." (several lines with the same name add up). */
static void parse_table(struct mfile *mf, const struct canon_line *l, struct diag_list *d)
{
	const char *file = mf->path;
	if (l->ntok < 3) {
		diag_error(d, file, l->lineno, "write 'table NAME CODE=VALUE CODE=VALUE ...'");
		return;
	}
	const char *name = l->tok[1].s;
	if (!word_ok(name, 64)) {
		diag_error(d, file, l->lineno, "bad table name '%s'", name);
		return;
	}
	struct mtable *t = NULL;
	for (size_t i = 0; i < mf->ntables; i++)
		if (strcmp(mf->tables[i].name, name) == 0)
			t = &mf->tables[i];
	if (!t) {
		if (mf->ntables == MAP_MAX_TABLES) {
			diag_error(d, file, l->lineno, "too many tables (at most %d)", MAP_MAX_TABLES);
			return;
		}
		mf->tables = xrealloc(mf->tables, (mf->ntables + 1) * sizeof *mf->tables);
		t = &mf->tables[mf->ntables++];
		memset(t, 0, sizeof *t);
		t->name = xstrdup(name);
		t->file = file;
		t->line = l->lineno;
	}
	for (size_t i = 2; i < l->ntok; i++) {
		const char *s = l->tok[i].s;
		const char *eq = strchr(s, '=');
		if (!eq || eq == s || eq[1] == '\0') {
			diag_error(d, file, l->lineno,
				   "bad table entry '%s' (write CODE=VALUE; *=VALUE for any other code)", s);
			continue;
		}
		char *code = span_dup((struct span){ s, (size_t)(eq - s) });
		if (strcmp(code, "*") == 0) {
			if (t->star || t->star_pass) {
				diag_error(d, file, l->lineno, "table %s has two '*' entries", name);
			} else if (strcmp(eq + 1, "*") == 0) {
				t->star_pass = 1;
				t->star_line = l->lineno;
			} else {
				t->star = xstrdup(eq + 1);
				t->star_line = l->lineno;
			}
			free(code);
			continue;
		}
		int dup = 0;
		for (size_t k = 0; k < t->n; k++)
			if (strcmp(t->v[k].code, code) == 0) {
				diag_error(d, file, l->lineno, "code %s appears twice in table %s (first at line %zu)",
					   code, name, t->v[k].line);
				dup = 1;
			}
		if (dup || t->n == MAP_MAX_TABLE_ENTRIES) {
			if (!dup)
				diag_error(d, file, l->lineno, "table %s has too many entries (at most %d)",
					   name, MAP_MAX_TABLE_ENTRIES);
			free(code);
			continue;
		}
		t->v = xrealloc(t->v, (t->n + 1) * sizeof *t->v);
		t->v[t->n].code = code;
		t->v[t->n].value = xstrdup(eq + 1);
		t->v[t->n].file = file;
		t->v[t->n].line = l->lineno;
		t->n++;
	}
}

/* One-argument directive value into *slot (replacing). */
static int directive_arg(const struct canon_line *l, const char *file, struct diag_list *d,
			 size_t nargs)
{
	if (l->ntok != nargs + 1) {
		diag_error(d, file, l->lineno, "'%s' takes %zu value%s", l->tok[0].s, nargs,
			   nargs == 1 ? "" : "s");
		return 0;
	}
	return 1;
}

/* Find a field with target t in block b. */
static size_t block_find(const struct mblock *b, const char *t)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i]->target, t) == 0)
			return i;
	return SIZE_MAX;
}

/* Parse one file into mf. Errors go to d. */
static void parse_file(struct mfile *mf, const struct canon_line *lines, size_t nlines,
		       struct diag_list *d)
{
	const char *file = mf->path;
	struct {
		struct mblock *b;
		size_t indent;
	} stack[MAP_MAX_DEPTH + 2];
	size_t depth = 0;
	stack[0].b = &mf->root;
	stack[0].indent = 0;
	struct mfield *last = NULL; /* last field added (an each may open a block) */
	int skip_indent = 0;        /* children of a line that failed: skipped quietly */
	size_t skip_from = 0;
	for (size_t li = 0; li < nlines; li++) {
		const struct canon_line *l = &lines[li];
		if (skip_indent) {
			if (l->indent > skip_from)
				continue;
			skip_indent = 0;
		}
		if (l->indent == 0 && !l->tok[0].quoted && is_directive(l->tok[0].s)) {
			depth = 0;
			last = NULL;
			const char *k = l->tok[0].s;
			if (strcmp(k, "map") == 0) {
				if (directive_arg(l, file, d, 1)) {
					free(mf->name);
					mf->name = xstrdup(l->tok[1].s);
				}
			} else if (strcmp(k, "source") == 0) {
				if (l->ntok == 3) {
					free(mf->std);
					free(mf->type);
					mf->std = xstrdup(l->tok[1].s);
					mf->type = xstrdup(l->tok[2].s);
					mf->source_line = l->lineno;
					mf->source_file = file;
				} else {
					diag_error(d, file, l->lineno,
						   "write 'source STANDARD DOCUMENT' (source x12 850)");
				}
			} else if (strcmp(k, "target") == 0) {
				if (directive_arg(l, file, d, 1)) {
					free(mf->kind);
					mf->kind = xstrdup(l->tok[1].s);
					mf->target_line = l->lineno;
					mf->target_file = file;
				}
			} else if (strcmp(k, "key") == 0) {
				if (directive_arg(l, file, d, 1)) {
					free(mf->key);
					mf->key = xstrdup(l->tok[1].s);
					mf->key_line = l->lineno;
					mf->key_file = file;
				}
			} else if (strcmp(k, "group-by") == 0) {
				if (directive_arg(l, file, d, 1)) {
					free(mf->group_by);
					mf->group_by = xstrdup(l->tok[1].s);
					mf->group_by_line = l->lineno;
					mf->group_by_file = file;
				}
			} else if (strcmp(k, "extends") == 0) {
				if (mf->extends)
					diag_error(d, file, l->lineno, "a map extends one map (first at line %zu)",
						   mf->extends_line);
				else if (directive_arg(l, file, d, 1)) {
					mf->extends = xstrdup(l->tok[1].s);
					mf->extends_line = l->lineno;
				}
			} else if (strcmp(k, "loop") == 0) {
				parse_loop(mf, l, d);
			} else if (strcmp(k, "table") == 0) {
				parse_table(mf, l, d);
			} else if (strcmp(k, "record") == 0) {
				parse_record(mf, l, d);
			} else if (strcmp(k, "namespace") == 0) {
				parse_namespace(mf, l, d);
			} else if (strcmp(k, "xref") == 0) {
				parse_xref(mf, l, d);
			}
			continue;
		}
		/* a field line: find its block from the indentation */
		if (l->indent > stack[depth].indent) {
			if (last && last->src == SRC_EACH && last->block->n == 0 &&
			    stack[depth].b->n && stack[depth].b->v[stack[depth].b->n - 1] == last) {
				if (depth + 1 > MAP_MAX_DEPTH) {
					diag_error(d, file, last->line,
						   "each blocks nested too deep (at most %d)", MAP_MAX_DEPTH);
					/* drop the each and its block, quietly */
					stack[depth].b->n--;
					map_field_free(last);
					last = NULL;
					skip_indent = 1;
					skip_from = stack[depth].indent;
					continue;
				}
				depth++;
				stack[depth].b = last->block;
				stack[depth].indent = l->indent;
			} else {
				diag_error(d, file, l->lineno,
					   "bad indentation: only the lines under an 'each' line are indented");
				skip_indent = 1;
				skip_from = stack[depth].indent;
				continue;
			}
		} else if (l->indent < stack[depth].indent) {
			while (depth > 0 && l->indent < stack[depth].indent)
				depth--;
			if (l->indent != stack[depth].indent) {
				diag_error(d, file, l->lineno,
					   "bad indentation: %zu spaces match no enclosing block (%zu expected)",
					   l->indent, stack[depth].indent);
				continue;
			}
		}
		struct mfield *f = parse_field(l, file, d);
		if (!f) {
			skip_indent = 1;
			skip_from = l->indent;
			last = NULL;
			continue;
		}
		struct mblock *b = stack[depth].b;
		size_t dup = block_find(b, f->target);
		if (dup != SIZE_MAX) {
			diag_error(d, file, l->lineno, "duplicate target %s (first at line %zu)", f->target,
				   b->v[dup]->line);
			map_field_free(f);
			skip_indent = 1;
			skip_from = l->indent;
			last = NULL;
			continue;
		}
		block_add(b, f);
		last = f;
	}
}

/* ------------------------------------------------------------- extends */

/* Parse file path (and what it extends) into the chain; chain[0] is the file given. */
static int load_chain(struct map *m, const char *path, struct mfile **chain, size_t *nchain,
		      char **real, struct diag_list *d, const char *from_file, size_t from_line)
{
	size_t k = *nchain;
	char *rp = realpath(path, NULL);
	if (!rp) {
		int e = errno;
		if (from_file)
			diag_error(d, from_file, from_line, "cannot read the map it extends, %s: %s", path,
				   strerror(e));
		else
			diag_error(d, path, 0, "cannot read: %s", strerror(e));
		return -EINVAL;
	}
	for (size_t i = 0; i < k; i++)
		if (strcmp(real[i], rp) == 0) {
			struct buf b;
			buf_init(&b, 0);
			for (size_t j = i; j < k; j++)
				buf_printf(&b, "%s -> ", chain[j]->path);
			buf_puts(&b, path);
			diag_error(d, from_file, from_line, "extends cycle: %s", b.data);
			buf_free(&b);
			free(rp);
			return -EINVAL;
		}
	if (k > MAP_MAX_EXTENDS) {
		diag_error(d, from_file, from_line,
			   "extends chain too deep: %s would be level %zu (at most %d maps extended)",
			   path, k, MAP_MAX_EXTENDS);
		free(rp);
		return -EINVAL;
	}
	m->files = xrealloc(m->files, (m->nfiles + 1) * sizeof *m->files);
	m->files[m->nfiles] = xstrdup(path);
	const char *fname = m->files[m->nfiles++];
	struct canon_line *lines = NULL;
	size_t nlines = 0;
	canon_lex_file(&lines, &nlines, fname, d);
	struct mfile *mf = xcalloc(1, sizeof *mf);
	mf->path = fname;
	parse_file(mf, lines, nlines, d);
	canon_lex_free(lines, nlines);
	chain[k] = mf;
	real[k] = rp;
	*nchain = k + 1;
	if (mf->extends) {
		char *bp = path_relative_to(fname, mf->extends);
		int rc = load_chain(m, bp, chain, nchain, real, d, fname, mf->extends_line);
		free(bp);
		return rc;
	}
	return 0;
}

/* Drop lines of an overlay block that have nothing to drop (warned). */
static void strip_drops(struct mblock *b, struct diag_list *d)
{
	size_t o = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct mfield *f = b->v[i];
		if (f->drop) {
			diag_warn(d, f->file, f->line, "%s: nothing to drop (the base map has no such field)",
				  f->target);
			map_field_free(f);
			continue;
		}
		if (f->block)
			strip_drops(f->block, d);
		b->v[o++] = f;
	}
	b->n = o;
}

/* Merge overlay block ob into base block bb (ob's fields are moved or freed). */
static void merge_block(struct mblock *bb, struct mblock *ob, struct diag_list *d)
{
	for (size_t i = 0; i < ob->n; i++) {
		struct mfield *o = ob->v[i];
		size_t at = block_find(bb, o->target);
		if (o->drop) {
			if (at == SIZE_MAX) {
				diag_warn(d, o->file, o->line,
					  "%s: nothing to drop (the base map has no such field)", o->target);
			} else {
				map_field_free(bb->v[at]);
				memmove(&bb->v[at], &bb->v[at + 1], (bb->n - at - 1) * sizeof *bb->v);
				bb->n--;
			}
			map_field_free(o);
			continue;
		}
		if (at == SIZE_MAX) {
			if (o->block)
				strip_drops(o->block, d);
			block_add(bb, o);
			continue;
		}
		struct mfield *b = bb->v[at];
		if (o->src == SRC_EACH && b->src == SRC_EACH) {
			/* the overlay's each line replaces the base's; the blocks merge */
			merge_block(b->block, o->block, d);
			struct mblock *keep = b->block;
			b->block = o->block;
			o->block = keep;
		} else if (o->block) {
			strip_drops(o->block, d);
		}
		map_field_free(b);
		bb->v[at] = o;
	}
	ob->n = 0;
}

/* Merge overlay file o into base file b. */
static void merge_file(struct mfile *b, struct mfile *o, struct diag_list *d)
{
	if (o->name) {
		free(b->name);
		b->name = o->name;
		o->name = NULL;
	}
	if (o->std) {
		if (!b->std) {
			b->std = o->std;
			b->type = o->type;
			o->std = o->type = NULL;
			b->source_file = o->source_file;
			b->source_line = o->source_line;
		} else if (strcmp(o->std, b->std) != 0 || strcmp(o->type, b->type) != 0) {
			diag_error(d, o->path, o->source_line,
				   "source %s %s differs from the map it extends (source %s %s)", o->std,
				   o->type, b->std, b->type);
		}
	}
	if (o->kind) {
		if (!b->kind) {
			b->kind = o->kind;
			o->kind = NULL;
			b->target_file = o->target_file;
			b->target_line = o->target_line;
		} else if (strcmp(o->kind, b->kind) != 0) {
			diag_error(d, o->path, o->target_line,
				   "target %s differs from the map it extends (target %s)", o->kind, b->kind);
		}
	}
	if (o->key) {
		free(b->key);
		b->key = o->key;
		o->key = NULL;
		b->key_file = o->key_file;
		b->key_line = o->key_line;
	}
	if (o->group_by) {
		free(b->group_by);
		b->group_by = o->group_by;
		o->group_by = NULL;
		b->group_by_file = o->group_by_file;
		b->group_by_line = o->group_by_line;
	}
	for (size_t i = 0; i < o->nloops; i++) {
		size_t at = SIZE_MAX;
		for (size_t k = 0; k < b->nloops; k++)
			if (strcmp(b->loops[k].name, o->loops[i].name) == 0)
				at = k;
		if (at == SIZE_MAX) {
			b->loops = xrealloc(b->loops, (b->nloops + 1) * sizeof *b->loops);
			b->loops[b->nloops++] = o->loops[i];
		} else {
			loop_free(&b->loops[at]);
			b->loops[at] = o->loops[i];
		}
	}
	o->nloops = 0;
	for (size_t i = 0; i < o->ntables; i++) {
		struct mtable *ot = &o->tables[i];
		struct mtable *bt = NULL;
		for (size_t k = 0; k < b->ntables; k++)
			if (strcmp(b->tables[k].name, ot->name) == 0)
				bt = &b->tables[k];
		if (!bt) {
			b->tables = xrealloc(b->tables, (b->ntables + 1) * sizeof *b->tables);
			b->tables[b->ntables++] = *ot;
			memset(ot, 0, sizeof *ot);
			continue;
		}
		for (size_t e = 0; e < ot->n; e++) {
			size_t at = SIZE_MAX;
			for (size_t k = 0; k < bt->n; k++)
				if (strcmp(bt->v[k].code, ot->v[e].code) == 0)
					at = k;
			if (at == SIZE_MAX) {
				bt->v = xrealloc(bt->v, (bt->n + 1) * sizeof *bt->v);
				bt->v[bt->n++] = ot->v[e];
			} else {
				free(bt->v[at].code);
				free(bt->v[at].value);
				bt->v[at] = ot->v[e];
			}
		}
		ot->n = 0;
		if (ot->star || ot->star_pass) {
			free(bt->star);
			bt->star = ot->star;
			bt->star_pass = ot->star_pass;
			bt->star_line = ot->star_line;
			ot->star = NULL;
		}
	}
	for (size_t i = 0; i < o->nrecs; i++) {
		size_t at = SIZE_MAX;
		for (size_t k = 0; k < b->nrecs; k++)
			if (strcmp(b->recs[k].name, o->recs[i].name) == 0)
				at = k;
		if (at == SIZE_MAX) {
			b->recs = xrealloc(b->recs, (b->nrecs + 1) * sizeof *b->recs);
			b->recs[b->nrecs++] = o->recs[i];
		} else {
			rec_free(&b->recs[at]);
			b->recs[at] = o->recs[i];
		}
	}
	o->nrecs = 0;
	for (size_t i = 0; i < o->nxrefs; i++) {
		size_t at = SIZE_MAX;
		for (size_t k = 0; k < b->nxrefs; k++)
			if (strcmp(b->xrefs[k].name, o->xrefs[i].name) == 0)
				at = k;
		if (at == SIZE_MAX) {
			b->xrefs = xrealloc(b->xrefs, (b->nxrefs + 1) * sizeof *b->xrefs);
			b->xrefs[b->nxrefs++] = o->xrefs[i];
		} else {
			xref_free(&b->xrefs[at]);
			b->xrefs[at] = o->xrefs[i];
		}
	}
	o->nxrefs = 0;
	for (size_t i = 0; i < o->nns; i++) {
		size_t at = SIZE_MAX;
		for (size_t k = 0; k < b->nns; k++)
			if (strcmp(b->ns_prefix[k], o->ns_prefix[i]) == 0)
				at = k;
		if (at == SIZE_MAX) {
			size_t n = b->nns + 1;
			b->ns_prefix = xrealloc(b->ns_prefix, n * sizeof *b->ns_prefix);
			b->ns_uri = xrealloc(b->ns_uri, n * sizeof *b->ns_uri);
			b->ns_line = xrealloc(b->ns_line, n * sizeof *b->ns_line);
			b->ns_prefix[b->nns] = o->ns_prefix[i];
			b->ns_uri[b->nns] = o->ns_uri[i];
			b->ns_line[b->nns] = o->ns_line[i];
			b->nns = n;
		} else {
			free(b->ns_prefix[at]);
			free(b->ns_uri[at]);
			b->ns_prefix[at] = o->ns_prefix[i];
			b->ns_uri[at] = o->ns_uri[i];
		}
	}
	o->nns = 0;
	merge_block(&b->root, &o->root, d);
}

/* ------------------------------------------------------------ compile */

/* Intern a segment id for the loop tables. */
static int intern_seg(struct map *m, uint32_t seg)
{
	if (m->intern[seg])
		return m->intern[seg] - 1;
	if (m->nids == MAP_MAX_SEGIDS)
		return -1;
	m->ids[m->nids] = seg;
	m->intern[seg] = (uint8_t)(m->nids + 1);
	return (int)m->nids++;
}

/* Index of the loop named name, -1 if none. */
static int loop_by_name(const struct map *m, const char *name)
{
	for (size_t i = 0; i < m->nloops; i++)
		if (strcmp(m->loops[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Depth of loop nesting below loop i (cycle → INT_MAX). */
static int loop_depth(const struct map *m, int i, int *visiting, int level)
{
	if (visiting[i] || level > MAP_MAX_LOOP_DEPTH + 1)
		return INT_MAX;
	visiting[i] = 1;
	int best = 1;
	const struct mloop *l = &m->loops[i];
	for (size_t k = 1; k < l->nmembers; k++) {
		int e = loop_by_name(m, l->members[k]);
		if (e < 0)
			continue;
		int dd = loop_depth(m, e, visiting, level + 1);
		if (dd == INT_MAX) {
			best = INT_MAX;
			break;
		}
		if (dd + 1 > best)
			best = dd + 1;
	}
	visiting[i] = 0;
	return best;
}

/* The packed id of a segment (record type, in a fixed-width map) named in a map line. */
static uint32_t pack_id(const struct map *m, const char *s)
{
	return m->fixed ? map_rec_pack(s, strlen(s)) : map_seg_pack(s, strlen(s));
}

/* Index of the record type named id, -1 when none. */
static int rec_find(const struct map *m, const char *id)
{
	for (size_t i = 0; i < m->nrecs; i++)
		if (strcmp(m->recs[i].name, id) == 0)
			return (int)i;
	return -1;
}

/* Build the interning and role tables. */
static int compile_loops(struct map *m, struct diag_list *d)
{
	int bad = 0;
	m->intern = xcalloc(MAP_SEG_SPACE, 1);
	for (size_t i = 0; i < m->nloops; i++) {
		struct mloop *l = &m->loops[i];
		l->start = pack_id(m, l->members[0]);
		if (!l->start) {
			diag_error(d, l->file, l->line, "loop %s must start with a segment id, not '%s'", l->name,
				   l->members[0]);
			bad = 1;
			continue;
		}
		if (m->fixed && rec_find(m, l->members[0]) < 0) {
			diag_error(d, l->file, l->line, "loop %s starts with %s, which is no record type (declare "
				   "'record %s at COLUMN \"TEXT\"')", l->name, l->members[0], l->members[0]);
			bad = 1;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (m->loops[j].start == l->start) {
				diag_error(d, l->file, l->line,
					   "loops %s and %s both start with %s: a segment starts one loop",
					   m->loops[j].name, l->name, l->members[0]);
				bad = 1;
			}
		l->start_idx = intern_seg(m, l->start);
		for (size_t k = 1; k < l->nmembers; k++) {
			if (loop_by_name(m, l->members[k]) >= 0)
				continue;
			uint32_t s = pack_id(m, l->members[k]);
			if (s && m->fixed && rec_find(m, l->members[k]) < 0) {
				diag_error(d, l->file, l->line, "unknown loop or record type '%s' in loop %s",
					   l->members[k], l->name);
				bad = 1;
				continue;
			}
			if (!s) {
				diag_error(d, l->file, l->line,
					   "unknown loop or bad segment id '%s' in loop %s", l->members[k],
					   l->name);
				bad = 1;
				continue;
			}
			if (intern_seg(m, s) < 0) {
				diag_error(d, l->file, l->line, "too many different segments in loops (at most %d)",
					   MAP_MAX_SEGIDS);
				bad = 1;
			}
		}
	}
	if (bad)
		return -1;
	size_t rows = m->nloops + 1;
	m->role = xcalloc(rows * (m->nids ? m->nids : 1), sizeof *m->role);
	for (size_t i = 0; i < m->nloops; i++) {
		const struct mloop *l = &m->loops[i];
		/* the top level may start every loop */
		m->role[m->nloops * m->nids + (size_t)l->start_idx] = (int16_t)(2 + i);
		for (size_t k = 1; k < l->nmembers; k++) {
			int e = loop_by_name(m, l->members[k]);
			int idx;
			int16_t r;
			if (e >= 0) {
				if (e == (int)i) {
					diag_error(d, l->file, l->line, "loop %s contains itself", l->name);
					bad = 1;
					continue;
				}
				idx = m->loops[e].start_idx;
				r = (int16_t)(2 + e);
			} else {
				idx = m->intern[pack_id(m, l->members[k])] - 1;
				r = 1;
				if (idx == l->start_idx) {
					diag_error(d, l->file, l->line,
						   "%s starts loop %s and cannot also be listed in it", l->members[k],
						   l->name);
					bad = 1;
					continue;
				}
			}
			int16_t *slot = &m->role[i * m->nids + (size_t)idx];
			if (*slot && *slot != r) {
				diag_error(d, l->file, l->line,
					   "segment %s is both a member of loop %s and the start of a loop "
					   "nested in it", l->members[k], l->name);
				bad = 1;
				continue;
			}
			*slot = r;
		}
	}
	if (bad)
		return -1;
	int *visiting = xcalloc(m->nloops ? m->nloops : 1, sizeof *visiting);
	for (size_t i = 0; i < m->nloops; i++) {
		int dd = loop_depth(m, (int)i, visiting, 1);
		if (dd == INT_MAX) {
			diag_error(d, m->loops[i].file, m->loops[i].line,
				   "loop %s contains itself (through nested loops)", m->loops[i].name);
			bad = 1;
		} else if (dd > MAP_MAX_LOOP_DEPTH) {
			diag_error(d, m->loops[i].file, m->loops[i].line,
				   "loops nested too deep below %s (%d levels; at most %d)", m->loops[i].name,
				   dd, MAP_MAX_LOOP_DEPTH);
			bad = 1;
		}
	}
	free(visiting);
	return bad ? -1 : 0;
}

/* Order table entries by code. */
static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mentry *)a)->code, ((const struct mentry *)b)->code);
}

/* Scope a source path is read in while compiling. */
struct cscope {
	int loop;          /* -1: top level */
	uint32_t bound;    /* segment an each over a plain segment bound, 0 none */
	int in_each;
	int group;         /* the block of an each group: bound is the grouped rows' segment,
	                    * and each over it (each row) or each group may nest here */
	const char *bound_id; /* the bound segment's id, for messages */
};

/* Index of a loop starting with segment seg, -1 when none does. */
static int loop_starting(const struct map *m, uint32_t seg)
{
	for (size_t i = 0; i < m->nloops; i++)
		if (m->loops[i].start == seg)
			return (int)i;
	return -1;
}

/* A step's [SEG] conditions need a loop: its segment must start one. */
static int check_holds(const struct map *m, const struct mstep *st, const char *file, size_t line,
		       struct diag_list *d)
{
	for (size_t k = 0; k < st->nconds; k++) {
		if (!st->conds[k].holds)
			continue;
		if (loop_starting(m, st->seg) < 0) {
			diag_error(d, file, line,
				   "[%s%s] asks what a %s loop holds, but no loop starts with %s (declare "
				   "'loop %s = %s ...')", st->conds[k].neg ? "!" : "", st->conds[k].holds_id,
				   st->id, st->id, st->id, st->id);
			return -1;
		}
	}
	return 0;
}

/* Resolve a source path's steps from scope s (see map_int.h, enum step_kind). */
static int resolve_path(const struct map *m, struct mpath *p, struct cscope s, const char *file,
			size_t line, struct diag_list *d)
{
	int can_descend = 1; /* the previous step stands for a loop occurrence */
	if (p->absolute) {
		s.loop = -1; /* '/': from the top level, whatever the block */
		s.bound = 0;
	}
	for (size_t i = 0; i < p->nsteps; i++) {
		if (check_holds(m, &p->steps[i], file, line, d) != 0)
			return -1;
		struct mstep *st = &p->steps[i];
		const struct mstep *prev = i ? &p->steps[i - 1] : NULL;
		if (prev && st->seg == prev->seg) {
			st->kind = STEP_OWN;
			continue;
		}
		if (prev && !can_descend) {
			diag_error(d, file, line,
				   "unknown loop %s in '%s': %s is not declared as a loop, so no other "
				   "segment is read below it (declare 'loop %s = %s ...')",
				   prev->id, p->text, prev->id, prev->id, prev->id);
			return -1;
		}
		if (s.bound) {
			if (st->seg == s.bound) {
				st->kind = STEP_OWN;
				can_descend = 0;
				continue;
			}
			if (s.group)
				diag_error(d, file, line,
					   "an each group block reads the fields of the %s records it groups (its "
					   "first one), not %s (read other record types from the top: /%s)",
					   s.bound_id ? s.bound_id : "?", st->id, p->text);
			else
				diag_error(d, file, line,
					   "unknown loop: this each repeats a segment that is not a loop, so only "
					   "that segment's elements can be read, not %s (declare the segment as a "
					   "loop to read the segments that follow it)", st->id);
			return -1;
		}
		if (!prev && s.loop >= 0 && st->seg == m->loops[s.loop].start) {
			st->kind = STEP_OWN;
			continue;
		}
		int k = map_intern(m, st->seg);
		int r = k >= 0 ? map_role(m, s.loop, k) : 0;
		if (r >= 2) {
			st->kind = STEP_ENTER;
			st->loop = r - 2;
			s.loop = st->loop;
			can_descend = 1;
		} else if (s.loop < 0 || r == 1) {
			st->kind = STEP_PLAIN;
			can_descend = 0;
		} else {
			diag_error(d, file, line,
				   "segment %s is not part of loop %s (list it on the loop's line, or "
				   "start the path at the loop that holds it)", st->id,
				   m->loops[s.loop].name);
			return -1;
		}
	}
	return 0;
}

static int compile_block(struct map *m, struct mblock *b, struct cscope s, int depth,
			 size_t *count, struct diag_list *d);

/* Compile one field in scope s. */
static int compile_field(struct map *m, struct mfield *f, struct cscope s, int depth,
			 size_t *count, struct diag_list *d)
{
	int bad = 0;
	if (++*count == MAP_MAX_FIELDS + 1)
		diag_error(d, f->file, f->line, "too many fields (at most %d)", MAP_MAX_FIELDS);
	if (!s.in_each && (f->tpath.attr || f->tpath.nsteps == 0) && f->src != SRC_EACH &&
	    !f->tpath.absolute) {
		diag_error(d, f->file, f->line,
			   "'%s' names the record itself; '.' and '@attribute' are for fields inside "
			   "an each block", f->target);
		bad = 1;
	}
	if ((f->src == SRC_INDEX || f->def_index) && !s.in_each) {
		diag_error(d, f->file, f->line, "$index is the position in a list: only inside an each block");
		bad = 1;
	}
	if (f->table_name) {
		f->table = -1;
		for (size_t i = 0; i < m->ntables; i++)
			if (strcmp(m->tables[i].name, f->table_name) == 0)
				f->table = (int)i;
		if (f->table < 0) {
			diag_error(d, f->file, f->line, "unknown table '%s' (define it with 'table %s "
				   "CODE=VALUE ...')", f->table_name, f->table_name);
			bad = 1;
		}
	}
	if (f->xref_name) {
		f->xref = -1;
		for (size_t i = 0; i < m->nxrefs; i++)
			if (strcmp(m->xrefs[i].name, f->xref_name) == 0)
				f->xref = (int)i;
		if (f->xref < 0) {
			diag_error(d, f->file, f->line, "unknown cross-reference '%s' (declare it with 'xref %s FILE "
				   "FROM-COLUMN TO-COLUMN')", f->xref_name, f->xref_name);
			bad = 1;
		}
	}
	if (f->src == SRC_PATH || f->src == SRC_PAIR) {
		for (size_t i = 0; i < f->nalts; i++)
			if (resolve_path(m, &f->alts[i], s, f->file, f->line, d) != 0)
				bad = 1;
	}
	if (f->src == SRC_EACH && f->alts[0].xpath) {
		/* an XML node set: the block reads relative to each node */
		struct cscope in = { .loop = -1, .in_each = 1 };
		f->loop_scope = -1;
		if (depth + 1 > MAP_MAX_DEPTH) {
			diag_error(d, f->file, f->line, "each blocks nested too deep (at most %d)", MAP_MAX_DEPTH);
			return -1;
		}
		if (f->block->n == 0) {
			diag_error(d, f->file, f->line, "each %s has no fields: indent the fields of each %s under it",
				   f->alts[0].text, f->target);
			return -1;
		}
		return compile_block(m, f->block, in, depth + 1, count, d) != 0 || bad ? -1 : 0;
	}
	if (f->src == SRC_EACH) {
		struct mstep *st = &f->alts[0].steps[0];
		struct cscope in = s;
		const char *shown = f->group ? f->alts[0].text : m->csv ? "row" : st->id;
		in.group = f->group;
		if (check_holds(m, st, f->file, f->line, d) != 0)
			return -1;
		if (s.bound && !(s.group && st->seg == s.bound)) {
			if (s.group)
				diag_error(d, f->file, f->line,
					   "each %s%s inside an each group of %s records: a group holds only "
					   "%s records (each %s, each group %s:FIRST-LAST)", f->group ? "group " : "",
					   shown, s.bound_id, s.bound_id, s.bound_id, s.bound_id);
			else if (m->csv)
				diag_error(d, f->file, f->line,
					   "each %s%s inside each row: each row reads one row, so nothing repeats "
					   "inside it (group the rows first: each group @column, with each row "
					   "inside)", f->group ? "group " : "", shown);
			else
				diag_error(d, f->file, f->line,
					   "unknown loop: the enclosing each repeats a segment that is not a loop, "
					   "so nothing below it can repeat (each %s)", shown);
			return -1;
		}
		int k = map_intern(m, st->seg);
		int r = k >= 0 ? map_role(m, s.loop, k) : 0;
		if (f->group && (r >= 2 || (s.loop >= 0 && st->seg == m->loops[s.loop].start))) {
			diag_error(d, f->file, f->line,
				   "each group %s: %s records start a loop; a group gathers lines of a record "
				   "type that is not a loop", shown, st->id);
			return -1;
		}
		if (s.loop >= 0 && st->seg == m->loops[s.loop].start && !map_loop_hier(m, s.loop)) {
			diag_error(d, f->file, f->line, "each %s inside each %s: a loop does not repeat "
				   "inside itself (only the hierarchical HL loop does)", st->id, st->id);
			return -1;
		}
		if (s.group) {
			/* each row (each D) or each group inside an each group: the group's rows */
			st->kind = STEP_PLAIN;
			f->bound_plain = 1;
			in.bound = st->seg;
			in.bound_id = st->id;
		} else if (s.loop >= 0 && st->seg == m->loops[s.loop].start) {
			st->kind = STEP_CHILD; /* the HL loops one level below this one */
			st->loop = s.loop;
			in.bound = 0;
		} else if (r >= 2) {
			st->kind = STEP_ENTER;
			st->loop = r - 2;
			in.loop = st->loop;
			in.bound = 0;
		} else if (s.loop < 0 || r == 1) {
			st->kind = STEP_PLAIN;
			f->bound_plain = 1;
			in.bound = st->seg;
			in.bound_id = st->id;
		} else {
			diag_error(d, f->file, f->line,
				   "segment %s is not part of loop %s (list it on the loop's line)",
				   st->id, m->loops[s.loop].name);
			return -1;
		}
		f->loop_scope = in.loop;
		in.in_each = 1;
		if (depth + 1 > MAP_MAX_DEPTH) {
			diag_error(d, f->file, f->line, "each blocks nested too deep (at most %d)",
				   MAP_MAX_DEPTH);
			return -1;
		}
		if (f->block->n == 0) {
			diag_error(d, f->file, f->line,
				   "each %s%s has no fields: indent the fields of each %s under it",
				   f->group ? "group " : "", shown, f->target);
			return -1;
		}
		if (compile_block(m, f->block, in, depth + 1, count, d) != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* Mark the fields whose target's first element no other field of block b (nor the
 * source element at the top level) creates: applying them need not look for it. */
static void mark_fresh(struct mblock *b, int top)
{
	for (size_t i = 0; i < b->n; i++) {
		struct mfield *f = b->v[i];
		f->fresh = 0;
		if (f->src == SRC_EACH || f->tpath.absolute || f->tpath.nsteps == 0)
			continue;
		const xmlChar *first = f->tpath.steps[0].name;
		if (top && xmlStrEqual(first, (const xmlChar *)"source"))
			continue;
		int shared = 0;
		for (size_t k = 0; k < b->n && !shared; k++) {
			const struct mfield *g = b->v[k];
			if (k == i || g->tpath.nsteps == 0)
				continue;
			if (g->tpath.absolute || xmlStrEqual(g->tpath.steps[0].name, first))
				shared = 1;
		}
		f->fresh = !shared;
	}
}

/* Compile every field of a block. */
static int compile_block(struct map *m, struct mblock *b, struct cscope s, int depth,
			 size_t *count, struct diag_list *d)
{
	int bad = 0;
	mark_fresh(b, depth == 0);
	for (size_t i = 0; i < b->n; i++)
		if (compile_field(m, b->v[i], s, depth, count, d) != 0)
			bad = 1;
	return bad ? -1 : 0;
}

/* An EDIFACT message type (0065): six capital letters. */
static int edifact_type_ok(const char *t)
{
	size_t n = strlen(t);
	if (n != 6)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (t[i] < 'A' || t[i] > 'Z')
			return 0;
	return 1;
}

/* Collect a CSV column path's name (pass 1: elem 0) or set its slot (pass 2). */
static int csv_slot(struct map *m, struct mpath *p, const char *file, size_t line,
		    struct diag_list *d)
{
	if (!p->csv_name && !p->csv_col) {
		if (m->csv) {
			diag_error(d, file, line, "'%s': a CSV map reads columns by header name or "
				   "position (@ship_date, C3), not segments", p->text);
			return -1;
		}
		return 0;
	}
	if (!m->csv) {
		diag_error(d, file, line, "'%s' is a CSV column: only in a 'source csv NAME' map",
			   p->text);
		return -1;
	}
	if (p->csv_col) {
		if (p->csv_col > m->csv_maxcol)
			m->csv_maxcol = p->csv_col;
		return 0;
	}
	for (size_t i = 0; i < m->ncsv_names; i++)
		if (strcasecmp(m->csv_names[i], p->csv_name) == 0) {
			p->elem = (int)i + 1;
			return 0;
		}
	if (m->ncsv_names == MAP_CSV_MAX_NAMES) {
		diag_error(d, file, line, "too many CSV columns named (at most %d)",
			   MAP_CSV_MAX_NAMES);
		return -1;
	}
	size_t n = m->ncsv_names + 1;
	m->csv_names = xrealloc(m->csv_names, n * sizeof *m->csv_names);
	m->csv_name_file = xrealloc(m->csv_name_file, n * sizeof *m->csv_name_file);
	m->csv_name_line = xrealloc(m->csv_name_line, n * sizeof *m->csv_name_line);
	m->csv_names[n - 1] = xstrdup(p->csv_name);
	m->csv_name_file[n - 1] = file;
	m->csv_name_line[n - 1] = line;
	m->ncsv_names = n;
	p->elem = (int)n;
	return 0;
}

/* The slot of fixed-width field start/len in record r (added on first use). */
static int rec_slot(struct mrec *r, size_t start, size_t len, const char *text)
{
	for (size_t i = 0; i < r->nslots; i++)
		if (r->slots[i].start == start && r->slots[i].len == len)
			return (int)i + 1;
	r->slots = xrealloc(r->slots, (r->nslots + 1) * sizeof *r->slots);
	r->slots[r->nslots] = (struct mslot){ start, len, xstrdup(text) };
	return (int)++r->nslots;
}

/* A step of a path or each line: in a fixed-width map it names a declared record type
 * (and its conditions' fields get their slots); elsewhere it is a segment id. */
static int step_check(struct map *m, struct mstep *st, const char *file, size_t line, struct diag_list *d)
{
	if (!m->fixed) {
		int bad = strlen(st->id) < 2;
		for (size_t k = 0; k < st->nconds && !bad; k++)
			bad = st->conds[k].fx_len || (st->conds[k].holds && strlen(st->conds[k].holds_id) < 2);
		if (bad)
			diag_error(d, file, line, "'%s': a segment id is 2 or 3 capital letters or digits, "
				   "starting with a letter (fields like D:12-19 are for 'source fixed NAME' maps)",
				   st->text);
		return bad ? -1 : 0;
	}
	int r = rec_find(m, st->id);
	if (r < 0) {
		diag_error(d, file, line, "unknown record type %s in '%s' (declare 'record %s at COLUMN \"TEXT\"')",
			   st->id, st->text, st->id);
		return -1;
	}
	for (size_t k = 0; k < st->nconds; k++) {
		struct mcond *c = &st->conds[k];
		if (c->holds && rec_find(m, c->holds_id) < 0) {
			diag_error(d, file, line, "unknown record type %s in '%s'", c->holds_id, st->text);
			return -1;
		}
		if (!c->holds && !c->fx_len) {
			diag_error(d, file, line, "'%s': a condition in a fixed-width map tests a field of its "
				   "record ([D:20+1=X])", st->text);
			return -1;
		}
		if (c->fx_len) {
			char *t = xasprintf("%s:%zu+%zu", st->id, c->fx_start, c->fx_len);
			c->elem = rec_slot(&m->recs[r], c->fx_start, c->fx_len, t);
			free(t);
		}
	}
	return 0;
}

/* A source path fits the map's source: a fixed-width field only in a fixed-width map (its
 * slot set), every step checked. */
static int path_check(struct map *m, struct mpath *p, const char *file, size_t line, struct diag_list *d)
{
	int bad = 0;
	if (p->fx_len && !m->fixed) {
		diag_error(d, file, line, "'%s' is a fixed-width field: only in a 'source fixed NAME' map", p->text);
		return -1;
	}
	if (m->fixed && !p->fx_len) {
		if (!p->csv_name && !p->csv_col)
			diag_error(d, file, line, "'%s': a fixed-width map reads record fields (D:12-19, D:12+8), "
				   "not segments", p->text);
		return -1; /* a CSV column: csv_slot said so */
	}
	if (m->csv)
		return 0; /* the ROW step */
	for (size_t i = 0; i < p->nsteps; i++)
		if (step_check(m, &p->steps[i], file, line, d) != 0)
			bad = 1;
	if (!bad && p->fx_len) {
		int r = rec_find(m, p->steps[p->nsteps - 1].id);
		p->elem = rec_slot(&m->recs[r], p->fx_start, p->fx_len, p->fx_text);
	}
	return bad ? -1 : 0;
}

/* An XPath source only in an XML map, and only XPath sources there: -1 (reported) when
 * p does not fit, 1 for an XML map's XPath (nothing more to check), 0 otherwise. */
static int source_kind(const struct map *m, const struct mpath *p, const char *file, size_t line,
		       struct diag_list *d)
{
	if (p->xpath && !m->xml) {
		diag_error(d, file, line, "'%s' is an XPath source: only in a 'source xml NAME' map", p->text);
		return -1;
	}
	if (m->xml && !p->xpath) {
		diag_error(d, file, line, "'%s': an XML map reads xpath(EXPRESSION) sources (xpath(OrderNo)), not "
			   "segments, columns or fixed-width fields", p->text ? p->text : "?");
		return -1;
	}
	return m->xml ? 1 : 0;
}

/* The key of an each group line: a column of a CSV map (pass 1 collects its name, pass 2
 * sets a position's slot), a field of a fixed-width map (its record's slot); other maps
 * have no rows to group. */
static int group_key_check(struct map *m, struct mfield *f, int pass, struct diag_list *d)
{
	struct mpath *p = &f->alts[0];
	if (!m->csv && !m->fixed) {
		if (pass == 1)
			diag_error(d, f->file, f->line, "each group is for CSV and fixed-width maps (source csv "
				   "NAME: each group @po_number; source fixed NAME: each group D:3-12)");
		return pass == 1 ? -1 : 0;
	}
	if (m->csv) {
		if (pass == 2) {
			if (p->csv_col)
				p->elem = (int)m->ncsv_names + p->csv_col;
			return 0;
		}
		return csv_slot(m, p, f->file, f->line, d);
	}
	if (pass != 1)
		return 0;
	if (p->csv_name || p->csv_col) {
		diag_error(d, f->file, f->line, "'%s' is a CSV column: a fixed-width map groups by a field "
			   "(each group D:3-12)", p->text);
		return -1;
	}
	return path_check(m, p, f->file, f->line, d);
}

/* Give every CSV column path of block b its slot: names first, then positions (so
 * the positional slots, which follow the names, are known); pass 1 also checks every
 * path fits the map's source and gives fixed-width fields their slots. */
static int csv_slots_pass(struct map *m, struct mblock *b, int pass, struct diag_list *d)
{
	int bad = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct mfield *f = b->v[i];
		if (f->src == SRC_PATH || f->src == SRC_PAIR) {
			for (size_t k = 0; k < f->nalts; k++) {
				struct mpath *p = &f->alts[k];
				int kind = pass == 1 ? source_kind(m, p, f->file, f->line, d) : 0;
				if (kind < 0)
					bad = 1;
				else if (kind > 0)
					continue;
				else if (pass == 1 && csv_slot(m, p, f->file, f->line, d) != 0)
					bad = 1;
				else if (pass == 1 && path_check(m, p, f->file, f->line, d) != 0)
					bad = 1;
				else if (pass == 2 && p->csv_col)
					p->elem = (int)m->ncsv_names + p->csv_col;
			}
		}
		if (f->src == SRC_PAIR && (m->fixed || m->xml) && pass == 1) {
			diag_error(d, f->file, f->line, "pair is for X12 and EDIFACT maps");
			bad = 1;
		}
		if (f->src == SRC_EACH && f->group) {
			if (group_key_check(m, f, pass, d) != 0)
				bad = 1;
		} else if (f->src == SRC_EACH && pass == 1 && (m->xml || f->alts[0].xpath)) {
			if (source_kind(m, &f->alts[0], f->file, f->line, d) < 0)
				bad = 1;
		} else if (f->src == SRC_EACH && m->csv && pass == 1 &&
		    strcmp(f->alts[0].steps[0].id, "ROW") != 0) {
			diag_error(d, f->file, f->line, "a CSV map repeats rows: 'each row'");
			bad = 1;
		} else if (f->src == SRC_EACH && !m->csv && pass == 1 &&
			   step_check(m, &f->alts[0].steps[0], f->file, f->line, d) != 0) {
			bad = 1;
		}
		if (f->block && csv_slots_pass(m, f->block, pass, d) != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* Both passes of csv_slots_pass on the root block. */
static int csv_slots(struct map *m, struct mblock *b, struct diag_list *d)
{
	if (csv_slots_pass(m, b, 1, d) != 0)
		return -1;
	return m->csv ? csv_slots_pass(m, b, 2, d) : 0;
}

/* What XPath error code (enum xmlXPathError) c means; libxml2 hands a context's error
 * callback the code and the offset in the expression, not the text. */
static const char *xpath_code_text(int c)
{
	static const char *const text[] = {
		"Ok", "Number encoding", "Unfinished literal", "Start of literal", "Expected $ for "
		"variable reference", "Undefined variable", "Invalid predicate", "Invalid expression",
		"Missing closing curly brace", "Unregistered function", "Invalid operand", "Invalid type",
		"Invalid number of arguments", "Invalid context size", "Invalid context position",
		"Memory allocation error", "Syntax error", "Resource error", "Sub resource error",
		"Undefined namespace prefix", "Encoding error", "Char out of XML range", "Invalid or "
		"incomplete context", "Stack usage error", "Forbidden variable", "Operation limit "
		"exceeded", "Recursion limit exceeded",
	};
	return c >= 0 && (size_t)c < sizeof text / sizeof text[0] ? text[c] : "XPath error";
}

/* Keep an XPath error's message (the first of an evaluation). */
#if LIBXML_VERSION >= 21200
static void xpath_error(void *ud, const xmlError *e)
#else
static void xpath_error(void *ud, xmlErrorPtr e)
#endif
{
	struct buf *b = ud;
	if (!b || !e || b->len)
		return;
	if (e->message) {
		buf_puts(b, e->message);
	} else {
		buf_puts(b, xpath_code_text(e->code - XML_XPATH_EXPRESSION_OK));
		if (e->str1 && e->code != XML_XPATH_UNDEF_PREFIX_ERROR && e->code != XML_XPATH_UNDEF_VARIABLE_ERROR)
			buf_printf(b, " at character %d", e->int1 + 1);
	}
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
}

/* libxml2 prints some XPath errors through its generic error function ("function f not
 * found") before it raises them: kept in the map's error buffer instead of stderr. */
static void xpath_generic(void *ud, const char *fmt, ...)
{
	struct buf *b = ud;
	if (!b || b->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	const char *colon = strncmp(b->data, "xmlXPath", 8) == 0 ? strstr(b->data, ": ") : NULL;
	if (colon)
		memmove(b->data, colon + 2, strlen(colon + 2) + 1), b->len = strlen(b->data);
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
}

/* Route libxml2's generic errors of this thread to err (quiet) until map_xpath_loud. */
void map_xpath_quiet(struct buf *err, struct map_xpath_saved *saved)
{
	saved->fn = xmlGenericError;
	saved->ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(err, xpath_generic);
}

/* Restore what map_xpath_quiet replaced. */
void map_xpath_loud(const struct map_xpath_saved *saved)
{
	xmlSetGenericErrorFunc(saved->ctx, saved->fn);
}

/* An XPath context with m's namespaces, errors to err. */
xmlXPathContextPtr map_xpath_context(const struct map *m, xmlDocPtr doc, struct buf *err)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	if (!c)
		abort(); /* out of memory */
	c->userData = err;
	c->error = xpath_error;
	for (size_t i = 0; i < m->nns; i++)
		if (xmlXPathRegisterNs(c, (const xmlChar *)m->ns_prefix[i], (const xmlChar *)m->ns_uri[i]) != 0)
			abort(); /* out of memory: the prefix was checked */
	return c;
}

/* Compile one xpath(...) source and try it on an empty document (unknown prefixes,
 * functions and variables show there); nodes: it must select a node set (each,
 * group-by). */
static int compile_xpath(struct mpath *p, xmlXPathContextPtr c, struct buf *err, int nodes,
			 const char *file, size_t line, struct diag_list *d)
{
	buf_reset(err);
	p->xcomp = xmlXPathCtxtCompile(c, (const xmlChar *)p->xpath);
	if (!p->xcomp) {
		diag_error(d, file, line, "bad XPath expression in '%s': %s", p->text,
			   err->len ? err->data : "syntax error");
		return -1;
	}
	buf_reset(err);
	c->node = xmlDocGetRootElement(c->doc);
	xmlXPathObjectPtr o = xmlXPathCompiledEval(p->xcomp, c);
	int rc = 0;
	if (!o) {
		diag_error(d, file, line, "'%s' cannot be evaluated: %s%s", p->text,
			   err->len ? err->data : "XPath error",
			   strstr(err->len ? err->data : "", "prefix") ? " (declare it: namespace PREFIX URI)" : "");
		rc = -1;
	} else if (nodes && o->type != XPATH_NODESET) {
		diag_error(d, file, line, "'%s' gives a %s, not nodes: each and group-by repeat a node set "
			   "(xpath(Lines/Line))", p->text,
			   o->type == XPATH_NUMBER ? "number" : o->type == XPATH_BOOLEAN ? "boolean" : "string");
		rc = -1;
	}
	xmlXPathFreeObject(o);
	return rc;
}

/* Compile the XPath sources of block b. */
static int compile_xpath_block(struct mblock *b, xmlXPathContextPtr c, struct buf *err, struct diag_list *d)
{
	int bad = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct mfield *f = b->v[i];
		for (size_t k = 0; k < f->nalts; k++)
			if (f->alts[k].xpath &&
			    compile_xpath(&f->alts[k], c, err, f->src == SRC_EACH, f->file, f->line, d) != 0)
				bad = 1;
		if (f->block && compile_xpath_block(f->block, c, err, d) != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

/* Compile every XPath source of an XML map (and its group-by). */
static int compile_xpaths(struct map *m, struct diag_list *d)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root = doc ? xmlNewDocNode(doc, NULL, (const xmlChar *)"x", NULL) : NULL;
	if (!root)
		abort(); /* out of memory */
	xmlDocSetRootElement(doc, root);
	struct buf err;
	buf_init(&err, 0);
	struct map_xpath_saved saved;
	map_xpath_quiet(&err, &saved);
	xmlXPathContextPtr c = map_xpath_context(m, doc, &err);
	int bad = compile_xpath_block(&m->root, c, &err, d) != 0;
	if (m->group_by.xpath &&
	    compile_xpath(&m->group_by, c, &err, 1, m->group_by_file, m->group_by_line, d) != 0)
		bad = 1;
	xmlXPathFreeContext(c);
	map_xpath_loud(&saved);
	xmlFreeDoc(doc);
	buf_free(&err);
	return bad ? -1 : 0;
}

/* The column of a cross-reference file named by c: a header name, or C3. */
static size_t xref_column(const struct csv_table *t, const char *c)
{
	uint64_t n;
	if (c[0] == 'C' && c[1] >= '1' && c[1] <= '9' && str_to_u64(c + 1, &n) == 0 && n <= CSV_DEF_MAX_FIELDS)
		return csv_column(t, c) ? csv_column(t, c) : (size_t)n;
	return csv_column(t, c);
}

/* Order cross-reference entries by code, then by file line. */
static int xentry_cmp(const void *a, const void *b)
{
	const struct mentry *x = a, *y = b;
	int r = strcmp(x->code, y->code);
	return r ? r : (x->line > y->line) - (x->line < y->line);
}

/* Read cross-reference x's file into its sorted entries; problems name the file's line
 * and column and the xref line. */
static int load_xref(struct mxref *x, struct diag_list *d)
{
	struct buf b;
	struct csv_table t;
	buf_init(&b, 0);
	memset(&t, 0, sizeof t);
	int bad = 0;
	int rc = file_read_all(x->path, MAP_XREF_MAX_BYTES, &b);
	if (rc < 0) {
		diag_error(d, x->file, x->line, "xref %s: cannot read %s: %s", x->name, x->shown,
			   rc == -EFBIG ? "larger than 16 MiB" : strerror(-rc));
		bad = 1;
		goto out;
	}
	struct csv_options o;
	memset(&o, 0, sizeof o);
	o.max_bytes = MAP_XREF_MAX_BYTES;
	o.max_rows = MAP_XREF_MAX_ROWS;
	struct csv_error ce;
	if (csv_parse(&t, b.data ? b.data : "", b.len, &o, &ce) < 0) {
		char *e = csv_error_text(&ce);
		diag_error(d, x->file, x->line, "xref %s: %s %s", x->name, x->shown, e);
		free(e);
		bad = 1;
		goto out;
	}
	size_t from = xref_column(&t, x->from), to = xref_column(&t, x->to);
	if (!from || !to || from > t.width || to > t.width) {
		diag_error(d, x->file, x->line, "xref %s: %s has no column %s (its header: line %llu)", x->name, x->shown,
			   !from || from > t.width ? x->from : x->to, (unsigned long long)t.header.line);
		bad = 1;
		goto out;
	}
	x->v = xmalloc((t.nrows ? t.nrows : 1) * sizeof *x->v);
	for (size_t i = 0; i < t.nrows && !bad; i++) {
		const struct csv_row *r = &t.rows[i];
		struct span k = span_trim(r->f[from - 1]), v = span_trim(r->f[to - 1]);
		int blank = 1;
		for (size_t c = 0; c < r->n; c++)
			blank &= span_trim(r->f[c]).n == 0;
		if (blank)
			continue; /* an empty row of a spreadsheet */
		if (!k.n || !v.n || canon_text_valid(v.p, v.n) != 0) {
			diag_error(d, x->file, x->line, "xref %s: %s line %llu, column %zu: %s", x->name, x->shown,
				   (unsigned long long)r->line, !k.n ? from : to,
				   !k.n ? "empty key" : !v.n ? "empty value" : "control characters in the value");
			bad = 1;
			break;
		}
		x->v[x->n].code = span_dup(k);
		x->v[x->n].value = span_dup(v);
		x->v[x->n].file = NULL;
		x->v[x->n].line = r->line;
		x->n++;
	}
	if (x->n > 1)
		qsort(x->v, x->n, sizeof *x->v, xentry_cmp);
	for (size_t i = 1; i < x->n && !bad; i++)
		if (strcmp(x->v[i].code, x->v[i - 1].code) == 0 && strcmp(x->v[i].value, x->v[i - 1].value) != 0) {
			diag_error(d, x->file, x->line, "xref %s: %s lines %zu and %zu give %s two values", x->name,
				   x->shown, x->v[i - 1].line, x->v[i].line, x->v[i].code);
			bad = 1;
		}
out:
	csv_table_free(&t);
	buf_free(&b);
	return bad ? -1 : 0;
}

/* Read every cross-reference of the map. */
static int compile_xrefs(struct map *m, struct mfile *mf, struct diag_list *d)
{
	m->xrefs = mf->xrefs;
	m->nxrefs = mf->nxrefs;
	mf->xrefs = NULL;
	mf->nxrefs = 0;
	int bad = 0;
	for (size_t i = 0; i < m->nxrefs; i++)
		if (load_xref(&m->xrefs[i], d) != 0)
			bad = 1;
	return bad ? -1 : 0;
}

/* Record declarations of a fixed-width map (or none, elsewhere) and its group-by. */
static int compile_records(struct map *m, struct mfile *mf, struct diag_list *d)
{
	m->recs = mf->recs;
	m->nrecs = mf->nrecs;
	mf->recs = NULL;
	mf->nrecs = 0;
	m->group_rec = -1;
	if (!m->fixed) {
		if (m->nrecs)
			diag_error(d, m->recs[0].file, m->recs[0].line,
				   "record lines are for fixed-width maps (source fixed NAME)");
		return m->nrecs ? -1 : 0;
	}
	int bad = 0;
	size_t any = 0;
	for (size_t i = 0; i < m->nrecs; i++)
		if (!m->recs[i].at && any++) {
			diag_error(d, m->recs[i].file, m->recs[i].line,
				   "record %s: only one record type may match every other line (no 'at')",
				   m->recs[i].name);
			bad = 1;
		}
	if (m->nrecs == 0) {
		diag_error(d, mf->source_file, mf->source_line,
			   "a fixed-width map declares its record types: record NAME at COLUMN \"TEXT\"");
		bad = 1;
	}
	if (mf->group_by) {
		m->group_by_file = mf->group_by_file;
		m->group_by_line = mf->group_by_line;
		m->group_rec = rec_find(m, mf->group_by);
		if (m->group_rec < 0) {
			diag_error(d, mf->group_by_file, mf->group_by_line,
				   "bad group-by '%s': name a record type (group-by H: each H line starts a record)",
				   mf->group_by);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* Compile the merged file into m. */
static void compile(struct map *m, struct mfile *mf, const char *top, struct diag_list *d)
{
	m->name = mf->name ? xstrdup(mf->name) : xstrdup(top);
	if (!mf->std) {
		diag_error(d, top, 0, "no 'source' line (source x12 850)");
	} else if (strcmp(mf->std, "x12") != 0 && strcmp(mf->std, "edifact") != 0 &&
		   strcmp(mf->std, "csv") != 0 && strcmp(mf->std, "fixed") != 0 && strcmp(mf->std, "xml") != 0) {
		diag_error(d, mf->source_file, mf->source_line,
			   "source standard '%s' is not supported yet (this version reads x12, "
			   "edifact, csv, fixed and xml)", mf->std);
	} else if (!word_ok(mf->type, 12)) {
		diag_error(d, mf->source_file, mf->source_line, "bad document type '%s'", mf->type);
	} else if (strcmp(mf->std, "edifact") == 0 && !edifact_type_ok(mf->type)) {
		diag_error(d, mf->source_file, mf->source_line,
			   "bad EDIFACT message type '%s' (six capital letters: ORDERS, DESADV)",
			   mf->type);
	}
	m->edifact = mf->std && strcmp(mf->std, "edifact") == 0;
	m->csv = mf->std && strcmp(mf->std, "csv") == 0;
	m->fixed = mf->std && strcmp(mf->std, "fixed") == 0;
	m->xml = mf->std && strcmp(mf->std, "xml") == 0;
	m->ns_prefix = mf->ns_prefix;
	m->ns_uri = mf->ns_uri;
	m->nns = mf->nns;
	mf->ns_prefix = mf->ns_uri = NULL;
	mf->nns = 0;
	m->hier_seg = m->edifact ? map_seg_pack("CPS", 3) : map_seg_pack("HL", 2);
	if (!mf->kind) {
		diag_error(d, top, 0, "no 'target' line: which canonical record does the map write?");
	} else {
		const char *why;
		struct canon_path p;
		if (canon_path_parse(&p, mf->kind, &why) != 0 || p.nsteps != 1 || p.absolute ||
		    p.attr || p.steps[0].pattr)
			diag_error(d, mf->target_file, mf->target_line, "bad record kind '%s'", mf->kind);
		canon_path_clear(&p);
	}
	m->target_file = mf->target_file;
	m->std = mf->std ? xstrdup(mf->std) : xstrdup("");
	m->type = mf->type ? xstrdup(mf->type) : xstrdup("");
	m->kind = mf->kind ? xstrdup(mf->kind) : xstrdup("");
	m->target_line = mf->target_line;
	m->loops = mf->loops;
	m->nloops = mf->nloops;
	mf->loops = NULL;
	mf->nloops = 0;
	m->tables = mf->tables;
	m->ntables = mf->ntables;
	mf->tables = NULL;
	mf->ntables = 0;
	m->root = mf->root;
	memset(&mf->root, 0, sizeof mf->root);
	for (size_t i = 0; i < m->ntables; i++)
		if (m->tables[i].n > 1)
			qsort(m->tables[i].v, m->tables[i].n, sizeof *m->tables[i].v, entry_cmp);
	if (compile_records(m, mf, d) != 0)
		return;
	if (compile_xrefs(m, mf, d) != 0)
		return;
	if (compile_loops(m, d) != 0)
		return;
	if (m->nns && !m->xml)
		diag_error(d, mf->source_file, mf->source_line, "namespace lines are for XML maps (source xml NAME)");
	if (mf->group_by && !m->csv && !m->fixed && !m->xml) {
		diag_error(d, mf->group_by_file, mf->group_by_line,
			   "group-by is for CSV, fixed-width and XML maps (source csv NAME, source fixed NAME, "
			   "source xml NAME)");
	} else if (mf->group_by && m->xml) {
		const char *why = parse_path(&m->group_by, mf->group_by);
		m->group_by_file = mf->group_by_file;
		m->group_by_line = mf->group_by_line;
		if (!why && !m->group_by.xpath)
			why = "name a node set: group-by xpath(/Shipments/ShipConfirm)";
		if (why)
			diag_error(d, mf->group_by_file, mf->group_by_line, "bad group-by '%s': %s", mf->group_by,
				   why);
	} else if (mf->group_by && m->csv) {
		const char *why = parse_path(&m->group_by, mf->group_by);
		m->group_by_file = mf->group_by_file;
		m->group_by_line = mf->group_by_line;
		if (!why && !m->group_by.csv_name && !m->group_by.csv_col)
			why = "name a column (@order_no or C1)";
		if (why)
			diag_error(d, mf->group_by_file, mf->group_by_line, "bad group-by '%s': %s",
				   mf->group_by, why);
	}
	if (m->group_by.nsteps &&
	    csv_slot(m, &m->group_by, m->group_by_file, m->group_by_line, d) != 0)
		return;
	if (csv_slots(m, &m->root, d) != 0)
		return;
	if (m->xml && compile_xpaths(m, d) != 0)
		return;
	if (m->group_by.csv_col)
		m->group_by.elem = (int)m->ncsv_names + m->group_by.csv_col;
	size_t count = 0;
	struct cscope s = { .loop = -1 };
	compile_block(m, &m->root, s, 0, &count, d);
	if (mf->key) {
		m->key = xstrdup(mf->key);
		const char *why;
		if (canon_path_parse(&m->keypath, mf->key, &why) != 0)
			diag_error(d, mf->key_file, mf->key_line, "bad key '%s': %s", mf->key, why);
		else if (block_find(&m->root, mf->key) == SIZE_MAX)
			diag_error(d, mf->key_file, mf->key_line,
				   "key %s is not a field of the map (name a top-level target)", mf->key);
	}
}

/* Load, merge and compile a map. */
int map_load(struct map **out, const char *path, struct diag_list *d)
{
	*out = NULL;
	size_t before = d->nerrors;
	struct map *m = xcalloc(1, sizeof *m);
	struct mfile *chain[MAP_MAX_EXTENDS + 2] = { 0 };
	char *real[MAP_MAX_EXTENDS + 2] = { 0 };
	size_t nchain = 0;
	int rc = load_chain(m, path, chain, &nchain, real, d, NULL, 0);
	if (rc == 0 && nchain > 0) {
		/* merge from the deepest base up, then compile what parsed (lines with syntax
		 * errors are left out, so later checks still report their own problems) */
		struct mfile *base = chain[nchain - 1];
		for (size_t i = nchain - 1; i-- > 0;)
			merge_file(base, chain[i], d);
		compile(m, base, chain[0]->path, d);
	}
	for (size_t i = 0; i < nchain; i++) {
		mfile_free(chain[i]);
		free(real[i]);
	}
	if (d->nerrors != before) {
		map_free(m);
		return -EINVAL;
	}
	*out = m;
	return 0;
}
