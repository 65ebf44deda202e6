/*
 * gateway — the pipeline: local drop directories → spool/incoming → claim →
 * X12 envelopes → map to canonical records → ERP import files, plus
 * acknowledgments into spool/outbound/<partner>/, with every step in the
 * ledger. One job is processed at a time per process; several processes
 * may share a spool (claim by rename).
 *
 * Output commit order for one interchange (crash safety, doc/design.md):
 * ledger transaction (documents, duplicate registry, our control numbers)
 * → ack file (deterministic bytes, link(2) so a rerun never doubles it) →
 * staged ERP files linked into the ERP directory (named by the inbound
 * interchange, so a rerun finds them there) → the job moves to archive/.
 */
#ifndef EDIGW_GATEWAY_H
#define EDIGW_GATEWAY_H

#include <signal.h>
#include <stdint.h>

#include "ack/ack.h"
#include "config/config.h"
#include "ledger/ledger.h"
#include "spool/spool.h"
#include "util/util.h"
#include "x12/x12.h"
#include "x12/x12_schema.h"
#include "edifact/edifact.h"

#include <libxml/tree.h>

struct gw_stats {
	uint64_t picked_up;    /* files taken from drop directories */
	uint64_t jobs;         /* jobs processed */
	uint64_t interchanges, groups, transactions;
	uint64_t accepted;     /* transaction sets accepted */
	uint64_t rejected;     /* transaction sets rejected (syntax or application) */
	uint64_t records;      /* canonical records written to ERP files */
	uint64_t erp_files;    /* ERP files committed */
	uint64_t acks;         /* acknowledgment interchanges written */
	uint64_t archived, held, failed;
	uint64_t bytes;        /* partner bytes read */
	uint64_t exported;     /* ERP files sent on as partner documents (added) */
	uint64_t export_failed; /* ERP files moved to export-dir/failed/ (added) */
	uint64_t delivered;    /* outbound documents delivered to partners (SFTP) (added) */
	uint64_t deferred;     /* delivery attempts that failed and will be retried (added) */
	uint64_t undeliverable; /* deliveries given up after retry.max-age: in failed/ (added) */
};

struct gateway;

/* Load configuration, maps and ERP profiles; open spool and ledger. Problems go to d. */
int gateway_open(struct gateway **out, const char *config_path, struct diag_list *d);
void gateway_free(struct gateway *g);
const struct config *gateway_config(const struct gateway *g);
/* The schema overlay (partner key schema-overlay) loaded for partner p, or NULL. */
const struct x12_overlay *gateway_overlay(const struct gateway *g, const struct cfg_partner *p);
struct spool *gateway_spool(struct gateway *g);
/* The shipped X12 definitions, or NULL when schema-dir has none (added). */
const struct x12_schema *gateway_schemas(const struct gateway *g);
struct ledger *gateway_ledger(struct gateway *g);

/* Start-up recovery of the spool (active/ back to incoming/). */
int gateway_recover(struct gateway *g, size_t *returned);
/* Move every finished file from the partners' drop directories into spool/incoming. */
int gateway_poll(struct gateway *g, struct gw_stats *st);
/* Put a file into spool/incoming as if partner had delivered it; id gets the job id. */
int gateway_ingest(struct gateway *g, const char *file, const char *partner,
		   char id[SPOOL_ID_MAX]);
/* Claim and process every job waiting in incoming/ (stops early when *stop is set). */
int gateway_run_once(struct gateway *g, struct gw_stats *st, volatile sig_atomic_t *stop);
/* Claim and process one job from incoming/. -ENOENT: another worker has it. */
int gateway_process(struct gateway *g, const char *id, struct gw_stats *st);
/* The EDIFACT reader's limits and tolerances for partner p (NULL: edigw.conf's) (added). */
void gateway_edi_reader_settings(const struct config *cfg, const struct cfg_partner *p, struct edi_limits *lim,
				 struct edi_tolerances *tol);
/* 1 when the partner gets a CONTRL for this interchange (contrl = always, or requested and
 * UNB 0031 = 1) (added). */
