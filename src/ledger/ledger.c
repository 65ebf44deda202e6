/*
 * ledger.c — the SQLite ledger (see ledger.h): documents and their events,
 * outbound control numbers, acknowledgment control numbers, the inbound
 * duplicate registry, and the queries behind `edigw track` and `status`.
 *
 * The database runs in WAL mode with synchronous=FULL, foreign keys on and a
 * 10 s busy timeout; the schema is versioned with PRAGMA user_version and a
 * newer version than ours is refused. Hot statements are prepared once and
 * kept in the struct (ledger_doc_put/ledger_event run ~10^5 times in one
 * transaction for a big file). Measured by check_ledger's test_speed: about
 * 11 us per ledger_doc_put + ledger_event pair (120,000 pairs in 1.4 s on a
 * 2-core build machine, ~30 us with sanitizers).
 *
 * Ownership: a struct ledger owns its connection and statements; it belongs
 * to one thread. Strings passed to callbacks are borrowed for the call.
 * Transactions nest by counting; an inner rollback dooms the whole
 * transaction (later writes return -ECANCELED, the outer commit rolls back).
 */
#include "ledger/ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define CTL_MAX 999999999u

enum stmt_id {
	S_DOC_FIND,
	S_DOC_INSERT,
	S_DOC_UPDATE,
	S_EVENT_INSERT,
	S_DOCS_EVENTS,
	S_DOCS_STATE,
	S_CTL_GET,
	S_CTL_INSERT,
	S_CTL_UPDATE,
	S_ACK_GET,
	S_ACK_GROUPS,
	S_ACK_INSERT,
	S_ACK_GROUP_INSERT,
	S_DUP_FIND,
	S_DUP_INSERT,
	S_TRACK,
	S_FAILURES,
	S_COUNTS,
	S_N
};

static const char *const stmt_sql[S_N] = {
	[S_DOC_FIND] = "SELECT id FROM documents WHERE job_id = ?1 AND doc_key = ?2",
	[S_DOC_INSERT] =
		"INSERT INTO documents(job_id, doc_key, partner, direction, standard, doc_type,"
		" sender, receiver, icn, gcn, tcn, business_key, state, reason, output, test,"
		" created, updated, updated_unix)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?17, ?18)",
	[S_DOC_UPDATE] =
		"UPDATE documents SET partner = COALESCE(?3, partner),"
		" direction = COALESCE(?4, direction), standard = COALESCE(?5, standard),"
		" doc_type = COALESCE(?6, doc_type), sender = COALESCE(?7, sender),"
		" receiver = COALESCE(?8, receiver), icn = COALESCE(?9, icn),"
		" gcn = COALESCE(?10, gcn), tcn = COALESCE(?11, tcn),"
		" business_key = COALESCE(?12, business_key), state = ?13, reason = ?14,"
		" output = COALESCE(?15, output), test = ?16, updated = ?17, updated_unix = ?18"
		" WHERE id = ?19",
	[S_EVENT_INSERT] = "INSERT INTO events(job_id, doc_key, time, unix, state, reason)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	/* ledger_docs_set_state: ?1 job, ?2 prefix, ?3 from (NULL any), ?4 to, ?5 reason,
	 * ?6 time, ?7 unix */
	[S_DOCS_EVENTS] =
		"INSERT INTO events(job_id, doc_key, time, unix, state, reason)"
		" SELECT job_id, doc_key, ?6, ?7, ?4, ?5 FROM documents WHERE job_id = ?1"
		" AND substr(doc_key, 1, length(?2)) = ?2 AND (?3 IS NULL OR state = ?3)"
		" ORDER BY id",
	[S_DOCS_STATE] =
		"UPDATE documents SET state = ?4, reason = ?5, updated = ?6, updated_unix = ?7"
		" WHERE job_id = ?1 AND substr(doc_key, 1, length(?2)) = ?2"
		" AND (?3 IS NULL OR state = ?3)",
	[S_CTL_GET] = "SELECT value FROM control_numbers WHERE partner = ?1 AND level = ?2",
	[S_CTL_INSERT] = "INSERT INTO control_numbers(partner, level, value, updated)"
			 " VALUES(?1, ?2, ?3, ?4)",
	[S_CTL_UPDATE] = "UPDATE control_numbers SET value = ?3, updated = ?4"
			 " WHERE partner = ?1 AND level = ?2",
	[S_ACK_GET] = "SELECT isa13, created_unix FROM ack_controls WHERE job_id = ?1 AND key = ?2",
	[S_ACK_GROUPS] = "SELECT idx, gs06, st02 FROM ack_control_groups"
			 " WHERE job_id = ?1 AND key = ?2 ORDER BY idx",
	[S_ACK_INSERT] = "INSERT INTO ack_controls(job_id, key, partner, isa13, created,"
			 " created_unix) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_ACK_GROUP_INSERT] = "INSERT INTO ack_control_groups(job_id, key, idx, gs06, st02)"
			       " VALUES(?1, ?2, ?3, ?4, ?5)",
	[S_DUP_FIND] = "SELECT job_id FROM interchanges WHERE sender = ?1 AND receiver = ?2"
		       " AND icn = ?3 AND (?4 IS NULL OR job_id <> ?4) AND seen >= ?5"
		       " ORDER BY seen, id LIMIT 1",
	[S_DUP_INSERT] = "INSERT OR IGNORE INTO interchanges(sender, receiver, icn, sha256,"
			 " job_id, seen, seen_time) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* Matching documents with their events, plus job-level events (doc_key NULL) of
	 * the jobs involved; jobs in order of their first event, the job's own events
	 * first, then each document in creation order, events in order. */
	[S_TRACK] =
		"WITH d AS (SELECT * FROM documents WHERE job_id = ?1 OR business_key = ?1"
		"   OR icn = ?1 OR gcn = ?1 OR tcn = ?1),"
		" j AS (SELECT job_id FROM d UNION SELECT ?1),"
		" r AS ("
		"  SELECT d.job_id AS job_id, d.doc_key AS doc_key, d.partner AS partner,"
		"   d.direction AS direction, d.doc_type AS doc_type,"
		"   d.business_key AS business_key, d.icn AS icn, d.gcn AS gcn, d.tcn AS tcn,"
		"   d.state AS doc_state, d.output AS output, e.time AS time, e.state AS state,"
		"   e.reason AS reason, d.id AS dord, e.id AS eord"
		"  FROM d JOIN events e ON e.job_id = d.job_id AND e.doc_key = d.doc_key"
		"  UNION ALL"
		"  SELECT e.job_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
		"   e.time, e.state, e.reason, 0, e.id"
		"  FROM events e WHERE e.doc_key IS NULL AND e.job_id IN (SELECT job_id FROM j)),"
		" o AS (SELECT job_id, MIN(eord) AS first FROM r GROUP BY job_id)"
		" SELECT r.job_id, doc_key, partner, direction, doc_type, business_key, icn, gcn,"
		"  tcn, doc_state, output, time, state, reason FROM r JOIN o ON o.job_id = r.job_id"
		" ORDER BY o.first, r.job_id, dord, eord",
	[S_FAILURES] =
		"SELECT job_id, doc_key, partner, direction, doc_type, business_key, icn, gcn,"
		" tcn, state, output, updated, state, reason, updated_unix, id FROM documents"
		" WHERE state IN ('rejected', 'failed', 'held')"
		" UNION ALL SELECT job_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, state, NULL, time,"
		" state, reason, unix, id FROM events WHERE doc_key IS NULL AND state IN ('held', 'failed')"
		" ORDER BY 15 DESC, 16 DESC LIMIT ?1",
	[S_COUNTS] = "SELECT COALESCE(direction, ''), state, COUNT(*) FROM documents"
		     " GROUP BY 1, 2 ORDER BY 1, 2",
};

static const char schema_v1[] =
	"CREATE TABLE documents("
	" id INTEGER PRIMARY KEY,"
	" job_id TEXT NOT NULL, doc_key TEXT NOT NULL,"
	" partner TEXT, direction TEXT, standard TEXT, doc_type TEXT,"
	" sender TEXT, receiver TEXT, icn TEXT, gcn TEXT, tcn TEXT, business_key TEXT,"
	" state TEXT NOT NULL, reason TEXT, output TEXT, test INTEGER NOT NULL DEFAULT 0,"
	" created TEXT NOT NULL, updated TEXT NOT NULL, updated_unix INTEGER NOT NULL,"
	" UNIQUE(job_id, doc_key));"
	"CREATE INDEX documents_business_key ON documents(business_key);"
	"CREATE INDEX documents_icn ON documents(icn);"
	"CREATE INDEX documents_gcn ON documents(gcn);"
	"CREATE INDEX documents_tcn ON documents(tcn);"
	"CREATE INDEX documents_state ON documents(state, updated_unix);"
	"CREATE TABLE events("
	" id INTEGER PRIMARY KEY, job_id TEXT NOT NULL, doc_key TEXT,"
	" time TEXT NOT NULL, unix INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT);"
	"CREATE INDEX events_job ON events(job_id, doc_key);"
	"CREATE TABLE control_numbers("
	" partner TEXT NOT NULL, level TEXT NOT NULL,"
	" value INTEGER NOT NULL CHECK(value BETWEEN 0 AND 999999999),"
	" updated TEXT, PRIMARY KEY(partner, level));"
	"CREATE TABLE ack_controls("
	" job_id TEXT NOT NULL, key TEXT NOT NULL, partner TEXT NOT NULL,"
	" isa13 INTEGER NOT NULL CHECK(isa13 BETWEEN 1 AND 999999999),"
	" created TEXT NOT NULL, created_unix INTEGER NOT NULL, PRIMARY KEY(job_id, key));"
	"CREATE TABLE ack_control_groups("
	" job_id TEXT NOT NULL, key TEXT NOT NULL, idx INTEGER NOT NULL,"
	" gs06 INTEGER NOT NULL CHECK(gs06 BETWEEN 1 AND 999999999),"
	" st02 INTEGER NOT NULL CHECK(st02 BETWEEN 1 AND 999999999),"
	" PRIMARY KEY(job_id, key, idx),"
	" FOREIGN KEY(job_id, key) REFERENCES ack_controls(job_id, key));"
	"CREATE TABLE interchanges("
	" id INTEGER PRIMARY KEY, sender TEXT NOT NULL, receiver TEXT NOT NULL,"
	" icn TEXT NOT NULL, sha256 TEXT, job_id TEXT NOT NULL,"
	" seen INTEGER NOT NULL, seen_time TEXT NOT NULL,"
	" UNIQUE(sender, receiver, icn, job_id));"
	"CREATE INDEX interchanges_seen ON interchanges(sender, receiver, icn, seen);";

