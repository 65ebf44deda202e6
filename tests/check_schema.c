/* check_schema — X12 transaction-set definitions (maps/schemas) and the
 * validator: the shipped 850/856 on valid documents (demo samples, gateway
 * test orders), every AK304 and AK403 code with exact positions, the
 * relational conditions, HL hierarchy, loop and max-use limits, definition
 * syntax errors with file:line, and a timing over a generated 850 file.
 * The other shipped sets (855 810 860 846 940 945 943 944 997, 999 in
 * 005010): a valid document per set and version, typical errors with exact
 * code and position, and the corpus files of each set ($EDIGW_CORPUS; those
 * tests pass silently when it is absent) with every disagreement explained. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack/ack.h"
#include "testutil.h"
#include "x12/x12.h"
#include "x12/x12_schema.h"

static struct x12_schema *g_schema;

/* ------------------------------------------------------- test helpers */

/* A transaction set built from text: segments end at '~' (line breaks after
 * it ignored), elements split on '*'. */
struct tx {
	struct x12_txn txn;
	struct x12_tseg *segs;
	size_t nseg, cap;
	char *text;
	struct x12_delims delims;
};

static struct tx *tx_parse(const char *s, char comp, char rep)
{
	struct tx *t = calloc(1, sizeof *t);
	t->text = strdup(s);
	t->delims = (struct x12_delims){ '*', rep, comp, '~' };
	char *p = t->text;
	uint64_t fseg = 0;
	while (*p) {
		while (*p == '\r' || *p == '\n')
			p++;
		if (!*p)
			break;
		char *end = strchr(p, '~');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t nel = 1;
		for (size_t i = 0; i < len; i++)
			nel += p[i] == '*';
		struct span *el = calloc(nel, sizeof *el);
		size_t k = 0, start = 0;
		for (size_t i = 0; i <= len; i++)
			if (i == len || p[i] == '*') {
				el[k].p = p + start;
				el[k].n = i - start;
				k++;
				start = i + 1;
			}
		if (t->nseg == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->segs = realloc(t->segs, t->cap * sizeof *t->segs);
		}
		struct x12_tseg *g = &t->segs[t->nseg++];
		memset(g, 0, sizeof *g);
		memcpy(g->id, el[0].p, el[0].n < 3 ? el[0].n : 3);
		g->nelem = nel - 1;
		g->elem = el;
		g->file_seg = ++fseg;
		p += len + (end ? 1 : 0);
	}
	ck_assert_uint_ge(t->nseg, 1);
	t->txn.nseg = t->nseg;
	t->txn.segs = t->segs;
	t->txn.delims = &t->delims;
	t->txn.index = 1;
	return t;
}

static void tx_free(struct tx *t)
{
	for (size_t i = 0; i < t->nseg; i++)
		free(t->segs[i].elem);
	free(t->segs);
	free(t->text);
	free(t);
}

/* Validate text as a transaction set of the given version and set id. */
static void run(struct x12_errlist *errs, struct x12_errlist *warns, const char *version,
		const char *st01, const char *text, size_t depth)
{
	const struct x12_txn_def *def = x12_schema_find(g_schema, version, st01);
	ck_assert_ptr_nonnull(def);
	struct tx *t = tx_parse(text, version[1] == '0' && version[2] == '5' ? ':' : '>',
				version[2] == '5' ? '^' : 0);
	memset(errs, 0, sizeof *errs);
	if (warns)
		memset(warns, 0, sizeof *warns);
	int n = x12_schema_validate_warn(def, &t->txn, depth, errs, warns);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_eq((size_t)n, errs->n);
	tx_free(t);
}

/* Validate without the count check (for lists that drop findings). */
static void run_raw(struct x12_errlist *errs, const char *version, const char *text)
{
	const struct x12_txn_def *def = x12_schema_find(g_schema, version, "850");
	struct tx *t = tx_parse(text, '>', 0);
	memset(errs, 0, sizeof *errs);
	ck_assert_int_ge(x12_schema_validate(def, &t->txn, 32, errs), 100);
	tx_free(t);
}

/* All findings as lines for failure messages. */
static char *dump(const struct x12_errlist *l)
{
	static char out[16384];
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < l->n && o < sizeof out - 400; i++) {
		const struct x12_error *e = &l->v[i];
		o += (size_t)snprintf(out + o, sizeof out - o, "[%s %s %s pos %llu loop '%s' el %d:%d:%d ref %d bad '%s': %s]\n",
				      e->scope == X12_SCOPE_SEGMENT ? "SEG" : "ELEM", e->code, e->seg_id,
				      (unsigned long long)e->seg_pos, e->loop_id, e->elem_pos, e->comp_pos,
				      e->rep_pos, e->elem_ref, e->bad_value ? e->bad_value : "", e->msg);
	}
	return out;
}

#define CLEAN(l) ck_assert_msg((l)->n == 0, "expected no findings, got:\n%s", dump(l))

/* Exactly one finding, with these fields. */
static const struct x12_error *one(const struct x12_errlist *l, enum x12_scope scope, const char *code,
				   const char *seg_id, uint64_t seg_pos)
{
	ck_assert_msg(l->n == 1, "expected 1 finding, got %zu:\n%s", l->n, dump(l));
	const struct x12_error *e = &l->v[0];
	ck_assert_msg(e->scope == scope && strcmp(e->code, code) == 0 && strcmp(e->seg_id, seg_id) == 0 &&
			      e->seg_pos == seg_pos,
		      "want %s %s@%llu, got:\n%s", code, seg_id, (unsigned long long)seg_pos, dump(l));
	return e;
}

static void elem_is(const struct x12_error *e, int elem, int comp, int rep, int ref, const char *bad)
{
	ck_assert_int_eq(e->elem_pos, elem);
	ck_assert_int_eq(e->comp_pos, comp);
	ck_assert_int_eq(e->rep_pos, rep);
	ck_assert_int_eq(e->elem_ref, ref);
	if (bad)
		ck_assert_str_eq(e->bad_value ? e->bad_value : "(null)", bad);
	else
		ck_assert_ptr_null(e->bad_value);
}

/* A valid 850 with one edit (from → to); the findings in *errs. */
#define PO_A "ST*850*0001~BEG*00*SA*PO-1001**20261122~N1*ST*Retail DC 7*92*0007~N3*1200 Distribution Way~" \
	     "N4*Columbus*OH*43215*US~PO1*1*24*EA*12.50**BP*SKU-1*VP*W-9~PID*F****Blue widget, large~CTT*1~SE*9*0001~"
#define PO_B "ST*850*0002~BEG*00*SA*PO-1002**20261122~N1*ST*Store 12*92*0012~PO1*1*10*EA*3.99**BP*SKU-2~CTT*1~SE*6*0002~"

static void edited(struct x12_errlist *errs, const char *version, const char *from, const char *to)
{
	char *s = tu_replace(PO_A, from, to);
	ck_assert_msg(strcmp(s, PO_A) != 0, "edit %s not applied", from);
	run(errs, NULL, version, "850", s, 32);
	free(s);
}

static void setup(void)
{
	struct diag_list d;
	char *root = tu_srcpath("maps/schemas");
	diag_list_init(&d);
	int rc = x12_schema_load(&g_schema, root, &d);
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

/* ------------------------------------------------------- valid documents */

START_TEST(test_find)
{
	ck_assert_ptr_nonnull(x12_schema_find(g_schema, "004010", "850"));
	ck_assert_ptr_nonnull(x12_schema_find(g_schema, "004010VICS", "850"));
	ck_assert_ptr_nonnull(x12_schema_find(g_schema, "005010", "856"));
	const struct x12_txn_def *d = x12_schema_find(g_schema, "005010X222A1", "850");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(x12_txn_def_version(d), "005010");
	ck_assert_str_eq(x12_txn_def_id(d), "850");
	ck_assert_ptr_null(x12_schema_find(g_schema, "004010", "837"));
	ck_assert_ptr_null(x12_schema_find(g_schema, "003040", "850"));
	ck_assert_ptr_null(x12_schema_find(g_schema, "00401", "850"));
}
END_TEST

START_TEST(test_gateway_orders_valid)
{
	struct x12_errlist e;
	run(&e, NULL, "004010", "850", PO_A, 32);
	CLEAN(&e);
	x12_errlist_free(&e);
	run(&e, NULL, "004010", "850", PO_B, 32);
	CLEAN(&e);
	x12_errlist_free(&e);
	run(&e, NULL, "005010", "850", PO_A, 32);
	CLEAN(&e);
	x12_errlist_free(&e);
}
END_TEST

/* Handler validating every transaction set of a real file. */
struct samp {
	size_t ntxn, nerr, nwarn;
	struct x12_errlist all;
};

static int samp_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct samp *s = ctx;
	struct x12_errlist e = { 0 }, w = { 0 };
	(void)res;
	const struct x12_txn_def *def = x12_schema_find(g_schema, txn->gs->version, txn->st01);
	ck_assert_ptr_nonnull(def);
	x12_schema_validate_warn(def, txn, 32, &e, &w);
	s->ntxn++;
	s->nerr += e.n;
	s->nwarn += w.n;
	for (size_t i = 0; i < e.n; i++)
		x12_errlist_add(&s->all, &e.v[i]);
	x12_errlist_free(&e);
	x12_errlist_free(&w);
	return 0;
}

static void validate_file(const char *rel, size_t want_txn)
{
	char *path = tu_srcpath(rel);
	size_t len;
	char *data = tu_read(path, &len);
	ck_assert_ptr_nonnull(data);
	struct x12_reader *r;
	ck_assert_int_eq(x12_reader_new_mem(&r, data, len, NULL), 0);
	struct samp s = { 0 };
	struct x12_handler h = { .ctx = &s, .transaction = samp_txn };
	struct x12_file_summary sum;
	struct x12_error err = { 0 };
	ck_assert_int_eq(x12_parse(r, &h, &sum, &err), 0);
	ck_assert_uint_eq(s.ntxn, want_txn);
	ck_assert_msg(s.nerr == 0, "%s:\n%s", rel, dump(&s.all));
	ck_assert_uint_eq(s.nwarn, 0);
	x12_errlist_free(&s.all);
	x12_error_free(&err);
	x12_reader_free(r);
	free(data);
	free(path);
}

START_TEST(test_demo_samples_valid)
{
	validate_file("partners/demo-retailer/samples/01-po-004010-two-orders.x12", 2);
	validate_file("partners/demo-retailer/samples/02-po-005010-ta1-requested.x12", 1);
}
END_TEST

#define ASN "ST*856*0001~BSN*00*SHP-1*20261122*0930*0001~DTM*011*20261122~" \
	    "HL*1**S~TD1*CTN25*2~TD5*B*2*UPSN*M~REF*BM*BOL-77~N1*ST*Retail DC 7*92*0007~N4*Columbus*OH*43215*US~" \
	    "HL*2*1*O~PRF*PO-1001~" \
	    "HL*3*2*P~MAN*GM*00000123450000000018~" \
	    "HL*4*3*I~LIN**UP*012345678905*VP*W-9~SN1**24*EA~" \
	    "HL*5*2*P~MAN*GM*00000123450000000025~" \
	    "HL*6*5*I~LIN**UP*012345678912~SN1**6*CA~" \
	    "CTT*6~SE*23*0001~"

START_TEST(test_856_valid)
{
	struct x12_errlist e;
	run(&e, NULL, "004010", "856", ASN, 32);
	CLEAN(&e);
	x12_errlist_free(&e);
	run(&e, NULL, "005010", "856", ASN, 32);
	CLEAN(&e);
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_856_tare_and_st03)
{
	struct x12_errlist e;
	/* shipment > tare > pack > item, and order > item */
	run(&e, NULL, "004010", "856",
	    "ST*856*0001~BSN*00*SHP-2*20261122*0930~HL*1**S~HL*2*1*T~HL*3*2*P~HL*4*3*I~LIN**UP*1~SN1**1*EA~"
	    "HL*5*1*O~HL*6*5*I~SN1**2*EA~SE*12*0001~",
	    32);
	CLEAN(&e);
	x12_errlist_free(&e);
	/* a pack may not sit under an item */
	run(&e, NULL, "004010", "856", "ST*856*0001~BSN*00*SHP-2*20261122*0930~HL*1**S~HL*2*1*O~HL*3*2*I~HL*4*3*P~SE*7*0001~",
	    32);
	elem_is(one(&e, X12_SCOPE_ELEMENT, "7", "HL", 6), 3, 0, 0, 735, "P");
	x12_errlist_free(&e);
	/* ST03 is an element from 005010 on */
	char *st03 = tu_replace(PO_B, "ST*850*0002", "ST*850*0002*005010VICS");
	run(&e, NULL, "005010", "850", st03, 32);
	CLEAN(&e);
	x12_errlist_free(&e);
	/* ... and too many elements in 004010 */
	run(&e, NULL, "004010", "850", st03, 32);
	elem_is(one(&e, X12_SCOPE_ELEMENT, "3", "ST", 1), 3, 0, 0, 0, "005010VICS");
	x12_errlist_free(&e);
	free(st03);
}
END_TEST

/* Every single-byte edit of a valid order validates without a crash and within the cap. */
START_TEST(test_mutations)
{
	static const char subst[] = { '*', '~', ':', '^', '>', 'X', '9', ' ', '\x01' };
	const char *versions[] = { "004010", "005010" };
	size_t n = strlen(PO_A);
	for (size_t v = 0; v < 2; v++)
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < sizeof subst; k++) {
				char *s = strdup(PO_A);
				s[i] = subst[k];
				if (s[0] == '~' || strncmp(s, "ST*", 3) != 0) {
					free(s);
					continue;
				}
				struct x12_errlist e;
				const struct x12_txn_def *def = x12_schema_find(g_schema, versions[v], "850");
				struct tx *t = tx_parse(s, v ? ':' : '>', v ? '^' : 0);
				memset(&e, 0, sizeof e);
				int r = x12_schema_validate(def, &t->txn, 32, &e);
				ck_assert_int_ge(r, 0);
				ck_assert_uint_le(e.n, X12_MAX_ERRORS);
				x12_errlist_free(&e);
				tx_free(t);
				free(s);
			}
}
END_TEST

/* ------------------------------------------------------- segment codes */

