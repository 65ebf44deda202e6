/*
 * ledger — what we know about documents, in SQLite (WAL): documents and
 * their state events, outbound control numbers per partner and level,
 * the inbound duplicate registry and outbound acknowledgment records.
 *
 * All access goes through this narrow interface so that another backend
 * can be added. Control numbers are allocated inside the caller's open
 * transaction (ledger_begin/ledger_commit), so a number is either recorded
 * with the document that used it or not allocated at all.
 */
#ifndef EDIGW_LEDGER_H
#define EDIGW_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ledger;

#define LEDGER_SCHEMA_VERSION 4      /* PRAGMA user_version written by this code (added) */
#define LEDGER_ACK_GROUPS_MAX 65536  /* ngroups limit of ledger_ack_controls (added) */

/* Open or create the ledger database (WAL, busy timeout, schema migration).
 * A database with a newer schema than LEDGER_SCHEMA_VERSION is refused (-EPROTO, logged). */
int ledger_open(struct ledger **out, const char *path);
void ledger_free(struct ledger *l);
/* Tests only: fix the clock used for every time the ledger records (0 = real time). (added) */
void ledger_set_clock(struct ledger *l, time_t t);

/* Explicit transaction (BEGIN IMMEDIATE). Calls nest by counting; only the outermost commits.
 * An inner ledger_rollback dooms the transaction: later writes give -ECANCELED and the
 * outermost ledger_commit rolls back and returns -ECANCELED. */
int ledger_begin(struct ledger *l);
int ledger_commit(struct ledger *l);
void ledger_rollback(struct ledger *l);

/* One document: an inbound transaction set, an inbound interchange that failed as a
 * whole, or an outbound ack/document. Strings may be NULL. */
struct ledger_doc {
	const char *job_id;        /* spool job holding the original (inbound) or the output */
	const char *doc_key;       /* unique within the job: "1.1.1" (interchange.group.txn), "ack.1" */
	const char *partner;
	const char *direction;     /* "in" or "out" */
	const char *standard;      /* "x12" */
	const char *doc_type;      /* "850", "997", "999", "TA1", "interchange" */
	const char *sender, *receiver;
	const char *icn, *gcn, *tcn; /* ISA13, GS06, ST02 */
	const char *business_key;  /* PO number etc. */
	const char *state;         /* "received", "accepted", "rejected", "held", "failed", "written", ... */
	const char *reason;
	const char *output;        /* path of the file written for it, if any */
	int test;                  /* ISA15 = T */
};

/* Insert or update (by job_id + doc_key) a document and append an event with its state
 * and reason. *out_id gets the row id (may be NULL). job_id, doc_key and state are
 * required (-EINVAL); on update other NULL strings keep the stored value, while state
 * and reason are always replaced (a NULL reason clears it). */
int ledger_doc_put(struct ledger *l, const struct ledger_doc *d, int64_t *out_id);
/* Change the state of a job's documents whose doc_key starts with prefix ("" or NULL:
 * all) and whose state is from_state (NULL: any) to to_state with reason, appending an
 * event for each. Returns how many changed, or a negative errno. (added: used by the
 * gateway when a whole group or interchange is rejected after its documents were put) */
int ledger_docs_set_state(struct ledger *l, const char *job_id, const char *prefix,
			  const char *from_state, const char *to_state, const char *reason);
/* Append an event for a job (doc_key NULL: the job as a whole). */
int ledger_event(struct ledger *l, const char *job_id, const char *doc_key, const char *state,
		 const char *reason);

enum ledger_ctl { LEDGER_CTL_ISA = 0, LEDGER_CTL_GS, LEDGER_CTL_ST };

/* Next control number for (partner, level): 1..999999999, rolling over to 1. Must be
 * called inside ledger_begin/commit. */
int ledger_next_control(struct ledger *l, const char *partner, enum ledger_ctl lvl, uint64_t *out);
/* Set the last number handed out for (partner, level), 0..999999999: the next one is
 * value + 1 (or 1 after 999999999). For onboarding and tests. (added) */
int ledger_set_control(struct ledger *l, const char *partner, enum ledger_ctl lvl, uint64_t value);

/* Control numbers and time of an outbound ack, allocated once per (job, key): a second
 * call with the same job and key returns what the first allocated (crash → rerun gives
 * identical bytes). ngroups numbers are allocated for GS06 and ST02 (same count). */
