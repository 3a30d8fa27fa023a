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
    #pragma omp parallel for collapse(2) schedule(dynamic, 1) num_threads(n_threads)
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
                for (int j = j0; j <= p; j++) {
                    const float *kr = lb_kv_ptr(kv->k, kv, layer, blocks[j / bs], kh) +
                                      (size_t)(j % bs) * hd;
                    float d = 0.0f;
                    for (int e = 0; e < hd; e++) d += qv[e] * kr[e];
                    d *= scale;
                    sc[j] = d;
                    if (d > mx) mx = d;
                }
                float sum = 0.0f;
                for (int j = j0; j <= p; j++) {
                    sc[j] = expf(sc[j] - mx);
                    sum += sc[j];
                }
                const float inv = 1.0f / sum;
                float *o = out + (size_t)t * n_heads * hd + (size_t)h * hd;
                memset(o, 0, (size_t)hd * sizeof(float));
                for (int j = j0; j <= p; j++) {
                    const float *vr = lb_kv_ptr(kv->v, kv, layer, blocks[j / bs], kh) +
                                      (size_t)(j % bs) * hd;
                    const float a = sc[j] * inv;
                    for (int e = 0; e < hd; e++) o[e] += a * vr[e];
                }
            }
        }
    }
}
