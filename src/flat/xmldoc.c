/*
 * xmldoc.c — the XML document reader (xmldoc.h): a libxml2 parser context with the
 * network off, no DTD loading, no entity substitution, and SAX hooks that refuse any
 * entity declaration and count elements and nesting as they are read.
 *
 * Functions: xmldoc_sniff, xmldoc_parse, xmldoc_error_text.
 *
 * Ownership: the parsed document belongs to the caller (xmlFreeDoc); the parser context
 * lives for one call. Limits: see xmldoc.h; the size before parsing, nesting and element
 * count in the start-element hook (the parse stops there), libxml2's own limits on
 * names and text (no XML_PARSE_HUGE) besides.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include "flat/xmldoc.h"
#include "util/util.h"

/* What one parse knows besides libxml2's context. */
struct pstate {
	struct xmldoc_error *err;
	int have_err;
	int refused;            /* stopped by a hook: the document is refused even if libxml2
	                         * thinks the part it read was well-formed */
	size_t depth, elements, max_depth, max_elements;
	startElementNsSAX2Func start;
	endElementNsSAX2Func end;
};

/* Keep the first error (later ones are usually consequences). */
static void set_err(struct pstate *p, uint64_t line, size_t col, const char *fmt, ...) EDIGW_PRINTF(4, 5);
static void set_err(struct pstate *p, uint64_t line, size_t col, const char *fmt, ...)
{
	if (p->have_err || !p->err)
		return;
	p->have_err = 1;
	p->err->line = line;
	p->err->column = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
}

/* The line and column the parser is at. */
static void here(xmlParserCtxtPtr c, uint64_t *line, size_t *col)
{
	*line = c && c->input && c->input->line > 0 ? (uint64_t)c->input->line : 0;
	*col = c && c->input && c->input->col > 0 ? (size_t)c->input->col : 0;
}

/* Stop the parse for a reason of ours. */
static void refuse(xmlParserCtxtPtr c, struct pstate *p)
{
	p->refused = 1;
	xmlStopParser(c);
}

/* libxml2's own errors (not well-formed, bad encoding, its limits). */
#if LIBXML_VERSION >= 21200
static void on_error(void *ud, const xmlError *e)
#else
static void on_error(void *ud, xmlErrorPtr e)
#endif
{
	xmlParserCtxtPtr c = ud;
	struct pstate *p = c ? c->_private : NULL;
	if (!p || !e || e->level < XML_ERR_ERROR)
		return;
	char msg[200];
	snprintf(msg, sizeof msg, "%s", e->message ? e->message : "not well-formed XML");
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	set_err(p, e->line > 0 ? (uint64_t)e->line : 0, e->int2 > 0 ? (size_t)e->int2 : 0, "%s", msg);
}

/* Any entity declaration refuses the document: nothing is ever expanded or fetched. */
static void on_entity_decl(void *ud, const xmlChar *name, int type, const xmlChar *public_id,
			   const xmlChar *system_id, xmlChar *content)
{
	xmlParserCtxtPtr c = ud;
	struct pstate *p = c->_private;
	(void)public_id;
	(void)content;
	uint64_t line;
	size_t col;
	here(c, &line, &col);
	char *nm = escape_bytes(name, name ? strlen((const char *)name) : 0, 40);
	int param = type == XML_INTERNAL_PARAMETER_ENTITY || type == XML_EXTERNAL_PARAMETER_ENTITY;
	set_err(p, line, 0, "the document declares %s entity '%s'%s: entity declarations are not accepted "
		"(nothing outside the document is read)", param ? "the parameter" : "the", nm,
		system_id ? " (external)" : "");
	free(nm);
	refuse(c, p);
}

/* A reference to an entity the document does not declare (only an external DTD could):
 * refused as well, so no entity reference ever stays in a document a map reads. */
static void on_reference(void *ud, const xmlChar *name)
{
	xmlParserCtxtPtr c = ud;
	struct pstate *p = c->_private;
	uint64_t line;
	size_t col;
	here(c, &line, &col);
	char *nm = escape_bytes(name, name ? strlen((const char *)name) : 0, 40);
	p->have_err = 0; /* ours says more than libxml2's "not defined" before it */
	set_err(p, line, 0, "a reference to the entity '%s', which the document does not declare: entities "
		"are not accepted", nm);
	free(nm);
	refuse(c, p);
}

/* An external DTD subset is never read. */
static void on_external_subset(void *ud, const xmlChar *name, const xmlChar *external_id,
			       const xmlChar *system_id)
{
	(void)ud;
	(void)name;
	(void)external_id;
	(void)system_id;
}

