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
 * (may be NULL). With o->eval_every, the greedy checks run through the eval hook on check_data. */
int demo_train(lb_demo_result_t *d, const char *step, lb_train_run_opts_t *o, const char *command,
               const char *check_data, long *kept, lb_error_t *err);
/* The eval hook for req, as step (quiet: no terminal line). */
int demo_eval(lb_demo_result_t *d, const char *step, const lb_demo_eval_req_t *req, int quiet, lb_error_t *err);

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
