/* check_ledger — schema, control numbers (sequence, rollover, crash safety), ack controls,
 * duplicate registry, documents/events, track and status queries, a speed figure. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ledger/ledger.h"
#include "testutil.h"
#include "util/util.h"

#define T0 ((time_t)1795325100) /* 2026-11-22T05:25:00Z */

/* A new ledger in a fresh temp dir (*dir and *path allocated). */
static struct ledger *new_ledger(char **dir, char **path)
{
	*dir = tu_tmpdir();
	*path = path_join(*dir, "ledger.db");
	struct ledger *l;
	ck_assert_int_eq(ledger_open(&l, *path), 0);
	ck_assert_ptr_nonnull(l);
	return l;
}

/* Integer result of SQL run on the database file directly (not through the ledger). */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	int rc = sqlite3_step(s);
	ck_assert(rc == SQLITE_ROW || rc == SQLITE_DONE);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Run SQL on the database file directly. */
static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Allocate one number in its own transaction. */
static uint64_t next_committed(struct ledger *l, const char *partner, enum ledger_ctl lvl)
{
	uint64_t v = 0;
	ck_assert_int_eq(ledger_begin(l), 0);
	ck_assert_int_eq(ledger_next_control(l, partner, lvl, &v), 0);
	ck_assert_int_eq(ledger_commit(l), 0);
	return v;
}

/* Close the ledger and remove its temp dir. */
static void cleanup(struct ledger *l, char *dir, char *path)
{
	ledger_free(l);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

START_TEST(test_open_schema)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	ledger_free(l);
	ck_assert_int_eq(sql_int(path, "PRAGMA user_version"), LEDGER_SCHEMA_VERSION);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				       " AND name IN ('documents', 'events', 'control_numbers',"
				       " 'ack_controls', 'ack_control_groups', 'interchanges')"), 6);
	/* WAL is persistent in the file */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	/* reopening an existing ledger keeps its data */
	ck_assert_int_eq(ledger_open(&l, path), 0);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_ISA), 1);
	ledger_free(l);
	ck_assert_int_eq(ledger_open(&l, path), 0);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_ISA), 2);
	ledger_free(l);
	/* a newer schema is refused, and left untouched */
	sql_exec(path, "PRAGMA user_version = 5");
	l = (struct ledger *)1;
	ck_assert_int_eq(ledger_open(&l, path), -EPROTO);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(sql_int(path, "PRAGMA user_version"), 5);
	/* a version 1 ledger (before reconciliation) is upgraded in place, its data kept */
	sql_exec(path, "DROP TABLE sent_sets; DROP TABLE sent_groups; DROP TABLE sent_interchanges;"
		       " DROP TABLE unmatched_acks; DROP TABLE transport_state; DROP TABLE remote_files;"
		       " DROP TABLE deliveries; DROP TABLE as2_messages; PRAGMA user_version = 1");
	ck_assert_int_eq(ledger_open(&l, path), 0);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_ISA), 3);
	ledger_free(l);
	ck_assert_int_eq(sql_int(path, "PRAGMA user_version"), LEDGER_SCHEMA_VERSION);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				       " AND name IN ('sent_groups', 'sent_sets', 'sent_interchanges',"
				       " 'unmatched_acks', 'transport_state', 'remote_files', 'deliveries',"
				       " 'as2_messages')"), 8);
	/* a version 2 ledger gets the transport table, its data kept */
	sql_exec(path, "DROP TABLE transport_state; PRAGMA user_version = 2");
	ck_assert_int_eq(ledger_open(&l, path), 0);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_ISA), 4);
	/* transports: a failure counted, a success clears it */
	ck_assert_int_eq(ledger_transport_note(l, "acme", "sftp-poll", 0, "connection refused", 1800000000), 0);
	ck_assert_int_eq(ledger_transport_note(l, "acme", "sftp-poll", 0, "timeout", 1800000060), 0);
	ck_assert_int_eq(sql_int(path, "SELECT failures FROM transport_state WHERE partner = 'acme'"), 2);
	ck_assert_int_eq(sql_int(path, "SELECT next_retry FROM transport_state WHERE partner = 'acme'"), 1800000060);
	ck_assert_int_eq(ledger_transport_note(l, "acme", "sftp-poll", 1, NULL, 0), 0);
	ck_assert_int_eq(sql_int(path, "SELECT failures FROM transport_state WHERE partner = 'acme'"), 0);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM transport_state WHERE next_retry IS NULL"), 1);
	ledger_free(l);
	ck_assert_int_eq(sql_int(path, "PRAGMA user_version"), LEDGER_SCHEMA_VERSION);
	/* a version 3 ledger: without the delivery and AS2 tables they are created; with them
	 * (edigw 0.1 created them on first use) their rows are kept */
	sql_exec(path, "DROP TABLE remote_files; DROP TABLE deliveries; DROP TABLE as2_messages;"
		       " PRAGMA user_version = 3");
	ck_assert_int_eq(ledger_open(&l, path), 0);
	struct ledger_as2 row = { .direction = "in", .partner = "acme", .message_id = "<m1@acme>",
				  .job_id = "J1", .state = "answered" };
	ck_assert_int_eq(ledger_as2_put(l, &row), 0);
	ledger_free(l);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM deliveries"), 0);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM remote_files"), 0);
	sql_exec(path, "PRAGMA user_version = 3");
	ck_assert_int_eq(ledger_open(&l, path), 0);
	struct ledger_as2 got;
	ck_assert_int_eq(ledger_as2_get(l, "in", "acme", "<m1@acme>", &got), 1);
	ck_assert_str_eq(got.state, "answered");
	ledger_as2_clear(&got);
	ledger_free(l);
	ck_assert_int_eq(sql_int(path, "PRAGMA user_version"), LEDGER_SCHEMA_VERSION);
	/* not a database */
	char *junk = path_join(dir, "junk.db");
	char text[4096];
	memset(text, 'x', sizeof text);
	ck_assert_int_eq(tu_write(junk, text, sizeof text), 0);
	ck_assert_int_lt(ledger_open(&l, junk), 0);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(ledger_open(&l, ""), -EINVAL);
	free(junk);
	cleanup(NULL, dir, path);
}
END_TEST

