/* check_edi_schema — EDIFACT message definitions (maps/schemas/edifact) on the X12
 * definition engine: every release and message loads, realistic messages validate
 * clean, each error family gives its ISO 9735 0085 code and position, partial code
 * lists warn with 12, EANCOM association codes pass, partner overlays apply, the
 * public corpus files of these types are judged with explained findings. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edifact/edi_schema.h"
#include "edifact/edifact.h"
#include "testutil.h"
#include "x12/x12_schema.h"

static struct x12_schema *g_schema;

/* What a parse saw: the findings of every message, each message's definition. */
struct run {
	const struct x12_overlay *ov;
	struct edi_view view;
	struct x12_errlist errs, warns;
	int messages, undefined, rc;
	char key[64];
};

/* Handler: find the definition and validate; envelope findings stay in res. */
static int on_msg(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct run *r = ctx;
	(void)res;
	r->messages++;
	const struct x12_txn_def *def = edi_overlay_find(r->ov, g_schema, msg->version, msg->release, msg->type);
	if (!def) {
		r->undefined++;
		return 0;
	}
	int n = edi_schema_validate(def, msg, &r->view, 0, &r->errs, &r->warns);
	ck_assert_int_ge(n, 0);
	struct edi_val k = edi_schema_key(def, msg);
	snprintf(r->key, sizeof r->key, "%.*s", (int)k.n, k.p ? k.p : "");
	return 0;
}

/* Parse text (an interchange) and validate its messages, through overlay ov (may be NULL). */
static struct run *run_ov(const char *text, const struct x12_overlay *ov)
{
	struct run *r = calloc(1, sizeof *r);
	struct edi_reader *rd;
	struct x12_error err;
	struct edi_handler h = { 0 };
	r->ov = ov;
	ck_assert_int_eq(edi_reader_new_mem(&rd, text, strlen(text), NULL), 0);
	h.ctx = r;
	h.message = on_msg;
	memset(&err, 0, sizeof err);
	r->rc = edi_parse(rd, &h, NULL, &err);
	x12_error_free(&err);
	edi_reader_free(rd);
	return r;
}

static struct run *run(const char *text)
{
	return run_ov(text, NULL);
}

static void run_free(struct run *r)
{
	edi_view_free(&r->view);
	x12_errlist_free(&r->errs);
	x12_errlist_free(&r->warns);
	free(r);
}

/* Print the findings (for a failing test's log). */
static void dump(const char *what, const struct x12_errlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char *d = x12_error_describe(&l->v[i]);
		fprintf(stderr, "  %s: [%s] %s\n", what, l->v[i].code, d);
		free(d);
	}
}

/* The only finding of l has this code, segment, position, element and component. */
static void expect1(const struct x12_errlist *l, const char *code, const char *seg, uint64_t pos, int elem,
		    int comp)
{
	if (l->n != 1)
		dump("finding", l);
	ck_assert_uint_eq(l->n, 1);
	ck_assert_str_eq(l->v[0].code, code);
	ck_assert_str_eq(l->v[0].seg_id, seg);
	ck_assert_uint_eq(l->v[0].seg_pos, pos);
	ck_assert_int_eq(l->v[0].elem_pos, elem);
	ck_assert_int_eq(l->v[0].comp_pos, comp);
}

/* An interchange around message segments body (UNH..UNT written here, UNT counted). */
static char *ic(const char *syntax, const char *unh_s009, const char *body)
{
	int nseg = 2;
	for (const char *p = body; *p; p++)
		nseg += *p == '\'';
	size_t n = strlen(body) + 256;
	char *s = malloc(n);
	snprintf(s, n, "UNB+%s+SENDER:14+RECEIVER:14+240131:1200+IC1'UNH+M1+%s'%sUNT+%d+M1'UNZ+1+IC1'", syntax,
		 unh_s009, body, nseg);
	return s;
}

/* Validate one message body; rc of the parse must be 0 and the message defined. */
static struct run *msg(const char *unh_s009, const char *body)
{
	char *t = ic("UNOC:3", unh_s009, body);
	struct run *r = run(t);
	free(t);
	ck_assert_int_eq(r->rc, 0);
	ck_assert_int_eq(r->messages, 1);
	ck_assert_int_eq(r->undefined, 0);
	return r;
}

/* The message is clean: no errors, no warnings. */
static void clean(const char *unh_s009, const char *body)
{
	struct run *r = msg(unh_s009, body);
	if (r->errs.n || r->warns.n) {
		dump("error", &r->errs);
		dump("warning", &r->warns);
	}
	ck_assert_uint_eq(r->errs.n, 0);
	ck_assert_uint_eq(r->warns.n, 0);
	run_free(r);
}

static void setup(void)
{
	struct diag_list d;
	char *root = tu_srcpath("maps/schemas");
	diag_list_init(&d);
	int rc = edi_schema_load(&g_schema, root, &d);
	if (rc < 0)
		diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(d.nerrors, 0);
	diag_list_free(&d);
	free(root);
}

static void teardown(void)
{
	x12_schema_free(g_schema);
	g_schema = NULL;
}

/* ------------------------------------------------------------ loading */

