/*
 * cli_eval.h — `leakbound eval` (private to src/cli): the run is the eval module's
 * (lb_eval_run, leakbound/eval.h); reading --samples FILE (cli_eval_samples.c) and the outputs
 * (cli_eval_report.c: report.json through the `bound` document, report.md, plots) are still
 * here until the scores-file reader and the bound document are library functions.
 */
#ifndef LEAKBOUND_CLI_EVAL_H
#define LEAKBOUND_CLI_EVAL_H

#include <jansson.h>
#include <stddef.h>

#include "cli_sampling.h"
#include "cli_score.h"
#include "leakbound/eval.h"
#include "leakbound/stats.h"

/* How `eval --samples FILE` reads FILE beyond the score fields (cfg). */
typedef struct eval_samples_opts {
    const char *greedy_field;  /* --greedy-field F: the field holding the greedy answer; NULL */
    int allow_duplicates;      /* --allow-duplicates: identical lines and repeated (id, "sample")
                                  pairs are counted as more samples instead of refused */
    const char *data_path;     /* --data FILE: each id's reference/keywords/question from the
                                  data set item of that id (both files must hold the same ids) */
    lb_data_format_t data_format; /* --data-format (LB_DATA_AUTO: by extension) */
} eval_samples_opts_t;

/* `eval --samples FILE`: read, score and group the sample lines of FILE (the shapes of `score
 * --text-field`; cli_eval_samples.c) into e (n_items, ids, questions, n, scores, greedy,
 * samples_sha256 of the bytes read) and write the scored lines to e->out_dir/samples.jsonl.
 * cfg names the fields and the metric (not judge); o the greedy field, duplicates and the
 * data set to join (docs/evaluation.md, 'Input files'). Refused, naming FILE:LINE: a greedy
 * line with more or less than one answer, a --greedy-field no line has, duplicated lines or
 * (id, "sample") pairs (unless o->allow_duplicates), integer and string ids in one file, one
 * id with different references, an empty keyword list. Returns 0, or LB_EINVAL/LB_EFORMAT
 * naming "FILE:LINE", LB_EIO, LB_ENOMEM. */
int eval_read_samples(lb_eval_result_t *e, const lb_score_cfg_t *cfg, const eval_samples_opts_t *o,
                      lb_error_t *err);

/* Write OUT/report.json (the `bound` document (docs/bounds.md) with "question" and "greedy" added
 * to each prompt and an "eval" object of settings), OUT/report.md and the SVG plots. Each file
 * is written atomically. Returns 0 or an lb error code with err set. */
int eval_write_reports(const lb_eval_result_t *e, lb_error_t *err);

#endif
