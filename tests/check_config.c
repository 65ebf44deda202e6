/* check_config — edigw.conf and partner files: values, defaults, inheritance, every error
 * with its file:line message, every limit one below, at and one above its range. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "testutil.h"
#include "util/util.h"

/* The smallest valid edigw.conf. */
#define MAIN_OK                                                                              \
	"erp-dir = erp\n"                                                                    \
	"our.x12.qualifier = ZZ\n"                                                           \
	"our.x12.id = OURID\n"                                                               \
	"our.x12.gs-id = OURGS\n"

/* The smallest valid partner file for partners/acme.conf. */
#define ACME_OK "id = acme\n"

/* ------------------------------------------------------------- fixture */

/* A temporary config tree: <dir>/edigw.conf and <dir>/partners/. */
struct fx {
	char *dir;
	struct diag_list d;
	struct config *c;
	int rc;
};

static void fx_init(struct fx *f)
{
	f->dir = tu_tmpdir();
	diag_list_init(&f->d);
	f->c = NULL;
	f->rc = 0;
	char *p = path_join(f->dir, "partners");
	ck_assert_int_eq(mkdir_p(p, 0755), 0);
	free(p);
}

/* Write n bytes to <dir>/rel, creating directories. */
static void fx_putn(struct fx *f, const char *rel, const void *data, size_t n)
{
	char *p = path_join(f->dir, rel);
	char *dn = path_dirname(p);
	ck_assert_int_eq(mkdir_p(dn, 0755), 0);
	ck_assert_int_eq(tu_write(p, data, n), 0);
	free(dn);
	free(p);
}

static void fx_put(struct fx *f, const char *rel, const char *text)
{
	fx_putn(f, rel, text, strlen(text));
}

/* Load <dir>/edigw.conf afresh. */
static int fx_load(struct fx *f)
{
	config_free(f->c);
	f->c = NULL;
	diag_list_free(&f->d);
	diag_list_init(&f->d);
	char *p = path_join(f->dir, "edigw.conf");
	f->rc = config_load(&f->c, p, &f->d);
	free(p);
	return f->rc;
}

/* The diagnostics as diag_print writes them, with the temp directory cut off. */
static char *fx_diags(struct fx *f)
{
	char *mem = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&mem, &n);
	ck_assert_ptr_nonnull(m);
	diag_print(&f->d, m);
	fclose(m);
	char *pre = xasprintf("%s/", f->dir);
	char *r = tu_replace(mem, pre, "");
	free(pre);
	free(mem);
	return r;
}

static void fx_free(struct fx *f)
{
	config_free(f->c);
	diag_list_free(&f->d);
	tu_rmtree(f->dir);
	free(f->dir);
}

/* Load and require success with no diagnostics at all. */
#define LOAD_OK(f)                                                                           \
	do {                                                                                 \
		int rc_ = fx_load(f);                                                        \
		char *g_ = fx_diags(f);                                                      \
		ck_assert_msg(rc_ == 0 && (f)->c, "expected success, got:\n%s", g_);         \
		ck_assert_str_eq(g_, "");                                                    \
		free(g_);                                                                    \
	} while (0)

/* Load and require failure with exactly these diagnostics. */
#define LOAD_ERR(f, expected)                                                                \
	do {                                                                                 \
		int rc_ = fx_load(f);                                                        \
		char *g_ = fx_diags(f);                                                      \
		ck_assert_int_eq(rc_, -EINVAL);                                              \
		ck_assert_ptr_null((f)->c);                                                  \
		ck_assert_str_eq(g_, expected);                                              \
		free(g_);                                                                    \
	} while (0)

/* A string of n copies of c. */
static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Expected path: <dir>/rel. */
static char *under(const char *dir, const char *rel)
{
	return path_join(dir, rel);
}

/* ------------------------------------------------------------ good fixture */

START_TEST(test_good_fixture)
{
	char *conf = tu_srcpath("tests/data/config/good/edigw.conf");
	char *dir = path_dirname(conf);
	struct diag_list d;
	struct config *c = NULL;
	diag_list_init(&d);
	int rc = config_load(&c, conf, &d);
	if (rc != 0)
		diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(d.n, 0); /* not even a warning */
	ck_assert_ptr_nonnull(c);
	char *p;

	ck_assert_str_eq(c->file, conf);
	ck_assert_str_eq(c->spool_root, "/var/spool/edigw");
	p = under(dir, "state/ledger.db");
	ck_assert_str_eq(c->ledger_path, p);
	free(p);
	p = under(dir, "erp");
	ck_assert_str_eq(c->erp_dir, p);
	free(p);
	ck_assert_str_eq(c->erp_test_dir, "/srv/erp-test");
	p = under(dir, "partners");
	ck_assert_str_eq(c->partners_dir, p);
	free(p);
	p = under(dir, "schema/canonical.rng");
	ck_assert_str_eq(c->canonical_rng, p);
	free(p);
	p = under(dir, "schema/x12");
	ck_assert_str_eq(c->schema_dir, p);
	free(p);
	ck_assert_uint_eq(c->poll_interval_s, 120);
	ck_assert_str_eq(c->log_level, "debug");
	ck_assert_str_eq(c->us.qualifier, "ZZ");
	ck_assert_str_eq(c->us.id, "EDIGWDEMO");
	ck_assert_str_eq(c->us.gs_id, "EDIGW");
	ck_assert_uint_eq(c->dup_window_s, 45u * 86400);
	ck_assert_uint_eq(c->limits.max_file_size, 100u * 1024 * 1024);
	ck_assert_uint_eq(c->limits.max_segment_len, 32u * 1024);
	ck_assert_uint_eq(c->limits.max_element_len, 2048);
	ck_assert_uint_eq(c->limits.max_elements, 256);
	ck_assert_uint_eq(c->limits.max_segments_per_txn, 100000);
	ck_assert_uint_eq(c->limits.max_loop_depth, 16);

	ck_assert_uint_eq(c->nerp, 2);
	ck_assert_str_eq(c->erp[0].kind, "order");
	p = under(dir, "profiles/order.map");
	ck_assert_str_eq(c->erp[0].profile, p);
	ck_assert_str_eq(config_erp_profile(c, "order"), p);
	free(p);
	ck_assert_uint_eq(c->erp[0].line, 24);
	ck_assert_str_eq(c->erp[1].kind, "ship-notice");
	ck_assert_str_eq(c->erp[1].profile, "/opt/erp/asn.map");
	ck_assert_uint_eq(c->erp[1].line, 25);
	ck_assert_str_eq(config_erp_profile(c, "ship-notice"), "/opt/erp/asn.map");
	ck_assert_ptr_null(config_erp_profile(c, "invoice"));

	/* README, old.conf.bak, .hidden.conf and the acme/ folder are not partners */
	ck_assert_uint_eq(c->npartners, 2);
	const struct cfg_partner *a = &c->partners[0], *g = &c->partners[1];

	ck_assert_str_eq(a->id, "acme");
	ck_assert_str_eq(a->name, "ACME Retail Corp."); /* " #1" is a comment */
	p = under(dir, "partners/acme.conf");
	ck_assert_str_eq(a->file, p);
	free(p);
	ck_assert_int_eq(a->has_x12, 1);
	ck_assert_str_eq(a->x12.qualifier, "ZZ");
	ck_assert_str_eq(a->x12.id, "ACMERETAIL");
	ck_assert_str_eq(a->x12.gs_id, "ACMEGS");
	p = under(dir, "partners/acme/drop");
	ck_assert_str_eq(a->drop_dir, p);
	free(p);
	ck_assert_uint_eq(a->drop_line, 7);
	ck_assert_uint_eq(a->ndocs, 2);
	ck_assert_str_eq(a->docs[0].type, "850");
	p = under(dir, "partners/acme/850.map");
	ck_assert_str_eq(a->docs[0].map_path, p);
	free(p);
	ck_assert_uint_eq(a->docs[0].line, 8);
	ck_assert_str_eq(a->docs[1].type, "860");
	ck_assert_str_eq(a->docs[1].map_path, "/srv/maps/860.map");
	ck_assert_uint_eq(a->docs[1].line, 9);
	ck_assert_int_eq(a->ack, CFG_ACK_999);
	ck_assert_int_eq(a->ta1, CFG_TA1_REQUESTED);
	ck_assert_uint_eq(a->dup_window_s, 7u * 86400);
	/* overrides */
	ck_assert_uint_eq(a->limits.max_file_size, 10u * 1024 * 1024);
	ck_assert_uint_eq(a->limits.max_loop_depth, 8);
	/* the rest inherited from edigw.conf, not the built-in defaults */
	ck_assert_uint_eq(a->limits.max_segment_len, 32u * 1024);
	ck_assert_uint_eq(a->limits.max_element_len, 2048);
	ck_assert_uint_eq(a->limits.max_elements, 256);
	ck_assert_uint_eq(a->limits.max_segments_per_txn, 100000);

	ck_assert_str_eq(g->id, "globex");
	ck_assert_str_eq(g->name, "Globex \xc3\x9c" "berseehandel GmbH"); /* CRLF stripped */
	ck_assert_int_eq(g->has_x12, 1);
	ck_assert_str_eq(g->x12.qualifier, "01");
	ck_assert_str_eq(g->x12.id, "123456789");
	ck_assert_str_eq(g->x12.gs_id, "123456789");
	ck_assert_ptr_null(g->drop_dir);
	ck_assert_uint_eq(g->drop_line, 0);
	ck_assert_uint_eq(g->ndocs, 1);
	ck_assert_str_eq(g->docs[0].type, "ORDERS");
	ck_assert_uint_eq(g->docs[0].line, 7);
	p = under(dir, "partners/maps/orders.map");
	ck_assert_str_eq(g->docs[0].map_path, p);
	free(p);
	ck_assert_int_eq(g->ack, CFG_ACK_997);
	ck_assert_int_eq(g->ta1, CFG_TA1_ON_ERROR);
	ck_assert_uint_eq(g->dup_window_s, 45u * 86400);
	ck_assert_mem_eq(&g->limits, &c->limits, sizeof g->limits);

	/* lookups */
	ck_assert_ptr_eq(config_partner(c, "acme"), a);
	ck_assert_ptr_eq(config_partner(c, "globex"), g);
	ck_assert_ptr_null(config_partner(c, "ACME"));
	ck_assert_ptr_null(config_partner(c, "hidden"));
	ck_assert_ptr_null(config_partner(c, "old"));
	ck_assert_ptr_eq(config_partner_by_x12(c, "ZZ", "ACMERETAIL"), a);
	ck_assert_ptr_eq(config_partner_by_x12(c, "01", "123456789"), g);
	ck_assert_ptr_null(config_partner_by_x12(c, "ZZ", "123456789"));
	ck_assert_ptr_null(config_partner_by_x12(c, "ZZ", "ACMERETAIL     ")); /* exact */
	ck_assert_ptr_null(config_partner_by_x12(c, "ZZ", "EDIGWDEMO"));       /* that is us */
	ck_assert_ptr_eq(config_partner_doc(a, "850"), &a->docs[0]);
	ck_assert_ptr_eq(config_partner_doc(a, "860"), &a->docs[1]);
	ck_assert_ptr_null(config_partner_doc(a, "810"));
	ck_assert_ptr_eq(config_partner_doc(g, "ORDERS"), &g->docs[0]);
	ck_assert_ptr_null(config_partner_doc(g, "orders"));

	config_free(c);
	diag_list_free(&d);
	free(dir);
	free(conf);
}
END_TEST