struct ledger_ack_ctl {
	uint64_t isa13;
	uint64_t *gs06; /* ngroups entries, allocated */
	uint64_t *st02;
	size_t ngroups;
	time_t created;
};
/* A later call with more groups allocates the missing ones; with fewer it returns the
 * first ngroups. ngroups <= LEDGER_ACK_GROUPS_MAX. */
int ledger_ack_controls(struct ledger *l, const char *partner, const char *job_id,
			const char *key, size_t ngroups, struct ledger_ack_ctl *out);
void ledger_ack_ctl_clear(struct ledger_ack_ctl *c);
/* Forget a job's acknowledgment control numbers (an operator replays it: its outcome may
 * differ, so its acknowledgments get new numbers and new files). (added) */
int ledger_ack_controls_forget(struct ledger *l, const char *job_id);

/* Duplicate registry. ledger_dup_find: is (sender, receiver, icn) already recorded within
 * window_s seconds by a job other than job_id? 1 = yes (*first_job allocated), 0 = no. */
/* "Within window_s" means seen >= now - window_s; job_id NULL exempts no job. */
int ledger_dup_find(struct ledger *l, const char *sender, const char *receiver, const char *icn,
		    const char *job_id, uint64_t window_s, char **first_job);
/* Record an interchange (idempotent per job_id + sender + receiver + icn). */
int ledger_dup_record(struct ledger *l, const char *sender, const char *receiver, const char *icn,
		      const char *sha256, const char *job_id);

/* History rows for `edigw track`: documents matching key (job id, business key, ISA13,
 * GS06 or ST02) and their events, oldest first. cb is called once per event row. */
struct ledger_track_row {
	const char *job_id, *doc_key, *partner, *direction, *doc_type, *business_key;
	const char *icn, *gcn, *tcn;
	const char *doc_state, *output;
	const char *event_time, *event_state, *event_reason;
};
/* Job-level events (doc_key NULL) of the jobs involved are included, before the job's
 * documents. A non-zero cb return stops and is returned. Row strings are borrowed for
 * the call. nrows (may be NULL) gets the number of rows passed to cb. */
int ledger_track(struct ledger *l, const char *key,
		 int (*cb)(void *ctx, const struct ledger_track_row *row), void *ctx, int *nrows);

/* Recent failures (state rejected/failed/held), newest first, at most limit. The event_*
 * fields carry the document's last update (time, state, reason). */
int ledger_recent_failures(struct ledger *l, int limit,
			   int (*cb)(void *ctx, const struct ledger_track_row *row), void *ctx);

/* Counts of documents by state (for status). cb per (direction, state, count). */
int ledger_state_counts(struct ledger *l,
			int (*cb)(void *ctx, const char *direction, const char *state, int64_t n),
			void *ctx);

/* ------------------------------------------------ acknowledgment reconciliation (added)
 *
 * Every interchange we send (except acknowledgments) is recorded with its groups and
 * transaction sets as awaiting acknowledgment until a due time. An inbound 997/999
 * group response (AK1 = our GS01 and GS06) or TA1 (TA101 = our ISA13) from the same
 * partner settles it; one that matches nothing is recorded as unmatched. */

struct ledger_sent_set {
	const char *st01, *tcn;     /* ST01, ST02 */
	const char *business_key;   /* e.g. the PO number of an 855, or NULL */
};
struct ledger_sent_group {
	const char *fid, *gcn, *version; /* GS01, GS06, GS08 */
	const struct ledger_sent_set *sets;
	size_t nsets;
};
struct ledger_sent {
	const char *partner, *job_id;
	const char *sender, *receiver; /* "ZZ:OURID", "ZZ:THEIRS" */
	const char *icn;               /* our ISA13 */
	const char *output;            /* the file queued for delivery */
	int test;                      /* ISA15 = T */
	uint64_t due_s;                /* the partner's ack-due */
	const struct ledger_sent_group *groups;
	size_t ngroups;
};
/* Record an interchange we send: a document row per transaction set (direction "out",
 * doc_key "1.<group>.<set>", state "awaiting-ack") and the reconciliation rows. The same
 * job recorded twice is a no-op for the rows that exist (a rerun after a crash). */
int ledger_sent_record(struct ledger *l, const struct ledger_sent *s);

