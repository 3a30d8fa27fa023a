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
 * - Random numbers: every draw of the sampler (and so of `sample`, `eval` and `generate`) is a
 *   Philox4x32-10 block keyed by (seed, prompt key, sample, step) (below). It does not
 *   reproduce torch's generator. There is no other generator in this module.
 * - No warper/pick function here allocates: scratch memory is sized once by the caller
 *   (lb_sample_scratch_bytes) and reused for every token. lb_sampler_run allocates everything
 *   it needs before its first token.
 * - The many-sample sampler (lb_sampler_run, below) draws from Philox4x32-10 keyed by (seed,
 *   prompt key, sample, step): its samples do not depend on the batch size,
 *   thread count or resume history. That needs a sequence's logits to be bit-identical
 *   whatever batch it is decoded in: the sampler runs the model in batch-invariant mode
 *   (model.h, lb_model_runner_set_batch_invariant), so they are, bit for bit.
 * - Adaptive temperature (docs/evaluation.md) is a RECONSTRUCTION of the paper's rule, whose exact form
 *   is not in the reference code; outputs that use it say "adaptive temperature (reconstructed
 *   rule)".
 */
#ifndef LEAKBOUND_SAMPLE_H
#define LEAKBOUND_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"
#include "leakbound/model.h"
#include "leakbound/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_warp_params {
    double temperature; /* > 0; 1 leaves logits unchanged */
    int top_k;          /* >= 0; 0 disables */
    double top_p;       /* (0, 1]; 1 disables */
} lb_warp_params_t;

/* Hugging Face's GenerationConfig defaults: temperature 1, top_k 50, top_p 1. */
LB_API lb_warp_params_t lb_sample_warp_defaults(void);

/* Check params; LB_EINVAL with a message naming the bad field. */
LB_API int lb_sample_warp_check(const lb_warp_params_t *p, lb_error_t *err);

/* ---- generation settings of a model folder ------------------------------------------------ */

#define LB_GENCONF_MAX_EOS 16

typedef struct lb_genconf {
    int32_t eos[LB_GENCONF_MAX_EOS]; /* (n_eos,) */
    int n_eos;
    lb_warp_params_t warp;           /* HF defaults where the files say nothing */
    long max_new_tokens;             /* -1 when unset */
    long max_length;                 /* HF default 20 when unset */
    int has_generation_config;       /* generation_config.json was present */
} lb_genconf_t;

/* Read dir/config.json (eos_token_id) and, if present, dir/generation_config.json (eos_token_id,
 * temperature, top_k, top_p, max_new_tokens, max_length; it wins over config.json), as
 * transformers' GenerationConfig.from_model_config / from_pretrained read them. eos_token_id
 * may be an int, a list of ints or null. Errors: LB_EIO (no config.json), LB_EFORMAT (malformed
 * JSON or a field of the wrong type: message names the file and the field). The one reader of
 * these files: eval's load, generate and inspect, and tofu (its EOS ids when the caller gives
 * none) call it. */
LB_API int lb_sample_genconf_read(const char *dir, lb_genconf_t *gc, lb_error_t *err);

/* Bytes of scratch lb_sample_warp needs for a vocabulary of V tokens. */
LB_API size_t lb_sample_scratch_bytes(int V);

/* Apply temperature → top-k → top-p to logits (V,) in place; removed entries become −inf.
 * scratch: at least lb_sample_scratch_bytes(V) bytes, 8-byte aligned. Returns the number of
 * tokens kept (>= 1 when any logit is finite), n; on return lb_sample_warp_kept(scratch, V)
 * lists them: the n ids whose logits are finite, ascending. p must pass lb_sample_warp_check. */
LB_API int lb_sample_warp(float *logits, int V, const lb_warp_params_t *p, void *scratch);

/* The ascending ids kept by the last lb_sample_warp on this scratch (n of them: its return
 * value); valid until scratch is used again. Callers may shorten the list in place. */
LB_API int32_t *lb_sample_warp_kept(void *scratch, int V);

/* min-p (as lb_sample_min_p) over the n listed ids only (ids ascending, the only finite
 * logits): drops go to −inf and leave the list, which is compacted in place. Returns the
 * number kept. */
LB_API int lb_sample_min_p_list(float *logits, int32_t *ids, int n, double min_p);

/* lb_sample_pick when the finite logits are exactly those of the n ids listed (ascending):
 * the same id for the same u (the same sums in the same order), without reading all V. */
LB_API int lb_sample_pick_list(const float *logits, const int32_t *ids, int n, double u);

/* Multinomial draw from softmax(logits) (V,), −inf entries having probability 0; u in [0, 1).
 * Returns the id, or -1 when no logit is finite. */
LB_API int lb_sample_pick(const float *logits, int V, double u);

