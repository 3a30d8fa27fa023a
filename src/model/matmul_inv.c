/* Batch-invariant matmul: every output element is computed by one fixed sequence of fp32
 * operations that depends only on C (never on T, on the row's place in the batch or on the
 * thread count), so a sequence's logits are bit-identical whatever batch it is decoded in.
 * OpenBLAS 0.3.21's sgemm is not: its micro-kernels for 16-, 8-, 4- and 1-row panels and its
 * thread split sum in different orders (measured: a row's result changes with M), and sgemv
 * differs from both. Tiles are padded by repeating a valid row/column pointer, so every element
 * goes through the same code; threads split output columns only, never a reduction. */
#include "internal.h"

#include <string.h>

typedef float lb_v8 __attribute__((vector_size(32)));

/* Vectors travel by pointer: passing them by value changes the ABI without -mavx. */
#define LD8(v, p) memcpy(&(v), (p), sizeof(lb_v8))

static inline float hsum8(const lb_v8 *a) {
    const float *l = (const float *)a;
    return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
}

/* d[i][j] = dot(a[i], w[j]) over C, lane k % 8 accumulating in k order, then hsum8.
 * a: 2 rows (C,), w: 4 rows (C,). */
static void tile_nt(const float *const a[2], const float *const w[4], int C, float d[2][4]) {
    lb_v8 acc[2][4];
    memset(acc, 0, sizeof acc);
    const int C8 = C & ~7;
    for (int k = 0; k < C8; k += 8) {
        lb_v8 x0, x1;
        LD8(x0, a[0] + k);
        LD8(x1, a[1] + k);
        for (int j = 0; j < 4; j++) {
            lb_v8 y;
            LD8(y, w[j] + k);
            acc[0][j] += x0 * y;
            acc[1][j] += x1 * y;
        }
    }
    for (int k = C8; k < C; k++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++) acc[i][j][k - C8] += a[i][k] * w[j][k];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) d[i][j] = hsum8(&acc[i][j]);
}

/* out[o] = beta * out[o] + d (+ bias[o]): the same two steps for every element. */
static inline void store(float *o, float d, float beta, const float *bias, int oc) {
    float v = beta != 0.0f ? beta * *o + d : d;
    *o = bias ? v + bias[oc] : v;
}

/* W (OC, C), nn.Linear. */
static void matmul_nt(float *out, const float *inp, const float *w, const float *bias, int T,
                      int C, int OC, float beta) {
    /* A column block of W stays in L2 while every row pair streams past it. */
    int nb = (32768 / (C > 0 ? C : 1)) & ~3;
    if (nb < 4) nb = 4;
    const int n_blocks = (OC + nb - 1) / nb;
    #pragma omp parallel for schedule(static) if ((size_t)T * C * OC >= 8 * (size_t)LB_PAR_MIN)
    for (int b = 0; b < n_blocks; b++) {
        const int o0 = b * nb, o1 = o0 + nb < OC ? o0 + nb : OC;
        for (int t = 0; t < T; t += 2) {
            const float *a[2] = {inp + (size_t)t * C,
                                 inp + (size_t)(t + 1 < T ? t + 1 : t) * C};
            for (int o = o0; o < o1; o += 4) {
                const float *wr[4];
                for (int j = 0; j < 4; j++) wr[j] = w + (size_t)(o + j < o1 ? o + j : o) * C;
                float d[2][4];
                tile_nt(a, wr, C, d);
                for (int i = 0; i < 2 && t + i < T; i++)
                    for (int j = 0; j < 4 && o + j < o1; j++)
                        store(out + (size_t)(t + i) * OC + o + j, d[i][j], beta, bias, o + j);
            }
        }
    }
}

/* W (C, OC), GPT-2 Conv1D: each element is a plain k-ordered sum, eight columns per vector
 * lane; the last OC % 8 columns use the same sum in scalar form (identical results). */
static void matmul_nn(float *out, const float *inp, const float *w, const float *bias, int T,
                      int C, int OC, float beta) {
    const int nb = 64, n_blocks = (OC + nb - 1) / nb;
    #pragma omp parallel for schedule(static) if ((size_t)T * C * OC >= 8 * (size_t)LB_PAR_MIN)
    for (int b = 0; b < n_blocks; b++) {
        const int o0 = b * nb, o1 = o0 + nb < OC ? o0 + nb : OC, o8 = o0 + ((o1 - o0) & ~7);
        for (int t = 0; t < T; t += 4) {
            const float *a[4];
            for (int i = 0; i < 4; i++) a[i] = inp + (size_t)(t + i < T ? t + i : t) * C;
            for (int o = o0; o < o8; o += 8) {
                lb_v8 acc[4];
                memset(acc, 0, sizeof acc);
                for (int k = 0; k < C; k++) {
                    lb_v8 y;
                    LD8(y, w + (size_t)k * OC + o);
                    for (int i = 0; i < 4; i++) acc[i] += a[i][k] * y;
                }
                for (int i = 0; i < 4 && t + i < T; i++)
                    for (int j = 0; j < 8; j++)
                        store(out + (size_t)(t + i) * OC + o + j, acc[i][j], beta, bias, o + j);
            }
            for (int o = o8; o < o1; o++)
                for (int i = 0; i < 4 && t + i < T; i++) {
                    float s = 0.0f;
                    for (int k = 0; k < C; k++) s += a[i][k] * w[(size_t)k * OC + o];
                    store(out + (size_t)(t + i) * OC + o, s, beta, bias, o);
                }
        }
    }
}

void lb_model_matmul_forward_inv(float *out, const float *inp, const float *w,
                                 const float *bias, int T, int C, int OC, int w_in_out,
                                 float beta) {
    if (w_in_out) matmul_nn(out, inp, w, bias, T, C, OC, beta);
    else matmul_nt(out, inp, w, bias, T, C, OC, beta);
}
