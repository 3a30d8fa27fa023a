/* cli_score.h — `leakbound score`, private to src/cli: scoring one JSONL line (cli_score_line.c)
 * for the batch driver (cli_score.c). */
#ifndef LEAKBOUND_CLI_SCORE_H
#define LEAKBOUND_CLI_SCORE_H

#include <stddef.h>

#include "leakbound/core.h"
#include "leakbound/text.h"

typedef enum lb_score_metric {
    LB_SCORE_ROUGEL_RECALL,
    LB_SCORE_ROUGEL_F,
    LB_SCORE_ROUGE1_RECALL,
    LB_SCORE_ROUGE1_F,
    LB_SCORE_KEYWORDS,
    LB_SCORE_EXACT
} lb_score_metric_t;

/* getopt_long codes of the scoring flags that `score` and `eval` share (>= 2000, apart from
 * the sampling flags' 1000s and the commands' own small codes). */
enum { LB_SCO_KEYWORD_MATCH = 2000, LB_SCO_STRIP_PREFIX };

#define LB_SCORE_OPTIONS                                                   \
    {"keyword-match", required_argument, 0, LB_SCO_KEYWORD_MATCH},         \
    {"strip-prefix", required_argument, 0, LB_SCO_STRIP_PREFIX}

#define LB_SCORE_MAX_STRIP 16

/* Help text of the shared scoring flags. */
extern const char lb_score_opts_help[];

/* How a generation is scored, beyond the metric: set by the shared flags. */
typedef struct lb_score_opts {
    lb_text_match_t keyword_match;   /* --keyword-match word|substring (default word) */
    const char *strip[LB_SCORE_MAX_STRIP]; /* --strip-prefix S, in the order given */
    int n_strip;
    int strip_given;                 /* any --strip-prefix, '' included: no command default */
} lb_score_opts_t;

/* The text that is scored: text (*text, *len) without leading blanks (space, tab, CR, LF)
 * followed by the first of o->strip that is there, when one is; else unchanged. */
void lb_score_strip(const lb_score_opts_t *o, const char **text, size_t *len);

/* Handle one shared scoring flag (c, arg). Returns 1 when c is not one, 0 when handled, or
 * LB_EXIT_USAGE after printing the problem as "leakbound <cmd>: ...". */
int lb_score_option(lb_score_opts_t *o, int c, const char *arg, const char *cmd);

typedef struct lb_score_cfg {
    lb_score_metric_t metric;
    const char *field;   /* "reference", "keywords" or --reference-field / --keywords-field */
    const char *text_field; /* "text" or --text-field: a string, an array of strings, or an
                               array of objects with a string "text" */
    const char *id_field;   /* "id" or --id-field: the "id" of lines built from an array */
    const char *path;    /* input name for messages ("<stdin>" for -) */
    lb_score_opts_t opts;
} lb_score_cfg_t;

/* One thread's reusable state: its scorer and room for a line's keyword list. */
typedef struct lb_score_worker {
    lb_text_scorer_t *scorer;
    const char **kw;     /* (kw_cap,) */
    size_t *kw_len;      /* (kw_cap,) */
    size_t kw_cap;
} lb_score_worker_t;

/* Parse one input line (len bytes, line number lineno), score it and write the output line
 * (without newline; several, joined by newlines, when the text field is an array; none for an
 * empty array) to *out (*out_cap bytes, grown with realloc as needed), *out_len bytes.
 * Returns 0, or LB_EFORMAT/LB_EINVAL with err naming "<path>:<lineno>[:<col>]", or LB_ENOMEM. */
int lb_score_line(const lb_score_cfg_t *cfg, lb_score_worker_t *w, const char *line, size_t len,
                  long lineno, char **out, size_t *out_cap, size_t *out_len, lb_error_t *err);

#endif
