/*
 * check_gateway — end to end through the real edigw binary over a temporary
 * spool: X12 850 in → ERP order file + 997 out, and every way that can go
 * wrong (bad counts, broken envelopes, unknown partners, garbage,
 * duplicates, acks of acks), plus crash safety with SIGKILL at fault points
 * and at random times.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* --------------------------------------------------------------- fixture */

struct env {
	char *dir, *conf, *spool, *erp, *out, *tmp;
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

/* A configuration with one partner "retailer" (ZZ RETAILER) sending 850s. */
static struct env *env_new(const char *ack, const char *ta1)
{
	struct env *e = calloc(1, sizeof *e);
	e->dir = tu_tmpdir();
	e->conf = pj(e->dir, "edigw.conf");
	e->spool = pj(e->dir, "spool");
	e->erp = pj(e->dir, "erp");
	e->out = pj(e->spool, "outbound/retailer");
	e->tmp = pj(e->dir, "in");
	mkdir(e->tmp, 0750);
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
	free(schemas);
	char *pc = pj(parts, "retailer.conf");
	writef(pc,
	       "id = retailer\nx12.qualifier = ZZ\nx12.id = RETAILER\nx12.gs-id = RETAILER\n"
	       "drop = ../drop\ndocument.850 = %s\nack = %s\nta1 = %s\n",
	       map850, ack, ta1);
	free(pc);
	free(parts);
	free(rng);
	free(erpmap);
	free(map850);
	return e;
}

static void env_free(struct env *e)
{
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->conf);
	free(e->spool);
	free(e->erp);
	free(e->out);
	free(e->tmp);
	free(e);
}

/* Add a line to the partner profile of the fixture. */
static void partner_conf_add(struct env *e, const char *line)
{
	char *pc = pj(e->dir, "partners/retailer.conf");
	FILE *f = fopen(pc, "a");
	ck_assert_ptr_nonnull(f);
	fputs(line, f);
	fclose(f);
	free(pc);
}

/* Ingest text as a partner file; returns the job id (allocated). */
static char *ingest(struct env *e, const char *name, const char *text)
{
	char *path = pj(e->tmp, name);
	ck_assert_int_eq(tu_write(path, text, strlen(text)), 0);
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "ingest", path, "--partner", "retailer", NULL);
	ck_assert_msg(rc == 0, "ingest failed (%d): %s", rc, out);
	/* the id is the last line on stdout (log lines may come before it) */
	size_t n = strlen(out);
	while (n && out[n - 1] == '\n')
		out[--n] = '\0';
	char *last = strrchr(out, '\n');
	char *id = strdup(last ? last + 1 : out);
	free(out);
	free(path);
	return id;
}

static void run_once(struct env *e)
{
	char *out = NULL;
	int rc = tu_edigw(e->conf, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0, "run --once failed (%d): %s", rc, out);
	free(out);
}

/* Queue directory path. */
static char *qdir(struct env *e, const char *q)
{
	return pj(e->spool, q);
}

static int qcount(struct env *e, const char *q)
{
	char *d = qdir(e, q);
	int n = tu_count_files(d);
	free(d);
	return n < 0 ? 0 : n;
}

/* Contents of the n-th (0-based, sorted) file of a directory, or NULL. */
static char *nth_in(const char *dir, int n)
{
	char *f = tu_nth_file(dir, n);
	if (!f)
		return NULL;
	char *p = pj(dir, f);
	char *c = tu_read(p, NULL);
	free(p);
	free(f);
	return c;
}

/* Contents of the only (or first) file in a directory. */
static char *first_in(const char *dir)
{
	return nth_in(dir, 0);
}

/* ------------------------------------------------------------- documents */

/* An ISA segment, exactly 106 bytes with its terminator. */
static char *isa(const char *sender, unsigned icn, char ack_req, const char *version, char rep,
		 char usage)
{
	char buf[128];
	snprintf(buf, sizeof buf,
		 "ISA*00*          *00*          *ZZ*%-15s*ZZ*%-15s*261122*0930*%c*%s*%09u*%c*%c*>~",
		 sender, "ACMESUPPLY", rep, version, icn, ack_req, usage);
	ck_assert_uint_eq(strlen(buf), 106);
	return strdup(buf);
}

static const char PO_A[] = "ST*850*0001~"
			   "BEG*00*SA*PO-1001**20261122~"
			   "N1*ST*Retail DC 7*92*0007~"
			   "N3*1200 Distribution Way~"
			   "N4*Columbus*OH*43215*US~"
			   "PO1*1*24*EA*12.50**BP*SKU-1*VP*W-9~"
			   "PID*F****Blue widget, large~"
			   "CTT*1~"
			   "SE*9*0001~";

static const char PO_B[] = "ST*850*0002~"
			   "BEG*00*SA*PO-1002**20261122~"
			   "N1*ST*Store 12*92*0012~"
			   "PO1*1*10*EA*3.99**BP*SKU-2~"
			   "CTT*1~"
			   "SE*6*0002~";

/* A whole interchange from sender with the given transaction sets. */
static char *interchange(const char *sender, unsigned icn, char ack_req, const char *gcn,
			 int nst, const char *const *sets, const char *iea_icn)
{
	char *i = isa(sender, icn, ack_req, "00401", 'U', 'P');
	size_t cap = 8192;
	for (int k = 0; k < nst; k++)
		cap += strlen(sets[k]);
	char *s = malloc(cap);
	int n = snprintf(s, cap, "%sGS*PO*%s*ACMESUPPLY*20261122*0930*%s*X*004010~", i, sender, gcn);
	for (int k = 0; k < nst; k++)
		n += snprintf(s + n, cap - n, "%s", sets[k]);
	char icnbuf[16];
	snprintf(icnbuf, sizeof icnbuf, "%09u", icn);
	snprintf(s + n, cap - n, "GE*%d*%s~IEA*1*%s~\n", nst, gcn, iea_icn ? iea_icn : icnbuf);
	free(i);
	return s;
}

/* Mask ISA09/ISA10 and GS04/GS05 (the time of the run) in an ack. */
static void mask_times(char *s)
{
	if (strncmp(s, "ISA", 3) == 0 && strlen(s) >= 106) {
		memcpy(s + 70, "YYMMDD", 6);
		memcpy(s + 77, "HHMM", 4);
	}
	char *gs = s;
	while ((gs = strstr(gs, "GS*"))) {
		char *p = gs;
		for (int f = 0; f < 4 && p; f++)
			p = strchr(p + 1, '*');
		if (p && strlen(p) > 14) {
			memcpy(p + 1, "CCYYMMDD", 8);
			memcpy(p + 10, "HHMM", 4);
		}
		gs += 3;
	}
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_good_850)
{
	struct env *e = env_new("997", "on-error");
	const char *sets[] = { PO_A };
	char *doc = interchange("RETAILER", 1001, '0', "1001", 1, sets, NULL);
	char *id = ingest(e, "po.x12", doc);
	run_once(e);
	/* the original is archived, nothing left anywhere else */
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(qcount(e, "incoming") + qcount(e, "active") + qcount(e, "failed") +
				 qcount(e, "hold"),
			 0);
	/* exact ERP bytes */
	char *erp = first_in(e->erp);
	ck_assert_msg(erp != NULL, "no ERP file in %s", e->erp);
	char *exp_path = tu_srcpath("tests/data/gateway/good-850.csv");
	char *exp = tu_read(exp_path, NULL);
	ck_assert_msg(exp != NULL, "missing %s", exp_path);
	ck_assert_str_eq(erp, exp);
	char *name = tu_first_file(e->erp);
	ck_assert_str_eq(name, "order-retailer-261122-000001001-1001.csv");
	/* exact 997 */
	char *ack = first_in(e->out);
	ck_assert_msg(ack != NULL, "no 997 in %s", e->out);
	mask_times(ack);
	ck_assert_str_eq(ack, "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       "
			      "*YYMMDD*HHMM*U*00401*000000001*0*P*>~"
			      "GS*FA*ACMESUPPLY*RETAILER*CCYYMMDD*HHMM*1*X*004010~"
			      "ST*997*0001~"
			      "AK1*PO*1001~"
			      "AK2*850*0001~"
			      "AK5*A~"
			      "AK9*A*1*1*1~"
			      "SE*6*0001~"
			      "GE*1*1~"
			      "IEA*1*000000001~");
	char *ackname = tu_first_file(e->out);
	ck_assert_str_eq(ackname, "000000001-997.x12");
	/* a second interchange gets the next control numbers */
	const char *sets2[] = { PO_B };
	char *doc2 = interchange("RETAILER", 1002, '0', "1002", 1, sets2, NULL);
	free(ingest(e, "po2.x12", doc2));
	run_once(e);
	char *ack2 = nth_in(e->out, 1);
	ck_assert_ptr_nonnull(ack2);
	ck_assert_ptr_nonnull(strstr(ack2, "*000000002*0*P*>~"));
	ck_assert_ptr_nonnull(strstr(ack2, "GE*1*2~"));
	ck_assert_ptr_nonnull(strstr(ack2, "ST*997*0002~"));
	ck_assert_ptr_nonnull(strstr(ack2, "IEA*1*000000002~"));
	/* the ledger knows the PO */
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "PO-1001", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, id));
	ck_assert_ptr_nonnull(strstr(out, "accepted"));
	free(out);
	/* and by job id: every state change of the job, and where its file is now */
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "received"));
	ck_assert_ptr_nonnull(strstr(out, "archived"));
	ck_assert_ptr_nonnull(strstr(out, "key PO-1001"));
	ck_assert_ptr_nonnull(strstr(out, "archive/"));
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "NO-SUCH-PO", NULL), 69);
	free(out);
	free(ack2);
	free(doc2);
	free(ackname);
	free(ack);
	free(name);
	free(exp);
	free(exp_path);
	free(erp);
	free(id);
	free(doc);
	env_free(e);
}
END_TEST

/* ISA15 = T: same checks and map, but the ERP file goes to the test directory. */
START_TEST(test_test_data_apart)
{
	struct env *e = env_new("997", "on-error");
	const char *sets[] = { PO_A };
	char *prod = interchange("RETAILER", 1101, '0', "1101", 1, sets, NULL);
	char *doc = tu_replace(prod, "*0*P*>~", "*0*T*>~");
	free(ingest(e, "test.x12", doc));
	run_once(e);
	char *testdir = pj(e->erp, "test");
	ck_assert_int_eq(tu_count_files(e->erp), 0);  /* nothing in production */
	ck_assert_int_eq(tu_count_files(testdir), 1); /* the order is in erp/test */
	char *ack = first_in(e->out);
	ck_assert_ptr_nonnull(ack);
	ck_assert_ptr_nonnull(strstr(ack, "*0*T*>~")); /* our 997 is test data too */
	free(ack);
	free(testdir);
	free(doc);
	free(prod);
	env_free(e);
}
END_TEST

