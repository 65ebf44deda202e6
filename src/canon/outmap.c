/*
 * outmap.c — outbound maps: canonical record → X12 / EDIFACT segments.
 * The language is in outmap.h and doc/edigw-map.5 ("OUTBOUND MAPS").
 *
 * Loading builds a tree of nodes (segment, each, hl) from the indentation;
 * rendering walks it against the record, writing a segment when it is
 * 'required' or when one of its elements that reads the record has a value
 * (constants alone do not make a segment appear). Element values are checked
 * as they are made: formats, code tables, and the characters the target's
 * separators forbid. Output is deterministic.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon_lex.h"
#include "canon/canon_path.h"
#include "canon/outmap.h"
#include "edifact/edi_writer.h"

#define OM_MAX_NODES 4096   /* nodes (segments, blocks, elements) in one map */
#define OM_MAX_DEPTH 32     /* nesting of each/hl blocks */
#define OM_MAX_POS 99       /* element and component positions */
#define OM_MAX_TABLES 64
#define OM_MAX_ENTRIES 1024 /* entries in one code table */
#define OM_MAX_EXTENDS 4    /* a chain of overlays */

enum om_src { OS_PATH, OS_LIT, OS_INDEX, OS_COUNT, OS_SUM, OS_HLCOUNT };
enum om_fmt { OF_NONE, OF_DATE, OF_TIME, OF_NUMBER, OF_DECIMAL };

struct om_elem {
	const char *file;     /* the map file it was written in (the base or an overlay) */
	size_t line;
	unsigned pos, comp;   /* comp 0: the whole element */
	enum om_src src;
	char *lit;
	struct canon_path path;
	int required;
	char *def;
	int table;            /* index + 1, 0 none */
	enum om_fmt fmt;
	char datefmt[16];     /* CCYYMMDD, YYMMDD, CCYYMMDDHHMM, 102, 203... */
	int ndec;             /* number N0..N9 */
	char timefmt[8];      /* HHMM or HHMMSS */
	size_t truncate;      /* 0: none */
	int ascii;            /* fold Latin letters to ASCII (X12's character set) */
	struct canon_path cond; /* 'if PATH': written only when PATH has a value */
	int has_cond;
};

enum om_kind { ON_ROOT, ON_SEG, ON_EACH, ON_HL };

struct om_node {
	enum om_kind kind;
	const char *file;
	size_t line, indent;
	char id[4];           /* segment id; HL level code */
	int required;
	int each;             /* has a path */
	struct canon_path path;
	struct om_elem *el;
	size_t nel;
	struct om_node **kids;
	size_t nkids;
	struct om_node *parent;
};

struct om_entry { char *from, *to; };
struct om_table {
	char *name;
	struct om_entry *e;
	size_t n;
	char *other;          /* "*=X": X; "*=*": "*"; NULL: unknown codes are errors */
};

struct omap {
	char *file, *name, *kind, *type, *version;
	int edifact;
	struct canon_path key;
	int has_key;
	struct om_table tables[OM_MAX_TABLES];
	size_t ntables;
	struct om_node root;
	size_t nnodes;
	char **files;         /* the map and the bases it extends (owned) */
	size_t nfiles;
};

/* ------------------------------------------------------------------ freeing */

static void node_clear(struct om_node *n)
{
	for (size_t i = 0; i < n->nel; i++) {
		free(n->el[i].lit);
		free(n->el[i].def);
		canon_path_clear(&n->el[i].path);
		canon_path_clear(&n->el[i].cond);
	}
	free(n->el);
	for (size_t i = 0; i < n->nkids; i++) {
		node_clear(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	canon_path_clear(&n->path);
}

/* Free a map. */
void omap_free(struct omap *m)
{
	if (!m)
		return;
	node_clear(&m->root);
	for (size_t i = 0; i < m->ntables; i++) {
		for (size_t k = 0; k < m->tables[i].n; k++) {
			free(m->tables[i].e[k].from);
			free(m->tables[i].e[k].to);
		}
		free(m->tables[i].e);
		free(m->tables[i].name);
		free(m->tables[i].other);
	}
	canon_path_clear(&m->key);
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i]);
	free(m->files);
	free(m->file);
	free(m->name);
	free(m->kind);
	free(m->type);
	free(m->version);
	free(m);
}

const char *omap_file(const struct omap *m) { return m->file; }
const char *omap_kind(const struct omap *m) { return m->kind; }
int omap_edifact(const struct omap *m) { return m->edifact; }
const char *omap_doc_type(const struct omap *m) { return m->type; }
const char *omap_version(const struct omap *m) { return m->version; }

/* ------------------------------------------------------------------ loading */

struct loader {
	struct omap *m;
	struct diag_list *d;
	const char *file;     /* owned by m (m->files) */
	int overlay;          /* an 'extends' file: headers replace the base's */
};

/* Is s a segment id: 2 or 3 upper-case letters or digits, starting with a letter. */
static int seg_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 3 || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* Parse "ID" + 2 digits + optional "-N" against the segment id. */
static int parse_pos(const char *s, const char *seg, unsigned *pos, unsigned *comp)
{
	size_t n = strlen(seg);
	if (strncmp(s, seg, n) != 0)
		return -1;
	s += n;
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*pos = (unsigned)((s[0] - '0') * 10 + (s[1] - '0'));
	*comp = 0;
	s += 2;
	if (*s == '-') {
		s++;
		unsigned c = 0;
		size_t k = 0;
		for (; s[k] >= '0' && s[k] <= '9' && k < 3; k++)
			c = c * 10 + (unsigned)(s[k] - '0');
		if (k == 0 || s[k])
			return -1;
		*comp = c;
		if (c < 1 || c > OM_MAX_POS)
			return -1;
	} else if (*s) {
		return -1;
	}
	return *pos >= 1 && *pos <= OM_MAX_POS ? 0 : -1;
}

