/* Unit tests for lb_stats_options_default / lb_stats_options_set / lb_stats_method_parse/name:
 * `bound`'s defaults and, per flag, a valid value, values out of range or not numbers (refused
 * with the CLI's message and the options left unchanged), and the unknown names. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/stats.h"

static void test_defaults(void **state) {
    (void)state;
    lb_stats_options_t o;
    memset(&o, 0x5a, sizeof o);
    lb_stats_options_default(&o);
    assert_true(o.alpha == 0.01);
    assert_int_equal(o.method, LB_STATS_EXACT);
    assert_true(o.ed_lambda == 2.0);
    assert_null(o.thresholds);
    assert_int_equal(o.n_thresholds, 0);
    assert_int_equal(o.queries_k, 1);
    assert_int_equal(o.leak_at_k, 1);
    assert_true(o.leak_threshold == 1.0);
}

/* flag=value is refused with exactly msg, and o is unchanged */
static void refused(const char *flag, const char *value, const char *msg) {
    lb_stats_options_t o, before;
    lb_stats_options_default(&o);
    before = o;
    lb_error_t e = {0};
    assert_int_equal(lb_stats_options_set(&o, flag, value, &e), LB_EINVAL);
    assert_int_equal(e.code, LB_EINVAL);
    assert_string_equal(e.msg, msg);
    assert_memory_equal(&o, &before, sizeof o);
}

static lb_stats_options_t set_ok(const char *flag, const char *value) {
    lb_stats_options_t o;
    lb_stats_options_default(&o);
    lb_error_t e = {0};
    assert_int_equal(lb_stats_options_set(&o, flag, value, &e), 0);
    return o;
}

static void test_alpha(void **state) {
    (void)state;
    assert_true(set_ok("alpha", "0.05").alpha == 0.05);
    assert_true(set_ok("alpha", "0.5").alpha == 0.5);
    assert_true(set_ok("alpha", "1e-300").alpha == 1e-300);
    const char *bad[] = {"0", "-0.1", "0.5000001", "1", "nan", "inf", "abc", "0.1x", "", NULL};
    char want[128];
    for (int i = 0; bad[i]; i++) {
        snprintf(want, sizeof want, "--alpha: expected a number in (0, 0.5], got '%s'", bad[i]);
        refused("alpha", bad[i], want);
    }
    refused("alpha", NULL, "--alpha: expected a number in (0, 0.5], got ''");
}

static void test_method(void **state) {
    (void)state;
    assert_int_equal(set_ok("method", "conbo").method, LB_STATS_CONBO);
    assert_int_equal(set_ok("method", "exact").method, LB_STATS_EXACT);
    refused("method", "Exact", "--method: expected exact or conbo, got 'Exact'");
    refused("method", "", "--method: expected exact or conbo, got ''");
    lb_stats_method_t m = LB_STATS_CONBO;
    assert_int_equal(lb_stats_method_parse("exact", &m), 0);
    assert_int_equal(m, LB_STATS_EXACT);
    assert_int_equal(lb_stats_method_parse("conbo ", &m), LB_EINVAL);
    assert_int_equal(lb_stats_method_parse(NULL, &m), LB_EINVAL);
    assert_int_equal(m, LB_STATS_EXACT);
    assert_string_equal(lb_stats_method_name(LB_STATS_EXACT), "exact");
    assert_string_equal(lb_stats_method_name(LB_STATS_CONBO), "conbo");
    assert_null(lb_stats_method_name((lb_stats_method_t)2));
    assert_null(lb_stats_method_name((lb_stats_method_t)-1));
}

static void test_ed_lambda(void **state) {
    (void)state;
    assert_true(set_ok("ed-lambda", "0").ed_lambda == 0.0);
    assert_true(set_ok("ed-lambda", "3.5").ed_lambda == 3.5);
    refused("ed-lambda", "-1", "--ed-lambda: expected a number >= 0, got '-1'");
    refused("ed-lambda", "inf", "--ed-lambda: expected a number >= 0, got 'inf'");
    refused("ed-lambda", "two", "--ed-lambda: expected a number >= 0, got 'two'");
}

static void test_counts(void **state) {
    (void)state;
    assert_int_equal(set_ok("queries", "7").queries_k, 7);
    assert_int_equal(set_ok("queries", "7").leak_at_k, 1);
    assert_int_equal(set_ok("leak-at", "3").leak_at_k, 3);
    assert_int_equal(set_ok("leak-at", "3").queries_k, 1);
    refused("queries", "0", "--queries: expected an integer >= 1, got '0'");
    refused("queries", "1.5", "--queries: expected an integer >= 1, got '1.5'");
    refused("queries", "99999999999999999999",
            "--queries: expected an integer >= 1, got '99999999999999999999'");
    refused("leak-at", "-2", "--leak-at: expected an integer >= 1, got '-2'");
    refused("leak-at", "x", "--leak-at: expected an integer >= 1, got 'x'");
}

static void test_leak_threshold(void **state) {
    (void)state;
    assert_true(set_ok("leak-threshold", "0").leak_threshold == 0.0);
    assert_true(set_ok("leak-threshold", "0.75").leak_threshold == 0.75);
    assert_true(set_ok("leak-threshold", "1").leak_threshold == 1.0);
    refused("leak-threshold", "1.01", "--leak-threshold: expected a number in [0, 1], got '1.01'");
    refused("leak-threshold", "-0.5", "--leak-threshold: expected a number in [0, 1], got '-0.5'");
    refused("leak-threshold", "nan", "--leak-threshold: expected a number in [0, 1], got 'nan'");
}

static void test_unknown(void **state) {
    (void)state;
    refused("threshold", "0.5", "unknown option 'threshold'");
    refused("--alpha", "0.1", "unknown option '--alpha'");
    refused(NULL, "0.1", "no flag name given");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),   cmocka_unit_test(test_alpha),
        cmocka_unit_test(test_method),     cmocka_unit_test(test_ed_lambda),
        cmocka_unit_test(test_counts),     cmocka_unit_test(test_leak_threshold),
        cmocka_unit_test(test_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
