/* testutil.c — helpers shared by the Check suites (see testutil.h). */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "map/map.h"
#include "util/util.h"

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/edigw-test-XXXXXX", base && *base ? base : "/tmp");
	char *d = mkdtemp(tmpl);
	if (!d) {
		perror("mkdtemp");
		abort();
	}
	return strdup(d);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(p);
}

void tu_rmtree(const char *path)
{
	if (path && !getenv("EDIGW_KEEP_TMP"))
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_srcpath(const char *rel)
{
	const char *s = getenv("EDIGW_SRCDIR");
	size_t n = strlen(s ? s : ".") + strlen(rel) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", s ? s : ".", rel);
	return p;
}

char *tu_corpus(void)
{
	const char *c = getenv("EDIGW_CORPUS");
	struct stat st;
	if (!c || stat(c, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return strdup(c);
}

char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	size_t r;
	while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2) {
			cap *= 2;
			b = realloc(b, cap);
		}
	}
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

int tu_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of visible regular files. */
static char **list_files(const char *dir, int *n)
{
	DIR *d = opendir(dir);
	*n = -1;
	if (!d)
		return NULL;
	char **v = NULL;
	int cnt = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[4096];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		v = realloc(v, sizeof *v * (cnt + 1));
		v[cnt++] = strdup(e->d_name);
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof *v, cmpstr);
	*n = cnt;
	return v;
}

int tu_count_files(const char *dir)
{
	int n;
	char **v = list_files(dir, &n);
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return n;
}

char *tu_nth_file(const char *dir, int k)
{
	int n;
	char **v = list_files(dir, &n);
	char *r = NULL;
	for (int i = 0; i < n; i++) {
		if (i == k)
			r = v[i];
		else
			free(v[i]);
	}
	free(v);
	return r;
}

char *tu_first_file(const char *dir)
{
	return tu_nth_file(dir, 0);
}

int tu_run(char **out, const char *const *args)
{
	const char *bin = getenv("EDIGW_BIN");
	if (!bin)
		bin = "./edigw";
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		int n = 0;
		while (args[n])
			n++;
		char **argv = calloc(n + 2, sizeof *argv);
		argv[0] = (char *)bin;
		for (int i = 0; i < n; i++)
			argv[i + 1] = (char *)args[i];
		execv(bin, argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	ssize_t r;
	while ((r = read(pfd[0], b + len, cap - len - 1)) > 0 || (r < 0 && errno == EINTR)) {
		if (r < 0)
			continue;
		len += r;
		if (cap - len < 2) {
			cap *= 2;
			b = realloc(b, cap);
		}
	}
	b[len] = '\0';
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = b;
	else
		free(b);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *tu_replace(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)); p += fl)
		n++;
	char *r = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1);
	char *w = r;
	const char *p = s, *q;
	while ((q = strstr(p, from))) {
		memcpy(w, p, q - p);
		w += q - p;
		memcpy(w, to, tl);
		w += tl;
		p = q + fl;
	}
	memcpy(w, p, strlen(p) + 1);
	return r;
}

int tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Run SQL on a database file directly (tests simulating time passing, damage). */
int tu_sql(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(h, 10000);
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	}
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

static int one_row(void *found, int n, char **v, char **names)
{
	(void)n;
	(void)v;
	(void)names;
	*(int *)found = 1;
	return 0;
}

int tu_sql_wait(const char *db, const char *query, int timeout_ms)
{
	for (int waited = 0;; waited += 10) {
		sqlite3 *h = NULL;
		int found = 0;
		if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
			sqlite3_busy_timeout(h, 1000);
			sqlite3_exec(h, query, one_row, &found, NULL);
		}
		sqlite3_close(h);
		if (found)
			return 0;
		if (waited >= timeout_ms)
			return -1;
		usleep(10000);
	}
}

char *tu_diag_text(const struct diag_list *d)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < d->n; i++) {
		const char *f = d->v[i].file ? strrchr(d->v[i].file, '/') : NULL;
		f = f ? f + 1 : (d->v[i].file ? d->v[i].file : "-");
		buf_printf(&b, "%s:%zu: %s%s\n", f, d->v[i].line, d->v[i].warning ? "warning: " : "", d->v[i].msg);
	}
	return b.data ? buf_steal(&b) : xstrdup("");
}

char *tu_map_try(const char *dir, const char *name, const char *text, struct map **out)
{
	char *path = xasprintf("%s/%s", dir, name);
	ck_assert_int_eq(tu_write(path, text, strlen(text)), 0);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	map_load(&m, path, &d);
	char *txt = tu_diag_text(&d);
	diag_list_free(&d);
	free(path);
	if (out)
		*out = m;
	else
		map_free(m);
	return txt;
}

struct map *tu_map_fixture(const char *rel)
{
	char *path = tu_srcpath(rel);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, path, &d);
	char *txt = tu_diag_text(&d);
	ck_assert_msg(rc == 0, "%s", txt);
	free(txt);
	diag_list_free(&d);
	free(path);
	return m;
}

int tu_edigw(const char *conf, char **out, ...)
{
	const char *args[32];
	int n = 0;
	args[n++] = "-c";
	args[n++] = conf;
	va_list ap;
	va_start(ap, out);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 31)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	return tu_run(out, args);
}
