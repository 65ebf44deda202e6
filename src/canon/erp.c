/*
 * erp.c — ERP profiles: how canonical records become the ERP's import
 * files. A profile is a map file whose source is a canonical record kind
 * and whose target is one of three formats:
 *
 *   csv    RFC 4180 records, one record type per canonical context ("once"
 *          for the record, "each PATH" for every list element);
 *   fixed  the same record types as fixed-width lines: every column has a
 *          width (characters), left or right alignment, space or zero padding;
 *          a longer value is an error naming record, column and profile line
 *          unless the column says "truncate";
 *   xml    one element per record type below a root element the profile
 *          names; fields are "ELEMENT-PATH CANONICAL-PATH" pairs and
 *          "ELEMENT-PATH each PATH" opens an indented block repeated per
 *          element (libxml2 tree, serialized indented, UTF-8).
 *
 * csv and fixed may convert their output to an ASCII-compatible character
 * set ("encoding ISO-8859-1", iconv); a character it cannot hold is an
 * error. doc/edigw-map.5, "ERP profiles".
 *
 * Functions: erp_profile_load/free, erp_profile_kind/extension/paths,
 * erp_profile_header/footer (what an XML file starts and ends with: the
 * gateway writes them once per file around the records), erp_render,
 * erp_render_checked.
 *
 * Ownership: a profile owns its columns and compiled paths and is read-only
 * after loading (renderings may run concurrently: each call has its own
 * iconv descriptor and XML tree). erp_render appends to the caller's buffer
 * only when the whole record rendered. Output is deterministic: the same
 * record gives the same bytes.
 *
 * Limits: 32 record types, 512 columns per record or block, fixed-width
 * columns of 1 to 4096 characters and records of at most 65536, XML
 * "each" blocks nested at most 8 deep. The values come from a canonical
 * record that passed canonical.rng (valid UTF-8 XML text); messages name
 * columns and positions, never quote partner values.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlsave.h>

#include "canon/canon.h"
#include "canon/canon_lex.h"
#include "canon/canon_path.h"

#define ERP_MAX_RECORDS 32   /* record types per profile */
#define ERP_MAX_COLUMNS 512  /* columns per record type (XML: fields per block) */
#define ERP_MAX_WIDTH 4096   /* characters of one fixed-width column */
#define ERP_MAX_LINE 65536   /* characters of one fixed-width record */
#define ERP_MAX_DEPTH 8      /* XML "each" blocks inside one another */

enum erp_format { ERP_CSV, ERP_FIXED, ERP_XML };

struct erp_block;

struct erp_column {
	size_t line;
	char *literal;          /* a "quoted" constant, or NULL */
	struct canon_path path; /* otherwise: where the value comes from (each: the elements) */
	int required;
	char *def;              /* default when empty, or NULL */
	/* fixed */
	size_t width;           /* characters; 0: not given */
	size_t start;           /* 1-based first character in the line */
	int right, left, zero, truncate;
	/* xml */
	struct canon_path out;  /* element or attribute written, relative to the block's element */
	struct erp_block *sub;  /* "each": the fields of every repeated element */
};

struct erp_block {
	struct erp_column *cols;
	size_t ncols;
	size_t indent;          /* of its lines; 0 until the first */
};

struct erp_record {
	size_t line;
	char *label;            /* xml: the element name */
	int each;               /* 0: once per record; 1: once per element at path */
	struct canon_path path;
	struct erp_block b;
	size_t width;           /* fixed: characters of the line */
};

struct erp_profile {
	char *file;
	char *name;
	char *kind;             /* source: canonical record kind */
	char *format;           /* target as written */
	enum erp_format fmt;
	char delim;
	int crlf;
	size_t crlf_line, delim_line;
	char *encoding;         /* output character set, NULL: UTF-8 */
	char *root;             /* xml: root element */
	char *ns;               /* xml: default namespace of the root, or NULL */
	struct erp_record *recs;
	size_t nrecs;
};

static void block_clear(struct erp_block *b);

/* Free a column's parts (its block, for "each"). */
static void column_clear(struct erp_column *c)
{
	free(c->literal);
	free(c->def);
	canon_path_clear(&c->path);
	canon_path_clear(&c->out);
	if (c->sub) {
		block_clear(c->sub);
		free(c->sub);
	}
	memset(c, 0, sizeof *c);
}

/* Free a block's columns (recursively). */
static void block_clear(struct erp_block *b)
{
	for (size_t k = 0; k < b->ncols; k++)
		column_clear(&b->cols[k]);
	free(b->cols);
	memset(b, 0, sizeof *b);
}

/* Free a profile. */
void erp_profile_free(struct erp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nrecs; i++) {
		struct erp_record *r = &p->recs[i];
		block_clear(&r->b);
		free(r->label);
		canon_path_clear(&r->path);
	}
	free(p->recs);
	free(p->file);
	free(p->name);
	free(p->kind);
	free(p->format);
	free(p->encoding);
	free(p->root);
	free(p->ns);
	free(p);
}

/* Record kind the profile reads. */
const char *erp_profile_kind(const struct erp_profile *p)
{
	return p->kind;
}

/* Output file name extension. */
const char *erp_profile_extension(const struct erp_profile *p)
{
	switch (p->fmt) {
	case ERP_FIXED:
		return "txt";
	case ERP_XML:
		return "xml";
	case ERP_CSV:
		break;
	}
	return "csv";
}

/* What an XML file starts with: the declaration and the root's start tag. */
int erp_profile_header(const struct erp_profile *p, struct buf *out)
{
	if (!p || p->fmt != ERP_XML)
		return 0;
	if (p->ns)
		return buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"%s\">\n",
				  p->root, p->ns);
	return buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s>\n", p->root);
}

/* What an XML file ends with: the root's end tag. */
int erp_profile_footer(const struct erp_profile *p, struct buf *out)
{
	if (!p || p->fmt != ERP_XML)
		return 0;
	return buf_printf(out, "</%s>\n", p->root);
}