START_TEST(test_seg_unrecognized)
{
	struct x12_errlist e;
	edited(&e, "004010", "N3*1200", "ZZZ*1~N3*1200");
	const struct x12_error *x = one(&e, X12_SCOPE_SEGMENT, "1", "ZZZ", 4);
	ck_assert_str_eq(x->loop_id, "");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_seg_not_in_set)
{
	struct x12_errlist e;
	edited(&e, "004010", "N3*1200", "BSN*00*X*20261122*1200~N3*1200");
	one(&e, X12_SCOPE_SEGMENT, "6", "BSN", 4);
	ck_assert_ptr_nonnull(strstr(e.v[0].msg, "not part of transaction set 850"));
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_seg_out_of_order)
{
	struct x12_errlist e;
	/* a heading segment the PO1 loop lacks: DTM, FOB, TAX and CUR occur in both
	 * (so they would be read as the PO1 loop's own), BEG only in the heading */
	edited(&e, "004010", "PID*F", "BEG*00*SA*1**20240101~PID*F");
	const struct x12_error *x = one(&e, X12_SCOPE_SEGMENT, "7", "BEG", 7);
	ck_assert_str_eq(x->loop_id, "PO1");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_seg_unexpected)
{
	struct x12_errlist e;
	/* N3 without an N1 loop open: it belongs inside loop N1 */
	edited(&e, "004010", "N1*ST*Retail DC 7*92*0007~", "");
	ck_assert_msg(e.n == 2, "%s", dump(&e));
	ck_assert_str_eq(e.v[0].code, "2");
	ck_assert_str_eq(e.v[0].seg_id, "N3");
	ck_assert_uint_eq(e.v[0].seg_pos, 3);
	ck_assert_str_eq(e.v[1].code, "2");
	ck_assert_str_eq(e.v[1].seg_id, "N4");
	ck_assert_uint_eq(e.v[1].seg_pos, 4);
	ck_assert_ptr_nonnull(strstr(e.v[0].msg, "loop N1"));
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_seg_mandatory_missing)
{
	struct x12_errlist e;
	edited(&e, "004010", "BEG*00*SA*PO-1001**20261122~", "");
	const struct x12_error *x = one(&e, X12_SCOPE_SEGMENT, "3", "BEG", 2);
	ck_assert_str_eq(x->loop_id, "");
	x12_errlist_free(&e);
	/* the mandatory PO1 loop */
	edited(&e, "004010", "PO1*1*24*EA*12.50**BP*SKU-1*VP*W-9~PID*F****Blue widget, large~", "");
	x = one(&e, X12_SCOPE_SEGMENT, "3", "PO1", 6);
	ck_assert_str_eq(x->loop_id, "PO1");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_seg_recovery)
{
	struct x12_errlist e;
	/* one stray segment early does not make the rest of the set wrong */
	edited(&e, "004010", "BEG*00*SA*PO-1001**20261122~", "BEG*00*SA*PO-1001**20261122~XX*1~");
	one(&e, X12_SCOPE_SEGMENT, "1", "XX", 3);
	x12_errlist_free(&e);
}
END_TEST

/* An 850 with n N1 loops. */
static char *po_with_n1(int n)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "ST*850*0001~BEG*00*SA*PO-1**20261122~");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "N1*ST*Store %d*92*%04d~", i, i);
	buf_puts(&b, "PO1*1*1*EA*1**BP*X~CTT*1~SE*1*0001~");
	return buf_steal(&b);
}

START_TEST(test_loop_max)
{
	struct x12_errlist e;
	for (int n = 199; n <= 201; n++) {
		char *s = po_with_n1(n);
		run(&e, NULL, "004010", "850", s, 32);
		if (n <= 200)
			CLEAN(&e);
		else {
			const struct x12_error *x = one(&e, X12_SCOPE_SEGMENT, "4", "N1", 3 + 200);
			ck_assert_str_eq(x->loop_id, "N1");
			ck_assert_str_eq(x->msg, "N1 loop occurs 201 times, at most 200 allowed");
		}
		x12_errlist_free(&e);
		free(s);
	}
}
END_TEST

START_TEST(test_max_use)
{
	struct x12_errlist e;
	/* N2 max 2 in the N1 loop: one below, at, above */
	edited(&e, "004010", "N3*1200", "N2*A~N3*1200");
	CLEAN(&e);
	x12_errlist_free(&e);
	edited(&e, "004010", "N3*1200", "N2*A~N2*B~N3*1200");
	CLEAN(&e);
	x12_errlist_free(&e);
	edited(&e, "004010", "N3*1200", "N2*A~N2*B~N2*C~N3*1200");
	const struct x12_error *x = one(&e, X12_SCOPE_SEGMENT, "5", "N2", 6);
	ck_assert_str_eq(x->loop_id, "N1");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_loop_depth)
{
	struct x12_errlist e;
	/* PID loop inside PO1 loop: depth 2; with max depth 1 it is refused */
	run(&e, NULL, "004010", "850", PO_A, 2);
	CLEAN(&e);
	x12_errlist_free(&e);
	run(&e, NULL, "004010", "850", PO_A, 1);
	one(&e, X12_SCOPE_SEGMENT, "2", "PID", 7);
	x12_errlist_free(&e);
}
END_TEST

/* ------------------------------------------------------- element codes */

START_TEST(test_elem_mandatory)
{
	struct x12_errlist e;
	edited(&e, "004010", "BEG*00*SA*PO-1001**", "BEG*00*SA***");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "1", "BEG", 2), 3, 0, 0, 324, NULL);
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_elem_too_many)
{
	struct x12_errlist e;
	edited(&e, "004010", "N3*1200 Distribution Way", "N3*1200 Distribution Way*B*C");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "3", "N3", 4), 3, 0, 0, 0, "C");
	x12_errlist_free(&e);
	/* trailing empty elements are tolerated */
	edited(&e, "004010", "N3*1200 Distribution Way", "N3*1200 Distribution Way**");
	CLEAN(&e);
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_elem_length)
{
	struct x12_errlist e;
	/* N102 is AN 1..60 (one below, at, above) */
	char v[80];
	memset(v, 'A', sizeof v);
	for (int n = 59; n <= 61; n++) {
		char seg[128];
		snprintf(seg, sizeof seg, "N1*ST*%.*s*92", n, v);
		edited(&e, "004010", "N1*ST*Retail DC 7*92", seg);
		if (n <= 60)
			CLEAN(&e);
		else
		{
			char want[62];
			memcpy(want, v, 61);
			want[61] = '\0';
			elem_is(one(&e, X12_SCOPE_ELEMENT, "5", "N1", 3), 2, 0, 0, 93, want);
		}
		x12_errlist_free(&e);
	}
	edited(&e, "004010", "N4*Columbus*OH*43215", "N4*Columbus*OH*43");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "4", "N4", 5), 3, 0, 0, 116, "43");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_elem_invalid_char)
{
	struct x12_errlist e;
	edited(&e, "004010", "PO1*1*24*", "PO1*1*2X*");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "6", "PO1", 6), 2, 0, 0, 330, "2X");
	x12_errlist_free(&e);
	edited(&e, "004010", "N3*1200 Distribution Way", "N3*1200 Distribution\x01Way");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "6", "N3", 4), 1, 0, 0, 166, "1200 Distribution\x01Way");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_elem_code)
{
	struct x12_errlist e, w;
	/* PID01 349 has a full list: error */
	char *s = tu_replace(PO_A, "PID*F", "PID*Z");
	run(&e, &w, "004010", "850", s, 32);
	elem_is(one(&e, X12_SCOPE_ELEMENT, "7", "PID", 7), 1, 0, 0, 349, "Z");
	ck_assert_uint_eq(w.n, 0);
	x12_errlist_free(&e);
	x12_errlist_free(&w);
	free(s);
	/* PO103 355 has a partial list: a warning only */
	s = tu_replace(PO_A, "*EA*", "*QQ*");
	run(&e, &w, "004010", "850", s, 32);
	CLEAN(&e);
	ck_assert_uint_eq(w.n, 1);
	elem_is(&w.v[0], 3, 0, 0, 355, "QQ");
	ck_assert_str_eq(w.v[0].code, "7");
	ck_assert_ptr_nonnull(strstr(w.v[0].msg, "PO103 unit of measure code 'QQ'"));
	x12_errlist_free(&e);
	x12_errlist_free(&w);
	free(s);
}
END_TEST

START_TEST(test_elem_date_time)
{
	struct x12_errlist e;
	edited(&e, "004010", "**20261122~", "**20260230~");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "8", "BEG", 2), 5, 0, 0, 373, "20260230");
	x12_errlist_free(&e);
	edited(&e, "004010", "**20261122~", "**20240229~");
	CLEAN(&e);
	x12_errlist_free(&e);
	edited(&e, "004010", "**20261122~", "**20250229~");
	one(&e, X12_SCOPE_ELEMENT, "8", "BEG", 2);
	x12_errlist_free(&e);
	edited(&e, "004010", "N3*1200", "DTM*002*20261201*2460~N3*1200");
	one(&e, X12_SCOPE_SEGMENT, "7", "DTM", 4); /* DTM in the N1 loop is out of order */
	x12_errlist_free(&e);
	char *s = tu_replace(PO_A, "N1*ST", "DTM*002*20261201*2460~N1*ST");
	run(&e, NULL, "004010", "850", s, 32);
	elem_is(one(&e, X12_SCOPE_ELEMENT, "9", "DTM", 3), 3, 0, 0, 337, "2460");
	x12_errlist_free(&e);
	free(s);
}
END_TEST

START_TEST(test_elem_repetitions_components)
{
	struct x12_errlist e;
	/* 005010 REF04 C040: components; too many components */
	edited(&e, "005010", "PO1*1", "REF*DP*1*X*PO:1:VN:2:ZZ:3~PO1*1");
	CLEAN(&e);
	x12_errlist_free(&e);
	edited(&e, "005010", "PO1*1", "REF*DP*1*X*PO:1:VN:2:ZZ:3:9~PO1*1");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "13", "REF", 6), 4, 7, 0, 0, "9");
	x12_errlist_free(&e);
	/* a component missing inside the composite, and a relational condition inside it */
	edited(&e, "005010", "PO1*1", "REF*DP*1*X*PO~PO1*1");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "1", "REF", 6), 4, 2, 0, 127, NULL);
	x12_errlist_free(&e);
	edited(&e, "005010", "PO1*1", "REF*DP*1*X*PO:1:VN~PO1*1");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "2", "REF", 6), 4, 4, 0, 127, NULL);
	x12_errlist_free(&e);
	/* a repetition separator in an element that does not repeat */
	edited(&e, "005010", "N3*1200 Distribution Way", "N3*1200 Distribution^Way");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "12", "N3", 4), 1, 0, 2, 166, "Way");
	x12_errlist_free(&e);
}
END_TEST

/* ------------------------------------------------------- relational conditions */

START_TEST(test_rule_p)
{
	struct x12_errlist e;
	/* N1 P0304: N103 without N104 */
	edited(&e, "004010", "N1*ST*Retail DC 7*92*0007", "N1*ST*Retail DC 7*92");
	const struct x12_error *x = one(&e, X12_SCOPE_ELEMENT, "2", "N1", 3);
	elem_is(x, 4, 0, 0, 67, NULL);
	ck_assert_ptr_nonnull(strstr(x->msg, "P0304"));
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_rule_r)
{
	struct x12_errlist e;
	/* N1 R0203: neither N102 nor N103 */
	edited(&e, "004010", "N1*ST*Retail DC 7*92*0007", "N1*ST");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "2", "N1", 3), 2, 0, 0, 93, NULL);
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_rule_c)
{
	struct x12_errlist e;
	/* PO1 C0504: PO105 basis of price needs PO104 */
	edited(&e, "004010", "PO1*1*24*EA*12.50**", "PO1*1*24*EA**PE*");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "2", "PO1", 6), 4, 0, 0, 212, NULL);
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_rule_e)
{
	struct x12_errlist e;
	/* 005010 N4 E0207: N402 state and N407 country subdivision exclude each other */
	edited(&e, "005010", "N4*Columbus*OH*43215*US", "N4*Columbus*OH*43215*US***ABC");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "10", "N4", 5), 7, 0, 0, 1715, "ABC");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_rule_l)
{
	struct x12_errlist e;
	/* MEA L07030506: MEA07 needs one of MEA03, MEA05, MEA06 */
	edited(&e, "004010", "PID*F****Blue widget, large~", "PID*F****Blue widget, large~MEA*PD*WT*****01*AA~");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "2", "MEA", 8), 3, 0, 0, 739, NULL);
	x12_errlist_free(&e);
	edited(&e, "004010", "PID*F****Blue widget, large~", "PID*F****Blue widget, large~MEA*PD*WT*12*LB***01~");
	CLEAN(&e);
	x12_errlist_free(&e);
}
END_TEST

/* ------------------------------------------------------- HL */

static void asn_edit(struct x12_errlist *e, const char *from, const char *to)
{
	char *s = tu_replace(ASN, from, to);
	ck_assert_msg(strcmp(s, ASN) != 0, "edit %s not applied", from);
	run(e, NULL, "004010", "856", s, 32);
	free(s);
}

START_TEST(test_hl_unknown_parent)
{
	struct x12_errlist e;
	asn_edit(&e, "HL*4*3*I", "HL*4*9*I");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "7", "HL", 14), 2, 0, 0, 734, "9");
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_hl_level_not_allowed)
{
	struct x12_errlist e;
	/* an item directly under the shipment */
	asn_edit(&e, "HL*4*3*I", "HL*4*1*I");
	const struct x12_error *x = one(&e, X12_SCOPE_ELEMENT, "7", "HL", 14);
	elem_is(x, 3, 0, 0, 735, "I");
	ck_assert_ptr_nonnull(strstr(x->msg, "not allowed under level S"));
	x12_errlist_free(&e);
	/* an unknown level code */
	asn_edit(&e, "HL*4*3*I", "HL*4*3*X");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "7", "HL", 14), 3, 0, 0, 735, "X");
	x12_errlist_free(&e);
	/* an order with no parent */
	asn_edit(&e, "HL*2*1*O", "HL*2**O");
	elem_is(one(&e, X12_SCOPE_ELEMENT, "2", "HL", 10), 2, 0, 0, 734, NULL);
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_hl_duplicate)
{
	struct x12_errlist e;
	asn_edit(&e, "HL*5*2*P", "HL*4*2*P");
	/* the duplicate, and then HL 6 names parent 5, which never existed */
	ck_assert_msg(e.n == 2, "%s", dump(&e));
	elem_is(&e.v[0], 1, 0, 0, 628, "4");
	ck_assert_str_eq(e.v[0].code, "7");
	ck_assert_uint_eq(e.v[0].seg_pos, 17);
	x12_errlist_free(&e);
}
END_TEST

