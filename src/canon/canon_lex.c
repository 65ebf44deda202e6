/*
 * canon_lex.c — line tokenizer for map files and ERP profiles (see
 * canon_lex.h for the rules). The input is an analyst's file, not partner
 * data, but it is still bounded: CANON_LEX_MAX_FILE bytes, lines of at
 * most CANON_LEX_MAX_LINE bytes with at most CANON_LEX_MAX_TOKENS tokens.
 * The returned lines own their token strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon_lex.h"
#include "canon/canon_path.h"

/* Free the tokens of one line. */
static void line_free(struct canon_line *l)
{
	for (size_t i = 0; i < l->ntok; i++)
		free(l->tok[i].s);
	free(l->tok);
	l->tok = NULL;
	l->ntok = 0;
}

/* Tokenize one line (p, n without the newline) into l; 0 or an error message (static). */
static const char *lex_line(struct canon_line *l, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == ' ')
		i++;
	l->indent = i;
	if (i < n && p[i] == '\t') {
		/* a tab before the first token: only an error when the line holds something */
		size_t k = i;
		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		if (k < n && p[k] != '#')
			return "bad indentation: a tab in the indentation (indent with spaces)";
		return NULL;
	}
	struct buf t;
	buf_init(&t, CANON_LEX_MAX_LINE + 1);
	const char *err = NULL;
	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i >= n || p[i] == '#')
			break;
		if (l->ntok == CANON_LEX_MAX_TOKENS) {
			err = "too many words on one line";
			goto out;
		}
		buf_reset(&t);
		int quoted = p[i] == '"';
		while (i < n && p[i] != ' ' && p[i] != '\t') {
			if (p[i] != '"') {
				buf_putc(&t, p[i++]);
				continue;
			}
			i++; /* opening quote */
			for (;;) {
				if (i >= n) {
					err = "unterminated quoted text (a '\"' is missing)";
					goto out;
				}
				if (p[i] == '"')
					break;
				if (p[i] == '\\' && i + 1 < n && (p[i + 1] == '"' || p[i + 1] == '\\'))
					i++;
				buf_putc(&t, p[i++]);
			}
			i++; /* closing quote */
		}
		l->tok = xrealloc(l->tok, (l->ntok + 1) * sizeof *l->tok);
		l->tok[l->ntok].s = xstrdup(t.data ? t.data : "");
		l->tok[l->ntok].quoted = quoted;
		l->ntok++;
	}
out:
	buf_free(&t);
	if (err)
		line_free(l);
	return err;
}

/* Tokenize a whole file's text. */
int canon_lex(struct canon_line **out, size_t *nout, const char *text, size_t len,
	      const char *file, struct diag_list *d)
{
	struct canon_line *v = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	int bad = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t ln = nl ? (size_t)(nl - s) : len - pos;
		pos += ln + (nl ? 1 : 0);
		lineno++;
		if (ln && s[ln - 1] == '\r')
			ln--;
		if (ln > CANON_LEX_MAX_LINE) {
			diag_error(d, file, lineno, "line too long (%zu bytes; at most %d)", ln,
				   CANON_LEX_MAX_LINE);
			bad = 1;
			continue;
		}
		size_t k;
		for (k = 0; k < ln; k++) {
			unsigned char c = (unsigned char)s[k];
			if (c < 0x20 && c != '\t')
				break;
			if (c == 0x7f)
				break;
		}
		if (k < ln) {
			diag_error(d, file, lineno, "control character (byte 0x%02x) in column %zu",
				   (unsigned char)s[k], k + 1);
			bad = 1;
			continue;
		}
		if (canon_text_valid(s, ln) != 0) {
			diag_error(d, file, lineno, "the line is not valid UTF-8 text");
			bad = 1;
			continue;
		}
		struct canon_line l = { 0 };
		l.lineno = lineno;
		const char *err = lex_line(&l, s, ln);
		if (err) {
			diag_error(d, file, lineno, "%s", err);
			bad = 1;
			continue;
		}
		if (l.ntok == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n++] = l;
	}
	*out = v;
	*nout = n;
	return bad ? -EINVAL : 0;
}

/* Read and tokenize a file. */
int canon_lex_file(struct canon_line **out, size_t *nout, const char *file, struct diag_list *d)
{
	struct buf b;
	buf_init(&b, 0);
	*out = NULL;
	*nout = 0;
	int rc = file_read_all(file, CANON_LEX_MAX_FILE, &b);
	if (rc == -EINVAL) {
		diag_error(d, file, 0, "not a regular file");
		goto out;
	}
	if (rc == -EFBIG) {
		diag_error(d, file, 0, "file too large (at most %d bytes)", CANON_LEX_MAX_FILE);
		goto out;
	}
	if (rc < 0) {
		diag_error(d, file, 0, "cannot read: %s", strerror(-rc));
		goto out;
	}
	rc = canon_lex(out, nout, b.data ? b.data : "", b.len, file, d);
out:
	buf_free(&b);
	return rc < 0 ? -EINVAL : 0;
}

/* Free lines from canon_lex. */
void canon_lex_free(struct canon_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		line_free(&v[i]);
	free(v);
}
