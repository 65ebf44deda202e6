/*
 * edi_reader.c — the EDIFACT tokenizer: UNA (or the defaults of the syntax level),
 * segment boundaries with the release character, the syntax 4 repetition separator,
 * line breaks between segments, several interchanges per file, and the SHA-256 of each
 * interchange's bytes.
 *
 * Functions: edi_limits_default, edi_tolerances_default, edi_delims_default, edi_sniff,
 * edi_reader_new_fd/new_mem/free and the setters, edi_tok_next (one raw segment at a
 * time, for edi_envelope.c).
 *
 * Ownership: the reader owns one chunk buffer (fd input) or borrows the caller's memory
 * (never copied or written); the spans of a returned segment point into it and stay valid
 * until the next call. Memory does not depend on the size of the input: buffer =
 * max(256 KiB, 2 * max_segment_len + slack).
 *
 * Partner bytes and limits (struct edi_limits):
 *   max_file_size    more input than this: fatal (-EFBIG); nothing after it is read.
 *   max_segment_len  a segment (without its terminator) longer than this: -EMSGSIZE,
 *                    recoverable: the reader skips to the segment's terminator (release
 *                    characters honoured) and goes on after it.
 *   max_elements     elements after the limit are not split (nelem == max_elements),
 *                    flagged in too_many.
 *
 * Tolerated (each reported once per reader through the notice callback): a UTF-8 BOM at
 * the start; CR, LF, spaces and tabs before an interchange and between segments (a byte
 * that is one of the interchange's own service characters is never skipped); empty
 * segments; a CR right before a newline terminator; a last segment without terminator;
 * NUL or Ctrl-Z padding after an interchange.
 *
 * Not tolerated (fatal, with line and byte offset): anything but UNA or UNB where an
 * interchange must start (the start of the input, after a UNZ); a UNA not followed by a
 * UNB; a UNA whose service characters are letters, digits, non-ASCII, NUL, or not
 * distinct; without a UNA, a UNB whose fourth byte is neither '+' (the graphic defaults)
 * nor IS3 0x1D (the level B defaults). A new interchange is recognised only at a segment
 * boundary (a UNA or UNB there closes the one before): the reader never searches for
 * "UNB" inside data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edifact/edi_reader_int.h"

#define EDI_CHUNK (256u * 1024u)
#define START_LOOKAHEAD 64 /* bytes looked at to find UNA/UNB */

enum rstate { R_START = 0, R_ICH, R_FATAL };

enum notice_kind {
	NK_BOM = 1u << 0,
	NK_LEADING_WS = 1u << 1,
	NK_EOL = 1u << 2,
	NK_BLANK = 1u << 3,
	NK_EMPTY_SEG = 1u << 4,
	NK_CR_BEFORE_LF = 1u << 5,
	NK_NO_FINAL_TERM = 1u << 6,
	NK_TRAILING_JUNK = 1u << 7,
	NK_UNA_DEC = 1u << 8,
	NK_WRAPPED = 1u << 9,
};

struct edi_reader {
	int fd;              /* -1 for memory input */
	const char *mem;
	size_t memlen;
	char *buf;           /* fd input: owned chunk buffer */
	size_t cap;
	const char *data;    /* window: data[0..len) is file bytes base..base+len */
	size_t len, pos;
	uint64_t base;
	int eof;
	int started;
	size_t chunk;
	struct edi_limits lim;
	struct edi_tolerances tol;
	struct edi_delims d;
	int una;             /* the current interchange had a UNA */
	char una5;           /* its UNA5 (repetition separator from syntax 4), ' ' when blank */
	int level_b_defaults; /* no UNA and the IS separators */
	enum rstate state;
	int seen;            /* an interchange has been started */
	int skipping;        /* skipping the rest of an overlong segment */
	int skip_rel;        /* ... and its last byte was an unpaired release character */
	unsigned char skip[256]; /* bytes skipped between segments */
	int wrap_on;         /* CR/LF inside segments are dropped (tolerances.wrapped_lines) */
	char *scratch;       /* a segment without its line breaks (max_segment_len + 2) */
	uint64_t line;
	uint64_t nseg;
	struct span *ev;     /* max_elements + 2 spans */
	uint64_t ich_offset; /* where the current interchange starts */
	int pending_unb;     /* the next segment is the UNB that starts an interchange */
	struct x12_error err;
	int err_rc;
	x12_notice_fn notice;
	void *nctx;
	unsigned noticed;
	int hash_on;         /* 1 on, 0 off, -1 not set (edi_parse turns it on) */
	struct sha256_ctx *hctx;
	uint64_t hash_done, hash_end;
	int frozen;
	char done_hash[65];
	int done_valid;
};