START_TEST(test_hl_depth)
{
	struct x12_errlist e;
	/* S > O > P > I is 4 deep */
	run(&e, NULL, "004010", "856", ASN, 4);
	CLEAN(&e);
	x12_errlist_free(&e);
	run(&e, NULL, "004010", "856", ASN, 3);
	/* both items are 4 deep */
	ck_assert_msg(e.n == 2, "%s", dump(&e));
	elem_is(&e.v[0], 2, 0, 0, 734, "3");
	ck_assert_uint_eq(e.v[0].seg_pos, 14);
	elem_is(&e.v[1], 2, 0, 0, 734, "5");
	ck_assert_uint_eq(e.v[1].seg_pos, 19);
	ck_assert_ptr_nonnull(strstr(e.v[0].msg, "deeper than 3 levels"));
	x12_errlist_free(&e);
}
END_TEST

/* ------------------------------------------------------- definition files */

static char *g_tmp;

/* A schema tree under g_tmp with the shipped 004010 element and segment files and
 * the given files replaced; returns the load's diagnostics as "base:line: msg" text. */
static struct x12_schema *g_kept; /* the loaded schema when g_keep is set */
static int g_keep;
static const char *g_extra_name, *g_extra_text; /* one more file to write */

static char *load_with(const char *file, const char *text, int *rc)
{
	static char out[8192];
	char *src = tu_srcpath("maps/schemas/x12/004010");
	char dir[4096];
	g_tmp = tu_tmpdir();
	snprintf(dir, sizeof dir, "%s/x12/004010", g_tmp);
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	const char *names[] = { "elements.def", "segments.def", "850.def" };
	for (size_t i = 0; i < 3; i++) {
		char p[4096], q[8300];
		snprintf(p, sizeof p, "%s/%s", src, names[i]);
		snprintf(q, sizeof q, "%s/%s", dir, names[i]);
		size_t len;
		char *data = tu_read(p, &len);
		ck_assert_ptr_nonnull(data);
		if (strcmp(names[i], file) == 0 && text[0] == '+') {
			/* "+text": the shipped file with text appended */
			size_t tl = strlen(text + 1);
			data = realloc(data, len + tl + 1);
			memcpy(data + len, text + 1, tl + 1);
			len += tl;
		} else if (strcmp(names[i], file) == 0) {
			free(data);
			data = strdup(text);
			len = strlen(text);
		}
		ck_assert_int_eq(tu_write(q, data, len), 0);
		free(data);
	}
	if (strcmp(file, "elements.def") && strcmp(file, "segments.def") && strcmp(file, "850.def")) {
		char q[8300];
		snprintf(q, sizeof q, "%s/%s", dir, file);
		ck_assert_int_eq(tu_write(q, text, strlen(text)), 0);
	}
	if (g_extra_name) {
		char q[8300];
		snprintf(q, sizeof q, "%s/%s", dir, g_extra_name);
		ck_assert_int_eq(tu_write(q, g_extra_text, strlen(g_extra_text)), 0);
	}
	struct diag_list d;
	struct x12_schema *s = NULL;
	diag_list_init(&d);
	*rc = x12_schema_load(&s, g_tmp, &d);
	out[0] = '\0';
	size_t o = 0;
	for (size_t i = 0; i < d.n && o < sizeof out - 512; i++) {
		const char *f = d.v[i].file ? d.v[i].file : "(none)";
		const char *b = strrchr(f, '/');
		o += (size_t)snprintf(out + o, sizeof out - o, "%s:%zu: %s\n", b ? b + 1 : f, d.v[i].line,
				      d.v[i].msg);
	}
	if (*rc == 0)
		ck_assert_ptr_nonnull(s);
	else
		ck_assert_ptr_null(s);
	if (g_keep)
		g_kept = s;
	else
		x12_schema_free(s);
	diag_list_free(&d);
	tu_rmtree(g_tmp);
	free(g_tmp);
	free(src);
	return out;
}

#define EXPECT_DIAG(file, text, want)                                                 \
	do {                                                                          \
		int rc_;                                                              \
		const char *o_ = load_with(file, text, &rc_);                         \
		ck_assert_int_eq(rc_, -EINVAL);                                       \
		ck_assert_msg(strstr(o_, want) != NULL, "want '%s' in:\n%s", want, o_); \
	} while (0)

START_TEST(test_def_ok_copy)
{
	int rc;
	const char *o = load_with("999.def", "transaction 999 FA\nST M 1\nB4 M 1\nSE M 1\n", &rc);
	/* B4 (a status segment) is not in the shipped dictionary */
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(o, "999.def:3: segment 'B4' is not in segments.def"));
	o = load_with("997.def", "# minimal\ntransaction 997 FA\nST M 1\nloop N1 O 1\n N1 M 1\nend\nSE M 1\n", &rc);
	ck_assert_msg(rc == 0, "%s", o);
}
END_TEST

START_TEST(test_def_element_errors)
{
	EXPECT_DIAG("elements.def", "element 1 ID 2 2\nelement 2 XX 1 2\n", "elements.def:2: unknown element type 'XX'");
	EXPECT_DIAG("elements.def", "element 1 ID 3 2\n", "elements.def:1: bad length 3..2");
	EXPECT_DIAG("elements.def", "element x ID 1 2\n", "elements.def:1: element reference 'x'");
	EXPECT_DIAG("elements.def", "element 1 ID 1 2\nelement 1 AN 1 2\n", "elements.def:2: element 1 defined twice");
	EXPECT_DIAG("elements.def", "element 1 ID\n", "elements.def:1: expected 'element REF TYPE MIN MAX");
	EXPECT_DIAG("elements.def", "codes 9 full A\n", "elements.def:1: codes for undefined element '9'");
	EXPECT_DIAG("elements.def", "element 1 ID 1 2\ncodes 1 some A\n", "elements.def:2: expected 'full' or 'partial'");
	EXPECT_DIAG("elements.def", "element 1 ID 1 2\ncodes 1 full A\ncodes 1 partial B\n",
		    "elements.def:3: element 1: code list is both full and partial");
	EXPECT_DIAG("elements.def", "element 1 ID 1 2\ncodes 1 full ABC\n", "elements.def:2: code 'ABC' does not fit");
	EXPECT_DIAG("elements.def", "\n\nfoo 1\n", "elements.def:3: unknown keyword 'foo'");
}
END_TEST

START_TEST(test_def_segment_errors)
{
	EXPECT_DIAG("segments.def", "segment ST\n  143 M\n  329 Q\nend\n", "segments.def:3: usage 'Q' must be M, O or X");
	EXPECT_DIAG("segments.def", "segment ST\n  143 M\n  99999 M\nend\n", "segments.def:3: element '99999' is not in elements.def");
	EXPECT_DIAG("segments.def", "segment ST\n  143 M\n  C999 M\nend\n", "segments.def:3: composite C999 is not defined above");
	EXPECT_DIAG("segments.def", "segment st\n", "segments.def:1: segment id 'st' must be 2-3 capital letters");
	EXPECT_DIAG("segments.def", "segment ST\n  143 M\n  rule P0109\nend\n", "segments.def:3: bad condition 'P0109'");
	EXPECT_DIAG("segments.def", "segment ST\n  143 M\n  329 M\n  rule L0102\nend\n", "segments.def:4: bad condition 'L0102'");
	EXPECT_DIAG("segments.def", "rule P0102\n", "segments.def:1: 'rule' outside a segment");
	EXPECT_DIAG("segments.def", "end\n", "segments.def:1: 'end' without");
	EXPECT_DIAG("segments.def", "segment ST\n  143 M\n", "segments.def:1: segment ST is not closed");
	EXPECT_DIAG("segments.def", "segment ST\nsegment SE\n", "segments.def:2: 'segment' inside block ST");
	EXPECT_DIAG("segments.def", "segment ST\nend\n", "segments.def:2: ST has no elements");
	EXPECT_DIAG("segments.def", "segment ST\n 143 M\nend\nsegment ST\n 143 M\nend\n", "segments.def:4: segment ST defined twice");
	EXPECT_DIAG("segments.def", "segment ST\n 143 M 0\nend\n", "segments.def:2: repeat '0'");
	EXPECT_DIAG("segments.def", "composite X001\n 143 M\nend\n", "segments.def:1: composite id 'X001' must look like C001");
	EXPECT_DIAG("segments.def", "foo\n", "segments.def:1: unknown keyword 'foo'");
}
END_TEST

START_TEST(test_def_txn_errors)
{
	EXPECT_DIAG("850.def", "ST M 1\n", "850.def:1: the file must start with 'transaction 850 FG'");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nXYZ M 1\nSE M 1\n", "850.def:3: segment 'XYZ' is not in segments.def");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST Q 1\nSE M 1\n", "850.def:2: expected 'SEGMENT M|O MAX'");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 0\nSE M 1\n", "850.def:2: expected 'SEGMENT M|O MAX'");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nloop N1 O\nSE M 1\n", "850.def:3: expected 'loop ID M|O MAX'");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nloop N1 O 2\nN1 O 1\nSE M 1\n", "850.def:5: loop N1 is not closed");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nend\nSE M 1\n", "850.def:3: 'end' without 'loop'");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nloop A O 1\nend\nSE M 1\n", "850.def:4: loop A has no segments");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nloop A O 1\nloop B O 1\n", "850.def:4: a loop must start with a segment");
	EXPECT_DIAG("850.def", "transaction 850 PO\nBEG M 1\nSE M 1\n", "850.def:3: the table must start with ST and end with SE");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nSE M 1\nhl S top\nhl O X\n", "850.def:5: parent level 'X' is not declared above");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nSE M 1\nhl S top\nhl S top\n", "850.def:5: hierarchy level S declared twice");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nloop N1 O 2\nN1 O 1\nheading\nend\nSE M 1\n", "850.def:5: area 'heading' inside a loop");
	EXPECT_DIAG("850.def", "", "850.def:0: empty file");
}
END_TEST

START_TEST(test_def_limits)
{
	char *big = malloc(X12_SCHEMA_MAX_LINE + 64);
	/* a line of MAX_LINE - 1 and MAX_LINE bytes is fine, one more is not */
	for (int extra = -1; extra <= 1; extra++) {
		size_t n = (size_t)((int)X12_SCHEMA_MAX_LINE + extra);
		big[0] = '+';
		memset(big + 1, ' ', n);
		big[1] = '#';
		memcpy(big + 1 + n, "\n", 2);
		int rc;
		const char *o = load_with("elements.def", big, &rc);
		if (extra > 0) {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_ptr_nonnull(strstr(o, "line longer than 1024 bytes"));
		} else
			ck_assert_msg(rc == 0, "%s", o);
	}
	free(big);
	/* a file over X12_SCHEMA_MAX_FILE */
	size_t n = X12_SCHEMA_MAX_FILE + 1;
	char *f = malloc(n + 1);
	memset(f, '#', n);
	f[n] = '\0';
	int rc;
	const char *o = load_with("856.def", f, &rc);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(o, "856.def:0: file larger than"));
	free(f);
	/* loop nesting: X12_SCHEMA_MAX_NEST loops deep is fine, one more is not */
	for (int extra = 0; extra <= 1; extra++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "transaction 855 PR\nST M 1\n");
		int n2 = X12_SCHEMA_MAX_NEST + extra;
		for (int i = 0; i < n2; i++)
			buf_printf(&b, "loop L%d O 1\nN1 O 1\n", i);
		for (int i = 0; i < n2; i++)
			buf_puts(&b, "end\n");
		buf_puts(&b, "SE M 1\n");
		o = load_with("855.def", b.data, &rc);
		if (extra) {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_ptr_nonnull(strstr(o, "loops nested deeper than 32"));
		} else
			ck_assert_msg(rc == 0, "%s", o);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_def_count_limits)
{
	/* 99 elements in a segment (one below, at, above) */
	for (int n = 98; n <= 100; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "+\nsegment ZZ\n");
		for (int i = 0; i < n; i++)
			buf_puts(&b, "  352 O\n");
		buf_puts(&b, "end\n");
		int rc;
		const char *o = load_with("segments.def", b.data, &rc);
		if (n <= X12_SCHEMA_MAX_SEG_ITEMS)
			ck_assert_msg(rc == 0, "%s", o);
		else
			ck_assert_ptr_nonnull(strstr(o, "more than 99 elements in ZZ"));
		buf_free(&b);
	}
	/* 32 rules in a segment */
	for (int n = 31; n <= 33; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "+\nsegment ZZ\n  352 O\n  352 O\n");
		for (int i = 0; i < n; i++)
			buf_puts(&b, "  rule P0102\n");
		buf_puts(&b, "end\n");
		int rc;
		const char *o = load_with("segments.def", b.data, &rc);
		if (n <= X12_SCHEMA_MAX_RULES)
			ck_assert_msg(rc == 0, "%s", o);
		else
			ck_assert_ptr_nonnull(strstr(o, "more than 32 rules"));
		buf_free(&b);
	}
	/* a file of exactly X12_SCHEMA_MAX_FILE bytes loads */
	char *f = malloc(X12_SCHEMA_MAX_FILE + 1);
	memset(f, '#', X12_SCHEMA_MAX_FILE);
	f[X12_SCHEMA_MAX_FILE] = '\0';
	for (size_t i = 1000; i < X12_SCHEMA_MAX_FILE; i += 1000)
		f[i] = '\n';
	int rc;
	const char *o = load_with("855.def", f, &rc);
	ck_assert_ptr_null(strstr(o, "larger than"));
	ck_assert_ptr_nonnull(strstr(o, "855.def:0: empty file"));
	free(f);
}
END_TEST

