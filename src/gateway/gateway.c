/*
 * gateway.c — the inbound pipeline for one job and the loop over the spool.
 *
 * A job is processed by one worker that won the claim (incoming → active).
 * Its bytes are streamed through the X12 reader (limits from the partner
 * profile, or the global ones until the partner is known); the envelope
 * layer calls back per interchange, group and transaction set:
 *
 *   interchange_begin  resolve the partner from ISA05/06, check the receiver
 *                      is us, check the duplicate registry → hold or go on
 *   group_begin        open the 997/999 group (never for GS01 = FA)
 *   transaction        map to the canonical record, validate it against
 *                      canonical.rng, render the ERP record (in memory)
 *   transaction_end    ledger row; AK2..AK5; an accepted record is appended
 *                      to the group's staged ERP file (in <erp-dir>/.edigw-tmp)
 *   group_end          AK9; a rejected group's staged file is discarded
 *   interchange_end    ledger commit, then the ack file, then the ERP files
 *
 * Nothing of the partner's is ever used as a path: ERP files are named from
 * our partner id and the (validated, sanitized) control numbers.
 *
 * Fault points (EDIGW_CRASH_AT=name[:n]) let the crash tests kill the
 * process with SIGKILL at the n-th pass of a named point.
 */
#include "gateway/gateway.h"
#include "canon/outmap.h"
#include "gateway/gateway_int.h"
#include "edifact/edi_schema.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ack/ack.h"
#include "canon/canon.h"
#include "map/map.h"
#include "x12/x12.h"
#include "x12/x12_schema.h"

struct map_slot {
	char *path;
	struct map *map;
};

struct erp_slot {
	char *kind;
	struct erp_profile *prof;
};

/* ------------------------------------------------------------ fault points */

/* Kill ourselves at a named point when EDIGW_CRASH_AT asks for it (tests only). */
void gw_fault_point(const char *name)
{
	static const char *spec;
	static int init;
	static unsigned long hits;
	if (!init) {
		spec = getenv("EDIGW_CRASH_AT");
		init = 1;
	}
	if (!spec || !*spec)
		return;
	size_t n = strlen(name);
	if (strncmp(spec, name, n) != 0 || (spec[n] != '\0' && spec[n] != ':'))
		return;
	uint64_t want = 1;
	if (spec[n] == ':' && str_to_u64(spec + n + 1, &want) < 0)
		want = 1;
	if (++hits >= want)
		kill(getpid(), SIGKILL);
}

/* ------------------------------------------------------------- set-up */

/* Load (once) the map at path. */
struct map *gw_map_for(struct gateway *g, const char *path, struct diag_list *d)
{
	for (size_t i = 0; i < g->nmaps; i++)
		if (strcmp(g->maps[i].path, path) == 0)
			return g->maps[i].map;
	struct map *m = NULL;
	if (map_load(&m, path, d) < 0 || !m)
		return NULL;
	g->maps = xrealloc(g->maps, (g->nmaps + 1) * sizeof *g->maps);
	g->maps[g->nmaps].path = xstrdup(path);
	g->maps[g->nmaps].map = m;
	g->nmaps++;
	return m;
}

/* The ERP profile for a record kind, or NULL. */
const struct erp_profile *gw_erp_for(const struct gateway *g, const char *kind)
{
	for (size_t i = 0; i < g->nerps; i++)
		if (strcmp(g->erps[i].kind, kind) == 0)
			return g->erps[i].prof;
	return NULL;
}

/* Open spool, ledger, maps and ERP profiles named by the configuration. */
int gateway_open(struct gateway **out, const char *config_path, struct diag_list *d)
{
	struct gateway *g = xcalloc(1, sizeof *g);
	int rc = config_load(&g->cfg, config_path, d);
	if (rc < 0)
		goto out;
	struct config *c = g->cfg;
	for (size_t i = 0; i < c->nerp; i++) {
		struct erp_profile *p = NULL;
		if (erp_profile_load(&p, c->erp[i].profile, d) < 0 || !p) {
			rc = -EINVAL;
			continue;
		}
		if (strcmp(erp_profile_kind(p), c->erp[i].kind) != 0) {
			diag_error(d, c->file, c->erp[i].line,
				   "erp.%s names profile %s, which reads '%s' records, not '%s'",
				   c->erp[i].kind, c->erp[i].profile, erp_profile_kind(p), c->erp[i].kind);
			erp_profile_free(p);
			rc = -EINVAL;
			continue;
		}
		g->erps = xrealloc(g->erps, (g->nerps + 1) * sizeof *g->erps);
		g->erps[g->nerps].kind = xstrdup(c->erp[i].kind);
		g->erps[g->nerps].prof = p;
		g->nerps++;
	}
	for (size_t i = 0; i < c->npartners; i++) {
		const struct cfg_partner *p = &c->partners[i];
		for (size_t j = 0; j < p->ndocs; j++) {
			struct map *m = gw_map_for(g, p->docs[j].map_path, d);
			if (!m) {
				diag_error(d, p->file, p->docs[j].line, "map %s for document %s cannot be loaded",
					   p->docs[j].map_path, p->docs[j].type);
				rc = -EINVAL;
				continue;
			}
			if (strcmp(map_source_type(m), p->docs[j].type) != 0) {
				diag_error(d, p->file, p->docs[j].line,
					   "document.%s uses map %s, which reads %s documents",
					   p->docs[j].type, p->docs[j].map_path, map_source_type(m));
				rc = -EINVAL;
			}
			if (!gw_erp_for(g, map_target_kind(m)))
				diag_warn(d, p->file, p->docs[j].line,
					  "no ERP profile for '%s' records (erp.%s in %s): "
					  "documents will be acknowledged but no ERP file written",
					  map_target_kind(m), map_target_kind(m), c->file);
		}
	}
	char *xdir = path_join(c->schema_dir, "x12");
	if (access(xdir, R_OK | X_OK) == 0) {
		if (x12_schema_load(&g->schemas, c->schema_dir, d) < 0)
			rc = -EINVAL;
	} else {
		diag_warn(d, c->file, 0, "no X12 transaction set definitions in %s (schema-dir): "
			  "transaction sets are checked for their envelopes only", xdir);
	}
	free(xdir);
	xdir = path_join(c->schema_dir, "edifact");
	if (access(xdir, R_OK | X_OK) == 0 && edi_schema_load(&g->edi_schemas, c->schema_dir, d) < 0)
		rc = -EINVAL;
	free(xdir);
	g->overlays = xcalloc(c->npartners ? c->npartners : 1, sizeof *g->overlays);
	for (size_t i = 0; i < c->npartners; i++) {
		const struct cfg_partner *p = &c->partners[i];
		if (!p->schema_overlay)
			continue;
		if (!g->schemas) {
			diag_error(d, p->file, p->schema_overlay_line,
				   "schema-overlay %s needs the shipped definitions (schema-dir %s)",
				   p->schema_overlay, c->schema_dir);
			rc = -EINVAL;
		} else if (x12_overlay_load(&g->overlays[i], g->schemas, p->schema_overlay, d) < 0) {
			diag_error(d, p->file, p->schema_overlay_line, "schema-overlay %s cannot be loaded",
				   p->schema_overlay);
			rc = -EINVAL;
		}
	}
	g->edi_overlays = xcalloc(c->npartners ? c->npartners : 1, sizeof *g->edi_overlays);
	for (size_t i = 0; i < c->npartners; i++) {
		const struct cfg_partner *p = &c->partners[i];
		if (!p->edifact_overlay)
			continue;
		if (!g->edi_schemas || x12_overlay_load(&g->edi_overlays[i], g->edi_schemas, p->edifact_overlay, d) < 0) {
			diag_error(d, p->file, p->edifact_overlay_line, "edifact-schema-overlay %s cannot be loaded%s",
				   p->edifact_overlay, g->edi_schemas ? "" : ": no EDIFACT definitions in schema-dir");
			rc = -EINVAL;
		}
	}
	for (size_t i = 0; i < c->npartners; i++)
		if (gateway_check_flows(g, &c->partners[i], d) < 0)
			rc = -EINVAL;
	if (access(c->canonical_rng, R_OK) < 0) {
		diag_error(d, c->file, 0, "canonical schema %s is not readable: %s (canonical-schema)",
			   c->canonical_rng, strerror(errno));
		rc = -EINVAL;
	}
	if (rc < 0)
		goto out;
	if ((rc = spool_open(&g->spool, c->spool_root)) < 0) {
		diag_error(d, c->file, 0, "cannot open spool %s: %s", c->spool_root, strerror(-rc));
		goto out;
	}
	if ((rc = ledger_open(&g->ledger, c->ledger_path)) < 0) {
		diag_error(d, c->file, 0, "cannot open ledger %s: %s", c->ledger_path, strerror(-rc));
		goto out;
	}
	g->erp_tmp = path_join(c->erp_dir, ".edigw-tmp");
	g->erp_test_tmp = path_join(c->erp_test_dir, ".edigw-tmp");
	if ((rc = mkdir_p(g->erp_tmp, 0750)) < 0 || (rc = mkdir_p(g->erp_test_tmp, 0750)) < 0) {
		diag_error(d, c->file, 0, "cannot create ERP directory %s: %s", c->erp_dir, strerror(-rc));
		goto out;
	}
out:
	if (rc < 0) {
		gateway_free(g);
		g = NULL;
	}
	*out = g;
	return rc;
}

