/* check_map_edifact — maps from EDIFACT messages to canonical records: the
 * shipped ORDERS, ORDRSP, DESADV and INVOIC maps on D96A/D01B (EANCOM)
 * messages field by field, release characters and UNOC text, the UNA decimal
 * mark, DTM formats 102/203/204, EDIFACT paths (components, whole composites,
 * repetitions, [SEG] conditions, '/' paths, the CPS hierarchy), findings
 * with EDIFACT positions and ISO 9735 codes, the message type check, map
 * check of the shipped maps, and the public corpus. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "canon/canon_path.h"
#include "edifact/edifact.h"
#include "map/map.h"
#include "testutil.h"

static char *g_tmp;
static char *g_rng;

static void setup(void)
{
	g_tmp = tu_tmpdir();
	g_rng = tu_srcpath("doc/canonical.rng");
}

static void teardown(void)
{
	tu_rmtree(g_tmp);
	free(g_tmp);
	free(g_rng);
}

/* ------------------------------------------------------- messages */

/* Messages come from the real reader (edi_parse: UNA, release characters, syntax 4
 * repetitions, character sets to UTF-8), and are valid during its message callback
 * only: each_message calls fn for message number `which` (1-based) of the text. A
 * text without UNA/UNB (a bare UNH..UNT) is wrapped in a UNOC interchange. */
typedef void (*msg_fn)(void *ctx, const struct edi_msg *msg);

struct rdctx {
	int which, seen;
	msg_fn fn;
	void *ctx;
	size_t env_errors; /* the reader's findings on that message */
};

static int on_message(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct rdctx *c = ctx;
	if (++c->seen != c->which)
		return 0;
	c->env_errors = res->errors.n;
	c->fn(c->ctx, msg);
	return 0;
}

/* text as an interchange: a bare message (UNA then UNH, or UNH) gets a UNB and a UNZ
 * written with the UNA's separators. NULL when text has its UNB. */
static char *wrap_interchange(const char *text, size_t len, size_t *outlen)
{
	char el = '+', co = ':', te = '\'';
	size_t una = 0;
	if (len >= 9 && memcmp(text, "UNA", 3) == 0) {
		co = text[3];
		el = text[4];
		te = text[8];
		una = 9;
	}
	size_t i = una;
	while (i < len && (text[i] == '\r' || text[i] == '\n' || text[i] == ' '))
		i++;
	if (i + 3 <= len && memcmp(text + i, "UNB", 3) == 0)
		return NULL;
	struct buf b;
	buf_init(&b, 0);
	buf_append(&b, text, una);
	buf_printf(&b, "UNB%cUNOC%c3%cSENDER%cRECEIVER%c261122%c0800%c1%c", el, co, el, el, el, co,
		   el, te);
	buf_append(&b, text + una, len - una);
	buf_printf(&b, "UNZ%c1%c1%c", el, el, te);
	*outlen = b.len;
	return buf_steal(&b);
}

/* Read text and call fn on message `which`; returns the reader's findings on it. */
static size_t each_message(const char *text, size_t len, int which, msg_fn fn, void *ctx)
{
	size_t wlen = 0;
	char *wrapped = wrap_interchange(text, len, &wlen);
	if (wrapped) {
		text = wrapped;
		len = wlen;
	}
	struct edi_reader *rd = NULL;
	ck_assert_int_eq(edi_reader_new_mem(&rd, text, len, NULL), 0);
	struct rdctx c = { which, 0, fn, ctx, 0 };
	struct edi_handler h = { 0 };
	h.ctx = &c;
	h.message = on_message;
	struct edi_file_summary sum;
	struct x12_error err = { 0 };
	int rc = edi_parse(rd, &h, &sum, &err);
	ck_assert_msg(rc == 0, "edi_parse: %d %s", rc, err.msg ? err.msg : "");
	ck_assert_msg(c.seen >= which, "no message %d in the text (%d)", which, c.seen);
	x12_error_free(&err);
	edi_reader_free(rd);
	free(wrapped);
	return c.env_errors;
}

/* A message built by hand, for values the reader would not hand out: segments given as
 * tag and one simple element each. */
struct handmsg {
	struct edi_msg msg;
	struct edi_seg segs[8];
	struct edi_elem elems[8][2];
	struct edi_val vals[8][2];
	struct edi_delims d;
};

static void handmsg_init(struct handmsg *h, const char *type, const char *const *tags,
			 const char *const *vals, size_t n)
{
	memset(h, 0, sizeof *h);
	ck_assert_uint_le(n, 8);
	h->d = (struct edi_delims){ ':', '+', '.', '?', 0, '\'' };
	for (size_t i = 0; i < n; i++) {
		snprintf(h->segs[i].tag, sizeof h->segs[i].tag, "%s", tags[i]);
		h->vals[i][0] = (struct edi_val){ tags[i], strlen(tags[i]) };
		h->vals[i][1] = (struct edi_val){ vals[i], strlen(vals[i]) };
		h->elems[i][0] = (struct edi_elem){ 1, &h->vals[i][0], NULL };
		h->elems[i][1] = (struct edi_elem){ 1, &h->vals[i][1], NULL };
		h->segs[i].nelem = 1;
		h->segs[i].elem = h->elems[i];
		h->segs[i].file_seg = i + 1;
		h->segs[i].line = 1;
	}
	snprintf(h->msg.ref, sizeof h->msg.ref, "1");
	snprintf(h->msg.type, sizeof h->msg.type, "%s", type);
	snprintf(h->msg.version, sizeof h->msg.version, "D");
	snprintf(h->msg.release, sizeof h->msg.release, "96A");
	h->msg.nseg = n;
	h->msg.segs = h->segs;
	h->msg.delims = &h->d;
	h->msg.index = 1;
}

/* ------------------------------------------------------- test helpers */

static char *write_tmp(const char *name, const char *text)
{
	size_t n = strlen(g_tmp) + strlen(name) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", g_tmp, name);
	ck_assert_int_eq(tu_write(p, text, strlen(text)), 0);
	return p;
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

/* A shipped map by its path below the source tree. */
static struct map *shipped(const char *rel)
{
	char *p = tu_srcpath(rel);
	struct map *m = map_file(p);
	free(p);
	return m;
}

/* A map from text (g_tmp/name). */
static struct map *map_text(const char *name, const char *text)
{
	char *p = write_tmp(name, text);
	struct map *m = map_file(p);
	free(p);
	return m;
}

/* The diagnostics of a map that must not load. */
static char *map_errors(const char *name, const char *text)
{
	char *p = write_tmp(name, text);
	struct diag_list d;
	diag_list_init(&d);
	struct map *m = NULL;
	ck_assert_int_eq(map_load(&m, p, &d), -EINVAL);
	ck_assert_ptr_null(m);
	char *e = tu_diag_text(&d);
	diag_list_free(&d);
	free(p);
	return e;
}

/* The text of a fixture in tests/data/map_edifact (allocated). */
static char *fixture(const char *name, size_t *len)
{
	char rel[256];
	snprintf(rel, sizeof rel, "tests/data/map_edifact/%s", name);
	char *p = tu_srcpath(rel);
	char *t = tu_read(p, len);
	ck_assert_msg(t != NULL, "cannot read %s", p);
	free(p);
	return t;
}

struct applyctx {
	const struct map *m;
	xmlDocPtr doc;
	char *key;
	struct x12_errlist *errs;
	int rc;
};

static void apply_one(void *ctx, const struct edi_msg *msg)
{
	struct applyctx *a = ctx;
	a->rc = map_apply_edifact(a->m, msg, NULL, &a->doc, a->errs, &a->key);
}

/* Apply m to message text; the record (and key) returned, errors into errs. With
 * env_ok the reader must have found nothing wrong in the message. */
static xmlDocPtr apply_text_n(const struct map *m, const char *text, size_t len, int which,
			      struct x12_errlist *errs, char **key, int env_ok)
{
	struct applyctx a = { m, NULL, NULL, errs, -1 };
	size_t env = each_message(text, len, which, apply_one, &a);
	ck_assert_msg(!env_ok || env == 0, "the reader found %zu problems in the message", env);
	ck_assert_int_eq(a.rc, 0);
	ck_assert_ptr_nonnull(a.doc);
	if (key)
		*key = a.key;
	else
		free(a.key);
	return a.doc;
}

static xmlDocPtr apply_text(const struct map *m, const char *text, size_t len,
			    struct x12_errlist *errs, char **key)
{
	return apply_text_n(m, text, len, 1, errs, key, 0);
}

static xmlDocPtr apply_fixture(const struct map *m, const char *name, struct x12_errlist *errs,
			       char **key)
{
	size_t len = 0;
	char *t = fixture(name, &len);
	xmlDocPtr d = apply_text_n(m, t, len, 1, errs, key, 1);
	free(t);
	return d;
}

static xmlDocPtr apply(const struct map *m, const char *text, struct x12_errlist *errs)
{
	return apply_text(m, text, strlen(text), errs, NULL);
}

static char *get(xmlDocPtr d, const char *path)
{
	char *v = canon_get(xmlDocGetRootElement(d), path);
	return v ? v : strdup("(none)");
}

#define ck_get(doc, path, want)                                                              \
	do {                                                                                 \
		char *v_ = get((doc), (path));                                               \
		ck_assert_msg(strcmp(v_, (want)) == 0, "%s: got '%s', want '%s'", (path), v_, \
			      (want));                                                       \
		free(v_);                                                                    \
	} while (0)

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

static int join_one(void *ctx, xmlNodePtr n)
{
	struct joinctx *c = ctx;
	xmlChar *v = c->p->attr ? xmlGetProp(n, c->p->attr) : xmlNodeGetContent(n);
	buf_printf(&c->b, "%s%s", c->b.len ? "|" : "", v ? (const char *)v : "");
	xmlFree(v);
	return 0;
}

/* Every value at path joined by '|'. */
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

#define ck_all(doc, path, want)                                                              \
	do {                                                                                 \
		char *v_ = all((doc), (path));                                               \
		ck_assert_msg(strcmp(v_, (want)) == 0, "%s: got '%s', want '%s'", (path), v_, \
			      (want));                                                       \
		free(v_);                                                                    \
	} while (0)

static char *errs_text(const struct x12_errlist *e)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < e->n; i++)
		buf_printf(&b, "[%s %s%02d-%d pos %llu] %s\n", e->v[i].code, e->v[i].seg_id,
			   e->v[i].elem_pos, e->v[i].comp_pos, (unsigned long long)e->v[i].seg_pos,
			   e->v[i].msg);
	return b.data ? buf_steal(&b) : strdup("(no errors)");
}

