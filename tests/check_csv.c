/*
 * check_csv — the CSV reader (src/flat/csv.c) and CSV maps ("source csv NAME",
 * map_apply_csv): every edge case partners send (BOM, CRLF, quoted delimiters and line
 * breaks, empty trailing lines, short and long rows, a Latin-1 file declared as such,
 * other delimiters/quotes/escapes, no header), each limit one below, at and one above,
 * and a 3PL's shipment confirmation (tests/data/csv) mapped to canonical
 * warehouse-shipping-advice records, with findings naming file line, column and map line.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
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

/* "file:line: message" lines of d, the file's directory left out. */
static char *diag_text(const struct diag_list *d)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < d->n; i++) {
		const char *f = d->v[i].file ? strrchr(d->v[i].file, '/') : NULL;
		f = f ? f + 1 : (d->v[i].file ? d->v[i].file : "-");
		buf_printf(&b, "%s:%zu: %s\n", f, d->v[i].line, d->v[i].msg);
	}
	return b.data ? buf_steal(&b) : xstrdup("");
}

/* Load a map fixture of tests/data/csv; the test fails on any diagnostic. */
static struct map *load_map(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "tests/data/csv/%s", name);
	char *path = tu_srcpath(rel);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, path, &d);
	char *txt = diag_text(&d);
	ck_assert_msg(rc == 0, "%s", txt);
	free(txt);
	diag_list_free(&d);
	free(path);
	return m;
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
	char *path = xasprintf("%s/%s", g_tmp, name);
	ck_assert_int_eq(tu_write(path, text, strlen(text)), 0);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	map_load(&m, path, &d);
	char *txt = diag_text(&d);
	diag_list_free(&d);
	free(path);
	if (out)
		*out = m;
	else
		map_free(m);
	return txt ? txt : xstrdup("");
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
