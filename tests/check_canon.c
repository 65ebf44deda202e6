/* check_canon — canonical records (build, get/set, source, serialize, parse,
 * RELAX NG validation) and ERP profiles (CSV bytes, quoting, required columns,
 * profile syntax errors). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "canon/canon_lex.h"
#include "canon/canon_path.h"
#include "testutil.h"

/* Fill a fixed char array from a string literal. */
#define SET(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

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

/* Write text to g_tmp/name and return the path (allocated). */
static char *write_tmp(const char *name, const char *text)
{
	size_t n = strlen(g_tmp) + strlen(name) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", g_tmp, name);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
	return p;
}

/* A small valid order: the demo retailer's first PO. */
static xmlDocPtr demo_order(void)
{
	xmlDocPtr d = canon_new("order");
	xmlNodePtr r = xmlDocGetRootElement(d);
	canon_set(r, "source/partner", "demo-retailer");
	canon_set(r, "source/standard", "x12");
	canon_set(r, "po-number", "PO-4500012345");
	canon_set(r, "purpose", "original");
	canon_set(r, "order-date", "2026-11-22");
	canon_set(r, "currency", "USD");
	canon_set(r, "parties/party[@role=buyer]/id", "0001");
	canon_set(r, "parties/party[@role=buyer]/name", "Demo Retail Inc.");
	canon_set(r, "parties/party[@role=ship-to]/name", "Demo Retail DC 7");
	canon_set(r, "parties/party[@role=ship-to]/address/city", "Columbus");
	canon_set(r, "dates/date[@type=requested-ship]", "2026-12-01");
	xmlNodePtr l = canon_append(canon_set(r, "lines", ""), "line");
	canon_set(l, "number", "1");
	canon_set(l, "quantity", "24");
	canon_set(l, "unit", "EA");
	canon_set(l, "unit-price", "12.5");
	canon_set(l, "buyer-item", "RTL-100234");
	canon_set(l, "description", "Blue widget, large");
	l = canon_append(xmlDocGetRootElement(d)->last, "line");
	canon_set(l, "number", "2");
	canon_set(l, "quantity", "6");
	canon_set(l, "unit", "CA");
	canon_set(l, "description", "Gadget \"Pro\", 12 per case");
	return d;
}

START_TEST(test_build_get_set)
{
	xmlDocPtr d = canon_new("order");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(canon_kind(d), "order");
	xmlNodePtr r = xmlDocGetRootElement(d);
	ck_assert_str_eq((const char *)r->ns->href, CANON_NS);
	ck_assert_ptr_nonnull(canon_set(r, "parties/party[@role=buyer]/name", "A & B <Co>"));
	ck_assert_ptr_nonnull(canon_set(r, "parties/party[@role=ship-to]/name", "Store 7"));
	/* the last step is reused: the same element gets the new text */
	ck_assert_ptr_nonnull(canon_set(r, "parties/party[@role=buyer]/name", "A & B Co"));
	char *v = canon_get(r, "parties/party[@role=buyer]/name");
	ck_assert_str_eq(v, "A & B Co");
	free(v);
	v = canon_get(r, "parties/party[@role=ship-to]/name");
	ck_assert_str_eq(v, "Store 7");
	free(v);
	v = canon_get(r, "parties/party/@role");
	ck_assert_str_eq(v, "buyer");
	free(v);
	ck_assert_ptr_null(canon_get(r, "parties/party[@role=bill-to]/name"));
	ck_assert_ptr_null(canon_get(r, "nothing/here"));
	/* two parties, not three */
	struct canon_path p;
	const char *why;
	ck_assert_int_eq(canon_path_parse(&p, "parties/party", &why), 0);
	ck_assert_uint_eq(canon_path_count(r, &p), 2);
	canon_path_clear(&p);
	/* append makes repeats */
	xmlNodePtr lines = canon_set(r, "lines", "");
	ck_assert_ptr_nonnull(canon_append(lines, "line"));
	ck_assert_ptr_nonnull(canon_append(lines, "line"));
	ck_assert_int_eq(canon_path_parse(&p, "lines/line", &why), 0);
	ck_assert_uint_eq(canon_path_count(r, &p), 2);
	canon_path_clear(&p);
	/* attributes */
	xmlNodePtr n = canon_set(r, "po-number", "PO1");
	canon_set_attr(n, "kind", "x");
	v = canon_get(r, "po-number/@kind");
	ck_assert_str_eq(v, "x");
	free(v);
	/* bad paths and bad text are refused */
	ck_assert_ptr_null(canon_set(r, "a//b", "x"));
	ck_assert_ptr_null(canon_set(r, "a[role=x]", "x"));
	ck_assert_ptr_null(canon_set(r, "9abc", "x"));
	ck_assert_ptr_null(canon_set(r, "note", "bell\a"));
	ck_assert_ptr_null(canon_set(r, "note", "\xc3\x28"));
	ck_assert_ptr_null(canon_new("two/steps"));
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_text_valid)
{
	ck_assert_int_eq(canon_text_valid("plain", 5), 0);
	ck_assert_int_eq(canon_text_valid("caf\xc3\xa9", 5), 0);
	ck_assert_int_eq(canon_text_valid("\xf0\x9f\x98\x80", 4), 0);
	ck_assert_int_eq(canon_text_valid("tab\tok", 6), 0);
	ck_assert_int_eq(canon_text_valid("caf\xe9", 4), -EILSEQ);         /* Latin-1 */
	ck_assert_int_eq(canon_text_valid("\xc0\xaf", 2), -EILSEQ);        /* overlong */
	ck_assert_int_eq(canon_text_valid("\xed\xa0\x80", 3), -EILSEQ);    /* surrogate */
	ck_assert_int_eq(canon_text_valid("\xef\xbf\xbe", 3), -EILSEQ);    /* U+FFFE */
	ck_assert_int_eq(canon_text_valid("a\0b", 3), -EILSEQ);
	ck_assert_int_eq(canon_text_valid("\xe2\x82", 2), -EILSEQ);        /* truncated */
}
END_TEST

