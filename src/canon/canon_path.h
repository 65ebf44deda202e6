/*
 * canon_path — compiled paths into canonical records, shared by canon.c
 * (canon_set/canon_get), ERP profiles and map targets. Internal to the
 * map and canon modules.
 *
 * Syntax (doc/edigw-map.5, "Canonical paths"):
 *   path  = "." | ["/" | *("../")] step *("/" step) ["/" "@" name] | *("../") "@" name
 *   step  = name ["[" "@" name "=" value "]"]
 *   name  = letter *(letter | digit | "-" | "_" | ".")     at most 64 bytes
 * A leading "/" starts at the record's root element; "." is the node itself; each
 * leading "../" goes up one element first (an ERP record reading its parent's key).
 * A step with a predicate ("party[@role=buyer]") selects the first element with
 * that attribute value, and creating it sets the attribute.
 */
#ifndef EDIGW_CANON_PATH_H
#define EDIGW_CANON_PATH_H

#include <stddef.h>

#include <libxml/tree.h>

#include "util/util.h"

#define CANON_PATH_MAX_NAME 64
#define CANON_PATH_MAX_STEPS 16

struct canon_path_step {
	xmlChar *name;  /* element local name */
	xmlChar *pattr; /* predicate attribute name, or NULL */
	xmlChar *pval;  /* predicate value (may be empty) */
};

struct canon_path {
	char *text;      /* as written */
	int absolute;    /* leading '/' */
	unsigned up;     /* leading "../" steps */
	struct canon_path_step *steps;
	size_t nsteps;   /* 0 for "." and "@name" */
	xmlChar *attr;   /* final "@name", or NULL */
};

/* Compile text into p. On a syntax error returns -EINVAL with a static reason in *why. */
int canon_path_parse(struct canon_path *p, const char *text, const char **why);
void canon_path_clear(struct canon_path *p);

/* The first element at the path (the attribute step, if any, ignored); NULL if none. */
xmlNodePtr canon_path_find(xmlNodePtr at, const struct canon_path *p);
/* Text of the element, or the attribute's value: allocated (free()), NULL when absent. */
char *canon_path_value(xmlNodePtr at, const struct canon_path *p);
/* Same, appended to out without allocating a copy: 1 when the element (or attribute)
 * exists, 0 when not. */
int canon_path_value_into(xmlNodePtr at, const struct canon_path *p, struct buf *out);
/* Find or create the elements of the path (not the attribute); returns the last one. */
xmlNodePtr canon_path_make(xmlNodePtr at, const struct canon_path *p);
/* Find or create the path's parent elements, then always create a new last element. */
xmlNodePtr canon_path_append(xmlNodePtr at, const struct canon_path *p);
/* Make the path and set its text (or attribute) to v (n bytes, valid text). Returns the
 * element, or NULL when v is not valid XML text. */
xmlNodePtr canon_path_set(xmlNodePtr at, const struct canon_path *p, const char *v, size_t n);
/* The same for a value the caller has checked with canon_text_valid. With fresh set the
 * elements of the path are created without looking for existing ones (the caller knows
 * none exists: a first step no other field of its block uses). */
xmlNodePtr canon_path_put(xmlNodePtr at, const struct canon_path *p, const char *v, size_t n,
			  int fresh);
/* Number of elements matching the path (attribute step: elements having it). */
size_t canon_path_count(xmlNodePtr at, const struct canon_path *p);
/* Call fn for every matching element in document order; stops at a non-zero return. */
typedef int (*canon_path_fn)(void *ctx, xmlNodePtr n);
int canon_path_each(xmlNodePtr at, const struct canon_path *p, canon_path_fn fn, void *ctx);

/* Set an element's text, replacing what it held (no entity parsing). */
void canon_node_set_text(xmlNodePtr n, const char *v, size_t len);
/* 0 when s (n bytes) is UTF-8 made only of characters XML 1.0 allows; else -EILSEQ. */
int canon_text_valid(const char *s, size_t n);

#endif
