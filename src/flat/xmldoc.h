/*
 * xmldoc — a reader for the XML documents partners send instead of EDI (a 3PL's
 * <ShipConfirm>, an e-commerce platform's order export): libxml2 parses the whole
 * document into a tree the map reads by XPath (doc/edigw-map.5 XML DOCUMENTS).
 *
 * Partner bytes are hostile, so the parser never reaches outside the document:
 *   - no network (XML_PARSE_NONET), no external DTD or external subset loaded (no
 *     XML_PARSE_DTDLOAD; the external-subset and entity-resolver callbacks do nothing),
 *     entities never substituted (no XML_PARSE_NOENT), no XInclude, no XML_PARSE_HUGE;
 *   - a document that declares any entity (general or parameter, internal or external:
 *     <!DOCTYPE x [<!ENTITY ...>]>) is refused at that declaration, before anything
 *     could be expanded or fetched: no XXE, no entity expansion bombs. A DOCTYPE that
 *     only names an external DTD is accepted and the DTD is not read.
 * Limits (struct xmldoc_options, 0 = the default): document size (XMLDOC_DEF_MAX_BYTES),
 * element nesting (XMLDOC_DEF_MAX_DEPTH), elements (XMLDOC_DEF_MAX_ELEMENTS); checked
 * while parsing, so the parse stops at the first element over a limit. A value equal to
 * a limit is accepted, one above is an error naming the line.
 *
 * The document's own declaration (or byte order mark) says its encoding; libxml2
 * converts it. Line numbers are kept beyond 65535 (XML_PARSE_BIG_LINES) so findings can
 * name them (xmlGetLineNo).
 */
#ifndef EDIGW_XMLDOC_H
#define EDIGW_XMLDOC_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#define XMLDOC_DEF_MAX_BYTES (32u * 1024 * 1024)
#define XMLDOC_DEF_MAX_DEPTH 100u
#define XMLDOC_DEF_MAX_ELEMENTS 1000000u

struct xmldoc_options {
	size_t max_bytes, max_depth, max_elements; /* limits; 0: XMLDOC_DEF_* */
};

/* Where and why a document was refused (column 0: unknown). */
struct xmldoc_error {
	uint64_t line;
	size_t column;
	char msg[240];
};

/* Whether data looks like XML: after a UTF-8 byte order mark and blanks (space, tab,
 * CR, LF) the first byte is '<'. */
int xmldoc_sniff(const void *data, size_t len);
/* Parse len bytes (a whole document) into *out (the caller frees it with xmlFreeDoc).
 * Returns 0, or -EINVAL (not well-formed, an entity declaration, over a limit: *err
 * says where and why; *out is NULL), -EFBIG (over max_bytes), -ENOMEM. */
int xmldoc_parse(xmlDocPtr *out, const void *data, size_t len, const struct xmldoc_options *o,
		 struct xmldoc_error *err);
/* "line 4, column 3: text" (allocated). */
char *xmldoc_error_text(const struct xmldoc_error *e);

#endif
