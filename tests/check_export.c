/*
 * check_export — the ERP's outbound files through the real edigw binary:
 * export-dir polling by `edigw run --once` and `edigw export [--dry-run]`,
 * CSV and canonical XML exports, X12 855/856/810/940 and EDIFACT
 * ORDRSP/DESADV/INVOIC out, validation against our definitions, control
 * numbers, the ledger's awaiting-acknowledgment state and the partner's 997
 * settling it, sent/ and failed/ with reasons, no second send of a file, and
 * the configuration checks of the new settings.
 *
 * EDIGW_EXPORT_KEEP=DIR copies the documents written into DIR (the interop
 * test reads them with independent parsers).
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

struct env {
	char *dir, *conf, *x12exp, *ediexp;
};

static char *pj(const char *a, const char *b)
{
	char *p = NULL;
	ck_assert_int_gt(asprintf(&p, "%s/%s", a, b), 0);
	return p;
}

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

/* Two partners: "retailer" (X12, exports of every kind) and "eu" (EDIFACT). extra_x12 is
 * appended to the retailer's profile. */
static struct env *env_new(const char *extra_x12)
{
	struct env *e = calloc(1, sizeof *e);
	e->dir = tu_tmpdir();
	e->conf = pj(e->dir, "edigw.conf");
	e->x12exp = pj(e->dir, "export/retailer");
	e->ediexp = pj(e->dir, "export/eu");
	char *src = tu_srcpath("");
	char *parts = pj(e->dir, "partners");
	mkdir(parts, 0750);
	writef(e->conf,
	       "spool = spool\nerp-dir = erp\npartners-dir = partners\ncanonical-schema = %s/doc/canonical.rng\n"
	       "schema-dir = %s/maps/schemas\n"
	       "our.x12.qualifier = ZZ\nour.x12.id = ACMESUPPLY\nour.x12.gs-id = ACMESUPPLY\n"
	       "our.edifact.id = 5490000000001\nour.edifact.qualifier = 14\n"
	       "erp.order = %s/maps/erp/order-csv.map\n",
	       src, src, src);
	char *pc = pj(parts, "retailer.conf");
	writef(pc,
	       "id = retailer\nx12.qualifier = ZZ\nx12.id = RETAILER\nx12.gs-id = RETAILER\n"
	       "document.850 = %s/maps/x12/850.map\n"
	       "export-dir = ../export/retailer\n"
	       "export.order-response = %s/maps/erp-export/order-response-csv.map\n"
	       "outbound.order-response = %s/maps/x12-out/855.map\n"
	       "export.invoice = %s/maps/erp-export/invoice-csv.map\n"
	       "outbound.invoice = %s/maps/x12-out/810.map\n"
	       "export.warehouse-shipping-order = %s/maps/erp-export/warehouse-shipping-order-csv.map\n"
	       "outbound.warehouse-shipping-order = %s/maps/x12-out/940.map\n"
	       "export.ship-notice = canonical\n"
	       "outbound.ship-notice = %s/maps/x12-out/856.map\n%s",
	       src, src, src, src, src, src, src, src, extra_x12 ? extra_x12 : "");
	free(pc);
	pc = pj(parts, "eu.conf");
	writef(pc,
	       "id = eu\nedifact.id = 4012345000009\nedifact.qualifier = 14\n"
	       "export-dir = ../export/eu\n"
	       "export.order-response = %s/maps/erp-export/order-response-csv.map\n"
	       "outbound.order-response = %s/maps/edifact-out/ORDRSP.map\n"
	       "export.invoice = %s/maps/erp-export/invoice-csv.map\n"
	       "outbound.invoice = %s/maps/edifact-out/INVOIC.map\n"
	       "export.ship-notice = canonical\n"
	       "outbound.ship-notice = %s/maps/edifact-out/DESADV.map\n",
	       src, src, src, src, src);
	free(pc);
	free(parts);
	char *ex = pj(e->dir, "export");
	mkdir(ex, 0750);
	mkdir(e->x12exp, 0750);
	mkdir(e->ediexp, 0750);
	free(ex);
	free(src);
	return e;
}

static void env_free(struct env *e)
{
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->conf);
	free(e->x12exp);
	free(e->ediexp);
	free(e);
}

static void put(const char *dir, const char *name, const char *text)
{
	char *p = pj(dir, name);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
	free(p);
}

