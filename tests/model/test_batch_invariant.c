/* Batch-invariant mode (model.h): lb_model_matmul_forward_inv against a double-precision
 * product (both weight layouts, odd sizes, beta 0/1, bias), its rows bit-identical whatever T
 * and whatever row they sit in; and a Llama's logits for one sequence bit-identical when it is
 * decoded in batches of 1, 2, 3 and 8 (last row of the batch). Sizes are chosen so that
 * OpenBLAS's sgemv and sgemm paths really differ (checked by hand with the mode off). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <omp.h>

#include "leakbound/kvcache.h"
#include "leakbound/model.h"
#include "leakbound/safetensors.h"

static float val(size_t i, unsigned salt) {   /* deterministic values in [-0.5, 0.5) */
    return (float)((int)((i * 2654435761u + salt * 40503u) % 1000) - 500) / 1000.0f;
}

static void check_matmul(int T, int C, int OC, int in_out, float beta, int with_bias) {
    float *w = malloc(sizeof(float) * C * OC), *x = malloc(sizeof(float) * T * C);
    float *b = malloc(sizeof(float) * OC), *o0 = malloc(sizeof(float) * T * OC);
    float *o = malloc(sizeof(float) * T * OC), *one = malloc(sizeof(float) * OC);
    for (int i = 0; i < C * OC; i++) w[i] = val(i, 1);
    for (int i = 0; i < T * C; i++) x[i] = val(i, 2);
    for (int i = 0; i < OC; i++) b[i] = val(i, 3);
    for (int i = 0; i < T * OC; i++) o0[i] = val(i, 4);
    memcpy(o, o0, sizeof(float) * T * OC);
    lb_model_matmul_forward_inv(o, x, w, with_bias ? b : NULL, T, C, OC, in_out, beta);
    for (int t = 0; t < T; t++) {
        for (int j = 0; j < OC; j++) {
            double s = beta * (double)o0[t * OC + j] + (with_bias ? b[j] : 0.0);
            for (int k = 0; k < C; k++)
                s += (double)x[t * C + k] * w[in_out ? k * OC + j : j * C + k];
            assert_true(fabs(s - o[t * OC + j]) <= 1e-5 * (1.0 + C));
        }
        /* The same row alone (T = 1) gives the same bits. */
        memcpy(one, o0 + t * OC, sizeof(float) * OC);
        lb_model_matmul_forward_inv(one, x + t * C, w, with_bias ? b : NULL, 1, C, OC, in_out,
                                    beta);
        assert_memory_equal(one, o + t * OC, sizeof(float) * OC);
    }
    free(w), free(x), free(b), free(o0), free(o), free(one);
}

static void test_matmul_inv(void **state) {
    (void)state;
    for (int in_out = 0; in_out < 2; in_out++) {
        check_matmul(1, 8, 4, in_out, 0.0f, 0);
        check_matmul(5, 37, 13, in_out, 0.0f, 1);
        check_matmul(7, 64, 100, in_out, 1.0f, 0);
        check_matmul(3, 100, 333, in_out, 1.0f, 1);
        check_matmul(66, 256, 300, in_out, 0.0f, 1);   /* big enough to run threaded */
    }
}

/* Every implementation (scalar fmaf, AVX2, AVX-512), every weight dtype (F16/BF16 against
 * the same values widened to F32 first) and every thread count give the same bits: each
 * element is one fma chain over k in order. Sizes cover full and edge panels, K blocks
 * (C > 256) and row tails. */
