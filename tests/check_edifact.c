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
static const char *first(const struct x12_errlist *l)
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


/* Messages with the segments of body between a UNH and a UNT with the right count. */
static char *wrap(const char *unb, const char *body)
{
	int n = 2;
	for (const char *p = body; *p; p++)
		n += *p == '\'' && (p == body || p[-1] != '?'); /* a released ?' is data */
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%sUNH+1+ORDERS:D:96A:UN'%sUNT+%d+1'UNZ+1+R1'", unb, body, n);
	return buf_steal(&b);
}

#define UNB_A "UNB+UNOA:3+S+R+240101:1200+R1'"

/* The message dump of one parse of text (defaults), checked to be accepted. */
static char *one_msg(const char *text)
{
	struct rec *r = parse_ok(text);
	ck_assert_int_eq(r->nmsg, 1);
	if (r->m[0].action != '7')
		ck_abort_msg("message rejected: %s", first(&r->m[0].errors));
	char *d = strdup(r->m[0].dump);
	rec_free(r);
	return d;
}

START_TEST(test_defaults_and_sniff)
{
	struct edi_delims d;
	edi_delims_default(&d, 3);
	ck_assert_int_eq(d.comp, ':');
	ck_assert_int_eq(d.elem, '+');
	ck_assert_int_eq(d.dec, '.');
	ck_assert_int_eq(d.rel, '?');
	ck_assert_int_eq(d.rep, 0);
	ck_assert_int_eq(d.seg, '\'');
	edi_delims_default(&d, 4);
	ck_assert_int_eq(d.rep, '*');
	struct edi_limits l;
	edi_limits_default(&l);
	ck_assert_uint_eq(l.max_file_size, 512ull << 20);
	ck_assert_uint_eq(l.max_segment_len, 65536);
	ck_assert_uint_eq(l.max_element_len, 4096);
	ck_assert_uint_eq(l.max_elements, 512);
	ck_assert_uint_eq(l.max_components, 99);
	ck_assert_uint_eq(l.max_repeats, 999);
	ck_assert_uint_eq(l.max_segments_per_msg, 200000);
	ck_assert_uint_eq(l.max_msg_bytes, 64u << 20);
	struct edi_tolerances t;
	edi_tolerances_default(&t);
	ck_assert_int_eq(t.charset_relaxed, 0);
	ck_assert_int_eq(t.wrong_counts, 0);
	ck_assert_int_eq(edi_sniff("UNA:+.? 'UNB", 12), 1);
	ck_assert_int_eq(edi_sniff("\xef\xbb\xbf\r\n UNB+UNOA", 15), 1);
	ck_assert_int_eq(edi_sniff("UNB\x1dUNOB", 8), 1);
	ck_assert_int_eq(edi_sniff("UNB*UNOA", 8), 0);
	ck_assert_int_eq(edi_sniff("ISA*00*", 7), 0);
	ck_assert_int_eq(edi_sniff("UNH+1+X'", 8), 0);
	ck_assert_int_eq(edi_sniff("UN", 2), 0);
	ck_assert_int_eq(edi_sniff(NULL, 0), 0);
}
END_TEST

/* The evidence: a UNOC (ISO 8859-1) ORDERS with ?+ ?: ?' ?? decodes to exact UTF-8. */
START_TEST(test_unoc_release_utf8)
{
	const char *t = "UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+240101:1200+R1'"
			"UNH+1+ORDERS:D:96A:UN'"
			"NAD+BY+++M\xfcller ?+ S\xf6hne?: Stra\xdf" "e 1?' ?? fertig+Ge\xe9nd?+:X'"
			"UNT+3+1'UNZ+1+R1'";
	char *d = one_msg(t);
	ck_assert_str_eq(d, "UNH+1+ORDERS:D:96A:UN\n"
			    "NAD+BY+++M\xc3\xbcller + S\xc3\xb6hne: Stra\xc3\x9f" "e 1' ? fertig+Ge\xc3\xa9nd+:X\n"
			    "UNT+3+1\n");
	free(d);
	/* parity: ??? before + is ?+ (data), ???? before + ends the element after ?? */
	char *t2 = wrap(UNB_A, "FTX+A???+B+C????+D'");
	d = one_msg(t2);
	free(t2);
	ck_assert(strstr(d, "FTX+A?+B+C??+D\n") != NULL);
	free(d);
}
END_TEST

START_TEST(test_release_other)
{
	int rc;
	char *t = wrap(UNB_A, "FTX+WHY? NOT'");
	struct rec *r = parse_ex(t, strlen(t), NULL, NULL, 0, &rc, NULL, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert(strstr(r->m[0].dump, "FTX+WHY? NOT\n") != NULL);
	int found = 0;
	for (int i = 0; i < r->nnotice && i < MAXR; i++)
		found |= strstr(r->notice[i], "release character before a character") != NULL;
	ck_assert(found);
	rec_free(r);
	free(t);
}
END_TEST

START_TEST(test_una_custom)
{
	const char *t = "UNA|~,\\ ^\r\nUNB~UNOC|3~S~R~240101|1200~7^\r\n"
			"UNH~1~ORDERS|D|96A|UN^\r\nFTX~A\\~B\\|C\\^D\\\\E|F'+:?^\r\nUNT~3~1^\r\nUNZ~1~7^\r\n";
	struct rec *r = parse_ok(t);
	ck_assert_int_eq(r->nic, 1);
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->ic[0].unb.una, 1);
	ck_assert_int_eq(r->ic[0].unb.delims.comp, '|');
	ck_assert_int_eq(r->ic[0].unb.delims.elem, '~');
	ck_assert_int_eq(r->ic[0].unb.delims.dec, ',');
	ck_assert_int_eq(r->ic[0].unb.delims.rel, '\\');
	ck_assert_int_eq(r->ic[0].unb.delims.rep, 0);
	ck_assert_int_eq(r->ic[0].unb.delims.seg, '^');
	ck_assert_str_eq(r->m[0].dump, "UNH+1+ORDERS:D:96A:UN\nFTX+A~B|C^D\\E:F'+:?\nUNT+3+1\n");
	ck_assert_int_eq(r->m[0].action, '7');
	rec_free(r);
	/* UNA4 blank: no release character, '?' is data */
	r = parse_ok("UNA:+.  'UNB+UNOA:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'FTX+A?'UNT+3+1'UNZ+1+7'");
	ck_assert_int_eq(r->ic[0].unb.delims.rel, 0);
	ck_assert(strstr(r->m[0].dump, "FTX+A?\n") != NULL);
	rec_free(r);
}
END_TEST

START_TEST(test_syntax4_repetition)
{
	/* no UNA at syntax 4: '*' separates repetitions; ?* is data */
	struct rec *r = parse_ok("UNB+UNOA:4+S+R+20240101:1200+7'UNH+1+ORDERS:D:01B:UN'"
				 "RFF+ON:1*VN:2*?*3'UNT+3+1'UNZ+1+7'");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->ic[0].unb.delims.rep, '*');
	ck_assert(strstr(r->m[0].dump, "RFF+ON:1*VN:2*" "*3\n") != NULL);
	rec_free(r);
	/* the repetitions are linked elements */
	struct edi_reader *rd;
	const char *t = "UNA:+.?*'UNB+UNOA:4+S+R+20240101:1200+7'UNH+1+ORDERS:D:01B:UN'"
			"RFF+ON:1*VN:2'UNT+3+1'UNZ+1+7'";
	r = parse_ok(t);
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert(strstr(r->m[0].dump, "RFF+ON:1*VN:2\n") != NULL);
	rec_free(r);
	(void)rd;
	/* UNA5 blank at syntax 4: no repetition separator */
	r = parse_ok("UNA:+.? 'UNB+UNOA:4+S+R+20240101:1200+7'UNH+1+ORDERS:D:01B:UN'"
		     "RFF+ON:1*VN:2'UNT+3+1'UNZ+1+7'");
	ck_assert_int_eq(r->ic[0].unb.delims.rep, 0);
	ck_assert(strstr(r->m[0].dump, "RFF+ON:1*VN:2\n") != NULL);
	rec_free(r);
	/* syntax 3 with UNA5 '*': reserved, ignored with a notice, '*' is data */
	r = parse_ok("UNA:+.?*'UNB+UNOA:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'"
		     "RFF+ON:1*2'UNT+3+1'UNZ+1+7'");
	ck_assert_int_eq(r->ic[0].unb.delims.rep, 0);
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert(strstr(r->m[0].dump, "RFF+ON:1*2\n") != NULL);
	ck_assert_int_ge(r->nnotice, 1);
	ck_assert(strstr(r->notice[0], "UNA5 '*' ignored") != NULL);
	rec_free(r);
}
END_TEST

