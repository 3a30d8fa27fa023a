/* Unit tests for lb_stats_ragged_bounds, the one loop "bounds for every prompt" (`bound`, `eval`,
 * Python's rows): every row's result against lb_stats_prompt_bounds called on that row alone
 * (serially, on a copy), bit for bit, at 1, 2 and 4 threads, ragged and rectangular; the failing
 * row reported is the lowest one whatever the thread count. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/stats.h"

#define ROWS 301
#define MAXN 97

static const double TH[] = {0.25, 0.5, 1.0};

static lb_stats_options_t opts(lb_stats_method_t m) {
    return (lb_stats_options_t){.alpha = 0.05, .method = m, .ed_lambda = 2, .thresholds = TH,
                                .n_thresholds = 3, .queries_k = 3, .leak_at_k = 2,
                                .leak_threshold = 0.9};
}

/* A deterministic ragged set: row lengths 1..MAXN, scores on a coarse grid (ties, 0s and 1s) in
 * some rows, continuous in others, all-binary in others. */
static void make_set(double *scores, size_t *offset) {
    uint64_t s = 0x9e3779b97f4a7c15u;
    offset[0] = 0;
    for (size_t r = 0; r < ROWS; r++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        size_t len = 1 + (size_t)(s >> 33) % MAXN;
        offset[r + 1] = offset[r] + len;
        for (size_t j = 0; j < len; j++) {
            s = s * 6364136223846793005u + 1442695040888963407u;
            double u = (double)(s >> 11) / 9007199254740992.0;
            double *x = &scores[offset[r] + j];
            *x = r % 3 == 0 ? floor(u * 5) / 4 : r % 3 == 1 ? u : (u < 0.3 ? 1.0 : 0.0);
            if (*x > 1) *x = 1;
        }
    }
}

static int same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void check_equal(const lb_stats_prompt_t *a, const lb_stats_prompt_t *b, size_t nt) {
    assert_int_equal(a->n, b->n);
    assert_true(same(a->mean, b->mean) && same(a->std, b->std) && same(a->max, b->max));
    assert_true(same(a->M_mu, b->M_mu) && same(a->M_mu_lower, b->M_mu_lower));
    assert_true(same(a->M_sigma, b->M_sigma) && same(a->ED, b->ED));
    assert_int_equal(a->binary, b->binary);
    assert_true(same(a->M_bin, b->M_bin));
    for (size_t t = 0; t < nt; t++) assert_true(same(a->M_gen[t], b->M_gen[t]) && same(a->P_ge[t], b->P_ge[t]));
    assert_int_equal(a->n_leaking, b->n_leaking);
    assert_true(same(a->queries, b->queries) && same(a->leak_at, b->leak_at));
}

static void run_case(lb_stats_method_t m, int ragged) {
    size_t offset[ROWS + 1];
    double *base = malloc(ROWS * MAXN * sizeof *base), *x = malloc(ROWS * MAXN * sizeof *x);
    double *one = malloc(MAXN * sizeof *one), *scratch = malloc(4 * MAXN * sizeof *scratch);
    lb_stats_prompt_t *want = calloc(ROWS, sizeof *want), *got = calloc(ROWS, sizeof *got);
    double *wg = malloc(2 * ROWS * 3 * sizeof *wg), *gg = malloc(2 * ROWS * 3 * sizeof *gg);
    assert_non_null(base && x && one && scratch && want && got && wg && gg);
    for (size_t i = 0; i < ROWS * MAXN; i++) base[i] = (double)(i * 37 % 101) / 100.0;
    make_set(base, offset);
    if (!ragged) /* rectangular: every row MAXN long, from the same generator */
        for (size_t r = 0; r <= ROWS; r++) offset[r] = r * MAXN;
    lb_stats_options_t o = opts(m);
    lb_error_t err;
    /* The independent computation: each row alone, serially, on its own copy. */
    for (size_t r = 0; r < ROWS; r++) {
        size_t len = offset[r + 1] - offset[r];
        memcpy(one, base + offset[r], len * sizeof *one);
        want[r].M_gen = wg + 2 * r * 3;
        want[r].P_ge = wg + (2 * r + 1) * 3;
        assert_int_equal(lb_stats_prompt_bounds(one, len, scratch, &o, &want[r], &err), 0);
    }
    for (int threads = 1; threads <= 4; threads *= 2) {
        memcpy(x, base, offset[ROWS] * sizeof *x);
        memset(gg, 0xff, 2 * ROWS * 3 * sizeof *gg);
        size_t bad = 12345;
        int rc = ragged ? lb_stats_ragged_bounds(x, offset, ROWS, MAXN, scratch, threads, &o, got,
                                                 gg, gg + ROWS * 3, &bad, &err)
                        : lb_stats_ragged_bounds(x, NULL, ROWS, MAXN, scratch, threads, &o, got,
                                                 gg, gg + ROWS * 3, &bad, &err);
        assert_int_equal(rc, 0);
        assert_int_equal(bad, ROWS);
        for (size_t r = 0; r < ROWS; r++) {
            assert_ptr_equal(got[r].M_gen, gg + r * 3);
            assert_ptr_equal(got[r].P_ge, gg + ROWS * 3 + r * 3);
            check_equal(&got[r], &want[r], 3);
        }
        if (!ragged) { /* lb_stats_rows_bounds is the same loop */
            memcpy(x, base, offset[ROWS] * sizeof *x);
            assert_int_equal(lb_stats_rows_bounds(x, ROWS, MAXN, scratch, threads, &o, got, gg,
                                                  gg + ROWS * 3, &err), 0);
            for (size_t r = 0; r < ROWS; r++) check_equal(&got[r], &want[r], 3);
        }
    }
    free(base), free(x), free(one), free(scratch), free(want), free(got), free(wg), free(gg);
}

