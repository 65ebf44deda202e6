/*
 * ack — X12 acknowledgments built from validation results: TA1, 997, 999.
 *
 * One ack interchange answers one inbound interchange: ISA (sender and
 * receiver swapped, our control number, ISA14 = 0), an optional TA1 right
 * after the ISA, then one functional group (GS01 = FA, our GS06) per
 * acknowledged inbound group, each holding one 997 or 999 (our ST02), IEA.
 * One GS per inbound group because a GS carries one version (GS08) and the
 * 997 matches the version of the group it answers. Groups are streamed into
 * an anonymous temporary file in $TMPDIR as transactions finish, so memory
 * does not grow with the inbound file. Never an ack for an ack: the caller
 * skips groups with GS01 = FA (ack_group_begin refuses them); the writer
 * emits nothing at all when there is neither a TA1 nor a group.
 * doc/acknowledgments.md describes every field we write.
 *
 * Errors: -EINVAL for a call out of order or inputs that cannot make a
 * correct ack (unusable delimiters, a status that does not fit the counts),
 * -ERANGE for a control number above 999999999, other negative errno values
 * from the temporary file or the output fd. After a temporary-file error
 * every later call returns it.
 */
#ifndef EDIGW_ACK_H
#define EDIGW_ACK_H

#include <stdint.h>

#include "util/util.h"
#include "x12/x12.h"

enum ack_type {
	ACK_997 = 0,
	ACK_999,
	ACK_TA1_ONLY, /* partner gets no 997/999 (ack = none): groups are refused, and a requested
	               * TA1 goes out for any interchange that carried transaction sets */
};

#define ACK_999_VERSION "005010X231A1" /* GS08, ST03 of our 999 */
#define ACK_CTL_MAX 999999999ULL       /* largest ISA13 / GS06 / ST02 we write */
#define ACK_AK4_MAX 99                 /* AK4 per AK3 in a 997 (the standard's max use) */

struct ack_params {
	enum ack_type type;
	int want_ta1;             /* caller's policy decision (ISA14, envelope error, partner ta1 setting) */
	int ta1_on_error;         /* also add a TA1 when the envelope turns out to be in error */
	uint64_t isa13;           /* our interchange control number */
	time_t when;              /* ISA09/10 and GS04/05 come from this (UTC) */
	struct x12_delims delims; /* separators to write with (usually the inbound ones) */
};

struct ack_writer;

/* Start an ack for the inbound interchange isa. p->delims must be usable: element,
 * component and segment separators set, distinct, not a letter, digit or blank (the
 * repetition separator too when it is written, i.e. ISA12 >= 00402). */
int ack_writer_new(struct ack_writer **out, const struct ack_params *p, const struct x12_isa *isa);
void ack_writer_free(struct ack_writer *w);
/* Open the 997/999 for one inbound group; gs06 and st02 are ours (from the ledger).
 * -EINVAL for GS01 = FA, for ACK_TA1_ONLY or while another group is open. */
int ack_group_begin(struct ack_writer *w, const struct x12_gs *gs, uint64_t gs06, uint64_t st02);
/* AK2/AK3/AK4/AK5 (IK3/IK4/IK5 for 999) of one transaction set. res should be final
 * (x12_txn_result_finish); a status of 0 is computed here from res->errors. */
int ack_txn(struct ack_writer *w, const struct x12_txn_result *res);
/* AK9 and SE/GE of the current group. -EINVAL when res does not agree with the
 * transaction sets acknowledged (accepted count, status A/E/P against the counts). */
int ack_group_end(struct ack_writer *w, const struct x12_group_result *res);
/* Write the finished ack interchange to fd: ISA, TA1 (when wanted or, with ta1_on_error,
 * when res says the envelope is in error), the groups (left out when the interchange was
 * rejected), IEA. *written = 0 and nothing written when there is nothing to send.
 * A requested TA1 (want_ta1) for a sound envelope is only sent when at least one group
 * is acknowledged (ACK_TA1_ONLY: when res->transactions > 0): no TA1 for an interchange
 * of acks or of TA1s only. May be called
 * again (e.g. to another fd) and writes the same bytes; no group may follow it. */
int ack_writer_finish(struct ack_writer *w, const struct x12_interchange_result *res, int fd,
		      int *written);
/* Number of groups opened so far (for allocating control numbers). */
size_t ack_writer_groups(const struct ack_writer *w);

#endif
