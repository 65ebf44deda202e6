/*
 * edi_charset.c — the character repertoires of the EDIFACT syntax identifiers (data
 * element 0001) and the conversion of decoded values to UTF-8.
 *
 * Functions: edi_charset_find, edi_conv_init/close, edi_conv_check (every character
 * against the declared level, with the position of the first one outside it) and
 * edi_conv_value (to UTF-8).
 *
 * Repertoires (ISO 9735 and the 0001 code list):
 *   UNOA, IATA  level A: A-Z 0-9 space . , - ( ) / = ' + : ? ! " % & * ; < >
 *   UNOB, IATB  level B: level A and a-z
 *   UNOC..UNOK  an ISO 8859 part (C 1, D 2, E 5, F 7, G 3, H 4, I 6, J 8, K 9): the ASCII
 *               graphic characters and the part's characters in 0xA0-0xFF (positions a
 *               part leaves undefined are outside it: iconv says which)
 *   UNOW, UNOY  ISO 10646 in UTF-8: well-formed UTF-8 (no overlong forms, surrogates or
 *               code points above U+10FFFF)
 * Control characters (C0, DEL, and C1 in every set) are outside every level and are
 * never tolerated: decoded values never hold NUL or the view's separator bytes.
 *
 * Conversion: one iconv_t per interchange (struct edi_conv), opened on the first value
 * with a byte above 0x7F; pure ASCII values are copied (the ASCII range is the same in
 * every set). With tolerances.charset_relaxed, characters outside the level are kept:
 * under levels A and B a value with other bytes is taken as UTF-8 when it is well-formed
 * UTF-8, else as ISO 8859-1; under an 8859 part a byte the part does not define is taken
 * as ISO 8859-1; under UTF-8 a byte that does not form a sequence is taken as ISO 8859-1.
 *
 * Limits: values are bounded by the caller (max_element_len, max_segment_len); the
 * output buffer is capped at 4 bytes per input byte plus the U+FFFD expansion.
 */
#include <errno.h>
#include <string.h>

#include "edifact/edi_reader_int.h"

static const struct edi_charset charsets[] = {
	{ "UNOA", EDI_CS_A, NULL, "level A" },
	{ "UNOB", EDI_CS_B, NULL, "level B" },
	{ "UNOC", EDI_CS_8BIT, "ISO-8859-1", "ISO 8859-1" },
	{ "UNOD", EDI_CS_8BIT, "ISO-8859-2", "ISO 8859-2" },
	{ "UNOE", EDI_CS_8BIT, "ISO-8859-5", "ISO 8859-5" },
	{ "UNOF", EDI_CS_8BIT, "ISO-8859-7", "ISO 8859-7" },
	{ "UNOG", EDI_CS_8BIT, "ISO-8859-3", "ISO 8859-3" },
	{ "UNOH", EDI_CS_8BIT, "ISO-8859-4", "ISO 8859-4" },
	{ "UNOI", EDI_CS_8BIT, "ISO-8859-6", "ISO 8859-6" },
	{ "UNOJ", EDI_CS_8BIT, "ISO-8859-8", "ISO 8859-8" },
	{ "UNOK", EDI_CS_8BIT, "ISO-8859-9", "ISO 8859-9" },
	{ "UNOW", EDI_CS_UTF8, NULL, "UTF-8" },
	{ "UNOY", EDI_CS_UTF8, NULL, "UTF-8" },
	{ "IATA", EDI_CS_A, NULL, "level A" },
	{ "IATB", EDI_CS_B, NULL, "level B" },
};

/* The character set of syntax identifier id, or NULL when unknown. */
const struct edi_charset *edi_charset_find(struct span id)
{
	if (id.n != 4)
		return NULL;
	for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
		if (memcmp(charsets[i].id, id.p, 4) == 0)
			return &charsets[i];
	return NULL;
}

/* Levels A and B by byte: bit 1 level A, bit 2 level B. */
static unsigned char level_tab[256];

