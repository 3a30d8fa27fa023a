/* lb_eval_generate_opts_set / lb_eval_generate_opts_check: each flag's range and message as
 * `leakbound generate` prints them, the sampling ranges the same as lb_eval_opts_set's, and
 * lb_eval_generate refusing --greedy with a sampling setting before it loads anything (on the
 * bundled default model, examples/default). The CLI's own texts are compared with the previous
 * binary's by hand (see the commit). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/eval.h"

static void expect_bad(const char *flag, const char *value, const char *msg) {
    lb_eval_generate_opts_t o;
    lb_eval_generate_opts_default(&o);
    lb_error_t e = {0};
    assert_int_equal(lb_eval_generate_opts_set(&o, flag, value, &e), LB_EINVAL);
    assert_string_equal(e.msg, msg);
}

static void test_ranges(void **state) {
    (void)state;
    expect_bad("temperature", "0", "--temperature: want a number > 0, got '0'");
    expect_bad("temperature", "nan", "--temperature: want a number > 0, got 'nan'");
    expect_bad("top-p", "0", "--top-p: want a number in (0, 1], got '0'");
    expect_bad("top-p", "1.01", "--top-p: want a number in (0, 1], got '1.01'");
    expect_bad("top-k", "-1", "--top-k: want an integer >= 0, got '-1'");
    expect_bad("top-k", "1073741825", "--top-k: want an integer >= 0, got '1073741825'");
    expect_bad("max-new-tokens", "-1", "--max-new-tokens: want an integer >= 0, got '-1'");
    expect_bad("seed", "x", "--seed: want an integer, got 'x'");
    expect_bad("kv-budget", "12Q", "--kv-budget: expected a size such as 512M or 4G, got '12Q'");
    expect_bad("batch", "2", "generate: unknown flag 'batch'");

    lb_eval_generate_opts_t o;
    lb_eval_generate_opts_default(&o);
    lb_error_t e = {0};
    assert_int_equal(lb_eval_generate_opts_set(&o, "temperature", "0.5", &e), 0);
    assert_int_equal(lb_eval_generate_opts_set(&o, "top-k", "1073741824", &e), 0);
    assert_int_equal(lb_eval_generate_opts_set(&o, "top-p", "1", &e), 0);
    assert_int_equal(lb_eval_generate_opts_set(&o, "max-new-tokens", "7", &e), 0);
    assert_int_equal(lb_eval_generate_opts_set(&o, "seed", "-1", &e), 0);
    assert_int_equal(lb_eval_generate_opts_set(&o, "kv-budget", "1M", &e), 0);
    assert_int_equal(lb_eval_generate_opts_set(&o, "id", "q7", &e), 0);
    assert_true(o.temperature == 0.5 && o.top_k == 1 << 30 && o.top_p == 1);
    assert_true(o.max_new_tokens == 7 && o.seed == UINT64_MAX && o.kv_budget == 1 << 20);
    assert_string_equal(o.id, "q7");
    /* a refused value leaves the setting as it was */
    assert_int_equal(lb_eval_generate_opts_set(&o, "temperature", "-2", &e), LB_EINVAL);
    assert_true(o.temperature == 0.5);
}

/* The sampling flags accept exactly what `sample`/`eval` (lb_eval_opts_set) accept. */
static void test_same_ranges_as_eval(void **state) {
    (void)state;
    static const char *const flags[] = {"temperature", "top-k", "top-p"};
    static const char *const values[] = {"0", "-0", "1e-300", "0.5", "1", "1.0000001", "2", "-1",
                                         "1073741824", "1073741825", "inf", "nan", "", "x", "3.5"};
    for (size_t f = 0; f < sizeof flags / sizeof *flags; f++)
        for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
            lb_eval_generate_opts_t g;
            lb_eval_generate_opts_default(&g);
            lb_eval_opts_t o;
            lb_eval_opts_default(&o);
            lb_error_t e = {0};
            int a = lb_eval_generate_opts_set(&g, flags[f], values[v], &e) == 0;
            int b = lb_eval_opts_set(&o, flags[f], values[v], &e) == 0;
            if (a != b) fail_msg("%s %s: generate %d, eval %d", flags[f], values[v], a, b);
        }
}

static void test_greedy_conflict(void **state) {
    (void)state;
    static const char *const flags[] = {"temperature", "top-k", "top-p"};
    static const char *const values[] = {"0.7", "0", "1"};
    char model[4096];
    const char *src = getenv("LB_SOURCE_DIR");
    snprintf(model, sizeof model, "%s/examples/default/model", src ? src : ".");
    for (int i = 0; i < 3; i++) {
        lb_eval_generate_opts_t o;
        lb_eval_generate_opts_default(&o);
        lb_error_t e = {0};
        assert_int_equal(lb_eval_generate_opts_set(&o, "greedy", NULL, &e), 0);
        assert_int_equal(lb_eval_generate_opts_check(&o, &e), 0);
        assert_int_equal(lb_eval_generate_opts_set(&o, flags[i], values[i], &e), 0);
        assert_int_equal(lb_eval_generate_opts_check(&o, &e), LB_EINVAL);
        assert_string_equal(e.msg, "--greedy takes no --temperature/--top-k/--top-p");
        /* the run itself refuses it too, with the same message */
        o.model_dir = model;
        o.prompt = "Hello";
        o.max_new_tokens = 2;
        lb_eval_generate_result_t r;
        memset(&e, 0, sizeof e);
        assert_int_equal(lb_eval_generate(&o, &r, &e), LB_EINVAL);
        assert_string_equal(e.msg, "--greedy takes no --temperature/--top-k/--top-p");
        assert_int_equal(r.n_ids, 0);
        /* without --greedy the same settings run */
        o.greedy = 0;
        assert_int_equal(lb_eval_generate(&o, &r, &e), 0);
        assert_true(r.n_ids >= 1 && r.n_ids <= 2);
        lb_eval_generate_result_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ranges),
                                       cmocka_unit_test(test_same_ranges_as_eval),
                                       cmocka_unit_test(test_greedy_conflict)};
    return cmocka_run_group_tests(tests, 0, 0);
}
