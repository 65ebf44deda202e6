/*
 * gateway_int.h — what gateway.c shares with the other files of the gateway
 * (gateway_edifact.c, send.c): the gateway and job state and the helpers
 * every document path uses (staged ERP files, ledger rows, the end of a job).
 * Not a public interface.
 */
#ifndef EDIGW_GATEWAY_INT_H
#define EDIGW_GATEWAY_INT_H

#include <stdint.h>

#include "ack/ack.h"
#include "canon/canon.h"
#include "config/config.h"
#include "gateway/gateway.h"
#include "ledger/ledger.h"
#include "map/map.h"
#include "spool/spool.h"
#include "util/util.h"
#include "x12/x12_schema.h"

struct map_slot;
struct erp_slot;

struct gateway {
	struct config *cfg;
	struct spool *spool;
	struct ledger *ledger;
	struct map_slot *maps;
	size_t nmaps;
	struct erp_slot *erps;
	size_t nerps;
	char *erp_tmp;      /* <erp-dir>/.edigw-tmp */
	char *erp_test_tmp; /* <erp-test-dir>/.edigw-tmp */
	struct x12_schema *schemas; /* transaction set definitions, or NULL */
	struct x12_overlay **overlays; /* per cfg->partners[i]: its schema-overlay, or NULL */
	struct x12_schema *edi_schemas; /* EDIFACT message definitions (schema-dir/edifact), or NULL */
	struct x12_overlay **edi_overlays; /* per cfg->partners[i]: its edifact-schema-overlay, or NULL */
	struct omap_slot *omaps; /* outbound maps (export.c) */
	size_t nomaps;
};

struct omap_slot {
	char *path;
	struct omap *map;
};

/* export.c: the outbound map at path (loaded once). */
struct omap;
const struct omap *gw_omap_for(struct gateway *g, const char *path, struct diag_list *d);
/* gateway.c: a name that is not being written (no leading '.', no .tmp or .part suffix);
 * the dir_names filter of drop directories and export directories. */
int gw_name_ready(const char *dir, const char *name, void *ctx);
/* send.c: the common end of sending (write, record, commit, link), see there. */
struct ledger_sent;
int gw_queue_outbound(struct gateway *g, const struct ledger_sent *sn, const char *data, size_t len,
		      const char *hkey, const char *sha, const char *what, struct gw_send_result *r, int *began);
/* The partner's EDIFACT overlay, or NULL. */
const struct x12_overlay *gw_edi_overlay(const struct gateway *g, const struct cfg_partner *p);

/* A staged ERP file: written in .edigw-tmp, linked into dir/name at commit. */
struct staged {
	char *tmp;
	char *dir;
	char *name;
	char *kind;
	int fd; /* open while its group is being read; -1 after */
	uint64_t records;
	uint64_t group; /* group index within the interchange */
	char *gcn;      /* the inbound GS06 of that group */
	struct buf pending; /* records not yet written to fd */
};

#define STAGE_FLUSH_AT (64 * 1024)

#define STAGE_FLUSH_AT (64 * 1024)

struct job {
	struct gateway *g;
	struct gw_stats *st;
	struct spool_meta meta;
	const struct cfg_partner *bound;   /* partner named by the job header */
	const struct cfg_partner *partner; /* partner of the current interchange */
	char *hold_reason;
	char *fail_reason;
	uint64_t accepted, rejected;       /* transaction sets in the whole job */
	uint64_t interchanges_rejected;
	size_t max_loop_depth;             /* from the partner's limits */
	uint64_t warnings;                 /* definition warnings (partial code lists) */
	uint64_t ic_accepted, gr_accepted; /* accepted so far in the current interchange / group */
	/* current interchange */
	uint64_t ic;
	int in_txn_scope;                  /* ledger transaction open */
	struct ack_writer *ack;
	struct ledger_ack_ctl actl;
	int have_actl;
	int ack_group_open;
	int test;
	struct staged *staged;
	size_t nstaged;
	/* current group */
	uint64_t gr;
	const char *gcn;                   /* GS06 of the current group (borrowed) */
	const char *icn;                   /* ISA13 of the current interchange (borrowed) */
	int group_is_ack;                  /* GS01 = FA: never acknowledged */
	size_t group_staged_from;          /* first staged entry of the current group */
	/* current transaction */
	struct buf erp_out;
	const char *erp_kind;
	char *bkey;
	int txn_mapped;
};

