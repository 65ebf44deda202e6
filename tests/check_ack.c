/* check_ack — TA1 / 997 / 999 bytes built from hand-made validation results. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack/ack.h"
#include "testutil.h"

#define WHEN ((time_t)1709647679) /* 2024-03-05 14:07:59 UTC */

static const struct x12_delims STD = { '*', 0, ':', '~' };

/* ------------------------------------------------------------ builders */

static struct x12_isa make_isa(const char *version, struct x12_delims d)
{
	struct x12_isa i;
	memset(&i, 0, sizeof i);
	snprintf(i.auth_qual, sizeof i.auth_qual, "00");
	snprintf(i.sec_qual, sizeof i.sec_qual, "00");
	snprintf(i.sender_qual, sizeof i.sender_qual, "ZZ");
	snprintf(i.sender_id, sizeof i.sender_id, "ACME");
	snprintf(i.receiver_qual, sizeof i.receiver_qual, "ZZ");
	snprintf(i.receiver_id, sizeof i.receiver_id, "EDIGW");
	snprintf(i.date, sizeof i.date, "240101");
	snprintf(i.time, sizeof i.time, "1200");
	snprintf(i.rep_or_std, sizeof i.rep_or_std, "%c", d.rep ? d.rep : 'U');
	snprintf(i.version, sizeof i.version, "%s", version);
	snprintf(i.icn, sizeof i.icn, "000000123");
	snprintf(i.ack_requested, sizeof i.ack_requested, "0");
	snprintf(i.usage, sizeof i.usage, "P");
	i.delims = d;
	i.index = 1;
	return i;
}

static struct x12_gs make_gs(const char *fid, const char *gcn, const char *version)
{
	struct x12_gs g;
	memset(&g, 0, sizeof g);
	snprintf(g.fid, sizeof g.fid, "%s", fid);
	snprintf(g.sender, sizeof g.sender, "ACMEAPP");
	snprintf(g.receiver, sizeof g.receiver, "EDIGWAPP");
	snprintf(g.date, sizeof g.date, "20240101");
	snprintf(g.time, sizeof g.time, "1200");
	snprintf(g.gcn, sizeof g.gcn, "%s", gcn);
	snprintf(g.agency, sizeof g.agency, "X");
	snprintf(g.version, sizeof g.version, "%s", version);
	g.index = 1;
	return g;
}

static struct ack_params make_params(enum ack_type t, struct x12_delims d)
{
	struct ack_params p;
	memset(&p, 0, sizeof p);
	p.type = t;
	p.isa13 = 42;
	p.when = WHEN;
	p.delims = d;
	return p;
}

static void txn_init(struct x12_txn_result *r, const char *st01, const char *st02, const char *st03)
{
	memset(r, 0, sizeof *r);
	snprintf(r->st01, sizeof r->st01, "%s", st01);
	snprintf(r->st02, sizeof r->st02, "%s", st02);
	snprintf(r->st03, sizeof r->st03, "%s", st03);
	r->seg_count = 10;
}

static void add_err(struct x12_txn_result *r, enum x12_scope scope, const char *code, const char *seg,
		    uint64_t pos, int elem, int comp, int rep, int ref, const char *bad)
{
	struct x12_error e;
	memset(&e, 0, sizeof e);
	e.scope = scope;
	snprintf(e.code, sizeof e.code, "%s", code);
	snprintf(e.seg_id, sizeof e.seg_id, "%s", seg);
	e.seg_pos = pos;
	e.elem_pos = elem;
	e.comp_pos = comp;
	e.rep_pos = rep;
	e.elem_ref = ref;
	e.bad_value = (char *)bad;
	e.msg = (char *)"test finding";
	x12_errlist_add(&r->errors, &e);
}

static void add_loop(struct x12_txn_result *r, const char *loop)
{
	snprintf(r->errors.v[r->errors.n - 1].loop_id, sizeof r->errors.v[0].loop_id, "%s", loop);
}

static void add_app(struct x12_txn_result *r, enum x12_scope scope, const char *seg, uint64_t pos, int elem)
{
	add_err(r, scope, scope == X12_SCOPE_TXN ? "" : "7", seg, pos, elem, 0, 0, 0, "BIZRULE");
	r->errors.v[r->errors.n - 1].application = 1;
}

static struct x12_group_result make_group(const struct x12_gs *gs, char status, uint64_t n,
					  uint64_t accepted)
{
	struct x12_group_result g;
	memset(&g, 0, sizeof g);
	g.gs = *gs;
	g.declared = n;
	g.have_ge = 1;
	g.received = n;
	g.accepted = accepted;
	g.status = status;
	return g;
}

static struct x12_interchange_result make_ic(const struct x12_isa *isa, char status, const char *code,
					     int envelope_ok)
{
	struct x12_interchange_result r;
	memset(&r, 0, sizeof r);
	r.isa = *isa;
	r.ta1_status = status;
	snprintf(r.ta1_code, sizeof r.ta1_code, "%s", code);
	r.envelope_ok = envelope_ok;
	r.declared_groups = 1;
	r.groups = 1;
	r.transactions = 1;
	return r;
}

/* Finish into a string (NULL when finish failed). */
static char *finish_str(struct ack_writer *w, const struct x12_interchange_result *res, int *written,
			int *rc_out)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	int rc = ack_writer_finish(w, res, fileno(f), written);
	if (rc_out)
		*rc_out = rc;
	struct buf b;
	buf_init(&b, 0);
	char chunk[4096];
	rewind(f);
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

/* One group of transaction results, the interchange accepted; returns the ack bytes. */
static char *ack_one_group(enum ack_type t, struct x12_delims d, const char *isa_ver,
			   const struct x12_gs *gs, struct x12_txn_result *txns, size_t n,
			   const struct x12_group_result *gr)
{
	struct x12_isa isa = make_isa(isa_ver, d);
	struct ack_params p = make_params(t, d);
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	ck_assert_int_eq(ack_group_begin(w, gs, 7, 1), 0);
	for (size_t i = 0; i < n; i++) {
		x12_txn_result_finish(&txns[i]);
		ck_assert_int_eq(ack_txn(w, &txns[i]), 0);
	}
	ck_assert_int_eq(ack_group_end(w, gr), 0);
	struct x12_interchange_result ic = make_ic(&isa, 'A', "000", 1);
	int written = -1;
	char *out = finish_str(w, &ic, &written, NULL);
	ck_assert_int_eq(written, 1);
	ack_writer_free(w);
	return out;
}

