/*
 * config — edigw.conf and partners/<id>.conf into typed structs.
 *
 * Format (doc/edigw.conf.5): one "key = value" per line, '#' starts a
 * comment, blank lines ignored, keys are lower-case words joined by '.'
 * and '-'. Relative paths are relative to the directory of the file that
 * names them. Unknown keys, repeated keys and bad values are errors that
 * name the file and line; loading collects every error, not just the first.
 */
#ifndef EDIGW_CONFIG_H
#define EDIGW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Parser limits for partner data; defaults in edigw.conf, overrides per partner. */
struct cfg_limits {
	uint64_t max_file_size;         /* limit.max-file-size, default 512M */
	uint64_t max_segment_len;       /* limit.max-segment-length, default 64k */
	uint64_t max_element_len;       /* limit.max-element-length, default 4096 */
	uint64_t max_elements;          /* limit.max-elements, default 512 */
	uint64_t max_segments_per_txn;  /* limit.max-segments-per-transaction, default 200000 */
	uint64_t max_loop_depth;        /* limit.max-loop-depth, default 32 */
	uint64_t max_txn_size;          /* limit.max-transaction-size: bytes one transaction set
	                                 * may hold while read (x12 max_txn_bytes), default 64M */
};

/* X12 departures tolerated (1) or rejected (0); defaults in edigw.conf, overrides per
 * partner (added: tolerate.* keys, see struct x12_tolerances and doc/x12-reader.md). */
struct cfg_tolerances {
	int alphanumeric_isa11;      /* tolerate.alphanumeric-isa11, default yes */
	int trailing_empty_elements; /* tolerate.trailing-empty-elements, default yes */
	int unpadded_isa;            /* tolerate.unpadded-isa, default no */
	int isa_line_breaks;         /* tolerate.isa-line-breaks, default yes */
	int wrong_counts;            /* tolerate.wrong-counts, default no */
};

struct cfg_x12_id {
	char qualifier[3]; /* ISA05/07 qualifier, 2 chars */
	char id[16];       /* ISA06/08, 1..15 chars */
	char gs_id[16];    /* GS02/03, 2..15 chars */
};

enum cfg_ack { CFG_ACK_997 = 0, CFG_ACK_999, CFG_ACK_NONE };

/* An UN/EDIFACT identity (UNB 0004/0007 or 0010/0007) (added). */
struct cfg_edi_id {
	char id[36];       /* 1..35 characters */
	char qualifier[5]; /* 0..4 characters; "" = any (partner) / none written (us) */
};

/* When a partner gets a CONTRL (added). */
enum cfg_contrl { CFG_CONTRL_REQUESTED = 0, CFG_CONTRL_ALWAYS, CFG_CONTRL_NEVER };
enum cfg_ta1 {
	CFG_TA1_ON_ERROR = 0, /* when ISA14 = 1, and always when the envelope is in error (default) */
	CFG_TA1_REQUESTED,    /* only when ISA14 = 1 */
	CFG_TA1_NEVER
};

/* What a bad row of a CSV or fixed-width file does (flat.bad-row, added): refuse the
 * whole file, or leave the row out with a warning (doc/edigw.conf.5). */
enum cfg_bad_row { CFG_BAD_ROW_REJECT_FILE = 0, CFG_BAD_ROW_REJECT_ROW };

/* A document type the partner sends us and the map that reads it. */
struct cfg_doc {
	char type[16];  /* "850", "ORDERS", a CSV document name "SHIPCONF" (3..12) */
	char *map_path; /* absolute or relative to the cwd, resolved at load */
	size_t line;    /* where it was configured */
};

/* An ERP export type (export.<kind>: the ERP's file -> canonical record) or an outbound
 * document (outbound.<kind>: canonical record -> the partner's X12/EDIFACT) (added). */
struct cfg_flow {
	char kind[32];  /* canonical record kind, "ship-notice" */
	char *map_path;
	size_t line;
};

