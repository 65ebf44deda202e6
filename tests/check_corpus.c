/* check_corpus — every X12 file of the public corpus (../shared/corpus, or $EDIGW_CORPUS)
 * through the reader and x12_parse.
 *
 * Each file runs in its own forked Check iteration with a timeout, so a crash, an abort or
 * a hang fails that iteration and names the file. Besides that, three regression signals:
 *
 *  1. the verdict of each file (interchanges/groups/sets accepted and rejected with their
 *     codes, or the fatal error) must equal tests/data/x12/corpus-verdicts.tsv. Any change
 *     in behaviour shows up here; when it is intended, regenerate the table with
 *     EDIGW_X12_VERDICTS_OUT=/path/corpus-verdicts.tsv and review the diff;
 *  2. every control mismatch the manifest's own sniffer saw (SE01, SE02, GE01, GE02, IEA01,
 *     IEA02, no IEA, an ISA not 106 bytes wide) must be reported with its X12 code;
 *  3. a file the manifest calls valid whose envelope the sniffer found clean must be
 *     accepted whole (every interchange TA1 A, every transaction set AK5 A).
 *
 * Files the manifest calls valid that we reject all have a defect the sniffer or we can name
 * (see the verdict table); the table's comment lines explain the ones the sniffer missed.
 *
 * The verdict table is printed to stdout and the totals at the end. Without the corpus the
 * program prints why and exits 77 (skipped).
 *
 * Each file is then read a second time with the transaction set definitions of
 * maps/schemas (the gateway's full validation). That verdict, with the first finding's
 * code and position, must equal tests/data/x12/corpus-validation.tsv (regenerate with
 * EDIGW_X12_VALIDATION_OUT and review); doc/conformance.md sets both verdicts beside the
 * manifest's `expected` column and explains each disagreement.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "x12/x12.h"
#include "x12/x12_schema.h"

struct row {
	char *path;     /* local_path */
	char *expected; /* the source project's verdict */
	char *features; /* what the manifest's sniffer saw */
};

static struct row *rows;
static int nrows;
static char *corpus;
static char *results_path; /* one line of counts per file, summed by main */
static FILE *verdicts_out; /* EDIGW_X12_VERDICTS_OUT */
static char **golden_path, **golden_verdict;
static int ngolden;

/* What one file did. */
struct tally {
	int ich_a, ich_r, grp_a, grp_p, grp_r, grp_e, txn_a, txn_r;
	char ta1[64], ak9[64], ak5[64];
	char first[200]; /* the first finding with its position */
	char firstkey[64]; /* the same, short: scope code segment@position element */
	int validated;     /* transaction sets checked against a definition */
};

static struct x12_schema *schemas; /* maps/schemas, or NULL */
static FILE *validation_out;       /* EDIGW_X12_VALIDATION_OUT */
static char **vgold_path, **vgold_verdict;
static int nvgold;

/* Add code to a comma-separated set. */
static void add_code(char *set, size_t cap, const char *code)
{
	char want[8];
	snprintf(want, sizeof want, ",%s,", code);
	char have[80];
	snprintf(have, sizeof have, ",%s,", set);
	if (strstr(have, want))
		return;
	size_t n = strlen(set);
	snprintf(set + n, cap - n, "%s%s", n ? "," : "", code);
}

