/*
 * check_inspect — `edigw inspect --ack 997|999` through the real binary: the exact
 * acknowledgment bytes for a good and a bad 850, a 999, no ack for an ack, the TA1
 * rules, a partner's settings and documents, the same ack as the gateway writes for
 * the same file (dates and control numbers masked), usage errors, the
 * SOURCE_DATE_EPOCH limit and no side effects (no spool, no ledger); and
 * `edigw map test`: the canonical record, the ERP lines and the acknowledgment of a good
 * and a bad 850 and an EDIFACT ORDERS, --doc, usage, and nothing written.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define EPOCH "1709647620" /* 2024-03-05 14:07 UTC */

/* --------------------------------------------------------------- fixture */

struct env {
	char *dir, *conf, *in;
};

static char *pj(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", a, b);
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

/* A configuration with the shipped definitions and one partner "retailer" (ZZ RETAILER)
 * sending 850s, with the given ack and ta1 settings. */
static struct env *env_new(const char *ack, const char *ta1)
{
	struct env *e = calloc(1, sizeof *e);
	e->dir = tu_tmpdir();
	e->conf = pj(e->dir, "edigw.conf");
	e->in = pj(e->dir, "in");
	mkdir(e->in, 0750);
	char *parts = pj(e->dir, "partners");
	mkdir(parts, 0750);
	char *rng = tu_srcpath("doc/canonical.rng");
	char *erpmap = tu_srcpath("maps/erp/order-csv.map");
	char *map850 = tu_srcpath("maps/x12/850.map");
	char *schemas = tu_srcpath("maps/schemas");
	writef(e->conf,
	       "spool = spool\nerp-dir = erp\npartners-dir = partners\ncanonical-schema = %s\n"
	       "schema-dir = %s\n"
	       "our.x12.qualifier = ZZ\nour.x12.id = ACMESUPPLY\nour.x12.gs-id = ACMESUPPLY\n"
	       "erp.order = %s\npoll-interval = 1s\n",
	       rng, schemas, erpmap);
	char *pc = pj(parts, "retailer.conf");
	writef(pc,
	       "id = retailer\nx12.qualifier = ZZ\nx12.id = RETAILER\nx12.gs-id = RETAILER\n"
	       "document.850 = %s\nack = %s\nta1 = %s\n",
	       map850, ack, ta1);
	free(pc);
	free(parts);
	free(rng);
	free(erpmap);
	free(map850);
	free(schemas);
	return e;
}

static void env_free(struct env *e)
{
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->conf);
	free(e->in);
	free(e);
}

/* Run edigw -q -c CONF args...; returns the exit code, output in *out (may be NULL). */
static int edigw(struct env *e, char **out, ...)
{
	const char *args[32];
	int n = 0;
	args[n++] = "-q";
	args[n++] = "-c";
	args[n++] = e->conf;
	va_list ap;
	va_start(ap, out);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 31)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	return tu_run(out, args);
}

/* Path of a fixture in tests/data/inspect (allocated). */
static char *fixture(const char *name)
{
	char *rel = pj("tests/data/inspect", name);
	char *p = tu_srcpath(rel);
	free(rel);
	return p;
}

/* Write text as a file in the fixture's input directory; returns its path (allocated). */
static char *input(struct env *e, const char *name, const char *text)
{
	char *p = pj(e->in, name);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
	return p;
}

/* Run inspect --ack TYPE [extra args] FILE with --ack-out; the ack bytes (allocated, ""
 * when none), the exit code in *ex and the report in *report (when not NULL). */
static char *inspect_ack(struct env *e, const char *type, const char *file, const char *partner,
			 int *ex, char **report)
{
	char *outp = pj(e->dir, "ack.out");
	unlink(outp);
	char *rep = NULL;
	int rc = partner ? edigw(e, &rep, "inspect", "--partner", partner, "--ack", type, "--ack-out",
				 outp, file, NULL)
			 : edigw(e, &rep, "inspect", "--ack", type, "--ack-out", outp, file, NULL);
	char *ack = tu_read(outp, NULL);
	ck_assert_msg(ack != NULL, "no --ack-out file (exit %d): %s", rc, rep);
	if (ex)
		*ex = rc;
	if (report)
		*report = rep;
	else
		free(rep);
	free(outp);
	return ack;
}

/* An ISA from RETAILER to us, exactly 106 bytes with its terminator. */
static char *isa(unsigned icn, char ack_req)
{
	char buf[128];
	snprintf(buf, sizeof buf,
		 "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*ACMESUPPLY     *261122*0930*U*"
		 "00401*%09u*%c*P*>~",
		 icn, ack_req);
	ck_assert_uint_eq(strlen(buf), 106);
	return strdup(buf);
}

static const char PO_GOOD[] = "ST*850*0001~BEG*00*SA*PO-1001**20261122~N1*ST*Retail DC 7*92*0007~"
			      "PO1*1*24*EA*12.50**BP*SKU-1~CTT*1~SE*6*0001~";
static const char PO_BAD[] = "ST*850*0002~BEG*00*SA***20261399~N1*ST*Store 12*92*0012~"
			     "PO1*1*1O*EA*3.99**BP*SKU-2~CTT*1~SE*6*0002~";
static const char POA_855[] = "ST*855*0003~BAK*00*AD*PO-1001*20261122~CTT*0~SE*4*0003~";

/* One interchange: a group with GS01 fid holding body; iea_icn NULL: the right IEA02. */
static char *interchange(unsigned icn, char ack_req, const char *fid, const char *gs08, int nst,
			 const char *body, const char *iea_icn)
{
	char *i = isa(icn, ack_req);
	size_t cap = strlen(body) + 512;
	char *s = malloc(cap);
	char ic[16];
	snprintf(ic, sizeof ic, "%09u", icn);
	snprintf(s, cap, "%sGS*%s*RETAILER*ACMESUPPLY*20261122*0930*7*X*%s~%sGE*%d*7~IEA*1*%s~\n", i,
		 fid, gs08, body, nst, iea_icn ? iea_icn : ic);
	free(i);
	return s;
}

/* The ack with the fields that come from the clock or a ledger replaced by '#': ISA09,
 * ISA10, ISA13, GS04, GS05, GS06, ST02, SE02, GE02, IEA02. Allocated. */
static char *mask(const char *ack)
{
	size_t n = strlen(ack);
	char *r = calloc(1, n + 1);
	if (n < 106) {
		memcpy(r, ack, n + 1);
		return r;
	}
	char el = ack[3], seg = ack[105];
	size_t o = 0;
	const char *p = ack;
	while (*p) {
		const char *end = strchr(p, seg);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char id[4] = { 0 };
		for (int k = 0; k < 3 && (size_t)k < len && p[k] != el; k++)
			id[k] = p[k];
		int pos = 0;
		for (size_t k = 0; k < len; k++) {
			if (p[k] == el) {
				pos++;
				r[o++] = el;
				int masked = (!strcmp(id, "ISA") && (pos == 9 || pos == 10 || pos == 13)) ||
					     (!strcmp(id, "GS") && pos >= 4 && pos <= 6) ||
					     ((!strcmp(id, "ST") || !strcmp(id, "SE") || !strcmp(id, "GE") ||
					       !strcmp(id, "IEA")) && pos == 2);
				if (masked) {
					r[o++] = '#';
					while (k + 1 < len && p[k + 1] != el)
						k++;
				}
				continue;
			}
			r[o++] = p[k];
		}
		if (!end)
			break;
		r[o++] = seg;
		p = end + 1;
	}
	r[o] = '\0';
	return r;
}

static void compare_with_gateway(struct env *e, const char *type, const char *doc);

/* ------------------------------------------------------------------ tests */

static const char GOOD_997[] =
	"ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       *240305*1407*U*00401*"
	"000000001*0*P*>~"
	"GS*FA*ACMESUPPLY*RETAILER*20240305*1407*1*X*004010~"
	"ST*997*0001~AK1*PO*7~AK2*850*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~"
	"GE*1*1~IEA*1*000000001~";

/* A good 850: exactly the 997 the gateway would send (control numbers 1, the given time). */
START_TEST(test_good_850)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("good-850.x12");
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "997", f, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, GOOD_997);
	ck_assert_msg(strstr(rep, "--ack 997: 1 acknowledgment interchange(s) written to ") != NULL,
		      "%s", rep);
	free(rep);
	/* without --ack-out: after the usual report, on stdout, followed by a newline */
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "997", f, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "1 transaction set(s) validated against their definitions"));
	const char *hdr = strstr(out, "--ack 997: the acknowledgment edigw would send");
	ck_assert_msg(hdr != NULL, "%s", out);
	const char *nl = strchr(hdr, '\n');
	ck_assert_ptr_nonnull(nl);
	size_t n = strlen(GOOD_997);
	ck_assert_int_eq(strncmp(nl + 1, GOOD_997, n), 0);
	ck_assert_str_eq(nl + 1 + n, "\n");
	free(out);
	free(ack);
	free(f);
	env_free(e);
}
END_TEST

