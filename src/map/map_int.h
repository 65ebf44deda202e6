/*
 * map_int.h — the map module's internal structures, shared by map.c
 * (parse, extends, compile), map_apply.c (X12 and EDIFACT → canonical), map_check.c
 * (schema checks) and map_elemref.c (X12 element reference numbers).
 * Not part of the module's public face (map.h).
 *
 * A map is parsed file by file into struct mfile, the extends chain is
 * merged (overlay lines replace base lines with the same target) and the
 * result compiled once: segment ids interned, loop roles tabulated, path
 * steps resolved against their loop scope, tables sorted. Applying a map
 * then does no parsing and no XPath.
 */
#ifndef EDIGW_MAP_INT_H
#define EDIGW_MAP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/xpath.h>

#include "canon/canon_path.h"
#include "map/map.h"

#define MAP_MAX_EXTENDS 8       /* extends hops from the file given to map_load */
#define MAP_MAX_DEPTH 8         /* nesting of each blocks */
#define MAP_MAX_LOOP_DEPTH 8    /* nesting of loop definitions */
#define MAP_MAX_LIST 100000     /* list elements one each makes per list */
#define MAP_MAX_FIELDS 10000    /* field lines after merging */
#define MAP_MAX_LOOPS 128
#define MAP_MAX_SEGIDS 250      /* distinct segment ids named in loop definitions */
#define MAP_MAX_TABLES 256
#define MAP_MAX_TABLE_ENTRIES 4096
#define MAP_MAX_ALTS 8          /* alternatives A|B in one source */
#define MAP_MAX_STEPS 8         /* segment steps in one source path */
#define MAP_MAX_CONDS 8         /* conditions on one step */

#define MAP_CSV_MAX_COL 1000   /* C1..C1000 */
#define MAP_CSV_MAX_NAMES 1000  /* distinct @names in one map */

#define MAP_FIXED_MAX_COL 65536 /* fixed-width positions 1..65536 (the reader's line limit) */
#define MAP_MAX_RECORDS 64      /* record types of a fixed-width map */

#define MAP_MAX_XREFS 64        /* xref lines of a map */
#define MAP_XREF_MAX_BYTES (16u * 1024 * 1024) /* one cross-reference file */
#define MAP_XREF_MAX_ROWS 1000000u

#define MAP_MAX_NAMESPACES 32   /* namespace lines of an XML map */
#define MAP_XPATH_MAX 1024      /* bytes of one xpath(...) expression */

#define MAP_SEG_SPACE (37 * 37 * 37) /* packed segment ids */

/* Pack a 2- or 3-character segment id ([A-Z][A-Z0-9]{1,2}) into 1..MAP_SEG_SPACE-1;
 * 0 when s is not a segment id. */
uint32_t map_seg_pack(const char *s, size_t n);
/* The same for a fixed-width record type name, which may also be one letter ("H"); the
 * packed values of 2- and 3-character ids are map_seg_pack's. */
uint32_t map_rec_pack(const char *s, size_t n);

/* ---------------------------------------------------------- source side */

/* [N101=ST|BT] or [N101!=ST]: compares the trimmed element (or component).
 * [LIN] or [!LIN] (holds != 0): the loop occurrence the step's segment starts holds (or
 * does not hold) a LIN segment or a LIN loop directly; on a hierarchical loop's own start
 * segment ([CPS] on CPS, [HL] on HL), it has children. */
struct mcond {
	int elem, comp;
	size_t fx_start, fx_len; /* fixed-width: [D:20+1=X] (fx_len > 0); compile sets elem */
	int neg;
	char **vals;
	size_t nvals;
	uint32_t holds;     /* packed segment id of a holds condition, 0 for a value test */
	char holds_id[4];
};

enum step_kind {
	STEP_UNRESOLVED = 0,
	STEP_OWN,    /* the scope's own segment (loop start, or the segment an each bound) */
	STEP_ENTER,  /* the start of a loop occurrence below the scope */
	STEP_PLAIN,  /* a segment directly in the scope */
	STEP_CHILD,  /* each HL inside each HL: the HL loops whose HL02 names this HL01 */
};

struct mstep {
	uint32_t seg;
	char id[4];
	struct mcond *conds;
	size_t nconds;
	char *text;          /* as written, for messages ("N1[N101=ST]") */
	enum step_kind kind; /* resolved by compile */
	int loop;            /* STEP_ENTER: the loop entered */
};

/* A path into the transaction set: segment steps, then an element. */
struct mpath {
	struct mstep *steps;
	size_t nsteps;
	int absolute;        /* leading '/': read from the top level, whatever the scope */
	int elem, comp;      /* element position (1-based), component (0: whole element) */
	char *text;
	/* CSV maps: "@name" (csv_name) or "C3" (csv_col 3), read on the ROW segment of the
	 * CSV view; compile sets elem to the column's slot (map_csv_slots) */
	char *csv_name;
	int csv_col;
	/* fixed-width maps: "D:12-19" or "D:12+8" (fx_len > 0), read on the record's line;
	 * compile sets elem to the field's slot in its record (struct mrec) */
	size_t fx_start, fx_len;
	char *fx_text;       /* "D:12+8" as written */
	/* XML maps: "xpath(EXPR)" (xpath != NULL, no steps), compiled by map_load against the
	 * map's namespace lines, evaluated at the current node */
	char *xpath;
	xmlXPathCompExprPtr xcomp;
};

