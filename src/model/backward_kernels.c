/* Backward kernels of the per-layer forward kernels (norms, matmul, RoPE, activations,
 * embeddings). Statistics of the norms are recomputed from the saved inputs: one pass over a
 * row costs less than planning and storing them. Weight gradients of the norms sum over rows
 * on one thread (T*C work, negligible next to the matmuls) so no reduction buffer is needed. */
#include "internal.h"
#include "leakbound/model_backward.h"

#include <math.h>
#include <string.h>

void lb_model_rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp,
                               const float *w, int T, int C, float eps) {
    #pragma omp parallel for schedule(static) if ((size_t)T * C >= LB_PAR_MIN)
    for (int t = 0; t < T; t++) {
        const float *x = inp + (size_t)t * C, *g = dout + (size_t)t * C;
        float *dx = dinp + (size_t)t * C;
        float ss = lb_dot_fixed(x, x, C), dot = 0.0f;
        for (int i = 0; i < C; i++) dot += g[i] * w[i] * x[i];
        float r = 1.0f / sqrtf(ss / (float)C + eps);
        /* d(x*r)/dx applied to dn = dout*w: r*dn - x * r^3 * sum(dn*x) / C. */
        float k = dot * r * r * r / (float)C;
        for (int i = 0; i < C; i++) dx[i] = g[i] * w[i] * r - x[i] * k;
    }
    for (int t = 0; t < T; t++) {
        const float *x = inp + (size_t)t * C, *g = dout + (size_t)t * C;
        float r = 1.0f / sqrtf(lb_dot_fixed(x, x, C) / (float)C + eps);
        for (int i = 0; i < C; i++) dw[i] += g[i] * (x[i] * r);
    }
}

/* mean and 1/std of one row, as the forward computes them. */
static void ln_stats(const float *x, int C, float eps, float *mean_out, float *rstd_out) {
    float mean = lb_sum_fixed(x, C) / (float)C;
    float var = lb_sqdev_fixed(x, mean, C);
    *mean_out = mean;
    *rstd_out = 1.0f / sqrtf(var / (float)C + eps);
}

void lb_model_layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                                 const float *inp, const float *w, int T, int C, float eps) {
    #pragma omp parallel for schedule(static) if ((size_t)T * C >= LB_PAR_MIN)
    for (int t = 0; t < T; t++) {
        const float *x = inp + (size_t)t * C, *g = dout + (size_t)t * C;
        float *dx = dinp + (size_t)t * C;
        float mean, rstd;
        ln_stats(x, C, eps, &mean, &rstd);
        float m1 = 0.0f, m2 = 0.0f;   /* mean(dn), mean(dn * xhat) */
        for (int i = 0; i < C; i++) {
            float dn = g[i] * w[i];
            m1 += dn;
            m2 += dn * (x[i] - mean) * rstd;
        }
        m1 /= (float)C;
        m2 /= (float)C;
        for (int i = 0; i < C; i++) {
            float xh = (x[i] - mean) * rstd;
            dx[i] = rstd * (g[i] * w[i] - m1 - xh * m2);
        }
    }
    for (int t = 0; t < T; t++) {
        const float *x = inp + (size_t)t * C, *g = dout + (size_t)t * C;
        float mean, rstd;
        ln_stats(x, C, eps, &mean, &rstd);
        for (int i = 0; i < C; i++) {
            dw[i] += g[i] * ((x[i] - mean) * rstd);
            db[i] += g[i];
        }
    }
}

void lb_model_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout,
                              const float *inp, const float *w, int T, int C, int OC,
                              int w_in_out, float beta) {
    if (dinp)   /* dinp (T, C) = dout (T, OC) @ W (OC, C); Conv1D: dout @ W^T with W (C, OC). */
        lb_model_gemm(dinp, C, dout, OC, 0, w, w_in_out ? OC : C, !w_in_out, T, C, OC, beta);
    if (w_in_out)   /* dW (C, OC) += inp^T @ dout */
        lb_model_gemm(dw, OC, inp, C, 1, dout, OC, 1, C, OC, T, 1.0f);
    else            /* dW (OC, C) += dout^T @ inp */
        lb_model_gemm(dw, C, dout, OC, 1, inp, C, 1, OC, C, T, 1.0f);
    if (dbias)
        for (int t = 0; t < T; t++) {
            const float *g = dout + (size_t)t * OC;
            for (int o = 0; o < OC; o++) dbias[o] += g[o];
        }
}

void lb_model_rope_backward(float *dx, int ld, const int *pos, int T, int n_heads, int hd,
                            int rot, const float *cos_t, const float *sin_t) {
    lbi_model_rope_rotate(dx, ld, pos, T, n_heads, hd, rot, cos_t, sin_t, -1.0f);
}

void lb_model_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                              const float *up, size_t n) {
    #pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float g = gate[i], d = dout[i];
        float s = 1.0f / (1.0f + expf(-g));
        float silu = g * s;
        dup[i] = d * silu;
        dgate[i] = d * up[i] * s * (1.0f + g * (1.0f - s));
    }
}

void lb_model_gelu_new_backward(float *dx, const float *dout, const float *x, size_t n) {
    const float k = 0.7978845608028654f;   /* sqrt(2/pi) */
    #pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = k * (v + 0.044715f * v * v * v);
        float th = tanhf(u);
        float du = k * (1.0f + 3.0f * 0.044715f * v * v);
        float d = 0.5f * (1.0f + th) + 0.5f * v * (1.0f - th * th) * du;
        dx[i] = dout[i] * d;
    }
}

void lb_model_gelu_backward(float *dx, const float *dout, const float *x, size_t n) {
    const float inv_sqrt_2pi = 0.3989422804014327f;
    #pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * (float)M_SQRT1_2));
        float pdf = inv_sqrt_2pi * expf(-0.5f * v * v);
        dx[i] = dout[i] * (cdf + v * pdf);
    }
}

void lb_model_embedding_backward(float *dwte, float *dwpe, const float *dout,
                                 const int32_t *tokens, const int *pos, int T, int C) {
    /* Rows may repeat a token: one thread keeps the sums race-free. */
    for (int t = 0; t < T; t++) {
        const float *g = dout + (size_t)t * C;
        float *r = dwte + (size_t)tokens[t] * C;
        for (int i = 0; i < C; i++) r[i] += g[i];
        if (dwpe) {
            float *p = dwpe + (size_t)pos[t] * C;
            for (int i = 0; i < C; i++) p[i] += g[i];
        }
    }
}
