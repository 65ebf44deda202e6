/*
 * x12_internal.h — between the tokenizer and the envelope layer of the x12 module;
 * not part of the module's public face (x12.h).
 */
#ifndef EDIGW_X12_INTERNAL_H
#define EDIGW_X12_INTERNAL_H

#include "x12/x12.h"

/* A byte that may serve as a data delimiter: not a letter, digit, space, CR, LF, NUL or
 * non-ASCII byte. */
int x12_delim_ok(unsigned char c);

/* Turn interchange hashing on unless x12_reader_set_hash(r, 0) turned it off. */
void x12_reader_hash_auto(struct x12_reader *r);

#endif
