/*
 * csv.c — the delimited-file reader (csv.h): decode (BOM, iconv), split into rows and
 * fields with quoting, check widths, UTF-8 and limits.
 *
 * Functions: csv_parse, csv_table_free, csv_column, csv_error_text, csv_bad_text.
 *
 * Ownership: the table owns one arena holding every unquoted field (never longer than
 * the decoded input, so it is allocated once and nothing moves) and the span and row
 * arrays. Limits: see csv.h; every size is checked against its limit before it grows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flat/csv.h"
#include "flat/flat_int.h"

/* Set *err to line/column and a formatted message. */
static void set_err(struct csv_error *err, uint64_t line, size_t col, const char *fmt, ...)
	EDIGW_PRINTF(4, 5);
static void set_err(struct csv_error *err, uint64_t line, size_t col, const char *fmt, ...)
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

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when invalid. */
size_t flat_utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t k;
	unsigned min;
	if (c < 0x80)
		return c ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	unsigned v = c & (0x7fu >> k);
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return k;
}

/* See flat_int.h. */
int flat_decode(const char *encoding, const char **p, size_t *n, struct buf *conv, uint64_t *line, char *msg,
		size_t msgsz)
{
	if (encoding && encoding[0] && strcasecmp(encoding, "UTF-8") != 0 && strcasecmp(encoding, "UTF8") != 0) {
		size_t bad = 0;
		int rc = iconv_to_utf8(encoding, *p, *n, conv, &bad);
		if (rc < 0) {
			*line = 0;
			if (rc == -EILSEQ) {
				*line = 1;
				for (size_t i = 0; i < bad && i < *n; i++)
					*line += (*p)[i] == '\n';
				snprintf(msg, msgsz, "not valid %s (byte %zu of the file)", encoding, bad + 1);
			} else {
				snprintf(msg, msgsz, "cannot convert from %s: %s", encoding, strerror(-rc));
			}
			return -EINVAL;
		}
		*p = conv->data ? conv->data : "";
		*n = conv->len;
	}
	if (*n >= 3 && memcmp(*p, "\xef\xbb\xbf", 3) == 0) {
		*p += 3;
		*n -= 3;
	}
	return 0;
}

/* Parser state shared by the helpers. */
struct pst {
	struct csv_table *t;
	const struct csv_options *o;
	struct csv_error *err;
	size_t max_field, max_fields, max_rows;
	size_t capfields, caprows, capbad;
	size_t row_first;       /* index in t->fields of the current row's first field */
	uint64_t row_line;
	int header_pending;
};

/* Add a field span to the current row. */
static int add_field(struct pst *s, const char *p, size_t n, uint64_t line)
{
	struct csv_table *t = s->t;
	size_t col = t->nfields - s->row_first + 1;
	if (col > s->max_fields) {
		set_err(s->err, line, col, "more than %zu fields in a row", s->max_fields);
		return -EINVAL;
	}
	if (t->nfields == s->capfields) {
		s->capfields = s->capfields ? s->capfields * 2 : 64;
		t->fields = xrealloc(t->fields, s->capfields * sizeof *t->fields);
	}
	t->fields[t->nfields++] = (struct span){ p, n };
	return 0;
}

