/*
 * leakbound/eval.h — the evaluation pipeline that `leakbound sample`, `leakbound eval`, MPI
 * runs, the demo and Python all call: load a model, its tokenizer, a data set and a prompt
 * template; render and encode the prompts; sample n answers per prompt; score them; bound
 * them; write report.json, report.md and the SVG plots.
 *
 * Contract
 * - Nothing here prints. Every function returns LB_OK or an LB_E* code with err filled (the
 *   message names the file, the line or item, and the allowed range); the caller decides what
 *   to show (the CLI prints "leakbound CMD: message" and exits 2 for LB_EINVAL/LB_EFORMAT/
 *   LB_EIO on input, 1 for LB_ENOMEM and output failures).
 * - Options: lb_eval_opts_default fills every field with the CLI's defaults; a field the
 *   caller leaves alone means what the flag's absence means. Sampler settings not given
 *   (have_* 0) come from the model folder's generation_config.json (lb_sample_genconf_read),
 *   else Hugging Face's defaults, exactly as `leakbound sample --help` says.
 * - Loading (lb_eval_load) reads everything a run needs before anything big is allocated and
 *   works out the memory plan (weights, KV cache, scratch) as numbers in lb_eval_ctx_t.plan;
 *   a plan above the memory available is refused (LB_ENOMEM naming the numbers). Item ids
 *   must be unique: they key the random draws (Philox keyed by seed, id, sample, step), so
 *   a prompt's answers do not depend on batch, threads, ranks or which other prompts run.
 * - Runs: lb_eval_sample and lb_eval_run hand each prompt's group of results (the greedy
 *   answer first when asked, then samples 0..n-1) to hooks->group as it completes, in no
 *   fixed order across prompts; the sampler is hooks->sampler (NULL: lb_sampler_run), so
 *   a distributing sampler (the CLI's MPI transport) can stand in. A hook's positive return
 *   value (or a progress hook's) stops the run early: the call returns LB_ECANCELED with err
 *   saying so. A negative return is an LB_E* error with err filled; the run ends with it.
 * - Results (lb_eval_result_t) are flat arrays indexed by prompt p (P prompts, n samples):
 *   scores[p * n + i] is sample i's score, greedy[p] the greedy score (NaN when none),
 *   res[p] the bounds of docs/bounds.md, leak[p] the leak verdict, harm_* the judge's harm
 *   comparison (--metric judge only). lb_eval_result_free releases all of it.
 * - Outputs: samples.jsonl lines (lb_eval_format_group), report.json, report.md and the
 *   plots (lb_eval_write_reports) are byte-identical to what `leakbound eval` writes; every
 *   file is written atomically.
 * - Memory: arrays are sized once per run; nothing is allocated per token. Not thread-safe
 *   per context or result; separate contexts are independent.
 */
#ifndef LEAKBOUND_EVAL_H
#define LEAKBOUND_EVAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "leakbound/core.h"
#include "leakbound/data.h"
#include "leakbound/io.h"
#include "leakbound/judge.h"
#include "leakbound/model.h"
#include "leakbound/report.h"
#include "leakbound/sample.h"
#include "leakbound/score.h"
#include "leakbound/stats.h"
#include "leakbound/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LB_EVAL_MAX_STOP 32
#define LB_EVAL_MAX_THRESHOLDS 64

/* ---- inspect: what a checkpoint folder holds ------------------------------------------------ */

/* Describe the checkpoint folder dir as a new JSON object *doc (the document `inspect --json`
 * prints; keys in this order): model (dir), architecture, model_type, family (llama, phi,
 * gpt2), parameters, dtype (the file's main dtype), tensor_dtypes {dtype: count}, tensors,
 * checkpoint_bytes, context_length, layers, heads, kv_heads, head_dim, hidden_size,
 * intermediate_size, vocab_size, rotary_dim, rope_theta, tie_word_embeddings, eos_token_ids
 * (lb_sample_genconf_read's), tokenizer (lb_tokenizer_describe's line of tokenizer, a
 * tokenizer.json or its folder, or NULL: dir's; null when dir has none), memory_plan
 * {weights_mapped_bytes, weights_copied_bytes, kv_bytes_per_token, kv_bytes_full_context,
 * scratch_bytes, total_bytes (one sequence at the full context, loaded as sample/eval load it),
 * available_bytes (MemAvailable, 0 when unknown), fits (total_bytes <= available_bytes; null
 * when that is unknown)} and, when dir holds leakbound_run.json
 * (finetune/unlearn), run: that record as it is. Weights are mapped, not converted. Returns 0,
 * or the loaders' LB_EIO/LB_EFORMAT naming the file (a run record that is not a JSON object
 * with "config": LB_EFORMAT "FILE:LINE:COL: ..."), LB_ENOMEM; *doc is NULL on failure. */
LB_API int lb_eval_inspect(const char *dir, const char *tokenizer, json_t **doc, lb_error_t *err);

/* ---- generate: one prompt, one streamed continuation -------------------------------------- */

/* What lb_eval_generate runs (lb_eval_generate_opts_default: every setting from the folder). */
typedef struct lb_eval_generate_opts {
    const char *model_dir;   /* checkpoint folder (config.json, safetensors, tokenizer.json) */
    const char *tokenizer;   /* a tokenizer.json or its folder; NULL: model_dir's */
    const char *prompt;      /* the raw prompt (no template), encoded with special tokens */
    int greedy;              /* 1: always the most likely token (HF do_sample=False) */
    double temperature;      /* > 0; NaN (default): generation_config's */
    long top_k;              /* >= 0 (0 off); -1 (default): generation_config's */
    double top_p;            /* (0, 1]; NaN (default): generation_config's */
    long max_new_tokens;     /* >= 0; -1 (default): generation_config's max_new_tokens, else its
                                max_length minus the prompt's length; cut to the context */
    uint64_t seed;           /* the draws are keyed (seed, id, sample 0, step) as `sample`'s */
    const char *id;          /* the prompt's id in that key (default "0") */
    size_t kv_budget;        /* the sampler's KV-cache budget in bytes; 0: none */
    /* Called with each new piece of the decoded continuation (special tokens skipped; a
       partial UTF-8 character is held back until complete); a nonzero return (with err set)
       stops the run with that code. NULL: no text is decoded. */
    int (*on_text)(void *ctx, const char *text, size_t len, lb_error_t *err);
    void *ctx;
} lb_eval_generate_opts_t;

/* The generated ids (free with lb_eval_generate_result_free). */
typedef struct lb_eval_generate_result {
    int32_t *ids;      /* (n_ids) the new tokens, EOS included when it ended the text */
    int n_ids;
    size_t n_prompt;   /* tokens of the encoded prompt */
} lb_eval_generate_result_t;

/* Fill *o with the defaults: no paths, sampling settings from the folder, seed 0, id "0". */
LB_API void lb_eval_generate_opts_default(lb_eval_generate_opts_t *o);

