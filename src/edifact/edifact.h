/*
 * edifact — UN/EDIFACT reading (ISO 9735 syntax versions 1-4): optional UNA
 * (else the syntax level's defaults), the release character, the syntax 4
 * repetition separator, line breaks between segments ignored; character
 * sets UNOA, UNOB, UNOC, UNOD, UNOE, UNOF, UNOY (at least) checked against
 * the declared level and converted to UTF-8 with iconv; envelopes UNB/UNZ,
 * UNG/UNE, UNH/UNT with counts and references; several interchanges per
 * file; complete messages handed to a handler.
 *
 * The error model is the X12 one (struct x12_error, x12_errlist, notices,
 * x12_error_describe) so the gateway, ledger and operators see one kind of
 * finding: scope INTERCHANGE = CONTRL UCI, GROUP = UCF, TXN = UCM,
 * SEGMENT = UCS, ELEMENT = UCD, and code = the ISO 9735 syntax error code
 * (data element 0085: "12" invalid value, "13" missing, "29" control count
 * does not match, ...). seg_id is the segment tag, seg_pos the position in
 * the message counted from UNH = 1 (0 outside a message), elem_pos the
 * data element position (UCD 0098), comp_pos the component, rep_pos the
 * repetition (syntax 4).
 *
 * Values handed out are decoded: release characters removed, converted to
 * UTF-8 (NUL-free; a character outside the declared level is an error with
 * its position, or a notice when tolerated, never silently replaced).
 *
 * Partner bytes are hostile: every reader takes struct edi_limits. Memory:
 * one chunk buffer and one message at a time (bounded by the limits).
 *
 * Ownership: structures passed to handler callbacks are valid during the
 * callback only. Results hold their own error lists.
 */
#ifndef EDIGW_EDIFACT_H
#define EDIGW_EDIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "x12/x12.h"

/* ------------------------------------------------------------- limits */

struct edi_limits {
	uint64_t max_file_size;      /* bytes of input; default 512 MiB */
	size_t max_segment_len;      /* bytes of one segment (raw, without terminator); default 64 KiB */
	size_t max_element_len;      /* bytes of one component value (decoded); default 4096 */
	size_t max_elements;         /* data elements in one segment; default 512 */
	size_t max_components;       /* components in one data element; default 99 */
	size_t max_repeats;          /* repetitions of one data element (syntax 4); default 999 */
	size_t max_segments_per_msg; /* UNH..UNT inclusive; default 200000 */
	size_t max_msg_bytes;        /* bytes held for one message (decoded values and bookkeeping);
	                              * default 64 MiB */
};

/* Fill in the documented defaults. */
void edi_limits_default(struct edi_limits *l);

/* Departures a partner's files may be allowed (1 = tolerated); each use is a notice. */
struct edi_tolerances {
	int charset_relaxed;  /* a character outside the declared syntax level (e.g. 'é' under UNOA):
	                       * kept (converted as Latin-1 when not valid in the level) with a
	                       * notice; off: UCD code 21 (invalid character). Default 0 */
	int wrong_counts;     /* UNT/UNE/UNZ counts that are numbers but wrong: notice; off: code 29
	                       * (control count does not match). Default 0 */
	int wrapped_lines;    /* CR/LF inside a segment (lines wrapped at a fixed width): dropped,
	                       * one notice per file; off: they are data, a control character
	                       * (UCD code 21). Never applied when a service character is CR or
	                       * LF. Default 1. (Addition to the agreed contract.) */
};

void edi_tolerances_default(struct edi_tolerances *t);

/* ------------------------------------------------------------- delimiters */

/* Service string characters (UNA1..UNA6). rel 0: no release character; rep 0: no
 * repetition separator (syntax 1-3, or UNA5 blank). */
struct edi_delims {
	char comp, elem, dec, rel, rep, seg;
};

/* The defaults when there is no UNA: ':' '+' '.' '?' ' '→none (syntax 1-3) or '*'
 * (syntax 4) '\'' for UNOA/UNOB-style levels. */
void edi_delims_default(struct edi_delims *d, int syntax_version);

/* 1 when data (n bytes, the start of a file) looks like EDIFACT: optional UTF-8 BOM
 * and whitespace, then "UNA" or "UNB". */
int edi_sniff(const void *data, size_t n);

/* ------------------------------------------------------------- tokens */

/* A decoded value: UTF-8, release characters removed. p may be NULL when n is 0. Values
 * from edi_parse are followed by a NUL byte (p[n] == '\0', not counted in n) and hold no
 * control character (so neither NUL nor EDI_VIEW_COMP/EDI_VIEW_REP). */
