/*
 * deliver.c — delivering outbound documents to partners' SFTP servers, with
 * deferral and back-off (gateway_deliver, gateway_deliver_replay,
 * gateway_delivery_counts; see gateway.h and doc/transports.md).
 *
 * For a partner with sftp.outbox, each pass:
 *
 *   adopt    every file of spool/outbound/<partner>/ becomes a delivery job:
 *            a deliveries row (job, name, hash; state queued) is written,
 *            then the job (our header, the file's bytes) is committed into
 *            deferred/, then the outbound file is unlinked. A crash after the
 *            commit leaves both: the next pass finds the row and its job and
 *            only unlinks the file. A crash before the commit leaves a row
 *            without a job: the file is adopted again.
 *   deliver  every job of the partner in deferred/ that is due:
 *              queued    upload to OUTBOX/.edigw-<job>.part, check its size,
 *                        record state renaming, rename it to OUTBOX/NAME
 *                        (never replacing), record delivered;
 *              renaming  (a crash during the rename) the temporary file still
 *                        there: rename it now; gone: the rename happened (and
 *                        the partner may have taken the file already) — it
 *                        is delivered, never uploaded again;
 *              delivered the job moves deferred/ → sent/ with a "sent" event.
 *   retry    a failed attempt counts in the row and the header (Attempts:,
 *            Reason:); the next one is due retry.min * 2^(attempts-1) later,
 *            at most retry.max; a job still undelivered retry.max-age after
 *            it was queued goes to failed/ with a "failed" event and reason.
 *
 * So a document reaches the partner's outbox at most once per delivery job
 * (the rename is the only act that makes it visible there, and it happens
 * in state renaming only after checking that the temporary file is still
 * ours), and every document is either in outbound/, deferred/, sent/ or
 * failed/.
 *
 * Fault points (tests): deliver-after-adopt (job in deferred/, outbound file
 * still there), deliver-after-upload (temporary file on the server, state
 * queued), deliver-after-rename (renamed on the server, state renaming),
 * deliver-before-sent (state delivered, job still in deferred/).
 */
#include "gateway/gateway.h"
#include "gateway/gateway_int.h"
#include "transport/sftp.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536

/* One partner's delivery pass. */
struct pass {
	struct gateway *g;
	const struct cfg_partner *p;
	struct gw_stats *st;
	time_t now;
	struct sftp_conn *c;
	char *connect_error; /* the connection failed this pass: every attempt fails with it */
	char *problem;       /* the first failed attempt's error (transport state) */
	int64_t next_retry;  /* earliest next attempt of a waiting job */
	size_t attempted;    /* jobs tried this pass */
	size_t waiting;      /* jobs left waiting for their next attempt */
	struct buf err;
};

/* Whether rc says the connection is gone. */
static int conn_lost(int rc)
{
	return rc == -ETIMEDOUT || rc == -ECONNRESET || rc == -ENOTCONN;
}

/* The wait after the n-th failed delivery attempt (SFTP and AS2): min * 2^(n-1), at most max. */
uint64_t gw_backoff(const struct cfg_retry *r, unsigned attempts)
{
	uint64_t d = r->min_s ? r->min_s : 1;
	for (unsigned i = 1; i < attempts && d < r->max_s; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	return d < r->max_s ? d : r->max_s;
}

/* The remote temporary name of a job. */
static char *tmp_name(const char *job)
{
	return xasprintf(".edigw-%s.part", job);
}

/* ------------------------------------------------------------ adoption */

/* Hash a file and check it is regular; fd is left at its start. */
static int hash_fd(int fd, uint64_t *size, char sha[65])
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	struct sha256_ctx *h = sha256_new();
	char *b = xmalloc(CHUNK);
	uint64_t total = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, b, CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		sha256_update(h, b, (size_t)r);
		total += (uint64_t)r;
	}
	free(b);
	sha256_finish(h, sha);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	*size = total;
	return rc;
}

/* Copy exactly len bytes from in to out. */
static int copy_exact(int in, int out, uint64_t len)
{
	char *b = xmalloc(CHUNK);
	uint64_t done = 0;
	int rc = 0;
	while (done < len) {
		size_t want = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		ssize_t r = read(in, b, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			break;
		}
		if ((rc = write_all(out, b, (size_t)r)) < 0)
			break;
		done += (uint64_t)r;
	}
	free(b);
	return rc;
}