/* First index of the largest logit (V,); -1 when V == 0. NaN entries are never chosen. */
LB_API int lb_sample_argmax(const float *logits, int V);

/* ---- Counter-based randomness (Philox4x32-10) ------------------------------------------
 * The sampler draws every random number from Philox4x32-10 (Salmon et al., SC'11; Random123's
 * known-answer vectors hold): no state, so a draw depends only on its coordinates and a run
 * gives the same samples whatever the batch size, thread count or --resume history.
 * Layout: key = (seed low 32 bits, seed high 32 bits); counter = (step, sample index,
 * prompt-key hash low 32, hash high 32). */

/* One Philox4x32-10 block: out (4,) = philox(ctr (4,), key (2,)). */
LB_API void lb_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* 64-bit FNV-1a hash of len bytes: the prompt's place in the counter. */
LB_API uint64_t lb_sample_key_hash(const char *s, size_t len);

/* Uniform double in [0, 1) with 53 random bits for draw (seed, prompt hash, sample, step):
 * ((out[0] << 32 | out[1]) >> 11) * 2^-53 of the Philox block above. */
LB_API double lb_sample_philox_uniform(uint64_t seed, uint64_t prompt_hash, uint32_t sample,
                                       uint32_t step);

/* ---- min-p ----------------------------------------------------------------------------- */

/* HF MinPLogitsWarper (applied after top-p): probs = softmax(logits) in double; tokens whose
 * probability is < min_p * max prob become −inf; the most likely token always stays (ties at
 * the top all stay). min_p in [0, 1]; 0 disables. logits (V,). Returns the tokens kept. */
LB_API int lb_sample_min_p(float *logits, int V, double min_p);

/* ---- The many-sample sampler (sampler.c) ------------------------------------------------
 * For each prompt: one prefill, then n continuations forked off the prompt's KV cache (its
 * blocks shared, not copied) and decoded together as one batch with the sequences of other
 * prompts (continuous batching: a finished sequence's slot goes to the next pending sample;
 * several prompts are in flight). KV memory never exceeds the budget: a sample is launched only
 * when its worst-case blocks are free. Token choice per step: (adaptive temperature) →
 * temperature → top-k → top-p → min-p → multinomial with the Philox draw of (seed, prompt key,
 * sample, step), or argmax for greedy. Results are handed back one whole prompt group at a
 * time, in prompt order. Memory is sized once before the first token: the decode loop does
 * not allocate, except the tokenizer's decode when a sequence finishes (and, with stop
 * strings, once per step per sequence to test the decoded text). */

typedef enum lb_confidence {
    LB_CONFIDENCE_MAXPROB = 0, /* c = max_i softmax(logits)_i */
    LB_CONFIDENCE_ENTROPY = 1  /* c = 1 − H(softmax(logits)) / ln V */
} lb_confidence_t;

typedef enum lb_finish { LB_FINISH_EOS = 0, LB_FINISH_LENGTH = 1, LB_FINISH_STOP = 2 } lb_finish_t;

/* "eos", "length", "stop". */
LB_API const char *lb_sample_finish_name(lb_finish_t f);

typedef struct lb_sampler_opts {
    lb_warp_params_t warp;      /* temperature, top-k, top-p */
    double min_p;               /* [0, 1]; 0 disables */
    int n_samples;              /* sampled continuations per prompt, >= 0 */
    int first_sample;           /* >= 0: the samples are indices first_sample ..
                                   first_sample + n_samples - 1 (their draws and result .index),
                                   so a range of one prompt's samples can be drawn on its own
                                   (and on another machine) with the same results as in one run */
    int greedy_too;             /* also the greedy continuation (sample index -1) */
    long max_new_tokens;        /* >= 0, or -1: use max_length */
    long max_length;            /* counts the prompt (HF); used when max_new_tokens < 0 */
    const int32_t *eos;         /* (n_eos,) ids that end a sequence (kept in its tokens) */
    int n_eos;
    const char *const *stop;    /* (n_stop,) strings that end a sequence once decoded */
    int n_stop;
    uint64_t seed;
    int batch;                  /* most sequences decoded together; 0 = automatic (256) */
    size_t kv_budget;           /* bytes of KV cache; 0 = a quarter of physical memory */
    /* Adaptive temperature (docs/evaluation.md, a reconstruction of the paper's rule): at each step,
     * when the confidence of the unwarped next-token distribution is >= threshold, use
     * low_temperature (0 = argmax) instead of warp.temperature. */
    int adaptive;
    lb_confidence_t confidence;
    double confidence_threshold;
    double low_temperature;     /* >= 0 */
    int record_temperatures;    /* fill lb_sample_result_t.temperatures */
    /* Called after every token a sequence takes (NULL: not called), with the user pointer of
     * lb_sampler_run: see lb_sampler_token_fn. For streaming one continuation as it grows. */
    int (*on_token)(void *user, size_t prompt, int index, const int32_t *tokens, int n_tokens,
                    int final, lb_error_t *err);
} lb_sampler_opts_t;