START_TEST(test_def_more_errors)
{
	EXPECT_DIAG("segments.def", "composite C1\n 143 M 2\nend\n", "segments.def:2: repeat '2' must be a number");
	EXPECT_DIAG("segments.def", "composite C1\n 143 M\nend\ncomposite C2\n C1 M\nend\n",
		    "segments.def:5: a composite cannot contain composite C1");
	EXPECT_DIAG("segments.def", "segment ST\n 143 M\n rule\nend\n", "segments.def:3: expected 'rule CONDITION'");
	EXPECT_DIAG("segments.def", "segment ST\n 143 M\n 329\nend\n", "segments.def:3: expected 'REF USAGE [REPEAT]'");
	EXPECT_DIAG("segments.def", "segment ST\ncomposite C1\n", "segments.def:2: 'composite' inside block ST");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nloop TOOLONG O 1\nSE M 1\n", "850.def:3: expected 'loop ID M|O MAX'");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nSE M 1\nhl S\n", "850.def:4: expected 'hl LEVEL");
	EXPECT_DIAG("850.def", "transaction 850 PO\nST M 1\nSE M 1\nhl SSS top\n", "850.def:4: bad hierarchy level 'SSS'");
	EXPECT_DIAG("850.def", "transaction 855 PO\n", "850.def:1: the file must start with 'transaction 850 FG'");
	/* 128 words on a line are fine, 129 are not */
	for (int n = 127; n <= 129; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "+\nelement 99998 ID 1 1\ncodes 99998 partial");
		for (int i = 3; i < n; i++)
			buf_puts(&b, " A");
		buf_puts(&b, "\n");
		int rc;
		const char *o = load_with("elements.def", b.data, &rc);
		if (n <= 128)
			ck_assert_msg(rc == 0, "%s", o);
		else
			ck_assert_ptr_nonnull(strstr(o, "more than 128 words on a line"));
		buf_free(&b);
	}
	/* 4096 codes for one element are fine, 4097 are not */
	for (int n = 4095; n <= 4097; n++) {
		struct buf c;
		buf_init(&c, 0);
		buf_puts(&c, "+\nelement 99998 ID 4 4\n");
		for (int i = 0; i < n; i++)
			buf_printf(&c, "codes 99998 full %04d\n", i);
		int rc;
		const char *o = load_with("elements.def", c.data, &rc);
		if (n <= X12_SCHEMA_MAX_CODES)
			ck_assert_msg(rc == 0, "%s", o);
		else
			ck_assert_ptr_nonnull(strstr(o, "element 99998: more than 4096 codes"));
		buf_free(&c);
	}
	/* 1024 segment lines in a set are fine, 1025 are not */
	for (int n = 1023; n <= 1025; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "transaction 855 PR\nST M 1\n");
		for (int i = 0; i < n - 2; i++)
			buf_puts(&b, "N1 O 1\n");
		buf_puts(&b, "SE M 1\n");
		int rc;
		const char *o = load_with("855.def", b.data, &rc);
		if (n <= X12_SCHEMA_MAX_ENTRIES)
			ck_assert_msg(rc == 0, "%s", o);
		else
			ck_assert_ptr_nonnull(strstr(o, "more than 1024 segment lines"));
		buf_free(&b);
	}
	/* 256 loops are fine, 257 are not */
	for (int n = 255; n <= 257; n++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "transaction 855 PR\nST M 1\n");
		for (int i = 0; i < n; i++)
			buf_puts(&b, "loop N1 O 1\nN1 O 1\nend\n");
		buf_puts(&b, "SE M 1\n");
		int rc;
		const char *o = load_with("855.def", b.data, &rc);
		if (n <= X12_SCHEMA_MAX_LOOPS)
			ck_assert_msg(rc == 0, "%s", o);
		else
			ck_assert_ptr_nonnull(strstr(o, "more than 256 loops"));
		buf_free(&b);
	}
	/* no version directory; a missing segments.def */
	struct diag_list d;
	struct x12_schema *sc = NULL;
	char *tmp = tu_tmpdir();
	char x[4096];
	snprintf(x, sizeof x, "%s/x12", tmp);
	ck_assert_int_eq(mkdir_p(x, 0755), 0);
	diag_list_init(&d);
	ck_assert_int_eq(x12_schema_load(&sc, tmp, &d), -ENOENT);
	ck_assert_ptr_null(sc);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "no version directories"));
	diag_list_free(&d);
	snprintf(x, sizeof x, "%s/x12/004010", tmp);
	ck_assert_int_eq(mkdir_p(x, 0755), 0);
	snprintf(x, sizeof x, "%s/x12/004010/elements.def", tmp);
	ck_assert_int_eq(tu_write(x, "element 1 AN 1 2\n", 17), 0);
	diag_list_init(&d);
	ck_assert_int_lt(x12_schema_load(&sc, tmp, &d), 0);
	ck_assert_ptr_null(sc);
	ck_assert_ptr_nonnull(strstr(d.v[0].file, "segments.def"));
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "cannot read"));
	diag_list_free(&d);
	tu_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(test_elem_repeat_limit)
{
	/* a segment ZZ whose first element repeats at most twice, used by a test set 855 */
	int rc;
	g_keep = 1;
	g_extra_name = "855.def";
	g_extra_text = "transaction 855 PR\nST M 1\nZZ M 1\nSE M 1\n";
	const char *o = load_with("segments.def", "+\nsegment ZZ\n  352 O 2\n  352 O\nend\n", &rc);
	g_keep = 0;
	g_extra_name = NULL;
	ck_assert_msg(rc == 0, "%s", o);
	const struct x12_txn_def *def = x12_schema_find(g_kept, "004010", "855");
	ck_assert_ptr_nonnull(def);
	const char *docs[] = { "ST*855*0001~ZZ*A~SE*3*0001~", "ST*855*0001~ZZ*A^B~SE*3*0001~",
			       "ST*855*0001~ZZ*A^B^C~SE*3*0001~", "ST*855*0001~ZZ*A*B^C~SE*3*0001~" };
	for (size_t i = 0; i < 4; i++) {
		struct tx *t = tx_parse(docs[i], ':', '^');
		struct x12_errlist e = { 0 };
		x12_schema_validate(def, &t->txn, 32, &e);
		if (i < 2)
			CLEAN(&e);
		else if (i == 2)
			elem_is(one(&e, X12_SCOPE_ELEMENT, "12", "ZZ", 2), 1, 0, 3, 352, "C");
		else /* ZZ02 does not repeat */
			elem_is(one(&e, X12_SCOPE_ELEMENT, "12", "ZZ", 2), 2, 0, 2, 352, "C");
		x12_errlist_free(&e);
		tx_free(t);
	}
	x12_schema_free(g_kept);
	g_kept = NULL;
}
END_TEST

START_TEST(test_error_cap)
{
	/* 150 unknown segments: the list keeps X12_MAX_ERRORS and counts the rest */
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "ST*850*0001~BEG*00*SA*PO-1**20261122~");
	for (int i = 0; i < 150; i++)
		buf_puts(&b, "QQ*1~");
	buf_puts(&b, "PO1*1*1*EA*1**BP*X~SE*1*0001~");
	struct x12_errlist e;
	run_raw(&e, "004010", b.data);
	ck_assert_uint_eq(e.n, X12_MAX_ERRORS);
	ck_assert_uint_eq(e.dropped, 50);
	ck_assert_str_eq(e.v[0].code, "1");
	ck_assert_uint_eq(e.v[0].seg_pos, 3);
	x12_errlist_free(&e);
	buf_free(&b);
}
END_TEST

/* ------------------------------------------------------- more transaction sets */

/* Validate one transaction set and expect no errors and no warnings. */
static void clean_set(const char *version, const char *st01, const char *text)
{
	struct x12_errlist e, w;
	run(&e, &w, version, st01, text, 32);
	CLEAN(&e);
	ck_assert_msg(w.n == 0, "%s %s: expected no warnings, got:\n%s", version, st01, dump(&w));
	x12_errlist_free(&e);
	x12_errlist_free(&w);
}

/* Validate text with one edit (from → to, must apply) and expect exactly one
 * element finding; checks the code, segment, position, element and bad value. */
static void elem_err(const char *version, const char *st01, const char *text, const char *from, const char *to,
		     const char *code, const char *seg, uint64_t pos, int elem, int comp, int ref, const char *bad)
{
	struct x12_errlist e;
	char *s = tu_replace(text, from, to);
	ck_assert_msg(strcmp(s, text) != 0, "edit %s not applied", from);
	run(&e, NULL, version, st01, s, 32);
	elem_is(one(&e, X12_SCOPE_ELEMENT, code, seg, pos), elem, comp, 0, ref, bad);
	x12_errlist_free(&e);
	free(s);
}

/* As elem_err for a segment finding; checks the AK303 loop id too. */
static void seg_err(const char *version, const char *st01, const char *text, const char *from, const char *to,
		    const char *code, const char *seg, uint64_t pos, const char *loop)
{
	struct x12_errlist e;
	char *s = tu_replace(text, from, to);
	ck_assert_msg(strcmp(s, text) != 0, "edit %s not applied", from);
	run(&e, NULL, version, st01, s, 32);
	const struct x12_error *f = one(&e, X12_SCOPE_SEGMENT, code, seg, pos);
	ck_assert_str_eq(f->loop_id, loop);
	x12_errlist_free(&e);
	free(s);
}

/* Every transaction set of a corpus file ($EDIGW_CORPUS/rel), validated; the
 * caller checks s->nerr / s->all and frees s->all. False when the corpus is absent. */
static int corpus_file(const char *rel, size_t want_txn, struct samp *s)
{
	char *root = tu_corpus();
	memset(s, 0, sizeof *s);
	if (!root)
		return 0;
	size_t n = strlen(root) + strlen(rel) + 2;
	char *path = malloc(n);
	snprintf(path, n, "%s/%s", root, rel);
	size_t len;
	char *data = tu_read(path, &len);
	ck_assert_msg(data != NULL, "%s missing", path);
	struct x12_reader *r;
	ck_assert_int_eq(x12_reader_new_mem(&r, data, len, NULL), 0);
	struct x12_handler h = { .ctx = s, .transaction = samp_txn };
	struct x12_file_summary sum;
	struct x12_error err = { 0 };
	ck_assert_int_eq(x12_parse(r, &h, &sum, &err), 0);
	ck_assert_msg(s->ntxn == want_txn, "%s: %zu transaction sets", rel, s->ntxn);
	x12_error_free(&err);
	x12_reader_free(r);
	free(data);
	free(path);
	free(root);
	return 1;
}

/* A corpus file whose every transaction set validates without errors. */
static void corpus_clean(const char *rel, size_t want_txn)
{
	struct samp s;
	if (!corpus_file(rel, want_txn, &s))
		return;
	ck_assert_msg(s.nerr == 0, "%s:\n%s", rel, dump(&s.all));
	x12_errlist_free(&s.all);
}

/* 855: whole-order acknowledgment with line detail (ACK per line). */
#define ACK_A "ST*855*0001~BAK*00*AD*PO-1001*20261122~REF*VR*V-77~N1*ST*Retail DC 7*92*0007~" \
	      "PO1*1*24*EA*12.50**BP*SKU-1*VP*W-9~ACK*IA*24*EA*068*20261201~" \
	      "PO1*2*10*EA*3.99**BP*SKU-2~ACK*IR*0*EA~SCH*0*EA*ST*Retail DC 7*002*20261215~CTT*2~SE*11*0001~"

START_TEST(test_855)
{
	clean_set("004010", "855", ACK_A);
	clean_set("005010", "855", ACK_A);
	/* a header-only acceptance has no PO1 loop */
	clean_set("004010", "855", "ST*855*0002~BAK*00*AC*PO-1002*20261122~SE*3*0002~");
	/* BAK04 is not a date */
	elem_err("004010", "855", ACK_A, "*20261122~", "*20261322~", "8", "BAK", 2, 4, 0, 373, "20261322");
	/* ACK02 quantity without ACK03 unit (P0203) */
	elem_err("005010", "855", ACK_A, "ACK*IR*0*EA~", "ACK*IR*0~", "2", "ACK", 8, 3, 0, 355, NULL);
	/* ACK01 missing */
	elem_err("005010", "855", ACK_A, "ACK*IA*", "ACK**", "1", "ACK", 6, 1, 0, 668, NULL);
	/* ACK in the heading: it belongs to a PO1 loop (AK304 2) */
	seg_err("004010", "855", ACK_A, "REF*VR*V-77~", "ACK*IA~", "2", "ACK", 3, "");
	/* an unknown line status is a warning, not an error */
	struct x12_errlist e, w;
	char *s = tu_replace(ACK_A, "ACK*IA*", "ACK*ZZ*");
	run(&e, &w, "004010", "855", s, 32);
	CLEAN(&e);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_str_eq(w.v[0].code, "7");
	ck_assert_int_eq(w.v[0].elem_ref, 668);
	x12_errlist_free(&e);
	x12_errlist_free(&w);
	free(s);
}
END_TEST

/* 810: VICS-style invoice with terms, carrier and shipment summary. */
#define INV_A "ST*810*0001~BIG*20261122*INV-1001*20261120*PO-1001~REF*DP*0042~N1*RI*Supplier Inc*92*SUP1~" \
	      "N1*ST*Retail DC 7*92*0007~N3*1200 Distribution Way~N4*Columbus*OH*43215*US~" \
	      "ITD*01*3*2**10**30~DTM*011*20261122~" \
	      "IT1*1*24*EA*12.50**BP*SKU-1*VP*W-9~PID*F****Blue widget, large~IT1*2*10*EA*3.99**BP*SKU-2~" \
	      "TDS*33990~CAD*M***UPSN*UPS Ground~SAC*C*D240***1500~ISS*34*EA~CTT*2~SE*19*0001~"

START_TEST(test_810)
{
	clean_set("004010", "810", INV_A);
	clean_set("005010", "810", INV_A);
	/* IT102 quantity without IT103 unit (P020304) */
	elem_err("004010", "810", INV_A, "IT1*2*10*EA*", "IT1*2*10**", "2", "IT1", 12, 3, 0, 355, NULL);
	/* BIG02 invoice number too long (22) */
	elem_err("005010", "810", INV_A, "INV-1001", "INV-10010000000000000000", "5", "BIG", 2, 2, 0, 76,
		 "INV-10010000000000000000");
	/* BIG05 release number: 30 characters at most */
	char *big = tu_replace(INV_A, "*PO-1001~", "*PO-1001*123456789012345678901234567890~");
	clean_set("004010", "810", big);
	elem_err("004010", "810", big, "*PO-1001*", "*PO-1001*X", "5", "BIG", 2, 5, 0, 328, "X123456789012345678901234567890");
	free(big);
	big = tu_replace(INV_A, "*PO-1001~", "*PO-1001*12345678901234567890123456789~");
	clean_set("005010", "810", big);
	free(big);
	/* TDS is mandatory: CAD and SAC still belong to the last IT1 loop, so TDS is
	 * found missing at the ISS (position 15) */
	seg_err("004010", "810", INV_A, "TDS*33990~", "", "3", "TDS", 15, "");
}
END_TEST

