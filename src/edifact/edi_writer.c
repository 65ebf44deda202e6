/*
 * edi_writer.c — the outbound EDIFACT segment writer (see edi_writer.h).
 *
 * A segment is built in w->seg. Offsets into it remember where the current
 * data element and repetition start and where their last non-empty part
 * ends, so trailing empty components, repetitions and data elements are cut
 * off when the next one starts or the segment ends. Each value is checked
 * as UTF-8 (control characters refused), converted to the character set
 * (table check for UNOA/UNOB, iconv for the ISO 8859 levels, unchanged for
 * UTF-8 levels) into w->conv, then copied into the segment with the release
 * character before every service character.
 *
 * Values are the caller's (often a partner's, copied into an
 * acknowledgment): they are never trusted to be valid UTF-8 or free of
 * separators, and an error message names only the code point, never the
 * value.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "edifact/edi_writer.h"

enum level_kind { LV_A, LV_B, LV_ICONV, LV_UTF8 };

struct edi_writer {
	char syntax_id[5];
	int version;
	struct edi_delims d;   /* rep 0 before syntax 4 */
	enum level_kind kind;
	iconv_t cd;            /* LV_ICONV only */
	unsigned char special[256]; /* 1: a service character to release */

	struct buf seg;        /* the segment being built */
	struct buf conv;       /* one value in the target character set */
	int in_seg, in_elem;
	size_t seg_keep;       /* end of the last non-empty data element */
	size_t el_start;       /* where the current data element's content starts */
	size_t el_keep;        /* end of its last non-empty repetition */
	size_t rep_start;      /* where the current repetition's content starts */
	size_t rep_keep;       /* end of its last non-empty component */
	int err;               /* first error of this segment */
	char msg[128];
};

/* The syntax identifiers we can write: iconv name, or NULL for table/UTF-8 levels. */
static const struct {
	const char *id;
	enum level_kind kind;
	const char *charset;
} LEVELS[] = {
	{ "UNOA", LV_A, NULL },           { "UNOB", LV_B, NULL },
	{ "UNOC", LV_ICONV, "ISO-8859-1" }, { "UNOD", LV_ICONV, "ISO-8859-2" },
	{ "UNOE", LV_ICONV, "ISO-8859-5" }, { "UNOF", LV_ICONV, "ISO-8859-7" },
	{ "UNOG", LV_ICONV, "ISO-8859-3" }, { "UNOH", LV_ICONV, "ISO-8859-4" },
	{ "UNOI", LV_ICONV, "ISO-8859-6" }, { "UNOJ", LV_ICONV, "ISO-8859-8" },
	{ "UNOK", LV_ICONV, "ISO-8859-9" }, { "UNOW", LV_UTF8, NULL },
	{ "UNOY", LV_UTF8, NULL },
};

/* ------------------------------------------------------------ setup */

/* The separators edigw writes by default. */
void edi_writer_default_delims(struct edi_delims *d, const char *syntax_id, int syntax_version)
{
	(void)syntax_id; /* the same family for every level: UNA says so where it matters */
	d->comp = ':';
	d->elem = '+';
	d->dec = '.';
	d->rel = '?';
	d->rep = syntax_version >= 4 ? '*' : 0;
	d->seg = '\'';
}

/* A byte usable as a separator: ASCII, not NUL, space, letter or digit. */
static int sep_ok(char c)
{
	unsigned char u = (unsigned char)c;
	return u != 0 && u != ' ' && u < 0x80 && !(u >= '0' && u <= '9') && !(u >= 'A' && u <= 'Z') &&
	       !(u >= 'a' && u <= 'z');
}

/* Separators set, usable and pairwise distinct (release and repetition when present). */
static int delims_ok(const struct edi_delims *d)
{
	char v[5] = { d->comp, d->elem, d->seg, d->rel, d->rep };
	for (int i = 0; i < 5; i++) {
		if (i >= 3 && v[i] == 0)
			continue;
		if (!sep_ok(v[i]))
			return 0;
		for (int k = 0; k < i; k++)
			if (v[k] == v[i])
				return 0;
	}
	return d->dec == '.' || d->dec == ',';
}

