/* check_map — map files: the shipped 850 map on 004010 and 005010 orders,
 * paths and conditions, lists, the pair idiom, code tables, formats, X12
 * error codes and positions, totals checks, extends overlays, syntax errors
 * with file:line, map check against the canonical schema, and limits. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canon/canon.h"
#include "canon/canon_path.h"
#include "map/map.h"
#include "testutil.h"

/* Limits of the map module (src/map/map_int.h, documented in edigw-map(5)). */
#define MAX_EXTENDS 8
#define MAX_LIST 100000
#define MAX_DEPTH 8
#define MAX_LOOP_DEPTH 8

#define SET(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static char *g_tmp;
static char *g_rng;
static char *g_850;

static void setup(void)
{
	g_tmp = tu_tmpdir();
	g_rng = tu_srcpath("doc/canonical.rng");
	g_850 = tu_srcpath("maps/x12/850.map");
}

static void teardown(void)
{
	tu_rmtree(g_tmp);
	free(g_tmp);
	free(g_rng);
	free(g_850);
}

/* ------------------------------------------------------- test helpers */

/* A transaction set built from text: segments end at '~' (line breaks after it are
 * ignored), elements are separated by '*'. ISA and GS fill the envelope; GE/IEA are
 * skipped; everything from ST to SE is the transaction set. */
struct tx {
	struct x12_txn txn;
	struct x12_tseg *segs;
	size_t nseg, cap;
	char *text;
	struct x12_delims delims;
	struct x12_isa isa;
	struct x12_gs gs;
};

static void copy_el(char *dst, size_t cap, struct span v)
{
	while (v.n && v.p[v.n - 1] == ' ')
		v.n--;
	if (v.n >= cap)
		v.n = cap - 1;
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
}

static struct tx *tx_parse(const char *s)
{
	struct tx *t = calloc(1, sizeof *t);
	t->text = strdup(s);
	t->delims = (struct x12_delims){ '*', '^', '>', '~' };
	char *p = t->text;
	uint64_t line = 1, fseg = 0;
	int have_env = 0;
	while (*p) {
		while (*p == '\r' || *p == '\n') {
			if (*p == '\n')
				line++;
			p++;
		}
		if (!*p)
			break;
		char *end = strchr(p, '~');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		/* split on '*' */
		size_t nel = 1;
		for (size_t i = 0; i < len; i++)
			nel += p[i] == '*';
		struct span *el = calloc(nel, sizeof *el);
		size_t k = 0, start = 0;
		for (size_t i = 0; i <= len; i++)
			if (i == len || p[i] == '*') {
				el[k].p = p + start;
				el[k].n = i - start;
				k++;
				start = i + 1;
			}
		fseg++;
		char id[4] = { 0 };
		copy_el(id, sizeof id, el[0]);
		if (strcmp(id, "ISA") == 0) {
			copy_el(t->isa.sender_id, sizeof t->isa.sender_id, el[6]);
			copy_el(t->isa.receiver_id, sizeof t->isa.receiver_id, el[8]);
			copy_el(t->isa.version, sizeof t->isa.version, el[12]);
			copy_el(t->isa.icn, sizeof t->isa.icn, el[13]);
			copy_el(t->isa.usage, sizeof t->isa.usage, el[15]);
			t->delims.comp = el[16].n ? el[16].p[0] : '>';
			have_env = 1;
			free(el);
		} else if (strcmp(id, "GS") == 0) {
			copy_el(t->gs.gcn, sizeof t->gs.gcn, el[6]);
			copy_el(t->gs.version, sizeof t->gs.version, el[8]);
			free(el);
		} else if (strcmp(id, "GE") == 0 || strcmp(id, "IEA") == 0) {
			free(el);
		} else {
			if (t->nseg == t->cap) {
				t->cap = t->cap ? t->cap * 2 : 64;
				t->segs = realloc(t->segs, t->cap * sizeof *t->segs);
			}
			struct x12_tseg *g = &t->segs[t->nseg++];
			memset(g, 0, sizeof *g);
			memcpy(g->id, id, sizeof g->id);
			g->nelem = nel - 1;
			g->elem = el;
			g->file_seg = fseg;
			g->line = line;
			g->offset = (uint64_t)(p - t->text);
		}
		p += len + (end ? 1 : 0);
	}
	ck_assert_uint_ge(t->nseg, 1);
	copy_el(t->txn.st01, sizeof t->txn.st01, t->segs[0].nelem >= 1 ? t->segs[0].elem[1] : SPAN_NULL);
	copy_el(t->txn.st02, sizeof t->txn.st02, t->segs[0].nelem >= 2 ? t->segs[0].elem[2] : SPAN_NULL);
	t->txn.nseg = t->nseg;
	t->txn.segs = t->segs;
	t->txn.delims = &t->delims;
	t->txn.isa = have_env ? &t->isa : NULL;
	t->txn.gs = have_env ? &t->gs : NULL;
	t->txn.index = 1;
	return t;
}

static void tx_free(struct tx *t)
{
	for (size_t i = 0; i < t->nseg; i++)
		free(t->segs[i].elem);
	free(t->segs);
	free(t->text);
	free(t);
}

/* Write g_tmp/name. */
static void put_tmp(const char *name, const char *text)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", g_tmp, name);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
}

/* g_tmp/name with text in it; allocated path. */
static char *write_tmp(const char *name, const char *text)
{
	size_t n = strlen(g_tmp) + strlen(name) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", g_tmp, name);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
	return p;
}

/* Load a map from text (file g_tmp/name); fails the test on errors. */
static struct map *map_text(const char *name, const char *text)
{
	char *p = write_tmp(name, text);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, p, &d);
	char *e = tu_diag_text(&d);
	ck_assert_msg(rc == 0 && m, "map %s: %s", name, e);
	free(e);
	diag_list_free(&d);
	free(p);
	return m;
}

/* Load a map from text that must fail; returns the diagnostics. */
static char *map_errors(const char *name, const char *text)
{
	char *p = write_tmp(name, text);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, p, &d);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_null(m);
	char *e = tu_diag_text(&d);
	diag_list_free(&d);
	free(p);
	return e;
}

static struct map *map_file(const char *path)
{
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, path, &d);
	char *e = tu_diag_text(&d);
	ck_assert_msg(rc == 0 && m && d.n == 0, "%s: %s", path, e);
	free(e);
	diag_list_free(&d);
	return m;
}

/* Apply m to the X12 text; errors into errs (which the caller frees). */
static xmlDocPtr apply(const struct map *m, const char *x12, struct x12_errlist *errs)
{
	struct tx *t = tx_parse(x12);
	xmlDocPtr doc = NULL;
	char *key = NULL;
	ck_assert_int_eq(map_apply_x12(m, &t->txn, &doc, errs, &key), 0);
	ck_assert_ptr_nonnull(doc);
	free(key);
	tx_free(t);
	return doc;
}

/* Value at path in the record, "(none)" when absent (allocated). */
static char *get(xmlDocPtr d, const char *path)
{
	char *v = canon_get(xmlDocGetRootElement(d), path);
	return v ? v : strdup("(none)");
}

#define ck_get(doc, path, want)                                   \
	do {                                                      \
		char *v_ = get((doc), (path));                    \
		ck_assert_msg(strcmp(v_, (want)) == 0, "%s: got '%s', want '%s'", (path), v_, \
			      (want));                            \
		free(v_);                                         \
	} while (0)

/* Number of elements at path in the record. */
static size_t count(xmlDocPtr d, const char *path)
{
	struct canon_path p;
	const char *why;
	ck_assert_int_eq(canon_path_parse(&p, path, &why), 0);
	size_t n = canon_path_count(xmlDocGetRootElement(d), &p);
	canon_path_clear(&p);
	return n;
}

struct joinctx {
	const struct canon_path *p;
	struct buf b;
};

/* Append one element's (or attribute's) value to the joined text. */
static int join_one(void *ctx, xmlNodePtr n)
{
	struct joinctx *c = ctx;
	xmlChar *v = c->p->attr ? xmlGetProp(n, c->p->attr) : xmlNodeGetContent(n);
	buf_printf(&c->b, "%s%s", c->b.len ? "|" : "", v ? (const char *)v : "");
	xmlFree(v);
	return 0;
}

/* The values of every element (or attribute) at path, joined by '|' (allocated). */
static char *all(xmlDocPtr d, const char *path)
{
	struct canon_path p;
	const char *why;
	ck_assert_int_eq(canon_path_parse(&p, path, &why), 0);
	struct joinctx c = { &p, { 0 } };
	buf_init(&c.b, 0);
	canon_path_each(xmlDocGetRootElement(d), &p, join_one, &c);
	canon_path_clear(&p);
	return c.b.data ? buf_steal(&c.b) : strdup("");
}

#define ck_all(doc, path, want)                                   \
	do {                                                      \
		char *v_ = all((doc), (path));                    \
		ck_assert_msg(strcmp(v_, (want)) == 0, "%s: got '%s', want '%s'", (path), v_, \
			      (want));                            \
		free(v_);                                         \
	} while (0)

/* All error messages, one per line, for failure output. */
static char *errs_text(const struct x12_errlist *e)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < e->n; i++) {
		char *s = x12_error_describe(&e->v[i]);
		buf_printf(&b, "%s\n", s);
		free(s);
	}
	return b.data ? buf_steal(&b) : strdup("(no errors)");
}

/* The error whose message contains needle, or fail. */
static const struct x12_error *find_err(const struct x12_errlist *e, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->v[i].msg, needle))
			return &e->v[i];
	char *all = errs_text(e);
	ck_abort_msg("no error with '%s' among:\n%s", needle, all);
	free(all);
	return NULL;
}

static void no_errors(const struct x12_errlist *e)
{
	char *all = errs_text(e);
	ck_assert_msg(e->n == 0, "unexpected errors:\n%s", all);
	free(all);
}

static char *serialize(xmlDocPtr d)
{
	struct buf b;
	buf_init(&b, 0);
	ck_assert_int_eq(canon_serialize(d, &b), 0);
	return buf_steal(&b);
}

/* ----------------------------------------------------- the shipped map */

START_TEST(test_850_4010_golden)
{
	struct map *m = map_file(g_850);
	ck_assert_str_eq(map_source_standard(m), "x12");
	ck_assert_str_eq(map_source_type(m), "850");
	ck_assert_str_eq(map_target_kind(m), "order");
	char *p = tu_srcpath("tests/data/map/850-4010.x12");
	char *x12 = tu_read(p, NULL);
	ck_assert_ptr_nonnull(x12);
	struct tx *t = tx_parse(x12);
	xmlDocPtr doc = NULL;
	char *key = NULL;
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(map_apply_x12(m, &t->txn, &doc, &errs, &key), 0);
	no_errors(&errs);
	ck_assert_str_eq(key, "PO-4500012345");
	/* the record holds everything but the partner: the gateway adds it */
	struct buf err;
	buf_init(&err, 0);
	ck_assert_int_eq(canon_validate(doc, g_rng, &err), -EINVAL);
	ck_assert_msg(strstr(err.data, "partner") != NULL, "%s", err.data);
	buf_reset(&err);
	ck_assert_int_eq(canon_set_source(doc, "demo-retailer", &t->txn), 0);
	ck_assert_msg(canon_validate(doc, g_rng, &err) == 0, "%s", err.data);
	char *got = serialize(doc);
	char *gp = tu_srcpath("tests/data/map/850-4010.xml");
	char *want = tu_read(gp, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_str_eq(got, want);
	free(gp);
	free(want);
	free(got);
	buf_free(&err);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	free(key);
	tx_free(t);
	free(x12);
	free(p);
	map_free(m);
}
END_TEST

START_TEST(test_850_5010)
{
	struct map *m = map_file(g_850);
	char *p = tu_srcpath("tests/data/map/850-5010.x12");
	char *x12 = tu_read(p, NULL);
	struct tx *t = tx_parse(x12);
	xmlDocPtr doc = NULL;
	char *key = NULL;
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(map_apply_x12(m, &t->txn, &doc, &errs, &key), 0);
	no_errors(&errs);
	ck_assert_str_eq(key, "PO-4500012400");
	ck_get(doc, "source/version", "005010");
	ck_get(doc, "source/test", "true");
	ck_get(doc, "source/interchange", "000000102");
	ck_get(doc, "purpose", "replace");
	ck_get(doc, "type", "new-order");
	ck_get(doc, "release-number", "2");
	ck_get(doc, "order-date", "2026-11-22");
	ck_get(doc, "contract-number", "CN-889");
	ck_get(doc, "currency", "CAD");
	ck_get(doc, "references/reference[@type=vendor-order]", "SUP-1234");
	ck_get(doc, "dates/date[@type=requested-delivery]", "2026-12-05");
	ck_get(doc, "dates/date[@type=ship-not-before]", "2026-12-01");
	/* header parties only: the N1 inside the second PO1 loop is the line's */
	ck_assert_uint_eq(count(doc, "parties/party"), 2);
	ck_get(doc, "parties/party[@role=ship-to]/address/city", "Reno");
	ck_get(doc, "parties/party[@role=ship-from]/id", "123456789");
	ck_get(doc, "parties/party[@role=ship-from]/id-qualifier", "1");
	ck_assert_uint_eq(count(doc, "lines/line"), 2);
	ck_get(doc, "lines/line/number", "10");
	ck_get(doc, "lines/line/quantity", "100");
	ck_get(doc, "lines/line/unit-price", "0.89");
	ck_get(doc, "lines/line/buyer-item", "RTL-300100");
	ck_get(doc, "lines/line/vendor-item", "CLIP-1");
	ck_get(doc, "lines/line/gtin", "10012345678902");
	ck_get(doc, "lines/line/upc", "(none)");
	/* second line: buyer's item number IN, UPC, description from the PID with PID01=F */
	xmlNodePtr l2 = xmlDocGetRootElement(doc)->last;
	while (l2 && !xmlStrEqual(l2->name, (const xmlChar *)"lines"))
		l2 = l2->prev;
	ck_assert_ptr_nonnull(l2);
	l2 = l2->last;
	char *v = canon_get(l2, "buyer-item");
	ck_assert_str_eq(v, "RTL-300200");
	free(v);
	v = canon_get(l2, "upc");
	ck_assert_str_eq(v, "012345678912");
	free(v);
	v = canon_get(l2, "description");
	ck_assert_str_eq(v, "Copy paper A4");
	free(v);
	ck_get(doc, "totals/line-count", "2");
	canon_set_source(doc, "demo-retailer", NULL);
	struct buf err;
	buf_init(&err, 0);
	ck_assert_msg(canon_validate(doc, g_rng, &err) == 0, "%s", err.data);
	buf_free(&err);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	free(key);
	tx_free(t);
	free(x12);
	free(p);
	map_free(m);
}
END_TEST

/* The demo retailer's samples go through the shipped map and profile. */
START_TEST(test_850_to_erp_csv)
{
	struct map *m = map_file(g_850);
	char *pp = tu_srcpath("maps/erp/order-csv.map");
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *prof = NULL;
	ck_assert_int_eq(erp_profile_load(&prof, pp, &d), 0);
	char *p = tu_srcpath("tests/data/map/850-4010.x12");
	char *x12 = tu_read(p, NULL);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, x12, &errs);
	no_errors(&errs);
	canon_set_source(doc, "demo-retailer", NULL);
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	ck_assert_msg(erp_render(prof, doc, &out, &err) == 0, "%s", err.data);
	ck_assert_str_eq(out.data,
			 "H,PO-4500012345,original,stand-alone,2026-11-22,,USD,0001,Demo Retail Inc.,"
			 "0007,Demo Retail DC 7,1200 Distribution Way,Dock 4,Columbus,OH,43215,US,"
			 "2026-12-01,,2026-12-15,042,3,demo-retailer\r\n"
			 "L,PO-4500012345,1,RTL-100234,WID-9,012345678905,,24,EA,12.5,"
			 "\"Blue widget, large\",2026-12-03\r\n"
			 "L,PO-4500012345,2,RTL-100777,GAD-2,,,6,CA,48,"
			 "\"Gadget \"\"Pro\"\", 12 per case\",\r\n"
			 "L,PO-4500012345,3,,BULK-77,,4006381333931,1.5,LB,7.25,Loose   nuts   (bulk),\r\n");
	buf_free(&out);
	buf_free(&err);
	xmlFreeDoc(doc);
	x12_errlist_free(&errs);
	free(x12);
	free(p);
	erp_profile_free(prof);
	diag_list_free(&d);
	free(pp);
	map_free(m);
}
END_TEST

