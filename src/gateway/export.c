/*
 * export.c — the ERP's outbound files: order responses, ship notices,
 * invoices, warehouse orders the ERP writes for a partner become the
 * partner's X12 or EDIFACT documents.
 *
 * A partner profile names the directory the ERP writes that partner's files
 * to (export-dir), and per canonical record kind the map that reads the
 * ERP's file (export.<kind>: a CSV map, doc/edigw-map.5 "CSV FILES") and the
 * map that writes the partner's document (outbound.<kind>: "OUTBOUND MAPS").
 * A file belongs to the kind its name starts with (ship-notice-0042.csv);
 * names starting with '.' or ending in .tmp or .part are being written and
 * are left alone.
 *
 * One ERP file gives one interchange: a functional group (X12) holding one
 * transaction set per canonical record, or one message per record (EDIFACT).
 * The interchange is built with placeholder control numbers and handed to
 * the same path as `edigw send` (X12: gateway_send_mem), which validates it
 * against our definitions with the partner's overlay, puts our control
 * numbers in, records it as awaiting acknowledgment and queues it in
 * spool/outbound/<partner>/. A second send is recognised by the hash of the
 * ERP file (not of the built interchange, which carries the time it was
 * built), so a crash between queueing and moving the ERP file away cannot
 * send a document twice.
 *
 * Then the ERP file moves to export-dir/sent/, or to export-dir/failed/ with
 * NAME.reason beside it saying what is wrong (map line, record position,
 * segment and element), and a ledger event.
 *
 * Limits: the partner's limit.max-file-size per ERP file; EXPORT_MAX_RECORDS
 * records per file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "canon/canon.h"
#include "canon/outmap.h"
#include "edifact/edi_schema.h"
#include "edifact/edi_writer.h"
#include "flat/csv.h"
#include "flat/fixed.h"
#include "flat/xmldoc.h"
#include "gateway/gateway_int.h"
#include "ledger/ledger.h"
#include "map/map.h"
#include "spool/spool.h"

#define EXPORT_MAX_RECORDS 100000
#define EXPORT_MAX_FILES 10000 /* files looked at per directory per poll */

/* X12 functional identifier code (GS01) of a transaction set. */
static const char *x12_fid(const char *st01)
{
	static const char *const t[][2] = {
		{ "810", "IN" }, { "850", "PO" }, { "855", "PR" }, { "856", "SH" }, { "860", "PC" },
		{ "865", "CA" }, { "846", "IB" }, { "940", "OW" }, { "943", "AR" }, { "944", "RE" },
		{ "945", "SW" }, { "947", "AW" }, { "820", "RA" }, { "830", "PS" }, { "862", "SS" },
		{ "753", "GT" }, { "754", "GT" }, { "870", "RS" }, { "880", "GP" }, { "812", "CD" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i][0], st01) == 0)
			return t[i][1];
	return NULL;
}

/* The outbound map of a partner's kind (loaded once, kept by the gateway). */
const struct omap *gw_omap_for(struct gateway *g, const char *path, struct diag_list *d)
{
	for (size_t i = 0; i < g->nomaps; i++)
		if (strcmp(g->omaps[i].path, path) == 0)
			return g->omaps[i].map;
	struct omap *m = NULL;
	if (omap_load(&m, path, d) < 0 || !m)
		return NULL;
	g->omaps = xrealloc(g->omaps, (g->nomaps + 1) * sizeof *g->omaps);
	g->omaps[g->nomaps].path = xstrdup(path);
	g->omaps[g->nomaps].map = m;
	g->nomaps++;
	return m;
}

/* Check a partner's export and outbound lines (at start-up, and by config check with no
 * gateway: the maps are then loaded and freed here). */
int gateway_check_flows(struct gateway *g, const struct cfg_partner *p, struct diag_list *d)
{
	int rc = 0;
	for (size_t i = 0; i < p->nexports; i++) {
		const struct cfg_flow *f = &p->exports[i];
		if (strcmp(f->map_path, "canonical") == 0)
			continue;
		struct map *own = NULL, *m = NULL;
		if (g)
			m = gw_map_for(g, f->map_path, d);
		else if (map_load(&own, f->map_path, d) == 0)
			m = own;
		if (!m) {
			diag_error(d, p->file, f->line, "map %s for export.%s cannot be loaded", f->map_path, f->kind);
			rc = -EINVAL;
		} else if ((strcmp(map_source_standard(m), "csv") != 0 && strcmp(map_source_standard(m), "fixed") != 0 &&
			    strcmp(map_source_standard(m), "xml") != 0) ||
			   strcmp(map_target_kind(m), f->kind) != 0) {
			diag_error(d, p->file, f->line,
				   "export.%s uses map %s, which reads %s files into '%s' records (it must read "
				   "csv, fixed or xml into '%s')", f->kind, f->map_path, map_source_standard(m),
				   map_target_kind(m), f->kind);
			rc = -EINVAL;
		}
		map_free(own);
	}
	for (size_t i = 0; i < p->noutbound; i++) {
		const struct cfg_flow *f = &p->outbound[i];
		struct omap *own = NULL;
		const struct omap *m = NULL;
		if (g)
			m = gw_omap_for(g, f->map_path, d);
		else if (omap_load(&own, f->map_path, d) == 0)
			m = own;
		if (!m) {
			diag_error(d, p->file, f->line, "map %s for outbound.%s cannot be loaded", f->map_path, f->kind);
			rc = -EINVAL;
			continue;
		}
		if (strcmp(omap_kind(m), f->kind) != 0) {
			diag_error(d, p->file, f->line, "outbound.%s uses map %s, which reads '%s' records",
				   f->kind, f->map_path, omap_kind(m));
			rc = -EINVAL;
		}
		if (omap_edifact(m) ? !p->has_edifact : !p->has_x12) {
			diag_error(d, p->file, f->line, "outbound.%s writes %s, but the partner has no %s identity",
				   f->kind, omap_edifact(m) ? "EDIFACT" : "X12",
				   omap_edifact(m) ? "EDIFACT (edifact.id)" : "X12 (x12.qualifier/x12.id/x12.gs-id)");
			rc = -EINVAL;
		}
		if (!omap_edifact(m) && !x12_fid(omap_doc_type(m))) {
			diag_error(d, p->file, f->line, "outbound.%s: no functional group code is known for X12 %s",
				   f->kind, omap_doc_type(m));
			rc = -EINVAL;
		}
		omap_free(own);
	}
	return rc;
}

