/*
 * map_check.c — lint a map against the canonical schema (map_check):
 * every target must name an element or attribute the RELAX NG schema
 * allows in the record kind, and every field the schema requires must be
 * set by some line of the map.
 *
 * The schema (doc/canonical.rng) is read as plain XML (XML_PARSE_NONET)
 * and walked from its start pattern: element and attribute patterns make
 * a tree of names; anything under optional, zeroOrMore or choice is not
 * required; refs are followed through their defines. The walk goes as deep
 * as a canonical path can reach (CANON_PATH_MAX_STEPS elements below the
 * record), expands at most SCHEMA_MAX_REFS nested refs and knows at most
 * SCHEMA_MAX_NODES names in all.
 * Elements marked a:set-by="gateway" (urn:edigw:schema-annotations:1) are
 * filled by the gateway, not by maps, and never reported as unset.
 *
 * An ERP profile given to map_check (its source line names a record kind)
 * is loaded as one, and the canonical paths its columns read are checked
 * the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "canon/canon.h"
#include "canon/canon_lex.h"
#include "canon/outmap.h"
#include "map/map_int.h"

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
#define ANN_NS "urn:edigw:schema-annotations:1"
#define SCHEMA_MAX_DEPTH (CANON_PATH_MAX_STEPS + 1) /* + 1: attributes of the deepest */
#define SCHEMA_MAX_NODES 20000
#define SCHEMA_MAX_REFS 256

struct snode {
	char *name;             /* element name, or "@name" for an attribute */
	int required;
	int gateway;
	int set;
	const char *set_file;
	size_t set_line;
	struct snode **kids;
	size_t nkids;
	struct snode *parent;   /* NULL for the record (and the schema's top) */
};

struct swalk {
	xmlNodePtr grammar;
	size_t nodes;
	int overflow;
	const xmlChar *expanding[SCHEMA_MAX_REFS];
	size_t nexp;
};

/* Free a schema name tree. */
static void snode_free(struct snode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		snode_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n);
}

/* The child named name, or NULL. */
static struct snode *snode_kid(const struct snode *n, const char *name)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (strcmp(n->kids[i]->name, name) == 0)
			return n->kids[i];
	return NULL;
}

/* The child named name (created, or merged with one of the same name). */
static struct snode *snode_add(struct swalk *w, struct snode *p, const char *name, int required)
{
	struct snode *k = snode_kid(p, name);
	if (k) {
		k->required |= required;
		return k;
	}
	if (++w->nodes > SCHEMA_MAX_NODES) {
		w->overflow = 1;
		return NULL;
	}
	k = xcalloc(1, sizeof *k);
	k->name = xstrdup(name);
	k->required = required;
	k->parent = p;
	p->kids = xrealloc(p->kids, (p->nkids + 1) * sizeof *p->kids);
	p->kids[p->nkids++] = k;
	return k;
}

/* n is the RELAX NG pattern element name. */
static int is_rng(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, (const xmlChar *)RNG_NS) &&
	       xmlStrEqual(n->name, (const xmlChar *)name);
}

static void walk_children(struct swalk *w, xmlNodePtr pat, struct snode *p, int required, int depth);

/* The define named name in the grammar, or NULL. */
static xmlNodePtr find_define(struct swalk *w, const xmlChar *name)
{
	for (xmlNodePtr c = w->grammar->children; c; c = c->next) {
		if (!is_rng(c, "define"))
			continue;
		xmlChar *n = xmlGetProp(c, (const xmlChar *)"name");
		int hit = n && xmlStrEqual(n, name);
		xmlFree(n);
		if (hit)
			return c;
	}
	return NULL;
}