/* Start a writer for a syntax identifier, version and separators. */
int edi_writer_new(struct edi_writer **out, const char *syntax_id, int syntax_version,
		   const struct edi_delims *d)
{
	if (!out || !syntax_id)
		return -EINVAL;
	*out = NULL;
	if (syntax_version < 1 || syntax_version > 4)
		return -EINVAL;
	size_t li = sizeof LEVELS / sizeof LEVELS[0];
	for (size_t i = 0; i < sizeof LEVELS / sizeof LEVELS[0]; i++)
		if (strcmp(LEVELS[i].id, syntax_id) == 0)
			li = i;
	if (li == sizeof LEVELS / sizeof LEVELS[0])
		return -ENOTSUP;
	struct edi_delims dl;
	if (d) {
		dl = *d;
		if (!dl.dec)
			dl.dec = '.';
	} else {
		edi_writer_default_delims(&dl, syntax_id, syntax_version);
	}
	if (syntax_version < 4)
		dl.rep = 0;
	if (!delims_ok(&dl))
		return -EINVAL;
	iconv_t cd = (iconv_t)-1;
	if (LEVELS[li].kind == LV_ICONV) {
		cd = iconv_open(LEVELS[li].charset, "UTF-8");
		if (cd == (iconv_t)-1)
			return -ENOTSUP;
	}
	struct edi_writer *w = xcalloc(1, sizeof *w);
	snprintf(w->syntax_id, sizeof w->syntax_id, "%s", syntax_id);
	w->version = syntax_version;
	w->d = dl;
	w->kind = LEVELS[li].kind;
	w->cd = cd;
	const char sp[5] = { dl.comp, dl.elem, dl.seg, dl.rel, dl.rep };
	for (int i = 0; i < 5; i++)
		if (sp[i])
			w->special[(unsigned char)sp[i]] = 1;
	buf_init(&w->seg, 0);
	buf_init(&w->conv, 0);
	*out = w;
	return 0;
}

/* Free the writer. */
void edi_writer_free(struct edi_writer *w)
{
	if (!w)
		return;
	if (w->cd != (iconv_t)-1)
		iconv_close(w->cd);
	buf_free(&w->seg);
	buf_free(&w->conv);
	free(w);
}

/* The separators in use. */
const struct edi_delims *edi_writer_delims(const struct edi_writer *w)
{
	return &w->d;
}

/* The syntax identifier written. */
const char *edi_writer_syntax_id(const struct edi_writer *w)
{
	return w->syntax_id;
}

/* The syntax version written. */
int edi_writer_syntax_version(const struct edi_writer *w)
{
	return w->version;
}

/* A UNA is needed unless UNOA with exactly UNOA's defaults. */
int edi_writer_una_needed(const struct edi_writer *w)
{
	struct edi_delims def;
	edi_writer_default_delims(&def, "UNOA", w->version);
	const struct edi_delims *d = &w->d;
	return strcmp(w->syntax_id, "UNOA") != 0 || d->comp != def.comp || d->elem != def.elem ||
	       d->dec != def.dec || d->rel != def.rel || d->rep != def.rep || d->seg != def.seg;
}

/* The service string advice. */
void edi_writer_una(const struct edi_writer *w, struct buf *out)
{
	const struct edi_delims *d = &w->d;
	char una[9] = { 'U', 'N', 'A', d->comp, d->elem, d->dec, d->rel ? d->rel : ' ',
			d->rep ? d->rep : ' ', d->seg };
	buf_append(out, una, sizeof una);
}

/* What the last failed segment was about. */
const char *edi_writer_error(const struct edi_writer *w)
{
	return w->msg;
}

/* ------------------------------------------------------------ values */

