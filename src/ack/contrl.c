/*
 * contrl.c — the CONTRL writer (see contrl.h, doc/contrl.md).
 *
 * contrl_writer_new fixes the character set, separators, UNA, UNB and UNH
 * (and tries the UCI once, so an inbound reference we cannot write fails
 * early). contrl_message builds one UCM with its UCS/UCD in a scratch buffer
 * and appends it to the body (outside groups) or to the open group's
 * buffer; contrl_group_end writes the UCF and then moves the group's UCMs
 * behind it. Both buffers spill into anonymous temporary files ($TMPDIR,
 * O_TMPFILE, else an unlinked mkostemp file) every FLUSH_AT bytes.
 * contrl_writer_finish writes [UNA] UNB UNH UCI, the body, UNT and UNZ to
 * the caller's fd. Every value goes through edi_writer, which converts it
 * to the character set and releases service characters, so a partner's
 * reference containing ' or + cannot break a segment.
 *
 * Ownership: the writer owns its copies of the params, the inbound UNB and
 * the open UNG, its buffers, its edi_writer and the temporary files; the
 * results passed in are only read.
 *
 * A level the CONTRL cannot name (a rejected message without 0062/S009, or
 * whose reference the character set cannot carry; a group without 0048) is
 * reported at the level above, as ISO 9735-4 asks for errors in data
 * elements that are copied into the CONTRL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ack/contrl.h"
#include "edifact/edi_writer.h"

#define FLUSH_AT 65536
#define SEG_POS_MAX 999999 /* 0096 n..6 */
#define ELEM_POS_MAX 999   /* 0098 n..3 (counting the tag as 1) */
#define COMP_POS_MAX 999   /* 0104 n..3 */
#define REP_POS_MAX 999999 /* 0136 n..6 */
#define FIELD(x) (x), strnlen((x), sizeof(x))

/* Why a level is rejected: UCI/UCF/UCM 0085, 0013 and S011. */
struct reason {
	int set;
	char code[4]; /* "" when none */
	char tag[4];  /* service segment tag, "" when none */
	int elem, comp, rep;
};

/* A spill file: bytes that do not stay in memory. */
struct spill {
	int fd;       /* -1 until first needed */
	uint64_t len; /* bytes in it */
};

struct contrl_writer {
	struct contrl_params p;
	struct edi_unb unb;
	struct edi_writer *ew;
	int version;
	char unh_version[4], unh_release[4];
	struct buf head; /* [UNA] UNB UNH */
	char errmsg[160];

	struct buf out;       /* body bytes not yet in body.fd */
	struct spill body;
	uint64_t body_segs;   /* UCF/UCM/UCS/UCD segments in the body */
	struct buf mbuf;      /* one message's segments */
	int err;              /* sticky temporary-file error */
	int finished;

	size_t ngroups, nmsgs, nloose, nrejected_groups;
	struct reason esc;    /* a lower level reported at the interchange level */

	/* the open group */
	int in_group;
	struct edi_ung ung;
	struct buf gout;
	struct spill gspill;
	uint64_t gsegs;
	size_t gwritten;      /* UCMs in the group */
	struct reason gesc;   /* a message reported at the group level */
};

/* ------------------------------------------------------------ helpers */

/* A message or group type we never acknowledge. */
static int is_service_type(const char *t, size_t max)
{
	size_t n = strnlen(t, max);
	return (n == 6 && memcmp(t, "CONTRL", 6) == 0) || (n == 6 && memcmp(t, "APERAK", 6) == 0);
}

