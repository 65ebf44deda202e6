/*
 * fixed.c — the fixed-width reader (fixed.h): decode (BOM, iconv), split into lines, check
 * UTF-8, NUL bytes and limits, count characters per line; cut fields by character
 * position.
 *
 * Functions: fixed_parse, fixed_file_free, fixed_field, fixed_error_text.
 *
 * Ownership: the file owns one arena holding every line once (never longer than the
 * decoded input plus a NUL per line, allocated once so nothing moves) and the line
 * array. Limits: see fixed.h; each is checked before the data grows past it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flat/fixed.h"
#include "flat/flat_int.h"

/* Set *err to line/column and a formatted message. */
static void set_err(struct fixed_error *err, uint64_t line, size_t col, const char *fmt, ...)
	EDIGW_PRINTF(4, 5);
static void set_err(struct fixed_error *err, uint64_t line, size_t col, const char *fmt, ...)
{
	if (!err)
		return;
	err->line = line;
	err->column = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

/* Check one line's text and count its characters. */
static int check_line(const char *p, size_t n, uint64_t line, size_t max_line, size_t *nchars,
		      struct fixed_error *err)
{
	size_t chars = 0;
	for (size_t k = 0; k < n;) {
		size_t l = flat_utf8_len((const unsigned char *)p + k, n - k);
		if (l == 0) {
			set_err(err, line, chars + 1, p[k] ? "not UTF-8 (byte 0x%02x; declare the file's "
				"encoding)" : "a NUL byte (byte 0x%02x)", (unsigned)(unsigned char)p[k]);
			return -EINVAL;
		}
		if (chars == max_line) {
			set_err(err, line, chars + 1, "line longer than %zu characters", max_line);
			return -EINVAL;
		}
		chars++;
		k += l;
	}
	*nchars = chars;
	return 0;
}

/* Parse a whole file. */
int fixed_parse(struct fixed_file *f, const void *data, size_t len, const struct fixed_options *o,
		struct fixed_error *err)
{
	static const struct fixed_options defaults;
	struct buf conv;
	buf_init(&conv, 0);
	int rc = 0;
	if (err)
		memset(err, 0, sizeof *err);
	if (!f)
		return -EINVAL;
	memset(f, 0, sizeof *f);
	if (!o)
		o = &defaults;
	if (!data && len)
		return -EINVAL;
	size_t max_bytes = o->max_bytes ? o->max_bytes : FIXED_DEF_MAX_BYTES;
	size_t max_line = o->max_line ? o->max_line : FIXED_DEF_MAX_LINE;
	size_t max_lines = o->max_lines ? o->max_lines : FIXED_DEF_MAX_LINES;
	if (len > max_bytes) {
		set_err(err, 0, 0, "file of %zu bytes is over the limit of %zu", len, max_bytes);
		rc = -EFBIG;
		goto out;
	}
	const char *p = data ? data : "";
	size_t n = len;
	uint64_t bad_line = 0;
	char msg[256];
	if ((rc = flat_decode(o->encoding, &p, &n, &conv, &bad_line, msg, sizeof msg)) < 0) {
		set_err(err, bad_line, 0, "%s", msg);
		goto out;
	}
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--; /* empty lines at the end are not records */
	if (n == 0)
		goto out;
	if (n > SIZE_MAX - 1) {
		rc = -EFBIG;
		goto out;
	}
	f->arena = xmalloc(n + 1); /* every byte at most once; a line end becomes its NUL */
	size_t used = 0, cap = 0;
	uint64_t line = 1;
	for (size_t i = 0; i <= n;) {
		size_t start = i;
		while (i < n && p[i] != '\n' && p[i] != '\r')
			i++;
		size_t ln = i - start, nchars = 0;
		if (f->nlines == max_lines) {
			set_err(err, line, 0, "more than %zu lines", max_lines);
			rc = -EFBIG;
			goto fail;
		}
		if ((rc = check_line(p + start, ln, line, max_line, &nchars, err)) < 0)
			goto fail;
		if (f->nlines == cap) {
			cap = cap ? cap * 2 : 64;
			f->lines = xrealloc(f->lines, cap * sizeof *f->lines);
		}
		memcpy(f->arena + used, p + start, ln);
		f->arena[used + ln] = '\0';
		f->lines[f->nlines++] = (struct fixed_line){ { f->arena + used, ln }, line, nchars };
		used += ln + 1;
		if (i >= n)
			break;
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			i++;
		i++;
		line++;
	}
	goto out;
fail:
	fixed_file_free(f);
out:
	buf_free(&conv);
	return rc;
}

/* Free the file's storage. */
void fixed_file_free(struct fixed_file *f)
{
	if (!f)
		return;
	free(f->arena);
	free(f->lines);
	memset(f, 0, sizeof *f);
}

/* Byte offset of character c (0-based) of a line, or its length when the line is shorter. */
static size_t char_offset(const struct fixed_line *l, size_t c)
{
	if (l->nchars == l->text.n) /* ASCII: one byte per character */
		return c < l->text.n ? c : l->text.n;
	size_t k = 0;
	for (size_t i = 0; i < c && k < l->text.n; i++) {
		k++;
		while (k < l->text.n && ((unsigned char)l->text.p[k] & 0xc0) == 0x80)
			k++;
	}
	return k;
}

/* Characters [col, col + len) of a line. */
struct span fixed_field(const struct fixed_line *l, size_t col, size_t len)
{
	if (!l || col < 1 || len == 0 || col > l->nchars)
		return (struct span){ "", 0 };
	size_t a = char_offset(l, col - 1);
	size_t b = len > l->nchars - (col - 1) ? l->text.n : char_offset(l, col - 1 + len);
	return (struct span){ l->text.p + a, b - a };
}

/* "line 4, column 3: text". */
char *fixed_error_text(const struct fixed_error *e)
{
	if (e->line && e->column)
		return xasprintf("line %llu, column %zu: %s", (unsigned long long)e->line, e->column, e->msg);
	if (e->line)
		return xasprintf("line %llu: %s", (unsigned long long)e->line, e->msg);
	return xstrdup(e->msg);
}
