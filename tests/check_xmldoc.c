/*
 * check_xmldoc — the XML document reader (src/flat/xmldoc.c) and XML maps ("source xml
 * NAME", map_xml_groups, map_apply_xml): external entities, parameter entities, entity
 * expansion and external DTDs are refused or never read (the content of a file an entity
 * names never appears), well-formedness errors with line and column, each limit one
 * below, at and one above, encodings; XPath fields relative to the current node with
 * namespaces, alternatives, unions, each over node sets, group-by, findings naming the
 * document's line and the node's path and the map line, and the map language's errors.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "flat/xmldoc.h"
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

/* Parse s with o; the test fails on an error. */
static xmlDocPtr parse_ok(const char *s, size_t n, const struct xmldoc_options *o)
{
	xmlDocPtr d = NULL;
	struct xmldoc_error e;
	int rc = xmldoc_parse(&d, s, n, o, &e);
	ck_assert_msg(rc == 0 && d, "xmldoc_parse: %d line %llu: %s", rc, (unsigned long long)e.line, e.msg);
	return d;
}

/* Parse s expecting rc; returns the error text (allocated). */
static char *parse_err(const char *s, size_t n, const struct xmldoc_options *o, int want_rc)
{
	xmlDocPtr d = (xmlDocPtr)1;
	struct xmldoc_error e;
	int rc = xmldoc_parse(&d, s, n, o, &e);
	ck_assert_msg(rc == want_rc, "xmldoc_parse returned %d, wanted %d", rc, want_rc);
	ck_assert_ptr_null(d);
	return xmldoc_error_text(&e);
}

/* The document's text (every text node), for "the file's content never appears". */
static char *doc_text(xmlDocPtr d)
{
	xmlChar *c = xmlNodeGetContent((xmlNodePtr)d);
	char *r = xstrdup(c ? (const char *)c : "");
	xmlFree(c);
	return r;
}

/* ------------------------------------------------------------- reader */

START_TEST(test_sniff)
{
	ck_assert_int_eq(xmldoc_sniff("<a/>", 4), 1);
	ck_assert_int_eq(xmldoc_sniff("\xef\xbb\xbf \r\n\t<a/>", 9), 1);
	ck_assert_int_eq(xmldoc_sniff("  x<a/>", 7), 0);
	ck_assert_int_eq(xmldoc_sniff("ISA*00*", 7), 0);
	ck_assert_int_eq(xmldoc_sniff("   ", 3), 0);
	ck_assert_int_eq(xmldoc_sniff("", 0), 0);
}
END_TEST