/* A fixed-width field a map reads in one record type: slot k of the record's view
 * segment (1-based, in order of first use). */
struct mslot {
	size_t start, len;
	char *text;          /* as first written ("D:12+8") */
};

/* "record NAME at COL \"TEXT\" [length N[-M]]": a line whose characters at COL are TEXT is
 * a NAME record (the first such declaration wins); without "at", any line no other
 * record matches. */
struct mrec {
	char name[4];
	uint32_t seg;        /* map_rec_pack(name) */
	size_t at;           /* 0: the catch-all */
	char *lit;
	size_t litchars;
	size_t minlen, maxlen; /* length N / N-M (characters), 0: any */
	const char *file;
	size_t line;
	struct mslot *slots; /* filled by compile */
	size_t nslots;
};

enum msrc { SRC_NONE = 0, SRC_PATH, SRC_PAIR, SRC_LITERAL, SRC_INDEX, SRC_EACH };
enum mfmt { FMT_NONE = 0, FMT_DATE, FMT_TIME, FMT_NUMBER, FMT_DECIMAL };
enum mtrim { TRIM_BOTH = 0, TRIM_RAW, TRIM_SQUEEZE };
enum mcheck { CHECK_NONE = 0, CHECK_COUNT, CHECK_SUM };

#define DATE_CCYYMMDD 1u
#define DATE_YYMMDD 2u
#define DATE_CCYYMMDDHHMM 4u   /* EDIFACT 2379 code 203 */
#define DATE_CCYYMMDDHHMMSS 8u /* EDIFACT 2379 code 204 */

struct mblock;

/* One field line (or an each line with its block). */
struct mfield {
	const char *file;       /* borrowed from struct map's file list */
	size_t line;
	char *target;           /* as written, without a leading "./" */
	struct canon_path tpath;
	int drop;               /* "target  -" in an overlay */
	enum msrc src;
	struct mpath *alts;     /* PATH: alternatives; PAIR: the start element; EACH: one step */
	size_t nalts;
	char **quals;           /* PAIR qualifiers, in priority order */
	size_t nquals;
	char *literal;          /* LITERAL */
	int required;
	char *def;              /* default value */
	int def_index;          /* default $index */
	char *table_name;
	int table;              /* resolved: index into map->tables, -1 none */
	char *xref_name;        /* "xref NAME" */
	int xref;               /* resolved: index into map->xrefs, -1 none */
	enum mfmt fmt;
	unsigned date_fmts;
	int date_codes;         /* formats written as EDIFACT 2379 codes (date 102|203): the
	                         * component after the value, when present, names the format */
	int implied;            /* number Nn: implied decimal places */
	enum mtrim trim;
	enum mcheck check;
	struct canon_path chk;  /* check count(PATH) / sum(PATH) */
	size_t max;             /* EACH: most elements (default MAP_MAX_LIST) */
	struct mblock *block;   /* EACH: the fields of each element */
	int fresh;              /* no other field of the block shares the first target step */
	int loop_scope;         /* EACH: loop the block reads (-1: none/root) */
	int bound_plain;        /* EACH over a plain segment */
	int group;              /* EACH: "each group @col" (CSV) or "each group D:3-12" (fixed):
	                         * alts[0] is the key, a column or field of the rows (lines)
	                         * grouped, whose single step is their ROW segment or record
	                         * type; one element per distinct trimmed value, in order of
	                         * first appearance; the block reads the group's first row
	                         * and "each row" (each D) inside repeats the group's rows */
};

struct mblock {
	struct mfield **v;
	size_t n, cap;
};

/* --------------------------------------------------------------- loops */

struct mloop {
	char *name;
	const char *file;
	size_t line;
	char **members;         /* as written; members[0] is the start segment */
	size_t nmembers;
	uint32_t start;         /* packed start segment */
	int start_idx;          /* interned start segment */
};

/* --------------------------------------------------------------- tables */

struct mentry {
	char *code;
	char *value;
	const char *file;
	size_t line;
};

struct mtable {
	char *name;
	const char *file;
	size_t line;
	struct mentry *v;       /* sorted by code after compile */
	size_t n;
	char *star;             /* "*=VALUE": value for any other code, or NULL */
	int star_pass;          /* "*=*": any other code passes unchanged */
	size_t star_line;
};

/* --------------------------------------------------------------- xrefs */

/* "xref NAME FILE FROM TO [else VALUE | else *]": a cross-reference read from a CSV file
 * (with a header row) beside the map: the value in column FROM becomes the one in column
 * TO of the same row. */
