/*
 * check_erp — ERP profiles: the shipped CSV profiles (maps/erp/<kind>-csv.map),
 * the fixed-width and XML targets, and the shipped order-fixed.map and
 * order-xml.map.
 *
 * Every canonical kind a shipped X12 map writes has a profile; each profile
 * loads and passes map check against doc/canonical.rng; and each real X12
 * sample in tests/data/erp/ goes the way the gateway takes it — X12 reader
 * and envelope checks, its transaction set definition (maps/schemas), the
 * shipped map, canonical.rng, the ERP profile — and gives exactly the ERP
 * file next to it (tests/data/erp/<sample>.csv). The same samples through
 * the real edigw binary (config check, map check, ingest, run --once) give
 * the same files under the names the gateway writes.
 *
 * Fixed-width and XML profiles are tested in process (widths, alignment and
 * padding, truncation, overflow errors with record, column and profile line,
 * encodings, XML nesting, escaping, empty values, determinism, load errors)
 * and through the binary: an 850 with two orders in one group becomes one
 * XML file (one root around both) and one fixed-width file.
 *
 * When a file differs, the test says where; with EDIGW_ERP_GOT=DIR set it
 * also writes what it got to DIR/<sample>.csv for a diff.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "canon/canon.h"
#include "map/map.h"
#include "x12/x12.h"
#include "x12/x12_schema.h"
#include "testutil.h"

/* One X12 sample and what it becomes. */
struct sample {
	const char *name;    /* tests/data/erp/<name>.x12 and .csv */
	const char *st01;    /* read by maps/x12/<st01>.map */
	const char *kind;    /* written by maps/erp/<kind>-csv.map */
	const char *partner; /* who sends it (the ERP file's partner column) */
	size_t ntxn;         /* transaction sets in the sample */
	const char *erp_file; /* the file the gateway writes: kind-partner-ISA09-ISA13-GS06.csv */
};

static const struct sample samples[] = {
	{ "855-4010", "855", "order-response", "demo-supplier", 2,
	  "order-response-demo-supplier-261116-000000201-201.csv" },
	{ "856-4010", "856", "ship-notice", "demo-supplier", 1,
	  "ship-notice-demo-supplier-261122-000000202-202.csv" },
	{ "856-5010", "856", "ship-notice", "demo-supplier", 1,
	  "ship-notice-demo-supplier-261123-000000203-203.csv" },
	{ "810-4010", "810", "invoice", "demo-supplier", 1,
	  "invoice-demo-supplier-261124-000000204-204.csv" },
	{ "810-5010", "810", "invoice", "demo-supplier", 1,
	  "invoice-demo-supplier-261201-000000205-205.csv" },
	{ "860-4010", "860", "order-change", "demo-retailer", 1,
	  "order-change-demo-retailer-261120-000000206-206.csv" },
	{ "846-4010", "846", "inventory-advice", "demo-supplier", 1,
	  "inventory-advice-demo-supplier-261122-000000207-207.csv" },
	{ "940-4010", "940", "warehouse-shipping-order", "demo-3pl", 1,
	  "warehouse-shipping-order-demo-3pl-261122-000000208-208.csv" },
	{ "945-4010", "945", "warehouse-shipping-advice", "demo-3pl", 1,
	  "warehouse-shipping-advice-demo-3pl-261124-000000209-209.csv" },
	{ "943-4010", "943", "warehouse-transfer-shipment", "demo-3pl", 1,
	  "warehouse-transfer-shipment-demo-3pl-261120-000000210-210.csv" },
	{ "944-4010", "944", "warehouse-transfer-receipt", "demo-3pl", 1,
	  "warehouse-transfer-receipt-demo-3pl-261123-000000211-211.csv" },
};
#define NSAMPLES ((int)(sizeof samples / sizeof samples[0]))

/* The canonical kinds of the shipped X12 maps and the profile for each. */
static const char *const kinds[] = {
	"order", "order-response", "ship-notice", "invoice", "order-change", "inventory-advice",
	"warehouse-shipping-order", "warehouse-shipping-advice", "warehouse-transfer-shipment",
	"warehouse-transfer-receipt",
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* ------------------------------------------------------------- helpers */

/* "file:line: message" lines of a diagnostics list. */
static char *diag_text(const struct diag_list *d)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < d->n; i++)
		buf_printf(&b, "%s:%zu: %s%s\n", d->v[i].file ? d->v[i].file : "-", d->v[i].line,
			   d->v[i].warning ? "warning: " : "", d->v[i].msg);
	return b.data ? buf_steal(&b) : xstrdup("");
}

/* maps/erp/<kind>-csv.map under the source tree; allocated. */
static char *profile_path(const char *kind)
{
	char *rel = xasprintf("maps/erp/%s-csv.map", kind);
	char *p = tu_srcpath(rel);
	free(rel);
	return p;
}

/* tests/data/erp/<name><ext> under the source tree; allocated. */
static char *data_path(const char *name, const char *ext)
{
	char *rel = xasprintf("tests/data/erp/%s%s", name, ext);
	char *p = tu_srcpath(rel);
	free(rel);
	return p;
}

/* Fail unless got (len bytes) is the expected file's content, byte for byte; name the
 * first line that differs. */
static void expect_file(const char *want_path, const char *label, const char *got, size_t len)
{
	size_t wlen = 0;
	char *want = tu_read(want_path, &wlen);
	ck_assert_msg(want != NULL, "%s: cannot read the expected file %s", label, want_path);
	if (len == wlen && memcmp(want, got, len) == 0) {
		free(want);
		return;
	}
	const char *dir = getenv("EDIGW_ERP_GOT");
	if (dir && *dir) {
		char *p = xasprintf("%s/%s.csv", dir, label);
		tu_write(p, got, len);
		free(p);
	}
	size_t i = 0, line = 1, bol = 0;
	while (i < len && i < wlen && got[i] == want[i]) {
		if (got[i] == '\n') {
			line++;
			bol = i + 1;
		}
		i++;
	}
	size_t ge = bol, we = bol;
	while (ge < len && got[ge] != '\n')
		ge++;
	while (we < wlen && want[we] != '\n')
		we++;
	char *g = span_dup((struct span){ got + (bol < len ? bol : len), bol < len ? ge - bol : 0 });
	char *w = span_dup((struct span){ want + (bol < wlen ? bol : wlen), bol < wlen ? we - bol : 0 });
	free(want);
	ck_abort_msg("%s: the ERP file differs from %s at line %zu, byte %zu\n  got:  %s\n  want: %s",
		     label, want_path, line, i + 1, g, w);
}

/* Number of nodes an XPath expression selects. */
static int xpath_count(xmlXPathContextPtr xp, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, xp);
	ck_assert_msg(o != NULL, "bad XPath %s", expr);
	int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	return n;
}

/* The string value of an XPath expression (allocated). */
static char *xpath_string(xmlXPathContextPtr xp, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, xp);
	ck_assert_msg(o != NULL, "bad XPath %s", expr);
	xmlChar *s = xmlXPathCastToString(o);
	char *r = xstrdup((const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	return r;
}

/* ------------------------------------------------- the gateway's path */

/* One sample through reader, definitions, map, canonical.rng and profile. */
struct run {
	const struct sample *s;
	const struct x12_schema *schemas;
	const struct map *map;
	const struct erp_profile *prof;
	const char *rng;
	struct buf out;      /* the ERP file */
	struct buf problems; /* everything that went wrong, one per line */
	size_t ntxn;
	size_t nrecords;
};

/* A transaction set: validate, map, check, render (as gateway.c cb_transaction). */
static int on_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct run *r = ctx;
	r->ntxn++;
	const struct x12_txn_def *def = x12_schema_find(r->schemas, txn->gs->version, txn->st01);
	if (!def) {
		buf_printf(&r->problems, "ST %s: no definition for %s %s\n", txn->st02,
			   txn->gs->version, txn->st01);
		return 0;
	}
	if (x12_schema_validate(def, txn, 0, &res->errors) > 0)
		return 0; /* described by on_txn_end */
	xmlDocPtr rec = NULL;
	char *key = NULL;
	int rc = map_apply_x12(r->map, txn, &rec, &res->errors, &key);
	if (rc != 0 || !rec || res->errors.n) {
		if (rc != 0)
			buf_printf(&r->problems, "ST %s: map_apply_x12 returned %d\n", txn->st02, rc);
		goto out;
	}
	canon_set_source(rec, r->s->partner, txn);
	struct buf err;
	buf_init(&err, 0);
	if (canon_validate(rec, r->rng, &err) != 0)
		buf_printf(&r->problems, "ST %s: not a valid canonical record: %s\n", txn->st02,
			   err.data ? err.data : "");
	else if (erp_render(r->prof, rec, &r->out, &err) != 0)
		buf_printf(&r->problems, "ST %s: ERP profile: %s\n", txn->st02,
			   err.data ? err.data : "");
	else
		r->nrecords++;
	buf_free(&err);
out:
	free(key);
	if (rec)
		xmlFreeDoc(rec);
	return 0;
}