/* The canonical paths of a block, below base (NULL: the root). */
static void block_paths(const struct erp_block *b, const char *base, erp_path_fn fn, void *ctx)
{
	for (size_t k = 0; k < b->ncols; k++) {
		const struct erp_column *c = &b->cols[k];
		if (c->sub) {
			char *sb = base && !c->path.absolute ? xasprintf("%s/%s", base, c->path.text)
							     : xstrdup(c->path.text);
			fn(ctx, sb, NULL, c->line);
			block_paths(c->sub, sb, fn, ctx);
			free(sb);
		} else if (!c->literal) {
			fn(ctx, base, c->path.text, c->line);
		}
	}
}

/* Every canonical path the profile reads. */
void erp_profile_paths(const struct erp_profile *p, erp_path_fn fn, void *ctx)
{
	for (size_t i = 0; i < p->nrecs; i++) {
		const struct erp_record *r = &p->recs[i];
		const char *base = r->each ? r->path.text : NULL;
		if (base)
			fn(ctx, base, NULL, r->line);
		block_paths(&r->b, base, fn, ctx);
	}
}

/* ------------------------------------------------------------- loading */

/* A header directive with exactly one argument. */
static int one_arg(const struct canon_line *l, const char *file, struct diag_list *d)
{
	if (l->ntok != 2) {
		diag_error(d, file, l->lineno, "'%s' takes exactly one value", l->tok[0].s);
		return 0;
	}
	return 1;
}

/* Characters (code points) of valid UTF-8 text. */
static size_t utf8_chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/* Bytes of the first max characters of valid UTF-8 text. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
	size_t k = 0, i = 0;
	for (; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (k == max)
				break;
			k++;
		}
	}
	return i;
}

/* The code point at s (valid UTF-8). */
static unsigned utf8_at(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!n)
		return 0;
	unsigned c = p[0];
	size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	unsigned cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
	for (size_t i = 1; i < len && i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

/* A number 'zero' can pad: an optional sign, digits with at most one '.', one digit at least. */
static int is_number(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	int digits = 0, dots = 0;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (*s == '.' && !dots)
			dots++;
		else
			return 0;
	}
	return digits > 0;
}

/* Convert UTF-8 text to cs through cd (reset first) into out. -EILSEQ with the byte
 * offset of the character cs cannot hold in *bad; -ENOSPC at out's cap. */
static int encode(iconv_t cd, const char *s, size_t n, struct buf *out, size_t *bad)
{
	char *ip = (char *)s;
	size_t il = n;
	char tmp[1024];
	iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		char *op = tmp;
		size_t ol = sizeof tmp;
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		if (buf_append(out, tmp, sizeof tmp - ol) < 0)
			return -ENOSPC;
		if (r == (size_t)-1 && errno != E2BIG) {
			*bad = (size_t)(ip - s);
			return -EILSEQ;
		}
	}
	char *op = tmp;
	size_t ol = sizeof tmp;
	iconv(cd, NULL, NULL, &op, &ol);
	return buf_append(out, tmp, sizeof tmp - ol);
}

/* An iconv descriptor from UTF-8 to the profile's encoding; (iconv_t)-1 for UTF-8. */
static iconv_t open_encoding(const struct erp_profile *p)
{
	if (!p->encoding)
		return (iconv_t)-1;
	return iconv_open(p->encoding, "UTF-8");
}

/* Load-time check: the encoding exists and writes printable ASCII, CR and LF unchanged
 * (padding, delimiters and line ends are ASCII). */
static void check_encoding(struct erp_profile *p, size_t line, struct diag_list *d)
{
	static const char probe[] = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\t\r\n";
	iconv_t cd = open_encoding(p);
	if (cd == (iconv_t)-1) {
		diag_error(d, p->file, line, "encoding '%s' is not a character set iconv knows "
			   "(ISO-8859-1, WINDOWS-1252, UTF-8, ...)", p->encoding);
		return;
	}
	struct buf b;
	buf_init(&b, 0);
	size_t bad = 0;
	if (encode(cd, probe, sizeof probe - 1, &b, &bad) != 0 || b.len != sizeof probe - 1 ||
	    memcmp(b.data, probe, b.len) != 0)
		diag_error(d, p->file, line, "encoding '%s' does not write ASCII as ASCII "
			   "(UTF-16, EBCDIC): not supported", p->encoding);
	buf_free(&b);
	iconv_close(cd);
}

/* Load-time check of a literal or default: valid text the encoding can hold. */
static int check_text(struct erp_profile *p, iconv_t cd, const char *what, const char *v,
		      size_t line, struct diag_list *d)
{
	size_t n = strlen(v);
	if ((p->fmt != ERP_CSV || cd != (iconv_t)-1) && canon_text_valid(v, n) != 0) {
		diag_error(d, p->file, line, "%s is not valid UTF-8 text", what);
		return 0;
	}
	if (p->fmt == ERP_FIXED && (memchr(v, '\r', n) || memchr(v, '\n', n))) {
		diag_error(d, p->file, line, "%s holds a line break, which a fixed-width record "
			   "cannot carry", what);
		return 0;
	}
	if (cd == (iconv_t)-1)
		return 1;
	struct buf b;
	buf_init(&b, 0);
	size_t bad = 0;
	int ok = encode(cd, v, n, &b, &bad) == 0;
	if (!ok)
		diag_error(d, p->file, line, "%s holds U+%04X, which %s cannot hold", what,
			   utf8_at(v + bad, n - bad), p->encoding);
	buf_free(&b);
	return ok;
}

/* An XML field line: "OUT CANONICAL-PATH [options]", "OUT \"constant\"" or "OUT each PATH"
 * (then *sub is the block it opens). Returns 0 when the line is good. */
