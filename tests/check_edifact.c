/* check_edifact — the UN/EDIFACT reader: UNA and the defaults, release characters, the
 * syntax 4 repetition separator, line breaks, character sets and their conversion to
 * UTF-8, envelopes with their CONTRL codes and positions, limits (below/at/above), chunk
 * straddling, interchange hashes, and the X12 view. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edifact/edifact.h"
#include "testutil.h"

/* ------------------------------------------------------------ fixtures */

/* An ORDERS D96A without UNA, one segment per line (UNH..UNT = 6 segments). */
static const char *const ORDERS =
	"UNB+UNOC:3+SENDER:14+RECEIVER:14+240101:1200+REF1'\n"
	"UNH+M1+ORDERS:D:96A:UN:EAN008'\n"
	"BGM+220+PO123+9'\n"
	"DTM+137:20240101:102'\n"
	"NAD+BY+5412345000013::9'\n"
	"LIN+1++4000862141404:SRV'\n"
	"UNT+6+M1'\n"
	"UNZ+1+REF1'\n";

/* ------------------------------------------------------------ recorder */

#define MAXR 32

struct msgrec {
	char ref[15], type[7], version[4], release[4], agency[3], assoc[7];
	char action, code[4];
	uint64_t seg_count, index;
	size_t nseg;
	int called;
	char ung_ref[15];
	struct x12_errlist errors;
	char *dump; /* every segment: tag|e1c1:e1c2|e2... joined by '\n' */
};

struct icrec {
	struct edi_unb unb;
	char action, code[4];
	int envelope_ok, skipped;
	uint64_t declared, groups, messages;
	char sha[65];
	struct x12_errlist errors;
};

struct grrec {
	struct edi_ung ung;
	char action, code[4];
	uint64_t declared, received, accepted;
	int have_une;
	struct x12_errlist errors;
};

struct rec {
	int nmsg, nic, ngr, nnotice, nbegin, ngbegin, nmend;
	struct msgrec m[MAXR];
	struct icrec ic[MAXR];
	struct grrec gr[MAXR];
	char notice[MAXR][300];
	uint64_t notice_line[MAXR];
	int skip_index;
	char order[256]; /* B G M m E I: the callbacks in order */
};

static void copy_list(struct x12_errlist *dst, const struct x12_errlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		x12_errlist_add(dst, &src->v[i]);
	dst->dropped += src->dropped;
}

static void order(struct rec *r, char c)
{
	size_t n = strlen(r->order);
	if (n + 1 < sizeof r->order) {
		r->order[n] = c;
		r->order[n + 1] = '\0';
	}
}

static int r_ic_begin(void *ctx, const struct edi_unb *unb)
{
	struct rec *r = ctx;
	r->nbegin++;
	order(r, 'B');
	return (int)unb->index == r->skip_index ? EDI_SKIP : 0;
}

static int r_grp_begin(void *ctx, const struct edi_unb *unb, const struct edi_ung *ung)
{
	struct rec *r = ctx;
	(void)unb;
	(void)ung;
	r->ngbegin++;
	order(r, 'G');
	return 0;
}

/* Dump a message: one line per segment, elements '+', components ':', repetitions '*'. */
static char *dump_msg(const struct edi_msg *msg)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < msg->nseg; i++) {
		const struct edi_seg *s = &msg->segs[i];
		buf_puts(&b, s->tag);
		for (size_t k = 1; k <= s->nelem; k++) {
			buf_putc(&b, '+');
			for (const struct edi_elem *e = &s->elem[k]; e; e = e->next) {
				if (e != &s->elem[k])
					buf_putc(&b, '*');
				for (size_t c = 0; c < e->ncomp; c++) {
					if (c)
						buf_putc(&b, ':');
					buf_append(&b, e->comp[c].p, e->comp[c].n);
				}
			}
		}
		buf_putc(&b, '\n');
	}
	return buf_steal(&b);
}

static int r_msg(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct rec *r = ctx;
	(void)res;
	if (r->nmsg >= MAXR)
		return 0;
	struct msgrec *m = &r->m[r->nmsg];
	m->called = 1;
	m->nseg = msg->nseg;
	m->index = msg->index;
	memcpy(m->version, msg->version, sizeof m->version);
	memcpy(m->release, msg->release, sizeof m->release);
	memcpy(m->agency, msg->agency, sizeof m->agency);
	memcpy(m->assoc, msg->assoc, sizeof m->assoc);
	if (msg->ung)
		memcpy(m->ung_ref, msg->ung->ref, sizeof m->ung_ref);
	m->dump = dump_msg(msg);
	order(r, 'M');
	return 0;
}

