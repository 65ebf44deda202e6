/* check_contrl — the EDIFACT segment writer (edi_writer) and the CONTRL writer, from
 * hand-made reader results. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack/contrl.h"
#include "edifact/edi_writer.h"
#include "testutil.h"

/* ============================================================ edi_writer */

static const struct edi_delims STD3 = { ':', '+', '.', '?', 0, '\'' };
static const struct edi_delims STD4 = { ':', '+', '.', '?', '*', '\'' };

static struct edi_writer *writer(const char *id, int version, const struct edi_delims *d)
{
	struct edi_writer *w = NULL;
	int rc = edi_writer_new(&w, id, version, d);
	ck_assert_msg(rc == 0, "edi_writer_new(%s, %d): %d", id, version, rc);
	return w;
}

/* One segment TAG+v' written with a single data element; its bytes, or NULL with *rc. */
static char *one(struct edi_writer *w, const char *v, int *rc_out)
{
	struct buf b;
	buf_init(&b, 0);
	edi_writer_seg(w, "FTX");
	edi_writer_elem(w, v);
	int rc = edi_writer_seg_end(w, &b);
	if (rc_out)
		*rc_out = rc;
	if (rc < 0) {
		ck_assert_uint_eq(b.len, 0); /* nothing appended on error */
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static void expect_one(struct edi_writer *w, const char *v, const char *want)
{
	int rc = 0;
	char *got = one(w, v, &rc);
	ck_assert_msg(got != NULL, "value refused: %d %s", rc, edi_writer_error(w));
	ck_assert_str_eq(got, want);
	free(got);
}

static void expect_refused(struct edi_writer *w, const char *v, const char *why)
{
	int rc = 0;
	char *got = one(w, v, &rc);
	ck_assert_msg(got == NULL, "value accepted: %s", got ? got : "");
	ck_assert_int_eq(rc, -EILSEQ);
	ck_assert_msg(strstr(edi_writer_error(w), why) != NULL, "error '%s' lacks '%s'",
		      edi_writer_error(w), why);
}

START_TEST(test_w_escape_each)
{
	struct edi_writer *w = writer("UNOA", 3, &STD3);
	expect_one(w, "A+B", "FTX+A?+B'");
	expect_one(w, "A:B", "FTX+A?:B'");
	expect_one(w, "O'NEIL", "FTX+O?'NEIL'");
	expect_one(w, "WHY?", "FTX+WHY?\?'");
	expect_one(w, "??", "FTX+?\??\?'");
	expect_one(w, "?'+:", "FTX+?\?\?'?+?:'");
	/* no repetition separator before syntax 4: '*' is data */
	expect_one(w, "2*3", "FTX+2*3'");
	edi_writer_free(w);

	w = writer("UNOA", 4, &STD4);
	expect_one(w, "2*3", "FTX+2?*3'");
	expect_one(w, "A+B:C'D?E*F", "FTX+A?+B?:C?'D??E?*F'");
	edi_writer_free(w);

	/* other separators (UNOC carries them as data): those are released, the usual ones
	 * are data */
	struct edi_delims d = { '^', '|', ',', '!', '#', '~' };
	w = writer("UNOC", 4, &d);
	expect_one(w, "A+B:C'D?E*F", "FTX|A+B:C'D?E*F~");
	expect_one(w, "A|B^C~D!E#F", "FTX|A!|B!^C!~D!!E!#F~");
	edi_writer_free(w);
}
END_TEST

START_TEST(test_w_structure)
{
	struct edi_writer *w = writer("UNOA", 4, &STD4);
	struct buf b;
	buf_init(&b, 0);
	/* composite, trailing empty components and elements dropped, inner empties kept */
	edi_writer_seg(w, "NAD");
	edi_writer_elem(w, "BY");
	edi_writer_elem(w, "5412345000013");
	edi_writer_comp(w, NULL);
	edi_writer_comp(w, "9");
	edi_writer_comp(w, "");
	edi_writer_elem(w, NULL);
	edi_writer_elem(w, "");
	edi_writer_comp(w, "");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0);
	ck_assert_str_eq(b.data, "NAD+BY+5412345000013::9'");
	buf_reset(&b);

	/* an empty element before a non-empty one stays */
	edi_writer_seg(w, "UNB");
	edi_writer_elem(w, "UNOA");
	edi_writer_comp_u64(w, 4);
	edi_writer_elem(w, NULL);
	edi_writer_elem(w, NULL);
	edi_writer_elem_u64(w, 1);
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0);
	ck_assert_str_eq(b.data, "UNB+UNOA:4+++1'");
	buf_reset(&b);

	/* repetitions: trailing empty components of a repetition and empty last repetitions
	 * dropped, an empty repetition before a non-empty one kept */
	edi_writer_seg(w, "TST");
	edi_writer_elem(w, "A");
	edi_writer_comp(w, NULL);
	edi_writer_rep(w, "B");
	edi_writer_comp(w, "C");
	edi_writer_rep(w, NULL);
	edi_writer_rep(w, "D");
	edi_writer_rep(w, NULL);
	edi_writer_comp(w, NULL);
	edi_writer_elem(w, NULL);
	edi_writer_rep(w, NULL);
	edi_writer_rep(w, "E");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0);
	ck_assert_str_eq(b.data, "TST+A*B:C**D+**E'");
	buf_reset(&b);

	/* a segment with nothing but empties is its tag */
	edi_writer_seg(w, "UNS");
	edi_writer_elem(w, NULL);
	edi_writer_comp(w, NULL);
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0);
	ck_assert_str_eq(b.data, "UNS'");
	buf_reset(&b);

	/* segments follow each other with nothing in between */
	edi_writer_seg(w, "UNS");
	edi_writer_elem(w, "S");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0);
	edi_writer_seg(w, "CNT");
	edi_writer_elem(w, "2");
	edi_writer_comp(w, "3");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0);
	ck_assert_str_eq(b.data, "UNS+S'CNT+2:3'");
	buf_free(&b);
	edi_writer_free(w);
}
END_TEST

START_TEST(test_w_misuse)
{
	struct buf b;
	buf_init(&b, 0);
	/* a repetition needs syntax 4 */
	struct edi_writer *w = writer("UNOA", 3, &STD4);
	ck_assert_int_eq(edi_writer_delims(w)->rep, 0);
	edi_writer_seg(w, "TST");
	edi_writer_elem(w, "A");
	edi_writer_rep(w, "B");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	/* bad tags, components outside an element, end without a segment */
	edi_writer_seg(w, "ts1");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EINVAL);
	edi_writer_seg(w, "TOOLONG");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EINVAL);
	edi_writer_seg(w, "TST");
	edi_writer_comp(w, "X");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EINVAL);
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EINVAL);
	ck_assert_uint_eq(b.len, 0);
	/* the writer is usable after an error */
	edi_writer_seg(w, "TST");
	edi_writer_elem(w, "OK");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0);
	ck_assert_str_eq(b.data, "TST+OK'");
	edi_writer_free(w);
	/* repetition separator 0 in syntax 4: no repetitions */
	struct edi_delims d = STD4;
	d.rep = 0;
	w = writer("UNOA", 4, &d);
	edi_writer_seg(w, "TST");
	edi_writer_elem(w, "A");
	edi_writer_rep(w, "B");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EINVAL);
	edi_writer_free(w);
	buf_free(&b);
	/* the caller's cap: nothing appended beyond it */
	w = writer("UNOA", 3, NULL);
	buf_init(&b, 10);
	edi_writer_seg(w, "FTX");
	edi_writer_elem(w, "12345");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), 0); /* 10 bytes: at the cap */
	edi_writer_seg(w, "FTX");
	edi_writer_elem(w, "1");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -ENOSPC);
	ck_assert_str_eq(b.data, "FTX+12345'");
	buf_free(&b);
	edi_writer_free(w);
}
END_TEST

