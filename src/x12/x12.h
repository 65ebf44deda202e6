/*
 * x12 — ASC X12 reading: ISA sniffing (delimiters from the ISA's fixed
 * positions), a streaming segment tokenizer over a file descriptor or a
 * memory buffer, and envelope validation (ISA/IEA, GS/GE, ST/SE counts and
 * control numbers) that hands complete transaction sets to a handler.
 *
 * Partner bytes are hostile: every reader takes struct x12_limits; errors
 * are data (struct x12_error) carrying the X12 code and exact position,
 * which the acknowledgment builders (src/ack) turn into TA1/997/999.
 *
 * Memory: the tokenizer keeps one chunk buffer; the envelope layer keeps
 * one transaction set at a time (bounded by max_segments_per_txn and
 * max_txn_bytes). Nothing grows with the size of the file.
 */
#ifndef EDIGW_X12_H
#define EDIGW_X12_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* ------------------------------------------------------------- limits */

struct x12_limits {
	uint64_t max_file_size;      /* bytes of input; default 512 MiB */
	size_t max_segment_len;      /* bytes of one segment without terminator; default 64 KiB */
	size_t max_element_len;      /* bytes of one element; default 4096 */
	size_t max_elements;         /* elements in one segment; default 512 */
	size_t max_segments_per_txn; /* ST..SE inclusive; default 200000 */
	size_t max_txn_bytes;        /* bytes held for one transaction set: each segment's bytes (no
	                              * terminator) + (nelem + 1) * sizeof(struct span) +
	                              * sizeof(struct x12_tseg) + 2 * sizeof(size_t); default 16 MiB */
	size_t max_loop_depth;       /* nesting of loops/HL levels for validators and maps; default 32 */
};

/* Fill in the documented defaults. */
void x12_limits_default(struct x12_limits *l);

/* Departures from the standard a partner's files may be allowed (1 = tolerated). Each,
 * when it changes an outcome, is reported through the notice callback naming the
 * setting (tolerate.<name> in the configuration); doc/x12-reader.md says what each does. */
struct x12_tolerances {
	int alphanumeric_isa11;      /* ISA11 a letter/digit at 00402+: no repetition separator
	                              * (notice); off: TA1 016. Default 1 */
	int trailing_empty_elements; /* "N1*ST*X**~" in a transaction set: notice; off: AK4 3 at
	                              * the first trailing empty element. Default 1 */
	int unpadded_isa;            /* ISA02/04/06/08 shorter than their fixed widths: notice;
	                              * off: TA1 with the field's width code. Default 0 */
	int isa_line_breaks;         /* an ISA wrapped by CR/LF (fixed width once unwrapped):
	                              * notice; off: fatal 026. Default 1 */
	int wrong_counts;            /* SE01/GE01/IEA01 a number but not the count: notice; off:
	                              * AK5 4 / AK9 5 / TA1 021. Default 0 */
};

/* Fill in the documented defaults. */
void x12_tolerances_default(struct x12_tolerances *t);

/* ---------------------------------------------------------- delimiters */

struct x12_delims {
	char elem; /* ISA offset 3 */
	char rep;  /* ISA11 (offset 82) from 00402 on; 0 when none */
	char comp; /* ISA16 (offset 104) */
	char seg;  /* offset 105 */
};

/* ---------------------------------------------------------------- errors */

/* Which acknowledgment level an error belongs to. */
enum x12_scope {
	X12_SCOPE_INTERCHANGE = 0, /* TA1: code is the 3-digit TA105 note code */
	X12_SCOPE_GROUP,           /* AK9/IK9: code is AK905 (e.g. "4" GE02 != GS06, "5" GE01 wrong) */
	X12_SCOPE_TXN,             /* AK5/IK5: code is AK502 (e.g. "3" ST02 != SE02, "4" SE01 wrong) */
	X12_SCOPE_SEGMENT,         /* AK3/IK3: code is AK304 (e.g. "8" data element errors, "3" mandatory segment missing) */
	X12_SCOPE_ELEMENT,         /* AK4/IK4: code is AK403 (e.g. "1" mandatory missing, "5" too long, "7" invalid code) */
};

