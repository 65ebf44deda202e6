/*
 * check_outmap — outbound maps (src/canon/outmap.c): loading and its errors
 * with the map line, rendering of every source and option, the HL and CPS
 * hierarchies, data errors naming map line, segment/element and record
 * position, and round trips: the shipped outbound maps write documents that
 * the shipped inbound maps read back into the same canonical values.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "canon/outmap.h"
#include "map/map.h"
#include "testutil.h"
#include "x12/x12.h"

/* Load a map from text (written to a temporary file). */
static struct omap *load_text(const char *text, struct diag_list *d, char **dir_out)
{
	char *dir = tu_tmpdir();
	size_t n = strlen(dir) + 16;
	char *path = malloc(n);
	snprintf(path, n, "%s/t.map", dir);
	ck_assert_int_eq(tu_write(path, text, strlen(text)), 0);
	struct omap *m = NULL;
	omap_load(&m, path, d);
	free(path);
	*dir_out = dir;
	return m;
}

/* The diagnostics as one text block "line: message\n". */
static char *diags(const struct diag_list *d)
{
	size_t cap = 4096, len = 0;
	char *s = calloc(1, cap);
	for (size_t i = 0; i < d->n; i++) {
		size_t need = strlen(d->v[i].msg) + 32;
		if (len + need >= cap) {
			cap = (len + need) * 2;
			s = realloc(s, cap);
		}
		len += (size_t)snprintf(s + len, cap - len, "%zu: %s\n", d->v[i].line, d->v[i].msg);
	}
	return s;
}

static xmlDocPtr parse_rec(const char *xml)
{
	xmlDocPtr doc = NULL;
	struct buf err;
	buf_init(&err, 0);
	int rc = canon_parse(&doc, xml, strlen(xml), &err);
	ck_assert_msg(rc == 0, "record does not parse: %s", err.data);
	buf_free(&err);
	return doc;
}

/* Render and write as X12 with * > ~ and newlines. */
static int render_x12(struct omap *m, const char *xml, char **out, char **err)
{
	xmlDocPtr doc = parse_rec(xml);
	struct omap_doc od;
	struct buf e, o;
	buf_init(&e, 0);
	buf_init(&o, 0);
	int rc = omap_render(m, doc, "*>~^", &od, &e);
	if (rc == 0) {
		omap_write_x12(&od, '*', '>', '~', 1, &o);
		omap_doc_free(&od);
	}
	*out = o.data ? strdup(o.data) : strdup("");
	*err = e.data ? strdup(e.data) : strdup("");
	buf_free(&e);
	buf_free(&o);
	xmlFreeDoc(doc);
	return rc;
}

static const char HDR[] = "map t\nsource order-response\ntarget x12 855\nversion 004010\n";

static const char REC[] =
	"<order-response xmlns='urn:edigw:canonical:1'>"
	"<po-number>PO-1</po-number><ack-type>accepted</ack-type><po-date>2026-11-22</po-date>"
	"<ack-date>2026-11-23T14:05:09</ack-date>"
	"<lines><line><number>1</number><quantity>24</quantity><unit-price>12.50</unit-price>"
	"<acks><ack><status>accepted</status></ack></acks></line>"
	"<line><number>2</number><quantity>6.250</quantity><unit-price>0048.00</unit-price></line></lines>"
	"</order-response>";

