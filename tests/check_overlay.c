/* check_overlay — partner overlays of the X12 definitions (partner key
 * schema-overlay, x12_overlay_*): each directive changes only the partner's
 * copy (require, max-use, loop-max, allow-code with its warning), the shipped
 * definition stays as it was, and every mistake in an overlay file is
 * reported with file:line and what to write instead. Documents go through
 * the real reader and envelope (x12_parse) and the validator. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "x12/x12.h"
#include "x12/x12_schema.h"

static struct x12_schema *g_schema;
static char *g_dir;

static void setup(void)
{
	struct diag_list d;
	char *root = tu_srcpath("maps/schemas");
	diag_list_init(&d);
	int rc = x12_schema_load(&g_schema, root, &d);
	if (rc < 0)
		diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	diag_list_free(&d);
	free(root);
	g_dir = tu_tmpdir();
}

static void teardown(void)
{
	x12_schema_free(g_schema);
	g_schema = NULL;
	free(g_dir);
}

/* Write text to <tmp>/name and return the path. */
static char *put(const char *name, const char *text)
{
	char *p = NULL;
	ck_assert_int_gt(asprintf(&p, "%s/%s", g_dir, name), 0);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
	return p;
}

/* Load an overlay from text; returns rc, diagnostics printed into *msgs (caller frees). */
static int load(struct x12_overlay **o, const char *text, char **msgs)
{
	struct diag_list d;
	diag_list_init(&d);
	char *p = put("overlay.def", text);
	int rc = x12_overlay_load(o, g_schema, p, &d);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	diag_print(&d, f);
	fclose(f);
	*msgs = buf;
	diag_list_free(&d);
	free(p);
	return rc;
}

#define ISA "ISA*00*          *00*          *ZZ*RETAILER       *ZZ*SUPPLIER       *261122*1200*U*00401*000000101*0*P*>~" \
	    "GS*PO*RETAILER*SUPPLIER*20261122*1200*101*X*004010~"
#define END "GE*1*101~IEA*1*000000101~"
/* A valid 004010 850: no DTM, one top REF, one N1 loop without N3, BEG02 SA. */
#define ST_GOOD "ST*850*0001~BEG*00*SA*PO-1**20261122~REF*DP*042~N1*ST*DC 7*92*0007~" \
		"PO1*1*24*EA*12.5**BP*SKU-1~CTT*1~SE*7*0001~"

/* What validation of one transaction set found. */
struct found {
	const struct x12_txn_def *def;
	struct x12_errlist errs, warns;
};

static int on_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct found *f = ctx;
	(void)res;
	x12_schema_validate_warn(f->def, txn, 0, &f->errs, &f->warns);
	return 0;
}

/* Run one transaction set (text from ST to SE) through the reader against def. */
static void check_doc(struct found *f, const struct x12_txn_def *def, const char *st)
{
	char *doc = NULL;
	ck_assert_int_gt(asprintf(&doc, "%s%s%s", ISA, st, END), 0);
	memset(f, 0, sizeof *f);
	f->def = def;
	struct x12_reader *rd = NULL;
	ck_assert_int_eq(x12_reader_new_mem(&rd, doc, strlen(doc), NULL), 0);
	struct x12_handler h = { 0 };
	h.ctx = f;
	h.transaction = on_txn;
	struct x12_file_summary sum = { 0 };
	struct x12_error err = { 0 };
	ck_assert_int_eq(x12_parse(rd, &h, &sum, &err), 0);
	ck_assert_uint_eq(sum.transactions, 1);
	x12_reader_free(rd);
	free(doc);
}

static void found_free(struct found *f)
{
	x12_errlist_free(&f->errs);
	x12_errlist_free(&f->warns);
}

/* One finding in l with this code and segment, else fail with the list. */
static const struct x12_error *has(const struct x12_errlist *l, const char *code, const char *seg)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].code, code) == 0 && strcmp(l->v[i].seg_id, seg) == 0)
			return &l->v[i];
	char *all = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&all, &len);
	for (size_t i = 0; i < l->n; i++)
		fprintf(m, "  %s %s: %s\n", l->v[i].code, l->v[i].seg_id, l->v[i].msg);
	fclose(m);
	ck_abort_msg("no finding %s at %s in:\n%s", code, seg, all);
	return NULL;
}