/* One finding with its X12 code and exact position. Strings are owned by the list. */
struct x12_error {
	enum x12_scope scope;
	char code[5];         /* X12 code for the scope's ack element ("001", "4", "I12"...) */
	int application;      /* 1: a business-rule failure (e.g. CTT01 total) not expressible in a 997:
	                       * the document is rejected but the ack reports syntax only */
	char seg_id[4];       /* AK301: segment id in error, "" when none */
	uint64_t seg_pos;     /* AK302: position in the transaction set, ST = 1; 0 outside one */
	char loop_id[8];      /* AK303: loop identifier code, "" when none */
	int elem_pos;         /* AK401-1: element position, 1-based; 0 when n/a */
	int comp_pos;         /* AK401-2: component position, 0 when n/a */
	int rep_pos;          /* AK401-3: repetition, 0 when n/a */
	int elem_ref;         /* AK402: data element reference number, 0 when unknown */
	char *bad_value;      /* AK404: copy of the bad data (at most 99 bytes), NULL when none */
	char *msg;            /* human text saying what is wrong (no position: that is in the fields) */
	uint64_t file_seg;    /* segment ordinal in the file, 1-based; 0 unknown */
	uint64_t line;        /* line in the file, 1-based; 0 unknown */
	uint64_t offset;      /* byte offset in the file */
	char ctx_name[8];     /* 999 CTX01-1 business unit: the open loop's first segment and
	                       * element ("PO101", "HL01"); "" when the finding is outside loops */
	char ctx_ref[36];     /* CTX01-2: that element's value ("3") */
};

#define X12_MAX_ERRORS 100 /* per list; more are counted in dropped */

struct x12_errlist {
	struct x12_error *v;
	size_t n, cap;
	size_t dropped;
};

/* Append a copy of e (bad_value and msg are copied; bad_value truncated to 99). */
void x12_errlist_add(struct x12_errlist *l, const struct x12_error *e);
void x12_errlist_free(struct x12_errlist *l);
/* Add an application finding (scope TXN, application = 1): "what: detail". It rejects the
 * document but is never written into a 997/999/CONTRL. */
void x12_errlist_add_app(struct x12_errlist *l, const char *what, const char *detail);
/* "segment BEG (position 2, line 3), element 03: mandatory element missing" — allocated. */
char *x12_error_describe(const struct x12_error *e);
/* The same with another standard's name in the code note ("[EDIFACT code 29]"). */
char *x12_error_describe_as(const struct x12_error *e, const char *standard);
/* Free the strings of a single error (e.g. x12_parse's *err) and clear it. */
void x12_error_free(struct x12_error *e);

/* -------------------------------------------------------------- segments */

/* One segment as handed out by the tokenizer; spans borrow the reader's buffer
 * and stay valid until the next call. elem[0] is the segment id. */
struct x12_segment {
	char id[4];
	size_t nelem;        /* elements after the id: elem[1..nelem] */
	struct span *elem;   /* nelem + 1 spans */
	struct span raw;     /* the whole segment without its terminator */
	uint64_t index;      /* 1-based ordinal in the file */
	uint64_t line;       /* 1-based line where the segment starts */
	uint64_t offset;     /* byte offset where the segment starts */
	size_t elem_too_long; /* position of the first element longer than max_element_len; 0 none */
	int too_many_elems;  /* more than max_elements elements: only the first max_elements split */
};

/* Element n (1-based) of a segment, SPAN_NULL when absent. */
struct span x12_seg_elem(const struct x12_segment *s, size_t n);
/* Component n (1-based) of an element, split on comp; SPAN_NULL when absent. */
struct span x12_component(struct span el, char comp, size_t n);
/* Repetition n (1-based) of an element, split on rep (rep == 0: the element itself for n == 1). */
struct span x12_repetition(struct span el, char rep, size_t n);

/* ------------------------------------------------------------- tokenizer */

struct x12_reader;

/* Tolerances applied (logged through the notice callback) and other notes. */
typedef void (*x12_notice_fn)(void *ctx, uint64_t line, const char *msg);

/* A reader over fd, reading in chunks. The fd is not closed by the reader. */
int x12_reader_new_fd(struct x12_reader **out, int fd, const struct x12_limits *lim);
/* A reader over memory (not copied; must outlive the reader). */
int x12_reader_new_mem(struct x12_reader **out, const void *data, size_t len,
		       const struct x12_limits *lim);