/* Nothing outside the document is ever opened. */
static xmlParserInputPtr on_resolve(void *ud, const xmlChar *public_id, const xmlChar *system_id)
{
	(void)ud;
	(void)public_id;
	(void)system_id;
	return NULL;
}

/* Count elements and nesting before libxml2 builds the element. */
static void on_start(void *ud, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
		     int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
		     const xmlChar **attributes)
{
	xmlParserCtxtPtr c = ud;
	struct pstate *p = c->_private;
	uint64_t line;
	size_t col;
	p->depth++;
	p->elements++;
	if (p->depth > p->max_depth || p->elements > p->max_elements) {
		here(c, &line, &col);
		if (p->depth > p->max_depth)
			set_err(p, line, 0, "elements nested more than %zu deep", p->max_depth);
		else
			set_err(p, line, 0, "more than %zu elements", p->max_elements);
		refuse(c, p);
		return;
	}
	p->start(ud, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
		 attributes);
}

/* The end of an element. */
static void on_end(void *ud, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr c = ud;
	struct pstate *p = c->_private;
	if (p->depth)
		p->depth--;
	p->end(ud, localname, prefix, uri);
}

/* Whether data looks like XML. */
int xmldoc_sniff(const void *data, size_t len)
{
	const unsigned char *b = data;
	size_t i = 0;
	if (!b)
		return 0;
	if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		i = 3;
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	return i < len && b[i] == '<';
}

/* Parse a whole document. */
int xmldoc_parse(xmlDocPtr *out, const void *data, size_t len, const struct xmldoc_options *o,
		 struct xmldoc_error *err)
{
	static const struct xmldoc_options defaults;
	struct xmldoc_error scratch;
	*out = NULL;
	if (!err)
		err = &scratch;
	memset(err, 0, sizeof *err);
	if (!o)
		o = &defaults;
	if (!data && len)
		return -EINVAL;
	size_t max_bytes = o->max_bytes ? o->max_bytes : XMLDOC_DEF_MAX_BYTES;
	if (len > max_bytes || len > INT_MAX) {
		snprintf(err->msg, sizeof err->msg, "document of %zu bytes is over the limit of %zu", len,
			 max_bytes < INT_MAX ? max_bytes : (size_t)INT_MAX);
		return -EFBIG;
	}
	if (len == 0) {
		snprintf(err->msg, sizeof err->msg, "empty document");
		return -EINVAL;
	}
	struct pstate p;
	memset(&p, 0, sizeof p);
	p.err = err;
	p.max_depth = o->max_depth ? o->max_depth : XMLDOC_DEF_MAX_DEPTH;
	p.max_elements = o->max_elements ? o->max_elements : XMLDOC_DEF_MAX_ELEMENTS;
	xmlParserCtxtPtr c = xmlNewParserCtxt();
	if (!c)
		return -ENOMEM;
	c->_private = &p;
	c->sax->serror = on_error;
	c->sax->entityDecl = on_entity_decl;
	c->sax->externalSubset = on_external_subset;
	c->sax->resolveEntity = on_resolve;
	c->sax->reference = on_reference;
	p.start = c->sax->startElementNs ? c->sax->startElementNs : xmlSAX2StartElementNs;
	p.end = c->sax->endElementNs ? c->sax->endElementNs : xmlSAX2EndElementNs;
	c->sax->startElementNs = on_start;
	c->sax->endElementNs = on_end;
	/* never XML_PARSE_NOENT, XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR, XML_PARSE_XINCLUDE or
	 * XML_PARSE_HUGE */
	xmlDocPtr doc = xmlCtxtReadMemory(c, data, (int)len, "partner.xml", NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
						  XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
	int rc = 0;
	if (!doc || p.refused || !c->wellFormed || !c->nsWellFormed) {
		if (!p.have_err)
			set_err(&p, 0, 0, "not well-formed XML");
		xmlFreeDoc(doc);
		rc = -EINVAL;
	} else if (!xmlDocGetRootElement(doc)) {
		set_err(&p, 0, 0, "no root element");
		xmlFreeDoc(doc);
		rc = -EINVAL;
	} else {
		memset(err, 0, sizeof *err); /* errors libxml2 recovered from do not count */
		*out = doc;
	}
	xmlFreeParserCtxt(c);
	return rc;
}

/* "line 4, column 3: text". */
char *xmldoc_error_text(const struct xmldoc_error *e)
{
	if (e->line && e->column)
		return xasprintf("line %llu, column %zu: %s", (unsigned long long)e->line, e->column, e->msg);
	if (e->line)
		return xasprintf("line %llu: %s", (unsigned long long)e->line, e->msg);
	return xstrdup(e->msg);
}