START_TEST(test_defaults)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	LOAD_OK(&f);
	struct config *c = f.c;
	char *p;
	p = under(f.dir, "spool");
	ck_assert_str_eq(c->spool_root, p);
	free(p);
	p = under(f.dir, "spool/ledger.db");
	ck_assert_str_eq(c->ledger_path, p);
	free(p);
	p = under(f.dir, "erp");
	ck_assert_str_eq(c->erp_dir, p);
	free(p);
	p = under(f.dir, "erp/test");
	ck_assert_str_eq(c->erp_test_dir, p);
	free(p);
	p = under(f.dir, "partners");
	ck_assert_str_eq(c->partners_dir, p);
	free(p);
	p = under(f.dir, "doc/canonical.rng");
	ck_assert_str_eq(c->canonical_rng, p);
	free(p);
	p = under(f.dir, "maps/schemas");
	ck_assert_str_eq(c->schema_dir, p); /* default, relative to edigw.conf */
	free(p);
	ck_assert_uint_eq(c->poll_interval_s, 30);
	ck_assert_str_eq(c->log_level, "info");
	ck_assert_uint_eq(c->dup_window_s, 30u * 86400);
	ck_assert_uint_eq(c->ack_due_s, 86400);
	ck_assert_uint_eq(c->limits.max_file_size, 512u * 1024 * 1024);
	ck_assert_uint_eq(c->limits.max_segment_len, 65536);
	ck_assert_uint_eq(c->limits.max_element_len, 4096);
	ck_assert_uint_eq(c->limits.max_elements, 512);
	ck_assert_uint_eq(c->limits.max_segments_per_txn, 200000);
	ck_assert_uint_eq(c->limits.max_loop_depth, 32);
	struct cfg_limits l;
	cfg_limits_default(&l);
	ck_assert_mem_eq(&l, &c->limits, sizeof l);
	ck_assert_uint_eq(c->nerp, 0);
	ck_assert_uint_eq(c->npartners, 0);

	/* a spool set without a ledger moves the ledger with it */
	fx_put(&f, "edigw.conf", MAIN_OK "spool = /data/q\n");
	LOAD_OK(&f);
	ck_assert_str_eq(f.c->spool_root, "/data/q");
	ck_assert_str_eq(f.c->ledger_path, "/data/q/ledger.db");

	/* a partner with only its id: defaults and everything inherited */
	fx_put(&f, "edigw.conf", MAIN_OK "duplicate-window = 2d\nlimit.max-elements = 100\n");
	fx_put(&f, "partners/acme.conf", ACME_OK);
	LOAD_OK(&f);
	const struct cfg_partner *a = config_partner(f.c, "acme");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "acme");
	ck_assert_int_eq(a->has_x12, 0);
	ck_assert_ptr_null(a->drop_dir);
	ck_assert_uint_eq(a->ndocs, 0);
	ck_assert_int_eq(a->ack, CFG_ACK_997);
	ck_assert_int_eq(a->ta1, CFG_TA1_ON_ERROR);
	ck_assert_uint_eq(a->dup_window_s, 2u * 86400);
	ck_assert_uint_eq(a->ack_due_s, 86400);
	ck_assert_ptr_null(a->schema_overlay);
	ck_assert_uint_eq(a->limits.max_elements, 100);
	ck_assert_uint_eq(a->limits.max_file_size, 512u * 1024 * 1024);

	/* schema-overlay is a path relative to the partner file, with its line */
	fx_put(&f, "partners/acme.conf", ACME_OK "schema-overlay = acme/x12.def\n");
	LOAD_OK(&f);
	a = config_partner(f.c, "acme");
	p = under(f.dir, "partners/acme/x12.def");
	ck_assert_str_eq(a->schema_overlay, p);
	ck_assert_uint_eq(a->schema_overlay_line, 2);
	free(p);
	fx_free(&f);
}
END_TEST