static const char demo_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<order xmlns=\"urn:edigw:canonical:1\">\n"
	"  <source>\n"
	"    <partner>demo-retailer</partner>\n"
	"    <standard>x12</standard>\n"
	"  </source>\n"
	"  <po-number>PO-4500012345</po-number>\n"
	"  <purpose>original</purpose>\n"
	"  <order-date>2026-11-22</order-date>\n"
	"  <currency>USD</currency>\n"
	"  <parties>\n"
	"    <party role=\"buyer\">\n"
	"      <id>0001</id>\n"
	"      <name>Demo Retail Inc.</name>\n"
	"    </party>\n"
	"    <party role=\"ship-to\">\n"
	"      <name>Demo Retail DC 7</name>\n"
	"      <address>\n"
	"        <city>Columbus</city>\n"
	"      </address>\n"
	"    </party>\n"
	"  </parties>\n"
	"  <dates>\n"
	"    <date type=\"requested-ship\">2026-12-01</date>\n"
	"  </dates>\n"
	"  <lines>\n"
	"    <line>\n"
	"      <number>1</number>\n"
	"      <quantity>24</quantity>\n"
	"      <unit>EA</unit>\n"
	"      <unit-price>12.5</unit-price>\n"
	"      <buyer-item>RTL-100234</buyer-item>\n"
	"      <description>Blue widget, large</description>\n"
	"    </line>\n"
	"    <line>\n"
	"      <number>2</number>\n"
	"      <quantity>6</quantity>\n"
	"      <unit>CA</unit>\n"
	"      <description>Gadget \"Pro\", 12 per case</description>\n"
	"    </line>\n"
	"  </lines>\n"
	"</order>\n";

