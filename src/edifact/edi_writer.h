/*
 * edi_writer — outbound UN/EDIFACT segments: data elements, components,
 * repetitions (syntax 4), values given in UTF-8 and converted to the
 * declared character set, service characters escaped with the release
 * character, trailing empty elements/components/repetitions left out
 * (ISO 9735 exclusion by truncation), UNA when it is needed.
 *
 * Character sets (syntax identifier 0001):
 *   UNOA  ISO 646 level A: A-Z 0-9 space . , - ( ) / = ! " % & * ; < >
 *         and the service characters ' + : ? (written released)
 *   UNOB  level A plus a-z
 *   UNOC..UNOK  ISO 8859-1, -2, -5, -7, -3, -4, -6, -8, -9 (through iconv)
 *   UNOW, UNOY  UTF-8 (ISO 10646-1, written as UTF-8 octets)
 * A character the set cannot carry is an error (-EILSEQ, with a message
 * naming it), never replaced; control characters (U+0000-U+001F,
 * U+007F-U+009F) and invalid UTF-8 are refused in every set. UNOX (ISO 2022
 * code extension) is not supported (-ENOTSUP).
 *
 * Service characters: component, element and segment separators must be
 * set, distinct, ASCII and neither a letter, a digit nor a space; the
 * release character (0 = none) and, from syntax version 4, the repetition
 * separator (0 = none) likewise. In a value, every byte equal to an active
 * service character (component, element, segment, release, and the
 * repetition separator in syntax 4) is preceded by the release character;
 * with no release character such a value is refused (-EILSEQ). The decimal
 * mark ('.' or ',') only appears in the UNA.
 *
 * UNA: needed unless the syntax identifier is UNOA and the separators are
 * UNOA's defaults (":+.? '" in syntax 1-3, ":+.?*'" in syntax 4). Readers
 * disagree about the defaults of UNOB and later levels (ISO 9735 gives
 * UNOB control characters; GS1 asks for a UNA with UNOB-UNOF), so a UNA is
 * always written for them.
 *
 * Usage: edi_writer_seg, then edi_writer_elem / _comp / _rep calls, then
 * edi_writer_seg_end(w, out) which appends the finished segment (with its
 * terminator, nothing after it) to out. The first error inside a segment is
 * kept and returned by edi_writer_seg_end, which then appends nothing; the
 * calls in between need no checking. Output is a pure function of the
 * calls: the same calls give the same bytes.
 *
 * Ownership: the writer owns its buffers and iconv descriptor; values are
 * only read during the call; out belongs to the caller.
 */
#ifndef EDIGW_EDI_WRITER_H
#define EDIGW_EDI_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "edifact/edifact.h"
#include "util/util.h"

struct edi_writer;

/* The separators edigw writes by default for a syntax identifier and version:
 * ':' '+' '.' '?' , '*' (syntax 4) or none (1-3), '\''. */
void edi_writer_default_delims(struct edi_delims *d, const char *syntax_id, int syntax_version);

/* A writer for syntax_id (UNOA..UNOK, UNOW, UNOY) and version 1..4 with the separators d
 * (NULL: edi_writer_default_delims). A decimal mark of 0 becomes '.'; a repetition
 * separator is ignored before syntax 4. -ENOTSUP for a syntax identifier we cannot write
 * (unknown, UNOX, or no iconv converter), -EINVAL for a version outside 1..4 or unusable
 * separators. */
int edi_writer_new(struct edi_writer **out, const char *syntax_id, int syntax_version,
		   const struct edi_delims *d);
void edi_writer_free(struct edi_writer *w);

/* The separators in use (repetition 0 before syntax 4). */
const struct edi_delims *edi_writer_delims(const struct edi_writer *w);
const char *edi_writer_syntax_id(const struct edi_writer *w);
int edi_writer_syntax_version(const struct edi_writer *w);

/* 1 when the separators are not what a reader assumes without a UNA (see above). */
int edi_writer_una_needed(const struct edi_writer *w);
/* Append the 9-byte UNA (UNA4 / UNA5 a space when there is no release character /
 * repetition separator). */
void edi_writer_una(const struct edi_writer *w, struct buf *out);

/* Start a segment; tag is 3 characters A-Z or 0-9 (else the segment fails with -EINVAL).
 * An unfinished segment is discarded. */
void edi_writer_seg(struct edi_writer *w, const char *tag);
/* A new data element holding v (UTF-8, NUL-terminated; NULL or "" = empty) as its first
 * component. */
void edi_writer_elem(struct edi_writer *w, const char *v);
void edi_writer_elem_n(struct edi_writer *w, const char *v, size_t n);
void edi_writer_elem_u64(struct edi_writer *w, uint64_t v);
/* The next component of the current data element (repetition). */
void edi_writer_comp(struct edi_writer *w, const char *v);
void edi_writer_comp_n(struct edi_writer *w, const char *v, size_t n);
void edi_writer_comp_u64(struct edi_writer *w, uint64_t v);
/* A new repetition of the current data element with v as its first component; -EINVAL
 * (for the segment) before syntax 4 or without a repetition separator. */
void edi_writer_rep(struct edi_writer *w, const char *v);
void edi_writer_rep_n(struct edi_writer *w, const char *v, size_t n);
/* Finish the segment: drop trailing empties, add the terminator, append to out. Returns 0,
 * or the segment's first error (nothing appended): -EILSEQ a value the character set or
 * the separators cannot carry, -EINVAL a call out of order or a bad tag, -ENOSPC out's cap. */
int edi_writer_seg_end(struct edi_writer *w, struct buf *out);

/* What the last failed segment's error was about (e.g. "U+00E9 'é' is not in UNOA");
 * "" when none. Valid until the next call. */
const char *edi_writer_error(const struct edi_writer *w);

#endif
