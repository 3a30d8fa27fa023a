/*
 * leakbound/eval_checkpoint.h — a model folder's greedy (and sampled) scores on a data set as
 * numbers, no files: the evaluation `finetune|unlearn --eval-every` runs after a training step
 * (lb_eval_check_prepare, lb_eval_check_run: the lb_train_run_opts_t.check of the CLI and the
 * demo); Python does not call it.
 *
 * Contract
 * - Nothing here prints or writes a file; errors come back in err (the message names the file,
 *   the item and its line) as eval.h's functions return them.
 * - lb_eval_checkpoint is `leakbound eval --model DIR` with o's settings, reduced to means:
 *   the same loading, sampler settings, scoring and bounds, so its greedy mean equals the mean of
 *   the "greedy" fields of that eval's report.json (summed in item order, divided by their
 *   number).
 */
#ifndef LEAKBOUND_EVAL_CHECKPOINT_H
#define LEAKBOUND_EVAL_CHECKPOINT_H

#include <stddef.h>

#include "leakbound/core.h"
#include "leakbound/eval.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one evaluation of a model folder comes to. */
typedef struct lb_eval_checkpoint_summary {
    size_t n_items;  /* questions evaluated (o->limit applied) */
    long n;          /* sampled answers per question in sampled and M_mu (o->n; 0: none) */
    double greedy;   /* mean greedy score: the items' greedy scores summed in item order / n_items */
    double sampled;  /* mean of the n_items * n sampled scores (NaN when n == 0) */
    double M_mu;     /* mean over the items of the bound M_mu of docs/bounds.md (NaN when n == 0) */
} lb_eval_checkpoint_summary_t;

/* Evaluate the model folder model_dir (o->model is ignored) on o->data: load it (lb_eval_load),
 * score its greedy answer and o->n sampled answers per item with o->metric (lb_eval_run), and
 * fill *out. o->n == 0 asks for the greedy answers only (one sample per item is still drawn:
 * the run's bounds need it, as `eval -n 1`; it is not reported). As `leakbound eval` does, the
 * phi template scores answers without a leading "Answer:" when o->score has no strip prefix
 * (give "" to strip nothing). o->threads > 0 sets the OpenMP thread count (0: as it is).
 * Errors: lb_eval_load's and lb_eval_run's (LB_EINVAL naming an item without the answer or
 * keywords o->metric compares against, LB_EFORMAT, LB_EIO, LB_ENOMEM); LB_EINVAL for o->n < 0.
 * On error *out is left as it was. */
LB_API int lb_eval_checkpoint(const char *model_dir, const lb_eval_opts_t *o,
                              lb_eval_checkpoint_summary_t *out, lb_error_t *err);

/* Read the data set at path (lb_data_load, format by extension) and check that it has at least
 * one item and that every item carries what metric m compares against: keywords for
 * LB_METRIC_KEYWORDS, an answer for the other metrics but the judge (which needs neither), as
 * lb_eval_check_items does on a loaded run. For checking a file before work that will evaluate on
 * it. Returns 0, lb_data_load's error, or LB_EINVAL: "PATH: item 'ID' (line N) has no answer for
 * metric M", "PATH holds no questions". */
LB_API int lb_eval_check_data(const char *path, lb_metric_t m, lb_error_t *err);

/* The greedy checks of a finetune / unlearn run: what each evaluates and who hears of it. */
typedef struct lb_eval_check {
    lb_eval_opts_t eo;         /* the checks' evaluation: eval's defaults, data, template, n 0
                                  (greedy answers only), the metric, max_new when given */
    const char *data;          /* the questions (the caller's string) */
    const char *metric;        /* the metric's name as lb_metric_name spells it */
    /* After each check (may be NULL): its step and mean greedy score. */
    void (*on_check)(void *ctx, long step, double greedy);
    void *ctx;
} lb_eval_check_t;

/* Prepare c (on_check and ctx set to NULL) for checks on data with metric (NULL:
 * "rougeL-recall", the checks' default), max_new (0: eval's default) and template_spec (NULL:
 * phi), and read data now (lb_eval_check_data): a file eval would refuse fails before any
 * training. These are lb_train_run_opts_t's check_data, check_metric, check_max_new and
 * template_spec. Errors: LB_EINVAL, LB_EFORMAT, LB_EIO, prefixed "--eval-data: " (an unknown
 * metric; lb_eval_check_data's). */
LB_API int lb_eval_check_prepare(lb_eval_check_t *c, const char *data, const char *metric,
                                 long max_new, const char *template_spec, lb_error_t *err);

/* lb_train_run_opts_t.check over a prepared lb_eval_check_t ctx: the greedy answers of the model
 * folder model_dir on c->data scored with c->metric (lb_eval_checkpoint), their mean into
 * *greedy, then c->on_check. Errors: lb_eval_checkpoint's, prefixed "the greedy check after
 * step STEP: ". */
LB_API int lb_eval_check_run(void *ctx, long step, const char *model_dir, double *greedy,
                             lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
