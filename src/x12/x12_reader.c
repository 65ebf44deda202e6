/*
 * x12_reader.c — ISA sniffing and the streaming segment tokenizer.
 *
 * Functions: x12_limits_default, x12_reader_new_fd/new_mem/free, x12_reader_next
 * (one segment at a time), the span helpers x12_seg_elem/x12_component/
 * x12_repetition, and the incremental SHA-256 of each interchange's bytes.
 *
 * Ownership: the reader owns one chunk buffer (fd input) or borrows the caller's
 * memory (memory input, never copied or written); the spans of a returned segment
 * point into it and stay valid until the next call. Memory does not depend on the
 * size of the input: buffer = max(256 KiB, 2 * max_segment_len + slack).
 *
 * Partner bytes and limits (struct x12_limits):
 *   max_file_size     more input than this: fatal (-EFBIG), nothing after it is read.
 *   max_segment_len   a segment (without its terminator) longer than this: -EMSGSIZE.
 *                     Recoverable at the segment boundary: the reader skips to the
 *                     segment's terminator and the next call goes on from there. The
 *                     envelope layer rejects the interchange (TA1 024): a segment that
 *                     long is binary or garbage and nothing in it can be trusted.
 *   max_element_len   an element longer than this is still handed out, flagged in
 *                     seg->elem_too_long (the envelope layer reports AK4 code 5 inside a
 *                     transaction set, TA1 024 in an envelope segment).
 *   max_elements      elements after the limit are not split (nelem == max_elements),
 *                     flagged in seg->too_many_elems (AK4 code 3 / TA1 024).
 *
 * Tolerances (each reported once per reader through the notice callback):
 *   - a UTF-8 BOM at the very start of the input;
 *   - whitespace (CR, LF, space, tab) before an ISA and between segments, i.e. CR,
 *     LF or CRLF after a terminator and blank lines; a byte that is one of the
 *     interchange's own delimiters is never skipped;
 *   - empty segments (two terminators in a row);
 *   - a CR right before a newline terminator ("CRLF" files whose ISA says LF);
 *   - lines wrapped at a fixed width: only when the ISA itself is broken by a line
 *     break and removing the line breaks gives a correct fixed-width ISA whose
 *     terminator is not CR or LF; then every CR/LF of that interchange is dropped
 *     (unless tolerances.isa_line_breaks is off: then such an ISA is fatal, 026);
 *   - a last segment with no terminator at the end of the input;
 *   - NUL or Ctrl-Z (0x1A) padding after the last interchange.
 * Not tolerated: anything but "ISA" where an interchange must start (fatal, -EINVAL);
 * a delimiter that is a letter, digit, space, NUL, CR/LF (element separator) or a
 * non-ASCII byte (fatal: the segments cannot be found). The reader never searches
 * for "ISA" inside data: a new interchange is only recognised at a segment boundary.
 *
 * An ISA whose elements are not at the fixed widths (2,10,2,10,2,15,2,15,6,4,1,5,9,1,
 * 1,1) is still split on its element separator (16 separators, then ISA16 and the
 * terminator) so that the interchange can be read to its IEA and rejected with a TA1
 * naming the field; the width check itself is made by the envelope layer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "x12/x12.h"
#include "x12/x12_internal.h"

#define X12_CHUNK (256u * 1024u)
#define ISA_LEN 106       /* fixed-width ISA including its terminator */
#define ISA_LOOKAHEAD 512 /* bytes looked at to sniff an ISA */

enum rstate { R_EXPECT_ISA = 0, R_IN_ICH, R_FATAL };

enum notice_kind {
	NK_BOM = 1u << 0,
	NK_LEADING_WS = 1u << 1,
	NK_EOL = 1u << 2,
	NK_BLANK = 1u << 3,
	NK_EMPTY_SEG = 1u << 4,
	NK_CR_BEFORE_LF = 1u << 5,
	NK_WRAPPED = 1u << 6,
	NK_NO_FINAL_TERM = 1u << 7,
	NK_TRAILING_JUNK = 1u << 8,
};
#define NK_SKIP_ALL (NK_EOL | NK_BLANK | NK_EMPTY_SEG)

