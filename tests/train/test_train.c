/* Unit tests of the training pieces that need no checkpoint: HF's schedule, the seeded data
 * order and retain pairing, the size shorthand, and the masks of the training attention
 * (gradients are checked against PyTorch by tests/oracle/train_grad.py). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/model_backward.h"
#include "leakbound/train.h"
#include "leakbound/train_run.h"

static void test_schedule(void **state) {
    (void)state;
    /* get_linear_schedule_with_warmup(warmup=3, total=10). */
    const double want[] = {0, 1.0 / 3, 2.0 / 3, 1, 6.0 / 7, 5.0 / 7, 4.0 / 7, 3.0 / 7, 2.0 / 7,
                           1.0 / 7, 0, 0};
    for (int s = 0; s < 12; s++) assert_true(fabs(lb_train_lr_factor(s, 3, 10) - want[s]) < 1e-15);
    assert_true(lb_train_lr_factor(0, 0, 4) == 1.0);
    assert_true(lb_train_lr_factor(3, 0, 4) == 0.25);
}

static void test_order(void **state) {
    (void)state;
    enum { N = 37 };
    size_t a[N], b[N], c[N];
    lb_train_epoch_order(5, 0, N, a);
    lb_train_epoch_order(5, 0, N, b);
    lb_train_epoch_order(5, 1, N, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    int seen[N] = {0};
    for (int i = 0; i < N; i++) seen[a[i]]++;
    for (int i = 0; i < N; i++) assert_int_equal(seen[i], 1);
    /* Partners: in range, deterministic, close to uniform (10 bins of 10000 draws each). */
    int counts[10] = {0};
    for (size_t i = 0; i < 100000; i++) {
        size_t p = lb_train_retain_partner(9, (long)(i / 1000), i, 10);
        assert_true(p < 10);
        assert_true(p == lb_train_retain_partner(9, (long)(i / 1000), i, 10));
        counts[p]++;
    }
    double chi = 0;
    for (int k = 0; k < 10; k++) chi += (counts[k] - 1e4) * (counts[k] - 1e4) / 1e4;
    assert_true(chi < 27.9);   /* chi-square, 9 degrees of freedom, p = 0.001 */
}

static void test_size(void **state) {
    (void)state;
    lb_model_size_t z;
    lb_error_t err = {0};
    assert_int_equal(lb_model_size_parse("L4-D128-H4-KV2-I512-T256", LB_ARCH_LLAMA, &z, &err), 0);
    assert_int_equal(z.layers, 4);
    assert_int_equal(z.hidden, 128);
    assert_int_equal(z.heads, 4);
    assert_int_equal(z.kv_heads, 2);
    assert_int_equal(z.inter, 512);
    assert_int_equal(z.max_pos, 256);
    assert_int_equal(lb_model_size_parse("D96", LB_ARCH_LLAMA, &z, &err), 0);
    assert_int_equal(z.inter, 256);   /* 8 * 96 / 3 rounded up to 8 */
    assert_int_equal(z.kv_heads, 4);
    assert_int_equal(lb_model_size_parse("D96", LB_ARCH_GPT2, &z, &err), 0);
    assert_int_equal(z.inter, 384);
    assert_int_equal(lb_model_size_parse("L2-X3", LB_ARCH_GPT2, &z, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "X"));
    assert_int_equal(lb_model_size_parse("H4-KV2", LB_ARCH_GPT2, &z, &err), LB_EINVAL);
    assert_int_equal(lb_model_size_parse("D30-H4", LB_ARCH_PHI, &z, &err), LB_EINVAL);
    assert_int_equal(lb_model_size_parse("L0", LB_ARCH_PHI, &z, &err), LB_EINVAL);
}

static void test_attention_masks(void **state) {
    (void)state;
    enum { B = 2, T = 9, H = 4, KV = 2, HD = 8 };
    float q[B * T * H * HD], k[B * T * KV * HD], v[B * T * KV * HD], out[B * T * H * HD];
    float probs[B * H * T * T];
    unsigned s = 7;
    for (size_t i = 0; i < sizeof q / sizeof *q; i++) q[i] = (float)((s = s * 1103515245u + 12345u) >> 20) / 4096.0f - 0.5f;
    for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
        k[i] = (float)((s = s * 1103515245u + 12345u) >> 20) / 4096.0f - 0.5f;
        v[i] = (float)((s = s * 1103515245u + 12345u) >> 20) / 4096.0f - 0.5f;
    }
    const int lens[B] = {T, 5};
    for (int window = 0; window <= 3; window += 3) {
        lb_model_attention_train_forward(out, probs, q, H * HD, k, v, KV * HD, B, T, H, KV, HD,
                                         window, lens);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < T; i++) {
                    const float *row = probs + (((size_t)b * H + h) * T + i) * T;
                    int nvis = 0;
                    for (int j = 0; j < T; j++)
                        nvis += j <= i && j < lens[b] && (!window || j > i - window);
                    if (!nvis) continue;   /* window past the padding: HF would give NaN */
                    double sum = 0;
                    for (int j = 0; j < T; j++) {
                        int visible = j <= i && j < lens[b] && (!window || j > i - window);
                        if (!visible) assert_true(row[j] == 0.0f);
                        else assert_true(row[j] > 0.0f);
                        sum += row[j];
                    }
                    assert_true(fabs(sum - 1.0) < 1e-5);
                }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_attention_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
