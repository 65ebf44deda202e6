/*
 * config.c — edigw.conf and partners/<id>.conf into struct config.
 *
 * Functions: config_load reads edigw.conf, then every partners-dir/<id>.conf
 * (sorted), then checks across files; config_free releases it all; the
 * config_* lookups return borrowed pointers into the loaded config.
 *
 * Loading is two passes per file: read_entries splits the file into
 * key/value entries (comments, trimming, line/file size caps, UTF-8 and
 * control-character checks, repeated keys), then apply_* turns each entry
 * into a typed field using the key table below. Every problem is recorded
 * in the caller's diag_list with file and line and loading goes on, so one
 * run reports every error; the diagnostics of each file are then put in
 * line order.
 *
 * Ownership: struct config owns every string and array it points to;
 * config_free releases them. Limits: a config file is at most 1 MiB, a line
 * at most 4096 bytes (without its line end). Config files are written by
 * the operator, not by partners, but values still end up in logs and
 * envelopes, so they must be UTF-8 without control characters and the X12
 * identities must be free of the usual X12 delimiters.
 */
#include "config/config.h"

#include <dirent.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CFG_MAX_LINE 4096
#define CFG_MAX_FILE (1024 * 1024)
#define CFG_MAX_KIND 31 /* sizeof cfg_erp.kind - 1 */
#define SHOW_MAX 64     /* bytes of a value or key echoed in a message */

#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * 1024 * 1024)
#define DAY 86400ull

/* ------------------------------------------------------------ key table */

/* Where a key may appear. */
#define W_MAIN 1
#define W_PARTNER 2

enum vtype {
	V_PATH,     /* a path, resolved against the file's directory */
	V_TEXT,     /* free UTF-8 text */
	V_SIZE,     /* parse_size, in [min, max] */
	V_DURATION, /* parse_duration, in [min, max] */
	V_COUNT,    /* plain decimal, in [min, max] */
	V_ENUM,     /* one of choices */
	V_X12Q,     /* X12 qualifier */
	V_X12ID,    /* X12 interchange id */
	V_X12GS,    /* X12 application (GS) id */
	V_PID,      /* partner id */
	V_EDIID,    /* EDIFACT identification (0004/0010): 1..35 characters */
	V_EDIQ,     /* EDIFACT identification code qualifier (0007): 1..4 characters */
};

enum slot {
	S_SPOOL,
	S_LEDGER,
	S_ERP_DIR,
	S_ERP_TEST_DIR,
	S_PARTNERS_DIR,
	S_CANONICAL,
	S_SCHEMA_DIR,
	S_POLL,
	S_LOG_LEVEL,
	S_OUR_Q,
	S_OUR_ID,
	S_OUR_GS,
	S_OUR_EDI_ID,
	S_OUR_EDI_Q,
	S_DUP_WINDOW,
	S_ACK_DUE,
	S_LIM_FILE,
	S_LIM_SEG,
	S_LIM_ELEM_LEN,
	S_LIM_ELEMS,
	S_LIM_SEGS,
	S_LIM_DEPTH,
	S_LIM_TXN,
	S_TOL_ISA11,
	S_TOL_TRAILING,
	S_TOL_UNPADDED,
	S_TOL_LINE_BREAKS,
	S_TOL_COUNTS,
	S_ID,
	S_NAME,
	S_X12_Q,
	S_X12_ID,
	S_X12_GS,
	S_DROP,
	S_ACK,
	S_TA1,
	S_OVERLAY,
	S_EDI_ID,
	S_EDI_Q,
	S_EDI_OVERLAY,
	S_CSV_DOC,
	S_CSV_DELIM,
	S_CSV_HEADER,
	S_CSV_ENC,
	S_FLAT_BAD_ROW,
	S_FIXED_DOC,
	S_FIXED_ENC,
	S_XML_DOC,
	S_CONTRL,
	S_TOL_EDI_CHARSET,
	S_EXPORT_DIR,
	S_EXPORT_DELIM,
	S_EXPORT_HEADER,
	S_EXPORT_ENC,
	S_X12_DELIMS,
	S_X12_NL,
	S_OUT_USAGE,
	S_EDI_SYNTAX,
	S_SFTP_HOST,
	S_SFTP_PORT,
	S_SFTP_USER,
	S_SFTP_KEY,
	S_SFTP_PASSWORD,
	S_SFTP_KEY_PASS,
	S_SFTP_KNOWN_HOSTS,
	S_SFTP_INBOX,
	S_SFTP_OUTBOX,
	S_SFTP_ARCHIVE,
	S_SFTP_PATTERN,
	S_SFTP_READY,
	S_SFTP_POLL,
	S_SFTP_TIMEOUT,
	S_RETRY_MIN,
	S_RETRY_MAX,
	S_RETRY_MAX_AGE,
	S_AS2_ID,
	S_AS2_KEY,
	S_AS2_CERT,
	S_AS2_LISTEN,
	S_AS2_TLS_CERT,
	S_AS2_TLS_KEY,
	S_AS2_MDN_URL,
	S_AS2_URL,
	S_AS2_SIGN,
	S_AS2_ENCRYPT,
	S_AS2_KEYENC,
	S_AS2_COMPRESS,
	S_AS2_MDN,
	S_AS2_MDN_SIGNED,
	S_AS2_REQ_SIG,
	S_AS2_REQ_ENC,
	S_AS2_TIMEOUT,
	S_AS2_TLS_CA,
	S_AS2_MDN_WAIT,
	S_COUNT
};

struct keydef {
	const char *name;
	enum slot slot;
	enum vtype type;
	int where;
	uint64_t min, max;       /* V_SIZE, V_DURATION, V_COUNT */
	const char *min_s, *max_s; /* the same, as the user writes them */
	const char *const *choices; /* V_ENUM, NULL-terminated */
};

static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };
static const char *const acks[] = { "997", "999", "none", NULL };
static const char *const ta1s[] = { "on-error", "requested", "never", NULL };
static const char *const contrls[] = { "requested", "always", "never", NULL };
static const char *const yes_no[] = { "yes", "no", NULL }; /* index 0 = yes */
static const char *const bad_rows[] = { "reject-file", "reject-row", NULL }; /* enum cfg_bad_row */
static const char *const usages[] = { "production", "test", NULL };
/* as2.*: the order is that of struct cfg_as2's fields (and the as2 module's enums) */
static const char *const as2_signs[] = { "none", "sha1", "sha256", "sha384", "sha512", NULL };
static const char *const as2_ciphers[] = { "none", "aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc", NULL };
static const char *const as2_keyencs[] = { "pkcs1", "oaep", NULL };
static const char *const as2_compresses[] = { "none", "before-signing", "after-signing", NULL };
static const char *const as2_mdns[] = { "sync", "async", "none", NULL };