START_TEST(test_every_message_loads)
{
	static const char *const types[] = { "ORDERS", "ORDRSP", "DESADV", "INVOIC", "APERAK", "CONTRL" };
	static const char *const rels[] = { "96A", "01B" };
	ck_assert(x12_schema_is_edifact(g_schema));
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 6; j++) {
			const struct x12_txn_def *d = edi_schema_find(g_schema, "D", rels[i], types[j]);
			ck_assert_msg(d != NULL, "%s D%s", types[j], rels[i]);
			ck_assert_str_eq(x12_txn_def_id(d), types[j]);
			ck_assert_str_eq(x12_txn_def_version(d), i == 0 ? "D96A" : "D01B");
		}
	/* CONTRL answers its own versions (D:3, 2:2) from a release directory */
	const struct x12_txn_def *c = edi_schema_find(g_schema, "D", "3", "CONTRL");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(x12_txn_def_id(c), "CONTRL");
	ck_assert_ptr_nonnull(edi_schema_find(g_schema, "2", "2", "CONTRL"));
	ck_assert_ptr_null(edi_schema_find(g_schema, "4", "1", "CONTRL"));
	ck_assert_ptr_null(edi_schema_find(g_schema, "D", "3", "ORDERS"));
	ck_assert_ptr_null(edi_schema_find(g_schema, "D", "97A", "ORDERS"));
	ck_assert_ptr_null(edi_schema_find(g_schema, "D", "96A", "IFTMIN"));
	ck_assert_ptr_null(edi_schema_find(g_schema, "D", "96A1234", "ORDERS")); /* longer than a directory */
	ck_assert_ptr_null(edi_schema_find(g_schema, "", "96A", "ORDERS"));
	/* the X12 loader does not see EDIFACT and the other way round */
	ck_assert_ptr_null(x12_schema_find(g_schema, "004010", "850"));
}
END_TEST

/* Write one release directory of a test schema. */
static void write_release(const char *root, const char *rel, const char *el, const char *sg, const char *name,
			  const char *msgdef)
{
	char path[512];
	snprintf(path, sizeof path, "%s/edifact/%s", root, rel);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/edifact/%s/elements.def", root, rel);
	ck_assert_int_eq(tu_write(path, el, strlen(el)), 0);
	snprintf(path, sizeof path, "%s/edifact/%s/segments.def", root, rel);
	ck_assert_int_eq(tu_write(path, sg, strlen(sg)), 0);
	snprintf(path, sizeof path, "%s/edifact/%s/%s", root, rel, name);
	ck_assert_int_eq(tu_write(path, msgdef, strlen(msgdef)), 0);
}

/* A definition error names file:line and refuses the whole schema. */
START_TEST(test_load_errors)
{
	char *tmp = tu_tmpdir();
	char path[512];
	struct diag_list d;
	struct x12_schema *s = NULL;
	const char *el = "element 0062 an..14 message reference number\n"
			 "element 0065 an..6\n"
			 "element 0074 n..6\n"
			 "element 1004 an 1 35 document number\n"
			 "element 0081 a1\n"
			 "codes 0081 full D S\n";
	const char *sg = "composite S009\n  0065 M\nend\n"
			 "segment UNH\n  0062 M\n  S009 M\nend\n"
			 "segment UNT\n  0074 M\n  0062 M\nend\n"
			 "segment BGM\n  1004 C\nend\n"
			 "segment UNS\n  0081 M\nend\n";
	const char *ms = "message ORDERS\nUNH M 1\nBGM M 1\nloop SG1 C 10\n  BGM M 1\nend\nUNS M 1\nUNT M 1\n";
	snprintf(path, sizeof path, "%s/edifact", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	/* the good release loads on its own */
	write_release(tmp, "D96A", el, sg, "ORDERS.def", ms);
	diag_list_init(&d);
	ck_assert_int_eq(edi_schema_load(&s, tmp, &d), 0);
	ck_assert_ptr_nonnull(edi_schema_find(s, "D", "96A", "ORDERS"));
	x12_schema_free(s);
	diag_list_free(&d);
	/* a bad element dictionary, bad segments, a bad message header: three directories */
	write_release(tmp, "D93A",
		      "element 65 an..6\n"     /* line 1: not 4 digits */
		      "element 1005 x..3\n"    /* line 2: no such format */
		      "element 1006 an..0\n"   /* line 3: length 0 */
		      "element 1007 AN 1 35\n", /* line 4: an X12 type */
		      sg, "ORDERS.def", ms);
	write_release(tmp, "D95B", el,
		      "composite X001\n  0065 M\nend\n"  /* line 1: not C/S/E nnn */
		      "segment BGM\n  1004 Q\nend\n",   /* line 5: usage Q */
		      "ORDERS.def", ms);
	write_release(tmp, "D97A", el, sg, "APERAK.def", "transaction APERAK AP\nUNH M 1\nUNT M 1\n");
	diag_list_init(&d);
	ck_assert_int_eq(edi_schema_load(&s, tmp, &d), -EINVAL);
	ck_assert_ptr_null(s);
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < d.n; i++)
		buf_printf(&b, "%s:%zu: %s\n", d.v[i].file ? d.v[i].file : "", d.v[i].line, d.v[i].msg);
	ck_assert_ptr_nonnull(strstr(b.data, "D93A/elements.def:1: element reference '65' is not a 4-digit"));
	ck_assert_ptr_nonnull(strstr(b.data, "D93A/elements.def:2: unknown EDIFACT format 'x..3'"));
	ck_assert_ptr_nonnull(strstr(b.data, "D93A/elements.def:3: unknown EDIFACT format 'an..0'"));
	ck_assert_ptr_nonnull(strstr(b.data, "D93A/elements.def:4: unknown EDIFACT format 'AN'"));
	ck_assert_ptr_nonnull(strstr(b.data, "D95B/segments.def:1: composite id 'X001' must be C, S or E"));
	ck_assert_ptr_nonnull(strstr(b.data, "D95B/segments.def:5: usage 'Q' must be M, C"));
	ck_assert_ptr_nonnull(strstr(b.data, "D97A/APERAK.def:1: the file must start with 'message APERAK'"));
	ck_assert_ptr_null(strstr(b.data, "D96A/"));
	buf_free(&b);
	diag_list_free(&d);
	/* an empty edifact folder */
	char *tmp2 = tu_tmpdir();
	snprintf(path, sizeof path, "%s/edifact", tmp2);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	diag_list_init(&d);
	ck_assert_int_eq(edi_schema_load(&s, tmp2, &d), -ENOENT);
	diag_list_free(&d);
	tu_rmtree(tmp2);
	free(tmp2);
	tu_rmtree(tmp);
	free(tmp);
}
END_TEST