START_TEST(test_w_new_refuses)
{
	struct edi_writer *w = (struct edi_writer *)1;
	ck_assert_int_eq(edi_writer_new(&w, "UNOZ", 3, NULL), -ENOTSUP);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(edi_writer_new(&w, "UNOX", 3, NULL), -ENOTSUP);
	ck_assert_int_eq(edi_writer_new(&w, "unoa", 3, NULL), -ENOTSUP);
	ck_assert_int_eq(edi_writer_new(&w, "UNOA", 0, NULL), -EINVAL);
	ck_assert_int_eq(edi_writer_new(&w, "UNOA", 5, NULL), -EINVAL);
	struct edi_delims bad[] = {
		{ ':', ':', '.', '?', 0, '\'' },   /* comp = elem */
		{ ':', '+', '.', '+', 0, '\'' },   /* rel = elem */
		{ ':', '+', '.', '?', '?', '\'' }, /* rep = rel (syntax 4) */
		{ 'A', '+', '.', '?', 0, '\'' },   /* a letter */
		{ ':', '5', '.', '?', 0, '\'' },   /* a digit */
		{ ':', '+', '.', '?', 0, ' ' },    /* a space */
		{ ':', '+', '.', '?', 0, 0 },      /* unset */
		{ ':', '+', ';', '?', 0, '\'' },   /* decimal mark neither . nor , */
		{ ':', (char)0xA7, '.', '?', 0, '\'' }, /* not ASCII */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(edi_writer_new(&w, "UNOA", 4, &bad[i]) == -EINVAL, "delims %zu accepted", i);
	/* every level we claim opens */
	const char *ok[] = { "UNOA", "UNOB", "UNOC", "UNOD", "UNOE", "UNOF", "UNOG",
			     "UNOH", "UNOI", "UNOJ", "UNOK", "UNOW", "UNOY" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		w = writer(ok[i], 3, NULL);
		ck_assert_str_eq(edi_writer_syntax_id(w), ok[i]);
		ck_assert_int_eq(edi_writer_syntax_version(w), 3);
		edi_writer_free(w);
	}
	edi_writer_free(NULL);
}
END_TEST

/* The UNA a writer would put in front, "" when none. */
static char *una_of(const char *id, int version, const struct edi_delims *d)
{
	struct edi_writer *w = writer(id, version, d);
	struct buf b;
	buf_init(&b, 0);
	if (edi_writer_una_needed(w))
		edi_writer_una(w, &b);
	edi_writer_free(w);
	return buf_steal(&b);
}

static void expect_una(const char *id, int version, const struct edi_delims *d, const char *want)
{
	char *got = una_of(id, version, d);
	ck_assert_msg(strcmp(got, want) == 0, "%s:%d: UNA '%s', want '%s'", id, version, got, want);
	free(got);
}

START_TEST(test_w_una)
{
	/* UNOA with its defaults: none */
	expect_una("UNOA", 3, &STD3, "");
	expect_una("UNOA", 3, NULL, "");
	expect_una("UNOA", 1, &STD3, "");
	expect_una("UNOA", 4, &STD4, "");
	/* a repetition separator given for syntax 3 is not used: still the defaults */
	expect_una("UNOA", 3, &STD4, "");
	/* syntax 4 without a repetition separator differs from its default '*' */
	expect_una("UNOA", 4, &STD3, "UNA:+.? '");
	/* any other separator, the decimal comma, no release character */
	struct edi_delims d = STD3;
	d.dec = ',';
	expect_una("UNOA", 3, &d, "UNA:+,? '");
	d = STD3;
	d.seg = '~';
	expect_una("UNOA", 3, &d, "UNA:+.? ~");
	d = STD4;
	d.rep = '^';
	expect_una("UNOA", 4, &d, "UNA:+.?^'");
	d = STD3;
	d.rel = 0;
	expect_una("UNOA", 3, &d, "UNA:+.  '");
	/* any level but UNOA: always, even with the usual separators */
	expect_una("UNOB", 3, &STD3, "UNA:+.? '");
	expect_una("UNOC", 3, &STD3, "UNA:+.? '");
	expect_una("UNOW", 4, &STD4, "UNA:+.?*'");
	struct edi_delims isb = { 0x1f, 0x1d, '.', 0, 0, 0x1c };
	expect_una("UNOB", 3, &isb, "UNA\x1f\x1d. \x20\x1c");
}
END_TEST

START_TEST(test_w_charsets)
{
	struct edi_writer *w = writer("UNOA", 3, NULL);
	expect_one(w, "ACME GMBH & CO. (DE) 10/20=50% <A> \"Q\" !;*,-", "FTX+ACME GMBH & CO. (DE) 10/20=50% <A> \"Q\" !;*,-'");
	edi_writer_free(w);

	w = writer("UNOB", 3, NULL);
	expect_one(w, "Acme Corp.", "FTX+Acme Corp.'");
	edi_writer_free(w);

	w = writer("UNOC", 3, NULL);
	expect_one(w, "M\xc3\xbcller \xc3\x9f \xc3\xa9", "FTX+M\xfcller \xdf \xe9'"); /* Müller ß é */
	expect_one(w, "caf\xc3\xa9+cr\xc3\xa8me", "FTX+caf\xe9?+cr\xe8me'");
	edi_writer_free(w);

	w = writer("UNOD", 3, NULL);
	expect_one(w, "\xc5\x81\xc3\xb3\x64\xc5\xba", "FTX+\xa3\xf3\x64\xbc'"); /* Łódź in ISO 8859-2 */
	edi_writer_free(w);

	w = writer("UNOE", 3, NULL);
	expect_one(w, "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", "FTX+\xbc\xde\xe1\xda\xd2\xd0'"); /* Москва */
	edi_writer_free(w);

	w = writer("UNOF", 3, NULL);
	expect_one(w, "\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1", "FTX+\xc1\xe8\xde\xed\xe1'"); /* Αθήνα */
	edi_writer_free(w);

	/* UTF-8 levels: the bytes as given */
	w = writer("UNOW", 4, NULL);
	expect_one(w, "\xe5\x8c\x97\xe4\xba\xac \xe2\x82\xac", "FTX+\xe5\x8c\x97\xe4\xba\xac \xe2\x82\xac'");
	edi_writer_free(w);
	w = writer("UNOY", 4, NULL);
	expect_one(w, "\xf0\x9f\x93\xa6*", "FTX+\xf0\x9f\x93\xa6?*'");
	edi_writer_free(w);
}
END_TEST

START_TEST(test_w_charset_refusals)
{
	struct edi_writer *w = writer("UNOA", 3, NULL);
	expect_refused(w, "Acme", "U+0063 'c' is not in UNOA");
	expect_refused(w, "A#B", "U+0023 '#' is not in UNOA");
	expect_refused(w, "A@B", "U+0040");
	expect_refused(w, "M\xc3\x9cLLER", "U+00DC is not in UNOA");
	expect_one(w, "MUELLER", "FTX+MUELLER'");
	edi_writer_free(w);

	w = writer("UNOB", 3, NULL);
	expect_refused(w, "caf\xc3\xa9", "U+00E9 is not in UNOB");
	expect_refused(w, "a_b", "U+005F");
	edi_writer_free(w);

	w = writer("UNOC", 3, NULL);
	expect_refused(w, "100 \xe2\x82\xac", "U+20AC is not in UNOC"); /* € is not Latin-1 */
	expect_refused(w, "\xc5\x81\xc3\xb3\x64\xc5\xba", "U+0141 is not in UNOC");
	edi_writer_free(w);

	w = writer("UNOD", 3, NULL);
	expect_refused(w, "Espa\xc3\xb1" "a", "U+00F1 is not in UNOD");
	edi_writer_free(w);

	w = writer("UNOE", 3, NULL);
	expect_refused(w, "\xce\x91", "U+0391 is not in UNOE");
	edi_writer_free(w);

	/* every level: control characters and invalid UTF-8 */
	const char *ids[] = { "UNOA", "UNOB", "UNOC", "UNOW", "UNOY" };
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		w = writer(ids[i], 4, NULL);
		expect_refused(w, "LINE1\nLINE2", "control character U+000A");
		expect_refused(w, "A\tB", "U+0009");
		expect_refused(w, "A\x7f", "U+007F");
		expect_refused(w, "A\xc2\x85", "U+0085");
		expect_refused(w, "A\xff", "invalid UTF-8 at byte 1");
		expect_refused(w, "A\xc3", "invalid UTF-8");            /* truncated */
		expect_refused(w, "\xc0\xaf", "invalid UTF-8");         /* overlong '/' */
		expect_refused(w, "\xed\xa0\x80", "invalid UTF-8");     /* surrogate */
		edi_writer_free(w);
	}

	/* a NUL inside a counted value */
	w = writer("UNOC", 3, NULL);
	struct buf b;
	buf_init(&b, 0);
	edi_writer_seg(w, "FTX");
	edi_writer_elem_n(w, "A\0B", 3);
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EILSEQ);
	ck_assert_uint_eq(b.len, 0);
	/* an error inside a segment spoils the whole segment, later values included */
	edi_writer_seg(w, "FTX");
	edi_writer_elem(w, "OK");
	edi_writer_elem(w, "\xe2\x82\xac");
	edi_writer_elem(w, "ALSO OK");
	ck_assert_int_eq(edi_writer_seg_end(w, &b), -EILSEQ);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	edi_writer_free(w);
}
END_TEST

START_TEST(test_w_no_release_character)
{
	struct edi_delims d = STD3;
	d.rel = 0;
	struct edi_writer *w = writer("UNOA", 3, &d);
	expect_one(w, "PLAIN", "FTX+PLAIN'");
	expect_one(w, "WHY?", "FTX+WHY?'"); /* '?' is no service character here */
	expect_refused(w, "A+B", "'+' is a separator and there is no release character");
	expect_refused(w, "O'NEIL", "'''");
	edi_writer_free(w);
}
END_TEST

/* ============================================================ CONTRL */

#define WHEN ((time_t)1709647679) /* 2024-03-05 14:07:59 UTC */

static struct edi_unb make_unb(const char *syntax, int version, const char *ref)
{
	struct edi_unb u;
	memset(&u, 0, sizeof u);
	snprintf(u.syntax_id, sizeof u.syntax_id, "%s", syntax);
	u.syntax_version = version;
	snprintf(u.sender, sizeof u.sender, "5412345000013");
	snprintf(u.sender_qual, sizeof u.sender_qual, "14");
	snprintf(u.recipient, sizeof u.recipient, "4012345000009");
	snprintf(u.recipient_qual, sizeof u.recipient_qual, "14");
	snprintf(u.date, sizeof u.date, "240101");
	snprintf(u.time, sizeof u.time, "1200");
	snprintf(u.ref, sizeof u.ref, "%s", ref);
	snprintf(u.ack_request, sizeof u.ack_request, "1");
	u.delims = version >= 4 ? STD4 : STD3;
	u.index = 1;
	return u;
}

static struct contrl_params make_params(void)
{
	struct contrl_params p;
	memset(&p, 0, sizeof p);
	p.ref = 42;
	p.msg_ref = 7;
	p.when = WHEN;
	return p;
}

static struct contrl_msg_id make_id(const char *release, const char *assoc)
{
	struct contrl_msg_id id;
	memset(&id, 0, sizeof id);
	snprintf(id.type, sizeof id.type, "ORDERS");
	snprintf(id.version, sizeof id.version, "D");
	snprintf(id.release, sizeof id.release, "%s", release);
	snprintf(id.agency, sizeof id.agency, "UN");
	snprintf(id.assoc, sizeof id.assoc, "%s", assoc);
	return id;
}

static const struct contrl_msg_id *ID96A(void)
{
	static struct contrl_msg_id id;
	id = make_id("96A", "EAN008");
	return &id;
}

static void msg_init(struct edi_msg_result *r, const char *ref)
{
	memset(r, 0, sizeof *r);
	snprintf(r->ref, sizeof r->ref, "%s", ref);
	snprintf(r->type, sizeof r->type, "ORDERS");
	r->seg_count = 10;
}

static void add_err(struct x12_errlist *l, enum x12_scope scope, const char *code, const char *seg,
		    uint64_t pos, int elem, int comp, int rep)
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
	e.msg = (char *)"test finding";
	x12_errlist_add(l, &e);
}

/* A message result made final the way the reader does it. */
static void msg_finish(struct edi_msg_result *r)
{
	edi_msg_result_finish(r);
}

