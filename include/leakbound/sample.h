/*
 * leakbound/sample.h — turning next-token logits into a token, as Hugging Face `generate` does.
 *
 * Contract
 * - Warpers follow transformers' LogitsProcessors in HF's order with do_sample: temperature
 *   (logits / T in fp32, skipped at T = 1) → top-k (keep every token whose logit is >= the k-th
 *   largest: ties kept; k = 0 disables; k is clamped to V) → top-p (sort ascending, softmax,
 *   cumulative sum; drop tokens whose cumulative probability is <= 1 − p; the most likely token
 *   always stays; p >= 1 disables). Removed tokens get −inf, as HF's filter_value.
 * - Where HF's result depends on the order torch.sort gives tied logits (top-p boundary), we use
 *   a stable ascending order (ties by increasing token id), so among equal logits at the
 *   boundary the lower ids are dropped first. top-p's softmax and cumulative sum run in double.
 * - Multinomial: probabilities softmax(warped logits) (in double); token = the first id whose
 *   cumulative probability exceeds u × total for a uniform u in [0, 1). Greedy = argmax, the
 *   first id among equal maxima (torch.argmax).
 * - RNG: xoshiro256** seeded through splitmix64 (Blackman & Vigna). Deterministic for a seed; it
 *   does not reproduce torch's generator.
 * - No function here allocates: scratch memory is sized once by the caller
 *   (lb_sample_scratch_bytes) and reused for every token.
 */
#ifndef LEAKBOUND_SAMPLE_H
#define LEAKBOUND_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_warp_params {
    double temperature; /* > 0; 1 leaves logits unchanged */
    int top_k;          /* >= 0; 0 disables */
    double top_p;       /* (0, 1]; 1 disables */
} lb_warp_params_t;

/* Hugging Face's GenerationConfig defaults: temperature 1, top_k 50, top_p 1. */
lb_warp_params_t lb_sample_warp_defaults(void);

/* Check params; LB_EINVAL with a message naming the bad field. */
int lb_sample_warp_check(const lb_warp_params_t *p, lb_error_t *err);

/* Bytes of scratch lb_sample_warp needs for a vocabulary of V tokens. */
size_t lb_sample_scratch_bytes(int V);

/* Apply temperature → top-k → top-p to logits (V,) in place; removed entries become −inf.
 * scratch: at least lb_sample_scratch_bytes(V) bytes, 8-byte aligned. Returns the number of
 * tokens kept (>= 1 when any logit is finite). p must pass lb_sample_warp_check. */
int lb_sample_warp(float *logits, int V, const lb_warp_params_t *p, void *scratch);

/* Multinomial draw from softmax(logits) (V,), −inf entries having probability 0; u in [0, 1).
 * Returns the id, or -1 when no logit is finite. */
int lb_sample_pick(const float *logits, int V, double u);

/* First index of the largest logit (V,); -1 when V == 0. NaN entries are never chosen. */
int lb_sample_argmax(const float *logits, int V);

typedef struct lb_rng {
    uint64_t s[4];
} lb_rng_t;

/* Seed the generator (any seed, 0 included). */
void lb_sample_rng_seed(lb_rng_t *rng, uint64_t seed);
/* Next 64 random bits, and a uniform double in [0, 1) from the top 53 of them. */
uint64_t lb_sample_rng_next(lb_rng_t *rng);
double lb_sample_rng_uniform(lb_rng_t *rng);

#ifdef __cplusplus
}
#endif
#endif
