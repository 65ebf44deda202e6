/*
 * sftp_poll.c — taking partners' files from their SFTP servers
 * (gateway_sftp_poll, see gateway.h and doc/transports.md).
 *
 * One poll of a partner: connect (host key pinned), list sftp.inbox, and for
 * each regular file matching sftp.pattern:
 *
 *   1. record the observation (ledger remote_files: size, mtime, how many
 *      polls in a row saw them unchanged);
 *   2. take it when it is complete: unchanged at two polls in a row, or its
 *      name matches sftp.ready-pattern;
 *   3. download it straight into a job file in spool/tmp (header first: the
 *      partner, the sanitized name, source sftp:<partner>), check the length
 *      against the listing and the partner's limit.max-file-size;
 *   4. record "committed as job J with hash H" in the ledger, then commit the
 *      job into incoming/ (fsync, rename, fsync of the directory);
 *   5. only then remove the remote file, or rename it into sftp.archive, and
 *      forget it in the ledger.
 *
 * A crash between 4 and 5 leaves the file on the server and the row saying
 * committed: the next poll finds job J in the spool, downloads the file
 * again only to hash it and, when the hash is H, removes it without making a
 * second job. A crash between the ledger row and the rename of 4 leaves a
 * row whose job does not exist: the file is taken again. A file replaced on
 * the server (other size, time or hash) is a new file.
 *
 * Remote names are partner bytes: never a local path (the job is named by
 * our id; the name is metadata, sanitized by name_sanitize), shown escaped
 * in logs and events, used only to name the remote file back to the server.
 * Names no file can have (NUL, '/') are skipped by sftp_list.
 *
 * Fault points (tests): sftp-download (each chunk of a download),
 * sftp-before-commit (ledger row written, job not yet in incoming/),
 * sftp-after-commit (job durable, remote file still there).
 */
#include "gateway/gateway.h"
#include "gateway/gateway_int.h"
#include "transport/sftp.h"
#include "transport/transport.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define NAME_SHOW 120 /* bytes of a remote name in a message */

/* One partner's poll. */
struct poll {
	struct gateway *g;
	const struct cfg_partner *p;
	struct gw_stats *st;
	struct sftp_conn *c;
	time_t now;
	struct buf err;    /* the last operation's error */
	char *problem;     /* the first problem of this poll (for the transport state), allocated */
};

/* Keep the first problem of the poll; msg is taken over. */
static void problem(struct poll *pl, char *msg)
{
	gw_set_reason(&pl->problem, msg);
}

/* Whether rc says the connection is gone (the rest of the poll waits for the next one). */
static int conn_lost(int rc)
{
	return rc == -ETIMEDOUT || rc == -ECONNRESET || rc == -ENOTCONN;
}

/* Called after each downloaded chunk: the crash tests' fault point. */
static int download_progress(void *ctx, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	gw_fault_point("sftp-download");
	return 0;
}

