/* Logits warpers (temperature, top-k, top-p), multinomial/greedy choice and the seeded RNG:
 * Hugging Face generate's sampling rules, reused by `generate` and the sampler. */
#include "leakbound/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

lb_warp_params_t lb_sample_warp_defaults(void) {
    lb_warp_params_t p = {.temperature = 1.0, .top_k = 50, .top_p = 1.0};
    return p;
}

int lb_sample_warp_check(const lb_warp_params_t *p, lb_error_t *err) {
    if (!(p->temperature > 0) || !isfinite(p->temperature))
        return lb_error_set(err, LB_EINVAL, "temperature must be a finite number > 0 (got %g)",
                            p->temperature);
    if (p->top_k < 0) return lb_error_set(err, LB_EINVAL, "top_k must be >= 0 (got %d)", p->top_k);
    if (!(p->top_p > 0 && p->top_p <= 1))
        return lb_error_set(err, LB_EINVAL, "top_p must be in (0, 1] (got %g)", p->top_p);
    return LB_OK;
}

/* Layout: probs (V doubles) | idx (V int32) | vals (V floats). */
size_t lb_sample_scratch_bytes(int V) {
    size_t n = V > 0 ? (size_t)V : 1;
    return n * (sizeof(double) + sizeof(int32_t) + sizeof(float));
}

/* Value of rank k (0-based, descending) among v (n,); v is reordered. Quickselect with a
 * three-way partition, so long runs of equal values (e.g. -inf) cost one pass. */
static float kth_largest(float *v, size_t n, size_t k) {
    size_t lo = 0, hi = n; /* the answer is in v[lo, hi) */
    for (;;) {
        size_t mid = lo + (hi - lo) / 2;
        float a = v[lo], b = v[mid], c = v[hi - 1];
        float pivot = (a > b) == (b > c) ? b : ((b > a) == (a > c) ? a : c);
        /* [lo, gt): > pivot, [gt, i): == pivot, [lt, hi): < pivot */
        size_t gt = lo, i = lo, lt = hi;
        while (i < lt) {
            float x = v[i];
            if (x > pivot) {
                v[i++] = v[gt];
                v[gt++] = x;
            } else if (x < pivot) {
                v[i] = v[--lt];
                v[lt] = x;
            } else {
                i++;
            }
        }
        if (k < gt) hi = gt;
        else if (k < lt) return pivot;
        else lo = lt;
    }
}