/* Turn outbound/<partner>/name into a delivery job in deferred/ (see the top). */
static int adopt(struct pass *ps, const char *dir, const char *name)
{
	const struct cfg_partner *p = ps->p;
	char *path = path_join(dir, name);
	struct ledger_delivery row, old;
	struct spool_meta meta;
	struct spool_writer *w = NULL;
	char sha[65];
	uint64_t size = 0;
	int rc;
	memset(&row, 0, sizeof row);
	memset(&old, 0, sizeof old);
	memset(&meta, 0, sizeof meta);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	if ((rc = hash_fd(fd, &size, sha)) < 0) {
		if (rc == -EINVAL)
			rc = 0; /* not a regular file: not ours */
		goto out;
	}
	int found = ledger_delivery_find(ps->g->ledger, p->id, name, sha, &old);
	if (found < 0) {
		rc = found;
		goto out;
	}
	if (found && spool_locate(ps->g->spool, old.job_id, NULL) == 0) {
		/* adopted before a crash took us between the commit and the unlink */
		log_info("outbound/%s/%s is already delivery job %s; removing the leftover", p->id, name, old.job_id);
		goto leftover;
	}
	if (found && (rc = ledger_delivery_delete(ps->g->ledger, old.job_id)) < 0)
		goto out;
	meta.partner = xstrdup(p->id);
	meta.orig_name = xstrdup(name);
	meta.source = xasprintf("outbound:%s", p->id);
	meta.received = ps->now;
	if ((rc = spool_writer_open(ps->g->spool, &meta, &w)) < 0)
		goto out;
	if ((rc = copy_exact(fd, spool_writer_fd(w), size)) < 0) {
		log_error("outbound/%s/%s: cannot copy it into the spool: %s", p->id, name, strerror(-rc));
		goto out;
	}
	row.job_id = xstrdup(meta.id);
	row.partner = xstrdup(p->id);
	row.name = xstrdup(name);
	row.sha256 = xstrdup(sha);
	row.transport = xstrdup("sftp");
	row.state = xstrdup("queued");
	row.remote = xasprintf("%s:%u:%s", p->sftp.host, p->sftp.port, p->sftp.outbox);
	row.size = size;
	row.first_unix = ps->now;
	row.next_unix = ps->now;
	if ((rc = ledger_delivery_put(ps->g->ledger, &row)) < 0)
		goto out;
	rc = spool_writer_commit(w, SPOOL_DEFERRED);
	w = NULL;
	if (rc < 0)
		goto out;
	gw_fault_point("deliver-after-adopt");
	char *why = xasprintf("outbound/%s/%s (%llu bytes) queued for SFTP delivery to %s", p->id, name,
			      (unsigned long long)size, row.remote);
	ledger_event(ps->g->ledger, meta.id, NULL, "queued", why);
	free(why);
leftover:
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		log_error("outbound/%s/%s: queued, but cannot remove it: %s", p->id, name, strerror(errno));
		goto out;
	}
	rc = fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	spool_writer_abort(w);
	spool_meta_clear(&meta);
	ledger_delivery_clear(&row);
	ledger_delivery_clear(&old);
	free(path);
	return rc;
}

/* A dir_names filter for outbound/<partner>/: names edigw writes, not temporary files or
 * our lock (a leading '.'); another name is logged and left alone. */
static int outbound_name(const char *dir, const char *name, void *ctx)
{
	const char *partner = ctx;
	(void)dir;
	if (name[0] == '.')
		return 0;
	if (!name_is_safe(name)) {
		log_warn("outbound/%s: %s is not a name edigw writes; left alone", partner, name);
		return 0;
	}
	return 1;
}

/* Adopt every file waiting in outbound/<partner>/ (name order). */
static int adopt_all(struct pass *ps)
{
	char *dir = NULL, **names = NULL;
	size_t n = 0;
	int rc = spool_outbound_dir(ps->g->spool, ps->p->id, &dir);
	if (rc < 0)
		return rc;
	rc = dir_names(dir, outbound_name, (void *)ps->p->id, 0, &names, &n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = adopt(ps, dir, names[i]);
	dir_names_free(names, n);
	free(dir);
	return rc;
}

/* ------------------------------------------------------------ attempts */

/* Replace a row's string field. */
static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v ? xstrdup(v) : NULL;
}