/* One inbound group response: AK1/AK2/AK5/AK9 of a 997 (IK5 in a 999). */
struct ledger_ack_set {
	const char *st01, *tcn; /* AK201, AK202 */
	char status;            /* AK501: A, E, R (a 999's IK501 X counts as R) */
	const char *codes;      /* AK502..AK506 and the AK3/AK4 summary, or NULL */
};
struct ledger_ack_in {
	const char *partner, *job_id; /* who sent the ack, and the job that holds it */
	const char *doc_type;         /* "997" or "999" */
	const char *fid, *gcn;        /* AK101, AK102 */
	char status;                  /* AK901: A, E, P, R */
	uint64_t included, received, accepted; /* AK902, AK903, AK904 */
	const char *codes;            /* AK905..AK909, or NULL */
	const struct ledger_ack_set *sets;
	size_t nsets;
};
/* Settle the matching sent group and its sets; 1 when matched, 0 when nothing matched
 * (recorded in the unmatched list, *why allocated with the reason). Sets the response
 * does not list take the group's outcome (R: rejected, else accepted). */
int ledger_ack_match(struct ledger *l, const struct ledger_ack_in *a, char **why);
/* Settle a TA1 (TA101 icn, TA104 status A/E/R, TA105 code) against what we sent the
 * partner; a rejected interchange rejects its groups. 1 matched, 0 unmatched (*why). */
int ledger_ta1_match(struct ledger *l, const char *partner, const char *job_id, const char *icn,
		     char status, const char *code, char **why);

/* A sent group as listed by ledger_sent_groups. */
struct ledger_sent_row {
	const char *partner, *job_id, *icn, *gcn, *fid, *state, *codes, *ack_job, *sent, *acked;
	int64_t nsets, sent_unix, due_unix;
	int overdue;                 /* still awaiting and past due_unix */
};
enum ledger_sent_filter { LEDGER_SENT_ALL = 0, LEDGER_SENT_AWAITING, LEDGER_SENT_OVERDUE };
/* Sent groups, newest first (job_id: only that job's, or NULL), at most limit. */
int ledger_sent_groups(struct ledger *l, enum ledger_sent_filter f, const char *job_id, int limit,
		       int (*cb)(void *ctx, const struct ledger_sent_row *row), void *ctx);
/* Counts for status: groups awaiting (of which overdue), settled per state, unmatched acks. */
struct ledger_ack_counts {
	int64_t awaiting, overdue, accepted, with_errors, partial, rejected, unmatched;
};
int ledger_ack_counts(struct ledger *l, struct ledger_ack_counts *c);
/* Unmatched inbound acks, newest first. */
struct ledger_unmatched_row {
	const char *partner, *job_id, *kind, *ref, *detail, *time;
};
int ledger_unmatched_acks(struct ledger *l, int limit,
			  int (*cb)(void *ctx, const struct ledger_unmatched_row *row), void *ctx);

/* Transports (added, schema 3): how a partner's transport ("drop", "sftp-poll",
 * "sftp-deliver", "as2-send", ...) last went. ok = 1: a success (failures reset); ok = 0:
 * error recorded and failures counted. next_retry: when it will be tried again (unix
 * time), 0 = at its next regular turn. */
int ledger_transport_note(struct ledger *l, const char *partner, const char *transport, int ok, const char *error,
			  int64_t next_retry);
struct ledger_transport_row {
	const char *partner, *transport;
	const char *last_error;      /* NULL when there never was one */
	int64_t last_run, last_ok;   /* unix times, 0 = never */
	int64_t last_error_unix;
	int64_t failures;            /* consecutive failures since the last success */
	int64_t next_retry;          /* 0 = none scheduled */
};
/* Call cb for every (partner, transport) row, by partner; cb's non-zero return stops
 * (a negative one is returned). */
int ledger_transport_rows(struct ledger *l, int (*cb)(void *ctx, const struct ledger_transport_row *r), void *ctx);

/* ------------------------------------------------ remote files and deliveries (added: SFTP)
 *
 * Two small tables (schema version 4; created on first use before that): remote_files
 * (what a poll saw in a partner's remote directory, and which of those files are already
 * durable in the spool) and deliveries (one row per outbound document handed to a
 * transport: where it is in the upload/rename protocol and its retry state).
 * doc/transports.md says how the transports use them for crash safety. */

/* A file seen in a partner's remote directory. */
struct ledger_remote_file {
	uint64_t size;
	int64_t mtime;
	unsigned polls;     /* consecutive polls that saw this size and mtime (1 = first time) */
	char state[16];     /* "seen", or "committed": durable in the spool as job_id */
	char sha256[65];    /* committed: hash of the content */
	char job_id[64];    /* committed: the job */
};
/* A poll at time now saw (partner, name) with size and mtime (name: the server's bytes). *out
 * (may be NULL) gets the row afterwards: polls counts up while size and mtime stay the same
 * and restarts at 1 when they change (a committed row then becomes "seen" again: the file
 * was replaced). */
