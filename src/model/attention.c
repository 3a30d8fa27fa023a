/* Causal attention of new tokens over the paged KV cache, OpenMP over (sequence, head). */
#include "internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

void lb_model_attention_forward(float *out, const float *q, int ldq, const lb_kvcache_t *kv,
                                int layer, int n_seqs, const int *seq_ids, const int *tok_off,
                                const int *pos0, int n_heads, int sliding_window,
                                float *scratch, int max_ctx, int n_threads) {
    const int hd = kv->head_dim, bs = kv->block_size;
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
            float *sc = scratch + (size_t)omp_get_thread_num() * max_ctx;   /* (max_ctx,) */
            const int *blocks = kv->seqs[seq_ids[i]].blocks;
            const int kh = h / group;
            for (int t = tok_off[i]; t < tok_off[i + 1]; t++) {
                const int p = pos0[i] + (t - tok_off[i]);
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
                        float d = 0.0f;
                        #pragma omp simd reduction(+:d)
                        for (int e = 0; e < hd; e++) d += qv[e] * kr[e];
                        d *= scale;
                        sc[b * bs + rr] = d;
                        mx = d > mx ? d : mx;
                    }
                }
                float sum = 0.0f;
                #pragma omp simd reduction(+:sum)
                for (int j = j0; j <= p; j++) {
                    sc[j] = lb_fast_expf(sc[j] - mx);
                    sum += sc[j];
                }
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
    }
}