static const struct x12_error *find_err(const struct x12_errlist *e, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->v[i].msg, needle))
			return &e->v[i];
	char *t = errs_text(e);
	ck_abort_msg("no error with '%s' among:\n%s", needle, t);
	free(t);
	return NULL;
}

static void no_errors(const struct x12_errlist *e)
{
	char *t = errs_text(e);
	ck_assert_msg(e->n == 0, "unexpected errors:\n%s", t);
	free(t);
}

/* The record is valid against doc/canonical.rng once the gateway adds the partner. */
static void valid_record(xmlDocPtr doc)
{
	struct buf err;
	buf_init(&err, 0);
	ck_assert_int_eq(canon_set_source(doc, "demo-retailer", NULL), 0);
	ck_assert_msg(canon_validate(doc, g_rng, &err) == 0, "%s", err.data ? err.data : "");
	buf_free(&err);
}

/* ------------------------------------------------------------------ ORDERS */

/* The EANCOM D96A order of the fixture, field by field. */
static void check_orders_record(xmlDocPtr doc)
{
	ck_get(doc, "po-number", "PO-4500012345");
	ck_get(doc, "purpose", "original");
	ck_get(doc, "type", "stand-alone");
	ck_get(doc, "order-date", "2026-11-22");
	ck_get(doc, "contract-number", "CN-889");
	ck_get(doc, "currency", "USD");
	ck_get(doc, "references/reference[@type=promotion]", "PROMO-7");
	ck_get(doc, "dates/date[@type=requested-delivery]", "2026-12-05");
	ck_get(doc, "dates/date[@type=requested-ship]", "2026-12-01");
	ck_get(doc, "dates/date[@type=cancel-after]", "2026-12-15");
	ck_all(doc, "dates/date/@type", "requested-delivery|requested-ship|cancel-after");
	ck_all(doc, "notes/note", "Deliver to dock 4");
	ck_assert_uint_eq(count(doc, "parties/party"), 3);
	ck_all(doc, "parties/party/@role", "buyer|ship-to|supplier");
	ck_get(doc, "parties/party[@role=buyer]/id", "5412345000013");
	ck_get(doc, "parties/party[@role=buyer]/id-qualifier", "9");
	ck_get(doc, "parties/party[@role=buyer]/name", "Demo Retail Inc.");
	ck_get(doc, "parties/party[@role=buyer]/address/line1", "1200 Distribution Way");
	ck_get(doc, "parties/party[@role=buyer]/address/line2", "Dock 4");
	ck_get(doc, "parties/party[@role=buyer]/address/city", "Columbus");
	ck_get(doc, "parties/party[@role=buyer]/address/state", "OH");
	ck_get(doc, "parties/party[@role=buyer]/address/postal-code", "43215");
	ck_get(doc, "parties/party[@role=buyer]/address/country", "US");
	ck_get(doc, "parties/party[@role=buyer]/contact/name", "Jane Buyer");
	ck_get(doc, "parties/party[@role=buyer]/contact/phone", "+1 614 555 0100");
	ck_get(doc, "parties/party[@role=buyer]/contact/email", "jane.buyer@example.com");
	ck_get(doc, "parties/party[@role=buyer]/references/reference[@type=vat]", "US123456789");
	ck_get(doc, "parties/party[@role=ship-to]/address/city", "Reno");
	ck_get(doc, "parties/party[@role=supplier]/name", "Widget Works GmbH");
	ck_get(doc, "parties/party[@role=supplier]/address/city", "(none)");
	ck_assert_uint_eq(count(doc, "lines/line"), 2);
	ck_all(doc, "lines/line/number", "1|2");
	ck_all(doc, "lines/line/quantity", "24|6");
	ck_all(doc, "lines/line/unit", "PCE|CS");
	ck_all(doc, "lines/line/unit-price", "12.5|48");
	ck_all(doc, "lines/line/gtin", "4012345000016|4012345000023");
	ck_all(doc, "lines/line/vendor-item", "WID-9|GAD-2");
	ck_all(doc, "lines/line/buyer-item", "RTL-100234");
	ck_all(doc, "lines/line/description", "Blue widget, large|Gadget \"Pro\": 12 per case");
	ck_all(doc, "lines/line/dates/date[@type=requested-delivery]", "2026-12-03");
	ck_all(doc, "lines/line/references/reference[@type=customer-order]", "CUST-77");
	ck_get(doc, "totals/line-count", "2");
	ck_get(doc, "totals/quantity-sum", "30");
	ck_get(doc, "totals/amount", "588");
}

