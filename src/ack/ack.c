/*
 * ack.c — the TA1 / 997 / 999 writer.
 *
 * ack_writer_new fixes the ISA (106 bytes, whatever the delimiters) and the
 * dates; ack_group_begin / ack_txn / ack_group_end stream GS..GE of each
 * group into an anonymous temporary file ($TMPDIR, O_TMPFILE, else an
 * unlinked mkostemp file) through a buffer flushed every FLUSH_AT bytes;
 * ack_writer_finish writes ISA, the TA1 if any, the groups and IEA to the
 * caller's fd. The writer owns its copy of the params and of the inbound ISA,
 * its buffer and the temporary file; results passed in are only read.
 *
 * Partner bytes: every value echoed from the inbound interchange (ids,
 * control numbers, versions, bad values for AK404) goes through put_clean,
 * which turns our delimiters, control bytes and non-ASCII bytes into a space,
 * so no value can break a segment; AK404 is left out when nothing but blanks
 * remains. Element positions and lengths the standard cannot express (AK302
 * over 6 digits, AK401 over 2, AK303 over 4 characters) are left out rather
 * than written wrong; see doc/acknowledgments.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ack/ack.h"

#define ISA_LEN 106
#define FLUSH_AT 65536
#define SEG_POS_MAX 999999 /* AK302 / IK302: N0 1/6 */
#define ELEM_POS_MAX 99    /* C030-01 and -02: N0 1/2 */
#define REP_POS_MAX 9999   /* C030-03: N0 1/4 */
#define ELEM_REF_MAX 9999  /* AK402: N0 1/4 */
#define LOOP_ID_MAX 4      /* AK303: AN 1/4 */
#define BAD_VALUE_MAX 99   /* AK404: AN 1/99 */
#define NONE ((size_t)-1)

struct ack_writer {
	struct ack_params p;
	struct x12_isa isa;
	char isa_seg[ISA_LEN + 1]; /* our ISA, built once */
	int rep_active;            /* ISA11 carries p.delims.rep */
	char ccyymmdd[9], yymmdd[7], hhmm[5];

	int tmpfd;         /* the groups, -1 until the first group */
	uint64_t tmp_len;  /* bytes in the temporary file */
	struct buf out;    /* bytes not yet in the temporary file */
	int err;           /* sticky temporary-file error */
	int finished;

	size_t ngroups;
	/* the open group */
	int in_group;
	uint64_t gs06, st02;
	int allow_rep;      /* C030-03 exists in this version (004020 on) */
	uint64_t gs_v;      /* the acknowledged group's version as a number (4010, 5010) */
	uint64_t seg_count; /* ST..SE so far */
	uint64_t ntxn, naccepted;
};

/* A segment being appended to a buffer; trailing empty elements are dropped at the end. */
struct segw {
	struct buf *b;
	const struct ack_writer *w;
	size_t keep; /* length up to the last non-empty element */
};

/* ------------------------------------------------------------ bytes */

/* One of the delimiters our ack is written with. */
static int is_delim(const struct ack_writer *w, unsigned char c)
{
	const struct x12_delims *d = &w->p.delims;
	return c == (unsigned char)d->elem || c == (unsigned char)d->comp ||
	       c == (unsigned char)d->seg || (w->rep_active && c == (unsigned char)d->rep);
}

/* A byte that may not appear inside a value we write. */
static int unsafe_byte(const struct ack_writer *w, unsigned char c)
{
	return c < 0x20 || c >= 0x7f || is_delim(w, c);
}

/* Append s[0..n) with every unsafe byte replaced by a space. */
static void put_clean(struct buf *b, const struct ack_writer *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_putc(b, unsafe_byte(w, (unsigned char)s[i]) ? ' ' : s[i]);
}

/* Append s cleaned, cut or right-padded with blanks to exactly width bytes (ISA fields). */
static void put_fixed(struct buf *b, const struct ack_writer *w, const char *s, size_t width)
{
	size_t n = strnlen(s, width);
	put_clean(b, w, s, n);
	for (; n < width; n++)
		buf_putc(b, ' ');
}