/* Every enum value maps to its constant. */
START_TEST(test_enums)
{
	static const char *const levels[] = { "error", "warning", "info", "debug" };
	static const struct { const char *v; enum cfg_ack a; } acks[] = {
		{ "997", CFG_ACK_997 }, { "999", CFG_ACK_999 }, { "none", CFG_ACK_NONE } };
	static const struct { const char *v; enum cfg_ta1 t; } ta1s[] = {
		{ "on-error", CFG_TA1_ON_ERROR }, { "requested", CFG_TA1_REQUESTED },
		{ "never", CFG_TA1_NEVER } };
	struct fx f;
	fx_init(&f);
	static const enum log_level lv[] = { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
	for (size_t i = 0; i < 4; i++) {
		char *t = xasprintf(MAIN_OK "log-level = %s\n", levels[i]);
		fx_put(&f, "edigw.conf", t);
		free(t);
		LOAD_OK(&f);
		ck_assert_str_eq(f.c->log_level, levels[i]);
		ck_assert_int_eq(config_log_level(f.c), lv[i]);
	}
	ck_assert_int_eq(config_log_level(NULL), LOG_INFO);
	fx_put(&f, "edigw.conf", MAIN_OK);
	for (size_t i = 0; i < 3; i++) {
		char *t = xasprintf(ACME_OK "ack = %s\nta1 = %s\n", acks[i].v, ta1s[i].v);
		fx_put(&f, "partners/acme.conf", t);
		free(t);
		LOAD_OK(&f);
		ck_assert_int_eq(f.c->partners[0].ack, acks[i].a);
		ck_assert_int_eq(f.c->partners[0].ta1, ta1s[i].t);
	}
	fx_free(&f);
}
END_TEST

/* tolerate.* keys: yes/no, defaults, inheritance from edigw.conf, bad values with file:line,
 * the main-file-only and partner-file-only rules do not apply (both files take them). */
START_TEST(test_tolerances)
{
	struct fx f;
	fx_init(&f);
	/* defaults: yes, yes, no, yes, no; a partner without keys gets them */
	fx_put(&f, "edigw.conf", MAIN_OK);
	fx_put(&f, "partners/acme.conf", ACME_OK);
	LOAD_OK(&f);
	const struct cfg_tolerances *t = &f.c->tolerances;
	ck_assert_int_eq(t->alphanumeric_isa11, 1);
	ck_assert_int_eq(t->trailing_empty_elements, 1);
	ck_assert_int_eq(t->unpadded_isa, 0);
	ck_assert_int_eq(t->isa_line_breaks, 1);
	ck_assert_int_eq(t->wrong_counts, 0);
	struct cfg_tolerances d;
	memset(&d, 0x55, sizeof d);
	cfg_tolerances_default(&d);
	ck_assert_mem_eq(&d, t, sizeof d);
	ck_assert_mem_eq(&d, &f.c->partners[0].tolerances, sizeof d);

	/* edigw.conf flips every default; a partner inherits, a second one overrides some */
	fx_put(&f, "edigw.conf", MAIN_OK "tolerate.alphanumeric-isa11 = no\n"
					 "tolerate.trailing-empty-elements = no\n"
					 "tolerate.unpadded-isa = yes\n"
					 "tolerate.isa-line-breaks = no\n"
					 "tolerate.wrong-counts = yes\n");
	fx_put(&f, "partners/beta.conf", "id = beta\n"
					 "tolerate.alphanumeric-isa11 = yes\n"
					 "tolerate.wrong-counts = no\n");
	LOAD_OK(&f);
	t = &f.c->tolerances;
	ck_assert_int_eq(t->alphanumeric_isa11, 0);
	ck_assert_int_eq(t->trailing_empty_elements, 0);
	ck_assert_int_eq(t->unpadded_isa, 1);
	ck_assert_int_eq(t->isa_line_breaks, 0);
	ck_assert_int_eq(t->wrong_counts, 1);
	const struct cfg_partner *a = config_partner(f.c, "acme"), *b = config_partner(f.c, "beta");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_mem_eq(&a->tolerances, t, sizeof *t);
	ck_assert_int_eq(b->tolerances.alphanumeric_isa11, 1);
	ck_assert_int_eq(b->tolerances.trailing_empty_elements, 0);
	ck_assert_int_eq(b->tolerances.unpadded_isa, 1);
	ck_assert_int_eq(b->tolerances.isa_line_breaks, 0);
	ck_assert_int_eq(b->tolerances.wrong_counts, 0);

	/* a partner flips the defaults by itself */
	fx_put(&f, "edigw.conf", MAIN_OK);
	fx_put(&f, "partners/beta.conf", "id = beta\n"
					 "tolerate.alphanumeric-isa11 = no\n"
					 "tolerate.trailing-empty-elements = no\n"
					 "tolerate.unpadded-isa = yes\n"
					 "tolerate.isa-line-breaks = no\n"
					 "tolerate.wrong-counts = yes\n");
	LOAD_OK(&f);
	b = config_partner(f.c, "beta");
	ck_assert_int_eq(b->tolerances.alphanumeric_isa11, 0);
	ck_assert_int_eq(b->tolerances.trailing_empty_elements, 0);
	ck_assert_int_eq(b->tolerances.unpadded_isa, 1);
	ck_assert_int_eq(b->tolerances.isa_line_breaks, 0);
	ck_assert_int_eq(b->tolerances.wrong_counts, 1);
	ck_assert_mem_eq(&config_partner(f.c, "acme")->tolerances, &d, sizeof d);
	ck_assert_mem_eq(&f.c->tolerances, &d, sizeof d);

	/* bad values, a repeated key and a misspelt one, in both files, with file:line */
	fx_put(&f, "edigw.conf", MAIN_OK "tolerate.wrong-counts = true\n"
					 "tolerate.unpadded-isa = YES\n"
					 "tolerate.isa-line-breaks = no\n"
					 "tolerate.isa-line-breaks = yes\n");
	fx_put(&f, "partners/beta.conf", "id = beta\n"
					 "tolerate.alphanumeric-isa11 = 1\n"
					 "tolerate.trailing-empty-elements =\n"
					 "tolerate.wrong-count = yes\n");
	LOAD_ERR(&f,
		 "edigw.conf:5: error: bad value 'true' for 'tolerate.wrong-counts' (allowed: yes, "
		 "no)\n"
		 "edigw.conf:6: error: bad value 'YES' for 'tolerate.unpadded-isa' (allowed: yes, "
		 "no)\n"
		 "edigw.conf:8: error: repeated key 'tolerate.isa-line-breaks' (first set at line "
		 "7)\n"
		 "partners/beta.conf:2: error: bad value '1' for 'tolerate.alphanumeric-isa11' "
		 "(allowed: yes, no)\n"
		 "partners/beta.conf:3: error: empty value for 'tolerate.trailing-empty-elements'\n"
		 "partners/beta.conf:4: error: unknown key 'tolerate.wrong-count' (did you mean "
		 "'tolerate.wrong-counts'?)\n");
	fx_free(&f);
}
END_TEST

/* --------------------------------------------------------------- syntax */

START_TEST(test_comments_and_blanks)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf",
	       "\n"
	       "   # indented comment\n"
	       "#key = value\n"
	       "\t\n" MAIN_OK
	       "  spool\t=\t  my spool dir  \t# trailing comment\n"
	       "ledger = led#ger.db   # '#' not after a blank is data\n");
	fx_put(&f, "partners/acme.conf", "id = acme#comment-less\n");
	LOAD_ERR(&f, "partners/acme.conf:1: error: bad value 'acme#comment-less' for 'id' "
		     "(letters, digits, '.', '_' and '-', not starting with '.', at most 128 "
		     "characters)\n");
	fx_put(&f, "partners/acme.conf", "id = acme\t# a tab before '#' starts a comment too\n");
	LOAD_OK(&f);
	char *p = under(f.dir, "my spool dir");
	ck_assert_str_eq(f.c->spool_root, p);
	free(p);
	p = under(f.dir, "led#ger.db");
	ck_assert_str_eq(f.c->ledger_path, p);
	free(p);
	fx_free(&f);
}
END_TEST

START_TEST(test_syntax_errors)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK "spool\n"
				     "= value\n"
				     "ledger =\n"
				     "ledger = # only a comment\n"
				     "Spool = x\n"
				     "erp dir = x\n"
				     "log_level = info\n"
				     "frobnicate = 1\n");
	LOAD_ERR(&f, "edigw.conf:5: error: expected 'key = value'\n"
		     "edigw.conf:6: error: missing key before '='\n"
		     "edigw.conf:7: error: empty value for 'ledger'\n"
		     "edigw.conf:8: error: empty value for 'ledger'\n"
		     "edigw.conf:8: error: repeated key 'ledger' (first set at line 7)\n"
		     "edigw.conf:9: error: unknown key 'Spool' (did you mean 'spool'?)\n"
		     "edigw.conf:10: error: unknown key 'erp dir' (did you mean 'erp-dir'?)\n"
		     "edigw.conf:11: error: unknown key 'log_level' (did you mean 'log-level'?)\n"
		     "edigw.conf:12: error: unknown key 'frobnicate'\n");
	fx_free(&f);
}
END_TEST

START_TEST(test_unknown_keys)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK "pol-interval = 10s\n"
				     "id = acme\n"
				     "document.850 = x.map\n"
				     "foo = bar\n");
	fx_put(&f, "partners/acme.conf", ACME_OK "spool = x\n"
						 "erp.order = x.map\n"
						 "our.x12.id = X\n"
						 "acks = 997\n"
						 "limit.max-loop-dept = 3\n");
	LOAD_ERR(&f,
		 "edigw.conf:5: error: unknown key 'pol-interval' (did you mean 'poll-interval'?)\n"
		 "edigw.conf:6: error: unknown key 'id' (it belongs in a partner file)\n"
		 "edigw.conf:7: error: unknown key 'document.850' (it belongs in a partner file)\n"
		 "edigw.conf:8: error: unknown key 'foo'\n"
		 "partners/acme.conf:2: error: unknown key 'spool' (it belongs in edigw.conf)\n"
		 "partners/acme.conf:3: error: unknown key 'erp.order' (it belongs in edigw.conf)\n"
		 "partners/acme.conf:4: error: unknown key 'our.x12.id' (it belongs in edigw.conf)\n"
		 "partners/acme.conf:5: error: unknown key 'acks' (did you mean 'ack'?)\n"
		 "partners/acme.conf:6: error: unknown key 'limit.max-loop-dept' (did you mean "
		 "'limit.max-loop-depth'?)\n");
	fx_free(&f);
}
END_TEST