START_TEST(test_orders_d96a)
{
	struct map *m = shipped("maps/edifact/ORDERS.map");
	ck_assert_str_eq(map_source_standard(m), "edifact");
	ck_assert_str_eq(map_source_type(m), "ORDERS");
	ck_assert_str_eq(map_target_kind(m), "order");
	struct x12_errlist errs = { 0 };
	char *key = NULL;
	xmlDocPtr doc = apply_fixture(m, "orders-d96a.edi", &errs, &key);
	no_errors(&errs);
	ck_assert_str_eq(key, "PO-4500012345");
	check_orders_record(doc);
	/* the source element from UNB/UNH */
	ck_get(doc, "source/standard", "edifact");
	ck_get(doc, "source/version", "D96A EAN008");
	ck_get(doc, "source/document-type", "ORDERS");
	ck_get(doc, "source/sender", "5412345000013");
	ck_get(doc, "source/receiver", "4012345000009");
	ck_get(doc, "source/interchange", "ICR0001");
	ck_get(doc, "source/transaction", "ME0001");
	ck_get(doc, "source/test", "false");
	ck_get(doc, "source/group", "(none)");
	valid_record(doc);
	ck_get(doc, "source/partner", "demo-retailer");
	ck_get(doc, "source/interchange", "ICR0001");
	free(key);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* D01B: BGM02 is the composite C106, NAD07 the composite C819; same record. */
START_TEST(test_orders_d01b_same_record)
{
	struct map *m = shipped("maps/edifact/ORDERS.map");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply_fixture(m, "orders-d01b.edi", &errs, NULL);
	no_errors(&errs);
	check_orders_record(doc);
	ck_get(doc, "source/version", "D01B EAN010");
	ck_get(doc, "source/interchange", "ICR0002");
	valid_record(doc);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* The case: a UNOC (Latin-1) ORDERS with ?+ ?: ?' ?? → the exact UTF-8 text. */
START_TEST(test_orders_unoc_release)
{
	struct map *m = shipped("maps/edifact/ORDERS.map");
	struct x12_errlist errs = { 0 };
	char *key = NULL;
	xmlDocPtr doc = apply_fixture(m, "orders-unoc-release.edi", &errs, &key);
	no_errors(&errs);
	ck_assert_str_eq(key, "PO+\xc3\x84:1'7");
	ck_get(doc, "po-number", "PO+\xc3\x84:1'7");
	ck_get(doc, "parties/party[@role=buyer]/name",
	       "M\xc3\xbcller + S\xc3\xb6hne : G\xc3\xa4rten ' AG ? Co");
	ck_get(doc, "parties/party[@role=buyer]/address/line1", "Stra\xc3\x9f" "e 1");
	ck_get(doc, "parties/party[@role=buyer]/address/city", "K\xc3\xb6ln");
	ck_get(doc, "lines/line/description",
	       "Gr\xc3\xbcne \xc3\x84pfel \xc2\xbd kg ? \xc2\xab" "bio\xc2\xbb");
	ck_get(doc, "lines/line/gtin", "4000001000019");
	ck_get(doc, "purpose", "original"); /* BGM03 9 */
	valid_record(doc);
	/* serialized as UTF-8 XML, the text is byte for byte the same */
	struct buf out;
	buf_init(&out, 0);
	ck_assert_int_eq(canon_serialize(doc, &out), 0);
	ck_assert_msg(strstr(out.data, "M\xc3\xbcller + S\xc3\xb6hne : G\xc3\xa4rten ' AG ? Co") !=
		      NULL, "%s", out.data);
	buf_free(&out);
	free(key);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* Values a minimal order does without: the defaults and what is left out. */
START_TEST(test_orders_minimal)
{
	struct map *m = shipped("maps/edifact/ORDERS.map");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "UNH+1+ORDERS:D:96A:UN'BGM+220+B10001'DTM+4:20060620:102'"
			      "NAD+BY+++Bestellername+Strasse+Stadt++23436+xx'"
			      "LIN+1++Produkt Schrauben:SA'QTY+1:1000'UNS+S'CNT+2:1'UNT+9+1'",
			      &errs);
	no_errors(&errs);
	ck_get(doc, "po-number", "B10001");
	ck_get(doc, "purpose", "original");   /* no BGM03: the default */
	ck_get(doc, "order-date", "2006-06-20"); /* DTM 4 when there is no 137 */
	ck_get(doc, "parties/party/name", "Bestellername");
	ck_get(doc, "parties/party/address/line1", "Strasse");
	ck_get(doc, "parties/party/address/postal-code", "23436");
	ck_get(doc, "parties/party/address/country", "xx");
	ck_get(doc, "parties/party/id", "(none)");
	ck_get(doc, "lines/line/vendor-item", "Produkt Schrauben");
	ck_get(doc, "lines/line/quantity", "1000"); /* QTY 1 when there is no 21 */
	ck_get(doc, "source/version", "D96A");
	ck_get(doc, "source/sender", "SENDER");
	ck_get(doc, "source/test", "false");
	valid_record(doc);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* ------------------------------------------------------------------ ORDRSP */

START_TEST(test_ordrsp_d96a)
{
	struct map *m = shipped("maps/edifact/ORDRSP.map");
	ck_assert_str_eq(map_target_kind(m), "order-response");
	struct x12_errlist errs = { 0 };
	char *key = NULL;
	xmlDocPtr doc = apply_fixture(m, "ordrsp-d96a.edi", &errs, &key);
	no_errors(&errs);
	ck_assert_str_eq(key, "PO-4500012345");
	ck_get(doc, "po-number", "PO-4500012345");
	ck_get(doc, "purpose", "original");
	ck_get(doc, "ack-type", "accepted-with-changes");
	ck_get(doc, "po-date", "2026-11-22");
	ck_get(doc, "ack-number", "RSP-2001");
	ck_get(doc, "ack-date", "2026-11-23");
	ck_get(doc, "currency", "USD");
	ck_get(doc, "dates/date[@type=estimated-delivery]", "2026-12-06");
	ck_get(doc, "dates/date[@type=promised-delivery]", "2026-12-05");
	ck_all(doc, "parties/party/@role", "buyer|supplier");
	ck_get(doc, "parties/party[@role=supplier]/name", "Widget Works GmbH");
	ck_assert_uint_eq(count(doc, "lines/line"), 3);
	ck_all(doc, "lines/line/number", "1|2|3");
	ck_all(doc, "lines/line/quantity", "24|6|5");
	ck_all(doc, "lines/line/unit", "PCE|CS|PCE");
	ck_all(doc, "lines/line/unit-price", "12.5|48");
	ck_all(doc, "lines/line/vendor-item", "WID-9|GAD-2");
	ck_all(doc, "lines/line/gtin", "4012345000016|4012345000023|4012345000030");
	ck_assert_uint_eq(count(doc, "lines/line/acks/ack"), 3);
	ck_all(doc, "lines/line/acks/ack/status", "accepted|accepted-changes|rejected");
	ck_all(doc, "lines/line/acks/ack/quantity", "24|4|5");
	ck_all(doc, "lines/line/acks/ack/unit", "PCE|CS|PCE");
	ck_all(doc, "lines/line/acks/ack/date", "2026-12-10");
	ck_all(doc, "lines/line/acks/ack/date-type", "promised-delivery");
	ck_get(doc, "totals/line-count", "3");
	valid_record(doc);
	free(key);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* BGM04 (4343) says the kind of response when there is one; BGM03 29/27 otherwise. */
START_TEST(test_ordrsp_response_types)
{
	struct map *m = shipped("maps/edifact/ORDRSP.map");
	static const struct {
		const char *bgm, *purpose, *type;
	} v[] = {
		{ "BGM+231+R1+29'", "original", "accepted-no-detail-or-change" },
		{ "BGM+231+R1+27'", "original", "rejected-no-detail" },
		{ "BGM+231+R1+9+AP'", "original", "accepted-no-detail-or-change" },
		{ "BGM+231+R1+9+RE'", "original", "rejected-no-detail" },
		{ "BGM+231+R1+5+AC'", "replace", "accepted-with-detail" },
		{ "BGM+231+R1+1+CA'", "cancellation", "accepted-with-exceptions" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char text[512];
		snprintf(text, sizeof text,
			 "UNH+1+ORDRSP:D:01B:UN'%sDTM+137:20261123:102'RFF+ON:PO-1'"
			 "DTM+171:20261122:102'UNS+S'UNT+7+1'", v[i].bgm);
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply(m, text, &errs);
		no_errors(&errs);
		ck_get(doc, "purpose", v[i].purpose);
		ck_get(doc, "ack-type", v[i].type);
		ck_get(doc, "ack-number", "R1");
		ck_assert_uint_eq(count(doc, "lines"), 0);
		valid_record(doc);
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
	}
	map_free(m);
}
END_TEST

/* ------------------------------------------------------------------ DESADV */

START_TEST(test_desadv_tares_and_packs)
{
	struct map *m = shipped("maps/edifact/DESADV.map");
	ck_assert_str_eq(map_target_kind(m), "ship-notice");
	struct x12_errlist errs = { 0 };
	char *key = NULL;
	xmlDocPtr doc = apply_fixture(m, "desadv-d96a.edi", &errs, &key);
	no_errors(&errs);
	ck_assert_str_eq(key, "ASN-88001");
	ck_get(doc, "shipment-id", "ASN-88001");
	ck_get(doc, "purpose", "original");
	ck_get(doc, "notice-date", "2026-12-01");
	ck_get(doc, "dates/date[@type=shipped]", "2026-12-01");
	ck_get(doc, "dates/date[@type=estimated-delivery]", "2026-12-03");
	ck_get(doc, "shipment/carrier/scac", "UPSN");
	ck_get(doc, "shipment/carrier/mode", "30");
	ck_get(doc, "shipment/carrier/routing", "UPS Freight");
	ck_get(doc, "shipment/lading-quantity", "2");
	ck_get(doc, "shipment/gross-weight", "1250.5");
	ck_get(doc, "shipment/weight-unit", "KGM");
	ck_get(doc, "shipment/bill-of-lading", "BOL-5550001");
	ck_all(doc, "shipment/parties/party/@role", "supplier|ship-to");
	ck_get(doc, "shipment/parties/party[@role=ship-to]/address/city", "Reno");
	ck_assert_uint_eq(count(doc, "shipment/orders/order"), 1);
	ck_get(doc, "shipment/orders/order/po-number", "PO-4500012345");
	ck_get(doc, "shipment/orders/order/po-date", "2026-11-22");
	/* CPS 2 (pallet ...014) holds CPS 3 and 4 (cartons ...021, ...038): a tare */
	ck_assert_uint_eq(count(doc, "shipment/orders/order/tares/tare"), 1);
	ck_get(doc, "shipment/orders/order/tares/tare/sscc", "354123450000000014");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/sscc",
	       "354123450000000021|354123450000000038");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/number", "1|2");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/quantity", "12|12");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/ordered-quantity", "24");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/unit", "PCE|PCE");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/gtin",
	       "4012345000016|4012345000016");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/vendor-item", "WID-9");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/description",
	       "Blue widget, large");
	/* CPS 5 (pallet ...045) holds items directly: a pack of the order */
	ck_assert_uint_eq(count(doc, "shipment/orders/order/packs/pack"), 1);
	ck_get(doc, "shipment/orders/order/packs/pack/sscc", "354123450000000045");
	ck_all(doc, "shipment/orders/order/packs/pack/items/item/quantity", "6");
	ck_all(doc, "shipment/orders/order/packs/pack/items/item/unit", "CS");
	ck_all(doc, "shipment/orders/order/packs/pack/items/item/vendor-item", "GAD-2");
	ck_assert_uint_eq(count(doc, "shipment/orders/order/items"), 0);
	ck_get(doc, "totals/line-count", "3");
	valid_record(doc);
	free(key);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* No packaging detail: the items of the top level belong to the order; and the order
 * number of the first line when the heading has none. */
START_TEST(test_desadv_flat)
{
	struct map *m = shipped("maps/edifact/DESADV.map");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "UNH+7+DESADV:D:01B:UN:EAN007'BGM+351+ASN-2+9'DTM+137:20261201:102'"
			      "CPS+1'LIN+1++4012345000016:SRV'QTY+12:5'RFF+ON:PO-77'"
			      "LIN+2++4012345000023:SRV'QTY+12:7:PCE'CNT+2:2'UNT+11+7'",
			      &errs);
	no_errors(&errs);
	ck_get(doc, "shipment-id", "ASN-2");
	ck_get(doc, "shipment/orders/order/po-number", "PO-77");
	ck_all(doc, "shipment/orders/order/items/item/quantity", "5|7");
	ck_all(doc, "shipment/orders/order/items/item/gtin", "4012345000016|4012345000023");
	ck_assert_uint_eq(count(doc, "shipment/orders/order/packs"), 0);
	ck_assert_uint_eq(count(doc, "shipment/orders/order/tares"), 0);
	ck_get(doc, "source/version", "D01B EAN007");
	valid_record(doc);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* Cartons straight below the top level (no pallets): packs of the order. */
START_TEST(test_desadv_packs)
{
	struct map *m = shipped("maps/edifact/DESADV.map");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "UNH+1+DESADV:D:96A:UN'BGM+351+ASN-3'DTM+137:20261201:102'"
			      "RFF+ON:PO-9'CPS+1'PAC+2++CT'"
			      "CPS+2+1'PAC+1++CT'PCI+33E'GIN+BJ+354123450000000106'"
			      "LIN+1++4012345000016:SRV'QTY+12:1'"
			      "CPS+3+1'PAC+1++CT'PCI+33E'GIN+BJ+354123450000000113'"
			      "LIN+2++4012345000023:SRV'QTY+12:2'"
			      "UNT+17+1'",
			      &errs);
	no_errors(&errs);
	ck_get(doc, "shipment/orders/order/po-number", "PO-9");
	ck_all(doc, "shipment/orders/order/packs/pack/sscc",
	       "354123450000000106|354123450000000113");
	ck_all(doc, "shipment/orders/order/packs/pack/items/item/quantity", "1|2");
	ck_assert_uint_eq(count(doc, "shipment/orders/order/tares"), 0);
	ck_get(doc, "shipment/lading-quantity", "2");
	valid_record(doc);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* ------------------------------------------------------------------ INVOIC */

static void check_invoice_record(xmlDocPtr doc)
{
	ck_get(doc, "invoice-number", "INV-2026-0042");
	ck_get(doc, "invoice-date", "2026-12-05");
	ck_get(doc, "type", "debit-invoice");
	ck_get(doc, "po-number", "PO-4500012345");
	ck_get(doc, "po-date", "2026-11-22");
	ck_get(doc, "currency", "USD");
	ck_get(doc, "references/reference[@type=delivery-note]", "ASN-88001");
	ck_get(doc, "dates/date[@type=shipped]", "2026-12-01");
	ck_all(doc, "parties/party/@role", "supplier|buyer|bill-to");
	ck_get(doc, "parties/party[@role=supplier]/references/reference[@type=vat]", "DE123456789");
	ck_get(doc, "parties/party[@role=supplier]/address/postal-code", "20095");
	ck_get(doc, "parties/party[@role=bill-to]/name", "Demo Retail Inc. Accounts Payable");
	ck_all(doc, "lines/line/number", "1|2");
	ck_all(doc, "lines/line/quantity", "24|6");
	ck_all(doc, "lines/line/unit", "PCE|CS");
	ck_all(doc, "lines/line/unit-price", "12.5|48"); /* 12,50 with UNA decimal mark ',' */
	ck_all(doc, "lines/line/vendor-item", "WID-9|GAD-2");
	ck_all(doc, "lines/line/buyer-item", "RTL-100777");
	ck_all(doc, "lines/line/gtin", "4012345000016|4012345000023");
	ck_all(doc, "lines/line/description", "Blue widget, large");
	ck_get(doc, "totals/amount", "610.5");
	ck_get(doc, "totals/subtotal", "588");
	ck_get(doc, "totals/line-count", "2");
	ck_assert_uint_eq(count(doc, "charges/charge"), 2);
	ck_all(doc, "charges/charge/kind", "allowance|charge");
	ck_all(doc, "charges/charge/code", "DI|FC");
	ck_all(doc, "charges/charge/amount", "10|32.5");
	ck_all(doc, "charges/charge/description", "Volume discount");
}

START_TEST(test_invoic_d96a)
{
	struct map *m = shipped("maps/edifact/INVOIC.map");
	ck_assert_str_eq(map_target_kind(m), "invoice");
	struct x12_errlist errs = { 0 };
	char *key = NULL;
	xmlDocPtr doc = apply_fixture(m, "invoic-d96a.edi", &errs, &key);
	no_errors(&errs);
	ck_assert_str_eq(key, "INV-2026-0042");
	check_invoice_record(doc);
	ck_get(doc, "source/version", "D96A EAN008");
	valid_record(doc);
	free(key);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

START_TEST(test_invoic_d01b_same_record)
{
	struct map *m = shipped("maps/edifact/INVOIC.map");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply_fixture(m, "invoic-d01b.edi", &errs, NULL);
	no_errors(&errs);
	check_invoice_record(doc);
	ck_get(doc, "source/version", "D01B EAN010");
	valid_record(doc);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* ------------------------------------------------------ numbers and dates */

/* The decimal mark: the UNA's or the other one; no thousands separator, no '+', no
 * exponent; two marks are not a number (ISO 9735 0085 code 37). */
START_TEST(test_decimal_mark)
{
	struct map *m = map_text("d.map",
				 "source edifact INVOIC\ntarget invoice\n"
				 "invoice-number BGM02-1\n"
				 "totals/amount MOA[MOA01-1=77]/MOA01-2 decimal required\n");
	static const struct {
		const char *una, *val, *want;
	} ok[] = {
		{ "UNA:+,? '", "610,5", "610.5" },   { "UNA:+,? '", "610.5", "610.5" },
		{ "UNA:+.? '", "610.50", "610.5" },  { "UNA:+.? '", "610,50", "610.5" },
		{ "", "-0,25", "-0.25" },            { "", "007", "7" },
		{ "", "5,", "5" },                   { "", ",5", "0.5" },
		{ "", "-0,00", "0" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "%sUNH+1+INVOIC:D:96A:UN'BGM+380+I1'MOA+77:%s'UNT+4+1'",
			 ok[i].una, ok[i].val);
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply(m, text, &errs);
		no_errors(&errs);
		ck_get(doc, "totals/amount", ok[i].want);
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
	}
	static const char *const bad[] = { "1.234,5", "1,2,3", "?+5", "1E3", "-", "12a", ",", "1 000" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "UNA:+,? 'UNH+1+INVOIC:D:96A:UN'BGM+380+I1'MOA+77:%s'UNT+4+1'",
			 bad[i]);
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply(m, text, &errs);
		char *et = errs_text(&errs);
		ck_assert_msg(errs.n == 1, "%s: %zu errors: %s", bad[i], errs.n, et);
		free(et);
		const struct x12_error *e = &errs.v[0];
		ck_assert_msg(strcmp(e->code, "37") == 0, "%s: code %s", bad[i], e->code);
		ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
		ck_assert_str_eq(e->seg_id, "MOA");
		ck_assert_uint_eq(e->seg_pos, 3);
		ck_assert_int_eq(e->elem_pos, 1);
		ck_assert_int_eq(e->comp_pos, 2);
		ck_assert_int_eq(e->elem_ref, 0);
		ck_assert_str_eq(e->bad_value, strcmp(bad[i], "?+5") == 0 ? "+5" : bad[i]);
		ck_assert_msg(strstr(e->msg, "totals/amount: MOA01-2 is not a number (EDIFACT numeric") != NULL,
			      "%s", e->msg);
		ck_get(doc, "totals/amount", "(none)");
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
	}
	map_free(m);
}
END_TEST

/* DTM formats: 102, 203, 204 (and 101) by the format code in DTM01-3, or by length when
 * there is none; a code the field does not read, or a bad date, is 0085 code 12. */
START_TEST(test_dtm_formats)
{
	struct map *m = map_text("t.map",
				 "source edifact ORDERS\ntarget order\npo-number BGM02-1\n"
				 "order-date DTM[DTM01-1=137]/DTM01-2 date 102|203|204 required\n"
				 "dates/date[@type=requested-delivery] DTM[DTM01-1=2]/DTM01-2 date 101|102\n");
	static const struct {
		const char *dtm, *want;
	} ok[] = {
		{ "137:20261122:102", "2026-11-22" },
		{ "137:202611221430:203", "2026-11-22" },
		{ "137:20261122143059:204", "2026-11-22" },
		{ "137:20240229:102", "2024-02-29" },
		{ "137:20261122", "2026-11-22" },       /* no code: by its length */
		{ "137:202611222359", "2026-11-22" },
		{ "137: 20261122 :102", "2026-11-22" }, /* blanks trimmed */
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "UNH+1+ORDERS:D:96A:UN'BGM+220+P1'DTM+%s'UNT+4+1'",
			 ok[i].dtm);
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply(m, text, &errs);
		no_errors(&errs);
		ck_get(doc, "order-date", ok[i].want);
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
	}
	static const struct {
		const char *dtm;
		int comp;
		const char *bad, *msg;
	} bad[] = {
		{ "137:20261122:718", 3, "718",
		  "DTM01-3 holds the date format code 718, but this field reads dates in 102, 203 or 204" },
		{ "137:20261122:203", 2, "20261122", "DTM01-2 is not a valid date (203)" },
		{ "137:202611221430:102", 2, "202611221430", "DTM01-2 is not a valid date (102)" },
		{ "137:20230229:102", 2, "20230229", "is not a valid date (102)" },
		{ "137:202611222400:203", 2, "202611222400", "is not a valid date (203)" },
		{ "137:20261122146000:204", 2, "20261122146000", "is not a valid date (204)" },
		{ "137:20261122143060:204", 2, "20261122143060", "is not a valid date (204)" },
		{ "137:20261122143059:203", 2, "20261122143059", "is not a valid date (203)" },
		{ "137:261122", 2, "261122", "is not a valid date (102, 203 or 204)" },
		{ "137:2026112", 2, "2026112", "is not a valid date (102, 203 or 204)" },
		{ "137:2026-11-22:102", 2, "2026-11-22", "is not a valid date (102)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "UNH+1+ORDERS:D:96A:UN'BGM+220+P1'DTM+%s'UNT+4+1'",
			 bad[i].dtm);
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply(m, text, &errs);
		ck_assert_msg(errs.n == 1, "%s: %zu errors", bad[i].dtm, errs.n);
		const struct x12_error *e = find_err(&errs, bad[i].msg);
		ck_assert_str_eq(e->code, "12");
		ck_assert_str_eq(e->seg_id, "DTM");
		ck_assert_uint_eq(e->seg_pos, 3);
		ck_assert_int_eq(e->elem_pos, 1);
		ck_assert_int_eq(e->comp_pos, bad[i].comp);
		ck_assert_str_eq(e->bad_value, bad[i].bad);
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
	}
	/* 101 (YYMMDD) with the 00-49 → 20xx window */
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, "UNH+1+ORDERS:D:96A:UN'BGM+220+P1'DTM+137:20261122:102'"
				 "DTM+2:491231:101'UNT+5+1'", &errs);
	no_errors(&errs);
	ck_get(doc, "dates/date[@type=requested-delivery]", "2049-12-31");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	/* date formats by name read the same values; a name ignores the code component */
	map_free(m);
	m = map_text("n.map", "source edifact ORDERS\ntarget order\npo-number BGM02-1\n"
			      "order-date DTM[DTM01-1=137]/DTM01-2 date CCYYMMDD|CCYYMMDDHHMM\n");
	doc = apply(m, "UNH+1+ORDERS:D:96A:UN'BGM+220+P1'DTM+137:202611220101:718'UNT+4+1'", &errs);
	no_errors(&errs);
	ck_get(doc, "order-date", "2026-11-22");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
	/* names and codes are not mixed */
	char *e = map_errors("x.map", "source edifact ORDERS\ntarget order\npo-number BGM02-1\n"
				      "order-date DTM01-2 date 102|CCYYMMDD\n"
				      "x DTM01-2 date 718\n"
				      "y DTM01-2 date 102|102\n");
	ck_assert_msg(strstr(e, "x.map:4: 'date' needs a format") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "x.map:5: 'date' needs a format") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "x.map:6: 'date' needs a format") != NULL, "%s", e);
	free(e);
}
END_TEST

