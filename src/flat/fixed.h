/*
 * fixed — a reader for the fixed-width record files partners and old ERPs send instead of
 * EDI (a 3PL's shipment confirmation as "H" header, "D" detail and "T" trailer lines, a
 * mainframe's order file): one record per line, fields at fixed character positions.
 *
 * The reader knows lines, not record types (the map declares those, doc/edigw-map.5
 * FIXED-WIDTH FILES): it decodes the file (a UTF-8 byte order mark is skipped; a declared
 * 8-bit encoding such as ISO-8859-1 is converted to UTF-8 with iconv), splits it at LF, CRLF or a lone CR, drops the empty lines at the end, and checks
 * every line is UTF-8 without NUL bytes. Positions are characters (code points) of the
 * decoded line, counted from 1: in a file of a single-byte encoding that is the byte the
 * partner's layout names; a tab is one character.
 *
 * The struct fixed_file owns one arena with every line (NUL-terminated, without its line
 * end); lines are spans into it, valid until fixed_file_free.
 *
 * Limits for partner bytes (struct fixed_options, 0 = the default): file size
 * (FIXED_DEF_MAX_BYTES, before decoding), line length in characters (FIXED_DEF_MAX_LINE),
 * lines (FIXED_DEF_MAX_LINES, empty lines at the end not counted). A value equal to a
 * limit is accepted; one above is an error naming the line (and column).
 */
#ifndef EDIGW_FIXED_H
#define EDIGW_FIXED_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define FIXED_DEF_MAX_BYTES (64u * 1024 * 1024)
#define FIXED_DEF_MAX_LINE 65536u
#define FIXED_DEF_MAX_LINES 1000000u

struct fixed_options {
	const char *encoding; /* NULL, "", "UTF-8": UTF-8 (checked); else an iconv name */
	size_t max_bytes, max_line, max_lines; /* limits; 0: FIXED_DEF_* */
};

/* One line: its text without the line end, its file line (1-based) and its length in
 * characters. */
struct fixed_line {
	struct span text;
	uint64_t line;
	size_t nchars;
};

/* A parsed file. */
struct fixed_file {
	struct fixed_line *lines;
	size_t nlines;
	char *arena;
};

/* Where and why a file was rejected (column 0: the whole line or file). */
struct fixed_error {
	uint64_t line;
	size_t column;
	char msg[200];
};

/* Parse len bytes (a whole file) into *f with options o (NULL: defaults). Returns 0, or
 * -EINVAL (not acceptable: *err says where and why; *f is empty), -EFBIG (over max_bytes
 * or max_lines). */
int fixed_parse(struct fixed_file *f, const void *data, size_t len, const struct fixed_options *o,
		struct fixed_error *err);
/* Free the file's storage; the file is empty afterwards. */
void fixed_file_free(struct fixed_file *f);
/* Characters [col, col + len) of a line (col counted from 1): the part of it the line has
 * (shorter, or empty, when the line ends before). Borrowed from the line. */
struct span fixed_field(const struct fixed_line *l, size_t col, size_t len);
/* "line 4, column 3: text" (allocated). */
char *fixed_error_text(const struct fixed_error *e);

#endif
