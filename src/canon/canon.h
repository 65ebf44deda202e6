/*
 * canon — canonical business records (XML in the urn:edigw:canonical:1
 * namespace, described by doc/canonical.rng) and ERP profiles that render
 * them into the ERP's import files.
 *
 * Records are libxml2 documents. Paths are '/'-separated element names
 * relative to a node ("parties/party"); canon_set creates what is missing.
 */
#ifndef EDIGW_CANON_H
#define EDIGW_CANON_H

#include <libxml/tree.h>

#include "util/util.h"

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

/* Validate against the RELAX NG schema at rng_path (schema cached per path). Errors go
 * to err as "line N: message" text. Returns 0 when valid. */
int canon_validate(xmlDocPtr doc, const char *rng_path, struct buf *err);
/* Serialize as indented UTF-8 XML. */
int canon_serialize(xmlDocPtr doc, struct buf *out);
/* Free cached schemas (at exit). */
void canon_cleanup(void);

/* An ERP profile: how records of one kind become an ERP import file. */
struct erp_profile;

int erp_profile_load(struct erp_profile **out, const char *path, struct diag_list *d);
void erp_profile_free(struct erp_profile *p);
/* Record kind the profile reads ("order"), borrowed. */
const char *erp_profile_kind(const struct erp_profile *p);
/* File name extension of its output ("csv"), borrowed. */
const char *erp_profile_extension(const struct erp_profile *p);
/* Render one record. On a data problem (required field empty) returns -EINVAL with the
 * reason in err. */
int erp_render(const struct erp_profile *p, xmlDocPtr doc, struct buf *out, struct buf *err);

#endif
