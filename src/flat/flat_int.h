/*
 * flat_int.h — helpers the flat-file readers (csv.c, fixed.c, xmldoc.c) share. Not part of
 * the module's public face.
 */
#ifndef EDIGW_FLAT_INT_H
#define EDIGW_FLAT_INT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when invalid or a NUL byte
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t flat_utf8_len(const unsigned char *p, size_t n);

/* A file's text as UTF-8: converted from encoding into conv (NULL, "" or UTF-8: used as it
 * is), then a byte order mark left out; *p and *n are updated. -EINVAL when it does not
 * convert: msg (msgsz bytes) says why and *line is the line of the bad byte (0 when the
 * reason is not a byte). */
int flat_decode(const char *encoding, const char **p, size_t *n, struct buf *conv, uint64_t *line, char *msg,
		size_t msgsz);

#endif
