/*
 * contrl — the UN/EDIFACT CONTRL (syntax and service report) we send for an
 * inbound interchange, built from the reader's results (edifact.h).
 *
 * One CONTRL interchange answers one inbound interchange:
 *   [UNA] UNB (sender and recipient swapped, our 0020) UNH (our 0062,
 *   CONTRL:D:3:UN for syntax 1-3, CONTRL:4:1:UN for syntax 4) UCI, then
 *   either one UCM per message (interchange without groups) or one UCF per
 *   group with the UCMs of its messages; UCS/UCD under a rejected UCM; UNT,
 *   UNZ.
 * Groups and messages are streamed into anonymous temporary files in $TMPDIR
 * (a group's UCMs wait in a second one until contrl_group_end has the UCF),
 * so memory does not grow with the inbound interchange. Output depends only
 * on the inputs: the same results, control numbers and time give the same
 * bytes. doc/contrl.md describes every field.
 *
 * Never a CONTRL for a CONTRL or an APERAK: contrl_message refuses those
 * messages and contrl_group_begin groups of them (-EINVAL); the caller skips
 * them. An interchange with nothing reported (only service messages, or no
 * message at all) gets no CONTRL unless its envelope was rejected before any
 * message was read.
 *
 * What the gateway passes (policy is the caller's):
 *  - create a writer for an interchange when the partner's `contrl` is
 *    `always`, or `requested` (the default) and UNB 0031 is "1"; never with
 *    `never`. Skip interchanges the handler skipped (res->skipped).
 *  - p.ref / p.msg_ref: our UNB 0020 and UNH 0062 from the ledger, allocated
 *    once per inbound interchange so a rerun writes the same bytes; p.when:
 *    the time recorded with them.
 *  - unb: the inbound UNB as handed to interchange_begin.
 *  - contrl_group_begin(ung) / contrl_group_end(group result) around the
 *    messages of each UNG group; contrl_message(res, id) for every message
 *    except CONTRL and APERAK, at message_end (res final), with id copied
 *    from the edi_msg in the message callback (contrl_msg_id_set).
 *  - contrl_writer_finish(interchange result, fd) at interchange_end. The reader
 *    does not call interchange_begin for an interchange it cannot decode (unknown
 *    syntax identifier): create the writer there from res->unb (same policy).
 *
 * Limits (doc/contrl.md): CONTRL_UCS_MAX UCS per UCM and CONTRL_UCD_MAX UCD
 * per UCS, the first ones in the order of the findings; positions the
 * elements cannot hold (0096 n..6, 0098 and 0104 n..3, 0136 n..6) are left
 * out; at most CONTRL_SEGMENTS_MAX segments in the CONTRL (UNT 0074 n..6):
 * contrl_writer_finish returns -E2BIG beyond.
 *
 * Position convention: struct x12_error.elem_pos counts data elements after
 * the tag from 1 (as the X12 view and the definition validator do); UCD and
 * the S011 of UCI/UCF/UCM carry 0098 = elem_pos + 1 because 0098 counts the
 * segment tag as position 1. comp_pos is 0104 as is; rep_pos is 0136
 * (syntax 4 only).
 *
 * Errors: -EINVAL for a call out of order or inputs that cannot make a
 * correct CONTRL, -ERANGE for a control number above CONTRL_CTL_MAX,
 * -ENOTSUP for a syntax identifier we cannot write, -EILSEQ from
 * contrl_writer_new for an inbound sender, recipient or reference the
 * character set cannot carry (logged with the character), -E2BIG see above,
 * other negative errno values from the temporary files or the fd.
 * After a temporary-file error every later call returns it.
 */
#ifndef EDIGW_CONTRL_H
#define EDIGW_CONTRL_H

#include <stdint.h>
#include <time.h>

#include "edifact/edifact.h"
#include "util/util.h"

