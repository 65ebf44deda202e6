/* check_x12 — ISA sniffing, the segment tokenizer, envelope validation and its codes,
 * limits (below/at/above), chunk straddling, interchange hashes. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "x12/x12.h"

/* ------------------------------------------------------------ fixtures */

/* A fixed-width ISA with '*' ':' '^' '~' as element, component, repetition, terminator. */
#define ISA_T "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:~"

/* One interchange, one group, one transaction set (4 segments), one segment per line. */
static const char *const GOOD =
	ISA_T "\n"
	"GS*PO*SENDER*RECEIVER*20240101*1200*1*X*005010~\n"
	"ST*850*0001~\n"
	"BEG*00*SA*PO1**20240101~\n"
	"PO1*1*2*EA*9.99**VN*ABC:DEF^GHI:JKL~\n"
	"SE*4*0001~\n"
	"GE*1*1~\n"
	"IEA*1*000000001~\n";

/* Replace the template separators '*' ':' '^' '~' in s by e, c, r, t. Allocated. */
static char *delims(const char *s, char e, char c, char r, char t)
{
	char *o = strdup(s);
	for (char *p = o; *p; p++) {
		if (*p == '*')
			*p = e;
		else if (*p == ':')
			*p = c;
		else if (*p == '^')
			*p = r;
		else if (*p == '~')
			*p = t;
	}
	return o;
}

/* Change one ISA field (1-based) of a fixed-width ISA template to v (same width). */
static char *isa_field(const char *doc, int field, const char *v)
{
	static const int start[17] = { 0, 4, 7, 18, 21, 32, 35, 51, 54, 70, 77, 82, 84, 90, 100, 102, 104 };
	char *o = strdup(doc);
	memcpy(o + start[field], v, strlen(v));
	return o;
}

/* ------------------------------------------------------------ recorder */

#define MAXR 64

struct txrec {
	char st01[4], st02[10];
	char status;
	char codes[5][5];
	size_t ncodes;
	uint64_t seg_count;
	int called; /* the transaction callback saw it */
	size_t nseg;
	struct x12_errlist errors;
};

struct grrec {
	char gcn[10];
	char status;
	uint64_t declared, received, accepted;
	int have_ge;
	char codes[5][5];
	size_t ncodes;
	struct x12_errlist errors;
};

struct icrec {
	char icn[10];
	char ta1_status, ta1_code[4];
	int envelope_ok, skipped;
	uint64_t declared_groups, groups, transactions, ta1_segments;
	char sha[65];
	struct x12_delims d;
	struct x12_errlist errors;
};

struct rec {
	int ntx, ngr, nic, nnotice, nbegin, ngbegin;
	struct txrec tx[MAXR];
	struct grrec gr[MAXR];
	struct icrec ic[MAXR];
	char notice[MAXR][160];
	uint64_t notice_line[MAXR];
	int skip_index;   /* interchange_begin returns X12_SKIP for this index (1-based) */
	int abort_at_txn; /* transaction returns -EIO for this set (1-based count) */
	int order_ok;     /* callbacks came in begin/end pairs */
	int open_ic, open_gr;
	char last_txn_first_elem[64];
};

static void copy_list(struct x12_errlist *dst, const struct x12_errlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		x12_errlist_add(dst, &src->v[i]);
	dst->dropped += src->dropped;
}

static int r_ic_begin(void *ctx, const struct x12_isa *isa)
{
	struct rec *r = ctx;
	r->nbegin++;
	if (r->open_ic)
		r->order_ok = 0;
	r->open_ic = 1;
	return (int)isa->index == r->skip_index ? X12_SKIP : 0;
}

static int r_gr_begin(void *ctx, const struct x12_isa *isa, const struct x12_gs *gs)
{
	struct rec *r = ctx;
	(void)isa;
	(void)gs;
	r->ngbegin++;
	if (!r->open_ic || r->open_gr)
		r->order_ok = 0;
	r->open_gr = 1;
	return 0;
}

static int r_txn(void *ctx, const struct x12_txn *t, struct x12_txn_result *res)
{
	struct rec *r = ctx;
	(void)res;
	if (r->ntx < MAXR) {
		r->tx[r->ntx].called = 1;
		r->tx[r->ntx].nseg = t->nseg;
	}
	if (t->nseg > 1) {
		struct span e = x12_tseg_elem(&t->segs[1], 1);
		snprintf(r->last_txn_first_elem, sizeof r->last_txn_first_elem, "%.*s", (int)e.n, e.p);
	}
	if (r->abort_at_txn && r->ntx + 1 == r->abort_at_txn)
		return -EIO;
	return 0;
}

static int r_txn_end(void *ctx, const struct x12_txn_result *res)
{
	struct rec *r = ctx;
	if (r->ntx >= MAXR)
		return 0;
	struct txrec *t = &r->tx[r->ntx++];
	memcpy(t->st01, res->st01, sizeof t->st01);
	memcpy(t->st02, res->st02, sizeof t->st02);
	t->status = res->status;
	memcpy(t->codes, res->codes, sizeof t->codes);
	t->ncodes = res->ncodes;
	t->seg_count = res->seg_count;
	copy_list(&t->errors, &res->errors);
	if (!r->open_gr)
		r->order_ok = 0;
	return 0;
}

static int r_gr_end(void *ctx, const struct x12_group_result *res)
{
	struct rec *r = ctx;
	if (!r->open_gr)
		r->order_ok = 0;
	r->open_gr = 0;
	if (r->ngr >= MAXR)
		return 0;
	struct grrec *g = &r->gr[r->ngr++];
	memcpy(g->gcn, res->gs.gcn, sizeof g->gcn);
	g->status = res->status;
	g->declared = res->declared;
	g->received = res->received;
	g->accepted = res->accepted;
	g->have_ge = res->have_ge;
	memcpy(g->codes, res->codes, sizeof g->codes);
	g->ncodes = res->ncodes;
	copy_list(&g->errors, &res->errors);
	return 0;
}

static int r_ic_end(void *ctx, const struct x12_interchange_result *res)
{
	struct rec *r = ctx;
	if (!r->open_ic || r->open_gr)
		r->order_ok = 0;
	r->open_ic = 0;
	if (r->nic >= MAXR)
		return 0;
	struct icrec *c = &r->ic[r->nic++];
	memcpy(c->icn, res->isa.icn, sizeof c->icn);
	c->ta1_status = res->ta1_status;
	memcpy(c->ta1_code, res->ta1_code, sizeof c->ta1_code);
	c->envelope_ok = res->envelope_ok;
	c->skipped = res->skipped;
	c->declared_groups = res->declared_groups;
	c->groups = res->groups;
	c->transactions = res->transactions;
	c->ta1_segments = res->ta1_segments;
	memcpy(c->sha, res->sha256, sizeof c->sha);
	c->d = res->isa.delims;
	copy_list(&c->errors, &res->errors);
	return 0;
}

static void r_notice(void *ctx, uint64_t line, const char *msg)
{
	struct rec *r = ctx;
	if (r->nnotice < MAXR) {
		snprintf(r->notice[r->nnotice], sizeof r->notice[0], "%s", msg);
		r->notice_line[r->nnotice] = line;
		r->nnotice++;
	}
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof *r);
	r->order_ok = 1;
}

static void rec_free(struct rec *r)
{
	for (int i = 0; i < r->ntx; i++)
		x12_errlist_free(&r->tx[i].errors);
	for (int i = 0; i < r->ngr; i++)
		x12_errlist_free(&r->gr[i].errors);
	for (int i = 0; i < r->nic; i++)
		x12_errlist_free(&r->ic[i].errors);
}

static struct x12_handler handler(struct rec *r)
{
	struct x12_handler h = { 0 };
	h.ctx = r;
	h.interchange_begin = r_ic_begin;
	h.group_begin = r_gr_begin;
	h.transaction = r_txn;
	h.transaction_end = r_txn_end;
	h.group_end = r_gr_end;
	h.interchange_end = r_ic_end;
	h.notice = r_notice;
	return h;
}

/* x12_parse over memory (chunk: bytes made visible per step, 0 = all). */
static int parse_mem(const char *data, size_t len, const struct x12_limits *lim, size_t chunk,
		     struct rec *r, struct x12_error *err, struct x12_file_summary *sum)
{
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, data, len, lim), 0);
	if (chunk)
		x12_reader_set_chunk_size(rd, chunk);
	struct x12_handler h = handler(r);
	struct x12_file_summary s;
	int rc = x12_parse(rd, &h, sum ? sum : &s, err);
	ck_assert(r->order_ok);
	ck_assert_int_eq(r->open_ic, 0);
	ck_assert_int_eq(r->open_gr, 0);
	x12_reader_free(rd);
	return rc;
}

/* Parse a NUL-terminated document with default limits; the error is checked to be absent. */
static void parse_ok(const char *doc, struct rec *r)
{
	struct x12_error err;
	rec_init(r);
	int rc = parse_mem(doc, strlen(doc), NULL, 0, r, &err, NULL);
	if (rc != 0 && err.msg)
		fprintf(stderr, "unexpected: %s\n", err.msg);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(err.msg);
}

/* The first error with this code in a list, or NULL. */
static const struct x12_error *find(const struct x12_errlist *l, const char *code)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].code, code) == 0)
			return &l->v[i];
	return NULL;
}

/* Tokenize a document fully from memory; the number of segments, their ids joined by ','. */
static size_t tokenize(const char *data, size_t len, char *ids, size_t idcap)
{
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, data, len, NULL), 0);
	struct x12_segment s;
	size_t n = 0;
	int rc;
	ids[0] = '\0';
	while ((rc = x12_reader_next(rd, &s)) == 1) {
		n++;
		snprintf(ids + strlen(ids), idcap - strlen(ids), "%s%s", n > 1 ? "," : "", s.id);
	}
	ck_assert_int_eq(rc, 0);
	x12_reader_free(rd);
	return n;
}

/* ------------------------------------------------------------ tokenizer */

START_TEST(test_limits_default)
{
	struct x12_limits l;
	x12_limits_default(&l);
	ck_assert_uint_eq(l.max_file_size, 512ull * 1024 * 1024);
	ck_assert_uint_eq(l.max_segment_len, 64 * 1024);
	ck_assert_uint_eq(l.max_element_len, 4096);
	ck_assert_uint_eq(l.max_elements, 512);
	ck_assert_uint_eq(l.max_segments_per_txn, 200000);
	ck_assert_uint_eq(l.max_txn_bytes, 64u * 1024 * 1024);
	ck_assert_uint_eq(l.max_loop_depth, 32);
}
END_TEST

