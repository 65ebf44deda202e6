/*
 * canon — canonical business records (XML in the urn:edigw:canonical:1
 * namespace, described by doc/canonical.rng) and ERP profiles that render
 * them into the ERP's import files.
 *
 * Records are libxml2 documents. Paths are '/'-separated element names
 * relative to a node ("parties/party"); canon_set creates what is missing.
 * A step may carry one attribute condition ("parties/party[@role=buyer]/id":
 * canon_set creates the party with role="buyer" when there is none), a path
 * may end in "@name" (an attribute) and a leading '/' starts at the root
 * element. doc/edigw-map.5 describes the syntax ("Canonical paths").
 *
 * Every record has a source element (first child of the root): where the
 * document came from. map_apply_x12 fills it from the envelope;
 * canon_set_source adds the partner (the gateway knows it, the map does not).
 */
#ifndef EDIGW_CANON_H
#define EDIGW_CANON_H

#include <libxml/tree.h>

#include "util/util.h"
#include "x12/x12.h"

#define CANON_NS "urn:edigw:canonical:1"

/* A new record whose root element is kind ("order"). */
xmlDocPtr canon_new(const char *kind);
/* The record kind (root element name), borrowed. */
const char *canon_kind(xmlDocPtr doc);
/* Set the text of the element at path below at (created as needed; last step reused). */
xmlNodePtr canon_set(xmlNodePtr at, const char *path, const char *value);
/* Append a new element name below at (for repeats). */
xmlNodePtr canon_append(xmlNodePtr at, const char *name);
/* Set an attribute. */
void canon_set_attr(xmlNodePtr n, const char *name, const char *value);
/* Text of the first element at path below at: an allocated copy (free()), or NULL. */
char *canon_get(xmlNodePtr at, const char *path);

/* Fill the record's source element (created as the root's first child):
 *   partner        partner (when non-NULL; otherwise a partner already set is kept)
 *   standard       "x12"                       (when txn is non-NULL, as all below)
 *   version        GS08, or ISA12 without a GS   ("004010VICS", "005010")
 *   document-type  ST01 ("850")
 *   sender         ISA06     receiver     ISA08
 *   interchange    ISA13     group        GS06     transaction  ST02
 *   test           "true" when ISA15 = T, else "false"
 *   correlation-id kept when set (the gateway's job id: canon_set(root,
 *                  "source/correlation-id", id) after this call; edigw track finds it)
 * Envelope fields that are absent (txn->isa or txn->gs NULL) are left out. Children are
 * written in this order whatever the order of calls. Returns 0, or -EINVAL when doc
 * has no root element. */
int canon_set_source(xmlDocPtr doc, const char *partner, const struct x12_txn *txn);

/* Parse a serialized record (XML_PARSE_NONET, no entities, no DTD, ignorable blanks
 * dropped) of at most CANON_MAX_RECORD bytes. The root must be in CANON_NS. On failure
 * returns -EINVAL with the reason and line in err. */
#define CANON_MAX_RECORD (64u * 1024 * 1024)
int canon_parse(xmlDocPtr *out, const void *data, size_t len, struct buf *err);

/* Validate against the RELAX NG schema at rng_path (schema cached per path). Errors go
 * to err as "line N (/order/lines/line[2]/quantity): message" text, one per line, at
 * most 20. For elements built in memory N is the line canon_serialize writes them on.
 * Returns 0 when valid, -EINVAL when not, -ENOENT/-EIO... when the schema cannot be
 * read or compiled (reason in err). Thread-safe (validations are serialized). */
int canon_validate(xmlDocPtr doc, const char *rng_path, struct buf *err);
/* Serialize as indented UTF-8 XML, appended to out (two-space indent, one element per
 * line, XML declaration first). */
int canon_serialize(xmlDocPtr doc, struct buf *out);
/* Free cached schemas (at exit). */
void canon_cleanup(void);

/* An ERP profile: how records of one kind become an ERP import file. */
struct erp_profile;

/* Load a profile; every problem goes to d with the file and line. Returns 0 when there
 * were no errors (*out set), -EINVAL otherwise (*out NULL). */
int erp_profile_load(struct erp_profile **out, const char *path, struct diag_list *d);
void erp_profile_free(struct erp_profile *p);
/* Record kind the profile reads ("order"), borrowed. */
const char *erp_profile_kind(const struct erp_profile *p);
/* File name extension of its output ("csv"), borrowed. */
const char *erp_profile_extension(const struct erp_profile *p);
/* For map check: call fn for every canonical path the profile reads, with the path of
 * the record type's element (NULL for "once" records, whose columns start at the root),
 * the column's path (NULL for the record type's own line) and the profile line. */
typedef void (*erp_path_fn)(void *ctx, const char *base, const char *path, size_t line);
void erp_profile_paths(const struct erp_profile *p, erp_path_fn fn, void *ctx);
/* Render one record, appending to out (nothing is appended on an error). On a data
 * problem (required field empty) returns -EINVAL with the reason in err. The layout of
 * the shipped profile maps/erp/order-csv.map is in doc/edigw-map.5 ("ERP profiles"). */
int erp_render(const struct erp_profile *p, xmlDocPtr doc, struct buf *out, struct buf *err);

/* The gateway's two steps for a mapped record, with their problems as application findings
 * in errs (x12_errlist_add_app): canon_check — doc against the canonical schema at rng_path
 * ("the canonical record does not match canonical.rng: ..."), 0 or -1; erp_render_checked —
 * erp_render into out ("ERP profile: ..."; out left as it was), 0 or -1. */
int canon_check(xmlDocPtr doc, const char *rng_path, struct x12_errlist *errs);
int erp_render_checked(const struct erp_profile *p, xmlDocPtr doc, struct buf *out, struct x12_errlist *errs);

/* What an ERP file of the profile starts and ends with, around the records erp_render
 * appends (several records of one functional group share a file): for target xml the XML
 * declaration and the root element's start tag ("<?xml ...?>\n<Orders>\n") and its end tag
 * ("</Orders>\n"); nothing for csv and fixed. Appended to out; p NULL appends nothing.
 * 0, or -ENOSPC at out's cap. erp_profile_extension is "csv", "txt" (fixed) or "xml". */
int erp_profile_header(const struct erp_profile *p, struct buf *out);
int erp_profile_footer(const struct erp_profile *p, struct buf *out);

#endif