struct x12_reader {
	int fd;              /* -1 for memory input */
	const char *mem;     /* memory input */
	size_t memlen;
	char *buf;           /* fd input: owned chunk buffer */
	size_t cap;
	const char *data;    /* window: data[0..len) is file bytes base..base+len */
	size_t len, pos;     /* pos: first unconsumed byte */
	uint64_t base;
	int eof;             /* no bytes beyond data[len] */
	int started;
	size_t chunk;        /* bytes per read (0: as many as fit) */
	struct x12_limits lim;
	struct x12_tolerances tol;
	struct x12_delims d;
	enum rstate state;
	int seen_isa;
	int wrapped;         /* drop CR/LF everywhere in this interchange */
	int prev_wrapped;    /* the last interchange was wrapped: so may the next ISA be */
	int skipping;        /* skipping the rest of an overlong segment */
	unsigned char skip[256]; /* bytes skipped before a segment */
	uint64_t line;       /* line of data[pos] */
	uint64_t nseg;       /* segments handed out */
	struct span *ev;     /* max_elements + 1 spans */
	char *scratch;       /* wrapped segments without their line breaks (2 * max_segment_len + 2) */
	char isa_copy[ISA_LEN];
	struct x12_error err;
	int err_rc;
	x12_notice_fn notice;
	void *nctx;
	unsigned noticed;
	/* SHA-256 of the current interchange: bytes hashed lazily as they leave the window */
	int hash_on;         /* 1 on, 0 off, -1 not set (x12_parse turns it on) */
	struct sha256_ctx *hctx;
	uint64_t hash_done;  /* bytes before this offset are hashed */
	uint64_t hash_end;   /* the interchange ends here (valid when frozen) */
	int frozen;
	char done_hash[65];
	int done_valid;
};

/* ---------------------------------------------------------------- limits */

/* Fill in the documented defaults. */
void x12_limits_default(struct x12_limits *l)
{
	l->max_file_size = 512ull * 1024 * 1024;
	l->max_segment_len = 64 * 1024;
	l->max_element_len = 4096;
	l->max_elements = 512;
	l->max_segments_per_txn = 200000;
	l->max_txn_bytes = 64u * 1024 * 1024;
	l->max_loop_depth = 32;
}

/* Fill in the documented default tolerances. */
void x12_tolerances_default(struct x12_tolerances *t)
{
	t->alphanumeric_isa11 = 1;
	t->trailing_empty_elements = 1;
	t->unpadded_isa = 0;
	t->isa_line_breaks = 1;
	t->wrong_counts = 0;
}

/* ------------------------------------------------------------ span helpers */

/* Element n (1-based) of a segment, SPAN_NULL when absent. */
struct span x12_seg_elem(const struct x12_segment *s, size_t n)
{
	if (!s || n == 0 || n > s->nelem)
		return SPAN_NULL;
	return s->elem[n];
}

/* Piece n (1-based) of el split on sep. */
static struct span split_nth(struct span el, char sep, size_t n)
{
	if (!el.p || n == 0)
		return SPAN_NULL;
	if (!sep)
		return n == 1 ? el : SPAN_NULL;
	const char *p = el.p, *e = el.p + el.n;
	for (size_t i = 1;; i++) {
		const char *q = memchr(p, sep, (size_t)(e - p));
		if (i == n)
			return (struct span){ p, q ? (size_t)(q - p) : (size_t)(e - p) };
		if (!q)
			return SPAN_NULL;
		p = q + 1;
	}
}

/* Component n (1-based) of an element, split on comp; SPAN_NULL when absent. */
struct span x12_component(struct span el, char comp, size_t n)
{
	return split_nth(el, comp, n);
}

/* Repetition n (1-based) of an element, split on rep (rep == 0: the element itself for n == 1). */
struct span x12_repetition(struct span el, char rep, size_t n)
{
	return split_nth(el, rep, n);
}

/* ------------------------------------------------------------- internals */

/* A byte that may serve as a data delimiter: not a letter, digit, space, CR, LF, NUL or non-ASCII. */
int x12_delim_ok(unsigned char c)
{
	if (c == 0 || c >= 0x80 || c == ' ' || c == '\r' || c == '\n')
		return 0;
	if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return 0;
	return 1;
}

/* A byte that may terminate segments: like delim_ok, but CR and LF are allowed. */
static int term_ok(unsigned char c)
{
	return c == '\r' || c == '\n' || x12_delim_ok(c);
}

/* An upper-case letter or a digit. */
static int is_upalnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* Whitespace the reader may skip between segments. */
static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Report a tolerance once per reader. */
static void note(struct x12_reader *r, unsigned kind, uint64_t line, const char *msg)
{
	if (r->noticed & kind)
		return;
	r->noticed |= kind;
	if (r->notice)
		r->notice(r->nctx, line, msg);
}

/* Record an error (position at the segment being read); returns rc. */
static int set_error(struct x12_reader *r, int rc, const char *code, uint64_t off, uint64_t line,
		     const char *bad, size_t badn, const char *fmt, ...) EDIGW_PRINTF(8, 9);
