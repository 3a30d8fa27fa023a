/*
 * leakbound/train_run.h — whole training runs on top of train.h: TOFU encoding (docs/training.md),
 * the finetune / unlearn loop with its schedule and data order, checkpoints that survive a
 * kill, and fresh random models for training from scratch.
 *
 * Contract
 * - Encoding: text = prompt + answer_prefix + answer, encoded with the tokenizer's special
 *   tokens, then EOS; truncated to T tokens and right-padded with EOS. Labels are the tokens
 *   except -100 on the first len(encode(prompt)) positions and on padding. lens counts the
 *   real tokens (EOS included), which attention sees; padding keys are hidden.
 * - Data order: epoch e visits the examples in a Fisher-Yates permutation drawn from
 *   (seed, e); the i-th forget example of epoch e is paired with retain example
 *   hash(seed, e, i) mod n_retain (uniform, independent). Order is a pure function of
 *   (seed, epoch, position), so a resumed run replays it exactly without saved RNG state.
 * - Schedule: an epoch has ceil(n / batch) micro-batches and ceil(that / grad_accum) optimizer
 *   steps; each step averages the gradients of its micro-batches (the last step of an epoch may
 *   have fewer). HF's linear warmup then linear decay to 0 over epochs * steps per epoch.
 * - Checkpoints: <out>/checkpoint-<step>/ holds config.json (the source model's), model.
 *   safetensors (HF names, F32), the tokenizer files, optimizer.safetensors (AdamW moments,
 *   step and run fingerprint in the metadata: every option that shapes the trajectory and the
 *   sha256 of the forget/data and retain files) and train_log.csv so far; the folder is written
 *   under a temporary name, fsync'ed and renamed, so a kill leaves either the whole checkpoint or
 *   none. Resuming from one continues bit-identically to the uninterrupted run (same thread
 *   count). The final model goes to <out>/ (same layout, without optimizer state) with
 *   train_log.csv and loss.svg.
 */
#ifndef LEAKBOUND_TRAIN_RUN_H
#define LEAKBOUND_TRAIN_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "leakbound/core.h"
#include "leakbound/data.h"
#include "leakbound/tokenizer.h"
#include "leakbound/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The run record finetune/unlearn write into their output folder (docs/training.md). */
#define LB_TRAIN_RUN_FILE "leakbound_run.json"

/* Encoded examples. */
typedef struct lb_train_rows {
    int32_t *tokens;   /* (n, T) */
    int32_t *labels;   /* (n, T) */
    int *lens;         /* (n,) */
    size_t n;
    int T;
} lb_train_rows_t;

/* Encode every item of ds (each needs an answer) as the contract says. path names ds in
 * messages. Errors: LB_EINVAL (an item without answer, naming path and line; a template
 * failure), LB_ENOMEM. out owns malloc'd arrays (lb_train_rows_free). */
LB_API int lb_train_encode(const lb_tokenizer_t *tok, const lb_template_t *tpl,
                           const char *answer_prefix, const lb_dataset_t *ds, const char *path,
                           int T, int32_t eos, lb_train_rows_t *out, lb_error_t *err);
/* Free the three arrays and zero *r; NULL is a no-op. */
LB_API void lb_train_rows_free(lb_train_rows_t *r);

/* Permutation of 0..n-1 for epoch e (perm (n,)), and the retain partner of position i. */
LB_API void lb_train_epoch_order(uint64_t seed, long epoch, size_t n, size_t *perm);
/* The retain example paired with forget position i of epoch `epoch`: hash(seed, epoch, i)
 * mod n_retain (n_retain >= 1). */
LB_API size_t lb_train_retain_partner(uint64_t seed, long epoch, size_t i, size_t n_retain);

/* What a step reports. */
typedef struct lb_train_progress {
    long step, total_steps;        /* 1-based step just taken */
    long epoch;                    /* 0-based */
    double lr, loss, grad_norm;
    lb_loss_parts_t forget, retain;   /* averaged over the step's micro-batches */
    double tokens_per_s, elapsed_s, eta_s;
    /* NPO's frozen reference (0 otherwise): bytes of its matrices read in place from the
     * file's mapping in its dtype, and bytes widened to fp32 (vectors; misaligned matrices). */
    size_t ref_mapped_bytes, ref_widened_bytes;
    lb_dtype_t ref_dtype;
} lb_train_progress_t;

