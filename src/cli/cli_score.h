/* cli_score.h — `leakbound score`, private to src/cli: scoring one JSONL line (cli_score_line.c)
 * for the batch driver (cli_score.c). */
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

/* The shared scoring flags: the library's options (leakbound/score.h) and what the CLI needs
 * to open the judge. */
typedef struct lb_cli_score_flags {
    lb_score_opts_t opts;            /* --strip-prefix, --keyword-match, --judge-threshold */
    int strip_given;                 /* any --strip-prefix, '' included: no command default */
    const char *judge_dir;           /* --judge DIR (--metric judge) */
    const char *judge_tmpl;          /* --judge-template T; NULL: the judge's chat template */
    const char *judge_labels;        /* --judge-labels A,B; NULL: unsafe,safe */
    int judge_batch;                 /* --judge-batch B: judge prompts per forward call */
    const char *judge_tokenizer;     /* --judge-tokenizer FILE|DIR; NULL: the judge folder's */
} lb_cli_score_flags_t;

/* Defaults of the shared scoring flags (lb_score_opts_default, no judge). */
void lb_cli_score_flags_init(lb_cli_score_flags_t *f);

/* Open the judge that f names (--judge is required: a usage error otherwise) into *out (the
 * caller also sets f->opts.judge or a copy of it). Prints the problem as "leakbound <cmd>:
 * ..." and returns the exit status; 0 on success. */
int lb_cli_score_judge_open(const lb_cli_score_flags_t *f, const char *cmd, lb_judge_t **out);

/* Once the judge's first batch has run (lb_judge_label_mass) and *checked is still 0: set
 * *checked and, when the labels' mean total probability is below LB_JUDGE_LABEL_MASS_FLOOR,
 * print a warning "leakbound <cmd>: warning: ..." with a hint on stderr. Returns 1 when it
 * warned now. */
int lb_cli_score_judge_check_mass(const lb_judge_t *j, const char *cmd, int *checked);

/* Handle one shared scoring flag (c, arg). Returns 1 when c is not one, 0 when handled, or
 * LB_EXIT_USAGE after printing the problem as "leakbound <cmd>: ...". */
int lb_cli_score_option(lb_cli_score_flags_t *f, int c, const char *arg, const char *cmd);

typedef struct lb_score_cfg {
    lb_metric_t metric;
    const char *field;   /* "reference", "keywords" or --reference-field / --keywords-field */
    const char *text_field; /* "text" or --text-field: a string, an array of strings, or an
                               array of objects with a string "text" */
    const char *id_field;   /* "id" or --id-field: the "id" of lines built from an array */
    const char *prompt_field; /* --prompt-field: the user turn (--metric judge); NULL: see
                                 lb_score_user_field */
    const char *path;    /* input name for messages ("<stdin>" for -) */
    lb_score_opts_t opts;
} lb_score_cfg_t;

/* One thread's reusable state: its scorer and room for a line's keyword list. */
typedef struct lb_score_worker {
    lb_text_scorer_t *scorer;
    const char **kw;     /* (kw_cap,) */
    size_t *kw_len;      /* (kw_cap,) */
    size_t kw_cap;
    /* --metric judge: the judge's scores and (p_A, p_B) of the line being scored, in the
       order of its texts, computed before lb_score_line (which only reads them). */
    const double *judge, *judge_p;
    size_t judge_n, judge_next;
} lb_score_worker_t;

/* The field of obj that holds the user turn for --metric judge: --prompt-field when given;
 * else "question" when obj has a string "question" (the item's question before the prompt
 * template, as `sample` and `eval` write it, which is what `eval --metric judge` judges), else
 * "prompt". */
const char *lb_score_user_field(const lb_score_cfg_t *cfg, json_t *obj);

/* Parse one input line (len bytes, line number lineno), score it and write the output line
 * (without newline; several, joined by newlines, when the text field is an array; none for an
 * empty array) to *out (*out_cap bytes, grown with realloc as needed), *out_len bytes.
 * Returns 0, or LB_EFORMAT/LB_EINVAL with err naming "<path>:<lineno>[:<col>]", or LB_ENOMEM. */
int lb_score_line(const lb_score_cfg_t *cfg, lb_score_worker_t *w, const char *line, size_t len,
                  long lineno, char **out, size_t *out_cap, size_t *out_len, lb_error_t *err);

/* The generation that one element e of a text field array holds: e when it is a string, else
 * e's string "text" member (vLLM "outputs", OpenAI-style "choices"); NULL when neither. */
json_t *lb_score_elem_text(json_t *e);

/* Score one generation (text, text_len) of the line object obj (its reference or keywords
 * read as cfg says; --strip-prefix applied) into *score. Not for LB_METRIC_JUDGE. Returns 0,
 * or LB_EINVAL naming "<path>:<lineno>", LB_ENOMEM. */
int lb_score_text(const lb_score_cfg_t *cfg, lb_score_worker_t *w, long lineno, json_t *obj,
                  const char *text, size_t text_len, double *score, lb_error_t *err);

#endif