/* Free everything the gateway holds. */
void gateway_free(struct gateway *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nmaps; i++) {
		free(g->maps[i].path);
		map_free(g->maps[i].map);
	}
	free(g->maps);
	for (size_t i = 0; i < g->nomaps; i++) {
		free(g->omaps[i].path);
		omap_free(g->omaps[i].map);
	}
	free(g->omaps);
	for (size_t i = 0; i < g->nerps; i++) {
		free(g->erps[i].kind);
		erp_profile_free(g->erps[i].prof);
	}
	free(g->erps);
	free(g->erp_tmp);
	free(g->erp_test_tmp);
	for (size_t i = 0; g->overlays && i < g->cfg->npartners; i++)
		x12_overlay_free(g->overlays[i]);
	free(g->overlays);
	for (size_t i = 0; g->edi_overlays && i < g->cfg->npartners; i++)
		x12_overlay_free(g->edi_overlays[i]);
	free(g->edi_overlays);
	x12_schema_free(g->schemas);
	x12_schema_free(g->edi_schemas);
	ledger_free(g->ledger);
	spool_free(g->spool);
	config_free(g->cfg);
	free(g);
}

/* The schema overlay of partner p (one of g's configuration), or NULL. */
const struct x12_overlay *gw_edi_overlay(const struct gateway *g, const struct cfg_partner *p)
{
	if (!g->edi_overlays || !p || p < g->cfg->partners || p >= g->cfg->partners + g->cfg->npartners)
		return NULL;
	return g->edi_overlays[p - g->cfg->partners];
}

const struct x12_overlay *gateway_overlay(const struct gateway *g, const struct cfg_partner *p)
{
	if (!g->overlays || !p || p < g->cfg->partners || p >= g->cfg->partners + g->cfg->npartners)
		return NULL;
	return g->overlays[p - g->cfg->partners];
}

/* The shipped definitions, or NULL. */
const struct x12_schema *gateway_schemas(const struct gateway *g)
{
	return g->schemas;
}

const struct config *gateway_config(const struct gateway *g)
{
	return g->cfg;
}

struct spool *gateway_spool(struct gateway *g)
{
	return g->spool;
}

struct ledger *gateway_ledger(struct gateway *g)
{
	return g->ledger;
}

/* Start-up recovery. */
int gateway_recover(struct gateway *g, size_t *returned)
{
	size_t n = 0;
	int rc = spool_recover(g->spool, &n);
	if (rc == 0 && n)
		log_warn("recovery: %zu interrupted job(s) returned from active/ to incoming/", n);
	if (returned)
		*returned = n;
	return rc;
}

/* ------------------------------------------------------------ receiving */

/* Files a partner (or the ERP) is still writing are expected under a dot name or with
 * .tmp/.part: a dir_names filter (gateway_int.h). */
int gw_name_ready(const char *dir, const char *name, void *ctx)
{
	(void)dir;
	(void)ctx;
	size_t n = strlen(name);
	if (name[0] == '.')
		return 0;
	if (n > 4 && strcmp(name + n - 4, ".tmp") == 0)
		return 0;
	if (n > 5 && strcmp(name + n - 5, ".part") == 0)
		return 0;
	return 1;
}

/* Take one file from a drop directory: durable in incoming/ first, then unlinked. */
static int take_drop_file(struct gateway *g, const struct cfg_partner *p, const char *name,
			  struct gw_stats *st)
{
	char *path = path_join(p->drop_dir, name);
	struct spool_meta meta = { 0 };
	int rc = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = 0; /* not a regular file: not ours to take */
		goto out;
	}
	if ((uint64_t)sb.st_size > p->limits.max_file_size) {
		log_error("drop %s: %s is %lld bytes, over limit.max-file-size (%llu) for partner %s;"
			  " left in place", p->drop_dir, name, (long long)sb.st_size,
			  (unsigned long long)p->limits.max_file_size, p->id);
		goto out;
	}
	meta.partner = xstrdup(p->id);
	meta.orig_name = name_sanitize(name, strlen(name));
	meta.source = xasprintf("drop:%s", p->id);
	meta.received = time(NULL);
	rc = spool_enqueue_fd(g->spool, &meta, fd, p->limits.max_file_size);
	if (rc < 0) {
		log_error("drop %s: cannot spool %s: %s; left in place", p->drop_dir, name, strerror(-rc));
		goto out;
	}
	gw_fault_point("after-pickup");
	if (unlink(path) < 0) {
		rc = -errno;
		log_error("drop %s: spooled %s as job %s but cannot remove it: %s", p->drop_dir, name,
			  meta.id, strerror(errno));
		goto out;
	}
	fsync_dir(p->drop_dir);
	ledger_event(g->ledger, meta.id, NULL, "received", meta.source);
	log_info("received %s from partner %s (drop) as job %s", meta.orig_name, p->id, meta.id);
	if (st)
		st->picked_up++;
out:
	if (fd >= 0)
		close(fd);
	spool_meta_clear(&meta);
	free(path);
	return rc;
}

/* Poll every partner's drop directory once. */
int gateway_poll(struct gateway *g, struct gw_stats *st)
{
	for (size_t i = 0; i < g->cfg->npartners; i++) {
		const struct cfg_partner *p = &g->cfg->partners[i];
		if (!p->drop_dir)
			continue;
		/* Collect names first, sorted, so files are taken in a stable order. */
		char **names = NULL;
		size_t n = 0;
		int rc = dir_names(p->drop_dir, gw_name_ready, NULL, 0, &names, &n);
		if (rc < 0) {
			if (rc != -ENOENT) {
				char *why = xasprintf("cannot read drop directory %s: %s", p->drop_dir, strerror(-rc));
				log_warn("partner %s: %s", p->id, why);
				ledger_transport_note(g->ledger, p->id, "drop", 0, why, 0);
				free(why);
			}
			continue;
		}
		for (size_t k = 0; k < n; k++)
			take_drop_file(g, p, names[k], st);
		dir_names_free(names, n);
		ledger_transport_note(g->ledger, p->id, "drop", 1, NULL, 0);
	}
	return 0;
}