/* The only file in spool/outbound/<partner> whose name contains what, read. */
static char *outbound(struct env *e, const char *partner, const char *what)
{
	char *d = pj(e->dir, "spool/outbound"), *pd = pj(d, partner);
	char *found = NULL;
	for (int k = 0;; k++) {
		char *n = tu_nth_file(pd, k);
		if (!n)
			break;
		if (strstr(n, what)) {
			ck_assert_msg(found == NULL, "two %s files in %s", what, pd);
			found = pj(pd, n);
		}
		free(n);
	}
	char *text = NULL;
	if (found) {
		text = tu_read(found, NULL);
		const char *keep = getenv("EDIGW_EXPORT_KEEP");
		if (keep && *keep) {
			char *base = strrchr(found, '/') + 1, *dst = NULL;
			ck_assert_int_gt(asprintf(&dst, "%s/%s-%s", keep, partner, base), 0);
			tu_write(dst, text, strlen(text));
			free(dst);
		}
	}
	free(found);
	free(d);
	free(pd);
	return text;
}

static const char ORDRSP_CSV[] =
	"po_number,po_date,ack_type,ack_number,ack_date,ship_date,line,buyer_item,vendor_item,upc,quantity,unit,price,"
	"status,status_qty,status_date\r\n"
	"PO-1,2026-11-22,accepted-with-changes,SO-1,2026-11-23,2026-12-01,1,B-1,V-1,012345678905,24,EA,12.50,accepted,24,"
	"2026-12-01\r\n"
	"PO-1,2026-11-22,accepted-with-changes,SO-1,2026-11-23,2026-12-01,2,B-2,V-2,,6,CA,48.00,backordered,6,2026-12-15\r\n"
	"PO-2,2026-11-22,rejected-no-detail,SO-2,2026-11-23,,1,B-9,V-9,,1,EA,1.00,rejected,1,\r\n";

static const char INVOICE_CSV[] =
	"invoice_number,invoice_date,po_number,po_date,currency,ship_date,bol,total,line,buyer_item,vendor_item,upc,"
	"quantity,unit,price,description\n"
	"INV-1,2026-12-02,PO-1,2026-11-22,EUR,2026-12-01,BOL-1,588.00,1,B-1,V-1,,24,EA,12.50,\"Widget, blue\"\n"
	"INV-1,2026-12-02,PO-1,2026-11-22,EUR,2026-12-01,BOL-1,588.00,2,B-2,V-2,,6,CA,48.00,M\xc3\xbcller's gadget\n";

static const char WHS_CSV[] =
	"order_number,po_number,ship_date,carrier,ship_to_name,ship_to_address,ship_to_city,ship_to_state,ship_to_zip,"
	"ship_to_country,sku,upc,quantity,unit,description\n"
	"WO-1,PO-1,2026-12-01,UPSN,DC 7,1 Way,Columbus,OH,43215,US,V-1,,24,EA,Widget\n"
	"WO-1,PO-1,2026-12-01,UPSN,DC 7,1 Way,Columbus,OH,43215,US,V-2,,6.5,CA,Gadget\n";

static const char SHIP_XML[] =
	"<?xml version='1.0'?>\n<ship-notice xmlns='urn:edigw:canonical:1'>\n"
	"<shipment-id>ASN-1</shipment-id><purpose>original</purpose><notice-date>2026-12-01</notice-date>\n"
	"<shipment><carrier><scac>UPSN</scac></carrier>\n"
	"<parties><party role='ship-to'><name>DC 7</name><id-qualifier>92</id-qualifier><id>0007</id></party></parties>\n"
	"<orders><order><po-number>PO-1</po-number><packs>\n"
	"<pack><sscc>00012345600000000017</sscc><items><item><number>1</number><vendor-item>V-1</vendor-item>"
	"<quantity>12</quantity><unit>EA</unit></item></items></pack>\n"
	"<pack><sscc>00012345600000000024</sscc><items><item><number>1</number><vendor-item>V-1</vendor-item>"
	"<quantity>12</quantity><unit>EA</unit></item><item><number>2</number><vendor-item>V-2</vendor-item>"
	"<quantity>6</quantity><unit>CA</unit></item></items></pack>\n"
	"</packs></order></orders></shipment></ship-notice>\n";

/* ------------------------------------------------------------------ tests */