/* ------------------------------------------------------------ valid messages */

static const char ORDERS96[] =
	"BGM+220+PO-4500012345+9'"
	"DTM+137:20240131:102'"
	"DTM+2:20240207:102'"
	"FTX+AAI+++Deliver to gate 4, mornings only'"
	"RFF+CT:K-2023-118'"
	"DTM+171:20230101:102'"
	"NAD+BY+4012345000008::9++Retail Buyer GmbH+Hauptstrasse 1+Berlin++10115+DE'"
	"RFF+VA:DE123456789'"
	"CTA+PD+:J. Meier'"
	"COM+49301234567:TE'"
	"NAD+SU+4012345000009::9'"
	"NAD+DP+4012345000016::9'"
	"CUX+2:EUR:9'"
	"PAT+1++5:3:D:30'"
	"TDT+20++30'"
	"LIN+1++4001234567893:EN'"
	"PIA+1+ART-778:SA'"
	"IMD+F++:::Blue widget, 10 mm'"
	"QTY+21:48:PCE'"
	"DTM+2:20240207:102'"
	"PRI+AAA:12.50'"
	"RFF+LI:1'"
	"LIN+2++4001234567909:EN'"
	"QTY+21:-1,5'"
	"PRI+AAA:0.99:CT:NTP:1:PCE'"
	"UNS+S'"
	"MOA+79:600.99'"
	"CNT+2:2'";

START_TEST(test_valid_messages_d96a)
{
	struct run *r;
	clean("ORDERS:D:96A:UN:EAN008", ORDERS96);
	r = msg("ORDERS:D:96A:UN", ORDERS96);
	ck_assert_str_eq(r->key, "PO-4500012345"); /* key BGM02 */
	run_free(r);
	clean("ORDRSP:D:96A:UN:EAN005",
	      "BGM+231+RSP-77+9+AC'DTM+137:20240201:102'RFF+ON:PO-4500012345'DTM+171:20240131:102'"
	      "NAD+SU+4012345000009::9'NAD+BY+4012345000008::9'"
	      "LIN+1+5+4001234567893:EN'QTY+21:40:PCE'DTM+2:20240210:102'PRI+AAA:12.50'"
	      "LIN+2+7+4001234567909:EN'QTY+21:0'UNS+S'CNT+2:2'");
	clean("DESADV:D:96A:UN:EAN005",
	      "BGM+351+DES-9001+9'DTM+137:202402011530:203'DTM+11:20240201:102'MEA+AAX+AAD+KGM:120.5'"
	      "RFF+ON:PO-4500012345'NAD+SU+4012345000009::9'NAD+DP+4012345000016::9'"
	      "TDT+20++30+31+CARRIER XYZ'CPS+1'PAC+2++201'CPS+2+1'PAC+1++PK'PCI+33E'"
	      "GIN+BJ+340123450000000017'LIN+1++4001234567893:EN'QTY+12:48:PCE'RFF+ON:PO-4500012345:1'CNT+2:1'");
	clean("INVOIC:D:96A:UN:EAN007",
	      "BGM+380+INV-2024-0042+9'DTM+137:20240205:102'DTM+131:20240201:102'"
	      "RFF+ON:PO-4500012345'RFF+DQ:DES-9001'NAD+SU+4012345000009::9'RFF+VA:DE987654321'"
	      "NAD+BY+4012345000008::9'CUX+2:EUR:4'PAT+1++5:3:D:30'"
	      "LIN+1++4001234567893:EN'QTY+47:48:PCE'MOA+203:600'PRI+AAA:12.50'TAX+7+VAT+++:::19+S'"
	      "UNS+S'CNT+2:1'MOA+86:714'MOA+79:600'MOA+125:600'MOA+176:114'TAX+7+VAT+++:::19+S'MOA+124:114'");
	clean("APERAK:D:96A:UN:EAN002",
	      "BGM++AP-1+9'DTM+137:20240131:102'RFF+ACW:M1'DTM+171:20240131:102'NAD+MS+4012345000008::9'"
	      "ERC+12'FTX+AAO+++BGM 1004 is missing'RFF+ON:PO-1'FTX+AAO+++order unknown'");
}
END_TEST