START_TEST(test_control_sequence)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	uint64_t v = 7;
	/* outside a transaction: refused, nothing allocated */
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &v), -EINVAL);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(ledger_begin(l), 0);
	for (uint64_t i = 1; i <= 3; i++) {
		ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &v), 0);
		ck_assert_uint_eq(v, i);
	}
	/* levels and partners are separate sequences */
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_GS, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ST, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(ledger_next_control(l, "globex", LEDGER_CTL_ISA, &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(ledger_next_control(l, "acme", (enum ledger_ctl)3, &v), -EINVAL);
	ck_assert_int_eq(ledger_next_control(l, NULL, LEDGER_CTL_ISA, &v), -EINVAL);
	ck_assert_int_eq(ledger_commit(l), 0);
	ck_assert_int_eq(ledger_commit(l), -EINVAL); /* no transaction open */

	/* rollover: 999999998 was the last one handed out */
	ck_assert_int_eq(ledger_set_control(l, "acme", LEDGER_CTL_ISA, 999999998), 0);
	ck_assert_int_eq(ledger_begin(l), 0);
	uint64_t want[] = { 999999999, 1, 2 };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &v), 0);
		ck_assert_uint_eq(v, want[i]);
	}
	ck_assert_int_eq(ledger_commit(l), 0);
	ck_assert_int_eq(sql_int(path, "SELECT value FROM control_numbers WHERE partner = 'acme'"
				       " AND level = 'ISA'"), 2);
	/* set_control limits: at the maximum, one above, zero */
	ck_assert_int_eq(ledger_set_control(l, "acme", LEDGER_CTL_GS, 999999999), 0);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_GS), 1);
	ck_assert_int_eq(ledger_set_control(l, "acme", LEDGER_CTL_GS, 1000000000), -EINVAL);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_GS), 2);
	ck_assert_int_eq(ledger_set_control(l, "acme", LEDGER_CTL_GS, 0), 0);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_GS), 1);
	/* a stored value out of range can't be written behind our back */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE control_numbers SET value = 1000000000", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cleanup(l, dir, path);
}
END_TEST

START_TEST(test_rollback_no_consume)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	uint64_t v, w;
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_ISA), 1);
	ck_assert_int_eq(ledger_begin(l), 0);
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &v), 0);
	ck_assert_uint_eq(v, 2);
	ledger_rollback(l);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_ISA), 2); /* 2 not consumed */

	/* nested: an inner rollback dooms the outer transaction */
	ck_assert_int_eq(ledger_begin(l), 0);
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &v), 0);
	ck_assert_uint_eq(v, 3);
	ck_assert_int_eq(ledger_begin(l), 0);
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &w), 0);
	ck_assert_uint_eq(w, 4);
	ledger_rollback(l);
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &w), -ECANCELED);
	struct ledger_doc d = { .job_id = "j", .doc_key = "1", .state = "received" };
	ck_assert_int_eq(ledger_doc_put(l, &d, NULL), -ECANCELED);
	ck_assert_int_eq(ledger_commit(l), -ECANCELED);
	ck_assert_uint_eq(next_committed(l, "acme", LEDGER_CTL_ISA), 3);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM documents"), 0);

	/* nested commit: only the outermost one makes it durable */
	ck_assert_int_eq(ledger_begin(l), 0);
	ck_assert_int_eq(ledger_begin(l), 0);
	ck_assert_int_eq(ledger_next_control(l, "acme", LEDGER_CTL_ISA, &v), 0);
	ck_assert_int_eq(ledger_commit(l), 0);
	ck_assert_int_eq(sql_int(path, "SELECT value FROM control_numbers WHERE level = 'ISA'"), 3);
	ck_assert_int_eq(ledger_commit(l), 0);
	ck_assert_int_eq(sql_int(path, "SELECT value FROM control_numbers WHERE level = 'ISA'"), 4);
	cleanup(l, dir, path);
}
END_TEST