static struct edi_ung make_ung(const char *ref)
{
	struct edi_ung g;
	memset(&g, 0, sizeof g);
	snprintf(g.group_id, sizeof g.group_id, "ORDERS");
	snprintf(g.sender, sizeof g.sender, "BUYER");
	snprintf(g.sender_qual, sizeof g.sender_qual, "ZZZ");
	snprintf(g.recipient, sizeof g.recipient, "SELLER");
	snprintf(g.recipient_qual, sizeof g.recipient_qual, "ZZZ");
	snprintf(g.ref, sizeof g.ref, "%s", ref);
	snprintf(g.agency, sizeof g.agency, "UN");
	snprintf(g.version, sizeof g.version, "D");
	snprintf(g.release, sizeof g.release, "01B");
	return g;
}

static struct edi_group_result make_group(const struct edi_ung *ung, char action, const char *code)
{
	struct edi_group_result g;
	memset(&g, 0, sizeof g);
	g.ung = *ung;
	g.have_une = 1;
	g.action = action;
	snprintf(g.code, sizeof g.code, "%s", code);
	return g;
}

static struct edi_interchange_result make_ic(const struct edi_unb *unb, char action, const char *code,
					     uint64_t messages)
{
	struct edi_interchange_result r;
	memset(&r, 0, sizeof r);
	r.unb = *unb;
	r.action = action;
	snprintf(r.code, sizeof r.code, "%s", code);
	r.envelope_ok = action != '4';
	r.declared = messages;
	r.messages = messages;
	return r;
}

/* Finish into a string (its length in *len when not NULL). */
static char *finish_str(struct contrl_writer *w, const struct edi_interchange_result *res,
			int *written, int *rc_out, size_t *len)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	int rc = contrl_writer_finish(w, res, fileno(f), written);
	if (rc_out)
		*rc_out = rc;
	else
		ck_assert_int_eq(rc, 0);
	struct buf b;
	buf_init(&b, 0);
	char chunk[65536];
	rewind(f);
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (len)
		*len = b.len;
	return buf_steal(&b);
}

static char *fixture(const char *name, size_t *len)
{
	char *rel = xasprintf("tests/data/contrl/%s", name);
	char *path = tu_srcpath(rel);
	char *s = tu_read(path, len);
	ck_assert_msg(s != NULL, "missing fixture %s", path);
	free(path);
	free(rel);
	return s;
}

/* Occurrences of needle in s. */
static size_t count(const char *s, const char *needle)
{
	size_t n = 0, k = strlen(needle), len = strlen(s);
	for (size_t i = 0; i + k <= len; i++)
		n += memcmp(s + i, needle, k) == 0;
	return n;
}

/* A CONTRL for one interchange without groups, the messages given; its bytes. */
static char *contrl_of(const struct contrl_params *p, const struct edi_unb *unb,
		       struct edi_msg_result *msgs, size_t n, const struct edi_interchange_result *ic,
		       int *written)
{
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, p, unb), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(contrl_message(w, &msgs[i], ID96A()), 0);
	char *out = finish_str(w, ic, written, NULL, NULL);
	contrl_writer_free(w);
	return out;
}

/* The segments between from (included) and to (excluded). */
static char *between(const char *s, const char *from, const char *to)
{
	const char *a = strstr(s, from);
	ck_assert_msg(a != NULL, "'%s' not in %s", from, s);
	const char *b = strstr(a, to);
	ck_assert_msg(b != NULL, "'%s' not in %s", to, s);
	return span_dup((struct span){ a, (size_t)(b - a) });
}

static void free_msgs(struct edi_msg_result *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x12_errlist_free(&m[i].errors);
}

START_TEST(test_c_accepted)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m[2];
	msg_init(&m[0], "1");
	msg_init(&m[1], "2");
	msg_finish(&m[0]);
	msg_finish(&m[1]);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 2);
	int written = -1;
	char *got = contrl_of(&p, &unb, m, 2, &ic, &written);
	ck_assert_int_eq(written, 1);
	size_t n = 0;
	char *want = fixture("accepted.edi", &n);
	ck_assert_uint_eq(strlen(got), n);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	free_msgs(m, 2);
}
END_TEST

START_TEST(test_c_unt_count_wrong)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m[2];
	msg_init(&m[0], "1");
	msg_init(&m[1], "2");
	/* as the reader reports it: UNT 0074 (element 1, "component" 1) does not match */
	add_err(&m[1].errors, X12_SCOPE_TXN, "29", "UNT", 7, 1, 1, 0);
	msg_finish(&m[0]);
	msg_finish(&m[1]);
	ck_assert_int_eq(m[1].action, '4');
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 2);
	char *got = contrl_of(&p, &unb, m, 2, &ic, NULL);
	char *body = between(got, "UCI", "UNT+5+");
	/* 0013 UNT and S011 0098 = 2 (the tag is 1); no component for the simple 0074 */
	ck_assert_str_eq(body, "UCI+IC0001+5412345000013:14+4012345000009:14+7'"
			       "UCM+1+ORDERS:D:96A:UN:EAN008+7'"
			       "UCM+2+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'");
	ck_assert_ptr_nonnull(strstr(got, "UNT+5+7'UNZ+1+000000042'"));
	free(body);
	free(got);
	free_msgs(m, 2);
}
END_TEST

START_TEST(test_c_unknown_qualifier)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	/* NAD at position 5: its qualifier (3035, element 1) is no known code, and C082's code
	 * list agency (element 2, component 3) neither */
	add_err(&m.errors, X12_SCOPE_ELEMENT, "12", "NAD", 5, 1, 0, 0);
	add_err(&m.errors, X12_SCOPE_ELEMENT, "12", "NAD", 5, 2, 3, 0);
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	char *body = between(got, "UCM", "UNT+");
	ck_assert_str_eq(body, "UCM+1+ORDERS:D:96A:UN:EAN008+4'UCS+5'UCD+12+2'UCD+12+3:3'");
	ck_assert_ptr_nonnull(strstr(got, "UNT+7+7'"));
	free(body);
	free(got);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_details_grouping)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	/* findings in reader/validator order: element findings join their segment's UCS
	 * wherever they come; UCS in the order of their first finding; one UCS per segment
	 * occurrence (the first segment-level code); application findings never appear */
	add_err(&m.errors, X12_SCOPE_ELEMENT, "39", "DTM", 3, 1, 2, 0);
	add_err(&m.errors, X12_SCOPE_SEGMENT, "13", "BGM", 2, 0, 0, 0);
	add_err(&m.errors, X12_SCOPE_ELEMENT, "37", "QTY", 9, 1, 2, 0);
	add_err(&m.errors, X12_SCOPE_SEGMENT, "35", "DTM", 3, 0, 0, 0);
	add_err(&m.errors, X12_SCOPE_ELEMENT, "21", "DTM", 3, 1, 3, 0);
	add_err(&m.errors, X12_SCOPE_SEGMENT, "15", "DTM", 3, 0, 0, 0); /* second code: left out */
	add_err(&m.errors, X12_SCOPE_ELEMENT, "12", "QTY", 12, 1, 1, 0); /* another QTY occurrence */
	add_err(&m.errors, X12_SCOPE_ELEMENT, "12", "PRI", 10, 1, 1, 0);
	m.errors.v[m.errors.n - 1].application = 1;
	add_err(&m.errors, X12_SCOPE_SEGMENT, "13", "", 0, 0, 0, 0); /* no position: left out */
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	char *body = between(got, "UCM", "UNT+");
	ck_assert_str_eq(body, "UCM+1+ORDERS:D:96A:UN:EAN008+4'"
			       "UCS+3+35'UCD+39+2:2'UCD+21+2:3'"
			       "UCS+2+13'"
			       "UCS+9'UCD+37+2:2'"
			       "UCS+12'UCD+12+2:1'");
	free(body);
	free(got);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_application_rejection_acknowledged)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	add_err(&m.errors, X12_SCOPE_ELEMENT, "12", "LIN", 6, 3, 1, 0);
	m.errors.v[0].application = 1; /* e.g. an unknown item: a business matter, not syntax */
	msg_finish(&m);
	ck_assert_int_eq(m.action, '7');
	ck_assert_int_eq(m.app_rejected, 1);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UCM+1+ORDERS:D:96A:UN:EAN008+7'UNT+4+7'"));
	ck_assert_ptr_null(strstr(got, "UCS"));
	free(got);
	/* action 0 (not finished): computed the same way */
	m.action = 0;
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UCM+1+ORDERS:D:96A:UN:EAN008+7'"));
	free(got);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_rejected_interchange)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m[2];
	msg_init(&m[0], "1");
	msg_init(&m[1], "2");
	add_err(&m[1].errors, X12_SCOPE_ELEMENT, "12", "NAD", 5, 1, 0, 0);
	msg_finish(&m[0]);
	msg_finish(&m[1]);
	struct edi_interchange_result ic = make_ic(&unb, '4', "29", 2);
	/* as the reader reports it: UNZ 0036 (element 1) does not match */
	add_err(&ic.errors, X12_SCOPE_INTERCHANGE, "29", "UNZ", 0, 1, 1, 0);
	int written = 0;
	char *got = contrl_of(&p, &unb, m, 2, &ic, &written);
	ck_assert_int_eq(written, 1);
	size_t n = 0;
	char *want = fixture("rejected-interchange.edi", &n);
	ck_assert_str_eq(got, want); /* no UCM: the messages are rejected with the interchange */
	free(want);
	free(got);

	/* an envelope error before any message was read (nothing reported) still gets UCI 4 */
	struct edi_interchange_result ic0 = make_ic(&unb, '4', "28", 0);
	add_err(&ic0.errors, X12_SCOPE_INTERCHANGE, "28", "UNZ", 0, 2, 1, 0);
	got = contrl_of(&p, &unb, NULL, 0, &ic0, &written);
	ck_assert_int_eq(written, 1);
	ck_assert_ptr_nonnull(strstr(got, "UCI+IC0001+5412345000013:14+4012345000009:14+4+28+UNZ+3'UNT+3+7'"));
	free(got);

	/* a code without a finding to place it: UCI 4 with the code alone; action 0 and a
	 * broken envelope: rejected */
	struct edi_interchange_result ic1 = make_ic(&unb, 0, "2", 0);
	ic1.envelope_ok = 0;
	got = contrl_of(&p, &unb, NULL, 0, &ic1, &written);
	ck_assert_ptr_nonnull(strstr(got, "UCI+IC0001+5412345000013:14+4012345000009:14+4+2'"));
	free(got);

	/* a finding with another code does not place it */
	add_err(&ic1.errors, X12_SCOPE_INTERCHANGE, "29", "UNZ", 0, 1, 1, 0);
	got = contrl_of(&p, &unb, NULL, 0, &ic1, &written);
	ck_assert_ptr_nonnull(strstr(got, "UCI+IC0001+5412345000013:14+4012345000009:14+4+2'"));
	free(got);
	x12_errlist_free(&ic1.errors);

	/* a UNB element: UNB 0031 (element 9) with a bad value */
	struct edi_interchange_result ic2 = make_ic(&unb, '4', "12", 0);
	add_err(&ic2.errors, X12_SCOPE_INTERCHANGE, "12", "UNB", 0, 9, 1, 0);
	got = contrl_of(&p, &unb, NULL, 0, &ic2, &written);
	ck_assert_ptr_nonnull(strstr(got, "+4+12+UNB+10'"));
	free(got);
	/* a composite of the UNB keeps its component: S002 (element 2) component 2 */
	struct edi_interchange_result ic3 = make_ic(&unb, '4', "12", 0);
	add_err(&ic3.errors, X12_SCOPE_INTERCHANGE, "12", "UNB", 0, 2, 2, 0);
	got = contrl_of(&p, &unb, NULL, 0, &ic3, &written);
	ck_assert_ptr_nonnull(strstr(got, "+4+12+UNB+3:2'"));
	free(got);
	x12_errlist_free(&ic.errors);
	x12_errlist_free(&ic0.errors);
	x12_errlist_free(&ic2.errors);
	x12_errlist_free(&ic3.errors);
	free_msgs(m, 2);
}
END_TEST

