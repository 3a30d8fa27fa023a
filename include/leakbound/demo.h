/*
 * leakbound/demo.h — the paper's experiment end to end as one library call (`leakbound demo` is
 * its front end; docs/demo.md explains the design): a fictitious-author benchmark (data
 * module), a byte-level BPE tokenizer (tokenizer_train.h), a tiny Llama (lb_train_init_model)
 * fine-tuned until greedy ROUGE-L recall on forget10 reaches the target (lb_train_run), a retain
 * model, unlearning of forget10 with GA, GD and NPO each without and with entropy optimisation
 * (lb_train_run with the greedy stop rule), an evaluation of every model on forget10 and a
 * retain sample, TOFU's metrics of every model (lb_tofu_run), the alignment section (a chat
 * model and a judge), and the report (demo.md, demo.json, SVG plots).
 *
 * Contract
 * - Files: everything is built in a temporary sibling of opts.out (lb_io_dir_begin, under
 *   opts.out's lock) and renamed into place when the whole run succeeded: a failing or killed
 *   run leaves opts.out as it was; a failing run keeps the temporary folder (its logs) until the
 *   next demo into opts.out (result->stage_dir names it). The names the demo owns at the top of
 *   opts.out (demo.md, demo.json, the SVGs, tokenizer.json, data, models, eval, logs, align) are
 *   replaced as a set; other files there are kept.
 * - Paths: every path the run records (step messages, leakbound_run.json's config, tofu.json's
 *   settings, demo.json's provenance) names the final folder under opts.out, never the
 *   temporary one; so do the eval folders' reports (their provenance is the demo's: see
 *   Evaluation).
 * - Steps: every step is announced by hooks->step_begin, its human lines (progress, checks,
 *   summaries) go to hooks->log with the step's name, and it ends with hooks->step_end (rc 0
 *   on success). Nothing is printed by the library.
 * - Evaluation: the eval module (leakbound/eval.h: lb_eval_load, lb_eval_run,
 *   lb_eval_write_reports) with the settings docs/demo.md lists; each eval folder holds what
 *   `leakbound eval` with those settings writes, except its report.json's "provenance": that
 *   is hooks->provenance's object for the model and data (the demo's own command line as
 *   "argv", final paths), as in demo.json. The rows' numbers (lb_demo_eval_t) come from each
 *   run's lb_eval_result_t, not from its files: the same numbers as the folder's report.json
 *   (summary means summed over questions in their order, per-question greedy score, M_mu and
 *   leak counts, the leak verdicts' shares), the retain diversity from the answers' texts as
 *   the run hands each question's group over; the sampled trajectory and the greedy checks
 *   (training's stop rule, fine-tuning rounds) take their means from lb_eval_result_t too (the
 *   checks write no files).
 * - Models' run records (leakbound_run.json): written by lb_train_write_record with no argv (a
 *   library call has none): "argv" is an empty list; the config names final paths.
 * - Determinism: for the same opts (and thread-independent kernels) every output except the
 *   timings ("seconds", train_log.csv's last column, logs/, demo.md's run times) and
 *   provenance is byte-identical.
 * - Memory: the result owns per-question arrays (lb_demo_result_free); the steps allocate per
 *   run, never per token or training step.
 */
#ifndef LEAKBOUND_DEMO_H
#define LEAKBOUND_DEMO_H

#include <jansson.h>
#include <stddef.h>

#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LB_DEMO_MAX_MODELS 16
#define LB_DEMO_MAX_STEPS 512
#define LB_DEMO_TRAJ_POINTS 9   /* sampled trajectory points before the kept step (at most) */
#define LB_DEMO_TRAJ_N 8        /* sampled answers per forget question at those points */
#define LB_DEMO_RETAIN_MODEL "retain90" /* models/ folder of the retain model */

#define LB_DEMO_N_QUICK 128  /* samples per forget question with quick and n 0 */
#define LB_DEMO_N_FULL 1024  /* without quick */

/* The run's settings. Strings are borrowed for the whole lb_demo_run call. */
typedef struct lb_demo_opts {
    const char *out;           /* the demo folder (created with its parents when needed) */
    int wait;                  /* another leakbound run writing out: wait (1) or refuse (0) */
    int quick;                 /* recorded in demo.json / demo.md (n is what it changes) */
    long seed;                 /* data, training order and samples */
    int authors;               /* authors in the benchmark, 1..10000 */
    long n;                    /* sampled answers per forget question, 1..100000; 0: by quick
                                  (lb_demo_opts_n) */
    int finetune_epochs;       /* epochs per fine-tuning round, 1..10000 */
    double unlearn_target;     /* stop unlearning at greedy forget <= this, [0, 1] */
    const char *unlearn_lr;    /* the unlearning learning rate as decimal text, (0, 1]; the
                                  text is what demo.json records */
    int unlearn_epochs;        /* at most this many unlearning epochs, 1..1000 */
    const char *entropy;       /* EO weights "LF,LR" (two finite numbers) */
    const char *entropy_positions; /* "all" or "answer" */
} lb_demo_opts_t;