static int set_error(struct x12_reader *r, int rc, const char *code, uint64_t off, uint64_t line,
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
	if (bad && badn)
		r->err.bad_value = span_dup((struct span){ bad, badn > 99 ? 99 : badn });
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

/* A fatal error: every later call returns the same code. */
#define FATAL(r, rc, ...) ((r)->state = R_FATAL, set_error((r), (rc), __VA_ARGS__))

/* Hash the interchange's bytes in the window up to file offset upto. */
static void hash_upto(struct x12_reader *r, uint64_t upto)
{
	if (!r->hctx)
		return;
	if (r->frozen && upto > r->hash_end)
		upto = r->hash_end;
	if (upto <= r->hash_done)
		return;
	/* bytes leave the window only through here, so hash_done >= base */
	sha256_update(r->hctx, r->data + (r->hash_done - r->base), (size_t)(upto - r->hash_done));
	r->hash_done = upto;
}

/* Make more input visible: 1 = bytes added, 0 = end of input, <0 = fatal error. */
static int refill(struct x12_reader *r)
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
		return FATAL(r, -ENOBUFS, "024", r->base + r->len, r->line, NULL, 0,
			     "internal: reader buffer full");
	if (r->chunk && room > r->chunk)
		room = r->chunk;
	ssize_t n;
	do
		n = read(r->fd, r->buf + r->len, room);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;
		return FATAL(r, -e, "023", r->base + r->len, r->line, NULL, 0, "read error: %s",
			     strerror(e));
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->len += (size_t)n;
	if (r->base + r->len > r->lim.max_file_size)
		return FATAL(r, -EFBIG, "023", r->lim.max_file_size, r->line, NULL, 0,
			     "input larger than the limit of %llu bytes (max_file_size)",
			     (unsigned long long)r->lim.max_file_size);
	return 1;
}

/* Make at least need bytes visible from pos (fewer only at end of input). */
static int fill(struct x12_reader *r, size_t need)
{
	while (r->len - r->pos < need) {
		int rc = refill(r);
		if (rc <= 0)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

/* Count the LFs in [p, p+n). */
static uint64_t count_lf(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *e = p + n;
	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/* Scanner state for one segment: the element spans found so far go to r->ev. */
struct scan {
	const char *s;   /* start of the element being scanned */
	size_t k;        /* spans stored */
	size_t longpos;  /* first element over max_element_len */
	int many;        /* more than max_elements: no more spans stored */
	uint64_t lf;     /* LFs before the terminator (when LF is not the terminator) */
};

/* Record the element ending at separator sep (scanner locals, kept in registers). */
#define REC(sep)                                                              \
	do {                                                                  \
		if (!many) {                                                  \
			const char *sep_ = (sep);                             \
			size_t n_ = (size_t)(sep_ - s);                       \
			ev[k].p = s;                                          \
			ev[k].n = n_;                                         \
			if (n_ > maxlen && k && !longpos)                     \
				longpos = k;                                  \
			if (++k > maxk)                                       \
				many = 1;                                     \
			s = sep_ + 1;                                         \
		}                                                             \
	} while (0)

/* Look at most avail bytes from p for the segment terminator (when term_on), splitting the
 * elements on the way; the terminator's address, or NULL when it is not there. The hot loop
 * takes 16 bytes at a time: compare masks for terminator, separator and LF, then walk the
 * separator bits. */
static const char *scan(struct x12_reader *r, struct scan *st, const char *p, size_t avail,
			int term_on)
{
	const unsigned char es = (unsigned char)r->d.elem, t = (unsigned char)r->d.seg;
	const int lfc = t != '\n';
	struct span *const ev = r->ev;
	const size_t maxk = r->lim.max_elements, maxlen = r->lim.max_element_len;
	const char *c = p, *end = p + avail, *s = p, *found = NULL;
	size_t k = 0, longpos = 0;
	int many = 0;
	uint64_t lf = 0;
#ifdef __SSE2__
	/* broadcast through a multiply: _mm_set1_epi8 goes through memory at -O2 */
	const __m128i ves = _mm_set1_epi32((int)(0x01010101u * es));
	const __m128i vt = _mm_set1_epi32((int)(0x01010101u * t));
	const __m128i vlf = _mm_set1_epi32(0x0a0a0a0a);
	while (end - c >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)c);
		unsigned mt = term_on ? (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vt)) : 0;
		unsigned me = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, ves));
		unsigned ml = lfc ? (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vlf)) : 0;
		if (mt) {
			unsigned below = (mt & (0u - mt)) - 1u;
			me &= below;
			ml &= below;
		}
		if (ml)
			lf += (uint64_t)__builtin_popcount(ml);
		while (me) {
			REC(c + __builtin_ctz(me));
			me &= me - 1u;
		}
		if (mt) {
			found = c + __builtin_ctz(mt);
			goto out;
		}
		c += 16;
	}