static int table_find(const struct omap *m, const char *name)
{
	for (size_t i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "table NAME from=to ...": more lines with the same name add entries. */
static void parse_table(struct loader *L, const struct canon_line *l)
{
	struct omap *m = L->m;
	if (l->ntok < 3) {
		diag_error(L->d, L->file, l->lineno, "write 'table NAME VALUE=CODE ...'");
		return;
	}
	int ti = table_find(m, l->tok[1].s);
	if (ti < 0) {
		if (m->ntables == OM_MAX_TABLES) {
			diag_error(L->d, L->file, l->lineno, "too many code tables (at most %d)", OM_MAX_TABLES);
			return;
		}
		ti = (int)m->ntables++;
		m->tables[ti].name = xstrdup(l->tok[1].s);
	}
	struct om_table *t = &m->tables[ti];
	for (size_t i = 2; i < l->ntok; i++) {
		const char *s = l->tok[i].s, *eq = strchr(s, '=');
		if (!eq || eq == s) {
			diag_error(L->d, L->file, l->lineno, "table entry '%s' is not VALUE=CODE", s);
			continue;
		}
		size_t fn = (size_t)(eq - s);
		if (fn == 1 && s[0] == '*') {
			if (t->other && L->overlay)
				free(t->other);
			else if (t->other) {
				diag_error(L->d, L->file, l->lineno, "table %s has two '*' entries", t->name);
				continue;
			}
			t->other = xstrdup(eq + 1);
			continue;
		}
		int dup = 0;
		for (size_t k = 0; k < t->n && !dup; k++)
			if (strlen(t->e[k].from) == fn && memcmp(t->e[k].from, s, fn) == 0) {
				dup = 1;
				if (L->overlay) { /* an overlay's entry replaces the base's */
					free(t->e[k].to);
					t->e[k].to = xstrdup(eq + 1);
				}
			}
		if (dup && L->overlay)
			continue;
		if (dup) {
			diag_error(L->d, L->file, l->lineno, "table %s lists '%.*s' twice", t->name, (int)fn, s);
			continue;
		}
		if (t->n == OM_MAX_ENTRIES) {
			diag_error(L->d, L->file, l->lineno, "table %s has too many entries (at most %d)", t->name,
				   OM_MAX_ENTRIES);
			return;
		}
		t->e = xrealloc(t->e, (t->n + 1) * sizeof *t->e);
		t->e[t->n].from = span_dup((struct span){ s, fn });
		t->e[t->n].to = xstrdup(eq + 1);
		t->n++;
	}
}

static const char *const date_fmts[] = { "CCYYMMDD", "YYMMDD", "CCYYMMDDHHMM", "CCYYMMDDHHMMSS",
					 "102", "101", "203", "204", NULL };

/* Parse the options of an element line from token i. */
static int parse_elem_opts(struct loader *L, const struct canon_line *l, size_t i, struct om_elem *e)
{
	int ok = 1;
	for (; i < l->ntok; i++) {
		const char *o = l->tok[i].s;
		const char *arg = i + 1 < l->ntok ? l->tok[i + 1].s : NULL;
		if (l->tok[i].quoted) {
			diag_error(L->d, L->file, l->lineno, "unexpected constant \"%s\" after the source", o);
			ok = 0;
		} else if (strcmp(o, "required") == 0) {
			e->required = 1;
		} else if (strcmp(o, "default") == 0) {
			if (!arg) {
				diag_error(L->d, L->file, l->lineno, "'default' needs a value");
				return 0;
			}
			free(e->def);
			e->def = xstrdup(arg);
			i++;
		} else if (strcmp(o, "code") == 0) {
			int t = arg ? table_find(L->m, arg) : -1;
			if (t < 0) {
				diag_error(L->d, L->file, l->lineno, "'code' needs a table defined above (%s)",
					   arg ? arg : "none given");
				return 0;
			}
			e->table = t + 1;
			i++;
		} else if (strcmp(o, "date") == 0) {
			int found = 0;
			for (size_t k = 0; arg && date_fmts[k]; k++)
				found |= strcmp(arg, date_fmts[k]) == 0;
			if (!found) {
				diag_error(L->d, L->file, l->lineno,
					   "'date' needs a format: CCYYMMDD, YYMMDD, CCYYMMDDHHMM, CCYYMMDDHHMMSS, "
					   "or the EDIFACT codes 102, 101, 203, 204");
				return 0;
			}
			e->fmt = OF_DATE;
			snprintf(e->datefmt, sizeof e->datefmt, "%s", arg);
			i++;
		} else if (strcmp(o, "time") == 0) {
			if (!arg || (strcmp(arg, "HHMM") != 0 && strcmp(arg, "HHMMSS") != 0)) {
				diag_error(L->d, L->file, l->lineno, "'time' needs a format: HHMM or HHMMSS");
				return 0;
			}
			e->fmt = OF_TIME;
			snprintf(e->timefmt, sizeof e->timefmt, "%s", arg);
			i++;
		} else if (strcmp(o, "number") == 0) {
			e->fmt = OF_NUMBER;
			if (arg && arg[0] == 'N' && arg[1] >= '0' && arg[1] <= '9' && !arg[2]) {
				e->ndec = arg[1] - '0';
				i++;
			}
		} else if (strcmp(o, "decimal") == 0) {
			e->fmt = OF_DECIMAL;
		} else if (strcmp(o, "ascii") == 0) {
			e->ascii = 1;
		} else if (strcmp(o, "if") == 0) {
			const char *why = "a path is needed";
			if (!arg || e->has_cond || canon_path_parse(&e->cond, arg, &why) != 0) {
				diag_error(L->d, L->file, l->lineno, "'if' needs one canonical path%s%s",
					   e->has_cond ? " (given twice)" : ": ", e->has_cond ? "" : why);
				return 0;
			}
			e->has_cond = 1;
			i++;
		} else if (strcmp(o, "truncate") == 0) {
			char *end = NULL;
			unsigned long v = arg ? strtoul(arg, &end, 10) : 0;
			if (!arg || *end || v < 1 || v > 4096) {
				diag_error(L->d, L->file, l->lineno, "'truncate' needs a length from 1 to 4096");
				return 0;
			}
			e->truncate = v;
			i++;
		} else {
			diag_error(L->d, L->file, l->lineno,
				   "unknown option '%s' (expected required, default, code, date, time, number, "
				   "decimal, truncate, ascii or if)", o);
			ok = 0;
		}
	}
	if (e->required && e->def) {
		diag_error(L->d, L->file, l->lineno, "'required' and 'default' exclude each other");
		ok = 0;
	}
	if (e->table && e->fmt != OF_NONE) {
		diag_error(L->d, L->file, l->lineno, "'code' excludes date, time, number and decimal");
		ok = 0;
	}
	if ((e->src == OS_LIT) && (e->required || e->def || e->table || e->fmt != OF_NONE)) {
		diag_error(L->d, L->file, l->lineno, "a constant takes no options but 'if PATH'");
		ok = 0;
	}
	return ok;
}

/* An element line "BAK03 po-number options..." below segment n. */
static void parse_elem(struct loader *L, struct om_node *n, const struct canon_line *l)
{
	struct om_elem e = { 0 };
	e.line = l->lineno;
	e.file = L->file;
	if (l->ntok < 2 || parse_pos(l->tok[0].s, n->id, &e.pos, &e.comp) != 0) {
		diag_error(L->d, L->file, l->lineno,
			   "write '%s01 SOURCE [options]' (element %s01..%s99, component as %s01-2) "
			   "below segment %s, not '%s'", n->id, n->id, n->id, n->id, n->id, l->tok[0].s);
		return;
	}
	for (size_t i = 0; i < n->nel; i++)
		if (n->el[i].pos == e.pos && (n->el[i].comp == e.comp || !n->el[i].comp || !e.comp)) {
			diag_error(L->d, L->file, l->lineno, "%s is already written at line %zu", l->tok[0].s,
				   n->el[i].line);
			return;
		}
	const char *s = l->tok[1].s;
	const char *why = NULL;
	if (l->tok[1].quoted) {
		e.src = OS_LIT;
		e.lit = xstrdup(s);
	} else if (strcmp(s, "$index") == 0) {
		e.src = OS_INDEX;
	} else if (strcmp(s, "$hl-count") == 0) {
		e.src = OS_HLCOUNT;
	} else if ((strncmp(s, "count(", 6) == 0 || strncmp(s, "sum(", 4) == 0) && s[strlen(s) - 1] == ')') {
		int sum = s[0] == 's';
		char *p = span_dup((struct span){ s + (sum ? 4 : 6), strlen(s) - (sum ? 5 : 7) });
		e.src = sum ? OS_SUM : OS_COUNT;
		if (canon_path_parse(&e.path, p, &why) != 0 || e.path.attr || !e.path.nsteps) {
			diag_error(L->d, L->file, l->lineno, "%s() needs a path to elements, not '%s'%s%s",
				   sum ? "sum" : "count", p, why ? ": " : "", why ? why : "");
			free(p);
			canon_path_clear(&e.path);
			return;
		}
		free(p);
	} else {
		e.src = OS_PATH;
		if (canon_path_parse(&e.path, s, &why) != 0) {
			diag_error(L->d, L->file, l->lineno, "bad canonical path '%s': %s", s, why);
			return;
		}
	}
	if (!parse_elem_opts(L, l, 2, &e)) {
		free(e.lit);
		free(e.def);
		canon_path_clear(&e.path);
		canon_path_clear(&e.cond);
		return;
	}
	n->el = xrealloc(n->el, (n->nel + 1) * sizeof *n->el);
	n->el[n->nel++] = e;
}

/* A block line: "segment ID [required] [each PATH]", "each PATH", "hl CODE [each PATH]". */
static struct om_node *parse_block(struct loader *L, struct om_node *parent, const struct canon_line *l)
{
	const char *k = l->tok[0].s;
	struct om_node n = { 0 };
	n.line = l->lineno;
	n.file = L->file;
	n.indent = l->indent;
	n.parent = parent;
	size_t i = 1;
	if (strcmp(k, "segment") == 0) {
		n.kind = ON_SEG;
		if (l->ntok < 2 || !seg_id_ok(l->tok[1].s)) {
			diag_error(L->d, L->file, l->lineno, "write 'segment ID [required] [each PATH]' "
				   "with a segment id of 2 or 3 capitals and digits");
			return NULL;
		}
		snprintf(n.id, sizeof n.id, "%s", l->tok[1].s);
		i = 2;
		if (i < l->ntok && strcmp(l->tok[i].s, "required") == 0) {
			n.required = 1;
			i++;
		}
	} else if (strcmp(k, "cps") == 0) {
		n.kind = ON_HL;
		if (!L->m->edifact) {
			diag_error(L->d, L->file, l->lineno, "'cps' is for EDIFACT maps (X12 uses 'hl CODE')");
			return NULL;
		}
		i = 1;
	} else if (strcmp(k, "hl") == 0) {
		n.kind = ON_HL;
		if (L->m->edifact) {
			diag_error(L->d, L->file, l->lineno, "'hl' is for X12 maps (EDIFACT's levels are 'cps')");
			return NULL;
		}
		size_t cl = l->ntok >= 2 ? strlen(l->tok[1].s) : 0;
		if (cl < 1 || cl > 2) {
			diag_error(L->d, L->file, l->lineno, "write 'hl CODE [each PATH]' with an HL03 code (S, O, P, I...)");
			return NULL;
		}
		snprintf(n.id, sizeof n.id, "%s", l->tok[1].s);
		i = 2;
	} else {
		n.kind = ON_EACH;
		i = 0;
	}
	if (i < l->ntok) {
		const char *why;
		if (strcmp(l->tok[i].s, "each") != 0 || i + 2 != l->ntok) {
			diag_error(L->d, L->file, l->lineno, "unexpected '%s' (write '%s ... each PATH')", l->tok[i].s, k);
			return NULL;
		}
		if (canon_path_parse(&n.path, l->tok[i + 1].s, &why) != 0) {
			diag_error(L->d, L->file, l->lineno, "bad canonical path '%s': %s", l->tok[i + 1].s, why);
			return NULL;
		}
		if (n.path.attr || !n.path.nsteps) {
			diag_error(L->d, L->file, l->lineno, "'each' needs a path to elements, not '%s'",
				   l->tok[i + 1].s);
			canon_path_clear(&n.path);
			return NULL;
		}
		n.each = 1;
	} else if (n.kind == ON_EACH) {
		diag_error(L->d, L->file, l->lineno, "write 'each PATH'");
		return NULL;
	}
	if (++L->m->nnodes > OM_MAX_NODES) {
		diag_error(L->d, L->file, l->lineno, "too many segments and blocks (at most %d)", OM_MAX_NODES);
		canon_path_clear(&n.path);
		return NULL;
	}
	struct om_node *p = xmalloc(sizeof *p);
	*p = n;
	parent->kids = xrealloc(parent->kids, (parent->nkids + 1) * sizeof *parent->kids);
	parent->kids[parent->nkids++] = p;
	return p;
}

/* A header line (no indentation, not a block). */
static void parse_header(struct loader *L, const struct canon_line *l)
{
	struct omap *m = L->m;
	const char *k = l->tok[0].s;
	if (strcmp(k, "table") == 0) {
		parse_table(L, l);
		return;
	}
	char **slot = strcmp(k, "map") == 0 ? &m->name : strcmp(k, "source") == 0 ? &m->kind
		: strcmp(k, "version") == 0 ? &m->version : NULL;
	if (slot) {
		if (l->ntok != 2)
			diag_error(L->d, L->file, l->lineno, "'%s' takes exactly one value", k);
		else if (*slot && L->overlay && slot == &m->kind && strcmp(*slot, l->tok[1].s) != 0)
			diag_error(L->d, L->file, l->lineno, "the base map reads '%s' records, not '%s'", *slot,
				   l->tok[1].s);
		else if (*slot && !L->overlay)
			diag_error(L->d, L->file, l->lineno, "'%s' is given twice", k);
		else {
			free(*slot);
			*slot = xstrdup(l->tok[1].s);
		}
	} else if (strcmp(k, "target") == 0) {
		if (l->ntok != 3 || (strcmp(l->tok[1].s, "x12") != 0 && strcmp(l->tok[1].s, "edifact") != 0)) {
			diag_error(L->d, L->file, l->lineno, "write 'target x12 TYPE' or 'target edifact TYPE'");
			return;
		}
		if (L->overlay && (m->edifact != (strcmp(l->tok[1].s, "edifact") == 0) ||
				   strcmp(m->type, l->tok[2].s) != 0)) {
			diag_error(L->d, L->file, l->lineno, "the base map writes %s %s", m->edifact ? "edifact" : "x12",
				   m->type);
			return;
		}
		m->edifact = strcmp(l->tok[1].s, "edifact") == 0;
		size_t n = strlen(l->tok[2].s);
		int ok = n >= 3 && n <= 6;
		for (size_t i = 0; ok && i < n; i++)
			ok = (l->tok[2].s[i] >= 'A' && l->tok[2].s[i] <= 'Z') || (l->tok[2].s[i] >= '0' && l->tok[2].s[i] <= '9');
		if (!ok) {
			diag_error(L->d, L->file, l->lineno, "bad document type '%s' (3 digits for X12, 6 capitals for EDIFACT)",
				   l->tok[2].s);
			return;
		}
		free(m->type);
		m->type = xstrdup(l->tok[2].s);
	} else if (strcmp(k, "key") == 0) {
		const char *why;
		canon_path_clear(&m->key);
		m->has_key = 0;
		if (l->ntok != 2 || canon_path_parse(&m->key, l->tok[1].s, &why) != 0) {
			diag_error(L->d, L->file, l->lineno, "'key' takes one canonical path");
			canon_path_clear(&m->key);
			return;
		}
		m->has_key = 1;
	} else {
		diag_error(L->d, L->file, l->lineno,
			   "unknown line '%s' (expected map, source, target, version, key, table, segment, each, "
			   "hl or cps)", k);
	}
}

/* Check the version line against the target. */
static void check_version(struct loader *L)
{
	struct omap *m = L->m;
	const char *v = m->version;
	if (!v) {
		diag_error(L->d, L->file, 0, "no 'version' line (%s)",
			   m->edifact ? "version D:96A:UN or D:96A:UN:EAN008" : "version 004010 or 005010");
		return;
	}
	size_t n = strlen(v);
	if (!m->edifact) {
		int ok = n >= 6 && n <= 12;
		for (size_t i = 0; ok && i < 6; i++)
			ok = v[i] >= '0' && v[i] <= '9';
		if (!ok)
			diag_error(L->d, L->file, 0, "version '%s' is not an X12 GS08 (004010, 005010, 004010VICS)", v);
		return;
	}
	/* 0052:0054:0051[:0057] */
	size_t parts = 1;
	for (size_t i = 0; i < n; i++)
		parts += v[i] == ':';
	if (parts < 3 || parts > 4 || n > 40 || v[0] == ':')
		diag_error(L->d, L->file, 0, "version '%s' is not 0052:0054:0051[:0057] (D:96A:UN, D:01B:UN:EAN010)", v);
}

/* Parse lines [i0, i1) below container: blocks nest by indentation, element lines go
 * below segments; lines at indent 0 outside blocks are headers (hdr, or errors when
 * hdr is NULL). */
static void parse_lines(struct loader *L, const struct canon_line *lines, size_t i0, size_t i1,
			struct om_node *container, void (*hdr)(struct loader *, const struct canon_line *))
{
	struct om_node *stack[OM_MAX_DEPTH + 2];
	size_t depth = 0;
	stack[0] = container;
	size_t skip_indent = SIZE_MAX; /* lines below a block that failed */
	for (size_t i = i0; i < i1; i++) {
		const struct canon_line *l = &lines[i];
		if (l->indent > skip_indent)
			continue;
		skip_indent = SIZE_MAX;
		while (depth > 0 && stack[depth]->indent >= l->indent)
			depth--;
		struct om_node *cur = stack[depth];
		const char *k = l->tok[0].s;
		int block = !l->tok[0].quoted && (strcmp(k, "segment") == 0 || strcmp(k, "each") == 0 ||
						  strcmp(k, "hl") == 0 || strcmp(k, "cps") == 0);
		if (cur->kind == ON_SEG) {
			if (block) {
				diag_error(L->d, L->file, l->lineno, "'%s' inside segment %s (line %zu): indent it as "
					   "the segment, not below it", k, cur->id, cur->line);
				skip_indent = l->indent;
			} else {
				parse_elem(L, cur, l);
			}
			continue;
		}
		if (!block) {
			if (l->indent == 0 && depth == 0 && hdr)
				hdr(L, l);
			else
				diag_error(L->d, L->file, l->lineno, "'%s' here: element lines go below a 'segment' line", k);
			continue;
		}
		if (depth == OM_MAX_DEPTH) {
			diag_error(L->d, L->file, l->lineno, "blocks nested too deep (at most %d)", OM_MAX_DEPTH);
			skip_indent = l->indent;
			continue;
		}
		struct om_node *n = parse_block(L, cur, l);
		if (!n) {
			skip_indent = l->indent;
			continue;
		}
		stack[++depth] = n;
	}
}

/* ------------------------------------------------------------ overlays */

/* Call fn for every segment node with id below n (n's own kids first, depth first). */
static size_t each_seg(struct om_node *n, const char *id, void (*fn)(struct om_node *parent, size_t i, void *),
		       void *ctx)
{
	size_t hits = 0;
	for (size_t i = 0; i < n->nkids; i++) {
		struct om_node *k = n->kids[i];
		if (k->kind == ON_SEG && strcmp(k->id, id) == 0) {
			hits++;
			if (fn)
				fn(n, i, ctx);
		} else if (k->kind != ON_SEG) {
			hits += each_seg(k, id, fn, ctx);
		}
	}
	return hits;
}

struct set_ctx {
	const struct om_elem *e;
	struct loader *L;
};

/* set: put a copy of the element into the segment, replacing one at its position. */
static void set_elem(struct om_node *parent, size_t i, void *ctx)
{
	struct set_ctx *c = ctx;
	struct om_node *seg = parent->kids[i];
	const struct om_elem *e = c->e;
	size_t k = 0;
	for (; k < seg->nel; k++)
		if (seg->el[k].pos == e->pos && (seg->el[k].comp == e->comp || !seg->el[k].comp || !e->comp))
			break;
	struct om_elem copy = *e;
	const char *why;
	copy.lit = e->lit ? xstrdup(e->lit) : NULL;
	copy.def = e->def ? xstrdup(e->def) : NULL;
	memset(&copy.path, 0, sizeof copy.path);
	memset(&copy.cond, 0, sizeof copy.cond);
	if (e->path.text)
		canon_path_parse(&copy.path, e->path.text, &why);
	if (e->has_cond)
		canon_path_parse(&copy.cond, e->cond.text, &why);
	if (k < seg->nel) {
		free(seg->el[k].lit);
		free(seg->el[k].def);
		canon_path_clear(&seg->el[k].path);
		canon_path_clear(&seg->el[k].cond);
		seg->el[k] = copy;
		/* a whole-element line replaces every component line at that position */
		for (size_t j = seg->nel; j-- > k + 1;)
			if (seg->el[j].pos == e->pos && !e->comp) {
				free(seg->el[j].lit);
				free(seg->el[j].def);
				canon_path_clear(&seg->el[j].path);
				canon_path_clear(&seg->el[j].cond);
				memmove(&seg->el[j], &seg->el[j + 1], (seg->nel - j - 1) * sizeof *seg->el);
				seg->nel--;
			}
	} else {
		seg->el = xrealloc(seg->el, (seg->nel + 1) * sizeof *seg->el);
		seg->el[seg->nel++] = copy;
	}
}

/* drop SEG POS: remove the element from the segment. */
static void drop_elem(struct om_node *parent, size_t i, void *ctx)
{
	const struct om_elem *e = ctx;
	struct om_node *seg = parent->kids[i];
	for (size_t k = seg->nel; k-- > 0;)
		if (seg->el[k].pos == e->pos && (!e->comp || seg->el[k].comp == e->comp)) {
			free(seg->el[k].lit);
			free(seg->el[k].def);
			canon_path_clear(&seg->el[k].path);
			canon_path_clear(&seg->el[k].cond);
			memmove(&seg->el[k], &seg->el[k + 1], (seg->nel - k - 1) * sizeof *seg->el);
			seg->nel--;
		}
}

/* Remove every segment node with id below n. */
static size_t drop_segs(struct om_node *n, const char *id)
{
	size_t hits = 0;
	for (size_t i = n->nkids; i-- > 0;) {
		struct om_node *k = n->kids[i];
		if (k->kind == ON_SEG && strcmp(k->id, id) == 0) {
			node_clear(k);
			free(k);
			memmove(&n->kids[i], &n->kids[i + 1], (n->nkids - i - 1) * sizeof *n->kids);
			n->nkids--;
			hits++;
		} else if (k->kind != ON_SEG) {
			hits += drop_segs(k, id);
		}
	}
	return hits;
}

struct after_ctx {
	struct loader *L;
	const struct canon_line *lines;
	size_t i0, i1;
	const char *id;
	struct om_node *last_parent;
	size_t inserted;
};

/* Insert the after-block below parent, after its last segment with the id. */
static void insert_after(struct om_node *parent, struct after_ctx *c)
{
	size_t at = 0;
	for (size_t i = 0; i < parent->nkids; i++)
		if (parent->kids[i]->kind == ON_SEG && strcmp(parent->kids[i]->id, c->id) == 0)
			at = i + 1;
	struct om_node tmp = { 0 };
	tmp.kind = ON_EACH; /* a container: blocks parse below it */
	parse_lines(c->L, c->lines, c->i0, c->i1, &tmp, NULL);
	parent->kids = xrealloc(parent->kids, (parent->nkids + tmp.nkids) * sizeof *parent->kids);
	memmove(&parent->kids[at + tmp.nkids], &parent->kids[at], (parent->nkids - at) * sizeof *parent->kids);
	for (size_t i = 0; i < tmp.nkids; i++) {
		tmp.kids[i]->parent = parent;
		parent->kids[at + i] = tmp.kids[i];
	}
	parent->nkids += tmp.nkids;
	free(tmp.kids);
	c->inserted++;
}

/* Collect the parents holding a segment with the id (each once). */
static void collect_parents(struct om_node *n, const char *id, struct om_node ***v, size_t *nv)
{
	int here = 0;
	for (size_t i = 0; i < n->nkids; i++) {
		struct om_node *k = n->kids[i];
		if (k->kind == ON_SEG && strcmp(k->id, id) == 0)
			here = 1;
		else if (k->kind != ON_SEG)
			collect_parents(k, id, v, nv);
	}
	if (here) {
		*v = xrealloc(*v, (*nv + 1) * sizeof **v);
		(*v)[(*nv)++] = n;
	}
}

/* "set SEG POS source options": the element line for every SEG segment of the base. */
static void overlay_set(struct loader *L, const struct canon_line *l)
{
	if (l->ntok < 4 || !seg_id_ok(l->tok[1].s)) {
		diag_error(L->d, L->file, l->lineno, "write 'set SEGMENT POSITION SOURCE [options]' (set N1 N102 name)");
		return;
	}
	struct om_node tmp = { 0 };
	tmp.kind = ON_SEG;
	snprintf(tmp.id, sizeof tmp.id, "%s", l->tok[1].s);
	struct canon_line el = *l; /* the element line is the line without "set SEG" */
	el.tok = l->tok + 2;
	el.ntok = l->ntok - 2;
	parse_elem(L, &tmp, &el);
	if (tmp.nel == 1) {
		struct set_ctx c = { &tmp.el[0], L };
		if (!each_seg(&L->m->root, tmp.id, set_elem, &c))
			diag_error(L->d, L->file, l->lineno, "the base map writes no %s segment", tmp.id);
	}
	node_clear(&tmp);
}

/* "drop SEG" / "drop SEG POS". */
static void overlay_drop(struct loader *L, const struct canon_line *l)
{
	if (l->ntok < 2 || l->ntok > 3 || !seg_id_ok(l->tok[1].s)) {
		diag_error(L->d, L->file, l->lineno, "write 'drop SEGMENT' or 'drop SEGMENT POSITION'");
		return;
	}
	const char *id = l->tok[1].s;
	if (l->ntok == 2) {
		if (!drop_segs(&L->m->root, id))
			diag_error(L->d, L->file, l->lineno, "the base map writes no %s segment", id);
		return;
	}
	struct om_elem e = { 0 };
	if (parse_pos(l->tok[2].s, id, &e.pos, &e.comp) != 0) {
		diag_error(L->d, L->file, l->lineno, "'%s' is not an element of %s (%s01, %s01-2)", l->tok[2].s, id, id, id);
		return;
	}
	if (!each_seg(&L->m->root, id, drop_elem, &e))
		diag_error(L->d, L->file, l->lineno, "the base map writes no %s segment", id);
}

static struct omap *load_file(const char *path, unsigned depth, struct diag_list *d);

/* Load one map file (a base or an overlay of one). */
static struct omap *load_file(const char *path, unsigned depth, struct diag_list *d)
{
	struct canon_line *lines = NULL;
	size_t nlines = 0;
	size_t before = d->nerrors;
	canon_lex_file(&lines, &nlines, path, d);
	struct omap *m = NULL;
	size_t first = 0;
	int overlay = nlines && lines[0].indent == 0 && strcmp(lines[0].tok[0].s, "extends") == 0;
	if (overlay) {
		if (lines[0].ntok != 2) {
			diag_error(d, path, lines[0].lineno, "write 'extends PATH' (the base map, relative to this file)");
		} else if (depth >= OM_MAX_EXTENDS) {
			diag_error(d, path, lines[0].lineno, "too many maps extend each other (at most %d)", OM_MAX_EXTENDS);
		} else {
			char *base = path_relative_to(path, lines[0].tok[1].s);
			m = load_file(base, depth + 1, d);
			if (!m)
				diag_error(d, path, lines[0].lineno, "base map %s cannot be loaded", base);
			free(base);
		}
		if (!m) {
			canon_lex_free(lines, nlines);
			return NULL;
		}
		first = 1;
	} else {
		m = xcalloc(1, sizeof *m);
		m->root.kind = ON_ROOT;
		/* the target line decides what 'hl' means: read it first */
		for (size_t i = 0; i < nlines; i++)
			if (lines[i].indent == 0 && strcmp(lines[i].tok[0].s, "target") == 0 && lines[i].ntok == 3)
				m->edifact = strcmp(lines[i].tok[1].s, "edifact") == 0;
	}
	m->files = xrealloc(m->files, (m->nfiles + 1) * sizeof *m->files);
	m->files[m->nfiles] = xstrdup(path);
	struct loader L = { m, d, m->files[m->nfiles++], overlay };
	free(m->file);
	m->file = xstrdup(path);
	if (!overlay) {
		parse_lines(&L, lines, 0, nlines, &m->root, parse_header);
	} else {
		/* an overlay: headers, table entries, set, drop, and 'after SEG' blocks */
		for (size_t i = first; i < nlines;) {
			const struct canon_line *l = &lines[i];
			const char *k = l->tok[0].s;
			size_t j = i + 1;
			if (strcmp(k, "after") == 0)
				while (j < nlines && lines[j].indent > 0)
					j++;
			if (l->indent > 0) {
				diag_error(d, path, l->lineno, "an indented line in an overlay belongs below 'after SEGMENT'");
			} else if (strcmp(k, "set") == 0) {
				overlay_set(&L, l);
			} else if (strcmp(k, "drop") == 0) {
				overlay_drop(&L, l);
			} else if (strcmp(k, "after") == 0) {
				if (l->ntok != 2 || !seg_id_ok(l->tok[1].s) || j == i + 1) {
					diag_error(d, path, l->lineno, "write 'after SEGMENT' and the new blocks indented below it");
				} else {
					struct om_node **parents = NULL;
					size_t np = 0;
					collect_parents(&m->root, l->tok[1].s, &parents, &np);
					struct after_ctx c = { &L, lines, i + 1, j, l->tok[1].s, NULL, 0 };
					for (size_t p = 0; p < np; p++)
						insert_after(parents[p], &c);
					free(parents);
					if (!np)
						diag_error(d, path, l->lineno, "the base map writes no %s segment", l->tok[1].s);
				}
			} else if (strcmp(k, "segment") == 0 || strcmp(k, "each") == 0 || strcmp(k, "hl") == 0 ||
				   strcmp(k, "cps") == 0) {
				diag_error(d, path, l->lineno, "an overlay adds blocks with 'after SEGMENT' (where they go)");
			} else {
				parse_header(&L, l);
			}
			i = j;
		}
	}
	if (d->nerrors == before && !overlay) {
		if (!m->kind)
			diag_error(d, path, 0, "no 'source' line: which canonical record kind does the map read?");
		if (!m->type)
			diag_error(d, path, 0, "no 'target' line (target x12 856, target edifact DESADV)");
		else
			check_version(&L);
		if (!m->root.nkids)
			diag_error(d, path, 0, "no 'segment' lines: the map writes nothing");
	} else if (d->nerrors == before) {
		check_version(&L);
	}
	canon_lex_free(lines, nlines);
	if (d->nerrors != before) {
		omap_free(m);
		return NULL;
	}
	return m;
}

/* Load a map. */
int omap_load(struct omap **out, const char *path, struct diag_list *d)
{
	*out = load_file(path, 0, d);
	if (!*out)
		return -EINVAL;
	if (!(*out)->name)
		(*out)->name = xstrdup(path);
	return 0;
}

/* Is the file an outbound map? A cheap look at its target line (an overlay's: its base's). */
static int is_outbound(const char *path, unsigned depth)
{
	struct canon_line *lines = NULL;
	size_t n = 0;
	struct diag_list d;
	diag_list_init(&d);
	canon_lex_file(&lines, &n, path, &d);
	int yes = 0;
	if (n && lines[0].indent == 0 && lines[0].ntok == 2 && strcmp(lines[0].tok[0].s, "extends") == 0 &&
	    depth < OM_MAX_EXTENDS) {
		char *base = path_relative_to(path, lines[0].tok[1].s);
		yes = is_outbound(base, depth + 1);
		free(base);
	}
	for (size_t i = 0; i < n; i++)
		if (lines[i].indent == 0 && lines[i].ntok >= 2 && strcmp(lines[i].tok[0].s, "target") == 0)
			yes = strcmp(lines[i].tok[1].s, "x12") == 0 || strcmp(lines[i].tok[1].s, "edifact") == 0;
	canon_lex_free(lines, n);
	diag_list_free(&d);
	return yes;
}

int omap_is_outbound(const char *path)
{
	return is_outbound(path, 0);
}

/* Paths for map check. */
static void node_paths(const struct om_node *n, const char *base, omap_path_fn fn, void *ctx)
{
	for (size_t i = 0; i < n->nel; i++)
		if (n->el[i].src == OS_PATH || n->el[i].src == OS_COUNT || n->el[i].src == OS_SUM)
			fn(ctx, base, n->el[i].path.text, n->el[i].line);
	for (size_t i = 0; i < n->nkids; i++) {
		const struct om_node *k = n->kids[i];
		if (k->each)
			fn(ctx, base, k->path.text, k->line);
		/* a block's own path joins its base for its children */
		char *nb = NULL;
		if (k->each)
			nb = base ? xasprintf("%s/%s", base, k->path.text) : xstrdup(k->path.text);
		node_paths(k, k->each ? nb : base, fn, ctx);
		free(nb);
	}
}

void omap_paths(const struct omap *m, omap_path_fn fn, void *ctx)
{
	if (m->has_key)
		fn(ctx, NULL, m->key.text, 0);
	node_paths(&m->root, NULL, fn, ctx);
}

/* ---------------------------------------------------------------- rendering */

struct rctx {
	const struct omap *m;
	const char *forbidden;
	struct omap_doc *out;
	struct buf *err;
	struct buf where;        /* "lines/line[2]/acks/ack[1]" */
	size_t index;            /* innermost each position */
	size_t hl;               /* HL01 counter */
	size_t hl_parent;        /* current parent HL01, 0 none */
	int failed;
};

static void doc_push(struct omap_doc *d, struct omap_seg *s)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->segs = xrealloc(d->segs, d->cap * sizeof *d->segs);
	}
	d->segs[d->n++] = *s;
}