START_TEST(test_render_options)
{
	char *txt = NULL, *dir = NULL, *out = NULL, *err = NULL;
	struct diag_list d;
	diag_list_init(&d);
	const char *body =
		"segment BAK required\n"
		"  BAK01 t1 time HHMM\n"
		"  BAK02 t2 time HHMMSS\n"
		"  BAK03 name truncate 5\n"
		"  BAK04 nothing default DFLT\n"
		"  BAK05 neg number N2\n"
		"  BAK06 neg decimal\n"
		"  BAK07 zero decimal\n"
		"  BAK08 d date 203\n"
		"  BAK09 \"Q\" if nothing\n"
		"  BAK10 name ascii\n"
		"  BAK11 fancy ascii truncate 9\n";
	ck_assert_int_gt(asprintf(&txt, "%s%s", HDR, body), 0);
	struct omap *m = load_text(txt, &d, &dir);
	ck_assert_ptr_nonnull(m);
	/* the map reads any element here: rendering does not check the schema */
	int rc = render_x12(m, "<order-response xmlns='urn:edigw:canonical:1'><t1>14:05</t1><t2>09:30</t2>"
			       "<name>  M\u00fcnchen Gro\u00df  </name><neg>-007.50</neg><zero>-0.00</zero>"
			       "<d>2026-02-28T23:59</d><fancy>\u201cStra\u00dfe\u201d \u2013 \u00c5\u20ac</fancy>"
			       "</order-response>", &out, &err);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(out, "BAK*1405*093000*M\u00fcnch*DFLT*-750*-7.5*0*202602282359**Muenchen Gross*\"Strasse\"~\n");
	free(out);
	free(err);
	/* bad times and dates */
	ck_assert_int_eq(render_x12(m, "<order-response xmlns='urn:edigw:canonical:1'><t1>24:00</t1></order-response>",
				    &out, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "BAK01: '24:00' is not a time"));
	free(out);
	free(err);
	ck_assert_int_eq(render_x12(m, "<order-response xmlns='urn:edigw:canonical:1'><d>2026-13-01</d></order-response>",
				    &out, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "BAK08: '2026-13-01' is not an ISO date"));
	free(out);
	free(err);
	omap_free(m);
	tu_rmtree(dir);
	free(dir);
	free(txt);
	diag_list_free(&d);
}
END_TEST

/* The same with values the formats accept; every piece checked. */
START_TEST(test_render_values)
{
	char *txt = NULL, *dir = NULL, *out = NULL, *err = NULL;
	struct diag_list d;
	diag_list_init(&d);
	const char *body =
		"table st accepted=IA *=IC\n"
		"segment BAK required\n"
		"  BAK01 \"00\"\n"
		"  BAK02 lines/line/acks/ack/status code st\n"
		"  BAK03 po-number required\n"
		"  BAK04 po-date date CCYYMMDD\n"
		"  BAK05 po-date date YYMMDD\n"
		"  BAK06 ack-date date CCYYMMDDHHMMSS\n"
		"segment REF\n"
		"  REF01 \"XX\"\n"
		"  REF02 missing/path\n"
		"each lines/line\n"
		"  segment PO1 required\n"
		"    PO101 $index\n"
		"    PO102 quantity decimal\n"
		"    PO104 unit-price number N2\n"
		"    PO106 \"ZZ\" if acks/ack/status\n"
		"    PO107 acks/ack/status truncate 3\n"
		"segment CTT required\n"
		"  CTT01 count(lines/line)\n"
		"  CTT02 sum(lines/line/quantity)\n";
	ck_assert_int_gt(asprintf(&txt, "%s%s", HDR, body), 0);
	struct omap *m = load_text(txt, &d, &dir);
	ck_assert_ptr_nonnull(m);
	int rc = render_x12(m, REC, &out, &err);
	ck_assert_msg(rc == 0, "render: %s", err);
	ck_assert_str_eq(out, "BAK*00*IA*PO-1*20261122*261122*20261123140509~\n"
			      "PO1*1*24**1250**ZZ*acc~\n"
			      "PO1*2*6.25**4800~\n"
			      "CTT*2*30.25~\n");
	free(out);
	free(err);
	omap_free(m);
	tu_rmtree(dir);
	free(dir);
	free(txt);
	diag_list_free(&d);
}
END_TEST