#endif
	for (; c < end; c++) {
		unsigned char ch = (unsigned char)*c;
		if (ch == t && term_on) {
			found = c;
			goto out;
		}
		if (ch == es)
			REC(c);
		else if (ch == '\n' && lfc)
			lf++;
	}
out:
	st->s = s;
	st->k = k;
	st->longpos = longpos;
	st->many = many;
	st->lf = lf;
	return found;
}
#undef REC

/* The last element ends at e: fill seg from the scan of [p, e). */
static void finish_seg(struct x12_reader *r, struct scan *st, struct x12_segment *seg,
		       const char *p, const char *e)
{
	struct span *ev = r->ev;
	if (!st->many) {
		size_t n = (size_t)(e - st->s);
		ev[st->k].p = st->s;
		ev[st->k].n = n;
		if (st->k && !st->longpos && n > r->lim.max_element_len)
			st->longpos = st->k;
		seg->nelem = st->k;
	} else {
		seg->nelem = r->lim.max_elements;
	}
	/* byte stores, no memcpy: a word load of id right after a byte-wise copy stalls */
	const char *ip = ev[0].p;
	size_t idn = ev[0].n;
	seg->id[0] = idn > 0 ? ip[0] : '\0';
	seg->id[1] = idn > 1 ? ip[1] : '\0';
	seg->id[2] = idn > 2 ? ip[2] : '\0';
	seg->id[3] = '\0';
	seg->elem = ev;
	seg->raw = (struct span){ p, (size_t)(e - p) };
	seg->elem_too_long = st->longpos;
	seg->too_many_elems = st->many;
}

/* Skip table for the current delimiters: whitespace that is none of them. */
static void set_skip(struct x12_reader *r)
{
	memset(r->skip, 0, sizeof r->skip);
	const unsigned char ws[] = { ' ', '\t', '\r', '\n' };
	for (size_t i = 0; i < sizeof ws; i++) {
		unsigned char c = ws[i];
		if (c == (unsigned char)r->d.elem || c == (unsigned char)r->d.comp ||
		    (r->d.rep && c == (unsigned char)r->d.rep))
			continue;
		r->skip[c] = 1;
	}
}

static const unsigned char isa_sep_pos[16] = { 3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103 };

/* The 106 bytes at p have the separator at exactly the 16 fixed positions and no line break before 105. */
static int isa_fixed(const char *p)
{
	const char es = p[3];
	size_t k = 0;
	for (size_t i = 3; i < 105; i++) {
		int want = k < 16 && i == isa_sep_pos[k];
		if (want) {
			if (p[i] != es)
				return 0;
			k++;
		} else if (p[i] == es || p[i] == '\r' || p[i] == '\n') {
			return 0;
		}
	}
	return k == 16;
}

/* Version number of ISA12 when it is 5 digits, else -1. */
static long isa_version(struct span v)
{
	if (v.n != 5)
		return -1;
	long x = 0;
	for (size_t i = 0; i < 5; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		x = x * 10 + (v.p[i] - '0');
	}
	return x;
}

/* Copy the first ISA_LEN bytes at p that are not CR/LF into r->isa_copy: 1 when there were
 * line breaks among them and the copy is a fixed-width ISA whose terminator is not a line
 * break (*consumed: raw bytes used, *lines: LFs among them). */
static int isa_unwrap(struct x12_reader *r, const char *p, size_t avail, size_t *consumed,
		      uint64_t *lines)
{
	size_t k = 0, i = 0, breaks = 0;
	uint64_t lf = 0;
	for (; i < avail && k < ISA_LEN; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			breaks++;
			lf += p[i] == '\n';
			continue;
		}
		r->isa_copy[k++] = p[i];
	}
	if (k < ISA_LEN || breaks == 0 || memcmp(r->isa_copy, "ISA", 3) != 0 ||
	    !x12_delim_ok((unsigned char)r->isa_copy[3]) || !isa_fixed(r->isa_copy))
		return 0;
	unsigned char t = (unsigned char)r->isa_copy[105];
	if (t == '\r' || t == '\n')
		return 0;
	*consumed = i;
	*lines = lf;
	return 1;
}