/* Child: open, begin, allocate, optionally commit, report the number, die by SIGKILL. */
static void crash_child(const char *path, int commit, int fd)
{
	struct ledger *l;
	uint64_t v = 0;
	if (ledger_open(&l, path) < 0 || ledger_begin(l) < 0 ||
	    ledger_next_control(l, "acme", LEDGER_CTL_ISA, &v) < 0)
		_exit(1);
	if (commit && ledger_commit(l) < 0)
		_exit(1);
	if (write(fd, &v, sizeof v) != sizeof v)
		_exit(1);
	kill(getpid(), SIGKILL);
	_exit(2);
}

/* Run crash_child in a new process; returns the number it allocated. */
static uint64_t run_crash_child(const char *path, int commit)
{
	int p[2];
	uint64_t v = 0;
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(path, commit, p[1]);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &v, sizeof v), (ssize_t)sizeof v);
	close(p[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	return v;
}

START_TEST(test_crash_safety)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	ck_assert_int_eq(ledger_set_control(l, "acme", LEDGER_CTL_ISA, 41), 0);
	ledger_free(l);
	/* killed before commit: 42 was never recorded, so it may be handed out again */
	ck_assert_uint_eq(run_crash_child(path, 0), 42);
	/* committed, then killed: 42 is taken for good */
	ck_assert_uint_eq(run_crash_child(path, 1), 42);
	ck_assert_int_eq(ledger_open(&l, path), 0);
	uint64_t v = next_committed(l, "acme", LEDGER_CTL_ISA);
	ck_assert_uint_eq(v, 43);
	cleanup(l, dir, path);
}
END_TEST

START_TEST(test_ack_controls)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	ledger_set_clock(l, T0);
	struct ledger_ack_ctl a, b, c, d;
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "job1", "997", 2, &a), 0);
	ck_assert_uint_eq(a.isa13, 1);
	ck_assert_uint_eq(a.ngroups, 2);
	ck_assert_uint_eq(a.gs06[0], 1);
	ck_assert_uint_eq(a.gs06[1], 2);
	ck_assert_uint_eq(a.st02[0], 1);
	ck_assert_uint_eq(a.st02[1], 2);
	ck_assert_int_eq(a.created, T0);
	/* the re-run after a crash: same numbers and time, nothing new allocated */
	ledger_set_clock(l, T0 + 3600);
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "job1", "997", 2, &b), 0);
	ck_assert_uint_eq(b.isa13, a.isa13);
	ck_assert_uint_eq(b.gs06[1], a.gs06[1]);
	ck_assert_uint_eq(b.st02[1], a.st02[1]);
	ck_assert_int_eq(b.created, T0);
	ck_assert_int_eq(sql_int(path, "SELECT value FROM control_numbers WHERE level = 'ISA'"), 1);
	/* another key of the same job: new numbers */
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "job1", "TA1", 0, &c), 0);
	ck_assert_uint_eq(c.isa13, 2);
	ck_assert_uint_eq(c.ngroups, 0);
	ck_assert_int_eq(c.created, T0 + 3600);
	/* more groups than last time: the first ones kept, the extra one allocated */
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "job1", "997", 3, &d), 0);
	ck_assert_uint_eq(d.isa13, 1);
	ck_assert_uint_eq(d.gs06[0], 1);
	ck_assert_uint_eq(d.gs06[1], 2);
	ck_assert_uint_eq(d.gs06[2], 3);
	ck_assert_uint_eq(d.st02[2], 3);
	ledger_ack_ctl_clear(&d);
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "job1", "997", 1, &d), 0);
	ck_assert_uint_eq(d.ngroups, 1);
	ck_assert_uint_eq(d.gs06[0], 1);
	ledger_ack_ctl_clear(&a);
	ledger_ack_ctl_clear(&b);
	ledger_ack_ctl_clear(&c);
	ledger_ack_ctl_clear(&d);
	/* inside a caller's transaction that rolls back: nothing kept, nothing consumed */
	ck_assert_int_eq(ledger_begin(l), 0);
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "job2", "997", 1, &a), 0);
	ck_assert_uint_eq(a.isa13, 3);
	ledger_ack_ctl_clear(&a);
	ledger_rollback(l);
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "job2", "997", 1, &a), 0);
	ck_assert_uint_eq(a.isa13, 3);
	ck_assert_uint_eq(a.gs06[0], 4);
	ledger_ack_ctl_clear(&a);
	/* the group limit: at LEDGER_ACK_GROUPS_MAX fine, one above refused */
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "big", "997", LEDGER_ACK_GROUPS_MAX + 1, &a),
			 -EINVAL);
	ck_assert_ptr_null(a.gs06);
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "big", "997", LEDGER_ACK_GROUPS_MAX, &a), 0);
	ck_assert_uint_eq(a.ngroups, LEDGER_ACK_GROUPS_MAX);
	ck_assert_uint_eq(a.st02[LEDGER_ACK_GROUPS_MAX - 1], 4 + LEDGER_ACK_GROUPS_MAX);
	ledger_ack_ctl_clear(&a);
	ck_assert_int_eq(ledger_ack_controls(l, "acme", "big2", "997", LEDGER_ACK_GROUPS_MAX - 1, &a),
			 0);
	ck_assert_uint_eq(a.ngroups, LEDGER_ACK_GROUPS_MAX - 1);
	ledger_ack_ctl_clear(&a);
	ck_assert_int_eq(ledger_ack_controls(l, "acme", NULL, "997", 1, &a), -EINVAL);
	cleanup(l, dir, path);
}
END_TEST