/* The segments between the ST/SE pair's AK1 and SE, i.e. what the partner reads per group. */
static char *between(const char *s, const char *from, const char *to)
{
	const char *a = strstr(s, from);
	ck_assert_msg(a != NULL, "'%s' not in %s", from, s);
	const char *b = strstr(a, to);
	ck_assert_msg(b != NULL, "'%s' not in %s", to, s);
	return span_dup((struct span){ a, (size_t)(b - a) });
}

/* Occurrences of needle in s (one pass: strstr in a loop is quadratic under ASan). */
static size_t count(const char *s, const char *needle)
{
	size_t n = 0, k = strlen(needle), len = strlen(s);
	for (size_t i = 0; i + k <= len; i++)
		n += memcmp(s + i, needle, k) == 0;
	return n;
}

static char *fixture(const char *name)
{
	char *rel = xasprintf("tests/data/ack/%s", name);
	char *path = tu_srcpath(rel);
	char *s = tu_read(path, NULL);
	ck_assert_msg(s != NULL, "missing fixture %s", path);
	free(rel);
	free(path);
	return s;
}

/* ------------------------------------------------------------ 997 envelope */

START_TEST(test_accepted_850)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	struct x12_group_result gr = make_group(&gs, 'A', 1, 1);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *want = fixture("accepted-850.997");
	ck_assert_str_eq(out, want);
	/* what a partner's translator checks first */
	ck_assert_ptr_eq(strchr(out, '~'), out + 105);          /* ISA is 106 bytes */
	ck_assert(strncmp(out + 32, "ZZ*EDIGW          *ZZ*ACME           *", 38) == 0); /* swapped */
	ck_assert(strncmp(out + 90, "000000042*0*P*:~", 16) == 0); /* ISA13 padded, ISA14 0 */
	free(want);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_accepted_850_newline)
{
	struct x12_delims d = { '*', 0, ':', '\n' };
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	struct x12_group_result gr = make_group(&gs, 'A', 1, 1);
	char *out = ack_one_group(ACK_997, d, "00401", &gs, &t, 1, &gr);
	char *want = fixture("accepted-850-newline.997");
	ck_assert_str_eq(out, want);
	ck_assert_ptr_eq(strchr(out, '\n'), out + 105);
	free(want);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_other_separators)
{
	/* element |, repetition ^ (ISA12 00501), component >, terminator ' */
	struct x12_delims d = { '|', '^', '>', '\'' };
	struct x12_gs gs = make_gs("IN", "5", "005010");
	struct x12_txn_result t;
	txn_init(&t, "810", "1001", "");
	add_err(&t, X12_SCOPE_ELEMENT, "7", "IT1", 4, 6, 2, 3, 235, "A|B>C'D^E*F");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, d, "00501", &gs, &t, 1, &gr);
	const char *want =
		"ISA|00|          |00|          |ZZ|EDIGW          |ZZ|ACME           |240305|1407|^|00501|000000042|0|P|>'"
		"GS|FA|EDIGWAPP|ACMEAPP|20240305|1407|7|X|005010'"
		"ST|997|0001'"
		"AK1|IN|5'"
		"AK2|810|1001'"
		"AK3|IT1|4||8'"
		"AK4|6>2>3|235|7|A B C D E*F'"
		"AK5|R|5'"
		"AK9|R|1|1|0'"
		"SE|8|0001'"
		"GE|1|7'"
		"IEA|1|000000042'";
	ck_assert_str_eq(out, want);
	ck_assert_ptr_eq(strchr(out, '\''), out + 105);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_isa11_by_version)
{
	struct x12_delims rep = { '*', '^', ':', '~' };
	struct x12_delims norep = { '*', 0, ':', '~' };
	struct {
		const char *ver;
		struct x12_delims d;
		char isa11;
	} cases[] = {
		{ "00401", rep, 'U' },   /* before 00402: the standards identifier */
		{ "00402", rep, '^' },   /* from 00402: the repetition separator */
		{ "00501", rep, '^' },
		{ "00501", norep, 'U' }, /* inbound had none: as they sent it */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct x12_isa isa = make_isa(cases[i].ver, cases[i].d);
		struct ack_params p = make_params(ACK_997, cases[i].d);
		p.want_ta1 = 1;
		p.ta1_on_error = 1;
		struct ack_writer *w = NULL;
		ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
		struct x12_interchange_result ic = make_ic(&isa, 'R', "024", 0);
		int written = 0;
		char *out = finish_str(w, &ic, &written, NULL);
		ck_assert_int_eq(written, 1);
		ck_assert_int_eq(out[82], cases[i].isa11);
		ck_assert(strncmp(out + 84, cases[i].ver, 5) == 0);
		ck_assert_int_eq(out[105], '~');
		free(out);
		ack_writer_free(w);
	}
}
END_TEST

START_TEST(test_isa_fixed_width_hostile_ids)
{
	/* inbound ids read with other delimiters may hold ours: the ISA stays 106 bytes */
	struct x12_isa isa = make_isa("00401", STD);
	snprintf(isa.sender_id, sizeof isa.sender_id, "AC*ME~X:Y\x01Z");
	snprintf(isa.receiver_id, sizeof isa.receiver_id, "123456789012345");
	snprintf(isa.sender_qual, sizeof isa.sender_qual, "1");
	snprintf(isa.usage, sizeof isa.usage, "T");
	struct ack_params p = make_params(ACK_997, STD);
	p.want_ta1 = 1;
	p.ta1_on_error = 1;
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	struct x12_interchange_result ic = make_ic(&isa, 'R', "005", 0);
	int written = 0;
	char *out = finish_str(w, &ic, &written, NULL);
	ck_assert_int_eq(written, 1);
	const char *want_isa = "ISA*00*          *00*          *ZZ*123456789012345*1 *AC ME X Y Z    "
			       "*240305*1407*U*00401*000000042*0*T*:~";
	ck_assert_int_eq(strlen(want_isa), 106);
	ck_assert(strncmp(out, want_isa, 106) == 0);
	ck_assert_str_eq(out + 106, "TA1*000000123*240101*1200*R*005~IEA*0*000000042~");
	free(out);
	ack_writer_free(w);
}
END_TEST

