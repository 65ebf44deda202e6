/*
 * csv — a reader for the delimited text files partners send instead of EDI (a 3PL's
 * shipment confirmation, an inventory report): RFC 4180 plus what partners really
 * write — another delimiter (';', '|', tab), another quote, a backslash escape, a
 * header row or none, a UTF-8 byte order mark, CRLF or LF (or a lone CR) line ends,
 * quoted delimiters and quoted line breaks, empty lines at the end, and files in a
 * declared 8-bit encoding (ISO-8859-1, Windows-1252...) converted to UTF-8 with iconv.
 *
 * The whole file is parsed at once into a struct csv_table that owns its bytes: every
 * field is a span into the table's arena (quotes removed, doubled quotes and escapes
 * resolved, NUL-terminated per field), valid until csv_table_free. Each row knows the
 * file line it starts on, so findings can name the line and the column (1-based field
 * number) a user opens in a spreadsheet or an editor.
 *
 * Limits for partner bytes (struct csv_options, 0 = the default): file size
 * (CSV_DEF_MAX_BYTES), field length after unquoting (CSV_DEF_MAX_FIELD), fields per row
 * (CSV_DEF_MAX_FIELDS), data rows (CSV_DEF_MAX_ROWS, the header not counted). A value
 * equal to a limit is accepted; one above is an error naming the line and column.
 *
 * A row with fewer or more fields than the header fails the file, unless the caller asks
 * for the bad rows to be listed instead (options.bad_rows, for the partner setting
 * flat.bad-row): then the row is left out and the table says which and why.
 */
#ifndef EDIGW_CSV_H
#define EDIGW_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define CSV_DEF_MAX_BYTES (64u * 1024 * 1024)
#define CSV_DEF_MAX_FIELD (64u * 1024)
#define CSV_DEF_MAX_FIELDS 1000u
#define CSV_DEF_MAX_ROWS 1000000u

/* How to read a file. Zero-initialised options read RFC 4180 UTF-8 with a header row
 * (header = CSV_HEADER_YES is the default: 0 means "yes"). */
enum csv_header { CSV_HEADER_YES = 0, CSV_HEADER_NO = 1 };

struct csv_options {
	char delim;             /* field delimiter; 0: ',' */
	char quote;             /* quote character; 0: '"'; no_quote turns quoting off */
	int no_quote;           /* 1: no quoting at all (quote characters are data) */
	char escape;            /* 0 or the quote itself: a doubled quote is one quote (RFC
	                         * 4180); another character (e.g. '\\'): inside quotes it makes
	                         * the next character data */
	enum csv_header header; /* the first row names the columns (default) or is data */
	const char *encoding;   /* NULL, "", "UTF-8": UTF-8 (checked); otherwise an iconv
	                         * name ("ISO-8859-1", "WINDOWS-1252") converted to UTF-8 */
	int ragged;             /* 1: rows may have fewer or more fields than the first */
	int bad_rows;           /* 1: a row of the wrong width (not ragged) does not fail the
	                         * file: it is left out of rows and listed in the table's bad
	                         * rows (for flat.bad-row); it still counts towards max_rows */
	size_t max_bytes, max_field, max_fields, max_rows; /* limits; 0: CSV_DEF_* */
};

/* One row: its fields and the file line (1-based) it starts on. */
struct csv_row {
	struct span *f;   /* f[0..n-1], each NUL-terminated in the table's arena */
	size_t n;
	uint64_t line;
};

/* A row left out for its width (options.bad_rows): its line, its number of fields. */
struct csv_bad {
	uint64_t line;
	size_t nfields;
};

/* A parsed file. rows are the data rows (without the header row). */
struct csv_table {
	struct csv_row header;  /* n == 0 when the file has no header row */
	struct csv_row *rows;
	size_t nrows;
	size_t width;           /* fields of the header (or of the first row) */
	struct csv_bad *bad;    /* rows of the wrong width, in file order (options.bad_rows) */
	size_t nbad;
	/* owned storage */
	char *arena;
	struct span *fields;
	size_t nfields;
};

/* Where and why a file was rejected. column is the 1-based field number (0 when the
 * problem is the whole file or line). msg has no position; csv_error_text adds it. */
struct csv_error {
	uint64_t line;
	size_t column;
	char msg[200];
};

/* Parse len bytes of data (a whole file) into *t with options o (NULL: defaults).
 * Returns 0, or -EINVAL (the file is not acceptable CSV: *err says where and why; *t is
 * empty), -EFBIG (the file is over max_bytes, or rows over max_rows), -ENOMEM. A row with
 * fewer fields than the header ("short row") or more is an error unless o->ragged. */
int csv_parse(struct csv_table *t, const void *data, size_t len, const struct csv_options *o,
	      struct csv_error *err);
/* Free the table's storage; the table is empty afterwards. */
void csv_table_free(struct csv_table *t);
/* The 1-based column whose header is name (blanks around the header name ignored, ASCII
 * letters compared without case); 0 when the header has no such column. */
size_t csv_column(const struct csv_table *t, const char *name);
/* "line 4, column 3: text" (allocated). */
char *csv_error_text(const struct csv_error *e);
/* What is wrong with a row t left out for its width, as csv_parse would have said it:
 * "line 5: short row: 2 fields, the header has 3" (allocated). */
char *csv_bad_text(const struct csv_table *t, const struct csv_bad *b);

#endif
