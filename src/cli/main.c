/*
 * edigw — command line: one binary, git-style subcommands (doc/edigw.1).
 *
 *   edigw [-c FILE] [-v|-q] run [--once]
 *   edigw ingest FILE --partner ID
 *   edigw status [--json]
 *   edigw track KEY
 *   edigw release ID | replay ID
 *   edigw map check FILE... | map test FILE --partner ID [--doc TYPE]
 *   edigw config check
 *   edigw inspect FILE (X12 or EDIFACT)
 *
 * Exit codes follow sysexits(3): 64 usage, 65 bad data, 66 no input,
 * 69 not found, 70 internal, 74 I/O, 75 temporary (retry), 78 configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canon/canon.h"
#include "ack/ack.h"
#include "ack/contrl.h"
#include "config/config.h"
#include "edifact/edi_schema.h"
#include "flat/xmldoc.h"
#include "gateway/gateway.h"
#include "transport/transport.h"
#include "ledger/ledger.h"
#include "map/map.h"
#include "x12/x12.h"
#include "x12/x12_schema.h"
#include "spool/spool.h"
#include "util/util.h"

#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_UNAVAILABLE 69
#define EX_SOFTWARE 70
#define EX_IOERR 74
#define EX_TEMPFAIL 75
#define EX_CONFIG 78

static const char *g_config = NULL;
static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_reload; /* SIGHUP: read the configuration again */

static const char usage_main[] =
	"usage: edigw [-c FILE] [-v|-q] COMMAND [ARGS]\n"
	"\n"
	"An EDI and flat-file B2B gateway: reads partners' X12, UN/EDIFACT, CSV,\n"
	"fixed-width and XML documents (drop directories, SFTP, AS2), writes ERP import\n"
	"files and acknowledgments (997/999/TA1, CONTRL), and turns the ERP's exports into\n"
	"the partners' documents.\n"
	"\n"
	"commands:\n"
	"  run [--once|--workers N] the daemon: poll, process, deliver (--once: one pass, then exit)\n"
	"  ingest FILE --partner ID put FILE into the spool as if ID had sent it\n"
	"  send FILE --partner ID   check an X12 interchange, number it, queue it for ID\n"
	"  export FILE --partner ID [--kind K] [--dry-run]  ERP file -> the partner's X12/EDIFACT\n"
	"  status [--json]          queues, document counts, failures, overdue acknowledgments\n"
	"  track KEY                history of a document by job id, PO number or control number\n"
	"  release ID               process a held job (e.g. a duplicate) anyway\n"
	"  replay ID                process a failed or archived job (or delivery) again\n"
	"  map check FILE...        lint map files\n"
	"  map test FILE --partner ID [--doc TYPE]  dry-run a partner's maps on FILE\n"
	"  config check             validate edigw.conf, partner profiles, maps and ERP profiles\n"
	"  inspect FILE             check an X12 or EDIFACT file like the gateway, with no side effects\n"
	"  version                  print the version\n"
	"\n"
	"options:\n"
	"  -c, --config FILE   configuration file (default: $EDIGW_CONF, else ./edigw.conf)\n"
	"  -v, --verbose       more log output (debug)\n"
	"  -q, --quiet         only warnings and errors in the log\n"
	"  -h, --help          this help; 'edigw COMMAND --help' for a command\n"
	"\n"
	"See edigw(1), edigw.conf(5), edigw-map(5).\n";

/* True when argv has -h/--help anywhere after the command. */
static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

/* Options of a command that takes at most one flag: --help, the flag, nothing else.
 * Returns -1 to go on, or the exit code to return. */
static int one_flag(int argc, char **argv, const char *flag, const char *help, int *set)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], flag) == 0) {
			*set = 1;
			continue;
		}
		fprintf(stderr, "edigw %s: unknown argument '%s'\n%s", argv[0], argv[i], help);
		return EX_USAGE;
	}
	return -1;
}

/* Options of a command that takes exactly one argument: --help or the argument.
 * Returns -1 to go on, or the exit code to return. */
static int one_arg(int argc, char **argv, const char *help)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	if (argc != 2) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	return -1;
}

/* Load configuration and open the gateway, printing problems. */
static struct gateway *open_gateway(int *ex)
{
	struct diag_list d;
	diag_list_init(&d);
	struct gateway *g = NULL;
	int rc = gateway_open(&g, g_config, &d);
	diag_print(&d, stderr);
	diag_list_free(&d);
	if (rc < 0) {
		fprintf(stderr, "edigw: cannot start with configuration %s\n", g_config);
		*ex = EX_CONFIG;
		return NULL;
	}
	const char *lvl = gateway_config(g)->log_level;
	if (lvl && log_get_level() == LOG_INFO) {
		if (strcmp(lvl, "error") == 0)
			log_set_level(LOG_ERROR);
		else if (strcmp(lvl, "warning") == 0)
			log_set_level(LOG_WARN);
		else if (strcmp(lvl, "debug") == 0)
			log_set_level(LOG_DEBUG);
	}
	return g;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		g_reload = 1;
	else
		g_stop = 1;
}

/* SIGHUP: open the gateway again with the configuration as it is now; a configuration
 * with errors is reported and the running one kept. */
static struct gateway *reload_gateway(struct gateway *g)
{
	struct diag_list d;
	diag_list_init(&d);
	struct gateway *ng = NULL;
	if (gateway_open(&ng, g_config, &d) < 0 || !ng) {
		diag_print(&d, stderr);
		log_error("SIGHUP: configuration %s has errors (above); still running with the previous one", g_config);
		diag_list_free(&d);
		return g;
	}
	diag_list_free(&d);
	gateway_free(g);
	log_info("SIGHUP: configuration %s reloaded: %zu partner(s)", g_config, gateway_config(ng)->npartners);
	return ng;
}

/* Human summary of one pass. */
static void print_stats(const struct gateway *g, const struct gw_stats *s)
{
	const struct config *c = gateway_config(g);
	printf("edigw: %llu file(s) picked up, %llu job(s) processed (%llu bytes)\n",
	       (unsigned long long)s->picked_up, (unsigned long long)s->jobs,
	       (unsigned long long)s->bytes);
	printf("  interchanges %llu, groups %llu, transaction sets %llu: %llu accepted, %llu rejected\n",
	       (unsigned long long)s->interchanges, (unsigned long long)s->groups,
	       (unsigned long long)s->transactions, (unsigned long long)s->accepted,
	       (unsigned long long)s->rejected);
	printf("  ERP files written: %llu (%llu record(s)) in %s\n", (unsigned long long)s->erp_files,
	       (unsigned long long)s->records, c->erp_dir);
	printf("  acknowledgments queued: %llu in %s/outbound/<partner>/\n",
	       (unsigned long long)s->acks, c->spool_root);
	if (s->exported || s->export_failed)
		printf("  ERP export files sent on: %llu, failed: %llu (export-dir/failed/NAME.reason)\n",
		       (unsigned long long)s->exported, (unsigned long long)s->export_failed);
	if (s->delivered || s->deferred || s->undeliverable)
		printf("  delivered to partners: %llu, retries waiting: %llu, given up: %llu\n",
		       (unsigned long long)s->delivered, (unsigned long long)s->deferred,
		       (unsigned long long)s->undeliverable);
	printf("  jobs archived %llu, held %llu, failed %llu%s\n", (unsigned long long)s->archived,
	       (unsigned long long)s->held, (unsigned long long)s->failed,
	       (s->held || s->failed) ? "  (see 'edigw status' and 'edigw track ID')" : "");
}

/* The remote transports of the daemon run in child processes, at most TRANSPORT_KIDS at a
 * time: each polls and delivers for every partner whose transport lock it gets (a partner
 * being served by another child is skipped), so a partner whose server hangs holds up only
 * the child serving it, for at most its sftp.timeout / as2.timeout, and the other partners
 * are served by the next child at the next pass. */
#define TRANSPORT_KIDS 8
struct transport_kids {
	pid_t pid[TRANSPORT_KIDS];
	size_t n;
};

