/*
 * send.c — outbound X12 handed to us ready-made (an ERP that writes its own
 * 855/856/810): `edigw send FILE --partner ID`.
 *
 * The file is read through the same reader, envelope checks and
 * transaction set definitions (with the partner's overlay) as inbound
 * documents, and refused as a whole when anything is wrong: the partner
 * must never receive a document we would reject ourselves. It must hold
 * exactly one interchange from our X12 identity to the partner's, and no
 * acknowledgments (edigw writes those itself). We then put our own
 * interchange and group control numbers into ISA13/IEA02 and GS06/GE02
 * (allocated from the ledger, the same sequence as our acknowledgments, so
 * the partner never sees a number twice), record every group and
 * transaction set as awaiting acknowledgment until now + ack-due, and
 * queue the file in spool/outbound/<partner>/ for delivery.
 *
 * Order (as for ERP files): the rewritten interchange is written and
 * fsynced under a temporary name, the ledger transaction commits (numbers,
 * records, the input's hash against a second send of the same bytes), then
 * the file is linked into place. A crash between the last two leaves a
 * recorded, never-delivered interchange: it shows as overdue.
 *
 * Limits: the partner's limit.max-file-size; segments as the reader allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "ledger/ledger.h"
#include "spool/spool.h"
#include "x12/x12_schema.h"

#define SEND_MAX_GROUPS 10000
#define SEND_MAX_ERRORS 50 /* findings listed before "... and N more" */

struct send_group {
	struct x12_gs gs;
	struct ledger_sent_set *sets;
	size_t nsets, cap;
	uint64_t gs06; /* ours */
};

struct send_ctx {
	struct gateway *g;
	const struct cfg_partner *p;
	const struct x12_schema *schemas;
	const struct x12_overlay *ov;
	struct x12_isa isa;
	size_t interchanges;
	struct send_group *groups;
	size_t ngroups;
	struct buf problems; /* one line per finding */
	size_t nproblems;
	char *key;           /* the current set's key ('key' in its definition), or NULL */
};

/* Add one line to the list of reasons the file is refused. */
static void problem(struct send_ctx *c, const char *fmt, ...) EDIGW_PRINTF(2, 3);
static void problem(struct send_ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (++c->nproblems > SEND_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	buf_vprintf(&c->problems, fmt, ap);
	va_end(ap);
	buf_append(&c->problems, "\n", 1);
}

static void problems_of(struct send_ctx *c, const char *what, const struct x12_errlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char *d = x12_error_describe(&l->v[i]);
		problem(c, "%s: %s", what, d);
		free(d);
	}
}

static int s_ic_begin(void *ctx, const struct x12_isa *isa)
{
	struct send_ctx *c = ctx;
	const struct config *cfg = gateway_config(c->g);
	if (++c->interchanges > 1) {
		problem(c, "interchange %s (line %llu): a file to send holds one interchange; split it", isa->icn,
			(unsigned long long)isa->line);
		return X12_SKIP;
	}
	c->isa = *isa;
	if (strcmp(isa->sender_qual, cfg->us.qualifier) != 0 || strcmp(isa->sender_id, cfg->us.id) != 0)
		problem(c, "ISA05/ISA06 is %s:%s, not our identity %s:%s (our.x12.qualifier/our.x12.id)",
			isa->sender_qual, isa->sender_id, cfg->us.qualifier, cfg->us.id);
	if (strcmp(isa->receiver_qual, c->p->x12.qualifier) != 0 || strcmp(isa->receiver_id, c->p->x12.id) != 0)
		problem(c, "ISA07/ISA08 is %s:%s, not partner %s's %s:%s (x12.qualifier/x12.id in %s)",
			isa->receiver_qual, isa->receiver_id, c->p->id, c->p->x12.qualifier, c->p->x12.id,
			c->p->file);
	return 0;
}

static int s_group_begin(void *ctx, const struct x12_isa *isa, const struct x12_gs *gs)
{
	struct send_ctx *c = ctx;
	(void)isa;
	if (strcmp(gs->fid, "FA") == 0)
		problem(c, "group %s (line %llu) is an acknowledgment (GS01 FA): edigw writes acknowledgments itself",
			gs->gcn, (unsigned long long)gs->line);
	if (c->ngroups == SEND_MAX_GROUPS) {
		problem(c, "more than %d functional groups", SEND_MAX_GROUPS);
		return 0;
	}
	c->groups = xrealloc(c->groups, (c->ngroups + 1) * sizeof *c->groups);
	struct send_group *sg = &c->groups[c->ngroups++];
	memset(sg, 0, sizeof *sg);
	sg->gs = *gs;
	return 0;
}

