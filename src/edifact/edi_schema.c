/*
 * edi_schema — UN/EDIFACT message definitions on the X12 definition engine: loading
 * maps/schemas/edifact/<release>/, finding a message's definition from its UNH S009
 * (with the 'accept' versions of service messages such as CONTRL D:3), and checking a
 * message through its X12 view. The engine itself reports ISO 9735 0085 codes for an
 * EDIFACT definition (src/x12/x12_validate.c, edi_code); the table is in
 * doc/edifact-schemas.md.
 *
 * Functions: edi_schema_load, edi_schema_find, edi_overlay_find, edi_schema_validate,
 * edi_schema_key.
 *
 * Ownership: definitions are borrowed from the schema or overlay; a caller's view is
 * reused, a temporary one freed before returning.
 * Limits: partner bytes reach this module only as a parsed struct edi_msg (bounded by
 * edi_limits); the UNH values used to find a definition are copied into bounded
 * buffers (a release directory name is at most 6 characters).
 */
#define X12_SCHEMA_INTERNAL
#include "edifact/edi_schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Load every release directory under root/edifact. */
int edi_schema_load(struct x12_schema **out, const char *root, struct diag_list *d)
{
	return x12_schema_load_edifact(out, root, d);
}

/* "D" + "96A" into a release directory name; 0 when it does not fit or is empty. */
static int release_name(char out[8], const char *version, const char *release)
{
	size_t a = version ? strlen(version) : 0, b = release ? strlen(release) : 0;
	if (a == 0 || b == 0 || a + b > 6)
		return 0;
	memcpy(out, version, a);
	memcpy(out + a, release, b);
	out[a + b] = '\0';
	return 1;
}

/* The definition a schema (or an overlay over it) has for the message. */
static const struct x12_txn_def *find(const struct x12_overlay *o, const struct x12_schema *s, const char *version,
				      const char *release, const char *type)
{
	char dir[8], vr[16];
	if (!s || !s->edifact || !type)
		return NULL;
	if (release_name(dir, version, release)) {
		const struct x12_txn_def *d = x12_overlay_find(o, s, dir, type);
		if (d)
			return d;
	}
	/* a service message (CONTRL D:3) lives in each release directory: the first that
	 * accepts the version answers, through the overlay when it changes that one */
	if (!version || !release || snprintf(vr, sizeof vr, "%s:%s", version, release) >= (int)sizeof vr)
		return NULL;
	for (size_t i = 0; i < s->nvers; i++) {
		const struct xs_ver *v = &s->vers[i];
		for (size_t j = 0; j < v->ntxns; j++) {
			const struct x12_txn_def *t = &v->txns[j];
			if (strcmp(t->id, type) != 0)
				continue;
			for (size_t k = 0; k < t->naccept; k++)
				if (strcmp(t->accept[k], vr) == 0)
					return x12_overlay_find(o, s, v->name, type);
		}
	}
	return NULL;
}

/* The definition of a message type for UNH 0052/0054. */
const struct x12_txn_def *edi_schema_find(const struct x12_schema *s, const char *version, const char *release,
					  const char *type)
{
	return find(NULL, s, version, release, type);
}

/* As edi_schema_find, through a partner overlay. */
const struct x12_txn_def *edi_overlay_find(const struct x12_overlay *o, const struct x12_schema *s,
					   const char *version, const char *release, const char *type)
{
	return find(o, s, version, release, type);
}

/* Check one message against its definition through the X12 view. */
int edi_schema_validate(const struct x12_txn_def *def, const struct edi_msg *msg, struct edi_view *view,
			size_t max_loop_depth, struct x12_errlist *errs, struct x12_errlist *warns)
{
	struct edi_view tmp;
	struct edi_view *v = view ? view : &tmp;
	int rc;
	if (!def || !msg || !errs || !def->ver || !def->ver->edifact || msg->nseg == 0)
		return -EINVAL;
	if (!view)
		memset(&tmp, 0, sizeof tmp);
	rc = edi_view_build(v, msg);
	if (rc < 0)
		goto out;
	rc = x12_schema_validate_warn(def, &v->txn, max_loop_depth, errs, warns);
out:
	if (!view)
		edi_view_free(&tmp);
	return rc;
}

/* The document's key (BGM02, BGM02-1) of a message. */
struct edi_val edi_schema_key(const struct x12_txn_def *def, const struct edi_msg *msg)
{
	struct edi_val none = { NULL, 0 };
	if (!def || !msg || def->key_seg < 0)
		return none;
	const char *id = def->ver->segs[def->key_seg].id;
	for (size_t i = 0; i < msg->nseg; i++)
		if (strncmp(msg->segs[i].tag, id, sizeof msg->segs[i].tag) == 0)
			return edi_seg_val(&msg->segs[i], (size_t)def->key_elem, def->key_comp ? (size_t)def->key_comp : 1);
	return none;
}