/* Reap the transport children that ended (without waiting when wait is 0). */
static void transport_reap(struct transport_kids *t, int wait)
{
	for (size_t i = 0; i < t->n;) {
		int st = 0;
		pid_t r = waitpid(t->pid[i], &st, wait ? 0 : WNOHANG);
		if (r == t->pid[i] || (r < 0 && errno == ECHILD)) {
			if (r == t->pid[i] && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
				log_error("transport process %d ended with status %d", (int)t->pid[i],
					  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			t->pid[i] = t->pid[--t->n];
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		i++;
	}
}

/* Does any partner poll or deliver over SFTP or AS2? */
static int has_remote_transports(const struct config *c)
{
	for (size_t i = 0; i < c->npartners; i++)
		if (c->partners[i].sftp.host || c->partners[i].as2.url)
			return 1;
	return 0;
}

/* One transport child: SFTP pickup, SFTP and AS2 delivery, with its own gateway. */
static int transport_child(void)
{
	int ex = EX_OK;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	struct gw_stats st = { 0 };
	int rc = gateway_sftp_poll(g, &st);
	if (rc == 0)
		rc = gateway_deliver(g, &st);
	if (rc == 0)
		rc = gateway_as2_deliver(g, &st);
	if (st.picked_up || st.delivered || st.undeliverable)
		log_info("transports: %llu file(s) picked up, %llu delivered, %llu given up",
			 (unsigned long long)st.picked_up, (unsigned long long)st.delivered,
			 (unsigned long long)st.undeliverable);
	gateway_free(g);
	return rc < 0 ? EX_TEMPFAIL : EX_OK;
}

/* Start a transport child when one may run. */
static void transport_start(struct transport_kids *t)
{
	transport_reap(t, 0);
	if (t->n == TRANSPORT_KIDS)
		return;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* a fresh process: nothing of the parent's threads (the AS2 endpoint), sockets
		 * (close-on-exec) or ledger connection comes along */
		execl("/proc/self/exe", "edigw", "-c", g_config, "run", "--transports-once", (char *)NULL);
		_exit(transport_child());
	}
	if (pid > 0)
		t->pid[t->n++] = pid;
	else
		log_error("cannot start a transport process: %s", strerror(errno));
}

/* A worker of edigw run --workers: take waiting jobs until SIGTERM; SIGHUP reloads. */
static int worker_loop(void)
{
	int ex = EX_OK;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	while (!g_stop) {
		if (g_reload) {
			g_reload = 0;
			g = reload_gateway(g);
		}
		struct gw_stats st = { 0 };
		int rc = gateway_run_once(g, &st, &g_stop);
		if (rc < 0) {
			log_error("worker: processing stopped: %s", strerror(-rc));
			ex = EX_TEMPFAIL;
			break;
		}
		if (st.jobs)
			log_info("worker: %llu job(s), %llu accepted, %llu rejected", (unsigned long long)st.jobs,
				 (unsigned long long)st.accepted, (unsigned long long)st.rejected);
		else
			sleep(1);
	}
	gateway_free(g);
	return ex;
}

static int cmd_run(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw run [--once | --workers N]\n"
		"Poll the partners' drop directories, turn the files the ERP wrote in each\n"
		"partner's export-dir into the partner's documents (as 'edigw export'), then\n"
		"process every waiting inbound document.\n"
		"Without --once, repeat every poll-interval until SIGTERM or SIGINT, which\n"
		"finish the current document and exit cleanly; SIGHUP reads the configuration\n"
		"again (one with errors is reported and the running one kept).\n"
		"--workers N (1 to 64, default 1): N processes take waiting documents from\n"
		"the spool at once while this one polls; each job is claimed by exactly one\n"
		"of them, and the ledger serializes what they record.\n";
	int once = 0;
	long workers = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			once = 1;
		} else if (strcmp(argv[i], "--transports-once") == 0) {
			/* internal: one transport pass of the daemon, in its own process */
			return transport_child();
		} else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			char *end = NULL;
			workers = strtol(argv[++i], &end, 10);
			if (*end || workers < 1 || workers > 64) {
				fprintf(stderr, "edigw run: --workers takes a number from 1 to 64\n");
				return EX_USAGE;
			}
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return EX_OK;
		} else {
			fprintf(stderr, "edigw run: unexpected argument '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (once && workers > 1) {
		fprintf(stderr, "edigw run: --once and --workers exclude each other\n");
		return EX_USAGE;
	}
	int ex = EX_OK;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (gateway_recover(g, NULL) < 0) {
		fprintf(stderr, "edigw: spool recovery failed\n");
		gateway_free(g);
		return EX_IOERR;
	}
	struct gw_stats total = { 0 };
	uint64_t interval = gateway_config(g)->poll_interval_s;
	pid_t kids[64];
	size_t nkids = 0;
	struct transport_kids tk = { { 0 }, 0 };
	if (workers > 1) {
		/* the workers process the spool; this process polls and forwards signals */
		fflush(NULL);
		for (long w = 0; w < workers; w++) {
			pid_t pid = fork();
			if (pid == 0) {
				/* the parent's gateway (its SQLite connection) is not used or closed here */
				_exit(worker_loop());
			}
			if (pid > 0)
				kids[nkids++] = pid;
			else
				log_error("cannot start worker %ld: %s", w + 1, strerror(errno));
		}
	}
	struct gw_as2_server *as2 = NULL;
	int start_failed = 0;
	if (!once && gateway_config(g)->as2.listen && gateway_as2_start(g, NULL, &as2) < 0) {
		log_error("cannot start the AS2 endpoint on %s: not running", gateway_config(g)->as2.listen);
		ex = EX_UNAVAILABLE;
		start_failed = 1;
	}
	if (!once && !start_failed)
		log_info("edigw running: polling every %llu s, %zu worker(s)%s (SIGTERM to stop)", (unsigned long long)interval,
			 nkids ? nkids : (size_t)1, as2 ? ", AS2 endpoint up" : "");
	while (!start_failed) {
		struct gw_stats st = { 0 };
		/* a worker that died (it logged why) is replaced: the spool must not wait for a restart */
		for (size_t k = 0; k < nkids; k++) {
			int wst = 0;
			if (waitpid(kids[k], &wst, WNOHANG) != kids[k])
				continue;
			log_error("worker %d ended with status %d; starting another", (int)kids[k],
				  WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0)
				_exit(worker_loop());
			kids[k] = pid > 0 ? pid : kids[k];
		}
		if (g_reload) {
			g_reload = 0;
			/* the AS2 endpoint holds the gateway: stop it around the reload */
			gateway_as2_stop(as2);
			as2 = NULL;
			g = reload_gateway(g);
			interval = gateway_config(g)->poll_interval_s;
			if (gateway_config(g)->as2.listen && gateway_as2_start(g, NULL, &as2) < 0)
				log_error("cannot start the AS2 endpoint on %s after the reload", gateway_config(g)->as2.listen);
			for (size_t k = 0; k < nkids; k++)
				kill(kids[k], SIGHUP);
		}
		gateway_poll(g, &st);
		/* the partners' servers: each partner on its own poll interval, every network
		 * operation with its timeout, a failing server noted and retried, never fatal; the
		 * daemon runs them in transport children so one partner's outage delays no other */
		int rc = 0;
		int remote = has_remote_transports(gateway_config(g));
		if (remote && once)
			rc = gateway_sftp_poll(g, &st);
		else if (remote)
			transport_start(&tk);
		/* the ERP's exports first: an acknowledgment for one of them may be waiting inbound */
		if (rc == 0)
			rc = gateway_export_poll(g, &st);
		if (rc == 0 && !nkids)
			rc = gateway_run_once(g, &st, &g_stop);
		/* what is queued for partners, including what this pass wrote */
		if (rc == 0 && remote && once)
			rc = gateway_deliver(g, &st);
		if (rc == 0 && remote && once)
			rc = gateway_as2_deliver(g, &st);
		total.exported += st.exported;
		total.export_failed += st.export_failed;
		total.delivered += st.delivered;
		total.deferred += st.deferred;
		total.undeliverable += st.undeliverable;
		total.picked_up += st.picked_up;
		total.jobs += st.jobs;
		total.bytes += st.bytes;
		total.interchanges += st.interchanges;
		total.groups += st.groups;
		total.transactions += st.transactions;
		total.accepted += st.accepted;
		total.rejected += st.rejected;
		total.erp_files += st.erp_files;
		total.records += st.records;
		total.acks += st.acks;
		total.archived += st.archived;
		total.held += st.held;
		total.failed += st.failed;
		if (rc < 0) {
			log_error("processing stopped: %s", strerror(-rc));
			ex = EX_TEMPFAIL;
			break;
		}
		if (once || g_stop)
			break;
		if (st.jobs)
			log_info("pass done: %llu job(s), %llu accepted, %llu rejected",
				 (unsigned long long)st.jobs, (unsigned long long)st.accepted,
				 (unsigned long long)st.rejected);
		for (uint64_t s = 0; s < interval && !g_stop && !g_reload; s++)
			sleep(1);
		if (g_stop)
			break;
	}
	if (g_stop)
		log_info("stopping on signal");
	else if (start_failed)
		g_stop = 1;
	for (size_t k = 0; k < nkids; k++)
		kill(kids[k], SIGTERM);
	transport_reap(&tk, 1); /* they end by themselves: every operation has its timeout */
	for (size_t k = 0; k < nkids; k++) {
		int wst = 0;
		while (waitpid(kids[k], &wst, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
			log_error("worker %d ended with status %d", (int)kids[k], WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
			ex = EX_TEMPFAIL;
		}
	}
	gateway_as2_stop(as2);
	print_stats(g, &total);
	gateway_free(g);
	return ex;
}

static int cmd_ingest(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw ingest FILE --partner ID\n"
		"Store FILE durably in the spool's incoming/ queue as if partner ID had\n"
		"delivered it; 'edigw run --once' then processes it. Prints the job id.\n";
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	const char *file = NULL, *partner = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--partner") == 0 && i + 1 < argc)
			partner = argv[++i];
		else if (strncmp(argv[i], "--partner=", 10) == 0)
			partner = argv[i] + 10;
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else {
			fprintf(stderr, "edigw ingest: unexpected argument '%s'\n%s", argv[i], help);
			return EX_USAGE;
		}
	}
	if (!file || !partner) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	int ex = EX_OK;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	char id[SPOOL_ID_MAX];
	int rc = gateway_ingest(g, file, partner, id);
	if (rc == -ENOENT && !config_partner(gateway_config(g), partner)) {
		fprintf(stderr, "edigw ingest: no partner '%s' in %s\n", partner,
			gateway_config(g)->partners_dir);
		ex = EX_UNAVAILABLE;
	} else if (rc == -EFBIG) {
		fprintf(stderr, "edigw ingest: %s is larger than limit.max-file-size for %s\n", file, partner);
		ex = EX_DATAERR;
	} else if (rc < 0) {
		fprintf(stderr, "edigw ingest: %s: %s\n", file, strerror(-rc));
		ex = rc == -ENOENT ? EX_NOINPUT : EX_IOERR;
	} else {
		printf("%s\n", id);
	}
	gateway_free(g);
	return ex;
}

/* The exit status of send and export for a failure rc. */
static int send_exit(struct gateway *g, const char *partner, int rc)
{
	if (rc == -ENOENT && !config_partner(gateway_config(g), partner))
		return EX_UNAVAILABLE;
	if (rc == -EBADMSG || rc == -EEXIST)
		return EX_DATAERR;
	return rc == -ENOENT ? EX_NOINPUT : EX_IOERR;
}

/* Parse "FILE --partner ID" (and, with kind, "--kind KIND"; with flags, "--dry-run"). */
static int send_args(int argc, char **argv, const char *cmd, const char *help, const char **file, const char **partner,
		     const char **kind, unsigned *flags)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--partner") == 0 && i + 1 < argc)
			*partner = argv[++i];
		else if (flags && strcmp(argv[i], "--dry-run") == 0)
			*flags |= GW_SEND_DRY_RUN;
		else if (kind && strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
			*kind = argv[++i];
		else if (argv[i][0] != '-' && !*file)
			*file = argv[i];
		else {
			fprintf(stderr, "edigw %s: unexpected argument '%s'\n%s", cmd, argv[i], help);
			return EX_USAGE;
		}
	}
	if (!*file || !*partner) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	return EX_OK;
}

static int cmd_send(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw send FILE --partner ID\n"
		"Send a ready-made X12 interchange (e.g. an 855, 856 or 810 your ERP wrote)\n"
		"to partner ID. It is checked like an inbound document (envelope, the\n"
		"transaction set definitions with the partner's schema-overlay, our identity\n"
		"in ISA05/06, the partner's in ISA07/08, no acknowledgments inside) and\n"
		"refused as a whole with every problem listed. Then our own interchange and\n"
		"group control numbers are written into ISA13/IEA02 and GS06/GE02, every\n"
		"group is recorded as awaiting acknowledgment until now + ack-due, and the\n"
		"file is queued in spool/outbound/ID/ for delivery. The same bytes are not\n"
		"sent twice within the partner's duplicate-window.\n"
		"Exit status: 0 queued, 65 refused (bad or already sent), 69 no such partner.\n";
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	const char *file = NULL, *partner = NULL;
	int ex = send_args(argc, argv, "send", help, &file, &partner, NULL, NULL);
	if (ex != EX_OK)
		return ex;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	struct gw_send_result r;
	int rc = gateway_send(g, partner, file, &r);
	if (rc == 0) {
		char due[21];
		time_iso(r.due, due);
		printf("queued %s for %s: interchange %09llu, %zu group(s), %zu transaction set(s); "
		       "acknowledgment due by %s; job %s\n",
		       r.path, partner, (unsigned long long)r.isa13, r.groups, r.sets, due, r.job_id);
	} else {
		fprintf(stderr, "edigw send: %s\n", r.message ? r.message : strerror(-rc));
		ex = send_exit(g, partner, rc);
	}
	free(r.path);
	free(r.message);
	gateway_free(g);
	return ex;
}

static int cmd_export(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw export FILE --partner ID [--kind KIND] [--dry-run]\n"
		"Turn a file the ERP wrote (an order response, ship notice, invoice or\n"
		"warehouse order as CSV) into partner ID's document: read it with the\n"
		"partner's export.KIND map (KIND from the start of the file name unless\n"
		"--kind says), check every record against the canonical schema, write it\n"
		"with outbound.KIND (an X12 or EDIFACT map), put our envelope and control\n"
		"numbers around it, check it against our definitions with the partner's\n"
		"overlay, record it as awaiting acknowledgment and queue it in\n"
		"spool/outbound/ID/. 'edigw run' does this for every file in export-dir.\n"
		"--dry-run prints the canonical records and the document instead, checks\n"
		"it, and writes nothing (no control numbers, ledger or queue).\n"
		"Exit status: 0 queued, 65 refused (bad or already sent), 66 no such kind,\n"
		"69 no such partner.\n";
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	const char *file = NULL, *partner = NULL, *kind = NULL;
	unsigned flags = 0;
	int ex = send_args(argc, argv, "export", help, &file, &partner, &kind, &flags);
	if (ex != EX_OK)
		return ex;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	struct gw_export_result x;
	int rc = gateway_export(g, partner, file, kind, flags, &x);
	if (flags & GW_SEND_DRY_RUN) {
		if (x.records)
			printf("canonical record(s):\n%s", x.records);
		if (x.document)
			printf("document (control numbers are ours when sent):\n%s%s", x.document,
			       x.document[0] && x.document[strlen(x.document) - 1] == '\n' ? "" : "\n");
		if (rc == 0)
			printf("%s: %zu %s record(s) for %s would be sent\n", file, x.nrecords, x.kind, partner);
	}
	if (rc == 0 && (flags & GW_SEND_DRY_RUN)) {
		/* printed above */
	} else if (rc == 0) {
		char due[21];
		time_iso(x.send.due, due);
		printf("queued %s for %s: %zu %s record(s) as interchange %09llu, %zu document(s); "
		       "acknowledgment due by %s; job %s\n",
		       x.send.path, partner, x.nrecords, x.kind, (unsigned long long)x.send.isa13, x.send.sets, due,
		       x.send.job_id);
	} else {
		fprintf(stderr, "edigw export: %s\n", x.send.message ? x.send.message : strerror(-rc));
		ex = send_exit(g, partner, rc);
	}
	gw_export_result_free(&x);
	gateway_free(g);
	return ex;
}

/* Age in a short human form. */
static void fmt_age(time_t then, char *out, size_t n)
{
	if (!then) {
		snprintf(out, n, "-");
		return;
	}
	long s = (long)(time(NULL) - then);
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, n, "%lds", s);
	else if (s < 7200)
		snprintf(out, n, "%ldm", s / 60);
	else if (s < 172800)
		snprintf(out, n, "%ldh", s / 3600);
	else
		snprintf(out, n, "%ldd", s / 86400);
}

/* JSON string escaping for our own and partner-derived text. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

struct status_ctx {
	FILE *f;
	int json;
	int first;
};

/* One JSON object of string fields (kv: key, value, key, value ...; NULL values are
 * written as ""), then raw (more members, e.g. ",\"n\":1", or ""), after a comma unless
 * first. */
static void json_obj(FILE *f, int first, const char *const *kv, size_t nkv, const char *raw)
{
	fputs(first ? "{" : ",{", f);
	for (size_t i = 0; i + 1 < nkv; i += 2) {
		if (i)
			fputc(',', f);
		json_str(f, kv[i]);
		fputc(':', f);
		json_str(f, kv[i + 1]);
	}
	fprintf(f, "%s}", raw);
}

static int status_counts_cb(void *ctx, const char *direction, const char *state, int64_t n)
{
	struct status_ctx *c = ctx;
	if (c->json) {
		const char *kv[] = { "direction", direction, "state", state };
		char raw[40];
		snprintf(raw, sizeof raw, ",\"count\":%lld", (long long)n);
		json_obj(c->f, c->first, kv, 4, raw);
	} else {
		fprintf(c->f, "  %-4s %-10s %8lld\n", direction, state, (long long)n);
	}
	c->first = 0;
	return 0;
}

static int status_fail_cb(void *ctx, const struct ledger_track_row *r)
{
	struct status_ctx *c = ctx;
	if (c->json) {
		const char *kv[] = { "time", r->event_time, "job", r->job_id, "partner", r->partner,
				     "state", r->event_state, "reason", r->event_reason };
		json_obj(c->f, c->first, kv, sizeof kv / sizeof kv[0], "");
	} else {
		fprintf(c->f, "  %s  %s  %s %s: %s\n", r->event_time ? r->event_time : "",
			r->job_id ? r->job_id : "", r->partner ? r->partner : "-",
			r->event_state ? r->event_state : "", r->event_reason ? r->event_reason : "");
	}
	c->first = 0;
	return 0;
}

/* Due time as text, and how late it is when overdue. */
static void fmt_due(int64_t due, char *out, size_t n)
{
	char iso[21];
	time_iso((time_t)due, iso);
	long late = (long)(time(NULL) - (time_t)due);
	if (late > 0) {
		char age[32];
		fmt_age(time(NULL) - late, age, sizeof age);
		snprintf(out, n, "due %s, OVERDUE by %s", iso, age);
	} else {
		snprintf(out, n, "due %s", iso);
	}
}

static int status_sent_cb(void *ctx, const struct ledger_sent_row *r)
{
	struct status_ctx *c = ctx;
	char due[80];
	fmt_due(r->due_unix, due, sizeof due);
	if (c->json) {
		const char *kv[] = { "partner", r->partner, "job", r->job_id, "isa13", r->icn,
				     "gs01", r->fid, "gs06", r->gcn, "sent", r->sent };
		char raw[64];
		snprintf(raw, sizeof raw, ",\"due_unix\":%lld,\"overdue\":%s", (long long)r->due_unix,
			 r->overdue ? "true" : "false");
		json_obj(c->f, c->first, kv, sizeof kv / sizeof kv[0], raw);
	} else {
		fprintf(c->f, "  %s  group %s %s of interchange %s (%lld set(s), job %s): sent %s, %s\n", r->partner,
			r->fid, r->gcn, r->icn, (long long)r->nsets, r->job_id, r->sent, due);
	}
	c->first = 0;
	return 0;
}

static int status_unmatched_cb(void *ctx, const struct ledger_unmatched_row *r)
{
	struct status_ctx *c = ctx;
	if (c->json) {
		const char *kv[] = { "time", r->time, "partner", r->partner, "job", r->job_id,
				     "kind", r->kind, "detail", r->detail };
		json_obj(c->f, c->first, kv, sizeof kv / sizeof kv[0], "");
	} else {
		fprintf(c->f, "  %s  %s  %s: %s\n", r->time, r->job_id, r->partner, r->detail);
	}
	c->first = 0;
	return 0;
}

/* What we sent and its acknowledgments: counts, overdue groups, unmatched acks. */
static void status_acks(FILE *f, int json, struct ledger *l)
{
	struct ledger_ack_counts n;
	if (ledger_ack_counts(l, &n) < 0)
		memset(&n, 0, sizeof n);
	struct status_ctx sc = { f, json, 1 };
	if (json) {
		fprintf(f, ",\"acknowledgments\":{\"awaiting\":%lld,\"overdue\":%lld,\"accepted\":%lld,"
			   "\"accepted_with_errors\":%lld,\"partially_accepted\":%lld,\"rejected\":%lld,"
			   "\"unmatched\":%lld,\"overdue_groups\":[",
			(long long)n.awaiting, (long long)n.overdue, (long long)n.accepted, (long long)n.with_errors,
			(long long)n.partial, (long long)n.rejected, (long long)n.unmatched);
	} else {
		fprintf(f, "\nacknowledgments of what we sent (functional groups)\n"
			   "  awaiting %lld (overdue %lld), accepted %lld, accepted with errors %lld, "
			   "partially accepted %lld, rejected %lld; unmatched inbound acks %lld\n",
			(long long)n.awaiting, (long long)n.overdue, (long long)n.accepted, (long long)n.with_errors,
			(long long)n.partial, (long long)n.rejected, (long long)n.unmatched);
		if (n.overdue)
			fprintf(f, "overdue (oldest first is last)\n");
	}
	ledger_sent_groups(l, LEDGER_SENT_OVERDUE, NULL, 20, status_sent_cb, &sc);
	sc.first = 1;
	if (json)
		fprintf(f, "],\"unmatched_acks\":[");
	else if (n.unmatched)
		fprintf(f, "unmatched acknowledgments (they answer nothing we sent)\n");
	ledger_unmatched_acks(l, 10, status_unmatched_cb, &sc);
	if (json)
		fprintf(f, "]}");
}

/* Time as "2026-11-22T10:00:00Z (3m ago)" or "-". */
static void fmt_when(int64_t t, char *out, size_t n)
{
	if (!t) {
		snprintf(out, n, "-");
		return;
	}
	char iso[21], age[32];
	time_iso((time_t)t, iso);
	fmt_age((time_t)t, age, sizeof age);
	snprintf(out, n, "%s (%s ago)", iso, age);
}