START_TEST(test_duplicates)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	char *first = NULL;
	ledger_set_clock(l, T0);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", "job2", 3600, &first), 0);
	ck_assert_int_eq(ledger_dup_record(l, "ZZ:ACME", "ZZ:US", "000000101", "ab12", "job1"), 0);
	ck_assert_int_eq(ledger_dup_record(l, "ZZ:ACME", "ZZ:US", "000000101", "ab12", "job1"), 0);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM interchanges"), 1); /* idempotent */
	/* inside the window: one below, at, one above its edge */
	ledger_set_clock(l, T0 + 3599);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", "job2", 3600, &first), 1);
	ck_assert_str_eq(first, "job1");
	free(first);
	ledger_set_clock(l, T0 + 3600);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", "job2", 3600, &first), 1);
	free(first);
	ledger_set_clock(l, T0 + 3601);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", "job2", 3600, &first), 0);
	ck_assert_ptr_null(first);
	/* the same job re-run after a crash is not its own duplicate */
	ledger_set_clock(l, T0 + 10);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", "job1", 3600, &first), 0);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", NULL, 3600, &first), 1);
	free(first);
	/* any other element differs: not a duplicate */
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:OTHER", "000000101", "job2", 3600, NULL), 0);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000102", "job2", 3600, NULL), 0);
	/* a second job with the same interchange: the first one is reported */
	ck_assert_int_eq(ledger_dup_record(l, "ZZ:ACME", "ZZ:US", "000000101", "ab12", "job2"), 0);
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", "job3", 3600, &first), 1);
	ck_assert_str_eq(first, "job1");
	free(first);
	/* a huge window does not overflow */
	ck_assert_int_eq(ledger_dup_find(l, "ZZ:ACME", "ZZ:US", "000000101", "job3", UINT64_MAX, NULL), 1);
	cleanup(l, dir, path);
}
END_TEST

struct rows {
	int n;
	char text[4096];
};

/* Track callback: one line per row "job|doc|state|reason|doc_state|business_key". */
static int collect(void *ctx, const struct ledger_track_row *r)
{
	struct rows *rs = ctx;
	size_t len = strlen(rs->text);
	snprintf(rs->text + len, sizeof rs->text - len, "%s|%s|%s|%s|%s|%s\n", r->job_id,
		 r->doc_key ? r->doc_key : "-", r->event_state,
		 r->event_reason ? r->event_reason : "-", r->doc_state ? r->doc_state : "-",
		 r->business_key ? r->business_key : "-");
	rs->n++;
	return 0;
}

/* Callback that stops after the first row. */
static int stop_first(void *ctx, const struct ledger_track_row *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 42;
}