/* Version 2: what we sent and its acknowledgment (reconciliation). */
static const char schema_v2[] =
	"CREATE TABLE sent_groups("
	" id INTEGER PRIMARY KEY, partner TEXT NOT NULL, job_id TEXT NOT NULL,"
	" icn TEXT NOT NULL, gcn TEXT NOT NULL, fid TEXT NOT NULL, version TEXT,"
	" nsets INTEGER NOT NULL, test INTEGER NOT NULL DEFAULT 0,"
	" sent TEXT NOT NULL, sent_unix INTEGER NOT NULL, due_unix INTEGER NOT NULL,"
	" state TEXT NOT NULL, codes TEXT, ack_job TEXT, acked TEXT,"
	" UNIQUE(job_id, icn, gcn));"
	"CREATE INDEX sent_groups_match ON sent_groups(partner, gcn, fid);"
	"CREATE INDEX sent_groups_due ON sent_groups(state, due_unix);"
	"CREATE TABLE sent_sets("
	" group_id INTEGER NOT NULL REFERENCES sent_groups(id), tcn TEXT NOT NULL,"
	" st01 TEXT NOT NULL, doc_key TEXT NOT NULL, state TEXT NOT NULL, codes TEXT,"
	" PRIMARY KEY(group_id, tcn));"
	"CREATE TABLE sent_interchanges("
	" id INTEGER PRIMARY KEY, partner TEXT NOT NULL, job_id TEXT NOT NULL,"
	" icn TEXT NOT NULL, sent_unix INTEGER NOT NULL,"
	" ta1_state TEXT, ta1_code TEXT, ta1_job TEXT, UNIQUE(job_id, icn));"
	"CREATE INDEX sent_interchanges_icn ON sent_interchanges(partner, icn);"
	"CREATE TABLE unmatched_acks("
	" id INTEGER PRIMARY KEY, partner TEXT NOT NULL, job_id TEXT NOT NULL,"
	" kind TEXT NOT NULL, ref TEXT NOT NULL, detail TEXT,"
	" time TEXT NOT NULL, unix INTEGER NOT NULL);";

/* Version 3: how each partner's transports last went (edigw status). */
static const char schema_v3[] =
	"CREATE TABLE transport_state("
	" partner TEXT NOT NULL, transport TEXT NOT NULL,"
	" last_run INTEGER, last_ok INTEGER, last_error TEXT, last_error_unix INTEGER,"
	" failures INTEGER NOT NULL DEFAULT 0, next_retry INTEGER,"
	" PRIMARY KEY(partner, transport));";

/* Version 4: SFTP remote files, deliveries and AS2 messages. Before version 4 these
 * tables were created on first use, so a version 3 ledger may already have them
 * (IF NOT EXISTS keeps their rows). */
static const char schema_v4[] =
	"CREATE TABLE IF NOT EXISTS remote_files("
	" partner TEXT NOT NULL, name BLOB NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, polls INTEGER NOT NULL,"
	" state TEXT NOT NULL, sha256 TEXT, job_id TEXT, PRIMARY KEY(partner, name));"
	"CREATE TABLE IF NOT EXISTS deliveries("
	" job_id TEXT PRIMARY KEY, partner TEXT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL,"
	" transport TEXT NOT NULL, state TEXT NOT NULL, last_error TEXT, remote TEXT,"
	" size INTEGER NOT NULL, attempts INTEGER NOT NULL, first_unix INTEGER NOT NULL,"
	" next_unix INTEGER NOT NULL, updated_unix INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS deliveries_file ON deliveries(partner, name, sha256);"
	"CREATE TABLE IF NOT EXISTS as2_messages("
	" direction TEXT NOT NULL, partner TEXT NOT NULL, message_id TEXT NOT NULL, job_id TEXT,"
	" state TEXT NOT NULL, mic TEXT, disposition TEXT, detail TEXT,"
	" created_unix INTEGER NOT NULL, updated_unix INTEGER NOT NULL,"
	" PRIMARY KEY(direction, partner, message_id));"
	"CREATE INDEX IF NOT EXISTS as2_messages_job ON as2_messages(direction, job_id);";

struct ledger {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[S_N];
	int depth;  /* ledger_begin nesting */
	int doomed; /* an inner rollback happened: the outer commit rolls back */
	time_t fixed_now;
};

static const char *const ctl_names[] = { "ISA", "GS", "ST" };

/* Map an SQLite result code to a negative errno. */
static int sql_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Log an SQLite failure with the connection's message; returns the errno code. */
static int fail(struct ledger *l, int rc, const char *what)
{
	log_error("ledger %s: %s: %s", l->path, what, l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
	return sql_err(rc);
}

/* Current time (or the fixed test clock). */
static time_t now(const struct ledger *l)
{
	return l->fixed_now ? l->fixed_now : time(NULL);
}

/* Fix the clock for tests; 0 restores real time. */
void ledger_set_clock(struct ledger *l, time_t t)
{
	l->fixed_now = t;
}

/* A cached statement, reset and unbound, prepared on first use. */
static int stmt(struct ledger *l, enum stmt_id id, sqlite3_stmt **out)
{
	if (!l->st[id]) {
		int rc = sqlite3_prepare_v3(l->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &l->st[id], NULL);
		if (rc != SQLITE_OK)
			return fail(l, rc, "prepare");
	}
	sqlite3_reset(l->st[id]);
	sqlite3_clear_bindings(l->st[id]);
	*out = l->st[id];
	return 0;
}

/* Bind a possibly NULL string. */
static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

/* Run a statement that returns no rows. */
static int step_done(struct ledger *l, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	int r = rc == SQLITE_DONE ? 0 : fail(l, rc, what);
	sqlite3_reset(s);
	return r;
}

/* Run SQL text without results. */
static int exec(struct ledger *l, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_error("ledger %s: %s: %s", l->path, sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return sql_err(rc);
	}
	return 0;
}

/* Integer result of a one-value query (PRAGMA user_version etc.). */
static int query_int(struct ledger *l, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(l, rc, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = fail(l, rc, sql);
	}
	sqlite3_finalize(s);
	return rc;
}

/* Text result of a one-value query into out (size n). */
static int query_text(struct ledger *l, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(l, rc, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		snprintf(out, n, "%s", t ? (const char *)t : "");
		rc = 0;
	} else {
		rc = fail(l, rc, sql);
	}
	sqlite3_finalize(s);
	return rc;
}

/* Create the schema on a new database, refuse one newer than ours. */
static int migrate(struct ledger *l)
{
	int64_t v = 0;
	int rc = query_int(l, "PRAGMA user_version", &v);
	if (rc < 0)
		return rc;
	if (v == LEDGER_SCHEMA_VERSION)
		return 0;
	if (v > LEDGER_SCHEMA_VERSION) {
		log_error("ledger %s: schema version %" PRId64 " is newer than this edigw supports "
			  "(%d); use a newer edigw or restore the matching database", l->path, v,
			  LEDGER_SCHEMA_VERSION);
		return -EPROTO;
	}
	if ((rc = exec(l, "BEGIN IMMEDIATE")) < 0)
		return rc;
	/* Another process may have created it while we waited for the lock. */
	if ((rc = query_int(l, "PRAGMA user_version", &v)) < 0)
		goto out;
	if (v >= 0 && v < LEDGER_SCHEMA_VERSION) {
		char sql[64];
		if (v == 0 && (rc = exec(l, schema_v1)) < 0)
			goto out;
		if (v <= 1 && (rc = exec(l, schema_v2)) < 0)
			goto out;
		if (v <= 2 && (rc = exec(l, schema_v3)) < 0)
			goto out;
		if (v <= 3 && (rc = exec(l, schema_v4)) < 0)
			goto out;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", LEDGER_SCHEMA_VERSION);
		if ((rc = exec(l, sql)) < 0)
			goto out;
		if (v == 0)
			log_info("ledger %s: created schema version %d", l->path, LEDGER_SCHEMA_VERSION);
		else
			log_info("ledger %s: schema upgraded from version %" PRId64 " to %d (%s)", l->path, v,
				 LEDGER_SCHEMA_VERSION,
				 v == 1   ? "acknowledgment reconciliation, transport, delivery and AS2 tables"
				 : v == 2 ? "transport, delivery and AS2 tables"
					  : "remote file, delivery and AS2 message tables");
	} else if (v != LEDGER_SCHEMA_VERSION) {
		log_error("ledger %s: unexpected schema version %" PRId64, l->path, v);
		rc = -EPROTO;
	}
out:
	if (rc == 0)
		rc = exec(l, "COMMIT");
	if (rc < 0)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Open/create the database and bring its schema up to date. */
int ledger_open(struct ledger **out, const char *path)
{
	char mode[16];
	int rc;
	*out = NULL;
	if (!path || !path[0])
		return -EINVAL;
	struct ledger *l = xcalloc(1, sizeof *l);
	l->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		rc = fail(l, rc, "open");
		goto out;
	}
	sqlite3_extended_result_codes(l->db, 1);
	if ((rc = sql_err(sqlite3_busy_timeout(l->db, 10000))) < 0)
		goto out;
	if ((rc = query_text(l, "PRAGMA journal_mode = WAL", mode, sizeof mode)) < 0)
		goto out;
	if (strcmp(mode, "wal") != 0) {
		log_error("ledger %s: cannot switch to WAL (journal mode %s)", path, mode);
		rc = -EIO;
		goto out;
	}
	if ((rc = exec(l, "PRAGMA synchronous = FULL")) < 0 ||
	    (rc = exec(l, "PRAGMA foreign_keys = ON")) < 0)
		goto out;
	rc = migrate(l);
out:
	if (rc < 0)
		ledger_free(l);
	else
		*out = l;
	return rc;
}

/* Roll back anything open, finalize statements, close. */
void ledger_free(struct ledger *l)
{
	if (!l)
		return;
	if (l->depth > 0) {
		log_warn("ledger %s: closed inside a transaction; rolling back", l->path);
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	}
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close(l->db);
	free(l->path);
	free(l);
}

/* ----------------------------------------------------------- transactions */

/* BEGIN IMMEDIATE for the outermost call; inner calls only count. */
int ledger_begin(struct ledger *l)
{
	if (l->depth == 0) {
		int rc = exec(l, "BEGIN IMMEDIATE");
		if (rc < 0)
			return rc;
		l->doomed = 0;
	}
	l->depth++;
	return 0;
}

/* COMMIT for the outermost call (ROLLBACK and -ECANCELED when an inner call rolled back). */
int ledger_commit(struct ledger *l)
{
	if (l->depth <= 0)
		return -EINVAL;
	if (--l->depth > 0)
		return 0;
	if (l->doomed) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		l->doomed = 0;
		return -ECANCELED;
	}
	int rc = exec(l, "COMMIT");
	if (rc < 0 && !sqlite3_get_autocommit(l->db))
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Roll back: immediately for the outermost call, else doom the transaction. */
void ledger_rollback(struct ledger *l)
{
	if (l->depth <= 0)
		return;
	if (--l->depth > 0) {
		l->doomed = 1;
		return;
	}
	l->doomed = 0;
	if (!sqlite3_get_autocommit(l->db))
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Writes are refused inside a doomed transaction. */
static int writable(const struct ledger *l)
{
	return l->doomed ? -ECANCELED : 0;
}

/* ------------------------------------------------------ documents, events */

/* Append one event row. */
static int event_insert(struct ledger *l, const char *job_id, const char *doc_key,
			const char *state, const char *reason, time_t t, const char *ts)
{
	sqlite3_stmt *s;
	int rc = stmt(l, S_EVENT_INSERT, &s);
	if (rc < 0)
		return rc;
	bind_text(s, 1, job_id);
	bind_text(s, 2, doc_key);
	bind_text(s, 3, ts);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)t);
	bind_text(s, 5, state);
	bind_text(s, 6, reason);
	return step_done(l, s, "insert event");
}