/* The groups fixture: syntax 4, UNOC, two groups, the second rejected. */
static char *groups_contrl(void)
{
	struct edi_unb unb = make_unb("UNOC", 4, "IC0002");
	snprintf(unb.test, sizeof unb.test, "1");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct contrl_msg_id id = make_id("01B", "EAN010");

	struct edi_ung g1 = make_ung("G1");
	ck_assert_int_eq(contrl_group_begin(w, &g1), 0);
	struct edi_msg_result m[3];
	msg_init(&m[0], "M1");
	msg_init(&m[1], "M2");
	msg_init(&m[2], "M3");
	add_err(&m[1].errors, X12_SCOPE_ELEMENT, "12", "RFF", 4, 2, 1, 2);
	add_err(&m[1].errors, X12_SCOPE_SEGMENT, "13", "DTM", 6, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		msg_finish(&m[i]);
	ck_assert_int_eq(contrl_message(w, &m[0], &id), 0);
	ck_assert_int_eq(contrl_message(w, &m[1], &id), 0);
	struct edi_group_result r1 = make_group(&g1, '7', "");
	ck_assert_int_eq(contrl_group_end(w, &r1), 0);

	struct edi_ung g2 = make_ung("G2");
	ck_assert_int_eq(contrl_group_begin(w, &g2), 0);
	ck_assert_int_eq(contrl_message(w, &m[2], &id), 0);
	struct edi_group_result r2 = make_group(&g2, '4', "29");
	add_err(&r2.errors, X12_SCOPE_GROUP, "29", "UNE", 0, 1, 1, 0);
	ck_assert_int_eq(contrl_group_end(w, &r2), 0);
	ck_assert_uint_eq(contrl_writer_messages(w), 3);

	struct edi_interchange_result ic = make_ic(&unb, '7', "", 3);
	ic.groups = 2;
	int written = 0;
	char *got = finish_str(w, &ic, &written, NULL, NULL);
	ck_assert_int_eq(written, 1);
	/* finishing again writes the same bytes */
	char *again = finish_str(w, &ic, &written, NULL, NULL);
	ck_assert_str_eq(again, got);
	free(again);
	contrl_writer_free(w);
	x12_errlist_free(&r2.errors);
	free_msgs(m, 3);
	return got;
}

START_TEST(test_c_groups)
{
	char *got = groups_contrl();
	size_t n = 0;
	char *want = fixture("groups.edi", &n);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}
END_TEST

START_TEST(test_c_deterministic)
{
	char *a = groups_contrl();
	char *b = groups_contrl();
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	/* and the time and control numbers are what make two CONTRLs differ */
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *x = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	p.when += 60;
	char *y = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_str_ne(x, y);
	ck_assert_ptr_nonnull(strstr(y, "+240305:1408+"));
	free(x);
	free(y);
}
END_TEST

START_TEST(test_c_swapped_envelope)
{
	struct edi_unb unb = make_unb("UNOB", 3, "REF-9");
	snprintf(unb.sender, sizeof unb.sender, "Acme Supply");
	snprintf(unb.sender_qual, sizeof unb.sender_qual, "ZZZ");
	snprintf(unb.sender_route, sizeof unb.sender_route, "Back Office");
	snprintf(unb.recipient, sizeof unb.recipient, "edigw");
	unb.recipient_qual[0] = '\0';
	snprintf(unb.recipient_route, sizeof unb.recipient_route, "EDI");
	snprintf(unb.test, sizeof unb.test, "1");
	struct contrl_params p = make_params();
	p.ref = 123456789;
	p.msg_ref = 999999999;
	struct edi_msg_result m;
	msg_init(&m, "1");
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	/* UNOB: a UNA; our UNB swaps sender and recipient with their qualifiers and routing
	 * addresses; test indicator kept; our references */
	ck_assert_str_eq(got, "UNA:+.? '"
			      "UNB+UNOB:3+edigw::EDI+Acme Supply:ZZZ:Back Office+240305:1407+123456789++++++1'"
			      "UNH+999999999+CONTRL:D:3:UN'"
			      "UCI+REF-9+Acme Supply:ZZZ:Back Office+edigw::EDI+7'"
			      "UCM+1+ORDERS:D:96A:UN:EAN008+7'"
			      "UNT+4+999999999'UNZ+1+123456789'");
	free(got);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_escaping_partner_values)
{
	struct edi_unb unb = make_unb("UNOA", 4, "IC'1+2");
	snprintf(unb.sender, sizeof unb.sender, "A:B?C*D");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_ung g = make_ung("G+1");
	snprintf(g.recipient, sizeof g.recipient, "SELL'ER");
	ck_assert_int_eq(contrl_group_begin(w, &g), 0);
	struct edi_msg_result m;
	msg_init(&m, "M'1");
	add_err(&m.errors, X12_SCOPE_TXN, "28", "UNT", 9, 2, 1, 0);
	msg_finish(&m);
	struct contrl_msg_id id = make_id("96A", "EAN+08");
	ck_assert_int_eq(contrl_message(w, &m, &id), 0);
	struct edi_group_result gr = make_group(&g, '7', "");
	ck_assert_int_eq(contrl_group_end(w, &gr), 0);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = finish_str(w, &ic, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNB+UNOA:4+4012345000009:14+A?:B?\?C?*D:14+20240305:1407+000000042'"));
	ck_assert_ptr_nonnull(strstr(got, "UCI+IC?'1?+2+A?:B?\?C?*D:14+4012345000009:14+7'"));
	ck_assert_ptr_nonnull(strstr(got, "UCF+G?+1+BUYER:ZZZ+SELL?'ER:ZZZ+7'"));
	ck_assert_ptr_nonnull(strstr(got, "UCM+M?'1+ORDERS:D:96A:UN:EAN?+08+4+28+UNT+3'"));
	ck_assert_ptr_nonnull(strstr(got, "UNT+5+7'UNZ+1+000000042'"));
	/* every segment ends where it should: 7 terminators that are not released (UNB UNH UCI
	 * UCF UCM UNT UNZ) */
	size_t seps = 0;
	for (size_t i = 0; got[i]; i++)
		seps += got[i] == '\'' && (i == 0 || got[i - 1] != '?');
	ck_assert_uint_eq(seps, 7);
	free(got);
	contrl_writer_free(w);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_charset)
{
	/* UNOC: the recipient's name converted to Latin-1 */
	struct edi_unb unb = make_unb("UNOC", 3, "IC0001");
	snprintf(unb.sender, sizeof unb.sender, "M\xc3\x9cLLER GMBH");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNA:+.? 'UNB+UNOC:3+4012345000009:14+M\xdcLLER GMBH:14+"));
	ck_assert_ptr_null(strstr(got, "\xc3"));
	free(got);

	/* UNOA cannot carry a lower-case sender (a partner allowed charset_relaxed): refused,
	 * never replaced; answered in UNOB when we say so */
	unb = make_unb("UNOA", 3, "IC0001");
	snprintf(unb.sender, sizeof unb.sender, "Acme");
	struct contrl_writer *w = (struct contrl_writer *)1;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -EILSEQ);
	ck_assert_ptr_null(w);
	snprintf(p.syntax_id, sizeof p.syntax_id, "UNOB");
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNA:+.? 'UNB+UNOB:3+4012345000009:14+Acme:14+"));
	free(got);
	/* the inbound reference alone (only in the UCI) is checked up front too */
	p = make_params();
	unb = make_unb("UNOA", 3, "ic1");
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -EILSEQ);

	/* a syntax identifier we cannot write: answered in UNOA; an unknown version: 3 */
	unb = make_unb("UNOZ", 9, "IC0001");
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNB+UNOA:3+4012345000009:14+5412345000013:14+240305:1407+"));
	ck_assert_uint_eq(got[0], 'U');
	ck_assert_ptr_null(strstr(got, "UNA"));
	free(got);
	/* ... or UNOB when UNOA cannot carry its ids */
	snprintf(unb.sender, sizeof unb.sender, "Acme");
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNA:+.? 'UNB+UNOB:3+4012345000009:14+Acme:14+"));
	free(got);
	/* and nothing when neither can (the writer never replaces a character) */
	snprintf(unb.sender, sizeof unb.sender, "ACM\xc3\x89");
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -EILSEQ);
	/* but one we are told to use must be writable */
	snprintf(p.syntax_id, sizeof p.syntax_id, "UNOX");
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -ENOTSUP);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_separators)
{
	/* the inbound's own separators (from its UNA) are used, with a UNA */
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	unb.delims = (struct edi_delims){ '^', '|', ',', '!', 0, '~' };
	unb.una = 1;
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	add_err(&m.errors, X12_SCOPE_ELEMENT, "12", "NAD", 5, 2, 3, 0);
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_str_eq(got, "UNA^|,! ~"
			      "UNB|UNOA^3|4012345000009^14|5412345000013^14|240305^1407|000000042~"
			      "UNH|7|CONTRL^D^3^UN~"
			      "UCI|IC0001|5412345000013^14|4012345000009^14|7~"
			      "UCM|1|ORDERS^D^96A^UN^EAN008|4~UCS|5~UCD|12|3^3~"
			      "UNT|6|7~UNZ|1|000000042~");
	free(got);
	/* unusable inbound separators: ours */
	unb.delims = (struct edi_delims){ 'A', '+', '.', '?', 0, '\'' };
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_uint_eq(got[0], 'U');
	ck_assert_ptr_nonnull(strstr(got, "UNB+UNOA:3+"));
	free(got);
	/* separators we are given win; a UNA on request */
	p.delims = STD3;
	p.delims.seg = '\n';
	p.una_always = 1;
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_str_eq(got, "UNA:+.? \nUNB+UNOA:3+4012345000009:14+5412345000013:14+240305:1407+000000042\n"
			      "UNH+7+CONTRL:D:3:UN\nUCI+IC0001+5412345000013:14+4012345000009:14+7\n"
			      "UCM+1+ORDERS:D:96A:UN:EAN008+4\nUCS+5\nUCD+12+3:3\nUNT+6+7\nUNZ+1+000000042\n");
	free(got);
	p = make_params();
	p.una_always = 1;
	unb.delims = STD3;
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNA:+.? 'UNB+UNOA:3+"));
	free(got);
	p.delims = (struct edi_delims){ ':', ':', '.', '?', 0, '\'' };
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -EINVAL);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_syntax_versions)
{
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	add_err(&m.errors, X12_SCOPE_ELEMENT, "35", "RFF", 4, 1, 2, 3);
	msg_finish(&m);
	/* syntax 4: CCYYMMDD, CONTRL 4:1, the repetition in S011 (0136) */
	struct edi_unb unb = make_unb("UNOA", 4, "IC0001");
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_str_eq(got, "UNB+UNOA:4+4012345000009:14+5412345000013:14+20240305:1407+000000042'"
			      "UNH+7+CONTRL:4:1:UN'UCI+IC0001+5412345000013:14+4012345000009:14+7'"
			      "UCM+1+ORDERS:D:96A:UN:EAN008+4'UCS+4'UCD+35+2:2:3'UNT+6+7'UNZ+1+000000042'");
	free(got);
	/* syntax 1 to 3: YYMMDD, CONTRL D:3, no 0136 */
	for (int v = 1; v <= 3; v++) {
		unb = make_unb("UNOA", v, "IC0001");
		ic = make_ic(&unb, '7', "", 1);
		got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
		char want[64];
		snprintf(want, sizeof want, "UNB+UNOA:%d+", v);
		ck_assert_ptr_nonnull(strstr(got, want));
		ck_assert_ptr_nonnull(strstr(got, "+240305:1407+"));
		ck_assert_ptr_nonnull(strstr(got, "UNH+7+CONTRL:D:3:UN'"));
		ck_assert_ptr_nonnull(strstr(got, "UCD+35+2:2'"));
		free(got);
	}
	/* what we are told: the version we answer with, the CONTRL version and the association
	 * code a partner's guide asks for */
	unb = make_unb("UNOA", 3, "IC0001");
	snprintf(p.unh_version, sizeof p.unh_version, "D");
	snprintf(p.unh_release, sizeof p.unh_release, "3");
	snprintf(p.unh_assoc, sizeof p.unh_assoc, "EAN002");
	p.syntax_version = 4;
	ic = make_ic(&unb, '7', "", 1);
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNA:+.? 'UNB+UNOA:4+")); /* no '*' inbound: a UNA */
	ck_assert_ptr_nonnull(strstr(got, "UNH+7+CONTRL:D:3:UN:EAN002'"));
	free(got);
	struct contrl_writer *w = NULL;
	p.unh_release[0] = '\0';
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -EINVAL);
	p.unh_release[0] = '3';
	p.syntax_version = 5;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -EINVAL);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_never_contrl_a_contrl)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_msg_result m;
	msg_init(&m, "1");
	snprintf(m.type, sizeof m.type, "CONTRL");
	struct contrl_msg_id id = make_id("3", "");
	snprintf(id.type, sizeof id.type, "CONTRL");
	ck_assert_int_eq(contrl_message(w, &m, &id), -EINVAL);
	snprintf(m.type, sizeof m.type, "APERAK");
	snprintf(id.type, sizeof id.type, "APERAK");
	ck_assert_int_eq(contrl_message(w, &m, &id), -EINVAL);
	/* the id alone says so (res->type unset) */
	m.type[0] = '\0';
	ck_assert_int_eq(contrl_message(w, &m, &id), -EINVAL);
	struct edi_ung g = make_ung("G1");
	snprintf(g.group_id, sizeof g.group_id, "CONTRL");
	ck_assert_int_eq(contrl_group_begin(w, &g), -EINVAL);
	snprintf(g.group_id, sizeof g.group_id, "APERAK");
	ck_assert_int_eq(contrl_group_begin(w, &g), -EINVAL);
	ck_assert_uint_eq(contrl_writer_messages(w), 0);
	/* an interchange of CONTRLs only (read, none reported): nothing, even when rejected */
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 2);
	int written = -1;
	char *got = finish_str(w, &ic, &written, NULL, NULL);
	ck_assert_int_eq(written, 0);
	ck_assert_str_eq(got, "");
	free(got);
	ic = make_ic(&unb, '4', "29", 2);
	got = finish_str(w, &ic, &written, NULL, NULL);
	ck_assert_int_eq(written, 0);
	free(got);
	/* an empty interchange with a sound envelope: nothing */
	ic = make_ic(&unb, '7', "", 0);
	got = finish_str(w, &ic, &written, NULL, NULL);
	ck_assert_int_eq(written, 0);
	free(got);
	contrl_writer_free(w);
}
END_TEST