int ledger_remote_seen(struct ledger *l, const char *partner, const void *name, size_t name_len, uint64_t size,
		       int64_t mtime, time_t now, struct ledger_remote_file *out);
/* The file is (about to be) durable in the spool as job_id with content hash sha256. */
int ledger_remote_committed(struct ledger *l, const char *partner, const void *name, size_t name_len,
			    const char *sha256, const char *job_id);
/* Forget one remote file (removed or archived). */
int ledger_remote_forget(struct ledger *l, const char *partner, const void *name, size_t name_len);
/* Forget the files of partner no poll saw at or after since (gone from the directory). */
int ledger_remote_sweep(struct ledger *l, const char *partner, time_t since);

/* One outbound document handed to a transport. Strings are owned (ledger_delivery_clear). */
struct ledger_delivery {
	char *job_id;       /* the spool job (deferred/, then sent/ or failed/) */
	char *partner;
	char *name;         /* the file name the partner receives */
	char *sha256;       /* of the document's bytes */
	char *transport;    /* "sftp" */
	char *state;        /* "queued", "renaming" (uploaded, rename under way), "delivered", "failed" */
	char *last_error;   /* the last failed attempt's error, or NULL */
	char *remote;       /* where it went (or goes), e.g. "host:port/out/NAME" */
	uint64_t size;
	unsigned attempts;  /* failed attempts */
	int64_t first_unix; /* queued for delivery (retry.max-age counts from here) */
	int64_t next_unix;  /* next attempt not before */
	int64_t updated_unix;
};
void ledger_delivery_clear(struct ledger_delivery *d);
/* Insert or replace the row of d->job_id (updated_unix is set to now). */
int ledger_delivery_put(struct ledger *l, const struct ledger_delivery *d);
/* The row of a job: 1 found (*out filled), 0 none. */
int ledger_delivery_get(struct ledger *l, const char *job_id, struct ledger_delivery *out);
/* The newest row of the file (partner, name, sha256): 1 found, 0 none. */
int ledger_delivery_find(struct ledger *l, const char *partner, const char *name, const char *sha256,
			 struct ledger_delivery *out);
int ledger_delivery_delete(struct ledger *l, const char *job_id);
/* Rows of partner (NULL: every partner) in state (NULL: any), oldest first; a non-zero cb
 * return stops and is returned. Rows are borrowed for the call. */
int ledger_deliveries(struct ledger *l, const char *partner, const char *state,
		      int (*cb)(void *ctx, const struct ledger_delivery *d), void *ctx);

/* ------------------------------------------------ AS2 messages (added: AS2)
 *
 * One row per AS2 message by (direction, partner, Message-ID), in the table as2_messages
 * (schema version 4). Inbound rows are the duplicate registry and the crash-safety
 * record of the receiver (state "receiving": the job id is chosen but
 * maybe not durable; "received": durable; "answered": the MDN went out); outbound rows tie
 * a delivery job to its Message-ID (reused by every retry), the MIC we expect back and the
 * MDN's outcome ("sending", "awaiting-mdn", "delivered", "failed"). doc/as2.md. */
struct ledger_as2 {
	char *direction;   /* "in" or "out" */
	char *partner;
	char *message_id;  /* as sent, angle brackets included */
	char *job_id;      /* the spool job */
	char *state;
	char *mic;         /* the MIC we computed (in) or expect (out), "base64, alg" */
	char *disposition; /* the MDN's disposition (sent or received), or NULL */
	char *detail;      /* why (errors, the MDN's text), or NULL */
	int64_t created_unix, updated_unix;
};
void ledger_as2_clear(struct ledger_as2 *m);
/* Insert or update the row (direction, partner, message_id); NULL strings keep the stored
 * value on update. */
int ledger_as2_put(struct ledger *l, const struct ledger_as2 *m);
/* The row of (direction, partner, message_id): 1 found (*out filled), 0 none. */
int ledger_as2_get(struct ledger *l, const char *direction, const char *partner, const char *message_id,
		   struct ledger_as2 *out);
/* The newest row of (direction, job_id): 1 found, 0 none. */
int ledger_as2_by_job(struct ledger *l, const char *direction, const char *job_id, struct ledger_as2 *out);

#endif