/* Data errors name the element, the record position and the map line. */
static void expect_render_error(const char *body, const char *rec, const char *want)
{
	char *txt = NULL, *dir = NULL, *out = NULL, *err = NULL;
	struct diag_list d;
	diag_list_init(&d);
	ck_assert_int_gt(asprintf(&txt, "%s%s", HDR, body), 0);
	struct omap *m = load_text(txt, &d, &dir);
	char *ds = diags(&d);
	ck_assert_msg(m != NULL, "load failed:\n%s", ds);
	free(ds);
	ck_assert_msg(render_x12(m, rec, &out, &err) == -EINVAL, "no error for:\n%s\nwrote:\n%s", body, out);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
	ck_assert_msg(strstr(err, "t.map") != NULL, "error %s names no map", err);
	free(out);
	free(err);
	omap_free(m);
	tu_rmtree(dir);
	free(dir);
	free(txt);
	diag_list_free(&d);
}

START_TEST(test_render_errors)
{
	/* required element empty, in the second line: position and map line 8 */
	expect_render_error("segment BAK required\n  BAK03 po-number\neach lines/line\n"
			    "  segment PO1 required\n    PO101 number\n    PO102 quantity\n"
			    "    PO103 unit required\n",
			    REC, "PO103 for lines/line[1]: required, but unit is empty (map ");
	expect_render_error("segment BAK required\n  BAK04 po-number date CCYYMMDD\n", REC, "t.map:6)");
	expect_render_error("table t x=y\nsegment BAK required\n  BAK04 ack-type code t\n", REC,
			    "BAK04: 'accepted' is not in code table t");
	expect_render_error("segment BAK required\n  BAK04 po-number date CCYYMMDD\n", REC,
			    "BAK04: 'PO-1' is not an ISO date");
	expect_render_error("each lines/line\n  segment PO1\n    PO104 unit-price number N0\n", REC,
			    "PO104 for lines/line[1]: '12.50' has more decimal places than the element's "
			    "implied decimals (N0)");
	expect_render_error("segment BAK required\n  BAK03 po-number\n  BAK04 ack-type decimal\n", REC,
			    "'accepted' is not a decimal number");
	/* a value holding a separator of the interchange */
	expect_render_error("segment BAK required\n  BAK03 po-number\n  BAK04 \"X\"\n  BAK05 ack-date\n",
			    "<order-response xmlns='urn:edigw:canonical:1'><po-number>A*B</po-number>"
			    "</order-response>",
			    "BAK03: 'A*B' holds '*', a separator of this interchange");
	expect_render_error("segment REF required each references/reference\n  REF01 @type\n", REC,
			    "segment REF: required, but there is no references/reference");
	expect_render_error("segment BAK\n  BAK03 nothing\n", REC, "wrote no segment for this record");
}
END_TEST

static void expect_load_error(const char *text, size_t line, const char *want)
{
	char *dir = NULL;
	struct diag_list d;
	diag_list_init(&d);
	struct omap *m = load_text(text, &d, &dir);
	ck_assert_ptr_null(m);
	int found = 0;
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].line == line && strstr(d.v[i].msg, want))
			found = 1;
	char *ds = diags(&d);
	ck_assert_msg(found, "no error at line %zu with '%s' in:\n%s", line, want, ds);
	free(ds);
	tu_rmtree(dir);
	free(dir);
	diag_list_free(&d);
}

START_TEST(test_load_errors)
{
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n  BEG01 x\n",
			  6, "below segment BAK");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n  BAK01 x\n"
			  "  BAK01 y\n", 7, "BAK01 is already written at line 6");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK01 x code nosuch\n", 6, "'code' needs a table defined above");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK01 x date DDMMYY\n", 6, "'date' needs a format");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK01 \"x\" required\n", 6, "a constant takes no options");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK01 x required default 1\n", 6, "exclude each other");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  each lines/line\n", 6, "inside segment BAK");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\ncps each lines/line\n"
			  "  segment LIN\n    LIN01 x\n", 5, "'cps' is for EDIFACT maps");
	expect_load_error("map t\nsource order-response\ntarget edifact ORDRSP\nversion D:96A:UN\nhl S\n"
			  "  segment LIN\n    LIN01 x\n", 5, "'hl' is for X12 maps");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment B\n", 5,
			  "segment ID");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 4010\nsegment BAK\n  BAK01 x\n",
			  0, "not an X12 GS08");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nsegment BAK\n  BAK01 x\n", 0,
			  "no 'version' line");
	expect_load_error("map t\ntarget x12 855\nversion 004010\nsegment BAK\n  BAK01 x\n", 0, "no 'source' line");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK01 x truncate 0\n", 6, "'truncate' needs a length");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK01 count(@x)\n", 6, "count() needs a path to elements");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nfrobnicate\n", 5,
			  "unknown line 'frobnicate'");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\ntable t a=1 a=2\n"
			  "segment BAK\n  BAK01 x\n", 5, "lists 'a' twice");
	/* element positions: 01..99, components 1..99 */
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK00 x\n", 6, "below segment BAK");
	expect_load_error("map t\nsource order-response\ntarget x12 855\nversion 004010\nsegment BAK\n"
			  "  BAK01-100 x\n", 6, "below segment BAK");
}
END_TEST