static void seg_clear(struct omap_seg *s)
{
	for (size_t i = 0; i < s->nel; i++)
		free(s->el[i]);
	free(s->el);
}

/* Free a rendered document. */
void omap_doc_free(struct omap_doc *d)
{
	for (size_t i = 0; i < d->n; i++)
		seg_clear(&d->segs[i]);
	free(d->segs);
	free(d->key);
	memset(d, 0, sizeof *d);
}

/* Report a data problem, once. */
static void fail(struct rctx *x, const struct om_node *seg, const struct om_elem *e, const char *fmt, ...)
	EDIGW_PRINTF(4, 5);
static void fail(struct rctx *x, const struct om_node *seg, const struct om_elem *e, const char *fmt, ...)
{
	if (x->failed++)
		return;
	va_list ap;
	if (e && e->comp)
		buf_printf(x->err, "%s%02u-%u", seg->id, e->pos, e->comp);
	else if (e)
		buf_printf(x->err, "%s%02u", seg->id, e->pos);
	else
		buf_printf(x->err, "segment %s", seg->id);
	if (x->where.len)
		buf_printf(x->err, " for %s", x->where.data);
	buf_puts(x->err, ": ");
	va_start(ap, fmt);
	buf_vprintf(x->err, fmt, ap);
	va_end(ap);
	buf_printf(x->err, " (map %s:%zu)", e ? e->file : seg->file, e ? e->line : seg->line);
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* ISO date "YYYY-MM-DD[THH:MM[:SS]]" (or "YYYY-MM-DD HH:MM") to the format. */
static int fmt_date(const char *v, const char *f, struct buf *o)
{
	size_t n = strlen(v);
	if (n < 10 || !digits(v, 4) || v[4] != '-' || !digits(v + 5, 2) || v[7] != '-' || !digits(v + 8, 2))
		return -1;
	char hh[3] = "00", mi[3] = "00", ss[3] = "00";
	if (n > 10) {
		if ((v[10] != 'T' && v[10] != ' ') || n < 16 || !digits(v + 11, 2) || v[13] != ':' || !digits(v + 14, 2))
			return -1;
		memcpy(hh, v + 11, 2);
		memcpy(mi, v + 14, 2);
		if (n > 16) {
			if (n != 19 || v[16] != ':' || !digits(v + 17, 2))
				return -1;
			memcpy(ss, v + 17, 2);
		}
	}
	int mo = (v[5] - '0') * 10 + (v[6] - '0'), dd = (v[8] - '0') * 10 + (v[9] - '0');
	if (mo < 1 || mo > 12 || dd < 1 || dd > 31)
		return -1;
	int yy = strcmp(f, "YYMMDD") == 0 || strcmp(f, "101") == 0;
	buf_append(o, yy ? v + 2 : v, yy ? 2 : 4);
	buf_append(o, v + 5, 2);
	buf_append(o, v + 8, 2);
	if (strcmp(f, "CCYYMMDDHHMM") == 0 || strcmp(f, "203") == 0 || strcmp(f, "CCYYMMDDHHMMSS") == 0 ||
	    strcmp(f, "204") == 0) {
		buf_puts(o, hh);
		buf_puts(o, mi);
		if (strcmp(f, "CCYYMMDDHHMMSS") == 0 || strcmp(f, "204") == 0)
			buf_puts(o, ss);
	}
	return 0;
}

/* "HH:MM[:SS]" to HHMM / HHMMSS. */
static int fmt_time(const char *v, const char *f, struct buf *o)
{
	size_t n = strlen(v);
	if ((n != 5 && n != 8) || !digits(v, 2) || v[2] != ':' || !digits(v + 3, 2) ||
	    (n == 8 && (v[5] != ':' || !digits(v + 6, 2))))
		return -1;
	if ((v[0] - '0') * 10 + (v[1] - '0') > 23 || v[3] > '5' || (n == 8 && v[6] > '5'))
		return -1;
	buf_append(o, v, 2);
	buf_append(o, v + 3, 2);
	if (strcmp(f, "HHMMSS") == 0)
		buf_append(o, n == 8 ? v + 6 : "00", 2);
	return 0;
}

/* A canonical decimal: [-]digits[.digits]. Splits it. */
static int split_decimal(const char *v, int *neg, struct span *ip, struct span *fp)
{
	*neg = v[0] == '-';
	const char *s = v + *neg, *dot = strchr(s, '.');
	size_t in = dot ? (size_t)(dot - s) : strlen(s);
	size_t fn = dot ? strlen(dot + 1) : 0;
	if ((!in && !fn) || !digits(s, in) || (dot && (!fn || !digits(dot + 1, fn))))
		return -1;
	*ip = (struct span){ s, in };
	*fp = (struct span){ dot ? dot + 1 : "", fn };
	return 0;
}

/* Decimal to X12 N with ndec implied decimals: 123.4 with N2 is 12340. */
static int fmt_number(const char *v, int ndec, struct buf *o, const char **why)
{
	int neg;
	struct span ip, fp;
	if (split_decimal(v, &neg, &ip, &fp) != 0) {
		*why = "is not a decimal number";
		return -1;
	}
	size_t keep = fp.n;
	while (keep > (size_t)ndec && fp.p[keep - 1] == '0')
		keep--;
	if (keep > (size_t)ndec) {
		*why = "has more decimal places than the element's implied decimals";
		return -1;
	}
	struct buf t;
	buf_init(&t, 0);
	buf_append(&t, ip.p, ip.n);
	buf_append(&t, fp.p, keep);
	for (size_t i = keep; i < (size_t)ndec; i++)
		buf_putc(&t, '0');
	const char *s = t.data ? t.data : "0";
	while (s[0] == '0' && s[1])
		s++;
	if (neg && strcmp(s, "0") != 0)
		buf_putc(o, '-');
	buf_puts(o, s);
	buf_free(&t);
	return 0;
}

/* Decimal as X12 R / EDIFACT n: no leading zeros, no trailing fraction zeros. */
static int fmt_decimal(const char *v, struct buf *o)
{
	int neg;
	struct span ip, fp;
	if (split_decimal(v, &neg, &ip, &fp) != 0)
		return -1;
	/* the digits are contiguous but for the '.' between them */
	struct buf dg;
	buf_init(&dg, ip.n + fp.n);
	buf_append(&dg, ip.p, ip.n);
	buf_append(&dg, fp.p, fp.n);
	decimal_put(o, neg, dg.data ? dg.data : "", dg.len, (long)ip.n);
	buf_free(&dg);
	return 0;
}

struct sum_ctx {
	__int128 total;       /* in millionths */
	int bad;
	struct buf v;
	struct canon_path self; /* "." */
};

/* Add one element's decimal value (at most 6 decimal places) to the total. */
static int sum_cb(void *ctx, xmlNodePtr n)
{
	struct sum_ctx *c = ctx;
	buf_reset(&c->v);
	canon_path_value_into(n, &c->self, &c->v);
	int neg;
	struct span ip, fp;
	if (!c->v.len)
		return 0;
	if (split_decimal(c->v.data, &neg, &ip, &fp) != 0 || fp.n > 6 || ip.n > 18) {
		c->bad = 1;
		return 1;
	}
	__int128 x = 0;
	for (size_t i = 0; i < ip.n; i++)
		x = x * 10 + (ip.p[i] - '0');
	for (size_t i = 0; i < 6; i++)
		x = x * 10 + (i < fp.n ? fp.p[i] - '0' : 0);
	c->total += neg ? -x : x;
	return 0;
}

/* The sum (in millionths) as a canonical decimal. */
static void sum_format(__int128 t, struct buf *o)
{
	int neg = t < 0;
	unsigned __int128 u = neg ? (unsigned __int128)(-(t + 1)) + 1 : (unsigned __int128)t;
	char d[48];
	size_t n = 0;
	do {
		d[sizeof d - ++n] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u && n < sizeof d);
	decimal_put(o, neg, d + sizeof d - n, n, (long)n - 6);
}

/* ASCII for U+00C0..U+00FF (Latin-1 letters), "" where none is sensible. */
static const char *const latin1_ascii[64] = {
	"A", "A", "A", "A", "Ae", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
	"D", "N", "O", "O", "O", "O", "Oe", "x", "O", "U", "U", "U", "Ue", "Y", "Th", "ss",
	"a", "a", "a", "a", "ae", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "oe", "/", "o", "u", "u", "u", "ue", "y", "th", "y",
};

/* Fold UTF-8 text to printable ASCII: Latin-1 letters to their base letters (ü to ue, ß
 * to ss, as German addresses are written without umlauts), typographic quotes and dashes
 * to ' " -, no-break space to space, anything else to '?'. */
static void fold_ascii(struct buf *b)
{
	struct buf o;
	buf_init(&o, b->len);
	const unsigned char *s = (const unsigned char *)(b->data ? b->data : "");
	for (size_t i = 0; i < b->len;) {
		unsigned c = s[i];
		if (c < 0x80) {
			buf_putc(&o, (char)c);
			i++;
			continue;
		}
		size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		unsigned cp = n == 2 ? ((c & 0x1F) << 6) | (s[i + 1] & 0x3F)
			      : n == 3 ? ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F) : 0;
		if (i + n > b->len)
			n = b->len - i;
		if (cp >= 0xC0 && cp <= 0xFF)
			buf_puts(&o, latin1_ascii[cp - 0xC0]);
		else if (cp == 0xA0)
			buf_putc(&o, ' ');
		else if (cp == 0x2018 || cp == 0x2019)
			buf_putc(&o, '\'');
		else if (cp == 0x201C || cp == 0x201D)
			buf_putc(&o, '"');
		else if (cp == 0x2013 || cp == 0x2014)
			buf_putc(&o, '-');
		else
			buf_putc(&o, '?');
		i += n;
	}
	buf_reset(b);
	if (o.len)
		buf_append(b, o.data, o.len);
	buf_free(&o);
}

