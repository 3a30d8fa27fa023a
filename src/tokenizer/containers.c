/* Growable scratch buffers, string pool and the two hash maps the tokenizer looks tokens up in. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

int tk_buf_reserve(tk_buf_t *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return LB_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int tk_buf_append(tk_buf_t *b, const void *p, size_t n) {
    if (tk_buf_reserve(b, n)) return LB_ENOMEM;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

void tk_buf_free(tk_buf_t *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

int tk_pieces_push(tk_pieces_t *p, size_t off, size_t len, int32_t id, int at_origin) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        tk_piece_t *v = realloc(p->v, cap * sizeof *v);
        if (!v) return LB_ENOMEM;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = (tk_piece_t){off, len, id, at_origin};
    return 0;
}

void tk_pieces_free(tk_pieces_t *p) {
    free(p->v);
    memset(p, 0, sizeof *p);
}

void tk_scratch_free(tk_scratch_t *s) {
    tk_buf_free(&s->a);
    tk_buf_free(&s->b);
    tk_buf_free(&s->c);
    tk_pieces_free(&s->pa);
    tk_pieces_free(&s->pb);
    tk_pieces_free(&s->pc);
    tk_spans_free(&s->spans);
    free(s->cp);
    free(s->bpe);
    memset(s, 0, sizeof *s);
}

/* ---- pool ---- */
struct tk_pool_chunk {
    tk_pool_chunk_t *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *tk_pool_alloc(tk_pool_t *p, size_t n) {
    n = (n + 15) & ~(size_t)15;
    tk_pool_chunk_t *c = p->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = p->head;
        c->used = 0;
        c->cap = cap;
        p->head = c;
    }
    void *r = c->data + c->used;
    c->used += n;
    return r;
}

char *tk_pool_strdup(tk_pool_t *p, const char *s, size_t n) {
    char *d = tk_pool_alloc(p, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void tk_pool_free(tk_pool_t *p) {
    tk_pool_chunk_t *c = p->head;
    while (c) {
        tk_pool_chunk_t *nx = c->next;
        free(c);
        c = nx;
    }
    p->head = NULL;
}

/* ---- string map ---- */
uint64_t tk_hash(const char *s, size_t n) {
    /* FNV-1a over 8-byte words then bytes, finished with a multiply-xorshift mix. */
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

static int strmap_grow(tk_strmap_t *m) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return LB_ENOMEM;
    for (size_t k = 0; k < m->n; k++) {
        size_t i = (size_t)m->hash[k] & (cap - 1);
        while (slots[i]) i = (i + 1) & (cap - 1);
        slots[i] = (uint32_t)k + 1;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int32_t tk_strmap_get(const tk_strmap_t *m, const char *k, size_t n) {
    if (!m->cap) return -1;
    uint64_t h = tk_hash(k, n);
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t s = m->slots[i];
        if (!s) return -1;
        s--;
        if (m->hash[s] == h && m->klen[s] == n && !memcmp(m->key[s], k, n)) return m->val[s];
        i = (i + 1) & mask;
    }
}

int tk_strmap_put(tk_strmap_t *m, const char *k, size_t n, int32_t v) {
    if ((m->n + 1) * 2 > m->cap && strmap_grow(m)) return LB_ENOMEM;
    uint64_t h = tk_hash(k, n);
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t s = m->slots[i];
        if (!s) break;
        s--;
        if (m->hash[s] == h && m->klen[s] == n && !memcmp(m->key[s], k, n)) {
            m->val[s] = v;
            return 0;
        }
        i = (i + 1) & mask;
    }
    if (m->n == m->kcap) {
        size_t kc = m->kcap ? m->kcap * 2 : 512;
        const char **key = realloc(m->key, kc * sizeof *key);
        if (!key) return LB_ENOMEM;
        m->key = key;
        uint32_t *kl = realloc(m->klen, kc * sizeof *kl);
        if (!kl) return LB_ENOMEM;
        m->klen = kl;
        int32_t *val = realloc(m->val, kc * sizeof *val);
        if (!val) return LB_ENOMEM;
        m->val = val;
        uint64_t *hh = realloc(m->hash, kc * sizeof *hh);
        if (!hh) return LB_ENOMEM;
        m->hash = hh;
        m->kcap = kc;
    }
    m->key[m->n] = k;
    m->klen[m->n] = (uint32_t)n;
    m->val[m->n] = v;
    m->hash[m->n] = h;
    m->slots[i] = (uint32_t)m->n + 1;
    m->n++;
    return 0;
}

void tk_strmap_free(tk_strmap_t *m) {
    free(m->slots);
    free(m->key);
    free(m->klen);
    free(m->val);
    free(m->hash);
    memset(m, 0, sizeof *m);
}

/* ---- pair map ---- */
int tk_pairmap_init(tk_pairmap_t *m, size_t expected) {
    size_t cap = 64;
    while (cap < expected * 2 + 2) cap *= 2;
    m->keys = malloc(cap * sizeof *m->keys);
    m->rank = malloc(cap * sizeof *m->rank);
    m->newid = malloc(cap * sizeof *m->newid);
    if (!m->keys || !m->rank || !m->newid) return LB_ENOMEM;
    memset(m->keys, 0xff, cap * sizeof *m->keys);
    m->cap = cap;
    m->n = 0;
    return 0;
}

void tk_pairmap_put(tk_pairmap_t *m, int32_t a, int32_t b, int32_t rank, int32_t newid) {
    uint64_t k = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint64_t h = k * 0x9E3779B97F4A7C15ull;
    size_t mask = m->cap - 1, i = (size_t)(h >> 32) & mask;
    while (m->keys[i] != UINT64_MAX && m->keys[i] != k) i = (i + 1) & mask;
    if (m->keys[i] == UINT64_MAX) m->n++;
    /* A later duplicate overwrites, as HF's HashMap collect does. */
    m->keys[i] = k;
    m->rank[i] = rank;
    m->newid[i] = newid;
}

void tk_pairmap_free(tk_pairmap_t *m) {
    free(m->keys);
    free(m->rank);
    free(m->newid);
    memset(m, 0, sizeof *m);
}