/* The kind of an ERP file, from the start of its name; NULL when none. */
static const struct cfg_flow *kind_of(const struct cfg_partner *p, const char *name)
{
	const struct cfg_flow *best = NULL;
	for (size_t i = 0; i < p->nexports; i++) {
		size_t n = strlen(p->exports[i].kind);
		if (strncmp(name, p->exports[i].kind, n) == 0 && (!best || n > strlen(best->kind)))
			best = &p->exports[i];
	}
	return best;
}

/* Where records go as they are read: rendered at once with the outbound map (X12 straight
 * into the interchange's body, EDIFACT as segment lists), so no more than one canonical
 * record is held at a time. */
struct sink {
	const struct omap *m;
	const struct cfg_partner *p;
	const char *forbidden;     /* X12 separators, NULL for EDIFACT */
	struct buf *why;           /* problems, one or more lines per record */
	struct buf *records;       /* dry run: the records as XML, else NULL */
	struct buf body;           /* X12: ST..SE of every set */
	struct omap_doc *docs;     /* EDIFACT: the rendered messages */
	size_t n, cap;             /* records rendered */
	size_t failed;
};

/* One canonical record (freed here). */
static void sink_record(struct sink *k, xmlDocPtr rec, size_t index)
{
	struct buf e;
	buf_init(&e, 0);
	if (k->records)
		canon_serialize(rec, k->records);
	struct omap_doc od;
	if (omap_render(k->m, rec, k->forbidden, &od, &e) < 0) {
		buf_printf(k->why, "record %zu: %s\n", index, e.data ? e.data : "cannot be written");
		k->failed++;
	} else if (omap_edifact(k->m)) {
		if (k->n == k->cap) {
			k->cap = k->cap ? k->cap * 2 : 16;
			k->docs = xrealloc(k->docs, k->cap * sizeof *k->docs);
		}
		k->docs[k->n++] = od;
	} else {
		const char *dl = k->p->x12_delims, *nl = k->p->x12_line_breaks ? "\n" : "";
		char st02[24];
		snprintf(st02, sizeof st02, "%04zu", ++k->n);
		buf_printf(&k->body, "ST%c%s%c%s%c%s", dl[0], omap_doc_type(k->m), dl[0], st02, dl[3], nl);
		omap_write_x12(&od, dl[0], dl[1], dl[3], k->p->x12_line_breaks, &k->body);
		buf_printf(&k->body, "SE%c%zu%c%s%c%s", dl[0], od.n + 2, dl[0], st02, dl[3], nl);
		omap_doc_free(&od);
	}
	buf_free(&e);
	xmlFreeDoc(rec);
}

static void sink_free(struct sink *k)
{
	for (size_t i = 0; k->docs && i < k->n; i++)
		omap_doc_free(&k->docs[i]);
	free(k->docs);
	buf_free(&k->body);
}

/* export.<kind> = canonical: the ERP writes the canonical record itself (XML in the
 * urn:edigw:canonical:1 namespace, one record per file). */
static int read_canonical(struct gateway *g, const struct cfg_partner *p, const struct cfg_flow *f,
			  const char *data, size_t len, const char *corr, struct sink *k, struct buf *why)
{
	xmlDocPtr doc = NULL;
	struct buf err;
	buf_init(&err, 0);
	int rc = canon_parse(&doc, data, len, &err);
	if (rc < 0) {
		buf_printf(why, "not a canonical record: %s", err.data ? err.data : "unreadable XML");
		buf_free(&err);
		return -EBADMSG;
	}
	if (strcmp(canon_kind(doc), f->kind) != 0) {
		buf_printf(why, "a '%s' record, not '%s' (export.%s)", canon_kind(doc), f->kind, f->kind);
		xmlFreeDoc(doc);
		buf_free(&err);
		return -EBADMSG;
	}
	/* where it came from: the ERP (an ERP that names it otherwise keeps its words) */
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char *std = canon_get(root, "source/standard");
	if (!std)
		canon_set(root, "source/standard", "erp");
	free(std);
	canon_set_source(doc, p->id, NULL);
	char *have = canon_get(root, "source/correlation-id");
	if (!have)
		canon_set(root, "source/correlation-id", corr);
	free(have);
	buf_reset(&err);
	rc = canon_validate(doc, gateway_config(g)->canonical_rng, &err);
	if (rc < 0) {
		buf_printf(why, "the record does not match canonical.rng:\n%s", err.data ? err.data : "");
		xmlFreeDoc(doc);
		buf_free(&err);
		return rc == -EINVAL ? -EBADMSG : rc;
	}
	buf_free(&err);
	sink_record(k, doc, 1);
	return 0;
}