START_TEST(test_valid_messages_d01b)
{
	struct run *r;
	const char *orders = "BGM+220+PO-2024-7:3+9'DTM+137:20240131:102'GIR+3+LOT-1:BX'RFF+ON:PO-2024-7'"
			     "NAD+BY+4012345000008::9++Buyer+Street 1+Town+BE:Bavaria+80331+DE'"
			     "LIN+A1++4001234567893:EN'QTY+21:12.5 to 13:KGM'MTD+9+1'PRI+AAA:4.5'UNS+S'";
	clean("ORDERS:D:01B:UN:EAN010", orders);
	r = msg("ORDERS:D:01B:UN:EAN010", orders);
	ck_assert_str_eq(r->key, "PO-2024-7"); /* key BGM02-1 (C106) */
	run_free(r);
	clean("ORDRSP:D:01B:UN:EAN008",
	      "BGM+231+RSP-1+29'DTM+137:20240201:102'RFF+ON:PO-2024-7'NAD+SU+4012345000009::9'"
	      "LIN+1+5+4001234567893:EN'QTY+21:12'UNS+S'");
	clean("DESADV:D:01B:UN:EAN007",
	      "BGM+351+DES-1+9'DTM+137:20240201:102'CUX+2:EUR:9'NAD+SU+4012345000009::9'"
	      "TDT+20++30'TMD+3'CPS+1'QVR+5:21+BP'PAC+1++201'PCI+33E'GIR+3+LOT7:BX'DTM+36:20250101:102'"
	      "COD+:::STEEL'LIN+1++4001234567893:EN'QTY+12:48'HAN+EAT'CNT+2:1'");
	clean("INVOIC:D:01B:UN:EAN008",
	      "BGM+380+INV-9+9'DTM+137:20240205:102'RFF+ON:PO-2024-7'NAD+SU+4012345000009::9'"
	      "TDT+20++30'TSR+27'LIN+1++4001234567893:EN'PGI+ZZZ+:::high value goods'QTY+47:48'"
	      "PRI+AAA:12.50'CUX+2:EUR:4'UNS+S'MOA+86:600'");
	clean("APERAK:D:01B:UN:EAN003",
	      "BGM++AP-2+9'DOC+220+PO-2024-7'DTM+171:20240131:102'ERC+12'RFF+ON:PO-2024-7'FTX+AAO+++unknown'");
}
END_TEST

START_TEST(test_valid_contrl)
{
	/* CONTRL:D:3 (syntax 3) and 2:2: a message rejected for a missing segment and an element */
	clean("CONTRL:D:3:UN:EAN002",
	      "UCI+IC9+SENDER:14+RECEIVER:14+4'UCM+M7+ORDERS:D:96A:UN:EAN008+4'UCS+3+13'UCD+12+2:1'"
	      "UCM+M8+ORDERS:D:96A:UN+7'");
	clean("CONTRL:2:2:UN", "UCI+IC9+SENDER+RECEIVER+7'");
	/* a CONTRL with groups (SG3 UCF) */
	clean("CONTRL:D:3:UN", "UCI+IC9+SENDER+RECEIVER+7'UCF+G1+APP1+APP2+4+13'UCM+M1+INVOIC:D:96A:UN+4'UCS+5+13'");
}
END_TEST

/* ------------------------------------------------------------ error families */

START_TEST(test_segment_families)
{
	struct run *r;
	/* unknown tag: 15 at its position (UNH = 1), the rest checked as if absent */
	r = msg("ORDERS:D:96A:UN", "BGM+220+PO1+9'DTM+137:20240131:102'XYZ+1'UNS+S'");
	expect1(&r->errs, "15", "XYZ", 4, 0, 0);
	run_free(r);
	/* a directory segment that is not part of ORDERS */
	r = msg("ORDERS:D:96A:UN", "BGM+220+PO1+9'DTM+137:20240131:102'ERC+12'UNS+S'");
	expect1(&r->errs, "15", "ERC", 4, 0, 0);
	run_free(r);
	/* out of order: BGM after DTM */
	r = msg("ORDERS:D:96A:UN", "BGM+220+PO1+9'DTM+137:20240131:102'BGM+220+PO2+9'UNS+S'");
	expect1(&r->errs, "15", "BGM", 4, 0, 0);
	run_free(r);
	/* a group's segment with its group not open: COM needs SG5 CTA */
	r = msg("ORDERS:D:96A:UN", "BGM+220+PO1+9'DTM+137:20240131:102'NAD+BY+1::9'COM+1:TE'UNS+S'");
	expect1(&r->errs, "15", "COM", 5, 0, 0);
	run_free(r);
	/* missing mandatory segments: DTM (reported where found missing: at UNS) and UNS (at UNT) */
	r = msg("ORDERS:D:96A:UN", "BGM+220+PO1+9'UNS+S'");
	expect1(&r->errs, "13", "DTM", 3, 0, 0);
	run_free(r);
	r = msg("ORDERS:D:96A:UN", "BGM+220+PO1+9'DTM+137:20240131:102'");
	expect1(&r->errs, "13", "UNS", 4, 0, 0);
	run_free(r);
	/* a mandatory group: INVOIC summary SG48 MOA (D96A) */
	r = msg("INVOIC:D:96A:UN", "BGM+380+I1+9'DTM+137:20240131:102'UNS+S'");
	expect1(&r->errs, "13", "MOA", 5, 0, 0);
	ck_assert_str_eq(r->errs.v[0].loop_id, "SG48");
	run_free(r);
	/* a mandatory segment inside a group: summary SG? ALC needs MOA (ORDERS D96A) */
	r = msg("ORDERS:D:96A:UN", "BGM+220+PO1+9'DTM+137:20240131:102'UNS+S'ALC+C'UNT+7+M1'");
	ck_assert_uint_ge(r->errs.n, 1);
	ck_assert_str_eq(r->errs.v[0].code, "13");
	ck_assert_str_eq(r->errs.v[0].seg_id, "MOA");
	run_free(r);
}
END_TEST

/* n DTM segments after BGM. */
static char *dtms(int n)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "BGM+220+PO1+9'");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "DTM+137:20240131:102'");
	buf_printf(&b, "UNS+S'");
	return b.data;
}

