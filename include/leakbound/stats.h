/*
 * leakbound/stats.h — high-probability bounds on one prompt's sampled scores (docs/bounds.md).
 *
 * Contract
 * - Input: n >= 1 scores in [0,1] (NaN is the caller's to reject), sorted ascending once with
 *   lb_stats_sort; every bound below reads that sorted array and never allocates. Callers that
 *   process many prompts size one scratch buffer up front (the arena), not one per prompt.
 * - alpha is the miscoverage of each reported statement on its own: every upper bound U
 *   satisfies P(theta <= U) >= 1 - alpha over the draw of the samples (docs/bounds.md says which
 *   statements hold jointly). Valid alpha: 0 < alpha <= 0.5 (Massart's one-sided DKW constant).
 * - Two methods. LB_STATS_EXACT (default): exact Anderson bounds on the sorted samples and a
 *   variance bound that is valid when there is mass at 0. LB_STATS_CONBO: parity with the
 *   authors' library conbo 0.1 (100-point grid), quirks and known defect included.
 * - Thread safety: every function is reentrant. The first Clopper-Pearson call turns GSL's
 *   abort-on-error handler off process-wide (once, thread-safely); failures are reported
 *   through lb_error_t instead.
 * - Conventions: M_gen and P_ge bound P(X >= t) (not P(X > t); the paper leaves it open).
 */
#ifndef LEAKBOUND_STATS_H
#define LEAKBOUND_STATS_H

#include <stddef.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- margins --------------------------------------------------------------------------- */

/* One-sided DKW-Massart margin eps1 = sqrt(ln(1/alpha) / (2n)). n >= 1, 0 < alpha < 1. */
LB_API double lb_stats_eps_one_sided(size_t n, double alpha);
/* Two-sided margin eps2 = sqrt(ln(2/alpha) / (2n)); eps2(2 alpha) == eps1(alpha). */
LB_API double lb_stats_eps_two_sided(size_t n, double alpha);

/* ---- sorting and counting -------------------------------------------------------------- */

/* Sort x ascending in place (LSD radix on the IEEE bits; -0.0 sorts with 0.0). x: (n).
 * scratch: (n) doubles the caller owns; its contents are clobbered. No NaN allowed. */
LB_API void lb_stats_sort(double *x, size_t n, double *scratch);

/* Number of entries of sorted (n) that are >= t / that are < t (binary search). */
LB_API size_t lb_stats_count_ge(const double *sorted, size_t n, double t);

/* ---- Clopper-Pearson ------------------------------------------------------------------- */

/* One-sided (1-alpha) upper bound on a binomial p from `successes` of n trials: the (1-alpha)
 * quantile of Beta(S+1, n-S) (GSL), 1 when S = n. Writes *out; returns 0, or LB_EINVAL for
 * S > n, n = 0 or alpha outside (0,1), or LB_EUNSUPPORTED if GSL's inversion fails. */
LB_API int lb_stats_cp_upper(size_t successes, size_t n, double alpha, double *out,
                             lb_error_t *err);

/* Two-sided (1-alpha) Clopper-Pearson interval, as statsmodels' proportion_confint(s, n,
 * alpha, method="beta") computes it (and so conbo.binomial_bounds): lower = the alpha/2
 * quantile of Beta(s, n-s+1) (0 when s = 0), upper = the 1-alpha/2 quantile of
 * Beta(s+1, n-s) (1 when s = n). successes may be fractional (a sum of scores), in [0, n].
 * Returns 0, or LB_EINVAL (n = 0, s outside [0, n] or NaN, alpha outside (0,1)) /
 * LB_EUNSUPPORTED (GSL's inversion failed) with a message. */
LB_API int lb_stats_cp_interval(double successes, size_t n, double alpha, double *lower,
                                double *upper, lb_error_t *err);

/* ---- leaked prompts: the share of prompts that leak, and of those that leak unseen -------- */

/* The greedy score under which a leaked prompt counts as a hidden leak. */
#define LB_STATS_HIDDEN_GREEDY 0.5

typedef struct lb_stats_leak {
    int leaked; /* some sampled answer scores >= the leak threshold (n_leaking > 0) */
    int hidden; /* leaked, and the greedy answer scores < LB_STATS_HIDDEN_GREEDY */
} lb_stats_leak_t;