/* Set one of `generate`'s flags by its name, as the CLI and bindings spell it: "model",
 * "prompt", "tokenizer", "id" (the value kept, not copied), "greedy" (no value), "temperature"
 * (> 0), "top-k" (an integer in [0, 2^30]), "top-p" (in (0, 1]), "max-new-tokens" (an integer
 * in [0, 2^30]), "seed" (an integer; a negative one wraps to uint64) and "kv-budget" (a size
 * such as 512M). The sampling ranges are `sample`'s. Returns 0, or LB_EINVAL naming the flag
 * and the allowed range (o unchanged for that flag), or for an unknown flag name. */
LB_API int lb_eval_generate_opts_set(lb_eval_generate_opts_t *o, const char *flag,
                                     const char *value, lb_error_t *err);

/* Check the options together: greedy decoding takes no temperature, top-k or top-p. Returns 0
 * or LB_EINVAL ("--greedy takes no --temperature/--top-k/--top-p"). lb_eval_generate runs it. */
LB_API int lb_eval_generate_opts_check(const lb_eval_generate_opts_t *o, lb_error_t *err);

/* `leakbound generate`: read o->model_dir's generation settings (lb_sample_genconf_read), its
 * tokenizer and model, encode o->prompt and draw one continuation with the sampler (one
 * sequence, batch-invariant; sampling as HF generate with do_sample: temperature -> top-k ->
 * top-p -> softmax -> multinomial), streaming its text to o->on_text; stops at an EOS id or
 * after max_new_tokens. The memory plan is checked before the cache exists. *res is zeroed
 * first and holds the ids on success. Returns 0, or the readers' LB_EIO/LB_EFORMAT naming the
 * file, LB_EINVAL (lb_eval_generate_opts_check's conflict, an empty prompt, a prompt longer
 * than the context, a prompt id outside the vocabulary, a memory plan over the available
 * memory), LB_ENOMEM, or on_text's code. */
LB_API int lb_eval_generate(const lb_eval_generate_opts_t *o, lb_eval_generate_result_t *res,
                            lb_error_t *err);

/* Free res->ids and zero *res. */
LB_API void lb_eval_generate_result_free(lb_eval_generate_result_t *res);

/* ---- options ----------------------------------------------------------------------------- */

typedef struct lb_eval_opts {
    /* what to load */
    const char *model;               /* checkpoint folder (required) */
    const char *data;                /* data set file (required) */
    lb_data_format_t format;         /* LB_DATA_AUTO: by extension */
    const char *tmpl;                /* raw | phi | llama2 | chat | a literal with {q}; "raw" */
    const char *tokenizer;           /* tokenizer.json file or folder; NULL: the model's */
    long limit;                      /* > 0: only the first limit items; 0: all */
    /* the sampler (have_*: given, else generation_config.json, else HF's default) */
    long n;                          /* samples per prompt (>= 0; eval needs >= 1) */
    int greedy_too;                  /* lb_eval_sample: also the greedy answer (eval: always) */
    int have_T, have_k, have_p, have_max_len, have_max_new;
    double T, p, min_p;
    long k, max_len, max_new;
    long batch;                      /* 0: the sampler's default */
    long threads;                    /* > 0: omp_set_num_threads at load; 0: leave it */
    unsigned long long seed;
    size_t kv_budget;                /* 0: a quarter of RAM */
    const char *stop[LB_EVAL_MAX_STOP];
    int n_stop;
    int adaptive;                    /* adaptive temperature (docs/evaluation.md) */
    lb_confidence_t confidence;      /* LB_CONFIDENCE_MAXPROB */
    double conf_thr;                 /* 0.9 */
    double low_T;                    /* 0: greedy */
    int verbose;                     /* record per-step temperatures ("temperatures") */
    /* scoring (lb_eval_run) */
    lb_metric_t metric;              /* LB_METRIC_ROUGEL_RECALL */
    lb_score_opts_t score;           /* lb_score_opts_default(); .judge: the open judge */
    const char *judge_dir;           /* the judge's folder (named in the reports) or NULL */
    /* bounds (lb_eval_run): stats.thresholds and stats.n_thresholds are taken from
       thresholds/n_thresholds below (none given: 0.5) */
    lb_stats_options_t stats;        /* alpha 0.01, exact, ed_lambda 2, queries_k 1, leak_at_k 1 */
    double thresholds[LB_EVAL_MAX_THRESHOLDS];
    size_t n_thresholds;
    double leak_threshold;           /* NaN (default): by metric (lb_eval_default_leak_threshold) */
    double harm_rate;                /* judge: hidden harm when the CP lower bound > harm_rate */
    size_t n_plot;                   /* prompts in density.svg/ecdf.svg (6) */
} lb_eval_opts_t;

/* Fill o with the defaults listed beside each field (what no flag means). */
LB_API void lb_eval_opts_default(lb_eval_opts_t *o);

/* --leak-threshold's default for metric m: 0.9 for the ROUGE scores, 1 for keywords and exact,
 * and for the judge its harmful cut (1 with a judge threshold >= 0 in so, else 0.5). */
LB_API double lb_eval_default_leak_threshold(lb_metric_t m, const lb_score_opts_t *so);

/* The default strip prefix: with no strip prefix given (strip_given 0), add
 * lb_score_default_strip(o->tmpl) ("Answer:" for the phi template) to o->score's prefixes, so
 * answers are scored without the tag, as TOFU does. What `eval`, training's checks
 * (lb_eval_checkpoint) and the demo call. */
LB_API void lb_eval_default_strip(lb_eval_opts_t *o, int strip_given);

/* ---- loading ----------------------------------------------------------------------------- */

/* The memory a run holds at most (bytes), worked out before anything big is allocated. */
typedef struct lb_eval_memplan {
    double weights, mapped, copied;  /* weights = mapped (from the file) + copied */
    double kv;                       /* the KV cache, capped by kv_budget */
    double scratch;                  /* the runner's arena and the sampler's logits */
    double total;                    /* what lb_mem_plan_check summed */
    double available;                /* lb_mem_available() (<= 0: unknown) */
    int threads;                     /* omp_get_max_threads() after opts->threads */
    const char *kernels;             /* lb_model_isa_name of the kernels in use */
} lb_eval_memplan_t;

/* Everything loaded for a run. */
typedef struct lb_eval_ctx {
    lb_genconf_t gc;
    lb_tokenizer_t *tok;
    lb_model_t *m;
    lb_template_t *tmpl;
    lb_dataset_t ds;
    size_t n_items;                  /* items used (limit) */
    char **prompt_text;              /* (n_items,) rendered prompts */
    int32_t **ids;                   /* (n_items,) encoded prompts */
    lb_sampler_prompt_t *prompts;    /* (n_items,) keyed by the item ids */
    lb_sampler_opts_t opts;          /* effective sampler settings (greedy_too from opts) */
    char model_sha256[65];           /* lb_model_sha256 of the model folder (with --tokenizer's
                                        files in place of the folder's) */
    char data_sha256[65];            /* of the data bytes loaded */
    lb_eval_memplan_t plan;
} lb_eval_ctx_t;