/* Too many records, or none. */
static int count_ok(size_t n, struct buf *why)
{
	if (!n) {
		buf_puts(why, "the file holds no records");
		return -EBADMSG;
	}
	if (n > EXPORT_MAX_RECORDS) {
		buf_printf(why, "more than %d records in one file", EXPORT_MAX_RECORDS);
		return -EBADMSG;
	}
	return 0;
}

/* Hand one mapped record to fn (which frees rec); an apply failure becomes a finding. */
static int flat_give(gw_flat_fn fn, void *ctx, int arc, xmlDocPtr rec, struct x12_errlist *errs, size_t index,
		     const char *key, uint64_t line)
{
	if (arc < 0 || !rec)
		x12_errlist_add_app(errs, "map", strerror(arc < 0 ? -arc : EINVAL));
	int rc = fn(ctx, rec, errs, index, key, line);
	x12_errlist_free(errs);
	return rc;
}

/* A CSV file. */
static int flat_csv(const struct map *m, const char *map_path, const struct gw_flat_opts *fo, const char *data,
		    size_t len, gw_flat_fn fn, void *ctx, struct buf *why)
{
	struct csv_table t;
	struct csv_options o;
	struct csv_error cerr;
	struct map_csv_group *groups = NULL;
	size_t ngroups = 0;
	memset(&t, 0, sizeof t);
	memset(&o, 0, sizeof o);
	memset(&cerr, 0, sizeof cerr);
	o.delim = fo->delim ? fo->delim : ',';
	o.header = fo->no_header ? CSV_HEADER_NO : CSV_HEADER_YES;
	o.encoding = fo->encoding;
	o.max_bytes = fo->max_bytes;
	if (csv_parse(&t, data, len, &o, &cerr) < 0) {
		char *d = csv_error_text(&cerr);
		buf_printf(why, "not readable as CSV: %s", d);
		free(d);
		return -EBADMSG;
	}
	int rc = map_csv_groups(m, &t, &groups, &ngroups);
	if (rc == -ENOENT) {
		buf_printf(why, "the group-by column of map %s is not in the file's header", map_path);
		rc = -EBADMSG;
	} else if (rc == -EINVAL) {
		buf_printf(why, "map %s does not read CSV files", map_path);
		rc = -EBADMSG;
	}
	if (rc == 0)
		rc = count_ok(ngroups, why);
	for (size_t i = 0; rc == 0 && i < ngroups; i++) {
		struct x12_errlist errs = { 0 };
		xmlDocPtr rec = NULL;
		char *bkey = NULL;
		int arc = map_apply_csv(m, &t, groups[i].rows, groups[i].nrows, &rec, &errs, &bkey);
		free(bkey);
		uint64_t line = groups[i].nrows ? t.rows[groups[i].rows[0]].line : 0;
		rc = flat_give(fn, ctx, arc, rec, &errs, i + 1, groups[i].key, line);
	}
	map_csv_groups_free(groups, ngroups);
	csv_table_free(&t);
	return rc;
}

/* A fixed-width file. */
static int flat_fixed(const struct map *m, const char *map_path, const struct gw_flat_opts *fo, const char *data,
		      size_t len, gw_flat_fn fn, void *ctx, struct buf *why)
{
	struct fixed_file f;
	struct fixed_options o;
	struct fixed_error ferr;
	struct map_fixed_group *groups = NULL;
	struct map_badline *badl = NULL;
	size_t ngroups = 0, nbadl = 0;
	memset(&f, 0, sizeof f);
	memset(&o, 0, sizeof o);
	memset(&ferr, 0, sizeof ferr);
	o.encoding = fo->encoding;
	o.max_bytes = fo->max_bytes;
	if (fixed_parse(&f, data, len, &o, &ferr) < 0) {
		char *d = fixed_error_text(&ferr);
		buf_printf(why, "not readable as a fixed-width file: %s", d);
		free(d);
		return -EBADMSG;
	}
	int rc = map_fixed_groups(m, &f, &groups, &ngroups, &badl, &nbadl);
	if (rc == -EINVAL) {
		buf_printf(why, "map %s does not read fixed-width files", map_path);
		rc = -EBADMSG;
	}
	for (size_t i = 0; rc == 0 && i < nbadl; i++)
		buf_printf(why, "%s\n", badl[i].text);
	if (rc == 0 && nbadl)
		rc = -EBADMSG;
	if (rc == 0)
		rc = count_ok(ngroups, why);
	for (size_t i = 0; rc == 0 && i < ngroups; i++) {
		struct x12_errlist errs = { 0 };
		xmlDocPtr rec = NULL;
		char *bkey = NULL;
		int arc = map_apply_fixed(m, &f, groups[i].lines, groups[i].nlines, &rec, &errs, &bkey, NULL);
		rc = flat_give(fn, ctx, arc, rec, &errs, i + 1, bkey, groups[i].line);
		free(bkey);
	}
	map_fixed_groups_free(groups, ngroups);
	map_badlines_free(badl, nbadl);
	fixed_file_free(&f);
	return rc;
}

