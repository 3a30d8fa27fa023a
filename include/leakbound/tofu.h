/*
 * leakbound/tofu.h — TOFU's standard unlearning metrics on the engine `eval` uses: answer
 * probability, truth ratio, ROUGE-L recall of the greedy answer, exact memorisation,
 * extraction strength, membership inference (loss, zlib, min-k%, min-k%++ AUCs), privleak,
 * forget quality (KS test against a retain model) and model utility. Definitions and where
 * they follow locuslab/tofu and locuslab/open-unlearning: docs/tofu.md.
 *
 * Contract
 * - Text and labels as TOFU's data collator: question part = the rendered template
 *   (phi: "Question: {q}\n"); full text = question part + answer tag ("Answer: " with phi,
 *   "" otherwise) + answer, encoded as one string (special tokens added except for chat
 *   templates); labels = the full text's tokens after the question part's token count, plus one
 *   EOS when the text is shorter than max_length (one of exactly max_length tokens gets none).
 *   A longer text is cut at max_length with no EOS (the item is counted as truncated). A text whose question part alone leaves no label
 *   is an error naming the item.
 * - Teacher forcing is batched: several sequences per forward pass (up to batch_tokens tokens),
 *   no padding; every per-token quantity is taken from that one pass.
 * - Per-token statistics that open-unlearning takes from tokenwise_logprobs (exact
 *   memorisation, extraction strength, min-k%, min-k%++) drop the last label (its EOS
 *   prediction), as open-unlearning does; avg_nll, probability and truth ratio use every label.
 * - The greedy answer: lb_sampler_run (argmax, batched, the same path as `eval`'s greedy),
 *   max_new_tokens new tokens at most, ended by an eos id.
 * - lb_tofu_run allocates its buffers before the first forward pass; no allocation per token.
 * - Nothing is written by lb_tofu_run; the writers below produce tofu.json, tofu.md and
 *   items.jsonl (each atomically; the CLI puts them in one atomic folder).
 */
#ifndef LEAKBOUND_TOFU_H
#define LEAKBOUND_TOFU_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "leakbound/core.h"
#include "leakbound/data.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LB_TOFU_MAX_SPLITS 8

typedef enum lb_tofu_role {
    LB_TOFU_FORGET = 0,  /* truth ratio aggregated closer-to-1; MIA members */
    LB_TOFU_RETAIN,      /* truth ratio aggregated true-better; model utility */
    LB_TOFU_HOLDOUT,     /* MIA non-members */
    LB_TOFU_UTILITY      /* further model-utility splits (real authors, world facts) */
} lb_tofu_role_t;

/* Metric groups (bits of lb_tofu_opts_t.metrics). */
#define LB_TOFU_PROBABILITY 1u  /* avg_nll, probability */
#define LB_TOFU_TRUTH_RATIO 2u  /* needs paraphrased_answer (forget, retain) and perturbed_answer */
#define LB_TOFU_ROUGE 4u        /* greedy generation + ROUGE-L recall */
#define LB_TOFU_MEMORIZATION 8u /* exact memorisation, extraction strength */
#define LB_TOFU_MIA 16u         /* loss, zlib, min-k, min-k++ AUCs and privleak (needs holdout) */
#define LB_TOFU_ALL 31u

typedef struct lb_tofu_split_spec {
    const char *name;    /* "forget", "retain", "holdout" or the --utility NAME */
    const char *path;
    lb_tofu_role_t role;
} lb_tofu_split_spec_t;

typedef struct lb_tofu_opts {
    const char *model_dir;
    const char *template_spec;      /* "phi" (default), "raw", "llama2", "chat", a literal */
    lb_tofu_split_spec_t splits[LB_TOFU_MAX_SPLITS];
    int n_splits;                   /* exactly one forget split is required */
    const char *retain_model_dir;   /* NULL: forget quality null, privleak against AUC 0.5 */
    const char *reference_path;     /* a previous tofu.json of the retain model (items.jsonl
                                       beside it), instead of retain_model_dir */
    long max_length;                /* 0: the model's context */
    long max_new_tokens;            /* default 200 */
    unsigned metrics;               /* 0: every group the inputs allow; else exactly these */
    double min_k;                   /* min-k% share, default 0.4 */
    long batch_tokens;              /* tokens per teacher-forced forward pass, default 2048,
                                       lowered so one pass's logits stay within 256 MiB */
    const int32_t *eos;             /* (n_eos,) ids ending a greedy answer; NULL (or n_eos 0):
                                       model_dir's (lb_sample_genconf_read: generation_config.json,
                                       else config.json; none there: config.json's one) */
    int n_eos;
    const char *strip;              /* prefix removed from a greedy answer before ROUGE;
                                       NULL: lb_score_default_strip of the
                                       template ("Answer:" with phi), else none */
} lb_tofu_opts_t;

