/* KV cache bookkeeping (blocks, refcounts, fork, copy-on-write, all-or-nothing failures) and
 * the forward's argument checks, on a tiny Llama written with lb_st_write. The logits
 * themselves are checked against PyTorch by tests/oracle/model_oracle.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/kvcache.h"
#include "leakbound/model.h"
#include "leakbound/safetensors.h"

enum { V = 11, D = 8, I = 12, H = 2, KV = 1, HD = 4, L = 2 };

static char g_dir[256];

static void add(lb_st_tensor_t *t, size_t *n, float *data, size_t *off, const char *name,
                int rows, int cols) {
    static char names[64][96];
    snprintf(names[*n], sizeof names[*n], "%s", name);
    lb_st_tensor_t *x = &t[(*n)++];
    memset(x, 0, sizeof *x);
    x->name = names[*n - 1];
    x->dtype = LB_DTYPE_F32;
    x->ndim = cols ? 2 : 1;
    x->shape[0] = rows;
    x->shape[1] = cols;
    size_t k = (size_t)rows * (cols ? cols : 1);
    for (size_t i = 0; i < k; i++)   /* deterministic, varied values */
        data[*off + i] = (float)((int)((*off + i) * 2654435761u % 1000) - 500) / 1000.0f;
    x->data = data + *off;
    x->nbytes = k * sizeof(float);
    *off += k;
}

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/lb_test_kvcache_%d", (int)getpid());
    char path[512];
    snprintf(path, sizeof path, "mkdir -p %s", g_dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/config.json", g_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", "
               "\"vocab_size\": %d, \"hidden_size\": %d, \"intermediate_size\": %d, "
               "\"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
               "\"num_key_value_heads\": %d, \"max_position_embeddings\": 64, "
               "\"tie_word_embeddings\": true}\n", V, D, I, L, H, KV);
    fclose(f);
    static float data[4096];
    lb_st_tensor_t t[64];
    size_t n = 0, off = 0;
    char name[96];
    add(t, &n, data, &off, "model.embed_tokens.weight", V, D);
    add(t, &n, data, &off, "model.norm.weight", D, 0);
    for (int l = 0; l < L; l++) {
        snprintf(name, sizeof name, "model.layers.%d.input_layernorm.weight", l);
        add(t, &n, data, &off, name, D, 0);
        snprintf(name, sizeof name, "model.layers.%d.post_attention_layernorm.weight", l);
        add(t, &n, data, &off, name, D, 0);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.q_proj.weight", l);
        add(t, &n, data, &off, name, H * HD, D);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.k_proj.weight", l);
        add(t, &n, data, &off, name, KV * HD, D);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.v_proj.weight", l);
        add(t, &n, data, &off, name, KV * HD, D);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.o_proj.weight", l);
        add(t, &n, data, &off, name, D, H * HD);
        snprintf(name, sizeof name, "model.layers.%d.mlp.gate_proj.weight", l);
        add(t, &n, data, &off, name, I, D);
        snprintf(name, sizeof name, "model.layers.%d.mlp.up_proj.weight", l);
        add(t, &n, data, &off, name, I, D);
        snprintf(name, sizeof name, "model.layers.%d.mlp.down_proj.weight", l);
        add(t, &n, data, &off, name, D, I);
    }
    assert_true(off <= sizeof data / sizeof *data);
    snprintf(path, sizeof path, "%s/model.safetensors", g_dir);
    lb_error_t err;
    int rc = lb_st_write(path, t, n, NULL, NULL, 0, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    return system(cmd);
}

static void test_config_and_count(void **state) {
    (void)state;
    lb_model_t *m;
    lb_error_t err;
    assert_int_equal(lb_model_load(g_dir, NULL, &m, &err), 0);
    const lb_model_config_t *c = lb_model_config(m);
    assert_int_equal(c->arch, LB_ARCH_LLAMA);
    assert_int_equal(c->head_dim, HD);
    assert_int_equal(c->n_kv_heads, KV);
    assert_int_equal(c->rotary_dim, HD);
    assert_true(c->tie_word_embeddings);
    assert_int_equal(c->eos_token_id, -1);
    size_t per_layer = 2 * D + (size_t)(H * HD + 2 * KV * HD) * D + (size_t)D * H * HD +
                       3 * (size_t)I * D;
    assert_int_equal(lb_model_param_count(m), (size_t)V * D + D + L * per_layer);
    assert_int_equal(lb_model_file_dtype(m), LB_DTYPE_F32);
    lb_model_free(m);
}

