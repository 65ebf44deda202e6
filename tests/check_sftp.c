/*
 * check_sftp — the SFTP transport against OpenSSH's sshd, started on loopback
 * for each test by tests/sshd-harness.sh (its own host keys, client keys and
 * known_hosts files): the client (src/transport/sftp.c) directly, and pickup
 * and delivery through the real edigw binary (edigw run --once), including
 * SIGKILL at the fault points of doc/transports.md.
 *
 * Without /usr/sbin/sshd only the offline tests run and the program exits 77
 * (skipped), unless EDIGW_REQUIRE_SFTP=1 makes that a failure.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config/config.h"
#include "gateway/gateway.h"
#include "transport/sftp.h"
#include "transport/transport.h"
#include "util/util.h"

#include "testutil.h"

static char *g_base; /* every test's directory lives here; main stops leftover servers */

/* ------------------------------------------------------------- helpers */

static char *pj(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* The end of a long output, for an assertion message (Check caps messages). */
static const char *tail(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return !s ? "(null)" : n > 2000 ? s + n - 2000 : s;
}

static void writef(const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	vfprintf(f, fmt, ap);
	fclose(f);
	va_end(ap);
}

static void appendf(const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	FILE *f = fopen(path, "a");
	ck_assert_msg(f != NULL, "cannot append to %s", path);
	vfprintf(f, fmt, ap);
	fclose(f);
	va_end(ap);
}

/* Run argv (argv[0] a path); stdout+stderr into *out. Exit status, -1 on a signal. */
static int spawn(char **out, char *const argv[], const char *crash_at)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		if (crash_at)
			setenv("EDIGW_CRASH_AT", crash_at, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	struct buf b;
	buf_init(&b, 0);
	char tmp[4096];
	ssize_t r;
	while ((r = read(pfd[0], tmp, sizeof tmp)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			buf_append(&b, tmp, (size_t)r);
	close(pfd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = buf_steal(&b);
	buf_free(&b);
	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* sshd-harness.sh VERB DIR [PORT]; the output in *out. */
static int harness(const char *verb, const char *dir, const char *port, char **out)
{
	char *script = tu_srcpath("tests/sshd-harness.sh");
	char *argv[] = { "/bin/sh", script, (char *)verb, (char *)dir, (char *)port, NULL };
	int rc = spawn(out, argv, NULL);
	free(script);
	return rc;
}

/* A running sshd of a test. */
struct server {
	char *dir;  /* keys, known_hosts files, sshd_config */
	char port[16];
};

static struct server *server_start(const char *under)
{
	struct server *s = calloc(1, sizeof *s);
	s->dir = pj(under, "sshd");
	char *out = NULL;
	int rc = harness("start", s->dir, NULL, &out);
	ck_assert_msg(rc == 0, "sshd-harness start failed (%d): %s", rc, tail(out));
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n'))
		out[--n] = '\0';
	char *last = strrchr(out, '\n');
	snprintf(s->port, sizeof s->port, "%s", last ? last + 1 : out);
	free(out);
	return s;
}

static void server_stop(struct server *s)
{
	char *out = NULL;
	harness("stop", s->dir, NULL, &out);
	free(out);
}

/* Start again on the same port (the known_hosts lines name it). */
static void server_restart(struct server *s)
{
	char *out = NULL;
	int rc = -1;
	for (int i = 0; i < 20 && rc != 0; i++) {
		free(out);
		out = NULL;
		rc = harness("start", s->dir, s->port, &out);
		if (rc != 0)
			usleep(250000);
	}
	ck_assert_msg(rc == 0, "sshd restart on port %s failed: %s", s->port, tail(out));
	free(out);
}

static void server_free(struct server *s)
{
	server_stop(s);
	free(s->dir);
	free(s);
}

static char *sfile(const struct server *s, const char *name)
{
	return pj(s->dir, name);
}

static const char *user_name(void)
{
	struct passwd *pw = getpwuid(geteuid());
	return pw ? pw->pw_name : "root";
}

/* A fresh directory under g_base. */
static char *test_dir(void)
{
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/t-XXXXXX", g_base);
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

static int count_files(const char *dir)
{
	int n = tu_count_files(dir);
	return n < 0 ? 0 : n;
}

/* Regular files in dir including dot files. */
static int count_all(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The status lines of one transport ("sftp-deliver"): from its row to the next row. Allocated. */
static char *transport_rows(const char *status, const char *transport)
{
	const char *p = strstr(status, transport);
	if (!p)
		return strdup("");
	const char *end = strstr(p, "\n  retailer ");
	return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

/* ------------------------------------------------------------- documents */

/* An X12 850 interchange from RETAILER with control number icn and nsets purchase orders. */
static char *po_interchange(unsigned icn, int nsets)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "ISA*00*          *00*          *ZZ*%-15s*ZZ*%-15s*261122*0930*U*00401*%09u*0*P*>~",
		   "RETAILER", "ACMESUPPLY", icn);
	buf_printf(&b, "GS*PO*RETAILER*ACMESUPPLY*20261122*0930*%u*X*004010~", icn);
	for (int i = 0; i < nsets; i++) {
		char st[16];
		snprintf(st, sizeof st, "%04d", i + 1);
		buf_printf(&b, "ST*850*%s~BEG*00*SA*PO-%u-%d**20261122~N1*ST*Retail DC 7*92*0007~"
			       "N3*1200 Distribution Way~N4*Columbus*OH*43215*US~PO1*1*24*EA*12.50**BP*SKU-1*VP*W-9~"
			       "PID*F****Blue widget, large~CTT*1~SE*9*%s~",
			   st, icn, i + 1, st);
	}
	buf_printf(&b, "GE*%d*%u~IEA*1*%09u~\n", nsets, icn, icn);
	return buf_steal(&b);
}

/* ------------------------------------------------------------- fixture */

struct env {
	char *dir, *conf, *partner, *spool, *erp, *in, *out, *archive, *outq;
	struct server *srv;
};

/* A gateway configuration with partner "retailer" on this test's sshd; extra lines go
 * into the partner file. */
static struct env *env_new(const char *extra)
{
	struct env *e = calloc(1, sizeof *e);
	e->dir = test_dir();
	e->srv = server_start(e->dir);
	e->conf = pj(e->dir, "edigw.conf");
	e->spool = pj(e->dir, "spool");
	e->erp = pj(e->dir, "erp");
	char *remote = pj(e->dir, "remote");
	mkdir(remote, 0755);
	e->in = pj(remote, "in");
	e->out = pj(remote, "out");
	e->archive = pj(remote, "archive");
	mkdir(e->in, 0755);
	mkdir(e->out, 0755);
	mkdir(e->archive, 0755);
	e->outq = pj(e->spool, "outbound/retailer");
	char *parts = pj(e->dir, "partners");
	mkdir(parts, 0750);
	char *rng = tu_srcpath("doc/canonical.rng");
	char *erpmap = tu_srcpath("maps/erp/order-csv.map");
	char *map850 = tu_srcpath("maps/x12/850.map");
	char *schemas = tu_srcpath("maps/schemas");
	writef(e->conf,
	       "spool = spool\nerp-dir = erp\npartners-dir = partners\ncanonical-schema = %s\nschema-dir = %s\n"
	       "our.x12.qualifier = ZZ\nour.x12.id = ACMESUPPLY\nour.x12.gs-id = ACMESUPPLY\n"
	       "erp.order = %s\npoll-interval = 1s\nretry.min = 1m\nretry.max = 4m\nretry.max-age = 1h\n",
	       rng, schemas, erpmap);
	e->partner = pj(parts, "retailer.conf");
	char *key = sfile(e->srv, "id_ed25519"), *kh = sfile(e->srv, "known_hosts");
	writef(e->partner,
	       "id = retailer\nx12.qualifier = ZZ\nx12.id = RETAILER\nx12.gs-id = RETAILER\n"
	       "document.850 = %s\nack = 997\n"
	       "sftp.host = 127.0.0.1\nsftp.port = %s\nsftp.user = %s\nsftp.key = %s\nsftp.known-hosts = %s\n"
	       "sftp.inbox = %s\nsftp.outbox = %s\nsftp.poll-interval = 1h\nsftp.timeout = 5s\n%s",
	       map850, e->srv->port, user_name(), key, kh, e->in, e->out, extra ? extra : "");
	free(key);
	free(kh);
	free(remote);
	free(parts);
	free(rng);
	free(erpmap);
	free(map850);
	free(schemas);
	return e;
}

static void env_free(struct env *e)
{
	server_free(e->srv);
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->conf);
	free(e->partner);
	free(e->spool);
	free(e->erp);
	free(e->in);
	free(e->out);
	free(e->archive);
	free(e->outq);
	free(e);
}

/* edigw -c CONF args... (NULL-terminated); output in *out. */
static int edigw_crash(struct env *e, char **out, const char *crash_at, ...)
{
	char *argv[32];
	int n = 0;
	argv[n++] = getenv("EDIGW_BIN");
	argv[n++] = "-c";
	argv[n++] = e->conf;
	va_list ap;
	va_start(ap, crash_at);
	char *a;
	while ((a = va_arg(ap, char *)) && n < 31)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return spawn(out, argv, crash_at);
}

#define edigw(e, out, ...) edigw_crash((e), (out), NULL, __VA_ARGS__)

/* The next run polls again: as if sftp.poll-interval had passed. */
static void poll_due(struct env *e)
{
	char *db = pj(e->spool, "ledger.db");
	tu_sql(db, "UPDATE transport_state SET last_run = last_run - 100000 WHERE transport = 'sftp-poll'");
	free(db);
}

/* Every waiting delivery is due now. */
static void deliveries_due(struct env *e)
{
	char *db = pj(e->spool, "ledger.db");
	ck_assert_int_eq(tu_sql(db, "UPDATE deliveries SET next_unix = 0"), 0);
	free(db);
}

/* edigw run --once, which must succeed; its output returned (allocated). */
static char *run_once(struct env *e)
{
	char *out = NULL;
	int rc = edigw(e, &out, "run", "--once", NULL);
	ck_assert_msg(rc == 0, "run --once failed (%d): %s", rc, tail(out));
	return out;
}

static void run_quiet(struct env *e)
{
	free(run_once(e));
}

static int qcount(struct env *e, const char *q)
{
	char *d = pj(e->spool, q);
	int n = count_files(d);
	free(d);
	return n;
}

/* Every job in the spool's document queues. */
static int jobs_total(struct env *e)
{
	static const char *const qs[] = { "incoming", "active", "deferred", "hold", "failed", "archive", "sent" };
	int n = 0;
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
		n += qcount(e, qs[i]);
	return n;
}

/* Contents of the first job of a queue (allocated) or NULL. */
static char *first_job(struct env *e, const char *q)
{
	char *d = pj(e->spool, q);
	char *name = tu_first_file(d);
	char *c = NULL;
	if (name) {
		char *p = pj(d, name);
		c = tu_read(p, NULL);
		free(p);
	}
	free(name);
	free(d);
	return c;
}

/* A file of the remote side. */
static void put_remote(const char *dir, const char *name, const char *data, size_t len)
{
	char *p = pj(dir, name);
	ck_assert_int_eq(tu_write(p, data, len), 0);
	free(p);
}

/* An outbound document waiting for delivery. */
static void put_outbound(struct env *e, const char *name, const char *data)
{
	char *d = pj(e->spool, "outbound");
	mkdir(e->spool, 0750);
	mkdir(d, 0750);
	mkdir(e->outq, 0750);
	put_remote(e->outq, name, data, strlen(data));
	free(d);
}

/* One integer from the ledger (the first column of the first row; -1 when no row). */
static long long sql_int(struct env *e, const char *sql)
{
	char *db = pj(e->spool, "ledger.db");
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 10000);
	ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	free(db);
	return v;
}

/* ------------------------------------------------------------- offline tests */

START_TEST(test_name_filter)
{
	ck_assert(sftp_name_is_plain("a", 1));
	ck_assert(sftp_name_is_plain("..x", 3));
	ck_assert(sftp_name_is_plain("...", 3));
	ck_assert(sftp_name_is_plain("a\nb\x1b[31m", 8));
	ck_assert(sftp_name_is_plain("-rf", 3));
	ck_assert(!sftp_name_is_plain("", 0));
	ck_assert(!sftp_name_is_plain(".", 1));
	ck_assert(!sftp_name_is_plain("..", 2));
	ck_assert(!sftp_name_is_plain("../etc/passwd", 13));
	ck_assert(!sftp_name_is_plain("a/b", 3));
	ck_assert(!sftp_name_is_plain("ab\0c", 4));
	ck_assert(!sftp_name_is_plain("/", 1));
	char *p = sftp_path("/in", "x");
	ck_assert_str_eq(p, "/in/x");
	free(p);
	p = sftp_path("/in/", "x");
	ck_assert_str_eq(p, "/in/x");
	free(p);
	p = sftp_path("", "x");
	ck_assert_str_eq(p, "x");
	free(p);
}
END_TEST

START_TEST(test_secret_file_modes)
{
	char *d = test_dir();
	char *f = pj(d, "secret");
	writef(f, "pw\n");
	struct buf err;
	buf_init(&err, 0);
	static const struct {
		mode_t mode;
		int ok;
	} cases[] = { { 0600, 1 }, { 0400, 1 }, { 0700, 1 }, { 0601, 0 }, { 0604, 0 }, { 0610, 0 },
		      { 0640, 0 }, { 0644, 0 }, { 0660, 0 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		chmod(f, cases[i].mode);
		int rc = sftp_check_secret_file(f, "sftp.password-file", &err);
		if (cases[i].ok) {
			ck_assert_msg(rc == 0, "mode %04o refused: %s", (unsigned)cases[i].mode, err.data);
		} else {
			ck_assert_msg(rc == -EPERM, "mode %04o accepted", (unsigned)cases[i].mode);
			ck_assert_ptr_nonnull(strstr(err.data, "readable or writable by group or others"));
			ck_assert_ptr_nonnull(strstr(err.data, "chmod 600"));
		}
	}
	char *l = pj(d, "link");
	chmod(f, 0600);
	ck_assert_int_eq(symlink(f, l), 0);
	ck_assert_int_eq(sftp_check_secret_file(l, "sftp.key", &err), -EPERM);
	ck_assert_ptr_nonnull(strstr(err.data, "symbolic link"));
	char *m = pj(d, "missing");
	ck_assert_int_eq(sftp_check_secret_file(m, "sftp.key", &err), -ENOENT);
	/* connecting with a readable password file fails before any network use */
	chmod(f, 0644);
	struct sftp_opts o = { "127.0.0.1", 1, "nobody", NULL, f, "/nonexistent", 1000, NULL };
	struct sftp_conn *c = NULL;
	ck_assert_int_eq(sftp_connect(&c, &o, &err), -EPERM);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err.data, "sftp 127.0.0.1:1: sftp.password-file"));
	buf_free(&err);
	tu_rmtree(d);
	free(m);
	free(l);
	free(f);
	free(d);
}
END_TEST

/* Load a configuration whose partner file is base + extra; the diagnostics as text. */
static char *config_errors(const char *extra, struct config **out)
{
	char *d = test_dir();
	char *conf = pj(d, "edigw.conf"), *parts = pj(d, "partners");
	mkdir(parts, 0750);
	writef(conf, "erp-dir = erp\nour.x12.qualifier = ZZ\nour.x12.id = US\nour.x12.gs-id = US\n"
		     "poll-interval = 7s\n");
	char *pf = pj(parts, "p.conf");
	writef(pf, "id = p\n%s", extra);
	struct diag_list dl;
	diag_list_init(&dl);
	struct config *c = NULL;
	config_load(&c, conf, &dl);
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < dl.n; i++)
		buf_printf(&b, "%zu: %s\n", dl.v[i].line, dl.v[i].msg);
	diag_list_free(&dl);
	if (out)
		*out = c;
	else
		config_free(c);
	tu_rmtree(d);
	free(pf);
	free(parts);
	free(conf);
	free(d);
	return buf_steal(&b);
}

START_TEST(test_config_files_checked)
{
	char *d = test_dir();
	char *key = pj(d, "id"), *kh = pj(d, "kh");
	writef(key, "key\n");
	chmod(key, 0600);
	writef(kh, "\n");
	char *extra = xasprintf("sftp.host = h\nsftp.user = u\nsftp.key = %s\nsftp.known-hosts = %s\nsftp.inbox = /i\n",
				key, kh);
	struct config *c = NULL;
	char *errs = config_errors(extra, &c);
	ck_assert_msg(c != NULL, "%s", errs);
	struct diag_list dl;
	diag_list_init(&dl);
	ck_assert_int_eq(transport_sftp_check(config_partner(c, "p"), &dl), 0);
	ck_assert_uint_eq(dl.n, 0);
	chmod(key, 0640);
	unlink(kh);
	ck_assert_int_eq(transport_sftp_check(config_partner(c, "p"), &dl), -EINVAL);
	ck_assert_uint_eq(dl.n, 2);
	ck_assert_uint_eq(dl.v[0].line, 2); /* the sftp.host line */
	ck_assert_ptr_nonnull(strstr(dl.v[0].msg, "cannot be read"));
	ck_assert_ptr_nonnull(strstr(dl.v[1].msg, "mode 0640"));
	diag_list_free(&dl);
	config_free(c);
	free(errs);
	free(extra);
	/* the key's passphrase file is held to the same rule */
	chmod(key, 0600);
	writef(kh, "\n");
	char *pp = pj(d, "pp");
	writef(pp, "secret\n");
	chmod(pp, 0604);
	extra = xasprintf("sftp.host = h\nsftp.user = u\nsftp.key = %s\nsftp.key-passphrase-file = %s\n"
			  "sftp.known-hosts = %s\nsftp.inbox = /i\n",
			  key, pp, kh);
	errs = config_errors(extra, &c);
	ck_assert_msg(c != NULL, "%s", errs);
	diag_list_init(&dl);
	ck_assert_int_eq(transport_sftp_check(config_partner(c, "p"), &dl), -EINVAL);
	ck_assert_uint_eq(dl.n, 1);
	ck_assert_msg(strstr(dl.v[0].msg, "sftp.key-passphrase-file") && strstr(dl.v[0].msg, "mode 0604"), "%s",
		      dl.v[0].msg);
	diag_list_free(&dl);
	config_free(c);
	free(errs);
	free(extra);
	free(pp);
	tu_rmtree(d);
	free(kh);
	free(key);
	free(d);
}
END_TEST

START_TEST(test_config_keys)
{
	struct config *c = NULL;
	char *errs = config_errors("sftp.host = sftp.example.com\nsftp.user = edi\nsftp.key = id\n"
				   "sftp.known-hosts = kh\nsftp.inbox = /in\n", &c);
	ck_assert_msg(c != NULL, "%s", errs);
	const struct cfg_partner *p = config_partner(c, "p");
	ck_assert_uint_eq(p->sftp.port, 22);
	ck_assert_str_eq(p->sftp.pattern, "*");
	ck_assert_ptr_null(p->sftp.ready_pattern);
	ck_assert_ptr_null(p->sftp.archive);
	ck_assert_ptr_null(p->sftp.outbox);
	ck_assert_uint_eq(p->sftp.timeout_s, 30);
	ck_assert_uint_eq(p->sftp.poll_interval_s, 7); /* edigw.conf's poll-interval */
	ck_assert_uint_eq(p->retry.min_s, 60);
	ck_assert_uint_eq(p->retry.max_s, 3600);
	ck_assert_uint_eq(p->retry.max_age_s, 86400);
	ck_assert_ptr_nonnull(strstr(p->sftp.key, "/partners/id")); /* relative to the partner file */
	config_free(c);
	free(errs);

	static const struct {
		const char *conf, *want;
	} bad[] = {
		{ "sftp.user = edi\n", "2: sftp.user without sftp.host" },
		{ "sftp.host = h\nsftp.user = u\nsftp.key = k\nsftp.inbox = /in\n", "needs sftp.known-hosts" },
		{ "sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.inbox = /in\n", "either sftp.key or sftp.password-file" },
		{ "sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.password-file = pw\nsftp.inbox = /in\n",
		  "either sftp.key or sftp.password-file" },
		{ "sftp.host = h\nsftp.known-hosts = kh\nsftp.key = k\nsftp.inbox = /in\n", "needs sftp.user" },
		{ "sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\n", "needs sftp.inbox" },
		{ "sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.outbox = /o\nsftp.archive = /a\n",
		  "sftp.archive without sftp.inbox" },
		{ "sftp.host = -oProxyCommand=x\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.inbox = /i\n",
		  "sftp.host: a host name" },
		{ "sftp.host = h\nsftp.port = 0\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.inbox = /i\n",
		  "out of range" },
		{ "sftp.host = h\nsftp.port = 65536\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.inbox = /i\n",
		  "out of range" },
		{ "retry.min = 2h\nretry.max = 1h\n", "retry.min (7200s) is longer than retry.max (3600s)" },
		{ "retry.min = 0\n", "out of range" },
		{ "sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.inbox = /x\nsftp.outbox = /x\n",
		  "7: sftp.inbox and sftp.outbox are the same directory" },
		{ "sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.outbox = /o\n"
		  "as2.id = THEM\nas2.url = https://as2.example.com/\nas2.cert = c.pem\n",
		  "sftp.outbox and as2.url exclude each other" },
		{ "sftp.timeout = 2h\n", "out of range" },
		{ "sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.password-file = pw\n"
		  "sftp.key-passphrase-file = pp\nsftp.inbox = /i\n",
		  "6: sftp.key-passphrase-file without sftp.key" },
		{ "sftp.key-passphrase-file = pp\n", "2: sftp.key-passphrase-file without sftp.host" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errs = config_errors(bad[i].conf, NULL);
		ck_assert_msg(strstr(errs, bad[i].want) != NULL, "case %zu: want '%s', got:\n%s", i, bad[i].want, errs);
		free(errs);
	}
	/* limits: port 1 and 65535 are fine; retry.min = retry.max is fine */
	static const char *const good[] = {
		"sftp.host = h\nsftp.port = 1\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.inbox = /i\n",
		"sftp.host = h\nsftp.port = 65535\nsftp.user = u\nsftp.known-hosts = kh\nsftp.password-file = pw\nsftp.outbox = /o\n",
		"retry.min = 1h\nretry.max = 1h\nretry.max-age = 1s\n",
		"sftp.host = h\nsftp.user = u\nsftp.known-hosts = kh\nsftp.key = k\nsftp.key-passphrase-file = pp\n"
		"sftp.inbox = /i\n",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		errs = config_errors(good[i], &c);
		ck_assert_msg(c != NULL, "good case %zu refused:\n%s", i, errs);
		config_free(c);
		free(errs);
	}
}
END_TEST

/* ------------------------------------------------------------- the client */

/* Options for this test's server with key and known_hosts files of the harness. */
static struct sftp_opts opts_for(const struct server *s, const char *key, const char *kh, char **keep)
{
	keep[0] = key ? sfile(s, key) : NULL;
	keep[1] = sfile(s, kh);
	struct sftp_opts o = { "127.0.0.1", (unsigned)strtoul(s->port, NULL, 10), user_name(), keep[0], NULL, keep[1], 5000, NULL };
	return o;
}

START_TEST(test_client_keys)
{
	char *d = test_dir();
	struct server *s = server_start(d);
	struct buf err;
	buf_init(&err, 0);
	char *keep[2];
	static const char *const combos[][2] = { { "id_ed25519", "known_hosts" },
						  { "id_rsa", "known_hosts" },
						  { "id_ed25519", "known_hosts_rsa" } };
	char *rd = pj(d, "r");
	mkdir(rd, 0755);
	put_remote(rd, "hello.txt", "hello\n", 6);
	for (size_t i = 0; i < sizeof combos / sizeof combos[0]; i++) {
		struct sftp_opts o = opts_for(s, combos[i][0], combos[i][1], keep);
		struct sftp_conn *c = NULL;
		int rc = sftp_connect(&c, &o, &err);
		ck_assert_msg(rc == 0, "%s with %s: %s", combos[i][0], combos[i][1], err.data);
		struct sftp_entry *v = NULL;
		size_t n = 0, skipped = 0;
		ck_assert_int_eq(sftp_list(c, rd, 0, &v, &n, &skipped, &err), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(v[0].name, "hello.txt");
		ck_assert_uint_eq(v[0].size, 6);
		ck_assert(v[0].regular);
		sftp_entries_free(v, n);
		sftp_close(c);
		free(keep[0]);
		free(keep[1]);
	}
	buf_free(&err);
	server_free(s);
	free(rd);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* Encrypted keys (OpenSSH format with bcrypt, and PEM) with sftp.key-passphrase-file; without
 * it, with a wrong one, and with one others may read. */
START_TEST(test_client_key_passphrase)
{
	char *d = test_dir();
	struct server *s = server_start(d);
	struct buf err;
	buf_init(&err, 0);
	char *keep[2];
	char *pass = sfile(s, "key_passphrase");
	static const char *const keys[] = { "id_ed25519_pass", "id_rsa_pass" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		struct sftp_opts o = opts_for(s, keys[i], "known_hosts", keep);
		struct sftp_conn *c = NULL;
		/* no passphrase: the key cannot be used, and the message says what is missing */
		int rc = sftp_connect(&c, &o, &err);
		ck_assert_msg(rc == -EINVAL && c == NULL && strstr(err.data, keys[i]) &&
				      strstr(err.data, "needs sftp.key-passphrase-file"),
			      "%s without passphrase: %d %s", keys[i], rc, err.data);
		/* the right passphrase */
		o.key_passphrase_file = pass;
		rc = sftp_connect(&c, &o, &err);
		ck_assert_msg(rc == 0, "%s with its passphrase: %s", keys[i], err.data);
		struct sftp_entry *v = NULL;
		size_t n = 0, skipped = 0;
		ck_assert_int_eq(sftp_list(c, d, 0, &v, &n, &skipped, &err), 0);
		sftp_entries_free(v, n);
		sftp_close(c);
		c = NULL;
		/* a wrong one: refused, and the passphrase never shows */
		char *wrong = pj(d, "wrong_passphrase");
		writef(wrong, "not the passphrase\n");
		chmod(wrong, 0600);
		o.key_passphrase_file = wrong;
		rc = sftp_connect(&c, &o, &err);
		ck_assert_msg(rc == -EINVAL && c == NULL && strstr(err.data, "is the passphrase") &&
				      !strstr(err.data, "not the passphrase"),
			      "%s wrong passphrase: %d %s", keys[i], rc, err.data);
		/* readable by others: refused before any network use */
		chmod(wrong, 0644);
		rc = sftp_connect(&c, &o, &err);
		ck_assert_msg(rc < 0 && strstr(err.data, "sftp.key-passphrase-file"), "%d %s", rc, err.data);
		free(wrong);
		free(keep[0]);
		free(keep[1]);
	}
	free(pass);
	buf_free(&err);
	server_free(s);
	tu_rmtree(d);
	free(d);
}
END_TEST

START_TEST(test_client_host_keys_refused)
{
	char *d = test_dir();
	struct server *s = server_start(d);
	struct buf err;
	buf_init(&err, 0);
	char *keep[2];
	struct sftp_conn *c = NULL;
	/* a changed key */
	struct sftp_opts o = opts_for(s, "id_ed25519", "known_hosts_wrong", keep);
	ck_assert_int_eq(sftp_connect(&c, &o, &err), -EKEYREJECTED);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.data, "HOST KEY CHANGED") && strstr(err.data, "SHA256:") &&
			      strstr(err.data, "known_hosts_wrong") && strstr(err.data, "127.0.0.1:"),
		      "%s", err.data);
	free(keep[0]);
	free(keep[1]);
	/* an unknown host (another host's line only) */
	o = opts_for(s, "id_ed25519", "known_hosts_other", keep);
	ck_assert_int_eq(sftp_connect(&c, &o, &err), -ENOKEY);
	ck_assert_msg(strstr(err.data, "unknown host key") && strstr(err.data, "ssh-keyscan"), "%s", err.data);
	/* the fingerprint shown is the server's, as ssh-keygen prints it */
	char *pub = sfile(s, "host_ed25519.pub");
	char *kg_argv[] = { "/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", pub, NULL };
	char *kg = NULL;
	ck_assert_int_eq(spawn(&kg, kg_argv, NULL), 0);
	char *fp = strstr(kg, "SHA256:");
	ck_assert_ptr_nonnull(fp);
	*strchr(fp, ' ') = '\0';
	ck_assert_msg(strstr(err.data, fp) != NULL, "fingerprint %s not in: %s", fp, err.data);
	free(kg);
	free(pub);
	/* an empty known_hosts: unknown */
	char *empty = pj(d, "empty_known_hosts");
	writef(empty, "# nothing pinned\n");
	o.known_hosts = empty;
	ck_assert_int_eq(sftp_connect(&c, &o, &err), -ENOKEY);
	/* known_hosts at its size limit (1 MiB) is read; one byte more is refused */
	char *bigkh = pj(d, "big_known_hosts");
	{
		char *khp = sfile(s, "known_hosts");
		char *good = tu_read(khp, NULL);
		size_t gl = strlen(good), total = 1024 * 1024;
		char *b = malloc(total + 1);
		memset(b, '#', total - gl);
		for (size_t k = 99; k < total - gl; k += 100)
			b[k] = '\n';
		b[total - gl - 1] = '\n';
		memcpy(b + total - gl, good, gl);
		ck_assert_int_eq(tu_write(bigkh, b, total), 0);
		struct sftp_opts ok = o;
		ok.known_hosts = bigkh;
		int kr = sftp_connect(&c, &ok, &err);
		ck_assert_msg(kr == 0, "1 MiB known_hosts: %s", err.data);
		sftp_close(c);
		c = NULL;
		memmove(b + 1, b, total);
		b[0] = '#';
		ck_assert_int_eq(tu_write(bigkh, b, total + 1), 0);
		kr = sftp_connect(&c, &ok, &err);
		ck_assert_msg(kr == -EFBIG && strstr(err.data, "larger than 1 MiB"), "%d %s", kr, err.data);
		free(b);
		free(good);
		free(khp);
	}
	free(bigkh);
	/* a missing known_hosts file: refused before the handshake */
	char *missing = pj(d, "missing");
	o.known_hosts = missing;
	int rc = sftp_connect(&c, &o, &err);
	ck_assert_msg(rc == -ENOENT && strstr(err.data, "cannot read sftp.known-hosts"), "%d %s", rc, err.data);
	/* a pinned key of a type the server does not offer for us: no silent fallback */
	char *other_type = pj(d, "kh_type");
	char *line = NULL, *kh = sfile(s, "known_hosts_rsa");
	line = tu_read(kh, NULL);
	char *changed = tu_replace(line, "ssh-rsa", "ecdsa-sha2-nistp256");
	writef(other_type, "%s", changed);
	o.known_hosts = other_type;
	rc = sftp_connect(&c, &o, &err);
	ck_assert_msg(rc < 0 && c == NULL, "connected with a bogus ecdsa pin");
	free(changed);
	free(line);
	free(kh);
	free(other_type);
	free(missing);
	free(keep[0]);
	free(keep[1]);
	free(empty);
	buf_free(&err);
	server_free(s);
	tu_rmtree(d);
	free(d);
}
END_TEST

START_TEST(test_client_password)
{
	char *d = test_dir();
	struct server *s = server_start(d);
	struct buf err;
	buf_init(&err, 0);
	char *kh = sfile(s, "known_hosts");
	char *pw = pj(d, "pw");
	struct sftp_opts o = { "127.0.0.1", (unsigned)strtoul(s->port, NULL, 10), user_name(), NULL, pw, kh, 5000, NULL };
	struct sftp_conn *c = NULL;
	/* at the size limit: 1024 bytes with its newline; the server refuses the password
	 * (root may not log in with one; another user's password is not this) */
	char big[1100];
	memset(big, 'x', sizeof big);
	big[1023] = '\n';
	ck_assert_int_eq(tu_write(pw, big, 1024), 0);
	chmod(pw, 0600);
	int rc = sftp_connect(&c, &o, &err);
	ck_assert_msg(rc == -EACCES && strstr(err.data, "refused by the server"), "%d %s", rc, err.data);
	ck_assert_ptr_null(strstr(err.data, "xxxx")); /* never the secret */
	/* one above the limit */
	ck_assert_int_eq(tu_write(pw, big, 1025), 0);
	rc = sftp_connect(&c, &o, &err);
	ck_assert_msg(rc == -EFBIG && strstr(err.data, "larger than 1024 bytes"), "%d %s", rc, err.data);
	/* readable by others: refused with a clear error */
	ck_assert_int_eq(tu_write(pw, "secret\n", 7), 0);
	chmod(pw, 0640);
	rc = sftp_connect(&c, &o, &err);
	ck_assert_msg(rc == -EPERM && strstr(err.data, "mode 0640") && strstr(err.data, "chmod 600"), "%d %s", rc,
		      err.data);
	/* two lines: not a password file */
	chmod(pw, 0600);
	ck_assert_int_eq(tu_write(pw, "a\nb\n", 4), 0);
	rc = sftp_connect(&c, &o, &err);
	ck_assert_msg(rc == -EINVAL && strstr(err.data, "one line"), "%d %s", rc, err.data);
	buf_free(&err);
	free(pw);
	free(kh);
	server_free(s);
	tu_rmtree(d);
	free(d);
}
END_TEST

START_TEST(test_client_timeouts)
{
	struct buf err;
	buf_init(&err, 0);
	char *d = test_dir();
	char *key = pj(d, "key");
	writef(key, "not a key\n");
	chmod(key, 0600);
	char *kh = pj(d, "kh");
	writef(kh, "\n");
	/* a listener that accepts and never speaks: the handshake times out */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(ls, 4), 0);
	socklen_t al = sizeof a;
	getsockname(ls, (struct sockaddr *)&a, &al);
	unsigned port = ntohs(a.sin_port);
	struct sftp_opts o = { "127.0.0.1", port, "u", key, NULL, kh, 1000, NULL };
	struct sftp_conn *c = NULL;
	uint64_t t0 = now_ms();
	int rc = sftp_connect(&c, &o, &err);
	uint64_t took = now_ms() - t0;
	ck_assert_msg(rc == -ETIMEDOUT, "%d %s", rc, err.data);
	ck_assert_msg(took >= 900 && took < 5000, "took %llu ms", (unsigned long long)took);
	ck_assert_ptr_nonnull(strstr(err.data, "timed out"));
	close(ls);
	/* nobody listening: refused at once */
	rc = sftp_connect(&c, &o, &err);
	ck_assert_msg(rc == -ECONNREFUSED && strstr(err.data, "connect"), "%d %s", rc, err.data);
	buf_free(&err);
	tu_rmtree(d);
	free(kh);
	free(key);
	free(d);
}
END_TEST

START_TEST(test_client_operations)
{
	char *d = test_dir();
	struct server *s = server_start(d);
	struct buf err;
	buf_init(&err, 0);
	char *keep[2];
	struct sftp_opts o = opts_for(s, "id_ed25519", "known_hosts", keep);
	struct sftp_conn *c = NULL;
	ck_assert_msg(sftp_connect(&c, &o, &err) == 0, "%s", err.data);
	char *rd = pj(d, "r");
	mkdir(rd, 0755);
	/* upload through a temporary name */
	char *local = pj(d, "local");
	char data[3000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)('a' + i % 26);
	ck_assert_int_eq(tu_write(local, data, sizeof data), 0);
	int fd = open(local, O_RDONLY);
	ck_assert_int_eq(sftp_upload(c, fd, sizeof data, rd, "doc.x12", ".doc.part", &err), 0);
	close(fd);
	char *rp = pj(rd, "doc.x12");
	size_t len = 0;
	char *got = tu_read(rp, &len);
	ck_assert_uint_eq(len, sizeof data);
	ck_assert_int_eq(memcmp(got, data, len), 0);
	free(got);
	ck_assert_int_eq(count_all(rd), 1); /* the temporary name is gone */
	/* the same name again: the rename never replaces, the temporary file is cleaned up */
	fd = open(local, O_RDONLY);
	ck_assert_int_eq(sftp_upload(c, fd, sizeof data, rd, "doc.x12", ".doc.part", &err), -EEXIST);
	close(fd);
	ck_assert_ptr_nonnull(strstr(err.data, "the target exists"));
	ck_assert_int_eq(count_all(rd), 1);
	/* download limits: one below the size, at it */
	char sha[65], want[65];
	uint64_t n = 0;
	ck_assert_int_eq(sftp_download(c, rp, -1, sizeof data - 1, &n, sha, NULL, NULL, &err), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err.data, "larger than the limit"));
	ck_assert_int_eq(sftp_download(c, rp, -1, sizeof data, &n, sha, NULL, NULL, &err), 0);
	ck_assert_uint_eq(n, sizeof data);
	sha256_hex(data, sizeof data, want);
	ck_assert_str_eq(sha, want);
	/* stat, remove, and their errors name host:port, operation and path */
	struct sftp_entry st;
	ck_assert_int_eq(sftp_stat(c, rp, &st, &err), 0);
	ck_assert_uint_eq(st.size, sizeof data);
	ck_assert_int_eq(sftp_remove(c, rp, &err), 0);
	ck_assert_int_eq(sftp_remove(c, rp, &err), -ENOENT);
	char *expect = xasprintf("sftp 127.0.0.1:%s: remove %s: no such file", s->port, rp);
	ck_assert_msg(strstr(err.data, expect) != NULL, "%s", err.data);
	free(expect);
	ck_assert_int_eq(sftp_stat(c, rp, &st, &err), -ENOENT);
	/* the listing limit: one below, at, and one above the number of entries */
	char *ld = pj(d, "three");
	mkdir(ld, 0755);
	put_remote(ld, "a", "1", 1);
	put_remote(ld, "b", "2", 1);
	put_remote(ld, "c", "3", 1);
	struct sftp_entry *v = NULL;
	size_t nv = 0, skipped = 0;
	ck_assert_int_eq(sftp_list(c, ld, 2, &v, &nv, &skipped, &err), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err.data, "more than 2 entries"));
	ck_assert_ptr_null(v);
	for (size_t max = 3; max <= 4; max++) {
		ck_assert_int_eq(sftp_list(c, ld, max, &v, &nv, &skipped, &err), 0);
		ck_assert_uint_eq(nv, 3);
		ck_assert_uint_eq(skipped, 0);
		sftp_entries_free(v, nv);
	}
	free(ld);
	/* a directory is no download */
	ck_assert_int_eq(sftp_download(c, rd, -1, 100, &n, NULL, NULL, NULL, &err), -EINVAL);
	sftp_close(c);
	buf_free(&err);
	free(rp);
	free(local);
	free(rd);
	free(keep[0]);
	free(keep[1]);
	server_free(s);
	tu_rmtree(d);
	free(d);
}
END_TEST

