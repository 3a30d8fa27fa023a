/* The scorer's string tables: open addressing over entry indices, keys in one byte pool. */
#include <stdlib.h>
#include <string.h>

#include "text_internal.h"
#include "strtab.h"

uint32_t lb__strtab_hash(const char *s, size_t n) {
    /* FNV-1a: tokens are short, and this is only a cache key. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

int lb__grow(void **buf, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) nc *= 2;
    void *nb = realloc(*buf, nc * elem);
    if (!nb) return LB_ENOMEM;
    *buf = nb;
    *cap = nc;
    return 0;
}

long lb__strtab_find(const lb__strtab_t *t, const char *key, size_t len, uint32_t h) {
    if (!t->cap) return -1;
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t e = t->slots[i];
        if (!e) return -1;
        e--;
        if (t->hash[e] == h && t->len[e] == len && !memcmp(t->pool + t->off[e], key, len))
            return (long)e;
    }
}

static int rehash(lb__strtab_t *t, size_t ncap) {
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return LB_ENOMEM;
    for (size_t e = 0; e < t->count; e++) {
        size_t i = t->hash[e] & (ncap - 1);
        while (ns[i]) i = (i + 1) & (ncap - 1);
        ns[i] = (uint32_t)e + 1;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

long lb__strtab_add(lb__strtab_t *t, const char *key, size_t len, uint32_t h, uint32_t val) {
    if ((t->count + 1) * 2 > t->cap && rehash(t, t->cap ? t->cap * 2 : 1024)) return -1;
    size_t need = t->count + 1, ec = t->entries_cap;
    if (lb__grow((void **)&t->off, &ec, need, sizeof *t->off)) return -1;
    ec = t->entries_cap;
    if (lb__grow((void **)&t->len, &ec, need, sizeof *t->len)) return -1;
    ec = t->entries_cap;
    if (lb__grow((void **)&t->hash, &ec, need, sizeof *t->hash)) return -1;
    ec = t->entries_cap;
    if (lb__grow((void **)&t->val, &ec, need, sizeof *t->val)) return -1;
    t->entries_cap = ec;
    if (lb__grow((void **)&t->pool, &t->pool_cap, t->pool_len + len + 1, 1)) return -1;
    memcpy(t->pool + t->pool_len, key, len);
    size_t e = t->count++;
    t->off[e] = (uint32_t)t->pool_len;
    t->len[e] = (uint32_t)len;
    t->hash[e] = h;
    t->val[e] = val;
    t->pool_len += len;
    size_t mask = t->cap - 1, i = h & mask;
    while (t->slots[i]) i = (i + 1) & mask;
    t->slots[i] = (uint32_t)e + 1;
    return (long)e;
}

void lb__strtab_clear(lb__strtab_t *t) {
    if (t->slots) memset(t->slots, 0, t->cap * sizeof *t->slots);
    t->count = 0;
    t->pool_len = 0;
}

void lb__strtab_free(lb__strtab_t *t) {
    free(t->slots);
    free(t->off);
    free(t->len);
    free(t->hash);
    free(t->val);
    free(t->pool);
    memset(t, 0, sizeof *t);
}
