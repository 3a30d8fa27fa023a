/* Private to src/sample: the per-token choice the batched sampler applies to each row. */
#ifndef LEAKBOUND_SAMPLER_INTERNAL_H
#define LEAKBOUND_SAMPLER_INTERNAL_H

#include "leakbound/sample.h"

/* The token for one sequence at one step. logits (V,) are left untouched; work (V,) and
 * scratch (lb_sample_scratch_bytes(V)) are the caller's, reused. greedy = argmax. *temperature
 * gets the temperature used (0 for argmax). Returns the id, or -1 when no logit is finite. */
int lbi_sampler_choose(const lb_sampler_opts_t *o, int greedy, const float *logits, int V,
                      float *work, void *scratch, uint64_t hash, uint32_t sample, uint32_t step,
                      float *temperature);

#endif
