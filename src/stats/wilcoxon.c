/* Wilcoxon signed-rank test (one-sided "less"), as scipy.stats.wilcoxon computes it. Used by the
 * demo to compare per-question bounds of two models on the same questions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "leakbound/stats.h"

typedef struct {
    double a; /* |d| */
    int pos;  /* d > 0 */
} wx_t;

static int by_abs(const void *pa, const void *pb) {
    double a = ((const wx_t *)pa)->a, b = ((const wx_t *)pb)->a;
    return (a > b) - (a < b);
}

/* P(R+ <= t) under H0 for m pairs without ties: the count of subsets of {1..m} whose sum is <= t,
 * over 2^m, by the subset-sum recursion (m <= 50: sums up to 1275). */
static double exact_cdf(size_t m, double t, lb_error_t *err, int *rc) {
    size_t max = m * (m + 1) / 2;
    double *c = calloc(max + 1, sizeof *c);
    if (!c) {
        *rc = lb_error_set(err, LB_ENOMEM, "wilcoxon: out of memory");
        return 0;
    }
    c[0] = 1;
    for (size_t k = 1; k <= m; k++)
        for (size_t s = max; s >= k; s--) c[s] += c[s - k];
    double below = 0, all = ldexp(1.0, (int)m);
    for (size_t s = 0; s <= max && (double)s <= t; s++) below += c[s];
    free(c);
    double p = below / all;
    return p > 1 ? 1 : p;
}

int lb_stats_wilcoxon_less(const double *x, const double *y, size_t n, double *r_plus, double *p,
                           int *exact, lb_error_t *err) {
    if (!n) return lb_error_set(err, LB_EINVAL, "wilcoxon: no pairs");
    wx_t *d = malloc(n * sizeof *d);
    if (!d) return lb_error_set(err, LB_ENOMEM, "wilcoxon: out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            free(d);
            return lb_error_set(err, LB_EINVAL, "wilcoxon: pair %zu is not finite", i);
        }
        double v = x[i] - y[i];
        if (v != 0) d[m++] = (wx_t){fabs(v), v > 0};
    }
    size_t zeros = n - m;
    if (!m) {
        free(d);
        return lb_error_set(err, LB_EINVAL, "wilcoxon: every difference is 0");
    }
    qsort(d, m, sizeof *d, by_abs);
    /* average ranks over ties; tie term sum(t^3 - t) */
    double rp = 0, ties = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j + 1 < m && d[j + 1].a == d[i].a) j++;
        double rank = 0.5 * (double)(i + 1 + j + 1), t = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (d[k].pos) rp += rank;
        ties += t * t * t - t;
        i = j + 1;
    }
    free(d);
    int rc = 0;
    *r_plus = rp;
    if (n <= 50 && !zeros && ties == 0) {
        *exact = 1;
        *p = exact_cdf(m, rp, err, &rc);
        return rc;
    }
    *exact = 0;
    double c = (double)m, mean = c * (c + 1) / 4, var = (c * (c + 1) * (2 * c + 1) - 0.5 * ties) / 24;
    *p = gsl_cdf_ugaussian_P((rp - mean) / sqrt(var));
    return 0;
}