/* ------------------------------------------------------------- paths */

/* Components, whole composites (joined by the interchange's component separator),
 * the first repetition (syntax 4), the UNH segment itself. */
START_TEST(test_paths_components)
{
	struct map *m = map_text("p.map",
				 "source edifact ORDERS\ntarget order\n"
				 "po-number BGM02-1\n"
				 "release-number BGM02-2\n"
				 "contract-number BGM02\n"
				 "references/reference[@type=a] BGM01\n"
				 "references/reference[@type=b] UNH02-5\n"
				 "references/reference[@type=c] FTX04-1\n"
				 "references/reference[@type=d] FTX04\n"
				 "references/reference[@type=e] BGM02-9\n"
				 "references/reference[@type=f] BGM09\n"
				 "references/reference[@type=g] BGM02 raw\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "UNA:+.?*'UNB+UNOC:4+S+R+20261122:0800+1'"
			      "UNH+1+ORDERS:D:01B:UN:EAN010'BGM+220+PO-1:7?:x+9'"
			      "FTX+AAI+++one:two*three:four'UNT+4+1'",
			      &errs);
	no_errors(&errs);
	ck_get(doc, "po-number", "PO-1");
	ck_get(doc, "release-number", "7:x");            /* released ':' kept in the value */
	ck_get(doc, "contract-number", "PO-1:7:x");      /* whole composite: joined by ':' */
	ck_get(doc, "references/reference[@type=a]", "220");
	ck_get(doc, "references/reference[@type=b]", "EAN010");
	ck_get(doc, "references/reference[@type=c]", "one");
	ck_get(doc, "references/reference[@type=d]", "one:two"); /* first repetition only */
	ck_get(doc, "references/reference[@type=e]", "(none)");
	ck_get(doc, "references/reference[@type=f]", "(none)");
	ck_get(doc, "references/reference[@type=g]", "PO-1:7:x");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	/* a UNA with another component separator: whole composites use it */
	doc = apply(m, "UNA/+.? 'UNH+1+ORDERS/D/96A/UN'BGM+220+PO-2/8'UNT+3+1'", &errs);
	no_errors(&errs);
	ck_get(doc, "contract-number", "PO-2/8");
	ck_get(doc, "release-number", "8");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* Conditions on components, alternatives, groups as loops and '/' paths from inside a
 * block; [SEG] and [!SEG] conditions on what a group holds. */
START_TEST(test_paths_groups)
{
	struct map *m = map_text("g.map",
				 "source edifact ORDERS\ntarget order\n"
				 "loop RFF = RFF DTM\n"
				 "loop NAD = NAD LOC RFF CTA\n"
				 "loop CTA = CTA COM\n"
				 "loop LIN = LIN PIA QTY DTM RFF\n"
				 "po-number BGM02-1\n"
				 "release-number RFF[RFF01-1=ON]/DTM[DTM01-1=171]/DTM01-2\n"
				 "contract-number NAD[NAD01=BY]/CTA/COM[COM01-2=TE]/COM01-1\n"
				 "references/reference[@type=a] NAD[CTA]/NAD01\n"
				 "references/reference[@type=b] NAD[!CTA]/NAD01\n"
				 "references/reference[@type=c] NAD[RFF][LOC]/NAD01\n"
				 "parties/party each NAD[!LOC]\n"
				 "  @role NAD01\n"
				 "  id /BGM02-1\n"
				 "lines/line each LIN[RFF]\n"
				 "  quantity QTY[QTY01-1=21]/QTY01-2 decimal\n"
				 "  number RFF[RFF01-1=LI]/RFF01-2|/RFF[RFF01-1=ON]/RFF01-2\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "UNH+1+ORDERS:D:96A:UN'BGM+220+PO-5'DTM+137:20261122:102'"
			      "RFF+ON:O-9'DTM+171:20261001:102'"
			      "NAD+SU+S1'LOC+1+X'RFF+VA:1'"
			      "NAD+BY+B1'CTA+OC+:A'COM+555:TE'"
			      "NAD+DP+D1'"
			      "LIN+1'QTY+21:3'"
			      "LIN+2'QTY+21:4'RFF+LI:L2'"
			      "LIN+3'QTY+21:5'RFF+ZZ:L3'UNS+S'UNT+18+1'",
			      &errs);
	no_errors(&errs);
	ck_get(doc, "release-number", "20261001");
	ck_get(doc, "contract-number", "555");
	ck_get(doc, "references/reference[@type=a]", "BY");
	ck_get(doc, "references/reference[@type=b]", "SU");
	ck_get(doc, "references/reference[@type=c]", "SU");
	ck_all(doc, "parties/party/@role", "BY|DP");
	ck_all(doc, "parties/party/id", "PO-5|PO-5");
	ck_all(doc, "lines/line/quantity", "4|5");
	ck_all(doc, "lines/line/number", "L2|O-9");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);

	/* [SEG] needs a loop; '/' is not for each; a condition names a segment or an element */
	char *e = map_errors("h.map", "source edifact ORDERS\ntarget order\n"
				      "loop NAD = NAD LOC\n"
				      "po-number BGM[LOC]/BGM02-1\n"
				      "x NAD[LOC]/NAD01\n"
				      "lines/line each /LIN\n"
				      "  quantity QTY01-2\n"
				      "y NAD[LOCX]/NAD01\n"
				      "z NAD[1]/NAD01\n");
	ck_assert_msg(strstr(e, "h.map:4: [LOC] asks what a BGM loop holds, but no loop starts with "
				"BGM") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "h.map:5:") == NULL, "%s", e);
	ck_assert_msg(strstr(e, "h.map:6: bad path '/LIN' after each") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "h.map:8: bad path 'NAD[LOCX]/NAD01': a condition is written") !=
		      NULL, "%s", e);
	ck_assert_msg(strstr(e, "h.map:9: bad path 'NAD[1]/NAD01': a condition is written") != NULL,
		      "%s", e);
	free(e);
}
END_TEST

