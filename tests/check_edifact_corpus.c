/* check_edifact_corpus — every EDIFACT file of the public corpus (../shared/corpus, or
 * $EDIGW_CORPUS) through the EDIFACT reader (edi_parse, every message seen through the X12
 * view too).
 *
 * Each file runs in its own forked Check iteration with a timeout, so a crash, an abort or
 * a hang fails that iteration and names the file. Besides that:
 *
 *  1. the verdict of each file (interchanges and messages with their CONTRL actions and
 *     codes, the first finding with its position, or the fatal error) must equal
 *     tests/data/edifact/corpus-verdicts.tsv. When a change is intended, regenerate the
 *     table with EDIGW_EDIFACT_VERDICTS_OUT=/path/corpus-verdicts.tsv and review the diff;
 *  2. every file whose verdict disagrees with the manifest's `expected` column (valid but
 *     rejected, invalid but accepted) must be explained in tests/data/edifact/corpus-notes.tsv,
 *     and every note must still be about a disagreement;
 *  3. each file is read a second time from a descriptor, a few bytes per read, and must tell
 *     the same story (the chunk boundaries must not matter).
 *
 * Without the corpus the program prints why and exits 77 (skipped).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edifact/edifact.h"
#include "testutil.h"

struct row {
	char *path;     /* local_path */
	char *expected; /* the source project's verdict */
};

static struct row *rows;
static int nrows;
static char *corpus;
static char *results_path;
static FILE *verdicts_out; /* EDIGW_EDIFACT_VERDICTS_OUT */
static char **golden_path, **golden_verdict;
static int ngolden;
static char **note_path, **note_text;
static int nnotes;

/* What one file did. */
struct tally {
	int ich_a, ich_r, ich_8, msg_a, msg_r;
	char uci[64], ucm[64];
	char firstkey[96];  /* scope code segment@position element.component.repetition */
	char first[240];    /* the same in words */
	struct edi_view view;
	int views;
};

/* Add code to a comma-separated set. */
static void add_code(char *set, size_t cap, const char *code)
{
	char want[8], have[80];
	if (!code[0])
		return;
	snprintf(want, sizeof want, ",%s,", code);
	snprintf(have, sizeof have, ",%s,", set);
	if (strstr(have, want))
		return;
	size_t n = strlen(set);
	snprintf(set + n, cap - n, "%s%s", n ? "," : "", code);
}