static int s_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct send_ctx *c = ctx;
	const struct x12_txn_def *def = x12_overlay_find(c->ov, c->schemas, txn->gs->version, txn->st01);
	if (def)
		x12_schema_validate(def, txn, 0, &res->errors);
	struct span k = x12_txn_def_key(def, txn);
	free(c->key);
	c->key = k.n ? span_dup(k) : NULL;
	return 0;
}

static int s_txn_end(void *ctx, const struct x12_txn_result *res)
{
	struct send_ctx *c = ctx;
	char what[64];
	snprintf(what, sizeof what, "transaction set %s %s", res->st01, res->st02);
	problems_of(c, what, &res->errors);
	if (!c->ngroups)
		return 0;
	struct send_group *sg = &c->groups[c->ngroups - 1];
	if (sg->nsets == sg->cap) {
		sg->cap = sg->cap ? sg->cap * 2 : 8;
		sg->sets = xrealloc(sg->sets, sg->cap * sizeof *sg->sets);
	}
	sg->sets[sg->nsets].st01 = xstrdup(res->st01);
	sg->sets[sg->nsets].tcn = xstrdup(res->st02);
	sg->sets[sg->nsets].business_key = c->key; /* now the set's */
	c->key = NULL;
	sg->nsets++;
	return 0;
}

static int s_group_end(void *ctx, const struct x12_group_result *res)
{
	char what[48];
	snprintf(what, sizeof what, "group %s", res->gs.gcn);
	problems_of(ctx, what, &res->errors);
	return 0;
}

static int s_ic_end(void *ctx, const struct x12_interchange_result *res)
{
	struct send_ctx *c = ctx;
	if (res->skipped)
		return 0;
	problems_of(c, "interchange", &res->errors);
	if (res->ta1_segments)
		problem(c, "interchange %s holds TA1 segments: edigw writes acknowledgments itself", res->isa.icn);
	if (!res->groups)
		problem(c, "interchange %s holds no functional group: nothing to send", res->isa.icn);
	return 0;
}

/* Copy the interchange with our ISA13/IEA02 and GS06/GE02. The envelope was checked:
 * ISA is fixed width (ISA13 at bytes 90..98), the separators are known. */
static int renumber(const char *in, size_t len, const struct x12_delims *d, uint64_t isa13,
		    const struct send_group *groups, size_t ngroups, struct buf *out)
{
	size_t pos = 0, gi = 0;
	char num[16];
	while (pos < len) {
		const char *seg = in + pos;
		const char *term = memchr(seg, d->seg, len - pos);
		size_t n = term ? (size_t)(term - seg) + 1 : len - pos;
		/* the id starts after line breaks that follow the previous terminator */
		size_t lead = 0;
		while (lead < n && (seg[lead] == '\r' || seg[lead] == '\n'))
			lead++;
		const char *id = seg + lead;
		size_t idn = 0;
		while (lead + idn < n && id[idn] != d->elem && id[idn] != d->seg)
			idn++;
		int is = idn == 3 && memcmp(id, "ISA", 3) == 0, iea = idn == 3 && memcmp(id, "IEA", 3) == 0;
		int gs = idn == 2 && memcmp(id, "GS", 2) == 0, ge = idn == 2 && memcmp(id, "GE", 2) == 0;
		if (is) {
			if (n - lead < 106)
				return -EINVAL;
			snprintf(num, sizeof num, "%09llu", (unsigned long long)isa13);
			buf_append(out, seg, lead + 90);
			buf_append(out, num, 9);
			buf_append(out, seg + lead + 99, n - lead - 99);
		} else if (iea || gs || ge) {
			/* replace element 2 (IEA02, GE02) or 6 (GS06) */
			size_t want = gs ? 6 : 2, e = 0, k = lead, start = 0, end = 0;
			for (; k < n; k++) {
				if (seg[k] == d->elem || k == n - 1) {
					if (e == want) {
						end = k;
						break;
					}
					e++;
					if (e == want)
						start = k + 1;
				}
			}
			if (!end || (gs && gi >= ngroups) || (ge && gi == 0))
				return -EINVAL;
			uint64_t v = iea ? isa13 : groups[gs ? gi : gi - 1].gs06;
			snprintf(num, sizeof num, iea ? "%09llu" : "%llu", (unsigned long long)v);
			buf_append(out, seg, start);
			buf_append(out, num, strlen(num));
			buf_append(out, seg + end, n - end);
			if (gs)
				gi++;
		} else {
			buf_append(out, seg, n);
		}
		pos += n;
	}
	return out->len ? 0 : -EINVAL;
}

