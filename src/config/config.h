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
	char *key_passphrase_file; /* sftp.key-passphrase-file: the passphrase of sftp.key, or NULL */
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

/* A partner's AS2 profile (added: as2.* keys, doc/as2.md). id NULL: no AS2. The enums'
 * order is the order of the choices in edigw.conf.5 (sign: none, sha1, sha256, sha384,
 * sha512; encrypt: none, aes128-cbc, aes192-cbc, aes256-cbc, 3des-cbc), the same as the
 * as2 module's enum as2_md and enum as2_cipher. */
enum cfg_as2_compress { CFG_AS2_COMPRESS_NONE = 0, CFG_AS2_COMPRESS_BEFORE, CFG_AS2_COMPRESS_AFTER };
enum cfg_as2_mdn { CFG_AS2_MDN_SYNC = 0, CFG_AS2_MDN_ASYNC, CFG_AS2_MDN_NONE };
struct cfg_as2 {
	char *id;                /* as2.id: the partner's AS2 name (AS2-From of what it sends) */
	char *url;               /* as2.url: where we POST our messages, or NULL (receive only) */
	char *cert;              /* as2.cert: the partner's certificate (PEM), pinned */
	int sign;                /* as2.sign: digest we sign with, 0 = unsigned (default sha256) */
	int encrypt;             /* as2.encrypt: cipher, 0 = none (default aes256-cbc) */
	int oaep;                /* as2.key-transport = oaep (default pkcs1: RSA PKCS#1 v1.5) */
	enum cfg_as2_compress compress; /* as2.compress (default none) */
	enum cfg_as2_mdn mdn;    /* as2.mdn: the MDN we ask for (default sync) */
	int mdn_signed;          /* as2.mdn-signed: ask for a signed MDN (default yes) */
	int require_signature;   /* as2.require-signature: refuse unsigned messages (default yes) */
	int require_encryption;  /* as2.require-encryption: refuse unencrypted messages (default yes) */
	uint64_t timeout_s;      /* as2.timeout: HTTP connect + transfer, default 60s */
	uint64_t mdn_wait_s;     /* as2.mdn-wait: how long an async MDN may take before we resend (1h) */
	char *tls_ca;            /* as2.tls-ca: CA certificates (PEM) trusted for its https URLs instead
				    of the system's, or NULL */
	size_t line;             /* line of as2.id, 0 when unset */
};

/* Our AS2 side (added: as2.* keys of edigw.conf). id NULL: AS2 is off. */
struct cfg_as2_us {
	char *id;       /* as2.id: our AS2 name */
	char *key;      /* as2.key: our private key (PEM) */
	char *cert;     /* as2.cert: our certificate (PEM) */
	char *listen;   /* as2.listen: "host:port" of the receiving endpoint, or NULL (send only) */
	char *tls_cert; /* as2.tls-cert: the endpoint's TLS certificate chain (PEM): https; or NULL */
	char *tls_key;  /* as2.tls-key: its private key (PEM) */
	char *mdn_url;  /* as2.mdn-url: where partners POST async MDNs to us, or NULL */
	size_t line;    /* line of as2.id */
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
	char export_delimiter;   /* export-dir.delimiter: the ERP's CSV files (default ',') */
	int export_no_header;    /* export-dir.header = no */
	char *export_encoding;   /* export-dir.encoding: the ERP's CSV and fixed-width files (UTF-8) */
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
	struct cfg_as2 as2;      /* as2.* (added) */
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
	struct cfg_as2_us as2;  /* as2.* of edigw.conf (added) */
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
/* The partner whose as2.id is as2_id (exact, case-sensitive), or NULL (added). */
const struct cfg_partner *config_partner_by_as2(const struct config *c, const char *as2_id);
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
