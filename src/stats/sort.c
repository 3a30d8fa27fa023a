/* Sorting one prompt's scores, and counting against a threshold on the sorted array.
 *
 * LSD radix sort on the IEEE-754 bits: for scores in [0,1] most of the 8 byte-digits are
 * constant (sign, exponent high bits), so their passes are skipped and a 1,024-sample prompt
 * sorts in a few linear passes, which matters at 10,000+ prompts. */
#include "leakbound/stats.h"

#include <stdint.h>
#include <string.h>

/* Order-preserving map from a double to an unsigned key: flip all bits of negatives (so -0.0
 * lands just below +0.0), set the sign bit of non-negatives. */
static inline uint64_t sort_key(double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : (u | UINT64_C(0x8000000000000000));
}

static inline double key_value(uint64_t k) {
    uint64_t u = (k >> 63) ? (k & ~UINT64_C(0x8000000000000000)) : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Keys live in the doubles' own storage during the sort; memcpy keeps that free of aliasing
 * questions and compiles to plain moves. */
static inline uint64_t load_key(const double *p) {
    uint64_t k;
    memcpy(&k, p, sizeof k);
    return k;
}

static inline void store_key(double *p, uint64_t k) { memcpy(p, &k, sizeof k); }

static void insertion_sort(double *x, size_t n) {
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
}

void lb_stats_sort(double *x, size_t n, double *scratch) {
    if (n <= 64) {
        insertion_sort(x, n);
        return;
    }
    /* Scores of exactly 0 are common (a ROUGE of 0, a sample that did not leak): move them to
     * the front first and radix-sort only the rest. */
    size_t z = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] == 0.0) {
            double t = x[z];
            x[z++] = x[i];
            x[i] = t;
        }
    }
    if (z > 0) {
        x += z;
        n -= z;
        if (n <= 64) {
            insertion_sort(x, n);
            return;
        }
    }
    size_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = sort_key(x[i]);
        store_key(&x[i], k);
        for (int d = 0; d < 8; d++) hist[d][(k >> (8 * d)) & 0xFF]++;
    }
    double *src = x, *dst = scratch;
    for (int d = 0; d < 8; d++) {
        size_t *h = hist[d];
        /* A digit that is the same for every key leaves the order as it is. */
        if (h[(load_key(&src[0]) >> (8 * d)) & 0xFF] == n) continue;
        size_t sum = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = h[b];
            h[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = load_key(&src[i]);
            store_key(&dst[h[(k >> (8 * d)) & 0xFF]++], k);
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    for (size_t i = 0; i < n; i++) x[i] = key_value(load_key(&src[i]));
}

size_t lb_stats_count_ge(const double *sorted, size_t n, double t) {
    /* First index with sorted[i] >= t. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n - lo;
}