/* Free what the checking pass collected. */
static void send_ctx_free(struct send_ctx *c)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		for (size_t k = 0; k < c->groups[i].nsets; k++) {
			free((char *)c->groups[i].sets[k].st01);
			free((char *)c->groups[i].sets[k].tcn);
			free((char *)c->groups[i].sets[k].business_key);
		}
		free(c->groups[i].sets);
	}
	free(c->groups);
	free(c->key);
	buf_free(&c->problems);
}

/* The end of every send (send and export): inside the caller's ledger transaction, write
 * data under a temporary name in spool/outbound/<partner>/, record the interchange as
 * awaiting acknowledgment, the dedupe key and an event ("queued DIR/NAME for partner P:
 * what"), commit, then link the file as r->name (set by the caller) and set r->path.
 * *began is cleared once the transaction is committed (the caller rolls back otherwise). */
int gw_queue_outbound(struct gateway *g, const struct ledger_sent *sn, const char *data, size_t len,
		      const char *hkey, const char *sha, const char *what, struct gw_send_result *r, int *began)
{
	struct ledger *l = gateway_ledger(g);
	char *dir = NULL, *tmp = NULL;
	int fd = -1;
	int rc = spool_outbound_dir(gateway_spool(g), sn->partner, &dir);
	if (rc < 0)
		goto out;
	tmp = xasprintf("%s/.%s.tmp", dir, r->job_id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || write_all(fd, data, len) < 0) {
		rc = -errno;
		goto out;
	}
	close(fd);
	fd = -1;
	char *ev = xasprintf("queued %s/%s for partner %s: %s", dir, r->name, sn->partner, what);
	rc = ledger_sent_record(l, sn);
	if (rc == 0)
		rc = ledger_dup_record(l, sn->sender, sn->receiver, hkey, sha, r->job_id);
	if (rc == 0)
		rc = ledger_event(l, r->job_id, NULL, "sent", ev);
	free(ev);
	if (rc < 0)
		goto out;
	r->due = time(NULL) + (time_t)sn->due_s;
	*began = 0;
	if ((rc = ledger_commit(l)) < 0)
		goto out;
	if ((rc = file_commit(tmp, dir, r->name, 0)) < 0) {
		r->message = xasprintf("recorded as job %s but %s/%s could not be written: %s", r->job_id, dir, r->name,
				       strerror(-rc));
		goto out;
	}
	r->path = xasprintf("%s/%s", dir, r->name);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

/* Check, renumber, record and queue one outbound interchange. */
int gateway_send(struct gateway *g, const char *partner, const char *path, struct gw_send_result *r)
{
	const struct config *cfg = gateway_config(g);
	const struct cfg_partner *p = config_partner(cfg, partner);
	struct buf in;
	buf_init(&in, 0);
	memset(r, 0, sizeof *r);
	int rc = file_read_all(path, p ? p->limits.max_file_size : cfg->limits.max_file_size, &in);
	if (rc < 0) {
		r->message = xasprintf("%s: %s", path, rc == -EFBIG ? "larger than limit.max-file-size" : strerror(-rc));
		buf_free(&in);
		return rc;
	}
	rc = gateway_send_mem(g, partner, path, in.data ? in.data : "", in.len, NULL, 0, r);
	buf_free(&in);
	return rc;
}

/* The same for an interchange in memory (label names it in messages; dedupe_sha, when
 * not NULL, is what a second send is recognised by instead of the bytes' hash). */
int gateway_send_mem(struct gateway *g, const char *partner, const char *path, const char *data, size_t len,
		     const char *dedupe_sha, unsigned flags, struct gw_send_result *r)
{
	const struct config *cfg = gateway_config(g);
	struct send_ctx c = { 0 };
	struct buf out;
	struct span in = { data, len };
	struct x12_reader *rd = NULL;
	int rc, began = 0;
	struct ledger *l = gateway_ledger(g);
	memset(r, 0, sizeof *r);
	buf_init(&out, 0);
	buf_init(&c.problems, 0);
	c.g = g;
	c.p = config_partner(cfg, partner);
	if (!c.p) {
		r->message = xasprintf("no partner '%s' in %s", partner, cfg->partners_dir);
		return -ENOENT;
	}
	if (!c.p->has_x12) {
		r->message = xasprintf("partner %s has no X12 identity (x12.qualifier/x12.id in %s)", partner,
				       c.p->file);
		return -EINVAL;
	}
	c.schemas = gateway_schemas(g);
	c.ov = gateway_overlay(g, c.p);
	struct x12_limits lim;
	struct x12_tolerances tol;
	gateway_reader_settings(cfg, c.p, &lim, &tol);
	x12_tolerances_default(&tol); /* what we send is strict X12: no tolerances */
	if ((rc = x12_reader_new_mem(&rd, in.p, in.n, &lim)) < 0)
		goto out;
	x12_reader_set_hash(rd, 1);
	struct x12_handler h = { .ctx = &c, .interchange_begin = s_ic_begin, .group_begin = s_group_begin,
				 .transaction = s_txn, .transaction_end = s_txn_end, .group_end = s_group_end,
				 .interchange_end = s_ic_end };
	struct x12_file_summary sum = { 0 };
	struct x12_error err = { 0 };
	if (x12_parse(rd, &h, &sum, &err) < 0) {
		char *d = x12_error_describe(&err);
		problem(&c, "not a valid X12 document: %s", d);
		free(d);
		x12_error_free(&err);
	}
	if (!c.interchanges && !c.nproblems)
		problem(&c, "no interchange in the file");
	if (c.nproblems) {
		if (c.nproblems > SEND_MAX_ERRORS)
			buf_printf(&c.problems, "... and %zu more\n", c.nproblems - SEND_MAX_ERRORS);
		r->message = xasprintf("%s is not sent (%zu problem(s)):\n%s", path, c.nproblems,
				       c.problems.data ? c.problems.data : "");
		rc = -EBADMSG;
		goto out;
	}
	if (flags & GW_SEND_DRY_RUN) {
		rc = 0;
		goto out;
	}
	/* a second send of the same bytes is refused: the partner would get it twice */
	char sha[65], hkey[80], us[24], them[24];
	if (dedupe_sha)
		snprintf(sha, sizeof sha, "%s", dedupe_sha);
	else
		sha256_hex(in.p, in.n, sha);
	snprintf(hkey, sizeof hkey, "send:%s", sha);
	snprintf(us, sizeof us, "%s:%s", cfg->us.qualifier, cfg->us.id);
	snprintf(them, sizeof them, "%s:%s", c.p->x12.qualifier, c.p->x12.id);
	char *first = NULL;
	int dup = ledger_dup_find(l, us, them, hkey, NULL, c.p->dup_window_s, &first);
	if (dup > 0) {
		r->message = xasprintf("%s was already sent to %s as job %s (same bytes); not sent again", path,
				       partner, first);
		free(first);
		rc = -EEXIST;
		goto out;
	}
	if (dup < 0) {
		rc = dup;
		goto out;
	}
	if ((rc = spool_new_id(r->job_id)) < 0 || (rc = ledger_begin(l)) < 0)
		goto out;
	began = 1;
	if ((rc = ledger_next_control(l, partner, LEDGER_CTL_ISA, &r->isa13)) < 0)
		goto out;
	for (size_t i = 0; i < c.ngroups; i++)
		if ((rc = ledger_next_control(l, partner, LEDGER_CTL_GS, &c.groups[i].gs06)) < 0)
			goto out;
	if ((rc = renumber(in.p, in.n, &c.isa.delims, r->isa13, c.groups, c.ngroups, &out)) < 0) {
		r->message = xasprintf("%s: cannot renumber the envelope", path);
		goto out;
	}
	const char *st01 = c.groups[0].nsets ? c.groups[0].sets[0].st01 : "x12";
	snprintf(r->name, sizeof r->name, "%09llu-%s.x12", (unsigned long long)r->isa13, st01);
	char icn[16];
	snprintf(icn, sizeof icn, "%09llu", (unsigned long long)r->isa13);
	struct ledger_sent_group *lg = xcalloc(c.ngroups, sizeof *lg);
	char (*gnum)[16] = xcalloc(c.ngroups, sizeof *gnum);
	for (size_t i = 0; i < c.ngroups; i++) {
		snprintf(gnum[i], sizeof gnum[i], "%llu", (unsigned long long)c.groups[i].gs06);
		lg[i] = (struct ledger_sent_group){ c.groups[i].gs.fid, gnum[i], c.groups[i].gs.version,
						    c.groups[i].sets, c.groups[i].nsets };
		r->groups++;
		r->sets += c.groups[i].nsets;
	}
	struct ledger_sent sn = { .partner = partner, .job_id = r->job_id, .sender = us, .receiver = them,
				  .icn = icn, .output = r->name, .test = c.isa.usage[0] == 'T',
				  .due_s = c.p->ack_due_s, .groups = lg, .ngroups = c.ngroups };
	char *what = xasprintf("from %s (its ISA13 %s, now %s)", path, c.isa.icn, icn);
	rc = gw_queue_outbound(g, &sn, out.data, out.len, hkey, sha, what, r, &began);
	free(what);
	free(lg);
	free(gnum);
out:
	if (began)
		ledger_rollback(l);
	x12_reader_free(rd);
	send_ctx_free(&c);
	buf_free(&out);
	return rc;
}