static const char *OVERLAY =
	"# demo retailer: DTM and the ship-to address are required, one REF, codes we accept\n"
	"transaction 004010 850\n"
	"require DTM\n"
	"require N1/N3\n"
	"max-use REF 1\n"
	"loop-max N1 1\n"
	"allow-code BEG02 ZZ YY\n"
	"allow-code PID01 Q\n"
	"loop-max PO1/SCH 1\n";

START_TEST(test_shipped_unchanged)
{
	struct x12_overlay *o = NULL;
	char *msgs = NULL;
	ck_assert_int_eq(load(&o, OVERLAY, &msgs), 0);
	ck_assert_str_eq(msgs, "");
	ck_assert_uint_eq(x12_overlay_count(o), 1);
	const struct x12_txn_def *base = x12_schema_find(g_schema, "004010", "850");
	const struct x12_txn_def *mine = x12_overlay_find(o, g_schema, "004010VICS", "850");
	ck_assert_ptr_nonnull(mine);
	ck_assert_ptr_ne(mine, base);
	ck_assert_ptr_null(x12_txn_def_overlay(base));
	ck_assert_ptr_nonnull(strstr(x12_txn_def_overlay(mine), "overlay.def"));
	/* sets the overlay does not name come from the shipped definitions */
	ck_assert_ptr_eq(x12_overlay_find(o, g_schema, "004010", "856"),
			 x12_schema_find(g_schema, "004010", "856"));
	ck_assert_ptr_eq(x12_overlay_find(o, g_schema, "005010", "850"),
			 x12_schema_find(g_schema, "005010", "850"));
	ck_assert_ptr_eq(x12_overlay_find(NULL, g_schema, "004010", "850"), base);

	struct found f;
	check_doc(&f, base, ST_GOOD);
	ck_assert_uint_eq(f.errs.n, 0);
	found_free(&f);
	/* the same document misses what the partner's copy requires */
	check_doc(&f, mine, ST_GOOD);
	const struct x12_error *e = has(&f.errs, "3", "DTM");
	ck_assert_ptr_nonnull(strstr(e->msg, "mandatory segment DTM"));
	e = has(&f.errs, "3", "N3");
	ck_assert_str_eq(e->loop_id, "N1");
	ck_assert_uint_eq(f.errs.n, 2);
	found_free(&f);
	x12_overlay_free(o);
	free(msgs);
}
END_TEST

START_TEST(test_narrowing)
{
	struct x12_overlay *o = NULL;
	char *msgs = NULL;
	ck_assert_int_eq(load(&o, OVERLAY, &msgs), 0);
	const struct x12_txn_def *base = x12_schema_find(g_schema, "004010", "850");
	const struct x12_txn_def *mine = x12_overlay_find(o, g_schema, "004010", "850");
	static const char *st = "ST*850*0001~BEG*00*SA*PO-1**20261122~REF*DP*042~REF*IA*77~DTM*002*20261201~"
				"N1*ST*DC 7*92*0007~N3*1 Way~N1*BT*HQ*92*0001~N3*2 Way~"
				"PO1*1*24*EA*12.5**BP*SKU-1~CTT*1~SE*12*0001~";
	struct found f;
	check_doc(&f, base, st);
	ck_assert_uint_eq(f.errs.n, 0);
	found_free(&f);
	check_doc(&f, mine, st);
	const struct x12_error *e = has(&f.errs, "5", "REF");
	ck_assert_uint_eq(e->seg_pos, 4);
	e = has(&f.errs, "4", "N1");
	ck_assert_uint_eq(e->seg_pos, 8);
	ck_assert_uint_eq(f.errs.n, 2);
	found_free(&f);
	x12_overlay_free(o);
	free(msgs);
}
END_TEST