/* Where an interchange must begin: BOM (file start), whitespace, then an ISA. */
static int sniff_isa(struct x12_reader *r, struct x12_segment *seg)
{
	int rc;
	if (!r->seen_isa && r->base + r->pos == 0) {
		if ((rc = fill(r, 3)) < 0)
			return rc;
		if (r->len - r->pos >= 3 && memcmp(r->data + r->pos, "\xef\xbb\xbf", 3) == 0) {
			r->pos += 3;
			note(r, NK_BOM, 1, "UTF-8 byte order mark before the ISA ignored");
		}
	}
	/* whitespace; NUL and Ctrl-Z padding once an interchange has been read (one run even
	 * across chunks, so that the notices do not depend on where a read ended) */
	uint64_t line0 = r->line;
	int ws = 0, pad = 0, at_end = 0;
	for (;;) {
		size_t i = r->pos;
		for (; i < r->len; i++) {
			unsigned char c = (unsigned char)r->data[i];
			if (c == '\n')
				r->line++;
			else if (r->seen_isa && (c == 0 || c == 0x1a))
				pad = 1;
			else if (!is_ws(c))
				break;
		}
		ws |= i > r->pos;
		r->pos = i;
		if (i < r->len)
			break;
		if ((rc = refill(r)) < 0)
			return rc;
		if (rc == 0) {
			at_end = 1;
			break;
		}
	}
	if (ws) {
		if (!r->seen_isa)
			note(r, NK_LEADING_WS, line0, "whitespace or blank lines before the ISA ignored");
		else
			note(r, NK_EOL, line0, "line breaks after segment terminators ignored");
		if (pad)
			note(r, NK_TRAILING_JUNK, line0,
			     "NUL or Ctrl-Z padding between or after interchanges ignored");
	}
	if (at_end)
		return 0; /* clean end of input */
	uint64_t off = r->base + r->pos;
	if ((rc = fill(r, ISA_LOOKAHEAD)) < 0)
		return rc;
	const char *p = r->data + r->pos;
	/* exactly ISA_LOOKAHEAD bytes (fewer only at the end of the input): what is decided
	 * must not depend on how much a read happened to return */
	size_t avail = r->len - r->pos;
	int short_input = avail < ISA_LOOKAHEAD;
	if (avail > ISA_LOOKAHEAD)
		avail = ISA_LOOKAHEAD;
	const char *isa = NULL;  /* the ISA bytes: raw, or a copy without line breaks */
	size_t consumed = 0;     /* raw bytes of the ISA including its terminator */
	uint64_t lines = 0;
	int wrapped = 0;
	size_t starts[17], lens[17];
	int raw_isa = avail >= 4 && memcmp(p, "ISA", 3) == 0;
	if (raw_isa && avail >= ISA_LEN && x12_delim_ok((unsigned char)p[3]) && isa_fixed(p)) {
		isa = p;
		consumed = ISA_LEN;
	} else if ((raw_isa || r->prev_wrapped) && isa_unwrap(r, p, avail, &consumed, &lines)) {
		/* lines wrapped at a fixed width (after a wrapped interchange even "ISA" may be split) */
		if (!r->tol.isa_line_breaks)
			return FATAL(r, -EINVAL, "026", off, r->line, p, 20,
				     "ISA segment broken by a line break: lines wrapped at a fixed width "
				     "are not accepted (tolerate.isa-line-breaks = no)");
		isa = r->isa_copy;
		wrapped = 1;
	}
	if (!isa && !raw_isa) {
		char *e = escape_bytes(p, avail, 20);
		rc = FATAL(r, -EINVAL, "024", off, r->line, p, avail < 20 ? avail : 20,
			   "not X12: expected ISA, found '%s'", e);
		free(e);
		return rc;
	}
	unsigned char es = (unsigned char)(isa ? isa[3] : p[3]);
	if (!x12_delim_ok(es)) {
		char *e = escape_bytes(p + 3, 1, 1);
		rc = FATAL(r, -EINVAL, "026", off, r->line, p + 3, 1,
			   "invalid element separator '%s' (ISA byte 4): a separator cannot be a letter, "
			   "digit, space, line break or non-ASCII byte", e);
		free(e);
		return rc;
	}
	if (isa) {
		size_t st = 0;
		for (size_t k = 0; k < 16; k++) {
			starts[k] = st;
			lens[k] = isa_sep_pos[k] - st;
			st = isa_sep_pos[k] + 1u;
		}
		starts[16] = 104;
		lens[16] = 1;
	} else {
		/* variable widths: 16 separators on one line, then ISA16 and the terminator */
		size_t k = 0, st = 0, i;
		for (i = 3; i < avail && k < 16; i++) {
			if (p[i] == '\r' || p[i] == '\n')
				break;
			if ((unsigned char)p[i] == es) {
				starts[k] = st;
				lens[k] = i - st;
				k++;
				st = i + 1;
			}
		}
		if (k < 16 || i + 1 >= avail) {
			int broken = i < avail && (p[i] == '\r' || p[i] == '\n');
			int truncated = !broken && i + 1 >= avail && short_input;
			const char *what = broken ? "ISA segment broken by a line break"
				: truncated ? "truncated ISA segment" : "malformed ISA segment";
			return FATAL(r, -EINVAL, truncated ? "023" : "026", off, r->line, p, i < 99 ? i : 99,
				     "%s: found %zu of the 16 ISA element separators '%c'", what, k, (char)es);
		}
		starts[16] = i;
		lens[16] = 1;
		isa = p;
		consumed = i + 2;
	}
	unsigned char term = (unsigned char)isa[starts[16] + 1];
	if (!term_ok(term) || term == es) {
		char *e = escape_bytes(&isa[starts[16] + 1], 1, 1);
		rc = FATAL(r, -EINVAL, "004", off, r->line, &isa[starts[16] + 1], 1,
			   "invalid segment terminator '%s' after ISA16: a terminator cannot be a letter, "
			   "digit, space, non-ASCII byte or the element separator", e);
		free(e);
		return rc;
	}
	/* a new interchange: finish the hash of the one before (no IEA) */
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
	r->d.elem = (char)es;
	r->d.comp = isa[starts[16]];
	r->d.seg = (char)term;
	r->d.rep = 0;
	unsigned char rep = (unsigned char)isa[starts[11]];
	long ver = isa_version((struct span){ isa + starts[12], lens[12] });
	if (ver >= 402 && lens[11] == 1 && x12_delim_ok(rep) && rep != es && rep != term &&
	    rep != (unsigned char)r->d.comp)
		r->d.rep = (char)rep;
	r->wrapped = wrapped;
	r->prev_wrapped = wrapped;
	if (wrapped)
		note(r, NK_WRAPPED, r->line,
		     "lines wrapped at a fixed width: line breaks inside segments removed "
		     "(allowed by tolerate.isa-line-breaks)");
	set_skip(r);
	/* the ISA segment: starts/lens 0 is "ISA", 1..15 ISA01..ISA15, 16 is ISA16 */
	for (size_t k = 0; k < 17; k++)
		r->ev[k] = (struct span){ isa + starts[k], lens[k] };
	memset(seg, 0, sizeof *seg);
	memcpy(seg->id, "ISA", 4);
	seg->nelem = 16;
	seg->elem = r->ev;
	seg->raw = (struct span){ isa, starts[16] + 1 };
	seg->index = ++r->nseg;
	seg->line = r->line;
	seg->offset = off;
	r->line += lines;
	r->pos += consumed;
	if (term == '\n')
		r->line++;
	r->state = R_IN_ICH;
	r->seen_isa = 1;
	return 1;
}

