/*
 * map — map files: an EDI analyst's table saying where each canonical field
 * comes from (doc/edigw-map.5). This version reads X12 transaction sets,
 * EDIFACT messages, CSV, fixed-width and XML files into canonical records.
 *
 * A map may extend another map ("extends PATH") and replace or add lines,
 * so a partner overlay is a few lines, not a copy.
 */
#ifndef EDIGW_MAP_H
#define EDIGW_MAP_H

#include <libxml/tree.h>

#include "edifact/edifact.h"
#include "flat/csv.h"
#include "flat/fixed.h"
#include "util/util.h"
#include "x12/x12.h"

struct map;

/* Load and check a map file (following extends, at most 8 deep). Every problem goes to d
 * with the map file and line. Returns 0 when there were no errors. */
int map_load(struct map **out, const char *path, struct diag_list *d);
void map_free(struct map *m);
/* Lint a map: syntax plus checks that need a schema (canonical fields known to the
 * RELAX NG schema at rng_path when non-NULL, required fields set). An ERP profile
 * (whose source line names a canonical record kind) is checked as one: its syntax and
 * the canonical paths its columns read. Returns 0 when there were no errors. */
int map_check(const char *path, const char *rng_path, struct diag_list *d);

/* What the map reads and writes, borrowed: source standard ("x12", "edifact"), document
 * type ("850", "ORDERS"), output record kind ("order"). */
const char *map_source_standard(const struct map *m);
const char *map_source_type(const struct map *m);
const char *map_target_kind(const struct map *m);
/* The map's group-by as written ("@order_no", "H", "xpath(/A/B)"), borrowed; "" without. */
const char *map_group_by_text(const struct map *m);

/* Apply an inbound X12 map to one transaction set. Builds the canonical record (*out,
 * also on errors, caller frees with xmlFreeDoc) and adds every data problem to errs with
 * its X12 code and position (segment position from ST = 1, element, component).
 * *business_key gets the record's key (e.g. PO number) if the map names one (allocated
 * or NULL). Returns 0, or <0 on an internal failure. */
int map_apply_x12(const struct map *m, const struct x12_txn *txn, xmlDocPtr *out,
		  struct x12_errlist *errs, char **business_key);

/* Apply an inbound EDIFACT map ("source edifact ORDERS") to one message: the same as
 * map_apply_x12 on the message's X12 view (edi_view_build; paths like BGM02-1 and
 * DTM[DTM01-1=137]/DTM01-2). The message type (0065) must be the map's. The record's
 * source element is filled from UNB/UNG/UNH (standard "edifact", version "D96A" or
 * "D96A EAN008"); the gateway adds the partner (canon_set_source(doc, partner, NULL)).
 * Findings carry EDIFACT positions and ISO 9735 syntax error codes (0085: 12 invalid
 * value, 13 missing, 21 invalid character, 35/36 too many repetitions, 37 invalid type
 * of character): seg_pos counted from UNH = 1, elem_pos, comp_pos, elem_ref 0. A map
 * for the wrong message type or standard, or a view that cannot be built: <0 (no
 * record). view: the view of msg the caller already built (edi_view_build, or the one
 * edi_schema_validate left in its view argument), read as it is; NULL builds a temporary
 * one. */
int map_apply_edifact(const struct map *m, const struct edi_msg *msg, const struct edi_view *view,
		      xmlDocPtr *out, struct x12_errlist *errs, char **business_key);

/* CSV maps ("source csv SHIPCONF", doc/edigw-map.5 CSV FILES). A map with "group-by
 * @col" makes one record per distinct value of the column (trimmed; rows need not be
 * adjacent), otherwise one record per file. */
struct map_csv_group {
	char *key;      /* the group-by value ("" without group-by) */
	size_t *rows;   /* indexes into the table's rows, in file order */
	size_t nrows;
};

/* Split t's data rows into the map's groups, ordered by their first row (*out allocated,
 * free with map_csv_groups_free; no data rows: *n = 0). Returns 0, -EINVAL (not a CSV
 * map) or -ENOENT (the group-by column is not in the header). */
int map_csv_groups(const struct map *m, const struct csv_table *t, struct map_csv_group **out,
		   size_t *n);
void map_csv_groups_free(struct map_csv_group *g, size_t n);

/* Apply a CSV map to rows[0..nrows) of t (a group's rows; rows NULL: every data row).
 * As map_apply_x12: *out is the record (source: standard csv, document-type the map's
 * NAME), errs gets every problem, *business_key the key field. A finding's line is the
 * file line of the row, elem_pos the file column (1-based; 0 when the header lacks the
 * column), seg_id "ROW", file_seg the data row number, and its message says "line L,
 * column C (name)" and the map file:line. A column the map names by @name and the
 * header lacks is a finding (scope TXN) naming the map line. Returns 0, or -EINVAL for
 * a map that is not a CSV map, no rows or a row index out of range. */