/* Fill level_tab (idempotent: every call writes the same bytes). */
static void level_init(void)
{
	if (level_tab['A'])
		return;
	static const char extra[] = " .,-()/='+:?!\"%&*;<>";
	unsigned char t[256] = { 0 };
	for (int c = 'A'; c <= 'Z'; c++)
		t[c] = 3;
	for (int c = '0'; c <= '9'; c++)
		t[c] = 3;
	for (const char *p = extra; *p; p++)
		t[(unsigned char)*p] = 3;
	for (int c = 'a'; c <= 'z'; c++)
		t[c] = 2;
	memcpy(level_tab, t, sizeof t);
}

/* A C0 or C1 control character, or DEL. */
static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

/* Length of the well-formed UTF-8 sequence at p (n bytes available), 0 when there is none;
 * *cp the code point. */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	unsigned min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* 1 when the whole of [p, p+n) is well-formed UTF-8. */
static int utf8_valid(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t l = utf8_seq(u + i, n - i, &cp);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

/* Start the conversion state of one interchange. */
void edi_conv_init(struct edi_conv *cv, const struct edi_charset *cs, int relaxed)
{
	cv->cs = cs;
	cv->cd = (iconv_t)-1;
	cv->relaxed = relaxed;
	cv->done_p = NULL;
	cv->done_n = 0;
	buf_init(&cv->tmp, 0);
}

/* Close the iconv descriptor and free the buffer. */
void edi_conv_close(struct edi_conv *cv)
{
	if (cv->cd != (iconv_t)-1)
		iconv_close(cv->cd);
	cv->cd = (iconv_t)-1;
	buf_free(&cv->tmp);
}

/* Open the interchange's iconv descriptor; 0 or -ENOTSUP. */
static int conv_open(struct edi_conv *cv)
{
	if (cv->cd != (iconv_t)-1)
		return 0;
	if (!cv->cs || !cv->cs->iconv)
		return -ENOTSUP;
	cv->cd = iconv_open("UTF-8", cv->cs->iconv);
	return cv->cd == (iconv_t)-1 ? -ENOTSUP : 0;
}

/* iconv n bytes from p, appending to b. 0, or -EILSEQ with *bad the offset of the first
 * byte the set does not define. */
static int iconv_run(struct edi_conv *cv, const char *p, size_t n, struct buf *b, size_t *bad)
{
	iconv(cv->cd, NULL, NULL, NULL, NULL);
	char *ip = (char *)p;
	size_t il = n;
	char tmp[1024];
	while (il > 0) {
		char *op = tmp;
		size_t ol = sizeof tmp;
		size_t r = iconv(cv->cd, &ip, &il, &op, &ol);
		if (buf_append(b, tmp, sizeof tmp - ol) < 0)
			return -ENOSPC;
		if (r == (size_t)-1 && errno != E2BIG) {
			if (bad)
				*bad = (size_t)(ip - p);
			return -EILSEQ;
		}
	}
	return 0;
}

/* Check the bytes of one unescaped value against the level. */
int edi_conv_check(struct edi_conv *cv, const char *p, size_t n, size_t *bad, size_t *badlen,
		   int *control)
{
	const unsigned char *u = (const unsigned char *)p;
	*control = 0;
	*badlen = 1;
	switch (cv->cs->kind) {
	case EDI_CS_A:
	case EDI_CS_B:
		level_init();
		for (size_t i = 0; i < n; i++) {
			if (level_tab[u[i]] & (cv->cs->kind == EDI_CS_A ? 1 : 2))
				continue;
			*bad = i;
			*control = is_control(u[i]);
			if (u[i] >= 0x80) {
				unsigned cp;
				size_t l = utf8_seq(u + i, n - i, &cp);
				if (l > 1) {
					*badlen = l;
					*control = cp < 0xa0;
				}
			}
			return 1;
		}
		return 0;
	case EDI_CS_8BIT: {
		size_t i;
		int high = 0;
		for (i = 0; i < n; i++) {
			if (is_control(u[i])) {
				*bad = i;
				*control = 1;
				return 1;
			}
			high |= u[i] >= 0x80;
		}
		if (!high)
			return 0;
		/* positions the part leaves undefined: iconv says which */
		if (conv_open(cv) < 0) {
			*bad = 0;
			return 1;
		}
		buf_reset(&cv->tmp);
		cv->done_p = NULL;
		size_t off = 0;
		if (iconv_run(cv, p, n, &cv->tmp, &off) < 0) {
			*bad = off;
			return 1;
		}
		/* the conversion is done: edi_conv_value takes it as it is */
		cv->done_p = p;
		cv->done_n = n;
		return 0;
	}
	case EDI_CS_UTF8:
		for (size_t i = 0; i < n;) {
			unsigned cp;
			size_t l = utf8_seq(u + i, n - i, &cp);
			if (!l || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
				*bad = i;
				*badlen = l ? l : 1;
				*control = l != 0;
				return 1;
			}
			i += l;
		}
		return 0;
	}
	*bad = 0;
	return 1;
}

/* Append code point cp (< 0x800 here: Latin-1 or U+FFFD) as UTF-8. */
static void put_cp(struct buf *b, unsigned cp)
{
	char o[3];
	if (cp < 0x80) {
		o[0] = (char)cp;
		buf_append(b, o, 1);
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, o, 2);
	} else {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, o, 3);
	}
}