struct edi_val {
	const char *p;
	size_t n;
};

/* One data element (one repetition of it): its components; a simple data element
 * has ncomp 1. next: the element's next repetition (syntax 4), else NULL. */
struct edi_elem {
	size_t ncomp;
	const struct edi_val *comp;
	const struct edi_elem *next;
};

/* One segment of a message. elem[0] is the tag, elem[1..nelem] the data elements. */
struct edi_seg {
	char tag[4];
	size_t nelem;
	const struct edi_elem *elem;
	uint64_t file_seg, line, offset; /* ordinal in the file (1-based), line, byte offset */
};

/* Component comp (1-based) of data element elem (1-based) of s, first repetition;
 * {NULL, 0} when absent. */
struct edi_val edi_seg_val(const struct edi_seg *s, size_t elem, size_t comp);

/* ------------------------------------------------------------- envelopes */

struct edi_unb {
	char syntax_id[5];        /* 0001: UNOA, UNOB, UNOC, ..., UNOY */
	int syntax_version;       /* 0002: 1..4 */
	char sender[36], sender_qual[5], sender_route[15];          /* 0004, 0007, 0008 */
	char recipient[36], recipient_qual[5], recipient_route[15]; /* 0010, 0007, 0014 */
	char date[9], time[5];    /* 0017 (YYMMDD, CCYYMMDD in syntax 4), 0019 HHMM */
	char ref[15];             /* 0020 interchange control reference */
	char app_ref[15];         /* 0026 application reference */
	char ack_request[2];      /* 0031: "1" = acknowledgment (CONTRL) requested */
	char agreement[36];       /* 0032 */
	char test[2];             /* 0035: "1" = test interchange */
	struct edi_delims delims;
	int una;                  /* the interchange had a UNA */
	uint64_t file_seg, line, offset; /* the UNB's ordinal and line; offset: where the
	                              * interchange starts (its UNA, else its UNB) */
	uint64_t index;           /* 1-based interchange number in the file */
};

struct edi_ung {
	char group_id[7];         /* 0038 message group identification */
	char sender[36], sender_qual[5];       /* 0040, 0007 */
	char recipient[36], recipient_qual[5]; /* 0044, 0007 */
	char date[9], time[5];    /* 0017, 0019 */
	char ref[15];             /* 0048 group reference */
	char agency[3];           /* 0051 */
	char version[4], release[4], assoc[7]; /* 0052, 0054, 0057 */
	uint64_t file_seg, line;
	uint64_t index;           /* 1-based group number in the interchange */
};

/* A complete message UNH..UNT. */
struct edi_msg {
	char ref[15];             /* UNH 0062 message reference number */
	char type[7];             /* 0065 ORDERS */
	char version[4];          /* 0052 D */
	char release[4];          /* 0054 96A */
	char agency[3];           /* 0051 UN */
	char assoc[7];            /* 0057 association assigned code, e.g. EAN008; "" when none */
	size_t nseg;              /* UNH first; UNT last when present */
	const struct edi_seg *segs;
	const struct edi_unb *unb;
	const struct edi_ung *ung; /* NULL outside a functional group */
	const struct edi_delims *delims;
	uint64_t index;           /* 1-based message number in its interchange (or group) */
};

/* ------------------------------------------------------------- results */

/* CONTRL action codes (0083). */
#define EDI_ACTION_ACCEPTED '7' /* acknowledged, no errors */
#define EDI_ACTION_REJECTED '4' /* this level and all below rejected */
#define EDI_ACTION_RECEIVED '8' /* interchange received (nothing checked below it) */

struct edi_msg_result {
	char ref[15], type[7];
	uint64_t seg_count;        /* actual number of segments UNH..UNT */
	struct x12_errlist errors; /* TXN (UCM), SEGMENT (UCS) and ELEMENT (UCD) findings */
	char action;               /* '7' or '4' (set by edi_msg_result_finish) */
	char code[4];              /* UCM 0085 of the first message-level error, "" when none */
	int app_rejected;          /* an application (map) error rejected it; the CONTRL says '7' */
};

/* Compute action and code from the errors (any non-application error → '4'). Idempotent. */
void edi_msg_result_finish(struct edi_msg_result *r);
void edi_msg_result_free(struct edi_msg_result *r);

/* A finding in EDIFACT words, allocated: "segment NAD (position 6 in the message, line 8),
 * element 04, component 1: invalid character ... [CONTRL UCD 0085 code 21]" (the scope
 * names the CONTRL segment: UCI, UCF, UCM, UCS, UCD). (Addition to the agreed contract.) */
char *edi_error_describe(const struct x12_error *e);