/* Walk one pattern. */
static void walk(struct swalk *w, xmlNodePtr pat, struct snode *p, int required, int depth)
{
	if (pat->type != XML_ELEMENT_NODE || w->overflow || depth > SCHEMA_MAX_DEPTH)
		return;
	if (is_rng(pat, "element") || is_rng(pat, "attribute")) {
		int attr = is_rng(pat, "attribute");
		xmlChar *name = xmlGetProp(pat, (const xmlChar *)"name");
		if (!name)
			return; /* name classes (anyName...) are not used by canonical.rng */
		char *key = attr ? xasprintf("@%s", (const char *)name) : xstrdup((const char *)name);
		xmlFree(name);
		struct snode *k = snode_add(w, p, key, required);
		free(key);
		if (!k)
			return;
		xmlChar *by = xmlGetNsProp(pat, (const xmlChar *)"set-by", (const xmlChar *)ANN_NS);
		if (by && xmlStrEqual(by, (const xmlChar *)"gateway"))
			k->gateway = 1;
		xmlFree(by);
		if (!attr)
			walk_children(w, pat, k, 1, depth + 1);
		return;
	}
	if (is_rng(pat, "optional") || is_rng(pat, "zeroOrMore") || is_rng(pat, "choice")) {
		walk_children(w, pat, p, 0, depth);
		return;
	}
	if (is_rng(pat, "oneOrMore") || is_rng(pat, "group") || is_rng(pat, "interleave") ||
	    is_rng(pat, "mixed")) {
		walk_children(w, pat, p, required, depth);
		return;
	}
	if (is_rng(pat, "ref")) {
		xmlChar *name = xmlGetProp(pat, (const xmlChar *)"name");
		if (!name)
			return;
		for (size_t i = 0; i < w->nexp; i++)
			if (xmlStrEqual(w->expanding[i], name)) {
				xmlFree(name); /* recursive define: walked once per path */
				return;
			}
		xmlNodePtr def = find_define(w, name);
		if (def && w->nexp < sizeof w->expanding / sizeof w->expanding[0]) {
			w->expanding[w->nexp++] = name;
			walk_children(w, def, p, required, depth);
			w->nexp--;
		}
		xmlFree(name);
	}
}

/* Walk every child pattern of pat. */
static void walk_children(struct swalk *w, xmlNodePtr pat, struct snode *p, int required, int depth)
{
	for (xmlNodePtr c = pat->children; c; c = c->next)
		walk(w, c, p, required, depth);
}

/* Read the schema and build the name tree of record kind (NULL on errors, reported). */
static struct snode *load_schema(const char *rng, const char *kind, struct diag_list *d)
{
	struct snode *top = NULL, *rec = NULL;
	if (access(rng, R_OK) != 0) {
		diag_error(d, rng, 0, "cannot read the canonical schema: %s", strerror(errno));
		return NULL;
	}
	xmlParserCtxtPtr ctx = xmlNewParserCtxt();
	if (!ctx)
		return NULL;
	xmlDocPtr doc = xmlCtxtReadFile(ctx, rng, NULL,
					XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctx);
		diag_error(d, rng, e ? (size_t)(e->line > 0 ? e->line : 0) : 0,
			   "cannot read the canonical schema: %s",
			   e && e->message ? e->message : "no such file or not XML");
		goto out;
	}
	xmlNodePtr g = xmlDocGetRootElement(doc);
	if (!g || !is_rng(g, "grammar")) {
		diag_error(d, rng, 0, "not a RELAX NG grammar (XML syntax)");
		goto out;
	}
	struct swalk w = { 0 };
	w.grammar = g;
	top = xcalloc(1, sizeof *top);
	top->name = xstrdup("");
	for (xmlNodePtr c = g->children; c; c = c->next)
		if (is_rng(c, "start"))
			walk_children(&w, c, top, 1, 0);
	if (w.overflow) {
		diag_error(d, rng, 0, "the schema is too large to check (more than %d names)",
			   SCHEMA_MAX_NODES);
		goto out;
	}
	struct snode *k = snode_kid(top, kind);
	if (!k) {
		diag_error(d, rng, 0, "the canonical schema has no record kind '%s'", kind);
		goto out;
	}
	/* detach the record's tree */
	for (size_t i = 0; i < top->nkids; i++)
		if (top->kids[i] == k)
			top->kids[i] = NULL;
	k->parent = NULL;
	rec = k;