/* What a finished run reports (lb_train_run_opts_t.info), for its run record. */
typedef struct lb_train_run_info {
    char model_sha256[65];     /* lb_model_sha256 of model_dir, the starting model */
    char data_sha256[65];      /* of the data (forget) bytes loaded */
    char retain_sha256[65];    /* of the retain bytes loaded; "" when no retain set is used */
    long total_steps;          /* optimizer steps the schedule has */
    long final_step;           /* the last step taken */
    long kept_step;            /* the step whose weights the output folder holds */
    long warmup;               /* resolved warmup steps (one epoch when warmup < 0) */
    int stop_met;              /* 1 when a stop rule is set and the check at kept_step met it
                                  (the output is that check's model), else 0 */
    double kept_greedy;        /* the greedy score of the run's last check (0: no check) */
} lb_train_run_info_t;

typedef struct lb_train_run_opts {
    const char *model_dir;     /* starting model (and NPO's frozen reference) */
    const char *tokenizer;     /* tokenizer.json or its folder; NULL: model_dir's. It is copied
                                  into the output as tokenizer.json (with the folder's
                                  tokenizer_config.json when model_dir has none) */
    const char *out_dir;       /* checkpoint-<step>/ folders go here (created when needed) */
    const char *stage_dir;     /* the final model and train_log.csv go here: a caller's
                                  temporary folder (lb_io_dir_begin) renamed to out_dir when
                                  complete; NULL: out_dir itself */
    const char *resume_dir;    /* a checkpoint-<step> folder, or NULL */
    const char *data_path;     /* finetune data, or the forget set */
    const char *retain_path;   /* unlearning retain set (NULL for finetune) */
    const char *template_spec; /* "phi" (default), "llama2", "raw", or a "{q}" string */
    const char *answer_prefix; /* written before the answer; NULL: "Answer: " for phi, else "" */
    lb_objective_t obj;
    int epochs, batch_size, grad_accum, max_length;
    long warmup;               /* optimizer steps; < 0: one epoch */
    double lr, weight_decay, max_grad_norm;
    uint64_t seed;
    long save_every;           /* steps between checkpoints; 0: none */
    long stop_after;           /* stop (without the final save) after this step; 0: never.
                                  For tests of --resume. */
    void (*on_step)(void *ctx, const lb_train_progress_t *p);
    void *ctx;
    lb_train_run_info_t *info; /* filled by a run that completes (may be NULL) */
    /* Greedy checks and the stop rule. With eval_every K > 0 and check set, after every K-th
       optimizer step and after the final one the run writes the current weights as a complete
       HF folder (F32, no optimizer state) under a temporary name in the stage folder, calls
       check(check_ctx, step, folder, &greedy, err) (nonzero: the run fails with that error),
       removes the folder and appends "step,greedy,stop" to <stage>/eval_log.csv (stop: 1 when
       the rule below holds, else 0). With stop_rule set, the first check whose greedy score
       satisfies it ends the run there: that step's weights are the output (saved as the final
       model is) and train_log.csv ends at that step. The final step is always a candidate;
       when no check satisfies the rule, the output is the final step's model. *kept_step (when
       not NULL) receives the output's step. A resumed run continues the checkpoint's
       eval_log.csv (checkpoints carry a copy). */
    long eval_every;
    int (*check)(void *ctx, long step, const char *model_dir, double *greedy, lb_error_t *err);
    void *check_ctx;
    int stop_rule;             /* 0: none; LB_TRAIN_STOP_AT_MOST: greedy <= stop_at;
                                  LB_TRAIN_STOP_AT_LEAST: greedy >= stop_at */
    double stop_at;
    long *kept_step;
    /* What the caller's check evaluates (lb_eval_check_prepare reads them; the run itself only
       checks that they come with eval_every, lb_train_run_check): */
    const char *check_data;    /* the checks' questions (--eval-data); NULL: none */
    const char *check_metric;  /* rougeL-recall, rougeL-f, rouge1-recall, rouge1-f, keywords or
                                  exact; NULL: not chosen (the checks use rougeL-recall) */
    long check_max_new;        /* the checks' answer length; 0: eval's default */
    int method_given;          /* 1: obj.method was chosen (lb_train_run_opts_default sets 1;
                                  lb_train_run_opts_set "method" and a --config file set it);
                                  0 refuses an unlearning run: the unlearn command clears it so
                                  that its user names the method */
} lb_train_run_opts_t;

enum { LB_TRAIN_STOP_NONE = 0, LB_TRAIN_STOP_AT_MOST = 1, LB_TRAIN_STOP_AT_LEAST = 2 };