/* The CPS hierarchy in a map of one's own: children by CPS02, [CPS] = has children;
 * CPS is an ordinary segment in an X12 map and HL in an EDIFACT one. */
START_TEST(test_cps_hierarchy)
{
	struct map *m = map_text("c.map",
				 "source edifact DESADV\ntarget ship-notice\n"
				 "loop CPS = CPS PAC LIN\n"
				 "loop LIN = LIN QTY\n"
				 "shipment-id BGM02-1\n"
				 "shipment/orders/order each CPS[CPS02=]\n"
				 "  po-number CPS01\n"
				 "  tares/tare each CPS[CPS]\n"
				 "    sscc CPS01\n"
				 "    packs/pack each CPS\n"
				 "      sscc CPS01\n"
				 "      items/item each LIN\n"
				 "        quantity QTY01-2 decimal required\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "UNH+1+DESADV:D:96A:UN'BGM+351+A1'"
			      "CPS+1'CPS+2+1'CPS+3+2'LIN+1'QTY+12:1'"
			      "CPS+9'CPS+4+9'CPS+5+4'LIN+2'QTY+12:2'CPS+6+4'LIN+3'QTY+12:3'"
			      "CPS+7+1'LIN+4'QTY+12:4'UNT+18+1'",
			      &errs);
	no_errors(&errs);
	ck_all(doc, "shipment/orders/order/po-number", "1|9");
	ck_all(doc, "shipment/orders/order/tares/tare/sscc", "2|4");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/sscc", "3|5|6");
	ck_all(doc, "shipment/orders/order/tares/tare/packs/pack/items/item/quantity", "1|2|3");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
	char *e = map_errors("x.map", "source x12 856\ntarget ship-notice\n"
				      "loop CPS = CPS LIN\n"
				      "shipment-id BSN02\n"
				      "shipment/orders/order each CPS\n"
				      "  tares/tare each CPS\n"
				      "    sscc CPS01\n");
	ck_assert_msg(strstr(e, "each CPS inside each CPS: a loop does not repeat inside itself") != NULL,
		      "%s", e);
	free(e);
	e = map_errors("y.map", "source edifact DESADV\ntarget ship-notice\n"
				"loop HL = HL LIN\n"
				"shipment-id BGM02-1\n"
				"shipment/orders/order each HL\n"
				"  tares/tare each HL\n"
				"    sscc HL01\n");
	ck_assert_msg(strstr(e, "each HL inside each HL: a loop does not repeat inside itself") != NULL,
		      "%s", e);
	free(e);
}
END_TEST

