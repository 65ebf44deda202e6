/*
 * gateway_csv.c — the flat-file path of one job: a partner whose profile says
 * csv.document = NAME sends delimited files (a 3PL's shipment confirmation), one
 * with fixed.document = NAME fixed-width files, one with xml.document = NAME XML
 * documents; a job of that partner that is neither X12 nor EDIFACT is read as
 * XML when it starts with '<' (after a BOM and blanks) and the partner has
 * xml.document, else as CSV (the partner's csv.* options) or fixed-width lines
 * (fixed.encoding), mapped with document.NAME's map (one canonical record per
 * group), checked against canonical.rng and written through
 * the ERP profile of its kind — the same staged ERP files, ledger rows and
 * commit order as X12, and no acknowledgment (flat files have none).
 *
 * Functions: gw_is_csv (is this job one of the partner's flat files; the name is
 * the gateway's older one), gw_process_csv (read, map and record it, whatever
 * its kind).
 *
 * Bad rows (partner setting flat.bad-row, doc/edigw.conf.5). A bad row is a row
 * the reader could split but not use (a short or long CSV row) or one a map
 * finding names inside an each block (a required field empty, a bad date or
 * number on that row). Findings that are no single row's fault (a top-level
 * field, which reads the record's first row; a check total; a column the
 * header lacks) are the record's.
 *   reject-file (default): any bad row or bad record refuses the whole file:
 *     nothing is written, the job fails and its reason names every problem
 *     with its file line (and column), each also a ledger event.
 *   reject-row: a bad row is left out of its record (a warning event with
 *     line, column and why); the record is mapped again without it and goes
 *     on; a record with a record-level finding is rejected, the others of the
 *     file go on; a record whose rows are all bad is not written.
 * A file the reader cannot read (an unclosed quote, bytes not in the declared
 * encoding, XML that is not well-formed or declares entities, a limit) is always
 * refused as a whole with line and column. XML documents have no rows: under
 * reject-row a bad record is rejected and the others go on.
 *
 * Limits: the file is read up to the partner's limit.max-file-size; the readers
 * apply theirs (src/flat); at most FLAT_MAX_EVENTS problem events per job (the
 * rest are counted in one more), at most FLAT_REASON_ITEMS problems spelled out
 * in a job's reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flat/csv.h"
#include "flat/fixed.h"
#include "flat/xmldoc.h"
#include "gateway/gateway_int.h"

#define FLAT_MAX_EVENTS 100   /* problem events per job; the rest are counted */
#define FLAT_REASON_ITEMS 10  /* problems spelled out in a job's failure reason */

/* Whether a job of partner p is one of its flat files: p has csv.document,
 * fixed.document or xml.document and the data does not start like X12 or EDIFACT. */
int gw_is_csv(const struct cfg_partner *p, const char *sniffed)
{
	return p && (p->csv_document[0] || p->fixed_document[0] || p->xml_document[0]) &&
	       strcmp(sniffed, "x12") != 0 && strcmp(sniffed, "edifact") != 0;
}

/* ------------------------------------------------------------ problems */

/* One bad row or bad record: its file line (0: none) and what is wrong. */
struct problem {
	uint64_t line;
	char *text;
};

struct problems {
	struct problem *v;
	size_t n, cap;
};

/* Add a problem (text taken over). */
static void problems_add(struct problems *ps, uint64_t line, char *text)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->v = xrealloc(ps->v, ps->cap * sizeof *ps->v);
	}
	ps->v[ps->n++] = (struct problem){ line, text };
}

/* Free every problem. */
static void problems_free(struct problems *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i].text);
	free(ps->v);
	memset(ps, 0, sizeof *ps);
}

/* Order by line (no line last), then by text. */
static int problem_cmp(const void *x, const void *y)
{
	const struct problem *a = x, *b = y;
	if (a->line != b->line) {
		if (!a->line || !b->line)
			return a->line ? -1 : 1;
		return a->line < b->line ? -1 : 1;
	}
	return strcmp(a->text, b->text);
}