START_TEST(test_tokenize_default)
{
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, GOOD, strlen(GOOD), NULL), 0);
	struct x12_segment s;
	ck_assert_int_eq(x12_reader_next(rd, &s), 1);
	ck_assert_str_eq(s.id, "ISA");
	ck_assert_uint_eq(s.nelem, 16);
	ck_assert(span_eq(x12_seg_elem(&s, 6), "SENDER         "));
	ck_assert(span_eq(x12_seg_elem(&s, 16), ":"));
	ck_assert_ptr_null(x12_seg_elem(&s, 17).p);
	const struct x12_delims *d = x12_reader_delims(rd);
	ck_assert_int_eq(d->elem, '*');
	ck_assert_int_eq(d->comp, ':');
	ck_assert_int_eq(d->rep, '^');
	ck_assert_int_eq(d->seg, '~');
	ck_assert_uint_eq(s.index, 1);
	ck_assert_uint_eq(s.line, 1);
	ck_assert_uint_eq(s.offset, 0);
	ck_assert_int_eq(x12_reader_next(rd, &s), 1);
	ck_assert_str_eq(s.id, "GS");
	ck_assert_uint_eq(s.line, 2);
	ck_assert_uint_eq(s.offset, 107);
	ck_assert_uint_eq(s.nelem, 8);
	ck_assert(span_eq(s.raw, "GS*PO*SENDER*RECEIVER*20240101*1200*1*X*005010"));
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(x12_reader_next(rd, &s), 1);
	ck_assert_str_eq(s.id, "PO1");
	ck_assert_uint_eq(s.line, 5);
	ck_assert_uint_eq(s.index, 5);
	ck_assert_uint_eq(s.nelem, 7);
	ck_assert(span_eq(x12_seg_elem(&s, 5), ""));
	struct span el = x12_seg_elem(&s, 7);
	ck_assert(span_eq(el, "ABC:DEF^GHI:JKL"));
	/* repetitions, then components of a repetition */
	ck_assert(span_eq(x12_repetition(el, '^', 1), "ABC:DEF"));
	ck_assert(span_eq(x12_repetition(el, '^', 2), "GHI:JKL"));
	ck_assert_ptr_null(x12_repetition(el, '^', 3).p);
	ck_assert(span_eq(x12_component(x12_repetition(el, '^', 2), ':', 2), "JKL"));
	ck_assert(span_eq(x12_component(el, ':', 1), "ABC"));
	ck_assert(span_eq(x12_component(el, ':', 3), "JKL"));
	ck_assert_ptr_null(x12_component(el, ':', 4).p);
	ck_assert_ptr_null(x12_component(el, ':', 0).p);
	ck_assert(span_eq(x12_repetition(el, 0, 1), "ABC:DEF^GHI:JKL"));
	ck_assert_ptr_null(x12_repetition(el, 0, 2).p);
	ck_assert_ptr_null(x12_component(SPAN_NULL, ':', 1).p);
	ck_assert(span_eq(x12_component(span_cstr(""), ':', 1), ""));
	ck_assert(span_eq(x12_component(span_cstr("A::"), ':', 3), ""));
	int n = 5;
	while (x12_reader_next(rd, &s) == 1)
		n++;
	ck_assert_int_eq(n, 8);
	ck_assert_str_eq(s.id, "IEA");
	ck_assert_uint_eq(x12_reader_offset(rd), strlen(GOOD));
	ck_assert_int_eq(x12_reader_next(rd, &s), 0);
	ck_assert_int_eq(x12_reader_next(rd, &s), 0);
	x12_reader_free(rd);
	x12_reader_free(NULL);
}
END_TEST

/* Non-default separators: element, component, repetition, terminator. */
START_TEST(test_custom_delims)
{
	static const char sets[][4] = {
		{ '|', '>', '^', '~' },   { '^', '|', '{', '\x1c' }, { '\x1d', '\x1f', '\x1e', '\x1c' },
		{ '|', '>', '^', '\n' },  { '!', '@', '#', '$' },    { '~', '^', '`', '_' },
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		char e = sets[i][0], c = sets[i][1], r = sets[i][2], t = sets[i][3];
		char *doc = delims(GOOD, e, c, r, t);
		struct rec rc;
		parse_ok(doc, &rc);
		ck_assert_int_eq(rc.nic, 1);
		ck_assert_int_eq(rc.ic[0].ta1_status, 'A');
		ck_assert_int_eq(rc.ic[0].d.elem, e);
		ck_assert_int_eq(rc.ic[0].d.comp, c);
		ck_assert_int_eq(rc.ic[0].d.rep, r);
		ck_assert_int_eq(rc.ic[0].d.seg, t);
		ck_assert_int_eq(rc.ntx, 1);
		ck_assert_int_eq(rc.tx[0].status, 'A');
		ck_assert_str_eq(rc.last_txn_first_elem, "00");
		rec_free(&rc);
		/* the composite element splits on the custom separators */
		struct x12_reader *rd;
		ck_assert_int_eq(x12_reader_new_mem(&rd, doc, strlen(doc), NULL), 0);
		struct x12_segment s;
		while (x12_reader_next(rd, &s) == 1 && strcmp(s.id, "PO1") != 0)
			;
		ck_assert_str_eq(s.id, "PO1");
		struct span el = x12_seg_elem(&s, 7);
		struct span rep2 = x12_repetition(el, x12_reader_delims(rd)->rep, 2);
		ck_assert(span_eq(x12_component(rep2, x12_reader_delims(rd)->comp, 1), "GHI"));
		x12_reader_free(rd);
		free(doc);
	}
}
END_TEST

START_TEST(test_bom_and_leading_whitespace)
{
	char *doc = xasprintf("\xef\xbb\xbf\r\n \t\n%s", GOOD);
	struct rec r;
	parse_ok(doc, &r);
	ck_assert_int_eq(r.nic, 1);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(r.ntx, 1);
	int bom = 0, ws = 0;
	for (int i = 0; i < r.nnotice; i++) {
		bom += strstr(r.notice[i], "byte order mark") != NULL;
		ws += strstr(r.notice[i], "whitespace or blank lines before the ISA") != NULL;
	}
	ck_assert_int_eq(bom, 1);
	ck_assert_int_eq(ws, 1);
	rec_free(&r);
	/* the ISA is on line 3 now: a finding on IEA says line 10 */
	char *bad = tu_replace(doc, "IEA*1*000000001", "IEA*1*000000002");
	struct x12_error err;
	rec_init(&r);
	ck_assert_int_eq(parse_mem(bad, strlen(bad), NULL, 0, &r, &err, NULL), 0);
	const struct x12_error *e = find(&r.ic[0].errors, "001");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->line, 10);
	ck_assert_uint_eq(e->file_seg, 8);
	rec_free(&r);
	free(bad);
	free(doc);
	/* a BOM anywhere but at the very start is not tolerated */
	doc = xasprintf("\n\xef\xbb\xbf%s", GOOD);
	rec_init(&r);
	ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "expected ISA, found '\\xef\\xbb\\xbf"));
	ck_assert_uint_eq(err.line, 2);
	ck_assert_uint_eq(err.offset, 1);
	x12_error_free(&err);
	rec_free(&r);
	free(doc);
}
END_TEST

START_TEST(test_crlf_after_terminators)
{
	char *doc = tu_replace(GOOD, "~\n", "~\r\n");
	struct rec r;
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ntx, 1);
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_uint_eq(r.tx[0].seg_count, 4);
	int n = 0;
	for (int i = 0; i < r.nnotice; i++)
		n += strstr(r.notice[i], "line breaks after segment terminators") != NULL;
	ck_assert_int_eq(n, 1); /* once per kind */
	rec_free(&r);
	/* positions still count lines */
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, doc, strlen(doc), NULL), 0);
	struct x12_segment s;
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(x12_reader_next(rd, &s), 1);
	ck_assert_str_eq(s.id, "BEG");
	ck_assert_uint_eq(s.line, 4);
	ck_assert(span_eq(x12_seg_elem(&s, 5), "20240101")); /* no CR in the data */
	x12_reader_free(rd);
	free(doc);
	/* blank lines and trailing spaces between segments */
	doc = tu_replace(GOOD, "~\n", "~  \r\n\r\n");
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ntx, 1);
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	free(doc);
}
END_TEST

START_TEST(test_newline_terminator)
{
	/* terminator LF: the LF ends segments, nothing else is eaten */
	char *doc = tu_replace(GOOD, "~\n", "\n");
	struct rec r;
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ic[0].d.seg, '\n');
	ck_assert_int_eq(r.ntx, 1);
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	char *d2 = tu_replace(doc, "BEG*00*SA*PO1**20240101\n", "BEG*00*SA*PO1**\n");
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, d2, strlen(d2), NULL), 0);
	struct x12_segment s;
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(x12_reader_next(rd, &s), 1);
	ck_assert_str_eq(s.id, "BEG");
	ck_assert_uint_eq(s.nelem, 5); /* trailing empty element kept */
	ck_assert(span_eq(x12_seg_elem(&s, 5), ""));
	ck_assert_uint_eq(s.line, 4);
	x12_reader_free(rd);
	free(d2);
	/* CR before the LF terminator is not data; blank lines are skipped */
	d2 = tu_replace(doc, "\n", "\r\n");
	char *d3 = xasprintf("%.*s%s", 106, doc, d2 + 107); /* the ISA itself ends in LF only */
	char *d4 = tu_replace(d3, "SE*4*0001\r\n", "SE*4*0001\r\n\r\n\n");
	parse_ok(d4, &r);
	ck_assert_int_eq(r.ic[0].d.seg, '\n');
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(r.gr[0].status, 'A');
	rec_free(&r);
	free(d2);
	free(d3);
	free(d4);
	/* CR as the terminator: LF after it is skipped */
	d2 = tu_replace(GOOD, "~\n", "\r\n");
	parse_ok(d2, &r);
	ck_assert_int_eq(r.ic[0].d.seg, '\r');
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	free(d2);
	free(doc);
}
END_TEST

/* Wrap a document at width columns (LF after every width bytes). */
static char *wrap(const char *s, size_t width, const char *eol)
{
	size_t n = strlen(s);
	char *o = calloc(1, n + (n / width + 1) * strlen(eol) + 1);
	char *w = o;
	for (size_t i = 0; i < n; i += width) {
		size_t k = n - i < width ? n - i : width;
		memcpy(w, s + i, k);
		w += k;
		if (k == width) {
			memcpy(w, eol, strlen(eol));
			w += strlen(eol);
		}
	}
	return o;
}

START_TEST(test_wrapped_80)
{
	/* the same document as one line and wrapped at 80 columns reads the same */
	char *flat = tu_replace(GOOD, "~\n", "~");
	char *two = xasprintf("%s%s", flat, flat); /* two interchanges */
	char *w = wrap(two, 80, "\n");
	char flat_ids[512], w_ids[512];
	size_t n1 = tokenize(two, strlen(two), flat_ids, sizeof flat_ids);
	size_t n2 = tokenize(w, strlen(w), w_ids, sizeof w_ids);
	ck_assert_uint_eq(n1, 16);
	ck_assert_uint_eq(n2, n1);
	ck_assert_str_eq(w_ids, flat_ids);
	struct rec r;
	parse_ok(w, &r);
	ck_assert_int_eq(r.nic, 2);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(r.ic[1].ta1_status, 'A');
	ck_assert_int_eq(r.ntx, 2);
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_int_eq(r.tx[1].status, 'A');
	ck_assert_str_eq(r.last_txn_first_elem, "00");
	int n = 0;
	for (int i = 0; i < r.nnotice; i++)
		n += strstr(r.notice[i], "wrapped") != NULL;
	ck_assert_int_eq(n, 1);
	rec_free(&r);
	/* CRLF wrapping too */
	char *wc = wrap(flat, 80, "\r\n");
	parse_ok(wc, &r);
	ck_assert_int_eq(r.ntx, 1);
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	/* the element values do not contain the line breaks */
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, w, strlen(w), NULL), 0);
	struct x12_segment s;
	while (x12_reader_next(rd, &s) == 1 && strcmp(s.id, "PO1") != 0)
		;
	ck_assert(span_eq(x12_seg_elem(&s, 7), "ABC:DEF^GHI:JKL"));
	x12_reader_free(rd);
	/* wrapping is only recognised from the ISA: a wrapped ISA that is not fixed width is fatal */
	char *bad = tu_replace(flat, "*ZZ*SENDER         *", "*ZZ*SENDER          *");
	char *wb = wrap(bad, 80, "\n");
	struct x12_error err;
	rec_init(&r);
	ck_assert_int_eq(parse_mem(wb, strlen(wb), NULL, 0, &r, &err, NULL), -EINVAL);
	ck_assert_str_eq(err.code, "026");
	ck_assert_ptr_nonnull(strstr(err.msg, "line break"));
	x12_error_free(&err);
	rec_free(&r);
	free(bad);
	free(wb);
	free(wc);
	free(w);
	free(two);
	free(flat);
}
END_TEST

START_TEST(test_isa11)
{
	struct rec r;
	/* alphanumeric ISA11 at 00402+: no repetition separator, a notice, accepted */
	char *doc = isa_field(GOOD, 11, "U");
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ic[0].d.rep, 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	int n = 0;
	for (int i = 0; i < r.nnotice; i++)
		n += strstr(r.notice[i], "ISA11 'U'") != NULL;
	ck_assert_int_eq(n, 1);
	rec_free(&r);
	free(doc);
	/* 00402 and on: the repetition separator */
	doc = isa_field(GOOD, 12, "00402");
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ic[0].d.rep, '^');
	rec_free(&r);
	free(doc);
	/* before 00402 ISA11 is the standards identifier: no repetition separator */
	doc = isa_field(GOOD, 12, "00401");
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ic[0].d.rep, 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	rec_free(&r);
	free(doc);
	char *u = isa_field(GOOD, 11, "U");
	doc = isa_field(u, 12, "00401");
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ic[0].d.rep, 0);
	ck_assert_int_eq(r.nnotice, 1); /* only the CRLF one: 'U' before 00402 is normal */
	rec_free(&r);
	free(doc);
	free(u);
}
END_TEST

