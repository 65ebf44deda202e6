/*
 * check_fixed — the fixed-width reader (src/flat/fixed.c) and fixed-width maps ("source
 * fixed NAME", map_fixed_groups, map_apply_fixed): line ends, BOM, empty lines, character
 * positions in UTF-8 and in a declared 8-bit encoding, each limit one below, at and one
 * above; record types by a literal at a position, fields by FIRST-LAST and FIRST+LENGTH,
 * header/detail/trailer groups with a file header every record reads, loops of records,
 * findings naming the file line, the character positions and the map line, lines of no
 * record type or of the wrong length, and the map language's errors.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "flat/fixed.h"
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

/* Parse s (n bytes) with o; the test fails on an error. */
static void parse_ok(struct fixed_file *f, const char *s, size_t n, const struct fixed_options *o)
{
	struct fixed_error e;
	int rc = fixed_parse(f, s, n, o, &e);
	ck_assert_msg(rc == 0, "fixed_parse: %d line %llu col %zu: %s", rc, (unsigned long long)e.line,
		      e.column, e.msg);
}

/* Parse s expecting rc; returns the error text (allocated). */
static char *parse_err(const char *s, size_t n, const struct fixed_options *o, int want_rc)
{
	struct fixed_file f;
	struct fixed_error e;
	int rc = fixed_parse(&f, s, n, o, &e);
	ck_assert_msg(rc == want_rc, "fixed_parse returned %d, wanted %d", rc, want_rc);
	ck_assert_ptr_null(f.lines);
	ck_assert_uint_eq(f.nlines, 0);
	return fixed_error_text(&e);
}

/* Characters col..col+len-1 of line i equal want. */
static void ck_cut(const struct fixed_file *f, size_t i, size_t col, size_t len, const char *want)
{
	ck_assert_uint_lt(i, f->nlines);
	struct span v = fixed_field(&f->lines[i], col, len);
	ck_assert_msg(span_eq(v, want), "line %zu %zu+%zu: '%.*s', wanted '%s'", i, col, len, (int)v.n, v.p,
		      want);
}

/* ------------------------------------------------------------- reader */

START_TEST(test_line_ends)
{
	struct fixed_file f;
	const char *s = "\xef\xbb\xbfH1\r\nD2\nD3\rT4\n\n\r\n";
	parse_ok(&f, s, strlen(s), NULL);
	ck_assert_uint_eq(f.nlines, 4); /* BOM skipped, empty lines at the end dropped */
	ck_cut(&f, 0, 1, 2, "H1");
	ck_cut(&f, 2, 1, 2, "D3");
	ck_assert_uint_eq(f.lines[3].line, 4);
	ck_assert_int_eq(f.lines[3].text.p[f.lines[3].text.n], '\0');
	fixed_file_free(&f);
	/* an empty line inside the file is kept (the map skips it), and counts */
	s = "A\n\nB";
	parse_ok(&f, s, strlen(s), NULL);
	ck_assert_uint_eq(f.nlines, 3);
	ck_assert_uint_eq(f.lines[1].nchars, 0);
	ck_assert_uint_eq(f.lines[2].line, 3);
	fixed_file_free(&f);
	parse_ok(&f, "", 0, NULL);
	ck_assert_uint_eq(f.nlines, 0);
	fixed_file_free(&f);
}
END_TEST

/* Positions are characters: a UTF-8 é is one; past the end of a line a field is short or
 * empty. */