static int parse_xml_field(struct erp_profile *p, struct erp_column *c, const struct canon_line *l,
			   size_t depth, struct diag_list *d)
{
	const char *why;
	if (l->ntok < 2 || l->tok[0].quoted) {
		diag_error(d, p->file, l->lineno, "write 'ELEMENT-PATH CANONICAL-PATH' "
			   "(or 'ELEMENT-PATH each PATH') in an XML profile");
		return -1;
	}
	if (canon_path_parse(&c->out, l->tok[0].s, &why) != 0) {
		diag_error(d, p->file, l->lineno, "bad element path '%s': %s", l->tok[0].s, why);
		return -1;
	}
	if (c->out.absolute || c->out.up) {
		diag_error(d, p->file, l->lineno, "element path '%s' must be relative to the record's "
			   "element (no leading '/' or '../')", l->tok[0].s);
		return -1;
	}
	if (!l->tok[1].quoted && strcmp(l->tok[1].s, "each") == 0) {
		if (l->ntok != 3) {
			diag_error(d, p->file, l->lineno, "write 'ELEMENT-PATH each PATH'");
			return -1;
		}
		if (c->out.nsteps == 0 || c->out.attr) {
			diag_error(d, p->file, l->lineno, "'each' repeats an element: '%s' is not an "
				   "element path", l->tok[0].s);
			return -1;
		}
		if (depth >= ERP_MAX_DEPTH) {
			diag_error(d, p->file, l->lineno, "'each' blocks nested too deep (at most %d)",
				   ERP_MAX_DEPTH);
			return -1;
		}
		if (canon_path_parse(&c->path, l->tok[2].s, &why) != 0) {
			diag_error(d, p->file, l->lineno, "bad canonical path '%s': %s", l->tok[2].s, why);
			return -1;
		}
		if (c->path.attr || c->path.nsteps == 0 || c->path.up) {
			diag_error(d, p->file, l->lineno, "'each' needs a path to elements below the "
				   "current one, not '%s'", l->tok[2].s);
			return -1;
		}
		c->sub = xcalloc(1, sizeof *c->sub);
		return 0;
	}
	if (l->tok[1].quoted) {
		c->literal = xstrdup(l->tok[1].s);
	} else if (canon_path_parse(&c->path, l->tok[1].s, &why) != 0) {
		diag_error(d, p->file, l->lineno, "bad canonical path '%s': %s", l->tok[1].s, why);
		return -1;
	}
	int ok = 1;
	for (size_t i = 2; i < l->ntok; i++) {
		const char *o = l->tok[i].s;
		if (strcmp(o, "required") == 0 && !l->tok[i].quoted) {
			c->required = 1;
		} else if (strcmp(o, "default") == 0 && !l->tok[i].quoted && i + 1 < l->ntok) {
			free(c->def);
			c->def = xstrdup(l->tok[++i].s);
		} else if (strcmp(o, "default") == 0 && !l->tok[i].quoted) {
			diag_error(d, p->file, l->lineno, "'default' needs a value");
			ok = 0;
		} else {
			diag_error(d, p->file, l->lineno,
				   "unknown field option '%s' (expected required or default VALUE)", o);
			ok = 0;
		}
	}
	return ok ? 0 : -1;
}

/* Options of a csv or fixed column (tokens from 1 on). Returns 0 when good. */
static int parse_options(struct erp_profile *p, struct erp_column *c, const struct canon_line *l,
			 struct diag_list *d)
{
	int ok = 1;
	int fixed = p->fmt == ERP_FIXED;
	for (size_t i = 1; i < l->ntok; i++) {
		const char *o = l->tok[i].s;
		int word = !l->tok[i].quoted;
		int fixed_opt = word && (strcmp(o, "width") == 0 || strcmp(o, "left") == 0 ||
					 strcmp(o, "right") == 0 || strcmp(o, "zero") == 0 ||
					 strcmp(o, "truncate") == 0);
		if (word && strcmp(o, "required") == 0) {
			c->required = 1;
		} else if (word && strcmp(o, "default") == 0) {
			if (i + 1 >= l->ntok) {
				diag_error(d, p->file, l->lineno, "'default' needs a value");
				return -1;
			}
			free(c->def);
			c->def = xstrdup(l->tok[++i].s);
		} else if (fixed_opt && !fixed) {
			diag_error(d, p->file, l->lineno, "'%s' is an option of target fixed", o);
			ok = 0;
		} else if (word && strcmp(o, "width") == 0) {
			uint64_t w = 0;
			if (i + 1 >= l->ntok || str_to_u64(l->tok[i + 1].s, &w) != 0 || w < 1 ||
			    w > ERP_MAX_WIDTH) {
				diag_error(d, p->file, l->lineno, "'width' needs a number of characters "
					   "from 1 to %d", ERP_MAX_WIDTH);
				return -1;
			}
			i++;
			c->width = (size_t)w;
		} else if (word && strcmp(o, "left") == 0) {
			c->left = 1;
		} else if (word && strcmp(o, "right") == 0) {
			c->right = 1;
		} else if (word && strcmp(o, "zero") == 0) {
			c->zero = 1;
		} else if (word && strcmp(o, "truncate") == 0) {
			c->truncate = 1;
		} else {
			diag_error(d, p->file, l->lineno, "unknown column option '%s' (expected %s)", o,
				   fixed ? "width N, left, right, zero, truncate, required or default VALUE"
					 : "required or default VALUE");
			ok = 0;
		}
	}
	if (!ok)
		return -1;
	if (fixed && !c->width) {
		diag_error(d, p->file, l->lineno, "a fixed-width column needs 'width N'");
		return -1;
	}
	if (c->left && (c->right || c->zero)) {
		diag_error(d, p->file, l->lineno, "'left' does not go with '%s'",
			   c->right ? "right" : "zero (zero-padded numbers are right-aligned)");
		return -1;
	}
	if (c->zero && c->truncate) {
		diag_error(d, p->file, l->lineno, "a number is never cut: 'zero' and 'truncate' do not mix");
		return -1;
	}
	if (c->zero)
		c->right = 1;
	return 0;
}