START_TEST(test_positions_limits)
{
	char *dir = NULL, *out = NULL, *err = NULL;
	struct diag_list d;
	diag_list_init(&d);
	struct omap *m = load_text("map t\nsource order-response\ntarget x12 855\nversion 004010\n"
				   "segment BAK required\n  BAK99 \"z\"\n  BAK01-99 \"c\"\n  BAK01-1 \"a\"\n",
				   &d, &dir);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(render_x12(m, REC, &out, &err), 0);
	/* component 99 of element 1, element 99: 97 empty components and elements between */
	ck_assert_int_eq(strncmp(out, "BAK*a>>", 7), 0);
	size_t seps = 0, comps = 0;
	for (const char *p = out; *p; p++) {
		seps += *p == '*';
		comps += *p == '>';
	}
	ck_assert_uint_eq(seps, 99);
	ck_assert_uint_eq(comps, 98);
	free(out);
	free(err);
	omap_free(m);
	tu_rmtree(dir);
	free(dir);
	diag_list_free(&d);
}
END_TEST

/* A ship notice with two orders: packs below the first, loose items below the second. */
static const char SHIP[] =
	"<ship-notice xmlns='urn:edigw:canonical:1'><shipment-id>S1</shipment-id>"
	"<notice-date>2026-12-01</notice-date><shipment><orders>"
	"<order><po-number>P1</po-number><packs>"
	"<pack><sscc>001</sscc><items><item><vendor-item>A</vendor-item><quantity>1</quantity></item>"
	"<item><vendor-item>B</vendor-item><quantity>2</quantity></item></items></pack>"
	"<pack><sscc>002</sscc><items><item><vendor-item>C</vendor-item><quantity>3</quantity></item></items></pack>"
	"</packs></order>"
	"<order><po-number>P2</po-number><items><item><vendor-item>D</vendor-item><quantity>4</quantity></item>"
	"</items></order>"
	"</orders></shipment></ship-notice>";

START_TEST(test_hl_hierarchy)
{
	char *dir = NULL, *out = NULL, *err = NULL;
	struct diag_list d;
	diag_list_init(&d);
	struct omap *m = load_text("map t\nsource ship-notice\ntarget x12 856\nversion 004010\n"
				   "segment BSN required\n  BSN02 shipment-id\n"
				   "each shipment\n  hl S\n    hl O each orders/order\n"
				   "      segment PRF required\n        PRF01 po-number\n"
				   "      hl P each packs/pack\n        segment MAN\n          MAN02 sscc\n"
				   "        hl I each items/item\n          segment LIN\n            LIN03 vendor-item\n"
				   "            LIN04 ../../../../po-number\n"
				   "      hl I each items/item\n        segment LIN\n          LIN03 vendor-item\n"
				   "segment CTT required\n  CTT01 $hl-count\n",
				   &d, &dir);
	char *ds = diags(&d);
	ck_assert_msg(m != NULL, "%s", ds);
	free(ds);
	ck_assert_int_eq(render_x12(m, SHIP, &out, &err), 0);
	ck_assert_str_eq(out, "BSN**S1~\n"
			      "HL*1**S*1~\n"
			      "HL*2*1*O*1~\nPRF*P1~\n"
			      "HL*3*2*P*1~\nMAN**001~\n"
			      "HL*4*3*I*0~\nLIN***A*P1~\n"
			      "HL*5*3*I*0~\nLIN***B*P1~\n"
			      "HL*6*2*P*1~\nMAN**002~\n"
			      "HL*7*6*I*0~\nLIN***C*P1~\n"
			      "HL*8*1*O*1~\nPRF*P2~\n"
			      "HL*9*8*I*0~\nLIN***D~\n"
			      "CTT*9~\n");
	free(out);
	free(err);
	omap_free(m);
	tu_rmtree(dir);
	free(dir);
	diag_list_free(&d);
}
END_TEST