static const char BAD_997[] =
	"ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       *240305*1407*U*00401*"
	"000000001*0*P*>~"
	"GS*FA*ACMESUPPLY*RETAILER*20240305*1407*1*X*004010~"
	"ST*997*0001~AK1*PO*7~AK2*850*0001~AK5*A~"
	"AK2*850*0002~AK3*BEG*2**8~AK4*3*324*1~AK4*5*373*8*20261399~AK3*PO1*4**8~AK4*2*330*6*1O~"
	"AK5*R*5~AK9*P*2*2*1~SE*13*0001~"
	"GE*1*1~IEA*1*000000001~";

/* A group with a good and a bad 850: AK3/AK4 for the bad one, AK5 R 5, AK9 P 2 2 1. */
START_TEST(test_bad_850)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("bad-850.x12");
	int ex = -1;
	char *ack = inspect_ack(e, "997", f, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 65);
	ck_assert_str_eq(ack, BAD_997);
	free(ack);
	free(f);
	env_free(e);
}
END_TEST

/* --ack 999 gives a 999 (GS08/ST03 005010X231A1, AK103 the inbound GS08, IK3/IK4/IK5, the
 * CTX naming the PO1 loop's line). */
START_TEST(test_999)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("bad-850.x12");
	char *ack = inspect_ack(e, "999", f, NULL, NULL, NULL);
	ck_assert_str_eq(ack,
			 "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       *240305*1407*"
			 "U*00401*000000001*0*P*>~"
			 "GS*FA*ACMESUPPLY*RETAILER*20240305*1407*1*X*005010X231A1~"
			 "ST*999*0001*005010X231A1~AK1*PO*7*004010~AK2*850*0001~IK5*A~"
			 "AK2*850*0002~IK3*BEG*2**8~IK4*3*324*1~IK4*5*373*8*20261399~IK3*PO1*4**8~"
			 "CTX*PO101>1~IK4*2*330*6*1O~IK5*R*5~AK9*P*2*2*1~SE*14*0001~"
			 "GE*1*1~IEA*1*000000001~");
	free(ack);
	free(f);
	env_free(e);
}
END_TEST

/* Never an ack for an ack: a 997 in a GS01 = FA group gets nothing, even with ISA14 = 1. */
START_TEST(test_no_ack_for_ack)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("ack-997.x12");
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "997", f, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "");
	ck_assert_msg(strstr(rep, "edigw would send no acknowledgment (never an acknowledgment for an "
				  "acknowledgment (GS01 = FA))") != NULL, "%s", rep);
	free(rep);
	free(ack);
	char *doc = interchange(43, '1', "FA", "004010", 1, "ST*997*0001~AK1*PO*7~AK9*A*1*1*1~SE*4*0001~",
				NULL);
	char *p = input(e, "fa-isa14.x12", doc);
	ack = inspect_ack(e, "999", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "");
	/* on stdout, the same sentence and no ISA */
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "997", p, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "edigw would send no acknowledgment"));
	ck_assert_ptr_null(strstr(out, "ISA*"));
	free(out);
	free(ack);
	free(p);
	free(doc);
	free(f);
	env_free(e);
}
END_TEST

/* The TA1 rules: a rejected interchange gets its TA1 only; ISA14 = 1 adds TA1 A 000. */
START_TEST(test_ta1)
{
	struct env *e = env_new("997", "on-error");
	char *doc = interchange(42, '0', "PO", "004010", 1, PO_GOOD, "000000099");
	char *p = input(e, "iea02.x12", doc);
	int ex = -1;
	char *ack = inspect_ack(e, "997", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 65);
	ck_assert_str_eq(ack, "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       "
			      "*240305*1407*U*00401*000000001*0*P*>~"
			      "TA1*000000042*261122*0930*R*001~IEA*0*000000001~");
	free(ack);
	free(p);
	free(doc);
	doc = interchange(42, '1', "PO", "004010", 1, PO_GOOD, NULL);
	p = input(e, "isa14.x12", doc);
	ack = inspect_ack(e, "997", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       "
			      "*240305*1407*U*00401*000000001*0*P*>~"
			      "TA1*000000042*261122*0930*A*000~"
			      "GS*FA*ACMESUPPLY*RETAILER*20240305*1407*1*X*004010~"
			      "ST*997*0001~AK1*PO*7~AK2*850*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~"
			      "GE*1*1~IEA*1*000000001~");
	free(ack);
	free(p);
	free(doc);
	env_free(e);
}
END_TEST

/* --partner: its ta1 setting (never: nothing for a rejected interchange) and its documents
 * (AK5 1 for a set it is not configured for). */
START_TEST(test_partner)
{
	struct env *e = env_new("997", "never");
	char *doc = interchange(42, '1', "PO", "004010", 1, PO_GOOD, "000000099");
	char *p = input(e, "iea02.x12", doc);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "997", p, "retailer", &ex, &rep);
	ck_assert_int_eq(ex, 65);
	ck_assert_str_eq(ack, "");
	ck_assert_msg(strstr(rep, "no acknowledgment (a rejected interchange gets no 997/999, "
				  "and the ta1 setting sends it no TA1)") != NULL,
		      "%s", rep);
	free(rep);
	free(ack);
	/* without --partner the default ta1 (on-error) applies */
	ack = inspect_ack(e, "997", p, NULL, &ex, NULL);
	ck_assert_ptr_nonnull(strstr(ack, "TA1*000000042*261122*0930*R*001~"));
	free(ack);
	free(p);
	free(doc);
	doc = interchange(44, '0', "PR", "004010", 1, POA_855, NULL);
	p = input(e, "855.x12", doc);
	ack = inspect_ack(e, "997", p, "retailer", &ex, &rep);
	ck_assert_int_eq(ex, 65);
	ck_assert_msg(strstr(ack, "AK1*PR*7~AK2*855*0003~AK5*R*1~AK9*R*1*1*0~") != NULL, "%s",
		      ack);
	ck_assert_ptr_nonnull(strstr(rep, "not configured for partner retailer"));
	free(rep);
	free(ack);
	/* without --partner no partner document list applies: the 855 is accepted */
	ack = inspect_ack(e, "997", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_ptr_nonnull(strstr(ack, "AK2*855*0003~AK5*A~AK9*A*1*1*1~"));
	free(ack);
	free(p);
	free(doc);
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--partner", "nobody", "--ack", "997", "x", NULL), 69);
	free(out);
	env_free(e);
}
END_TEST

/* An interchange without a group (IEA01 = 0): nothing to acknowledge, no TA1 unless its
 * envelope is in error or ISA14 = 1 asks for one where there are transaction sets. */
START_TEST(test_empty_interchange)
{
	struct env *e = env_new("997", "on-error");
	char *i = isa(45, '1');
	size_t n = strlen(i) + 64;
	char *doc = malloc(n);
	snprintf(doc, n, "%sIEA*0*000000045~\n", i);
	char *p = input(e, "empty.x12", doc);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "997", p, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "");
	ck_assert_msg(strstr(rep, "no acknowledgment (no functional group to acknowledge and no TA1 "
				  "due)") != NULL, "%s", rep);
	free(rep);
	free(ack);
	free(p);
	free(doc);
	free(i);
	env_free(e);
}
END_TEST

/* --partner runs the partner's map like the gateway: BEG01 99 is not in the 850 map's
 * purpose table (the definitions have no code list for it), an AK4 code 7 from the map. */