/* Discard the rest of an overlong segment through its terminator. */
static int skip_segment(struct x12_reader *r)
{
	for (;;) {
		const char *q = memchr(r->data + r->pos, r->d.seg, r->len - r->pos);
		size_t end = q ? (size_t)(q - r->data) : r->len;
		r->line += count_lf(r->data + r->pos, end - r->pos);
		if (q) {
			r->pos = end + 1;
			r->skipping = 0;
			return 0;
		}
		r->pos = end;
		int rc = refill(r);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			r->skipping = 0;
			return 0;
		}
	}
}

/* The IEA was read: the interchange's bytes end here. */
static void end_interchange(struct x12_reader *r)
{
	r->state = R_EXPECT_ISA;
	r->wrapped = 0;
	if (r->hctx) {
		r->hash_end = r->base + r->pos;
		r->frozen = 1;
	}
}

/* Next segment inside an interchange. */
static int read_segment(struct x12_reader *r, struct x12_segment *seg)
{
	int rc;
	const size_t maxseg = r->lim.max_segment_len;
	for (;;) {
		/* whitespace between segments: one run even when it straddles chunks, so that
		 * what is noticed does not depend on where a read ended */
		uint64_t line0 = r->line;
		unsigned kinds = 0;
		int at_end = 0;
		for (;;) {
			const char *w = r->data;
			size_t i = r->pos, from = i;
			while (i < r->len && r->skip[(unsigned char)w[i]]) {
				if (w[i] == '\n')
					r->line++;
				i++;
			}
			if (i > from && (r->noticed & NK_SKIP_ALL) != NK_SKIP_ALL) {
				for (size_t k = from; k < i; k++) {
					if (w[k] == r->d.seg || (w[k] != '\r' && w[k] != '\n'))
						kinds |= NK_BLANK;
					else
						kinds |= NK_EOL;
				}
			}
			r->pos = i;
			if (i < r->len)
				break;
			if ((rc = refill(r)) < 0)
				return rc;
			if (rc == 0) {
				at_end = 1;
				break;
			}
		}
		if (kinds & NK_EOL)
			note(r, NK_EOL, line0, "line breaks after segment terminators ignored");
		if (kinds & NK_BLANK)
			note(r, NK_BLANK, line0, "blank lines or spaces between segments ignored");
		if (at_end)
			return 0;
		const char *b = r->data;
		size_t i = r->pos;
		/* an ISA at a segment boundary starts a new interchange (the IEA is missing) */
		if (b[i] == 'I') {
			if (r->len - i < 4 && !r->eof) {
				if ((rc = refill(r)) < 0)
					return rc;
				continue;
			}
			if (r->len - i >= 4 && b[i + 1] == 'S' && b[i + 2] == 'A' &&
			    x12_delim_ok((unsigned char)b[i + 3]) && b[i + 3] != r->d.seg) {
				r->state = R_EXPECT_ISA;
				r->wrapped = 0;
				return sniff_isa(r, seg);
			}
		}
		size_t avail = r->len - i;
		size_t bound = r->wrapped ? 2 * maxseg + 2 : maxseg + 1;
		struct scan st;
		const char *q = scan(r, &st, b + i, avail < bound ? avail : bound, 1);
		int unterminated = 0;
		if (!q) {
			if (avail >= bound) {
				uint64_t off = r->base + i;
				char id[4] = "";
				size_t k = 0;
				while (k < 3 && k < avail && is_upalnum((unsigned char)b[i + k])) {
					id[k] = b[i + k];
					k++;
				}
				if (k < 3 && k < avail && b[i + k] != r->d.elem)
					k = 0; /* not a well-formed segment id */
				id[k] = '\0';
				set_error(r, -EMSGSIZE, "024", off, r->line, b + i, 20,
					  "segment longer than the limit of %zu bytes (max_segment_len)", maxseg);
				memcpy(r->err.seg_id, id, k + 1);
				r->nseg++;
				r->skipping = 1;
				return -EMSGSIZE;
			}
			if (!r->eof) {
				if ((rc = refill(r)) < 0)
					return rc;
				continue;
			}
			q = b + r->len;
			unterminated = 1;
			note(r, NK_NO_FINAL_TERM, r->line, "last segment has no terminator");
		}
		const char *p = b + i, *e = q;
		uint64_t off = r->base + i, line = r->line;
		r->pos = unterminated ? r->len : (size_t)(q - b) + 1;
		if (r->d.seg == '\n') {
			if (e > p && e[-1] == '\r') {
				e--;
				note(r, NK_CR_BEFORE_LF, line, "CR before the newline segment terminator ignored");
			}
			r->line += !unterminated;
		} else {
			r->line += st.lf;
		}
		if (r->wrapped && (st.lf || memchr(p, '\r', (size_t)(e - p)))) {
			size_t k = 0;
			for (const char *c = p; c < e; c++)
				if (*c != '\r' && *c != '\n')
					r->scratch[k++] = *c;
			p = r->scratch;
			e = p + k;
			scan(r, &st, p, k, 0);
		}
		if ((size_t)(e - p) > maxseg) {
			/* wrapped lines: the raw bytes had room for line breaks, the data has not */
			set_error(r, -EMSGSIZE, "024", off, line, p, 20,
				  "segment longer than the limit of %zu bytes (max_segment_len)", maxseg);
			r->nseg++;
			return -EMSGSIZE;
		}
		if (e == p) {
			note(r, NK_EMPTY_SEG, line, "empty segments ignored");
			continue;
		}
		finish_seg(r, &st, seg, p, e);
		seg->index = ++r->nseg;
		seg->line = line;
		seg->offset = off;
		const char *ip = r->ev[0].p;
		if (r->ev[0].n == 3 && ip[0] == 'I' && ip[1] == 'E' && ip[2] == 'A')
			end_interchange(r);
		return 1;
	}
}