START_TEST(test_x12_exports)
{
	struct env *e = env_new(NULL);
	put(e->x12exp, "order-response-1.csv", ORDRSP_CSV);
	put(e->x12exp, "invoice-1.csv", INVOICE_CSV);
	put(e->x12exp, "warehouse-shipping-order-1.csv", WHS_CSV);
	put(e->x12exp, "ship-notice-1.xml", SHIP_XML);
	put(e->x12exp, ".partial.csv", "being written");
	put(e->x12exp, "order-response-2.csv.tmp", "being written");
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0, "%.1000s", out);
	ck_assert_msg(strstr(out, "ERP export files sent on: 4, failed: 0") != NULL, "%.1000s", out);
	free(out);
	/* 855: two transaction sets (one per PO), our control numbers, valid enough for our own reader */
	char *x = outbound(e, "retailer", "855");
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(strstr(x, "GS*PR*ACMESUPPLY*RETAILER*"));
	ck_assert_ptr_nonnull(strstr(x, "ST*855*0001~BAK*00*AP*PO-1*20261122****SO-1*20261123~"));
	ck_assert_ptr_nonnull(strstr(x, "PO1*1*24*EA*12.5**BP*B-1*VP*V-1*UP*012345678905~ACK*IA*24*EA*068*20261201~"));
	ck_assert_ptr_nonnull(strstr(x, "ACK*IB*6*CA*068*20261215~"));
	ck_assert_ptr_nonnull(strstr(x, "ST*855*0002~BAK*00*RJ*PO-2*"));
	ck_assert_ptr_nonnull(strstr(x, "GE*2*"));
	free(x);
	x = outbound(e, "retailer", "810");
	ck_assert_ptr_nonnull(strstr(x, "BIG*20261202*INV-1*20261122*PO-1***DI~CUR*SE*EUR~"));
	ck_assert_ptr_nonnull(strstr(x, "TDS*58800~"));
	/* X12 is ASCII: the map folds the ERP's UTF-8 description ('ascii') */
	ck_assert_ptr_nonnull(strstr(x, "PID*F****Mueller's gadget~"));
	free(x);
	x = outbound(e, "retailer", "940");
	ck_assert_ptr_nonnull(strstr(x, "W05*N*WO-1*PO-1~N1*ST*DC 7~"));
	ck_assert_ptr_nonnull(strstr(x, "W76*30.5~"));
	free(x);
	x = outbound(e, "retailer", "856");
	ck_assert_ptr_nonnull(strstr(x, "HL*1**S*1~"));
	ck_assert_ptr_nonnull(strstr(x, "HL*2*1*O*1~PRF*PO-1~HL*3*2*P*1~MAN*GM*00012345600000000017~HL*4*3*I*0~"
					"LIN*1*VP*V-1~SN1**12*EA~HL*5*2*P*1~"));
	ck_assert_ptr_nonnull(strstr(x, "CTT*7~"));
	free(x);
	/* ERP files moved to sent/, files being written left alone */
	char *sent = pj(e->x12exp, "sent");
	ck_assert_int_eq(tu_count_files(sent), 4);
	ck_assert_int_eq(tu_count_files(e->x12exp), 1); /* order-response-2.csv.tmp; .partial is hidden */
	free(sent);
	/* the ledger: four interchanges awaiting acknowledgment */
	rc = tu_edigw(e->conf, &out, "status", NULL);
	ck_assert_msg(strstr(out, "awaiting") != NULL, "%.1000s", out);
	free(out);
	rc = tu_edigw(e->conf, &out, "track", "PO-2", NULL);
	ck_assert_msg(rc == 0 && strstr(out, "855") != NULL, "track PO-2: %.1000s", out);
	free(out);
	env_free(e);
}
END_TEST

