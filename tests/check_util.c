/* check_util — spans, capped buffers, number/size parsing, durable files, names. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"

START_TEST(test_span_to_u64)
{
	uint64_t v;
	ck_assert_int_eq(span_to_u64(span_cstr("000123"), &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(span_to_u64(span_cstr(""), &v), -EINVAL);
	ck_assert_int_eq(span_to_u64(span_cstr("12a"), &v), -EINVAL);
	ck_assert_int_eq(span_to_u64(span_cstr("-1"), &v), -EINVAL);
	ck_assert_int_eq(span_to_u64(span_cstr("18446744073709551615"), &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(span_to_u64(span_cstr("18446744073709551616"), &v), -ERANGE);
	ck_assert(span_eq(span_trim(span_cstr("  ab \t")), "ab"));
}
END_TEST

START_TEST(test_buf_cap)
{
	struct buf b;
	buf_init(&b, 8);
	ck_assert_int_eq(buf_append(&b, "1234567", 7), 0); /* one below */
	ck_assert_int_eq(buf_putc(&b, '8'), 0);            /* at */
	ck_assert_int_eq(buf_putc(&b, '9'), -ENOSPC);      /* one above */
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(b.data, "12345678");
	buf_reset(&b);
	ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "x"), 0);
	ck_assert_str_eq(b.data, "42-x");
	ck_assert_int_eq(buf_printf(&b, "%s", "toolong"), -ENOSPC);
	buf_free(&b);
}
END_TEST

START_TEST(test_size_duration)
{
	uint64_t v;
	ck_assert_int_eq(parse_size("100M", &v), 0);
	ck_assert_uint_eq(v, 100u * 1024 * 1024);
	ck_assert_int_eq(parse_size("64k", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(parse_size("12", &v), 0);
	ck_assert_uint_eq(v, 12);
	ck_assert_int_ne(parse_size("M", &v), 0);
	ck_assert_int_ne(parse_size("1T", &v), 0);
	ck_assert_int_eq(parse_duration("30d", &v), 0);
	ck_assert_uint_eq(v, 30u * 86400);
	ck_assert_int_eq(parse_duration("24h", &v), 0);
	ck_assert_uint_eq(v, 86400);
	ck_assert_int_ne(parse_duration("1w", &v), 0);
}
END_TEST

START_TEST(test_escape)
{
	char *e = escape_bytes("a\x01\n\\b", 5, 100);
	ck_assert_str_eq(e, "a\\x01\\n\\\\b");
	free(e);
	e = escape_bytes("abcdef", 6, 3);
	ck_assert_str_eq(e, "abc...");
	free(e);
}
END_TEST

START_TEST(test_names)
{
	ck_assert(name_is_safe("job-1.x12"));
	ck_assert(!name_is_safe("../etc"));
	ck_assert(!name_is_safe(".hidden"));
	ck_assert(!name_is_safe("a/b"));
	ck_assert(!name_is_safe(""));
	char *s = name_sanitize("../a b\0c", 8);
	ck_assert_str_eq(s, "_._a_b_c");
	ck_assert(name_is_safe(s));
	free(s);
}
END_TEST

START_TEST(test_durable_write)
{
	char *d = tu_tmpdir();
	char *tmp = path_join(d, "tmp"), *q = path_join(d, "q");
	ck_assert_int_eq(mkdir_p(tmp, 0750), 0);
	ck_assert_int_eq(mkdir_p(q, 0750), 0);
	ck_assert_int_eq(file_write_durable(tmp, q, "a", "hello", 5, 0), 0);
	ck_assert_int_eq(file_write_durable(tmp, q, "a", "other", 5, 0), -EEXIST);
	char *a = path_join(q, "a");
	char *c = tu_read(a, NULL);
	ck_assert_str_eq(c, "hello");
	free(c);
	ck_assert_int_eq(file_write_durable(tmp, q, "a", "other", 5, 1), 0);
	c = tu_read(a, NULL);
	ck_assert_str_eq(c, "other");
	free(c);
	ck_assert_int_eq(tu_count_files(tmp), 0); /* no temp left behind */
	struct buf b;
	buf_init(&b, 0);
	ck_assert_int_eq(file_read_all(a, 4, &b), -EFBIG); /* one above the cap */
	buf_reset(&b);
	ck_assert_int_eq(file_read_all(a, 5, &b), 0); /* at the cap */
	/* a symlink is refused */
	char *l = path_join(q, "link");
	ck_assert_int_eq(symlink(a, l), 0);
	buf_reset(&b);
	ck_assert_int_ne(file_read_all(l, 100, &b), 0);
	buf_free(&b);
	free(l); free(a); free(tmp); free(q);
	tu_rmtree(d);
	free(d);
}
END_TEST

START_TEST(test_sha256)
{
	char h[65];
	sha256_hex("abc", 3, h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_iconv)
{
	struct buf b;
	size_t bad = 0;
	buf_init(&b, 0);
	ck_assert_int_eq(iconv_to_utf8("ISO-8859-1", "M\xfcller", 6, &b, &bad), 0);
	ck_assert_str_eq(b.data, "M\xc3\xbcller");
	buf_reset(&b);
	ck_assert_int_eq(iconv_to_utf8("ASCII", "ab\xff", 3, &b, &bad), -EILSEQ);
	ck_assert_uint_eq(bad, 2);
	buf_free(&b);
}
END_TEST

START_TEST(test_diag)
{
	struct diag_list l;
	diag_list_init(&l);
	diag_error(&l, "a.conf", 3, "unknown key '%s'", "foo");
	diag_warn(&l, "a.conf", 4, "deprecated");
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.nerrors, 1);
	ck_assert_str_eq(l.v[0].msg, "unknown key 'foo'");
	diag_list_free(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_span_to_u64);
	tcase_add_test(tc, test_buf_cap);
	tcase_add_test(tc, test_size_duration);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_durable_write);
	tcase_add_test(tc, test_sha256);
	tcase_add_test(tc, test_iconv);
	tcase_add_test(tc, test_diag);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
