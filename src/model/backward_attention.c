/* Training attention: forward that keeps the softmax probabilities, and its backward.
 * Probabilities cost B*H*T*T floats a layer; training sequences are short (T <= a few hundred),
 * and keeping them saves recomputing QK^T in the backward. */
#include "internal.h"
#include "leakbound/model_backward.h"

#include <math.h>
#include <omp.h>
#include <string.h>

void lb_model_attention_train_forward(float *out, float *probs, const float *q, int ldq,
                                      const float *k, const float *v, int ldkv, int B, int T,
                                      int n_heads, int n_kv_heads, int hd, int window,
                                      const int *lens) {
    const int group = n_heads / n_kv_heads, ldo = n_heads * hd;
    const float scale = 1.0f / sqrtf((float)hd);
    #pragma omp parallel for schedule(dynamic) collapse(2)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < n_heads; h++) {
            const int kh = h / group;
            const size_t r0 = (size_t)b * T;
            float *P = probs + ((size_t)b * n_heads + h) * (size_t)T * T;
            const float *qb = q + r0 * ldq + (size_t)h * hd;
            const float *kb = k + r0 * ldkv + (size_t)kh * hd;
            const float *vb = v + r0 * ldkv + (size_t)kh * hd;
            /* S (T, T) = Q K^T, then scaled: one fixed-order chain per score. */
            lb_model_gemm(P, T, qb, ldq, 0, kb, ldkv, 0, T, T, hd, 0.0f);
            for (size_t e = 0; e < (size_t)T * T; e++) P[e] *= scale;
            const int len = lens ? lens[b] : T;
            for (int i = 0; i < T; i++) {
                float *row = P + (size_t)i * T;
                int j0 = window > 0 && i - window + 1 > 0 ? i - window + 1 : 0;
                int j1 = i < len - 1 ? i : len - 1;   /* last visible key */
                if (j1 < j0) j1 = j0;   /* a row with nothing visible keeps its first key */
                float mx = -INFINITY;
                for (int j = j0; j <= j1; j++) mx = row[j] > mx ? row[j] : mx;
                float sum = 0.0f;
                for (int j = j0; j <= j1; j++) {
                    row[j] = expf(row[j] - mx);
                    sum += row[j];
                }
                float inv = 1.0f / sum;
                for (int j = 0; j < j0; j++) row[j] = 0.0f;
                for (int j = j0; j <= j1; j++) row[j] *= inv;
                for (int j = j1 + 1; j < T; j++) row[j] = 0.0f;
            }
            lb_model_gemm(out + r0 * ldo + (size_t)h * hd, ldo, P, T, 0, vb, ldkv, 1, T, hd, T,
                          0.0f);
        }
}

void lb_model_attention_train_backward(float *dq, float *dk, float *dv, const float *dout,
                                       const float *probs, const float *q, int ldq,
                                       const float *k, const float *v, int ldkv, int B, int T,
                                       int n_heads, int n_kv_heads, int hd, float *scratch) {
    const int group = n_heads / n_kv_heads, ldo = n_heads * hd;
    const float scale = 1.0f / sqrtf((float)hd);
    /* One task per (sequence, kv head): the query heads sharing a kv head add into the same
     * dK/dV rows, so they run in turn on one thread. */
    #pragma omp parallel for schedule(dynamic) collapse(2)
    for (int b = 0; b < B; b++)
        for (int kh = 0; kh < n_kv_heads; kh++) {
            float *dP = scratch + (size_t)omp_get_thread_num() * T * T;
            const size_t r0 = (size_t)b * T;
            const float *kb = k + r0 * ldkv + (size_t)kh * hd;
            const float *vb = v + r0 * ldkv + (size_t)kh * hd;
            float *dkb = dk + r0 * ldkv + (size_t)kh * hd;
            float *dvb = dv + r0 * ldkv + (size_t)kh * hd;
            for (int h = kh * group; h < (kh + 1) * group; h++) {
                const float beta = h == kh * group ? 0.0f : 1.0f;
                const float *P = probs + ((size_t)b * n_heads + h) * (size_t)T * T;
                const float *dob = dout + r0 * ldo + (size_t)h * hd;
                const float *qb = q + r0 * ldq + (size_t)h * hd;
                /* dV += P^T dO;  dP = dO V^T */
                lb_model_gemm(dvb, ldkv, P, T, 1, dob, ldo, 1, T, hd, T, beta);
                lb_model_gemm(dP, T, dob, ldo, 0, vb, ldkv, 0, T, T, hd, 0.0f);
                /* Softmax backward: dS = P * (dP - sum_j P dP), times the score scale. */
                for (int i = 0; i < T; i++) {
                    const float *pr = P + (size_t)i * T;
                    float *dr = dP + (size_t)i * T;
                    float dot = 0.0f;
                    for (int j = 0; j <= i; j++) dot += pr[j] * dr[j];
                    for (int j = 0; j <= i; j++) dr[j] = pr[j] * (dr[j] - dot) * scale;
                    for (int j = i + 1; j < T; j++) dr[j] = 0.0f;
                }
                /* dQ = dS K;  dK += dS^T Q */
                lb_model_gemm(dq + r0 * ldq + (size_t)h * hd, ldq, dP, T, 0, kb, ldkv, 1, T, hd,
                              T, 0.0f);
                lb_model_gemm(dkb, ldkv, dP, T, 1, qb, ldq, 1, T, hd, T, beta);
            }
        }
}
