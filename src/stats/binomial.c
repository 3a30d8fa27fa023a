/* Binomial statements: the Clopper-Pearson upper bound, the several-queries
 * bound and the leak@k estimate (docs/bounds.md). */
#include "leakbound/stats.h"

#include <math.h>
#include <pthread.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

static pthread_once_t gsl_handler_once = PTHREAD_ONCE_INIT;

/* GSL aborts the process on a failed inversion by default; a library must report instead. */
static void gsl_handler_off(void) { gsl_set_error_handler_off(); }

/* Fallback when GSL's Newton iteration does not converge: bisection on the survival function,
 * which is monotone in x, down to the spacing of doubles. */
static double beta_qinv_bisect(double q, double a, double b) {
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (gsl_cdf_beta_Q(mid, a, b) > q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

int lb_stats_cp_upper(size_t successes, size_t n, double alpha, double *out, lb_error_t *err) {
    if (n == 0) return lb_error_set(err, LB_EINVAL, "Clopper-Pearson bound needs n >= 1");
    if (successes > n)
        return lb_error_set(err, LB_EINVAL, "Clopper-Pearson bound: %zu successes out of %zu trials",
                            successes, n);
    if (!(alpha > 0.0 && alpha < 1.0))
        return lb_error_set(err, LB_EINVAL, "alpha must lie in (0, 1), got %g", alpha);
    if (successes == n) {
        *out = 1.0;
        return LB_OK;
    }
    pthread_once(&gsl_handler_once, gsl_handler_off);
    double a = (double)successes + 1.0, b = (double)(n - successes);
    /* The (1-alpha) quantile is the alpha upper-tail quantile; asking for it directly avoids
     * rounding 1 - alpha. */
    double x = gsl_cdf_beta_Qinv(alpha, a, b);
    if (!isfinite(x) || x < 0.0 || x > 1.0) x = beta_qinv_bisect(alpha, a, b);
    if (!isfinite(x))
        return lb_error_set(err, LB_EUNSUPPORTED,
                            "Beta(%g, %g) quantile at %g failed to converge", a, b, 1.0 - alpha);
    *out = x;
    return LB_OK;
}

/* Bisection on the lower tail P(X <= x) (increasing in x) for the lower bound's quantile. */
static double beta_pinv_bisect(double p, double a, double b) {
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (gsl_cdf_beta_P(mid, a, b) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

int lb_stats_cp_interval(double successes, size_t n, double alpha, double *lower, double *upper,
                         lb_error_t *err) {
    if (n == 0) return lb_error_set(err, LB_EINVAL, "Clopper-Pearson interval needs n >= 1");
    double dn = (double)n, s = successes;
    if (!(s >= 0.0 && s <= dn))
        return lb_error_set(err, LB_EINVAL,
                            "Clopper-Pearson interval: %g successes outside [0, %zu]", s, n);
    if (!(alpha > 0.0 && alpha < 1.0))
        return lb_error_set(err, LB_EINVAL, "alpha must lie in (0, 1), got %g", alpha);
    pthread_once(&gsl_handler_once, gsl_handler_off);
    double q = 0.5 * alpha;
    double lo = 0.0, hi = 1.0;
    if (s > 0.0) {
        lo = gsl_cdf_beta_Pinv(q, s, dn - s + 1.0);
        if (!isfinite(lo) || lo < 0.0 || lo > 1.0) lo = beta_pinv_bisect(q, s, dn - s + 1.0);
    }
    if (s < dn) {
        hi = gsl_cdf_beta_Qinv(q, s + 1.0, dn - s);
        if (!isfinite(hi) || hi < 0.0 || hi > 1.0) hi = beta_qinv_bisect(q, s + 1.0, dn - s);
    }
    if (!isfinite(lo) || !isfinite(hi))
        return lb_error_set(err, LB_EUNSUPPORTED,
                            "Clopper-Pearson interval for %g of %zu at alpha %g failed to converge",
                            s, n, alpha);
    *lower = lo;
    *upper = hi;
    return LB_OK;
}

double lb_stats_queries(double m, long k) {
    if (m >= 1.0) return 1.0;
    if (m <= 0.0) return 0.0;
    return -expm1((double)k * log1p(-m));
}

double lb_stats_leak_at_k(size_t n, size_t c, size_t k) {
    if (c > n) c = n;
    if (n - c < k) return 1.0;
    /* C(n-c,k)/C(n,k) = prod_{i<k} (n-c-i)/(n-i); every factor is in [0,1], so the product
     * never overflows and loses only ~k ulps. */
    double ratio = 1.0;
    for (size_t i = 0; i < k; i++) {
        ratio *= (double)(n - c - i) / (double)(n - i);
        if (ratio == 0.0) break;
    }
    return 1.0 - ratio;
}