/* Parse one column (field) line into block b. */
static struct erp_column *parse_column(struct erp_profile *p, struct erp_block *b, const char *label,
				       const struct canon_line *l, size_t depth, struct diag_list *d)
{
	if (b->ncols == ERP_MAX_COLUMNS) {
		diag_error(d, p->file, l->lineno, "too many columns in record %s (at most %d)", label,
			   ERP_MAX_COLUMNS);
		return NULL;
	}
	struct erp_column c = { 0 };
	c.line = l->lineno;
	int ok;
	if (p->fmt == ERP_XML) {
		ok = parse_xml_field(p, &c, l, depth, d) == 0;
	} else {
		ok = 1;
		if (l->tok[0].quoted) {
			c.literal = xstrdup(l->tok[0].s);
		} else {
			const char *why;
			if (canon_path_parse(&c.path, l->tok[0].s, &why) != 0) {
				diag_error(d, p->file, l->lineno, "bad canonical path '%s': %s",
					   l->tok[0].s, why);
				ok = 0;
			}
		}
		if (parse_options(p, &c, l, d) != 0)
			ok = 0;
	}
	if (ok && c.literal && (c.required || c.def)) {
		diag_error(d, p->file, l->lineno, "a constant column takes no options");
		ok = 0;
	}
	if (ok && p->fmt == ERP_FIXED) {
		const char *v = c.literal ? c.literal : c.def;
		if (v && !c.truncate && utf8_chars(v, strlen(v)) > c.width) {
			diag_error(d, p->file, l->lineno, "%s '%s' is longer than the column's width %zu",
				   c.literal ? "the constant" : "the default", v, c.width);
			ok = 0;
		}
		if (v && c.zero && !is_number(v)) {
			diag_error(d, p->file, l->lineno, "'zero' pads numbers: '%s' is not one", v);
			ok = 0;
		}
	}
	if (!ok) {
		column_clear(&c);
		return NULL;
	}
	b->cols = xrealloc(b->cols, (b->ncols + 1) * sizeof *b->cols);
	b->cols[b->ncols] = c;
	return &b->cols[b->ncols++];
}

/* Parse "record LABEL once" / "record LABEL each PATH". */
static struct erp_record *parse_record(struct erp_profile *p, const struct canon_line *l,
				       struct diag_list *d)
{
	const char *file = p->file;
	if (p->nrecs == ERP_MAX_RECORDS) {
		diag_error(d, file, l->lineno, "too many record types (at most %d)", ERP_MAX_RECORDS);
		return NULL;
	}
	struct erp_record r = { 0 };
	r.line = l->lineno;
	if (l->ntok < 3) {
		diag_error(d, file, l->lineno, "write 'record LABEL once' or 'record LABEL each PATH'");
		return NULL;
	}
	if (p->fmt == ERP_XML) {
		struct canon_path np;
		const char *why;
		int good = canon_path_parse(&np, l->tok[1].s, &why) == 0 && np.nsteps == 1 &&
			   !np.attr && !np.absolute && !np.up && !np.steps[0].pattr;
		canon_path_clear(&np);
		if (!good || l->tok[1].quoted) {
			diag_error(d, file, l->lineno, "record '%s': in an XML profile the label is the "
				   "element's name (letters, digits, '-', '_', '.')", l->tok[1].s);
			return NULL;
		}
	}
	if (strcmp(l->tok[2].s, "once") == 0 && l->ntok == 3) {
		r.each = 0;
	} else if (strcmp(l->tok[2].s, "each") == 0 && l->ntok == 4) {
		const char *why;
		r.each = 1;
		if (canon_path_parse(&r.path, l->tok[3].s, &why) != 0) {
			diag_error(d, file, l->lineno, "bad canonical path '%s': %s", l->tok[3].s, why);
			return NULL;
		}
		if (r.path.attr || r.path.nsteps == 0) {
			diag_error(d, file, l->lineno, "'each' needs a path to elements, not '%s'",
				   l->tok[3].s);
			canon_path_clear(&r.path);
			return NULL;
		}
	} else {
		diag_error(d, file, l->lineno, "write 'record LABEL once' or 'record LABEL each PATH'");
		return NULL;
	}
	for (size_t i = 0; i < p->nrecs; i++)
		if (strcmp(p->recs[i].label, l->tok[1].s) == 0) {
			diag_error(d, file, l->lineno, "duplicate record %s (first at line %zu)",
				   l->tok[1].s, p->recs[i].line);
			canon_path_clear(&r.path);
			return NULL;
		}
	r.label = xstrdup(l->tok[1].s);
	p->recs = xrealloc(p->recs, (p->nrecs + 1) * sizeof *p->recs);
	p->recs[p->nrecs] = r;
	return &p->recs[p->nrecs++];
}

/* The target named by the file's first "target" line (csv when none or unknown), so that
 * column lines are read the target's way wherever the line is. */
static enum erp_format prescan_target(const struct canon_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct canon_line *l = &lines[i];
		if (l->indent || l->tok[0].quoted || strcmp(l->tok[0].s, "target") != 0 || l->ntok != 2)
			continue;
		if (strcmp(l->tok[1].s, "fixed") == 0)
			return ERP_FIXED;
		if (strcmp(l->tok[1].s, "xml") == 0)
			return ERP_XML;
		return ERP_CSV;
	}
	return ERP_CSV;
}

/* Length of an attribute path's element part ("Quantity/@unit": 8; "@id": 0). */
static size_t element_part(const char *t)
{
	const char *at = strrchr(t, '@');
	return at && at > t ? (size_t)(at - t - 1) : 0;
}

/* XML: what would give mixed content, a lost value or an attribute on the wrong element is
 * refused: an element that gets text ("." or an element path) and child elements, the same
 * attribute twice, an empty "each" block, an attribute line before the text line of its
 * element (it would make the element, the text line a second one). */
static void check_xml_block(struct erp_profile *p, const struct erp_block *b, struct diag_list *d)
{
	for (size_t i = 0; i < b->ncols; i++) {
		const struct erp_column *a = &b->cols[i];
		if (a->sub) {
			if (a->sub->ncols == 0)
				diag_error(d, p->file, a->line, "'each' has no indented fields below it");
			check_xml_block(p, a->sub, d);
			continue;
		}
		if (a->out.attr) {
			size_t n = element_part(a->out.text);
			for (size_t k = 0; k < b->ncols; k++) {
				const struct erp_column *o = &b->cols[k];
				if (k < i && !o->sub && strcmp(o->out.text, a->out.text) == 0) {
					diag_error(d, p->file, a->line, "attribute %s is written twice (first "
						   "at line %zu)", a->out.text, o->line);
					break;
				}
				if (k > i && n && !o->sub && !o->out.attr && strlen(o->out.text) == n &&
				    strncmp(o->out.text, a->out.text, n) == 0) {
					diag_error(d, p->file, a->line, "write the text line of %s (line %zu) "
						   "before its attribute %s", o->out.text, o->line, a->out.text);
					break;
				}
			}
			continue;
		}
		/* a text element: no other line may write into it */
		size_t n = strlen(a->out.text);
		int self = a->out.nsteps == 0;
		for (size_t k = 0; k < b->ncols; k++) {
			const struct erp_column *o = &b->cols[k];
			const char *t = o->out.text;
			int into = self ? o->out.nsteps > 0 || (!o->out.attr && k > i)
					: strncmp(t, a->out.text, n) == 0 && t[n] == '/' && t[n + 1] != '@';
			if (k != i && into) {
				diag_error(d, p->file, o->line, "%s would write into %s, whose text line %zu "
					   "writes: mixed content is not supported", t,
					   self ? "the block's element" : a->out.text, a->line);
				break;
			}
		}
	}
}