/* Cut UTF-8 text to at most n characters. */
static void truncate_utf8(struct buf *b, size_t n)
{
	size_t chars = 0, i = 0;
	for (; i < b->len; i++) {
		if (((unsigned char)b->data[i] & 0xC0) != 0x80) {
			if (chars == n)
				break;
			chars++;
		}
	}
	b->len = i;
	if (b->data)
		b->data[i] = '\0';
}

/* Count the HL segments nested below node n that will be written for context at. */
static int will_write_hl(const struct om_node *n, xmlNodePtr at);

static int each_has_hl_cb(void *ctx, xmlNodePtr e)
{
	const struct om_node *n = ctx;
	return will_write_hl(n, e) ? 1 : 0;
}

static int will_write_hl(const struct om_node *n, xmlNodePtr at)
{
	for (size_t i = 0; i < n->nkids; i++) {
		const struct om_node *k = n->kids[i];
		if (k->kind == ON_HL) {
			if (!k->each || canon_path_count(at, &k->path) > 0)
				return 1;
		} else if (k->kind == ON_EACH) {
			if (canon_path_each(at, &k->path, each_has_hl_cb, (void *)k) > 0)
				return 1;
		}
	}
	return 0;
}

/* The value of element e at context node at, into v (empty when none). */
static void elem_value(struct rctx *x, const struct om_node *seg, const struct om_elem *e, xmlNodePtr at,
		       struct buf *v)
{
	buf_reset(v);
	if (e->has_cond) {
		canon_path_value_into(at, &e->cond, v);
		int blank = 1;
		for (size_t k = 0; k < v->len && blank; k++)
			blank = v->data[k] == ' ' || v->data[k] == '\t';
		buf_reset(v);
		if (blank)
			return;
	}
	switch (e->src) {
	case OS_LIT: buf_puts(v, e->lit); return;
	case OS_INDEX: buf_printf(v, "%zu", x->index); return;
	case OS_HLCOUNT: buf_printf(v, "%zu", x->hl); return; /* HL or CPS segments so far */
	case OS_COUNT: buf_printf(v, "%zu", canon_path_count(at, &e->path)); return;
	case OS_SUM: {
		struct sum_ctx c = { 0 };
		const char *why;
		buf_init(&c.v, 0);
		canon_path_parse(&c.self, ".", &why);
		canon_path_each(at, &e->path, sum_cb, &c);
		canon_path_clear(&c.self);
		buf_free(&c.v);
		if (c.bad)
			fail(x, seg, e, "sum(%s): a value is not a decimal number with at most 6 decimal places",
			     e->path.text);
		else
			sum_format(c.total, v);
		return;
	}
	case OS_PATH: break;
	}
	canon_path_value_into(at, &e->path, v);
	/* blanks around a value are not data */
	size_t s = 0, n = v->len;
	while (s < n && (v->data[s] == ' ' || v->data[s] == '\t'))
		s++;
	while (n > s && (v->data[n - 1] == ' ' || v->data[n - 1] == '\t'))
		n--;
	if (s || n != v->len) {
		memmove(v->data, v->data + s, n - s);
		v->len = n - s;
		v->data[v->len] = '\0';
	}
	if (!v->len) {
		if (e->def && strcmp(e->def, "$index") == 0)
			buf_printf(v, "%zu", x->index);
		else if (e->def)
			buf_puts(v, e->def);
		return;
	}
	struct buf o;
	buf_init(&o, 0);
	const char *why = NULL;
	char *val = xstrdup(v->data);
	if (e->table) {
		const struct om_table *t = &x->m->tables[e->table - 1];
		const char *to = NULL;
		for (size_t i = 0; i < t->n && !to; i++)
			if (strcmp(t->e[i].from, val) == 0)
				to = t->e[i].to;
		if (!to && t->other)
			to = strcmp(t->other, "*") == 0 ? val : t->other;
		if (!to)
			fail(x, seg, e, "'%s' is not in code table %s", val, t->name);
		else
			buf_puts(&o, to);
	} else if (e->fmt == OF_DATE) {
		if (fmt_date(val, e->datefmt, &o) != 0)
			fail(x, seg, e, "'%s' is not an ISO date (2026-11-22 or 2026-11-22T14:30)", val);
	} else if (e->fmt == OF_TIME) {
		if (fmt_time(val, e->timefmt, &o) != 0)
			fail(x, seg, e, "'%s' is not a time (14:30 or 14:30:05)", val);
	} else if (e->fmt == OF_NUMBER) {
		if (fmt_number(val, e->ndec, &o, &why) != 0)
			fail(x, seg, e, "'%s' %s (N%d)", val, why, e->ndec);
	} else if (e->fmt == OF_DECIMAL) {
		if (fmt_decimal(val, &o) != 0)
			fail(x, seg, e, "'%s' is not a decimal number", val);
	} else {
		buf_puts(&o, val);
	}
	free(val);
	buf_reset(v);
	if (o.len)
		buf_append(v, o.data, o.len);
	buf_free(&o);
	if (e->ascii)
		fold_ascii(v);
	if (e->truncate)
		truncate_utf8(v, e->truncate);
}