/* The partner's 997 for our 855 settles it; a second copy of the ERP file is not sent. */
START_TEST(test_ack_and_resend)
{
	struct env *e = env_new("x12.line-breaks = yes\n");
	put(e->x12exp, "order-response-1.csv", ORDRSP_CSV);
	char *out = NULL;
	char *path = pj(e->x12exp, "order-response-1.csv");
	int rc = tu_edigw(e->conf, &out, "export", path, "--partner", "retailer", NULL);
	ck_assert_msg(rc == 0, "%.1000s", out);
	ck_assert_ptr_nonnull(strstr(out, "2 order-response record(s) as interchange 000000001"));
	free(out);
	char *x = outbound(e, "retailer", "855");
	ck_assert_ptr_nonnull(strstr(x, "~\nGS*PR*")); /* x12.line-breaks */
	char *gs = strstr(x, "GS*PR*");
	ck_assert_ptr_nonnull(gs);
	free(x);
	/* the same file again: refused, nothing queued */
	rc = tu_edigw(e->conf, &out, "export", path, "--partner", "retailer", NULL);
	ck_assert_int_eq(rc, 65);
	ck_assert_msg(strstr(out, "already sent") != NULL, "%.1000s", out);
	free(out);
	/* the retailer's 997 for group 1 */
	char *in = pj(e->dir, "fa.x12");
	writef(in, "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*ACMESUPPLY     *261122*1200*U*00401*"
		   "000000077*0*P*>~GS*FA*RETAILER*ACMESUPPLY*20261122*1200*77*X*004010~ST*997*0001~AK1*PR*1~"
		   "AK2*855*0001~AK5*A~AK2*855*0002~AK5*A~AK9*A*2*2*2~SE*8*0001~GE*1*77~IEA*1*000000077~");
	rc = tu_edigw(e->conf, &out, "ingest", in, "--partner", "retailer", NULL);
	ck_assert_int_eq(rc, 0);
	free(out);
	rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	free(out);
	rc = tu_edigw(e->conf, &out, "status", "--json", NULL);
	ck_assert_msg(strstr(out, "\"accepted\": 1") || strstr(out, "\"accepted\":1"), "%.1000s", out);
	free(out);
	free(in);
	free(path);
	env_free(e);
}
END_TEST

START_TEST(test_edifact_exports)
{
	struct env *e = env_new(NULL);
	put(e->ediexp, "order-response-1.csv", ORDRSP_CSV);
	put(e->ediexp, "invoice-1.csv", INVOICE_CSV);
	put(e->ediexp, "ship-notice-1.xml", SHIP_XML);
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0 && strstr(out, "sent on: 3, failed: 0"), "%.1000s", out);
	free(out);
	char *x = outbound(e, "eu", "DESADV");
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(strstr(x, "UNB+UNOC:3+5490000000001:14+4012345000009:14+"));
	ck_assert_ptr_nonnull(strstr(x, "UNH+1+DESADV:D:96A:UN:EAN005'BGM+351+ASN-1+9'DTM+137:20261201:102'"));
	ck_assert_ptr_nonnull(strstr(x, "CPS+1'CPS+2+1'PAC+1++201'PCI+33E'GIN+BJ+00012345600000000017'LIN+1'"
					"PIA+5+V-1:SA'QTY+12:12:EA'RFF+ON:PO-1'CPS+3+1'"));
	ck_assert_ptr_nonnull(strstr(x, "UNT+"));
	free(x);
	x = outbound(e, "eu", "INVOIC");
	/* UNOC: the UTF-8 ü is written in ISO 8859-1 (one byte), the apostrophe released with ? */
	ck_assert_ptr_nonnull(strstr(x, "IMD+F++:::M\xfcller?'s gadget'"));
	ck_assert_ptr_nonnull(strstr(x, "MOA+77:588'"));
	free(x);
	x = outbound(e, "eu", "ORDRSP");
	ck_assert_ptr_nonnull(strstr(x, "UNH+1+ORDRSP:D:96A:UN:EAN005'BGM+231+SO-1+9+AC'"));
	ck_assert_ptr_nonnull(strstr(x, "UNH+2+ORDRSP"));
	ck_assert_ptr_nonnull(strstr(x, "UNZ+2+"));
	free(x);
	env_free(e);
}
END_TEST