/* The partner's limit.max-file-size applies when a file is spooled: one below, at, above. */
START_TEST(test_file_size_limit)
{
	struct env *e = env_new("997", "on-error");
	partner_conf_add(e, "limit.max-file-size = 1k\n");
	static const size_t sizes[] = { 1023, 1024, 1025 };
	for (int i = 0; i < 3; i++) {
		char *body = malloc(sizes[i] + 1);
		memset(body, 'x', sizes[i]);
		body[sizes[i]] = '\0';
		char *path = pj(e->tmp, "f.bin");
		ck_assert_int_eq(tu_write(path, body, sizes[i]), 0);
		char *out = NULL;
		int rc = tu_edigw(e->conf, &out, "ingest", path, "--partner", "retailer", NULL);
		if (sizes[i] <= 1024)
			ck_assert_msg(rc == 0, "%zu bytes refused: %s", sizes[i], out);
		else {
			ck_assert_int_eq(rc, 65);
			ck_assert_ptr_nonnull(strstr(out, "larger than limit.max-file-size"));
		}
		free(out);
		free(path);
		free(body);
	}
	ck_assert_int_eq(qcount(e, "incoming"), 2);
	char *tmpq = qdir(e, "tmp");
	ck_assert_int_eq(tu_count_files(tmpq), 0); /* nothing half-written left behind */
	free(tmpq);
	env_free(e);
}
END_TEST

/* Two interchanges in one file, the first broken: the second is still processed. */
START_TEST(test_bad_then_good_interchange)
{
	struct env *e = env_new("997", "on-error");
	const char *sets[] = { PO_A };
	const char *sets2[] = { PO_B };
	char *bad = interchange("RETAILER", 1201, '0', "1201", 1, sets, "000009999");
	char *good = interchange("RETAILER", 1202, '0', "1202", 1, sets2, NULL);
	size_t n = strlen(bad) + strlen(good) + 1;
	char *both = malloc(n);
	snprintf(both, n, "%s%s", bad, good);
	free(ingest(e, "two.x12", both));
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	char *erp = first_in(e->erp);
	ck_assert_ptr_nonnull(strstr(erp, "PO-1002"));
	ck_assert_ptr_null(strstr(erp, "PO-1001"));
	ck_assert_int_eq(tu_count_files(e->out), 2);
	char *ta1 = first_in(e->out); /* 000000001-TA1.x12 sorts first */
	ck_assert_ptr_nonnull(strstr(ta1, "TA1*000001201*261122*0930*R*001~"));
	char *ack = nth_in(e->out, 1);
	ck_assert_ptr_nonnull(strstr(ack, "AK1*PO*1202~"));
	free(ack);
	free(ta1);
	free(erp);
	free(both);
	free(good);
	free(bad);
	env_free(e);
}
END_TEST

/* A map that reads another document type is a configuration error, found before any data. */
START_TEST(test_map_type_mismatch)
{
	struct env *e = env_new("997", "on-error");
	char *pc = pj(e->dir, "partners/retailer.conf");
	char *conf = tu_read(pc, NULL);
	char *bad = tu_replace(conf, "document.850", "document.855");
	ck_assert_int_eq(tu_write(pc, bad, strlen(bad)), 0);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 78);
	ck_assert_ptr_nonnull(strstr(out, "retailer.conf:6: error: document.855"));
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "run", "--once", NULL), 78);
	ck_assert_ptr_nonnull(strstr(out, "reads 850 documents"));
	free(out);
	free(bad);
	free(conf);
	free(pc);
	env_free(e);
}
END_TEST

/* Send PO_A with one edit (from → to) alone in an interchange; the first ack queued.
 * A rejected purchase order never reaches the ERP directory. */
static char *ack_for_edited_po(struct env *e, const char *from, const char *to, unsigned icn,
			       char ack_req)
{
	char *bad = tu_replace(PO_A, from, to);
	const char *sets[] = { bad };
	char gcn[16];
	snprintf(gcn, sizeof gcn, "%u", icn);
	char *doc = interchange("RETAILER", icn, ack_req, gcn, 1, sets, NULL);
	free(ingest(e, "po.x12", doc));
	run_once(e);
	ck_assert_int_eq(tu_count_files(e->erp), 0);
	char *ack = first_in(e->out);
	ck_assert_ptr_nonnull(ack);
	free(doc);
	free(bad);
	return ack;
}

START_TEST(test_se01_wrong)
{
	struct env *e = env_new("997", "on-error");
	char *ack = ack_for_edited_po(e, "SE*9*0001~", "SE*8*0001~", 2001, '0');
	ck_assert_int_eq(qcount(e, "failed"), 1);
	ck_assert_ptr_nonnull(strstr(ack, "AK2*850*0001~AK5*R*4~AK9*R*1*1*0~"));
	free(ack);
	env_free(e);
}
END_TEST

/* The transaction set definition rejects a bad date with its exact AK3/AK4, and an
 * unknown code of a partial list is only a warning in the ledger. */
START_TEST(test_schema_findings)
{
	struct env *e = env_new("997", "on-error");
	/* BEG03 is AN 1/22: only the definition knows that (the map does not check lengths) */
	char *ack = ack_for_edited_po(e, "BEG*00*SA*PO-1001**20261122~",
				      "BEG*00*SA*PO-1001-0123456789ABCDEFGH**20261122~", 2101, '0');
	ck_assert_msg(strstr(ack, "AK2*850*0001~AK3*BEG*2**8~AK4*3*324*5*PO-1001-0123456789ABCDEFGH~"
				  "AK5*R*5~") != NULL,
		      "997 lacks the BEG03 length error:\n%s", ack);
	free(ack);
	/* the rejected order can still be tracked by its PO number */
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "PO-1001-0123456789ABCDEFGH", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "rejected"));
	free(out);
	/* PO103 "XX" is not in the (partial) unit list: accepted, with a warning */
	char *odd = tu_replace(PO_A, "PO1*1*24*EA*", "PO1*1*24*XX*");
	const char *sets[] = { odd };
	char *doc = interchange("RETAILER", 2102, '0', "2102", 1, sets, NULL);
	char *id = ingest(e, "odd.x12", doc);
	run_once(e);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "warning") && strstr(out, "'XX'"), "no warning in:\n%s", out);
	free(out);
	free(id);
	free(doc);
	free(odd);
	env_free(e);
}
END_TEST

/* A partner overlay (schema-overlay) makes DTM mandatory for this partner only: the
 * 997 rejects the order that lacks it with AK3 code 3; a mistake in the overlay file
 * stops `config check` and `run` with file:line. */
START_TEST(test_schema_overlay)
{
	struct env *e = env_new("997", "on-error");
	char *ov = pj(e->dir, "partners/retailer-850.def");
	writef(ov, "# retailer: every order carries a DTM\ntransaction 004010 850\nrequire DTM\n");
	partner_conf_add(e, "schema-overlay = retailer-850.def\n");
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 0);
	free(out);
	char *ack = ack_for_edited_po(e, "CTT*1~", "CTT*1~", 2201, '0');
	ck_assert_msg(strstr(ack, "AK2*850*0001~AK3*DTM*3**3~AK5*R*5~AK9*R*1*1*0~") != NULL,
		      "997 lacks the overlay's mandatory DTM:\n%s", ack);
	free(ack);
	/* with the DTM the same order is accepted */
	char *dtm = tu_replace(PO_A, "N1*ST*", "DTM*002*20261201~N1*ST*");
	char *with = tu_replace(dtm, "SE*9*0001~", "SE*10*0001~");
	free(dtm);
	const char *sets[] = { with };
	char *doc = interchange("RETAILER", 2202, '0', "2202", 1, sets, NULL);
	free(ingest(e, "ok.x12", doc));
	run_once(e);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	/* a broken overlay is a configuration error with its line */
	writef(ov, "transaction 004010 850\nrequire DTM\nmax-use CUR 9\n");
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 78);
	ck_assert_msg(strstr(out, "retailer-850.def:3") && strstr(out, "can only narrow"), "%s", out);
	free(out);
	ck_assert_int_ne(tu_edigw(e->conf, &out, "run", "--once", NULL), 0);
	ck_assert_msg(strstr(out, "retailer-850.def:3"), "%s", out);
	free(out);
	free(doc);
	free(with);
	free(ov);
	env_free(e);
}
END_TEST

/* ------------------------------------------------ outbound and reconciliation */

/* An 855 interchange from us to the retailer, as an ERP would write it. */
static char *po_ack(const char *po, unsigned their_icn)
{
	char *s = NULL;
	ck_assert_int_gt(asprintf(&s,
				  "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       *261122*0930*U*"
				  "00401*%09u*0*P*>~GS*PR*ACMESUPPLY*RETAILER*20261122*0930*55*X*004010~"
				  "ST*855*0001~BAK*00*AD*%s*20261122~PO1*1*24*EA*12.50**BP*SKU-1~ACK*IA*24*EA~"
				  "CTT*1~SE*6*0001~GE*1*55~IEA*1*%09u~\n",
				  their_icn, po, their_icn),
			 0);
	return s;
}

/* An interchange from the retailer to us with one FA group holding body (ST..SE). */
static char *from_retailer_fa(unsigned icn, const char *body)
{
	char *i = isa("RETAILER", icn, '0', "00401", 'U', 'P');
	char *s = NULL;
	ck_assert_int_gt(asprintf(&s, "%sGS*FA*RETAILER*ACMESUPPLY*20261122*1000*%u*X*004010~%sGE*1*%u~IEA*1*%09u~\n",
				  i, icn, body, icn, icn),
			 0);
	free(i);
	return s;
}

/* Run edigw send on text; returns the exit code, output in *out. */
static int send_text(struct env *e, const char *name, const char *text, char **out)
{
	char *path = pj(e->tmp, name);
	ck_assert_int_eq(tu_write(path, text, strlen(text)), 0);
	int rc = tu_edigw(e->conf, out, "send", path, "--partner", "retailer", NULL);
	free(path);
	return rc;
}

/* The job id at the end of send's "...; job ID" line. */
static char *sent_job(const char *out)
{
	const char *p = strstr(out, "; job ");
	ck_assert_ptr_nonnull(p);
	p += 6;
	size_t n = strcspn(p, "\n");
	return strndup(p, n);
}

/* edigw send checks, renumbers, records and queues; the partner's 997 settles it; what
 * matches nothing is listed; overdue groups show in status and track; a TA1 R rejects. */
