/*
 * flat_int.h — helpers the flat-file readers (csv.c, fixed.c, xmldoc.c) share. Not part of
 * the module's public face.
 */
#ifndef EDIGW_FLAT_INT_H
#define EDIGW_FLAT_INT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when invalid or a NUL byte
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t flat_utf8_len(const unsigned char *p, size_t n);

#endif