/* ------------------------------------------------------------------ API */

/* Common set-up of both readers. */
static struct x12_reader *reader_new(const struct x12_limits *lim)
{
	struct x12_reader *r = xcalloc(1, sizeof *r);
	if (lim)
		r->lim = *lim;
	else
		x12_limits_default(&r->lim);
	if (r->lim.max_elements < 16)
		r->lim.max_elements = 16; /* the ISA has 16 */
	if (r->lim.max_segment_len < 16)
		r->lim.max_segment_len = 16;
	r->fd = -1;
	r->line = 1;
	r->hash_on = -1;
	x12_tolerances_default(&r->tol);
	r->ev = xcalloc(r->lim.max_elements + 1, sizeof *r->ev);
	r->scratch = xmalloc(r->lim.max_segment_len * 2 + 2);
	return r;
}

/* A reader over fd, reading in chunks. The fd is not closed by the reader. */
int x12_reader_new_fd(struct x12_reader **out, int fd, const struct x12_limits *lim)
{
	*out = NULL;
	if (fd < 0)
		return -EBADF;
	struct x12_reader *r = reader_new(lim);
	r->fd = fd;
	r->cap = X12_CHUNK;
	size_t need = r->lim.max_segment_len * 2 + 2 * ISA_LOOKAHEAD + 4096;
	if (r->cap < need)
		r->cap = need;
	r->buf = xmalloc(r->cap);
	r->data = r->buf;
	*out = r;
	return 0;
}