START_TEST(test_repeated_keys)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK "erp.order = a.map\n"
				     "erp.invoice = b.map\n"
				     "erp.order = c.map\n"
				     "our.x12.id = OTHER\n"
				     "erp.order = d.map\n");
	fx_put(&f, "partners/acme.conf", ACME_OK "document.850 = a.map\n"
						 "document.810 = b.map\n"
						 "document.850 = c.map\n"
						 "ack = 999\n"
						 "ack = 999\n");
	LOAD_ERR(&f, "edigw.conf:7: error: repeated key 'erp.order' (first set at line 5)\n"
		     "edigw.conf:8: error: repeated key 'our.x12.id' (first set at line 3)\n"
		     "edigw.conf:9: error: repeated key 'erp.order' (first set at line 5)\n"
		     "partners/acme.conf:4: error: repeated key 'document.850' (first set at line 2)\n"
		     "partners/acme.conf:6: error: repeated key 'ack' (first set at line 5)\n");

	/* different kinds and types may repeat the prefix */
	fx_put(&f, "edigw.conf", MAIN_OK "erp.order = a.map\nerp.invoice = b.map\n");
	fx_put(&f, "partners/acme.conf", ACME_OK "document.850 = a.map\ndocument.810 = b.map\n");
	LOAD_OK(&f);
	ck_assert_uint_eq(f.c->nerp, 2);
	ck_assert_uint_eq(f.c->erp[1].line, 6);
	char *p = under(f.dir, "b.map");
	ck_assert_str_eq(config_erp_profile(f.c, "invoice"), p);
	free(p);
	ck_assert_uint_eq(f.c->partners[0].ndocs, 2);
	p = under(f.dir, "partners/b.map");
	ck_assert_str_eq(config_partner_doc(&f.c->partners[0], "810")->map_path, p);
	free(p);
	fx_free(&f);
}
END_TEST

START_TEST(test_missing_required)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", "# nothing\n");
	fx_put(&f, "partners/acme.conf", "name = ACME\n");
	LOAD_ERR(&f, "edigw.conf: error: missing required key 'erp-dir'\n"
		     "edigw.conf: error: missing required key 'our.x12.qualifier'\n"
		     "edigw.conf: error: missing required key 'our.x12.id'\n"
		     "edigw.conf: error: missing required key 'our.x12.gs-id'\n"
		     "partners/acme.conf: error: missing required key 'id'\n");
	/* a bad required value is reported once, not also as missing */
	fx_put(&f, "edigw.conf", "erp-dir = erp\nour.x12.qualifier = zz\n"
				 "our.x12.id = OURID\nour.x12.gs-id = OURGS\n");
	fx_put(&f, "partners/acme.conf", ACME_OK);
	LOAD_ERR(&f, "edigw.conf:2: error: bad value 'zz' for 'our.x12.qualifier' (exactly 2 "
		     "characters of 0-9 and A-Z)\n");
	fx_free(&f);
}
END_TEST

START_TEST(test_bad_values)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK "poll-interval = 5w\n"
				     "poll-interval2 = 1\n"
				     "log-level = verbose\n"
				     "duplicate-window = -1d\n"
				     "limit.max-file-size = 12X\n"
				     "limit.max-segment-length = 1 k\n"
				     "limit.max-elements = 1k\n"
				     "limit.max-loop-depth = 99999999999999999999\n"
				     "limit.max-element-length = 99999999999999999999G\n"
				     "erp.Order = o.map\n"
				     "erp. = o.map\n"
				     "erp.order1 = o.map\n");
	fx_put(&f, "partners/acme.conf",
	       ACME_OK "ack = 998\n"
		       "ta1 = always\n"
		       "document.85 = a.map\n"
		       "document.8500000000000 = a.map\n"
		       "document.orders = a.map\n");
	LOAD_ERR(&f,
		 "edigw.conf:5: error: bad value '5w' for 'poll-interval' (expected a duration: "
		 "digits with an optional s, m, h or d suffix)\n"
		 "edigw.conf:6: error: unknown key 'poll-interval2' (did you mean "
		 "'poll-interval'?)\n"
		 "edigw.conf:7: error: bad value 'verbose' for 'log-level' (allowed: error, "
		 "warning, info, debug)\n"
		 "edigw.conf:8: error: bad value '-1d' for 'duplicate-window' (expected a "
		 "duration: digits with an optional s, m, h or d suffix)\n"
		 "edigw.conf:9: error: bad value '12X' for 'limit.max-file-size' (expected a size: "
		 "digits with an optional k, M or G suffix)\n"
		 "edigw.conf:10: error: bad value '1 k' for 'limit.max-segment-length' (expected "
		 "a size: digits with an optional k, M or G suffix)\n"
		 "edigw.conf:11: error: bad value '1k' for 'limit.max-elements' (expected a whole "
		 "number)\n"
		 "edigw.conf:12: error: value '99999999999999999999' for 'limit.max-loop-depth' is "
		 "out of range (allowed: 1 to 1000)\n"
		 "edigw.conf:13: error: value '99999999999999999999G' for "
		 "'limit.max-element-length' is out of range (allowed: 1 to 1M)\n"
		 "edigw.conf:14: error: bad ERP record kind 'Order' in 'erp.Order' (1 to 31 "
		 "characters of a-z and '-')\n"
		 "edigw.conf:15: error: bad ERP record kind '' in 'erp.' (1 to 31 characters of "
		 "a-z and '-')\n"
		 "edigw.conf:16: error: bad ERP record kind 'order1' in 'erp.order1' (1 to 31 "
		 "characters of a-z and '-')\n"
		 "partners/acme.conf:2: error: bad value '998' for 'ack' (allowed: 997, 999, "
		 "none)\n"
		 "partners/acme.conf:3: error: bad value 'always' for 'ta1' (allowed: on-error, "
		 "requested, never)\n"
		 "partners/acme.conf:4: error: bad document type '85' in 'document.85' (3 to 12 "
		 "characters of 0-9 and A-Z)\n"
		 "partners/acme.conf:5: error: bad document type '8500000000000' in 'document.8500000000000' "
		 "(3 to 12 characters of 0-9 and A-Z)\n"
		 "partners/acme.conf:6: error: bad document type 'orders' in 'document.orders' (3 "
		 "to 12 characters of 0-9 and A-Z)\n");
	fx_free(&f);
}
END_TEST

/* ERP kinds are at most 31 characters (struct cfg_erp.kind); document types 3..12. */
START_TEST(test_kind_and_type_length)
{
	struct fx f;
	fx_init(&f);
	char *k30 = repeat('k', 30), *k31 = repeat('k', 31), *k32 = repeat('k', 32);
	char *t = xasprintf(MAIN_OK "erp.%s = a.map\nerp.%s = b.map\nerp.%s = c.map\n", k30, k31,
			    k32);
	fx_put(&f, "edigw.conf", t);
	free(t);
	t = xasprintf("edigw.conf:7: error: bad ERP record kind '%s' in 'erp.%s' (1 to 31 "
		      "characters of a-z and '-')\n",
		      k32, k32);
	LOAD_ERR(&f, t);
	free(t);
	t = xasprintf(MAIN_OK "erp.%s = a.map\nerp.%s = b.map\nerp.x = c.map\n", k30, k31);
	fx_put(&f, "edigw.conf", t);
	free(t);
	fx_put(&f, "partners/acme.conf",
	       ACME_OK "document.997 = a.map\ndocument.DESADV = b.map\ndocument.SHIPCONF1234 = c.map\n");
	LOAD_OK(&f);
	ck_assert_str_eq(f.c->erp[1].kind, k31);
	ck_assert_str_eq(f.c->erp[2].kind, "x");
	ck_assert_uint_eq(f.c->partners[0].ndocs, 3);
	ck_assert_str_eq(f.c->partners[0].docs[1].type, "DESADV");
	free(k30);
	free(k31);
	free(k32);
	fx_free(&f);
}
END_TEST

/* ------------------------------------------------------- partner checks */

