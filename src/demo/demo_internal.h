/*
 * demo_internal.h — shared by the demo module's files: the step machinery and the steps
 * (demo.c), TOFU (demo_tofu.c), the alignment section (demo_align.c) and the report
 * (demo_report.c). Private to src/demo.
 */
#ifndef LB_DEMO_INTERNAL_H
#define LB_DEMO_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "leakbound/core.h"
#include "leakbound/demo.h"
#include "leakbound/eval.h"
#include "leakbound/train_run.h"

/* Seconds on the monotonic clock (the demo's step and section timings). */
double demo_now(void);

/* A running step: its name and log path live here (the hooks see st). */
typedef struct {
    lb_demo_step_t st;
    char name[96];
    char log_path[4300];
    char summary[512];
    double t0;
} demo_step_t;

/* Begin step name: hooks->step_begin. flags: DEMO_QUIET (no terminal line), DEMO_NOTE (a result
 * line, not work). */
enum { DEMO_QUIET = 1, DEMO_NOTE = 2 };
void demo_step_begin(lb_demo_result_t *d, demo_step_t *s, const char *name, int flags);
/* One human line of step s to hooks->log (printf-style; no newline). */
void demo_log(lb_demo_result_t *d, demo_step_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* End step s with rc (0 or an lb_error code; err's message is logged and prefixed with the
 * step's name) and an optional summary line (printf-style, may be NULL): hooks->step_end.
 * Returns rc. */
int demo_step_end(lb_demo_result_t *d, demo_step_t *s, int rc, lb_error_t *err, const char *summary_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* path (under d->out, the temporary folder) as it will be once the folder is in place (under
 * d->final_out), into buf; other paths are copied as they are. Returns buf. */
const char *demo_final_path(const lb_demo_result_t *d, const char *path, char *buf, size_t cap);

/* Steps as direct library calls, each inside its own demo_step_*: */
/* tokenizer train: a byte-level BPE of vocab tokens (min frequency 2) from files into out. */
int demo_tokenizer(lb_demo_result_t *d, const char *step, long vocab, const char *const *files, size_t n_files,
                   const char *out, lb_error_t *err);
/* init: a fresh Llama of size spec with tokenizer tok, seed, into out. */
int demo_init(lb_demo_result_t *d, const char *step, const char *size, const char *tok, const char *out,
              lb_error_t *err);
/* lb_train_run o (command "finetune" or "unlearn") into o->out_dir; the progress lines go to the
 * step's log; then loss.svg and leakbound_run.json (final paths, no argv). *kept: the kept step
 * (may be NULL). With o->eval_every, the greedy checks (lb_eval_check_run: ROUGE-L recall, the
 * demo's max_new) run on check_data. */
int demo_train(lb_demo_result_t *d, const char *step, lb_train_run_opts_t *o, const char *command,
               const char *check_data, long *kept, lb_error_t *err);
/* demo_train, and with stash (a folder, or NULL) each greedy check's model is moved to
 * stash/step-<N> instead of being removed (for the sampled trajectory). */
int demo_train_stash(lb_demo_result_t *d, const char *step, lb_train_run_opts_t *o, const char *command,
                     const char *check_data, const char *stash, long *kept, lb_error_t *err);
/* One evaluation the run needs. */
typedef enum {
    DEMO_EVAL_ROUGE = 0,    /* ROUGE-L recall, alpha/temperature/top_p/top-k 0/max_new/seed,
                               thresholds leak_threshold, limit (0: all), adaptive */
    DEMO_EVAL_JUDGE = 2     /* metric judge with judge_dir, judge_template, judge_labels,
                               harm_rate, alpha, temperature 1, top_p 1, top-k 0, max_new, seed */
} demo_eval_kind_t;

typedef struct {
    demo_eval_kind_t kind;
    const char *model_dir, *data_path;
    const char *out_dir;       /* the eval folder (report.json, samples.jsonl, ...); NULL: none */
    const char *template_spec; /* "phi" or a "{q}" string ("phi" strips "Answer:") */
    long n, limit, max_new, seed;
    double alpha, temperature, top_p, leak_threshold, confidence_threshold, harm_rate;
    int adaptive;              /* adaptive temperature with confidence_threshold */
    const char *judge_dir, *judge_template, *judge_labels;
} demo_eval_req_t;

/* What an eval hands the demo besides its files, while its lb_eval_result_t is alive. Every
 * member may be NULL. begin: after loading, the questions (n_items, in report order) and the
 * sampled answers per question (n); group: each question's group as the run completes it
 * (lb_eval_hooks_t.group's arguments, after samples.jsonl has its lines); result: the finished
 * run (every question answered and bounded), before its reports are written. A non-zero
 * return (an LB_E* code with err filled) ends the eval with it. */
typedef struct {
    void *user;
    int (*begin)(void *user, size_t n_items, long n, lb_error_t *err);
    lb_eval_group_fn group;
    int (*result)(void *user, const lb_eval_result_t *e, lb_error_t *err);
} demo_eval_sink_t;

/* The eval of req inside the running step s (eval module calls; its lines go to s's log), the
 * files into req->out_dir (final paths in the reports), with sink (may be NULL). */
int demo_eval_sink(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, const demo_eval_sink_t *sink,
                   lb_error_t *err);
/* The eval of req inside the running step s (eval module calls; its lines go to s's log):
 * the files into req->out_dir (final paths in the reports), *greedy_mean (may be NULL) the
 * mean greedy score over the questions in their order. */
int demo_eval_in(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, double *greedy_mean,
                 lb_error_t *err);
/* demo_eval_in, and *mean / *m_mu (may be NULL): the means over questions of the sampled mean and
 * M_mu (each summed in question order, times 1/questions, as report.json's summary). */
int demo_eval_means(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, double *greedy_mean,
                    double *mean, double *m_mu, lb_error_t *err);
/* demo_eval_in, and *row (zeroed first; free with lb_demo_eval_free) from the run's result
 * (demo_rows.c): every field is the result's (lb_eval_result_t: scores, greedy, res[p], leak
 * verdicts and shares), summed in question order as report.json's summary; with
 * diversity_samples > 0 also row->diversity from the first that many sampled answers of each
 * question, taken from the run's groups (no file is read back). */
int demo_eval_row(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, int diversity_samples,
                  lb_demo_eval_t *row, lb_error_t *err);
/* demo_eval_in as its own step (quiet: no terminal line). */
int demo_eval(lb_demo_result_t *d, const char *step, const demo_eval_req_t *req, int quiet, double *greedy_mean,
              lb_error_t *err);

/* The alignment section into d->align. */
int demo_align(lb_demo_result_t *d, lb_error_t *err);
/* demo.json's "alignment" object and demo.md's section with claim 4. */
json_t *demo_align_json(const lb_demo_result_t *d);
void demo_align_md(const lb_demo_result_t *d, FILE *f);

/* TOFU's metrics of models/<model> into *t, its files in eval/<eval_dir>/tofu. */
int demo_tofu(lb_demo_result_t *d, const char *model, const char *eval_dir, lb_demo_tofu_t *t, lb_error_t *err);

/* The provenance object (hooks->provenance, else {"leakbound_version"}); NULL with err set. */
json_t *demo_provenance(const lb_demo_result_t *d, const char *model_dir, const char *data_path, lb_error_t *err);

#endif