/* One partner transport row of edigw status. */
static int status_transport_cb(void *ctx, const struct ledger_transport_row *r)
{
	struct status_ctx *sc = ctx;
	FILE *f = sc->f;
	if (sc->json) {
		fprintf(f, "%s{\"partner\":", sc->first ? "" : ",");
		json_str(f, r->partner);
		fprintf(f, ",\"transport\":");
		json_str(f, r->transport);
		fprintf(f, ",\"last_run\":%lld,\"last_ok\":%lld,\"failures\":%lld,\"next_retry\":%lld,\"last_error\":",
			(long long)r->last_run, (long long)r->last_ok, (long long)r->failures, (long long)r->next_retry);
		if (r->last_error && r->last_error[0])
			json_str(f, r->last_error);
		else
			fprintf(f, "null");
		fprintf(f, ",\"last_error_at\":%lld}", (long long)r->last_error_unix);
	} else {
		char run[64], ok[64], retry[64];
		fmt_when(r->last_run, run, sizeof run);
		fmt_when(r->last_ok, ok, sizeof ok);
		fprintf(f, "  %-20s %-14s last run %s, last success %s", r->partner, r->transport, run, ok);
		if (r->failures) {
			char when[64];
			fmt_when(r->last_error_unix, when, sizeof when);
			fprintf(f, "\n  %-20s %-14s FAILING (%lld in a row), last error at %s: %s", "", "",
				(long long)r->failures, when, r->last_error ? r->last_error : "?");
		}
		if (r->next_retry) {
			char iso[21];
			time_iso((time_t)r->next_retry, iso);
			snprintf(retry, sizeof retry, "%s", iso);
			fprintf(f, "\n  %-20s %-14s next retry %s", "", "", retry);
		}
		fputc('\n', f);
	}
	sc->first = 0;
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw status [--json]\n"
		"Queue sizes and the age of the oldest job in each, acknowledgments waiting\n"
		"per partner, ledger document counts by state, recent failures, and the\n"
		"acknowledgments of what we sent: awaiting, overdue (past the partner's\n"
		"ack-due), settled, and inbound acks that matched nothing; then per partner\n"
		"and transport (drop directory, SFTP, AS2): the last run, the last success,\n"
		"failures in a row with the last error, and the next retry; deliveries\n"
		"waiting per partner; AS2 certificates that have expired or expire within\n"
		"30 days.\n";
	int json = 0;
	int ex = one_flag(argc, argv, "--json", help, &json);
	if (ex >= 0)
		return ex;
	ex = EX_OK;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	const struct config *c = gateway_config(g);
	struct spool *sp = gateway_spool(g);
	static const enum spool_queue qs[] = { SPOOL_INCOMING, SPOOL_ACTIVE, SPOOL_DEFERRED, SPOOL_HOLD,
					       SPOOL_FAILED, SPOOL_ARCHIVE, SPOOL_SENT };
	FILE *f = stdout;
	if (json) {
		fprintf(f, "{\"spool\":");
		json_str(f, c->spool_root);
		fprintf(f, ",\"queues\":{");
	} else {
		fprintf(f, "spool %s\n%-28s %8s %8s\n", c->spool_root, "queue", "jobs", "oldest");
	}
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		struct spool_queue_stat qst = { 0 };
		spool_stat(sp, qs[i], &qst);
		char age[32];
		fmt_age(qst.oldest, age, sizeof age);
		if (json)
			fprintf(f, "%s\"%s\":{\"jobs\":%zu,\"oldest_age_s\":%lld}", i ? "," : "",
				spool_queue_name(qs[i]), qst.count,
				qst.oldest ? (long long)(time(NULL) - qst.oldest) : -1LL);
		else
			fprintf(f, "%-28s %8zu %8s\n", spool_queue_name(qs[i]), qst.count, age);
	}
	if (json)
		fprintf(f, "},\"outbound\":{");
	for (size_t i = 0; i < c->npartners; i++) {
		char *dir = NULL;
		if (spool_outbound_dir(sp, c->partners[i].id, &dir) < 0)
			continue;
		int n = 0;
		time_t oldest = 0;
		struct stat sb;
		DIR *d = opendir(dir);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char *p = path_join(dir, e->d_name);
				if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
					n++;
					if (!oldest || sb.st_mtime < oldest)
						oldest = sb.st_mtime;
				}
				free(p);
			}
			closedir(d);
		}
		char age[32], label[96];
		fmt_age(oldest, age, sizeof age);
		snprintf(label, sizeof label, "outbound/%s", c->partners[i].id);
		if (json) {
			fprintf(f, "%s", i ? "," : "");
			json_str(f, c->partners[i].id);
			fprintf(f, ":{\"files\":%d,\"oldest_age_s\":%lld}", n,
				oldest ? (long long)(time(NULL) - oldest) : -1LL);
		} else {
			fprintf(f, "%-28s %8d %8s\n", label, n, age);
		}
		free(dir);
	}
	struct status_ctx sc = { f, json, 1 };
	if (json)
		fprintf(f, "},\"documents\":[");
	else
		fprintf(f, "\nledger documents\n");
	ledger_state_counts(gateway_ledger(g), status_counts_cb, &sc);
	if (!json && sc.first)
		fprintf(f, "  (none yet)\n");
	sc.first = 1;
	if (json)
		fprintf(f, "],\"recent_failures\":[");
	else
		fprintf(f, "\nrecent failures\n");
	ledger_recent_failures(gateway_ledger(g), 10, status_fail_cb, &sc);
	if (json)
		fprintf(f, "]");
	else if (sc.first)
		fprintf(f, "  (none)\n");
	status_acks(f, json, gateway_ledger(g));
	sc.first = 1;
	if (json)
		fprintf(f, ",\"transports\":[");
	else
		fprintf(f, "\npartner transports\n");
	ledger_transport_rows(gateway_ledger(g), status_transport_cb, &sc);
	if (json)
		fprintf(f, "],\"deliveries\":[");
	else if (sc.first)
		fprintf(f, "  (none run yet)\n");
	/* what waits to be delivered to partners with a remote transport */
	sc.first = 1;
	if (!json)
		fprintf(f, "\ndeliveries (SFTP, AS2)\n");
	for (size_t i = 0; i < c->npartners; i++) {
		const struct cfg_partner *p = &c->partners[i];
		if (!p->sftp.outbox && !p->as2.url)
			continue;
		struct gw_delivery_counts dc;
		memset(&dc, 0, sizeof dc);
		if (gateway_delivery_counts(g, p->id, &dc) < 0)
			continue;
		char retry[21] = "-";
		if (dc.next_retry)
			time_iso((time_t)dc.next_retry, retry);
		if (json) {
			fprintf(f, "%s{\"partner\":", sc.first ? "" : ",");
			json_str(f, p->id);
			fprintf(f, ",\"waiting\":%llu,\"retrying\":%llu,\"failed\":%llu,\"sent\":%llu,\"next_retry\":%lld,"
				   "\"last_error\":",
				(unsigned long long)dc.waiting, (unsigned long long)dc.retrying, (unsigned long long)dc.failed,
				(unsigned long long)dc.sent, (long long)dc.next_retry);
			if (dc.last_error)
				json_str(f, dc.last_error);
			else
				fprintf(f, "null");
			fprintf(f, "}");
		} else {
			fprintf(f, "  %-20s %-5s waiting %llu (retrying %llu), given up %llu, sent %llu; next retry %s%s%s\n",
				p->id, p->sftp.outbox ? "sftp" : "as2", (unsigned long long)dc.waiting,
				(unsigned long long)dc.retrying, (unsigned long long)dc.failed, (unsigned long long)dc.sent,
				retry, dc.last_error ? "; last error: " : "", dc.last_error ? dc.last_error : "");
		}
		free(dc.last_error);
		sc.first = 0;
	}
	if (json)
		fprintf(f, "]");
	else if (sc.first)
		fprintf(f, "  (no partner delivers over SFTP or AS2)\n");
	/* certificates about to stop partners from accepting our messages (or theirs) */
	struct diag_list cd;
	diag_list_init(&cd);
	gateway_as2_check(c, &cd);
	if (json) {
		fprintf(f, ",\"certificates\":[");
		for (size_t i = 0; i < cd.n; i++) {
			fprintf(f, "%s{\"level\":\"%s\",\"file\":", i ? "," : "", cd.v[i].warning ? "warning" : "error");
			json_str(f, cd.v[i].file ? cd.v[i].file : "");
			fprintf(f, ",\"line\":%zu,\"message\":", cd.v[i].line);
			json_str(f, cd.v[i].msg);
			fprintf(f, "}");
		}
		fprintf(f, "]}\n");
	} else {
		fprintf(f, "\ncertificates (AS2)\n");
		for (size_t i = 0; i < cd.n; i++)
			fprintf(f, "  %s: %s\n", cd.v[i].warning ? "warning" : "ERROR", cd.v[i].msg);
		if (!cd.n)
			fprintf(f, "  %s\n", c->as2.id ? "(none expired or expiring within 30 days)" : "(no AS2)");
	}
	diag_list_free(&cd);
	gateway_free(g);
	return EX_OK;
}

#define TRACK_SENT_JOBS 16
struct track_ctx {
	char last_doc[256];
	char sent_jobs[TRACK_SENT_JOBS][SPOOL_ID_MAX]; /* jobs with outbound documents shown */
	size_t nsent;
};

/* Remember a job that sent documents, once. */
static void track_note_sent(struct track_ctx *t, const char *job)
{
	for (size_t i = 0; i < t->nsent; i++)
		if (strcmp(t->sent_jobs[i], job) == 0)
			return;
	if (t->nsent < TRACK_SENT_JOBS)
		snprintf(t->sent_jobs[t->nsent++], SPOOL_ID_MAX, "%s", job);
}

static int track_sent_cb(void *ctx, const struct ledger_sent_row *r)
{
	(void)ctx;
	char due[80];
	fmt_due(r->due_unix, due, sizeof due);
	if (strcmp(r->state, "awaiting") == 0)
		printf("  group %s %s (%lld set(s)) of interchange %s: awaiting acknowledgment, %s\n", r->fid, r->gcn,
		       (long long)r->nsets, r->icn, due);
	else
		printf("  group %s %s (%lld set(s)) of interchange %s: %s%s%s%s by job %s at %s\n", r->fid, r->gcn,
		       (long long)r->nsets, r->icn, r->state, r->codes ? " (" : "", r->codes ? r->codes : "",
		       r->codes ? ")" : "", r->ack_job ? r->ack_job : "?", r->acked ? r->acked : "?");
	return 0;
}

static int track_cb(void *ctx, const struct ledger_track_row *r)
{
	struct track_ctx *t = ctx;
	char head[256];
	if (r->job_id && r->direction && strcmp(r->direction, "out") == 0 && r->doc_type &&
	    strcmp(r->doc_type, "997") != 0 && strcmp(r->doc_type, "999") != 0 && strcmp(r->doc_type, "TA1") != 0)
		track_note_sent(t, r->job_id);
	snprintf(head, sizeof head, "%s/%s", r->job_id ? r->job_id : "", r->doc_key ? r->doc_key : "-");
	if (strcmp(head, t->last_doc) != 0) {
		snprintf(t->last_doc, sizeof t->last_doc, "%s", head);
		printf("\njob %s", r->job_id ? r->job_id : "?");
		if (r->doc_key)
			printf("  document %s", r->doc_key);
		if (r->partner)
			printf("  partner %s", r->partner);
		if (r->direction)
			printf("  %s", r->direction);
		if (r->doc_type)
			printf(" %s", r->doc_type);
		if (r->business_key)
			printf("  key %s", r->business_key);
		if (r->icn)
			printf("  ISA13 %s", r->icn);
		if (r->tcn)
			printf("  ST02 %s", r->tcn);
		if (r->doc_state)
			printf("  state %s", r->doc_state);
		if (r->output)
			printf("  output %s", r->output);
		printf("\n");
	}
	printf("  %s  %-10s %s\n", r->event_time ? r->event_time : "", r->event_state ? r->event_state : "",
	       r->event_reason ? r->event_reason : "");
	return 0;
}

static int cmd_track(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw track KEY\n"
		"History of documents matching KEY: a job id, a business key (PO number),\n"
		"an interchange control number (ISA13), a group (GS06) or transaction set\n"
		"control number (ST02). Each state change is listed with its time and reason.\n";
	int ex = one_arg(argc, argv, help);
	if (ex >= 0)
		return ex;
	ex = EX_OK;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	struct track_ctx t = { "", { "" }, 0 };
	int n = 0;
	int rc = ledger_track(gateway_ledger(g), argv[1], track_cb, &t, &n);
	if (rc < 0) {
		fprintf(stderr, "edigw track: ledger error: %s\n", strerror(-rc));
		ex = EX_SOFTWARE;
	} else if (n == 0) {
		enum spool_queue q;
		if (name_is_safe(argv[1]) && spool_locate(gateway_spool(g), argv[1], &q) == 0)
			printf("job %s is in %s/ (no ledger history yet)\n", argv[1], spool_queue_name(q));
		else {
			fprintf(stderr, "edigw track: nothing known about '%s'\n", argv[1]);
			ex = EX_UNAVAILABLE;
		}
	} else {
		enum spool_queue q;
		for (size_t i = 0; i < t.nsent; i++) {
			printf("\nacknowledgment of job %s\n", t.sent_jobs[i]);
			ledger_sent_groups(gateway_ledger(g), LEDGER_SENT_ALL, t.sent_jobs[i], 1000, track_sent_cb, NULL);
		}
		if (name_is_safe(argv[1]) && spool_locate(gateway_spool(g), argv[1], &q) == 0)
			printf("\nthe job file is now in %s/%s/\n", gateway_config(g)->spool_root,
			       spool_queue_name(q));
	}
	gateway_free(g);
	return ex;
}

static int cmd_requeue(int argc, char **argv, int release)
{
	const char *help = release ? "usage: edigw release ID\n"
				     "Move a held job (hold/) back to incoming/ and process it even\n"
				     "if it is a duplicate. Run 'edigw run --once' afterwards.\n"
				   : "usage: edigw replay ID\n"
				     "Move a failed job (failed/) back to incoming/ for another attempt,\n"
				     "e.g. after fixing a map or a partner profile; or an archived job\n"
				     "(archive/) to process it again on purpose: it passes the duplicate\n"
				     "check, gets a new acknowledgment, and its ERP file is written again\n"
				     "unless that file is still in erp-dir (then it is not doubled).\n";
	int ex = one_arg(argc, argv, help);
	if (ex >= 0)
		return ex;
	ex = EX_OK;
	struct gateway *g = open_gateway(&ex);
	if (!g)
		return ex;
	int rc = release ? gateway_release(g, argv[1]) : gateway_deliver_replay(g, argv[1]);
	int delivery = !release && rc == 0;
	if (!release && (rc == -EINVAL || rc == -ENOENT))
		rc = gateway_replay(g, argv[1]);
	if (rc == -ENOENT || rc == -EINVAL) {
		fprintf(stderr, "edigw %s: no job '%s' in %s/\n", argv[0], argv[1], release ? "hold" : "failed/ or archive");
		ex = EX_UNAVAILABLE;
	} else if (rc < 0) {
		fprintf(stderr, "edigw %s: %s\n", argv[0], strerror(-rc));
		ex = EX_IOERR;
	} else if (delivery) {
		printf("delivery %s moved to deferred/: sent again on the next pass\n", argv[1]);
	} else {
		printf("job %s moved to incoming/%s\n", argv[1], release ? " (released)" : "");
	}
	gateway_free(g);
	return ex;
}

/* Canonical schema path for map checks: from the configuration when it loads. */
static char *rng_path_for_check(void)
{
	struct diag_list d;
	diag_list_init(&d);
	struct config *c = NULL;
	char *r = NULL;
	if (access(g_config, R_OK) == 0 && config_load(&c, g_config, &d) == 0)
		r = xstrdup(c->canonical_rng);
	config_free(c);
	diag_list_free(&d);
	return r;
}

static int map_test(int argc, char **argv, const char *help);

static int cmd_map(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw map check FILE...\n"
		"       edigw map test FILE --partner ID [--doc TYPE]\n"
		"map check lints map files: syntax, extends chains, code tables, paths, and\n"
		"canonical fields against the canonical schema (canonical-schema in edigw.conf).\n"
		"Every problem is reported as FILE:LINE: message.\n"
		"map test dry-runs FILE (X12, or EDIFACT when it starts with UNA or UNB) as partner\n"
		"ID's document would be processed, writing nothing (no spool, no ledger, no ERP\n"
		"file): for each transaction set or message the partner has a document.<type>\n"
		"for (only TYPE with --doc) it runs the definition check (with the partner's\n"
		"overlay) and the map, and prints every finding with its document position (map\n"
		"findings name the map line), the canonical record and the ERP file its\n"
		"erp.<kind> profile would write. Then it prints the acknowledgment the gateway\n"
		"would send, as 'edigw inspect --ack' does: a 997/999 per the partner's ack\n"
		"setting (X12), a CONTRL per its contrl setting (EDIFACT); the time is now, or\n"
		"SOURCE_DATE_EPOCH. Exit status 0 when every document maps cleanly, 65 when one\n"
		"is rejected (or none was tested), 64 usage, 69 unknown partner.\n";
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return map_test(argc, argv, help);
	if (argc < 3 || strcmp(argv[1], "check") != 0) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	char *rng = rng_path_for_check();
	int bad = 0;
	for (int i = 2; i < argc; i++) {
		struct diag_list d;
		diag_list_init(&d);
		int rc = map_check(argv[i], rng, &d);
		diag_print(&d, stderr);
		if (rc < 0 || d.nerrors)
			bad++;
		else
			printf("%s: OK%s\n", argv[i], d.n ? " (with warnings)" : "");
		diag_list_free(&d);
	}
	free(rng);
	return bad ? EX_DATAERR : EX_OK;
}

