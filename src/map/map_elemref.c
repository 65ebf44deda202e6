/*
 * map_elemref.c — X12 data element reference numbers (AK402/IK402) for
 * the segments the shipped maps read (the warehouse segments W01..W17 are
 * not listed yet). Composite elements (C001 ...) have no number: 0. The numbers come from the X12 data
 * element dictionary and are the same in 004010 and 005010. An element
 * not listed gets 0 ("unknown"), which the ack builders leave out.
 */
#include <string.h>

#include "map/map_int.h"

struct eref {
	const char *seg;
	const int *refs; /* refs[0] is element 01 */
	int n;
};

static const int r_st[] = { 143, 329, 1705 };
static const int r_se[] = { 96, 329 };
static const int r_beg[] = { 353, 92, 324, 328, 373, 367, 587, 1019, 1166, 1232, 786, 640 };
static const int r_cur[] = { 98, 100, 280 };
static const int r_ref[] = { 128, 127, 352 };
static const int r_per[] = { 366, 93, 365, 364, 365, 364, 365, 364, 443 };
static const int r_dtm[] = { 374, 373, 337, 623, 1250, 1251 };
static const int r_n1[] = { 98, 93, 66, 67, 706, 98 };
static const int r_n2[] = { 93, 93 };
static const int r_n3[] = { 166, 166 };
static const int r_n4[] = { 19, 156, 116, 26, 309, 310, 1715 };
static const int r_po1[] = { 350, 330, 355, 212, 639, 235, 234, 235, 234, 235, 234, 235,
			     234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234 };
static const int r_pid[] = { 349, 750, 559, 751, 352, 752, 822, 1073, 819 };
static const int r_po4[] = { 356, 357, 355 };
static const int r_ctt[] = { 354, 347, 81, 355, 183, 355, 352 };
static const int r_amt[] = { 522, 782, 478 };
static const int r_msg[] = { 933, 934 };
static const int r_n9[] = { 128, 127, 369, 373, 337, 623 };
static const int r_td5[] = { 133, 66, 67, 91, 387 };
static const int r_sch[] = { 380, 355, 98, 93, 374, 373 };
/* 855, 856, 810, 860, 846 */
static const int r_ack[] = { 668, 380, 355, 374, 373 };
static const int r_bak[] = { 353, 587, 324, 373, 328, 326, 367, 127, 373 };
static const int r_bch[] = { 353, 92, 324, 328, 327, 373 };
static const int r_bia[] = { 353, 755, 127, 373, 337 };
static const int r_big[] = { 373, 76, 373, 324, 328, 327, 640, 353 };
static const int r_bsn[] = { 353, 396, 373, 337, 1005 };
static const int r_hl[] = { 628, 734, 735, 736 };
static const int r_it1[] = { 350, 358, 355, 212, 639, 235, 234, 235, 234, 235, 234, 235,
			     234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234 };
static const int r_lin[] = { 350, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235,
			     234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234,
			     235, 234, 235, 234, 235, 234 };
static const int r_man[] = { 88, 87, 87 };
static const int r_poc[] = { 350, 670, 330, 671, 0, 212, 639, 235, 234, 235, 234, 235,
			     234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234, 235, 234,
			     235, 234 };
static const int r_prf[] = { 324, 328, 327, 373, 367 };
static const int r_qty[] = { 673, 380 };
static const int r_sac[] = { 248, 1300, 559, 1301, 610, 378, 332 };
static const int r_sn1[] = { 350, 382, 355, 646, 330, 355, 728, 668 };
static const int r_td1[] = { 103, 80, 23, 22, 79, 187, 81, 355, 183, 355 };
static const int r_tds[] = { 610, 610, 610, 610 };

#define E(s, a) { s, a, (int)(sizeof a / sizeof a[0]) }

/* Sorted by segment id. */
static const struct eref refs[] = {
	E("ACK", r_ack), E("AMT", r_amt), E("BAK", r_bak), E("BCH", r_bch), E("BEG", r_beg),
	E("BIA", r_bia), E("BIG", r_big), E("BSN", r_bsn), E("CTT", r_ctt), E("CUR", r_cur),
	E("DTM", r_dtm), E("HL", r_hl),   E("IT1", r_it1), E("LIN", r_lin), E("MAN", r_man),
	E("MSG", r_msg), E("N1", r_n1),   E("N2", r_n2),   E("N3", r_n3),   E("N4", r_n4),
	E("N9", r_n9),   E("PER", r_per), E("PID", r_pid), E("PO1", r_po1), E("PO4", r_po4),
	E("POC", r_poc), E("PRF", r_prf), E("QTY", r_qty), E("REF", r_ref), E("SAC", r_sac),
	E("SCH", r_sch), E("SE", r_se),   E("SN1", r_sn1), E("ST", r_st),   E("TD1", r_td1),
	E("TD5", r_td5), E("TDS", r_tds),
};

/* Reference number of element pos of segment seg_id, 0 when unknown. */
int map_elem_ref(const char *seg_id, int pos)
{
	size_t lo = 0, hi = sizeof refs / sizeof refs[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(seg_id, refs[mid].seg);
		if (c == 0)
			return pos >= 1 && pos <= refs[mid].n ? refs[mid].refs[pos - 1] : 0;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}