/* Delivery retries of outbound documents (added: retry.* keys, defaults in edigw.conf,
 * overrides per partner). The wait after the n-th failed attempt is min * 2^(n-1), at most
 * max; a document still undelivered max_age after it was queued goes to failed/. */
struct cfg_retry {
	uint64_t min_s;     /* retry.min, default 1m */
	uint64_t max_s;     /* retry.max, default 1h */
	uint64_t max_age_s; /* retry.max-age, default 24h */
};

/* A partner's SFTP server (added: sftp.* keys, doc/transports.md). host NULL: no SFTP.
 * Remote paths are the server's, used as written. */
struct cfg_sftp {
	char *host;
	unsigned port;            /* sftp.port, default 22 */
	char *user;
	char *key;                /* sftp.key: private key file, or NULL */
	char *password_file;      /* sftp.password-file: a file holding the password, or NULL */
	char *known_hosts;        /* sftp.known-hosts: the server's pinned host key(s) (required) */
	char *inbox;              /* sftp.inbox: remote directory polled for the partner's files, or NULL */
	char *outbox;             /* sftp.outbox: remote directory our documents are uploaded to, or NULL */
	char *archive;            /* sftp.archive: remote directory taken files are moved to; NULL: removed */
	char *pattern;            /* sftp.pattern: glob of the inbox files to take, default "*" */
	char *ready_pattern;      /* sftp.ready-pattern: inbox files complete as soon as seen, or NULL */
	uint64_t poll_interval_s; /* sftp.poll-interval, default edigw.conf's poll-interval */
	uint64_t timeout_s;       /* sftp.timeout: connect and each operation, default 30s */
	size_t line;              /* line of sftp.host, 0 when unset */
};

struct cfg_partner {
	char *id;          /* file base name; [A-Za-z0-9._-] */
	char *name;
	char *file;        /* path of the .conf */
	struct cfg_x12_id x12;
	int has_x12;
	char *drop_dir;    /* local drop directory, or NULL */
	size_t drop_line;  /* line of drop, 0 when unset (added: for `edigw config check`) */
	struct cfg_doc *docs;
	size_t ndocs;
	enum cfg_ack ack;
	enum cfg_ta1 ta1;
	uint64_t dup_window_s;   /* duplicate-window, default from edigw.conf (30d) */
	uint64_t ack_due_s;      /* ack-due: how long the partner has to acknowledge what we send (24h) */
	char *schema_overlay;    /* schema-overlay: changes to the X12 definitions for this partner, or NULL */
	struct cfg_edi_id edifact; /* edifact.id / edifact.qualifier (added) */
	int has_edifact;
	size_t edifact_line;     /* line of edifact.id */
	enum cfg_contrl contrl;  /* contrl: requested (UNB 0031 = 1, default), always, never */
	int edifact_charset_relaxed; /* tolerate.edifact-charset (default no) */
	char csv_document[16];   /* csv.document: the document type of the partner's CSV files, "" none */
	size_t csv_document_line;
	char csv_delimiter;      /* csv.delimiter: one character or "tab" (default ',') */
	int csv_no_header;       /* csv.header = no */
	char *csv_encoding;      /* csv.encoding: an iconv name, NULL = UTF-8 */
	enum cfg_bad_row bad_row; /* flat.bad-row: reject-file (default) or reject-row (added) */
	char fixed_document[16]; /* fixed.document: the document type of its fixed-width files (added) */
	size_t fixed_document_line;
	char *fixed_encoding;    /* fixed.encoding: an iconv name, NULL = UTF-8 (added) */
	char xml_document[16];   /* xml.document: the document type of its XML files (added) */
	size_t xml_document_line;
	size_t schema_overlay_line;
	char *edifact_overlay;   /* edifact-schema-overlay: the same for EDIFACT definitions, or NULL */
	size_t edifact_overlay_line;
	struct cfg_limits limits;
	struct cfg_tolerances tolerances; /* added: edigw.conf's, overridden by the partner file */
	/* outbound documents (added) */
	char *export_dir;        /* export-dir: where the ERP writes this partner's files, or NULL */
	struct cfg_flow *exports; /* export.<kind> = map (a CSV map: ERP file -> canonical record) */
	size_t nexports;
	struct cfg_flow *outbound; /* outbound.<kind> = map (canonical record -> X12/EDIFACT) */
	size_t noutbound;
	char x12_delims[5];      /* x12.delimiters: element, component, repetition, segment (*>^~) */
	int x12_line_breaks;     /* x12.line-breaks = yes: a newline after each segment (default no) */
	int outbound_test;       /* outbound-usage = test: ISA15 T, UNB 0035 1 */
	char edifact_syntax[8];  /* edifact.syntax: UNOC:3 */
	struct cfg_sftp sftp;    /* sftp.* (added) */
	struct cfg_retry retry;  /* retry.*: edigw.conf's, overridden by the partner file (added) */
};