#define WB (W_MAIN | W_PARTNER)
static const struct keydef keydefs[] = {
	{ "spool", S_SPOOL, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "ledger", S_LEDGER, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "erp-dir", S_ERP_DIR, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "erp-test-dir", S_ERP_TEST_DIR, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "partners-dir", S_PARTNERS_DIR, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "canonical-schema", S_CANONICAL, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "schema-dir", S_SCHEMA_DIR, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "poll-interval", S_POLL, V_DURATION, W_MAIN, 1, DAY, "1s", "1d", NULL },
	{ "log-level", S_LOG_LEVEL, V_ENUM, W_MAIN, 0, 0, NULL, NULL, log_levels },
	{ "our.x12.qualifier", S_OUR_Q, V_X12Q, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "our.x12.id", S_OUR_ID, V_X12ID, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "our.x12.gs-id", S_OUR_GS, V_X12GS, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "our.edifact.id", S_OUR_EDI_ID, V_EDIID, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "our.edifact.qualifier", S_OUR_EDI_Q, V_EDIQ, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "duplicate-window", S_DUP_WINDOW, V_DURATION, WB, 3600, 3650 * DAY, "1h", "3650d",
	  NULL },
	{ "limit.max-file-size", S_LIM_FILE, V_SIZE, WB, KIB, 4 * GIB, "1k", "4G", NULL },
	{ "limit.max-segment-length", S_LIM_SEG, V_SIZE, WB, 106, 16 * MIB, "106", "16M", NULL },
	{ "limit.max-element-length", S_LIM_ELEM_LEN, V_SIZE, WB, 1, MIB, "1", "1M", NULL },
	{ "limit.max-elements", S_LIM_ELEMS, V_COUNT, WB, 16, 100000, "16", "100000", NULL },
	{ "limit.max-segments-per-transaction", S_LIM_SEGS, V_COUNT, WB, 4, 10000000, "4",
	  "10000000", NULL },
	{ "limit.max-loop-depth", S_LIM_DEPTH, V_COUNT, WB, 1, 1000, "1", "1000", NULL },
	{ "limit.max-transaction-size", S_LIM_TXN, V_SIZE, WB, MIB, GIB, "1M", "1G", NULL },
	{ "tolerate.alphanumeric-isa11", S_TOL_ISA11, V_ENUM, WB, 0, 0, NULL, NULL, yes_no },
	{ "tolerate.trailing-empty-elements", S_TOL_TRAILING, V_ENUM, WB, 0, 0, NULL, NULL,
	  yes_no },
	{ "tolerate.unpadded-isa", S_TOL_UNPADDED, V_ENUM, WB, 0, 0, NULL, NULL, yes_no },
	{ "tolerate.isa-line-breaks", S_TOL_LINE_BREAKS, V_ENUM, WB, 0, 0, NULL, NULL, yes_no },
	{ "tolerate.wrong-counts", S_TOL_COUNTS, V_ENUM, WB, 0, 0, NULL, NULL, yes_no },
	{ "id", S_ID, V_PID, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "name", S_NAME, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "x12.qualifier", S_X12_Q, V_X12Q, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "x12.id", S_X12_ID, V_X12ID, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "x12.gs-id", S_X12_GS, V_X12GS, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "drop", S_DROP, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "ack", S_ACK, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, acks },
	{ "ta1", S_TA1, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, ta1s },
	{ "ack-due", S_ACK_DUE, V_DURATION, WB, 60, 30 * DAY, "1m", "30d", NULL },
	{ "schema-overlay", S_OVERLAY, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "edifact.id", S_EDI_ID, V_EDIID, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "edifact-schema-overlay", S_EDI_OVERLAY, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "csv.document", S_CSV_DOC, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "csv.delimiter", S_CSV_DELIM, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "csv.header", S_CSV_HEADER, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, yes_no },
	{ "csv.encoding", S_CSV_ENC, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "flat.bad-row", S_FLAT_BAD_ROW, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, bad_rows },
	{ "fixed.document", S_FIXED_DOC, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "fixed.encoding", S_FIXED_ENC, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "xml.document", S_XML_DOC, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "edifact.qualifier", S_EDI_Q, V_EDIQ, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "contrl", S_CONTRL, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, contrls },
	{ "tolerate.edifact-charset", S_TOL_EDI_CHARSET, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, yes_no },
	{ "export-dir", S_EXPORT_DIR, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "export-dir.delimiter", S_EXPORT_DELIM, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "export-dir.header", S_EXPORT_HEADER, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, yes_no },
	{ "export-dir.encoding", S_EXPORT_ENC, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "x12.delimiters", S_X12_DELIMS, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "x12.line-breaks", S_X12_NL, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, yes_no },
	{ "outbound-usage", S_OUT_USAGE, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, usages },
	{ "edifact.syntax", S_EDI_SYNTAX, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.host", S_SFTP_HOST, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.port", S_SFTP_PORT, V_COUNT, W_PARTNER, 1, 65535, "1", "65535", NULL },
	{ "sftp.user", S_SFTP_USER, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.key", S_SFTP_KEY, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.password-file", S_SFTP_PASSWORD, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.key-passphrase-file", S_SFTP_KEY_PASS, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.known-hosts", S_SFTP_KNOWN_HOSTS, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.inbox", S_SFTP_INBOX, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.outbox", S_SFTP_OUTBOX, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.archive", S_SFTP_ARCHIVE, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.pattern", S_SFTP_PATTERN, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.ready-pattern", S_SFTP_READY, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "sftp.poll-interval", S_SFTP_POLL, V_DURATION, W_PARTNER, 1, DAY, "1s", "1d", NULL },
	{ "sftp.timeout", S_SFTP_TIMEOUT, V_DURATION, W_PARTNER, 1, 3600, "1s", "1h", NULL },
	{ "retry.min", S_RETRY_MIN, V_DURATION, WB, 1, DAY, "1s", "1d", NULL },
	{ "retry.max", S_RETRY_MAX, V_DURATION, WB, 1, 30 * DAY, "1s", "30d", NULL },
	{ "retry.max-age", S_RETRY_MAX_AGE, V_DURATION, WB, 1, 365 * DAY, "1s", "365d", NULL },
	{ "as2.id", S_AS2_ID, V_TEXT, WB, 0, 0, NULL, NULL, NULL },
	{ "as2.key", S_AS2_KEY, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "as2.cert", S_AS2_CERT, V_PATH, WB, 0, 0, NULL, NULL, NULL },
	{ "as2.listen", S_AS2_LISTEN, V_TEXT, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "as2.tls-cert", S_AS2_TLS_CERT, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "as2.tls-key", S_AS2_TLS_KEY, V_PATH, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "as2.mdn-url", S_AS2_MDN_URL, V_TEXT, W_MAIN, 0, 0, NULL, NULL, NULL },
	{ "as2.url", S_AS2_URL, V_TEXT, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "as2.sign", S_AS2_SIGN, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, as2_signs },
	{ "as2.encrypt", S_AS2_ENCRYPT, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, as2_ciphers },
	{ "as2.key-transport", S_AS2_KEYENC, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, as2_keyencs },
	{ "as2.compress", S_AS2_COMPRESS, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, as2_compresses },
	{ "as2.mdn", S_AS2_MDN, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, as2_mdns },
	{ "as2.mdn-signed", S_AS2_MDN_SIGNED, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, yes_no },
	{ "as2.require-signature", S_AS2_REQ_SIG, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, yes_no },
	{ "as2.require-encryption", S_AS2_REQ_ENC, V_ENUM, W_PARTNER, 0, 0, NULL, NULL, yes_no },
	{ "as2.timeout", S_AS2_TIMEOUT, V_DURATION, W_PARTNER, 1, 3600, "1s", "1h", NULL },
	{ "as2.tls-ca", S_AS2_TLS_CA, V_PATH, W_PARTNER, 0, 0, NULL, NULL, NULL },
	{ "as2.mdn-wait", S_AS2_MDN_WAIT, V_DURATION, W_PARTNER, 10, 30 * DAY, "10s", "30d", NULL },
};
#define NKEYDEFS (sizeof keydefs / sizeof keydefs[0])

/* The name of a key slot, for messages. */
static const char *slot_name(enum slot s)
{
	for (size_t k = 0; k < NKEYDEFS; k++)
		if (keydefs[k].slot == s)
			return keydefs[k].name;
	return "?";
}

/* A CSV delimiter: tab, or one printable ASCII character other than '"'. */
static int delimiter_ok(char c)
{
	return c == '\t' || ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f && c != '"');
}

/* Set built-in limit defaults. */
void cfg_limits_default(struct cfg_limits *l)
{
	l->max_file_size = 512 * MIB;
	l->max_segment_len = 64 * KIB;
	l->max_element_len = 4096;
	l->max_elements = 512;
	l->max_segments_per_txn = 200000;
	l->max_loop_depth = 32;
	l->max_txn_size = 64 * MIB;
}

/* The cfg_limits field a limit.* slot sets. */
static uint64_t *limit_field(struct cfg_limits *l, enum slot s)
{
	switch (s) {
	case S_LIM_FILE: return &l->max_file_size;
	case S_LIM_SEG: return &l->max_segment_len;
	case S_LIM_ELEM_LEN: return &l->max_element_len;
	case S_LIM_ELEMS: return &l->max_elements;
	case S_LIM_SEGS: return &l->max_segments_per_txn;
	case S_LIM_DEPTH: return &l->max_loop_depth;
	case S_LIM_TXN: return &l->max_txn_size;
	default: return NULL;
	}
}

/* Set built-in tolerance defaults (doc/x12-reader.md). */
void cfg_tolerances_default(struct cfg_tolerances *t)
{
	t->alphanumeric_isa11 = 1;
	t->trailing_empty_elements = 1;
	t->unpadded_isa = 0;
	t->isa_line_breaks = 1;
	t->wrong_counts = 0;
}

/* The cfg_tolerances field a tolerate.* slot sets, or NULL for other slots. */
static int *tol_field(struct cfg_tolerances *t, enum slot s)
{
	switch (s) {
	case S_TOL_ISA11: return &t->alphanumeric_isa11;
	case S_TOL_TRAILING: return &t->trailing_empty_elements;
	case S_TOL_UNPADDED: return &t->unpadded_isa;
	case S_TOL_LINE_BREAKS: return &t->isa_line_breaks;
	case S_TOL_COUNTS: return &t->wrong_counts;
	default: return NULL;
	}
}

/* ----------------------------------------------------------- file lexing */

struct entry {
	char *key;
	char *val;     /* NULL when the value was already reported as bad */
	size_t line;
	size_t first;  /* line of the first setting when repeated, else 0 */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

/* Free the entries of one file. */
static void entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].key);
		free(e->v[i].val);
	}
	free(e->v);
	memset(e, 0, sizeof *e);
}

/* Escaped, truncated copy of bytes for a message. */
static char *show(struct span s)
{
	return escape_bytes(s.p, s.n, SHOW_MAX);
}

/* Check a value is UTF-8 without control characters (C0, DEL, C1). Returns 0, or
 * 1 for a control character (its code point in *cp), 2 for bad UTF-8; *at = offset. */
static int value_problem(struct span v, size_t *at, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)v.p;
	size_t i = 0, n = v.n;
	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned lo = 0x80, hi = 0xBF;
		*at = i;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f) {
				*cp = c;
				return 1;
			}
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return 2;
		}
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return 2;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return 2;
		if (c == 0xC2 && s[i + 1] < 0xA0) { /* U+0080..U+009F */
			*cp = s[i + 1];
			return 1;
		}
		i += len;
	}
	return 0;
}

