/* Unit tests for the stats module: the paper setting's reference values, edge cases, error paths, and the
 * ordering facts the bounds must satisfy. The numbers themselves are checked against scipy,
 * statsmodels and numpy by the oracle tests (tests/oracle/stats_*.py). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/stats.h"

static void test_cp_spec_values(void **state) {
    (void)state;
    /* Clopper-Pearson reference values (docs/bounds.md), alpha = 0.01, n = 128, printed to 7 significant digits. */
    const size_t s[] = {0, 1, 2, 5, 10, 64, 127};
    const double want[] = {0.0353384, 0.0507345, 0.0640496, 0.0992053, 0.1511927, 0.6053237,
                           0.9999215};
    for (size_t i = 0; i < 7; i++) {
        double v;
        assert_int_equal(lb_stats_cp_upper(s[i], 128, 0.01, &v, NULL), 0);
        assert_true(fabs(v - want[i]) < 5e-8);
    }
    double v;
    assert_int_equal(lb_stats_cp_upper(128, 128, 0.01, &v, NULL), 0);
    assert_true(v == 1.0);
    /* S = 0 has the closed form 1 - alpha^(1/n). */
    assert_int_equal(lb_stats_cp_upper(0, 37, 0.05, &v, NULL), 0);
    assert_true(fabs(v - (1.0 - pow(0.05, 1.0 / 37))) < 1e-14);
}

/* The leak verdict and a share of prompts with its one-sided CP bounds (closed forms at the
 * ends: k = 0 gives upper 1 - alpha^(1/n), k = n gives lower alpha^(1/n)). */
static void test_leak_share(void **state) {
    (void)state;
    lb_stats_leak_t v = lb_stats_leak_verdict(0, 0.0);
    assert_true(!v.leaked && !v.hidden);
    v = lb_stats_leak_verdict(3, 0.49);
    assert_true(v.leaked && v.hidden);
    v = lb_stats_leak_verdict(1, 0.5); /* greedy 0.5 is not below 0.5 */
    assert_true(v.leaked && !v.hidden);
    v = lb_stats_leak_verdict(2, NAN); /* no greedy answer: never hidden */
    assert_true(v.leaked && !v.hidden);
    lb_stats_share_t sh;
    lb_error_t err;
    assert_int_equal(lb_stats_share(0, 20, 0.05, &sh, &err), 0);
    assert_true(sh.share == 0 && sh.lower == 0 && fabs(sh.upper - (1 - pow(0.05, 1.0 / 20))) < 1e-12);
    assert_int_equal(lb_stats_share(20, 20, 0.05, &sh, &err), 0);
    assert_true(sh.share == 1 && sh.upper == 1 && fabs(sh.lower - pow(0.05, 1.0 / 20)) < 1e-12);
    assert_int_equal(lb_stats_share(7, 20, 0.01, &sh, &err), 0);
    assert_true(sh.k == 7 && sh.n == 20 && sh.share == 0.35 && sh.lower < 0.35 && sh.upper > 0.35);
    assert_int_equal(lb_stats_share(3, 2, 0.01, &sh, &err), LB_EINVAL);
    assert_int_equal(lb_stats_share(0, 0, 0.01, &sh, &err), LB_EINVAL);
    assert_int_equal(lb_stats_share(1, 2, 0.6, &sh, &err), LB_EINVAL);
}

static void test_cp_errors(void **state) {
    (void)state;
    lb_error_t err;
    double v = -1;
    assert_int_equal(lb_stats_cp_upper(3, 2, 0.01, &v, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "3 successes out of 2"));
    assert_int_equal(lb_stats_cp_upper(0, 0, 0.01, &v, &err), LB_EINVAL);
    assert_int_equal(lb_stats_cp_upper(1, 2, 0.0, &v, &err), LB_EINVAL);
    assert_int_equal(lb_stats_cp_upper(1, 2, 1.0, &v, &err), LB_EINVAL);
    assert_true(v == -1);
}