/* An XML document (no network, no entities; one record per group-by node). */
static int flat_xml(const struct map *m, const struct gw_flat_opts *fo, const char *data, size_t len,
		    gw_flat_fn fn, void *ctx, struct buf *why)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr *nodes = NULL;
	size_t n = 0;
	struct xmldoc_options o;
	struct xmldoc_error xerr;
	memset(&o, 0, sizeof o);
	memset(&xerr, 0, sizeof xerr);
	o.max_bytes = fo->max_bytes && fo->max_bytes < XMLDOC_DEF_MAX_BYTES ? fo->max_bytes : XMLDOC_DEF_MAX_BYTES;
	int rc = xmldoc_parse(&doc, data, len, &o, &xerr);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		char *d = xmldoc_error_text(&xerr);
		buf_printf(why, "not readable as XML: %s", d);
		free(d);
		return -EBADMSG;
	}
	char *e = NULL;
	if (map_xml_groups(m, doc, &nodes, &n, &e) < 0) {
		buf_printf(why, "%s", e ? e : "the map does not read XML documents");
		free(e);
		rc = -EBADMSG;
	} else {
		rc = count_ok(n, why);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct x12_errlist errs = { 0 };
		xmlDocPtr rec = NULL;
		char *bkey = NULL;
		int arc = map_apply_xml(m, doc, nodes[i], &rec, &errs, &bkey);
		long line = xmlGetLineNo(nodes[i]);
		rc = flat_give(fn, ctx, arc, rec, &errs, i + 1, bkey, line > 0 ? (uint64_t)line : 0);
		free(bkey);
	}
	free(nodes);
	xmlFreeDoc(doc);
	return rc;
}

/* Every record of a flat file, through its map. */
int gateway_flat_records(const struct map *m, const char *map_path, const struct gw_flat_opts *o, const char *data,
			 size_t len, gw_flat_fn fn, void *ctx, struct buf *why)
{
	const char *std = map_source_standard(m);
	if (strcmp(std, "fixed") == 0)
		return flat_fixed(m, map_path, o, data, len, fn, ctx, why);
	if (strcmp(std, "xml") == 0)
		return flat_xml(m, o, data, len, fn, ctx, why);
	return flat_csv(m, map_path, o, data, len, fn, ctx, why);
}

/* The export's handling of one record. */
struct take {
	struct gateway *g;
	const struct cfg_partner *p;
	const char *corr;
	struct sink *k;
	struct buf *why;
	int bad;
};

/* One record the export map made: the gateway's source fields, then the canonical schema;
 * problems go to why naming the record, its key and where it starts. Frees rec. A bad
 * record does not stop the others: the reason lists every problem of the file. */
static int take_record(void *ctx, xmlDocPtr rec, struct x12_errlist *errs, size_t index, const char *key,
		       uint64_t line)
{
	struct take *t = ctx;
	if (rec && !errs->n) {
		canon_set_source(rec, t->p->id, NULL);
		canon_set(xmlDocGetRootElement(rec), "source/correlation-id", t->corr);
		canon_check(rec, gateway_config(t->g)->canonical_rng, errs);
	}
	if (errs->n) {
		buf_printf(t->why, "record %zu (%s%s, from line %llu):\n", index, key && key[0] ? "key " : "the file",
			   key ? key : "", (unsigned long long)line);
		for (size_t e = 0; e < errs->n; e++) {
			char *d = gateway_flat_finding(&errs->v[e]);
			buf_printf(t->why, "  %s\n", d);
			free(d);
		}
		t->bad = 1;
	}
	if (rec && !t->bad)
		sink_record(t->k, rec, index);
	else if (rec)
		xmlFreeDoc(rec); /* the file is not sent: only its problems matter now */
	return 0;
}

/* Read the ERP file's records with the export map (CSV: comma, header row, UTF-8; fixed
 * width: UTF-8; XML), or as canonical XML; each record checked against the canonical
 * schema and handed to k. */
static int read_records(struct gateway *g, const struct cfg_partner *p, const struct cfg_flow *f,
			const char *data, size_t len, const char *corr, struct sink *k, struct buf *why)
{
	if (strcmp(f->map_path, "canonical") == 0)
		return read_canonical(g, p, f, data, len, corr, k, why);
	struct diag_list dl;
	diag_list_init(&dl);
	struct map *m = gw_map_for(g, f->map_path, &dl);
	diag_list_free(&dl);
	if (!m) {
		buf_printf(why, "map %s cannot be loaded", f->map_path);
		return -EINVAL;
	}
	struct take t = { g, p, corr, k, why, 0 };
	/* the ERP's file format (export-dir.*): CSV delimiter and header, CSV and fixed-width encoding */
	struct gw_flat_opts o = { .delim = p->export_delimiter, .no_header = p->export_no_header,
				  .encoding = p->export_encoding, .max_bytes = (size_t)p->limits.max_file_size };
	int rc = gateway_flat_records(m, f->map_path, &o, data, len, take_record, &t, why);
	return rc < 0 ? rc : t.bad ? -EBADMSG : 0;
}