START_TEST(test_partner_map)
{
	struct env *e = env_new("997", "on-error");
	char *doc = interchange(46, '0', "PO", "004010", 1,
				"ST*850*0001~BEG*99*SA*PO-1001**20261122~N1*ST*Retail DC 7*92*0007~"
				"PO1*1*24*EA*12.50**BP*SKU-1~CTT*1~SE*6*0001~",
				NULL);
	char *p = input(e, "beg01.x12", doc);
	int ex = -1;
	char *ack = inspect_ack(e, "997", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_ptr_nonnull(strstr(ack, "AK2*850*0001~AK5*A~AK9*A*1*1*1~"));
	free(ack);
	char *rep = NULL;
	ack = inspect_ack(e, "997", p, "retailer", &ex, &rep);
	ck_assert_int_eq(ex, 65);
	ck_assert_msg(strstr(ack, "AK2*850*0001~AK3*BEG*2**8~AK4*1*353*7*99~AK5*R*5~AK9*R*1*1*0~") != NULL,
		      "%s\n%s", ack, rep);
	free(rep);
	free(ack);
	compare_with_gateway(e, "997", doc);
	free(p);
	free(doc);
	env_free(e);
}
END_TEST

/* Two interchanges: two ack interchanges, ISA13 1 and 2. */
START_TEST(test_two_interchanges)
{
	struct env *e = env_new("997", "on-error");
	char *a = interchange(42, '0', "PO", "004010", 1, PO_GOOD, NULL);
	char *b = interchange(43, '0', "PO", "004010", 1, PO_BAD, NULL);
	size_t n = strlen(a) + strlen(b) + 1;
	char *doc = malloc(n);
	snprintf(doc, n, "%s%s", a, b);
	char *p = input(e, "two.x12", doc);
	char *rep = NULL;
	char *ack = inspect_ack(e, "997", p, NULL, NULL, &rep);
	ck_assert_ptr_nonnull(strstr(rep, "2 acknowledgment interchange(s) written"));
	const char *i2 = strstr(ack + 1, "ISA*");
	ck_assert_ptr_nonnull(i2);
	ck_assert_int_eq(strncmp(ack + 90, "000000001", 9), 0);
	ck_assert_int_eq(strncmp(i2 + 90, "000000002", 9), 0);
	ck_assert_ptr_nonnull(strstr(ack, "IEA*1*000000001~ISA*"));
	ck_assert_ptr_nonnull(strstr(i2, "AK5*R*5~AK9*R*1*1*0~"));
	free(rep);
	free(ack);
	free(p);
	free(doc);
	free(a);
	free(b);
	env_free(e);
}
END_TEST

/* The gateway's own ack for the same file (ingest, run --once, outbound/retailer) is the
 * preview's (--partner retailer), but for the clock and the ledger's control numbers. */
static void compare_with_gateway(struct env *e, const char *type, const char *doc)
{
	char *p = input(e, "doc.x12", doc);
	char *preview = inspect_ack(e, type, p, "retailer", NULL, NULL);
	char *out = NULL;
	int rc = edigw(e, &out, "ingest", p, "--partner", "retailer", NULL);
	ck_assert_msg(rc == 0, "ingest: %s", out);
	free(out);
	rc = edigw(e, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0, "run: %s", out);
	free(out);
	char *dir = pj(e->dir, "spool/outbound/retailer");
	size_t cap = 1, len = 0;
	char *sent = calloc(1, cap);
	for (int k = 0;; k++) {
		char *name = tu_nth_file(dir, k);
		if (!name)
			break;
		char *fp = pj(dir, name);
		char *c = tu_read(fp, NULL);
		cap += strlen(c);
		sent = realloc(sent, cap);
		memcpy(sent + len, c, strlen(c) + 1);
		len += strlen(c);
		free(c);
		free(fp);
		free(name);
	}
	char *m1 = mask(preview), *m2 = mask(sent);
	ck_assert_msg(strcmp(m1, m2) == 0, "%s\npreview: %s\ngateway: %s", e->conf, m1, m2);
	free(m1);
	free(m2);
	free(sent);
	free(dir);
	free(preview);
	free(p);
}

/* compare_with_gateway for a partner with these ack and ta1 settings. */
static void same_as_gateway(const char *ack_setting, const char *ta1, const char *type,
			    const char *doc)
{
	struct env *e = env_new(ack_setting, ta1);
	compare_with_gateway(e, type, doc);
	env_free(e);
}

START_TEST(test_same_as_gateway)
{
	char *good = interchange(42, '0', "PO", "004010", 1, PO_GOOD, NULL);
	size_t n = strlen(PO_GOOD) + strlen(PO_BAD) + 1;
	char *two = malloc(n);
	snprintf(two, n, "%s%s", PO_GOOD, PO_BAD);
	char *mixed = interchange(42, '1', "PO", "004010", 2, two, NULL);
	char *rejected = interchange(42, '1', "PO", "004010", 1, PO_GOOD, "000000099");
	char *fa = interchange(42, '1', "FA", "004010", 1, "ST*997*0001~AK1*PO*7~AK9*A*1*1*1~SE*4*0001~",
			       NULL);
	char *other = interchange(42, '0', "PR", "004010", 1, POA_855, NULL);
	same_as_gateway("997", "on-error", "997", good);
	same_as_gateway("999", "on-error", "999", good);
	same_as_gateway("997", "on-error", "997", mixed);
	same_as_gateway("999", "requested", "999", mixed);
	same_as_gateway("997", "never", "997", mixed);
	same_as_gateway("997", "on-error", "997", rejected);
	same_as_gateway("997", "requested", "997", rejected);
	same_as_gateway("997", "never", "997", rejected);
	same_as_gateway("997", "on-error", "997", fa);
	same_as_gateway("997", "on-error", "997", other);
	char *i = isa(45, '1');
	char empty[160];
	snprintf(empty, sizeof empty, "%sIEA*0*000000045~\n", i);
	same_as_gateway("997", "on-error", "997", empty);
	free(i);
	free(good);
	free(two);
	free(mixed);
	free(rejected);
	free(fa);
	free(other);
}
END_TEST

/* --partner applies the partner's schema-overlay, as the gateway does (here DTM made
 * mandatory: AK3 code 3); a broken overlay stops inspect with its line (exit 78). */
START_TEST(test_overlay)
{
	struct env *e = env_new("997", "on-error");
	char *ov = pj(e->dir, "partners/retailer-850.def");
	writef(ov, "transaction 004010 850\nrequire DTM\n");
	char *pc = pj(e->dir, "partners/retailer.conf");
	FILE *f = fopen(pc, "a");
	ck_assert_ptr_nonnull(f);
	fputs("schema-overlay = retailer-850.def\n", f);
	fclose(f);
	char *doc = interchange(42, '0', "PO", "004010", 1, PO_GOOD, NULL);
	char *p = input(e, "po.x12", doc);
	int ex = -1;
	char *ack = inspect_ack(e, "997", p, "retailer", &ex, NULL);
	ck_assert_int_eq(ex, 65);
	ck_assert_msg(strstr(ack, "AK2*850*0001~AK3*DTM*3**3~AK5*R*5~AK9*R*1*1*0~") != NULL, "%s", ack);
	free(ack);
	/* the overlay is the partner's: without --partner the order is accepted */
	ack = inspect_ack(e, "997", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_ptr_nonnull(strstr(ack, "AK5*A~AK9*A*1*1*1~"));
	free(ack);
	compare_with_gateway(e, "997", doc);
	writef(ov, "transaction 004010 850\nrequire DTM\nmax-use CUR 9\n");
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--partner", "retailer", "--ack", "997", p, NULL), 78);
	ck_assert_msg(strstr(out, "retailer-850.def:3") != NULL, "%s", out);
	free(out);
	free(p);
	free(doc);
	free(pc);
	free(ov);
	env_free(e);
}
END_TEST

/* Usage: --ack takes 997 or 999; --ack-out needs --ack; an unwritable --ack-out is 74. */
START_TEST(test_usage)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("good-850.x12");
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "998", f, NULL), 64);
	ck_assert_ptr_nonnull(strstr(out, "--ack takes 997 or 999"));
	free(out);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack-out", "x.997", f, NULL), 64);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "inspect", f, "--ack", NULL), 64);
	free(out);
	char *bad = pj(e->dir, "no/such/dir/ack.997");
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "997", "--ack-out", bad, f, NULL), 74);
	ck_assert_ptr_nonnull(strstr(out, "1 transaction set(s) validated")); /* the report came first */
	free(out);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "--ack 997|999"));
	ck_assert_ptr_nonnull(strstr(out, "--ack-out PATH"));
	free(out);
	free(bad);
	free(f);
	env_free(e);
}
END_TEST

/* SOURCE_DATE_EPOCH: up to 9999-12-31 23:59:59 (GS04 is CCYYMMDD): one below, at, above. */
START_TEST(test_source_date_epoch_limit)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("good-850.x12");
	setenv("SOURCE_DATE_EPOCH", "253402300798", 1);
	char *ack = inspect_ack(e, "997", f, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(ack, "*991231*2359*"));
	ck_assert_ptr_nonnull(strstr(ack, "*99991231*2359*"));
	free(ack);
	setenv("SOURCE_DATE_EPOCH", "253402300799", 1);
	ack = inspect_ack(e, "997", f, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(ack, "*99991231*2359*"));
	free(ack);
	setenv("SOURCE_DATE_EPOCH", "253402300800", 1);
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "997", f, NULL), 64);
	ck_assert_ptr_nonnull(strstr(out, "SOURCE_DATE_EPOCH '253402300800'"));
	free(out);
	setenv("SOURCE_DATE_EPOCH", "soon", 1);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "997", f, NULL), 64);
	free(out);
	/* without --ack the variable is not read */
	ck_assert_int_eq(edigw(e, &out, "inspect", f, NULL), 0);
	free(out);
	setenv("SOURCE_DATE_EPOCH", EPOCH, 1);
	free(f);
	env_free(e);
}
END_TEST

/* No side effects: no spool, no ledger, no ERP directory, nothing but --ack-out. */
START_TEST(test_no_side_effects)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("bad-850.x12");
	char *ack = inspect_ack(e, "997", f, "retailer", NULL, NULL);
	ck_assert_ptr_nonnull(strstr(ack, "AK5*R*5~"));
	char *spool = pj(e->dir, "spool"), *erp = pj(e->dir, "erp");
	ck_assert_int_eq(access(spool, F_OK), -1);
	ck_assert_int_eq(access(erp, F_OK), -1);
	ck_assert_int_eq(tu_count_files(e->dir), 2); /* edigw.conf and ack.out */
	free(spool);
	free(erp);
	free(ack);
	free(f);
	env_free(e);
}
END_TEST

/* ---------------------------------------------------------------- EDIFACT */

/* The fixture with our EDIFACT identity (4012345000009:14) and the retailer's
 * (5412345000013:14) sending ORDERS (maps/edifact/ORDERS.map); contrl: the partner's
 * contrl setting or NULL for the default; extra: more partner lines or NULL. */