/* Check o (model and data given, n >= 0), set the thread count, load model/tokenizer/data/
 * template, hash the model folder and the data loaded, render and encode every prompt (ids
 * unique), fill ctx->opts from generation_config.json then o, check them (lb_sampler_check)
 * and the memory plan. On failure ctx is left freed (zeroed) and err says why: LB_EINVAL /
 * LB_EFORMAT / LB_EIO for bad input (naming "FILE:LINE: item 'ID'" for a prompt that does not
 * render or encode), LB_ENOMEM. */
LB_API int lb_eval_load(const lb_eval_opts_t *o, lb_eval_ctx_t *ctx, lb_error_t *err);

/* Release what ctx holds and zero it (a zeroed ctx is fine). */
LB_API void lb_eval_ctx_free(lb_eval_ctx_t *ctx);

/* Every item must carry what metric m compares against: keywords for keywords, an answer for
 * the others but judge. Returns 0, or LB_EINVAL naming the item and its line. */
LB_API int lb_eval_check_items(const lb_eval_ctx_t *ctx, lb_metric_t m, lb_error_t *err);

/* ---- hooks ------------------------------------------------------------------------------- */

/* A prompt's group as it completes: item (index into ctx's items), its n_res results (greedy
 * first, index -1), scores (n_res,) in the same order or NULL (lb_eval_sample). Returns 0 to go
 * on, > 0 to stop the run (LB_ECANCELED), or an LB_E* code with err filled. */
typedef int (*lb_eval_group_fn)(void *user, size_t item, const lb_sample_result_t *res,
                                int n_res, const double *scores, lb_error_t *err);

/* Progress (as often as the sampler reports it), p's samples_total (the prompts asked for x
 * (n + greedy)), rates and ETA filled by lb_sampler_progress_derive, also behind a transport's
 * sampler. Returns 0 to go on, non-zero to stop the run: it is not called again, and the run
 * ends at the next group, or at its end when none is left, with LB_ECANCELED. */
typedef int (*lb_eval_progress_fn)(void *user, const lb_sampler_progress_t *p);

/* The sampler: lb_sampler_run's signature. */
typedef int (*lb_eval_sampler_fn)(const lb_model_t *m, const lb_tokenizer_t *tok,
                                  const lb_sampler_prompt_t *prompts, size_t n_prompts,
                                  const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                                  lb_sampler_progress_fn progress, void *user, lb_error_t *err);

/* A group a resumed file already holds complete (lb_eval_sample_resume_scan): item (index
 * into ctx's items) and its lines, the file's len bytes of that group (each line ending in a
 * newline), valid during the call only. Returns 0 to go on, or an LB_E* code with err filled. */
typedef int (*lb_eval_resumed_fn)(void *user, size_t item, const char *lines, size_t len,
                                  lb_error_t *err);

/* How far `eval --samples FILE` is (lb_eval_hooks_t.samples_progress): FILE's lines read and
 * scored so far, so a caller can show a rate and an ETA. */
typedef struct lb_eval_samples_progress {
    long long bytes_done;      /* FILE's bytes read and scored */
    long long bytes_total;     /* FILE's size; -1 while unknown (a pipe); bytes_done at the end */
    long lines;                /* lines read and scored */
    size_t answers;            /* answers scored (greedy ones included) */
    double seconds;            /* since lb_eval_from_samples began (its --data load included) */
    int final;                 /* 1: the last call, every line read, scored and grouped (a
                                  file the checks refuse has none) */
    double lines_per_s;        /* lines / seconds (0 while seconds <= 0) */
    double answers_per_s;      /* answers / seconds (0 while seconds <= 0) */
    double eta_s;              /* seconds x (bytes_total - bytes_done) / bytes_done: left at the
                                  bytes' rate; 0 before the first byte, at the end or while
                                  bytes_total is unknown */
} lb_eval_samples_progress_t;

/* Progress of `eval --samples` (every few thousand lines, every line with a judge metric, and
 * once at the end with final 1; cheap: rate-limit printing yourself). Returns 0 to go on,
 * non-zero to stop: the run ends with LB_ECANCELED and its out folder is as it was. */
typedef int (*lb_eval_samples_progress_fn)(void *user, const lb_eval_samples_progress_t *p);

/* What a warning of the eval module is about (lb_eval_warn_fn's kind). */
typedef enum lb_eval_warn_kind {
    LB_EVAL_WARN_JUDGE_LABELS = 1, /* the judge's labels are unlikely (lb_judge_mass_warning) */
    LB_EVAL_WARN_DATA_LENIENT      /* the CSV reader skipped blanks (lb_data_lenient_warning) */
} lb_eval_warn_kind_t;

/* A warning: its kind and its text (without a "leakbound CMD: warning: " prefix), valid
 * during the call. */
typedef void (*lb_eval_warn_fn)(void *user, lb_eval_warn_kind_t kind, const char *msg);

typedef struct lb_eval_hooks {
    void *user;                      /* passed to group and progress */
    lb_eval_progress_fn progress;    /* NULL: none */
    lb_eval_group_fn group;          /* NULL: none */
    lb_eval_sampler_fn sampler;      /* NULL: lb_sampler_run */
    /* the judge's label warning (lb_judge_warn_once), called with user at most once per run
       by the eval module's scoring with a judge metric when the labels are unlikely: after
       the first scored group (lb_eval_run, before the group hook) or after the lines of
       `eval --samples` are scored (lb_eval_flow_samples); and the data set's lenient-CSV
       note (lb_data_lenient_warning), once: by the eval and sample flows after lb_eval_load
       (every rank, before their loaded hook), by lb_eval_flow_samples after the lines (after
       the judge's warning); each with its kind; NULL: none */
    lb_eval_warn_fn warn;
    /* lb_eval_flow_samples's progress through FILE (NULL: none) */
    lb_eval_samples_progress_fn samples_progress;
} lb_eval_hooks_t;

/* ---- samples.jsonl ----------------------------------------------------------------------- */

/* Append the JSONL lines of one prompt group (item it of ctx) to *buf (cap/len grown with
 * realloc). Field order: id, sample, prompt, question, text, reference (if the item has an
 * answer), keywords (if any), tokens, finish, score (when scores (n_res,) is not NULL), and
 * temperatures with verbose. Returns 0 or LB_ENOMEM. */
LB_API int lb_eval_format_group(const lb_eval_ctx_t *ctx, size_t it, const lb_sample_result_t *res,
                                int n_res, const double *scores, int verbose, char **buf,
                                size_t *cap, size_t *len, lb_error_t *err);

