/*
 * cli_plot.h — the pieces of `leakbound plot` (private to src/cli): reading a bound/eval
 * report document and a scores JSONL (cli_plot_read.c), and the command (cli_plot.c).
 */
#ifndef LEAKBOUND_CLI_PLOT_H
#define LEAKBOUND_CLI_PLOT_H

#include <jansson.h>
#include <stddef.h>

#include "leakbound/core.h"

#define PLOT_MAX_PANELS 64
#define PLOT_MAX_ABS 1e300 /* the report module's limit on plotted values (report.h) */

/* What the plots need from the report document. */
typedef struct plot_doc {
    json_t *root;        /* the parsed document (owned) */
    size_t n_prompts;
    json_t **ids;        /* (n_prompts) borrowed from root: string or integer */
    double *ed;          /* (n_prompts) NaN where the document has null */
    double *greedy;      /* (n_prompts) NaN where the document has none */
    long *n;             /* (n_prompts) "n" of each prompt, -1 when absent */
    double alpha;        /* NaN when absent */
    double ed_lambda;    /* NaN when absent */
} plot_doc_t;

/* Read and check the document at path: {"prompts": [{"id", "ED", "n"?, "greedy"?} ...],
 * "alpha"?, "ed_lambda"?}. Errors name the file and the place ("report.json:3:7: ..." for
 * JSON syntax, "report.json: prompts[4].ED: ..." for content). */
int plot_doc_read(const char *path, plot_doc_t *d, lb_error_t *err);
void plot_doc_free(plot_doc_t *d);

/* The sampled scores of the selected prompts. */
typedef struct plot_scores {
    size_t k;            /* selected prompts */
    double **v;          /* (k) arrays of scores */
    size_t *n, *cap;     /* (k) */
    double *greedy;      /* (k) score of the line with "sample": -1; NaN when none */
} plot_scores_t;

/* Read the scores JSONL at path (lines {"id", "score"} or {"id", "scores": [...]}, scores
 * in [0,1]; a line with "sample": -1 is the greedy answer, not a sample) and keep the scores
 * of the k prompts whose ids are sel (k); every line is checked. Errors: "file:line: ...". */
int plot_scores_read(const char *path, json_t *const *sel, size_t k, plot_scores_t *s,
                     lb_error_t *err);
void plot_scores_free(plot_scores_t *s);

/* The id as text: a string as is, an integer in decimal. buf: (cap). */
const char *plot_id_text(const json_t *id, char *buf, size_t cap);

#endif