/* Close the current row (its fields are t->fields[row_first..]). */
static int end_row(struct pst *s)
{
	struct csv_table *t = s->t;
	size_t n = t->nfields - s->row_first;
	if (s->header_pending) {
		s->header_pending = 0;
		t->header = (struct csv_row){ NULL, n, s->row_line };
		t->header.f = (struct span *)(uintptr_t)s->row_first; /* fixed up at the end */
		t->width = n;
		s->row_first = t->nfields;
		return 0;
	}
	if (t->nrows + t->nbad == s->max_rows) {
		set_err(s->err, s->row_line, 0, "more than %zu data rows", s->max_rows);
		return -EFBIG;
	}
	if (t->nrows == 0 && t->nbad == 0 && t->header.n == 0)
		t->width = n;
	if (!s->o->ragged && n != t->width && s->o->bad_rows) {
		/* listed, not kept: its fields stay unreferenced in t->fields */
		if (t->nbad == s->capbad) {
			s->capbad = s->capbad ? s->capbad * 2 : 16;
			t->bad = xrealloc(t->bad, s->capbad * sizeof *t->bad);
		}
		t->bad[t->nbad++] = (struct csv_bad){ s->row_line, n };
		s->row_first = t->nfields;
		return 0;
	}
	if (!s->o->ragged && n < t->width) {
		set_err(s->err, s->row_line, 0, "short row: %zu field%s, %s %zu", n, n == 1 ? "" : "s",
			t->header.n ? "the header has" : "the first row has", t->width);
		return -EINVAL;
	}
	if (!s->o->ragged && n > t->width) {
		set_err(s->err, s->row_line, t->width + 1, "long row: %zu fields, %s %zu", n,
			t->header.n ? "the header has" : "the first row has", t->width);
		return -EINVAL;
	}
	if (t->nrows == s->caprows) {
		s->caprows = s->caprows ? s->caprows * 2 : 64;
		t->rows = xrealloc(t->rows, s->caprows * sizeof *t->rows);
	}
	t->rows[t->nrows++] = (struct csv_row){ (struct span *)(uintptr_t)s->row_first, n,
						s->row_line };
	s->row_first = t->nfields;
	return 0;
}

/* Split the decoded text p[0..n) into t. */
static int split(struct pst *s, const char *p, size_t n)
{
	const struct csv_options *o = s->o;
	char delim = o->delim ? o->delim : ',';
	char quote = o->no_quote ? 0 : (o->quote ? o->quote : '"');
	char esc = o->escape && o->escape != quote ? o->escape : 0;
	struct csv_table *t = s->t;
	char *a = t->arena;
	size_t used = 0;
	uint64_t line = 1;
	/* trailing empty lines are not rows */
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	size_t i = 0;
	if (n == 0)
		return 0;
	s->row_line = 1;
	for (;;) {
		/* one field starting at i */
		size_t start = used;
		size_t col = t->nfields - s->row_first + 1;
		if (quote && i < n && p[i] == quote) {
			uint64_t qline = line;
			i++;
			for (;;) {
				if (i >= n) {
					set_err(s->err, qline, col, "quoted field not closed (the quote "
						"opened on line %llu)", (unsigned long long)qline);
					return -EINVAL;
				}
				char c = p[i];
				if (esc && c == esc && i + 1 < n) {
					c = p[i + 1];
					i += 2;
				} else if (c == quote) {
					if (!esc && i + 1 < n && p[i + 1] == quote) {
						i += 2;
					} else {
						i++;
						break;
					}
				} else {
					i++;
					if (c == '\n')
						line++;
				}
				if (used - start == s->max_field) {
					set_err(s->err, line, col, "field longer than %zu bytes",
						s->max_field);
					return -EINVAL;
				}
				a[used++] = c;
			}
			if (i < n && p[i] != delim && p[i] != '\n' && p[i] != '\r') {
				set_err(s->err, line, col, "text after the closing quote");
				return -EINVAL;
			}
		} else {
			while (i < n && p[i] != delim && p[i] != '\n' && p[i] != '\r') {
				if (used - start == s->max_field) {
					set_err(s->err, line, col, "field longer than %zu bytes",
						s->max_field);
					return -EINVAL;
				}
				a[used++] = p[i++];
			}
		}
		/* check the field's text */
		for (size_t k = start; k < used;) {
			size_t l = flat_utf8_len((const unsigned char *)a + k, used - k);
			if (l == 0) {
				set_err(s->err, line, col, a[k] ? "not UTF-8 (byte 0x%02x at byte %zu "
					"of the field; declare the file's encoding)" :
					"a NUL byte (byte 0x%02x at byte %zu of the field)",
					(unsigned)(unsigned char)a[k], k - start + 1);
				return -EINVAL;
			}
			k += l;
		}
		int rc = add_field(s, a + start, used - start, line);
		if (rc < 0)
			return rc;
		a[used++] = '\0';
		if (i < n && p[i] == delim) {
			i++;
			continue;
		}
		if ((rc = end_row(s)) < 0)
			return rc;
		if (i >= n)
			break;
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			i++;
		i++;
		line++;
		s->row_line = line;
	}
	return 0;
}