int map_apply_csv(const struct map *m, const struct csv_table *t, const size_t *rows,
		  size_t nrows, xmlDocPtr *out, struct x12_errlist *errs, char **business_key);

/* Which rows (lines) of a CSV or fixed-width record its findings reject, for the partner
 * setting flat.bad-row = reject-row. bad and why have one entry per row handed to the
 * apply function (the caller zeroes them): a finding in the fields of an each block marks
 * the rows of the list element being made bad (its row, or every line of the loop
 * occurrence it repeats) and keeps the first such finding of each row in why[i]
 * ("FIELD: line L, column C ... (map FILE:LINE) (value 'x')", allocated: the caller frees
 * it). Any other finding (a top-level field, which reads the record's first row; a check;
 * a column the header lacks; more elements than max) sets record_bad: it is not one
 * row's fault. */
struct map_rowflags {
	unsigned char *bad;
	char **why;
	int record_bad;
};

/* Nested groups ("each group @col", "each group D:3-12"; doc/edigw-map.5 CSV FILES, Nested
 * groups): a finding in the fields of an each group's block (read on the group's first
 * row) marks every row of that group; a finding in an each row inside it marks its row;
 * a row whose key is empty is in no group, and its finding marks that row alone. */

/* map_apply_csv that also fills rf (NULL: the same as map_apply_csv). */
int map_apply_csv_flags(const struct map *m, const struct csv_table *t, const size_t *rows,
			size_t nrows, xmlDocPtr *out, struct x12_errlist *errs, char **business_key,
			struct map_rowflags *rf);

/* Fixed-width maps ("source fixed NAME", doc/edigw-map.5 FIXED-WIDTH FILES). A line the map
 * cannot use: a line of no declared record type, or of a length its record forbids. */
struct map_badline {
	uint64_t line;
	size_t column;
	char *text;     /* "line 7, column 1: ..." with the map line (allocated) */
};

/* A group of lines, one canonical record: with "group-by H", the lines before the file's
 * first H record (a file header, read by every record) and then an H line and the lines
 * up to the next H; without, every line. */
struct map_fixed_group {
	size_t *lines;  /* indexes into f->lines, in file order */
	size_t nlines;
	uint64_t line;  /* the file line the group starts on (its H line) */
};

/* Split f's lines into the map's groups (*out allocated; no line: *n = 0) and list the
 * lines no group holds because they are bad (*bad allocated, may be NULL; empty lines are
 * skipped quietly; a file with lines but no group-by record is one bad line, the first).
 * Returns 0 or -EINVAL (not a fixed-width map). */
int map_fixed_groups(const struct map *m, const struct fixed_file *f, struct map_fixed_group **out,
		     size_t *n, struct map_badline **bad, size_t *nbad);
void map_fixed_groups_free(struct map_fixed_group *g, size_t n);
void map_badlines_free(struct map_badline *b, size_t n);

/* Apply a fixed-width map to lines[0..nlines) of f (a group's lines; lines NULL: every
 * line). Lines of no record type are skipped (map_fixed_groups reports them). As
 * map_apply_csv_flags: the record (source: standard fixed, document-type NAME), findings
 * naming the file line and the character positions ("line 5, columns 12-19 (D:12+8)"),
 * elem_pos the first column, seg_id the record type, file_seg the line's index + 1; rf
 * (may be NULL) as for CSV, with the lines of an each element's loop occurrence. Returns
 * 0, or -EINVAL for a map that is not a fixed-width map, no line or an index out of range. */
int map_apply_fixed(const struct map *m, const struct fixed_file *f, const size_t *lines,
		    size_t nlines, xmlDocPtr *out, struct x12_errlist *errs, char **business_key,
		    struct map_rowflags *rf);

/* XML maps ("source xml NAME", doc/edigw-map.5 XML DOCUMENTS; documents from xmldoc_parse).
 * The nodes the map's group-by xpath(...) selects (evaluated at the root element), one
 * canonical record each, in document order; without group-by the root element
 * (*out allocated, free(); *n may be 0). Returns 0, -EINVAL (not an XML map, or the
 * expression fails on this document: *why says why, allocated). */
int map_xml_groups(const struct map *m, xmlDocPtr doc, xmlNodePtr **out, size_t *n, char **why);
/* Apply an XML map with node (a group's node; NULL: the root element) as the current
 * node: as map_apply_csv, the record (source: standard xml, document-type NAME) and every
 * finding, which names the document's line and the node's path ("line 14
 * (/ShipConfirm/Lines/Line[2]/Qty)") and the map line; seg_id is empty. Returns 0, or
 * -EINVAL for a map that is not an XML map or a node of another document. */
int map_apply_xml(const struct map *m, xmlDocPtr doc, xmlNodePtr node, xmlDocPtr *out,
		  struct x12_errlist *errs, char **business_key);

#endif