/* A transaction set's final status: anything but accepted is a problem. */
static int on_txn_end(void *ctx, const struct x12_txn_result *res)
{
	struct run *r = ctx;
	for (size_t i = 0; i < res->errors.n; i++) {
		char *d = x12_error_describe(&res->errors.v[i]);
		buf_printf(&r->problems, "ST %s: %s\n", res->st02, d);
		free(d);
	}
	if (res->status != 'A' || res->app_rejected)
		buf_printf(&r->problems, "ST %s: status %c%s\n", res->st02, res->status,
			   res->app_rejected ? " (application error)" : "");
	return 0;
}

/* A group's status. */
static int on_group_end(void *ctx, const struct x12_group_result *res)
{
	struct run *r = ctx;
	if (res->status != 'A')
		buf_printf(&r->problems, "GS %s: status %c\n", res->gs.gcn, res->status);
	return 0;
}

/* An interchange's TA1 status. */
static int on_ic_end(void *ctx, const struct x12_interchange_result *res)
{
	struct run *r = ctx;
	if (res->ta1_status != 'A' || !res->envelope_ok)
		buf_printf(&r->problems, "ISA %s: TA1 %c %s\n", res->isa.icn, res->ta1_status,
			   res->ta1_code);
	return 0;
}

static struct x12_schema *g_schemas;
static char *g_rng;
static char *g_tmp;
static int g_nprof; /* profile files the current test wrote (p1.map, p2.map, ...) */

static void setup(void)
{
	g_rng = tu_srcpath("doc/canonical.rng");
	g_tmp = tu_tmpdir();
	g_nprof = 0;
	char *root = tu_srcpath("maps/schemas");
	struct diag_list d;
	diag_list_init(&d);
	int rc = x12_schema_load(&g_schemas, root, &d);
	char *e = diag_text(&d);
	ck_assert_msg(rc == 0 && g_schemas, "maps/schemas: %s", e);
	free(e);
	diag_list_free(&d);
	free(root);
}

static void teardown(void)
{
	x12_schema_free(g_schemas);
	g_schemas = NULL;
	tu_rmtree(g_tmp);
	free(g_tmp);
	free(g_rng);
}

/* Load the shipped map for st01; fails the test on any diagnostic. */
static struct map *load_map(const char *st01)
{
	char *rel = xasprintf("maps/x12/%s.map", st01);
	char *p = tu_srcpath(rel);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, p, &d);
	char *e = diag_text(&d);
	ck_assert_msg(rc == 0 && m && d.n == 0, "%s: %s", rel, e);
	free(e);
	diag_list_free(&d);
	free(p);
	free(rel);
	return m;
}

/* Load the shipped profile for kind; fails the test on any diagnostic. */
static struct erp_profile *load_profile(const char *kind)
{
	char *p = profile_path(kind);
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *prof = NULL;
	int rc = erp_profile_load(&prof, p, &d);
	char *e = diag_text(&d);
	ck_assert_msg(rc == 0 && prof && d.n == 0, "%s: %s", p, e);
	free(e);
	diag_list_free(&d);
	free(p);
	return prof;
}

/* Run sample s the gateway's way; the ERP file in r->out, problems in r->problems. */
static void run_sample(struct run *r, const struct sample *s, const struct map *m,
		       const struct erp_profile *prof)
{
	memset(r, 0, sizeof *r);
	r->s = s;
	r->schemas = g_schemas;
	r->map = m;
	r->prof = prof;
	r->rng = g_rng;
	buf_init(&r->out, 0);
	buf_init(&r->problems, 0);
	char *path = data_path(s->name, ".x12");
	size_t len = 0;
	char *x12 = tu_read(path, &len);
	ck_assert_msg(x12 != NULL, "cannot read %s", path);
	struct x12_limits lim;
	x12_limits_default(&lim);
	struct x12_reader *rd = NULL;
	ck_assert_int_eq(x12_reader_new_mem(&rd, x12, len, &lim), 0);
	struct x12_handler h = { 0 };
	h.ctx = r;
	h.transaction = on_txn;
	h.transaction_end = on_txn_end;
	h.group_end = on_group_end;
	h.interchange_end = on_ic_end;
	struct x12_file_summary sum = { 0 };
	struct x12_error err = { 0 };
	int rc = x12_parse(rd, &h, &sum, &err);
	ck_assert_msg(rc == 0, "%s: x12_parse returned %d: %s", path, rc, err.msg ? err.msg : "");
	x12_error_free(&err);
	x12_reader_free(rd);
	free(x12);
	free(path);
}

/* ---------------------------------------------------------------- tests */

/* Every shipped X12 map writes a kind that has its profile maps/erp/<kind>-csv.map. */
START_TEST(test_every_kind_has_a_profile)
{
	char *dir = tu_srcpath("maps/x12");
	DIR *dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	int nmaps = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".map") != 0)
			continue;
		char *st01 = span_dup((struct span){ de->d_name, n - 4 });
		struct map *m = load_map(st01);
		const char *kind = map_target_kind(m);
		int listed = 0;
		for (int k = 0; k < NKINDS; k++)
			listed |= strcmp(kinds[k], kind) == 0;
		ck_assert_msg(listed, "maps/x12/%s writes '%s' records, which this test does not know",
			      de->d_name, kind);
		char *p = profile_path(kind);
		struct stat st;
		ck_assert_msg(stat(p, &st) == 0 && S_ISREG(st.st_mode),
			      "maps/x12/%s writes '%s' records but there is no %s", de->d_name, kind, p);
		struct erp_profile *prof = load_profile(kind);
		ck_assert_str_eq(erp_profile_kind(prof), kind);
		erp_profile_free(prof);
		free(p);
		map_free(m);
		free(st01);
		nmaps++;
	}
	closedir(dp);
	free(dir);
	ck_assert_int_eq(nmaps, NKINDS);
}
END_TEST

/* Each profile: reads the kind its name says, writes csv, passes map check. */
START_TEST(test_profile_checks)
{
	const char *kind = kinds[_i];
	struct erp_profile *prof = load_profile(kind);
	ck_assert_str_eq(erp_profile_kind(prof), kind);
	ck_assert_str_eq(erp_profile_extension(prof), "csv");
	erp_profile_free(prof);
	char *p = profile_path(kind);
	struct diag_list d;
	diag_list_init(&d);
	int rc = map_check(p, g_rng, &d);
	char *e = diag_text(&d);
	ck_assert_msg(rc == 0 && d.n == 0, "map check %s:\n%s", p, e);
	free(e);
	diag_list_free(&d);
	free(p);
}
END_TEST

/* Each sample, the gateway's way, gives exactly its expected ERP file. */
START_TEST(test_sample)
{
	const struct sample *s = &samples[_i];
	struct map *m = load_map(s->st01);
	ck_assert_str_eq(map_target_kind(m), s->kind);
	struct erp_profile *prof = load_profile(s->kind);
	struct run r;
	run_sample(&r, s, m, prof);
	ck_assert_msg(r.problems.len == 0, "%s:\n%s", s->name, r.problems.data);
	ck_assert_uint_eq(r.ntxn, s->ntxn);
	ck_assert_uint_eq(r.nrecords, s->ntxn);
	char *want = data_path(s->name, ".csv");
	expect_file(want, s->name, r.out.data ? r.out.data : "", r.out.len);
	free(want);
	buf_free(&r.out);
	buf_free(&r.problems);
	erp_profile_free(prof);
	map_free(m);
}
END_TEST

/* Count the fields of one CSV record (RFC 4180) starting at *p; *p moves past its CRLF.
 * Returns -1 when the record does not end in CRLF or a quoted field is malformed. */
static int csv_record(const char **p, char *first, size_t cap)
{
	const char *s = *p;
	int n = 0;
	for (;;) {
		struct buf f;
		buf_init(&f, 0);
		if (*s == '"') {
			s++;
			for (;;) {
				if (!*s) {
					buf_free(&f);
					return -1;
				}
				if (*s == '"' && s[1] == '"') {
					buf_putc(&f, '"');
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					buf_putc(&f, *s++);
				}
			}
		} else {
			while (*s && *s != ',' && *s != '\r' && *s != '\n' && *s != '"')
				buf_putc(&f, *s++);
			if (*s == '"') {
				buf_free(&f);
				return -1; /* a quote inside an unquoted field */
			}
		}
		if (n == 0)
			snprintf(first, cap, "%s", f.data ? f.data : "");
		buf_free(&f);
		n++;
		if (*s == ',') {
			s++;
			continue;
		}
		if (s[0] == '\r' && s[1] == '\n') {
			*p = s + 2;
			return n;
		}
		return -1;
	}
}

/* What an ERP import reads: every expected file is RFC 4180 with CRLF record ends, and
 * every record of one type has the same number of fields, the profile's column count. */
