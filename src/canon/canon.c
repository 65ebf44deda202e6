/*
 * canon.c — canonical records: creation, get/set by path, the source
 * element, (de)serialisation and RELAX NG validation against
 * doc/canonical.rng.
 *
 * Ownership: records are libxml2 documents owned by the caller
 * (xmlFreeDoc). Compiled schemas are cached per path for the life of the
 * process (canon_cleanup frees them); the cache and the validations are
 * serialized by one mutex, so callers on several threads are safe.
 *
 * XML is read with XML_PARSE_NONET and never with NOENT/DTDLOAD: the
 * schema is ours, but a record read back by canon_parse may have passed
 * through other hands.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "canon/canon.h"
#include "canon/canon_path.h"

#define MAX_SCHEMAS 8      /* cached schema paths */
#define MAX_VALID_ERRORS 20 /* validation messages reported per record */

/* ------------------------------------------------------------ records */

/* A new record whose root is kind, in the canonical namespace. */
xmlDocPtr canon_new(const char *kind)
{
	const char *why;
	struct canon_path p;
	if (!kind || canon_path_parse(&p, kind, &why) != 0)
		return NULL;
	int simple = p.nsteps == 1 && !p.absolute && !p.attr && !p.steps[0].pattr;
	canon_path_clear(&p);
	if (!simple)
		return NULL;
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root = xmlNewDocNode(doc, NULL, (const xmlChar *)kind, NULL);
	xmlNsPtr ns = xmlNewNs(root, (const xmlChar *)CANON_NS, NULL);
	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	return doc;
}

/* Root element name. */
const char *canon_kind(xmlDocPtr doc)
{
	xmlNodePtr r = doc ? xmlDocGetRootElement(doc) : NULL;
	return r ? (const char *)r->name : NULL;
}

/* Set text at a path (created as needed). */
xmlNodePtr canon_set(xmlNodePtr at, const char *path, const char *value)
{
	struct canon_path p;
	const char *why;
	if (!at || !path || !value || canon_path_parse(&p, path, &why) != 0)
		return NULL;
	xmlNodePtr n = canon_path_set(at, &p, value, strlen(value));
	canon_path_clear(&p);
	return n;
}

/* Append a new element below at. */
xmlNodePtr canon_append(xmlNodePtr at, const char *name)
{
	struct canon_path p;
	const char *why;
	if (!at || !name || canon_path_parse(&p, name, &why) != 0)
		return NULL;
	xmlNodePtr n = NULL;
	if (p.nsteps == 1 && !p.absolute && !p.attr)
		n = canon_path_append(at, &p);
	canon_path_clear(&p);
	return n;
}

