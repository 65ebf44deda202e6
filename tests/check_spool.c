/* check_spool — job ids, job files and headers, claim race, moves, recovery, limits. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool/spool.h"
#include "testutil.h"
#include "util/util.h"

#define FIXTURE_ID "20261122T052500Z-00001234-00000001-9f3a1c2e"
#define T_20261122 ((time_t)1795325100) /* 2026-11-22T05:25:00Z */

/* A fresh spool in a new temp dir; *dir gets the temp dir (spool root is dir/spool). */
static struct spool *new_spool(char **dir)
{
	*dir = tu_tmpdir();
	char *root = path_join(*dir, "spool");
	struct spool *sp;
	ck_assert_int_eq(spool_open(&sp, root), 0);
	free(root);
	return sp;
}

/* Contents of q/<id> (allocated). */
static char *job_text(struct spool *sp, enum spool_queue q, const char *id, size_t *len)
{
	char *p = path_join(spool_dir(sp, q), id);
	char *t = tu_read(p, len);
	free(p);
	return t;
}

/* Number of entries in a queue (tmp/: every file, dot files included). */
static size_t qcount(struct spool *sp, enum spool_queue q)
{
	struct spool_queue_stat st;
	ck_assert_int_eq(spool_stat(sp, q, &st), 0);
	return st.count;
}

/* Enqueue a small job and return its id in out. */
static void enqueue_simple(struct spool *sp, const char *body, char out[SPOOL_ID_MAX])
{
	struct spool_meta m = { .partner = (char *)"acme", .source = (char *)"ingest" };
	ck_assert_int_eq(spool_enqueue(sp, &m, body, strlen(body)), 0);
	memcpy(out, m.id, SPOOL_ID_MAX);
}

START_TEST(test_ids)
{
	char prev[SPOOL_ID_MAX] = "", id[SPOOL_ID_MAX], pid[16];
	snprintf(pid, sizeof pid, "-%08ld-", (long)getpid());
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(spool_new_id(id), 0);
		ck_assert(spool_id_is_valid(id));
		ck_assert_uint_eq(strlen(id), 43);
		ck_assert_int_eq(id[8], 'T');
		ck_assert_int_eq(id[15], 'Z');
		ck_assert(strstr(id, pid) == id + 16);
		ck_assert_msg(strcmp(prev, id) < 0, "ids must sort in creation order: %s !< %s",
			      prev, id);
		memcpy(prev, id, sizeof id);
	}
	/* the id length limit: 62 and 63 characters valid, 64 not */
	char longid[SPOOL_ID_MAX + 2];
	memset(longid, 'a', sizeof longid);
	longid[SPOOL_ID_MAX - 2] = '\0';
	ck_assert(spool_id_is_valid(longid));
	longid[SPOOL_ID_MAX - 2] = 'a';
	longid[SPOOL_ID_MAX - 1] = '\0';
	ck_assert(spool_id_is_valid(longid));
	longid[SPOOL_ID_MAX - 1] = 'a';
	longid[SPOOL_ID_MAX] = '\0';
	ck_assert(!spool_id_is_valid(longid));
	ck_assert(!spool_id_is_valid(""));
	ck_assert(!spool_id_is_valid("-abc"));
	ck_assert(!spool_id_is_valid("a.b"));
	ck_assert(!spool_id_is_valid("../x"));
	ck_assert(!spool_id_is_valid("a b"));
}
END_TEST