/* Fill o with what no flag of `leakbound finetune` (unlearn 0) or `leakbound unlearn` (unlearn 1)
 * means (docs/training.md): template phi, method finetune / GA, lambda 1, beta 0.05, epochs 5 /
 * 10, lr 2e-5 / 1e-5, batch 16, grad_accum 2 / 4, max_length 256, warmup one epoch (-1),
 * weight_decay 0.01, max_grad_norm 1, method_given 1 (the default method counts as chosen);
 * everything else 0 / NULL. */
LB_API void lb_train_run_opts_default(lb_train_run_opts_t *o, int unlearn);

/* The entropy term's retain weight when "entropy" gives only the forget weight: the reference's
 * published hparams.lambda_r (unlearning runs; finetune keeps 0), also the YAML key's default.
 * Unparenthesized so that it can be spelled as text too. */
#define LB_TRAIN_ENTROPY_RETAIN_DEFAULT -0.25

/* Set one option of o by its finetune / unlearn flag name (without "--") from its text, as the
 * command line does; o holds the command's defaults first (lb_train_run_opts_default; an
 * unlearning run is one whose obj.method is not LB_METHOD_FINETUNE). Strings are kept by
 * pointer (value must outlive o). Flags: model, tokenizer, out, resume, template (also resets
 * answer_prefix); finetune's data; unlearn's forget, retain, method (ga|gd|npo), beta (> 0),
 * lambda; entropy ("LF[,LR]", numbers; unlearn: LR defaults to
 * LB_TRAIN_ENTROPY_RETAIN_DEFAULT), entropy-positions (all|answer); integers epochs, batch-size,
 * grad-accum (>= 1), max-length (>= 2), warmup (>= 0), save-every, stop-after, eval-every
 * (>= 1), seed (>= 0), all <= 2^40; numbers lr (> 0), weight-decay, max-grad-norm (>= 0); the
 * checks' eval-data, eval-metric (rougeL-recall, rougeL-f, rouge1-recall, rouge1-f, keywords or
 * exact: not the judge), eval-max-new-tokens (>= 1) and stop-when ("greedy<=X" or "greedy>=X",
 * X in [0, 1]). Errors: LB_EINVAL with the CLI's message ("--epochs: want an integer >= 1, got
 * 'x'", "--forget is unlearn's flag", "--data is finetune's; use --forget", "unknown flag
 * --F"); o is unchanged then except for the flag's own field. */
LB_API int lb_train_run_opts_set(lb_train_run_opts_t *o, const char *flag, const char *value,
                                 lb_error_t *err);

/* The rules that tie o's options together, with the command line's messages, in this order:
 * model_dir, out_dir and data_path are required ("--model, --out and --forget are required");
 * an unlearning run needs method_given ("--method ga|gd|npo is required": set by default,
 * cleared by the unlearn command); eval_every and
 * check_data go together; stop_rule, check_metric and check_max_new need eval_every; an
 * unlearning objective that uses the retain set (lb_objective_needs_retain) needs retain_path.
 * lb_train_run applies them first (then the numeric ranges, and a check function with
 * eval_every). Returns 0 or LB_EINVAL. */
LB_API int lb_train_run_check(const lb_train_run_opts_t *o, lb_error_t *err);

/* Whether greedy satisfies the stop rule (rule, at) as lb_train_run applies it (NaN never does).
 * The one rule `unlearn --stop-when` and `demo` use. */
LB_API int lb_train_stop_met(int rule, double at, double greedy);

/* Run a whole finetune or unlearning run. Errors: those of loading, encoding and training
 * (naming the file), LB_EINVAL (bad options; a resume checkpoint from another run), LB_EIO. */
LB_API int lb_train_run(const lb_train_run_opts_t *o, lb_error_t *err);

/* Where lb_train_run_to_dir failed (lb_train_dir_t.stage). */
enum { LB_TRAIN_DIR_BEGIN = 1, LB_TRAIN_DIR_RUN };