START_TEST(test_shipped_map_check)
{
	struct diag_list d;
	diag_list_init(&d);
	int rc = map_check(g_850, g_rng, &d);
	char *e = tu_diag_text(&d);
	ck_assert_msg(rc == 0 && d.n == 0, "%s", e);
	free(e);
	diag_list_free(&d);
}
END_TEST

/* CTT01 that does not match the PO1 loops: an application error. */
START_TEST(test_ctt_mismatch)
{
	struct map *m = map_file(g_850);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "ST*850*0001~BEG*00*SA*PO-1**20261122~"
			      "PO1*1*2*EA*1~PO1*2*3*EA*1~CTT*3*5~SE*6*0001~",
			      &errs);
	ck_assert_uint_eq(errs.n, 1);
	const struct x12_error *e = &errs.v[0];
	ck_assert_int_eq(e->application, 1);
	ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
	ck_assert_str_eq(e->seg_id, "CTT");
	ck_assert_uint_eq(e->seg_pos, 5);
	ck_assert_int_eq(e->elem_pos, 1);
	ck_assert_int_eq(e->elem_ref, 354);
	ck_assert_str_eq(e->bad_value, "3");
	ck_assert_msg(strstr(e->msg, "totals/line-count: the document says 3 but the record has 2 "
				     "lines/line (check count(lines/line), map ") != NULL, "%s", e->msg);
	ck_assert_ptr_nonnull(strstr(e->msg, "850.map:"));
	/* the 997 is still 'A': only the application rejects it */
	struct x12_txn_result res = { 0 };
	x12_errlist_add(&res.errors, e);
	x12_txn_result_finish(&res);
	ck_assert_int_eq(res.status, 'A');
	ck_assert_int_eq(res.app_rejected, 1);
	x12_txn_result_free(&res);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);

	/* matching count: no error */
	doc = apply(m, "ST*850*0001~BEG*00*SA*PO-1**20261122~PO1*1*2*EA*1~PO1*2*3*EA*1~CTT*2~SE*6*0001~",
		    &errs);
	no_errors(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* Required things missing: AK4 code 1 and AK3 code 3 with positions. */
START_TEST(test_required_missing)
{
	struct map *m = map_file(g_850);
	struct x12_errlist errs = { 0 };
	/* BEG03 empty, BEG05 fine; second PO1 without a quantity */
	xmlDocPtr doc = apply(m,
			      "ST*850*0001~BEG*00*SA***20261122~"
			      "PO1*1*2*EA*1~PO1*2**EA*1~CTT*2~SE*6*0001~",
			      &errs);
	ck_assert_uint_eq(errs.n, 2);
	const struct x12_error *e = find_err(&errs, "po-number");
	ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
	ck_assert_str_eq(e->code, "1");
	ck_assert_str_eq(e->seg_id, "BEG");
	ck_assert_uint_eq(e->seg_pos, 2);
	ck_assert_int_eq(e->elem_pos, 3);
	ck_assert_int_eq(e->elem_ref, 324);
	ck_assert_int_eq(e->application, 0);
	ck_assert_msg(strstr(e->msg, "po-number: BEG03 is required but empty or missing (map ") !=
		      NULL, "%s", e->msg);
	e = find_err(&errs, "lines/line[2]/quantity");
	ck_assert_str_eq(e->code, "1");
	ck_assert_str_eq(e->seg_id, "PO1");
	ck_assert_uint_eq(e->seg_pos, 4);
	ck_assert_int_eq(e->elem_pos, 2);
	ck_assert_int_eq(e->elem_ref, 330);
	ck_assert_str_eq(e->loop_id, "PO1");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);

	/* no BEG at all: one AK3 code 3 (not one per field), and no PO1 loop */
	doc = apply(m, "ST*850*0001~CUR*BY*USD~CTT*0~SE*4*0001~", &errs);
	char *all = errs_text(&errs);
	ck_assert_msg(errs.n == 2, "%s", all);
	free(all);
	e = find_err(&errs, "no BEG segment");
	ck_assert_int_eq(e->scope, X12_SCOPE_SEGMENT);
	ck_assert_str_eq(e->code, "3");
	ck_assert_str_eq(e->seg_id, "BEG");
	ck_assert_uint_eq(e->seg_pos, 4); /* where it was expected at the latest: SE */
	e = find_err(&errs, "no PO1 loop");
	ck_assert_str_eq(e->code, "3");
	ck_assert_str_eq(e->seg_id, "PO1");
	ck_assert_str_eq(e->loop_id, "PO1");
	ck_assert_ptr_nonnull(strstr(e->msg, "lines/line: required, but there is no PO1 loop"));
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* ----------------------------------------------------- paths and lists */

static const char doc_parties[] =
	"ST*850*0001~"
	"BEG*00*SA*PO-9**20260101*C-1*A>B~"
	"N1*BY*Buyer Co~"
	"N1*BT*Bill Co*92*B7~"
	"N3*1 Bill Street~"
	"N1*ST*Ship Co*92*S1~"
	"N3*2 Ship Road*Door 9~"
	"N4*Dayton*OH~"
	"SE*9*0001~";

START_TEST(test_conditions)
{
	struct map *m = map_text("c.map",
				 "source x12 850\n"
				 "target order\n"
				 "loop N1 = N1 N2 N3 N4\n"
				 "ship-name      N1[N101=ST]/N102\n"
				 "street         N1[N101=BY|BT]/N3/N301       # BY has no N3: BT's\n"
				 "street2        N1[N101=ST]/N302             # implicit N3 step\n"
				 "city           N1[N101=ST]/N4/N401\n"
				 "not-ship-id    N1[N101!=ST][N103=92]/N104\n"
				 "contract       N1[N101=ZZ]/N102|BEG06       # first alternative has none\n"
				 "comp2          BEG07-2\n"
				 "comp1          BEG07-1\n"
				 "comp3          BEG07-3\n"
				 "nobody         N1[N101=ZZ]/N102\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, doc_parties, &errs);
	no_errors(&errs);
	ck_get(doc, "ship-name", "Ship Co");
	ck_get(doc, "street", "1 Bill Street");
	ck_get(doc, "street2", "Door 9");
	ck_get(doc, "city", "Dayton");
	ck_get(doc, "not-ship-id", "B7");
	ck_get(doc, "contract", "C-1");
	ck_get(doc, "comp1", "A");
	ck_get(doc, "comp2", "B");
	ck_get(doc, "comp3", "(none)");
	ck_get(doc, "nobody", "(none)");
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

START_TEST(test_each_lists)
{
	struct map *m = map_text("e.map",
				 "source x12 850\n"
				 "target order\n"
				 "loop N1  = N1 N3\n"
				 "loop PO1 = PO1 PID REF SCH\n"
				 "loop SCH = SCH\n"
				 "references/reference   each REF\n"
				 "  @type                REF01\n"
				 "  .                    REF02\n"
				 "parties/party          each N1[N101=ST|BT]\n"
				 "  @role                N101\n"
				 "  address/line1        N3/N301\n"
				 "lines/line             each PO1\n"
				 "  number               PO101      default $index\n"
				 "  position             $index\n"
				 "  kind                 \"goods\"\n"
				 "  schedules/schedule   each SCH\n"
				 "    quantity           SCH01\n"
				 "    pos                $index\n"
				 "  references/reference each REF\n"
				 "    @type              REF01\n"
				 "    .                  REF02\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "ST*850*0001~BEG*00*SA*PO-9**20260101~REF*DP*042~REF*IA*777~"
			      "N1*BY*Buyer~N3*Buyer street~N1*ST*Ship~N3*Ship street~"
			      "PO1*7*1*EA~SCH*5*EA~SCH*6*EA~REF*LI*L1~"
			      "PO1**2*EA~PID*F****x~"
			      "SE*15*0001~",
			      &errs);
	no_errors(&errs);
	char *x = serialize(doc);
	const char *want =
		"  <references>\n"
		"    <reference type=\"DP\">042</reference>\n"
		"    <reference type=\"IA\">777</reference>\n"
		"  </references>\n"
		"  <parties>\n"
		"    <party role=\"ST\">\n"
		"      <address>\n"
		"        <line1>Ship street</line1>\n"
		"      </address>\n"
		"    </party>\n"
		"  </parties>\n"
		"  <lines>\n"
		"    <line>\n"
		"      <number>7</number>\n"
		"      <position>1</position>\n"
		"      <kind>goods</kind>\n"
		"      <schedules>\n"
		"        <schedule>\n"
		"          <quantity>5</quantity>\n"
		"          <pos>1</pos>\n"
		"        </schedule>\n"
		"        <schedule>\n"
		"          <quantity>6</quantity>\n"
		"          <pos>2</pos>\n"
		"        </schedule>\n"
		"      </schedules>\n"
		"      <references>\n"
		"        <reference type=\"LI\">L1</reference>\n"
		"      </references>\n"
		"    </line>\n"
		"    <line>\n"
		"      <number>2</number>\n"
		"      <position>2</position>\n"
		"      <kind>goods</kind>\n"
		"    </line>\n"
		"  </lines>\n"
		"</order>\n";
	ck_assert_msg(strstr(x, want) != NULL, "%s", x);
	free(x);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

START_TEST(test_pair)
{
	struct map *m = map_text("p.map",
				 "source x12 850\n"
				 "target order\n"
				 "loop PO1 = PO1\n"
				 "lines/line   each PO1\n"
				 "  buyer      pair PO106 BP\n"
				 "  upc        pair PO106 UP|UK      # UP wins even when UK comes first\n"
				 "  vendor     pair PO106 VN         required\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "ST*850*0001~"
			      "PO1*1*1*EA*1**UK*GTIN14*BP*B1*UP*U1*VN*V1~"
			      "PO1*2*1*EA*1**UK*GTIN14*BP*B2~"
			      "PO1*3*1*EA*1**VN**BP*B3~"
			      "SE*5*0001~",
			      &errs);
	ck_get(doc, "lines/line/buyer", "B1");
	ck_get(doc, "lines/line/upc", "U1");
	ck_get(doc, "lines/line/vendor", "V1");
	ck_assert_uint_eq(errs.n, 2);
	/* line 2: no VN qualifier at all → reported on the first qualifier element */
	const struct x12_error *e = find_err(&errs, "lines/line[2]/vendor");
	ck_assert_str_eq(e->code, "1");
	ck_assert_uint_eq(e->seg_pos, 3);
	ck_assert_int_eq(e->elem_pos, 6);
	ck_assert_int_eq(e->elem_ref, 235);
	ck_assert_ptr_nonnull(strstr(e->msg, "no qualifier VN"));
	/* line 3: VN present, its value empty → the value element */
	e = find_err(&errs, "lines/line[3]/vendor");
	ck_assert_uint_eq(e->seg_pos, 4);
	ck_assert_int_eq(e->elem_pos, 7);
	ck_assert_int_eq(e->elem_ref, 234);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

START_TEST(test_code_tables)
{
	struct map *m = map_text("t.map",
				 "source x12 850\n"
				 "target order\n"
				 "table purpose 00=original 01=cancellation\n"
				 "table purpose 05=replace                  # tables may span lines\n"
				 "table other   SA=stand-alone *=other\n"
				 "table pass    SA=stand-alone *=*\n"
				 "purpose   BEG01  code purpose\n"
				 "type      BEG02  code other\n"
				 "type2     BEG02  code pass\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, "ST*850*0001~BEG*05*SA*X~SE*3*0001~", &errs);
	no_errors(&errs);
	ck_get(doc, "purpose", "replace");
	ck_get(doc, "type", "stand-alone");
	ck_get(doc, "type2", "stand-alone");
	xmlFreeDoc(doc);
	doc = apply(m, "ST*850*0001~BEG*99*ZZ*X~SE*3*0001~", &errs);
	ck_get(doc, "purpose", "(none)");
	ck_get(doc, "type", "other");
	ck_get(doc, "type2", "ZZ");
	ck_assert_uint_eq(errs.n, 1);
	const struct x12_error *e = &errs.v[0];
	ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
	ck_assert_str_eq(e->code, "7");
	ck_assert_str_eq(e->seg_id, "BEG");
	ck_assert_uint_eq(e->seg_pos, 2);
	ck_assert_int_eq(e->elem_pos, 1);
	ck_assert_int_eq(e->elem_ref, 353);
	ck_assert_str_eq(e->bad_value, "99");
	ck_assert_msg(strstr(e->msg, "purpose: BEG01 holds a code that is not in table purpose "
				     "(map ") != NULL, "%s", e->msg);
	ck_assert_ptr_nonnull(strstr(e->msg, "t.map:7)"));
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

static const char fmt_map[] =
	"source x12 850\n"
	"target order\n"
	"d8     DTM[DTM01=001]/DTM02   date CCYYMMDD\n"
	"d6     DTM[DTM01=002]/DTM02   date YYMMDD\n"
	"dx     DTM[DTM01=003]/DTM02   date CCYYMMDD|YYMMDD\n"
	"t      DTM[DTM01=001]/DTM03   time\n"
	"n2     REF[REF01=N2]/REF02    number N2\n"
	"n0     REF[REF01=N0]/REF02    number\n"
	"r      REF[REF01=R]/REF02     decimal\n"
	"trim   REF[REF01=T]/REF02\n"
	"raw    REF[REF01=T]/REF02     raw\n"
	"sq     REF[REF01=T]/REF02     squeeze\n";

/* Apply fmt_map to a transaction set holding segs. */
static xmlDocPtr fmt_apply(struct map *m, const char *segs, struct x12_errlist *errs)
{
	char x12[1024];
	snprintf(x12, sizeof x12, "ST*850*0001~%sSE*9*0001~", segs);
	return apply(m, x12, errs);
}

START_TEST(test_formats)
{
	struct map *m = map_text("f.map", fmt_map);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = fmt_apply(m,
				  "DTM*001*20240229*123045~DTM*002*991231~DTM*003*260105~"
				  "REF*N2*-12345~REF*N0*007~REF*R*-007.50E1~REF*T*  a   b  ~",
				  &errs);
	no_errors(&errs);
	ck_get(doc, "d8", "2024-02-29");
	ck_get(doc, "d6", "1999-12-31");
	ck_get(doc, "dx", "2026-01-05");
	ck_get(doc, "t", "12:30:45");
	ck_get(doc, "n2", "-123.45");
	ck_get(doc, "n0", "7");
	ck_get(doc, "r", "-75");
	ck_get(doc, "trim", "a   b");
	ck_get(doc, "raw", "  a   b  ");
	ck_get(doc, "sq", "a b");
	xmlFreeDoc(doc);

	static const struct {
		const char *segs, *field, *want;
	} ok[] = {
		{ "DTM*002*491231~", "d6", "2049-12-31" },
		{ "DTM*002*500101~", "d6", "1950-01-01" },
		{ "DTM*001*20260101*0930~", "t", "09:30" },
		{ "DTM*001*20260101*09304512~", "t", "09:30:45.12" },
		{ "REF*R*.5~", "r", "0.5" },
		{ "REF*R*12.~", "r", "12" },
		{ "REF*R*-0.000~", "r", "0" },
		{ "REF*R*1E-3~", "r", "0.001" },
		{ "REF*R*2.5E30~", "r", "2500000000000000000000000000000" },
		{ "REF*N2*5~", "n2", "0.05" },
		{ "REF*N2*-100~", "n2", "-1" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		doc = fmt_apply(m, ok[i].segs, &errs);
		no_errors(&errs);
		ck_get(doc, ok[i].field, ok[i].want);
		xmlFreeDoc(doc);
	}

	static const struct {
		const char *segs, *code;
		int elem;
		const char *what;
	} bad[] = {
		{ "DTM*001*20230229~", "8", 2, "DTM02 is not a valid date (CCYYMMDD)" },
		{ "DTM*001*20261301~", "8", 2, "not a valid date" },
		{ "DTM*001*261122~", "8", 2, "not a valid date (CCYYMMDD)" },
		{ "DTM*002*20261122~", "8", 2, "not a valid date (YYMMDD)" },
		{ "DTM*003*2026011~", "8", 2, "(CCYYMMDD or YYMMDD)" },
		{ "DTM*001*20260101*2460~", "9", 3, "DTM03 is not a valid time" },
		{ "DTM*001*20260101*12~", "9", 3, "not a valid time" },
		{ "REF*N2*12.5~", "6", 2, "is not a number (X12 type N2" },
		{ "REF*N0*1a~", "6", 2, "is not a number" },
		{ "REF*R*1.2.3~", "6", 2, "is not a decimal number" },
		{ "REF*R*+5~", "6", 2, "is not a decimal number" },
		{ "REF*R*-~", "6", 2, "is not a decimal number" },
		{ "REF*R*1E31~", "6", 2, "is not a decimal number" },
		{ "REF*N0*1\xe9~", "6", 2, "not text" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		doc = fmt_apply(m, bad[i].segs, &errs);
		char *all = errs_text(&errs);
		ck_assert_msg(errs.n == 1, "%s: %s", bad[i].segs, all);
		free(all);
		const struct x12_error *e = &errs.v[0];
		ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
		ck_assert_msg(strcmp(e->code, bad[i].code) == 0, "%s: code %s", bad[i].segs, e->code);
		ck_assert_uint_eq(e->seg_pos, 2);
		ck_assert_int_eq(e->elem_pos, bad[i].elem);
		ck_assert_ptr_nonnull(e->bad_value);
		ck_assert_msg(strstr(e->msg, bad[i].what) != NULL, "%s: %s", bad[i].segs, e->msg);
		ck_assert_ptr_nonnull(strstr(e->msg, "(map "));
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
	}
	/* the element reference number of the date element */
	doc = fmt_apply(m, "DTM*001*20261301~", &errs);
	ck_assert_int_eq(errs.v[0].elem_ref, 373);
	ck_assert_str_eq(errs.v[0].bad_value, "20261301");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

START_TEST(test_apply_misc)
{
	struct map *m = map_file(g_850);
	/* a map for 850s refuses an 855 */
	struct tx *t = tx_parse("ST*855*0001~BAK*00*AC*PO-1*20261122~SE*3*0001~");
	xmlDocPtr doc = (xmlDocPtr)1;
	ck_assert_int_eq(map_apply_x12(m, &t->txn, &doc, NULL, NULL), -EINVAL);
	ck_assert_ptr_null(doc);
	tx_free(t);
	/* errs and business_key may be NULL; the record is still built */
	t = tx_parse("ST*850*0001~BEG*00*SA*PO-7**20261399~SE*3*0001~");
	ck_assert_int_eq(map_apply_x12(m, &t->txn, &doc, NULL, NULL), 0);
	ck_get(doc, "po-number", "PO-7");
	ck_get(doc, "source/document-type", "850");
	ck_get(doc, "source/transaction", "0001");
	xmlFreeDoc(doc);
	tx_free(t);
	map_free(m);
}
END_TEST

/* ----------------------------------------------------------- extends */

static const char base_map[] =
	"map     base\n"
	"source  x12 850\n"
	"target  order\n"
	"key     po-number\n"
	"loop PO1 = PO1 PID\n"
	"table purpose 00=original\n"
	"po-number        BEG03        required\n"
	"purpose          BEG01        code purpose\n"
	"contract-number  BEG06\n"
	"lines/line       each PO1\n"
	"  quantity       PO102        decimal\n"
	"  unit           PO103\n"
	"  unit-price     PO104        decimal\n";

START_TEST(test_extends_overlay)
{
	char *b = write_tmp("base.map", base_map);
	struct map *m = map_text("acme.map",
				 "extends base.map\n"
				 "map acme-850\n"
				 "table purpose  99=special        # a new code\n"
				 "table uom      EA=each CA=case\n"
				 "po-number        BEG03|BEG04     # replaced: falls back to BEG04\n"
				 "release-number   BEG04           # added\n"
				 "contract-number  -               # dropped\n"
				 "lines/line       each PO1\n"
				 "  unit           PO103   code uom\n"
				 "  unit-price     -\n"
				 "  description    PID05\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "ST*850*0001~BEG*99*SA**R-1**C-9~PO1*1*2*EA*3.5~PID*F****Thing~SE*5*0001~",
			      &errs);
	no_errors(&errs);
	ck_get(doc, "po-number", "R-1");
	ck_get(doc, "purpose", "special");
	ck_get(doc, "release-number", "R-1");
	ck_get(doc, "contract-number", "(none)");
	ck_get(doc, "lines/line/quantity", "2");
	ck_get(doc, "lines/line/unit", "each");
	ck_get(doc, "lines/line/unit-price", "(none)");
	ck_get(doc, "lines/line/description", "Thing");
	/* order of the fields: base lines keep their place, additions come last */
	char *x = serialize(doc);
	const char *po = strstr(x, "<po-number>"), *pu = strstr(x, "<purpose>"),
		   *li = strstr(x, "<lines>"), *rel = strstr(x, "<release-number>");
	ck_assert(po && pu && li && rel && po < pu && pu < li && li < rel);
	free(x);
	/* the base alone still has the original lines */
	xmlFreeDoc(doc);
	map_free(m);
	m = map_file(b);
	doc = apply(m, "ST*850*0001~BEG*00*SA*P-1*R-1**C-9~PO1*1*2*EA*3.5~SE*4*0001~", &errs);
	no_errors(&errs);
	ck_get(doc, "contract-number", "C-9");
	ck_get(doc, "lines/line/unit", "EA");
	ck_get(doc, "lines/line/unit-price", "3.5");
	xmlFreeDoc(doc);
	map_free(m);

	/* an overlay of an overlay; an each line can change only its options */
	put_tmp("acme.map", "extends base.map\npo-number BEG04\n");
	m = map_text("acme-east.map",
		     "extends acme.map\n"
		     "purpose      BEG01   code purpose2\n"
		     "table purpose2 00=new\n"
		     "lines/line   each PO1   max 1\n");
	doc = apply(m, "ST*850*0001~BEG*00*SA*P-1*R-2~PO1*1*2*EA~PO1*2*3*EA~SE*5*0001~", &errs);
	ck_get(doc, "po-number", "R-2");
	ck_get(doc, "purpose", "new");
	ck_get(doc, "lines/line/unit", "EA"); /* the base's children are kept */
	ck_assert_uint_eq(count(doc, "lines/line"), 1);
	ck_assert_uint_eq(errs.n, 1); /* the second PO1 is over the new max */
	ck_assert_str_eq(errs.v[0].code, "4");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);

	/* dropping what is not there is a warning, not an error */
	char *p = write_tmp("warn.map", "extends base.map\ncolour -\n");
	struct diag_list d;
	diag_list_init(&d);
	m = NULL;
	ck_assert_int_eq(map_load(&m, p, &d), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(d.v[0].warning, 1);
	ck_assert_uint_eq(d.v[0].line, 2);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "nothing to drop"));
	diag_list_free(&d);
	map_free(m);
	free(p);

	/* an overlay may not change what the map reads or writes */
	char *e = map_errors("other.map", "extends base.map\nsource x12 855\ntarget invoice\n");
	ck_assert_msg(strstr(e, "other.map:2: source x12 855 differs from the map it extends") != NULL,
		      "%s", e);
	ck_assert_msg(strstr(e, "other.map:3: target invoice differs") != NULL, "%s", e);
	free(e);
	free(b);
}
END_TEST

START_TEST(test_extends_cycle)
{
	put_tmp("a.map", "extends b.map\npo-number BEG03\n");
	put_tmp("b.map", "source x12 850\ntarget order\nextends c.map\n");
	char *e = map_errors("c.map", "# c\nextends a.map\n");
	/* loading c: c -> a -> b -> c */
	ck_assert_msg(strstr(e, "b.map:3: extends cycle: ") != NULL, "%s", e);
	ck_assert_ptr_nonnull(strstr(e, "c.map -> "));
	free(e);
	e = map_errors("self.map", "extends self.map\n");
	ck_assert_msg(strstr(e, "self.map:1: extends cycle") != NULL, "%s", e);
	free(e);
	e = map_errors("missing.map", "\n\nextends nowhere.map\n");
	ck_assert_msg(strstr(e, "missing.map:3: cannot read the map it extends") != NULL, "%s", e);
	free(e);
}
END_TEST

/* A chain of n overlays over a base: one below, at and above MAX_EXTENDS. */
START_TEST(test_extends_depth)
{
	for (int n = MAX_EXTENDS - 1; n <= MAX_EXTENDS + 1; n++) {
		char name[32], text[128];
		put_tmp("x0.map", "source x12 850\ntarget order\npo-number BEG03\n");
		for (int i = 1; i <= n; i++) {
			snprintf(name, sizeof name, "x%d.map", i);
			snprintf(text, sizeof text, "extends x%d.map\nrelease-number BEG0%d\n", i - 1,
				 i % 9 + 1);
			put_tmp(name, text);
		}
		snprintf(name, sizeof name, "%s/x%d.map", g_tmp, n);
		struct diag_list d;
		diag_list_init(&d);
		struct map *m = NULL;
		int rc = map_load(&m, name, &d);
		char *e = tu_diag_text(&d);
		if (n <= MAX_EXTENDS) {
			ck_assert_msg(rc == 0, "%d: %s", n, e);
		} else {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_msg(strstr(e, "x1.map:1: extends chain too deep") != NULL, "%s", e);
		}
		free(e);
		diag_list_free(&d);
		map_free(m);
	}
}
END_TEST

/* ------------------------------------------------------ syntax errors */

START_TEST(test_syntax_errors)
{
	char *e = map_errors("bad.map",
			     "source x12 850\n"                              /* 1 */
			     "target order\n"                                /* 2 */
			     "loop N1 = N1 N3\n"                             /* 3 */
			     "table purpose 00=original\n"                   /* 4 */
			     "po-number      BEG03   required\n"             /* 5 */
			     "po-number      BEG04\n"                        /* 6 */
			     "purpose        BEG1\n"                         /* 7 */
			     "type           BEG02   code nosuch\n"          /* 8 */
			     "currency       CUR02   requird\n"              /* 9 */
			     "release-number PO1/PID05\n"                    /* 10 */
			     "lines/line     each PO1\n"                     /* 11 */
			     "  quantity     PO102\n"                        /* 12 */
			     "    unit       PO103\n"                        /* 13 */
			     "parties/party  each N1\n"                      /* 14 */
			     "  name         N102\n"                         /* 15 */
			     " id            N104\n"                         /* 16 */
			     "contract       N1/N401\n"                      /* 17 */
			     "dates/date[type=x]  DTM02\n"                   /* 18 */
			     "note           DTM02   date YYYYMMDD\n"        /* 19 */
			     "notes          each\n"                         /* 20 */
			     "\tindented     BEG03\n"                        /* 21 */
			     "table bad      00\n"                           /* 22 */
			     "loop N1 = N1 N4\n"                             /* 23 */
			     "x              BEG03   required default 1\n"   /* 24 */
			     "y              BEG03   code purpose date CCYYMMDD\n" /* 25 */
			     "z              $index\n"                       /* 26 */
			     "w              \"lit\"   required\n"           /* 27 */
			     "v              BEG03   max 5\n"                /* 28 */
			     "u              PO1[PO101]/PO102\n"             /* 29 */
			     "t              N1[N201=X]/N102\n"              /* 30 */
			     "s\n"                                           /* 31 */
			     "key            nosuchfield\n"                  /* 32 */
			     "r              BEG03   check count(lines/@x)\n" /* 33 */
	);
	static const char *const want[] = {
		"bad.map:6: duplicate target po-number (first at line 5)",
		"bad.map:7: bad path 'BEG1': an element is a segment id and two digits",
		"bad.map:8: unknown table 'nosuch'",
		"bad.map:9: unknown option 'requird'",
		"bad.map:10: unknown loop PO1 in 'PO1/PID05'",
		"bad.map:13: bad indentation: only the lines under an 'each' line are indented",
		"bad.map:16: bad indentation: 1 spaces match no enclosing block",
		"bad.map:17: segment N4 is not part of loop N1",
		"bad.map:18: bad canonical field 'dates/date[type=x]'",
		"bad.map:19: 'date' needs a format",
		"bad.map:20: 'each' needs a loop or segment",
		"bad.map:21: bad indentation: a tab",
		"bad.map:22: bad table entry '00'",
		"bad.map:23: loop N1 is defined twice (first at line 3)",
		"bad.map:24: 'required' and 'default' exclude each other",
		"bad.map:25: 'code' and a date/time/number format exclude each other",
		"bad.map:26: $index is the position in a list: only inside an each block",
		"bad.map:27: a constant (\"text\" or $index) takes no options",
		"bad.map:28: 'max' is for each lines",
		"bad.map:29: bad path 'PO1[PO101]/PO102': a condition is written",
		"bad.map:30: bad path 'N1[N201=X]/N102': a condition must test an element of its own",
		"bad.map:31: field s says nowhere where its value comes from",
		"bad.map:32: key nosuchfield is not a field of the map",
		"bad.map:33: bad check 'count(lines/@x)'",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(e, want[i]) != NULL, "missing '%s' in:\n%s", want[i], e);
	free(e);

	/* header problems */
	e = map_errors("h.map", "source json ORDERS\ntarget order\npo-number BEG03\n");
	ck_assert_msg(strstr(e, "h.map:1: source standard 'json' is not supported yet") != NULL,
		      "%s", e);
	free(e);
	e = map_errors("h.map", "po-number BEG03\n");
	ck_assert_msg(strstr(e, "h.map:0: no 'source' line") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "h.map:0: no 'target' line") != NULL, "%s", e);
	free(e);
	e = map_errors("h.map", "source x12\ntarget a/b\npo-number BEG03\n");
	ck_assert_msg(strstr(e, "h.map:1: write 'source STANDARD DOCUMENT'") != NULL, "%s", e);
	free(e);
	/* a map writes below its block: '../' is for ERP profiles */
	e = map_errors("h.map", "source x12 850\ntarget order\nlines/line each PO1\n  ../po-number PO101\n");
	ck_assert_msg(strstr(e, "h.map:4: bad canonical field '../po-number': a map writes below its block") != NULL,
		      "%s", e);
	free(e);
	e = map_errors("h.map", "source x12 850\ntarget order\nlines/line each PO1\nx BEG03\n");
	ck_assert_msg(strstr(e, "h.map:3: each PO1 has no fields") != NULL, "%s", e);
	free(e);
	/* loops */
	e = map_errors("l.map", "source x12 850\ntarget order\n"
				"loop A = N1 N2\nloop B = N1 N3\n"
				"loop C = PO1 C\n"
				"loop D = SLN SLN\n"
				"loop E = SCH !!\n"
				"loop F = REF REF1\n"
				"po-number BEG03\n");
	ck_assert_msg(strstr(e, "l.map:4: loops A and B both start with N1") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "l.map:6: SLN is listed twice in loop D") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "l.map:7: bad member '!!' of loop E") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "l.map:8: unknown loop or bad segment id 'REF1' in loop F") != NULL,
		      "%s", e);
	free(e);
	e = map_errors("l.map", "source x12 850\ntarget order\n"
				"loop A = N1 B\nloop B = N2 A\npo-number BEG03\n");
	ck_assert_msg(strstr(e, "contains itself") != NULL, "%s", e);
	free(e);
	/* a segment inside an each over a segment that is not a loop */
	e = map_errors("l.map", "source x12 850\ntarget order\n"
				"refs/ref each REF\n  a REF02\n  b DTM02\n");
	ck_assert_msg(strstr(e, "l.map:5: unknown loop: this each repeats a segment that is not a "
				"loop") != NULL, "%s", e);
	free(e);
}
END_TEST

/* ------------------------------------------------------------ map check */

static char *check_errors(const char *name, const char *text)
{
	char *p = write_tmp(name, text);
	struct diag_list d;
	diag_list_init(&d);
	int rc = map_check(p, g_rng, &d);
	ck_assert_int_eq(rc, d.nerrors ? -EINVAL : 0);
	char *e = tu_diag_text(&d);
	diag_list_free(&d);
	free(p);
	return e;
}

START_TEST(test_map_check)
{
	char *e = check_errors("k.map",
			       "source x12 850\n"
			       "target order\n"
			       "loop N1 = N1\n"
			       "loop PO1 = PO1\n"
			       "po-number           BEG03\n"
			       "purpose             BEG01\n"
			       "colour              BEG04\n"
			       "dates/date[@kind=x] DTM02\n"
			       "parties/party       each N1\n"
			       "  name              N102\n"
			       "  shoe-size         N103\n"
			       "lines/line          each PO1\n"
			       "  unit              PO103\n"
			       "totals/line-count   CTT01   check count(lines/lines)\n");
	static const char *const want[] = {
		"k.map:7: unknown canonical field colour: order records have no 'colour' there",
		"k.map:8: unknown canonical field dates/date[@kind=x]: order records have no 'kind'",
		"k.map:11: unknown canonical field shoe-size",
		"k.map:14: unknown canonical field lines/lines in check",
		"k.map:2: required canonical field order-date is never set by the map",
		"k.map:9: required canonical field parties/party/@role is never set",
		"k.map:12: required canonical field lines/line/quantity is never set",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(e, want[i]) != NULL, "missing '%s' in:\n%s", want[i], e);
	/* source is the gateway's: never asked of a map */
	ck_assert_ptr_null(strstr(e, "source"));
	free(e);

	/* a complete small map passes */
	e = check_errors("ok.map",
			 "source x12 850\ntarget order\nloop PO1 = PO1\n"
			 "po-number BEG03\npurpose BEG01\norder-date BEG05 date CCYYMMDD\n"
			 "lines/line each PO1\n  quantity PO102 decimal\n");
	ck_assert_str_eq(e, "");
	free(e);

	/* an ERP profile is checked as one: the shipped one is clean, typos are found */
	char *pp = tu_srcpath("maps/erp/order-csv.map");
	struct diag_list dp;
	diag_list_init(&dp);
	ck_assert_int_eq(map_check(pp, g_rng, &dp), 0);
	ck_assert_uint_eq(dp.n, 0);
	diag_list_free(&dp);
	free(pp);
	e = check_errors("p.map",
			 "source order\ntarget csv\n"
			 "record H once\n  po-number\n  parties/party[@role=buyer]/colour\n"
			 "record L each lines/lin\n  quantity\n"
			 "record M each lines/line\n  quantity\n  /po-numbr\n  dates/date/@kind\n");
	static const char *const pwant[] = {
		"p.map:5: unknown canonical field parties/party[@role=buyer]/colour",
		"p.map:6: unknown canonical field lines/lin: order records have no 'lin'",
		"p.map:10: unknown canonical field /po-numbr",
		"p.map:11: unknown canonical field dates/date/@kind",
	};
	for (size_t i = 0; i < sizeof pwant / sizeof pwant[0]; i++)
		ck_assert_msg(strstr(e, pwant[i]) != NULL, "missing '%s' in:\n%s", pwant[i], e);
	ck_assert_ptr_null(strstr(e, "p.map:7")); /* columns of an unknown each: reported once */
	free(e);

	/* no schema, or a kind the schema does not know */
	char *p = write_tmp("inv.map", "source x12 820\ntarget remittance\nnumber BPR02\n");
	struct diag_list d;
	diag_list_init(&d);
	ck_assert_int_eq(map_check(p, g_rng, &d), -EINVAL);
	e = tu_diag_text(&d);
	ck_assert_msg(strstr(e, "canonical.rng:0: the canonical schema has no record kind 'remittance'") !=
		      NULL, "%s", e);
	free(e);
	diag_list_free(&d);
	diag_list_init(&d);
	ck_assert_int_eq(map_check(p, NULL, &d), 0); /* syntax only */
	diag_list_free(&d);
	diag_list_init(&d);
	ck_assert_int_eq(map_check(p, "/nonexistent.rng", &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.v[0].msg, "cannot read the canonical schema"));
	diag_list_free(&d);
	free(p);
}
END_TEST

/* -------------------------------------------------------------- limits */

/* ST, n PO1 loops, SE. */
static char *many_po1(size_t n)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "ST*850*0001~BEG*00*SA*PO-1**20261122~");
	for (size_t i = 1; i <= n; i++)
		buf_printf(&b, "PO1*%zu*1*EA~", i);
	buf_printf(&b, "SE*%zu*0001~", n + 3);
	return buf_steal(&b);
}

START_TEST(test_limit_max_option)
{
	struct map *m = map_text("max.map",
				 "source x12 850\ntarget order\nloop PO1 = PO1\n"
				 "lines/line each PO1 max 3\n  number PO101\n"
				 "refs/ref each REF max 1\n  . REF02\n");
	for (size_t n = 2; n <= 4; n++) {
		char *x = many_po1(n);
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply(m, x, &errs);
		ck_assert_uint_eq(count(doc, "lines/line"), n < 3 ? n : 3);
		if (n <= 3) {
			no_errors(&errs);
		} else {
			ck_assert_uint_eq(errs.n, 1);
			const struct x12_error *e = &errs.v[0];
			ck_assert_int_eq(e->scope, X12_SCOPE_SEGMENT);
			ck_assert_str_eq(e->code, "4"); /* loop occurs over maximum times */
			ck_assert_str_eq(e->seg_id, "PO1");
			ck_assert_uint_eq(e->seg_pos, 6);
			ck_assert_ptr_nonnull(strstr(e->msg, "more than 3 PO1 loops"));
		}
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
		free(x);
	}
	/* a repeated plain segment: AK3 code 5 */
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, "ST*850*0001~REF*A*1~REF*B*2~SE*4*0001~", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0].code, "5");
	ck_assert_uint_eq(errs.v[0].seg_pos, 3);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
	/* max itself: 1..MAX_LIST */
	char text[256];
	for (int v = MAX_LIST - 1; v <= MAX_LIST + 1; v++) {
		snprintf(text, sizeof text,
			 "source x12 850\ntarget order\nlines/line each PO1 max %d\n  n PO101\n", v);
		if (v <= MAX_LIST) {
			map_free(map_text("m.map", text));
		} else {
			char *e = map_errors("m.map", text);
			ck_assert_ptr_nonnull(strstr(e, "m.map:3: 'max' needs a number from 1 to 100000"));
			free(e);
		}
	}
	char *e = map_errors("m.map", "source x12 850\ntarget order\nlines/line each PO1 max 0\n  n PO101\n");
	ck_assert_ptr_nonnull(strstr(e, "'max' needs a number"));
	free(e);
}
END_TEST