START_TEST(test_c_receipt_and_errors_only)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct edi_msg_result m[3];
	msg_init(&m[0], "1");
	msg_init(&m[1], "2");
	msg_init(&m[2], "3");
	add_err(&m[1].errors, X12_SCOPE_TXN, "29", "UNT", 6, 1, 1, 0);
	for (int i = 0; i < 3; i++)
		msg_finish(&m[i]);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 3);

	struct contrl_params p = make_params();
	p.receipt_only = 1;
	char *got = contrl_of(&p, &unb, m, 3, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UCI+IC0001+5412345000013:14+4012345000009:14+8'UNT+3+7'"));
	ck_assert_ptr_null(strstr(got, "UCM"));
	free(got);
	/* a rejected interchange is still reported as rejected */
	struct edi_interchange_result icr = make_ic(&unb, '4', "29", 3);
	got = contrl_of(&p, &unb, m, 3, &icr, NULL);
	ck_assert_ptr_nonnull(strstr(got, "+4+29'UNT+3+7'"));
	free(got);
	/* the reader's '8' (received) is written as such */
	struct edi_interchange_result ic8 = make_ic(&unb, '8', "", 3);
	p = make_params();
	got = contrl_of(&p, &unb, m, 3, &ic8, NULL);
	ck_assert_ptr_nonnull(strstr(got, "+8'UNT+3+7'"));
	free(got);

	p = make_params();
	p.errors_only = 1;
	got = contrl_of(&p, &unb, m, 3, &ic, NULL);
	char *body = between(got, "UCI", "UNT+4+");
	ck_assert_str_eq(body, "UCI+IC0001+5412345000013:14+4012345000009:14+7'"
			       "UCM+2+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'");
	free(body);
	free(got);
	/* errors only, all accepted: UNH UCI UNT */
	got = contrl_of(&p, &unb, m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "+7'UNT+3+7'"));
	free(got);
	/* errors only with groups: no UCF 7 without a rejected message under it */
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_ung g1 = make_ung("G1"), g2 = make_ung("G2");
	ck_assert_int_eq(contrl_group_begin(w, &g1), 0);
	ck_assert_int_eq(contrl_message(w, &m[0], ID96A()), 0);
	struct edi_group_result r1 = make_group(&g1, '7', "");
	ck_assert_int_eq(contrl_group_end(w, &r1), 0);
	ck_assert_int_eq(contrl_group_begin(w, &g2), 0);
	ck_assert_int_eq(contrl_message(w, &m[1], ID96A()), 0);
	struct edi_group_result r2 = make_group(&g2, '7', "");
	ck_assert_int_eq(contrl_group_end(w, &r2), 0);
	got = finish_str(w, &ic, NULL, NULL, NULL);
	body = between(got, "UCI", "UNT+5+");
	ck_assert_str_eq(body, "UCI+IC0001+5412345000013:14+4012345000009:14+7'"
			       "UCF+G2+BUYER:ZZZ+SELLER:ZZZ+7'"
			       "UCM+2+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'");
	free(body);
	free(got);
	contrl_writer_free(w);
	free_msgs(m, 3);
}
END_TEST