/* The verdict of one prompt from the number of its sampled answers scoring >= the leak
 * threshold (lb_stats_count_ge; lb_stats_prompt_t.n_leaking) and its greedy score. A NaN greedy
 * score (no greedy answer) is never a hidden leak. The one rule `eval` and `demo` report. */
LB_API lb_stats_leak_t lb_stats_leak_verdict(size_t n_leaking, double greedy);

/* k of n prompts (or trials) with one-sided Clopper-Pearson bounds, each at confidence
 * 1 - alpha on its own (together a two-sided 1 - 2 alpha interval): lower = the alpha quantile
 * of Beta(k, n-k+1) (0 for k = 0), upper = the 1 - alpha quantile of Beta(k+1, n-k) (1 for
 * k = n); the same bounds eval reports on P(harmful). */
typedef struct lb_stats_share {
    size_t k, n;
    double share;        /* k / n */
    double lower, upper;
} lb_stats_share_t;

/* Fill *out for k of n. Returns 0, or LB_EINVAL (n = 0, k > n, alpha outside (0, 0.5]) /
 * LB_EUNSUPPORTED (GSL's inversion failed) with a message. */
LB_API int lb_stats_share(size_t k, size_t n, double alpha, lb_stats_share_t *out, lb_error_t *err);

/* ---- DKW ------------------------------------------------------------------------------- */

/* Upper bound on P(X >= t): min(1, 1 - F_n(t-) + eps), F_n(t-) = share of samples < t.
 * With eps = eps1(alpha) it holds for every t at once with probability >= 1 - alpha. */
LB_API double lb_stats_dkw_tail_upper(const double *sorted, size_t n, double eps, double t);

/* The same bound as a step curve for plots: for each distinct sample value xs[j] (ascending),
 * ys[j] = bound at t = xs[j]; for t in (xs[j-1], xs[j]] the bound is ys[j], below xs[0] it is
 * 1 and above the last value it is min(1, eps). xs, ys: (n) caller-owned; returns the number
 * m <= n of points written. */
LB_API size_t lb_stats_dkw_curve(const double *sorted, size_t n, double eps, double *xs,
                                 double *ys);

/* ---- exact Anderson bounds on E[X] ----------------------------------------------------- */

/* Upper: 1 - sum_{i=1..n} (x_(i+1) - x_(i)) max(0, i/n - eps), with x_(n+1) = 1. Holds with
 * probability >= 1 - alpha for eps = eps1(alpha). sorted: (n). */
LB_API double lb_stats_anderson_upper(const double *sorted, size_t n, double eps);
/* Lower: 1 - sum_{i=0..n} (x_(i+1) - x_(i)) min(1, i/n + eps), with x_(0) = 0. */
LB_API double lb_stats_anderson_lower(const double *sorted, size_t n, double eps);

/* Default-mode M_sigma (docs/bounds.md): on the two-sided DKW event with eps2(alpha),
 * Var X <= min(U2 - L1^2, max_{m in [L1,U1]} m(1-m), min_c U(c)), U2 the Anderson upper bound
 * of E[X^2] (on the squared sorted samples), U1/L1 the Anderson bounds of E[X] (L1 floored at
 * 0), U(c) the band's bound on E[(X-c)^2]. Returns the square root, at most 0.5. Valid with
 * mass at 0. sorted: (n). */
LB_API double lb_stats_sigma_upper(const double *sorted, size_t n, double alpha);

/* min over c in [0,1] of U(c) = (1-c)^2 - int_0^1 2(t-c) G_c(t) dt, G_c the band's upper edge
 * min(1, F_n + eps) left of c and lower edge max(0, F_n - eps) right of c: an upper bound on
 * Var X whenever the band holds. Exact (U is convex, quadratic between order statistics).
 * *argmin (may be NULL) receives the minimising c. sorted: (n). */
LB_API double lb_stats_shift_var_upper(const double *sorted, size_t n, double eps, double *argmin);

/* ---- conbo 0.1 parity ------------------------------------------------------------------ */

typedef struct lb_stats_interval {
    double estimate; /* sample mean / population (ddof 0) std, as conbo returns it */
    double lower;
    double upper;
} lb_stats_interval_t;

/* conbo.expectation_bounds(x, alpha, stepsize): grid T = linspace(0,1,stepsize) built as numpy
 * does, cdf[k] = share of samples <= T[k], band eps2(alpha), right/left Riemann sums.
 * stepsize >= 2. sorted: (n). */