/* The built-in cap of MAX_LIST elements per list: one below, at, one above. */
START_TEST(test_limit_max_list)
{
	struct map *m = map_text("big.map",
				 "source x12 850\ntarget order\nloop PO1 = PO1\n"
				 "lines/line each PO1\n  quantity PO102 decimal\n");
	for (size_t n = MAX_LIST - 1; n <= MAX_LIST + 1; n++) {
		char *x = many_po1(n);
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply(m, x, &errs);
		ck_assert_uint_eq(count(doc, "lines/line"), n <= MAX_LIST ? n : MAX_LIST);
		if (n <= MAX_LIST) {
			no_errors(&errs);
		} else {
			ck_assert_uint_eq(errs.n, 1);
			ck_assert_str_eq(errs.v[0].code, "4");
			ck_assert_uint_eq(errs.v[0].seg_pos, MAX_LIST + 3);
			ck_assert_ptr_nonnull(strstr(errs.v[0].msg, "more than 100000 PO1 loops"));
		}
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
		free(x);
	}
	map_free(m);
}
END_TEST

/* Nested loops and nested each blocks: one below, at, one above the limits. */
START_TEST(test_limit_depth)
{
	for (int n = MAX_DEPTH - 1; n <= MAX_DEPTH + 1; n++) {
		/* loops L1 ⊃ L2 ⊃ ... ⊃ Ln started by segments A1..An; one each per level */
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "source x12 850\ntarget order\n");
		for (int i = 1; i <= n; i++) {
			if (i < n)
				buf_printf(&b, "loop L%d = A%d L%d\n", i, i, i + 1);
			else
				buf_printf(&b, "loop L%d = A%d\n", i, i);
		}
		for (int i = 1; i <= n; i++)
			buf_printf(&b, "%*sl%d each A%d\n%*sv A%d01\n", 2 * (i - 1), "", i, i, 2 * i, "", i);
		struct buf x;
		buf_init(&x, 0);
		buf_puts(&x, "ST*850*0001~");
		for (int i = 1; i <= n; i++)
			buf_printf(&x, "A%d*v%d~", i, i);
		buf_puts(&x, "SE*2*0001~");
		if (n <= MAX_DEPTH) {
			struct map *m = map_text("deep.map", b.data);
			struct x12_errlist errs = { 0 };
			xmlDocPtr doc = apply(m, x.data, &errs);
			no_errors(&errs);
			/* the innermost value sits n levels down */
			struct buf path;
			buf_init(&path, 0);
			for (int i = 1; i <= n; i++)
				buf_printf(&path, "l%d/", i);
			buf_puts(&path, "v");
			char want[8];
			snprintf(want, sizeof want, "v%d", n);
			ck_get(doc, path.data, want);
			buf_free(&path);
			xmlFreeDoc(doc);
			map_free(m);
		} else {
			char *e = map_errors("deep.map", b.data);
			ck_assert_msg(strstr(e, "loops nested too deep") != NULL, "%s", e);
			ck_assert_msg(strstr(e, "each blocks nested too deep (at most 8)") != NULL, "%s", e);
			free(e);
		}
		buf_free(&x);
		buf_free(&b);
	}
}
END_TEST