/* Record the segment's first error. */
static void fail(struct edi_writer *w, int rc, const char *fmt, ...) EDIGW_PRINTF(3, 4);
static void fail(struct edi_writer *w, int rc, const char *fmt, ...)
{
	if (w->err)
		return;
	w->err = rc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof w->msg, fmt, ap);
	va_end(ap);
}

/* Decode one UTF-8 sequence at s[0..n): code point in *cp, length returned; 0 when
 * invalid (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

/* A character of ISO 646 level A (service characters included; they are released). */
static int level_a(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c < 0x80 && c != 0 && strchr(" .,-()/=!\"%&*;<>'+:?", (int)c) != NULL;
}

/* Check v as UTF-8 in the writer's character set; the bytes to write in w->conv. */
static int convert(struct edi_writer *w, const char *v, size_t n)
{
	const unsigned char *s = (const unsigned char *)v;
	buf_reset(&w->conv);
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t k = utf8_next(s + i, n - i, &cp);
		if (!k) {
			fail(w, -EILSEQ, "invalid UTF-8 at byte %zu of a value", i);
			return -EILSEQ;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
			fail(w, -EILSEQ, "control character U+%04X cannot be written", (unsigned)cp);
			return -EILSEQ;
		}
		int ok = 1;
		if (w->kind == LV_A)
			ok = level_a(cp);
		else if (w->kind == LV_B)
			ok = level_a(cp) || (cp >= 'a' && cp <= 'z');
		if (!ok) {
			if (cp < 0x80)
				fail(w, -EILSEQ, "U+%04X '%c' is not in %s", (unsigned)cp, (char)cp,
				     w->syntax_id);
			else
				fail(w, -EILSEQ, "U+%04X is not in %s", (unsigned)cp, w->syntax_id);
			return -EILSEQ;
		}
		i += k;
	}
	if (w->kind != LV_ICONV) {
		buf_append(&w->conv, v, n);
		return 0;
	}
	iconv(w->cd, NULL, NULL, NULL, NULL);
	char *ip = (char *)v;
	size_t il = n;
	char tmp[256];
	while (il > 0) {
		char *op = tmp;
		size_t ol = sizeof tmp;
		size_t r = iconv(w->cd, &ip, &il, &op, &ol);
		buf_append(&w->conv, tmp, sizeof tmp - ol);
		if (r == (size_t)-1 && errno != E2BIG) {
			uint32_t cp = 0;
			size_t at = (size_t)(ip - v);
			if (!utf8_next(s + at, n - at, &cp))
				cp = s[at];
			fail(w, -EILSEQ, "U+%04X is not in %s", (unsigned)cp, w->syntax_id);
			return -EILSEQ;
		}
	}
	return 0;
}

/* Append v converted and released to the segment; returns its length before escaping
 * (0: empty). */
static size_t put_value(struct edi_writer *w, const char *v, size_t n)
{
	if (!n || w->err)
		return 0;
	if (convert(w, v, n) < 0)
		return 0;
	for (size_t i = 0; i < w->conv.len; i++) {
		unsigned char c = (unsigned char)w->conv.data[i];
		if (w->special[c]) {
			if (!w->d.rel) {
				fail(w, -EILSEQ, "'%c' is a separator and there is no release character",
				     (char)c);
				return 0;
			}
			buf_putc(&w->seg, w->d.rel);
		}
		buf_putc(&w->seg, (char)c);
	}
	return w->conv.len;
}

/* Cut the segment back to len. */
static void cut(struct edi_writer *w, size_t len)
{
	w->seg.len = len;
	w->seg.data[len] = '\0';
}

/* Close the current repetition: drop its trailing empty components. */
static void close_rep(struct edi_writer *w)
{
	cut(w, w->rep_keep);
	if (w->rep_keep > w->rep_start)
		w->el_keep = w->rep_keep;
}

/* Close the current data element: drop trailing empty components and repetitions. */
static void close_elem(struct edi_writer *w)
{
	if (!w->in_elem)
		return;
	close_rep(w);
	cut(w, w->el_keep);
	if (w->el_keep > w->el_start)
		w->seg_keep = w->el_keep;
	w->in_elem = 0;
}