static void check_impls(int T, int C, int OC, int in_out, float beta, int with_bias) {
    size_t nw = (size_t)C * OC;
    float *w = malloc(sizeof(float) * nw), *x = malloc(sizeof(float) * T * C);
    float *b = malloc(sizeof(float) * OC), *o0 = malloc(sizeof(float) * T * OC);
    float *ref = malloc(sizeof(float) * T * OC), *o = malloc(sizeof(float) * T * OC);
    uint16_t *w16 = malloc(sizeof(uint16_t) * nw);
    float *w16f = malloc(sizeof(float) * nw);
    for (size_t i = 0; i < nw; i++) w[i] = val(i, 11) * 0.37f;
    for (int i = 0; i < T * C; i++) x[i] = val(i, 12) * 1.3f;
    for (int i = 0; i < OC; i++) b[i] = val(i, 13);
    for (int i = 0; i < T * OC; i++) o0[i] = val(i, 14);
    int best = lb_model_matmul_inv_select(-1);
    lb_model_matmul_inv_select(0);
    memcpy(ref, o0, sizeof(float) * T * OC);
    lb_model_matmul_forward_inv(ref, x, w, with_bias ? b : NULL, T, C, OC, in_out, beta);
    for (int lv = 0; lv <= best; lv++)
        for (int th = 1; th <= 3; th++) {
            lb_model_matmul_inv_select(lv);
            omp_set_num_threads(th);
            memcpy(o, o0, sizeof(float) * T * OC);
            lb_model_matmul_forward_inv(o, x, w, with_bias ? b : NULL, T, C, OC, in_out, beta);
            if (memcmp(o, ref, sizeof(float) * T * OC))
                fail_msg("T=%d C=%d OC=%d in_out=%d: level %d with %d threads differs from the "
                         "scalar path", T, C, OC, in_out, lv, th);
        }
    for (int dt = 1; dt <= 2; dt++) {   /* F16, BF16 */
        for (size_t i = 0; i < nw; i++) {
            w16[i] = dt == 1 ? lb_f32_to_f16(w[i]) : lb_f32_to_bf16(w[i]);
            w16f[i] = dt == 1 ? lb_f16_to_f32(w16[i]) : lb_bf16_to_f32(w16[i]);
        }
        lb_model_matmul_inv_select(0);
        memcpy(ref, o0, sizeof(float) * T * OC);
        lb_model_matmul_forward_inv(ref, x, w16f, with_bias ? b : NULL, T, C, OC, in_out, beta);
        for (int lv = 0; lv <= best; lv++) {
            lb_model_matmul_inv_select(lv);
            memcpy(o, o0, sizeof(float) * T * OC);
            lb_model_matmul_inv(o, x, w16, dt == 1 ? LB_DTYPE_F16 : LB_DTYPE_BF16,
                                with_bias ? b : NULL, T, C, OC, in_out, beta);
            if (memcmp(o, ref, sizeof(float) * T * OC))
                fail_msg("T=%d C=%d OC=%d in_out=%d: %s weights at level %d differ from F32",
                         T, C, OC, in_out, dt == 1 ? "F16" : "BF16", lv);
        }
    }
    omp_set_num_threads(2);
    lb_model_matmul_inv_select(-1);
    free(w), free(x), free(b), free(o0), free(ref), free(o), free(w16), free(w16f);
}

static void test_matmul_impls(void **state) {
    (void)state;
    for (int in_out = 0; in_out < 2; in_out++) {
        check_impls(1, 8, 16, in_out, 0.0f, 0);
        check_impls(7, 37, 45, in_out, 1.0f, 1);
        check_impls(13, 300, 70, in_out, 0.0f, 1);     /* two K blocks, edge panels */
        check_impls(30, 520, 96, in_out, 1.0f, 0);     /* three K blocks, full panels */
        check_impls(40, 256, 600, in_out, 1.0f, 1);    /* threaded */
    }
}

/* lb_model_gemm, the general form training and attention use (A or A^T, B as (K, N) or
 * (N, K), row strides wider than the rows): every element equals, bit for bit, the chain it
 * defines, computed here with fmaf; on every implementation and with 1-3 threads. */
static void check_gemm(int M, int N, int K, int a_trans, int b_kn, float beta) {
    const int lda = (a_trans ? M : K) + 3, ldb = (b_kn ? N : K) + 5, ldc = N + 2;
    const size_t na = (size_t)(a_trans ? K : M) * lda, nb = (size_t)(b_kn ? K : N) * ldb;
    float *a = malloc(sizeof(float) * na), *b = malloc(sizeof(float) * nb);
    float *c0 = malloc(sizeof(float) * M * ldc), *c = malloc(sizeof(float) * M * ldc);
    float *want = malloc(sizeof(float) * M * ldc);
    for (size_t i = 0; i < na; i++) a[i] = val(i, 21) * 1.7f;
    for (size_t i = 0; i < nb; i++) b[i] = val(i, 22) * 0.3f;
    for (int i = 0; i < M * ldc; i++) c0[i] = val(i, 23);
    memcpy(want, c0, sizeof(float) * M * ldc);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = beta != 0.0f ? beta * c0[i * ldc + j] : 0.0f;
            for (int k = 0; k < K; k++)
                acc = fmaf(a_trans ? a[(size_t)k * lda + i] : a[(size_t)i * lda + k],
                           b_kn ? b[(size_t)k * ldb + j] : b[(size_t)j * ldb + k], acc);
            want[i * ldc + j] = acc;
        }
    int best = lb_model_matmul_inv_select(-1);
    for (int lv = 0; lv <= best; lv++)
        for (int th = 1; th <= 3; th++) {
            lb_model_matmul_inv_select(lv);
            omp_set_num_threads(th);
            memcpy(c, c0, sizeof(float) * M * ldc);
            lb_model_gemm(c, ldc, a, lda, a_trans, b, ldb, b_kn, M, N, K, beta);
            if (memcmp(c, want, sizeof(float) * M * ldc))
                fail_msg("M=%d N=%d K=%d a_trans=%d b_kn=%d: level %d with %d threads differs "
                         "from the fma chain", M, N, K, a_trans, b_kn, lv, th);
        }
    omp_set_num_threads(2);
    lb_model_matmul_inv_select(-1);
    free(a), free(b), free(c0), free(c), free(want);
}