START_TEST(test_cps_edifact)
{
	char *dir = NULL;
	struct diag_list d;
	diag_list_init(&d);
	struct omap *m = load_text("map t\nsource ship-notice\ntarget edifact DESADV\nversion D:96A:UN\n"
				   "segment BGM required\n  BGM01-1 \"351\"\n  BGM02 shipment-id\n"
				   "each shipment/orders/order\n  cps\n    each packs/pack\n      cps\n"
				   "        segment GIN\n          GIN01 \"BJ\"\n          GIN02-1 sscc\n",
				   &d, &dir);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(omap_edifact(m), 1);
	ck_assert_str_eq(omap_doc_type(m), "DESADV");
	xmlDocPtr doc = parse_rec(SHIP);
	struct omap_doc od;
	struct buf e, o;
	buf_init(&e, 0);
	buf_init(&o, 0);
	ck_assert_int_eq(omap_render(m, doc, NULL, &od, &e), 0);
	/* the writer's own format: elements as given, components joined by 0x1F */
	for (size_t i = 0; i < od.n; i++) {
		buf_puts(&o, od.segs[i].id);
		for (size_t k = 0; k < od.segs[i].nel; k++) {
			buf_putc(&o, '+');
			for (const char *p = od.segs[i].el[k]; *p; p++)
				buf_putc(&o, *p == OMAP_COMP ? ':' : *p);
		}
		buf_putc(&o, '\'');
	}
	ck_assert_str_eq(o.data, "BGM+351+S1'CPS+1'CPS+2+1'GIN+BJ+001'CPS+3+1'GIN+BJ+002'CPS+4'");
	omap_doc_free(&od);
	buf_free(&e);
	buf_free(&o);
	xmlFreeDoc(doc);
	omap_free(m);
	tu_rmtree(dir);
	free(dir);
	diag_list_free(&d);
}
END_TEST

/* ------------------------------------------------------- round trips */

struct rt {
	struct map *in;
	xmlDocPtr got;
	size_t errors;
};

static int rt_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct rt *r = ctx;
	char *key = NULL;
	(void)res;
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(map_apply_x12(r->in, txn, &r->got, &errs, &key), 0);
	r->errors += errs.n;
	for (size_t i = 0; i < errs.n; i++) {
		char *s = x12_error_describe(&errs.v[i]);
		fprintf(stderr, "round trip finding: %s\n", s);
		free(s);
	}
	x12_errlist_free(&errs);
	free(key);
	return 0;
}

/* Write rec with the shipped outbound map, read it back with the shipped inbound map,
 * and compare the canonical values at the given paths. */