static int r_msg_end(void *ctx, const struct edi_msg_result *res)
{
	struct rec *r = ctx;
	r->nmend++;
	order(r, 'm');
	if (r->nmsg >= MAXR)
		return 0;
	struct msgrec *m = &r->m[r->nmsg++];
	memcpy(m->ref, res->ref, sizeof m->ref);
	memcpy(m->type, res->type, sizeof m->type);
	m->action = res->action;
	memcpy(m->code, res->code, sizeof m->code);
	m->seg_count = res->seg_count;
	copy_list(&m->errors, &res->errors);
	return 0;
}

static int r_grp_end(void *ctx, const struct edi_group_result *g)
{
	struct rec *r = ctx;
	order(r, 'E');
	if (r->ngr >= MAXR)
		return 0;
	struct grrec *x = &r->gr[r->ngr++];
	x->ung = g->ung;
	x->action = g->action;
	memcpy(x->code, g->code, sizeof x->code);
	x->declared = g->declared;
	x->received = g->received;
	x->accepted = g->accepted;
	x->have_une = g->have_une;
	copy_list(&x->errors, &g->errors);
	return 0;
}

static int r_ic_end(void *ctx, const struct edi_interchange_result *ir)
{
	struct rec *r = ctx;
	order(r, 'I');
	if (r->nic >= MAXR)
		return 0;
	struct icrec *x = &r->ic[r->nic++];
	x->unb = ir->unb;
	x->action = ir->action;
	memcpy(x->code, ir->code, sizeof x->code);
	x->envelope_ok = ir->envelope_ok;
	x->skipped = ir->skipped;
	x->declared = ir->declared;
	x->groups = ir->groups;
	x->messages = ir->messages;
	memcpy(x->sha, ir->sha256, sizeof x->sha);
	copy_list(&x->errors, &ir->errors);
	return 0;
}

static void r_notice(void *ctx, uint64_t line, const char *msg)
{
	struct rec *r = ctx;
	if (r->nnotice < MAXR) {
		snprintf(r->notice[r->nnotice], sizeof r->notice[0], "%s", msg);
		r->notice_line[r->nnotice] = line;
	}
	r->nnotice++;
}

static void rec_free(struct rec *r)
{
	for (int i = 0; i < MAXR; i++) {
		x12_errlist_free(&r->m[i].errors);
		free(r->m[i].dump);
		x12_errlist_free(&r->ic[i].errors);
		x12_errlist_free(&r->gr[i].errors);
	}
	free(r);
}

/* Parse text with limits lim (NULL: defaults), tolerances tol (NULL: defaults) and a chunk
 * size (0: whole); returns the recorder, rc and *err in out parameters. */
static struct rec *parse_ex(const char *text, size_t len, const struct edi_limits *lim,
			    const struct edi_tolerances *tol, size_t chunk, int *rc,
			    struct x12_error *err, struct edi_file_summary *sum)
{
	struct rec *r = calloc(1, sizeof *r);
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_mem(&rd, text, len, lim), 0);
	if (tol)
		edi_reader_set_tolerances(rd, tol);
	if (chunk)
		edi_reader_set_chunk_size(rd, chunk);
	struct edi_handler h = { 0 };
	h.ctx = r;
	h.interchange_begin = r_ic_begin;
	h.group_begin = r_grp_begin;
	h.message = r_msg;
	h.message_end = r_msg_end;
	h.group_end = r_grp_end;
	h.interchange_end = r_ic_end;
	h.notice = r_notice;
	struct edi_file_summary s;
	struct x12_error e;
	int x = edi_parse(rd, &h, sum ? sum : &s, err ? err : &e);
	if (!err)
		x12_error_free(&e);
	edi_reader_free(rd);
	*rc = x;
	return r;
}

/* Parse text with the defaults; rc must be 0. */
static struct rec *parse_ok(const char *text)
{
	int rc;
	struct rec *r = parse_ex(text, strlen(text), NULL, NULL, 0, &rc, NULL, NULL);
	ck_assert_int_eq(rc, 0);
	return r;
}

/* The first error of a list as "scope code tag@pos e.c.r". */
static __attribute__((unused)) const char *first(const struct x12_errlist *l)
{
	static char out[8][96];
	static int k;
	char *o = out[k++ % 8];
	if (l->n == 0)
		return "-";
	const struct x12_error *e = &l->v[0];
	snprintf(o, 96, "%d %s %s@%llu %d.%d.%d", (int)e->scope, e->code, e->seg_id,
		 (unsigned long long)e->seg_pos, e->elem_pos, e->comp_pos, e->rep_pos);
	return o;
}