/* Bind the descriptive fields ?1..?18 shared by insert and update. */
static void bind_doc(sqlite3_stmt *s, const struct ledger_doc *d, time_t t, const char *ts)
{
	bind_text(s, 1, d->job_id);
	bind_text(s, 2, d->doc_key);
	bind_text(s, 3, d->partner);
	bind_text(s, 4, d->direction);
	bind_text(s, 5, d->standard);
	bind_text(s, 6, d->doc_type);
	bind_text(s, 7, d->sender);
	bind_text(s, 8, d->receiver);
	bind_text(s, 9, d->icn);
	bind_text(s, 10, d->gcn);
	bind_text(s, 11, d->tcn);
	bind_text(s, 12, d->business_key);
	bind_text(s, 13, d->state);
	bind_text(s, 14, d->reason);
	bind_text(s, 15, d->output);
	sqlite3_bind_int(s, 16, d->test ? 1 : 0);
	bind_text(s, 17, ts);
	sqlite3_bind_int64(s, 18, (sqlite3_int64)t);
}

/* Insert or update a document by (job_id, doc_key) and append its event. */
int ledger_doc_put(struct ledger *l, const struct ledger_doc *d, int64_t *out_id)
{
	sqlite3_stmt *s;
	int64_t id = 0;
	char ts[21];
	time_t t = now(l);
	int rc;
	if (!d || !d->job_id || !d->doc_key || !d->state)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	time_iso(t, ts);
	if ((rc = ledger_begin(l)) < 0)
		return rc;
	if ((rc = stmt(l, S_DOC_FIND, &s)) < 0)
		goto out;
	bind_text(s, 1, d->job_id);
	bind_text(s, 2, d->doc_key);
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (r != SQLITE_DONE)
		rc = fail(l, r, "find document");
	sqlite3_reset(s);
	if (rc < 0)
		goto out;
	if (id) {
		if ((rc = stmt(l, S_DOC_UPDATE, &s)) < 0)
			goto out;
		bind_doc(s, d, t, ts);
		sqlite3_bind_int64(s, 19, id);
		rc = step_done(l, s, "update document");
	} else {
		if ((rc = stmt(l, S_DOC_INSERT, &s)) < 0)
			goto out;
		bind_doc(s, d, t, ts);
		if ((rc = step_done(l, s, "insert document")) == 0)
			id = sqlite3_last_insert_rowid(l->db);
	}
	if (rc == 0)
		rc = event_insert(l, d->job_id, d->doc_key, d->state, d->reason, t, ts);
out:
	if (rc < 0) {
		ledger_rollback(l);
	} else {
		rc = ledger_commit(l);
		if (rc == 0 && out_id)
			*out_id = id;
	}
	return rc;
}

/* Bind the arguments of the two ledger_docs_set_state statements. */
static void bind_set_state(sqlite3_stmt *s, const char *job_id, const char *prefix,
			   const char *from, const char *to, const char *reason, time_t t,
			   const char *ts)
{
	bind_text(s, 1, job_id);
	bind_text(s, 2, prefix ? prefix : "");
	bind_text(s, 3, from);
	bind_text(s, 4, to);
	bind_text(s, 5, reason);
	bind_text(s, 6, ts);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)t);
}

/* Move a job's matching documents from one state to another, with events. */
int ledger_docs_set_state(struct ledger *l, const char *job_id, const char *prefix,
			  const char *from_state, const char *to_state, const char *reason)
{
	sqlite3_stmt *s;
	char ts[21];
	time_t t = now(l);
	int rc, n = 0;
	if (!job_id || !to_state)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	time_iso(t, ts);
	if ((rc = ledger_begin(l)) < 0)
		return rc;
	/* events first: the UPDATE changes the state the SELECT matches on */
	if ((rc = stmt(l, S_DOCS_EVENTS, &s)) < 0)
		goto out;
	bind_set_state(s, job_id, prefix, from_state, to_state, reason, t, ts);
	if ((rc = step_done(l, s, "insert events")) < 0)
		goto out;
	if ((rc = stmt(l, S_DOCS_STATE, &s)) < 0)
		goto out;
	bind_set_state(s, job_id, prefix, from_state, to_state, reason, t, ts);
	if ((rc = step_done(l, s, "update states")) < 0)
		goto out;
	n = sqlite3_changes(l->db);
out:
	if (rc < 0) {
		ledger_rollback(l);
		return rc;
	}
	rc = ledger_commit(l);
	return rc < 0 ? rc : n;
}

/* Append an event for a job or one of its documents. */
int ledger_event(struct ledger *l, const char *job_id, const char *doc_key, const char *state,
		 const char *reason)
{
	char ts[21];
	time_t t = now(l);
	int rc;
	if (!job_id || !state)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	time_iso(t, ts);
	return event_insert(l, job_id, doc_key, state, reason, t, ts);
}

/* -------------------------------------------------------- control numbers */

/* Store value as the last number handed out for (partner, level). */
static int ctl_store(struct ledger *l, const char *partner, const char *lvl, uint64_t value,
		     int exists)
{
	sqlite3_stmt *s;
	char ts[21];
	int rc = stmt(l, exists ? S_CTL_UPDATE : S_CTL_INSERT, &s);
	if (rc < 0)
		return rc;
	time_iso(now(l), ts);
	bind_text(s, 1, partner);
	bind_text(s, 2, lvl);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)value);
	bind_text(s, 4, ts);
	return step_done(l, s, "store control number");
}

/* Last number handed out for (partner, level): *exists 0 when there is no row yet. */
static int ctl_load(struct ledger *l, const char *partner, const char *lvl, uint64_t *value,
		    int *exists)
{
	sqlite3_stmt *s;
	int rc = stmt(l, S_CTL_GET, &s);
	if (rc < 0)
		return rc;
	bind_text(s, 1, partner);
	bind_text(s, 2, lvl);
	int r = sqlite3_step(s);
	*exists = 0;
	*value = 0;
	if (r == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(s, 0);
		*exists = 1;
		*value = v < 0 ? 0 : (uint64_t)v;
	} else if (r != SQLITE_DONE) {
		rc = fail(l, r, "read control number");
	}
	sqlite3_reset(s);
	return rc;
}