START_TEST(test_c_unnamed_levels)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m[2];
	msg_init(&m[0], "1");
	msg_init(&m[1], ""); /* UNH without 0062 */
	add_err(&m[1].errors, X12_SCOPE_TXN, "13", "UNH", 3, 1, 1, 0);
	msg_finish(&m[0]);
	msg_finish(&m[1]);
	/* without groups: the interchange is reported rejected with the message's reason */
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 2);
	char *got = contrl_of(&p, &unb, m, 2, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UCI+IC0001+5412345000013:14+4012345000009:14+4+13+UNH+2'UNT+3+7'"));
	free(got);

	/* in a group: the group is */
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_ung g1 = make_ung("G1"), g2 = make_ung("G2");
	ck_assert_int_eq(contrl_group_begin(w, &g1), 0);
	ck_assert_int_eq(contrl_message(w, &m[0], ID96A()), 0);
	ck_assert_int_eq(contrl_message(w, &m[1], ID96A()), 0);
	struct edi_group_result r1 = make_group(&g1, '7', "");
	ck_assert_int_eq(contrl_group_end(w, &r1), 0);
	ck_assert_int_eq(contrl_group_begin(w, &g2), 0);
	ck_assert_int_eq(contrl_message(w, &m[0], ID96A()), 0);
	struct edi_group_result r2 = make_group(&g2, '7', "");
	ck_assert_int_eq(contrl_group_end(w, &r2), 0);
	got = finish_str(w, &ic, NULL, NULL, NULL);
	char *body = between(got, "UCI", "UNT+");
	ck_assert_str_eq(body, "UCI+IC0001+5412345000013:14+4012345000009:14+7'"
			       "UCF+G1+BUYER:ZZZ+SELLER:ZZZ+4+13+UNH+2'"
			       "UCF+G2+BUYER:ZZZ+SELLER:ZZZ+7'UCM+1+ORDERS:D:96A:UN:EAN008+7'");
	free(body);
	free(got);
	contrl_writer_free(w);

	/* an accepted message without its identifier: covered by the UCI, no UCM */
	struct edi_msg_result a;
	msg_init(&a, "5");
	msg_finish(&a);
	struct contrl_msg_id id = make_id("", "");
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	ck_assert_int_eq(contrl_message(w, &a, &id), 0);
	got = finish_str(w, &ic, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(got, "+7'UNT+3+7'"));
	free(got);
	contrl_writer_free(w);

	/* a group without 0048: the interchange */
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_ung g0 = make_ung("");
	ck_assert_int_eq(contrl_group_begin(w, &g0), 0);
	ck_assert_int_eq(contrl_message(w, &m[0], ID96A()), 0);
	struct edi_group_result r0 = make_group(&g0, '4', "13");
	add_err(&r0.errors, X12_SCOPE_GROUP, "13", "UNG", 0, 5, 1, 0);
	ck_assert_int_eq(contrl_group_end(w, &r0), 0);
	got = finish_str(w, &ic, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(got, "+4+13+UNG+6'UNT+3+7'"));
	free(got);
	contrl_writer_free(w);
	x12_errlist_free(&r0.errors);
	free_msgs(m, 2);
}
END_TEST

START_TEST(test_c_empty_group_rejected)
{
	/* a group with no message (UNE says 0, code 32 lower level empty): reported */
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_ung g = make_ung("G1");
	ck_assert_int_eq(contrl_group_begin(w, &g), 0);
	struct edi_group_result r = make_group(&g, 0, "");
	add_err(&r.errors, X12_SCOPE_GROUP, "32", "UNE", 0, 1, 1, 0);
	ck_assert_int_eq(contrl_group_end(w, &r), 0);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 0);
	int written = 0;
	char *got = finish_str(w, &ic, &written, NULL, NULL);
	ck_assert_int_eq(written, 1);
	ck_assert_ptr_nonnull(strstr(got, "+7'UCF+G1+BUYER:ZZZ+SELLER:ZZZ+4+32+UNE+2'UNT+4+7'"));
	free(got);
	contrl_writer_free(w);
	x12_errlist_free(&r.errors);
}
END_TEST

START_TEST(test_c_call_order)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	struct edi_msg_result m;
	msg_init(&m, "1");
	msg_finish(&m);
	struct edi_ung g = make_ung("G1");
	struct edi_group_result gr = make_group(&g, '7', "");
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);

	ck_assert_int_eq(contrl_writer_new(NULL, &p, &unb), -EINVAL);
	ck_assert_int_eq(contrl_writer_new(&w, NULL, &unb), -EINVAL);
	ck_assert_int_eq(contrl_writer_new(&w, &p, NULL), -EINVAL);
	struct edi_unb nobody = unb;
	nobody.sender[0] = '\0';
	ck_assert_int_eq(contrl_writer_new(&w, &p, &nobody), -EINVAL);
	nobody = unb;
	nobody.recipient[0] = '\0';
	ck_assert_int_eq(contrl_writer_new(&w, &p, &nobody), -EINVAL);

	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	ck_assert_int_eq(contrl_group_end(w, &gr), -EINVAL);          /* no group open */
	ck_assert_int_eq(contrl_message(w, &m, NULL), -EINVAL);       /* no identifier */
	ck_assert_int_eq(contrl_message(w, &m, ID96A()), 0);          /* outside groups */
	ck_assert_int_eq(contrl_group_begin(w, &g), -EINVAL);         /* groups after messages */
	contrl_writer_free(w);

	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	ck_assert_int_eq(contrl_group_begin(w, &g), 0);
	ck_assert_int_eq(contrl_group_begin(w, &g), -EINVAL);         /* one group at a time */
	ck_assert_int_eq(contrl_message(w, &m, ID96A()), 0);
	int written = -1;
	ck_assert_int_eq(contrl_writer_finish(w, &ic, 1, &written), -EINVAL); /* group open */
	ck_assert_int_eq(written, 0);
	ck_assert_int_eq(contrl_group_end(w, &gr), 0);
	ck_assert_int_eq(contrl_message(w, &m, ID96A()), -EINVAL);    /* outside after groups */
	char *got = finish_str(w, &ic, &written, NULL, NULL);
	ck_assert_int_eq(written, 1);
	free(got);
	ck_assert_int_eq(contrl_message(w, &m, ID96A()), -EINVAL);    /* after finish */
	ck_assert_int_eq(contrl_group_begin(w, &g), -EINVAL);
	contrl_writer_free(w);
	contrl_writer_free(NULL);
	ck_assert_uint_eq(contrl_writer_messages(NULL), 0);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_control_number_limits)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	struct contrl_writer *w = NULL;
	p.ref = CONTRL_CTL_MAX - 1;
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "+999999998'UNH"));
	ck_assert_ptr_nonnull(strstr(got, "UNZ+1+999999998'"));
	free(got);
	p.ref = CONTRL_CTL_MAX;
	p.msg_ref = CONTRL_CTL_MAX;
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "UNH+999999999+CONTRL"));
	ck_assert_ptr_nonnull(strstr(got, "UNT+4+999999999'UNZ+1+999999999'"));
	free(got);
	p.ref = CONTRL_CTL_MAX + 1;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -ERANGE);
	p.ref = 1;
	p.msg_ref = CONTRL_CTL_MAX + 1;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), -ERANGE);
	p.msg_ref = 1;
	got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_ptr_nonnull(strstr(got, "+000000001'UNH+1+CONTRL"));
	free(got);
	x12_errlist_free(&m.errors);
}
END_TEST

/* The UCD count under one UCS with n element findings for the same segment. */
static size_t ucd_for(size_t n)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	for (size_t i = 0; i < n; i++)
		add_err(&m.errors, X12_SCOPE_ELEMENT, "12", "LIN", 6, (int)(i % 20) + 1, 1, 0);
	ck_assert_uint_eq(m.errors.n, n);
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	ck_assert_uint_eq(count(got, "UCS+6'"), 1);
	size_t k = count(got, "UCD+");
	char unt[32];
	snprintf(unt, sizeof unt, "UNT+%zu+7'", 5 + k);
	ck_assert_ptr_nonnull(strstr(got, unt));
	free(got);
	x12_errlist_free(&m.errors);
	return k;
}

START_TEST(test_c_ucd_limit)
{
	ck_assert_uint_eq(CONTRL_UCD_MAX, 99);
	ck_assert_uint_eq(ucd_for(CONTRL_UCD_MAX - 1), 98);
	ck_assert_uint_eq(ucd_for(CONTRL_UCD_MAX), 99);
	ck_assert_uint_eq(ucd_for(CONTRL_UCD_MAX + 1), 99);
}
END_TEST

/* A finding list built by hand (more than x12_errlist_add keeps). */
static void big_list(struct x12_errlist *l, size_t nseg, size_t per_seg)
{
	memset(l, 0, sizeof *l);
	l->cap = nseg * per_seg;
	l->v = xcalloc(l->cap ? l->cap : 1, sizeof *l->v);
	for (size_t s = 0; s < nseg; s++)
		for (size_t k = 0; k < per_seg; k++) {
			struct x12_error *e = &l->v[l->n++];
			e->scope = per_seg == 1 ? X12_SCOPE_SEGMENT : X12_SCOPE_ELEMENT;
			memcpy(e->code, "12", 3);
			memcpy(e->seg_id, "LIN", 4);
			e->seg_pos = s + 2;
			e->elem_pos = 1;
		}
}

/* The UCS count under one UCM with findings in n different segments. */
static size_t ucs_for(size_t n)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	big_list(&m.errors, n, 1);
	m.action = '4';
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	size_t k = count(got, "UCS+");
	/* the first ones in order of the findings */
	ck_assert_ptr_nonnull(strstr(got, "UCM+1+ORDERS:D:96A:UN:EAN008+4'UCS+2+12'UCS+3+12'"));
	char last[32];
	snprintf(last, sizeof last, "UCS+%zu+12'UNT", k + 1);
	ck_assert_ptr_nonnull(strstr(got, last));
	free(got);
	x12_errlist_free(&m.errors);
	return k;
}

START_TEST(test_c_ucs_limit)
{
	ck_assert_uint_eq(CONTRL_UCS_MAX, 999);
	ck_assert_uint_eq(ucs_for(CONTRL_UCS_MAX - 1), 998);
	ck_assert_uint_eq(ucs_for(CONTRL_UCS_MAX), 999);
	ck_assert_uint_eq(ucs_for(CONTRL_UCS_MAX + 1), 999);
}
END_TEST