/* The default samples.jsonl writer: a group hook (lb_eval_write_group with user = the writer)
 * that formats each group with lb_eval_format_group and writes it whole: to file (an open
 * lb_atomic_file_t) when not NULL, else to fd, followed by fsync (a group on disk is complete).
 * Free buf when done. */
typedef struct lb_eval_writer {
    const lb_eval_ctx_t *ctx;
    int verbose;
    lb_atomic_file_t *file;          /* or NULL: fd */
    int fd;
    const char *path;                /* for messages */
    char *buf;
    size_t cap, len;
} lb_eval_writer_t;

/* Group hook of lb_eval_writer_t (user). Returns 0, LB_ENOMEM, or LB_EIO naming path. */
LB_API int lb_eval_write_group(void *user, size_t item, const lb_sample_result_t *res, int n_res,
                               const double *scores, lb_error_t *err);

/* ---- sampling (`leakbound sample`) ------------------------------------------------------- */

/* Sample ctx->opts.n_samples answers (and the greedy one with ctx->opts.greedy_too) for the
 * items items[0..n) of ctx (NULL: all ctx->n_items), each group handed to hooks->group with its
 * item index. Returns 0, LB_ECANCELED, or the sampler's or a hook's error. */
LB_API int lb_eval_sample(const lb_eval_ctx_t *ctx, const size_t *items, size_t n,
                          const lb_eval_hooks_t *hooks, lb_error_t *err);

/* The settings file of `sample -o FILE` (FILE.settings.json): what made FILE, in a fixed key
 * order ("format", model_sha256, data_sha256, template, n, greedy_too, seed, temperature,
 * top_k, top_p, min_p, adaptive, confidence, confidence_threshold, low_temperature,
 * max_new_tokens, max_length, stop). template_name is the --template given. Returns 0 or
 * LB_ENOMEM; *out is a new object (written with lb_atomic_write_json). */
LB_API int lb_eval_sample_settings(const lb_eval_ctx_t *ctx, const char *template_name,
                                   json_t **out, lb_error_t *err);

/* Resuming path (open as fd): the settings file spath must hold exactly doc's settings (every
 * key equal, none more). A path with no lines yet and no settings file just gets one. Returns
 * 0, or LB_EINVAL naming the setting that differs (both values) or a missing settings file,
 * LB_EFORMAT (spath is not a settings file, naming line:column), LB_EIO. */
LB_API int lb_eval_sample_settings_check(const char *path, const char *spath, int fd,
                                         const json_t *doc, lb_error_t *err);

/* Resuming path (open as fd, read from its start): find its complete groups (n_res lines each,
 * the greedy answer first when greedy, then samples in order), truncate whatever follows the
 * last complete group (a run interrupted mid-group), and set done[i] (ctx->n_items,) for the
 * items they cover, *n_done their count (an id on several items: the first of them). Each
 * group's item is found in a sorted index of ctx's ids (O(P log P) for P items in all).
 * resumed (NULL: none) gets each complete group's item and bytes with user as it is found, so
 * a caller keeps them without reading path again. Returns 0, or LB_EFORMAT naming "path:LINE"
 * (a damaged line before the last, a group of other settings, an id not in ctx or twice),
 * LB_EIO, LB_ENOMEM, or resumed's error (path then untruncated). */
LB_API int lb_eval_sample_resume_scan(const char *path, int fd, const lb_eval_ctx_t *ctx, int n_res,
                                      int greedy, unsigned char *done, size_t *n_done,
                                      lb_eval_resumed_fn resumed, void *user, lb_error_t *err);

/* ---- evaluation (`leakbound eval`) ------------------------------------------------------- */

typedef struct lb_eval_result {
    size_t n_items;             /* P: questions (prompts) */
    char **ids;                 /* (P,) each question's id as text */
    unsigned char *id_is_int;   /* (P,) 1: the id is a JSON integer (ids[p] its digits) */
    const char **questions;     /* (P,) the question shown in the report, or NULL */
    int owns_questions;         /* 1: questions[p] are malloc'd (from a samples file) */
    /* Where the answers came from: the sampler (sampling: its effective settings, template
       its template's name), or a file of samples (sampling NULL, samples_path). */
    const lb_sampler_opts_t *sampling;
    const char *template_name;
    const char *samples_path;
    char samples_sha256[65];
    const lb_score_opts_t *score_opts;
    json_t *provenance;         /* lb_eval_provenance's object (owned), set by the caller */
    const char *out_dir;        /* the folder reports (and a samples file's lines) go into */
    int ranks;                  /* processes that shared the sampling (report.json "ranks") */
    const char *metric;         /* the metric's name */
    lb_stats_options_t opt;     /* thresholds point into this result's thresholds */
    double thresholds[LB_EVAL_MAX_THRESHOLDS];
    size_t n_plot;
    int n;                      /* samples per prompt */
    double *scores;             /* (P, n) sampled scores, row-major, in sample order */
    double *greedy;             /* (P,) NaN: no greedy answer */
    size_t n_done;              /* groups that reached this process (P when complete) */
    lb_stats_prompt_t *res;     /* (P,) bounds */
    const lb_judge_t *judge;    /* judge metric: the judge and how the reports name it */
    const char *judge_dir;
    char judge_sha256[65];
    int judge_mass_checked;     /* the label check ran (lb_judge_warn_once's flag) */
    double harm_rate;
    size_t *harm_k;             /* (P,) harmful sampled answers */
    double *harm_lo, *harm_hi;  /* (P,) one-sided 1-alpha CP bounds on P(harmful) */
    int *hidden;                /* (P,) greedy judged safe, harm_lo > harm_rate */
    size_t n_hidden;
    double *gen_pge;            /* (2, P, n_thresholds) storage for res[].M_gen, res[].P_ge */
    lb_stats_leak_t *leak;      /* (P,) leak verdicts */
    lb_stats_share_t leak_share, hidden_leak_share;
    /* lb_eval_from_samples with a data set: blanks around quoted CSV fields skipped (the
       lenient reader: count and first line); lb_eval_flow_samples warns with them */
    size_t data_n_lenient;
    long data_lenient_line;
} lb_eval_result_t;

/* Zero r and fill its settings (metric, method, thresholds (none: 0.5), leak threshold (NaN:
 * by metric), harm rate, plot count, score options, ranks 1) from o, which must outlive r (r
 * points at o->score). Call before lb_eval_run or lb_eval_from_samples. Returns 0. */
LB_API int lb_eval_result_init(lb_eval_result_t *r, const lb_eval_opts_t *o);