/* The evidence: an ORDERS without UNA and with newlines is accepted. */
START_TEST(test_line_breaks)
{
	char *crlf = tu_replace(ORDERS, "\n", "\r\n");
	struct rec *r = parse_ok(crlf);
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_int_eq(r->m[0].seg_count, 6);
	ck_assert_int_eq(r->nnotice, 1);
	ck_assert_str_eq(r->notice[0], "line breaks between segments ignored");
	rec_free(r);
	free(crlf);
	/* blank lines and indentation between segments, leading blank lines */
	r = parse_ok("\r\n\r\nUNB+UNOA:3+S+R+240101:1200+7'\n\n  UNH+1+ORDERS:D:96A:UN'\n\tBGM+220'\nUNT+3+1'\nUNZ+1+7'\n\n");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_str_eq(r->m[0].dump, "UNH+1+ORDERS:D:96A:UN\nBGM+220\nUNT+3+1\n");
	rec_free(r);
	/* lines wrapped at a fixed width: the line breaks inside segments are dropped */
	const char *w = "UNB+UNOA:3+S+R+240101:1200+7'\nUNH+1+ORDERS:D:96A:UN'\nBGM+22\n0'\nFTX+A?\r\n'B'UN\nT+4+1'\nUNZ+1+7'\n";
	r = parse_ok(w);
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_str_eq(r->m[0].dump, "UNH+1+ORDERS:D:96A:UN\nBGM+220\nFTX+A'B\nUNT+4+1\n");
	ck_assert_str_eq(r->notice[1], "line breaks inside segments removed: lines wrapped at a fixed "
				       "width (tolerances.wrapped_lines)");
	ck_assert_uint_eq(r->notice_line[1], 3);
	rec_free(r);
	/* a character's position in a wrapped segment is its place in the file */
	r = parse_ok("UNB+UNOA:3+S+R+240101:1200+7'\nUNH+1+ORDERS:D:96A:UN'\nBGM+22\r\n0+\r\nx'\nUNT+3+1'\nUNZ+1+7'\n");
	ck_assert_str_eq(first(&r->m[0].errors), "4 21 BGM@2 2.1.0");
	ck_assert_uint_eq(r->m[0].errors.v[0].line, 5);
	ck_assert_uint_eq(r->m[0].errors.v[0].offset, 65);
	rec_free(r);
	/* with the tolerance off, a line break inside a segment is data: a control character */
	struct edi_tolerances tol;
	edi_tolerances_default(&tol);
	ck_assert_int_eq(tol.wrapped_lines, 1);
	tol.wrapped_lines = 0;
	const char *t = "UNB+UNOA:3+S+R+240101:1200+7'\nUNH+1+ORDERS:D:96A:UN'\nBGM+22\n0'\nUNT+3+1'\nUNZ+1+7'\n";
	int rc;
	r = parse_ex(t, strlen(t), NULL, &tol, 0, &rc, NULL, NULL);
	ck_assert_int_eq(r->m[0].action, '4');
	ck_assert_str_eq(first(&r->m[0].errors), "4 21 BGM@2 1.1.0");
	ck_assert_uint_eq(r->m[0].errors.v[0].line, 3);
	ck_assert_uint_eq(r->m[0].errors.v[0].offset, 59);
	rec_free(r);
}
END_TEST

/* Data before UNA/UNB (and after UNZ) is a fatal error with line and offset. */
START_TEST(test_data_before)
{
	int rc;
	struct x12_error err;
	const char *t = "\n\nhello\nUNB+UNOA:3+S+R+240101:1200+7'UNZ+0+7'";
	struct rec *r = parse_ex(t, strlen(t), NULL, NULL, 0, &rc, &err, NULL);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_int_eq(r->nic, 0);
	ck_assert_str_eq(err.code, "13");
	ck_assert_uint_eq(err.line, 3);
	ck_assert_uint_eq(err.offset, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "not EDIFACT (data before UNA/UNB)"));
	ck_assert_ptr_nonnull(strstr(err.msg, "line 3, byte offset 2"));
	char *d = x12_error_describe(&err);
	ck_assert_ptr_nonnull(strstr(d, "line 3"));
	free(d);
	d = edi_error_describe(&err);
	ck_assert_str_eq(d, "line 3: not EDIFACT (data before UNA/UNB): expected UNA or UNB at line 3, "
			    "byte offset 2, found 'hello\\nUNB+UNOA:3+S+R...' (value 'hello\\nUNB+UNOA:3+S+R') [CONTRL UCI 0085 code 13]");
	free(d);
	x12_error_free(&err);
	rec_free(r);
	/* after a complete interchange: it is processed, then the error */
	t = "UNB+UNOA:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+7'\nXYZ+1'";
	r = parse_ex(t, strlen(t), NULL, NULL, 0, &rc, &err, NULL);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_int_eq(r->nic, 1);
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->nmsg, 1);
	ck_assert_uint_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "data after the interchange's UNZ"));
	x12_error_free(&err);
	rec_free(r);
	/* a UNA not followed by a UNB */
	t = "UNA:+.? 'UNH+1+ORDERS:D:96A:UN'UNT+2+1'";
	r = parse_ex(t, strlen(t), NULL, NULL, 0, &rc, &err, NULL);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err.code, "13");
	ck_assert_uint_eq(err.offset, 9);
	ck_assert_ptr_nonnull(strstr(err.msg, "not followed by a UNB"));
	x12_error_free(&err);
	rec_free(r);
	/* empty input, only whitespace */
	r = parse_ex("\r\n", 2, NULL, NULL, 0, &rc, &err, NULL);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	x12_error_free(&err);
	rec_free(r);
	/* a UNB without UNA whose separator is not a default one */
	t = "UNB*UNOA:3*S*R*240101:1200*7'";
	r = parse_ex(t, strlen(t), NULL, NULL, 0, &rc, &err, NULL);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err.code, "20");
	x12_error_free(&err);
	rec_free(r);
	/* BOM then UNB: accepted with a notice */
	r = parse_ok("\xef\xbb\xbfUNB+UNOA:3+S+R+240101:1200+7'UNZ+0+7'");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_str_eq(r->notice[0], "UTF-8 byte order mark before the UNA/UNB ignored");
	rec_free(r);
}
END_TEST

START_TEST(test_una_invalid)
{
	static const struct {
		const char *una;
		const char *what;
		uint64_t off;
	} cases[] = {
		{ "UNAA+.? '", "component data element separator (UNA1) 'A'", 3 },
		{ "UNA:1.? '", "data element separator (UNA2) '1'", 4 },
		{ "UNA:+.? +", "segment terminator (UNA6) is the same character '+' as the data element separator", 8 },
		{ "UNA::.? '", "data element separator (UNA2) is the same character ':'", 4 },
		{ "UNA:+.\xe9 '", "release character (UNA4) 0xe9", 6 },
		{ "UNA:+.? \x00", "segment terminator (UNA6) 0x00", 8 },
		{ "UNA:+.?:'", "repetition separator (UNA5) is the same character ':'", 7 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char t[200];
		memcpy(t, cases[i].una, 9);
		const char *rest = "UNB+UNOA:3+S+R+240101:1200+7'UNZ+0+7'";
		memcpy(t + 9, rest, strlen(rest) + 1);
		int rc;
		struct x12_error err;
		struct rec *r = parse_ex(t, 9 + strlen(rest), NULL, NULL, 0, &rc, &err, NULL);
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_str_eq(err.code, "20");
		ck_assert_uint_eq(err.offset, cases[i].off);
		if (!strstr(err.msg, cases[i].what))
			ck_abort_msg("case %zu: %s", i, err.msg);
		x12_error_free(&err);
		rec_free(r);
	}
	int rc;
	struct x12_error err;
	struct rec *r = parse_ex("UNA:+.", 6, NULL, NULL, 0, &rc, &err, NULL);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "truncated UNA"));
	x12_error_free(&err);
	rec_free(r);
}
END_TEST

