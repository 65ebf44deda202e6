/*
 * gateway_edifact.c — the EDIFACT path of one job: the same spool, ledger,
 * duplicate registry, test routing, maps, canonical records and ERP files
 * as X12 (gateway.c), with the EDIFACT reader (src/edifact), the EDIFACT
 * definitions (edi_schema) and the CONTRL writer (src/ack/contrl.h).
 *
 * Per interchange: the sender (UNB 0004/0007) names the partner
 * (edifact.id); the recipient must be us (our.edifact.id); a duplicate
 * (sender, recipient, 0020 within the partner's duplicate-window) is held;
 * UNB 0035 = 1 routes the ERP files to erp-test-dir. Per message: CONTRL
 * and APERAK are recorded (a CONTRL's UCI settles the interchange we sent
 * it answers, as a TA1 does for X12) and never acknowledged; other types
 * need document.<TYPE> in the partner profile, are checked against their
 * definition (maps/schemas/edifact) and mapped to canonical records. The
 * commit order per interchange is X12's: ledger transaction, CONTRL,
 * ERP files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack/contrl.h"
#include "edifact/edi_schema.h"
#include "edifact/edifact.h"
#include "gateway/gateway_int.h"

/* A job reading EDIFACT: the common job state plus the current interchange's. */
struct ejob {
	struct job j;
	const struct edi_unb *unb;     /* current interchange (borrowed from the reader) */
	char ref[15], gref[15];        /* its 0020, the current group's 0048 */
	struct contrl_writer *cw;      /* the CONTRL being built, or NULL */
	struct ledger_ack_ctl actl;    /* our 0020 and 0062 for it */
	int have_actl;
	int group_is_service;          /* UNG 0038 CONTRL or APERAK */
	int msg_is_service;
	struct contrl_msg_id id;       /* the current message's identifier */
	int have_id;                   /* id was set by this message's callback */
	char msg_ref[15];
	struct edi_view view;          /* reused by validation, then read by the map */
};

/* "5412345000013:14" (as UNB writes it) for messages and the duplicate registry. */
static char *edi_party(const char *qual, const char *id)
{
	char *q = escape_bytes(qual, strlen(qual), 4);
	char *i = escape_bytes(id, strlen(id), 35);
	char *r = *q ? xasprintf("%s:%s", i, q) : xstrdup(i);
	free(q);
	free(i);
	return r;
}

/* CONTRL and APERAK are answers: never acknowledged, never mapped. */
static int is_service(const char *type)
{
	return strcmp(type, "CONTRL") == 0 || strcmp(type, "APERAK") == 0;
}

/* Whether the partner gets a CONTRL for this interchange. */
int gateway_wants_contrl(enum cfg_contrl policy, const struct edi_unb *unb)
{
	return policy == CFG_CONTRL_ALWAYS || (policy == CFG_CONTRL_REQUESTED && unb->ack_request[0] == '1');
}

/* Our control numbers for the CONTRL (once per job and interchange) and its writer. */
static int start_contrl(struct ejob *e, const struct edi_unb *unb)
{
	struct job *j = &e->j;
	char key[32];
	snprintf(key, sizeof key, "contrl.%llu", (unsigned long long)j->ic);
	int rc = ledger_ack_controls(j->g->ledger, j->partner->id, j->meta.id, key, 1, &e->actl);
	if (rc < 0)
		return rc;
	e->have_actl = 1;
	struct contrl_params cp;
	memset(&cp, 0, sizeof cp);
	cp.ref = e->actl.isa13;
	cp.msg_ref = e->actl.st02[0];
	cp.when = e->actl.created;
	rc = contrl_writer_new(&e->cw, &cp, unb);
	if (rc < 0) {
		char *m = xasprintf("no CONTRL for interchange %s: %s", e->ref, strerror(-rc));
		ledger_event(j->g->ledger, j->meta.id, NULL, "warning", m);
		log_warn("job %s: %s", j->meta.id, m);
		free(m);
		e->cw = NULL;
		return 0; /* the documents are still processed */
	}
	return 0;
}