static struct env *edi_env_new(const char *contrl, const char *extra)
{
	struct env *e = env_new("997", "on-error");
	FILE *f = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(f);
	fputs("our.edifact.id = 4012345000009\nour.edifact.qualifier = 14\n", f);
	fclose(f);
	char *pc = pj(e->dir, "partners/retailer.conf");
	char *map = tu_srcpath("maps/edifact/ORDERS.map");
	f = fopen(pc, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "edifact.id = 5412345000013\nedifact.qualifier = 14\ndocument.ORDERS = %s\n%s%s%s%s", map,
		contrl ? "contrl = " : "", contrl ? contrl : "", contrl ? "\n" : "", extra ? extra : "");
	fclose(f);
	free(map);
	free(pc);
	return e;
}

/* The good ORDERS fixture (D96A EAN008, 36 segments) as text, with UNB 0031 = 1 when
 * asked: "+ICR0001++ORDERS'" becomes "+ICR0001++ORDERS++1'". Allocated. */
static char *orders_text(int request)
{
	char *f = fixture("orders-d96a.edi");
	char *t = tu_read(f, NULL);
	ck_assert_ptr_nonnull(t);
	free(f);
	if (!request)
		return t;
	char *r = tu_replace(t, "+ICR0001++ORDERS'", "+ICR0001++ORDERS++1'");
	ck_assert_str_ne(r, t);
	free(t);
	return r;
}

/* The CONTRL edigw sends for the good ORDERS with UNB 0031 = 1: UNB swapped with our
 * 0020 1 and the time of EPOCH, UNH 1 CONTRL D:3 (syntax 3), UCI 7 echoing the
 * interchange, UCM 7 echoing UNH 0062 and S009. */
static const char GOOD_CONTRL[] =
	"UNA:+.? 'UNB+UNOC:3+4012345000009:14+5412345000013:14+240305:1407+000000001'"
	"UNH+1+CONTRL:D:3:UN'UCI+ICR0001+5412345000013:14+4012345000009:14+7'"
	"UCM+ME0001+ORDERS:D:96A:UN:EAN008+7'UNT+4+1'UNZ+1+000000001'";

/* A good ORDERS: exit 0, the message checked against D96A ORDERS, nothing rejected;
 * --verbose lists the message and the partial code lists' warnings. */
START_TEST(test_edifact_good)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *f = fixture("orders-d96a.edi");
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", f, NULL), 0);
	ck_assert_msg(strstr(out, "interchange ICR0001 from 5412345000013:14 to 4012345000009:14 (UNOC:3, "
				  "production): 0 group(s), 1 message(s), UCI 7\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, ": EDIFACT, 988 bytes, 38 segment(s), 1 interchange(s) (0 rejected), 0 group(s) "
				  "(0 rejected), 1 message(s) (0 rejected) in ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, ": 1 message(s) checked against their definitions, 0 without one") != NULL,
		      "%s", out);
	ck_assert_ptr_null(strstr(out, "    message ")); /* accepted ones only with --verbose */
	ck_assert_ptr_null(strstr(out, "error"));
	free(out);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--verbose", f, NULL), 0);
	ck_assert_msg(strstr(out, "    message ORDERS ME0001 (D:96A:UN:EAN008): 36 segment(s), accepted (UCM 7)\n"),
		      "%s", out);
	ck_assert_msg(strstr(out, "    warning: segment RFF (position 26") != NULL, "%s", out);
	free(out);
	/* --envelope-only: no definitions */
	ck_assert_int_eq(edigw(e, &out, "inspect", "--envelope-only", f, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, ": envelopes only (no message definitions used)"));
	free(out);
	/* a finding of the definition: a quantity that is not a number */
	char *t = orders_text(0);
	char *bad = tu_replace(t, "QTY+21:24:PCE'", "QTY+21:2X4:PCE'");
	char *p = input(e, "qty.edi", bad);
	ck_assert_int_eq(edigw(e, &out, "inspect", p, NULL), 65);
	ck_assert_msg(strstr(out, "    message ORDERS ME0001 (D:96A:UN:EAN008): 36 segment(s), rejected (UCM 4)\n"
				  "    error: segment QTY (position 23 in the message, line 25), element 01-2:") &&
			      strstr(out, "(value '2X4') [EDIFACT code 37]\n"),
		      "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "1 message(s) (1 rejected)"));
	free(out);
	/* the same with --envelope-only is clean */
	ck_assert_int_eq(edigw(e, &out, "inspect", "--envelope-only", p, NULL), 0);
	free(out);
	free(p);
	free(bad);
	free(t);
	free(f);
	env_free(e);
}
END_TEST

/* A wrong UNT segment count: exit 65, the finding with its position and code 29, and in
 * the CONTRL UCM 4 with code 29 and the UNT's S011 (UNT, 0098 2). */
START_TEST(test_edifact_unt_count)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *t = orders_text(1);
	char *bad = tu_replace(t, "UNT+36+ME0001'", "UNT+35+ME0001'");
	char *p = input(e, "unt.edi", bad);
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", p, NULL), 65);
	ck_assert_msg(strstr(out, "    message ORDERS ME0001 (D:96A:UN:EAN008): 36 segment(s), rejected (UCM 4 code 29)\n"
				  "    error: segment UNT (position 36 in the message, line 38), element 01-1: "
				  "UNT number of segments (0074) 35 does not match the 36 segments received "
				  "(UNH through UNT) (value '35') [EDIFACT code 29]\n") != NULL,
		      "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "1 message(s) (1 rejected)"));
	free(out);
	/* --envelope-only still counts */
	ck_assert_int_eq(edigw(e, &out, "inspect", "--envelope-only", p, NULL), 65);
	ck_assert_ptr_nonnull(strstr(out, "[EDIFACT code 29]"));
	free(out);
	int ex = -1;
	char *ack = inspect_ack(e, "contrl", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 65);
	ck_assert_str_eq(ack, "UNA:+.? 'UNB+UNOC:3+4012345000009:14+5412345000013:14+240305:1407+000000001'"
			      "UNH+1+CONTRL:D:3:UN'UCI+ICR0001+5412345000013:14+4012345000009:14+7'"
			      "UCM+ME0001+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'UNT+4+1'UNZ+1+000000001'");
	free(ack);
	/* one below, at and one above the right count: only 36 is accepted */
	char *ok = tu_replace(t, "UNT+36+ME0001'", "UNT+37+ME0001'");
	char *p2 = input(e, "unt37.edi", ok);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--envelope-only", p2, NULL), 65);
	free(out);
	char *p3 = input(e, "unt36.edi", t);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--envelope-only", p3, NULL), 0);
	free(out);
	free(p3);
	free(p2);
	free(ok);
	free(p);
	free(bad);
	free(t);
	env_free(e);
}
END_TEST

/* --ack contrl for UNB 0031 = 1: the exact CONTRL bytes, to --ack-out and after the
 * report on stdout; our 0020 counts the interchanges of the file. */
START_TEST(test_edifact_contrl)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *t = orders_text(1);
	char *p = input(e, "req.edi", t);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "contrl", p, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, GOOD_CONTRL);
	ck_assert_msg(strstr(rep, "(UNOC:3, production, CONTRL requested)") &&
			      strstr(rep, "--ack contrl: 1 acknowledgment interchange(s) written to "),
		      "%s", rep);
	free(rep);
	free(ack);
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "contrl", p, NULL), 0);
	const char *hdr = strstr(out, "--ack contrl: the acknowledgment edigw would send");
	ck_assert_msg(hdr != NULL, "%s", out);
	const char *nl = strchr(hdr, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_str_eq(nl + 1, "UNA:+.? 'UNB+UNOC:3+4012345000009:14+5412345000013:14+240305:1407+000000001'"
				 "UNH+1+CONTRL:D:3:UN'UCI+ICR0001+5412345000013:14+4012345000009:14+7'"
				 "UCM+ME0001+ORDERS:D:96A:UN:EAN008+7'UNT+4+1'UNZ+1+000000001'\n");
	free(out);
	/* two interchanges: two CONTRLs, our 0020 1 and 2 */
	char *t2 = tu_replace(t, "ICR0001", "ICR0002");
	size_t n = strlen(t) + strlen(t2) + 1;
	char *two = malloc(n);
	snprintf(two, n, "%s%s", t, t2);
	char *p2 = input(e, "two.edi", two);
	ack = inspect_ack(e, "contrl", p2, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_ptr_nonnull(strstr(rep, "2 acknowledgment interchange(s) written"));
	ck_assert_msg(strstr(ack, "UNZ+1+000000001'UNA:+.? 'UNB+UNOC:3+4012345000009:14+5412345000013:14+"
				  "240305:1407+000000002'UNH+1+CONTRL:D:3:UN'UCI+ICR0002+") != NULL, "%s", ack);
	free(rep);
	free(ack);
	free(p2);
	free(two);
	free(t2);
	free(p);
	free(t);
	env_free(e);
}
END_TEST

/* A group (UNG/UNE) with a good message and one with an invalid code: UCF with the
 * group's counts, UCM 7, UCM 4 with its UCS and UCD. */
START_TEST(test_edifact_contrl_group)
{
	struct env *e = edi_env_new(NULL, NULL);
	const char *doc =
		"UNB+UNOC:3+5412345000013:14+4012345000009:14+261122:0830+ICR0005++ORDERS++1'\n"
		"UNG+ORDERS+5412345000013:14+4012345000009:14+261122:0830+G1+UN+D:96A'\n"
		"UNH+M1+ORDERS:D:96A:UN'\nBGM+220+PO-1+9'\nDTM+137:20261122:102'\n"
		"LIN+1++4012345000016:SRV'\nQTY+21:2:PCE'\nUNS+S'\nUNT+7+M1'\n"
		"UNH+M2+ORDERS:D:96A:UN'\nBGM+220+PO-2+9'\nDTM+137:20261122:102'\n"
		"LIN+1++4012345000016:SRV'\nQTY+21:2:PCE'\nUNS+Q'\nUNT+7+M2'\n"
		"UNE+2+G1'\nUNZ+1+ICR0005'\n";
	char *p = input(e, "group.edi", doc);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "contrl", p, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 65);
	/* UNS (segment 6) UNS01 (0098 2) 'Q' is not a section identifier: code 12 */
	ck_assert_str_eq(ack, "UNA:+.? 'UNB+UNOC:3+4012345000009:14+5412345000013:14+240305:1407+000000001'"
			      "UNH+1+CONTRL:D:3:UN'UCI+ICR0005+5412345000013:14+4012345000009:14+7'"
			      "UCF+G1+5412345000013:14+4012345000009:14+7'"
			      "UCM+M1+ORDERS:D:96A:UN+7'UCM+M2+ORDERS:D:96A:UN+4'UCS+6'UCD+12+2'"
			      "UNT+8+1'UNZ+1+000000001'");
	ck_assert_msg(strstr(rep, "message ORDERS M2 (D:96A:UN): 7 segment(s), rejected (UCM 4)") != NULL, "%s", rep);
	ck_assert_ptr_nonnull(strstr(rep, "1 group(s) (0 rejected), 2 message(s) (1 rejected)"));
	ck_assert_ptr_null(strstr(rep, "  group ")); /* an accepted group only with --verbose */
	free(rep);
	free(ack);
	ck_assert_int_eq(edigw(e, &rep, "inspect", "--verbose", p, NULL), 65);
	ck_assert_msg(strstr(rep, "    message ORDERS M1 (D:96A:UN): 7 segment(s), accepted (UCM 7)\n") &&
			      strstr(rep, "  group ORDERS G1: 2 message(s), 1 accepted, UCF 7\n"),
		      "%s", rep);
	free(rep);
	/* UNE counting 3 messages: the group is rejected, UCF 4 code 29, no UCM under it */
	char *une = tu_replace(doc, "UNE+2+G1'", "UNE+3+G1'");
	char *p2 = input(e, "une.edi", une);
	ack = inspect_ack(e, "contrl", p2, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 65);
	ck_assert_msg(strstr(rep, "  group ORDERS G1: 2 message(s), 1 accepted, UCF 4 code 29\n") != NULL, "%s", rep);
	ck_assert_msg(strstr(ack, "UCF+G1+5412345000013:14+4012345000009:14+4+29+UNE+2'UNT+") != NULL, "%s", ack);
	free(rep);
	free(ack);
	free(p2);
	free(une);
	free(p);
	env_free(e);
}
END_TEST

