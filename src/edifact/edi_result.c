/*
 * edi_result.c — the CONTRL verdict of one message (UCM action and code) from its
 * findings, freeing a message result, and a finding in EDIFACT words. Error lists and
 * their strings belong to the result (x12_errlist); edi_error_describe's string to the
 * caller.
 */
#include <stdlib.h>
#include <string.h>

#include "edifact/edifact.h"

/* Compute action and code from the errors (any non-application error -> '4'). */
void edi_msg_result_finish(struct edi_msg_result *r)
{
	int reject = 0;
	r->app_rejected = 0;
	r->code[0] = '\0';
	for (size_t i = 0; i < r->errors.n; i++) {
		const struct x12_error *e = &r->errors.v[i];
		if (e->application) {
			r->app_rejected = 1;
			continue;
		}
		reject = 1;
		if (!r->code[0] && e->scope == X12_SCOPE_TXN) {
			size_t n = strnlen(e->code, sizeof e->code);
			if (n > 3)
				n = 3;
			memcpy(r->code, e->code, n);
			r->code[n] = '\0';
		}
	}
	if (r->errors.dropped)
		reject = 1;
	r->action = reject ? EDI_ACTION_REJECTED : EDI_ACTION_ACCEPTED;
}

/* Free a message result's findings. */
void edi_msg_result_free(struct edi_msg_result *r)
{
	x12_errlist_free(&r->errors);
}

/* A finding in EDIFACT words (CONTRL segment, position in the message), allocated. */
char *edi_error_describe(const struct x12_error *e)
{
	static const char *const seg[] = { "UCI", "UCF", "UCM", "UCS", "UCD" };
	struct buf b;
	buf_init(&b, 0);
	if (e->seg_id[0]) {
		buf_printf(&b, "segment %s", e->seg_id);
		if (e->seg_pos)
			buf_printf(&b, " (position %llu in the message", (unsigned long long)e->seg_pos);
		else if (e->file_seg)
			buf_printf(&b, " (segment %llu of the file", (unsigned long long)e->file_seg);
		if (e->seg_pos || e->file_seg) {
			if (e->line)
				buf_printf(&b, ", line %llu", (unsigned long long)e->line);
			buf_puts(&b, ")");
		}
	} else if (e->seg_pos) {
		buf_printf(&b, "segment at position %llu in the message", (unsigned long long)e->seg_pos);
		if (e->line)
			buf_printf(&b, " (line %llu)", (unsigned long long)e->line);
	} else if (e->line) {
		buf_printf(&b, "line %llu", (unsigned long long)e->line);
	}
	if (e->elem_pos) {
		buf_printf(&b, "%selement %02d", b.len ? ", " : "", e->elem_pos);
		if (e->comp_pos)
			buf_printf(&b, ", component %d", e->comp_pos);
		if (e->rep_pos)
			buf_printf(&b, ", repetition %d", e->rep_pos);
	}
	if (b.len)
		buf_puts(&b, ": ");
	buf_puts(&b, e->msg ? e->msg : "error");
	if (e->bad_value && e->bad_value[0]) {
		char *v = escape_bytes(e->bad_value, strlen(e->bad_value), 40);
		buf_printf(&b, " (value '%s')", v);
		free(v);
	}
	if (e->code[0]) {
		unsigned sc = (unsigned)e->scope;
		buf_printf(&b, " [CONTRL %s 0085 code %s]", sc < 5 ? seg[sc] : "?", e->code);
	}
	return buf_steal(&b);
}