/* Remember the first finding of the file. */
static void first_error(struct tally *t, const struct x12_errlist *l)
{
	if (t->firstkey[0] || l->n == 0)
		return;
	const struct x12_error *e = &l->v[0];
	static const char *const scopes[] = { "UCI", "UCF", "UCM", "UCS", "UCD" };
	snprintf(t->firstkey, sizeof t->firstkey, "%s %s %s@%llu %d.%d.%d", scopes[e->scope], e->code,
		 e->seg_id[0] ? e->seg_id : "-", (unsigned long long)e->seg_pos, e->elem_pos,
		 e->comp_pos, e->rep_pos);
	char *d = edi_error_describe(e);
	snprintf(t->first, sizeof t->first, "%s", d);
	for (char *p = t->first; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	free(d);
}

/* Every message through the X12 view too. */
static int c_msg(void *ctx, const struct edi_msg *m, struct edi_msg_result *res)
{
	struct tally *t = ctx;
	(void)res;
	ck_assert_int_eq(edi_view_build(&t->view, m), 0);
	ck_assert_uint_eq(t->view.txn.nseg, m->nseg);
	t->views++;
	return 0;
}

/* Count a message and its UCM code. */
static int c_msg_end(void *ctx, const struct edi_msg_result *r)
{
	struct tally *t = ctx;
	if (r->action == EDI_ACTION_ACCEPTED)
		t->msg_a++;
	else
		t->msg_r++;
	add_code(t->ucm, sizeof t->ucm, r->code);
	for (size_t i = 0; i < r->errors.n; i++)
		add_code(t->ucm, sizeof t->ucm, r->errors.v[i].code);
	first_error(t, &r->errors);
	return 0;
}

/* A group's findings count as the interchange's for the verdict. */
static int c_grp_end(void *ctx, const struct edi_group_result *r)
{
	struct tally *t = ctx;
	for (size_t i = 0; i < r->errors.n; i++)
		add_code(t->uci, sizeof t->uci, r->errors.v[i].code);
	first_error(t, &r->errors);
	return 0;
}

/* Count an interchange and its UCI codes. */
static int c_ich_end(void *ctx, const struct edi_interchange_result *r)
{
	struct tally *t = ctx;
	if (r->action == EDI_ACTION_REJECTED)
		t->ich_r++;
	else if (r->action == EDI_ACTION_RECEIVED)
		t->ich_8++;
	else
		t->ich_a++;
	for (size_t i = 0; i < r->errors.n; i++)
		add_code(t->uci, sizeof t->uci, r->errors.v[i].code);
	first_error(t, &r->errors);
	return 0;
}

/* Read path (whole, or a few bytes per read) into a verdict line; 1 when accepted whole. */
static int read_file(const char *path, size_t chunk, char *verdict, size_t cap, struct tally *t,
		     int *interchanges, int *messages)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct edi_reader *r;
	ck_assert_int_eq(edi_reader_new_fd(&r, fd, NULL), 0);
	if (chunk)
		edi_reader_set_chunk_size(r, chunk);
	memset(t, 0, sizeof *t);
	struct edi_handler h = { 0 };
	h.ctx = t;
	h.message = c_msg;
	h.message_end = c_msg_end;
	h.group_end = c_grp_end;
	h.interchange_end = c_ich_end;
	struct edi_file_summary sum;
	struct x12_error err;
	int rc = edi_parse(r, &h, &sum, &err);
	edi_reader_free(r);
	close(fd);
	edi_view_free(&t->view);
	int accepted = rc == 0 && t->ich_r == 0 && t->msg_r == 0;
	snprintf(verdict, cap, "%s\tich A%d R%d [%s] | msg A%d R%d [%s]", accepted ? "accepted" : "rejected",
		 t->ich_a + t->ich_8, t->ich_r, t->uci, t->msg_a, t->msg_r, t->ucm);
	if (rc < 0) {
		size_t n = strlen(verdict);
		snprintf(verdict + n, cap - n, " | fatal %s line %llu offset %llu", err.code,
			 (unsigned long long)err.line, (unsigned long long)err.offset);
		if (!t->firstkey[0]) {
			snprintf(t->firstkey, sizeof t->firstkey, "fatal %s line %llu", err.code,
				 (unsigned long long)err.line);
			snprintf(t->first, sizeof t->first, "%s", err.msg ? err.msg : "");
		}
		x12_error_free(&err);
	}
	*interchanges = (int)sum.interchanges;
	*messages = (int)sum.messages;
	return accepted;
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

/* The EDIFACT rows of the manifest. */
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
		if (split_tabs(line, fl, 13) < 13 || strcmp(fl[5], "edifact") != 0)
			continue;
		rows = realloc(rows, (size_t)(nrows + 1) * sizeof *rows);
		rows[nrows].path = strdup(fl[0]);
		rows[nrows].expected = strdup(fl[8]);
		nrows++;
	}
	free(line);
	fclose(f);
	return 0;
}

/* A table: path TAB rest-of-line; '#' lines are comments. */
static void load_table(const char *rel, char ***paths, char ***rest, int *n)
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
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		char *nl = strchr(tab + 1, '\n');
		if (nl)
			*nl = '\0';
		*paths = realloc(*paths, (size_t)(*n + 1) * sizeof **paths);
		*rest = realloc(*rest, (size_t)(*n + 1) * sizeof **rest);
		(*paths)[*n] = strdup(line);
		(*rest)[*n] = strdup(tab + 1);
		(*n)++;
	}
	free(line);
	fclose(f);
}

/* The recorded line of path in a table, or NULL. */
static const char *lookup(char **paths, char **rest, int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (strcmp(paths[i], path) == 0)
			return rest[i];
	return NULL;
}

/* Free a table. */
static void free_table(char **paths, char **rest, int n)
{
	for (int i = 0; i < n; i++) {
		free(paths[i]);
		free(rest[i]);
	}
	free(paths);
	free(rest);
}