/* Our X12 interchange around n rendered transaction sets (body: ST..SE each; control
 * numbers 0: the send path puts ours in). */
static void build_x12(const struct config *cfg, const struct cfg_partner *p, const struct omap *m,
		      const struct buf *body, size_t n, time_t now, struct buf *out)
{
	const char *dl = p->x12_delims;
	char e = dl[0], c = dl[1], r = dl[2], s = dl[3];
	const char *ver = omap_version(m);
	char isa12[6];
	memcpy(isa12, ver, 5);
	isa12[5] = '\0';
	int reps = strcmp(isa12, "00402") >= 0;
	struct tm tm;
	gmtime_r(&now, &tm);
	const char *nl = p->x12_line_breaks ? "\n" : "";
	buf_printf(out, "ISA%c00%c          %c00%c          %c%-2s%c%-15s%c%-2s%c%-15s%c%02d%02d%02d%c%02d%02d%c%c%c%s%c"
		   "000000000%c0%c%c%c%c%c%s",
		   e, e, e, e, e, cfg->us.qualifier, e, cfg->us.id, e, p->x12.qualifier, e, p->x12.id, e,
		   tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, e, tm.tm_hour, tm.tm_min, e, reps ? r : 'U', e, isa12,
		   e, e, e, p->outbound_test ? 'T' : 'P', e, c, s, nl);
	buf_printf(out, "GS%c%s%c%s%c%s%c%04d%02d%02d%c%02d%02d%c0%cX%c%s%c%s", e, x12_fid(omap_doc_type(m)), e,
		   cfg->us.gs_id, e, p->x12.gs_id, e, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, e, tm.tm_hour,
		   tm.tm_min, e, e, e, ver, s, nl);
	buf_append(out, body->data ? body->data : "", body->len);
	buf_printf(out, "GE%c%zu%c0%c%sIEA%c1%c000000000%c%s", e, n, e, s, nl, e, e, s, nl);
}

/* ---------------------------------------------------------------- EDIFACT */

struct edi_check {
	const struct x12_schema *schemas;
	const struct x12_overlay *ov;
	struct buf problems;
	size_t nproblems;
	struct ledger_sent_set *sets;
	size_t nsets;
	char *key;
	struct edi_view view;
};

static void edi_problems(struct edi_check *c, const char *what, const struct x12_errlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char *d = edi_error_describe(&l->v[i]);
		if (++c->nproblems <= 50)
			buf_printf(&c->problems, "%s: %s\n", what, d);
		free(d);
	}
}

static int ec_msg(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct edi_check *c = ctx;
	const struct x12_txn_def *def = edi_overlay_find(c->ov, c->schemas, msg->version, msg->release, msg->type);
	if (!def) {
		x12_errlist_add_app(&res->errors, "definitions", "no definition of this message type and release");
		return 0;
	}
	edi_schema_validate(def, msg, &c->view, 32, &res->errors, NULL);
	struct edi_val k = edi_schema_key(def, msg);
	free(c->key);
	c->key = k.n ? span_dup((struct span){ k.p, k.n }) : NULL;
	return 0;
}

static int ec_msg_end(void *ctx, const struct edi_msg_result *res)
{
	struct edi_check *c = ctx;
	char what[48];
	snprintf(what, sizeof what, "message %s %s", res->type, res->ref);
	edi_problems(c, what, &res->errors);
	c->sets = xrealloc(c->sets, (c->nsets + 1) * sizeof *c->sets);
	c->sets[c->nsets].st01 = xstrdup(res->type);
	c->sets[c->nsets].tcn = xstrdup(res->ref);
	c->sets[c->nsets].business_key = c->key;
	c->key = NULL;
	c->nsets++;
	return 0;
}

static int ec_ic_end(void *ctx, const struct edi_interchange_result *res)
{
	edi_problems(ctx, "interchange", &res->errors);
	return 0;
}