/* Write segment n for context at, if it has data (or is required). */
static void render_seg(struct rctx *x, const struct om_node *n, xmlNodePtr at)
{
	struct omap_seg s = { 0 };
	snprintf(s.id, sizeof s.id, "%s", n->id);
	s.line = n->line;
	struct buf v;
	buf_init(&v, 0);
	int data = n->required || n->nel == 0;
	unsigned maxpos = 0;
	for (size_t i = 0; i < n->nel; i++)
		if (n->el[i].pos > maxpos)
			maxpos = n->el[i].pos;
	char **el = xcalloc(maxpos ? maxpos : 1, sizeof *el);
	/* first pass: does the segment have data? */
	for (size_t i = 0; i < n->nel && !data; i++) {
		const struct om_elem *e = &n->el[i];
		if (e->src != OS_PATH && !e->has_cond)
			continue;
		struct buf t;
		buf_init(&t, 0);
		canon_path_value_into(at, e->has_cond ? &e->cond : &e->path, &t);
		for (size_t k = 0; k < t.len && !data; k++)
			data = t.data[k] != ' ' && t.data[k] != '\t';
		buf_free(&t);
	}
	if (!data)
		goto out;
	for (size_t i = 0; i < n->nel && !x->failed; i++) {
		const struct om_elem *e = &n->el[i];
		elem_value(x, n, e, at, &v);
		if (x->failed)
			break;
		if (!v.len) {
			if (e->required)
				fail(x, n, e, "required, but %s is empty", e->src == OS_PATH ? e->path.text : "the value");
			continue;
		}
		if (x->forbidden) {
			for (size_t k = 0; k < v.len; k++)
				if (v.data[k] && strchr(x->forbidden, v.data[k])) {
					fail(x, n, e, "'%s' holds '%c', a separator of this interchange", v.data,
					     v.data[k]);
					break;
				}
		}
		for (size_t k = 0; k < v.len && !x->failed; k++)
			if ((unsigned char)v.data[k] < 0x20 || v.data[k] == 0x7f || v.data[k] == OMAP_COMP)
				fail(x, n, e, "the value holds a control character (byte 0x%02x)", (unsigned char)v.data[k]);
		if (x->failed)
			break;
		/* place it: element, or a component of it */
		char **slot = &el[e->pos - 1];
		if (!e->comp) {
			*slot = xstrdup(v.data);
			continue;
		}
		/* components are kept as "c1\x1fc2\x1f..."; rebuild with this one at its place */
		struct buf c;
		buf_init(&c, 0);
		const char *old = *slot ? *slot : "";
		unsigned ci = 1;
		const char *p = old;
		for (; ci <= OM_MAX_POS; ci++) {
			const char *q = strchr(p, OMAP_COMP);
			size_t len = q ? (size_t)(q - p) : strlen(p);
			if (ci > 1)
				buf_putc(&c, OMAP_COMP);
			if (ci == e->comp)
				buf_puts(&c, v.data);
			else
				buf_append(&c, p, len);
			if (!q && ci >= e->comp)
				break;
			p = q ? q + 1 : p + len;
		}
		free(*slot);
		*slot = xstrdup(c.data);
		buf_free(&c);
	}
	if (x->failed)
		goto out;
	if (x->out->n == OMAP_MAX_SEGMENTS) {
		fail(x, n, NULL, "more than %d segments", OMAP_MAX_SEGMENTS);
		goto out;
	}
	/* trim trailing empty components and elements */
	size_t nel = maxpos;
	for (size_t i = 0; i < nel; i++) {
		if (!el[i])
			continue;
		size_t len = strlen(el[i]);
		while (len && el[i][len - 1] == OMAP_COMP)
			el[i][--len] = '\0';
	}
	while (nel && (!el[nel - 1] || !el[nel - 1][0]))
		nel--;
	for (size_t i = 0; i < nel; i++)
		if (!el[i])
			el[i] = xstrdup("");
	for (size_t i = nel; i < maxpos; i++) {
		free(el[i]);
		el[i] = NULL;
	}
	s.el = el;
	s.nel = nel;
	el = NULL;
	doc_push(x->out, &s);
out:
	if (el) {
		for (size_t i = 0; i < maxpos; i++)
			free(el[i]);
		free(el);
	}
	buf_free(&v);
}

