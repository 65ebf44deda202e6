/*
 * canon_path.c — compiled paths into canonical records (canon_path.h):
 * parse once, then find, create, count and iterate elements without
 * re-reading the text. Elements are matched by local name within the
 * canonical namespace; new elements take their parent's namespace.
 * Also the XML-text check every value passes before it enters a record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canon/canon.h"
#include "canon/canon_path.h"

/* Letters, digits and the punctuation canonical names use. */
static int name_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	if (first)
		return 0;
	return (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Length of the name at s (0 when none). */
static size_t name_len(const char *s)
{
	size_t n = 0;
	while (name_char(s[n], n == 0))
		n++;
	return n;
}

/* Copy n bytes as an xmlChar string. */
static xmlChar *dup_n(const char *s, size_t n)
{
	return (xmlChar *)span_dup((struct span){ s, n });
}

/* Free a compiled path's contents. */
void canon_path_clear(struct canon_path *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsteps; i++) {
		free(p->steps[i].name);
		free(p->steps[i].pattr);
		free(p->steps[i].pval);
	}
	free(p->steps);
	free(p->attr);
	free(p->text);
	memset(p, 0, sizeof *p);
}

/* Compile a canonical path. */
int canon_path_parse(struct canon_path *p, const char *text, const char **why)
{
	memset(p, 0, sizeof *p);
	p->text = xstrdup(text);
	const char *s = text;
	*why = NULL;
	if (strcmp(s, ".") == 0)
		return 0;
	if (s[0] == '.' && s[1] == '/')
		s += 2;
	while (s[0] == '.' && s[1] == '.' && s[2] == '/') {
		if (++p->up > CANON_PATH_MAX_STEPS) {
			*why = "too many '../' steps";
			goto bad;
		}
		s += 3;
	}
	if (*s == '/' && p->up) {
		*why = "'../' and a leading '/' do not mix";
		goto bad;
	}
	if (*s == '/') {
		p->absolute = 1;
		s++;
	}
	if (*s == '\0') {
		*why = "empty path";
		goto bad;
	}
	for (;;) {
		if (*s == '@') {
			size_t n = name_len(s + 1);
			if (n == 0 || n > CANON_PATH_MAX_NAME || s[1 + n] != '\0') {
				*why = "'@' must be followed by an attribute name at the end of the path";
				goto bad;
			}
			p->attr = dup_n(s + 1, n);
			return 0;
		}
		size_t n = name_len(s);
		if (n == 0) {
			*why = "expected an element name (letters, digits, '-', '_', '.')";
			goto bad;
		}
		if (n > CANON_PATH_MAX_NAME) {
			*why = "element name too long";
			goto bad;
		}
		if (p->nsteps == CANON_PATH_MAX_STEPS) {
			*why = "too many steps in the path";
			goto bad;
		}
		p->steps = xrealloc(p->steps, (p->nsteps + 1) * sizeof *p->steps);
		struct canon_path_step *st = &p->steps[p->nsteps++];
		memset(st, 0, sizeof *st);
		st->name = dup_n(s, n);
		s += n;
		if (*s == '[') {
			s++;
			if (*s != '@') {
				*why = "a condition is written [@attribute=value]";
				goto bad;
			}
			size_t an = name_len(s + 1);
			if (an == 0 || an > CANON_PATH_MAX_NAME || s[1 + an] != '=') {
				*why = "a condition is written [@attribute=value]";
				goto bad;
			}
			st->pattr = dup_n(s + 1, an);
			s += 1 + an + 1;
			const char *e = strchr(s, ']');
			if (!e) {
				*why = "missing ']'";
				goto bad;
			}
			if (canon_text_valid(s, (size_t)(e - s)) != 0) {
				*why = "invalid text in the condition";
				goto bad;
			}
			st->pval = dup_n(s, (size_t)(e - s));
			s = e + 1;
		}
		if (*s == '\0')
			return 0;
		if (*s != '/') {
			*why = "unexpected character (steps are separated by '/')";
			goto bad;
		}
		s++;
	}
bad:
	canon_path_clear(p);
	return -EINVAL;
}

