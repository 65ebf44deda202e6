/*
 * check_csv — the CSV reader (src/flat/csv.c) and CSV maps ("source csv NAME",
 * map_apply_csv): every edge case partners send (BOM, CRLF, quoted delimiters and line
 * breaks, empty trailing lines, short and long rows, a Latin-1 file declared as such,
 * other delimiters/quotes/escapes, no header), each limit one below, at and one above,
 * and a 3PL's shipment confirmation (tests/data/csv) mapped to canonical
 * warehouse-shipping-advice records, with findings naming file line, column and map line;
 * nested groups of rows (each group @col, 1 to 4 levels and the depth limit, rows not
 * adjacent, empty keys, a missing key column, required and max, findings and row flags
 * inside groups, the same in a fixed-width map) and the shipped
 * maps/erp-export/ship-notice-csv.map on the ERP's shipment export (tests/data/csv/erpasn.csv)
 * into valid ship-notice records and the 856 maps/x12-out/856.map makes of them.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "canon/outmap.h"
#include "flat/csv.h"
#include "map/map.h"
#include "testutil.h"

static char *g_tmp;
static char *g_rng;

static void setup(void)
{
	g_tmp = tu_tmpdir();
	g_rng = tu_srcpath("doc/canonical.rng");
}

static void teardown(void)
{
	tu_rmtree(g_tmp);
	free(g_tmp);
	free(g_rng);
}

/* Parse the C string s with o; the test fails on an error. */
static void parse_ok(struct csv_table *t, const char *s, size_t n, const struct csv_options *o)
{
	struct csv_error e;
	int rc = csv_parse(t, s, n, o, &e);
	ck_assert_msg(rc == 0, "csv_parse: %d line %llu col %zu: %s", rc,
		      (unsigned long long)e.line, e.column, e.msg);
}

/* Parse s with o expecting rc; returns "line L, column C: msg" (allocated). */
static char *parse_err(const char *s, size_t n, const struct csv_options *o, int want_rc)
{
	struct csv_table t;
	struct csv_error e;
	int rc = csv_parse(&t, s, n, o, &e);
	ck_assert_msg(rc == want_rc, "csv_parse returned %d, wanted %d", rc, want_rc);
	ck_assert_ptr_null(t.rows);
	ck_assert_uint_eq(t.nrows, 0);
	return csv_error_text(&e);
}

/* Field c (0-based) of row r equals want. */
static void ck_field(const struct csv_table *t, size_t r, size_t c, const char *want)
{
	ck_assert_uint_lt(r, t->nrows);
	ck_assert_uint_lt(c, t->rows[r].n);
	struct span f = t->rows[r].f[c];
	ck_assert_msg(span_eq(f, want), "row %zu field %zu: '%.*s', wanted '%s'", r, c, (int)f.n,
		      f.p, want);
	ck_assert_int_eq(f.p[f.n], '\0');
}

/* ------------------------------------------------------------- reader */

START_TEST(test_rfc4180_header)
{
	struct csv_table t;
	const char *s = "a,b,c\n1,2,3\n4,,6\n";
	parse_ok(&t, s, strlen(s), NULL);
	ck_assert_uint_eq(t.header.n, 3);
	ck_assert_uint_eq(t.width, 3);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert(span_eq(t.header.f[1], "b"));
	ck_field(&t, 0, 2, "3");
	ck_field(&t, 1, 1, "");
	ck_assert_uint_eq(t.rows[0].line, 2);
	ck_assert_uint_eq(t.rows[1].line, 3);
	ck_assert_uint_eq(csv_column(&t, "c"), 3);
	ck_assert_uint_eq(csv_column(&t, "B"), 2);
	ck_assert_uint_eq(csv_column(&t, "d"), 0);
	csv_table_free(&t);
	/* no final line break */
	s = "a,b\n1,2";
	parse_ok(&t, s, strlen(s), NULL);
	ck_assert_uint_eq(t.nrows, 1);
	ck_field(&t, 0, 1, "2");
	csv_table_free(&t);
	/* an empty file and a header alone: no rows */
	parse_ok(&t, "", 0, NULL);
	ck_assert_uint_eq(t.nrows, 0);
	csv_table_free(&t);
	parse_ok(&t, "a,b\r\n", 5, NULL);
	ck_assert_uint_eq(t.nrows, 0);
	ck_assert_uint_eq(t.header.n, 2);
	csv_table_free(&t);
}
END_TEST

START_TEST(test_bom_crlf)
{
	struct csv_table t;
	const char *s = "\xef\xbb\xbfname,qty\r\nbolt,5\r\nnut,7\r\n";
	parse_ok(&t, s, strlen(s), NULL);
	ck_assert(span_eq(t.header.f[0], "name")); /* the BOM is not part of the name */
	ck_assert_uint_eq(csv_column(&t, "name"), 1);
	ck_assert_uint_eq(t.nrows, 2);
	ck_field(&t, 0, 1, "5"); /* no CR left in the last field */
	ck_field(&t, 1, 1, "7");
	ck_assert_uint_eq(t.rows[1].line, 3);
	csv_table_free(&t);
	/* mixed LF / CRLF and a lone CR end lines too */
	s = "a\nb\r\nc\rd\n";
	struct csv_options o = { .header = CSV_HEADER_NO };
	parse_ok(&t, s, strlen(s), &o);
	ck_assert_uint_eq(t.nrows, 4);
	ck_field(&t, 3, 0, "d");
	ck_assert_uint_eq(t.rows[3].line, 4);
	csv_table_free(&t);
}
END_TEST

