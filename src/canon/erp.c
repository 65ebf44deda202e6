/*
 * erp.c — ERP profiles: how canonical records become the ERP's import
 * files. A profile is a map file whose source is a canonical record kind
 * and whose target is a flat format; this version writes CSV (RFC 4180)
 * with one record type per canonical context ("once" for the record,
 * "each PATH" for every list element). doc/edigw-map.5, "ERP profiles".
 *
 * Ownership: a profile owns its columns and compiled paths; erp_render
 * appends to the caller's buffer and only when the whole record rendered.
 * Output is deterministic: the same record gives the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "canon/canon_lex.h"
#include "canon/canon_path.h"

#define ERP_MAX_RECORDS 32  /* record types per profile */
#define ERP_MAX_COLUMNS 512 /* columns per record type */

struct erp_column {
	size_t line;
	char *literal;          /* a "quoted" constant, or NULL */
	struct canon_path path; /* otherwise: where the value comes from */
	int required;
	char *def;              /* default when empty, or NULL */
};

struct erp_record {
	size_t line;
	char *label;
	int each;               /* 0: once per record; 1: once per element at path */
	struct canon_path path;
	struct erp_column *cols;
	size_t ncols;
	size_t indent;          /* of its column lines */
};

struct erp_profile {
	char *file;
	char *name;
	char *kind;             /* source: canonical record kind */
	char *format;           /* target: "csv" */
	char delim;
	int crlf;
	struct erp_record *recs;
	size_t nrecs;
};

/* Free a profile. */
void erp_profile_free(struct erp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nrecs; i++) {
		struct erp_record *r = &p->recs[i];
		for (size_t k = 0; k < r->ncols; k++) {
			free(r->cols[k].literal);
			free(r->cols[k].def);
			canon_path_clear(&r->cols[k].path);
		}
		free(r->cols);
		free(r->label);
		canon_path_clear(&r->path);
	}
	free(p->recs);
	free(p->file);
	free(p->name);
	free(p->kind);
	free(p->format);
	free(p);
}

/* Record kind the profile reads. */
const char *erp_profile_kind(const struct erp_profile *p)
{
	return p->kind;
}

/* Output file name extension. */
const char *erp_profile_extension(const struct erp_profile *p)
{
	return p->format;
}

/* Every canonical path the profile reads. */
void erp_profile_paths(const struct erp_profile *p, erp_path_fn fn, void *ctx)
{
	for (size_t i = 0; i < p->nrecs; i++) {
		const struct erp_record *r = &p->recs[i];
		const char *base = r->each ? r->path.text : NULL;
		if (base)
			fn(ctx, base, NULL, r->line);
		for (size_t k = 0; k < r->ncols; k++)
			if (!r->cols[k].literal)
				fn(ctx, base, r->cols[k].path.text, r->cols[k].line);
	}
}

/* A header directive with exactly one argument. */
static int one_arg(const struct canon_line *l, const char *file, struct diag_list *d)
{
	if (l->ntok != 2) {
		diag_error(d, file, l->lineno, "'%s' takes exactly one value", l->tok[0].s);
		return 0;
	}
	return 1;
}

/* Parse one column line into the current record. */
static void parse_column(struct erp_profile *p, struct erp_record *r, const struct canon_line *l,
			 struct diag_list *d)
{
	if (r->ncols == ERP_MAX_COLUMNS) {
		diag_error(d, p->file, l->lineno, "too many columns in record %s (at most %d)",
			   r->label, ERP_MAX_COLUMNS);
		return;
	}
	struct erp_column c = { 0 };
	c.line = l->lineno;
	int ok = 1;
	if (l->tok[0].quoted) {
		c.literal = xstrdup(l->tok[0].s);
	} else {
		const char *why;
		if (canon_path_parse(&c.path, l->tok[0].s, &why) != 0) {
			diag_error(d, p->file, l->lineno, "bad canonical path '%s': %s", l->tok[0].s, why);
			ok = 0;
		}
	}
	for (size_t i = 1; i < l->ntok; i++) {
		const char *o = l->tok[i].s;
		if (strcmp(o, "required") == 0 && !l->tok[i].quoted) {
			c.required = 1;
		} else if (strcmp(o, "default") == 0 && !l->tok[i].quoted) {
			if (i + 1 >= l->ntok) {
				diag_error(d, p->file, l->lineno, "'default' needs a value");
				ok = 0;
				break;
			}
			free(c.def);
			c.def = xstrdup(l->tok[++i].s);
		} else {
			diag_error(d, p->file, l->lineno,
				   "unknown column option '%s' (expected required or default VALUE)", o);
			ok = 0;
		}
	}
	if (c.literal && (c.required || c.def)) {
		diag_error(d, p->file, l->lineno, "a constant column takes no options");
		ok = 0;
	}
	if (!ok) {
		free(c.literal);
		free(c.def);
		canon_path_clear(&c.path);
		return;
	}
	r->cols = xrealloc(r->cols, (r->ncols + 1) * sizeof *r->cols);
	r->cols[r->ncols++] = c;
}