out:
	if (top) {
		for (size_t i = 0; i < top->nkids; i++)
			snode_free(top->kids[i]);
		free(top->kids);
		free(top->name);
		free(top);
	}
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctx);
	return rec;
}

/* The map sets n (first at f's line). */
static void mark(struct snode *n, const struct mfield *f)
{
	if (!n->set) {
		n->set = 1;
		n->set_file = f->file;
		n->set_line = f->line;
	}
}

/* Follow a canonical path from n; NULL (and *bad set to the missing name) when unknown. */
static struct snode *follow(struct snode *rec, struct snode *n, const struct canon_path *p,
			    const struct mfield *f, int set, const char **bad)
{
	if (p->absolute)
		n = rec;
	for (unsigned i = 0; i < p->up; i++) {
		if (n == rec || !n->parent) {
			*bad = "..";
			return NULL;
		}
		n = n->parent;
	}
	for (size_t i = 0; i < p->nsteps; i++) {
		struct snode *k = snode_kid(n, (const char *)p->steps[i].name);
		if (!k) {
			*bad = (const char *)p->steps[i].name;
			return NULL;
		}
		if (set)
			mark(k, f);
		if (p->steps[i].pattr) {
			char *an = xasprintf("@%s", (const char *)p->steps[i].pattr);
			struct snode *a = snode_kid(k, an);
			free(an);
			if (!a) {
				*bad = (const char *)p->steps[i].pattr;
				return NULL;
			}
			if (set)
				mark(a, f);
		}
		n = k;
	}
	if (p->attr) {
		char *an = xasprintf("@%s", (const char *)p->attr);
		struct snode *a = snode_kid(n, an);
		free(an);
		if (!a) {
			*bad = (const char *)p->attr;
			return NULL;
		}
		if (set)
			mark(a, f);
	}
	return n;
}

/* Check the targets of a block whose elements are schema node n. */
static void check_block(const struct map *m, const struct mblock *b, struct snode *rec,
			struct snode *n, const char *rng, struct diag_list *d)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct mfield *f = b->v[i];
		const char *bad = NULL;
		struct snode *t = follow(rec, n, &f->tpath, f, 1, &bad);
		if (!t) {
			diag_error(d, f->file, f->line,
				   "unknown canonical field %s: %s records have no '%s' there (%s)",
				   f->target, m->kind, bad, rng);
			continue;
		}
		if (f->check) {
			struct snode *c = follow(rec, n, &f->chk, f, 0, &bad);
			if (!c)
				diag_error(d, f->file, f->line,
					   "unknown canonical field %s in check: %s records have no '%s' "
					   "there (%s)", f->chk.text, m->kind, bad, rng);
		}
		if (f->block)
			check_block(m, f->block, rec, t, rng, d);
	}
}

/* Report required children of n that nothing sets. */
static void check_required(const struct map *m, const struct snode *n, const char *path,
			   const char *file, size_t line, struct diag_list *d)
{
	for (size_t i = 0; i < n->nkids; i++) {
		const struct snode *k = n->kids[i];
		if (k->gateway)
			continue;
		char *kp = path[0] ? xasprintf("%s/%s", path, k->name) : xstrdup(k->name);
		if (k->required && !k->set)
			diag_error(d, file, line,
				   "required canonical field %s is never set by the map (%s records "
				   "need it)", kp, m->kind);
		else if (k->set)
			check_required(m, k, kp, k->set_file, k->set_line, d);
		free(kp);
	}
}