/* The corpus's 855 and 810 files. */
START_TEST(test_corpus_855_810)
{
	/* node-x12 (valid): CSH, ACK with ACK27-29 (agency qualifier, source, industry code), SCH */
	corpus_clean("node-x12/test/test-data/855.edi", 1);
	/* StAEDI: two header-only 855s (BAK01 54 is not in our partial list: a warning only) */
	corpus_clean("staedi/src/test/resources/x12/issue590/multi-tx-transaction-type.edi", 2);
	/* StAEDI: two invoices with TDS, CAD, ISS */
	corpus_clean("staedi/src/test/resources/x12/simple810.edi", 2);
	/* stupidedi (valid for stupidedi, whose IT1 has no syntax notes): IT1||4||70 gives a
	 * quantity and price without a unit, which the standard's P020304 forbids. We report
	 * IT103 on both lines (AK403 2); the disagreement is the standard's note, kept. */
	struct samp s;
	if (corpus_file("stupidedi/spec/fixtures/004010/IN810/pass/1.edi", 1, &s)) {
		ck_assert_msg(s.nerr == 2, "%s", dump(&s.all));
		for (size_t i = 0; i < 2; i++) {
			ck_assert_str_eq(s.all.v[i].code, "2");
			ck_assert_str_eq(s.all.v[i].seg_id, "IT1");
			ck_assert_int_eq(s.all.v[i].elem_pos, 3);
		}
		ck_assert_uint_eq(s.all.v[0].seg_pos, 7);
		ck_assert_uint_eq(s.all.v[1].seg_pos, 9);
		x12_errlist_free(&s.all);
	}
	/* stupidedi aerospace guides (X348 810, X358 855): BIG05 release number of 16
	 * characters (element 328 is AN 1/30), CTP in the PO1 loop */
	corpus_clean("stupidedi/spec/fixtures/004010/X348 SC810 Aerospace Industry Invoice/pass/basic-invoice.edi", 1);
	corpus_clean("stupidedi/spec/fixtures/004010/X348 SC810 Aerospace Industry Invoice/pass/credit-card-invoice.edi",
		     1);
	corpus_clean("stupidedi/spec/fixtures/004010/X358 SC855 Aerospace Industry Purchase Order Acknowledgment/pass/"
		     "basic-po-ack-accepted.edi",
		     1);
	corpus_clean("stupidedi/spec/fixtures/004010/X358 SC855 Aerospace Industry Purchase Order Acknowledgment/pass/"
		     "basic-po-ack-rejected.edi",
		     1);
	corpus_clean("stupidedi/spec/fixtures/004010/X358 SC855 Aerospace Industry Purchase Order Acknowledgment/pass/"
		     "po-ack-ship-details.edi",
		     1);
	/* X358 minor changes: ACK*IQ*20 gives a quantity without its unit; the standard's
	 * ACK note P0203 requires ACK03 with ACK02 (stupidedi's ACK carries no syntax
	 * notes, so it passes there). One finding, on ACK03 of the 8th segment. */
	if (corpus_file("stupidedi/spec/fixtures/004010/X358 SC855 Aerospace Industry Purchase Order Acknowledgment/"
			"pass/po-ack-minor-changes.edi",
			1, &s)) {
		elem_is(one(&s.all, X12_SCOPE_ELEMENT, "2", "ACK", 8), 3, 0, 0, 355, NULL);
		x12_errlist_free(&s.all);
	}
	/* stupidedi PR855: BAK10 transaction type code (CJ) */
	corpus_clean("stupidedi/spec/fixtures/004010/PR855/pass/1.edi", 1);
}
END_TEST

/* 860: a quantity increase and a deleted line. */
#define CHG_A "ST*860*0001~BCH*04*SA*PO-1001**1*20261120~DTM*002*20261205~N1*ST*Retail DC 7*92*0007~" \
	      "POC*1*QI*30*6*EA*12.50**BP*SKU-1~POC*2*DI*0*10*EA*3.99**BP*SKU-2~CTT*2~SE*8*0001~"

START_TEST(test_860)
{
	clean_set("004010", "860", CHG_A);
	clean_set("005010", "860", CHG_A);
	/* a header-only change (new requested date) has no POC loop */
	clean_set("005010", "860", "ST*860*0002~BCH*04*SA*PO-1002**2*20261120~DTM*002*20261212~SE*4*0002~");
	/* POC02 change type missing */
	elem_err("004010", "860", CHG_A, "POC*2*DI*", "POC*2**", "1", "POC", 6, 2, 0, 670, NULL);
	/* BCH06 purchase order date missing */
	elem_err("005010", "860", CHG_A, "*1*20261120~", "*1~", "1", "BCH", 2, 6, 0, 373, NULL);
	/* a quantity without its unit (C0305) */
	elem_err("004010", "860", CHG_A, "*30*6*EA*12.50*", "*30***12.50*", "2", "POC", 5, 5, 0, 0, NULL);
	/* an unknown change type is a warning */
	struct x12_errlist e, w;
	char *s = tu_replace(CHG_A, "POC*1*QI*", "POC*1*QX*");
	run(&e, &w, "004010", "860", s, 32);
	CLEAN(&e);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_int_eq(w.v[0].elem_ref, 670);
	x12_errlist_free(&e);
	x12_errlist_free(&w);
	free(s);
}
END_TEST

/* 846: seller inventory report with a future availability schedule. */
#define INVRPT_A "ST*846*0001~BIA*00*SI*INV-20261122*20261122*0600~N1*SU*Supplier Inc*92*SUP1~" \
		 "LIN**UP*012345678905*VN*W-9~PID*F****Blue widget, large~CTP**UCP*12.50~QTY*33*240*EA~" \
		 "SCH*120*EA***017*20261201~LIN**UP*012345678912~QTY*33*0*EA~CTT*2~SE*12*0001~"

START_TEST(test_846)
{
	clean_set("004010", "846", INVRPT_A);
	clean_set("005010", "846", INVRPT_A);
	/* QTY with neither a quantity nor a free-form message (R0204) */
	elem_err("004010", "846", INVRPT_A, "QTY*33*0*EA~", "QTY*33~", "2", "QTY", 10, 2, 0, 380, NULL);
	/* ... and with both (E0204) */
	elem_err("005010", "846", INVRPT_A, "QTY*33*0*EA~", "QTY*33*0*EA*NONE~", "10", "QTY", 10, 4, 0, 61, "NONE");
	/* BIA is mandatory: found missing at the N1 */
	seg_err("004010", "846", INVRPT_A, "BIA*00*SI*INV-20261122*20261122*0600~", "", "3", "BIA", 2, "");
	/* SCH needs its date qualifier and date */
	elem_err("004010", "846", INVRPT_A, "*017*20261201~", "*017~", "1", "SCH", 8, 6, 0, 373, NULL);
}
END_TEST

/* 940: a shipping order with two lines, one by U.P.C. case code, one by vendor item. */
#define WSO_A "ST*940*0001~W05*N*ORD-1001*PO-1001~N1*ST*Retail DC 7*92*0007~N3*1200 Distribution Way~" \
	      "N4*Columbus*OH*43215*US~N9*BM*BOL-77~G62*10*20261124~NTE*WHI*Ship on CHEP pallets~" \
	      "W66*PP*M***UPS Ground~LX*1~W01*24*EA*012345678905*VN*W-9~G69*Blue widget, large~" \
	      "LX*2~W01*6*CA**VN*W-10~W76*30*45.5*LB~SE*16*0001~"

START_TEST(test_940)
{
	clean_set("004010", "940", WSO_A);
	clean_set("005010", "940", WSO_A);
	/* a line with neither U.P.C. case code nor product qualifier (R0304) */
	elem_err("004010", "940", WSO_A, "W01*6*CA**VN*W-10~", "W01*6*CA~", "2", "W01", 14, 3, 0, 438, NULL);
	/* W0501 order status missing */
	elem_err("005010", "940", WSO_A, "W05*N*", "W05**", "1", "W05", 2, 1, 0, 473, NULL);
	/* U.P.C. case code is exactly 12 characters: 11 and 13 are wrong */
	elem_err("004010", "940", WSO_A, "*012345678905*", "*01234567890*", "4", "W01", 11, 3, 0, 438, "01234567890");
	elem_err("004010", "940", WSO_A, "*012345678905*", "*0123456789050*", "5", "W01", 11, 3, 0, 438,
		 "0123456789050");
	/* W6604 / PKG06 unit load option code is ID 2/2 */
	char *ulo = tu_replace(WSO_A, "W66*PP*M***UPS Ground~", "W66*PP*M**LU*UPS Ground~");
	clean_set("004010", "940", ulo);
	elem_err("004010", "940", ulo, "**LU*", "**LUX*", "5", "W66", 9, 4, 0, 400, "LUX");
	elem_err("005010", "940", ulo, "**LU*", "**L*", "4", "W66", 9, 4, 0, 400, "L");
	free(ulo);
	/* a second W76 exceeds its max use of 1 */
	seg_err("005010", "940", WSO_A, "W76*30*45.5*LB~", "W76*30*45.5*LB~W76*30~", "5", "W76", 16, "");
	/* an unknown order status is a warning */
	struct x12_errlist e, w;
	char *s = tu_replace(WSO_A, "W05*N*", "W05*Q*");
	run(&e, &w, "004010", "940", s, 32);
	CLEAN(&e);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_int_eq(w.v[0].elem_ref, 473);
	x12_errlist_free(&e);
	x12_errlist_free(&w);
	free(s);
}
END_TEST

/* 945: shipped complete and shipped partial lines. */
#define WSA_A "ST*945*0001~W06*F*ORD-1001*20261124*SHP-1**PO-1001~N1*ST*Retail DC 7*92*0007~G62*11*20261124~" \
	      "W27*M*UPSN*UPS Ground*PP~LX*1~W12*CC*24*24*0*EA*012345678905*VN*W-9~G69*Blue widget, large~" \
	      "LX*2~W12*CP*6*4*2*CA**VN*W-10~N9*LI*2~W03*28*12.5*LB~SE*13*0001~"

START_TEST(test_945)
{
	clean_set("004010", "945", WSA_A);
	clean_set("005010", "945", WSA_A);
	/* W0603 shipment date not a date */
	elem_err("004010", "945", WSA_A, "*20261124*SHP-1", "*20261324*SHP-1", "8", "W06", 2, 3, 0, 373, "20261324");
	/* a product qualifier without its id (P0708) */
	elem_err("005010", "945", WSA_A, "*CA**VN*W-10~", "*CA**VN~", "2", "W12", 10, 8, 0, 234, NULL);
	/* W03 totals are mandatory: found missing at the SE */
	seg_err("004010", "945", WSA_A, "W03*28*12.5*LB~", "", "3", "W03", 12, "");
	/* W1201 status is 2 characters */
	elem_err("004010", "945", WSA_A, "W12*CP*", "W12*C*", "4", "W12", 10, 1, 0, 368, "C");
	/* an unknown line status is a warning */
	struct x12_errlist e, w;
	char *s = tu_replace(WSA_A, "W12*CP*", "W12*XX*");
	run(&e, &w, "005010", "945", s, 32);
	CLEAN(&e);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_int_eq(w.v[0].elem_ref, 368);
	ck_assert_uint_eq(w.v[0].seg_pos, 10);
	x12_errlist_free(&e);
	x12_errlist_free(&w);
	free(s);
}
END_TEST

/* 943: a stock transfer to a DC, two lines. */
#define WST_A "ST*943*0001~W06*F*TRF-1001*20261124*SHP-9~N1*ST*Columbus DC*9*1234567890001~N1*SF*Plant 4*92*P4~" \
	      "G62*11*20261124~W27*M*ABFS*ABF Freight*PP~W04*120*CA*012345678905~N9*LI*1~W04*40*CA**VN*W-10~" \
	      "W03*160*2400*LB~SE*11*0001~"

START_TEST(test_943)
{
	clean_set("004010", "943", WST_A);
	clean_set("005010", "943", WST_A);
	/* W0401 units shipped missing */
	elem_err("004010", "943", WST_A, "W04*40*CA*", "W04**CA*", "1", "W04", 9, 1, 0, 382, NULL);
	/* weight without its unit (P0203) */
	elem_err("005010", "943", WST_A, "W03*160*2400*LB~", "W03*160*2400~", "2", "W03", 10, 3, 0, 355, NULL);
	/* the N1 loop is mandatory in the 943 */
	char *s = tu_replace(WST_A, "N1*ST*Columbus DC*9*1234567890001~N1*SF*Plant 4*92*P4~", "");
	struct x12_errlist e;
	run(&e, NULL, "004010", "943", s, 32);
	ck_assert_msg(e.n == 1 && strcmp(e.v[0].code, "3") == 0 && strcmp(e.v[0].seg_id, "N1") == 0 &&
			      e.v[0].seg_pos == 3,
		      "%s", dump(&e));
	x12_errlist_free(&e);
	free(s);
}
END_TEST

/* 944: receipt of that transfer, one line short. */
#define WSR_A "ST*944*0001~W17*F*20261126*RCV-55*TRF-1001~N1*WH*Columbus DC*9*1234567890001~G62*09*20261126~" \
	      "W07*120*CA*012345678905~W07*38*CA**VN*W-10*****UK*00012345678905~N9*LI*2~W14*158~SE*9*0001~"

START_TEST(test_944)
{
	clean_set("004010", "944", WSR_A);
	clean_set("005010", "944", WSR_A);
	/* W1702 receipt date missing */
	elem_err("004010", "944", WSR_A, "W17*F*20261126*", "W17*F**", "1", "W17", 2, 2, 0, 373, NULL);
	/* a time qualifier without the time (P0607) */
	elem_err("005010", "944", WSR_A, "*TRF-1001~", "*TRF-1001**1~", "2", "W17", 2, 7, 0, 337, NULL);
	/* W14 totals are mandatory */
	seg_err("004010", "944", WSR_A, "W14*158~", "", "3", "W14", 8, "");
	/* quantity received: at most 7 digits */
	elem_err("004010", "944", WSR_A, "W07*120*", "W07*12345678*", "5", "W07", 5, 1, 0, 413, "12345678");
	clean_set("004010", "944", "ST*944*0002~W17*F*20261126*RCV-56~N1*WH*DC*9*1234567890001~W07*1234567*CA*"
				   "012345678905~W14*1234567~SE*6*0002~");
}
END_TEST