static int cmd_config(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw config check\n"
		"Validate edigw.conf and every partner profile, load and lint every map\n"
		"and ERP profile they name, and check that the directories exist.\n";
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	if (argc != 2 || strcmp(argv[1], "check") != 0) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	struct diag_list d;
	diag_list_init(&d);
	struct config *c = NULL;
	int rc = config_load(&c, g_config, &d);
	int nmaps = 0;
	if (rc == 0) {
		for (size_t i = 0; i < c->npartners; i++) {
			const struct cfg_partner *p = &c->partners[i];
			for (size_t j = 0; j < p->ndocs; j++) {
				size_t before = d.nerrors;
				map_check(p->docs[j].map_path, c->canonical_rng, &d);
				if (d.nerrors > before) {
					diag_error(&d, p->file, p->docs[j].line,
						   "document.%s: map %s has errors (above)", p->docs[j].type,
						   p->docs[j].map_path);
				} else {
					struct map *m = NULL;
					if (map_load(&m, p->docs[j].map_path, &d) == 0 && m &&
					    strcmp(map_source_type(m), p->docs[j].type) != 0)
						diag_error(&d, p->file, p->docs[j].line,
							   "document.%s: map %s reads %s documents",
							   p->docs[j].type, p->docs[j].map_path,
							   map_source_type(m));
					map_free(m);
				}
				nmaps++;
			}
			/* the ERP's exports and the partner documents they become */
			for (size_t j = 0; j < p->nexports + p->noutbound; j++) {
				const struct cfg_flow *f = j < p->nexports ? &p->exports[j] : &p->outbound[j - p->nexports];
				size_t before = d.nerrors;
				if (strcmp(f->map_path, "canonical") != 0)
					map_check(f->map_path, c->canonical_rng, &d);
				if (d.nerrors > before)
					diag_error(&d, p->file, f->line, "%s.%s: map %s has errors (above)",
						   j < p->nexports ? "export" : "outbound", f->kind, f->map_path);
				nmaps++;
			}
			gateway_check_flows(NULL, p, &d);
			if (p->sftp.host)
				transport_sftp_check(p, &d);
			struct stat sb;
			if (p->drop_dir && (stat(p->drop_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)))
				diag_warn(&d, p->file, 0, "drop directory %s does not exist (yet)", p->drop_dir);
		}
		for (size_t i = 0; i < c->nerp; i++) {
			struct erp_profile *ep = NULL;
			if (erp_profile_load(&ep, c->erp[i].profile, &d) == 0 && ep) {
				if (strcmp(erp_profile_kind(ep), c->erp[i].kind) != 0)
					diag_error(&d, c->file, c->erp[i].line,
						   "erp.%s: profile %s reads '%s' records", c->erp[i].kind,
						   c->erp[i].profile, erp_profile_kind(ep));
			} else {
				diag_error(&d, c->file, c->erp[i].line, "erp.%s: profile %s has errors",
					   c->erp[i].kind, c->erp[i].profile);
			}
			erp_profile_free(ep);
		}
		if (access(c->canonical_rng, R_OK) < 0)
			diag_error(&d, c->file, 0, "canonical schema %s is not readable", c->canonical_rng);
		struct x12_schema *xs = NULL;
		if (x12_schema_load(&xs, c->schema_dir, &d) == -ENOENT)
			diag_warn(&d, c->file, 0, "no X12 transaction set definitions in %s (schema-dir)",
				  c->schema_dir);
		for (size_t i = 0; i < c->npartners; i++) {
			const struct cfg_partner *p = &c->partners[i];
			struct x12_overlay *ov = NULL;
			if (!p->schema_overlay)
				continue;
			if (!xs || x12_overlay_load(&ov, xs, p->schema_overlay, &d) < 0)
				diag_error(&d, p->file, p->schema_overlay_line, "schema-overlay %s cannot be loaded%s",
					   p->schema_overlay, xs ? " (errors above)" : ": no definitions in schema-dir");
			x12_overlay_free(ov);
		}
		x12_schema_free(xs);
		/* the EDIFACT definitions and the partners' overlays of them */
		struct x12_schema *es = NULL;
		char *edir = path_join(c->schema_dir, "edifact");
		if (access(edir, R_OK | X_OK) == 0)
			edi_schema_load(&es, c->schema_dir, &d);
		free(edir);
		for (size_t i = 0; i < c->npartners; i++) {
			const struct cfg_partner *p = &c->partners[i];
			struct x12_overlay *ov = NULL;
			if (!p->edifact_overlay)
				continue;
			if (!es || x12_overlay_load(&ov, es, p->edifact_overlay, &d) < 0)
				diag_error(&d, p->file, p->edifact_overlay_line, "edifact-schema-overlay %s cannot be loaded%s",
					   p->edifact_overlay, es ? " (errors above)" : ": no EDIFACT definitions in schema-dir");
			x12_overlay_free(ov);
		}
		x12_schema_free(es);
		/* AS2: our key and certificate, the endpoint's TLS pair, the partners' certificates */
		gateway_as2_check(c, &d);
	}
	diag_print(&d, stderr);
	int ex = EX_OK;
	if (rc < 0 || d.nerrors) {
		fprintf(stderr, "edigw: configuration %s has %zu error(s)\n", g_config, d.nerrors);
		ex = EX_CONFIG;
	} else {
		printf("configuration %s OK: %zu partner(s), %d map(s), %zu ERP profile(s)%s\n", g_config,
		       c->npartners, nmaps, c->nerp, d.n ? " (with warnings)" : "");
	}
	diag_list_free(&d);
	config_free(c);
	return ex;
}


/* What 'inspect --ack' needs to build the acknowledgment the gateway would send. */
struct inspect_ack {
	int on;                            /* --ack given */
	enum cfg_ack type;                 /* CFG_ACK_997 or CFG_ACK_999 */
	enum cfg_ta1 ta1;                  /* the partner's setting, else the default (on-error) */
	const struct cfg_partner *partner; /* --partner: its documents and maps apply; or NULL */
	time_t when;                       /* our ISA09/10, GS04/05 */
	struct ack_writer *w;              /* the current interchange's, or NULL */
	int group_open;                    /* the current group is acknowledged */
	int out;                           /* anonymous file collecting the ack interchanges */
	uint64_t sent;                     /* ack interchanges written to it */
	uint64_t fa_groups, groups;        /* groups seen with GS01 = FA, and in all */
	uint64_t rejected;                 /* interchanges rejected (TA1 R) */
	struct map **maps;                 /* loaded once per map path (inspect_map_for) */
	char **map_paths;
	size_t nmaps;
	int map_failed;                    /* a partner's map could not be loaded */
	/* edigw map test: the maps run for every set, not only acknowledged ones, and the
	 * record is kept in rec (the caller takes it) instead of being freed */
	int keep;
	xmlDocPtr rec;
	int map_ran, map_rc;               /* the map ran on the current set, and its result */
};

struct inspect_ctx {
	int verbose;
	uint64_t errors;
	const struct x12_schema *schemas; /* NULL: envelopes only */
	const struct x12_overlay *overlay; /* --partner's schema-overlay, or NULL */
	size_t max_loop_depth;            /* the partner's (or edigw.conf's) limit, as the gateway */
	uint64_t validated, undefined;
	struct inspect_ack ack;
};

/* The map at path, loaded once (like the gateway's map cache); NULL when it cannot be. */
static struct map *inspect_map_for(struct inspect_ack *a, const char *path)
{
	for (size_t i = 0; i < a->nmaps; i++)
		if (strcmp(a->map_paths[i], path) == 0)
			return a->maps[i];
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	if (map_load(&m, path, &d) < 0 || !m) {
		diag_print(&d, stderr);
		fprintf(stderr, "edigw inspect: map %s cannot be loaded\n", path);
		diag_list_free(&d);
		map_free(m);
		return NULL;
	}
	diag_list_free(&d);
	a->maps = xrealloc(a->maps, (a->nmaps + 1) * sizeof *a->maps);
	a->map_paths = xrealloc(a->map_paths, (a->nmaps + 1) * sizeof *a->map_paths);
	a->maps[a->nmaps] = m;
	a->map_paths[a->nmaps] = xstrdup(path);
	a->nmaps++;
	return m;
}

/* The map's findings for the 997, as the gateway adds them: only for a set not already
 * rejected for its syntax. The record itself is not needed here. */
static int inspect_map_findings(struct inspect_ack *a, const struct cfg_doc *doc,
				const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct map *m = inspect_map_for(a, doc->map_path);
	if (!m) {
		a->map_failed = 1;
		return -EINVAL;
	}
	if (gateway_txn_syntax_rejected(res))
		return 0;
	xmlDocPtr rec = NULL;
	char *bkey = NULL;
	/* A map that cannot run on the set is an application failure: not in the 997. */
	a->map_rc = map_apply_x12(m, txn, &rec, &res->errors, &bkey);
	a->map_ran = 1;
	if (a->keep) {
		a->rec = rec;
		rec = NULL;
	}
	if (rec)
		xmlFreeDoc(rec);
	free(bkey);
	return 0;
}

/* Check a transaction set against its definition when there is one; with --ack, make the
 * findings the gateway would put into its 997/999 for a set of an acknowledged group. */
static int ins_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct inspect_ctx *c = ctx;
	int acked = c->ack.on && (c->ack.group_open || c->ack.keep);
	if (acked && gateway_txn_is_ack(txn))
		return 0; /* an acknowledgment: the gateway neither checks nor maps it */
	const struct cfg_doc *doc = NULL;
	if (acked && c->ack.partner && !(doc = gateway_txn_document(c->ack.partner, txn, res)))
		return 0; /* AK5 1: the partner is not configured for this set */
	const struct x12_txn_def *def =
		c->schemas ? x12_overlay_find(c->overlay, c->schemas, txn->gs->version, txn->st01) : NULL;
	if (def) {
		x12_schema_validate(def, txn, c->max_loop_depth, &res->errors);
		c->validated++;
	} else {
		c->undefined++;
	}
	return doc ? inspect_map_findings(&c->ack, doc, txn, res) : 0;
}

static void inspect_errors(struct inspect_ctx *c, const char *what, const struct x12_errlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char *d = x12_error_describe(&l->v[i]);
		printf("    %s: %s\n", what, d);
		free(d);
		c->errors++;
	}
	if (l->dropped)
		printf("    %s: ... and %zu more\n", what, l->dropped);
}

/* A new interchange: no ack writer yet (one is made for its first acknowledged group). */
static int ins_ic_begin(void *ctx, const struct x12_isa *isa)
{
	struct inspect_ctx *c = ctx;
	(void)isa;
	ack_writer_free(c->ack.w);
	c->ack.w = NULL;
	c->ack.group_open = 0;
	return 0;
}

/* The ack writer for interchange isa, with the gateway's parameters. Our control numbers
 * come from no ledger: ISA13 is the number of the interchange in the file. */
static int inspect_ack_new(struct inspect_ctx *c, const struct x12_isa *isa)
{
	struct ack_params ap;
	gateway_ack_params(c->ack.type, c->ack.ta1, isa, &ap);
	ap.isa13 = isa->index;
	ap.when = c->ack.when;
	return ack_writer_new(&c->ack.w, &ap, isa);
}

/* Open the group's 997/999 when the gateway would (never for GS01 = FA). GS06 and ST02
 * are the number of the group in the interchange. */
static int ins_group_begin(void *ctx, const struct x12_isa *isa, const struct x12_gs *gs)
{
	struct inspect_ctx *c = ctx;
	int rc = 0;
	c->ack.group_open = 0;
	if (!c->ack.on)
		return 0;
	c->ack.groups++;
	if (strcmp(gs->fid, "FA") == 0)
		c->ack.fa_groups++;
	if (!gateway_acks_group(c->ack.type, gs))
		return 0;
	if (!c->ack.w && (rc = inspect_ack_new(c, isa)) < 0)
		return rc;
	uint64_t n = ack_writer_groups(c->ack.w) + 1;
	if ((rc = ack_group_begin(c->ack.w, gs, n, n)) < 0)
		return rc;
	c->ack.group_open = 1;
	return 0;
}

static int ins_txn_end(void *ctx, const struct x12_txn_result *r)
{
	struct inspect_ctx *c = ctx;
	if (c->verbose || r->status != 'A') {
		printf("    transaction set %s %s: %llu segments, %c\n", r->st01, r->st02,
		       (unsigned long long)r->seg_count, r->status);
		inspect_errors(c, "error", &r->errors);
	}
	return c->ack.group_open ? ack_txn(c->ack.w, r) : 0;
}

static int ins_group_end(void *ctx, const struct x12_group_result *r)
{
	struct inspect_ctx *c = ctx;
	if (c->verbose || r->status != 'A') {
		printf("  group %s %s: %llu transaction set(s), %llu accepted, AK9 %c\n", r->gs.fid, r->gs.gcn,
		       (unsigned long long)r->received, (unsigned long long)r->accepted, r->status);
		inspect_errors(c, "group error", &r->errors);
	}
	if (!c->ack.group_open)
		return 0;
	c->ack.group_open = 0;
	return ack_group_end(c->ack.w, r);
}

static int ins_ic_end(void *ctx, const struct x12_interchange_result *r)
{
	struct inspect_ctx *c = ctx;
	int rc = 0;
	printf("interchange %s from %s:%s to %s:%s (version %s, %s): %llu group(s), %llu transaction set(s), TA1 %c %s\n",
	       r->isa.icn, r->isa.sender_qual, r->isa.sender_id, r->isa.receiver_qual, r->isa.receiver_id,
	       r->isa.version, r->isa.usage[0] == 'T' ? "test" : "production",
	       (unsigned long long)r->groups, (unsigned long long)r->transactions, r->ta1_status, r->ta1_code);
	inspect_errors(c, "interchange error", &r->errors);
	if (!c->ack.on)
		return 0;
	if (r->ta1_status == 'R')
		c->ack.rejected++;
	/* As the gateway's interchange end: a TA1-only ack when one is due, then the writer
	 * decides what is sent (only the TA1 for a rejected interchange, nothing at all when
	 * there is neither a TA1 nor a group). */
	if (!c->ack.w && gateway_ta1_only(c->ack.ta1, r) && (rc = inspect_ack_new(c, &r->isa)) < 0)
		return rc;
	if (c->ack.w) {
		int written = 0;
		rc = ack_writer_finish(c->ack.w, r, c->ack.out, &written);
		if (written)
			c->ack.sent++;
		ack_writer_free(c->ack.w);
		c->ack.w = NULL;
	}
	return rc;
}

static void ins_notice(void *ctx, uint64_t line, const char *msg)
{
	(void)ctx;
	printf("  note (line %llu): %s\n", (unsigned long long)line, msg);
}

/* What inspect reads with: edigw.conf's definitions (unless envelope_only) with the
 * partner's schema-overlay, and the limits and tolerances of partner (or edigw.conf's).
 * Without a configuration: the built-in defaults and no definitions. *cfg keeps the
 * configuration (NULL without one; the caller frees it) and *p the partner. Returns an
 * exit code when inspect cannot go on (partner not configured, broken overlay), else -1. */
