/*
 * cli_sampling.h — what `sample` and `eval` share (private to src/cli): the sampling flags,
 * loading model + tokenizer + dataset + template, encoding the prompts, writing one prompt
 * group of samples.jsonl lines, and progress on stderr.
 */
#ifndef LEAKBOUND_CLI_SAMPLING_H
#define LEAKBOUND_CLI_SAMPLING_H

#include <getopt.h>
#include <stdio.h>

#include "cli_genconf.h"
#include "leakbound/data.h"
#include "leakbound/model.h"
#include "leakbound/sample.h"
#include "leakbound/tokenizer.h"

#define LB_SAMPLING_MAX_STOP 32

/* getopt_long codes of the shared flags (>= 1000, so commands keep lower codes). */
enum {
    LB_SO_MODEL = 1000, LB_SO_DATA, LB_SO_FORMAT, LB_SO_TEMPLATE, LB_SO_N, LB_SO_TEMPERATURE,
    LB_SO_TOP_K, LB_SO_TOP_P, LB_SO_MIN_P, LB_SO_MAX_LENGTH, LB_SO_MAX_NEW, LB_SO_STOP,
    LB_SO_SEED, LB_SO_BATCH, LB_SO_KV_BUDGET, LB_SO_THREADS, LB_SO_ADAPTIVE, LB_SO_CONFIDENCE,
    LB_SO_CONF_THR, LB_SO_LOW_T, LB_SO_VERBOSE, LB_SO_QUIET, LB_SO_LIMIT, LB_SO_TOKENIZER
};

/* The struct option entries for the shared flags (end with the command's own + {0}). */
#define LB_SAMPLING_OPTIONS                                                                  \
    {"model", required_argument, 0, LB_SO_MODEL}, {"data", required_argument, 0, LB_SO_DATA}, \
    {"data-format", required_argument, 0, LB_SO_FORMAT},                                     \
    {"template", required_argument, 0, LB_SO_TEMPLATE},                                      \
    {"temperature", required_argument, 0, LB_SO_TEMPERATURE},                                \
    {"top-k", required_argument, 0, LB_SO_TOP_K}, {"top-p", required_argument, 0, LB_SO_TOP_P}, \
    {"min-p", required_argument, 0, LB_SO_MIN_P},                                            \
    {"max-length", required_argument, 0, LB_SO_MAX_LENGTH},                                  \
    {"max-new-tokens", required_argument, 0, LB_SO_MAX_NEW},                                 \
    {"stop", required_argument, 0, LB_SO_STOP}, {"seed", required_argument, 0, LB_SO_SEED},  \
    {"batch", required_argument, 0, LB_SO_BATCH},                                            \
    {"kv-budget", required_argument, 0, LB_SO_KV_BUDGET},                                    \
    {"threads", required_argument, 0, LB_SO_THREADS},                                        \
    {"adaptive-temperature", no_argument, 0, LB_SO_ADAPTIVE},                                \
    {"confidence", required_argument, 0, LB_SO_CONFIDENCE},                                  \
    {"confidence-threshold", required_argument, 0, LB_SO_CONF_THR},                          \
    {"low-temperature", required_argument, 0, LB_SO_LOW_T},                                  \
    {"verbose", no_argument, 0, LB_SO_VERBOSE}, {"quiet", no_argument, 0, LB_SO_QUIET},      \
    {"limit", required_argument, 0, LB_SO_LIMIT},                                            \
    {"tokenizer", required_argument, 0, LB_SO_TOKENIZER}

/* Help text of the shared flags. */
extern const char lb_sampling_help[];

typedef struct lb_sampling_args {
    const char *model, *data, *tmpl;
    const char *tokenizer;           /* --tokenizer FILE|DIR, NULL: the model folder's */
    lb_data_format_t format;
    long n, limit;
    int have_T, have_k, have_p, have_max_len, have_max_new;
    double T, p, min_p;
    long k, max_len, max_new, batch, threads;
    unsigned long long seed;
    size_t kv_budget;
    const char *stop[LB_SAMPLING_MAX_STOP];
    int n_stop;
    int adaptive, verbose, quiet;
    lb_confidence_t confidence;
    double conf_thr, low_T;
} lb_sampling_args_t;

void lb_sampling_args_init(lb_sampling_args_t *a);

/* Handle one shared flag (c, optarg). Returns 1 when c is not a shared flag, 0 when handled,
 * or LB_EXIT_USAGE after printing the problem (as "leakbound <cmd>: ..."). */
int lb_sampling_option(lb_sampling_args_t *a, int c, const char *optarg, const char *cmd);

/* Warn on stderr, once, when the CSV reader skipped blanks around quoted fields
 * (ds->n_lenient), naming path and the first such line. */
void lb_sampling_warn_data(const char *cmd, const char *path, const lb_dataset_t *ds);

/* Everything loaded for a run. */
typedef struct lb_sampling_ctx {
    lb_genconf_t gc;
    lb_tokenizer_t *tok;
    lb_model_t *m;
    lb_template_t *tmpl;
    lb_dataset_t ds;
    size_t n_items;           /* items used (--limit) */
    char **prompt_text;       /* (n_items,) rendered prompts */
    int32_t **ids;            /* (n_items,) encoded prompts */
    lb_sampler_prompt_t *prompts; /* (n_items,) */
    lb_sampler_opts_t opts;
    char model_sha256[65];    /* lb_model_sha256 of the model folder */
    char data_sha256[65];     /* of the --data bytes loaded (ds.sha256; a pipe's as read) */
    lb_error_t err;           /* why lb_sampling_setup failed (as it printed), for MPI rank 0 */
} lb_sampling_ctx_t;

/* Check the required flags, load model/tokenizer/data/template, hash the model folder and the
 * data loaded (ctx->model_sha256, ctx->data_sha256), render and encode every prompt
 * (ids must be unique: they key the draws and --resume), and fill ctx->opts from
 * generation_config.json then the flags. Errors print "leakbound <cmd>: ..." and return the
 * exit status (2 bad input, 1 internal); 0 on success. */
int lb_sampling_setup(const lb_sampling_args_t *a, const char *cmd, lb_sampling_ctx_t *ctx);
void lb_sampling_free(lb_sampling_ctx_t *ctx);

/* Append the JSONL lines of one prompt group (item it) to *buf (cap/len grown with realloc).
 * Field order: id, sample, prompt, text, reference (if the item has an answer), keywords (if
 * any), tokens, finish, score (when scores (n_res,) is not NULL), and temperatures with
 * verbose. Returns 0 or LB_ENOMEM. */
int lb_sampling_format_group(const lb_sampling_ctx_t *ctx, size_t it, const lb_sample_result_t *res,
                             int n_res, const double *scores, int verbose, char **buf, size_t *cap,
                             size_t *len, lb_error_t *err);

/* Write len bytes to fd in full and fsync it. Returns 0 or LB_EIO naming path. */
int lb_sampling_write_sync(int fd, const char *path, const char *buf, size_t len, lb_error_t *err);

/* Progress on stderr, at most every 2 s: prompts done, samples/s, tokens/s, ETA. */
typedef struct lb_sampling_progress {
    const char *cmd;
    int quiet;
    double last;
    size_t samples_total;
} lb_sampling_progress_t;
void lb_sampling_progress(void *user, const lb_sampler_progress_t *p);

#endif