/* Defaults: out "leakbound-demo", quick 0, seed 0, authors 10, n 0 (by quick), finetune_epochs
 * 15, unlearn_target 0.45, unlearn_lr "1e-4", unlearn_epochs 30, entropy "0.3,0", positions
 * "all". */
LB_API lb_demo_opts_t lb_demo_opts_default(void);

/* The n a run of o samples: o->n when not 0, else LB_DEMO_N_QUICK with o->quick, else
 * LB_DEMO_N_FULL (what lb_demo_run uses and records). o must not be NULL. */
LB_API long lb_demo_opts_n(const lb_demo_opts_t *o);

/* One step as the hooks see it. */
typedef struct lb_demo_step {
    const char *name;          /* e.g. "finetune-1", "unlearn-ga", "eval-ga-forget", "tofu-ga" */
    const char *log_path;      /* where its log is while the run goes on (the temporary folder) */
    int quiet;                 /* a helper step: no line on the terminal (its log is kept) */
    int rc;                    /* step_end: 0, else the lb_error code (the message in log) */
    int note;                  /* a result line, not work (e.g. "select-ga": the kept step): no
                                  log file, no time */
    double seconds;            /* step_end: wall time */
    const char *summary;       /* step_end: one line of results (may be NULL) */
} lb_demo_step_t;

/* The caller's side of the run. Every member may be NULL. */
typedef struct lb_demo_hooks {
    void *user;
    /* Each human line of a step (no trailing newline). */
    void (*log)(void *user, const lb_demo_step_t *step, const char *line);
    void (*step_begin)(void *user, const lb_demo_step_t *step);
    void (*step_end)(void *user, const lb_demo_step_t *step);
    /* demo.json's, tofu.json's and the eval reports' "provenance" object for a model and a
     * data file (new reference; paths the run gives are the temporary folder's, rewritten to
     * the final folder's afterwards), or NULL: {"leakbound_version"} is used. */
    json_t *(*provenance)(void *user, const char *model_dir, const char *data_path, lb_error_t *err);
} lb_demo_hooks_t;

/* One eval (forget or retain set) of a row, from its run's lb_eval_result_t: what its folder's
 * report.json says. Means are over questions. */
typedef struct lb_demo_eval {
    double greedy, mean, max, m_mu, m_sigma, ed;
    double leak_share;      /* share of questions with a sampled answer >= the leak threshold */
    double hidden_share;    /* share of questions with greedy < 0.5 and a sampled answer >= it */
    double diversity;       /* 1 - mean pairwise ROUGE-L F of a question's sampled answers */
    size_t n_questions;
    double *q_m_mu;         /* (n_questions) per-question M_mu, in report order; owned */
    char **q_id;            /* (n_questions) per-question ids as JSON text; owned */
    double *q_greedy;       /* (n_questions) per-question greedy score; owned */
    size_t *q_leaks;        /* (n_questions) sampled answers >= the leak threshold; owned */
    size_t n_samples;       /* sampled answers per question */
    double *samples;        /* (n_questions * n_samples) the sampled scores in the order the eval
                               folder's samples.jsonl lists them (question groups as the run
                               completed them; demo_forget.svg's values); owned */
} lb_demo_eval_t;

/* TOFU's metrics of one model against the retain model; NaN when not computed. */
typedef struct lb_demo_tofu {
    int run;
    double forget_quality, model_utility, forget_truth_ratio;
    char dir[64];           /* its files under eval/, e.g. "ga/tofu" */
    double seconds;
} lb_demo_tofu_t;

