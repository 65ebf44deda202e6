/*
 * spool — Postfix-style queue directories under one root. A job is one file
 * named by an id we generate, holding a small header of our own (RFC 822
 * style "Key: value" lines, a blank line) and then the partner's bytes.
 *
 * Every move between queues is a rename of an fsync'ed file followed by an
 * fsync of the directory; a worker owns a job when its rename from
 * incoming/ to active/ succeeds. Partner names never become paths: the
 * original file name is kept, sanitized, as the Original-Name header.
 */
#ifndef EDIGW_SPOOL_H
#define EDIGW_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/util.h"

enum spool_queue {
	SPOOL_TMP = 0,
	SPOOL_INCOMING,
	SPOOL_ACTIVE,
	SPOOL_DEFERRED,
	SPOOL_HOLD,
	SPOOL_FAILED,
	SPOOL_ARCHIVE,
	SPOOL_SENT,
	SPOOL_NQUEUES
};

#define SPOOL_ID_MAX 64 /* ids are [0-9A-Za-z-], e.g. 20261122T052500Z-00001234-00000007-9f3a1c2e */
#define SPOOL_VALUE_MAX 1024  /* bytes of one header value as stored (longer: cut, "...") */
#define SPOOL_HEADER_MAX 8192 /* bytes of a whole header, blank line included */

/* A well-formed job id: non-empty, [0-9A-Za-z-], < SPOOL_ID_MAX, no leading '-'. */
int spool_id_is_valid(const char *id);

/* The header fields of a job. Strings are owned by the struct (spool_meta_clear).
 * Values are stored as printable ASCII: other bytes become \xNN and values longer
 * than SPOOL_VALUE_MAX are cut, so what spool_open_job returns is the sanitized
 * text. orig_name is metadata for people, not a safe file name: use name_sanitize. */
struct spool_meta {
	char id[SPOOL_ID_MAX];
	char *partner;       /* partner id, or NULL when not yet known */
	char *orig_name;     /* sanitized original file name, or NULL */
	char *source;        /* e.g. "drop:demo-retailer", "ingest" */
	time_t received;
	char *reason;        /* why it is in hold/failed/deferred, or NULL */
	unsigned attempts;
	int release;         /* 1: operator released it from hold (skip duplicate checks) */
};

void spool_meta_clear(struct spool_meta *m);

struct spool;

/* Open (and create, mode 0750) the queue directories under root. */
int spool_open(struct spool **out, const char *root);
void spool_free(struct spool *sp);
const char *spool_root(const struct spool *sp);
/* Path of a queue directory (borrowed). */
const char *spool_dir(const struct spool *sp, enum spool_queue q);
/* Path of outbound/<partner>/, created on demand (allocated). partner must be name_is_safe. */
int spool_outbound_dir(struct spool *sp, const char *partner, char **out);
const char *spool_queue_name(enum spool_queue q);

/* A new unique job id (time, pid-based counter, random). */
int spool_new_id(char out[SPOOL_ID_MAX]);

/* Durably store a new job in incoming/: header from meta (meta->id is set if empty),
 * then data. */
int spool_enqueue(struct spool *sp, struct spool_meta *meta, const void *data, size_t len);
/* Same, reading the body from fd (streamed; at most max bytes, -EFBIG beyond). */
int spool_enqueue_fd(struct spool *sp, struct spool_meta *meta, int fd, uint64_t max);

/* Claim a job: rename incoming/<id> → active/<id>. -ENOENT when another worker won.
 * The claim also holds an flock(2) on the job until it leaves active/ or spool_free,
 * which tells spool_recover in other processes that a live worker owns it. */
int spool_claim(struct spool *sp, const char *id);
/* Move a job between queues. With reason == NULL and release < 0 it is a plain rename;
 * otherwise the header is rewritten (new Reason:, Release:) through tmp/ and the old
 * copy removed only after the new one is durable. release: -1 keep, 0 clear, 1 set. */
int spool_move(struct spool *sp, const char *id, enum spool_queue from, enum spool_queue to,
	       const char *reason, int release);
/* Notes on spool_move (added): reason NULL keeps the stored Reason:, "" removes it.
 * The rewrite replaces from/<id> atomically with the new copy and then renames it, so a
 * job is never in two queues. Only the job's owner may move it: moving an active/ job
 * that another worker has claimed gives -EBUSY; the target must not exist (-EEXIST).
 * A job whose header cannot be parsed is moved unchanged (the reason is only logged). */
/* Like spool_move with the header always rewritten and Attempts: incremented
 * (a failed try, usually active → deferred). reason as for spool_move. (added) */
int spool_move_retry(struct spool *sp, const char *id, enum spool_queue from,
		     enum spool_queue to, const char *reason);

/* Open a job for reading: parses the header into meta, returns an fd positioned at the
 * start of the body and the body length. Refuses symlinks and non-regular files.
 * meta is overwritten (not freed first); -EBADMSG for a malformed header. */
int spool_open_job(struct spool *sp, enum spool_queue q, const char *id, struct spool_meta *meta,
		   int *fd_out, uint64_t *body_len);
/* Find which queue holds a job id; -ENOENT when none. */
int spool_locate(struct spool *sp, const char *id, enum spool_queue *out);

/* Job ids in a queue, oldest first (ids sort by time). Caller frees each and the array. */
int spool_list(struct spool *sp, enum spool_queue q, char ***ids, size_t *n);

/* Start-up recovery: active/ jobs go back to incoming/ (or are dropped when a durable
 * copy already sits in a later queue after an interrupted spool_move); stale tmp/
 * files are removed. *returned counts jobs put back.
 * Safe while other workers run: jobs whose claim lock is held by a live process are
 * left alone, and only tmp/ files whose writer pid is dead are removed. */
int spool_recover(struct spool *sp, size_t *returned);

struct spool_queue_stat {
	size_t count;
	time_t oldest; /* mtime of the oldest entry, 0 when empty */
};
int spool_stat(struct spool *sp, enum spool_queue q, struct spool_queue_stat *st);

/* Writing a job whose body the caller streams (added: a transport downloading a remote
 * file, or taking an outbound file into deferred/ for delivery). spool_writer_open creates
 * tmp/w<pid>.<seq>.<id> holding the header (meta->id is set if empty; a given id must be new
 * to every queue); the caller writes the body to spool_writer_fd. spool_writer_commit
 * fsyncs and closes the file (checked), renames it into q without replacing (incoming/, or
 * deferred/ for a delivery; never tmp/ or active/: -EINVAL), fsyncs q and frees w, also on
 * failure (the temp file is then removed). spool_writer_abort removes the temp file and
 * frees w (NULL is a no-op). Once commit returns 0 the job is durable and the source (a
 * remote file) may be deleted. */
struct spool_writer;
int spool_writer_open(struct spool *sp, struct spool_meta *meta, struct spool_writer **out);
int spool_writer_fd(const struct spool_writer *w);
int spool_writer_commit(struct spool_writer *w, enum spool_queue q);
void spool_writer_abort(struct spool_writer *w);

#endif
