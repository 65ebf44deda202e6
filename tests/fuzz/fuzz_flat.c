/*
 * fuzz_flat — libFuzzer target for the flat-file readers: the CSV reader (src/flat/csv.c),
 * the fixed-width reader (fixed.c) and the XML reader (xmldoc.c).
 *
 * The first input byte picks options (CSV delimiter, quote, escape, header, bad_rows,
 * ragged, an 8-bit encoding; tight limits or the defaults); the rest is the file, given
 * to all three readers. What the contracts promise is checked, a failure aborts:
 *   - CSV: every field a span inside the arena, NUL-terminated, valid UTF-8 without NUL;
 *     rows (and listed bad rows) in file order with lines that grow; a table of the right
 *     width unless ragged; limits held; an error leaves an empty table;
 *   - fixed-width: every line inside the arena, NUL-terminated, UTF-8 of nchars
 *     characters, no line end inside; fixed_field never leaves its line;
 *   - XML: a document that has a root and no entity declaration, entity reference or DTD
 *     subset it read; an error leaves no document.
 *
 * Built two ways:
 *   - into tests/replay_flat (with replay.c), run by `make check` over
 *     tests/fuzz/corpus/flat;
 *   - `make fuzz-flat` in a build directory: the real libFuzzer binary, run as
 *       ./tests/fuzz/fuzz_flat -max_total_time=600 fuzz-work $(top_srcdir)/tests/fuzz/corpus/flat
 *     A crash file it writes goes into tests/fuzz/corpus/flat as a regression seed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "flat/csv.h"
#include "flat/fixed.h"
#include "flat/flat_int.h"
#include "flat/xmldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The span is valid UTF-8 without NUL and followed by a NUL. */
static void check_text(struct span s)
{
	for (size_t k = 0; k < s.n;) {
		size_t l = flat_utf8_len((const unsigned char *)s.p + k, s.n - k);
		if (l == 0)
			abort();
		k += l;
	}
	if (s.p[s.n] != '\0')
		abort();
}

/* The span lies inside [a, a + n). */
static void check_inside(struct span s, const char *a, size_t n)
{
	if (s.n && (s.p < a || s.p + s.n > a + n))
		abort();
}

/* Parse as CSV with options from opt and check the table. */
static void run_csv(const uint8_t *data, size_t size, uint8_t opt)
{
	static const char delims[] = { ',', ';', '|', '\t' };
	struct csv_options o;
	memset(&o, 0, sizeof o);
	o.delim = delims[opt & 3];
	o.escape = opt & 4 ? '\\' : 0;
	o.header = opt & 8 ? CSV_HEADER_NO : CSV_HEADER_YES;
	o.bad_rows = (opt & 16) != 0;
	o.ragged = (opt & 32) != 0;
	o.encoding = opt & 64 ? "ISO-8859-1" : NULL;
	if (opt & 128) {
		o.max_field = 16;
		o.max_fields = 5;
		o.max_rows = 8;
		o.max_bytes = 4096;
	}
	struct csv_table t;
	struct csv_error e;
	if (csv_parse(&t, data, size, &o, &e) < 0) {
		if (t.rows || t.nrows || t.bad || t.nbad || t.arena)
			abort();
		return;
	}
	size_t arena = size * (o.encoding ? 2 : 1) * 2 + 1;
	uint64_t last = 0;
	for (size_t i = 0; i < t.header.n; i++) {
		check_inside(t.header.f[i], t.arena, arena);
		check_text(t.header.f[i]);
	}
	for (size_t r = 0; r < t.nrows; r++) {
		const struct csv_row *row = &t.rows[r];
		if (row->line <= last && r)
			abort();
		last = row->line;
		if (!o.ragged && row->n != t.width)
			abort();
		if (o.max_fields && row->n > o.max_fields)
			abort();
		for (size_t i = 0; i < row->n; i++) {
			check_inside(row->f[i], t.arena, arena);
			check_text(row->f[i]);
			if (o.max_field && row->f[i].n > o.max_field)
				abort();
		}
	}
	if (o.max_rows && t.nrows + t.nbad > o.max_rows)
		abort();
	if (!o.bad_rows && t.nbad)
		abort();
	for (size_t i = 0; i < t.nbad; i++) {
		if (t.bad[i].nfields == t.width)
			abort();
		char *s = csv_bad_text(&t, &t.bad[i]);
		free(s);
	}
	csv_table_free(&t);
}

/* Parse as fixed-width lines and check them and a few cuts. */
static void run_fixed(const uint8_t *data, size_t size, uint8_t opt)
{
	struct fixed_options o;
	memset(&o, 0, sizeof o);
	o.encoding = opt & 64 ? "ISO-8859-1" : NULL;
	if (opt & 128) {
		o.max_line = 40;
		o.max_lines = 8;
		o.max_bytes = 4096;
	}
	struct fixed_file f;
	struct fixed_error e;
	if (fixed_parse(&f, data, size, &o, &e) < 0) {
		if (f.lines || f.nlines || f.arena)
			abort();
		return;
	}
	size_t arena = size * (o.encoding ? 2 : 1) + 1;
	for (size_t i = 0; i < f.nlines; i++) {
		const struct fixed_line *l = &f.lines[i];
		check_inside(l->text, f.arena, arena);
		check_text(l->text);
		if (memchr(l->text.p, '\n', l->text.n) || memchr(l->text.p, '\r', l->text.n))
			abort();
		if (o.max_line && l->nchars > o.max_line)
			abort();
		size_t chars = 0;
		for (size_t k = 0; k < l->text.n; k++)
			chars += ((unsigned char)l->text.p[k] & 0xc0) != 0x80;
		if (chars != l->nchars)
			abort();
		for (size_t col = 1; col <= l->nchars + 2; col += 3) {
			struct span v = fixed_field(l, col, (opt & 7) + 1);
			check_inside(v, l->text.p, l->text.n);
		}
	}
	if (o.max_lines && f.nlines > o.max_lines)
		abort();
	fixed_file_free(&f);
}

/* Is there an entity reference node anywhere below n? */
static int has_entity_ref(xmlNodePtr n)
{
	for (xmlNodePtr c = n; c; c = c->next) {
		if (c->type == XML_ENTITY_REF_NODE || c->type == XML_ENTITY_DECL)
			return 1;
		if (c->type == XML_ELEMENT_NODE && has_entity_ref(c->children))
			return 1;
	}
	return 0;
}

/* Parse as XML and check what the reader promises. */
static void run_xml(const uint8_t *data, size_t size, uint8_t opt)
{
	struct xmldoc_options o;
	memset(&o, 0, sizeof o);
	if (opt & 128) {
		o.max_depth = 4;
		o.max_elements = 16;
		o.max_bytes = 4096;
	}
	xmlDocPtr d = NULL;
	struct xmldoc_error e;
	if (xmldoc_parse(&d, data, size, &o, &e) < 0) {
		if (d)
			abort();
		return;
	}
	if (!xmlDocGetRootElement(d) || d->extSubset || has_entity_ref(d->children))
		abort();
	if (d->intSubset && d->intSubset->entities)
		abort();
	xmlFreeDoc(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t opt = data[0];
	data++;
	size--;
	run_csv(data, size, opt);
	run_fixed(data, size, opt);
	run_xml(data, size, opt);
	return 0;
}