static int inspect_settings(const char *partner, int envelope_only, struct config **cfg,
			    const struct cfg_partner **p, struct x12_schema **schemas,
			    struct x12_overlay **overlay, struct x12_limits *lim,
			    struct x12_tolerances *tol)
{
	struct diag_list d;
	diag_list_init(&d);
	struct config *c = NULL;
	int rc = -1;
	*schemas = NULL;
	*overlay = NULL;
	*p = NULL;
	x12_limits_default(lim);
	x12_tolerances_default(tol);
	if (access(g_config, R_OK) == 0 && config_load(&c, g_config, &d) == 0) {
		*p = partner ? config_partner(c, partner) : NULL;
		if (partner && !*p) {
			fprintf(stderr, "edigw inspect: no partner '%s' in %s\n", partner, c->partners_dir);
			rc = EX_UNAVAILABLE;
		} else {
			gateway_reader_settings(c, *p, lim, tol);
			if (!envelope_only && x12_schema_load(schemas, c->schema_dir, &d) < 0) {
				diag_print(&d, stderr);
				*schemas = NULL;
			}
			/* the partner's overlay, as the gateway loads it: a broken one stops us */
			if (*schemas && *p && (*p)->schema_overlay &&
			    x12_overlay_load(overlay, *schemas, (*p)->schema_overlay, &d) < 0) {
				diag_print(&d, stderr);
				fprintf(stderr, "edigw inspect: schema-overlay %s of partner %s cannot be "
					"loaded\n", (*p)->schema_overlay, (*p)->id);
				x12_schema_free(*schemas);
				*schemas = NULL;
				rc = EX_CONFIG;
			}
		}
	} else if (partner) {
		fprintf(stderr, "edigw inspect: --partner needs a configuration (%s)\n", g_config);
		rc = EX_UNAVAILABLE;
	}
	if (rc >= 0) {
		config_free(c);
		c = NULL;
		*p = NULL;
	}
	*cfg = c;
	diag_list_free(&d);
	return rc;
}

#define INSPECT_TIME_MAX 253402300799ULL /* 9999-12-31 23:59:59 UTC: GS04 is CCYYMMDD */

/* The time our preview ack carries into *out: SOURCE_DATE_EPOCH when set (reproducible
 * output), else now. -1 when SOURCE_DATE_EPOCH is not a number of seconds we can write. */
static int inspect_ack_time(time_t *out)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;
	if (!e || !*e) {
		*out = time(NULL);
		return 0;
	}
	if (str_to_u64(e, &v) < 0 || v > INSPECT_TIME_MAX) {
		fprintf(stderr, "edigw inspect: SOURCE_DATE_EPOCH '%s' is not a number of seconds "
			"from 0 to %llu\n", e, INSPECT_TIME_MAX);
		return -1;
	}
	*out = (time_t)v;
	return 0;
}

/* Open the input FILE into *fd and, when want_ack, the anonymous file our preview acks are
 * collected in into *ack_out. Returns EX_OK, or says why (as the command who) and returns
 * the exit code; what was opened is left in *fd and *ack_out for the caller to close. */
static int inspect_open(const char *who, const char *file, int want_ack, int *ack_out, int *fd)
{
	int trc = want_ack ? file_tmp_anon(ack_out, "inspect") : 0;
	if (trc < 0) {
		fprintf(stderr, "edigw %s: cannot create a temporary file: %s\n", who, strerror(-trc));
		return EX_IOERR;
	}
	*fd = open(file, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		fprintf(stderr, "edigw %s: %s: %s\n", who, file, strerror(errno));
		return EX_NOINPUT;
	}
	return EX_OK;
}

/* Copy the collected ack interchanges (the anonymous file) to fd. */
static int inspect_copy_acks(int from, int fd, uint64_t *bytes)
{
	char b[65536];
	*bytes = 0;
	if (lseek(from, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(from, b, sizeof b);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int rc = write_all(fd, b, (size_t)n);
		if (rc < 0)
			return rc;
		*bytes += (uint64_t)n;
	}
}

/* Hand out the acknowledgment interchanges collected in out (sent of them; none says why
 * there are none): to ack_out (exact bytes, empty when none is sent) or after the report
 * on stdout. kind names it ("997", "999", "contrl"). Returns an exit code, EX_OK when it
 * could be written. */
static int inspect_emit(const char *file, const char *kind, const char *none, int out, uint64_t sent,
			const char *ack_out)
{
	uint64_t bytes = 0;
	int rc = 0;
	if (ack_out) {
		int fd = open(ack_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "edigw inspect: %s: %s\n", ack_out, strerror(errno));
			return EX_IOERR;
		}
		rc = inspect_copy_acks(out, fd, &bytes);
		if (close(fd) < 0 && rc == 0)
			rc = -errno;
		if (rc < 0) {
			fprintf(stderr, "edigw inspect: %s: %s\n", ack_out, strerror(-rc));
			return EX_IOERR;
		}
		if (sent)
			printf("%s: --ack %s: %llu acknowledgment interchange(s) written to %s (%llu bytes)\n",
			       file, kind, (unsigned long long)sent, ack_out, (unsigned long long)bytes);
		else
			printf("%s: --ack %s: edigw would send no acknowledgment (%s); %s is empty\n", file,
			       kind, none, ack_out);
		return EX_OK;
	}
	if (!sent) {
		printf("%s: --ack %s: edigw would send no acknowledgment (%s)\n", file, kind, none);
		return EX_OK;
	}
	printf("%s: --ack %s: the acknowledgment edigw would send (our control numbers from 1, "
	       "no ledger):\n", file, kind);
	fflush(stdout);
	rc = inspect_copy_acks(out, STDOUT_FILENO, &bytes);
	if (rc == 0)
		rc = write_all(STDOUT_FILENO, "\n", 1);
	if (rc < 0) {
		fprintf(stderr, "edigw inspect: writing the acknowledgment: %s\n", strerror(-rc));
		return EX_IOERR;
	}
	return EX_OK;
}

/* The 997/999 of an X12 file through inspect_emit, with the reason when there is none. */
static int inspect_emit_ack(const char *file, const struct inspect_ack *a, const char *ack_out,
			    const struct x12_file_summary *sum)
{
	const char *kind = a->type == CFG_ACK_999 ? "999" : "997";
	const char *none = sum->interchanges == 0 ? "no interchange could be read"
			   : a->groups && a->fa_groups == a->groups
				   ? "never an acknowledgment for an acknowledgment (GS01 = FA)"
			   : a->rejected ? "a rejected interchange gets no 997/999, and the ta1 setting "
					   "sends it no TA1"
					 : "no functional group to acknowledge and no TA1 due";
	return inspect_emit(file, kind, none, a->out, a->sent, ack_out);
}

/* ------------------------------------------------------- inspect: EDIFACT */

/* What inspect keeps while reading an EDIFACT file (the CONTRL preview included). */
struct inspect_edi {
	int verbose;
	uint64_t errors;                   /* findings printed */
	const struct x12_schema *schemas;  /* EDIFACT definitions; NULL: envelopes only */
	const struct x12_overlay *overlay; /* --partner's edifact-schema-overlay, or NULL */
	size_t max_loop_depth;
	uint64_t validated, undefined, answers; /* messages checked, without a definition, CONTRL/APERAK left alone */
	uint64_t app_rejected;             /* messages only the map rejected (the CONTRL says 7) */
	uint64_t warnings;                 /* warnings of the definitions (listed with --verbose) */
	struct edi_view view;              /* reused by the validation, then read by the map */
	struct x12_errlist warns;          /* the current message's warnings */
	int have_msg;                      /* the message callback saw the current message */
	char version[sizeof ((struct edi_msg *)0)->version], release[sizeof ((struct edi_msg *)0)->release];
	char agency[sizeof ((struct edi_msg *)0)->agency], assoc[sizeof ((struct edi_msg *)0)->assoc];
	int msg_is_service, group_is_service;
	int quiet_msgs;                    /* map test prints the messages itself */
	struct contrl_msg_id id;           /* the current message's S009, for its UCM */
	/* --ack contrl */
	struct inspect_ack ack;            /* on, partner, when, out, sent and the map cache */
	enum cfg_contrl policy;            /* the partner's contrl setting (default requested) */
	struct contrl_writer *cw;          /* the current interchange's, or NULL */
	int began;                         /* interchange_begin came for the current interchange */
	uint64_t not_asked, cannot, nothing; /* interchanges without a CONTRL, by reason */
};

/* CONTRL and APERAK are answers: the gateway never acknowledges, checks or maps them. */
static int inspect_edi_service(const char *type)
{
	return strcmp(type, "CONTRL") == 0 || strcmp(type, "APERAK") == 0;
}

/* The CONTRL writer for unb when the gateway's policy sends one (the partner's contrl
 * setting: always, or requested and UNB 0031 = 1). Our 0020 is the number of the
 * interchange in the file, our 0062 is 1. A writer that cannot address the partner is
 * a note, as the gateway logs a warning and goes on. */
static int inspect_edi_contrl(struct inspect_edi *c, const struct edi_unb *unb)
{
	contrl_writer_free(c->cw);
	c->cw = NULL;
	if (!c->ack.on)
		return 0;
	if (!gateway_wants_contrl(c->policy, unb)) {
		c->not_asked++;
		return 0;
	}
	struct contrl_params cp;
	memset(&cp, 0, sizeof cp);
	cp.ref = unb->index;
	cp.msg_ref = 1;
	cp.when = c->ack.when;
	int rc = contrl_writer_new(&c->cw, &cp, unb);
	if (rc < 0) {
		printf("  note: no CONTRL for interchange %s: %s\n", unb->ref, strerror(-rc));
		c->cannot++;
		c->cw = NULL;
	}
	return 0;
}

/* A new interchange: its CONTRL writer when one is due. */
static int iedi_ic_begin(void *ctx, const struct edi_unb *unb)
{
	struct inspect_edi *c = ctx;
	c->began = 1;
	c->group_is_service = 0;
	return inspect_edi_contrl(c, unb);
}

/* A group: its UCF is opened unless it is a group of CONTRLs or APERAKs. */
static int iedi_group_begin(void *ctx, const struct edi_unb *unb, const struct edi_ung *ung)
{
	struct inspect_edi *c = ctx;
	(void)unb;
	c->group_is_service = inspect_edi_service(ung->group_id);
	return c->cw && !c->group_is_service ? contrl_group_begin(c->cw, ung) : 0;
}

/* The partner's map on a message the syntax did not reject, as the gateway runs it: its
 * findings join the message's; a map that cannot read it is an application error. */
static int inspect_edi_map(struct inspect_edi *c, const struct cfg_doc *doc, const struct edi_msg *msg,
			   const struct edi_view *view, struct edi_msg_result *res)
{
	struct map *m = inspect_map_for(&c->ack, doc->map_path);
	if (!m) {
		c->ack.map_failed = 1;
		return -EINVAL;
	}
	if (res->errors.dropped)
		return 0;
	for (size_t i = 0; i < res->errors.n; i++)
		if (!res->errors.v[i].application)
			return 0;
	xmlDocPtr rec = NULL;
	char *bkey = NULL;
	int rc = map_apply_edifact(m, msg, view, &rec, &res->errors, &bkey);
	c->ack.map_ran = 1;
	c->ack.map_rc = rc;
	if (c->ack.keep && rc >= 0 && rec) {
		c->ack.rec = rec;
		rec = NULL;
	} else if (rc < 0 || !rec) {
		x12_errlist_add_app(&res->errors, "map",
				    rc == -EINVAL || rc == 0 ? "the map does not read this message" : strerror(-rc));
	}
	if (rec)
		xmlFreeDoc(rec);
	free(bkey);
	return 0;
}

/* One message: its definition (through the partner's overlay), and with --ack and
 * --partner the partner's document list (code 17 for a type it has none for) and map,
 * as the gateway checks it. With --ack, CONTRL and APERAK are left alone as there. */
static int iedi_message(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct inspect_edi *c = ctx;
	c->have_msg = 1;
	/* same sizes, NUL-terminated by the reader (no snprintf per message: it showed in the
	 * benchmark's profile) */
	memcpy(c->version, msg->version, sizeof c->version);
	memcpy(c->release, msg->release, sizeof c->release);
	memcpy(c->agency, msg->agency, sizeof c->agency);
	memcpy(c->assoc, msg->assoc, sizeof c->assoc);
	if (c->cw)
		contrl_msg_id_set(&c->id, msg);
	c->msg_is_service = inspect_edi_service(msg->type);
	if (c->ack.on && c->msg_is_service) {
		c->answers++;
		return 0;
	}
	const struct cfg_doc *doc = NULL;
	if (c->ack.on && c->ack.partner && !(doc = config_partner_doc(c->ack.partner, msg->type))) {
		struct x12_error er = { 0 };
		er.scope = X12_SCOPE_TXN;
		memcpy(er.code, "17", 3); /* 0085 17: no agreement */
		memcpy(er.seg_id, "UNH", 4);
		er.seg_pos = 1;
		er.elem_pos = 2;
		er.file_seg = msg->nseg ? msg->segs[0].file_seg : 0;
		er.line = msg->nseg ? msg->segs[0].line : 0;
		er.msg = xasprintf("message type %s is not configured for partner %s (no document.%s in %s)",
				   msg->type, c->ack.partner->id, msg->type, c->ack.partner->file);
		x12_errlist_add(&res->errors, &er);
		free(er.msg);
		return 0;
	}
	const struct x12_txn_def *def =
		c->schemas ? edi_overlay_find(c->overlay, c->schemas, msg->version, msg->release, msg->type) : NULL;
	if (def) {
		int rc = edi_schema_validate(def, msg, &c->view, c->max_loop_depth, &res->errors, &c->warns);
		if (rc < 0)
			return rc;
		c->validated++;
	} else {
		c->undefined++;
	}
	/* a definition leaves msg's view in c->view (validation returned >= 0) */
	return doc ? inspect_edi_map(c, doc, msg, def ? &c->view : NULL, res) : 0;
}

/* Print a list of findings under what (error, warning); errors are counted. */
static void inspect_edi_list(struct inspect_edi *c, const char *what, const struct x12_errlist *l, int count)
{
	for (size_t i = 0; i < l->n; i++) {
		char *d = x12_error_describe_as(&l->v[i], "EDIFACT");
		printf("    %s: %s\n", what, d);
		free(d);
		if (count)
			c->errors++;
	}
	if (l->dropped)
		printf("    %s: ... and %zu more\n", what, l->dropped);
}

/* A message's verdict: printed when rejected (or --verbose), and its UCM. */
static int iedi_message_end(void *ctx, const struct edi_msg_result *res)
{
	struct inspect_edi *c = ctx;
	int rc = 0;
	int rejected = res->action == EDI_ACTION_REJECTED;
	if (!rejected && res->app_rejected)
		c->app_rejected++;
	c->warnings += c->warns.n + c->warns.dropped;
	if (!c->quiet_msgs && (c->verbose || rejected || res->app_rejected)) {
		printf("    message %s %s", res->type, res->ref);
		if (c->have_msg)
			printf(" (%s:%s:%s%s%s)", c->version, c->release, c->agency, c->assoc[0] ? ":" : "", c->assoc);
		printf(": %llu segment(s), ", (unsigned long long)res->seg_count);
		if (rejected)
			printf("rejected (UCM 4%s%s)\n", res->code[0] ? " code " : "", res->code);
		else if (res->app_rejected)
			printf("rejected by the map (application: the CONTRL says UCM 7)\n");
		else
			printf("accepted (UCM 7)\n");
		inspect_edi_list(c, "error", &res->errors, 1);
		if (c->verbose)
			inspect_edi_list(c, "warning", &c->warns, 0);
	}
	if (c->cw && !c->group_is_service && !inspect_edi_service(res->type)) {
		/* a message the reader did not hand over (over a limit) cannot be named: its
		 * rejection goes to the group or interchange */
		struct contrl_msg_id none;
		memset(&none, 0, sizeof none);
		snprintf(none.type, sizeof none.type, "%s", res->type);
		rc = contrl_message(c->cw, res, c->have_msg ? &c->id : &none);
	}
	x12_errlist_free(&c->warns);
	c->have_msg = 0;
	return rc;
}

