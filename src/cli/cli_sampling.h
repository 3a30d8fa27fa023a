/*
 * cli_sampling.h — what `sample` and `eval` share (private to src/cli): the sampling flags
 * (into lb_eval_opts_t), printing what loading (lb_eval_load) found, and progress on stderr.
 */
#ifndef LEAKBOUND_CLI_SAMPLING_H
#define LEAKBOUND_CLI_SAMPLING_H

#include <getopt.h>
#include <stdio.h>

#include "leakbound/eval.h"

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
extern const char lb_cli_sampling_help[];

/* The defaults of the shared flags (lb_eval_opts_default; n -1: -n not given). */
void lb_cli_sampling_init(lb_eval_opts_t *a);

/* Handle one shared flag (c, optarg) into a. Returns 1 when c is not a shared flag, 0 when
 * handled, or LB_EXIT_USAGE after printing the problem (as "leakbound <cmd>: ..."). --quiet
 * sets *quiet (may be NULL when the command has no use for it). */
int lb_cli_sampling_option(lb_eval_opts_t *a, int *quiet, int c, const char *optarg, const char *cmd);

/* Warn on stderr, once, when the CSV reader skipped blanks around quoted fields in ds (read
 * from path): lb_data_lenient_warning's text after "leakbound CMD: warning: ". */
void lb_cli_sampling_warn_data(const char *cmd, const char *path, const lb_dataset_t *ds);

/* What loading found, on stderr: unless quiet, the memory plan line (the loaded hook of the
 * library flows that load: lb_eval_flow_t, lb_eval_sample_flow_t; the data warning comes
 * through their warn hook). */
void lb_cli_sampling_loaded(const char *cmd, int quiet, const lb_eval_ctx_t *ctx);

/* Progress on stderr, at most every 2 s: prompts done, samples/s, tokens/s, ETA (the library's,
 * lb_sampler_progress_derive) (an lb_eval_progress_fn; user is an lb_cli_progress_t; never asks
 * to stop). */
typedef struct lb_cli_progress {
    const char *cmd;
    int quiet;
    double last;
} lb_cli_progress_t;
int lb_cli_sampling_progress(void *user, const lb_sampler_progress_t *p);

/* `eval --samples`'s progress on stderr by lb_cli_sampling_progress's rules (nothing with
 * quiet; at most every 2 s, and the last line always): the samples file's MB read of its
 * size, lines, answers, lines/s, ETA (elapsed at the end). An lb_eval_samples_progress_fn;
 * user is an lb_cli_progress_t; never asks to stop. */
int lb_cli_samples_progress(void *user, const lb_eval_samples_progress_t *p);

#endif
