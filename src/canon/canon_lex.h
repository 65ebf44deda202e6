/*
 * canon_lex — the line tokenizer shared by map files (src/map) and ERP
 * profiles (src/canon/erp.c): both are tables an analyst writes, one
 * entry per line. Internal to the map and canon modules.
 *
 * Rules (doc/edigw-map.5, "Lexical structure"):
 *   - a line is split into tokens on blanks (space, tab);
 *   - '#' at the start of a token begins a comment that runs to the end of the line;
 *   - '"' opens a quoted part that may hold blanks and '#'; inside it \" and \\ stand
 *     for '"' and '\'; quoted and unquoted parts of one token are joined ("K=\"a b\"");
 *   - the indentation (leading spaces) is kept for block structure; a tab in the
 *     indentation is an error, because its width is ambiguous;
 *   - CR before LF is ignored; NUL bytes, other control characters and lines longer
 *     than CANON_LEX_MAX_LINE bytes are errors.
 */
#ifndef EDIGW_CANON_LEX_H
#define EDIGW_CANON_LEX_H

#include <stddef.h>

#include "util/util.h"

#define CANON_LEX_MAX_FILE (1024 * 1024) /* bytes of one map or profile file */
#define CANON_LEX_MAX_LINE 4096          /* bytes of one line, without its newline */
#define CANON_LEX_MAX_TOKENS 64          /* tokens on one line */

struct canon_tok {
	char *s;    /* token text with quotes removed and escapes resolved */
	int quoted; /* 1 when the token began with '"' (a literal) */
};

struct canon_line {
	size_t lineno; /* 1-based */
	size_t indent; /* leading spaces */
	struct canon_tok *tok;
	size_t ntok;   /* >= 1: blank and comment-only lines are dropped */
};

/* Tokenize text (len bytes) of file. Lines with errors are reported to d (file:line) and
 * left out; the others go to *out. Returns 0, or -EINVAL when an error was reported. */
int canon_lex(struct canon_line **out, size_t *nout, const char *text, size_t len,
	      const char *file, struct diag_list *d);
/* Read file (at most CANON_LEX_MAX_FILE bytes) and tokenize it; unreadable files are
 * reported to d. */
int canon_lex_file(struct canon_line **out, size_t *nout, const char *file, struct diag_list *d);
void canon_lex_free(struct canon_line *v, size_t n);

#endif