START_TEST(test_send_and_reconcile)
{
	struct env *e = env_new("997", "on-error");
	char *out = NULL;
	/* refused: not addressed to the partner, with the reason */
	char *a1 = po_ack("PO-1001", 77);
	char *wrong = tu_replace(a1, "*ZZ*RETAILER       *", "*ZZ*SOMEONE        *");
	ck_assert_int_eq(send_text(e, "wrong.x12", wrong, &out), 65);
	ck_assert_msg(strstr(out, "ISA07/ISA08 is ZZ:SOMEONE") != NULL, "%s", out);
	free(out);
	/* refused: an 855 that breaks its definition (ACK01 is mandatory) */
	char *bad = tu_replace(a1, "ACK*IA*", "ACK**");
	ck_assert_int_eq(send_text(e, "bad.x12", bad, &out), 65);
	ck_assert_msg(strstr(out, "transaction set 855 0001") && strstr(out, "ACK"), "%s", out);
	free(out);
	ck_assert_int_le(tu_count_files(e->out), 0); /* nothing queued (no directory yet) */

	/* queued with our numbers: ISA13/IEA02 1, GS06/GE02 1 (the ERP wrote 77 and 55) */
	ck_assert_int_eq(send_text(e, "a1.x12", a1, &out), 0);
	ck_assert_msg(strstr(out, "interchange 000000001, 1 group(s), 1 transaction set(s)"), "%s", out);
	char *job = sent_job(out);
	free(out);
	char *q = pj(e->out, "000000001-855.x12");
	char *sent = tu_read(q, NULL);
	ck_assert_ptr_nonnull(sent);
	ck_assert_ptr_nonnull(strstr(sent, "*00401*000000001*0*P*>~GS*PR*ACMESUPPLY*RETAILER*20261122*0930*1*X*004010~"));
	ck_assert_ptr_nonnull(strstr(sent, "~GE*1*1~IEA*1*000000001~"));
	ck_assert_ptr_nonnull(strstr(sent, "BAK*00*AD*PO-1001*20261122~"));
	/* the same bytes again: refused */
	ck_assert_int_eq(send_text(e, "a1-again.x12", a1, &out), 65);
	ck_assert_msg(strstr(out, "already sent") && strstr(out, job), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "awaiting 1 (overdue 0)"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", job, NULL), 0);
	ck_assert_msg(strstr(out, "awaiting-ack") && strstr(out, "group PR 1 (1 set(s)) of interchange 000000001: "
								  "awaiting acknowledgment, due "),
		      "%s", out);
	free(out);

	/* the retailer's 997 for our group 1: accepted */
	char *ack = from_retailer_fa(3001, "ST*997*0001~AK1*PR*1~AK2*855*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~");
	free(ingest(e, "997.x12", ack));
	run_once(e);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", job, NULL), 0);
	ck_assert_msg(strstr(out, "state acknowledged") && strstr(out, ": accepted by job "), "%s", out);
	free(out);
	/* a 997 for a group we never sent: unmatched, listed by status */
	char *stray = from_retailer_fa(3002, "ST*997*0001~AK1*PR*99~AK9*A*1*1*1~SE*4*0001~");
	free(ingest(e, "stray.x12", stray));
	run_once(e);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "accepted 1,") && strstr(out, "unmatched inbound acks 1") &&
			      strstr(out, "997 for group PR 99: we sent partner retailer no such functional group"),
		      "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", "--json", NULL), 0);
	ck_assert_msg(strstr(out, "\"acknowledgments\":{\"awaiting\":0,\"overdue\":0,\"accepted\":1,") &&
			      strstr(out, "\"unmatched\":1,") && strstr(out, "\"unmatched_acks\":[{\"time\":"),
		      "%s", out);
	free(out);

	/* a second order acknowledgment, never answered: overdue once its due time passed
	 * (the ledger's send time is moved back 25 h: ack-due is 24 h by default) */
	char *a2 = po_ack("PO-1002", 78);
	ck_assert_int_eq(send_text(e, "a2.x12", a2, &out), 0);
	char *job2 = sent_job(out);
	free(out);
	char *db = pj(e->spool, "ledger.db");
	char *sql = NULL;
	ck_assert_int_gt(asprintf(&sql, "UPDATE sent_groups SET sent_unix = sent_unix - 90000, due_unix = due_unix - "
					"90000 WHERE job_id = '%s'", job2), 0);
	ck_assert_int_eq(tu_sql(db, sql), 0);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "awaiting 1 (overdue 1)") && strstr(out, "OVERDUE by 60m") && strstr(out, job2),
		      "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "PO-1002", NULL), 0);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", job2, NULL), 0);
	ck_assert_msg(strstr(out, "OVERDUE"), "%s", out);
	free(out);
	/* a TA1 that breaks its definition (TA104 Q) settles nothing and says why */
	char *i = isa("RETAILER", 3004, '0', "00401", 'U', 'P');
	char *ta1 = NULL;
	ck_assert_int_gt(asprintf(&ta1, "%sTA1*000000002*261122*0930*Q*006~IEA*0*000003004~\n", i), 0);
	char *bad_job = ingest(e, "ta1-bad.x12", ta1);
	run_once(e);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", bad_job, NULL), 0);
	ck_assert_msg(strstr(out, "ack-unreadable") && strstr(out, "TA104") && strstr(out, "'Q'"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "awaiting 1 (overdue 1)"), "%s", out);
	free(out);
	free(bad_job);
	free(ta1);
	free(i);
	/* the retailer rejects that interchange with a TA1 (TA1-only interchange) */
	i = isa("RETAILER", 3003, '0', "00401", 'U', 'P');
	ta1 = NULL;
	ck_assert_int_gt(asprintf(&ta1, "%sTA1*000000002*261122*0930*R*006~IEA*0*000003003~\n", i), 0);
	free(ingest(e, "ta1.x12", ta1));
	run_once(e);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", job2, NULL), 0);
	ck_assert_msg(strstr(out, "state ack-rejected") && strstr(out, "rejected (TA1 R 006)"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "awaiting 0 (overdue 0)") && strstr(out, "rejected 1;"), "%s", out);
	free(out);
	free(i);
	free(ta1);
	free(sql);
	free(db);
	free(a2);
	free(job2);
	free(stray);
	free(ack);
	free(sent);
	free(q);
	free(job);
	free(bad);
	free(wrong);
	free(a1);
	env_free(e);
}
END_TEST

/* ------------------------------------------------ EDIFACT */

/* The fixture with our EDIFACT identity and the retailer's, ORDERS mapped. */
static void edifact_setup(struct env *e, const char *extra)
{
	FILE *f = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(f);
	fputs("our.edifact.id = 4012345000009\nour.edifact.qualifier = 14\n", f);
	fclose(f);
	char *map = tu_srcpath("maps/edifact/ORDERS.map");
	char *line = NULL;
	ck_assert_int_gt(asprintf(&line, "edifact.id = 5412345000013\nedifact.qualifier = 14\ndocument.ORDERS = %s\n%s",
				  map, extra ? extra : ""),
			 0);
	partner_conf_add(e, line);
	free(line);
	free(map);
}

/* A UNOC ORDERS interchange from the retailer: UNB 0031 (ack) and 0035 (test) as given,
 * body between UNH and UNT (count and reference right unless unt is given). */
static char *orders_ic(const char *ref, const char *ack, const char *test, const char *body, const char *unt)
{
	int nseg = 2; /* UNH and UNT */
	for (const char *p = body; *p; p++)
		nseg += *p == '\'' && (p == body || p[-1] != '?');
	char *s = NULL;
	char untbuf[64];
	snprintf(untbuf, sizeof untbuf, "UNT+%d+M1'", nseg);
	ck_assert_int_gt(asprintf(&s, "UNA:+.? '\nUNB+UNOC:3+5412345000013:14+4012345000009:14+261122:0830+%s++ORDERS++%s%s%s'\n"
				      "UNH+M1+ORDERS:D:96A:UN:EAN008'\n%s%s\nUNZ+1+%s'\n",
				  ref, ack, test[0] ? "++" : "", test, body, unt ? unt : untbuf, ref),
			 0);
	return s;
}

#define ORDERS_BODY "BGM+220+PO?+4711?:A+9'\nDTM+137:20261122:102'\n" \
		    "NAD+BY+5412345000013::9++M\xfcller ?+ S\xf6hne?'s+1 Main St+Reno++89501+US'\n" \
		    "LIN+1++4012345000016:SRV'\nQTY+21:24:PCE'\nUNS+S'\nCNT+2:1'\n"

/* An EDIFACT ORDERS (UNOC, release characters, Latin-1) goes the X12 way: the ERP file
 * holds the exact UTF-8 text, a CONTRL answers UNB 0031 = 1, a wrong UNT count is UCM 4
 * code 29, the same interchange again is held, UNB 0035 = 1 goes to the test ERP dir. */
START_TEST(test_edifact_orders)
{
	struct env *e = env_new("997", "on-error");
	edifact_setup(e, NULL);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 0);
	free(out);
	char *ic = orders_ic("ICR0001", "1", "", ORDERS_BODY, NULL);
	char *id = ingest(e, "orders.edi", ic);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *erp = first_in(e->erp);
	ck_assert_ptr_nonnull(erp);
	ck_assert_msg(strstr(erp, "H,PO+4711:A,original,") && strstr(erp, "M\xc3\xbcller + S\xc3\xb6hne's"),
		      "ERP file:\n%s", erp);
	free(erp);
	char *contrl = first_in(e->out);
	ck_assert_ptr_nonnull(contrl);
	ck_assert_msg(strstr(contrl, "UNB+UNOC:3+4012345000009:14+5412345000013:14+") &&
			      strstr(contrl, "UCI+ICR0001+5412345000013:14+4012345000009:14+7'") &&
			      strstr(contrl, "UCM+M1+ORDERS:D:96A:UN:EAN008+7'"),
		      "CONTRL:\n%s", contrl);
	free(contrl);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "PO+4711:A", NULL), 0);
	ck_assert_msg(strstr(out, "in ORDERS") && strstr(out, "state accepted"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "ICR0001", NULL), 0);
	ck_assert_msg(strstr(out, "out CONTRL") && strstr(out, "state queued"), "%s", out);
	free(out);
	/* the same interchange again: held as a duplicate, nothing written */
	free(ingest(e, "orders-again.edi", ic));
	run_once(e);
	ck_assert_int_eq(qcount(e, "hold"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	/* UNT count wrong: UCM 4 code 29, nothing for the ERP, the job fails with the reason */
	char *bad = orders_ic("ICR0002", "1", "", ORDERS_BODY, "UNT+99+M1'");
	free(ingest(e, "bad.edi", bad));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	char *c2 = nth_in(e->out, 1);
	ck_assert_ptr_nonnull(c2);
	ck_assert_msg(strstr(c2, "UCM+M1+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'"), "CONTRL:\n%s", c2);
	free(c2);
	/* no UNA, line breaks between segments, no CONTRL asked: accepted, nothing queued */
	char *plain = NULL;
	ck_assert_int_gt(asprintf(&plain, "UNB+UNOC:3+5412345000013:14+4012345000009:14+261122:0831+ICR0003'\r\n"
					  "UNH+M1+ORDERS:D:96A:UN'\r\nBGM+220+PO-PLAIN+9'\r\nDTM+137:20261122:102'\r\n"
					  "LIN+1++4012345000016:SRV'\r\nQTY+21:2:PCE'\r\nUNS+S'\r\nUNT+7+M1'\r\nUNZ+1+ICR0003'\r\n"),
			 0);
	free(ingest(e, "plain.edi", plain));
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 2);
	ck_assert_int_eq(tu_count_files(e->erp), 2);
	ck_assert_int_eq(tu_count_files(e->out), 2);
	/* test indicator: the ERP file goes to erp-test-dir */
	char *test = orders_ic("ICR0004", "", "1", ORDERS_BODY, NULL);
	free(ingest(e, "test.edi", test));
	run_once(e);
	char *tdir = pj(e->erp, "test");
	ck_assert_int_eq(tu_count_files(tdir), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 2); /* production files only */
	free(tdir);
	free(test);
	free(plain);
	free(bad);
	free(id);
	free(ic);
	env_free(e);
}
END_TEST

