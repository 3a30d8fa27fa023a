/* BPE trainer: the merge loop with incremental pair counts. */
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

/* Pair table and its side structures, alive only during lb_bpe_trainer_train. */
typedef struct {
    uint64_t *key;     /* (cap) a<<32|b, UINT64_MAX = empty */
    int32_t *slot;     /* (cap) pair index */
    size_t cap;
    int32_t *a, *b;    /* (n) */
    int64_t *cnt;      /* (n) */
    int32_t *head;     /* (n) first node of the word list, -1 = none */
    int32_t *lastw;    /* (n) last word appended (cheap duplicate filter) */
    uint32_t *touched; /* (n) merge step that last changed the count */
    size_t n, ncap;
    int32_t *nword, *nnext; /* (n_nodes) word lists: word index, next node */
    size_t n_nodes, node_cap;
    tt_heap_ent_t *heap;    /* (n_heap) */
    size_t n_heap, heap_cap;
    int32_t *tlist;         /* (n_tlist) pairs touched in the current step */
    size_t n_tlist, tlist_cap;
} tt_pairs_t;

static void pairs_free(tt_pairs_t *p) {
    free(p->key); free(p->slot); free(p->a); free(p->b); free(p->cnt); free(p->head);
    free(p->lastw); free(p->touched); free(p->nword); free(p->nnext); free(p->heap); free(p->tlist);
}

static inline uint64_t pkey(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }
static inline size_t phash(uint64_t k, size_t mask) { return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & mask; }

#define GROW(ptr, cap_needed, cap)                                                   \
    do {                                                                             \
        void *np_ = realloc((ptr), (cap_needed) * sizeof *(ptr));                    \
        if (!np_) return -1;                                                         \
        (ptr) = np_;                                                                 \
        (void)(cap);                                                                 \
    } while (0)

static int table_grow(tt_pairs_t *p) {
    size_t cap = p->cap ? p->cap * 2 : 1 << 16;
    uint64_t *key = malloc(cap * sizeof *key);
    int32_t *slot = malloc(cap * sizeof *slot);
    if (!key || !slot) {
        free(key);
        free(slot);
        return -1;
    }
    memset(key, 0xff, cap * sizeof *key);
    for (size_t i = 0; i < p->cap; i++) {
        if (p->key[i] == UINT64_MAX) continue;
        size_t j = phash(p->key[i], cap - 1);
        while (key[j] != UINT64_MAX) j = (j + 1) & (cap - 1);
        key[j] = p->key[i];
        slot[j] = p->slot[i];
    }
    free(p->key);
    free(p->slot);
    p->key = key;
    p->slot = slot;
    p->cap = cap;
    return 0;
}

/* Index of pair (a, b), created with count 0 when absent; -1 when out of memory. */
static int32_t pair_get(tt_pairs_t *p, int32_t a, int32_t b) {
    if ((p->n + 1) * 2 > p->cap && table_grow(p)) return -1;
    uint64_t k = pkey(a, b);
    size_t mask = p->cap - 1, i = phash(k, mask);
    while (p->key[i] != UINT64_MAX) {
        if (p->key[i] == k) return p->slot[i];
        i = (i + 1) & mask;
    }
    if (p->n == p->ncap) {
        size_t c = p->ncap ? p->ncap * 2 : 1 << 15;
        GROW(p->a, c, 0); GROW(p->b, c, 0); GROW(p->cnt, c, 0); GROW(p->head, c, 0);
        GROW(p->lastw, c, 0); GROW(p->touched, c, 0);
        p->ncap = c;
    }
    int32_t x = (int32_t)p->n++;
    p->a[x] = a;
    p->b[x] = b;
    p->cnt[x] = 0;
    p->head[x] = -1;
    p->lastw[x] = -1;
    p->touched[x] = 0;
    p->key[i] = k;
    p->slot[i] = x;
    return x;
}