START_TEST(test_corpus_file)
{
	const struct row *rw = &rows[_i];
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", corpus, rw->path), 0);
	struct tally t;
	char v[400], v2[400];
	int ni, nm, ni2, nm2;
	int accepted = read_file(path, 0, v, sizeof v, &t, &ni, &nm);
	char line[900];
	snprintf(line, sizeof line, "%d\t%d\t%s\t%s", ni, nm, v, t.firstkey[0] ? t.firstkey : "-");
	printf("%-72.72s %s\n", rw->path, line);
	if (t.first[0])
		printf("    first: %s\n", t.first);
	fflush(stdout);
	struct tally t2;
	char key1[96];
	memcpy(key1, t.firstkey, sizeof key1);
	read_file(path, 7, v2, sizeof v2, &t2, &ni2, &nm2);
	if (strcmp(v, v2) != 0 || strcmp(key1, t2.firstkey) != 0 || ni != ni2 || nm != nm2)
		ck_abort_msg("%s: read 7 bytes at a time, the verdict differs\n  whole: %s %s\n  chunked: %s %s",
			     rw->path, v, key1, v2, t2.firstkey);
	int valid = strncmp(rw->expected, "valid", 5) == 0;
	int invalid = strncmp(rw->expected, "invalid", 7) == 0;
	int disagrees = (valid && !accepted) || (invalid && accepted);
	FILE *res = fopen(results_path, "a");
	if (res) {
		fprintf(res, "%d %d %d %d %d %d %d\n", ni, nm, t.msg_a, t.msg_r, accepted,
			strncmp(v, "rejected", 8) == 0 && strstr(v, "fatal") != NULL, disagrees);
		fclose(res);
	}
	if (verdicts_out) {
		fprintf(verdicts_out, "%s\t%s\n", rw->path, line);
		fflush(verdicts_out);
	} else {
		const char *g = lookup(golden_path, golden_verdict, ngolden, rw->path);
		if (!g)
			ck_abort_msg("%s: not in tests/data/edifact/corpus-verdicts.tsv (verdict: %s)", rw->path, line);
		if (strcmp(g, line) != 0)
			ck_abort_msg("%s: verdict changed\n  was: %s\n  now: %s", rw->path, g, line);
	}
	const char *note = lookup(note_path, note_text, nnotes, rw->path);
	if (disagrees && !note)
		ck_abort_msg("%s: the manifest says '%s' but the reader %s it, and "
			     "tests/data/edifact/corpus-notes.tsv does not say why (%s)",
			     rw->path, rw->expected, accepted ? "accepts" : "rejects", t.first);
	if (!disagrees && note)
		ck_abort_msg("%s: corpus-notes.tsv explains a disagreement that is gone (%s)", rw->path, v);
	free(path);
}
END_TEST

/* Load the manifest and the tables, one forked iteration per file, print the totals. */
int main(void)
{
	corpus = tu_corpus();
	if (!corpus) {
		printf("check_edifact_corpus: no corpus folder ($EDIGW_CORPUS unset or missing): skipped\n");
		return 77;
	}
	if (load_manifest(corpus) < 0 || nrows == 0) {
		printf("check_edifact_corpus: %s/MANIFEST.tsv missing or without EDIFACT rows: skipped\n", corpus);
		free(corpus);
		return 77;
	}
	load_table("tests/data/edifact/corpus-verdicts.tsv", &golden_path, &golden_verdict, &ngolden);
	load_table("tests/data/edifact/corpus-notes.tsv", &note_path, &note_text, &nnotes);
	const char *vo = getenv("EDIGW_EDIFACT_VERDICTS_OUT");
	if (vo && *vo) {
		verdicts_out = fopen(vo, "w");
		if (verdicts_out) {
			fprintf(verdicts_out, "# edifact corpus verdicts (check_edifact_corpus); regenerate with "
					      "EDIGW_EDIFACT_VERDICTS_OUT and review the diff\n"
					      "# local_path TAB interchanges TAB messages TAB accepted|rejected TAB "
					      "ich A R [UCI/UCF codes] | msg A R [UCM/UCS/UCD codes] [| fatal code line offset] "
					      "TAB first finding: level code segment@position element.component.repetition\n");
			fflush(verdicts_out); /* before the forks */
		}
	}
	char *tmp = tu_tmpdir();
	if (asprintf(&results_path, "%s/results", tmp) < 0)
		return 1;
	printf("%-72s %s\n", "file", "verdict");
	fflush(stdout);
	Suite *s = suite_create("edifact corpus");
	TCase *tc = tcase_create("edifact");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_corpus_file, 0, nrows);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	long files = 0, ich = 0, msgs = 0, ma = 0, mr = 0, acc = 0, fatal = 0, dis = 0;
	FILE *f = fopen(results_path, "r");
	if (f) {
		char line[128];
		while (fgets(line, sizeof line, f)) {
			long v[7];
			char *p = line, *end;
			int k;
			for (k = 0; k < 7; k++, p = end) {
				v[k] = strtol(p, &end, 10);
				if (end == p)
					break;
			}
			if (k < 7)
				continue;
			files++, ich += v[0], msgs += v[1], ma += v[2], mr += v[3], acc += v[4], fatal += v[5],
				dis += v[6];
		}
		fclose(f);
	}
	printf("\nedifact corpus: %ld files (of %d rows): %ld accepted whole, %ld rejected (%ld not "
	       "EDIFACT: fatal); %ld interchanges, %ld messages (%ld accepted, %ld rejected); %ld "
	       "disagree with the manifest's expected column (explained in corpus-notes.tsv)\n",
	       files, nrows, acc, files - acc, fatal, ich, msgs, ma, mr, dis);
	if (verdicts_out)
		fclose(verdicts_out);
	tu_rmtree(tmp);
	free(tmp);
	free(results_path);
	for (int i = 0; i < nrows; i++) {
		free(rows[i].path);
		free(rows[i].expected);
	}
	free(rows);
	free_table(golden_path, golden_verdict, ngolden);
	free_table(note_path, note_text, nnotes);
	free(corpus);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