START_TEST(test_repetition_limits)
{
	/* ORDERS D96A: DTM M 35 — 34 and 35 clean, 36 gives 35 at the 36th DTM (position 37) */
	char *b = dtms(34);
	clean("ORDERS:D:96A:UN", b);
	free(b);
	b = dtms(35);
	clean("ORDERS:D:96A:UN", b);
	free(b);
	b = dtms(36);
	struct run *r = msg("ORDERS:D:96A:UN", b);
	expect1(&r->errs, "35", "DTM", 38, 0, 0);
	run_free(r);
	free(b);
	/* APERAK D96A SG1 RFF C 9: 8 and 9 clean, 10 gives 36 at the 10th RFF */
	for (int n = 8; n <= 10; n++) {
		struct buf m;
		buf_init(&m, 0);
		buf_printf(&m, "BGM++AP1+9'");
		for (int i = 0; i < n; i++)
			buf_printf(&m, "RFF+ACW:M%d'", i);
		r = msg("APERAK:D:96A:UN", m.data);
		if (n < 10)
			ck_assert_uint_eq(r->errs.n, 0);
		else {
			expect1(&r->errs, "36", "RFF", 12, 0, 0);
			ck_assert_str_eq(r->errs.v[0].loop_id, "SG1");
		}
		run_free(r);
		buf_free(&m);
	}
}
END_TEST

START_TEST(test_element_families)
{
	struct run *r;
	const char *ord = "ORDERS:D:96A:UN";
	char body[512];
	/* too long: BGM 1004 an..35 — 35 clean, 36 gives 39 at BGM (2) element 2 */
	snprintf(body, sizeof body, "BGM+220+%s+9'DTM+137:20240131:102'UNS+S'", "12345678901234567890123456789012345");
	clean(ord, body);
	snprintf(body, sizeof body, "BGM+220+%s+9'DTM+137:20240131:102'UNS+S'", "123456789012345678901234567890123456");
	r = msg(ord, body);
	expect1(&r->errs, "39", "BGM", 2, 2, 0);
	ck_assert_int_eq(r->errs.v[0].elem_ref, 1004);
	run_free(r);
	/* too short / too long on a fixed length: UCI 0013 a3 */
	r = msg("CONTRL:D:3:UN", "UCI+IC9+S+R+4+13+UN'");
	expect1(&r->errs, "40", "UCI", 2, 6, 0);
	run_free(r);
	r = msg("CONTRL:D:3:UN", "UCI+IC9+S+R+4+13+UNHX'");
	expect1(&r->errs, "39", "UCI", 2, 6, 0);
	run_free(r);
	clean("CONTRL:D:3:UN", "UCI+IC9+S+R+4+13+UNH'");
	/* mandatory element missing: DTM C507 2005 (component 1) */
	r = msg(ord, "BGM+220+PO1+9'DTM+:20240131:102'UNS+S'");
	expect1(&r->errs, "13", "DTM", 3, 1, 1);
	ck_assert_int_eq(r->errs.v[0].elem_ref, 2005);
	run_free(r);
	/* mandatory composite missing: QTY C186 */
	r = msg(ord, "BGM+220+PO1+9'DTM+137:20240131:102'LIN+1'QTY'UNS+S'");
	expect1(&r->errs, "13", "QTY", 5, 1, 0);
	run_free(r);
	/* too many data elements: BGM has 4 in D96A */
	r = msg(ord, "BGM+220+PO1+9+AB+X'DTM+137:20240131:102'UNS+S'");
	expect1(&r->errs, "16", "BGM", 2, 5, 0);
	run_free(r);
	/* too many components: C507 has 3 */
	r = msg(ord, "BGM+220+PO1+9'DTM+137:20240131:102:X'UNS+S'");
	expect1(&r->errs, "16", "DTM", 3, 1, 4);
	run_free(r);
	/* a component in a simple data element: BGM 1004 */
	r = msg(ord, "BGM+220+PO1:X+9'DTM+137:20240131:102'UNS+S'");
	expect1(&r->errs, "16", "BGM", 2, 2, 2);
	run_free(r);
	/* a code outside a full list: UNS 0081 D|S */
	r = msg(ord, "BGM+220+PO1+9'DTM+137:20240131:102'UNS+X'");
	expect1(&r->errs, "12", "UNS", 4, 1, 0);
	ck_assert_int_eq(r->errs.v[0].elem_ref, 81);
	ck_assert_str_eq(r->errs.v[0].bad_value, "X");
	run_free(r);
	/* alphabetic: a digit in UNS 0081 (a1) is 37, not 12 */
	r = msg(ord, "BGM+220+PO1+9'DTM+137:20240131:102'UNS+1'");
	expect1(&r->errs, "37", "UNS", 4, 1, 0);
	run_free(r);
	/* CONTRL 0085 is a full list: 44 is not a syntax error code */
	r = msg("CONTRL:D:3:UN", "UCI+IC9+S+R+4+44'");
	expect1(&r->errs, "12", "UCI", 2, 5, 0);
	run_free(r);
	/* an empty composite ("+::") is an absent one: no 13 for NAD C082 3039 */
	clean(ord, "BGM+220+PO1+9'DTM+137:20240131:102'NAD+BY+::+Name'UNS+S'");
}
END_TEST

/* One QTY value checked in ORDERS D96A (6060 n..15): the code, or NULL for clean. */
static void qty(const char *value, const char *code)
{
	char body[256];
	snprintf(body, sizeof body, "BGM+220+PO1+9'DTM+137:20240131:102'LIN+1'QTY+21:%s'UNS+S'", value);
	struct run *r = msg("ORDERS:D:96A:UN", body);
	if (!code) {
		if (r->errs.n)
			dump("error", &r->errs);
		ck_assert_uint_eq(r->errs.n, 0);
	} else {
		expect1(&r->errs, code, "QTY", 5, 1, 2);
		ck_assert_int_eq(r->errs.v[0].elem_ref, 6060);
	}
	run_free(r);
}