/* Order entry indexes by key, then line (qsort_r comparator; arg is the entries). */
static int entry_cmp(const void *a, const void *b, void *arg)
{
	const struct entries *e = arg;
	const struct entry *x = &e->v[*(const size_t *)a];
	const struct entry *y = &e->v[*(const size_t *)b];
	int r = strcmp(x->key, y->key);
	if (r)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Mark each repeated key with the line of its first setting (n log n). */
static void mark_repeats(struct entries *e)
{
	if (e->n < 2)
		return;
	size_t *ix = xcalloc(e->n, sizeof *ix);
	for (size_t i = 0; i < e->n; i++)
		ix[i] = i;
	qsort_r(ix, e->n, sizeof *ix, entry_cmp, e);
	size_t first = 0;
	for (size_t i = 1; i < e->n; i++) {
		if (strcmp(e->v[ix[i]].key, e->v[ix[first]].key) == 0)
			e->v[ix[i]].first = e->v[ix[first]].line;
		else
			first = i;
	}
	free(ix);
}

/* Parse one line (without its line end) into e, or report why not. */
static void lex_line(struct entries *e, const char *path, size_t lineno, struct span line,
		     struct diag_list *d)
{
	/* '#' at the start or after a blank starts a comment */
	for (size_t i = 0; i < line.n; i++) {
		if (line.p[i] == '#' && (i == 0 || line.p[i - 1] == ' ' || line.p[i - 1] == '\t')) {
			line.n = i;
			break;
		}
	}
	line = span_trim(line);
	if (line.n == 0)
		return;
	const char *eq = memchr(line.p, '=', line.n);
	if (!eq) {
		diag_error(d, path, lineno, "expected 'key = value'");
		return;
	}
	struct span key = span_trim((struct span){ line.p, (size_t)(eq - line.p) });
	struct span val = span_trim((struct span){ eq + 1, line.n - (size_t)(eq + 1 - line.p) });
	if (key.n == 0) {
		diag_error(d, path, lineno, "missing key before '='");
		return;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 32;
		e->v = xrealloc(e->v, e->cap * sizeof *e->v);
	}
	struct entry *en = &e->v[e->n++];
	en->key = span_dup(key);
	en->val = NULL;
	en->line = lineno;
	en->first = 0;
	char *k = show(key);
	size_t at = 0;
	unsigned cp = 0;
	int prob = value_problem(val, &at, &cp);
	/* column of the offending byte, 1-based within the line */
	size_t col = (size_t)(val.p - line.p) + at + 1;
	if (val.n == 0)
		diag_error(d, path, lineno, "empty value for '%s'", k);
	else if (prob == 1 && cp < 0x80)
		diag_error(d, path, lineno, "control character 0x%02x in value of '%s' (column %zu)",
			   cp, k, col);
	else if (prob == 1)
		diag_error(d, path, lineno,
			   "control character U+%04X in value of '%s' (column %zu)", cp, k, col);
	else if (prob == 2)
		diag_error(d, path, lineno, "invalid UTF-8 in value of '%s' (column %zu)", k, col);
	else
		en->val = span_dup(val);
	free(k);
}

/* Read path into entries. Returns 0, or a negative errno when the file could not be read
 * (already reported). Line-level problems are reported and do not fail. */
static int read_entries(struct entries *e, const char *path, struct diag_list *d)
{
	struct buf b;
	buf_init(&b, 0);
	int rc = file_read_all(path, CFG_MAX_FILE, &b);
	if (rc == -EFBIG) {
		diag_error(d, path, 0, "file is larger than 1 MiB (%d bytes)", CFG_MAX_FILE);
		goto out;
	} else if (rc == -ELOOP) {
		diag_error(d, path, 0, "cannot read file: it is a symbolic link");
		goto out;
	} else if (rc == -EINVAL) {
		diag_error(d, path, 0, "cannot read file: not a regular file");
		goto out;
	} else if (rc < 0) {
		diag_error(d, path, 0, "cannot read file: %s", strerror(-rc));
		goto out;
	}
	const char *p = b.data, *end = b.data + b.len;
	size_t lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct span line = { p, (size_t)((nl ? nl : end) - p) };
		p = nl ? nl + 1 : end;
		lineno++;
		if (line.n && line.p[line.n - 1] == '\r')
			line.n--; /* CRLF line end */
		if (line.n > CFG_MAX_LINE) {
			diag_error(d, path, lineno, "line is longer than %d bytes", CFG_MAX_LINE);
			continue;
		}
		lex_line(e, path, lineno, line, d);
	}
	mark_repeats(e);
out:
	buf_free(&b);
	return rc;
}

/* ------------------------------------------------------ diagnostics order */

struct diag_ix {
	struct diag d;
	size_t i;
};