LB_API void lb_stats_conbo_expectation(const double *sorted, size_t n, double alpha,
                                       size_t stepsize, lb_stats_interval_t *out);

/* conbo.variance_bounds(x, alpha, stepsize): (population variance, lower, upper) with the
 * quirks listed below for lb_stats_conbo_std; the upper bound is returned unclipped (it can be
 * negative). stepsize >= 2. sorted: (n). */
LB_API void lb_stats_conbo_variance(const double *sorted, size_t n, double alpha, size_t stepsize,
                                    lb_stats_interval_t *out);

/* conbo.std_bounds(x, alpha, stepsize) = sqrt of conbo.variance_bounds. Quirks kept: the mean
 * bounds inside use the same alpha and the default 100-point grid whatever stepsize is, the
 * (cdf +- eps) brackets are not clipped, only the lower variance is floored at 0, and the
 * upper is square-rooted unclipped (NaN if it were negative). Known defect: mass at X = 0 is
 * dropped, so the upper bound fails coverage (e.g. a fair coin). stepsize >= 2. */
LB_API void lb_stats_conbo_std(const double *sorted, size_t n, double alpha, size_t stepsize,
                               lb_stats_interval_t *out);

/* ---- several queries, leak@k ----------------------------------------------------------- */

/* 1 - (1 - m)^k, computed as -expm1(k log1p(-m)). m in [0,1], k >= 1. */
LB_API double lb_stats_queries(double m, long k);
/* Leak@k estimate 1 - C(n-c,k)/C(n,k) as a product (no factorials); 1 when n - c < k. */
LB_API double lb_stats_leak_at_k(size_t n, size_t c, size_t k);

/* ---- everything for one prompt --------------------------------------------------------- */

typedef enum lb_stats_method { LB_STATS_EXACT = 0, LB_STATS_CONBO = 1 } lb_stats_method_t;

typedef struct lb_stats_options {
    double alpha;              /* 0 < alpha <= 0.5 */
    lb_stats_method_t method;
    double ed_lambda;          /* ED = M_mu + ed_lambda * M_sigma */
    const double *thresholds;  /* (n_thresholds) values in [0,1] for M_gen and P_ge */
    size_t n_thresholds;
    long queries_k;            /* >= 1 */
    long leak_at_k;            /* >= 1 */
    double leak_threshold;     /* a sample "leaks" when its score >= this (default 1.0) */
} lb_stats_options_t;

/* Set *o to `bound`'s defaults: alpha 0.01, method exact, ed_lambda 2, queries_k 1, leak_at_k 1,
 * leak_threshold 1.0, no thresholds (thresholds NULL, n_thresholds 0). */
LB_API void lb_stats_options_default(lb_stats_options_t *o);

/* Set one option of *o from its flag name (without "--") and its text, with the one range rule
 * of `bound`, `eval` (lb_eval_opts_set) and Python: "alpha" (a number in (0, 0.5]), "method"
 * (lb_stats_method_parse), "ed-lambda" (a number >= 0), "queries" and "leak-at" (an integer
 * >= 1), "leak-threshold" (a number in [0, 1]); numbers are finite (strtod), integers base 10
 * (strtol), the whole text. value NULL reads as "". Returns 0, or LB_EINVAL with *o unchanged
 * and the message the CLI prints: "--alpha: expected a number in (0, 0.5], got 'V'",
 * "--method: expected exact or conbo, got 'V'", "--ed-lambda: expected a number >= 0, got
 * 'V'", "--queries: expected an integer >= 1, got 'V'" (and --leak-at alike),
 * "--leak-threshold: expected a number in [0, 1], got 'V'", "unknown option 'F'" (other names,
 * "threshold" included: thresholds live in the caller's array, lb_report_threshold_add). */
LB_API int lb_stats_options_set(lb_stats_options_t *o, const char *flag, const char *value,
                                lb_error_t *err);

/* The method named s ("exact" or "conbo") into *out. Returns 0, or LB_EINVAL (*out unchanged)
 * for any other text or NULL. */
LB_API int lb_stats_method_parse(const char *s, lb_stats_method_t *out);

/* The name of method m ("exact", "conbo"; what the bound document's "method" says), or NULL
 * for a value that is no method. */
LB_API const char *lb_stats_method_name(lb_stats_method_t m);