/* Checks once the whole file is read. */
static void check_profile(struct erp_profile *p, struct diag_list *d)
{
	const char *path = p->file;
	if (!p->kind)
		diag_error(d, path, 0, "no 'source' line: which record kind does the profile read?");
	if (!p->format)
		diag_error(d, path, 0, "no 'target' line (target csv, fixed or xml)");
	if (p->nrecs == 0)
		diag_error(d, path, 0, "no 'record' lines: the profile writes nothing");
	if (p->fmt == ERP_XML && !p->root)
		diag_error(d, path, 0, "no 'root' line: an XML file needs its root element (root Orders)");
	for (size_t i = 0; i < p->nrecs; i++) {
		struct erp_record *r = &p->recs[i];
		if (r->b.ncols == 0)
			diag_error(d, path, r->line, "record %s has no columns", r->label);
		if (p->fmt == ERP_XML)
			check_xml_block(p, &r->b, d);
		if (p->fmt != ERP_FIXED)
			continue;
		size_t at = 1;
		for (size_t k = 0; k < r->b.ncols; k++) {
			r->b.cols[k].start = at;
			at += r->b.cols[k].width;
		}
		r->width = at - 1;
		if (r->width > ERP_MAX_LINE)
			diag_error(d, path, r->line, "record %s is %zu characters wide (at most %d)",
				   r->label, r->width, ERP_MAX_LINE);
	}
}

/* Literals and defaults the encoding must hold, checked after loading (recursively). */
static void check_texts(struct erp_profile *p, const struct erp_block *b, iconv_t cd,
			struct diag_list *d)
{
	for (size_t k = 0; k < b->ncols; k++) {
		const struct erp_column *c = &b->cols[k];
		if (c->sub)
			check_texts(p, c->sub, cd, d);
		if (c->literal)
			check_text(p, cd, "the constant", c->literal, c->line, d);
		if (c->def)
			check_text(p, cd, "the default", c->def, c->line, d);
	}
}

struct blockpos {
	struct erp_block *b;
	size_t opener;  /* indentation of the line that opened it */
	size_t depth;   /* each blocks around it */
};

/* Which open block an indented line belongs to: the innermost whose indentation it has
 * (a new block takes the first line's, deeper than its opener). -1 when none. */
static int find_block(struct blockpos *st, size_t n, size_t indent)
{
	for (size_t k = n; k-- > 0;) {
		struct erp_block *b = st[k].b;
		if (b->indent == 0 && indent > st[k].opener) {
			b->indent = indent;
			return (int)k;
		}
		if (b->indent == indent)
			return (int)k;
		if (b->indent != 0 && indent > b->indent)
			return -1;
	}
	return -1;
}