int gateway_wants_contrl(enum cfg_contrl policy, const struct edi_unb *unb);
/* The X12 reader's limits and tolerances for partner p (NULL: edigw.conf's defaults). */
void gateway_reader_settings(const struct config *cfg, const struct cfg_partner *p,
			     struct x12_limits *lim, struct x12_tolerances *tol);
/* The gateway's acknowledgment decisions, shared with 'edigw inspect --ack' (added).
 * gateway_ack_params: the writer's type, TA1 policy and delimiters for a partner's ack and
 * ta1 settings and the inbound ISA (isa13 and when are left 0 for the caller). */
void gateway_ack_params(enum cfg_ack ack, enum cfg_ta1 ta1, const struct x12_isa *isa,
			struct ack_params *ap);
/* 1 when a group gets a 997/999: not for GS01 = FA (never an ack for an ack), not for ack = none. */
int gateway_acks_group(enum cfg_ack ack, const struct x12_gs *gs);
/* 1 for a transaction set that is an acknowledgment (GS01 = FA, ST01 997 or 999): it is
 * recorded, never checked against a definition, mapped or given findings. */
int gateway_txn_is_ack(const struct x12_txn *txn);
/* Partner p's document for the set; NULL when p is not configured for it, and then res has
 * the AK5 1 finding (transaction set not supported). */
const struct cfg_doc *gateway_txn_document(const struct cfg_partner *p, const struct x12_txn *txn,
					   struct x12_txn_result *res);
/* 1 when res already holds a finding that rejects the set in the 997/999: the map's own
 * findings are then left out of it. */
int gateway_txn_syntax_rejected(const struct x12_txn_result *res);
/* 1 when an interchange for which no 997/999 group was opened still gets a TA1 (ISA14 = 1
 * with transaction sets inside; an envelope error with ta1 = on-error). */
int gateway_ta1_only(enum cfg_ta1 ta1, const struct x12_interchange_result *res);

/* What gateway_send did (added). */
struct gw_send_result {
	char job_id[SPOOL_ID_MAX]; /* the ledger's job for the sent interchange */
	uint64_t isa13;    /* our control number written into ISA13/IEA02 */
	char name[64];     /* file name in spool/outbound/<partner>/ */
	char *path;        /* the queued file (allocated), NULL when not queued */
	size_t groups, sets;
	time_t due;        /* acknowledgment due by */
	char *message;     /* allocated: why the file was refused, NULL otherwise */
};
/* Send a ready-made X12 interchange to a partner (edigw send, src/gateway/send.c):
 * check it like inbound (envelope, definitions with the partner's overlay, our identity
 * as sender, the partner's as receiver, no acknowledgments), put our ISA13/GS06 into it,
 * record it as awaiting acknowledgment and queue it in spool/outbound/<partner>/.
 * -EBADMSG (r->message lists the problems), -EEXIST (already sent), -ENOENT (no such
 * partner), other negative errno. The caller frees r->path and r->message. */
int gateway_send(struct gateway *g, const char *partner, const char *path, struct gw_send_result *r);
/* gateway_send for an interchange in memory: label names it in messages; dedupe_sha (64 hex
 * digits) when not NULL is what a second send is recognised by instead of the bytes' hash
 * (an interchange built from an ERP file carries the time it was built). */
#define GW_SEND_DRY_RUN 1u /* check only: no control numbers, ledger or queue */
int gateway_send_mem(struct gateway *g, const char *partner, const char *label, const char *data, size_t len,
		     const char *dedupe_sha, unsigned flags, struct gw_send_result *r);

/* What gateway_export did (added). */
struct gw_export_result {
	char kind[32];          /* the canonical kind the file was read as */
	size_t nrecords;        /* canonical records read from it */
	struct gw_send_result send; /* the queued interchange, or why not (send.message) */
	char *records;          /* GW_SEND_DRY_RUN: the canonical records (XML), allocated */
	char *document;         /* GW_SEND_DRY_RUN: the interchange as built (before our control
	                         * numbers), allocated; NULL when it could not be built */
};
/* Turn one ERP file into the partner's document (src/gateway/export.c): read it with the
 * partner's export.<kind> map (kind NULL: from the start of the file's name), check each
 * record against the canonical schema, write it with outbound.<kind>, envelope it with
 * our control numbers, check it against our definitions, record it as awaiting
 * acknowledgment and queue it in spool/outbound/<partner>/. The ERP file is not moved.
 * -EBADMSG (x->send.message says why), -EEXIST (this file was sent already), -ENOENT (no
 * such partner or kind), other negative errno. The caller frees x->send.path/message. */