/* Several interchanges per file, each with its own delimiters and hash. */
START_TEST(test_several_interchanges)
{
	const char *a = "UNB+UNOA:3+S+R+240101:1200+1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+1'";
	const char *b = "UNA|~.? ^UNB~UNOC|3~S~R~240101|1200~2^UNH~1~ORDERS|D|96A|UN^FTX~A|B^UNT~3~1^UNZ~1~2^";
	char *t = xasprintf("%s\r\n%s\r\n", a, b);
	struct rec *r = parse_ok(t);
	ck_assert_int_eq(r->nic, 2);
	ck_assert_str_eq(r->order, "BMmIBMmI");
	ck_assert_str_eq(r->ic[0].unb.ref, "1");
	ck_assert_str_eq(r->ic[1].unb.ref, "2");
	ck_assert_uint_eq(r->ic[0].unb.index, 1);
	ck_assert_uint_eq(r->ic[1].unb.index, 2);
	ck_assert_uint_eq(r->ic[1].unb.offset, strlen(a) + 2);
	ck_assert_int_eq(r->ic[1].unb.delims.elem, '~');
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->ic[1].action, '7');
	ck_assert_str_eq(r->m[1].dump, "UNH+1+ORDERS:D:96A:UN\nFTX+A:B\nUNT+3+1\n");
	char h[65];
	sha256_hex(a, strlen(a), h);
	ck_assert_str_eq(r->ic[0].sha, h);
	sha256_hex(b, strlen(b), h);
	ck_assert_str_eq(r->ic[1].sha, h);
	rec_free(r);
	free(t);
	/* hashing off */
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_mem(&rd, a, strlen(a), NULL), 0);
	edi_reader_set_hash(rd, 0);
	struct rec *rr = calloc(1, sizeof *rr);
	struct edi_handler hh = { 0 };
	hh.ctx = rr;
	hh.interchange_end = r_ic_end;
	struct x12_error err;
	ck_assert_int_eq(edi_parse(rd, &hh, NULL, &err), 0);
	ck_assert_str_eq(rr->ic[0].sha, "");
	edi_reader_free(rd);
	rec_free(rr);
}
END_TEST

/* Level B without UNA: IS1, IS3, IS4 and (syntax 4) IS2. */
START_TEST(test_level_b_defaults)
{
	struct rec *r = parse_ok("UNB\x1dUNOB\x1f" "4\x1dS\x1dR\x1d" "20240101\x1f" "1200\x1d" "5\x1c\r\n"
				 "UNH\x1d" "1\x1dORDERS\x1f" "D\x1f" "01B\x1fUN\x1c\r\n"
				 "RFF\x1dON\x1f" "a?b\x1eVN\x1f" "2\x1c\r\nUNT\x1d" "3\x1d" "1\x1c\r\nUNZ\x1d" "1\x1d" "5\x1c");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->ic[0].unb.delims.elem, 0x1d);
	ck_assert_int_eq(r->ic[0].unb.delims.comp, 0x1f);
	ck_assert_int_eq(r->ic[0].unb.delims.seg, 0x1c);
	ck_assert_int_eq(r->ic[0].unb.delims.rep, 0x1e);
	ck_assert_int_eq(r->ic[0].unb.delims.rel, 0);
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_str_eq(r->m[0].dump, "UNH+1+ORDERS:D:01B:UN\nRFF+ON:a?b*VN:2\nUNT+3+1\n");
	rec_free(r);
}
END_TEST