static void test_blocks_fork_cow(void **state) {
    (void)state;
    lb_model_t *m;
    lb_kvcache_t *kv;
    lb_model_runner_t *r;
    lb_error_t err;
    assert_int_equal(lb_model_load(g_dir, NULL, &m, &err), 0);
    /* 4 blocks of 4 positions, 3 sequence slots. */
    assert_int_equal(lb_kvcache_create(m, 16, 3, 0, 4, &kv, &err), 0);
    assert_int_equal(lb_model_runner_create(m, 3, 8, 0, 0, &r, &err), 0);
    assert_int_equal(lb_kvcache_free_blocks(kv), 4);
    assert_int_equal(lb_kvcache_block_size(kv), 4);

    int a = lb_kvcache_seq_new(kv, &err);
    assert_true(a >= 0);
    int32_t toks[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int six = 6;
    const float *lg;
    assert_int_equal(lb_model_forward(r, kv, 1, &a, &six, toks, 0, &lg, &err), 0);
    assert_int_equal(lb_kvcache_seq_len(kv, a), 6);
    assert_int_equal(lb_kvcache_free_blocks(kv), 2);

    int b = lb_kvcache_seq_fork(kv, a, &err);
    assert_true(b >= 0 && b != a);
    assert_int_equal(lb_kvcache_seq_len(kv, b), 6);
    assert_int_equal(lb_kvcache_free_blocks(kv), 2);   /* shared, not copied */

    /* Writing into the shared, half-full second block copies it for the writer only. */
    int32_t t9 = 9;
    assert_int_equal(lb_model_decode(r, kv, 1, &b, &t9, &lg, &err), 0);
    assert_int_equal(lb_kvcache_free_blocks(kv), 1);
    assert_int_equal(lb_model_decode(r, kv, 1, &a, &t9, &lg, &err), 0);
    assert_int_equal(lb_kvcache_free_blocks(kv), 1);   /* a's block is its own again */

    /* 7 + 6 positions need two more blocks, one is free: refused, nothing changes. */
    int six2 = 6;
    assert_int_equal(lb_model_forward(r, kv, 1, &a, &six2, toks, 0, &lg, &err), LB_ENOMEM);
    assert_non_null(strstr(err.msg, "free"));
    assert_int_equal(lb_kvcache_seq_len(kv, a), 7);
    assert_int_equal(lb_kvcache_free_blocks(kv), 1);

    int c = lb_kvcache_seq_fork(kv, b, &err);
    assert_true(c >= 0);
    assert_int_equal(lb_kvcache_seq_new(kv, &err), LB_ENOMEM);      /* 3 slots in use */
    assert_int_equal(lb_kvcache_seq_fork(kv, a, &err), LB_ENOMEM);
    lb_kvcache_seq_free(kv, b);
    assert_int_equal(lb_kvcache_free_blocks(kv), 1);   /* c still holds b's blocks */
    lb_kvcache_seq_free(kv, c);
    assert_int_equal(lb_kvcache_free_blocks(kv), 2);   /* b's copied block released */
    lb_kvcache_seq_free(kv, c);                        /* double free: ignored */
    lb_kvcache_seq_free(kv, 99);
    assert_int_equal(lb_kvcache_seq_len(kv, c), 0);
    assert_int_equal(lb_kvcache_seq_fork(kv, c, &err), LB_EINVAL);
    lb_kvcache_seq_free(kv, a);
    assert_int_equal(lb_kvcache_free_blocks(kv), 4);
    assert_true(lb_kvcache_bytes(kv) == 2 * (size_t)L * 4 * KV * 4 * HD * sizeof(float));

    lb_model_runner_free(r);
    lb_kvcache_free(kv);
    lb_model_free(m);
}

static void test_forward_arguments(void **state) {
    (void)state;
    lb_model_t *m;
    lb_kvcache_t *kv;
    lb_model_runner_t *r;
    lb_error_t err;
    assert_int_equal(lb_model_load(g_dir, NULL, &m, &err), 0);
    assert_int_equal(lb_kvcache_create(m, 64, 4, 10, 4, &kv, &err), 0);
    assert_int_equal(lb_model_runner_create(m, 2, 8, 12, 0, &r, &err), 0);
    int a = lb_kvcache_seq_new(kv, &err), b = lb_kvcache_seq_new(kv, &err);
    int32_t toks[12] = {0};
    const float *lg;
    int ids[3] = {a, a, b}, n[3] = {1, 1, 1};
    assert_int_equal(lb_model_forward(r, kv, 2, ids, n, toks, 0, &lg, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "twice"));
    ids[1] = b;
    assert_int_equal(lb_model_forward(r, kv, 3, ids, n, toks, 0, &lg, &err), LB_EINVAL);
    ids[1] = 3;   /* never made live */
    assert_int_equal(lb_model_forward(r, kv, 2, ids, n, toks, 0, &lg, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "not live"));
    ids[1] = b;
    toks[1] = V;
    assert_int_equal(lb_model_forward(r, kv, 2, ids, n, toks, 0, &lg, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "outside"));
    toks[1] = -1;
    assert_int_equal(lb_model_forward(r, kv, 2, ids, n, toks, 0, &lg, &err), LB_EINVAL);
    toks[1] = 0;
    n[0] = 0;
    assert_int_equal(lb_model_forward(r, kv, 2, ids, n, toks, 0, &lg, &err), LB_EINVAL);
    n[0] = 9;   /* more than the runner's 8 tokens */
    assert_int_equal(lb_model_forward(r, kv, 1, ids, n, toks, 0, &lg, &err), LB_EINVAL);
    n[0] = 2;
    assert_int_equal(lb_model_forward(r, kv, 1, ids, n, toks, LB_FORWARD_ALL_LOGITS, &lg, &err),
                     LB_EINVAL);   /* runner made without all_logits */
    assert_int_equal(lb_kvcache_seq_len(kv, a), 0);
    assert_int_equal(lb_kvcache_seq_len(kv, b), 0);
    /* The cache's max_seq_len (10) bounds each sequence. */
    n[0] = 8;
    assert_int_equal(lb_model_forward(r, kv, 1, &a, n, toks, 0, &lg, &err), 0);
    n[0] = 3;
    assert_int_equal(lb_model_forward(r, kv, 1, &a, n, toks, 0, &lg, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "positions"));
    assert_int_equal(lb_kvcache_seq_len(kv, a), 8);
    for (int i = 0; i < V; i++) assert_true(lg[i] == lg[i] && lg[i] - lg[i] == 0.0f);
    lb_model_runner_free(r);
    lb_kvcache_free(kv);
    lb_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_and_count),
        cmocka_unit_test(test_blocks_fork_cow),
        cmocka_unit_test(test_forward_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