static void round_trip_x12(const char *outmap, const char *inmap, const char *st01, const char *xml,
			   const char *const *paths)
{
	char *op = tu_srcpath(outmap), *ip = tu_srcpath(inmap);
	struct diag_list d;
	diag_list_init(&d);
	struct omap *om = NULL;
	struct rt r = { 0 };
	ck_assert_int_eq(omap_load(&om, op, &d), 0);
	ck_assert_int_eq(map_load(&r.in, ip, &d), 0);
	xmlDocPtr doc = parse_rec(xml);
	struct omap_doc od;
	struct buf e, o;
	buf_init(&e, 0);
	buf_init(&o, 0);
	int rc = omap_render(om, doc, "*>~^", &od, &e);
	ck_assert_msg(rc == 0, "%s: %s", outmap, e.data);
	buf_printf(&o, "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*DEMORETAIL     *261122*1200*U*00401*"
		       "000000001*0*P*>~GS*XX*ACMESUPPLY*DEMORETAIL*20261122*1200*1*X*004010~ST*%s*0001~",
		   st01);
	omap_write_x12(&od, '*', '>', '~', 0, &o);
	buf_printf(&o, "SE*%zu*0001~GE*1*1~IEA*1*000000001~", od.n + 2);
	omap_doc_free(&od);
	struct x12_reader *rd = NULL;
	ck_assert_int_eq(x12_reader_new_mem(&rd, o.data, o.len, NULL), 0);
	struct x12_handler h = { .ctx = &r, .transaction = rt_txn };
	struct x12_file_summary sum = { 0 };
	struct x12_error xe = { 0 };
	ck_assert_int_eq(x12_parse(rd, &h, &sum, &xe), 0);
	ck_assert_ptr_nonnull(r.got);
	ck_assert_uint_eq(r.errors, 0);
	xmlNodePtr a = xmlDocGetRootElement(doc), b = xmlDocGetRootElement(r.got);
	for (size_t i = 0; paths[i]; i++) {
		char *va = canon_get(a, paths[i]), *vb = canon_get(b, paths[i]);
		ck_assert_msg(va && vb && strcmp(va, vb) == 0, "%s: %s wrote '%s', %s read back '%s'", paths[i],
			      outmap, va ? va : "(none)", inmap, vb ? vb : "(none)");
		free(va);
		free(vb);
	}
	x12_reader_free(rd);
	xmlFreeDoc(r.got);
	xmlFreeDoc(doc);
	map_free(r.in);
	omap_free(om);
	buf_free(&e);
	buf_free(&o);
	diag_list_free(&d);
	free(op);
	free(ip);
}

START_TEST(test_round_trip_855)
{
	static const char *const paths[] = {
		"po-number", "purpose", "ack-type", "po-date", "ack-number", "ack-date",
		"dates/date[@type=scheduled-ship]", "parties/party[@role=ship-to]/name",
		"parties/party[@role=ship-to]/address/city", "lines/line/number", "lines/line/quantity",
		"lines/line/unit-price", "lines/line/buyer-item", "lines/line/vendor-item", "lines/line/upc",
		"lines/line/acks/ack/status", "lines/line/acks/ack/date", NULL
	};
	round_trip_x12("maps/x12-out/855.map", "maps/x12/855.map", "855",
		       "<order-response xmlns='urn:edigw:canonical:1'><po-number>PO-1</po-number>"
		       "<purpose>original</purpose><ack-type>accepted-with-changes</ack-type>"
		       "<po-date>2026-11-22</po-date><ack-number>SO-1</ack-number><ack-date>2026-11-23</ack-date>"
		       "<dates><date type='scheduled-ship'>2026-12-01</date></dates>"
		       "<parties><party role='ship-to'><name>DC 7</name><address><city>Columbus</city></address>"
		       "</party></parties>"
		       "<lines><line><number>1</number><buyer-item>B1</buyer-item><vendor-item>V1</vendor-item>"
		       "<upc>012345678905</upc><quantity>24</quantity><unit>EA</unit><unit-price>12.5</unit-price>"
		       "<acks><ack><status>backordered</status><quantity>24</quantity><unit>EA</unit>"
		       "<date-type>current-schedule-ship</date-type><date>2026-12-15</date></ack></acks></line>"
		       "</lines></order-response>",
		       paths);
}
END_TEST