/* n is an element of the canonical namespace named name. */
static int is_el(xmlNodePtr n, const xmlChar *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, name) &&
	       (!n->ns || xmlStrEqual(n->ns->href, (const xmlChar *)CANON_NS));
}

/* n satisfies a step (name and predicate). */
static int step_match(xmlNodePtr n, const struct canon_path_step *st)
{
	if (!is_el(n, st->name))
		return 0;
	if (!st->pattr)
		return 1;
	xmlAttrPtr a = xmlHasProp(n, st->pattr);
	if (!a)
		return 0;
	xmlNodePtr t = a->children;
	if (!t)
		return st->pval[0] == '\0';
	if (t->type == XML_TEXT_NODE && !t->next) /* the usual shape: no allocation */
		return xmlStrEqual(t->content, st->pval);
	xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
	int ok = v && xmlStrEqual(v, st->pval);
	xmlFree(v);
	return ok;
}

/* Where a path starts: at, the root element for absolute paths, or an ancestor of at
 * for "../" steps (NULL when there is none that high). */
static xmlNodePtr start_of(xmlNodePtr at, const struct canon_path *p)
{
	if (p->absolute && at && at->doc)
		return xmlDocGetRootElement(at->doc);
	for (unsigned i = 0; at && i < p->up; i++)
		at = at->parent && at->parent->type == XML_ELEMENT_NODE ? at->parent : NULL;
	return at;
}

/* First child of parent matching st. */
static xmlNodePtr child_match(xmlNodePtr parent, const struct canon_path_step *st)
{
	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (step_match(c, st))
			return c;
	return NULL;
}

/* First element at the path. */
xmlNodePtr canon_path_find(xmlNodePtr at, const struct canon_path *p)
{
	xmlNodePtr n = start_of(at, p);
	for (size_t i = 0; n && i < p->nsteps; i++)
		n = child_match(n, &p->steps[i]);
	return n;
}

/* Value at a path. */
char *canon_path_value(xmlNodePtr at, const struct canon_path *p)
{
	xmlNodePtr n = canon_path_find(at, p);
	if (!n)
		return NULL;
	xmlChar *v;
	if (p->attr) {
		if (!xmlHasProp(n, p->attr))
			return NULL;
		v = xmlGetProp(n, p->attr);
	} else {
		v = xmlNodeGetContent(n);
	}
	if (!v)
		return NULL;
	char *r = xstrdup((const char *)v);
	xmlFree(v);
	return r;
}

/* Append the text below n (text and CDATA, depth-first) to out. */
static void text_into(xmlNodePtr n, struct buf *out, int depth)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			buf_puts(out, (const char *)c->content);
		else if (c->type == XML_ELEMENT_NODE && depth < 64)
			text_into(c, out, depth + 1);
	}
}

/* Value at a path appended to out; 1 when the element (or attribute) exists, else 0. */
int canon_path_value_into(xmlNodePtr at, const struct canon_path *p, struct buf *out)
{
	xmlNodePtr n = canon_path_find(at, p);
	if (!n)
		return 0;
	if (p->attr) {
		xmlAttrPtr a = xmlHasProp(n, p->attr);
		if (!a)
			return 0;
		text_into((xmlNodePtr)a, out, 0);
		return 1;
	}
	text_into(n, out, 0);
	return 1;
}

/* A new element for step st under parent (predicate attribute set). */
static xmlNodePtr new_child(xmlNodePtr parent, const struct canon_path_step *st)
{
	xmlNsPtr ns = parent->ns;
	if (!ns) {
		xmlNodePtr root = parent->doc ? xmlDocGetRootElement(parent->doc) : NULL;
		ns = root ? root->ns : NULL;
	}
	xmlNodePtr c = xmlNewDocNode(parent->doc, ns, st->name, NULL);
	if (!c) {
		log_error("out of memory creating an XML element");
		abort();
	}
	xmlAddChild(parent, c);
	if (st->pattr)
		xmlSetProp(c, st->pattr, st->pval);
	return c;
}