/* Bad ERP files: failed/ with a reason naming the line and column or the map line. */
START_TEST(test_failures)
{
	struct env *e = env_new(NULL);
	/* a quantity that is not a number, line 3 */
	put(e->x12exp, "order-response-bad.csv",
	    "po_number,po_date,ack_type,line,quantity,status\nPO-1,2026-11-22,accepted-with-detail,1,24,accepted\n"
	    "PO-1,2026-11-22,accepted-with-detail,2,lots,accepted\n");
	/* a ship notice item without our item number: the 856 map requires it (LIN03) */
	put(e->x12exp, "ship-notice-bad.xml",
	    "<ship-notice xmlns='urn:edigw:canonical:1'><shipment-id>S</shipment-id><purpose>original</purpose><notice-date>2026-12-01</notice-date>"
	    "<shipment><orders><order><po-number>P</po-number><items><item><quantity>1</quantity></item></items>"
	    "</order></orders></shipment></ship-notice>");
	/* not a kind the partner exports */
	put(e->x12exp, "price-list-1.csv", "a,b\n1,2\n");
	/* a record the canonical schema refuses */
	put(e->x12exp, "ship-notice-schema.xml",
	    "<ship-notice xmlns='urn:edigw:canonical:1'><notice-date>2026-12-01</notice-date></ship-notice>");
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0 && strstr(out, "sent on: 0, failed: 4"), "%.1000s", out);
	free(out);
	char *failed = pj(e->x12exp, "failed");
	char *r = pj(failed, "order-response-bad.csv.reason");
	char *t = tu_read(r, NULL);
	ck_assert_msg(t && strstr(t, "line 3, column 5 (quantity)"), "%s", t ? t : "(no reason)");
	free(t);
	free(r);
	r = pj(failed, "ship-notice-bad.xml.reason");
	t = tu_read(r, NULL);
	ck_assert_msg(t && strstr(t, "LIN03 for shipment[1]/orders/order[1]/items/item[1]: required, but vendor-item is "
				     "empty (map ") && strstr(t, "856.map:"),
		      "%s", t ? t : "(no reason)");
	free(t);
	free(r);
	r = pj(failed, "price-list-1.csv.reason");
	t = tu_read(r, NULL);
	ck_assert_msg(t && strstr(t, "starts with no kind partner retailer exports"), "%s", t ? t : "(no reason)");
	free(t);
	free(r);
	r = pj(failed, "ship-notice-schema.xml.reason");
	t = tu_read(r, NULL);
	ck_assert_msg(t && strstr(t, "does not match canonical.rng") && strstr(t, "shipment-id"), "%s",
		      t ? t : "(no reason)");
	free(t);
	free(r);
	ck_assert_int_eq(tu_count_files(failed), 8);
	/* the operator sees them in edigw status */
	rc = tu_edigw(e->conf, &out, "status", NULL);
	ck_assert_msg(strstr(out, "export for partner retailer: price-list-1.csv moved to") != NULL, "%.2000s", out);
	free(out);
	/* nothing queued, no control number used */
	char *ob = pj(e->dir, "spool/outbound/retailer");
	ck_assert_int_le(tu_count_files(ob), 0);
	free(ob);
	free(failed);
	env_free(e);
}
END_TEST

START_TEST(test_dry_run)
{
	struct env *e = env_new("x12.delimiters = |:^!\noutbound-usage = test\n");
	put(e->x12exp, "ship-notice-1.xml", SHIP_XML);
	char *path = pj(e->x12exp, "ship-notice-1.xml"), *out = NULL;
	int rc = tu_edigw(e->conf, &out, "export", path, "--partner", "retailer", "--dry-run", NULL);
	ck_assert_msg(rc == 0, "%.1000s", out);
	ck_assert_ptr_nonnull(strstr(out, "<shipment-id>ASN-1</shipment-id>"));
	ck_assert_ptr_nonnull(strstr(out, "<correlation-id>erp-export:ship-notice-1.xml</correlation-id>"));
	/* the partner's separators and test indicator */
	ck_assert_ptr_nonnull(strstr(out, "ISA|00|"));
	ck_assert_ptr_nonnull(strstr(out, "|T|:!GS|SH|"));
	ck_assert_ptr_nonnull(strstr(out, "would be sent"));
	free(out);
	char *ob = pj(e->dir, "spool/outbound/retailer");
	ck_assert_int_le(tu_count_files(ob), 0);
	free(ob);
	/* the file is where it was, and can still be sent */
	rc = tu_edigw(e->conf, &out, "export", path, "--partner", "retailer", NULL);
	ck_assert_msg(rc == 0, "%.1000s", out);
	free(out);
	char *x = outbound(e, "retailer", "856");
	ck_assert_ptr_nonnull(strstr(x, "|T|:!GS|SH|ACMESUPPLY|RETAILER|"));
	free(x);
	free(path);
	env_free(e);
}
END_TEST