START_TEST(test_gs_date_by_version)
{
	struct {
		const char *gs08, *isa12, *want_gs;
	} cases[] = {
		{ "003040", "00304", "GS*FA*EDIGWAPP*ACMEAPP*240305*1407*7*X*003040~" },
		{ "004010", "00401", "GS*FA*EDIGWAPP*ACMEAPP*20240305*1407*7*X*004010~" },
		{ "004010VICS", "00401", "GS*FA*EDIGWAPP*ACMEAPP*20240305*1407*7*X*004010VICS~" },
		{ "", "00401", "GS*FA*EDIGWAPP*ACMEAPP*20240305*1407*7*X*004010~" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct x12_gs gs = make_gs("PO", "1", cases[i].gs08);
		struct x12_txn_result t;
		txn_init(&t, "850", "0001", "");
		struct x12_group_result gr = make_group(&gs, 'A', 1, 1);
		char *out = ack_one_group(ACK_997, STD, cases[i].isa12, &gs, &t, 1, &gr);
		ck_assert_msg(strstr(out, cases[i].want_gs) != NULL, "%s", out);
		free(out);
		x12_txn_result_free(&t);
	}
}
END_TEST

/* ------------------------------------------------------------ 997 detail */

START_TEST(test_se01_wrong)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_err(&t, X12_SCOPE_TXN, "4", "SE", 12, 1, 0, 0, 96, "11");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK2", "SE*");
	ck_assert_str_eq(body, "AK2*850*0001~AK5*R*4~AK9*R*1*1*0~");
	ck_assert(strstr(out, "SE*6*0001~") != NULL);
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_st02_mismatch)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_err(&t, X12_SCOPE_TXN, "3", "SE", 12, 2, 0, 0, 329, "0002");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK2", "SE*");
	ck_assert_str_eq(body, "AK2*850*0001~AK5*R*3~AK9*R*1*1*0~");
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_one_good_one_bad)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t[2];
	txn_init(&t[0], "850", "0001", "");
	txn_init(&t[1], "850", "0002", "");
	add_err(&t[1], X12_SCOPE_ELEMENT, "1", "BEG", 2, 3, 0, 0, 324, NULL);
	struct x12_group_result gr = make_group(&gs, 'P', 2, 1);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, t, 2, &gr);
	char *body = between(out, "AK2", "GE*");
	ck_assert_str_eq(body, "AK2*850*0001~AK5*A~"
			       "AK2*850*0002~AK3*BEG*2**8~AK4*3*324*1~AK5*R*5~"
			       "AK9*P*2*2*1~SE*10*0001~");
	free(body);
	free(out);
	x12_txn_result_free(&t[0]);
	x12_txn_result_free(&t[1]);
}
END_TEST

START_TEST(test_ak3_ak4_component)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_err(&t, X12_SCOPE_SEGMENT, "8", "N1", 5, 0, 0, 0, 0, NULL);
	add_loop(&t, "N1");
	add_err(&t, X12_SCOPE_ELEMENT, "7", "N1", 5, 3, 2, 0, 66, "XX");
	add_err(&t, X12_SCOPE_ELEMENT, "5", "N1", 5, 4, 0, 0, 67, "TOOLONGVALUE");
	/* a repetition position does not exist in a 004010 AK401: left out */
	add_err(&t, X12_SCOPE_ELEMENT, "4", "N1", 5, 2, 0, 2, 93, "A");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK2", "AK9");
	ck_assert_str_eq(body, "AK2*850*0001~AK3*N1*5*N1*8~AK4*3:2*66*7*XX~AK4*4*67*5*TOOLONGVALUE~"
			       "AK4*2*93*4*A~AK5*R*5~");
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_element_without_segment_error)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	/* two element findings on PO1 at 7 and no segment finding: one AK3*..*8 for both */
	add_err(&t, X12_SCOPE_ELEMENT, "1", "PO1", 7, 2, 0, 0, 330, NULL);
	add_err(&t, X12_SCOPE_ELEMENT, "7", "PO1", 7, 3, 0, 0, 355, "ZZ");
	/* an element finding listed before its segment finding joins that AK3 */
	add_err(&t, X12_SCOPE_ELEMENT, "6", "DTM", 4, 2, 0, 0, 373, "2024-01-01");
	add_err(&t, X12_SCOPE_SEGMENT, "8", "DTM", 4, 0, 0, 0, 0, NULL);
	/* a missing segment has no element detail; no element id of unknown segment */
	add_err(&t, X12_SCOPE_SEGMENT, "3", "CTT", 9, 0, 0, 0, 0, NULL);
	/* same position, other segment id: not mixed up with the PO1 loop */
	add_err(&t, X12_SCOPE_ELEMENT, "5", "PID", 7, 5, 0, 0, 352, "X");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK3", "AK9");
	ck_assert_str_eq(body, "AK3*PO1*7**8~AK4*2*330*1~AK4*3*355*7*ZZ~"
			       "AK3*DTM*4**8~AK4*2*373*6*2024-01-01~"
			       "AK3*CTT*9**3~"
			       "AK3*PID*7**8~AK4*5*352*5*X~"
			       "AK5*R*5~");
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_bad_value_with_delimiters)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_err(&t, X12_SCOPE_ELEMENT, "6", "REF", 3, 2, 0, 0, 127, "A*B~C:D\r\nE\xc3\xa9");
	add_err(&t, X12_SCOPE_ELEMENT, "6", "REF", 3, 3, 0, 0, 352, "*~\t");  /* only delimiters */
	add_err(&t, X12_SCOPE_ELEMENT, "5", "REF", 3, 4, 0, 0, 0, "");       /* empty copy */
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK3", "AK5");
	ck_assert_str_eq(body, "AK3*REF*3**8~AK4*2*127*6*A B C D  E  ~AK4*3*352*6~AK4*4**5~");
	/* every segment of the ack has the element count a parser expects: no stray delimiter */
	ck_assert_uint_eq(count(out, "~"), 14);
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_group_codes)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t[2];
	txn_init(&t[0], "850", "0001", "");
	txn_init(&t[1], "850", "0002", "");
	struct x12_group_result gr = make_group(&gs, 'R', 2, 2);
	gr.declared = 3; /* GE01 said 3 */
	snprintf(gr.codes[0], 5, "5");
	snprintf(gr.codes[1], 5, "4");
	snprintf(gr.codes[2], 5, "5"); /* repeated: written once */
	gr.ncodes = 3;
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, t, 2, &gr);
	ck_assert(strstr(out, "~AK9*R*3*2*2*5*4~SE*8*0001~") != NULL);
	free(out);
	x12_txn_result_free(&t[0]);
	x12_txn_result_free(&t[1]);
}
END_TEST

