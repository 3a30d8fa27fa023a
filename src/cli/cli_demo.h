/*
 * cli_demo.h — `leakbound demo`: shared between the orchestration (cli_demo.c) and the report
 * (cli_demo_report.c). Private to src/cli.
 */
#ifndef LB_CLI_DEMO_H
#define LB_CLI_DEMO_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "leakbound/core.h"

#define DEMO_MAX_MODELS 16
#define DEMO_MAX_STEPS 512

/* What one eval folder (forget or retain set) says, read back from its report.json and
 * samples.jsonl. Means are over questions. */
typedef struct {
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
} demo_eval_t;

/* TOFU's metrics of one model (lb_tofu_run, cli_demo_tofu.c), against the retain model as the
 * forget-quality reference; NaN when not computed. */
typedef struct {
    int run;                /* lb_tofu_run ran for this model */
    double forget_quality;  /* KS-test p-value, forget truth ratios vs the retain model's */
    double model_utility;   /* harmonic mean of retain probability, ROUGE-L recall, truth ratio */
    double forget_truth_ratio; /* forget split: mean of min(tr, 1/tr) */
    char dir[64];           /* its tofu.json, tofu.md, items.jsonl: under eval/, e.g. "ga/tofu" */
    double seconds;
} demo_tofu_t;

#define DEMO_RETAIN_MODEL "retain90" /* models/ folder of the retain model */

/* One evaluated model: where its eval folders are and what was read back from them. */
typedef struct {
    const char *name;       /* table label, e.g. "GA + EO" */
    const char *dir;        /* folder name under eval/ (and models/, except ATS rows) */
    const char *model_dir;  /* folder name under models/ */
    const char *method;     /* ga | gd | npo; NULL for the fine-tuned model */
    int entropy;            /* trained with entropy optimisation */
    int adaptive;           /* evaluated with adaptive temperature scaling */
    int base;               /* index of the row this one is compared with (-1: none) */
    demo_eval_t forget, retain;
    /* unlearning: the checkpoint chosen (first whose greedy forget <= target) */
    int step, steps, reached;
    int n_trace;
    double trace_greedy[DEMO_MAX_STEPS]; /* greedy forget after step t + 1: every step, in order */
    double seconds;         /* unlearning + evaluation wall time */
    demo_tofu_t tofu;       /* ATS rows: their model's (the same weights) */
} demo_row_t;

/* The alignment section (cli_demo_align.c): eval --metric judge of a refusal-trained chat
 * model, read back per class of requests (0: harmful, 1: benign). */
typedef struct {
    int run;                /* the section ran and was read back */
    long n;                 /* sampled answers per request */
    double harm_rate;       /* eval --harm-rate */
    size_t n_prompts[2], greedy_harm[2], any_harm[2], hidden[2], harm_samples[2], samples[2];
    double mean_lower[2];   /* mean one-sided CP lower bound on P(harmful) */
    double mean_m_mu[2];
    size_t judge_agree, judge_total; /* judge vs the forbidden-word rule, every answer */
    double hidden_share, agreement;
    int shown;              /* the claim's verdict */
    double seconds;
} demo_align_t;

typedef struct {
    const char *out;        /* where the steps write: the demo folder's temporary sibling */
    const char *final_out;  /* the demo folder (--out): the temporary one is put there at the end */
    int argc;               /* the demo's command line ("leakbound demo ...") */
    char **argv;
    int quick;
    long seed;
    int authors;
    long vocab;
    const char *size;
    long n;                 /* sampled answers per forget question */
    long retain_n;          /* sampled answers per retain question */
    double alpha, temperature, top_p, leak_threshold;
    double ats_threshold;   /* adaptive temperature: greedy where the top token's probability >= this */
    long max_new;
    long retain_q;
    int ft_epochs, ft_rounds, ft_rounds_used;
    double ft_greedy;       /* greedy ROUGE-L recall on forget10 after fine-tuning */
    double ft_target;
    const char *ft_lr, *ul_lr;
    int ul_epochs, ul_batch;
    int ul_steps_total;     /* optimizer steps of the whole unlearning schedule */
    double ul_target;       /* unlearning stops at the first checkpoint with greedy forget <= this */
    const char *entropy, *entropy_positions;
    int diversity_samples;  /* samples per retain question in the diversity measure */
    double total_seconds;
    demo_row_t rows[DEMO_MAX_MODELS];
    size_t n_rows;
    demo_align_t align;
    demo_tofu_t retain_tofu; /* the retain model (models/retain90) */
    double retain_seconds;   /* its training */
} demo_t;

/* Run one subcommand as a demo step (its stderr and stdout to <out>/logs/<log>.log, one
 * terminal line). Returns its exit status. */
int demo_step(const demo_t *d, const char *log, int (*fn)(int, char **), char **argv);

/* Seconds on the monotonic clock (the demo's step and section timings). */
double demo_now(void);

/* The alignment section: data, tokenizer, chat model and judge (init + finetune), eval with the
 * judge, read back into d->align. Returns 0 or LB_EXIT_FAIL (the failing step is named). */
int demo_align(demo_t *d);
/* demo.json's "alignment" object and demo.md's section with claim 4. */
json_t *demo_align_json(const demo_t *d);
void demo_align_md(const demo_t *d, FILE *f);

/* TOFU's metrics (lb_tofu_run: forget10 and retain90, template phi, the demo's max new tokens,
 * models/retain90 as the forget-quality reference) of models/<model> into *t, its files written
 * to eval/<eval_dir>/tofu. Returns 0 or LB_EXIT_FAIL (the error printed). */
int demo_tofu(demo_t *d, const char *model, const char *eval_dir, demo_tofu_t *t);

/* Read DIR/report.json and DIR/samples.jsonl of an eval into *e (zeroed first). threshold: the
 * leak threshold; diversity_samples > 0 also computes e->diversity from the first that many
 * sampled answers of each question. Free with demo_eval_free. */
int demo_read_eval(const char *dir, double threshold, int diversity_samples, demo_eval_t *e,
                   lb_error_t *err);
void demo_eval_free(demo_eval_t *e);

/* Write <out>/demo.md, <out>/demo.json and <out>/demo_forget.svg (atomically), and print the
 * table and the claims to stdout. */
int demo_write_report(const demo_t *d, lb_error_t *err);

#endif