START_TEST(test_positions)
{
	struct fixed_file f;
	const char *s = "D Caf\xc3\xa9    0012\nD ab";
	parse_ok(&f, s, strlen(s), NULL);
	ck_assert_uint_eq(f.lines[0].nchars, 14);
	ck_cut(&f, 0, 3, 8, "Caf\xc3\xa9    ");
	ck_cut(&f, 0, 6, 1, "\xc3\xa9");
	ck_cut(&f, 0, 11, 4, "0012");
	ck_cut(&f, 0, 11, 10, "0012");
	ck_cut(&f, 1, 3, 5, "ab");
	ck_cut(&f, 1, 5, 5, "");
	ck_cut(&f, 1, 1, 0, "");
	fixed_file_free(&f);
	/* the same line in ISO-8859-1: é is one byte there, the same columns */
	struct fixed_options o = { .encoding = "ISO-8859-1" };
	s = "D Caf\xe9    0012\n";
	parse_ok(&f, s, strlen(s), &o);
	ck_cut(&f, 0, 3, 4, "Caf\xc3\xa9");
	ck_cut(&f, 0, 11, 4, "0012");
	fixed_file_free(&f);
	/* undeclared, that byte is not UTF-8: line and column */
	char *e = parse_err("H ok\nD Caf\xe9 0012\n", 17, NULL, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 6: not UTF-8 (byte 0xe9; declare the file's encoding)");
	free(e);
	e = parse_err("H\nD a\0b\n", 8, NULL, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 4: a NUL byte (byte 0x00)");
	free(e);
	o.encoding = "NO-SUCH-CHARSET";
	e = parse_err("x", 1, &o, -EINVAL);
	ck_assert_msg(strstr(e, "cannot convert from NO-SUCH-CHARSET"), "%s", e);
	free(e);
}
END_TEST

START_TEST(test_limit_bytes)
{
	struct fixed_file f;
	struct fixed_options o = { .max_bytes = 6 };
	parse_ok(&f, "H1\nD2", 5, &o);
	fixed_file_free(&f);
	parse_ok(&f, "H1\nD2\n", 6, &o);
	ck_assert_uint_eq(f.nlines, 2);
	fixed_file_free(&f);
	char *e = parse_err("H1\nD22\n", 7, &o, -EFBIG);
	ck_assert_str_eq(e, "file of 7 bytes is over the limit of 6");
	free(e);
}
END_TEST

/* The line limit counts characters, not bytes. */
START_TEST(test_limit_line)
{
	struct fixed_file f;
	struct fixed_options o = { .max_line = 4 };
	parse_ok(&f, "abc\n\xc3\xa9\xc3\xa9\xc3\xa9\n", 11, &o);
	fixed_file_free(&f);
	parse_ok(&f, "abcd\n\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n", 14, &o);
	ck_assert_uint_eq(f.lines[1].nchars, 4);
	fixed_file_free(&f);
	char *e = parse_err("abcd\nabcde\n", 11, &o, -EINVAL);
	ck_assert_str_eq(e, "line 2, column 5: line longer than 4 characters");
	free(e);
}
END_TEST

START_TEST(test_limit_lines)
{
	struct fixed_file f;
	struct fixed_options o = { .max_lines = 3 };
	parse_ok(&f, "a\nb\n", 4, &o);
	fixed_file_free(&f);
	parse_ok(&f, "a\nb\nc\n\n\n", 8, &o); /* empty lines at the end do not count */
	ck_assert_uint_eq(f.nlines, 3);
	fixed_file_free(&f);
	char *e = parse_err("a\nb\nc\nd\n", 8, &o, -EFBIG);
	ck_assert_str_eq(e, "line 4: more than 3 lines");
	free(e);
}
END_TEST

/* ---------------------------------------------------------------- maps */

/* Write text as map file name in the tmp dir and load it; returns the diagnostics. */
static char *map_try(const char *name, const char *text, struct map **out)
{
	return tu_map_try(g_tmp, name, text, out);
}

/* Load a map fixture of tests/data/fixed; the test fails on any diagnostic. */
static struct map *load_map(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "tests/data/fixed/%s", name);
	return tu_map_fixture(rel);
}

/* Read a fixture of tests/data/fixed. */
static void load_file(struct fixed_file *f, const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "tests/data/fixed/%s", name);
	char *path = tu_srcpath(rel);
	size_t n;
	char *data = tu_read(path, &n);
	ck_assert_ptr_nonnull(data);
	parse_ok(f, data, n, NULL);
	free(data);
	free(path);
}

/* The value at path equals want (NULL: absent). */
static void ck_get(xmlDocPtr doc, const char *path, const char *want)
{
	char *v = canon_get(xmlDocGetRootElement(doc), path);
	if (!want) {
		ck_assert_msg(v == NULL, "%s: '%s', wanted nothing", path, v);
		return;
	}
	ck_assert_msg(v && strcmp(v, want) == 0, "%s: '%s', wanted '%s'", path, v ? v : "(none)", want);
	free(v);
}

/* Field name of the n-th (1-based) element of list (lines/line: "lines") equals want. */
static void ck_item(xmlNodePtr parent, const char *list, int n, const char *name, const char *want)
{
	xmlNodePtr l = NULL, it = NULL;
	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *)list))
			l = c;
	int k = 0;
	for (xmlNodePtr c = l ? l->children : NULL; c && !it; c = c->next)
		if (c->type == XML_ELEMENT_NODE && ++k == n)
			it = c;
	char *v = it ? canon_get(it, name) : NULL;
	if (!want) {
		ck_assert_msg(v == NULL, "%s %d %s: '%s', wanted nothing", list, n, name, v);
		return;
	}
	ck_assert_msg(v && strcmp(v, want) == 0, "%s %d %s: '%s', wanted '%s'", list, n, name, v ? v : "(none)",
		      want);
	free(v);
}

