/* Leaked and hidden-leak prompts, and a share of prompts with its Clopper-Pearson bounds. */
#include <math.h>
#include <stddef.h>

#include "leakbound/stats.h"

lb_stats_leak_t lb_stats_leak_verdict(size_t n_leaking, double greedy) {
    lb_stats_leak_t v;
    v.leaked = n_leaking > 0;
    v.hidden = v.leaked && greedy < LB_STATS_HIDDEN_GREEDY; /* NaN compares false */
    return v;
}

int lb_stats_share(size_t k, size_t n, double alpha, lb_stats_share_t *out, lb_error_t *err) {
    if (n == 0) return lb_error_set(err, LB_EINVAL, "a share needs n >= 1");
    if (k > n) return lb_error_set(err, LB_EINVAL, "a share of %zu out of %zu", k, n);
    if (!(alpha > 0.0 && alpha <= 0.5))
        return lb_error_set(err, LB_EINVAL, "alpha must lie in (0, 0.5], got %g", alpha);
    double hi2;
    out->k = k;
    out->n = n;
    out->share = (double)k / (double)n;
    int rc = lb_stats_cp_interval((double)k, n, 2 * alpha, &out->lower, &hi2, err);
    if (!rc) rc = lb_stats_cp_upper(k, n, alpha, &out->upper, err);
    return rc;
}