typedef struct lb_stats_prompt {
    size_t n;
    double mean, std, max;     /* sample mean, population std (ddof 0), maximum */
    double M_mu, M_mu_lower, M_sigma, ED;
    int binary;                /* every score is 0 or 1; M_bin valid only then */
    double M_bin;
    double *M_gen;             /* (n_thresholds) caller-owned: DKW bound on P(X >= t) */
    double *P_ge;              /* (n_thresholds) caller-owned: exact binomial bound */
    size_t n_leaking;          /* samples with score >= leak_threshold */
    double queries;            /* 1 - (1 - CP bound on P(X >= leak_threshold))^queries_k */
    double leak_at;            /* leak@leak_at_k estimate */
} lb_stats_prompt_t;

/* Every bound for one prompt. scores: (n) in [0,1], sorted in place (scratch: (n) doubles).
 * out->M_gen and out->P_ge must point at n_thresholds doubles each. Returns 0, or LB_EINVAL
 * (n = 0, alpha outside (0, 0.5], k < 1) / LB_EUNSUPPORTED (GSL failure) with a message. */
LB_API int lb_stats_prompt_bounds(double *scores, size_t n, double *scratch,
                                  const lb_stats_options_t *opt, lb_stats_prompt_t *out,
                                  lb_error_t *err);

/* Wilcoxon signed-rank test of paired samples, one-sided, H1: x tends to be smaller than y
 * (scipy.stats.wilcoxon(x, y, alternative="less"), zero_method "wilcox", no continuity
 * correction). The differences d = x - y that are exactly 0 are dropped. With no zero and no tied
 * |d| and at most 50 pairs the p-value is exact (the null distribution of the positive rank sum);
 * otherwise it is the normal approximation with the tie correction of the variance.
 * x, y: (n). Writes *r_plus (sum of the ranks of the positive differences), *p (the p-value) and
 * *exact (1 when the exact distribution was used). Returns 0, or LB_EINVAL (n = 0, a non-finite
 * value, every difference 0) / LB_ENOMEM with a message. */
LB_API int lb_stats_wilcoxon_less(const double *x, const double *y, size_t n, double *r_plus,
                                  double *p, int *exact, lb_error_t *err);

/* ---- many prompts at once (ragged rows, or a (rows, n) matrix) ------------------------- */

/* lb_stats_prompt_bounds for every prompt of a set, in one call: the one loop "bounds for every
 * prompt" (`leakbound bound` through lb_report_bound_prompts, eval's lb_eval_bounds, and
 * lb_stats_rows_bounds for Python). Row r's result is exactly what lb_stats_prompt_bounds gives
 * for that row alone, whatever threads is.
 * - offset: (rows + 1) non-decreasing; row r is scores[offset[r] .. offset[r+1]) (a row may be
 *   empty, which fails as n = 0 does). NULL: rectangular, row r is scores[r*n .. (r+1)*n).
 * - n: without offsets the row length (>= 1); with offsets the length of a scratch row, at least
 *   the longest row (>= 1).
 * - scores: every value must lie in [0, 1] (NaN is rejected here); each row is sorted in place.
 * - scratch: (threads, n) doubles the caller owns; threads >= 1: rows are shared among at
 *   most that many OpenMP threads. Nothing is allocated.
 * - opt: validated as lb_stats_rows_bounds says.
 * - out: (rows); M_gen, P_ge: (rows, n_thresholds) caller-owned; out[r].M_gen and out[r].P_ge
 *   are set to point at row r of them.
 * - bad_row (may be NULL): on a row's failure the lowest failing row (the same at any thread
 *   count), else rows.
 * Returns 0, or LB_EINVAL / LB_EUNSUPPORTED with a message that does not name the row, so that
 * each caller prefixes its own name for it ("sample 7: score nan is outside [0, 1]", or
 * lb_stats_prompt_bounds' message); a bad argument (option, shape, offsets) leaves *bad_row at
 * rows. rows = 0 is allowed (nothing to do). Reentrant. */
LB_API int lb_stats_ragged_bounds(double *scores, const size_t *offset, size_t rows, size_t n,
                                  double *scratch, int threads, const lb_stats_options_t *opt,
                                  lb_stats_prompt_t *out, double *M_gen, double *P_ge,
                                  size_t *bad_row, lb_error_t *err);