/* ------------------------------------------------------------- pickup */

START_TEST(test_pickup_when_stable)
{
	struct env *e = env_new(NULL);
	char *doc = po_interchange(1001, 1);
	put_remote(e->in, "po1001.x12", doc, strlen(doc));
	/* first poll: seen, not taken */
	char *out = run_once(e);
	ck_assert_msg(strstr(out, "taken once its size and time are the same"), "%s", tail(out));
	free(out);
	ck_assert_int_eq(count_files(e->in), 1);
	ck_assert_int_eq(jobs_total(e), 0);
	/* before poll-interval has passed: no poll at all */
	run_quiet(e);
	ck_assert_int_eq(count_files(e->in), 1);
	ck_assert_int_eq(jobs_total(e), 0);
	/* second poll, unchanged: taken, processed, and its 997 delivered by SFTP */
	poll_due(e);
	out = run_once(e);
	ck_assert_int_eq(count_files(e->in), 0);
	ck_assert_msg(qcount(e, "archive") == 1, "%s", tail(out));
	free(out);
	ck_assert_int_eq(count_files(e->erp), 1);
	char *job = first_job(e, "archive");
	ck_assert_ptr_nonnull(strstr(job, "Partner: retailer\n"));
	ck_assert_ptr_nonnull(strstr(job, "Original-Name: po1001.x12\n"));
	ck_assert_ptr_nonnull(strstr(job, "Source: sftp:retailer\n"));
	ck_assert_ptr_nonnull(strstr(job, doc));
	free(job);
	ck_assert_int_eq(count_all(e->out), 1);
	char *ackname = tu_first_file(e->out);
	ck_assert_str_eq(ackname, "000000001-997.x12");
	char *ackp = pj(e->out, ackname);
	char *ack = tu_read(ackp, NULL);
	ck_assert_ptr_nonnull(strstr(ack, "AK1*PO*1001~"));
	ck_assert_int_eq(qcount(e, "sent"), 1);
	ck_assert_int_eq(count_files(e->outq), 0);
	/* status shows the partner's SFTP transports, healthy */
	ck_assert_int_eq(edigw(e, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "sftp-poll") && strstr(out, "sftp-deliver") && !strstr(out, "FAILING"), "%s", tail(out));
	free(out);
	free(ack);
	free(ackp);
	free(ackname);
	free(doc);
	env_free(e);
}
END_TEST

