/* The paged KV cache: a block pool with reference counts, sequences as block tables. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int lb_kvcache_create(const lb_model_t *m, size_t capacity_tokens, int max_seqs,
                      int max_seq_len, int block_size, lb_kvcache_t **out, lb_error_t *err) {
    *out = NULL;
    const lb_model_config_t *g = lb_model_config(m);
    if (block_size == 0) block_size = 16;
    if (max_seq_len == 0) max_seq_len = g->max_position_embeddings;
    if (block_size < 1 || max_seqs < 1 || max_seq_len < 1 || capacity_tokens < 1)
        return lb_error_set(err, LB_EINVAL, "kv cache: sizes must be positive");
    size_t nb = (capacity_tokens + (size_t)block_size - 1) / (size_t)block_size;
    if (nb > (1u << 30))
        return lb_error_set(err, LB_EINVAL, "kv cache: capacity %zu is too large",
                            capacity_tokens);
    lb_kvcache_t *kv = calloc(1, sizeof *kv);
    if (!kv) return lb_error_set(err, LB_ENOMEM, "kv cache: out of memory");
    kv->n_layers = g->n_layers;
    kv->n_kv_heads = g->n_kv_heads;
    kv->head_dim = g->head_dim;
    kv->block_size = block_size;
    kv->n_blocks = (int)nb;
    kv->max_seqs = max_seqs;
    kv->max_seq_len = max_seq_len;
    kv->max_blocks_per_seq = (max_seq_len + block_size - 1) / block_size;
    size_t per = (size_t)g->n_layers * nb * g->n_kv_heads * block_size * g->head_dim;
    kv->k = malloc(per * sizeof(float));
    kv->v = malloc(per * sizeof(float));
    kv->refcount = calloc(nb, sizeof(int));
    kv->free_list = malloc(nb * sizeof(int));
    kv->seqs = calloc((size_t)max_seqs, sizeof *kv->seqs);
    kv->table = malloc((size_t)max_seqs * kv->max_blocks_per_seq * sizeof(int));
    if (!kv->k || !kv->v || !kv->refcount || !kv->free_list || !kv->seqs || !kv->table) {
        lb_kvcache_free(kv);
        return lb_error_set(err, LB_ENOMEM, "kv cache: cannot reserve %zu bytes",
                            2 * per * sizeof(float));
    }
    /* Pop order hands out block 0 first: neighbouring positions stay near in memory. */
    for (int i = 0; i < kv->n_blocks; i++) kv->free_list[i] = kv->n_blocks - 1 - i;
    kv->n_free = kv->n_blocks;
    for (int s = 0; s < max_seqs; s++)
        kv->seqs[s].blocks = kv->table + (size_t)s * kv->max_blocks_per_seq;
    *out = kv;
    return 0;
}

void lb_kvcache_free(lb_kvcache_t *kv) {
    if (!kv) return;
    free(kv->k);
    free(kv->v);
    free(kv->refcount);
    free(kv->free_list);
    free(kv->seqs);
    free(kv->table);
    free(kv);
}

static int free_slot(const lb_kvcache_t *kv) {
    for (int s = 0; s < kv->max_seqs; s++)
        if (!kv->seqs[s].live) return s;
    return -1;
}

int lb_kvcache_seq_new(lb_kvcache_t *kv, lb_error_t *err) {
    int s = free_slot(kv);
    if (s < 0)
        return lb_error_set(err, LB_ENOMEM, "kv cache: all %d sequence slots are in use",
                            kv->max_seqs);
    kv->seqs[s].live = 1;
    kv->seqs[s].len = 0;
    return s;
}

static int n_used_blocks(const lb_kvcache_t *kv, int len) {
    return (len + kv->block_size - 1) / kv->block_size;
}

int lb_kvcache_seq_fork(lb_kvcache_t *kv, int src, lb_error_t *err) {
    if (src < 0 || src >= kv->max_seqs || !kv->seqs[src].live)
        return lb_error_set(err, LB_EINVAL, "kv cache: cannot fork sequence %d: not live", src);
    int s = free_slot(kv);
    if (s < 0)
        return lb_error_set(err, LB_ENOMEM, "kv cache: all %d sequence slots are in use",
                            kv->max_seqs);
    lb_kvseq_t *a = &kv->seqs[src], *b = &kv->seqs[s];
    int nb = n_used_blocks(kv, a->len);
    for (int i = 0; i < nb; i++) {
        b->blocks[i] = a->blocks[i];
        kv->refcount[a->blocks[i]]++;
    }
    b->len = a->len;
    b->live = 1;
    return s;
}

static void unref(lb_kvcache_t *kv, int block) {
    if (--kv->refcount[block] == 0) kv->free_list[kv->n_free++] = block;
}