/* Parse "record LABEL once" / "record LABEL each PATH". */
static struct erp_record *parse_record(struct erp_profile *p, const struct canon_line *l,
				       struct diag_list *d)
{
	const char *file = p->file;
	if (p->nrecs == ERP_MAX_RECORDS) {
		diag_error(d, file, l->lineno, "too many record types (at most %d)", ERP_MAX_RECORDS);
		return NULL;
	}
	struct erp_record r = { 0 };
	r.line = l->lineno;
	if (l->ntok < 3) {
		diag_error(d, file, l->lineno, "write 'record LABEL once' or 'record LABEL each PATH'");
		return NULL;
	}
	if (strcmp(l->tok[2].s, "once") == 0 && l->ntok == 3) {
		r.each = 0;
	} else if (strcmp(l->tok[2].s, "each") == 0 && l->ntok == 4) {
		const char *why;
		r.each = 1;
		if (canon_path_parse(&r.path, l->tok[3].s, &why) != 0) {
			diag_error(d, file, l->lineno, "bad canonical path '%s': %s", l->tok[3].s, why);
			return NULL;
		}
		if (r.path.attr || r.path.nsteps == 0) {
			diag_error(d, file, l->lineno, "'each' needs a path to elements, not '%s'",
				   l->tok[3].s);
			canon_path_clear(&r.path);
			return NULL;
		}
	} else {
		diag_error(d, file, l->lineno, "write 'record LABEL once' or 'record LABEL each PATH'");
		return NULL;
	}
	for (size_t i = 0; i < p->nrecs; i++)
		if (strcmp(p->recs[i].label, l->tok[1].s) == 0) {
			diag_error(d, file, l->lineno, "duplicate record %s (first at line %zu)",
				   l->tok[1].s, p->recs[i].line);
			canon_path_clear(&r.path);
			return NULL;
		}
	r.label = xstrdup(l->tok[1].s);
	p->recs = xrealloc(p->recs, (p->nrecs + 1) * sizeof *p->recs);
	p->recs[p->nrecs] = r;
	return &p->recs[p->nrecs++];
}

/* Load a profile. */
int erp_profile_load(struct erp_profile **out, const char *path, struct diag_list *d)
{
	*out = NULL;
	struct canon_line *lines = NULL;
	size_t nlines = 0;
	size_t before = d->nerrors;
	canon_lex_file(&lines, &nlines, path, d);
	struct erp_profile *p = xcalloc(1, sizeof *p);
	p->file = xstrdup(path);
	p->delim = ',';
	p->crlf = 1;
	struct erp_record *cur = NULL;
	int bad_record = 0; /* columns after a record line that failed */
	for (size_t i = 0; i < nlines; i++) {
		const struct canon_line *l = &lines[i];
		const char *k = l->tok[0].s;
		if (l->indent > 0) {
			if (!cur) {
				if (!bad_record)
					diag_error(d, path, l->lineno,
						   "a column outside a record (write 'record LABEL once' first)");
				continue;
			}
			if (cur->indent == 0)
				cur->indent = l->indent;
			else if (l->indent != cur->indent) {
				diag_error(d, path, l->lineno,
					   "bad indentation: columns of record %s are indented by %zu spaces",
					   cur->label, cur->indent);
				continue;
			}
			parse_column(p, cur, l, d);
			continue;
		}
		if (l->tok[0].quoted) {
			diag_error(d, path, l->lineno, "a column must be indented under its record");
			continue;
		}
		if (strcmp(k, "record") == 0) {
			cur = parse_record(p, l, d);
			bad_record = cur == NULL;
			continue;
		}
		cur = NULL;
		bad_record = 0;
		if (strcmp(k, "map") == 0) {
			if (one_arg(l, path, d)) {
				free(p->name);
				p->name = xstrdup(l->tok[1].s);
			}
		} else if (strcmp(k, "source") == 0) {
			if (one_arg(l, path, d)) {
				free(p->kind);
				p->kind = xstrdup(l->tok[1].s);
			}
		} else if (strcmp(k, "target") == 0) {
			if (one_arg(l, path, d)) {
				if (strcmp(l->tok[1].s, "csv") != 0)
					diag_error(d, path, l->lineno,
						   "target '%s' is not supported (this version writes csv)",
						   l->tok[1].s);
				free(p->format);
				p->format = xstrdup(l->tok[1].s);
			}
		} else if (strcmp(k, "delimiter") == 0) {
			if (!one_arg(l, path, d))
				continue;
			const char *v = l->tok[1].s;
			if (strcmp(v, "tab") == 0)
				p->delim = '\t';
			else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\r' && v[0] != '\n' &&
				 (unsigned char)v[0] >= 0x20 && (unsigned char)v[0] < 0x7f)
				p->delim = v[0];
			else
				diag_error(d, path, l->lineno,
					   "delimiter must be one printable character other than '\"', or tab");
		} else if (strcmp(k, "line-ending") == 0) {
			if (!one_arg(l, path, d))
				continue;
			if (strcmp(l->tok[1].s, "crlf") == 0)
				p->crlf = 1;
			else if (strcmp(l->tok[1].s, "lf") == 0)
				p->crlf = 0;
			else
				diag_error(d, path, l->lineno, "line-ending is crlf or lf, not '%s'",
					   l->tok[1].s);
		} else {
			diag_error(d, path, l->lineno,
				   "unknown directive '%s' (expected map, source, target, delimiter, "
				   "line-ending or record)", k);
		}
	}
	if (d->nerrors == before) {
		if (!p->kind)
			diag_error(d, path, 0, "no 'source' line: which record kind does the profile read?");
		if (!p->format)
			diag_error(d, path, 0, "no 'target' line (target csv)");
		if (p->nrecs == 0)
			diag_error(d, path, 0, "no 'record' lines: the profile writes nothing");
		for (size_t i = 0; i < p->nrecs; i++)
			if (p->recs[i].ncols == 0)
				diag_error(d, path, p->recs[i].line, "record %s has no columns",
					   p->recs[i].label);
	}
	canon_lex_free(lines, nlines);
	if (d->nerrors != before) {
		erp_profile_free(p);
		return -EINVAL;
	}
	if (!p->name)
		p->name = xstrdup(path);
	*out = p;
	return 0;
}