/* 850 with the segments added for real documents: heading TAX (X357 tax-exempt
 * order), CTP, CSH, TXI; in the PO1 loop the CTP loop, IT8, CSH, TAX, FOB, TXI,
 * the QTY and SCH loops, PKG and the SLN loop (SLN, MSG, PID, DTM, TAX). */
#define PO_X "ST*850*0001~BEG*00*SA*PO-1001**20261122~PER*BD*Ed Smith*TE*8001234567~" \
	     "TAX*53247765*SP*CA*********9~FOB*PP~CTP**RES*12.50~CSH*Y~TXI*ST*1.50~N1*ST*Retail DC 7*92*0007~" \
	     "PO1*1*24*EA*12.50**BP*SKU-1~CTP**RES*12.50~CUR*BY*USD~MEA*WT*WT*10*OZ~PID*F****Blue widget~" \
	     "IT8*******B0~CSH*Y~TAX*53247765*SP*CA~FOB*PP~TXI*ST*1.50~QTY*01*24~" \
	     "SCH*24*EA***106*20261215~TD5*B*2*UPSN~REF*DP*0042~PKG*F****Shrink wrap~N1*ST*Store 12*92*0012~" \
	     "SLN*1.1**I*12*EA*1.25*PE**VP*W-9A~MSG*Sub-line note~PID*F****Part A~DTM*002*20261215~" \
	     "TAX*53247765*SP*CA~SLN*1.2**I*12*EA~CTT*1~SE*33*0001~"

START_TEST(test_850_added_segments)
{
	clean_set("004010", "850", PO_X);
	clean_set("005010", "850", PO_X);
	/* TAX02 without TAX03 (P0203) */
	elem_err("004010", "850", PO_X, "TAX*53247765*SP*CA*", "TAX*53247765*SP**", "2", "TAX", 4, 3, 0, 310, NULL);
	/* TAX with neither TAX01 nor TAX02 (R0102): reported on TAX01 */
	elem_err("005010", "850", PO_X, "TAX*53247765*SP*CA*", "TAX****", "2", "TAX", 4, 1, 0, 325, NULL);
	/* TAX12 tax exempt code is one character */
	elem_err("004010", "850", PO_X, "*********9~", "*********99~", "5", "TAX", 4, 12, 0, 441, "99");
	/* IT8 product id qualifier without the id (P0809) */
	elem_err("004010", "850", PO_X, "IT8*******B0~", "IT8*******B0*VP~", "2", "IT8", 15, 9, 0, 234, NULL);
	/* IT8 may occur once per PO1 loop */
	seg_err("004010", "850", PO_X, "IT8*******B0~", "IT8*******B0~IT8*******B0~", "5", "IT8", 16, "PO1");
	/* SLN03 relationship code is mandatory */
	elem_err("005010", "850", PO_X, "SLN*1.2**I*", "SLN*1.2***", "1", "SLN", 31, 3, 0, 662, NULL);
	/* SLN06 unit price without SLN05 unit (C0605) */
	elem_err("004010", "850", PO_X, "SLN*1.1**I*12*EA*1.25", "SLN*1.1**I***1.25", "2", "SLN", 26, 5, 0, 0,
		 NULL);
	/* an SLN loop in the heading: it belongs to a PO1 loop (AK304 2) */
	seg_err("004010", "850", PO_X, "CSH*Y~TXI", "CSH*Y~SLN*1**I~TXI", "2", "SLN", 8, "");
	/* SCH loop carrier details after the PKG (a loop of its own): TD5 belongs earlier (AK304 7) */
	seg_err("004010", "850", PO_X, "PKG*F****Shrink wrap~", "PKG*F****Shrink wrap~TD5*B*2*UPSN~", "7", "TD5",
		25, "PKG");
}
END_TEST

/* 856 with YNQ (item and shipment level, as in the DSCSA ship notices) and SLN. */
#define ASN_Y "ST*856*0001~BSN*00*SHP-1*20261122*0930~HL*1**S~TD5*B*2*UPSN*M~N1*ST*Retail DC 7*92*0007~" \
	      "YNQ**Y***Seller has complied with FDCA Sec. 581(27)(A)-(G).***99*TS~YNQ**Y******99*DPS~" \
	      "HL*2*1*O~PRF*PO-1001~HL*3*2*I~LIN*1*VP*W-9~SN1*1*4*EA~SLN*1**I*4*EA~PID*F****Widget~" \
	      "N1*MF*Maker Inc*92*MK1~YNQ**Y******99*DIR~CTT*3~SE*18*0001~"

/* 850 with PWK (heading, PO1 loop), TC2 (heading, PO1 and SLN loops), PO3
 * (PO1 and SLN loops) and SDQ (PO1 loop: destination quantities by store). */
#define PO_Y "ST*850*0001~BEG*00*SA*PO-1001**20261122~TC2*J*5012~PWK*CT*EL***ZZ*DOC-1*Certificate*A~" \
	     "N1*ST*Retail DC 7*92*0007~PO1*1*24*EA*12.50**BP*SKU-1~PO3*ZZ*20261201*PRP*12.00**24*EA~" \
	     "PID*F****Blue widget~PWK*CT*EL~SDQ*EA*92*0012*12*0013*12~TC2*J*5012~" \
	     "SLN*1**I*24*EA~PO3*ZZ***12.00**24*EA~TC2*J*5012~CTT*1~SE*16*0001~"

START_TEST(test_850_pwk_po3_sdq_tc2)
{
	clean_set("004010", "850", PO_Y);
	clean_set("005010", "850", PO_Y);
	/* PWK05 identification code qualifier without PWK06 (P0506) */
	elem_err("004010", "850", PO_Y, "ZZ*DOC-1*", "ZZ**", "2", "PWK", 4, 6, 0, 67, NULL);
	/* PO303 price identifier without PO304 unit price (C0304) */
	elem_err("005010", "850", PO_Y, "PRP*12.00", "PRP*", "2", "PO3", 7, 4, 0, 212, NULL);
	/* PO307 unit of measure is mandatory */
	elem_err("004010", "850", PO_Y, "PO3*ZZ***12.00**24*EA~", "PO3*ZZ***12.00**24~", "1", "PO3", 13, 7, 0, 355,
		 NULL);
	/* SDQ: a second store without its quantity (P0506) */
	elem_err("004010", "850", PO_Y, "0013*12~", "0013~", "2", "SDQ", 10, 6, 0, 380, NULL);
	/* TC202 commodity code is mandatory */
	elem_err("005010", "850", PO_Y, "~TC2*J*5012~PWK", "~TC2*J~PWK", "1", "TC2", 3, 2, 0, 22, NULL);
	/* SDQ after the TC2 of the PO1 loop belongs earlier (AK304 7) */
	seg_err("004010", "850", PO_Y, "TC2*J*5012~SLN", "TC2*J*5012~SDQ*EA**0014*1~SLN", "7", "SDQ", 12, "PO1");
}
END_TEST


START_TEST(test_856_ynq_sln)
{
	clean_set("004010", "856", ASN_Y);
	clean_set("005010", "856", ASN_Y);
	/* YNQ02 is mandatory */
	elem_err("004010", "856", ASN_Y, "YNQ**Y******99*DIR", "YNQ********99*DIR", "1", "YNQ", 16, 2, 0, 1073,
		 NULL);
	/* YNQ08 code list qualifier without YNQ09 industry code (P0809) */
	elem_err("005010", "856", ASN_Y, "99*DPS~", "99~", "2", "YNQ", 7, 9, 0, 1271, NULL);
	/* YNQ max use 10 per HL: 10 are accepted, the 11th is AK304 5 */
#define YQ "YNQ**Y******99*DIR~"
#define YQ5 YQ YQ YQ YQ YQ
	/* 10 at item level are accepted */
	char *s = tu_replace(ASN_Y, YQ, YQ5 YQ5);
	clean_set("004010", "856", s);
	free(s);
	/* the 11th is AK304 5, at position 16 + 10 */
	const char *eleven = YQ5 YQ5 YQ;
	seg_err("004010", "856", ASN_Y, YQ, eleven, "5", "YNQ", 26, "HL");
#undef YQ5
#undef YQ
}
END_TEST


/* 850 with the segments and loops of the standard added last: heading PAM, the
 * SAC loop (SAC, CUR), DIS, INC, LDT, LIN, SI, PCT, CTB, the AMT loop (AMT, PCT),
 * SI in the N1 loop, the LM loop (LM, LQ) and the SPI loop (SPI, REF); in the
 * PO1 loop SI, CN1, PAM, the SAC loop (SAC, CUR, CTP), DIS, INC, IT3, PCT, SPI,
 * CTB, the QTY loop with SI, the PKG loop (PKG, MEA), the bounded LS loop (LS,
 * LDT loop with QTY and an LM loop, LE), the N1 loop's LDT loop, SLN loop SI,
 * PAM and SAC, the AMT loop and the LM loop. */
#define PO_S "ST*850*0001~BEG*00*SA*PO-2001**20261122~PAM*01*10*EA~CSH*Y~SAC*A*C310***1500~CUR*BY*USD~" \
	     "ITD*01*3*2**10**30~DIS*DIS*CA*2*QTY*100~INC*01*EA*12*1*1000~DTM*002*20261201~LDT*AE*10*DA~" \
	     "LIN**VP*W-9~SI*VI*PG*ABC~PCT*ZZ*5~CTB*OR*Minimum order~AMT*TT*1500~PCT*ZZ*5~" \
	     "N1*ST*Retail DC 7*92*0007~SI*VI*PG*DOCK4~LM*VI~LQ*0*ABC~SPI*00~REF*ZZ*SPEC-1~" \
	     "PO1*1*24*EA*12.50**BP*SKU-1~SI*VI*PG*RED~CN1*02*1500~PAM*01*24*EA~SAC*A*C310***150~CUR*BY*USD~" \
	     "CTP**RES*12.50~DIS*DIS*CA*2*QTY*12~INC*01*EA*12*1~IT3*24*EA*CC~PCT*ZZ*5~SPI*00~CTB*OR*Min~" \
	     "QTY*01*24~SI*VI*PG*LOT1~PKG*F****Shrink wrap~MEA*PD*WT*10*LB~LS*LDT~LDT*AE*10*DA~QTY*01*24~" \
	     "LM*VI~LQ*0*ABC~LE*LDT~N1*ST*Store 12*92*0012~LDT*AE*5*DA~SLN*1**I*12*EA~SI*VI*PG*X~PAM*01*12*EA~" \
	     "SAC*A*C310***50~AMT*1*300~PCT*ZZ*5~LM*VI~LQ*0*XYZ~CTT*1~SE*58*0001~"

START_TEST(test_850_standard_segments)
{
	clean_set("004010", "850", PO_S);
	clean_set("005010", "850", PO_S);
	/* DIS05 discount control limit is mandatory */
	elem_err("004010", "850", PO_S, "DIS*DIS*CA*2*QTY*12~", "DIS*DIS*CA*2*QTY~", "1", "DIS", 31, 5, 0, 657, NULL);
	/* PCT01 percent qualifier is at most 2 characters */
	elem_err("005010", "850", PO_S, "PCT*ZZ*5~SPI", "PCT*ZZZ*5~SPI", "5", "PCT", 34, 1, 0, 1004, "ZZZ");
	/* SI04 service characteristics qualifier without SI05 (P0405) */
	elem_err("004010", "850", PO_S, "SI*VI*PG*RED~", "SI*VI*PG*RED*XX~", "2", "SI", 25, 5, 0, 234, NULL);
	/* LQ01 code list qualifier without LQ02 industry code (C0102) */
	elem_err("005010", "850", PO_S, "LQ*0*XYZ~", "LQ*0~", "2", "LQ", 56, 2, 0, 1271, NULL);
	/* CN1 contract type code is two characters (element 1166, as BEG09) */
	elem_err("004010", "850", PO_S, "CN1*02*", "CN1*2*", "4", "CN1", 26, 1, 0, 1166, "2");
	/* IT3 units shipped without the unit (P0102) */
	elem_err("004010", "850", PO_S, "IT3*24*EA*CC~", "IT3*24**CC~", "2", "IT3", 33, 2, 0, 355, NULL);
	/* CN1 occurs once per PO1 loop (AK304 5) */
	seg_err("004010", "850", PO_S, "CN1*02*1500~", "CN1*02*1500~CN1*02~", "5", "CN1", 27, "PO1");
	/* CTB after the QTY loop belongs earlier in the PO1 loop (AK304 7) */
	seg_err("005010", "850", PO_S, "SI*VI*PG*LOT1~", "SI*VI*PG*LOT1~CTB*OR*Min~", "7", "CTB", 39, "QTY");
	/* the LS loop must be closed by its LE (AK304 3, found missing at the N1 after it) */
	seg_err("004010", "850", PO_S, "LE*LDT~", "", "3", "LE", 46, "LS");
	/* an LM loop needs its LQ (AK304 3, found missing at the next segment) */
	seg_err("004010", "850", PO_S, "LM*VI~LQ*0*XYZ~", "LM*VI~", "3", "LQ", 56, "LM");
	/* LS and LE are not 856 segments: an LS there is AK304 6 */
	seg_err("004010", "856", ASN_Y, "PRF*PO-1001~", "PRF*PO-1001~LS*LDT~", "6", "LS", 10, "");
}
END_TEST

/* 856 with TD3 seal (TD308/TD309), TSD, the LH1 loop, the CLD loop (CLD, REF,
 * DTP), PAL, ETD, GF, the LM loop and the V1 loop (V1, R4, DTM). */
#define ASN_S "ST*856*0001~BSN*00*SHP-2*20261122*0930~HL*1**S~TD1*CTN25*4~TD5*B*2*UPSN*M~" \
	      "TD3*TL*ABCD*123456*****SN*SEAL1234~TSD*1*A1~REF*BM*BOL-1~LH1*EA*4*UN1263~CLD*1*4*CTN25~" \
	      "REF*ZZ*CLD-REF~DTP*011*D8*20261122~DTM*011*20261122~FOB*PP~PAL*4*3*4*12~" \
	      "N1*ST*Retail DC 7*92*0007~ETD*A*S~GF*ZZ*GF-1*C-100~LM*VI~LQ*0*ABC~V1*1234567*VESSEL ONE~" \
	      "R4*L*UN*USNYC*New York~DTM*011*20261122~HL*2*1*O~PRF*PO-1001~HL*3*2*I~LIN*1*VP*W-9~SN1*1*4*EA~" \
	      "CTT*3~SE*30*0001~"