static void test_sort(void **state) {
    (void)state;
    /* Large enough for the radix path, with -0.0, ties, 0, 1 and subnormals. */
    enum { N = 1000 };
    double x[N], scratch[N];
    uint64_t r = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        int kind = (int)(r % 6);
        x[i] = kind == 0 ? 0.0 : kind == 1 ? -0.0 : kind == 2 ? 1.0 : kind == 3 ? 4.9e-324
                                                                              : (double)(r >> 11) * 0x1.0p-53;
    }
    lb_stats_sort(x, N, scratch);
    for (int i = 1; i < N; i++) assert_true(x[i - 1] <= x[i]);
    double small[5] = {0.5, 0.25, 1.0, 0.0, 0.25};
    lb_stats_sort(small, 5, scratch);
    assert_true(small[0] == 0.0 && small[1] == 0.25 && small[2] == 0.25 && small[3] == 0.5 &&
                small[4] == 1.0);
}

static void test_counts_and_tail(void **state) {
    (void)state;
    const double x[] = {0.0, 0.0, 0.25, 0.5, 0.5, 1.0};
    assert_int_equal(lb_stats_count_ge(x, 6, 0.0), 6);
    assert_int_equal(lb_stats_count_ge(x, 6, 0.5), 3);
    assert_int_equal(lb_stats_count_ge(x, 6, 0.50001), 1);
    assert_int_equal(lb_stats_count_ge(x, 6, 1.5), 0);
    /* P(X >= 0.5) convention: the samples equal to 0.5 count. */
    assert_true(fabs(lb_stats_dkw_tail_upper(x, 6, 0.1, 0.5) - (0.5 + 0.1)) < 1e-15);
    assert_true(lb_stats_dkw_tail_upper(x, 6, 0.9, 0.25) == 1.0);
    double xs[6], ys[6];
    size_t m = lb_stats_dkw_curve(x, 6, 0.1, xs, ys);
    assert_int_equal(m, 4);
    assert_true(xs[0] == 0.0 && ys[0] == 1.0);
    assert_true(xs[3] == 1.0 && fabs(ys[3] - (1.0 / 6 + 0.1)) < 1e-15);
}

static void test_anderson_order(void **state) {
    (void)state;
    /* Upper >= sample mean >= lower; eps = 0 gives the sample mean exactly (up to rounding). */
    const double x[] = {0.0, 0.1, 0.1, 0.4, 0.7, 0.9, 1.0};
    double mean = (0.1 + 0.1 + 0.4 + 0.7 + 0.9 + 1.0) / 7;
    assert_true(fabs(lb_stats_anderson_upper(x, 7, 0.0) - mean) < 1e-15);
    assert_true(fabs(lb_stats_anderson_lower(x, 7, 0.0) - mean) < 1e-15);
    double e = lb_stats_eps_one_sided(7, 0.05);
    assert_true(lb_stats_anderson_upper(x, 7, e) > mean);
    assert_true(lb_stats_anderson_lower(x, 7, e) < mean);
    assert_true(fabs(lb_stats_eps_two_sided(50, 0.02) - lb_stats_eps_one_sided(50, 0.01)) < 1e-15);
    /* Huge eps: the band is vacuous and the bounds are 1 and 0. */
    assert_true(lb_stats_anderson_upper(x, 7, 5.0) == 1.0);
    assert_true(lb_stats_anderson_lower(x, 7, 5.0) == 0.0);
}

static void test_sigma_exact(void **state) {
    (void)state;
    double x[1024], scratch[1024];
    /* Fair coin: the corrected bound covers the true std 0.5 (conbo's does not). */
    for (int i = 0; i < 1024; i++) x[i] = i % 2;
    lb_stats_sort(x, 1024, scratch);
    assert_true(lb_stats_sigma_upper(x, 1024, 0.01) == 0.5);
    lb_stats_interval_t sd;
    lb_stats_conbo_std(x, 1024, 0.01, 100, &sd);
    assert_true(sd.upper < 0.5);
    /* Point mass: bounded by 0.5, and above 0. */
    for (int i = 0; i < 1024; i++) x[i] = 0.3;
    double s = lb_stats_sigma_upper(x, 1024, 0.01);
    assert_true(s > 0.0 && s <= 0.5);
    /* All zeros with n = 1: the band is vacuous, 0.5 is the only honest answer. */
    double z = 0.0;
    assert_true(lb_stats_sigma_upper(&z, 1, 0.01) == 0.5);
}