/* Sort and drop repeats (a file header's finding is found once per record). */
static void problems_sort_unique(struct problems *ps)
{
	if (ps->n > 1)
		qsort(ps->v, ps->n, sizeof *ps->v, problem_cmp);
	size_t o = 0;
	for (size_t i = 0; i < ps->n; i++) {
		if (o && ps->v[o - 1].line == ps->v[i].line && strcmp(ps->v[o - 1].text, ps->v[i].text) == 0) {
			free(ps->v[i].text);
			continue;
		}
		ps->v[o++] = ps->v[i];
	}
	ps->n = o;
}

/* Distinct lines among sorted problems. */
static size_t problems_lines(const struct problems *ps)
{
	size_t n = 0;
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].line && (i == 0 || ps->v[i].line != ps->v[i - 1].line))
			n++;
	return n;
}

/* A finding as one line of text: its message (which names line and column for a row's
 * finding), "line L: " before other findings that have a line, the bad value after. */
static char *finding_text(const struct x12_error *e, const char *record)
{
	struct buf b;
	buf_init(&b, 0);
	int has_pos = e->scope == X12_SCOPE_ELEMENT && !e->application && e->line;
	if (!has_pos && e->line)
		buf_printf(&b, "line %llu: ", (unsigned long long)e->line);
	else if (!has_pos && record)
		buf_printf(&b, "%s: ", record);
	buf_puts(&b, e->msg ? e->msg : "error");
	if (e->bad_value && e->bad_value[0]) {
		char *v = escape_bytes(e->bad_value, strlen(e->bad_value), 40);
		buf_printf(&b, " (value '%s')", v);
		free(v);
	}
	return buf_steal(&b);
}

/* A flat file's finding in its own words (gateway.h). */
char *gateway_flat_finding(const struct x12_error *e)
{
	return finding_text(e, NULL);
}

/* The first finding and how many more, for the ledger's reason of a rejected record. */
static char *flat_reason(const struct x12_errlist *errs)
{
	if (!errs->n)
		return NULL;
	char *d = finding_text(&errs->v[0], NULL);
	size_t more = errs->n + errs->dropped - 1;
	if (!more)
		return d;
	char *r = xasprintf("%s (and %zu more)", d, more);
	free(d);
	return r;
}

/* ------------------------------------------------------ the record loop */

/* One flat file, ready to map: its groups (one canonical record each) and how to map
 * one. A "row" is an index the apply function takes (a CSV data row, a fixed-width
 * line). */
struct flat_in {
	const char *std;      /* ledger standard: "csv", "fixed", "xml" */
	const char *doctype;  /* the partner's document type (csv.document, fixed.document, xml.document) */
	const char *map_path;
	size_t ngroups;
	int rowwise;          /* rows can be left out (reject-row) */
	const char *unit;     /* what a row is called: "row", "line" */
	void *ctx;
	const size_t *(*rows)(void *ctx, size_t g, size_t *n);
	const char *(*key)(void *ctx, size_t g);       /* the group-by value, "" none */
	uint64_t (*group_line)(void *ctx, size_t g);   /* the line the record starts on */
	uint64_t (*row_line)(void *ctx, size_t row);
	int (*apply)(void *ctx, size_t g, const size_t *rows, size_t n, xmlDocPtr *out,
		     struct x12_errlist *errs, char **bkey, struct map_rowflags *rf);
};

/* Problem events of one job, at most FLAT_MAX_EVENTS. */
struct events {
	struct job *j;
	size_t n, over;
};

/* A warning event on the job (doc_key NULL) or one of its documents. */
static void event(struct events *ev, const char *doc_key, const char *text)
{
	if (ev->n == FLAT_MAX_EVENTS) {
		ev->over++;
		return;
	}
	ev->n++;
	ledger_event(ev->j->g->ledger, ev->j->meta.id, doc_key, "warning", text);
}

/* The reason a file is refused under reject-file: every problem counted, the first
 * FLAT_REASON_ITEMS spelled out (all of them are events). */
static char *refuse_reason(const struct flat_in *in, const struct problems *ps, const char *job)
{
	struct buf b;
	buf_init(&b, 0);
	size_t lines = problems_lines(ps);
	buf_printf(&b, "%s file refused as a whole (flat.bad-row = reject-file): %zu problem%s", in->doctype,
		   ps->n, ps->n == 1 ? "" : "s");
	if (lines)
		buf_printf(&b, " on %zu line%s", lines, lines == 1 ? "" : "s");
	buf_puts(&b, ": ");
	for (size_t i = 0; i < ps->n && i < FLAT_REASON_ITEMS; i++)
		buf_printf(&b, "%s%s", i ? "; " : "", ps->v[i].text);
	if (ps->n > FLAT_REASON_ITEMS)
		buf_printf(&b, "; and %zu more (edigw track %s lists them)", ps->n - FLAT_REASON_ITEMS, job);
	return buf_steal(&b);
}