START_TEST(test_track)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	ledger_set_clock(l, T0);
	struct ledger_doc d1 = { .job_id = "J1", .doc_key = "1.1.1", .partner = "acme",
				 .direction = "in", .standard = "x12", .doc_type = "850",
				 .icn = "000000101", .gcn = "7", .tcn = "0001",
				 .business_key = "PO-123", .state = "received" };
	struct ledger_doc d2 = d1;
	d2.doc_key = "1.1.2";
	d2.tcn = "0002";
	d2.business_key = "PO-124";
	struct ledger_doc ack = { .job_id = "J2", .doc_key = "ack.1", .partner = "acme",
				  .direction = "out", .doc_type = "997", .icn = "000000001",
				  .business_key = "PO-123", .state = "written",
				  .output = "spool/outbound/acme/J2.997" };
	ck_assert_int_eq(ledger_event(l, "J1", NULL, "received", "drop:acme"), 0);
	ck_assert_int_eq(ledger_doc_put(l, &d1, NULL), 0);
	ck_assert_int_eq(ledger_doc_put(l, &d2, NULL), 0);
	ck_assert_int_eq(ledger_doc_put(l, &ack, NULL), 0);
	d1.state = "accepted";
	ck_assert_int_eq(ledger_doc_put(l, &d1, NULL), 0);
	ck_assert_int_eq(ledger_event(l, "J1", NULL, "archived", NULL), 0);

	struct rows rs = { 0 };
	int n = -1;
	ck_assert_int_eq(ledger_track(l, "PO-123", collect, &rs, &n), 0);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(rs.text,
			 "J1|-|received|drop:acme|-|-\n"
			 "J1|-|archived|-|-|-\n"
			 "J1|1.1.1|received|-|accepted|PO-123\n"
			 "J1|1.1.1|accepted|-|accepted|PO-123\n"
			 "J2|ack.1|written|-|written|PO-123\n");
	memset(&rs, 0, sizeof rs);
	ck_assert_int_eq(ledger_track(l, "J1", collect, &rs, &n), 0);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(rs.text,
			 "J1|-|received|drop:acme|-|-\n"
			 "J1|-|archived|-|-|-\n"
			 "J1|1.1.1|received|-|accepted|PO-123\n"
			 "J1|1.1.1|accepted|-|accepted|PO-123\n"
			 "J1|1.1.2|received|-|received|PO-124\n");
	memset(&rs, 0, sizeof rs);
	ck_assert_int_eq(ledger_track(l, "0002", collect, &rs, &n), 0); /* by ST02 */
	ck_assert_int_eq(n, 3);
	ck_assert(strstr(rs.text, "J1|1.1.2|received") != NULL);
	memset(&rs, 0, sizeof rs);
	ck_assert_int_eq(ledger_track(l, "000000001", collect, &rs, &n), 0); /* by ISA13 */
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(ledger_track(l, "PO-999", collect, &rs, &n), 0);
	ck_assert_int_eq(n, 0);
	/* a job that never got a document is still tracked by its id */
	ck_assert_int_eq(ledger_event(l, "J3", NULL, "held", "unknown partner"), 0);
	memset(&rs, 0, sizeof rs);
	ck_assert_int_eq(ledger_track(l, "J3", collect, &rs, &n), 0);
	ck_assert_str_eq(rs.text, "J3|-|held|unknown partner|-|-\n");
	int calls = 0;
	ck_assert_int_eq(ledger_track(l, "J1", stop_first, &calls, &n), 42);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(ledger_track(l, "", collect, &rs, &n), -EINVAL);
	cleanup(l, dir, path);
}
END_TEST

struct counts {
	char text[1024];
};

/* State-count callback: one line per (direction, state, n). */
static int count_cb(void *ctx, const char *direction, const char *state, int64_t n)
{
	struct counts *c = ctx;
	size_t len = strlen(c->text);
	snprintf(c->text + len, sizeof c->text - len, "%s %s %lld\n", direction, state,
		 (long long)n);
	return 0;
}

