/*
 * check_erp — the shipped ERP profiles (maps/erp/<kind>-csv.map).
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

static void setup(void)
{
	g_rng = tu_srcpath("doc/canonical.rng");
	g_tmp = tu_tmpdir();
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
	return s;
}

int main(void)
{
	int rc = tu_run_suite(erp_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