/* True when s[0..n) is all ASCII digits; their value in *v. */
static int digits(const char *s, size_t n, uint64_t *v)
{
	return span_to_u64((struct span){ s, n }, v) == 0;
}

/* Version number of a GS08 ("004010VICS" -> 4010), 0 when it does not start with 6 digits. */
static uint64_t gs_version(const char *v)
{
	uint64_t n = 0;
	if (strnlen(v, 6) < 6 || !digits(v, 6, &n))
		return 0;
	return n;
}

/* Version number of an ISA12 ("00401" -> 401), 0 when it is not 5 digits. */
static uint64_t isa_version(const char *v)
{
	uint64_t n = 0;
	if (strlen(v) != 5 || !digits(v, 5, &n))
		return 0;
	return n;
}

/* ------------------------------------------------------------ segments */

/* Start segment id in b. */
static void sw_begin(struct segw *s, struct buf *b, const struct ack_writer *w, const char *id)
{
	s->b = b;
	s->w = w;
	buf_puts(b, id);
	s->keep = b->len;
}

/* One simple element, cleaned; NULL or "" is an empty element. */
static void sw_el(struct segw *s, const char *v)
{
	buf_putc(s->b, s->w->p.delims.elem);
	size_t n = v ? strlen(v) : 0;
	put_clean(s->b, s->w, v, n);
	if (n)
		s->keep = s->b->len;
}

/* A number element, no padding. */
static void sw_u64(struct segw *s, uint64_t v)
{
	char t[24];
	snprintf(t, sizeof t, "%llu", (unsigned long long)v);
	sw_el(s, t);
}

/* A control number of ours, zero-padded to width digits. */
static void sw_ctl(struct segw *s, uint64_t v, int width)
{
	char t[24];
	snprintf(t, sizeof t, "%0*llu", width, (unsigned long long)v);
	sw_el(s, t);
}

/* An element we composed ourselves (a composite with our component separator). */
static void sw_raw(struct segw *s, const char *v)
{
	buf_putc(s->b, s->w->p.delims.elem);
	buf_puts(s->b, v);
	if (*v)
		s->keep = s->b->len;
}

/* Drop trailing empty elements and terminate. */
static void sw_end(struct segw *s)
{
	s->b->len = s->keep;
	s->b->data[s->keep] = '\0';
	buf_putc(s->b, s->w->p.delims.seg);
}

/* End a segment of the open transaction set (counted for SE01). */
static void tx_end(struct ack_writer *w, struct segw *s)
{
	sw_end(s);
	w->seg_count++;
}

/* ------------------------------------------------------------ codes */

/* 999-only codes ("I..") as their nearest 997 code; NULL when there is none. */
static const char *code_997(enum x12_scope scope, const char *code)
{
	static const struct {
		enum x12_scope scope;
		const char *from, *to;
	} map[] = {
		{ X12_SCOPE_SEGMENT, "I4", "2" },  /* not-used segment present: unexpected segment */
		{ X12_SCOPE_SEGMENT, "I9", "2" },  /* dependent not-used segment present */
		{ X12_SCOPE_SEGMENT, "I6", "3" },  /* dependent segment missing: mandatory missing */
		{ X12_SCOPE_SEGMENT, "I7", "3" },  /* loop under minimum */
		{ X12_SCOPE_SEGMENT, "I8", "3" },  /* segment below minimum use */
		{ X12_SCOPE_ELEMENT, "I6", "7" },  /* code not used in implementation: invalid code */
		{ X12_SCOPE_ELEMENT, "I9", "2" },  /* dependent element missing: conditional missing */
		{ X12_SCOPE_ELEMENT, "I10", "10" }, /* not-used element present: exclusion violated */
		{ X12_SCOPE_ELEMENT, "I13", "10" }, /* dependent not-used element present */
		{ X12_SCOPE_ELEMENT, "I11", "2" }, /* too few repetitions */
		{ X12_SCOPE_ELEMENT, "I12", "6" }, /* pattern match failure: invalid character */
		{ X12_SCOPE_TXN, "I5", "5" },      /* segments in error */
		{ X12_SCOPE_TXN, "I6", "1" },      /* implementation convention not supported */
	};
	if (code[0] != 'I')
		return code;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].scope == scope && strcmp(map[i].from, code) == 0)
			return map[i].to;
	return NULL;
}