static void test_gemm_general(void **state) {
    (void)state;
    for (int at = 0; at < 2; at++)
        for (int bk = 0; bk < 2; bk++) {
            check_gemm(1, 3, 5, at, bk, 0.0f);
            check_gemm(17, 33, 70, at, bk, 1.0f);
            check_gemm(64, 48, 300, at, bk, 0.0f);    /* two K blocks, edge panels */
            check_gemm(80, 200, 520, at, bk, 1.0f);   /* threaded, three K blocks */
        }
}

/* A small Llama in dir: D (not a multiple of 8 in the second case, so that a row's alignment
 * changes with its place in the batch), V = 1000. */
static void write_llama(const char *dir, int D, int H, int HD, int KV, int I, int L, int V) {
    char path[512];
    snprintf(path, sizeof path, "mkdir -p %s", dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", "
               "\"vocab_size\": %d, \"hidden_size\": %d, \"intermediate_size\": %d, "
               "\"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
               "\"head_dim\": %d, \"num_key_value_heads\": %d, "
               "\"max_position_embeddings\": 64, \"tie_word_embeddings\": true}\n",
            V, D, I, L, H, HD, KV);
    fclose(f);
    size_t cap = (size_t)V * D + D + (size_t)L * (2 * D + (size_t)(H + 2 * KV) * HD * D +
                                                  (size_t)D * H * HD + 3 * (size_t)I * D);
    float *data = malloc(cap * sizeof(float));
    lb_st_tensor_t t[64];
    static char names[64][96];
    size_t n = 0, off = 0;
    struct { const char *fmt; int rows, cols; } per[] = {
        {"model.layers.%d.input_layernorm.weight", D, 0},
        {"model.layers.%d.post_attention_layernorm.weight", D, 0},
        {"model.layers.%d.self_attn.q_proj.weight", H * HD, D},
        {"model.layers.%d.self_attn.k_proj.weight", KV * HD, D},
        {"model.layers.%d.self_attn.v_proj.weight", KV * HD, D},
        {"model.layers.%d.self_attn.o_proj.weight", D, H * HD},
        {"model.layers.%d.mlp.gate_proj.weight", I, D},
        {"model.layers.%d.mlp.up_proj.weight", I, D},
        {"model.layers.%d.mlp.down_proj.weight", D, I},
    };
    for (int l = -1; l < L; l++) {
        for (int p = 0; p < (l < 0 ? 2 : 9); p++) {
            lb_st_tensor_t *x = &t[n];
            memset(x, 0, sizeof *x);
            int rows = l < 0 ? (p ? D : V) : per[p].rows, cols = l < 0 ? (p ? 0 : D) : per[p].cols;
            if (l < 0) snprintf(names[n], sizeof names[n], "%s",
                                p ? "model.norm.weight" : "model.embed_tokens.weight");
            else snprintf(names[n], sizeof names[n], per[p].fmt, l);
            x->name = names[n++];
            x->dtype = LB_DTYPE_F32;
            x->ndim = cols ? 2 : 1;
            x->shape[0] = rows;
            x->shape[1] = cols;
            size_t k = (size_t)rows * (cols ? cols : 1);
            /* Norm weights near 1, matrices scaled so activations stay O(1). */
            for (size_t i = 0; i < k; i++)
                data[off + i] = cols ? val(off + i, 7) * 3.0f / sqrtf((float)cols)
                                     : 1.0f + val(off + i, 8) * 0.2f;
            x->data = data + off;
            x->nbytes = k * sizeof(float);
            off += k;
        }
    }
    assert_true(off == cap);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    lb_error_t err;
    int rc = lb_st_write(path, t, n, NULL, NULL, 0, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    free(data);
}

enum { STEPS = 4, PLEN = 5, MAXB = 8 };

/* The target sequence's logits after its prefill and each of STEPS decode steps, decoded in
 * a batch of B (the target last). out (STEPS + 1, V). */
static void target_logits(const lb_model_t *m, int B, float *out) {
    const int V = lb_model_config(m)->vocab_size;
    lb_kvcache_t *kv;
    lb_model_runner_t *r;
    lb_error_t err;
    assert_int_equal(lb_kvcache_create(m, 64 * MAXB, MAXB, 32, 4, &kv, &err), 0);
    assert_int_equal(lb_model_runner_create(m, MAXB, 16, 32, 0, &r, &err), 0);
    lb_model_runner_set_batch_invariant(r, 1);
    int ids[MAXB], plen = PLEN;
    const float *lg;
    for (int i = 0; i < B; i++) {   /* the others get other prompts */
        ids[i] = lb_kvcache_seq_new(kv, &err);
        assert_true(ids[i] >= 0);
        int32_t p[PLEN];
        for (int j = 0; j < PLEN; j++) p[j] = (int32_t)((i == B - 1 ? 3 : 17 * i + 40) + 11 * j);
        assert_int_equal(lb_model_forward(r, kv, 1, &ids[i], &plen, p, 0, &lg, &err), 0);
        if (i == B - 1) memcpy(out, lg, sizeof(float) * V);
    }
    for (int s = 0; s < STEPS; s++) {
        int32_t tok[MAXB];
        for (int i = 0; i < B; i++) tok[i] = i == B - 1 ? 100 + 37 * s : 500 + 13 * i + s;
        assert_int_equal(lb_model_decode(r, kv, B, ids, tok, &lg, &err), 0);
        memcpy(out + (size_t)(s + 1) * V, lg + (size_t)(B - 1) * V, sizeof(float) * V);
    }
    lb_model_runner_free(r);
    lb_kvcache_free(kv);
}

static void check_model(int D, int H, int HD, int KV, int I) {
    char dir[256], cmd[300];
    snprintf(dir, sizeof dir, "/tmp/lb_test_batchinv_%d_%d", (int)getpid(), D);
    const int V = 1000;
    write_llama(dir, D, H, HD, KV, I, 2, V);
    lb_model_t *m;
    lb_error_t err;
    assert_int_equal(lb_model_load(dir, NULL, &m, &err), 0);
    float *ref = malloc(sizeof(float) * (STEPS + 1) * V);
    float *got = malloc(sizeof(float) * (STEPS + 1) * V);
    target_logits(m, 1, ref);
    for (int i = 0; i < (STEPS + 1) * V; i++) assert_true(isfinite(ref[i]));
    const int Bs[] = {2, 3, 8};
    for (int b = 0; b < 3; b++) {
        target_logits(m, Bs[b], got);
        for (int s = 0; s <= STEPS; s++)
            if (memcmp(ref + (size_t)s * V, got + (size_t)s * V, sizeof(float) * V))
                fail_msg("D=%d: logits at step %d differ between a batch of 1 and of %d", D, s,
                         Bs[b]);
    }
    /* Kept in the file (F32 used in place, not copied): the same bits. Only the vectors
     * (2 norms per layer and the final one) are copied. */
    lb_model_options_t keep = {.keep_file_dtype = 1};
    lb_model_t *mk;
    assert_int_equal(lb_model_load(dir, &keep, &mk, &err), 0);
    size_t copied, mapped;
    lb_model_weight_bytes(mk, &copied, &mapped);
    size_t matrices = (size_t)V * D + 2 * ((size_t)(H + 2 * KV) * HD * D +
                                          (size_t)D * H * HD + 3 * (size_t)I * D);
    assert_int_equal(mapped, matrices * sizeof(float));
    assert_int_equal(copied, (size_t)(2 * 2 + 1) * D * sizeof(float));
    target_logits(mk, 3, got);
    if (memcmp(ref, got, sizeof(float) * (STEPS + 1) * V))
        fail_msg("D=%d: logits differ between weights copied and used in place", D);
    lb_model_free(mk);
    free(ref), free(got);
    lb_model_free(m);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_logits_invariant(void **state) {
    (void)state;
    check_model(256, 8, 32, 4, 512);
    check_model(36, 3, 12, 1, 52);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_inv),
        cmocka_unit_test(test_matmul_impls),
        cmocka_unit_test(test_gemm_general),
        cmocka_unit_test(test_logits_invariant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