/* ---------------------------------------------------------------- defaults */

/* Fill in the documented defaults. */
void edi_limits_default(struct edi_limits *l)
{
	l->max_file_size = 512ull * 1024 * 1024;
	l->max_segment_len = 64 * 1024;
	l->max_element_len = 4096;
	l->max_elements = 512;
	l->max_components = 99;
	l->max_repeats = 999;
	l->max_segments_per_msg = 200000;
	l->max_msg_bytes = 64u * 1024 * 1024;
}

/* Fill in the documented default tolerances. */
void edi_tolerances_default(struct edi_tolerances *t)
{
	t->charset_relaxed = 0;
	t->wrong_counts = 0;
	t->wrapped_lines = 1;
}

/* The service characters when there is no UNA (graphic levels). */
void edi_delims_default(struct edi_delims *d, int syntax_version)
{
	d->comp = ':';
	d->elem = '+';
	d->dec = '.';
	d->rel = '?';
	d->rep = syntax_version >= 4 ? '*' : 0;
	d->seg = '\'';
}

/* The level B defaults (ISO 9735: IS1, IS3, IS4, and IS2 for repetition in syntax 4;
 * no release character). */
static void delims_level_b(struct edi_delims *d, int syntax_version)
{
	d->comp = 0x1f;
	d->elem = 0x1d;
	d->dec = '.';
	d->rel = 0;
	d->rep = syntax_version >= 4 ? 0x1e : 0;
	d->seg = 0x1c;
}

/* Whitespace that may stand before an interchange or between segments. */
static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 1 when data looks like EDIFACT: optional BOM and whitespace, then UNA or UNB. */
int edi_sniff(const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0;
	if (!p)
		return 0;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < n && is_ws(p[i]))
		i++;
	if (n - i < 4 || p[i] != 'U' || p[i + 1] != 'N')
		return 0;
	if (p[i + 2] == 'A')
		return 1;
	return p[i + 2] == 'B' && (p[i + 3] == '+' || p[i + 3] == 0x1d);
}

/* ---------------------------------------------------------------- internals */

/* Report a tolerance once per reader (kind 0: always). */
void edi_tok_notice(struct edi_reader *r, unsigned kind, uint64_t line, const char *msg)
{
	if (kind) {
		if (r->noticed & kind)
			return;
		r->noticed |= kind;
	}
	if (r->notice)
		r->notice(r->nctx, line, msg);
}

/* 1 when a notice of that kind was already reported. */
int edi_tok_noticed(const struct edi_reader *r, unsigned kind)
{
	return (r->noticed & kind) != 0;
}

/* Record an error; returns rc. */
static int set_error(struct edi_reader *r, int rc, const char *code, uint64_t off, uint64_t line,
		     const char *bad, size_t badn, const char *fmt, ...) EDIGW_PRINTF(8, 9);
static int set_error(struct edi_reader *r, int rc, const char *code, uint64_t off, uint64_t line,
		     const char *bad, size_t badn, const char *fmt, ...)
{
	free(r->err.msg);
	free(r->err.bad_value);
	memset(&r->err, 0, sizeof r->err);
	r->err.scope = X12_SCOPE_INTERCHANGE;
	size_t cl = strlen(code);
	memcpy(r->err.code, code, cl < 4 ? cl : 4);
	r->err.file_seg = r->nseg + 1;
	r->err.line = line;
	r->err.offset = off;
	if (bad && badn) {
		size_t n = badn > 40 ? 40 : badn;
		/* a NUL would cut the copy short: then escaped */
		r->err.bad_value = memchr(bad, 0, n) ? escape_bytes(bad, n, 40)
						     : span_dup((struct span){ bad, n });
	}
	struct buf b;
	buf_init(&b, 0);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->err.msg = buf_steal(&b);
	r->err_rc = rc;
	return rc;
}

#define FATAL(r, rc, ...) ((r)->state = R_FATAL, set_error((r), (rc), __VA_ARGS__))

/* Hash the interchange's bytes in the window up to file offset upto. */
static void hash_upto(struct edi_reader *r, uint64_t upto)
{
	if (!r->hctx)
		return;
	if (r->frozen && upto > r->hash_end)
		upto = r->hash_end;
	if (upto <= r->hash_done)
		return;
	sha256_update(r->hctx, r->data + (r->hash_done - r->base), (size_t)(upto - r->hash_done));
	r->hash_done = upto;
}