/* An XXE attempt with a file a test wrote (and /etc/passwd): never read, refused. */
START_TEST(test_xxe_refused)
{
	char *secret = xasprintf("%s/secret.txt", g_tmp);
	ck_assert_int_eq(tu_write(secret, "TOP-SECRET-42\n", 14), 0);
	/* an external general entity in the internal subset */
	char *s = xasprintf("<?xml version=\"1.0\"?>\n<!DOCTYPE a [\n<!ENTITY x SYSTEM \"file://%s\">\n]>\n"
			    "<a>&x;</a>\n", secret);
	char *e = parse_err(s, strlen(s), NULL, -EINVAL);
	ck_assert_str_eq(e, "line 3: the document declares the entity 'x' (external): entity declarations are "
			    "not accepted (nothing outside the document is read)");
	ck_assert_ptr_null(strstr(e, "TOP-SECRET"));
	free(e);
	free(s);
	s = xstrdup("<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>");
	e = parse_err(s, strlen(s), NULL, -EINVAL);
	ck_assert_msg(strstr(e, "declares the entity 'x'") && !strstr(e, "root:"), "%s", e);
	free(e);
	free(s);
	/* a parameter entity that would pull in a file */
	s = xasprintf("<!DOCTYPE a [<!ENTITY %% p SYSTEM \"file://%s\"> %%p;]><a/>", secret);
	e = parse_err(s, strlen(s), NULL, -EINVAL);
	ck_assert_msg(strstr(e, "declares the parameter entity 'p' (external)"), "%s", e);
	free(e);
	free(s);
	/* an entity expansion bomb: refused at the first declaration */
	s = xstrdup("<!DOCTYPE a [<!ENTITY a0 \"xx\"><!ENTITY a1 \"&a0;&a0;&a0;&a0;\">]><a>&a1;</a>");
	e = parse_err(s, strlen(s), NULL, -EINVAL);
	ck_assert_str_eq(e, "line 1: the document declares the entity 'a0': entity declarations are not accepted "
			    "(nothing outside the document is read)");
	free(e);
	free(s);
	/* an external DTD declaring the entity: not loaded, the reference refused */
	char *dtd = xasprintf("%s/evil.dtd", g_tmp);
	char *dtdtext = xasprintf("<!ENTITY x SYSTEM \"file://%s\">\n<!ATTLIST a from-dtd CDATA \"yes\">\n", secret);
	ck_assert_int_eq(tu_write(dtd, dtdtext, strlen(dtdtext)), 0);
	s = xasprintf("<?xml version=\"1.0\"?>\n<!DOCTYPE a SYSTEM \"%s\">\n<a>\n&x;</a>\n", dtd);
	e = parse_err(s, strlen(s), NULL, -EINVAL);
	ck_assert_str_eq(e, "line 4: a reference to the entity 'x', which the document does not declare: entities "
			    "are not accepted");
	free(e);
	free(s);
	/* the same DTD named without a reference: accepted, the DTD is not read */
	s = xasprintf("<!DOCTYPE a SYSTEM \"%s\"><a>ok</a>", dtd);
	xmlDocPtr d = parse_ok(s, strlen(s), NULL);
	ck_assert_ptr_null(xmlGetProp(xmlDocGetRootElement(d), (const xmlChar *)"from-dtd"));
	char *t = doc_text(d);
	ck_assert_str_eq(t, "ok");
	free(t);
	xmlFreeDoc(d);
	free(s);
	/* XInclude is not processed */
	s = xasprintf("<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"file://%s\" "
		      "parse=\"text\"/></a>", secret);
	d = parse_ok(s, strlen(s), NULL);
	t = doc_text(d);
	ck_assert_ptr_null(strstr(t, "TOP-SECRET"));
	free(t);
	xmlFreeDoc(d);
	free(s);
	free(dtdtext);
	free(dtd);
	free(secret);
}
END_TEST

START_TEST(test_well_formed)
{
	char *e = parse_err("<a>\n<b>1</b>\n<c>2</a>\n", 21, NULL, -EINVAL);
	ck_assert_str_eq(e, "line 3, column 9: Opening and ending tag mismatch: c line 3 and a");
	free(e);
	e = parse_err("<a xmlns:x=\"urn:x\"><y:b/></a>", 29, NULL, -EINVAL);
	ck_assert_msg(strstr(e, "Namespace prefix y on b is not defined"), "%s", e);
	free(e);
	e = parse_err("", 0, NULL, -EINVAL);
	ck_assert_str_eq(e, "empty document");
	free(e);
	e = parse_err("<a>\xff</a>", 8, NULL, -EINVAL);
	ck_assert_msg(strstr(e, "line 1"), "%s", e);
	free(e);
	/* a declared 8-bit encoding is converted; predefined and character references are fine */
	const char *s = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Caf\xe9 &amp; &#65;</a>";
	xmlDocPtr d = parse_ok(s, strlen(s), NULL);
	char *t = doc_text(d);
	ck_assert_str_eq(t, "Caf\xc3\xa9 & A");
	free(t);
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_limit_bytes)
{
	struct xmldoc_options o = { .max_bytes = 8 };
	xmlFreeDoc(parse_ok("<a>1</a>", 8, &o));
	xmlFreeDoc(parse_ok("<a>1</a>", 7 + 1, &o));
	xmlFreeDoc(parse_ok("<a/>", 4, &o));
	char *e = parse_err("<a>12</a>", 9, &o, -EFBIG);
	ck_assert_str_eq(e, "document of 9 bytes is over the limit of 8");
	free(e);
}
END_TEST

