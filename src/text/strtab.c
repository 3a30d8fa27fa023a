/* The scorer's string tables: open addressing over entry indices, keys in one byte pool. */
#include <stdlib.h>
#include <string.h>

#include "text_internal.h"
#include "strtab.h"

uint32_t lbi_strtab_hash(const char *s, size_t n) {
    /* FNV-1a (tokens are short), then a final mix: slots are picked by the low bits. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return h;
}

static inline int slot_is(const lb__strtab_t *t, const lb__strslot_t *sl, const char *key,
                          size_t len) {
    if (sl->len != len + 1) return 0;
    if (len <= LB_STRTAB_INLINE) return !memcmp(sl->key, key, len);
    return !memcmp(sl->key, key, LB_STRTAB_INLINE) &&
           !memcmp(t->pool + sl->off + LB_STRTAB_INLINE, key + LB_STRTAB_INLINE,
                   len - LB_STRTAB_INLINE);
}

long lbi_strtab_find(const lb__strtab_t *t, const char *key, size_t len, uint32_t h) {
    if (!t->cap) return -1;
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const lb__strslot_t *sl = &t->slots[i];
        if (!sl->len) return -1;
        if (sl->hash == h && slot_is(t, sl, key, len)) return (long)sl->val;
    }
}

static int rehash(lb__strtab_t *t, size_t ncap) {
    lb__strslot_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return LB_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].len) continue;
        size_t j = t->slots[i].hash & (ncap - 1);
        while (ns[j].len) j = (j + 1) & (ncap - 1);
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

long lbi_strtab_add(lb__strtab_t *t, const char *key, size_t len, uint32_t h, uint32_t val) {
    if ((t->count + 1) * 2 > t->cap && rehash(t, t->cap ? t->cap * 2 : 1024)) return -1;
    if (lb_grow((void **)&t->ent, &t->ent_cap, t->count + 1, sizeof *t->ent)) return -1;
    if (lb_grow((void **)&t->pool, &t->pool_cap, t->pool_len + len + 1, 1)) return -1;
    memcpy(t->pool + t->pool_len, key, len);
    size_t e = t->count++;
    t->ent[e] = (lb__strent_t){(uint32_t)t->pool_len, (uint32_t)len};
    size_t mask = t->cap - 1, i = h & mask;
    while (t->slots[i].len) i = (i + 1) & mask;
    lb__strslot_t *sl = &t->slots[i];
    sl->hash = h;
    sl->len = (uint32_t)len + 1;
    sl->val = val;
    sl->off = (uint32_t)t->pool_len;
    memcpy(sl->key, key, len < LB_STRTAB_INLINE ? len : LB_STRTAB_INLINE);
    t->pool_len += len;
    return (long)e;
}

void lbi_strtab_clear(lb__strtab_t *t) {
    if (t->slots) memset(t->slots, 0, t->cap * sizeof *t->slots);
    t->count = 0;
    t->pool_len = 0;
}

void lbi_strtab_free(lb__strtab_t *t) {
    free(t->slots);
    free(t->ent);
    free(t->pool);
    memset(t, 0, sizeof *t);
}
