/*
 * cli_demo.h — `leakbound demo`: shared between the orchestration (cli_demo.c) and the report
 * (cli_demo_report.c). Private to src/cli.
 */
#ifndef LB_CLI_DEMO_H
#define LB_CLI_DEMO_H

#include <stddef.h>

#include "leakbound/core.h"

#define DEMO_MAX_MODELS 8

/* One evaluated model: where its eval folders are and what was read back from them. */
typedef struct {
    const char *name;       /* table label, e.g. "GA + entropy" */
    const char *dir;        /* short folder name under models/ and eval/ */
    const char *method;     /* ga | gd | npo; NULL for the fine-tuned model */
    int entropy;
    /* forget set (means over questions) */
    double greedy, mean, max, m_mu, m_sigma, ed;
    double leak_share;      /* share of questions with a sampled answer >= the leak threshold */
    size_t n_questions;
    /* retain sample */
    double retain_greedy, retain_mean;
    double seconds;         /* unlearning + evaluation wall time */
} demo_row_t;

typedef struct {
    const char *out;        /* the demo folder */
    int quick;
    int authors;
    long vocab;
    const char *size;
    long n;                 /* sampled answers per question */
    double alpha, temperature, top_p, leak_threshold;
    long max_new;
    long retain_q;
    int ft_epochs, ft_rounds, ft_rounds_used;
    double ft_greedy;       /* greedy ROUGE-L recall on forget10 after fine-tuning */
    double ft_target;
    const char *ft_lr, *ul_lr;
    int ul_epochs;
    double total_seconds;
    demo_row_t rows[DEMO_MAX_MODELS];
    size_t n_rows;
} demo_t;

/* Read DIR/report.json of an eval: summary means, mean greedy score, and the share of prompts
 * whose max sampled score is >= threshold. Any pointer may be NULL. */
int demo_read_eval(const char *dir, double threshold, double *greedy, double *mean, double *max,
                   double *m_mu, double *m_sigma, double *ed, double *share, size_t *n_prompts,
                   lb_error_t *err);

/* Write <out>/demo.md, <out>/demo.json and <out>/demo_forget.svg (atomically), and print the
 * table to stdout. */
int demo_write_report(const demo_t *d, lb_error_t *err);

#endif