#define CONTRL_CTL_MAX 999999999ULL   /* largest UNB 0020 / UNH 0062 we write */
#define CONTRL_UCS_MAX 999            /* UCS per UCM (segment groups 2 and 5) */
#define CONTRL_UCD_MAX 99             /* UCD per UCS */
#define CONTRL_SEGMENTS_MAX 999999ULL /* UNH..UNT (UNT 0074 n..6) */

struct contrl_params {
	uint64_t ref;             /* our UNB/UNZ 0020, written zero-padded to 9 digits */
	uint64_t msg_ref;         /* our UNH/UNT 0062, written as a plain number */
	time_t when;              /* UNB 0017/0019 (UTC) */
	struct edi_delims delims; /* separators to write with; elem 0: the inbound's (unb->delims),
	                           * and when those are unset too, the defaults */
	char syntax_id[5];        /* "" = the inbound's 0001 when we can write it, else UNOA
	                           * (UNOB when UNOA cannot carry the ids) */
	int syntax_version;       /* 0 = the inbound's 0002 when 1..4, else 3 */
	char unh_version[4];      /* CONTRL 0052/0054; "" = D/3 (syntax 1-3), 4/1 (syntax 4) */
	char unh_release[4];
	char unh_assoc[7];        /* CONTRL 0057 (e.g. "EAN002"); "" = none */
	int una_always;           /* write a UNA even with UNOA's default separators */
	int errors_only;          /* partner agreement: no UCM 7, no UCF 7 without a rejected
	                           * message under it (UCI 7 covers them) */
	int receipt_only;         /* UCI 8 (interchange received) and nothing below it, unless
	                           * the interchange is rejected (then UCI 4) */
};

/* The inbound message identifier a UCM echoes (UNH S009). */
struct contrl_msg_id {
	char type[7], version[4], release[4], agency[4], assoc[7];
};

/* Copy msg's identifier (type, version, release, agency, association code). */
void contrl_msg_id_set(struct contrl_msg_id *id, const struct edi_msg *msg);

struct contrl_writer;

/* Start a CONTRL for the inbound interchange unb: builds UNB and UNH, so a sender,
 * recipient or reference the character set cannot carry fails here (-EILSEQ). -EINVAL
 * when the inbound sender or recipient is empty (nobody to address). */
int contrl_writer_new(struct contrl_writer **out, const struct contrl_params *p,
		      const struct edi_unb *unb);
void contrl_writer_free(struct contrl_writer *w);
/* Open the UCF of one inbound UNG group. -EINVAL for a group of CONTRL or APERAK (0038),
 * while another group is open, or after messages outside groups. */
int contrl_group_begin(struct contrl_writer *w, const struct edi_ung *ung);
/* The UCM (and UCS/UCD) of one message. res->action 0 is computed from res->errors
 * (any non-application finding: '4'). -EINVAL for a CONTRL or APERAK, for a message
 * outside a group once groups were seen, or when id is NULL. A rejected message that
 * cannot be named (no 0062 or S009) is reported as a rejection of its group (UCF 4), or
 * without groups of the interchange (UCI 4), with the message's code. */
int contrl_message(struct contrl_writer *w, const struct edi_msg_result *res,
		   const struct contrl_msg_id *id);
/* Write the group's UCF and its UCMs (left out when the group is rejected). res->action
 * 0 is computed from res->errors. */
int contrl_group_end(struct contrl_writer *w, const struct edi_group_result *res);
/* Write the CONTRL interchange to fd: [UNA] UNB UNH UCI, the UCF/UCM (left out when the
 * interchange is rejected or only its receipt is reported), UNT UNZ. *written = 0 and
 * nothing written when there is nothing to report (see above). May be called again and
 * writes the same bytes; nothing may follow it but another finish and free. */
int contrl_writer_finish(struct contrl_writer *w, const struct edi_interchange_result *res,
			 int fd, int *written);
/* Messages reported so far (contrl_message calls that succeeded). */
size_t contrl_writer_messages(const struct contrl_writer *w);

#endif
