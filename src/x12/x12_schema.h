/*
 * x12_schema — X12 transaction-set definitions loaded from data files
 * (maps/schemas/x12/<version>/: elements.def, segments.def, <ST01>.def; the
 * format is in doc/x12-schemas.md) and a validator that checks one
 * transaction set against them: segment order, usage, max use, loops, HL
 * hierarchy, element usage/type/length/codes/repetitions/components and the
 * relational conditions P R C E L.
 *
 * Findings are struct x12_error with the 997/999 codes: scope SEGMENT
 * (AK304 1..8) and ELEMENT (AK403 1..13). Element problems are reported as
 * ELEMENT errors only; the ack writer adds the AK3 code 8 for them.
 *
 * Ownership: x12_schema_load returns an object the caller frees with
 * x12_schema_free; definitions found with x12_schema_find are borrowed from
 * it. The schema is read-only after loading and may be shared by threads.
 *
 * Limits: definition files are analyst data, still bounded (file size, line
 * length, counts, loop nesting: see X12_SCHEMA_* below). Validation does not
 * allocate per segment (one state allocation per transaction set).
 */
#ifndef EDIGW_X12_SCHEMA_H
#define EDIGW_X12_SCHEMA_H

#include <stddef.h>

#include "util/util.h"
#include "x12/x12.h"

#define X12_SCHEMA_MAX_FILE (1024 * 1024) /* bytes of one definition file */
#define X12_SCHEMA_MAX_LINE 1024          /* bytes of one line */
#define X12_SCHEMA_MAX_ELEMS 4096         /* elements in one version's dictionary */
#define X12_SCHEMA_MAX_CODES 4096         /* codes of one element */
#define X12_SCHEMA_MAX_SEGS 2048          /* segments (and composites) in one dictionary */
#define X12_SCHEMA_MAX_SEG_ITEMS 99       /* elements of one segment / components of a composite */
#define X12_SCHEMA_MAX_RULES 32           /* relational conditions of one segment / composite */
#define X12_SCHEMA_MAX_ENTRIES 1024       /* segment lines of one transaction set table */
#define X12_SCHEMA_MAX_LOOPS 256          /* loops of one transaction set */
#define X12_SCHEMA_MAX_NEST 32            /* loop nesting in a definition */
#define X12_SCHEMA_MAX_VERSIONS 64        /* version directories */
#define X12_SCHEMA_MAX_TXNS 256           /* transaction sets per version */

struct x12_schema;
struct x12_txn_def;

/* Load every version directory under root/x12 (e.g. root = "maps/schemas").
 * Errors are added to d (not NULL) with file:line; then a negative code
 * (-EINVAL syntax, -ENOENT no version directory, -errno unreadable) and
 * *out = NULL. */
int x12_schema_load(struct x12_schema **out, const char *root, struct diag_list *d);
/* Free a schema; NULL is a no-op. */
void x12_schema_free(struct x12_schema *s);

/* The definition for a GS08 version (first 6 characters: "004010VICS" → 004010)
 * and ST01; NULL when there is none. For an EDIFACT schema: the whole release directory
 * name ("D96A") and the message type ("ORDERS"). */
const struct x12_txn_def *x12_schema_find(const struct x12_schema *s, const char *gs08,
					  const char *st01);

/* The element a definition names as the document's key ('key BEG03': the PO number;
 * 'key BGM02-1': a component) in txn; SPAN_NULL when the definition has none or the
 * segment is absent. */
struct span x12_txn_def_key(const struct x12_txn_def *def, const struct x12_txn *txn);

/* The version ("004010"; EDIFACT: the release directory "D96A") and transaction set id
 * ("850"; EDIFACT: the message type "ORDERS") of a definition. */
const char *x12_txn_def_version(const struct x12_txn_def *def);
const char *x12_txn_def_id(const struct x12_txn_def *def);

/* Validate one transaction set (segs[0] is ST). Adds SEGMENT and ELEMENT errors
 * to errs. Returns the number of findings added (>= 0; the list may have
 * dropped some past X12_MAX_ERRORS). max_loop_depth bounds loop nesting and the
 * HL hierarchy depth (0: X12_SCHEMA_MAX_NEST). */
int x12_schema_validate(const struct x12_txn_def *def, const struct x12_txn *txn,
			size_t max_loop_depth, struct x12_errlist *errs);
/* As x12_schema_validate, and warnings (a code missing from a list marked
 * "partial" in elements.def) go to warns when it is not NULL. Warnings do not
 * reject the document: they must not be put into a result's error list. */