/* The whole evaluation on a loaded ctx (greedy answer and o->n samples per item): score each
 * group with o->metric against the item's answer, keywords or (judge) question (after the first
 * judged group: hooks->warn once when the judge's labels are unlikely), hand it to
 * hooks->group with its scores, keep the scores in r, then (when every group reached this
 * process: r->n_done == r->n_items; a distributing sampler delivers them to one process
 * only) the bounds, leak verdicts and shares and the judge's harm comparison. r must have been
 * through lb_eval_result_init; ctx->opts.greedy_too is set. With a judge metric and o->judge_dir, the judge's
 * folder is hashed for the reports (r->judge_sha256) unless the caller already set r->judge. Returns 0, LB_ECANCELED, or an LB_E* code with err filled. */
LB_API int lb_eval_run(lb_eval_ctx_t *ctx, const lb_eval_opts_t *o, const lb_eval_hooks_t *hooks,
                       lb_eval_result_t *r, lb_error_t *err);

/* The bounds, leak verdicts/shares and harm comparison of r's scores (lb_eval_run calls it).
 * Returns 0 or an LB_E* code with err filled. */
LB_API int lb_eval_bounds(lb_eval_result_t *r, lb_error_t *err);

/* Whether a judge metric value s is a harmful judgement: >= 1 with a judge threshold (the
 * value is then 0/1), else >= 0.5. */
LB_API int lb_eval_harmful(const lb_eval_result_t *r, double s);

/* Release what r owns (its arrays, owned questions, provenance) and set them to NULL; its
 * settings stay. */
LB_API void lb_eval_result_free(lb_eval_result_t *r);

/* How lb_eval_from_samples reads the samples file beyond the score fields; the fields after
 * data_format are read by lb_eval_flow_samples only, which makes lb_eval_from_samples's
 * lb_score_cfg_t of them (NULL: the flag not given). */
typedef struct lb_eval_samples_opts {
    const char *greedy_field;  /* the field holding the greedy answer, or NULL */
    int allow_duplicates;      /* identical lines and repeated (id, "sample") pairs count as
                                  more samples instead of being refused */
    const char *data_path;     /* a data set: each id's reference/keywords/question from its
                                  item of that id (both files must hold the same ids), or NULL */
    lb_data_format_t data_format; /* LB_DATA_AUTO: by extension */
    const char *path;          /* --samples FILE */
    const char *text_field;    /* --text-field (NULL: "text") */
    const char *id_field;      /* --id-field (NULL: "id") */
    const char *reference_field; /* --reference-field, --keywords-field (NULL: the metric's */
    const char *keywords_field;  /* default, lb_score_set_field) */
    const char *prompt_field;  /* --prompt-field (NULL: "prompt"; --metric judge: "question"
                                  when the line has it, else "prompt": lb_score_user_field) */
} lb_eval_samples_opts_t;

/* Which `eval` runs a flag applies to (lb_eval_flag_scope). */
enum {
    LB_EVAL_FLAG_BOTH = 0,     /* every run (or not a flag of eval) */
    LB_EVAL_FLAG_SAMPLING,     /* a run that samples: refused with --samples FILE */
    LB_EVAL_FLAG_SAMPLES       /* --samples FILE only: refused without it */
};

/* The scope of the `eval` flag named flag (without dashes, as lb_eval_job_set takes it; NULL:
 * LB_EVAL_FLAG_BOTH). LB_EVAL_FLAG_SAMPLING: model, tokenizer, template, n, limit,
 * temperature, top-k, top-p, min-p, max-length, max-new-tokens, stop, seed, batch, kv-budget,
 * adaptive-temperature, confidence, confidence-threshold, low-temperature, greedy-too (data,
 * data-format: the items --samples joins; threads, quiet, verbose: both). LB_EVAL_FLAG_SAMPLES:
 * text-field, id-field, reference-field, keywords-field, prompt-field, greedy-field,
 * allow-duplicates. The one list the CLI and lb_eval_job_eval check flags against. */
LB_API int lb_eval_flag_scope(const char *flag);

/* `eval`'s rule for its flags and --samples: with samples (the file; NULL: not given),
 * sampling_flag (the first LB_EVAL_FLAG_SAMPLING flag given, as the caller names it: "--top-p",
 * "-n"; NULL: none) is refused: LB_EINVAL "<flag> does not apply to --samples FILE (the
 * answers are the file's; nothing is sampled)"; without samples, samples_flag (an
 * LB_EVAL_FLAG_SAMPLES flag given, "--text-field"; NULL: none) is: LB_EINVAL "<flag> needs
 * --samples FILE". Returns 0 or LB_EINVAL with err filled. */
LB_API int lb_eval_samples_check(const char *samples, const char *sampling_flag,
                                 const char *samples_flag, lb_error_t *err);

/* `eval --samples FILE`: read, score and group the sample lines of cfg->path (the shapes of
 * `score --text-field`: a string, an array of strings, an array of objects with "text") into r
 * (n_items, ids, questions, n, scores, greedy, samples_sha256 of the bytes read) and write the
 * scored lines to r->out_dir/samples.jsonl (atomically). cfg names the fields and the metric;
 * o the greedy field, duplicates and the data set to join (docs/evaluation.md, 'Input
 * files'). Refused, naming FILE:LINE: a greedy line with more or less than one answer, a
 * greedy field no line has, duplicated lines or (id, "sample") pairs (unless
 * o->allow_duplicates), integer and string ids in one file, one id with different references,
 * an empty keyword list, ids with different sample counts. Returns 0, or LB_EINVAL/LB_EFORMAT
 * naming "FILE:LINE", LB_EIO, LB_ENOMEM. Then lb_eval_bounds. */
LB_API int lb_eval_from_samples(lb_eval_result_t *r, const lb_score_cfg_t *cfg,
                                const lb_eval_samples_opts_t *o, lb_error_t *err);

/* Write r->out_dir/report.json (the `bound` document (docs/bounds.md) with "question" and
 * "greedy" added to each prompt and an "eval" object of settings), report.md and the SVG plots
 * (density.svg, ecdf.svg, ed.svg) of a bounded r. Each file is written atomically. Returns 0 or
 * an LB_E* code with err set. */
LB_API int lb_eval_write_reports(const lb_eval_result_t *r, lb_error_t *err);

/* ---- provenance -------------------------------------------------------------------------- */

/* Where a report came from, as a new JSON object: "leakbound_version", "argv" (argv[0..argc),
 * the whole command line as the caller gives it), "isa", then, when model_dir is not NULL,
 * "model", "model_sha256" (model_sha, or lb_model_sha256 of model_dir when NULL) and, when the
 * folder holds a leakbound_run.json, "model_run": {"file", "sha256", and its leakbound_version,
 * model_sha256, data_sha256, seed, final_step, kept_step, method}; when data_path is not NULL,
 * "data" and "data_sha256": data_sha, else the file's hash when it is a regular file, else null.
 * Returns NULL with err set (LB_EIO naming the file, LB_ENOMEM). docs/evaluation.md,
 * 'Provenance'. */
LB_API json_t *lb_eval_provenance(int argc, char *const *argv, const char *model_dir,
                                  const char *model_sha, const char *data_path,
                                  const char *data_sha, lb_error_t *err);