/* ------------------------------------------------------------- errors */

/* Findings carry EDIFACT positions (segment from UNH = 1, element, component, the
 * segment's line and offset in the file) and ISO 9735 codes; no X12 element reference
 * number even for tags X12 also has (DTM, QTY). */
START_TEST(test_error_positions)
{
	struct map *m = shipped("maps/edifact/ORDERS.map");
	const char *text = "UNA:+.? '\n"
			   "UNB+UNOC:3+S+R+261122:0800+77'\n"
			   "UNH+1+ORDERS:D:96A:UN'\n"
			   "BGM+220++99'\n"
			   "DTM+137:20261341:102'\n"
			   "NAD+BY+B1'\n"
			   "LIN+1++X:SRV'\n"
			   "QTY+21:1a'\n"
			   "LIN+2'\n"
			   "UNS+S'\n"
			   "CNT+2:3'\n"
			   "UNT+10+1'\n";
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, text, &errs);
	char *all_e = errs_text(&errs);
	ck_assert_msg(errs.n == 6, "%s", all_e);
	free(all_e);
	const struct x12_error *e = find_err(&errs, "po-number: BGM02-1 is required but empty or missing");
	ck_assert_str_eq(e->code, "13");
	ck_assert_int_eq(e->scope, X12_SCOPE_ELEMENT);
	ck_assert_str_eq(e->seg_id, "BGM");
	ck_assert_uint_eq(e->seg_pos, 2);
	ck_assert_int_eq(e->elem_pos, 2);
	ck_assert_int_eq(e->comp_pos, 1);
	ck_assert_int_eq(e->elem_ref, 0);
	ck_assert_uint_eq(e->file_seg, 3);
	ck_assert_uint_eq(e->line, 4);
	ck_assert_uint_eq(e->offset, (uint64_t)(strstr(text, "BGM") - text));
	ck_assert_msg(strstr(e->msg, "(map ") && strstr(e->msg, "ORDERS.map:"), "%s", e->msg);
	e = find_err(&errs, "purpose: BGM03 holds a code that is not in table purpose");
	ck_assert_str_eq(e->code, "12");
	ck_assert_int_eq(e->elem_pos, 3);
	ck_assert_int_eq(e->comp_pos, 0);
	ck_assert_str_eq(e->bad_value, "99");
	e = find_err(&errs, "order-date: DTM01-2 is not a valid date (102)");
	ck_assert_str_eq(e->code, "12");
	ck_assert_uint_eq(e->seg_pos, 3);
	ck_assert_int_eq(e->elem_ref, 0);
	e = find_err(&errs, "lines/line[1]/quantity: QTY01-2 is not a number");
	ck_assert_str_eq(e->code, "37");
	ck_assert_str_eq(e->seg_id, "QTY");
	ck_assert_uint_eq(e->seg_pos, 6);
	ck_assert_str_eq(e->loop_id, "LIN");
	ck_assert_int_eq(e->elem_ref, 0);
	/* the second line has no QTY: the segment is missing where the LIN group ends */
	e = find_err(&errs, "lines/line[2]/quantity: required, but there is no QTY");
	ck_assert_str_eq(e->code, "13");
	ck_assert_int_eq(e->scope, X12_SCOPE_SEGMENT);
	ck_assert_str_eq(e->seg_id, "QTY");
	ck_assert_uint_eq(e->seg_pos, 8); /* UNS, after the LIN group */
	ck_assert_int_eq(e->elem_pos, 0);
	/* CNT says 3 lines, the record has 2: an application error */
	e = find_err(&errs, "totals/line-count: the document says 3 but the record has 2");
	ck_assert_int_eq(e->application, 1);
	ck_assert_str_eq(e->seg_id, "CNT");
	ck_assert_uint_eq(e->seg_pos, 9);
	ck_assert_int_eq(e->elem_pos, 1);
	ck_assert_int_eq(e->comp_pos, 2);
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);

	/* no LIN at all: the missing group is reported at UNT */
	doc = apply(m, "UNH+1+ORDERS:D:96A:UN'BGM+220+P'DTM+137:20261122:102'UNS+S'UNT+5+1'", &errs);
	ck_assert_uint_eq(errs.n, 1);
	e = find_err(&errs, "lines/line: required, but there is no LIN loop");
	ck_assert_str_eq(e->code, "13");
	ck_assert_str_eq(e->seg_id, "LIN");
	ck_assert_uint_eq(e->seg_pos, 5);
	ck_assert_str_eq(e->loop_id, "LIN");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

/* Too many groups (36) or segments (35) for an each with max; text that is not UTF-8 (21). */
START_TEST(test_error_repeats)
{
	struct map *m = map_text("r.map",
				 "source edifact ORDERS\ntarget order\nloop LIN = LIN QTY\n"
				 "po-number BGM02-1\n"
				 "notes/note each FTX max 1\n  . FTX04-1\n"
				 "lines/line each LIN max 2\n  quantity QTY01-2 decimal\n");
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m,
			      "UNH+1+ORDERS:D:96A:UN'BGM+220+P'FTX+AAI+++a'FTX+AAI+++b'"
			      "LIN+1'QTY+21:1'LIN+2'QTY+21:2'LIN+3'QTY+21:3'UNT+11+1'",
			      &errs);
	const struct x12_error *e = find_err(&errs, "more than 2 LIN loops");
	ck_assert_str_eq(e->code, "36");
	ck_assert_uint_eq(e->seg_pos, 9);
	e = find_err(&errs, "more than 1 FTX segments");
	ck_assert_str_eq(e->code, "35");
	ck_assert_uint_eq(e->seg_pos, 4);
	ck_all(doc, "lines/line/quantity", "1|2");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	/* a control character in a value (a reader with relaxed checks could let it in) */
	static const char *const tags[] = { "UNH", "BGM", "UNT" };
	static const char *const vals[] = { "1", "P\x01Q", "3" };
	struct handmsg hm;
	handmsg_init(&hm, "ORDERS", tags, vals, 3);
	struct edi_elem bgm[3] = { hm.elems[1][0], { 1, &hm.vals[1][0], NULL }, { 1, &hm.vals[1][1], NULL } };
	hm.segs[1].nelem = 2;
	hm.segs[1].elem = bgm;
	char *key = NULL;
	ck_assert_int_eq(map_apply_edifact(m, &hm.msg, NULL, &doc, &errs, &key), 0);
	e = find_err(&errs, "BGM02-1 holds bytes that are not text");
	ck_assert_str_eq(e->code, "21");
	ck_assert_str_eq(e->seg_id, "BGM");
	ck_assert_uint_eq(e->seg_pos, 2);
	ck_assert_ptr_null(key);
	/* no UNB: the source holds what the message says */
	ck_get(doc, "source/document-type", "ORDERS");
	ck_get(doc, "source/transaction", "1");
	ck_get(doc, "source/version", "D96A");
	ck_get(doc, "source/sender", "(none)");
	ck_get(doc, "source/test", "(none)");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
}
END_TEST

