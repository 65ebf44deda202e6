/*
 * edi_result.c — the CONTRL verdict of one message (UCM action and code) from its
 * findings, and freeing a message result. Error lists and their strings belong to the
 * result (x12_errlist).
 */
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