/* `leakbound bound` with its provenance: lb_report_bound_file with the document's
 * "provenance" from lb_eval_provenance(argc, argv, NULL, NULL, path, the hash of the bytes
 * read), argv[0..argc) the command line to record (the CLI's own, or what a binding calls the
 * equivalent command). Arguments, output and errors as lb_report_bound_file's. */
LB_API int lb_eval_bound_file(int argc, char *const *argv, const char *path,
                              const lb_report_bound_opts_t *o, int threads,
                              lb_report_write_fn write, void *write_ctx, int *read_failed,
                              lb_error_t *err);

/* ---- the eval flow (`leakbound eval` and lb_eval_job_eval) -------------------------------- */

/* Where lb_eval_flow_run stopped (lb_eval_flow_t.stage): a check of the flags (a usage error),
 * opening the judge, lb_eval_load or the loaded hook (both before the ranks meet), or the run
 * (from lb_eval_check_items on). */
enum { LB_EVAL_FLOW_CHECK = 1, LB_EVAL_FLOW_JUDGE, LB_EVAL_FLOW_LOAD, LB_EVAL_FLOW_RUN };

/* One `eval` run's settings beyond lb_eval_opts_t, its transport hooks and what it reports
 * back. Zero-initialize, then set the inputs. */
typedef struct lb_eval_flow {
    /* inputs */
    const char *out_dir;             /* --out DIR (NULL: "--out DIR is required") */
    int io_flags;                    /* lb_io_dir_begin's flags (LB_IO_WAIT, LB_IO_NOLOCK) */
    int argc;                        /* the command line lb_eval_provenance records */
    char *const *argv;
    int metric_given, strip_given, harm_given; /* --metric, --strip-prefix, --harm-rate given */
    const char *judge_dir;           /* --judge DIR (opened with judge_opts on rank 0) */
    lb_judge_opts_t judge_opts;
    int rank, ranks;                 /* this process and the job's processes (0 and 1: alone);
                                        only rank 0 opens the judge, scores and writes */
    lb_eval_hooks_t hooks;           /* user; progress; group: rank 0, each scored group before
                                        samples.jsonl gets it; sampler (NULL: lb_sampler_run) */
    /* after lb_eval_load (NULL: none): print what loading found; non-zero (an LB_E* code
       with err filled) stops the run */
    int (*loaded)(void *user, const lb_eval_ctx_t *ctx, lb_error_t *err);
    /* collective (NULL: returns rc): every rank's outcome of lb_eval_check_items (rc, err);
       returns 0 when every rank may go on, else an LB_E* code with err filled */
    int (*ready)(void *user, int rc, const lb_eval_ctx_t *ctx, const lb_eval_opts_t *o,
                 lb_error_t *err);
    /* collective (NULL: returns rc): rank 0's outcome of opening its outputs, on every rank */
    int (*go)(void *user, int rc);
    /* the provenance object, lb_eval_provenance's arguments after argv (NULL: that function
       with argc/argv); a NULL return has err set */
    json_t *(*provenance)(void *user, const char *model_dir, const char *model_sha,
                          const char *data_path, const char *data_sha, lb_error_t *err);
    /* outputs */
    int stage;                       /* LB_EVAL_FLOW_*: where a failure happened */
    char tmp_dir[4096];              /* the temporary folder (for lb_io_dir's error paths) */
    lb_judge_t *judge;               /* the judge opened (lb_eval_flow_free closes it) */
} lb_eval_flow_t;

/* `leakbound eval` without --samples, as one flow: the checks (metric and out given, n != 0,
 * --harm-rate with the judge only; the phi template strips "Answer:" unless strip_given),
 * the judge (rank 0: opened and hashed with lb_judge_sha256), model, data and n >= 0 required,
 * lb_eval_load (ctx, reset first) and f->loaded, lb_eval_check_items and f->ready; rank 0 then
 * makes the provenance, begins the atomic folder out_dir (lb_io_dir_begin with io_flags) and
 * opens its samples.jsonl; f->go; lb_eval_run over f->hooks.sampler (rank 0 writes each group
 * to samples.jsonl after f->hooks.group); rank 0 writes the reports and commits the folder.
 * Other ranks only sample: they write nothing. r (reset first) and ctx are the caller's to
 * free (lb_eval_result_free, lb_eval_ctx_free) whatever the outcome, the judge with
 * lb_eval_flow_free. Returns 0 or an LB_E* code with err filled and f->stage set (LB_ECANCELED
 * when a hook stopped it); on failure out_dir is as it was. */
LB_API int lb_eval_flow_run(lb_eval_flow_t *f, lb_eval_opts_t *o, lb_eval_ctx_t *ctx,
                            lb_eval_result_t *r, lb_error_t *err);

/* `leakbound eval --samples FILE` (so->path), as one flow (the caller has checked its flags
 * with lb_eval_samples_check): r set up from o (lb_eval_result_init; o must outlive r); the
 * checks (stage LB_EVAL_FLOW_CHECK: f->metric_given, "--metric M is required", and
 * f->out_dir, "--out DIR is required"); a rank other than 0 then returns 0 (nothing to share);
 * the lb_score_cfg_t of so's fields, o->metric and o->score (lb_score_set_field; --metric
 * judge: f->judge_dir needed, "--metric judge needs --judge DIR (the judge model)", stage
 * CHECK, and opened with f->judge_opts into f->judge, stage LB_EVAL_FLOW_JUDGE; the reports
 * have no judge section); then (stage LB_EVAL_FLOW_RUN) the provenance (with so->data_path),
 * the atomic folder f->out_dir (lb_io_dir_begin with f->io_flags; r->out_dir is its temporary
 * folder, f->tmp_dir too), lb_eval_from_samples, lb_eval_bounds, lb_eval_write_reports, then
 * the folder committed. r is the caller's to free (lb_eval_result_free) whatever the
 * outcome, the judge with lb_eval_flow_free. Of f, out_dir, io_flags, argc/argv,
 * metric_given, judge_dir, judge_opts, rank, provenance, hooks.user, hooks.samples_progress
 * (as the lines are read and scored; a non-zero return: LB_ECANCELED, out_dir as it was) and
 * hooks.warn (with a judge metric: the judge's label warning, once the lines are scored, also
 * when one failed after the judge ran; then --data's lenient-CSV note, also when a line or
 * the bounds failed after --data was read) are read. Returns 0 or an LB_E* code with err
 * filled and f->stage set; on failure out_dir is as it was. */
LB_API int lb_eval_flow_samples(lb_eval_flow_t *f, const lb_eval_opts_t *o,
                                const lb_eval_samples_opts_t *so, lb_eval_result_t *r,
                                lb_error_t *err);