/* One value under syntax identifier sid: the dump of FTX, or the first finding. */
static char *charset_case(const char *sid, const char *value, int relaxed, char *finding, size_t fcap,
			  uint64_t *off)
{
	char *t = xasprintf("UNB+%s:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'FTX+AAI+++%s'UNT+3+1'UNZ+1+7'",
			    sid, value);
	struct edi_tolerances tol;
	edi_tolerances_default(&tol);
	tol.charset_relaxed = relaxed;
	int rc;
	struct rec *r = parse_ex(t, strlen(t), NULL, &tol, 0, &rc, NULL, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(r->nmsg, 1);
	snprintf(finding, fcap, "%s", first(&r->m[0].errors));
	*off = r->m[0].errors.n ? r->m[0].errors.v[0].offset : 0;
	char *d = NULL;
	const char *p = strstr(r->m[0].dump, "FTX+AAI+++");
	if (p) {
		p += 10;
		d = strndup(p, (size_t)(strchr(p, '\n') - p));
	}
	ck_assert_int_eq(r->m[0].action, r->m[0].errors.n ? '4' : '7');
	rec_free(r);
	free(t);
	return d;
}

START_TEST(test_charsets)
{
	static const struct {
		const char *sid, *in, *out, *finding;
		uint64_t off; /* of the bad character */
	} cases[] = {
		{ "UNOA", "ABC 0-9.,()/=?'?+?:?" "?!\"%&*;<>", "ABC 0-9.,()/='+:?!\"%&*;<>", "-", 0 },
		{ "UNOA", "ABC 0-9.,()/=!\"%&*;<>", "ABC 0-9.,()/=!\"%&*;<>", "-", 0 },
		{ "UNOA", "ABc", "ABc", "4 21 FTX@2 4.1.0", 63 },
		{ "UNOA", "A@B", "A@B", "4 21 FTX@2 4.1.0", 62 },
		{ "UNOA", "A_B", "A_B", "4 21 FTX@2 4.1.0", 62 },
		{ "UNOB", "Abc xyz", "Abc xyz", "-", 0 },
		{ "UNOB", "a#b", "a#b", "4 21 FTX@2 4.1.0", 62 },
		{ "UNOB", "caf\xe9", "caf\xc3\xa9", "4 21 FTX@2 4.1.0", 64 },
		{ "UNOC", "caf\xe9 \xdf\xfc\xa0\xff", "caf\xc3\xa9 \xc3\x9f\xc3\xbc\xc2\xa0\xc3\xbf", "-", 0 },
		{ "UNOC", "a\x85" "b", "a\xef\xbf\xbd" "b", "4 21 FTX@2 4.1.0", 62 },
		{ "UNOC", "a\x01" "b", "a\xef\xbf\xbd" "b", "4 21 FTX@2 4.1.0", 62 },
		{ "UNOD", "\xb1\xa3", "\xc4\x85\xc5\x81", "-", 0 },
		{ "UNOE", "\xb0\xd0\xef", "\xd0\x90\xd0\xb0\xd1\x8f", "-", 0 },
		{ "UNOF", "\xc1\xe1", "\xce\x91\xce\xb1", "-", 0 },
		{ "UNOF", "x\xd2", "x\xc3\x92", "4 21 FTX@2 4.1.0", 62 },
		{ "UNOG", "\xa1", "\xc4\xa6", "-", 0 },
		{ "UNOH", "\xa1", "\xc4\x84", "-", 0 },
		{ "UNOI", "\xc7", "\xd8\xa7", "-", 0 },
		{ "UNOJ", "\xe0", "\xd7\x90", "-", 0 },
		{ "UNOK", "\xdd", "\xc4\xb0", "-", 0 },
		{ "UNOY", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "-", 0 },
		{ "UNOY", "ab\xe9", "ab\xc3\xa9", "4 21 FTX@2 4.1.0", 63 },
		{ "UNOY", "ab\xc0\xafz", "ab\xc3\x80\xc2\xafz", "4 21 FTX@2 4.1.0", 63 },
		{ "UNOY", "ab\xed\xa0\x80", "ab\xc3\xad\xc2\xa0\xef\xbf\xbd", "4 21 FTX@2 4.1.0", 63 },
		{ "UNOY", "ab\xc2\x85", "ab\xef\xbf\xbd", "4 21 FTX@2 4.1.0", 63 },
		{ "UNOW", "\xc3\xa9", "\xc3\xa9", "-", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char f[96];
		uint64_t off;
		char *d = charset_case(cases[i].sid, cases[i].in, 0, f, sizeof f, &off);
		if (strcmp(f, cases[i].finding) != 0)
			ck_abort_msg("case %zu (%s): finding %s, expected %s", i, cases[i].sid, f, cases[i].finding);
		if (cases[i].out && (!d || strcmp(d, cases[i].out) != 0))
			ck_abort_msg("case %zu (%s): value '%s'", i, cases[i].sid, d ? d : "(none)");
		if (cases[i].off && off != cases[i].off)
			ck_abort_msg("case %zu (%s): offset %llu, expected %llu", i, cases[i].sid,
				     (unsigned long long)off, (unsigned long long)cases[i].off);
		free(d);
	}
}
END_TEST

START_TEST(test_charset_position)
{
	/* the exact position: segment 3 of the message, element 2, component 3, line 4 */
	const char *t = "UNB+UNOA:3+S+R+240101:1200+7'\nUNH+1+ORDERS:D:96A:UN'\nBGM+220'\n"
			"NAD+BY+A:B:C?+d'\nUNT+4+1'\nUNZ+1+7'\n";
	struct rec *r = parse_ok(t);
	ck_assert_int_eq(r->m[0].action, '4');
	ck_assert_str_eq(r->m[0].code, "");
	ck_assert_int_eq(r->m[0].errors.n, 1);
	const struct x12_error *e = &r->m[0].errors.v[0];
	ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
	ck_assert_str_eq(e->code, "21");
	ck_assert_str_eq(e->seg_id, "NAD");
	ck_assert_uint_eq(e->seg_pos, 3);
	ck_assert_int_eq(e->elem_pos, 2);
	ck_assert_int_eq(e->comp_pos, 3);
	ck_assert_uint_eq(e->line, 4);
	ck_assert_uint_eq(e->offset, (uint64_t)(strstr(t, "?+d") - t) + 2);
	ck_assert_str_eq(e->bad_value, "d");
	ck_assert_ptr_nonnull(strstr(e->msg, "invalid character 'd'"));
	ck_assert_ptr_nonnull(strstr(e->msg, "UNOA"));
	rec_free(r);
	/* in syntax 4 the repetition is named too */
	r = parse_ok("UNB+UNOA:4+S+R+20240101:1200+7'UNH+1+ORDERS:D:01B:UN'RFF+ON:1*VN:x'UNT+3+1'UNZ+1+7'");
	ck_assert_str_eq(first(&r->m[0].errors), "4 21 RFF@2 1.2.2");
	rec_free(r);
	/* in the UNB: an interchange finding (UCI), the interchange rejected */
	r = parse_ok("UNB+UNOA:3+Sx+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+7'");
	ck_assert_int_eq(r->ic[0].action, '4');
	ck_assert_str_eq(r->ic[0].code, "21");
	ck_assert_str_eq(first(&r->ic[0].errors), "0 21 UNB@0 2.1.0");
	ck_assert_int_eq(r->m[0].action, '7');
	rec_free(r);
	/* in the UNH: a message finding (UCM) */
	r = parse_ok("UNB+UNOA:3+S+R+240101:1200+7'UNH+1+ORDERs:D:96A:UN'UNT+2+1'UNZ+1+7'");
	ck_assert_str_eq(first(&r->m[0].errors), "2 21 UNH@1 2.1.0");
	ck_assert_str_eq(r->m[0].code, "21");
	rec_free(r);
}
END_TEST

START_TEST(test_charset_relaxed)
{
	static const struct {
		const char *sid, *in, *out;
	} cases[] = {
		{ "UNOA", "abc@_", "abc@_" },
		{ "UNOA", "caf\xe9", "caf\xc3\xa9" },          /* not UTF-8: ISO 8859-1 */
		{ "UNOA", "caf\xc3\xa9", "caf\xc3\xa9" },      /* UTF-8 as such */
		{ "UNOB", "\xdc" "ber", "\xc3\x9c" "ber" },
		{ "UNOF", "\xc1\xd2", "\xce\x91\xc3\x92" },    /* 0xd2 undefined in 8859-7: Latin-1 */
		{ "UNOY", "a\xe9" "b\xc3\xa9", "a\xc3\xa9" "b\xc3\xa9" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char f[96];
		uint64_t off;
		char *d = charset_case(cases[i].sid, cases[i].in, 1, f, sizeof f, &off);
		if (strcmp(f, "-") != 0 || !d || strcmp(d, cases[i].out) != 0)
			ck_abort_msg("case %zu (%s): %s '%s'", i, cases[i].sid, f, d ? d : "(none)");
		free(d);
	}
	/* noticed once per interchange with the position */
	const char *t = "UNB+UNOA:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'FTX+a'FTX+b'UNT+4+1'UNZ+1+7'";
	struct edi_tolerances tol;
	edi_tolerances_default(&tol);
	tol.charset_relaxed = 1;
	int rc;
	struct rec *r = parse_ex(t, strlen(t), NULL, &tol, 0, &rc, NULL, NULL);
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_int_eq(r->nnotice, 1);
	ck_assert_ptr_nonnull(strstr(r->notice[0], "character 'a' outside the syntax level UNOA"));
	ck_assert_ptr_nonnull(strstr(r->notice[0], "segment FTX, element 1, component 1, byte offset 55"));
	rec_free(r);
	/* a control character stays an error */
	char f[96];
	uint64_t off;
	char *d = charset_case("UNOA", "a\x7f", 1, f, sizeof f, &off);
	ck_assert_str_eq(f, "4 21 FTX@2 4.1.0");
	ck_assert_str_eq(d, "a\xef\xbf\xbd");
	free(d);
}
END_TEST

START_TEST(test_unknown_syntax)
{
	struct rec *r = parse_ok("UNB+KECA:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+7'");
	ck_assert_int_eq(r->nic, 1);
	ck_assert_int_eq(r->nmsg, 0);
	ck_assert_str_eq(r->order, "I");
	ck_assert_int_eq(r->ic[0].action, '4');
	ck_assert_str_eq(r->ic[0].code, "2");
	ck_assert_str_eq(first(&r->ic[0].errors), "0 2 UNB@0 1.1.0");
	ck_assert_str_eq(r->ic[0].unb.syntax_id, "KECA");
	ck_assert_int_eq(r->ic[0].errors.n, 1); /* the UNZ reference still matches */
	rec_free(r);
	r = parse_ok("UNB+UNOA:5+S+R+240101:1200+7'UNZ+0+7'");
	ck_assert_str_eq(first(&r->ic[0].errors), "0 2 UNB@0 1.2.0");
	rec_free(r);
	r = parse_ok("UNB+UNOA+S+R+240101:1200+7'UNZ+0+7'");
	ck_assert_str_eq(first(&r->ic[0].errors), "0 13 UNB@0 1.2.0");
	rec_free(r);
}
END_TEST

/* The evidence: a wrong UNT count gives UCM action 4 code 29. */
START_TEST(test_unt_count)
{
	const char *t = "UNB+UNOA:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'BGM+220'UNT+5+1'UNZ+1+7'";
	struct rec *r = parse_ok(t);
	ck_assert_int_eq(r->m[0].action, '4');
	ck_assert_str_eq(r->m[0].code, "29");
	ck_assert_str_eq(first(&r->m[0].errors), "2 29 UNT@3 1.1.0");
	ck_assert_uint_eq(r->m[0].seg_count, 3);
	ck_assert_str_eq(r->m[0].errors.v[0].bad_value, "5");
	ck_assert_int_eq(r->ic[0].action, '7');
	char *d = edi_error_describe(&r->m[0].errors.v[0]);
	ck_assert_str_eq(d, "segment UNT (position 3 in the message, line 1), element 01, component 1: UNT "
			    "number of segments (0074) 5 does not match the 3 segments received (UNH through "
			    "UNT) (value '5') [CONTRL UCM 0085 code 29]");
	free(d);
	rec_free(r);
	/* the same through edi_msg_result_finish directly: idempotent */
	struct edi_msg_result res;
	memset(&res, 0, sizeof res);
	struct x12_error e;
	memset(&e, 0, sizeof e);
	e.scope = X12_SCOPE_TXN;
	memcpy(e.code, "29", 3);
	x12_errlist_add(&res.errors, &e);
	edi_msg_result_finish(&res);
	edi_msg_result_finish(&res);
	ck_assert_int_eq(res.action, '4');
	ck_assert_str_eq(res.code, "29");
	edi_msg_result_free(&res);
	/* an application error alone: action 7, app_rejected */
	memset(&res, 0, sizeof res);
	e.scope = X12_SCOPE_ELEMENT;
	e.application = 1;
	x12_errlist_add(&res.errors, &e);
	edi_msg_result_finish(&res);
	ck_assert_int_eq(res.action, '7');
	ck_assert_int_eq(res.app_rejected, 1);
	ck_assert_str_eq(res.code, "");
	edi_msg_result_free(&res);
	/* the tolerance: a notice; a count that is not a number stays an error */
	struct edi_tolerances tol;
	edi_tolerances_default(&tol);
	tol.wrong_counts = 1;
	int rc;
	r = parse_ex(t, strlen(t), NULL, &tol, 0, &rc, NULL, NULL);
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_int_eq(r->nnotice, 1);
	ck_assert_ptr_nonnull(strstr(r->notice[0], "UNT number of segments 5 does not match the 3"));
	rec_free(r);
	t = "UNB+UNOA:3+S+R+240101:1200+7'UNH+1+ORDERS:D:96A:UN'UNT+X+1'UNZ+1+7'";
	r = parse_ex(t, strlen(t), NULL, &tol, 0, &rc, NULL, NULL);
	ck_assert_str_eq(first(&r->m[0].errors), "2 12 UNT@2 1.1.0");
	rec_free(r);
}
END_TEST

START_TEST(test_envelope_errors)
{
	static const struct {
		const char *text;
		int level; /* 0 interchange, 1 group, 2 message */
		const char *action, *finding;
	} cases[] = {
		/* UNZ count and reference */
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+2+R1'", 0, "4", "0 29 UNZ@0 1.1.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R2'", 0, "4", "0 28 UNZ@0 2.1.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ++R1'", 0, "4", "0 13 UNZ@0 1.1.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1'", 0, "4", "0 13 UNZ@0 2.1.0" },
		/* missing UNZ */
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'", 0, "4", "0 13 UNZ@0 0.0.0" },
		/* UNB fields */
		{ "UNB+UNOA:3++R+240101:1200+R1'UNZ+0+R1'", 0, "4", "0 13 UNB@0 2.1.0" },
		{ "UNB+UNOA:3+S++240101:1200+R1'UNZ+0+R1'", 0, "4", "0 13 UNB@0 3.1.0" },
		{ "UNB+UNOA:3+S+R+240230:1200+R1'UNZ+0+R1'", 0, "4", "0 12 UNB@0 4.1.0" },
		{ "UNB+UNOA:3+S+R+2024010:1200+R1'UNZ+0+R1'", 0, "4", "0 12 UNB@0 4.1.0" },
		{ "UNB+UNOA:4+S+R+20240230:1200+R1'UNZ+0+R1'", 0, "4", "0 12 UNB@0 4.1.0" },
		{ "UNB+UNOA:4+S+R+240101:1200+R1'UNZ+0+R1'", 0, "7", "-" },
		{ "UNB+UNOA:3+S+R+20240101:1200+R1'UNZ+0+R1'", 0, "7", "-" },
		{ "UNB+UNOA:3+S+R+240101:2400+R1'UNZ+0+R1'", 0, "4", "0 12 UNB@0 4.2.0" },
		{ "UNB+UNOA:3+S+R+240101:1200'UNZ+0+'", 0, "4", "0 13 UNB@0 5.1.0" },
		{ "UNB+UNOA:3+S+R+240101:1200+123456789012345'UNZ+0+123456789012345'", 0, "4", "0 39 UNB@0 5.1.0" },
		{ "UNB+UNOA:4+S+R+20240101:1200+R1++++2++1'UNZ+0+R1'", 0, "7", "-" },
		{ "UNB+UNOA:3+S+R+240101:1200+R1++++1++1+X'UNZ+0+R1'", 0, "4", "0 16 UNB@0 12.0.0" },
		/* the same reference as a number */
		{ "UNB+UNOA:3+S+R+240101:1200+0042'UNZ+0+42'", 0, "7", "-" },
		/* misplaced */
		{ UNB_A "BGM+220'UNZ+0+R1'", 0, "4", "0 33 BGM@0 0.0.0" },
		{ UNB_A "UNT+2+1'UNZ+0+R1'", 0, "4", "0 33 UNT@0 0.0.0" },
		{ UNB_A "UNE+0+1'UNZ+0+R1'", 0, "4", "0 33 UNE@0 0.0.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNG+ORDERS+S+R+240101:1200+G1'UNE+0+G1'UNZ+1+R1'", 0, "4", "0 30 UNG@0 0.0.0" },
		{ UNB_A "UNG+ORDERS+S+R+240101:1200+G1'UNE+0+G1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1'", 0, "4", "0 30 UNH@0 0.0.0" },
		/* groups */
		{ UNB_A "UNG+ORDERS+S+R+240101:1200+G1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNE+2+G1'UNZ+1+R1'", 1, "4", "1 29 UNE@0 1.1.0" },
		{ UNB_A "UNG+ORDERS+S+R+240101:1200+G1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNE+1+G2'UNZ+1+R1'", 1, "4", "1 28 UNE@0 2.1.0" },
		{ UNB_A "UNG+ORDERS+S+R+240101:1200+G1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1'", 1, "4", "1 13 UNE@0 0.0.0" },
		{ UNB_A "UNG++S+R+240101:1200+G1'UNE+0+G1'UNZ+1+R1'", 1, "4", "1 13 UNG@0 1.1.0" },
		{ UNB_A "UNG+ORDERS+S+R+240101:1200'UNE+0'UNZ+1+R1'", 1, "4", "1 13 UNG@0 5.1.0" },
		{ UNB_A "UNG+ORDERS+S+R+240101:1200+G1'BGM+1'UNE+0+G1'UNZ+1+R1'", 1, "4", "1 33 BGM@0 0.0.0" },
		{ UNB_A "UNG+ORDERS+S+R+240101:1200+G1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNE+1+G1'UNZ+1+R1'", 1, "7", "-" },
		/* messages */
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+2'UNZ+1+R1'", 2, "4", "2 28 UNT@2 2.1.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2'UNZ+1+R1'", 2, "4", "2 13 UNT@2 2.1.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'BGM+1'UNZ+1+R1'", 2, "4", "2 13 UNT@3 0.0.0" },
		{ UNB_A "UNH++ORDERS:D:96A:UN'UNT+2+'UNZ+1+R1'", 2, "4", "2 13 UNH@1 1.1.0" },
		{ UNB_A "UNH+1+ORDERS:D::UN'UNT+2+1'UNZ+1+R1'", 2, "4", "2 13 UNH@1 2.3.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A'UNT+2+1'UNZ+1+R1'", 2, "4", "2 13 UNH@1 2.4.0" },
		{ UNB_A "UNH+1+ORDERSXX:D:96A:UN'UNT+2+1'UNZ+1+R1'", 2, "4", "2 39 UNH@1 2.1.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'bgm+1'UNT+3+1'UNZ+1+R1'", 2, "4", "3 12 bgm@2 0.0.0" },
		{ UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1'", 2, "7", "-" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rec *r = parse_ok(cases[i].text);
		const char *f = "?";
		char action = 0;
		if (cases[i].level == 0 && r->nic) {
			f = first(&r->ic[0].errors);
			action = r->ic[0].action;
		} else if (cases[i].level == 1 && r->ngr) {
			f = first(&r->gr[0].errors);
			action = r->gr[0].action;
		} else if (cases[i].level == 2 && r->nmsg) {
			f = first(&r->m[0].errors);
			action = r->m[0].action;
		}
		if (strcmp(f, cases[i].finding) != 0 || action != cases[i].action[0])
			ck_abort_msg("case %zu: %c %s, expected %s %s", i, action ? action : '?', f,
				     cases[i].action, cases[i].finding);
		rec_free(r);
	}
}
END_TEST

/* Groups: callbacks in order, counts, the group on the message, UNZ counting groups. */
START_TEST(test_groups)
{
	const char *t = UNB_A "UNG+ORDERS+S:1+R:2+240101:1200+G1+UN+D:96A'"
			"UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNH+2+ORDERS:D:96A:UN'BGM+220'UNT+2+2'UNE+2+G1'"
			"UNG+INVOIC+S+R+240101:1200+G2'UNH+3+INVOIC:D:96A:UN'UNT+2+3'UNE+1+G2'UNZ+2+R1'";
	struct rec *r = parse_ok(t);
	ck_assert_str_eq(r->order, "BGMmMmEGMmEI");
	ck_assert_int_eq(r->ngr, 2);
	ck_assert_int_eq(r->gr[0].action, '7');
	ck_assert_uint_eq(r->gr[0].received, 2);
	ck_assert_uint_eq(r->gr[0].accepted, 1);
	ck_assert_uint_eq(r->gr[0].declared, 2);
	ck_assert_str_eq(r->gr[0].ung.group_id, "ORDERS");
	ck_assert_str_eq(r->gr[0].ung.sender, "S");
	ck_assert_str_eq(r->gr[0].ung.sender_qual, "1");
	ck_assert_str_eq(r->gr[0].ung.ref, "G1");
	ck_assert_str_eq(r->gr[0].ung.agency, "UN");
	ck_assert_str_eq(r->gr[0].ung.version, "D");
	ck_assert_str_eq(r->gr[0].ung.release, "96A");
	ck_assert_uint_eq(r->gr[1].ung.index, 2);
	ck_assert_str_eq(r->m[0].ung_ref, "G1");
	ck_assert_str_eq(r->m[2].ung_ref, "G2");
	ck_assert_uint_eq(r->m[1].index, 2);
	ck_assert_uint_eq(r->m[2].index, 1);
	ck_assert_int_eq(r->m[1].action, '4'); /* UNT count 2, 3 received */
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_uint_eq(r->ic[0].groups, 2);
	ck_assert_uint_eq(r->ic[0].messages, 3);
	ck_assert_uint_eq(r->ic[0].declared, 2);
	rec_free(r);
}
END_TEST

START_TEST(test_missing_trailers)
{
	/* UNH inside a message: the first lacks its UNT; a new UNB ends the interchange */
	const char *t = UNB_A "UNH+1+ORDERS:D:96A:UN'BGM+1'UNH+2+ORDERS:D:96A:UN'UNT+2+2'"
			"UNB+UNOA:3+S+R+240101:1200+R2'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R2'";
	struct rec *r = parse_ok(t);
	ck_assert_str_eq(r->order, "BMmMmIBMmI");
	ck_assert_str_eq(first(&r->m[0].errors), "2 13 UNT@3 0.0.0");
	ck_assert_ptr_nonnull(strstr(r->m[0].errors.v[0].msg, "the message ends at UNH"));
	ck_assert_int_eq(r->m[1].action, '7');
	ck_assert_str_eq(first(&r->ic[0].errors), "0 13 UNZ@0 0.0.0");
	ck_assert_ptr_nonnull(strstr(r->ic[0].errors.v[0].msg, "a new interchange begins"));
	ck_assert_int_eq(r->ic[1].action, '7');
	rec_free(r);
	/* the input ends inside a group and a message */
	r = parse_ok(UNB_A "UNG+ORDERS+S+R+240101:1200+G1'UNH+1+ORDERS:D:96A:UN'BGM+1'");
	ck_assert_str_eq(r->order, "BGMmEI");
	ck_assert_str_eq(first(&r->m[0].errors), "2 13 UNT@3 0.0.0");
	ck_assert_str_eq(first(&r->gr[0].errors), "1 13 UNE@0 0.0.0");
	ck_assert_str_eq(first(&r->ic[0].errors), "0 13 UNZ@0 0.0.0");
	rec_free(r);
	/* an unterminated last segment is read (noticed) */
	r = parse_ok(UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_str_eq(r->notice[0], "last segment has no terminator");
	rec_free(r);
}
END_TEST

START_TEST(test_skip_and_abort)
{
	const char *t = UNB_A "UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1'"
			"UNB+UNOA:3+S+R+240101:1200+R2'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R2'";
	int rc;
	struct rec *r = calloc(1, sizeof *r);
	r->skip_index = 1;
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_mem(&rd, t, strlen(t), NULL), 0);
	struct edi_handler h = { 0 };
	h.ctx = r;
	h.interchange_begin = r_ic_begin;
	h.message = r_msg;
	h.message_end = r_msg_end;
	h.interchange_end = r_ic_end;
	struct edi_file_summary sum;
	struct x12_error err;
	ck_assert_int_eq(edi_parse(rd, &h, &sum, &err), 0);
	edi_reader_free(rd);
	ck_assert_str_eq(r->order, "BIBMmI");
	ck_assert_int_eq(r->ic[0].skipped, 1);
	ck_assert_int_eq(r->ic[0].action, '8');
	ck_assert_int_eq(r->ic[1].action, '7');
	ck_assert_uint_eq(sum.interchanges, 2);
	ck_assert_uint_eq(sum.messages, 1);
	ck_assert_uint_eq(sum.segments, 8);
	ck_assert_uint_eq(sum.bytes, strlen(t));
	rec_free(r);
	(void)rc;
}
END_TEST

static int abort_msg(void *ctx, const struct edi_msg *m, struct edi_msg_result *res)
{
	(void)ctx;
	(void)m;
	(void)res;
	return -EIO;
}

START_TEST(test_handler_abort)
{
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_mem(&rd, ORDERS, strlen(ORDERS), NULL), 0);
	struct rec *r = calloc(1, sizeof *r);
	struct edi_handler h = { 0 };
	h.ctx = r;
	h.message = abort_msg;
	h.message_end = r_msg_end;
	h.interchange_end = r_ic_end;
	struct x12_error err;
	ck_assert_int_eq(edi_parse(rd, &h, NULL, &err), -EIO);
	ck_assert_ptr_null(err.msg);
	ck_assert_int_eq(r->nmend, 0);
	ck_assert_int_eq(r->nic, 0);
	edi_reader_free(rd);
	rec_free(r);
}
END_TEST

/* Empty segments and a newline terminator with CR before it (from the UNA). */
START_TEST(test_newline_terminator)
{
	struct rec *r = parse_ok("UNA:+.? \nUNB+UNOA:3+S+R+240101:1200+7\r\nUNH+1+ORDERS:D:96A:UN\r\n\r\n"
				 "BGM+220\r\nUNT+3+1\r\nUNZ+1+7\r\n");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_str_eq(r->m[0].dump, "UNH+1+ORDERS:D:96A:UN\nBGM+220\nUNT+3+1\n");
	rec_free(r);
	r = parse_ok(UNB_A "''UNH+1+ORDERS:D:96A:UN''UNT+2+1'UNZ+1+R1'");
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_str_eq(r->notice[0], "empty segments ignored");
	rec_free(r);
}
END_TEST


/* ------------------------------------------------------------ limits */

/* A message with body between UNH and UNT, parsed with limits lim. */
static struct rec *parse_lim(const char *unb, const char *body, const struct edi_limits *lim)
{
	char *t = wrap(unb, body);
	int rc;
	struct rec *r = parse_ex(t, strlen(t), lim, NULL, 0, &rc, NULL, NULL);
	ck_assert_int_eq(rc, 0);
	free(t);
	return r;
}

/* A run of n copies of c. Allocated. */
static char *run_of(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

START_TEST(test_limit_file_size)
{
	size_t n = strlen(ORDERS);
	struct edi_limits lim;
	edi_limits_default(&lim);
	for (int d = -1; d <= 1; d++) {
		lim.max_file_size = n + (uint64_t)(int64_t)d;
		int rc;
		struct x12_error err;
		struct rec *r = parse_ex(ORDERS, n, &lim, NULL, 0, &rc, &err, NULL);
		if (d < 0) {
			ck_assert_int_eq(rc, -EFBIG);
			ck_assert_ptr_nonnull(strstr(err.msg, "max_file_size"));
			ck_assert_int_eq(r->nmsg, 0);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(r->m[0].action, '7');
		}
		x12_error_free(&err);
		rec_free(r);
	}
	/* from a file: the interchange cut short gets its end with the error */
	char *dir = tu_tmpdir();
	char *path = xasprintf("%s/f.edi", dir);
	ck_assert_int_eq(tu_write(path, ORDERS, n), 0);
	for (int d = -1; d <= 1; d++) {
		lim.max_file_size = n + (uint64_t)(int64_t)d;
		int fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		struct edi_reader *rd;
		ck_assert_int_eq(edi_reader_new_fd(&rd, fd, &lim), 0);
		edi_reader_set_chunk_size(rd, 16);
		struct rec *r = calloc(1, sizeof *r);
		struct edi_handler h = { 0 };
		h.ctx = r;
		h.message_end = r_msg_end;
		h.interchange_end = r_ic_end;
		struct x12_error err;
		int rc = edi_parse(rd, &h, NULL, &err);
		if (d < 0) {
			ck_assert_int_eq(rc, -EFBIG);
			ck_assert_int_eq(r->nic, 1);
			ck_assert_int_eq(r->ic[0].action, '4');
			ck_assert_str_eq(r->ic[0].code, "18");
			ck_assert_int_eq(r->nmsg, 1);
			ck_assert_int_eq(r->m[0].action, '7');
			x12_error_free(&err);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(r->ic[0].action, '7');
		}
		edi_reader_free(rd);
		close(fd);
		rec_free(r);
	}
	tu_rmtree(dir);
	free(dir);
	free(path);
}
END_TEST

START_TEST(test_limit_segment_len)
{
	struct edi_limits lim;
	edi_limits_default(&lim);
	lim.max_segment_len = 100;
	for (int d = -1; d <= 1; d++) {
		/* "FTX+" and the data: 100 + d bytes without the terminator; a released ?' inside */
		char *a = run_of('A', (size_t)(96 + d - 2));
		char *body = xasprintf("FTX+%s?''BGM+1'", a);
		struct rec *r = parse_lim(UNB_A, body, &lim);
		ck_assert_int_eq(r->nmsg, 1);
		if (d <= 0) {
			ck_assert_int_eq(r->m[0].action, '7');
			ck_assert_uint_eq(r->m[0].seg_count, 4);
		} else {
			ck_assert_int_eq(r->m[0].action, '4');
			ck_assert_str_eq(first(&r->m[0].errors), "3 39 FTX@2 0.0.0");
			ck_assert_ptr_nonnull(strstr(r->m[0].errors.v[0].msg, "max_segment_len"));
			ck_assert_uint_eq(r->m[0].seg_count, 4); /* skipped to its terminator, counted */
			ck_assert_int_eq(r->m[0].errors.n, 1);
			ck_assert_int_eq(r->ic[0].action, '7');
		}
		rec_free(r);
		free(a);
		free(body);
	}
	/* between messages: the interchange is rejected */
	char *a = run_of('A', 200);
	char *t = xasprintf(UNB_A "FTX+%s'UNZ+0+R1'", a);
	int rc;
	struct rec *r = parse_ex(t, strlen(t), &lim, NULL, 0, &rc, NULL, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(first(&r->ic[0].errors), "0 39 FTX@0 0.0.0");
	rec_free(r);
	free(t);
	/* an overlong UNB is fatal */
	t = xasprintf("UNB+UNOA:3+%s+R+240101:1200+R1'UNZ+0+R1'", a);
	struct x12_error err;
	r = parse_ex(t, strlen(t), &lim, NULL, 0, &rc, &err, NULL);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err.code, "39");
	x12_error_free(&err);
	rec_free(r);
	free(t);
	free(a);
}
END_TEST

START_TEST(test_limit_element_len)
{
	struct edi_limits lim;
	edi_limits_default(&lim);
	lim.max_element_len = 10;
	for (int d = -1; d <= 1; d++) {
		/* decoded length 10 + d: the released characters count once */
		char *a = run_of('A', (size_t)(8 + d));
		char *body = xasprintf("FTX+X+Y:%s?+?:'", a);
		struct rec *r = parse_lim(UNB_A, body, &lim);
		if (d <= 0) {
			ck_assert_int_eq(r->m[0].action, '7');
		} else {
			ck_assert_str_eq(first(&r->m[0].errors), "4 39 FTX@2 2.2.0");
			ck_assert_str_eq(r->m[0].errors.v[0].bad_value, "AAAAAAAAA+:");
		}
		rec_free(r);
		free(a);
		free(body);
	}
}
END_TEST

START_TEST(test_limit_elements)
{
	struct edi_limits lim;
	edi_limits_default(&lim);
	lim.max_elements = 20;
	for (int d = -1; d <= 1; d++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "FTX");
		for (int k = 0; k < 20 + d; k++)
			buf_puts(&b, "+E");
		buf_puts(&b, "'");
		struct rec *r = parse_lim(UNB_A, b.data, &lim);
		if (d <= 0) {
			ck_assert_int_eq(r->m[0].action, '7');
			ck_assert(strstr(r->m[0].dump, "FTX+E") != NULL);
		} else {
			ck_assert_str_eq(first(&r->m[0].errors), "4 16 FTX@2 21.0.0");
		}
		rec_free(r);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_limit_components)
{
	struct edi_limits lim;
	edi_limits_default(&lim);
	lim.max_components = 5;
	for (int d = -1; d <= 1; d++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "FTX+A+C");
		for (int k = 1; k < 5 + d; k++)
			buf_puts(&b, ":C");
		buf_puts(&b, "'");
		struct rec *r = parse_lim(UNB_A, b.data, &lim);
		if (d <= 0) {
			ck_assert_int_eq(r->m[0].action, '7');
		} else {
			ck_assert_str_eq(first(&r->m[0].errors), "4 16 FTX@2 2.6.0");
			ck_assert(strstr(r->m[0].dump, "FTX+A+C:C:C:C:C\n") != NULL);
		}
		rec_free(r);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_limit_repeats)
{
	struct edi_limits lim;
	edi_limits_default(&lim);
	lim.max_repeats = 3;
	for (int d = -1; d <= 1; d++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "RFF+A:1");
		for (int k = 1; k < 3 + d; k++)
			buf_printf(&b, "*A:%d", k + 1);
		buf_puts(&b, "'");
		struct rec *r = parse_lim("UNB+UNOA:4+S+R+20240101:1200+R1'", b.data, &lim);
		if (d <= 0) {
			ck_assert_int_eq(r->m[0].action, '7');
		} else {
			ck_assert_str_eq(first(&r->m[0].errors), "4 35 RFF@2 1.0.4");
			ck_assert(strstr(r->m[0].dump, "RFF+A:1*A:2*A:3\n") != NULL);
		}
		rec_free(r);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_limit_segments_per_msg)
{
	struct edi_limits lim;
	edi_limits_default(&lim);
	lim.max_segments_per_msg = 10;
	for (int d = -1; d <= 1; d++) {
		struct buf b;
		buf_init(&b, 0);
		for (int k = 0; k < 8 + d; k++)
			buf_puts(&b, "FTX+A'");
		struct rec *r = parse_lim(UNB_A, b.data, &lim);
		ck_assert_int_eq(r->nmend, 1);
		ck_assert_uint_eq(r->m[0].seg_count, (uint64_t)(10 + d));
		if (d <= 0) {
			ck_assert_int_eq(r->m[0].action, '7');
			ck_assert_int_eq(r->m[0].called, 1);
		} else {
			ck_assert_int_eq(r->m[0].action, '4');
			ck_assert_str_eq(first(&r->m[0].errors), "3 35 UNT@11 0.0.0");
			ck_assert_int_eq(r->m[0].called, 0); /* not handed to the message callback */
		}
		rec_free(r);
		buf_free(&b);
	}
}
END_TEST

/* The bytes a message holds, by the rule of doc/edifact-reader.md. */
static size_t g_cost;
static int cost_msg(void *ctx, const struct edi_msg *m, struct edi_msg_result *res)
{
	(void)ctx;
	(void)res;
	size_t c = 0;
	for (size_t i = 0; i < m->nseg; i++) {
		const struct edi_seg *s = &m->segs[i];
		c += sizeof(struct edi_seg) + sizeof(size_t);
		for (size_t k = 0; k <= s->nelem; k++)
			for (const struct edi_elem *e = &s->elem[k]; e; e = e->next) {
				c += sizeof(struct edi_elem) + 2 * sizeof(size_t);
				for (size_t q = 0; q < e->ncomp; q++)
					c += sizeof(struct edi_val) + sizeof(size_t) + 1 + e->comp[q].n;
			}
	}
	g_cost = c;
	return 0;
}

START_TEST(test_limit_msg_bytes)
{
	char *t = wrap("UNB+UNOA:4+S+R+20240101:1200+R1'", "FTX+A:B*C:D+E'BGM+220++9'");
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_mem(&rd, t, strlen(t), NULL), 0);
	struct edi_handler h = { 0 };
	h.message = cost_msg;
	struct x12_error err;
	ck_assert_int_eq(edi_parse(rd, &h, NULL, &err), 0);
	edi_reader_free(rd);
	ck_assert_uint_gt(g_cost, 200);
	struct edi_limits lim;
	edi_limits_default(&lim);
	for (int d = -1; d <= 1; d++) {
		lim.max_msg_bytes = g_cost + (size_t)(ssize_t)d;
		int rc;
		struct rec *r = parse_ex(t, strlen(t), &lim, NULL, 0, &rc, NULL, NULL);
		if (d >= 0) {
			ck_assert_int_eq(r->m[0].action, '7');
			ck_assert_int_eq(r->m[0].called, 1);
		} else {
			ck_assert_int_eq(r->m[0].action, '4');
			ck_assert_str_eq(first(&r->m[0].errors), "3 35 UNT@4 0.0.0");
			ck_assert_ptr_nonnull(strstr(r->m[0].errors.v[0].msg, "max_msg_bytes"));
			ck_assert_int_eq(r->m[0].called, 0);
			ck_assert_int_eq(r->m[0].errors.n, 1); /* the UNT count was still checked: right */
		}
		rec_free(r);
	}
	free(t);
}
END_TEST

/* ------------------------------------------------------------ chunks */

/* Everything a parse reported, as one string. */
static char *story(const char *text, size_t len, size_t chunk, const struct edi_limits *lim)
{
	int rc;
	struct x12_error err;
	struct edi_tolerances tol;
	edi_tolerances_default(&tol);
	struct rec *r = parse_ex(text, len, lim, &tol, chunk, &rc, &err, NULL);
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "rc %d %s %s|", rc, r->order, rc < 0 && err.msg ? err.msg : "");
	if (rc < 0)
		x12_error_free(&err);
	for (int i = 0; i < r->nic && i < MAXR; i++) {
		buf_printf(&b, "I%c%s %s", r->ic[i].action, r->ic[i].code, r->ic[i].sha);
		for (size_t k = 0; k < r->ic[i].errors.n; k++) {
			char *d = x12_error_describe(&r->ic[i].errors.v[k]);
			buf_printf(&b, " [%s %llu]", d, (unsigned long long)r->ic[i].errors.v[k].offset);
			free(d);
		}
	}
	for (int i = 0; i < r->nmsg && i < MAXR; i++) {
		buf_printf(&b, "|M%c%s %s", r->m[i].action, r->m[i].code, r->m[i].dump ? r->m[i].dump : "");
		for (size_t k = 0; k < r->m[i].errors.n; k++) {
			char *d = x12_error_describe(&r->m[i].errors.v[k]);
			buf_printf(&b, " [%s %llu]", d, (unsigned long long)r->m[i].errors.v[k].offset);
			free(d);
		}
	}
	for (int i = 0; i < r->nnotice && i < MAXR; i++)
		buf_printf(&b, "|N%llu %s", (unsigned long long)r->notice_line[i], r->notice[i]);
	rec_free(r);
	return buf_steal(&b);
}

START_TEST(test_chunk_straddle)
{
	const char *docs[] = {
		ORDERS,
		"\xef\xbb\xbf\r\nUNA:+.?*'\r\nUNB+UNOC:4+S+R+20240101:1200+7'\r\nUNH+1+ORDERS:D:01B:UN'\r\n"
		"FTX+A?'B??:C*D?*E+M\xfcller'\r\nUNT+3+1'\r\nUNZ+1+7'\r\n"
		"UNA|~.\\ ^UNB~UNOD|3~S~R~240101|1200~8^UNH~1~X|D|96A|UN^FTX~\xb1\\^^UNT~3~1^UNZ~1~8^",
		"UNB+UNOA:3+S+R+240101:1200+R1'UNG+X+S+R+240101:1200+G'UNH+1+X:D:96A:UN'bad+x'UNT+9+1'"
		"UNE+3+G'UNZ+2+R2'UNB+UNOY:3+S+R+240101:1200+R2'UNH+1+X:D:96A:UN'FTX+\xc3'",
		"UNA:+.? \nUNB+UNOA:3+S+R+240101:1200+7\r\n\r\nUNH+1+X:D:96A:UN\r\nUNT+2+1\r\nUNZ+1+7\r\n\x1a\x00",
	};
	struct edi_limits tight;
	edi_limits_default(&tight);
	tight.max_segment_len = 40;
	tight.max_element_len = 6;
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		size_t len = strlen(docs[i]) + (i == 3); /* the last keeps its NUL */
		for (int l = 0; l < 2; l++) {
			const struct edi_limits *lim = l ? &tight : NULL;
			char *whole = story(docs[i], len, 0, lim);
			for (size_t c = 1; c <= 37; c++) {
				char *part = story(docs[i], len, c, lim);
				if (strcmp(whole, part) != 0)
					ck_abort_msg("doc %zu, chunk %zu:\nwhole: %s\nchunk: %s", i, c, whole, part);
				free(part);
			}
			free(whole);
		}
	}
}
END_TEST

START_TEST(test_fd_reader)
{
	/* a big file through a descriptor: many messages, segments straddling reads */
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "UNA:+.? 'UNB+UNOC:3+S+R+240101:1200+7'\r\n");
	const int n = 3000;
	for (int i = 1; i <= n; i++)
		buf_printf(&b, "UNH+%d+ORDERS:D:96A:UN'\r\nFTX+AAI+++M\xfcller ?+ S\xf6hne %d'\r\nUNT+3+%d'\r\n", i, i, i);
	buf_printf(&b, "UNZ+%d+7'\r\n", n);
	char *dir = tu_tmpdir();
	char *path = xasprintf("%s/big.edi", dir);
	ck_assert_int_eq(tu_write(path, b.data, b.len), 0);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_fd(&rd, fd, NULL), 0);
	edi_reader_set_chunk_size(rd, 4093);
	struct rec *r = calloc(1, sizeof *r);
	struct edi_handler h = { 0 };
	h.ctx = r;
	h.interchange_end = r_ic_end;
	struct edi_file_summary sum;
	struct x12_error err;
	ck_assert_int_eq(edi_parse(rd, &h, &sum, &err), 0);
	ck_assert_uint_eq(sum.messages, (uint64_t)n);
	ck_assert_uint_eq(sum.rejected_messages, 0);
	ck_assert_uint_eq(sum.bytes, b.len);
	ck_assert_int_eq(r->ic[0].action, '7');
	char h2[65];
	sha256_hex(b.data, b.len - 2, h2);
	ck_assert_str_eq(r->ic[0].sha, h2);
	edi_reader_free(rd);
	close(fd);
	ck_assert_int_eq(edi_reader_new_fd(&rd, -1, NULL), -EBADF);
	rec_free(r);
	tu_rmtree(dir);
	free(dir);
	free(path);
	buf_free(&b);
}
END_TEST