/* The detail written for one finding (between UCM and UNT). */
static char *detail_of(int version, enum x12_scope scope, uint64_t pos, int elem, int comp, int rep)
{
	struct edi_unb unb = make_unb("UNOA", version, "IC0001");
	struct contrl_params p = make_params();
	struct edi_msg_result m;
	msg_init(&m, "1");
	add_err(&m.errors, scope, "12", "LIN", pos, elem, comp, rep);
	msg_finish(&m);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	char *got = contrl_of(&p, &unb, &m, 1, &ic, NULL);
	char *d = between(got, "UCM+1+ORDERS:D:96A:UN:EAN008+4'", "UNT+");
	char *r = xstrdup(d + strlen("UCM+1+ORDERS:D:96A:UN:EAN008+4'"));
	free(d);
	free(got);
	x12_errlist_free(&m.errors);
	return r;
}

static void expect_detail(int version, enum x12_scope scope, uint64_t pos, int elem, int comp,
			  int rep, const char *want)
{
	char *got = detail_of(version, scope, pos, elem, comp, rep);
	ck_assert_msg(strcmp(got, want) == 0, "pos %llu elem %d comp %d rep %d: '%s', want '%s'",
		      (unsigned long long)pos, elem, comp, rep, got, want);
	free(got);
}

START_TEST(test_c_position_limits)
{
	/* 0096 n..6 */
	expect_detail(3, X12_SCOPE_SEGMENT, 999998, 0, 0, 0, "UCS+999998+12'");
	expect_detail(3, X12_SCOPE_SEGMENT, 999999, 0, 0, 0, "UCS+999999+12'");
	expect_detail(3, X12_SCOPE_SEGMENT, 1000000, 0, 0, 0, "");
	expect_detail(3, X12_SCOPE_ELEMENT, 1000000, 1, 0, 0, "");
	/* 0098 n..3, counting the tag: element 998 is 0098 999 */
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 997, 0, 0, "UCS+5'UCD+12+998'");
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 998, 0, 0, "UCS+5'UCD+12+999'");
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 999, 0, 0, "UCS+5'");
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 0, 0, 0, "UCS+5'");
	/* 0104 n..3 */
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 1, 998, 0, "UCS+5'UCD+12+2:998'");
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 1, 999, 0, "UCS+5'UCD+12+2:999'");
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 1, 1000, 0, "UCS+5'UCD+12+2'");
	/* 0136 n..6, syntax 4 only */
	expect_detail(4, X12_SCOPE_ELEMENT, 5, 1, 0, 999998, "UCS+5'UCD+12+2::999998'");
	expect_detail(4, X12_SCOPE_ELEMENT, 5, 1, 0, 999999, "UCS+5'UCD+12+2::999999'");
	expect_detail(4, X12_SCOPE_ELEMENT, 5, 1, 0, 1000000, "UCS+5'UCD+12+2'");
	expect_detail(3, X12_SCOPE_ELEMENT, 5, 1, 2, 3, "UCS+5'UCD+12+2:2'");
}
END_TEST

/* A CONTRL of n_big messages each with 999 UCS of 99 UCD, then n_small accepted ones. */
static int segments_case(size_t n_small, char **out, size_t *len)
{
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_msg_result big, small;
	msg_init(&big, "B");
	big_list(&big.errors, CONTRL_UCS_MAX, CONTRL_UCD_MAX);
	big.action = '4';
	msg_init(&small, "S");
	small.action = '7';
	for (int i = 0; i < 10; i++) /* 10 x (1 UCM + 999 UCS + 98901 UCD) = 999010 */
		ck_assert_int_eq(contrl_message(w, &big, ID96A()), 0);
	for (size_t i = 0; i < n_small; i++)
		ck_assert_int_eq(contrl_message(w, &small, ID96A()), 0);
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 10 + n_small);
	int rc = 0, written = -1;
	*out = finish_str(w, &ic, &written, &rc, len);
	ck_assert_int_eq(written, rc == 0);
	contrl_writer_free(w);
	x12_errlist_free(&big.errors);
	return rc;
}

START_TEST(test_c_segment_limit)
{
	/* UNH + UCI + 999010 + n + UNT */
	char *got = NULL;
	size_t len = 0;
	ck_assert_int_eq(segments_case(985, &got, &len), 0);
	ck_assert_ptr_nonnull(strstr(got + len - 40, "UNT+999998+7'UNZ+1+000000042'"));
	free(got);
	ck_assert_int_eq(segments_case(986, &got, &len), 0);
	ck_assert_ptr_nonnull(strstr(got + len - 40, "UNT+999999+7'UNZ+1+000000042'"));
	size_t segs = 0;
	for (size_t i = 0; i < len; i++)
		segs += got[i] == '\'';
	ck_assert_uint_eq(segs, 999999 + 2); /* and UNB, UNZ */
	free(got);
	ck_assert_int_eq(segments_case(987, &got, &len), -E2BIG);
	ck_assert_uint_eq(len, 0);
	free(got);
}
END_TEST

START_TEST(test_c_large_group_streamed)
{
	/* enough UCMs in one group and outside to go through both temporary files */
	char *dir = tu_tmpdir();
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", dir, 1);
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_msg_result m;
	msg_init(&m, "12345678901234");
	msg_finish(&m);
	const size_t per = 5000; /* ~50 bytes each: several spills per group */
	for (int g = 0; g < 3; g++) {
		char ref[8];
		snprintf(ref, sizeof ref, "G%d", g + 1);
		struct edi_ung ung = make_ung(ref);
		ck_assert_int_eq(contrl_group_begin(w, &ung), 0);
		for (size_t i = 0; i < per; i++)
			ck_assert_int_eq(contrl_message(w, &m, ID96A()), 0);
		/* the second group is rejected: its spilled UCMs must not come out */
		struct edi_group_result r = make_group(&ung, g == 1 ? '4' : '7', g == 1 ? "29" : "");
		ck_assert_int_eq(contrl_group_end(w, &r), 0);
	}
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 3 * per);
	size_t len = 0;
	char *got = finish_str(w, &ic, NULL, NULL, &len);
	ck_assert_uint_eq(strlen(got), len);
	ck_assert_uint_eq(count(got, "UCM+12345678901234+ORDERS:D:96A:UN:EAN008+7'"), 2 * per);
	char unt[32];
	snprintf(unt, sizeof unt, "UNT+%zu+7'", 2 * per + 3 + 3);
	ck_assert_ptr_nonnull(strstr(got, unt));
	/* the UCMs follow their UCF */
	const char *g1 = strstr(got, "UCF+G1+"), *g2 = strstr(got, "UCF+G2+"), *g3 = strstr(got, "UCF+G3+");
	ck_assert_ptr_nonnull(g1);
	ck_assert_ptr_nonnull(g2);
	ck_assert_ptr_nonnull(g3);
	ck_assert_ptr_nonnull(strstr(g2, "UCF+G2+BUYER:ZZZ+SELLER:ZZZ+4+29'UCF+G3+BUYER:ZZZ+SELLER:ZZZ+7'UCM+"));
	ck_assert_uint_eq(count(g3, "UCM+"), per);
	free(got);
	contrl_writer_free(w);
	/* the temporary files were anonymous: nothing left behind */
	ck_assert_int_eq(tu_count_files(dir), 0);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	tu_rmtree(dir);
	free(dir);
	x12_errlist_free(&m.errors);
}
END_TEST

START_TEST(test_c_tmpdir_unusable)
{
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", "/nonexistent/edigw-contrl", 1);
	struct edi_unb unb = make_unb("UNOA", 3, "IC0001");
	struct contrl_params p = make_params();
	struct contrl_writer *w = NULL;
	ck_assert_int_eq(contrl_writer_new(&w, &p, &unb), 0);
	struct edi_msg_result m;
	msg_init(&m, "1");
	msg_finish(&m);
	int rc = 0;
	for (int i = 0; i < 10000 && rc == 0; i++)
		rc = contrl_message(w, &m, ID96A());
	ck_assert_int_lt(rc, 0);
	ck_assert_int_eq(contrl_message(w, &m, ID96A()), rc); /* sticky */
	struct edi_interchange_result ic = make_ic(&unb, '7', "", 1);
	int written = -1;
	ck_assert_int_eq(contrl_writer_finish(w, &ic, 1, &written), rc);
	ck_assert_int_eq(written, 0);
	contrl_writer_free(w);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	x12_errlist_free(&m.errors);
}
END_TEST


/* ------------------------------------------------------------ end to end with the reader */

static int is_contrl_or_aperak(const char *t)
{
	return strcmp(t, "CONTRL") == 0 || strcmp(t, "APERAK") == 0;
}

/* What the gateway does, in small: a CONTRL per interchange that asks for one. */
struct e2e {
	int always;                /* partner setting contrl = always */
	struct contrl_writer *w;
	struct contrl_msg_id id;
	int rc;                    /* first writer error */
	struct buf out[4];         /* one CONTRL per interchange, "" when none */
	int n;
};

static void e2e_rc(struct e2e *x, int rc)
{
	if (rc < 0 && !x->rc)
		x->rc = rc;
}

static int e2e_ic_begin(void *ctx, const struct edi_unb *unb)
{
	struct e2e *x = ctx;
	if (x->always || strcmp(unb->ack_request, "1") == 0) {
		struct contrl_params p = make_params();
		p.ref = 42 + (uint64_t)x->n;
		e2e_rc(x, contrl_writer_new(&x->w, &p, unb));
	}
	return 0;
}

static int e2e_grp_begin(void *ctx, const struct edi_unb *unb, const struct edi_ung *ung)
{
	struct e2e *x = ctx;
	(void)unb;
	if (x->w && !is_contrl_or_aperak(ung->group_id))
		e2e_rc(x, contrl_group_begin(x->w, ung));
	return 0;
}

/* The "validation": BGM 1001 must be 220 (an order). */
static int e2e_msg(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct e2e *x = ctx;
	contrl_msg_id_set(&x->id, msg);
	for (size_t i = 0; i < msg->nseg; i++) {
		const struct edi_seg *sg = &msg->segs[i];
		if (strcmp(sg->tag, "BGM") != 0)
			continue;
		struct edi_val v = edi_seg_val(sg, 1, 1);
		if (v.n != 3 || memcmp(v.p, "220", 3) != 0)
			add_err(&res->errors, X12_SCOPE_ELEMENT, "12", "BGM", i + 1, 1, 1, 0);
	}
	edi_msg_result_finish(res);
	return 0;
}