int x12_schema_validate_warn(const struct x12_txn_def *def, const struct x12_txn *txn,
			     size_t max_loop_depth, struct x12_errlist *errs,
			     struct x12_errlist *warns);

/* Check one segment that is not part of a transaction set (an inbound TA1) against its
 * definition in the dictionary of version ("004010"; the first 6 characters count).
 * ELEMENT findings go to errs (seg_pos 0). Returns their number, 0 when the version or
 * the segment has no definition, -EINVAL for bad arguments. */
int x12_schema_check_segment(const struct x12_schema *s, const char *version, const struct x12_tseg *seg,
			     const struct x12_delims *delims, struct x12_errlist *errs);

/* ------------------------------------------------------------------------
 * UN/EDIFACT message definitions use the same engine (doc/edifact-schemas.md):
 * maps/schemas/edifact/<release>/ ("D96A") holds elements.def (EDIFACT formats
 * a..n, an..n, n..n), segments.def (composites Cnnn/Snnn/Ennn) and one <TYPE>.def
 * per message ("message ORDERS", segment groups as loops SG1, SG2 ...). A schema
 * loaded this way reports ISO 9735 syntax error codes (0085) instead of AK304/AK403
 * codes. src/edifact/edi_schema.h is the entry point for EDIFACT callers.
 */

/* Load every release directory under root/edifact (e.g. root = "maps/schemas"); errors
 * and return codes as x12_schema_load. */
int x12_schema_load_edifact(struct x12_schema **out, const char *root, struct diag_list *d);
/* 1 when s holds EDIFACT definitions. */
int x12_schema_is_edifact(const struct x12_schema *s);

/* A partner's overlay of the shipped definitions (partner key schema-overlay;
 * format in doc/x12-schemas.md, "Partner overlays"): make an optional segment or
 * loop mandatory, narrow a max use or a loop repeat, accept extra codes of an
 * element with a warning — without copying the definition. */
struct x12_overlay;

/* Load the overlay file path against the definitions in s. Every problem goes to d
 * with file:line; then -EINVAL (or -errno when unreadable) and *out = NULL. The
 * overlay borrows s's dictionaries: free it before s. */
int x12_overlay_load(struct x12_overlay **out, const struct x12_schema *s, const char *path,
		     struct diag_list *d);
/* Free an overlay; NULL is a no-op. */
void x12_overlay_free(struct x12_overlay *o);
/* The overlay's definition for a GS08 version and ST01 when it changes that one, else
 * x12_schema_find(s, ...). o may be NULL. For an EDIFACT schema: the release directory
 * ("D96A") and the message type (edi_overlay_find adds the UNH lookup rules). */
const struct x12_txn_def *x12_overlay_find(const struct x12_overlay *o, const struct x12_schema *s,
					   const char *gs08, const char *st01);
/* Number of transaction set definitions the overlay changes. */
size_t x12_overlay_count(const struct x12_overlay *o);
/* The overlay file a definition came from, NULL for a shipped definition. */
const char *x12_txn_def_overlay(const struct x12_txn_def *def);

/* ------------------------------------------------------------------------
 * Compiled form, shared by x12_schema.c (loader), x12_validate.c and
 * src/edifact/edi_schema.c only. Not part of the public face: other modules
 * use the functions above.
 */
#ifdef X12_SCHEMA_INTERNAL

#include <stdint.h>

enum xs_type { XS_AN, XS_ID, XS_N, XS_R, XS_DT, XS_TM, XS_B,
	       XS_EA, XS_EAN, XS_EN }; /* EDIFACT a (alphabetic), an, n (numeric: sign, one decimal mark) */

#define XS_IREF 100000 /* interchange elements I01..I99 (ISA, TA1) are stored as XS_IREF + n */

struct xs_elem {
	int ref;
	char *name;    /* analyst name from elements.def ("unit of measure"), may be NULL */
	enum xs_type type;
	int decimals;  /* Nn: n */
	unsigned minlen, maxlen;
	int has_codes, partial;
	char **codes;  /* sorted */
	size_t ncodes;
	uint64_t *ckeys; /* the codes packed (xs_code_key), sorted, when all are 1..8 bytes; else NULL */
};

/* A code of 1..8 bytes packed into an integer (first byte highest); 0 for other lengths. */
static inline uint64_t xs_code_key(const char *p, size_t n)
{
	uint64_t k = 0;
	if (n == 0 || n > 8)
		return 0;
	for (size_t i = 0; i < 8; i++)
		k = (k << 8) | (i < n ? (unsigned char)p[i] : 0);
	return k;
}

