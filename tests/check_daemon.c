/*
 * check_daemon — `edigw run` as a daemon through the real binary: SIGHUP reads the
 * configuration again (a new partner's files are then taken; a configuration with errors
 * is reported and the running one kept), SIGTERM stops it cleanly, and `edigw replay`
 * processes an archived job again on purpose.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

static char *pj(const char *a, const char *b)
{
	char *p = NULL;
	ck_assert_int_gt(asprintf(&p, "%s/%s", a, b), 0);
	return p;
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

/* One integer from a query on the ledger. */
static long long sql_count(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* A configuration with one X12 partner "first" (drop dir drop/first). */
static char *setup(void)
{
	char *dir = tu_tmpdir(), *src = tu_srcpath("");
	char *conf = pj(dir, "edigw.conf"), *parts = pj(dir, "partners");
	mkdir(parts, 0750);
	writef(conf,
	       "spool = spool\nerp-dir = erp\npartners-dir = partners\ncanonical-schema = %s/doc/canonical.rng\n"
	       "schema-dir = %s/maps/schemas\npoll-interval = 1s\n"
	       "our.x12.qualifier = ZZ\nour.x12.id = ACMESUPPLY\nour.x12.gs-id = ACMESUPPLY\n"
	       "erp.order = %s/maps/erp/order-csv.map\n",
	       src, src, src);
	char *pc = pj(parts, "first.conf");
	writef(pc, "id = first\nx12.qualifier = ZZ\nx12.id = FIRST\nx12.gs-id = FIRST\ndrop = ../drop/first\n"
		   "document.850 = %s/maps/x12/850.map\n",
		   src);
	char *d1 = pj(dir, "drop"), *d2 = pj(dir, "drop/first"), *d3 = pj(dir, "drop/second");
	mkdir(d1, 0750);
	mkdir(d2, 0750);
	mkdir(d3, 0750);
	free(d1);
	free(d2);
	free(d3);
	free(pc);
	free(parts);
	free(conf);
	free(src);
	return dir;
}

/* An 850 interchange from sender id (padded to 15) with control number icn. */
static char *po(const char *id, unsigned icn)
{
	char *s = NULL;
	ck_assert_int_gt(asprintf(&s,
				  "ISA*00*          *00*          *ZZ*%-15s*ZZ*ACMESUPPLY     *261122*1200*U*00401*%09u*0*P*>~"
				  "GS*PO*%s*ACMESUPPLY*20261122*1200*%u*X*004010~ST*850*0001~BEG*00*SA*PO-%u**20261122~"
				  "PO1*1*2*EA*1.5**VP*W-1~CTT*1~SE*5*0001~GE*1*%u~IEA*1*%09u~",
				  id, icn, id, icn, icn, icn, icn),
		  0);
	return s;
}

/* Start `edigw -c CONF run` with its output in DIR/daemon.log; returns the pid. */
static pid_t start_daemon(const char *dir)
{
	char *conf = pj(dir, "edigw.conf"), *log = pj(dir, "daemon.log");
	const char *bin = getenv("EDIGW_BIN");
	ck_assert_ptr_nonnull(bin);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "-c", conf, "run", (char *)NULL);
		_exit(127);
	}
	free(conf);
	free(log);
	return pid;
}

/* Wait up to secs for a file in dir whose name contains what; 1 when there is one. */
static int wait_file(const char *dir, const char *what, int secs)
{
	for (int i = 0; i < secs * 10; i++) {
		for (int k = 0;; k++) {
			char *n = tu_nth_file(dir, k);
			if (!n)
				break;
			int hit = strstr(n, what) != NULL;
			free(n);
			if (hit)
				return 1;
		}
		usleep(100000);
	}
	return 0;
}

/* Wait up to secs for text in DIR/daemon.log. */
static int wait_log(const char *dir, const char *text, int secs)
{
	char *log = pj(dir, "daemon.log");
	int hit = 0;
	for (int i = 0; i < secs * 10 && !hit; i++) {
		char *t = tu_read(log, NULL);
		hit = t && strstr(t, text);
		free(t);
		if (!hit)
			usleep(100000);
	}
	free(log);
	return hit;
}