/* One CSV field, quoted per RFC 4180 when it holds the delimiter, a quote, CR or LF. */
static void put_field(struct buf *b, const char *v, char delim)
{
	int q = 0;
	for (const char *s = v; *s; s++)
		if (*s == delim || *s == '"' || *s == '\r' || *s == '\n')
			q = 1;
	if (!q) {
		buf_puts(b, v);
		return;
	}
	buf_putc(b, '"');
	for (const char *s = v; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

struct render {
	const struct erp_profile *p;
	const struct erp_record *r;
	struct buf *out;
	struct buf *err;
	size_t index; /* 1-based element number for messages */
	struct buf val; /* the current field's value */
};

/* Write one row for context node n. */
static int render_row(void *ctx, xmlNodePtr n)
{
	struct render *x = ctx;
	const struct erp_record *r = x->r;
	struct buf *v = &x->val;
	x->index++;
	for (size_t i = 0; i < r->ncols; i++) {
		const struct erp_column *c = &r->cols[i];
		buf_reset(v);
		if (c->literal)
			buf_puts(v, c->literal);
		else
			canon_path_value_into(n, &c->path, v);
		if (!v->len && c->def)
			buf_puts(v, c->def);
		if (!v->len && c->required) {
			if (r->each)
				buf_printf(x->err,
					   "record %s for %s number %zu: required field %s is empty "
					   "(ERP profile %s:%zu)",
					   r->label, r->path.text, x->index, c->path.text, x->p->file,
					   c->line);
			else
				buf_printf(x->err,
					   "record %s: required field %s is empty (ERP profile %s:%zu)",
					   r->label, c->path.text, x->p->file, c->line);
			return -EINVAL;
		}
		if (i)
			buf_putc(x->out, x->p->delim);
		put_field(x->out, v->data ? v->data : "", x->p->delim);
	}
	buf_puts(x->out, x->p->crlf ? "\r\n" : "\n");
	return 0;
}

/* Render one record into out. */
int erp_render(const struct erp_profile *p, xmlDocPtr doc, struct buf *out, struct buf *err)
{
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		buf_puts(err, "empty record");
		return -EINVAL;
	}
	if (!xmlStrEqual(root->name, (const xmlChar *)p->kind)) {
		buf_printf(err, "ERP profile %s reads %s records, not %s", p->file, p->kind,
			   (const char *)root->name);
		return -EINVAL;
	}
	struct buf tmp;
	buf_init(&tmp, 0);
	int rc = 0;
	for (size_t i = 0; i < p->nrecs && rc == 0; i++) {
		struct render x = { p, &p->recs[i], &tmp, err, 0, { 0 } };
		buf_init(&x.val, 0);
		if (p->recs[i].each)
			rc = canon_path_each(root, &p->recs[i].path, render_row, &x);
		else
			rc = render_row(&x, root);
		buf_free(&x.val);
	}
	if (rc == 0)
		rc = buf_append(out, tmp.data ? tmp.data : "", tmp.len);
	buf_free(&tmp);
	return rc;
}

/* Render a record, a failure as an application finding. */
int erp_render_checked(const struct erp_profile *p, xmlDocPtr doc, struct buf *out, struct x12_errlist *errs)
{
	struct buf err;
	size_t len = out->len;
	buf_init(&err, 0);
	int rc = erp_render(p, doc, out, &err) < 0 ? -1 : 0;
	if (rc < 0) {
		x12_errlist_add_app(errs, "ERP profile", err.data ? err.data : "cannot render the record");
		out->len = len;
		if (out->data)
			out->data[len] = '\0';
	}
	buf_free(&err);
	return rc;
}
