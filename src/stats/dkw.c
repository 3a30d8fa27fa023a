/* Bounds read off the DKW band around the empirical CDF: the tail bound M_gen,
 * the exact Anderson bounds on E[X] and the default-mode M_sigma (definitions and the
 * M_sigma derivation: docs/bounds.md). All work on the sorted samples, O(n), no allocation. */
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

/* min over c of U(c), U(c) >= E(X - c)^2 >= Var X on the two-sided event (docs/bounds.md):
 * E(X - c)^2 = (1 - c)^2 - int_0^1 2(t - c) F(t) dt, made largest by the upper band where
 * t < c and the lower band where t > c. U is convex and, on each gap [a, b] between order
 * statistics, a quadratic in c, so each gap's vertex (clamped to the gap) gives the exact
 * minimum. Prefix sums make the whole scan O(n). *argmin receives the minimiser. */
double lb_stats_shift_var_upper(const double *sorted, size_t n, double eps, double *argmin) {
    double inv_n = 1.0 / (double)n;
    /* Gap i = [a_i, b_i] with a_0 = 0, b_n = 1; F_n = i/n there. */
#define GAP_A(i) ((i) > 0 ? sorted[(i) - 1] : 0.0)
#define GAP_B(i) ((i) < n ? sorted[(i)] : 1.0)
    double ar = 0.0, br = 0.0; /* sums over gaps right of the current one, lower band */
    for (size_t i = 0; i <= n; i++) {
        double a = GAP_A(i), b = GAP_B(i), lo = fmax(0.0, (double)i * inv_n - eps);
        ar += (b * b - a * a) * lo;
        br += (b - a) * lo;
    }
    double al = 0.0, bl = 0.0; /* sums over gaps left of it, upper band */
    double best = INFINITY, best_c = 0.0;
    for (size_t j = 0; j <= n; j++) {
        double a = GAP_A(j), b = GAP_B(j);
        /* A gap of zero length (tied scores) adds nothing, and its one point is also an end
         * of the neighbouring gaps. */
        if (b == a && j > 0 && j < n) continue;
        double f = (double)j * inv_n, hi = fmin(1.0, f + eps), lo = fmax(0.0, f - eps);
        ar -= (b * b - a * a) * lo;
        br -= (b - a) * lo;
        double k = al + ar, m = bl + br;
        /* U(c) = (1-c)^2 - k + 2cm + hi (c-a)^2 - lo (b-c)^2 for c in [a, b], a convex
         * quadratic: its minimum on the gap is the vertex clamped to [a, b] (compared
         * without dividing unless the vertex lies right of a). */
        double c2 = 1.0 + hi - lo, c1 = -2.0 + 2.0 * m - 2.0 * a * hi + 2.0 * b * lo;
        double c = a;
        if (-c1 > 2.0 * c2 * a) c = -c1 >= 2.0 * c2 * b ? b : -c1 / (2.0 * c2);
        double u = (1.0 - c) * (1.0 - c) - k + 2.0 * c * m + hi * (c - a) * (c - a) -
                   lo * (b - c) * (b - c);
        if (u < best) {
            best = u;
            best_c = c;
        }
        al += (b * b - a * a) * hi;
        bl += (b - a) * hi;
    }
#undef GAP_A
#undef GAP_B
    if (argmin) *argmin = best_c;
    return best;
}

double lb_stats_sigma_upper(const double *sorted, size_t n, double alpha) {
    /* One two-sided event (probability >= 1 - alpha) carries every bound used here. */
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
    v = fmin(v, lb_stats_shift_var_upper(sorted, n, e, NULL));
    return fmin(0.5, sqrt(fmax(0.0, v)));
}
