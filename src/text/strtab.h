/* Private to src/text: the string tables behind the stem cache (see lb__strtab_t). */
#ifndef LB_TEXT_STRTAB_H
#define LB_TEXT_STRTAB_H

#include "text_internal.h"

uint32_t lbi_strtab_hash(const char *s, size_t n);
/* The value stored with key, or -1 when absent. */
long lbi_strtab_find(const lb__strtab_t *t, const char *key, size_t len, uint32_t h);
/* Add key (not present) with val; returns its entry index (0, 1, 2, ... in order of
 * addition; t->ent[index] locates the key in t->pool), or -1 when memory ran out. */
long lbi_strtab_add(lb__strtab_t *t, const char *key, size_t len, uint32_t h, uint32_t val);
void lbi_strtab_clear(lb__strtab_t *t);
void lbi_strtab_free(lb__strtab_t *t);

#endif