START_TEST(test_ak902_without_ge)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 1);
	gr.have_ge = 0;
	gr.declared = 0;
	snprintf(gr.codes[0], 5, "3");
	gr.ncodes = 1;
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	ck_assert(strstr(out, "~AK9*R*1*1*1*3~") != NULL);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_application_errors_not_written)
{
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_app(&t, X12_SCOPE_TXN, "CTT", 20, 1);
	add_app(&t, X12_SCOPE_ELEMENT, "PO1", 7, 2);
	add_app(&t, X12_SCOPE_SEGMENT, "PO1", 7, 0);
	x12_txn_result_finish(&t);
	ck_assert_int_eq(t.app_rejected, 1);
	struct x12_group_result gr = make_group(&gs, 'A', 1, 1);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK2", "SE*");
	ck_assert_str_eq(body, "AK2*850*0001~AK5*A~AK9*A*1*1*1~");
	ck_assert_ptr_null(strstr(out, "BIZRULE"));
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_dropped_errors)
{
	/* 100 findings on segments we cannot name, more dropped: AK5 still R 5, nothing invented */
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	for (int i = 0; i < X12_MAX_ERRORS + 5; i++)
		add_err(&t, X12_SCOPE_ELEMENT, "1", "B\x01", 3, 1, 0, 0, 0, NULL);
	ck_assert_uint_eq(t.errors.dropped, 5);
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK2", "SE*");
	ck_assert_str_eq(body, "AK2*850*0001~AK5*R*5~AK9*R*1*1*0~");
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_implementation_codes_in_997)
{
	struct x12_gs gs = make_gs("HC", "9", "004010");
	struct x12_txn_result t;
	txn_init(&t, "837", "0001", "");
	add_err(&t, X12_SCOPE_SEGMENT, "I4", "REF", 6, 0, 0, 0, 0, NULL);
	add_err(&t, X12_SCOPE_ELEMENT, "I12", "NM1", 7, 9, 0, 0, 67, "ABC");
	add_err(&t, X12_SCOPE_ELEMENT, "I99", "NM1", 7, 8, 0, 0, 66, "Q"); /* no 997 code: left out */
	add_err(&t, X12_SCOPE_TXN, "I5", "", 0, 0, 0, 0, 0, NULL);
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	snprintf(gr.codes[0], 5, "I9"); /* no AK905 has an I code */
	snprintf(gr.codes[1], 5, "5");
	gr.ncodes = 2;
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	char *body = between(out, "AK3", "SE*");
	ck_assert_str_eq(body, "AK3*REF*6**2~AK3*NM1*7**8~AK4*9*67*6*ABC~AK5*R*5~AK9*R*1*1*0*5~");
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_trailing_empties)
{
	/* 999 AK2 without ST03, AK1 without GS08, an AK3 whose code has no 997 equivalent:
	 * empty trailing elements are not written, empty middle ones are */
	struct x12_gs gs = make_gs("HC", "4", "");
	struct x12_txn_result t;
	txn_init(&t, "837", "0001", "");
	add_err(&t, X12_SCOPE_SEGMENT, "", "REF", 6, 0, 0, 0, 0, NULL);
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_999, STD, "00501", &gs, &t, 1, &gr);
	char *body = between(out, "AK1", "AK9");
	ck_assert_str_eq(body, "AK1*HC*4~AK2*837*0001~IK3*REF*6~IK5*R*5~");
	free(body);
	free(out);
	x12_txn_result_free(&t);

	gs = make_gs("HC", "4", "004010");
	txn_init(&t, "837", "0001", "");
	add_err(&t, X12_SCOPE_SEGMENT, "I99", "REF", 6, 0, 0, 0, 0, NULL);
	add_loop(&t, "L1");
	add_err(&t, X12_SCOPE_SEGMENT, "I99", "DTP", 7, 0, 0, 0, 0, NULL);
	out = ack_one_group(ACK_997, STD, "00401", &gs, &t, 1, &gr);
	body = between(out, "AK2", "AK9");
	ck_assert_str_eq(body, "AK2*837*0001~AK3*REF*6*L1~AK3*DTP*7~AK5*R*5~");
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