/* ------------------------------------------------------------ segments */

/* Start a segment. */
void edi_writer_seg(struct edi_writer *w, const char *tag)
{
	buf_reset(&w->seg);
	w->err = 0;
	w->msg[0] = '\0';
	w->in_seg = 1;
	w->in_elem = 0;
	int ok = tag && strlen(tag) == 3;
	for (int i = 0; ok && i < 3; i++)
		ok = (tag[i] >= 'A' && tag[i] <= 'Z') || (tag[i] >= '0' && tag[i] <= '9');
	if (!ok) {
		fail(w, -EINVAL, "bad segment tag");
		return;
	}
	buf_append(&w->seg, tag, 3);
	w->seg_keep = w->seg.len;
}

/* A new data element. */
void edi_writer_elem_n(struct edi_writer *w, const char *v, size_t n)
{
	if (!w->in_seg) {
		fail(w, -EINVAL, "data element outside a segment");
		return;
	}
	if (w->err)
		return;
	close_elem(w);
	buf_putc(&w->seg, w->d.elem);
	w->in_elem = 1;
	w->el_start = w->el_keep = w->rep_start = w->seg.len;
	put_value(w, v, n);
	w->rep_keep = w->seg.len;
}

/* A new data element from a C string. */
void edi_writer_elem(struct edi_writer *w, const char *v)
{
	edi_writer_elem_n(w, v, v ? strlen(v) : 0);
}

/* A new data element holding a number. */
void edi_writer_elem_u64(struct edi_writer *w, uint64_t v)
{
	char t[24];
	snprintf(t, sizeof t, "%llu", (unsigned long long)v);
	edi_writer_elem(w, t);
}

/* The next component of the current repetition. */
void edi_writer_comp_n(struct edi_writer *w, const char *v, size_t n)
{
	if (!w->in_elem) {
		fail(w, -EINVAL, "component outside a data element");
		return;
	}
	if (w->err)
		return;
	buf_putc(&w->seg, w->d.comp);
	if (put_value(w, v, n))
		w->rep_keep = w->seg.len;
}

/* The next component from a C string. */
void edi_writer_comp(struct edi_writer *w, const char *v)
{
	edi_writer_comp_n(w, v, v ? strlen(v) : 0);
}

/* The next component holding a number. */
void edi_writer_comp_u64(struct edi_writer *w, uint64_t v)
{
	char t[24];
	snprintf(t, sizeof t, "%llu", (unsigned long long)v);
	edi_writer_comp(w, t);
}

/* A new repetition of the current data element. */
void edi_writer_rep_n(struct edi_writer *w, const char *v, size_t n)
{
	if (!w->in_elem || !w->d.rep) {
		fail(w, -EINVAL, "repetition %s", w->d.rep ? "outside a data element"
							  : "needs syntax 4 and a repetition separator");
		return;
	}
	if (w->err)
		return;
	close_rep(w);
	buf_putc(&w->seg, w->d.rep);
	w->rep_start = w->seg.len;
	put_value(w, v, n);
	w->rep_keep = w->seg.len;
}

/* A new repetition from a C string. */
void edi_writer_rep(struct edi_writer *w, const char *v)
{
	edi_writer_rep_n(w, v, v ? strlen(v) : 0);
}

/* Finish the segment and append it to out. */
int edi_writer_seg_end(struct edi_writer *w, struct buf *out)
{
	int rc = w->err;
	if (!rc && !w->in_seg)
		rc = -EINVAL;
	if (!rc) {
		close_elem(w);
		cut(w, w->seg_keep);
		buf_putc(&w->seg, w->d.seg);
		if (buf_append(out, w->seg.data, w->seg.len) < 0)
			rc = -ENOSPC;
	}
	if (!rc)
		w->msg[0] = '\0';
	w->in_seg = 0;
	w->in_elem = 0;
	w->err = 0;
	buf_reset(&w->seg);
	return rc;
}
