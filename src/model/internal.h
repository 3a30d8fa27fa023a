/*
 * internal.h — the model module's private structures, shared by its .c files only (the weight
 * layout other modules may read is leakbound/model_layout.h).
 */
#ifndef LB_MODEL_INTERNAL_H
#define LB_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "leakbound/core.h"
#include "leakbound/model.h"
#include "leakbound/model_layout.h"
#include "leakbound/kvcache.h"
#include "leakbound/safetensors.h"

typedef struct lb_kvseq {
    int live;
    int len;
    int *blocks;              /* (max_blocks_per_seq,) block ids, first ceil(len/bs) used */
} lb_kvseq_t;

struct lb_kvcache {
    int n_layers, n_kv_heads, head_dim;
    int block_size;
    int n_blocks;
    int max_seqs, max_seq_len, max_blocks_per_seq;
    float *k, *v;             /* each (L, n_blocks, n_kv_heads, block_size, hd) */
    int *refcount;            /* (n_blocks,) */
    int *free_list;           /* (n_blocks,) stack of free block ids */
    int n_free;
    lb_kvseq_t *seqs;         /* (max_seqs,) */
    int *table;               /* (max_seqs, max_blocks_per_seq) backing seqs[i].blocks */
};

/* exp(x) to about 1 ulp for x in [-87, 88] (clamped outside: -inf gives e^-87, +inf e^88),
 * NaN for NaN, written so that loops over it vectorize (glibc's expf does not without
 * -ffast-math): 2^n * e^r, |r| <= ln2/2, degree-6 Taylor polynomial (truncation error < 2e-7
 * relative). Every step is defined behaviour for every input: the clamp sends NaN to -87 (the
 * comparisons are false for it), so n is an integer in [-126, 127] before the conversion and
 * the exponent field (n + 127) is never negative; the NaN is put back by the final select. */
static inline float lb_fast_expf(float x) {
    float c = x > -87.0f ? x : -87.0f;          /* NaN fails the test: -87 */
    c = c < 88.0f ? c : 88.0f;
    /* Round to nearest by adding and removing 1.5 * 2^23 (floorf blocks vectorisation). */
    float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = c - n * 0.693145751953125f;       /* ln2 split in two for an exact product */
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
                                                            r * (1.0f / 720))))));
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x != x ? x : p * scale;
}

/* Sums in a fixed order, the same bits whatever vector width the compiler or CPU uses (an
 * `omp simd reduction` splits a sum into as many lanes as the build's vectors have): 16
 * partial sums, element i into lane i % 16, then a fixed tree (8, 4, 2, 1). The lane loops
 * vectorize on any width that divides 16. */
#define LB_LANES 16
static inline float lb_lanes_total(float acc[LB_LANES]) {
    for (int w = LB_LANES / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) acc[j] += acc[j + w];
    return acc[0];
}

/* sum of a[i] * b[i], i < n */
static inline float lb_dot_fixed(const float *a, const float *b, int n) {
    float acc[LB_LANES] = {0};
    int i = 0;
    for (; i + LB_LANES <= n; i += LB_LANES)
        for (int j = 0; j < LB_LANES; j++) acc[j] += a[i + j] * b[i + j];
    for (int j = 0; i + j < n; j++) acc[j] += a[i + j] * b[i + j];
    return lb_lanes_total(acc);
}

/* sum of a[i], i < n */
static inline float lb_sum_fixed(const float *a, int n) {
    float acc[LB_LANES] = {0};
    int i = 0;
    for (; i + LB_LANES <= n; i += LB_LANES)
        for (int j = 0; j < LB_LANES; j++) acc[j] += a[i + j];
    for (int j = 0; i + j < n; j++) acc[j] += a[i + j];
    return lb_lanes_total(acc);
}

/* sum of (a[i] - m)^2, i < n */
static inline float lb_sqdev_fixed(const float *a, float m, int n) {
    float acc[LB_LANES] = {0};
    int i = 0;
    for (; i + LB_LANES <= n; i += LB_LANES)
        for (int j = 0; j < LB_LANES; j++) {
            float d = a[i + j] - m;
            acc[j] += d * d;
        }
    for (int j = 0; i + j < n; j++) {
        float d = a[i + j] - m;
        acc[j] += d * d;
    }
    return lb_lanes_total(acc);
}

/* Pointer to K (or V) rows of (layer, block, kv head): (block_size, hd). */
static inline float *lb_kv_ptr(float *base, const struct lb_kvcache *kv, int layer, int block,
                               int head) {
    size_t i = (((size_t)layer * kv->n_blocks + block) * kv->n_kv_heads + head);
    return base + i * (size_t)kv->block_size * kv->head_dim;
}

/* Make room for n[i] more positions in each of the n_seqs sequences: allocate blocks and copy a
 * shared partly filled last block. All-or-nothing: LB_ENOMEM leaves the cache unchanged.
 * Lengths are not changed (lbi_kvcache_advance does that after the forward). */
int lbi_kvcache_reserve(struct lb_kvcache *kv, int n_seqs, const int *seq_ids, const int *n,
                       lb_error_t *err);
void lbi_kvcache_advance(struct lb_kvcache *kv, int n_seqs, const int *seq_ids, const int *n);

/* Parse dir/config.json into cfg. */
int lbi_model_parse_config(const char *dir, lb_model_config_t *cfg, lb_error_t *err);

/* Causal attention of the call's query tokens over the cache (after their K/V were written).
 * q (T, n_heads, hd) with row stride ldq; k, v (T, n_kv, hd) the call's own keys and values
 * with row stride ldkv (a prefill from position 0 reads them directly); out (T, n_heads*hd);
 * tokens of sequence s are rows tok_off[s] .. tok_off[s+1]-1 at positions pos0[s] + i.
 * scratch (n_threads, stride) with stride >= max(max_ctx, LB_MODEL_ATT_CHUNK * the most
 * tokens one sequence gets in a call). */
void lbi_model_attention_forward(float *out, const float *q, int ldq, const float *k,
                                const float *v, int ldkv, const struct lb_kvcache *kv, int layer,
                                int n_seqs, const int *seq_ids, const int *tok_off,
                                const int *pos0, int n_heads, int sliding_window,
                                float *scratch, size_t stride, int n_threads);

/* Write K and V rows of the call's tokens into the cache. k, v (T, n_kv*hd), row stride ld. */
void lbi_kvcache_write(struct lb_kvcache *kv, int layer, const float *k, const float *v, int ld,
                      int n_seqs, const int *seq_ids, const int *tok_off, const int *pos0);

/* RoPE by +angle (sign 1) or -angle (sign -1, the backward); see kernels.c.
 * x (T, n_heads, hd) with row stride ld floats; pos (T,); cos_t/sin_t (max_pos, rot/2). */
void lbi_model_rope_rotate(float *x, int ld, const int *pos, int T, int n_heads, int hd, int rot,
                          const float *cos_t, const float *sin_t, float sign);

#endif