START_TEST(test_856_standard_segments)
{
	clean_set("004010", "856", ASN_S);
	clean_set("005010", "856", ASN_S);
	/* TSD occurs once per HL loop (AK304 5) */
	seg_err("004010", "856", ASN_S, "TSD*1*A1~", "TSD*1*A1~TSD*2*A2~", "5", "TSD", 8, "HL");
	/* PAL after the N1 loop belongs earlier (AK304 7) */
	seg_err("005010", "856", ASN_S, "ETD*A*S~", "PAL*4~ETD*A*S~", "7", "PAL", 17, "N1");
	/* ETD02 excess transportation responsibility is mandatory */
	elem_err("004010", "856", ASN_S, "ETD*A*S~", "ETD*A~", "1", "ETD", 17, 2, 0, 627, NULL);
	/* CLD05 unit without CLD04 size (C0504) */
	elem_err("005010", "856", ASN_S, "CLD*1*4*CTN25~", "CLD*1*4*CTN25**EA~", "2", "CLD", 10, 4, 0, 357, NULL);
	/* V1 with neither vessel code nor vessel name (R0102): reported on V101 */
	elem_err("004010", "856", ASN_S, "V1*1234567*VESSEL ONE~", "V1***US~", "2", "V1", 21, 1, 0, 597, NULL);
	/* TD301 equipment description and TD310 equipment type exclude each other (E0110) */
	elem_err("004010", "856", ASN_S, "*SN*SEAL1234~", "*SN*SEAL1234*TRLR~", "10", "TD3", 6, 10, 0, 24, "TRLR");
	/* TD308 seal status code is two characters: a seal number there is AK403 5 */
	elem_err("004010", "856", ASN_S, "*****SN*SEAL1234~", "*****SEAL1234~", "5", "TD3", 6, 8, 0, 407,
		 "SEAL1234");
	/* LH103 UN/NA identification code is exactly 6 characters */
	elem_err("005010", "856", ASN_S, "*UN1263~", "*UN12634~", "5", "LH1", 9, 3, 0, 277, "UN12634");
	elem_err("004010", "856", ASN_S, "*UN1263~", "*UN126~", "4", "LH1", 9, 3, 0, 277, "UN126");
	/* an LM loop without its LQ (AK304 3, found missing at the V1) */
	seg_err("004010", "856", ASN_S, "LQ*0*ABC~", "", "3", "LQ", 20, "LM");
	/* GF01 reference qualifier without GF02 (P0102) */
	elem_err("004010", "856", ASN_S, "GF*ZZ*GF-1*", "GF*ZZ**", "2", "GF", 18, 2, 0, 127, NULL);
}
END_TEST

/* Warehouse segment findings carry the X12 element reference number (AK402):
 * W14 (944) with its quantities, W05/W01/W12/W04/W17 on their own elements. */
START_TEST(test_warehouse_element_refs)
{
	const char *w14 = "ST*944*0003~W17*F*20261126*RCV-57~N1*WH*DC*9*1234567890001~W07*10*CA*012345678905~"
			  "W14*10*12*2*1*1~SE*6*0003~";
	clean_set("004010", "944", w14);
	clean_set("005010", "944", w14);
	/* W1405 lading quantity is a whole number (element 80) */
	elem_err("004010", "944", w14, "*1*1~SE", "*1*1.5~SE", "6", "W14", 5, 5, 0, 80, "1.5");
	/* W1403 quantity damaged/on hold: at most 9 digits (element 414); 9 are accepted */
	char *nine = tu_replace(w14, "*12*2*", "*12*123456789*");
	clean_set("004010", "944", nine);
	free(nine);
	elem_err("005010", "944", w14, "*12*2*", "*12*1234567890*", "5", "W14", 5, 3, 0, 414, "1234567890");
	/* W1404 lading quantity received: at most 7 digits (element 663) */
	elem_err("004010", "944", w14, "*2*1*1~", "*2*12345678*1~", "5", "W14", 5, 4, 0, 663, "12345678");
	/* W1702 receipt date not a date (element 373), W1703 receipt number too long (394) */
	elem_err("004010", "944", w14, "W17*F*20261126*", "W17*F*20261332*", "8", "W17", 2, 2, 0, 373, "20261332");
	elem_err("005010", "944", w14, "*RCV-57~", "*RCV-5700000000~", "5", "W17", 2, 3, 0, 394, "RCV-5700000000");
	/* W0502 depositor order number too long (285), W0101 quantity missing (330) */
	elem_err("004010", "940", WSO_A, "W05*N*ORD-1001*", "W05*N*ORD-10010000000000000000001*", "5", "W05", 2, 2, 0,
		 285, "ORD-10010000000000000000001");
	elem_err("005010", "940", WSO_A, "W01*6*CA*", "W01**CA*", "1", "W01", 14, 1, 0, 330, NULL);
	/* W1203 units shipped not a number (382), W0402 unit missing (355) */
	elem_err("004010", "945", WSA_A, "W12*CP*6*4*", "W12*CP*6*X*", "6", "W12", 10, 3, 0, 382, "X");
	elem_err("005010", "943", WST_A, "W04*40*CA*", "W04*40**", "1", "W04", 9, 2, 0, 355, NULL);
}
END_TEST

/* The corpus's warehouse files. */
START_TEST(test_corpus_warehouse)
{
	/* EdiEngine (valid): G62, NTE, W66, LX/W01/G69/N9, W76 */
	corpus_clean("ediengine/EdiEngine.Tests/TestData/940.OK.edi", 1);
	corpus_clean("ediengine/EdiEngine.Tests/TestData/940.2.OK.edi", 1);
	/* EdiEngine calls a 940 with W05 and W66 but no lines invalid ("mandatory segments
	 * missing"); in the 004010 standard the LX loop is optional, and so is W66 (an
	 * implementation guide may require them): no finding here. */
	corpus_clean("ediengine/EdiEngine.Tests/TestData/940.W05.Only.edi", 1);
	/* stupidedi (valid): 943 with W06/W27/W04/W03, 944 with W17/W07/W14 */
	corpus_clean("stupidedi/spec/fixtures/004010/AR943/pass/1.edi", 1);
	corpus_clean("stupidedi/spec/fixtures/004010/RE944/pass/1.edi", 1);
	/* x12-types (valid for x12-types, which is lenient): N4*CHICAGO*020**CN puts a
	 * three-digit Chinese region code into N402 (state or province, ID 2/2), three
	 * times, and G61*DC*Atlanta Technology*TE gives a communication number qualifier
	 * without the number (P0304). Four findings, all real against the standard. */
	struct samp s;
	if (corpus_file("x12-types-inline/src/v004010/test_940__literal2_line50.edi", 1, &s)) {
		ck_assert_msg(s.nerr == 4, "%s", dump(&s.all));
		static const uint64_t pos[] = { 5, 10, 15 };
		for (size_t i = 0; i < 3; i++) {
			ck_assert_str_eq(s.all.v[i].code, "5");
			ck_assert_str_eq(s.all.v[i].seg_id, "N4");
			ck_assert_uint_eq(s.all.v[i].seg_pos, pos[i]);
			ck_assert_int_eq(s.all.v[i].elem_pos, 2);
		}
		ck_assert_str_eq(s.all.v[3].code, "2");
		ck_assert_str_eq(s.all.v[3].seg_id, "G61");
		ck_assert_int_eq(s.all.v[3].elem_pos, 4);
		x12_errlist_free(&s.all);
	}
}
END_TEST

/* 997: one accepted and one rejected purchase order. */
#define FA_A "ST*997*0001~AK1*PO*1001~AK2*850*0001~AK5*A~AK2*850*0002~AK3*N1*3*N1*8~AK4*4*67*4*7~AK5*R*5~" \
	     "AK9*P*2*2*1~SE*10*0001~"

START_TEST(test_997)
{
	clean_set("004010", "997", FA_A);
	clean_set("005010", "997", FA_A);
	/* an acknowledgment without AK1/AK2 detail is still a 997 */
	clean_set("004010", "997", "ST*997*0002~AK1*IN*77~AK9*A*0*0*0~SE*4*0002~");
	/* the code lists are full: unknown codes are errors */
	elem_err("004010", "997", FA_A, "AK5*A~", "AK5*Z~", "7", "AK5", 4, 1, 0, 717, "Z");
	elem_err("005010", "997", FA_A, "AK9*P*", "AK9*Q*", "7", "AK9", 9, 1, 0, 715, "Q");
	elem_err("004010", "997", FA_A, "*N1*8~", "*N1*9~", "7", "AK3", 6, 4, 0, 720, "9");
	/* AK403 12 and 13 exist from 005010 on; 10 is the last code in 004010 */
	elem_err("004010", "997", FA_A, "AK4*4*67*4*", "AK4*4*67*12*", "7", "AK4", 7, 3, 0, 723, "12");
	char *s = tu_replace(FA_A, "AK4*4*67*4*", "AK4*4*67*12*");
	clean_set("005010", "997", s);
	free(s);
	s = tu_replace(FA_A, "AK4*4*67*4*", "AK4*4*67*10*");
	clean_set("004010", "997", s);
	free(s);
	/* AK5 closes every AK2 loop */
	seg_err("005010", "997", FA_A, "AK5*A~", "", "3", "AK5", 4, "AK2");
	/* AK9 counts are numbers */
	elem_err("004010", "997", FA_A, "AK9*P*2*", "AK9*P*X*", "6", "AK9", 9, 2, 0, 97, "X");
}
END_TEST

/* 999 (005010X231A1): one accepted 837 and one rejected with context. */
#define IA_A "ST*999*0001*005010X231A1~AK1*HC*17456*005010X222A1~AK2*837*0001*005010X222A1~IK5*A~" \
	     "AK2*837*0002*005010X222A1~IK3*CLM*22*2300*8~CTX*CLM01:PATIENT-7~IK4*2*782*1~IK5*R*5~AK9*P*2*2*1~" \
	     "SE*11*0001~"

START_TEST(test_999)
{
	clean_set("005010", "999", IA_A);
	ck_assert_ptr_null(x12_schema_find(g_schema, "004010", "999"));
	/* IK304 and IK403 lists are full; I13 is the last I-code of IK403 */
	elem_err("005010", "999", IA_A, "*2300*8~", "*2300*9~", "7", "IK3", 6, 4, 0, 620, "9");
	elem_err("005010", "999", IA_A, "IK4*2*782*1~", "IK4*2*782*I14~", "7", "IK4", 8, 3, 0, 621, "I14");
	char *s = tu_replace(IA_A, "IK4*2*782*1~", "IK4*2*782*I13~");
	clean_set("005010", "999", s);
	free(s);
	/* IK5 closes every AK2 loop */
	seg_err("005010", "999", IA_A, "IK5*A~", "", "3", "IK5", 4, "AK2");
	/* CTX01 repeats at most 10 times: 10 is fine, 11 is AK403 12 on the 11th */
	char rep10[512] = "CTX*", rep11[512];
	for (int i = 0; i < 10; i++)
		snprintf(rep10 + strlen(rep10), sizeof rep10 - strlen(rep10), "%sCLM01:P%d", i ? "^" : "", i);
	snprintf(rep11, sizeof rep11, "%s^CLM01:P10", rep10);
	char *r10 = tu_replace(IA_A, "CTX*CLM01:PATIENT-7", rep10);
	clean_set("005010", "999", r10);
	struct x12_errlist e;
	char *r11 = tu_replace(IA_A, "CTX*CLM01:PATIENT-7", rep11);
	run(&e, NULL, "005010", "999", r11, 32);
	const struct x12_error *f = one(&e, X12_SCOPE_ELEMENT, "12", "CTX", 7);
	ck_assert_int_eq(f->elem_pos, 1);
	x12_errlist_free(&e);
	free(r10);
	free(r11);
	/* CTX before any IK3: it belongs to the error loops */
	seg_err("005010", "999", IA_A, "IK5*A~", "CTX*CLM01~IK5*A~", "2", "CTX", 4, "AK2");
}
END_TEST

/* The corpus's 997 and 999 files. */
START_TEST(test_corpus_997_999)
{
	/* StAEDI 997s (005010X230) and the 999s of pyx12, imsweb and StAEDI (005010X231) */
	corpus_clean("staedi/src/test/resources/x12/simple997.edi", 1);
	corpus_clean("staedi/src/test/resources/x12/simple997-multiple-interchanges.edi", 3);
	corpus_clean("staedi/src/test/resources/x12/simple999.edi", 1); /* CTX01 repeated, CTX05 composite */
	corpus_clean("pyx12/pyx12/tests/834_ls_le_ls_5010.999.txt", 1);
	corpus_clean("pyx12/pyx12/tests/834_lui_id_5010.999.txt", 4);
	corpus_clean("imsweb-x12-parser/src/test/resources/837_5010/x12_999_rejected.txt", 1);
	/* StAEDI negative tests: found too */
	struct samp s;
	if (corpus_file("staedi/src/test/resources/x12/invalid997.edi", 1, &s)) {
		/* AK101 'HC NOT IN CODESET' too long, AK402 '66 NON NUMERIC' not a number */
		ck_assert_msg(s.nerr == 2, "%s", dump(&s.all));
		ck_assert_str_eq(s.all.v[0].code, "5");
		ck_assert_str_eq(s.all.v[1].code, "6");
		x12_errlist_free(&s.all);
	}
	if (corpus_file("staedi/src/test/resources/x12/empty997.edi", 1, &s)) {
		/* ST/SE only: AK1 and AK9 missing */
		ck_assert_msg(s.nerr == 2, "%s", dump(&s.all));
		ck_assert_str_eq(s.all.v[0].seg_id, "AK1");
		ck_assert_str_eq(s.all.v[1].seg_id, "AK9");
		ck_assert_str_eq(s.all.v[1].code, "3");
		x12_errlist_free(&s.all);
	}
	if (corpus_file("staedi/src/test/resources/x12/invalid999.edi", 1, &s)) {
		/* IK5 before AK2, AK101 too long, AK204, IK501 'Q', a second IK5, CTX06 'C023' */
		ck_assert_msg(s.nerr == 6, "%s", dump(&s.all));
		x12_errlist_free(&s.all);
	}
}
END_TEST

/* Our own acknowledgments validate against our 997/999 definitions: 850s with
 * segment and element errors go through the validator and the ack writer, and
 * the 997/999 it writes is read back and validated. */