/* Load a profile. */
int erp_profile_load(struct erp_profile **out, const char *path, struct diag_list *d)
{
	*out = NULL;
	struct canon_line *lines = NULL;
	size_t nlines = 0;
	size_t before = d->nerrors;
	canon_lex_file(&lines, &nlines, path, d);
	struct erp_profile *p = xcalloc(1, sizeof *p);
	p->file = xstrdup(path);
	p->delim = ',';
	p->crlf = 1;
	p->fmt = prescan_target(lines, nlines);
	struct erp_record *cur = NULL;
	struct blockpos st[ERP_MAX_DEPTH + 1];
	size_t nst = 0;
	int bad_record = 0; /* columns after a record line that failed */
	size_t skip_below = 0;
	for (size_t i = 0; i < nlines; i++) {
		const struct canon_line *l = &lines[i];
		const char *k = l->tok[0].s;
		if (l->indent == 0)
			skip_below = 0;
		if (l->indent > 0) {
			if (!cur) {
				if (!bad_record)
					diag_error(d, path, l->lineno,
						   "a column outside a record (write 'record LABEL once' first)");
				continue;
			}
			if (skip_below && l->indent > skip_below)
				continue; /* the block of an "each" line that failed */
			skip_below = 0;
			int at = find_block(st, nst, l->indent);
			if (at < 0) {
				if (nst == 1)
					diag_error(d, path, l->lineno, "bad indentation: columns of record "
						   "%s are indented by %zu spaces", cur->label, st[0].b->indent);
				else
					diag_error(d, path, l->lineno, "bad indentation: a line of record %s "
						   "lines up with no block above it", cur->label);
				continue;
			}
			nst = (size_t)at + 1;
			struct erp_column *c = parse_column(p, st[at].b, cur->label, l, st[at].depth, d);
			if (!c && p->fmt == ERP_XML && l->ntok > 1 && !l->tok[1].quoted &&
			    strcmp(l->tok[1].s, "each") == 0)
				skip_below = l->indent;
			if (c && c->sub) {
				st[nst].b = c->sub;
				st[nst].opener = l->indent;
				st[nst].depth = st[at].depth + 1;
				nst++;
			}
			continue;
		}
		if (l->tok[0].quoted) {
			diag_error(d, path, l->lineno, "a column must be indented under its record");
			continue;
		}
		if (strcmp(k, "record") == 0) {
			cur = parse_record(p, l, d);
			bad_record = cur == NULL;
			if (cur) {
				st[0].b = &cur->b;
				st[0].opener = 0;
				st[0].depth = 0;
				nst = 1;
			}
			continue;
		}
		cur = NULL;
		bad_record = 0;
		if (strcmp(k, "map") == 0) {
			if (one_arg(l, path, d)) {
				free(p->name);
				p->name = xstrdup(l->tok[1].s);
			}
		} else if (strcmp(k, "source") == 0) {
			if (one_arg(l, path, d)) {
				free(p->kind);
				p->kind = xstrdup(l->tok[1].s);
			}
		} else if (strcmp(k, "target") == 0) {
			if (one_arg(l, path, d)) {
				const char *t = l->tok[1].s;
				if (strcmp(t, "csv") != 0 && strcmp(t, "fixed") != 0 && strcmp(t, "xml") != 0)
					diag_error(d, path, l->lineno,
						   "target '%s' is not supported (csv, fixed or xml)", t);
				else if (p->format && strcmp(p->format, t) != 0)
					diag_error(d, path, l->lineno, "a second target line ('%s', the "
						   "first says '%s')", t, p->format);
				free(p->format);
				p->format = xstrdup(t);
			}
		} else if (strcmp(k, "delimiter") == 0) {
			if (!one_arg(l, path, d))
				continue;
			const char *v = l->tok[1].s;
			p->delim_line = l->lineno;
			if (strcmp(v, "tab") == 0)
				p->delim = '\t';
			else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\r' && v[0] != '\n' &&
				 (unsigned char)v[0] >= 0x20 && (unsigned char)v[0] < 0x7f)
				p->delim = v[0];
			else
				diag_error(d, path, l->lineno,
					   "delimiter must be one printable character other than '\"', or tab");
		} else if (strcmp(k, "line-ending") == 0) {
			if (!one_arg(l, path, d))
				continue;
			p->crlf_line = l->lineno;
			if (strcmp(l->tok[1].s, "crlf") == 0)
				p->crlf = 1;
			else if (strcmp(l->tok[1].s, "lf") == 0)
				p->crlf = 0;
			else
				diag_error(d, path, l->lineno, "line-ending is crlf or lf, not '%s'",
					   l->tok[1].s);
		} else if (strcmp(k, "encoding") == 0) {
			if (!one_arg(l, path, d))
				continue;
			const char *v = l->tok[1].s;
			if (p->fmt == ERP_XML) {
				diag_error(d, path, l->lineno, "an XML file is written in UTF-8: "
					   "'encoding' is for target csv and fixed");
			} else if (!*v || strchr(v, '/') || strlen(v) > 64) {
				diag_error(d, path, l->lineno, "encoding is a character set name "
					   "(ISO-8859-1, WINDOWS-1252), without '//' suffixes");
			} else {
				free(p->encoding);
				p->encoding = strcasecmp(v, "UTF-8") == 0 ? NULL : xstrdup(v);
				if (p->encoding)
					check_encoding(p, l->lineno, d);
			}
		} else if (strcmp(k, "root") == 0 || strcmp(k, "namespace") == 0) {
			if (!one_arg(l, path, d))
				continue;
			const char *v = l->tok[1].s;
			if (p->fmt != ERP_XML) {
				diag_error(d, path, l->lineno, "'%s' is for target xml", k);
			} else if (k[0] == 'r') {
				struct canon_path np;
				const char *why;
				int good = canon_path_parse(&np, v, &why) == 0 && np.nsteps == 1 &&
					   !np.attr && !np.absolute && !np.up && !np.steps[0].pattr;
				canon_path_clear(&np);
				if (!good) {
					diag_error(d, path, l->lineno, "root '%s' is not an element name "
						   "(letters, digits, '-', '_', '.')", v);
				} else {
					free(p->root);
					p->root = xstrdup(v);
				}
			} else {
				int good = *v != '\0';
				for (const char *s = v; *s; s++)
					if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
					    strchr("\"<>&'", *s))
						good = 0;
				if (!good) {
					diag_error(d, path, l->lineno, "namespace must be a URI of printable "
						   "ASCII without blanks, quotes, '<', '>' or '&'");
				} else {
					free(p->ns);
					p->ns = xstrdup(v);
				}
			}
		} else {
			diag_error(d, path, l->lineno,
				   "unknown directive '%s' (expected map, source, target, delimiter, "
				   "line-ending, encoding, root, namespace or record)", k);
		}
	}
	if (p->fmt != ERP_CSV && p->delim_line)
		diag_error(d, path, p->delim_line, "'delimiter' is for target csv");
	if (p->fmt == ERP_XML && p->crlf_line)
		diag_error(d, path, p->crlf_line, "an XML file's lines end in LF: 'line-ending' is for "
			   "target csv and fixed");
	if (d->nerrors == before) {
		check_profile(p, d);
		iconv_t cd = open_encoding(p);
		for (size_t i = 0; i < p->nrecs; i++)
			check_texts(p, &p->recs[i].b, cd, d);
		if (cd != (iconv_t)-1)
			iconv_close(cd);
	}
	canon_lex_free(lines, nlines);
	if (d->nerrors != before) {
		erp_profile_free(p);
		return -EINVAL;
	}
	if (!p->name)
		p->name = xstrdup(path);
	*out = p;
	return 0;
}

/* ----------------------------------------------------------- rendering */

/* One CSV field, quoted per RFC 4180 when it holds the delimiter, a quote, CR or LF. */
static void put_field(struct buf *b, const char *v, size_t n, char delim)
{
	int q = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] == delim || v[i] == '"' || v[i] == '\r' || v[i] == '\n')
			q = 1;
	if (!q) {
		buf_append(b, v, n);
		return;
	}
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '"')
			buf_putc(b, '"');
		buf_putc(b, v[i]);
	}
	buf_putc(b, '"');
}

struct render {
	const struct erp_profile *p;
	const struct erp_record *r;
	struct buf *out;     /* csv, fixed: the record's lines */
	struct buf *err;
	size_t index;        /* 1-based element number for messages */
	struct buf val;      /* the current field's value */
	struct buf enc;      /* the field in the output encoding */
	iconv_t cd;          /* to the output encoding, or (iconv_t)-1 */
	xmlNodePtr xroot;    /* xml: the records' parent in the scratch tree */
	struct buf where;    /* xml: "record Order, Lines/Line for lines/line number 2" */
};

