/* One token from one row of logits, as the sampler chooses it: optional adaptive temperature,
 * then temperature → top-k → top-p → min-p → multinomial on a Philox draw (or argmax). */
#include "sampler_internal.h"

#include <math.h>
#include <string.h>

const char *lb_sample_finish_name(lb_finish_t f) {
    switch (f) {
    case LB_FINISH_EOS: return "eos";
    case LB_FINISH_LENGTH: return "length";
    case LB_FINISH_STOP: return "stop";
    }
    return "?";
}

/* Confidence of softmax(logits) (V,), computed in double on the unwarped logits. */
static double confidence(const float *logits, int V, lb_confidence_t kind) {
    float mx = -INFINITY;
    for (int i = 0; i < V; i++)
        if (logits[i] > mx) mx = logits[i];
    if (mx == -INFINITY) return 0;
    double z = 0, s = 0; /* z = sum e^(l-mx), s = sum e^(l-mx) (l-mx) */
    for (int i = 0; i < V; i++) {
        if (!(logits[i] > -INFINITY)) continue;
        double d = (double)logits[i] - mx, e = exp(d);
        z += e;
        s += e * d;
    }
    if (kind == LB_CONFIDENCE_MAXPROB) return 1.0 / z;
    /* H = -sum p ln p = ln z - s / z */
    double H = log(z) - s / z;
    return V > 1 ? 1.0 - H / log((double)V) : 1.0;
}

int lbi_sampler_choose(const lb_sampler_opts_t *o, int greedy, const float *logits, int V,
                      float *work, void *scratch, uint64_t hash, uint32_t sample, uint32_t step,
                      float *temperature) {
    if (greedy) {
        *temperature = 0;
        return lb_sample_argmax(logits, V);
    }
    lb_warp_params_t w = o->warp;
    if (o->adaptive && confidence(logits, V, o->confidence) >= o->confidence_threshold) {
        if (o->low_temperature == 0) {
            *temperature = 0;
            return lb_sample_argmax(logits, V);
        }
        w.temperature = o->low_temperature;
    }
    *temperature = (float)w.temperature;
    memcpy(work, logits, (size_t)V * sizeof *work);
    int n = lb_sample_warp(work, V, &w, scratch);
    int32_t *kept = lb_sample_warp_kept(scratch, V); /* the finite logits' ids, ascending */
    if (o->min_p > 0) n = lb_sample_min_p_list(work, kept, n, o->min_p);
    return lb_sample_pick_list(work, kept, n, lb_sample_philox_uniform(o->seed, hash, sample, step));
}