/* Line order; whole-file diagnostics (line 0) last; stable. */
static int diag_ix_cmp(const void *a, const void *b)
{
	const struct diag_ix *x = a, *y = b;
	size_t lx = x->d.line ? x->d.line : SIZE_MAX, ly = y->d.line ? y->d.line : SIZE_MAX;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Put the diagnostics recorded since index `from` in line order. */
static void diag_sort_from(struct diag_list *d, size_t from)
{
	size_t n = d->n - from;
	if (n < 2)
		return;
	struct diag_ix *t = xcalloc(n, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		t[i].d = d->v[from + i];
		t[i].i = i;
	}
	qsort(t, n, sizeof *t, diag_ix_cmp);
	for (size_t i = 0; i < n; i++)
		d->v[from + i] = t[i].d;
	free(t);
}

/* --------------------------------------------------------- value parsing */

/* Edit distance between a and b (both at most 64 bytes; else a large number). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	size_t row[65];
	if (na > 64 || nb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

/* Report an unknown key, with a hint when one is likely. */
static void unknown_key(struct diag_list *d, const char *path, const struct entry *en,
			int where)
{
	char *k = show(span_cstr(en->key));
	const char *best = NULL;
	size_t bestd = SIZE_MAX, klen = strlen(en->key);
	size_t maxd = klen / 3 < 1 ? 1 : klen / 3 > 3 ? 3 : klen / 3;
	for (size_t i = 0; i < NKEYDEFS; i++) {
		if (!(keydefs[i].where & where))
			continue;
		size_t dist = edit_distance(en->key, keydefs[i].name);
		if (dist < bestd) {
			bestd = dist;
			best = keydefs[i].name;
		}
	}
	int other = -1;
	for (size_t i = 0; i < NKEYDEFS; i++)
		if (strcmp(en->key, keydefs[i].name) == 0)
			other = keydefs[i].where;
	if (where == W_PARTNER && strncmp(en->key, "erp.", 4) == 0)
		other = W_MAIN;
	if (where == W_MAIN && strncmp(en->key, "document.", 9) == 0)
		other = W_PARTNER;
	if (other == W_MAIN)
		diag_error(d, path, en->line, "unknown key '%s' (it belongs in edigw.conf)", k);
	else if (other == W_PARTNER)
		diag_error(d, path, en->line, "unknown key '%s' (it belongs in a partner file)", k);
	else if (best && bestd <= maxd)
		diag_error(d, path, en->line, "unknown key '%s' (did you mean '%s'?)", k, best);
	else
		diag_error(d, path, en->line, "unknown key '%s'", k);
	free(k);
}

/* Report a value that does not parse, with what is allowed. */
static void bad_value(struct diag_list *d, const char *path, const struct entry *en,
		      const char *allowed)
{
	char *v = show(span_cstr(en->val));
	diag_error(d, path, en->line, "bad value '%s' for '%s' (%s)", v, en->key, allowed);
	free(v);
}

/* Whether c may appear in an X12 id: printable ASCII but not a common delimiter. */
static int x12_char(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && !strchr("*~:^|>", c);
}

/* Check an X12 id or GS id of min..15 characters. */
static int x12_id_ok(const char *s, size_t min)
{
	size_t n = strlen(s);
	if (n < min || n > 15)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!x12_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Check an X12 qualifier: exactly 2 of [0-9A-Z]. */
static int x12_qual_ok(const char *s)
{
	if (strlen(s) != 2)
		return 0;
	for (size_t i = 0; i < 2; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* Parse a numeric value (size, duration or count) within the key's range. */
static int parse_number(struct diag_list *d, const char *path, const struct entry *en,
			const struct keydef *kd, uint64_t *out)
{
	uint64_t v = 0;
	int rc;
	const char *what;
	if (kd->type == V_SIZE) {
		rc = parse_size(en->val, &v);
		what = "expected a size: digits with an optional k, M or G suffix";
	} else if (kd->type == V_DURATION) {
		rc = parse_duration(en->val, &v);
		what = "expected a duration: digits with an optional s, m, h or d suffix";
	} else {
		rc = str_to_u64(en->val, &v);
		what = "expected a whole number";
	}
	if (rc == -EINVAL) {
		bad_value(d, path, en, what);
		return -EINVAL;
	}
	if (rc < 0 || v < kd->min || v > kd->max) {
		char *s = show(span_cstr(en->val));
		diag_error(d, path, en->line, "value '%s' for '%s' is out of range (allowed: %s to %s)",
			   s, en->key, kd->min_s, kd->max_s);
		free(s);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/* A parsed value of any type. */
struct value {
	uint64_t u; /* numbers, enum index */
	const char *s; /* strings: borrowed from the entry */
};

/* Parse and check en's value by its key's type. 0 or a negative errno (reported). */
static int parse_value(struct diag_list *d, const char *path, const struct entry *en,
		       const struct keydef *kd, struct value *out)
{
	out->s = en->val;
	out->u = 0;
	switch (kd->type) {
	case V_PATH:
	case V_TEXT:
		return 0;
	case V_SIZE:
	case V_DURATION:
	case V_COUNT:
		return parse_number(d, path, en, kd, &out->u);
	case V_ENUM: {
		struct buf b;
		buf_init(&b, 0);
		for (size_t i = 0; kd->choices[i]; i++) {
			if (strcmp(en->val, kd->choices[i]) == 0) {
				out->u = i;
				buf_free(&b);
				return 0;
			}
			buf_printf(&b, "%s%s", i ? ", " : "allowed: ", kd->choices[i]);
		}
		bad_value(d, path, en, b.data);
		buf_free(&b);
		return -EINVAL;
	}
	case V_X12Q:
		if (x12_qual_ok(en->val))
			return 0;
		bad_value(d, path, en, "exactly 2 characters of 0-9 and A-Z");
		return -EINVAL;
	case V_X12ID:
		if (x12_id_ok(en->val, 1))
			return 0;
		bad_value(d, path, en, "1 to 15 printable ASCII characters, none of * ~ : ^ | >");
		return -EINVAL;
	case V_X12GS:
		if (x12_id_ok(en->val, 2))
			return 0;
		bad_value(d, path, en, "2 to 15 printable ASCII characters, none of * ~ : ^ | >");
		return -EINVAL;
	case V_EDIID:
	case V_EDIQ: {
		size_t n = strlen(en->val), max = kd->type == V_EDIID ? 35 : 4;
		int ok = n >= 1 && n <= max;
		for (size_t i = 0; ok && i < n; i++)
			ok = (unsigned char)en->val[i] >= 0x20 && (unsigned char)en->val[i] < 0x7f &&
			     !strchr("+:'?*", en->val[i]);
		if (ok)
			return 0;
		bad_value(d, path, en, kd->type == V_EDIID
					       ? "1 to 35 printable ASCII characters, none of + : ' ? *"
					       : "1 to 4 printable ASCII characters, none of + : ' ? *");
		return -EINVAL;
	}
	case V_PID:
		if (name_is_safe(en->val))
			return 0;
		bad_value(d, path, en,
			  "letters, digits, '.', '_' and '-', not starting with '.', at most 128 "
			  "characters");
		return -EINVAL;
	}
	return -EINVAL;
}

/* The key definition for a key name valid in `where`, or NULL. */
static const struct keydef *keydef_find(const char *key, int where)
{
	for (size_t i = 0; i < NKEYDEFS; i++)
		if ((keydefs[i].where & where) && strcmp(keydefs[i].name, key) == 0)
			return &keydefs[i];
	return NULL;
}

/* Copy a string whose length was already validated into its fixed array. */
static void copy_checked(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		abort(); /* validated before: a bug if reached */
	memcpy(dst, src, n + 1);
}

/* Whether s is 1..max characters of [a-z-]. */
static int erp_kind_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CFG_MAX_KIND)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

/* Whether s is 3..6 characters of [0-9A-Z]. */
static int doc_type_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* Report a repeated key. */
static void repeated(struct diag_list *d, const char *path, const struct entry *en)
{
	char *k = show(span_cstr(en->key));
	diag_error(d, path, en->line, "repeated key '%s' (first set at line %zu)", k, en->first);
	free(k);
}

/* ------------------------------------------------------------- edigw.conf */

/* What the main file set, for defaults and cross checks. */
struct main_state {
	size_t line[S_COUNT]; /* where each key was set, 0 = not set */
	int ok[S_COUNT];      /* its value was valid */
};

/* Add an erp.<kind> entry. */
static void apply_erp(struct config *c, const char *path, const struct entry *en,
		      struct diag_list *d)
{
	const char *kind = en->key + 4;
	if (!erp_kind_ok(kind)) {
		char *k = show(span_cstr(kind)), *key = show(span_cstr(en->key));
		diag_error(d, path, en->line,
			   "bad ERP record kind '%s' in '%s' (1 to %d characters of a-z and '-')", k,
			   key, CFG_MAX_KIND);
		free(k);
		free(key);
		return;
	}
	if (!en->val)
		return;
	c->erp = xrealloc(c->erp, (c->nerp + 1) * sizeof *c->erp);
	struct cfg_erp *e = &c->erp[c->nerp++];
	memset(e, 0, sizeof *e);
	copy_checked(e->kind, sizeof e->kind, kind);
	e->profile = path_relative_to(path, en->val);
	e->line = en->line;
}

/* Apply one valid-key entry of edigw.conf. */
static void apply_main_value(struct config *c, const char *path, enum slot s,
			     const struct value *v)
{
	char **str = NULL;
	switch (s) {
	case S_SPOOL: str = &c->spool_root; break;
	case S_LEDGER: str = &c->ledger_path; break;
	case S_ERP_DIR: str = &c->erp_dir; break;
	case S_ERP_TEST_DIR: str = &c->erp_test_dir; break;
	case S_PARTNERS_DIR: str = &c->partners_dir; break;
	case S_CANONICAL: str = &c->canonical_rng; break;
	case S_SCHEMA_DIR: str = &c->schema_dir; break;
	case S_POLL: c->poll_interval_s = v->u; break;
	case S_LOG_LEVEL: c->log_level = xstrdup(v->s); break;
	case S_OUR_Q: copy_checked(c->us.qualifier, sizeof c->us.qualifier, v->s); break;
	case S_OUR_ID: copy_checked(c->us.id, sizeof c->us.id, v->s); break;
	case S_OUR_GS: copy_checked(c->us.gs_id, sizeof c->us.gs_id, v->s); break;
	case S_OUR_EDI_ID: copy_checked(c->us_edifact.id, sizeof c->us_edifact.id, v->s); break;
	case S_OUR_EDI_Q: copy_checked(c->us_edifact.qualifier, sizeof c->us_edifact.qualifier, v->s); break;
	case S_DUP_WINDOW: c->dup_window_s = v->u; break;
	case S_ACK_DUE: c->ack_due_s = v->u; break;
	case S_RETRY_MIN: c->retry.min_s = v->u; break;
	case S_RETRY_MAX: c->retry.max_s = v->u; break;
	case S_RETRY_MAX_AGE: c->retry.max_age_s = v->u; break;
	case S_AS2_ID: c->as2.id = xstrdup(v->s); break;
	case S_AS2_KEY: c->as2.key = path_relative_to(path, v->s); break;
	case S_AS2_CERT: c->as2.cert = path_relative_to(path, v->s); break;
	case S_AS2_LISTEN: c->as2.listen = xstrdup(v->s); break;
	case S_AS2_TLS_CERT: c->as2.tls_cert = path_relative_to(path, v->s); break;
	case S_AS2_TLS_KEY: c->as2.tls_key = path_relative_to(path, v->s); break;
	case S_AS2_MDN_URL: c->as2.mdn_url = xstrdup(v->s); break;
	default:
		if (tol_field(&c->tolerances, s))
			*tol_field(&c->tolerances, s) = v->u == 0; /* yes_no: 0 = yes */
		else
			*limit_field(&c->limits, s) = v->u;
		break;
	}
	if (str)
		*str = path_relative_to(path, v->s);
}

/* Turn the entries of edigw.conf into c; st records what was set. */
static void apply_main(struct config *c, const struct entries *e, struct main_state *st,
		       struct diag_list *d)
{
	const char *path = c->file;
	for (size_t i = 0; i < e->n; i++) {
		const struct entry *en = &e->v[i];
		if (en->first) {
			repeated(d, path, en);
			continue;
		}
		if (strncmp(en->key, "erp.", 4) == 0) {
			apply_erp(c, path, en, d);
			continue;
		}
		const struct keydef *kd = keydef_find(en->key, W_MAIN);
		if (!kd) {
			unknown_key(d, path, en, W_MAIN);
			continue;
		}
		st->line[kd->slot] = en->line;
		struct value v;
		if (!en->val || parse_value(d, path, en, kd, &v) < 0)
			continue;
		st->ok[kd->slot] = 1;
		apply_main_value(c, path, kd->slot, &v);
	}
}

/* An AS2 name (RFC 4130 6.2, the atomic form): 1..128 printable ASCII characters other
 * than space, '"' and '\\'. */
static int as2_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/* An http:// or https:// URL without blanks or control characters. */
static int as2_url_ok(const char *s)
{
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return 0;
	for (const char *q = s; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return 0;
	return strlen(s) <= 2048;
}

/* Fill in defaults and report missing required keys of edigw.conf. */
static void main_defaults(struct config *c, const struct main_state *st, int was_read,
			  struct diag_list *d)
{
	static const enum slot required[] = { S_ERP_DIR, S_OUR_Q, S_OUR_ID, S_OUR_GS };
	if (c->retry.min_s > c->retry.max_s)
		diag_error(d, c->file, st->line[S_RETRY_MIN] ? st->line[S_RETRY_MIN] : st->line[S_RETRY_MAX],
			   "retry.min (%llus) is longer than retry.max (%llus)", (unsigned long long)c->retry.min_s,
			   (unsigned long long)c->retry.max_s);
	c->as2.line = st->line[S_AS2_ID];
	if (c->as2.id && !as2_name_ok(c->as2.id))
		diag_error(d, c->file, c->as2.line,
			   "as2.id: 1 to 128 printable ASCII characters without blanks, '\"' or '\\'");
	if (c->as2.id && (!c->as2.key || !c->as2.cert))
		diag_error(d, c->file, c->as2.line, "as2.id needs as2.key and as2.cert: our key signs and decrypts");
	if (!st->line[S_AS2_ID])
		for (size_t k = 0; k < NKEYDEFS; k++)
			if (keydefs[k].slot > S_AS2_ID && keydefs[k].slot <= S_AS2_MDN_URL && st->line[keydefs[k].slot])
				diag_error(d, c->file, st->line[keydefs[k].slot], "%s without as2.id", keydefs[k].name);
	if (c->as2.listen) {
		const char *colon = strrchr(c->as2.listen, ':');
		uint64_t port = 0;
		if (!colon || colon == c->as2.listen || str_to_u64(colon + 1, &port) < 0 || port > 65535)
			diag_error(d, c->file, st->line[S_AS2_LISTEN], "as2.listen: HOST:PORT, e.g. 127.0.0.1:4080");
	}
	if (!c->as2.tls_cert != !c->as2.tls_key)
		diag_error(d, c->file, st->line[c->as2.tls_cert ? S_AS2_TLS_CERT : S_AS2_TLS_KEY],
			   "as2.tls-cert and as2.tls-key go together: the endpoint's TLS certificate and its key");
	if (c->as2.tls_cert && !c->as2.listen)
		diag_error(d, c->file, st->line[S_AS2_TLS_CERT],
			   "as2.tls-cert without as2.listen: it is the receiving endpoint's certificate");
	if (c->as2.mdn_url && !as2_url_ok(c->as2.mdn_url))
		diag_error(d, c->file, st->line[S_AS2_MDN_URL], "as2.mdn-url: an http:// or https:// URL without blanks");
	for (size_t i = 0; was_read && i < sizeof required / sizeof required[0]; i++) {
		if (st->line[required[i]])
			continue;
		diag_error(d, c->file, 0, "missing required key '%s'", slot_name(required[i]));
	}
	if (!c->spool_root)
		c->spool_root = path_relative_to(c->file, "spool");
	if (!c->ledger_path)
		c->ledger_path = path_join(c->spool_root, "ledger.db");
	if (!c->erp_test_dir && c->erp_dir)
		c->erp_test_dir = path_join(c->erp_dir, "test");
	if (!c->partners_dir)
		c->partners_dir = path_relative_to(c->file, "partners");
	if (!c->canonical_rng)
		c->canonical_rng = path_relative_to(c->file, "doc/canonical.rng");
	if (!c->schema_dir)
		c->schema_dir = path_relative_to(c->file, "maps/schemas");
	if (!c->log_level)
		c->log_level = xstrdup("info");
}

/* --------------------------------------------------------------- partners */

/* What one partner file set. */
struct partner_state {
	size_t line[S_COUNT];
	int ok[S_COUNT];
};

/* Add a document.<type> entry to p. */
static void apply_doc(struct cfg_partner *p, const struct entry *en, struct diag_list *d)
{
	const char *type = en->key + 9;
	if (!doc_type_ok(type)) {
		char *t = show(span_cstr(type)), *key = show(span_cstr(en->key));
		diag_error(d, p->file, en->line,
			   "bad document type '%s' in '%s' (3 to 12 characters of 0-9 and A-Z)", t,
			   key);
		free(t);
		free(key);
		return;
	}
	if (!en->val)
		return;
	p->docs = xrealloc(p->docs, (p->ndocs + 1) * sizeof *p->docs);
	struct cfg_doc *doc = &p->docs[p->ndocs++];
	memset(doc, 0, sizeof *doc);
	copy_checked(doc->type, sizeof doc->type, type);
	doc->map_path = path_relative_to(p->file, en->val);
	doc->line = en->line;
}

/* Is s a canonical record kind name: lower-case words joined by '-', 3..31 bytes. */
static int kind_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n >= sizeof ((struct cfg_flow *)0)->kind || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

/* Add an export.<kind> (ERP file -> canonical) or outbound.<kind> (canonical -> partner
 * document) entry to p. */
static void apply_flow(struct cfg_partner *p, const struct entry *en, struct diag_list *d)
{
	int out = en->key[0] == 'o';
	const char *kind = en->key + (out ? 9 : 7);
	if (!kind_ok(kind)) {
		char *k = show(span_cstr(en->key));
		diag_error(d, p->file, en->line,
			   "bad record kind in '%s' (a canonical kind: order-response, ship-notice, invoice...)", k);
		free(k);
		return;
	}
	if (!en->val)
		return;
	struct cfg_flow **v = out ? &p->outbound : &p->exports;
	size_t *n = out ? &p->noutbound : &p->nexports;
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	struct cfg_flow *f = &(*v)[(*n)++];
	memset(f, 0, sizeof *f);
	snprintf(f->kind, sizeof f->kind, "%s", kind);
	/* export.<kind> = canonical: the ERP writes canonical records itself */
	f->map_path = !out && strcmp(en->val, "canonical") == 0 ? xstrdup("canonical") : path_relative_to(p->file, en->val);
	f->line = en->line;
}

/* Apply one valid-key entry of a partner file. */
static void apply_partner_value(struct cfg_partner *p, enum slot s, const struct value *v)
{
	switch (s) {
	case S_ID: p->id = xstrdup(v->s); break;
	case S_NAME: p->name = xstrdup(v->s); break;
	case S_X12_Q: copy_checked(p->x12.qualifier, sizeof p->x12.qualifier, v->s); break;
	case S_X12_ID: copy_checked(p->x12.id, sizeof p->x12.id, v->s); break;
	case S_X12_GS: copy_checked(p->x12.gs_id, sizeof p->x12.gs_id, v->s); break;
	case S_DROP: p->drop_dir = path_relative_to(p->file, v->s); break;
	case S_ACK: p->ack = (enum cfg_ack)v->u; break;
	case S_TA1: p->ta1 = (enum cfg_ta1)v->u; break;
	case S_DUP_WINDOW: p->dup_window_s = v->u; break;
	case S_ACK_DUE: p->ack_due_s = v->u; break;
	case S_OVERLAY: p->schema_overlay = path_relative_to(p->file, v->s); break;
	case S_EDI_ID:
		copy_checked(p->edifact.id, sizeof p->edifact.id, v->s);
		p->has_edifact = 1;
		break;
	case S_EDI_Q: copy_checked(p->edifact.qualifier, sizeof p->edifact.qualifier, v->s); break;
	case S_EDI_OVERLAY: p->edifact_overlay = path_relative_to(p->file, v->s); break;
	case S_CSV_DOC: /* a name too long to keep fails doc_type_ok with the partner's checks */
		copy_checked(p->csv_document, sizeof p->csv_document, strlen(v->s) < sizeof p->csv_document ? v->s : "?");
		break;
	case S_CSV_DELIM: /* 1 marks a bad value, reported with the partner's checks */
		p->csv_delimiter = strcmp(v->s, "tab") == 0 ? '\t' : strlen(v->s) == 1 ? v->s[0] : 1;
		break;
	case S_CSV_HEADER: p->csv_no_header = v->u == 1; break;
	case S_CSV_ENC: p->csv_encoding = xstrdup(v->s); break;
	case S_FLAT_BAD_ROW: p->bad_row = (enum cfg_bad_row)v->u; break;
	case S_FIXED_DOC: /* as csv.document */
		copy_checked(p->fixed_document, sizeof p->fixed_document,
			     strlen(v->s) < sizeof p->fixed_document ? v->s : "?");
		break;
	case S_FIXED_ENC: p->fixed_encoding = xstrdup(v->s); break;
	case S_XML_DOC:
		copy_checked(p->xml_document, sizeof p->xml_document, strlen(v->s) < sizeof p->xml_document ? v->s : "?");
		break;
	case S_CONTRL: p->contrl = (enum cfg_contrl)v->u; break;
	case S_TOL_EDI_CHARSET: p->edifact_charset_relaxed = v->u == 0; break;
	case S_EXPORT_DIR: p->export_dir = path_relative_to(p->file, v->s); break;
	case S_EXPORT_DELIM: /* as csv.delimiter */
		p->export_delimiter = strcmp(v->s, "tab") == 0 ? '\t' : strlen(v->s) == 1 ? v->s[0] : 1;
		break;
	case S_EXPORT_HEADER: p->export_no_header = v->u == 1; break;
	case S_EXPORT_ENC: p->export_encoding = xstrdup(v->s); break;
	case S_X12_DELIMS: snprintf(p->x12_delims, sizeof p->x12_delims, "%s", strlen(v->s) == 4 ? v->s : "?"); break;
	case S_X12_NL: p->x12_line_breaks = v->u == 0; break;
	case S_OUT_USAGE: p->outbound_test = v->u == 1; break;
	case S_EDI_SYNTAX: snprintf(p->edifact_syntax, sizeof p->edifact_syntax, "%s", strlen(v->s) < 8 ? v->s : "?"); break;
	case S_SFTP_HOST: p->sftp.host = xstrdup(v->s); break;
	case S_SFTP_PORT: p->sftp.port = (unsigned)v->u; break;
	case S_SFTP_USER: p->sftp.user = xstrdup(v->s); break;
	case S_SFTP_KEY: p->sftp.key = path_relative_to(p->file, v->s); break;
	case S_SFTP_PASSWORD: p->sftp.password_file = path_relative_to(p->file, v->s); break;
	case S_SFTP_KEY_PASS: p->sftp.key_passphrase_file = path_relative_to(p->file, v->s); break;
	case S_SFTP_KNOWN_HOSTS: p->sftp.known_hosts = path_relative_to(p->file, v->s); break;
	case S_SFTP_INBOX: p->sftp.inbox = xstrdup(v->s); break;
	case S_SFTP_OUTBOX: p->sftp.outbox = xstrdup(v->s); break;
	case S_SFTP_ARCHIVE: p->sftp.archive = xstrdup(v->s); break;
	case S_SFTP_PATTERN: free(p->sftp.pattern); p->sftp.pattern = xstrdup(v->s); break;
	case S_SFTP_READY: p->sftp.ready_pattern = xstrdup(v->s); break;
	case S_SFTP_POLL: p->sftp.poll_interval_s = v->u; break;
	case S_SFTP_TIMEOUT: p->sftp.timeout_s = v->u; break;
	case S_RETRY_MIN: p->retry.min_s = v->u; break;
	case S_RETRY_MAX: p->retry.max_s = v->u; break;
	case S_RETRY_MAX_AGE: p->retry.max_age_s = v->u; break;
	case S_AS2_ID: p->as2.id = xstrdup(v->s); break;
	case S_AS2_CERT: p->as2.cert = path_relative_to(p->file, v->s); break;
	case S_AS2_URL: p->as2.url = xstrdup(v->s); break;
	case S_AS2_SIGN: p->as2.sign = (int)v->u; break;
	case S_AS2_ENCRYPT: p->as2.encrypt = (int)v->u; break;
	case S_AS2_KEYENC: p->as2.oaep = v->u == 1; break;
	case S_AS2_COMPRESS: p->as2.compress = (enum cfg_as2_compress)v->u; break;
	case S_AS2_MDN: p->as2.mdn = (enum cfg_as2_mdn)v->u; break;
	case S_AS2_MDN_SIGNED: p->as2.mdn_signed = v->u == 0; break;
	case S_AS2_REQ_SIG: p->as2.require_signature = v->u == 0; break;
	case S_AS2_REQ_ENC: p->as2.require_encryption = v->u == 0; break;
	case S_AS2_TIMEOUT: p->as2.timeout_s = v->u; break;
	case S_AS2_TLS_CA: p->as2.tls_ca = path_relative_to(p->file, v->s); break;
	case S_AS2_MDN_WAIT: p->as2.mdn_wait_s = v->u; break;
	default:
		if (tol_field(&p->tolerances, s))
			*tol_field(&p->tolerances, s) = v->u == 0; /* yes_no: 0 = yes */
		else
			*limit_field(&p->limits, s) = v->u;
		break;
	}
}

/* Turn the entries of a partner file into p. */
static void apply_partner(struct cfg_partner *p, const struct entries *e,
			  struct partner_state *st, struct diag_list *d)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct entry *en = &e->v[i];
		if (en->first) {
			repeated(d, p->file, en);
			continue;
		}
		if (strncmp(en->key, "document.", 9) == 0) {
			apply_doc(p, en, d);
			continue;
		}
		if (strncmp(en->key, "export.", 7) == 0 || strncmp(en->key, "outbound.", 9) == 0) {
			apply_flow(p, en, d);
			continue;
		}
		const struct keydef *kd = keydef_find(en->key, W_PARTNER);
		if (!kd) {
			unknown_key(d, p->file, en, W_PARTNER);
			continue;
		}
		st->line[kd->slot] = en->line;
		struct value v;
		if (!en->val || parse_value(d, p->file, en, kd, &v) < 0)
			continue;
		st->ok[kd->slot] = 1;
		if (kd->slot == S_DROP)
			p->drop_line = en->line;
		apply_partner_value(p, kd->slot, &v);
	}
}

/* Check the x12.* keys are all set or none; set has_x12. */
static void partner_x12(struct cfg_partner *p, const struct partner_state *st,
			struct diag_list *d)
{
	static const enum slot xs[] = { S_X12_Q, S_X12_ID, S_X12_GS };
	static const char *const names[] = { "x12.qualifier", "x12.id", "x12.gs-id" };
	size_t nset = 0, first = 0, nok = 0;
	for (size_t i = 0; i < 3; i++) {
		if (st->line[xs[i]]) {
			nset++;
			if (!first || st->line[xs[i]] < first)
				first = st->line[xs[i]];
		}
		nok += st->ok[xs[i]] != 0;
	}
	if (nset == 0)
		return;
	if (nset < 3) {
		struct buf b;
		buf_init(&b, 0);
		for (size_t i = 0; i < 3; i++)
			if (!st->line[xs[i]])
				buf_printf(&b, "%s%s", b.len ? ", " : "", names[i]);
		diag_error(d, p->file, first,
			   "x12.qualifier, x12.id and x12.gs-id must be set together (missing: %s)",
			   b.data);
		buf_free(&b);
		return;
	}
	p->has_x12 = nok == 3;
}

/* edifact.qualifier needs edifact.id. */
static void partner_edifact(struct cfg_partner *p, const struct partner_state *st, struct diag_list *d)
{
	p->edifact_line = st->line[S_EDI_ID];
	p->csv_document_line = st->line[S_CSV_DOC];
	if (st->line[S_CSV_DOC] && (!doc_type_ok(p->csv_document) || !config_partner_doc(p, p->csv_document)))
		diag_error(d, p->file, st->line[S_CSV_DOC], "csv.document %s needs a document.%s line naming its map "
			   "(3 to 12 characters of 0-9 and A-Z)", p->csv_document, p->csv_document);
	if (st->line[S_CSV_DELIM] && !delimiter_ok(p->csv_delimiter))
		diag_error(d, p->file, st->line[S_CSV_DELIM], "csv.delimiter: one printable character other than '\"', or 'tab'");
	if (st->line[S_EXPORT_DELIM] && !delimiter_ok(p->export_delimiter))
		diag_error(d, p->file, st->line[S_EXPORT_DELIM],
			   "export-dir.delimiter: one printable character other than '\"', or 'tab'");
	static const enum slot encs[] = { S_CSV_ENC, S_FIXED_ENC, S_EXPORT_ENC };
	const char *encv[] = { p->csv_encoding, p->fixed_encoding, p->export_encoding };
	for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++) {
		if (!encv[i])
			continue;
		iconv_t cd = iconv_open("UTF-8", encv[i]);
		if (cd == (iconv_t)-1)
			diag_error(d, p->file, st->line[encs[i]], "%s: iconv does not know the encoding '%s' (see iconv -l)",
				   slot_name(encs[i]), encv[i]);
		else
			iconv_close(cd);
	}
	p->fixed_document_line = st->line[S_FIXED_DOC];
	p->xml_document_line = st->line[S_XML_DOC];
	if (st->line[S_FIXED_DOC] && (!doc_type_ok(p->fixed_document) || !config_partner_doc(p, p->fixed_document)))
		diag_error(d, p->file, st->line[S_FIXED_DOC], "fixed.document %s needs a document.%s line naming its "
			   "map (3 to 12 characters of 0-9 and A-Z)", p->fixed_document, p->fixed_document);
	if (st->line[S_XML_DOC] && (!doc_type_ok(p->xml_document) || !config_partner_doc(p, p->xml_document)))
		diag_error(d, p->file, st->line[S_XML_DOC], "xml.document %s needs a document.%s line naming its "
			   "map (3 to 12 characters of 0-9 and A-Z)", p->xml_document, p->xml_document);
	if (st->line[S_FIXED_DOC] && st->line[S_CSV_DOC])
		diag_error(d, p->file, st->line[S_FIXED_DOC] > st->line[S_CSV_DOC] ? st->line[S_FIXED_DOC]
										 : st->line[S_CSV_DOC],
			   "csv.document and fixed.document exclude each other: a file that is neither X12, "
			   "EDIFACT nor XML cannot be told to be one or the other");
	if (st->line[S_EDI_Q] && !st->line[S_EDI_ID])
		diag_error(d, p->file, st->line[S_EDI_Q], "edifact.qualifier without edifact.id");
}

/* Check the outbound settings: separators, syntax, every export.<kind> with its
 * outbound.<kind>, and export-dir when there are exports. */
static void partner_flows(struct cfg_partner *p, const struct partner_state *st, struct diag_list *d)
{
	if (!st->line[S_X12_DELIMS]) {
		memcpy(p->x12_delims, "*>^~", 5);
	} else {
		const char *x = p->x12_delims;
		int ok = strlen(x) == 4;
		for (size_t i = 0; ok && i < 4; i++) {
			unsigned char c = (unsigned char)x[i];
			ok = c > 0x20 && c < 0x7f && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
						      (c >= '0' && c <= '9'));
			for (size_t k = 0; ok && k < i; k++)
				ok = x[k] != x[i];
		}
		if (!ok)
			diag_error(d, p->file, st->line[S_X12_DELIMS],
				   "x12.delimiters: four different punctuation characters: element, component, "
				   "repetition and segment separator (default *>^~)");
	}
	if (!st->line[S_EDI_SYNTAX]) {
		memcpy(p->edifact_syntax, "UNOC:3", 7);
	} else {
		const char *x = p->edifact_syntax;
		if (strlen(x) != 6 || strncmp(x, "UNO", 3) != 0 || x[3] < 'A' || x[3] > 'Z' || x[4] != ':' ||
		    x[5] < '1' || x[5] > '4')
			diag_error(d, p->file, st->line[S_EDI_SYNTAX],
				   "edifact.syntax: a syntax identifier and version, UNOA:1 to UNOY:4 (default UNOC:3)");
	}
	for (size_t i = 0; i < p->nexports; i++) {
		int found = 0;
		for (size_t k = 0; k < p->noutbound; k++)
			found |= strcmp(p->outbound[k].kind, p->exports[i].kind) == 0;
		if (!found)
			diag_error(d, p->file, p->exports[i].line,
				   "export.%s needs an outbound.%s line naming the map to the partner's document",
				   p->exports[i].kind, p->exports[i].kind);
	}
	for (size_t i = 0; i < p->nexports + p->noutbound; i++) {
		const struct cfg_flow *a = i < p->nexports ? &p->exports[i] : &p->outbound[i - p->nexports];
		for (size_t k = 0; k < i; k++) {
			const struct cfg_flow *b = k < p->nexports ? &p->exports[k] : &p->outbound[k - p->nexports];
			if ((i < p->nexports) == (k < p->nexports) && strcmp(a->kind, b->kind) == 0)
				diag_error(d, p->file, a->line, "%s.%s is given twice (first at line %zu)",
					   i < p->nexports ? "export" : "outbound", a->kind, b->line);
		}
	}
	if (p->nexports && !p->export_dir)
		diag_error(d, p->file, p->exports[0].line,
			   "export.%s without export-dir: which directory does the ERP write this partner's files to?",
			   p->exports[0].kind);
	if (p->export_dir && !p->nexports)
		diag_error(d, p->file, st->line[S_EXPORT_DIR],
			   "export-dir without export.<kind> lines: which files are which documents?");
	static const enum slot fmt[] = { S_EXPORT_DELIM, S_EXPORT_HEADER, S_EXPORT_ENC };
	for (size_t i = 0; !p->export_dir && i < sizeof fmt / sizeof fmt[0]; i++)
		if (st->line[fmt[i]])
			diag_error(d, p->file, st->line[fmt[i]], "%s without export-dir: it describes the ERP's files there",
				   slot_name(fmt[i]));
}

/* Whether s is a host name or address we can pass to getaddrinfo: 1..253 bytes of
 * [A-Za-z0-9.:_-], not starting with '-'. */
static int sftp_host_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr(".:_-", s[i])))
			return 0;
	return 1;
}

