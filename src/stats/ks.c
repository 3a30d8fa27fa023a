/* Two-sample Kolmogorov-Smirnov test with scipy.stats.ks_2samp's semantics (two-sided,
 * method 'auto'): the statistic from the two empirical CDFs, the exact p-value of the lattice
 * path counts when max(n1, n2) <= 10000, else the asymptotic Kolmogorov distribution. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "leakbound/stats.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static size_t gcd_size(size_t a, size_t b) {
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Number of elements of sorted x (n) that are <= v (searchsorted side='right'). */
static size_t count_le(const double *x, size_t n, double v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* n1 == n2: the share of paths leaving the band |x - y| < h (Hodges). */
static double prob_outside_square(size_t n, size_t h) {
    double P = 0.0;
    long k = (long)(n / h);
    while (k >= 0) {
        double p1 = 1.0;
        for (size_t j = 0; j < h; j++)
            p1 = ((double)n - (double)k * (double)h - (double)j) * p1 /
                 ((double)n + (double)k * (double)h + (double)j + 1.0);
        P = p1 * (1.0 - P);
        k--;
    }
    return 2.0 * P;
}

/* n1 != n2: one column of the lattice at a time, probabilities of staying inside the band
 * |n x / g - m y / g| < h (entries outside it hold 1: the path has left). A (lenA) scratch. */
static double outer_prob_inside(size_t m, size_t n, size_t g, size_t h, double *A) {
    if (m < n) {
        size_t t = m;
        m = n;
        n = t;
    }
    double mg = (double)(m / g), ng = (double)(n / g), hd = (double)h;
    long minj = 0, maxj = (long)ceil(hd / mg);
    if (maxj > (long)n + 1) maxj = (long)n + 1;
    long curlen = maxj - minj;
    long lenA = 2 * maxj + 2 < (long)n + 1 ? 2 * maxj + 2 : (long)n + 1;
    for (long j = 0; j < lenA; j++) A[j] = 1.0;
    for (long j = minj; j < maxj; j++) A[j] = 0.0;
    for (size_t i = 1; i <= m; i++) {
        long lastminj = minj, lastlen = curlen;
        minj = (long)floor((ng * (double)i - hd) / mg) + 1;
        if (minj < 0) minj = 0;
        if (minj > (long)n) minj = (long)n;
        maxj = (long)ceil((ng * (double)i + hd) / mg);
        if (maxj > (long)n + 1) maxj = (long)n + 1;
        if (maxj <= minj) return 1.0;
        double val = minj == 0 ? 0.0 : 1.0;
        for (long jj = 0; jj < maxj - minj; jj++) {
            long j = jj + minj;
            val = (A[jj + minj - lastminj] * (double)i + val * (double)j) / (double)(i + (size_t)j);
            A[jj] = val;
        }
        curlen = maxj - minj;
        if (lastlen > curlen)
            for (long j = maxj - minj; j < maxj - minj + (lastlen - curlen); j++) A[j] = 1.0;
    }
    return A[maxj - minj - 1];
}

/* Kolmogorov's limiting distribution: P(K > z) = 2 sum_k (-1)^(k-1) exp(-2 k^2 z^2). */
static double kolmogorov_sf(double z) {
    if (z <= 0.0) return 1.0;
    if (z < 0.2) return 1.0;
    double s = 0.0;
    for (int k = 1; k <= 100; k++) {
        double t = exp(-2.0 * (double)k * (double)k * z * z);
        s += (k % 2 ? 1.0 : -1.0) * t;
        if (t < 1e-17) break;
    }
    s *= 2.0;
    return s < 0.0 ? 0.0 : s > 1.0 ? 1.0 : s;
}

int lb_stats_ks_2samp(const double *x, size_t n1, const double *y, size_t n2, double *d_out,
                      double *p_out, int *exact, lb_error_t *err) {
    if (n1 == 0 || n2 == 0)
        return lb_error_set(err, LB_EINVAL, "KS test: a sample is empty (%zu and %zu values)", n1, n2);
    for (size_t i = 0; i < n1; i++)
        if (isnan(x[i])) return lb_error_set(err, LB_EINVAL, "KS test: value %zu of the first sample is NaN", i);
    for (size_t i = 0; i < n2; i++)
        if (isnan(y[i])) return lb_error_set(err, LB_EINVAL, "KS test: value %zu of the second sample is NaN", i);
    double *a = malloc((n1 + n2) * sizeof *a);
    if (!a) return lb_error_set(err, LB_ENOMEM, "out of memory");
    double *b = a + n1;
    for (size_t i = 0; i < n1; i++) a[i] = x[i];
    for (size_t i = 0; i < n2; i++) b[i] = y[i];
    qsort(a, n1, sizeof *a, cmp_double);
    qsort(b, n2, sizeof *b, cmp_double);
    /* The statistic at every data point, as scipy's searchsorted over the pooled data. */
    double maxS = -INFINITY, minS = INFINITY;
    for (size_t k = 0; k < n1 + n2; k++) {
        double v = k < n1 ? a[k] : b[k - n1];
        double diff = (double)count_le(a, n1, v) / (double)n1 - (double)count_le(b, n2, v) / (double)n2;
        if (diff > maxS) maxS = diff;
        if (diff < minS) minS = diff;
    }
    double mins = -minS;
    if (mins < 0.0) mins = 0.0;
    if (mins > 1.0) mins = 1.0;
    double d = mins > maxS ? mins : maxS, p = NAN;
    int is_exact = 0;
    size_t g = gcd_size(n1, n2);
    if ((n1 > n2 ? n1 : n2) <= 10000) {
        double lcm = (double)(n1 / g) * (double)n2;
        double hr = nearbyint(d * lcm);
        size_t h = (size_t)hr;
        double dq = hr / lcm;
        if (h == 0) {
            p = 1.0, is_exact = 1, d = dq;
        } else {
            size_t big = n1 > n2 ? n1 : n2;
            double *A = n1 == n2 ? NULL : malloc((big + 2) * sizeof *A);
            if (n1 != n2 && !A) {
                free(a);
                return lb_error_set(err, LB_ENOMEM, "out of memory");
            }
            double q = n1 == n2 ? prob_outside_square(n1, h) : outer_prob_inside(n1, n2, g, h, A);
            free(A);
            if (isfinite(q) && q >= 0.0 && q <= 1.0) p = q, is_exact = 1, d = dq;
        }
    }
    if (!is_exact) {
        double m = (double)(n1 > n2 ? n1 : n2), n = (double)(n1 > n2 ? n2 : n1);
        double en = nearbyint(m * n / (m + n));
        p = kolmogorov_sf(sqrt(en) * d);
    }
    free(a);
    if (p < 0.0) p = 0.0;
    if (p > 1.0) p = 1.0;
    if (d_out) *d_out = d;
    if (p_out) *p_out = p;
    if (exact) *exact = is_exact;
    return LB_OK;
}

typedef struct {
    double v;
    int label;
} scored_t;

static int cmp_scored(const void *a, const void *b) {
    return cmp_double(&((const scored_t *)a)->v, &((const scored_t *)b)->v);
}

int lb_stats_auc(const double *scores, const int *labels, size_t n, double *auc,
                 lb_error_t *err) {
    size_t n1 = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(scores[i])) return lb_error_set(err, LB_EINVAL, "AUC: score %zu is NaN", i);
        if (labels[i] != 0 && labels[i] != 1)
            return lb_error_set(err, LB_EINVAL, "AUC: label %zu is %d (0 or 1 allowed)", i, labels[i]);
        n1 += labels[i] == 1;
    }
    size_t n0 = n - n1;
    if (n1 == 0 || n0 == 0)
        return lb_error_set(err, LB_EINVAL, "AUC: needs both classes (%zu labelled 0, %zu labelled 1)",
                            n0, n1);
    scored_t *s = malloc(n * sizeof *s);
    if (!s) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) s[i] = (scored_t){scores[i], labels[i]};
    qsort(s, n, sizeof *s, cmp_scored);
    /* Mann-Whitney: the sum of the positives' ranks, tied values sharing their mean rank. */
    double rank_sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].v == s[i].v) j++;
        double mid = ((double)i + 1.0 + (double)j) / 2.0;
        for (size_t k = i; k < j; k++)
            if (s[k].label == 1) rank_sum += mid;
        i = j;
    }
    free(s);
    *auc = (rank_sum - (double)n1 * ((double)n1 + 1.0) / 2.0) / ((double)n1 * (double)n0);
    return LB_OK;
}