static void render_kids(struct rctx *x, const struct om_node *n, xmlNodePtr at);

struct each_ctx {
	struct rctx *x;
	const struct om_node *n;
	size_t i;
};

/* One element of an 'each': its position in where, then the block body. */
static void render_one(struct rctx *x, const struct om_node *n, xmlNodePtr at, size_t index)
{
	size_t wlen = x->where.len, saved_index = x->index, saved_parent = x->hl_parent;
	if (n->each) {
		buf_printf(&x->where, "%s%s[%zu]", wlen ? "/" : "", n->path.text, index);
		x->index = index;
	}
	if (n->kind == ON_HL) {
		/* X12: HL*id*parent*code*children; EDIFACT: CPS+id+parent */
		struct omap_seg s = { 0 };
		int edi = x->m->edifact;
		memcpy(s.id, edi ? "CPS" : "HL", edi ? 4 : 3);
		s.line = n->line;
		s.nel = edi ? (x->hl_parent ? 2 : 1) : 4;
		s.el = xcalloc(4, sizeof *s.el);
		x->hl++;
		s.el[0] = xasprintf("%zu", x->hl);
		if (s.nel > 1)
			s.el[1] = x->hl_parent ? xasprintf("%zu", x->hl_parent) : xstrdup("");
		if (!edi) {
			s.el[2] = xstrdup(n->id);
			s.el[3] = xstrdup(will_write_hl(n, at) ? "1" : "0");
		}
		if (x->out->n == OMAP_MAX_SEGMENTS) {
			seg_clear(&s);
			fail(x, n, NULL, "more than %d segments", OMAP_MAX_SEGMENTS);
		} else {
			doc_push(x->out, &s);
		}
		x->hl_parent = x->hl;
	}
	if (!x->failed) {
		if (n->kind == ON_SEG)
			render_seg(x, n, at);
		else
			render_kids(x, n, at);
	}
	x->hl_parent = saved_parent;
	x->index = saved_index;
	x->where.len = wlen;
	if (x->where.data)
		x->where.data[wlen] = '\0';
}