START_TEST(test_layout)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	static const char *names[] = { "tmp", "incoming", "active", "deferred",
				       "hold", "failed", "archive", "sent" };
	for (int q = 0; q < SPOOL_NQUEUES; q++) {
		char *p = path_join(spool_root(sp), names[q]);
		struct stat st;
		ck_assert_int_eq(lstat(p, &st), 0);
		ck_assert(S_ISDIR(st.st_mode));
		ck_assert_str_eq(spool_dir(sp, q), p);
		ck_assert_str_eq(spool_queue_name(q), names[q]);
		free(p);
	}
	char *ob = NULL;
	ck_assert_int_eq(spool_outbound_dir(sp, "acme", &ob), 0);
	char *want = xasprintf("%s/outbound/acme", spool_root(sp));
	ck_assert_str_eq(ob, want);
	struct stat st;
	ck_assert_int_eq(lstat(ob, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	free(ob);
	free(want);
	ck_assert_int_eq(spool_outbound_dir(sp, "../../etc", &ob), -EINVAL);
	ck_assert_ptr_null(ob);
	ck_assert_int_eq(spool_outbound_dir(sp, ".hidden", &ob), -EINVAL);
	ck_assert_int_eq(spool_outbound_dir(sp, "a/b", &ob), -EINVAL);
	spool_free(sp);
	/* a queue directory that is a symlink is refused */
	char *root2 = path_join(dir, "spool2");
	ck_assert_int_eq(mkdir(root2, 0750), 0);
	char *hold = path_join(root2, "hold");
	ck_assert_int_eq(symlink("/tmp", hold), 0);
	ck_assert_int_eq(spool_open(&sp, root2), -ENOTDIR);
	ck_assert_ptr_null(sp);
	free(hold);
	free(root2);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_roundtrip)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	struct spool_meta m = {
		.partner = (char *)"acme",
		.orig_name = (char *)"PO 123.x12",
		.source = (char *)"drop:acme",
		.received = T_20261122,
	};
	static const char body[] = "ISA*00*~GS*PO~\n\nend\x01\xff";
	ck_assert_int_eq(spool_enqueue(sp, &m, body, sizeof body - 1), 0);
	ck_assert(spool_id_is_valid(m.id));
	ck_assert_uint_eq(qcount(sp, SPOOL_TMP), 0);
	ck_assert_uint_eq(qcount(sp, SPOOL_INCOMING), 1);

	char *want_hdr = xasprintf("Edigw-Job: %s\nPartner: acme\nOriginal-Name: PO 123.x12\n"
				   "Source: drop:acme\nReceived: 2026-11-22T05:25:00Z\n"
				   "Attempts: 0\nRelease: 0\n\n", m.id);
	size_t len;
	char *t = job_text(sp, SPOOL_INCOMING, m.id, &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(len, strlen(want_hdr) + sizeof body - 1);
	ck_assert(memcmp(t, want_hdr, strlen(want_hdr)) == 0);
	ck_assert(memcmp(t + strlen(want_hdr), body, sizeof body - 1) == 0);
	free(t);

	enum spool_queue q;
	ck_assert_int_eq(spool_locate(sp, m.id, &q), 0);
	ck_assert_int_eq(q, SPOOL_INCOMING);

	ck_assert_int_eq(spool_claim(sp, m.id), 0);
	ck_assert_int_eq(spool_claim(sp, m.id), -ENOENT);
	ck_assert_int_eq(spool_locate(sp, m.id, &q), 0);
	ck_assert_int_eq(q, SPOOL_ACTIVE);

	/* reading: fd at the body, exact body length, parsed header */
	struct spool_meta r;
	int fd;
	uint64_t blen;
	ck_assert_int_eq(spool_open_job(sp, SPOOL_ACTIVE, m.id, &r, &fd, &blen), 0);
	ck_assert_uint_eq(blen, sizeof body - 1);
	char got[64];
	ck_assert_int_eq(read(fd, got, sizeof got), (ssize_t)(sizeof body - 1));
	ck_assert(memcmp(got, body, sizeof body - 1) == 0);
	close(fd);
	ck_assert_str_eq(r.id, m.id);
	ck_assert_str_eq(r.partner, "acme");
	ck_assert_str_eq(r.orig_name, "PO 123.x12");
	ck_assert_str_eq(r.source, "drop:acme");
	ck_assert_ptr_null(r.reason);
	ck_assert_int_eq(r.received, T_20261122);
	ck_assert_uint_eq(r.attempts, 0);
	ck_assert_int_eq(r.release, 0);
	spool_meta_clear(&r);

	/* move with a reason: header rewritten, body unchanged, one copy only */
	ck_assert_int_eq(spool_move(sp, m.id, SPOOL_ACTIVE, SPOOL_FAILED, "ISA13/IEA02 mismatch", -1), 0);
	ck_assert_int_eq(spool_locate(sp, m.id, &q), 0);
	ck_assert_int_eq(q, SPOOL_FAILED);
	ck_assert_uint_eq(qcount(sp, SPOOL_ACTIVE), 0);
	ck_assert_uint_eq(qcount(sp, SPOOL_TMP), 0);
	char *want2 = xasprintf("Edigw-Job: %s\nPartner: acme\nOriginal-Name: PO 123.x12\n"
				"Source: drop:acme\nReceived: 2026-11-22T05:25:00Z\n"
				"Reason: ISA13/IEA02 mismatch\nAttempts: 0\nRelease: 0\n\n", m.id);
	t = job_text(sp, SPOOL_FAILED, m.id, &len);
	ck_assert_uint_eq(len, strlen(want2) + sizeof body - 1);
	ck_assert(memcmp(t, want2, strlen(want2)) == 0);
	ck_assert(memcmp(t + strlen(want2), body, sizeof body - 1) == 0);
	free(t);

	/* operator release: reason kept (NULL), Release set, back to incoming */
	ck_assert_int_eq(spool_move(sp, m.id, SPOOL_FAILED, SPOOL_INCOMING, NULL, 1), 0);
	char *want3 = tu_replace(want2, "Release: 0", "Release: 1");
	t = job_text(sp, SPOOL_INCOMING, m.id, &len);
	ck_assert(memcmp(t, want3, strlen(want3)) == 0);
	free(t);

	/* a retry: Attempts incremented; "" removes the reason */
	ck_assert_int_eq(spool_claim(sp, m.id), 0);
	ck_assert_int_eq(spool_move_retry(sp, m.id, SPOOL_ACTIVE, SPOOL_DEFERRED, ""), 0);
	ck_assert_int_eq(spool_open_job(sp, SPOOL_DEFERRED, m.id, &r, &fd, &blen), 0);
	close(fd);
	ck_assert_uint_eq(r.attempts, 1);
	ck_assert_ptr_null(r.reason);
	ck_assert_int_eq(r.release, 1);
	ck_assert_uint_eq(blen, sizeof body - 1);
	spool_meta_clear(&r);

	/* plain rename keeps the very same file */
	struct stat a, b;
	char *pd = path_join(spool_dir(sp, SPOOL_DEFERRED), m.id);
	ck_assert_int_eq(lstat(pd, &a), 0);
	ck_assert_int_eq(spool_move(sp, m.id, SPOOL_DEFERRED, SPOOL_ARCHIVE, NULL, -1), 0);
	char *pa = path_join(spool_dir(sp, SPOOL_ARCHIVE), m.id);
	ck_assert_int_eq(lstat(pa, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(spool_move(sp, m.id, SPOOL_DEFERRED, SPOOL_ARCHIVE, NULL, -1), -ENOENT);
	ck_assert_int_eq(spool_move(sp, m.id, SPOOL_ARCHIVE, SPOOL_TMP, NULL, -1), -EINVAL);
	ck_assert_int_eq(spool_move(sp, "../x", SPOOL_ARCHIVE, SPOOL_HOLD, NULL, -1), -EINVAL);
	ck_assert_int_eq(spool_locate(sp, "no-such-job", &q), -ENOENT);

	/* never two copies: a move onto an existing id is refused */
	char other[SPOOL_ID_MAX];
	enqueue_simple(sp, "x", other);
	char *ph = path_join(spool_dir(sp, SPOOL_HOLD), other);
	ck_assert_int_eq(tu_write(ph, "y", 1), 0);
	ck_assert_int_eq(spool_move(sp, other, SPOOL_INCOMING, SPOOL_HOLD, NULL, -1), -EEXIST);
	t = tu_read(ph, NULL);
	ck_assert_str_eq(t, "y");
	free(t);
	ck_assert_uint_eq(qcount(sp, SPOOL_INCOMING), 1);

	free(ph); free(pd); free(pa);
	free(want_hdr); free(want2); free(want3);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_hostile_names)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	struct spool_meta m = {
		.partner = (char *)"../../etc/passwd",
		.orig_name = (char *)"../../etc/passwd\r\nRelease: 1\x7f\xc3\xa9",
		.source = (char *)"sftp:acme",
		.received = T_20261122,
	};
	ck_assert_int_eq(spool_enqueue(sp, &m, "data", 4), 0);
	/* nothing outside the spool: the temp dir holds only spool/ */
	ck_assert_int_eq(tu_count_files(dir), 0);
	char *etc = path_join(dir, "etc");
	ck_assert(!path_exists(etc));
	free(etc);
	/* the job is named by our id, the names are only header text, on one line each */
	char *first = tu_first_file(spool_dir(sp, SPOOL_INCOMING));
	ck_assert_str_eq(first, m.id);
	free(first);
	char *t = job_text(sp, SPOOL_INCOMING, m.id, NULL);
	char *want = xasprintf("Edigw-Job: %s\nPartner: ../../etc/passwd\n"
			       "Original-Name: ../../etc/passwd\\x0d\\x0aRelease: 1\\x7f\\xc3\\xa9\n"
			       "Source: sftp:acme\nReceived: 2026-11-22T05:25:00Z\n"
			       "Attempts: 0\nRelease: 0\n\ndata", m.id);
	ck_assert_str_eq(t, want);
	free(t);
	free(want);
	struct spool_meta r;
	int fd;
	uint64_t blen;
	ck_assert_int_eq(spool_open_job(sp, SPOOL_INCOMING, m.id, &r, &fd, &blen), 0);
	close(fd);
	ck_assert_str_eq(r.partner, "../../etc/passwd");
	ck_assert_str_eq(r.orig_name, "../../etc/passwd\\x0d\\x0aRelease: 1\\x7f\\xc3\\xa9");
	ck_assert_int_eq(r.release, 0); /* the injected line did not become a header */
	/* rewriting a parsed header does not escape it twice */
	ck_assert_int_eq(spool_claim(sp, m.id), 0);
	ck_assert_int_eq(spool_move(sp, m.id, SPOOL_ACTIVE, SPOOL_HOLD, "unknown partner", -1), 0);
	struct spool_meta r2;
	ck_assert_int_eq(spool_open_job(sp, SPOOL_HOLD, m.id, &r2, &fd, &blen), 0);
	close(fd);
	ck_assert_str_eq(r2.orig_name, r.orig_name);
	spool_meta_clear(&r);
	spool_meta_clear(&r2);
	/* a caller-chosen id that is not an id is refused */
	struct spool_meta bad = { .received = 1 };
	memcpy(bad.id, "../../x", 8);
	ck_assert_int_eq(spool_enqueue(sp, &bad, "d", 1), -EINVAL);
	ck_assert_int_eq(spool_claim(sp, "../hold/x"), -EINVAL);
	ck_assert_uint_eq(qcount(sp, SPOOL_TMP), 0);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Enqueue with a value of n bytes as Reason and return the stored value. */
static char *stored_reason(struct spool *sp, size_t n, char fill)
{
	char *v = xmalloc(n + 1);
	memset(v, fill, n);
	v[n] = '\0';
	struct spool_meta m = { .reason = v };
	ck_assert_int_eq(spool_enqueue(sp, &m, "", 0), 0);
	free(v);
	struct spool_meta r;
	int fd;
	uint64_t blen;
	ck_assert_int_eq(spool_open_job(sp, SPOOL_INCOMING, m.id, &r, &fd, &blen), 0);
	close(fd);
	ck_assert_uint_eq(blen, 0);
	char *out = r.reason;
	r.reason = NULL;
	spool_meta_clear(&r);
	return out;
}

START_TEST(test_value_caps)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	char *v = stored_reason(sp, SPOOL_VALUE_MAX - 1, 'a'); /* one below: kept */
	ck_assert_uint_eq(strlen(v), SPOOL_VALUE_MAX - 1);
	free(v);
	v = stored_reason(sp, SPOOL_VALUE_MAX, 'a'); /* at: kept */
	ck_assert_uint_eq(strlen(v), SPOOL_VALUE_MAX);
	ck_assert(v[SPOOL_VALUE_MAX - 1] == 'a');
	free(v);
	v = stored_reason(sp, SPOOL_VALUE_MAX + 1, 'a'); /* above: cut, marked */
	ck_assert_uint_eq(strlen(v), SPOOL_VALUE_MAX);
	ck_assert_str_eq(v + SPOOL_VALUE_MAX - 3, "...");
	ck_assert(v[SPOOL_VALUE_MAX - 4] == 'a');
	free(v);
	/* escapes count after escaping and are never cut in half */
	v = stored_reason(sp, SPOOL_VALUE_MAX / 4, '\n'); /* 256 bytes -> 1024 escaped: kept */
	ck_assert_uint_eq(strlen(v), SPOOL_VALUE_MAX);
	free(v);
	v = stored_reason(sp, SPOOL_VALUE_MAX / 4 + 1, '\n');
	ck_assert_str_eq(v + strlen(v) - 7, "\\x0a...");
	ck_assert_uint_le(strlen(v), SPOOL_VALUE_MAX);
	free(v);

	/* the parser's own cap: a value of SPOOL_VALUE_MAX bytes reads, one more is refused */
	for (int extra = 0; extra <= 1; extra++) {
		char *val = xmalloc(SPOOL_VALUE_MAX + 2);
		memset(val, 'b', SPOOL_VALUE_MAX + extra);
		val[SPOOL_VALUE_MAX + extra] = '\0';
		char *job = xasprintf("Edigw-Job: %s\nReason: %s\nReceived: 2026-11-22T05:25:00Z\n"
				      "Attempts: 0\nRelease: 0\n\nbody", FIXTURE_ID, val);
		char *p = path_join(spool_dir(sp, SPOOL_HOLD), FIXTURE_ID);
		ck_assert_int_eq(tu_write(p, job, strlen(job)), 0);
		struct spool_meta r;
		int fd;
		uint64_t blen;
		int rc = spool_open_job(sp, SPOOL_HOLD, FIXTURE_ID, &r, &fd, &blen);
		if (extra) {
			ck_assert_int_eq(rc, -EBADMSG);
			ck_assert_int_eq(fd, -1);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(strlen(r.reason), SPOOL_VALUE_MAX);
			ck_assert_uint_eq(blen, 4);
			close(fd);
		}
		spool_meta_clear(&r);
		unlink(p);
		free(p); free(job); free(val);
	}
	/* no blank line within SPOOL_HEADER_MAX bytes: refused */
	char *big = xmalloc(SPOOL_HEADER_MAX + 100);
	int n = snprintf(big, SPOOL_HEADER_MAX, "Edigw-Job: %s\nReason: ", FIXTURE_ID);
	memset(big + n, 'c', SPOOL_HEADER_MAX + 100 - (size_t)n);
	char *p = path_join(spool_dir(sp, SPOOL_HOLD), FIXTURE_ID);
	ck_assert_int_eq(tu_write(p, big, SPOOL_HEADER_MAX + 100), 0);
	struct spool_meta r;
	int fd;
	uint64_t blen;
	ck_assert_int_eq(spool_open_job(sp, SPOOL_HOLD, FIXTURE_ID, &r, &fd, &blen), -EBADMSG);
	free(p);
	free(big);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_header_fixtures)
{
	static const char *bad[] = {
		"bad-unknown-key.job", "bad-repeated-key.job", "bad-job-not-first.job",
		"bad-id-mismatch.job", "bad-control-char.job", "bad-crlf.job", "bad-date.job",
		"bad-attempts.job", "bad-attempts-range.job", "bad-release.job",
		"bad-no-space.job", "bad-missing-received.job", "bad-no-blank-line.job",
		"bad-empty-header.job",
	};
	char *dir;
	struct spool *sp = new_spool(&dir);
	char *dst = path_join(spool_dir(sp, SPOOL_HOLD), FIXTURE_ID);
	struct spool_meta r;
	int fd;
	uint64_t blen;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *rel = xasprintf("tests/data/spool/%s", bad[i]);
		char *src = tu_srcpath(rel);
		size_t len;
		char *data = tu_read(src, &len);
		ck_assert_msg(data != NULL, "fixture %s missing", src);
		ck_assert_int_eq(tu_write(dst, data, len), 0);
		int rc = spool_open_job(sp, SPOOL_HOLD, FIXTURE_ID, &r, &fd, &blen);
		ck_assert_msg(rc == -EBADMSG, "%s: expected -EBADMSG, got %d", bad[i], rc);
		ck_assert_int_eq(fd, -1);
		ck_assert_ptr_null(r.partner);
		free(data); free(src); free(rel);
	}
	/* a claimed job with a bad header can still leave active/, unchanged */
	char *bsrc = tu_srcpath("tests/data/spool/bad-unknown-key.job");
	size_t blen0;
	char *bdata = tu_read(bsrc, &blen0);
	char *inc = path_join(spool_dir(sp, SPOOL_INCOMING), FIXTURE_ID);
	ck_assert_int_eq(tu_write(inc, bdata, blen0), 0);
	ck_assert_int_eq(spool_claim(sp, FIXTURE_ID), 0);
	ck_assert_int_eq(spool_open_job(sp, SPOOL_ACTIVE, FIXTURE_ID, &r, &fd, &blen), -EBADMSG);
	ck_assert_int_eq(spool_move(sp, FIXTURE_ID, SPOOL_ACTIVE, SPOOL_FAILED,
				    "cannot read the job file", -1), 0);
	ck_assert_uint_eq(qcount(sp, SPOOL_ACTIVE), 0);
	ck_assert_uint_eq(qcount(sp, SPOOL_TMP), 0);
	size_t flen;
	char *fpath = path_join(spool_dir(sp, SPOOL_FAILED), FIXTURE_ID);
	char *fdata = tu_read(fpath, &flen);
	ck_assert_uint_eq(flen, blen0);
	ck_assert(memcmp(fdata, bdata, blen0) == 0);
	free(fdata); free(fpath); free(inc); free(bdata); free(bsrc);

	char *src = tu_srcpath("tests/data/spool/good.job");
	size_t len;
	char *data = tu_read(src, &len);
	ck_assert_int_eq(tu_write(dst, data, len), 0);
	ck_assert_int_eq(spool_open_job(sp, SPOOL_HOLD, FIXTURE_ID, &r, &fd, &blen), 0);
	ck_assert_str_eq(r.partner, "acme");
	ck_assert_str_eq(r.orig_name, "PO 123.x12");
	ck_assert_str_eq(r.source, "drop:acme");
	ck_assert_str_eq(r.reason, "held by operator");
	ck_assert_int_eq(r.received, T_20261122);
	ck_assert_uint_eq(r.attempts, 3);
	ck_assert_int_eq(r.release, 1);
	static const char body[] = "ISA*00*~\n\nbody with a blank line\n";
	ck_assert_uint_eq(blen, sizeof body - 1);
	char got[64] = { 0 };
	ck_assert_int_eq(read(fd, got, sizeof got), (ssize_t)blen);
	ck_assert_str_eq(got, body);
	close(fd);
	spool_meta_clear(&r);
	/* rewriting the fixture's header reproduces it byte for byte */
	ck_assert_int_eq(spool_move(sp, FIXTURE_ID, SPOOL_HOLD, SPOOL_HOLD, NULL, 1), 0);
	size_t len2;
	char *again = tu_read(dst, &len2);
	ck_assert_uint_eq(len2, len);
	ck_assert(memcmp(again, data, len) == 0);
	free(again); free(data); free(src); free(dst);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_claim_race)
{
	enum { NJOBS = 50, NCHILD = 4 };
	char *dir;
	struct spool *sp = new_spool(&dir);
	char ids[NJOBS][SPOOL_ID_MAX];
	for (int i = 0; i < NJOBS; i++)
		enqueue_simple(sp, "ISA~", ids[i]);
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	pid_t kids[NCHILD];
	for (int c = 0; c < NCHILD; c++) {
		kids[c] = fork();
		ck_assert_int_ge(kids[c], 0);
		if (kids[c] == 0) {
			struct spool *mine;
			char x;
			int won = 0;
			close(go[1]);
			if (spool_open(&mine, spool_root(sp)) < 0)
				_exit(255);
			if (read(go[0], &x, 1) < 0) /* wait until every child is ready */
				_exit(255);
			for (int i = 0; i < NJOBS; i++) {
				int rc = spool_claim(mine, ids[(i + c * 7) % NJOBS]);
				if (rc == 0)
					won++;
				else if (rc != -ENOENT)
					_exit(254);
			}
			spool_free(mine);
			_exit(won);
		}
	}
	close(go[0]);
	close(go[1]); /* EOF releases all children at once */
	int total = 0;
	for (int c = 0; c < NCHILD; c++) {
		int st;
		ck_assert_int_eq(waitpid(kids[c], &st, 0), kids[c]);
		ck_assert(WIFEXITED(st));
		ck_assert_int_le(WEXITSTATUS(st), NJOBS);
		total += WEXITSTATUS(st);
	}
	/* every job claimed exactly once: 50 successes in all and none left over */
	ck_assert_int_eq(total, NJOBS);
	ck_assert_uint_eq(qcount(sp, SPOOL_ACTIVE), NJOBS);
	ck_assert_uint_eq(qcount(sp, SPOOL_INCOMING), 0);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_recover_plain)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	char a[SPOOL_ID_MAX], b[SPOOL_ID_MAX], c[SPOOL_ID_MAX];
	enqueue_simple(sp, "A", a);
	enqueue_simple(sp, "B", b);
	enqueue_simple(sp, "C", c);
	char *before = job_text(sp, SPOOL_INCOMING, a, NULL);
	ck_assert_int_eq(spool_claim(sp, a), 0);
	ck_assert_int_eq(spool_claim(sp, b), 0);

	/* the claiming worker is alive (this struct): recovery elsewhere leaves its jobs */
	struct spool *other;
	size_t back = 99;
	ck_assert_int_eq(spool_open(&other, spool_root(sp)), 0);
	ck_assert_int_eq(spool_recover(other, &back), 0);
	ck_assert_uint_eq(back, 0);
	ck_assert_uint_eq(qcount(sp, SPOOL_ACTIVE), 2);
	/* and nobody else may move them */
	ck_assert_int_eq(spool_move(other, a, SPOOL_ACTIVE, SPOOL_FAILED, "x", -1), -EBUSY);

	/* the worker goes away (crash: its locks vanish): both jobs return unchanged */
	spool_free(sp);
	ck_assert_int_eq(spool_recover(other, &back), 0);
	ck_assert_uint_eq(back, 2);
	ck_assert_uint_eq(qcount(other, SPOOL_ACTIVE), 0);
	ck_assert_uint_eq(qcount(other, SPOOL_INCOMING), 3);
	char *after = job_text(other, SPOOL_INCOMING, a, NULL);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);

	/* a worker process killed with SIGKILL while it owns a job */
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct spool *w;
		close(ready[0]);
		if (spool_open(&w, spool_root(other)) < 0 || spool_claim(w, c) < 0)
			_exit(1);
		if (write(ready[1], "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char k = 0;
	ck_assert_int_eq(read(ready[0], &k, 1), 1);
	close(ready[0]);
	ck_assert_int_eq(spool_recover(other, &back), 0);
	ck_assert_uint_eq(back, 0); /* alive: left alone */
	ck_assert_uint_eq(qcount(other, SPOOL_ACTIVE), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(spool_recover(other, &back), 0);
	ck_assert_uint_eq(back, 1);
	enum spool_queue q;
	ck_assert_int_eq(spool_locate(other, c, &q), 0);
	ck_assert_int_eq(q, SPOOL_INCOMING);
	spool_free(other);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_recover_mid_move)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	char a[SPOOL_ID_MAX], b[SPOOL_ID_MAX];
	enqueue_simple(sp, "same body", a);
	enqueue_simple(sp, "body one", b);
	/* crash state of a copying move: the new copy (new header, same body) is durable in
	 * failed/ and the old one is still in active/ */
	char *hdr = xasprintf("Edigw-Job: %s\nPartner: acme\nSource: ingest\n"
			      "Received: 2026-11-22T05:25:00Z\nReason: rejected\n"
			      "Attempts: 0\nRelease: 0\n\nsame body", a);
	char *pf = path_join(spool_dir(sp, SPOOL_FAILED), a);
	ck_assert_int_eq(tu_write(pf, hdr, strlen(hdr)), 0);
	ck_assert_int_eq(spool_claim(sp, a), 0);
	/* the same id in hold/ with a different body: not a copy, must stay */
	char *hb = xasprintf("Edigw-Job: %s\nReceived: 2026-11-22T05:25:00Z\n"
			     "Attempts: 0\nRelease: 0\n\nbody two", b);
	char *ph = path_join(spool_dir(sp, SPOOL_HOLD), b);
	ck_assert_int_eq(tu_write(ph, hb, strlen(hb)), 0);
	ck_assert_int_eq(spool_claim(sp, b), 0);
	spool_free(sp); /* crash */

	ck_assert_int_eq(spool_open(&sp, ""), -EINVAL);
	char *root = path_join(dir, "spool");
	ck_assert_int_eq(spool_open(&sp, root), 0);
	size_t back = 99;
	ck_assert_int_eq(spool_recover(sp, &back), 0);
	ck_assert_uint_eq(back, 0);
	enum spool_queue q;
	ck_assert_int_eq(spool_locate(sp, a, &q), 0);
	ck_assert_int_eq(q, SPOOL_FAILED); /* leftover in active/ removed, durable copy kept */
	char *t = tu_read(pf, NULL);
	ck_assert_str_eq(t, hdr);
	free(t);
	/* b: both copies left for an operator */
	char *pa = path_join(spool_dir(sp, SPOOL_ACTIVE), b);
	ck_assert(path_exists(pa));
	ck_assert(path_exists(ph));
	ck_assert_uint_eq(qcount(sp, SPOOL_ACTIVE), 1);
	free(pa); free(ph); free(hb); free(pf); free(hdr); free(root);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_recover_tmp)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	pid_t dead = fork();
	ck_assert_int_ge(dead, 0);
	if (dead == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
	const char *tmp = spool_dir(sp, SPOOL_TMP);
	char *n1 = xasprintf("%s/w%ld.0.%s", tmp, (long)dead, FIXTURE_ID);   /* ours, dead */
	char *n2 = xasprintf("%s/.w-%ld-0-abcd", tmp, (long)dead);          /* util's, dead */
	char *n3 = xasprintf("%s/w%ld.0.%s", tmp, (long)getpid(), FIXTURE_ID); /* live (us) */
	char *n4 = xasprintf("%s/w%ld.0.%s", tmp, (long)getppid(), FIXTURE_ID); /* live */
	char *n5 = xasprintf("%s/unknown-file", tmp);                         /* no pid */
	const char *all[] = { n1, n2, n3, n4, n5 };
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tu_write(all[i], "x", 1), 0);
	size_t back;
	ck_assert_int_eq(spool_recover(sp, &back), 0);
	ck_assert(!path_exists(n1));
	ck_assert(!path_exists(n2));
	ck_assert(path_exists(n3));
	ck_assert(path_exists(n4));
	ck_assert(path_exists(n5));
	ck_assert_uint_eq(qcount(sp, SPOOL_TMP), 3);
	for (int i = 0; i < 5; i++)
		free((char *)all[i]);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* A file of n bytes; returns an fd open for reading at offset 0. */
static int body_file(const char *dir, size_t n)
{
	char *p = path_join(dir, "body");
	char *b = xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + i % 26);
	ck_assert_int_eq(tu_write(p, b, n), 0);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	free(b);
	free(p);
	return fd;
}