/* Make more input visible: 1 bytes added, 0 end of input, <0 fatal. */
static int refill(struct edi_reader *r)
{
	if (r->eof)
		return 0;
	if (r->fd < 0) {
		size_t add = r->memlen - r->len;
		if (r->chunk && add > r->chunk)
			add = r->chunk;
		r->len += add;
		if (r->len == r->memlen)
			r->eof = 1;
		return add > 0;
	}
	if (r->pos > 0) {
		hash_upto(r, r->base + r->pos);
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->base += r->pos;
		r->len -= r->pos;
		r->pos = 0;
	}
	size_t room = r->cap - r->len;
	if (room == 0)
		return FATAL(r, -ENOBUFS, "18", r->base + r->len, r->line, NULL, 0,
			     "internal: reader buffer full");
	if (r->chunk && room > r->chunk)
		room = r->chunk;
	ssize_t n;
	do
		n = read(r->fd, r->buf + r->len, room);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;
		return FATAL(r, -e, "18", r->base + r->len, r->line, NULL, 0, "read error: %s",
			     strerror(e));
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->len += (size_t)n;
	if (r->base + r->len > r->lim.max_file_size)
		return FATAL(r, -EFBIG, "18", r->lim.max_file_size, r->line, NULL, 0,
			     "input larger than the limit of %llu bytes (max_file_size)",
			     (unsigned long long)r->lim.max_file_size);
	return 1;
}