/* Defaults: HF warpers (T 1, top-k 50, top-p 1), min-p off, n 1, max_new_tokens -1,
 * max_length 20, seed 0, batch and budget automatic, adaptive off (maxprob, 0.9, 0). */
LB_API lb_sampler_opts_t lb_sampler_defaults(void);

/* Check the options; LB_EINVAL naming the bad field. */
LB_API int lb_sampler_check(const lb_sampler_opts_t *o, lb_error_t *err);

/* A 64-bit hash of every setting of o that shapes a result: warp, min_p, n_samples,
 * first_sample, greedy_too, max_new_tokens, max_length, the eos ids and stop strings (their
 * contents, not the pointers), seed, adaptive, confidence, confidence_threshold,
 * low_temperature, record_temperatures. Not hashed, as no result depends on them: batch,
 * kv_budget, on_token. Two processes whose options hash alike draw the same results for the
 * same prompts (the MPI ranks of one job compare it). o must not be NULL. */
LB_API uint64_t lb_sampler_opts_hash(const lb_sampler_opts_t *o);

typedef struct lb_sample_result {
    int index;                  /* sample index, -1 for greedy */
    const int32_t *tokens;      /* (n_tokens,) generated ids (EOS included when it ended it) */
    int n_tokens;
    const char *text;           /* decode(tokens, skip_special_tokens), NUL-terminated */
    size_t text_len;
    lb_finish_t finish;
    const float *temperatures;  /* (n_tokens,) temperature used per step (0 = argmax), or NULL
                                   unless record_temperatures */
} lb_sample_result_t;

/* One prompt to sample from: its key (the dataset id; it keys the random draws) and ids. */
typedef struct lb_sampler_prompt {
    const char *key;
    const int32_t *ids;         /* (n_ids,) n_ids >= 1 */
    size_t n_ids;
} lb_sampler_prompt_t;

/* Called once per prompt, in prompt order, with all its results (greedy first when asked,
 * then samples 0..n-1). Everything pointed to is valid only during the call. A non-zero return
 * stops the run and is returned by lb_sampler_run (set err). */
typedef int (*lb_sampler_emit_fn)(void *user, size_t prompt, const lb_sample_result_t *res,
                                  int n_res, lb_error_t *err);

typedef struct lb_sampler_progress {
    size_t prompts_done, prompts_total;
    size_t samples_done;        /* sequences finished (greedy included) */
    size_t tokens;              /* tokens generated so far */
    double seconds;             /* since lb_sampler_run started */
    /* derived by lb_sampler_progress_derive (the sampler and the eval flows fill them) */
    size_t samples_total;       /* sequences of the run: prompts_total x (n_samples + greedy) */
    double samples_per_s;       /* samples_done / seconds (0 while seconds <= 0) */
    double tokens_per_s;        /* tokens / seconds (0 while seconds <= 0) */
    double eta_s;               /* seconds x (samples_total - samples_done) / samples_done: left
                                   at the rate so far; 0 before the first sample and at the end */
} lb_sampler_progress_t;

/* Fill p's derived fields from prompts_total, samples_done, tokens and seconds, with n_res
 * results per prompt (n_samples + 1 with the greedy answer): samples_total, the rates and the
 * ETA as documented on lb_sampler_progress_t. p must not be NULL; n_res >= 0. */
LB_API void lb_sampler_progress_derive(lb_sampler_progress_t *p, int n_res);

/* The on_token hook of lb_sampler_opts_t: result `index` (-1 greedy) of prompt `prompt` has
 * taken its n_tokens-th token; tokens (n_tokens,) are all it generated so far; final: the token
 * ended it (EOS, stop string or length). Called from the thread that called lb_sampler_run, in
 * the order tokens are taken, before the group is handed to emit. tokens is valid only during
 * the call. A non-zero return stops the run and is returned by lb_sampler_run (set err). */
typedef int (*lb_sampler_token_fn)(void *user, size_t prompt, int index, const int32_t *tokens,
                                   int n_tokens, int final, lb_error_t *err);

/* Called after each decode step (cheap; rate-limit printing yourself). May be NULL. */
typedef void (*lb_sampler_progress_fn)(void *user, const lb_sampler_progress_t *p);

/* Sample every prompt. m and tok are borrowed (tok decodes the text and tests stop strings).
 * Errors: LB_EINVAL (bad options; a prompt that is empty, has an id outside the vocabulary,
 * does not leave room for one new token in the context, or whose cache with one sample exceeds
 * kv_budget: the message names the prompt key and the sizes), LB_ENOMEM, and whatever emit
 * returns. */