/* One byte as ISO 8859-1, a control character as U+FFFD. */
static void put_latin1(struct buf *b, unsigned char c)
{
	put_cp(b, is_control(c) ? 0xfffd : c);
}

/* The value converted into cv->tmp, as a span. */
static struct span tmp_span(struct edi_conv *cv)
{
	return (struct span){ cv->tmp.data ? cv->tmp.data : "", cv->tmp.len };
}

/* One unescaped value in UTF-8: the input itself when ASCII graphics only, else cv->tmp. */
struct span edi_conv_value(struct edi_conv *cv, const char *p, size_t n, int strict)
{
	struct buf *b = &cv->tmp;
	if (strict && cv->done_p == p && cv->done_n == n && p) {
		cv->done_p = NULL;
		return tmp_span(cv);
	}
	cv->done_p = NULL;
	const unsigned char *u = (const unsigned char *)p;
	size_t i;
	for (i = 0; i < n && u[i] >= 0x20 && u[i] < 0x7f; i++)
		;
	if (i == n)
		return (struct span){ n ? p : "", n }; /* ASCII graphics: the same in every set */
	buf_reset(b);
	switch (cv->cs->kind) {
	case EDI_CS_A:
	case EDI_CS_B:
		if (utf8_valid(p, n)) {
			for (i = 0; i < n;) {
				unsigned cp;
				size_t l = utf8_seq(u + i, n - i, &cp);
				if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
					put_cp(b, 0xfffd);
				else
					buf_append(b, p + i, l);
				i += l;
			}
		} else {
			for (i = 0; i < n; i++)
				put_latin1(b, u[i]);
		}
		return tmp_span(cv);
	case EDI_CS_8BIT:
		if (strict && conv_open(cv) == 0 && iconv_run(cv, p, n, b, NULL) == 0)
			return tmp_span(cv);
		buf_reset(b);
		for (i = 0; i < n; i++) {
			if (is_control(u[i])) {
				put_cp(b, 0xfffd);
				continue;
			}
			size_t before = b->len;
			if (u[i] < 0x80 || conv_open(cv) < 0 || iconv_run(cv, p + i, 1, b, NULL) < 0) {
				b->len = before;
				if (b->data)
					b->data[before] = '\0';
				put_latin1(b, u[i]);
			}
		}
		return tmp_span(cv);
	case EDI_CS_UTF8:
		for (i = 0; i < n;) {
			unsigned cp;
			size_t l = utf8_seq(u + i, n - i, &cp);
			if (!l) {
				put_latin1(b, u[i]);
				i++;
				continue;
			}
			if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
				put_cp(b, 0xfffd);
			else
				buf_append(b, p + i, l);
			i += l;
		}
		return tmp_span(cv);
	}
	return tmp_span(cv);
}