/* Next control number (1..999999999, then 1) inside the caller's transaction. */
int ledger_next_control(struct ledger *l, const char *partner, enum ledger_ctl lvl, uint64_t *out)
{
	uint64_t v;
	int exists, rc;
	if (!partner || (int)lvl < LEDGER_CTL_ISA || lvl > LEDGER_CTL_ST)
		return -EINVAL;
	if (l->depth <= 0) {
		log_error("ledger: control number for %s requested outside a transaction", partner);
		return -EINVAL;
	}
	if ((rc = writable(l)) < 0)
		return rc;
	if ((rc = ctl_load(l, partner, ctl_names[lvl], &v, &exists)) < 0)
		return rc;
	v = v >= CTL_MAX ? 1 : v + 1;
	if ((rc = ctl_store(l, partner, ctl_names[lvl], v, exists)) < 0)
		return rc;
	*out = v;
	return 0;
}

/* Set the last number handed out (0..999999999; the next one is value + 1). */
int ledger_set_control(struct ledger *l, const char *partner, enum ledger_ctl lvl, uint64_t value)
{
	uint64_t old;
	int exists, rc;
	if (!partner || (int)lvl < LEDGER_CTL_ISA || lvl > LEDGER_CTL_ST || value > CTL_MAX)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	if ((rc = ledger_begin(l)) < 0)
		return rc;
	rc = ctl_load(l, partner, ctl_names[lvl], &old, &exists);
	if (rc == 0)
		rc = ctl_store(l, partner, ctl_names[lvl], value, exists);
	if (rc < 0)
		ledger_rollback(l);
	else
		rc = ledger_commit(l);
	return rc;
}

/* Free the arrays of an ack control record. */
void ledger_ack_ctl_clear(struct ledger_ack_ctl *c)
{
	if (!c)
		return;
	free(c->gs06);
	free(c->st02);
	memset(c, 0, sizeof *c);
}

/* Insert one GS06/ST02 pair of an ack. */
static int ack_group_insert(struct ledger *l, const char *job_id, const char *key, size_t idx,
			    uint64_t gs06, uint64_t st02)
{
	sqlite3_stmt *s;
	int rc = stmt(l, S_ACK_GROUP_INSERT, &s);
	if (rc < 0)
		return rc;
	bind_text(s, 1, job_id);
	bind_text(s, 2, key);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)idx);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)gs06);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)st02);
	return step_done(l, s, "insert ack group");
}

/* Get or allocate the control numbers of the ack (job_id, key). */
int ledger_ack_controls(struct ledger *l, const char *partner, const char *job_id,
			const char *key, size_t ngroups, struct ledger_ack_ctl *out)
{
	sqlite3_stmt *s;
	size_t have = 0;
	int found = 0, rc, r;
	memset(out, 0, sizeof *out);
	if (!partner || !job_id || !key || ngroups > LEDGER_ACK_GROUPS_MAX)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	out->ngroups = ngroups;
	out->gs06 = xcalloc(ngroups ? ngroups : 1, sizeof *out->gs06);
	out->st02 = xcalloc(ngroups ? ngroups : 1, sizeof *out->st02);
	if ((rc = ledger_begin(l)) < 0)
		goto fail;
	if ((rc = stmt(l, S_ACK_GET, &s)) < 0)
		goto out;
	bind_text(s, 1, job_id);
	bind_text(s, 2, key);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		found = 1;
		out->isa13 = (uint64_t)sqlite3_column_int64(s, 0);
		out->created = (time_t)sqlite3_column_int64(s, 1);
	} else if (r != SQLITE_DONE) {
		rc = fail(l, r, "read ack controls");
	}
	sqlite3_reset(s);
	if (rc < 0)
		goto out;
	if (found) {
		if ((rc = stmt(l, S_ACK_GROUPS, &s)) < 0)
			goto out;
		bind_text(s, 1, job_id);
		bind_text(s, 2, key);
		while ((r = sqlite3_step(s)) == SQLITE_ROW) {
			sqlite3_int64 idx = sqlite3_column_int64(s, 0);
			if (idx != (sqlite3_int64)have) {
				rc = -EBADMSG; /* groups are stored 0..n-1 */
				break;
			}
			if (have < ngroups) {
				out->gs06[have] = (uint64_t)sqlite3_column_int64(s, 1);
				out->st02[have] = (uint64_t)sqlite3_column_int64(s, 2);
			}
			have++;
		}
		if (rc == 0 && r != SQLITE_DONE)
			rc = fail(l, r, "read ack groups");
		sqlite3_reset(s);
		if (rc < 0)
			goto out;
	} else {
		char ts[21];
		out->created = now(l);
		time_iso(out->created, ts);
		if ((rc = ledger_next_control(l, partner, LEDGER_CTL_ISA, &out->isa13)) < 0)
			goto out;
		if ((rc = stmt(l, S_ACK_INSERT, &s)) < 0)
			goto out;
		bind_text(s, 1, job_id);
		bind_text(s, 2, key);
		bind_text(s, 3, partner);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)out->isa13);
		bind_text(s, 5, ts);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)out->created);
		if ((rc = step_done(l, s, "insert ack controls")) < 0)
			goto out;
	}
	/* First call, or more groups than last time: allocate the missing ones. */
	for (size_t i = have; i < ngroups; i++) {
		if ((rc = ledger_next_control(l, partner, LEDGER_CTL_GS, &out->gs06[i])) < 0 ||
		    (rc = ledger_next_control(l, partner, LEDGER_CTL_ST, &out->st02[i])) < 0 ||
		    (rc = ack_group_insert(l, job_id, key, i, out->gs06[i], out->st02[i])) < 0)
			goto out;
	}
out:
	if (rc < 0)
		ledger_rollback(l);
	else
		rc = ledger_commit(l);
fail:
	if (rc < 0)
		ledger_ack_ctl_clear(out);
	return rc;
}

/* ---------------------------------------------------------- duplicates */

/* Is (sender, receiver, icn) recorded within window_s by a job other than job_id? */
int ledger_dup_find(struct ledger *l, const char *sender, const char *receiver, const char *icn,
		    const char *job_id, uint64_t window_s, char **first_job)
{
	sqlite3_stmt *s;
	int rc;
	if (first_job)
		*first_job = NULL;
	if (!sender || !receiver || !icn)
		return -EINVAL;
	time_t t = now(l);
	int64_t cutoff = window_s >= (uint64_t)t ? INT64_MIN : (int64_t)t - (int64_t)window_s;
	if ((rc = stmt(l, S_DUP_FIND, &s)) < 0)
		return rc;
	bind_text(s, 1, sender);
	bind_text(s, 2, receiver);
	bind_text(s, 3, icn);
	bind_text(s, 4, job_id);
	sqlite3_bind_int64(s, 5, cutoff);
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		if (first_job)
			*first_job = xstrdup((const char *)sqlite3_column_text(s, 0));
		rc = 1;
	} else if (r != SQLITE_DONE) {
		rc = fail(l, r, "find duplicate");
	}
	sqlite3_reset(s);
	return rc;
}

/* Record an interchange for the duplicate registry (once per job). */
int ledger_dup_record(struct ledger *l, const char *sender, const char *receiver, const char *icn,
		      const char *sha256, const char *job_id)
{
	sqlite3_stmt *s;
	char ts[21];
	time_t t = now(l);
	int rc;
	if (!sender || !receiver || !icn || !job_id)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	if ((rc = stmt(l, S_DUP_INSERT, &s)) < 0)
		return rc;
	time_iso(t, ts);
	bind_text(s, 1, sender);
	bind_text(s, 2, receiver);
	bind_text(s, 3, icn);
	bind_text(s, 4, sha256);
	bind_text(s, 5, job_id);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)t);
	bind_text(s, 7, ts);
	return step_done(l, s, "record interchange");
}

/* ------------------------------------------------------------ queries */

