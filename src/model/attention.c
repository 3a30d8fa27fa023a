/* Causal attention of new tokens over the paged KV cache, OpenMP over (sequence, head). */
#include "internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* One (sequence, head) from the cache: any start position, sliding windows, decode steps.
 * sc (max_ctx,) scratch. */
static void attend_cache(float *out, const float *q, int ldq, const lb_kvcache_t *kv,
                         int layer, const int *blocks, int t0, int t1, int p0, int h, int kh,
                         int n_heads, int sliding_window, float scale, float *sc) {
    const int hd = kv->head_dim, bs = kv->block_size;
    for (int t = t0; t < t1; t++) {
        const int p = p0 + (t - t0);
        const int j0 = sliding_window > 0 && p - sliding_window + 1 > 0
                           ? p - sliding_window + 1 : 0;
        const float *qv = q + (size_t)t * ldq + (size_t)h * hd;
        float mx = -INFINITY;
        /* Walk the sequence's blocks; rows [lo, hi) of block b are positions in range. */
        for (int b = j0 / bs; b <= p / bs; b++) {
            const float *kb = lb_kv_ptr(kv->k, kv, layer, blocks[b], kh);
            int lo = b * bs < j0 ? j0 - b * bs : 0, hi = p - b * bs + 1;
            if (hi > bs) hi = bs;
            for (int rr = lo; rr < hi; rr++) {
                const float *kr = kb + (size_t)rr * hd;
                float d = lb_dot_fixed(qv, kr, hd) * scale;
                sc[b * bs + rr] = d;
                mx = d > mx ? d : mx;
            }
        }
        #pragma omp simd
        for (int j = j0; j <= p; j++) sc[j] = lb_fast_expf(sc[j] - mx);
        const float sum = lb_sum_fixed(sc + j0, p - j0 + 1);
        const float inv = 1.0f / sum;
        float *o = out + (size_t)t * n_heads * hd + (size_t)h * hd;
        memset(o, 0, (size_t)hd * sizeof(float));
        for (int b = j0 / bs; b <= p / bs; b++) {
            const float *vb = lb_kv_ptr(kv->v, kv, layer, blocks[b], kh);
            int lo = b * bs < j0 ? j0 - b * bs : 0, hi = p - b * bs + 1;
            if (hi > bs) hi = bs;
            for (int rr = lo; rr < hi; rr++) {
                const float *vr = vb + (size_t)rr * hd;
                const float a = sc[b * bs + rr] * inv;
                #pragma omp simd
                for (int e = 0; e < hd; e++) o[e] += a * vr[e];
            }
        }
    }
}

/* One (sequence, head) of a prefill from position 0 without a window: every key is in this
 * call's k/v rows, contiguous, so scores and the weighted sum are two small sgemms per chunk of
 * LB_MODEL_ATT_CHUNK queries. sc (LB_MODEL_ATT_CHUNK * (t1 - t0),) scratch. */
static void attend_fresh(float *out, const float *q, int ldq, const float *k, const float *v,
                         int ldkv, int t0, int t1, int h, int kh, int n_heads, int hd,
                         float scale, float *sc) {
    const int n = t1 - t0;
    for (int c0 = 0; c0 < n; c0 += LB_MODEL_ATT_CHUNK) {
        const int nc = n - c0 < LB_MODEL_ATT_CHUNK ? n - c0 : LB_MODEL_ATT_CHUNK, nk = c0 + nc;
        /* S (nc, nk) = scale * Q[c0:c0+nc] K[0:nk]^T */
        lb_model_gemm(sc, nk, q + (size_t)(t0 + c0) * ldq + (size_t)h * hd, ldq, 0,
                      k + (size_t)t0 * ldkv + (size_t)kh * hd, ldkv, 0, nc, nk, hd, 0.0f);
        for (int r = 0; r < nc; r++) {
            float *s = sc + (size_t)r * nk;
            const int last = c0 + r;   /* causal: keys 0..last */
            float mx = -INFINITY;
            for (int j = 0; j <= last; j++) s[j] *= scale;
            for (int j = 0; j <= last; j++) mx = s[j] > mx ? s[j] : mx;
            #pragma omp simd
            for (int j = 0; j <= last; j++) s[j] = lb_fast_expf(s[j] - mx);
            const float sum = lb_sum_fixed(s, last + 1);
            const float inv = 1.0f / sum;
            #pragma omp simd
            for (int j = 0; j <= last; j++) s[j] *= inv;
            for (int j = last + 1; j < nk; j++) s[j] = 0.0f;
        }
        /* O[c0:c0+nc] (nc, hd) = P (nc, nk) V[0:nk] */
        lb_model_gemm(out + (size_t)(t0 + c0) * n_heads * hd + (size_t)h * hd, n_heads * hd, sc,
                      nk, 0, v + (size_t)t0 * ldkv + (size_t)kh * hd, ldkv, 1, nc, hd, nk, 0.0f);
    }
}

void lb_model_causal_attention_forward(float *out, const float *q, int ldq, const float *k,
                                       const float *v, int ldkv, int T, int n_heads,
                                       int n_kv_heads, int hd, float *scratch) {
    const int group = n_heads / n_kv_heads;
    const float scale = 1.0f / sqrtf((float)hd);
    #pragma omp parallel for schedule(dynamic, 1) \
        if ((size_t)T * T * n_heads * hd >= 4 * LB_PAR_MIN)
    for (int h = 0; h < n_heads; h++)
        attend_fresh(out, q, ldq, k, v, ldkv, 0, T, h, h / group, n_heads, hd, scale,
                     scratch + (size_t)h * LB_MODEL_ATT_CHUNK * T);
}

void lbi_model_attention_forward(float *out, const float *q, int ldq, const float *k,
                                const float *v, int ldkv, const lb_kvcache_t *kv, int layer,
                                int n_seqs, const int *seq_ids, const int *tok_off,
                                const int *pos0, int n_heads, int sliding_window,
                                float *scratch, size_t stride, int n_threads) {
    const int hd = kv->head_dim;
    const int group = n_heads / kv->n_kv_heads;
    const float scale = 1.0f / sqrtf((float)hd);
    /* Multiply-adds against the cache; a short decode step is cheaper on one thread. */
    size_t work = 0;
    for (int i = 0; i < n_seqs; i++)
        work += (size_t)(tok_off[i + 1] - tok_off[i]) * (pos0[i] + tok_off[i + 1] - tok_off[i]);
    work *= (size_t)n_heads * hd;
    #pragma omp parallel for collapse(2) schedule(dynamic, 1) num_threads(n_threads) \
        if (work >= 4 * LB_PAR_MIN)
    for (int i = 0; i < n_seqs; i++) {
        for (int h = 0; h < n_heads; h++) {
            float *sc = scratch + (size_t)omp_get_thread_num() * stride;   /* (stride,) */
            const int n = tok_off[i + 1] - tok_off[i];
            /* All keys at hand, and no window that cuts any of them off. */
            if (pos0[i] == 0 && (sliding_window == 0 || n <= sliding_window) && n >= 8)
                attend_fresh(out, q, ldq, k, v, ldkv, tok_off[i], tok_off[i + 1], h, h / group,
                             n_heads, hd, scale, sc);
            else
                attend_cache(out, q, ldq, kv, layer, kv->seqs[seq_ids[i]].blocks, tok_off[i],
                             tok_off[i + 1], pos0[i], h, h / group, n_heads, sliding_window,
                             scale, sc);
        }
    }
}