/* A group's verdict: printed when rejected (or --verbose), and its UCF. */
static int iedi_group_end(void *ctx, const struct edi_group_result *res)
{
	struct inspect_edi *c = ctx;
	int rc = 0;
	if (c->verbose || res->action != EDI_ACTION_ACCEPTED) {
		printf("  group %s %s: %llu message(s), %llu accepted, UCF %c%s%s\n", res->ung.group_id,
		       res->ung.ref, (unsigned long long)res->received, (unsigned long long)res->accepted,
		       res->action ? res->action : '-', res->code[0] ? " code " : "", res->code);
		inspect_edi_list(c, "group error", &res->errors, 1);
	}
	if (c->cw && !c->group_is_service)
		rc = contrl_group_end(c->cw, res);
	c->group_is_service = 0;
	return rc;
}

/* "5412345000013:14" as UNB writes a party (id, then qualifier). */
static void inspect_edi_party(const char *id, const char *qual)
{
	printf("%s%s%s", id, qual[0] ? ":" : "", qual);
}

/* An interchange's verdict, and its CONTRL written to the collecting file. */
static int iedi_ic_end(void *ctx, const struct edi_interchange_result *res)
{
	struct inspect_edi *c = ctx;
	int rc = 0;
	const struct edi_unb *u = &res->unb;
	printf("interchange %s from ", u->ref);
	inspect_edi_party(u->sender, u->sender_qual);
	printf(" to ");
	inspect_edi_party(u->recipient, u->recipient_qual);
	printf(" (%s:%d, %s%s): %llu group(s), %llu message(s), UCI %c%s%s\n", u->syntax_id[0] ? u->syntax_id : "?",
	       u->syntax_version, strcmp(u->test, "1") == 0 ? "test" : "production",
	       strcmp(u->ack_request, "1") == 0 ? ", CONTRL requested" : "", (unsigned long long)res->groups,
	       (unsigned long long)res->messages, res->action ? res->action : '-', res->code[0] ? " code " : "",
	       res->code);
	inspect_edi_list(c, "interchange error", &res->errors, 1);
	/* an interchange rejected before it could be read (no interchange_begin): the gateway
	 * answers it from the UNB as read, with the same policy */
	if (!c->began && (rc = inspect_edi_contrl(c, u)) < 0)
		return rc;
	c->began = 0;
	if (c->cw) {
		int written = 0;
		rc = contrl_writer_finish(c->cw, res, c->ack.out, &written);
		if (written)
			c->ack.sent++;
		else
			c->nothing++;
		contrl_writer_free(c->cw);
		c->cw = NULL;
	}
	return rc;
}

/* What inspect reads EDIFACT with: schema-dir/edifact's definitions (unless envelope_only;
 * none when the directory is missing) with the partner's edifact-schema-overlay, the
 * partner's (or edigw.conf's) limits and tolerances. As inspect_settings: returns an exit
 * code when inspect cannot go on, else -1; *cfg and *p as there. */
static int inspect_edi_settings(const char *partner, int envelope_only, struct config **cfg,
				const struct cfg_partner **p, struct x12_schema **schemas,
				struct x12_overlay **overlay, struct edi_limits *lim,
				struct edi_tolerances *tol, size_t *max_loop_depth)
{
	struct diag_list d;
	diag_list_init(&d);
	struct config *c = NULL;
	int rc = -1;
	*schemas = NULL;
	*overlay = NULL;
	*p = NULL;
	*max_loop_depth = 32;
	int readable = access(g_config, R_OK) == 0;
	if (readable && config_load(&c, g_config, &d) == 0) {
		*p = partner ? config_partner(c, partner) : NULL;
		if (partner && !*p) {
			fprintf(stderr, "edigw inspect: no partner '%s' in %s\n", partner, c->partners_dir);
			rc = EX_UNAVAILABLE;
		} else {
			*max_loop_depth = (size_t)(*p ? (*p)->limits.max_loop_depth : c->limits.max_loop_depth);
			char *dir = path_join(c->schema_dir, "edifact");
			if (!envelope_only && access(dir, R_OK | X_OK) == 0 &&
			    edi_schema_load(schemas, c->schema_dir, &d) < 0) {
				diag_print(&d, stderr);
				*schemas = NULL;
			}
			free(dir);
			if (*schemas && *p && (*p)->edifact_overlay &&
			    x12_overlay_load(overlay, *schemas, (*p)->edifact_overlay, &d) < 0) {
				diag_print(&d, stderr);
				fprintf(stderr, "edigw inspect: edifact-schema-overlay %s of partner %s cannot be "
					"loaded\n", (*p)->edifact_overlay, (*p)->id);
				x12_schema_free(*schemas);
				*schemas = NULL;
				rc = EX_CONFIG;
			}
		}
	} else {
		if (readable) {
			/* say why there are no definitions rather than reading without them silently */
			diag_print(&d, stderr);
			fprintf(stderr, "edigw inspect: configuration %s cannot be loaded: built-in limits, "
				"no definitions\n", g_config);
		}
		config_free(c);
		c = NULL;
		if (partner) {
			fprintf(stderr, "edigw inspect: --partner needs a configuration (%s)\n", g_config);
			rc = EX_UNAVAILABLE;
		}
	}
	if (rc >= 0) {
		config_free(c);
		c = NULL;
		*p = NULL;
	}
	gateway_edi_reader_settings(c, *p, lim, tol);
	*cfg = c;
	diag_list_free(&d);
	return rc;
}

/* Why no CONTRL would be sent for the file. */
static const char *inspect_edi_none(const struct inspect_edi *c, const struct edi_file_summary *sum)
{
	if (sum->interchanges == 0)
		return "no interchange could be read";
	if (c->cannot)
		return "the CONTRL cannot be addressed: see the note";
	if (c->not_asked)
		return c->policy == CFG_CONTRL_NEVER ? "the partner's contrl setting is never"
						     : "UNB 0031 does not ask for one and the contrl setting is "
						       "requested (the default)";
	return "nothing to report: never a CONTRL for a CONTRL or an APERAK";
}

/* 1 when the first bytes of file look like EDIFACT (edi_sniff); 0 otherwise or when it
 * cannot be read (the X12 path reports that). */
static int inspect_is_edifact(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char b[256];
	ssize_t n = read(fd, b, sizeof b);
	close(fd);
	return n > 0 && edi_sniff(b, (size_t)n);
}

/* inspect for an EDIFACT file: the reader, the envelopes, each message against its
 * definition, and with ack the CONTRL the gateway would send. Returns the exit code. */
static int inspect_edifact(const char *file, int verbose, int envelope_only, const char *partner, int ack,
			   const char *ack_out)
{
	struct inspect_edi c;
	memset(&c, 0, sizeof c);
	c.verbose = verbose;
	c.ack.out = -1;
	c.policy = CFG_CONTRL_REQUESTED;
	if (ack) {
		c.ack.on = 1;
		if (inspect_ack_time(&c.ack.when) < 0)
			return EX_USAGE;
	}
	struct config *cfg = NULL;
	const struct cfg_partner *p = NULL;
	struct x12_schema *schemas = NULL;
	struct x12_overlay *overlay = NULL;
	struct edi_limits lim;
	struct edi_tolerances tol;
	int sex = inspect_edi_settings(partner, envelope_only, &cfg, &p, &schemas, &overlay, &lim, &tol,
				       &c.max_loop_depth);
	if (sex >= 0)
		return sex;
	c.schemas = schemas;
	c.overlay = overlay;
	if (p) {
		c.ack.partner = p;
		c.policy = p->contrl;
	}
	int ex = EX_OK;
	int fd = -1;
	struct edi_reader *r = NULL;
	struct x12_error err = { 0 };
	ex = inspect_open("inspect", file, c.ack.on, &c.ack.out, &fd);
	if (ex != EX_OK)
		goto out;
	if (edi_reader_new_fd(&r, fd, &lim) < 0) {
		ex = EX_SOFTWARE;
		goto out;
	}
	edi_reader_set_tolerances(r, &tol);
	edi_reader_set_notice(r, ins_notice, &c);
	edi_reader_set_hash(r, 0); /* the duplicate registry's hash is not needed here */
	struct edi_handler h = {
		.ctx = &c,
		.interchange_begin = iedi_ic_begin,
		.group_begin = iedi_group_begin,
		.message = iedi_message,
		.message_end = iedi_message_end,
		.group_end = iedi_group_end,
		.interchange_end = iedi_ic_end,
		.notice = ins_notice,
	};
	struct edi_file_summary sum = { 0 };
	uint64_t t0 = now_ms();
	int rc = edi_parse(r, &h, &sum, &err);
	uint64_t ms = now_ms() - t0;
	if (rc < 0 && !err.msg) {
		/* one of our callbacks failed: the CONTRL writer, the validation or a partner's map */
		if (c.ack.map_failed) {
			ex = EX_CONFIG;
		} else {
			fprintf(stderr, "edigw inspect: cannot check %s%s: %s\n", file,
				c.ack.on ? " or build its CONTRL" : "", strerror(-rc));
			ex = EX_SOFTWARE;
		}
		goto out;
	}
	if (rc < 0) {
		char *d = x12_error_describe_as(&err, "EDIFACT");
		printf("%s: not a valid EDIFACT document: %s\n", file, d);
		free(d);
		ex = EX_DATAERR;
	}
	printf("%s: EDIFACT, %llu bytes, %llu segment(s), %llu interchange(s) (%llu rejected), %llu group(s) "
	       "(%llu rejected), %llu message(s) (%llu rejected) in %llu ms\n",
	       file, (unsigned long long)sum.bytes, (unsigned long long)sum.segments,
	       (unsigned long long)sum.interchanges, (unsigned long long)sum.rejected_interchanges,
	       (unsigned long long)sum.groups, (unsigned long long)sum.rejected_groups,
	       (unsigned long long)sum.messages, (unsigned long long)(sum.rejected_messages + c.app_rejected),
	       (unsigned long long)ms);
	if (c.schemas)
		printf("%s: %llu message(s) checked against their definitions, %llu without one (envelope "
		       "only)%s; %llu warning(s)%s\n",
		       file, (unsigned long long)c.validated, (unsigned long long)c.undefined,
		       c.answers ? ", CONTRL/APERAK left alone as the gateway does" : "",
		       (unsigned long long)c.warnings, c.warnings && !c.verbose ? " (--verbose lists them)" : "");
	else
		printf("%s: envelopes only (no message definitions used)\n", file);
	if (sum.rejected_interchanges || sum.rejected_groups || sum.rejected_messages || c.app_rejected)
		ex = EX_DATAERR;
	if (c.ack.on) {
		int aex = inspect_emit(file, "contrl", inspect_edi_none(&c, &sum), c.ack.out, c.ack.sent, ack_out);
		if (aex != EX_OK)
			ex = aex;
	}
out:
	x12_error_free(&err);
	edi_reader_free(r);
	if (fd >= 0)
		close(fd);
	if (c.ack.out >= 0)
		close(c.ack.out);
	contrl_writer_free(c.cw);
	x12_errlist_free(&c.warns);
	edi_view_free(&c.view);
	for (size_t i = 0; i < c.ack.nmaps; i++) {
		map_free(c.ack.maps[i]);
		free(c.ack.map_paths[i]);
	}
	free(c.ack.maps);
	free(c.ack.map_paths);
	x12_overlay_free(overlay); /* before the definitions it borrows from */
	x12_schema_free(schemas);
	config_free(cfg);
	return ex;
}

/* ------------------------------------------------------------- map test */

/* What 'edigw map test' keeps besides inspect's context: the partner, the --doc filter,
 * the ERP profiles it loaded, and the current document's canonical record and ERP file
 * (printed at the document's end, when all its findings are in). */
struct maptest {
	const struct config *cfg;
	const struct cfg_partner *p;
	const char *doc;                 /* --doc TYPE, or NULL: every configured type */
	struct erp_profile **erps;       /* loaded once per kind */
	char **erp_kinds;
	size_t nerps;
	enum { MT_NONE, MT_TESTED, MT_FILTERED, MT_NODOC, MT_ANSWER } state; /* current document */
	const struct cfg_doc *cdoc;      /* its document.<type> */
	char where[128];                 /* its envelope, for the header line */
	struct buf xml, erp;             /* its canonical record and ERP file, or empty */
	const char *erp_kind;            /* the erp.<kind> that rendered erp, or NULL */
	int no_profile;                  /* a record of a kind with no erp.<kind> */
	uint64_t tested, rejected, skipped;
};

/* The erp.<kind> profile of the configuration, loaded once; NULL when there is none or it
 * cannot be loaded (said on stderr). */
static const struct erp_profile *mt_erp_for(struct maptest *t, const char *kind)
{
	for (size_t i = 0; i < t->nerps; i++)
		if (strcmp(t->erp_kinds[i], kind) == 0)
			return t->erps[i];
	const char *path = config_erp_profile(t->cfg, kind);
	struct erp_profile *ep = NULL;
	if (path) {
		struct diag_list d;
		diag_list_init(&d);
		if (erp_profile_load(&ep, path, &d) < 0) {
			diag_print(&d, stderr);
			fprintf(stderr, "edigw map test: ERP profile %s cannot be loaded\n", path);
			ep = NULL;
		}
		diag_list_free(&d);
	}
	t->erps = xrealloc(t->erps, (t->nerps + 1) * sizeof *t->erps);
	t->erp_kinds = xrealloc(t->erp_kinds, (t->nerps + 1) * sizeof *t->erp_kinds);
	t->erps[t->nerps] = ep;
	t->erp_kinds[t->nerps] = xstrdup(kind);
	t->nerps++;
	return ep;
}

/* A mapped record as the gateway emits it: checked against canonical.rng and rendered
 * with its erp.<kind> profile, both kept for printing; problems become application
 * findings in errs. Frees rec. */
static void mt_emit(struct maptest *t, xmlDocPtr rec, struct x12_errlist *errs)
{
	canon_serialize(rec, &t->xml);
	if (canon_check(rec, t->cfg->canonical_rng, errs) == 0) {
		const struct erp_profile *prof = mt_erp_for(t, canon_kind(rec));
		if (!prof)
			t->no_profile = 1;
		else {
			/* the whole ERP file this record would be in: an XML profile's root around it */
			size_t len = t->erp.len;
			erp_profile_header(prof, &t->erp);
			if (erp_render_checked(prof, rec, &t->erp, errs) == 0) {
				erp_profile_footer(prof, &t->erp);
				t->erp_kind = erp_profile_kind(prof);
			} else {
				t->erp.len = len;
				if (t->erp.data)
					t->erp.data[len] = '\0';
			}
		}
	}
	xmlFreeDoc(rec);
}

/* Forget the previous document. */
static void mt_reset(struct maptest *t)
{
	t->state = MT_NONE;
	t->cdoc = NULL;
	t->where[0] = '\0';
	buf_reset(&t->xml);
	buf_reset(&t->erp);
	t->erp_kind = NULL;
	t->no_profile = 0;
}

/* Which of the document's outcomes it gets: tested, or why not (type is ST01 / 0065). */
static void mt_classify(struct maptest *t, int answer, const char *type)
{
	if (answer)
		t->state = MT_ANSWER;
	else if (!(t->cdoc = config_partner_doc(t->p, type)))
		t->state = MT_NODOC;
	else if (t->doc && strcmp(t->doc, type) != 0)
		t->state = MT_FILTERED;
	else
		t->state = MT_TESTED;
}

/* Print the current document's block (what, type, ref: "transaction set", ST01, ST02 or
 * "message", 0065, 0062): its findings with their positions, its canonical record and ERP
 * file, its verdict; and count it (findings to *nerrors). */