/* The row is delivered: job deferred/ → sent/ with the event. */
static int finish_sent(struct pass *ps, struct ledger_delivery *row)
{
	int rc;
	if (strcmp(row->state, "delivered") != 0) {
		set_str(&row->state, "delivered");
		set_str(&row->last_error, NULL);
		if ((rc = ledger_delivery_put(ps->g->ledger, row)) < 0)
			return rc;
		char *why = xasprintf("sftp %s", row->remote);
		ledger_event(ps->g->ledger, row->job_id, NULL, "sent", why);
		free(why);
		log_info("delivered %s to partner %s (sftp %s), job %s", row->name, ps->p->id, row->remote, row->job_id);
		if (ps->st)
			ps->st->delivered++;
	}
	gw_fault_point("deliver-before-sent");
	rc = spool_move(ps->g->spool, row->job_id, SPOOL_DEFERRED, SPOOL_SENT, "", -1);
	if (rc == -ENOENT && spool_locate(ps->g->spool, row->job_id, NULL) == 0)
		rc = 0; /* moved already */
	return rc;
}

/* One attempt at a queued or renaming job over ps->c. 0 delivered (row updated),
 * negative errno with ps->err saying why. */
static int attempt(struct pass *ps, struct ledger_delivery *row)
{
	const struct cfg_sftp *f = &ps->p->sftp;
	char *tname = tmp_name(row->job_id);
	char *tmp = sftp_path(f->outbox, tname), *dst = sftp_path(f->outbox, row->name);
	struct spool_meta meta;
	struct sftp_entry se;
	int fd = -1, rc;
	memset(&meta, 0, sizeof meta);
	if (strcmp(row->state, "renaming") == 0) {
		rc = sftp_stat(ps->c, tmp, &se, &ps->err);
		if (rc == -ENOENT) {
			/* the interrupted attempt's rename happened: never upload again */
			log_warn("partner %s: job %s was being renamed into place when edigw stopped; %s is gone from "
				 "the server, so the rename happened: counted as delivered", ps->p->id, row->job_id, tname);
			rc = 0;
			goto done;
		}
		if (rc < 0)
			goto out;
		goto rename;
	}
	uint64_t len = 0;
	if ((rc = spool_open_job(ps->g->spool, SPOOL_DEFERRED, row->job_id, &meta, &fd, &len)) < 0) {
		buf_reset(&ps->err);
		buf_printf(&ps->err, "cannot read job %s: %s", row->job_id, strerror(-rc));
		goto out;
	}
	if (len != row->size) {
		buf_reset(&ps->err);
		buf_printf(&ps->err, "job %s holds %llu bytes, %llu were queued", row->job_id, (unsigned long long)len,
			   (unsigned long long)row->size);
		rc = -EIO;
		goto out;
	}
	if ((rc = sftp_put(ps->c, tmp, fd, len, &ps->err)) < 0)
		goto out;
	gw_fault_point("deliver-after-upload");
	set_str(&row->state, "renaming");
	if ((rc = ledger_delivery_put(ps->g->ledger, row)) < 0) {
		buf_reset(&ps->err);
		buf_printf(&ps->err, "ledger: %s", strerror(-rc));
		goto out;
	}
rename:
	rc = sftp_rename(ps->c, tmp, dst, &ps->err);
	if (rc < 0) {
		if (!conn_lost(rc)) {
			/* the server refused: nothing was renamed, start over next time */
			struct buf junk;
			buf_init(&junk, 0);
			sftp_remove(ps->c, tmp, &junk);
			buf_free(&junk);
			set_str(&row->state, "queued");
			int r2 = ledger_delivery_put(ps->g->ledger, row);
			if (r2 < 0)
				rc = r2;
		}
		goto out; /* connection lost: state stays renaming, resolved next time */
	}
	gw_fault_point("deliver-after-rename");
done:
	{
		char *where = xasprintf("%s:%u:%s", f->host, f->port, dst);
		set_str(&row->remote, where);
		free(where);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	spool_meta_clear(&meta);
	free(tname);
	free(tmp);
	free(dst);
	return rc;
}

/* A failed attempt: count it; wait (back-off) or give up after retry.max-age. */
static int failed_attempt(struct pass *ps, struct ledger_delivery *row, const char *why)
{
	const struct cfg_retry *r = &ps->p->retry;
	char iso[21];
	int rc;
	row->attempts++;
	set_str(&row->last_error, why);
	gw_set_reason(&ps->problem, xstrdup(why));
	if ((uint64_t)(ps->now - row->first_unix) >= r->max_age_s) {
		char *reason = xasprintf("not delivered to partner %s within retry.max-age (%llus, %u attempts): %s",
					 ps->p->id, (unsigned long long)r->max_age_s, row->attempts, why);
		set_str(&row->state, "failed");
		row->next_unix = 0;
		if ((rc = ledger_delivery_put(ps->g->ledger, row)) == 0)
			rc = spool_move(ps->g->spool, row->job_id, SPOOL_DEFERRED, SPOOL_FAILED, reason, -1);
		ledger_event(ps->g->ledger, row->job_id, NULL, "failed", reason);
		log_error("job %s (%s): %s; moved to failed/", row->job_id, row->name, reason);
		free(reason);
		if (ps->st)
			ps->st->undeliverable++;
		return rc;
	}
	if (ps->st)
		ps->st->deferred++;
	/* the wait counts from the failure, not from the start of the pass: an attempt late in a
	 * long pass (or one that timed out) still waits its whole back-off */
	uint64_t wait = gw_backoff(r, row->attempts);
	row->next_unix = (int64_t)time(NULL) + (int64_t)wait;
	if (!ps->next_retry || row->next_unix < ps->next_retry)
		ps->next_retry = row->next_unix;
	time_iso((time_t)row->next_unix, iso);
	char *reason = xasprintf("attempt %u failed: %s; next attempt at %s", row->attempts, why, iso);
	if ((rc = ledger_delivery_put(ps->g->ledger, row)) == 0)
		rc = spool_move_retry(ps->g->spool, row->job_id, SPOOL_DEFERRED, SPOOL_DEFERRED, reason);
	ledger_event(ps->g->ledger, row->job_id, NULL, "deferred", reason);
	log_warn("job %s (%s) to partner %s: %s", row->job_id, row->name, ps->p->id, reason);
	free(reason);
	return rc;
}

/* Connect once per pass; a failure is every attempt's failure this pass. */
static int ensure_conn(struct pass *ps)
{
	if (ps->c)
		return 0;
	if (ps->connect_error)
		return -ENOTCONN;
	struct sftp_opts o;
	transport_sftp_opts(&o, &ps->p->sftp);
	int rc = sftp_connect(&ps->c, &o, &ps->err);
	if (rc < 0) {
		ps->connect_error = xstrdup(ps->err.data);
		log_error("partner %s: %s", ps->p->id, ps->err.data);
	}
	return rc;
}

/* Deliver one deferred job of the partner when it is due. */
static int deliver_job(struct pass *ps, const char *id)
{
	struct ledger_delivery row;
	int rc = ledger_delivery_get(ps->g->ledger, id, &row);
	if (rc <= 0)
		return rc; /* not a delivery job */
	if (strcmp(row.partner, ps->p->id) != 0 || strcmp(row.transport, "sftp") != 0) {
		rc = 0;
		goto out;
	}
	if (strcmp(row.state, "delivered") == 0) {
		rc = finish_sent(ps, &row);
		goto out;
	}
	if (row.next_unix > (int64_t)ps->now) {
		if (row.attempts && (!ps->next_retry || row.next_unix < ps->next_retry))
			ps->next_retry = row.next_unix;
		ps->waiting++;
		rc = 0;
		goto out;
	}
	ps->attempted++;
	if ((rc = ensure_conn(ps)) < 0) {
		rc = failed_attempt(ps, &row, ps->connect_error);
		goto out;
	}
	rc = attempt(ps, &row);
	if (rc == 0) {
		rc = finish_sent(ps, &row);
		goto out;
	}
	char *why = xstrdup(ps->err.data);
	if (conn_lost(rc)) {
		/* the next job connects again; if that fails too, the rest of the pass fails fast */
		sftp_close(ps->c);
		ps->c = NULL;
	}
	rc = failed_attempt(ps, &row, why);
	free(why);
out:
	ledger_delivery_clear(&row);
	return rc;
}

/* Every delivery of every SFTP partner. */
int gateway_deliver(struct gateway *g, struct gw_stats *st)
{
	int rc = 0;
	for (size_t i = 0; i < g->cfg->npartners && rc >= 0; i++) {
		const struct cfg_partner *p = &g->cfg->partners[i];
		if (!p->sftp.host || !p->sftp.outbox)
			continue;
		int lock = -1;
		int lr = transport_lock(g->spool, p->id, &lock);
		if (lr == -EBUSY) {
			log_debug("partner %s: another edigw process is polling or delivering; skipped", p->id);
			continue;
		}
		if (lr < 0) {
			log_error("partner %s: cannot take the transport lock: %s", p->id, strerror(-lr));
			rc = lr;
			break;
		}
		struct pass ps;
		memset(&ps, 0, sizeof ps);
		ps.g = g;
		ps.p = p;
		ps.st = st;
		ps.now = time(NULL);
		buf_init(&ps.err, 0);
		char **ids = NULL;
		size_t n = 0;
		rc = adopt_all(&ps);
		if (rc == 0)
			rc = spool_list(g->spool, SPOOL_DEFERRED, &ids, &n);
		for (size_t k = 0; k < n && rc >= 0; k++)
			rc = deliver_job(&ps, ids[k]);
		for (size_t k = 0; k < n; k++)
			free(ids[k]);
		free(ids);
		if (rc < 0) {
			log_error("partner %s: delivery stopped: %s", p->id, strerror(-rc));
			gw_set_reason(&ps.problem, xasprintf("delivery stopped: %s", strerror(-rc)));
		}
		/* a pass that only waited says nothing new about the server: the state stays */
		if (ps.attempted || !ps.waiting || rc < 0)
			ledger_transport_note(g->ledger, p->id, "sftp-deliver", ps.problem == NULL, ps.problem,
					      ps.next_retry);
		sftp_close(ps.c);
		transport_unlock(lock);
		free(ps.connect_error);
		free(ps.problem);
		buf_free(&ps.err);
	}
	return rc;
}

/* A delivery job again: from failed/ (given up) or sent/ (send it once more) into deferred/,
 * due now, with a fresh retry.max-age; in deferred/ already: due now. */
int gateway_deliver_replay(struct gateway *g, const char *id)
{
	struct ledger_delivery row;
	enum spool_queue q;
	int rc;
	if (!spool_id_is_valid(id))
		return -EINVAL;
	if ((rc = ledger_delivery_get(g->ledger, id, &row)) < 0)
		return rc;
	if (rc == 0)
		return -EINVAL; /* not a delivery: an inbound job */
	if ((rc = spool_locate(g->spool, id, &q)) < 0)
		goto out;
	if (q != SPOOL_FAILED && q != SPOOL_SENT && q != SPOOL_DEFERRED) {
		rc = -ENOENT;
		goto out;
	}
	time_t now = time(NULL);
	set_str(&row.state, "queued");
	set_str(&row.last_error, NULL);
	row.attempts = 0;
	row.first_unix = now;
	row.next_unix = now;
	if ((rc = ledger_delivery_put(g->ledger, &row)) < 0)
		goto out;
	if (q != SPOOL_DEFERRED)
		rc = spool_move(g->spool, id, q, SPOOL_DEFERRED, "replayed: to be delivered again", -1);
	if (rc == 0)
		ledger_event(g->ledger, id, NULL, "replayed", q == SPOOL_SENT ? "to be delivered again" : "delivery tried again");
out:
	ledger_delivery_clear(&row);
	return rc;
}

/* Counting callback of gateway_delivery_counts. */
static int count_cb(void *ctx, const struct ledger_delivery *d)
{
	struct gw_delivery_counts *c = ctx;
	if (strcmp(d->state, "failed") == 0) {
		c->failed++;
	} else if (strcmp(d->state, "delivered") == 0) {
		c->sent++;
	} else {
		c->waiting++;
		if (d->attempts) {
			c->retrying++;
			if (!c->next_retry || d->next_unix < c->next_retry)
				c->next_retry = d->next_unix;
			if (d->last_error) {
				free(c->last_error);
				c->last_error = xstrdup(d->last_error);
			}
		}
	}
	return 0;
}

/* Delivery counts for status. */
int gateway_delivery_counts(struct gateway *g, const char *partner, struct gw_delivery_counts *out)
{
	memset(out, 0, sizeof *out);
	return ledger_deliveries(g->ledger, partner, NULL, count_cb, out);
}
