/*
 * map_elemref.c — X12 data element reference numbers (AK402/IK402) for
 * the segments the shipped maps read. Composite elements (C001 ...) have no
 * number: 0. The numbers come from the X12 data element dictionary (for the
 * warehouse and G segments: maps/schemas/x12/004010/segments.def) and are the
 * same in 004010 and 005010. An element
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
/* 940, 943, 944, 945 (from maps/schemas/x12/004010/segments.def) */
static const int r_g62[] = { 432, 373, 176, 337, 623 };
static const int r_g69[] = { 369 };
static const int r_lx[] = { 554 };
static const int r_nte[] = { 363, 352 };
static const int r_w01[] = { 330, 355, 438, 235, 234, 235, 234, 59, 121, 23, 22, 416, 451, 286, 235, 234, 560 };
static const int r_w03[] = { 382, 81, 355, 183, 355, 80, 355 };
static const int r_w04[] = { 382, 355, 438, 235, 234, 235, 234, 59, 121, 23, 22, 451 };
static const int r_w05[] = { 473, 285, 324, 472, 474, 640, 306, 92 };
static const int r_w06[] = { 514, 285, 373, 145, 531, 324, 474, 472, 152, 891, 640, 306 };
static const int r_w07[] = { 413, 355, 438, 235, 234, 235, 234, 451, 893, 235, 234 };
static const int r_w12[] = { 368, 330, 382, 383, 355, 438, 235, 234, 451, 81, 187, 188, 81, 187, 188, 438, 235, 234, 892, 893, 235, 234 };
static const int r_w14[] = { 413, 382, 414, 663, 80 };
static const int r_w17[] = { 514, 373, 394, 285, 145, 176, 337, 474, 472 };
static const int r_w27[] = { 91, 140, 387, 146, 40, 206, 207, 368, 152, 890 };
static const int r_w66[] = { 146, 91, 399, 400, 387, 309, 310, 107, 610, 140 };
static const int r_w76[] = { 330, 81, 355, 183, 355, 398 };

#define E(s, a) { s, a, (int)(sizeof a / sizeof a[0]) }

/* Sorted by segment id. */
static const struct eref refs[] = {
	E("ACK", r_ack), E("AMT", r_amt), E("BAK", r_bak), E("BCH", r_bch), E("BEG", r_beg),
	E("BIA", r_bia), E("BIG", r_big), E("BSN", r_bsn), E("CTT", r_ctt), E("CUR", r_cur),
	E("DTM", r_dtm), E("G62", r_g62), E("G69", r_g69), E("HL", r_hl), E("IT1", r_it1),
	E("LIN", r_lin), E("LX", r_lx), E("MAN", r_man), E("MSG", r_msg), E("N1", r_n1),
	E("N2", r_n2), E("N3", r_n3), E("N4", r_n4), E("N9", r_n9), E("NTE", r_nte),
	E("PER", r_per), E("PID", r_pid), E("PO1", r_po1), E("PO4", r_po4), E("POC", r_poc),
	E("PRF", r_prf), E("QTY", r_qty), E("REF", r_ref), E("SAC", r_sac), E("SCH", r_sch),
	E("SE", r_se), E("SN1", r_sn1), E("ST", r_st), E("TD1", r_td1), E("TD5", r_td5),
	E("TDS", r_tds), E("W01", r_w01), E("W03", r_w03), E("W04", r_w04), E("W05", r_w05),
	E("W06", r_w06), E("W07", r_w07), E("W12", r_w12), E("W14", r_w14), E("W17", r_w17),
	E("W27", r_w27), E("W66", r_w66), E("W76", r_w76),
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