/* A syntax error code 0085 can carry (an..3, letters and digits). */
static int code_ok(const char *c, size_t max)
{
	size_t n = strnlen(c, max);
	if (n < 1 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char u = (unsigned char)c[i];
		if (!((u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z')))
			return 0;
	}
	return 1;
}

/* A service segment tag 0013 can name. */
static int service_tag(const char *t, size_t max)
{
	static const char *const tags[] = { "UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ" };
	if (strnlen(t, max) != 3)
		return 0;
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (memcmp(t, tags[i], 3) == 0)
			return 1;
	return 0;
}

/* '4' when a non-application finding is in l (or findings were dropped), else '7'. */
static char action_from(const struct x12_errlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].application)
			return '4';
	return l->dropped ? '4' : '7';
}

/* 1 when data element elem (1 = the first after the tag) of service segment tag is a
 * composite, 0 when it is a simple data element, -1 when tag is not a service segment. */
static int service_composite(const char *tag, int elem)
{
#define B(n) (1u << (n))
	static const struct {
		const char *tag;
		unsigned composites; /* bit n: data element n is a composite */
	} segs[] = {
		{ "UNB", B(1) | B(2) | B(3) | B(4) | B(6) },  /* S001 S002 S003 S004 S005 */
		{ "UNG", B(2) | B(3) | B(4) | B(7) },         /* S006 S007 S004 S008 */
		{ "UNH", B(2) | B(4) | B(5) | B(6) | B(7) },  /* S009 S010 S016 S017 S018 */
		{ "UNT", 0 }, { "UNE", 0 }, { "UNZ", 0 }, { "UNA", 0 },
	};
#undef B
	for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++)
		if (strncmp(tag, segs[i].tag, 4) == 0)
			return elem > 0 && elem < 32 && (segs[i].composites >> elem & 1u);
	return -1;
}

/* The reason for a level: code (the result's), placed by the first non-application
 * finding of scope with that code; without a code, the first such finding. */
static void find_reason(struct reason *r, const struct x12_errlist *l, enum x12_scope scope,
			const char *code)
{
	memset(r, 0, sizeof *r);
	r->set = 1;
	const struct x12_error *hit = NULL;
	for (size_t i = 0; i < l->n && !hit; i++) {
		const struct x12_error *e = &l->v[i];
		if (e->scope == scope && !e->application &&
		    (!code[0] || strncmp(e->code, code, sizeof e->code) == 0))
			hit = e;
	}
	const char *c = code[0] ? code : hit ? hit->code : "";
	if (code_ok(c, 4))
		snprintf(r->code, sizeof r->code, "%.3s", c);
	if (hit && service_tag(hit->seg_id, sizeof hit->seg_id)) {
		memcpy(r->tag, hit->seg_id, 3);
		r->elem = hit->elem_pos;
		/* a component position only for composites (the reader says 1 for simple ones) */
		r->comp = service_composite(r->tag, r->elem) == 1 ? hit->comp_pos : 0;
		r->rep = hit->rep_pos;
	}
}

/* An element position 0098 can hold (it counts the tag as 1). */
static int s011_ok(int elem)
{
	return elem >= 1 && elem + 1 <= ELEM_POS_MAX;
}

/* S011 of a finding: 0098 (tag = 1), 0104, 0136 (syntax 4); nothing when the position
 * cannot be written. Returns 1 when written. */
static int put_s011(struct contrl_writer *w, int elem, int comp, int rep)
{
	if (!s011_ok(elem))
		return 0;
	edi_writer_elem_u64(w->ew, (uint64_t)elem + 1);
	if (comp >= 1 && comp <= COMP_POS_MAX)
		edi_writer_comp_u64(w->ew, (uint64_t)comp);
	else
		edi_writer_comp(w->ew, NULL);
	if (w->version >= 4 && rep >= 1 && rep <= REP_POS_MAX)
		edi_writer_comp_u64(w->ew, (uint64_t)rep);
	return 1;
}

/* Action, 0085, 0013, S011 of a UCI/UCF/UCM. */
static void put_action(struct contrl_writer *w, char action, const struct reason *r)
{
	char a[2] = { action, '\0' };
	edi_writer_elem(w->ew, a);
	if (action != '4' || !r)
		return;
	edi_writer_elem(w->ew, r->code);
	if (!r->tag[0])
		return;
	edi_writer_elem(w->ew, r->tag);
	put_s011(w, r->elem, r->comp, r->rep);
}

