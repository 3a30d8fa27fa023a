/* Batched entry points: every row of a (rows, n) matrix of scores in one call, for callers that
 * hold a whole matrix at once (the Python package). Each row is validated, sorted in place and
 * handed to the one-prompt functions; rows are shared among OpenMP threads, each with its own
 * slice of the caller's scratch, so nothing is allocated here. */
#include "leakbound/stats.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>

/* Index of the first score of row that is NaN or outside [0, 1], or n when there is none. */
static size_t first_bad_score(const double *row, size_t n) {
    for (size_t j = 0; j < n; j++)
        if (!(row[j] >= 0.0 && row[j] <= 1.0)) return j;
    return n;
}

static int bad_score(const double *scores, size_t r, size_t n, lb_error_t *err) {
    const double *row = scores + r * n;
    size_t j = first_bad_score(row, n);
    return lb_error_set(err, LB_EINVAL, "row %zu, sample %zu: score %.17g is outside [0, 1]", r, j,
                        row[j]);
}

static int check_shape(size_t n, int threads, const double *scratch, lb_error_t *err) {
    if (n == 0) return lb_error_set(err, LB_EINVAL, "a prompt needs at least one score (n = 0)");
    if (threads < 1) return lb_error_set(err, LB_EINVAL, "threads must be >= 1, got %d", threads);
    if (!scratch) return lb_error_set(err, LB_EINVAL, "scratch is NULL");
    return LB_OK;
}

static int check_unit(const char *what, double v, lb_error_t *err) {
    if (!(v >= 0.0 && v <= 1.0))
        return lb_error_set(err, LB_EINVAL, "%s: expected a number in [0, 1], got %g", what, v);
    return LB_OK;
}

static int check_options(const lb_stats_options_t *opt, lb_error_t *err) {
    if (!(opt->alpha > 0.0 && opt->alpha <= 0.5))
        return lb_error_set(err, LB_EINVAL, "alpha must lie in (0, 0.5], got %g", opt->alpha);
    if (opt->method != LB_STATS_EXACT && opt->method != LB_STATS_CONBO)
        return lb_error_set(err, LB_EINVAL, "method must be exact (0) or conbo (1), got %d",
                            (int)opt->method);
    if (!(opt->ed_lambda >= 0.0 && isfinite(opt->ed_lambda)))
        return lb_error_set(err, LB_EINVAL, "ed_lambda: expected a finite number >= 0, got %g",
                            opt->ed_lambda);
    if (opt->queries_k < 1)
        return lb_error_set(err, LB_EINVAL, "queries: expected an integer >= 1, got %ld",
                            opt->queries_k);
    if (opt->leak_at_k < 1)
        return lb_error_set(err, LB_EINVAL, "leak_at: expected an integer >= 1, got %ld",
                            opt->leak_at_k);
    int rc = check_unit("leak_threshold", opt->leak_threshold, err);
    if (rc) return rc;
    if (opt->n_thresholds && !opt->thresholds)
        return lb_error_set(err, LB_EINVAL, "thresholds is NULL with n_thresholds = %zu",
                            opt->n_thresholds);
    for (size_t j = 0; j < opt->n_thresholds; j++) {
        char what[48];
        snprintf(what, sizeof what, "thresholds[%zu]", j);
        if ((rc = check_unit(what, opt->thresholds[j], err))) return rc;
    }
    return LB_OK;
}

int lb_stats_rows_bounds(double *scores, size_t rows, size_t n, double *scratch, int threads,
                         const lb_stats_options_t *opt, lb_stats_prompt_t *out, double *M_gen,
                         double *P_ge, lb_error_t *err) {
    int rc = check_shape(n, threads, scratch, err);
    if (rc || (rc = check_options(opt, err))) return rc;
    size_t nt = opt->n_thresholds;
    for (size_t r = 0; r < rows; r++) {
        out[r].M_gen = M_gen + r * nt;
        out[r].P_ge = P_ge + r * nt;
    }
    long first_bad = -1; /* lowest failing row */
    int bad_is_score = 0;
#pragma omp parallel num_threads(threads)
    {
        double *mine = scratch + (size_t)omp_get_thread_num() * n;
#pragma omp for schedule(dynamic, 16)
        for (size_t r = 0; r < rows; r++) {
            double *row = scores + r * n;
            int is_score = first_bad_score(row, n) < n;
            if (is_score || lb_stats_prompt_bounds(row, n, mine, opt, &out[r], NULL)) {
#pragma omp critical(lb_stats_rows_first_bad)
                if (first_bad < 0 || (long)r < first_bad) {
                    first_bad = (long)r;
                    bad_is_score = is_score;
                }
            }
        }
    }
    if (first_bad < 0) return LB_OK;
    size_t r = (size_t)first_bad;
    if (bad_is_score) return bad_score(scores, r, n, err);
    /* Again, alone, for the message (the row is sorted by now, which changes nothing). */
    rc = lb_stats_prompt_bounds(scores + r * n, n, scratch, opt, &out[r], err);
    lb_error_prefix(err, "row %zu", r);
    return rc ? rc : LB_EUNSUPPORTED;
}

int lb_stats_conbo_rows(double *scores, size_t rows, size_t n, double alpha, size_t stepsize,
                        lb_stats_conbo_what_t what, double *scratch, int threads,
                        lb_stats_interval_t *out, lb_error_t *err) {
    int rc = check_shape(n, threads, scratch, err);
    if (rc) return rc;
    if (!(alpha > 0.0 && alpha <= 1.0))
        return lb_error_set(err, LB_EINVAL, "alpha must lie in (0, 1], got %g", alpha);
    if (stepsize < 2 || stepsize > LB_STATS_CONBO_MAX_STEPSIZE)
        return lb_error_set(err, LB_EINVAL, "stepsize must lie in [2, %zu], got %zu",
                            LB_STATS_CONBO_MAX_STEPSIZE, stepsize);
    if (what != LB_STATS_CONBO_EXPECTATION && what != LB_STATS_CONBO_VARIANCE)
        return lb_error_set(err, LB_EINVAL, "what must be expectation (0) or variance (1), got %d",
                            (int)what);
    long first_bad = -1;
#pragma omp parallel num_threads(threads)
    {
        double *mine = scratch + (size_t)omp_get_thread_num() * n;
#pragma omp for schedule(dynamic, 16)
        for (size_t r = 0; r < rows; r++) {
            double *row = scores + r * n;
            if (first_bad_score(row, n) < n) {
#pragma omp critical(lb_stats_conbo_rows_first_bad)
                if (first_bad < 0 || (long)r < first_bad) first_bad = (long)r;
                continue;
            }
            lb_stats_sort(row, n, mine);
            if (what == LB_STATS_CONBO_EXPECTATION)
                lb_stats_conbo_expectation(row, n, alpha, stepsize, &out[r]);
            else
                lb_stats_conbo_variance(row, n, alpha, stepsize, &out[r]);
        }
    }
    return first_bad < 0 ? LB_OK : bad_score(scores, (size_t)first_bad, n, err);
}