/* Make at least need bytes visible from pos (fewer only at the end of input). */
static int fill(struct edi_reader *r, size_t need)
{
	while (r->len - r->pos < need) {
		int rc = refill(r);
		if (rc <= 0)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

/* The bytes skipped between segments: whitespace that is not a service character. */
static void set_skip(struct edi_reader *r)
{
	memset(r->skip, 0, sizeof r->skip);
	r->skip[' '] = r->skip['\t'] = r->skip['\r'] = r->skip['\n'] = 1;
	const char ds[5] = { r->d.comp, r->d.elem, r->d.rel, r->d.rep, r->d.seg };
	r->wrap_on = r->tol.wrapped_lines;
	for (int i = 0; i < 5; i++) {
		if (ds[i])
			r->skip[(unsigned char)ds[i]] = 0;
		if (ds[i] == '\r' || ds[i] == '\n')
			r->wrap_on = 0;
	}
}

/* A byte that may be a service character: not a letter, digit, space, NUL, CR/LF or
 * non-ASCII byte (CR/LF may be the segment terminator: seg_ok). */
static int svc_ok(unsigned char c)
{
	if (c == 0 || c >= 0x80 || c == ' ' || c == '\r' || c == '\n')
		return 0;
	return !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}

/* Skip whitespace (and padding after an interchange): 1 more data, 0 end of input. */
static int skip_blank(struct edi_reader *r, int between)
{
	uint64_t line0 = r->line;
	unsigned kinds = 0;
	int rc;
	for (;;) {
		size_t i = r->pos;
		for (; i < r->len; i++) {
			unsigned char c = (unsigned char)r->data[i];
			if (between ? r->skip[c] : is_ws(c)) {
				if (c == '\n')
					r->line++;
				kinds |= (c == '\r' || c == '\n') ? NK_EOL : NK_BLANK;
			} else if (!between && r->seen && (c == 0 || c == 0x1a)) {
				kinds |= NK_TRAILING_JUNK;
			} else {
				break;
			}
		}
		r->pos = i;
		if (i < r->len)
			break;
		if ((rc = refill(r)) < 0)
			return rc;
		if (rc == 0)
			break;
	}
	if (kinds) {
		if (!between && !r->seen)
			edi_tok_notice(r, NK_LEADING_WS, line0,
				       "whitespace or blank lines before the UNA/UNB ignored");
		else {
			if (kinds & NK_EOL)
				edi_tok_notice(r, NK_EOL, line0, "line breaks between segments ignored");
			if (kinds & NK_BLANK)
				edi_tok_notice(r, NK_BLANK, line0,
					       "spaces or tabs between segments ignored");
		}
		if (kinds & NK_TRAILING_JUNK)
			edi_tok_notice(r, NK_TRAILING_JUNK, line0,
				       "NUL or Ctrl-Z padding between or after interchanges ignored");
	}
	return r->pos < r->len;
}

/* A new interchange begins at pos (a UNA or UNB): finish the previous hash, start one. */
static void hash_begin(struct edi_reader *r, uint64_t off)
{
	if (r->hctx) {
		hash_upto(r, off);
		sha256_finish(r->hctx, r->done_hash);
		r->hctx = NULL;
		r->done_valid = 1;
	}
	if (r->hash_on == 1) {
		r->hctx = sha256_new();
		r->hash_done = off;
		r->frozen = 0;
	}
}

/* A printable description of service character c for messages. */
static const char *svc_name(unsigned char c, char out[8])
{
	if (c > 0x20 && c < 0x7f) {
		out[0] = '\'';
		out[1] = (char)c;
		out[2] = '\'';
		out[3] = '\0';
	} else {
		static const char hex[] = "0123456789abcdef";
		memcpy(out, "0x", 2);
		out[2] = hex[c >> 4];
		out[3] = hex[c & 15];
		out[4] = '\0';
	}
	return out;
}

/* Where an interchange must start: UNA (then UNB) or UNB; sets the delimiters. */
static int start_interchange(struct edi_reader *r)
{
	int rc;
	if (!r->seen && r->base + r->pos == 0) {
		if ((rc = fill(r, 3)) < 0)
			return rc;
		if (r->len - r->pos >= 3 && memcmp(r->data + r->pos, "\xef\xbb\xbf", 3) == 0) {
			r->pos += 3;
			edi_tok_notice(r, NK_BOM, 1, "UTF-8 byte order mark before the UNA/UNB ignored");
		}
	}
	if ((rc = skip_blank(r, 0)) <= 0)
		return rc; /* clean end of input, or an error */
	if ((rc = fill(r, START_LOOKAHEAD)) < 0)
		return rc;
	const char *p = r->data + r->pos;
	size_t avail = r->len - r->pos;
	uint64_t off = r->base + r->pos;
	char n1[8], n2[8];
	if (avail >= 3 && memcmp(p, "UNA", 3) == 0) {
		if (avail < 9)
			return FATAL(r, -EINVAL, "13", off, r->line, p, avail,
				     "truncated UNA: the service string advice needs 6 characters after 'UNA'");
		const unsigned char *u = (const unsigned char *)p + 3;
		static const char *const names[6] = { "component data element separator (UNA1)",
						      "data element separator (UNA2)", "decimal mark (UNA3)",
						      "release character (UNA4)",
						      "repetition separator (UNA5)",
						      "segment terminator (UNA6)" };
		for (int i = 0; i < 6; i++) {
			unsigned char c = u[i];
			int ok;
			if (i == 2)
				ok = c > 0x20 && c < 0x7f; /* the decimal mark is only noted */
			else if (i == 3 || i == 4)
				ok = c == ' ' || svc_ok(c);
			else if (i == 5)
				ok = svc_ok(c) || c == '\r' || c == '\n';
			else
				ok = svc_ok(c);
			if (!ok && i != 2)
				return FATAL(r, -EINVAL, "20", off + 3 + (uint64_t)i, r->line, p + 3 + i, 1,
					     "invalid %s %s in the UNA: a service character cannot be a "
					     "letter, digit, space, line break, NUL or non-ASCII byte",
					     names[i], svc_name(c, n1));
		}
		/* distinct: UNA1, UNA2, UNA4 (unless blank), UNA5 (unless blank), UNA6 */
		const int idx[5] = { 0, 1, 3, 4, 5 };
		for (int a = 0; a < 5; a++)
			for (int b = a + 1; b < 5; b++) {
				unsigned char x = u[idx[a]], y = u[idx[b]];
				if (x == y && x != ' ')
					return FATAL(r, -EINVAL, "20", off + 3 + (uint64_t)idx[b], r->line, p + 3 + idx[b], 1,
						     "the %s is the same character %s as the %s",
						     names[idx[b]], svc_name(y, n1), names[idx[a]]);
			}
		if (u[2] != '.' && u[2] != ',')
			edi_tok_notice(r, NK_UNA_DEC, r->line,
				       "UNA3 decimal mark is neither '.' nor ',': noted, not used by the reader");
		r->d.comp = (char)u[0];
		r->d.elem = (char)u[1];
		r->d.dec = (char)u[2];
		r->d.rel = u[3] == ' ' ? 0 : (char)u[3];
		r->d.rep = 0; /* decided at the UNB (syntax 4 only) */
		r->d.seg = (char)u[5];
		r->una5 = (char)u[4];
		r->una = 1;
		r->level_b_defaults = 0;
		r->ich_offset = off;
		hash_begin(r, off);
		r->seen = 1;
		r->pos += 9;
		set_skip(r);
		/* line breaks between the UNA and the UNB */
		if ((rc = skip_blank(r, 1)) < 0)
			return rc;
		/* 21 bytes (fewer only at the end): what the message shows must not depend on
		 * how much a read returned */
		if ((rc = fill(r, 21)) < 0)
			return rc;
		p = r->data + r->pos;
		avail = r->len - r->pos;
		if (avail > 21)
			avail = 21;
		if (avail < 4 || memcmp(p, "UNB", 3) != 0 || p[3] != r->d.elem) {
			char *e = escape_bytes(p, avail, 20);
			rc = FATAL(r, -EINVAL, "13", r->base + r->pos, r->line, p, avail < 20 ? avail : 20,
				   "the UNA is not followed by a UNB (interchange header) with its data "
				   "element separator %s: found '%s'", svc_name((unsigned char)r->d.elem, n2), e);
			free(e);
			return rc;
		}
	} else if (avail >= 4 && memcmp(p, "UNB", 3) == 0 && (p[3] == '+' || p[3] == 0x1d)) {
		r->una = 0;
		r->una5 = ' ';
		r->level_b_defaults = p[3] == 0x1d;
		if (r->level_b_defaults)
			delims_level_b(&r->d, 1);
		else
			edi_delims_default(&r->d, 1);
		r->ich_offset = off;
		hash_begin(r, off);
		r->seen = 1;
		set_skip(r);
	} else if (avail >= 4 && memcmp(p, "UNB", 3) == 0) {
		return FATAL(r, -EINVAL, "20", off + 3, r->line, p, avail < 20 ? avail : 20,
			     "UNB without a UNA must use the default data element separator '+' (or "
			     "IS3 0x1d at level B), found %s", svc_name((unsigned char)p[3], n1));
	} else {
		char *e = escape_bytes(p, avail, 20);
		rc = FATAL(r, -EINVAL, "13", off, r->line, p, avail < 20 ? avail : 20,
			   "%s: expected UNA or UNB at line %llu, byte offset %llu, found '%s'",
			   r->seen ? "data after the interchange's UNZ" : "not EDIFACT (data before UNA/UNB)",
			   (unsigned long long)r->line, (unsigned long long)off, e);
		free(e);
		return rc;
	}
	r->state = R_ICH;
	r->pending_unb = 1;
	return 1;
}

/* Scanner result for one segment. */
struct scan {
	size_t k;        /* spans stored in r->ev */
	int many;        /* more than max_elements */
	uint64_t lf;     /* LFs inside the segment */
	int dangling;    /* the window ended right after a release character */
	int crlf;        /* CR or LF inside the segment (dropped when wrap_on) */
};

/* Look at most avail bytes from p for the segment terminator (release characters
 * honoured), splitting the elements; the terminator's address, or NULL. */
static const char *scan(struct edi_reader *r, struct scan *st, const char *p, size_t avail)
{
	const int es = (unsigned char)r->d.elem, t = (unsigned char)r->d.seg;
	const int rel = r->d.rel ? (unsigned char)r->d.rel : -1;
	const int lfc = t != '\n';
	const int wrap = r->wrap_on;
	struct span *ev = r->ev;
	const size_t maxk = r->lim.max_elements;
	const char *c = p, *end = p + avail, *s = p;
	size_t k = 0;
	int many = 0;
	uint64_t lf = 0;
	st->dangling = 0;
	st->crlf = 0;
	for (; c < end; c++) {
		int ch = (unsigned char)*c;
		if (wrap && (ch == '\r' || ch == '\n')) {
			lf += ch == '\n';
			st->crlf = 1;
			continue;
		}
		if (ch == rel) {
			/* the released character (line breaks of a wrapped line are not it) */
			c++;
			while (wrap && c < end && (*c == '\r' || *c == '\n')) {
				lf += *c == '\n';
				st->crlf = 1;
				c++;
			}
			if (c >= end) {
				st->dangling = 1;
				break;
			}
			if (*c == '\n' && lfc)
				lf++;
			continue;
		}
		if (ch == '\r' && !wrap)
			st->crlf = 1;
		if (ch == t) {
			if (!many) {
				ev[k].p = s;
				ev[k].n = (size_t)(c - s);
				k++;
			}
			st->k = k;
			st->many = many;
			st->lf = lf;
			return c;
		}
		if (ch == es) {
			if (!many) {
				ev[k].p = s;
				ev[k].n = (size_t)(c - s);
				if (++k > maxk)
					many = 1;
				s = c + 1;
			}
		} else if (ch == '\n' && lfc) {
			lf++;
			st->crlf = 1;
		}
	}
	/* not terminated in the window: the last element runs to the end */
	if (!many) {
		ev[k].p = s;
		ev[k].n = (size_t)(end - s);
		k++;
	}
	st->k = k;
	st->many = many;
	st->lf = lf;
	return NULL;
}

/* Discard the rest of an overlong segment through its terminator. */
static int skip_segment(struct edi_reader *r)
{
	const int t = (unsigned char)r->d.seg;
	const int rel = r->d.rel ? (unsigned char)r->d.rel : -1;
	for (;;) {
		size_t i = r->pos;
		for (; i < r->len; i++) {
			int ch = (unsigned char)r->data[i];
			if (r->wrap_on && (ch == '\r' || ch == '\n')) {
				r->line += ch == '\n';
				continue;
			}
			if (r->skip_rel) {
				r->skip_rel = 0;
			} else if (ch == rel) {
				r->skip_rel = 1;
			} else if (ch == t) {
				if (ch == '\n')
					r->line++;
				r->pos = i + 1;
				r->skipping = 0;
				return 0;
			}
			if (ch == '\n' && t != '\n')
				r->line++;
		}
		r->pos = i;
		int rc = refill(r);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			r->skipping = 0;
			return 0;
		}
	}
}

/* The tag of a segment: the first component of its first element, 1-3 letters or digits. */
static void seg_tag(const struct edi_reader *r, struct span el0, char tag[4])
{
	size_t n = 0;
	tag[0] = '\0';
	while (n < el0.n && el0.p[n] != r->d.comp)
		n++;
	if (n == 0 || n > 3)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)el0.p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return;
	}
	memcpy(tag, el0.p, n);
	tag[n] = '\0';
}