/* Remember the first finding of the file. */
static void first_error(struct tally *t, const struct x12_errlist *l)
{
	if (t->first[0] || l->n == 0)
		return;
	const struct x12_error *e = &l->v[0];
	static const char *const scopes[] = { "TA1", "AK9", "AK5", "AK3", "AK4" };
	snprintf(t->firstkey, sizeof t->firstkey, "%s %s %s@%llu e%d", scopes[e->scope], e->code,
		 e->seg_id[0] ? e->seg_id : "-", (unsigned long long)e->seg_pos, e->elem_pos);
	char *d = x12_error_describe(e);
	snprintf(t->first, sizeof t->first, "%s", d);
	for (char *p = t->first; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	free(d);
}

/* Validate a set against its definition, when there is one. */
static int c_validate(void *ctx, const struct x12_txn *x, struct x12_txn_result *res)
{
	struct tally *t = ctx;
	const struct x12_txn_def *def = x12_schema_find(schemas, x->gs->version, x->st01);
	if (def) {
		x12_schema_validate(def, x, 0, &res->errors);
		t->validated++;
	}
	return 0;
}

/* Count a transaction set and its AK5 codes. */
static int c_txn_end(void *ctx, const struct x12_txn_result *r)
{
	struct tally *t = ctx;
	if (r->status == 'A' || r->status == 'E')
		t->txn_a++;
	else
		t->txn_r++;
	for (size_t i = 0; i < r->ncodes; i++)
		add_code(t->ak5, sizeof t->ak5, r->codes[i]);
	first_error(t, &r->errors);
	return 0;
}

/* Count a group and its AK9 codes. */
static int c_group_end(void *ctx, const struct x12_group_result *r)
{
	struct tally *t = ctx;
	t->grp_a += r->status == 'A';
	t->grp_e += r->status == 'E';
	t->grp_p += r->status == 'P';
	t->grp_r += r->status == 'R';
	for (size_t i = 0; i < r->ncodes; i++)
		add_code(t->ak9, sizeof t->ak9, r->codes[i]);
	first_error(t, &r->errors);
	return 0;
}

/* Count an interchange and its TA1 codes. */
static int c_ich_end(void *ctx, const struct x12_interchange_result *r)
{
	struct tally *t = ctx;
	if (r->ta1_status == 'R')
		t->ich_r++;
	else
		t->ich_a++;
	for (size_t i = 0; i < r->errors.n; i++)
		add_code(t->ta1, sizeof t->ta1, r->errors.v[i].code);
	first_error(t, &r->errors);
	return 0;
}

/* Split a TSV line in place into at most n fields. */
static int split_tabs(char *line, char **f, int n)
{
	int k = 0;
	f[k++] = line;
	for (char *p = line; *p && k < n; p++)
		if (*p == '\t') {
			*p = '\0';
			f[k++] = p + 1;
		}
	char *nl = strchr(f[k - 1], '\n');
	if (nl)
		*nl = '\0';
	return k;
}

/* The X12 rows of the manifest. */
static int load_manifest(const char *dir)
{
	char *path = NULL;
	if (asprintf(&path, "%s/MANIFEST.tsv", dir) < 0)
		return -1;
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	int first = 1;
	while (getline(&line, &cap, f) > 0) {
		char *fl[13] = { 0 };
		if (first) {
			first = 0;
			continue;
		}
		if (split_tabs(line, fl, 13) < 13 || strcmp(fl[5], "x12") != 0)
			continue;
		rows = realloc(rows, (size_t)(nrows + 1) * sizeof *rows);
		rows[nrows].path = strdup(fl[0]);
		rows[nrows].expected = strdup(fl[8]);
		rows[nrows].features = strdup(fl[12]);
		nrows++;
	}
	free(line);
	fclose(f);
	return 0;
}

/* A golden table: path TAB verdict; '#' lines are comments. */
static void load_table(const char *rel, char ***paths, char ***verdicts, int *n)
{
	char *p = tu_srcpath(rel);
	FILE *f = fopen(p, "r");
	free(p);
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *fl[3] = { 0 }; /* path, verdict and (validation table) the finding's text */
		if (split_tabs(line, fl, 3) < 2)
			continue;
		*paths = realloc(*paths, (size_t)(*n + 1) * sizeof **paths);
		*verdicts = realloc(*verdicts, (size_t)(*n + 1) * sizeof **verdicts);
		(*paths)[*n] = strdup(fl[0]);
		(*verdicts)[*n] = strdup(fl[1]);
		(*n)++;
	}
	free(line);
	fclose(f);
}