/* Parse a whole file. */
int csv_parse(struct csv_table *t, const void *data, size_t len, const struct csv_options *o,
	      struct csv_error *err)
{
	static const struct csv_options defaults;
	struct buf conv;
	buf_init(&conv, 0);
	int rc = 0;
	if (err)
		memset(err, 0, sizeof *err);
	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof *t);
	if (!o)
		o = &defaults;
	if (!data && len) {
		rc = -EINVAL;
		goto out;
	}
	size_t max_bytes = o->max_bytes ? o->max_bytes : CSV_DEF_MAX_BYTES;
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
	struct pst s;
	memset(&s, 0, sizeof s);
	s.t = t;
	s.o = o;
	s.err = err;
	s.max_field = o->max_field ? o->max_field : CSV_DEF_MAX_FIELD;
	s.max_fields = o->max_fields ? o->max_fields : CSV_DEF_MAX_FIELDS;
	s.max_rows = o->max_rows ? o->max_rows : CSV_DEF_MAX_ROWS;
	s.header_pending = o->header == CSV_HEADER_YES;
	if (n > (SIZE_MAX - 1) / 2) {
		rc = -EFBIG;
		goto out;
	}
	t->arena = xmalloc(n * 2 + 1); /* each byte at most once, plus a NUL per field */
	rc = split(&s, p, n);
	if (rc < 0) {
		csv_table_free(t);
		goto out;
	}
	/* row field indexes → pointers, now that t->fields no longer moves */
	if (o->header == CSV_HEADER_YES && t->fields)
		t->header.f = t->fields + (uintptr_t)t->header.f;
	for (size_t i = 0; i < t->nrows; i++)
		t->rows[i].f = t->fields + (uintptr_t)t->rows[i].f;
out:
	buf_free(&conv);
	return rc;
}

/* Free the table's storage. */
void csv_table_free(struct csv_table *t)
{
	if (!t)
		return;
	free(t->arena);
	free(t->fields);
	free(t->rows);
	free(t->bad);
	memset(t, 0, sizeof *t);
}

/* ASCII case-insensitive equality of a span and a string. */
static int name_eq(struct span a, const char *s)
{
	size_t n = strlen(s);
	if (a.n != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char x = a.p[i], y = s[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/* The 1-based column named name in the header, 0 when none. */
size_t csv_column(const struct csv_table *t, const char *name)
{
	if (!t || !name || !t->header.f)
		return 0;
	for (size_t i = 0; i < t->header.n; i++)
		if (name_eq(span_trim(t->header.f[i]), name))
			return i + 1;
	return 0;
}

/* "line 4, column 3: text". */
char *csv_error_text(const struct csv_error *e)
{
	if (e->line && e->column)
		return xasprintf("line %llu, column %zu: %s", (unsigned long long)e->line, e->column,
				 e->msg);
	if (e->line)
		return xasprintf("line %llu: %s", (unsigned long long)e->line, e->msg);
	return xstrdup(e->msg);
}

/* Why a row was left out, in csv_parse's words. */
char *csv_bad_text(const struct csv_table *t, const struct csv_bad *b)
{
	const char *has = t->header.n ? "the header has" : "the first row has";
	if (b->nfields < t->width)
		return xasprintf("line %llu: short row: %zu field%s, %s %zu", (unsigned long long)b->line,
				 b->nfields, b->nfields == 1 ? "" : "s", has, t->width);
	return xasprintf("line %llu, column %zu: long row: %zu fields, %s %zu", (unsigned long long)b->line,
			 t->width + 1, b->nfields, has, t->width);
}