static int each_cb(void *ctx, xmlNodePtr e)
{
	struct each_ctx *c = ctx;
	render_one(c->x, c->n, e, ++c->i);
	return c->x->failed ? 1 : 0;
}

/* Render the children of a block at context at. */
static void render_kids(struct rctx *x, const struct om_node *n, xmlNodePtr at)
{
	for (size_t i = 0; i < n->nkids && !x->failed; i++) {
		const struct om_node *k = n->kids[i];
		if (k->each) {
			struct each_ctx c = { x, k, 0 };
			canon_path_each(at, &k->path, each_cb, &c);
			if (!c.i && k->kind == ON_SEG && k->required)
				fail(x, k, NULL, "required, but there is no %s", k->path.text);
		} else {
			render_one(x, k, at, x->index);
		}
	}
}

/* Render one record. */
int omap_render(const struct omap *m, xmlDocPtr doc, const char *forbidden, struct omap_doc *out,
		struct buf *err)
{
	memset(out, 0, sizeof *out);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		buf_puts(err, "empty record");
		return -EINVAL;
	}
	if (!xmlStrEqual(root->name, (const xmlChar *)m->kind)) {
		buf_printf(err, "map %s reads %s records, not %s", m->file, m->kind, (const char *)root->name);
		return -EINVAL;
	}
	struct rctx x = { .m = m, .forbidden = forbidden, .out = out, .err = err, .index = 1 };
	buf_init(&x.where, 0);
	render_kids(&x, &m->root, root);
	buf_free(&x.where);
	if (!x.failed && !out->n) {
		buf_printf(err, "map %s wrote no segment for this record", m->file);
		x.failed = 1;
	}
	if (x.failed) {
		omap_doc_free(out);
		return -EINVAL;
	}
	if (m->has_key)
		out->key = canon_path_value(root, &m->key);
	return 0;
}

