/*
 * outmap — outbound maps: how a canonical record becomes the body of an X12
 * transaction set (855, 856, 810, 940...) or an UN/EDIFACT message (ORDRSP,
 * DESADV, INVOIC). The envelope (ISA/GS/ST/SE/GE/IEA, UNB/UNH/UNT/UNZ) is the
 * gateway's: a map writes the segments between ST and SE (UNH and UNT).
 *
 * A map is a table an analyst writes (doc/edigw-map.5, "OUTBOUND MAPS"):
 *
 *   map      x12-855
 *   source   order-response          the canonical kind it reads
 *   target   x12 855                 or: edifact ORDRSP
 *   version  004010                  GS08 (X12) or D:96A:UN[:EAN005] (EDIFACT 0052:0054:0051:0057)
 *   key      po-number               the business key recorded with the sent document
 *   table    ack-type  accepted=AC rejected=RJ *=IA
 *
 *   segment BAK required             a segment; its element lines are indented below it
 *     BAK01  "00"
 *     BAK03  po-number   required
 *     BAK04  po-date     date CCYYMMDD
 *   each lines/line                  a block written once per element at the path
 *     segment PO1 required
 *       PO101  number
 *   hl S                             (X12) an HL level: HL01 counter, HL02 parent, HL03 S,
 *     hl O each shipment/orders/order       HL04 whether levels follow below it
 *
 * Rendering gives a list of segments whose elements hold their components
 * joined by OMAP_COMP (0x1F); omap_write_x12 / omap_write_edifact turn that
 * into bytes with the partner's separators.
 *
 * Limits: CANON_LEX_MAX_FILE per map; 512 nodes deep 32; 99 elements and 99
 * components per segment; OMAP_MAX_SEGMENTS segments per document.
 * Ownership: a map owns everything it compiled; a rendered document owns its
 * segments.
 */
#ifndef EDIGW_OUTMAP_H
#define EDIGW_OUTMAP_H

#include <stddef.h>

#include <libxml/tree.h>

#include "util/util.h"

#define OMAP_COMP '\x1f'            /* component separator inside a rendered element */
#define OMAP_MAX_SEGMENTS 1000000   /* segments one rendered document may hold */

struct omap;

struct omap_seg {
	char id[4];
	char **el;      /* el[i] is element i+1 ("" when empty); components joined by OMAP_COMP */
	size_t nel;     /* trailing empty elements are not kept */
	size_t line;    /* map line of the segment (for messages) */
};

struct omap_doc {
	struct omap_seg *segs;
	size_t n, cap;
	char *key;      /* the record's business key ('key' line), or NULL */
};

/* Load an outbound map; every problem goes to d with file and line. 0 or -EINVAL. */
int omap_load(struct omap **out, const char *path, struct diag_list *d);
void omap_free(struct omap *m);
/* Is the file an outbound map (a 'target x12 ...' or 'target edifact ...' line)? */
int omap_is_outbound(const char *path);

const char *omap_file(const struct omap *m);
const char *omap_kind(const struct omap *m);     /* canonical record kind read */
int omap_edifact(const struct omap *m);          /* 1: EDIFACT, 0: X12 */
const char *omap_doc_type(const struct omap *m); /* "855", "ORDRSP" */
const char *omap_version(const struct omap *m);  /* "004010", "D:96A:UN:EAN005" */

/* For map check: every canonical path the map reads, with the path of its block
 * (NULL at the top) and the map line. */
typedef void (*omap_path_fn)(void *ctx, const char *base, const char *path, size_t line);
void omap_paths(const struct omap *m, omap_path_fn fn, void *ctx);

/* Render one record. forbidden: characters a value may not hold (the X12 separators;
 * NULL for EDIFACT, whose writer escapes). On a data problem returns -EINVAL with the
 * reason in err: the map line, the segment and element, the record position. */
int omap_render(const struct omap *m, xmlDocPtr doc, const char *forbidden, struct omap_doc *out,
		struct buf *err);
void omap_doc_free(struct omap_doc *d);

/* Append the segments as X12 (elem/comp/seg separators; newline after each segment
 * when nl). */
void omap_write_x12(const struct omap_doc *d, char elem, char comp, char seg, int nl, struct buf *out);
/* Append the segments as EDIFACT through w (escaping, character set). A value the
 * character set cannot carry: -EILSEQ with the segment and element in err. */
struct edi_writer;
int omap_write_edifact(const struct omap_doc *d, struct edi_writer *w, struct buf *out, struct buf *err);

#endif