/* Check the sftp.* keys of a partner go together, and retry.min <= retry.max. */
static void partner_sftp(struct cfg_partner *p, const struct partner_state *st, struct diag_list *d)
{
	static const enum slot all[] = { S_SFTP_PORT, S_SFTP_USER, S_SFTP_KEY, S_SFTP_PASSWORD, S_SFTP_KEY_PASS,
					 S_SFTP_KNOWN_HOSTS,
					 S_SFTP_INBOX, S_SFTP_OUTBOX, S_SFTP_ARCHIVE, S_SFTP_PATTERN, S_SFTP_READY,
					 S_SFTP_POLL, S_SFTP_TIMEOUT };
	static const enum slot inbox_only[] = { S_SFTP_ARCHIVE, S_SFTP_PATTERN, S_SFTP_READY, S_SFTP_POLL };
	struct cfg_sftp *f = &p->sftp;
	if ((st->line[S_RETRY_MIN] || st->line[S_RETRY_MAX]) && p->retry.min_s > p->retry.max_s)
		diag_error(d, p->file, st->line[S_RETRY_MIN] ? st->line[S_RETRY_MIN] : st->line[S_RETRY_MAX],
			   "retry.min (%llus) is longer than retry.max (%llus)", (unsigned long long)p->retry.min_s,
			   (unsigned long long)p->retry.max_s);
	f->line = st->line[S_SFTP_HOST];
	if (!st->line[S_SFTP_HOST]) {
		for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
			if (!st->line[all[i]])
				continue;
			diag_error(d, p->file, st->line[all[i]], "%s without sftp.host", slot_name(all[i]));
		}
		return;
	}
	if (f->host && !sftp_host_ok(f->host))
		diag_error(d, p->file, f->line, "sftp.host: a host name or address (letters, digits, '.', ':', "
			   "'_' and '-', at most 253)");
	if (f->user && (strpbrk(f->user, " \t") || strlen(f->user) > 128))
		diag_error(d, p->file, st->line[S_SFTP_USER], "sftp.user: a user name without blanks, at most 128 bytes");
	if (!st->line[S_SFTP_USER])
		diag_error(d, p->file, f->line, "sftp.host needs sftp.user: which account do we log in as?");
	if (!st->line[S_SFTP_KNOWN_HOSTS])
		diag_error(d, p->file, f->line, "sftp.host needs sftp.known-hosts: the server's host key must be "
			   "pinned (an unknown key is never accepted)");
	if (!st->line[S_SFTP_KEY] == !st->line[S_SFTP_PASSWORD])
		diag_error(d, p->file, st->line[S_SFTP_KEY] ? st->line[S_SFTP_PASSWORD] : f->line,
			   "sftp.host needs either sftp.key or sftp.password-file (one of them)");
	if (st->line[S_SFTP_KEY_PASS] && !st->line[S_SFTP_KEY])
		diag_error(d, p->file, st->line[S_SFTP_KEY_PASS],
			   "sftp.key-passphrase-file without sftp.key: it unlocks the private key");
	if (!st->line[S_SFTP_INBOX] && !st->line[S_SFTP_OUTBOX])
		diag_error(d, p->file, f->line, "sftp.host needs sftp.inbox (files to take) or sftp.outbox "
			   "(where our documents go), or both");
	for (size_t i = 0; !st->line[S_SFTP_INBOX] && i < sizeof inbox_only / sizeof inbox_only[0]; i++) {
		if (!st->line[inbox_only[i]])
			continue;
		diag_error(d, p->file, st->line[inbox_only[i]], "%s without sftp.inbox", slot_name(inbox_only[i]));
	}
	if (f->inbox && f->outbox && strcmp(f->inbox, f->outbox) == 0)
		diag_error(d, p->file, st->line[S_SFTP_OUTBOX],
			   "sftp.inbox and sftp.outbox are the same directory: we would take our own documents back");
	if (st->line[S_SFTP_OUTBOX] && st->line[S_AS2_URL])
		diag_error(d, p->file, st->line[S_SFTP_OUTBOX] > st->line[S_AS2_URL] ? st->line[S_SFTP_OUTBOX]
											: st->line[S_AS2_URL],
			   "sftp.outbox and as2.url exclude each other: which transport delivers the partner's "
			   "documents?");
	if (!f->port)
		f->port = 22;
	if (!f->pattern)
		f->pattern = xstrdup("*");
	if (!f->timeout_s)
		f->timeout_s = 30;
}