START_TEST(test_growing_file_waits)
{
	struct env *e = env_new(NULL);
	char *doc = po_interchange(2002, 3);
	size_t n = strlen(doc), half = n / 2;
	put_remote(e->in, "big.x12", doc, half);
	run_quiet(e);
	/* the partner writes more: the next poll sees another size */
	char *p = pj(e->in, "big.x12");
	int fd = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, doc + half, n - half), (ssize_t)(n - half));
	close(fd);
	poll_due(e);
	char *out = run_once(e);
	ck_assert_msg(jobs_total(e) == 0 && count_files(e->in) == 1, "taken while growing: %s", tail(out));
	free(out);
	/* unchanged at the next poll: taken whole */
	poll_due(e);
	run_quiet(e);
	ck_assert_int_eq(count_files(e->in), 0);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	char *job = first_job(e, "archive");
	ck_assert_ptr_nonnull(strstr(job, doc));
	free(job);
	ck_assert_int_eq(count_files(e->erp), 1);
	free(p);
	free(doc);
	env_free(e);
}
END_TEST

START_TEST(test_ready_pattern_and_limits)
{
	struct env *e = env_new("sftp.pattern = *.x12\nsftp.ready-pattern = *.x12\nlimit.max-file-size = 1k\n");
	char b[1100];
	memset(b, 'Z', sizeof b);
	put_remote(e->in, "below.x12", b, 1023);
	put_remote(e->in, "at.x12", b, 1024);
	put_remote(e->in, "above.x12", b, 1025);
	put_remote(e->in, "other.txt", b, 10);   /* not sftp.pattern: never taken */
	put_remote(e->in, "partial.x12.part", b, 10);
	char *out = run_once(e);
	/* taken at the first poll (ready): 1023 and 1024 bytes; 1025 is over the limit */
	ck_assert_msg(jobs_total(e) == 2, "%s", tail(out));
	ck_assert_msg(strstr(out, "over limit.max-file-size") != NULL, "%s", tail(out));
	free(out);
	char *in_left[] = { "above.x12", "other.txt", "partial.x12.part" };
	ck_assert_int_eq(count_all(e->in), 3);
	for (size_t i = 0; i < 3; i++) {
		char *p = pj(e->in, in_left[i]);
		ck_assert_msg(access(p, F_OK) == 0, "%s gone", in_left[i]);
		free(p);
	}
	/* and they stay, however often we poll */
	poll_due(e);
	run_quiet(e);
	poll_due(e);
	run_quiet(e);
	ck_assert_int_eq(count_all(e->in), 3);
	ck_assert_int_eq(jobs_total(e), 2);
	ck_assert_int_eq(edigw(e, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "FAILING") && strstr(out, "limit.max-file-size"), "%s", tail(out));
	free(out);
	env_free(e);
}
END_TEST