/* Never a CONTRL for a CONTRL (nor for a group of them), even when UNB 0031 = 1. */
START_TEST(test_edifact_no_contrl_for_contrl)
{
	struct env *e = edi_env_new("always", NULL);
	const char *doc = "UNA:+.? 'UNB+UNOC:3+5412345000013:14+4012345000009:14+261122:0830+ICR0009++++1'"
			  "UNH+1+CONTRL:D:3:UN'UCI+000000001+4012345000009:14+5412345000013:14+7'UNT+3+1'"
			  "UNZ+1+ICR0009'";
	char *p = input(e, "contrl.edi", doc);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "contrl", p, "retailer", &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "");
	ck_assert_msg(strstr(rep, "--ack contrl: edigw would send no acknowledgment (nothing to report: never a "
				  "CONTRL for a CONTRL or an APERAK)") != NULL,
		      "%s", rep);
	ck_assert_ptr_nonnull(strstr(rep, "CONTRL/APERAK left alone as the gateway does"));
	free(rep);
	free(ack);
	/* without --ack the CONTRL is checked against its definition like any message */
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", p, NULL), 0);
	ck_assert_msg(strstr(out, "1 message(s) checked against their definitions") != NULL, "%s", out);
	free(out);
	/* stdout: the sentence, no UNB */
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "contrl", p, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "edigw would send no acknowledgment"));
	ck_assert_ptr_null(strstr(out, "UNB+UNOC:3+4012345000009"));
	free(out);
	/* a group of CONTRLs */
	const char *grp = "UNB+UNOC:3+5412345000013:14+4012345000009:14+261122:0830+ICR0010++++1'"
			  "UNG+CONTRL+5412345000013:14+4012345000009:14+261122:0830+G9+UN+D:3'"
			  "UNH+1+CONTRL:D:3:UN'UCI+000000001+4012345000009:14+5412345000013:14+7'UNT+3+1'"
			  "UNE+1+G9'UNZ+1+ICR0010'";
	char *p2 = input(e, "contrl-group.edi", grp);
	ack = inspect_ack(e, "contrl", p2, "retailer", &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "");
	free(ack);
	free(p2);
	free(p);
	env_free(e);
}
END_TEST

/* The contrl policy: requested (the default) answers UNB 0031 = 1 only, always answers
 * every interchange, never none; without --partner the default applies. */
START_TEST(test_edifact_contrl_policy)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *plain = orders_text(0), *req = orders_text(1);
	char *pp = input(e, "plain.edi", plain), *pr = input(e, "req.edi", req);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "contrl", pp, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "");
	ck_assert_msg(strstr(rep, "no acknowledgment (UNB 0031 does not ask for one and the contrl setting is "
				  "requested (the default))") != NULL, "%s", rep);
	free(rep);
	free(ack);
	ack = inspect_ack(e, "contrl", pp, "retailer", &ex, NULL);
	ck_assert_str_eq(ack, "");
	free(ack);
	env_free(e);
	e = edi_env_new("always", NULL);
	free(pp);
	pp = input(e, "plain.edi", plain);
	ack = inspect_ack(e, "contrl", pp, "retailer", &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, GOOD_CONTRL);
	free(ack);
	/* the setting is the partner's: without --partner, requested */
	ack = inspect_ack(e, "contrl", pp, NULL, &ex, NULL);
	ck_assert_str_eq(ack, "");
	free(ack);
	env_free(e);
	e = edi_env_new("never", NULL);
	free(pr);
	pr = input(e, "req.edi", req);
	ack = inspect_ack(e, "contrl", pr, "retailer", &ex, &rep);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, "");
	ck_assert_msg(strstr(rep, "(the partner's contrl setting is never)") != NULL, "%s", rep);
	free(rep);
	free(ack);
	free(pp);
	free(pr);
	free(plain);
	free(req);
	env_free(e);
}
END_TEST

/* --partner --ack contrl: a message type the partner has no document for is UCM 4 code
 * 17; the partner's map runs on an accepted message (a CNT 2 that does not count the
 * lines is its finding). */
START_TEST(test_edifact_partner)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *t = orders_text(1);
	char *inv = tu_replace(t, "ORDERS:D:96A:UN:EAN008", "INVOIC:D:96A:UN:EAN008");
	char *p = input(e, "invoic.edi", inv);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "contrl", p, "retailer", &ex, &rep);
	ck_assert_int_eq(ex, 65);
	ck_assert_msg(strstr(ack, "UCM+ME0001+INVOIC:D:96A:UN:EAN008+4+17+UNH+3'") != NULL, "%s", ack);
	ck_assert_msg(strstr(rep, "message type INVOIC is not configured for partner retailer") != NULL, "%s", rep);
	free(rep);
	free(ack);
	/* without --partner no document list applies: checked against D96A INVOIC instead */
	ack = inspect_ack(e, "contrl", p, NULL, &ex, &rep);
	ck_assert_ptr_null(strstr(ack, "+4+17+"));
	ck_assert_ptr_null(strstr(rep, "not configured"));
	free(rep);
	free(ack);
	free(p);
	char *cnt = tu_replace(t, "CNT+2:2'", "CNT+2:3'");
	p = input(e, "cnt.edi", cnt);
	ack = inspect_ack(e, "contrl", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 0);
	ck_assert_str_eq(ack, GOOD_CONTRL);
	free(ack);
	ack = inspect_ack(e, "contrl", p, "retailer", &ex, &rep);
	ck_assert_int_eq(ex, 65);
	ck_assert_msg(strstr(rep, "rejected") != NULL, "%s\n%s", rep, ack);
	free(rep);
	free(ack);
	free(p);
	free(cnt);
	free(inv);
	free(t);
	env_free(e);
}
END_TEST

/* Mask what comes from the clock or a ledger in an EDIFACT CONTRL: UNB 0017/0019 and 0020,
 * UNH 0062, UNT 0062, UNZ 0020 become '#'. Separators from the UNA when there is one. */