/* The code to write for a finding of this scope: NULL when it cannot be written. */
static const char *out_code(const struct ack_writer *w, enum x12_scope scope, const char *code)
{
	if (!code[0])
		return NULL;
	if (scope == X12_SCOPE_GROUP)
		return code[0] == 'I' ? NULL : code; /* AK905 has no implementation codes */
	/* AK403 12 (too many repetitions) and 13 (too many components) came with 004020:
	 * an older 997 says 3 (too many data elements), the nearest code it has */
	if (scope == X12_SCOPE_ELEMENT && w->gs_v && w->gs_v < 4020 &&
	    (strcmp(code, "12") == 0 || strcmp(code, "13") == 0))
		return "3";
	return w->p.type == ACK_997 ? code_997(scope, code) : code;
}

/* Append AK5/IK5/AK9 codes: mapped, without duplicates, at most 5. */
static void sw_codes(struct segw *s, enum x12_scope scope, const char (*codes)[5], size_t n)
{
	char done[5][5];
	size_t nd = 0;
	for (size_t i = 0; i < n && i < 5; i++) {
		char c[5];
		memcpy(c, codes[i], sizeof c);
		c[4] = '\0';
		const char *o = out_code(s->w, scope, c);
		int dup = 0;
		for (size_t k = 0; o && k < nd; k++)
			dup |= strcmp(done[k], o) == 0;
		if (!o || dup)
			continue;
		snprintf(done[nd++], sizeof done[0], "%s", o);
		sw_el(s, o);
	}
}

/* ------------------------------------------------------------ temporary file */

/* Move the buffered bytes into the temporary file. */
static int flush(struct ack_writer *w)
{
	if (w->err)
		return w->err;
	if (!w->out.len)
		return 0;
	int rc = write_all(w->tmpfd, w->out.data, w->out.len);
	if (rc < 0) {
		log_error("ack: cannot write the temporary file: %s", strerror(-rc));
		w->err = rc;
		return rc;
	}
	w->tmp_len += w->out.len;
	buf_reset(&w->out);
	return 0;
}

/* Flush once enough bytes are buffered, so memory stays bounded. */
static int maybe_flush(struct ack_writer *w)
{
	return w->out.len >= FLUSH_AT ? flush(w) : 0;
}

/* ------------------------------------------------------------ writer */

/* A byte usable as a delimiter: set, not blank (ISA padding), not a letter or digit. */
static int delim_ok(char c)
{
	unsigned char u = (unsigned char)c;
	return u != 0 && u != ' ' && !(u >= '0' && u <= '9') && !(u >= 'A' && u <= 'Z') &&
	       !(u >= 'a' && u <= 'z');
}