/* lb_stats_ragged_bounds on a row-major (rows, n) matrix of scores (offset NULL), with its
 * errors naming the row: the batched form for callers that hold a whole matrix
 * (python/leakbound's bounds()). Row r's
 * result is exactly what lb_stats_prompt_bounds gives for that row alone, so equal to
 * `leakbound bound` on the same scores.
 * - scores: (rows, n), n >= 1; every value must lie in [0, 1] (NaN is rejected here). Each row
 *   is sorted in place (the caller passes a copy it can lose).
 * - scratch: (threads, n) doubles the caller owns; threads >= 1: rows are shared among at
 *   most that many OpenMP threads. Nothing is allocated.
 * - opt: validated as the CLI validates its flags (alpha in (0, 0.5], method, ed_lambda
 *   finite >= 0, queries_k and leak_at_k >= 1, leak_threshold and each threshold in [0, 1]).
 * - out: (rows); M_gen, P_ge: (rows, n_thresholds) caller-owned; out[r].M_gen and out[r].P_ge
 *   are set to point at row r of them.
 * Returns 0, or LB_EINVAL with a message naming the first bad row and sample ("row 3, sample
 * 7: score nan is outside [0, 1]") or the bad option, or the first failing row's error
 * prefixed "row R: ". rows = 0 is allowed (nothing to do). Reentrant. */
LB_API int lb_stats_rows_bounds(double *scores, size_t rows, size_t n, double *scratch, int threads,
                                const lb_stats_options_t *opt, lb_stats_prompt_t *out,
                                double *M_gen, double *P_ge, lb_error_t *err);

/* The largest conbo grid lb_stats_conbo_rows accepts: 2^20 points (spacing 1e-6, far finer than
 * any score needs; conbo's default is 100). The grid walk costs O(stepsize + n) per row, so an
 * unbounded stepsize (2^62) would run for years in one uninterruptible call. */
#define LB_STATS_CONBO_MAX_STEPSIZE ((size_t)1 << 20)

typedef enum lb_stats_conbo_what {
    LB_STATS_CONBO_EXPECTATION = 0, /* conbo.expectation_bounds: (mean, lower, upper) */
    LB_STATS_CONBO_VARIANCE = 1     /* conbo.variance_bounds: (variance, lower, upper) */
} lb_stats_conbo_what_t;

/* lb_stats_conbo_expectation / lb_stats_conbo_variance for each row of a row-major (rows, n)
 * matrix (conbo's functions on a 2-D array), in one call. scores: (rows, n), n >= 1, values in
 * [0, 1] (conbo asserts that too; NaN is rejected), each row sorted in place. alpha in (0, 1],
 * stepsize in [2, LB_STATS_CONBO_MAX_STEPSIZE]. scratch: (threads, n) doubles; threads >= 1. out: (rows). Returns 0, or
 * LB_EINVAL naming the first bad row and sample, or the bad argument. Reentrant. */
LB_API int lb_stats_conbo_rows(double *scores, size_t rows, size_t n, double alpha, size_t stepsize,
                               lb_stats_conbo_what_t what, double *scratch, int threads,
                               lb_stats_interval_t *out, lb_error_t *err);

/* ---- two-sample tests (unlearning metrics, docs/tofu.md) ------------------------------ */

/* Two-sided two-sample Kolmogorov-Smirnov test with scipy.stats.ks_2samp's semantics (method
 * 'auto', scipy 1.10): D = max |F1 - F2| over the pooled data; when max(n1, n2) <= 10000 the
 * exact p-value (D rounded to a multiple of 1/lcm(n1, n2); Hodges' path counts for n1 == n2,
 * the column-by-column lattice recursion otherwise), else (or when the exact sum fails) the
 * asymptotic Kolmogorov distribution at sqrt(round(n1 n2 / (n1 + n2))) D (scipy uses the
 * finite-n kstwo there; the two agree to about 1e-3 at such sizes). *exact (may be NULL) says
 * which. x (n1), y (n2), neither empty, no NaN. Returns 0, LB_EINVAL or LB_ENOMEM. */
LB_API int lb_stats_ks_2samp(const double *x, size_t n1, const double *y, size_t n2, double *d,
                             double *p, int *exact, lb_error_t *err);

/* Area under the ROC curve of scores (n) for labels (n, each 0 or 1; 1 = positive): the
 * Mann-Whitney statistic, tied scores sharing their mean rank (sklearn's roc_auc_score).
 * Needs both classes and no NaN. Returns 0, LB_EINVAL or LB_ENOMEM. */
LB_API int lb_stats_auc(const double *scores, const int *labels, size_t n, double *auc,
                        lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