/* The UNB that starts an interchange: the repetition separator follows from the syntax
 * version (S001 0002) in syntax 4. */
static void unb_delims(struct edi_reader *r, const struct edi_rawseg *s)
{
	char v = 0;
	if (s->nelem >= 1) {
		const char *q = memchr(s->el[1].p, r->d.comp, s->el[1].n);
		if (q && q + 1 < s->el[1].p + s->el[1].n)
			v = q[1];
	}
	r->d.rep = 0;
	if (v >= '4' && v <= '9') {
		if (r->una)
			r->d.rep = r->una5 == ' ' ? 0 : r->una5;
		else
			r->d.rep = r->level_b_defaults ? 0x1e : '*';
	} else if (r->una && r->una5 != ' ') {
		char n1[8];
		char *m = xasprintf("UNA5 %s ignored: a repetition separator exists from syntax "
				    "version 4 on (this interchange declares version '%c')",
				    svc_name((unsigned char)r->una5, n1), v ? v : '?');
		edi_tok_notice(r, EDI_NK_UNA5, s->line, m);
		free(m);
	}
	set_skip(r);
}

/* The UNZ was read: the interchange's bytes end here. */
static void end_interchange(struct edi_reader *r)
{
	r->state = R_START;
	if (r->hctx) {
		r->hash_end = r->base + r->pos;
		r->frozen = 1;
	}
}