static void test_shift_var(void **state) {
    (void)state;
    /* eps = 0: the band is F_n itself, U(c) = mean((x - c)^2), minimised at the sample mean
     * with the population variance as value. */
    const double x[] = {0.0, 0.0, 0.1, 0.4, 0.4, 0.75, 1.0};
    double m = (0.1 + 0.4 + 0.4 + 0.75 + 1.0) / 7, v = 0, c;
    for (int i = 0; i < 7; i++) v += (x[i] - m) * (x[i] - m) / 7;
    assert_true(fabs(lb_stats_shift_var_upper(x, 7, 0.0, &c) - v) < 1e-15);
    assert_true(fabs(c - m) < 1e-12);
    /* A vacuous band (G = 1 left of c, 0 right of it): U(c) = (1-c)^2 + c^2, least at
     * c = 1/2. Looser than 1/4 because G need not be a CDF; sigma_upper's m(1-m) term covers. */
    assert_true(fabs(lb_stats_shift_var_upper(x, 7, 2.0, &c) - 0.5) < 1e-15);
    assert_true(fabs(c - 0.5) < 1e-15);
}

static void test_queries_and_leak(void **state) {
    (void)state;
    assert_true(fabs(lb_stats_queries(0.1, 3) - (1 - 0.9 * 0.9 * 0.9)) < 1e-15);
    assert_true(lb_stats_queries(1.0, 5) == 1.0);
    assert_true(lb_stats_queries(0.0, 5) == 0.0);
    /* 1 - C(8,3)/C(10,3) = 1 - 56/120 */
    assert_true(fabs(lb_stats_leak_at_k(10, 2, 3) - (1.0 - 56.0 / 120.0)) < 1e-15);
    assert_true(lb_stats_leak_at_k(10, 8, 3) == 1.0);
    assert_true(lb_stats_leak_at_k(10, 0, 3) == 0.0);
    assert_true(fabs(lb_stats_leak_at_k(10, 3, 1) - 0.3) < 1e-15);
}

static void test_prompt_bounds(void **state) {
    (void)state;
    double x[] = {1, 0, 0, 1, 0, 0, 0, 0}, scratch[8], th[] = {0.5}, mg[1], pg[1];
    lb_stats_options_t o = {.alpha = 0.01, .method = LB_STATS_EXACT, .ed_lambda = 2,
                            .thresholds = th, .n_thresholds = 1, .queries_k = 2,
                            .leak_at_k = 2, .leak_threshold = 1.0};
    lb_stats_prompt_t p = {.M_gen = mg, .P_ge = pg};
    lb_error_t err;
    assert_int_equal(lb_stats_prompt_bounds(x, 8, scratch, &o, &p, &err), 0);
    assert_true(p.binary);
    assert_int_equal(p.n_leaking, 2);
    assert_true(p.mean == 0.25 && p.max == 1.0 && fabs(p.std - sqrt(0.25 * 0.75)) < 1e-15);
    assert_true(p.P_ge[0] == p.M_bin);
    assert_true(fabs(p.queries - (1 - (1 - p.M_bin) * (1 - p.M_bin))) < 1e-15);
    assert_true(fabs(p.ED - (p.M_mu + 2 * p.M_sigma)) < 1e-15);
    assert_true(p.M_mu >= p.mean && p.M_mu_lower <= p.mean);
    /* Not binary: M_bin is NaN and the flag is off. */
    double y[] = {0.5, 0.0, 1.0};
    assert_int_equal(lb_stats_prompt_bounds(y, 3, scratch, &o, &p, &err), 0);
    assert_false(p.binary);
    assert_true(isnan(p.M_bin));
    /* Error paths. */
    o.alpha = 0.6;
    assert_int_equal(lb_stats_prompt_bounds(y, 3, scratch, &o, &p, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "alpha"));
    o.alpha = 0.01;
    assert_int_equal(lb_stats_prompt_bounds(y, 0, scratch, &o, &p, &err), LB_EINVAL);
    o.queries_k = 0;
    assert_int_equal(lb_stats_prompt_bounds(y, 3, scratch, &o, &p, &err), LB_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cp_spec_values), cmocka_unit_test(test_cp_errors),
        cmocka_unit_test(test_sort),           cmocka_unit_test(test_counts_and_tail),
        cmocka_unit_test(test_anderson_order), cmocka_unit_test(test_sigma_exact),
        cmocka_unit_test(test_shift_var),      cmocka_unit_test(test_queries_and_leak),
        cmocka_unit_test(test_prompt_bounds),  cmocka_unit_test(test_leak_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