/* Finish a segment into dst, counting it; keeps the character-set message. */
static int end_seg(struct contrl_writer *w, struct buf *dst, uint64_t *count)
{
	int rc = edi_writer_seg_end(w->ew, dst);
	if (rc == -EILSEQ)
		snprintf(w->errmsg, sizeof w->errmsg, "%s", edi_writer_error(w->ew));
	if (rc == 0 && count)
		(*count)++;
	return rc;
}

/* Record the first reason a lower level gives for rejecting this one. */
static void escalate(struct reason *to, const struct reason *why)
{
	if (!to->set)
		*to = *why;
}

/* ------------------------------------------------------------ temporary files */

/* Move b's bytes to the end of s (opening it when needed). */
static int spill(struct contrl_writer *w, struct spill *s, struct buf *b)
{
	if (w->err)
		return w->err;
	if (!b->len)
		return 0;
	int rc = 0;
	if (s->fd < 0 && (rc = file_tmp_anon(&s->fd, "contrl")) < 0) {
		log_error("contrl: cannot create a temporary file: %s", strerror(-rc));
		w->err = rc;
		return rc;
	}
	if ((rc = write_all(s->fd, b->data, b->len)) < 0) {
		log_error("contrl: cannot write a temporary file: %s", strerror(-rc));
		w->err = rc;
		return rc;
	}
	s->len += b->len;
	buf_reset(b);
	return 0;
}