/* Map load for a generated text: 0 when it loads, else the diagnostics (allocated). */
static char *try_map(const char *text)
{
	char *p = write_tmp("gen.map", text);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	int rc = map_load(&m, p, &d);
	char *e = rc == 0 ? NULL : tu_diag_text(&d);
	map_free(m);
	diag_list_free(&d);
	free(p);
	return e;
}

/* Per-map counts: alternatives, path steps, conditions, pair qualifiers, loops, segment
 * ids in loops, tables, table entries, fields: one below, at and one above. */
START_TEST(test_limit_counts)
{
	static const struct {
		const char *what;
		int max;
		const char *msg;
	} lim[] = {
		{ "alternatives", 8, "too many alternatives" },
		{ "steps", 8, "too many steps in the path" },
		{ "conditions", 8, "too many conditions on one segment" },
		{ "qualifiers", 32, "too many qualifiers after pair (at most 32)" },
		{ "loops", 128, "too many loops (at most 128)" },
		{ "segids", 250, "too many different segments in loops (at most 250)" },
		{ "tables", 256, "too many tables (at most 256)" },
		{ "entries", 4096, "too many entries (at most 4096)" },
		{ "fields", 10000, "too many fields (at most 10000)" },
	};
	for (size_t li = 0; li < sizeof lim / sizeof lim[0]; li++) {
		for (int n = lim[li].max - 1; n <= lim[li].max + 1; n++) {
			struct buf b;
			buf_init(&b, 0);
			buf_puts(&b, "source x12 850\ntarget order\n");
			const char *w = lim[li].what;
			if (strcmp(w, "alternatives") == 0) {
				buf_puts(&b, "x ");
				for (int i = 0; i < n; i++)
					buf_printf(&b, "%sBEG%02d", i ? "|" : "", i % 9 + 1);
				buf_puts(&b, "\n");
			} else if (strcmp(w, "steps") == 0) {
				buf_puts(&b, "x ");
				for (int i = 0; i < n; i++)
					buf_puts(&b, "BEG/");
				buf_puts(&b, "BEG03\n");
			} else if (strcmp(w, "conditions") == 0) {
				buf_puts(&b, "x BEG");
				for (int i = 0; i < n; i++)
					buf_puts(&b, "[BEG01=00]");
				buf_puts(&b, "/BEG03\n");
			} else if (strcmp(w, "qualifiers") == 0) {
				buf_puts(&b, "x pair PO106 ");
				for (int i = 0; i < n; i++)
					buf_printf(&b, "%sQ%d", i ? "|" : "", i);
				buf_puts(&b, "\n");
			} else if (strcmp(w, "loops") == 0) {
				for (int i = 0; i < n; i++)
					buf_printf(&b, "loop L%d = %c%c%c\n", i, 'A' + i / 26 % 26, 'A' + i % 26, 'Z');
				buf_puts(&b, "x BEG03\n");
			} else if (strcmp(w, "segids") == 0) {
				/* five loops; the ids are their starts and members */
				int id = 0;
				for (int l = 0; id < n; l++) {
					buf_printf(&b, "loop L%d =", l);
					for (int k = 0; k < 60 && id < n; k++, id++)
						buf_printf(&b, " %c%c%c", 'A' + id / 26 % 26, 'A' + id % 26, 'Y');
					buf_puts(&b, "\n");
				}
				buf_puts(&b, "x BEG03\n");
			} else if (strcmp(w, "tables") == 0) {
				for (int i = 0; i < n; i++)
					buf_printf(&b, "table t%d A=a\n", i);
				buf_puts(&b, "x BEG03\n");
			} else if (strcmp(w, "entries") == 0) {
				for (int i = 0; i < n; i++)
					buf_printf(&b, "%sC%d=v", i % 50 == 0 ? (i ? "\ntable t " : "table t ") : " ", i);
				buf_puts(&b, "\nx BEG03 code t\n");
			} else {
				for (int i = 0; i < n; i++)
					buf_printf(&b, "f%d BEG03\n", i);
			}
			char *e = try_map(b.data);
			if (n <= lim[li].max)
				ck_assert_msg(e == NULL, "%s %d: %s", w, n, e ? e : "");
			else
				ck_assert_msg(e && strstr(e, lim[li].msg), "%s %d: %s", w, n, e ? e : "(loaded)");
			free(e);
			buf_free(&b);
		}
	}
}
END_TEST

