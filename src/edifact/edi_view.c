/*
 * edi_view.c — an EDIFACT message seen as an X12 transaction set (struct edi_view), so
 * the definition validator and the map engine written for X12 run on EDIFACT too; and
 * edi_seg_val, the accessor for one decoded component.
 *
 * Functions: edi_seg_val, edi_view_build, edi_view_free.
 *
 * Ownership: the view owns its segment records, spans and arena; they borrow nothing
 * from the message (the message is valid during a callback only, the view until the
 * next edi_view_build or edi_view_free). A rebuild reuses the memory.
 *
 * Limits: the view holds what the message holds (bounded by edi_limits.max_msg_bytes
 * when the message came from edi_parse) plus one separator byte per component and
 * repetition; sizes are computed with overflow checks (-EINVAL when they would wrap).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edifact/edifact.h"

/* Component comp (1-based) of data element elem (1-based) of s, first repetition. */
struct edi_val edi_seg_val(const struct edi_seg *s, size_t elem, size_t comp)
{
	struct edi_val none = { NULL, 0 };
	if (!s || elem == 0 || comp == 0 || elem > s->nelem || !s->elem)
		return none;
	const struct edi_elem *e = &s->elem[elem];
	if (comp > e->ncomp || !e->comp)
		return none;
	return e->comp[comp - 1];
}

/* a + b into *out unless it overflows (then 0). */
static int add_ok(size_t *out, size_t a, size_t b)
{
	if (a > SIZE_MAX - b)
		return 0;
	*out = a + b;
	return 1;
}

/* Bytes of one data element in the view: components joined by EDI_VIEW_COMP, repetitions
 * by EDI_VIEW_REP; SIZE_MAX when the sum would overflow. */
static size_t elem_bytes(const struct edi_elem *e)
{
	size_t n = 0;
	for (const struct edi_elem *r = e; r; r = r->next) {
		if (r != e && !add_ok(&n, n, 1))
			return SIZE_MAX;
		for (size_t k = 0; k < r->ncomp; k++)
			if (!add_ok(&n, n, r->comp[k].n + (k > 0)))
				return SIZE_MAX;
	}
	return n;
}

/* Grow *p (of *cap items of size bytes) to at least need items. */
static int reserve(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -EINVAL;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return -EINVAL;
	*p = xrealloc(*p, n * size);
	*cap = n;
	return 0;
}

/* Build (or rebuild, reusing memory) the view of msg. */
int edi_view_build(struct edi_view *v, const struct edi_msg *msg)
{
	if (!v || !msg || (msg->nseg && !msg->segs))
		return -EINVAL;
	/* sizes first, so that nothing moves once pointers are handed out */
	size_t nspan = 0, nbytes = 0;
	for (size_t i = 0; i < msg->nseg; i++) {
		const struct edi_seg *s = &msg->segs[i];
		if (!add_ok(&nspan, nspan, s->nelem) || !add_ok(&nspan, nspan, 1))
			return -EINVAL;
		if (!add_ok(&nbytes, nbytes, strnlen(s->tag, sizeof s->tag)))
			return -EINVAL;
		for (size_t k = 1; k <= s->nelem; k++) {
			size_t b = elem_bytes(&s->elem[k]);
			if (b == SIZE_MAX || !add_ok(&nbytes, nbytes, b))
				return -EINVAL;
		}
	}
	int rc;
	if ((rc = reserve((void **)&v->segs, &v->cap_segs, msg->nseg, sizeof *v->segs)) < 0 ||
	    (rc = reserve((void **)&v->spans, &v->cap_spans, nspan, sizeof *v->spans)) < 0 ||
	    (rc = reserve((void **)&v->arena, &v->cap_arena, nbytes + 1, 1)) < 0)
		return rc;
	char *a = v->arena;
	size_t used = 0, si = 0;
	for (size_t i = 0; i < msg->nseg; i++) {
		const struct edi_seg *s = &msg->segs[i];
		struct x12_tseg *t = &v->segs[i];
		memset(t, 0, sizeof *t);
		size_t tl = strnlen(s->tag, sizeof s->tag);
		memcpy(t->id, s->tag, tl < 3 ? tl : 3);
		t->nelem = s->nelem;
		t->elem = &v->spans[si];
		t->file_seg = s->file_seg;
		t->line = s->line;
		t->offset = s->offset;
		memcpy(a + used, s->tag, tl);
		v->spans[si++] = (struct span){ a + used, tl };
		used += tl;
		for (size_t k = 1; k <= s->nelem; k++) {
			size_t start = used;
			for (const struct edi_elem *r = &s->elem[k]; r; r = r->next) {
				if (r != &s->elem[k])
					a[used++] = EDI_VIEW_REP;
				for (size_t c = 0; c < r->ncomp; c++) {
					if (c > 0)
						a[used++] = EDI_VIEW_COMP;
					if (r->comp[c].n) {
						memcpy(a + used, r->comp[c].p, r->comp[c].n);
						used += r->comp[c].n;
					}
				}
			}
			v->spans[si++] = (struct span){ a + start, used - start };
		}
	}
	a[used] = '\0';
	v->used_arena = used;
	v->delims.elem = '+';
	v->delims.comp = EDI_VIEW_COMP;
	v->delims.rep = EDI_VIEW_REP;
	v->delims.seg = '\'';
	memset(&v->txn, 0, sizeof v->txn);
	v->txn.nseg = msg->nseg;
	v->txn.segs = v->segs;
	v->txn.delims = &v->delims;
	v->txn.isa = NULL;
	v->txn.gs = NULL;
	v->txn.index = msg->index;
	return 0;
}

/* Free the view's memory; the view is empty (and reusable) afterwards. */
void edi_view_free(struct edi_view *v)
{
	if (!v)
		return;
	free(v->segs);
	free(v->spans);
	free(v->arena);
	memset(v, 0, sizeof *v);
}