/* "record L for lines/line number 2" (or "record H") for messages. */
static void where_row(struct render *x, struct buf *b)
{
	if (x->r->each)
		buf_printf(b, "record %s for %s number %zu", x->r->label, x->r->path.text, x->index);
	else
		buf_printf(b, "record %s", x->r->label);
}

/* The value of column c at node n into x->val (constant, value, default). -EINVAL with the
 * reason in x->err when it is required and empty. */
static int column_value(struct render *x, const struct erp_column *c, xmlNodePtr n)
{
	struct buf *v = &x->val;
	buf_reset(v);
	if (c->literal)
		buf_puts(v, c->literal);
	else
		canon_path_value_into(n, &c->path, v);
	if (!v->len && c->def)
		buf_puts(v, c->def);
	if (v->len || !c->required)
		return 0;
	if (x->p->fmt == ERP_XML)
		buf_append(x->err, x->where.data, x->where.len);
	else
		where_row(x, x->err);
	buf_printf(x->err, ": required field %s is empty (ERP profile %s:%zu)", c->path.text, x->p->file,
		   c->line);
	return -EINVAL;
}

/* Column number i (0-based) of the record, for messages: "column 11 (description" plus
 * ", characters 63-102" for fixed; the caller closes the parenthesis. */
static void column_name(struct render *x, size_t i, struct buf *b)
{
	const struct erp_column *c = &x->r->b.cols[i];
	buf_printf(b, ", column %zu (%s", i + 1, c->literal ? "constant" : c->path.text);
	if (x->p->fmt == ERP_FIXED)
		buf_printf(b, ", characters %zu-%zu", c->start, c->start + c->width - 1);
}