/* The canonical schema's size as map check reads it: names and nested refs. */
START_TEST(test_limit_schema)
{
	char *m = write_tmp("big.map", "source x12 850\ntarget big\ndeep BEG03\n");
	for (int n = 20000 - 1; n <= 20000 + 1; n++) {
		/* the record element plus n - 1 optional fields: n names */
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" "
			     "ns=\"urn:edigw:canonical:1\"><start><element name=\"big\"><interleave>"
			     "<optional><element name=\"deep\"><text/></element></optional>");
		for (int i = 0; i < n - 2; i++)
			buf_printf(&b, "<optional><element name=\"f%d\"><text/></element></optional>", i);
		buf_puts(&b, "</interleave></element></start></grammar>\n");
		char *rng = write_tmp("big.rng", b.data);
		struct diag_list d;
		diag_list_init(&d);
		int rc = map_check(m, rng, &d);
		char *e = tu_diag_text(&d);
		if (n <= 20000)
			ck_assert_msg(rc == 0, "%d: %s", n, e);
		else
			ck_assert_msg(rc == -EINVAL && strstr(e, "too large to check (more than 20000 names)"),
				      "%d: %s", n, e);
		free(e);
		diag_list_free(&d);
		free(rng);
		buf_free(&b);
	}
	for (int n = 256 - 1; n <= 256 + 1; n++) {
		/* a chain of n defines d0 -> d1 -> ... ; the last holds the element */
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" "
			     "ns=\"urn:edigw:canonical:1\"><start><element name=\"big\">"
			     "<ref name=\"d0\"/></element></start>");
		for (int i = 0; i < n - 1; i++)
			buf_printf(&b, "<define name=\"d%d\"><ref name=\"d%d\"/></define>", i, i + 1);
		buf_printf(&b, "<define name=\"d%d\"><element name=\"deep\"><text/></element>"
			       "</define></grammar>\n", n - 1);
		char *rng = write_tmp("chain.rng", b.data);
		struct diag_list d;
		diag_list_init(&d);
		int rc = map_check(m, rng, &d);
		char *e = tu_diag_text(&d);
		if (n <= 256)
			ck_assert_msg(rc == 0, "%d: %s", n, e);
		else
			ck_assert_msg(rc == -EINVAL && strstr(e, "unknown canonical field deep"), "%d: %s", n, e);
		free(e);
		diag_list_free(&d);
		free(rng);
		buf_free(&b);
	}
	free(m);
}
END_TEST


/* Read a man page and undo the roff escapes the examples use. */
static char *man_text(void)
{
	char *p = tu_srcpath("doc/edigw-map.5");
	char *raw = tu_read(p, NULL);
	ck_assert_ptr_nonnull(raw);
	char *t = tu_replace(raw, "\\-", "-");
	free(raw);
	free(p);
	return t;
}

/* doc/edigw-map.5 shows the shipped map as it is and its example messages are the ones
 * the code writes. */
START_TEST(test_man_page_examples)
{
	char *man = man_text();
	char *map = tu_read(g_850, NULL);
	char *save = map, *line;
	size_t shown = 0;
	while ((line = strsep(&save, "\n")) != NULL) {
		if (!line[0] || line[0] == '#')
			continue;
		ck_assert_msg(strstr(man, line) != NULL, "850.map line not in edigw-map.5: %s", line);
		shown++;
	}
	ck_assert_uint_gt(shown, 60);
	free(map);

	/* the messages, with the map named as the man page names it (from the source tree) */
	char *top = tu_srcpath(".");
	ck_assert_int_eq(chdir(top), 0);
	free(top);
	struct map *m = map_file("maps/x12/850.map");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "ST*850*0001~BEG*00*SA*PO-1**20261122~"
			      "PO1*1*2*EA*1~PO1*2**EA*1~CTT*3~SE*6*0001~",
			      &errs);
	ck_assert_uint_eq(errs.n, 2);
	for (size_t i = 0; i < errs.n; i++)
		ck_assert_msg(strstr(man, errs.v[i].msg) != NULL, "message not in edigw-map.5: %s",
			      errs.v[i].msg);
	x12_errlist_free(&errs);
	canon_set_source(doc, "demo-retailer", NULL);
	/* line 2 has no quantity: the shipped profile refuses the record */
	struct diag_list d;
	diag_list_init(&d);
	struct erp_profile *prof = NULL;
	ck_assert_int_eq(erp_profile_load(&prof, "maps/erp/order-csv.map", &d), 0);
	struct buf out, err;
	buf_init(&out, 0);
	buf_init(&err, 0);
	ck_assert_int_eq(erp_render(prof, doc, &out, &err), -EINVAL);
	ck_assert_msg(strstr(man, err.data) != NULL, "message not in edigw-map.5: %s", err.data);
	buf_free(&out);
	buf_free(&err);
	erp_profile_free(prof);
	diag_list_free(&d);
	xmlFreeDoc(doc);
	map_free(m);
	free(man);
}
END_TEST


/* each HL inside each HL: the HL loops whose HL02 is this HL's HL01, with limits. */
START_TEST(test_each_hierarchy)
{
	static const char hdr[] = "source x12 856\ntarget ship-notice\n"
				  "loop HL = HL PRF SN1\nloop PO1 = PO1 PID\n";
	/* only the HL loop repeats inside itself */
	char *mt = xasprintf("%sa each PO1\n  b each PO1\n    c PO101\n", hdr);
	char *e = map_errors("self.map", mt);
	ck_assert_msg(strstr(e, "self.map:6: each PO1 inside each PO1: a loop does not repeat "
				"inside itself (only the hierarchical HL loop does)") != NULL, "%s", e);
	free(e);
	free(mt);
	/* children in document order, grandchildren only through their parent; max counts
	 * the children of one parent (at, and one over) */
	for (int max = 2; max <= 4; max++) {
		mt = xasprintf("%sshipment-id \"x\"\nn each HL[HL03=S]\n  @id HL01\n"
			       "  o each HL max %d\n    @id HL01\n    p each HL[HL03=P]\n"
			       "      @id HL01\n",
			       hdr, max);
		struct map *m = map_text("h.map", mt);
		struct x12_errlist errs = { 0 };
		xmlDocPtr d = apply(m,
				    "ST*856*1~HL*1**S~HL*2*1*O~HL*3*2*P~HL*4*1*O~HL*5*2*P~"
				    "HL*6*4*I~HL*7*1*O~HL*8*99*P~HL*9**S~HL*10*9*O~SE*12*1~",
				    &errs);
		ck_all(d, "n/@id", "1|9");
		if (max >= 3) {
			no_errors(&errs);
			ck_all(d, "n/o/@id", "2|4|7|10");
			ck_all(d, "n/o/p/@id", "3|5");
		} else {
			ck_assert_uint_eq(errs.n, 1);
			ck_assert_str_eq(errs.v[0].code, "4");
			ck_assert_uint_eq(errs.v[0].seg_pos, 8); /* HL*7, the third child of HL 1 */
			ck_assert_str_eq(errs.v[0].loop_id, "HL");
			ck_all(d, "n/o/@id", "2|4|10");
		}
		x12_errlist_free(&errs);
		xmlFreeDoc(d);
		map_free(m);
		free(mt);
	}
	/* ids are compared trimmed; a parent must come before its child; repeated ids: the
	 * first */
	mt = xasprintf("%sshipment-id \"x\"\nn each HL[HL03=S]\n  @id HL01\n"
		       "  o each HL\n    @id HL03\n",
		       hdr);
	struct map *m = map_text("h2.map", mt);
	struct x12_errlist errs = { 0 };
	xmlDocPtr d = apply(m,
			    "ST*856*1~HL*2*1*A~HL*1**S~HL* 1 * 1 *B~HL*1**S~HL*3*1*C~SE*7*1~", &errs);
	no_errors(&errs);
	ck_all(d, "n/@id", "1|1");
	ck_all(d, "n/o/@id", "B|C");
	ck_assert_uint_eq(count(d, "n[@id=1]/o"), 2);
	x12_errlist_free(&errs);
	xmlFreeDoc(d);
	map_free(m);
	free(mt);
}
END_TEST

/* ------------------------------------------- the other shipped maps */

/* Apply the shipped map rel to x12: no findings, a valid record (caller frees). */
static xmlDocPtr shipped_apply(const char *rel, const char *x12)
{
	char *p = tu_srcpath(rel);
	struct map *m = map_file(p);
	free(p);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, x12, &errs);
	no_errors(&errs);
	x12_errlist_free(&errs);
	map_free(m);
	canon_set_source(doc, "demo-retailer", NULL);
	struct buf err;
	buf_init(&err, 0);
	ck_assert_msg(canon_validate(doc, g_rng, &err) == 0, "%s: %s", rel, err.data);
	buf_free(&err);
	return doc;
}

/* Findings of the shipped map rel on x12 (the record is freed). */
static char *shipped_errors(const char *rel, const char *x12)
{
	char *p = tu_srcpath(rel);
	struct map *m = map_file(p);
	free(p);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, x12, &errs);
	char *t = errs_text(&errs);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
	return t;
}

/* The element reference number (AK402) of the finding of the shipped map rel on x12
 * whose message holds needle. */
static int shipped_ref(const char *rel, const char *x12, const char *needle)
{
	char *p = tu_srcpath(rel);
	struct map *m = map_file(p);
	free(p);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, x12, &errs);
	int ref = find_err(&errs, needle)->elem_ref;
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
	return ref;
}

#define ENV4010 "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*RETAILER       *261122*0930*U*00401*000000101*0*P*>~" \
		"GS*SH*SUPPLIER*RETAILER*20261122*0930*101*X*004010~"
#define ENV5010 "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*RETAILER       *261122*0930*^*00501*000000102*0*T*>~" \
		"GS*SH*SUPPLIER*RETAILER*20261122*0930*102*X*005010~"

/* 004010 pick and pack: shipment, two orders, cartons, items (S/O/P/I). */
static const char asn_4010[] =
	ENV4010
	"ST*856*0001~"
	"BSN*00*SHP-778812*20261122*1405*0001~"
	"DTM*011*20261122~"
	"HL*1**S~"
	"TD1*CTN25*3****G*41.5*LB~"
	"TD5*B*2*UPSN*M*UPS GROUND~"
	"REF*BM*BOL-99812~"
	"REF*CN*PRO-55501~"
	"DTM*011*20261122~"
	"DTM*017*20261125~"
	"N1*SF*Demo Supplier Co*92*SUP01~"
	"N3*400 Industrial Pkwy~"
	"N4*Dayton*OH*45402*US~"
	"N1*ST*Demo Retail DC 7*92*0007~"
	"N4*Columbus*OH*43215~"
	"HL*2*1*O~"
	"PRF*PO-4500012345***20261115~"
	"HL*3*2*P~"
	"MAN*GM*00012345600000000017~"
	"HL*4*3*I~"
	"LIN*1*BP*RTL-100234*VP*WID-9*UP*012345678905~"
	"SN1**24*EA**24*EA~"
	"PID*F****Blue widget, large~"
	"HL*5*3*I~"
	"LIN*2*BP*RTL-100777*VP*GAD-2~"
	"SN1**6*CA~"
	"HL*6*1*O~"
	"PRF*PO-4500012399~"
	"HL*7*6*P~"
	"MAN*GM*00012345600000000024~"
	"HL*8*7*I~"
	"LIN**UP*012345678912~"
	"SN1**12.5*LB~"
	"CTT*8~"
	"SE*36*0001~"
	"GE*1*101~IEA*1*000000101~";

START_TEST(test_856_4010)
{
	xmlDocPtr d = shipped_apply("maps/x12/856.map", asn_4010);
	ck_assert_str_eq(canon_kind(d), "ship-notice");
	ck_get(d, "shipment-id", "SHP-778812");
	ck_get(d, "purpose", "original");
	ck_get(d, "notice-date", "2026-11-22");
	ck_get(d, "notice-time", "14:05");
	ck_get(d, "structure", "pick-and-pack");
	ck_get(d, "dates/date[@type=shipped]", "2026-11-22");
	ck_get(d, "source/version", "004010");
	ck_get(d, "shipment/carrier/scac", "UPSN");
	ck_get(d, "shipment/carrier/mode", "M");
	ck_get(d, "shipment/carrier/routing", "UPS GROUND");
	ck_get(d, "shipment/lading-quantity", "3");
	ck_get(d, "shipment/packaging", "CTN25");
	ck_get(d, "shipment/gross-weight", "41.5");
	ck_get(d, "shipment/weight-unit", "LB");
	ck_get(d, "shipment/bill-of-lading", "BOL-99812");
	ck_get(d, "shipment/pro-number", "PRO-55501");
	ck_get(d, "shipment/dates/date[@type=shipped]", "2026-11-22");
	ck_get(d, "shipment/dates/date[@type=estimated-delivery]", "2026-11-25");
	ck_get(d, "shipment/parties/party[@role=ship-from]/name", "Demo Supplier Co");
	ck_get(d, "shipment/parties/party[@role=ship-from]/address/city", "Dayton");
	ck_get(d, "shipment/parties/party[@role=ship-to]/id", "0007");
	ck_get(d, "shipment/parties/party[@role=ship-to]/address/postal-code", "43215");
	ck_assert_uint_eq(count(d, "shipment/orders/order"), 2);
	ck_get(d, "shipment/orders/order/po-number", "PO-4500012345");
	ck_get(d, "shipment/orders/order/po-date", "2026-11-15");
	ck_assert_uint_eq(count(d, "shipment/orders/order/packs/pack"), 2); /* one per order */
	ck_get(d, "shipment/orders/order/packs/pack/sscc", "00012345600000000017");
	ck_assert_uint_eq(count(d, "shipment/orders/order/packs/pack/items/item"), 3);
	ck_assert_uint_eq(count(d, "shipment/orders/order/tares/tare"), 0);
	ck_assert_uint_eq(count(d, "shipment/orders/order/items/item"), 0);
	ck_get(d, "shipment/orders/order/packs/pack/items/item/buyer-item", "RTL-100234");
	ck_get(d, "shipment/orders/order/packs/pack/items/item/vendor-item", "WID-9");
	ck_get(d, "shipment/orders/order/packs/pack/items/item/upc", "012345678905");
	ck_get(d, "shipment/orders/order/packs/pack/items/item/quantity", "24");
	ck_get(d, "shipment/orders/order/packs/pack/items/item/unit", "EA");
	ck_get(d, "shipment/orders/order/packs/pack/items/item/description", "Blue widget, large");
	ck_get(d, "totals/line-count", "8");
	/* the second order holds its own carton and item, not the first order's */
	xmlNodePtr root = xmlDocGetRootElement(d);
	char *s = serialize(d);
	const char *o2 = strstr(s, "PO-4500012399");
	ck_assert_ptr_nonnull(o2);
	ck_assert_ptr_nonnull(strstr(o2, "00012345600000000024"));
	ck_assert_ptr_null(strstr(o2, "RTL-100"));
	ck_assert_ptr_nonnull(strstr(o2, "<quantity>12.5</quantity>"));
	free(s);
	(void)root;
	xmlFreeDoc(d);
}
END_TEST