START_TEST(test_enqueue_fd_limit)
{
	enum { N = 200001 }; /* several chunks */
	char *dir;
	struct spool *sp = new_spool(&dir);
	for (int d = -1; d <= 1; d++) {
		int fd = body_file(dir, N);
		struct spool_meta m = { .source = (char *)"as2:acme" };
		int rc = spool_enqueue_fd(sp, &m, fd, (uint64_t)(N + d));
		close(fd);
		if (d < 0) {
			ck_assert_int_eq(rc, -EFBIG); /* limit one below the size */
			ck_assert_uint_eq(qcount(sp, SPOOL_INCOMING), 0);
		} else {
			ck_assert_int_eq(rc, 0);
			struct spool_meta r;
			int jf;
			uint64_t blen;
			ck_assert_int_eq(spool_open_job(sp, SPOOL_INCOMING, m.id, &r, &jf, &blen), 0);
			ck_assert_uint_eq(blen, N);
			char *got = xmalloc(N);
			ssize_t tot = 0, r1;
			while ((r1 = read(jf, got + tot, N - (size_t)tot)) > 0)
				tot += r1;
			ck_assert_int_eq(tot, N);
			ck_assert(got[0] == 'a' && got[N - 1] == (char)('a' + (N - 1) % 26));
			free(got);
			close(jf);
			spool_meta_clear(&r);
		}
		ck_assert_uint_eq(qcount(sp, SPOOL_TMP), 0); /* nothing left behind */
	}
	ck_assert_uint_eq(qcount(sp, SPOOL_INCOMING), 2);
	/* from a pipe (no size known in advance), limit 0 and an empty body */
	int pp[2];
	ck_assert_int_eq(pipe(pp), 0);
	close(pp[1]);
	struct spool_meta m = { 0 };
	ck_assert_int_eq(spool_enqueue_fd(sp, &m, pp[0], 0), 0);
	close(pp[0]);
	ck_assert_int_eq(pipe(pp), 0);
	ck_assert_int_eq(write(pp[1], "z", 1), 1);
	close(pp[1]);
	struct spool_meta m2 = { 0 };
	ck_assert_int_eq(spool_enqueue_fd(sp, &m2, pp[0], 0), -EFBIG);
	close(pp[0]);
	ck_assert_uint_eq(qcount(sp, SPOOL_TMP), 0);
	ck_assert_uint_eq(qcount(sp, SPOOL_INCOMING), 3);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_symlink_refused)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	/* a well-formed job outside the spool, linked into incoming/ */
	char *target = path_join(dir, "outside");
	char *src = tu_srcpath("tests/data/spool/good.job");
	char *data = tu_read(src, NULL);
	ck_assert_int_eq(tu_write(target, data, strlen(data)), 0);
	char *link = path_join(spool_dir(sp, SPOOL_INCOMING), FIXTURE_ID);
	ck_assert_int_eq(symlink(target, link), 0);
	struct spool_meta r;
	int fd = 7;
	uint64_t blen;
	ck_assert_int_eq(spool_open_job(sp, SPOOL_INCOMING, FIXTURE_ID, &r, &fd, &blen), -ELOOP);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_ne(spool_claim(sp, FIXTURE_ID), 0);
	ck_assert(path_exists(link)); /* left where it was */
	unlink(link);
	/* a FIFO is refused without blocking */
	ck_assert_int_eq(mkfifo(link, 0600), 0);
	ck_assert_int_eq(spool_open_job(sp, SPOOL_INCOMING, FIXTURE_ID, &r, &fd, &blen), -EINVAL);
	ck_assert_int_ne(spool_claim(sp, FIXTURE_ID), 0);
	free(link); free(data); free(src); free(target);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_list_stat)
{
	char *dir;
	struct spool *sp = new_spool(&dir);
	char ids[5][SPOOL_ID_MAX];
	for (int i = 0; i < 5; i++)
		enqueue_simple(sp, "x", ids[i]);
	/* make the first one the oldest by mtime */
	char *p0 = path_join(spool_dir(sp, SPOOL_INCOMING), ids[0]);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, p0, ts, AT_SYMLINK_NOFOLLOW), 0);
	char *junk = path_join(spool_dir(sp, SPOOL_INCOMING), ".not-a-job");
	ck_assert_int_eq(tu_write(junk, "j", 1), 0);
	char **list;
	size_t n;
	ck_assert_int_eq(spool_list(sp, SPOOL_INCOMING, &list, &n), 0);
	ck_assert_uint_eq(n, 5);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(list[i], ids[i]); /* creation order */
		free(list[i]);
	}
	free(list);
	struct spool_queue_stat st;
	ck_assert_int_eq(spool_stat(sp, SPOOL_INCOMING, &st), 0);
	ck_assert_uint_eq(st.count, 5);
	ck_assert_int_eq(st.oldest, 1000000000);
	ck_assert_int_eq(spool_stat(sp, SPOOL_HOLD, &st), 0);
	ck_assert_uint_eq(st.count, 0);
	ck_assert_int_eq(st.oldest, 0);
	ck_assert_int_eq(spool_list(sp, SPOOL_HOLD, &list, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(list);
	free(p0);
	free(junk);
	spool_free(sp);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_value_caps);
	tcase_add_test(tc, test_header_fixtures);
	tcase_add_test(tc, test_claim_race);
	tcase_add_test(tc, test_recover_plain);
	tcase_add_test(tc, test_recover_mid_move);
	tcase_add_test(tc, test_recover_tmp);
	tcase_add_test(tc, test_enqueue_fd_limit);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_list_stat);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