/* Next segment inside an interchange. */
static int read_segment(struct edi_reader *r, struct edi_rawseg *seg)
{
	int rc;
	const size_t maxseg = r->lim.max_segment_len;
	for (;;) {
		if (!r->pending_unb) {
			if ((rc = skip_blank(r, 1)) < 0)
				return rc;
			if (rc == 0)
				return 0;
		}
		const char *b = r->data;
		size_t i = r->pos;
		/* a UNA or UNB at a segment boundary starts a new interchange (no UNZ before it) */
		if (!r->pending_unb && b[i] == 'U') {
			if (r->len - i < 4 && !r->eof) {
				if ((rc = refill(r)) < 0)
					return rc;
				continue;
			}
			if (r->len - i >= 4 && b[i + 1] == 'N' &&
			    (b[i + 2] == 'A' || (b[i + 2] == 'B' && (b[i + 3] == r->d.elem || b[i + 3] == '+' ||
								       b[i + 3] == 0x1d)))) {
				r->state = R_START;
				if ((rc = start_interchange(r)) <= 0)
					return rc;
				continue;
			}
		}
		size_t avail = r->len - i;
		size_t bound = maxseg + 1;
		struct scan st;
		const char *q = scan(r, &st, b + i, avail < bound ? avail : bound);
		int unterminated = 0;
		if (!q) {
			size_t shown = bound < 20 ? bound : 20;
			if (avail >= bound && r->pending_unb)
				return FATAL(r, -EINVAL, "39", r->base + i, r->line, b + i, shown,
					     "UNB longer than the limit of %zu bytes (max_segment_len)", maxseg);
			if (avail >= bound) {
				uint64_t off = r->base + i;
				struct edi_rawseg tmp;
				seg_tag(r, r->ev[0], tmp.tag);
				set_error(r, -EMSGSIZE, "39", off, r->line, b + i, shown,
					  "segment longer than the limit of %zu bytes (max_segment_len)", maxseg);
				memcpy(r->err.seg_id, tmp.tag, 4);
				r->nseg++;
				r->skipping = 1;
				r->skip_rel = 0;
				r->pending_unb = 0;
				return -EMSGSIZE;
			}
			if (!r->eof) {
				if ((rc = refill(r)) < 0)
					return rc;
				continue;
			}
			q = b + r->len;
			unterminated = 1;
			edi_tok_notice(r, NK_NO_FINAL_TERM, r->line, "last segment has no terminator");
		}
		const char *p = b + i, *e = q;
		uint64_t off = r->base + i, line = r->line;
		r->pos = unterminated ? r->len : (size_t)(q - b) + 1;
		r->line += st.lf;
		if (r->d.seg == '\n') {
			if (e > p && e[-1] == '\r' && !(e - 1 > p && r->d.rel && e[-2] == r->d.rel)) {
				e--;
				if (st.k && r->ev[st.k - 1].n)
					r->ev[st.k - 1].n--;
				edi_tok_notice(r, NK_CR_BEFORE_LF, line,
					       "CR before the newline segment terminator ignored");
			}
			r->line += !unterminated;
		}
		struct span orig = { p, (size_t)(e - p) };
		int unwrapped = 0;
		if (r->wrap_on && st.crlf) {
			size_t k = 0;
			for (const char *q2 = p; q2 < e; q2++)
				if (*q2 != '\r' && *q2 != '\n')
					r->scratch[k++] = *q2;
			p = r->scratch;
			e = p + k;
			scan(r, &st, p, k);
			unwrapped = 1;
			edi_tok_notice(r, NK_WRAPPED, line,
				       "line breaks inside segments removed: lines wrapped at a fixed width "
				       "(tolerances.wrapped_lines)");
		}
		if (e == p) {
			edi_tok_notice(r, NK_EMPTY_SEG, line, "empty segments ignored");
			continue;
		}
		memset(seg, 0, sizeof *seg);
		seg->el = r->ev;
		seg->nelem = st.k ? st.k - 1 : 0;
		seg->too_many = st.many;
		seg->raw = (struct span){ p, (size_t)(e - p) };
		seg->unwrapped = unwrapped;
		seg->orig = orig;
		seg_tag(r, r->ev[0], seg->tag);
		seg->index = ++r->nseg;
		seg->line = line;
		seg->offset = off;
		if (r->pending_unb) {
			r->pending_unb = 0;
			seg->starts_ich = 1;
			seg->ich_offset = r->ich_offset;
			unb_delims(r, seg);
		}
		if (seg->tag[0] == 'U' && seg->tag[1] == 'N' && seg->tag[2] == 'Z' && !seg->tag[3])
			end_interchange(r);
		return 1;
	}
}