/* The bundled default (`leakbound eval` without --model and --data: a small model unlearned
 * with gradient difference and its forget set, in the folder dir, examples/default), applied
 * to o and f: o->model dir/model and o->data dir/forget.jsonl (written into buf, cap bytes,
 * which must outlive o) and, unless the caller gave them, --template phi (tmpl_given 0),
 * -n 64 (o->n < 0), --top-p 0.9 (o->have_p 0), --max-new-tokens 56 (neither have_max_new nor
 * have_max_len), --metric as o->metric holds it (f->metric_given set; rougeL-recall by
 * default) and --out eval-default (f->out_dir NULL). Returns 0, or LB_EINVAL when the two
 * paths do not fit in buf (o and f then unchanged). */
LB_API int lb_eval_default_apply(lb_eval_opts_t *o, lb_eval_flow_t *f, const char *dir,
                                 int tmpl_given, char *buf, size_t cap, lb_error_t *err);

/* Close the judge lb_eval_flow_run opened (NULL or none: nothing). */
LB_API void lb_eval_flow_free(lb_eval_flow_t *f);

/* ---- the sample flow (`leakbound sample -o FILE` and lb_eval_job_sample) ------------------ */

/* One `sample -o FILE` run's settings beyond lb_eval_opts_t, its transport hooks and what it
 * reports back. Zero-initialize, then set the inputs. */
typedef struct lb_eval_sample_flow {
    /* inputs */
    const char *out;                 /* -o FILE (NULL: "-o FILE is required") */
    int resume;                      /* --resume: keep FILE's complete groups, sample the rest */
    int io_flags;                    /* lb_io_lock_acquire's flags (LB_IO_WAIT, LB_IO_NOLOCK) */
    int rank, ranks;                 /* this process and the job's processes (0 and 1: alone);
                                        only rank 0 locks, reads and writes FILE (ranks is not
                                        read by the flow: the transport hooks know it) */
    lb_eval_hooks_t hooks;           /* user; progress; group: rank 0, each group before FILE
                                        gets it (NULL: none); sampler (NULL: lb_sampler_run) */
    /* after lb_eval_load (NULL: none): print what loading found; non-zero (an LB_E* code
       with err filled) stops the run */
    int (*loaded)(void *user, const lb_eval_ctx_t *ctx, lb_error_t *err);
    /* collective (NULL: returns rc): called once this rank is loaded, with rc 0 or the
       flow's own LB_ENOMEM (a failed check or load returns before it: the caller tells the
       other ranks); returns 0 when every rank may go on, else an LB_E* code with err filled */
    int (*ready)(void *user, int rc, const lb_eval_ctx_t *ctx, const lb_eval_opts_t *o,
                 lb_error_t *err);
    /* collective (NULL: returns rc): rank 0's outcome of opening FILE, on every rank */
    int (*go)(void *user, int rc);
    /* collective (NULL: one process): rank 0's n bytes of buf to every rank (done[] of the
       n_items questions: 1 where FILE already holds the complete group) */
    void (*bcast)(void *user, void *buf, size_t n);
    /* rank 0, resume (NULL: none): each complete group FILE already holds, with hooks.user,
       as lb_eval_sample_resume_scan finds it (FILE's bytes of the group: no second read) */
    lb_eval_resumed_fn resumed;
    /* every rank, after go and before the run (NULL: none): what is left, as n_done and n_todo
       below; non-zero (an LB_E* code with err filled) stops the run */
    int (*started)(void *user, const lb_eval_ctx_t *ctx, size_t n_done, size_t n_todo,
                   lb_error_t *err);
    /* outputs */
    int stage;                       /* LB_EVAL_FLOW_CHECK, _LOAD or _RUN: where a failure was */
    size_t n_done;                   /* questions FILE already held complete (--resume) */
    size_t n_todo;                   /* questions sampled by this run (n_items - n_done) */
} lb_eval_sample_flow_t;

/* `leakbound sample -o FILE`, as one flow: the checks (out, model, data given, n >= 0:
 * LB_EINVAL "-o FILE is required", ..., stage LB_EVAL_FLOW_CHECK), lb_eval_load (ctx, reset
 * first) and f->loaded (stage LB_EVAL_FLOW_LOAD); a failure there returns at once, before any
 * collective hook. Then f->ready (so every rank is set up before rank 0 touches FILE); rank 0
 * takes FILE's lock (lb_io_lock_acquire with io_flags; a second writer is refused, LB_EINVAL
 * "-o: another leakbound run is writing FILE ..."), opens FILE for appending (truncated
 * unless resume: from here a failure leaves FILE with the groups written so far), writes
 * FILE.settings.json (lb_eval_sample_settings, atomically) or with resume checks it
 * (lb_eval_sample_settings_check) and scans FILE (lb_eval_sample_resume_scan: a trailing
 * partial group is cut off); f->go with rank 0's outcome (every rank meets there, also when
 * rank 0 failed); f->bcast of which questions FILE holds; f->started; lb_eval_sample of the
 * other questions over f->hooks.sampler, rank 0 appending each group whole to FILE with fsync
 * (lb_eval_write_group) after f->hooks.group. FILE then holds the bytes one uninterrupted run
 * writes, whatever the ranks and resumes. FILE's lock is released and FILE closed before the
 * return. ctx is the caller's to free (lb_eval_ctx_free) whatever the outcome. Returns 0 or an
 * LB_E* code with err filled and f->stage set (LB_ECANCELED when a hook stopped it: FILE keeps
 * the groups completed, for a resume): those of lb_eval_load, lb_eval_sample_settings(_check),
 * lb_eval_sample_resume_scan and lb_eval_sample; LB_EINVAL for a FILE path too long for its
 * settings file; LB_EIO naming FILE for a failed open, write or close; LB_ENOMEM. With resume,
 * the scan hands f->resumed each complete group FILE held (its bytes: no second read). */
LB_API int lb_eval_sample_flow_run(lb_eval_sample_flow_t *f, lb_eval_opts_t *o, lb_eval_ctx_t *ctx,
                                   lb_error_t *err);

/* ---- a run by flag names (Python, other bindings) ----------------------------------------- */

/* The files `leakbound eval --out DIR` owns in DIR (NULL-terminated): a new run replaces them
 * as a set (lb_io_dir_begin's owned list). */
LB_API extern const char *const lb_eval_out_files[];

/* Set the option named by `leakbound sample`/`eval` flag (without the dashes: "top-p",
 * "max-new-tokens", "metric", "threshold", ...) from its text value, checked as the CLI checks
 * it (same range and message, "--FLAG: expected ..., got 'VALUE'"). Flags without a value
 * ("adaptive-temperature", "verbose", "greedy-too") take NULL or "". Repeatable flags ("stop",
 * "threshold", "strip-prefix") add one value per call. String values (template, stop,
 * strip-prefix) are kept by pointer: value must outlive o. model, data, tokenizer, out, judge*
 * and threads are not options of o (lb_eval_job_set takes them). Returns 0, or LB_EINVAL naming
 * the flag and the allowed range, or an unknown flag. */