/* Defaults: template phi, max_new_tokens 200, min_k 0.4, batch_tokens 2048, the rest 0/NULL. */
LB_API lb_tofu_opts_t lb_tofu_opts_default(void);

/* Set one of `tofu`'s numeric or list flags by its name, as the CLI spells it: "max-length"
 * (an integer in [2, 2097152]), "max-new-tokens" and "batch-tokens" (integers in [1, 1048576]),
 * "min-k" (a share in (0, 1]), "metrics" (a comma-separated list of lb_tofu_metric_bit's group
 * names, not empty; replaces the set). Returns 0, or LB_EINVAL naming the flag and the allowed
 * values (o unchanged), or for an unknown flag name. */
LB_API int lb_tofu_opts_set(lb_tofu_opts_t *o, const char *flag, const char *value,
                            lb_error_t *err);

/* Check the options together: retain_model_dir and reference_path exclude each other. Returns
 * 0 or LB_EINVAL ("--retain-model and --reference exclude each other"); lb_tofu_run runs it. */
LB_API int lb_tofu_opts_check(const lb_tofu_opts_t *o, lb_error_t *err);

/* Progress: stage ("teacher forcing <split>", "greedy <split>", "retain model"), done/total
 * units of that stage. Called from the calling thread. */
typedef struct lb_tofu_hooks {
    void (*progress)(void *user, const char *stage, size_t done, size_t total);
    void *user;
} lb_tofu_hooks_t;

/* One item of one split. A value not computed is NaN (written as null). */
typedef struct lb_tofu_item {
    const char *id;                 /* points into the split's dataset */
    int labels;                     /* label tokens of the reference answer */
    int truncated;                  /* cut at max_length (no EOS label) */
    double avg_nll, probability;
    double truth_ratio;             /* exp(-mean_j nll(pert_j)) / (exp(-nll(correct)) + 1e-10) */
    double normalized_probability;  /* p / (p + sum_j p_pert_j + 1e-10) (utility splits) */
    double rougeL_recall;
    double exact_memorization, extraction_strength;
    double mia_loss, mia_zlib, mia_min_k, mia_min_k_plus_plus;  /* attack scores */
    char *generation;               /* greedy answer as generated (NULL when off) */
} lb_tofu_item_t;

typedef struct lb_tofu_split_result {
    char *name, *path;
    lb_tofu_role_t role;
    char sha256[65];
    lb_dataset_t ds;
    size_t n;
    lb_tofu_item_t *items;          /* (n) */
    size_t n_truncated;
    unsigned metrics;               /* groups computed for this split */
    double probability, truth_ratio, rougeL_recall, exact_memorization, extraction_strength;
    char why_truth_ratio[160];      /* why truth_ratio is null, when it is */
} lb_tofu_split_result_t;

typedef struct lb_tofu_result {
    lb_tofu_split_result_t splits[LB_TOFU_MAX_SPLITS];
    int n_splits;
    long max_length;                /* the one used */
    const char *template_name;
    const char *strip;
    double forget_quality, ks_statistic;
    int ks_exact;
    size_t reference_n;             /* forget truth ratios of the retain model */
    char why_forget_quality[256];
    double model_utility;
    char why_model_utility[256];
    double mia[4];                  /* loss, zlib, min_k, min_k_plus_plus */
    char why_mia[256];
    double privleak, privleak_ref_auc;
    char why_privleak[256];
    double seconds_forward, seconds_generate;
    size_t tokens_forward, tokens_generated;
    char model_sha_tokenizer[65];
} lb_tofu_result_t;