/* ------------------------------------------------------------------ API */

/* Common set-up of both readers. */
static struct edi_reader *reader_new(const struct edi_limits *lim)
{
	struct edi_reader *r = xcalloc(1, sizeof *r);
	if (lim)
		r->lim = *lim;
	else
		edi_limits_default(&r->lim);
	if (r->lim.max_elements < 12)
		r->lim.max_elements = 12; /* the UNB has 11 */
	if (r->lim.max_segment_len < 16)
		r->lim.max_segment_len = 16;
	if (r->lim.max_components < 1)
		r->lim.max_components = 1;
	if (r->lim.max_repeats < 1)
		r->lim.max_repeats = 1;
	r->fd = -1;
	r->line = 1;
	r->hash_on = -1;
	edi_tolerances_default(&r->tol);
	edi_delims_default(&r->d, 1);
	r->ev = xcalloc(r->lim.max_elements + 2, sizeof *r->ev);
	r->scratch = xmalloc(r->lim.max_segment_len + 2);
	return r;
}

/* A reader over fd, reading in chunks. The fd is not closed by the reader. */
int edi_reader_new_fd(struct edi_reader **out, int fd, const struct edi_limits *lim)
{
	*out = NULL;
	if (fd < 0)
		return -EBADF;
	struct edi_reader *r = reader_new(lim);
	r->fd = fd;
	r->cap = EDI_CHUNK;
	size_t need = r->lim.max_segment_len * 2 + 2 * START_LOOKAHEAD + 4096;
	if (r->cap < need)
		r->cap = need;
	r->buf = xmalloc(r->cap);
	r->data = r->buf;
	*out = r;
	return 0;
}