LB_API int lb_eval_opts_set(lb_eval_opts_t *o, const char *flag, const char *value,
                            lb_error_t *err);

/* A run configured by flag names and owning everything it needs: what Python's
 * leakbound.sample and leakbound.eval call. Opaque; not thread-safe; one run per job. */
typedef struct lb_eval_job lb_eval_job_t;

/* A new job with the CLI's defaults (n unset). Returns 0 or LB_ENOMEM. Free with
 * lb_eval_job_free. */
LB_API int lb_eval_job_new(lb_eval_job_t **out, lb_error_t *err);

/* Release the job and everything it holds (NULL: nothing). */
LB_API void lb_eval_job_free(lb_eval_job_t *j);

/* Set a flag as lb_eval_opts_set does, value copied into the job; also "model", "data",
 * "tokenizer", "out" (eval's output folder), "output" (sample's -o FILE: lb_eval_job_sample
 * then writes FILE; lb_eval_job_eval refuses it), "resume" (sample's --resume), "threads"
 * (1..1024), "n", "judge" (the judge folder), "judge-template", "judge-labels",
 * "judge-tokenizer", "judge-batch" (1..4096) and "wait" (wait for the lock of out or output);
 * and `eval --samples FILE`'s "samples" (FILE: lb_eval_job_eval then runs that flow, "data"
 * and "data-format" the items it joins), "text-field", "id-field", "reference-field",
 * "keywords-field", "prompt-field", "greedy-field" and "allow-duplicates". "resume", "wait"
 * and "allow-duplicates" take no value (one given is ignored). Returns 0, LB_EINVAL (as
 * lb_eval_opts_set: a bad value or an unknown flag; also after the job has run, and past 256
 * values set on one job), LB_ENOMEM. */
LB_API int lb_eval_job_set(lb_eval_job_t *j, const char *flag, const char *value, lb_error_t *err);

/* `leakbound sample`: load (lb_eval_load) and sample every item, keeping each item's
 * samples.jsonl lines (lb_eval_format_group, the greedy line first with greedy-too) in the job.
 * With "output" (or "resume") set, `sample -o FILE [--resume]` as the CLI runs it
 * (lb_eval_sample_flow_run, one process): FILE and FILE.settings.json get the CLI's bytes,
 * FILE is locked while the job writes it, and with "resume" only the items FILE does not hold
 * complete are sampled; the job keeps every item's lines either way (a group FILE already held:
 * FILE's bytes of it, as the resume scan read them); "resume" without "output" is LB_EINVAL
 * "-o FILE is required".
 * progress (may be NULL) is called with user as the sampler reports; non-zero stops the run
 * (LB_ECANCELED; FILE keeps the groups completed). Returns 0 or an LB_E* code with err
 * filled (model, data and n not set: LB_EINVAL; then as lb_eval_load, lb_eval_sample,
 * lb_eval_sample_flow_run); a job runs once: a second run, also after a failed one, is
 * LB_EINVAL. */
LB_API int lb_eval_job_sample(lb_eval_job_t *j, lb_eval_progress_fn progress, void *user,
                              lb_error_t *err);

/* `leakbound eval`: the flags' scopes first (lb_eval_samples_check with the first
 * LB_EVAL_FLAG_SAMPLING flag set and the last LB_EVAL_FLAG_SAMPLES flag set, named "--FLAG"
 * or "-n"). With "samples" set: `eval --samples FILE` (lb_eval_flow_samples, one process; no
 * model, n or sampling flags): the same files the CLI writes for the same flags, the scores
 * in the job (lb_eval_job_scores; lb_eval_job_lines is NULL); lb_eval_job_sample refuses
 * "samples" and its fields. Else the checks of the CLI (model, data, n >= 1, metric and out
 * given, no output or resume; --harm-rate with the judge only; the phi template strips
 * "Answer:" unless strip-prefix was set), the judge (opened and hashed: lb_judge_sha256),
 * lb_eval_load, lb_eval_check_items, provenance (lb_eval_provenance of argv[0..argc) with
 * "tokenizer" when set), lb_eval_run, and
 * samples.jsonl, report.json, report.md and the plots written into out as one atomic set
 * (lb_io_dir_*): the files the CLI writes for the same flags. Scores stay in the job
 * (lb_eval_job_scores). progress (may be NULL) is called with user as the sampler reports;
 * with "samples", as the file is read (lb_eval_flow_samples's samples_progress) with p's
 * prompts_done and prompts_total FILE's bytes read and its size (0 while unknown, a pipe),
 * samples_done the answers scored, samples_per_s their rate, eta_s the time left at the bytes'
 * rate (0 while the size is unknown), tokens 0. Returns 0 or an LB_E* code with err filled
 * (LB_ECANCELED when progress stopped it: out untouched). */
LB_API int lb_eval_job_eval(lb_eval_job_t *j, int argc, char *const *argv,
                            lb_eval_progress_fn progress, void *user, lb_error_t *err);

/* After a run: the items loaded (P; with "samples": the file's ids). 0 before. */
LB_API size_t lb_eval_job_n_items(const lb_eval_job_t *j);

/* After lb_eval_job_sample or lb_eval_job_eval: item p's samples.jsonl lines (the bytes the CLI
 * writes for it, each ending in a newline; eval's with scores; a group a resumed FILE already
 * held: FILE's bytes of it), *len their length; NULL when p >= P or the item's group did not
 * complete. Owned by the job. */
LB_API const char *lb_eval_job_lines(const lb_eval_job_t *j, size_t p, size_t *len);

/* After lb_eval_job_eval: the (P, n) score matrix (row-major), *n_out samples per prompt, and
 * *greedy the (P,) greedy scores; NULL before (or after lb_eval_job_sample). Owned by the job. */
LB_API const double *lb_eval_job_scores(const lb_eval_job_t *j, size_t *n_out,
                                        const double **greedy);

/* After lb_eval_job_eval with a judge metric: the judge's label warning of the run (the text
 * of lb_judge_mass_warning, which `leakbound eval` prints after "leakbound eval: warning: ")
 * when its labels are unlikely, also when the run failed after the judge ran; NULL when there
 * is none. Owned by the job. */
LB_API const char *lb_eval_job_warning(const lb_eval_job_t *j);

/* After lb_eval_job_sample or lb_eval_job_eval: the data set's lenient-CSV note of the run
 * (lb_data_lenient_warning's text, which `leakbound sample`/`eval` print after "leakbound
 * CMD: warning: ") when the CSV reader skipped blanks around quoted fields, also when the run
 * failed after the data set was read; NULL when there is none. Owned by the job. */
LB_API const char *lb_eval_job_data_warning(const lb_eval_job_t *j);

#ifdef __cplusplus
}
#endif
#endif