/* Column i as a borrowed C string (NULL for SQL NULL). */
static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Run a row query, calling cb per row with the track-row columns 0..13. */
static int each_row(struct ledger *l, sqlite3_stmt *s,
		    int (*cb)(void *ctx, const struct ledger_track_row *row), void *ctx,
		    int *nrows)
{
	int r, rc = 0, n = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_track_row row = {
			.job_id = col(s, 0), .doc_key = col(s, 1), .partner = col(s, 2),
			.direction = col(s, 3), .doc_type = col(s, 4), .business_key = col(s, 5),
			.icn = col(s, 6), .gcn = col(s, 7), .tcn = col(s, 8),
			.doc_state = col(s, 9), .output = col(s, 10), .event_time = col(s, 11),
			.event_state = col(s, 12), .event_reason = col(s, 13),
		};
		n++;
		if (cb && (rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(l, r, "query");
	sqlite3_reset(s);
	if (nrows)
		*nrows = n;
	return rc;
}

/* History of the documents matching key, one callback per event. */
int ledger_track(struct ledger *l, const char *key,
		 int (*cb)(void *ctx, const struct ledger_track_row *row), void *ctx, int *nrows)
{
	sqlite3_stmt *s;
	int rc;
	if (nrows)
		*nrows = 0;
	if (!key || !key[0])
		return -EINVAL;
	if ((rc = stmt(l, S_TRACK, &s)) < 0)
		return rc;
	bind_text(s, 1, key);
	return each_row(l, s, cb, ctx, nrows);
}

/* Most recent rejected/failed/held documents. */
int ledger_recent_failures(struct ledger *l, int limit,
			   int (*cb)(void *ctx, const struct ledger_track_row *row), void *ctx)
{
	sqlite3_stmt *s;
	int rc;
	if (limit <= 0)
		return limit < 0 ? -EINVAL : 0;
	if ((rc = stmt(l, S_FAILURES, &s)) < 0)
		return rc;
	sqlite3_bind_int(s, 1, limit);
	return each_row(l, s, cb, ctx, NULL);
}

/* Document counts per (direction, state). */
int ledger_state_counts(struct ledger *l,
			int (*cb)(void *ctx, const char *direction, const char *state, int64_t n),
			void *ctx)
{
	sqlite3_stmt *s;
	int r, rc = stmt(l, S_COUNTS, &s);
	if (rc < 0)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = cb(ctx, col(s, 0), col(s, 1), sqlite3_column_int64(s, 2))) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(l, r, "state counts");
	sqlite3_reset(s);
	return rc;
}

/* ------------------------------------------------ acknowledgment reconciliation */

/* Prepare a one-off statement (reconciliation is low volume). */
static int prep(struct ledger *l, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v2(l->db, sql, -1, out, NULL);
	return rc == SQLITE_OK ? 0 : fail(l, rc, "prepare");
}

/* A control number without its leading zeros ("000000123" and "123" match). */
static const char *ctl_norm(const char *v, char *out, size_t cap)
{
	while (v && v[0] == '0' && v[1])
		v++;
	snprintf(out, cap, "%s", v ? v : "");
	return out;
}

/* Run a one-off statement with n texts bound to ?1..?n and the time t to ?n+1. */
static int run_texts(struct ledger *l, const char *sql, const char *what, const char *const *v, int n,
		     time_t t)
{
	sqlite3_stmt *s;
	int rc = prep(l, sql, &s);
	if (rc < 0)
		return rc;
	for (int i = 0; i < n; i++)
		bind_text(s, i + 1, v[i]);
	sqlite3_bind_int64(s, n + 1, (sqlite3_int64)t);
	rc = step_done(l, s, what);
	sqlite3_finalize(s);
	return rc;
}

/* Set a document's state and reason (no other field) and append the event. */
static int doc_state(struct ledger *l, const char *job_id, const char *doc_key, const char *state,
		     const char *reason, time_t t, const char *ts)
{
	const char *v[] = { job_id, doc_key, state, reason, ts };
	int rc = run_texts(l, "UPDATE documents SET state = ?3, reason = ?4, updated = ?5, updated_unix = ?6"
			   " WHERE job_id = ?1 AND doc_key = ?2", "document state", v, 5, t);
	if (rc == 0)
		rc = event_insert(l, job_id, doc_key, state, reason, t, ts);
	return rc;
}

/* Record an interchange we send, awaiting its acknowledgment. */
int ledger_sent_record(struct ledger *l, const struct ledger_sent *sn)
{
	sqlite3_stmt *g = NULL, *gid = NULL, *ss = NULL, *ic = NULL;
	char ts[21], due[21], icn[16], gcn[16], key[64], reason[96];
	time_t t = now(l);
	int rc;
	if (!sn || !sn->partner || !sn->job_id || !sn->icn || (sn->ngroups && !sn->groups))
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	time_iso(t, ts);
	time_iso(t + (time_t)sn->due_s, due);
	snprintf(reason, sizeof reason, "acknowledgment due by %s", due);
	snprintf(icn, sizeof icn, "%s", sn->icn); /* as sent; TA1 matching ignores leading zeros */
	if ((rc = ledger_begin(l)) < 0)
		return rc;
	if ((rc = prep(l, "INSERT OR IGNORE INTO sent_groups(partner, job_id, icn, gcn, fid, version,"
		       " nsets, test, sent, sent_unix, due_unix, state)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'awaiting')", &g)) < 0 ||
	    (rc = prep(l, "SELECT id FROM sent_groups WHERE job_id = ?1 AND icn = ?2 AND gcn = ?3", &gid)) < 0 ||
	    (rc = prep(l, "INSERT OR IGNORE INTO sent_sets(group_id, tcn, st01, doc_key, state)"
		       " VALUES(?1, ?2, ?3, ?4, 'awaiting')", &ss)) < 0 ||
	    (rc = prep(l, "INSERT OR IGNORE INTO sent_interchanges(partner, job_id, icn, sent_unix)"
		       " VALUES(?1, ?2, ?3, ?4)", &ic)) < 0)
		goto out;
	bind_text(ic, 1, sn->partner);
	bind_text(ic, 2, sn->job_id);
	bind_text(ic, 3, icn);
	sqlite3_bind_int64(ic, 4, (sqlite3_int64)t);
	if ((rc = step_done(l, ic, "record sent interchange")) < 0)
		goto out;
	for (size_t i = 0; i < sn->ngroups && rc == 0; i++) {
		const struct ledger_sent_group *gr = &sn->groups[i];
		if (!gr->gcn || !gr->fid || (gr->nsets && !gr->sets)) {
			rc = -EINVAL;
			break;
		}
		ctl_norm(gr->gcn, gcn, sizeof gcn);
		sqlite3_reset(g);
		bind_text(g, 1, sn->partner);
		bind_text(g, 2, sn->job_id);
		bind_text(g, 3, icn);
		bind_text(g, 4, gcn);
		bind_text(g, 5, gr->fid);
		bind_text(g, 6, gr->version);
		sqlite3_bind_int64(g, 7, (sqlite3_int64)gr->nsets);
		sqlite3_bind_int(g, 8, sn->test ? 1 : 0);
		bind_text(g, 9, ts);
		sqlite3_bind_int64(g, 10, (sqlite3_int64)t);
		sqlite3_bind_int64(g, 11, (sqlite3_int64)(t + (time_t)sn->due_s));
		if ((rc = step_done(l, g, "record sent group")) < 0)
			break;
		sqlite3_reset(gid);
		bind_text(gid, 1, sn->job_id);
		bind_text(gid, 2, icn);
		bind_text(gid, 3, gcn);
		if (sqlite3_step(gid) != SQLITE_ROW) {
			rc = fail(l, SQLITE_ERROR, "sent group id");
			break;
		}
		int64_t id = sqlite3_column_int64(gid, 0);
		sqlite3_reset(gid);
		for (size_t k = 0; k < gr->nsets && rc == 0; k++) {
			const struct ledger_sent_set *st = &gr->sets[k];
			if (!st->st01 || !st->tcn) {
				rc = -EINVAL;
				break;
			}
			snprintf(key, sizeof key, "1.%zu.%zu", i + 1, k + 1);
			sqlite3_reset(ss);
			sqlite3_bind_int64(ss, 1, id);
			bind_text(ss, 2, st->tcn);
			bind_text(ss, 3, st->st01);
			bind_text(ss, 4, key);
			if ((rc = step_done(l, ss, "record sent set")) < 0 || !sqlite3_changes(l->db))
				continue; /* recorded before: a rerun */
			struct ledger_doc d = { .job_id = sn->job_id, .doc_key = key, .partner = sn->partner,
						.direction = "out", .standard = "x12", .doc_type = st->st01,
						.sender = sn->sender, .receiver = sn->receiver, .icn = sn->icn,
						.gcn = gr->gcn, .tcn = st->tcn, .business_key = st->business_key,
						.state = "awaiting-ack", .reason = reason, .output = sn->output,
						.test = sn->test };
			rc = ledger_doc_put(l, &d, NULL);
		}
	}
out:
	sqlite3_finalize(g);
	sqlite3_finalize(gid);
	sqlite3_finalize(ss);
	sqlite3_finalize(ic);
	if (rc < 0)
		ledger_rollback(l);
	else
		rc = ledger_commit(l);
	return rc;
}

/* Record an acknowledgment that matches nothing we sent. */
static int unmatched(struct ledger *l, const char *partner, const char *job_id, const char *kind,
		     const char *ref, const char *detail, time_t t, const char *ts)
{
	const char *v[] = { partner, job_id, kind, ref, detail, ts };
	int rc = run_texts(l, "INSERT INTO unmatched_acks(partner, job_id, kind, ref, detail, time, unix)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", "record unmatched ack", v, 6, t);
	if (rc == 0)
		rc = event_insert(l, job_id, NULL, "unmatched-ack", detail, t, ts);
	return rc;
}

/* The document state and the set state for an AK5/AK9 code. */
static const char *ack_doc_state(char status)
{
	return status == 'A' ? "acknowledged" : status == 'E' ? "acknowledged-with-errors" : "ack-rejected";
}

static const char *ack_group_state(char status)
{
	switch (status) {
	case 'A': return "accepted";
	case 'E': return "accepted-with-errors";
	case 'P': return "partially-accepted";
	default: return "rejected";
	}
}

/* Settle the sets of group id that are still awaiting with one outcome. */
static int settle_rest(struct ledger *l, int64_t id, const char *job_id, char status, const char *reason,
		       time_t t, const char *ts)
{
	sqlite3_stmt *s;
	int rc = prep(l, "SELECT doc_key FROM sent_sets WHERE group_id = ?1 AND state = 'awaiting'", &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	int r;
	while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW)
		rc = doc_state(l, job_id, col(s, 0), ack_doc_state(status), reason, t, ts);
	sqlite3_finalize(s);
	if (rc < 0 || (rc = prep(l, "UPDATE sent_sets SET state = ?2 WHERE group_id = ?1 AND state = 'awaiting'",
				 &s)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, ack_group_state(status == 'R' ? 'R' : 'A'));
	rc = step_done(l, s, "settle sets");
	sqlite3_finalize(s);
	return rc;
}

/* End of a matching transaction: roll back on an error (no reason then), else commit;
 * returns the error, or found (1 matched, 0 recorded as unmatched). */
static int match_end(struct ledger *l, int rc, int found, char **why)
{
	if (rc < 0) {
		ledger_rollback(l);
		free(*why);
		*why = NULL;
		return rc;
	}
	rc = ledger_commit(l);
	return rc < 0 ? rc : found;
}

/* Settle a sent group from an inbound 997/999 group response. */
int ledger_ack_match(struct ledger *l, const struct ledger_ack_in *a, char **why)
{
	sqlite3_stmt *s = NULL;
	char ts[21], gcn[16], reason[512];
	time_t t = now(l);
	int rc, found = 0;
	*why = NULL;
	if (!a || !a->partner || !a->job_id || !a->fid || !a->gcn || (a->nsets && !a->sets))
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	time_iso(t, ts);
	ctl_norm(a->gcn, gcn, sizeof gcn);
	if ((rc = ledger_begin(l)) < 0)
		return rc;
	if ((rc = prep(l, "SELECT id, job_id, icn, state FROM sent_groups WHERE partner = ?1 AND gcn = ?2"
		       " AND fid = ?3 ORDER BY state = 'awaiting' DESC, sent_unix DESC, id DESC LIMIT 1", &s)) < 0)
		goto out;
	bind_text(s, 1, a->partner);
	bind_text(s, 2, gcn);
	bind_text(s, 3, a->fid);
	int r = sqlite3_step(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = fail(l, r, "match ack");
		goto out;
	}
	if (r == SQLITE_DONE) {
		*why = xasprintf("%s for group %s %s: we sent partner %s no such functional group",
				 a->doc_type ? a->doc_type : "ack", a->fid, a->gcn, a->partner);
		rc = unmatched(l, a->partner, a->job_id, a->doc_type ? a->doc_type : "997", a->gcn, *why, t, ts);
		goto out;
	}
	found = 1;
	int64_t id = sqlite3_column_int64(s, 0);
	char *job = xstrdup(col(s, 1));
	char *prev = xstrdup(col(s, 3));
	sqlite3_finalize(s);
	s = NULL;
	snprintf(reason, sizeof reason, "%s in job %s: AK9 %c, %llu of %llu set(s) accepted%s%s%s",
		 a->doc_type ? a->doc_type : "997", a->job_id, a->status, (unsigned long long)a->accepted,
		 (unsigned long long)a->received, a->codes ? " (" : "", a->codes ? a->codes : "",
		 a->codes ? ")" : "");
	if (strcmp(prev, "awaiting") != 0)
		event_insert(l, job, NULL, "ack-again", "a second acknowledgment replaces the first", t, ts);
	if ((rc = prep(l, "UPDATE sent_groups SET state = ?2, codes = ?3, ack_job = ?4, acked = ?5 WHERE id = ?1",
		       &s)) == 0) {
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, ack_group_state(a->status));
		bind_text(s, 3, a->codes);
		bind_text(s, 4, a->job_id);
		bind_text(s, 5, ts);
		rc = step_done(l, s, "settle group");
		sqlite3_finalize(s);
		s = NULL;
	}
	/* each set the response names; reopen earlier outcomes when acknowledged again */
	if (rc == 0 && strcmp(prev, "awaiting") != 0 && (rc = prep(l, "UPDATE sent_sets SET state = 'awaiting'"
								      " WHERE group_id = ?1", &s)) == 0) {
		sqlite3_bind_int64(s, 1, id);
		rc = step_done(l, s, "reopen sets");
		sqlite3_finalize(s);
		s = NULL;
	}
	for (size_t i = 0; rc == 0 && i < a->nsets; i++) {
		const struct ledger_ack_set *k = &a->sets[i];
		char sr[640];
		if (!k->tcn)
			continue;
		if ((rc = prep(l, "SELECT doc_key FROM sent_sets WHERE group_id = ?1 AND tcn = ?2", &s)) < 0)
			break;
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, k->tcn);
		if (sqlite3_step(s) != SQLITE_ROW) {
			char *m = xasprintf("%s names transaction set %s %s, which group %s did not hold",
					    a->doc_type ? a->doc_type : "997", k->st01 ? k->st01 : "", k->tcn, a->gcn);
			rc = event_insert(l, job, NULL, "ack-mismatch", m, t, ts);
			free(m);
			sqlite3_finalize(s);
			s = NULL;
			continue;
		}
		char *dk = xstrdup(col(s, 0));
		sqlite3_finalize(s);
		s = NULL;
		snprintf(sr, sizeof sr, "%s: AK5 %c%s%s", reason, k->status, k->codes ? " " : "", k->codes ? k->codes : "");
		rc = doc_state(l, job, dk, ack_doc_state(k->status), sr, t, ts);
		if (rc == 0 && (rc = prep(l, "UPDATE sent_sets SET state = ?3, codes = ?4 WHERE group_id = ?1"
				       " AND tcn = ?2", &s)) == 0) {
			sqlite3_bind_int64(s, 1, id);
			bind_text(s, 2, k->tcn);
			bind_text(s, 3, ack_group_state(k->status == 'E' ? 'E' : k->status == 'A' ? 'A' : 'R'));
			bind_text(s, 4, k->codes);
			rc = step_done(l, s, "settle set");
			sqlite3_finalize(s);
			s = NULL;
		}
		free(dk);
	}
	if (rc == 0)
		rc = settle_rest(l, id, job, a->status == 'R' ? 'R' : 'A', reason, t, ts);
	if (rc == 0)
		rc = event_insert(l, job, NULL, ack_group_state(a->status), reason, t, ts);
	free(job);
	free(prev);
out:
	sqlite3_finalize(s);
	return match_end(l, rc, found, why);
}

