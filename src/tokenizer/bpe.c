/* The BPE model: one pre-token → ids, as HF's BPE::merge_word + Word::merge_all. Symbols form a
 * linked list in a scratch array; a binary heap ordered by (merge rank, position) picks the next
 * merge, and stale heap entries are recognised by re-checking the pair. Results are cached per
 * pre-token (bounded, shared, mutex-protected). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

#define TK_CACHE_MAX_ENTRIES 200000
#define TK_CACHE_MAX_WORD 256

typedef struct {
    int32_t id, prev, next;
    uint32_t len;
} sym_t;

typedef struct {
    int32_t rank, pos, newid;
} merge_t;

static inline int merge_less(merge_t a, merge_t b) { /* a pops before b */
    return a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos;
}

static void heap_push(merge_t *h, size_t *n, merge_t m) {
    size_t i = (*n)++;
    while (i) {
        size_t p = (i - 1) / 2;
        if (!merge_less(m, h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = m;
}

static merge_t heap_pop(merge_t *h, size_t *n) {
    merge_t top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && merge_less(h[c + 1], h[c])) c++;
        if (!merge_less(h[c], last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

static int push_id(int32_t **ids, size_t *n, size_t *cap, int32_t id) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        int32_t *v = realloc(*ids, c * sizeof *v);
        if (!v) return LB_ENOMEM;
        *ids = v;
        *cap = c;
    }
    (*ids)[(*n)++] = id;
    return 0;
}

/* Look up one initial symbol (with prefix/suffix when configured). */
static int32_t symbol_id(const lb_tokenizer_t *t, const char *c, size_t k, int first, int last,
                         char *tmp) {
    if ((first || !t->cont_prefix_len) && (!last || !t->eow_suffix_len))
        return tk_strmap_get(&t->vocab, c, k);
    size_t m = 0;
    if (!first && t->cont_prefix_len) {
        memcpy(tmp, t->cont_prefix, t->cont_prefix_len);
        m = t->cont_prefix_len;
    }
    memcpy(tmp + m, c, k);
    m += k;
    if (last && t->eow_suffix_len) {
        memcpy(tmp + m, t->eow_suffix, t->eow_suffix_len);
        m += t->eow_suffix_len;
    }
    return tk_strmap_get(&t->vocab, tmp, m);
}

static int merge_word(const lb_tokenizer_t *t, const char *w, size_t n, int32_t **ids, size_t *n_ids,
                      size_t *cap_ids, tk_scratch_t *sc) {
    /* Worst case: every byte becomes a byte-fallback symbol; the heap holds ≤ 3 entries per symbol. */
    size_t max_sym = n * (1 + t->cont_prefix_len) + 1;
    size_t need = max_sym * (sizeof(sym_t) + 3 * sizeof(merge_t));
    if (need > sc->bpe_cap) {
        void *p = realloc(sc->bpe, need * 2);
        if (!p) return LB_ENOMEM;
        sc->bpe = p;
        sc->bpe_cap = need * 2;
    }
    sym_t *sym = sc->bpe;
    merge_t *heap = (merge_t *)(sym + max_sym);
    size_t ns = 0, nh = 0;
    char tmp[4 + 2 * 64 + 8];
    int32_t unk_pending = 0; /* unk_len > 0 means an unk is waiting */
    uint32_t unk_len = 0;
#define ADD(ID, LEN)                                                                              \
    do {                                                                                          \
        sym[ns] = (sym_t){(ID), (int32_t)ns - 1, (int32_t)ns + 1, (LEN)};                         \
        ns++;                                                                                     \
    } while (0)
    size_t i = 0;
    while (i < n) {
        int32_t cp;
        size_t k = (size_t)tk_utf8_decode((const unsigned char *)w + i, n - i, &cp);
        int first = i == 0, last = i + k == n;
        int32_t id;
        if (t->cont_prefix_len > 64 || t->eow_suffix_len > 64) id = -1; /* refused at load */
        else id = symbol_id(t, w + i, k, first, last, tmp);
        if (id >= 0) {
            if (unk_pending) {
                ADD(t->unk_id, unk_len);
                unk_pending = 0;
            }
            ADD(id, (uint32_t)k);
        } else {
            int done = 0;
            if (t->byte_fallback) {
                /* HF looks up the bytes of the symbol as spelled (prefix included). */
                const char *b = w + i;
                size_t bl = k;
                if (!first && t->cont_prefix_len) {
                    memcpy(tmp, t->cont_prefix, t->cont_prefix_len);
                    memcpy(tmp + t->cont_prefix_len, w + i, k);
                    b = tmp;
                    bl = t->cont_prefix_len + k;
                }
                int all = 1;
                for (size_t q = 0; q < bl; q++)
                    if (t->byte_ids[(unsigned char)b[q]] < 0) all = 0;
                if (all) {
                    for (size_t q = 0; q < bl; q++) ADD(t->byte_ids[(unsigned char)b[q]], 1);
                    done = 1;
                }
            }
            if (!done && t->unk_id >= 0) {
                if (unk_pending && t->fuse_unk) unk_len += (uint32_t)k;
                else {
                    if (unk_pending) ADD(t->unk_id, unk_len);
                    unk_pending = 1;
                    unk_len = (uint32_t)k;
                }
            }
            /* No unk token: HF drops the character silently. */
        }
        i += k;
    }
    if (unk_pending) ADD(t->unk_id, unk_len);
#undef ADD
    if (ns) sym[ns - 1].next = -1;
    for (size_t s = 0; s + 1 < ns; s++) {
        int32_t r, nid;
        if (tk_pairmap_get(&t->merges, sym[s].id, sym[s + 1].id, &r, &nid))
            heap_push(heap, &nh, (merge_t){r, (int32_t)s, nid});
    }
    while (nh) {
        merge_t top = heap_pop(heap, &nh);
        sym_t *cur = &sym[top.pos];
        if (cur->len == 0 || cur->next < 0) continue;
        sym_t *right = &sym[cur->next];
        int32_t r, nid;
        if (!tk_pairmap_get(&t->merges, cur->id, right->id, &r, &nid) || nid != top.newid) continue;
        cur->id = top.newid;
        cur->len += right->len;
        cur->next = right->next;
        right->len = 0;
        if (cur->next >= 0) sym[cur->next].prev = top.pos;
        if (cur->prev >= 0 && tk_pairmap_get(&t->merges, sym[cur->prev].id, cur->id, &r, &nid))
            heap_push(heap, &nh, (merge_t){r, cur->prev, nid});
        if (cur->next >= 0 && tk_pairmap_get(&t->merges, cur->id, sym[cur->next].id, &r, &nid))
            heap_push(heap, &nh, (merge_t){r, top.pos, nid});
    }
    for (size_t s = 0; s < ns; s++)
        if (sym[s].len && push_id(ids, n_ids, cap_ids, sym[s].id)) return LB_ENOMEM;
    return 0;
}

int tk_bpe_encode_word(const lb_tokenizer_t *t, const char *w, size_t n, int32_t **ids, size_t *n_ids,
                       size_t *cap_ids, tk_scratch_t *sc, lb_error_t *err) {
    (void)err;
    if (n == 0) return 0;
    if (t->ignore_merges) {
        int32_t id = tk_strmap_get(&t->vocab, w, n);
        if (id >= 0) return push_id(ids, n_ids, cap_ids, id);
    }
    tk_cache_t *c = (tk_cache_t *)&t->cache;
    int cacheable = n <= TK_CACHE_MAX_WORD;
    if (cacheable) {
        pthread_mutex_lock(&c->lock);
        int32_t k = tk_strmap_get(&c->map, w, n);
        if (k >= 0) {
            const int32_t *v = c->ids[k];
            int rc = 0;
            for (int32_t q = 1; q <= v[0] && !rc; q++) rc = push_id(ids, n_ids, cap_ids, v[q]);
            pthread_mutex_unlock(&c->lock);
            return rc;
        }
        pthread_mutex_unlock(&c->lock);
    }
    size_t start = *n_ids;
    int rc = merge_word(t, w, n, ids, n_ids, cap_ids, sc);
    if (rc || !cacheable) return rc;
    pthread_mutex_lock(&c->lock);
    if (c->n < TK_CACHE_MAX_ENTRIES && tk_strmap_get(&c->map, w, n) < 0) {
        size_t m = *n_ids - start;
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 4096;
            int32_t **v = realloc(c->ids, cap * sizeof *v);
            if (v) {
                c->ids = v;
                c->cap = cap;
            }
        }
        char *key = tk_pool_strdup(&c->pool, w, n);
        int32_t *val = tk_pool_alloc(&c->pool, (m + 1) * sizeof *val);
        if (c->n < c->cap && key && val) {
            val[0] = (int32_t)m;
            if (m) memcpy(val + 1, *ids + start, m * sizeof *val);
            c->ids[c->n] = val;
            if (!tk_strmap_put(&c->map, key, n, (int32_t)c->n)) c->n++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}