/* An ERP profile rather than a map: its source line names a record kind only. */
static int is_profile(const char *path)
{
	struct diag_list tmp;
	diag_list_init(&tmp);
	struct canon_line *v = NULL;
	size_t n = 0;
	canon_lex_file(&v, &n, path, &tmp);
	int yes = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].indent == 0 && !v[i].tok[0].quoted && strcmp(v[i].tok[0].s, "source") == 0) {
			yes = v[i].ntok == 2;
			break;
		}
	canon_lex_free(v, n);
	diag_list_free(&tmp);
	return yes;
}

struct colctx {
	struct snode *rec;
	const char *file, *rng, *kind;
	struct diag_list *d;
};

/* Check one path an ERP profile reads. */
static void check_column(void *ctx, const char *base, const char *path, size_t line)
{
	struct colctx *c = ctx;
	struct canon_path bp, cp;
	const char *why, *bad = NULL;
	struct snode *at = c->rec;
	int have_bp = 0;
	if (base) {
		if (canon_path_parse(&bp, base, &why) != 0)
			return; /* reported by erp_profile_load */
		have_bp = 1;
		at = follow(c->rec, c->rec, &bp, NULL, 0, &bad);
		if (!at) {
			if (!path)
				diag_error(c->d, c->file, line,
					   "unknown canonical field %s: %s records have no '%s' there (%s)",
					   base, c->kind, bad, c->rng);
			goto out;
		}
	}
	if (path && canon_path_parse(&cp, path, &why) == 0) {
		if (!follow(c->rec, at, &cp, NULL, 0, &bad))
			diag_error(c->d, c->file, line,
				   "unknown canonical field %s: %s records have no '%s' there (%s)", path,
				   c->kind, bad, c->rng);
		canon_path_clear(&cp);
	}
out:
	if (have_bp)
		canon_path_clear(&bp);
}

/* Check an ERP profile: syntax, then the canonical paths it reads. */
static int check_profile(const char *path, const char *rng_path, struct diag_list *d)
{
	size_t before = d->nerrors;
	struct erp_profile *p = NULL;
	if (erp_profile_load(&p, path, d) != 0 || !p)
		return -EINVAL;
	if (rng_path) {
		struct snode *rec = load_schema(rng_path, erp_profile_kind(p), d);
		if (rec) {
			struct colctx c = { rec, path, rng_path, erp_profile_kind(p), d };
			erp_profile_paths(p, check_column, &c);
			snode_free(rec);
		}
	}
	erp_profile_free(p);
	return d->nerrors != before ? -EINVAL : 0;
}

/* Check an outbound map (canonical -> X12/EDIFACT): syntax, then the canonical paths
 * it reads. */
static int check_outmap(const char *path, const char *rng_path, struct diag_list *d)
{
	size_t before = d->nerrors;
	struct omap *m = NULL;
	if (omap_load(&m, path, d) != 0 || !m)
		return -EINVAL;
	if (rng_path) {
		struct snode *rec = load_schema(rng_path, omap_kind(m), d);
		if (rec) {
			struct colctx c = { rec, path, rng_path, omap_kind(m), d };
			omap_paths(m, check_column, &c);
			snode_free(rec);
		}
	}
	omap_free(m);
	return d->nerrors != before ? -EINVAL : 0;
}

/* Lint a map file (or an ERP profile), with the canonical schema when given. */
int map_check(const char *path, const char *rng_path, struct diag_list *d)
{
	size_t before = d->nerrors;
	struct map *m = NULL;
	if (omap_is_outbound(path))
		return check_outmap(path, rng_path, d);
	if (is_profile(path))
		return check_profile(path, rng_path, d);
	if (map_load(&m, path, d) != 0 || !m)
		return -EINVAL;
	if (rng_path) {
		struct snode *rec = load_schema(rng_path, m->kind, d);
		if (rec) {
			check_block(m, &m->root, rec, rec, rng_path, d);
			check_required(m, rec, "", m->target_file ? m->target_file : path,
				       m->target_line, d);
			snode_free(rec);
		}
	}
	map_free(m);
	return d->nerrors != before ? -EINVAL : 0;
}