/* A document whose ISA (106 bytes) is replaced by isa; the rest of GOOD follows. */
static char *with_isa(const char *isa)
{
	return xasprintf("%s\n%s", isa, GOOD + 107);
}

START_TEST(test_separators_invalid)
{
	struct rec r;
	struct x12_error err;
	/* interchange-level: component separator equal to the terminator, alphanumeric, equal to ISA11 */
	static const struct {
		const char *isa16;
		const char *code;
	} comp[] = { { "~", "027" }, { "A", "027" }, { "^", "027" }, { " ", "027" } };
	for (size_t i = 0; i < sizeof comp / sizeof comp[0]; i++) {
		char *doc = isa_field(GOOD, 16, comp[i].isa16);
		rec_init(&r);
		ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), 0);
		ck_assert_int_eq(r.nic, 1);
		ck_assert_int_eq(r.ic[0].ta1_status, 'R');
		ck_assert_str_eq(r.ic[0].ta1_code, comp[i].code);
		const struct x12_error *e = find(&r.ic[0].errors, comp[i].code);
		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(e->seg_id, "ISA");
		ck_assert_int_eq(e->elem_pos, 16);
		ck_assert_uint_eq(e->line, 1);
		rec_free(&r);
		free(doc);
	}
	/* repetition separator equal to the terminator */
	char *doc = isa_field(GOOD, 11, "~");
	rec_init(&r);
	ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), 0);
	ck_assert_str_eq(r.ic[0].ta1_code, "004");
	ck_assert_int_eq(find(&r.ic[0].errors, "004")->elem_pos, 11);
	ck_assert_int_eq(r.ic[0].d.rep, 0);
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	free(doc);
	doc = isa_field(GOOD, 11, ":"); /* ISA11 = ISA16 */
	rec_init(&r);
	ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), 0);
	ck_assert_str_eq(r.ic[0].ta1_code, "027");
	ck_assert_int_eq(r.ic[0].d.rep, 0);
	rec_free(&r);
	free(doc);
	/* fatal: the element separator or terminator is unusable */
	static const struct {
		const char *isa;
		const char *code;
		const char *msg;
	} fatal[] = {
		{ "ISAA00A          A00A          AZZASENDER         AZZARECEIVER       A240101A1200A^A00501A000000001A0APA:~",
		  "026", "invalid element separator 'A'" },
		{ "ISA 00           00           ZZ SENDER          ZZ RECEIVER        240101 1200 ^ 00501 000000001 0 P :~",
		  "026", "invalid element separator ' '" },
		{ "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:X",
		  "004", "invalid segment terminator 'X'" },
		{ "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:*",
		  "004", "invalid segment terminator '*'" },
		{ "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:\xe2",
		  "004", "invalid segment terminator '\\xe2'" },
	};
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
		doc = with_isa(fatal[i].isa);
		rec_init(&r);
		ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), -EINVAL);
		ck_assert_int_eq(r.nic, 0);
		ck_assert_str_eq(err.code, fatal[i].code);
		ck_assert_ptr_nonnull(strstr(err.msg, fatal[i].msg));
		ck_assert_uint_eq(err.line, 1);
		ck_assert_uint_eq(err.offset, 0);
		x12_error_free(&err);
		rec_free(&r);
		free(doc);
	}
}
END_TEST

START_TEST(test_not_x12)
{
	struct rec r;
	struct x12_error err;
	static const struct {
		const char *data;
		size_t len;
		const char *msg;
	} cases[] = {
		{ "hello world\n", 12, "not X12: expected ISA, found 'hello world\\n'" },
		{ "\x00\x01\x02\xff", 4, "expected ISA, found '\\x00\\x01\\x02\\xff'" },
		{ "UNA:+.? 'UNB+UNOC:3+A+B'", 24, "expected ISA, found 'UNA:+.? 'UNB+UNOC:3+...'" },
		{ "", 0, "the input is empty" },
		{ " \r\n\t", 4, "the input is empty" },
		{ "ISA*00*", 7, "truncated ISA segment" },
		{ "IS", 2, "expected ISA, found 'IS'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rec_init(&r);
		ck_assert_int_eq(parse_mem(cases[i].data, cases[i].len, NULL, 0, &r, &err, NULL), -EINVAL);
		ck_assert_ptr_nonnull(err.msg);
		if (!strstr(err.msg, cases[i].msg))
			ck_abort_msg("case %zu: '%s' does not contain '%s'", i, err.msg, cases[i].msg);
		ck_assert_int_eq(r.nic, 0);
		ck_assert_int_eq(err.scope, X12_SCOPE_INTERCHANGE);
		x12_error_free(&err);
		rec_free(&r);
	}
	/* garbage after a good interchange: that one is processed, then the error says where */
	char *doc = xasprintf("%s\r\nthis is not EDI", GOOD);
	rec_init(&r);
	ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), -EINVAL);
	ck_assert_int_eq(r.nic, 1);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(r.ntx, 1);
	ck_assert_uint_eq(err.line, 10);
	ck_assert_uint_eq(err.offset, strlen(GOOD) + 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "expected ISA, found 'this is not EDI'"));
	char *dsc = x12_error_describe(&err);
	ck_assert_ptr_nonnull(strstr(dsc, "line 10"));
	free(dsc);
	x12_error_free(&err);
	rec_free(&r);
	free(doc);
	/* a GS after the IEA is not resynchronised on */
	doc = xasprintf("%sGS*PO*A*B*20240101*1200*2*X*005010~\n", GOOD);
	rec_init(&r);
	ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), -EINVAL);
	ck_assert_int_eq(r.nic, 1);
	ck_assert_uint_eq(err.line, 9);
	x12_error_free(&err);
	rec_free(&r);
	free(doc);
	/* "ISA" inside data is never searched for */
	doc = xasprintf("junk ISA*%s", GOOD + 4);
	rec_init(&r);
	ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), -EINVAL);
	ck_assert_int_eq(r.nic, 0);
	x12_error_free(&err);
	rec_free(&r);
	free(doc);
}
END_TEST

START_TEST(test_trailing_tolerances)
{
	struct rec r;
	/* NUL and Ctrl-Z padding after the last IEA */
	size_t n = strlen(GOOD);
	char *doc = calloc(1, n + 8);
	memcpy(doc, GOOD, n);
	doc[n + 1] = 0x1a;
	struct x12_error err;
	rec_init(&r);
	ck_assert_int_eq(parse_mem(doc, n + 5, NULL, 0, &r, &err, NULL), 0);
	ck_assert_int_eq(r.nic, 1);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	int k = 0;
	for (int i = 0; i < r.nnotice; i++)
		k += strstr(r.notice[i], "padding") != NULL;
	ck_assert_int_eq(k, 1);
	rec_free(&r);
	free(doc);
	/* a last segment with no terminator */
	doc = strdup(GOOD);
	doc[n - 2] = '\0';
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	k = 0;
	for (int i = 0; i < r.nnotice; i++)
		k += strstr(r.notice[i], "no terminator") != NULL;
	ck_assert_int_eq(k, 1);
	rec_free(&r);
	free(doc);
	/* empty segments */
	doc = tu_replace(GOOD, "BEG*00*SA*PO1**20240101~", "BEG*00*SA*PO1**20240101~~");
	parse_ok(doc, &r);
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_uint_eq(r.tx[0].seg_count, 4);
	rec_free(&r);
	free(doc);
}
END_TEST

/* ------------------------------------------------------------ envelopes */

START_TEST(test_good_interchange)
{
	struct rec r;
	struct x12_file_summary sum;
	struct x12_error err;
	rec_init(&r);
	ck_assert_int_eq(parse_mem(GOOD, strlen(GOOD), NULL, 0, &r, &err, &sum), 0);
	ck_assert_int_eq(r.nic, 1);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_str_eq(r.ic[0].ta1_code, "000");
	ck_assert_int_eq(r.ic[0].envelope_ok, 1);
	ck_assert_uint_eq(r.ic[0].groups, 1);
	ck_assert_uint_eq(r.ic[0].declared_groups, 1);
	ck_assert_uint_eq(r.ic[0].transactions, 1);
	ck_assert_int_eq(r.ngr, 1);
	ck_assert_int_eq(r.gr[0].status, 'A');
	ck_assert_uint_eq(r.gr[0].declared, 1);
	ck_assert_uint_eq(r.gr[0].received, 1);
	ck_assert_uint_eq(r.gr[0].accepted, 1);
	ck_assert_int_eq(r.gr[0].have_ge, 1);
	ck_assert_int_eq(r.ntx, 1);
	ck_assert_str_eq(r.tx[0].st01, "850");
	ck_assert_str_eq(r.tx[0].st02, "0001");
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_int_eq(r.tx[0].called, 1);
	ck_assert_uint_eq(r.tx[0].nseg, 4);
	ck_assert_uint_eq(r.tx[0].seg_count, 4);
	ck_assert_uint_eq(sum.interchanges, 1);
	ck_assert_uint_eq(sum.groups, 1);
	ck_assert_uint_eq(sum.transactions, 1);
	ck_assert_uint_eq(sum.segments, 8);
	ck_assert_uint_eq(sum.bytes, strlen(GOOD));
	ck_assert_uint_eq(sum.rejected_interchanges + sum.rejected_groups + sum.rejected_transactions, 0);
	/* sha256 over ISA through the IEA's terminator */
	char h[65];
	sha256_hex(GOOD, strlen(GOOD) - 1, h);
	ck_assert_str_eq(r.ic[0].sha, h);
	rec_free(&r);
}
END_TEST

/* The transaction set as the handler sees it. */
static int seg_dump_txn(void *ctx, const struct x12_txn *t, struct x12_txn_result *res)
{
	struct buf *b = ctx;
	(void)res;
	buf_printf(b, "%s/%s/%s idx=%llu nseg=%zu isa=%s gs=%s d=%c:", t->st01, t->st02, t->st03,
		   (unsigned long long)t->index, t->nseg, t->isa->icn, t->gs->gcn, t->delims->elem);
	for (size_t i = 0; i < t->nseg; i++) {
		buf_printf(b, " %s@%llu(", t->segs[i].id, (unsigned long long)t->segs[i].line);
		for (size_t k = 1; k <= t->segs[i].nelem; k++) {
			struct span e = x12_tseg_elem(&t->segs[i], k);
			buf_printf(b, "%s%.*s", k > 1 ? "|" : "", (int)e.n, e.p);
		}
		ck_assert_ptr_null(x12_tseg_elem(&t->segs[i], t->segs[i].nelem + 1).p);
		buf_puts(b, ")");
	}
	buf_puts(b, "\n");
	return 0;
}

START_TEST(test_txn_segments)
{
	char *doc = tu_replace(GOOD, "ST*850*0001~", "ST*850*0001*005010X220A1~");
	struct buf b;
	buf_init(&b, 0);
	struct x12_handler h = { 0 };
	h.ctx = &b;
	h.transaction = seg_dump_txn;
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, doc, strlen(doc), NULL), 0);
	struct x12_error err;
	ck_assert_int_eq(x12_parse(rd, &h, NULL, &err), 0);
	ck_assert_str_eq(b.data, "850/0001/005010X220A1 idx=1 nseg=4 isa=000000001 gs=1 d=*: "
				 "ST@3(850|0001|005010X220A1) BEG@4(00|SA|PO1||20240101) "
				 "PO1@5(1|2|EA|9.99||VN|ABC:DEF^GHI:JKL) SE@6(4|0001)\n");
	x12_reader_free(rd);
	buf_free(&b);
	free(doc);
}
END_TEST

/* Parse a variant of GOOD (from -> to) and return the recorder. */
static void variant(struct rec *r, const char *from, const char *to)
{
	char *doc = tu_replace(GOOD, from, to);
	ck_assert_str_ne(doc, GOOD);
	parse_ok(doc, r);
	free(doc);
}