/* The partner's overlay of the EDIFACT definitions says which NAD qualifiers it sends: an
 * unknown one is rejected, and the CONTRL names the segment, element and code 12. */
START_TEST(test_edifact_unknown_qualifier)
{
	struct env *e = env_new("997", "on-error");
	char *ov = pj(e->dir, "partners/retailer-edifact.def");
	writef(ov, "transaction D96A ORDERS\nonly-codes NAD01 BY DP SU IV\n");
	edifact_setup(e, "edifact-schema-overlay = retailer-edifact.def\n");
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 0);
	free(out);
	char *body = tu_replace(ORDERS_BODY, "NAD+BY+", "NAD+ZZZ+");
	char *ic = orders_ic("ICR0010", "1", "", body, NULL);
	free(ingest(e, "zzz.edi", ic));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	ck_assert_int_le(tu_count_files(e->erp), 0);
	char *c = first_in(e->out);
	ck_assert_ptr_nonnull(c);
	/* NAD is segment 4 of the message (UNH = 1), NAD01 is data element 2 counting the tag */
	ck_assert_msg(strstr(c, "UCM+M1+ORDERS:D:96A:UN:EAN008+4'UCS+4'UCD+12+2'"), "CONTRL:\n%s", c);
	free(c);
	/* a broken overlay stops config check with its line */
	writef(ov, "transaction D96A ORDERS\nonly-codes NAD99 BY\n");
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 78);
	ck_assert_msg(strstr(out, "retailer-edifact.def:2"), "%s", out);
	free(out);
	free(ic);
	free(body);
	free(ov);
	env_free(e);
}
END_TEST

/* An interchange the reader cannot decode (unknown syntax identifier) is rejected, and the
 * partner still gets a CONTRL saying so (UCI 4, code 2, at UNB element 1). */
START_TEST(test_edifact_unreadable_contrl)
{
	struct env *e = env_new("997", "on-error");
	edifact_setup(e, NULL);
	char *ic = orders_ic("ICR0011", "1", "", ORDERS_BODY, NULL);
	char *z = tu_replace(ic, "UNB+UNOC:3+", "UNB+UNOZ:3+");
	free(ingest(e, "unoz.edi", z));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	char *c = first_in(e->out);
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(strstr(c, "UCI+ICR0011+5412345000013:14+4012345000009:14+4+2+UNB+2:1'"), "CONTRL:\n%s", c);
	ck_assert_ptr_null(strstr(c, "UCM"));
	free(c);
	free(z);
	free(ic);
	env_free(e);
}
END_TEST

/* An EDIFACT interchange from an unknown sender, or not addressed to us, is held. */
START_TEST(test_edifact_unknown_held)
{
	struct env *e = env_new("997", "on-error");
	edifact_setup(e, NULL);
	char *ic = orders_ic("ICR0009", "1", "", ORDERS_BODY, NULL);
	char *other = tu_replace(ic, "+4012345000009:14+", "+9999999999999:14+");
	free(ingest(e, "other.edi", other));
	run_once(e);
	ck_assert_int_eq(qcount(e, "hold"), 1);
	char *hold = qdir(e, "hold");
	char *held = first_in(hold);
	free(hold);
	ck_assert_msg(strstr(held, "addressed to 9999999999999:14") != NULL, "%s", held);
	free(held);
	ck_assert_int_le(tu_count_files(e->out), 0);
	free(other);
	free(ic);
	env_free(e);
}
END_TEST

/* A failed job replayed after a fix gets a new 997 with new control numbers (the first,
 * rejecting one is already queued); status lists held and failed jobs among the failures. */
START_TEST(test_replay_new_ack)
{
	struct env *e = env_new("997", "on-error");
	char *ov = pj(e->dir, "partners/retailer-850.def");
	writef(ov, "transaction 004010 850\nrequire DTM\n");
	partner_conf_add(e, "schema-overlay = retailer-850.def\n");
	const char *sets[] = { PO_A };
	char *doc = interchange("RETAILER", 2301, '0', "2301", 1, sets, NULL);
	char *id = ingest(e, "po.x12", doc);
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	char *first = nth_in(e->out, 0);
	ck_assert_msg(first && strstr(first, "AK5*R*5"), "%s", first ? first : "(none)");
	/* the analyst fixes the overlay and replays the job */
	writef(ov, "transaction 004010 850\n");
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "replay", id, NULL), 0);
	free(out);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	ck_assert_int_eq(tu_count_files(e->out), 2);
	char *second = nth_in(e->out, 1);
	ck_assert_msg(second && strstr(second, "*000000002*0*P*") && strstr(second, "AK5*A~AK9*A*1*1*1~"), "%s",
		      second ? second : "(none)");
	/* a held job is listed among the recent failures */
	free(ingest(e, "again.x12", doc));
	run_once(e);
	ck_assert_int_eq(qcount(e, "hold"), 1);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "held: duplicate of"), "%s", out);
	free(out);
	free(second);
	free(first);
	free(id);
	free(doc);
	free(ov);
	env_free(e);
}
END_TEST

/* A 3PL that sends CSV shipment confirmations: profile and map only. One record per
 * order number, the ERP file of its kind; an unreadable file fails with line and column. */
START_TEST(test_csv_partner)
{
	struct env *e = env_new("997", "on-error");
	char *prof = tu_srcpath("maps/erp/warehouse-shipping-advice-csv.map");
	char *map = tu_srcpath("tests/data/csv/shipconf.map");
	FILE *f = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "erp.warehouse-shipping-advice = %s\n", prof);
	fclose(f);
	char *line = NULL;
	ck_assert_int_gt(asprintf(&line, "document.SHIPCONF = %s\ncsv.document = SHIPCONF\n", map), 0);
	partner_conf_add(e, line);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 0);
	free(out);
	char *src = tu_srcpath("tests/data/csv/shipconf.csv");
	char *csv = tu_read(src, NULL);
	ck_assert_ptr_nonnull(csv);
	char *id = ingest(e, "shipconf.csv", csv);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *erp = first_in(e->erp);
	ck_assert_msg(erp && strstr(erp, "SO-1001") && strstr(erp, "SO-1002"), "%s", erp ? erp : "(none)");
	ck_assert_int_le(tu_count_files(e->out), 0); /* CSV gets no acknowledgment */
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1002", NULL), 0);
	ck_assert_msg(strstr(out, "in SHIPCONF") && strstr(out, "state accepted"), "%s", out);
	free(out);
	/* an unclosed quote: the file fails, the reason names line and column */
	char *bad = NULL;
	ck_assert_int_gt(asprintf(&bad, "order_no,status,ship_date\nSO-9,F,\"20261120\n"), 0);
	free(ingest(e, "bad.csv", bad));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	char *fdir = qdir(e, "failed");
	char *failed = first_in(fdir);
	ck_assert_msg(failed && strstr(failed, "not readable as CSV (SHIPCONF): line 2, column 3"), "%s",
		      failed ? failed : "(none)");
	free(failed);
	free(fdir);
	free(bad);
	free(erp);
	free(id);
	free(csv);
	free(src);
	free(line);
	free(map);
	free(prof);
	env_free(e);
}
END_TEST

/* tolerate.wrong-counts = yes: a wrong SE01 is accepted, and the ledger says which setting. */
START_TEST(test_tolerated_wrong_count)
{
	struct env *e = env_new("997", "on-error");
	partner_conf_add(e, "tolerate.wrong-counts = yes\n");
	char *bad = tu_replace(PO_A, "SE*9*0001~", "SE*8*0001~");
	const char *sets[] = { bad };
	char *doc = interchange("RETAILER", 2201, '0', "2201", 1, sets, NULL);
	char *id = ingest(e, "po.x12", doc);
	run_once(e);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	char *ack = first_in(e->out);
	ck_assert_ptr_nonnull(strstr(ack, "AK5*A~AK9*A*1*1*1~"));
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "tolerate.wrong-counts") != NULL, "no tolerance notice in:\n%s", out);
	free(out);
	/* inspect reads like the gateway: with the partner's tolerances, or without them */
	char *path = pj(e->tmp, "po.x12");
	ck_assert_int_eq(tu_edigw(e->conf, &out, "inspect", "--partner", "retailer", path, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "1 transaction set(s) validated against their definitions"));
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "inspect", path, NULL), 65);
	ck_assert_ptr_nonnull(strstr(out, "SE01 segment count does not match"));
	free(out);
	free(path);
	free(ack);
	free(id);
	free(doc);
	free(bad);
	env_free(e);
}
END_TEST

START_TEST(test_st02_se02_mismatch)
{
	struct env *e = env_new("997", "on-error");
	char *ack = ack_for_edited_po(e, "SE*9*0001~", "SE*9*0009~", 2002, '0');
	ck_assert_ptr_nonnull(strstr(ack, "AK5*R*3~"));
	free(ack);
	env_free(e);
}
END_TEST

START_TEST(test_partial_group)
{
	struct env *e = env_new("997", "on-error");
	char *bad = tu_replace(PO_B, "SE*6*0002~", "SE*7*0002~");
	const char *sets[] = { PO_A, bad };
	char *doc = interchange("RETAILER", 2003, '0', "2003", 2, sets, NULL);
	free(ingest(e, "po.x12", doc));
	run_once(e);
	char *ack = first_in(e->out);
	ck_assert_ptr_nonnull(ack);
	ck_assert_ptr_nonnull(strstr(ack, "AK2*850*0001~AK5*A~"));
	ck_assert_ptr_nonnull(strstr(ack, "AK2*850*0002~AK5*R*4~"));
	ck_assert_ptr_nonnull(strstr(ack, "AK9*P*2*2*1~"));
	/* one ERP order: PO-1001 is there, PO-1002 is not */
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	char *erp = first_in(e->erp);
	ck_assert_ptr_nonnull(strstr(erp, "PO-1001"));
	ck_assert_ptr_null(strstr(erp, "PO-1002"));
	/* partly accepted → archived, with the rejection in the ledger */
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "rejected"));
	free(out);
	free(erp);
	free(ack);
	free(doc);
	free(bad);
	env_free(e);
}
END_TEST

