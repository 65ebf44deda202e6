/*
 * edi_schema — UN/EDIFACT message definitions (maps/schemas/edifact/<release>/:
 * elements.def, segments.def, one <TYPE>.def per message; format and coverage in
 * doc/edifact-schemas.md) checked by the X12 definition engine (src/x12/x12_schema.h)
 * through the X12 view of a message (edi_view_build).
 *
 * Findings are struct x12_error with ISO 9735 syntax error codes (data element 0085),
 * the way the reader reports them (src/edifact/edifact.h): scope SEGMENT = CONTRL UCS,
 * ELEMENT = UCD; seg_pos counted from UNH = 1, elem_pos the data element position,
 * comp_pos the component, rep_pos the repetition, elem_ref the 4-digit data element
 * number (1004, 65 for 0065). Codes: 12 invalid value (a code not in a full list;
 * in warns for a partial list), 13 missing, 15 not supported in this position, 16 too
 * many constituents, 19 invalid decimal notation, 21 invalid character, 35 too many
 * repetitions, 36 too many segment group repetitions, 37 invalid type of characters,
 * 38 missing digit in front of decimal sign, 39 too long, 40 too short, 48 dependency
 * notes condition violated.
 *
 * The schema is a struct x12_schema loaded from root/edifact: x12_schema_free frees it,
 * and the partner overlays (x12_overlay_load, 'transaction D96A ORDERS' headers) work on
 * it as on an X12 schema; edi_overlay_find finds a definition through an overlay.
 *
 * Ownership: definitions are borrowed from the schema (or overlay). Validation keeps
 * no state between messages except what the caller's struct edi_view holds.
 * Limits: the definition files' limits are those of x12_schema.h; a message is bounded
 * by the reader's edi_limits; loop nesting by max_loop_depth.
 */
#ifndef EDIGW_EDI_SCHEMA_H
#define EDIGW_EDI_SCHEMA_H

#include <stddef.h>

#include "edifact/edifact.h"
#include "x12/x12_schema.h"

/* Load every release directory under root/edifact (root e.g. "maps/schemas"). Errors go
 * to d with file:line; then a negative code and *out = NULL. Free with x12_schema_free. */
int edi_schema_load(struct x12_schema **out, const char *root, struct diag_list *d);

/* The definition of a message type for UNH 0052 version ("D") and 0054 release ("96A"):
 * the release directory "D96A", else the first directory (in name order) whose definition
 * of that type accepts "version:release" (CONTRL D:3). NULL when there is none. */
const struct x12_txn_def *edi_schema_find(const struct x12_schema *s, const char *version, const char *release,
					  const char *type);
/* As edi_schema_find, through a partner overlay (the overlay's copy when it changes that
 * definition). o may be NULL. */
const struct x12_txn_def *edi_overlay_find(const struct x12_overlay *o, const struct x12_schema *s,
					   const char *version, const char *release, const char *type);

/* Check one message (UNH first, UNT last when present) against def. Findings go to errs,
 * warnings (codes outside partial lists, codes a partner overlay accepts) to warns when
 * not NULL. view: memory reused across messages (zero it before the first call, free it
 * with edi_view_free); NULL builds a temporary one. When the call returns >= 0, view holds
 * msg's view (map_apply_edifact can read it). Returns the number of errors added (>= 0), or -EINVAL (bad arguments, def not an EDIFACT definition) / -ENOMEM. */
int edi_schema_validate(const struct x12_txn_def *def, const struct edi_msg *msg, struct edi_view *view,
			size_t max_loop_depth, struct x12_errlist *errs, struct x12_errlist *warns);

/* The document's key of def ('key BGM02': the order number) in msg; {NULL, 0} when none. */
struct edi_val edi_schema_key(const struct x12_txn_def *def, const struct edi_msg *msg);

#endif