/* Set an attribute (raw text, escaped on output). */
void canon_set_attr(xmlNodePtr n, const char *name, const char *value)
{
	if (!n || !name || !value || canon_text_valid(value, strlen(value)) != 0)
		return;
	xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

/* Text at a path. */
char *canon_get(xmlNodePtr at, const char *path)
{
	struct canon_path p;
	const char *why;
	if (!at || !path || canon_path_parse(&p, path, &why) != 0)
		return NULL;
	char *v = canon_path_value(at, &p);
	canon_path_clear(&p);
	return v;
}

/* ------------------------------------------------------------- source */

static const char *const source_fields[] = {
	"partner", "standard", "version", "document-type", "sender", "receiver",
	"interchange", "group", "transaction", "test", "correlation-id",
};
#define NSOURCE (sizeof source_fields / sizeof source_fields[0])

/* An envelope value as valid text (escaped when the partner sent odd bytes). */
static char *safe_text(const char *s)
{
	size_t n = strlen(s);
	if (canon_text_valid(s, n) == 0)
		return xstrdup(s);
	return escape_bytes(s, n, 64);
}

/* Fill the source element. */
int canon_set_source(xmlDocPtr doc, const char *partner, const struct x12_txn *txn)
{
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root)
		return -EINVAL;
	char *val[NSOURCE] = { 0 };
	xmlNodePtr old = NULL;
	for (xmlNodePtr c = root->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *)"source")) {
			old = c;
			break;
		}
	if (old) {
		for (xmlNodePtr c = old->children; c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			for (size_t i = 0; i < NSOURCE; i++)
				if (!val[i] && xmlStrEqual(c->name, (const xmlChar *)source_fields[i])) {
					xmlChar *v = xmlNodeGetContent(c);
					val[i] = xstrdup(v ? (const char *)v : "");
					xmlFree(v);
				}
		}
		xmlUnlinkNode(old);
		xmlFreeNode(old);
	}
	const char *nv[NSOURCE] = { 0 };
	nv[0] = partner;
	if (txn) {
		nv[1] = "x12";
		if (txn->gs && txn->gs->version[0])
			nv[2] = txn->gs->version;
		else if (txn->isa && txn->isa->version[0])
			nv[2] = txn->isa->version;
		nv[3] = txn->st01;
		if (txn->isa) {
			nv[4] = txn->isa->sender_id;
			nv[5] = txn->isa->receiver_id;
			nv[6] = txn->isa->icn;
			nv[9] = txn->isa->usage[0] == 'T' ? "true" : "false";
		}
		if (txn->gs)
			nv[7] = txn->gs->gcn;
		nv[8] = txn->st02;
	}
	for (size_t i = 0; i < NSOURCE; i++)
		if (nv[i] && nv[i][0]) {
			free(val[i]);
			val[i] = safe_text(nv[i]);
		}
	xmlNodePtr src = xmlNewDocNode(doc, root->ns, (const xmlChar *)"source", NULL);
	if (root->children)
		xmlAddPrevSibling(root->children, src);
	else
		xmlAddChild(root, src);
	for (size_t i = 0; i < NSOURCE; i++) {
		if (!val[i] || !val[i][0])
			continue;
		xmlNodePtr c = xmlNewDocNode(doc, root->ns, (const xmlChar *)source_fields[i], NULL);
		xmlAddChild(src, c);
		canon_node_set_text(c, val[i], strlen(val[i]));
	}
	for (size_t i = 0; i < NSOURCE; i++)
		free(val[i]);
	return 0;
}

/* ------------------------------------------------- (de)serialisation */

/* Indented UTF-8 XML appended to out. */
int canon_serialize(xmlDocPtr doc, struct buf *out)
{
	if (!doc || !xmlDocGetRootElement(doc))
		return -EINVAL;
	xmlChar *mem = NULL;
	int len = 0;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	if (!mem || len < 0) {
		xmlFree(mem);
		return -ENOMEM;
	}
	int rc = buf_append(out, mem, (size_t)len);
	xmlFree(mem);
	return rc;
}

struct first_err {
	int set;
	int line;
	char msg[256];
};

/* Keep the first parser error (the later ones are usually consequences). */
#if LIBXML_VERSION >= 21200
static void on_parse_err(void *ud, const xmlError *e)
#else
static void on_parse_err(void *ud, xmlErrorPtr e)
#endif
{
	xmlParserCtxtPtr ctx = ud;
	struct first_err *f = ctx ? ctx->_private : NULL;
	if (!f || f->set || !e || e->level < XML_ERR_ERROR)
		return;
	f->set = 1;
	f->line = e->line;
	snprintf(f->msg, sizeof f->msg, "%s", e->message ? e->message : "not well-formed XML");
	size_t n = strlen(f->msg);
	while (n && (f->msg[n - 1] == '\n' || f->msg[n - 1] == ' '))
		f->msg[--n] = '\0';
}

/* A parser context that records its first error in f and prints nothing. */
static xmlParserCtxtPtr quiet_ctxt(struct first_err *f)
{
	xmlParserCtxtPtr ctx = xmlNewParserCtxt();
	if (!ctx)
		return NULL;
	memset(f, 0, sizeof *f);
	ctx->_private = f;
	ctx->sax->serror = on_parse_err;
	return ctx;
}