static char *mask_edi(const char *s)
{
	char elem = '+', seg = '\'', rel = '?';
	if (strncmp(s, "UNA", 3) == 0 && strlen(s) >= 9) {
		elem = s[4];
		rel = s[6];
		seg = s[8];
	}
	size_t n = strlen(s);
	char *r = calloc(1, n + 1);
	size_t o = 0, i = 0;
	if (strncmp(s, "UNA", 3) == 0 && n >= 9) {
		memcpy(r, s, 9);
		o = i = 9;
	}
	while (i < n) {
		char tag[4] = { 0 };
		memcpy(tag, s + i, n - i >= 3 ? 3 : n - i);
		int pos = 0;
		for (; i < n && s[i] != seg; i++) {
			if (s[i] == rel && i + 1 < n) {
				r[o++] = s[i++];
				r[o++] = s[i];
				continue;
			}
			if (s[i] == elem) {
				pos++;
				r[o++] = elem;
				int masked = (!strcmp(tag, "UNB") && (pos == 4 || pos == 5)) ||
					     ((!strcmp(tag, "UNH")) && pos == 1) ||
					     ((!strcmp(tag, "UNT") || !strcmp(tag, "UNZ")) && pos == 2);
				if (masked) {
					r[o++] = '#';
					while (i + 1 < n && s[i + 1] != elem && s[i + 1] != seg)
						i++;
				}
				continue;
			}
			r[o++] = s[i];
		}
		if (i < n)
			r[o++] = s[i++];
		if (i + 9 <= n && strncmp(s + i, "UNA", 3) == 0) {
			memcpy(r + o, s + i, 9);
			o += 9;
			i += 9;
		}
	}
	r[o] = '\0';
	return r;
}

/* What the gateway queues for the retailer (every file in outbound/retailer/, in name
 * order), after ingest and run --once of doc. Allocated; "" when nothing. */
static char *gateway_sent(struct env *e, const char *name, const char *doc)
{
	char *p = input(e, name, doc);
	char *out = NULL;
	int rc = edigw(e, &out, "ingest", p, "--partner", "retailer", NULL);
	ck_assert_msg(rc == 0, "ingest: %s", out);
	free(out);
	rc = edigw(e, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0, "run: %s", out);
	free(out);
	char *dir = pj(e->dir, "spool/outbound/retailer");
	size_t cap = 1, len = 0;
	char *sent = calloc(1, cap);
	for (int k = 0;; k++) {
		char *fn = tu_nth_file(dir, k);
		if (!fn)
			break;
		char *fp = pj(dir, fn);
		char *c = tu_read(fp, NULL);
		cap += strlen(c);
		sent = realloc(sent, cap);
		memcpy(sent + len, c, strlen(c) + 1);
		len += strlen(c);
		free(c);
		free(fp);
		free(fn);
	}
	free(dir);
	free(p);
	return sent;
}

/* inspect --partner retailer --ack contrl gives what the gateway queues for the same
 * interchange (but for the clock and the ledger's control numbers). */
static void edi_same_as_gateway(const char *contrl, const char *overlay, const char *doc)
{
	struct env *e = edi_env_new(contrl, overlay ? "edifact-schema-overlay = retailer-edifact.def\n" : NULL);
	if (overlay) {
		char *ov = pj(e->dir, "partners/retailer-edifact.def");
		writef(ov, "%s", overlay);
		free(ov);
	}
	char *p = input(e, "preview.edi", doc);
	char *preview = inspect_ack(e, "contrl", p, "retailer", NULL, NULL);
	char *sent = gateway_sent(e, "doc.edi", doc);
	char *m1 = mask_edi(preview), *m2 = mask_edi(sent);
	ck_assert_msg(strcmp(m1, m2) == 0, "%s\npreview: %s\ngateway: %s", e->conf, m1, m2);
	free(m1);
	free(m2);
	free(sent);
	free(preview);
	free(p);
	env_free(e);
}

START_TEST(test_edifact_same_as_gateway)
{
	char *req = orders_text(1), *plain = orders_text(0);
	char *unt = tu_replace(req, "UNT+36+ME0001'", "UNT+35+ME0001'");
	char *unz = tu_replace(req, "UNZ+1+ICR0001'", "UNZ+2+ICR0001'");
	char *inv = tu_replace(req, "ORDERS:D:96A:UN:EAN008", "INVOIC:D:96A:UN:EAN008");
	char *cnt = tu_replace(req, "CNT+2:2'", "CNT+2:3'");
	char *nad = tu_replace(req, "NAD+SU+", "NAD+ZZZ+");
	char *unoz = tu_replace(req, "UNB+UNOC:3+", "UNB+UNOZ:3+");
	const char *contrl_in = "UNA:+.? 'UNB+UNOC:3+5412345000013:14+4012345000009:14+261122:0830+ICR0009++++1'"
				"UNH+1+CONTRL:D:3:UN'UCI+000000001+4012345000009:14+5412345000013:14+7'UNT+3+1'"
				"UNZ+1+ICR0009'";
	edi_same_as_gateway(NULL, NULL, req);
	edi_same_as_gateway(NULL, NULL, plain);
	edi_same_as_gateway("always", NULL, plain);
	edi_same_as_gateway("never", NULL, req);
	edi_same_as_gateway(NULL, NULL, unt);
	edi_same_as_gateway(NULL, NULL, unz);
	edi_same_as_gateway(NULL, NULL, inv);
	edi_same_as_gateway(NULL, NULL, cnt);
	edi_same_as_gateway(NULL, NULL, unoz);
	edi_same_as_gateway("always", NULL, contrl_in);
	edi_same_as_gateway(NULL, "transaction D96A ORDERS\nonly-codes NAD01 BY DP SU IV\n", nad);
	free(req);
	free(plain);
	free(unt);
	free(unz);
	free(inv);
	free(cnt);
	free(nad);
	free(unoz);
}
END_TEST

/* An interchange the reader cannot decode (unknown syntax identifier): rejected, and a
 * CONTRL UCI 4 when one was asked for, as the gateway answers it. */
START_TEST(test_edifact_unreadable)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *t = orders_text(1);
	char *bad = tu_replace(t, "UNB+UNOC:3+", "UNB+UNOZ:3+");
	char *p = input(e, "unoz.edi", bad);
	int ex = -1;
	char *rep = NULL;
	char *ack = inspect_ack(e, "contrl", p, NULL, &ex, &rep);
	ck_assert_int_eq(ex, 65);
	ck_assert_msg(strstr(rep, "1 interchange(s) (1 rejected)") != NULL, "%s", rep);
	ck_assert_msg(strstr(ack, "UCI+ICR0001+5412345000013:14+4012345000009:14+4+") != NULL, "%s\n%s", ack, rep);
	ck_assert_ptr_null(strstr(ack, "UCM"));
	free(rep);
	free(ack);
	/* not EDIFACT at all past the sniff: data before UNB is no interchange */
	char *out = NULL;
	char *p2 = input(e, "junk.edi", "UNB+");
	ck_assert_int_eq(edigw(e, &out, "inspect", p2, NULL), 65);
	ck_assert_msg(strstr(out, "EDIFACT") != NULL, "%s", out);
	free(out);
	free(p2);
	free(p);
	free(bad);
	free(t);
	env_free(e);
}
END_TEST

/* --partner applies its edifact-schema-overlay (only-codes NAD01: an unknown party is
 * UCS/UCD code 12) and its limits (limit.max-segments-per-transaction one below, at and
 * one above the message's 36 segments); a broken overlay is exit 78 with its line. */
START_TEST(test_edifact_partner_settings)
{
	struct env *e = edi_env_new(NULL, "edifact-schema-overlay = retailer-edifact.def\n");
	char *ov = pj(e->dir, "partners/retailer-edifact.def");
	writef(ov, "transaction D96A ORDERS\nonly-codes NAD01 BY DP SU IV\n");
	char *t = orders_text(1);
	char *nad = tu_replace(t, "NAD+SU+", "NAD+ZZZ+");
	char *p = input(e, "nad.edi", nad);
	int ex = -1;
	char *ack = inspect_ack(e, "contrl", p, "retailer", &ex, NULL);
	ck_assert_int_eq(ex, 65);
	/* NAD+SU is segment 17 of the message (UNH = 1), NAD01 data element 2 counting the tag */
	ck_assert_msg(strstr(ack, "UCM+ME0001+ORDERS:D:96A:UN:EAN008+4'UCS+17'UCD+12+2'") != NULL, "%s", ack);
	free(ack);
	ack = inspect_ack(e, "contrl", p, NULL, &ex, NULL);
	ck_assert_int_eq(ex, 0);
	free(ack);
	writef(ov, "transaction D96A ORDERS\nonly-codes NAD99 BY\n");
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--partner", "retailer", p, NULL), 78);
	ck_assert_msg(strstr(out, "retailer-edifact.def:2") != NULL, "%s", out);
	free(out);
	free(p);
	env_free(e);
	const char *lim[] = { "35", "36", "37" };
	const int want[] = { 65, 0, 0 };
	for (int i = 0; i < 3; i++) {
		char line[80];
		snprintf(line, sizeof line, "limit.max-segments-per-transaction = %s\n", lim[i]);
		e = edi_env_new(NULL, line);
		p = input(e, "req.edi", t);
		ck_assert_int_eq(edigw(e, &out, "inspect", "--partner", "retailer", p, NULL), want[i]);
		if (want[i])
			ck_assert_msg(strstr(out, "[EDIFACT code 35]") != NULL, "%s", out);
		free(out);
		/* edigw.conf's limit is not the partner's */
		ck_assert_int_eq(edigw(e, &out, "inspect", p, NULL), 0);
		free(out);
		free(p);
		env_free(e);
	}
	free(nad);
	free(t);
	free(ov);
}
END_TEST