/* 005010 with pallets: S/O/T/P/I, and an order shipped without cartons (S/O/I). */
START_TEST(test_856_5010_tare)
{
	static const char x[] =
		ENV5010
		"ST*856*0002*005010~"
		"BSN*00*SHP-900001*20261123*080000*0004~"
		"HL*1**S~"
		"TD1*PLT94*2****G*820*KG~"
		"TD5**2*FDEG*LT~"
		"REF*BM*BOL-1~"
		"DTM*011*20261123~"
		"N1*ST*Store 12*92*0012~"
		"HL*2*1*O~"
		"PRF*PO-77*REL-2**20261120~"
		"HL*3*2*T~"
		"MAN*GM*00098765400000000011~"
		"HL*4*3*P~"
		"MAN*GM*00098765400000000028~"
		"HL*5*4*I~"
		"LIN*1*EN*00012345678905*VP*V-1~"
		"SN1*1*10*EA~"
		"HL*6*3*P~"
		"MAN*GM*00098765400000000035~"
		"HL*7*6*I~"
		"LIN*2*VN*V-2~"
		"SN1*2*4*CA~"
		"HL*8*1*O~"
		"PRF*PO-78~"
		"HL*9*8*I~"
		"LIN*1*BP*B-9~"
		"SN1**3*EA~"
		"PID*F****Bulk item~"
		"CTT*9~"
		"SE*30*0002~"
		"GE*1*102~IEA*1*000000102~";
	xmlDocPtr d = shipped_apply("maps/x12/856.map", x);
	ck_get(d, "source/version", "005010");
	ck_get(d, "source/test", "true");
	ck_get(d, "shipment-id", "SHP-900001");
	ck_get(d, "notice-time", "08:00:00");
	ck_get(d, "structure", "pick-and-pack-tare");
	ck_get(d, "shipment/gross-weight", "820");
	ck_get(d, "shipment/weight-unit", "KG");
	ck_get(d, "shipment/carrier/scac", "FDEG");
	ck_get(d, "shipment/carrier/mode", "LT");
	ck_get(d, "shipment/pro-number", "(none)");
	ck_assert_uint_eq(count(d, "shipment/orders/order"), 2);
	ck_get(d, "shipment/orders/order/release-number", "REL-2");
	ck_get(d, "shipment/orders/order/po-date", "2026-11-20");
	ck_assert_uint_eq(count(d, "shipment/orders/order/tares/tare"), 1);
	ck_get(d, "shipment/orders/order/tares/tare/sscc", "00098765400000000011");
	/* packs below the tare are not also listed straight below the order */
	ck_assert_uint_eq(count(d, "shipment/orders/order/tares/tare/packs/pack"), 2);
	ck_assert_uint_eq(count(d, "shipment/orders/order/packs/pack"), 0);
	ck_assert_uint_eq(count(d, "shipment/orders/order/tares/tare/packs/pack/items/item"), 2);
	ck_get(d, "shipment/orders/order/tares/tare/packs/pack/items/item/gtin", "00012345678905");
	ck_get(d, "shipment/orders/order/tares/tare/packs/pack/items/item/quantity", "10");
	/* the second order: an item straight below it */
	ck_assert_uint_eq(count(d, "shipment/orders/order/items/item"), 1);
	ck_all(d, "shipment/orders/order/po-number", "PO-77|PO-78");
	ck_all(d, "shipment/orders/order/items/item/buyer-item", "B-9");
	ck_all(d, "shipment/orders/order/items/item/description", "Bulk item");
	ck_all(d, "shipment/orders/order/items/item/quantity", "3");
	ck_all(d, "shipment/orders/order/tares/tare/packs/pack/sscc",
	       "00098765400000000028|00098765400000000035");
	ck_all(d, "shipment/orders/order/tares/tare/packs/pack/items/item/vendor-item", "V-1|V-2");
	ck_all(d, "shipment/orders/order/tares/tare/packs/pack/items/item/unit", "EA|CA");
	xmlFreeDoc(d);
}
END_TEST

/* What an 856 without its mandatory parts reports. */
START_TEST(test_856_errors)
{
	/* no order level below the shipment; no SN1 quantity on an item */
	char *e = shipped_errors("maps/x12/856.map",
				 "ST*856*0001~BSN*00*S1*20261122*1200~HL*1**S~TD5**2*UPSN~"
				 "SE*5*0001~");
	ck_assert_msg(strstr(e, "shipment[1]/orders/order: required, but there is no "
				"HL[HL03=O] loop in this HL loop") != NULL, "%s", e);
	free(e);
	e = shipped_errors("maps/x12/856.map",
			   "ST*856*0001~BSN*00*S1*20261122*1200~HL*1**S~HL*2*1*O~PRF*PO-1~"
			   "HL*3*2*I~LIN**UP*1~SN1**~SE*9*0001~");
	ck_assert_msg(strstr(e, "shipment[1]/orders/order[1]/items/item[1]/quantity: SN102 is "
				"required") != NULL, "%s", e);
	free(e);
	/* an item whose HL02 names no HL is in no order */
	char *p = tu_srcpath("maps/x12/856.map");
	struct map *m = map_file(p);
	free(p);
	struct x12_errlist errs = { 0 };
	xmlDocPtr d = apply(m,
			    "ST*856*0001~BSN*00*S1*20261122*1200~HL*1**S~HL*2*1*O~PRF*PO-1~"
			    "HL*3*9*I~LIN**UP*1~SN1**1*EA~HL*4*2*I~LIN**UP*2~SN1**2*EA~SE*12*0001~",
			    &errs);
	no_errors(&errs);
	ck_assert_uint_eq(count(d, "shipment/orders/order/items/item"), 1);
	ck_all(d, "shipment/orders/order/items/item/upc", "2");
	x12_errlist_free(&errs);
	xmlFreeDoc(d);
	map_free(m);
}
END_TEST

/* 004010 855: accepted with changes, two lines, a backorder split on line 2. */
START_TEST(test_855_4010)
{
	static const char x[] =
		ENV4010
		"ST*855*0001~"
		"BAK*00*AC*PO-4500012345*20261115****SO-88121*20261116~"
		"REF*VN*SO-88121~"
		"DTM*017*20261201~"
		"N1*ST*Demo Retail DC 7*92*0007~"
		"N1*SU*Demo Supplier Co*92*SUP01~"
		"PO1*1*24*EA*12.50**BP*RTL-100234*VP*WID-9*UP*012345678905~"
		"PID*F****Blue widget, large~"
		"ACK*IA*24*EA*068*20261125~"
		"PO1*2*6*CA*48**BP*RTL-100777~"
		"ACK*IA*4*CA*068*20261125~"
		"ACK*IB*2*CA*068*20261210~"
		"CTT*2~"
		"SE*14*0001~"
		"GE*1*101~IEA*1*000000101~";
	xmlDocPtr d = shipped_apply("maps/x12/855.map", x);
	ck_assert_str_eq(canon_kind(d), "order-response");
	ck_get(d, "source/document-type", "855");
	ck_get(d, "po-number", "PO-4500012345");
	ck_get(d, "purpose", "original");
	ck_get(d, "ack-type", "accepted-with-detail");
	ck_get(d, "po-date", "2026-11-15");
	ck_get(d, "ack-number", "SO-88121");
	ck_get(d, "ack-date", "2026-11-16");
	ck_get(d, "references/reference[@type=vendor-order]", "SO-88121");
	ck_get(d, "dates/date[@type=estimated-delivery]", "2026-12-01");
	ck_get(d, "parties/party[@role=supplier]/id", "SUP01");
	ck_all(d, "lines/line/number", "1|2");
	ck_all(d, "lines/line/quantity", "24|6");
	ck_all(d, "lines/line/unit", "EA|CA");
	ck_all(d, "lines/line/unit-price", "12.5|48");
	ck_all(d, "lines/line/buyer-item", "RTL-100234|RTL-100777");
	ck_get(d, "lines/line/upc", "012345678905");
	ck_get(d, "lines/line/description", "Blue widget, large");
	ck_all(d, "lines/line/acks/ack/status", "accepted|accepted|backordered");
	ck_all(d, "lines/line/acks/ack/quantity", "24|4|2");
	ck_all(d, "lines/line/acks/ack/unit", "EA|CA|CA");
	ck_all(d, "lines/line/acks/ack/date", "2026-11-25|2026-11-25|2026-12-10");
	ck_all(d, "lines/line/acks/ack/date-type", "current-schedule-ship|current-schedule-ship|"
		       "current-schedule-ship");
	ck_get(d, "totals/line-count", "2");
	xmlFreeDoc(d);
}
END_TEST

/* 005010 855: rejected without detail (no lines), then a line count that is wrong. */
START_TEST(test_855_5010)
{
	static const char x[] =
		ENV5010
		"ST*855*0002*005010~"
		"BAK*00*RJ*PO-9*20261118~"
		"CTT*0~"
		"SE*4*0002~"
		"GE*1*102~IEA*1*000000102~";
	xmlDocPtr d = shipped_apply("maps/x12/855.map", x);
	ck_get(d, "source/version", "005010");
	ck_get(d, "ack-type", "rejected-no-detail");
	ck_get(d, "po-date", "2026-11-18");
	ck_assert_uint_eq(count(d, "lines/line"), 0);
	xmlFreeDoc(d);
	static const char y[] =
		ENV5010
		"ST*855*0003*005010~"
		"BAK*06*AP*PO-10*20261118*R1***SO-1*20261119~"
		"PO1*1*5*EA*2.5**VP*V-1~ACK*IQ*4*EA~"
		"PO1*2*1*EA~ACK*R2~"
		"CTT*3~"
		"SE*8*0003~"
		"GE*1*102~IEA*1*000000102~";
	char *e = shipped_errors("maps/x12/855.map", y);
	ck_assert_msg(strstr(e, "totals/line-count: the document says 3 but the record has 2 "
				"lines/line") != NULL, "%s", e);
	free(e);
	/* without the mandatory BAK parts */
	e = shipped_errors("maps/x12/855.map", "ST*855*1~BAK*00*XX*PO-1~SE*3*1~");
	ck_assert_msg(strstr(e, "po-date: BAK04 is required") != NULL, "%s", e);
	ck_assert_ptr_null(strstr(e, "ack-type")); /* *=* passes unknown ack types */
	free(e);
}
END_TEST

/* 004010 810: header, two lines, allowance and charge, total. */
START_TEST(test_810_4010)
{
	static const char x[] =
		ENV4010
		"ST*810*0001~"
		"BIG*20261124*INV-20261124-01*20261115*PO-4500012345***DI~"
		"CUR*SE*USD~"
		"REF*VN*SO-88121~"
		"N1*RI*Demo Supplier Co*92*SUP01~"
		"N3*PO Box 100~"
		"N4*Dayton*OH*45401*US~"
		"N1*ST*Demo Retail DC 7*92*0007~"
		"DTM*011*20261122~"
		"IT1*1*24*EA*12.50**BP*RTL-100234*VP*WID-9*UP*012345678905~"
		"PID*F****Blue widget, large~"
		"IT1*2*6*CA*48**BP*RTL-100777~"
		"SAC*A*C310***1500~"
		"TDS*56800*58300~"
		"SAC*A*C310***1500**********Promotional allowance~"
		"SAC*C*D240***2500~"
		"CTT*2~"
		"SE*18*0001~"
		"GE*1*101~IEA*1*000000101~";
	xmlDocPtr d = shipped_apply("maps/x12/810.map", x);
	ck_assert_str_eq(canon_kind(d), "invoice");
	ck_get(d, "invoice-number", "INV-20261124-01");
	ck_get(d, "invoice-date", "2026-11-24");
	ck_get(d, "po-number", "PO-4500012345");
	ck_get(d, "po-date", "2026-11-15");
	ck_get(d, "type", "debit-invoice");
	ck_get(d, "currency", "USD");
	ck_get(d, "references/reference[@type=vendor-order]", "SO-88121");
	ck_get(d, "parties/party[@role=remit-to]/address/line1", "PO Box 100");
	ck_get(d, "parties/party[@role=ship-to]/id", "0007");
	ck_get(d, "dates/date[@type=shipped]", "2026-11-22");
	ck_all(d, "lines/line/quantity", "24|6");
	ck_all(d, "lines/line/unit", "EA|CA");
	ck_all(d, "lines/line/unit-price", "12.5|48");
	ck_all(d, "lines/line/vendor-item", "WID-9");
	ck_get(d, "lines/line/upc", "012345678905");
	ck_get(d, "lines/line/description", "Blue widget, large");
	ck_get(d, "totals/amount", "568");
	ck_get(d, "totals/subtotal", "583");
	ck_get(d, "totals/line-count", "2");
	/* the line's SAC is the line's; the summary's are the invoice's */
	ck_all(d, "charges/charge/kind", "allowance|charge");
	ck_all(d, "charges/charge/code", "C310|D240");
	ck_all(d, "charges/charge/amount", "15|25");
	ck_all(d, "charges/charge/description", "Promotional allowance");
	xmlFreeDoc(d);
}
END_TEST