static int e2e_msg_end(void *ctx, const struct edi_msg_result *res)
{
	struct e2e *x = ctx;
	if (x->w && !is_contrl_or_aperak(x->id.type))
		e2e_rc(x, contrl_message(x->w, res, &x->id));
	return 0;
}

static int e2e_grp_end(void *ctx, const struct edi_group_result *res)
{
	struct e2e *x = ctx;
	if (x->w && !is_contrl_or_aperak(res->ung.group_id))
		e2e_rc(x, contrl_group_end(x->w, res));
	return 0;
}

static int e2e_ic_end(void *ctx, const struct edi_interchange_result *res)
{
	struct e2e *x = ctx;
	if (!x->w && !res->skipped) /* no interchange_begin for one the reader cannot decode */
		e2e_ic_begin(x, &res->unb);
	struct buf *b = &x->out[x->n++];
	buf_init(b, 0);
	if (!x->w || res->skipped)
		goto out;
	FILE *f = tmpfile();
	int written = 0;
	e2e_rc(x, contrl_writer_finish(x->w, res, fileno(f), &written));
	rewind(f);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
out:
	contrl_writer_free(x->w);
	x->w = NULL;
	return 0;
}

/* The CONTRLs edigw would send for text (one entry per interchange). */
static struct e2e *e2e_run(const char *text, int always)
{
	struct e2e *x = xcalloc(1, sizeof *x);
	x->always = always;
	struct edi_reader *rd = NULL;
	ck_assert_int_eq(edi_reader_new_mem(&rd, text, strlen(text), NULL), 0);
	struct edi_handler h = { 0 };
	h.ctx = x;
	h.interchange_begin = e2e_ic_begin;
	h.group_begin = e2e_grp_begin;
	h.message = e2e_msg;
	h.message_end = e2e_msg_end;
	h.group_end = e2e_grp_end;
	h.interchange_end = e2e_ic_end;
	struct edi_file_summary sum;
	struct x12_error err;
	memset(&err, 0, sizeof err);
	ck_assert_int_eq(edi_parse(rd, &h, &sum, &err), 0);
	x12_error_free(&err);
	edi_reader_free(rd);
	ck_assert_int_eq(x->rc, 0);
	return x;
}

static void e2e_free(struct e2e *x)
{
	for (int i = 0; i < x->n; i++)
		buf_free(&x->out[i]);
	free(x);
}

START_TEST(test_c_end_to_end)
{
	/* 1: CONTRL requested; M2 has a wrong UNT count, M3 is no order, the APERAK is skipped.
	 * 2: not requested. 3: its UNZ count is wrong. */
	const char *in =
		"UNA:+.? '"
		"UNB+UNOC:3+SENDER:14+RECEIVER:14+240101:1200+REF?+1++++1'\n"
		"UNH+M1+ORDERS:D:96A:UN:EAN008'BGM+220+PO123+9'UNT+3+M1'\n"
		"UNH+M2+ORDERS:D:96A:UN:EAN008'BGM+220+PO124+9'UNT+9+M2'\n"
		"UNH+M3+ORDERS:D:96A:UN:EAN008'DTM+137:20240101:102'BGM+999+PO125+9'UNT+4+M3'\n"
		"UNH+M4+APERAK:D:96A:UN'BGM+313+X+9'UNT+3+M4'\n"
		"UNZ+4+REF?+1'\n"
		"UNB+UNOC:3+SENDER:14+RECEIVER:14+240101:1200+REF2'"
		"UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+1'UNZ+1+REF2'\n"
		"UNB+UNOA:3+SENDER:14+RECEIVER:14+240101:1200+REF3++++1'"
		"UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+1'UNZ+2+REF3'\n";
	struct e2e *x = e2e_run(in, 0);
	ck_assert_int_eq(x->n, 3);
	ck_assert_str_eq(x->out[0].data ? x->out[0].data : "",
			 "UNA:+.? 'UNB+UNOC:3+RECEIVER:14+SENDER:14+240305:1407+000000042'"
			 "UNH+7+CONTRL:D:3:UN'UCI+REF?+1+SENDER:14+RECEIVER:14+7'"
			 "UCM+M1+ORDERS:D:96A:UN:EAN008+7'"
			 "UCM+M2+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'"
			 "UCM+M3+ORDERS:D:96A:UN:EAN008+4'UCS+3'UCD+12+2:1'"
			 "UNT+8+7'UNZ+1+000000042'");
	ck_assert_str_eq(x->out[1].data ? x->out[1].data : "", "");
	ck_assert_str_eq(x->out[2].data ? x->out[2].data : "",
			 "UNB+UNOA:3+RECEIVER:14+SENDER:14+240305:1407+000000044'"
			 "UNH+7+CONTRL:D:3:UN'UCI+REF3+SENDER:14+RECEIVER:14+4+29+UNZ+2'"
			 "UNT+3+7'UNZ+1+000000044'");
	e2e_free(x);

	/* a partner that always gets one; groups; an interchange of CONTRLs gets nothing */
	const char *in2 =
		"UNB+UNOA:3+SENDER:14+RECEIVER:14+240101:1200+R1'"
		"UNG+ORDERS+GS:ZZZ+GR:ZZZ+240101:1200+G1+UN+D:96A'"
		"UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+1'"
		"UNE+1+G1'"
		"UNG+ORDERS+GS:ZZZ+GR:ZZZ+240101:1200+G2+UN+D:96A'"
		"UNH+2+ORDERS:D:96A:UN'BGM+220+PO2+9'UNT+3+2'"
		"UNE+2+G2'"
		"UNZ+2+R1'"
		"UNB+UNOA:3+SENDER:14+RECEIVER:14+240101:1200+R2'"
		"UNH+1+CONTRL:D:3:UN'UCI+X+RECEIVER:14+SENDER:14+7'UNT+3+1'UNZ+1+R2'";
	x = e2e_run(in2, 1);
	ck_assert_int_eq(x->n, 2);
	ck_assert_str_eq(x->out[0].data ? x->out[0].data : "",
			 "UNB+UNOA:3+RECEIVER:14+SENDER:14+240305:1407+000000042'"
			 "UNH+7+CONTRL:D:3:UN'UCI+R1+SENDER:14+RECEIVER:14+7'"
			 "UCF+G1+GS:ZZZ+GR:ZZZ+7'UCM+1+ORDERS:D:96A:UN+7'"
			 "UCF+G2+GS:ZZZ+GR:ZZZ+4+29+UNE+2'"
			 "UNT+6+7'UNZ+1+000000042'");
	ck_assert_str_eq(x->out[1].data ? x->out[1].data : "", "");
	e2e_free(x);

	/* a syntax identifier nobody knows: rejected with code 2 in UNOA, or UNOB when UNOA
	 * cannot carry the sender */
	x = e2e_run("UNB+UNOZ:3+SENDER:14+RECEIVER:14+240101:1200+R9++++1'"
		    "UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+1'UNZ+1+R9'"
		    "UNB+UNOZ:3+Sender:14+RECEIVER:14+240101:1200+R10++++1'"
		    "UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+1'UNZ+1+R10'", 0);
	ck_assert_int_eq(x->n, 2);
	ck_assert_str_eq(x->out[0].data ? x->out[0].data : "",
			 "UNB+UNOA:3+RECEIVER:14+SENDER:14+240305:1407+000000042'"
			 "UNH+7+CONTRL:D:3:UN'UCI+R9+SENDER:14+RECEIVER:14+4+2+UNB+2:1'"
			 "UNT+3+7'UNZ+1+000000042'");
	ck_assert_str_eq(x->out[1].data ? x->out[1].data : "",
			 "UNA:+.? 'UNB+UNOB:3+RECEIVER:14+Sender:14+240305:1407+000000043'"
			 "UNH+7+CONTRL:D:3:UN'UCI+R10+Sender:14+RECEIVER:14+4+2+UNB+2:1'"
			 "UNT+3+7'UNZ+1+000000043'");
	e2e_free(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("contrl");
	TCase *tw = tcase_create("edi_writer");
	tcase_add_test(tw, test_w_escape_each);
	tcase_add_test(tw, test_w_structure);
	tcase_add_test(tw, test_w_misuse);
	tcase_add_test(tw, test_w_new_refuses);
	tcase_add_test(tw, test_w_una);
	tcase_add_test(tw, test_w_charsets);
	tcase_add_test(tw, test_w_charset_refusals);
	tcase_add_test(tw, test_w_no_release_character);
	suite_add_tcase(s, tw);
	TCase *tc = tcase_create("contrl");
	tcase_add_test(tc, test_c_accepted);
	tcase_add_test(tc, test_c_unt_count_wrong);
	tcase_add_test(tc, test_c_unknown_qualifier);
	tcase_add_test(tc, test_c_details_grouping);
	tcase_add_test(tc, test_c_application_rejection_acknowledged);
	tcase_add_test(tc, test_c_rejected_interchange);
	tcase_add_test(tc, test_c_groups);
	tcase_add_test(tc, test_c_deterministic);
	tcase_add_test(tc, test_c_swapped_envelope);
	tcase_add_test(tc, test_c_escaping_partner_values);
	tcase_add_test(tc, test_c_charset);
	tcase_add_test(tc, test_c_separators);
	tcase_add_test(tc, test_c_syntax_versions);
	tcase_add_test(tc, test_c_never_contrl_a_contrl);
	tcase_add_test(tc, test_c_receipt_and_errors_only);
	tcase_add_test(tc, test_c_unnamed_levels);
	tcase_add_test(tc, test_c_empty_group_rejected);
	tcase_add_test(tc, test_c_call_order);
	tcase_add_test(tc, test_c_control_number_limits);
	tcase_add_test(tc, test_c_ucd_limit);
	tcase_add_test(tc, test_c_ucs_limit);
	tcase_add_test(tc, test_c_position_limits);
	tcase_add_test(tc, test_c_large_group_streamed);
	tcase_add_test(tc, test_c_tmpdir_unusable);
	tcase_add_test(tc, test_c_end_to_end);
	suite_add_tcase(s, tc);
	TCase *tl = tcase_create("contrl-segment-limit");
	tcase_set_timeout(tl, 600);
	tcase_add_test(tl, test_c_segment_limit);
	suite_add_tcase(s, tl);
	return tu_run_suite(s);
}