/* Usage: --ack 997 on EDIFACT and --ack contrl on X12 are usage errors; --help names
 * contrl; SOURCE_DATE_EPOCH at and above its limit. */
START_TEST(test_edifact_usage)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *f = fixture("orders-d96a.edi");
	char *x = fixture("good-850.x12");
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "997", f, NULL), 64);
	ck_assert_msg(strstr(out, "is EDIFACT: its acknowledgment is a CONTRL (--ack contrl)") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "contrl", x, NULL), 64);
	ck_assert_msg(strstr(out, "--ack contrl is for EDIFACT") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "CONTRL", f, NULL), 64);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "--ack 997|999|contrl"));
	free(out);
	char *t = orders_text(1);
	char *p = input(e, "req.edi", t);
	setenv("SOURCE_DATE_EPOCH", "253402300739", 1); /* a minute below the limit */
	char *ack = inspect_ack(e, "contrl", p, NULL, NULL, NULL);
	ck_assert_msg(strstr(ack, "+991231:2358+000000001'") != NULL, "%s", ack);
	free(ack);
	setenv("SOURCE_DATE_EPOCH", "253402300799", 1);
	ack = inspect_ack(e, "contrl", p, NULL, NULL, NULL);
	ck_assert_msg(strstr(ack, "+991231:2359+000000001'") != NULL, "%s", ack);
	free(ack);
	setenv("SOURCE_DATE_EPOCH", "253402300800", 1);
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "contrl", p, NULL), 64);
	ck_assert_ptr_nonnull(strstr(out, "SOURCE_DATE_EPOCH '253402300800'"));
	free(out);
	setenv("SOURCE_DATE_EPOCH", EPOCH, 1);
	/* an --ack-out that cannot be written: exit 74 after the report */
	char *bad = pj(e->dir, "no/such/dir/contrl.edi");
	ck_assert_int_eq(edigw(e, &out, "inspect", "--ack", "contrl", "--ack-out", bad, p, NULL), 74);
	ck_assert_ptr_nonnull(strstr(out, "1 message(s) checked against their definitions"));
	free(out);
	free(bad);
	/* a configuration that does not load is said, not silently ignored */
	FILE *cf = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(cf);
	fputs("no-such-key = 1\n", cf);
	fclose(cf);
	ck_assert_int_eq(edigw(e, &out, "inspect", f, NULL), 0);
	ck_assert_msg(strstr(out, "cannot be loaded: built-in limits, no definitions") &&
			      strstr(out, "envelopes only (no message definitions used)"),
		      "%s", out);
	free(out);
	free(p);
	free(t);
	free(x);
	free(f);
	env_free(e);
}
END_TEST

/* No side effects for EDIFACT either: nothing but --ack-out in the directory. */
START_TEST(test_edifact_no_side_effects)
{
	struct env *e = edi_env_new("always", NULL);
	char *f = fixture("orders-d96a.edi");
	char *ack = inspect_ack(e, "contrl", f, "retailer", NULL, NULL);
	ck_assert_str_eq(ack, GOOD_CONTRL);
	char *spool = pj(e->dir, "spool"), *erp = pj(e->dir, "erp");
	ck_assert_int_eq(access(spool, F_OK), -1);
	ck_assert_int_eq(access(erp, F_OK), -1);
	ck_assert_int_eq(tu_count_files(e->dir), 2); /* edigw.conf and ack.out */
	free(spool);
	free(erp);
	free(ack);
	free(f);
	env_free(e);
}
END_TEST

/* ---------------------------------------------------------------- map test */

/* Run map test FILE --partner ID [--doc TYPE]; the exit code, the output in *out. */
static int map_test(struct env *e, char **out, const char *file, const char *partner, const char *doc)
{
	if (doc)
		return edigw(e, out, "map", "test", file, "--partner", partner, "--doc", doc, NULL);
	return edigw(e, out, "map", "test", file, "--partner", partner, NULL);
}

/* Nothing but edigw.conf in the fixture's directory: no spool, ledger or ERP directory. */
static void assert_nothing_written(struct env *e)
{
	char *spool = pj(e->dir, "spool"), *erp = pj(e->dir, "erp");
	ck_assert_int_eq(access(spool, F_OK), -1);
	ck_assert_int_eq(access(erp, F_OK), -1);
	ck_assert_int_eq(tu_count_files(e->dir), 1);
	free(spool);
	free(erp);
}

static const char GOOD_ERP[] =
	"  ERP file (erp.order, 181 bytes):\n"
	"H,PO-1001,original,stand-alone,2026-11-22,,,,,0007,Retail DC 7,1200 Distribution Way,,Columbus,OH,"
	"43215,US,,,,,1,retailer\r\n"
	"L,PO-1001,1,SKU-1,W-9,,,24,EA,12.5,\"Blue widget, large\",\r\n"
	"  result: mapped cleanly\n";

/* A good 850: exit 0, the canonical order, the exact ERP CSV lines (CRLF, as the profile
 * writes them), then the 997 the
 * gateway would send; nothing is written. */
START_TEST(test_map_test_good)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("good-850.x12");
	char *out = NULL;
	ck_assert_int_eq(map_test(e, &out, f, "retailer", NULL), 0);
	const char *b = strstr(out, "transaction set 850 0001 (interchange 000000042, group 7): document.850, map ");
	ck_assert_msg(b != NULL, "%s", out);
	const char *x = strstr(b, "  canonical record:\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<order xmlns=\"urn:edigw:canonical:1\">\n  <source>\n    <partner>retailer</partner>\n");
	ck_assert_msg(x != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(x, "  <po-number>PO-1001</po-number>\n"));
	ck_assert_ptr_nonnull(strstr(x, "      <description>Blue widget, large</description>\n"));
	const char *erp = strstr(x, "</order>\n");
	ck_assert_ptr_nonnull(erp);
	ck_assert_int_eq(strncmp(erp + 9, GOOD_ERP, strlen(GOOD_ERP)), 0);
	ck_assert_ptr_null(strstr(out, "error"));
	const char *hdr = strstr(out, "--ack 997: the acknowledgment edigw would send");
	ck_assert_msg(hdr != NULL && hdr > erp, "%s", out);
	const char *nl = strchr(hdr, '\n');
	ck_assert_int_eq(strncmp(nl + 1, GOOD_997, strlen(GOOD_997)), 0);
	ck_assert_ptr_nonnull(strstr(out, ": 1 document(s) tested, 0 rejected, 0 not tested\n"));
	assert_nothing_written(e);
	free(out);
	/* with ack = 999 the partner gets a 999 */
	env_free(e);
	e = env_new("999", "on-error");
	ck_assert_int_eq(map_test(e, &out, f, "retailer", NULL), 0);
	ck_assert_msg(strstr(out, "--ack 999: the acknowledgment edigw would send") &&
			      strstr(out, "ST*999*0001*005010X231A1~"), "%s", out);
	free(out);
	/* and with ack = none no 997/999 at all */
	env_free(e);
	e = env_new("none", "on-error");
	ck_assert_int_eq(map_test(e, &out, f, "retailer", NULL), 0);
	ck_assert_msg(strstr(out, "--ack ta1: edigw would send no acknowledgment (the partner's ack setting "
				  "is none and no TA1 is due)") != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "ST*99"));
	free(out);
	assert_nothing_written(e);
	free(f);
	env_free(e);
}
END_TEST

/* A bad 850: exit 65, the findings with their segment positions, no record for the
 * rejected set, the 997 with AK5 R. */