/* Run every metric for opts on the model (and the retain model, or read the reference). A
 * greedy answer ends at opts->eos, or when none is given at the model folder's EOS ids as
 * `leakbound sample` reads them (lb_sample_genconf_read), as `leakbound tofu` does.
 * *res needs no initialisation; release it with lb_tofu_result_free (also after a failure).
 * Errors (the message names the file, line and item): LB_EINVAL (bad options, an item lacking
 * a field a requested metric needs, an empty perturbed list, a question filling max_length,
 * a retain model with another tokenizer, a malformed reference), LB_EIO, LB_EFORMAT,
 * LB_EUNSUPPORTED (model or tokenizer), LB_ENOMEM. */
LB_API int lb_tofu_run(const lb_tofu_opts_t *opts, const lb_tofu_hooks_t *hooks,
                       lb_tofu_result_t *res, lb_error_t *err);

/* Free what lb_tofu_run put in *res (splits, items, generations, datasets) and zero it; NULL
 * is a no-op. */
LB_API void lb_tofu_result_free(lb_tofu_result_t *res);

/* The result as the tofu.json document (a new reference): splits, forget_quality,
 * model_utility, mia, privleak, each null with a "why_<name>" beside it when not computed;
 * settings; provenance (borrowed, added with a new reference; may be NULL). */
LB_API json_t *lb_tofu_json(const lb_tofu_result_t *res, const lb_tofu_opts_t *opts,
                            json_t *provenance);

/* Write dir/tofu.json, dir/tofu.md and dir/items.jsonl, each atomically. Returns 0, LB_EIO
 * (naming the file) or LB_ENOMEM. */
LB_API int lb_tofu_write(const lb_tofu_result_t *res, const lb_tofu_opts_t *opts,
                         json_t *provenance, const char *dir, lb_error_t *err);

/* Where lb_tofu_run_to_dir failed (lb_tofu_dir_t.stage). */
enum { LB_TOFU_DIR_CHECK = 1, LB_TOFU_DIR_RUN, LB_TOFU_DIR_OUT };

/* The output folder of `leakbound tofu` (lb_tofu_run_to_dir). */
typedef struct lb_tofu_dir {
    const char *out_dir;
    int io_flags;              /* lb_io_dir_begin's: 0, LB_IO_WAIT, LB_IO_NOLOCK */
    /* tofu.json's provenance, built after the run (the caller's: lb_eval_provenance sits above
       tofu); returns a new reference, or NULL with err set. NULL: no provenance. */
    json_t *(*provenance)(void *user, lb_error_t *err);
    void *user;
    /* out */
    int stage;                 /* LB_TOFU_DIR_*: where a failure happened */
    char tmp_dir[4096];        /* the temporary folder (for lb_io_dir's error paths) */
} lb_tofu_dir_t;

/* `leakbound tofu` as one call: the options' check (LB_EINVAL "--metrics mia needs --holdout
 * FILE" when opts->metrics asks for mia and no split is the holdout; stage LB_TOFU_DIR_CHECK),
 * lb_tofu_run and d->provenance (stage LB_TOFU_DIR_RUN), then lb_io_dir_begin(d->out_dir, the
 * set tofu.json, tofu.md, items.jsonl, d->io_flags; LB_EINVAL there prefixed "--out: "),
 * lb_tofu_write into its temporary folder and lb_io_dir_commit (stage LB_TOFU_DIR_OUT). The EOS
 * ids as lb_tofu_run takes them (opts->eos, else the model folder's). *res
 * as lb_tofu_run's (release it with lb_tofu_result_free, also after a failure). On failure
 * out_dir is as it was. Errors: those of the calls named. */
LB_API int lb_tofu_run_to_dir(const lb_tofu_opts_t *opts, const lb_tofu_hooks_t *hooks,
                              lb_tofu_dir_t *d, lb_tofu_result_t *res, lb_error_t *err);

/* The metric group named name ("probability", "truth_ratio", "rouge", "memorization", "mia")
 * as its bit; 0 when unknown. */
LB_API unsigned lb_tofu_metric_bit(const char *name);

#ifdef __cplusplus
}
#endif
#endif