START_TEST(test_iea_mismatch_ta1)
{
	struct env *e = env_new("997", "on-error");
	const char *sets[] = { PO_A };
	char *doc = interchange("RETAILER", 3001, '0', "3001", 1, sets, "000003999");
	free(ingest(e, "po.x12", doc));
	run_once(e);
	ck_assert_int_eq(tu_count_files(e->erp), 0);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	char *ack = first_in(e->out);
	ck_assert_ptr_nonnull(ack);
	ck_assert_ptr_nonnull(strstr(ack, "~TA1*000003001*261122*0930*R*001~"));
	ck_assert_ptr_null(strstr(ack, "GS*"));
	ck_assert_ptr_nonnull(strstr(ack, "IEA*0*"));
	char *name = tu_first_file(e->out);
	ck_assert_str_eq(name, "000000001-TA1.x12");
	/* the partner fixes the trailer and resends under the same ISA13: not a duplicate */
	char *fixed = interchange("RETAILER", 3001, '0', "3001", 1, sets, NULL);
	free(ingest(e, "fixed.x12", fixed));
	run_once(e);
	ck_assert_int_eq(qcount(e, "hold"), 0);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	free(fixed);
	free(name);
	free(ack);
	free(doc);
	env_free(e);
}
END_TEST

START_TEST(test_ta1_requested)
{
	struct env *e = env_new("997", "on-error");
	const char *sets[] = { PO_A };
	char *doc = interchange("RETAILER", 3002, '1', "3002", 1, sets, NULL);
	free(ingest(e, "po.x12", doc));
	run_once(e);
	char *ack = first_in(e->out);
	ck_assert_ptr_nonnull(ack);
	/* TA1 right after the ISA, before the GS */
	char *ta1 = strstr(ack, "TA1*000003002*261122*0930*A*000~");
	ck_assert_ptr_nonnull(ta1);
	ck_assert_int_eq((int)(ta1 - ack), 106);
	ck_assert_ptr_nonnull(strstr(ack, "AK9*A*1*1*1~"));
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	free(ack);
	free(doc);
	env_free(e);
}
END_TEST

START_TEST(test_unknown_partner_held)
{
	struct env *e = env_new("997", "on-error");
	const char *sets[] = { PO_A };
	char *doc = interchange("STRANGER", 4001, '0', "4001", 1, sets, NULL);
	/* via the drop directory, so no partner is implied by the transport either */
	char *drop = pj(e->dir, "drop");
	mkdir(drop, 0750);
	char *g = pj(drop, "PO 42;$(rm -rf)\x01.x12");
	ck_assert_int_eq(tu_write(g, doc, strlen(doc)), 0);
	run_once(e);
	ck_assert_int_eq(tu_count_files(drop), 0); /* taken */
	ck_assert_int_eq(qcount(e, "hold"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 0);
	ck_assert_int_le(tu_count_files(e->out), 0);
	char *held_dir = qdir(e, "hold");
	char *held = first_in(held_dir);
	ck_assert_ptr_nonnull(strstr(held, "Reason: "));
	ck_assert_ptr_nonnull(strstr(held, "STRANGER"));
	/* the partner's file name is kept only as sanitized metadata */
	ck_assert_ptr_nonnull(strstr(held, "Original-Name: PO_42___rm_-rf__.x12"));
	free(held);
	free(held_dir);
	free(g);
	free(drop);
	free(doc);
	env_free(e);
}
END_TEST

START_TEST(test_garbage_failed)
{
	struct env *e = env_new("997", "on-error");
	char junk[512];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)((i * 131 + 7) & 0xff);
	junk[0] = 'Z';
	junk[sizeof junk - 1] = '\0';
	free(ingest(e, "junk.bin", junk));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	char *fd = qdir(e, "failed");
	char *job = first_in(fd);
	ck_assert_ptr_nonnull(strstr(job, "Reason: not a valid X12 document"));
	ck_assert_ptr_nonnull(strstr(job, "line 1"));
	ck_assert_int_le(tu_count_files(e->out), 0);
	free(job);
	free(fd);
	env_free(e);
}
END_TEST

START_TEST(test_duplicate_held_and_release)
{
	struct env *e = env_new("997", "on-error");
	const char *sets[] = { PO_A };
	char *doc = interchange("RETAILER", 5001, '0', "5001", 1, sets, NULL);
	char *first = ingest(e, "a.x12", doc);
	run_once(e);
	char *second = ingest(e, "b.x12", doc);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(qcount(e, "hold"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	ck_assert_int_eq(tu_count_files(e->out), 1); /* no second 997 */
	char *hd = qdir(e, "hold");
	char *held = first_in(hd);
	char want[128];
	snprintf(want, sizeof want, "Reason: duplicate of %s", first);
	ck_assert_msg(strstr(held, want) != NULL, "held job lacks '%s':\n%.400s", want, held);
	/* the operator releases it: it is processed, but the ERP file is not doubled */
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "release", second, NULL), 0);
	free(out);
	run_once(e);
	ck_assert_int_eq(qcount(e, "hold"), 0);
	ck_assert_int_eq(qcount(e, "archive"), 2);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	free(held);
	free(hd);
	free(first);
	free(second);
	free(doc);
	env_free(e);
}
END_TEST

START_TEST(test_inbound_997_no_ack)
{
	struct env *e = env_new("997", "on-error");
	char *i = isa("RETAILER", 6001, '0', "00401", 'U', 'P');
	char doc[1024];
	snprintf(doc, sizeof doc,
		 "%sGS*FA*RETAILER*ACMESUPPLY*20261122*0930*6001*X*004010~ST*997*0001~AK1*IN*17~"
		 "AK2*810*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*6001~IEA*1*000006001~",
		 i);
	free(ingest(e, "ack.x12", doc));
	run_once(e);
	ck_assert_int_le(tu_count_files(e->out), 0);
	ck_assert_int_eq(tu_count_files(e->erp), 0);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	free(i);
	env_free(e);
}
END_TEST

START_TEST(test_999_partner)
{
	struct env *e = env_new("999", "never");
	char *ack = ack_for_edited_po(e, "SE*9*0001~", "SE*8*0001~", 7001, '1');
	ck_assert_ptr_nonnull(strstr(ack, "ST*999*0001"));
	ck_assert_ptr_nonnull(strstr(ack, "IK5*R*4~"));
	ck_assert_ptr_null(strstr(ack, "TA1*")); /* ta1 = never */
	free(ack);
	env_free(e);
}
END_TEST

START_TEST(test_status_json_and_help)
{
	struct env *e = env_new("997", "on-error");
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "status", "--json", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"queues\":{\"incoming\":{\"jobs\":0"));
	free(out);
	const char *cmds[] = { "run", "ingest", "status", "track", "map", "config", "release", "replay" };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		ck_assert_int_eq(tu_edigw(e->conf, &out, cmds[i], "--help", NULL), 0);
		ck_assert_ptr_nonnull(strstr(out, "usage: edigw"));
		free(out);
	}
	ck_assert_int_eq(tu_edigw(e->conf, &out, "frobnicate", NULL), 64);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "OK"));
	free(out);
	/* a broken config names file and line */
	writef(e->conf, "spool = spool\nbogus-key = 1\n");
	ck_assert_int_eq(tu_edigw(e->conf, &out, "config", "check", NULL), 78);
	ck_assert_ptr_nonnull(strstr(out, "edigw.conf:2:"));
	free(out);
	env_free(e);
}
END_TEST


/* The daemon polls the drop directory, and SIGTERM makes it finish and exit 0. */
START_TEST(test_daemon_sigterm)
{
	struct env *e = env_new("997", "on-error");
	char *drop = pj(e->dir, "drop");
	mkdir(drop, 0750);
	char *log = pj(e->dir, "daemon.log");
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		dup2(fd, 1);
		dup2(fd, 2);
		const char *bin = getenv("EDIGW_BIN");
		execl(bin, bin, "-c", e->conf, "run", (char *)NULL);
		_exit(127);
	}
	/* a partner writes under a .part name first: not taken until renamed */
	const char *sets[] = { PO_A };
	char *doc = interchange("RETAILER", 8001, '0', "8001", 1, sets, NULL);
	char *part = pj(drop, "po.x12.part"), *final = pj(drop, "po.x12");
	ck_assert_int_eq(tu_write(part, doc, strlen(doc)), 0);
	sleep(2);
	ck_assert_int_eq(tu_count_files(drop), 1);
	ck_assert_int_eq(rename(part, final), 0);
	int done = 0;
	for (int i = 0; i < 100 && !done; i++) {
		usleep(100000);
		done = qcount(e, "archive") == 1 && tu_count_files(e->erp) == 1;
	}
	ck_assert_msg(done, "the daemon did not process the dropped file");
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	int st = 0, exited = 0;
	for (int i = 0; i < 100 && !exited; i++) {
		usleep(100000);
		exited = waitpid(pid, &st, WNOHANG) == pid;
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	ck_assert_msg(exited, "edigw run did not exit within 10 s of SIGTERM");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *out = tu_read(log, NULL);
	ck_assert_ptr_nonnull(strstr(out, "stopping on signal"));
	ck_assert_ptr_nonnull(strstr(out, "1 accepted"));
	free(out);
	free(part);
	free(final);
	free(doc);
	free(log);
	free(drop);
	env_free(e);
}
END_TEST

/* ------------------------------------------------------------- crash safety */

/* Count "\nH," style header records of orders in every ERP file; -1 on a partial file. */
static int erp_orders(struct env *e, int *files)
{
	DIR *d = opendir(e->erp);
	int total = 0;
	*files = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = pj(e->erp, de->d_name);
		struct stat sb;
		if (lstat(p, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			free(p); /* erp/test/ is the test-data directory */
			continue;
		}
		size_t len = 0;
		char *c = tu_read(p, &len);
		free(p);
		if (!c)
			continue;
		(*files)++;
		if (len == 0 || c[len - 1] != '\n') {
			free(c);
			closedir(d);
			return -1;
		}
		/* one header record per order: lines starting with the header tag */
		int at_line_start = 1;
		for (size_t i = 0; i < len; i++) {
			if (at_line_start && c[i] == 'H' && i + 1 < len && c[i + 1] == ',')
				total++;
			at_line_start = c[i] == '\n';
		}
		free(c);
	}
	closedir(d);
	return total;
}