START_TEST(test_id_mismatch)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	fx_put(&f, "partners/acme.conf", "# acme\nid = globex\n");
	LOAD_ERR(&f, "partners/acme.conf:2: error: id 'globex' does not match the file name "
		     "'acme.conf'\n");
	fx_put(&f, "partners/acme.conf", "id = ACME\n"); /* case matters */
	LOAD_ERR(&f,
		 "partners/acme.conf:1: error: id 'ACME' does not match the file name 'acme.conf'\n");
	fx_put(&f, "partners/acme.conf", "id = ../acme\n");
	LOAD_ERR(&f, "partners/acme.conf:1: error: bad value '../acme' for 'id' (letters, digits, "
		     "'.', '_' and '-', not starting with '.', at most 128 characters)\n");
	fx_put(&f, "partners/acme.conf", ACME_OK);
	fx_put(&f, "partners/a b.conf", "id = a b\n");
	LOAD_ERR(&f, "partners/a b.conf:1: error: bad value 'a b' for 'id' (letters, digits, '.', "
		     "'_' and '-', not starting with '.', at most 128 characters)\n"
		     "partners/a b.conf: error: file name 'a b.conf' is not a valid partner id "
		     "(letters, digits, '.', '_' and '-', not starting with '.')\n");
	fx_free(&f);
}
END_TEST

START_TEST(test_partner_files_scanned)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	fx_put(&f, "partners/zeta.conf", "id = zeta\n");
	fx_put(&f, "partners/Beta.conf", "id = Beta\n");
	fx_put(&f, "partners/alpha.conf", "id = alpha\n");
	fx_put(&f, "partners/alpha/850.x12", "ISA*garbage\n");
	fx_put(&f, "partners/alpha/sub.conf", "not = a partner\n");
	fx_put(&f, "partners/notes.txt", "garbage\n");
	fx_put(&f, "partners/conf", "garbage\n");
	fx_put(&f, "partners/.conf", "garbage\n");
	fx_put(&f, "partners/x.conf~", "garbage\n");
	LOAD_OK(&f);
	ck_assert_uint_eq(f.c->npartners, 3);
	ck_assert_str_eq(f.c->partners[0].id, "Beta"); /* sorted by bytes */
	ck_assert_str_eq(f.c->partners[1].id, "alpha");
	ck_assert_str_eq(f.c->partners[2].id, "zeta");

	/* a symlink or directory named *.conf is ignored with a warning */
	char *l = under(f.dir, "partners/link.conf");
	char *t = under(f.dir, "partners/zeta.conf");
	ck_assert_int_eq(symlink(t, l), 0);
	char *dd = under(f.dir, "partners/dir.conf");
	ck_assert_int_eq(mkdir(dd, 0755), 0);
	ck_assert_int_eq(fx_load(&f), 0);
	ck_assert_uint_eq(f.c->npartners, 3);
	ck_assert_uint_eq(f.d.nerrors, 0);
	ck_assert_uint_eq(f.d.n, 2);
	char *g = fx_diags(&f);
	ck_assert(strstr(g, "partners/link.conf: warning: not a regular file; ignored\n"));
	ck_assert(strstr(g, "partners/dir.conf: warning: not a regular file; ignored\n"));
	free(g);
	free(dd);
	free(t);
	free(l);
	fx_free(&f);
}
END_TEST

START_TEST(test_partners_dir)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK "partners-dir = elsewhere\n");
	LOAD_ERR(&f, "edigw.conf:5: error: cannot read partners directory 'elsewhere': No such "
		     "file or directory\n");
	fx_put(&f, "elsewhere/p1.conf", "id = p1\n");
	LOAD_OK(&f);
	ck_assert_uint_eq(f.c->npartners, 1);
	char *p = under(f.dir, "elsewhere/p1.conf");
	ck_assert_str_eq(f.c->partners[0].file, p);
	free(p);
	/* default partners-dir missing: the error has no line */
	fx_put(&f, "edigw.conf", MAIN_OK);
	char *pd = under(f.dir, "partners");
	ck_assert_int_eq(rmdir(pd), 0);
	free(pd);
	LOAD_ERR(&f, "edigw.conf: error: cannot read partners directory 'partners': No such file "
		     "or directory\n");
	fx_free(&f);
}
END_TEST

START_TEST(test_missing_main_file)
{
	struct fx f;
	fx_init(&f);
	LOAD_ERR(&f, "edigw.conf: error: cannot read file: No such file or directory\n");
	/* d may be NULL: the result still says whether it loaded */
	struct config *c = (struct config *)1;
	char *p = under(f.dir, "edigw.conf");
	ck_assert_int_eq(config_load(&c, p, NULL), -EINVAL);
	ck_assert_ptr_null(c);
	fx_put(&f, "edigw.conf", MAIN_OK);
	ck_assert_int_eq(config_load(&c, p, NULL), 0);
	ck_assert_ptr_nonnull(c);
	config_free(c);
	config_free(NULL);
	free(p);
	fx_free(&f);
}
END_TEST

START_TEST(test_x12_identity)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	fx_put(&f, "partners/a.conf", "id = a\nx12.qualifier = ZZ\nx12.id = SAME\nx12.gs-id = AGS\n");
	fx_put(&f, "partners/b.conf", "id = b\nx12.qualifier = 01\nx12.id = SAME\nx12.gs-id = BGS\n");
	fx_put(&f, "partners/c.conf",
	       "id = c\n\nx12.gs-id = CGS\nx12.id = SAME\nx12.qualifier = ZZ\nfoo = 1\n");
	fx_put(&f, "partners/d.conf", "id = d\nx12.qualifier = ZZ\nx12.id = OURID\nx12.gs-id = D1\n");
	/* each file's errors in line order, though the identity is checked last */
	LOAD_ERR(&f, "partners/c.conf:4: error: x12 identity ZZ:SAME is also used by "
		     "partners/a.conf (line 3)\n"
		     "partners/c.conf:6: error: unknown key 'foo'\n"
		     "partners/d.conf:3: error: x12 identity ZZ:OURID is our own (our.x12.qualifier "
		     "and our.x12.id in edigw.conf)\n");
	/* same id under another qualifier, or same GS id, is a different partner */
	char *p = under(f.dir, "partners/c.conf");
	unlink(p);
	free(p);
	p = under(f.dir, "partners/d.conf");
	unlink(p);
	free(p);
	fx_put(&f, "partners/e.conf", "id = e\nx12.qualifier = 12\nx12.id = OURID\nx12.gs-id = AGS\n");
	LOAD_OK(&f);
	ck_assert_ptr_eq(config_partner_by_x12(f.c, "ZZ", "SAME"), config_partner(f.c, "a"));
	ck_assert_ptr_eq(config_partner_by_x12(f.c, "01", "SAME"), config_partner(f.c, "b"));
	ck_assert_ptr_eq(config_partner_by_x12(f.c, "12", "OURID"), config_partner(f.c, "e"));
	ck_assert_ptr_null(config_partner_by_x12(f.c, "ZZ", "OURID"));
	fx_free(&f);
}
END_TEST

/* EDIFACT identities: ours and the partners', unique; contrl and the charset tolerance. */
START_TEST(test_edifact_identity)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK "our.edifact.id = 4012345000009\nour.edifact.qualifier = 14\n");
	fx_put(&f, "partners/a.conf", "id = a\nedifact.id = 5412345000013\nedifact.qualifier = 14\ncontrl = always\n"
				      "tolerate.edifact-charset = yes\n");
	fx_put(&f, "partners/b.conf", "id = b\nedifact.id = 5412345000013\n");
	fx_put(&f, "partners/c.conf", "id = c\nedifact.qualifier = ZZ\n");
	fx_put(&f, "partners/d.conf", "id = d\nedifact.id = A+B\ncontrl = sometimes\n");
	fx_put(&f, "partners/e.conf", "id = e\nedifact.id = 4012345000009\n");
	LOAD_ERR(&f, "partners/b.conf:2: error: edifact identity 5412345000013 is also used by partners/a.conf\n"
		     "partners/c.conf:2: error: edifact.qualifier without edifact.id\n"
		     "partners/d.conf:2: error: bad value 'A+B' for 'edifact.id' (1 to 35 printable ASCII "
		     "characters, none of + : ' ? *)\n"
		     "partners/d.conf:3: error: bad value 'sometimes' for 'contrl' (allowed: requested, always, never)\n"
		     "partners/e.conf:2: error: edifact identity 4012345000009 is our own (our.edifact.id in edigw.conf)\n");
	const char *gone[] = { "partners/b.conf", "partners/c.conf", "partners/d.conf", "partners/e.conf" };
	for (size_t i = 0; i < 4; i++) {
		char *p = under(f.dir, gone[i]);
		unlink(p);
		free(p);
	}
	fx_put(&f, "partners/g.conf", "id = g\nedifact.id = GLN-2\n");
	LOAD_OK(&f);
	const struct cfg_partner *a = config_partner(f.c, "a");
	ck_assert_str_eq(f.c->us_edifact.id, "4012345000009");
	ck_assert_str_eq(f.c->us_edifact.qualifier, "14");
	ck_assert_int_eq(a->has_edifact, 1);
	ck_assert_int_eq(a->contrl, CFG_CONTRL_ALWAYS);
	ck_assert_int_eq(a->edifact_charset_relaxed, 1);
	ck_assert_int_eq(config_partner(f.c, "g")->contrl, CFG_CONTRL_REQUESTED);
	ck_assert_int_eq(config_partner(f.c, "g")->edifact_charset_relaxed, 0);
	ck_assert_ptr_eq(config_partner_by_edifact(f.c, "14", "5412345000013"), a);
	ck_assert_ptr_null(config_partner_by_edifact(f.c, "ZZ", "5412345000013"));
	/* no qualifier in the profile: any qualifier, or none */
	ck_assert_ptr_eq(config_partner_by_edifact(f.c, "ZZ", "GLN-2"), config_partner(f.c, "g"));
	ck_assert_ptr_eq(config_partner_by_edifact(f.c, "", "GLN-2"), config_partner(f.c, "g"));
	ck_assert_ptr_null(config_partner_by_edifact(f.c, "", "UNKNOWN"));
	fx_free(&f);
}
END_TEST