int gateway_export(struct gateway *g, const char *partner, const char *path, const char *kind, unsigned flags,
		   struct gw_export_result *x);
void gw_export_result_free(struct gw_export_result *x);
/* Flat files (CSV, fixed width, XML) through a map, one canonical record at a time
 * (export.c; edigw map test). The reader's options: CSV delimiter (0: ','), no header row,
 * encoding (CSV and fixed width; NULL: UTF-8), size limit. fn gets each record (it frees
 * rec; rec may be NULL when the map failed, with the reason in errs) with its 1-based
 * index, group key (or NULL) and the file line it starts on; a negative return stops.
 * Returns 0, fn's negative return, -EBADMSG (the file as a whole is unreadable, no
 * record, too many, or bad lines: why says so) or -ENOMEM. */
struct gw_flat_opts {
	char delim;
	int no_header;
	const char *encoding;
	size_t max_bytes;
};
struct map;
typedef int (*gw_flat_fn)(void *ctx, xmlDocPtr rec, struct x12_errlist *errs, size_t index, const char *key,
			  uint64_t line);
int gateway_flat_records(const struct map *m, const char *map_path, const struct gw_flat_opts *o, const char *data,
			 size_t len, gw_flat_fn fn, void *ctx, struct buf *why);
/* A flat file's finding in its own words: the message (file line and column, or XML node,
 * and map line) and the value, without the X12 position. Allocated. */
char *gateway_flat_finding(const struct x12_error *e);

/* Check a partner's export.<kind> and outbound.<kind> lines: the maps load, read and write
 * the right kinds, the partner has the identity the documents need. g may be NULL (config
 * check: the maps are loaded and freed). Problems go to d; 0 or -EINVAL. */
int gateway_check_flows(struct gateway *g, const struct cfg_partner *p, struct diag_list *d);
/* Every partner's export-dir: each ready file through gateway_export, then moved to
 * export-dir/sent/ or to export-dir/failed/ with NAME.reason. */
int gateway_export_poll(struct gateway *g, struct gw_stats *st);

/* Operator actions: hold/ → incoming/ with the release flag (duplicate check skipped);
 * failed/ → incoming/ (replay after a fix), or archive/ → incoming/ with the release flag
 * (process an archived document again: a new acknowledgment, and its ERP file written
 * again unless the file is still in erp-dir). */
int gateway_release(struct gateway *g, const char *id);
int gateway_replay(struct gateway *g, const char *id);

/* SFTP (added: src/gateway/sftp_poll.c and src/gateway/deliver.c, doc/transports.md).
 *
 * gateway_sftp_poll: every partner with sftp.inbox whose sftp.poll-interval has passed since
 * its last poll: the files matching sftp.pattern that are complete (size and time the same at
 * two polls in a row, or matching sftp.ready-pattern) are downloaded into a job of the
 * partner in spool/incoming (durable), then removed from the server or moved to
 * sftp.archive. A crash between the two does not make a second job (doc/transports.md).
 *
 * gateway_deliver: for every partner with sftp.outbox, each file in spool/outbound/<partner>/
 * becomes a delivery job in deferred/; it is uploaded under a temporary name, renamed into
 * place once (the rename is recorded first, so a crash never uploads it again) and the job
 * moves to sent/ with a "sent" event. A failed attempt is retried after retry.min, doubling
 * up to retry.max; a job not delivered within retry.max-age goes to failed/ with the reason
 * and a "failed" event (edigw status lists it).
 *
 * Both note each partner's outcome as transport "sftp-poll" / "sftp-deliver" (ledger
 * transport state: edigw status). Problems with a partner's server are logged and noted, not
 * returned: the return is negative only when the spool or the ledger fails. */
