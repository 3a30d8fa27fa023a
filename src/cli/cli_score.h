/* cli_score.h — the scoring flags that `score` and `eval` share, private to src/cli
 * (cli_score_flags.c); the scoring is leakbound/score.h's. */
#ifndef LEAKBOUND_CLI_SCORE_H
#define LEAKBOUND_CLI_SCORE_H

#include <jansson.h>
#include <stddef.h>

#include "leakbound/core.h"
#include "leakbound/judge.h"
#include "leakbound/score.h"
#include "leakbound/text.h"

/* getopt_long codes of the scoring flags that `score` and `eval` share (>= 2000, apart from
 * the sampling flags' 1000s and the commands' own small codes). */
enum {
    LB_SCO_KEYWORD_MATCH = 2000, LB_SCO_STRIP_PREFIX, LB_SCO_JUDGE, LB_SCO_JUDGE_TEMPLATE,
    LB_SCO_JUDGE_LABELS, LB_SCO_JUDGE_THRESHOLD, LB_SCO_JUDGE_BATCH, LB_SCO_JUDGE_TOKENIZER
};

#define LB_SCORE_OPTIONS                                                   \
    {"keyword-match", required_argument, 0, LB_SCO_KEYWORD_MATCH},         \
    {"strip-prefix", required_argument, 0, LB_SCO_STRIP_PREFIX},           \
    {"judge", required_argument, 0, LB_SCO_JUDGE},                         \
    {"judge-template", required_argument, 0, LB_SCO_JUDGE_TEMPLATE},       \
    {"judge-labels", required_argument, 0, LB_SCO_JUDGE_LABELS},           \
    {"judge-threshold", required_argument, 0, LB_SCO_JUDGE_THRESHOLD},     \
    {"judge-batch", required_argument, 0, LB_SCO_JUDGE_BATCH},             \
    {"judge-tokenizer", required_argument, 0, LB_SCO_JUDGE_TOKENIZER}

/* Help text of the shared scoring flags. */
extern const char lb_score_opts_help[];

/* The shared scoring flags: the library's options (leakbound/score.h) and the judge to open. */
typedef struct lb_cli_score_flags {
    lb_score_opts_t opts;            /* --strip-prefix, --keyword-match, --judge-threshold */
    int strip_given;                 /* any --strip-prefix, '' included: no command default */
    lb_score_judge_cfg_t judge;      /* --judge DIR and the other --judge-* flags */
} lb_cli_score_flags_t;

/* Defaults of the shared scoring flags (lb_score_opts_default, no judge). */
void lb_cli_score_flags_init(lb_cli_score_flags_t *f);

/* Open the judge that f names (lb_score_judge_open; no --judge is a usage error) into *out
 * (the caller also sets f->opts.judge or a copy of it). Prints the problem as "leakbound <cmd>:
 * ..." and returns the exit status; 0 on success. */
int lb_cli_score_judge_open(const lb_cli_score_flags_t *f, const char *cmd, lb_judge_t **out);

/* A lb_judge_warn_fn for score and eval: print msg (the judge's label warning) on stderr as
 * "leakbound <cmd>: warning: <msg>", cmd being the command's name (a char *). */
void lb_cli_score_warn(void *cmd, const char *msg);

/* Handle one shared scoring flag (c, arg). Returns 1 when c is not one, 0 when handled, or
 * LB_EXIT_USAGE after printing the problem as "leakbound <cmd>: ...". */
int lb_cli_score_option(lb_cli_score_flags_t *f, int c, const char *arg, const char *cmd);

#endif