/* n element findings on one segment: AK4 count written */
static size_t ak4_written(enum ack_type type, int n)
{
	struct x12_gs gs = make_gs("PO", "123", type == ACK_999 ? "005010" : "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	for (int i = 0; i < n; i++)
		add_err(&t, X12_SCOPE_ELEMENT, "7", "REF", 3, 1 + i % 99, 0, 0, 128, "X");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(type, STD, type == ACK_999 ? "00501" : "00401", &gs, &t, 1, &gr);
	size_t k = count(out, type == ACK_999 ? "~IK4*" : "~AK4*");
	ck_assert_uint_eq(count(out, type == ACK_999 ? "~IK3*" : "~AK3*"), 1);
	free(out);
	x12_txn_result_free(&t);
	return k;
}

START_TEST(test_ak4_limit)
{
	ck_assert_uint_eq(ak4_written(ACK_997, ACK_AK4_MAX - 1), ACK_AK4_MAX - 1);
	ck_assert_uint_eq(ak4_written(ACK_997, ACK_AK4_MAX), ACK_AK4_MAX);
	ck_assert_uint_eq(ak4_written(ACK_997, ACK_AK4_MAX + 1), ACK_AK4_MAX); /* max use 99 */
	ck_assert_uint_eq(ak4_written(ACK_999, ACK_AK4_MAX + 1), ACK_AK4_MAX + 1); /* 2110 loop >1 */
}
END_TEST

START_TEST(test_position_limits)
{
	struct x12_gs gs = make_gs("HC", "1", "005010X222A1");
	struct x12_txn_result t;
	txn_init(&t, "837", "0001", "005010X222A1");
	add_err(&t, X12_SCOPE_SEGMENT, "2", "AAA", 999999, 0, 0, 0, 0, NULL);  /* AK302 6 digits: at */
	add_err(&t, X12_SCOPE_SEGMENT, "2", "BBB", 1000000, 0, 0, 0, 0, NULL); /* above: left out */
	add_err(&t, X12_SCOPE_SEGMENT, "2", "CCC", 5, 0, 0, 0, 0, NULL);
	add_loop(&t, "2300");  /* 4: written */
	add_err(&t, X12_SCOPE_SEGMENT, "2", "DDD", 6, 0, 0, 0, 0, NULL);
	add_loop(&t, "2010AA"); /* 6: not a loop identifier code, left out */
	add_err(&t, X12_SCOPE_SEGMENT, "1", "E", 7, 0, 0, 0, 0, NULL);     /* not a segment id */
	add_err(&t, X12_SCOPE_SEGMENT, "1", "ZZZ", 8, 0, 0, 0, 0, NULL);   /* unknown but valid id */
	add_err(&t, X12_SCOPE_ELEMENT, "5", "HI", 9, 99, 99, 9999, 9999, "V"); /* all at the limit */
	add_err(&t, X12_SCOPE_ELEMENT, "5", "HI", 9, 98, 100, 10000, 10000, "W"); /* comp, rep, ref above */
	add_err(&t, X12_SCOPE_ELEMENT, "5", "HI", 9, 100, 0, 0, 1, "X");   /* element above: left out */
	add_err(&t, X12_SCOPE_ELEMENT, "5", "HI", 9, 0, 0, 0, 1, "Y");     /* no element: left out */
	add_err(&t, X12_SCOPE_ELEMENT, "", "HI", 9, 1, 0, 0, 1, "Z");      /* no code: left out */
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_999, STD, "00501", &gs, &t, 1, &gr);
	char *body = between(out, "IK3", "IK5");
	ck_assert_str_eq(body, "IK3*AAA*999999**2~IK3*CCC*5*2300*2~IK3*DDD*6**2~IK3*ZZZ*8**1~"
			       "IK3*HI*9**8~IK4*99:99:9999*9999*5*V~IK4*98**5*W~");
	free(body);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

START_TEST(test_no_identity_no_ak2)
{
	/* a set without ST02 cannot be named in AK2; AK9 still counts it */
	struct x12_gs gs = make_gs("PO", "123", "004010");
	struct x12_txn_result t[2];
	txn_init(&t[0], "850", "", "");
	add_err(&t[0], X12_SCOPE_TXN, "7", "ST", 1, 2, 0, 0, 329, NULL);
	txn_init(&t[1], "850", "0002", "");
	struct x12_group_result gr = make_group(&gs, 'P', 2, 1);
	char *out = ack_one_group(ACK_997, STD, "00401", &gs, t, 2, &gr);
	char *body = between(out, "AK1", "SE*");
	ck_assert_str_eq(body, "AK1*PO*123~AK2*850*0002~AK5*A~AK9*P*2*2*1~");
	free(body);
	free(out);
	x12_txn_result_free(&t[0]);
	x12_txn_result_free(&t[1]);
}
END_TEST

/* ------------------------------------------------------------ 999 */

START_TEST(test_999)
{
	struct x12_delims d = { '*', '^', ':', '~' };
	struct x12_gs gs = make_gs("HC", "123", "005010X222A1");
	struct x12_txn_result t[2];
	txn_init(&t[0], "837", "0001", "005010X222A1");
	txn_init(&t[1], "837", "0002", "005010X222A1");
	add_err(&t[1], X12_SCOPE_ELEMENT, "I12", "NM1", 7, 9, 0, 0, 67, "ABC");
	add_err(&t[1], X12_SCOPE_ELEMENT, "7", "HI", 12, 1, 2, 3, 1271, "ZZ");
	add_err(&t[1], X12_SCOPE_SEGMENT, "8", "HI", 12, 0, 0, 0, 0, NULL);
	add_app(&t[1], X12_SCOPE_TXN, "CLM", 10, 2);
	add_err(&t[1], X12_SCOPE_SEGMENT, "I4", "REF", 15, 0, 0, 0, 0, NULL);
	struct x12_group_result gr = make_group(&gs, 'P', 2, 1);
	char *out = ack_one_group(ACK_999, d, "00501", &gs, t, 2, &gr);
	char *want = fixture("rejected-837.999");
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
	x12_txn_result_free(&t[0]);
	x12_txn_result_free(&t[1]);
}
END_TEST

/* 999: the business unit of a segment in error follows its IK3 (CTX*PO101:3); a 997
 * has no CTX. Delimiters inside the value are cleaned like AK404. */
START_TEST(test_999_ctx)
{
	struct x12_delims d = { '*', '^', ':', '~' };
	struct x12_gs gs = make_gs("PO", "55", "005010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_err(&t, X12_SCOPE_ELEMENT, "4", "PO1", 9, 2, 0, 0, 330, "");
	snprintf(t.errors.v[0].ctx_name, sizeof t.errors.v[0].ctx_name, "PO101");
	snprintf(t.errors.v[0].ctx_ref, sizeof t.errors.v[0].ctx_ref, "3");
	add_err(&t, X12_SCOPE_SEGMENT, "3", "N3", 12, 0, 0, 0, 0, NULL);
	add_loop(&t, "N1");
	snprintf(t.errors.v[1].ctx_name, sizeof t.errors.v[1].ctx_name, "N101");
	snprintf(t.errors.v[1].ctx_ref, sizeof t.errors.v[1].ctx_ref, "S*T");
	struct x12_group_result gr = make_group(&gs, 'R', 1, 0);
	char *out = ack_one_group(ACK_999, d, "00501", &gs, &t, 1, &gr);
	ck_assert_msg(strstr(out, "IK3*PO1*9**8~CTX*PO101:3~IK4*2*330*4~IK3*N3*12*N1*3~CTX*N101:S T~IK5*R*5~"),
		      "%s", out);
	free(out);
	out = ack_one_group(ACK_997, d, "00501", &gs, &t, 1, &gr);
	ck_assert_ptr_null(strstr(out, "CTX"));
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

/* AK403 12 and 13 exist from 004020 on: a 004010 997 says 3 (too many data elements). */
START_TEST(test_ak403_by_version)
{
	struct x12_gs g4 = make_gs("PO", "55", "004010");
	struct x12_gs g5 = make_gs("PO", "55", "005010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_err(&t, X12_SCOPE_ELEMENT, "13", "MEA", 5, 4, 0, 0, 0, NULL);
	struct x12_group_result gr = make_group(&g4, 'R', 1, 0);
	char *out = ack_one_group(ACK_997, STD, "00401", &g4, &t, 1, &gr);
	ck_assert_msg(strstr(out, "AK3*MEA*5**8~AK4*4**3~"), "%s", out);
	free(out);
	gr = make_group(&g5, 'R', 1, 0);
	out = ack_one_group(ACK_997, STD, "00501", &g5, &t, 1, &gr);
	ck_assert_msg(strstr(out, "AK3*MEA*5**8~AK4*4**13~"), "%s", out);
	free(out);
	x12_txn_result_free(&t);
}
END_TEST

/* ------------------------------------------------------------ TA1 */

/* A writer with one accepted 850 group (or none), finished with ic. */
static char *ta1_case(int want_ta1, int on_error, int with_group, char st, const char *code, int env_ok,
		      int *written)
{
	struct x12_isa isa = make_isa("00401", STD);
	struct ack_params p = make_params(ACK_997, STD);
	p.want_ta1 = want_ta1;
	p.ta1_on_error = on_error;
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	if (with_group) {
		struct x12_gs gs = make_gs("PO", "123", "004010");
		ck_assert_int_eq(ack_group_begin(w, &gs, 7, 1), 0);
		struct x12_txn_result t;
		txn_init(&t, "850", "0001", "");
		x12_txn_result_finish(&t);
		ck_assert_int_eq(ack_txn(w, &t), 0);
		struct x12_group_result gr = make_group(&gs, 'A', 1, 1);
		ck_assert_int_eq(ack_group_end(w, &gr), 0);
		x12_txn_result_free(&t);
	}
	ck_assert_uint_eq(ack_writer_groups(w), with_group ? 1 : 0);
	struct x12_interchange_result ic = make_ic(&isa, st, code, env_ok);
	int rc = 0;
	char *out = finish_str(w, &ic, written, &rc);
	ck_assert_int_eq(rc, 0);
	ack_writer_free(w);
	return out;
}

#define ISA_997 "ISA*00*          *00*          *ZZ*EDIGW          *ZZ*ACME           *240305*1407*U*00401*000000042*0*P*:~"
#define GROUP_850 "GS*FA*EDIGWAPP*ACMEAPP*20240305*1407*7*X*004010~ST*997*0001~AK1*PO*123~AK2*850*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*7~"

START_TEST(test_ta1_requested_good)
{
	int written = 0;
	char *out = ta1_case(1, 1, 1, 'A', "000", 1, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 "TA1*000000123*240101*1200*A*000~" GROUP_850 "IEA*1*000000042~");
	free(out);
}
END_TEST

START_TEST(test_ta1_envelope_error)
{
	/* IEA02 != ISA13 found at the end, after the group was acknowledged: no group goes out */
	int written = 0;
	char *out = ta1_case(0, 1, 1, 'R', "001", 0, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 "TA1*000000123*240101*1200*R*001~IEA*0*000000042~");
	free(out);
	/* partner policy "requested": ISA14 = 1 still gets the rejecting TA1 */
	out = ta1_case(1, 0, 0, 'R', "021", 0, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 "TA1*000000123*240101*1200*R*021~IEA*0*000000042~");
	free(out);
	/* accepted with a noted envelope error: TA1 E and the groups */
	out = ta1_case(0, 1, 1, 'E', "022", 1, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 "TA1*000000123*240101*1200*E*022~" GROUP_850 "IEA*1*000000042~");
	free(out);
}
END_TEST

START_TEST(test_ta1_never)
{
	int written = 0;
	char *out = ta1_case(0, 0, 1, 'A', "000", 1, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 GROUP_850 "IEA*1*000000042~");
	free(out);
	/* policy never, interchange rejected: no TA1, no group, nothing at all */
	out = ta1_case(0, 0, 1, 'R', "001", 0, &written);
	ck_assert_int_eq(written, 0);
	ck_assert_str_eq(out, "");
	free(out);
	/* on-error only, good envelope: no TA1 */
	out = ta1_case(0, 1, 1, 'A', "000", 1, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 GROUP_850 "IEA*1*000000042~");
	free(out);
}
END_TEST

START_TEST(test_nothing_to_send)
{
	/* only FA groups or only TA1 segments inbound (no group opened), ISA14 = 1: nothing */
	int written = -1;
	char *out = ta1_case(1, 1, 0, 'A', "000", 1, &written);
	ck_assert_int_eq(written, 0);
	ck_assert_str_eq(out, "");
	free(out);
	written = -1;
	out = ta1_case(0, 0, 0, 'A', "000", 1, &written);
	ck_assert_int_eq(written, 0);
	ck_assert_str_eq(out, "");
	free(out);
	/* but an envelope error with no group still gets its TA1 */
	out = ta1_case(0, 1, 0, 'R', "024", 0, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 "TA1*000000123*240101*1200*R*024~IEA*0*000000042~");
	free(out);
}
END_TEST

START_TEST(test_ta1_only_partner)
{
	/* partner with ack = none: TA1 on request for an interchange with documents, no groups */
	struct x12_isa isa = make_isa("00401", STD);
	struct ack_params p = make_params(ACK_TA1_ONLY, STD);
	p.want_ta1 = 1;
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	struct x12_gs gs = make_gs("PO", "1", "004010");
	ck_assert_int_eq(ack_group_begin(w, &gs, 1, 1), -EINVAL);
	struct x12_interchange_result ic = make_ic(&isa, 'A', "000", 1);
	int written = 0;
	char *out = finish_str(w, &ic, &written, NULL);
	ck_assert_int_eq(written, 1);
	ck_assert_str_eq(out, ISA_997 "TA1*000000123*240101*1200*A*000~IEA*0*000000042~");
	free(out);
	/* an interchange of TA1 segments only: nothing */
	ic.transactions = 0;
	ic.groups = 0;
	ic.ta1_segments = 1;
	out = finish_str(w, &ic, &written, NULL);
	ck_assert_int_eq(written, 0);
	ck_assert_str_eq(out, "");
	free(out);
	ack_writer_free(w);
}
END_TEST

START_TEST(test_ta101_padding)
{
	struct x12_isa isa = make_isa("00401", STD);
	snprintf(isa.icn, sizeof isa.icn, "123");
	struct ack_params p = make_params(ACK_997, STD);
	p.ta1_on_error = 1;
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	struct x12_interchange_result ic = make_ic(&isa, 'R', "018", 0);
	int written = 0;
	char *out = finish_str(w, &ic, &written, NULL);
	ck_assert_str_eq(out + 106, "TA1*000000123*240101*1200*R*018~IEA*0*000000042~");
	free(out);
	/* no usable TA1 status: refused rather than a broken TA1 */
	ic.ta1_status = 0;
	int rc = 0;
	out = finish_str(w, &ic, &written, &rc);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_int_eq(written, 0);
	free(out);
	ack_writer_free(w);
}
END_TEST

/* ------------------------------------------------------------ contract */

/* The full ack bytes of a fixed two-group interchange. */
static char *two_groups(struct ack_writer *w)
{
	struct x12_gs gs1 = make_gs("PO", "1", "004010"), gs2 = make_gs("IN", "2", "004010");
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	add_err(&t, X12_SCOPE_ELEMENT, "7", "N1", 5, 1, 0, 0, 98, "QQ");
	x12_txn_result_finish(&t);
	ck_assert_int_eq(ack_group_begin(w, &gs1, 11, 21), 0);
	ck_assert_int_eq(ack_txn(w, &t), 0);
	struct x12_group_result g1 = make_group(&gs1, 'R', 1, 0);
	ck_assert_int_eq(ack_group_end(w, &g1), 0);
	ck_assert_uint_eq(ack_writer_groups(w), 1);
	struct x12_txn_result u;
	txn_init(&u, "810", "0001", "");
	x12_txn_result_finish(&u);
	ck_assert_int_eq(ack_group_begin(w, &gs2, 12, 22), 0);
	ck_assert_int_eq(ack_txn(w, &u), 0);
	struct x12_group_result g2 = make_group(&gs2, 'A', 1, 1);
	ck_assert_int_eq(ack_group_end(w, &g2), 0);
	ck_assert_uint_eq(ack_writer_groups(w), 2);
	struct x12_isa isa = make_isa("00401", STD);
	struct x12_interchange_result ic = make_ic(&isa, 'A', "000", 1);
	int written = 0;
	char *out = finish_str(w, &ic, &written, NULL);
	ck_assert_int_eq(written, 1);
	x12_txn_result_free(&t);
	x12_txn_result_free(&u);
	return out;
}

START_TEST(test_deterministic)
{
	struct x12_isa isa = make_isa("00401", STD);
	struct ack_params p = make_params(ACK_997, STD);
	struct ack_writer *a = NULL, *b = NULL;
	ck_assert_int_eq(ack_writer_new(&a, &p, &isa), 0);
	char *one = two_groups(a);
	ck_assert_int_eq(ack_writer_new(&b, &p, &isa), 0);
	char *two = two_groups(b);
	ck_assert_str_eq(one, two);
	ck_assert_str_eq(one, ISA_997
			 "GS*FA*EDIGWAPP*ACMEAPP*20240305*1407*11*X*004010~ST*997*0021~AK1*PO*1~"
			 "AK2*850*0001~AK3*N1*5**8~AK4*1*98*7*QQ~AK5*R*5~AK9*R*1*1*0~SE*8*0021~GE*1*11~"
			 "GS*FA*EDIGWAPP*ACMEAPP*20240305*1407*12*X*004010~ST*997*0022~AK1*IN*2~"
			 "AK2*810*0001~AK5*A~AK9*A*1*1*1~SE*6*0022~GE*1*12~"
			 "IEA*2*000000042~");
	/* finishing again (a retry to another file) gives the same bytes */
	struct x12_interchange_result ic = make_ic(&isa, 'A', "000", 1);
	int written = 0;
	char *again = finish_str(a, &ic, &written, NULL);
	ck_assert_str_eq(again, one);
	/* and the writer is closed for new groups */
	struct x12_gs gs = make_gs("PO", "3", "004010");
	ck_assert_int_eq(ack_group_begin(a, &gs, 13, 23), -EINVAL);
	free(again);
	free(one);
	free(two);
	ack_writer_free(a);
	ack_writer_free(b);
}
END_TEST

START_TEST(test_control_number_limits)
{
	struct x12_isa isa = make_isa("00401", STD);
	struct ack_params p = make_params(ACK_997, STD);
	struct ack_writer *w = NULL;
	p.isa13 = ACK_CTL_MAX + 1;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), -ERANGE);
	ck_assert_ptr_null(w);
	p.isa13 = ACK_CTL_MAX;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	struct x12_gs gs = make_gs("PO", "1", "004010");
	ck_assert_int_eq(ack_group_begin(w, &gs, ACK_CTL_MAX + 1, 1), -ERANGE);
	ck_assert_int_eq(ack_group_begin(w, &gs, 1, ACK_CTL_MAX + 1), -ERANGE);
	ck_assert_uint_eq(ack_writer_groups(w), 0);
	ack_writer_free(w);

	/* ST02: 4 digits at least, zero-padded; larger numbers as they are */
	uint64_t st02s[] = { 1, 999, 9999, 10000, ACK_CTL_MAX };
	const char *want[] = { "ST*997*0001~", "ST*997*0999~", "ST*997*9999~", "ST*997*10000~",
			       "ST*997*999999999~" };
	for (size_t i = 0; i < 5; i++) {
		p.isa13 = ACK_CTL_MAX;
		ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
		ck_assert_int_eq(ack_group_begin(w, &gs, ACK_CTL_MAX, st02s[i]), 0);
		struct x12_group_result gr = make_group(&gs, 'A', 0, 0);
		ck_assert_int_eq(ack_group_end(w, &gr), 0);
		struct x12_interchange_result ic = make_ic(&isa, 'A', "000", 1);
		int written = 0;
		char *out = finish_str(w, &ic, &written, NULL);
		ck_assert_msg(strstr(out, want[i]) != NULL, "%s", out);
		ck_assert(strstr(out, "*999999999*X*004010~") != NULL);      /* GS06 */
		ck_assert(strstr(out, "~GE*1*999999999~IEA*1*999999999~") != NULL);
		free(out);
		ack_writer_free(w);
	}
}
END_TEST

START_TEST(test_bad_delimiters)
{
	struct x12_isa isa = make_isa("00501", STD);
	struct x12_delims bad[] = {
		{ '*', 0, '*', '~' },   /* element = component */
		{ '*', 0, ':', '*' },   /* element = terminator */
		{ 'A', 0, ':', '~' },   /* a letter */
		{ '*', 0, '1', '~' },   /* a digit */
		{ ' ', 0, ':', '~' },   /* blank: ISA padding would be ambiguous */
		{ '*', 0, 0, '~' },     /* missing */
		{ '*', ':', ':', '~' }, /* repetition = component at 00501 */
		{ '*', 'U', ':', '~' }, /* letter repetition at 00501 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ack_params p = make_params(ACK_997, bad[i]);
		struct ack_writer *w = (struct ack_writer *)&p; /* must be reset to NULL */
		ck_assert_msg(ack_writer_new(&w, &p, &isa) == -EINVAL, "case %zu", i);
		ck_assert_ptr_null(w);
	}
	/* a control byte as element separator and newline terminator are fine */
	struct x12_delims ok = { '\x1d', 0, '\x1f', '\n' };
	struct ack_params p = make_params(ACK_997, ok);
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	ack_writer_free(w);
}
END_TEST

START_TEST(test_call_order)
{
	struct x12_isa isa = make_isa("00401", STD);
	struct ack_params p = make_params(ACK_997, STD);
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	struct x12_txn_result t;
	txn_init(&t, "850", "0001", "");
	x12_txn_result_finish(&t);
	ck_assert_int_eq(ack_txn(w, &t), -EINVAL); /* no group open */
	struct x12_gs fa = make_gs("FA", "1", "004010");
	ck_assert_int_eq(ack_group_begin(w, &fa, 1, 1), -EINVAL); /* never an ack of an ack */
	ck_assert_uint_eq(ack_writer_groups(w), 0);
	struct x12_gs gs = make_gs("PO", "1", "004010");
	ck_assert_int_eq(ack_group_begin(w, &gs, 1, 1), 0);
	ck_assert_int_eq(ack_group_begin(w, &gs, 2, 2), -EINVAL); /* one open at a time */
	struct x12_interchange_result ic = make_ic(&isa, 'A', "000", 1);
	int written = -1;
	ck_assert_int_eq(ack_writer_finish(w, &ic, -1, &written), -EINVAL); /* group open */
	ck_assert_int_eq(written, 0);
	ck_assert_int_eq(ack_txn(w, &t), 0);
	/* results that do not fit what was acknowledged would make a wrong AK9 */
	struct x12_group_result gr = make_group(&gs, 'A', 1, 0);
	ck_assert_int_eq(ack_group_end(w, &gr), -EINVAL);  /* A but nothing accepted */
	gr = make_group(&gs, 'P', 2, 2);
	ck_assert_int_eq(ack_group_end(w, &gr), -EINVAL);  /* P with all accepted */
	gr = make_group(&gs, 'R', 1, 0);
	ck_assert_int_eq(ack_group_end(w, &gr), -EINVAL);  /* we acknowledged one accepted */
	gr = make_group(&gs, 'X', 1, 1);
	ck_assert_int_eq(ack_group_end(w, &gr), -EINVAL);  /* unknown status */
	gr = make_group(&gs, 'A', 1, 1);
	ck_assert_int_eq(ack_group_end(w, &gr), 0);
	ck_assert_int_eq(ack_group_end(w, &gr), -EINVAL);  /* already closed */
	/* a status the caller did not compute is computed from the findings */
	struct x12_txn_result u;
	txn_init(&u, "850", "0002", "");
	add_err(&u, X12_SCOPE_TXN, "4", "SE", 3, 1, 0, 0, 96, NULL);
	ck_assert_int_eq(ack_group_begin(w, &gs, 2, 2), 0);
	ck_assert_int_eq(ack_txn(w, &u), 0);
	u.status = 'Q';
	ck_assert_int_eq(ack_txn(w, &u), -EINVAL);
	gr = make_group(&gs, 'R', 1, 0);
	ck_assert_int_eq(ack_group_end(w, &gr), 0);
	char *out = finish_str(w, &ic, &written, NULL);
	ck_assert(strstr(out, "AK2*850*0002~AK5*R*4~AK9*R*1*1*0~") != NULL);
	free(out);
	x12_txn_result_free(&t);
	x12_txn_result_free(&u);
	ack_writer_free(w);
	ack_writer_free(NULL);
}
END_TEST

START_TEST(test_large_group_streamed)
{
	/* 120,000 transaction sets in one group go through the temporary file in $TMPDIR */
	char *dir = tu_tmpdir();
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", dir, 1);
	struct x12_isa isa = make_isa("00401", STD);
	struct ack_params p = make_params(ACK_997, STD);
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	struct x12_gs gs = make_gs("SH", "77", "004010");
	ck_assert_int_eq(ack_group_begin(w, &gs, 5, 6), 0);
	const uint64_t n = 120000;
	struct x12_txn_result t;
	txn_init(&t, "856", "", "");
	t.status = 'A';
	for (uint64_t i = 1; i <= n; i++) {
		snprintf(t.st02, sizeof t.st02, "%06llu", (unsigned long long)i);
		ck_assert_int_eq(ack_txn(w, &t), 0);
	}
	struct x12_group_result gr = make_group(&gs, 'A', n, n);
	ck_assert_int_eq(ack_group_end(w, &gr), 0);
	ck_assert_int_eq(tu_count_files(dir), 0); /* anonymous: nothing left behind */
	struct x12_interchange_result ic = make_ic(&isa, 'A', "000", 1);
	int written = 0;
	char *out = finish_str(w, &ic, &written, NULL);
	ck_assert_int_eq(written, 1);
	ck_assert_uint_eq(count(out, "~AK2*856*"), n);
	ck_assert(strstr(out, "~AK2*856*000001~AK5*A~AK2*856*000002~") != NULL);
	ck_assert(strstr(out, "~AK2*856*120000~AK5*A~AK9*A*120000*120000*120000~SE*240004*0006~"
			      "GE*1*5~IEA*1*000000042~") != NULL);
	free(out);
	ack_writer_free(w);
	/* an unusable $TMPDIR is reported, not worked around */
	setenv("TMPDIR", "/nonexistent/edigw-ack-test", 1);
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	ck_assert_int_lt(ack_group_begin(w, &gs, 5, 6), 0);
	ck_assert_uint_eq(ack_writer_groups(w), 0);
	ack_writer_free(w);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ack");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_accepted_850);
	tcase_add_test(tc, test_accepted_850_newline);
	tcase_add_test(tc, test_other_separators);
	tcase_add_test(tc, test_isa11_by_version);
	tcase_add_test(tc, test_isa_fixed_width_hostile_ids);
	tcase_add_test(tc, test_gs_date_by_version);
	tcase_add_test(tc, test_se01_wrong);
	tcase_add_test(tc, test_st02_mismatch);
	tcase_add_test(tc, test_one_good_one_bad);
	tcase_add_test(tc, test_ak3_ak4_component);
	tcase_add_test(tc, test_element_without_segment_error);
	tcase_add_test(tc, test_bad_value_with_delimiters);
	tcase_add_test(tc, test_group_codes);
	tcase_add_test(tc, test_ak902_without_ge);
	tcase_add_test(tc, test_application_errors_not_written);
	tcase_add_test(tc, test_dropped_errors);
	tcase_add_test(tc, test_implementation_codes_in_997);
	tcase_add_test(tc, test_trailing_empties);
	tcase_add_test(tc, test_ak4_limit);
	tcase_add_test(tc, test_position_limits);
	tcase_add_test(tc, test_no_identity_no_ak2);
	tcase_add_test(tc, test_999);
	tcase_add_test(tc, test_999_ctx);
	tcase_add_test(tc, test_ak403_by_version);
	tcase_add_test(tc, test_ta1_requested_good);
	tcase_add_test(tc, test_ta1_envelope_error);
	tcase_add_test(tc, test_ta1_never);
	tcase_add_test(tc, test_nothing_to_send);
	tcase_add_test(tc, test_ta1_only_partner);
	tcase_add_test(tc, test_ta101_padding);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_control_number_limits);
	tcase_add_test(tc, test_bad_delimiters);
	tcase_add_test(tc, test_call_order);
	tcase_add_test(tc, test_large_group_streamed);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