START_TEST(test_serialize_exact)
{
	xmlDocPtr d = demo_order();
	struct buf b;
	buf_init(&b, 0);
	ck_assert_int_eq(canon_serialize(d, &b), 0);
	ck_assert_str_eq(b.data, demo_xml);
	/* appends */
	ck_assert_int_eq(canon_serialize(d, &b), 0);
	ck_assert_uint_eq(b.len, 2 * strlen(demo_xml));
	buf_free(&b);
	/* escaping of markup characters */
	xmlNodePtr r = xmlDocGetRootElement(d);
	canon_set(r, "po-number", "A&B<1>");
	buf_init(&b, 0);
	canon_serialize(d, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "<po-number>A&amp;B&lt;1&gt;</po-number>"));
	buf_free(&b);
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_parse_roundtrip)
{
	xmlDocPtr d = NULL;
	struct buf err;
	buf_init(&err, 0);
	ck_assert_int_eq(canon_parse(&d, demo_xml, strlen(demo_xml), &err), 0);
	struct buf b;
	buf_init(&b, 0);
	canon_serialize(d, &b);
	ck_assert_str_eq(b.data, demo_xml);
	buf_free(&b);
	char *v = canon_get(xmlDocGetRootElement(d), "lines/line/description");
	ck_assert_str_eq(v, "Blue widget, large");
	free(v);
	xmlFreeDoc(d);

	/* not well-formed: the line is reported */
	const char *bad = "<?xml version=\"1.0\"?>\n<order xmlns=\"urn:edigw:canonical:1\">\n<a>\n</order>\n";
	ck_assert_int_eq(canon_parse(&d, bad, strlen(bad), &err), -EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_msg(strncmp(err.data, "line 4:", 7) == 0, "%s", err.data);
	/* a foreign root */
	buf_reset(&err);
	const char *foreign = "<order><po-number>1</po-number></order>";
	ck_assert_int_eq(canon_parse(&d, foreign, strlen(foreign), &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.data, "canonical namespace"));
	/* entities are not expanded and DTDs are refused */
	buf_reset(&err);
	const char *ent = "<?xml version=\"1.0\"?>\n<!DOCTYPE order [<!ENTITY x \"boom\">]>\n"
			  "<order xmlns=\"urn:edigw:canonical:1\"><po-number>&x;</po-number></order>";
	ck_assert_int_eq(canon_parse(&d, ent, strlen(ent), &err), -EINVAL);
	ck_assert_ptr_null(d);
	buf_free(&err);
}
END_TEST

START_TEST(test_validate_ok)
{
	xmlDocPtr d = demo_order();
	struct buf err;
	buf_init(&err, 0);
	ck_assert_msg(canon_validate(d, g_rng, &err) == 0, "%s", err.data ? err.data : "");
	/* cached schema: a second validation works the same */
	ck_assert_int_eq(canon_validate(d, g_rng, &err), 0);
	xmlFreeDoc(d);
	buf_free(&err);
}
END_TEST

START_TEST(test_validate_errors_with_line)
{
	xmlDocPtr d = demo_order();
	xmlNodePtr r = xmlDocGetRootElement(d);
	/* line 2's quantity is not a number: in demo_xml the second line's quantity is on
	 * line 37 of the serialized record */
	xmlNodePtr l2 = NULL;
	for (xmlNodePtr c = r->last->children; c; c = c->next)
		l2 = c;
	canon_set(l2, "quantity", "six");
	struct buf err;
	buf_init(&err, 0);
	ck_assert_int_eq(canon_validate(d, g_rng, &err), -EINVAL);
	ck_assert_msg(strstr(err.data, "line 37 (/order/lines/line[2]/quantity)") != NULL, "%s",
		      err.data);
	ck_assert_msg(strstr(err.data, "decimal") != NULL, "%s", err.data);
	/* the same document read back from text reports the same line */
	struct buf b;
	buf_init(&b, 0);
	canon_serialize(d, &b);
	xmlDocPtr d2 = NULL;
	struct buf perr;
	buf_init(&perr, 0);
	ck_assert_int_eq(canon_parse(&d2, b.data, b.len, &perr), 0);
	buf_reset(&err);
	ck_assert_int_eq(canon_validate(d2, g_rng, &err), -EINVAL);
	ck_assert_msg(strstr(err.data, "line 37 (/order/lines/line[2]/quantity)") != NULL, "%s",
		      err.data);
	xmlFreeDoc(d2);
	buf_free(&perr);
	buf_free(&b);
	xmlFreeDoc(d);

	/* a required field missing: no po-number */
	d = demo_order();
	r = xmlDocGetRootElement(d);
	for (xmlNodePtr c = r->children; c; c = c->next)
		if (xmlStrEqual(c->name, (const xmlChar *)"po-number")) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			break;
		}
	buf_reset(&err);
	ck_assert_int_eq(canon_validate(d, g_rng, &err), -EINVAL);
	ck_assert_msg(strstr(err.data, "line 2 (/order)") != NULL, "%s", err.data);
	xmlFreeDoc(d);

	/* an unknown element */
	d = demo_order();
	canon_set(xmlDocGetRootElement(d), "colour", "blue");
	buf_reset(&err);
	ck_assert_int_eq(canon_validate(d, g_rng, &err), -EINVAL);
	xmlFreeDoc(d);

	/* a missing schema is an environment error, not "invalid" */
	d = demo_order();
	buf_reset(&err);
	ck_assert_int_eq(canon_validate(d, "/nonexistent/canonical.rng", &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/canonical.rng"));
	xmlFreeDoc(d);
	buf_free(&err);
}
END_TEST

START_TEST(test_set_source)
{
	xmlDocPtr d = canon_new("order");
	xmlNodePtr r = xmlDocGetRootElement(d);
	canon_set(r, "po-number", "1");
	struct x12_isa isa = { 0 };
	SET(isa.sender_id, "DEMORETAIL");
	SET(isa.receiver_id, "ACMESUPPLY");
	SET(isa.icn, "000000101");
	SET(isa.version, "00401");
	isa.usage[0] = 'T';
	struct x12_gs gs = { 0 };
	SET(gs.gcn, "101");
	SET(gs.version, "004010");
	struct x12_txn txn = { 0 };
	SET(txn.st01, "850");
	SET(txn.st02, "0001");
	txn.isa = &isa;
	txn.gs = &gs;
	/* envelope first, partner later (as map_apply_x12 and the gateway do) */
	ck_assert_int_eq(canon_set_source(d, NULL, &txn), 0);
	ck_assert_int_eq(canon_set_source(d, "demo-retailer", NULL), 0);
	struct buf b;
	buf_init(&b, 0);
	canon_serialize(d, &b);
	ck_assert_str_eq(b.data,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<order xmlns=\"urn:edigw:canonical:1\">\n"
			 "  <source>\n"
			 "    <partner>demo-retailer</partner>\n"
			 "    <standard>x12</standard>\n"
			 "    <version>004010</version>\n"
			 "    <document-type>850</document-type>\n"
			 "    <sender>DEMORETAIL</sender>\n"
			 "    <receiver>ACMESUPPLY</receiver>\n"
			 "    <interchange>000000101</interchange>\n"
			 "    <group>101</group>\n"
			 "    <transaction>0001</transaction>\n"
			 "    <test>true</test>\n"
			 "  </source>\n"
			 "  <po-number>1</po-number>\n"
			 "</order>\n");
	/* without a GS the version is ISA12; no envelope: only what the txn holds */
	txn.gs = NULL;
	isa.usage[0] = 'P';
	canon_set_source(d, NULL, &txn);
	char *v = canon_get(r, "source/version");
	ck_assert_str_eq(v, "00401");
	free(v);
	v = canon_get(r, "source/test");
	ck_assert_str_eq(v, "false");
	free(v);
	v = canon_get(r, "source/partner");
	ck_assert_str_eq(v, "demo-retailer"); /* kept */
	free(v);
	/* odd bytes from the envelope become escaped text, never invalid XML */
	SET(isa.sender_id, "AB\x01" "C");
	canon_set_source(d, NULL, &txn);
	v = canon_get(r, "source/sender");
	ck_assert_str_eq(v, "AB\\x01C");
	free(v);
	ck_assert_int_eq(canon_set_source(NULL, "x", NULL), -EINVAL);
	buf_free(&b);
	xmlFreeDoc(d);
}
END_TEST

static const char profile_text[] =
	"# test profile\n"
	"map          erp-order-csv\n"
	"source       order\n"
	"target       csv\n"
	"delimiter    ,\n"
	"line-ending  crlf\n"
	"record H once\n"
	"  \"H\"\n"
	"  po-number     required\n"
	"  purpose\n"
	"  order-date    required\n"
	"  parties/party[@role=buyer]/id\n"
	"  parties/party[@role=ship-to]/address/city\n"
	"  dates/date[@type=requested-ship]\n"
	"  type          default stand-alone\n"
	"record L each lines/line\n"
	"  \"L\"\n"
	"  /po-number    required\n"
	"  number\n"
	"  quantity      required\n"
	"  unit\n"
	"  unit-price\n"
	"  description\n";

START_TEST(test_erp_csv_exact)
{
	char *path = write_tmp("p.map", profile_text);
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *p = NULL;
	ck_assert_int_eq(erp_profile_load(&p, path, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(erp_profile_kind(p), "order");
	ck_assert_str_eq(erp_profile_extension(p), "csv");
	xmlDocPtr doc = demo_order();
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	ck_assert_int_eq(erp_render(p, doc, &out, &err), 0);
	ck_assert_str_eq(out.data,
			 "H,PO-4500012345,original,2026-11-22,0001,Columbus,2026-12-01,stand-alone\r\n"
			 "L,PO-4500012345,1,24,EA,12.5,\"Blue widget, large\"\r\n"
			 "L,PO-4500012345,2,6,CA,,\"Gadget \"\"Pro\"\", 12 per case\"\r\n");
	/* a second record appends; the bytes are the same each time */
	size_t one = out.len;
	ck_assert_int_eq(erp_render(p, doc, &out, &err), 0);
	ck_assert_uint_eq(out.len, 2 * one);
	ck_assert_int_eq(memcmp(out.data, out.data + one, one), 0);
	/* CR and LF inside a field are quoted too */
	canon_set(xmlDocGetRootElement(doc), "purpose", "two\r\nlines");
	buf_reset(&out);
	ck_assert_int_eq(erp_render(p, doc, &out, &err), 0);
	ck_assert_msg(strncmp(out.data, "H,PO-4500012345,\"two\r\nlines\",", 29) == 0, "%s", out.data);
	buf_free(&out);
	buf_free(&err);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	diag_list_free(&d);
	free(path);
}
END_TEST

START_TEST(test_erp_required_missing)
{
	char *path = write_tmp("p.map", profile_text);
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *p = NULL;
	ck_assert_int_eq(erp_profile_load(&p, path, &d), 0);
	xmlDocPtr doc = demo_order();
	/* line 2 has no quantity */
	xmlNodePtr r = xmlDocGetRootElement(doc);
	xmlNodePtr l2 = r->last->last;
	for (xmlNodePtr c = l2->children; c; c = c->next)
		if (xmlStrEqual(c->name, (const xmlChar *)"quantity")) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			break;
		}
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	buf_puts(&out, "before");
	ck_assert_int_eq(erp_render(p, doc, &out, &err), -EINVAL);
	ck_assert_str_eq(out.data, "before"); /* nothing appended */
	ck_assert_msg(strstr(err.data, "record L for lines/line number 2: required field quantity is "
					"empty") != NULL, "%s", err.data);
	ck_assert_ptr_nonnull(strstr(err.data, "p.map:20"));
	/* header field missing */
	xmlFreeDoc(doc);
	doc = demo_order();
	r = xmlDocGetRootElement(doc);
	for (xmlNodePtr c = r->children; c; c = c->next)
		if (xmlStrEqual(c->name, (const xmlChar *)"order-date")) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			break;
		}
	buf_reset(&err);
	ck_assert_int_eq(erp_render(p, doc, &out, &err), -EINVAL);
	ck_assert_msg(strstr(err.data, "record H: required field order-date is empty") != NULL, "%s",
		      err.data);
	/* a record of another kind */
	xmlDocPtr other = canon_new("invoice");
	buf_reset(&err);
	ck_assert_int_eq(erp_render(p, other, &out, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.data, "reads order records, not invoice"));
	xmlFreeDoc(other);
	buf_free(&out);
	buf_free(&err);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	diag_list_free(&d);
	free(path);
}
END_TEST

START_TEST(test_erp_lf_semicolon)
{
	char *path = write_tmp("p.map",
			       "source order\ntarget csv\ndelimiter ;\nline-ending lf\n"
			       "record L each lines/line\n  /po-number\n  description\n");
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *p = NULL;
	ck_assert_int_eq(erp_profile_load(&p, path, &d), 0);
	xmlDocPtr doc = demo_order();
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	ck_assert_int_eq(erp_render(p, doc, &out, &err), 0);
	/* a comma needs no quotes with ';' as the delimiter; the quote still does */
	ck_assert_str_eq(out.data, "PO-4500012345;Blue widget, large\n"
				   "PO-4500012345;\"Gadget \"\"Pro\"\", 12 per case\"\n");
	buf_free(&out);
	buf_free(&err);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	diag_list_free(&d);
	free(path);
}
END_TEST

/* Load text as a profile; returns the diagnostics joined as "LINE: msg\n". */
static char *profile_errors(const char *text)
{
	char *path = write_tmp("bad.map", text);
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *p = NULL;
	int rc = erp_profile_load(&p, path, &d);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_null(p);
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < d.n; i++) {
		ck_assert_str_eq(d.v[i].file, path);
		buf_printf(&b, "%zu: %s\n", d.v[i].line, d.v[i].msg);
	}
	diag_list_free(&d);
	free(path);
	return buf_steal(&b);
}

START_TEST(test_erp_profile_errors)
{
	char *e = profile_errors("source order\n"
				 "target csv\n"
				 "delimiter ab\n"
				 "line-ending cr\n"
				 "record H twice\n"
				 "record L each lines/line\n"
				 "  quantity  requird\n"
				 "  bad//path\n"
				 "   number\n"
				 "colour blue\n"
				 "  orphan\n");
	ck_assert_msg(strstr(e, "3: delimiter must be one printable character") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "4: line-ending is crlf or lf") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "5: write 'record LABEL once'") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "7: unknown column option 'requird'") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "8: bad canonical path 'bad//path'") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "9: bad indentation") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "10: unknown directive 'colour'") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "11: a column outside a record") != NULL, "%s", e);
	free(e);
	e = profile_errors("source order\ntarget json\nrecord H once\n  po-number\n");
	ck_assert_msg(strstr(e, "2: target 'json' is not supported") != NULL, "%s", e);
	free(e);
	e = profile_errors("target csv\nrecord H once\n  po-number\n");
	ck_assert_msg(strstr(e, "0: no 'source' line") != NULL, "%s", e);
	free(e);
	e = profile_errors("source order\ntarget csv\nrecord H once\nrecord H each lines/line\n  x\n");
	ck_assert_msg(strstr(e, "4: duplicate record H (first at line 3)") != NULL, "%s", e);
	free(e);
	e = profile_errors("source order\ntarget csv\nrecord H once\n");
	ck_assert_msg(strstr(e, "3: record H has no columns") != NULL, "%s", e);
	free(e);
}
END_TEST