/* One evaluated model (a row of the table). */
typedef struct lb_demo_row {
    const char *name;       /* table label, e.g. "GA + EO" */
    const char *dir;        /* folder name under eval/ (and models/, except ATS rows) */
    const char *model_dir;  /* folder name under models/ */
    const char *method;     /* ga | gd | npo; NULL for the fine-tuned model */
    int entropy, adaptive;
    int base;               /* index of the row this one is compared with (-1: none) */
    lb_demo_eval_t forget, retain;
    int step, steps, reached; /* unlearning: the kept step, of the schedule, target reached */
    int n_trace;
    double trace_greedy[LB_DEMO_MAX_STEPS]; /* greedy forget after each optimizer step */
    /* The sampled trajectory (unlearning rows without ATS; n_traj 0 otherwise): at steps k, 2k,
     * ... < step with k = ceil(step / LB_DEMO_TRAJ_POINTS), LB_DEMO_TRAJ_N sampled answers per
     * forget question (the forget eval's settings), then the kept step with the row's forget
     * eval (n answers). Greedy is the trace's value at that step; means are over questions. */
    int n_traj;
    int traj_step[LB_DEMO_TRAJ_POINTS + 1];
    double traj_greedy[LB_DEMO_TRAJ_POINTS + 1], traj_mean[LB_DEMO_TRAJ_POINTS + 1];
    double traj_m_mu[LB_DEMO_TRAJ_POINTS + 1];
    double traj_seconds;    /* the trajectory's evaluations (wall time) */
    double seconds;
    lb_demo_tofu_t tofu;
} lb_demo_row_t;

/* The alignment section (claim 4), per class of requests (0: harmful, 1: benign). */
typedef struct lb_demo_align {
    int run;
    long n;
    double harm_rate;
    size_t n_prompts[2], greedy_harm[2], any_harm[2], hidden[2], harm_samples[2], samples[2];
    double mean_lower[2], mean_m_mu[2];
    size_t judge_agree, judge_total;
    double hidden_share, agreement;
    int shown;
    double seconds;
} lb_demo_align_t;

/* The run: its resolved settings, what every step gave, and the report's inputs. */
typedef struct lb_demo_result {
    const char *out;        /* where the steps write (the temporary folder) during the run */
    const char *final_out;  /* opts.out once its lock is held and the temporary folder made
                               (NULL when lb_demo_run failed before: options, lock, out) */
    char stage_dir[4096];   /* a failed run's kept temporary folder ("" when none) */
    const lb_demo_opts_t *opts;   /* borrowed from lb_demo_run's arguments: valid during the run */
    const lb_demo_hooks_t *hooks;
    int quick;
    long seed;
    int authors;
    long vocab;
    const char *size;
    long n, retain_n;
    double alpha, temperature, top_p, leak_threshold, ats_threshold;
    long max_new, retain_q;
    int ft_epochs, ft_rounds, ft_rounds_used;
    double ft_greedy, ft_target;
    const char *ft_lr, *ul_lr;
    int ul_epochs, ul_batch, ul_steps_total;
    double ul_target;
    const char *entropy, *entropy_positions;
    int diversity_samples;
    double total_seconds;
    lb_demo_row_t rows[LB_DEMO_MAX_MODELS];
    size_t n_rows;
    lb_demo_align_t align;
    lb_demo_tofu_t retain_tofu;
    double retain_seconds;
    char *summary;          /* the table and the claims as text (malloc'd; the CLI prints it) */
} lb_demo_result_t;

/* Run the whole demo for opts into opts->out. *result needs no initialisation; release it
 * with lb_demo_result_free (also after a failure). Errors: LB_EINVAL (bad options, naming the
 * field and the allowed range; an unusable out; out being written by another run and !wait),
 * those of the failing step (its name in err and its log), LB_EIO, LB_ENOMEM. */
LB_API int lb_demo_run(const lb_demo_opts_t *opts, const lb_demo_hooks_t *hooks,
                       lb_demo_result_t *result, lb_error_t *err);

/* Free what the run put in *result and zero it; NULL is a no-op. */
LB_API void lb_demo_result_free(lb_demo_result_t *result);

/* Free e's arrays (q_m_mu, q_id and its strings, q_greedy, q_leaks, samples: a row's
 * lb_demo_eval_t, filled by lb_demo_run) and set them to NULL; e must not be NULL, its counts
 * and means are kept. lb_demo_result_free does this for every row. */
LB_API void lb_demo_eval_free(lb_demo_eval_t *e);

/* Write <r->out>/demo.md, demo.json, demo_forget.svg and demo_trajectory_{ga,gd,npo}.svg (each
 * atomically) from the result, and set r->summary (the table and the claims as text). The
 * claims' verdicts are computed from r's rows by the rules the report states. Errors: LB_EIO,
 * LB_EFORMAT (rows evaluated on different questions), LB_ENOMEM. */
LB_API int lb_demo_write_report(lb_demo_result_t *r, lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