/* Check the as2.* keys of a partner go together (doc/as2.md). */
static void partner_as2(struct cfg_partner *p, const struct partner_state *st, struct diag_list *d)
{
	struct cfg_as2 *a = &p->as2;
	a->line = st->line[S_AS2_ID];
	if (!a->line) {
		for (size_t k = 0; k < NKEYDEFS; k++)
			if (keydefs[k].slot >= S_AS2_ID && keydefs[k].slot <= S_AS2_MDN_WAIT && (keydefs[k].where & W_PARTNER) &&
			    st->line[keydefs[k].slot])
				diag_error(d, p->file, st->line[keydefs[k].slot], "%s without as2.id", keydefs[k].name);
		return;
	}
	if (a->id && !as2_name_ok(a->id))
		diag_error(d, p->file, a->line, "as2.id: 1 to 128 printable ASCII characters without blanks, '\"' or '\\'");
	if (!st->line[S_AS2_CERT])
		diag_error(d, p->file, a->line, "as2.id needs as2.cert: the partner's certificate checks its signatures "
			   "and encrypts what we send");
	if (a->url && !as2_url_ok(a->url))
		diag_error(d, p->file, st->line[S_AS2_URL], "as2.url: an http:// or https:// URL without blanks");
	if (a->tls_ca && a->url && strncmp(a->url, "http://", 7) == 0)
		diag_error(d, p->file, st->line[S_AS2_TLS_CA],
			   "as2.tls-ca with an http:// as2.url: there is no server certificate to check");
}