/* Settle a sent interchange from an inbound TA1. */
int ledger_ta1_match(struct ledger *l, const char *partner, const char *job_id, const char *icn_in,
		     char status, const char *code, char **why)
{
	sqlite3_stmt *s = NULL;
	char ts[21], icn[16], reason[256];
	time_t t = now(l);
	int rc, found = 0;
	*why = NULL;
	if (!partner || !job_id || !icn_in)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	time_iso(t, ts);
	ctl_norm(icn_in, icn, sizeof icn);
	if ((rc = ledger_begin(l)) < 0)
		return rc;
	if ((rc = prep(l, "SELECT id, job_id, icn FROM sent_interchanges WHERE partner = ?1"
		       " AND ltrim(icn, '0') = ?2 ORDER BY id DESC LIMIT 1", &s)) < 0)
		goto out;
	bind_text(s, 1, partner);
	bind_text(s, 2, icn);
	if (sqlite3_step(s) != SQLITE_ROW) {
		*why = xasprintf("TA1 for interchange %s: we sent partner %s no such interchange", icn_in, partner);
		rc = unmatched(l, partner, job_id, "TA1", icn_in, *why, t, ts);
		goto out;
	}
	found = 1;
	int64_t id = sqlite3_column_int64(s, 0);
	char *job = xstrdup(col(s, 1));
	snprintf(icn, sizeof icn, "%s", col(s, 2)); /* as we sent it */
	sqlite3_finalize(s);
	s = NULL;
	snprintf(reason, sizeof reason, "TA1 in job %s: interchange %s %s (TA105 %s)", job_id, icn_in,
		 status == 'A' ? "accepted" : status == 'E' ? "accepted with errors" : "rejected", code ? code : "");
	if ((rc = prep(l, "UPDATE sent_interchanges SET ta1_state = ?2, ta1_code = ?3, ta1_job = ?4 WHERE id = ?1",
		       &s)) == 0) {
		char st[2] = { status, 0 };
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, st);
		bind_text(s, 3, code);
		bind_text(s, 4, job_id);
		rc = step_done(l, s, "settle interchange");
		sqlite3_finalize(s);
		s = NULL;
	}
	/* a rejected interchange never gets a 997: its groups are rejected now */
	if (rc == 0 && status == 'R' &&
	    (rc = prep(l, "SELECT id FROM sent_groups WHERE job_id = ?1 AND icn = ?2 AND state = 'awaiting'", &s)) == 0) {
		bind_text(s, 1, job);
		bind_text(s, 2, icn);
		int64_t ids[256];
		size_t n = 0;
		while (n < 256 && sqlite3_step(s) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		s = NULL;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			rc = settle_rest(l, ids[i], job, 'R', reason, t, ts);
			if (rc == 0 && (rc = prep(l, "UPDATE sent_groups SET state = 'rejected', codes = ?2,"
					       " ack_job = ?3, acked = ?4 WHERE id = ?1", &s)) == 0) {
				char c[16];
				snprintf(c, sizeof c, "TA1 R %s", code ? code : "");
				sqlite3_bind_int64(s, 1, ids[i]);
				bind_text(s, 2, c);
				bind_text(s, 3, job_id);
				bind_text(s, 4, ts);
				rc = step_done(l, s, "reject group");
				sqlite3_finalize(s);
				s = NULL;
			}
		}
	}
	if (rc == 0)
		rc = event_insert(l, job, NULL, status == 'R' ? "ta1-rejected" : "ta1-accepted", reason, t, ts);
	free(job);
out:
	sqlite3_finalize(s);
	return match_end(l, rc, found, why);
}

/* Forget a job's acknowledgment control numbers. */
int ledger_ack_controls_forget(struct ledger *l, const char *job_id)
{
	static const char *const sql[] = { "DELETE FROM ack_control_groups WHERE job_id = ?1",
					   "DELETE FROM ack_controls WHERE job_id = ?1" };
	int rc = ledger_begin(l);
	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		sqlite3_stmt *s;
		if ((rc = prep(l, sql[i], &s)) < 0)
			break;
		bind_text(s, 1, job_id);
		rc = step_done(l, s, "forget ack controls");
		sqlite3_finalize(s);
	}
	if (rc < 0) {
		ledger_rollback(l);
		return rc;
	}
	return ledger_commit(l);
}