START_TEST(test_expected_files_are_csv)
{
	const struct sample *s = &samples[_i];
	char *path = data_path(s->name, ".csv");
	char *text = tu_read(path, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	char *prof_path = profile_path(s->kind);
	char *prof_text = tu_read(prof_path, NULL);
	ck_assert_ptr_nonnull(prof_text);
	const char *p = text;
	int nrec = 0;
	while (*p) {
		char label[64];
		int n = csv_record(&p, label, sizeof label);
		ck_assert_msg(n > 0, "%s: record %d is not RFC 4180 CSV ending in CRLF", path, nrec + 1);
		/* columns of the record types whose first column is "label" */
		char *needle = xasprintf("\n  \"%s\"\n", label);
		const char *at = strstr(prof_text, needle);
		ck_assert_msg(at != NULL, "%s: record %d has an unknown label '%s'", path, nrec + 1,
			      label);
		int cols = 0;
		for (const char *l = at + 1; strncmp(l, "  ", 2) == 0; l = strchr(l, '\n') + 1)
			cols++;
		ck_assert_msg(n == cols, "%s: record %d (%s) has %d fields, the profile %d columns",
			      path, nrec + 1, label, n, cols);
		free(needle);
		nrec++;
	}
	ck_assert_int_gt(nrec, 0);
	free(prof_text);
	free(prof_path);
	free(text);
	free(path);
}
END_TEST

/* One physical line of a header-comment example without its "  (annotation)". */
static void example_piece(struct buf *rec, const char *s, size_t n)
{
	while (n && s[n - 1] == ' ')
		n--;
	if (n && s[n - 1] == ')') {
		for (size_t i = n - 1; i >= 2; i--)
			if (s[i] == '(' && s[i - 1] == ' ' && s[i - 2] == ' ') {
				n = i;
				break;
			}
		while (n && s[n - 1] == ' ')
			n--;
	}
	buf_append(rec, s, n);
}

/* The example in a profile's header comment ("# Example (tests/data/erp/NAME.x12"):
 * its records, unwrapped and without annotations, are records of NAME.csv, in order. */
START_TEST(test_profile_examples)
{
	const char *kind = kinds[_i];
	char *p = profile_path(kind);
	char *text = tu_read(p, NULL);
	ck_assert_ptr_nonnull(text);
	const char *at = strstr(text, "# Example (tests/data/erp/");
	ck_assert_msg(at != NULL, "%s: no example from tests/data/erp", p);
	at += strlen("# Example (tests/data/erp/");
	const char *dot = strstr(at, ".x12");
	ck_assert_ptr_nonnull(dot);
	char *name = span_dup((struct span){ at, (size_t)(dot - at) });
	char *gp = data_path(name, ".csv");
	char *gold = tu_read(gp, NULL);
	ck_assert_msg(gold != NULL, "%s: its example names %s, which does not exist", p, gp);
	/* the example's records */
	char *recs[64];
	int nrec = 0;
	struct buf cur;
	buf_init(&cur, 0);
	for (const char *l = strchr(dot, '\n') + 1; *l == '#'; l = strchr(l, '\n') + 1) {
		const char *e = strchr(l, '\n');
		ck_assert_ptr_nonnull(e);
		const char *b = l + 1;
		size_t n = (size_t)(e - b);
		if (n > 4 && strncmp(b, "   ", 3) == 0 && b[3] >= 'A' && b[3] <= 'Z' && b[4] == ',') {
			if (cur.len) {
				ck_assert_int_lt(nrec, 64);
				recs[nrec++] = buf_steal(&cur);
				buf_init(&cur, 0);
			}
			example_piece(&cur, b + 3, n - 3);
		} else if (n > 5 && strncmp(b, "     ", 5) == 0 && cur.len) {
			size_t k = strspn(b, " ");
			if (b[k] != '(') /* a line that is only an annotation */
				example_piece(&cur, b + k, n - k);
		}
	}
	if (cur.len)
		recs[nrec++] = buf_steal(&cur);
	buf_free(&cur);
	ck_assert_msg(nrec >= 3, "%s: only %d example records", p, nrec);
	/* in the expected file, in this order */
	const char *g = gold;
	for (int i = 0; i < nrec; i++) {
		char *want = xasprintf("%s\r\n", recs[i]);
		const char *hit = g;
		while ((hit = strstr(hit, want)) && hit != gold && hit[-1] != '\n')
			hit++;
		ck_assert_msg(hit != NULL, "%s: example record %d is not (in this order) a record of "
			      "%s:\n  %s", p, i + 1, gp, recs[i]);
		g = hit + strlen(want);
		free(want);
		free(recs[i]);
	}
	free(gold);
	free(gp);
	free(name);
	free(text);
	free(p);
}
END_TEST

/* ------------------------------------- fixed-width and XML profiles */

/* Write text as a profile file in the test's directory; allocated path. */
static char *profile_file(const char *text)
{
	char *p = xasprintf("%s/p%d.map", g_tmp, ++g_nprof);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
	return p;
}

/* Load text as a profile that must have no diagnostics; *path_out (if non-NULL) gets its
 * file name (allocated). */
static struct erp_profile *profile_ok(const char *text, char **path_out)
{
	char *p = profile_file(text);
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *prof = NULL;
	int rc = erp_profile_load(&prof, p, &d);
	char *e = diag_text(&d);
	ck_assert_msg(rc == 0 && prof && d.n == 0, "profile does not load:\n%s\n%s", e, text);
	free(e);
	diag_list_free(&d);
	if (path_out)
		*path_out = p;
	else
		free(p);
	return prof;
}

/* Load text as a profile that must fail; its diagnostics as "LINE: message\n" lines. */
static char *profile_bad(const char *text)
{
	char *p = profile_file(text);
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *prof = NULL;
	ck_assert_int_eq(erp_profile_load(&prof, p, &d), -EINVAL);
	ck_assert_ptr_null(prof);
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%zu: %s\n", d.v[i].line, d.v[i].msg);
	diag_list_free(&d);
	free(p);
	return b.data ? buf_steal(&b) : xstrdup("");
}

/* Fail unless loading text reports want (a substring of "LINE: message"). */
static void expect_bad(const char *text, const char *want)
{
	char *e = profile_bad(text);
	ck_assert_msg(strstr(e, want) != NULL, "want '%s' in:\n%s", want, e);
	free(e);
}

/* A small order: two lines, the second with markup characters in its description. */
static xmlDocPtr small_order(void)
{
	xmlDocPtr d = canon_new("order");
	xmlNodePtr r = xmlDocGetRootElement(d);
	canon_set(r, "source/partner", "demo-retailer");
	canon_set(r, "po-number", "PO-1");
	canon_set(r, "purpose", "original");
	canon_set(r, "order-date", "2026-11-22");
	canon_set(r, "currency", "USD");
	canon_set(r, "parties/party[@role=ship-to]/name", "Demo DC");
	xmlNodePtr l = canon_append(canon_set(r, "lines", ""), "line");
	canon_set(l, "number", "1");
	canon_set(l, "quantity", "24");
	canon_set(l, "unit", "EA");
	canon_set(l, "unit-price", "12.5");
	canon_set(l, "description", "Blue widget, large");
	canon_set(l, "dates/date[@type=requested-delivery]", "2026-12-03");
	l = canon_append(l->parent, "line");
	canon_set(l, "number", "2");
	canon_set(l, "quantity", "1.5");
	canon_set(l, "unit", "LB");
	canon_set(l, "description", "Gadget \"Pro\" <b> & more");
	canon_set(r, "totals/line-count", "2");
	return d;
}

/* The n-th (1-based) line element of an order. */
static xmlNodePtr order_line(xmlDocPtr d, int n)
{
	xmlNodePtr r = xmlDocGetRootElement(d);
	for (xmlNodePtr c = r->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *)"lines"))
			for (xmlNodePtr l = c->children; l; l = l->next)
				if (l->type == XML_ELEMENT_NODE && --n == 0)
					return l;
	ck_abort_msg("no line %d", n);
	return NULL;
}

/* Render doc, which must succeed; the bytes (allocated), their length in *len. */
static char *render_ok(const struct erp_profile *p, xmlDocPtr doc, size_t *len)
{
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	int rc = erp_render(p, doc, &out, &err);
	ck_assert_msg(rc == 0, "erp_render: %d %s", rc, err.data ? err.data : "");
	buf_free(&err);
	if (len)
		*len = out.len;
	return out.data ? buf_steal(&out) : xstrdup("");
}

/* Render doc, which must fail with -EINVAL and append nothing; the reason (allocated). */
static char *render_bad(const struct erp_profile *p, xmlDocPtr doc)
{
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	buf_puts(&out, "before");
	ck_assert_int_eq(erp_render(p, doc, &out, &err), -EINVAL);
	ck_assert_str_eq(out.data, "before");
	/* the gateway's way: an application finding, out left as it was */
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(erp_render_checked(p, doc, &out, &errs), -1);
	ck_assert_str_eq(out.data, "before");
	ck_assert_uint_eq(errs.n, 1);
	x12_errlist_free(&errs);
	buf_free(&out);
	ck_assert_ptr_nonnull(err.data);
	return buf_steal(&err);
}

static const char fixed_text[] =
	"source order\n"                                 /* 1 */
	"target fixed\n"                                 /* 2 */
	"line-ending lf\n"                               /* 3 */
	"record H once\n"                                /* 4 */
	"  \"H\"                width 1\n"               /* 5 */
	"  po-number          width 8   required\n"      /* 6 */
	"  purpose            width 10  right\n"         /* 7 */
	"  totals/line-count  width 4   right zero\n"    /* 8 */
	"  currency           width 4\n"                 /* 9 */
	"  type               width 3   default SA\n"    /* 10 */
	"record L each lines/line\n"                     /* 11 */
	"  \"L\"                width 1\n"               /* 12 */
	"  number             width 3   right zero\n"    /* 13 */
	"  quantity           width 8   right zero required\n" /* 14 */
	"  unit-price         width 7   right\n"         /* 15 */
	"  description        width 12  truncate\n"      /* 16 */
	"  unit               width 2\n";                /* 17 */