START_TEST(test_doc_put)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	ledger_set_clock(l, T0);
	struct ledger_doc d = { .job_id = "J1", .doc_key = "1.1.1", .direction = "in",
				.doc_type = "850", .business_key = "PO-1", .state = "rejected",
				.reason = "AK5 R 5", .test = 1 };
	int64_t id1 = 0, id2 = 0;
	ck_assert_int_eq(ledger_doc_put(l, &d, &id1), 0);
	ck_assert_int_gt(id1, 0);
	/* the same job + doc_key updates the row; NULL keeps, state/reason replace */
	ledger_set_clock(l, T0 + 60);
	struct ledger_doc u = { .job_id = "J1", .doc_key = "1.1.1", .state = "accepted",
				.output = "erp/J1-1.csv" };
	ck_assert_int_eq(ledger_doc_put(l, &u, &id2), 0);
	ck_assert_int_eq(id2, id1);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM documents"), 1);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM events WHERE job_id = 'J1'"), 2);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM documents WHERE state = 'accepted'"
				       " AND reason IS NULL AND business_key = 'PO-1'"
				       " AND doc_type = '850' AND output = 'erp/J1-1.csv'"
				       " AND created = '2026-11-22T05:25:00Z'"
				       " AND updated = '2026-11-22T05:26:00Z' AND test = 0"), 1);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM events WHERE state = 'rejected'"
				       " AND reason = 'AK5 R 5' AND time = '2026-11-22T05:25:00Z'"), 1);
	/* required fields */
	struct ledger_doc bad = { .job_id = "J1", .state = "x" };
	ck_assert_int_eq(ledger_doc_put(l, &bad, NULL), -EINVAL);
	bad.doc_key = "k";
	bad.state = NULL;
	ck_assert_int_eq(ledger_doc_put(l, &bad, NULL), -EINVAL);
	ck_assert_int_eq(ledger_event(l, NULL, NULL, "x", NULL), -EINVAL);

	/* status: counts and recent failures, newest first, limited */
	const char *states[] = { "held", "failed", "rejected", "accepted" };
	for (int i = 0; i < 4; i++) {
		char key[16];
		snprintf(key, sizeof key, "2.%d", i);
		ledger_set_clock(l, T0 + 100 + i);
		struct ledger_doc x = { .job_id = "J2", .doc_key = key, .direction = "out",
					.state = states[i], .reason = states[i] };
		ck_assert_int_eq(ledger_doc_put(l, &x, NULL), 0);
	}
	struct counts c = { "" };
	ck_assert_int_eq(ledger_state_counts(l, count_cb, &c), 0);
	ck_assert_str_eq(c.text, "in accepted 1\nout accepted 1\nout failed 1\nout held 1\n"
				 "out rejected 1\n");
	struct rows rs = { 0 };
	ck_assert_int_eq(ledger_recent_failures(l, 2, collect, &rs), 0);
	ck_assert_int_eq(rs.n, 2);
	ck_assert_str_eq(rs.text, "J2|2.2|rejected|rejected|rejected|-\n"
				  "J2|2.1|failed|failed|failed|-\n");
	memset(&rs, 0, sizeof rs);
	ck_assert_int_eq(ledger_recent_failures(l, 10, collect, &rs), 0);
	ck_assert_int_eq(rs.n, 3);
	cleanup(l, dir, path);
}
END_TEST

START_TEST(test_docs_set_state)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	ledger_set_clock(l, T0);
	static const char *keys[] = { "1.1.1", "1.1.2", "1.10.1", "1.1.3", "2.1.1" };
	for (int i = 0; i < 5; i++) {
		struct ledger_doc d = { .job_id = "J1", .doc_key = keys[i],
					.state = i == 3 ? "rejected" : "accepted" };
		ck_assert_int_eq(ledger_doc_put(l, &d, NULL), 0);
	}
	struct ledger_doc other = { .job_id = "J2", .doc_key = "1.1.1", .state = "accepted" };
	ck_assert_int_eq(ledger_doc_put(l, &other, NULL), 0);
	ledger_set_clock(l, T0 + 5);
	ck_assert_int_eq(ledger_docs_set_state(l, "J1", "1.1.", "accepted", "rejected",
					       "functional group 1 rejected"), 2);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM documents WHERE state = 'rejected'"
				       " AND reason = 'functional group 1 rejected'"
				       " AND updated = '2026-11-22T05:25:05Z'"), 2);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM documents WHERE state = 'accepted'"),
			 3); /* 1.10.1, 2.1.1 and J2's */
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM events WHERE state = 'rejected'"
				       " AND reason = 'functional group 1 rejected'"
				       " AND doc_key IN ('1.1.1', '1.1.2')"), 2);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM events"), 8);
	/* whole job, any state */
	ck_assert_int_eq(ledger_docs_set_state(l, "J1", "", NULL, "failed", NULL), 5);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM documents WHERE state = 'failed'"), 5);
	ck_assert_int_eq(ledger_docs_set_state(l, "J9", NULL, NULL, "failed", NULL), 0);
	ck_assert_int_eq(ledger_docs_set_state(l, "J1", NULL, NULL, NULL, NULL), -EINVAL);
	cleanup(l, dir, path);
}
END_TEST