START_TEST(test_archive)
{
	struct env *e = NULL;
	char *extra = NULL;
	{
		/* the archive directory is only known once the env exists: set it after */
		e = env_new("sftp.ready-pattern = *\n");
		extra = xasprintf("sftp.archive = %s\n", e->archive);
		appendf(e->partner, "%s", extra);
	}
	char *doc = po_interchange(3003, 1);
	put_remote(e->in, "po.x12", doc, strlen(doc));
	put_remote(e->archive, "po.x12", "older\n", 6); /* already there: archived under another name */
	run_quiet(e);
	ck_assert_int_eq(count_files(e->in), 0);
	ck_assert_int_eq(count_files(e->archive), 2);
	char *jobs = pj(e->spool, "archive");
	char *id = tu_first_file(jobs);
	ck_assert_ptr_nonnull(id);
	char *alt = xasprintf("po.x12.%s", id);
	char *ap = pj(e->archive, alt);
	char *got = tu_read(ap, NULL);
	ck_assert_msg(got && strcmp(got, doc) == 0, "archived copy %s missing or different", alt);
	char *old = pj(e->archive, "po.x12");
	char *oldc = tu_read(old, NULL);
	ck_assert_str_eq(oldc, "older\n");
	free(oldc);
	free(old);
	free(got);
	free(ap);
	free(alt);
	free(id);
	free(jobs);
	free(doc);
	free(extra);
	env_free(e);
}
END_TEST

