/*
 * spool.c — Postfix-style queue directories: job ids, the job header,
 * durable enqueue, claim, move between queues and start-up recovery
 * (see spool.h and doc/spool.md).
 *
 * Functions: spool_open/free, spool_dir/outbound_dir, spool_new_id,
 * spool_enqueue(_fd), spool_claim, spool_move(_retry), spool_open_job,
 * spool_locate, spool_list, spool_recover, spool_stat.
 *
 * Ownership: a struct spool owns its paths and the descriptors of the jobs
 * this process has claimed (each holds an flock(2) on the job file, so that
 * spool_recover in another process leaves a live worker's job alone). One
 * struct spool belongs to one thread.
 *
 * Limits: ids are [0-9A-Za-z-] and shorter than SPOOL_ID_MAX; a header
 * value is at most SPOOL_VALUE_MAX bytes of printable ASCII (other bytes are
 * written as \xNN, longer values are cut and end in "..."); a header is at
 * most SPOOL_HEADER_MAX bytes. The partner's file name, partner id and
 * source are metadata only: no path is ever built from them.
 */
#include "spool/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536

struct held {
	char id[SPOOL_ID_MAX];
	int fd; /* open on active/<id>, flock(LOCK_EX) held */
};

struct spool {
	char *root;
	char *dirs[SPOOL_NQUEUES];
	char *outbound;
	struct held *held;
	size_t nheld, capheld;
};

static const char *const queue_names[SPOOL_NQUEUES] = {
	"tmp", "incoming", "active", "deferred", "hold", "failed", "archive", "sent",
};

/* Per-process sequence for job ids and temp names (fork gives a new pid). */
static unsigned long seq_counter;

/* Next value of the per-process sequence (thread-safe). */
static unsigned long next_seq(void)
{
	return __atomic_fetch_add(&seq_counter, 1, __ATOMIC_RELAXED);
}

/* Name of a queue ("incoming"), or "?" for an invalid value. */
const char *spool_queue_name(enum spool_queue q)
{
	if ((int)q < 0 || q >= SPOOL_NQUEUES)
		return "?";
	return queue_names[q];
}

/* Free the strings of a meta and zero it. */
void spool_meta_clear(struct spool_meta *m)
{
	if (!m)
		return;
	free(m->partner);
	free(m->orig_name);
	free(m->source);
	free(m->reason);
	memset(m, 0, sizeof *m);
}

