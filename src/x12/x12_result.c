/*
 * x12_result.c — error lists and the AK5 decision for a transaction set.
 * Error strings are copied and owned by the list; a list keeps at most
 * X12_MAX_ERRORS entries and counts the rest in `dropped`.
 */
#include <stdlib.h>
#include <string.h>

#include "x12/x12.h"

/* Append a copy of e. */
void x12_errlist_add(struct x12_errlist *l, const struct x12_error *e)
{
	if (l->n >= X12_MAX_ERRORS) {
		l->dropped++;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	struct x12_error *d = &l->v[l->n++];
	*d = *e;
	d->bad_value = NULL;
	if (e->bad_value) {
		size_t n = strlen(e->bad_value);
		d->bad_value = span_dup((struct span){ e->bad_value, n > 99 ? 99 : n });
	}
	d->msg = xstrdup(e->msg ? e->msg : "");
}

/* Free the list's entries. */
void x12_errlist_free(struct x12_errlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].bad_value);
		free(l->v[i].msg);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Human sentence with the position of a finding. */
char *x12_error_describe(const struct x12_error *e)
{
	return x12_error_describe_as(e, "X12");
}

/* The same, naming the standard whose code it is ("EDIFACT" for ISO 9735 codes). */
char *x12_error_describe_as(const struct x12_error *e, const char *standard)
{
	struct buf b;
	buf_init(&b, 0);
	if (e->seg_id[0]) {
		buf_printf(&b, "segment %s", e->seg_id);
		if (e->seg_pos)
			buf_printf(&b, " (position %llu in the %s", (unsigned long long)e->seg_pos,
				   strcmp(standard, "EDIFACT") == 0 ? "message" : "transaction set");
		else if (e->file_seg)
			buf_printf(&b, " (segment %llu of the file", (unsigned long long)e->file_seg);
		if (e->seg_pos || e->file_seg) {
			if (e->line)
				buf_printf(&b, ", line %llu", (unsigned long long)e->line);
			buf_puts(&b, ")");
		}
	} else if (e->line) {
		buf_printf(&b, "line %llu", (unsigned long long)e->line);
	}
	if (e->elem_pos) {
		buf_printf(&b, ", element %02d", e->elem_pos);
		if (e->comp_pos)
			buf_printf(&b, "-%d", e->comp_pos);
	}
	if (b.len)
		buf_puts(&b, ": ");
	buf_puts(&b, e->msg ? e->msg : "error");
	if (e->bad_value && e->bad_value[0]) {
		char *v = escape_bytes(e->bad_value, strlen(e->bad_value), 40);
		buf_printf(&b, " (value '%s')", v);
		free(v);
	}
	if (e->code[0])
		buf_printf(&b, " [%s code %s]", standard, e->code);
	return buf_steal(&b);
}

static void add_code(struct x12_txn_result *r, const char *code)
{
	for (size_t i = 0; i < r->ncodes; i++)
		if (strcmp(r->codes[i], code) == 0)
			return;
	if (r->ncodes < 5) {
		size_t n = strlen(code);
		if (n > 4)
			n = 4;
		memcpy(r->codes[r->ncodes], code, n);
		r->codes[r->ncodes][n] = '\0';
		r->ncodes++;
	}
}

/* Decide AK501 and AK502..506 from the findings. */
void x12_txn_result_finish(struct x12_txn_result *r)
{
	int syntax = 0, segelem = 0;
	r->ncodes = 0;
	r->app_rejected = 0;
	for (size_t i = 0; i < r->errors.n; i++) {
		const struct x12_error *e = &r->errors.v[i];
		if (e->application) {
			r->app_rejected = 1;
			continue;
		}
		if (e->scope == X12_SCOPE_TXN) {
			syntax = 1;
			add_code(r, e->code);
		} else if (e->scope == X12_SCOPE_SEGMENT || e->scope == X12_SCOPE_ELEMENT) {
			syntax = 1;
			segelem = 1;
		}
	}
	if (r->errors.dropped)
		syntax = segelem = 1;
	if (segelem)
		add_code(r, "5");
	r->status = syntax ? 'R' : 'A';
}

/* Free a transaction result's findings. */
void x12_txn_result_free(struct x12_txn_result *r)
{
	x12_errlist_free(&r->errors);
}

/* Add an application finding "what: detail". */
void x12_errlist_add_app(struct x12_errlist *l, const char *what, const char *detail)
{
	struct x12_error e = { 0 };
	e.scope = X12_SCOPE_TXN;
	e.application = 1;
	char *m = xasprintf("%s: %s", what, detail);
	e.msg = m;
	x12_errlist_add(l, &e);
	free(m);
}