/* Sent groups for status and track. */
int ledger_sent_groups(struct ledger *l, enum ledger_sent_filter f, const char *job_id, int limit,
		       int (*cb)(void *ctx, const struct ledger_sent_row *row), void *ctx)
{
	sqlite3_stmt *s;
	time_t t = now(l);
	int rc = prep(l, "SELECT partner, job_id, icn, gcn, fid, state, codes, ack_job, sent, acked, nsets,"
		      " sent_unix, due_unix FROM sent_groups"
		      " WHERE (?1 = 0 OR state = 'awaiting') AND (?1 < 2 OR due_unix < ?2)"
		      " AND (?3 IS NULL OR job_id = ?3) ORDER BY sent_unix DESC, id DESC LIMIT ?4", &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(s, 1, (int)f);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)t);
	bind_text(s, 3, job_id);
	sqlite3_bind_int(s, 4, limit);
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_sent_row row = {
			.partner = col(s, 0), .job_id = col(s, 1), .icn = col(s, 2), .gcn = col(s, 3),
			.fid = col(s, 4), .state = col(s, 5), .codes = col(s, 6), .ack_job = col(s, 7),
			.sent = col(s, 8), .acked = col(s, 9), .nsets = sqlite3_column_int64(s, 10),
			.sent_unix = sqlite3_column_int64(s, 11), .due_unix = sqlite3_column_int64(s, 12),
		};
		row.overdue = strcmp(row.state, "awaiting") == 0 && row.due_unix < (int64_t)t;
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(l, r, "sent groups");
	sqlite3_finalize(s);
	return rc;
}

/* Reconciliation counts for status. */
int ledger_ack_counts(struct ledger *l, struct ledger_ack_counts *c)
{
	sqlite3_stmt *s;
	memset(c, 0, sizeof *c);
	int rc = prep(l, "SELECT state, count(*), sum(state = 'awaiting' AND due_unix < ?1) FROM sent_groups"
		      " GROUP BY state", &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now(l));
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *st = col(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (strcmp(st, "awaiting") == 0) {
			c->awaiting = n;
			c->overdue = sqlite3_column_int64(s, 2);
		} else if (strcmp(st, "accepted") == 0) {
			c->accepted = n;
		} else if (strcmp(st, "accepted-with-errors") == 0) {
			c->with_errors = n;
		} else if (strcmp(st, "partially-accepted") == 0) {
			c->partial = n;
		} else {
			c->rejected += n;
		}
	}
	if (r != SQLITE_DONE)
		rc = fail(l, r, "ack counts");
	sqlite3_finalize(s);
	if (rc == 0)
		rc = query_int(l, "SELECT count(*) FROM unmatched_acks", &c->unmatched);
	return rc;
}

/* Unmatched inbound acknowledgments, newest first. */
int ledger_unmatched_acks(struct ledger *l, int limit,
			  int (*cb)(void *ctx, const struct ledger_unmatched_row *row), void *ctx)
{
	sqlite3_stmt *s;
	int rc = prep(l, "SELECT partner, job_id, kind, ref, detail, time FROM unmatched_acks"
		      " ORDER BY unix DESC, id DESC LIMIT ?1", &s);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(s, 1, limit);
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_unmatched_row row = { col(s, 0), col(s, 1), col(s, 2), col(s, 3), col(s, 4), col(s, 5) };
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(l, r, "unmatched acks");
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------------------- transports */

/* A transport's outcome for a partner. */
int ledger_transport_note(struct ledger *l, const char *partner, const char *transport, int ok, const char *error,
			  int64_t next_retry)
{
	if (!partner || !transport)
		return -EINVAL;
	int rc = writable(l);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s = NULL;
	const char *sql = ok ? "INSERT INTO transport_state(partner, transport, last_run, last_ok, failures, next_retry)"
			       " VALUES(?1, ?2, ?3, ?3, 0, NULLIF(?5, 0)) ON CONFLICT(partner, transport) DO UPDATE SET"
			       " last_run = ?3, last_ok = ?3, failures = 0, next_retry = NULLIF(?5, 0)"
			     : "INSERT INTO transport_state(partner, transport, last_run, last_error, last_error_unix, failures,"
			       " next_retry) VALUES(?1, ?2, ?3, ?4, ?3, 1, NULLIF(?5, 0)) ON CONFLICT(partner, transport) DO"
			       " UPDATE SET last_run = ?3, last_error = ?4, last_error_unix = ?3, failures = failures + 1,"
			       " next_retry = NULLIF(?5, 0)";
	rc = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(l, rc, "transport state");
	sqlite3_bind_text(s, 1, partner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, transport, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)now(l));
	sqlite3_bind_text(s, 4, error ? error : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)next_retry);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : fail(l, rc, "transport state");
	sqlite3_finalize(s);
	return rc;
}

/* Every partner's transports, by partner and transport. */
int ledger_transport_rows(struct ledger *l, int (*cb)(void *ctx, const struct ledger_transport_row *r), void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(l->db,
				    "SELECT partner, transport, COALESCE(last_run, 0), COALESCE(last_ok, 0), last_error,"
				    " COALESCE(last_error_unix, 0), failures, COALESCE(next_retry, 0) FROM transport_state"
				    " ORDER BY partner, transport",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(l, rc, "transport rows");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_transport_row r = {
			(const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
			(const char *)sqlite3_column_text(s, 4), sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
			sqlite3_column_int64(s, 5), sqlite3_column_int64(s, 6), sqlite3_column_int64(s, 7)
		};
		int c = cb(ctx, &r);
		if (c) {
			sqlite3_finalize(s);
			return c < 0 ? c : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : fail(l, rc, "transport rows");
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------ remote files and deliveries (added) */

/* Prepare a transport write (refused in a doomed transaction). */
static int tprep(struct ledger *l, const char *sql, sqlite3_stmt **out)
{
	int rc = writable(l);
	if (rc < 0)
		return rc;
	return prep(l, sql, out);
}

/* Step a one-off statement that returns no rows, then finalize it. */
static int tdone(struct ledger *l, sqlite3_stmt *s, const char *what)
{
	int rc = step_done(l, s, what);
	sqlite3_finalize(s);
	return rc;
}

/* Record one observation of a remote file. */
int ledger_remote_seen(struct ledger *l, const char *partner, const void *name, size_t name_len, uint64_t size,
		       int64_t mtime, time_t t, struct ledger_remote_file *out)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!partner || !name || name_len == 0 || name_len > INT_MAX || size > INT64_MAX)
		return -EINVAL;
	if ((rc = tprep(l, "INSERT INTO remote_files(partner, name, size, mtime, first_seen, last_seen, polls, state)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?5, 1, 'seen') ON CONFLICT(partner, name) DO UPDATE SET"
			   " polls = CASE WHEN size = ?3 AND mtime = ?4 THEN polls + 1 ELSE 1 END,"
			   " state = CASE WHEN size = ?3 AND mtime = ?4 THEN state ELSE 'seen' END,"
			   " sha256 = CASE WHEN size = ?3 AND mtime = ?4 THEN sha256 ELSE NULL END,"
			   " job_id = CASE WHEN size = ?3 AND mtime = ?4 THEN job_id ELSE NULL END,"
			   " first_seen = CASE WHEN size = ?3 AND mtime = ?4 THEN first_seen ELSE ?5 END,"
			   " size = ?3, mtime = ?4, last_seen = ?5",
			   &s)) < 0)
		return rc;
	bind_text(s, 1, partner);
	sqlite3_bind_blob(s, 2, name, (int)name_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)mtime);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)t);
	if ((rc = tdone(l, s, "remote file seen")) < 0 || !out)
		return rc;
	if ((rc = prep(l, "SELECT size, mtime, polls, state, sha256, job_id FROM remote_files"
			  " WHERE partner = ?1 AND name = ?2", &s)) < 0)
		return rc;
	bind_text(s, 1, partner);
	sqlite3_bind_blob(s, 2, name, (int)name_len, SQLITE_STATIC);
	int r = sqlite3_step(s);
	memset(out, 0, sizeof *out);
	if (r == SQLITE_ROW) {
		out->size = (uint64_t)sqlite3_column_int64(s, 0);
		out->mtime = sqlite3_column_int64(s, 1);
		out->polls = (unsigned)sqlite3_column_int64(s, 2);
		snprintf(out->state, sizeof out->state, "%s", col(s, 3) ? col(s, 3) : "");
		snprintf(out->sha256, sizeof out->sha256, "%s", col(s, 4) ? col(s, 4) : "");
		snprintf(out->job_id, sizeof out->job_id, "%s", col(s, 5) ? col(s, 5) : "");
		rc = 0;
	} else {
		rc = fail(l, r, "remote file");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Mark a remote file committed as a job. */
int ledger_remote_committed(struct ledger *l, const char *partner, const void *name, size_t name_len,
			    const char *sha256, const char *job_id)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!partner || !name || name_len == 0 || name_len > INT_MAX || !sha256 || !job_id)
		return -EINVAL;
	if ((rc = tprep(l, "UPDATE remote_files SET state = 'committed', sha256 = ?3, job_id = ?4"
			   " WHERE partner = ?1 AND name = ?2", &s)) < 0)
		return rc;
	bind_text(s, 1, partner);
	sqlite3_bind_blob(s, 2, name, (int)name_len, SQLITE_STATIC);
	bind_text(s, 3, sha256);
	bind_text(s, 4, job_id);
	if ((rc = tdone(l, s, "remote file committed")) < 0)
		return rc;
	return sqlite3_changes(l->db) == 1 ? 0 : -ENOENT;
}