/* One "[line L col C] message" line per finding. */
static char *errs_text(const struct x12_errlist *e)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < e->n; i++)
		buf_printf(&b, "[line %llu col %d] %s\n", (unsigned long long)e->v[i].line, e->v[i].elem_pos,
			   e->v[i].msg);
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

/* The 3PL's file: two orders (H D.. T) between a file header and trailer, one record
 * per H, each reading the file header too. */
START_TEST(test_map_shipfix)
{
	struct map *m = load_map("shipfix.map");
	ck_assert_str_eq(map_source_standard(m), "fixed");
	ck_assert_str_eq(map_source_type(m), "SHIPFIX");
	struct fixed_file f;
	load_file(&f, "shipfix.txt");
	struct map_fixed_group *g;
	size_t ng;
	struct map_badline *bad;
	size_t nbad;
	ck_assert_int_eq(map_fixed_groups(m, &f, &g, &ng, &bad, &nbad), 0);
	ck_assert_uint_eq(nbad, 0);
	ck_assert_uint_eq(ng, 2);
	ck_assert_uint_eq(g[0].line, 2);
	ck_assert_uint_eq(g[0].nlines, 5); /* FH, H, D, D, T */
	ck_assert_uint_eq(g[0].lines[0], 0);
	ck_assert_uint_eq(g[1].line, 6);
	ck_assert_uint_eq(g[1].nlines, 5); /* FH, H, D, T, FT */
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc;
	char *key = NULL;
	ck_assert_int_eq(map_apply_fixed(m, &f, g[0].lines, g[0].nlines, &doc, &errs, &key, NULL), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 0, "%s", et);
	free(et);
	ck_assert_str_eq(key, "SO-1001");
	ck_get(doc, "source/standard", "fixed");
	ck_get(doc, "source/document-type", "SHIPFIX");
	ck_get(doc, "order-number", "SO-1001");
	ck_get(doc, "status", "final");
	ck_get(doc, "ship-date", "2026-11-20");
	ck_get(doc, "shipment-id", "SH-77");
	ck_get(doc, "bill-of-lading", "BOL-9");
	ck_get(doc, "carrier/scac", "UPSN");
	ck_get(doc, "references/reference[@type=sender]", "ACME3PL");
	ck_get(doc, "totals/line-count", "2");
	xmlNodePtr root = xmlDocGetRootElement(doc);
	ck_item(root, "lines", 1, "vendor-item", "A-100");
	ck_item(root, "lines", 1, "quantity", "12");
	ck_item(root, "lines", 1, "description", "Widget, large");
	ck_item(root, "lines", 2, "quantity", "3.5");
	ck_item(root, "lines", 2, "number", "2");
	ck_item(root, "lines", 2, "description", "Gadget \"Pro\"");
	ck_item(root, "lines", 3, "vendor-item", NULL);
	valid_record(doc);
	xmlFreeDoc(doc);
	free(key);
	ck_assert_int_eq(map_apply_fixed(m, &f, g[1].lines, g[1].nlines, &doc, &errs, &key, NULL), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_get(doc, "order-number", "SO-1002");
	ck_get(doc, "status", "partial");
	ck_get(doc, "bill-of-lading", NULL); /* blanks only: trimmed away */
	ck_get(doc, "references/reference[@type=sender]", "ACME3PL");
	root = xmlDocGetRootElement(doc);
	ck_item(root, "lines", 1, "quantity", "100");
	ck_item(root, "lines", 1, "unit", "BX");
	valid_record(doc);
	xmlFreeDoc(doc);
	free(key);
	map_fixed_groups_free(g, ng);
	fixed_file_free(&f);
	map_free(m);
}
END_TEST

/* Findings name line, columns, the field as written and the map line; a line of no
 * record type and one of the wrong length are bad lines; rowflags mark the line. */
START_TEST(test_map_findings)
{
	struct map *m = load_map("shipfix.map");
	const char *s = "FH ACME3PL   20261120\n"
			"H SO-1001   20261131UPSN SH-77     BOL-9     F\n"
			"D A-100       0000x2000EAL1   Widget\n"
			"D             000003500EAL2   Gadget\n"
			"X what is this\n"
			"D A-300       000001000EAL3   This description runs well past column sixty\n"
			"T 00003\n";
	struct fixed_file f;
	parse_ok(&f, s, strlen(s), NULL);
	struct map_fixed_group *g;
	size_t ng;
	struct map_badline *bad;
	size_t nbad;
	ck_assert_int_eq(map_fixed_groups(m, &f, &g, &ng, &bad, &nbad), 0);
	ck_assert_uint_eq(ng, 1);
	ck_assert_uint_eq(nbad, 2);
	ck_assert_uint_eq(bad[0].line, 5);
	ck_assert_uint_eq(bad[0].column, 1);
	ck_assert_msg(strstr(bad[0].text, "line 5, column 1: no record type matches the line ('X what is this"
					  "') (map ") && strstr(bad[0].text, "shipfix.map:16 declares FH at 1 \"FH\", "
									 "FT at 1 \"FT\", H at 1 \"H\""),
		      "%s", bad[0].text);
	ck_assert_uint_eq(bad[1].line, 6);
	ck_assert_uint_eq(bad[1].column, 61);
	ck_assert_msg(strstr(bad[1].text, "line 6, column 61: a D record of 74 characters, longer than its "
					  "length 30 to 60 (map ") && strstr(bad[1].text, "shipfix.map:19)"),
		      "%s", bad[1].text);
	ck_assert_uint_eq(g[0].nlines, 5); /* FH H D D T */
	/* lines but no H at all: one bad line says so instead of mapping nothing */
	struct fixed_file f2;
	parse_ok(&f2, "FH ACME3PL   20261120\nD A-1         000001000EAL1   W\n", 54, NULL);
	struct map_fixed_group *g2;
	size_t ng2, nbad2;
	struct map_badline *bad2;
	ck_assert_int_eq(map_fixed_groups(m, &f2, &g2, &ng2, &bad2, &nbad2), 0);
	ck_assert_uint_eq(ng2, 0);
	ck_assert_uint_eq(nbad2, 1);
	ck_assert_msg(strstr(bad2[0].text, "line 1: no H record in the file (group-by H, map ") &&
			      strstr(bad2[0].text, "shipfix.map:14): its 2 lines make no record"),
		      "%s", bad2[0].text);
	map_badlines_free(bad2, nbad2);
	map_fixed_groups_free(g2, ng2);
	fixed_file_free(&f2);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc;
	unsigned char rb[5] = { 0 };
	char *why[5] = { NULL };
	struct map_rowflags rf = { rb, why, 0 };
	ck_assert_int_eq(map_apply_fixed(m, &f, g[0].lines, g[0].nlines, &doc, &errs, NULL, &rf), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 4, "%s", et);
	ck_assert_msg(strstr(et, "[line 2 col 13] ship-date: line 2, columns 13-20 (H:13+8) is not a valid date "
				 "(CCYYMMDD) (map "), "%s", et);
	ck_assert_msg(strstr(et, "[line 3 col 15] lines/line[1]/quantity: line 3, columns 15-23 (D:15+9) is not a "
				 "whole number"), "%s", et);
	ck_assert_msg(strstr(et, "[line 4 col 3] lines/line[2]/vendor-item: line 4, columns 3-14 (D:3-14) is "
				 "required but empty or missing (map "), "%s", et);
	ck_assert_msg(strstr(et, "totals/line-count: the document says 3 but the record has 2 lines/line"), "%s",
		      et);
	free(et);
	ck_assert_str_eq(errs.v[1].seg_id, "D");
	ck_assert_str_eq(errs.v[1].bad_value, "0000x2000");
	ck_assert_int_eq(rf.record_bad, 1); /* the ship date and the count */
	ck_assert_int_eq(rb[0] | rb[1] | rb[4], 0);
	ck_assert_int_eq(rb[2], 1);
	ck_assert_int_eq(rb[3], 1);
	ck_assert_msg(why[2] && strstr(why[2], "line 3, columns 15-23 (D:15+9)") && strstr(why[2], "(value "
											  "'0000x2000')"),
		      "%s", why[2]);
	free(why[2]);
	free(why[3]);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	map_badlines_free(bad, nbad);
	map_fixed_groups_free(g, ng);
	fixed_file_free(&f);
	map_free(m);
}
END_TEST

/* Without group-by the file is one record; a catch-all record type; loops of records
 * (an order line D with its serial numbers S): a bad serial marks its D loop's lines. */
START_TEST(test_map_loops)
{
	struct map *m;
	char *e = map_try("l.map",
			  "source fixed INV\ntarget warehouse-shipping-advice\n"
			  "record H at 1 \"H\"\nrecord S at 1 \"S\"\nrecord D\n"
			  "loop D = D S\n"
			  "order-number H:2+6 required\nstatus \"final\"\nship-date \"2026-01-01\"\n"
			  "lines/line each D[D:1+1=L|M]\n  vendor-item D:2-5 required\n"
			  "  quantity D:6+3 number required\n"
			  "  lot S:2+4 required\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	const char *s = "HORD-01\nL001 005\nSLT01\nSLT02\nX002 007\nM003 009\nS\n";
	struct fixed_file f;
	parse_ok(&f, s, strlen(s), NULL);
	struct map_fixed_group *g;
	size_t ng, nbad;
	struct map_badline *bad;
	ck_assert_int_eq(map_fixed_groups(m, &f, &g, &ng, &bad, &nbad), 0);
	ck_assert_uint_eq(ng, 1);
	ck_assert_uint_eq(nbad, 0); /* X... is a D record too (the catch-all) */
	ck_assert_uint_eq(g[0].nlines, 7);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc;
	unsigned char rb[7] = { 0 };
	char *why[7] = { NULL };
	struct map_rowflags rf = { rb, why, 0 };
	ck_assert_int_eq(map_apply_fixed(m, &f, NULL, 0, &doc, &errs, NULL, &rf), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 1, "%s", et);
	ck_assert_msg(strstr(et, "[line 7 col 2] lines/line[2]/lot: line 7, columns 2-5 (S:2+4) is required"), "%s",
		      et);
	free(et);
	ck_assert_int_eq(rf.record_bad, 0);
	/* the M loop (lines 6 and 7) is bad, the L loop and the X line are not */
	ck_assert_int_eq(rb[0] | rb[1] | rb[2] | rb[3] | rb[4], 0);
	ck_assert_int_eq(rb[5] & rb[6], 1);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	ck_item(root, "lines", 1, "vendor-item", "001");
	ck_item(root, "lines", 1, "lot", "LT01"); /* the first S of the loop */
	ck_item(root, "lines", 2, "vendor-item", "003");
	ck_item(root, "lines", 3, "vendor-item", NULL);
	free(why[5]);
	free(why[6]);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	map_fixed_groups_free(g, ng);
	fixed_file_free(&f);
	map_free(m);
}
END_TEST

START_TEST(test_map_syntax)
{
	char *e = map_try("a.map", "source x12 850\ntarget order\npo-number H:2+6\n", NULL);
	ck_assert_msg(strstr(e, "a.map:3: 'H:2+6' is a fixed-width field: only in a 'source fixed NAME' map"),
		      "%s", e);
	free(e);
	e = map_try("b.map", "source fixed PO\ntarget order\nrecord H at 1 \"H\"\npo-number BEG03\n"
			     "x @po\ny pair H:1+1 X\n", NULL);
	ck_assert_msg(strstr(e, "b.map:4: 'BEG03': a fixed-width map reads record fields (D:12-19, D:12+8), "
				"not segments"), "%s", e);
	ck_assert_msg(strstr(e, "b.map:5: '@po' is a CSV column"), "%s", e);
	ck_assert_msg(strstr(e, "b.map:6: pair is for X12 and EDIFACT maps"), "%s", e);
	free(e);
	e = map_try("c.map", "source fixed PO\ntarget order\nrecord H at 1 \"H\"\n"
			     "a D:1+1\nb H:0+1\nc H:5-4\nd H:1+0\ne H:65536+2\nf H:65536-65536\ng h:1+1\n"
			     "lines/line each D\n  x H:1+1\n", NULL);
	ck_assert_msg(strstr(e, "c.map:4: unknown record type D in 'D' (declare 'record D at COLUMN \"TEXT\"')"),
		      "%s", e);
	ck_assert_msg(strstr(e, "c.map:5: bad path 'H:0+1': a fixed-width field is RECORD:FIRST-LAST"), "%s", e);
	ck_assert_msg(strstr(e, "c.map:6: bad path 'H:5-4': the last column of a fixed-width field comes before"),
		      "%s", e);
	ck_assert_msg(strstr(e, "c.map:7: bad path 'H:1+0'"), "%s", e);
	ck_assert_msg(strstr(e, "c.map:8: bad path 'H:65536+2'"), "%s", e);
	ck_assert_msg(!strstr(e, "c.map:9:"), "%s", e); /* the last column is 65536 */
	ck_assert_msg(strstr(e, "c.map:10: bad path 'h:1+1': a record type is 1 to 3 capital letters"), "%s", e);
	ck_assert_msg(strstr(e, "c.map:11: unknown record type D in 'D'"), "%s", e);
	free(e);
	e = map_try("d.map", "source fixed PO\ntarget order\nrecord H at 1 \"H\"\nrecord H at 2 \"X\"\n"
			     "record D\nrecord E\nrecord F at 0 \"F\"\nrecord G at 1 G\nrecord I at 1 \"\"\n"
			     "record J at 1 \"J\" length 0\nrecord K at 5 \"KK\" length 5\nrecord LONG at 1 \"L\"\n"
			     "group-by Q\npo-number H:2+5\n", NULL);
	ck_assert_msg(strstr(e, "d.map:4: record H is declared twice (first at line 3)"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:6: record E: only one record type may match every other line"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:7: write 'record NAME at COLUMN"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:8: write 'record NAME at COLUMN"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:9: write 'record NAME at COLUMN"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:10: 'length' takes N or MIN-MAX characters"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:11: record K: its text ends after column 5"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:12: bad record type 'LONG'"), "%s", e);
	free(e);
	e = map_try("e.map", "source fixed PO\ntarget order\nrecord H at 1 \"H\"\ngroup-by Q\npo-number H:2+5\n", NULL);
	ck_assert_msg(strstr(e, "e.map:4: bad group-by 'Q': name a record type"), "%s", e);
	free(e);
	e = map_try("f.map", "source fixed PO\ntarget order\npo-number H:2+5\n", NULL);
	ck_assert_msg(strstr(e, "f.map:1: a fixed-width map declares its record types"), "%s", e);
	free(e);
	e = map_try("g.map", "source x12 850\ntarget order\nrecord H at 1 \"H\"\npo-number BEG03\nloop N = N X\n"
			     "x N/N101\n", NULL);
	ck_assert_msg(strstr(e, "g.map:3: record lines are for fixed-width maps"), "%s", e);
	free(e);
	e = map_try("h.map", "source x12 850\ntarget order\nloop N = N X1\npo-number B/BEG03\n", NULL);
	ck_assert_msg(strstr(e, "h.map:3: loop N must start with a segment id, not 'N'"), "%s", e);
	free(e);
	e = map_try("i.map", "source x12 850\ntarget order\npo-number B/BEG03\n", NULL);
	ck_assert_msg(strstr(e, "i.map:3: 'B': a segment id is 2 or 3 capital letters"), "%s", e);
	free(e);
	e = map_try("j.map", "source fixed PO\ntarget order\nrecord H at 1 \"H\"\nloop H = H Z\n"
			     "loop Q = Q\npo-number H:2+5\nx H[H:1+1]/H:2+1\n", NULL);
	ck_assert_msg(strstr(e, "j.map:4: unknown loop or record type 'Z' in loop H"), "%s", e);
	ck_assert_msg(strstr(e, "j.map:5: loop Q starts with Q, which is no record type"), "%s", e);
	free(e);
	e = map_try("k.map", "source fixed PO\ntarget order\nrecord HD at 1 \"H\"\npo-number HD[HD01=X]/HD:2+5\n",
		    NULL);
	ck_assert_msg(strstr(e, "k.map:4: 'HD[HD01=X]': a condition in a fixed-width map tests a field"), "%s", e);
	free(e);
	/* the largest field: column 65536, one character */
	struct map *m;
	e = map_try("z.map", "source fixed PO\ntarget order\nrecord H at 1 \"H\" length 1-65536\n"
			     "po-number H:65536+1\nx H:1-65536\n", &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	map_free(m);
}
END_TEST

/* An overlay replaces a record declaration and a field; map_apply_fixed refuses other maps
 * and bad line indexes. */
START_TEST(test_map_overlay_and_args)
{
	char *base = tu_srcpath("tests/data/fixed/shipfix.map");
	char *text = xasprintf("extends %s\nrecord H at 1 \"O\" length 46\nbill-of-lading -\n", base);
	struct map *m;
	char *e = map_try("o.map", text, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	free(text);
	free(base);
	const char *s = "O SO-7      20261120UPSN SH-77     BOL-9     F\nD A-1         000001000EAL1   W\n";
	struct fixed_file f;
	parse_ok(&f, s, strlen(s), NULL);
	struct map_fixed_group *g;
	size_t ng;
	ck_assert_int_eq(map_fixed_groups(m, &f, &g, &ng, NULL, NULL), 0);
	ck_assert_uint_eq(ng, 1);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc;
	ck_assert_int_eq(map_apply_fixed(m, &f, g[0].lines, g[0].nlines, &doc, &errs, NULL, NULL), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_get(doc, "order-number", "SO-7");
	ck_get(doc, "bill-of-lading", NULL);
	xmlFreeDoc(doc);
	size_t badidx = 5;
	ck_assert_int_eq(map_apply_fixed(m, &f, &badidx, 1, &doc, &errs, NULL, NULL), -EINVAL);
	map_fixed_groups_free(g, ng);
	map_free(m);
	e = map_try("x.map", "source x12 850\ntarget order\npo-number BEG03\n", &m);
	free(e);
	ck_assert_int_eq(map_apply_fixed(m, &f, NULL, 0, &doc, &errs, NULL, NULL), -EINVAL);
	ck_assert_int_eq(map_fixed_groups(m, &f, &g, &ng, NULL, NULL), -EINVAL);
	map_free(m);
	fixed_file_free(&f);
}
END_TEST

/* xref works on fixed-width fields: the finding names the line and the columns. */
START_TEST(test_xref_fixed)
{
	char *x = xasprintf("%s/skus.csv", g_tmp);
	ck_assert_int_eq(tu_write(x, "theirs,ours\nA1,SKU-1\n", 21), 0);
	free(x);
	struct map *m;
	char *e = map_try("x.map",
			  "source fixed INV\ntarget warehouse-shipping-advice\nrecord D\nxref sku skus.csv theirs ours\n"
			  "lines/line each D\n  vendor-item D:1+4 xref sku\n  quantity \"1\"\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	struct fixed_file f;
	parse_ok(&f, "A1\nB2  x\n", 9, NULL);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc;
	ck_assert_int_eq(map_apply_fixed(m, &f, NULL, 0, &doc, &errs, NULL, NULL), 0);
	ck_item(xmlDocGetRootElement(doc), "lines", 1, "vendor-item", "SKU-1");
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 1 && strstr(et, "[line 2 col 1] lines/line[2]/vendor-item: line 2, columns 1-4 (D:1+4) "
						 "holds a value cross-reference sku has no entry for"),
		      "%s", et);
	free(et);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	fixed_file_free(&f);
	map_free(m);
}
END_TEST

static Suite *fixed_suite(void)
{
	Suite *s = suite_create("fixed");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_ends);
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_limit_bytes);
	tcase_add_test(tc, test_limit_line);
	tcase_add_test(tc, test_limit_lines);
	tcase_add_test(tc, test_map_shipfix);
	tcase_add_test(tc, test_map_findings);
	tcase_add_test(tc, test_map_loops);
	tcase_add_test(tc, test_map_syntax);
	tcase_add_test(tc, test_map_overlay_and_args);
	tcase_add_test(tc, test_xref_fixed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run_suite(fixed_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