/* Three POs per interchange, n interchanges, each as its own job. */
static void ingest_batch(struct env *e, int n)
{
	for (int k = 0; k < n; k++) {
		char a[512], b[512], c[512];
		snprintf(a, sizeof a, "ST*850*0001~BEG*00*SA*PO-%d-1**20261122~N1*ST*DC*92*0007~"
				      "PO1*1*1*EA*1**BP*S1~CTT*1~SE*6*0001~", k);
		snprintf(b, sizeof b, "ST*850*0002~BEG*00*SA*PO-%d-2**20261122~N1*ST*DC*92*0007~"
				      "PO1*1*2*EA*2**BP*S2~CTT*1~SE*6*0002~", k);
		snprintf(c, sizeof c, "ST*850*0003~BEG*00*SA*PO-%d-3**20261122~N1*ST*DC*92*0007~"
				      "PO1*1*3*EA*3**BP*S3~CTT*1~SE*6*0003~", k);
		const char *sets[] = { a, b, c };
		char gcn[16], name[32];
		snprintf(gcn, sizeof gcn, "%d", 100 + k);
		snprintf(name, sizeof name, "b%03d.x12", k);
		char *doc = interchange("RETAILER", 9000 + k, '0', gcn, 3, sets, NULL);
		free(ingest(e, name, doc));
		free(doc);
	}
}

/* After the batch: every job archived once, one ERP file and one 997 per interchange. */
static void check_batch_done(struct env *e, int n)
{
	ck_assert_int_eq(qcount(e, "incoming"), 0);
	ck_assert_int_eq(qcount(e, "active"), 0);
	ck_assert_int_eq(qcount(e, "failed"), 0);
	ck_assert_int_eq(qcount(e, "hold"), 0);
	ck_assert_int_eq(qcount(e, "archive"), n);
	int files = 0;
	int orders = erp_orders(e, &files);
	ck_assert_int_eq(files, n);
	ck_assert_int_eq(orders, 3 * n);
	ck_assert_int_eq(tu_count_files(e->out), n);
	/* every 997 has its own ISA13 1..n (files are named by it) */
	for (int k = 1; k <= n; k++) {
		char name[64];
		snprintf(name, sizeof name, "%09d-997.x12", k);
		char *p = pj(e->out, name);
		ck_assert_msg(access(p, F_OK) == 0, "missing %s", p);
		free(p);
	}
}

/* Run edigw run --once with EDIGW_CRASH_AT set; returns the wait status. */
static int run_with_crash(struct env *e, const char *point)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("EDIGW_CRASH_AT", point, 1);
		const char *bin = getenv("EDIGW_BIN");
		execl(bin, bin, "-c", e->conf, "run", "--once", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

/* Two workers on one spool: every job is claimed by exactly one of them. */
START_TEST(test_two_workers)
{
	struct env *e = env_new("997", "on-error");
	const int n = 16;
	ingest_batch(e, n);
	pid_t pids[2];
	for (int w = 0; w < 2; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			const char *bin = getenv("EDIGW_BIN");
			execl(bin, bin, "-c", e->conf, "run", "--once", (char *)NULL);
			_exit(127);
		}
	}
	for (int w = 0; w < 2; w++) {
		int st = 0;
		waitpid(pids[w], &st, 0);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker %d failed", w);
	}
	check_batch_done(e, n);
	env_free(e);
}
END_TEST

START_TEST(test_crash_fault_points)
{
	static const char *points[] = { "after-claim",  "before-ledger-commit", "after-ledger-commit",
					"after-ack",    "erp-commit",           "before-archive",
					"erp-commit:2", "after-ack:3" };
	const char *point = points[_i];
	struct env *e = env_new("997", "on-error");
	ingest_batch(e, 4);
	int st = run_with_crash(e, point);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: process was not killed", point);
	int files = 0;
	ck_assert_int_ge(erp_orders(e, &files), 0); /* no partial ERP file visible */
	run_once(e);                                /* restart: recovery, then the rest */
	check_batch_done(e, 4);
	env_free(e);
}
END_TEST

START_TEST(test_crash_random_kills)
{
	struct env *e = env_new("997", "on-error");
	const int n = 12;
	ingest_batch(e, n);
	unsigned seed = (unsigned)time(NULL);
	srand(seed);
	int finished = 0, kills = 0;
	int round = 0;
	for (; round < 150 && !finished; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			const char *bin = getenv("EDIGW_BIN");
			execl(bin, bin, "-c", e->conf, "run", "--once", (char *)NULL);
			_exit(127);
		}
		/* kill after 0..(5 + round) ms: early rounds die young, later ones get further */
		struct timespec ts = { 0, (long)(rand() % (5000 + 1000 * round)) * 1000L };
		nanosleep(&ts, NULL);
		int st = 0;
		if (waitpid(pid, &st, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			kills++;
		}
		int files = 0;
		ck_assert_msg(erp_orders(e, &files) >= 0, "partial ERP file visible (seed %u)", seed);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && qcount(e, "incoming") == 0 &&
		    qcount(e, "active") == 0)
			finished = 1;
	}
	run_once(e);
	fprintf(stderr, "random kills: %d kills in %d rounds before completion (seed %u)\n", kills,
		round, seed);
	check_batch_done(e, n);
	env_free(e);
}
END_TEST

/* ------------------------------------------------ flat files: bad rows */

/* A 3PL partner sending SHIPCONF CSV files (tests/data/csv/shipconf.map) with extra
 * profile lines. */
static struct env *csv_env(const char *extra)
{
	struct env *e = env_new("997", "on-error");
	char *prof = tu_srcpath("maps/erp/warehouse-shipping-advice-csv.map");
	char *map = tu_srcpath("tests/data/csv/shipconf.map");
	FILE *f = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "erp.warehouse-shipping-advice = %s\n", prof);
	fclose(f);
	char *line = NULL;
	ck_assert_int_gt(asprintf(&line, "document.SHIPCONF = %s\ncsv.document = SHIPCONF\n%s", map, extra), 0);
	partner_conf_add(e, line);
	char *out = NULL;
	ck_assert_msg(tu_edigw(e->conf, &out, "config", "check", NULL) == 0, "%s", out);
	free(out);
	free(line);
	free(map);
	free(prof);
	return e;
}

/* Line 3 has a bad quantity (column 10), line 4 is a short row, SO-1004's only row has an
 * empty required SKU, SO-1005's ship date (a top-level field) is not a date. */
static const char BADROWS_CSV[] =
	"order_no,status,ship_date,shipment,bol,carrier,sku,description,lot,qty_shipped,uom\n"
	"SO-1001,F,20261120,SH-77,BOL-9,UPSN,A-100,Widget,L1,12,EA\n"
	"SO-1001,F,20261120,SH-77,BOL-9,UPSN,A-200,Gadget,L2,x5,EA\n"
	"SO-1002,P,20261121,SH-78,,FDEG,B-300,Bolt,L3,100\n"
	"SO-1003,P,20261121,SH-79,,FDEG,C-400,Nut,L4,7,EA\n"
	"SO-1004,P,20261121,SH-80,,FDEG,,Nut,L5,7,EA\n"
	"SO-1005,P,2026112x,SH-81,,FDEG,E-600,Nut,L6,7,EA\n";

/* flat.bad-row unset (reject-file): one bad row refuses the whole file; its reason and
 * the job's events name every problem with line and column; nothing reaches the ERP. */
START_TEST(test_csv_bad_row_reject_file)
{
	struct env *e = csv_env("");
	char *id = ingest(e, "badrows.csv", BADROWS_CSV);
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	ck_assert_int_eq(qcount(e, "archive"), 0);
	ck_assert_int_le(tu_count_files(e->erp), 0);
	char *fdir = qdir(e, "failed");
	char *failed = first_in(fdir);
	ck_assert_ptr_nonnull(failed);
	ck_assert_msg(strstr(failed, "SHIPCONF file refused as a whole (flat.bad-row = reject-file): 4 problems on "
				     "4 lines: "), "%s", failed);
	ck_assert_msg(strstr(failed, "lines/line[2]/quantity: line 3, column 10 (qty_shipped) is not a decimal "
				     "number"), "%s", failed);
	ck_assert_msg(strstr(failed, "line 4: short row: 10 fields, the header has 11"), "%s", failed);
	ck_assert_msg(strstr(failed, "lines/line[1]/vendor-item: line 6, column 7 (sku) is required"), "%s", failed);
	ck_assert_msg(strstr(failed, "ship-date: line 7, column 3 (ship_date) is not a valid date"), "%s", failed);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "warning    line 4: short row"), "%s", out);
	ck_assert_msg(strstr(out, "warning    lines/line[2]/quantity: line 3, column 10"), "%s", out);
	free(out);
	/* a record with no problem of its own is rejected with the file */
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1003", NULL), 0);
	ck_assert_msg(strstr(out, "state rejected") && strstr(out, "file refused as a whole"), "%s", out);
	free(out);
	free(failed);
	free(fdir);
	free(id);
	env_free(e);
}
END_TEST

/* flat.bad-row = reject-row: bad rows are left out with a warning naming line and column,
 * the records go on without them; a record whose rows are all bad, or whose top-level
 * field is bad, is not written; the file is archived as partly accepted. */