void x12_reader_free(struct x12_reader *r);
void x12_reader_set_notice(struct x12_reader *r, x12_notice_fn fn, void *ctx);
/* Next segment: 1 = one was read, 0 = clean end of input, <0 = error (see x12_reader_error).
 * At the start of the input and after each IEA the reader expects an ISA (after an
 * optional UTF-8 BOM at the start and whitespace) and takes the delimiters from it.
 * -EMSGSIZE (a segment longer than max_segment_len) is recoverable: the segment is
 * skipped and the next call goes on after it. Every other error is final. */
int x12_reader_next(struct x12_reader *r, struct x12_segment *seg);
/* At most n bytes per read(2) (memory: made visible n bytes at a time); 0 = no limit.
 * For tests of segments that straddle chunks. */
void x12_reader_set_chunk_size(struct x12_reader *r, size_t n);
/* Compute a SHA-256 of each interchange's bytes, ISA through the IEA's terminator (or,
 * with no IEA, through the byte before the next ISA or the end of input). x12_parse turns
 * it on unless it was turned off here (on = 0; then sha256 is "" in the results). */
void x12_reader_set_hash(struct x12_reader *r, int on);
/* The hash of the interchange that ended last (finishing it if needed) into out (65 bytes
 * of hex); -ENOENT when there is none. */
int x12_reader_take_hash(struct x12_reader *r, char out[65]);
/* The error behind the last negative return (scope INTERCHANGE, TA1 code and position). */
const struct x12_error *x12_reader_error(const struct x12_reader *r);
/* Delimiters of the current interchange. */
const struct x12_delims *x12_reader_delims(const struct x12_reader *r);
/* Bytes consumed so far. */
uint64_t x12_reader_offset(const struct x12_reader *r);
/* The limits the reader applies (those given to x12_reader_new_*, or the defaults). */
const struct x12_limits *x12_reader_limits(const struct x12_reader *r);
/* Set the tolerances (copied; NULL: the defaults, which a new reader starts with).
 * Call before the first x12_reader_next / x12_parse. */
void x12_reader_set_tolerances(struct x12_reader *r, const struct x12_tolerances *t);
/* The tolerances the reader and x12_parse apply. */
const struct x12_tolerances *x12_reader_tolerances(const struct x12_reader *r);

/* -------------------------------------------------------------- envelopes */

/* ISA fields, trimmed of trailing padding, NUL-terminated. */
struct x12_isa {
	char auth_qual[3], auth_info[11], sec_qual[3], sec_info[11];
	char sender_qual[3], sender_id[16];     /* ISA05, ISA06 */
	char receiver_qual[3], receiver_id[16]; /* ISA07, ISA08 */
	char date[7], time[5];                  /* ISA09 YYMMDD, ISA10 HHMM */
	char rep_or_std[2];                     /* ISA11 */
	char version[6];                        /* ISA12 */
	char icn[10];                           /* ISA13 */
	char ack_requested[2];                  /* ISA14 */
	char usage[2];                          /* ISA15: P or T */
	struct x12_delims delims;
	uint64_t file_seg, line, offset;
	uint64_t index; /* 1-based interchange number within the file */
};

/* GS fields (oversized values are truncated here and reported as errors). */
struct x12_gs {
	char fid[3];        /* GS01 */
	char sender[16];    /* GS02 */
	char receiver[16];  /* GS03 */
	char date[9];       /* GS04 */
	char time[9];       /* GS05 */
	char gcn[10];       /* GS06 */
	char agency[3];     /* GS07 */
	char version[13];   /* GS08 */
	uint64_t file_seg, line;
	uint64_t index;     /* 1-based group number within the interchange */
};

/* A segment kept as part of a transaction set (owned by the envelope layer). */
struct x12_tseg {
	char id[4];
	size_t nelem;
	struct span *elem; /* elem[0] = id, elem[1..nelem] */
	uint64_t file_seg, line, offset;
};

/* A complete transaction set ST..SE, valid during the transaction callback. */
struct x12_txn {
	char st01[4];
	char st02[10];
	char st03[36];          /* implementation convention reference (005010+), "" if none */
	size_t nseg;            /* segments held, ST first; SE last when present */
	const struct x12_tseg *segs;
	const struct x12_delims *delims;
	const struct x12_isa *isa;
	const struct x12_gs *gs;
	uint64_t index;         /* 1-based transaction number within the group */
};

/* Element n (1-based) of a transaction segment, SPAN_NULL when absent. */
struct span x12_tseg_elem(const struct x12_tseg *s, size_t n);