/* The output folder of a whole finetune / unlearn run (lb_train_run_to_dir). */
typedef struct lb_train_dir {
    const char *command;       /* "finetune" or "unlearn": the run record's command */
    int io_flags;              /* lb_io_dir_begin's: 0, LB_IO_WAIT, LB_IO_NOLOCK */
    int argc;                  /* the run record's argv (0, NULL: []) */
    char *const *argv;
    const json_t *file_config; /* the record's YAML keys (lb_train_config_json), may be NULL */
    const lb_train_run_opts_t *record; /* the options the record names (paths as a caller will
                                          show them); NULL: the run's own */
    const char *check_metric;  /* loss.svg's greedy series label (NULL: no checks) */
    /* Writes dir/loss.svg from its train_log.csv and eval_log.csv: lb_report_loss_svg (the
       report module sits above train, so the caller hands it in). NULL: no plot. */
    int (*plot)(const char *dir, const char *check_metric, lb_error_t *err);
    /* out */
    int stage;                 /* LB_TRAIN_DIR_*: where a failure happened */
    int trained;               /* 1 when lb_train_run itself succeeded */
    char tmp_dir[4096];        /* the temporary folder (for lb_io_dir's error paths) */
    lb_train_run_info_t info;  /* what the run resolved (when trained; zero otherwise): kept_step,
                                  stop_met, kept_greedy for the closing verdict */
} lb_train_dir_t;

/* A whole run into o->out_dir as one folder. lb_io_dir_begin(o->out_dir, the run's output set,
 * d->io_flags) (the set: the model files copied from the source, the weights, train_log.csv,
 * eval_log.csv, loss.svg, LB_TRAIN_RUN_FILE; a failure there is stage LB_TRAIN_DIR_BEGIN, nothing
 * written); lb_train_run(o) with stage_dir the temporary folder (o->stage_dir and o->info are
 * replaced by the call's own; o's hooks, checks and kept_step act as given); then d->plot
 * (loss.svg), lb_train_write_record (d->record or o, d->argv, d->file_config,
 * omp_get_max_threads()) and lb_io_dir_commit (a failure from the run on is stage
 * LB_TRAIN_DIR_RUN). With o->stop_after (tests of --resume) the run ends without the final set:
 * no plot, no record, nothing renamed. On failure out_dir is as it was (checkpoints written
 * straight into it stay) and the temporary folder is removed. Errors: those of the calls named. */
LB_API int lb_train_run_to_dir(const lb_train_run_opts_t *o, lb_train_dir_t *d, lb_error_t *err);

/* The resolved configuration of run o (info: what the run resolved, may be NULL) as one flat
 * JSON object, one key per setting (docs/training.md, 'Run record'): command, method, model,
 * data, retain, out, resume, template, epochs, lr, batch_size, grad_accum, max_length, warmup,
 * weight_decay, max_grad_norm, seed, save_every, lambda, beta, entropy_forget, entropy_retain,
 * entropy_positions. Values are strings, numbers or null (a path not given). The one place
 * that names the settings: a new setting is one more line here. command is "finetune" or
 * "unlearn". Returns NULL on out of memory. */
LB_API json_t *lb_train_run_config(const lb_train_run_opts_t *o, const lb_train_run_info_t *info,
                                   const char *command);

/* Write dir/leakbound_run.json (LB_TRAIN_RUN_FILE; atomic: temporary file, rename) for the
 * completed run o: {"format": "leakbound run 1", "leakbound_version": lb_version(), "argv" (argc
 * strings), "config" (lb_train_run_config; when the run came from a YAML file, file_config
 * (lb_train_config_json, may be NULL) adds its resolved keys under the file's own names,
 * "hparams.learning_rate" ...), "model_sha256" (the starting model),
 * "data_sha256" ({"data"} for finetune, {"forget", "retain"} for unlearn; retain only when
 * used), "seed", "threads", "total_steps", "final_step", "kept_step", "log": "train_log.csv",
 * "loss_curve": "loss.svg"}. Errors: LB_EIO naming the file, LB_ENOMEM. */
LB_API int lb_train_write_record(const char *dir, const lb_train_run_opts_t *o,
                                 const lb_train_run_info_t *info, const char *command, int argc,
                                 char *const *argv, const json_t *file_config, int threads,
                                 lb_error_t *err);

/* Write a checkpoint folder dir (atomic: temporary folder, fsync, rename) from the trainer's
 * weights: config.json and tokenizer files copied from src_dir, model.safetensors (F32: the
 * master weights, so that a resume continues bit-identically); with
 * opt_state also optimizer.safetensors (metadata step and fingerprint); log_path (may be NULL)
 * copied as train_log.csv. */
LB_API int lb_train_save(lb_train_t *tr, const char *src_dir, const char *dir, int opt_state,
                         const char *fingerprint, const char *log_path, lb_error_t *err);