/* Parse a serialized record. */
int canon_parse(xmlDocPtr *out, const void *data, size_t len, struct buf *err)
{
	*out = NULL;
	if (len > CANON_MAX_RECORD) {
		buf_printf(err, "record too large (%zu bytes)", len);
		return -EINVAL;
	}
	int rc = -EINVAL;
	struct first_err fe;
	xmlParserCtxtPtr ctx = quiet_ctxt(&fe);
	if (!ctx)
		return -ENOMEM;
	xmlDocPtr doc = xmlCtxtReadMemory(ctx, data, (int)len, "record.xml", NULL,
					  XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
						  XML_PARSE_NOWARNING);
	if (!doc) {
		buf_printf(err, "line %d: %s", fe.set ? fe.line : 0,
			   fe.set ? fe.msg : "not well-formed XML");
		goto out;
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || !root->ns || !xmlStrEqual(root->ns->href, (const xmlChar *)CANON_NS)) {
		buf_printf(err, "line %ld: the root element is not in the canonical namespace %s",
			   root ? xmlGetLineNo(root) : 0L, CANON_NS);
		xmlFreeDoc(doc);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		buf_puts(err, "line 1: a canonical record must not have a DOCTYPE");
		xmlFreeDoc(doc);
		goto out;
	}
	*out = doc;
	rc = 0;
out:
	xmlFreeParserCtxt(ctx);
	return rc;
}

/* --------------------------------------------------------- validation */