struct edi_group_result {
	struct edi_ung ung;
	uint64_t declared;         /* UNE 0060 as sent */
	int have_une;
	uint64_t received, accepted;
	char action;               /* '7' or '4' */
	char code[4];
	struct x12_errlist errors;
};

struct edi_interchange_result {
	struct edi_unb unb;
	char action;               /* UCI 0083: '7' accepted, '4' rejected, '8' received */
	char code[4];              /* UCI 0085 of the first interchange-level error, "" when none */
	int envelope_ok;           /* UNB/UNZ and counts are right */
	uint64_t declared;         /* UNZ 0036 as sent */
	uint64_t groups, messages;
	int skipped;               /* the handler asked to skip it */
	struct x12_errlist errors;
	char sha256[65];           /* hash of the interchange's raw bytes (UNA or UNB through UNZ) */
};

/* ------------------------------------------------------------- reading */

#define EDI_SKIP X12_SKIP

struct edi_handler {
	void *ctx;
	/* A new interchange; return EDI_SKIP to read past it with no further callbacks but
	 * interchange_end. */
	int (*interchange_begin)(void *ctx, const struct edi_unb *unb);
	int (*group_begin)(void *ctx, const struct edi_unb *unb, const struct edi_ung *ung);
	/* One message with its envelope findings already in res->errors; the handler may
	 * add findings (validation, mapping). May be NULL. */
	int (*message)(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res);
	int (*message_end)(void *ctx, const struct edi_msg_result *res);
	int (*group_end)(void *ctx, const struct edi_group_result *res);
	int (*interchange_end)(void *ctx, const struct edi_interchange_result *res);
	x12_notice_fn notice;
};

struct edi_file_summary {
	uint64_t interchanges, groups, messages, segments, bytes;
	uint64_t rejected_interchanges, rejected_groups, rejected_messages;
};

struct edi_reader;

int edi_reader_new_fd(struct edi_reader **out, int fd, const struct edi_limits *lim);
int edi_reader_new_mem(struct edi_reader **out, const void *data, size_t len, const struct edi_limits *lim);
void edi_reader_set_tolerances(struct edi_reader *r, const struct edi_tolerances *t);
void edi_reader_set_notice(struct edi_reader *r, x12_notice_fn fn, void *ctx);
/* Hash each interchange's bytes into the result's sha256 (default on). */
void edi_reader_set_hash(struct edi_reader *r, int on);
void edi_reader_free(struct edi_reader *r);
/* At most n bytes per read(2) (memory: made visible n bytes at a time); 0 = no limit.
 * For tests of segments that straddle chunks. (Addition to the agreed contract.) */
void edi_reader_set_chunk_size(struct edi_reader *r, size_t n);

/* Read every interchange and call the handler. Returns 0 when the whole input was read
 * (interchanges may still be rejected: see the results), <0 when the input is not
 * EDIFACT or cannot be read further (data before UNA/UNB, a limit outside a recoverable
 * place); *err then says what and where (err->msg allocated: x12_error_free). A handler
 * callback's negative return aborts with that code. */
int edi_parse(struct edi_reader *r, const struct edi_handler *h, struct edi_file_summary *sum,
	      struct x12_error *err);

/* ------------------------------------------------------------- the X12 view */

/* A message seen as an X12 transaction set, so the definition validator (x12_schema)
 * and the map engine (src/map) can run on EDIFACT: one x12_tseg per segment (UNH first,
 * UNT last), the tag as the segment id, each data element one span holding its decoded
 * components joined by EDI_VIEW_COMP and its repetitions by EDI_VIEW_REP (control bytes
 * that never occur in decoded values). txn.st01 and st02 are "" (an EDIFACT message type
 * is 6 characters: callers use edi_msg.type), txn.isa and txn.gs are NULL, txn.delims
 * points at the view's delims (elem '+', comp EDI_VIEW_COMP, rep EDI_VIEW_REP, seg '\''),
 * file_seg/line/offset copied from the segments. */
#define EDI_VIEW_COMP '\x1f'
#define EDI_VIEW_REP '\x1e'

struct edi_view {
	struct x12_txn txn;       /* segs, nseg, delims (comp EDI_VIEW_COMP, rep EDI_VIEW_REP) */
	struct x12_delims delims;
	struct x12_tseg *segs;
	struct span *spans;
	char *arena;
	size_t cap_segs, cap_spans, cap_arena, used_arena;
};

/* Build (or rebuild, reusing memory) the view of msg. Returns 0 or -ENOMEM/-EINVAL. */
int edi_view_build(struct edi_view *v, const struct edi_msg *msg);
void edi_view_free(struct edi_view *v);

#endif
