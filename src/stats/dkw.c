/* Bounds read off the DKW band around the empirical CDF: the tail bound M_gen (SPEC §2.2),
 * the exact Anderson bounds on E[X] (SPEC §2.3) and the default-mode M_sigma (SPEC §2.4,
 * derivation in docs/bounds.md). All work on the sorted samples, O(n), no allocation. */
#include "leakbound/stats.h"

#include <math.h>

double lb_stats_eps_one_sided(size_t n, double alpha) {
    return sqrt(log(1.0 / alpha) / (2.0 * (double)n));
}

double lb_stats_eps_two_sided(size_t n, double alpha) {
    return sqrt(log(2.0 / alpha) / (2.0 * (double)n));
}

double lb_stats_dkw_tail_upper(const double *sorted, size_t n, double eps, double t) {
    /* 1 - F_n(t-) is the share of samples >= t. */
    double tail = (double)lb_stats_count_ge(sorted, n, t) / (double)n;
    return fmin(1.0, tail + eps);
}

size_t lb_stats_dkw_curve(const double *sorted, size_t n, double eps, double *xs, double *ys) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && sorted[i] == sorted[i - 1]) continue;
        /* i samples lie strictly below sorted[i]. */
        xs[m] = sorted[i];
        ys[m] = fmin(1.0, (double)(n - i) / (double)n + eps);
        m++;
    }
    return m;
}

/* E[g(X)] = int_0^1 P(g(X) > t) dt for a nondecreasing g: [0,1] -> [0,1]; on the event
 * F >= F_n - eps the integrand is at most 1 - max(0, F_n - eps), a step function that is
 * constant between consecutive order statistics. square selects g(x) = x^2. */
static double upper_sum(const double *sorted, size_t n, double eps, int square) {
    double s = 0.0, dn = (double)n;
    for (size_t i = 1; i <= n; i++) {
        double w = (double)i / dn - eps;
        if (w <= 0.0) continue;
        double a = sorted[i - 1], b = i < n ? sorted[i] : 1.0;
        if (square) {
            a *= a;
            b *= b;
        }
        s += (b - a) * w;
    }
    return 1.0 - s;
}

double lb_stats_anderson_upper(const double *sorted, size_t n, double eps) {
    return upper_sum(sorted, n, eps, 0);
}

double lb_stats_anderson_lower(const double *sorted, size_t n, double eps) {
    double s = 0.0, dn = (double)n;
    for (size_t i = 0; i <= n; i++) {
        double a = i > 0 ? sorted[i - 1] : 0.0, b = i < n ? sorted[i] : 1.0;
        s += (b - a) * fmin(1.0, (double)i / dn + eps);
    }
    return 1.0 - s;
}

double lb_stats_sigma_upper(const double *sorted, size_t n, double alpha) {
    /* One two-sided event (probability >= 1 - alpha) carries all three Anderson bounds. */
    double e = lb_stats_eps_two_sided(n, alpha);
    double u2 = upper_sum(sorted, n, e, 1);
    double u1 = upper_sum(sorted, n, e, 0);
    double l1 = fmax(0.0, lb_stats_anderson_lower(sorted, n, e));
    double v = u2 - l1 * l1;
    /* Var X <= E X - (E X)^2 on [0,1]; m(1-m) peaks at m = 1/2. */
    double bern;
    if (l1 <= 0.5 && 0.5 <= u1)
        bern = 0.25;
    else if (u1 < 0.5)
        bern = u1 * (1.0 - u1);
    else
        bern = l1 * (1.0 - l1);
    v = fmin(v, bern);
    return fmin(0.5, sqrt(fmax(0.0, v)));
}