/* "record SO-1001 (from line 2)" or "record from line 2": the group-by value, else the
 * record's business key. */
static char *record_name(const struct flat_in *in, size_t g, const char *bkey)
{
	const char *k = in->key(in->ctx, g);
	if (!k || !k[0])
		k = bkey;
	unsigned long long line = (unsigned long long)in->group_line(in->ctx, g);
	return k && k[0] ? xasprintf("record %s (from line %llu)", k, line) : xasprintf("record from line %llu", line);
}

/* Map the groups of a flat file into records and record the job's documents, with the
 * partner's bad-row policy; pre holds the rows the reader already left out (taken over).
 * <0 for an environment failure; the outcome is in j. */
static int flat_records(struct job *j, const struct flat_in *in, struct problems *pre)
{
	struct gateway *g = j->g;
	const struct cfg_partner *p = j->bound;
	int reject_row = p->bad_row == CFG_BAD_ROW_REJECT_ROW;
	struct problems bad = *pre; /* reject-file: everything that refuses the file */
	memset(pre, 0, sizeof *pre);
	struct events ev = { j, 0, 0 };
	size_t left_out = 0;
	int rc;
	/* one "interchange": the file, named after the job */
	j->partner = p;
	j->ic = 1;
	j->gr = 0;
	j->icn = j->meta.id;
	j->gcn = "0";
	j->group_staged_from = j->nstaged;
	j->st->interchanges++;
	if ((rc = ledger_begin(g->ledger)) < 0)
		goto out;
	j->in_txn_scope = 1;
	if (reject_row) {
		problems_sort_unique(&bad);
		for (size_t i = 0; i < bad.n; i++) {
			char *t = xasprintf("%s: %s left out (flat.bad-row = reject-row)", bad.v[i].text, in->unit);
			event(&ev, NULL, t);
			free(t);
		}
		left_out = bad.n;
		problems_free(&bad);
	}
	for (size_t i = 0; i < in->ngroups && rc == 0; i++) {
		struct x12_errlist errs = { 0 };
		xmlDocPtr rec = NULL;
		size_t n = 0;
		const size_t *grows = in->rows(in->ctx, i, &n);
		size_t *rows = n ? xmalloc(n * sizeof *rows) : NULL;
		if (n)
			memcpy(rows, grows, n * sizeof *rows);
		struct map_rowflags rf = { NULL, NULL, 0 };
		if (reject_row && in->rowwise && n) {
			rf.bad = xcalloc(n, 1);
			rf.why = xcalloc(n, sizeof *rf.why);
		}
		char *rname = NULL;
		char key[48];
		snprintf(key, sizeof key, "1.0.%zu", i + 1);
		buf_reset(&j->erp_out);
		j->erp_kind = NULL;
		free(j->bkey);
		j->bkey = NULL;
		int arc = in->apply(in->ctx, i, rows, n, &rec, &errs, &j->bkey, rf.bad ? &rf : NULL);
		rname = record_name(in, i, j->bkey);
		size_t nleft = n;
		struct problems dropped = { 0 };
		if (arc == 0 && rf.bad && errs.n + errs.dropped > 0 && !rf.record_bad) {
			/* leave the bad rows out and map the record again without them */
			nleft = 0;
			for (size_t k = 0; k < n; k++) {
				if (!rf.bad[k]) {
					rows[nleft++] = rows[k];
					continue;
				}
				uint64_t line = in->row_line(in->ctx, rows[k]);
				problems_add(&dropped, line, rf.why[k] ? xstrdup(rf.why[k])
								       : xasprintf("line %llu", (unsigned long long)line));
			}
			xmlFreeDoc(rec);
			rec = NULL;
			x12_errlist_free(&errs);
			memset(&errs, 0, sizeof errs);
			char *key1 = j->bkey; /* the record keeps its key when every row goes */
			j->bkey = NULL;
			if (nleft)
				arc = in->apply(in->ctx, i, rows, nleft, &rec, &errs, &j->bkey, NULL);
			else {
				char *t = xasprintf("every %s of the record was rejected (left out)", in->unit);
				x12_errlist_add_app(&errs, "record", t);
				free(t);
			}
			if (!j->bkey)
				j->bkey = key1;
			else
				free(key1);
		}
		if (arc < 0 || (!rec && nleft))
			x12_errlist_add_app(&errs, "map", strerror(arc < 0 ? -arc : EINVAL));
		if (rec && !errs.n) {
			canon_set_source(rec, p->id, NULL);
			gw_emit_record(j, rec, &errs);
		} else if (rec) {
			xmlFreeDoc(rec);
		}
		int ok = errs.n == 0;
		struct staged *s = NULL;
		if ((rc = gw_document_done(j, ok, &s)) == 0) {
			char line[24];
			snprintf(line, sizeof line, "line %llu", (unsigned long long)in->group_line(in->ctx, i));
			char *reason = flat_reason(&errs);
			struct ledger_doc d = gw_job_doc(j, key, "in", in->std, in->doctype,
							 ok ? (s ? "accepted" : "received") : "rejected");
			d.icn = j->meta.id;
			d.tcn = line;
			d.business_key = j->bkey;
			d.reason = reason;
			rc = ledger_doc_put(g->ledger, &d, NULL);
			problems_sort_unique(&dropped);
			for (size_t k = 0; k < dropped.n; k++) {
				char *t = xasprintf("%s: %s left out of the %s (flat.bad-row = reject-row)",
						    dropped.v[k].text, in->unit, rname);
				event(&ev, key, t);
				free(t);
			}
			left_out += dropped.n;
			if (!ok && reject_row) {
				gw_set_reason(&j->fail_reason, xasprintf("%s %s rejected: %s", in->doctype, rname,
									 reason ? reason : "errors"));
			} else if (!ok) {
				for (size_t k = 0; k < errs.n; k++)
					problems_add(&bad, errs.v[k].line, finding_text(&errs.v[k], rname));
				if (errs.dropped)
					problems_add(&bad, 0, xasprintf("%s: %zu more findings", rname, errs.dropped));
			}
			free(reason);
		}
		problems_free(&dropped);
		for (size_t k = 0; rf.why && k < n; k++)
			free(rf.why[k]);
		free(rf.why);
		free(rf.bad);
		free(rows);
		free(rname);
		x12_errlist_free(&errs);
	}
	if (rc == 0 && !reject_row && bad.n) {
		problems_sort_unique(&bad);
		for (size_t i = 0; i < bad.n; i++)
			event(&ev, NULL, bad.v[i].text);
		char *why = refuse_reason(in, &bad, j->meta.id);
		rc = gw_group_done(j, 1, why);
	} else if (rc == 0) {
		rc = gw_group_done(j, 0, NULL);
	}
	if (rc == 0 && ev.over) {
		char *t = xasprintf("%zu more problems like the above", ev.over);
		ledger_event(g->ledger, j->meta.id, NULL, "warning", t);
		free(t);
	}
	if (rc == 0 && reject_row && left_out) {
		char *t = xasprintf("%zu %s%s left out of the %s file (flat.bad-row = reject-row)", left_out,
				    in->unit, left_out == 1 ? "" : "s", in->doctype);
		log_warn("job %s: %s", j->meta.id, t);
		ledger_event(g->ledger, j->meta.id, NULL, "partial", t);
		if (in->ngroups == 0 || j->accepted == 0)
			gw_set_reason(&j->fail_reason, xasprintf("%s; no record left", t));
		free(t);
	}
	/* named after the job's arrival, so a rerun after a crash finds the same name */
	char date[40];
	time_t when = j->meta.received ? j->meta.received : time(NULL);
	struct tm tm;
	gmtime_r(&when, &tm);
	snprintf(date, sizeof date, "%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
	if (rc == 0)
		rc = gw_name_staged(j, date, j->meta.id);
	if (rc == 0) {
		gw_fault_point("before-ledger-commit");
		rc = ledger_commit(g->ledger);
		j->in_txn_scope = 0;
	}
	if (rc == 0) {
		gw_fault_point("after-ledger-commit");
		rc = gw_commit_staged(j);
	}
out:
	if (j->in_txn_scope) {
		ledger_rollback(g->ledger);
		j->in_txn_scope = 0;
	}
	problems_free(&bad);
	return rc;
}

/* ------------------------------------------------------------------ CSV */

struct csv_in {
	const struct map *m;
	const struct csv_table *t;
	struct map_csv_group *groups;
};

/* The rows of CSV group g. */
static const size_t *csv_rows(void *ctx, size_t g, size_t *n)
{
	const struct csv_in *c = ctx;
	*n = c->groups[g].nrows;
	return c->groups[g].rows;
}

/* The group-by value of group g. */
static const char *csv_key(void *ctx, size_t g)
{
	const struct csv_in *c = ctx;
	return c->groups[g].key;
}

/* The line a data row starts on. */
static uint64_t csv_row_line(void *ctx, size_t row)
{
	const struct csv_in *c = ctx;
	return row < c->t->nrows ? c->t->rows[row].line : 0;
}

/* The line group g's first row starts on. */
static uint64_t csv_group_line(void *ctx, size_t g)
{
	const struct csv_in *c = ctx;
	return c->groups[g].nrows ? csv_row_line(ctx, c->groups[g].rows[0]) : 0;
}

/* Map rows of a CSV group. */
static int csv_apply(void *ctx, size_t g, const size_t *rows, size_t n, xmlDocPtr *out,
		     struct x12_errlist *errs, char **bkey, struct map_rowflags *rf)
{
	const struct csv_in *c = ctx;
	(void)g;
	return map_apply_csv_flags(c->m, c->t, rows, n, out, errs, bkey, rf);
}

/* The partner's map for document type type, or *fatal / an environment failure. */
static int flat_map(struct job *j, const char *type, struct map **m, const struct cfg_doc **docp,
		    char **fatal)
{
	const struct cfg_partner *p = j->bound;
	const struct cfg_doc *doc = config_partner_doc(p, type);
	*m = NULL;
	*docp = doc;
	if (!doc) {
		*fatal = xasprintf("document type %s has no document.%s map in %s", type, type, p->file);
		return 0;
	}
	struct diag_list dl;
	diag_list_init(&dl);
	*m = gw_map_for(j->g, doc->map_path, &dl);
	diag_list_free(&dl);
	return *m ? 0 : -EINVAL; /* checked at start-up: a vanished map is an environment failure */
}

/* Read, map and record a CSV file (body: the whole job). */
static int process_csv(struct job *j, const struct buf *body, char **fatal)
{
	const struct cfg_partner *p = j->bound;
	struct csv_table t;
	struct map_csv_group *groups = NULL;
	size_t ngroups = 0;
	struct problems pre = { 0 };
	struct map *m;
	const struct cfg_doc *doc;
	memset(&t, 0, sizeof t);
	int rc = flat_map(j, p->csv_document, &m, &doc, fatal);
	if (rc < 0 || *fatal)
		goto out;
	struct csv_options o;
	memset(&o, 0, sizeof o);
	o.delim = p->csv_delimiter;
	o.header = p->csv_no_header ? CSV_HEADER_NO : CSV_HEADER_YES;
	o.encoding = p->csv_encoding;
	o.max_bytes = (size_t)p->limits.max_file_size;
	o.bad_rows = 1;
	struct csv_error cerr;
	memset(&cerr, 0, sizeof cerr);
	if (csv_parse(&t, body->data ? body->data : "", body->len, &o, &cerr) < 0) {
		char *d = csv_error_text(&cerr);
		*fatal = xasprintf("not readable as CSV (%s): %s", p->csv_document, d);
		free(d);
		goto out;
	}
	for (size_t i = 0; i < t.nbad; i++)
		problems_add(&pre, t.bad[i].line, csv_bad_text(&t, &t.bad[i]));
	rc = map_csv_groups(m, &t, &groups, &ngroups);
	if (rc == -ENOENT || rc == -EINVAL) {
		*fatal = xasprintf(rc == -ENOENT ? "the map's group-by column is not in the CSV header"
						 : "map %s does not read CSV files",
				   doc->map_path);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	struct csv_in c = { m, &t, groups };
	struct flat_in in = { "csv", p->csv_document, doc->map_path, ngroups, 1, "row", &c, csv_rows, csv_key,
			      csv_group_line, csv_row_line, csv_apply };
	rc = flat_records(j, &in, &pre);
out:
	problems_free(&pre);
	map_csv_groups_free(groups, ngroups);
	csv_table_free(&t);
	return rc;
}

/* ---------------------------------------------------------- fixed-width */

struct fixed_in {
	const struct map *m;
	const struct fixed_file *f;
	struct map_fixed_group *groups;
};

/* The lines of fixed-width group g. */
static const size_t *fixed_rows(void *ctx, size_t g, size_t *n)
{
	const struct fixed_in *c = ctx;
	*n = c->groups[g].nlines;
	return c->groups[g].lines;
}

/* Fixed-width groups have no key of their own (the ledger has the map's key). */
static const char *fixed_key(void *ctx, size_t g)
{
	(void)ctx;
	(void)g;
	return "";
}

/* The line of line index row. */
static uint64_t fixed_row_line(void *ctx, size_t row)
{
	const struct fixed_in *c = ctx;
	return row < c->f->nlines ? c->f->lines[row].line : 0;
}

/* The line group g starts on (its group-by record). */
static uint64_t fixed_group_line(void *ctx, size_t g)
{
	const struct fixed_in *c = ctx;
	return c->groups[g].line;
}

/* Map lines of a fixed-width group. */
static int fixed_apply(void *ctx, size_t g, const size_t *rows, size_t n, xmlDocPtr *out,
		       struct x12_errlist *errs, char **bkey, struct map_rowflags *rf)
{
	const struct fixed_in *c = ctx;
	(void)g;
	return map_apply_fixed(c->m, c->f, rows, n, out, errs, bkey, rf);
}

/* Read, map and record a fixed-width file. */
static int process_fixed(struct job *j, const struct buf *body, char **fatal)
{
	const struct cfg_partner *p = j->bound;
	struct fixed_file f;
	struct map_fixed_group *groups = NULL;
	size_t ngroups = 0;
	struct map_badline *badl = NULL;
	size_t nbadl = 0;
	struct problems pre = { 0 };
	struct map *m;
	const struct cfg_doc *doc;
	memset(&f, 0, sizeof f);
	int rc = flat_map(j, p->fixed_document, &m, &doc, fatal);
	if (rc < 0 || *fatal)
		goto out;
	struct fixed_options o;
	memset(&o, 0, sizeof o);
	o.encoding = p->fixed_encoding;
	o.max_bytes = (size_t)p->limits.max_file_size;
	struct fixed_error ferr;
	memset(&ferr, 0, sizeof ferr);
	if (fixed_parse(&f, body->data ? body->data : "", body->len, &o, &ferr) < 0) {
		char *d = fixed_error_text(&ferr);
		*fatal = xasprintf("not readable as a fixed-width file (%s): %s", p->fixed_document, d);
		free(d);
		goto out;
	}
	rc = map_fixed_groups(m, &f, &groups, &ngroups, &badl, &nbadl);
	if (rc == -EINVAL) {
		*fatal = xasprintf("map %s does not read fixed-width files", doc->map_path);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < nbadl; i++) {
		problems_add(&pre, badl[i].line, badl[i].text);
		badl[i].text = NULL;
	}
	struct fixed_in c = { m, &f, groups };
	struct flat_in in = { "fixed", p->fixed_document, doc->map_path, ngroups, 1, "line", &c, fixed_rows,
			      fixed_key, fixed_group_line, fixed_row_line, fixed_apply };
	rc = flat_records(j, &in, &pre);
out:
	problems_free(&pre);
	map_badlines_free(badl, nbadl);
	map_fixed_groups_free(groups, ngroups);
	fixed_file_free(&f);
	return rc;
}

/* ------------------------------------------------------------------ XML */

struct xml_in {
	const struct map *m;
	xmlDocPtr doc;
	xmlNodePtr *nodes;
};

/* XML records have no rows. */
static const size_t *xml_rows(void *ctx, size_t g, size_t *n)
{
	(void)ctx;
	(void)g;
	*n = 0;
	return NULL;
}

/* XML records have no key of their own (the ledger has the map's key). */
static const char *xml_key(void *ctx, size_t g)
{
	(void)ctx;
	(void)g;
	return "";
}

/* The line of group g's node. */
static uint64_t xml_group_line(void *ctx, size_t g)
{
	const struct xml_in *c = ctx;
	long l = xmlGetLineNo(c->nodes[g]);
	return l > 0 ? (uint64_t)l : 0;
}

/* No rows: no row lines. */
static uint64_t xml_row_line(void *ctx, size_t row)
{
	(void)ctx;
	(void)row;
	return 0;
}

/* Map group g's node. */
static int xml_apply(void *ctx, size_t g, const size_t *rows, size_t n, xmlDocPtr *out,
		     struct x12_errlist *errs, char **bkey, struct map_rowflags *rf)
{
	const struct xml_in *c = ctx;
	(void)rows;
	(void)n;
	(void)rf;
	return map_apply_xml(c->m, c->doc, c->nodes[g], out, errs, bkey);
}

/* Read, map and record an XML document. */
static int process_xml(struct job *j, const struct buf *body, char **fatal)
{
	const struct cfg_partner *p = j->bound;
	xmlDocPtr doc = NULL;
	xmlNodePtr *nodes = NULL;
	size_t nnodes = 0;
	struct problems pre = { 0 };
	struct map *m;
	const struct cfg_doc *doc_cfg;
	int rc = flat_map(j, p->xml_document, &m, &doc_cfg, fatal);
	if (rc < 0 || *fatal)
		goto out;
	struct xmldoc_options o;
	memset(&o, 0, sizeof o);
	o.max_bytes = p->limits.max_file_size < XMLDOC_DEF_MAX_BYTES ? (size_t)p->limits.max_file_size
								     : XMLDOC_DEF_MAX_BYTES;
	struct xmldoc_error xerr;
	int prc = xmldoc_parse(&doc, body->data ? body->data : "", body->len, &o, &xerr);
	if (prc == -ENOMEM) {
		rc = prc;
		goto out;
	}
	if (prc < 0) {
		char *d = xmldoc_error_text(&xerr);
		*fatal = xasprintf("not readable as XML (%s): %s", p->xml_document, d);
		free(d);
		goto out;
	}
	char *why = NULL;
	if (map_xml_groups(m, doc, &nodes, &nnodes, &why) < 0) {
		*fatal = why ? why : xasprintf("map %s does not read XML documents", doc_cfg->map_path);
		goto out;
	}
	if (nnodes == 0) {
		/* a group-by that selects nothing: most likely another root or namespace */
		xmlNodePtr root = xmlDocGetRootElement(doc);
		long l = xmlGetLineNo(root);
		problems_add(&pre, l > 0 ? (uint64_t)l : 0,
			     xasprintf("line %ld: the document makes no record: group-by %s selects nothing under "
				       "<%s> (map %s)", l > 0 ? l : 0L, map_group_by_text(m), (const char *)root->name,
				       doc_cfg->map_path));
	}
	struct xml_in c = { m, doc, nodes };
	struct flat_in in = { "xml", p->xml_document, doc_cfg->map_path, nnodes, 0, "record", &c, xml_rows,
			      xml_key, xml_group_line, xml_row_line, xml_apply };
	rc = flat_records(j, &in, &pre);
out:
	problems_free(&pre);
	free(nodes);
	xmlFreeDoc(doc);
	return rc;
}

/* ------------------------------------------------------------- dispatch */

/* Read a flat-file job: <0 for an environment failure; else the outcome is in j and
 * *fatal (allocated) says why the file as a whole is refused, if it is. */
int gw_process_csv(struct job *j, int fd, char **fatal)
{
	const struct cfg_partner *p = j->bound;
	struct buf body;
	buf_init(&body, 0);
	*fatal = NULL;
	int rc = fd_read_all(fd, (size_t)p->limits.max_file_size, &body);
	if (rc == -EFBIG) {
		*fatal = xasprintf("file larger than limit.max-file-size (%llu bytes)",
				   (unsigned long long)p->limits.max_file_size);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (p->xml_document[0] && xmldoc_sniff(body.data, body.len))
		rc = process_xml(j, &body, fatal);
	else if (p->fixed_document[0])
		rc = process_fixed(j, &body, fatal);
	else if (p->csv_document[0])
		rc = process_csv(j, &body, fatal);
	else
		*fatal = xasprintf("not an XML document (xml.document %s): after blanks the file does not start "
				   "with '<', and the partner sends no CSV or fixed-width files", p->xml_document);
out:
	buf_free(&body);
	return rc;
}