/* Build our ISA (ISA_LEN bytes) into w->isa_seg. */
static void build_isa(struct ack_writer *w)
{
	const struct x12_isa *in = &w->isa;
	const struct x12_delims *d = &w->p.delims;
	/* an unreadable ISA12 gets the interchange rejected anyway; still write a valid one */
	const char *version = isa_version(in->version) ? in->version : "00401";
	char isa11[2] = { w->rep_active ? d->rep : 'U', '\0' };
	char isa13[16];
	snprintf(isa13, sizeof isa13, "%09llu", (unsigned long long)w->p.isa13);
	/* ISA01..ISA15 with their fixed widths; ISA11 is ours and written raw */
	const struct {
		const char *v;
		size_t width;
	} f[15] = {
		{ "00", 2 },           { "", 10 },           { "00", 2 },
		{ "", 10 },            { in->receiver_qual, 2 }, { in->receiver_id, 15 },
		{ in->sender_qual, 2 }, { in->sender_id, 15 },  { w->yymmdd, 6 },
		{ w->hhmm, 4 },        { isa11, 1 },         { version, 5 },
		{ isa13, 9 },          { "0", 1 },           { in->usage[0] == 'T' ? "T" : "P", 1 },
	};
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "ISA");
	for (size_t i = 0; i < 15; i++) {
		buf_putc(&b, d->elem);
		if (i == 10)
			buf_putc(&b, isa11[0]);
		else
			put_fixed(&b, w, f[i].v, f[i].width);
	}
	buf_putc(&b, d->elem);
	buf_putc(&b, d->comp);
	buf_putc(&b, d->seg);
	if (b.len != ISA_LEN)
		abort(); /* our invariant: a fixed-width ISA */
	memcpy(w->isa_seg, b.data, ISA_LEN + 1);
	buf_free(&b);
}