void lb_kvcache_seq_free(lb_kvcache_t *kv, int seq) {
    if (!kv || seq < 0 || seq >= kv->max_seqs || !kv->seqs[seq].live) return;
    lb_kvseq_t *q = &kv->seqs[seq];
    int nb = n_used_blocks(kv, q->len);
    for (int i = 0; i < nb; i++) unref(kv, q->blocks[i]);
    q->live = 0;
    q->len = 0;
}

int lb_kvcache_seq_len(const lb_kvcache_t *kv, int seq) {
    if (seq < 0 || seq >= kv->max_seqs || !kv->seqs[seq].live) return 0;
    return kv->seqs[seq].len;
}

int lb_kvcache_free_blocks(const lb_kvcache_t *kv) { return kv->n_free; }
int lb_kvcache_block_size(const lb_kvcache_t *kv) { return kv->block_size; }
size_t lb_kvcache_bytes(const lb_kvcache_t *kv) {
    return 2 * (size_t)kv->n_layers * kv->n_blocks * kv->n_kv_heads * kv->block_size *
           kv->head_dim * sizeof(float);
}

/* Copy the first `rows` positions of block src into dst, every layer and head. */
static void copy_block(lb_kvcache_t *kv, int dst, int src, int rows) {
    size_t n = (size_t)rows * kv->head_dim * sizeof(float);
    for (int l = 0; l < kv->n_layers; l++)
        for (int h = 0; h < kv->n_kv_heads; h++) {
            memcpy(lb_kv_ptr(kv->k, kv, l, dst, h), lb_kv_ptr(kv->k, kv, l, src, h), n);
            memcpy(lb_kv_ptr(kv->v, kv, l, dst, h), lb_kv_ptr(kv->v, kv, l, src, h), n);
        }
}

int lbi_kvcache_reserve(lb_kvcache_t *kv, int n_seqs, const int *seq_ids, const int *n,
                       lb_error_t *err) {
    int need = 0;
    for (int i = 0; i < n_seqs; i++) {
        const lb_kvseq_t *q = &kv->seqs[seq_ids[i]];
        int have = n_used_blocks(kv, q->len);
        need += n_used_blocks(kv, q->len + n[i]) - have;
        if (q->len % kv->block_size && kv->refcount[q->blocks[have - 1]] > 1) need++;
    }
    if (need > kv->n_free)
        return lb_error_set(err, LB_ENOMEM,
                            "kv cache: %d more blocks needed, %d free (capacity %d tokens)",
                            need, kv->n_free, kv->n_blocks * kv->block_size);
    for (int i = 0; i < n_seqs; i++) {
        lb_kvseq_t *q = &kv->seqs[seq_ids[i]];
        int have = n_used_blocks(kv, q->len);
        int fill = q->len % kv->block_size;
        if (fill && kv->refcount[q->blocks[have - 1]] > 1) {
            int b = kv->free_list[--kv->n_free];
            kv->refcount[b] = 1;
            copy_block(kv, b, q->blocks[have - 1], fill);
            kv->refcount[q->blocks[have - 1]]--;
            q->blocks[have - 1] = b;
        }
        int want = n_used_blocks(kv, q->len + n[i]);
        for (int j = have; j < want; j++) {
            int b = kv->free_list[--kv->n_free];
            kv->refcount[b] = 1;
            q->blocks[j] = b;
        }
    }
    return 0;
}

void lbi_kvcache_advance(lb_kvcache_t *kv, int n_seqs, const int *seq_ids, const int *n) {
    for (int i = 0; i < n_seqs; i++) kv->seqs[seq_ids[i]].len += n[i];
}

void lbi_kvcache_write(lb_kvcache_t *kv, int layer, const float *k, const float *v, int ld,
                      int n_seqs, const int *seq_ids, const int *tok_off, const int *pos0) {
    int hd = kv->head_dim, bs = kv->block_size;
    #pragma omp parallel for schedule(static) if (tok_off[n_seqs] >= 64)
    for (int i = 0; i < n_seqs; i++) {
        const lb_kvseq_t *q = &kv->seqs[seq_ids[i]];
        for (int t = tok_off[i]; t < tok_off[i + 1]; t++) {
            int p = pos0[i] + (t - tok_off[i]);
            int b = q->blocks[p / bs], r = p % bs;
            for (int h = 0; h < kv->n_kv_heads; h++) {
                memcpy(lb_kv_ptr(kv->k, kv, layer, b, h) + (size_t)r * hd,
                       k + (size_t)t * ld + (size_t)h * hd, (size_t)hd * sizeof(float));
                memcpy(lb_kv_ptr(kv->v, kv, layer, b, h) + (size_t)r * hd,
                       v + (size_t)t * ld + (size_t)h * hd, (size_t)hd * sizeof(float));
            }
        }
    }
}
