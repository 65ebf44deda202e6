/*
 * util.c — spans, capped buffers, diagnostics, logging, strict number parsing,
 * hashing, time and size/duration parsing. Knows nothing of EDI.
 *
 * Limits: every buffer has a cap (struct buf.max); escape_bytes truncates.
 * Out of memory is an environment failure: x* allocators abort with a message.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- spans */

/* Span over a C string. */
struct span span_cstr(const char *s)
{
	struct span r = { s, s ? strlen(s) : 0 };
	return r;
}

/* Compare a span with a C string. */
int span_eq(struct span a, const char *s)
{
	size_t n = strlen(s);
	return a.n == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

/* Strip blanks at both ends. */
struct span span_trim(struct span a)
{
	while (a.n && (a.p[0] == ' ' || a.p[0] == '\t')) {
		a.p++;
		a.n--;
	}
	while (a.n && (a.p[a.n - 1] == ' ' || a.p[a.n - 1] == '\t'))
		a.n--;
	return a;
}

/* Digits only, overflow-checked. */
int span_to_u64(struct span a, uint64_t *out)
{
	uint64_t v = 0;
	if (a.n == 0)
		return -EINVAL;
	for (size_t i = 0; i < a.n; i++) {
		unsigned char c = (unsigned char)a.p[i];
		if (c < '0' || c > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (c - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

/* Copy of a span as a C string. */
char *span_dup(struct span a)
{
	char *s = xmalloc(a.n + 1);
	if (a.n)
		memcpy(s, a.p, a.n);
	s[a.n] = '\0';
	return s;
}

/* Whole-string unsigned decimal. */
int str_to_u64(const char *s, uint64_t *out)
{
	return span_to_u64(span_cstr(s), out);
}

/* -------------------------------------------------------------- memory */

static void oom(size_t n)
{
	fprintf(stderr, "edigw: out of memory allocating %zu bytes\n", n);
	abort();
}

/* malloc or abort. */
void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

/* calloc or abort. */
void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

/* realloc or abort. */
void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

/* strdup or abort; NULL stays NULL. */
char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *d = xmalloc(n + 1);
	memcpy(d, s, n + 1);
	return d;
}

/* Allocate a formatted string. */
char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	struct buf b;
	buf_init(&b, 0);
	va_start(ap, fmt);
	if (buf_vprintf(&b, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return buf_steal(&b);
}

/* ------------------------------------------------------------- buffers */

/* Empty buffer with a cap. */
void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX / 2;
}

/* Release the buffer's memory. */
void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return -ENOSPC;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t nc = b->cap ? b->cap : 64;
	while (nc < need)
		nc = nc > SIZE_MAX / 2 ? need : nc * 2;
	b->data = xrealloc(b->data, nc);
	b->cap = nc;
	return 0;
}

/* Append bytes within the cap. */
int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Append a C string. */
int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* Append one byte. */
int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/* Append formatted text. */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	int rc = buf_reserve(b, (size_t)n);
	if (rc < 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

/* Append formatted text. */
int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* Hand the data to the caller. */
char *buf_steal(struct buf *b)
{
	char *d = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

/* ---------------------------------------------------------- diagnostics */

void diag_list_init(struct diag_list *l)
{
	memset(l, 0, sizeof *l);
}

void diag_list_free(struct diag_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].msg);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void diag_add(struct diag_list *l, int warning, const char *file, size_t line,
		     const char *fmt, va_list ap)
{
	struct buf b;
	buf_init(&b, 0);
	buf_vprintf(&b, fmt, ap);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].file = xstrdup(file);
	l->v[l->n].line = line;
	l->v[l->n].warning = warning;
	l->v[l->n].msg = buf_steal(&b);
	l->n++;
	if (!warning)
		l->nerrors++;
}

/* Record an error at file:line. */
void diag_error(struct diag_list *l, const char *file, size_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_add(l, 0, file, line, fmt, ap);
	va_end(ap);
}

/* Record a warning at file:line. */
void diag_warn(struct diag_list *l, const char *file, size_t line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_add(l, 1, file, line, fmt, ap);
	va_end(ap);
}

/* Print diagnostics compiler-style. */
void diag_print(const struct diag_list *l, FILE *f)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct diag *d = &l->v[i];
		const char *kind = d->warning ? "warning" : "error";
		if (d->file && d->line)
			fprintf(f, "%s:%zu: %s: %s\n", d->file, d->line, kind, d->msg);
		else if (d->file)
			fprintf(f, "%s: %s: %s\n", d->file, kind, d->msg);
		else
			fprintf(f, "%s: %s\n", kind, d->msg);
	}
}

/* -------------------------------------------------------------- logging */

static enum log_level g_level = LOG_INFO;
static FILE *g_logf;

void log_set_level(enum log_level lvl)
{
	g_level = lvl;
}

enum log_level log_get_level(void)
{
	return g_level;
}

void log_set_file(FILE *f)
{
	g_logf = f;
}

/* One log line: time, level, message. */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	if (lvl > g_level)
		return;
	FILE *f = g_logf ? g_logf : stderr;
	char ts[21];
	time_iso(time(NULL), ts);
	va_list ap;
	va_start(ap, fmt);
	fprintf(f, "%s edigw[%ld] %s: ", ts, (long)getpid(), names[lvl]);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	va_end(ap);
	fflush(f);
}