START_TEST(test_round_trip_810)
{
	static const char *const paths[] = { "invoice-number", "invoice-date", "po-number", "currency",
					     "lines/line/quantity", "lines/line/unit-price", "totals/amount",
					     "charges/charge/kind", "charges/charge/amount", NULL };
	round_trip_x12("maps/x12-out/810.map", "maps/x12/810.map", "810",
		       "<invoice xmlns='urn:edigw:canonical:1'><invoice-number>INV-1</invoice-number>"
		       "<invoice-date>2026-12-02</invoice-date><po-number>PO-1</po-number><currency>USD</currency>"
		       "<lines><line><number>1</number><vendor-item>V1</vendor-item><quantity>3</quantity>"
		       "<unit-price>19.99</unit-price></line></lines>"
		       "<totals><amount>1234.5</amount></totals>"
		       "<charges><charge><kind>charge</kind><code>D240</code><amount>12.3</amount></charge></charges>"
		       "</invoice>",
		       paths);
}
END_TEST

START_TEST(test_round_trip_856)
{
	static const char *const paths[] = { "shipment-id", "notice-date", "shipment/orders/order/po-number",
					     "shipment/orders/order/packs/pack/sscc",
					     "shipment/orders/order/packs/pack/items/item/vendor-item",
					     "shipment/orders/order/packs/pack/items/item/quantity", NULL };
	round_trip_x12("maps/x12-out/856.map", "maps/x12/856.map", "856", SHIP, paths);
}
END_TEST

START_TEST(test_round_trip_940)
{
	static const char *const paths[] = { "order-number", "po-number", "lines/line/quantity",
					     "lines/line/vendor-item", "parties/party[@role=ship-to]/name",
					     "totals/quantity", NULL };
	round_trip_x12("maps/x12-out/940.map", "maps/x12/940.map", "940",
		       "<warehouse-shipping-order xmlns='urn:edigw:canonical:1'><order-number>W1</order-number>"
		       "<po-number>P1</po-number><parties><party role='ship-to'><name>DC</name></party></parties>"
		       "<lines><line><vendor-item>A</vendor-item><quantity>2.5</quantity></line>"
		       "<line><vendor-item>B</vendor-item><quantity>4</quantity></line></lines>"
		       "<totals><quantity>6.5</quantity></totals></warehouse-shipping-order>",
		       paths);
}
END_TEST