/* qsort order of entries: by name bytes. */
static int entry_cmp(const void *a, const void *b)
{
	const struct sftp_entry *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int r = memcmp(x->name, y->name, n);
	return r ? r : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* The remote file is durable as job: remove it, or move it into sftp.archive (under
 * NAME.<job> when NAME is taken there), then forget it. */
static int finish_remote(struct poll *pl, const struct sftp_entry *e, const char *path, const char *job)
{
	const struct cfg_sftp *f = &pl->p->sftp;
	char *shown = escape_bytes(e->name, e->name_len, NAME_SHOW);
	char *dst = NULL;
	int rc;
	if (f->archive) {
		dst = sftp_path(f->archive, e->name);
		rc = sftp_rename(pl->c, path, dst, &pl->err);
		if (rc == -EEXIST) {
			free(dst);
			char *alt = xasprintf("%s.%s", e->name, job);
			dst = sftp_path(f->archive, alt);
			free(alt);
			rc = sftp_rename(pl->c, path, dst, &pl->err);
		}
	} else {
		rc = sftp_remove(pl->c, path, &pl->err);
	}
	if (rc == -ENOENT) {
		log_warn("sftp %s: %s (job %s) was gone before we could %s it", sftp_peer(pl->c), shown, job,
			 f->archive ? "archive" : "remove");
		rc = 0;
	}
	if (rc < 0) {
		log_error("partner %s: %s is safe as job %s but stays on the server: %s; it will not be "
			  "taken twice", pl->p->id, shown, job, pl->err.data);
		problem(pl, xasprintf("%s", pl->err.data));
		goto out;
	}
	rc = ledger_remote_forget(pl->g->ledger, pl->p->id, e->name, e->name_len);
	if (rc == 0)
		log_info("sftp %s: %s %s (job %s)", sftp_peer(pl->c), f->archive ? "archived" : "removed", shown, job);
out:
	free(dst);
	free(shown);
	return rc;
}

/* Download e into a new job of the partner, commit it, then finish the remote file.
 * Returns a negative errno only for the spool or ledger (or a dead connection). */
static int take(struct poll *pl, const struct sftp_entry *e, const char *path)
{
	const struct cfg_partner *p = pl->p;
	struct spool_meta meta;
	struct spool_writer *w = NULL;
	char sha[65];
	uint64_t len = 0;
	char *shown = escape_bytes(e->name, e->name_len, NAME_SHOW);
	int rc;
	memset(&meta, 0, sizeof meta);
	if (e->size > p->limits.max_file_size) {
		log_error("partner %s: %s on the server is %llu bytes, over limit.max-file-size (%llu); left there",
			  p->id, shown, (unsigned long long)e->size, (unsigned long long)p->limits.max_file_size);
		problem(pl, xasprintf("%s is over limit.max-file-size; left on the server", shown));
		rc = 0;
		goto out;
	}
	meta.partner = xstrdup(p->id);
	meta.orig_name = name_sanitize(e->name, e->name_len);
	meta.source = xasprintf("sftp:%s", p->id);
	meta.received = pl->now;
	if ((rc = spool_writer_open(pl->g->spool, &meta, &w)) < 0)
		goto out;
	rc = sftp_download(pl->c, path, spool_writer_fd(w), p->limits.max_file_size, &len, sha, download_progress,
			   NULL, &pl->err);
	if (rc < 0) {
		spool_writer_abort(w);
		w = NULL;
		log_error("partner %s: %s; left on the server", p->id, pl->err.data);
		problem(pl, xasprintf("%s", pl->err.data));
		rc = conn_lost(rc) ? rc : 0;
		goto out;
	}
	if (len != e->size) {
		spool_writer_abort(w);
		w = NULL;
		log_info("sftp %s: %s changed while we read it (%llu bytes, the listing said %llu); taken when it is "
			 "stable", sftp_peer(pl->c), shown, (unsigned long long)len, (unsigned long long)e->size);
		rc = 0;
		goto out;
	}
	/* the ledger first: a job that exists is always known as this file's */
	if ((rc = ledger_remote_committed(pl->g->ledger, p->id, e->name, e->name_len, sha, meta.id)) < 0) {
		spool_writer_abort(w);
		w = NULL;
		goto out;
	}
	gw_fault_point("sftp-before-commit");
	rc = spool_writer_commit(w, SPOOL_INCOMING);
	w = NULL;
	if (rc < 0) {
		log_error("partner %s: cannot store %s in the spool: %s; left on the server", p->id, shown,
			  strerror(-rc));
		goto out;
	}
	gw_fault_point("sftp-after-commit");
	char *why = xasprintf("sftp:%s %s %s (%llu bytes)", p->id, sftp_peer(pl->c), shown, (unsigned long long)len);
	ledger_event(pl->g->ledger, meta.id, NULL, "received", why);
	free(why);
	log_info("received %s from partner %s (sftp %s) as job %s", shown, p->id, sftp_peer(pl->c), meta.id);
	if (pl->st)
		pl->st->picked_up++;
	rc = finish_remote(pl, e, path, meta.id);
	if (rc < 0 && !conn_lost(rc))
		rc = 0; /* a remote problem: noted, the file stays and is not taken twice */
out:
	spool_writer_abort(w);
	spool_meta_clear(&meta);
	free(shown);
	return rc;
}

/* A file already committed as rf->job_id: when that job exists and the file is the same
 * (hash), only finish the remote side; otherwise take it (again or as a new file). */
static int retake_or_finish(struct poll *pl, const struct sftp_entry *e, const char *path,
			    const struct ledger_remote_file *rf)
{
	char *shown = escape_bytes(e->name, e->name_len, NAME_SHOW);
	int rc;
	if (!spool_id_is_valid(rf->job_id) || spool_locate(pl->g->spool, rf->job_id, NULL) < 0) {
		log_warn("sftp %s: %s was being stored as job %s when edigw stopped; taking it again",
			 sftp_peer(pl->c), shown, rf->job_id);
		rc = take(pl, e, path);
		goto out;
	}
	char sha[65];
	uint64_t len = 0;
	rc = sftp_download(pl->c, path, -1, pl->p->limits.max_file_size, &len, sha, NULL, NULL, &pl->err);
	if (rc < 0) {
		problem(pl, xasprintf("%s", pl->err.data));
		log_error("partner %s: %s", pl->p->id, pl->err.data);
		rc = conn_lost(rc) ? rc : 0;
		goto out;
	}
	if (len == e->size && strcmp(sha, rf->sha256) == 0) {
		log_info("sftp %s: %s is already job %s; finishing it on the server", sftp_peer(pl->c), shown,
			 rf->job_id);
		rc = finish_remote(pl, e, path, rf->job_id);
		if (rc < 0 && !conn_lost(rc))
			rc = 0;
		goto out;
	}
	log_info("sftp %s: %s has new content since it was taken as job %s; taking it as a new file",
		 sftp_peer(pl->c), shown, rf->job_id);
	rc = take(pl, e, path);
out:
	free(shown);
	return rc;
}

/* One poll of partner p: connect, list, take what is complete, sweep what is gone. */
static int poll_partner(struct poll *pl)
{
	const struct cfg_partner *p = pl->p;
	const struct cfg_sftp *f = &p->sftp;
	struct sftp_opts o;
	struct sftp_entry *v = NULL;
	size_t n = 0, skipped = 0;
	int rc;
	transport_sftp_opts(&o, f);
	if ((rc = sftp_connect(&pl->c, &o, &pl->err)) < 0) {
		log_error("partner %s: %s", p->id, pl->err.data);
		problem(pl, xasprintf("%s", pl->err.data));
		return 0;
	}
	if ((rc = sftp_list(pl->c, f->inbox, 0, &v, &n, &skipped, &pl->err)) < 0) {
		log_error("partner %s: %s", p->id, pl->err.data);
		problem(pl, xasprintf("%s", pl->err.data));
		return 0;
	}
	if (skipped)
		log_warn("sftp %s: %zu name(s) in %s that no file can have (NUL or '/') left alone", sftp_peer(pl->c),
			 skipped, f->inbox);
	if (n > 1)
		qsort(v, n, sizeof *v, entry_cmp);
	int complete = 1;
	for (size_t i = 0; i < n; i++) {
		const struct sftp_entry *e = &v[i];
		if (!e->regular || fnmatch(f->pattern, e->name, FNM_PERIOD) != 0)
			continue;
		char *shown = escape_bytes(e->name, e->name_len, NAME_SHOW);
		int ready = f->ready_pattern && fnmatch(f->ready_pattern, e->name, FNM_PERIOD) == 0;
		struct ledger_remote_file rf;
		if (!e->has_size || !e->has_mtime) {
			log_warn("sftp %s: the server gives no size or time for %s; left alone", sftp_peer(pl->c), shown);
			free(shown);
			continue;
		}
		rc = ledger_remote_seen(pl->g->ledger, p->id, e->name, e->name_len, e->size, (int64_t)e->mtime, pl->now,
					&rf);
		if (rc < 0) {
			free(shown);
			goto out;
		}
		char *path = sftp_path(f->inbox, e->name);
		if (strcmp(rf.state, "committed") == 0)
			rc = retake_or_finish(pl, e, path, &rf);
		else if (ready || rf.polls >= 2)
			rc = take(pl, e, path);
		else
			log_info("sftp %s: %s (%llu bytes) is taken once its size and time are the same at the next poll",
				 sftp_peer(pl->c), shown, (unsigned long long)e->size);
		free(path);
		free(shown);
		if (conn_lost(rc)) {
			complete = 0; /* the rest waits for the next poll */
			rc = 0;
			break;
		}
		if (rc < 0)
			goto out;
	}
	/* files no longer listed are gone: forget them (only after a complete pass) */
	if (complete)
		rc = ledger_remote_sweep(pl->g->ledger, p->id, pl->now);
out:
	sftp_entries_free(v, n);
	return rc;
}

/* When partner p's transport last ran (0: never). */
struct last_run {
	const char *partner, *transport;
	int64_t t;
};

/* ledger_transport_rows callback: pick the row of lr's partner and transport. */
static int last_run_cb(void *ctx, const struct ledger_transport_row *r)
{
	struct last_run *lr = ctx;
	if (strcmp(r->partner, lr->partner) == 0 && strcmp(r->transport, lr->transport) == 0)
		lr->t = r->last_run;
	return 0;
}

/* Poll every SFTP partner that is due. */
int gateway_sftp_poll(struct gateway *g, struct gw_stats *st)
{
	int rc = 0;
	for (size_t i = 0; i < g->cfg->npartners && rc >= 0; i++) {
		const struct cfg_partner *p = &g->cfg->partners[i];
		if (!p->sftp.host || !p->sftp.inbox)
			continue;
		time_t now = time(NULL);
		struct last_run lr = { p->id, "sftp-poll", 0 };
		ledger_transport_rows(g->ledger, last_run_cb, &lr);
		if (lr.t && lr.t <= (int64_t)now && (uint64_t)(now - lr.t) < p->sftp.poll_interval_s)
			continue; /* not due yet */
		int lock = -1;
		int lr_rc = transport_lock(g->spool, p->id, &lock);
		if (lr_rc == -EBUSY) {
			log_debug("partner %s: another edigw process is polling or delivering; skipped", p->id);
			continue;
		}
		if (lr_rc < 0) {
			log_error("partner %s: cannot take the transport lock: %s", p->id, strerror(-lr_rc));
			rc = lr_rc;
			break;
		}
		struct poll pl;
		memset(&pl, 0, sizeof pl);
		pl.g = g;
		pl.p = p;
		pl.st = st;
		pl.now = now;
		buf_init(&pl.err, 0);
		rc = poll_partner(&pl);
		if (rc < 0) {
			log_error("partner %s: SFTP poll stopped: %s", p->id, strerror(-rc));
			if (!pl.problem)
				pl.problem = xasprintf("poll stopped: %s", strerror(-rc));
		}
		ledger_transport_note(g->ledger, p->id, "sftp-poll", pl.problem == NULL, pl.problem, 0);
		sftp_close(pl.c);
		transport_unlock(lock);
		free(pl.problem);
		buf_free(&pl.err);
	}
	return rc;
}