START_TEST(test_limit_depth)
{
	struct xmldoc_options o = { .max_depth = 3 };
	xmlFreeDoc(parse_ok("<a><b/></a>", 11, &o));
	xmlFreeDoc(parse_ok("<a><b><c/></b></a>", 18, &o));
	char *e = parse_err("<a>\n<b>\n<c>\n<d/></c></b></a>", 28, &o, -EINVAL);
	ck_assert_str_eq(e, "line 4: elements nested more than 3 deep");
	free(e);
}
END_TEST

START_TEST(test_limit_elements)
{
	struct xmldoc_options o = { .max_elements = 3 };
	xmlFreeDoc(parse_ok("<a><b/></a>", 11, &o));
	xmlFreeDoc(parse_ok("<a><b/><c/></a>", 15, &o));
	char *e = parse_err("<a><b/><c/>\n<d/></a>", 20, &o, -EINVAL);
	ck_assert_str_eq(e, "line 2: more than 3 elements");
	free(e);
}
END_TEST

/* ---------------------------------------------------------------- maps */

/* Write text as map file name in the tmp dir and load it; returns the diagnostics. */
static char *map_try(const char *name, const char *text, struct map **out)
{
	return tu_map_try(g_tmp, name, text, out);
}

/* Load a map fixture of tests/data/xml; the test fails on any diagnostic. */
static struct map *load_map(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "tests/data/xml/%s", name);
	return tu_map_fixture(rel);
}

/* Parse a fixture document. */
static xmlDocPtr load_doc(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "tests/data/xml/%s", name);
	char *path = tu_srcpath(rel);
	size_t n;
	char *data = tu_read(path, &n);
	ck_assert_ptr_nonnull(data);
	xmlDocPtr d = parse_ok(data, n, NULL);
	free(data);
	free(path);
	return d;
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

/* Field name of the n-th (1-based) lines/line equals want. */
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
	ck_assert_msg(v && strcmp(v, want) == 0, "line %d %s: '%s', wanted '%s'", n, name, v ? v : "(none)", want);
	free(v);
}

/* One "[line L] message" line per finding. */
static char *errs_text(const struct x12_errlist *e)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < e->n; i++)
		buf_printf(&b, "[line %llu] %s\n", (unsigned long long)e->v[i].line, e->v[i].msg);
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

/* Two ShipConfirms in one document: one record each, fields relative to each, the
 * alternatives, attributes, the check. */