/* Widths, alignment, space and zero padding, truncation, defaults, line ending, extension. */
START_TEST(test_fixed_layout)
{
	struct erp_profile *p = profile_ok(fixed_text, NULL);
	ck_assert_str_eq(erp_profile_extension(p), "txt");
	struct buf hf;
	buf_init(&hf, 0);
	ck_assert_int_eq(erp_profile_header(p, &hf), 0);
	ck_assert_int_eq(erp_profile_footer(p, &hf), 0);
	ck_assert_uint_eq(hf.len, 0);
	buf_free(&hf);
	xmlDocPtr doc = small_order();
	char *got = render_ok(p, doc, NULL);
	ck_assert_str_eq(got, "HPO-1      original0002USD SA \n"
			      "L00100000024   12.5Blue widget,EA\n"
			      "L002000001.5       Gadget \"Pro\"LB\n");
	free(got);
	/* one below, at and one above the width of a column without truncate */
	xmlNodePtr r = xmlDocGetRootElement(doc);
	canon_set(r, "po-number", "PO-1234");
	got = render_ok(p, doc, NULL);
	ck_assert_msg(strncmp(got, "HPO-1234   original", 19) == 0, "%s", got);
	free(got);
	canon_set(r, "po-number", "PO-12345");
	got = render_ok(p, doc, NULL);
	ck_assert_msg(strncmp(got, "HPO-12345  original", 19) == 0, "%s", got);
	free(got);
	canon_set(r, "po-number", "PO-123456");
	char *e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record H, column 2 (po-number, characters 2-9): 9 characters do not "
				"fit in 8 (ERP profile ") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "p1.map:6; 'truncate' would cut the value)") != NULL, "%s", e);
	free(e);
	canon_set(r, "po-number", "PO-1");
	/* signs stay in front of the zeros; the value is a number or an error */
	canon_set(order_line(doc, 1), "quantity", "-3");
	canon_set(order_line(doc, 2), "quantity", "+.5");
	got = render_ok(p, doc, NULL);
	ck_assert_msg(strstr(got, "\nL001-0000003   12.5") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "\nL002+00000.5       ") != NULL, "%s", got);
	free(got);
	canon_set(order_line(doc, 2), "quantity", "1e3");
	e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record L for lines/line number 2, column 3 (quantity, characters "
				"5-12): the value is not a number, and 'zero' pads numbers (ERP profile ")
		      != NULL, "%s", e);
	ck_assert_msg(strstr(e, "p1.map:14)") != NULL, "%s", e);
	free(e);
	canon_set(order_line(doc, 2), "quantity", "1.5");
	/* the record position and the column of an overflow in an each record */
	canon_set(order_line(doc, 2), "unit", "PCE");
	e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record L for lines/line number 2, column 6 (unit, characters 32-33): 3 "
				"characters do not fit in 2 (ERP profile ") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "p1.map:17;") != NULL, "%s", e);
	free(e);
	canon_set(order_line(doc, 2), "unit", "LB");
	/* a line break cannot be in a fixed-width field */
	canon_set(order_line(doc, 1), "description", "two\nlines");
	e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record L for lines/line number 1, column 5 (description, characters "
				"20-31): the value holds a line break") != NULL, "%s", e);
	free(e);
	/* widths count characters, not bytes: a UTF-8 line is longer in bytes */
	canon_set(order_line(doc, 1), "description", "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
						     "e"); /* 12 characters */
	size_t len = 0;
	got = render_ok(p, doc, &len);
	ck_assert_msg(strstr(got, "\nL001-0000003   12.5Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
				  "eEA\n") != NULL, "%s", got);
	ck_assert_uint_eq(len, 31 + 34 + 3 + 34);
	free(got);
	/* a required field */
	xmlNodePtr q = order_line(doc, 2)->children;
	while (q && !xmlStrEqual(q->name, (const xmlChar *)"quantity"))
		q = q->next;
	xmlUnlinkNode(q);
	xmlFreeNode(q);
	e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record L for lines/line number 2: required field quantity is empty") !=
		      NULL, "%s", e);
	free(e);
	xmlFreeDoc(doc);
	erp_profile_free(p);
}
END_TEST

/* The same record gives the same bytes, from one profile and from a fresh load of it. */
START_TEST(test_fixed_deterministic)
{
	struct erp_profile *p = profile_ok(fixed_text, NULL);
	struct erp_profile *p2 = profile_ok(fixed_text, NULL);
	xmlDocPtr doc = small_order();
	size_t l1 = 0, l2 = 0;
	char *a = render_ok(p, doc, &l1);
	char *b = render_ok(p2, doc, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(a, b, l1), 0);
	/* a second record appends the same bytes */
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	ck_assert_int_eq(erp_render(p, doc, &out, &err), 0);
	ck_assert_int_eq(erp_render(p, doc, &out, &err), 0);
	ck_assert_uint_eq(out.len, 2 * l1);
	ck_assert_int_eq(memcmp(out.data, a, l1), 0);
	ck_assert_int_eq(memcmp(out.data + l1, a, l1), 0);
	buf_free(&out);
	buf_free(&err);
	free(a);
	free(b);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	erp_profile_free(p2);
}
END_TEST

/* A profile of n columns of width w, then one of width last (0: none). */
static char *wide_profile(int n, int w, int last)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "source order\ntarget fixed\nrecord H once\n");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "  po-number  width %d  truncate\n", w);
	if (last)
		buf_printf(&b, "  po-number  width %d  truncate\n", last);
	return buf_steal(&b);
}

/* Column widths 1 to 4096, records of at most 65536 characters: below, at, above. */
START_TEST(test_fixed_limits)
{
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 0\n",
		   "4: 'width' needs a number of characters from 1 to 4096");
	erp_profile_free(profile_ok("source order\ntarget fixed\nrecord H once\n  po-number width 1 "
				    "truncate\n", NULL));
	erp_profile_free(profile_ok("source order\ntarget fixed\nrecord H once\n  po-number width 4095\n",
				    NULL));
	erp_profile_free(profile_ok("source order\ntarget fixed\nrecord H once\n  po-number width 4096\n",
				    NULL));
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 4097\n",
		   "4: 'width' needs a number of characters from 1 to 4096");
	char *t = wide_profile(15, 4096, 4095); /* 65535 */
	erp_profile_free(profile_ok(t, NULL));
	free(t);
	t = wide_profile(16, 4096, 0); /* 65536 */
	struct erp_profile *p = profile_ok(t, NULL);
	free(t);
	xmlDocPtr doc = small_order();
	size_t len = 0;
	char *got = render_ok(p, doc, &len);
	ck_assert_uint_eq(len, 65536 + 2);
	ck_assert_int_eq(strncmp(got, "PO-1    ", 8), 0);
	ck_assert_int_eq(strcmp(got + 65536, "\r\n"), 0);
	free(got);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	t = wide_profile(16, 4096, 1); /* 65537 */
	expect_bad(t, "3: record H is 65537 characters wide (at most 65536)");
	free(t);
	/* width 1: a one-character value fits, two do not */
	p = profile_ok("source order\ntarget fixed\nrecord H once\n  currency width 3\n  purpose width 1\n",
		       NULL);
	doc = small_order();
	xmlNodePtr r = xmlDocGetRootElement(doc);
	canon_set(r, "purpose", "o");
	got = render_ok(p, doc, NULL);
	ck_assert_str_eq(got, "USDo\r\n");
	free(got);
	canon_set(r, "purpose", "or");
	char *e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "column 2 (purpose, characters 4-4): 2 characters do not fit in 1") !=
		      NULL, "%s", e);
	free(e);
	xmlFreeDoc(doc);
	erp_profile_free(p);
}
END_TEST

/* encoding: ISO-8859-1 output, one byte per character; a character it cannot hold is an
 * error naming record, column and profile line; unknown or non-ASCII-compatible sets and
 * constants it cannot hold are refused when loading; CSV takes it too. */