START_TEST(test_quoted)
{
	struct csv_table t;
	const char *s = "id,text,n\n"
			"1,\"a, b\",x\n"
			"2,\"two\nlines\r\nthree\",y\n"
			"3,\"say \"\"hi\"\"\",\"\"\n"
			"4,plain \"inch\" mark,z\n";
	parse_ok(&t, s, strlen(s), NULL);
	ck_assert_uint_eq(t.nrows, 4);
	ck_field(&t, 0, 1, "a, b");
	ck_field(&t, 1, 1, "two\nlines\r\nthree");
	ck_field(&t, 1, 2, "y");
	ck_field(&t, 2, 1, "say \"hi\"");
	ck_field(&t, 2, 2, "");
	ck_field(&t, 3, 1, "plain \"inch\" mark"); /* quotes inside unquoted text are data */
	/* line numbers count the line breaks inside quotes */
	ck_assert_uint_eq(t.rows[1].line, 3);
	ck_assert_uint_eq(t.rows[2].line, 6);
	ck_assert_uint_eq(t.rows[3].line, 7);
	csv_table_free(&t);

	char *e = parse_err("a,b\n1,\"open\n2,3\n", 16, NULL, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 2: quoted field not closed (the quote opened on line 2)");
	free(e);
	e = parse_err("a,b\n1,\"x\"y\n", 11, NULL, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 2: text after the closing quote");
	free(e);
}
END_TEST

START_TEST(test_trailing_empty_lines)
{
	struct csv_table t;
	static const char *const files[] = { "a,b\n1,2\n\n", "a,b\r\n1,2\r\n\r\n", "a,b\n1,2\n\n\n\n",
					     "a,b\r\n1,2\r\n" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		parse_ok(&t, files[i], strlen(files[i]), NULL);
		ck_assert_msg(t.nrows == 1, "file %zu: %zu rows", i, t.nrows);
		ck_field(&t, 0, 1, "2");
		csv_table_free(&t);
	}
	/* an empty line in the middle is a (short) row */
	char *e = parse_err("a,b\n1,2\n\n3,4\n", 13, NULL, -EINVAL);
	ck_assert_str_eq(e, "line 3: short row: 1 field, the header has 2");
	free(e);
}
END_TEST

START_TEST(test_short_long_rows)
{
	const char *s = "order,sku,qty\nSO1,A,1\nSO1,B\nSO2,C,3\n";
	char *e = parse_err(s, strlen(s), NULL, -EINVAL);
	ck_assert_str_eq(e, "line 3: short row: 2 fields, the header has 3");
	free(e);
	s = "order,sku,qty\nSO1,A,1\nSO1,B,2,extra\n";
	e = parse_err(s, strlen(s), NULL, -EINVAL);
	ck_assert_str_eq(e, "line 3, column 4: long row: 4 fields, the header has 3");
	free(e);
	/* without a header the first row sets the width */
	struct csv_options o = { .header = CSV_HEADER_NO };
	s = "a,b\nc\n";
	e = parse_err(s, strlen(s), &o, -EINVAL);
	ck_assert_str_eq(e, "line 2: short row: 1 field, the first row has 2");
	free(e);
	/* ragged: accepted as they are */
	o.ragged = 1;
	struct csv_table t;
	parse_ok(&t, s, strlen(s), &o);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_uint_eq(t.rows[1].n, 1);
	csv_table_free(&t);
}
END_TEST

START_TEST(test_latin1)
{
	/* "Müller;Straße" in ISO-8859-1 */
	const char s[] = "name;street\nM\xfcller;Stra\xdf" "e\n";
	struct csv_options o = { .delim = ';', .encoding = "ISO-8859-1" };
	struct csv_table t;
	parse_ok(&t, s, sizeof s - 1, &o);
	ck_field(&t, 0, 0, "M\xc3\xbcller");
	ck_field(&t, 0, 1, "Stra\xc3\x9f" "e");
	csv_table_free(&t);
	/* the same bytes read as UTF-8 (not declared): rejected with line and column */
	o.encoding = NULL;
	char *e = parse_err(s, sizeof s - 1, &o, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 1: not UTF-8 (byte 0xfc at byte 2 of the field; "
			    "declare the file's encoding)");
	free(e);
	/* an unknown encoding */
	o.encoding = "NO-SUCH-CHARSET-X";
	e = parse_err(s, sizeof s - 1, &o, -EINVAL);
	ck_assert_msg(strstr(e, "cannot convert from NO-SUCH-CHARSET-X") != NULL, "%s", e);
	free(e);
	/* bytes the declared encoding does not have: the line and byte of the first */
	o.encoding = "ASCII";
	e = parse_err(s, sizeof s - 1, &o, -EINVAL);
	ck_assert_str_eq(e, "line 2: not valid ASCII (byte 14 of the file)");
	free(e);
	/* a NUL byte */
	o.encoding = NULL;
	e = parse_err("a;b\nx;y\0z\n", 10, &o, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 2: a NUL byte (byte 0x00 at byte 2 of the field)");
	free(e);
}
END_TEST

START_TEST(test_dialects)
{
	/* semicolon, single quote, backslash escape, no header */
	struct csv_options o = { .delim = ';', .quote = '\'', .escape = '\\',
				 .header = CSV_HEADER_NO };
	const char *s = "'a;b';'it\\'s';c\\d\n'x\\\\y';\"q\";3\n";
	struct csv_table t;
	parse_ok(&t, s, strlen(s), &o);
	ck_assert_uint_eq(t.header.n, 0);
	ck_assert_ptr_null(t.header.f);
	ck_assert_uint_eq(csv_column(&t, "a"), 0);
	ck_assert_uint_eq(t.nrows, 2);
	ck_field(&t, 0, 0, "a;b");
	ck_field(&t, 0, 1, "it's");
	ck_field(&t, 0, 2, "c\\d"); /* the escape works inside quotes only */
	ck_field(&t, 1, 0, "x\\y");
	ck_field(&t, 1, 1, "\"q\"");
	csv_table_free(&t);
	/* tab-separated, quoting off */
	struct csv_options tab = { .delim = '\t', .no_quote = 1 };
	s = "a\tb\n\"x\t\"y\n";
	parse_ok(&t, s, strlen(s), &tab);
	ck_field(&t, 0, 0, "\"x");
	ck_field(&t, 0, 1, "\"y");
	csv_table_free(&t);
}
END_TEST

/* ------------------------------------------------------------- limits */

START_TEST(test_limit_bytes)
{
	const char *s = "a,b\n1,2\n"; /* 8 bytes */
	struct csv_table t;
	struct csv_options o = { .max_bytes = 9 };
	parse_ok(&t, s, 8, &o); /* one below */
	csv_table_free(&t);
	o.max_bytes = 8;
	parse_ok(&t, s, 8, &o); /* at */
	csv_table_free(&t);
	o.max_bytes = 7; /* one above */
	char *e = parse_err(s, 8, &o, -EFBIG);
	ck_assert_str_eq(e, "file of 8 bytes is over the limit of 7");
	free(e);
}
END_TEST

START_TEST(test_limit_field)
{
	struct csv_table t;
	struct csv_options o = { .max_field = 5 };
	const char *s = "a,b\n1,\"12,4\"\n"; /* "12,4": 4 bytes */
	parse_ok(&t, s, strlen(s), &o);
	csv_table_free(&t);
	s = "a,b\n1,\"12,45\"\n"; /* 5: at */
	parse_ok(&t, s, strlen(s), &o);
	ck_field(&t, 0, 1, "12,45");
	csv_table_free(&t);
	s = "a,b\n1,\"12,456\"\n"; /* 6: above, quoted */
	char *e = parse_err(s, strlen(s), &o, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 2: field longer than 5 bytes");
	free(e);
	s = "a,b\n1,2\n123456,2\n"; /* 6: above, unquoted */
	e = parse_err(s, strlen(s), &o, -EINVAL);
	ck_assert_str_eq(e, "line 3, column 1: field longer than 5 bytes");
	free(e);
}
END_TEST

START_TEST(test_limit_fields)
{
	struct csv_table t;
	struct csv_options o = { .max_fields = 3, .header = CSV_HEADER_NO };
	parse_ok(&t, "1,2\n", 4, &o);
	csv_table_free(&t);
	parse_ok(&t, "1,2,3\n", 6, &o);
	ck_assert_uint_eq(t.rows[0].n, 3);
	csv_table_free(&t);
	char *e = parse_err("1,2,3\n1,2,3,4\n", 14, &o, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 4: more than 3 fields in a row");
	free(e);
}
END_TEST

START_TEST(test_limit_rows)
{
	struct csv_table t;
	struct csv_options o = { .max_rows = 3 };
	const char *s = "h\n1\n2\n"; /* 2 data rows: the header does not count */
	parse_ok(&t, s, strlen(s), &o);
	csv_table_free(&t);
	s = "h\n1\n2\n3\n";
	parse_ok(&t, s, strlen(s), &o);
	ck_assert_uint_eq(t.nrows, 3);
	csv_table_free(&t);
	s = "h\n1\n2\n3\n4\n";
	char *e = parse_err(s, strlen(s), &o, -EFBIG);
	ck_assert_str_eq(e, "line 5: more than 3 data rows");
	free(e);
}
END_TEST

/* options.bad_rows: rows of the wrong width are listed, not fatal; they still count
 * towards max_rows (one below, at and one above). */
START_TEST(test_bad_rows_listed)
{
	const char *s = "order,sku,qty\nSO1,A,1\nSO1,B\nSO2,C,3,x\nSO3,D,4\n";
	struct csv_options o = { .bad_rows = 1 };
	struct csv_table t;
	parse_ok(&t, s, strlen(s), &o);
	ck_assert_uint_eq(t.nrows, 2);
	ck_field(&t, 0, 1, "A");
	ck_field(&t, 1, 1, "D");
	ck_assert_uint_eq(t.rows[1].line, 5);
	ck_assert_uint_eq(t.nbad, 2);
	ck_assert_uint_eq(t.bad[0].line, 3);
	ck_assert_uint_eq(t.bad[1].line, 4);
	char *e = csv_bad_text(&t, &t.bad[0]);
	ck_assert_str_eq(e, "line 3: short row: 2 fields, the header has 3");
	free(e);
	e = csv_bad_text(&t, &t.bad[1]);
	ck_assert_str_eq(e, "line 4, column 4: long row: 4 fields, the header has 3");
	free(e);
	csv_table_free(&t);
	ck_assert_ptr_null(t.bad);
	/* 4 data rows, 2 of them bad: max_rows 5 and 4 read them, 3 does not */
	o.max_rows = 5;
	parse_ok(&t, s, strlen(s), &o);
	csv_table_free(&t);
	o.max_rows = 4;
	parse_ok(&t, s, strlen(s), &o);
	ck_assert_uint_eq(t.nrows + t.nbad, 4);
	csv_table_free(&t);
	o.max_rows = 3;
	e = parse_err(s, strlen(s), &o, -EFBIG);
	ck_assert_str_eq(e, "line 5: more than 3 data rows");
	free(e);
	/* no header: the first row sets the width, a bad first row cannot exist */
	struct csv_options o2 = { .bad_rows = 1, .header = CSV_HEADER_NO };
	s = "a,b\nc\nd,e\n";
	parse_ok(&t, s, strlen(s), &o2);
	ck_assert_uint_eq(t.nrows, 2);
	e = csv_bad_text(&t, &t.bad[0]);
	ck_assert_str_eq(e, "line 2: short row: 1 field, the first row has 2");
	free(e);
	csv_table_free(&t);
	/* structural errors stay fatal */
	e = parse_err("a,b\n\"x,y\n", 10, &o, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 1: quoted field not closed (the quote opened on line 2)");
	free(e);
}
END_TEST

/* ---------------------------------------------------------------- maps */

/* Read a fixture of tests/data/csv into a table. */
static void load_csv(struct csv_table *t, const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "tests/data/csv/%s", name);
	char *path = tu_srcpath(rel);
	size_t n;
	char *data = tu_read(path, &n);
	ck_assert_ptr_nonnull(data);
	parse_ok(t, data, n, NULL);
	free(data);
	free(path);
}

/* Load a map fixture of tests/data/csv; the test fails on any diagnostic. */
static struct map *load_map(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "tests/data/csv/%s", name);
	return tu_map_fixture(rel);
}

/* The value at path equals want. */
static void ck_get(xmlDocPtr doc, const char *path, const char *want)
{
	char *v = canon_get(xmlDocGetRootElement(doc), path);
	if (!want) {
		ck_assert_msg(v == NULL, "%s: '%s', wanted nothing", path, v);
		return;
	}
	ck_assert_msg(v && strcmp(v, want) == 0, "%s: '%s', wanted '%s'", path, v ? v : "(none)",
		      want);
	free(v);
}

/* One "[line L col C] message" line per finding. */
/* Field name of the n-th (1-based) lines/line equals want (NULL: no such line or field). */
static void ck_line(xmlDocPtr doc, int n, const char *name, const char *want)
{
	xmlNodePtr lines = NULL, line = NULL;
	for (xmlNodePtr c = xmlDocGetRootElement(doc)->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *)"lines"))
			lines = c;
	int k = 0;
	for (xmlNodePtr c = lines ? lines->children : NULL; c && !line; c = c->next)
		if (c->type == XML_ELEMENT_NODE && ++k == n)
			line = c;
	char *v = line ? canon_get(line, name) : NULL;
	if (!want) {
		ck_assert_msg(v == NULL, "line %d %s: '%s', wanted nothing", n, name, v);
		return;
	}
	ck_assert_msg(v && strcmp(v, want) == 0, "line %d %s: '%s', wanted '%s'", n, name,
		      v ? v : "(none)", want);
	free(v);
}

/* One "[line L col C] message" line per finding. */
static char *errs_text(const struct x12_errlist *e)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < e->n; i++)
		buf_printf(&b, "[line %llu col %d] %s\n", (unsigned long long)e->v[i].line,
			   e->v[i].elem_pos, e->v[i].msg);
	return b.data ? buf_steal(&b) : xstrdup("(no errors)");
}

/* The record is valid against doc/canonical.rng once the gateway adds the partner. */
static void valid_record(xmlDocPtr doc)
{
	struct buf err;
	buf_init(&err, 0);
	ck_assert_int_eq(canon_set_source(doc, "acme-3pl", NULL), 0);
	ck_assert_msg(canon_validate(doc, g_rng, &err) == 0, "%s", err.data ? err.data : "");
	buf_free(&err);
}

START_TEST(test_map_shipconf)
{
	struct map *m = load_map("shipconf.map");
	ck_assert_str_eq(map_source_standard(m), "csv");
	ck_assert_str_eq(map_source_type(m), "SHIPCONF");
	ck_assert_str_eq(map_target_kind(m), "warehouse-shipping-advice");
	struct csv_table t;
	load_csv(&t, "shipconf.csv");
	ck_assert_uint_eq(t.nrows, 3);
	struct map_csv_group *g;
	size_t ng;
	ck_assert_int_eq(map_csv_groups(m, &t, &g, &ng), 0);
	ck_assert_uint_eq(ng, 2);
	ck_assert_str_eq(g[0].key, "SO-1001");
	ck_assert_uint_eq(g[0].nrows, 2);
	ck_assert_str_eq(g[1].key, "SO-1002");
	ck_assert_uint_eq(g[1].nrows, 1);

	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = NULL;
	char *key = NULL;
	ck_assert_int_eq(map_apply_csv(m, &t, g[0].rows, g[0].nrows, &doc, &errs, &key), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 0, "%s", et);
	free(et);
	ck_assert_str_eq(key, "SO-1001");
	ck_get(doc, "source/standard", "csv");
	ck_get(doc, "source/document-type", "SHIPCONF");
	ck_get(doc, "order-number", "SO-1001");
	ck_get(doc, "status", "final");
	ck_get(doc, "ship-date", "2026-11-20");
	ck_get(doc, "shipment-id", "SH-77");
	ck_get(doc, "bill-of-lading", "BOL-9");
	ck_get(doc, "carrier/scac", "UPSN");
	ck_line(doc, 1, "number", "1");
	ck_line(doc, 1, "vendor-item", "A-100");
	ck_line(doc, 1, "description", "Widget, large");
	ck_line(doc, 1, "quantity", "12");
	ck_line(doc, 1, "unit", "EA");
	ck_line(doc, 1, "lot", "L1");
	ck_line(doc, 2, "vendor-item", "A-200");
	ck_line(doc, 2, "description", "Gadget \"Pro\"\r\nsecond line");
	ck_line(doc, 2, "quantity", "3.5");
	ck_line(doc, 2, "unit", "EA"); /* empty: the default */
	ck_line(doc, 3, "vendor-item", NULL);
	valid_record(doc);
	xmlFreeDoc(doc);
	free(key);
	key = NULL;

	ck_assert_int_eq(map_apply_csv(m, &t, g[1].rows, g[1].nrows, &doc, &errs, &key), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_str_eq(key, "SO-1002");
	ck_get(doc, "status", "partial");
	ck_get(doc, "ship-date", "2026-11-21");
	ck_get(doc, "bill-of-lading", NULL);
	ck_get(doc, "carrier/scac", "FDEG");
	ck_line(doc, 1, "quantity", "100");
	ck_line(doc, 1, "unit", "BX");
	ck_line(doc, 2, "quantity", NULL);
	valid_record(doc);
	xmlFreeDoc(doc);
	free(key);

	/* rows NULL: the whole file as one record (the first row's heading) */
	ck_assert_int_eq(map_apply_csv(m, &t, NULL, 0, &doc, &errs, NULL), 0);
	ck_get(doc, "order-number", "SO-1001");
	ck_line(doc, 3, "vendor-item", "B-300");
	xmlFreeDoc(doc);
	/* bad calls */
	size_t bad_row = 3;
	ck_assert_int_eq(map_apply_csv(m, &t, &bad_row, 1, &doc, &errs, NULL), -EINVAL);
	ck_assert_ptr_null(doc);
	x12_errlist_free(&errs);
	map_csv_groups_free(g, ng);
	csv_table_free(&t);
	map_free(m);
}
END_TEST

START_TEST(test_map_error_position)
{
	struct map *m = load_map("shipconf.map");
	struct csv_table t;
	load_csv(&t, "shipconf-badqty.csv");
	struct map_csv_group *g;
	size_t ng;
	ck_assert_int_eq(map_csv_groups(m, &t, &g, &ng), 0);
	ck_assert_uint_eq(ng, 2);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = NULL;
	ck_assert_int_eq(map_apply_csv(m, &t, g[1].rows, g[1].nrows, &doc, &errs, NULL), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 1, "%s", et);
	ck_assert_uint_eq(errs.v[0].line, 5);
	ck_assert_int_eq(errs.v[0].elem_pos, 10);
	ck_assert_str_eq(errs.v[0].bad_value, "1O0");
	ck_assert_msg(strstr(errs.v[0].msg, "lines/line[1]/quantity: line 5, column 10 "
					    "(qty_shipped) is not a decimal number") != NULL, "%s", et);
	ck_assert_msg(strstr(errs.v[0].msg, "shipconf.map:22)") != NULL, "%s", et);
	free(et);
	ck_line(doc, 1, "quantity", NULL);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	map_csv_groups_free(g, ng);
	csv_table_free(&t);
	map_free(m);
}
END_TEST

/* Write text as map file name in the tmp dir and load it; returns the diagnostics. */
static char *map_try(const char *name, const char *text, struct map **out)
{
	return tu_map_try(g_tmp, name, text, out);
}

START_TEST(test_map_syntax)
{
	char *e = map_try("a.map", "source x12 850\ntarget order\npo-number @po\n", NULL);
	ck_assert_msg(strstr(e, "a.map:3: '@po' is a CSV column: only in a 'source csv NAME' map"),
		      "%s", e);
	free(e);
	e = map_try("b.map", "source csv PO\ntarget order\npo-number BEG03\n", NULL);
	ck_assert_msg(strstr(e, "b.map:3: 'BEG03': a CSV map reads columns by header name or "
				"position"), "%s", e);
	free(e);
	e = map_try("c.map", "source csv PO\ntarget order\npo-number C0\nx C1001\ny @\n", NULL);
	ck_assert_msg(strstr(e, "c.map:3: bad path 'C0': a CSV column number is C1 to C1000"),
		      "%s", e);
	ck_assert_msg(strstr(e, "c.map:4: bad path 'C1001'"), "%s", e);
	ck_assert_msg(strstr(e, "c.map:5: bad path '@': a CSV column name"), "%s", e);
	free(e);
	e = map_try("d.map", "source csv PO\ntarget order\ngroup-by BEG03\npo-number C1\n", NULL);
	ck_assert_msg(strstr(e, "d.map:3: bad group-by 'BEG03'"), "%s", e);
	free(e);
	e = map_try("e.map", "source x12 850\ntarget order\ngroup-by @po\npo-number BEG03\n", NULL);
	ck_assert_msg(strstr(e, "e.map:3: group-by is for CSV, fixed-width and XML maps"), "%s", e);
	free(e);
	e = map_try("f.map", "source csv PO\ntarget order\nlines/line each PO1\n  qty C2\n", NULL);
	ck_assert_msg(strstr(e, "f.map:3: a CSV map repeats rows: 'each row'"), "%s", e);
	free(e);
	/* C1000 is the last column a map may name */
	struct map *m;
	e = map_try("g.map", "source csv PO\ntarget order\npo-number C1000\n", &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	map_free(m);
}
END_TEST

/* Positional columns of a file without a header, a column the header lacks, group-by
 * by position and an X12 map refused. */
START_TEST(test_map_positions)
{
	struct map *m;
	char *e = map_try("p.map",
			  "source csv SHIPCONF\ntarget warehouse-shipping-advice\n"
			  "key order-number\ngroup-by C1\n"
			  "order-number C1 required\nstatus \"final\"\nship-date C2 date CCYYMMDD\n"
			  "shipment-id @shipment\n"
			  "lines/line each row\n  vendor-item C3\n  quantity C4 decimal required\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	struct csv_options o = { .header = CSV_HEADER_NO };
	const char *s = "SO1,20260101,A,1\nSO2,20260102,B,2\nSO1,20260101,C,\n";
	struct csv_table t;
	parse_ok(&t, s, strlen(s), &o);
	struct map_csv_group *g;
	size_t ng;
	ck_assert_int_eq(map_csv_groups(m, &t, &g, &ng), 0);
	ck_assert_uint_eq(ng, 2);
	ck_assert_str_eq(g[0].key, "SO1");
	ck_assert_uint_eq(g[0].nrows, 2); /* rows 1 and 3: not adjacent */
	ck_assert_uint_eq(g[0].rows[1], 2);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc;
	char *key = NULL;
	ck_assert_int_eq(map_apply_csv(m, &t, g[0].rows, g[0].nrows, &doc, &errs, &key), 0);
	ck_assert_str_eq(key, "SO1");
	ck_get(doc, "ship-date", "2026-01-01");
	ck_line(doc, 2, "vendor-item", "C");
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 2, "%s", et);
	/* @shipment: the file has no header */
	ck_assert_msg(strstr(et, "a file without a header has no column shipment (map "), "%s", et);
	ck_assert_msg(strstr(et, "p.map:8)"), "%s", et);
	/* the required quantity of the third row, line 3 column 4 */
	ck_assert_msg(strstr(et, "[line 3 col 4] lines/line[2]/quantity: line 3, column 4"), "%s",
		      et);
	free(et);
	free(key);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	map_csv_groups_free(g, ng);
	csv_table_free(&t);

	/* a group-by column the header lacks */
	struct map *m2;
	e = map_try("q.map", "source csv X\ntarget order\ngroup-by @order\npo-number C1\n", &m2);
	ck_assert_msg(m2 != NULL, "%s", e);
	free(e);
	s = "po,x\n1,2\n";
	parse_ok(&t, s, strlen(s), NULL);
	ck_assert_int_eq(map_csv_groups(m2, &t, &g, &ng), -ENOENT);
	ck_assert_uint_eq(ng, 0);
	csv_table_free(&t);
	map_free(m2);
	map_free(m);

	/* an X12 map cannot read a CSV file */
	e = map_try("x.map", "source x12 850\ntarget order\npo-number BEG03\n", &m);
	free(e);
	parse_ok(&t, s, strlen(s), NULL);
	ck_assert_int_eq(map_apply_csv(m, &t, NULL, 0, &doc, &errs, NULL), -EINVAL);
	ck_assert_int_eq(map_csv_groups(m, &t, &g, &ng), -EINVAL);
	csv_table_free(&t);
	map_free(m);
}
END_TEST

/* map_apply_csv_flags: a finding in the each row block marks its row (with why); a
 * finding on a top-level field (the record's first row), a check or a missing column
 * marks the record. */
START_TEST(test_map_rowflags)
{
	struct map *m = load_map("shipconf.map");
	const char *s = "order_no,status,ship_date,shipment,bol,carrier,sku,description,lot,qty_shipped,uom\n"
			"SO-1,F,20261120,SH,B,UPSN,A-100,W,L1,12,EA\n"
			"SO-1,F,20261120,SH,B,UPSN,A-200,G,L2,x5,EA\n"
			"SO-1,F,20261120,SH,B,UPSN,,G,L3,4,EA\n"
			"SO-2,F,2026112x,SH,B,UPSN,B-1,G,L4,1,EA\n";
	struct csv_table t;
	parse_ok(&t, s, strlen(s), NULL);
	struct map_csv_group *g;
	size_t ng;
	ck_assert_int_eq(map_csv_groups(m, &t, &g, &ng), 0);
	ck_assert_uint_eq(ng, 2);
	unsigned char bad[3] = { 0 };
	char *why[3] = { NULL };
	struct map_rowflags rf = { bad, why, 0 };
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = NULL;
	ck_assert_int_eq(map_apply_csv_flags(m, &t, g[0].rows, g[0].nrows, &doc, &errs, NULL, &rf), 0);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_int_eq(rf.record_bad, 0);
	ck_assert_int_eq(bad[0], 0);
	ck_assert_int_eq(bad[1], 1);
	ck_assert_int_eq(bad[2], 1);
	ck_assert_ptr_null(why[0]);
	ck_assert_msg(why[1] && strstr(why[1], "lines/line[2]/quantity: line 3, column 10 (qty_shipped) is not a "
					 "decimal number") && strstr(why[1], "(value 'x5')"), "%s", why[1]);
	ck_assert_msg(why[2] && strstr(why[2], "lines/line[3]/vendor-item: line 4, column 7 (sku) is required"),
		      "%s", why[2]);
	free(why[1]);
	free(why[2]);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	memset(&errs, 0, sizeof errs);
	/* SO-2's ship date is a top-level field: the record's problem */
	memset(bad, 0, sizeof bad);
	memset(why, 0, sizeof why);
	ck_assert_int_eq(map_apply_csv_flags(m, &t, g[1].rows, g[1].nrows, &doc, &errs, NULL, &rf), 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_int_eq(rf.record_bad, 1);
	ck_assert_int_eq(bad[0], 0);
	ck_assert_ptr_null(why[0]);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	memset(&errs, 0, sizeof errs);
	map_csv_groups_free(g, ng);
	csv_table_free(&t);
	map_free(m);

	/* a check total and a column the header lacks are the record's */
	char *e = map_try("r.map",
			  "source csv X\ntarget warehouse-shipping-advice\n"
			  "order-number C1\nlines-count C2 number check count(lines/line)\n"
			  "lines/line each row\n  vendor-item C3\n", &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	s = "a,b,c\nSO,3,X\nSO,3,Y\n";
	parse_ok(&t, s, strlen(s), NULL);
	memset(&rf, 0, sizeof rf);
	rf.bad = bad;
	memset(bad, 0, sizeof bad);
	ck_assert_int_eq(map_apply_csv_flags(m, &t, NULL, 0, &doc, &errs, NULL, &rf), 0);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_int_eq(rf.record_bad, 1);
	ck_assert_int_eq(bad[0] | bad[1], 0);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	memset(&errs, 0, sizeof errs);
	map_free(m);
	e = map_try("s.map", "source csv X\ntarget order\npo-number @po\n", &m);
	free(e);
	rf.record_bad = 0;
	ck_assert_int_eq(map_apply_csv_flags(m, &t, NULL, 0, &doc, &errs, NULL, &rf), 0);
	ck_assert_int_eq(rf.record_bad, 1);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	csv_table_free(&t);
	map_free(m);
}
END_TEST

/* Write name in the tmp dir (n bytes of text; 0: a C string). */
static void put_tmp(const char *name, const char *text, size_t n)
{
	char *path = xasprintf("%s/%s", g_tmp, name);
	if (n == 0)
		n = strlen(text);
	ck_assert_int_eq(tu_write(path, text, n), 0);
	free(path);
}

/* xref in a CSV map: names or Cn, else VALUE, empty spreadsheet rows, findings on the row
 * (a bad row for flat.bad-row); an overlay replaces an xref. */
START_TEST(test_xref_csv)
{
	const char *x = "partner_sku , our_sku,uom\nA-100,SKU-0100,EA\n,,\nA-200,SKU-0200,BX\nA-100,SKU-0100,EA\n";
	put_tmp("skus.csv", x, strlen(x));
	struct map *m;
	char *e = map_try("x.map",
			  "source csv SHIPCONF\ntarget warehouse-shipping-advice\n"
			  "xref sku skus.csv partner_sku our_sku\nxref uom skus.csv partner_sku C3 else EA\n"
			  "order-number C1\nlines/line each row\n  vendor-item C2 xref sku required\n"
			  "  unit C2 xref uom\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	const char *s = "order,sku\nSO,A-200\nSO,A-999\n";
	struct csv_table t;
	parse_ok(&t, s, strlen(s), NULL);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc;
	unsigned char bad[2] = { 0 };
	struct map_rowflags rf = { bad, NULL, 0 };
	ck_assert_int_eq(map_apply_csv_flags(m, &t, NULL, 0, &doc, &errs, NULL, &rf), 0);
	ck_line(doc, 1, "vendor-item", "SKU-0200");
	ck_line(doc, 1, "unit", "BX");
	ck_line(doc, 2, "vendor-item", NULL);
	ck_line(doc, 2, "unit", "EA");
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 1 && strstr(et, "[line 3 col 2] lines/line[2]/vendor-item: line 3, column 2 holds a value "
						 "cross-reference sku has no entry for (skus.csv, column partner_sku) (map "),
		      "%s", et);
	free(et);
	ck_assert_int_eq(bad[0], 0);
	ck_assert_int_eq(bad[1], 1);
	ck_assert_int_eq(rf.record_bad, 0);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	memset(&errs, 0, sizeof errs);
	map_free(m);
	/* an overlay replaces the xref: another file, a pass-through */
	put_tmp("skus2.csv", "a,b\nA-999,SKU-0999\n", 0);
	char *base = xasprintf("%s/x.map", g_tmp);
	char *ov = xasprintf("extends %s\nxref sku skus2.csv a b else *\n", base);
	e = map_try("o.map", ov, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	ck_assert_int_eq(map_apply_csv(m, &t, NULL, 0, &doc, &errs, NULL), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_line(doc, 1, "vendor-item", "A-200");
	ck_line(doc, 2, "vendor-item", "SKU-0999");
	xmlFreeDoc(doc);
	map_free(m);
	free(ov);
	free(base);
	csv_table_free(&t);
}
END_TEST

/* What is wrong with an xref line or its file names the map line and the file's line. */
START_TEST(test_xref_errors)
{
	put_tmp("dup.csv", "k,v\nA,1\nB,2\nA,3\n", 0);
	put_tmp("empty.csv", "k,v\nA,\n", 0);
	put_tmp("nokey.csv", "k,v\n,1\n", 0);
	put_tmp("short.csv", "k,v\nA\n", 0);
	char *e = map_try("e.map",
			  "source csv X\ntarget order\n"
			  "xref a nosuch.csv k v\nxref b dup.csv k v\nxref c empty.csv k v\nxref d dup.csv k w\n"
			  "xref e nokey.csv k v\nxref f short.csv k v\nxref b dup.csv k v\nxref g dup.csv k\n"
			  "xref h dup.csv k v otherwise 1\n"
			  "po-number C1 xref zz\norder-date C2 xref a code t\n",
			  NULL);
	ck_assert_msg(strstr(e, "e.map:3: xref a: cannot read nosuch.csv: No such file or directory"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:4: xref b: dup.csv lines 2 and 4 give A two values"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:5: xref c: empty.csv line 2, column 2: empty value"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:6: xref d: dup.csv has no column w"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:7: xref e: nokey.csv line 2, column 1: empty key"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:8: xref f: short.csv line 2: short row"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:9: xref b is declared twice (first at line 4)"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:10: write 'xref NAME FILE FROM-COLUMN TO-COLUMN"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:11: write 'xref NAME FILE"), "%s", e);
	ck_assert_msg(strstr(e, "e.map:13: 'xref' excludes 'code'"), "%s", e);
	free(e);
	e = map_try("f.map", "source csv X\ntarget order\npo-number C1 xref zz\n", NULL);
	ck_assert_msg(strstr(e, "f.map:3: unknown cross-reference 'zz'"), "%s", e);
	free(e);
}
END_TEST

/* A cross-reference file of 16 MiB is read, one byte more is not; 1000000 rows are read,
 * one more are not. */
START_TEST(test_xref_limits)
{
	const size_t max = 16u * 1024 * 1024;
	char *big = xmalloc(max + 2);
	memcpy(big, "k,v\n", 4);
	size_t n = 4;
	while (n + 40 <= max) {
		memcpy(big + n, "key,vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\n", 40);
		n += 40;
	}
	memset(big + n, 'v', max - n - 1); /* the last row fills the file up to 16 MiB */
	memcpy(big + n, "key,", 4);
	big[max - 1] = '\n';
	/* every row maps "key" to itself (C1), so the rows' different values do not clash */
	struct map *m;
	const char *text = "source csv X\ntarget order\nxref big big.csv k C1\npo-number C1 xref big\n";
	put_tmp("big.csv", big, max);
	char *e = map_try("b.map", text, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	map_free(m);
	big[max] = '\n';
	put_tmp("big.csv", big, max + 1);
	e = map_try("b.map", text, NULL);
	ck_assert_msg(strstr(e, "b.map:3: xref big: cannot read big.csv: larger than 16 MiB"), "%s", e);
	free(e);
	free(big);
	/* rows */
	size_t rows = 1000000;
	char *r = xmalloc(4 + (rows + 1) * 4);
	memcpy(r, "k,v\n", 4);
	for (size_t i = 0; i <= rows; i++)
		memcpy(r + 4 + i * 4, "a,b\n", 4);
	put_tmp("rows.csv", r, 4 + rows * 4);
	text = "source csv X\ntarget order\nxref r rows.csv k v\npo-number C1 xref r\n";
	e = map_try("r.map", text, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	map_free(m);
	put_tmp("rows.csv", r, 4 + (rows + 1) * 4);
	e = map_try("r.map", text, NULL);
	ck_assert_msg(strstr(e, "r.map:3: xref r: rows.csv line 1000002: more than 1000000 data rows"), "%s", e);
	free(e);
	free(r);
}
END_TEST

/* ------------------------------------------------------- nested groups */

/* The record below the source element as "name=value" leaves and "name{...}" lists:
 * the shape a reader of the ERP file sees. */
static void outline_node(struct buf *b, xmlNodePtr n)
{
	int first = 1;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || xmlStrEqual(c->name, (const xmlChar *)"source"))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		int leaf = 1;
		for (xmlNodePtr k = c->children; k; k = k->next)
			if (k->type == XML_ELEMENT_NODE)
				leaf = 0;
		if (leaf) {
			xmlChar *v = xmlNodeGetContent(c);
			buf_printf(b, "%s=%s", (const char *)c->name, v ? (const char *)v : "");
			xmlFree(v);
		} else {
			buf_printf(b, "%s{", (const char *)c->name);
			outline_node(b, c);
			buf_putc(b, '}');
		}
	}
}

/* outline_node of the record's root (allocated). */
static char *outline(xmlDocPtr doc)
{
	struct buf b;
	buf_init(&b, 0);
	outline_node(&b, xmlDocGetRootElement(doc));
	return b.data ? buf_steal(&b) : xstrdup("");
}

/* Apply m to every data row of the CSV text s; the record's outline (allocated), the
 * findings in *et (allocated, "(no errors)" without), row flags in bad (one per row, may
 * be NULL) and *record_bad. */
static char *apply_text(struct map *m, const char *s, char **et, unsigned char *bad, int *record_bad)
{
	struct csv_table t;
	parse_ok(&t, s, strlen(s), NULL);
	struct map_rowflags rf = { bad, NULL, 0 };
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = NULL;
	ck_assert_int_eq(map_apply_csv_flags(m, &t, NULL, 0, &doc, &errs, NULL, bad ? &rf : NULL), 0);
	char *o = outline(doc);
	*et = errs_text(&errs);
	if (record_bad)
		*record_bad = rf.record_bad;
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	csv_table_free(&t);
	return o;
}

/* A map of depth groups (columns a, b, c, d) and each row inside (column v). */
static char *nest_map_text(int depth)
{
	static const char *const col[] = { "a", "b", "c", "d" };
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "source csv NEST\ntarget order\npo-number C1\n");
	int ind = 0;
	for (int i = 0; i < depth; i++) {
		buf_printf(&b, "%*sg%s/%s each group @%s\n", ind, "", col[i], col[i], col[i]);
		buf_printf(&b, "%*s  k @%s\n", ind, "", col[i]);
		ind += 2;
	}
	buf_printf(&b, "%*srows/row each row\n%*s  v @v\n", ind, "", ind, "");
	return buf_steal(&b);
}

/* Rows of the nesting tests: groups at every level come back in order of first
 * appearance, whatever the rows in between (rows 1, 3 and 5 share a = 1). */
static const char NEST_CSV[] =
	"a,b,c,d,v\n"
	"1,x,p,s,r1\n"
	"2,x,p,s,r2\n"
	"1,y,p,s,r3\n"
	"2,x,q,s,r4\n"
	"1,x,p,t,r5\n"
	"1, x ,p,s,r6\n";

/* each group nested 1, 2, 3 and 4 deep: one element per distinct (trimmed) value of the
 * enclosing scope's rows, in order of first appearance, each row inside repeating
 * only the group's rows in file order. */
START_TEST(test_group_nesting)
{
	static const char *const want[] = {
		"po-number=1,"
		"ga{a{k=1,rows{row{v=r1},row{v=r3},row{v=r5},row{v=r6}}},"
		"a{k=2,rows{row{v=r2},row{v=r4}}}}",
		"po-number=1,"
		"ga{a{k=1,gb{b{k=x,rows{row{v=r1},row{v=r5},row{v=r6}}},b{k=y,rows{row{v=r3}}}}},"
		"a{k=2,gb{b{k=x,rows{row{v=r2},row{v=r4}}}}}}",
		"po-number=1,"
		"ga{a{k=1,gb{b{k=x,gc{c{k=p,rows{row{v=r1},row{v=r5},row{v=r6}}}}},"
		"b{k=y,gc{c{k=p,rows{row{v=r3}}}}}}},"
		"a{k=2,gb{b{k=x,gc{c{k=p,rows{row{v=r2}}},c{k=q,rows{row{v=r4}}}}}}}}",
		"po-number=1,"
		"ga{a{k=1,gb{b{k=x,gc{c{k=p,gd{d{k=s,rows{row{v=r1},row{v=r6}}},d{k=t,rows{row{v=r5}}}}}}},"
		"b{k=y,gc{c{k=p,gd{d{k=s,rows{row{v=r3}}}}}}}}},"
		"a{k=2,gb{b{k=x,gc{c{k=p,gd{d{k=s,rows{row{v=r2}}}}},c{k=q,gd{d{k=s,rows{row{v=r4}}}}}}}}}}",
	};
	for (int depth = 1; depth <= 4; depth++) {
		char *text = nest_map_text(depth);
		struct map *m;
		char *e = map_try("nest.map", text, &m);
		ck_assert_msg(m != NULL, "depth %d: %s\n%s", depth, e, text);
		free(e);
		char *et;
		char *o = apply_text(m, NEST_CSV, &et, NULL, NULL);
		ck_assert_msg(strcmp(et, "(no errors)") == 0, "depth %d: %s", depth, et);
		ck_assert_msg(strcmp(o, want[depth - 1]) == 0, "depth %d:\n%s\nwanted\n%s", depth, o,
			      want[depth - 1]);
		free(o);
		free(et);
		map_free(m);
		free(text);
	}
	/* $index is the position among the groups; positions work as keys; a column the
	 * map names by position keeps its findings' columns */
	struct map *m;
	char *e = map_try("idx.map",
			  "source csv NEST\ntarget order\npo-number C1\n"
			  "ga/a each group C2\n  n $index\n  k C2\n  rows/row each row\n    n $index\n    v C5\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	char *et;
	char *o = apply_text(m, NEST_CSV, &et, NULL, NULL);
	ck_assert_str_eq(o, "po-number=1,ga{a{n=1,k=x,rows{row{n=1,v=r1},row{n=2,v=r2},row{n=3,v=r4},"
			    "row{n=4,v=r5},row{n=5,v=r6}}},a{n=2,k=y,rows{row{n=1,v=r3}}}}");
	free(o);
	free(et);
	map_free(m);
}
END_TEST

/* Blocks nest at most 8 deep, each group counting as each: 7 groups and each row load,
 * 8 groups and each row do not. */
START_TEST(test_group_depth_limit)
{
	for (int depth = 7; depth <= 8; depth++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "source csv NEST\ntarget order\npo-number C1\n");
		int ind = 0;
		for (int i = 0; i < depth; i++) {
			buf_printf(&b, "%*sg%d/x each group C%d\n%*s  k C%d\n", ind, "", i, i + 1, ind, "", i + 1);
			ind += 2;
		}
		buf_printf(&b, "%*srows/row each row\n%*s  v C9\n", ind, "", ind, "");
		struct map *m;
		char *e = map_try("deep.map", b.data, &m);
		if (depth == 7) {
			ck_assert_msg(m != NULL, "%s", e);
			char *et;
			char *o = apply_text(m, "a,b,c,d,e,f,g,h,v\n1,2,3,4,5,6,7,8,9\n1,2,3,4,5,6,7,8,10\n", &et, NULL,
					     NULL);
			ck_assert_msg(strstr(o, "g6{x{k=7,rows{row{v=9},row{v=10}}}}"), "%s", o);
			free(o);
			free(et);
			map_free(m);
		} else {
			ck_assert_ptr_null(m);
			ck_assert_msg(strstr(e, "deep.map:20: each blocks nested too deep (at most 8)"), "%s", e);
		}
		free(e);
		buf_free(&b);
	}
}
END_TEST

/* A map over shipments (order, pack, item) the group tests below share. */
static const char SHIP_MAP[] =
	"source csv SHIP\ntarget ship-notice\nkey shipment-id\n"                   /* 1-3 */
	"shipment-id @shipment required\n"                                          /* 4 */
	"shipment/orders/order each group @po required max 2\n"                    /* 5 */
	"  po-number @po required\n"                                                /* 6 */
	"  po-total @total decimal\n"                                               /* 7 */
	"  packs/pack each group @sscc required max 2\n"                           /* 8 */
	"    sscc @sscc required\n"                                                 /* 9 */
	"    items/item each row required\n"                                        /* 10 */
	"      vendor-item @sku required\n"                                         /* 11 */
	"      quantity @qty decimal required\n";                                   /* 12 */

/* An empty key puts its row in no group: a finding naming the file line, the column and
 * the each group line, that row's alone (flat.bad-row = reject-row leaves it out); the
 * other rows are mapped. A column the header lacks is the record's finding naming the
 * map line; a required group with no key at all is the enclosing element's. */
START_TEST(test_group_empty_key)
{
	struct map *m;
	char *e = map_try("ship.map", SHIP_MAP, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	unsigned char bad[5];
	memset(bad, 0, sizeof bad);
	int rb = -1;
	char *et;
	char *o = apply_text(m,
			     "shipment,po,total,sscc,sku,qty\n"
			     "S1,P1,,C1,A,1\n"
			     "S1,  ,,C1,B,2\n"
			     "S1,P1,,,C,3\n"
			     "S1,P1,,C1,D,4\n"
			     "S1,P2,,C2,E,5\n",
			     &et, bad, &rb);
	ck_assert_msg(strstr(et, "[line 3 col 2] shipment/orders/order: line 3, column 2 (po) is empty, so the "
				 "row is in no group (each group @po needs a value) (map "), "%s", et);
	ck_assert_msg(strstr(et, "ship.map:5)\n"), "%s", et);
	ck_assert_msg(strstr(et, "[line 4 col 4] shipment/orders/order[1]/packs/pack: line 4, column 4 (sscc) is "
				 "empty, so the row is in no group (each group @sscc needs a value) (map "), "%s", et);
	ck_assert_msg(strstr(et, "ship.map:8)\n"), "%s", et);
	int n = 0;
	for (const char *p = et; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	ck_assert_msg(n == 2, "%s", et);
	ck_assert_str_eq(o, "shipment-id=S1,shipment{orders{"
			    "order{po-number=P1,packs{pack{sscc=C1,items{item{vendor-item=A,quantity=1},"
			    "item{vendor-item=D,quantity=4}}}}},"
			    "order{po-number=P2,packs{pack{sscc=C2,items{item{vendor-item=E,quantity=5}}}}}}}");
	ck_assert_int_eq(rb, 0);
	ck_assert_int_eq(bad[0], 0);
	ck_assert_int_eq(bad[1], 1);
	ck_assert_int_eq(bad[2], 1);
	ck_assert_int_eq(bad[3], 0);
	ck_assert_int_eq(bad[4], 0);
	free(o);
	free(et);

	/* every row of P1 without a carton: P1 has no pack, which is required: P1's problem
	 * (both its rows), the other order is fine */
	memset(bad, 0, sizeof bad);
	o = apply_text(m,
		       "shipment,po,total,sscc,sku,qty\n"
		       "S1,P1,,,A,1\n"
		       "S1,P2,,C2,E,5\n"
		       "S1,P1,,,B,2\n",
		       &et, bad, &rb);
	ck_assert_msg(strstr(et, "shipment/orders/order[1]/packs/pack: required, but no row of this "
				 "shipment/orders/order has a value in @sscc (map "), "%s", et);
	ck_assert_int_eq(rb, 0);
	ck_assert(bad[0] && !bad[1] && bad[2]);
	free(o);
	free(et);

	/* no row has a PO: the record's */
	memset(bad, 0, sizeof bad);
	o = apply_text(m, "shipment,po,total,sscc,sku,qty\nS1,,,C1,A,1\n", &et, bad, &rb);
	ck_assert_msg(strstr(et, "shipment/orders/order: required, but no row of the record has a value in @po "
				 "(map "), "%s", et);
	ck_assert_int_eq(rb, 1);
	free(o);
	free(et);

	/* the header lacks the group's column: one finding naming the each group line, no
	 * group, the record's problem */
	memset(bad, 0, sizeof bad);
	o = apply_text(m, "shipment,po_number,total,sscc,sku,qty\nS1,P1,,C1,A,1\nS1,P2,,C1,B,1\n", &et, bad, &rb);
	ck_assert_msg(strstr(et, "[line 1 col 0] the file's header has no column po (map ") == et, "%s", et);
	ck_assert_msg(strstr(et, "ship.map:5)\n") && !strchr(strchr(et, '\n') + 1, '\n'), "%s", et);
	ck_assert_str_eq(o, "shipment-id=S1");
	ck_assert_int_eq(rb, 1);
	ck_assert(!bad[0] && !bad[1]);
	free(o);
	free(et);
	map_free(m);
}
END_TEST

/* required and max on each group lines: max counts the groups of one enclosing element
 * (2 allowed, 3 is one over, a finding on the first row of the group over and the
 * record's problem); required asks for at least one. */
START_TEST(test_group_required_max)
{
	struct map *m;
	char *e = map_try("ship.map", SHIP_MAP, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	/* two orders, two packs in each: at the limit */
	char *et;
	int rb;
	unsigned char bad[6] = { 0 };
	char *o = apply_text(m,
			     "shipment,po,total,sscc,sku,qty\n"
			     "S1,P1,,C1,A,1\nS1,P1,,C2,B,1\nS1,P2,,C3,C,1\nS1,P2,,C4,D,1\n",
			     &et, bad, &rb);
	ck_assert_str_eq(et, "(no errors)");
	ck_assert_int_eq(rb, 0);
	free(o);
	free(et);
	/* a third pack in P2 and a third order: one over each */
	o = apply_text(m,
		       "shipment,po,total,sscc,sku,qty\n"
		       "S1,P1,,C1,A,1\nS1,P1,,C2,B,1\nS1,P2,,C3,C,1\nS1,P2,,C4,D,1\nS1,P2,,C5,E,1\nS1,P3,,C6,F,1\n",
		       &et, bad, &rb);
	ck_assert_msg(strstr(et, "[line 6 col 0] shipment/orders/order[2]/packs/pack: more than 2 groups of @sscc at "
				 "line 6 (the map allows at most 2) (map "), "%s", et);
	ck_assert_msg(strstr(et, "[line 7 col 0] shipment/orders/order: more than 2 groups of @po at line 7 (the map "
				 "allows at most 2) (map "), "%s", et);
	ck_assert_int_eq(rb, 1);
	ck_assert_msg(!strstr(o, "C5") && !strstr(o, "P3") && strstr(o, "sscc=C4"), "%s", o);
	free(o);
	free(et);
	map_free(m);
	/* max 1 / max 100000 load; max 0 and 100001 do not; options an each line refuses */
	e = map_try("m.map", "source csv X\ntarget order\ng/x each group @a max 1\n  k @a\n"
		    "h/x each group @b max 100000\n  k @b\n", &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	map_free(m);
	e = map_try("m.map", "source csv X\ntarget order\ng/x each group @a max 0\n  k @a\n"
		    "h/x each group @b max 100001\n  k @b\ni/x each group @c decimal\n  k @c\n", NULL);
	ck_assert_msg(strstr(e, "m.map:3: 'max' needs a number from 1 to 100000"), "%s", e);
	ck_assert_msg(strstr(e, "m.map:5: 'max' needs a number from 1 to 100000"), "%s", e);
	ck_assert_msg(strstr(e, "m.map:7: an each line takes only 'required' and 'max N'"), "%s", e);
	free(e);
}
END_TEST

/* A finding inside a nested group names the list positions, the file line and column
 * and the map line, and rejects the row (each row) or every row of the group (a field
 * of the group itself, read on its first row); a row the reject-row rerun leaves out
 * changes nothing for the others. */
START_TEST(test_group_findings_rowflags)
{
	struct map *m;
	char *e = map_try("ship.map", SHIP_MAP, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	const char *s = "shipment,po,total,sscc,sku,qty\n"
			"S1,P1,10,C1,A,1\n"      /* line 2 */
			"S1,P2,1x,C3,B,2\n"      /* line 3: P2's total (a group field) */
			"S1,P1,10,C2,C,3\n"      /* line 4 */
			"S1,P1,10,C2,D,4q\n"     /* line 5: a bad quantity in P1's second pack */
			"S1,P2,1x,C3,E,5\n";     /* line 6 */
	struct csv_table t;
	parse_ok(&t, s, strlen(s), NULL);
	unsigned char bad[5] = { 0 };
	char *why[5] = { NULL };
	struct map_rowflags rf = { bad, why, 0 };
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = NULL;
	ck_assert_int_eq(map_apply_csv_flags(m, &t, NULL, 0, &doc, &errs, NULL, &rf), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 2, "%s", et);
	ck_assert_msg(strstr(et, "[line 5 col 6] shipment/orders/order[1]/packs/pack[2]/items/item[2]/quantity: "
				 "line 5, column 6 (qty) is not a decimal number"), "%s", et);
	ck_assert_msg(strstr(et, "(map ") && strstr(et, "ship.map:12)"), "%s", et);
	ck_assert_msg(strstr(et, "[line 3 col 3] shipment/orders/order[2]/po-total: line 3, column 3 (total) is "
				 "not a decimal number"), "%s", et);
	ck_assert_msg(strstr(et, "ship.map:7)"), "%s", et);
	free(et);
	ck_assert_int_eq(rf.record_bad, 0);
	ck_assert_int_eq(bad[0], 0);
	ck_assert_int_eq(bad[1], 1); /* P2: both rows */
	ck_assert_int_eq(bad[2], 0);
	ck_assert_int_eq(bad[3], 1); /* the bad quantity's row only */
	ck_assert_int_eq(bad[4], 1);
	ck_assert_msg(why[3] && strstr(why[3], "items/item[2]/quantity: line 5, column 6 (qty)") &&
		      strstr(why[3], "(value '4q')"), "%s", why[3]);
	ck_assert_msg(why[4] && strstr(why[4], "order[2]/po-total: line 3, column 3 (total)"), "%s", why[4]);
	for (size_t i = 0; i < 5; i++)
		free(why[i]);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	memset(&errs, 0, sizeof errs);
	/* the rerun without the bad rows */
	size_t keep[] = { 0, 2 };
	ck_assert_int_eq(map_apply_csv(m, &t, keep, 2, &doc, &errs, NULL), 0);
	ck_assert_uint_eq(errs.n, 0);
	char *o = outline(doc);
	ck_assert_str_eq(o, "shipment-id=S1,shipment{orders{order{po-number=P1,po-total=10,packs{"
			    "pack{sscc=C1,items{item{vendor-item=A,quantity=1}}},"
			    "pack{sscc=C2,items{item{vendor-item=C,quantity=3}}}}}}}");
	free(o);
	xmlFreeDoc(doc);
	csv_table_free(&t);
	map_free(m);
}
END_TEST

/* Syntax and compile errors of each group, each naming its map line. */
START_TEST(test_group_syntax)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "source csv X\ntarget order\ng/x each group\n  k @a\n",
		  "x.map:3: 'each group' needs the column whose value makes the groups" },
		{ "source csv X\ntarget order\ng/x each group required\n  k @a\n",
		  "x.map:3: 'each group' needs the column" },
		{ "source csv X\ntarget order\ng/x each group C0\n  k @a\n",
		  "x.map:3: bad key 'C0' after each group: a CSV column number is C1 to C1000" },
		{ "source csv X\ntarget order\ng/x each group @a|@b\n  k @a\n",
		  "x.map:3: bad key '@a|@b' after each group: a group's key is one column" },
		{ "source csv X\ntarget order\ng/x each group BEG03\n  k @a\n",
		  "x.map:3: 'BEG03': a CSV map reads columns by header name or position" },
		{ "source csv X\ntarget order\ng/x each group @a\n",
		  "x.map:3: each group @a has no fields: indent the fields of each g/x under it" },
		{ "source csv X\ntarget order\nr/x each row\n  g/y each group @a\n    k @a\n",
		  "x.map:4: each group @a inside each row: each row reads one row, so nothing repeats inside it" },
		{ "source csv X\ntarget order\nr/x each row\n  g/y each row\n    k @a\n",
		  "x.map:4: each row inside each row" },
		{ "source x12 850\ntarget order\ng/x each group N101\n  k N102\n",
		  "x.map:3: each group is for CSV and fixed-width maps" },
		{ "source xml X\ntarget order\ng/x each group @a\n  k xpath(a)\n",
		  "x.map:3: each group is for CSV and fixed-width maps" },
		{ "source csv X\ntarget order\ng/x each group @a\n  . @a\n  h/y each group @b max 3 required x\n    k @b\n",
		  "x.map:5: unknown option 'x'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct map *m;
		char *e = map_try("x.map", cases[i].text, &m);
		ck_assert_msg(m == NULL, "case %zu loaded", i);
		ck_assert_msg(strstr(e, cases[i].want), "case %zu: %s", i, e);
		free(e);
	}
	/* an overlay turns each row into each group and keeps the block */
	char *base = xasprintf("%s/base.map", g_tmp);
	ck_assert_int_eq(tu_write(base, "source csv X\ntarget order\npo-number @po\nlines/line each row\n  sku @sku\n",
				  71), 0);
	struct map *m;
	char *e = map_try("over.map", "extends base.map\nlines/line each group @sku\n  qty @qty\n", &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	char *et;
	char *o = apply_text(m, "po,sku,qty\n1,A,1\n1,B,2\n1,A,3\n", &et, NULL, NULL);
	ck_assert_str_eq(o, "po-number=1,lines{line{sku=A,qty=1},line{sku=B,qty=2}}");
	free(o);
	free(et);
	map_free(m);
	free(base);
}
END_TEST

/* The shipped maps/erp-export/ship-notice-csv.map on the ERP's shipment export
 * (tests/data/csv/erpasn.csv): one record per shipment, orders, cartons and items
 * nested although PO-1's rows are not adjacent, every record valid against
 * doc/canonical.rng; a bad quantity deep inside names line, column and map line. */
START_TEST(test_group_shipped_ship_notice)
{
	char *path = tu_srcpath("maps/erp-export/ship-notice-csv.map");
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, path, &d);
	char *dt = tu_diag_text(&d);
	ck_assert_msg(rc == 0, "%s", dt);
	free(dt);
	diag_list_free(&d);
	/* map check: the canonical schema knows every field, and the map sets the required ones */
	diag_list_init(&d);
	rc = map_check(path, g_rng, &d);
	dt = tu_diag_text(&d);
	ck_assert_msg(rc == 0 && d.n == 0, "%s", dt);
	free(dt);
	diag_list_free(&d);
	ck_assert_str_eq(map_source_type(m), "ERPASN");
	ck_assert_str_eq(map_target_kind(m), "ship-notice");
	struct csv_table t;
	load_csv(&t, "erpasn.csv");
	struct map_csv_group *g;
	size_t ng;
	ck_assert_int_eq(map_csv_groups(m, &t, &g, &ng), 0);
	ck_assert_uint_eq(ng, 2);
	ck_assert_str_eq(g[0].key, "ASN-1");
	ck_assert_uint_eq(g[0].nrows, 4);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = NULL;
	char *key = NULL;
	ck_assert_int_eq(map_apply_csv(m, &t, g[0].rows, g[0].nrows, &doc, &errs, &key), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 0, "%s", et);
	free(et);
	ck_assert_str_eq(key, "ASN-1");
	free(key);
	char *o = outline(doc);
	ck_assert_str_eq(o,
		"shipment-id=ASN-1,purpose=original,notice-date=2026-12-01,notice-time=16:30,"
		"structure=pick-and-pack,shipment{carrier{scac=UPSN,mode=M,routing=UPS GROUND},"
		"lading-quantity=3,gross-weight=41.5,weight-unit=LB,bill-of-lading=BOL-1,pro-number=PRO-7,"
		"dates{date=2026-12-01,date=2026-12-03},parties{party{id-qualifier=92,id=0007,"
		"name=Demo Retail DC 7,address{line1=1 Way,city=Columbus,state=OH,postal-code=43215,country=US}}},"
		"orders{"
		"order{po-number=PO-1,po-date=2026-11-22,vendor-order=SO-88,packs{"
		"pack{sscc=00012345600000000017,items{"
		"item{number=1,buyer-item=RTL-100234,vendor-item=WID-9,upc=012345678905,quantity=12,unit=EA,"
		"ordered-quantity=24,description=Blue widget, large},"
		"item{number=3,buyer-item=RTL-100999,vendor-item=NUT-4,quantity=50,unit=EA,ordered-quantity=50,"
		"description=Nut}}},"
		"pack{sscc=00012345600000000024,items{item{number=2,buyer-item=RTL-100777,vendor-item=GAD-2,"
		"quantity=6,unit=CA,ordered-quantity=6,description=Gadget}}}}},"
		"order{po-number=PO-2,po-date=2026-11-23,vendor-order=SO-89,packs{pack{sscc=00012345600000000031,"
		"items{item{number=1,buyer-item=RTL-200001,vendor-item=BOLT-1,quantity=100,unit=EA,"
		"ordered-quantity=100,description=Bolt}}}}}}}");
	free(o);
	valid_record(doc);
	/* the 856 we would send (maps/x12-out/856.map): the hierarchy S, O, P, I follows */
	char *opath = tu_srcpath("maps/x12-out/856.map");
	struct omap *om = NULL;
	diag_list_init(&d);
	ck_assert_int_eq(omap_load(&om, opath, &d), 0);
	diag_list_free(&d);
	struct omap_doc od;
	memset(&od, 0, sizeof od);
	struct buf err, x12;
	buf_init(&err, 0);
	buf_init(&x12, 0);
	ck_assert_msg(omap_render(om, doc, "*>~", &od, &err) == 0, "%s", err.data ? err.data : "");
	omap_write_x12(&od, '*', '>', '~', 1, &x12);
	ck_assert_msg(strstr(x12.data, "HL*1**S*1~\n") && strstr(x12.data, "N1*ST*Demo Retail DC 7*92*0007~\n") &&
		      strstr(x12.data, "HL*2*1*O*1~\nPRF*PO-1***20261122~\nREF*VN*SO-88~\n") &&
		      strstr(x12.data, "HL*3*2*P*1~\nMAN*GM*00012345600000000017~\n"
				       "HL*4*3*I*0~\nLIN*1*VP*WID-9*BP*RTL-100234*UP*012345678905~\nSN1**12*EA**24*EA~\n") &&
		      strstr(x12.data, "HL*5*3*I*0~\nLIN*3*VP*NUT-4*BP*RTL-100999~\nSN1**50*EA**50*EA~\n") &&
		      strstr(x12.data, "HL*6*2*P*1~\nMAN*GM*00012345600000000024~\nHL*7*6*I*0~\nLIN*2*VP*GAD-2*") &&
		      strstr(x12.data, "HL*8*1*O*1~\nPRF*PO-2***20261123~\n") &&
		      strstr(x12.data, "HL*9*8*P*1~\nMAN*GM*00012345600000000031~\nHL*10*9*I*0~\nLIN*1*VP*BOLT-1*") &&
		      strstr(x12.data, "CTT*10~") && !strstr(x12.data, "HL*11"), "%s", x12.data);
	buf_free(&x12);
	buf_free(&err);
	omap_doc_free(&od);
	omap_free(om);
	free(opath);
	xmlFreeDoc(doc);
	ck_assert_int_eq(map_apply_csv(m, &t, g[1].rows, g[1].nrows, &doc, &errs, NULL), 0);
	ck_assert_uint_eq(errs.n, 0);
	o = outline(doc);
	ck_assert_str_eq(o, "shipment-id=ASN-2,purpose=original,notice-date=2026-12-02,structure=pick-and-pack,"
			    "shipment{carrier{scac=FDEG},lading-quantity=1,bill-of-lading=BOL-2,dates{date=2026-12-02},"
			    "orders{order{po-number=PO-3,packs{pack{sscc=00012345600000000048,items{item{number=4,"
			    "vendor-item=NUT-4,quantity=5,unit=CA}}}}}}}");
	free(o);
	valid_record(doc);
	xmlFreeDoc(doc);
	map_csv_groups_free(g, ng);
	csv_table_free(&t);

	/* a bad quantity in PO-1's second carton, an empty SSCC */
	char *src = tu_srcpath("tests/data/csv/erpasn.csv");
	char *text = tu_read(src, NULL);
	char *t1 = tu_replace(text, "GAD-2,,6,CA", "GAD-2,,six,CA");
	char *t2 = tu_replace(t1, "00012345600000000048", "");
	parse_ok(&t, t2, strlen(t2), NULL);
	ck_assert_int_eq(map_csv_groups(m, &t, &g, &ng), 0);
	ck_assert_int_eq(map_apply_csv(m, &t, g[0].rows, g[0].nrows, &doc, &errs, NULL), 0);
	et = errs_text(&errs);
	ck_assert_msg(errs.n == 1 && strstr(et, "[line 5 col 29] shipment/orders/order[1]/packs/pack[2]/items/"
					       "item[1]/quantity: line 5, column 29 (qty) is not a decimal number"),
		      "%s", et);
	ck_assert_msg(strstr(et, "ship-notice-csv.map:"), "%s", et);
	free(et);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	memset(&errs, 0, sizeof errs);
	ck_assert_int_eq(map_apply_csv(m, &t, g[1].rows, g[1].nrows, &doc, &errs, NULL), 0);
	et = errs_text(&errs);
	ck_assert_msg(strstr(et, "[line 4 col 24] shipment/orders/order[1]/packs/pack: line 4, column 24 (sscc) is "
				 "empty, so the row is in no group"), "%s", et);
	ck_assert_msg(strstr(et, "shipment/orders/order[1]/packs/pack: required, but no row of this "
				 "shipment/orders/order has a value in @sscc"), "%s", et);
	free(et);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	map_csv_groups_free(g, ng);
	csv_table_free(&t);
	free(t2);
	free(t1);
	free(text);
	free(src);
	free(path);
	map_free(m);
}
END_TEST

/* Fixed-width maps group the same way: each group D:3-10 gathers D lines by a field, a
 * group's fields read its first D line, each D inside repeats its lines, other record
 * types are read from the top (/H:3-12); findings name line and columns, and reject
 * the line (or the group's lines). */
START_TEST(test_group_fixed)
{
	struct map *m;
	char *e = map_try("fx.map",
			  "source fixed SHIPFIX\ntarget ship-notice\n"
			  "record H at 1 \"H\"\nrecord D at 1 \"D\"\n"
			  "shipment-id H:3-12 required\n"
			  "shipment/orders/order each group D:3-10 required\n"
			  "  po-number D:3-10 required\n"
			  "  vendor-order /H:13+5\n"
			  "  packs/pack each group D:11+5\n"
			  "    sscc D:11-15 required\n"
			  "    items/item each D required\n"
			  "      vendor-item D:16-20 required\n"
			  "      quantity D:21-25 decimal required\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	const char *txt = "H ASN-1     SO-9\n"
			  "D PO-1    C1   A    1\n"
			  "D PO-2    C2   B    2\n"
			  "D PO-1    C3   C    3\n"
			  "D PO-1    C1   D    4q\n"
			  "D         C1   E    5\n";
	struct fixed_file f;
	struct fixed_error fe;
	ck_assert_int_eq(fixed_parse(&f, txt, strlen(txt), NULL, &fe), 0);
	unsigned char bad[6] = { 0 };
	char *why[6] = { NULL };
	struct map_rowflags rf = { bad, why, 0 };
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = NULL;
	ck_assert_int_eq(map_apply_fixed(m, &f, NULL, 0, &doc, &errs, NULL, &rf), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 2, "%s", et);
	ck_assert_msg(strstr(et, "[line 5 col 21] shipment/orders/order[1]/packs/pack[1]/items/item[2]/quantity: "
				 "line 5, columns 21-25 (D:21-25) is not a decimal number"), "%s", et);
	ck_assert_msg(strstr(et, "[line 6 col 3] shipment/orders/order: line 6, columns 3-10 (D:3-10) is empty, so "
				 "the line is in no group (each group D:3-10 needs a value) (map "), "%s", et);
	ck_assert_msg(strstr(et, "fx.map:6)"), "%s", et);
	free(et);
	ck_assert_int_eq(rf.record_bad, 0);
	ck_assert(!bad[0] && !bad[1] && !bad[2] && !bad[3] && bad[4] && bad[5]);
	for (size_t i = 0; i < 6; i++)
		free(why[i]);
	char *o = outline(doc);
	ck_assert_str_eq(o, "shipment-id=ASN-1,shipment{orders{"
			    "order{po-number=PO-1,vendor-order=SO-9,packs{"
			    "pack{sscc=C1,items{item{vendor-item=A,quantity=1},item{vendor-item=D}}},"
			    "pack{sscc=C3,items{item{vendor-item=C,quantity=3}}}}},"
			    "order{po-number=PO-2,vendor-order=SO-9,packs{pack{sscc=C2,items{item{vendor-item=B,"
			    "quantity=2}}}}}}}");
	free(o);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	fixed_file_free(&f);
	map_free(m);
	/* a group reads its own record type; a loop's start is not grouped; a CSV column is
	 * not a fixed-width key */
	e = map_try("fy.map", "source fixed X\ntarget order\nrecord H at 1 \"H\"\nrecord D at 1 \"D\"\n"
		    "g/x each group D:3-10\n  k H:3-10\n", NULL);
	ck_assert_msg(strstr(e, "fy.map:6: an each group block reads the fields of the D records it groups (its "
				"first one), not H (read other record types from the top: /H:3-10)"), "%s", e);
	free(e);
	e = map_try("fy.map", "source fixed X\ntarget order\nrecord H at 1 \"H\"\nrecord D at 1 \"D\"\n"
		    "loop D = D H\ng/x each group D:3-10\n  k D:3-10\n", NULL);
	ck_assert_msg(strstr(e, "fy.map:6: each group D:3-10: D records start a loop"), "%s", e);
	free(e);
	e = map_try("fy.map", "source fixed X\ntarget order\nrecord H at 1 \"H\"\nrecord D at 1 \"D\"\n"
		    "g/x each group @po\n  k D:3-10\n", NULL);
	ck_assert_msg(strstr(e, "fy.map:5: '@po' is a CSV column: a fixed-width map groups by a field"), "%s", e);
	free(e);
	e = map_try("fy.map", "source fixed X\ntarget order\nrecord H at 1 \"H\"\nrecord D at 1 \"D\"\n"
		    "g/x each group D:3-10\n  k D:3-10\n  h/y each H\n    k H:2-3\n", NULL);
	ck_assert_msg(strstr(e, "fy.map:7: each H inside an each group of D records: a group holds only D records"),
		      "%s", e);
	free(e);
}
END_TEST

static Suite *csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rfc4180_header);
	tcase_add_test(tc, test_bom_crlf);
	tcase_add_test(tc, test_quoted);
	tcase_add_test(tc, test_trailing_empty_lines);
	tcase_add_test(tc, test_short_long_rows);
	tcase_add_test(tc, test_latin1);
	tcase_add_test(tc, test_dialects);
	tcase_add_test(tc, test_limit_bytes);
	tcase_add_test(tc, test_limit_field);
	tcase_add_test(tc, test_limit_fields);
	tcase_add_test(tc, test_limit_rows);
	tcase_add_test(tc, test_map_shipconf);
	tcase_add_test(tc, test_map_error_position);
	tcase_add_test(tc, test_map_syntax);
	tcase_add_test(tc, test_map_positions);
	tcase_add_test(tc, test_bad_rows_listed);
	tcase_add_test(tc, test_map_rowflags);
	tcase_add_test(tc, test_xref_csv);
	tcase_add_test(tc, test_xref_errors);
	tcase_add_test(tc, test_xref_limits);
	tcase_add_test(tc, test_group_nesting);
	tcase_add_test(tc, test_group_depth_limit);
	tcase_add_test(tc, test_group_empty_key);
	tcase_add_test(tc, test_group_required_max);
	tcase_add_test(tc, test_group_findings_rowflags);
	tcase_add_test(tc, test_group_syntax);
	tcase_add_test(tc, test_group_shipped_ship_notice);
	tcase_add_test(tc, test_group_fixed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run_suite(csv_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