/* Spool a local file for a partner (edigw ingest). */
int gateway_ingest(struct gateway *g, const char *file, const char *partner, char id[SPOOL_ID_MAX])
{
	const struct cfg_partner *p = config_partner(g->cfg, partner);
	if (!p)
		return -ENOENT;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	int rc = 0;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	struct spool_meta meta = { 0 };
	meta.partner = xstrdup(p->id);
	meta.orig_name = name_sanitize(base, strlen(base));
	meta.source = xstrdup("ingest");
	meta.received = time(NULL);
	rc = spool_enqueue_fd(g->spool, &meta, fd, p->limits.max_file_size);
	if (rc == 0) {
		memcpy(id, meta.id, SPOOL_ID_MAX);
		ledger_event(g->ledger, meta.id, NULL, "received", "ingest");
	}
	spool_meta_clear(&meta);
out:
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ one job */

/* Write a staged file's pending records. */
int gw_staged_flush(struct staged *s)
{
	if (!s->pending.len || s->fd < 0)
		return 0;
	int rc = write_all(s->fd, s->pending.data, s->pending.len);
	buf_reset(&s->pending);
	return rc;
}

/* Remember the first failure reason of the job. */
void gw_set_reason(char **slot, char *msg)
{
	if (!*slot)
		*slot = msg;
	else
		free(msg);
}

/* The reader's limits and tolerances for a partner (NULL: edigw.conf's defaults). */
void gateway_reader_settings(const struct config *cfg, const struct cfg_partner *p,
			     struct x12_limits *lim, struct x12_tolerances *tol)
{
	const struct cfg_limits *c = p ? &p->limits : &cfg->limits;
	x12_limits_default(lim);
	lim->max_file_size = c->max_file_size;
	lim->max_segment_len = (size_t)c->max_segment_len;
	lim->max_element_len = (size_t)c->max_element_len;
	lim->max_elements = (size_t)c->max_elements;
	lim->max_segments_per_txn = (size_t)c->max_segments_per_txn;
	lim->max_loop_depth = (size_t)c->max_loop_depth;
	lim->max_txn_bytes = (size_t)c->max_txn_size;
	const struct cfg_tolerances *t = p ? &p->tolerances : &cfg->tolerances;
	x12_tolerances_default(tol);
	tol->alphanumeric_isa11 = t->alphanumeric_isa11;
	tol->trailing_empty_elements = t->trailing_empty_elements;
	tol->unpadded_isa = t->unpadded_isa;
	tol->isa_line_breaks = t->isa_line_breaks;
	tol->wrong_counts = t->wrong_counts;
}

/* "ZZ:DEMORETAIL" for messages. */
static char *x12_party(const char *qual, const char *id)
{
	char *q = escape_bytes(qual, strlen(qual), 2);
	char *i = escape_bytes(id, strlen(id), 15);
	char *r = xasprintf("%s:%s", q, i);
	free(q);
	free(i);
	return r;
}

/* Discard staged ERP files from index `from` on. */
void gw_staged_discard(struct job *j, size_t from)
{
	for (size_t i = from; i < j->nstaged; i++) {
		struct staged *s = &j->staged[i];
		if (s->fd >= 0)
			close(s->fd);
		unlink(s->tmp);
		free(s->tmp);
		free(s->dir);
		free(s->name);
		free(s->kind);
		free(s->gcn);
		buf_free(&s->pending);
	}
	j->nstaged = from;
}

/* The staged file of the current group for kind, created on first use. */
struct staged *gw_staged_for(struct job *j, const char *kind, int *err)
{
	for (size_t i = j->group_staged_from; i < j->nstaged; i++)
		if (strcmp(j->staged[i].kind, kind) == 0)
			return &j->staged[i];
	struct gateway *g = j->g;
	j->staged = xrealloc(j->staged, (j->nstaged + 1) * sizeof *j->staged);
	struct staged *s = &j->staged[j->nstaged];
	memset(s, 0, sizeof *s);
	s->fd = -1;
	const char *tmpdir = j->test ? g->erp_test_tmp : g->erp_tmp;
	char rnd[17];
	random_hex(rnd, 8);
	s->tmp = xasprintf("%s/%s-%llu-%llu-%s", tmpdir, j->meta.id, (unsigned long long)j->ic,
			   (unsigned long long)j->gr, rnd);
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (s->fd < 0) {
		*err = -errno;
		log_error("cannot create %s: %s", s->tmp, strerror(errno));
		free(s->tmp);
		return NULL;
	}
	s->dir = xstrdup(j->test ? g->cfg->erp_test_dir : g->cfg->erp_dir);
	s->kind = xstrdup(kind);
	s->group = j->gr;
	s->gcn = xstrdup(j->gcn ? j->gcn : "0");
	buf_init(&s->pending, 0);
	erp_profile_header(gw_erp_for(g, kind), &s->pending); /* XML: declaration, root start tag */
	j->nstaged++;
	return s;
}

/* ---- envelope callbacks */

static int cb_interchange_begin(void *ctx, const struct x12_isa *isa)
{
	struct job *j = ctx;
	struct gateway *g = j->g;
	j->ic = isa->index;
	j->icn = isa->icn;
	j->gr = 0;
	j->ic_accepted = 0;
	j->test = isa->usage[0] == 'T';
	j->have_actl = 0;
	j->st->interchanges++;
	const struct cfg_partner *p = config_partner_by_x12(g->cfg, isa->sender_qual, isa->sender_id);
	char *who = x12_party(isa->sender_qual, isa->sender_id);
	if (!p) {
		gw_set_reason(&j->hold_reason,
			   xasprintf("unknown sender %s in interchange %s (ISA at line %llu): no partner "
				     "profile has this x12.qualifier/x12.id",
				     who, isa->icn, (unsigned long long)isa->line));
		free(who);
		return X12_SKIP;
	}
	if (j->bound && j->bound != p) {
		gw_set_reason(&j->hold_reason,
			   xasprintf("interchange %s is from %s (partner %s) but arrived as partner %s",
				     isa->icn, who, p->id, j->bound->id));
		free(who);
		return X12_SKIP;
	}
	free(who);
	const struct cfg_x12_id *us = &g->cfg->us;
	if (strcmp(isa->receiver_qual, us->qualifier) != 0 || strcmp(isa->receiver_id, us->id) != 0) {
		char *to = x12_party(isa->receiver_qual, isa->receiver_id);
		gw_set_reason(&j->hold_reason,
			   xasprintf("interchange %s from partner %s is addressed to %s, not to us (%s:%s)",
				     isa->icn, p->id, to, us->qualifier, us->id));
		free(to);
		return X12_SKIP;
	}
	j->partner = p;
	/* the duplicate check runs inside the interchange's write transaction, so two processes
	 * reading the same interchange at once cannot both take it */
	int rc = ledger_begin(g->ledger);
	if (rc < 0)
		return rc;
	if (!j->meta.release) {
		char *first = NULL;
		char *from = x12_party(isa->sender_qual, isa->sender_id);
		char *to = x12_party(isa->receiver_qual, isa->receiver_id);
		int dup = ledger_dup_find(g->ledger, from, to, isa->icn, j->meta.id, p->dup_window_s,
					  &first);
		free(from);
		free(to);
		if (dup != 0)
			ledger_rollback(g->ledger);
		if (dup < 0)
			return dup;
		if (dup == 1) {
			gw_set_reason(&j->hold_reason,
				   xasprintf("duplicate of %s (interchange %s from partner %s already "
					     "received)", first, isa->icn, p->id));
			free(first);
			return X12_SKIP;
		}
	}
	j->in_txn_scope = 1;
	return 0;
}

/* ---- acknowledgment decisions, shared with 'edigw inspect --ack' (gateway.h) */

/* The ack writer's type and TA1 policy for a partner's ack and ta1 settings. */
void gateway_ack_params(enum cfg_ack ack, enum cfg_ta1 ta1, const struct x12_isa *isa,
			struct ack_params *ap)
{
	memset(ap, 0, sizeof *ap);
	ap->type = ack == CFG_ACK_999 ? ACK_999 : ack == CFG_ACK_NONE ? ACK_TA1_ONLY : ACK_997;
	ap->want_ta1 = isa->ack_requested[0] == '1' && ta1 != CFG_TA1_NEVER;
	ap->ta1_on_error = ta1 == CFG_TA1_ON_ERROR;
	ap->delims = isa->delims;
}

/* Whether a group gets a 997/999: never an ack for an ack (GS01 = FA), none for ack = none. */
int gateway_acks_group(enum cfg_ack ack, const struct x12_gs *gs)
{
	return strcmp(gs->fid, "FA") != 0 && ack != CFG_ACK_NONE;
}

/* Whether a transaction set is itself an acknowledgment: recorded, never checked or mapped. */
int gateway_txn_is_ack(const struct x12_txn *txn)
{
	return strcmp(txn->gs->fid, "FA") == 0 || strcmp(txn->st01, "997") == 0 ||
	       strcmp(txn->st01, "999") == 0;
}

/* The partner's document for a transaction set; NULL, with AK5 1 added to res, when the
 * partner is not configured for it. */
const struct cfg_doc *gateway_txn_document(const struct cfg_partner *p, const struct x12_txn *txn,
					   struct x12_txn_result *res)
{
	const struct cfg_doc *doc = config_partner_doc(p, txn->st01);
	if (doc)
		return doc;
	struct x12_error e = { 0 };
	e.scope = X12_SCOPE_TXN;
	memcpy(e.code, "1", 2);
	memcpy(e.seg_id, "ST", 3);
	e.seg_pos = 1;
	e.file_seg = txn->nseg ? txn->segs[0].file_seg : 0;
	e.line = txn->nseg ? txn->segs[0].line : 0;
	char *m = xasprintf("transaction set %s is not configured for partner %s "
			    "(no document.%s in %s)", txn->st01, p->id, txn->st01, p->file);
	e.msg = m;
	x12_errlist_add(&res->errors, &e);
	free(m);
	return NULL;
}

/* Whether an interchange for which no 997/999 was opened still gets a TA1. */
int gateway_ta1_only(enum cfg_ta1 ta1, const struct x12_interchange_result *res)
{
	if (ta1 == CFG_TA1_NEVER)
		return 0;
	return (res->isa.ack_requested[0] == '1' && res->transactions > 0) ||
	       (!res->envelope_ok && ta1 == CFG_TA1_ON_ERROR);
}

/* Allocate (or find again) our control numbers for the ack; creates the writer. */
static int ensure_ack(struct job *j, const struct x12_isa *isa, size_t ngroups)
{
	const struct cfg_partner *p = j->partner;
	char key[32];
	snprintf(key, sizeof key, "ack.%llu", (unsigned long long)j->ic);
	if (j->have_actl)
		ledger_ack_ctl_clear(&j->actl);
	int rc = ledger_ack_controls(j->g->ledger, p->id, j->meta.id, key, ngroups, &j->actl);
	if (rc < 0)
		return rc;
	j->have_actl = 1;
	if (j->ack)
		return 0;
	struct ack_params ap;
	gateway_ack_params(p->ack, p->ta1, isa, &ap);
	ap.isa13 = j->actl.isa13;
	ap.when = j->actl.created;
	return ack_writer_new(&j->ack, &ap, isa);
}

static int cb_group_begin(void *ctx, const struct x12_isa *isa, const struct x12_gs *gs)
{
	struct job *j = ctx;
	j->gr = gs->index;
	j->gcn = gs->gcn;
	j->gr_accepted = 0;
	j->st->groups++;
	j->group_staged_from = j->nstaged;
	j->group_is_ack = strcmp(gs->fid, "FA") == 0;
	j->ack_group_open = 0;
	if (!gateway_acks_group(j->partner->ack, gs))
		return 0;
	size_t ng = (j->ack ? ack_writer_groups(j->ack) : 0) + 1;
	int rc = ensure_ack(j, isa, ng);
	if (rc < 0)
		return rc;
	rc = ack_group_begin(j->ack, gs, j->actl.gs06[ng - 1], j->actl.st02[ng - 1]);
	if (rc < 0)
		return rc;
	j->ack_group_open = 1;
	return 0;
}

/* True when a result already holds a finding that rejects the set in the 997 (the map's
 * findings are then left out of it). */
int gateway_txn_syntax_rejected(const struct x12_txn_result *res)
{
	if (res->errors.dropped)
		return 1;
	for (size_t i = 0; i < res->errors.n; i++)
		if (!res->errors.v[i].application)
			return 1;
	return 0;
}

#define MAX_WARNING_EVENTS 20 /* per job; the rest are counted */

/* ---- inbound acknowledgments: settle what we sent (ledger_ack_match / ledger_ta1_match) */

#define ACK_SETS_MAX 100000 /* AK2 loops read from one 997/999 (its SE01 bounds it too) */

/* An element as a NUL-terminated copy in a fixed buffer (truncated). */
static const char *elem_c(const struct x12_tseg *s, size_t n, char *out, size_t cap)
{
	struct span v = x12_tseg_elem(s, n);
	size_t k = v.n < cap - 1 ? v.n : cap - 1;
	if (k)
		memcpy(out, v.p, k);
	out[k] = '\0';
	return out;
}

/* A 999's M, W and X statuses reject: they count as R here. */
static char ack_status(const char *v)
{
	return v[0] == 'A' || v[0] == 'E' || v[0] == 'P' ? v[0] : 'R';
}

/* Append a segment's codes (elements from..to, non-empty ones, ' '-separated) to b. */
static void codes_append(struct buf *b, const struct x12_tseg *s, size_t from, size_t to)
{
	char v[16];
	for (size_t i = from; i <= to; i++)
		if (*elem_c(s, i, v, sizeof v))
			buf_printf(b, "%s%s", b->len ? " " : "", v);
}

/* Settle what we sent from an inbound 997/999 (one AK1 group response per set). A
 * broken one settles nothing and says why in the ledger; the job goes on. */
static int reconcile_ack(struct job *j, const struct x12_txn *txn, const struct x12_txn_result *res)
{
	struct ledger_ack_in a = { 0 };
	struct ledger_ack_set *sets = NULL;
	struct buf *setcodes = NULL;
	size_t cap = 0;
	struct buf gcodes;
	char fid[8] = "", gcn[16] = "", st[4] = "";
	int have_ak1 = 0, have_ak9 = 0, rc = 0;
	buf_init(&gcodes, 0);
	if (strcmp(txn->st01, "997") != 0 && strcmp(txn->st01, "999") != 0)
		goto out; /* another set in an FA group: nothing to settle */
	if (res->errors.n) {
		rc = ledger_event(j->g->ledger, j->meta.id, NULL, "ack-unreadable",
				  "an inbound acknowledgment with envelope errors settles nothing");
		goto out;
	}
	for (size_t i = 1; i < txn->nseg; i++) {
		const struct x12_tseg *s = &txn->segs[i];
		if (strcmp(s->id, "AK1") == 0) {
			elem_c(s, 1, fid, sizeof fid);
			elem_c(s, 2, gcn, sizeof gcn);
			have_ak1 = 1;
		} else if (strcmp(s->id, "AK2") == 0 && a.nsets < ACK_SETS_MAX) {
			if (a.nsets == cap) {
				cap = cap ? cap * 2 : 16;
				sets = xrealloc(sets, cap * sizeof *sets);
				setcodes = xrealloc(setcodes, cap * sizeof *setcodes);
			}
			struct ledger_ack_set *k = &sets[a.nsets];
			memset(k, 0, sizeof *k);
			buf_init(&setcodes[a.nsets], 0);
			a.nsets++;
			k->st01 = span_dup(x12_tseg_elem(s, 1));
			k->tcn = span_dup(x12_tseg_elem(s, 2));
			k->status = 'R';
		} else if (a.nsets && (strcmp(s->id, "AK3") == 0 || strcmp(s->id, "IK3") == 0)) {
			struct buf *b = &setcodes[a.nsets - 1];
			char seg[8], pos[16], code[8];
			buf_printf(b, "%s%s %s %s code %s", b->len ? "; " : "", s->id, elem_c(s, 1, seg, sizeof seg),
				   elem_c(s, 2, pos, sizeof pos), elem_c(s, 4, code, sizeof code));
		} else if (a.nsets && (strcmp(s->id, "AK4") == 0 || strcmp(s->id, "IK4") == 0)) {
			struct buf *b = &setcodes[a.nsets - 1];
			char pos[16], code[8];
			buf_printf(b, "%s%s %s code %s", b->len ? "; " : "", s->id, elem_c(s, 1, pos, sizeof pos),
				   elem_c(s, 3, code, sizeof code));
		} else if (a.nsets && (strcmp(s->id, "AK5") == 0 || strcmp(s->id, "IK5") == 0)) {
			struct buf five;
			buf_init(&five, 0);
			codes_append(&five, s, 2, 6);
			sets[a.nsets - 1].status = ack_status(elem_c(s, 1, st, sizeof st));
			if (five.len)
				buf_printf(&setcodes[a.nsets - 1], "%s%s %s", setcodes[a.nsets - 1].len ? "; " : "",
					   s->id, five.data);
			buf_free(&five);
		} else if (strcmp(s->id, "AK9") == 0) {
			uint64_t n = 0;
			a.status = ack_status(elem_c(s, 1, st, sizeof st));
			a.included = span_to_u64(x12_tseg_elem(s, 2), &n) == 0 ? n : 0;
			a.received = span_to_u64(x12_tseg_elem(s, 3), &n) == 0 ? n : 0;
			a.accepted = span_to_u64(x12_tseg_elem(s, 4), &n) == 0 ? n : 0;
			codes_append(&gcodes, s, 5, 9);
			have_ak9 = 1;
		}
	}
	if (!have_ak1 || !have_ak9 || !*fid || !*gcn) {
		char *m = xasprintf("inbound %s %s has no %s: it settles nothing", txn->st01, txn->st02,
				    !have_ak1 || !*fid || !*gcn ? "usable AK1" : "AK9");
		rc = ledger_event(j->g->ledger, j->meta.id, NULL, "ack-unreadable", m);
		free(m);
		goto out;
	}
	for (size_t i = 0; i < a.nsets; i++)
		sets[i].codes = setcodes[i].len ? setcodes[i].data : NULL;
	a.partner = j->partner->id;
	a.job_id = j->meta.id;
	a.doc_type = txn->st01;
	a.fid = fid;
	a.gcn = gcn;
	a.codes = gcodes.len ? gcodes.data : NULL;
	a.sets = sets;
	char *why = NULL;
	rc = ledger_ack_match(j->g->ledger, &a, &why);
	if (rc == 0)
		log_warn("job %s: %s", j->meta.id, why);
	else if (rc > 0)
		log_info("job %s: %s %s settles our group %s %s: AK9 %c", j->meta.id, txn->st01, txn->st02, fid, gcn,
			 a.status);
	free(why);
	rc = rc < 0 ? rc : 0;
out:
	for (size_t i = 0; i < a.nsets; i++) {
		free((char *)sets[i].st01);
		free((char *)sets[i].tcn);
		buf_free(&setcodes[i]);
	}
	free(sets);
	free(setcodes);
	buf_free(&gcodes);
	return rc;
}

/* An inbound TA1: settle the interchange we sent (TA101) for this partner. */
static int cb_ta1(void *ctx, const struct x12_isa *isa, const struct x12_segment *seg)
{
	struct job *j = ctx;
	char icn[16] = "", st[4] = "", code[8] = "";
	if (!j->partner)
		return 0;
	/* the TA1's own definition (maps/schemas .../segments.def): a broken one settles nothing */
	if (j->g->schemas) {
		struct x12_tseg ts = { .nelem = seg->nelem, .elem = seg->elem, .file_seg = seg->index,
				       .line = seg->line, .offset = seg->offset };
		memcpy(ts.id, seg->id, sizeof ts.id);
		char ver[8];
		snprintf(ver, sizeof ver, "%.5s0", isa->version); /* ISA12 00401 -> 004010 */
		struct x12_errlist errs = { 0 };
		int n = x12_schema_check_segment(j->g->schemas, ver, &ts, &isa->delims, &errs);
		if (n > 0) {
			char *d = x12_error_describe(&errs.v[0]);
			char *m = xasprintf("TA1 at line %llu settles nothing: %s", (unsigned long long)seg->line, d);
			int rc = ledger_event(j->g->ledger, j->meta.id, NULL, "ack-unreadable", m);
			log_warn("job %s: %s", j->meta.id, m);
			free(m);
			free(d);
			x12_errlist_free(&errs);
			return rc;
		}
		x12_errlist_free(&errs);
	}
	struct span e1 = seg->nelem >= 1 ? seg->elem[1] : SPAN_NULL;
	struct span e4 = seg->nelem >= 4 ? seg->elem[4] : SPAN_NULL;
	struct span e5 = seg->nelem >= 5 ? seg->elem[5] : SPAN_NULL;
	memcpy(icn, e1.p ? e1.p : "", e1.n < sizeof icn - 1 ? e1.n : sizeof icn - 1);
	memcpy(st, e4.p ? e4.p : "", e4.n < sizeof st - 1 ? e4.n : sizeof st - 1);
	memcpy(code, e5.p ? e5.p : "", e5.n < sizeof code - 1 ? e5.n : sizeof code - 1);
	if (!*icn || !*st) {
		char *m = xasprintf("TA1 at line %llu without TA101/TA104: it settles nothing",
				    (unsigned long long)seg->line);
		int rc = ledger_event(j->g->ledger, j->meta.id, NULL, "ack-unreadable", m);
		free(m);
		return rc;
	}
	char *why = NULL;
	int rc = ledger_ta1_match(j->g->ledger, j->partner->id, j->meta.id, icn, ack_status(st), code, &why);
	if (rc == 0)
		log_warn("job %s: %s", j->meta.id, why);
	free(why);
	return rc < 0 ? rc : 0;
}

/* Check a transaction set against its definition; warnings become ledger events. */
static void validate_txn(struct job *j, const struct x12_txn_def *def, const struct x12_txn *txn,
			 struct x12_txn_result *res)
{
	struct x12_errlist warns = { 0 };
	x12_schema_validate_warn(def, txn, j->max_loop_depth, &res->errors, &warns);
	for (size_t i = 0; i < warns.n; i++, j->warnings++) {
		if (j->warnings >= MAX_WARNING_EVENTS)
			continue;
		char *d = x12_error_describe(&warns.v[i]);
		char *m = xasprintf("transaction set %s %s: %s (accepted)", txn->st01, txn->st02, d);
		ledger_event(j->g->ledger, j->meta.id, NULL, "warning", m);
		free(m);
		free(d);
	}
	x12_errlist_free(&warns);
}

static int cb_transaction(void *ctx, const struct x12_txn *txn, struct x12_txn_result *res)
{
	struct job *j = ctx;
	struct gateway *g = j->g;
	buf_reset(&j->erp_out);
	j->erp_kind = NULL;
	free(j->bkey);
	j->bkey = NULL;
	j->txn_mapped = 0;
	if (gateway_txn_is_ack(txn))
		return reconcile_ack(j, txn, res); /* recorded and reconciled, never mapped or acknowledged */
	const struct cfg_doc *doc = gateway_txn_document(j->partner, txn, res);
	if (!doc)
		return 0;
	const struct x12_txn_def *def =
		g->schemas ? x12_overlay_find(gateway_overlay(g, j->partner), g->schemas, txn->gs->version,
					      txn->st01)
			   : NULL;
	if (def)
		validate_txn(j, def, txn, res);
	struct diag_list dl;
	diag_list_init(&dl);
	struct map *m = gw_map_for(g, doc->map_path, &dl);
	diag_list_free(&dl);
	if (!m)
		return -EINVAL; /* checked at start-up; a vanished map is an environment failure */
	/* A set already rejected for its syntax is still mapped, for its business key (so
	 * 'edigw track PO' finds it), but the map's findings would only repeat the syntax
	 * errors in the 997: they are dropped. */
	int rejected = gateway_txn_syntax_rejected(res);
	xmlDocPtr rec = NULL;
	int rc = map_apply_x12(m, txn, &rec, rejected ? NULL : &res->errors, &j->bkey);
	if (rc == 0 && rejected) {
		xmlFreeDoc(rec);
		return 0;
	}
	if (rc < 0 || !rec) {
		/* The map could not run on this document: the document is not accepted, the
		 * gateway goes on with the next one. */
		if (rec)
			xmlFreeDoc(rec);
		x12_errlist_add_app(&res->errors, "map", rc == -EINVAL ? "the map does not read this transaction set"
						    : strerror(-rc));
		return 0;
	}
	j->txn_mapped = 1;
	canon_set_source(rec, j->partner->id, txn);
	gw_emit_record(j, rec, &res->errors);
	return 0;
}

/* A mapped record: checked against canonical.rng and rendered with its ERP profile into
 * j->erp_out (application findings to errs when either fails). Frees rec. */
void gw_emit_record(struct job *j, xmlDocPtr rec, struct x12_errlist *errs)
{
	struct gateway *g = j->g;
	/* the job that read the document: the ERP can quote it back, edigw track finds it */
	canon_set(xmlDocGetRootElement(rec), "source/correlation-id", j->meta.id);
	if (canon_check(rec, g->cfg->canonical_rng, errs) == 0) {
		const struct erp_profile *prof = gw_erp_for(g, canon_kind(rec));
		if (prof && erp_render_checked(prof, rec, &j->erp_out, errs) == 0)
			j->erp_kind = erp_profile_kind(prof);
	}
	xmlFreeDoc(rec);
}

/* A ledger row of this job, with the fields every row has. */
struct ledger_doc gw_job_doc(const struct job *j, const char *key, const char *direction,
				 const char *standard, const char *type, const char *state)
{
	struct ledger_doc d = { 0 };
	d.job_id = j->meta.id;
	d.doc_key = key;
	d.partner = j->partner ? j->partner->id : NULL;
	d.direction = direction;
	d.standard = standard;
	d.doc_type = type;
	d.state = state;
	d.test = j->test;
	return d;
}

/* The first syntax or application finding of a transaction as a sentence. */
char *gw_errs_reason(const struct x12_errlist *errs)
{
	return gw_errs_reason_as(errs, "X12");
}

/* The same naming the standard of the codes. */
char *gw_errs_reason_as(const struct x12_errlist *errs, const char *standard)
{
	if (errs->n == 0)
		return NULL;
	char *d = x12_error_describe_as(&errs->v[0], standard);
	char *r;
	if (errs->n + errs->dropped > 1)
		r = xasprintf("%s (and %zu more)", d, errs->n + errs->dropped - 1);
	else
		r = xstrdup(d);
	free(d);
	return r;
}

static int cb_transaction_end(void *ctx, const struct x12_txn_result *res)
{
	struct job *j = ctx;
	struct gateway *g = j->g;
	int ok = res->status != 'R' && !res->app_rejected;
	int rc = 0;
	if (j->ack_group_open && (rc = ack_txn(j->ack, res)) < 0)
		return rc;
	struct staged *s = NULL;
	if ((rc = gw_document_done(j, ok, &s)) < 0)
		return rc;
	char key[64];
	snprintf(key, sizeof key, "%llu.%llu.%s", (unsigned long long)j->ic,
		 (unsigned long long)j->gr, res->st02);
	char *reason = gw_errs_reason(&res->errors);
	struct ledger_doc d = gw_job_doc(j, key, "in", "x12", res->st01,
				      ok ? (s ? "accepted" : "received") : "rejected");
	d.icn = j->icn;
	d.gcn = j->gcn;
	d.tcn = res->st02;
	d.business_key = j->bkey;
	d.reason = reason;
	rc = ledger_doc_put(g->ledger, &d, NULL);
	if (!ok)
		gw_set_reason(&j->fail_reason, xasprintf("transaction set %s %s rejected: %s", res->st01,
						       res->st02, reason ? reason : "errors"));
	free(reason);
	return rc;
}

/* Count a finished document and stage its ERP records when it was accepted (*out: the
 * staged file it went to, or NULL). */
int gw_document_done(struct job *j, int ok, struct staged **out)
{
	int rc = 0;
	*out = NULL;
	j->st->transactions++;
	if (ok) {
		j->accepted++, j->st->accepted++;
		j->ic_accepted++, j->gr_accepted++;
	} else {
		j->rejected++, j->st->rejected++;
	}
	if (!ok || !j->erp_kind || !j->erp_out.len)
		return 0;
	struct staged *s = gw_staged_for(j, j->erp_kind, &rc);
	if (!s)
		return rc;
	if ((rc = buf_append(&s->pending, j->erp_out.data, j->erp_out.len)) < 0)
		return rc;
	if (s->pending.len >= STAGE_FLUSH_AT && (rc = gw_staged_flush(s)) < 0)
		return rc;
	s->records++;
	*out = s;
	return 0;
}

/* Close the group's staged files (fsync); when the group is rejected, take back what it
 * accepted, discard its files and mark its documents rejected with why (taken over). */
int gw_group_done(struct job *j, int rejected, char *why)
{
	int rc = 0;
	for (size_t i = j->group_staged_from; i < j->nstaged; i++) {
		struct staged *s = &j->staged[i];
		if (s->fd >= 0) /* the file's last bytes (XML: the root end tag), once */
			erp_profile_footer(gw_erp_for(j->g, s->kind), &s->pending);
		int frc = gw_staged_flush(s);
		if (frc < 0 && rc == 0)
			rc = frc;
		if (s->fd >= 0 && fsync(s->fd) < 0 && rc == 0)
			rc = -errno;
		if (s->fd >= 0 && close(s->fd) < 0 && rc == 0)
			rc = -errno;
		s->fd = -1;
	}
	if (rejected) {
		gw_unaccept(j, j->gr_accepted);
		j->ic_accepted -= j->gr_accepted;
		j->gr_accepted = 0;
		gw_staged_discard(j, j->group_staged_from);
		char prefix[48];
		snprintf(prefix, sizeof prefix, "%llu.%llu.", (unsigned long long)j->ic, (unsigned long long)j->gr);
		ledger_docs_set_state(j->g->ledger, j->meta.id, prefix, "accepted", "rejected", why);
		gw_set_reason(&j->fail_reason, why);
	} else {
		free(why);
	}
	return rc;
}

/* Transaction sets counted as accepted turn out rejected with their group or interchange. */
void gw_unaccept(struct job *j, uint64_t n)
{
	j->accepted -= n;
	j->st->accepted -= n;
	j->rejected += n;
	j->st->rejected += n;
}

static int cb_group_end(void *ctx, const struct x12_group_result *res)
{
	struct job *j = ctx;
	int rc = 0;
	if (j->ack_group_open) {
		rc = ack_group_end(j->ack, res);
		j->ack_group_open = 0;
	}
	int grc = gw_group_done(j, res->status == 'R',
				res->status == 'R' ? xasprintf("functional group %s rejected (AK9 code %s)", res->gs.gcn,
							       res->ncodes ? res->codes[0] : "-")
						   : NULL);
	return rc ? rc : grc;
}

/* ERP file name for a staged group file: kind-partner-ISA09-ISA13-GS06.ext */
static char *erp_name(const struct job *j, const char *idate, const char *iicn, const struct staged *s,
		      const char *gcn, const char *ext)
{
	char *date = name_sanitize(idate, strlen(idate));
	char *icn = name_sanitize(iicn, strlen(iicn));
	char *g = name_sanitize(gcn, strlen(gcn));
	char *n = xasprintf("%s-%s-%s-%s-%s.%s", s->kind, j->partner->id, date, icn, g, ext);
	free(date);
	free(icn);
	free(g);
	return n;
}

/* Name the staged ERP files (kind-partner-date-icn-group.ext) and record them in the
 * open ledger transaction. */
int gw_name_staged(struct job *j, const char *date, const char *icn)
{
	for (size_t i = 0; i < j->nstaged; i++) {
		struct staged *s = &j->staged[i];
		const struct erp_profile *prof = gw_erp_for(j->g, s->kind);
		free(s->name);
		s->name = erp_name(j, date, icn, s, s->gcn, erp_profile_extension(prof));
		char ekey[48];
		snprintf(ekey, sizeof ekey, "%llu.%llu", (unsigned long long)j->ic, (unsigned long long)s->group);
		struct ledger_doc e = gw_job_doc(j, ekey, "out", "erp", s->kind, "written");
		e.icn = icn;
		e.output = s->name;
		int rc = ledger_doc_put(j->g->ledger, &e, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Link the staged ERP files into place (after the ledger commit); an existing one was
 * delivered by an interrupted earlier run. */
int gw_commit_staged(struct job *j)
{
	int rc = 0;
	for (size_t i = 0; i < j->nstaged; i++) {
		struct staged *s = &j->staged[i];
		rc = file_commit(s->tmp, s->dir, s->name, 0);
		if (rc == -EEXIST) {
			log_info("job %s: ERP file %s already delivered; not written again", j->meta.id,
				 s->name);
			rc = 0;
		} else if (rc < 0) {
			log_error("job %s: cannot deliver ERP file %s to %s: %s", j->meta.id, s->name,
				  s->dir, strerror(-rc));
			return rc;
		} else {
			j->st->erp_files++;
			j->st->records += s->records;
			log_info("job %s: ERP file %s/%s (%llu record%s)", j->meta.id, s->dir, s->name,
				 (unsigned long long)s->records, s->records == 1 ? "" : "s");
		}
		gw_fault_point("erp-commit");
	}
	gw_staged_discard(j, 0);
	return rc;
}

/* Write an acknowledgment (finish(w, fd, &written) makes its bytes) into a temporary file
 * of the spool, link it into outbound/<partner>/ as name (an earlier, interrupted run of the
 * job wrote the same bytes: kept) and record it in the ledger (key, standard, type, our
 * control number ctl, the inbound reference it answers). Nothing when it has no bytes. */
int gw_queue_ack(struct job *j, int (*finish)(void *w, int fd, int *written), void *w, const char *name,
		 const char *key, const char *standard, const char *type, const char *ctl, const char *answers)
{
	struct gateway *g = j->g;
	int rc = 0;
	char *tmp = xasprintf("%s/%s-%s-%llu", spool_dir(g->spool, SPOOL_TMP), key, j->meta.id,
			      (unsigned long long)j->ic);
	char *dir = NULL;
	unlink(tmp); /* a leftover from an interrupted run of this same job */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	int written = 0;
	rc = finish(w, fd, &written);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0 || !written) {
		unlink(tmp);
		goto out;
	}
	if ((rc = spool_outbound_dir(g->spool, j->partner->id, &dir)) < 0)
		goto out;
	rc = file_commit(tmp, dir, name, 0);
	if (rc == -EEXIST)
		rc = 0; /* written by an earlier, interrupted run: same bytes */
	if (rc == 0) {
		struct ledger_doc d = gw_job_doc(j, key, "out", standard, type, "queued");
		d.icn = ctl;
		d.business_key = answers;
		d.output = name;
		rc = ledger_doc_put(g->ledger, &d, NULL);
		j->st->acks++;
		log_info("job %s: %s %s for interchange %s queued in %s", j->meta.id, type, name, answers, dir);
	}
out:
	if (rc < 0)
		unlink(tmp);
	free(dir);
	free(tmp);
	return rc;
}

struct ack_finish {
	struct ack_writer *w;
	const struct x12_interchange_result *res;
};

static int ack_finish_cb(void *ctx, int fd, int *written)
{
	struct ack_finish *f = ctx;
	return ack_writer_finish(f->w, f->res, fd, written);
}

/* Write the ack interchange into outbound/<partner>/ (idempotent by name). */
static int write_ack(struct job *j, const struct x12_interchange_result *res)
{
	/* A rejected interchange is answered by its TA1 alone (the groups are left out). */
	const char *type = ack_writer_groups(j->ack) && res->ta1_status != 'R'
				   ? (j->partner->ack == CFG_ACK_999 ? "999" : "997")
				   : "TA1";
	char name[64], isa13[16], key[32];
	snprintf(name, sizeof name, "%09llu-%s.x12", (unsigned long long)j->actl.isa13, type);
	snprintf(isa13, sizeof isa13, "%09llu", (unsigned long long)j->actl.isa13);
	snprintf(key, sizeof key, "ack.%llu", (unsigned long long)j->ic);
	struct ack_finish f = { j->ack, res };
	return gw_queue_ack(j, ack_finish_cb, &f, name, key, "x12", type, isa13, res->isa.icn);
}

static int cb_interchange_end(void *ctx, const struct x12_interchange_result *res)
{
	struct job *j = ctx;
	struct gateway *g = j->g;
	int rc = 0;
	if (res->skipped) {
		j->partner = NULL;
		return 0;
	}
	int rejected = res->ta1_status == 'R';
	char key[32];
	snprintf(key, sizeof key, "%llu", (unsigned long long)j->ic);
	char *why = NULL;
	if (rejected) {
		const struct x12_error *e = res->errors.n ? &res->errors.v[0] : NULL;
		char *d = e ? x12_error_describe(e) : xstrdup("envelope error");
		why = xasprintf("interchange %s rejected (TA1 code %s): %s", res->isa.icn, res->ta1_code, d);
		free(d);
		j->interchanges_rejected++;
		gw_unaccept(j, j->ic_accepted);
		j->ic_accepted = 0;
		gw_staged_discard(j, 0);
		char prefix[40];
		snprintf(prefix, sizeof prefix, "%llu.", (unsigned long long)j->ic);
		ledger_docs_set_state(g->ledger, j->meta.id, prefix, "accepted", "rejected", why);
	}
	/* A TA1-only ack still needs our interchange control number. */
	if (!j->ack && gateway_ta1_only(j->partner->ta1, res) && (rc = ensure_ack(j, &res->isa, 0)) < 0)
		goto out;
	struct ledger_doc d = gw_job_doc(j, key, "in", "x12", "interchange",
				      rejected ? "rejected" : "accepted");
	d.sender = res->isa.sender_id;
	d.receiver = res->isa.receiver_id;
	d.icn = res->isa.icn;
	d.reason = why;
	if ((rc = ledger_doc_put(g->ledger, &d, NULL)) < 0)
		goto out;
	/* Only an interchange we accepted counts as received: after a TA1 rejection the
	 * partner resends the corrected one, often under the same ISA13. */
	if (!rejected) {
		char *from = x12_party(res->isa.sender_qual, res->isa.sender_id);
		char *to = x12_party(res->isa.receiver_qual, res->isa.receiver_id);
		rc = ledger_dup_record(g->ledger, from, to, res->isa.icn, res->sha256, j->meta.id);
		free(from);
		free(to);
		if (rc < 0)
			goto out;
	}
	if ((rc = gw_name_staged(j, res->isa.date, res->isa.icn)) < 0)
		goto out;
	gw_fault_point("before-ledger-commit");
	rc = ledger_commit(g->ledger);
	j->in_txn_scope = 0;
	if (rc < 0)
		goto out;
	gw_fault_point("after-ledger-commit");
	if (j->ack && (rc = write_ack(j, res)) < 0)
		goto out;
	gw_fault_point("after-ack");
	rc = gw_commit_staged(j);
out:
	if (why)
		gw_set_reason(&j->fail_reason, why);
	ack_writer_free(j->ack);
	j->ack = NULL;
	if (j->have_actl) {
		ledger_ack_ctl_clear(&j->actl);
		j->have_actl = 0;
	}
	if (j->in_txn_scope) {
		ledger_rollback(g->ledger);
		j->in_txn_scope = 0;
	}
	j->partner = NULL;
	return rc;
}

void gw_notice(void *ctx, uint64_t line, const char *msg)
{
	struct job *j = ctx;
	log_info("job %s line %llu: %s", j->meta.id, (unsigned long long)line, msg);
	char *r = xasprintf("line %llu: %s", (unsigned long long)line, msg);
	ledger_event(j->g->ledger, j->meta.id, NULL, "notice", r);
	free(r);
}

/* What the first bytes look like, for a clear message about non-X12 input. */
static const char *sniff(int fd)
{
	char b[16];
	ssize_t n = pread(fd, b, sizeof b, lseek(fd, 0, SEEK_CUR));
	if (n <= 0)
		return "empty";
	size_t i = 0;
	if (n >= 3 && (unsigned char)b[0] == 0xef && (unsigned char)b[1] == 0xbb &&
	    (unsigned char)b[2] == 0xbf)
		i = 3;
	while (i < (size_t)n && (b[i] == ' ' || b[i] == '\r' || b[i] == '\n' || b[i] == '\t'))
		i++;
	if ((size_t)n - i >= 3 && (memcmp(b + i, "UNA", 3) == 0 || memcmp(b + i, "UNB", 3) == 0))
		return "edifact";
	if ((size_t)n - i >= 3 && memcmp(b + i, "ISA", 3) == 0)
		return "x12";
	return "other"; /* read as X12 (a clear 'not X12' error) unless the partner sends CSV */
}

/* Finish a job into its final queue with a ledger event. */
int gw_finish_job(struct job *j, enum spool_queue to, const char *reason)
{
	struct gateway *g = j->g;
	int rc = spool_move(g->spool, j->meta.id, SPOOL_ACTIVE, to, reason, -1);
	if (rc < 0) {
		log_error("job %s: cannot move to %s/: %s", j->meta.id, spool_queue_name(to), strerror(-rc));
		return rc;
	}
	const char *state = to == SPOOL_ARCHIVE ? "archived" : to == SPOOL_HOLD ? "held" : "failed";
	ledger_event(g->ledger, j->meta.id, NULL, state, reason);
	if (to == SPOOL_ARCHIVE)
		j->st->archived++;
	else if (to == SPOOL_HOLD)
		j->st->held++;
	else
		j->st->failed++;
	if (reason)
		log_warn("job %s → %s/: %s", j->meta.id, spool_queue_name(to), reason);
	else
		log_info("job %s → %s/", j->meta.id, spool_queue_name(to));
	return 0;
}

/* Remove staged files an interrupted run of this job left behind (we own the job now). */
static void remove_leftovers(const char *dir, const char *id)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t n = strlen(id);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, id, n) == 0 && e->d_name[n] == '-') {
			char *p = path_join(dir, e->d_name);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
}

/* Processing stopped for the environment (ledger, disk), not the document. A ledger kept
 * busy by another process (a second worker) is not a failure: the job goes back to
 * incoming/ for the next pass. Anything else stays in active/ until a restart recovers it. */
static int stopped(struct gateway *g, const struct job *j, const char *id, int rc)
{
	if (rc == -EBUSY && spool_move(g->spool, id, SPOOL_ACTIVE, SPOOL_INCOMING, NULL, j->meta.release) == 0) {
		log_warn("job %s: the ledger is busy (another worker); back to incoming/ for the next pass", id);
		return 0;
	}
	log_error("job %s: processing stopped: %s; the job stays in active/ and is retried after a restart", id,
		  strerror(-rc));
	return rc;
}

/* Claim one job and run it through the pipeline. */
int gateway_process(struct gateway *g, const char *id, struct gw_stats *st)
{
	struct gw_stats dummy = { 0 };
	struct job j = { 0 };
	int fd = -1;
	uint64_t len = 0;
	struct x12_reader *r = NULL;
	struct x12_error err = { 0 };
	j.g = g;
	j.st = st ? st : &dummy;
	buf_init(&j.erp_out, 0);
	int rc = spool_claim(g->spool, id);
	if (rc < 0)
		return rc;
	gw_fault_point("after-claim");
	remove_leftovers(g->erp_tmp, id);
	remove_leftovers(g->erp_test_tmp, id);
	rc = spool_open_job(g->spool, SPOOL_ACTIVE, id, &j.meta, &fd, &len);
	if (rc < 0) {
		log_error("job %s: cannot open: %s", id, strerror(-rc));
		char *why = xasprintf("cannot read the job file: %s", strerror(-rc));
		memcpy(j.meta.id, id, strnlen(id, SPOOL_ID_MAX - 1));
		gw_finish_job(&j, SPOOL_FAILED, why);
		free(why);
		rc = 0;
		goto out;
	}
	j.st->jobs++;
	j.st->bytes += len;
	ledger_event(g->ledger, id, NULL, "processing", j.meta.release ? "released by operator" : NULL);
	if (j.meta.partner) {
		j.bound = config_partner(g->cfg, j.meta.partner);
		if (!j.bound) {
			char *why = xasprintf("partner '%s' named by the job is not configured", j.meta.partner);
			rc = gw_finish_job(&j, SPOOL_HOLD, why);
			free(why);
			goto out;
		}
	}
	const char *kind = sniff(fd);
	if (strcmp(kind, "edifact") == 0 || gw_is_csv(j.bound, kind)) {
		char *fatal = NULL;
		rc = strcmp(kind, "edifact") == 0 ? gw_process_edifact(&j, fd, &fatal) : gw_process_csv(&j, fd, &fatal);
		gw_staged_discard(&j, 0);
		if (rc < 0) {
			rc = stopped(g, &j, id, rc);
			goto out;
		}
		if (fatal) {
			rc = gw_finish_job(&j, SPOOL_FAILED, fatal);
			free(fatal);
			goto out;
		}
		goto outcome;
	}
	struct x12_limits lim;
	struct x12_tolerances tol;
	gateway_reader_settings(g->cfg, j.bound, &lim, &tol);
	j.max_loop_depth = lim.max_loop_depth;
	if ((rc = x12_reader_new_fd(&r, fd, &lim)) < 0)
		goto out;
	x12_reader_set_tolerances(r, &tol);
	struct x12_handler h = {
		.ctx = &j,
		.interchange_begin = cb_interchange_begin,
		.group_begin = cb_group_begin,
		.transaction = cb_transaction,
		.ta1 = cb_ta1,
		.transaction_end = cb_transaction_end,
		.group_end = cb_group_end,
		.interchange_end = cb_interchange_end,
		.notice = gw_notice,
	};
	x12_reader_set_notice(r, gw_notice, &j);
	struct x12_file_summary sum = { 0 };
	rc = x12_parse(r, &h, &sum, &err);
	if (j.in_txn_scope) {
		ledger_rollback(g->ledger);
		j.in_txn_scope = 0;
	}
	ack_writer_free(j.ack);
	j.ack = NULL;
	gw_staged_discard(&j, 0);
	if (rc < 0 && err.msg == NULL) {
		/* A handler failure: the environment (ledger, disk), not the document. */
		rc = stopped(g, &j, id, rc);
		goto out;
	}
	if (rc < 0) {
		char *d = x12_error_describe(&err);
		char *why = xasprintf("not a valid X12 document: %s", d);
		free(d);
		rc = gw_finish_job(&j, SPOOL_FAILED, why);
		free(why);
		goto out;
	}
	if (j.warnings > MAX_WARNING_EVENTS) {
		char *m = xasprintf("%llu more warning(s) like the above",
				    (unsigned long long)(j.warnings - MAX_WARNING_EVENTS));
		ledger_event(g->ledger, id, NULL, "warning", m);
		free(m);
	}
outcome:
	gw_fault_point("before-archive");
	if (j.hold_reason)
		rc = gw_finish_job(&j, SPOOL_HOLD, j.hold_reason);
	else if (j.accepted == 0 && (j.rejected > 0 || j.interchanges_rejected > 0 || j.fail_reason))
		rc = gw_finish_job(&j, SPOOL_FAILED, j.fail_reason ? j.fail_reason : "nothing accepted");
	else {
		if (j.fail_reason) {
			char *note = xasprintf("partly accepted: %llu transaction set(s) accepted, %llu "
					       "rejected; first problem: %s",
					       (unsigned long long)j.accepted,
					       (unsigned long long)j.rejected, j.fail_reason);
			ledger_event(g->ledger, id, NULL, "partial", note);
			log_warn("job %s: %s", id, note);
			free(note);
		}
		rc = gw_finish_job(&j, SPOOL_ARCHIVE, NULL);
	}
out:
	free(err.msg);
	free(err.bad_value);
	x12_reader_free(r);
	if (fd >= 0)
		close(fd);
	free(j.hold_reason);
	free(j.fail_reason);
	free(j.bkey);
	free(j.staged);
	buf_free(&j.erp_out);
	spool_meta_clear(&j.meta);
	return rc;
}

/* Process everything waiting in incoming/, oldest first. */
int gateway_run_once(struct gateway *g, struct gw_stats *st, volatile sig_atomic_t *stop)
{
	char **ids = NULL;
	size_t n = 0;
	int rc = spool_list(g->spool, SPOOL_INCOMING, &ids, &n);
	if (rc < 0)
		return rc;
	size_t i = 0;
	for (; i < n; i++) {
		if (stop && *stop)
			break;
		rc = gateway_process(g, ids[i], st);
		if (rc == -ENOENT) {
			rc = 0; /* another worker claimed it */
			continue;
		}
		if (rc < 0)
			break;
	}
	for (size_t k = 0; k < n; k++)
		free(ids[k]);
	free(ids);
	return rc;
}

/* Move a job from one queue back to incoming/, with an event. */
static int requeue(struct gateway *g, const char *id, enum spool_queue from, int release,
		   const char *state)
{
	if (!name_is_safe(id))
		return -EINVAL;
	int rc = spool_move(g->spool, id, from, SPOOL_INCOMING, "", release);
	if (rc == 0)
		ledger_event(g->ledger, id, NULL, state, "by operator");
	return rc;
}

/* hold/ → incoming/ with the release flag. */
int gateway_release(struct gateway *g, const char *id)
{
	return requeue(g, id, SPOOL_HOLD, 1, "released");
}

/* failed/ → incoming/ for another attempt: its acknowledgments get new control numbers
 * (the first attempt's are already queued or delivered, and the outcome may differ). */
int gateway_replay(struct gateway *g, const char *id)
{
	int rc = requeue(g, id, SPOOL_FAILED, 0, "replayed");
	/* an archived job is processed again on purpose: past the duplicate check */
	if (rc == -ENOENT)
		rc = requeue(g, id, SPOOL_ARCHIVE, 1, "replayed from archive");
	if (rc == 0)
		rc = ledger_ack_controls_forget(g->ledger, id);
	return rc;
}