START_TEST(test_fixed_encoding)
{
	char *t = tu_replace(fixed_text, "line-ending lf\n", "line-ending lf\nencoding ISO-8859-1\n");
	struct erp_profile *p = profile_ok(t, NULL);
	xmlDocPtr doc = small_order();
	canon_set(order_line(doc, 1), "description", "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
						     "e");
	size_t len = 0;
	char *got = render_ok(p, doc, &len);
	ck_assert_uint_eq(len, 31 + 34 + 34); /* every line its width in bytes */
	ck_assert_msg(memcmp(got + 31, "L00100000024   12.5Cr\xe8me br\xfbl\xe9"
				       "eEA\n", 34) == 0, "%s", got);
	free(got);
	canon_set(order_line(doc, 2), "description", "\xc5\x81\xc3\xb3\x64\xc5\xba"); /* Łódź */
	char *e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record L for lines/line number 2, column 5 (description, characters "
				"20-31): U+0141 cannot be written in ISO-8859-1 (ERP profile ") != NULL,
		      "%s", e);
	ck_assert_msg(strstr(e, ".map:17)") != NULL, "%s", e); /* line 16 moved down one */
	free(e);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	free(t);
	/* CSV: WINDOWS-1252 (the euro sign is 0x80), quoting unchanged */
	p = profile_ok("source order\ntarget csv\nencoding WINDOWS-1252\nline-ending lf\n"
		       "record L each lines/line\n  number\n  description\n", NULL);
	doc = small_order();
	canon_set(order_line(doc, 1), "description", "5 \xe2\x82\xac, net");
	got = render_ok(p, doc, NULL);
	ck_assert_str_eq(got, "1,\"5 \x80, net\"\n2,\"Gadget \"\"Pro\"\" <b> & more\"\n");
	free(got);
	canon_set(order_line(doc, 1), "description", "\xe2\x9c\x93"); /* U+2713 */
	e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record L for lines/line number 1, column 2 (description): U+2713 cannot "
				"be written in WINDOWS-1252") != NULL, "%s", e);
	free(e);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	/* UTF-8 named explicitly: no conversion */
	erp_profile_free(profile_ok("source order\ntarget fixed\nencoding utf-8\nrecord H once\n"
				    "  po-number width 4\n", NULL));
	expect_bad("source order\ntarget fixed\nencoding NO-SUCH-SET-1\nrecord H once\n  po-number width 4\n",
		   "3: encoding 'NO-SUCH-SET-1' is not a character set iconv knows");
	expect_bad("source order\ntarget fixed\nencoding UTF-16\nrecord H once\n  po-number width 4\n",
		   "3: encoding 'UTF-16' does not write ASCII as ASCII");
	expect_bad("source order\ntarget fixed\nencoding ISO-8859-1//TRANSLIT\nrecord H once\n"
		   "  po-number width 4\n", "3: encoding is a character set name");
	expect_bad("source order\ntarget fixed\nencoding ISO-8859-1\nrecord H once\n"
		   "  \"\xe2\x82\xac\" width 1\n", "5: the constant holds U+20AC, which ISO-8859-1 cannot hold");
	expect_bad("source order\ntarget xml\nroot O\nencoding ISO-8859-1\nrecord H once\n  A po-number\n",
		   "4: an XML file is written in UTF-8");
}
END_TEST

/* Fixed-width options where they do not belong, or do not go together. */
START_TEST(test_fixed_profile_errors)
{
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number required\n",
		   "4: a fixed-width column needs 'width N'");
	expect_bad("source order\ntarget csv\nrecord H once\n  po-number width 4\n",
		   "4: 'width' is an option of target fixed");
	expect_bad("source order\ntarget csv\nrecord H once\n  po-number truncate\n",
		   "4: 'truncate' is an option of target fixed");
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 4 left zero\n",
		   "4: 'left' does not go with 'zero");
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 4 left right\n",
		   "4: 'left' does not go with 'right'");
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 4 zero truncate\n",
		   "4: a number is never cut");
	expect_bad("source order\ntarget fixed\nrecord H once\n  \"HDR\" width 2\n",
		   "4: the constant 'HDR' is longer than the column's width 2");
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 2 default ABC\n",
		   "4: the default 'ABC' is longer than the column's width 2");
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 4 zero default N/A\n",
		   "4: 'zero' pads numbers: 'N/A' is not one");
	expect_bad("source order\ntarget fixed\nrecord H once\n  po-number width 4 wide\n",
		   "4: unknown column option 'wide' (expected width N, left, right, zero, truncate, "
		   "required or default VALUE)");
	expect_bad("source order\ntarget fixed\ndelimiter ;\nrecord H once\n  po-number width 4\n",
		   "3: 'delimiter' is for target csv");
	expect_bad("source order\ntarget fixed\nroot Orders\nrecord H once\n  po-number width 4\n",
		   "3: 'root' is for target xml");
	expect_bad("source order\ntarget json\nrecord H once\n  po-number\n",
		   "2: target 'json' is not supported (csv, fixed or xml)");
	expect_bad("source order\ntarget csv\ntarget fixed\nrecord H once\n  po-number\n",
		   "3: a second target line ('fixed', the first says 'csv')");
}
END_TEST

static const char xml_text[] =
	"source order\n"                                          /* 1 */
	"target xml\n"                                            /* 2 */
	"root Orders\n"                                           /* 3 */
	"namespace urn:example:orders\n"                          /* 4 */
	"record Order once\n"                                     /* 5 */
	"  @purpose              purpose\n"                       /* 6 */
	"  Header/PONumber       po-number            required\n" /* 7 */
	"  Header/Date           order-date           required\n" /* 8 */
	"  Header/Type           type                 default stand-alone\n" /* 9 */
	"  Header/Release        release-number\n"                /* 10 */
	"  Header/Version        \"2\"\n"                         /* 11 */
	"  ShipTo/@id            parties/party[@role=ship-to]/id\n" /* 12 */
	"  ShipTo/Name           parties/party[@role=ship-to]/name\n" /* 13 */
	"  Lines/Line            each lines/line\n"               /* 14 */
	"    @no                 number\n"                        /* 15 */
	"    Qty                 quantity             required\n" /* 16 */
	"    Qty/@unit           unit\n"                          /* 17 */
	"    Price               unit-price\n"                    /* 18 */
	"    Text                description\n"                   /* 19 */
	"    Dates/Date          each dates/date\n"               /* 20 */
	"      @type             @type\n"                         /* 21 */
	"      .                 .\n"                             /* 22 */
	"  Total/Count           totals/line-count\n";            /* 23 */

static const char xml_small[] =
	"  <Order purpose=\"original\">\n"
	"    <Header>\n"
	"      <PONumber>PO-1</PONumber>\n"
	"      <Date>2026-11-22</Date>\n"
	"      <Type>stand-alone</Type>\n"
	"      <Version>2</Version>\n"
	"    </Header>\n"
	"    <ShipTo>\n"
	"      <Name>Demo DC</Name>\n"
	"    </ShipTo>\n"
	"    <Lines>\n"
	"      <Line no=\"1\">\n"
	"        <Qty unit=\"EA\">24</Qty>\n"
	"        <Price>12.5</Price>\n"
	"        <Text>Blue widget, large</Text>\n"
	"        <Dates>\n"
	"          <Date type=\"requested-delivery\">2026-12-03</Date>\n"
	"        </Dates>\n"
	"      </Line>\n"
	"      <Line no=\"2\">\n"
	"        <Qty unit=\"LB\">1.5</Qty>\n"
	"        <Text>Gadget \"Pro\" &lt;b&gt; &amp; more</Text>\n"
	"      </Line>\n"
	"    </Lines>\n"
	"    <Total>\n"
	"      <Count>2</Count>\n"
	"    </Total>\n"
	"  </Order>\n";

/* Nesting (each inside each), attributes, constants, defaults, escaping, empty values left
 * out with the parents they would have needed; header and footer make one document. */
START_TEST(test_xml_layout)
{
	struct erp_profile *p = profile_ok(xml_text, NULL);
	ck_assert_str_eq(erp_profile_extension(p), "xml");
	xmlDocPtr doc = small_order();
	char *got = render_ok(p, doc, NULL);
	ck_assert_str_eq(got, xml_small);
	free(got);
	struct buf hf;
	buf_init(&hf, 0);
	ck_assert_int_eq(erp_profile_header(p, &hf), 0);
	ck_assert_str_eq(hf.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<Orders xmlns=\"urn:example:orders\">\n");
	buf_reset(&hf);
	ck_assert_int_eq(erp_profile_footer(p, &hf), 0);
	ck_assert_str_eq(hf.data, "</Orders>\n");
	buf_reset(&hf);
	ck_assert_int_eq(erp_profile_header(NULL, &hf), 0);
	ck_assert_int_eq(erp_profile_footer(NULL, &hf), 0);
	ck_assert_uint_eq(hf.len, 0);
	buf_free(&hf);
	/* markup characters in an attribute; non-ASCII text as UTF-8, not character references */
	xmlNodePtr r = xmlDocGetRootElement(doc);
	canon_set(r, "parties/party[@role=ship-to]/id", "A\"&<1>");
	canon_set(r, "release-number", "R\xc3\xa9l &amp; 2");
	got = render_ok(p, doc, NULL);
	ck_assert_msg(strstr(got, "    <ShipTo id=\"A&quot;&amp;&lt;1&gt;\">\n") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "      <Release>R\xc3\xa9l &amp;amp; 2</Release>\n") != NULL, "%s", got);
	free(got);
	/* no lines: no Lines element; no ship-to: no ShipTo */
	xmlDocPtr bare = canon_new("order");
	xmlNodePtr b = xmlDocGetRootElement(bare);
	canon_set(b, "po-number", "PO-2");
	canon_set(b, "order-date", "2026-11-23");
	canon_set(b, "type", "blanket");
	got = render_ok(p, bare, NULL);
	ck_assert_str_eq(got, "  <Order>\n"
			      "    <Header>\n"
			      "      <PONumber>PO-2</PONumber>\n"
			      "      <Date>2026-11-23</Date>\n"
			      "      <Type>blanket</Type>\n"
			      "      <Version>2</Version>\n"
			      "    </Header>\n"
			      "  </Order>\n");
	free(got);
	/* required: the record, the each element and its number, the profile line */
	xmlNodePtr q = order_line(doc, 2)->children;
	while (q && !xmlStrEqual(q->name, (const xmlChar *)"quantity"))
		q = q->next;
	xmlUnlinkNode(q);
	xmlFreeNode(q);
	char *e = render_bad(p, doc);
	ck_assert_msg(strstr(e, "record Order, Lines/Line for lines/line number 2: required field "
				"quantity is empty (ERP profile ") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "p1.map:16)") != NULL, "%s", e);
	free(e);
	canon_set(b, "po-number", "");
	e = render_bad(p, bare);
	ck_assert_msg(strstr(e, "record Order: required field po-number is empty") != NULL, "%s", e);
	free(e);
	xmlFreeDoc(bare);
	xmlFreeDoc(doc);
	erp_profile_free(p);
}
END_TEST