START_TEST(test_csv_bad_row_reject_row)
{
	struct env *e = csv_env("flat.bad-row = reject-row\n");
	char *id = ingest(e, "badrows.csv", BADROWS_CSV);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(qcount(e, "failed"), 0);
	char *erp = first_in(e->erp);
	ck_assert_ptr_nonnull(erp);
	ck_assert_msg(strstr(erp, "H,SO-1001,") && strstr(erp, "A-100") && !strstr(erp, "A-200"), "%s", erp);
	ck_assert_msg(strstr(erp, "H,SO-1003,") && strstr(erp, "C-400"), "%s", erp);
	ck_assert_msg(!strstr(erp, "SO-1002") && !strstr(erp, "SO-1004") && !strstr(erp, "SO-1005"), "%s", erp);
	/* SO-1001 has one line now, numbered 1 */
	ck_assert_msg(strstr(erp, "L,SO-1001,1,"), "%s", erp);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "lines/line[2]/quantity: line 3, column 10 (qty_shipped) is not a decimal number"),
		      "%s", out);
	ck_assert_msg(strstr(out, "(value 'x5'): row left out of the record SO-1001 (from line 2) "
				  "(flat.bad-row = reject-row)"), "%s", out);
	ck_assert_msg(strstr(out, "line 4: short row: 10 fields, the header has 11: row left out"), "%s", out);
	ck_assert_msg(strstr(out, "3 rows left out of the SHIPCONF file (flat.bad-row = reject-row)"), "%s", out);
	ck_assert_msg(strstr(out, "partly accepted"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1001", NULL), 0);
	ck_assert_msg(strstr(out, "state accepted"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1004", NULL), 0);
	ck_assert_msg(strstr(out, "state rejected") && strstr(out, "every row of the record was rejected"), "%s",
		      out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1005", NULL), 0);
	ck_assert_msg(strstr(out, "state rejected") && strstr(out, "line 7, column 3 (ship_date)"), "%s", out);
	free(out);
	/* a structural error still refuses the whole file */
	free(ingest(e, "bad.csv", "order_no,status\nSO-9,\"F\n"));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	char *fdir = qdir(e, "failed");
	char *failed = first_in(fdir);
	ck_assert_msg(failed && strstr(failed, "not readable as CSV (SHIPCONF): line 2, column 2"), "%s",
		      failed ? failed : "(none)");
	free(failed);
	free(fdir);
	/* every row bad: nothing left, the job fails */
	free(ingest(e, "allbad.csv", "order_no,status,ship_date\nSO-8,F\n"));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 2);
	free(erp);
	free(id);
	env_free(e);
}
END_TEST

/* A 3PL partner sending SHIPFIX fixed-width files (tests/data/fixed/shipfix.map). */
static struct env *fixed_env(const char *extra)
{
	struct env *e = env_new("997", "on-error");
	char *prof = tu_srcpath("maps/erp/warehouse-shipping-advice-csv.map");
	char *map = tu_srcpath("tests/data/fixed/shipfix.map");
	FILE *f = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "erp.warehouse-shipping-advice = %s\n", prof);
	fclose(f);
	char *line = NULL;
	ck_assert_int_gt(asprintf(&line, "document.SHIPFIX = %s\nfixed.document = SHIPFIX\n%s", map, extra), 0);
	partner_conf_add(e, line);
	char *out = NULL;
	ck_assert_msg(tu_edigw(e->conf, &out, "config", "check", NULL) == 0, "%s", out);
	free(out);
	free(line);
	free(map);
	free(prof);
	return e;
}

/* A fixed-width partner: one record per H line into the ERP file of its kind, no
 * acknowledgment; under the default bad-row setting a file with a line of no record
 * type and a bad quantity is refused naming both lines; csv.document and
 * fixed.document exclude each other. */
START_TEST(test_fixed_partner)
{
	struct env *e = fixed_env("");
	char *src = tu_srcpath("tests/data/fixed/shipfix.txt");
	char *txt = tu_read(src, NULL);
	ck_assert_ptr_nonnull(txt);
	free(ingest(e, "shipfix.txt", txt));
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *erp = first_in(e->erp);
	ck_assert_msg(erp && strstr(erp, "H,SO-1001,final,2026-11-20,SH-77,") && strstr(erp, "H,SO-1002,partial,"),
		      "%s", erp ? erp : "(none)");
	ck_assert_msg(strstr(erp, "L,SO-1001,2,,A-200,,,,3.5,EA,\"Gadget \"\"Pro\"\"\",L2"), "%s", erp);
	ck_assert_int_le(tu_count_files(e->out), 0);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1002", NULL), 0);
	ck_assert_msg(strstr(out, "in SHIPFIX") && strstr(out, "state accepted") && strstr(out, "ST02 line 6"), "%s",
		      out);
	free(out);
	/* reject-file: a line of no record type (5) and a bad quantity (3) */
	char *bad = tu_replace(txt, "D A-200       000003500", "D A-200       0000035x0");
	char *bad2 = tu_replace(bad, "T 00002\r\n", "T 00002\r\nZ stray line\r\n");
	free(ingest(e, "bad.txt", bad2));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1); /* only the first file's */
	char *fdir = qdir(e, "failed");
	char *failed = first_in(fdir);
	ck_assert_msg(failed && strstr(failed, "SHIPFIX file refused as a whole (flat.bad-row = reject-file): 2 "
					       "problems on 2 lines: lines/line[2]/quantity: line 4, columns 15-23 "
					       "(D:15+9) is not a whole number"),
		      "%s", failed ? failed : "(none)");
	ck_assert_msg(strstr(failed, "line 6, column 1: no record type matches the line ('Z stray line')"), "%s",
		      failed);
	free(failed);
	free(fdir);
	/* a file that is not UTF-8 (no fixed.encoding): refused with line and column */
	free(ingest(e, "latin1.txt", "H SO-9\nD Caf\xe9\n"));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 2);
	/* csv.document and fixed.document exclude each other */
	char *map = tu_srcpath("tests/data/csv/shipconf.map");
	char *line = NULL;
	ck_assert_int_gt(asprintf(&line, "document.SHIPCONF = %s\ncsv.document = SHIPCONF\n", map), 0);
	partner_conf_add(e, line);
	ck_assert_int_ne(tu_edigw(e->conf, &out, "config", "check", NULL), 0);
	ck_assert_msg(strstr(out, "csv.document and fixed.document exclude each other"), "%s", out);
	free(out);
	free(line);
	free(map);
	free(bad);
	free(bad2);
	free(erp);
	free(txt);
	free(src);
	env_free(e);
}
END_TEST

/* flat.bad-row = reject-row for a fixed-width file in ISO-8859-1: a line of no record type
 * and a bad detail line are left out with warnings, the records go on, the trailer's
 * count check then rejects the record that lost a line; a bad flat.bad-row value is a
 * configuration error. */
START_TEST(test_fixed_bad_row_reject_row)
{
	struct env *e = fixed_env("flat.bad-row = reject-row\nfixed.encoding = ISO-8859-1\n");
	const char *txt = "FH ACME3PL   20261120\r\n"
			  "H SO-1001   20261120UPSN SH-77     BOL-9     F\r\n"
			  "D A-100       000012000EAL1   Caf\xe9 cups\r\n"
			  "D A-200       0000x3500EAL2   Gadget\r\n"
			  "T 00002\r\n"
			  "Z stray line\r\n"
			  "H SO-1002   20261121FDEG SH-78               P\r\n"
			  "D B-300       000100000BXL3   Bolt\r\n"
			  "D B-400       000001000BXL3   Nut\r\n"
			  "FT00002\r\n";
	char *id = ingest(e, "rr.txt", txt);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *erp = first_in(e->erp);
	ck_assert_msg(erp && strstr(erp, "H,SO-1002,partial,") && strstr(erp, "B-400"), "%s", erp ? erp : "(none)");
	ck_assert_msg(!strstr(erp, "SO-1001"), "%s", erp);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "line 6, column 1: no record type matches the line ('Z stray line')") &&
			      strstr(out, "line left out (flat.bad-row = reject-row)"),
		      "%s", out);
	ck_assert_msg(strstr(out, "lines/line[2]/quantity: line 4, columns 15-23 (D:15+9) is not a whole number") &&
			      strstr(out, "line left out of the record SO-1001 (from line 2)"),
		      "%s", out);
	ck_assert_msg(strstr(out, "2 lines left out of the SHIPFIX file"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1001", NULL), 0);
	ck_assert_msg(strstr(out, "state rejected") && strstr(out, "the document says 2 but the record has 1"), "%s",
		      out);
	free(out);
	free(erp);
	free(id);
	env_free(e);
	e = fixed_env("");
	partner_conf_add(e, "flat.bad-row = skip\n");
	ck_assert_int_ne(tu_edigw(e->conf, &out, "config", "check", NULL), 0);
	ck_assert_msg(strstr(out, "bad value 'skip' for 'flat.bad-row' (allowed: reject-file, reject-row)"), "%s",
		      out);
	free(out);
	env_free(e);
}
END_TEST

/* A 3PL partner sending SHIPXML XML documents (tests/data/xml/shipconfirm.map). */
static struct env *xml_env(const char *extra)
{
	struct env *e = env_new("997", "on-error");
	char *prof = tu_srcpath("maps/erp/warehouse-shipping-advice-csv.map");
	char *map = tu_srcpath("tests/data/xml/shipconfirm.map");
	FILE *f = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "erp.warehouse-shipping-advice = %s\n", prof);
	fclose(f);
	char *line = NULL;
	ck_assert_int_gt(asprintf(&line, "document.SHIPXML = %s\nxml.document = SHIPXML\n%s", map, extra), 0);
	partner_conf_add(e, line);
	char *out = NULL;
	ck_assert_msg(tu_edigw(e->conf, &out, "config", "check", NULL) == 0, "%s", out);
	free(out);
	free(line);
	free(map);
	free(prof);
	return e;
}

/* Every file of a directory concatenated (for "this text appears nowhere"). */
static char *all_in(const char *dir)
{
	char *all = strdup("");
	for (int k = 0;; k++) {
		char *c = nth_in(dir, k);
		if (!c)
			break;
		char *joined = NULL;
		ck_assert_int_gt(asprintf(&joined, "%s%s", all, c), -1);
		free(all);
		free(c);
		all = joined;
	}
	return all;
}

/* An XML partner: one record per ShipConfirm to the ERP; an XXE attempt naming a file
 * the test wrote is refused and the file's content appears nowhere (ERP files, the
 * failure reason, the ledger); a bad record refuses the file (reject-file); a file that
 * is not XML from a partner with only xml.document fails clearly. */