static void mt_print(struct maptest *t, const char *what, const char *type, const char *ref, int rejected,
		     const struct x12_errlist *errs, const char *std, uint64_t *nerrors)
{
	if (t->state == MT_ANSWER)
		return;
	if (t->state != MT_TESTED) {
		t->skipped++;
		if (t->state == MT_NODOC)
			printf("%s %s %s%s: not tested: partner %s has no document.%s\n", what, type, ref, t->where,
			       t->p->id, type);
		else
			printf("%s %s %s%s: not tested (--doc %s)\n", what, type, ref, t->where, t->doc);
		return;
	}
	t->tested++;
	printf("%s %s %s%s: document.%s, map %s\n", what, type, ref, t->where, type, t->cdoc->map_path);
	for (size_t i = 0; i < errs->n; i++) {
		char *d = !std ? x12_error_describe(&errs->v[i])
			  : strcmp(std, "flat") == 0 ? gateway_flat_finding(&errs->v[i])
						     : x12_error_describe_as(&errs->v[i], std);
		printf("  error: %s\n", d);
		free(d);
		(*nerrors)++;
	}
	if (errs->dropped)
		printf("  error: ... and %zu more\n", errs->dropped);
	if (t->xml.len) {
		printf("  canonical record:\n");
		fwrite(t->xml.data, 1, t->xml.len, stdout);
		if (t->xml.data[t->xml.len - 1] != '\n')
			putchar('\n');
	} else {
		printf("  no canonical record\n");
	}
	if (t->erp_kind) {
		printf("  ERP file (erp.%s, %zu bytes):\n", t->erp_kind, t->erp.len);
		fwrite(t->erp.data, 1, t->erp.len, stdout);
		if (t->erp.len && t->erp.data[t->erp.len - 1] != '\n')
			putchar('\n');
	} else if (t->no_profile) {
		printf("  no ERP file: no erp.<kind> in %s for this record kind\n", t->cfg->file);
	}
	if (rejected)
		t->rejected++;
	printf("  result: %s\n", rejected ? "rejected" : "mapped cleanly");
}

/* An X12 map test: inspect's context first, so inspect's callbacks take it as theirs. */
struct mt_x12 {
	struct inspect_ctx ic;
	struct maptest t;
};

/* A transaction set: inspect's checks (definition with the overlay, the partner's map)
 * and, for a mapped set, the canonical record and ERP file as the gateway makes them. */
static int mt_txn(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct mt_x12 *x = ctx;
	struct maptest *t = &x->t;
	mt_reset(t);
	x->ic.ack.map_ran = 0;
	int rc = ins_txn(&x->ic, txn, res);
	xmlDocPtr rec = x->ic.ack.rec;
	x->ic.ack.rec = NULL;
	mt_classify(t, gateway_txn_is_ack(txn), txn->st01);
	snprintf(t->where, sizeof t->where, " (interchange %s, group %s)", txn->isa ? txn->isa->icn : "?",
		 txn->gs ? txn->gs->gcn : "?");
	if (rc < 0) {
		if (rec)
			xmlFreeDoc(rec);
		return rc;
	}
	if (rec) {
		canon_set_source(rec, t->p->id, txn);
		mt_emit(t, rec, &res->errors);
	} else if (x->ic.ack.map_ran) {
		x12_errlist_add_app(&res->errors, "map", x->ic.ack.map_rc == -EINVAL || x->ic.ack.map_rc == 0
							  ? "the map does not read this transaction set"
							  : strerror(-x->ic.ack.map_rc));
	}
	return 0;
}

/* A transaction set's end: its block, then its part of the 997/999. */
static int mt_txn_end(void *ctx, const struct x12_txn_result *r)
{
	struct mt_x12 *x = ctx;
	mt_print(&x->t, "transaction set", r->st01, r->st02, r->status == 'R' || r->app_rejected, &r->errors, NULL,
		 &x->ic.errors);
	return x->ic.ack.group_open ? ack_txn(x->ic.ack.w, r) : 0;
}

/* An EDIFACT map test: inspect's context first, as for X12. */
struct mt_edi {
	struct inspect_edi ie;
	struct maptest t;
};

/* A message: inspect's checks and map, then the record and ERP file as for X12. */
static int mt_message(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct mt_edi *x = ctx;
	struct maptest *t = &x->t;
	mt_reset(t);
	x->ie.ack.map_ran = 0;
	int rc = iedi_message(&x->ie, msg, res);
	xmlDocPtr rec = x->ie.ack.rec;
	x->ie.ack.rec = NULL;
	mt_classify(t, inspect_edi_service(msg->type), msg->type);
	snprintf(t->where, sizeof t->where, " (interchange %s%s%s)", msg->unb ? msg->unb->ref : "?",
		 msg->ung ? ", group " : "", msg->ung ? msg->ung->ref : "");
	if (rc < 0) {
		if (rec)
			xmlFreeDoc(rec);
		return rc;
	}
	if (rec) {
		canon_set_source(rec, t->p->id, NULL);
		mt_emit(t, rec, &res->errors);
	}
	return 0;
}

/* A message's end: its block, then inspect's (its UCM in the CONTRL). */
static int mt_message_end(void *ctx, const struct edi_msg_result *res)
{
	struct mt_edi *x = ctx;
	int rejected = res->action == EDI_ACTION_REJECTED || res->app_rejected;
	for (size_t i = 0; i < res->errors.n; i++)
		rejected |= res->errors.v[i].application;
	if (!x->ie.have_msg)
		x->t.state = MT_TESTED; /* over a limit: its rejection is still a test result */
	if (!x->ie.have_msg && !config_partner_doc(x->t.p, res->type))
		x->t.state = MT_NODOC;
	mt_print(&x->t, "message", res->type, res->ref, rejected, &res->errors, "EDIFACT", &x->ie.errors);
	return iedi_message_end(&x->ie, res);
}

/* Free what a map test loaded and the maps inspect's context cached. */
static void mt_free(struct maptest *t, struct inspect_ack *a)
{
	for (size_t i = 0; i < t->nerps; i++) {
		erp_profile_free(t->erps[i]);
		free(t->erp_kinds[i]);
	}
	free(t->erps);
	free(t->erp_kinds);
	buf_free(&t->xml);
	buf_free(&t->erp);
	for (size_t i = 0; i < a->nmaps; i++) {
		map_free(a->maps[i]);
		free(a->map_paths[i]);
	}
	free(a->maps);
	free(a->map_paths);
	if (a->rec)
		xmlFreeDoc(a->rec);
}

/* Point the map test at the loaded configuration and partner. EX_USAGE (said on stderr)
 * when --doc names a type the partner has no document.<type> for, else EX_OK. */
static int mt_bind(struct maptest *t, const struct config *cfg, const struct cfg_partner *p)
{
	t->cfg = cfg;
	t->p = p;
	if (t->doc && !config_partner_doc(p, t->doc)) {
		fprintf(stderr, "edigw map test: partner %s has no document.%s (%s)\n", p->id, t->doc, p->file);
		return EX_USAGE;
	}
	return EX_OK;
}

/* The verdict line and exit status of a map test. */
static int mt_verdict(const char *file, const struct maptest *t, int envelope_rejected, int ex)
{
	printf("%s: %llu document(s) tested, %llu rejected, %llu not tested%s\n", file,
	       (unsigned long long)t->tested, (unsigned long long)t->rejected, (unsigned long long)t->skipped,
	       envelope_rejected ? "; an envelope was rejected (above)" : "");
	if (ex != EX_OK)
		return ex;
	if (!t->tested) {
		printf("%s: no document of partner %s%s%s to test\n", file, t->p->id, t->doc ? " of type " : "",
		       t->doc ? t->doc : "");
		return EX_DATAERR;
	}
	return t->rejected || envelope_rejected ? EX_DATAERR : EX_OK;
}

/* map test on an X12 file. Returns the exit code. */
static int mt_x12(const char *file, const char *partner, const char *doc)
{
	struct mt_x12 x;
	memset(&x, 0, sizeof x);
	struct inspect_ctx *c = &x.ic;
	c->ack.out = -1;
	c->ack.on = 1;
	c->ack.keep = 1;
	buf_init(&x.t.xml, 0);
	buf_init(&x.t.erp, 0);
	x.t.doc = doc;
	if (inspect_ack_time(&c->ack.when) < 0)
		return EX_USAGE;
	struct config *cfg = NULL;
	const struct cfg_partner *p = NULL;
	struct x12_schema *schemas = NULL;
	struct x12_overlay *overlay = NULL;
	struct x12_limits lim;
	struct x12_tolerances tol;
	int ex = inspect_settings(partner, 0, &cfg, &p, &schemas, &overlay, &lim, &tol);
	if (ex >= 0)
		return ex;
	ex = EX_OK;
	int fd = -1;
	struct x12_reader *r = NULL;
	struct x12_error err = { 0 };
	ex = mt_bind(&x.t, cfg, p);
	if (ex != EX_OK)
		goto out;
	c->schemas = schemas;
	c->overlay = overlay;
	c->max_loop_depth = lim.max_loop_depth;
	c->ack.partner = p;
	c->ack.ta1 = p->ta1;
	c->ack.type = p->ack;
	ex = inspect_open("map test", file, 1, &c->ack.out, &fd);
	if (ex != EX_OK)
		goto out;
	if (x12_reader_new_fd(&r, fd, &lim) < 0) {
		ex = EX_SOFTWARE;
		goto out;
	}
	x12_reader_set_tolerances(r, &tol);
	x12_reader_set_notice(r, ins_notice, c);
	x12_reader_set_hash(r, 0);
	struct x12_handler h = { 0 };
	h.ctx = &x;
	h.interchange_begin = ins_ic_begin;
	h.group_begin = ins_group_begin;
	h.transaction = mt_txn;
	h.transaction_end = mt_txn_end;
	h.group_end = ins_group_end;
	h.interchange_end = ins_ic_end;
	h.notice = ins_notice;
	struct x12_file_summary sum = { 0 };
	int rc = x12_parse(r, &h, &sum, &err);
	if (rc < 0 && !err.msg) {
		if (!c->ack.map_failed)
			fprintf(stderr, "edigw map test: cannot test %s: %s\n", file, strerror(-rc));
		ex = c->ack.map_failed ? EX_CONFIG : EX_SOFTWARE;
		goto out;
	}
	if (rc < 0) {
		char *d = x12_error_describe(&err);
		printf("%s: not a valid X12 document: %s\n", file, d);
		free(d);
		ex = EX_DATAERR;
	}
	if (!schemas)
		printf("%s: no transaction set definitions (schema-dir): only the maps check the sets\n", file);
	int aex = p->ack == CFG_ACK_NONE
			  ? inspect_emit(file, "ta1", "the partner's ack setting is none and no TA1 is due",
					 c->ack.out, c->ack.sent, NULL)
			  : inspect_emit_ack(file, &c->ack, NULL, &sum);
	if (aex != EX_OK)
		ex = aex;
	ex = mt_verdict(file, &x.t, sum.rejected_interchanges || sum.rejected_groups || rc < 0, ex);
out:
	x12_error_free(&err);
	x12_reader_free(r);
	if (fd >= 0)
		close(fd);
	if (c->ack.out >= 0)
		close(c->ack.out);
	ack_writer_free(c->ack.w);
	mt_free(&x.t, &c->ack);
	x12_overlay_free(overlay);
	x12_schema_free(schemas);
	config_free(cfg);
	return ex;
}

/* map test on an EDIFACT file. Returns the exit code. */
static int mt_edifact(const char *file, const char *partner, const char *doc)
{
	struct mt_edi x;
	memset(&x, 0, sizeof x);
	struct inspect_edi *c = &x.ie;
	c->ack.out = -1;
	c->ack.on = 1;
	c->ack.keep = 1;
	c->quiet_msgs = 1;
	buf_init(&x.t.xml, 0);
	buf_init(&x.t.erp, 0);
	x.t.doc = doc;
	if (inspect_ack_time(&c->ack.when) < 0)
		return EX_USAGE;
	struct config *cfg = NULL;
	const struct cfg_partner *p = NULL;
	struct x12_schema *schemas = NULL;
	struct x12_overlay *overlay = NULL;
	struct edi_limits lim;
	struct edi_tolerances tol;
	int ex = inspect_edi_settings(partner, 0, &cfg, &p, &schemas, &overlay, &lim, &tol, &c->max_loop_depth);
	if (ex >= 0)
		return ex;
	ex = EX_OK;
	int fd = -1;
	struct edi_reader *r = NULL;
	struct x12_error err = { 0 };
	ex = mt_bind(&x.t, cfg, p);
	if (ex != EX_OK)
		goto out;
	c->schemas = schemas;
	c->overlay = overlay;
	c->ack.partner = p;
	c->policy = p->contrl;
	ex = inspect_open("map test", file, 1, &c->ack.out, &fd);
	if (ex != EX_OK)
		goto out;
	if (edi_reader_new_fd(&r, fd, &lim) < 0) {
		ex = EX_SOFTWARE;
		goto out;
	}
	edi_reader_set_tolerances(r, &tol);
	edi_reader_set_notice(r, ins_notice, c);
	edi_reader_set_hash(r, 0);
	struct edi_handler h = {
		.ctx = &x,
		.interchange_begin = iedi_ic_begin,
		.group_begin = iedi_group_begin,
		.message = mt_message,
		.message_end = mt_message_end,
		.group_end = iedi_group_end,
		.interchange_end = iedi_ic_end,
		.notice = ins_notice,
	};
	struct edi_file_summary sum = { 0 };
	int rc = edi_parse(r, &h, &sum, &err);
	if (rc < 0 && !err.msg) {
		if (!c->ack.map_failed)
			fprintf(stderr, "edigw map test: cannot test %s: %s\n", file, strerror(-rc));
		ex = c->ack.map_failed ? EX_CONFIG : EX_SOFTWARE;
		goto out;
	}
	if (rc < 0) {
		char *d = x12_error_describe_as(&err, "EDIFACT");
		printf("%s: not a valid EDIFACT document: %s\n", file, d);
		free(d);
		ex = EX_DATAERR;
	}
	if (!schemas)
		printf("%s: no EDIFACT message definitions (schema-dir/edifact): only the maps check the "
		       "messages\n", file);
	int aex = inspect_emit(file, "contrl", inspect_edi_none(c, &sum), c->ack.out, c->ack.sent, NULL);
	if (aex != EX_OK)
		ex = aex;
	ex = mt_verdict(file, &x.t, sum.rejected_interchanges || sum.rejected_groups || rc < 0, ex);
out:
	x12_error_free(&err);
	edi_reader_free(r);
	if (fd >= 0)
		close(fd);
	if (c->ack.out >= 0)
		close(c->ack.out);
	contrl_writer_free(c->cw);
	x12_errlist_free(&c->warns);
	edi_view_free(&c->view);
	mt_free(&x.t, &c->ack);
	x12_overlay_free(overlay);
	x12_schema_free(schemas);
	config_free(cfg);
	return ex;
}

/* map test on a partner's flat file (csv.document, fixed.document, xml.document). */
struct mt_flat {
	struct maptest t;
	uint64_t errors;
};

/* One record of the flat file: its block, as for a transaction set. */
static int mt_flat_record(void *ctx, xmlDocPtr rec, struct x12_errlist *errs, size_t index, const char *key,
			  uint64_t line)
{
	struct mt_flat *x = ctx;
	struct maptest *t = &x->t;
	const struct cfg_doc *cdoc = t->cdoc;
	mt_reset(t);
	t->cdoc = cdoc;
	t->state = MT_TESTED;
	snprintf(t->where, sizeof t->where, " (line %llu%s%s)", (unsigned long long)line, key && *key ? ", key " : "",
		 key && *key ? key : "");
	if (rec && errs->n) {
		/* rejected: the gateway writes no ERP record for it */
		canon_set_source(rec, t->p->id, NULL);
		canon_serialize(rec, &t->xml);
		xmlFreeDoc(rec);
	} else if (rec) {
		canon_set_source(rec, t->p->id, NULL);
		mt_emit(t, rec, errs);
	}
	char ref[24];
	snprintf(ref, sizeof ref, "%zu", index);
	mt_print(t, "record", cdoc->type, ref, errs->n > 0, errs, "flat", &x->errors);
	return 0;
}

/* The partner's flat document type this file is, or NULL (not a flat-file partner). */
static const char *mt_flat_type(const struct cfg_partner *p, const char *file)
{
	if (p->xml_document[0]) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		char b[256];
		ssize_t n = fd >= 0 ? read(fd, b, sizeof b) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0 && xmldoc_sniff(b, (size_t)n))
			return p->xml_document;
	}
	return p->csv_document[0] ? p->csv_document : p->fixed_document[0] ? p->fixed_document : NULL;
}