START_TEST(test_allow_code_warns)
{
	struct x12_overlay *o = NULL;
	char *msgs = NULL;
	ck_assert_int_eq(load(&o, OVERLAY, &msgs), 0);
	const struct x12_txn_def *base = x12_schema_find(g_schema, "004010", "850");
	const struct x12_txn_def *mine = x12_overlay_find(o, g_schema, "004010", "850");
	static const char *st = "ST*850*0001~BEG*00*ZZ*PO-1**20261122~DTM*002*20261201~"
				"PO1*1*24*EA*12.5**BP*SKU-1~PID*Q****Blue widget~CTT*1~SE*7*0001~";
	struct found f;
	/* shipped: BEG02's list is partial (a warning), PID01's is full (an error) */
	check_doc(&f, base, st);
	const struct x12_error *e = has(&f.errs, "7", "PID");
	ck_assert_int_eq(e->elem_pos, 1);
	ck_assert_uint_eq(f.errs.n, 1);
	e = has(&f.warns, "7", "BEG");
	ck_assert_ptr_nonnull(strstr(e->msg, "list is partial"));
	found_free(&f);
	/* the partner's extra codes pass, each with a warning naming the overlay line */
	check_doc(&f, mine, st);
	ck_assert_uint_eq(f.errs.n, 0);
	ck_assert_uint_eq(f.warns.n, 2);
	e = has(&f.warns, "7", "BEG");
	ck_assert_ptr_nonnull(strstr(e->msg, "overlay.def line 7"));
	e = has(&f.warns, "7", "PID");
	ck_assert_ptr_nonnull(strstr(e->msg, "line 8"));
	found_free(&f);
	/* a code neither standard nor allowed is still an error */
	check_doc(&f, mine, "ST*850*0001~BEG*00*SA*PO-1**20261122~DTM*002*20261201~"
			     "PO1*1*24*EA*12.5**BP*SKU-1~PID*R****Blue widget~CTT*1~SE*7*0001~");
	has(&f.errs, "7", "PID");
	ck_assert_uint_eq(f.warns.n, 0);
	found_free(&f);
	x12_overlay_free(o);
	free(msgs);
}
END_TEST

/* An overlay with one mistake: load fails, the message has file:line and the text. */
static void bad(const char *text, int line, const char *what)
{
	struct x12_overlay *o = NULL;
	char *msgs = NULL;
	int rc = load(&o, text, &msgs);
	ck_assert_msg(rc < 0, "overlay loaded, want an error at line %d: %s", line, text);
	ck_assert_ptr_null(o);
	char where[64];
	snprintf(where, sizeof where, "overlay.def:%d", line);
	ck_assert_msg(strstr(msgs, where) && strstr(msgs, what), "want '%s' and '%s' in:\n%s", where, what, msgs);
	free(msgs);
}

START_TEST(test_errors)
{
	bad("require DTM\n", 1, "before a 'transaction VERSION ID' line");
	bad("transaction 004010 999\n", 1, "no shipped definition 004010 999");
	bad("transaction 4010 850\n", 1, "expected 'transaction VERSION ID'");
	bad("transaction 004010 850\nrequire DTM\ntransaction 004010 850\n", 3, "appears twice");
	bad("transaction 004010 850\nrequire XYZ\n", 2, "segment XYZ is not in the 004010 850");
	/* REF is outside loops and in N1 and in PO1: the message lists the places */
	bad("transaction 004010 850\n\nrequire PO1/REF/REF\n", 3, "REF is at REF, ");
	bad("transaction 004010 850\nrequire PO1/REF/REF\n", 2, ", PO1/N1/REF");
	bad("transaction 004010 850\nrequire SLN\n", 2, "SLN is at PO1/SLN/SLN");
	bad("transaction 004010 850\nmax-use REF 1 2\n", 2, "expected 'max-use SEGMENT-PATH N'");
	bad("transaction 004010 850\nmax-use CUR 2\n", 2, "can only narrow: CUR allows 1");
	bad("transaction 004010 850\nmax-use REF >1\n", 2, "expected 'max-use");
	bad("transaction 004010 850\nloop-max PO1/XX 3\n", 2, "loop 'PO1/XX' is not in the 004010 850");
	bad("transaction 004010 850\nloop-max N1 201\n", 2, "can only narrow: N1 allows 200");
	bad("transaction 004010 850\nallow-code PO102 5\n", 2, "has no code list to extend");
	bad("transaction 004010 850\nallow-code BEG2 ZZ\n", 2, "is not an element position");
	bad("transaction 004010 850\nallow-code BEG99 ZZ\n", 2, "segment BEG has");
	bad("transaction 004010 850\nallow-code BEG02 TOOLONG\n", 2, "does not fit element 92");
	bad("transaction 004010 850\nforbid BEG\n", 2, "unknown directive 'forbid'");
}
END_TEST