START_TEST(test_interchange_errors)
{
	static const struct {
		const char *from, *to;
		const char *code;
		const char *seg;
		int elem;
		uint64_t line;
	} cases[] = {
		{ "IEA*1*000000001", "IEA*1*000000002", "001", "IEA", 2, 8 },
		{ "IEA*1*000000001", "IEA*1*ABC", "001", "IEA", 2, 8 },
		{ "IEA*1*000000001", "IEA*2*000000001", "021", "IEA", 1, 8 },
		{ "IEA*1*000000001", "IEA*X*000000001", "021", "IEA", 1, 8 },
		{ "*000000001*0*P", "*00000001A*0*P", "018", "ISA", 13, 1 },
		{ "*000000001*0*P", "*000000001*2*P", "019", "ISA", 14, 1 },
		{ "*000000001*0*P", "*000000001*0*X", "020", "ISA", 15, 1 },
		{ "*00501*", "*0050A*", "017", "ISA", 12, 1 },
		{ "*ZZ*SENDER  ", "*  *SENDER  ", "005", "ISA", 5, 1 },
		{ "*SENDER         *", "*               *", "006", "ISA", 6, 1 },
		{ "*ZZ*RECEIVER", "*Z!*RECEIVER", "007", "ISA", 7, 1 },
		{ "*RECEIVER       *", "*               *", "008", "ISA", 8, 1 },
		{ "*240101*1200*", "*240230*1200*", "014", "ISA", 9, 1 },
		{ "*240101*1200*", "*24010A*1200*", "014", "ISA", 9, 1 },
		{ "*240101*1200*", "*240101*2400*", "015", "ISA", 10, 1 },
		{ "*240101*1200*", "*240101*1260*", "015", "ISA", 10, 1 },
		{ "ISA*00*", "ISA*0A*", "010", "ISA", 1, 1 },
		{ "*00*          *ZZ", "*X0*          *ZZ", "012", "ISA", 3, 1 },
		/* widths: the field named */
		{ "*ZZ*SENDER         *", "*ZZ*SENDER        *", "006", "ISA", 6, 1 },
		{ "*RECEIVER       *", "*RECEIVER        *", "008", "ISA", 8, 1 },
		{ "ISA*00*          *", "ISA*00* *", "011", "ISA", 2, 1 },
		/* structure */
		{ "GS*PO*SENDER*RECEIVER*20240101*1200*1*X*005010~\n", "", "022", "ST", 0, 2 },
		{ "SE*4*0001~\nGE*1*1~\n", "SE*4*0001~\nGE*1*1~\nGE*1*1~\n", "022", "GE", 0, 8 },
		{ "GE*1*1~\n", "GE*1*1~\nSE*1*0001~\n", "022", "SE", 0, 8 },
		{ "GE*1*1~\n", "GE*1*1~\nREF*ZZ*X~\n", "024", "REF", 0, 8 },
		{ "GE*1*1~\n", "GE*1*1~\nTA1*000000001*240101*1200*A*000~\n", "024", "TA1", 0, 8 },
		{ "GS*PO*SENDER*RECEIVER*20240101*1200*1*X*005010~\n", "N1*ST*X~\nGS*PO*SENDER*RECEIVER*20240101*1200*1*X*005010~\n", "024", "N1", 0, 2 },
		{ "IEA*1*000000001~\n", "", "023", "IEA", 0, 0 },
		/* GS segment content: TA1 024 */
		{ "*20240101*1200*1*X", "*240101*1200*1*X", "024", "GS", 4, 2 },
		{ "*20240101*1200*1*X", "*20240101*1261*1*X", "024", "GS", 5, 2 },
		{ "*20240101*1200*1*X", "*20240101*1200*1**", "024", "GS", 7, 2 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rec r;
		variant(&r, cases[i].from, cases[i].to);
		ck_assert_int_eq(r.nic, 1);
		if (r.ic[0].ta1_status != 'R' || strcmp(r.ic[0].ta1_code, cases[i].code) != 0)
			ck_abort_msg("case %zu: TA1 %c %s, expected R %s", i, r.ic[0].ta1_status,
				     r.ic[0].ta1_code, cases[i].code);
		ck_assert_int_eq(r.ic[0].envelope_ok, 0);
		const struct x12_error *e = find(&r.ic[0].errors, cases[i].code);
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->scope, X12_SCOPE_INTERCHANGE);
		ck_assert_str_eq(e->seg_id, cases[i].seg);
		ck_assert_int_eq(e->elem_pos, cases[i].elem);
		ck_assert_uint_eq(e->line, cases[i].line);
		ck_assert_ptr_nonnull(e->msg);
		ck_assert(strlen(e->msg) > 10);
		rec_free(&r);
	}
	/* numeric comparison: IEA02 "1" equals ISA13 "000000001" */
	struct rec r;
	variant(&r, "IEA*1*000000001", "IEA*1*1");
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	rec_free(&r);
	/* GS04 YYMMDD before 004010 is right */
	variant(&r, "*20240101*1200*1*X*005010", "*240101*1200*1*X*003040");
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	rec_free(&r);
	/* an inbound TA1 before the first GS */
	variant(&r, "GS*PO", "TA1*000000007*240101*1200*A*000~\nTA1*000000008*240101*1200*A*000~\nGS*PO");
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_uint_eq(r.ic[0].ta1_segments, 2);
	rec_free(&r);
	/* interchange service segments before the first GS */
	variant(&r, "GS*PO", "ISB*1~\nISE*240102*0900*04~\nGS*PO");
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_uint_eq(r.ic[0].ta1_segments, 0);
	rec_free(&r);
	variant(&r, "IEA*1", "ISB*1~\nIEA*1");
	ck_assert_str_eq(r.ic[0].ta1_code, "024");
	ck_assert_str_eq(find(&r.ic[0].errors, "024")->seg_id, "ISB");
	rec_free(&r);
	/* a TA1-only interchange */
	char *doc = xasprintf("%.107sTA1*000000007*240101*1200*A*000~\nIEA*0*000000001~\n", GOOD);
	parse_ok(doc, &r);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_uint_eq(r.ic[0].ta1_segments, 1);
	ck_assert_uint_eq(r.ic[0].groups, 0);
	rec_free(&r);
	free(doc);
}
END_TEST

START_TEST(test_group_errors)
{
	static const struct {
		const char *from, *to;
		const char *code;
		int elem;
		uint64_t declared, received, accepted;
	} cases[] = {
		{ "GE*1*1~", "GE*1*2~", "4", 2, 1, 1, 1 },
		{ "GE*1*1~", "GE*2*1~", "5", 1, 2, 1, 1 },
		{ "GE*1*1~", "GE*A*1~", "5", 1, 1, 1, 1 },
		{ "*1200*1*X*", "*1200*A1*X*", "6", 6, 1, 1, 1 },
		{ "*1200*1*X*", "*1200*1234567890*X*", "6", 6, 1, 1, 1 },
		{ "GE*1*1~\n", "", "3", 0, 1, 1, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rec r;
		variant(&r, cases[i].from, cases[i].to);
		ck_assert_int_eq(r.ngr, 1);
		if (r.gr[0].status != 'R' || r.gr[0].ncodes < 1 || strcmp(r.gr[0].codes[0], cases[i].code))
			ck_abort_msg("case %zu: AK9 %c %s", i, r.gr[0].status, r.gr[0].ncodes ? r.gr[0].codes[0] : "-");
		const struct x12_error *e = find(&r.gr[0].errors, cases[i].code);
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->scope, X12_SCOPE_GROUP);
		ck_assert_int_eq(e->elem_pos, cases[i].elem);
		ck_assert_uint_eq(r.gr[0].declared, cases[i].declared);
		ck_assert_uint_eq(r.gr[0].received, cases[i].received);
		ck_assert_uint_eq(r.gr[0].accepted, cases[i].accepted);
		/* a group error is not an interchange error, except a missing GE with IEA right after */
		if (strcmp(cases[i].code, "3") != 0)
			ck_assert_int_eq(r.ic[0].ta1_status, 'A');
		rec_free(&r);
	}
	/* GE02 compared numerically */
	struct rec r;
	variant(&r, "GE*1*1~", "GE*1*000001~");
	ck_assert_int_eq(r.gr[0].status, 'A');
	rec_free(&r);
	/* missing GE: AK902 is the number received */
	variant(&r, "GE*1*1~\n", "ST*850*0002~\nBEG*00*SA*PO2**20240101~\nSE*3*0002~\n");
	ck_assert_int_eq(r.gr[0].status, 'R');
	ck_assert_int_eq(r.gr[0].have_ge, 0);
	ck_assert_uint_eq(r.gr[0].declared, 2);
	ck_assert_uint_eq(r.gr[0].received, 2);
	ck_assert_uint_eq(r.gr[0].accepted, 2);
	rec_free(&r);
}
END_TEST

/* A GS06 used twice in one interchange is reported (notice, with the line); the groups
 * are still read. The same GS06 in the next interchange is fine. */
START_TEST(test_gs06_reused)
{
	static const char *grp = "GS*PO*SENDER*RECEIVER*20240101*1200*1*X*005010~\n"
				 "ST*850*0002~\nBEG*00*SA*PO2**20240101~\nSE*3*0002~\nGE*1*1~\n";
	char *two = tu_replace(GOOD, "IEA*1*", "");
	char *doc = NULL;
	/* GOOD without its IEA, a second group with GS06 1, IEA 2; then GOOD again */
	char *cut = strstr(two, "000000001~\n");
	ck_assert_ptr_nonnull(cut);
	*cut = '\0';
	ck_assert_int_gt(asprintf(&doc, "%s%sIEA*2*000000001~\n%s", two, grp, GOOD), 0);
	struct rec r;
	parse_ok(doc, &r);
	ck_assert_int_eq(r.nic, 2);
	ck_assert_int_eq(r.ngr, 3);
	ck_assert_int_eq(r.gr[1].status, 'A');
	int hits = 0;
	for (int i = 0; i < r.nnotice; i++)
		if (strstr(r.notice[i], "GS06 1 is used by an earlier functional group of interchange 000000001")) {
			hits++;
			ck_assert_uint_eq(r.notice_line[i], 8);
		}
	ck_assert_int_eq(hits, 1);
	rec_free(&r);
	free(doc);
	free(two);
}
END_TEST