START_TEST(test_speed)
{
	enum { N = 120000 };
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	uint64_t t0 = now_ms();
	ck_assert_int_eq(ledger_begin(l), 0);
	for (int i = 0; i < N; i++) {
		char key[32], tcn[16];
		snprintf(key, sizeof key, "1.1.%d", i + 1);
		snprintf(tcn, sizeof tcn, "%04d", i + 1);
		struct ledger_doc d = { .job_id = "BIG", .doc_key = key, .partner = "acme",
					.direction = "in", .standard = "x12", .doc_type = "850",
					.icn = "000000001", .gcn = "1", .tcn = tcn,
					.business_key = tcn, .state = "accepted" };
		ck_assert_int_eq(ledger_doc_put(l, &d, NULL), 0);
		ck_assert_int_eq(ledger_event(l, "BIG", key, "mapped", NULL), 0);
	}
	ck_assert_int_eq(ledger_commit(l), 0);
	uint64_t ms = now_ms() - t0;
	fprintf(stderr, "ledger speed: %d doc_put + %d event in one transaction: %llu ms "
		"(%.1f us per pair)\n", N, N, (unsigned long long)ms, ms * 1000.0 / N);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM events"), 2 * N);
	/* tracking the big job and one document in it stays fast */
	int n = 0;
	t0 = now_ms();
	ck_assert_int_eq(ledger_track(l, "BIG", NULL, NULL, &n), 0);
	ck_assert_int_eq(n, 2 * N);
	ck_assert_int_eq(ledger_track(l, "0005", NULL, NULL, &n), 0);
	ck_assert_int_eq(n, 2);
	uint64_t tms = now_ms() - t0;
	fprintf(stderr, "ledger speed: track of the %d-event job: %llu ms\n", 2 * N,
		(unsigned long long)tms);
	ck_assert_uint_lt(tms, 60000);
	/* generous bound: catches a per-call prepare or fsync, not a slow machine */
	ck_assert_uint_lt(ms, 120000);
	cleanup(l, dir, path);
}
END_TEST

/* ------------------------------------------------ acknowledgment reconciliation */

/* Record job "send-1": interchange 000000042 with group 7 (two 855s) and group 8 (one 856). */
static void record_sent(struct ledger *l)
{
	static const struct ledger_sent_set g7[] = { { "855", "0001", "PO-1" }, { "855", "0002", "PO-2" } };
	static const struct ledger_sent_set g8[] = { { "856", "0001", "SH-1" } };
	static const struct ledger_sent_group groups[] = { { "PR", "7", "004010", g7, 2 },
							   { "SH", "8", "004010", g8, 1 } };
	struct ledger_sent sn = { .partner = "acme", .job_id = "send-1", .sender = "ZZ:US",
				  .receiver = "ZZ:ACME", .icn = "000000042", .output = "out/x.x12",
				  .due_s = 86400, .groups = groups, .ngroups = 2 };
	ck_assert_int_eq(ledger_sent_record(l, &sn), 0);
}

struct sent_collect {
	int n, overdue;
	char states[8][32];
};

static int collect_sent(void *ctx, const struct ledger_sent_row *r)
{
	struct sent_collect *c = ctx;
	if (c->n < 8)
		snprintf(c->states[c->n], sizeof c->states[0], "%s:%s", r->gcn, r->state);
	c->n++;
	c->overdue += r->overdue;
	return 0;
}

/* The state of one of job send-1's documents, read from the file directly. */
static const char *doc_state_of(const char *path, const char *key)
{
	static char out[64];
	sqlite3 *db;
	sqlite3_stmt *s;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT state FROM documents WHERE job_id = 'send-1' AND doc_key = ?1",
					    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

START_TEST(test_sent_awaiting_overdue)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	ledger_set_clock(l, 1800000000);
	record_sent(l);
	record_sent(l); /* a rerun adds nothing */
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sent_groups"), 2);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM documents WHERE direction = 'out'"), 3);
	ck_assert_str_eq(doc_state_of(path, "1.1.2"), "awaiting-ack");
	struct ledger_ack_counts c;
	ck_assert_int_eq(ledger_ack_counts(l, &c), 0);
	ck_assert_int_eq(c.awaiting, 2);
	ck_assert_int_eq(c.overdue, 0);
	/* one second before the due time: not overdue; one after: both groups are */
	ledger_set_clock(l, 1800000000 + 86399);
	struct sent_collect sc = { 0 };
	ck_assert_int_eq(ledger_sent_groups(l, LEDGER_SENT_OVERDUE, NULL, 10, collect_sent, &sc), 0);
	ck_assert_int_eq(sc.n, 0);
	ledger_set_clock(l, 1800000000 + 86401);
	ck_assert_int_eq(ledger_sent_groups(l, LEDGER_SENT_OVERDUE, NULL, 10, collect_sent, &sc), 0);
	ck_assert_int_eq(sc.n, 2);
	ck_assert_int_eq(sc.overdue, 2);
	ck_assert_int_eq(ledger_ack_counts(l, &c), 0);
	ck_assert_int_eq(c.overdue, 2);
	cleanup(l, dir, path);
}
END_TEST