static int ecb_interchange_begin(void *ctx, const struct edi_unb *unb)
{
	struct ejob *e = ctx;
	struct job *j = &e->j;
	struct gateway *g = j->g;
	const struct config *cfg = gateway_config(g);
	e->unb = unb;
	snprintf(e->ref, sizeof e->ref, "%s", unb->ref);
	snprintf(e->gref, sizeof e->gref, "0");
	j->ic = unb->index;
	j->icn = e->ref;
	j->gcn = e->gref;
	j->gr = 0;
	j->group_staged_from = j->nstaged;
	j->ic_accepted = j->gr_accepted = 0;
	j->test = unb->test[0] == '1';
	j->st->interchanges++;
	const struct cfg_partner *p = config_partner_by_edifact(cfg, unb->sender_qual, unb->sender);
	char *who = edi_party(unb->sender_qual, unb->sender);
	int rc = 0;
	if (!p) {
		gw_set_reason(&j->hold_reason,
			      xasprintf("unknown sender %s in EDIFACT interchange %s (UNB at line %llu): no partner "
					"profile has this edifact.id/edifact.qualifier",
					who, unb->ref, (unsigned long long)unb->line));
		rc = EDI_SKIP;
	} else if (j->bound && j->bound != p) {
		gw_set_reason(&j->hold_reason, xasprintf("interchange %s is from %s (partner %s) but arrived as partner %s",
							 unb->ref, who, p->id, j->bound->id));
		rc = EDI_SKIP;
	} else if (!cfg->us_edifact.id[0] || strcmp(unb->recipient, cfg->us_edifact.id) != 0 ||
		   (cfg->us_edifact.qualifier[0] && unb->recipient_qual[0] &&
		    strcmp(unb->recipient_qual, cfg->us_edifact.qualifier) != 0)) {
		char *to = edi_party(unb->recipient_qual, unb->recipient);
		gw_set_reason(&j->hold_reason,
			      xasprintf("EDIFACT interchange %s from partner %s is addressed to %s, not to us (%s)",
					unb->ref, p->id, to,
					cfg->us_edifact.id[0] ? cfg->us_edifact.id : "our.edifact.id is not set"));
		free(to);
		rc = EDI_SKIP;
	}
	if (rc) {
		free(who);
		return rc;
	}
	j->partner = p;
	/* the duplicate check runs inside the interchange's write transaction, so two processes
	 * reading the same interchange at once cannot both take it */
	if ((rc = ledger_begin(g->ledger)) < 0) {
		free(who);
		return rc;
	}
	if (!j->meta.release) {
		char *first = NULL;
		char *to = edi_party(unb->recipient_qual, unb->recipient);
		int dup = ledger_dup_find(g->ledger, who, to, unb->ref, j->meta.id, p->dup_window_s, &first);
		free(to);
		if (dup != 0)
			ledger_rollback(g->ledger);
		if (dup < 0) {
			free(who);
			return dup;
		}
		if (dup == 1) {
			gw_set_reason(&j->hold_reason, xasprintf("duplicate of %s (EDIFACT interchange %s from partner "
								 "%s already received)",
								 first, unb->ref, p->id));
			free(first);
			free(who);
			j->partner = NULL;
			return EDI_SKIP;
		}
	}
	free(who);
	j->in_txn_scope = 1;
	if (gateway_wants_contrl(p->contrl, unb) && (rc = start_contrl(e, unb)) < 0)
		return rc;
	return 0;
}