START_TEST(test_txn_errors)
{
	static const struct {
		const char *from, *to;
		const char *code;
		enum x12_scope scope;
		const char *seg;
		uint64_t seg_pos;
		int elem;
	} cases[] = {
		{ "SE*4*0001", "SE*4*0002", "3", X12_SCOPE_TXN, "SE", 4, 2 },
		{ "SE*4*0001", "SE*5*0001", "4", X12_SCOPE_TXN, "SE", 4, 1 },
		{ "SE*4*0001", "SE*3*0001", "4", X12_SCOPE_TXN, "SE", 4, 1 },
		{ "SE*4*0001", "SE**0001", "4", X12_SCOPE_TXN, "SE", 4, 1 },
		{ "SE*4*0001~\n", "", "2", X12_SCOPE_TXN, "SE", 4, 0 },
		{ "ST*850*0001", "ST*850*001", "7", X12_SCOPE_TXN, "ST", 1, 2 },
		{ "ST*850*0001", "ST*850*0123456789", "7", X12_SCOPE_TXN, "ST", 1, 2 },
		{ "ST*850*0001", "ST*850", "7", X12_SCOPE_TXN, "ST", 1, 2 },
		{ "ST*850*0001", "ST*85*0001", "6", X12_SCOPE_TXN, "ST", 1, 1 },
		{ "ST*850*0001", "ST**0001", "6", X12_SCOPE_TXN, "ST", 1, 1 },
		{ "BEG*00", "beg*00", "1", X12_SCOPE_SEGMENT, "beg", 2, 0 },
		{ "BEG*00", "BEGX*00", "1", X12_SCOPE_SEGMENT, "", 2, 0 },
		{ "BEG*00", "B*00", "1", X12_SCOPE_SEGMENT, "B", 2, 0 },
		{ "BEG*00", "B#G*00", "1", X12_SCOPE_SEGMENT, "", 2, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rec r;
		variant(&r, cases[i].from, cases[i].to);
		if (r.ntx < 1 || r.tx[0].status != 'R')
			ck_abort_msg("case %zu: not rejected", i);
		const struct x12_error *e = find(&r.tx[0].errors, cases[i].code);
		if (!e)
			ck_abort_msg("case %zu: no code %s", i, cases[i].code);
		ck_assert_int_eq(e->scope, cases[i].scope);
		ck_assert_str_eq(e->seg_id, cases[i].seg);
		ck_assert_uint_eq(e->seg_pos, cases[i].seg_pos);
		ck_assert_int_eq(e->elem_pos, cases[i].elem);
		const char *ak5 = cases[i].scope == X12_SCOPE_TXN ? cases[i].code : "5";
		int have = 0;
		for (size_t k = 0; k < r.tx[0].ncodes; k++)
			have |= strcmp(r.tx[0].codes[k], ak5) == 0;
		ck_assert(have);
		ck_assert_int_eq(r.gr[0].status, 'R');
		ck_assert_uint_eq(r.gr[0].accepted, 0);
		rec_free(&r);
	}
	/* SE01 compared numerically */
	struct rec r;
	variant(&r, "SE*4*0001", "SE*0004*0001");
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	/* ST02 reused within the group: the second set is rejected with 23 */
	variant(&r, "GE*1*1~", "ST*850*0001~\nSE*2*0001~\nST*850*0002~\nSE*2*0002~\nGE*3*1~");
	ck_assert_int_eq(r.ntx, 3);
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_int_eq(r.tx[1].status, 'R');
	ck_assert_str_eq(r.tx[1].codes[0], "23");
	ck_assert_ptr_nonnull(find(&r.tx[1].errors, "23"));
	ck_assert_int_eq(r.tx[2].status, 'A');
	ck_assert_int_eq(r.gr[0].status, 'P');
	rec_free(&r);
	/* the same ST02 in another group is fine */
	variant(&r, "IEA*1*", "GS*PO*SENDER*RECEIVER*20240101*1200*2*X*005010~\nST*850*0001~\nSE*2*0001~\n"
			      "GE*1*2~\nIEA*2*");
	ck_assert_int_eq(r.ntx, 2);
	ck_assert_int_eq(r.tx[1].status, 'A');
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	rec_free(&r);
}
END_TEST

START_TEST(test_group_partial)
{
	struct rec r;
	/* one good and one bad set: AK9 P, 2 received, 1 accepted */
	variant(&r, "GE*1*1~", "ST*850*0002~\nBEG*00*SA*PO2**20240101~\nSE*9*0002~\nGE*2*1~");
	ck_assert_int_eq(r.ntx, 2);
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_int_eq(r.tx[1].status, 'R');
	ck_assert_str_eq(r.tx[1].codes[0], "4");
	ck_assert_int_eq(r.gr[0].status, 'P');
	ck_assert_uint_eq(r.gr[0].declared, 2);
	ck_assert_uint_eq(r.gr[0].received, 2);
	ck_assert_uint_eq(r.gr[0].accepted, 1);
	ck_assert_uint_eq(r.gr[0].ncodes, 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	rec_free(&r);
	/* none accepted: R */
	variant(&r, "SE*4*0001~\nGE*1*1~", "SE*5*0001~\nST*850*0002~\nSE*9*0002~\nGE*2*1~");
	ck_assert_int_eq(r.gr[0].status, 'R');
	ck_assert_uint_eq(r.gr[0].received, 2);
	ck_assert_uint_eq(r.gr[0].accepted, 0);
	rec_free(&r);
}
END_TEST

START_TEST(test_two_interchanges_first_broken)
{
	char *second = tu_replace(GOOD, "000000001", "000000002");
	static const struct {
		const char *from, *to;
		const char *code;
		uint64_t line; /* of the finding */
	} broken[] = {
		{ "IEA*1*000000001", "IEA*1*000000009", "001", 8 },
		{ "IEA*1*000000001~\n", "", "023", 8 },                             /* the next ISA ends it */
		{ "SE*4*0001~\nGE*1*1~\nIEA*1*000000001~\n", "", "023", 6 },       /* no SE, GE, IEA */
		{ "*000000001*0*P", "*000000001*0*Q", "020", 1 },
		{ "PO1*1*2", "PO1*1*2\x01\x02\xff", "000", 0 },                     /* binary in a set */
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		char *first = tu_replace(GOOD, broken[i].from, broken[i].to);
		char *doc = xasprintf("%s%s", first, second);
		struct rec r;
		parse_ok(doc, &r);
		ck_assert_int_eq(r.nic, 2);
		if (strcmp(broken[i].code, "000") != 0) {
			ck_assert_int_eq(r.ic[0].ta1_status, 'R');
			ck_assert_str_eq(r.ic[0].ta1_code, broken[i].code);
			const struct x12_error *e = find(&r.ic[0].errors, broken[i].code);
			ck_assert_uint_eq(e->line, broken[i].line);
		}
		ck_assert_int_eq(r.ic[1].ta1_status, 'A');
		ck_assert_str_eq(r.ic[1].icn, "000000002");
		ck_assert_int_eq(r.tx[r.ntx - 1].status, 'A');
		ck_assert_int_eq(r.gr[r.ngr - 1].status, 'A');
		/* the hash of the second interchange covers exactly its bytes */
		char h[65];
		sha256_hex(second, strlen(second) - 1, h);
		ck_assert_str_eq(r.ic[1].sha, h);
		/* without IEA, the first one's hash runs to the byte before the next ISA */
		if (strcmp(broken[i].code, "023") == 0)
			sha256_hex(first, strlen(first), h);
		else
			sha256_hex(first, strlen(first) - 1, h);
		ck_assert_str_eq(r.ic[0].sha, h);
		rec_free(&r);
		free(doc);
		free(first);
	}
	/* SE and GE missing when the next ISA comes: closed with their codes, where the ISA is */
	char *first = tu_replace(GOOD, "SE*4*0001~\nGE*1*1~\nIEA*1*000000001~\n", "");
	char *doc = xasprintf("%s%s", first, second);
	struct rec r;
	parse_ok(doc, &r);
	ck_assert_str_eq(r.tx[0].codes[0], "2");
	ck_assert_str_eq(r.gr[0].codes[0], "3");
	const struct x12_error *e = find(&r.ic[0].errors, "023");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->line, 6);
	ck_assert_uint_eq(e->file_seg, 6);
	e = find(&r.tx[0].errors, "2");
	ck_assert_uint_eq(e->line, 6);
	ck_assert_uint_eq(e->seg_pos, 4);
	rec_free(&r);
	free(doc);
	/* the next interchange may use other delimiters: they are sniffed again at the boundary */
	char *other = delims(second, '|', '>', '^', '\n');
	doc = xasprintf("%s%s", first, other);
	parse_ok(doc, &r);
	ck_assert_int_eq(r.nic, 2);
	ck_assert_int_eq(r.ic[1].d.elem, '|');
	ck_assert_int_eq(r.ic[1].d.seg, '\n');
	ck_assert_int_eq(r.ic[1].ta1_status, 'A');
	ck_assert_int_eq(r.tx[1].status, 'A');
	rec_free(&r);
	free(doc);
	free(other);
	free(first);
	free(second);
}
END_TEST

START_TEST(test_skip_interchange)
{
	char *second = tu_replace(GOOD, "000000001", "000000002");
	char *doc = xasprintf("%s%s", GOOD, second);
	struct rec r;
	rec_init(&r);
	r.skip_index = 1;
	struct x12_error err;
	ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, 0, &r, &err, NULL), 0);
	ck_assert_int_eq(r.nbegin, 2);
	ck_assert_int_eq(r.nic, 2);
	ck_assert_int_eq(r.ic[0].skipped, 1);
	ck_assert_int_eq(r.ic[1].skipped, 0);
	ck_assert_int_eq(r.ngbegin, 1); /* only the second interchange's group */
	ck_assert_int_eq(r.ngr, 1);
	ck_assert_int_eq(r.ntx, 1);
	char h[65];
	sha256_hex(GOOD, strlen(GOOD) - 1, h);
	ck_assert_str_eq(r.ic[0].sha, h); /* the duplicate registry needs it even when skipped */
	rec_free(&r);
	free(doc);
	free(second);
}
END_TEST

START_TEST(test_handler_abort)
{
	char *doc = tu_replace(GOOD, "GE*1*1~", "ST*850*0002~\nSE*2*0002~\nGE*2*1~");
	struct rec r;
	rec_init(&r);
	r.abort_at_txn = 1;
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, doc, strlen(doc), NULL), 0);
	struct x12_handler h = handler(&r);
	struct x12_error err;
	ck_assert_int_eq(x12_parse(rd, &h, NULL, &err), -EIO);
	ck_assert_ptr_null(err.msg);
	ck_assert_int_eq(r.ntx, 0);
	ck_assert_int_eq(r.ngr, 0);
	ck_assert_int_eq(r.nic, 0);
	x12_reader_free(rd);
	rec_free(&r);
	free(doc);
}
END_TEST

/* ------------------------------------------------------------ limits */

/* GOOD with an extra segment in the set: "REF*" + n bytes, element count adjusted in SE01. */
static char *with_ref(const char *ref)
{
	char *seg = xasprintf("PO1*1*2*EA*9.99**VN*ABC:DEF^GHI:JKL~\n%s~\n", ref);
	char *a = tu_replace(GOOD, "PO1*1*2*EA*9.99**VN*ABC:DEF^GHI:JKL~\n", seg);
	char *b = tu_replace(a, "SE*4*0001", "SE*5*0001");
	free(a);
	free(seg);
	return b;
}

START_TEST(test_limit_file_size)
{
	size_t n = strlen(GOOD);
	struct x12_limits lim;
	x12_limits_default(&lim);
	for (int d = -1; d <= 1; d++) {
		lim.max_file_size = n + (uint64_t)(int64_t)d; /* limit one below, at, above the size */
		for (int fdm = 0; fdm < 2; fdm++) {
			struct rec r;
			struct x12_error err;
			rec_init(&r);
			int rc;
			if (fdm) {
				char *dir = tu_tmpdir(), *p = xasprintf("%s/f", dir);
				ck_assert_int_eq(tu_write(p, GOOD, n), 0);
				int fd = open(p, O_RDONLY);
				struct x12_reader *rd;
				ck_assert_int_eq(x12_reader_new_fd(&rd, fd, &lim), 0);
				x12_reader_set_chunk_size(rd, 7);
				struct x12_handler h = handler(&r);
				rc = x12_parse(rd, &h, NULL, &err);
				x12_reader_free(rd);
				close(fd);
				tu_rmtree(dir);
				free(dir);
				free(p);
			} else {
				rc = parse_mem(GOOD, n, &lim, 0, &r, &err, NULL);
			}
			if (d < 0) {
				ck_assert_int_eq(rc, -EFBIG);
				ck_assert_ptr_nonnull(strstr(err.msg, "max_file_size"));
				ck_assert_uint_eq(err.offset, n - 1);
				/* an interchange cut short is closed with the error */
				if (r.nic)
					ck_assert_int_eq(r.ic[0].ta1_status, 'R');
				x12_error_free(&err);
			} else {
				ck_assert_int_eq(rc, 0);
				ck_assert_int_eq(r.ic[0].ta1_status, 'A');
			}
			rec_free(&r);
		}
	}
}
END_TEST