/* An ERP that exports its own XML (ship notices) and fixed-width files (invoices). */
START_TEST(test_xml_and_fixed_exports)
{
	struct env *e = env_new(NULL);
	char *src = tu_srcpath(""), *pc = pj(e->dir, "partners/legacy.conf"), *dir = pj(e->dir, "export/legacy");
	writef(pc,
	       "id = legacy\nx12.qualifier = ZZ\nx12.id = LEGACYRETAIL\nx12.gs-id = LEGACYRETAIL\n"
	       "export-dir = ../export/legacy\n"
	       "export.invoice = %s/tests/data/export/invoice-fixed.map\n"
	       "outbound.invoice = %s/maps/x12-out/810.map\n"
	       "export.ship-notice = %s/maps/erp-export/ship-notice-xml.map\n"
	       "outbound.ship-notice = %s/maps/x12-out/856.map\n",
	       src, src, src, src);
	mkdir(dir, 0750);
	char *fx = pj(src, "tests/data/export/invoice-legacy.txt");
	size_t n = 0;
	char *text = tu_read(fx, &n);
	ck_assert_ptr_nonnull(text);
	put(dir, "invoice-legacy-1.txt", text);
	free(text);
	put(dir, "ship-notice-1.xml",
	    "<?xml version='1.0'?><Shipments><Shipment id='ASN-X' date='2026-12-01' time='16:30'>"
	    "<Carrier scac='UPSN' mode='M'>UPS GROUND</Carrier><BillOfLading>BOL-1</BillOfLading>"
	    "<ShipTo id='0007' qualifier='92'><Name>DC 7</Name></ShipTo>"
	    "<Order po='PO-1' date='2026-11-22'><Carton sscc='00012345600000000017'>"
	    "<Item line='1' sku='V-1' qty='12' uom='EA'/><Item line='2' sku='V-2' qty='6' uom='CA'/></Carton></Order>"
	    "<Order po='PO-2'><Carton sscc='00012345600000000024'><Item sku='V-9' qty='1'/></Carton></Order>"
	    "</Shipment></Shipments>");
	/* an item without our SKU: the XML map's required field names the document line */
	put(dir, "ship-notice-2.xml",
	    "<?xml version='1.0'?>\n<Shipments>\n<Shipment id='ASN-Y' date='2026-12-01'>\n<Order po='PO-3'>\n"
	    "<Carton sscc='1'>\n<Item qty='1'/>\n</Carton></Order></Shipment></Shipments>\n");
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0 && strstr(out, "sent on: 2, failed: 1"), "%.1000s", out);
	free(out);
	char *x = outbound(e, "legacy", "810");
	ck_assert_msg(x && strstr(x, "ST*810*0001~BIG*20261202*INV-7001**PO-1***DI~IT1*1*24*EA*12.5****VP*V-1~") &&
			      strstr(x, "TDS*58800~") && strstr(x, "ST*810*0002~BIG*20261203*INV-7002**PO-2***DI~") &&
			      strstr(x, "TDS*1000~"),
		      "%s", x ? x : "(no 810)");
	free(x);
	x = outbound(e, "legacy", "856");
	ck_assert_msg(x && strstr(x, "BSN*00*ASN-X*20261201*1630*0001~HL*1**S*1~TD5*B*2*UPSN*M*UPS GROUND~REF*BM*BOL-1~") &&
			      strstr(x, "HL*2*1*O*1~PRF*PO-1***20261122~HL*3*2*P*1~MAN*GM*00012345600000000017~HL*4*3*I*0~"
					"LIN*1*VP*V-1~SN1**12*EA~HL*5*3*I*0~LIN*2*VP*V-2~SN1**6*CA~") &&
			      strstr(x, "HL*6*1*O*1~PRF*PO-2~HL*7*6*P*1~") && strstr(x, "CTT*8~"),
		      "%s", x ? x : "(no 856)");
	free(x);
	char *r = pj(dir, "failed/ship-notice-2.xml.reason");
	char *t = tu_read(r, NULL);
	ck_assert_msg(t && strstr(t, "line 6") && strstr(t, "vendor-item") && strstr(t, "ship-notice-xml.map:"), "%s",
		      t ? t : "(no reason)");
	free(t);
	free(r);
	free(fx);
	free(dir);
	free(pc);
	free(src);
	env_free(e);
}
END_TEST


/* map test on a flat-file partner's CSV: records, findings with line and column, the
 * bad-row policy, the whole file refused; nothing written. */