/* Two records between one header and footer are one well-formed document whose root holds
 * both; the bytes are the same from a fresh load. */
START_TEST(test_xml_document)
{
	struct erp_profile *p = profile_ok(xml_text, NULL);
	struct erp_profile *p2 = profile_ok(xml_text, NULL);
	xmlDocPtr doc = small_order();
	struct buf file, err;
	buf_init(&file, 0);
	buf_init(&err, 0);
	erp_profile_header(p, &file);
	ck_assert_int_eq(erp_render(p, doc, &file, &err), 0);
	canon_set(xmlDocGetRootElement(doc), "po-number", "PO-2");
	ck_assert_int_eq(erp_render(p, doc, &file, &err), 0);
	erp_profile_footer(p, &file);
	size_t l1 = 0, l2 = 0;
	char *a = render_ok(p, doc, &l1);
	char *c = render_ok(p2, doc, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(a, c, l1), 0);
	free(a);
	free(c);
	xmlDocPtr x = xmlReadMemory(file.data, (int)file.len, "erp.xml", NULL, XML_PARSE_NONET);
	ck_assert_msg(x != NULL, "not well-formed:\n%s", file.data);
	xmlNodePtr root = xmlDocGetRootElement(x);
	ck_assert_str_eq((const char *)root->name, "Orders");
	ck_assert_ptr_nonnull(root->ns);
	ck_assert_str_eq((const char *)root->ns->href, "urn:example:orders");
	int orders = 0;
	for (xmlNodePtr o = root->children; o; o = o->next)
		if (o->type == XML_ELEMENT_NODE) {
			orders++;
			ck_assert_str_eq((const char *)o->name, "Order");
			ck_assert_ptr_eq(o->ns, root->ns);
			xmlChar *t = xmlNodeGetContent(o->children->next->children->next);
			ck_assert_str_eq((const char *)t, orders == 1 ? "PO-1" : "PO-2");
			xmlFree(t);
		}
	ck_assert_int_eq(orders, 2);
	/* the parsed text is the original, markup characters and all */
	ck_assert_ptr_nonnull(strstr(file.data, "&lt;b&gt; &amp; more"));
	xmlFreeDoc(x);
	buf_free(&file);
	buf_free(&err);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	erp_profile_free(p2);
}
END_TEST

struct pathlist {
	struct buf b;
};

/* Collect "base|path|line" for erp_profile_paths. */
static void collect_path(void *ctx, const char *base, const char *path, size_t line)
{
	struct pathlist *l = ctx;
	buf_printf(&l->b, "%s|%s|%zu\n", base ? base : "-", path ? path : "-", line);
}

/* Record types straight below the root, the paths map check reads (nested each blocks under
 * their parents' paths), and map check naming a wrong canonical path in a nested block. */
START_TEST(test_xml_records_and_paths)
{
	struct erp_profile *p = profile_ok("source order\ntarget xml\nroot Import\n"
					   "record Head once\n  @po po-number\n"
					   "record Item each lines/line\n  Qty quantity\n  Note \"x\"\n",
					   NULL);
	xmlDocPtr doc = small_order();
	char *got = render_ok(p, doc, NULL);
	ck_assert_str_eq(got, "  <Head po=\"PO-1\"/>\n"
			      "  <Item>\n    <Qty>24</Qty>\n    <Note>x</Note>\n  </Item>\n"
			      "  <Item>\n    <Qty>1.5</Qty>\n    <Note>x</Note>\n  </Item>\n");
	free(got);
	erp_profile_free(p);
	char *path = NULL;
	p = profile_ok(xml_text, &path);
	struct pathlist l;
	buf_init(&l.b, 0);
	erp_profile_paths(p, collect_path, &l);
	ck_assert_str_eq(l.b.data, "-|purpose|6\n-|po-number|7\n-|order-date|8\n-|type|9\n"
				   "-|release-number|10\n-|parties/party[@role=ship-to]/id|12\n"
				   "-|parties/party[@role=ship-to]/name|13\nlines/line|-|14\n"
				   "lines/line|number|15\nlines/line|quantity|16\nlines/line|unit|17\n"
				   "lines/line|unit-price|18\nlines/line|description|19\n"
				   "lines/line/dates/date|-|20\nlines/line/dates/date|@type|21\n"
				   "lines/line/dates/date|.|22\n-|totals/line-count|23\n");
	buf_free(&l.b);
	erp_profile_free(p);
	struct diag_list d;
	diag_list_init(&d);
	ck_assert_int_eq(map_check(path, g_rng, &d), 0);
	diag_list_free(&d);
	free(path);
	char *t = tu_replace(xml_text, "      .                 .\n", "      .                 day\n");
	char *pp = profile_file(t);
	diag_list_init(&d);
	ck_assert_int_ne(map_check(pp, g_rng, &d), 0);
	char *e = diag_text(&d);
	ck_assert_msg(strstr(e, ":22: unknown canonical field day") != NULL, "%s", e);
	free(e);
	diag_list_free(&d);
	free(pp);
	free(t);
	xmlFreeDoc(doc);
}
END_TEST

/* A profile whose record holds n each blocks inside one another. */
static char *nested_profile(int n)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "source order\ntarget xml\nroot R\nrecord O once\n");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%*sE%d each lines/line\n", 2 * (i + 1), "", i);
	buf_printf(&b, "%*sQ quantity\n", 2 * (n + 1), "");
	return buf_steal(&b);
}

/* Each blocks nest at most 8 deep: below, at, above. */
START_TEST(test_xml_depth_limit)
{
	char *t = nested_profile(7);
	erp_profile_free(profile_ok(t, NULL));
	free(t);
	t = nested_profile(8);
	struct erp_profile *p = profile_ok(t, NULL);
	free(t);
	xmlDocPtr doc = small_order();
	/* each level reads lines/line below the previous one: none there, so one level only */
	char *got = render_ok(p, doc, NULL);
	ck_assert_str_eq(got, "  <O>\n    <E0/>\n    <E0/>\n  </O>\n");
	free(got);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	t = nested_profile(9);
	expect_bad(t, "13: 'each' blocks nested too deep (at most 8)");
	free(t);
}
END_TEST

/* What an XML profile refuses, with its line. */
START_TEST(test_xml_profile_errors)
{
	expect_bad("source order\ntarget xml\nrecord O once\n  A po-number\n", "0: no 'root' line");
	expect_bad("source order\ntarget xml\nroot 1bad\nrecord O once\n  A po-number\n",
		   "3: root '1bad' is not an element name");
	expect_bad("source order\ntarget xml\nroot R\nnamespace \"a b\"\nrecord O once\n  A po-number\n",
		   "4: namespace must be a URI");
	expect_bad("source order\ntarget xml\nroot R\nline-ending crlf\nrecord O once\n  A po-number\n",
		   "4: an XML file's lines end in LF");
	expect_bad("source order\ntarget xml\nroot R\nrecord O/P once\n  A po-number\n",
		   "4: record 'O/P': in an XML profile the label is the element's name");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  po-number\n",
		   "5: write 'ELEMENT-PATH CANONICAL-PATH'");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  /A po-number\n",
		   "5: element path '/A' must be relative");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  A// po-number\n",
		   "5: bad element path 'A//'");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  A po-number width 3\n",
		   "5: unknown field option 'width'");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  A/@x each lines/line\n    B quantity\n",
		   "5: 'each' repeats an element");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  L each ../lines\n    B quantity\n",
		   "5: 'each' needs a path to elements below the current one");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  L each lines/line\n  B po-number\n",
		   "5: 'each' has no indented fields below it");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  A po-number\n  A/B purpose\n",
		   "6: A/B would write into A, whose text line 5 writes: mixed content");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  . po-number\n  B purpose\n",
		   "6: B would write into the block's element, whose text line 5 writes");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  A/@x po-number\n  A/@x purpose\n",
		   "6: attribute A/@x is written twice (first at line 5)");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  A/@x po-number\n  A purpose\n",
		   "5: write the text line of A (line 6) before its attribute A/@x");
	expect_bad("source order\ntarget xml\nroot R\nrecord O once\n  A each lines/line\n    B quantity\n"
		   "   C unit\n", "7: bad indentation");
	/* the lines of a failed each are not reported again */
	char *e = profile_bad("source order\ntarget xml\nroot R\nrecord O once\n  A each lines//x\n"
			      "    B quantity\n      C unit\n  D po-number\n");
	ck_assert_str_eq(e, "5: bad canonical path 'lines//x': expected an element name (letters, "
			    "digits, '-', '_', '.')\n");
	free(e);
	/* attributes after the text line, a text line under an attribute-only parent: fine */
	erp_profile_free(profile_ok("source order\ntarget xml\nroot R\nrecord O once\n  A po-number\n"
				    "  A/@x purpose\n  B/@y purpose\n  B/C po-number\n  @z type\n", NULL));
}
END_TEST

/* ---------------------------- the shipped fixed-width and XML profiles */