START_TEST(test_limit_segment_len)
{
	/* REF*ZZ*<x...>: the segment is 7 + k bytes */
	char *val = malloc(300);
	memset(val, 'X', 299);
	val[299] = '\0';
	char *ref = xasprintf("REF*ZZ*%s", val);
	size_t seglen = strlen(ref);
	char *doc = with_ref(ref);
	char *second = tu_replace(GOOD, "000000001", "000000002");
	char *two = xasprintf("%s%s", doc, second);
	struct x12_limits lim;
	x12_limits_default(&lim);
	for (int d = -1; d <= 1; d++) {
		lim.max_segment_len = seglen + (size_t)(ssize_t)d;
		for (size_t chunk = 0; chunk <= 5; chunk += 5) {
			struct rec r;
			struct x12_error err;
			rec_init(&r);
			ck_assert_int_eq(parse_mem(two, strlen(two), &lim, chunk, &r, &err, NULL), 0);
			ck_assert_int_eq(r.nic, 2);
			ck_assert_int_eq(r.ic[1].ta1_status, 'A'); /* the next interchange is fine */
			if (d < 0) {
				ck_assert_int_eq(r.ic[0].ta1_status, 'R');
				ck_assert_str_eq(r.ic[0].ta1_code, "024");
				const struct x12_error *e = find(&r.ic[0].errors, "024");
				ck_assert_ptr_nonnull(strstr(e->msg, "max_segment_len"));
				ck_assert_str_eq(e->seg_id, "REF");
				ck_assert_uint_eq(e->line, 6);
				ck_assert_uint_eq(e->file_seg, 6);
				ck_assert_int_eq(r.tx[0].status, 'R');
				ck_assert_uint_eq(r.tx[0].seg_count, 5); /* counted though not kept */
				ck_assert_ptr_null(find(&r.tx[0].errors, "4"));
			} else {
				ck_assert_int_eq(r.ic[0].ta1_status, 'A');
				ck_assert_int_eq(r.tx[0].status, 'A');
			}
			rec_free(&r);
		}
	}
	/* wrapped interchange (fuzz find): a long segment with no line break in it is measured
	 * like any other */
	char *flat = tu_replace(doc, "~\n", "~");
	char *wrapped = xasprintf("%.80s\n%s", flat, flat + 80);
	for (int d = -1; d <= 1; d++) {
		lim.max_segment_len = seglen + (size_t)(ssize_t)d;
		struct rec r;
		struct x12_error err;
		rec_init(&r);
		ck_assert_int_eq(parse_mem(wrapped, strlen(wrapped), &lim, 0, &r, &err, NULL), 0);
		ck_assert_int_eq(r.nic, 1);
		ck_assert_int_eq(r.ic[0].ta1_status, d < 0 ? 'R' : 'A');
		ck_assert_int_eq(r.tx[0].status, d < 0 ? 'R' : 'A');
		rec_free(&r);
	}
	free(wrapped);
	free(flat);
	free(two);
	free(second);
	free(doc);
	free(ref);
	free(val);
}
END_TEST

START_TEST(test_limit_element_len)
{
	struct x12_limits lim;
	x12_limits_default(&lim);
	char *doc = with_ref("REF*ZZ*ABCDEFGHIJKLMNOPQRST"); /* element 2 is 20 bytes */
	for (int d = -1; d <= 1; d++) {
		lim.max_element_len = 20 + (size_t)(ssize_t)d;
		struct rec r;
		struct x12_error err;
		rec_init(&r);
		ck_assert_int_eq(parse_mem(doc, strlen(doc), &lim, 0, &r, &err, NULL), 0);
		if (d < 0) {
			ck_assert_int_eq(r.tx[0].status, 'R');
			const struct x12_error *e = find(&r.tx[0].errors, "5");
			ck_assert_ptr_nonnull(e);
			ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
			ck_assert_str_eq(e->seg_id, "REF");
			ck_assert_uint_eq(e->seg_pos, 4);
			ck_assert_int_eq(e->elem_pos, 2);
			ck_assert_str_eq(e->bad_value, "ABCDEFGHIJKLMNOPQRST");
			ck_assert_uint_eq(r.tx[0].errors.n, 1); /* nothing else is that long */
			ck_assert_str_eq(r.tx[0].codes[0], "5");
			ck_assert_int_eq(r.ic[0].ta1_status, 'A');
		} else {
			ck_assert_int_eq(r.tx[0].status, 'A');
		}
		rec_free(&r);
	}
	free(doc);
}
END_TEST

START_TEST(test_limit_elements)
{
	struct x12_limits lim;
	x12_limits_default(&lim);
	/* a segment with 20 elements */
	char *doc = with_ref("REF*1*2*3*4*5*6*7*8*9*10*11*12*13*14*15*16*17*18*19*20");
	for (int d = -1; d <= 1; d++) {
		lim.max_elements = 20 + (size_t)(ssize_t)d;
		struct rec r;
		struct x12_error err;
		rec_init(&r);
		ck_assert_int_eq(parse_mem(doc, strlen(doc), &lim, 0, &r, &err, NULL), 0);
		if (d < 0) {
			ck_assert_int_eq(r.tx[0].status, 'R');
			const struct x12_error *e = find(&r.tx[0].errors, "3");
			ck_assert_ptr_nonnull(e);
			ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
			ck_assert_int_eq(e->elem_pos, 20);
			ck_assert_uint_eq(e->seg_pos, 4);
		} else {
			ck_assert_int_eq(r.tx[0].status, 'A');
		}
		rec_free(&r);
	}
	/* the tokenizer keeps max_elements and flags the rest */
	lim.max_elements = 19;
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, doc, strlen(doc), &lim), 0);
	struct x12_segment s;
	while (x12_reader_next(rd, &s) == 1 && strcmp(s.id, "REF") != 0)
		;
	ck_assert_uint_eq(s.nelem, 19);
	ck_assert_int_eq(s.too_many_elems, 1);
	ck_assert(span_eq(x12_seg_elem(&s, 19), "19"));
	ck_assert(span_eq(s.raw, "REF*1*2*3*4*5*6*7*8*9*10*11*12*13*14*15*16*17*18*19*20"));
	x12_reader_free(rd);
	free(doc);
}
END_TEST

START_TEST(test_limit_segments_per_txn)
{
	struct x12_limits lim;
	x12_limits_default(&lim);
	for (int d = -1; d <= 1; d++) {
		lim.max_segments_per_txn = 4 + (size_t)(ssize_t)d; /* the set has 4 segments */
		struct rec r;
		struct x12_error err;
		rec_init(&r);
		ck_assert_int_eq(parse_mem(GOOD, strlen(GOOD), &lim, 0, &r, &err, NULL), 0);
		ck_assert_int_eq(r.ntx, 1);
		if (d < 0) {
			ck_assert_int_eq(r.tx[0].status, 'R');
			ck_assert_int_eq(r.tx[0].called, 0); /* never handed over incomplete */
			const struct x12_error *e = find(&r.tx[0].errors, "5");
			ck_assert_ptr_nonnull(e);
			ck_assert_int_eq(e->scope, X12_SCOPE_SEGMENT);
			ck_assert_str_eq(e->seg_id, "SE");
			ck_assert_uint_eq(e->seg_pos, 4);
			ck_assert_ptr_nonnull(strstr(e->msg, "max_segments_per_txn"));
			ck_assert_uint_eq(r.tx[0].seg_count, 4);
			ck_assert_ptr_null(find(&r.tx[0].errors, "4")); /* SE01 still checked: right */
			ck_assert_int_eq(r.gr[0].status, 'R');
		} else {
			ck_assert_int_eq(r.tx[0].status, 'A');
			ck_assert_int_eq(r.tx[0].called, 1);
		}
		rec_free(&r);
	}
}
END_TEST

START_TEST(test_limit_txn_bytes)
{
	/* what the set of GOOD holds: 4 segments, their bytes and elements */
	static const size_t raw[4] = { 11, 23, 35, 9 }, nel[4] = { 2, 5, 7, 2 };
	size_t held = 0;
	for (int i = 0; i < 4; i++)
		held += raw[i] + (nel[i] + 1) * sizeof(struct span) + sizeof(struct x12_tseg) +
			2 * sizeof(size_t);
	struct x12_limits lim;
	x12_limits_default(&lim);
	for (int d = -1; d <= 1; d++) {
		lim.max_txn_bytes = held + (size_t)(ssize_t)d;
		struct rec r;
		struct x12_error err;
		rec_init(&r);
		ck_assert_int_eq(parse_mem(GOOD, strlen(GOOD), &lim, 0, &r, &err, NULL), 0);
		if (d < 0) {
			ck_assert_int_eq(r.tx[0].status, 'R');
			ck_assert_int_eq(r.tx[0].called, 0);
			const struct x12_error *e = find(&r.tx[0].errors, "5");
			ck_assert_ptr_nonnull(e);
			ck_assert_ptr_nonnull(strstr(e->msg, "max_txn_bytes"));
			ck_assert_str_eq(e->seg_id, "SE");
		} else {
			ck_assert_int_eq(r.tx[0].status, 'A');
			ck_assert_int_eq(r.tx[0].called, 1);
		}
		rec_free(&r);
	}
}
END_TEST

/* ------------------------------------------------------------ chunks */

/* Everything the reader says about a document, as text. */
static char *trace(const char *data, size_t len, size_t chunk, int how)
{
	struct buf b;
	buf_init(&b, 0);
	struct x12_reader *rd = NULL;
	int fd = -1, pfd[2];
	pid_t pid = -1;
	char *dir = NULL, *path = NULL;
	if (how == 0) {
		ck_assert_int_eq(x12_reader_new_mem(&rd, data, len, NULL), 0);
	} else if (how == 1) {
		dir = tu_tmpdir();
		path = xasprintf("%s/in", dir);
		ck_assert_int_eq(tu_write(path, data, len), 0);
		fd = open(path, O_RDONLY);
		ck_assert_int_eq(x12_reader_new_fd(&rd, fd, NULL), 0);
	} else {
		/* a pipe written one byte at a time */
		ck_assert_int_eq(pipe(pfd), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(pfd[0]);
			for (size_t i = 0; i < len; i++)
				if (write(pfd[1], data + i, 1) != 1)
					_exit(1);
			_exit(0);
		}
		close(pfd[1]);
		fd = pfd[0];
		ck_assert_int_eq(x12_reader_new_fd(&rd, fd, NULL), 0);
	}
	if (chunk)
		x12_reader_set_chunk_size(rd, chunk);
	x12_reader_set_hash(rd, 1);
	struct x12_segment s;
	int rc;
	while ((rc = x12_reader_next(rd, &s)) == 1) {
		buf_printf(&b, "%s#%llu@%llu:%llu[%.*s]", s.id, (unsigned long long)s.index,
			   (unsigned long long)s.line, (unsigned long long)s.offset, (int)s.raw.n, s.raw.p);
		for (size_t k = 0; k <= s.nelem; k++)
			buf_printf(&b, "|%.*s", (int)s.elem[k].n, s.elem[k].p);
		buf_puts(&b, "\n");
		if (strcmp(s.id, "IEA") == 0) {
			char h[65];
			ck_assert_int_eq(x12_reader_take_hash(rd, h), 0);
			buf_printf(&b, "hash %s\n", h);
		}
	}
	buf_printf(&b, "rc %d off %llu\n", rc, (unsigned long long)x12_reader_offset(rd));
	x12_reader_free(rd);
	if (fd >= 0)
		close(fd);
	if (pid > 0) {
		int st;
		waitpid(pid, &st, 0);
	}
	if (dir)
		tu_rmtree(dir);
	free(dir);
	free(path);
	return buf_steal(&b);
}