LB_API int lb_sampler_run(const lb_model_t *m, const lb_tokenizer_t *tok,
                          const lb_sampler_prompt_t *prompts, size_t n_prompts,
                          const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                          lb_sampler_progress_fn progress, void *user, lb_error_t *err);

/* ---- The sampler's schedule (sched.c) ---------------------------------------------------
 * The bookkeeping lb_sampler_run follows, apart from the model, so that it can be tested on its
 * own: prompts are admitted in order (at most in_flight at once, prompt p in slot
 * p % in_flight), each prompt's n_res results are launched in order into a batch of at most
 * `batch` running sequences, and groups are handed back whole, in prompt order. Blocks of KV
 * cache are reserved up front: root_blocks[p] for prompt p's cache from its admission until its
 * group is handed back, sample_blocks[p] for each of its results from launch to finish. The
 * reserved total never exceeds total_blocks. Guarantee: when every prompt fits on its own
 * (root + sample <= total_blocks, checked by init), every prompt is admitted, every result
 * launched once and every group handed back once, whatever ends the results when (even all at
 * their first token), and at LB_SCHED_DONE nothing is reserved or running. */

typedef enum lb_sched_op {
    LB_SCHED_EMIT,   /* hand back prompt's group (its root blocks are released) */
    LB_SCHED_LAUNCH, /* start result res of prompt (slot); report its end with _finish */
    LB_SCHED_ADMIT,  /* prefill prompt into slot */
    LB_SCHED_STEP,   /* one decode step over the running sequences, then _finish the ended */
    LB_SCHED_DONE,   /* every group handed back */
    LB_SCHED_STUCK   /* cannot happen when init succeeded (a bug: report it, do not loop) */
} lb_sched_op_t;

typedef struct lb_sched_action {
    lb_sched_op_t op;
    size_t prompt;
    int slot, res;
} lb_sched_action_t;

typedef struct lb_sampler_sched {
    size_t n_prompts;
    const int *root_blocks, *sample_blocks; /* (n_prompts,) borrowed */
    int n_res, batch, in_flight, total_blocks;
    int *launched, *finished;               /* (in_flight,) per slot */
    size_t *prompt_of;                      /* (in_flight,) the prompt in each slot */
    size_t next_prompt, emitted;            /* prompts admitted / handed back */
    int active, reserved;                   /* running results; blocks reserved */
} lb_sampler_sched_t;

/* Set up a schedule (allocates its (in_flight,) tables; nothing later allocates). Errors:
 * LB_EINVAL (n_res, batch or in_flight < 1; a prompt whose root + sample blocks exceed
 * total_blocks, naming its index), LB_ENOMEM. */
LB_API int lb_sampler_sched_init(lb_sampler_sched_t *s, size_t n_prompts, const int *root_blocks,
                                 const int *sample_blocks, int n_res, int batch, int in_flight,
                                 int total_blocks, lb_error_t *err);
/* Free the schedule's tables (not s itself); a second call is a no-op. */
LB_API void lb_sampler_sched_free(lb_sampler_sched_t *s);

/* The next thing to do, already counted (blocks reserved or released, counters moved): in
 * order of preference, hand back the oldest group when complete; launch the next result of the
 * oldest prompt with one left, when a batch place and its blocks are free; admit the next
 * prompt, when no admitted one has a result left to launch and its blocks and an in-flight
 * place are free; step when sequences run; else done. */
LB_API lb_sched_op_t lb_sampler_sched_next(lb_sampler_sched_t *s, lb_sched_action_t *a);

/* A launched result of slot ended (at launch or after a step): frees its batch place and
 * sample blocks. */
LB_API void lb_sampler_sched_finish(lb_sampler_sched_t *s, int slot);

/* The new-token limit for a prompt of n_prompt ids under o and a context of ctx positions:
 * max_new_tokens, else max_length − n_prompt (>= 0), capped at ctx − n_prompt. */
LB_API long lb_sampler_max_new(const lb_sampler_opts_t *o, size_t n_prompt, int ctx);

/* The memory plan of lb_sampler_run on these prompts under o (core.h's lb_mem_plan_t, for
 * lb_mem_plan_check before the run): the model's weights (copied and mapped), the KV cache of
 * (batch + prompts in flight) sequences at the longest prompt + its new tokens, capped at
 * o->kv_budget (0: a quarter of physical memory), and the runner's scratch plus two logits rows
 * per sequence. Allocates nothing. */
LB_API void lb_sampler_mem_plan(const lb_model_t *m, const lb_sampler_prompt_t *prompts,
                                size_t n_prompts, const lb_sampler_opts_t *o, lb_mem_plan_t *plan);

#ifdef __cplusplus
}
#endif
#endif