START_TEST(test_map_test_flat)
{
	struct env *e = env_new(NULL);
	char *src = tu_srcpath(""), *pc = pj(e->dir, "partners/tpl.conf");
	writef(pc,
	       "id = tpl\nx12.qualifier = ZZ\nx12.id = DEMO3PL\nx12.gs-id = DEMO3PL\n"
	       "csv.document = SHIPCONF\ndocument.SHIPCONF = %s/partners/demo-3pl/shipconf.map\n"
	       "flat.bad-row = reject-row\n",
	       src);
	FILE *cf = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(cf);
	fprintf(cf, "erp.warehouse-shipping-advice = %s/maps/erp/warehouse-shipping-advice-csv.map\n", src);
	fclose(cf);
	char *good = pj(e->dir, "good.csv"), *bad = pj(e->dir, "bad.csv"), *broken = pj(e->dir, "broken.csv");
	writef(good, "order_no,status,ship_date,carrier,tracking,item,qty_shipped,uom,lot\n"
		     "WO-1,F,20261201,UPSN,1Z1,DL-000917,24,EA,L1\nWO-2,P,20261202,UPSN,1Z2,DL-000422,6,CA,\n");
	/* line 3: not a number; line 4: an item code items.csv does not know */
	writef(bad, "order_no,status,ship_date,carrier,tracking,item,qty_shipped,uom,lot\n"
		    "WO-1,F,20261201,UPSN,1Z1,DL-000917,24,EA,L1\nWO-1,F,20261201,UPSN,1Z1,DL-000422,six,CA,\n"
		    "WO-1,F,20261201,UPSN,1Z1,DL-999999,1,EA,\n");
	writef(broken, "order_no,status\n\"WO-1,F\n");
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "map", "test", good, "--partner", "tpl", NULL);
	ck_assert_msg(rc == 0 && strstr(out, "record SHIPCONF 1 (line 2, key WO-1): document.SHIPCONF") &&
			      strstr(out, "<order-number>WO-2</order-number>") &&
			      strstr(out, "H,WO-1,final,2026-12-01") && strstr(out, "L,WO-1,1,,WID-9,") &&
			      strstr(out, "2 document(s) tested, 0 rejected"),
		      "%.1500s", out);
	free(out);
	rc = tu_edigw(e->conf, &out, "map", "test", bad, "--partner", "tpl", NULL);
	ck_assert_msg(rc == 65 && strstr(out, "line 3, column 7 (qty_shipped)") && strstr(out, "shipconf.map:") &&
			      strstr(out, "line 4, column 6 (item)") && strstr(out, "cross-reference sku has no entry") &&
			      strstr(out, "flat.bad-row = reject-row: the gateway would leave the bad rows out"),
		      "%.1500s", out);
	free(out);
	rc = tu_edigw(e->conf, &out, "map", "test", broken, "--partner", "tpl", NULL);
	ck_assert_msg(rc == 65 && strstr(out, "the file as a whole is refused") && strstr(out, "line 2"), "%.1500s", out);
	free(out);
	/* nothing was written */
	char *sp = pj(e->dir, "spool");
	struct stat sb;
	ck_assert_int_ne(stat(sp, &sb), 0);
	free(sp);
	free(good);
	free(bad);
	free(broken);
	free(pc);
	free(src);
	env_free(e);
}
END_TEST


/* The ERP's shipment export as CSV (one row per item, rows of one carton not adjacent):
 * nested groups make orders, cartons and items, and the 856 has the HL levels. */
START_TEST(test_csv_ship_notice)
{
	struct env *e = env_new(NULL);
	char *src = tu_srcpath(""), *pc = pj(e->dir, "partners/asn.conf"), *dir = pj(e->dir, "export/asn");
	writef(pc,
	       "id = asn\nx12.qualifier = ZZ\nx12.id = ASNRETAIL\nx12.gs-id = ASNRETAIL\n"
	       "export-dir = ../export/asn\n"
	       "export.ship-notice = %s/maps/erp-export/ship-notice-csv.map\n"
	       "outbound.ship-notice = %s/maps/x12-out/856.map\n",
	       src, src);
	mkdir(dir, 0750);
	char *fx = pj(src, "tests/data/csv/erpasn.csv");
	char *text = tu_read(fx, NULL);
	ck_assert_ptr_nonnull(text);
	put(dir, "ship-notice-0001.csv", text);
	free(text);
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0 && strstr(out, "sent on: 1, failed: 0"), "%.1500s", out);
	free(out);
	char *x = outbound(e, "asn", "856");
	/* two shipments: two transaction sets; ASN-1's PO-1 has two cartons, whose rows were apart */
	ck_assert_msg(x && strstr(x, "ST*856*0001~BSN*00*ASN-1*20261201*1630*0001~HL*1**S*1~") &&
			      strstr(x, "PRF*PO-1***20261122~REF*VN*SO-88~HL*3*2*P*1~MAN*GM*00012345600000000017~") &&
			      strstr(x, "MAN*GM*00012345600000000024~") && strstr(x, "PRF*PO-2***20261123~") &&
			      strstr(x, "ST*856*0002~BSN*00*ASN-2*20261202*0000*0001~") && strstr(x, "GE*2*"),
		      "%s", x ? x : "(no 856)");
	free(x);
	free(fx);
	free(dir);
	free(pc);
	free(src);
	env_free(e);
}
END_TEST