static void test_ragged_exact(void **state) { (void)state; run_case(LB_STATS_EXACT, 1); }
static void test_ragged_conbo(void **state) { (void)state; run_case(LB_STATS_CONBO, 1); }
static void test_rectangular(void **state) { (void)state; run_case(LB_STATS_EXACT, 0); }

/* Bad rows: the lowest failing row is reported, at any thread count, and the message leaves the
 * row's name to the caller. */
static void test_first_bad_row(void **state) {
    (void)state;
    size_t offset[ROWS + 1];
    double *base = malloc(ROWS * MAXN * sizeof *base), *x = malloc(ROWS * MAXN * sizeof *x);
    double *scratch = malloc(2 * 2 * MAXN * sizeof *scratch), *g = malloc(2 * ROWS * 3 * sizeof *g);
    lb_stats_prompt_t *out = calloc(ROWS, sizeof *out);
    assert_non_null(base && x && scratch && g && out);
    make_set(base, offset);
    lb_stats_options_t o = opts(LB_STATS_EXACT);
    lb_error_t err;
    /* A NaN in row 250, a score above 1 in row 150 (its sample 0); row 290 empty. */
    base[offset[250]] = NAN;
    base[offset[150]] = 1.5;
    size_t saved = offset[290];
    offset[290] = offset[291]; /* row 289 grows by row 290's scores, row 290 is empty */
    assert_true(offset[290] - offset[289] <= 2 * MAXN);
    for (int threads = 1; threads <= 2; threads++) {
        memcpy(x, base, offset[ROWS] * sizeof *x);
        size_t bad = 0;
        assert_int_equal(lb_stats_ragged_bounds(x, offset, ROWS, 2 * MAXN, scratch, threads, &o,
                                                out, g, g + ROWS * 3, &bad, &err),
                         LB_EINVAL);
        assert_int_equal(bad, 150);
        assert_string_equal(err.msg, "sample 0: score 1.5 is outside [0, 1]");
    }
    /* Without the bad scores the empty row 290 is the first failure: lb_stats_prompt_bounds'
     * own message for it. */
    base[offset[250]] = 0.5;
    base[offset[150]] = 0.5;
    lb_error_t want_err;
    lb_stats_prompt_t p = {.M_gen = g, .P_ge = g + 3};
    int want_rc = lb_stats_prompt_bounds(x, 0, scratch, &o, &p, &want_err);
    assert_int_not_equal(want_rc, 0);
    for (int threads = 1; threads <= 2; threads++) {
        memcpy(x, base, offset[ROWS] * sizeof *x);
        size_t bad = 0;
        assert_int_equal(lb_stats_ragged_bounds(x, offset, ROWS, 2 * MAXN, scratch, threads, &o,
                                                out, g, g + ROWS * 3, &bad, &err),
                         want_rc);
        assert_int_equal(bad, 290);
        assert_string_equal(err.msg, want_err.msg);
    }
    /* The rectangular wrapper names the row itself, as Python shows it. */
    memcpy(x, base, ROWS * 10 * sizeof *x);
    x[7 * 10 + 3] = NAN;
    x[9 * 10 + 1] = -1;
    assert_int_equal(lb_stats_rows_bounds(x, ROWS, 10, scratch, 2, &o, out, g, g + ROWS * 3, &err),
                     LB_EINVAL);
    assert_string_equal(err.msg, "row 7, sample 3: score nan is outside [0, 1]");
    /* Arguments: a row longer than the scratch row, offsets going down, a bad option. */
    offset[290] = saved;
    size_t bad = 0;
    assert_int_equal(lb_stats_ragged_bounds(x, offset, ROWS, 5, scratch, 1, &o, out, g,
                                            g + ROWS * 3, &bad, &err), LB_EINVAL);
    assert_int_equal(bad, ROWS);
    assert_non_null(strstr(err.msg, "more than the scratch row"));
    size_t down[3] = {0, 5, 4};
    assert_int_equal(lb_stats_ragged_bounds(x, down, 2, 10, scratch, 1, &o, out, g, g + 6, &bad,
                                            &err), LB_EINVAL);
    assert_int_equal(bad, 2);
    o.alpha = 0.7;
    assert_int_equal(lb_stats_ragged_bounds(x, NULL, 2, 10, scratch, 1, &o, out, g, g + 6, &bad,
                                            &err), LB_EINVAL);
    assert_int_equal(bad, 2);
    assert_non_null(strstr(err.msg, "alpha"));
    /* Nothing to do. */
    o.alpha = 0.05;
    assert_int_equal(lb_stats_ragged_bounds(x, offset, 0, 1, scratch, 1, &o, out, g, g, &bad,
                                            &err), 0);
    assert_int_equal(bad, 0);
    free(base), free(x), free(scratch), free(g), free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ragged_exact), cmocka_unit_test(test_ragged_conbo),
        cmocka_unit_test(test_rectangular), cmocka_unit_test(test_first_bad_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