struct schema_slot {
	char *path;
	xmlRelaxNGPtr rng;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct schema_slot g_slots[MAX_SCHEMAS];
static size_t g_nslots;

struct verr {
	struct buf *out;
	size_t n;
	xmlDocPtr doc;
};

/* First element child of n, or NULL. */
static xmlNodePtr first_el(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

/* Next element sibling of n, or NULL. */
static xmlNodePtr next_el(xmlNodePtr n)
{
	for (xmlNodePtr c = n->next; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

/* 1-based line of element target in canon_serialize's output: the declaration is line
 * 1, every start tag begins a line and an element with element children closes on a
 * line of its own (records hold no mixed content). 0 when not found. */
static long serialized_line(xmlDocPtr doc, xmlNodePtr target)
{
	xmlNodePtr n = xmlDocGetRootElement(doc);
	long line = 1;
	while (n) {
		line++;
		if (n == target)
			return line;
		xmlNodePtr c = first_el(n);
		if (c) {
			n = c;
			continue;
		}
		for (;;) {
			xmlNodePtr s = next_el(n);
			if (s) {
				n = s;
				break;
			}
			n = n->parent;
			if (!n || n->type != XML_ELEMENT_NODE)
				return 0;
			line++; /* its closing tag */
		}
	}
	return 0;
}

/* "/order/lines/line[2]/quantity" for messages. */
static void node_path(struct buf *b, xmlNodePtr n, int depth)
{
	if (!n || n->type != XML_ELEMENT_NODE || depth > 64)
		return;
	node_path(b, n->parent, depth + 1);
	buf_printf(b, "/%s", (const char *)n->name);
	size_t pos = 0, total = 0;
	if (n->parent && n->parent->type == XML_ELEMENT_NODE)
		for (xmlNodePtr s = n->parent->children; s; s = s->next)
			if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, n->name)) {
				total++;
				if (s == n)
					pos = total;
			}
	if (total > 1)
		buf_printf(b, "[%zu]", pos);
}

/* Collect one validation message. */
#if LIBXML_VERSION >= 21200
static void on_verr(void *ctx, const xmlError *e)
#else
static void on_verr(void *ctx, xmlErrorPtr e)
#endif
{
	struct verr *v = ctx;
	if (v->n++ >= MAX_VALID_ERRORS)
		return;
	struct buf line;
	buf_init(&line, 0);
	xmlNodePtr node = e->node;
	long ln = 0;
	if (node && node->type == XML_ELEMENT_NODE) {
		ln = xmlGetLineNo(node);
		if (ln <= 0)
			ln = serialized_line(v->doc, node);
	} else {
		ln = e->line;
	}
	buf_printf(&line, "line %ld", ln);
	if (node && node->type == XML_ELEMENT_NODE) {
		buf_puts(&line, " (");
		node_path(&line, node, 0);
		buf_puts(&line, ")");
	}
	buf_printf(&line, ": %s", e->message ? e->message : "invalid");
	while (line.len && (line.data[line.len - 1] == '\n' || line.data[line.len - 1] == ' '))
		line.data[--line.len] = '\0';
	if (v->out->len)
		buf_putc(v->out, '\n');
	buf_puts(v->out, line.data);
	buf_free(&line);
}

/* Collect one schema-compilation message. */
#if LIBXML_VERSION >= 21200
static void on_perr(void *ctx, const xmlError *e)
#else
static void on_perr(void *ctx, xmlErrorPtr e)
#endif
{
	struct buf *b = ctx;
	if (b->len)
		buf_putc(b, '\n');
	buf_printf(b, "%s:%d: %s", e->file ? e->file : "schema", e->line,
		   e->message ? e->message : "error");
	while (b->len && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
}

/* Parse and compile the schema at path (lock held). */
static int load_schema(const char *path, xmlRelaxNGPtr *out, struct buf *err)
{
	*out = NULL;
	int rc = -EINVAL;
	xmlRelaxNGParserCtxtPtr pc = NULL;
	xmlDocPtr doc = NULL;
	if (access(path, R_OK) != 0) {
		rc = -errno;
		buf_printf(err, "canonical schema %s: %s", path, strerror(errno));
		return rc;
	}
	struct first_err fe;
	xmlParserCtxtPtr ctx = quiet_ctxt(&fe);
	if (!ctx)
		return -ENOMEM;
	doc = xmlCtxtReadFile(ctx, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
						      XML_PARSE_NOWARNING);
	if (!doc) {
		buf_printf(err, "canonical schema %s:%d: %s", path, fe.line,
			   fe.set ? fe.msg : "not well-formed XML");
		rc = -EIO;
		goto out;
	}
	pc = xmlRelaxNGNewDocParserCtxt(doc);
	if (!pc) {
		rc = -ENOMEM;
		goto out;
	}
	xmlRelaxNGSetParserStructuredErrors(pc, on_perr, err);
	*out = xmlRelaxNGParse(pc);
	if (!*out) {
		if (!err->len)
			buf_printf(err, "canonical schema %s: not a valid RELAX NG grammar", path);
		rc = -EIO;
		goto out;
	}
	rc = 0;
out:
	if (pc)
		xmlRelaxNGFreeParserCtxt(pc);
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctx);
	return rc;
}

/* Validate a record against the schema at rng_path. */
int canon_validate(xmlDocPtr doc, const char *rng_path, struct buf *err)
{
	if (!doc || !rng_path || !xmlDocGetRootElement(doc))
		return -EINVAL;
	int rc;
	xmlRelaxNGPtr rng = NULL, own = NULL;
	pthread_mutex_lock(&g_lock);
	for (size_t i = 0; i < g_nslots; i++)
		if (strcmp(g_slots[i].path, rng_path) == 0)
			rng = g_slots[i].rng;
	if (!rng) {
		if ((rc = load_schema(rng_path, &rng, err)) < 0)
			goto out;
		if (g_nslots < MAX_SCHEMAS) {
			g_slots[g_nslots].path = xstrdup(rng_path);
			g_slots[g_nslots].rng = rng;
			g_nslots++;
		} else {
			own = rng;
		}
	}
	xmlRelaxNGValidCtxtPtr vc = xmlRelaxNGNewValidCtxt(rng);
	if (!vc) {
		rc = -ENOMEM;
		goto out;
	}
	struct verr v = { err, 0, doc };
	xmlRelaxNGSetValidStructuredErrors(vc, on_verr, &v);
	int r = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	if (r == 0) {
		rc = 0;
	} else {
		rc = -EINVAL;
		if (v.n > MAX_VALID_ERRORS)
			buf_printf(err, "\n(%zu more)", v.n - MAX_VALID_ERRORS);
		else if (v.n == 0)
			buf_puts(err, "the record does not match the canonical schema");
	}
out:
	if (own)
		xmlRelaxNGFree(own);
	pthread_mutex_unlock(&g_lock);
	return rc;
}

/* Free cached schemas. */
void canon_cleanup(void)
{
	pthread_mutex_lock(&g_lock);
	for (size_t i = 0; i < g_nslots; i++) {
		xmlRelaxNGFree(g_slots[i].rng);
		free(g_slots[i].path);
	}
	g_nslots = 0;
	pthread_mutex_unlock(&g_lock);
}

/* Check a record against the canonical schema, a failure as an application finding. */
int canon_check(xmlDocPtr doc, const char *rng_path, struct x12_errlist *errs)
{
	struct buf err;
	buf_init(&err, 0);
	int rc = canon_validate(doc, rng_path, &err) != 0 ? -1 : 0;
	if (rc < 0)
		x12_errlist_add_app(errs, "the canonical record does not match canonical.rng", err.data ? err.data : "");
	buf_free(&err);
	return rc;
}