/* An overlay of a shipped map: table entries, set, drop, after; errors name the overlay. */
START_TEST(test_overlay)
{
	char *dir = tu_tmpdir(), *base = tu_srcpath("maps/x12-out/855.map"), *ov = NULL, *txt = NULL;
	ck_assert_int_gt(asprintf(&ov, "%s/855.map", dir), 0);
	ck_assert_int_gt(asprintf(&txt,
				  "extends %s\n"
				  "table line-status  backordered=BP\n"
				  "set PO1 PO106 \"IN\" if buyer-item\n"
				  "set N1 N102 name ascii truncate 5\n"
				  "drop CTT\n"
				  "drop PO1 PO103\n"
				  "after BAK\n"
				  "  segment REF required\n"
				  "    REF01 \"IA\"\n"
				  "    REF02 ack-number required\n",
				  base), 0);
	ck_assert_int_eq(tu_write(ov, txt, strlen(txt)), 0);
	ck_assert_int_eq(omap_is_outbound(ov), 1);
	struct diag_list d;
	diag_list_init(&d);
	struct omap *m = NULL;
	int rc = omap_load(&m, ov, &d);
	char *ds = diags(&d);
	ck_assert_msg(rc == 0, "%s", ds);
	free(ds);
	char *out = NULL, *err = NULL;
	const char *rec = "<order-response xmlns='urn:edigw:canonical:1'><po-number>P</po-number>"
			  "<ack-type>accepted-with-detail</ack-type><po-date>2026-11-22</po-date><ack-number>A1</ack-number>"
			  "<parties><party role='ship-to'><name>Northwind DC</name></party></parties>"
			  "<lines><line><number>1</number><buyer-item>B</buyer-item><quantity>2</quantity><unit>CA</unit>"
			  "<acks><ack><status>backordered</status></ack></acks></line></lines></order-response>";
	ck_assert_int_eq(render_x12(m, rec, &out, &err), 0);
	ck_assert_str_eq(out, "BAK*00*AC*P*20261122****A1~\nREF*IA*A1~\nN1*ST*North~\nPO1*1*2****IN*B~\nACK*BP~\n");
	free(out);
	free(err);
	/* a data error in an overlay's line names the overlay file and line */
	rc = render_x12(m, "<order-response xmlns='urn:edigw:canonical:1'><po-number>P</po-number>"
			   "<ack-type>accepted-with-detail</ack-type><po-date>2026-11-22</po-date><cur>x</cur>"
			   "</order-response>", &out, &err);
	ck_assert_int_eq(rc, -EINVAL);
	char *want = NULL;
	ck_assert_int_gt(asprintf(&want, "REF02: required, but ack-number is empty (map %s:10)", ov), 0);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	free(want);
	free(out);
	free(err);
	omap_free(m);
	diag_list_free(&d);
	free(txt);
	/* errors of an overlay: segments the base does not write, blocks outside 'after' */
	ck_assert_int_gt(asprintf(&txt, "extends %s\nset ZZZ ZZZ01 \"x\"\ndrop QQQ\nsegment ABC\n  ABC01 \"x\"\n"
				  "target x12 856\n", base), 0);
	ck_assert_int_eq(tu_write(ov, txt, strlen(txt)), 0);
	diag_list_init(&d);
	ck_assert_int_eq(omap_load(&m, ov, &d), -EINVAL);
	ds = diags(&d);
	ck_assert_msg(strstr(ds, "2: the base map writes no ZZZ segment") && strstr(ds, "3: the base map writes no QQQ segment") &&
		      strstr(ds, "4: an overlay adds blocks with 'after SEGMENT'") && strstr(ds, "6: the base map writes x12 855"),
		      "%s", ds);
	free(ds);
	diag_list_free(&d);
	free(txt);
	/* a chain of overlays longer than the limit */
	ck_assert_int_gt(asprintf(&txt, "extends 855.map\n"), 0);
	ck_assert_int_eq(tu_write(ov, txt, strlen(txt)), 0);
	diag_list_init(&d);
	ck_assert_int_eq(omap_load(&m, ov, &d), -EINVAL);
	ds = diags(&d);
	ck_assert_msg(strstr(ds, "too many maps extend each other"), "%s", ds);
	free(ds);
	diag_list_free(&d);
	free(txt);
	free(ov);
	free(base);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Every shipped outbound map loads. */
START_TEST(test_shipped_maps_load)
{
	static const char *const maps[] = { "maps/x12-out/855.map", "maps/x12-out/856.map", "maps/x12-out/810.map",
					    "maps/x12-out/940.map", "maps/edifact-out/ORDRSP.map",
					    "maps/edifact-out/DESADV.map", "maps/edifact-out/INVOIC.map", NULL };
	for (size_t i = 0; maps[i]; i++) {
		char *p = tu_srcpath(maps[i]);
		struct diag_list d;
		diag_list_init(&d);
		struct omap *m = NULL;
		int rc = omap_load(&m, p, &d);
		char *ds = diags(&d);
		ck_assert_msg(rc == 0, "%s:\n%s", maps[i], ds);
		ck_assert_int_eq(omap_is_outbound(p), 1);
		free(ds);
		omap_free(m);
		diag_list_free(&d);
		free(p);
	}
	char *inb = tu_srcpath("maps/x12/855.map");
	ck_assert_int_eq(omap_is_outbound(inb), 0);
	free(inb);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("outmap");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_render_options);
	tcase_add_test(tc, test_render_values);
	tcase_add_test(tc, test_render_errors);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_positions_limits);
	tcase_add_test(tc, test_hl_hierarchy);
	tcase_add_test(tc, test_cps_edifact);
	tcase_add_test(tc, test_round_trip_855);
	tcase_add_test(tc, test_round_trip_810);
	tcase_add_test(tc, test_round_trip_856);
	tcase_add_test(tc, test_round_trip_940);
	tcase_add_test(tc, test_overlay);
	tcase_add_test(tc, test_shipped_maps_load);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
