/*
 * util — the pieces every module needs and that know nothing of EDI:
 * spans, capped growable buffers, diagnostics with file/line, logging
 * (partner bytes escaped and truncated), durable file writes, bounded
 * file reads, strict number parsing, hashing and an iconv wrapper.
 *
 * Ownership: a struct buf owns its data (buf_free); a span borrows.
 * Functions that can fail return 0 or a negative errno-style code.
 */
#ifndef EDIGW_UTIL_H
#define EDIGW_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#define EDIGW_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---------------------------------------------------------------- spans */

/* A borrowed run of bytes; not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

#define SPAN_NULL ((struct span){ NULL, 0 })

/* A span over a NUL-terminated string. */
struct span span_cstr(const char *s);
/* True when the span equals the NUL-terminated string s. */
int span_eq(struct span a, const char *s);
/* Span with leading and trailing ASCII blanks (space, tab) removed. */
struct span span_trim(struct span a);
/* Parse an unsigned decimal of only digits (no sign, no blanks); -EINVAL or -ERANGE. */
int span_to_u64(struct span a, uint64_t *out);
/* Copy a span into a new NUL-terminated string (abort on OOM). */
char *span_dup(struct span a);

/* Parse a whole C string as unsigned decimal; same rules as span_to_u64. */
int str_to_u64(const char *s, uint64_t *out);

/* -------------------------------------------------------------- memory */

/* Allocation that aborts with a message on out-of-memory (environment broken). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a newly allocated string. */
char *xasprintf(const char *fmt, ...) EDIGW_PRINTF(1, 2);

/* ------------------------------------------------------------- buffers */

/* A growable byte buffer with a hard cap (max; 0 = SIZE_MAX/2). Always NUL-terminated. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Append n bytes; -ENOSPC when the cap would be exceeded (buffer unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) EDIGW_PRINTF(2, 3);
/* Append a decimal in canonical form (no leading zeros, no trailing fraction zeros, no
 * '.' without a fraction, zero without a sign) from its sign, nd digits and the number of
 * them before the point (point may be < 0 or > nd: zeros are added): digits "0750" with
 * point 2 are 7.5. */
void decimal_put(struct buf *out, int neg, const char *dg, size_t nd, long point);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Detach the data (caller frees); the buffer becomes empty. */
char *buf_steal(struct buf *b);

/* ---------------------------------------------------------- diagnostics */

/* One configuration/map/document diagnostic, always with a place. */
struct diag {
	char *file;  /* file name, or NULL */
	size_t line; /* 1-based line, 0 when not line-oriented */
	int warning; /* 1 = warning, 0 = error */
	char *msg;
};

struct diag_list {
	struct diag *v;
	size_t n;
	size_t cap;
	size_t nerrors;
};

void diag_list_init(struct diag_list *l);
void diag_list_free(struct diag_list *l);
/* Record an error at file:line. */
void diag_error(struct diag_list *l, const char *file, size_t line, const char *fmt, ...)
	EDIGW_PRINTF(4, 5);
void diag_warn(struct diag_list *l, const char *file, size_t line, const char *fmt, ...)
	EDIGW_PRINTF(4, 5);
/* Print "file:line: error: msg" lines to f. */
void diag_print(const struct diag_list *l, FILE *f);

/* -------------------------------------------------------------- logging */

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Send log lines to f (default stderr); NULL restores stderr. */
void log_set_file(FILE *f);
void log_msg(enum log_level lvl, const char *fmt, ...) EDIGW_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Escape untrusted bytes for a log or message: printable ASCII kept, others as \xNN,
 * truncated to at most max source bytes with "..." appended. Returns a static-free new string. */
char *escape_bytes(const void *p, size_t n, size_t max);

/* ---------------------------------------------------------------- files */

/* mkdir -p with mode; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);
/* fsync a directory so a rename/creation in it is durable. */
int fsync_dir(const char *dir);
/* Write all of data to fd, retrying on EINTR/short writes. */
int write_all(int fd, const void *data, size_t len);
/* Durable write of a new file: create tmpdir/<unique> with O_CREAT|O_EXCL|O_NOFOLLOW,
 * write, fsync, close, rename to dir/name, fsync dir. tmpdir must be on the same file
 * system as dir. With replace == 0 an existing dir/name is left alone and -EEXIST is
 * returned (link(2) semantics); with replace == 1 it is atomically replaced. */
int file_write_durable(const char *tmpdir, const char *dir, const char *name,
		       const void *data, size_t len, int replace);
/* Move a finished temp file into place durably: fsync the file at tmppath, then
 * link/rename it to dir/name (no replace: -EEXIST if present, tmppath removed) and fsync dir. */
int file_commit(const char *tmppath, const char *dir, const char *name, int replace);
/* An anonymous temporary file in $TMPDIR (else /tmp) that disappears when closed
 * (O_TMPFILE, else an unlinked mkostemp "edigw-<tag>-XXXXXX"). 0 or -errno. */
int file_tmp_anon(int *out, const char *tag);
/* Read a whole regular file (O_NOFOLLOW) of at most max bytes into b; -EFBIG if larger. */
int file_read_all(const char *path, size_t max, struct buf *b);
/* Append the rest of an open fd to b, at most max bytes in b; -EFBIG beyond. */
int fd_read_all(int fd, size_t max, struct buf *b);
/* True when path names an existing entry (lstat). */
int path_exists(const char *path);
/* Join dir and name with one '/'. Allocates. */
char *path_join(const char *dir, const char *name);
/* The names in dir that keep(dir, name, ctx) accepts (keep NULL: all but "." and ".."),
 * sorted bytewise, at most max of them (0: no limit): *out allocated, free with
 * dir_names_free. Returns 0 (*n may be 0), or -errno when dir cannot be opened. */
int dir_names(const char *dir, int (*keep)(const char *dir, const char *name, void *ctx), void *ctx, size_t max,
	      char ***out, size_t *n);
void dir_names_free(char **v, size_t n);
/* Directory part of a path ("." if none). Allocates. */
char *path_dirname(const char *path);
/* Resolve rel against the directory of base_file unless rel is absolute. Allocates. */
char *path_relative_to(const char *base_file, const char *rel);
/* A file name component is safe: non-empty, [A-Za-z0-9._-], not starting with '.', <= 128. */
int name_is_safe(const char *name);
/* Turn untrusted text into a safe file-name component (others become '_'), max 64 chars. */
char *name_sanitize(const char *s, size_t n);

/* ----------------------------------------------------------------- misc */

/* Lower-case hex SHA-256 of data into out (65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Incremental SHA-256. */
struct sha256_ctx;
struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Finish into out (65 bytes hex) and free the context. */
void sha256_finish(struct sha256_ctx *c, char out[65]);

/* Random bytes as lower-case hex (2*n chars + NUL into out). */
int random_hex(char *out, size_t n);

/* Current time as ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void time_iso(time_t t, char out[21]);
/* Monotonic milliseconds. */
uint64_t now_ms(void);

/* Parse sizes like "100M", "64k", "1G", "512" into bytes. */
int parse_size(const char *s, uint64_t *out);
/* Parse durations like "30d", "24h", "15m", "10s", "10" (seconds). */
int parse_duration(const char *s, uint64_t *out_seconds);

/* Convert text from charset `from` to UTF-8 (iconv). Invalid input: -EILSEQ with the
 * byte offset in *bad_offset. Output capped at max bytes. */
int iconv_to_utf8(const char *from, const void *in, size_t inlen, struct buf *out,
		  size_t *bad_offset);

#endif
