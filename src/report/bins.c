/* Histogram binning as numpy.histogram does it, and scipy's Gaussian KDE, so that the plots
 * show the same numbers a Python user would compute from the same scores. */
#include <math.h>

#include "report_internal.h"

size_t hist_counts(const double *v, size_t n, double lo, double hi, size_t k, double *edges,
                   double *counts) {
    /* numpy.linspace(lo, hi, k + 1): i * step + lo, the last edge exactly hi. */
    double step = (hi - lo) / (double)k;
    for (size_t i = 0; i <= k; i++) edges[i] = (double)i * step + lo;
    edges[k] = hi;
    for (size_t i = 0; i < k; i++) counts[i] = 0;
    size_t counted = 0;
    double norm = (double)k / (hi - lo);
    for (size_t j = 0; j < n; j++) {
        double x = v[j];
        if (!(x >= lo && x <= hi)) continue;
        /* numpy's estimate then its corrections against the edges: bin i holds
         * edges[i] <= x < edges[i+1], the last bin also x == hi. */
        double f = (x - lo) * norm;
        size_t i = f >= (double)k ? k - 1 : (size_t)f;
        if (i == k) i--;
        while (i > 0 && x < edges[i]) i--;
        while (i + 1 < k && x >= edges[i + 1]) i++;
        counts[i] += 1;
        counted++;
    }
    return counted;
}

int kde_eval(const double *v, size_t n, const double *xs, size_t m, double *ys) {
    if (n < 2) return -1;
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += v[i];
    mean /= (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    double var = ss / (double)(n - 1);
    if (!(var > 0)) return -1;
    /* Scott's factor n^(-1/5) for one dimension; the kernel's variance is var * factor^2. */
    double h = sqrt(var) * pow((double)n, -0.2);
    double c = 1.0 / ((double)n * h * sqrt(2.0 * M_PI));
    for (size_t j = 0; j < m; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            double z = (xs[j] - v[i]) / h;
            s += exp(-0.5 * z * z);
        }
        ys[j] = s * c;
    }
    return 0;
}