/* Copy the first s->len bytes of s to fd. */
static int copy_spill(const struct spill *s, int fd)
{
	char *chunk = xmalloc(FLUSH_AT);
	int rc = 0;
	for (uint64_t off = 0; off < s->len;) {
		uint64_t left = s->len - off;
		size_t want = left < FLUSH_AT ? (size_t)left : FLUSH_AT;
		ssize_t got = pread(s->fd, chunk, want, (off_t)off);
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

/* Spill the body or the group once enough bytes are buffered. */
static int maybe_spill(struct contrl_writer *w)
{
	int rc = 0;
	if (w->out.len >= FLUSH_AT)
		rc = spill(w, &w->body, &w->out);
	if (!rc && w->gout.len >= FLUSH_AT)
		rc = spill(w, &w->gspill, &w->gout);
	return rc;
}

/* ------------------------------------------------------------ writer */

/* UCI+0020+S002+S003+action...: the inbound interchange as sent (not swapped). */
static int write_uci(struct contrl_writer *w, struct buf *dst, char action, const struct reason *r)
{
	const struct edi_unb *u = &w->unb;
	edi_writer_seg(w->ew, "UCI");
	edi_writer_elem_n(w->ew, FIELD(u->ref));
	edi_writer_elem_n(w->ew, FIELD(u->sender));
	edi_writer_comp_n(w->ew, FIELD(u->sender_qual));
	edi_writer_comp_n(w->ew, FIELD(u->sender_route));
	edi_writer_elem_n(w->ew, FIELD(u->recipient));
	edi_writer_comp_n(w->ew, FIELD(u->recipient_qual));
	edi_writer_comp_n(w->ew, FIELD(u->recipient_route));
	put_action(w, action, r);
	return end_seg(w, dst, NULL);
}

/* [UNA] UNB UNH of our CONTRL into w->head. */
static int build_head(struct contrl_writer *w)
{
	const struct edi_unb *u = &w->unb;
	struct tm tm;
	char date[9], hhmm[5];
	if (!gmtime_r(&w->p.when, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900)
		return -EINVAL;
	strftime(date, sizeof date, "%Y%m%d", &tm);
	if (w->version < 4) /* YYMMDD before syntax 4 */
		memmove(date, date + 2, 7);
	strftime(hhmm, sizeof hhmm, "%H%M", &tm);
	char ref[16];
	snprintf(ref, sizeof ref, "%09llu", (unsigned long long)w->p.ref);

	if (w->p.una_always || edi_writer_una_needed(w->ew))
		edi_writer_una(w->ew, &w->head);
	struct edi_writer *e = w->ew;
	edi_writer_seg(e, "UNB");
	edi_writer_elem(e, edi_writer_syntax_id(e));
	edi_writer_comp_u64(e, (uint64_t)w->version);
	edi_writer_elem_n(e, FIELD(u->recipient)); /* we send: the inbound recipient is our sender */
	edi_writer_comp_n(e, FIELD(u->recipient_qual));
	edi_writer_comp_n(e, FIELD(u->recipient_route));
	edi_writer_elem_n(e, FIELD(u->sender));
	edi_writer_comp_n(e, FIELD(u->sender_qual));
	edi_writer_comp_n(e, FIELD(u->sender_route));
	edi_writer_elem(e, date);
	edi_writer_comp(e, hhmm);
	edi_writer_elem(e, ref);
	for (int i = 0; i < 5; i++) /* S005, 0026, 0029, 0031 (never set), 0032 */
		edi_writer_elem(e, NULL);
	edi_writer_elem(e, u->test[0] == '1' ? "1" : NULL); /* 0035 */
	int rc = end_seg(w, &w->head, NULL);
	if (rc < 0)
		return rc;

	edi_writer_seg(e, "UNH");
	edi_writer_elem_u64(e, w->p.msg_ref);
	edi_writer_elem(e, "CONTRL");
	edi_writer_comp(e, w->unh_version);
	edi_writer_comp(e, w->unh_release);
	edi_writer_comp(e, "UN");
	edi_writer_comp(e, w->p.unh_assoc);
	if ((rc = end_seg(w, &w->head, NULL)) < 0)
		return rc;

	/* the inbound reference, sender and recipient go into the UCI: try them now */
	struct buf t;
	buf_init(&t, 0);
	rc = write_uci(w, &t, '7', NULL);
	buf_free(&t);
	return rc;
}

/* The edi_writer for the syntax identifier, version and separators we answer with;
 * fallback is the level used when the inbound one cannot be written (*fell_back = 1). */
static int open_edi_writer(struct contrl_writer *w, const char *fallback, int *fell_back)
{
	const struct edi_unb *u = &w->unb;
	const struct contrl_params *p = &w->p;
	*fell_back = 0;
	int v = p->syntax_version;
	if (v == 0)
		v = u->syntax_version >= 1 && u->syntax_version <= 4 ? u->syntax_version : 3;
	else if (v < 1 || v > 4)
		return -EINVAL;
	w->version = v;
	char id[5];
	if (p->syntax_id[0])
		snprintf(id, sizeof id, "%.4s", p->syntax_id);
	else
		snprintf(id, sizeof id, "%.4s", u->syntax_id);
	const struct edi_delims *d = p->delims.elem ? &p->delims : u->delims.elem ? &u->delims : NULL;
	int rc = edi_writer_new(&w->ew, id, v, d);
	if (rc == -ENOTSUP && !p->syntax_id[0]) { /* a level we cannot write */
		*fell_back = 1;
		rc = edi_writer_new(&w->ew, fallback, v, d);
	}
	if (rc == -EINVAL && d == &u->delims) /* the inbound's separators are unusable: ours */
		rc = edi_writer_new(&w->ew, *fell_back ? fallback : id, v, NULL);
	return rc;
}

/* Copy msg's identifier. */
void contrl_msg_id_set(struct contrl_msg_id *id, const struct edi_msg *msg)
{
	memset(id, 0, sizeof *id);
	snprintf(id->type, sizeof id->type, "%.*s", (int)strnlen(msg->type, sizeof msg->type),
		 msg->type);
	snprintf(id->version, sizeof id->version, "%.*s",
		 (int)strnlen(msg->version, sizeof msg->version), msg->version);
	snprintf(id->release, sizeof id->release, "%.*s",
		 (int)strnlen(msg->release, sizeof msg->release), msg->release);
	snprintf(id->agency, sizeof id->agency, "%.*s", (int)strnlen(msg->agency, sizeof msg->agency),
		 msg->agency);
	snprintf(id->assoc, sizeof id->assoc, "%.*s", (int)strnlen(msg->assoc, sizeof msg->assoc),
		 msg->assoc);
}

/* Start a CONTRL for the inbound interchange unb. */
int contrl_writer_new(struct contrl_writer **out, const struct contrl_params *p,
		      const struct edi_unb *unb)
{
	if (!out || !p || !unb)
		return -EINVAL;
	*out = NULL;
	if (p->ref > CONTRL_CTL_MAX || p->msg_ref > CONTRL_CTL_MAX)
		return -ERANGE;
	if (!unb->sender[0] || !unb->recipient[0])
		return -EINVAL;
	if ((p->unh_version[0] != 0) != (p->unh_release[0] != 0))
		return -EINVAL;

	struct contrl_writer *w = xcalloc(1, sizeof *w);
	w->p = *p;
	w->unb = *unb;
	w->body.fd = w->gspill.fd = -1;
	buf_init(&w->head, 0);
	buf_init(&w->out, 0);
	buf_init(&w->mbuf, 0);
	buf_init(&w->gout, 0);
	int fell_back = 0;
	int rc = open_edi_writer(w, "UNOA", &fell_back);
	if (rc < 0)
		goto out;
	if (p->unh_version[0]) {
		snprintf(w->unh_version, sizeof w->unh_version, "%.3s", p->unh_version);
		snprintf(w->unh_release, sizeof w->unh_release, "%.3s", p->unh_release);
	} else {
		snprintf(w->unh_version, sizeof w->unh_version, "%s", w->version >= 4 ? "4" : "D");
		snprintf(w->unh_release, sizeof w->unh_release, "%s", w->version >= 4 ? "1" : "3");
	}
	rc = build_head(w);
	if (rc == -EILSEQ && fell_back) {
		/* an inbound level we cannot write, ids UNOA cannot carry: UNOB, the level the
		 * reader decodes such a UNB with */
		edi_writer_free(w->ew);
		w->ew = NULL;
		buf_reset(&w->head);
		if ((rc = open_edi_writer(w, "UNOB", &fell_back)) == 0)
			rc = build_head(w);
	}
out:
	if (rc < 0) {
		if (rc == -EILSEQ) {
			char *ref = escape_bytes(FIELD(w->unb.ref), 20);
			log_error("contrl: cannot answer interchange %s in %s: %s", ref,
				  w->ew ? edi_writer_syntax_id(w->ew) : "?", w->errmsg);
			free(ref);
		}
		contrl_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

/* Free the writer and close its temporary files. */
void contrl_writer_free(struct contrl_writer *w)
{
	if (!w)
		return;
	if (w->body.fd >= 0)
		close(w->body.fd);
	if (w->gspill.fd >= 0)
		close(w->gspill.fd);
	edi_writer_free(w->ew);
	buf_free(&w->head);
	buf_free(&w->out);
	buf_free(&w->mbuf);
	buf_free(&w->gout);
	free(w);
}

/* Messages reported so far. */
size_t contrl_writer_messages(const struct contrl_writer *w)
{
	return w ? w->nmsgs : 0;
}

/* ------------------------------------------------------------ groups */

/* Forget the open group's UCMs (buffered and spilled). */
static int reset_group(struct contrl_writer *w)
{
	buf_reset(&w->gout);
	w->gsegs = 0;
	w->gwritten = 0;
	if (w->gspill.len) {
		w->gspill.len = 0;
		if (ftruncate(w->gspill.fd, 0) < 0 || lseek(w->gspill.fd, 0, SEEK_SET) < 0) {
			w->err = -errno;
			log_error("contrl: cannot reuse a temporary file: %s", strerror(errno));
			return w->err;
		}
	}
	return 0;
}

/* Open the UCF of one inbound group. */
int contrl_group_begin(struct contrl_writer *w, const struct edi_ung *ung)
{
	if (!w || !ung)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (w->finished || w->in_group || w->nloose ||
	    is_service_type(ung->group_id, sizeof ung->group_id))
		return -EINVAL;
	int rc = reset_group(w);
	if (rc < 0)
		return rc;
	w->in_group = 1;
	w->ung = *ung;
	memset(&w->gesc, 0, sizeof w->gesc);
	w->ngroups++;
	return 0;
}

/* UCF and the group's UCMs. */
int contrl_group_end(struct contrl_writer *w, const struct edi_group_result *res)
{
	if (!w || !res)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!w->in_group)
		return -EINVAL;
	w->in_group = 0;
	int rc = 0;
	char action = res->action == '7' || res->action == '4' ? res->action : action_from(&res->errors);
	struct reason why;
	find_reason(&why, &res->errors, X12_SCOPE_GROUP, res->code);
	if (action == '7' && w->gesc.set) {
		action = '4';
		why = w->gesc;
	}
	if (action == '4')
		w->nrejected_groups++;
	if (w->p.receipt_only || (w->p.errors_only && action == '7' && w->gwritten == 0))
		goto out;

	const struct edi_ung *g = res->ung.ref[0] ? &res->ung : &w->ung;
	buf_reset(&w->mbuf);
	edi_writer_seg(w->ew, "UCF");
	edi_writer_elem_n(w->ew, FIELD(g->ref));
	edi_writer_elem_n(w->ew, FIELD(g->sender));
	edi_writer_comp_n(w->ew, FIELD(g->sender_qual));
	edi_writer_elem_n(w->ew, FIELD(g->recipient));
	edi_writer_comp_n(w->ew, FIELD(g->recipient_qual));
	put_action(w, action, &why);
	rc = end_seg(w, &w->mbuf, NULL);
	if (rc == -EILSEQ || (rc == 0 && !g->ref[0])) {
		/* the group cannot be named: report it (and so its messages) at the interchange */
		escalate(&w->esc, &why);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	buf_append(&w->out, w->mbuf.data, w->mbuf.len);
	w->body_segs++;
	if (action == '7') {
		/* the group's UCMs go behind the UCF: spilled ones first, then the buffered */
		if (w->gspill.len) {
			if ((rc = spill(w, &w->body, &w->out)) < 0)
				goto out;
			if (w->body.fd < 0 && (rc = file_tmp_anon(&w->body.fd, "contrl")) < 0) {
				w->err = rc;
				goto out;
			}
			if ((rc = copy_spill(&w->gspill, w->body.fd)) < 0) {
				log_error("contrl: cannot copy a temporary file: %s", strerror(-rc));
				w->err = rc;
				goto out;
			}
			w->body.len += w->gspill.len;
		}
		buf_append(&w->out, w->gout.data, w->gout.len);
		w->body_segs += w->gsegs;
	}
out:;
	int r2 = reset_group(w);
	if (rc == 0)
		rc = r2;
	if (rc == 0)
		rc = maybe_spill(w);
	return rc;
}

/* ------------------------------------------------------------ messages */

/* A finding that places a segment UCS can name. */
static int in_message(const struct x12_error *e)
{
	return !e->application && (e->scope == X12_SCOPE_SEGMENT || e->scope == X12_SCOPE_ELEMENT) &&
	       e->seg_pos >= 1 && e->seg_pos <= SEG_POS_MAX;
}

/* Sort key of a finding: its segment occurrence, then its order. */
struct fkey {
	uint64_t pos;
	char tag[4];
	size_t idx;
};

/* Order findings by segment occurrence, then by their order in the list. */
static int cmp_fkey(const void *a, const void *b)
{
	const struct fkey *x = a, *y = b;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	int c = strncmp(x->tag, y->tag, sizeof x->tag);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* One UCS: a run of findings about the same segment occurrence. */
struct run {
	size_t first; /* index of its first finding in the list */
	size_t from, to;
};

/* Order runs by their first finding. */
static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * UCS/UCD of a rejected message into dst. One UCS per segment occurrence (position and
 * tag) that has findings, in the order of its first finding; its 0085 is the first
 * segment-level finding's code (none when only its data elements are in error); one UCD
 * per element finding, in order. At most CONTRL_UCS_MAX UCS and CONTRL_UCD_MAX UCD each.
 */
static int write_details(struct contrl_writer *w, const struct x12_errlist *l, struct buf *dst,
			 uint64_t *count)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += in_message(&l->v[i]);
	if (!n)
		return 0;
	struct fkey *k = xmalloc(n * sizeof *k);
	struct run *runs = xmalloc(n * sizeof *runs);
	size_t nk = 0, nr = 0;
	int rc = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct x12_error *e = &l->v[i];
		if (!in_message(e))
			continue;
		k[nk].pos = e->seg_pos;
		memcpy(k[nk].tag, e->seg_id, sizeof k[nk].tag);
		k[nk].tag[3] = '\0';
		k[nk].idx = i;
		nk++;
	}
	qsort(k, nk, sizeof *k, cmp_fkey);
	for (size_t i = 0; i < nk;) {
		size_t j = i + 1;
		while (j < nk && k[j].pos == k[i].pos && strcmp(k[j].tag, k[i].tag) == 0)
			j++;
		runs[nr++] = (struct run){ k[i].idx, i, j };
		i = j;
	}
	qsort(runs, nr, sizeof *runs, cmp_run);
	for (size_t r = 0; r < nr && r < CONTRL_UCS_MAX; r++) {
		const char *code = NULL;
		for (size_t i = runs[r].from; i < runs[r].to && !code; i++) {
			const struct x12_error *e = &l->v[k[i].idx];
			if (e->scope == X12_SCOPE_SEGMENT && code_ok(e->code, sizeof e->code))
				code = e->code;
		}
		edi_writer_seg(w->ew, "UCS");
		edi_writer_elem_u64(w->ew, k[runs[r].from].pos);
		edi_writer_elem(w->ew, code);
		if ((rc = end_seg(w, dst, count)) < 0)
			goto out;
		size_t nucd = 0;
		for (size_t i = runs[r].from; i < runs[r].to && nucd < CONTRL_UCD_MAX; i++) {
			const struct x12_error *e = &l->v[k[i].idx];
			if (e->scope != X12_SCOPE_ELEMENT || !code_ok(e->code, sizeof e->code))
				continue;
			if (!s011_ok(e->elem_pos))
				continue; /* 0098 cannot hold the position */
			edi_writer_seg(w->ew, "UCD");
			edi_writer_elem(w->ew, e->code);
			put_s011(w, e->elem_pos, e->comp_pos, e->rep_pos);
			if ((rc = end_seg(w, dst, count)) < 0)
				goto out;
			nucd++;
		}
	}
out:
	free(runs);
	free(k);
	return rc;
}

/* The UCM (and UCS/UCD) of one message. */
int contrl_message(struct contrl_writer *w, const struct edi_msg_result *res,
		   const struct contrl_msg_id *id)
{
	if (!w || !res || !id)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (w->finished || (!w->in_group && w->ngroups) || is_service_type(res->type, sizeof res->type) ||
	    is_service_type(id->type, sizeof id->type))
		return -EINVAL;
	char action = res->action == '7' || res->action == '4' ? res->action : action_from(&res->errors);
	w->nmsgs++;
	if (!w->in_group)
		w->nloose++;
	if (w->p.receipt_only || (w->p.errors_only && action == '7'))
		return 0;

	struct reason why;
	find_reason(&why, &res->errors, X12_SCOPE_TXN, res->code);
	int named = res->ref[0] && id->type[0] && id->version[0] && id->release[0] && id->agency[0];
	struct buf *dst = w->in_group ? &w->gout : &w->out;
	uint64_t n = 0;
	buf_reset(&w->mbuf);
	edi_writer_seg(w->ew, "UCM");
	edi_writer_elem_n(w->ew, FIELD(res->ref));
	edi_writer_elem_n(w->ew, FIELD(id->type));
	edi_writer_comp_n(w->ew, FIELD(id->version));
	edi_writer_comp_n(w->ew, FIELD(id->release));
	edi_writer_comp_n(w->ew, FIELD(id->agency));
	edi_writer_comp_n(w->ew, FIELD(id->assoc));
	put_action(w, action, &why);
	int rc = end_seg(w, &w->mbuf, &n);
	if (rc == -EILSEQ || (rc == 0 && !named)) {
		/* cannot be named: an accepted one is covered by the level above, a rejected one
		 * rejects the level above */
		if (action == '4')
			escalate(w->in_group ? &w->gesc : &w->esc, &why);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (action == '4' && (rc = write_details(w, &res->errors, &w->mbuf, &n)) < 0)
		return rc;
	buf_append(dst, w->mbuf.data, w->mbuf.len);
	if (w->in_group) {
		w->gsegs += n;
		w->gwritten++;
	} else {
		w->body_segs += n;
	}
	return maybe_spill(w);
}

/* ------------------------------------------------------------ finish */

/* Write [UNA] UNB UNH UCI, the body, UNT, UNZ to fd. */
int contrl_writer_finish(struct contrl_writer *w, const struct edi_interchange_result *res,
			 int fd, int *written)
{
	int wr = 0, rc = 0;
	struct buf tail;
	buf_init(&tail, 0);
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
	char action = res->action;
	if (action != '7' && action != '4' && action != '8')
		action = res->envelope_ok ? action_from(&res->errors) : '4';
	struct reason why;
	find_reason(&why, &res->errors, X12_SCOPE_INTERCHANGE, res->code);
	if (action != '4' && w->esc.set) {
		action = '4';
		why = w->esc;
	}
	if (action == '7' && w->p.receipt_only)
		action = '8';
	if (action == '7' && w->ngroups && w->nloose) {
		log_error("contrl: interchange mixes groups and messages but was not rejected");
		rc = -EINVAL;
		goto out;
	}
	/* something to report: a message; or a rejection found before any message was read
	 * (with messages read but none reported, they were all CONTRL/APERAK) */
	int rejected = action == '4' || w->nrejected_groups;
	if (!w->nmsgs && !(rejected && res->messages == 0))
		goto out;
	int body = action == '7';
	uint64_t nseg = 3 + (body ? w->body_segs : 0); /* UNH UCI ... UNT */
	if (nseg > CONTRL_SEGMENTS_MAX) {
		log_error("contrl: %llu segments do not fit one CONTRL (UNT 0074 n..6)",
			  (unsigned long long)nseg);
		rc = -E2BIG;
		goto out;
	}
	if (body && (rc = spill(w, &w->body, &w->out)) < 0)
		goto out;
	if ((rc = write_uci(w, &tail, action, &why)) < 0)
		goto out;
	if ((rc = write_all(fd, w->head.data, w->head.len)) < 0 ||
	    (rc = write_all(fd, tail.data, tail.len)) < 0)
		goto out;
	if (body && (rc = copy_spill(&w->body, fd)) < 0)
		goto out;
	buf_reset(&tail);
	edi_writer_seg(w->ew, "UNT");
	edi_writer_elem_u64(w->ew, nseg);
	edi_writer_elem_u64(w->ew, w->p.msg_ref);
	if ((rc = end_seg(w, &tail, NULL)) < 0)
		goto out;
	char ref[16];
	snprintf(ref, sizeof ref, "%09llu", (unsigned long long)w->p.ref);
	edi_writer_seg(w->ew, "UNZ");
	edi_writer_elem(w->ew, "1");
	edi_writer_elem(w->ew, ref);
	if ((rc = end_seg(w, &tail, NULL)) < 0)
		goto out;
	if ((rc = write_all(fd, tail.data, tail.len)) < 0)
		goto out;
	wr = 1;
out:
	buf_free(&tail);
	if (written)
		*written = wr;
	return rc;
}