START_TEST(test_numeric_format)
{
	qty("48", NULL);
	qty("-48", NULL);
	qty("12.5", NULL);
	qty("12,5", NULL);  /* either decimal mark, whatever UNA says */
	qty("0.001", NULL);
	/* length counts digits only: 15 digits with a sign and a decimal mark are fine, 16 not */
	qty("-12345678901234.5", NULL);
	qty("123456789012345", NULL);
	qty("1234567890123456", "39");
	qty("-1234567890123.456", "39");
	qty("1O", "37");    /* letter O */
	qty("1-2", "37");
	qty("-", "37");
	qty("5-", "37");
	qty("1 000", "37");
	qty("1.2.3", "19");
	qty("1.2,3", "19");
	qty("5.", "19");
	qty(".5", "38");
	qty("-.5", "38");
	qty("1E3", "37");
}
END_TEST

START_TEST(test_qualifiers_and_eancom)
{
	struct run *r;
	const char *base = "BGM+220+PO1+9'DTM+137:20240131:102'";
	char body[256];
	/* an unknown NAD 3035 qualifier: the list is partial, so a warning with 12 and its position */
	snprintf(body, sizeof body, "%sNAD+XX+4012345000008::9'UNS+S'", base);
	r = msg("ORDERS:D:96A:UN", body);
	ck_assert_uint_eq(r->errs.n, 0);
	expect1(&r->warns, "12", "NAD", 4, 1, 0);
	ck_assert_int_eq(r->warns.v[0].elem_ref, 3035);
	ck_assert_str_eq(r->warns.v[0].bad_value, "XX");
	run_free(r);
	/* DTM 2005, QTY 6063, RFF 1153, PRI 5125, BGM 1001: same */
	snprintf(body, sizeof body, "BGM+999+PO1+9'DTM+999:20240131:102'RFF+ZZZ:1'LIN+1'QTY+999:1'PRI+ZZZ:1'UNS+S'");
	r = msg("ORDERS:D:96A:UN", body);
	ck_assert_uint_eq(r->errs.n, 0);
	ck_assert_uint_eq(r->warns.n, 5);
	static const struct { const char *seg; uint64_t pos; int elem, comp, ref; } w[] = {
		{ "BGM", 2, 1, 1, 1001 }, { "DTM", 3, 1, 1, 2005 }, { "RFF", 4, 1, 1, 1153 },
		{ "QTY", 6, 1, 1, 6063 }, { "PRI", 7, 1, 1, 5125 },
	};
	for (size_t i = 0; i < 5; i++) {
		ck_assert_str_eq(r->warns.v[i].code, "12");
		ck_assert_str_eq(r->warns.v[i].seg_id, w[i].seg);
		ck_assert_uint_eq(r->warns.v[i].seg_pos, w[i].pos);
		ck_assert_int_eq(r->warns.v[i].elem_pos, w[i].elem);
		ck_assert_int_eq(r->warns.v[i].comp_pos, w[i].comp);
		ck_assert_int_eq(r->warns.v[i].elem_ref, w[i].ref);
	}
	run_free(r);
	/* UNH: EANCOM association codes on the UN definitions; 0057 is an..6 */
	snprintf(body, sizeof body, "%sUNS+S'", base);
	clean("ORDERS:D:96A:UN:EAN008", body);
	clean("ORDERS:D:96A:UN:EAN010", body);
	clean("ORDERS:D:01B:UN:EAN010", body);
	r = msg("ORDERS:D:96A:UN:EAN0081", body);
	expect1(&r->errs, "39", "UNH", 1, 2, 5);
	run_free(r);
	/* an agency outside the (partial) 0051 list warns */
	r = msg("ORDERS:D:96A:ZZ", body);
	ck_assert_uint_eq(r->errs.n, 0);
	expect1(&r->warns, "12", "UNH", 1, 2, 4);
	run_free(r);
}
END_TEST

START_TEST(test_repetition_separator)
{
	/* syntax 4: '*' repeats a data element; BGM 1004 does not repeat: 35 at repetition 2 */
	char *t = ic("UNOC:4", "ORDERS:D:96A:UN", "BGM+220+PO1*PO2+9'DTM+137:20240131:102'UNS+S'");
	struct run *r = run(t);
	ck_assert_int_eq(r->rc, 0);
	expect1(&r->errs, "35", "BGM", 2, 2, 0);
	ck_assert_int_eq(r->errs.v[0].rep_pos, 2);
	run_free(r);
	free(t);
}
END_TEST