START_TEST(test_xml_partner)
{
	struct env *e = xml_env("");
	char *src = tu_srcpath("tests/data/xml/shipconfirm.xml");
	char *xml = tu_read(src, NULL);
	ck_assert_ptr_nonnull(xml);
	free(ingest(e, "sc.xml", xml));
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *erp = first_in(e->erp);
	ck_assert_msg(erp && strstr(erp, "H,SO-1001,final,2026-11-20,SH-77,,BOL-9,") && strstr(erp, "H,SO-1002,partial,"),
		      "%s", erp ? erp : "(none)");
	ck_assert_msg(strstr(erp, "\"Gadget \"\"Pro\"\" & more\""), "%s", erp);
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1002", NULL), 0);
	ck_assert_msg(strstr(out, "in SHIPXML") && strstr(out, "state accepted") && strstr(out, "ST02 line 25"), "%s",
		      out);
	free(out);
	/* XXE: an external entity naming a file with a secret */
	char *secret = pj(e->dir, "secret.txt");
	ck_assert_int_eq(tu_write(secret, "SECRET-7731\n", 12), 0);
	char *xxe = NULL;
	ck_assert_int_gt(asprintf(&xxe, "<?xml version=\"1.0\"?>\n<!DOCTYPE sc:ShipConfirms [\n"
				       "<!ENTITY x SYSTEM \"file://%s\">\n]>\n"
				       "<sc:ShipConfirms xmlns:sc=\"urn:acme:shipconfirm\"><sc:ShipConfirm status=\"F\">"
				       "<sc:OrderNo>SO-X</sc:OrderNo><sc:ShipDate>20261120</sc:ShipDate>"
				       "<sc:Shipment>&x;</sc:Shipment><sc:Lines><sc:Line><sc:Sku>&x;</sc:Sku><sc:Qty>1"
				       "</sc:Qty></sc:Line></sc:Lines></sc:ShipConfirm></sc:ShipConfirms>\n",
				       secret),
			 0);
	char *xid = ingest(e, "xxe.xml", xxe);
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	char *fdir = qdir(e, "failed");
	char *failed = first_in(fdir);
	ck_assert_msg(failed && strstr(failed, "not readable as XML (SHIPXML): line 3: the document declares the "
					       "entity 'x' (external): entity declarations are not accepted"),
		      "%s", failed ? failed : "(none)");
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", xid, NULL), 0);
	ck_assert_ptr_null(strstr(out, "SECRET-7731"));
	free(out);
	char *erps = all_in(e->erp);
	ck_assert_ptr_null(strstr(erps, "SECRET-7731"));
	free(erps);
	ck_assert_ptr_null(strstr(failed, "SECRET-7731"));
	free(failed);
	/* a bad quantity in the second record refuses the file */
	char *bad = tu_replace(xml, "<sc:Qty uom=\"BX\">100</sc:Qty>", "<sc:Qty uom=\"BX\">1OO</sc:Qty>");
	free(ingest(e, "bad.xml", bad));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 2);
	ck_assert_int_eq(tu_count_files(e->erp), 1);
	char *reasons = all_in(fdir);
	ck_assert_msg(strstr(reasons, "SHIPXML file refused as a whole (flat.bad-row = reject-file): 1 problem on 1 "
				      "line: lines/line[1]/quantity: line 33 (/sc:ShipConfirms/sc:ShipConfirm[2]/"
				      "sc:Lines/sc:Line/sc:Qty) is not a decimal number"),
		      "%s", reasons);
	free(reasons);
	/* another namespace: group-by selects nothing, which is not silently nothing */
	char *other = tu_replace(xml, "urn:acme:shipconfirm", "urn:acme:shipconfirm:v9");
	free(ingest(e, "other.xml", other));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 3);
	reasons = all_in(fdir);
	ck_assert_msg(strstr(reasons, "line 3: the document makes no record: group-by "
				      "xpath(/sc:ShipConfirms/sc:ShipConfirm) selects nothing under <ShipConfirms>"),
		      "%s", reasons);
	free(reasons);
	free(other);
	/* not XML at all */
	free(ingest(e, "not.xml", "order,qty\nSO-1,2\n"));
	run_once(e);
	ck_assert_int_eq(qcount(e, "failed"), 4);
	reasons = all_in(fdir);
	ck_assert_msg(strstr(reasons, "not an XML document (xml.document SHIPXML): after blanks the file does not "
				      "start with '<'"), "%s", reasons);
	free(reasons);
	free(bad);
	free(fdir);
	free(xid);
	free(xxe);
	free(secret);
	free(erp);
	free(xml);
	free(src);
	env_free(e);
}
END_TEST

/* flat.bad-row = reject-row for XML: the bad record is rejected, the other written. */
START_TEST(test_xml_reject_row)
{
	struct env *e = xml_env("flat.bad-row = reject-row\n");
	char *src = tu_srcpath("tests/data/xml/shipconfirm.xml");
	char *xml = tu_read(src, NULL);
	char *bad = tu_replace(xml, "<sc:ShipDate>20261120</sc:ShipDate>", "<sc:ShipDate>2026-11-20</sc:ShipDate>");
	char *id = ingest(e, "bad.xml", bad);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *erp = first_in(e->erp);
	ck_assert_msg(erp && strstr(erp, "H,SO-1002,") && !strstr(erp, "SO-1001"), "%s", erp ? erp : "(none)");
	char *out = NULL;
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "SO-1001", NULL), 0);
	ck_assert_msg(strstr(out, "state rejected") && strstr(out, "ship-date: line 6 (/sc:ShipConfirms/sc:ShipConfirm[1]/"
								     "sc:ShipDate) is not a valid date"),
		      "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "partly accepted"), "%s", out);
	free(out);
	free(erp);
	free(id);
	free(bad);
	free(xml);
	free(src);
	env_free(e);
}
END_TEST

/* A partner sending ship notices as flat CSV rows (one per item, the shipment, order and
 * carton repeated: maps/erp-export/ship-notice-csv.map builds orders, cartons and items
 * with nested each group) under flat.bad-row = reject-row: a bad quantity deep inside
 * a carton leaves out that row only (the carton keeps its other item), a row whose
 * carton is empty is in no group and left out, and a shipment left with no row is
 * rejected; warnings name line, column and map line. */
START_TEST(test_csv_nested_groups_reject_row)
{
	struct env *e = env_new("997", "on-error");
	char *prof = tu_srcpath("maps/erp/ship-notice-csv.map");
	char *map = tu_srcpath("maps/erp-export/ship-notice-csv.map");
	FILE *f = fopen(e->conf, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "erp.ship-notice = %s\n", prof);
	fclose(f);
	char *line = NULL;
	ck_assert_int_gt(asprintf(&line, "document.ERPASN = %s\ncsv.document = ERPASN\nflat.bad-row = reject-row\n",
				  map), 0);
	partner_conf_add(e, line);
	char *out = NULL;
	ck_assert_msg(tu_edigw(e->conf, &out, "config", "check", NULL) == 0, "%s", out);
	free(out);
	char *src = tu_srcpath("tests/data/csv/erpasn.csv");
	char *csv = tu_read(src, NULL);
	ck_assert_ptr_nonnull(csv);
	/* line 6: NUT-4 in PO-1's carton ...17 (with WID-9) ships "5O" */
	char *c1 = tu_replace(csv, ",NUT-4,,50.0,EA,", ",NUT-4,,5O,EA,");
	/* line 4: ASN-2's only row has no carton */
	char *c2 = tu_replace(c1, "00012345600000000048", "");
	char *id = ingest(e, "asn.csv", c2);
	run_once(e);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(qcount(e, "failed"), 0);
	char *erp = first_in(e->erp);
	ck_assert_ptr_nonnull(erp);
	ck_assert_msg(strstr(erp, "S,ASN-1,original,2026-12-01,16:30,pick-and-pack,"), "%s", erp);
	ck_assert_msg(strstr(erp, "O,ASN-1,PO-1,2026-11-22,,SO-88") && strstr(erp, "O,ASN-1,PO-2,"), "%s", erp);
	ck_assert_msg(strstr(erp, "P,ASN-1,00012345600000000017,PO-1,") &&
		      strstr(erp, "P,ASN-1,00012345600000000024,PO-1,") &&
		      strstr(erp, "P,ASN-1,00012345600000000031,PO-2,"), "%s", erp);
	ck_assert_msg(strstr(erp, "I,ASN-1,1,RTL-100234,WID-9,012345678905,,12,EA,24,\"Blue widget, large\",PO-1,"
				  "00012345600000000017,"), "%s", erp);
	ck_assert_msg(strstr(erp, "I,ASN-1,2,RTL-100777,GAD-2,,,6,CA,6,Gadget,PO-1,00012345600000000024,"), "%s", erp);
	ck_assert_msg(strstr(erp, "I,ASN-1,1,RTL-200001,BOLT-1,,,100,EA,100,Bolt,PO-2,00012345600000000031,"), "%s",
		      erp);
	ck_assert_msg(!strstr(erp, "NUT-4") && !strstr(erp, "ASN-2"), "%s", erp);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "shipment/orders/order[1]/packs/pack[1]/items/item[2]/quantity: line 6, column 29 "
				  "(qty) is not a decimal number"), "%s", out);
	ck_assert_msg(strstr(out, "ship-notice-csv.map:"), "%s", out);
	ck_assert_msg(strstr(out, "(value '5O'): row left out of the record ASN-1 (from line 2) "
				  "(flat.bad-row = reject-row)"), "%s", out);
	ck_assert_msg(strstr(out, "shipment/orders/order[1]/packs/pack: line 4, column 24 (sscc) is empty, so the row "
				  "is in no group"), "%s", out);
	ck_assert_msg(strstr(out, "partly accepted"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "ASN-1", NULL), 0);
	ck_assert_msg(strstr(out, "state accepted"), "%s", out);
	free(out);
	ck_assert_int_eq(tu_edigw(e->conf, &out, "track", "ASN-2", NULL), 0);
	ck_assert_msg(strstr(out, "state rejected") && strstr(out, "every row of the record was rejected"), "%s", out);
	free(out);
	free(erp);
	free(id);
	free(c2);
	free(c1);
	free(csv);
	free(src);
	free(line);
	free(map);
	free(prof);
	env_free(e);
}
END_TEST

int main(void)
{
	if (!getenv("EDIGW_BIN")) {
		fprintf(stderr, "EDIGW_BIN not set; run through make check\n");
		return 77;
	}
	Suite *s = suite_create("gateway");
	TCase *tc = tcase_create("end-to-end");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_good_850);
	tcase_add_test(tc, test_test_data_apart);
	tcase_add_test(tc, test_file_size_limit);
	tcase_add_test(tc, test_bad_then_good_interchange);
	tcase_add_test(tc, test_map_type_mismatch);
	tcase_add_test(tc, test_se01_wrong);
	tcase_add_test(tc, test_st02_se02_mismatch);
	tcase_add_test(tc, test_tolerated_wrong_count);
	tcase_add_test(tc, test_schema_findings);
	tcase_add_test(tc, test_schema_overlay);
	tcase_add_test(tc, test_send_and_reconcile);
	tcase_add_test(tc, test_edifact_orders);
	tcase_add_test(tc, test_edifact_unknown_held);
	tcase_add_test(tc, test_edifact_unreadable_contrl);
	tcase_add_test(tc, test_edifact_unknown_qualifier);
	tcase_add_test(tc, test_partial_group);
	tcase_add_test(tc, test_iea_mismatch_ta1);
	tcase_add_test(tc, test_ta1_requested);
	tcase_add_test(tc, test_unknown_partner_held);
	tcase_add_test(tc, test_garbage_failed);
	tcase_add_test(tc, test_duplicate_held_and_release);
	tcase_add_test(tc, test_replay_new_ack);
	tcase_add_test(tc, test_csv_partner);
	tcase_add_test(tc, test_inbound_997_no_ack);
	tcase_add_test(tc, test_999_partner);
	tcase_add_test(tc, test_status_json_and_help);
	tcase_add_test(tc, test_daemon_sigterm);
	tcase_add_test(tc, test_csv_bad_row_reject_file);
	tcase_add_test(tc, test_csv_bad_row_reject_row);
	tcase_add_test(tc, test_fixed_partner);
	tcase_add_test(tc, test_fixed_bad_row_reject_row);
	tcase_add_test(tc, test_xml_partner);
	tcase_add_test(tc, test_xml_reject_row);
	tcase_add_test(tc, test_csv_nested_groups_reject_row);
	suite_add_tcase(s, tc);
	TCase *tcc = tcase_create("crash");
	tcase_set_timeout(tcc, 600);
	tcase_add_loop_test(tcc, test_crash_fault_points, 0, 8);
	tcase_add_test(tcc, test_crash_random_kills);
	tcase_add_test(tcc, test_two_workers);
	suite_add_tcase(s, tcc);
	return tu_run_suite(s);
}