START_TEST(test_chunk_straddle)
{
	/* a mix of tolerances: BOM, CRLF, newline terminator, wrapped lines, three interchanges */
	char *crlf = tu_replace(GOOD, "~\n", "~\r\n");
	char *nl = tu_replace(GOOD, "~\n", "\n");
	char *flat = tu_replace(GOOD, "~\n", "~");
	char *w = wrap(flat, 80, "\n");
	char *doc = xasprintf("\xef\xbb\xbf\n%s%s%s\n%s", crlf, nl, w, GOOD);
	char *ref = trace(doc, strlen(doc), 0, 0);
	ck_assert_ptr_nonnull(strstr(ref, "rc 0"));
	ck_assert_ptr_nonnull(strstr(ref, "ISA#25@"));
	for (size_t chunk = 1; chunk <= 17; chunk++) {
		for (int how = 0; how < 2; how++) {
			char *t = trace(doc, strlen(doc), chunk, how);
			ck_assert_str_eq(t, ref);
			free(t);
		}
	}
	char *t = trace(doc, strlen(doc), 0, 1);
	ck_assert_str_eq(t, ref);
	free(t);
	t = trace(doc, strlen(doc), 1, 2);
	ck_assert_str_eq(t, ref);
	free(t);
	t = trace(doc, strlen(doc), 0, 2);
	ck_assert_str_eq(t, ref);
	free(t);
	/* the interchange hashes are those of the exact bytes */
	char h[65], line[80];
	sha256_hex(crlf, strlen(crlf) - 2, h);
	snprintf(line, sizeof line, "hash %s\n", h);
	ck_assert_ptr_nonnull(strstr(ref, line));
	sha256_hex(nl, strlen(nl), h);
	snprintf(line, sizeof line, "hash %s\n", h);
	ck_assert_ptr_nonnull(strstr(ref, line));
	sha256_hex(w, (size_t)(strrchr(w, '~') - w) + 1, h);
	snprintf(line, sizeof line, "hash %s\n", h);
	ck_assert_ptr_nonnull(strstr(ref, line));
	free(ref);
	free(doc);
	free(w);
	free(flat);
	free(nl);
	free(crlf);
}
END_TEST

/* The verdict on a broken ISA does not depend on how much a read returned (fuzz find). */
START_TEST(test_isa_sniff_chunks)
{
	static const char *const heads[] = { "ISA*00*          *00*", "ISA*00*          *00*\n*", "ISA\x1d" "01\x1f" };
	for (size_t h = 0; h < 3; h++) {
		for (size_t pad = 480; pad <= 540; pad += 30) {
			char *x = malloc(pad + 1);
			memset(x, 'X', pad);
			x[pad] = '\0';
			char *doc = xasprintf("%s%s*ZZ*%s", heads[h], x, x);
			char *ref = NULL;
			for (size_t chunk = 0; chunk <= 13; chunk++) {
				struct rec r;
				struct x12_error err;
				rec_init(&r);
				ck_assert_int_eq(parse_mem(doc, strlen(doc), NULL, chunk, &r, &err, NULL), -EINVAL);
				char *d = x12_error_describe(&err);
				if (!ref)
					ref = d;
				else {
					ck_assert_str_eq(d, ref);
					free(d);
				}
				x12_error_free(&err);
				rec_free(&r);
			}
			ck_assert_ptr_null(strstr(ref, "truncated")); /* the input goes on: not truncated */
			free(ref);
			free(doc);
			free(x);
		}
	}
}
END_TEST

START_TEST(test_big_interchange_fd)
{
	/* many sets through the fd reader with its real buffer: memory stays bounded, counts right */
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%s\nGS*PO*SENDER*RECEIVER*20240101*1200*1*X*005010~\n", ISA_T);
	for (int t = 1; t <= 3000; t++) {
		buf_printf(&b, "ST*850*%04d~\n", t);
		for (int k = 0; k < 30; k++)
			buf_printf(&b, "PO1*%d*2*EA*9.99**VN*ITEM-%06d-ABCDEFGHIJKLMNOPQRSTUVWXYZ~\n", k, t * 100 + k);
		buf_printf(&b, "SE*32*%04d~\n", t);
	}
	buf_puts(&b, "GE*3000*1~\nIEA*1*000000001~\n");
	ck_assert_uint_gt(b.len, 1024 * 1024);
	char *dir = tu_tmpdir(), *p = xasprintf("%s/big", dir);
	ck_assert_int_eq(tu_write(p, b.data, b.len), 0);
	int fd = open(p, O_RDONLY);
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_fd(&rd, fd, NULL), 0);
	struct rec r;
	rec_init(&r);
	struct x12_handler h = handler(&r);
	struct x12_file_summary sum;
	struct x12_error err;
	ck_assert_int_eq(x12_parse(rd, &h, &sum, &err), 0);
	ck_assert_uint_eq(sum.transactions, 3000);
	ck_assert_uint_eq(sum.rejected_transactions, 0);
	ck_assert_uint_eq(sum.segments, 3000 * 32 + 4);
	ck_assert_int_eq(r.gr[0].status, 'A');
	ck_assert_uint_eq(r.gr[0].accepted, 3000);
	char hh[65];
	sha256_hex(b.data, b.len - 1, hh);
	ck_assert_str_eq(r.ic[0].sha, hh);
	x12_reader_free(rd);
	close(fd);
	rec_free(&r);
	tu_rmtree(dir);
	free(dir);
	free(p);
	buf_free(&b);
}
END_TEST

START_TEST(test_hash_off)
{
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, GOOD, strlen(GOOD), NULL), 0);
	x12_reader_set_hash(rd, 0);
	struct rec r;
	rec_init(&r);
	struct x12_handler h = handler(&r);
	struct x12_error err;
	ck_assert_int_eq(x12_parse(rd, &h, NULL, &err), 0);
	ck_assert_str_eq(r.ic[0].sha, "");
	char hh[65];
	ck_assert_int_eq(x12_reader_take_hash(rd, hh), -ENOENT);
	x12_reader_free(rd);
	rec_free(&r);
}
END_TEST

/* Fuzz crash regressions and the seed corpus: every file in tests/fuzz/corpus/x12 parses
 * without a crash (the sanitizer build makes this strict). */
START_TEST(test_regressions)
{
	char *dir = tu_srcpath("tests/data/x12");
	char *p = xasprintf("%s/variable-isa.x12", dir);
	size_t n;
	char *data = tu_read(p, &n);
	ck_assert_ptr_nonnull(data);
	struct rec r;
	struct x12_error err;
	rec_init(&r);
	ck_assert_int_eq(parse_mem(data, n, NULL, 0, &r, &err, NULL), 0);
	ck_assert_int_eq(r.nic, 1);
	ck_assert_int_eq(r.ic[0].ta1_status, 'R');
	ck_assert_str_eq(r.ic[0].ta1_code, "011"); /* ISA02 is the first field off its width */
	ck_assert_ptr_nonnull(find(&r.ic[0].errors, "006"));
	ck_assert_int_eq(r.tx[0].status, 'A');   /* the sets were still read */
	rec_free(&r);
	free(data);
	free(p);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ tolerances */

/* Parse doc with the given tolerances (NULL: the reader's defaults). */
static int parse_tol(const char *doc, const struct x12_tolerances *t, struct rec *r,
		     struct x12_error *err)
{
	struct x12_reader *rd;
	rec_init(r);
	ck_assert_int_eq(x12_reader_new_mem(&rd, doc, strlen(doc), NULL), 0);
	if (t)
		x12_reader_set_tolerances(rd, t);
	struct x12_handler h = handler(r);
	struct x12_file_summary s;
	int rc = x12_parse(rd, &h, &s, err);
	ck_assert(r->order_ok);
	x12_reader_free(rd);
	return rc;
}

/* Notices containing needle; *line gets the line of the last one. */
static int notices_with(const struct rec *r, const char *needle, uint64_t *line)
{
	int n = 0;
	for (int i = 0; i < r->nnotice; i++) {
		if (strstr(r->notice[i], needle)) {
			n++;
			if (line)
				*line = r->notice_line[i];
		}
	}
	return n;
}

/* The first error of a list with this scope and code, or NULL. */
static const struct x12_error *find_scoped(const struct x12_errlist *l, enum x12_scope sc,
					   const char *code)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].scope == sc && strcmp(l->v[i].code, code) == 0)
			return &l->v[i];
	return NULL;
}

START_TEST(test_tolerances_default)
{
	struct x12_tolerances t;
	memset(&t, 0x55, sizeof t);
	x12_tolerances_default(&t);
	ck_assert_int_eq(t.alphanumeric_isa11, 1);
	ck_assert_int_eq(t.trailing_empty_elements, 1);
	ck_assert_int_eq(t.unpadded_isa, 0);
	ck_assert_int_eq(t.isa_line_breaks, 1);
	ck_assert_int_eq(t.wrong_counts, 0);
	struct x12_reader *rd;
	ck_assert_int_eq(x12_reader_new_mem(&rd, GOOD, strlen(GOOD), NULL), 0);
	ck_assert_mem_eq(x12_reader_tolerances(rd), &t, sizeof t);
	struct x12_tolerances all = { 1, 1, 1, 1, 1 };
	x12_reader_set_tolerances(rd, &all);
	ck_assert_int_eq(x12_reader_tolerances(rd)->unpadded_isa, 1);
	ck_assert_int_eq(x12_reader_tolerances(rd)->wrong_counts, 1);
	x12_reader_set_tolerances(rd, NULL);
	ck_assert_mem_eq(x12_reader_tolerances(rd), &t, sizeof t);
	x12_reader_free(rd);
}
END_TEST

START_TEST(test_tol_alphanumeric_isa11)
{
	struct rec r;
	struct x12_error err;
	struct x12_tolerances t;
	x12_tolerances_default(&t);
	char *doc = isa_field(GOOD, 11, "U");
	/* on (default): accepted, no repetition separator, the notice names the setting */
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(r.ic[0].d.rep, 0);
	uint64_t line = 0;
	ck_assert_int_eq(notices_with(&r, "allowed by tolerate.alphanumeric-isa11", &line), 1);
	ck_assert_uint_eq(line, 1);
	rec_free(&r);
	/* off: TA1 R 016 at ISA11, the sets are still read */
	t.alphanumeric_isa11 = 0;
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'R');
	ck_assert_str_eq(r.ic[0].ta1_code, "016");
	const struct x12_error *e = find(&r.ic[0].errors, "016");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->elem_pos, 11);
	ck_assert_str_eq(e->bad_value, "U");
	ck_assert_ptr_nonnull(strstr(e->msg, "tolerate.alphanumeric-isa11 = no"));
	ck_assert_int_eq(notices_with(&r, "ISA11", NULL), 0);
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	free(doc);
	/* off: a digit too; a real separator and 'U' before 00402 are still fine */
	doc = isa_field(GOOD, 11, "7");
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_str_eq(r.ic[0].ta1_code, "016");
	rec_free(&r);
	free(doc);
	ck_assert_int_eq(parse_tol(GOOD, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(r.ic[0].d.rep, '^');
	rec_free(&r);
	char *u = isa_field(GOOD, 11, "U");
	doc = isa_field(u, 12, "00401");
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	rec_free(&r);
	free(doc);
	free(u);
}
END_TEST

START_TEST(test_tol_trailing_empty_elements)
{
	struct rec r;
	struct x12_error err;
	struct x12_tolerances t;
	x12_tolerances_default(&t);
	/* two segments with trailing empty elements: lines 6 and 7 */
	char *doc = tu_replace(GOOD, "SE*4*0001~", "N1*ST*X**~\nN1*BT*Y*~\nSE*6*0001~");
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_uint_eq(r.tx[0].errors.n, 0);
	uint64_t line = 0;
	/* reported once per file, at the first */
	ck_assert_int_eq(notices_with(&r, "tolerate.trailing-empty-elements", &line), 1);
	ck_assert_uint_eq(line, 6);
	ck_assert_int_eq(notices_with(&r, "segment N1 ends in empty data elements (from position 3)",
				      NULL), 1);
	rec_free(&r);
	/* off: AK4 code 3 at the first trailing empty element of each, the set rejected */
	t.trailing_empty_elements = 0;
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.tx[0].status, 'R');
	ck_assert_str_eq(r.tx[0].codes[0], "5");
	ck_assert_uint_eq(r.tx[0].errors.n, 2);
	const struct x12_error *e = &r.tx[0].errors.v[0];
	ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
	ck_assert_str_eq(e->code, "3");
	ck_assert_str_eq(e->seg_id, "N1");
	ck_assert_uint_eq(e->seg_pos, 4); /* ST = 1 */
	ck_assert_int_eq(e->elem_pos, 3);
	ck_assert_uint_eq(e->line, 6);
	ck_assert_ptr_nonnull(strstr(e->msg, "tolerate.trailing-empty-elements = no"));
	e = &r.tx[0].errors.v[1];
	ck_assert_uint_eq(e->seg_pos, 5);
	ck_assert_int_eq(e->elem_pos, 3);
	ck_assert_int_eq(notices_with(&r, "trailing", NULL), 0);
	ck_assert_int_eq(r.gr[0].status, 'R');
	rec_free(&r);
	free(doc);
	/* off: no trailing empty element (an empty one in the middle, or none) is fine */
	doc = tu_replace(GOOD, "SE*4*0001~", "N1*ST**X~\nN1*BT*Y~\nSE*6*0001~");
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.tx[0].status, 'A');
	rec_free(&r);
	free(doc);
	/* off: a segment of empty elements only: the first position */
	doc = tu_replace(GOOD, "SE*4*0001~", "N1***~\nSE*5*0001~");
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.tx[0].status, 'R');
	e = find_scoped(&r.tx[0].errors, X12_SCOPE_ELEMENT, "3");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->elem_pos, 1);
	rec_free(&r);
	free(doc);
}
END_TEST