struct x12_txn_result {
	char st01[4], st02[10], st03[36];
	uint64_t seg_count;        /* actual number of segments ST..SE */
	struct x12_errlist errors; /* TXN, SEGMENT and ELEMENT findings */
	char status;               /* AK501: 'A', 'E' or 'R' (set by x12_txn_result_finish) */
	char codes[5][5];          /* AK502..AK506 */
	size_t ncodes;
	int app_rejected;          /* an application-level error rejected the document */
};

/* Compute status and AK5 codes from the errors: any TXN/SEGMENT/ELEMENT error → 'R'
 * (segment/element errors add code "5"); none → 'A'. Application errors set
 * app_rejected but do not change the ack status. Idempotent. */
void x12_txn_result_finish(struct x12_txn_result *r);
void x12_txn_result_free(struct x12_txn_result *r);

struct x12_group_result {
	struct x12_gs gs;
	uint64_t declared;        /* AK902: GE01 as sent (= received when GE is missing or GE01 is not a number) */
	int have_ge;
	uint64_t received;        /* transaction sets received */
	uint64_t accepted;        /* with status A or E */
	char status;              /* AK901: 'A', 'E', 'P' or 'R' */
	char codes[5][5];         /* AK905..AK909 */
	size_t ncodes;
	struct x12_errlist errors;
};

struct x12_interchange_result {
	struct x12_isa isa;
	char ta1_status;          /* TA104: 'A', 'E' or 'R' */
	char ta1_code[4];         /* TA105: "000" when no error */
	int envelope_ok;          /* 1 when ISA/IEA and counts are right (groups may still be rejected) */
	uint64_t declared_groups; /* IEA01 */
	uint64_t groups;          /* GS..GE received */
	uint64_t transactions;
	uint64_t ta1_segments;    /* inbound TA1 segments (an interchange acknowledgment) */
	int skipped;              /* the handler asked to skip it */
	struct x12_errlist errors;
	char sha256[65];          /* hash of the interchange's bytes, ISA through IEA */
};

/* Callbacks from the envelope layer. Return 0 to go on; <0 aborts x12_parse with that code. */
#define X12_SKIP 1
struct x12_handler {
	void *ctx;
	/* A new interchange; return X12_SKIP to read past it with no further callbacks but
	 * interchange_end (e.g. unknown sender, duplicate). */
	int (*interchange_begin)(void *ctx, const struct x12_isa *isa);
	int (*group_begin)(void *ctx, const struct x12_isa *isa, const struct x12_gs *gs);
	/* One transaction set with its envelope findings already in res->errors. The handler
	 * may add findings (mapping); the status is computed after it returns. May be NULL. */
	int (*transaction)(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res);
	/* After the status of a transaction set is final. */
	int (*transaction_end)(void *ctx, const struct x12_txn_result *res);
	int (*group_end)(void *ctx, const struct x12_group_result *res);
	int (*interchange_end)(void *ctx, const struct x12_interchange_result *res);
	x12_notice_fn notice;
	/* An inbound TA1 segment in its place (after the ISA, before the first GS): the
	 * partner's interchange acknowledgment of something we sent. May be NULL. */
	int (*ta1)(void *ctx, const struct x12_isa *isa, const struct x12_segment *seg);
};

struct x12_file_summary {
	uint64_t interchanges, groups, transactions, segments, bytes;
	uint64_t rejected_interchanges, rejected_groups, rejected_transactions;
};

/* Read every interchange of the input and call the handler. Returns 0 when the whole
 * input was read (interchanges may still have been rejected: see the results), or <0
 * when the input is not X12 or cannot be read further (garbage, limit exceeded outside
 * a recoverable place); *err then says what and where (err->msg and err->bad_value are
 * allocated: the caller frees them). When a handler callback returned <0, x12_parse
 * returns that code and leaves err->msg NULL. Interchanges completed before the error
 * have had their callbacks; one cut short by a final error gets its group_end and
 * interchange_end with that error (TA1 R). h->notice, when set, also receives the
 * reader's notices. x12_error_free(err) frees the strings. doc/x12-reader.md lists
 * the tolerances, limits and codes. */
int x12_parse(struct x12_reader *r, const struct x12_handler *h, struct x12_file_summary *sum,
	      struct x12_error *err);

#endif