static int add_where(tt_pairs_t *p, int32_t x, int32_t w) {
    if (p->lastw[x] == w) return 0;
    if (p->n_nodes == p->node_cap) {
        size_t c = p->node_cap ? p->node_cap * 2 : 1 << 16;
        GROW(p->nword, c, 0); GROW(p->nnext, c, 0);
        p->node_cap = c;
    }
    int32_t nd = (int32_t)p->n_nodes++;
    p->nword[nd] = w;
    p->nnext[nd] = p->head[x];
    p->head[x] = nd;
    p->lastw[x] = w;
    return 0;
}

/* Heap order: higher count first, then the smaller (a, b). */
static inline int heap_before(const tt_pairs_t *p, tt_heap_ent_t x, tt_heap_ent_t y) {
    if (x.cnt != y.cnt) return x.cnt > y.cnt;
    uint64_t kx = pkey(p->a[x.pair], p->b[x.pair]), ky = pkey(p->a[y.pair], p->b[y.pair]);
    return kx < ky;
}

static int heap_push(tt_pairs_t *p, int32_t x) {
    if (p->n_heap == p->heap_cap) {
        size_t c = p->heap_cap ? p->heap_cap * 2 : 1 << 15;
        GROW(p->heap, c, 0);
        p->heap_cap = c;
    }
    tt_heap_ent_t e = {p->cnt[x], x};
    size_t i = p->n_heap++;
    while (i) {
        size_t up = (i - 1) / 2;
        if (!heap_before(p, e, p->heap[up])) break;
        p->heap[i] = p->heap[up];
        i = up;
    }
    p->heap[i] = e;
    return 0;
}

static tt_heap_ent_t heap_pop(tt_pairs_t *p) {
    tt_heap_ent_t top = p->heap[0], e = p->heap[--p->n_heap];
    size_t i = 0, n = p->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_before(p, p->heap[c + 1], p->heap[c])) c++;
        if (!heap_before(p, p->heap[c], e)) break;
        p->heap[i] = p->heap[c];
        i = c;
    }
    if (n) p->heap[i] = e;
    return top;
}

/* Count change of pair (a, b) by delta in word w during step; -1 when out of memory. */
static int change(tt_pairs_t *p, int32_t a, int32_t b, int64_t delta, int32_t w, uint32_t step) {
    int32_t x = pair_get(p, a, b);
    if (x < 0) return -1;
    p->cnt[x] += delta;
    if (delta > 0 && add_where(p, x, w)) return -1;
    if (p->touched[x] != step) {
        p->touched[x] = step;
        if (p->n_tlist == p->tlist_cap) {
            size_t c = p->tlist_cap ? p->tlist_cap * 2 : 1024;
            GROW(p->tlist, c, 0);
            p->tlist_cap = c;
        }
        p->tlist[p->n_tlist++] = x;
    }
    return 0;
}

/* Split every word into its byte characters (token ids of the initial alphabet). */
static int init_words(lb_bpe_trainer_t *t) {
    size_t total = 0;
    for (size_t w = 0; w < t->n_words; w++) total += t->words.klen[w];
    /* every byte character is 1 or 2 UTF-8 bytes, so total bytes bound the symbol count */
    t->sym = malloc((total ? total : 1) * sizeof *t->sym);
    t->woff = malloc((t->n_words ? t->n_words : 1) * sizeof *t->woff);
    t->wlen = malloc((t->n_words ? t->n_words : 1) * sizeof *t->wlen);
    t->wstamp = calloc(t->n_words ? t->n_words : 1, sizeof *t->wstamp);
    if (!t->sym || !t->woff || !t->wlen || !t->wstamp) return -1;
    size_t at = 0;
    for (size_t w = 0; w < t->n_words; w++) {
        /* words.key[k] is word k: indices were assigned in insertion order */
        const char *s = t->words.key[w];
        size_t n = t->words.klen[w], i = 0;
        t->woff[w] = at;
        while (i < n) {
            int32_t cp;
            int l = tk_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            t->sym[at++] = tk_strmap_get(&t->vocab, s + i, (size_t)l);
            i += (size_t)l;
        }
        t->wlen[w] = (uint32_t)(at - t->woff[w]);
    }
    return 0;
}