#define ISA_UNPADDED "ISA*00**00**ZZ*SENDER*ZZ*RECEIVER*240101*1200*^*00501*000000001*0*P*:~"

START_TEST(test_tol_unpadded_isa)
{
	struct rec r;
	struct x12_error err;
	struct x12_tolerances t;
	x12_tolerances_default(&t);
	char *doc = xasprintf("%s\n%s", ISA_UNPADDED, GOOD + 107);
	/* off (default): TA1 R with the code of the first field off its width (ISA02: 011) */
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'R');
	ck_assert_str_eq(r.ic[0].ta1_code, "011");
	ck_assert_ptr_nonnull(find(&r.ic[0].errors, "006"));
	ck_assert_int_eq(notices_with(&r, "unpadded", NULL), 0);
	rec_free(&r);
	/* on: accepted with one notice naming the setting */
	t.unpadded_isa = 1;
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_uint_eq(r.ic[0].errors.n, 0);
	ck_assert_int_eq(r.tx[0].status, 'A');
	uint64_t line = 0;
	ck_assert_int_eq(notices_with(&r, "accepted by tolerate.unpadded-isa", &line), 1);
	ck_assert_uint_eq(line, 1);
	ck_assert_int_eq(r.ic[0].d.elem, '*');
	ck_assert_int_eq(r.ic[0].d.comp, ':');
	ck_assert_int_eq(r.ic[0].d.rep, '^');
	ck_assert_int_eq(r.ic[0].d.seg, '~');
	rec_free(&r);
	free(doc);
	/* on: partly padded (ISA06 one short) is accepted too */
	doc = tu_replace(GOOD, "*SENDER         *", "*SENDER        *");
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(notices_with(&r, "ISA06 is 14 characters wide", NULL), 1);
	rec_free(&r);
	free(doc);
	/* on: what is not padding stays an error: an ISA06 one too wide, a short ISA13,
	 * an empty sender id */
	doc = tu_replace(GOOD, "*SENDER         *", "*SENDER          *");
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_str_eq(r.ic[0].ta1_code, "006");
	rec_free(&r);
	free(doc);
	doc = tu_replace(ISA_UNPADDED "\n", "*000000001*", "*1*");
	char *d2 = xasprintf("%s%s", doc, GOOD + 107);
	ck_assert_int_eq(parse_tol(d2, &t, &r, &err), 0);
	ck_assert_str_eq(r.ic[0].ta1_code, "018");
	rec_free(&r);
	free(d2);
	free(doc);
	doc = tu_replace(ISA_UNPADDED "\n", "*SENDER*", "**");
	d2 = xasprintf("%s%s", doc, GOOD + 107);
	ck_assert_int_eq(parse_tol(d2, &t, &r, &err), 0);
	ck_assert_str_eq(r.ic[0].ta1_code, "006");
	rec_free(&r);
	free(d2);
	free(doc);
}
END_TEST

START_TEST(test_tol_isa_line_breaks)
{
	struct rec r;
	struct x12_error err;
	struct x12_tolerances t;
	x12_tolerances_default(&t);
	char *flat = tu_replace(GOOD, "~\n", "~");
	char *w = wrap(flat, 80, "\r\n");
	/* on (default): read, one notice naming the setting */
	ck_assert_int_eq(parse_tol(w, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	ck_assert_int_eq(r.tx[0].status, 'A');
	ck_assert_int_eq(notices_with(&r, "allowed by tolerate.isa-line-breaks", NULL), 1);
	rec_free(&r);
	/* off: fatal 026 as for any ISA broken by a line break, the message names the setting */
	t.isa_line_breaks = 0;
	ck_assert_int_eq(parse_tol(w, &t, &r, &err), -EINVAL);
	ck_assert_str_eq(err.code, "026");
	ck_assert_uint_eq(err.line, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "tolerate.isa-line-breaks = no"));
	ck_assert_int_eq(r.nic, 0);
	x12_error_free(&err);
	rec_free(&r);
	/* off: line breaks after terminators are not line breaks inside the ISA */
	ck_assert_int_eq(parse_tol(GOOD, &t, &r, &err), 0);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	rec_free(&r);
	/* off: a second interchange that is wrapped stops the file after the first */
	char *both = xasprintf("%s%s", GOOD, w);
	ck_assert_int_eq(parse_tol(both, &t, &r, &err), -EINVAL);
	ck_assert_str_eq(err.code, "026");
	ck_assert_uint_eq(err.line, 9);
	ck_assert_int_eq(r.nic, 1);
	ck_assert_int_eq(r.ic[0].ta1_status, 'A');
	x12_error_free(&err);
	rec_free(&r);
	free(both);
	free(w);
	free(flat);
}
END_TEST

START_TEST(test_tol_wrong_counts)
{
	static const struct {
		const char *from, *to;
		uint64_t line;
		const char *what;
	} cases[] = {
		{ "SE*4*0001~", "SE*3*0001~", 6, "SE01" },
		{ "SE*4*0001~", "SE*5*0001~", 6, "SE01" },
		{ "GE*1*1~", "GE*0*1~", 7, "GE01" },
		{ "GE*1*1~", "GE*2*1~", 7, "GE01" },
		{ "IEA*1*", "IEA*0*", 8, "IEA01" },
		{ "IEA*1*", "IEA*2*", 8, "IEA01" },
	};
	struct rec r;
	struct x12_error err;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct x12_tolerances t;
		x12_tolerances_default(&t);
		char *doc = tu_replace(GOOD, cases[i].from, cases[i].to);
		/* off (default): rejected as before */
		ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
		if (cases[i].line == 6) {
			ck_assert_int_eq(r.tx[0].status, 'R');
			ck_assert_str_eq(r.tx[0].codes[0], "4");
		} else if (cases[i].line == 7) {
			ck_assert_int_eq(r.gr[0].status, 'R');
			ck_assert_str_eq(r.gr[0].codes[0], "5");
		} else {
			ck_assert_int_eq(r.ic[0].ta1_status, 'R');
			ck_assert_str_eq(r.ic[0].ta1_code, "021");
		}
		ck_assert_int_eq(notices_with(&r, "tolerate.wrong-counts", NULL), 0);
		rec_free(&r);
		/* on: accepted, one notice with the line */
		t.wrong_counts = 1;
		ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
		ck_assert_int_eq(r.tx[0].status, 'A');
		ck_assert_int_eq(r.gr[0].status, 'A');
		ck_assert_int_eq(r.ic[0].ta1_status, 'A');
		uint64_t line = 0;
		ck_assert_int_eq(notices_with(&r, "accepted by tolerate.wrong-counts", &line), 1);
		ck_assert_uint_eq(line, cases[i].line);
		ck_assert_int_eq(notices_with(&r, cases[i].what, NULL), 1);
		rec_free(&r);
		free(doc);
	}
	/* on: the right counts give no notice */
	struct x12_tolerances t;
	x12_tolerances_default(&t);
	t.wrong_counts = 1;
	ck_assert_int_eq(parse_tol(GOOD, &t, &r, &err), 0);
	ck_assert_int_eq(notices_with(&r, "wrong-counts", NULL), 0);
	rec_free(&r);
	/* on: control numbers and counts that are not numbers are still errors */
	static const struct {
		const char *from, *to, *code;
		int level; /* 0 txn, 1 group, 2 interchange */
	} still[] = {
		{ "SE*4*0001~", "SE*4*0002~", "3", 0 }, { "SE*4*0001~", "SE*X*0001~", "4", 0 },
		{ "GE*1*1~", "GE*1*2~", "4", 1 },       { "GE*1*1~", "GE*X*1~", "5", 1 },
		{ "IEA*1*000000001", "IEA*1*000000002", "001", 2 }, { "IEA*1*", "IEA*X*", "021", 2 },
	};
	for (size_t i = 0; i < sizeof still / sizeof still[0]; i++) {
		char *doc = tu_replace(GOOD, still[i].from, still[i].to);
		ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
		if (still[i].level == 0)
			ck_assert_str_eq(r.tx[0].codes[0], still[i].code);
		else if (still[i].level == 1)
			ck_assert_str_eq(r.gr[0].codes[0], still[i].code);
		else
			ck_assert_str_eq(r.ic[0].ta1_code, still[i].code);
		ck_assert_int_eq(notices_with(&r, "wrong-counts", NULL), 0);
		rec_free(&r);
		free(doc);
	}
	/* on: SE01 and GE01 are reported once per file, IEA01 once per interchange */
	char *one = tu_replace(GOOD, "SE*4*0001~", "SE*9*0001~");
	char *doc = xasprintf("%s%s", one, one);
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(r.ntx, 2);
	ck_assert_int_eq(r.tx[1].status, 'A');
	ck_assert_int_eq(notices_with(&r, "SE01", NULL), 1);
	rec_free(&r);
	free(doc);
	free(one);
	one = tu_replace(GOOD, "IEA*1*", "IEA*3*");
	doc = xasprintf("%s%s", one, one);
	ck_assert_int_eq(parse_tol(doc, &t, &r, &err), 0);
	ck_assert_int_eq(notices_with(&r, "IEA01", NULL), 2);
	rec_free(&r);
	free(doc);
	free(one);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("x12");
	TCase *tc = tcase_create("tokenizer");
	tcase_add_test(tc, test_limits_default);
	tcase_add_test(tc, test_tokenize_default);
	tcase_add_test(tc, test_custom_delims);
	tcase_add_test(tc, test_bom_and_leading_whitespace);
	tcase_add_test(tc, test_crlf_after_terminators);
	tcase_add_test(tc, test_newline_terminator);
	tcase_add_test(tc, test_wrapped_80);
	tcase_add_test(tc, test_isa11);
	tcase_add_test(tc, test_separators_invalid);
	tcase_add_test(tc, test_not_x12);
	tcase_add_test(tc, test_trailing_tolerances);
	suite_add_tcase(s, tc);
	tc = tcase_create("envelopes");
	tcase_add_test(tc, test_good_interchange);
	tcase_add_test(tc, test_txn_segments);
	tcase_add_test(tc, test_interchange_errors);
	tcase_add_test(tc, test_group_errors);
	tcase_add_test(tc, test_gs06_reused);
	tcase_add_test(tc, test_txn_errors);
	tcase_add_test(tc, test_group_partial);
	tcase_add_test(tc, test_two_interchanges_first_broken);
	tcase_add_test(tc, test_skip_interchange);
	tcase_add_test(tc, test_handler_abort);
	tcase_add_test(tc, test_regressions);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_limit_file_size);
	tcase_add_test(tc, test_limit_segment_len);
	tcase_add_test(tc, test_limit_element_len);
	tcase_add_test(tc, test_limit_elements);
	tcase_add_test(tc, test_limit_segments_per_txn);
	tcase_add_test(tc, test_limit_txn_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("chunks");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_chunk_straddle);
	tcase_add_test(tc, test_isa_sniff_chunks);
	tcase_add_test(tc, test_big_interchange_fd);
	tcase_add_test(tc, test_hash_off);
	suite_add_tcase(s, tc);
	tc = tcase_create("tolerances");
	tcase_add_test(tc, test_tolerances_default);
	tcase_add_test(tc, test_tol_alphanumeric_isa11);
	tcase_add_test(tc, test_tol_trailing_empty_elements);
	tcase_add_test(tc, test_tol_unpadded_isa);
	tcase_add_test(tc, test_tol_isa_line_breaks);
	tcase_add_test(tc, test_tol_wrong_counts);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