/* 005010 810: a credit memo; what a broken one reports. */
START_TEST(test_810_5010)
{
	static const char x[] =
		ENV5010
		"ST*810*0002*005010~"
		"BIG*20261201*CM-7**PO-77***CR~"
		"N1*BY*Demo Retail*92*0001~"
		"IT1**1*EA*-10.5**EN*00012345678905~"
		"TDS*-1050~"
		"CTT*1~"
		"SE*7*0002~"
		"GE*1*102~IEA*1*000000102~";
	xmlDocPtr d = shipped_apply("maps/x12/810.map", x);
	ck_get(d, "source/version", "005010");
	ck_get(d, "invoice-number", "CM-7");
	ck_get(d, "type", "credit-memo");
	ck_get(d, "po-date", "(none)");
	ck_get(d, "lines/line/number", "1"); /* the position when IT101 is empty */
	ck_get(d, "lines/line/gtin", "00012345678905");
	ck_get(d, "lines/line/unit-price", "-10.5");
	ck_get(d, "totals/amount", "-10.5");
	ck_assert_uint_eq(count(d, "charges/charge"), 0);
	xmlFreeDoc(d);
	char *e = shipped_errors("maps/x12/810.map",
				 "ST*810*1~BIG*20261301*INV-1~IT1*1**EA*1~SAC*X~SE*5*1~");
	/* a SAC right after an IT1 is the line's (not mapped), after TDS the invoice's */
	ck_assert_ptr_null(strstr(e, "SAC01"));
	static const char *const want[] = {
		"invoice-date: BIG01 is not a valid date (CCYYMMDD)",
		"lines/line[1]/quantity: IT102 is required",
		"totals/amount: required, but there is no TDS segment",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(e, want[i]) != NULL, "missing '%s' in:\n%s", want[i], e);
	free(e);
	e = shipped_errors("maps/x12/810.map",
			   "ST*810*1~BIG*20261130*INV-1~IT1*1*1*EA*1~TDS*100~SAC*X~SAC*C~CTT*1~SE*8*1~");
	ck_assert_msg(strstr(e, "charges/charge[1]/kind: SAC01 holds a code that is not in table "
				"sac") != NULL, "%s", e);
	ck_assert_ptr_null(strstr(e, "charge[2]"));
	free(e);
}
END_TEST

/* 860, 004010 and 005010: line changes by POC02. */
START_TEST(test_860)
{
	static const char x4[] =
		ENV4010
		"ST*860*0001~"
		"BCH*04*SA*PO-4500012345**1*20261115****20261120~"
		"REF*DP*042~"
		"DTM*002*20261205~"
		"N1*ST*Demo Retail DC 7*92*0007~"
		"POC*1*QI*30*6*EA*12.50**BP*RTL-100234*UP*012345678905~"
		"DTM*002*20261206~"
		"POC*2*DI*0*0*CA~"
		"POC*3*AI*10*10*EA*3**VP*NEW-1~"
		"PID*F****New gadget~"
		"CTT*3~"
		"SE*12*0001~"
		"GE*1*101~IEA*1*000000101~";
	xmlDocPtr d = shipped_apply("maps/x12/860.map", x4);
	ck_assert_str_eq(canon_kind(d), "order-change");
	ck_get(d, "po-number", "PO-4500012345");
	ck_get(d, "purpose", "change");
	ck_get(d, "type", "stand-alone");
	ck_get(d, "change-sequence", "1");
	ck_get(d, "po-date", "2026-11-15");
	ck_get(d, "references/reference[@type=department]", "042");
	ck_get(d, "dates/date[@type=requested-delivery]", "2026-12-05");
	ck_get(d, "parties/party[@role=ship-to]/id", "0007");
	ck_all(d, "lines/line/number", "1|2|3");
	ck_all(d, "lines/line/change", "quantity-increase|delete|add");
	ck_all(d, "lines/line/quantity", "30|0|10");
	ck_all(d, "lines/line/quantity-left", "6|0|10");
	ck_all(d, "lines/line/unit", "EA|CA|EA");
	ck_all(d, "lines/line/unit-price", "12.5|3");
	ck_all(d, "lines/line/buyer-item", "RTL-100234");
	ck_all(d, "lines/line/vendor-item", "NEW-1");
	ck_all(d, "lines/line/description", "New gadget");
	ck_all(d, "lines/line/dates/date[@type=requested-delivery]", "2026-12-06");
	xmlFreeDoc(d);
	static const char x5[] =
		ENV5010
		"ST*860*0002*005010~"
		"BCH*01*SA*PO-9**2*20261115~"
		"POC*1*PC*5*5*EA*9.99**VN*V-1~"
		"CTT*1~"
		"SE*5*0002~"
		"GE*1*102~IEA*1*000000102~";
	d = shipped_apply("maps/x12/860.map", x5);
	ck_get(d, "source/version", "005010");
	ck_get(d, "purpose", "cancellation");
	ck_get(d, "lines/line/change", "price-change");
	ck_get(d, "lines/line/vendor-item", "V-1");
	xmlFreeDoc(d);
	char *e = shipped_errors("maps/x12/860.map", "ST*860*1~BCH*04*SA*PO-1~POC*1~CTT*2~SE*5*1~");
	static const char *const want[] = {
		"po-date: BCH06 is required",
		"lines/line[1]/change: POC02 is required",
		"totals/line-count: the document says 2 but the record has 1 lines/line",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		ck_assert_msg(strstr(e, want[i]) != NULL, "missing '%s' in:\n%s", want[i], e);
	free(e);
}
END_TEST

/* 846, 004010 and 005010: items with typed quantities. */
START_TEST(test_846)
{
	static const char x4[] =
		ENV4010
		"ST*846*0001~"
		"BIA*00*DD*INV-20261122*20261122*0600~"
		"N1*WH*Demo DC*92*0007~"
		"LIN*1*UP*012345678905*VP*WID-9~"
		"PID*F****Blue widget, large~"
		"QTY*33*120*EA~"
		"QTY*17*150*EA~"
		"LIN*2*UP*012345678912~"
		"QTY*33*0*EA~"
		"DTM*018*20261210~"
		"CTT*2~"
		"SE*12*0001~"
		"GE*1*101~IEA*1*000000101~";
	xmlDocPtr d = shipped_apply("maps/x12/846.map", x4);
	ck_assert_str_eq(canon_kind(d), "inventory-advice");
	ck_get(d, "report-id", "INV-20261122");
	ck_get(d, "purpose", "original");
	ck_get(d, "report-type", "distributor-inventory");
	ck_get(d, "report-date", "2026-11-22");
	ck_get(d, "report-time", "06:00");
	ck_get(d, "parties/party[@role=warehouse]/id", "0007");
	ck_all(d, "items/item/upc", "012345678905|012345678912");
	ck_all(d, "items/item/vendor-item", "WID-9");
	ck_all(d, "items/item/description", "Blue widget, large");
	ck_all(d, "items/item/quantities/quantity/@type", "available|on-hand|available");
	ck_all(d, "items/item/quantities/quantity/value", "120|150|0");
	ck_all(d, "items/item/quantities/quantity/unit", "EA|EA|EA");
	/* a DTM after the QTY belongs to the item, not to the QTY loop */
	ck_all(d, "items/item/dates/date[@type=available]", "2026-12-10");
	xmlFreeDoc(d);
	static const char x5[] =
		ENV5010
		"ST*846*0002*005010~"
		"BIA*00*MB*R-2*20261123~"
		"LIN**EN*00012345678905~"
		"QTY*63*40.5*CA~"
		"SE*5*0002~"
		"GE*1*102~IEA*1*000000102~";
	d = shipped_apply("maps/x12/846.map", x5);
	ck_get(d, "source/version", "005010");
	ck_get(d, "report-type", "manufacturer-inventory");
	ck_get(d, "items/item/gtin", "00012345678905");
	ck_get(d, "items/item/quantities/quantity[@type=on-order]/value", "40.5");
	ck_get(d, "items/item/quantities/quantity/unit", "CA");
	xmlFreeDoc(d);
	char *e = shipped_errors("maps/x12/846.map",
				 "ST*846*1~BIA*00*DD*R*20261122~LIN**UP*1~QTY*33~SE*5*1~");
	ck_assert_msg(strstr(e, "items/item[1]/quantities/quantity[1]/value: QTY02 is required") !=
		      NULL, "%s", e);
	free(e);
}
END_TEST

/* 940, 004010 and 005010: ship-to, carrier, lines, the W76 total. */
START_TEST(test_940)
{
	static const char x4[] =
		ENV4010
		"ST*940*0001~"
		"W05*N*ORD-5512*PO-4500012345~"
		"N1*ST*Demo Retail Store 12*92*0012~"
		"N3*12 Main St~"
		"N4*Columbus*OH*43215*US~"
		"N1*DE*Demo Supplier Co*92*SUP01~"
		"N9*CO*CUST-99~"
		"G62*10*20261125~"
		"NTE*WHI*Deliver to back door~"
		"W66*PP*M***UPS GROUND*****UPSN~"
		"LX*1~"
		"W01*24*EA*012345678905*VN*WID-9********LOT-40~"
		"G69*Blue widget, large~"
		"LX*2~"
		"W01*6*CA**VN*GAD-2*WH*LOC-7~"
		"N9*LT*LOT-42~"
		"W76*30*41.5*LB~"
		"SE*18*0001~"
		"GE*1*101~IEA*1*000000101~";
	xmlDocPtr d = shipped_apply("maps/x12/940.map", x4);
	ck_assert_str_eq(canon_kind(d), "warehouse-shipping-order");
	ck_get(d, "order-number", "ORD-5512");
	ck_get(d, "status", "original");
	ck_get(d, "po-number", "PO-4500012345");
	ck_get(d, "references/reference[@type=customer-order]", "CUST-99");
	ck_get(d, "dates/date[@type=requested-ship]", "2026-11-25");
	ck_get(d, "parties/party[@role=ship-to]/address/city", "Columbus");
	ck_get(d, "parties/party[@role=depositor]/id", "SUP01");
	ck_get(d, "carrier/payment", "prepaid");
	ck_get(d, "carrier/scac", "UPSN");
	ck_get(d, "carrier/routing", "UPS GROUND");
	ck_get(d, "notes/note", "Deliver to back door");
	ck_all(d, "lines/line/number", "1|2");
	ck_all(d, "lines/line/quantity", "24|6");
	ck_all(d, "lines/line/unit", "EA|CA");
	ck_all(d, "lines/line/upc", "012345678905");
	ck_all(d, "lines/line/vendor-item", "WID-9|GAD-2");
	ck_all(d, "lines/line/lot", "LOT-40|LOT-42"); /* W0113, then N9*LT */
	ck_all(d, "lines/line/warehouse-item", "LOC-7");
	ck_all(d, "lines/line/description", "Blue widget, large");
	ck_get(d, "totals/quantity", "30");
	ck_get(d, "totals/weight", "41.5");
	xmlFreeDoc(d);
	static const char x5[] =
		ENV5010
		"ST*940*0002*005010~"
		"W05*C*ORD-5513~"
		"W01*1*EA*012345678905~"
		"W76*1~"
		"SE*5*0002~"
		"GE*1*102~IEA*1*000000102~";
	d = shipped_apply("maps/x12/940.map", x5);
	ck_get(d, "source/version", "005010");
	ck_get(d, "status", "cancellation");
	ck_get(d, "lines/line/quantity", "1");
	xmlFreeDoc(d);
	char *e = shipped_errors("maps/x12/940.map",
				 "ST*940*1~W05*N*O-1~W01*2*EA~W01*3*EA~W76*6~SE*6*1~");
	ck_assert_msg(strstr(e, "totals/quantity: the document says 6 but the sum of "
				"lines/line/quantity is 5") != NULL, "%s", e);
	free(e);
}
END_TEST

/* 945, 004010 and 005010: what was shipped, line by line. */
START_TEST(test_945)
{
	static const char x4[] =
		ENV4010
		"ST*945*0001~"
		"W06*F*ORD-5512*20261124*SHP-1**PO-4500012345~"
		"N1*ST*Demo Retail Store 12*92*0012~"
		"N9*BM*BOL-77~"
		"G62*11*20261124~"
		"W27*M*UPSN*UPS GROUND*PP~"
		"LX*1~"
		"W12*CC*24*24*0*EA*012345678905*VN*WID-9*LOT-1~"
		"LX*2~"
		"W12*CP*6*4*2*CA**VN*GAD-2~"
		"W03*28*41.5*LB~"
		"SE*12*0001~"
		"GE*1*101~IEA*1*000000101~";
	xmlDocPtr d = shipped_apply("maps/x12/945.map", x4);
	ck_assert_str_eq(canon_kind(d), "warehouse-shipping-advice");
	ck_get(d, "order-number", "ORD-5512");
	ck_get(d, "status", "final");
	ck_get(d, "ship-date", "2026-11-24");
	ck_get(d, "shipment-id", "SHP-1");
	ck_get(d, "po-number", "PO-4500012345");
	ck_get(d, "bill-of-lading", "BOL-77");
	ck_get(d, "dates/date[@type=shipped]", "2026-11-24");
	ck_get(d, "carrier/scac", "UPSN");
	ck_get(d, "carrier/mode", "M");
	ck_all(d, "lines/line/status", "complete|partial");
	ck_all(d, "lines/line/ordered-quantity", "24|6");
	ck_all(d, "lines/line/quantity", "24|4");
	ck_all(d, "lines/line/difference", "0|2");
	ck_all(d, "lines/line/vendor-item", "WID-9|GAD-2");
	ck_all(d, "lines/line/lot", "LOT-1");
	ck_get(d, "totals/quantity", "28");
	ck_get(d, "totals/weight-unit", "LB");
	xmlFreeDoc(d);
	static const char x5[] =
		ENV5010
		"ST*945*0002*005010~"
		"W06*P*ORD-2*20261125~"
		"W12*SU*1*1**EA*012345678912~"
		"W03*1~"
		"SE*5*0002~"
		"GE*1*102~IEA*1*000000102~";
	d = shipped_apply("maps/x12/945.map", x5);
	ck_get(d, "source/version", "005010");
	ck_get(d, "status", "partial");
	ck_get(d, "lines/line/status", "substituted");
	ck_get(d, "lines/line/upc", "012345678912");
	xmlFreeDoc(d);
	char *e = shipped_errors("maps/x12/945.map", "ST*945*1~W06*F*O-1*20261124~SE*3*1~");
	ck_assert_msg(strstr(e, "lines/line: required, but there is no W12 loop") != NULL, "%s", e);
	free(e);
}
END_TEST

/* 943 and 944, 004010 and 005010: a transfer to the warehouse and its receipt. */
START_TEST(test_943_944)
{
	static const char s4[] =
		ENV4010
		"ST*943*0001~"
		"W06*N*TR-100*20261120*SHP-9~"
		"N1*WH*Demo DC*92*0007~"
		"N9*BM*BOL-5~"
		"G62*17*20261123~"
		"W27*M*ODFL~"
		"W04*100*EA*012345678905*VN*WID-9~"
		"N9*LT*LOT-5~"
		"W04*20*CA**VN*GAD-2*******LOT-6~"
		"W03*120*900*LB~"
		"SE*11*0001~"
		"GE*1*101~IEA*1*000000101~";
	xmlDocPtr d = shipped_apply("maps/x12/943.map", s4);
	ck_assert_str_eq(canon_kind(d), "warehouse-transfer-shipment");
	ck_get(d, "order-number", "TR-100");
	ck_get(d, "status", "original");
	ck_get(d, "ship-date", "2026-11-20");
	ck_get(d, "shipment-id", "SHP-9");
	ck_get(d, "references/reference[@type=bill-of-lading]", "BOL-5");
	ck_get(d, "dates/date[@type=estimated-delivery]", "2026-11-23");
	ck_get(d, "carrier/scac", "ODFL");
	ck_all(d, "lines/line/quantity", "100|20");
	ck_all(d, "lines/line/unit", "EA|CA");
	ck_all(d, "lines/line/lot", "LOT-5|LOT-6"); /* N9*LT, then W0412 */
	ck_get(d, "totals/quantity", "120");
	xmlFreeDoc(d);
	static const char s5[] =
		ENV5010
		"ST*943*0002*005010~W06*N*TR-101*20261121~W04*1*EA*012345678905~W03*1~"
		"SE*5*0002~GE*1*102~IEA*1*000000102~";
	d = shipped_apply("maps/x12/943.map", s5);
	ck_get(d, "source/version", "005010");
	ck_get(d, "lines/line/upc", "012345678905");
	xmlFreeDoc(d);

	static const char r4[] =
		ENV4010
		"ST*944*0001~"
		"W17*F*20261123*RCV-555*TR-100*SHP-9~"
		"N1*WH*Demo DC*92*0007~"
		"W07*100*EA*012345678905*VN*WID-9***LOT-5~"
		"W07*18*CA**VN*GAD-2~"
		"W14*118~"
		"SE*7*0001~"
		"GE*1*101~IEA*1*000000101~";
	d = shipped_apply("maps/x12/944.map", r4);
	ck_assert_str_eq(canon_kind(d), "warehouse-transfer-receipt");
	ck_get(d, "receipt-number", "RCV-555");
	ck_get(d, "status", "final");
	ck_get(d, "receipt-date", "2026-11-23");
	ck_get(d, "order-number", "TR-100");
	ck_get(d, "shipment-id", "SHP-9");
	ck_all(d, "lines/line/quantity", "100|18");
	ck_all(d, "lines/line/vendor-item", "WID-9|GAD-2");
	ck_all(d, "lines/line/lot", "LOT-5");
	ck_get(d, "totals/quantity", "118");
	xmlFreeDoc(d);
	static const char r5[] =
		ENV5010
		"ST*944*0002*005010~W17*P*20261124*RCV-556~W07*1*EA~W14*1~"
		"SE*5*0002~GE*1*102~IEA*1*000000102~";
	d = shipped_apply("maps/x12/944.map", r5);
	ck_get(d, "source/version", "005010");
	ck_get(d, "status", "partial");
	xmlFreeDoc(d);
	char *e = shipped_errors("maps/x12/944.map", "ST*944*1~W17*F*20261123~W07**EA~SE*4*1~");
	ck_assert_msg(strstr(e, "receipt-number: W1703 is required") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "lines/line[1]/quantity: W0701 is required") != NULL, "%s", e);
	free(e);
	/* the warehouse segments' findings carry their element numbers (AK402) */
	ck_assert_int_eq(shipped_ref("maps/x12/944.map", "ST*944*1~W17*F*20261123~W07**EA~SE*4*1~", "W1703"), 394);
	ck_assert_int_eq(shipped_ref("maps/x12/944.map", "ST*944*1~W17*F*20261123~W07**EA~SE*4*1~", "W0701"), 413);
}
END_TEST