START_TEST(test_hostile_names)
{
	struct env *e = env_new("sftp.ready-pattern = *\n");
	char longname[256];
	memset(longname, 'L', 255);
	longname[255] = '\0';
	const char *names[] = { "new\nline.x12", "esc\x1b[31mred", "-rf", "with space", "\xc3\xa9t\xc3\xa9.x12",
				"Release: 1", longname, "a\r\nRelease: 1", "x...\x7f" };
	size_t nn = sizeof names / sizeof names[0];
	for (size_t i = 0; i < nn; i++)
		put_remote(e->in, names[i], "garbage\n", 8);
	/* a dot file is not matched by sftp.pattern's '*' (partners upload under such names) */
	put_remote(e->in, "..x12", "garbage\n", 8);
	/* not regular files: left alone */
	char *sub = pj(e->in, "subdir");
	mkdir(sub, 0755);
	char *outside = pj(e->dir, "outside-secret");
	writef(outside, "secret\n");
	char *lnk = pj(e->in, "link.x12");
	ck_assert_int_eq(symlink(outside, lnk), 0);
	char *out = run_once(e);
	ck_assert_msg((size_t)jobs_total(e) == nn, "%d jobs for %zu files: %s", jobs_total(e), nn, tail(out));
	free(out);
	ck_assert_int_eq(count_all(e->in), 3); /* the dot file, the directory and the symlink */
	ck_assert_int_eq(access(outside, F_OK), 0);
	/* every job's Original-Name is one safe line; no job holds the secret */
	static const char *const qs[] = { "incoming", "failed", "hold", "archive" };
	size_t seen = 0;
	for (size_t q = 0; q < 4; q++) {
		char *qd = pj(e->spool, qs[q]);
		int cnt = count_files(qd);
		for (int k = 0; k < cnt; k++) {
			char *f = tu_nth_file(qd, k);
			char *fp = pj(qd, f);
			char *c = tu_read(fp, NULL);
			char *on = strstr(c, "Original-Name: ");
			ck_assert_ptr_nonnull(on);
			on += strlen("Original-Name: ");
			size_t len = strcspn(on, "\n");
			ck_assert_msg(len > 0 && len <= 64, "name length %zu", len);
			for (size_t j = 0; j < len; j++)
				ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", on[j]),
					      "unsafe byte 0x%02x in Original-Name", (unsigned char)on[j]);
			ck_assert_ptr_null(strstr(c, "Release: 1\n\n")); /* no header injection */
			ck_assert_ptr_null(strstr(c, "secret"));
			seen++;
			free(c);
			free(fp);
			free(f);
		}
		free(qd);
	}
	ck_assert_uint_eq(seen, nn);
	/* nothing of ours was written outside the spool (the test directory holds what it held) */
	char *stray = pj(e->dir, "line.x12");
	ck_assert_int_ne(access(stray, F_OK), 0);
	free(stray);
	/* the ledger's event shows the name escaped */
	ck_assert_int_eq(sql_int(e, "SELECT count(*) FROM events WHERE state = 'received'"
				    " AND instr(reason, 'new\\nline.x12 (8 bytes)') > 0"), 1);
	free(lnk);
	free(outside);
	free(sub);
	env_free(e);
}
END_TEST

