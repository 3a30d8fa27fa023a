/* Parity with conbo 0.1 (the authors' bounds library; docs/bounds.md, '--method conbo'): the same grid, the same
 * floating-point construction of the grid, the same quirks. Kept apart from the exact bounds
 * so that fixing one never moves the other. */
#include "leakbound/stats.h"

#include <math.h>

/* numpy.linspace(0, 1, s): k * (1/(s-1)) + 0, with the last point set to exactly 1. Grid
 * points must be bit-identical to numpy's because cdf[k] counts samples <= T[k], and scores
 * such as 1/3 may sit on a grid point. */
static inline double grid_point(size_t k, size_t s, double step) {
    return k + 1 == s ? 1.0 : (double)k * step + 0.0;
}

/* Advances *j over sorted samples <= t and returns the empirical CDF at t (t nondecreasing). */
static inline double cdf_at(const double *sorted, size_t n, size_t *j, double t) {
    while (*j < n && sorted[*j] <= t) (*j)++;
    return (double)*j / (double)n;
}

void lb_stats_conbo_expectation(const double *sorted, size_t n, double alpha, size_t stepsize,
                                lb_stats_interval_t *out) {
    double eps = sqrt(log(2.0 / alpha) / (2.0 * (double)n));
    double step = 1.0 / (double)(stepsize - 1);
    double sum_lo = 0.0, sum_hi = 0.0, prev = 0.0, mean = 0.0;
    size_t j = 0;
    for (size_t k = 0; k < stepsize; k++) {
        double t = grid_point(k, stepsize, step);
        double cdf = cdf_at(sorted, n, &j, t);
        if (k + 1 < stepsize) {
            /* left rule for the upper bound: lo[k] * (T[k+1] - T[k]) */
            double h = grid_point(k + 1, stepsize, step) - t;
            sum_lo += fmax(cdf - eps, 0.0) * h;
        }
        if (k > 0) sum_hi += fmin(cdf + eps, 1.0) * (t - prev); /* right rule, lower bound */
        prev = t;
    }
    for (size_t i = 0; i < n; i++) mean += sorted[i];
    out->estimate = mean / (double)n;
    out->lower = 1.0 - sum_hi;
    out->upper = 1.0 - sum_lo;
}

/* max / min of (tau - mu)^2 over tau in {t1, t2}, mu in {m_lo, m_hi}. */
static inline void eta_range(double t1, double t2, double m_lo, double m_hi, double *mx,
                             double *mn) {
    double e[4] = {(t1 - m_lo) * (t1 - m_lo), (t1 - m_hi) * (t1 - m_hi),
                   (t2 - m_lo) * (t2 - m_lo), (t2 - m_hi) * (t2 - m_hi)};
    *mx = *mn = e[0];
    for (int i = 1; i < 4; i++) {
        *mx = fmax(*mx, e[i]);
        *mn = fmin(*mn, e[i]);
    }
}

void lb_stats_conbo_variance(const double *sorted, size_t n, double alpha, size_t stepsize,
                             lb_stats_interval_t *out) {
    /* conbo's variance_bounds calls expectation_bounds without passing stepsize on. */
    lb_stats_interval_t mu;
    lb_stats_conbo_expectation(sorted, n, alpha, 100, &mu);
    double eps = sqrt(log(2.0 / alpha) / (2.0 * (double)n));
    double step = 1.0 / (double)(stepsize - 1);

    double var_hi = 0.0, var_lo = 0.0;
    double emax_first = 0.0, emin_first = 0.0, emax_prev = 0.0, emin_prev = 0.0;
    double cdf0 = 0.0;
    size_t j = 0;
    /* Interval k = [T[k], T[k+1]] for k = 0..s-2; the sum pairs cdf[k] with
     * d_k = eta[k-1] - eta[k] for k = 1..s-2. */
    for (size_t k = 0; k + 1 < stepsize; k++) {
        double t1 = grid_point(k, stepsize, step), t2 = grid_point(k + 1, stepsize, step);
        double cdf = cdf_at(sorted, n, &j, t1);
        double emax, emin;
        eta_range(t1, t2, mu.lower, mu.upper, &emax, &emin);
        if (k == 0) {
            emax_first = emax;
            emin_first = emin;
            cdf0 = cdf;
        } else {
            double d = emax_prev - emax;
            var_hi += (cdf + (d > 0 ? eps : -eps)) * d;
            d = emin_prev - emin;
            var_lo += (cdf - (d > 0 ? eps : -eps)) * d;
        }
        emax_prev = emax;
        emin_prev = emin;
    }
    var_hi += emax_prev - emax_first * fmax(cdf0 - eps, 0.0);
    var_lo += emin_prev - emin_first * fmin(cdf0 + eps, 1.0);
    var_lo = fmax(var_lo, 0.0);

    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        s1 += sorted[i];
        s2 += sorted[i] * sorted[i];
    }
    double m = s1 / (double)n;
    out->estimate = fmax(s2 / (double)n - m * m, 0.0);
    out->lower = var_lo;
    out->upper = var_hi; /* not floored: it can be negative */
}

void lb_stats_conbo_std(const double *sorted, size_t n, double alpha, size_t stepsize,
                        lb_stats_interval_t *out) {
    lb_stats_interval_t var;
    lb_stats_conbo_variance(sorted, n, alpha, stepsize, &var);
    out->estimate = sqrt(var.estimate);
    out->lower = sqrt(var.lower);
    out->upper = var.upper >= 0.0 ? sqrt(var.upper) : NAN; /* numpy: sqrt of a negative is nan */
}