/* Kill ourselves at a named point when EDIGW_CRASH_AT asks for it (tests only). */
void gw_fault_point(const char *name);
/* The loaded map for a path (loaded on first use), NULL with diagnostics. */
struct map *gw_map_for(struct gateway *g, const char *path, struct diag_list *d);
/* The ERP profile for a canonical kind, or NULL. */
const struct erp_profile *gw_erp_for(const struct gateway *g, const char *kind);
/* Write a staged file's pending records. */
int gw_staged_flush(struct staged *s);
/* Keep the first reason in *slot (msg is taken over either way). */
void gw_set_reason(char **slot, char *msg);
/* The wait after the n-th failed delivery attempt: retry.min * 2^(n-1), at most retry.max. */
struct cfg_retry;
uint64_t gw_backoff(const struct cfg_retry *r, unsigned attempts);
/* Discard staged ERP files from index from on. */
void gw_staged_discard(struct job *j, size_t from);
/* The staged file of the current group for kind, created on first use (*err on failure). */
struct staged *gw_staged_for(struct job *j, const char *kind, int *err);
/* A ledger document of the job (partner and test flag filled in). */
struct ledger_doc gw_job_doc(const struct job *j, const char *key, const char *direction,
			     const char *standard, const char *type, const char *state);
/* Documents counted as accepted turn out rejected with their group or interchange. */
void gw_unaccept(struct job *j, uint64_t n);
/* A reader notice: logged and recorded as a job event. */
void gw_notice(void *ctx, uint64_t line, const char *msg);
/* Name the staged ERP files after the interchange (date, control number) and record
 * them in the open ledger transaction. */
int gw_name_staged(struct job *j, const char *date, const char *icn);
/* Link the staged ERP files into place after the ledger commit, then forget them. */
int gw_commit_staged(struct job *j);
/* The first finding as a sentence, "(and N more)"; NULL when there is none. */
char *gw_errs_reason(const struct x12_errlist *errs);
char *gw_errs_reason_as(const struct x12_errlist *errs, const char *standard);
/* A mapped record: checked against canonical.rng, rendered into j->erp_out; frees rec. */
void gw_emit_record(struct job *j, xmlDocPtr rec, struct x12_errlist *errs);
/* Count a finished document; stage its ERP records when ok (*out: the staged file). */
int gw_document_done(struct job *j, int ok, struct staged **out);
/* End of a group: close its staged files; when rejected take back what it accepted and
 * mark its documents rejected with why (taken over; may be NULL when not rejected). */
int gw_group_done(struct job *j, int rejected, char *why);
/* Read an EDIFACT job (gateway_edifact.c): <0 for an environment failure; else the outcome
 * is in j and *fatal (allocated) says why the input is not readable EDIFACT, if so. */
int gw_process_edifact(struct job *j, int fd, char **fatal);
/* Write an acknowledgment (finish makes its bytes into fd) into outbound/<partner>/ as name,
 * idempotently, and record it (ledger key, standard, type, our control number ctl, the
 * inbound interchange reference it answers). Nothing when finish writes nothing. */
int gw_queue_ack(struct job *j, int (*finish)(void *w, int fd, int *written), void *w, const char *name,
		 const char *key, const char *standard, const char *type, const char *ctl, const char *answers);
/* CSV files of a partner with csv.document (gateway_csv.c): whether a job is one (sniffed:
 * "x12", "edifact" or anything else), and reading it like gw_process_edifact. */
int gw_is_csv(const struct cfg_partner *p, const char *sniffed);
int gw_process_csv(struct job *j, int fd, char **fatal);
/* Move the job to its final queue with a ledger event. */
int gw_finish_job(struct job *j, enum spool_queue to, const char *reason);

#endif
