/*
 * gateway_csv.c — the CSV path of one job: a partner whose profile says
 * csv.document = NAME sends flat files (a 3PL's shipment confirmation); a job
 * of that partner that is neither X12 nor EDIFACT is read as CSV with the
 * partner's csv.* options, mapped with document.NAME's map (one canonical
 * record per group-by value, or per file), checked against canonical.rng and
 * written through the ERP profile of its kind — the same staged ERP files,
 * ledger rows and commit order as X12, and no acknowledgment (CSV has none).
 *
 * A record with findings is rejected with its rows' file lines; the others
 * of the same file are accepted. A file that is not readable CSV (an
 * unclosed quote, a short row, bytes not in the declared encoding) fails
 * as a whole with line and column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flat/csv.h"
#include "gateway/gateway_int.h"

/* Whether a job of partner p is one of its CSV files: p has csv.document and the data
 * does not start like X12 or EDIFACT. */
int gw_is_csv(const struct cfg_partner *p, const char *sniffed)
{
	return p && p->csv_document[0] && strcmp(sniffed, "x12") != 0 && strcmp(sniffed, "edifact") != 0;
}

/* Read a CSV job: <0 for an environment failure; else the outcome is in j and *fatal
 * (allocated) says why the file as a whole is refused, if it is. */
int gw_process_csv(struct job *j, int fd, char **fatal)
{
	struct gateway *g = j->g;
	const struct cfg_partner *p = j->bound;
	const struct cfg_doc *doc = config_partner_doc(p, p->csv_document);
	struct buf body;
	struct csv_table t;
	struct map_csv_group *groups = NULL;
	size_t ngroups = 0;
	int rc;
	*fatal = NULL;
	memset(&t, 0, sizeof t);
	buf_init(&body, 0);
	if (!doc) {
		*fatal = xasprintf("csv.document %s has no document.%s map in %s", p->csv_document, p->csv_document,
				   p->file);
		return 0;
	}
	rc = fd_read_all(fd, (size_t)p->limits.max_file_size, &body);
	if (rc == -EFBIG) {
		*fatal = xasprintf("CSV file larger than limit.max-file-size (%llu bytes)",
				   (unsigned long long)p->limits.max_file_size);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	struct csv_options o;
	memset(&o, 0, sizeof o);
	o.delim = p->csv_delimiter;
	o.header = p->csv_no_header ? CSV_HEADER_NO : CSV_HEADER_YES;
	o.encoding = p->csv_encoding;
	o.max_bytes = (size_t)p->limits.max_file_size;
	struct csv_error cerr;
	memset(&cerr, 0, sizeof cerr);
	if (csv_parse(&t, body.data ? body.data : "", body.len, &o, &cerr) < 0) {
		char *d = csv_error_text(&cerr);
		*fatal = xasprintf("not readable as CSV (%s): %s", p->csv_document, d);
		free(d);
		goto out;
	}
	struct diag_list dl;
	diag_list_init(&dl);
	struct map *m = gw_map_for(g, doc->map_path, &dl);
	diag_list_free(&dl);
	if (!m) {
		rc = -EINVAL; /* checked at start-up: a vanished map is an environment failure */
		goto out;
	}
	rc = map_csv_groups(m, &t, &groups, &ngroups);
	if (rc == -ENOENT || rc == -EINVAL) {
		*fatal = xasprintf(rc == -ENOENT ? "the map's group-by column is not in the CSV header"
						 : "map %s does not read CSV files",
				   doc->map_path);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	/* one "interchange": the file, named after the job */
	j->partner = p;
	j->ic = 1;
	j->gr = 0;
	j->icn = j->meta.id;
	j->gcn = "0";
	j->group_staged_from = j->nstaged;
	j->st->interchanges++;
	if ((rc = ledger_begin(g->ledger)) < 0)
		goto out;
	j->in_txn_scope = 1;
	for (size_t i = 0; i < ngroups && rc == 0; i++) {
		struct x12_errlist errs = { 0 };
		xmlDocPtr rec = NULL;
		buf_reset(&j->erp_out);
		j->erp_kind = NULL;
		free(j->bkey);
		j->bkey = NULL;
		int arc = map_apply_csv(m, &t, groups[i].rows, groups[i].nrows, &rec, &errs, &j->bkey);
		if (arc < 0 || !rec)
			x12_errlist_add_app(&errs, "map", strerror(arc < 0 ? -arc : EINVAL));
		if (rec && !errs.n) {
			canon_set_source(rec, p->id, NULL);
			gw_emit_record(j, rec, &errs);
		} else if (rec) {
			xmlFreeDoc(rec);
		}
		int ok = errs.n == 0;
		struct staged *s = NULL;
		if ((rc = gw_document_done(j, ok, &s)) == 0) {
			char key[48], line[24];
			uint64_t first = groups[i].nrows ? t.rows[groups[i].rows[0]].line : 0;
			snprintf(key, sizeof key, "1.0.%zu", i + 1);
			snprintf(line, sizeof line, "line %llu", (unsigned long long)first);
			char *reason = gw_errs_reason_as(&errs, "CSV");
			struct ledger_doc d = gw_job_doc(j, key, "in", "csv", p->csv_document,
							 ok ? (s ? "accepted" : "received") : "rejected");
			d.icn = j->meta.id;
			d.tcn = line;
			d.business_key = j->bkey;
			d.reason = reason;
			rc = ledger_doc_put(g->ledger, &d, NULL);
			if (!ok)
				gw_set_reason(&j->fail_reason, xasprintf("%s record %s (from %s) rejected: %s", p->csv_document,
									 groups[i].key[0] ? groups[i].key : "of the file",
									 line, reason ? reason : "errors"));
			free(reason);
		}
		x12_errlist_free(&errs);
	}
	if (rc == 0)
		rc = gw_group_done(j, 0, NULL);
	/* named after the job's arrival, so a rerun after a crash finds the same name */
	char date[40];
	time_t when = j->meta.received ? j->meta.received : time(NULL);
	struct tm tm;
	gmtime_r(&when, &tm);
	snprintf(date, sizeof date, "%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
	if (rc == 0)
		rc = gw_name_staged(j, date, j->meta.id);
	if (rc == 0) {
		gw_fault_point("before-ledger-commit");
		rc = ledger_commit(g->ledger);
		j->in_txn_scope = 0;
	}
	if (rc == 0) {
		gw_fault_point("after-ledger-commit");
		rc = gw_commit_staged(j);
	}
out:
	if (j->in_txn_scope) {
		ledger_rollback(g->ledger);
		j->in_txn_scope = 0;
	}
	map_csv_groups_free(groups, ngroups);
	csv_table_free(&t);
	buf_free(&body);
	return rc;
}
