/* Per-layer forward kernels: norms, matmul, RoPE, activations. fp32, OpenMP over rows. */
#include "internal.h"

#include <math.h>
#include <string.h>

void lb_model_rmsnorm_forward(float *out, const float *inp, const float *w, int T, int C,
                              float eps) {
    #pragma omp parallel for schedule(static) if ((size_t)T * C >= LB_PAR_MIN)
    for (int t = 0; t < T; t++) {
        const float *x = inp + (size_t)t * C;
        float *o = out + (size_t)t * C;
        float ss = lb_dot_fixed(x, x, C);
        float r = 1.0f / sqrtf(ss / (float)C + eps);
        for (int i = 0; i < C; i++) o[i] = w[i] * (x[i] * r);
    }
}

void lb_model_layernorm_forward(float *out, const float *inp, const float *w, const float *b,
                                int T, int C, float eps) {
    #pragma omp parallel for schedule(static) if ((size_t)T * C >= LB_PAR_MIN)
    for (int t = 0; t < T; t++) {
        const float *x = inp + (size_t)t * C;
        float *o = out + (size_t)t * C;
        float mean = lb_sum_fixed(x, C) / (float)C;
        float var = lb_sqdev_fixed(x, mean, C);
        float r = 1.0f / sqrtf(var / (float)C + eps);
        for (int i = 0; i < C; i++) o[i] = (x[i] - mean) * r * w[i] + b[i];
    }
}

void lb_model_matmul_forward(float *out, const float *inp, const float *w, const float *bias,
                             int T, int C, int OC, int w_in_out, float beta) {
    /* The fixed-order kernel: the same bits for any thread count and instruction set. */
    lb_model_matmul_inv(out, inp, w, LB_DTYPE_F32, bias, T, C, OC, w_in_out, beta);
}

/* Rotate the first rot dims of each head by +angle (sign 1, forward) or -angle (sign -1: the
 * transpose of the rotation, which is its backward). Negating sin is exact, so sign -1 gives
 * bit for bit what a separate backward loop would. */
void lbi_model_rope_rotate(float *x, int ld, const int *pos, int T, int n_heads, int hd, int rot,
                          const float *cos_t, const float *sin_t, float sign) {
    int half = rot / 2;
    #pragma omp parallel for schedule(static) if ((size_t)T * n_heads * rot >= LB_PAR_MIN)
    for (int t = 0; t < T; t++) {
        const float *c = cos_t + (size_t)pos[t] * half;
        const float *s = sin_t + (size_t)pos[t] * half;
        for (int h = 0; h < n_heads; h++) {
            float *v = x + (size_t)t * ld + (size_t)h * hd;
            /* q*cos + rotate_half(q)*sin, rotate_half(q) = cat(-q[half:], q[:half]). */
            for (int i = 0; i < half; i++) {
                float a = v[i], b = v[i + half], si = sign * s[i];
                v[i] = a * c[i] - b * si;
                v[i + half] = b * c[i] + a * si;
            }
        }
    }
}

void lb_model_rope_forward(float *x, int ld, const int *pos, int T, int n_heads, int hd,
                           int rot, const float *cos_t, const float *sin_t) {
    lbi_model_rope_rotate(x, ld, pos, T, n_heads, hd, rot, cos_t, sin_t, 1.0f);
}

void lb_model_swiglu_forward(float *out, const float *gate, const float *up, size_t n) {
    #pragma omp parallel for simd schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float g = gate[i];
        out[i] = g / (1.0f + lb_fast_expf(-g)) * up[i];
    }
}

void lb_model_gelu_new_forward(float *x, size_t n) {
    const float k = 0.7978845608028654f;   /* sqrt(2/pi) */
    /* 0.5 (1 + tanh(u)) == 1 / (1 + exp(-2u)): one exp, no tanhf call, vectorizes. */
    #pragma omp parallel for simd schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = k * (v + 0.044715f * v * v * v);
        x[i] = v / (1.0f + lb_fast_expf(-2.0f * u));
    }
}

void lb_model_gelu_forward(float *x, size_t n) {
    #pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}