START_TEST(test_shipped_profile)
{
	char *path = tu_srcpath("maps/erp/order-csv.map");
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *p = NULL;
	ck_assert_int_eq(erp_profile_load(&p, path, &d), 0);
	xmlDocPtr doc = demo_order();
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	ck_assert_msg(erp_render(p, doc, &out, &err) == 0, "%s", err.data);
	ck_assert_str_eq(out.data,
			 "H,PO-4500012345,original,,2026-11-22,,USD,0001,Demo Retail Inc.,,"
			 "Demo Retail DC 7,,,Columbus,,,,2026-12-01,,,,,demo-retailer\r\n"
			 "L,PO-4500012345,1,RTL-100234,,,,24,EA,12.5,\"Blue widget, large\",\r\n"
			 "L,PO-4500012345,2,,,,,6,CA,,\"Gadget \"\"Pro\"\", 12 per case\",\r\n");
	buf_free(&out);
	buf_free(&err);
	xmlFreeDoc(doc);
	erp_profile_free(p);
	diag_list_free(&d);
	free(path);
}
END_TEST

START_TEST(test_lex)
{
	struct canon_line *v = NULL;
	size_t n = 0;
	struct diag_list d;
	diag_list_init(&d);
	const char *t = "a  \"b c\" # comment\n"
			"\n"
			"   # only a comment\n"
			"  K=\"ship to\" x#y \"q\\\"\\\\\"\r\n"
			"\tlast\n";
	ck_assert_int_eq(canon_lex(&v, &n, t, strlen(t), "f", &d), -EINVAL);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(v[0].lineno, 1);
	ck_assert_uint_eq(v[0].ntok, 2);
	ck_assert_str_eq(v[0].tok[1].s, "b c");
	ck_assert_int_eq(v[0].tok[1].quoted, 1);
	ck_assert_uint_eq(v[1].lineno, 4);
	ck_assert_uint_eq(v[1].indent, 2);
	ck_assert_uint_eq(v[1].ntok, 3);
	ck_assert_str_eq(v[1].tok[0].s, "K=ship to");
	ck_assert_int_eq(v[1].tok[0].quoted, 0);
	ck_assert_str_eq(v[1].tok[1].s, "x#y");
	ck_assert_str_eq(v[1].tok[2].s, "q\"\\");
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.v[0].line, 5);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "tab"));
	canon_lex_free(v, n);
	diag_list_free(&d);

	diag_list_init(&d);
	t = "ok\n\"open\nctl\x01x\nbad\xff\n";
	ck_assert_int_eq(canon_lex(&v, &n, t, strlen(t), "f", &d), -EINVAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "unterminated"));
	ck_assert_ptr_nonnull(strstr(d.v[1].msg, "control character"));
	ck_assert_ptr_nonnull(strstr(d.v[2].msg, "UTF-8"));
	canon_lex_free(v, n);
	diag_list_free(&d);
}
END_TEST