/* The recorded verdict of path in a table, or NULL. */
static const char *lookup(char **paths, char **verdicts, int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (strcmp(paths[i], path) == 0)
			return verdicts[i];
	return NULL;
}

/* Free a table. */
static void free_table(char **paths, char **verdicts, int n)
{
	for (int i = 0; i < n; i++) {
		free(paths[i]);
		free(verdicts[i]);
	}
	free(paths);
	free(verdicts);
}

/* Read the file again with the definitions: the verdict line, compared with the table. */
static void validation_verdict(const struct row *rw, const char *path)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct x12_reader *r;
	ck_assert_int_eq(x12_reader_new_fd(&r, fd, NULL), 0);
	struct tally t;
	memset(&t, 0, sizeof t);
	struct x12_handler h = { 0 };
	h.ctx = &t;
	h.transaction = c_validate;
	h.transaction_end = c_txn_end;
	h.group_end = c_group_end;
	h.interchange_end = c_ich_end;
	struct x12_file_summary sum;
	struct x12_error err;
	int rc = x12_parse(r, &h, &sum, &err);
	x12_reader_free(r);
	close(fd);
	if (rc < 0)
		x12_error_free(&err);
	char v[400];
	snprintf(v, sizeof v, "defs %d | txn A%d R%d [%s] | first %s", t.validated, t.txn_a, t.txn_r,
		 t.ak5, t.firstkey[0] ? t.firstkey : "-");
	printf("    with definitions: %s\n", v);
	if (t.first[0] && t.validated)
		printf("    first: %s\n", t.first);
	fflush(stdout);
	if (validation_out) {
		fprintf(validation_out, "%s\t%s\t%s\n", rw->path, v, t.first);
		fflush(validation_out);
		return;
	}
	const char *g = lookup(vgold_path, vgold_verdict, nvgold, rw->path);
	if (!g)
		ck_abort_msg("%s: not in tests/data/x12/corpus-validation.tsv (verdict: %s)", rw->path, v);
	if (strcmp(g, v) != 0)
		ck_abort_msg("%s: verdict with definitions changed\n  was: %s\n  now: %s", rw->path, g, v);
}

/* Where the manifest's sniffer and our rule differ, and why we are right. */
static const struct {
	const char *path, *seen, *why;
} sniffer_differs[] = {
	{ "ediengine/EdiEngine.Tests/TestData/MultipleInterchangesAndGroups.edi", "IEA02!=ISA13",
	  "IEA02 3438 and ISA13 000003438 are the same number: control numbers compare numerically" },
	{ "ediengine/EdiEngine.Tests/TestData/WrongGroupsAndTranCount.edi", "IEA02!=ISA13",
	  "IEA02 3438 and ISA13 000003438 are the same number: control numbers compare numerically" },
};

/* The sniffer's finding `seen` on path is one we disagree with on purpose. */
static int differs(const char *path, const char *seen)
{
	for (size_t i = 0; i < sizeof sniffer_differs / sizeof sniffer_differs[0]; i++)
		if (strcmp(sniffer_differs[i].path, path) == 0 && strcmp(sniffer_differs[i].seen, seen) == 0)
			return 1;
	return 0;
}

/* code is in the comma-separated set. */
static int has(const char *set, const char *code)
{
	char want[8], have[80];
	snprintf(want, sizeof want, ",%s,", code);
	snprintf(have, sizeof have, ",%s,", set);
	return strstr(have, want) != NULL;
}