START_TEST(test_warnings_and_limits)
{
	struct x12_overlay *o = NULL;
	char *msgs = NULL;
	/* at the shipped value: accepted (no change); a code already standard: a warning */
	ck_assert_int_eq(load(&o, "transaction 004010 850\nloop-max N1 200\nmax-use CUR 1\nrequire BEG\n"
				  "allow-code BEG02 SA\n",
			      &msgs),
			 0);
	ck_assert_ptr_nonnull(strstr(msgs, "overlay.def:4"));
	ck_assert_ptr_nonnull(strstr(msgs, "BEG is already mandatory"));
	ck_assert_ptr_nonnull(strstr(msgs, "overlay.def:5"));
	ck_assert_ptr_nonnull(strstr(msgs, "'SA' is already in the list"));
	x12_overlay_free(o);
	free(msgs);
	/* a composite component takes allow-code with its component number */
	ck_assert_int_eq(load(&o, "transaction 004010 856\nallow-code TD501 Z\n", &msgs), 0);
	x12_overlay_free(o);
	free(msgs);
	/* an unreadable file */
	struct diag_list d;
	diag_list_init(&d);
	ck_assert_int_lt(x12_overlay_load(&o, g_schema, "/nonexistent/overlay.def", &d), 0);
	ck_assert_uint_eq(d.nerrors, 1);
	diag_list_free(&d);
	ck_assert_uint_eq(x12_overlay_count(NULL), 0);
	x12_overlay_free(NULL);
}
END_TEST

/* only-codes: the partner's own short list at a position, enforced as an error. */
START_TEST(test_only_codes)
{
	struct x12_overlay *o = NULL;
	char *msgs = NULL;
	ck_assert_int_eq(load(&o, "transaction 004010 850\nonly-codes N101 ST BT\nonly-codes REF01 DP\n", &msgs), 0);
	const struct x12_txn_def *mine = x12_overlay_find(o, g_schema, "004010", "850");
	struct found f;
	check_doc(&f, mine, ST_GOOD);
	ck_assert_uint_eq(f.errs.n, 0);
	found_free(&f);
	check_doc(&f, mine, "ST*850*0001~BEG*00*SA*PO-1**20261122~REF*IA*042~N1*BY*HQ*92*0001~"
			    "PO1*1*24*EA*12.5**BP*SKU-1~CTT*1~SE*7*0001~");
	const struct x12_error *e = has(&f.errs, "7", "REF");
	ck_assert_ptr_nonnull(strstr(e->msg, "not one this partner sends"));
	e = has(&f.errs, "7", "N1");
	ck_assert_int_eq(e->elem_pos, 1);
	ck_assert_uint_eq(f.errs.n, 2);
	found_free(&f);
	/* positions without a list stay as the standard has them */
	ck_assert_ptr_eq(x12_overlay_find(o, g_schema, "004010", "856"), x12_schema_find(g_schema, "004010", "856"));
	x12_overlay_free(o);
	free(msgs);
	bad("transaction 004010 850\nonly-codes N101\n", 2, "expected 'only-codes POSITION CODE...'");
	bad("transaction 004010 850\nonly-codes N101 TOOLONG\n", 2, "does not fit element 98");
}
END_TEST

/* The example in doc/x12-schemas.md ("Partner overlays") loads as written. */
START_TEST(test_doc_example)
{
	char *doc = tu_srcpath("doc/x12-schemas.md");
	char *text = tu_read(doc, NULL);
	ck_assert_ptr_nonnull(text);
	char *start = strstr(text, "# partners/acme/x12-overlay.def\n");
	ck_assert_ptr_nonnull(start);
	char *end = strstr(start, "```");
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	struct x12_overlay *o = NULL;
	char *msgs = NULL;
	ck_assert_msg(load(&o, start, &msgs) == 0, "%s", msgs);
	ck_assert_str_eq(msgs, "");
	ck_assert_uint_eq(x12_overlay_count(o), 2);
	x12_overlay_free(o);
	free(msgs);
	free(text);
	free(doc);
}
END_TEST

static Suite *overlay_suite(void)
{
	Suite *s = suite_create("overlay");
	TCase *tc = tcase_create("overlay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shipped_unchanged);
	tcase_add_test(tc, test_narrowing);
	tcase_add_test(tc, test_allow_code_warns);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_warnings_and_limits);
	tcase_add_test(tc, test_doc_example);
	tcase_add_test(tc, test_only_codes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(overlay_suite());
}