/* An ERP that writes semicolons and Latin-1 (export-dir.delimiter, export-dir.encoding): read
 * as such for the partner configured so, and refused with a reason for one that is not. */
START_TEST(test_export_file_format)
{
	static const char inv[] =
		"invoice_number;invoice_date;po_number;po_date;currency;ship_date;bol;total;line;buyer_item;"
		"vendor_item;upc;quantity;unit;price;description\r\n"
		"INV-7;2026-12-02;PO-7;2026-11-22;EUR;2026-12-01;BOL-7;588.00;1;B-1;V-1;;24;EA;12.50;\"Widget, blue\"\r\n"
		"INV-7;2026-12-02;PO-7;2026-11-22;EUR;2026-12-01;BOL-7;588.00;2;B-2;V-2;;6;CA;48.00;M\xfcller's gadget\r\n";
	struct env *e = env_new("export-dir.delimiter = ;\nexport-dir.encoding = ISO-8859-1\n");
	put(e->x12exp, "invoice-7.csv", inv);
	put(e->ediexp, "invoice-7.csv", inv);
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0 && strstr(out, "ERP export files sent on: 1, failed: 1"), "%.1000s", out);
	free(out);
	char *x = outbound(e, "retailer", "810");
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(strstr(x, "BIG*20261202*INV-7*20261122*PO-7***DI~"));
	ck_assert_msg(strstr(x, "PID*F****Widget, blue~") && strstr(x, "PID*F****Mueller's gadget~"), "%s", x);
	free(x);
	/* the EDIFACT partner expects the default (comma, UTF-8): one column, no invoice_number */
	char *r = pj(e->ediexp, "failed/invoice-7.csv.reason");
	char *t = tu_read(r, NULL);
	ck_assert_msg(t && strstr(t, "not readable as CSV: line 2") && strstr(t, "the header has 1"), "%s",
		      t ? t : "(no reason)");
	free(t);
	free(r);
	env_free(e);
}
END_TEST

static void expect_config_error(const char *extra, const char *want)
{
	struct env *e = env_new(extra);
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "config", "check", NULL);
	ck_assert_msg(rc != 0 && strstr(out, want), "config check with '%s': rc %d\n%s", extra, rc, out);
	free(out);
	env_free(e);
}

START_TEST(test_config_checks)
{
	expect_config_error("x12.delimiters = **~^\n", "x12.delimiters: four different punctuation characters");
	expect_config_error("export.order-change = /nonexistent.map\n",
			    "export.order-change needs an outbound.order-change line");
	expect_config_error("edifact.syntax = UTF8\n", "edifact.syntax: a syntax identifier and version");
	expect_config_error("export-dir.delimiter = ;;\n", "export-dir.delimiter: one printable character");
	expect_config_error("export-dir.encoding = KLINGON-8\n",
			    "export-dir.encoding: iconv does not know the encoding 'KLINGON-8'");
	expect_config_error("csv.encoding = KLINGON-8\n", "csv.encoding: iconv does not know");
	char *bad = NULL, *src = tu_srcpath("maps/x12-out/855.map");
	ck_assert_int_gt(asprintf(&bad, "export.order = canonical\noutbound.order = %s\n", src), 0);
	expect_config_error(bad, "outbound.order uses map");
	free(bad);
	free(src);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_x12_exports);
	tcase_add_test(tc, test_ack_and_resend);
	tcase_add_test(tc, test_edifact_exports);
	tcase_add_test(tc, test_failures);
	tcase_add_test(tc, test_dry_run);
	tcase_add_test(tc, test_xml_and_fixed_exports);
	tcase_add_test(tc, test_map_test_flat);
	tcase_add_test(tc, test_csv_ship_notice);
	tcase_add_test(tc, test_config_checks);
	tcase_add_test(tc, test_export_file_format);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