struct typectx {
	struct map *orders, *invoic, *x850;
};

static void type_checks(void *ctx, const struct edi_msg *msg)
{
	struct typectx *t = ctx;
	xmlDocPtr doc = (xmlDocPtr)1;
	char *key = (char *)1;
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(map_apply_edifact(t->invoic, msg, NULL, &doc, &errs, &key), -EINVAL);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_null(key);
	ck_assert_int_eq(map_apply_edifact(t->x850, msg, NULL, &doc, &errs, &key), -EINVAL);
	ck_assert_ptr_null(doc);
	ck_assert_uint_eq(errs.n, 0);
	/* an empty message */
	struct edi_msg empty = *msg;
	empty.nseg = 0;
	ck_assert_int_eq(map_apply_edifact(t->orders, &empty, NULL, &doc, &errs, &key), -EINVAL);
	ck_assert_int_eq(map_apply_edifact(t->orders, NULL, NULL, &doc, &errs, &key), -EINVAL);
	/* the right one */
	ck_assert_int_eq(map_apply_edifact(t->orders, msg, NULL, &doc, &errs, &key), 0);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(key, "P");
	/* through a view the caller built (as validation leaves it): the same checks first,
	 * then the same record */
	struct edi_view v;
	memset(&v, 0, sizeof v);
	ck_assert_int_eq(edi_view_build(&v, msg), 0);
	xmlDocPtr vdoc = NULL;
	char *vkey = NULL;
	ck_assert_int_eq(map_apply_edifact(t->invoic, msg, &v, &vdoc, &errs, &vkey), -EINVAL);
	ck_assert_ptr_null(vdoc);
	ck_assert_int_eq(map_apply_edifact(t->orders, msg, &v, &vdoc, &errs, &vkey), 0);
	ck_assert_ptr_nonnull(vdoc);
	ck_assert_str_eq(vkey, "P");
	xmlChar *a = NULL, *b = NULL;
	int an = 0, bn = 0;
	xmlDocDumpMemory(doc, &a, &an);
	xmlDocDumpMemory(vdoc, &b, &bn);
	ck_assert_int_gt(an, 0);
	ck_assert_str_eq((const char *)b, (const char *)a);
	xmlFree(a);
	xmlFree(b);
	xmlFreeDoc(vdoc);
	free(vkey);
	edi_view_free(&v);
	xmlFreeDoc(doc);
	free(key);
	x12_errlist_free(&errs);
}

/* A map reads its own message type and standard only. */
START_TEST(test_type_checks)
{
	struct typectx t;
	t.orders = shipped("maps/edifact/ORDERS.map");
	t.invoic = shipped("maps/edifact/INVOIC.map");
	t.x850 = shipped("maps/x12/850.map");
	const char *text = "UNH+1+ORDERS:D:96A:UN'BGM+220+P'UNT+3+1'";
	each_message(text, strlen(text), 1, type_checks, &t);
	/* the EDIFACT map through the X12 entry point */
	struct x12_tseg seg = { "ST", 0, NULL, 0, 0, 0 };
	struct x12_txn txn = { "850", "0001", "", 1, &seg, NULL, NULL, NULL, 1 };
	xmlDocPtr doc = (xmlDocPtr)1;
	struct x12_errlist errs = { 0 };
	ck_assert_int_eq(map_apply_x12(t.orders, &txn, &doc, &errs, NULL), -EINVAL);
	ck_assert_ptr_null(doc);
	map_free(t.orders);
	map_free(t.invoic);
	map_free(t.x850);
}
END_TEST

/* The source line: edifact with a six-letter message type; an overlay keeps it. */
START_TEST(test_source_line)
{
	struct map *m = map_text("ok.map", "source edifact ORDRSP\ntarget order-response\n"
					   "po-number RFF[RFF01-1=ON]/RFF01-2\n");
	ck_assert_str_eq(map_source_standard(m), "edifact");
	ck_assert_str_eq(map_source_type(m), "ORDRSP");
	map_free(m);
	static const char *const bad[] = { "ORDER", "ORDERSX", "orders", "ORD3RS" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "source edifact %s\ntarget order\npo-number BGM02-1\n", bad[i]);
		char *e = map_errors("b.map", text);
		char want[96];
		snprintf(want, sizeof want, "b.map:1: bad EDIFACT message type '%s'", bad[i]);
		ck_assert_msg(strstr(e, want) != NULL, "%s", e);
		free(e);
	}
	char *e = map_errors("c.map", "source json ORDERS\ntarget order\npo-number BGM02-1\n");
	ck_assert_msg(strstr(e, "c.map:1: source standard 'json' is not supported yet (this version "
				"reads x12, edifact, csv, fixed and xml)") != NULL, "%s", e);
	free(e);
	/* an overlay of a shipped EDIFACT map */
	char *base = tu_srcpath("maps/edifact/ORDERS.map");
	char text[1024];
	snprintf(text, sizeof text,
		 "extends %s\ntable entity UD=ultimate-customer\nlines/line each LIN\n"
		 "  description IMD[IMD01=A]/IMD03-4\n", base);
	m = map_text("over.map", text);
	struct x12_errlist errs = { 0 };
	xmlDocPtr doc = apply(m, "UNH+1+ORDERS:D:96A:UN'BGM+220+P'DTM+137:20261122:102'"
				 "NAD+UD+U1'LIN+1'IMD+F++:::free'IMD+A++:::long'QTY+21:1'UNT+8+1'",
			      &errs);
	no_errors(&errs);
	ck_get(doc, "parties/party/@role", "ultimate-customer");
	ck_get(doc, "lines/line/description", "long");
	x12_errlist_free(&errs);
	xmlFreeDoc(doc);
	map_free(m);
	snprintf(text, sizeof text, "extends %s\nsource x12 850\n", base);
	e = map_errors("over2.map", text);
	ck_assert_msg(strstr(e, "source x12 850 differs from the map it extends (source edifact "
				"ORDERS)") != NULL, "%s", e);
	free(e);
	free(base);
}
END_TEST

/* edigw map check passes on every shipped EDIFACT map with doc/canonical.rng. */
START_TEST(test_shipped_maps_check)
{
	static const char *const maps[] = {
		"maps/edifact/ORDERS.map", "maps/edifact/ORDRSP.map",
		"maps/edifact/DESADV.map", "maps/edifact/INVOIC.map",
	};
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
	/* and it finds an unknown canonical field in an EDIFACT map */
	char *p = write_tmp("bad.map", "source edifact ORDERS\ntarget order\n"
				       "po-number BGM02-1\ncolour IMD03-4\n");
	struct diag_list d;
	diag_list_init(&d);
	ck_assert_int_eq(map_check(p, g_rng, &d), -EINVAL);
	char *e = tu_diag_text(&d);
	ck_assert_msg(strstr(e, "bad.map:4: unknown canonical field colour") != NULL, "%s", e);
	ck_assert_msg(strstr(e, "required canonical field lines") != NULL, "%s", e);
	free(e);
	diag_list_free(&d);
	free(p);
}
END_TEST

/* ------------------------------------------------------------- corpus */

struct corpus_case {
	const char *file, *map;
	const char *key;     /* expected business key of the first message, NULL: not asserted */
	int lines;           /* expected lines/line count of it, -1: not asserted */
};

struct corpusctx {
	struct map **maps;
	const char *const *names;
	const struct corpus_case *cc;
	size_t messages, mapped, first;
};

/* Map every message of a type we have a map for; check the first one's key fields. */
static int corpus_message(void *ctx, const struct edi_msg *msg, struct edi_msg_result *res)
{
	struct corpusctx *c = ctx;
	(void)res;
	c->messages++;
	for (size_t k = 0; k < 4; k++) {
		if (strcmp(c->names[k], msg->type) != 0)
			continue;
		xmlDocPtr doc = NULL;
		char *key = NULL;
		struct x12_errlist errs = { 0 };
		int rc = map_apply_edifact(c->maps[k], msg, NULL, &doc, &errs, &key);
		ck_assert_msg(rc == 0 && doc, "%s: rc %d", c->cc->file, rc);
		if (c->mapped++ == 0) {
			if (c->cc->key)
				ck_assert_msg(key && strcmp(key, c->cc->key) == 0, "%s: key '%s', want '%s'",
					      c->cc->file, key ? key : "(null)", c->cc->key);
			if (c->cc->lines >= 0)
				ck_assert_msg(count(doc, "lines/line") == (size_t)c->cc->lines,
					      "%s: %zu lines", c->cc->file, count(doc, "lines/line"));
		}
		free(key);
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
	}
	return 0;
}

/* Every ORDERS, INVOIC, DESADV and ORDRSP message of the public corpus maps without a
 * crash (findings are data); the key fields of a few are what the files say. */