static const struct sample order_sample = { "850-4010", "850", "order", "demo-retailer", 1,
					    "order-demo-retailer-261122-000000101-101" };

/* maps/erp/<name> under the source tree, loaded without diagnostics and passing map check. */
static struct erp_profile *load_shipped(const char *name, const char *ext)
{
	char *rel = xasprintf("maps/erp/%s", name);
	char *p = tu_srcpath(rel);
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *prof = NULL;
	int rc = erp_profile_load(&prof, p, &d);
	char *e = diag_text(&d);
	ck_assert_msg(rc == 0 && prof && d.n == 0, "%s: %s", rel, e);
	free(e);
	ck_assert_str_eq(erp_profile_kind(prof), "order");
	ck_assert_str_eq(erp_profile_extension(prof), ext);
	rc = map_check(p, g_rng, &d);
	e = diag_text(&d);
	ck_assert_msg(rc == 0 && d.n == 0, "map check %s:\n%s", rel, e);
	free(e);
	diag_list_free(&d);
	free(p);
	free(rel);
	return prof;
}

/* Widths of the columns of "record LABEL" in a profile's text, in order; count in *n. */
static void profile_widths(const char *text, const char *label, size_t *w, size_t *n)
{
	char *needle = xasprintf("\nrecord %s ", label);
	const char *at = strstr(text, needle);
	ck_assert_msg(at != NULL, "no record %s", label);
	free(needle);
	*n = 0;
	for (const char *l = strchr(at + 1, '\n') + 1; strncmp(l, "  ", 2) == 0;
	     l = strchr(l, '\n') + 1) {
		const char *k = strstr(l, " width ");
		ck_assert_ptr_nonnull(k);
		ck_assert(k < strchr(l, '\n'));
		uint64_t v = 0;
		char *num = span_dup((struct span){ k + 7, strspn(k + 7, "0123456789") });
		ck_assert_int_eq(str_to_u64(num, &v), 0);
		free(num);
		w[(*n)++] = (size_t)v;
	}
}

/* The header comment's "FIRST-LAST" table of a record is the profile's columns, and the
 * table says how wide the record is. */
static void check_comment_table(const char *text, const char *label)
{
	size_t w[64], n = 0;
	profile_widths(text, label, w, &n);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += w[i];
	char *head = xasprintf("# %s record, %zu characters\n", label, total);
	const char *at = strstr(text, head);
	ck_assert_msg(at != NULL, "no '%s' in the header comment", head);
	const char *l = at + strlen(head);
	size_t first = 1;
	for (size_t i = 0; i < n; i++) {
		char *want = xasprintf("# %5zu-%3zu  ", first, first + w[i] - 1);
		ck_assert_msg(strncmp(l, want, strlen(want)) == 0,
			      "record %s column %zu: the comment says '%.20s', the profile '%s'", label,
			      i + 1, l, want);
		free(want);
		first += w[i];
		l = strchr(l, '\n') + 1;
	}
	ck_assert_msg(strncmp(l, "#\n", 2) == 0, "record %s: the table has more rows than columns",
		      label);
	free(head);
}

/* maps/erp/order-fixed.map on the 850 sample: exactly tests/data/erp/850-4010.txt, every
 * line as wide as its record in bytes (ISO-8859-1), the comment's table matching. */
START_TEST(test_shipped_fixed)
{
	struct erp_profile *prof = load_shipped("order-fixed.map", "txt");
	struct map *m = load_map("850");
	struct run r;
	run_sample(&r, &order_sample, m, prof);
	ck_assert_msg(r.problems.len == 0, "%s", r.problems.data);
	ck_assert_uint_eq(r.nrecords, 1);
	char *want = data_path("850-4010", ".txt");
	expect_file(want, "850-4010-fixed", r.out.data ? r.out.data : "", r.out.len);
	free(want);
	int lines = 0;
	for (const char *s = r.out.data; *s; lines++) {
		const char *e = strstr(s, "\r\n");
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq((size_t)(e - s), *s == 'H' ? 408 : 176);
		s = e + 2;
	}
	ck_assert_int_eq(lines, 4);
	buf_free(&r.out);
	buf_free(&r.problems);
	char *p = tu_srcpath("maps/erp/order-fixed.map");
	char *text = tu_read(p, NULL);
	check_comment_table(text, "H");
	check_comment_table(text, "L");
	free(text);
	free(p);
	map_free(m);
	erp_profile_free(prof);
}
END_TEST

/* maps/erp/order-xml.map on the 850 sample: header, record and footer are exactly
 * tests/data/erp/850-4010.xml, which parses and holds the PO's lines. */
START_TEST(test_shipped_xml)
{
	struct erp_profile *prof = load_shipped("order-xml.map", "xml");
	struct map *m = load_map("850");
	struct run r;
	run_sample(&r, &order_sample, m, prof);
	ck_assert_msg(r.problems.len == 0, "%s", r.problems.data);
	struct buf file;
	buf_init(&file, 0);
	erp_profile_header(prof, &file);
	buf_append(&file, r.out.data, r.out.len);
	erp_profile_footer(prof, &file);
	char *want = data_path("850-4010", ".xml");
	expect_file(want, "850-4010-xml", file.data, file.len);
	free(want);
	xmlDocPtr x = xmlReadMemory(file.data, (int)file.len, "erp.xml", NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(x);
	xmlXPathContextPtr xp = xmlXPathNewContext(x);
	ck_assert_int_eq(xpath_count(xp, "/Orders/Order"), 1);
	ck_assert_int_eq(xpath_count(xp, "/Orders/Order/Lines/Line"), 3);
	char *v = xpath_string(xp, "string(/Orders/Order/Lines/Line[@number='3']/Quantity/@unit)");
	ck_assert_str_eq(v, "LB");
	free(v);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(x);
	buf_free(&file);
	buf_free(&r.out);
	buf_free(&r.problems);
	map_free(m);
	erp_profile_free(prof);
}
END_TEST

/* ------------------------------------------------- through the binary */

static void writef(const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	vfprintf(f, fmt, ap);
	fclose(f);
	va_end(ap);
}

/* A partner file: id, X12 identity (ZZ), a drop directory and its documents. */
static void partner(const char *dir, const char *id, const char *x12id, const char *docs)
{
	char *p = xasprintf("%s/partners/%s.conf", dir, id);
	char *drop = xasprintf("%s/drop-%s", dir, id);
	ck_assert_int_eq(mkdir(drop, 0750), 0);
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "id = %s\nx12.qualifier = ZZ\nx12.id = %s\nx12.gs-id = %s\n"
		       "drop = ../drop-%s\nack = 997\n", id, x12id, x12id, id);
	char *list = xstrdup(docs);
	for (char *t = list, *e; *t; t = e) {
		e = strchr(t, ' ');
		if (e)
			*e++ = '\0';
		else
			e = t + strlen(t);
		char *m = xasprintf("maps/x12/%s.map", t);
		char *mp = tu_srcpath(m);
		buf_printf(&b, "document.%s = %s\n", t, mp);
		free(mp);
		free(m);
	}
	writef(p, "%s", b.data);
	free(list);
	buf_free(&b);
	free(drop);
	free(p);
}

/* Run edigw -c conf args...; returns its exit status and output (allocated). */
static int edigw(const char *conf, char **out, const char *const *args)
{
	const char *v[40];
	int n = 0;
	v[n++] = "-c";
	v[n++] = conf;
	for (int i = 0; args[i] && n < 39; i++)
		v[n++] = args[i];
	v[n] = NULL;
	return tu_run(out, v);
}

/* A configuration naming every shipped profile, three partners sending every sample:
 * config check and map check pass, and run --once writes each sample's ERP file. */