struct xs_rule {
	char kind;             /* P R C E L */
	unsigned char n;
	unsigned char pos[X12_SCHEMA_MAX_SEG_ITEMS]; /* 1-based positions */
	char text[24];         /* as written, e.g. "P0102" */
};

struct xs_item {
	char usage;            /* M O X */
	unsigned maxrep;       /* repetitions, >= 1 */
	const struct xs_elem *e;      /* simple element, or */
	const struct xs_comp *c;      /* composite */
};

struct xs_comp {
	char id[8];
	struct xs_item *items;
	size_t n;
	struct xs_rule *rules;
	size_t nrules;
};

struct xs_seg {
	char id[4];
	uint32_t key;          /* the id's bytes packed, for the hash */
	int index;
	struct xs_item *items;
	size_t n;
	struct xs_rule *rules;
	size_t nrules;
};

struct xs_entry {
	int seg;               /* index into the version's segment dictionary */
	char usage;            /* M O */
	uint32_t maxuse;       /* UINT32_MAX: >1 */
	int loop;              /* innermost loop holding the entry, -1 top */
	int trigger;           /* first segment of its loop */
	unsigned line;
};

struct xs_loop {
	char id[8];
	char usage;
	uint32_t maxrep;
	int parent;
	size_t start, end;     /* entries [start, end) */
	int depth;             /* 1 = a top-level loop */
};

/* A code a partner overlay accepts (with a warning) for one element position. */
struct xs_extra {
	int seg;               /* dictionary index of the segment */
	unsigned char elem, comp; /* 1-based element position, component (0: simple) */
	char code[32];
	unsigned line;         /* line in the overlay file */
};

#define XS_MAX_HL 16
#define XS_MAX_ACCEPT 8 /* 'accept' versions of an EDIFACT message (CONTRL D:3, 2:2) */
struct x12_txn_def {
	char version[7];       /* X12 "004010"; EDIFACT release directory "D96A" */
	char id[8];            /* X12 "850"; EDIFACT "ORDERS" */
	char fg[3];
	char accept[XS_MAX_ACCEPT][8]; /* EDIFACT: other UNH 0052:0054 answered ("D:3") */
	size_t naccept;
	const struct xs_ver *ver;
	struct xs_entry *entries;
	size_t nentries;
	struct xs_loop *loops;
	size_t nloops;
	int *first_entry;      /* per dictionary segment: first entry index, -1 none */
	int hl_seg;            /* dictionary index of HL when a hierarchy is declared, else -1 */
	size_t nhl;
	char hl_code[XS_MAX_HL][4];
	int hl_top[XS_MAX_HL];               /* may have no parent */
	uint32_t hl_parents[XS_MAX_HL];      /* bit j: level j may be the parent */
	int key_seg, key_elem; /* 'key SEGNN': dictionary index and element position; -1 none */
	int key_comp;          /* 'key SEGNN-C': component, 0 for the whole element */
	/* Indexes built after loading (x12_schema.c def_index), so placing a segment does not
	 * walk the table: */
	uint32_t *body_bits;   /* per loop, bitwords words: dictionary segments that occur in the
	                        * loop after its trigger (nested loops included) */
	size_t bitwords;
	int *mand;             /* per scope (0: outside loops, L + 1: loop L), ascending: the entries
	                        * whose absence is an error at that level (mandatory segments of the
	                        * level, first entries of its mandatory nested loops) */
	size_t *mand_off;      /* nloops + 2 offsets: scope s is mand[mand_off[s] .. mand_off[s + 1]) */
	const char *overlay;   /* the partner overlay file of a changed copy, NULL when shipped */
	struct xs_extra *extra; /* codes the overlay accepts with a warning */
	size_t nextra;
	struct xs_extra *only;  /* only-codes: per position, the only codes the partner may send */
	size_t nonly;
};

struct xs_ver {
	char name[7];
	int edifact;           /* EDIFACT release directory: formats, codes and messages */
	struct xs_elem *elems;
	size_t nelems;
	struct xs_comp *comps;
	size_t ncomps;
	struct xs_seg *segs;
	size_t nsegs;
	int32_t *hash;         /* open addressing over segs, size hashcap */
	size_t hashcap;
	struct x12_txn_def *txns;
	size_t ntxns;
};

struct x12_schema {
	struct xs_ver *vers;
	size_t nvers;
	int edifact;
};

/* Dictionary index of a segment id (1-3 bytes), -1 when unknown. */
int x12_schema_seg_index(const struct xs_ver *v, const char *id, size_t n);

#endif /* X12_SCHEMA_INTERNAL */

#endif