/* Find or create the elements of the first n steps. */
static xmlNodePtr make_n(xmlNodePtr at, const struct canon_path *p, size_t nsteps)
{
	xmlNodePtr n = start_of(at, p);
	for (size_t i = 0; n && i < nsteps; i++) {
		xmlNodePtr c = child_match(n, &p->steps[i]);
		n = c ? c : new_child(n, &p->steps[i]);
	}
	return n;
}

/* Find or create the path's elements. */
xmlNodePtr canon_path_make(xmlNodePtr at, const struct canon_path *p)
{
	return make_n(at, p, p->nsteps);
}

/* Find or create the parents, then a new last element. */
xmlNodePtr canon_path_append(xmlNodePtr at, const struct canon_path *p)
{
	if (p->nsteps == 0)
		return start_of(at, p);
	xmlNodePtr parent = make_n(at, p, p->nsteps - 1);
	return parent ? new_child(parent, &p->steps[p->nsteps - 1]) : NULL;
}

/* Replace an element's content with raw text. */
void canon_node_set_text(xmlNodePtr n, const char *v, size_t len)
{
	if (n->children)
		xmlNodeSetContent(n, NULL);
	if (len)
		xmlNodeAddContentLen(n, (const xmlChar *)v, (int)len);
}

/* Make the path and set its value. */
xmlNodePtr canon_path_set(xmlNodePtr at, const struct canon_path *p, const char *v, size_t n)
{
	if (n > INT32_MAX || canon_text_valid(v, n) != 0)
		return NULL;
	return canon_path_put(at, p, v, n, 0);
}

/* Set a value known to be valid text; fresh: create every step without looking. */
xmlNodePtr canon_path_put(xmlNodePtr at, const struct canon_path *p, const char *v, size_t n,
			  int fresh)
{
	if (n > INT32_MAX)
		return NULL;
	xmlNodePtr e;
	if (fresh && p->nsteps && !p->absolute) {
		e = at;
		for (size_t i = 0; e && i < p->nsteps; i++)
			e = new_child(e, &p->steps[i]);
	} else {
		e = canon_path_make(at, p);
	}
	if (!e)
		return NULL;
	if (p->attr) {
		xmlChar *z = (xmlChar *)span_dup((struct span){ v, n });
		xmlSetProp(e, p->attr, z);
		free(z);
	} else {
		canon_node_set_text(e, v, n);
	}
	return e;
}

/* Depth-first walk over the matches of steps[i..]. */
static int each_from(xmlNodePtr n, const struct canon_path *p, size_t i, canon_path_fn fn,
		     void *ctx)
{
	if (i == p->nsteps) {
		if (p->attr && !xmlHasProp(n, p->attr))
			return 0;
		return fn(ctx, n);
	}
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (!step_match(c, &p->steps[i]))
			continue;
		int rc = each_from(c, p, i + 1, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

/* Visit every match. */
int canon_path_each(xmlNodePtr at, const struct canon_path *p, canon_path_fn fn, void *ctx)
{
	xmlNodePtr n = start_of(at, p);
	return n ? each_from(n, p, 0, fn, ctx) : 0;
}

/* Count one match. */
static int count_one(void *ctx, xmlNodePtr n)
{
	(void)n;
	(*(size_t *)ctx)++;
	return 0;
}

/* Count matches. */
size_t canon_path_count(xmlNodePtr at, const struct canon_path *p)
{
	size_t k = 0;
	canon_path_each(at, p, count_one, &k);
	return k;
}

/* UTF-8 with only XML 1.0 characters. */
int canon_text_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return -EILSEQ;
			i++;
			continue;
		}
		size_t len;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return -EILSEQ;
		}
		if (n - i < len)
			return -EILSEQ;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -EILSEQ;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return -EILSEQ; /* overlong or out of range */
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return -EILSEQ;
		i += len;
	}
	return 0;
}
