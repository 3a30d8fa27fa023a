/* Warpers, choice and RNG: boundary ties as HF keeps them, argument checks, and a statistical
 * test that seeded multinomial draws follow softmax(logits). The full rule set is checked
 * against a torch transcription of HF in tests/oracle/sample_warp.py. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "leakbound/sample.h"

static int warp(float *l, int V, double T, int k, double p) {
    lb_warp_params_t w = {T, k, p};
    void *s = malloc(lb_sample_scratch_bytes(V));
    int n = lb_sample_warp(l, V, &w, s);
    free(s);
    return n;
}

static void test_topk_ties_kept(void **state) {
    (void)state;
    float l[6] = {1, 4, 2, 4, 4, 3};
    assert_int_equal(warp(l, 6, 1.0, 2, 1.0), 3); /* the 2nd largest is 4: all three 4s stay */
    assert_true(isinf(l[0]) && isinf(l[2]) && isinf(l[5]));
    assert_true(l[1] == 4 && l[3] == 4 && l[4] == 4);
    float m[3] = {1, 2, 3};
    assert_int_equal(warp(m, 3, 1.0, 10, 1.0), 3); /* k > V: nothing removed */
}

static void test_topp_boundary(void **state) {
    (void)state;
    /* Four equal logits, p = 0.5: cumulative .25, .5 <= .5 are dropped (lower ids first). */
    float l[4] = {0, 0, 0, 0};
    assert_int_equal(warp(l, 4, 1.0, 0, 0.5), 2);
    assert_true(isinf(l[0]) && isinf(l[1]) && l[2] == 0 && l[3] == 0);
    /* The most likely token always survives. */
    float m[3] = {0, 1, 5};
    assert_int_equal(warp(m, 3, 1.0, 0, 1e-12), 1);
    assert_true(m[2] == 5);
}

static void test_temperature_and_checks(void **state) {
    (void)state;
    float l[2] = {1, -3};
    warp(l, 2, 0.5, 0, 1.0);
    assert_true(l[0] == 2.0f && l[1] == -6.0f);
    lb_error_t e;
    lb_warp_params_t bad = {0, 50, 1};
    assert_int_equal(lb_sample_warp_check(&bad, &e), LB_EINVAL);
    bad = (lb_warp_params_t){1, -1, 1};
    assert_int_equal(lb_sample_warp_check(&bad, &e), LB_EINVAL);
    bad = (lb_warp_params_t){1, 5, 1.5};
    assert_int_equal(lb_sample_warp_check(&bad, &e), LB_EINVAL);
    lb_warp_params_t d = lb_sample_warp_defaults();
    assert_int_equal(lb_sample_warp_check(&d, &e), 0);
    assert_int_equal(d.top_k, 50);
}

static void test_argmax_first(void **state) {
    (void)state;
    float l[5] = {NAN, 2, 7, 7, 1};
    assert_int_equal(lb_sample_argmax(l, 5), 2);
    float none[2] = {-INFINITY, -INFINITY};
    assert_int_equal(lb_sample_pick(none, 2, 0.5), -1);
}

static void test_rng_and_pick_distribution(void **state) {
    (void)state;
    /* The sampler's draws: a pure function of (seed, key, sample, step). */
    uint64_t h = lb_sample_key_hash("q1", 2);
    for (uint32_t i = 0; i < 100; i++)
        assert_true(lb_sample_philox_uniform(42, h, 3, i) == lb_sample_philox_uniform(42, h, 3, i));
    assert_true(lb_sample_philox_uniform(42, h, 3, 0) != lb_sample_philox_uniform(43, h, 3, 0));
    /* Draws from softmax([0, 1, 2, -inf, 0.5]): every count within 5 sigma of n * p. */
    float l[5] = {0, 1, 2, -INFINITY, 0.5f};
    double p[5], z = 0;
    for (int i = 0; i < 5; i++) z += p[i] = isinf(l[i]) ? 0 : exp(l[i]);
    int n = 200000, cnt[5] = {0};
    for (int i = 0; i < n; i++) {
        int t = lb_sample_pick(l, 5, lb_sample_philox_uniform(42, h, 0, (uint32_t)i));
        assert_true(t >= 0 && t < 5);
        cnt[t]++;
    }
    assert_int_equal(cnt[3], 0);
    for (int i = 0; i < 5; i++) {
        double e = n * p[i] / z, sd = sqrt(e * (1 - p[i] / z)) + 1e-9;
        if (fabs(cnt[i] - e) > 5 * sd) fail_msg("token %d: %d draws, expected %.0f", i, cnt[i], e);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topk_ties_kept),
        cmocka_unit_test(test_topp_boundary),
        cmocka_unit_test(test_temperature_and_checks),
        cmocka_unit_test(test_argmax_first),
        cmocka_unit_test(test_rng_and_pick_distribution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