/* Forget one remote file. */
int ledger_remote_forget(struct ledger *l, const char *partner, const void *name, size_t name_len)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!partner || !name || name_len == 0 || name_len > INT_MAX)
		return -EINVAL;
	if ((rc = tprep(l, "DELETE FROM remote_files WHERE partner = ?1 AND name = ?2", &s)) < 0)
		return rc;
	bind_text(s, 1, partner);
	sqlite3_bind_blob(s, 2, name, (int)name_len, SQLITE_STATIC);
	return tdone(l, s, "forget remote file");
}

/* Forget files no poll saw since `since`. */
int ledger_remote_sweep(struct ledger *l, const char *partner, time_t since)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!partner)
		return -EINVAL;
	if ((rc = tprep(l, "DELETE FROM remote_files WHERE partner = ?1 AND last_seen < ?2", &s)) < 0)
		return rc;
	bind_text(s, 1, partner);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	return tdone(l, s, "sweep remote files");
}

/* Free the strings of a delivery row. */
void ledger_delivery_clear(struct ledger_delivery *d)
{
	if (!d)
		return;
	free(d->job_id);
	free(d->partner);
	free(d->name);
	free(d->sha256);
	free(d->transport);
	free(d->state);
	free(d->last_error);
	free(d->remote);
	memset(d, 0, sizeof *d);
}

#define DELIVERY_COLS \
	"job_id, partner, name, sha256, transport, state, last_error, remote, size, attempts, first_unix," \
	" next_unix, updated_unix"

/* Duplicate a possibly NULL column. */
static char *coldup(sqlite3_stmt *s, int i)
{
	const char *v = col(s, i);
	return v ? xstrdup(v) : NULL;
}

/* Fill d from a row of DELIVERY_COLS; owned copies when own, else borrowed. */
static void delivery_row(sqlite3_stmt *s, struct ledger_delivery *d, int own)
{
	char **f[] = { &d->job_id, &d->partner, &d->name, &d->sha256, &d->transport, &d->state, &d->last_error,
		       &d->remote };
	for (int i = 0; i < 8; i++)
		*f[i] = own ? coldup(s, i) : (char *)col(s, i);
	d->size = (uint64_t)sqlite3_column_int64(s, 8);
	d->attempts = (unsigned)sqlite3_column_int64(s, 9);
	d->first_unix = sqlite3_column_int64(s, 10);
	d->next_unix = sqlite3_column_int64(s, 11);
	d->updated_unix = sqlite3_column_int64(s, 12);
}

/* Insert or replace a delivery row. */
int ledger_delivery_put(struct ledger *l, const struct ledger_delivery *d)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!d->job_id || !d->partner || !d->name || !d->sha256 || !d->transport || !d->state ||
	    d->size > INT64_MAX)
		return -EINVAL;
	if ((rc = tprep(l, "INSERT OR REPLACE INTO deliveries(" DELIVERY_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
			   " ?7, ?8, ?9, ?10, ?11, ?12, ?13)", &s)) < 0)
		return rc;
	const char *v[] = { d->job_id, d->partner, d->name, d->sha256, d->transport, d->state, d->last_error,
			    d->remote };
	for (int i = 0; i < 8; i++)
		bind_text(s, i + 1, v[i]);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)d->size);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)d->attempts);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)d->first_unix);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)d->next_unix);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)now(l));
	return tdone(l, s, "delivery");
}

/* One row into out: 1, 0 when none. */
static int delivery_one(struct ledger *l, sqlite3_stmt *s, struct ledger_delivery *out)
{
	int r = sqlite3_step(s), rc;
	memset(out, 0, sizeof *out);
	if (r == SQLITE_ROW) {
		delivery_row(s, out, 1);
		rc = 1;
	} else if (r == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = fail(l, r, "delivery");
	}
	sqlite3_finalize(s);
	return rc;
}

/* The delivery row of a job. */
int ledger_delivery_get(struct ledger *l, const char *job_id, struct ledger_delivery *out)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!job_id)
		return -EINVAL;
	if ((rc = prep(l, "SELECT " DELIVERY_COLS " FROM deliveries WHERE job_id = ?1", &s)) < 0)
		return rc;
	bind_text(s, 1, job_id);
	return delivery_one(l, s, out);
}

/* The newest delivery row of a file. */
int ledger_delivery_find(struct ledger *l, const char *partner, const char *name, const char *sha256,
			 struct ledger_delivery *out)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!partner || !name || !sha256)
		return -EINVAL;
	if ((rc = prep(l, "SELECT " DELIVERY_COLS " FROM deliveries WHERE partner = ?1 AND name = ?2"
			  " AND sha256 = ?3 ORDER BY first_unix DESC, rowid DESC LIMIT 1", &s)) < 0)
		return rc;
	bind_text(s, 1, partner);
	bind_text(s, 2, name);
	bind_text(s, 3, sha256);
	return delivery_one(l, s, out);
}

/* Delete a delivery row. */
int ledger_delivery_delete(struct ledger *l, const char *job_id)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!job_id)
		return -EINVAL;
	if ((rc = tprep(l, "DELETE FROM deliveries WHERE job_id = ?1", &s)) < 0)
		return rc;
	bind_text(s, 1, job_id);
	return tdone(l, s, "delete delivery");
}

/* Delivery rows, oldest first. */
int ledger_deliveries(struct ledger *l, const char *partner, const char *state,
		      int (*cb)(void *ctx, const struct ledger_delivery *d), void *ctx)
{
	sqlite3_stmt *s = NULL;
	int rc, r;
	if ((rc = prep(l, "SELECT " DELIVERY_COLS " FROM deliveries WHERE (?1 IS NULL OR partner = ?1)"
			  " AND (?2 IS NULL OR state = ?2) ORDER BY first_unix, job_id", &s)) < 0)
		return rc;
	bind_text(s, 1, partner);
	bind_text(s, 2, state);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct ledger_delivery d;
		delivery_row(s, &d, 0);
		if ((rc = cb(ctx, &d)) != 0)
			break;
	}
	if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(l, r, "deliveries");
	sqlite3_finalize(s);
	return rc;
}

/* ------------------------------------------------ AS2 messages (added) */

void ledger_as2_clear(struct ledger_as2 *m)
{
	free(m->direction);
	free(m->partner);
	free(m->message_id);
	free(m->job_id);
	free(m->state);
	free(m->mic);
	free(m->disposition);
	free(m->detail);
	memset(m, 0, sizeof *m);
}

/* Insert or update an AS2 message row. */
int ledger_as2_put(struct ledger *l, const struct ledger_as2 *m)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!m->direction || !m->partner || !m->message_id || !m->state)
		return -EINVAL;
	if ((rc = writable(l)) < 0)
		return rc;
	if ((rc = prep(l, "INSERT INTO as2_messages(direction, partner, message_id, job_id, state, mic, disposition,"
			  " detail, created_unix, updated_unix) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
			  " ON CONFLICT(direction, partner, message_id) DO UPDATE SET"
			  " job_id = COALESCE(?4, job_id), state = ?5, mic = COALESCE(?6, mic),"
			  " disposition = COALESCE(?7, disposition), detail = COALESCE(?8, detail), updated_unix = ?9",
			  &s)) < 0)
		return rc;
	const char *v[] = { m->direction, m->partner, m->message_id, m->job_id, m->state, m->mic, m->disposition,
			    m->detail };
	for (int i = 0; i < 8; i++)
		bind_text(s, i + 1, v[i]);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)now(l));
	rc = step_done(l, s, "as2 message");
	sqlite3_finalize(s);
	return rc;
}

/* One as2_messages row into out: 1, 0 when none. */
static int as2_one(struct ledger *l, sqlite3_stmt *s, struct ledger_as2 *out)
{
	int r = sqlite3_step(s), rc = 0;
	memset(out, 0, sizeof *out);
	if (r == SQLITE_ROW) {
		char **f[8] = { &out->direction, &out->partner, &out->message_id, &out->job_id, &out->state, &out->mic,
				&out->disposition, &out->detail };
		for (int i = 0; i < 8; i++) {
			const unsigned char *t = sqlite3_column_text(s, i);
			*f[i] = t ? xstrdup((const char *)t) : NULL;
		}
		out->created_unix = sqlite3_column_int64(s, 8);
		out->updated_unix = sqlite3_column_int64(s, 9);
		rc = 1;
	} else if (r != SQLITE_DONE) {
		rc = fail(l, r, "as2 message");
	}
	sqlite3_finalize(s);
	return rc;
}

#define AS2_COLS "direction, partner, message_id, job_id, state, mic, disposition, detail, created_unix, updated_unix"

/* The row of one message. */
int ledger_as2_get(struct ledger *l, const char *direction, const char *partner, const char *message_id,
		   struct ledger_as2 *out)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!direction || !partner || !message_id)
		return -EINVAL;
	if ((rc = prep(l, "SELECT " AS2_COLS " FROM as2_messages WHERE direction = ?1 AND partner = ?2"
			  " AND message_id = ?3", &s)) < 0)
		return rc;
	bind_text(s, 1, direction);
	bind_text(s, 2, partner);
	bind_text(s, 3, message_id);
	return as2_one(l, s, out);
}

/* The newest row of a job. */
int ledger_as2_by_job(struct ledger *l, const char *direction, const char *job_id, struct ledger_as2 *out)
{
	sqlite3_stmt *s = NULL;
	int rc;
	if (!direction || !job_id)
		return -EINVAL;
	if ((rc = prep(l, "SELECT " AS2_COLS " FROM as2_messages WHERE direction = ?1 AND job_id = ?2"
			  " ORDER BY created_unix DESC, rowid DESC LIMIT 1", &s)) < 0)
		return rc;
	bind_text(s, 1, direction);
	bind_text(s, 2, job_id);
	return as2_one(l, s, out);
}