START_TEST(test_host_key_refused_by_gateway)
{
	static const char *const files[] = { "known_hosts_wrong", "known_hosts_other" };
	static const char *const words[] = { "HOST KEY CHANGED", "unknown host key" };
	for (size_t i = 0; i < 2; i++) {
		struct env *e = env_new("sftp.ready-pattern = *\n");
		char *good = sfile(e->srv, "known_hosts"), *bad = sfile(e->srv, files[i]);
		char *conf = tu_read(e->partner, NULL);
		char *changed = tu_replace(conf, good, bad);
		writef(e->partner, "%s", changed);
		char *doc = po_interchange(4004, 1);
		put_remote(e->in, "po.x12", doc, strlen(doc));
		put_outbound(e, "000000009-997.x12", "ISA*...~\n");
		char *out = run_once(e);
		ck_assert_msg(strstr(out, words[i]) != NULL, "%s", tail(out));
		free(out);
		/* nothing taken, nothing delivered */
		ck_assert_int_eq(count_files(e->in), 1);
		ck_assert_int_eq(count_all(e->out), 0);
		ck_assert_int_eq(qcount(e, "incoming") + qcount(e, "archive"), 0);
		ck_assert_int_eq(qcount(e, "deferred"), 1);
		ck_assert_int_eq(edigw(e, &out, "status", NULL), 0);
		ck_assert_msg(strstr(out, "FAILING") && strstr(out, words[i]), "%s", tail(out));
		free(out);
		free(doc);
		free(changed);
		free(conf);
		free(good);
		free(bad);
		env_free(e);
	}
}
END_TEST

START_TEST(test_password_file_mode_refused_by_gateway)
{
	struct env *e = env_new("sftp.ready-pattern = *\n");
	char *key = sfile(e->srv, "id_ed25519");
	char *pw = pj(e->dir, "password");
	writef(pw, "not-the-password\n");
	chmod(pw, 0644);
	char *conf = tu_read(e->partner, NULL);
	char *k = xasprintf("sftp.key = %s", key), *p = xasprintf("sftp.password-file = %s", pw);
	char *changed = tu_replace(conf, k, p);
	writef(e->partner, "%s", changed);
	put_remote(e->in, "po.x12", "x", 1);
	char *out = run_once(e);
	ck_assert_msg(strstr(out, "mode 0644") && strstr(out, "chmod 600"), "%s", tail(out));
	free(out);
	ck_assert_int_eq(count_files(e->in), 1);
	ck_assert_int_eq(jobs_total(e), 0);
	ck_assert_int_eq(edigw(e, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "sftp-poll") && strstr(out, "chmod 600"), "%s", tail(out));
	free(out);
	free(changed);
	free(k);
	free(p);
	free(conf);
	free(pw);
	free(key);
	env_free(e);
}
END_TEST

/* ------------------------------------------------------------- delivery */

START_TEST(test_delivery_upload_rename)
{
	struct env *e = env_new(NULL);
	const char *doc = "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*RETAILER       *261122*0930*U*00401*"
			  "000000042*0*P*>~GS*FA*ACMESUPPLY*RETAILER*20261122*0930*42*X*004010~ST*997*0001~AK1*PO*1~"
			  "AK9*A*0*0*0~SE*4*0001~GE*1*42~IEA*1*000000042~\n";
	put_outbound(e, "000000042-997.x12", doc);
	put_outbound(e, "000000043-997.x12", "second\n");
	char *out = run_once(e);
	ck_assert_msg(count_all(e->out) == 2, "%s", tail(out));
	free(out);
	char *p = pj(e->out, "000000042-997.x12");
	char *got = tu_read(p, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, doc);
	free(got);
	free(p);
	ck_assert_int_eq(count_files(e->outq), 0);
	ck_assert_int_eq(qcount(e, "sent"), 2);
	ck_assert_int_eq(qcount(e, "deferred"), 0);
	/* the sent job keeps the document and its name; the ledger has the event */
	char *job = first_job(e, "sent");
	ck_assert_ptr_nonnull(strstr(job, "Original-Name: 000000042-997.x12\n"));
	ck_assert_ptr_nonnull(strstr(job, "Source: outbound:retailer\n"));
	ck_assert_ptr_nonnull(strstr(job, doc));
	ck_assert_ptr_null(strstr(job, "Reason:"));
	char *id = strdup(job + strlen("Edigw-Job: "));
	*strchr(id, '\n') = '\0';
	ck_assert_int_eq(edigw(e, &out, "track", id, NULL), 0);
	ck_assert_msg(strstr(out, "queued") && strstr(out, "sent") && strstr(out, e->out), "%s", tail(out));
	free(out);
	/* nothing is sent twice */
	run_quiet(e);
	ck_assert_int_eq(count_all(e->out), 2);
	free(id);
	free(job);
	env_free(e);
}
END_TEST

