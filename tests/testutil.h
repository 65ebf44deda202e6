/*
 * testutil — helpers shared by the Check suites: temporary directories,
 * fixture paths, reading files, running the real edigw binary.
 */
#ifndef EDIGW_TESTUTIL_H
#define EDIGW_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* A fresh temporary directory (removed by tu_rmtree); allocated path. */
char *tu_tmpdir(void);
/* rm -rf of a directory tree we created. */
void tu_rmtree(const char *path);
/* $EDIGW_SRCDIR/rel (or ./rel). Allocated. */
char *tu_srcpath(const char *rel);
/* $EDIGW_CORPUS or NULL when that folder does not exist. Allocated. */
char *tu_corpus(void);
/* Whole file as a NUL-terminated string (NULL if missing); length in *len if non-NULL. */
char *tu_read(const char *path, size_t *len);
/* Write a file (creating/truncating). Returns 0 on success. */
int tu_write(const char *path, const void *data, size_t len);
/* Count the regular files in a directory that do not start with '.'; -1 if missing. */
int tu_count_files(const char *dir);
/* The k-th (0-based, sorted) visible regular file name in dir, or NULL. Allocated. */
char *tu_nth_file(const char *dir, int k);
/* First regular file name (sorted) in dir, or NULL. Allocated. */
char *tu_first_file(const char *dir);
/* Run $EDIGW_BIN with argv (NULL-terminated, argv[0] excluded); capture stdout+stderr
 * into *out (allocated, may be NULL). Returns the exit status, or -1 on signal. */
int tu_run(char **out, const char *const *args);
/* tu_run of "-c conf" and the NULL-terminated arguments that follow (at most 29). */
int tu_edigw(const char *conf, char **out, ...);
/* Run a suite with Check's normal output; returns the exit status for main(). Frees s. */
int tu_run_suite(Suite *s);
/* Replace every occurrence of `from` with `to` in s. Allocated. */
char *tu_replace(const char *s, const char *from, const char *to);
/* Run SQL on a database file (sqlite3); 0 or -1. */
int tu_sql(const char *db, const char *sql);
/* Poll a read-only query every 10 ms until it returns a row (0), or -1 after timeout_ms:
 * for state another thread or process writes just after the test saw its effect. */
int tu_sql_wait(const char *db, const char *query, int timeout_ms);

struct diag_list;
struct map;
/* "file:line: [warning: ]message" lines of d, each file without its directory. Allocated. */
char *tu_diag_text(const struct diag_list *d);
/* Write text as dir/name, load it as a map; *out gets the map (NULL: freed). Returns the
 * diagnostics as tu_diag_text. */
char *tu_map_try(const char *dir, const char *name, const char *text, struct map **out);
/* Load the map $EDIGW_SRCDIR/rel; the test fails on an error. */
struct map *tu_map_fixture(const char *rel);

#endif