/* Architecture shorthand for lb_train_init_model: "L4-D128-H4-KV2-I512-T256" (layers, hidden
 * size, heads, kv heads, MLP width, max positions); any field may be left out (defaults
 * L2 D64 H4 KV=H I=4D (Llama: 8D/3 rounded up to 8) T256). */
typedef struct lb_model_size {
    int layers, hidden, heads, kv_heads, inter, max_pos;
} lb_model_size_t;
/* Parse spec for architecture arch into *out (defaults filled in). Errors: LB_EINVAL naming
 * spec (a field not like L4, a value outside 1..2^20, an unknown field, heads not dividing the
 * hidden size or kv heads not dividing the heads, GPT-2 with kv heads != heads, Phi with a head
 * size not a multiple of 4). */
LB_API int lb_model_size_parse(const char *spec, lb_arch_t arch, lb_model_size_t *out,
                               lb_error_t *err);

/* The size z spelled out in lb_model_size_parse's fields, every one given:
 * "L%d-D%d-H%d-KV%d-I%d-T%d" (layers, hidden, heads, kv heads, MLP width, max positions), as
 * `init` and the demo print it, into buf (cap bytes, cut as snprintf cuts; cap 0 writes
 * nothing). Returns buf. */
LB_API const char *lb_model_size_format(const lb_model_size_t *z, char *buf, size_t cap);

/* A fresh model in HF layout at out_dir: config.json (the family's keys), model.safetensors
 * (F32; matrices N(0, 0.02) as HF's _init_weights, norm weights 1, biases 0, from seed) and the
 * tokenizer file copied as tokenizer.json. vocab: the tokenizer's size; bos/eos ids (-1: none).
 * Errors: LB_EINVAL (sizes: heads must divide hidden, kv heads divide heads; GPT-2 has no
 * GQA), LB_EIO. */
LB_API int lb_train_init_model(lb_arch_t arch, const lb_model_size_t *size, int vocab, int bos,
                               int eos, const char *tokenizer_path, uint64_t seed,
                               const char *out_dir, lb_error_t *err);

/* What `leakbound init` makes (zero-initialize, then set). */
typedef struct lb_train_init_opts {
    lb_arch_t arch;        /* the family (lb_model_arch_parse) */
    const char *size;      /* SHAPE as lb_model_size_parse reads it; NULL or "": the defaults */
    const char *tokenizer; /* a Hugging Face tokenizer.json: the vocabulary, BOS/EOS; copied */
    const char *out;       /* the folder written */
    uint64_t seed;         /* the weights' RNG seed */
} lb_train_init_opts_t;

/* What lb_train_init_dir made, or how far it got. */
typedef struct lb_train_init_info {
    lb_model_size_t size;  /* the size, defaults filled in (lb_model_size_format prints it) */
    int vocab, bos, eos;   /* the tokenizer's size and special ids (lb_train_special_ids) */
    int output;            /* 0: the inputs were refused (a NULL tokenizer or out, the size,
                              the tokenizer; nothing was touched); 1: they were read, and a
                              failure is the output's (out's lock, a file written) */
} lb_train_init_info_t;

/* The whole `init` operation: parse o->size for o->arch, load o->tokenizer (its vocabulary
 * size and lb_train_special_ids), then write the fresh model of lb_train_init_model into o->out
 * as one folder (lb_io_dir_begin with io_flags (0, LB_IO_WAIT or LB_IO_NOLOCK) owning
 * config.json, model.safetensors and tokenizer.json; other files of out stay): the three files
 * appear together, and a failure leaves out as it was. info (may be NULL) gets what was made
 * (on failure: as far as it got). Errors: those of lb_model_size_parse and lb_tokenizer_load
 * (info->output 0); lb_io_dir_begin's prefixed "--out: " (LB_EINVAL: another run holds out's
 * lock), lb_train_init_model's (LB_EIO naming the file) and lb_io_dir_commit's (info->output
 * 1); LB_EINVAL when o->tokenizer or o->out is NULL. */
LB_API int lb_train_init_dir(const lb_train_init_opts_t *o, int io_flags,
                             lb_train_init_info_t *info, lb_error_t *err);

/* The ids `init` gives a fresh model for its tokenizer: eos the first of "<|endoftext|>", "</s>",
 * "<eos>", "<|end_of_text|>" the tokenizer has, bos the first of "<s>", "<bos>",
 * "<|begin_of_text|>", "<|endoftext|>"; -1 when it has none. */
LB_API void lb_train_special_ids(const lb_tokenizer_t *tok, int *bos, int *eos);

#ifdef __cplusplus
}
#endif
#endif