/* ------------------------------------------------------------------ writing */

void omap_write_x12(const struct omap_doc *d, char elem, char comp, char seg, int nl, struct buf *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct omap_seg *s = &d->segs[i];
		buf_puts(out, s->id);
		for (size_t k = 0; k < s->nel; k++) {
			buf_putc(out, elem);
			for (const char *p = s->el[k]; *p; p++)
				buf_putc(out, *p == OMAP_COMP ? comp : *p);
		}
		buf_putc(out, seg);
		if (nl)
			buf_putc(out, '\n');
	}
}

int omap_write_edifact(const struct omap_doc *d, struct edi_writer *w, struct buf *out, struct buf *err)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct omap_seg *s = &d->segs[i];
		edi_writer_seg(w, s->id);
		for (size_t k = 0; k < s->nel; k++) {
			const char *p = s->el[k];
			const char *q = strchr(p, OMAP_COMP);
			if (!q) {
				edi_writer_elem(w, p);
				continue;
			}
			edi_writer_elem_n(w, p, (size_t)(q - p));
			while (q) {
				p = q + 1;
				q = strchr(p, OMAP_COMP);
				edi_writer_comp_n(w, p, q ? (size_t)(q - p) : strlen(p));
			}
		}
		int rc = edi_writer_seg_end(w, out);
		if (rc < 0) {
			buf_printf(err, "segment %s (map line %zu): %s", s->id, s->line, edi_writer_error(w));
			return rc;
		}
	}
	return 0;
}