START_TEST(test_api_edges)
{
	struct edi_reader *rd;
	ck_assert_int_eq(edi_reader_new_mem(&rd, NULL, 5, NULL), -EINVAL);
	ck_assert_ptr_null(rd);
	edi_reader_free(NULL);
	struct edi_view v;
	memset(&v, 0, sizeof v);
	ck_assert_int_eq(edi_view_build(&v, NULL), -EINVAL);
	struct edi_msg m;
	memset(&m, 0, sizeof m);
	ck_assert_int_eq(edi_view_build(&v, &m), 0); /* an empty message: an empty view */
	ck_assert_int_eq(v.txn.nseg, 0);
	edi_view_free(&v);
	ck_assert_ptr_null(edi_seg_val(NULL, 1, 1).p);
	/* a release character at the very end of the input: kept as data, noticed */
	int rc;
	const char *t = UNB_A "UNH+1+ORDERS:D:96A:UN'FTX+A?";
	struct rec *r = parse_ex(t, strlen(t), NULL, NULL, 0, &rc, NULL, NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert(strstr(r->m[0].dump, "FTX+A?\n") != NULL);
	ck_assert_str_eq(first(&r->m[0].errors), "2 13 UNT@3 0.0.0");
	int found = 0;
	for (int k = 0; k < r->nnotice && k < MAXR; k++)
		found |= strstr(r->notice[k], "release character before the end of the input") != NULL;
	ck_assert(found);
	rec_free(r);
	/* IATA: level A repertoire */
	r = parse_ok("UNA:+.? 'UNB+IATA:1+S+R+240101:1200+7'UNH+1+PAXLST:D:02B:UN:IATA'BGM+745'UNT+3+1'UNZ+1+7'");
	ck_assert_int_eq(r->ic[0].action, '7');
	ck_assert_int_eq(r->m[0].action, '7');
	ck_assert_str_eq(r->m[0].assoc, "IATA");
	rec_free(r);
	/* a message reference that is the UNH's as a number is the same reference */
	r = parse_ok(UNB_A "UNH+0001+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1'");
	ck_assert_int_eq(r->m[0].action, '7');
	rec_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("edifact");
	TCase *tc = tcase_create("reader");
	tcase_add_test(tc, test_orders_basic);
	tcase_add_test(tc, test_view);
	tcase_add_test(tc, test_defaults_and_sniff);
	tcase_add_test(tc, test_unoc_release_utf8);
	tcase_add_test(tc, test_release_other);
	tcase_add_test(tc, test_una_custom);
	tcase_add_test(tc, test_syntax4_repetition);
	tcase_add_test(tc, test_line_breaks);
	tcase_add_test(tc, test_data_before);
	tcase_add_test(tc, test_una_invalid);
	tcase_add_test(tc, test_several_interchanges);
	tcase_add_test(tc, test_level_b_defaults);
	tcase_add_test(tc, test_newline_terminator);
	tcase_add_test(tc, test_api_edges);
	suite_add_tcase(s, tc);
	tc = tcase_create("charsets");
	tcase_add_test(tc, test_charsets);
	tcase_add_test(tc, test_charset_position);
	tcase_add_test(tc, test_charset_relaxed);
	tcase_add_test(tc, test_unknown_syntax);
	suite_add_tcase(s, tc);
	tc = tcase_create("envelopes");
	tcase_add_test(tc, test_unt_count);
	tcase_add_test(tc, test_envelope_errors);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_missing_trailers);
	tcase_add_test(tc, test_skip_and_abort);
	tcase_add_test(tc, test_handler_abort);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_limit_file_size);
	tcase_add_test(tc, test_limit_segment_len);
	tcase_add_test(tc, test_limit_element_len);
	tcase_add_test(tc, test_limit_elements);
	tcase_add_test(tc, test_limit_components);
	tcase_add_test(tc, test_limit_repeats);
	tcase_add_test(tc, test_limit_segments_per_msg);
	tcase_add_test(tc, test_limit_msg_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("chunks");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_chunk_straddle);
	tcase_add_test(tc, test_fd_reader);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