START_TEST(test_map_test_bad)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("bad-850.x12");
	char *out = NULL;
	ck_assert_int_eq(map_test(e, &out, f, "retailer", NULL), 65);
	const char *b = strstr(out, "transaction set 850 0002 (interchange 000000042, group 7): document.850, map ");
	ck_assert_msg(b != NULL, "%s", out);
	ck_assert_msg(strstr(b, "\n  error: segment BEG (position 2 in the transaction set, line 10), element 05: "
				"BEG05 date '20261399' is not a valid date (CCYYMMDD) (value '20261399') [X12 code 8]\n") &&
			      strstr(b, "\n  error: segment PO1 (position 4 in the transaction set, line 12), element 02: "),
		      "%s", out);
	ck_assert_ptr_nonnull(strstr(b, "  no canonical record\n  result: rejected\n"));
	ck_assert_ptr_nonnull(strstr(out, "AK2*850*0002~AK3*BEG*2**8~"));
	ck_assert_ptr_nonnull(strstr(out, ": 2 document(s) tested, 1 rejected, 0 not tested\n"));
	free(out);
	/* a finding of the map names the map line and the segment position */
	char *doc = interchange(46, '0', "PO", "004010", 1,
				"ST*850*0001~BEG*99*SA*PO-1001**20261122~N1*ST*Retail DC 7*92*0007~"
				"PO1*1*24*EA*12.50**BP*SKU-1~CTT*1~SE*6*0001~",
				NULL);
	char *p = input(e, "beg01.x12", doc);
	ck_assert_int_eq(map_test(e, &out, p, "retailer", NULL), 65);
	ck_assert_msg(strstr(out, "  error: segment BEG (position 2 in the transaction set, line 1), element 01") &&
			      strstr(out, "maps/x12/850.map:") && strstr(out, "  result: rejected\n"),
		      "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "AK4*1*353*7*99~AK5*R*5~"));
	free(out);
	free(p);
	free(doc);
	free(f);
	env_free(e);
}
END_TEST

/* An EDIFACT ORDERS: the canonical order, its ERP lines and the CONTRL per the partner's
 * contrl setting; nothing is written. */
START_TEST(test_map_test_edifact)
{
	struct env *e = edi_env_new("always", NULL);
	char *f = fixture("orders-d96a.edi");
	char *out = NULL;
	ck_assert_int_eq(map_test(e, &out, f, "retailer", NULL), 0);
	const char *b = strstr(out, "message ORDERS ME0001 (interchange ICR0001): document.ORDERS, map ");
	ck_assert_msg(b != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(b, "    <standard>edifact</standard>\n"));
	ck_assert_ptr_nonnull(strstr(b, "  <po-number>PO-4500012345</po-number>\n"));
	ck_assert_msg(strstr(b, "</order>\n  ERP file (erp.order, 371 bytes):\n"
				"H,PO-4500012345,original,stand-alone,2026-11-22,,USD,5412345000013,Demo Retail Inc.,"
				"5412345000099,Demo Retail DC 7,1 Warehouse Road,,Reno,NV,89501,US,2026-12-01,"
				"2026-12-05,2026-12-15,,2,retailer\r\n"
				"L,PO-4500012345,1,RTL-100234,WID-9,,4012345000016,24,PCE,12.5,\"Blue widget, large\","
				"2026-12-03\r\n"
				"L,PO-4500012345,2,,GAD-2,,4012345000023,6,CS,48,\"Gadget \"\"Pro\"\": 12 per case\",\r\n"
				"  result: mapped cleanly\n") != NULL, "%.4000s", b);
	const char *hdr = strstr(out, "--ack contrl: the acknowledgment edigw would send");
	ck_assert_msg(hdr != NULL, "%s", out);
	ck_assert_int_eq(strncmp(strchr(hdr, '\n') + 1, GOOD_CONTRL, strlen(GOOD_CONTRL)), 0);
	free(out);
	/* a bad quantity: 65, the finding with its EDIFACT position and code */
	char *t = orders_text(0);
	char *bad = tu_replace(t, "QTY+21:24:PCE'", "QTY+21:2X4:PCE'");
	char *p = input(e, "qty.edi", bad);
	ck_assert_int_eq(map_test(e, &out, p, "retailer", NULL), 65);
	ck_assert_msg(strstr(out, "  error: segment QTY (position 23 in the message, line 25), element 01-2:") &&
			      strstr(out, "[EDIFACT code 37]\n") && strstr(out, "  result: rejected\n") &&
			      strstr(out, "UCM+ME0001+ORDERS:D:96A:UN:EAN008+4"),
		      "%s", out);
	free(out);
	unlink(p);
	rmdir(e->in);
	assert_nothing_written(e);
	free(p);
	free(bad);
	free(t);
	free(f);
	env_free(e);
}
END_TEST

/* --doc: only that type is tested, the others are named; a type the partner has no
 * document for is a usage error; a set of a type it has none for is not tested. */
START_TEST(test_map_test_doc)
{
	struct env *e = edi_env_new(NULL, NULL);
	char *f = fixture("good-850.x12");
	char *out = NULL;
	ck_assert_int_eq(map_test(e, &out, f, "retailer", "850"), 0);
	ck_assert_ptr_nonnull(strstr(out, "  result: mapped cleanly\n"));
	free(out);
	ck_assert_int_eq(map_test(e, &out, f, "retailer", "ORDERS"), 65);
	ck_assert_msg(strstr(out, "transaction set 850 0001 (interchange 000000042, group 7): not tested (--doc "
				  "ORDERS)\n") != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "canonical record"));
	ck_assert_ptr_nonnull(strstr(out, ": 0 document(s) tested, 0 rejected, 1 not tested\n"));
	ck_assert_ptr_nonnull(strstr(out, "no document of partner retailer of type ORDERS to test"));
	free(out);
	ck_assert_int_eq(map_test(e, &out, f, "retailer", "855"), 64);
	ck_assert_ptr_nonnull(strstr(out, "partner retailer has no document.855"));
	free(out);
	/* an 855 next to the 850: the partner has no document.855 */
	size_t n = strlen(PO_GOOD) + strlen(POA_855) + 1;
	char *body = malloc(n);
	snprintf(body, n, "%s%s", PO_GOOD, POA_855);
	char *doc = interchange(47, '0', "PO", "004010", 2, body, NULL);
	char *p = input(e, "two.x12", doc);
	ck_assert_int_eq(map_test(e, &out, p, "retailer", NULL), 0);
	ck_assert_msg(strstr(out, "transaction set 855 0003 (interchange 000000047, group 7): not tested: partner "
				  "retailer has no document.855\n") &&
			      strstr(out, ": 1 document(s) tested, 0 rejected, 1 not tested\n") &&
			      strstr(out, "AK2*855*0003~AK3*ST*1~AK5*R*1~") == NULL && strstr(out, "AK5*R*1~"),
		      "%s", out);
	free(out);
	free(p);
	free(doc);
	free(body);
	free(f);
	env_free(e);
}
END_TEST

/* Unknown partner 69, usage 64, --help 0. */
START_TEST(test_map_test_usage)
{
	struct env *e = env_new("997", "on-error");
	char *f = fixture("good-850.x12");
	char *out = NULL;
	ck_assert_int_eq(map_test(e, &out, f, "nobody", NULL), 69);
	ck_assert_ptr_nonnull(strstr(out, "no partner 'nobody'"));
	free(out);
	ck_assert_int_eq(edigw(e, &out, "map", "test", f, NULL), 64);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "map", "test", "--partner", "retailer", NULL), 64);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "map", "test", f, "--partner", "retailer", "--doc", NULL), 64);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "map", "test", f, "--partner", "retailer", "--bogus", NULL), 64);
	free(out);
	ck_assert_int_eq(edigw(e, &out, "map", "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "edigw map test FILE --partner ID [--doc TYPE]"));
	free(out);
	char *missing = pj(e->dir, "missing.x12");
	ck_assert_int_eq(map_test(e, &out, missing, "retailer", NULL), 66);
	free(out);
	free(missing);
	assert_nothing_written(e);
	free(f);
	env_free(e);
}
END_TEST

static Suite *inspect_suite(void)
{
	Suite *s = suite_create("inspect");
	TCase *tc = tcase_create("ack");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_good_850);
	tcase_add_test(tc, test_bad_850);
	tcase_add_test(tc, test_999);
	tcase_add_test(tc, test_no_ack_for_ack);
	tcase_add_test(tc, test_ta1);
	tcase_add_test(tc, test_partner);
	tcase_add_test(tc, test_empty_interchange);
	tcase_add_test(tc, test_partner_map);
	tcase_add_test(tc, test_two_interchanges);
	tcase_add_test(tc, test_same_as_gateway);
	tcase_add_test(tc, test_overlay);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_source_date_epoch_limit);
	tcase_add_test(tc, test_no_side_effects);
	suite_add_tcase(s, tc);
	tc = tcase_create("edifact");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_edifact_good);
	tcase_add_test(tc, test_edifact_unt_count);
	tcase_add_test(tc, test_edifact_contrl);
	tcase_add_test(tc, test_edifact_contrl_group);
	tcase_add_test(tc, test_edifact_no_contrl_for_contrl);
	tcase_add_test(tc, test_edifact_contrl_policy);
	tcase_add_test(tc, test_edifact_partner);
	tcase_add_test(tc, test_edifact_same_as_gateway);
	tcase_add_test(tc, test_edifact_unreadable);
	tcase_add_test(tc, test_edifact_partner_settings);
	tcase_add_test(tc, test_edifact_usage);
	tcase_add_test(tc, test_edifact_no_side_effects);
	suite_add_tcase(s, tc);
	tc = tcase_create("map test");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_map_test_good);
	tcase_add_test(tc, test_map_test_bad);
	tcase_add_test(tc, test_map_test_edifact);
	tcase_add_test(tc, test_map_test_doc);
	tcase_add_test(tc, test_map_test_usage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	setenv("SOURCE_DATE_EPOCH", EPOCH, 1);
	return tu_run_suite(inspect_suite());
}