struct mxref {
	char *name;
	char *path;             /* the CSV file, relative to the map that names it, resolved */
	char *shown;            /* the file as the xref line names it, for messages */
	char *from, *to;        /* column names (or C3) as written */
	const char *file;       /* the map file and line of the xref line */
	size_t line;
	char *else_value;       /* else VALUE: for any value the file lacks, or NULL */
	int else_pass;          /* else *: such a value passes unchanged */
	struct mentry *v;       /* sorted by code after compile (file = NULL, line = CSV line) */
	size_t n;
};

/* ------------------------------------------------------------------ map */

struct map {
	char **files;           /* every file of the extends chain (owned) */
	size_t nfiles;
	char *name;
	char *std, *type;       /* source standard and document type */
	int edifact;            /* source edifact: paths read the EDIFACT view (edi_view) */
	uint32_t hier_seg;      /* start segment of hierarchical loops: HL (x12), CPS (edifact) */
	char *kind;             /* target record kind */
	const char *target_file;
	size_t target_line;     /* where "target" was given (for map check messages) */
	char *key;
	struct canon_path keypath;
	struct mloop *loops;
	size_t nloops;
	struct mtable *tables;
	size_t ntables;
	struct mxref *xrefs;
	size_t nxrefs;
	struct mblock root;
	/* compiled loop structure */
	uint8_t *intern;        /* MAP_SEG_SPACE entries: interned index + 1, 0 = unknown */
	size_t nids;
	uint32_t ids[MAP_MAX_SEGIDS];
	int16_t *role;          /* (nloops + 1) x nids; row nloops is the top level */
	/* source csv: each data row is a ROW segment whose elements are slots: slot k
	 * (1..ncsv_names) the column headed csv_names[k-1], slot ncsv_names + c column c */
	int csv;
	char **csv_names;
	const char **csv_name_file;
	size_t *csv_name_line;  /* first map line naming each column */
	size_t ncsv_names;
	int csv_maxcol;         /* highest Cn the map reads */
	struct mpath group_by;  /* "group-by @col": one record per value (nsteps 0: none) */
	const char *group_by_file;
	size_t group_by_line;
	/* source fixed: lines are view segments named by their record type, whose elements
	 * are the record's slots */
	int fixed;
	struct mrec *recs;
	size_t nrecs;
	int group_rec;          /* "group-by H": each H line starts a record (-1: none) */
	/* source xml: fields are xpath(...) expressions (group_by.xpath: one record per node) */
	int xml;
	char **ns_prefix, **ns_uri; /* namespace lines, for every XPath context */
	size_t nns;
};

/* An XPath context for m's expressions on doc: the map's namespaces registered, errors
 * to err (reset by the caller, may be NULL: dropped). Free with xmlXPathFreeContext. */
xmlXPathContextPtr map_xpath_context(const struct map *m, xmlDocPtr doc, struct buf *err);

/* libxml2's generic error function of this thread while XPath is evaluated: the messages
 * it prints for some errors go to err instead of stderr (map_xpath_quiet), then back. */
struct map_xpath_saved {
	xmlGenericErrorFunc fn;
	void *ctx;
};
void map_xpath_quiet(struct buf *err, struct map_xpath_saved *saved);
void map_xpath_loud(const struct map_xpath_saved *saved);

/* The record type of a line of a fixed-width file: an index into m->recs, -1 when none
 * matches, -2 for an empty line (skipped). */
int map_fixed_type(const struct map *m, const struct fixed_line *l);

/* Role of interned segment k in loop L (L = nloops: the top level):
 * 0 not a member, 1 a plain member, 2 + E the start of loop E nested here. */
static inline int map_role(const struct map *m, int loop, int k)
{
	return m->role[(size_t)(loop < 0 ? (int)m->nloops : loop) * m->nids + (size_t)k];
}

/* Interned index of a packed segment id, -1 when no loop names it. */
static inline int map_intern(const struct map *m, uint32_t seg)
{
	return seg && seg < MAP_SEG_SPACE ? (int)m->intern[seg] - 1 : -1;
}

/* Loop L is hierarchical: it starts with the X12 HL segment (HL01 its id, HL02 its
 * parent's id) or, in an EDIFACT map, with CPS (CPS01 its id, CPS02 its parent's id), so
 * an each over it may nest inside itself (STEP_CHILD). */
static inline int map_loop_hier(const struct map *m, int loop)
{
	return loop >= 0 && m->loops[loop].start == m->hier_seg;
}

/* The DATE_* bit of an EDIFACT date/time format code (2379: 101, 102, 203, 204); 0 for
 * any other code. */
unsigned map_date_code(struct span code);

/* Free a field and its block. */
void map_field_free(struct mfield *f);
void map_block_free(struct mblock *b);

/* X12 data element reference number of element pos of segment id (0 when unknown). */
int map_elem_ref(const char *seg_id, int pos);

#endif