/* A large 856 (one order, 20000 cartons of one item each) maps in n log n. */
START_TEST(test_856_large)
{
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "ST*856*1~BSN*00*S*20261122~HL*1**S~HL*2*1*O~PRF*PO-1~");
	size_t id = 3;
	for (size_t i = 0; i < 20000; i++) {
		buf_printf(&b, "HL*%zu*2*P~MAN*GM*%020zu~", id, i);
		buf_printf(&b, "HL*%zu*%zu*I~LIN**UP*%zu~SN1**1*EA~", id + 1, id, i);
		id += 2;
	}
	buf_puts(&b, "SE*1*1~");
	char *p = tu_srcpath("maps/x12/856.map");
	struct map *m = map_file(p);
	free(p);
	struct x12_errlist errs = { 0 };
	xmlDocPtr d = apply(m, b.data, &errs);
	no_errors(&errs);
	ck_assert_uint_eq(count(d, "shipment/orders/order/packs/pack"), 20000);
	ck_assert_uint_eq(count(d, "shipment/orders/order/packs/pack/items/item"), 20000);
	x12_errlist_free(&errs);
	xmlFreeDoc(d);
	map_free(m);
	buf_free(&b);
}
END_TEST

/* The element reference numbers the acknowledgments get from the new maps' findings. */
START_TEST(test_shipped_elem_refs)
{
	ck_assert_int_eq(shipped_ref("maps/x12/856.map", "ST*856*1~BSN*00**2026~SE*3*1~",
				     "shipment-id"), 396);
	ck_assert_int_eq(shipped_ref("maps/x12/856.map", "ST*856*1~BSN*00**2026~SE*3*1~",
				     "notice-date"), 373);
	ck_assert_int_eq(shipped_ref("maps/x12/856.map",
				     "ST*856*1~BSN*00*S*20261122~HL*1**S~HL*2*1*O~PRF~HL*3*2*I~"
				     "SN1**x~SE*8*1~",
				     "quantity"), 382);
	ck_assert_int_eq(shipped_ref("maps/x12/856.map",
				     "ST*856*1~BSN*00*S*20261122~HL*1**S~HL*2*1*O~PRF~SE*6*1~",
				     "po-number"), 324);
	ck_assert_int_eq(shipped_ref("maps/x12/855.map", "ST*855*1~BAK*00*AC*P~SE*3*1~", "po-date"),
			 373);
	ck_assert_int_eq(shipped_ref("maps/x12/855.map",
				     "ST*855*1~BAK*00*AC*P*20261122~PO1*1~ACK~SE*5*1~", "status"),
			 668);
	ck_assert_int_eq(shipped_ref("maps/x12/810.map", "ST*810*1~BIG*2026~IT1*1~SE*4*1~",
				     "invoice-number"), 76);
	ck_assert_int_eq(shipped_ref("maps/x12/810.map", "ST*810*1~BIG*2026~IT1*1~SE*4*1~",
				     "lines/line[1]/quantity"), 358);
	ck_assert_int_eq(shipped_ref("maps/x12/810.map",
				     "ST*810*1~BIG*20261122*I~IT1*1*1~TDS*1.5~SE*5*1~",
				     "totals/amount"), 610);
	ck_assert_int_eq(shipped_ref("maps/x12/860.map",
				     "ST*860*1~BCH*04*SA*P**1*20261122~POC*1~SE*4*1~", "change"), 670);
	ck_assert_int_eq(shipped_ref("maps/x12/846.map",
				     "ST*846*1~BIA*00*DD*R*20261122~LIN**UP*1~QTY*33~SE*5*1~",
				     "value"), 380);
	ck_assert_int_eq(shipped_ref("maps/x12/940.map", "ST*940*1~W05*N~W01*1~SE*4*1~",
				     "order-number"), 285);
	ck_assert_int_eq(shipped_ref("maps/x12/940.map", "ST*940*1~W05*N*O-1~W01~SE*4*1~",
				     "lines/line[1]/quantity"), 330);
}
END_TEST

/* Real transaction sets from the corpus ($EDIGW_CORPUS; skipped when it is absent). */
static xmlDocPtr corpus_apply(const char *map_rel, const char *file)
{
	char *root = tu_corpus();
	if (!root)
		return NULL;
	char *p = xasprintf("%s/%s", root, file);
	char *x12 = tu_read(p, NULL);
	free(root);
	free(p);
	if (!x12)
		return NULL;
	xmlDocPtr d = shipped_apply(map_rel, x12);
	free(x12);
	return d;
}

START_TEST(test_corpus_856_855_810)
{
	/* node-x12's 856: S/O/I, two items, TD1 weight in A3 (not G) */
	xmlDocPtr d = corpus_apply("maps/x12/856.map", "node-x12/test/test-data/856.edi");
	if (d) {
		ck_get(d, "shipment-id", "829716");
		ck_get(d, "purpose", "other"); /* 14: advance notification */
		ck_get(d, "notice-date", "2011-12-06");
		ck_get(d, "notice-time", "14:24:28");
		ck_get(d, "shipment/gross-weight", "60.31");
		ck_get(d, "shipment/bill-of-lading", "999999-001");
		ck_get(d, "shipment/pro-number", "5787970539");
		ck_get(d, "shipment/dates/date[@type=shipped]", "2011-12-06");
		ck_get(d, "shipment/parties/party[@role=ship-from]/address/city", "SOLON");
		ck_get(d, "shipment/orders/order/po-number", "99999817");
		ck_get(d, "shipment/orders/order/po-date", "2011-12-05");
		ck_all(d, "shipment/orders/order/items/item/vendor-item", "87787D|99887D");
		ck_all(d, "shipment/orders/order/items/item/upc", "999999310145|999999311746");
		ck_all(d, "shipment/orders/order/items/item/quantity", "24|6");
		ck_all(d, "shipment/orders/order/items/item/description", "BLUE WIDGET|RED WIDGET");
		xmlFreeDoc(d);
	}
	/* node-x12's 855: four lines, two rejected */
	d = corpus_apply("maps/x12/855.map", "node-x12/test/test-data/855.edi");
	if (d) {
		ck_get(d, "po-number", "POTEST1112");
		ck_get(d, "ack-type", "accepted-no-detail");
		ck_get(d, "ack-date", "2020-10-15");
		ck_get(d, "currency", "USD");
		ck_all(d, "lines/line/gtin", "9780446360265|9780767928427|9780099599531|9780446360272");
		ck_all(d, "lines/line/acks/ack/status", "accepted|rejected|rejected|accepted");
		ck_all(d, "lines/line/unit-price", "4.5|15.99|0|4.5");
		ck_get(d, "totals/line-count", "4");
		xmlFreeDoc(d);
	}
	/* an x12-types 855 whose PO1 and ACK are one element off the standard */
	d = corpus_apply("maps/x12/855.map", "x12-types-inline/src/v005010/_855_test__literal1_line9.edi");
	if (d) {
		ck_get(d, "po-number", "801222");
		ck_get(d, "lines/line/quantity", "140");
		/* its qualifiers sit one element off the PO106/PO107 pairs: no ids are taken */
		ck_get(d, "lines/line/upc", "(none)");
		ck_get(d, "lines/line/acks/ack/status", "accepted");
		ck_get(d, "lines/line/acks/ack/date", "(none)"); /* sent in ACK06/ACK07, not ACK05 */
		xmlFreeDoc(d);
	}
	/* stupidedi's aerospace 810 */
	d = corpus_apply("maps/x12/810.map", "stupidedi/spec/fixtures/004010/X348 SC810 Aerospace "
					     "Industry Invoice/pass/basic-invoice.edi");
	if (d) {
		ck_get(d, "invoice-number", "39876980601170600");
		ck_get(d, "invoice-date", "2000-05-13");
		ck_get(d, "po-number", "767124");
		ck_get(d, "type", "CI");
		ck_get(d, "parties/party[@role=remit-to]/name", "US BANK");
		ck_get(d, "lines/line/quantity", "1");
		ck_get(d, "lines/line/unit-price", "170.6");
		ck_get(d, "totals/amount", "170.6");
		xmlFreeDoc(d);
	}
}
END_TEST

/* Every shipped X12 map passes map check against the canonical schema. */
START_TEST(test_all_shipped_maps_check)
{
	static const char *const maps[] = { "maps/x12/850.map", "maps/x12/856.map",
						    "maps/x12/855.map", "maps/x12/810.map",
						    "maps/x12/860.map", "maps/x12/846.map",
						    "maps/x12/940.map", "maps/x12/945.map",
						    "maps/x12/943.map", "maps/x12/944.map" };
	for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
		char *p = tu_srcpath(maps[i]);
		struct diag_list d;
		diag_list_init(&d);
		int rc = map_check(p, g_rng, &d);
		char *e = tu_diag_text(&d);
		ck_assert_msg(rc == 0 && d.n == 0, "%s: %s", maps[i], e);
		free(e);
		diag_list_free(&d);
		free(p);
	}
}
END_TEST

/* xref in an X12 map: a partner's item number becomes ours through a CSV file beside the
 * map; a value the file lacks is AK4 code 7 on its element; "else" gives a fallback. */
START_TEST(test_xref_x12)
{
	put_tmp("skus.csv", "partner_sku,our_sku\nW-9,SKU-0009\nW-10,SKU-0010\n");
	put_tmp("units.csv", "theirs,ours\nCA,CS\n");
	struct map *m = map_text("x.map",
				 "source x12 850\ntarget order\n"
				 "xref sku  skus.csv  partner_sku our_sku\n"
				 "xref unit units.csv theirs ours else *\n"
				 "lines/line each PO1\n"
				 "  buyer-item PO107 xref sku\n"
				 "  unit PO103 xref unit\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, "ST*850*0001~PO1*1*2*CA*1**BP*W-10~PO1*2*2*EA*1**BP*W-11~SE*4*0001~", &errs);
	ck_get(doc, "lines/line/buyer-item", "SKU-0010");
	ck_get(doc, "lines/line/unit", "CS");
	ck_assert_uint_eq(errs.n, 1);
	const struct x12_error *e = &errs.v[0];
	ck_assert_str_eq(e->code, "7");
	ck_assert_str_eq(e->seg_id, "PO1");
	ck_assert_uint_eq(e->seg_pos, 3);
	ck_assert_int_eq(e->elem_pos, 7);
	ck_assert_str_eq(e->bad_value, "W-11");
	ck_assert_msg(strstr(e->msg, "lines/line[2]/buyer-item: PO107 holds a value cross-reference sku has no entry "
				     "for (skus.csv, column partner_sku) (map ") && strstr(e->msg, "x.map:6)"),
		      "%s", e->msg);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

static Suite *map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_850_4010_golden);
	tcase_add_test(tc, test_850_5010);
	tcase_add_test(tc, test_850_to_erp_csv);
	tcase_add_test(tc, test_shipped_map_check);
	tcase_add_test(tc, test_ctt_mismatch);
	tcase_add_test(tc, test_required_missing);
	tcase_add_test(tc, test_conditions);
	tcase_add_test(tc, test_each_lists);
	tcase_add_test(tc, test_pair);
	tcase_add_test(tc, test_code_tables);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_apply_misc);
	tcase_add_test(tc, test_extends_overlay);
	tcase_add_test(tc, test_extends_cycle);
	tcase_add_test(tc, test_extends_depth);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_map_check);
	tcase_add_test(tc, test_limit_max_option);
	tcase_add_test(tc, test_limit_max_list);
	tcase_add_test(tc, test_limit_depth);
	tcase_add_test(tc, test_limit_counts);
	tcase_add_test(tc, test_limit_schema);
	tcase_add_test(tc, test_man_page_examples);
	tcase_add_test(tc, test_each_hierarchy);
	tcase_add_test(tc, test_856_4010);
	tcase_add_test(tc, test_856_5010_tare);
	tcase_add_test(tc, test_856_errors);
	tcase_add_test(tc, test_855_4010);
	tcase_add_test(tc, test_855_5010);
	tcase_add_test(tc, test_810_4010);
	tcase_add_test(tc, test_810_5010);
	tcase_add_test(tc, test_860);
	tcase_add_test(tc, test_846);
	tcase_add_test(tc, test_940);
	tcase_add_test(tc, test_945);
	tcase_add_test(tc, test_943_944);
	tcase_add_test(tc, test_shipped_elem_refs);
	tcase_add_test(tc, test_856_large);
	tcase_add_test(tc, test_corpus_856_855_810);
	tcase_add_test(tc, test_all_shipped_maps_check);
	tcase_add_test(tc, test_xref_x12);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run_suite(map_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