static int record_merge(lb_bpe_trainer_t *t, int32_t a, int32_t b) {
    if (t->n_merges == t->merge_cap) {
        size_t c = t->merge_cap ? t->merge_cap * 2 : 1024;
        GROW(t->merge_a, c, 0);
        GROW(t->merge_b, c, 0);
        t->merge_cap = c;
    }
    t->merge_a[t->n_merges] = a;
    t->merge_b[t->n_merges] = b;
    t->n_merges++;
    return 0;
}

/* Replace every non-overlapping (a, b) in word w by x, left to right, recording pair changes. */
static int merge_word(lb_bpe_trainer_t *t, tt_pairs_t *p, int32_t w, int32_t a, int32_t b, int32_t x,
                      uint32_t step) {
    int32_t *s = t->sym + t->woff[w];
    uint32_t n = t->wlen[w], j = 0;
    int64_t c = t->wcount[w];
    for (uint32_t i = 0; i < n;) {
        if (s[i] == a && i + 1 < n && s[i + 1] == b) {
            if (j > 0 && (change(p, s[j - 1], a, -c, w, step) || change(p, s[j - 1], x, c, w, step))) return -1;
            if (i + 2 < n && (change(p, b, s[i + 2], -c, w, step) || change(p, x, s[i + 2], c, w, step))) return -1;
            s[j++] = x;
            i += 2;
        } else {
            s[j++] = s[i++];
        }
    }
    t->wlen[w] = j;
    return 0;
}

static int train(lb_bpe_trainer_t *t, tt_pairs_t *p) {
    if (init_words(t)) return -1;
    for (size_t w = 0; w < t->n_words; w++) {
        const int32_t *s = t->sym + t->woff[w];
        for (uint32_t i = 0; i + 1 < t->wlen[w]; i++) {
            int32_t x = pair_get(p, s[i], s[i + 1]);
            if (x < 0 || add_where(p, x, (int32_t)w)) return -1;
            p->cnt[x] += t->wcount[w];
        }
    }
    for (size_t x = 0; x < p->n; x++)
        if (heap_push(p, (int32_t)x)) return -1;
    char *buf = NULL;
    size_t buf_cap = 0;
    uint32_t step = 0;
    int rc = 0;
    while (t->n_tok < t->vocab_target && p->n_heap && !rc) {
        tt_heap_ent_t e = heap_pop(p);
        int32_t x = e.pair;
        if (e.cnt != p->cnt[x] || e.cnt <= 0) continue; /* stale: a fresher entry exists */
        if (t->min_freq > 1 && e.cnt < t->min_freq) break;
        int32_t a = p->a[x], b = p->b[x];
        size_t la = t->tok_len[a], lb = t->tok_len[b];
        if (la + lb + 1 > buf_cap) {
            size_t c = (la + lb + 1) * 2;
            char *nb = realloc(buf, c);
            if (!nb) { rc = -1; break; }
            buf = nb;
            buf_cap = c;
        }
        memcpy(buf, t->tok[a], la);
        memcpy(buf + la, t->tok[b], lb);
        int32_t nid = tk_strmap_get(&t->vocab, buf, la + lb);
        if (nid < 0 && (nid = tt_add_token(t, buf, la + lb)) < 0) { rc = -1; break; }
        if (record_merge(t, a, b)) { rc = -1; break; }
        step++;
        p->n_tlist = 0;
        for (int32_t nd = p->head[x]; nd >= 0 && !rc; nd = p->nnext[nd]) {
            int32_t w = p->nword[nd];
            if (t->wstamp[w] == step) continue;
            t->wstamp[w] = step;
            rc = merge_word(t, p, w, a, b, nid, step);
        }
        p->cnt[x] = 0;
        for (size_t i = 0; i < p->n_tlist && !rc; i++)
            if (p->tlist[i] != x && p->cnt[p->tlist[i]] > 0) rc = heap_push(p, p->tlist[i]);
    }
    free(buf);
    return rc;
}

int lb_bpe_trainer_train(lb_bpe_trainer_t *t, lb_error_t *err) {
    if (t->trained) return lb_error_set(err, LB_EINVAL, "the trainer has already been trained");
    t->trained = 1;
    tt_pairs_t p;
    memset(&p, 0, sizeof p);
    int rc = train(t, &p);
    pairs_free(&p);
    return rc ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
}