struct cfg_erp {
	char kind[32];    /* canonical record kind, e.g. "order" */
	char *profile;    /* ERP profile (map file) path */
	size_t line;
};

struct config {
	char *file;           /* path of edigw.conf */
	char *spool_root;     /* spool, default "spool" */
	char *ledger_path;    /* ledger, default <spool>/ledger.db */
	char *erp_dir;        /* erp-dir, required */
	char *erp_test_dir;   /* erp-test-dir, default <erp-dir>/test */
	char *partners_dir;   /* partners-dir, default "partners" */
	char *canonical_rng;  /* canonical-schema, default <dir of edigw.conf>/doc/canonical.rng */
	char *schema_dir;     /* schema-dir: X12 transaction set definitions, default <dir of edigw.conf>/maps/schemas */
	uint64_t poll_interval_s; /* poll-interval, default 30s */
	char *log_level;      /* log-level: error, warning, info, debug */
	struct cfg_x12_id us; /* our.x12.qualifier / our.x12.id / our.x12.gs-id */
	struct cfg_edi_id us_edifact; /* our.edifact.id / our.edifact.qualifier (added; id "" = unset) */
	struct cfg_limits limits;
	struct cfg_tolerances tolerances; /* added: defaults for every partner */
	uint64_t dup_window_s;
	uint64_t ack_due_s;   /* ack-due default (24h) */
	struct cfg_erp *erp;  /* erp.<kind> = profile */
	size_t nerp;
	struct cfg_partner *partners;
	size_t npartners;
	struct cfg_retry retry; /* retry.* defaults for every partner (added) */
};

/* Built-in defaults for limits. */
void cfg_limits_default(struct cfg_limits *l);
/* Built-in defaults for tolerances (added). */
void cfg_tolerances_default(struct cfg_tolerances *t);

/* Load edigw.conf and every partners-dir/<id>.conf. All errors go to d (file and line);
 * returns 0 when there were none, -EINVAL otherwise (*out is then NULL). */
int config_load(struct config **out, const char *path, struct diag_list *d);
void config_free(struct config *c);

/* Lookups (borrowed pointers; NULL when none). */
/* export.<kind> (outbound 0) or outbound.<kind> (outbound 1) of a partner (added). */
const struct cfg_flow *config_partner_flow(const struct cfg_partner *p, int outbound, const char *kind);
const struct cfg_partner *config_partner(const struct config *c, const char *id);
const struct cfg_partner *config_partner_by_x12(const struct config *c, const char *qualifier,
						const char *id);
const struct cfg_doc *config_partner_doc(const struct cfg_partner *p, const char *type);
/* The partner whose edifact.id is id and whose edifact.qualifier is qualifier or unset (added). */
const struct cfg_partner *config_partner_by_edifact(const struct config *c, const char *qualifier,
						    const char *id);
const char *config_erp_profile(const struct config *c, const char *kind);

/* log-level as the util log level (added; LOG_INFO when c is NULL). */
enum log_level config_log_level(const struct config *c);

#endif