START_TEST(test_x12_all_or_none)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	fx_put(&f, "partners/a.conf", "id = a\nx12.id = AID\n");
	fx_put(&f, "partners/b.conf", "id = b\nx12.gs-id = BGS\nx12.qualifier = ZZ\n");
	LOAD_ERR(&f, "partners/a.conf:2: error: x12.qualifier, x12.id and x12.gs-id must be set "
		     "together (missing: x12.qualifier, x12.gs-id)\n"
		     "partners/b.conf:2: error: x12.qualifier, x12.id and x12.gs-id must be set "
		     "together (missing: x12.id)\n");
	fx_free(&f);
}
END_TEST

START_TEST(test_x12_fields)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	fx_put(&f, "partners/a.conf", "id = a\n"
				      "x12.qualifier = Z\n"
				      "x12.id = A*B\n"
				      "x12.gs-id = G\n");
	fx_put(&f, "partners/b.conf", "id = b\n"
				      "x12.qualifier = ZZZ\n"
				      "x12.id = 1234567890123456\n"
				      "x12.gs-id = 1234567890123456\n");
	fx_put(&f, "partners/c.conf", "id = c\n"
				      "x12.qualifier = zz\n"
				      "x12.id = A~B\n"
				      "x12.gs-id = G:S\n");
	fx_put(&f, "partners/d.conf", "id = d\n"
				      "x12.qualifier = Z-\n"
				      "x12.id = A^B\n"
				      "x12.gs-id = G|S\n");
	fx_put(&f, "partners/e.conf", "id = e\n"
				      "x12.qualifier = ZZ\n"
				      "x12.id = A>B\n"
				      "x12.gs-id = \xc3\x9c" "BER\n");
	const char *q = "(exactly 2 characters of 0-9 and A-Z)";
	const char *i = "(1 to 15 printable ASCII characters, none of * ~ : ^ | >)";
	const char *g = "(2 to 15 printable ASCII characters, none of * ~ : ^ | >)";
	char *exp = xasprintf(
		"partners/a.conf:2: error: bad value 'Z' for 'x12.qualifier' %s\n"
		"partners/a.conf:3: error: bad value 'A*B' for 'x12.id' %s\n"
		"partners/a.conf:4: error: bad value 'G' for 'x12.gs-id' %s\n"
		"partners/b.conf:2: error: bad value 'ZZZ' for 'x12.qualifier' %s\n"
		"partners/b.conf:3: error: bad value '1234567890123456' for 'x12.id' %s\n"
		"partners/b.conf:4: error: bad value '1234567890123456' for 'x12.gs-id' %s\n"
		"partners/c.conf:2: error: bad value 'zz' for 'x12.qualifier' %s\n"
		"partners/c.conf:3: error: bad value 'A~B' for 'x12.id' %s\n"
		"partners/c.conf:4: error: bad value 'G:S' for 'x12.gs-id' %s\n"
		"partners/d.conf:2: error: bad value 'Z-' for 'x12.qualifier' %s\n"
		"partners/d.conf:3: error: bad value 'A^B' for 'x12.id' %s\n"
		"partners/d.conf:4: error: bad value 'G|S' for 'x12.gs-id' %s\n"
		"partners/e.conf:3: error: bad value 'A>B' for 'x12.id' %s\n"
		"partners/e.conf:4: error: bad value '\\xc3\\x9cBER' for 'x12.gs-id' %s\n",
		q, i, g, q, i, g, q, i, g, q, i, g, i, g);
	LOAD_ERR(&f, exp);
	free(exp);

	/* at the limits: id 1 and 15, gs-id 2 and 15, blanks inside allowed */
	char *p;
	for (const char *n = "abcde"; *n; n++) {
		char name[16] = "partners/x.conf";
		name[9] = *n;
		p = under(f.dir, name);
		unlink(p);
		free(p);
	}
	fx_put(&f, "partners/a.conf", "id = a\nx12.qualifier = 01\nx12.id = 1\nx12.gs-id = 12\n");
	fx_put(&f, "partners/b.conf", "id = b\nx12.qualifier = Z9\n"
				      "x12.id = 123456789012345\nx12.gs-id = 123456789012345\n");
	fx_put(&f, "partners/c.conf", "id = c\nx12.qualifier = ZZ\n"
				      "x12.id = A B!#$%&'()+,-.\nx12.gs-id = a@b{}\n");
	LOAD_OK(&f);
	ck_assert_str_eq(config_partner(f.c, "a")->x12.id, "1");
	ck_assert_str_eq(config_partner(f.c, "a")->x12.gs_id, "12");
	ck_assert_str_eq(config_partner(f.c, "b")->x12.id, "123456789012345");
	ck_assert_str_eq(config_partner(f.c, "b")->x12.gs_id, "123456789012345");
	ck_assert_str_eq(config_partner(f.c, "b")->x12.qualifier, "Z9");
	ck_assert_str_eq(config_partner(f.c, "c")->x12.id, "A B!#$%&'()+,-.");
	ck_assert_str_eq(config_partner(f.c, "c")->x12.gs_id, "a@b{}");
	fx_free(&f);
}
END_TEST

/* --------------------------------------------------------- value bytes */

START_TEST(test_control_and_utf8)
{
	static const struct {
		const char *line; /* line 2 of partners/acme.conf */
		size_t n;
		const char *msg;
	} bad[] = {
#define L(s) s, sizeof s - 1
		{ L("name = Acme\x01" "Corp"), "control character 0x01 in value of 'name' (column 12)" },
		{ L("name = a\tb"), "control character 0x09 in value of 'name' (column 9)" },
		{ L("name = a\x7f" "b"), "control character 0x7f in value of 'name' (column 9)" },
		{ L("name = a\x00" "b"), "control character 0x00 in value of 'name' (column 9)" },
		{ L("drop = a\rb"), "control character 0x0d in value of 'drop' (column 9)" },
		{ L("name = a\xc2\x85" "b"), "control character U+0085 in value of 'name' (column 9)" },
		{ L("name = a\xc2\x9f" "b"), "control character U+009F in value of 'name' (column 9)" },
		{ L("name = caf\xe9"), "invalid UTF-8 in value of 'name' (column 11)" },
		{ L("name = \xc0\xaf"), "invalid UTF-8 in value of 'name' (column 8)" },     /* overlong */
		{ L("name = \xe0\x80\xaf"), "invalid UTF-8 in value of 'name' (column 8)" }, /* overlong */
		{ L("name = \xed\xa0\x80"), "invalid UTF-8 in value of 'name' (column 8)" }, /* surrogate */
		{ L("name = \xf4\x90\x80\x80"), "invalid UTF-8 in value of 'name' (column 8)" }, /* > U+10FFFF */
		{ L("name = \xf5\x80\x80\x80"), "invalid UTF-8 in value of 'name' (column 8)" },
		{ L("name = ab\xe2\x82"), "invalid UTF-8 in value of 'name' (column 10)" }, /* cut short */
		{ L("name = ab\xe2\x82x"), "invalid UTF-8 in value of 'name' (column 10)" },
		{ L("name = \x80"), "invalid UTF-8 in value of 'name' (column 8)" },
#undef L
	};
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, ACME_OK);
		buf_append(&b, bad[i].line, bad[i].n);
		buf_puts(&b, "\n");
		fx_putn(&f, "partners/acme.conf", b.data, b.len);
		buf_free(&b);
		char *e = xasprintf("partners/acme.conf:2: error: %s\n", bad[i].msg);
		LOAD_ERR(&f, e);
		free(e);
	}
	/* valid UTF-8 of each length is fine (U+00A0 and U+FFFD too); a comment may hold
	 * any byte */
	static const char good[] = ACME_OK
		"name = \xc2\xa0\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6 \xef\xbf\xbd \xf4\x8f\xbf\xbf\n"
		"# \x01\xff\x00\x7f\n";
	fx_putn(&f, "partners/acme.conf", good, sizeof good - 1);
	LOAD_OK(&f);
	ck_assert_str_eq(f.c->partners[0].name,
			 "\xc2\xa0\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6 \xef\xbf\xbd \xf4\x8f\xbf\xbf");
	fx_free(&f);
}
END_TEST