/* The Attempts: header of the only job in deferred/. */
static unsigned deferred_attempts(struct env *e, char **reason)
{
	char *job = first_job(e, "deferred");
	ck_assert_ptr_nonnull(job);
	char *a = strstr(job, "Attempts: ");
	ck_assert_ptr_nonnull(a);
	unsigned n = (unsigned)strtoul(a + 10, NULL, 10);
	if (reason) {
		char *r = strstr(job, "Reason: ");
		*reason = r ? strndup(r + 8, strcspn(r + 8, "\n")) : NULL;
	}
	free(job);
	return n;
}

/* Seconds from a delivery's last update to its next attempt (the back-off). */
static long long next_wait(struct env *e)
{
	return sql_int(e, "SELECT next_unix - updated_unix FROM deliveries WHERE state = 'queued'");
}

START_TEST(test_delivery_backoff_server_down)
{
	struct env *e = env_new(NULL);
	put_outbound(e, "000000050-997.x12", "doc fifty\n");
	server_stop(e->srv);
	/* attempt 1 fails: deferred, the reason says why and when it is tried again */
	char *out = run_once(e);
	free(out);
	ck_assert_int_eq(qcount(e, "deferred"), 1);
	ck_assert_int_eq(count_files(e->outq), 0);
	char *reason = NULL;
	ck_assert_uint_eq(deferred_attempts(e, &reason), 1);
	ck_assert_msg(reason && strstr(reason, "attempt 1 failed") && strstr(reason, "connect") &&
			      strstr(reason, "next attempt at"),
		      "%s", reason);
	free(reason);
	/* the wait doubles from retry.min (1m) up to retry.max (4m): 60, 120, 240, 240 */
	ck_assert_int_eq(next_wait(e), 60);
	/* not due: the next run does not try */
	run_quiet(e);
	ck_assert_uint_eq(deferred_attempts(e, NULL), 1);
	static const int waits[] = { 120, 240, 240 };
	for (int k = 0; k < 3; k++) {
		deliveries_due(e);
		run_quiet(e);
		ck_assert_uint_eq(deferred_attempts(e, NULL), (unsigned)(k + 2));
		ck_assert_int_eq(next_wait(e), waits[k]);
	}
	ck_assert_int_eq(count_all(e->out), 0);
	ck_assert_int_eq(edigw(e, &out, "status", NULL), 0);
	char *rows = transport_rows(out, "sftp-deliver");
	ck_assert_msg(strstr(rows, "FAILING (4 in a row)") && strstr(rows, "Connection refused") &&
			      strstr(rows, "next retry"),
		      "%s", tail(out));
	free(rows);
	free(out);
	/* the server is back: delivered exactly once */
	server_restart(e->srv);
	run_quiet(e);
	ck_assert_int_eq(count_all(e->out), 0); /* still waiting for its time */
	deliveries_due(e);
	run_quiet(e);
	ck_assert_int_eq(count_all(e->out), 1);
	char *p = pj(e->out, "000000050-997.x12");
	char *got = tu_read(p, NULL);
	ck_assert_str_eq(got, "doc fifty\n");
	free(got);
	free(p);
	ck_assert_int_eq(qcount(e, "deferred"), 0);
	ck_assert_int_eq(qcount(e, "sent"), 1);
	ck_assert_int_eq(sql_int(e, "SELECT attempts FROM deliveries"), 4);
	deliveries_due(e);
	run_quiet(e);
	ck_assert_int_eq(count_all(e->out), 1);
	ck_assert_int_eq(edigw(e, &out, "status", NULL), 0);
	char *rows_ok = transport_rows(out, "sftp-deliver");
	ck_assert_msg(rows_ok[0] && !strstr(rows_ok, "FAILING"), "%s", tail(out));
	free(rows_ok);
	free(out);
	env_free(e);
}
END_TEST

START_TEST(test_delivery_max_age_failed)
{
	struct env *e = env_new(NULL);
	put_outbound(e, "000000060-997.x12", "doc sixty\n");
	server_stop(e->srv);
	run_quiet(e);
	ck_assert_int_eq(qcount(e, "deferred"), 1);
	/* one hour (retry.max-age) later, the next failure gives up */
	char *db = pj(e->spool, "ledger.db");
	ck_assert_int_eq(tu_sql(db, "UPDATE deliveries SET first_unix = first_unix - 3600, next_unix = 0"), 0);
	run_quiet(e);
	ck_assert_int_eq(qcount(e, "deferred"), 0);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	char *job = first_job(e, "failed");
	ck_assert_msg(strstr(job, "Reason: not delivered to partner retailer within retry.max-age (3600s, 2 attempts)"),
		      "%s", job);
	free(job);
	char *out = NULL;
	ck_assert_int_eq(edigw(e, &out, "status", NULL), 0);
	ck_assert_msg(strstr(out, "retry.max-age"), "status does not show the failed delivery:\n%s", tail(out));
	free(out);
	/* a little before max-age it would still have waited: a second document */
	put_outbound(e, "000000061-997.x12", "doc sixty-one\n");
	run_quiet(e);
	ck_assert_int_eq(tu_sql(db, "UPDATE deliveries SET first_unix = first_unix - 3590, next_unix = 0"
				    " WHERE state = 'queued'"),
			 0);
	run_quiet(e);
	ck_assert_int_eq(qcount(e, "deferred"), 1);
	ck_assert_int_eq(qcount(e, "failed"), 1);
	/* what status gets from the gateway, and an operator's replay of the failed one */
	struct diag_list dl;
	diag_list_init(&dl);
	struct gateway *g = NULL;
	ck_assert_int_eq(gateway_open(&g, e->conf, &dl), 0);
	diag_list_free(&dl);
	struct gw_delivery_counts dc;
	ck_assert_int_eq(gateway_delivery_counts(g, "retailer", &dc), 0);
	ck_assert_uint_eq(dc.waiting, 1);
	ck_assert_uint_eq(dc.retrying, 1);
	ck_assert_uint_eq(dc.failed, 1);
	ck_assert_uint_eq(dc.sent, 0);
	ck_assert_int_gt(dc.next_retry, (int64_t)time(NULL));
	/* the last attempt's error names the server (normally "Connection refused"; while the
	 * server is down another test's listener may have taken its port) */
	char *peer = xasprintf("sftp 127.0.0.1:%s:", e->srv->port);
	ck_assert_msg(dc.last_error && strstr(dc.last_error, peer), "last error: %s",
		      dc.last_error ? dc.last_error : "(none)");
	free(peer);
	free(dc.last_error);
	char *fdir = pj(e->spool, "failed");
	char *fid = tu_first_file(fdir);
	ck_assert_int_eq(gateway_deliver_replay(g, "20261122T000000Z-00000001-00000001-00000000"), -EINVAL);
	ck_assert_int_eq(gateway_deliver_replay(g, fid), 0);
	gateway_free(g);
	ck_assert_int_eq(qcount(e, "failed"), 0);
	ck_assert_int_eq(qcount(e, "deferred"), 2);
	server_restart(e->srv);
	run_quiet(e); /* the replayed one is due now; the other waits for its time */
	char *p = pj(e->out, "000000060-997.x12");
	char *got = tu_read(p, NULL);
	ck_assert_msg(got && strcmp(got, "doc sixty\n") == 0, "replayed delivery missing");
	ck_assert_int_eq(count_all(e->out), 1);
	ck_assert_int_eq(qcount(e, "sent"), 1);
	free(got);
	free(p);
	free(fid);
	free(fdir);
	free(db);
	env_free(e);
}
END_TEST

/* ------------------------------------------------------------- crashes */

static void expect_killed(struct env *e, const char *point, int times)
{
	char spec[64];
	snprintf(spec, sizeof spec, "%s:%d", point, times);
	char *out = NULL;
	int rc = edigw_crash(e, &out, spec, "run", "--once", NULL);
	ck_assert_msg(rc == -SIGKILL, "not killed at %s (%d): %s", spec, rc, tail(out));
	free(out);
}

START_TEST(test_crash_during_download)
{
	struct env *e = env_new("sftp.ready-pattern = *.x12\n");
	char *doc = po_interchange(5005, 3000); /* about 800 KB: many 32 KiB chunks */
	size_t n = strlen(doc);
	ck_assert_uint_gt(n, 500000);
	put_remote(e->in, "big.x12", doc, n);
	expect_killed(e, "sftp-download", 5);
	/* mid-download: the remote file is untouched, no job exists */
	ck_assert_int_eq(count_files(e->in), 1);
	ck_assert_int_eq(jobs_total(e), 0);
	/* restart: taken once, processed once */
	char *out = run_once(e);
	free(out);
	ck_assert_int_eq(count_files(e->in), 0);
	ck_assert_int_eq(qcount(e, "archive"), 1);
	ck_assert_int_eq(jobs_total(e) - qcount(e, "sent"), 1);
	ck_assert_int_eq(count_files(e->erp), 1);
	char *tmp = pj(e->spool, "tmp");
	ck_assert_int_eq(count_all(tmp), 0);
	free(tmp);
	free(doc);
	env_free(e);
}
END_TEST