START_TEST(test_corpus_file)
{
	const struct row *rw = &rows[_i];
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", corpus, rw->path), 0);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		ck_abort_msg("%s: cannot open", rw->path);
	struct x12_reader *r;
	ck_assert_int_eq(x12_reader_new_fd(&r, fd, NULL), 0);
	struct tally t;
	memset(&t, 0, sizeof t);
	struct x12_handler h = { 0 };
	h.ctx = &t;
	h.transaction_end = c_txn_end;
	h.group_end = c_group_end;
	h.interchange_end = c_ich_end;
	struct x12_file_summary sum;
	struct x12_error err;
	int rc = x12_parse(r, &h, &sum, &err);
	x12_reader_free(r);
	close(fd);
	/* the verdict */
	char v[400];
	snprintf(v, sizeof v, "ich A%d R%d [%s] | grp A%d E%d P%d R%d [%s] | txn A%d R%d [%s]", t.ich_a,
		 t.ich_r, t.ta1, t.grp_a, t.grp_e, t.grp_p, t.grp_r, t.ak9, t.txn_a, t.txn_r, t.ak5);
	if (rc < 0) {
		size_t n = strlen(v);
		snprintf(v + n, sizeof v - n, " | fatal %s line %llu", err.code, (unsigned long long)err.line);
		if (!t.first[0] && err.msg) {
			char *d = x12_error_describe(&err);
			snprintf(t.first, sizeof t.first, "%s", d);
			free(d);
		}
		x12_error_free(&err);
	}
	printf("%-78.78s %s\n", rw->path, v);
	if (t.first[0])
		printf("    first: %s\n", t.first);
	fflush(stdout);
	FILE *res = fopen(results_path, "a");
	if (res) {
		fprintf(res, "%d %d %d %d %d %d\n", t.ich_a, t.ich_r, t.txn_a, t.txn_r, rc < 0,
			strncmp(rw->expected, "valid", 5) == 0 && (t.ich_r || t.txn_r || rc < 0));
		fclose(res);
	}
	if (verdicts_out) {
		fprintf(verdicts_out, "%s\t%s\n", rw->path, v);
		fflush(verdicts_out);
	}
	if (schemas)
		validation_verdict(rw, path);
	/* 1. the golden verdict */
	if (!verdicts_out) {
		const char *g = lookup(golden_path, golden_verdict, ngolden, rw->path);
		if (!g)
			ck_abort_msg("%s: not in tests/data/x12/corpus-verdicts.tsv (verdict: %s)", rw->path, v);
		if (strcmp(g, v) != 0)
			ck_abort_msg("%s: verdict changed\n  was: %s\n  now: %s", rw->path, g, v);
	}
	/* 2. every mismatch the manifest's sniffer saw is reported with its code */
	const char *fe = rw->features;
	struct {
		const char *seen, *code;
		const char *set;
	} checks[] = {
		{ "SE01=", "4", t.ak5 },    { "SE02!=ST02", "3", t.ak5 }, { "GE01=", "5", t.ak9 },
		{ "GE02!=GS06", "4", t.ak9 }, { "IEA01=", "021", t.ta1 }, { "IEA02!=ISA13", "001", t.ta1 },
		{ "no IEA", "023", t.ta1 },
	};
	for (size_t i = 0; rc == 0 && i < sizeof checks / sizeof checks[0]; i++)
		if (strstr(fe, checks[i].seen) && !has(checks[i].set, checks[i].code) &&
		    !differs(rw->path, checks[i].seen))
			ck_abort_msg("%s: the manifest saw '%s' but code %s was not reported (%s)", rw->path,
				     checks[i].seen, checks[i].code, v);
	if (strstr(fe, "ISA length") && rc == 0 && t.ich_r == 0)
		ck_abort_msg("%s: an ISA that is not 106 bytes wide was accepted (%s)", rw->path, v);
	/* 3. valid with a clean envelope: accepted whole */
	int clean = !strstr(fe, "control mismatch") && !strstr(fe, "ISA length") &&
		    !strstr(fe, "split across");
	if (strncmp(rw->expected, "valid", 5) == 0 && clean && (rc < 0 || t.ich_r || t.txn_r))
		ck_abort_msg("%s: valid per the manifest with a clean envelope, but rejected: %s (%s)",
			     rw->path, v, t.first);
	free(path);
}
END_TEST