static int cmp_asc(const void *a, const void *b, void *arg) {
    const float *l = arg;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (l[x] != l[y]) return l[x] < l[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Top-p over the n finite logits listed (ascending token order) in idx: drops the least
 * likely while the mass dropped stays <= 1 - top_p, the most likely always kept. Returns the
 * number kept, listed ascending in idx again. probs: (n,) scratch. */
static int top_p(float *logits, int V, int32_t *idx, int n, double *probs, double top_p_) {
    if (!(top_p_ < 1.0) || n <= 1) return n;
    qsort_r(idx, (size_t)n, sizeof *idx, cmp_asc, logits);
    double mx = logits[idx[n - 1]], sum = 0;
    for (int j = 0; j < n; j++) sum += probs[j] = exp((double)logits[idx[j]] - mx);
    double cum = 0, cut = 1.0 - top_p_;
    int drop = 0;
    for (; drop < n - 1; drop++) { /* the last (most likely) is always kept */
        cum += probs[drop] / sum;
        if (cum > cut) break;
    }
    for (int j = 0; j < drop; j++) logits[idx[j]] = -INFINITY;
    /* idx is now in logit order: list the kept ids ascending again (lb_sample_warp_kept) */
    int m = 0;
    for (int i = 0; i < V && m < n - drop; i++)
        if (logits[i] != -INFINITY) idx[m++] = i;
    return m;
}

/* The top_k-th largest of v (n,), 1 <= k < cap <= n, in one pass over v: candidates (values
 * not below the bar, the k-th largest of those kept so far) collect in buf (cap floats); when
 * it fills, a quickselect finds the new bar and only the k largest stay (those above the bar,
 * then copies of the bar). The bar never exceeds the answer and the k largest values seen are
 * always kept, so the answer is the k-th largest of what buf holds at the end: the value a
 * quickselect over all of v gives. */
static float kth_largest_pass(const float *v, size_t n, size_t k, float *buf, size_t cap) {
    size_t m = 0;
    float bar = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float x = v[i];
        if (x < bar) continue;
        if (m == cap) {
            bar = kth_largest(buf, m, k - 1);
            size_t above = 0;
            for (size_t j = 0; j < cap; j++)
                if (buf[j] > bar) buf[above++] = buf[j];
            for (m = above; m < k; m++) buf[m] = bar; /* fewer than k are above the bar */
            if (x < bar) continue;
        }
        buf[m++] = x;
    }
    return kth_largest(buf, m, k - 1);
}

int lb_sample_warp(float *logits, int V, const lb_warp_params_t *p, void *scratch) {
    double *probs = scratch;                       /* (V,) */
    int32_t *idx = (int32_t *)(probs + V);         /* (V,) */
    float *vals = (float *)(idx + V);              /* (V,) */
    const float ninf = -INFINITY;
    const float t = (float)p->temperature; /* torch divides fp32 logits by the scalar in fp32 */
    if (p->temperature != 1.0) {
        for (int i = 0; i < V; i++) logits[i] = isnan(logits[i]) ? ninf : logits[i] / t;
    } else {
        for (int i = 0; i < V; i++)
            if (isnan(logits[i])) logits[i] = ninf;
    }
    if (p->top_k > 0 && p->top_k < V) {
        size_t k = (size_t)p->top_k, cap = 4 * k + 256;
        float thr = cap < (size_t)V ? kth_largest_pass(logits, (size_t)V, k, vals, cap)
                                    : (memcpy(vals, logits, (size_t)V * sizeof *vals),
                                       kth_largest(vals, (size_t)V, k - 1));
        int n = 0;
        for (int i = 0; i < V; i++) {
            if (logits[i] < thr) logits[i] = ninf;
            else if (logits[i] != ninf) idx[n++] = i;
        }
        return top_p(logits, V, idx, n, probs, p->top_p);
    }
    int n = 0;
    for (int i = 0; i < V; i++)
        if (logits[i] != ninf) idx[n++] = i;
    return top_p(logits, V, idx, n, probs, p->top_p);
}

int32_t *lb_sample_warp_kept(void *scratch, int V) { return (int32_t *)((double *)scratch + V); }

int lb_sample_pick_list(const float *logits, const int32_t *ids, int n, double u) {
    if (n <= 0) return -1;
    float mx = -INFINITY;
    for (int j = 0; j < n; j++)
        if (logits[ids[j]] > mx) mx = logits[ids[j]];
    double sum = 0;
    for (int j = 0; j < n; j++) sum += exp((double)logits[ids[j]] - mx);
    double target = u * sum, cum = 0;
    for (int j = 0; j < n; j++) {
        cum += exp((double)logits[ids[j]] - mx);
        if (cum > target) return ids[j];
    }
    return ids[n - 1]; /* u * sum rounded up to the total */
}

int lb_sample_pick(const float *logits, int V, double u) {
    float mx = -INFINITY;
    int last = -1;
    for (int i = 0; i < V; i++)
        if (logits[i] > mx) mx = logits[i];
    if (mx == -INFINITY) return -1;
    double sum = 0;
    for (int i = 0; i < V; i++)
        if (logits[i] > -INFINITY) sum += exp((double)logits[i] - mx);
    double target = u * sum, cum = 0;
    for (int i = 0; i < V; i++) {
        if (!(logits[i] > -INFINITY)) continue;
        cum += exp((double)logits[i] - mx);
        last = i;
        if (cum > target) return i;
    }
    return last; /* u * sum rounded up to the total */
}

int lb_sample_argmax(const float *logits, int V) {
    int best = -1;
    for (int i = 0; i < V; i++)
        if (!isnan(logits[i]) && (best < 0 || logits[i] > logits[best])) best = i;
    return best;
}