static void ack_roundtrip(const char *version, enum ack_type type, const char *isa12, const char *gs08)
{
	static const char *edits[][2] = {
		{ "", "" },                                                  /* clean */
		{ "*20261122~N1", "*20261322~N1" },                          /* AK403 8 */
		{ "N1*ST*Retail DC 7*92*0007~", "N1*ST~" },                  /* AK403 2 */
		{ "BEG*00", "ZZZ*1~BEG*00" },                                /* AK304 1 */
		{ "*VP*W-9~", "*VP~" },                                      /* AK403 2 */
		{ "N3*1200 Distribution Way~", "N3*1200 Distribution Way*A*B~" }, /* AK403 3 */
		{ "Retail DC 7", "Retail DC 7^2" },                          /* AK403 12 (005010) */
	};
	size_t nedits = sizeof edits / sizeof edits[0];
	int v5 = version[2] == '5';
	struct x12_delims d = { '*', v5 ? '^' : 0, v5 ? ':' : '>', '~' };
	struct x12_isa isa;
	memset(&isa, 0, sizeof isa);
	snprintf(isa.auth_qual, sizeof isa.auth_qual, "00");
	snprintf(isa.sec_qual, sizeof isa.sec_qual, "00");
	snprintf(isa.sender_qual, sizeof isa.sender_qual, "ZZ");
	snprintf(isa.sender_id, sizeof isa.sender_id, "RETAILER");
	snprintf(isa.receiver_qual, sizeof isa.receiver_qual, "ZZ");
	snprintf(isa.receiver_id, sizeof isa.receiver_id, "EDIGW");
	snprintf(isa.date, sizeof isa.date, "261122");
	snprintf(isa.time, sizeof isa.time, "1200");
	snprintf(isa.rep_or_std, sizeof isa.rep_or_std, "%c", v5 ? '^' : 'U');
	snprintf(isa.version, sizeof isa.version, "%s", isa12);
	snprintf(isa.icn, sizeof isa.icn, "000000123");
	snprintf(isa.ack_requested, sizeof isa.ack_requested, "0");
	snprintf(isa.usage, sizeof isa.usage, "P");
	isa.delims = d;
	isa.index = 1;
	struct x12_gs gs;
	memset(&gs, 0, sizeof gs);
	snprintf(gs.fid, sizeof gs.fid, "PO");
	snprintf(gs.sender, sizeof gs.sender, "RETAILER");
	snprintf(gs.receiver, sizeof gs.receiver, "EDIGW");
	snprintf(gs.date, sizeof gs.date, "20261122");
	snprintf(gs.time, sizeof gs.time, "1200");
	snprintf(gs.gcn, sizeof gs.gcn, "55");
	snprintf(gs.agency, sizeof gs.agency, "X");
	snprintf(gs.version, sizeof gs.version, "%s", gs08);
	gs.index = 1;
	struct ack_params p;
	memset(&p, 0, sizeof p);
	p.type = type;
	p.isa13 = 42;
	p.when = (time_t)1795348800;
	p.delims = d;
	struct ack_writer *w = NULL;
	ck_assert_int_eq(ack_writer_new(&w, &p, &isa), 0);
	ck_assert_int_eq(ack_group_begin(w, &gs, 7, 1), 0);
	uint64_t accepted = 0;
	size_t nerrs = 0;
	for (size_t i = 0; i < nedits; i++) {
		if (!v5 && strchr(edits[i][1], '^'))
			continue;
		char *text = edits[i][0][0] ? tu_replace(PO_A, edits[i][0], edits[i][1]) : strdup(PO_A);
		struct x12_errlist e;
		run(&e, NULL, version, "850", text, 32);
		ck_assert_msg((e.n == 0) == (i == 0), "edit %zu: %s", i, dump(&e));
		struct x12_txn_result r;
		memset(&r, 0, sizeof r);
		snprintf(r.st01, sizeof r.st01, "850");
		snprintf(r.st02, sizeof r.st02, "%04zu", i + 1);
		r.seg_count = 9;
		for (size_t k = 0; k < e.n; k++)
			x12_errlist_add(&r.errors, &e.v[k]);
		nerrs += e.n;
		x12_txn_result_finish(&r);
		accepted += r.status == 'A' || r.status == 'E';
		ck_assert_int_eq(ack_txn(w, &r), 0);
		x12_txn_result_free(&r);
		x12_errlist_free(&e);
		free(text);
	}
	ck_assert_uint_ge(nerrs, 5);
	struct x12_group_result g;
	memset(&g, 0, sizeof g);
	g.gs = gs;
	g.declared = g.received = v5 ? nedits : nedits - 1;
	g.have_ge = 1;
	g.accepted = accepted;
	g.status = accepted == g.received ? 'A' : accepted ? 'P' : 'R';
	ck_assert_int_eq(ack_group_end(w, &g), 0);
	struct x12_interchange_result ic;
	memset(&ic, 0, sizeof ic);
	ic.isa = isa;
	ic.ta1_status = 'A';
	snprintf(ic.ta1_code, sizeof ic.ta1_code, "000");
	ic.envelope_ok = 1;
	ic.declared_groups = ic.groups = 1;
	ic.transactions = g.received;
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	int written = 0;
	ck_assert_int_eq(ack_writer_finish(w, &ic, fileno(f), &written), 0);
	ck_assert_int_eq(written, 1);
	ack_writer_free(w);
	struct buf b;
	buf_init(&b, 0);
	char chunk[4096];
	size_t n;
	rewind(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	size_t len = b.len;
	char *ack = buf_steal(&b);
	ck_assert_ptr_nonnull(strstr(ack, type == ACK_999 ? "ST*999*" : "ST*997*"));
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, ack, len, NULL), 0);
	struct samp s = { 0 };
	struct x12_handler h = { .ctx = &s, .transaction = samp_txn };
	struct x12_file_summary sum;
	struct x12_error err = { 0 };
	ck_assert_int_eq(x12_parse(rd, &h, &sum, &err), 0);
	ck_assert_uint_eq(s.ntxn, 1);
	ck_assert_msg(s.nerr == 0, "%s %s ack does not validate:\n%s\n%s", version,
		      type == ACK_999 ? "999" : "997", dump(&s.all), ack);
	x12_errlist_free(&s.all);
	x12_error_free(&err);
	x12_reader_free(rd);
	free(ack);
}

START_TEST(test_own_acks_validate)
{
	ack_roundtrip("004010", ACK_997, "00401", "004010");
	ack_roundtrip("005010", ACK_997, "00501", "005010");
	ack_roundtrip("005010", ACK_999, "00501", "005010");
}
END_TEST

/* ------------------------------------------------------- timing */

static uint64_t g_segs;
static int time_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct x12_errlist e = { 0 };
	(void)res;
	const struct x12_txn_def *def = ctx;
	x12_schema_validate(def, txn, 32, &e);
	ck_assert_msg(e.n == 0, "%s", dump(&e));
	g_segs += txn->nseg;
	x12_errlist_free(&e);
	return 0;
}

static int null_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	(void)ctx;
	(void)res;
	g_segs += txn->nseg;
	return 0;
}

/* Time validation over bench/gen850 output when EDIGW_GEN850 names such a file. */
START_TEST(test_timing)
{
	const char *path = getenv("EDIGW_GEN850");
	if (!path)
		return;
	size_t len;
	char *data = tu_read(path, &len);
	ck_assert_ptr_nonnull(data);
	const struct x12_txn_def *def = x12_schema_find(g_schema, "004010", "850");
	uint64_t t[2];
	uint64_t segs = 0;
	for (int pass = 0; pass < 2; pass++) {
		struct x12_reader *r;
		ck_assert_int_eq(x12_reader_new_mem(&r, data, len, NULL), 0);
		struct x12_handler h = { .ctx = (void *)def, .transaction = pass ? time_txn : null_txn };
		struct x12_file_summary sum;
		struct x12_error err = { 0 };
		g_segs = 0;
		uint64_t t0 = now_ms();
		ck_assert_int_eq(x12_parse(r, &h, &sum, &err), 0);
		t[pass] = now_ms() - t0;
		segs = g_segs;
		x12_reader_free(r);
	}
	fprintf(stderr, "timing: %llu segments; parse %llu ms, parse+validate %llu ms: %.1f ns/segment for validation\n",
		(unsigned long long)segs, (unsigned long long)t[0], (unsigned long long)t[1],
		segs ? (double)(t[1] - t[0]) * 1e6 / (double)segs : 0.0);
	free(data);
}
END_TEST

/* Findings inside a loop carry its business unit for the 999 CTX (the loop's first
 * segment and element: PO101 = 1, N101 = ST); findings outside loops carry none. */
START_TEST(test_ctx_business_unit)
{
	struct x12_errlist errs;
	edited(&errs, "004010", "PO1*1*24*EA*", "PO1*1*2X*EA*");
	const struct x12_error *e = one(&errs, X12_SCOPE_ELEMENT, "6", "PO1", 6);
	ck_assert_str_eq(e->ctx_name, "PO101");
	ck_assert_str_eq(e->ctx_ref, "1");
	x12_errlist_free(&errs);
	edited(&errs, "004010", "N3*1200 Distribution Way~", "N3~");
	e = one(&errs, X12_SCOPE_ELEMENT, "1", "N3", 4);
	ck_assert_str_eq(e->ctx_name, "N101");
	ck_assert_str_eq(e->ctx_ref, "ST");
	x12_errlist_free(&errs);
	edited(&errs, "004010", "BEG*00*SA*PO-1001", "BEG*00*SA*");
	e = one(&errs, X12_SCOPE_ELEMENT, "1", "BEG", 2);
	ck_assert_str_eq(e->ctx_name, "");
	x12_errlist_free(&errs);
}
END_TEST

/* The TA1 segment is defined (interchange elements I12 I08 I09 I17 I18): a good one is
 * clean; a bad code names element I17 and gives no AK402 number (I.. are not data
 * elements); a short TA101 is too short. */
START_TEST(test_ta1_segment)
{
	static const struct {
		const char *text, *code;
		int elem;
	} cases[] = { { "TA1*000000042*261122*0930*A*000", NULL, 0 },
		      { "TA1*000000042*261122*0930*Q*000", "7", 4 },
		      { "TA1*42*261122*0930*R*006", "4", 1 },
		      { "TA1*000000042*261399*0930*A*000", "8", 2 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tx *t = tx_parse(cases[i].text, ':', 0);
		struct x12_errlist errs = { 0 };
		int n = x12_schema_check_segment(g_schema, "004010", &t->segs[0], NULL, &errs);
		if (!cases[i].code) {
			ck_assert_msg(n == 0, "%s:\n%s", cases[i].text, dump(&errs));
		} else {
			const struct x12_error *e = one(&errs, X12_SCOPE_ELEMENT, cases[i].code, "TA1", 0);
			ck_assert_int_eq(e->elem_pos, cases[i].elem);
			ck_assert_int_eq(e->elem_ref, 0);
			if (cases[i].code[0] == '7')
				ck_assert_ptr_nonnull(strstr(e->msg, "element I17"));
		}
		x12_errlist_free(&errs);
		tx_free(t);
	}
	/* no definition for the version or the segment: nothing to check */
	struct tx *t = tx_parse("TA1*1", ':', 0);
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(x12_schema_check_segment(g_schema, "003040", &t->segs[0], NULL, &errs), 0);
	ck_assert_int_eq(x12_schema_check_segment(g_schema, "0040", &t->segs[0], NULL, &errs), -EINVAL);
	tx_free(t);
}
END_TEST

static Suite *schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_gateway_orders_valid);
	tcase_add_test(tc, test_demo_samples_valid);
	tcase_add_test(tc, test_856_valid);
	tcase_add_test(tc, test_856_tare_and_st03);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_seg_unrecognized);
	tcase_add_test(tc, test_seg_not_in_set);
	tcase_add_test(tc, test_seg_out_of_order);
	tcase_add_test(tc, test_seg_unexpected);
	tcase_add_test(tc, test_seg_mandatory_missing);
	tcase_add_test(tc, test_seg_recovery);
	tcase_add_test(tc, test_loop_max);
	tcase_add_test(tc, test_max_use);
	tcase_add_test(tc, test_loop_depth);
	tcase_add_test(tc, test_elem_mandatory);
	tcase_add_test(tc, test_elem_too_many);
	tcase_add_test(tc, test_elem_length);
	tcase_add_test(tc, test_elem_invalid_char);
	tcase_add_test(tc, test_elem_code);
	tcase_add_test(tc, test_elem_date_time);
	tcase_add_test(tc, test_elem_repetitions_components);
	tcase_add_test(tc, test_rule_p);
	tcase_add_test(tc, test_rule_r);
	tcase_add_test(tc, test_rule_c);
	tcase_add_test(tc, test_rule_e);
	tcase_add_test(tc, test_rule_l);
	tcase_add_test(tc, test_hl_unknown_parent);
	tcase_add_test(tc, test_hl_level_not_allowed);
	tcase_add_test(tc, test_hl_duplicate);
	tcase_add_test(tc, test_hl_depth);
	tcase_add_test(tc, test_def_ok_copy);
	tcase_add_test(tc, test_def_element_errors);
	tcase_add_test(tc, test_def_segment_errors);
	tcase_add_test(tc, test_def_txn_errors);
	tcase_add_test(tc, test_def_limits);
	tcase_add_test(tc, test_def_count_limits);
	tcase_add_test(tc, test_def_more_errors);
	tcase_add_test(tc, test_elem_repeat_limit);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_855);
	tcase_add_test(tc, test_810);
	tcase_add_test(tc, test_corpus_855_810);
	tcase_add_test(tc, test_860);
	tcase_add_test(tc, test_846);
	tcase_add_test(tc, test_940);
	tcase_add_test(tc, test_945);
	tcase_add_test(tc, test_943);
	tcase_add_test(tc, test_944);
	tcase_add_test(tc, test_corpus_warehouse);
	tcase_add_test(tc, test_850_added_segments);
	tcase_add_test(tc, test_856_ynq_sln);
	tcase_add_test(tc, test_850_pwk_po3_sdq_tc2);
	tcase_add_test(tc, test_850_standard_segments);
	tcase_add_test(tc, test_856_standard_segments);
	tcase_add_test(tc, test_warehouse_element_refs);
	tcase_add_test(tc, test_997);
	tcase_add_test(tc, test_999);
	tcase_add_test(tc, test_corpus_997_999);
	tcase_add_test(tc, test_own_acks_validate);
	tcase_add_test(tc, test_ctx_business_unit);
	tcase_add_test(tc, test_ta1_segment);
	tcase_add_test(tc, test_timing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(schema_suite());
}