/* Convert x->val to the output encoding and append it to dst (as is for UTF-8). */
static int put_encoded(struct render *x, size_t i, struct buf *dst)
{
	if (x->cd == (iconv_t)-1)
		return buf_append(dst, x->val.data ? x->val.data : "", x->val.len);
	buf_reset(&x->enc);
	size_t bad = 0;
	int rc = encode(x->cd, x->val.data ? x->val.data : "", x->val.len, &x->enc, &bad);
	if (rc == -EILSEQ) {
		where_row(x, x->err);
		column_name(x, i, x->err);
		buf_printf(x->err, "): U+%04X cannot be written in %s (ERP profile %s:%zu)",
			   utf8_at(x->val.data + bad, x->val.len - bad), x->p->encoding, x->p->file,
			   x->r->b.cols[i].line);
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	return buf_append(dst, x->enc.data ? x->enc.data : "", x->enc.len);
}

/* Fit x->val to column c of a fixed-width record: cut (truncate), pad, zero-fill. */
static int fit_fixed(struct render *x, size_t i)
{
	const struct erp_column *c = &x->r->b.cols[i];
	struct buf *v = &x->val;
	const char *s = v->data ? v->data : "";
	if (memchr(s, '\n', v->len) || memchr(s, '\r', v->len)) {
		where_row(x, x->err);
		column_name(x, i, x->err);
		buf_printf(x->err, "): the value holds a line break, which a fixed-width record "
			   "cannot carry (ERP profile %s:%zu)", x->p->file, c->line);
		return -EINVAL;
	}
	size_t chars = utf8_chars(s, v->len);
	if (chars > c->width) {
		if (!c->truncate) {
			where_row(x, x->err);
			column_name(x, i, x->err);
			buf_printf(x->err, "): %zu characters do not fit in %zu (ERP profile %s:%zu; "
				   "'truncate' would cut the value)", chars, c->width, x->p->file, c->line);
			return -EINVAL;
		}
		v->len = utf8_prefix(s, v->len, c->width);
		v->data[v->len] = '\0';
		chars = c->width;
	}
	if (c->zero && v->len && !is_number(s)) {
		where_row(x, x->err);
		column_name(x, i, x->err);
		buf_printf(x->err, "): the value is not a number, and 'zero' pads numbers (ERP "
			   "profile %s:%zu)", x->p->file, c->line);
		return -EINVAL;
	}
	size_t pad = c->width - chars;
	if (!pad)
		return 0;
	struct buf f;
	buf_init(&f, 0);
	if (!c->right) {
		buf_append(&f, s, v->len);
		for (size_t k = 0; k < pad; k++)
			buf_putc(&f, ' ');
	} else if (c->zero && v->len) {
		size_t sign = s[0] == '-' || s[0] == '+';
		buf_append(&f, s, sign);
		for (size_t k = 0; k < pad; k++)
			buf_putc(&f, '0');
		buf_append(&f, s + sign, v->len - sign);
	} else {
		for (size_t k = 0; k < pad; k++)
			buf_putc(&f, ' ');
		buf_append(&f, s, v->len);
	}
	buf_free(v);
	*v = f;
	return 0;
}

/* Write one csv or fixed-width line for context node n. */
static int render_row(void *ctx, xmlNodePtr n)
{
	struct render *x = ctx;
	const struct erp_record *r = x->r;
	int fixed = x->p->fmt == ERP_FIXED;
	x->index++;
	for (size_t i = 0; i < r->b.ncols; i++) {
		const struct erp_column *c = &r->b.cols[i];
		int rc = column_value(x, c, n);
		if (rc == 0 && fixed)
			rc = fit_fixed(x, i);
		if (rc < 0)
			return rc;
		if (fixed) {
			if ((rc = put_encoded(x, i, x->out)) < 0)
				return rc;
			continue;
		}
		if (i)
			buf_putc(x->out, x->p->delim);
		if (x->cd != (iconv_t)-1) {
			struct buf e;
			buf_init(&e, 0);
			rc = put_encoded(x, i, &e);
			if (rc == 0)
				put_field(x->out, e.data ? e.data : "", e.len, x->p->delim);
			buf_free(&e);
			if (rc < 0)
				return rc;
		} else {
			put_field(x->out, x->val.data ? x->val.data : "", x->val.len, x->p->delim);
		}
	}
	buf_puts(x->out, x->p->crlf ? "\r\n" : "\n");
	return 0;
}

/* ---- xml */

static int render_block(struct render *x, const struct erp_block *b, xmlNodePtr n, xmlNodePtr e);

struct xeach {
	struct render *x;
	const struct erp_column *c;
	xmlNodePtr e;        /* the element the repeated ones go into (through c->out) */
	size_t index;
};

/* One element of an "each" field: a new output element, its block rendered into it. */
static int render_each(void *ctx, xmlNodePtr n)
{
	struct xeach *w = ctx;
	struct render *x = w->x;
	size_t len = x->where.len;
	w->index++;
	buf_printf(&x->where, ", %s for %s number %zu", w->c->out.text, w->c->path.text, w->index);
	xmlNodePtr el = canon_path_append(w->e, &w->c->out);
	int rc = render_block(x, w->c->sub, n, el);
	x->where.len = len;
	x->where.data[len] = '\0';
	return rc;
}

/* The fields of block b for canonical node n into output element e. */
static int render_block(struct render *x, const struct erp_block *b, xmlNodePtr n, xmlNodePtr e)
{
	for (size_t i = 0; i < b->ncols; i++) {
		const struct erp_column *c = &b->cols[i];
		int rc;
		if (c->sub) {
			struct xeach w = { x, c, e, 0 };
			if ((rc = canon_path_each(n, &c->path, render_each, &w)) != 0)
				return rc;
			continue;
		}
		if ((rc = column_value(x, c, n)) < 0)
			return rc;
		if (!x->val.len)
			continue; /* an empty value writes nothing */
		if (c->out.attr) {
			xmlNodePtr at = canon_path_make(e, &c->out);
			xmlSetProp(at, c->out.attr, (const xmlChar *)x->val.data);
		} else {
			xmlNodePtr at = c->out.nsteps ? canon_path_append(e, &c->out) : e;
			canon_node_set_text(at, x->val.data, x->val.len);
		}
	}
	return 0;
}

/* One record element (below the scratch root) for context node n. */
static int render_xml(void *ctx, xmlNodePtr n)
{
	struct render *x = ctx;
	x->index++;
	buf_reset(&x->where);
	where_row(x, &x->where);
	xmlNodePtr e = xmlNewDocNode(x->xroot->doc, NULL, (const xmlChar *)x->r->label, NULL);
	if (!e) {
		log_error("out of memory creating an XML element");
		abort();
	}
	xmlAddChild(x->xroot, e);
	return render_block(x, &x->r->b, n, e);
}

/* The record elements below the scratch root, serialized one level in (two spaces), each
 * followed by LF. */
static int dump_xml(xmlNodePtr root, struct buf *out)
{
	int rc = 0;
	xmlBufferPtr xb = xmlBufferCreate();
	if (!xb)
		return -ENOMEM;
	for (xmlNodePtr c = root->children; c && rc == 0; c = c->next) {
		xmlBufferEmpty(xb);
		xmlOutputBufferPtr ob = xmlOutputBufferCreateBuffer(xb, NULL);
		if (!ob) {
			rc = -ENOMEM;
			break;
		}
		xmlNodeDumpOutput(ob, root->doc, c, 1, 1, "UTF-8");
		if (xmlOutputBufferClose(ob) < 0) {
			rc = -ENOMEM;
			break;
		}
		buf_puts(out, "  ");
		rc = buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
		if (rc == 0)
			rc = buf_putc(out, '\n');
	}
	xmlBufferFree(xb);
	return rc;
}

/* Render one record into out. */
int erp_render(const struct erp_profile *p, xmlDocPtr doc, struct buf *out, struct buf *err)
{
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		buf_puts(err, "empty record");
		return -EINVAL;
	}
	if (!xmlStrEqual(root->name, (const xmlChar *)p->kind)) {
		buf_printf(err, "ERP profile %s reads %s records, not %s", p->file, p->kind,
			   (const char *)root->name);
		return -EINVAL;
	}
	struct buf tmp;
	buf_init(&tmp, 0);
	int rc = 0;
	xmlDocPtr scratch = NULL;
	struct render x = { p, NULL, &tmp, err, 0, { 0 }, { 0 }, (iconv_t)-1, NULL, { 0 } };
	buf_init(&x.val, 0);
	buf_init(&x.enc, 0);
	buf_init(&x.where, 0);
	if (p->encoding && (x.cd = open_encoding(p)) == (iconv_t)-1) {
		buf_printf(err, "ERP profile %s: cannot convert to %s", p->file, p->encoding);
		rc = -EIO;
		goto out;
	}
	if (p->fmt == ERP_XML) {
		scratch = xmlNewDoc((const xmlChar *)"1.0");
		x.xroot = scratch ? xmlNewDocNode(scratch, NULL, (const xmlChar *)p->root, NULL) : NULL;
		if (!x.xroot) {
			log_error("out of memory creating an XML document");
			abort();
		}
		xmlDocSetRootElement(scratch, x.xroot);
	}
	for (size_t i = 0; i < p->nrecs && rc == 0; i++) {
		x.r = &p->recs[i];
		x.index = 0;
		canon_path_fn fn = p->fmt == ERP_XML ? render_xml : render_row;
		if (p->recs[i].each)
			rc = canon_path_each(root, &p->recs[i].path, fn, &x);
		else
			rc = fn(&x, root);
	}
	if (rc == 0 && p->fmt == ERP_XML)
		rc = dump_xml(x.xroot, &tmp);
	if (rc == 0)
		rc = buf_append(out, tmp.data ? tmp.data : "", tmp.len);
out:
	if (x.cd != (iconv_t)-1)
		iconv_close(x.cd);
	if (scratch)
		xmlFreeDoc(scratch);
	buf_free(&x.val);
	buf_free(&x.enc);
	buf_free(&x.where);
	buf_free(&tmp);
	return rc;
}

/* Render a record, a failure as an application finding. */
int erp_render_checked(const struct erp_profile *p, xmlDocPtr doc, struct buf *out, struct x12_errlist *errs)
{
	struct buf err;
	size_t len = out->len;
	buf_init(&err, 0);
	int rc = erp_render(p, doc, out, &err) < 0 ? -1 : 0;
	if (rc < 0) {
		x12_errlist_add_app(errs, "ERP profile", err.data ? err.data : "cannot render the record");
		out->len = len;
		if (out->data)
			out->data[len] = '\0';
	}
	buf_free(&err);
	return rc;
}
