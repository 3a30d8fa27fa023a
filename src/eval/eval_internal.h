/* eval_internal.h — shared inside src/eval only. */
#ifndef LEAKBOUND_EVAL_INTERNAL_H
#define LEAKBOUND_EVAL_INTERNAL_H

#include "leakbound/eval.h"

/* The sampling flags' one range rule (`sample`, `eval`, `generate`, lb_eval_opts_set): parse a
 * into *out when it is a finite number > 0 (temperature), an integer in [0, 2^30] (top-k) or a
 * number in (0, 1] (top-p). Return 0, or -1 leaving *out as it was. */
int lbi_eval_parse_temperature(const char *a, double *out);
int lbi_eval_parse_top_k(const char *a, long *out);
int lbi_eval_parse_top_p(const char *a, double *out);

/* Work out ctx->plan from the loaded model, prompts and ctx->opts, and check it against the
 * memory available (lb_mem_plan_check). Returns 0 or LB_ENOMEM with the numbers. */
int lbi_eval_memory_plan(lb_eval_ctx_t *ctx, lb_error_t *err);

/* The hooks' run state around the sampler: emit adapts lb_sampler_emit_fn to the group hook
 * (prompt index -> item index through items, scores through score), progress adapts the
 * progress hook and remembers a stop request. */
typedef struct lbi_eval_drive {
    const lb_eval_hooks_t *hooks;
    const size_t *items;            /* (n_prompts,) item of each prompt, or NULL: the same */
    /* called first for each group (lb_eval_run: score it into scores); may be NULL */
    int (*score)(void *self, size_t item, const lb_sample_result_t *res, int n_res,
                 const double **scores, lb_error_t *err);
    void *self;
    int stop;                       /* a hook asked to stop */
    int n_res;                      /* results per prompt: the progress total's factor */
} lb_eval_drive_t;

/* Run the sampler of d->hooks (NULL: lb_sampler_run) over prompts. Returns 0, LB_ECANCELED or
 * the sampler's or a hook's error. */
int lbi_eval_drive(lb_eval_drive_t *d, const lb_eval_ctx_t *ctx, const lb_sampler_prompt_t *prompts,
                  size_t n_prompts, lb_error_t *err);

/* Fill r's ids, id_is_int and questions from ctx's items (questions point into the data set).
 * Returns 0 or LB_ENOMEM. */
int lbi_eval_items_from_ctx(lb_eval_result_t *r, const lb_eval_ctx_t *ctx, lb_error_t *err);

/* The parts of lb_eval_write_reports: report.json, report.md, the three plots, each into
 * r->out_dir atomically. Return 0 or an LB_E* code with err set. */
int lbi_eval_write_json(const lb_eval_result_t *r, lb_error_t *err);
int lbi_eval_write_md(const lb_eval_result_t *r, lb_error_t *err);
int lbi_eval_write_plots(const lb_eval_result_t *r, lb_error_t *err);

/* The rule of the hidden-harm share, in words (report.json and report.md say the same), into
 * buf (cap bytes). */
void lbi_eval_harm_rule(const lb_eval_result_t *r, char *buf, size_t cap);

/* A flow's run hooks around its samples file: the caller's hooks, then the writer w, which gets
 * each group after the caller's group hook has taken it (the eval and sample flows). */
typedef struct lbi_eval_chain {
    const lb_eval_hooks_t *hooks;    /* the caller's (user, progress, group, sampler, warn) */
    lb_eval_writer_t *w;
} lbi_eval_chain_t;

/* The hooks to run with (user = c): c->hooks's progress and warn when it has them, the chained
 * group hook when write is non-zero (the rank that writes), c->hooks's sampler. */
lb_eval_hooks_t lbi_eval_chain_hooks(lbi_eval_chain_t *c, int write);

/* The data set's lenient-CSV note (lb_data_lenient_warning of ds, read from path) to h's warn
 * (LB_EVAL_WARN_DATA_LENIENT), when ds has one and h and its warn are not NULL: what the eval
 * and sample flows (after lb_eval_load) and the --samples flow (after its lines) do. */
void lbi_eval_warn_data(const lb_eval_hooks_t *h, const lb_dataset_t *ds, const char *path);

/* The run's one judge-label check (lb_judge_warn_once with *checked) to h's warn
 * (LB_EVAL_WARN_JUDGE_LABELS; h or its warn NULL: checked, nothing said). */
void lbi_eval_warn_judge(const lb_eval_hooks_t *h, const lb_judge_t *judge, int *checked);

/* lb_eval_from_samples with h's samples_progress (h or it NULL: none) called with h->user
 * every LBI_EVAL_SAMPLES_EVERY lines (every line with a judge metric) and once when every line
 * is read, scored and grouped (final 1); a non-zero return ends it with LB_ECANCELED. */
#define LBI_EVAL_SAMPLES_EVERY 4096
int lbi_eval_from_samples(lb_eval_result_t *r, const lb_score_cfg_t *cfg,
                          const lb_eval_samples_opts_t *o, const lb_eval_hooks_t *h,
                          lb_error_t *err);

#endif