START_TEST(test_crash_around_commit)
{
	static const char *const points[] = { "sftp-before-commit", "sftp-after-commit" };
	for (size_t i = 0; i < 2; i++) {
		struct env *e = env_new("sftp.ready-pattern = *.x12\n");
		char *doc = po_interchange(6006 + (unsigned)i, 1);
		put_remote(e->in, "po.x12", doc, strlen(doc));
		expect_killed(e, points[i], 1);
		/* the remote file is still there; after the commit the job is durable too */
		ck_assert_int_eq(count_files(e->in), 1);
		ck_assert_int_eq(qcount(e, "incoming"), i == 1 ? 1 : 0);
		run_quiet(e);
		/* one job, processed once: no duplicate held, one ERP file, the remote file gone */
		ck_assert_int_eq(count_files(e->in), 0);
		ck_assert_int_eq(qcount(e, "archive"), 1);
		ck_assert_int_eq(qcount(e, "hold") + qcount(e, "incoming") + qcount(e, "failed"), 0);
		ck_assert_int_eq(count_files(e->erp), 1);
		ck_assert_int_eq(count_files(e->out), 1); /* one 997 */
		poll_due(e);
		run_quiet(e);
		ck_assert_int_eq(qcount(e, "archive"), 1);
		free(doc);
		env_free(e);
	}
}
END_TEST

START_TEST(test_crash_during_delivery)
{
	static const char *const points[] = { "deliver-after-adopt", "deliver-after-upload", "deliver-after-rename",
					      "deliver-before-sent" };
	for (size_t i = 0; i < 4; i++) {
		for (int taken = 0; taken < (i == 2 ? 2 : 1); taken++) {
			struct env *e = env_new(NULL);
			put_outbound(e, "000000070-997.x12", "doc seventy\n");
			expect_killed(e, points[i], 1);
			/* the partner may take the file between the crash and the restart */
			if (taken) {
				char *p = pj(e->out, "000000070-997.x12");
				ck_assert_int_eq(unlink(p), 0);
				free(p);
			}
			run_quiet(e);
			deliveries_due(e);
			run_quiet(e);
			/* delivered once: one file (none when the partner took it), no temporary files */
			ck_assert_msg(count_all(e->out) == (taken ? 0 : 1), "%s: %d files in the outbox", points[i],
				      count_all(e->out));
			ck_assert_int_eq(qcount(e, "sent"), 1);
			ck_assert_int_eq(qcount(e, "deferred") + qcount(e, "failed"), 0);
			ck_assert_int_eq(count_files(e->outq), 0);
			env_free(e);
		}
	}
}
END_TEST

/* ------------------------------------------------------------- main */

/* Stop every sshd a test left running (a failed test does not reach its clean-up). */

/* The daemon: one partner's server accepts connections and never answers (its 20 s
 * timeout), yet another partner's file is picked up at once: the transports run in their
 * own processes and a partner being served is skipped by the next one. */
START_TEST(test_outage_isolated)
{
	struct env *e = env_new("sftp.ready-pattern = *.x12\n");
	/* a silent server for partner "hung" (config order: before "retailer") */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(ls, 16), 0);
	socklen_t al = sizeof a;
	getsockname(ls, (struct sockaddr *)&a, &al);
	char *hung = pj(e->dir, "partners/hung.conf"), *key = sfile(e->srv, "id_ed25519"),
	     *kh = sfile(e->srv, "known_hosts");
	writef(hung, "id = hung\nx12.qualifier = ZZ\nx12.id = HUNG\nx12.gs-id = HUNG\n"
		     "sftp.host = 127.0.0.1\nsftp.port = %u\nsftp.user = %s\nsftp.key = %s\nsftp.known-hosts = %s\n"
		     "sftp.inbox = /in\nsftp.poll-interval = 1s\nsftp.timeout = 20s\n",
	       (unsigned)ntohs(a.sin_port), user_name(), key, kh);
	char *doc = po_interchange(3001, 1);
	put_remote(e->in, "po3001.x12", doc, strlen(doc));
	char *log = pj(e->dir, "daemon.log");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(getenv("EDIGW_BIN"), "edigw", "-c", e->conf, "run", (char *)NULL);
		_exit(127);
	}
	uint64_t t0 = now_ms();
	while (count_files(e->in) > 0 && now_ms() - t0 < 15000)
		usleep(100000);
	uint64_t took = now_ms() - t0;
	ck_assert_msg(count_files(e->in) == 0, "the retailer's file was not taken within 15 s");
	ck_assert_msg(took < 10000, "the retailer waited %llu ms behind the silent server", (unsigned long long)took);
	/* the ERP gets it while the other server is still silent */
	while (count_files(e->erp) == 0 && now_ms() - t0 < 15000)
		usleep(100000);
	ck_assert_int_eq(count_files(e->erp), 1);
	kill(pid, SIGTERM);
	int st = 0;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ls);
	free(log);
	free(doc);
	free(kh);
	free(key);
	free(hung);
	env_free(e);
}
END_TEST

static void stop_leftovers(void)
{
	DIR *d = opendir(g_base);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *t = pj(g_base, e->d_name);
		char *s = pj(t, "sshd");
		char *pid = pj(s, "sshd.pid");
		if (access(pid, F_OK) == 0) {
			char *out = NULL;
			harness("stop", s, NULL, &out);
			free(out);
		}
		free(pid);
		free(s);
		free(t);
	}
	closedir(d);
}

/* EDIGW_SFTP_ONLY=test_name runs one test (debugging). */
#define ADD(tc, t)                                                                              \
	do {                                                                                    \
		const char *only_ = getenv("EDIGW_SFTP_ONLY");                                 \
		if (!only_ || strcmp(only_, #t) == 0)                                           \
			tcase_add_test((tc), t);                                                \
	} while (0)

int main(void)
{
	if (!getenv("EDIGW_BIN")) {
		fprintf(stderr, "EDIGW_BIN not set; run through make check\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	g_base = tu_tmpdir();
	char *out = NULL;
	int have_sshd = harness("check", "", NULL, &out) == 0;
	free(out);
	int require = getenv("EDIGW_REQUIRE_SFTP") && strcmp(getenv("EDIGW_REQUIRE_SFTP"), "1") == 0;
	Suite *s = suite_create("sftp");
	TCase *off = tcase_create("offline");
	ADD(off, test_name_filter);
	ADD(off, test_secret_file_modes);
	ADD(off, test_config_keys);
	ADD(off, test_config_files_checked);
	ADD(off, test_client_timeouts);
	suite_add_tcase(s, off);
	if (have_sshd) {
		TCase *cl = tcase_create("client");
		tcase_set_timeout(cl, 120);
		ADD(cl, test_client_keys);
		ADD(cl, test_client_key_passphrase);
		ADD(cl, test_client_host_keys_refused);
		ADD(cl, test_client_password);
		ADD(cl, test_client_operations);
		suite_add_tcase(s, cl);
		TCase *gw = tcase_create("gateway");
		tcase_set_timeout(gw, 300);
		ADD(gw, test_pickup_when_stable);
		ADD(gw, test_growing_file_waits);
		ADD(gw, test_ready_pattern_and_limits);
		ADD(gw, test_archive);
		ADD(gw, test_hostile_names);
		ADD(gw, test_host_key_refused_by_gateway);
		ADD(gw, test_password_file_mode_refused_by_gateway);
		ADD(gw, test_delivery_upload_rename);
		ADD(gw, test_delivery_backoff_server_down);
		ADD(gw, test_delivery_max_age_failed);
		ADD(gw, test_crash_during_download);
		ADD(gw, test_crash_around_commit);
		ADD(gw, test_crash_during_delivery);
		ADD(gw, test_outage_isolated);
		suite_add_tcase(s, gw);
	}
	int rc = tu_run_suite(s);
	stop_leftovers();
	tu_rmtree(g_base);
	free(g_base);
	if (!have_sshd) {
		if (require) {
			fprintf(stderr, "FAIL: /usr/sbin/sshd is missing and EDIGW_REQUIRE_SFTP=1\n");
			return EXIT_FAILURE;
		}
		if (rc == EXIT_SUCCESS) {
			fprintf(stderr, "SKIP: /usr/sbin/sshd not found: only the offline SFTP tests ran "
					"(install openssh-server, or set EDIGW_REQUIRE_SFTP=1 to make this a failure)\n");
			return 77;
		}
	}
	return rc;
}
