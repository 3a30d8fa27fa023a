/* min-p, as transformers' MinPLogitsWarper (run after top-p in generate's processor list). */
#include "leakbound/sample.h"

#include <math.h>

int lb_sample_min_p(float *logits, int V, double min_p) {
    float mx = -INFINITY;
    for (int i = 0; i < V; i++)
        if (logits[i] > mx) mx = logits[i];
    if (mx == -INFINITY) return 0;
    int kept = 0;
    if (!(min_p > 0)) {
        for (int i = 0; i < V; i++) kept += logits[i] > -INFINITY;
        return kept;
    }
    /* probs[i] < min_p * max prob  <=>  exp(l_i - mx) < min_p (the softmax's sum cancels);
     * the most likely token has exp(0) = 1 >= min_p, so it always stays. */
    for (int i = 0; i < V; i++) {
        if (!(logits[i] > -INFINITY)) continue;
        if (exp((double)logits[i] - mx) < min_p)
            logits[i] = -INFINITY;
        else
            kept++;
    }
    return kept;
}

int lb_sample_min_p_list(float *logits, int32_t *ids, int n, double min_p) {
    if (n <= 0 || !(min_p > 0)) return n;
    float mx = -INFINITY;
    for (int j = 0; j < n; j++)
        if (logits[ids[j]] > mx) mx = logits[ids[j]];
    int kept = 0;
    for (int j = 0; j < n; j++) { /* the same test, in the same order, as lb_sample_min_p */
        if (exp((double)logits[ids[j]] - mx) < min_p)
            logits[ids[j]] = -INFINITY;
        else
            ids[kept++] = ids[j];
    }
    return kept;
}