/* Build, check, number, record and queue an EDIFACT interchange. */
static int send_edifact(struct gateway *g, const struct cfg_partner *p, const struct omap *m, const char *label,
			const struct omap_doc *docs, size_t n, const char *sha, unsigned flags, struct gw_export_result *x)
{
	const struct config *cfg = gateway_config(g);
	struct ledger *l = gateway_ledger(g);
	struct gw_send_result *r = &x->send;
	int dry = (flags & GW_SEND_DRY_RUN) != 0;
	struct edi_writer *w = NULL;
	struct edi_reader *rd = NULL;
	struct edi_check c = { 0 };
	struct buf out, body, err;
	int rc, began = 0;
	buf_init(&out, 0);
	buf_init(&body, 0);
	buf_init(&err, 0);
	buf_init(&c.problems, 0);
	char us[48], them[48], hkey[80];
	snprintf(us, sizeof us, "%s:%s", cfg->us_edifact.qualifier, cfg->us_edifact.id);
	snprintf(them, sizeof them, "%s:%s", p->edifact.qualifier, p->edifact.id);
	snprintf(hkey, sizeof hkey, "send:%s", sha);
	char *first = NULL;
	int dup = dry ? 0 : ledger_dup_find(l, us, them, hkey, NULL, p->dup_window_s, &first);
	if (dup > 0) {
		r->message = xasprintf("%s was already sent to %s as job %s (same file); not sent again", label, p->id,
				       first);
		free(first);
		return -EEXIST;
	}
	if (dup < 0)
		return dup;
	char syn[5];
	memcpy(syn, p->edifact_syntax, 4);
	syn[4] = '\0';
	int synver = p->edifact_syntax[5] - '0';
	struct edi_delims dl;
	edi_writer_default_delims(&dl, syn, synver);
	if ((rc = edi_writer_new(&w, syn, synver, &dl)) < 0) {
		r->message = xasprintf("edifact.syntax %s cannot be written (%s)", p->edifact_syntax, strerror(-rc));
		goto out;
	}
	if (!dry) {
		if ((rc = spool_new_id(r->job_id)) < 0 || (rc = ledger_begin(l)) < 0)
			goto out;
		began = 1;
		if ((rc = ledger_next_control(l, p->id, LEDGER_CTL_ISA, &r->isa13)) < 0)
			goto out;
	}
	char ref[16];
	snprintf(ref, sizeof ref, "%llu", (unsigned long long)r->isa13);
	/* version "D:96A:UN[:EAN005]" */
	char ver[4][16] = { "", "", "", "" };
	const char *v = omap_version(m);
	for (size_t i = 0, k = 0; *v && i < 4; v++) {
		if (*v == ':') {
			i++;
			k = 0;
		} else if (k < 15) {
			ver[i][k++] = *v;
		}
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char date[48], hm[24];
	if (synver >= 4)
		snprintf(date, sizeof date, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	else
		snprintf(date, sizeof date, "%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
	snprintf(hm, sizeof hm, "%02d%02d", tm.tm_hour, tm.tm_min);
	edi_writer_seg(w, "UNB");
	edi_writer_elem(w, syn);
	edi_writer_comp_u64(w, (uint64_t)synver);
	edi_writer_elem(w, cfg->us_edifact.id);
	edi_writer_comp(w, cfg->us_edifact.qualifier);
	edi_writer_elem(w, p->edifact.id);
	edi_writer_comp(w, p->edifact.qualifier);
	edi_writer_elem(w, date);
	edi_writer_comp(w, hm);
	edi_writer_elem(w, ref);
	if (p->outbound_test) {
		for (int i = 0; i < 5; i++)
			edi_writer_elem(w, "");
		edi_writer_elem(w, "1");
	}
	rc = edi_writer_seg_end(w, &body);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		edi_writer_seg(w, "UNH");
		edi_writer_elem_u64(w, i + 1);
		edi_writer_elem(w, omap_doc_type(m));
		for (size_t k = 0; k < 4; k++)
			if (ver[k][0] || k < 3)
				edi_writer_comp(w, ver[k]);
		if ((rc = edi_writer_seg_end(w, &body)) < 0)
			break;
		if ((rc = omap_write_edifact(&docs[i], w, &body, &err)) < 0) {
			r->message = xasprintf("%s: record %zu: %s", label, i + 1, err.data ? err.data : "");
			break;
		}
		edi_writer_seg(w, "UNT");
		edi_writer_elem_u64(w, docs[i].n + 2);
		edi_writer_elem_u64(w, i + 1);
		rc = edi_writer_seg_end(w, &body);
	}
	if (rc == 0) {
		edi_writer_seg(w, "UNZ");
		edi_writer_elem_u64(w, n);
		edi_writer_elem(w, ref);
		rc = edi_writer_seg_end(w, &body);
	}
	if (rc < 0) {
		if (!r->message)
			r->message = xasprintf("%s: %s", label, edi_writer_error(w));
		rc = -EBADMSG;
		goto out;
	}
	if (edi_writer_una_needed(w))
		edi_writer_una(w, &out);
	buf_append(&out, body.data, body.len);
	if (dry)
		x->document = xstrdup(out.data);
	/* read it back as a partner would, with our definitions and their overlay */
	struct edi_limits lim;
	struct edi_tolerances tol;
	gateway_edi_reader_settings(cfg, p, &lim, &tol);
	c.schemas = g->edi_schemas;
	c.ov = gw_edi_overlay(g, p);
	if (!c.schemas) {
		r->message = xasprintf("%s: no EDIFACT definitions to check the %s against (schema-dir)", label,
				       omap_doc_type(m));
		rc = -EBADMSG;
		goto out;
	}
	if ((rc = edi_reader_new_mem(&rd, out.data, out.len, &lim)) < 0)
		goto out;
	struct edi_handler h = { .ctx = &c, .message = ec_msg, .message_end = ec_msg_end, .interchange_end = ec_ic_end };
	struct edi_file_summary sum = { 0 };
	struct x12_error xe = { 0 };
	if (edi_parse(rd, &h, &sum, &xe) < 0) {
		char *d = edi_error_describe(&xe);
		buf_printf(&c.problems, "not valid EDIFACT: %s\n", d);
		c.nproblems++;
		free(d);
		x12_error_free(&xe);
	}
	if (c.nproblems) {
		r->message = xasprintf("%s is not sent (%zu problem(s)):\n%s", label, c.nproblems, c.problems.data);
		rc = -EBADMSG;
		goto out;
	}
	if (dry)
		goto out;
	snprintf(r->name, sizeof r->name, "%09llu-%s.edi", (unsigned long long)r->isa13, omap_doc_type(m));
	struct ledger_sent_group lg = { omap_doc_type(m), ref, omap_version(m), c.sets, c.nsets };
	struct ledger_sent sn = { .partner = p->id, .job_id = r->job_id, .sender = us, .receiver = them,
				  .icn = ref, .output = r->name, .test = p->outbound_test,
				  .due_s = p->ack_due_s, .groups = &lg, .ngroups = 1 };
	char *what = xasprintf("%zu %s message(s) from %s (our 0020 %s)", n, omap_doc_type(m), label, ref);
	r->groups = 1;
	r->sets = c.nsets;
	rc = gw_queue_outbound(g, &sn, out.data, out.len, hkey, sha, what, r, &began);
	free(what);
out:
	if (began)
		ledger_rollback(l);
	edi_reader_free(rd);
	edi_writer_free(w);
	edi_view_free(&c.view);
	for (size_t i = 0; i < c.nsets; i++) {
		free((char *)c.sets[i].st01);
		free((char *)c.sets[i].tcn);
		free((char *)c.sets[i].business_key);
	}
	free(c.sets);
	free(c.key);
	buf_free(&c.problems);
	buf_free(&out);
	buf_free(&body);
	buf_free(&err);
	return rc;
}

/* ---------------------------------------------------------------- one file */

/* Export one ERP file for a partner. */
int gateway_export(struct gateway *g, const char *partner, const char *path, const char *kind, unsigned flags,
		   struct gw_export_result *x)
{
	const struct config *cfg = gateway_config(g);
	const struct cfg_partner *p = config_partner(cfg, partner);
	struct buf in, why, bytes, xml;
	struct sink k = { 0 };
	int rc;
	memset(x, 0, sizeof *x);
	buf_init(&xml, 0);
	buf_init(&in, 0);
	buf_init(&why, 0);
	buf_init(&bytes, 0);
	if (!p) {
		x->send.message = xasprintf("no partner '%s' in %s", partner, cfg->partners_dir);
		return -ENOENT;
	}
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const struct cfg_flow *f = kind ? config_partner_flow(p, 0, kind) : kind_of(p, base);
	if (!f) {
		x->send.message = kind ? xasprintf("partner %s has no export.%s line (%s)", p->id, kind, p->file)
				       : xasprintf("%s: the name does not start with a kind partner %s exports (%s)", base,
						   p->id, p->file);
		return -ENOENT;
	}
	snprintf(x->kind, sizeof x->kind, "%s", f->kind);
	const struct cfg_flow *of = config_partner_flow(p, 1, f->kind);
	struct diag_list dl;
	diag_list_init(&dl);
	const struct omap *m = of ? gw_omap_for(g, of->map_path, &dl) : NULL;
	diag_list_free(&dl);
	if (!m) {
		x->send.message = xasprintf("partner %s: outbound.%s is missing or its map cannot be loaded (%s)", p->id,
					    f->kind, p->file);
		return -EINVAL;
	}
	if ((rc = file_read_all(path, p->limits.max_file_size, &in)) < 0) {
		x->send.message = xasprintf("%s: %s", path, rc == -EFBIG ? "larger than limit.max-file-size" : strerror(-rc));
		goto out;
	}
	char sha[65];
	{
		/* the file's bytes and its kind: the same file exported as another kind is another document */
		struct sha256_ctx *h = sha256_new();
		sha256_update(h, f->kind, strlen(f->kind));
		sha256_update(h, "\n", 1);
		sha256_update(h, in.data ? in.data : "", in.len);
		sha256_finish(h, sha);
	}
	char *corr = xasprintf("erp-export:%s", base);
	k = (struct sink){ .m = m, .p = p, .forbidden = omap_edifact(m) ? NULL : p->x12_delims, .why = &why,
			   .records = (flags & GW_SEND_DRY_RUN) ? &xml : NULL };
	buf_init(&k.body, 0);
	rc = read_records(g, p, f, in.data ? in.data : "", in.len, corr, &k, &why);
	free(corr);
	if (xml.len)
		x->records = xstrdup(xml.data);
	if (rc == 0 && k.failed)
		rc = -EBADMSG;
	if (rc < 0)
		goto fail;
	x->nrecords = k.n;
	if (omap_edifact(m)) {
		rc = send_edifact(g, p, m, path, k.docs, k.n, sha, flags, x);
	} else {
		build_x12(cfg, p, m, &k.body, k.n, time(NULL), &bytes);
		buf_free(&k.body); /* the interchange holds it now */
		if (flags & GW_SEND_DRY_RUN)
			x->document = xstrdup(bytes.data);
		rc = gateway_send_mem(g, p->id, path, bytes.data, bytes.len, sha, flags, &x->send);
	}
	goto out;
fail:
	x->send.message = xasprintf("%s (%s) is not sent:\n%s", path, f->kind, why.data ? why.data : "");
out:
	sink_free(&k);
	buf_free(&xml);
	buf_free(&in);
	buf_free(&why);
	buf_free(&bytes);
	return rc;
}

/* Free what a result holds. */
void gw_export_result_free(struct gw_export_result *x)
{
	free(x->send.message);
	free(x->send.path);
	free(x->records);
	free(x->document);
	memset(x, 0, sizeof *x);
}

/* ---------------------------------------------------------------- polling */

/* Move the ERP file into sub (sent/ or failed/) of the export directory; the reason, if
 * any, beside it as NAME.reason. */
static int file_away(const char *dirpath, const char *name, const char *sub, const char *reason)
{
	char *to = path_join(dirpath, sub), *from = path_join(dirpath, name);
	int rc = mkdir_p(to, 0750);
	char *dst = NULL;
	if (rc < 0)
		goto out;
	/* a name already there (the ERP reused it) gets the time in front */
	dst = path_join(to, name);
	if (access(dst, F_OK) == 0) {
		free(dst);
		char stamp[96];
		snprintf(stamp, sizeof stamp, "%lld-%s", (long long)time(NULL), name);
		dst = path_join(to, stamp);
	}
	if (reason) {
		const char *b = strrchr(dst, '/') + 1;
		char *rn = xasprintf("%s.reason", b);
		rc = file_write_durable(to, to, rn, reason, strlen(reason), 1);
		free(rn);
		if (rc < 0)
			goto out;
	}
	if (rename(from, dst) < 0) {
		rc = -errno;
		goto out;
	}
	rc = fsync_dir(to);
	if (rc == 0)
		rc = fsync_dir(dirpath);
out:
	free(to);
	free(from);
	free(dst);
	return rc;
}

/* A dir_names filter: a regular file (not a link) whose name is not being written. */
static int ready_file(const char *dir, const char *name, void *ctx)
{
	if (!gw_name_ready(dir, name, ctx))
		return 0;
	char *full = path_join(dir, name);
	struct stat sb;
	int reg = lstat(full, &sb) == 0 && S_ISREG(sb.st_mode);
	free(full);
	return reg;
}

/* One partner's export directory. */
static int poll_partner(struct gateway *g, const struct cfg_partner *p, struct gw_stats *st)
{
	char **names = NULL;
	size_t n = 0;
	int rc = dir_names(p->export_dir, ready_file, NULL, EXPORT_MAX_FILES, &names, &n);
	if (rc < 0) {
		if (rc != -ENOENT) /* ENOENT: nothing exported yet */
			log_msg(LOG_ERROR, "export-dir %s of partner %s: %s", p->export_dir, p->id, strerror(-rc));
		return 0;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *full = path_join(p->export_dir, names[i]);
		struct gw_export_result x;
		int xr = kind_of(p, names[i]) ? gateway_export(g, p->id, full, NULL, 0, &x) : -ENOENT;
		if (xr == -ENOENT && !kind_of(p, names[i])) {
			memset(&x, 0, sizeof x);
			x.send.message = xasprintf("%s: the name starts with no kind partner %s exports (export.<kind> in %s)",
						   names[i], p->id, p->file);
		}
		if (xr == 0 || xr == -EEXIST) {
			if (xr == 0)
				log_msg(LOG_INFO, "export %s -> %s: %zu %s record(s) queued as %s (job %s)", full, p->id,
					x.nrecords, x.kind, x.send.path, x.send.job_id);
			else
				log_msg(LOG_WARN, "export %s: %s", full, x.send.message);
			rc = file_away(p->export_dir, names[i], "sent", NULL);
			if (xr == 0)
				st->exported++;
		} else if (xr == -EBADMSG || xr == -ENOENT) {
			log_msg(LOG_ERROR, "export %s for partner %s failed: %s", full, p->id,
				x.send.message ? x.send.message : "");
			/* a failure event (edigw status lists it with the failed jobs) */
			char id[SPOOL_ID_MAX];
			if (spool_new_id(id) == 0) {
				char *ev = xasprintf("export for partner %s: %s moved to %s/failed/ (%s.reason): %s", p->id,
						     names[i], p->export_dir, names[i],
						     x.send.message ? x.send.message : "not sent");
				ledger_event(gateway_ledger(g), id, NULL, "failed", ev);
				free(ev);
			}
			rc = file_away(p->export_dir, names[i], "failed", x.send.message ? x.send.message : "");
			st->export_failed++;
		} else {
			/* environment trouble (disk, ledger): leave the file for the next poll */
			log_msg(LOG_ERROR, "export %s for partner %s: %s", full, p->id,
				x.send.message ? x.send.message : strerror(-xr));
		}
		gw_export_result_free(&x);
		free(full);
	}
	dir_names_free(names, n);
	return rc;
}

/* Every partner's export directory. */
int gateway_export_poll(struct gateway *g, struct gw_stats *st)
{
	const struct config *cfg = gateway_config(g);
	int rc = 0;
	for (size_t i = 0; i < cfg->npartners; i++) {
		if (!cfg->partners[i].export_dir)
			continue;
		int r = poll_partner(g, &cfg->partners[i], st);
		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}