START_TEST(test_map_shipconfirm)
{
	struct map *m = load_map("shipconfirm.map");
	ck_assert_str_eq(map_source_standard(m), "xml");
	xmlDocPtr d = load_doc("shipconfirm.xml");
	xmlNodePtr *nodes;
	size_t n;
	char *why = NULL;
	ck_assert_int_eq(map_xml_groups(m, d, &nodes, &n, &why), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(xmlGetLineNo(nodes[1]), 25);
	struct x12_errlist errs = { 0 };
	xmlDocPtr rec;
	char *key = NULL;
	ck_assert_int_eq(map_apply_xml(m, d, nodes[0], &rec, &errs, &key), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 0, "%s", et);
	free(et);
	ck_assert_str_eq(key, "SO-1001");
	ck_get(rec, "source/standard", "xml");
	ck_get(rec, "source/document-type", "SHIPXML");
	ck_get(rec, "status", "final");
	ck_get(rec, "ship-date", "2026-11-20");
	ck_get(rec, "bill-of-lading", "BOL-9");
	ck_get(rec, "carrier/scac", "UPSN");
	ck_get(rec, "references/reference[@type=document]", NULL);
	ck_get(rec, "totals/line-count", "2");
	ck_line(rec, 1, "number", "1");
	ck_line(rec, 1, "quantity", "12");
	ck_line(rec, 1, "unit", "EA");
	ck_line(rec, 2, "description", "Gadget \"Pro\" & more");
	ck_line(rec, 2, "quantity", "3.5");
	ck_line(rec, 2, "unit", "EA");
	ck_line(rec, 3, "vendor-item", NULL);
	valid_record(rec);
	xmlFreeDoc(rec);
	free(key);
	ck_assert_int_eq(map_apply_xml(m, d, nodes[1], &rec, &errs, &key), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_get(rec, "order-number", "SO-1002");
	ck_get(rec, "status", "partial");
	ck_get(rec, "bill-of-lading", "BOL-10"); /* the second alternative */
	ck_get(rec, "carrier/scac", NULL);
	ck_line(rec, 1, "number", "1"); /* default $index */
	ck_line(rec, 1, "unit", "BX");
	valid_record(rec);
	xmlFreeDoc(rec);
	free(key);
	free(nodes);
	xmlFreeDoc(d);
	map_free(m);
}
END_TEST

/* Findings name the line and path of the node and the map line; a required node that is
 * not there names where it was looked for. */
START_TEST(test_map_findings)
{
	struct map *m = load_map("shipconfirm.map");
	const char *s = "<sc:ShipConfirms xmlns:sc=\"urn:acme:shipconfirm\">\n"
			"<sc:ShipConfirm status=\"F\">\n"
			"<sc:ShipDate>20261131</sc:ShipDate>\n"
			"<sc:Lines>\n"
			"<sc:Line><sc:Sku>A</sc:Sku><sc:Qty>1O</sc:Qty></sc:Line>\n"
			"<sc:Line><sc:Sku>  </sc:Sku><sc:Qty>2</sc:Qty></sc:Line>\n"
			"</sc:Lines>\n"
			"<sc:LineCount>3</sc:LineCount>\n"
			"</sc:ShipConfirm>\n"
			"<sc:ShipConfirm status=\"X\"/>\n"
			"</sc:ShipConfirms>\n";
	xmlDocPtr d = parse_ok(s, strlen(s), NULL);
	xmlNodePtr *nodes;
	size_t n;
	ck_assert_int_eq(map_xml_groups(m, d, &nodes, &n, NULL), 0);
	ck_assert_uint_eq(n, 2);
	struct x12_errlist errs = { 0 };
	xmlDocPtr rec;
	ck_assert_int_eq(map_apply_xml(m, d, nodes[0], &rec, &errs, NULL), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 5, "%s", et);
	ck_assert_msg(strstr(et, "[line 2] order-number: required, but xpath(sc:OrderNo) selects nothing at line 2 "
				 "(/sc:ShipConfirms/sc:ShipConfirm[1]) (map "), "%s", et);
	ck_assert_msg(strstr(et, "[line 3] ship-date: line 3 (/sc:ShipConfirms/sc:ShipConfirm[1]/sc:ShipDate) is not a "
				 "valid date (CCYYMMDD) (map "), "%s", et);
	ck_assert_msg(strstr(et, "[line 5] lines/line[1]/quantity: line 5 (/sc:ShipConfirms/sc:ShipConfirm[1]/sc:Lines/"
				 "sc:Line[1]/sc:Qty) is not a decimal number"), "%s", et);
	ck_assert_msg(strstr(et, "[line 6] lines/line[2]/vendor-item: line 6 (/sc:ShipConfirms/sc:ShipConfirm[1]/"
				 "sc:Lines/sc:Line[2]/sc:Sku) is required but empty (map "), "%s", et);
	ck_assert_msg(strstr(et, "(digits, one '.', an optional leading '-') (map ") &&
			      strstr(et, "shipconfirm.map:24)"), "%s", et);
	ck_assert_msg(strstr(et, "totals/line-count: the document says 3 but the record has 2 lines/line"), "%s", et);
	free(et);
	xmlFreeDoc(rec);
	x12_errlist_free(&errs);
	memset(&errs, 0, sizeof errs);
	/* status X passes through the table's *=*; no lines: the required each */
	ck_assert_int_eq(map_apply_xml(m, d, nodes[1], &rec, &errs, NULL), 0);
	et = errs_text(&errs);
	ck_assert_msg(strstr(et, "[line 10] lines/line: required, but xpath(sc:Lines/sc:Line) selects nothing at "
				 "line 10 (/sc:ShipConfirms/sc:ShipConfirm[2])"), "%s", et);
	free(et);
	ck_get(rec, "status", "X");
	xmlFreeDoc(rec);
	x12_errlist_free(&errs);
	free(nodes);
	xmlFreeDoc(d);
	map_free(m);
}
END_TEST

/* Without group-by the root element is the record's node; a union in one expression;
 * string functions; max on each; line numbers past 65535. */
START_TEST(test_map_root_and_lines)
{
	struct map *m;
	char *e = map_try("r.map",
			  "source xml INV\ntarget warehouse-shipping-advice\n"
			  "order-number xpath(\"concat(@prefix, '-', Id)\")\nstatus xpath(\"normalize-space(S)\")\n"
			  "ship-date xpath(D) date CCYYMMDD\n"
			  "lines/line each xpath(A|B) max 2\n  vendor-item xpath(.) required\n  quantity \"1\"\n"
			  "totals/line-count xpath(count(A|B)) number\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "<r prefix=\"SO\"><Id>7</Id><S>  two   words </S><D>20260101</D><A>a1</A><B>b1</B>");
	for (int i = 0; i < 70000; i++)
		buf_putc(&b, '\n');
	buf_puts(&b, "<A>a2</A></r>");
	xmlDocPtr d = parse_ok(b.data, b.len, NULL);
	xmlNodePtr *nodes;
	size_t n;
	ck_assert_int_eq(map_xml_groups(m, d, &nodes, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(nodes[0], xmlDocGetRootElement(d));
	struct x12_errlist errs = { 0 };
	xmlDocPtr rec;
	ck_assert_int_eq(map_apply_xml(m, d, NULL, &rec, &errs, NULL), 0);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 1, "%s", et);
	/* the third node of A|B, in document order, is over max 2: its line is 70001 */
	ck_assert_msg(strstr(et, "[line 70001] lines/line: more than 2 nodes selected by xpath(A|B) (the map allows at "
				 "most 2)"), "%s", et);
	free(et);
	ck_get(rec, "order-number", "SO-7");
	ck_get(rec, "status", "two words");
	ck_get(rec, "totals/line-count", "3");
	ck_line(rec, 1, "vendor-item", "a1");
	ck_line(rec, 2, "vendor-item", "b1");
	xmlFreeDoc(rec);
	x12_errlist_free(&errs);
	free(nodes);
	xmlFreeDoc(d);
	buf_free(&b);
	map_free(m);
}
END_TEST

START_TEST(test_map_syntax)
{
	char *e = map_try("a.map", "source x12 850\ntarget order\npo-number xpath(BEG03)\n", NULL);
	ck_assert_msg(strstr(e, "a.map:3: 'xpath(BEG03)' is an XPath source: only in a 'source xml NAME' map"), "%s",
		      e);
	free(e);
	e = map_try("b.map", "source xml PO\ntarget order\npo-number BEG03\nx @po\ny D:1+2\nz pair BEG01 X\n"
			     "lines/line each PO1\n  q xpath(.)\n", NULL);
	ck_assert_msg(strstr(e, "b.map:3: 'BEG03': an XML map reads xpath(EXPRESSION) sources"), "%s", e);
	ck_assert_msg(strstr(e, "b.map:4: '@po': an XML map reads"), "%s", e);
	ck_assert_msg(strstr(e, "b.map:5: 'D:1+2': an XML map reads"), "%s", e);
	ck_assert_msg(strstr(e, "b.map:6: pair is for X12 and EDIFACT maps"), "%s", e);
	ck_assert_msg(strstr(e, "b.map:7: 'PO1': an XML map reads"), "%s", e);
	free(e);
	e = map_try("c.map", "source xml PO\ntarget order\na xpath(Order[)\nb xpath(x:Order)\nc xpath(nosuch(1))\n"
			     "d xpath()\ne xpath(Order\nf xpath($v)\nlines/line each xpath(count(L))\n  q xpath(.)\n"
			     "group-by xpath(string(x))\n", NULL);
	ck_assert_msg(strstr(e, "c.map:3: bad XPath expression in 'xpath(Order[)': "), "%s", e);
	ck_assert_msg(strstr(e, "c.map:4: 'xpath(x:Order)' cannot be evaluated: Undefined namespace prefix (declare "
				"it: namespace PREFIX URI)"), "%s", e);
	ck_assert_msg(strstr(e, "c.map:5: 'xpath(nosuch(1))' cannot be evaluated: "), "%s", e);
	ck_assert_msg(strstr(e, "c.map:6: bad path 'xpath()': empty XPath expression"), "%s", e);
	ck_assert_msg(strstr(e, "c.map:7: bad path 'xpath(Order': an XPath source is written xpath(EXPRESSION)"), "%s",
		      e);
	ck_assert_msg(strstr(e, "c.map:8: 'xpath($v)' cannot be evaluated: "), "%s", e);
	ck_assert_msg(strstr(e, "c.map:9: 'xpath(count(L))' gives a number, not nodes"), "%s", e);
	ck_assert_msg(strstr(e, "c.map:11: 'xpath(string(x))' gives a string, not nodes"), "%s", e);
	free(e);
	e = map_try("d.map", "source xml PO\ntarget order\nnamespace 1x urn:x\nnamespace xmlfoo urn:y\n"
			     "namespace p\nnamespace q urn:q\nnamespace q urn:r\npo-number xpath(q:a)\n", NULL);
	ck_assert_msg(strstr(e, "d.map:3: bad namespace prefix '1x'"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:4: bad namespace prefix 'xmlfoo'"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:5: write 'namespace PREFIX URI'"), "%s", e);
	ck_assert_msg(strstr(e, "d.map:7: namespace q is declared twice (first at line 6)"), "%s", e);
	free(e);
	e = map_try("e.map", "source x12 850\ntarget order\nnamespace q urn:q\npo-number BEG03\n", NULL);
	ck_assert_msg(strstr(e, "e.map:1: namespace lines are for XML maps"), "%s", e);
	free(e);
	e = map_try("f.map", "source xml PO\ntarget order\ngroup-by @po\npo-number xpath(a)\n", NULL);
	ck_assert_msg(strstr(e, "f.map:3: bad group-by '@po': name a node set"), "%s", e);
	free(e);
	/* the longest expression: 1024 bytes */
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "source xml PO\ntarget order\npo-number xpath(");
	for (int i = 0; i < 1022; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "/b)\n");
	struct map *m;
	e = map_try("g.map", b.data, &m);
	ck_assert_msg(m != NULL, "%s", e);
	map_free(m);
	free(e);
	buf_reset(&b);
	buf_puts(&b, "source xml PO\ntarget order\npo-number xpath(");
	for (int i = 0; i < 1023; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "/b)\n");
	e = map_try("h.map", b.data, NULL);
	ck_assert_msg(strstr(e, "h.map:3: bad path 'xpath(aaa") && strstr(e, "longer than 1024 bytes"), "%s", e);
	free(e);
	buf_free(&b);
}
END_TEST

/* An overlay changes a namespace's URI and a field; other maps and other documents'
 * nodes are refused. */
START_TEST(test_map_overlay_and_args)
{
	char *base = tu_srcpath("tests/data/xml/shipconfirm.map");
	char *text = xasprintf("extends %s\nnamespace sc urn:acme:shipconfirm:v2\nshipment-id -\n", base);
	struct map *m;
	char *e = map_try("o.map", text, &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	free(text);
	free(base);
	const char *s = "<ShipConfirms xmlns=\"urn:acme:shipconfirm:v2\"><ShipConfirm status=\"F\"><OrderNo>SO-5"
			"</OrderNo><ShipDate>20261120</ShipDate><Shipment>SH</Shipment><Lines><Line><Sku>A</Sku>"
			"<Qty>1</Qty></Line></Lines></ShipConfirm></ShipConfirms>";
	xmlDocPtr d = parse_ok(s, strlen(s), NULL);
	xmlNodePtr *nodes;
	size_t n;
	ck_assert_int_eq(map_xml_groups(m, d, &nodes, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	struct x12_errlist errs = { 0 };
	xmlDocPtr rec;
	ck_assert_int_eq(map_apply_xml(m, d, nodes[0], &rec, &errs, NULL), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_get(rec, "order-number", "SO-5");
	ck_get(rec, "shipment-id", NULL);
	xmlFreeDoc(rec);
	xmlDocPtr other = parse_ok("<x/>", 4, NULL);
	ck_assert_int_eq(map_apply_xml(m, d, xmlDocGetRootElement(other), &rec, &errs, NULL), -EINVAL);
	xmlFreeDoc(other);
	free(nodes);
	map_free(m);
	e = map_try("x.map", "source x12 850\ntarget order\npo-number BEG03\n", &m);
	free(e);
	ck_assert_int_eq(map_apply_xml(m, d, NULL, &rec, &errs, NULL), -EINVAL);
	ck_assert_int_eq(map_xml_groups(m, d, &nodes, &n, NULL), -EINVAL);
	map_free(m);
	xmlFreeDoc(d);
}
END_TEST

/* xref works on XML values too; a missing entry names the node's line and path. */
START_TEST(test_xref_xml)
{
	char *x = xasprintf("%s/uom.csv", g_tmp);
	ck_assert_int_eq(tu_write(x, "theirs,ours\nPCE,EA\nCAR,CS\n", 26), 0);
	free(x);
	struct map *m;
	char *e = map_try("u.map",
			  "source xml INV\ntarget warehouse-shipping-advice\nxref uom uom.csv theirs ours\n"
			  "lines/line each xpath(L)\n  unit xpath(@u) xref uom\n  quantity \"1\"\n",
			  &m);
	ck_assert_msg(m != NULL, "%s", e);
	free(e);
	const char *s = "<r>\n<L u=\"CAR\"/>\n<L u=\"BOX\"/>\n</r>";
	xmlDocPtr d = parse_ok(s, strlen(s), NULL);
	struct x12_errlist errs = { 0 };
	xmlDocPtr rec;
	ck_assert_int_eq(map_apply_xml(m, d, NULL, &rec, &errs, NULL), 0);
	ck_line(rec, 1, "unit", "CS");
	ck_line(rec, 2, "unit", NULL);
	char *et = errs_text(&errs);
	ck_assert_msg(errs.n == 1 && strstr(et, "[line 3] lines/line[2]/unit: line 3 (/r/L[2]/@u) holds a value "
						 "cross-reference uom has no entry for (uom.csv, column theirs)"),
		      "%s", et);
	free(et);
	xmlFreeDoc(rec);
	x12_errlist_free(&errs);
	xmlFreeDoc(d);
	map_free(m);
}
END_TEST

static Suite *xmldoc_suite(void)
{
	Suite *s = suite_create("xmldoc");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sniff);
	tcase_add_test(tc, test_xxe_refused);
	tcase_add_test(tc, test_well_formed);
	tcase_add_test(tc, test_limit_bytes);
	tcase_add_test(tc, test_limit_depth);
	tcase_add_test(tc, test_limit_elements);
	tcase_add_test(tc, test_map_shipconfirm);
	tcase_add_test(tc, test_map_findings);
	tcase_add_test(tc, test_map_root_and_lines);
	tcase_add_test(tc, test_map_syntax);
	tcase_add_test(tc, test_map_overlay_and_args);
	tcase_add_test(tc, test_xref_xml);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run_suite(xmldoc_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
