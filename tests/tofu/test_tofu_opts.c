/* lb_tofu_opts_set / lb_tofu_opts_check: each flag's range and message as `leakbound tofu`
 * prints them, the --metrics list (bits of lb_tofu_metric_bit, replacing the set), a refused
 * value leaving the options as they were, and lb_tofu_run refusing --retain-model with
 * --reference through the same check before it loads anything. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/tofu.h"

static void expect_bad(const char *flag, const char *value, const char *msg) {
    lb_tofu_opts_t o = lb_tofu_opts_default(), d = o;
    lb_error_t e = {0};
    assert_int_equal(lb_tofu_opts_set(&o, flag, value, &e), LB_EINVAL);
    assert_string_equal(e.msg, msg);
    assert_memory_equal(&o, &d, sizeof o);
}

static void test_ranges(void **state) {
    (void)state;
    expect_bad("max-length", "1", "--max-length: expected an integer in [2, 2097152], got '1'");
    expect_bad("max-length", "2097153",
               "--max-length: expected an integer in [2, 2097152], got '2097153'");
    expect_bad("max-new-tokens", "0",
               "--max-new-tokens: expected an integer in [1, 1048576], got '0'");
    expect_bad("batch-tokens", "1048577",
               "--batch-tokens: expected an integer in [1, 1048576], got '1048577'");
    expect_bad("min-k", "0", "--min-k: expected a share in (0, 1], got '0'");
    expect_bad("min-k", "inf", "--min-k: expected a share in (0, 1], got 'inf'");
    expect_bad("metrics", "rouge,nope", "--metrics: unknown group 'nope' (probability, "
               "truth_ratio, rouge, memorization, mia)");
    expect_bad("metrics", ",", "--metrics: empty list");
    expect_bad("metrics", "", "--metrics: empty list");
    expect_bad("model", "m", "tofu: unknown flag 'model'");

    lb_tofu_opts_t o = lb_tofu_opts_default();
    lb_error_t e = {0};
    assert_int_equal(lb_tofu_opts_set(&o, "max-length", "2097152", &e), 0);
    assert_int_equal(lb_tofu_opts_set(&o, "max-new-tokens", "1", &e), 0);
    assert_int_equal(lb_tofu_opts_set(&o, "batch-tokens", "1048576", &e), 0);
    assert_int_equal(lb_tofu_opts_set(&o, "min-k", "1", &e), 0);
    assert_int_equal(lb_tofu_opts_set(&o, "metrics", "mia,rouge,,mia", &e), 0);
    assert_true(o.max_length == 2097152 && o.max_new_tokens == 1 && o.batch_tokens == 1048576);
    assert_true(o.min_k == 1.0);
    assert_int_equal(o.metrics, lb_tofu_metric_bit("mia") | lb_tofu_metric_bit("rouge"));
    assert_int_equal(lb_tofu_opts_set(&o, "metrics", "probability", &e), 0); /* replaces */
    assert_int_equal(o.metrics, lb_tofu_metric_bit("probability"));
}

static void test_exclusive(void **state) {
    (void)state;
    lb_tofu_opts_t o = lb_tofu_opts_default();
    lb_error_t e = {0};
    o.retain_model_dir = "r";
    assert_int_equal(lb_tofu_opts_check(&o, &e), 0);
    o.reference_path = "ref/tofu.json";
    assert_int_equal(lb_tofu_opts_check(&o, &e), LB_EINVAL);
    assert_string_equal(e.msg, "--retain-model and --reference exclude each other");
    /* the run gives the same refusal (before opening the model folder, which is missing) */
    o.model_dir = "/nonexistent-model";
    o.splits[o.n_splits++] = (lb_tofu_split_spec_t){"forget", "/nonexistent.json", LB_TOFU_FORGET};
    lb_tofu_result_t r;
    memset(&e, 0, sizeof e);
    assert_int_equal(lb_tofu_run(&o, NULL, &r, &e), LB_EINVAL);
    assert_string_equal(e.msg, "--retain-model and --reference exclude each other");
    lb_tofu_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ranges),
                                       cmocka_unit_test(test_exclusive)};
    return cmocka_run_group_tests(tests, 0, 0);
}
