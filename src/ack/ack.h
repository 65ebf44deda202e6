/*
 * ack — X12 acknowledgments built from validation results: TA1, 997, 999.
 *
 * One ack interchange answers one inbound interchange: ISA (sender and
 * receiver swapped, our control number, ISA14 = 0), an optional TA1 right
 * after the ISA, one functional group (GS01 = FA) holding one 997/999 per
 * inbound functional group, IEA. Groups are streamed into a temporary file
 * as transactions finish, so memory does not grow with the inbound file.
 * Never an ack for an ack: the caller skips groups with GS01 = FA; the
 * writer emits nothing at all when there is neither a TA1 nor a group.
 */
#ifndef EDIGW_ACK_H
#define EDIGW_ACK_H

#include <stdint.h>

#include "util/util.h"
#include "x12/x12.h"

enum ack_type { ACK_997 = 0, ACK_999 };

struct ack_params {
	enum ack_type type;
	int want_ta1;             /* caller's policy decision (ISA14, envelope error, partner ta1 setting) */
	int ta1_on_error;         /* also add a TA1 when the envelope turns out to be in error */
	uint64_t isa13;           /* our interchange control number */
	time_t when;              /* ISA09/10 and GS04/05 come from this (UTC) */
	struct x12_delims delims; /* separators to write with (usually the inbound ones) */
};

struct ack_writer;

/* Start an ack for the inbound interchange isa. */
int ack_writer_new(struct ack_writer **out, const struct ack_params *p, const struct x12_isa *isa);
void ack_writer_free(struct ack_writer *w);
/* Open the 997/999 for one inbound group; gs06 and st02 are ours (from the ledger). */
int ack_group_begin(struct ack_writer *w, const struct x12_gs *gs, uint64_t gs06, uint64_t st02);
/* AK2/AK3/AK4/AK5 (IK3/IK4/CTX/IK5 for 999) of one transaction set. */
int ack_txn(struct ack_writer *w, const struct x12_txn_result *res);
/* AK9 and SE/GE of the current group. */
int ack_group_end(struct ack_writer *w, const struct x12_group_result *res);
/* Write the finished ack interchange to fd: ISA, TA1 (when wanted or, with ta1_on_error,
 * when res says the envelope is in error), the groups (left out when the interchange was
 * rejected), IEA. *written = 0 and nothing written when there is nothing to send. */
int ack_writer_finish(struct ack_writer *w, const struct x12_interchange_result *res, int fd,
		      int *written);
/* Number of groups opened so far (for allocating control numbers). */
size_t ack_writer_groups(const struct ack_writer *w);

#endif