/* Start an ack for the inbound interchange isa. */
int ack_writer_new(struct ack_writer **out, const struct ack_params *p, const struct x12_isa *isa)
{
	if (!out || !p || !isa)
		return -EINVAL;
	*out = NULL;
	const struct x12_delims *d = &p->delims;
	if (p->type != ACK_997 && p->type != ACK_999 && p->type != ACK_TA1_ONLY)
		return -EINVAL;
	if (!delim_ok(d->elem) || !delim_ok(d->comp) || !delim_ok(d->seg) || d->elem == d->comp ||
	    d->elem == d->seg || d->comp == d->seg)
		return -EINVAL;
	if (p->isa13 > ACK_CTL_MAX)
		return -ERANGE;
	struct tm tm;
	if (!gmtime_r(&p->when, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
		return -EINVAL;

	struct ack_writer *w = xcalloc(1, sizeof *w);
	w->p = *p;
	w->isa = *isa;
	w->tmpfd = -1;
	buf_init(&w->out, 0);
	strftime(w->ccyymmdd, sizeof w->ccyymmdd, "%Y%m%d", &tm);
	memcpy(w->yymmdd, w->ccyymmdd + 2, sizeof w->yymmdd);
	strftime(w->hhmm, sizeof w->hhmm, "%H%M", &tm);
	w->rep_active = isa_version(isa->version) >= 402 && d->rep;
	if (w->rep_active && (!delim_ok(d->rep) || d->rep == d->elem || d->rep == d->comp ||
			      d->rep == d->seg)) {
		ack_writer_free(w);
		return -EINVAL;
	}
	build_isa(w);
	*out = w;
	return 0;
}

/* Free the writer and close its temporary file. */
void ack_writer_free(struct ack_writer *w)
{
	if (!w)
		return;
	if (w->tmpfd >= 0)
		close(w->tmpfd);
	buf_free(&w->out);
	free(w);
}

/* Number of groups opened so far. */
size_t ack_writer_groups(const struct ack_writer *w)
{
	return w ? w->ngroups : 0;
}

/* GS08 of our group: ours for a 999, else the inbound one (from ISA12 when GS08 is empty). */
static void group_version(const struct ack_writer *w, const struct x12_gs *gs, char out[13])
{
	if (w->p.type == ACK_999) {
		snprintf(out, 13, "%s", ACK_999_VERSION);
		return;
	}
	if (gs->version[0]) {
		snprintf(out, 13, "%s", gs->version);
		return;
	}
	if (isa_version(w->isa.version))
		snprintf(out, 13, "00%.3s0", w->isa.version + 2); /* 00401 -> 004010 */
	else
		snprintf(out, 13, "004010");
}

/* Open the 997/999 for one inbound group: GS, ST, AK1. */
int ack_group_begin(struct ack_writer *w, const struct x12_gs *gs, uint64_t gs06, uint64_t st02)
{
	if (!w || !gs)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (w->in_group || w->finished || w->p.type == ACK_TA1_ONLY || strcmp(gs->fid, "FA") == 0)
		return -EINVAL;
	if (gs06 > ACK_CTL_MAX || st02 > ACK_CTL_MAX)
		return -ERANGE;
	if (w->tmpfd < 0) {
		int rc = file_tmp_anon(&w->tmpfd, "ack");
		if (rc < 0) {
			log_error("ack: cannot create a temporary file: %s", strerror(-rc));
			return rc;
		}
	}
	char version[13];
	group_version(w, gs, version);
	uint64_t v = gs_version(version);
	w->allow_rep = v >= 4020;
	w->gs_v = v;
	w->gs06 = gs06;
	w->st02 = st02;
	w->seg_count = 0;
	w->ntxn = w->naccepted = 0;

	struct segw s;
	sw_begin(&s, &w->out, w, "GS");
	sw_el(&s, "FA");
	sw_el(&s, gs->receiver);
	sw_el(&s, gs->sender);
	sw_el(&s, v && v < 4010 ? w->yymmdd : w->ccyymmdd);
	sw_el(&s, w->hhmm);
	sw_u64(&s, gs06);
	sw_el(&s, "X");
	sw_el(&s, version);
	sw_end(&s);

	sw_begin(&s, &w->out, w, "ST");
	sw_el(&s, w->p.type == ACK_999 ? "999" : "997");
	sw_ctl(&s, st02, 4);
	if (w->p.type == ACK_999)
		sw_el(&s, ACK_999_VERSION);
	tx_end(w, &s);

	sw_begin(&s, &w->out, w, "AK1");
	sw_el(&s, gs->fid);
	sw_el(&s, gs->gcn);
	if (w->p.type == ACK_999)
		sw_el(&s, gs->version);
	tx_end(w, &s);

	w->in_group = 1;
	w->ngroups++;
	return maybe_flush(w);
}

/* ------------------------------------------------------------ AK3 / AK4 */

/* A segment id that fits AK301 (ID 2/3). */
static int seg_id_ok(const char *id)
{
	size_t n = strnlen(id, 4);
	if (n < 2 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* A finding that names a segment we can write in AK3 (position and id expressible). */
static int seg_place_ok(const struct x12_error *e)
{
	return !e->application && seg_id_ok(e->seg_id) && e->seg_pos <= SEG_POS_MAX;
}

/* A segment finding that gets its own AK3. */
static int seg_writable(const struct x12_error *e)
{
	return e->scope == X12_SCOPE_SEGMENT && seg_place_ok(e);
}

/* An element finding that gets an AK4 (position and code expressible). */
static int elem_writable(const struct ack_writer *w, const struct x12_error *e)
{
	return e->scope == X12_SCOPE_ELEMENT && seg_place_ok(e) && e->elem_pos >= 1 &&
	       e->elem_pos <= ELEM_POS_MAX && out_code(w, X12_SCOPE_ELEMENT, e->code);
}

/* Two findings about the same segment occurrence. */
static int same_segment(const struct x12_error *a, const struct x12_error *b)
{
	return a->seg_pos == b->seg_pos && strcmp(a->seg_id, b->seg_id) == 0;
}

/* AK3/IK3 for the segment a finding names, with code (NULL: AK304 left out). */
static void write_ak3(struct ack_writer *w, const struct x12_error *e, const char *code)
{
	struct segw s;
	sw_begin(&s, &w->out, w, w->p.type == ACK_999 ? "IK3" : "AK3");
	sw_el(&s, e->seg_id);
	sw_u64(&s, e->seg_pos);
	size_t nl = strnlen(e->loop_id, sizeof e->loop_id);
	sw_el(&s, nl <= LOOP_ID_MAX ? e->loop_id : NULL);
	sw_el(&s, code);
	tx_end(w, &s);
	/* 999: the business unit the segment belongs to (CTX*PO101:3), right after IK3 */
	if (w->p.type == ACK_999 && e->ctx_name[0] && e->ctx_ref[0]) {
		struct buf v;
		buf_init(&v, 0);
		put_clean(&v, w, e->ctx_name, strnlen(e->ctx_name, sizeof e->ctx_name));
		buf_append(&v, &w->p.delims.comp, 1);
		put_clean(&v, w, e->ctx_ref, strnlen(e->ctx_ref, sizeof e->ctx_ref));
		sw_begin(&s, &w->out, w, "CTX");
		sw_raw(&s, v.data);
		tx_end(w, &s);
		buf_free(&v);
	}
}

/* AK4/IK4 for an element finding. */
static void write_ak4(struct ack_writer *w, const struct x12_error *e)
{
	const char c = w->p.delims.comp;
	char pos[32];
	int comp = e->comp_pos >= 1 && e->comp_pos <= ELEM_POS_MAX ? e->comp_pos : 0;
	int rep = w->allow_rep && e->rep_pos >= 1 && e->rep_pos <= REP_POS_MAX ? e->rep_pos : 0;
	if (rep && comp)
		snprintf(pos, sizeof pos, "%d%c%d%c%d", e->elem_pos, c, comp, c, rep);
	else if (rep)
		snprintf(pos, sizeof pos, "%d%c%c%d", e->elem_pos, c, c, rep);
	else if (comp)
		snprintf(pos, sizeof pos, "%d%c%d", e->elem_pos, c, comp);
	else
		snprintf(pos, sizeof pos, "%d", e->elem_pos);

	struct segw s;
	sw_begin(&s, &w->out, w, w->p.type == ACK_999 ? "IK4" : "AK4");
	sw_raw(&s, pos);
	if (e->elem_ref >= 1 && e->elem_ref <= ELEM_REF_MAX)
		sw_u64(&s, (uint64_t)e->elem_ref);
	else
		sw_el(&s, NULL);
	sw_el(&s, out_code(w, X12_SCOPE_ELEMENT, e->code));
	if (e->bad_value) {
		struct buf v;
		buf_init(&v, 0);
		put_clean(&v, w, e->bad_value, strnlen(e->bad_value, BAD_VALUE_MAX));
		int blank = 1;
		for (size_t i = 0; i < v.len; i++)
			blank &= v.data[i] == ' ';
		if (!blank)
			sw_el(&s, v.data);
		buf_free(&v);
	}
	tx_end(w, &s);
}

/*
 * The AK3/AK4 loops of one transaction set. An element finding belongs to the last
 * segment finding for the same segment (position and id) before it, else to the first
 * one after it, else to an AK3 with code 8 made for it (shared by the other element
 * findings of that segment). Loops come out in the order of their first finding.
 */
static void write_details(struct ack_writer *w, const struct x12_errlist *l)
{
	size_t n = l->n;
	if (!n)
		return;
	size_t *grp = xmalloc(n * sizeof *grp);
	unsigned char *done = xcalloc(n, 1);
	for (size_t i = 0; i < n; i++)
		grp[i] = seg_writable(&l->v[i]) ? i : NONE;
	for (size_t j = 0; j < n; j++) {
		const struct x12_error *e = &l->v[j];
		if (!elem_writable(w, e))
			continue;
		size_t owner = NONE;
		for (size_t i = 0; i < j; i++)
			if (l->v[i].scope == X12_SCOPE_SEGMENT && grp[i] == i && same_segment(&l->v[i], e))
				owner = i;
		for (size_t i = j + 1; owner == NONE && i < n; i++)
			if (l->v[i].scope == X12_SCOPE_SEGMENT && grp[i] == i && same_segment(&l->v[i], e))
				owner = i;
		for (size_t i = 0; owner == NONE && i < j; i++)
			if (l->v[i].scope == X12_SCOPE_ELEMENT && grp[i] == i && same_segment(&l->v[i], e))
				owner = i;
		grp[j] = owner == NONE ? j : owner;
	}
	for (size_t i = 0; i < n; i++) {
		size_t g = grp[i];
		if (g == NONE || done[g])
			continue;
		done[g] = 1;
		const struct x12_error *a = &l->v[g];
		write_ak3(w, a, a->scope == X12_SCOPE_SEGMENT ? out_code(w, X12_SCOPE_SEGMENT, a->code)
							       : "8");
		size_t nak4 = 0;
		for (size_t j = 0; j < n; j++) {
			if (l->v[j].scope != X12_SCOPE_ELEMENT || grp[j] != g)
				continue;
			if (w->p.type == ACK_997 && nak4 == ACK_AK4_MAX)
				break;
			write_ak4(w, &l->v[j]);
			nak4++;
		}
	}
	free(done);
	free(grp);
}

/* AK2 .. AK5 (IK5) of one transaction set. */
int ack_txn(struct ack_writer *w, const struct x12_txn_result *res)
{
	if (!w || !res)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!w->in_group)
		return -EINVAL;
	struct x12_txn_result r = *res; /* shallow: finish only sets status and codes */
	if (r.status == 0)
		x12_txn_result_finish(&r);
	if (r.status != 'A' && r.status != 'E' && r.status != 'R')
		return -EINVAL;
	w->ntxn++;
	if (r.status != 'R')
		w->naccepted++;
	if (!r.st01[0] || !r.st02[0])
		return 0; /* no identity to echo in AK2: counted in AK9 only */

	struct segw s;
	sw_begin(&s, &w->out, w, "AK2");
	sw_el(&s, r.st01);
	sw_el(&s, r.st02);
	if (w->p.type == ACK_999)
		sw_el(&s, r.st03);
	tx_end(w, &s);

	write_details(w, &r.errors);

	sw_begin(&s, &w->out, w, w->p.type == ACK_999 ? "IK5" : "AK5");
	char st[2] = { r.status, '\0' };
	sw_el(&s, st);
	sw_codes(&s, X12_SCOPE_TXN, (const char(*)[5])r.codes, r.ncodes);
	tx_end(w, &s);
	return maybe_flush(w);
}

/* AK9, SE and GE of the open group. */
int ack_group_end(struct ack_writer *w, const struct x12_group_result *res)
{
	if (!w || !res)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!w->in_group)
		return -EINVAL;
	char st = res->status;
	int ok = st == 'A' || st == 'E' || st == 'P' || st == 'R';
	if (ok && (st == 'A' || st == 'E'))
		ok = res->accepted == res->received;
	if (ok && st == 'P')
		ok = res->accepted > 0 && res->accepted < res->received;
	if (ok)
		ok = res->accepted == w->naccepted && res->received >= w->ntxn;
	if (!ok) {
		log_error("ack: group %s result does not fit the acknowledged transaction sets "
			  "(AK9 %c, %llu received, %llu accepted; acknowledged %llu, %llu accepted)",
			  res->gs.gcn, st ? st : '-', (unsigned long long)res->received,
			  (unsigned long long)res->accepted, (unsigned long long)w->ntxn,
			  (unsigned long long)w->naccepted);
		return -EINVAL;
	}

	struct segw s;
	sw_begin(&s, &w->out, w, "AK9");
	char a[2] = { st, '\0' };
	sw_el(&s, a);
	sw_u64(&s, res->have_ge ? res->declared : res->received);
	sw_u64(&s, res->received);
	sw_u64(&s, res->accepted);
	sw_codes(&s, X12_SCOPE_GROUP, (const char(*)[5])res->codes, res->ncodes);
	tx_end(w, &s);

	sw_begin(&s, &w->out, w, "SE");
	sw_u64(&s, w->seg_count + 1);
	sw_ctl(&s, w->st02, 4);
	tx_end(w, &s);

	sw_begin(&s, &w->out, w, "GE");
	sw_u64(&s, 1);
	sw_u64(&s, w->gs06);
	sw_end(&s);

	w->in_group = 0;
	return maybe_flush(w);
}

/* ------------------------------------------------------------ finish */

/* The envelope is in error per the interchange result. */
static int envelope_error(const struct x12_interchange_result *res)
{
	return !res->envelope_ok || res->ta1_status == 'R' || res->ta1_status == 'E' ||
	       (res->ta1_code[0] && strcmp(res->ta1_code, "000") != 0);
}

/* Copy the temporary file to fd. */
static int copy_groups(struct ack_writer *w, int fd)
{
	char *chunk = xmalloc(FLUSH_AT);
	int rc = 0;
	for (uint64_t off = 0; off < w->tmp_len;) {
		uint64_t left = w->tmp_len - off;
		size_t want = left < FLUSH_AT ? (size_t)left : FLUSH_AT;
		ssize_t got = pread(w->tmpfd, chunk, want, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = got < 0 ? -errno : -EIO;
			goto out;
		}
		if ((rc = write_all(fd, chunk, (size_t)got)) < 0)
			goto out;
		off += (uint64_t)got;
	}
out:
	free(chunk);
	return rc;
}

/* Write ISA, TA1, the groups and IEA to fd. */
int ack_writer_finish(struct ack_writer *w, const struct x12_interchange_result *res, int fd,
		      int *written)
{
	int wr = 0, rc = 0;
	struct buf head;
	buf_init(&head, 0);
	if (!w || !res) {
		rc = -EINVAL;
		goto out;
	}
	if (w->err) {
		rc = w->err;
		goto out;
	}
	if (w->in_group) {
		rc = -EINVAL;
		goto out;
	}
	w->finished = 1;
	int env_err = envelope_error(res);
	int groups = res->ta1_status != 'R' && w->ngroups > 0;
	/* a requested TA1 answers an interchange with something to acknowledge, never acks only */
	int acked = w->p.type == ACK_TA1_ONLY ? res->transactions > 0 : w->ngroups > 0;
	int ta1 = (env_err && (w->p.want_ta1 || w->p.ta1_on_error)) || (w->p.want_ta1 && acked);
	if (!ta1 && !groups)
		goto out;
	if (ta1 && ((res->ta1_status != 'A' && res->ta1_status != 'E' && res->ta1_status != 'R') ||
		    strlen(res->ta1_code) != 3 || !digits(res->ta1_code, 3, &(uint64_t){ 0 }))) {
		log_error("ack: interchange %s: no TA1 status/code in the result", w->isa.icn);
		rc = -EINVAL;
		goto out;
	}
	if (groups && (rc = flush(w)) < 0)
		goto out;

	buf_append(&head, w->isa_seg, ISA_LEN);
	struct segw s;
	if (ta1) {
		char icn[16];
		uint64_t v = 0;
		size_t n = strlen(w->isa.icn);
		if (n < 9 && digits(w->isa.icn, n, &v))
			snprintf(icn, sizeof icn, "%09llu", (unsigned long long)v); /* TA101 is N0 9/9 */
		else
			snprintf(icn, sizeof icn, "%s", w->isa.icn);
		char st[2] = { res->ta1_status, '\0' };
		sw_begin(&s, &head, w, "TA1");
		sw_el(&s, icn);
		sw_el(&s, w->isa.date);
		sw_el(&s, w->isa.time);
		sw_el(&s, st);
		sw_el(&s, res->ta1_code);
		sw_end(&s);
	}
	if ((rc = write_all(fd, head.data, head.len)) < 0)
		goto out;
	if (groups && (rc = copy_groups(w, fd)) < 0)
		goto out;
	buf_reset(&head);
	sw_begin(&s, &head, w, "IEA");
	sw_u64(&s, groups ? w->ngroups : 0);
	sw_ctl(&s, w->p.isa13, 9);
	sw_end(&s);
	if ((rc = write_all(fd, head.data, head.len)) < 0)
		goto out;
	wr = 1;
out:
	buf_free(&head);
	if (written)
		*written = wr;
	return rc;
}