START_TEST(test_ack_match)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	record_sent(l);
	/* 997 for group 7: set 0001 accepted (not listed), 0002 rejected with codes: AK9 P */
	struct ledger_ack_set sets[] = { { "855", "0002", 'R', "5; AK3 BAK 2 code 8" } };
	struct ledger_ack_in a = { .partner = "acme", .job_id = "in-9", .doc_type = "997", .fid = "PR",
				   .gcn = "000007", .status = 'P', .included = 2, .received = 2, .accepted = 1,
				   .sets = sets, .nsets = 1 };
	char *why = NULL;
	ck_assert_int_eq(ledger_ack_match(l, &a, &why), 1);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(doc_state_of(path, "1.1.1"), "acknowledged");
	ck_assert_str_eq(doc_state_of(path, "1.1.2"), "ack-rejected");
	ck_assert_str_eq(doc_state_of(path, "1.2.1"), "awaiting-ack");
	struct sent_collect sc = { 0 };
	ck_assert_int_eq(ledger_sent_groups(l, LEDGER_SENT_ALL, "send-1", 10, collect_sent, &sc), 0);
	ck_assert_int_eq(sc.n, 2);
	ck_assert(strcmp(sc.states[0], "8:awaiting") == 0 || strcmp(sc.states[1], "8:awaiting") == 0);
	ck_assert(strcmp(sc.states[0], "7:partially-accepted") == 0 ||
		  strcmp(sc.states[1], "7:partially-accepted") == 0);
	/* the wrong functional id, another partner: unmatched, recorded */
	a.fid = "SH";
	ck_assert_int_eq(ledger_ack_match(l, &a, &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "no such functional group"));
	free(why);
	a.fid = "PR";
	a.partner = "other";
	ck_assert_int_eq(ledger_ack_match(l, &a, &why), 0);
	free(why);
	struct ledger_ack_counts c;
	ck_assert_int_eq(ledger_ack_counts(l, &c), 0);
	ck_assert_int_eq(c.unmatched, 2);
	ck_assert_int_eq(c.partial, 1);
	ck_assert_int_eq(c.awaiting, 1);
	/* group 8 all accepted with AK9 A and no AK2 */
	struct ledger_ack_in b = { .partner = "acme", .job_id = "in-10", .doc_type = "997", .fid = "SH",
				   .gcn = "8", .status = 'A', .included = 1, .received = 1, .accepted = 1 };
	ck_assert_int_eq(ledger_ack_match(l, &b, &why), 1);
	ck_assert_str_eq(doc_state_of(path, "1.2.1"), "acknowledged");
	ck_assert_int_eq(ledger_ack_counts(l, &c), 0);
	ck_assert_int_eq(c.awaiting, 0);
	ck_assert_int_eq(c.accepted, 1);
	cleanup(l, dir, path);
}
END_TEST

START_TEST(test_ta1_match)
{
	char *dir, *path;
	struct ledger *l = new_ledger(&dir, &path);
	record_sent(l);
	char *why = NULL;
	ck_assert_int_eq(ledger_ta1_match(l, "acme", "in-11", "000000041", 'A', "000", &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "no such interchange"));
	free(why);
	ck_assert_int_eq(ledger_ta1_match(l, "acme", "in-12", "42", 'R', "006", &why), 1);
	ck_assert_str_eq(doc_state_of(path, "1.1.1"), "ack-rejected");
	ck_assert_str_eq(doc_state_of(path, "1.2.1"), "ack-rejected");
	struct ledger_ack_counts c;
	ck_assert_int_eq(ledger_ack_counts(l, &c), 0);
	ck_assert_int_eq(c.rejected, 2);
	ck_assert_int_eq(c.unmatched, 1);
	ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM events WHERE job_id = 'send-1' AND state = 'ta1-rejected'"), 1);
	cleanup(l, dir, path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_open_schema);
	tcase_add_test(tc, test_control_sequence);
	tcase_add_test(tc, test_rollback_no_consume);
	tcase_add_test(tc, test_crash_safety);
	tcase_add_test(tc, test_ack_controls);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_track);
	tcase_add_test(tc, test_doc_put);
	tcase_add_test(tc, test_docs_set_state);
	tcase_add_test(tc, test_sent_awaiting_overdue);
	tcase_add_test(tc, test_ack_match);
	tcase_add_test(tc, test_ta1_match);
	tcase_add_test(tc, test_speed);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