static int mt_flat(const char *file, const struct config *cfg, const struct cfg_partner *p, const char *type,
		   const char *doc)
{
	struct mt_flat x;
	memset(&x, 0, sizeof x);
	buf_init(&x.t.xml, 0);
	buf_init(&x.t.erp, 0);
	x.t.doc = doc;
	struct inspect_ack none;
	memset(&none, 0, sizeof none);
	struct buf in, why;
	buf_init(&in, 0);
	buf_init(&why, 0);
	struct map *m = NULL;
	int ex = mt_bind(&x.t, cfg, p);
	if (ex != EX_OK)
		goto out;
	if (doc && strcmp(doc, type) != 0) {
		printf("%s: a %s file of partner %s, not tested (--doc %s)\n", file, type, p->id, doc);
		ex = EX_DATAERR;
		goto out;
	}
	x.t.cdoc = config_partner_doc(p, type);
	struct diag_list d;
	diag_list_init(&d);
	if (!x.t.cdoc || map_load(&m, x.t.cdoc->map_path, &d) < 0) {
		diag_print(&d, stderr);
		fprintf(stderr, "edigw map test: the map for document.%s of partner %s cannot be loaded\n", type, p->id);
		diag_list_free(&d);
		ex = EX_CONFIG;
		goto out;
	}
	diag_list_free(&d);
	int rc = file_read_all(file, p->limits.max_file_size, &in);
	if (rc < 0) {
		fprintf(stderr, "edigw map test: %s: %s\n", file, rc == -EFBIG ? "larger than limit.max-file-size" : strerror(-rc));
		ex = EX_NOINPUT;
		goto out;
	}
	int fixed = strcmp(map_source_standard(m), "fixed") == 0;
	struct gw_flat_opts o = { .delim = fixed ? 0 : p->csv_delimiter, .no_header = p->csv_no_header,
				  .encoding = fixed ? p->fixed_encoding : p->csv_encoding,
				  .max_bytes = (size_t)p->limits.max_file_size };
	rc = gateway_flat_records(m, x.t.cdoc->map_path, &o, in.data ? in.data : "", in.len, mt_flat_record, &x, &why);
	if (rc < 0) {
		printf("%s: the file as a whole is refused (%s, map %s):\n%s%s", file, type, x.t.cdoc->map_path,
		       why.data ? why.data : strerror(-rc), why.len && why.data[why.len - 1] == '\n' ? "" : "\n");
		ex = EX_DATAERR;
	}
	if (x.t.rejected)
		printf("%s: flat.bad-row = %s: %s\n", file, p->bad_row == CFG_BAD_ROW_REJECT_ROW ? "reject-row" : "reject-file",
		       p->bad_row == CFG_BAD_ROW_REJECT_ROW
			       ? "the gateway would leave the bad rows out and write the other records"
			       : "the gateway would refuse the whole file");
	ex = mt_verdict(file, &x.t, rc < 0, ex);
out:
	map_free(m);
	buf_free(&in);
	buf_free(&why);
	mt_free(&x.t, &none);
	return ex;
}

/* A flat file of a flat-file partner goes to mt_flat; anything else (-1) to X12/EDIFACT. */
static int mt_try_flat(const char *file, const char *partner, const char *doc)
{
	if (inspect_is_edifact(file))
		return -1;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	char b[16];
	ssize_t n = fd >= 0 ? read(fd, b, sizeof b) : -1;
	if (fd >= 0)
		close(fd);
	size_t i = n >= 3 && (unsigned char)b[0] == 0xef && (unsigned char)b[1] == 0xbb && (unsigned char)b[2] == 0xbf ? 3 : 0;
	while (n > 0 && i < (size_t)n && (b[i] == ' ' || b[i] == '\r' || b[i] == '\n' || b[i] == '\t'))
		i++;
	if (n > 0 && (size_t)n - i >= 3 && memcmp(b + i, "ISA", 3) == 0)
		return -1;
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = NULL;
	int ex = -1;
	if (config_load(&cfg, g_config, &d) == 0) {
		const struct cfg_partner *p = config_partner(cfg, partner);
		const char *type = p ? mt_flat_type(p, file) : NULL;
		if (type)
			ex = mt_flat(file, cfg, p, type, doc);
	}
	diag_list_free(&d);
	config_free(cfg);
	return ex;
}

/* edigw map test FILE --partner ID [--doc TYPE]: a dry run of the partner's maps. */
static int map_test(int argc, char **argv, const char *help)
{
	const char *file = NULL, *partner = NULL, *doc = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--partner") == 0 && i + 1 < argc)
			partner = argv[++i];
		else if (strcmp(argv[i], "--doc") == 0 && i + 1 < argc)
			doc = argv[++i];
		else if (!file && (argv[i][0] != '-' || argv[i][1] == '\0'))
			file = argv[i];
		else {
			fputs(help, stderr);
			return EX_USAGE;
		}
	}
	if (!file || !partner || (doc && !*doc)) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	int ex = mt_try_flat(file, partner, doc);
	if (ex >= 0)
		return ex;
	return inspect_is_edifact(file) ? mt_edifact(file, partner, doc) : mt_x12(file, partner, doc);
}

static int cmd_inspect(int argc, char **argv)
{
	static const char help[] =
		"usage: edigw inspect [--verbose] [--envelope-only] [--partner ID]\n"
		"                     [--ack 997|999|contrl [--ack-out PATH]] FILE\n"
		"Read FILE (X12, or UN/EDIFACT when it starts with UNA or UNB) through the\n"
		"reader, the envelope checks (X12: ISA/IEA, GS/GE, ST/SE; EDIFACT: UNB/UNZ,\n"
		"UNG/UNE, UNH/UNT counts and references, the character set) and, for each\n"
		"transaction set or message with a definition in schema-dir (edigw.conf;\n"
		"EDIFACT: schema-dir/edifact), the full validation - without processing it:\n"
		"no spool, no ledger, no outputs. Prints every interchange and each error with\n"
		"its position; --verbose lists accepted groups, transaction sets and messages\n"
		"too; --envelope-only skips the definitions; --partner reads with that\n"
		"partner's limits, tolerances and schema-overlay (EDIFACT: its\n"
		"edifact-schema-overlay and tolerate.edifact-charset), else edigw.conf's.\n"
		"--ack 997|999 (X12) then prints the acknowledgment the gateway would send for\n"
		"FILE, built by the gateway's own ack writer and rules: no 997/999 for GS01 = FA,\n"
		"a TA1 per the partner's ta1 setting (default on-error), only a TA1 for a\n"
		"rejected interchange. With --partner, its documents and maps apply too (AK5 1\n"
		"for a set it is not configured for, the maps' findings). Our control numbers\n"
		"count from 1 (ISA13: interchange in FILE; GS06, ST02: group in it); the time\n"
		"is now, or SOURCE_DATE_EPOCH. --ack-out PATH writes the exact bytes to PATH\n"
		"instead (an empty file when none would be sent).\n"
		"--ack contrl (EDIFACT) does the same with the CONTRL the gateway would send:\n"
		"per the partner's contrl setting (default requested: when UNB 0031 is 1),\n"
		"never for a CONTRL or an APERAK; with --partner, code 17 for a message type it\n"
		"has no document for and its maps' findings. Our UNB 0020 is the interchange's\n"
		"number in FILE, our UNH 0062 is 1. --ack 997|999 on EDIFACT input, or --ack\n"
		"contrl on X12 input, is a usage error.\n"
		"Exit status 0 when everything is accepted, 65 otherwise.\n";
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		return EX_OK;
	}
	struct inspect_ctx c = { 0 };
	c.ack.out = -1;
	c.ack.ta1 = CFG_TA1_ON_ERROR;
	const char *file = NULL;
	int envelope_only = 0;
	const char *partner = NULL, *ack = NULL, *ack_out = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0)
			c.verbose = 1;
		else if (strcmp(argv[i], "--envelope-only") == 0)
			envelope_only = 1;
		else if (strcmp(argv[i], "--partner") == 0 && i + 1 < argc)
			partner = argv[++i];
		else if (strcmp(argv[i], "--ack") == 0 && i + 1 < argc)
			ack = argv[++i];
		else if (strcmp(argv[i], "--ack-out") == 0 && i + 1 < argc)
			ack_out = argv[++i];
		else if (!file && (argv[i][0] != '-' || argv[i][1] == '\0'))
			file = argv[i];
		else {
			fputs(help, stderr);
			return EX_USAGE;
		}
	}
	if (!file || (ack_out && !ack)) {
		fputs(help, stderr);
		return EX_USAGE;
	}
	if (ack && strcmp(ack, "997") != 0 && strcmp(ack, "999") != 0 && strcmp(ack, "contrl") != 0) {
		fprintf(stderr, "edigw inspect: --ack takes 997 or 999 (X12) or contrl (EDIFACT), not '%s'\n",
			ack);
		return EX_USAGE;
	}
	if (inspect_is_edifact(file)) {
		if (ack && strcmp(ack, "contrl") != 0) {
			fprintf(stderr, "edigw inspect: %s is EDIFACT: its acknowledgment is a CONTRL (--ack "
				"contrl), not a %s\n", file, ack);
			return EX_USAGE;
		}
		return inspect_edifact(file, c.verbose, envelope_only, partner, ack != NULL, ack_out);
	}
	if (ack) {
		if (strcmp(ack, "contrl") == 0) {
			fprintf(stderr, "edigw inspect: %s is not EDIFACT: --ack contrl is for EDIFACT, an X12 "
				"file takes --ack 997 or 999\n", file);
			return EX_USAGE;
		}
		c.ack.on = 1;
		c.ack.type = strcmp(ack, "999") == 0 ? CFG_ACK_999 : CFG_ACK_997;
		if (inspect_ack_time(&c.ack.when) < 0)
			return EX_USAGE;
	}
	struct config *cfg = NULL;
	const struct cfg_partner *p = NULL;
	struct x12_schema *schemas = NULL;
	struct x12_overlay *overlay = NULL;
	struct x12_limits lim;
	struct x12_tolerances tol;
	int sex = inspect_settings(partner, envelope_only, &cfg, &p, &schemas, &overlay, &lim, &tol);
	if (sex >= 0)
		return sex;
	c.schemas = schemas;
	c.overlay = overlay;
	c.max_loop_depth = lim.max_loop_depth;
	if (p) {
		c.ack.partner = p;
		c.ack.ta1 = p->ta1;
	}
	int ex = EX_OK;
	int fd = -1;
	struct x12_reader *r = NULL;
	struct x12_error err = { 0 };
	ex = inspect_open("inspect", file, c.ack.on, &c.ack.out, &fd);
	if (ex != EX_OK)
		goto out;
	if (x12_reader_new_fd(&r, fd, &lim) < 0) {
		ex = EX_SOFTWARE;
		goto out;
	}
	x12_reader_set_tolerances(r, &tol);
	x12_reader_set_notice(r, ins_notice, &c);
	x12_reader_set_hash(r, 0); /* the duplicate registry's hash is not needed here */
	struct x12_handler h = { 0 };
	h.ctx = &c;
	h.interchange_begin = ins_ic_begin;
	h.group_begin = ins_group_begin;
	h.transaction = ins_txn;
	h.transaction_end = ins_txn_end;
	h.group_end = ins_group_end;
	h.interchange_end = ins_ic_end;
	h.notice = ins_notice;
	struct x12_file_summary sum = { 0 };
	uint64_t t0 = now_ms();
	int rc = x12_parse(r, &h, &sum, &err);
	uint64_t ms = now_ms() - t0;
	if (rc < 0 && !err.msg) {
		/* one of our callbacks failed: the ack writer, or a partner's map */
		if (c.ack.map_failed) {
			ex = EX_CONFIG;
		} else {
			fprintf(stderr, "edigw inspect: cannot build the acknowledgment: %s\n", strerror(-rc));
			ex = EX_SOFTWARE;
		}
		goto out;
	}
	if (rc < 0) {
		char *d = x12_error_describe(&err);
		printf("%s: not a valid X12 document: %s\n", file, d);
		free(d);
		ex = EX_DATAERR;
	}
	printf("%s: %llu bytes, %llu segment(s), %llu interchange(s) (%llu rejected), %llu group(s) (%llu rejected), "
	       "%llu transaction set(s) (%llu rejected) in %llu ms\n",
	       file, (unsigned long long)sum.bytes, (unsigned long long)sum.segments,
	       (unsigned long long)sum.interchanges, (unsigned long long)sum.rejected_interchanges,
	       (unsigned long long)sum.groups, (unsigned long long)sum.rejected_groups,
	       (unsigned long long)sum.transactions, (unsigned long long)sum.rejected_transactions,
	       (unsigned long long)ms);
	if (c.schemas)
		printf("%s: %llu transaction set(s) validated against their definitions, %llu without one "
		       "(envelope only)\n",
		       file, (unsigned long long)c.validated, (unsigned long long)c.undefined);
	else
		printf("%s: envelopes only (no transaction set definitions used)\n", file);
	if (sum.rejected_interchanges || sum.rejected_groups || sum.rejected_transactions)
		ex = EX_DATAERR;
	if (c.ack.on) {
		int aex = inspect_emit_ack(file, &c.ack, ack_out, &sum);
		if (aex != EX_OK)
			ex = aex;
	}
out:
	x12_error_free(&err);
	x12_reader_free(r);
	if (fd >= 0)
		close(fd);
	if (c.ack.out >= 0)
		close(c.ack.out);
	ack_writer_free(c.ack.w);
	for (size_t i = 0; i < c.ack.nmaps; i++) {
		map_free(c.ack.maps[i]);
		free(c.ack.map_paths[i]);
	}
	free(c.ack.maps);
	free(c.ack.map_paths);
	x12_overlay_free(overlay); /* before the definitions it borrows from */
	x12_schema_free(schemas);
	config_free(cfg);
	return ex;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	g_config = getenv("EDIGW_CONF");
	int c;
	/* '+' stops at the command so its own options are left to it. */
	while ((c = getopt_long(argc, argv, "+c:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g_config = optarg;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_WARN);
			break;
		case 'h':
			fputs(usage_main, stdout);
			return EX_OK;
		case 'V':
			printf("edigw %s\n", PACKAGE_VERSION);
			return EX_OK;
		default:
			fputs(usage_main, stderr);
			return EX_USAGE;
		}
	}
	if (!g_config || !*g_config)
		g_config = "edigw.conf";
	if (optind >= argc) {
		fputs(usage_main, stderr);
		return EX_USAGE;
	}
	char **av = argv + optind;
	int ac = argc - optind;
	const char *cmd = av[0];
	int ex;
	if (strcmp(cmd, "run") == 0)
		ex = cmd_run(ac, av);
	else if (strcmp(cmd, "ingest") == 0)
		ex = cmd_ingest(ac, av);
	else if (strcmp(cmd, "status") == 0)
		ex = cmd_status(ac, av);
	else if (strcmp(cmd, "send") == 0)
		ex = cmd_send(ac, av);
	else if (strcmp(cmd, "export") == 0)
		ex = cmd_export(ac, av);
	else if (strcmp(cmd, "track") == 0)
		ex = cmd_track(ac, av);
	else if (strcmp(cmd, "release") == 0)
		ex = cmd_requeue(ac, av, 1);
	else if (strcmp(cmd, "replay") == 0)
		ex = cmd_requeue(ac, av, 0);
	else if (strcmp(cmd, "map") == 0)
		ex = cmd_map(ac, av);
	else if (strcmp(cmd, "config") == 0)
		ex = cmd_config(ac, av);
	else if (strcmp(cmd, "inspect") == 0)
		ex = cmd_inspect(ac, av);
	else if (strcmp(cmd, "version") == 0) {
		printf("edigw %s\n", PACKAGE_VERSION);
		ex = EX_OK;
	} else if (strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		ex = EX_OK;
	} else {
		fprintf(stderr, "edigw: unknown command '%s'\n\n%s", cmd, usage_main);
		ex = EX_USAGE;
	}
	canon_cleanup();
	return ex;
}