/* A reader over memory (not copied; must outlive the reader). */
int x12_reader_new_mem(struct x12_reader **out, const void *data, size_t len,
		       const struct x12_limits *lim)
{
	*out = NULL;
	if (!data && len)
		return -EINVAL;
	struct x12_reader *r = reader_new(lim);
	r->mem = data ? data : "";
	r->memlen = len;
	r->data = r->mem;
	r->len = len;
	r->eof = 1;
	*out = r;
	return 0;
}

/* Free the reader (the fd stays open); NULL is a no-op. */
void x12_reader_free(struct x12_reader *r)
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

/* Where tolerances are reported (once per kind per reader). */
void x12_reader_set_notice(struct x12_reader *r, x12_notice_fn fn, void *ctx)
{
	r->notice = fn;
	r->nctx = ctx;
}

/* Bytes per read (fd) or per step (memory); for tests of segments across chunks. */
void x12_reader_set_chunk_size(struct x12_reader *r, size_t n)
{
	r->chunk = n;
	if (r->fd < 0 && !r->started && n && n < r->memlen) {
		r->len = n;
		r->eof = 0;
	}
}

/* Compute the SHA-256 of each interchange (ISA through IEA). */
void x12_reader_set_hash(struct x12_reader *r, int on)
{
	r->hash_on = on ? 1 : 0;
}

/* Interchange hashing on unless turned off explicitly. */
void x12_reader_hash_auto(struct x12_reader *r)
{
	if (r->hash_on < 0)
		r->hash_on = 1;
}

/* The hash of the interchange that ended last (or of the current one, finishing it). */
int x12_reader_take_hash(struct x12_reader *r, char out[65])
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

/* Next segment: 1 = one was read, 0 = clean end of input, <0 = error. */
int x12_reader_next(struct x12_reader *r, struct x12_segment *seg)
{
	int rc;
	if (r->state == R_FATAL)
		return r->err_rc;
	if (!r->started) {
		r->started = 1;
		if (r->fd < 0 && r->memlen > r->lim.max_file_size)
			return FATAL(r, -EFBIG, "023", r->lim.max_file_size, 1, NULL, 0,
				     "input larger than the limit of %llu bytes (max_file_size)",
				     (unsigned long long)r->lim.max_file_size);
	}
	if (r->skipping && (rc = skip_segment(r)) < 0)
		return rc;
	if (r->state == R_EXPECT_ISA)
		return sniff_isa(r, seg);
	return read_segment(r, seg);
}

/* The error behind the last negative return. */
const struct x12_error *x12_reader_error(const struct x12_reader *r)
{
	return &r->err;
}

/* Delimiters of the current interchange. */
const struct x12_delims *x12_reader_delims(const struct x12_reader *r)
{
	return &r->d;
}

/* Bytes consumed so far. */
uint64_t x12_reader_offset(const struct x12_reader *r)
{
	return r->base + r->pos;
}

/* The limits in force. */
const struct x12_limits *x12_reader_limits(const struct x12_reader *r)
{
	return &r->lim;
}

/* Set the tolerances (NULL: the defaults). */
void x12_reader_set_tolerances(struct x12_reader *r, const struct x12_tolerances *t)
{
	if (t)
		r->tol = *t;
	else
		x12_tolerances_default(&r->tol);
}

/* The tolerances in force. */
const struct x12_tolerances *x12_reader_tolerances(const struct x12_reader *r)
{
	return &r->tol;
}