/* Lines: 4096 bytes without the line end is the most. */
START_TEST(test_line_length)
{
	struct fx f;
	fx_init(&f);
	for (size_t len = 4095; len <= 4097; len++) {
		for (int crlf = 0; crlf <= 1; crlf++) {
			/* "ledger = /" + padding = len bytes */
			char *pad = repeat('a', len - 10);
			char *t = xasprintf(MAIN_OK "ledger = /%s%s# %s\n", pad, crlf ? "\r\n" : "\n",
					    pad);
			fx_put(&f, "edigw.conf", t);
			free(t);
			if (len <= 4096) {
				/* the comment line is len + 2 - 10 bytes: under the cap too */
				LOAD_OK(&f);
				ck_assert_uint_eq(strlen(f.c->ledger_path), len - 9);
			} else {
				LOAD_ERR(&f, "edigw.conf:5: error: line is longer than 4096 bytes\n");
			}
			free(pad);
		}
	}
	/* a long comment line counts too, and loading goes on after it */
	char *pad = repeat('#', 4097);
	char *t = xasprintf(MAIN_OK "%s\nfoo = 1\n", pad);
	fx_put(&f, "edigw.conf", t);
	LOAD_ERR(&f, "edigw.conf:5: error: line is longer than 4096 bytes\n"
		     "edigw.conf:6: error: unknown key 'foo'\n");
	free(t);
	free(pad);
	/* the last line may lack its newline */
	fx_put(&f, "edigw.conf", MAIN_OK "log-level = debug");
	LOAD_OK(&f);
	ck_assert_str_eq(f.c->log_level, "debug");
	fx_free(&f);
}
END_TEST

/* Files: 1 MiB is the most, for edigw.conf and partner files. */
START_TEST(test_file_size)
{
	struct fx f;
	fx_init(&f);
	const size_t mib = 1024 * 1024;
	const char *names[] = { "edigw.conf", "partners/acme.conf" };
	const char *heads[] = { MAIN_OK, ACME_OK };
	for (int which = 0; which < 2; which++) {
		fx_put(&f, "edigw.conf", MAIN_OK);
		fx_put(&f, "partners/acme.conf", ACME_OK);
		for (size_t size = mib - 1; size <= mib + 1; size++) {
			char *b = xmalloc(size);
			size_t hl = strlen(heads[which]);
			memcpy(b, heads[which], hl);
			/* comment lines of 1000 bytes, then one shorter one to the exact size */
			size_t pos = hl;
			while (pos < size) {
				size_t n = size - pos < 1000 ? size - pos : 1000;
				memset(b + pos, '#', n);
				b[pos + n - 1] = '\n';
				pos += n;
			}
			fx_putn(&f, names[which], b, size);
			free(b);
			if (size <= mib) {
				LOAD_OK(&f);
				ck_assert_uint_eq(f.c->npartners, 1);
			} else {
				char *e = xasprintf("%s: error: file is larger than 1 MiB (1048576 "
						    "bytes)\n",
						    names[which]);
				LOAD_ERR(&f, e);
				free(e);
			}
		}
	}
	fx_free(&f);
}
END_TEST

/* ----------------------------------------------------------- numeric ranges */

struct range_case {
	const char *key;
	const char *vals[6];  /* min-1, min, min+1, max-1, max, max+1 */
	uint64_t nums[6];     /* their values in seconds/bytes/count */
	const char *allowed;  /* "min to max" as the message writes it */
	int partner;          /* also allowed in partner files */
};

static const struct range_case ranges[] = {
	{ "poll-interval", { "0", "1s", "2", "86399", "1d", "86401" },
	  { 0, 1, 2, 86399, 86400, 86401 }, "1s to 1d", 0 },
	{ "duplicate-window", { "3599", "1h", "3601", "315359999", "3650d", "315360001" },
	  { 3599, 3600, 3601, 315359999, 315360000, 315360001 }, "1h to 3650d", 1 },
	{ "ack-due", { "59", "1m", "61", "2591999", "30d", "2592001" },
	  { 59, 60, 61, 2591999, 2592000, 2592001 }, "1m to 30d", 1 },
	{ "limit.max-file-size", { "1023", "1k", "1025", "4294967295", "4G", "4294967297" },
	  { 1023, 1024, 1025, 4294967295u, 4294967296u, 4294967297u }, "1k to 4G", 1 },
	{ "limit.max-segment-length", { "105", "106", "107", "16777215", "16M", "16777217" },
	  { 105, 106, 107, 16777215, 16777216, 16777217 }, "106 to 16M", 1 },
	{ "limit.max-element-length", { "0", "1", "2", "1048575", "1M", "1048577" },
	  { 0, 1, 2, 1048575, 1048576, 1048577 }, "1 to 1M", 1 },
	{ "limit.max-elements", { "15", "16", "17", "99999", "100000", "100001" },
	  { 15, 16, 17, 99999, 100000, 100001 }, "16 to 100000", 1 },
	{ "limit.max-segments-per-transaction", { "3", "4", "5", "9999999", "10000000", "10000001" },
	  { 3, 4, 5, 9999999, 10000000, 10000001 }, "4 to 10000000", 1 },
	{ "limit.max-loop-depth", { "0", "1", "2", "999", "1000", "1001" },
	  { 0, 1, 2, 999, 1000, 1001 }, "1 to 1000", 1 },
	{ "limit.max-transaction-size", { "1048575", "1M", "1048577", "1073741823", "1G", "1073741825" },
	  { 1048575, 1048576, 1048577, 1073741823, 1073741824, 1073741825 }, "1M to 1G", 1 },
};
#define NRANGES (sizeof ranges / sizeof ranges[0])

/* The field a range key sets in edigw.conf (global) or a partner. */
static uint64_t range_get(const struct config *c, const struct cfg_partner *p, const char *key)
{
	const struct cfg_limits *l = p ? &p->limits : &c->limits;
	if (strcmp(key, "poll-interval") == 0)
		return c->poll_interval_s;
	if (strcmp(key, "duplicate-window") == 0)
		return p ? p->dup_window_s : c->dup_window_s;
	if (strcmp(key, "ack-due") == 0)
		return p ? p->ack_due_s : c->ack_due_s;
	if (strcmp(key, "limit.max-file-size") == 0)
		return l->max_file_size;
	if (strcmp(key, "limit.max-segment-length") == 0)
		return l->max_segment_len;
	if (strcmp(key, "limit.max-element-length") == 0)
		return l->max_element_len;
	if (strcmp(key, "limit.max-elements") == 0)
		return l->max_elements;
	if (strcmp(key, "limit.max-segments-per-transaction") == 0)
		return l->max_segments_per_txn;
	if (strcmp(key, "limit.max-loop-depth") == 0)
		return l->max_loop_depth;
	if (strcmp(key, "limit.max-transaction-size") == 0)
		return l->max_txn_size;
	ck_abort_msg("no field for %s", key);
	return 0;
}

START_TEST(test_ranges)
{
	const struct range_case *rc = &ranges[_i];
	struct fx f;
	fx_init(&f);
	for (int in_partner = 0; in_partner <= rc->partner; in_partner++) {
		for (int k = 0; k < 6; k++) {
			char *t = xasprintf("%s = %s\n", rc->key, rc->vals[k]);
			char *m = xasprintf(MAIN_OK "%s", in_partner ? "" : t);
			char *a = xasprintf(ACME_OK "%s", in_partner ? t : "");
			fx_put(&f, "edigw.conf", m);
			fx_put(&f, "partners/acme.conf", a);
			if (k == 0 || k == 5) {
				char *e = xasprintf("%s:%d: error: value '%s' for '%s' is out of "
						    "range (allowed: %s)\n",
						    in_partner ? "partners/acme.conf" : "edigw.conf",
						    in_partner ? 2 : 5, rc->vals[k], rc->key,
						    rc->allowed);
				LOAD_ERR(&f, e);
				free(e);
			} else {
				LOAD_OK(&f);
				const struct cfg_partner *p = in_partner ? &f.c->partners[0] : NULL;
				ck_assert_uint_eq(range_get(f.c, p, rc->key), rc->nums[k]);
				/* a global value is inherited by the partner */
				if (!in_partner && rc->partner)
					ck_assert_uint_eq(range_get(f.c, &f.c->partners[0], rc->key),
							  rc->nums[k]);
			}
			free(t);
			free(m);
			free(a);
		}
	}
	fx_free(&f);
}
END_TEST