/* Load one partner file into p (already zeroed); base is the file name without ".conf". */
static void load_partner(struct config *c, struct cfg_partner *p, const char *file,
			 const char *base, size_t *x12_line, struct diag_list *d)
{
	struct entries e = { 0 };
	struct partner_state st;
	memset(&st, 0, sizeof st);
	p->file = xstrdup(file);
	p->ack = CFG_ACK_997;
	p->ta1 = CFG_TA1_ON_ERROR;
	p->dup_window_s = c->dup_window_s;
	p->ack_due_s = c->ack_due_s;
	p->limits = c->limits;
	p->tolerances = c->tolerances;
	p->retry = c->retry;
	p->sftp.poll_interval_s = c->poll_interval_s;
	p->as2.sign = 2;    /* sha256 */
	p->as2.encrypt = 3; /* aes256-cbc */
	p->as2.mdn_signed = 1;
	p->as2.require_signature = 1;
	p->as2.require_encryption = 1;
	p->as2.timeout_s = 60;
	p->as2.mdn_wait_s = 3600;
	if (read_entries(&e, file, d) < 0)
		goto out;
	apply_partner(p, &e, &st, d);
	p->schema_overlay_line = st.line[S_OVERLAY];
	p->edifact_overlay_line = st.line[S_EDI_OVERLAY];
	if (!st.line[S_ID])
		diag_error(d, file, 0, "missing required key 'id'");
	if (!name_is_safe(base))
		diag_error(d, file, 0,
			   "file name '%s.conf' is not a valid partner id (letters, digits, '.', "
			   "'_' and '-', not starting with '.')",
			   base);
	else if (p->id && strcmp(p->id, base) != 0)
		diag_error(d, file, st.line[S_ID], "id '%s' does not match the file name '%s.conf'",
			   p->id, base);
	partner_x12(p, &st, d);
	partner_edifact(p, &st, d);
	partner_flows(p, &st, d);
	partner_sftp(p, &st, d);
	partner_as2(p, &st, d);
	*x12_line = st.line[S_X12_ID];
out:
	if (!p->name)
		p->name = xstrdup(p->id ? p->id : base);
	entries_free(&e);
}

/* qsort comparator for file names. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether name is a partner file name: "<something>.conf", not hidden. */
static int is_partner_file_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".conf") == 0;
}