/* Printable copy of untrusted bytes, truncated. */
char *escape_bytes(const void *p, size_t n, size_t max)
{
	const unsigned char *s = p;
	struct buf b;
	buf_init(&b, 0);
	size_t lim = n < max ? n : max;
	for (size_t i = 0; i < lim; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf_putc(&b, (char)c);
		else if (c == '\\')
			buf_puts(&b, "\\\\");
		else if (c == '\n')
			buf_puts(&b, "\\n");
		else if (c == '\r')
			buf_puts(&b, "\\r");
		else
			buf_printf(&b, "\\x%02x", c);
	}
	if (n > max)
		buf_puts(&b, "...");
	return buf_steal(&b);
}

/* ----------------------------------------------------------------- misc */

/* One-shot SHA-256 as hex. */
void sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx *c = sha256_new();
	sha256_update(c, data, len);
	sha256_finish(c, out);
}

struct sha256_ctx {
	EVP_MD_CTX *md;
};

/* Start an incremental hash. */
struct sha256_ctx *sha256_new(void)
{
	struct sha256_ctx *c = xmalloc(sizeof *c);
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "edigw: OpenSSL SHA-256 unavailable\n");
		abort();
	}
	return c;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	EVP_DigestUpdate(c->md, data, len);
}

/* Finish, hex-encode and free. */
void sha256_finish(struct sha256_ctx *c, char out[65])
{
	unsigned char d[32];
	unsigned int dl = 0;
	EVP_DigestFinal_ex(c->md, d, &dl);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[64] = '\0';
	EVP_MD_CTX_free(c->md);
	free(c);
}

/* Cryptographic random hex. */
int random_hex(char *out, size_t n)
{
	unsigned char tmp[64];
	if (n > sizeof tmp)
		return -EINVAL;
	if (RAND_bytes(tmp, (int)n) != 1)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", tmp[i]);
	out[2 * n] = '\0';
	return 0;
}

/* UTC ISO 8601 timestamp. */
void time_iso(time_t t, char out[21])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Monotonic clock in milliseconds. */
uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Number with an optional one-letter unit; mult[] gives the unit values. */
static int parse_unit(const char *s, const char *units, const uint64_t *mult, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t m = 1, v;
	if (n == 0)
		return -EINVAL;
	const char *u = strchr(units, s[n - 1]);
	if (u && s[n - 1] != '\0') {
		m = mult[u - units];
		n--;
	}
	struct span sp = { s, n };
	int rc = span_to_u64(sp, &v);
	if (rc < 0)
		return rc;
	if (m && v > UINT64_MAX / m)
		return -ERANGE;
	*out = v * m;
	return 0;
}

/* Sizes: plain bytes or k/K, M, G suffix (binary). */
int parse_size(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1024, 1024, 1024 * 1024, 1024 * 1024 * 1024 };
	return parse_unit(s, "kKMG", mult, out);
}

/* Durations: plain seconds or s, m, h, d suffix. */
int parse_duration(const char *s, uint64_t *out_seconds)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	return parse_unit(s, "smhd", mult, out_seconds);
}

/* iconv conversion to UTF-8 with a cap and the offset of the first bad byte. */
int iconv_to_utf8(const char *from, const void *in, size_t inlen, struct buf *out,
		  size_t *bad_offset)
{
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return -ENOTSUP;
	char *ip = (char *)in;
	size_t il = inlen;
	int rc = 0;
	char tmp[4096];
	while (il > 0) {
		char *op = tmp;
		size_t ol = sizeof tmp;
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		if (buf_append(out, tmp, sizeof tmp - ol) < 0) {
			rc = -ENOSPC;
			break;
		}
		if (r == (size_t)-1 && errno != E2BIG) {
			if (bad_offset)
				*bad_offset = (size_t)(ip - (char *)in);
			rc = -EILSEQ;
			break;
		}
	}
	iconv_close(cd);
	return rc;
}

/* A canonical decimal from sign, digits and the point's place (util.h). */
void decimal_put(struct buf *out, int neg, const char *dg, size_t nd, long point)
{
	struct buf ip, fp;
	buf_init(&ip, 0);
	buf_init(&fp, 0);
	for (long i = 0; i < point; i++)
		buf_putc(&ip, (size_t)i < nd ? dg[i] : '0');
	for (long i = point; i < (long)nd; i++)
		buf_putc(&fp, i < 0 ? '0' : dg[i]);
	const char *ipp = ip.data ? ip.data : "";
	while (*ipp == '0')
		ipp++;
	while (fp.len && fp.data[fp.len - 1] == '0')
		fp.data[--fp.len] = '\0';
	int zero = *ipp == '\0' && fp.len == 0;
	if (neg && !zero)
		buf_putc(out, '-');
	buf_puts(out, *ipp ? ipp : "0");
	if (fp.len) {
		buf_putc(out, '.');
		buf_puts(out, fp.data);
	}
	buf_free(&ip);
	buf_free(&fp);
}