static int stop_daemon(pid_t pid)
{
	kill(pid, SIGTERM);
	int st = 0;
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

START_TEST(test_sighup_reload)
{
	char *dir = setup(), *src = tu_srcpath("");
	pid_t pid = start_daemon(dir);
	ck_assert_msg(wait_log(dir, "edigw running", 10), "the daemon did not start");
	/* the first partner's file is processed */
	char *f = po("FIRST", 11), *p = pj(dir, "drop/first/a.x12");
	ck_assert_int_eq(tu_write(p, f, strlen(f)), 0);
	free(f);
	free(p);
	char *erp = pj(dir, "erp");
	ck_assert_msg(wait_file(erp, "order-first", 15), "first partner's order not processed");
	/* a new partner appears in the configuration: SIGHUP, then its file is taken */
	char *pc = pj(dir, "partners/second.conf");
	writef(pc, "id = second\nx12.qualifier = ZZ\nx12.id = SECOND\nx12.gs-id = SECOND\ndrop = ../drop/second\n"
		   "document.850 = %s/maps/x12/850.map\n",
		   src);
	kill(pid, SIGHUP);
	ck_assert_msg(wait_log(dir, "reloaded: 2 partner(s)", 15), "no reload");
	f = po("SECOND", 12);
	p = pj(dir, "drop/second/b.x12");
	ck_assert_int_eq(tu_write(p, f, strlen(f)), 0);
	free(f);
	free(p);
	ck_assert_msg(wait_file(erp, "order-second", 15), "second partner's order not processed after SIGHUP");
	/* a broken configuration: reported, the running one kept */
	writef(pc, "id = second\nx12.qualifier = ZZ\nnonsense = 1\n");
	kill(pid, SIGHUP);
	ck_assert_msg(wait_log(dir, "still running with the previous one", 15), "a broken reload was not reported");
	f = po("SECOND", 13);
	p = pj(dir, "drop/second/c.x12");
	ck_assert_int_eq(tu_write(p, f, strlen(f)), 0);
	free(f);
	free(p);
	char *arch = pj(dir, "spool/archive");
	for (int i = 0; i < 150 && tu_count_files(arch) < 3; i++)
		usleep(100000);
	ck_assert_int_eq(tu_count_files(arch), 3);
	/* SIGTERM: a clean stop */
	ck_assert_int_eq(stop_daemon(pid), 0);
	ck_assert(wait_log(dir, "stopping on signal", 1));
	free(arch);
	free(pc);
	free(erp);
	free(src);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* edigw replay of an archived job: processed again, past the duplicate check. */
START_TEST(test_replay_archived)
{
	char *dir = setup(), *conf = pj(dir, "edigw.conf");
	char *f = po("FIRST", 21), *p = pj(dir, "in.x12"), *out = NULL;
	ck_assert_int_eq(tu_write(p, f, strlen(f)), 0);
	const char *ingest[] = { "-c", conf, "ingest", p, "--partner", "first", NULL };
	ck_assert_int_eq(tu_run(&out, ingest), 0);
	free(out);
	const char *run[] = { "-c", conf, "run", "--once", NULL };
	ck_assert_int_eq(tu_run(&out, run), 0);
	free(out);
	char *arch = pj(dir, "spool/archive"), *id = tu_first_file(arch);
	ck_assert_ptr_nonnull(id);
	/* the same bytes again are a duplicate: held */
	ck_assert_int_eq(tu_run(&out, ingest), 0);
	free(out);
	ck_assert_int_eq(tu_run(&out, run), 0);
	free(out);
	char *hold = pj(dir, "spool/hold");
	ck_assert_int_eq(tu_count_files(hold), 1);
	/* the ERP imported (and removed) the order file and lost the order: the archived job is
	 * replayed on purpose, processed again and its ERP file written again */
	char *erp = pj(dir, "erp"), *ef = tu_first_file(erp), *efp = pj(erp, ef);
	ck_assert_int_eq(unlink(efp), 0);
	ck_assert_int_eq(tu_count_files(erp), 0);
	const char *replay[] = { "-c", conf, "replay", id, NULL };
	ck_assert_int_eq(tu_run(&out, replay), 0);
	ck_assert_ptr_nonnull(strstr(out, "moved to incoming/"));
	free(out);
	ck_assert_int_eq(tu_run(&out, run), 0);
	free(out);
	ck_assert_int_eq(tu_count_files(erp), 1);
	free(ef);
	free(efp);
	const char *track[] = { "-c", conf, "track", id, NULL };
	ck_assert_int_eq(tu_run(&out, track), 0);
	ck_assert_msg(strstr(out, "replayed from archive") != NULL, "%.1000s", out);
	free(out);
	const char *bad[] = { "-c", conf, "replay", "no-such-job", NULL };
	ck_assert_int_eq(tu_run(&out, bad), 69);
	free(out);
	free(erp);
	free(hold);
	free(id);
	free(arch);
	free(p);
	free(f);
	free(conf);
	tu_rmtree(dir);
	free(dir);
}
END_TEST


/* edigw status per partner and transport: a drop directory that cannot be read is
 * FAILING with its error; once it works again the failures are cleared. */
START_TEST(test_status_transports)
{
	char *dir = setup(), *conf = pj(dir, "edigw.conf"), *out = NULL;
	char *drop = pj(dir, "drop/first");
	const char *run[] = { "-c", conf, "run", "--once", NULL };
	const char *status[] = { "-c", conf, "status", NULL };
	const char *sjson[] = { "-c", conf, "status", "--json", NULL };
	ck_assert_int_eq(tu_run(&out, run), 0);
	free(out);
	ck_assert_int_eq(tu_run(&out, status), 0);
	ck_assert_msg(strstr(out, "partner transports") && strstr(out, "first") && strstr(out, "drop") &&
			      strstr(out, "last success 20") && !strstr(out, "FAILING"),
		      "%.2000s", out);
	free(out);
	/* the drop "directory" is a file now */
	ck_assert_int_eq(rmdir(drop), 0);
	ck_assert_int_eq(tu_write(drop, "x", 1), 0);
	ck_assert_int_eq(tu_run(&out, run), 0);
	free(out);
	ck_assert_int_eq(tu_run(&out, run), 0);
	free(out);
	ck_assert_int_eq(tu_run(&out, status), 0);
	ck_assert_msg(strstr(out, "FAILING (2 in a row)") && strstr(out, "cannot read drop directory"), "%.2000s", out);
	free(out);
	ck_assert_int_eq(tu_run(&out, sjson), 0);
	ck_assert_msg(strstr(out, "\"transports\":[{\"partner\":\"first\",\"transport\":\"drop\"") &&
			      strstr(out, "\"failures\":2"),
		      "%.2000s", out);
	free(out);
	ck_assert_int_eq(unlink(drop), 0);
	ck_assert_int_eq(mkdir(drop, 0750), 0);
	ck_assert_int_eq(tu_run(&out, run), 0);
	free(out);
	ck_assert_int_eq(tu_run(&out, status), 0);
	ck_assert_msg(!strstr(out, "FAILING"), "%.2000s", out);
	free(out);
	free(drop);
	free(conf);
	tu_rmtree(dir);
	free(dir);
}
END_TEST


/* edigw run --workers 3: 40 different interchanges and 10 sent twice, dropped at once:
 * every one processed exactly once, every second copy held as a duplicate (the duplicate
 * check runs inside the ledger's write transaction), nothing left behind; SIGTERM stops the
 * workers with the daemon. */
START_TEST(test_workers)
{
	char *dir = setup(), *conf = pj(dir, "edigw.conf"), *log = pj(dir, "daemon.log");
	const char *bin = getenv("EDIGW_BIN");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "-c", conf, "run", "--workers", "3", (char *)NULL);
		_exit(127);
	}
	ck_assert_msg(wait_log(dir, "3 worker(s)", 10), "the daemon did not start its workers");
	/* write every file under a temporary name first, then rename them all in */
	char *drop = pj(dir, "drop/first");
	for (unsigned i = 0; i < 50; i++) {
		unsigned icn = i < 40 ? 100 + i : 100 + (i - 40) * 4; /* 10 copies of earlier ones */
		char *f = po("FIRST", icn), *tmp = NULL, *name = NULL;
		ck_assert_int_gt(asprintf(&tmp, "%s/.f%02u.tmp", drop, i), 0);
		ck_assert_int_gt(asprintf(&name, "%s/f%02u.x12", drop, i), 0);
		ck_assert_int_eq(tu_write(tmp, f, strlen(f)), 0);
		free(f);
		free(name);
		free(tmp);
	}
	for (unsigned i = 0; i < 50; i++) {
		char *tmp = NULL, *name = NULL;
		ck_assert_int_gt(asprintf(&tmp, "%s/.f%02u.tmp", drop, i), 0);
		ck_assert_int_gt(asprintf(&name, "%s/f%02u.x12", drop, i), 0);
		ck_assert_int_eq(rename(tmp, name), 0);
		free(name);
		free(tmp);
	}
	char *arch = pj(dir, "spool/archive"), *hold = pj(dir, "spool/hold"), *erp = pj(dir, "erp");
	for (int i = 0; i < 600 && tu_count_files(arch) + tu_count_files(hold) < 50; i++)
		usleep(100000);
	ck_assert_int_eq(tu_count_files(arch), 40);
	ck_assert_int_eq(tu_count_files(hold), 10);
	ck_assert_int_eq(tu_count_files(erp), 40);
	char *inc = pj(dir, "spool/incoming"), *act = pj(dir, "spool/active");
	ck_assert_int_le(tu_count_files(inc), 0);
	ck_assert_int_le(tu_count_files(act), 0);
	/* a worker killed: the daemon starts another, and the spool keeps moving */
	char *kp = NULL;
	ck_assert_int_gt(asprintf(&kp, "/proc/%d/task/%d/children", (int)pid, (int)pid), 0);
	char *kids = tu_read(kp, NULL);
	free(kp);
	if (kids && atoi(kids) > 0) {
		ck_assert_int_eq(kill((pid_t)atoi(kids), SIGKILL), 0);
		ck_assert_msg(wait_log(dir, "starting another", 15), "the killed worker was not replaced");
		for (unsigned i = 0; i < 5; i++) {
			char *f = po("FIRST", 500 + i), *name = NULL;
			ck_assert_int_gt(asprintf(&name, "%s/g%02u.x12", drop, i), 0);
			ck_assert_int_eq(tu_write(name, f, strlen(f)), 0);
			free(name);
			free(f);
		}
		for (int i = 0; i < 300 && tu_count_files(arch) < 45; i++)
			usleep(100000);
		ck_assert_int_eq(tu_count_files(arch), 45);
	}
	free(kids);
	kill(pid, SIGTERM);
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* one accepted ledger row per interchange */
	char *db = pj(dir, "spool/ledger.db");
	long long accepted = sql_count(db, "SELECT count(*) FROM documents WHERE direction = 'in' AND doc_type = '850'"
					   " AND state = 'accepted'");
	ck_assert_msg(accepted == 40 || accepted == 45, "%lld accepted", accepted);
	ck_assert_int_eq(sql_count(db, "SELECT count(DISTINCT job_id) FROM documents WHERE direction = 'in'"
				       " AND doc_type = '850' AND state = 'accepted'"), accepted);
	free(db);
	free(inc);
	free(act);
	free(erp);
	free(hold);
	free(arch);
	free(drop);
	free(log);
	free(conf);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sighup_reload);
	tcase_add_test(tc, test_replay_archived);
	tcase_add_test(tc, test_status_transports);
	tcase_add_test(tc, test_workers);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