/* Load every partner file of c->partners_dir, then check identities across files. */
static void load_partners(struct config *c, size_t dir_line, int us_ok, struct diag_list *d)
{
	char **names = NULL;
	size_t n = 0;
	size_t *x12_lines = NULL;
	DIR *dir = opendir(c->partners_dir);
	if (!dir) {
		diag_error(d, c->file, dir_line, "cannot read partners directory '%s': %s",
			   c->partners_dir, strerror(errno));
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (!is_partner_file_name(de->d_name))
			continue;
		char *fp = path_join(c->partners_dir, de->d_name);
		struct stat sb;
		if (lstat(fp, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			diag_warn(d, fp, 0, "not a regular file; ignored");
			free(fp);
			continue;
		}
		free(fp);
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof *names, name_cmp);
	c->partners = xcalloc(n ? n : 1, sizeof *c->partners);
	x12_lines = xcalloc(n ? n : 1, sizeof *x12_lines);
	for (size_t i = 0; i < n; i++) {
		char *fp = path_join(c->partners_dir, names[i]);
		char *base = span_dup((struct span){ names[i], strlen(names[i]) - 5 });
		size_t from = d->n;
		struct cfg_partner *p = &c->partners[c->npartners++];
		load_partner(c, p, fp, base, &x12_lines[i], d);
		if (p->has_x12 && us_ok && strcmp(p->x12.qualifier, c->us.qualifier) == 0 &&
		    strcmp(p->x12.id, c->us.id) == 0)
			diag_error(d, p->file, x12_lines[i],
				   "x12 identity %s:%s is our own (our.x12.qualifier and our.x12.id "
				   "in %s)",
				   p->x12.qualifier, p->x12.id, c->file);
		for (size_t j = 0; p->has_x12 && j < i; j++) {
			const struct cfg_partner *q = &c->partners[j];
			if (q->has_x12 && strcmp(p->x12.qualifier, q->x12.qualifier) == 0 &&
			    strcmp(p->x12.id, q->x12.id) == 0) {
				diag_error(d, p->file, x12_lines[i],
					   "x12 identity %s:%s is also used by %s (line %zu)",
					   p->x12.qualifier, p->x12.id, q->file, x12_lines[j]);
				break;
			}
		}
		/* EDIFACT: unique per id (a partner without a qualifier takes every qualifier) */
		if (p->has_edifact && c->us_edifact.id[0] && strcmp(p->edifact.id, c->us_edifact.id) == 0 &&
		    (!p->edifact.qualifier[0] || !c->us_edifact.qualifier[0] ||
		     strcmp(p->edifact.qualifier, c->us_edifact.qualifier) == 0))
			diag_error(d, p->file, p->edifact_line, "edifact identity %s is our own (our.edifact.id in %s)",
				   p->edifact.id, c->file);
		for (size_t j = 0; p->has_edifact && j < i; j++) {
			const struct cfg_partner *q = &c->partners[j];
			if (q->has_edifact && strcmp(p->edifact.id, q->edifact.id) == 0 &&
			    (!p->edifact.qualifier[0] || !q->edifact.qualifier[0] ||
			     strcmp(p->edifact.qualifier, q->edifact.qualifier) == 0)) {
				diag_error(d, p->file, p->edifact_line, "edifact identity %s%s%s is also used by %s", p->edifact.id,
					   p->edifact.qualifier[0] ? ":" : "", p->edifact.qualifier, q->file);
				break;
			}
		}
		/* AS2: our side configured, names unique and not ours */
		if (p->as2.id && !c->as2.id)
			diag_error(d, p->file, p->as2.line, "as2.id needs as2.id, as2.key and as2.cert in %s (our AS2 side)",
				   c->file);
		if (p->as2.id && c->as2.id && strcmp(p->as2.id, c->as2.id) == 0)
			diag_error(d, p->file, p->as2.line, "as2.id %s is our own (as2.id in %s)", p->as2.id, c->file);
		if (p->as2.id && p->as2.mdn == CFG_AS2_MDN_ASYNC && p->as2.url && !c->as2.mdn_url)
			diag_error(d, p->file, p->as2.line, "as2.mdn = async needs as2.mdn-url in %s: where does the "
				   "partner send the MDN?", c->file);
		for (size_t j = 0; p->as2.id && j < i; j++) {
			const struct cfg_partner *q = &c->partners[j];
			if (q->as2.id && strcmp(p->as2.id, q->as2.id) == 0) {
				diag_error(d, p->file, p->as2.line, "as2.id %s is also used by %s (line %zu)", p->as2.id,
					   q->file, q->as2.line);
				break;
			}
		}
		diag_sort_from(d, from);
		free(base);
		free(fp);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(x12_lines);
}

/* ------------------------------------------------------------ public API */

/* Load edigw.conf at path and its partner files; every error goes to d. */
int config_load(struct config **out, const char *path, struct diag_list *d)
{
	struct diag_list local;
	struct entries e = { 0 };
	struct main_state st;
	int rc = 0;
	diag_list_init(&local);
	if (!d)
		d = &local;
	*out = NULL;
	memset(&st, 0, sizeof st);
	size_t errors_before = d->nerrors, from = d->n;

	struct config *c = xcalloc(1, sizeof *c);
	c->file = xstrdup(path);
	c->poll_interval_s = 30;
	c->dup_window_s = 30 * DAY;
	c->ack_due_s = DAY;
	c->retry.min_s = 60;
	c->retry.max_s = 3600;
	c->retry.max_age_s = DAY;
	cfg_limits_default(&c->limits);
	cfg_tolerances_default(&c->tolerances);

	int read_rc = read_entries(&e, path, d);
	if (read_rc == 0)
		apply_main(c, &e, &st, d);
	main_defaults(c, &st, read_rc == 0, d);
	diag_sort_from(d, from);
	/* a bad partners-dir value was reported; reading the default instead would mislead */
	if (read_rc == 0 && (!st.line[S_PARTNERS_DIR] || st.ok[S_PARTNERS_DIR])) {
		int us_ok = st.ok[S_OUR_Q] && st.ok[S_OUR_ID];
		load_partners(c, st.line[S_PARTNERS_DIR], us_ok, d);
	}
	if (d->nerrors > errors_before) {
		config_free(c);
		rc = -EINVAL;
		goto out;
	}
	*out = c;
out:
	entries_free(&e);
	diag_list_free(&local);
	return rc;
}

/* Free one partner's fields. */
static void partner_free(struct cfg_partner *p)
{
	free(p->id);
	free(p->name);
	free(p->file);
	free(p->drop_dir);
	free(p->schema_overlay);
	free(p->edifact_overlay);
	free(p->csv_encoding);
	free(p->fixed_encoding);
	free(p->export_dir);
	free(p->export_encoding);
	free(p->sftp.host);
	free(p->sftp.user);
	free(p->sftp.key);
	free(p->sftp.password_file);
	free(p->sftp.key_passphrase_file);
	free(p->sftp.known_hosts);
	free(p->sftp.inbox);
	free(p->sftp.outbox);
	free(p->sftp.archive);
	free(p->sftp.pattern);
	free(p->sftp.ready_pattern);
	free(p->as2.id);
	free(p->as2.url);
	free(p->as2.cert);
	free(p->as2.tls_ca);
	for (size_t i = 0; i < p->nexports; i++)
		free(p->exports[i].map_path);
	free(p->exports);
	for (size_t i = 0; i < p->noutbound; i++)
		free(p->outbound[i].map_path);
	free(p->outbound);
	for (size_t i = 0; i < p->ndocs; i++)
		free(p->docs[i].map_path);
	free(p->docs);
}

/* Free a config and everything it owns; NULL is a no-op. */
void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->spool_root);
	free(c->ledger_path);
	free(c->erp_dir);
	free(c->erp_test_dir);
	free(c->partners_dir);
	free(c->canonical_rng);
	free(c->schema_dir);
	free(c->log_level);
	free(c->as2.id);
	free(c->as2.key);
	free(c->as2.cert);
	free(c->as2.listen);
	free(c->as2.tls_cert);
	free(c->as2.tls_key);
	free(c->as2.mdn_url);
	for (size_t i = 0; i < c->nerp; i++)
		free(c->erp[i].profile);
	free(c->erp);
	for (size_t i = 0; i < c->npartners; i++)
		partner_free(&c->partners[i]);
	free(c->partners);
	free(c);
}

/* The log level log-level names. */
enum log_level config_log_level(const struct config *c)
{
	static const struct {
		const char *name;
		enum log_level level;
	} map[] = { { "error", LOG_ERROR }, { "warning", LOG_WARN }, { "info", LOG_INFO },
		    { "debug", LOG_DEBUG } };
	for (size_t i = 0; c && c->log_level && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(c->log_level, map[i].name) == 0)
			return map[i].level;
	return LOG_INFO;
}

/* The partner with this id. */
const struct cfg_partner *config_partner(const struct config *c, const char *id)
{
	if (!c || !id)
		return NULL;
	for (size_t i = 0; i < c->npartners; i++)
		if (c->partners[i].id && strcmp(c->partners[i].id, id) == 0)
			return &c->partners[i];
	return NULL;
}

/* The partner with this AS2 name. */
const struct cfg_partner *config_partner_by_as2(const struct config *c, const char *as2_id)
{
	if (!c || !as2_id)
		return NULL;
	for (size_t i = 0; i < c->npartners; i++)
		if (c->partners[i].as2.id && strcmp(c->partners[i].as2.id, as2_id) == 0)
			return &c->partners[i];
	return NULL;
}

/* The partner whose X12 qualifier and id are exactly these. */
const struct cfg_partner *config_partner_by_x12(const struct config *c, const char *qualifier,
						const char *id)
{
	if (!c || !qualifier || !id)
		return NULL;
	for (size_t i = 0; i < c->npartners; i++) {
		const struct cfg_partner *p = &c->partners[i];
		if (p->has_x12 && strcmp(p->x12.qualifier, qualifier) == 0 &&
		    strcmp(p->x12.id, id) == 0)
			return p;
	}
	return NULL;
}

/* The partner with this EDIFACT identity (a partner without edifact.qualifier matches any). */
const struct cfg_partner *config_partner_by_edifact(const struct config *c, const char *qualifier,
						    const char *id)
{
	if (!c || !id)
		return NULL;
	for (size_t i = 0; i < c->npartners; i++) {
		const struct cfg_partner *p = &c->partners[i];
		if (p->has_edifact && strcmp(p->edifact.id, id) == 0 &&
		    (!p->edifact.qualifier[0] || (qualifier && strcmp(p->edifact.qualifier, qualifier) == 0)))
			return p;
	}
	return NULL;
}

/* The partner's document entry for a type ("850"). */
const struct cfg_doc *config_partner_doc(const struct cfg_partner *p, const char *type)
{
	if (!p || !type)
		return NULL;
	for (size_t i = 0; i < p->ndocs; i++)
		if (strcmp(p->docs[i].type, type) == 0)
			return &p->docs[i];
	return NULL;
}

/* A partner's export.<kind> or outbound.<kind> entry. */
const struct cfg_flow *config_partner_flow(const struct cfg_partner *p, int outbound, const char *kind)
{
	if (!p || !kind)
		return NULL;
	const struct cfg_flow *v = outbound ? p->outbound : p->exports;
	size_t n = outbound ? p->noutbound : p->nexports;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].kind, kind) == 0)
			return &v[i];
	return NULL;
}

/* The ERP profile path for a canonical record kind ("order"). */
const char *config_erp_profile(const struct config *c, const char *kind)
{
	if (!c || !kind)
		return NULL;
	for (size_t i = 0; i < c->nerp; i++)
		if (strcmp(c->erp[i].kind, kind) == 0)
			return c->erp[i].profile;
	return NULL;
}