START_TEST(test_corpus)
{
	char *dir = tu_corpus();
	if (!dir) {
		fprintf(stderr, "check_map_edifact: no corpus (EDIGW_CORPUS), test skipped\n");
		return;
	}
	static const struct corpus_case cases[] = {
		{ "pydifact/tests/data/order.edi", "ORDERS", "801715918011", 2 },
		{ "pydifact/tests/data/order2.edi", "ORDERS", "PO123456", 1 },
		{ "pydifact/tests/data/wikipedia_de.edi", "ORDERS", "B10001", 1 },
		{ "staedi/src/test/resources/EDIFACT/orders-with-group.edi", "ORDERS", "C1441747", 1 },
		{ "smooks-edi-cartridge/edifact-cartridge/src/test/resources/data/ORDERS_D.03B_Interchange.txt",
		  "ORDERS", "BKOD99", 4 },
		{ "smooks-edi-cartridge/edifact-cartridge/src/test/resources/data/BAD_ORDERS_D.03B_Interchange.txt",
		  "ORDERS", NULL, -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d01b_orders_conforming.edi", "ORDERS", "ORD-1001", 0 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d01b_orders_malformed.edi", "ORDERS", NULL, -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d11a_conforming.edi", "ORDERS", "PO-4711", 1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d11a_malformed.edi", "ORDERS", NULL, -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d11a_malformed_component.edi", "ORDERS", NULL, -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d96a_orders_conforming.edi", "ORDERS", "ORD-2001", 0 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d96a_orders_malformed.edi", "ORDERS", NULL, -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/orders_conforming.edi", "ORDERS", "PO-4711", 1 },
		{ "staedi/src/test/resources/EDIFACT/invoic_d93a_una.edi", "INVOIC", "9908001", 3 },
		{ "staedi/src/test/resources/EDIFACT/invoic_d97b.edi", "INVOIC", "342459", -1 },
		{ "staedi/src/test/resources/EDIFACT/invoic_d97b_bad.edi", "INVOIC", NULL, -1 },
		{ "staedi/src/test/resources/EDIFACT/invoic_d97b_una.edi", "INVOIC", "342459", -1 },
		{ "staedi/src/test/resources/EDIFACT/issue128/wrapped_invoic_d97b.edi", "INVOIC", NULL, -1 },
		{ "staedi/src/test/resources/EDIFACT/issue128/wrapped_invoic_d97b_una.edi", "INVOIC", NULL, -1 },
		{ "pydifact/tests/data/invoice1.edi", "INVOIC", "1060113800026", 1 },
		{ "pydifact/tests/data/invoice_with_colon_at_end.edi", "INVOIC", NULL, -1 },
		{ "smooks-edi-cartridge/edg/src/test/resources/invoic/invoic.txt", "INVOIC", "539602", -1 },
		{ "smooks-edi-cartridge/edifact-cartridge/src/test/resources/data/INVOIC_D.03B_Interchange_with_UNA.txt",
		  "INVOIC", "539602", -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d01b_invoic_conforming.edi", "INVOIC", "INV-9001", 0 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d01b_invoic_malformed.edi", "INVOIC", NULL, -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d96a_invoic_conforming.edi", "INVOIC", "INV-9901", 0 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/d96a_invoic_malformed.edi", "INVOIC", NULL, -1 },
		{ "edifact-rs/crates/edifact-rs/tests/fixtures/invoic_conforming.edi", "INVOIC", "INV-9001", -1 },
	};
	struct map *maps[4];
	static const char *const names[] = { "ORDERS", "INVOIC", "DESADV", "ORDRSP" };
	for (size_t i = 0; i < 4; i++) {
		char rel[64];
		snprintf(rel, sizeof rel, "maps/edifact/%s.map", names[i]);
		maps[i] = shipped(rel);
	}
	size_t files = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(dir) + strlen(cases[i].file) + 2;
		char *path = malloc(n);
		snprintf(path, n, "%s/%s", dir, cases[i].file);
		size_t len = 0;
		char *text = tu_read(path, &len);
		if (!text) {
			fprintf(stderr, "check_map_edifact: %s missing, skipped\n", path);
			free(path);
			continue;
		}
		size_t wlen = 0;
		char *wrapped = wrap_interchange(text, len, &wlen);
		struct edi_reader *rd = NULL;
		ck_assert_int_eq(edi_reader_new_mem(&rd, wrapped ? wrapped : text, wrapped ? wlen : len,
						    NULL), 0);
		struct corpusctx c = { maps, names, &cases[i], 0, 0, 0 };
		struct edi_handler h = { 0 };
		h.ctx = &c;
		h.message = corpus_message;
		struct edi_file_summary sum;
		struct x12_error err = { 0 };
		int rc = edi_parse(rd, &h, &sum, &err);
		/* a file the reader gives up on maps nothing; one with a key must have mapped */
		ck_assert_msg(rc == 0 || !cases[i].key, "%s: edi_parse %d %s", cases[i].file, rc,
			      err.msg ? err.msg : "");
		ck_assert_msg(!cases[i].key || c.mapped >= 1, "%s: no %s message mapped (%zu read)",
			      cases[i].file, cases[i].map, c.messages);
		files++;
		x12_error_free(&err);
		edi_reader_free(rd);
		free(wrapped);
		free(text);
		free(path);
	}
	ck_assert_uint_ge(files, 1);
	for (size_t i = 0; i < 4; i++)
		map_free(maps[i]);
	free(dir);
}
END_TEST

/* A few corpus records field by field. */
START_TEST(test_corpus_fields)
{
	char *dir = tu_corpus();
	if (!dir) {
		fprintf(stderr, "check_map_edifact: no corpus (EDIGW_CORPUS), test skipped\n");
		return;
	}
	struct map *m = shipped("maps/edifact/ORDERS.map");
	char path[4096];
	snprintf(path, sizeof path, "%s/pydifact/tests/data/order.edi", dir);
	size_t len = 0;
	char *text = tu_read(path, &len);
	if (text) {
		/* UNA with ',' as decimal mark, DTM 203, EANCOM NAD ids */
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply_text(m, text, len, &errs, NULL);
		no_errors(&errs);
		ck_get(doc, "po-number", "801715918011");
		ck_get(doc, "order-date", "2015-08-03");
		ck_get(doc, "dates/date[@type=requested-delivery]", "2015-08-06");
		ck_all(doc, "parties/party/@role", "supplier|buyer|ship-to");
		ck_all(doc, "parties/party/id", "5020436000004|8711576000012|8711576100019");
		ck_all(doc, "lines/line/gtin", "5020436373085|5020436373108");
		ck_all(doc, "lines/line/quantity", "8|8");
		ck_get(doc, "source/version", "D96A EAN008");
		ck_get(doc, "source/sender", "12345678");
		valid_record(doc);
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
		free(text);
	}
	snprintf(path, sizeof path,
		 "%s/smooks-edi-cartridge/edifact-cartridge/src/test/resources/data/ORDERS_D.03B_Interchange.txt",
		 dir);
	text = tu_read(path, &len);
	if (text) {
		struct x12_errlist errs = { 0 };
		xmlDocPtr doc = apply_text(m, text, len, &errs, NULL);
		no_errors(&errs);
		ck_get(doc, "po-number", "BKOD99");
		ck_get(doc, "order-date", "2005-11-07");
		ck_all(doc, "lines/line/quantity", "25|25|16|10");
		ck_all(doc, "lines/line/notes/note",
		       "Lord of the Rings|The Hobbit|The Silmarillion|The Children of Hurin");
		ck_get(doc, "totals/line-count", "4");
		valid_record(doc);
		x12_errlist_free(&errs);
		xmlFreeDoc(doc);
		free(text);
	}
	map_free(m);
	free(dir);
}
END_TEST

static Suite *map_edifact_suite(void)
{
	Suite *s = suite_create("map_edifact");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_orders_d96a);
	tcase_add_test(tc, test_orders_d01b_same_record);
	tcase_add_test(tc, test_orders_unoc_release);
	tcase_add_test(tc, test_orders_minimal);
	tcase_add_test(tc, test_ordrsp_d96a);
	tcase_add_test(tc, test_ordrsp_response_types);
	tcase_add_test(tc, test_desadv_tares_and_packs);
	tcase_add_test(tc, test_desadv_flat);
	tcase_add_test(tc, test_desadv_packs);
	tcase_add_test(tc, test_invoic_d96a);
	tcase_add_test(tc, test_invoic_d01b_same_record);
	tcase_add_test(tc, test_decimal_mark);
	tcase_add_test(tc, test_dtm_formats);
	tcase_add_test(tc, test_paths_components);
	tcase_add_test(tc, test_paths_groups);
	tcase_add_test(tc, test_cps_hierarchy);
	tcase_add_test(tc, test_error_positions);
	tcase_add_test(tc, test_error_repeats);
	tcase_add_test(tc, test_type_checks);
	tcase_add_test(tc, test_source_line);
	tcase_add_test(tc, test_shipped_maps_check);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_corpus_fields);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run_suite(map_edifact_suite());
	canon_cleanup();
	xmlCleanupParser();
	return rc;
}