int gateway_sftp_poll(struct gateway *g, struct gw_stats *st);
int gateway_deliver(struct gateway *g, struct gw_stats *st);
/* edigw replay of a delivery job: from failed/ (given up) or sent/ (deliver it once more)
 * back into deferred/, due now, with a fresh retry.max-age (in deferred/ already: due now).
 * -EINVAL: not a delivery job (an inbound job: use gateway_replay); -ENOENT: no such job. */
int gateway_deliver_replay(struct gateway *g, const char *id);
/* Deliveries of a partner (NULL: all partners) for edigw status. */
struct gw_delivery_counts {
	uint64_t waiting;   /* in deferred/, not delivered yet */
	uint64_t retrying;  /* of those, with at least one failed attempt */
	uint64_t failed;    /* given up (in failed/) */
	uint64_t sent;      /* delivered (in sent/) */
	int64_t next_retry; /* earliest next attempt of a retrying one, 0 none */
	char *last_error;   /* the newest retrying one's last error, allocated, or NULL */
};
int gateway_delivery_counts(struct gateway *g, const char *partner, struct gw_delivery_counts *out);

/* AS2 (added: src/gateway/as2_server.c, src/gateway/as2_send.c, doc/as2.md).
 *
 * gateway_as2_start: the receiving endpoint on listen ("host:port"; NULL: as2.listen; port 0
 * picks a free one, gateway_as2_port tells which) in threads of its own (libmicrohttpd), with
 * its own spool and ledger handles: a message from a partner whose as2.id is its AS2-From is
 * checked (AS2-To, signature against as2.cert, decryption, decompression, require-signature,
 * require-encryption), committed to spool/incoming as a job of that partner (durable) and
 * only then answered with its MDN, sync or async; a duplicate Message-ID is answered
 * processed/warning: duplicate-document and not spooled again; async MDNs for what we sent
 * are settled. g must outlive the server: stop it before gateway_free (and around a SIGHUP
 * reload: stop, reload, start). TLS: behind a reverse proxy (doc/as2.md).
 *
 * gateway_as2_deliver: for every partner with as2.id and as2.url, the files of
 * spool/outbound/<partner>/ become delivery jobs in deferred/ (ledger deliveries, transport
 * "as2") and due jobs are sent: signed, compressed and encrypted per the partner, the MDN
 * (sync, async or none) checked (signature, Original-Message-ID, MIC), then sent/ or failed/;
 * failed attempts are retried with the same Message-ID (retry.*). Negative only when the
 * spool, the ledger or our own key fails. */
struct gw_as2_server;
int gateway_as2_start(struct gateway *g, const char *listen, struct gw_as2_server **out);
unsigned gateway_as2_port(const struct gw_as2_server *s);
void gateway_as2_stop(struct gw_as2_server *s);
int gateway_as2_deliver(struct gateway *g, struct gw_stats *st);
/* edigw config check: our as2.key/as2.cert, the endpoint's as2.tls-cert/as2.tls-key, each AS2
 * partner's as2.cert and as2.tls-ca load (and the keys match); findings into d, -EINVAL if any. */
int gateway_as2_check(const struct config *cfg, struct diag_list *d);
/* Shared by as2_server.c and as2_send.c (not for other callers). */
struct as2_mdn;
struct x509_st;
struct evp_pkey_st;
int gw_as2_load_us(const struct config *cfg, struct x509_st **cert, struct evp_pkey_st **key, char **why);
int gw_as2_tls_load(const struct config *cfg, struct buf *cert_pem, struct buf *key_pem, struct diag_list *d,
		    char **why);
void gw_as2_cert_expiry(struct x509_st *x, const char *what, const char *path, struct diag_list *d,
			const char *file, size_t line);
char *gw_as2_message_id(const char *job_id, const char *our_as2_id);
int gw_as2_mdn_in(const struct config *cfg, struct ledger *l, struct spool *sp, const struct cfg_partner *p,
		  const struct as2_mdn *m, char **why);
/* POST over http or https; an https server's certificate is checked against ca_file (PEM) only,
 * or the system's CAs when ca_file is NULL, and its name against the URL's host. */
int gw_as2_post(const char *url, const char *ca_file, const char *const *headers, const void *body, size_t len,
		unsigned timeout_s, long *status, char **resp_ct, char **resp_cte, struct buf *resp_body, char **why);

#endif