/* ------------------------------------------------------------ many errors */

START_TEST(test_many_errors)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", "# several mistakes; all are reported, in line order\n"
				 "spool = s\n"
				 "poll-interval = soon\n"
				 "spool = t\n"
				 "our.x12.qualifier = ZZ\n"
				 "our.x12.id = OURID\n"
				 "limit.max-loop-depth = 0\n"
				 "log-levl = info\n"
				 "our.x12.gs-id = G\n");
	fx_put(&f, "partners/acme.conf", "id = acme\nack = 1000\nta1 = on-error\nta1 = never\n");
	fx_put(&f, "partners/bolt.conf", "id = bolt\nname = Bolt\x02\n");
	LOAD_ERR(&f,
		 "edigw.conf:3: error: bad value 'soon' for 'poll-interval' (expected a duration: "
		 "digits with an optional s, m, h or d suffix)\n"
		 "edigw.conf:4: error: repeated key 'spool' (first set at line 2)\n"
		 "edigw.conf:7: error: value '0' for 'limit.max-loop-depth' is out of range "
		 "(allowed: 1 to 1000)\n"
		 "edigw.conf:8: error: unknown key 'log-levl' (did you mean 'log-level'?)\n"
		 "edigw.conf:9: error: bad value 'G' for 'our.x12.gs-id' (2 to 15 printable ASCII "
		 "characters, none of * ~ : ^ | >)\n"
		 "edigw.conf: error: missing required key 'erp-dir'\n"
		 "partners/acme.conf:2: error: bad value '1000' for 'ack' (allowed: 997, 999, none)\n"
		 "partners/acme.conf:4: error: repeated key 'ta1' (first set at line 3)\n"
		 "partners/bolt.conf:2: error: control character 0x02 in value of 'name' (column "
		 "12)\n");
	ck_assert_uint_eq(f.d.nerrors, 9);
	fx_free(&f);
}
END_TEST

/* Errors are added to a list that may already hold some; the result reflects only ours. */
START_TEST(test_diag_list_reused)
{
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", MAIN_OK);
	struct diag_list d;
	diag_list_init(&d);
	diag_error(&d, "other.map", 3, "earlier error");
	struct config *c = NULL;
	char *p = under(f.dir, "edigw.conf");
	ck_assert_int_eq(config_load(&c, p, &d), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].msg, "earlier error");
	config_free(c);
	diag_list_free(&d);
	free(p);
	fx_free(&f);
}
END_TEST

/* doc/edigw.conf.5: its examples load as described, and it documents every key and range. */
START_TEST(test_man_page)
{
	static const char *const keys[] = {
		".BR spool ", ".BR ledger ", ".BR erp-dir ", ".BR erp-test-dir ",
		".BR partners-dir ", ".BR canonical-schema ", ".BR schema-dir ", ".BR poll-interval ",
		".BR log-level ", ".BR our.x12.qualifier ", ".BR our.x12.id ",
		".BR our.x12.gs-id ", ".BR duplicate-window ", ".BR ack-due ", ".BR schema-overlay ",
		".BR limit.max-file-size ",
		".BR limit.max-segment-length ", ".BR limit.max-element-length ",
		".BR limit.max-elements ", ".BR limit.max-segments-per-transaction ",
		".BR limit.max-loop-depth ", ".BR limit.max-transaction-size ",
		".BR tolerate.alphanumeric-isa11 ",
		".BR tolerate.trailing-empty-elements ", ".BR tolerate.unpadded-isa ",
		".BR tolerate.isa-line-breaks ", ".BR tolerate.wrong-counts ", ".BI erp. kind ", ".BR id ", ".BR name ",
		".BR x12.qualifier ", ".BR x12.id ", ".BR x12.gs-id ", ".BR drop ",
		".BR our.edifact.id ", ".BR our.edifact.qualifier ", ".BR edifact.id ", ".BR edifact.qualifier ",
		".BR contrl \" = \" requested | always | never", ".BR tolerate.edifact-charset ",
		".BR edifact-schema-overlay ", ".BR csv.document ", ".BR csv.delimiter ", ".BR csv.header ",
		".BR csv.encoding ",
		".BI document. type ", ".BR ack \" = \" 997 | 999 | none",
		".BR ta1 \" = \" on-error | requested | never",
		".BR log-level \" = \" error | warning | info | debug",
		".TH EDIGW.CONF 5", ".SH SEE ALSO\n.BR edigw (1),\n.BR edigw-map (5)",
	};
	char *path = tu_srcpath("doc/edigw.conf.5");
	char *man = tu_read(path, NULL);
	ck_assert_ptr_nonnull(man);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		ck_assert_msg(strstr(man, keys[i]), "edigw.conf.5 lacks %s", keys[i]);
	for (size_t i = 0; i < NRANGES; i++) {
		char *r = xasprintf("range %s", ranges[i].allowed);
		ck_assert_msg(strstr(man, r), "edigw.conf.5 lacks '%s' for %s", r, ranges[i].key);
		free(r);
	}

	/* the two example files of EXAMPLES, verbatim */
	const char *p = strstr(man, "\n.SH EXAMPLES\n");
	ck_assert_ptr_nonnull(p);
	char *ex[2];
	for (int i = 0; i < 2; i++) {
		const char *b = strstr(p, "\n.EX\n");
		ck_assert_ptr_nonnull(b);
		b += 5;
		const char *e = strstr(b, "\n.EE\n");
		ck_assert_ptr_nonnull(e);
		ex[i] = strndup(b, (size_t)(e - b) + 1);
		ck_assert_ptr_null(strchr(ex[i], '\\')); /* no roff escapes to undo */
		p = e;
	}
	struct fx f;
	fx_init(&f);
	fx_put(&f, "edigw.conf", ex[0]);
	fx_put(&f, "partners/bigmart.conf", ex[1]);
	LOAD_OK(&f);
	const struct config *c = f.c;
	ck_assert_str_eq(c->spool_root, "/var/spool/edigw");
	ck_assert_str_eq(c->erp_test_dir, "/srv/erp/import-test");
	ck_assert_uint_eq(c->nerp, 2);
	struct cfg_limits l;
	cfg_limits_default(&l);
	ck_assert_mem_eq(&c->limits, &l, sizeof l); /* the example spells out the defaults */
	const struct cfg_partner *b = config_partner(c, "bigmart");
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_eq(config_partner_by_x12(c, "01", "123456789"), b);
	ck_assert_str_eq(b->name, "BigMart Stores Inc.");
	char *d = under(f.dir, "partners/bigmart/in"); /* as the example's comment says */
	ck_assert_str_eq(b->drop_dir, d);
	free(d);
	ck_assert_uint_eq(b->ndocs, 2);
	ck_assert_uint_eq(b->dup_window_s, 90u * 86400);
	ck_assert_uint_eq(b->limits.max_file_size, 50u * 1024 * 1024);
	ck_assert_uint_eq(b->limits.max_segment_len, 65536);
	fx_free(&f);
	free(ex[0]);
	free(ex[1]);
	free(man);
	free(path);
}
END_TEST

int main(void)
{
	/* run from the build directory without `make check` too */
	if (!getenv("EDIGW_SRCDIR"))
		setenv("EDIGW_SRCDIR", CONFIG_TEST_SRCDIR, 1);
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_fixture);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_enums);
	tcase_add_test(tc, test_tolerances);
	tcase_add_test(tc, test_comments_and_blanks);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_repeated_keys);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_kind_and_type_length);
	tcase_add_test(tc, test_id_mismatch);
	tcase_add_test(tc, test_partner_files_scanned);
	tcase_add_test(tc, test_partners_dir);
	tcase_add_test(tc, test_missing_main_file);
	tcase_add_test(tc, test_x12_identity);
	tcase_add_test(tc, test_edifact_identity);
	tcase_add_test(tc, test_x12_all_or_none);
	tcase_add_test(tc, test_x12_fields);
	tcase_add_test(tc, test_control_and_utf8);
	tcase_add_test(tc, test_line_length);
	tcase_add_test(tc, test_file_size);
	tcase_add_loop_test(tc, test_ranges, 0, NRANGES);
	tcase_add_test(tc, test_many_errors);
	tcase_add_test(tc, test_diag_list_reused);
	tcase_add_test(tc, test_man_page);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