START_TEST(test_gateway_end_to_end)
{
	char *conf = xasprintf("%s/edigw.conf", g_tmp);
	char *parts = xasprintf("%s/partners", g_tmp);
	ck_assert_int_eq(mkdir(parts, 0750), 0);
	char *schemas = tu_srcpath("maps/schemas");
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "spool = spool\nerp-dir = erp\npartners-dir = partners\n"
		       "canonical-schema = %s\nschema-dir = %s\n"
		       "our.x12.qualifier = ZZ\nour.x12.id = ACMESUPPLY\nour.x12.gs-id = ACMESUPPLY\n",
		   g_rng, schemas);
	for (int k = 0; k < NKINDS; k++) {
		char *p = profile_path(kinds[k]);
		buf_printf(&b, "erp.%s = %s\n", kinds[k], p);
		free(p);
	}
	writef(conf, "%s", b.data);
	buf_free(&b);
	partner(g_tmp, "demo-retailer", "DEMORETAIL", "850 860");
	partner(g_tmp, "demo-supplier", "DEMOSUPPLIER", "855 856 810 846");
	partner(g_tmp, "demo-3pl", "DEMO3PL", "940 945 943 944");

	char *out = NULL;
	int rc = edigw(conf, &out, (const char *const[]){ "config", "check", NULL });
	ck_assert_msg(rc == 0, "config check (%d):\n%s", rc, out);
	char *ok = xasprintf("%d ERP profile(s)", NKINDS);
	ck_assert_msg(strstr(out, ok) != NULL, "config check:\n%s", out);
	ck_assert_msg(strstr(out, "warning") == NULL, "config check:\n%s", out);
	free(ok);
	free(out);

	const char *margs[NKINDS + 3];
	char *mpaths[NKINDS];
	margs[0] = "map";
	margs[1] = "check";
	for (int k = 0; k < NKINDS; k++)
		margs[2 + k] = mpaths[k] = profile_path(kinds[k]);
	margs[2 + NKINDS] = NULL;
	rc = edigw(conf, &out, margs);
	ck_assert_msg(rc == 0, "map check (%d):\n%s", rc, out);
	for (int k = 0; k < NKINDS; k++) {
		char *line = xasprintf("%s: OK", mpaths[k]);
		ck_assert_msg(strstr(out, line) != NULL, "map check: no '%s' in\n%s", line, out);
		free(line);
		free(mpaths[k]);
	}
	free(out);

	for (int i = 0; i < NSAMPLES; i++) {
		char *x = data_path(samples[i].name, ".x12");
		rc = edigw(conf, &out,
			   (const char *const[]){ "ingest", x, "--partner", samples[i].partner, NULL });
		ck_assert_msg(rc == 0, "ingest %s (%d):\n%s", x, rc, out);
		free(out);
		free(x);
	}
	rc = edigw(conf, &out, (const char *const[]){ "run", "--once", NULL });
	ck_assert_msg(rc == 0, "run --once (%d):\n%s", rc, out);
	free(out);

	char *erp = xasprintf("%s/erp", g_tmp);
	char *test = xasprintf("%s/erp/test", g_tmp);
	ck_assert_int_eq(tu_count_files(erp), NSAMPLES);
	ck_assert_int_le(tu_count_files(test), 0);
	for (int i = 0; i < NSAMPLES; i++) {
		char *f = xasprintf("%s/%s", erp, samples[i].erp_file);
		size_t len = 0;
		char *got = tu_read(f, &len);
		ck_assert_msg(got != NULL, "%s: no ERP file %s", samples[i].name, f);
		char *want = data_path(samples[i].name, ".csv");
		expect_file(want, samples[i].name, got, len);
		free(want);
		free(got);
		free(f);
	}
	free(test);
	free(erp);
	free(schemas);
	free(parts);
	free(conf);
}
END_TEST

/* One configuration in dir whose erp.order is maps/erp/<profile>, the demo retailer sending
 * 850s; config check, then tests/data/erp/850-two.x12 (two orders in one group) through
 * ingest and run --once. Returns the ERP file's bytes (allocated; *len), after checking it
 * is the only file and has the gateway's name with extension ext. */
static char *gateway_order_file(const char *dir, const char *profile, const char *ext, size_t *len)
{
	ck_assert_int_eq(mkdir(dir, 0750), 0);
	char *conf = xasprintf("%s/edigw.conf", dir);
	char *parts = xasprintf("%s/partners", dir);
	ck_assert_int_eq(mkdir(parts, 0750), 0);
	char *schemas = tu_srcpath("maps/schemas");
	char *rel = xasprintf("maps/erp/%s", profile);
	char *prof = tu_srcpath(rel);
	writef(conf, "spool = spool\nerp-dir = erp\npartners-dir = partners\n"
		     "canonical-schema = %s\nschema-dir = %s\n"
		     "our.x12.qualifier = ZZ\nour.x12.id = ACMESUPPLY\nour.x12.gs-id = ACMESUPPLY\n"
		     "erp.order = %s\n", g_rng, schemas, prof);
	partner(dir, "demo-retailer", "DEMORETAIL", "850");
	char *out = NULL;
	int rc = edigw(conf, &out, (const char *const[]){ "config", "check", NULL });
	ck_assert_msg(rc == 0 && strstr(out, "1 ERP profile(s)"), "config check (%d):\n%s", rc, out);
	free(out);
	rc = edigw(conf, &out, (const char *const[]){ "map", "check", prof, NULL });
	ck_assert_msg(rc == 0, "map check (%d):\n%s", rc, out);
	free(out);
	char *x = data_path("850-two", ".x12");
	rc = edigw(conf, &out, (const char *const[]){ "ingest", x, "--partner", "demo-retailer", NULL });
	ck_assert_msg(rc == 0, "ingest (%d):\n%s", rc, out);
	free(out);
	rc = edigw(conf, &out, (const char *const[]){ "run", "--once", NULL });
	ck_assert_msg(rc == 0, "run --once (%d):\n%s", rc, out);
	free(out);
	char *erp = xasprintf("%s/erp", dir);
	ck_assert_int_eq(tu_count_files(erp), 1);
	char *name = tu_first_file(erp);
	char *want = xasprintf("order-demo-retailer-261122-000000102-102.%s", ext);
	ck_assert_str_eq(name, want);
	char *f = xasprintf("%s/%s", erp, name);
	char *got = tu_read(f, len);
	ck_assert_ptr_nonnull(got);
	free(f);
	free(want);
	free(name);
	free(erp);
	free(x);
	free(prof);
	free(rel);
	free(schemas);
	free(parts);
	free(conf);
	return got;
}

/* Through the binary with erp.order = order-xml.map: the two orders of one group are one
 * XML file (one root around both), exactly tests/data/erp/850-two.xml, which parses and
 * holds each PO's lines with their text (markup characters included). */
START_TEST(test_gateway_xml)
{
	char *dir = xasprintf("%s/xml", g_tmp);
	size_t len = 0;
	char *got = gateway_order_file(dir, "order-xml.map", "xml", &len);
	char *want = data_path("850-two", ".xml");
	expect_file(want, "850-two-xml", got, len);
	free(want);
	xmlDocPtr x = xmlReadMemory(got, (int)len, "erp.xml", NULL, XML_PARSE_NONET);
	ck_assert_msg(x != NULL, "the ERP file is not well-formed XML:\n%s", got);
	xmlXPathContextPtr xp = xmlXPathNewContext(x);
	ck_assert_int_eq(xpath_count(xp, "/Orders"), 1);
	ck_assert_int_eq(xpath_count(xp, "/Orders/Order"), 2);
	char *v = xpath_string(xp, "string(/Orders/Order[1]/Header/PONumber)");
	ck_assert_str_eq(v, "PO-4500012345");
	free(v);
	ck_assert_int_eq(xpath_count(xp, "/Orders/Order[1]/Lines/Line"), 3);
	v = xpath_string(xp, "concat(/Orders/Order[1]/Lines/Line[1]/Quantity, ' ', "
			     "/Orders/Order[1]/Lines/Line[1]/Quantity/@unit, ' ', "
			     "/Orders/Order[1]/Lines/Line[1]/BuyerItem)");
	ck_assert_str_eq(v, "24 EA RTL-100234");
	free(v);
	v = xpath_string(xp, "string(/Orders/Order[2]/Header/PONumber)");
	ck_assert_str_eq(v, "PO-4500012346");
	free(v);
	ck_assert_int_eq(xpath_count(xp, "/Orders/Order[2]/Lines/Line"), 1);
	v = xpath_string(xp, "string(/Orders/Order[2]/Lines/Line/Description)");
	ck_assert_str_eq(v, "Bolts & nuts <M8 \"zinc\"");
	free(v);
	ck_assert_int_eq(xpath_count(xp, "/Orders/Order[2]/Buyer"), 0); /* no buyer: no element */
	xmlXPathFreeContext(xp);
	xmlFreeDoc(x);
	free(got);
	free(dir);
}
END_TEST

/* Through the binary with erp.order = order-fixed.map: one .txt file with both orders,
 * exactly tests/data/erp/850-two.txt. */
START_TEST(test_gateway_fixed)
{
	char *dir = xasprintf("%s/fixed", g_tmp);
	size_t len = 0;
	char *got = gateway_order_file(dir, "order-fixed.map", "txt", &len);
	char *want = data_path("850-two", ".txt");
	expect_file(want, "850-two-fixed", got, len);
	free(want);
	ck_assert_uint_eq(len, 2 * (408 + 2) + 4 * (176 + 2));
	free(got);
	free(dir);
}
END_TEST

static Suite *erp_suite(void)
{
	Suite *s = suite_create("erp");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_every_kind_has_a_profile);
	tcase_add_loop_test(tc, test_profile_checks, 0, NKINDS);
	tcase_add_loop_test(tc, test_sample, 0, NSAMPLES);
	tcase_add_loop_test(tc, test_expected_files_are_csv, 0, NSAMPLES);
	tcase_add_loop_test(tc, test_profile_examples, 1, NKINDS); /* kinds[0]: order, not ours */
	tcase_add_test(tc, test_gateway_end_to_end);
	suite_add_tcase(s, tc);
	tc = tcase_create("fixed-xml");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fixed_layout);
	tcase_add_test(tc, test_fixed_deterministic);
	tcase_add_test(tc, test_fixed_limits);
	tcase_add_test(tc, test_fixed_encoding);
	tcase_add_test(tc, test_fixed_profile_errors);
	tcase_add_test(tc, test_xml_layout);
	tcase_add_test(tc, test_xml_document);
	tcase_add_test(tc, test_xml_records_and_paths);
	tcase_add_test(tc, test_xml_depth_limit);
	tcase_add_test(tc, test_xml_profile_errors);
	tcase_add_test(tc, test_shipped_fixed);
	tcase_add_test(tc, test_shipped_xml);
	tcase_add_test(tc, test_gateway_xml);
	tcase_add_test(tc, test_gateway_fixed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run_suite(erp_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