/* A reader over memory (not copied; must outlive the reader). */
int edi_reader_new_mem(struct edi_reader **out, const void *data, size_t len,
		       const struct edi_limits *lim)
{
	*out = NULL;
	if (!data && len)
		return -EINVAL;
	struct edi_reader *r = reader_new(lim);
	r->mem = data ? data : "";
	r->memlen = len;
	r->data = r->mem;
	r->len = len;
	r->eof = 1;
	*out = r;
	return 0;
}

/* Free the reader (the fd stays open); NULL is a no-op. */
void edi_reader_free(struct edi_reader *r)
{
	if (!r)
		return;
	if (r->hctx) {
		char h[65];
		sha256_finish(r->hctx, h);
	}
	free(r->buf);
	free(r->ev);
	free(r->scratch);
	free(r->err.msg);
	free(r->err.bad_value);
	free(r);
}

/* Set the tolerances (copied; NULL: the defaults). */
void edi_reader_set_tolerances(struct edi_reader *r, const struct edi_tolerances *t)
{
	if (t)
		r->tol = *t;
	else
		edi_tolerances_default(&r->tol);
	set_skip(r);
}

/* Where tolerances and notes are reported. */
void edi_reader_set_notice(struct edi_reader *r, x12_notice_fn fn, void *ctx)
{
	r->notice = fn;
	r->nctx = ctx;
}

/* Hash each interchange's bytes (default on in edi_parse). */
void edi_reader_set_hash(struct edi_reader *r, int on)
{
	r->hash_on = on ? 1 : 0;
}

/* Bytes per read (fd) or per step (memory); for tests of segments across chunks. */
void edi_reader_set_chunk_size(struct edi_reader *r, size_t n)
{
	r->chunk = n;
	if (r->fd < 0 && !r->started && n && n < r->memlen) {
		r->len = n;
		r->eof = 0;
	}
}

/* Interchange hashing on unless turned off explicitly. */
void edi_tok_hash_auto(struct edi_reader *r)
{
	if (r->hash_on < 0)
		r->hash_on = 1;
}

/* The hash of the interchange that ended last (or of the open one, finishing it). */
int edi_tok_take_hash(struct edi_reader *r, char out[65])
{
	out[0] = '\0';
	if (r->done_valid) {
		memcpy(out, r->done_hash, 65);
		r->done_valid = 0;
		return 0;
	}
	if (!r->hctx)
		return -ENOENT;
	hash_upto(r, r->frozen ? r->hash_end : r->base + r->pos);
	sha256_finish(r->hctx, out);
	r->hctx = NULL;
	return 0;
}

/* Next raw segment: 1, 0 at the clean end of input, <0 error. */
int edi_tok_next(struct edi_reader *r, struct edi_rawseg *seg)
{
	int rc;
	if (r->state == R_FATAL)
		return r->err_rc;
	if (!r->started) {
		r->started = 1;
		if (r->fd < 0 && r->memlen > r->lim.max_file_size)
			return FATAL(r, -EFBIG, "18", r->lim.max_file_size, 1, NULL, 0,
				     "input larger than the limit of %llu bytes (max_file_size)",
				     (unsigned long long)r->lim.max_file_size);
	}
	if (r->skipping && (rc = skip_segment(r)) < 0)
		return rc;
	if (r->state == R_START) {
		if ((rc = start_interchange(r)) <= 0)
			return rc;
	}
	return read_segment(r, seg);
}

/* The error behind the last negative return. */
const struct x12_error *edi_tok_error(const struct edi_reader *r)
{
	return &r->err;
}

/* Service characters of the current interchange. */
const struct edi_delims *edi_tok_delims(const struct edi_reader *r)
{
	return &r->d;
}

/* The current interchange had a UNA. */
int edi_tok_una(const struct edi_reader *r)
{
	return r->una;
}

/* Bytes consumed so far. */
uint64_t edi_tok_offset(const struct edi_reader *r)
{
	return r->base + r->pos;
}

/* The limits in force. */
const struct edi_limits *edi_tok_limits(const struct edi_reader *r)
{
	return &r->lim;
}

/* The tolerances in force. */
const struct edi_tolerances *edi_tok_tolerances(const struct edi_reader *r)
{
	return &r->tol;
}