/* Limits: line length and file size one below, at and one above. */
START_TEST(test_lex_limits)
{
	struct canon_line *v = NULL;
	size_t n = 0;
	for (int delta = -1; delta <= 1; delta++) {
		size_t len = CANON_LEX_MAX_LINE + delta;
		char *t = malloc(len + 2);
		memset(t, 'a', len);
		t[len] = '\n';
		t[len + 1] = '\0';
		struct diag_list d;
		diag_list_init(&d);
		int rc = canon_lex(&v, &n, t, len + 1, "f", &d);
		if (delta <= 0) {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(n, 1);
			ck_assert_uint_eq(strlen(v[0].tok[0].s), len);
		} else {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_ptr_nonnull(strstr(d.v[0].msg, "line too long"));
		}
		canon_lex_free(v, n);
		diag_list_free(&d);
		free(t);
	}
	/* tokens per line */
	for (int delta = -1; delta <= 1; delta++) {
		struct buf b;
		buf_init(&b, 0);
		for (int i = 0; i < CANON_LEX_MAX_TOKENS + delta; i++)
			buf_puts(&b, "x ");
		struct diag_list d;
		diag_list_init(&d);
		int rc = canon_lex(&v, &n, b.data, b.len, "f", &d);
		ck_assert_int_eq(rc, delta <= 0 ? 0 : -EINVAL);
		canon_lex_free(v, n);
		diag_list_free(&d);
		buf_free(&b);
	}
	/* file size */
	for (int delta = -1; delta <= 1; delta++) {
		size_t len = CANON_LEX_MAX_FILE + delta;
		char *t = malloc(len);
		for (size_t i = 0; i < len; i++)
			t[i] = (i % 64 == 63) ? '\n' : 'x';
		char *path = write_tmp("big.map", "");
		ck_assert_int_eq(tu_write(path, t, len), 0);
		struct diag_list d;
		diag_list_init(&d);
		int rc = canon_lex_file(&v, &n, path, &d);
		ck_assert_int_eq(rc, delta <= 0 ? 0 : -EINVAL);
		if (delta > 0)
			ck_assert_ptr_nonnull(strstr(d.v[0].msg, "file too large"));
		canon_lex_free(v, n);
		diag_list_free(&d);
		free(path);
		free(t);
	}
}
END_TEST