/* A message built by hand (no reader): controls cannot come through a reader. */
START_TEST(test_invalid_character)
{
	struct edi_val unh[] = { { "M1", 2 } }, s009[] = { { "ORDERS", 6 }, { "D", 1 }, { "96A", 3 }, { "UN", 2 } };
	struct edi_val bgm1[] = { { "220", 3 } }, bgm2[] = { { "PO\x01", 3 } };
	struct edi_val dtm[] = { { "137", 3 }, { "20240131", 8 }, { "102", 3 } }, uns[] = { { "S", 1 } };
	struct edi_val unt1[] = { { "5", 1 } }, unt2[] = { { "M1", 2 } };
	struct edi_elem e_unh[3] = { { 0 }, { 1, unh, NULL }, { 4, s009, NULL } };
	struct edi_elem e_bgm[3] = { { 0 }, { 1, bgm1, NULL }, { 1, bgm2, NULL } };
	struct edi_elem e_dtm[2] = { { 0 }, { 3, dtm, NULL } };
	struct edi_elem e_uns[2] = { { 0 }, { 1, uns, NULL } };
	struct edi_elem e_unt[3] = { { 0 }, { 1, unt1, NULL }, { 1, unt2, NULL } };
	struct edi_seg segs[5] = {
		{ "UNH", 2, e_unh, 1, 1, 0 }, { "BGM", 2, e_bgm, 2, 1, 0 }, { "DTM", 1, e_dtm, 3, 1, 0 },
		{ "UNS", 1, e_uns, 4, 1, 0 }, { "UNT", 2, e_unt, 5, 1, 0 },
	};
	struct edi_msg m = { 0 };
	m.nseg = 5;
	m.segs = segs;
	memcpy(m.type, "ORDERS", 7);
	const struct x12_txn_def *def = edi_schema_find(g_schema, "D", "96A", "ORDERS");
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(edi_schema_validate(def, &m, NULL, 0, &errs, NULL), 1);
	expect1(&errs, "21", "BGM", 2, 2, 0);
	x12_errlist_free(&errs);
	/* UTF-8 (decoded UNOC) counts characters: 35 x 'ä' (70 bytes) fits an..35 */
	char big[80];
	for (int i = 0; i < 35; i++)
		memcpy(big + 2 * i, "\xc3\xa4", 2);
	bgm2[0] = (struct edi_val){ big, 70 };
	ck_assert_int_eq(edi_schema_validate(def, &m, NULL, 0, &errs, NULL), 0);
	memcpy(big + 70, "\xc3\xa4", 2);
	bgm2[0] = (struct edi_val){ big, 72 };
	ck_assert_int_eq(edi_schema_validate(def, &m, NULL, 0, &errs, NULL), 1);
	expect1(&errs, "39", "BGM", 2, 2, 0);
	x12_errlist_free(&errs);
	/* bad arguments, an X12 definition */
	ck_assert_int_eq(edi_schema_validate(NULL, &m, NULL, 0, &errs, NULL), -EINVAL);
	ck_assert_int_eq(edi_schema_validate(def, NULL, NULL, 0, &errs, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ overlays */

START_TEST(test_overlay)
{
	char *tmp = tu_tmpdir();
	char path[512];
	struct diag_list d;
	struct x12_overlay *o = NULL;
	snprintf(path, sizeof path, "%s/ov.def", tmp);
	const char *ov = "transaction D96A ORDERS\n"
			 "require SG1/RFF\n"          /* the reference group becomes mandatory */
			 "max-use DTM 2\n"
			 "allow-code NAD01 ZZ\n"
			 "message D01B ORDERS\n"
			 "require SG25/PIA\n";       /* line 6: D01B ORDERS' line items are SG28 */
	ck_assert_int_eq(tu_write(path, ov, strlen(ov)), 0);
	diag_list_init(&d);
	ck_assert_int_eq(x12_overlay_load(&o, g_schema, path, &d), -EINVAL);
	ck_assert_uint_eq(d.nerrors, 1);
	ck_assert_uint_eq(d.v[0].line, 6);
	diag_list_free(&d);
	ov = "transaction D96A ORDERS\nrequire SG1/RFF\nmax-use DTM 2\nallow-code NAD01 ZZ\n"
	     "message D01B ORDERS\nrequire SG29/PIA\n";
	ck_assert_int_eq(tu_write(path, ov, strlen(ov)), 0);
	diag_list_init(&d);
	ck_assert_int_eq(x12_overlay_load(&o, g_schema, path, &d), -EINVAL); /* SG29 of D01B ORDERS is CCI */
	diag_list_free(&d);
	ov = "transaction D96A ORDERS\nrequire SG1/RFF\nmax-use DTM 2\nallow-code NAD01 ZZ\n"
	     "message D01B ORDERS\nrequire SG28/SG32/DTM\n";
	ck_assert_int_eq(tu_write(path, ov, strlen(ov)), 0);
	diag_list_init(&d);
	ck_assert_int_eq(x12_overlay_load(&o, g_schema, path, &d), 0);
	ck_assert_uint_eq(x12_overlay_count(o), 2);
	diag_list_free(&d);
	ck_assert_ptr_nonnull(x12_txn_def_overlay(edi_overlay_find(o, g_schema, "D", "96A", "ORDERS")));
	ck_assert_ptr_null(x12_txn_def_overlay(edi_overlay_find(o, g_schema, "D", "96A", "INVOIC")));

	char *t = ic("UNOC:3", "ORDERS:D:96A:UN",
		     "BGM+220+PO1+9'DTM+137:20240131:102'DTM+2:20240131:102'DTM+4:20240131:102'"
		     "NAD+ZZ+1::9'UNS+S'");
	struct run *r = run_ov(t, o);
	/* the third DTM: 35 (max-use 2); SG1 missing: 13 (reported at NAD, where it was due) */
	ck_assert_uint_eq(r->errs.n, 2);
	ck_assert_str_eq(r->errs.v[0].code, "35");
	ck_assert_uint_eq(r->errs.v[0].seg_pos, 5);
	ck_assert_str_eq(r->errs.v[1].code, "13");
	ck_assert_str_eq(r->errs.v[1].seg_id, "RFF");
	ck_assert_str_eq(r->errs.v[1].loop_id, "SG1");
	ck_assert_uint_eq(r->errs.v[1].seg_pos, 6);
	/* NAD+ZZ accepted for this partner: a warning naming the overlay */
	expect1(&r->warns, "12", "NAD", 6, 1, 0);
	ck_assert_ptr_nonnull(strstr(r->warns.v[0].msg, "accepted for this partner"));
	run_free(r);
	free(t);
	/* without the overlay the same message has no errors */
	t = ic("UNOC:3", "ORDERS:D:96A:UN", "BGM+220+PO1+9'DTM+137:20240131:102'DTM+2:20240131:102'"
					    "DTM+4:20240131:102'NAD+BY+1::9'UNS+S'");
	r = run(t);
	ck_assert_uint_eq(r->errs.n, 0);
	run_free(r);
	free(t);
	x12_overlay_free(o);
	tu_rmtree(tmp);
	free(tmp);
}
END_TEST

/* ------------------------------------------------------------ corpus */

/* A corpus file as an interchange: fragments without UNB (UNA, UNH..UNT) get one. */
static char *as_interchange(const char *text)
{
	if (strstr(text, "UNB+"))
		return strdup(text);
	const char *body = text;
	struct buf b;
	buf_init(&b, 0);
	if (strncmp(text, "UNA", 3) == 0 && strlen(text) >= 9) {
		buf_append(&b, text, 9);
		body = text + 9;
	}
	buf_printf(&b, "UNB+UNOA:3+SENDER+RECEIVER+240101:1200+1'%sUNZ+1+1'", body);
	return b.data;
}

/* The public corpus files of our types and releases: each parses, is defined, and has
 * exactly the findings explained here. */
START_TEST(test_corpus)
{
	char *c = tu_corpus();
	if (!c) {
		fprintf(stderr, "check_edi_schema: no corpus folder: corpus test skipped\n");
		return;
	}
	static const char FX[] = "edifact-rs/crates/edifact-rs/tests/fixtures/";
	static const struct {
		const char *path;
		size_t errors, warnings;
		const char *first;  /* first error: code and segment, "" none */
		const char *second;
	} files[] = {
		/* EANCOM EAN008 order with a decimal comma (UNA), DTM format 203 */
		{ "pydifact/tests/data/order.edi", 0, 0, "", "" },
		{ "pydifact/tests/data/order2.edi", 0, 0, "", "" },
		/* NAD with a name and address but no party id; country 'xx' (3207 has no list) */
		{ "pydifact/tests/data/wikipedia_de.edi", 0, 0, "", "" },
		/* APERAK BGM+27: 1001 code 27 is not in our (partial) list: a warning */
		{ "pydifact/tests/data/messages/v3/aperak.edi", 0, 1, "", "" },
		{ "pydifact/tests/data/messages/v3/aperak_rejected.edi", 0, 1, "", "" },
		{ "pydifact/tests/data/messages/v4/aperak.edi", 0, 1, "", "" },
		{ "pydifact/tests/data/messages/v4/aperak_rejected.edi", 0, 1, "", "" },
		/* edifact-rs fixtures are bare UNH..UNT (wrapped here); their "conforming" orders
		 * and invoices have no UNS (13 at UNT), the invoices no summary MOA group either */
		{ "d96a_orders_conforming.edi", 1, 0, "13 UNS", "" },
		{ "d01b_orders_conforming.edi", 1, 0, "13 UNS", "" },
		{ "d96a_invoic_conforming.edi", 2, 0, "13 UNS", "13 MOA" },
		{ "d01b_invoic_conforming.edi", 2, 0, "13 UNS", "13 MOA" },
		/* "malformed": BGM before UNH (outside the message: the reader's), so BGM is missing
		 * (13 at DTM) and UNS too; NAD+ZZZ is outside the partial 3035 list (a warning) */
		{ "d96a_orders_malformed.edi", 2, 1, "13 BGM", "13 UNS" },
		{ "d01b_orders_malformed.edi", 2, 1, "13 BGM", "13 UNS" },
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[1024], got[16];
		const char *rel = files[i].path;
		snprintf(path, sizeof path, "%s/%s%s", c, strchr(rel, '/') ? "" : FX, rel);
		char *raw = tu_read(path, NULL);
		if (!raw) {
			fprintf(stderr, "check_edi_schema: %s missing: skipped\n", rel);
			continue;
		}
		char *text = as_interchange(raw);
		struct run *r = run(text);
		if (r->errs.n != files[i].errors || r->warns.n != files[i].warnings) {
			fprintf(stderr, "%s:\n", rel);
			dump("error", &r->errs);
			dump("warning", &r->warns);
		}
		ck_assert_int_eq(r->rc, 0);
		ck_assert_int_eq(r->messages, 1);
		ck_assert_int_eq(r->undefined, 0);
		ck_assert_uint_eq(r->errs.n, files[i].errors);
		ck_assert_uint_eq(r->warns.n, files[i].warnings);
		for (size_t k = 0; k < r->errs.n && k < 2; k++) {
			snprintf(got, sizeof got, "%s %s", r->errs.v[k].code, r->errs.v[k].seg_id);
			ck_assert_str_eq(got, k ? files[i].second : files[i].first);
		}
		run_free(r);
		free(text);
		free(raw);
	}
	free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("edi_schema");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_message_loads);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_valid_messages_d96a);
	tcase_add_test(tc, test_valid_messages_d01b);
	tcase_add_test(tc, test_valid_contrl);
	tcase_add_test(tc, test_segment_families);
	tcase_add_test(tc, test_repetition_limits);
	tcase_add_test(tc, test_element_families);
	tcase_add_test(tc, test_numeric_format);
	tcase_add_test(tc, test_qualifiers_and_eancom);
	tcase_add_test(tc, test_repetition_separator);
	tcase_add_test(tc, test_invalid_character);
	tcase_add_test(tc, test_overlay);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