static int ecb_group_begin(void *ctx, const struct edi_unb *unb, const struct edi_ung *ung)
{
	struct ejob *e = ctx;
	struct job *j = &e->j;
	(void)unb;
	j->gr = ung->index;
	snprintf(e->gref, sizeof e->gref, "%s", ung->ref);
	j->gcn = e->gref;
	j->group_staged_from = j->nstaged;
	j->gr_accepted = 0;
	e->group_is_service = is_service(ung->group_id);
	if (e->cw && !e->group_is_service) {
		int rc = contrl_group_begin(e->cw, ung);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* An inbound CONTRL: its UCI settles the interchange we sent (0020), like a TA1. */
static int reconcile_contrl(struct ejob *e, const struct edi_msg *msg)
{
	struct job *j = &e->j;
	for (size_t i = 0; i < msg->nseg; i++) {
		const struct edi_seg *s = &msg->segs[i];
		if (strcmp(s->tag, "UCI") != 0)
			continue;
		struct edi_val ref = edi_seg_val(s, 1, 1), act = edi_seg_val(s, 4, 1), code = edi_seg_val(s, 5, 1);
		if (!ref.n || !act.n || ref.n > 14)
			break;
		char r[16], c[8] = "";
		memcpy(r, ref.p, ref.n);
		r[ref.n] = '\0';
		if (code.n && code.n < sizeof c) {
			memcpy(c, code.p, code.n);
			c[code.n] = '\0';
		}
		char st = act.p[0] == '4' ? 'R' : 'A';
		char *why = NULL;
		int rc = ledger_ta1_match(j->g->ledger, j->partner->id, j->meta.id, r, st, c, &why);
		if (rc == 0)
			log_warn("job %s: CONTRL %s: %s", j->meta.id, msg->ref, why);
		free(why);
		return rc < 0 ? rc : 0;
	}
	return ledger_event(j->g->ledger, j->meta.id, NULL, "ack-unreadable",
			    "inbound CONTRL without a usable UCI settles nothing");
}

static int ecb_message(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct ejob *e = ctx;
	struct job *j = &e->j;
	struct gateway *g = j->g;
	buf_reset(&j->erp_out);
	j->erp_kind = NULL;
	free(j->bkey);
	j->bkey = NULL;
	j->txn_mapped = 0;
	contrl_msg_id_set(&e->id, msg);
	e->have_id = 1;
	snprintf(e->msg_ref, sizeof e->msg_ref, "%s", msg->ref);
	e->msg_is_service = is_service(msg->type);
	if (e->msg_is_service)
		return strcmp(msg->type, "CONTRL") == 0 ? reconcile_contrl(e, msg) : 0;
	const struct cfg_doc *doc = config_partner_doc(j->partner, msg->type);
	if (!doc) {
		struct x12_error er = { 0 };
		er.scope = X12_SCOPE_TXN;
		memcpy(er.code, "17", 3); /* 0085 17: no agreement (for this message type) */
		memcpy(er.seg_id, "UNH", 4);
		er.seg_pos = 1;
		er.elem_pos = 2;
		er.file_seg = msg->nseg ? msg->segs[0].file_seg : 0;
		er.line = msg->nseg ? msg->segs[0].line : 0;
		char *m = xasprintf("message type %s is not configured for partner %s (no document.%s in %s)", msg->type,
				    j->partner->id, msg->type, j->partner->file);
		er.msg = m;
		x12_errlist_add(&res->errors, &er);
		free(m);
		return 0;
	}
	const struct x12_schema *es = g->edi_schemas;
	const struct x12_overlay *ov =
		g->edi_overlays ? g->edi_overlays[j->partner - gateway_config(g)->partners] : NULL;
	const struct x12_txn_def *def = es ? edi_overlay_find(ov, es, msg->version, msg->release, msg->type) : NULL;
	const struct edi_view *view = NULL; /* msg's view once validation built it */
	if (def) {
		struct x12_errlist warns = { 0 };
		if (edi_schema_validate(def, msg, &e->view, j->max_loop_depth, &res->errors, &warns) >= 0)
			view = &e->view;
		for (size_t i = 0; i < warns.n && j->warnings < 20; i++, j->warnings++) {
			char *d = x12_error_describe_as(&warns.v[i], "EDIFACT");
			ledger_event(g->ledger, j->meta.id, NULL, "warning", d);
			free(d);
		}
		x12_errlist_free(&warns);
	}
	struct diag_list dl;
	diag_list_init(&dl);
	struct map *m = gw_map_for(g, doc->map_path, &dl);
	diag_list_free(&dl);
	if (!m)
		return -EINVAL;
	int rejected = 0;
	for (size_t i = 0; i < res->errors.n; i++)
		rejected |= !res->errors.v[i].application;
	xmlDocPtr rec = NULL;
	int rc = map_apply_edifact(m, msg, view, &rec, rejected ? NULL : &res->errors, &j->bkey);
	if (rc == 0 && rejected) {
		xmlFreeDoc(rec);
		return 0;
	}
	if (rc < 0 || !rec) {
		if (rec)
			xmlFreeDoc(rec);
		x12_errlist_add_app(&res->errors, "map", rc == -EINVAL ? "the map does not read this message" : strerror(-rc));
		return 0;
	}
	j->txn_mapped = 1;
	canon_set_source(rec, j->partner->id, NULL);
	gw_emit_record(j, rec, &res->errors);
	return 0;
}

static int ecb_message_end(void *ctx, const struct edi_msg_result *res)
{
	struct ejob *e = ctx;
	struct job *j = &e->j;
	int ok = res->action != EDI_ACTION_REJECTED && !res->app_rejected;
	for (size_t i = 0; ok && i < res->errors.n; i++)
		ok = !res->errors.v[i].application;
	int rc = 0;
	if (!e->have_id) {
		/* a message the reader did not hand over (over a limit): only its type is known */
		memset(&e->id, 0, sizeof e->id);
		snprintf(e->id.type, sizeof e->id.type, "%s", res->type);
		e->msg_is_service = is_service(res->type);
	}
	e->have_id = 0;
	if (e->cw && !e->msg_is_service && !e->group_is_service && (rc = contrl_message(e->cw, res, &e->id)) < 0)
		return rc;
	struct staged *s = NULL;
	if (e->msg_is_service) {
		j->st->transactions++; /* an answer: recorded, neither accepted nor rejected */
	} else if ((rc = gw_document_done(j, ok, &s)) < 0) {
		return rc;
	}
	char key[64];
	snprintf(key, sizeof key, "%llu.%llu.%s", (unsigned long long)j->ic, (unsigned long long)j->gr, res->ref);
	char *reason = gw_errs_reason_as(&res->errors, "EDIFACT");
	struct ledger_doc d = gw_job_doc(j, key, "in", "edifact", res->type,
					 e->msg_is_service ? "received" : ok ? (s ? "accepted" : "received") : "rejected");
	d.icn = j->icn;
	d.gcn = j->gr ? j->gcn : NULL;
	d.tcn = res->ref;
	d.business_key = j->bkey;
	d.reason = reason;
	rc = ledger_doc_put(j->g->ledger, &d, NULL);
	if (!ok && !e->msg_is_service)
		gw_set_reason(&j->fail_reason, xasprintf("message %s %s rejected: %s", res->type, res->ref,
							 reason ? reason : "errors"));
	free(reason);
	return rc;
}

static int ecb_group_end(void *ctx, const struct edi_group_result *res)
{
	struct ejob *e = ctx;
	struct job *j = &e->j;
	int rc = 0;
	if (e->cw && !e->group_is_service)
		rc = contrl_group_end(e->cw, res);
	int rejected = res->action == EDI_ACTION_REJECTED;
	int grc = gw_group_done(j, rejected,
				rejected ? xasprintf("message group %s rejected (code %s)", res->ung.ref,
						     res->code[0] ? res->code : "-")
					 : NULL);
	e->group_is_service = 0;
	j->gr = 0;
	snprintf(e->gref, sizeof e->gref, "0");
	j->group_staged_from = j->nstaged;
	return rc ? rc : grc;
}

struct contrl_finish {
	struct contrl_writer *w;
	const struct edi_interchange_result *res;
};

static int contrl_finish_cb(void *ctx, int fd, int *written)
{
	struct contrl_finish *f = ctx;
	return contrl_writer_finish(f->w, f->res, fd, written);
}

/* Write the CONTRL into outbound/<partner>/ (idempotent by name) and record it. */
static int write_contrl(struct ejob *e, const struct edi_interchange_result *res)
{
	char name[64], ref[16], key[32];
	snprintf(name, sizeof name, "%09llu-CONTRL.edi", (unsigned long long)e->actl.isa13);
	snprintf(ref, sizeof ref, "%09llu", (unsigned long long)e->actl.isa13);
	snprintf(key, sizeof key, "contrl.%llu", (unsigned long long)e->j.ic);
	struct contrl_finish f = { e->cw, res };
	return gw_queue_ack(&e->j, contrl_finish_cb, &f, name, key, "edifact", "CONTRL", ref, res->unb.ref);
}

static int ecb_interchange_end(void *ctx, const struct edi_interchange_result *res)
{
	struct ejob *e = ctx;
	struct job *j = &e->j;
	struct gateway *g = j->g;
	int rc = 0;
	char *why = NULL;
	if (res->skipped) {
		j->partner = NULL;
		return 0;
	}
	if (!j->partner) {
		/* rejected before interchange_begin (e.g. a syntax level the reader cannot decode):
		 * find the partner from the UNB as read, to record it and answer with a CONTRL */
		const struct cfg_partner *p =
			config_partner_by_edifact(gateway_config(g), res->unb.sender_qual, res->unb.sender);
		if (!p || (j->bound && j->bound != p)) {
			char *who = edi_party(res->unb.sender_qual, res->unb.sender);
			gw_set_reason(&j->hold_reason, xasprintf("EDIFACT interchange %s from %s cannot be read and "
								 "no partner profile has this edifact.id",
								 res->unb.ref, who));
			free(who);
			return 0;
		}
		j->partner = p;
		j->ic = res->unb.index;
		if ((rc = ledger_begin(g->ledger)) < 0)
			return rc;
		j->in_txn_scope = 1;
		snprintf(e->ref, sizeof e->ref, "%s", res->unb.ref);
		j->icn = e->ref;
		if (gateway_wants_contrl(p->contrl, &res->unb) && (rc = start_contrl(e, &res->unb)) < 0)
			goto out;
	}
	int rejected = res->action == EDI_ACTION_REJECTED;
	char key[32];
	snprintf(key, sizeof key, "%llu", (unsigned long long)j->ic);
	if (rejected) {
		const struct x12_error *er = res->errors.n ? &res->errors.v[0] : NULL;
		char *d = er ? x12_error_describe_as(er, "EDIFACT") : xstrdup("envelope error");
		why = xasprintf("EDIFACT interchange %s rejected (code %s): %s", res->unb.ref,
				res->code[0] ? res->code : "-", d);
		free(d);
		j->interchanges_rejected++;
		gw_unaccept(j, j->ic_accepted);
		j->ic_accepted = 0;
		gw_staged_discard(j, 0);
		char prefix[40];
		snprintf(prefix, sizeof prefix, "%llu.", (unsigned long long)j->ic);
		ledger_docs_set_state(g->ledger, j->meta.id, prefix, "accepted", "rejected", why);
	}
	struct ledger_doc d = gw_job_doc(j, key, "in", "edifact", "interchange", rejected ? "rejected" : "accepted");
	d.sender = res->unb.sender;
	d.receiver = res->unb.recipient;
	d.icn = res->unb.ref;
	d.reason = why;
	if ((rc = ledger_doc_put(g->ledger, &d, NULL)) < 0)
		goto out;
	if (!rejected) {
		char *from = edi_party(res->unb.sender_qual, res->unb.sender);
		char *to = edi_party(res->unb.recipient_qual, res->unb.recipient);
		rc = ledger_dup_record(g->ledger, from, to, res->unb.ref, res->sha256, j->meta.id);
		free(from);
		free(to);
		if (rc < 0)
			goto out;
	}
	/* messages outside groups: their staged files are flushed and closed here */
	j->group_staged_from = 0;
	if ((rc = gw_group_done(j, 0, NULL)) < 0)
		goto out;
	if ((rc = gw_name_staged(j, res->unb.date, res->unb.ref)) < 0)
		goto out;
	gw_fault_point("before-ledger-commit");
	rc = ledger_commit(g->ledger);
	j->in_txn_scope = 0;
	if (rc < 0)
		goto out;
	gw_fault_point("after-ledger-commit");
	if (e->cw && (rc = write_contrl(e, res)) < 0)
		goto out;
	gw_fault_point("after-ack");
	rc = gw_commit_staged(j);
out:
	if (why)
		gw_set_reason(&j->fail_reason, why);
	contrl_writer_free(e->cw);
	e->cw = NULL;
	if (e->have_actl) {
		ledger_ack_ctl_clear(&e->actl);
		e->have_actl = 0;
	}
	if (j->in_txn_scope) {
		ledger_rollback(g->ledger);
		j->in_txn_scope = 0;
	}
	j->partner = NULL;
	return rc;
}

/* The EDIFACT reader's limits and tolerances for a partner (NULL: edigw.conf's; cfg NULL:
 * the built-in defaults). */
void gateway_edi_reader_settings(const struct config *cfg, const struct cfg_partner *p, struct edi_limits *lim,
				 struct edi_tolerances *tol)
{
	edi_limits_default(lim);
	edi_tolerances_default(tol);
	if (!cfg)
		return;
	const struct cfg_limits *c = p ? &p->limits : &cfg->limits;
	lim->max_file_size = c->max_file_size;
	lim->max_segment_len = (size_t)c->max_segment_len;
	lim->max_element_len = (size_t)c->max_element_len;
	lim->max_elements = (size_t)c->max_elements;
	lim->max_segments_per_msg = (size_t)c->max_segments_per_txn;
	lim->max_msg_bytes = (size_t)c->max_txn_size;
	tol->charset_relaxed = p ? p->edifact_charset_relaxed : 0;
	tol->wrong_counts = p ? p->tolerances.wrong_counts : cfg->tolerances.wrong_counts;
}

/* Read an EDIFACT job: returns <0 for an environment failure (the job stays in active/);
 * otherwise the job's outcome is in j (hold/fail reasons, counts) and *fatal holds the
 * reason when the input is not readable EDIFACT (allocated). */
int gw_process_edifact(struct job *jj, int fd, char **fatal)
{
	struct ejob e;
	memset(&e, 0, sizeof e);
	e.j = *jj; /* the job continues in e; copied back at the end */
	struct job *j = &e.j;
	struct edi_reader *r = NULL;
	struct x12_error err = { 0 };
	struct edi_limits lim;
	struct edi_tolerances tol;
	*fatal = NULL;
	gateway_edi_reader_settings(gateway_config(j->g), j->bound, &lim, &tol);
	j->max_loop_depth = (size_t)(j->bound ? j->bound->limits.max_loop_depth : gateway_config(j->g)->limits.max_loop_depth);
	int rc = edi_reader_new_fd(&r, fd, &lim);
	if (rc < 0)
		goto out;
	edi_reader_set_tolerances(r, &tol);
	edi_reader_set_notice(r, gw_notice, j);
	struct edi_handler h = {
		.ctx = &e,
		.interchange_begin = ecb_interchange_begin,
		.group_begin = ecb_group_begin,
		.message = ecb_message,
		.message_end = ecb_message_end,
		.group_end = ecb_group_end,
		.interchange_end = ecb_interchange_end,
		.notice = gw_notice,
	};
	struct edi_file_summary sum = { 0 };
	rc = edi_parse(r, &h, &sum, &err);
	if (rc < 0 && err.msg) {
		char *d = x12_error_describe_as(&err, "EDIFACT");
		*fatal = xasprintf("not a valid EDIFACT document: %s", d);
		free(d);
		rc = 0;
	}
out:
	if (j->in_txn_scope) {
		ledger_rollback(gateway_ledger(j->g));
		j->in_txn_scope = 0;
	}
	contrl_writer_free(e.cw);
	if (e.have_actl)
		ledger_ack_ctl_clear(&e.actl);
	edi_view_free(&e.view);
	x12_error_free(&err);
	edi_reader_free(r);
	*jj = e.j;
	return rc;
}
