/* Layer kernels against direct double-precision loops written here from the definitions
 * (the whole forward is checked against PyTorch by tests/oracle/model_oracle.py). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "leakbound/model.h"

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void test_causal_attention_gqa(void **state) {
    (void)state;
    enum { T = 150, H = 6, KV = 2, HD = 16, LDQ = H * HD + 5, LDKV = KV * HD + 3 };
    unsigned seed = 1;
    float *q = malloc(sizeof(float) * T * LDQ), *k = malloc(sizeof(float) * T * LDKV);
    float *v = malloc(sizeof(float) * T * LDKV), *out = malloc(sizeof(float) * T * H * HD);
    float *scratch = malloc(sizeof(float) * H * LB_MODEL_ATT_CHUNK * T);
    double *p = malloc(sizeof(double) * T);
    for (int i = 0; i < T * LDQ; i++) q[i] = 2 * frand(&seed);
    for (int i = 0; i < T * LDKV; i++) k[i] = 2 * frand(&seed), v[i] = frand(&seed);
    lb_model_causal_attention_forward(out, q, LDQ, k, v, LDKV, T, H, KV, HD, scratch);
    double worst = 0;
    for (int t = 0; t < T; t++)
        for (int h = 0; h < H; h++) {
            int kh = h / (H / KV);
            double mx = -INFINITY, sum = 0;
            for (int j = 0; j <= t; j++) {
                double d = 0;
                for (int e = 0; e < HD; e++)
                    d += (double)q[t * LDQ + h * HD + e] * k[j * LDKV + kh * HD + e];
                p[j] = d / sqrt((double)HD);
                if (p[j] > mx) mx = p[j];
            }
            for (int j = 0; j <= t; j++) sum += p[j] = exp(p[j] - mx);
            for (int e = 0; e < HD; e++) {
                double o = 0;
                for (int j = 0; j <= t; j++) o += p[j] / sum * v[j * LDKV + kh * HD + e];
                double d = fabs(o - out[t * H * HD + h * HD + e]);
                if (d > worst) worst = d;
            }
        }
    assert_true(worst < 1e-5);
    free(q), free(k), free(v), free(out), free(scratch), free(p);
}

static void test_rope_rotate_half(void **state) {
    (void)state;
    /* Two heads of 8 dims, rotating the first 4 (Phi's partial rotary): pairs (i, i + 2). */
    float x[2 * 8], x0[2 * 8];
    unsigned seed = 3;
    for (int i = 0; i < 16; i++) x0[i] = x[i] = frand(&seed);
    float cs[3 * 2], sn[3 * 2];
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < 2; i++) {
            cs[p * 2 + i] = cosf(0.3f * p * (i + 1));
            sn[p * 2 + i] = sinf(0.3f * p * (i + 1));
        }
    int pos = 2;
    lb_model_rope_forward(x, 16, &pos, 1, 2, 8, 4, cs, sn);
    for (int h = 0; h < 2; h++) {
        const float *a = x0 + h * 8;
        for (int i = 0; i < 2; i++) {
            double c = cos(0.3 * 2 * (i + 1)), s = sin(0.3 * 2 * (i + 1));
            assert_float_equal(x[h * 8 + i], a[i] * c - a[i + 2] * s, 1e-6);
            assert_float_equal(x[h * 8 + i + 2], a[i + 2] * c + a[i] * s, 1e-6);
        }
        for (int i = 4; i < 8; i++) assert_float_equal(x[h * 8 + i], a[i], 0);
    }
}

static void test_norms_and_activations(void **state) {
    (void)state;
    float x[4] = {1, -2, 3, 0.5f}, w[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, o[4];
    double ms = (1 + 4 + 9 + 0.25) / 4, mean = 2.5 / 4, var = 0;
    for (int i = 0; i < 4; i++) var += (x[i] - mean) * (x[i] - mean) / 4;
    lb_model_rmsnorm_forward(o, x, w, 1, 4, 1e-5f);
    for (int i = 0; i < 4; i++) assert_float_equal(o[i], w[i] * x[i] / sqrt(ms + 1e-5), 1e-5);
    lb_model_layernorm_forward(o, x, w, b, 1, 4, 1e-5f);
    for (int i = 0; i < 4; i++)
        assert_float_equal(o[i], (x[i] - mean) / sqrt(var + 1e-5) * w[i] + b[i], 1e-5);
    /* Over the range activations meet, including where the fast exp clamps. */
    enum { N = 2001 };
    static float g[N], g2[N], up[N], sw[N];
    for (int i = 0; i < N; i++) g[i] = g2[i] = (float)(i - 1000) / 10.0f, up[i] = 0.5f;
    lb_model_gelu_new_forward(g, N);
    lb_model_gelu_forward(g2, N);
    for (int i = 0; i < N; i++) sw[i] = (float)(i - 1000) / 10.0f;
    lb_model_swiglu_forward(sw, sw, up, N);
    for (int i = 0; i < N; i++) {
        double xv = (i - 1000) / 10.0;
        double gn = 0.5 * xv * (1 + tanh(sqrt(2 / M_PI) * (xv + 0.044715 * xv * xv * xv)));
        double ge = 0.5 * xv * (1 + erf(xv / sqrt(2.0)));
        double si = xv / (1 + exp(-xv)) * 0.5;
        assert_true(fabs(g[i] - gn) <= 1e-6 * (1 + fabs(gn)));
        assert_true(fabs(g2[i] - ge) <= 1e-6 * (1 + fabs(ge)));
        assert_true(fabs(sw[i] - si) <= 1e-6 * (1 + fabs(si)));
    }
}

static void test_matmul_layouts(void **state) {
    (void)state;
    /* (T, C) @ W^T with W (OC, C), and @ W with W (C, OC), for 1, 2 (gemv) and 5 rows
     * (sgemm), with bias, accumulating (beta = 1) or overwriting (beta = 0). */
    enum { C = 7, OC = 5 };
    float w[OC * C], wt[C * OC], bias[OC], x[5 * C];
    unsigned seed = 9;
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++) wt[c * OC + o] = w[o * C + c] = frand(&seed);
    for (int i = 0; i < OC; i++) bias[i] = frand(&seed);
    for (int i = 0; i < 5 * C; i++) x[i] = frand(&seed);
    int rows[3] = {1, 2, 5};
    for (int r = 0; r < 6; r++)
        for (int layout = 0; layout < 2; layout++) {
            int T = rows[r % 3], acc = r < 3;   /* beta = 1 onto ones, then beta = 0 */
            float out[5 * OC];
            for (int i = 0; i < T * OC; i++) out[i] = acc ? 1.0f : NAN;
            lb_model_matmul_forward(out, x, layout ? wt : w, bias, T, C, OC, layout,
                                    acc ? 1.0f : 0.0f);
            for (int t = 0; t < T; t++)
                for (int o = 0; o < OC; o++) {
                    double e = acc + bias[o];
                    for (int c = 0; c < C; c++) e += (double)x[t * C + c] * w[o * C + c];
                    assert_float_equal(out[t * OC + o], e, 1e-5);
                }
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_causal_attention_gqa),
        cmocka_unit_test(test_rope_rotate_half),
        cmocka_unit_test(test_norms_and_activations),
        cmocka_unit_test(test_matmul_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
