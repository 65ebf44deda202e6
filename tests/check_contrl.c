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
	return tu_run_suite(s);
}