/* Load the manifest and the verdicts, run one forked iteration per file, print the totals. */
int main(void)
{
	corpus = tu_corpus();
	if (!corpus) {
		printf("check_corpus: no corpus folder ($EDIGW_CORPUS unset or missing): skipped\n");
		return 77;
	}
	if (load_manifest(corpus) < 0) {
		printf("check_corpus: %s/MANIFEST.tsv missing: skipped\n", corpus);
		return 77;
	}
	load_table("tests/data/x12/corpus-verdicts.tsv", &golden_path, &golden_verdict, &ngolden);
	load_table("tests/data/x12/corpus-validation.tsv", &vgold_path, &vgold_verdict, &nvgold);
	char *sroot = tu_srcpath("maps/schemas");
	struct diag_list sd;
	diag_list_init(&sd);
	if (x12_schema_load(&schemas, sroot, &sd) < 0) {
		diag_print(&sd, stdout);
		printf("check_corpus: the definitions in %s do not load\n", sroot);
		return 1;
	}
	diag_list_free(&sd);
	free(sroot);
	const char *vvo = getenv("EDIGW_X12_VALIDATION_OUT");
	if (vvo && *vvo) {
		validation_out = fopen(vvo, "w");
		if (validation_out) {
			fprintf(validation_out, "# x12 corpus verdicts with the transaction set definitions "
						"(check_corpus); regenerate with EDIGW_X12_VALIDATION_OUT\n"
						"#   local_path TAB defs <sets checked> | txn A R [AK5 codes] | "
						"first <ack> <code> <segment>@<position> e<element> TAB first finding\n");
			fflush(validation_out);
		}
	}
	const char *vo = getenv("EDIGW_X12_VERDICTS_OUT");
	if (vo && *vo) {
		verdicts_out = fopen(vo, "w");
		if (verdicts_out) {
			fprintf(verdicts_out, "# x12 corpus verdicts (check_corpus); regenerate with "
					      "EDIGW_X12_VERDICTS_OUT and review the diff\n");
			fflush(verdicts_out); /* before the forks: each child would write it again */
		}
	}
	char *tmp = tu_tmpdir();
	if (asprintf(&results_path, "%s/results", tmp) < 0)
		return 1;
	printf("%-78s %s\n", "file", "verdict");
	fflush(stdout);
	Suite *s = suite_create("corpus");
	TCase *tc = tcase_create("x12");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_corpus_file, 0, nrows);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* totals */
	long ia = 0, ir = 0, ta = 0, tr = 0, fatal = 0, valid_rej = 0, files = 0;
	FILE *f = fopen(results_path, "r");
	if (f) {
		char line[128];
		while (fgets(line, sizeof line, f)) {
			long v[6];
			char *p = line, *end;
			int k;
			for (k = 0; k < 6; k++, p = end) {
				v[k] = strtol(p, &end, 10);
				if (end == p)
					break;
			}
			if (k < 6)
				continue;
			files++, ia += v[0], ir += v[1], ta += v[2], tr += v[3], fatal += v[4], valid_rej += v[5];
		}
		fclose(f);
	}
	printf("\nx12 corpus: %ld files (of %d rows), interchanges %ld accepted / %ld rejected, "
	       "transaction sets %ld accepted / %ld rejected, %ld not X12 or unreadable (fatal); "
	       "%ld files the manifest calls valid have findings\n",
	       files, nrows, ia, ir, ta, tr, fatal, valid_rej);
	if (verdicts_out)
		fclose(verdicts_out);
	tu_rmtree(tmp);
	free(tmp);
	free(results_path);
	for (int i = 0; i < nrows; i++) {
		free(rows[i].path);
		free(rows[i].expected);
		free(rows[i].features);
	}
	free(rows);
	free_table(golden_path, golden_verdict, ngolden);
	free_table(vgold_path, vgold_verdict, nvgold);
	if (validation_out)
		fclose(validation_out);
	x12_schema_free(schemas);
	free(corpus);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