/* ERP profile sizes: record types and columns, one below, at and one above. */
START_TEST(test_erp_limits)
{
	for (int n = 32 - 1; n <= 32 + 1; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "source order\ntarget csv\n");
		for (int i = 0; i < n; i++)
			buf_printf(&b, "record R%d once\n  po-number\n", i);
		char *p = write_tmp("r.map", b.data);
		struct diag_list d;
		diag_list_init(&d);
		struct erp_profile *prof = NULL;
		int rc = erp_profile_load(&prof, p, &d);
		if (n <= 32) {
			ck_assert_int_eq(rc, 0);
		} else {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_ptr_nonnull(strstr(d.v[0].msg, "too many record types (at most 32)"));
		}
		erp_profile_free(prof);
		diag_list_free(&d);
		free(p);
		buf_free(&b);
	}
	for (int n = 512 - 1; n <= 512 + 1; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "source order\ntarget csv\nrecord H once\n");
		for (int i = 0; i < n; i++)
			buf_puts(&b, "  po-number\n");
		char *p = write_tmp("c.map", b.data);
		struct diag_list d;
		diag_list_init(&d);
		struct erp_profile *prof = NULL;
		int rc = erp_profile_load(&prof, p, &d);
		if (n <= 512) {
			ck_assert_int_eq(rc, 0);
			xmlDocPtr doc = demo_order();
			struct buf out, err;
			buf_init(&out, 0);
			buf_init(&err, 0);
			ck_assert_int_eq(erp_render(prof, doc, &out, &err), 0);
			ck_assert_uint_eq(out.len, (size_t)n * strlen("PO-4500012345,") - 1 + 2);
			buf_free(&out);
			buf_free(&err);
			xmlFreeDoc(doc);
		} else {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_ptr_nonnull(strstr(d.v[0].msg, "too many columns in record H (at most 512)"));
		}
		erp_profile_free(prof);
		diag_list_free(&d);
		free(p);
		buf_free(&b);
	}
}
END_TEST