/* ------------------------------------------------------------ tests */

START_TEST(test_orders_basic)
{
	struct rec *r = parse_ok(ORDERS);
	ck_assert_int_eq(r->nic, 1);
	ck_assert_int_eq(r->nmsg, 1);
	ck_assert_str_eq(r->order, "BMmI");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_str_eq(r->ic[0].code, "");
	ck_assert_int_eq(r->ic[0].envelope_ok, 1);
	ck_assert_str_eq(r->ic[0].unb.syntax_id, "UNOC");
	ck_assert_int_eq(r->ic[0].unb.syntax_version, 3);
	ck_assert_str_eq(r->ic[0].unb.sender, "SENDER");
	ck_assert_str_eq(r->ic[0].unb.sender_qual, "14");
	ck_assert_str_eq(r->ic[0].unb.recipient, "RECEIVER");
	ck_assert_str_eq(r->ic[0].unb.date, "240101");
	ck_assert_str_eq(r->ic[0].unb.time, "1200");
	ck_assert_str_eq(r->ic[0].unb.ref, "REF1");
	ck_assert_int_eq(r->ic[0].unb.una, 0);
	ck_assert_int_eq(strlen(r->ic[0].sha), 64);
	struct msgrec *m = &r->m[0];
	ck_assert_str_eq(m->ref, "M1");
	ck_assert_str_eq(m->type, "ORDERS");
	ck_assert_str_eq(m->version, "D");
	ck_assert_str_eq(m->release, "96A");
	ck_assert_str_eq(m->agency, "UN");
	ck_assert_str_eq(m->assoc, "EAN008");
	ck_assert_int_eq(m->action, '7');
	ck_assert_int_eq(m->seg_count, 6);
	ck_assert_int_eq(m->nseg, 6);
	ck_assert_str_eq(m->dump, "UNH+M1+ORDERS:D:96A:UN:EAN008\nBGM+220+PO123+9\n"
				  "DTM+137:20240101:102\nNAD+BY+5412345000013::9\n"
				  "LIN+1++4000862141404:SRV\nUNT+6+M1\n");
	rec_free(r);
}
END_TEST

/* The view: tag as id, components joined by 0x1f, UNH first, UNT last. */
static int v_msg(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct edi_view *v = ctx;
	(void)res;
	ck_assert_int_eq(edi_view_build(v, msg), 0);
	ck_assert_int_eq(v->txn.nseg, msg->nseg);
	ck_assert_str_eq(v->txn.segs[0].id, "UNH");
	ck_assert_str_eq(v->txn.segs[v->txn.nseg - 1].id, "UNT");
	struct span e = x12_tseg_elem(&v->txn.segs[2], 1);
	ck_assert_int_eq(e.n, strlen("137\x1f" "20240101\x1f" "102"));
	ck_assert(memcmp(e.p, "137\x1f" "20240101\x1f" "102", e.n) == 0);
	ck_assert(x12_component(e, v->txn.delims->comp, 2).n == 8);
	ck_assert_ptr_null(v->txn.isa);
	ck_assert_str_eq(v->txn.st01, "");
	struct edi_val d = edi_seg_val(&msg->segs[2], 1, 2);
	ck_assert_int_eq(d.n, 8);
	ck_assert(memcmp(d.p, "20240101", 8) == 0);
	ck_assert_ptr_null(edi_seg_val(&msg->segs[2], 1, 4).p);
	ck_assert_ptr_null(edi_seg_val(&msg->segs[2], 2, 1).p);
	ck_assert_ptr_null(edi_seg_val(&msg->segs[2], 0, 1).p);
	/* present but empty: not NULL */
	struct edi_val nad = edi_seg_val(&msg->segs[3], 2, 2);
	ck_assert_ptr_nonnull(nad.p);
	ck_assert_int_eq(nad.n, 0);
	return 0;
}

START_TEST(test_view)
{
	struct edi_view v;
	memset(&v, 0, sizeof v);
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_mem(&rd, ORDERS, strlen(ORDERS), NULL), 0);
	struct edi_handler h = { 0 };
	h.ctx = &v;
	h.message = v_msg;
	struct x12_error err;
	ck_assert_int_eq(edi_parse(rd, &h, NULL, &err), 0);
	edi_reader_free(rd);
	edi_view_free(&v);
	edi_view_free(&v);
	edi_view_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("edifact");
	TCase *tc = tcase_create("reader");
	tcase_add_test(tc, test_orders_basic);
	tcase_add_test(tc, test_view);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
