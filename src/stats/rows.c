/* Entry points for many prompts at once: every row of a ragged set (offsets) or of a (rows, n)
 * matrix of scores in one call; the one loop "bounds for every prompt" that `bound`, `eval` and
 * the Python package share. Each row is validated, sorted in place and handed to the one-prompt
 * functions; rows are shared among OpenMP threads, each with its own slice of the caller's
 * scratch, so nothing is allocated here. */
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

/* Row r of the set: offset[r] .. offset[r+1], or r * n .. (r+1) * n without offsets. */
static double *row_at(double *scores, const size_t *offset, size_t n, size_t r, size_t *len) {
    if (!offset) {
        *len = n;
        return scores + r * n;
    }
    *len = offset[r + 1] - offset[r];
    return scores + offset[r];
}

/* The one loop. On a failing row returns nonzero with *bad_row (the lowest failing row) and
 * *bad_sample (the first bad score's index, or the row's length when its scores are good but
 * lb_stats_prompt_bounds failed); err is then filled by the caller's wording of a bad score, or
 * here with lb_stats_prompt_bounds' own (unprefixed) message. Argument errors leave *bad_row at
 * rows. */
static int rows_run(double *scores, const size_t *offset, size_t rows, size_t n, double *scratch,
                    int threads, const lb_stats_options_t *opt, lb_stats_prompt_t *out,
                    double *M_gen, double *P_ge, size_t *bad_row, size_t *bad_sample,
                    lb_error_t *err) {
    *bad_row = rows;
    *bad_sample = 0;
    if (!opt) return lb_error_set(err, LB_EINVAL, "opt is NULL");
    int rc = check_shape(n, threads, scratch, err);
    if (rc || (rc = check_options(opt, err))) return rc;
    for (size_t r = 0; offset && r < rows; r++) {
        if (offset[r + 1] < offset[r])
            return lb_error_set(err, LB_EINVAL, "offset[%zu] = %zu is below offset[%zu] = %zu",
                                r + 1, offset[r + 1], r, offset[r]);
        if (offset[r + 1] - offset[r] > n)
            return lb_error_set(err, LB_EINVAL,
                                "row %zu has %zu scores, more than the scratch row (n = %zu)", r,
                                offset[r + 1] - offset[r], n);
    }
    size_t nt = opt->n_thresholds;
    for (size_t r = 0; r < rows; r++) {
        out[r].M_gen = M_gen + r * nt;
        out[r].P_ge = P_ge + r * nt;
    }
    long first_bad = -1; /* lowest failing row */
    size_t first_sample = 0;
#pragma omp parallel num_threads(threads)
    {
        double *mine = scratch + (size_t)omp_get_thread_num() * n;
#pragma omp for schedule(dynamic, 8)
        for (size_t r = 0; r < rows; r++) {
            size_t len;
            double *row = row_at(scores, offset, n, r, &len);
            size_t j = first_bad_score(row, len);
            if (j < len || lb_stats_prompt_bounds(row, len, mine, opt, &out[r], NULL)) {
#pragma omp critical(lb_stats_rows_first_bad)
                if (first_bad < 0 || (long)r < first_bad) {
                    first_bad = (long)r;
                    first_sample = j;
                }
            }
        }
    }
    if (first_bad < 0) return LB_OK;
    size_t r = (size_t)first_bad, len;
    double *row = row_at(scores, offset, n, r, &len);
    *bad_row = r;
    *bad_sample = first_sample;
    if (first_sample < len) return LB_EINVAL; /* the caller words it */
    /* Again, alone, for the message (the row is sorted by now, which changes nothing). */
    rc = lb_stats_prompt_bounds(row, len, scratch, opt, &out[r], err);
    return rc ? rc : lb_error_set(err, LB_EUNSUPPORTED, "the bounds failed on a second try");
}

int lb_stats_ragged_bounds(double *scores, const size_t *offset, size_t rows, size_t n,
                           double *scratch, int threads, const lb_stats_options_t *opt,
                           lb_stats_prompt_t *out, double *M_gen, double *P_ge, size_t *bad_row,
                           lb_error_t *err) {
    size_t r, j, dummy;
    if (!bad_row) bad_row = &dummy;
    int rc = rows_run(scores, offset, rows, n, scratch, threads, opt, out, M_gen, P_ge, &r, &j, err);
    *bad_row = r;
    if (rc && r < rows) {
        size_t len;
        const double *row = row_at(scores, offset, n, r, &len);
        if (j < len)
            return lb_error_set(err, LB_EINVAL, "sample %zu: score %.17g is outside [0, 1]", j,
                                row[j]);
    }
    return rc;
}

int lb_stats_rows_bounds(double *scores, size_t rows, size_t n, double *scratch, int threads,
                         const lb_stats_options_t *opt, lb_stats_prompt_t *out, double *M_gen,
                         double *P_ge, lb_error_t *err) {
    size_t r, j;
    int rc = rows_run(scores, NULL, rows, n, scratch, threads, opt, out, M_gen, P_ge, &r, &j, err);
    if (!rc || r >= rows) return rc;
    if (j < n)
        return lb_error_set(err, LB_EINVAL, "row %zu, sample %zu: score %.17g is outside [0, 1]", r,
                            j, scores[r * n + j]);
    lb_error_prefix(err, "row %zu", r);
    return rc;
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
    if (first_bad < 0) return LB_OK;
    size_t r = (size_t)first_bad, j = first_bad_score(scores + r * n, n);
    return lb_error_set(err, LB_EINVAL, "row %zu, sample %zu: score %.17g is outside [0, 1]", r, j,
                        scores[r * n + j]);
}
