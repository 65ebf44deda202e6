/*
 * edi_reader_int.h — between the EDIFACT tokenizer (edi_reader.c), the character sets
 * (edi_charset.c) and the envelope layer (edi_envelope.c); not part of the module's
 * public face (edifact.h).
 */
#ifndef EDIGW_EDI_READER_INT_H
#define EDIGW_EDI_READER_INT_H

#include <iconv.h>

#include "edifact/edifact.h"

/* ------------------------------------------------------------- tokenizer */

/* One raw segment: element spans borrow the reader's buffer (release characters still
 * in) and stay valid until the next call. el[0] is the tag element (its first component
 * is the tag; syntax 1-3 allow components there). */
struct edi_rawseg {
	char tag[4];          /* "" when the tag is not 1-3 letters or digits */
	size_t nelem;         /* elements after the tag: el[1..nelem] */
	struct span *el;
	struct span raw;      /* the segment without its terminator */
	uint64_t index, line, offset;
	int too_many;         /* more than max_elements: only the first max_elements split */
	int starts_ich;       /* a UNB that starts an interchange (after its UNA, if any) */
	int unwrapped;        /* CR/LF were removed (tolerances.wrapped_lines): raw is a copy, */
	struct span orig;     /* orig the bytes as they are in the file */
	uint64_t ich_offset;  /* where that interchange starts (the UNA, or the UNB) */
};

/* Next segment: 1 one was read, 0 clean end of input, <0 error (edi_tok_error).
 * -EMSGSIZE (a segment over max_segment_len) is recoverable: the segment is skipped and
 * the next call goes on after it (edi_tok_error says where it was). Others are final. */
int edi_tok_next(struct edi_reader *r, struct edi_rawseg *s);
const struct x12_error *edi_tok_error(const struct edi_reader *r);
const struct edi_delims *edi_tok_delims(const struct edi_reader *r);
int edi_tok_una(const struct edi_reader *r);
uint64_t edi_tok_offset(const struct edi_reader *r);
const struct edi_limits *edi_tok_limits(const struct edi_reader *r);
const struct edi_tolerances *edi_tok_tolerances(const struct edi_reader *r);
/* Report through the reader's notice callback (once per kind and reader when kind != 0). */
void edi_tok_notice(struct edi_reader *r, unsigned kind, uint64_t line, const char *msg);
/* 1 when a notice of that kind was already reported by this reader. */
int edi_tok_noticed(const struct edi_reader *r, unsigned kind);
/* Turn interchange hashing on unless edi_reader_set_hash(r, 0) turned it off. */
void edi_tok_hash_auto(struct edi_reader *r);
/* The hash of the interchange that ended last (or of the open one, finishing it) into
 * out (65 bytes); -ENOENT when there is none. */
int edi_tok_take_hash(struct edi_reader *r, char out[65]);

/* Notice kinds the envelope layer reports once per reader. */
#define EDI_NK_RELEASE_OTHER (1u << 20) /* release character before a non-service character */
#define EDI_NK_CHARSET (1u << 21)       /* charset_relaxed used */
#define EDI_NK_UNA5 (1u << 22)          /* UNA5 not blank before syntax 4 */

/* ------------------------------------------------------------- character sets */

enum edi_cs_kind {
	EDI_CS_A = 1,  /* ISO 9735 level A (UNOA, IATA) */
	EDI_CS_B,      /* level B (UNOB, IATB): level A and lower-case letters */
	EDI_CS_8BIT,   /* an ISO 8859 part: ASCII graphics and 0xA0-0xFF where defined */
	EDI_CS_UTF8,   /* ISO 10646 in UTF-8 (UNOW, UNOY) */
};

struct edi_charset {
	const char *id;    /* syntax identifier 0001 */
	enum edi_cs_kind kind;
	const char *iconv; /* iconv name of the 8-bit set, NULL otherwise */
	const char *what;  /* for messages: "ISO 8859-1" */
};

/* The character set of syntax identifier id (4 bytes), or NULL when unknown. */
const struct edi_charset *edi_charset_find(struct span id);

/* Per-interchange conversion state: one iconv_t, opened on first use. */
struct edi_conv {
	const struct edi_charset *cs;
	iconv_t cd;        /* (iconv_t)-1 until opened */
	int relaxed;       /* tolerances.charset_relaxed */
	struct buf tmp;    /* conversion output */
	const char *done_p; /* tmp already holds the conversion of [done_p, done_p + done_n) */
	size_t done_n;
};

void edi_conv_init(struct edi_conv *cv, const struct edi_charset *cs, int relaxed);
void edi_conv_close(struct edi_conv *cv);

/* Check the bytes of one unescaped value against the level. Returns 0 when every
 * character is in it, else 1 with *bad the offset of the first character outside it and
 * *badlen its length in bytes (a UTF-8 sequence may be longer than 1), *control 1 when
 * that character is a control character (never tolerated). */
int edi_conv_check(struct edi_conv *cv, const char *p, size_t n, size_t *bad, size_t *badlen,
		   int *control);

/* One unescaped value in UTF-8: the input itself when it is ASCII graphics only, else its
 * conversion in cv->tmp (valid until the next call). strict: the value passed
 * edi_conv_check; otherwise characters outside the level are converted as the tolerance
 * says (see edi_charset.c) and control characters become U+FFFD. */
struct span edi_conv_value(struct edi_conv *cv, const char *p, size_t n, int strict);

#endif