/* "../" steps: an ERP column reads its parent's field; not past the root; not with '/'. */
START_TEST(test_path_up)
{
	static const char xml[] = "<order xmlns='urn:edigw:canonical:1'><po-number>PO-7</po-number>"
				  "<packs><pack><sscc>S1</sscc><items><item><upc>U1</upc></item></items></pack>"
				  "</packs></order>";
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, 0);
	ck_assert_ptr_nonnull(doc);
	struct canon_path each, p;
	const char *why;
	ck_assert_int_eq(canon_path_parse(&each, "packs/pack/items/item", &why), 0);
	xmlNodePtr item = canon_path_find(xmlDocGetRootElement(doc), &each);
	ck_assert_ptr_nonnull(item);
	static const struct {
		const char *path, *want;
	} cases[] = { { "upc", "U1" },
		      { "../../sscc", "S1" },
		      { "../../../../po-number", "PO-7" },
		      { "../../../../../po-number", NULL }, /* above the root: nothing */
		      { "./../../sscc", "S1" } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(canon_path_parse(&p, cases[i].path, &why), 0);
		char *v = canon_path_value(item, &p);
		if (cases[i].want)
			ck_assert_msg(v && strcmp(v, cases[i].want) == 0, "%s: got %s", cases[i].path, v ? v : "(none)");
		else
			ck_assert_ptr_null(v);
		free(v);
		canon_path_clear(&p);
	}
	ck_assert_int_eq(canon_path_parse(&p, "..//po-number", &why), -EINVAL);
	ck_assert_str_eq(why, "'../' and a leading '/' do not mix");
	ck_assert_int_eq(canon_path_parse(&p, "../", &why), -EINVAL);
	canon_path_clear(&each);
	xmlFreeDoc(doc);
}
END_TEST

/* Canonical paths: name length and number of steps, one below, at and one above. */
START_TEST(test_path_limits)
{
	struct canon_path p;
	const char *why;
	for (int n = CANON_PATH_MAX_NAME - 1; n <= CANON_PATH_MAX_NAME + 1; n++) {
		char name[128];
		memset(name, 'a', (size_t)n);
		name[n] = '\0';
		int rc = canon_path_parse(&p, name, &why);
		ck_assert_int_eq(rc, n <= CANON_PATH_MAX_NAME ? 0 : -EINVAL);
		if (rc == 0)
			canon_path_clear(&p);
		else
			ck_assert_str_eq(why, "element name too long");
	}
	for (int n = CANON_PATH_MAX_STEPS - 1; n <= CANON_PATH_MAX_STEPS + 1; n++) {
		struct buf b;
		buf_init(&b, 0);
		for (int i = 0; i < n; i++)
			buf_printf(&b, "%sa", i ? "/" : "");
		buf_puts(&b, "/@x"); /* an attribute is not a step */
		int rc = canon_path_parse(&p, b.data, &why);
		ck_assert_int_eq(rc, n <= CANON_PATH_MAX_STEPS ? 0 : -EINVAL);
		if (rc == 0)
			canon_path_clear(&p);
		else
			ck_assert_str_eq(why, "too many steps in the path");
		buf_free(&b);
	}
}
END_TEST

/* At most 20 validation messages, then a count of the others: one below, at, one above.
 * With this schema libxml2 reports 3 messages for each element holding a bad number and
 * 2 for a number element that holds an element. */