/* A job id is non-empty, [0-9A-Za-z-], shorter than SPOOL_ID_MAX and not starting with '-'. */
int spool_id_is_valid(const char *id)
{
	if (!id || !id[0] || id[0] == '-')
		return 0;
	size_t i;
	for (i = 0; id[i]; i++) {
		char c = id[i];
		if (i >= SPOOL_ID_MAX - 1)
			return 0;
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* A new id: UTC time, pid, per-process counter, 32 random bits. */
int spool_new_id(char out[SPOOL_ID_MAX])
{
	char rnd[9], ts[24];
	struct tm tm;
	time_t now = time(NULL);
	if (!gmtime_r(&now, &tm) || strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm) == 0)
		return -EINVAL;
	if (random_hex(rnd, 4) < 0)
		return -EIO;
	int n = snprintf(out, SPOOL_ID_MAX, "%s-%08ld-%08lu-%s", ts, (long)getpid(), next_seq(),
			 rnd);
	if (n < 0 || n >= SPOOL_ID_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* ------------------------------------------------------------ open/free */

/* Create dir if missing and make sure it is a real directory, not a symlink. */
static int ensure_dir(const char *path)
{
	int rc = mkdir_p(path, 0750);
	if (rc < 0) {
		log_error("spool: cannot create %s: %s", path, strerror(-rc));
		return rc;
	}
	struct stat st;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		log_error("spool: %s is not a directory (symlinked queues are refused)", path);
		return -ENOTDIR;
	}
	return 0;
}

/* Open (creating) the queue directories under root. */
int spool_open(struct spool **out, const char *root)
{
	int rc = 0;
	*out = NULL;
	if (!root || !root[0])
		return -EINVAL;
	struct spool *sp = xcalloc(1, sizeof *sp);
	sp->root = xstrdup(root);
	if ((rc = mkdir_p(root, 0750)) < 0) {
		log_error("spool: cannot create %s: %s", root, strerror(-rc));
		goto out;
	}
	for (int q = 0; q < SPOOL_NQUEUES; q++) {
		sp->dirs[q] = path_join(root, queue_names[q]);
		if ((rc = ensure_dir(sp->dirs[q])) < 0)
			goto out;
	}
	sp->outbound = path_join(root, "outbound");
	if ((rc = ensure_dir(sp->outbound)) < 0)
		goto out;
	rc = fsync_dir(root);
out:
	if (rc < 0)
		spool_free(sp);
	else
		*out = sp;
	return rc;
}

/* Close claimed jobs (releasing their locks) and free. */
void spool_free(struct spool *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->nheld; i++)
		close(sp->held[i].fd);
	free(sp->held);
	for (int q = 0; q < SPOOL_NQUEUES; q++)
		free(sp->dirs[q]);
	free(sp->outbound);
	free(sp->root);
	free(sp);
}

/* The spool root (borrowed). */
const char *spool_root(const struct spool *sp)
{
	return sp->root;
}

/* Path of a queue directory (borrowed); NULL for an invalid queue. */
const char *spool_dir(const struct spool *sp, enum spool_queue q)
{
	if ((int)q < 0 || q >= SPOOL_NQUEUES)
		return NULL;
	return sp->dirs[q];
}

/* outbound/<partner>/, created on demand; partner must be a safe name. */
int spool_outbound_dir(struct spool *sp, const char *partner, char **out)
{
	*out = NULL;
	if (!partner || !name_is_safe(partner))
		return -EINVAL;
	char *p = path_join(sp->outbound, partner);
	int existed = path_exists(p);
	int rc = ensure_dir(p);
	if (rc == 0 && !existed)
		rc = fsync_dir(sp->outbound);
	if (rc < 0)
		free(p);
	else
		*out = p;
	return rc;
}

/* ------------------------------------------------------------- claims */

/* Index of a held claim, or -1. */
static ssize_t held_find(const struct spool *sp, const char *id)
{
	for (size_t i = 0; i < sp->nheld; i++)
		if (strcmp(sp->held[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

/* Remember fd as the lock on active/<id> (replacing and closing an older one). */
static void held_set(struct spool *sp, const char *id, int fd)
{
	ssize_t i = held_find(sp, id);
	if (i >= 0) {
		close(sp->held[i].fd);
		sp->held[i].fd = fd;
		return;
	}
	if (sp->nheld == sp->capheld) {
		sp->capheld = sp->capheld ? 2 * sp->capheld : 8;
		sp->held = xrealloc(sp->held, sp->capheld * sizeof *sp->held);
	}
	snprintf(sp->held[sp->nheld].id, SPOOL_ID_MAX, "%s", id);
	sp->held[sp->nheld].fd = fd;
	sp->nheld++;
}

/* Forget (and unlock) a claim. */
static void held_drop(struct spool *sp, const char *id)
{
	ssize_t i = held_find(sp, id);
	if (i < 0)
		return;
	close(sp->held[i].fd);
	sp->held[i] = sp->held[sp->nheld - 1];
	sp->nheld--;
}

/* Open a regular file without following symlinks or blocking on FIFOs. */
static int open_regular(const char *path, int *fd_out, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*fd_out = fd;
	return 0;
}

/* Open path and take its exclusive lock without waiting; -EBUSY when a live owner has it.
 * Also checks that path still names the locked file. */
static int lock_job(const char *path, int *fd_out)
{
	struct stat st, st2;
	int fd, rc = open_regular(path, &fd, &st);
	if (rc < 0)
		return rc;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	if (lstat(path, &st2) < 0) {
		rc = -errno;
		goto fail;
	}
	if (st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
		rc = -ESTALE; /* replaced or moved meanwhile */
		goto fail;
	}
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

/* rename(2) that never replaces an existing target (falls back on file systems
 * without RENAME_NOREPLACE to a check and a plain rename). */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (path_exists(to))
		return -EEXIST;
	if (rename(from, to) < 0)
		return -errno;
	return 0;
}

/* ---------------------------------------------------------------- header */

/* Header-safe copy of a value: printable ASCII kept, other bytes as \xNN; a result
 * longer than SPOOL_VALUE_MAX is cut (never inside an escape) and ends in "...".
 * Idempotent, so rewriting a parsed header never changes it. */
static char *value_sanitize(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			buf_putc(&b, (char)*p);
		else
			buf_printf(&b, "\\x%02x", *p);
	}
	if (b.len > SPOOL_VALUE_MAX) {
		size_t keep = 0;
		for (size_t i = 0; i < b.len;) {
			size_t unit = 1;
			if (b.data[i] == '\\' && i + 3 < b.len && b.data[i + 1] == 'x')
				unit = 4;
			if (i + unit > SPOOL_VALUE_MAX - 3)
				break;
			i += unit;
			keep = i;
		}
		b.len = keep;
		b.data[keep] = '\0';
		buf_puts(&b, "...");
	}
	return buf_steal(&b);
}

/* Append "Key: value\n" with the value sanitized; NULL values are left out. */
static int put_field(struct buf *b, const char *key, const char *value)
{
	if (!value)
		return 0;
	char *v = value_sanitize(value);
	int rc = buf_printf(b, "%s: %s\n", key, v);
	free(v);
	return rc;
}

/* The header for meta, ending with the blank line. */
static int header_build(const struct spool_meta *m, struct buf *b)
{
	char ts[21];
	int rc;
	time_iso(m->received, ts);
	if ((rc = buf_printf(b, "Edigw-Job: %s\n", m->id)) < 0 ||
	    (rc = put_field(b, "Partner", m->partner)) < 0 ||
	    (rc = put_field(b, "Original-Name", m->orig_name)) < 0 ||
	    (rc = put_field(b, "Source", m->source)) < 0 ||
	    (rc = buf_printf(b, "Received: %s\n", ts)) < 0 ||
	    (rc = put_field(b, "Reason", m->reason)) < 0 ||
	    (rc = buf_printf(b, "Attempts: %u\nRelease: %d\n\n", m->attempts,
			     m->release ? 1 : 0)) < 0)
		return rc;
	return 0;
}

/* Strict "YYYY-MM-DDTHH:MM:SSZ" (as time_iso writes it) to time_t. */
static int parse_iso_time(struct span v, time_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	if (v.n != sizeof shape - 1)
		return -EBADMSG;
	for (size_t i = 0; i < v.n; i++) {
		if (shape[i] == 'd' ? (v.p[i] < '0' || v.p[i] > '9') : v.p[i] != shape[i])
			return -EBADMSG;
	}
	uint64_t f[6];
	static const size_t at[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };
	for (int i = 0; i < 6; i++)
		if (span_to_u64((struct span){ v.p + at[i], len[i] }, &f[i]) < 0)
			return -EBADMSG;
	struct tm tm = { 0 };
	tm.tm_year = (int)f[0] - 1900;
	tm.tm_mon = (int)f[1] - 1;
	tm.tm_mday = (int)f[2];
	tm.tm_hour = (int)f[3];
	tm.tm_min = (int)f[4];
	tm.tm_sec = (int)f[5];
	time_t t = timegm(&tm);
	char back[21];
	time_iso(t, back);
	if (memcmp(back, v.p, v.n) != 0) /* 2026-02-30 and the like */
		return -EBADMSG;
	*out = t;
	return 0;
}

enum hfield { H_JOB, H_PARTNER, H_ORIG, H_SOURCE, H_RECEIVED, H_REASON, H_ATTEMPTS, H_RELEASE, H_N };
static const char *const hnames[H_N] = {
	"Edigw-Job", "Partner", "Original-Name", "Source", "Received", "Reason", "Attempts",
	"Release",
};

/* Parse header lines p[0..n) (without the blank line) into m; strict. */
static int header_parse(const char *p, size_t n, const char *expect_id, struct spool_meta *m)
{
	int seen[H_N] = { 0 };
	size_t pos = 0, lineno = 0;
	int rc = 0;
	while (pos < n) {
		const char *nl = memchr(p + pos, '\n', n - pos);
		if (!nl) {
			rc = -EBADMSG;
			goto out;
		}
		struct span line = { p + pos, (size_t)(nl - (p + pos)) };
		pos += line.n + 1;
		const char *colon = memchr(line.p, ':', line.n);
		if (!colon || colon == line.p || (size_t)(colon - line.p) + 1 >= line.n ||
		    colon[1] != ' ') {
			rc = -EBADMSG;
			goto out;
		}
		struct span key = { line.p, (size_t)(colon - line.p) };
		struct span val = { colon + 2, line.n - key.n - 2 };
		if (val.n > SPOOL_VALUE_MAX) {
			rc = -EBADMSG;
			goto out;
		}
		for (size_t i = 0; i < val.n; i++)
			if ((unsigned char)val.p[i] < 0x20 || (unsigned char)val.p[i] >= 0x7f) {
				rc = -EBADMSG;
				goto out;
			}
		int f;
		for (f = 0; f < H_N; f++)
			if (span_eq(key, hnames[f]))
				break;
		if (f == H_N || seen[f] || (lineno == 0) != (f == H_JOB)) {
			rc = -EBADMSG; /* unknown or repeated key, or Edigw-Job not first */
			goto out;
		}
		seen[f] = 1;
		lineno++;
		uint64_t u;
		switch (f) {
		case H_JOB:
			if (val.n >= SPOOL_ID_MAX) {
				rc = -EBADMSG;
				goto out;
			}
			memcpy(m->id, val.p, val.n);
			m->id[val.n] = '\0';
			if (!spool_id_is_valid(m->id) || (expect_id && strcmp(m->id, expect_id) != 0)) {
				rc = -EBADMSG;
				goto out;
			}
			break;
		case H_PARTNER: m->partner = span_dup(val); break;
		case H_ORIG: m->orig_name = span_dup(val); break;
		case H_SOURCE: m->source = span_dup(val); break;
		case H_REASON: m->reason = span_dup(val); break;
		case H_RECEIVED:
			if ((rc = parse_iso_time(val, &m->received)) < 0)
				goto out;
			break;
		case H_ATTEMPTS:
			if (span_to_u64(val, &u) < 0 || u > 0xffffffffu) {
				rc = -EBADMSG;
				goto out;
			}
			m->attempts = (unsigned)u;
			break;
		case H_RELEASE:
			if (!span_eq(val, "0") && !span_eq(val, "1")) {
				rc = -EBADMSG;
				goto out;
			}
			m->release = val.p[0] == '1';
			break;
		}
	}
	if (!seen[H_JOB] || !seen[H_RECEIVED] || !seen[H_ATTEMPTS] || !seen[H_RELEASE])
		rc = -EBADMSG;
out:
	return rc;
}

/* Read and parse the header of an open job file; *hlen gets its size with the blank line. */
static int header_read(int fd, const char *expect_id, struct spool_meta *m, size_t *hlen)
{
	char *b = xmalloc(SPOOL_HEADER_MAX);
	size_t n = 0;
	int rc = 0;
	while (n < SPOOL_HEADER_MAX) {
		ssize_t r = pread(fd, b + n, SPOOL_HEADER_MAX - n, (off_t)n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	const char *end = NULL;
	for (size_t i = 0; i + 1 < n; i++)
		if (b[i] == '\n' && b[i + 1] == '\n') {
			end = b + i;
			break;
		}
	if (!end) {
		rc = -EBADMSG; /* no blank line within SPOOL_HEADER_MAX bytes */
		goto out;
	}
	size_t lines = (size_t)(end - b) + 1; /* through the last line's newline */
	if ((rc = header_parse(b, lines, expect_id, m)) < 0)
		goto out;
	*hlen = lines + 1;
out:
	free(b);
	return rc;
}

/* ------------------------------------------------------------ job files */

/* Create tmp/w<pid>.<seq>.<id> for writing; the writer's pid lets recovery tell a
 * dead writer's leftovers from a live one's work. */
static int tmp_open(struct spool *sp, const char *id, char **path_out)
{
	char *name = xasprintf("w%ld.%lu.%s", (long)getpid(), next_seq(), id);
	char *path = path_join(sp->dirs[SPOOL_TMP], name);
	free(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		int e = -errno;
		free(path);
		return e;
	}
	*path_out = path;
	return fd;
}

/* Copy exactly len bytes (or, with len == UINT64_MAX, up to EOF but at most max)
 * from in to out; *copied gets the count. -EFBIG beyond max, -EIO when in is short. */
static int copy_stream(int in, int out, uint64_t len, uint64_t max, uint64_t *copied)
{
	char *b = xmalloc(CHUNK);
	uint64_t total = 0;
	int rc = 0;
	for (;;) {
		size_t want = CHUNK;
		if (len != UINT64_MAX) {
			if (total == len)
				break;
			if (len - total < want)
				want = (size_t)(len - total);
		}
		ssize_t r = read(in, b, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0) {
			if (len != UINT64_MAX)
				rc = -EIO; /* the job file shrank under us */
			break;
		}
		if ((uint64_t)r > max - total) {
			rc = -EFBIG;
			break;
		}
		total += (uint64_t)r;
		if ((rc = write_all(out, b, (size_t)r)) < 0)
			break;
	}
	free(b);
	if (copied)
		*copied = total;
	return rc;
}

/* Finish a temp job file: fsync and close (checked). */
static int tmp_finish(int fd)
{
	int rc = 0;
	if (fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* Fill in the id and time of a new job and check a given id. */
static int meta_prepare(struct spool_meta *m)
{
	int rc;
	if (!m->id[0]) {
		if ((rc = spool_new_id(m->id)) < 0)
			return rc;
	} else if (!spool_id_is_valid(m->id)) {
		return -EINVAL;
	}
	if (m->received == 0)
		m->received = time(NULL);
	return 0;
}

/* Write header + (data or the stream from fd) to tmp/, then move it into incoming/. */
static int enqueue(struct spool *sp, struct spool_meta *meta, const void *data, size_t len,
		   int in_fd, uint64_t max)
{
	struct buf h;
	char *tmp = NULL, *dst = NULL;
	int fd = -1, rc;
	int given = meta->id[0] != '\0';
	buf_init(&h, SPOOL_HEADER_MAX);
	if ((rc = meta_prepare(meta)) < 0)
		goto out;
	if (given && spool_locate(sp, meta->id, NULL) == 0) {
		rc = -EEXIST; /* a caller-chosen id must be new to every queue */
		goto out;
	}
	if ((rc = header_build(meta, &h)) < 0)
		goto out;
	if ((fd = tmp_open(sp, meta->id, &tmp)) < 0) {
		rc = fd;
		goto out;
	}
	if ((rc = write_all(fd, h.data, h.len)) < 0)
		goto out;
	if (in_fd < 0)
		rc = write_all(fd, data, len);
	else
		rc = copy_stream(in_fd, fd, UINT64_MAX, max, NULL);
	if (rc < 0)
		goto out;
	rc = tmp_finish(fd);
	fd = -1;
	if (rc < 0)
		goto out;
	dst = path_join(sp->dirs[SPOOL_INCOMING], meta->id);
	if ((rc = rename_noreplace(tmp, dst)) < 0)
		goto out;
	free(tmp);
	tmp = NULL;
	rc = fsync_dir(sp->dirs[SPOOL_INCOMING]);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (rc < 0)
		log_error("spool: enqueue of %s failed: %s",
			  spool_id_is_valid(meta->id) ? meta->id : "(new job)",
			  strerror(-rc));
	free(dst);
	buf_free(&h);
	return rc;
}

/* Durably store a new job with data as its body in incoming/. */
int spool_enqueue(struct spool *sp, struct spool_meta *meta, const void *data, size_t len)
{
	if (!data && len)
		return -EINVAL;
	return enqueue(sp, meta, data ? data : "", len, -1, 0);
}

/* Durably store a new job whose body is read from fd (at most max bytes). */
int spool_enqueue_fd(struct spool *sp, struct spool_meta *meta, int fd, uint64_t max)
{
	if (fd < 0)
		return -EBADF;
	return enqueue(sp, meta, NULL, 0, fd, max);
}

/* Open q/<id>: regular file only, header parsed, fd at the body. */
int spool_open_job(struct spool *sp, enum spool_queue q, const char *id, struct spool_meta *meta,
		   int *fd_out, uint64_t *body_len)
{
	struct stat st;
	int fd = -1, rc;
	size_t hlen = 0;
	char *path = NULL;
	memset(meta, 0, sizeof *meta);
	*fd_out = -1;
	if ((int)q <= SPOOL_TMP || q >= SPOOL_NQUEUES || !spool_id_is_valid(id))
		return -EINVAL;
	path = path_join(sp->dirs[q], id);
	if ((rc = open_regular(path, &fd, &st)) < 0)
		goto out;
	if ((rc = header_read(fd, id, meta, &hlen)) < 0) {
		if (rc == -EBADMSG)
			log_error("spool: %s/%s has a malformed header", queue_names[q], id);
		goto out;
	}
	if (lseek(fd, (off_t)hlen, SEEK_SET) < 0) {
		rc = -errno;
		goto out;
	}
	if (body_len)
		*body_len = (uint64_t)st.st_size - hlen;
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		spool_meta_clear(meta);
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- moves */

/* Make a rename between two queue directories durable. */
static int fsync_pair(struct spool *sp, enum spool_queue a, enum spool_queue b)
{
	int rc = fsync_dir(sp->dirs[a]);
	if (rc == 0 && a != b)
		rc = fsync_dir(sp->dirs[b]);
	return rc;
}

/* Claim incoming/<id> by renaming it into active/ while holding its lock. */
int spool_claim(struct spool *sp, const char *id)
{
	char *src = NULL, *dst = NULL;
	int fd = -1, rc;
	if (!spool_id_is_valid(id))
		return -EINVAL;
	src = path_join(sp->dirs[SPOOL_INCOMING], id);
	dst = path_join(sp->dirs[SPOOL_ACTIVE], id);
	rc = lock_job(src, &fd);
	if (rc == -EBUSY || rc == -ESTALE || rc == -ENOENT) {
		rc = -ENOENT; /* another worker is claiming or has claimed it */
		goto out;
	}
	if (rc < 0)
		goto out;
	if ((rc = rename_noreplace(src, dst)) < 0) {
		if (rc == -EEXIST)
			log_error("spool: cannot claim %s: active/%s already exists", id, id);
		goto out;
	}
	held_set(sp, id, fd);
	fd = -1;
	rc = fsync_pair(sp, SPOOL_ACTIVE, SPOOL_INCOMING);
out:
	if (fd >= 0)
		close(fd);
	free(src);
	free(dst);
	return rc;
}

/* Rewrite from/<id> in place with a new header: new copy in tmp/, fsync, then
 * rename over the old copy. When the job is (or goes) in active/, the new file is
 * locked before it becomes visible so that ownership never lapses. */
static int rewrite_in_place(struct spool *sp, const char *id, enum spool_queue from,
			    enum spool_queue to, const char *reason, int release, unsigned add,
			    int *lock_out)
{
	struct spool_meta m;
	struct buf h;
	struct stat st_old, st_now;
	char *src = path_join(sp->dirs[from], id), *tmp = NULL;
	int in = -1, out_fd = -1, lock = -1, rc;
	uint64_t body = 0;
	buf_init(&h, SPOOL_HEADER_MAX);
	if ((rc = spool_open_job(sp, from, id, &m, &in, &body)) < 0)
		goto out;
	if (fstat(in, &st_old) < 0) {
		rc = -errno;
		goto out;
	}
	if (reason) {
		free(m.reason);
		m.reason = reason[0] ? xstrdup(reason) : NULL;
	}
	if (release >= 0)
		m.release = release ? 1 : 0;
	m.attempts = m.attempts + add < m.attempts ? m.attempts : m.attempts + add;
	if ((rc = header_build(&m, &h)) < 0)
		goto out;
	if ((out_fd = tmp_open(sp, id, &tmp)) < 0) {
		rc = out_fd;
		goto out;
	}
	if ((rc = write_all(out_fd, h.data, h.len)) < 0 ||
	    (rc = copy_stream(in, out_fd, body, UINT64_MAX, NULL)) < 0)
		goto out;
	if (from == SPOOL_ACTIVE || to == SPOOL_ACTIVE) {
		struct stat st;
		if ((rc = open_regular(tmp, &lock, &st)) < 0)
			goto out;
		if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
			rc = -errno;
			goto out;
		}
	}
	rc = tmp_finish(out_fd);
	out_fd = -1;
	if (rc < 0)
		goto out;
	/* Only the owner moves a job; refuse if it changed since we read it. */
	if (lstat(src, &st_now) < 0) {
		rc = -errno;
		goto out;
	}
	if (st_now.st_ino != st_old.st_ino || st_now.st_dev != st_old.st_dev) {
		rc = -ESTALE;
		goto out;
	}
	if (rename(tmp, src) < 0) {
		rc = -errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (from == SPOOL_ACTIVE && held_find(sp, id) >= 0) {
		held_set(sp, id, lock);
		lock = -1;
	}
	rc = fsync_dir(sp->dirs[from]);
out:
	if (rc == 0 && lock_out) {
		*lock_out = lock;
		lock = -1;
	}
	if (lock >= 0)
		close(lock);
	if (out_fd >= 0)
		close(out_fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (in >= 0)
		close(in);
	spool_meta_clear(&m);
	buf_free(&h);
	free(src);
	return rc;
}

/* Move with an optional header rewrite (see spool_move); add is added to Attempts. */
static int move_job(struct spool *sp, const char *id, enum spool_queue from, enum spool_queue to,
		    const char *reason, int release, unsigned add, int rewrite)
{
	char *src = NULL, *dst = NULL;
	int lock = -1, owner = -1, rc = 0;
	if (!spool_id_is_valid(id) || (int)from <= SPOOL_TMP || from >= SPOOL_NQUEUES ||
	    (int)to <= SPOOL_TMP || to >= SPOOL_NQUEUES)
		return -EINVAL;
	src = path_join(sp->dirs[from], id);
	dst = path_join(sp->dirs[to], id);
	if (from == SPOOL_ACTIVE && held_find(sp, id) < 0) {
		/* Not claimed through this struct: refuse while a live worker owns it. */
		if ((rc = lock_job(src, &owner)) < 0) {
			if (rc == -ESTALE)
				rc = -ENOENT;
			goto out;
		}
	}
	if (rewrite) {
		rc = rewrite_in_place(sp, id, from, to, reason, release, add, &lock);
		if (rc == -EBADMSG) {
			/* A job whose header we cannot parse must still be able to leave (to
			 * failed/, say): it moves unchanged; the reason is only logged. */
			log_warn("spool: %s/%s has a malformed header; moved to %s unchanged "
				 "(reason not recorded in it: %s)", queue_names[from], id,
				 queue_names[to], reason ? reason : "-");
			rewrite = 0;
			rc = 0;
		} else if (rc < 0) {
			goto out;
		}
	}
	if (!rewrite && to == SPOOL_ACTIVE && from != SPOOL_ACTIVE) {
		if ((rc = lock_job(src, &lock)) < 0) {
			if (rc == -ESTALE)
				rc = -ENOENT;
			goto out;
		}
	}
	if (from == to) {
		if (!rewrite && !path_exists(src))
			rc = -ENOENT;
		goto out;
	}
	if ((rc = rename_noreplace(src, dst)) < 0) {
		if (rc == -EEXIST)
			log_error("spool: cannot move %s to %s: a job of that id is already there",
				  id, queue_names[to]);
		goto out;
	}
	if (from == SPOOL_ACTIVE)
		held_drop(sp, id);
	if (to == SPOOL_ACTIVE && lock >= 0) {
		held_set(sp, id, lock);
		lock = -1;
	}
	rc = fsync_pair(sp, to, from);
out:
	if (lock >= 0)
		close(lock);
	if (owner >= 0)
		close(owner);
	if (rc < 0 && rc != -ENOENT)
		log_error("spool: moving %s from %s to %s failed: %s", id, queue_names[from],
			  queue_names[to], strerror(-rc));
	free(src);
	free(dst);
	return rc;
}

/* Move a job between queues (plain rename, or header rewrite then rename). */
int spool_move(struct spool *sp, const char *id, enum spool_queue from, enum spool_queue to,
	       const char *reason, int release)
{
	return move_job(sp, id, from, to, reason, release, 0, reason != NULL || release >= 0);
}

/* Move after a failed try: header rewritten with Attempts + 1 (and reason if given). */
int spool_move_retry(struct spool *sp, const char *id, enum spool_queue from,
		     enum spool_queue to, const char *reason)
{
	return move_job(sp, id, from, to, reason, -1, 1, 1);
}

/* Which queue holds id (tmp/ excluded). */
int spool_locate(struct spool *sp, const char *id, enum spool_queue *out)
{
	if (!spool_id_is_valid(id))
		return -EINVAL;
	for (int q = SPOOL_INCOMING; q < SPOOL_NQUEUES; q++) {
		char *p = path_join(sp->dirs[q], id);
		int found = path_exists(p);
		free(p);
		if (found) {
			if (out)
				*out = (enum spool_queue)q;
			return 0;
		}
	}
	return -ENOENT;
}

/* ------------------------------------------------------- listing, stats */

/* Whether a directory entry of queue q counts as a job (tmp/: any file). */
static int entry_counts(enum spool_queue q, const char *name)
{
	if (q == SPOOL_TMP)
		return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
	return spool_id_is_valid(name);
}

/* qsort comparator for strings. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Job ids in q, sorted (oldest first). */
int spool_list(struct spool *sp, enum spool_queue q, char ***ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	if ((int)q < 0 || q >= SPOOL_NQUEUES)
		return -EINVAL;
	DIR *d = opendir(sp->dirs[q]);
	if (!d)
		return -errno;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (!entry_counts(q, e->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[cnt++] = xstrdup(e->d_name);
	}
	int rc = errno ? -errno : 0;
	closedir(d);
	if (rc < 0) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof *v, cmp_str);
	*ids = v;
	*n = cnt;
	return 0;
}

/* Number of entries in q and the oldest mtime. */
int spool_stat(struct spool *sp, enum spool_queue q, struct spool_queue_stat *st)
{
	char **ids;
	size_t n;
	memset(st, 0, sizeof *st);
	int rc = spool_list(sp, q, &ids, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(sp->dirs[q], ids[i]);
		struct stat s;
		if (lstat(p, &s) == 0) { /* gone meanwhile: not counted */
			st->count++;
			if (st->oldest == 0 || s.st_mtime < st->oldest)
				st->oldest = s.st_mtime;
		}
		free(p);
		free(ids[i]);
	}
	free(ids);
	return 0;
}

/* --------------------------------------------------------------- recovery */

/* Pid of the writer encoded in a temp name ("w<pid>.<seq>.<id>" from this module,
 * ".w-<pid>-..." from util's file_write_durable), or 0 when unknown. */
static pid_t tmp_writer_pid(const char *name)
{
	const char *p;
	char stop;
	if (name[0] == 'w') {
		p = name + 1;
		stop = '.';
	} else if (strncmp(name, ".w-", 3) == 0) {
		p = name + 3;
		stop = '-';
	} else {
		return 0;
	}
	const char *e = strchr(p, stop);
	uint64_t v;
	if (!e || span_to_u64((struct span){ p, (size_t)(e - p) }, &v) < 0 || v == 0 ||
	    v > 0x7fffffff)
		return 0;
	return (pid_t)v;
}

/* Remove temp files whose writer process is gone; others are left alone. */
static int recover_tmp(struct spool *sp, size_t *removed)
{
	char **names;
	size_t n;
	int rc = spool_list(sp, SPOOL_TMP, &names, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		pid_t pid = tmp_writer_pid(names[i]);
		char *p = path_join(sp->dirs[SPOOL_TMP], names[i]);
		struct stat st;
		if (pid > 0 && pid != getpid() && kill(pid, 0) < 0 && errno == ESRCH &&
		    lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (unlink(p) == 0) {
				(*removed)++;
				log_info("spool: removed tmp/%s left by dead process %ld", names[i],
					 (long)pid);
			}
		}
		free(p);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* Whether two open job bodies (fds at their body) are byte-identical. */
static int same_body(int a, uint64_t alen, int b, uint64_t blen)
{
	if (alen != blen)
		return 0;
	char *x = xmalloc(CHUNK), *y = xmalloc(CHUNK);
	int same = 1;
	uint64_t left = alen;
	while (left > 0 && same) {
		size_t want = left < CHUNK ? (size_t)left : CHUNK;
		ssize_t r1 = read(a, x, want), r2 = read(b, y, want);
		if (r1 <= 0 || r2 != r1 || memcmp(x, y, (size_t)r1) != 0)
			same = 0;
		else
			left -= (uint64_t)r1;
	}
	free(x);
	free(y);
	return same;
}

/* active/<id> while another queue also holds <id>: drop the active copy when the
 * other one is a complete copy of the same document, otherwise leave both. */
static int recover_leftover(struct spool *sp, const char *id, enum spool_queue other)
{
	struct spool_meta ma, mo;
	int fa = -1, fo = -1, rc;
	uint64_t la = 0, lo = 0;
	rc = spool_open_job(sp, SPOOL_ACTIVE, id, &ma, &fa, &la);
	if (rc == 0)
		rc = spool_open_job(sp, other, id, &mo, &fo, &lo);
	if (rc == 0 && !same_body(fa, la, fo, lo))
		rc = -EEXIST;
	if (rc == 0) {
		char *p = path_join(sp->dirs[SPOOL_ACTIVE], id);
		if (unlink(p) < 0)
			rc = -errno;
		free(p);
		if (rc == 0)
			rc = fsync_dir(sp->dirs[SPOOL_ACTIVE]);
		if (rc == 0)
			log_info("spool: removed active/%s, a leftover of an interrupted move to %s",
				 id, queue_names[other]);
	} else {
		log_error("spool: active/%s and %s/%s both exist and differ or cannot be read (%s); "
			  "left for an operator", id, queue_names[other], id, strerror(-rc));
	}
	if (fa >= 0)
		close(fa);
	if (fo >= 0)
		close(fo);
	spool_meta_clear(&ma);
	spool_meta_clear(&mo);
	return rc;
}

/* Put active/ jobs without a live owner back into incoming/ (or drop leftover copies),
 * and remove temp files of dead writers. */
int spool_recover(struct spool *sp, size_t *returned)
{
	char **ids = NULL;
	size_t n = 0, back = 0, removed = 0;
	int rc;
	if ((rc = recover_tmp(sp, &removed)) < 0)
		goto out;
	if ((rc = spool_list(sp, SPOOL_ACTIVE, &ids, &n)) < 0)
		goto out;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *path = path_join(sp->dirs[SPOOL_ACTIVE], ids[i]);
		int fd = -1;
		int lr = lock_job(path, &fd);
		if (lr < 0) {
			/* -EBUSY: a live worker owns it; -ENOENT/-ESTALE: it moved meanwhile */
			if (lr != -EBUSY && lr != -ENOENT && lr != -ESTALE)
				log_warn("spool: active/%s skipped: %s", ids[i], strerror(-lr));
			free(path);
			continue;
		}
		enum spool_queue other = SPOOL_NQUEUES;
		for (int q = SPOOL_INCOMING; q < SPOOL_NQUEUES; q++) {
			if (q == SPOOL_ACTIVE)
				continue;
			char *p = path_join(sp->dirs[q], ids[i]);
			if (path_exists(p))
				other = (enum spool_queue)q;
			free(p);
			if (other != SPOOL_NQUEUES)
				break;
		}
		if (other != SPOOL_NQUEUES) {
			recover_leftover(sp, ids[i], other);
		} else {
			char *dst = path_join(sp->dirs[SPOOL_INCOMING], ids[i]);
			int mr = rename_noreplace(path, dst);
			if (mr == 0) {
				back++;
				log_info("spool: active/%s returned to incoming/", ids[i]);
			} else {
				log_error("spool: cannot return active/%s to incoming/: %s", ids[i],
					  strerror(-mr));
			}
			free(dst);
		}
		close(fd);
		free(path);
	}
	if (rc == 0 && n > 0)
		rc = fsync_pair(sp, SPOOL_INCOMING, SPOOL_ACTIVE);
out:
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	if (returned)
		*returned = back;
	return rc;
}

/* ------------------------------------------------------ streamed writers */

/* A job being written in tmp/ by the caller (added for the transports). */
struct spool_writer {
	struct spool *sp;
	char id[SPOOL_ID_MAX];
	char *tmp;
	int fd;
};

/* Create tmp/w<pid>.<seq>.<id> with the header of meta; the body follows from the caller. */
int spool_writer_open(struct spool *sp, struct spool_meta *meta, struct spool_writer **out)
{
	struct buf h;
	struct spool_writer *w = NULL;
	int given = meta->id[0] != '\0', rc;
	*out = NULL;
	buf_init(&h, SPOOL_HEADER_MAX);
	if ((rc = meta_prepare(meta)) < 0)
		goto out;
	if (given && spool_locate(sp, meta->id, NULL) == 0) {
		rc = -EEXIST;
		goto out;
	}
	if ((rc = header_build(meta, &h)) < 0)
		goto out;
	w = xcalloc(1, sizeof *w);
	w->sp = sp;
	snprintf(w->id, sizeof w->id, "%s", meta->id);
	if ((w->fd = tmp_open(sp, meta->id, &w->tmp)) < 0) {
		rc = w->fd;
		free(w);
		w = NULL;
		goto out;
	}
	if ((rc = write_all(w->fd, h.data, h.len)) < 0) {
		spool_writer_abort(w);
		w = NULL;
		goto out;
	}
	*out = w;
out:
	if (rc < 0)
		log_error("spool: cannot start writing job %s: %s", spool_id_is_valid(meta->id) ? meta->id : "(new)",
			  strerror(-rc));
	buf_free(&h);
	return rc;
}

/* The descriptor the body is written to. */
int spool_writer_fd(const struct spool_writer *w)
{
	return w->fd;
}

/* Drop an unfinished job: its temp file is removed. */
void spool_writer_abort(struct spool_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp) {
		unlink(w->tmp);
		free(w->tmp);
	}
	free(w);
}

/* fsync, close, rename into q (never replacing), fsync q; frees w either way. */
int spool_writer_commit(struct spool_writer *w, enum spool_queue q)
{
	char *dst = NULL;
	int rc;
	if ((int)q <= SPOOL_TMP || q == SPOOL_ACTIVE || q >= SPOOL_NQUEUES) {
		spool_writer_abort(w);
		return -EINVAL;
	}
	rc = tmp_finish(w->fd);
	w->fd = -1;
	if (rc < 0)
		goto out;
	dst = path_join(w->sp->dirs[q], w->id);
	if ((rc = rename_noreplace(w->tmp, dst)) < 0)
		goto out;
	free(w->tmp);
	w->tmp = NULL;
	rc = fsync_dir(w->sp->dirs[q]);
out:
	if (rc < 0)
		log_error("spool: commit of %s into %s failed: %s", w->id, queue_names[q], strerror(-rc));
	free(dst);
	spool_writer_abort(w);
	return rc;
}
