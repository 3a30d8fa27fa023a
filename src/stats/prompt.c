/* Every reported bound for one prompt, in either method; the CLI calls this once per prompt
 * from its parallel loop, so it must not allocate. */
#include "leakbound/stats.h"

#include <math.h>

/* Clopper-Pearson at successes s, reusing the last value computed for the same count: the
 * leak threshold and the --threshold values often count the same samples. */
typedef struct cp_memo {
    size_t s;
    double v;
    int valid;
} cp_memo_t;

static int cp_cached(cp_memo_t *memo, size_t s, size_t n, double alpha, double *out,
                     lb_error_t *err) {
    for (int i = 0; i < 4; i++)
        if (memo[i].valid && memo[i].s == s) {
            *out = memo[i].v;
            return LB_OK;
        }
    int rc = lb_stats_cp_upper(s, n, alpha, out, err);
    if (rc) return rc;
    for (int i = 3; i > 0; i--) memo[i] = memo[i - 1];
    memo[0] = (cp_memo_t){s, *out, 1};
    return LB_OK;
}

int lb_stats_prompt_bounds(double *scores, size_t n, double *scratch,
                           const lb_stats_options_t *opt, lb_stats_prompt_t *out,
                           lb_error_t *err) {
    if (n == 0) return lb_error_set(err, LB_EINVAL, "a prompt needs at least one score");
    double alpha = opt->alpha;
    if (!(alpha > 0.0 && alpha <= 0.5))
        return lb_error_set(err, LB_EINVAL, "alpha must lie in (0, 0.5], got %g", alpha);
    if (opt->queries_k < 1 || opt->leak_at_k < 1)
        return lb_error_set(err, LB_EINVAL, "query counts must be >= 1");

    lb_stats_sort(scores, n, scratch);
    const double *x = scores;
    double dn = (double)n, sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += x[i];
    double mean = sum / dn, ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    out->n = n;
    out->mean = mean;
    out->std = sqrt(ss / dn);
    out->max = x[n - 1];

    /* Sorted, so binary means: zeros, then nothing but ones. */
    size_t zeros = 0;
    while (zeros < n && x[zeros] == 0.0) zeros++;
    out->binary = zeros == n || (x[zeros] == 1.0 && x[n - 1] == 1.0);

    cp_memo_t memo[4] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    int rc;
    out->M_bin = NAN;
    if (out->binary && (rc = cp_cached(memo, n - zeros, n, alpha, &out->M_bin, err))) return rc;

    double eps1 = lb_stats_eps_one_sided(n, alpha);
    if (opt->method == LB_STATS_CONBO) {
        /* The reference demo's conventions: 2 alpha for the (two-sided) mean interval used
         * one-sidedly, alpha for the standard deviation. */
        lb_stats_interval_t mu, sd;
        lb_stats_conbo_expectation(x, n, 2.0 * alpha, 100, &mu);
        lb_stats_conbo_std(x, n, alpha, 100, &sd);
        out->M_mu = mu.upper;
        out->M_mu_lower = mu.lower;
        out->M_sigma = sd.upper;
    } else {
        out->M_mu = lb_stats_anderson_upper(x, n, eps1);
        out->M_mu_lower = lb_stats_anderson_lower(x, n, eps1);
        out->M_sigma = lb_stats_sigma_upper(x, n, alpha);
    }
    out->ED = out->M_mu + opt->ed_lambda * out->M_sigma;

    for (size_t j = 0; j < opt->n_thresholds; j++) {
        double t = opt->thresholds[j];
        out->M_gen[j] = lb_stats_dkw_tail_upper(x, n, eps1, t);
        if ((rc = cp_cached(memo, lb_stats_count_ge(x, n, t), n, alpha, &out->P_ge[j], err)))
            return rc;
    }

    out->n_leaking = lb_stats_count_ge(x, n, opt->leak_threshold);
    double m_leak;
    if ((rc = cp_cached(memo, out->n_leaking, n, alpha, &m_leak, err))) return rc;
    out->queries = lb_stats_queries(m_leak, opt->queries_k);
    out->leak_at = lb_stats_leak_at_k(n, out->n_leaking, (size_t)opt->leak_at_k);
    return LB_OK;
}