START_TEST(test_validate_message_cap)
{
	char *rng = write_tmp("many.rng",
			      "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" "
			      "ns=\"urn:edigw:canonical:1\" "
			      "datatypeLibrary=\"http://www.w3.org/2001/XMLSchema-datatypes\">"
			      "<start><element name=\"order\"><interleave>"
			      "<element name=\"a1\"><data type=\"int\"/></element>"
			      "<element name=\"a2\"><data type=\"int\"/></element>"
			      "<element name=\"a3\"><data type=\"int\"/></element>"
			      "<element name=\"a4\"><data type=\"int\"/></element>"
			      "<element name=\"a5\"><data type=\"int\"/></element>"
			      "<element name=\"a6\"><data type=\"int\"/></element>"
			      "<element name=\"a7\"><data type=\"int\"/></element>"
			      "<element name=\"a8\"><data type=\"int\"/></element>"
			      "</interleave></element></start></grammar>\n");
	static const struct {
		int bad_ints, child; /* elements with "x"; 1: a8 holds an element */
		size_t messages;
		const char *more;
	} c[] = {
		{ 6, 0, 18, NULL },
		{ 6, 1, 20, NULL },
		{ 7, 0, 20, "(1 more)" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		xmlDocPtr d = canon_new("order");
		xmlNodePtr r = xmlDocGetRootElement(d);
		for (int k = 1; k <= 8; k++) {
			char name[4];
			snprintf(name, sizeof name, "a%d", k);
			if (k == 8 && c[i].child)
				canon_set(r, "a8/b", "");
			else
				canon_set(r, name, k <= c[i].bad_ints ? "x" : "1");
		}
		struct buf err;
		buf_init(&err, 0);
		ck_assert_int_eq(canon_validate(d, rng, &err), -EINVAL);
		size_t lines = 1, msgs;
		for (const char *p = err.data; *p; p++)
			lines += *p == '\n';
		msgs = lines - (c[i].more ? 1 : 0);
		ck_assert_msg(msgs == c[i].messages, "%zu: %s", i, err.data);
		if (c[i].more) {
			const char *last = strrchr(err.data, '\n');
			ck_assert_str_eq(last + 1, c[i].more);
		} else {
			ck_assert_ptr_null(strstr(err.data, "more)"));
		}
		buf_free(&err);
		xmlFreeDoc(d);
	}
	free(rng);
}
END_TEST


/* canon_parse input size, one below, at and one above CANON_MAX_RECORD. */
START_TEST(test_parse_limit)
{
	const char *head = "<order xmlns=\"urn:edigw:canonical:1\">";
	const char *tail = "</order>";
	size_t max = CANON_MAX_RECORD;
	char *big = malloc(max + 1);
	for (size_t len = max - 1; len <= max + 1; len++) {
		memset(big, ' ', len);
		memcpy(big, head, strlen(head));
		memcpy(big + len - strlen(tail), tail, strlen(tail));
		xmlDocPtr d = NULL;
		struct buf err;
		buf_init(&err, 0);
		int rc = canon_parse(&d, big, len, &err);
		if (len <= max) {
			ck_assert_msg(rc == 0, "%zu: %s", len, err.data);
			ck_assert_str_eq(canon_kind(d), "order");
			xmlFreeDoc(d);
		} else {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_ptr_nonnull(strstr(err.data, "record too large"));
		}
		buf_free(&err);
	}
	free(big);
}
END_TEST

/* Schemas are cached for 8 paths; more still validate (uncached). */
START_TEST(test_schema_cache)
{
	char *text = tu_read(g_rng, NULL);
	ck_assert_ptr_nonnull(text);
	xmlDocPtr d = demo_order();
	for (int i = 0; i < 9; i++) {
		char name[32];
		snprintf(name, sizeof name, "s%d.rng", i);
		char *p = write_tmp(name, text);
		struct buf err;
		buf_init(&err, 0);
		ck_assert_msg(canon_validate(d, p, &err) == 0, "%d: %s", i, err.data);
		ck_assert_msg(canon_validate(d, p, &err) == 0, "%d: %s", i, err.data);
		buf_free(&err);
		free(p);
	}
	canon_cleanup();
	xmlFreeDoc(d);
	free(text);
}
END_TEST

static Suite *canon_suite(void)
{
	Suite *s = suite_create("canon");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_build_get_set);
	tcase_add_test(tc, test_text_valid);
	tcase_add_test(tc, test_serialize_exact);
	tcase_add_test(tc, test_parse_roundtrip);
	tcase_add_test(tc, test_validate_ok);
	tcase_add_test(tc, test_validate_errors_with_line);
	tcase_add_test(tc, test_set_source);
	tcase_add_test(tc, test_erp_csv_exact);
	tcase_add_test(tc, test_erp_required_missing);
	tcase_add_test(tc, test_erp_lf_semicolon);
	tcase_add_test(tc, test_erp_profile_errors);
	tcase_add_test(tc, test_shipped_profile);
	tcase_add_test(tc, test_lex);
	tcase_add_test(tc, test_lex_limits);
	tcase_add_test(tc, test_erp_limits);
	tcase_add_test(tc, test_path_limits);
	tcase_add_test(tc, test_path_up);
	tcase_add_test(tc, test_validate_message_cap);
	tcase_add_test(tc, test_parse_limit);
	tcase_add_test(tc, test_schema_cache);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run_suite(canon_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
