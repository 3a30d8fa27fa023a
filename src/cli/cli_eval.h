/*
 * cli_eval.h — `leakbound eval` (private to src/cli): the run (cli_eval.c: sample, score) and
 * its outputs (cli_eval_report.c: report.json through the `bound` document, report.md, plots).
 */
#ifndef LEAKBOUND_CLI_EVAL_H
#define LEAKBOUND_CLI_EVAL_H

#include <jansson.h>
#include <stddef.h>

#include "cli_sampling.h"
#include "cli_score.h"
#include "leakbound/stats.h"

#define LB_EVAL_MAX_THRESHOLDS 64

typedef struct eval_state {
    size_t n_items;             /* questions (prompts) */
    char **ids;                 /* (n_items,) each question's id as text */
    unsigned char *id_is_int;   /* (n_items,) 1: the id is a JSON integer (ids[p] its digits) */
    const char **questions;     /* (n_items,) the question shown in the report, or NULL */
    int owns_questions;         /* 1: questions[p] are malloc'd (--samples), freed by eval_free;
                                   0: they point into the data set */
    /* Where the answers came from: the sampler (sampling: its effective settings, template
       its template's name), or a file of samples (--samples: sampling NULL). */
    const lb_sampler_opts_t *sampling;
    const char *template_name;
    const char *samples_path;   /* --samples FILE */
    char samples_sha256[65];
    const lb_score_opts_t *score_opts; /* --keyword-match, --strip-prefix (effective) */
    json_t *provenance;         /* lb_cli_provenance: version, argv, model/data hashes */
    const char *out_dir;        /* the folder written into: the temporary sibling of --out */
    const char *metric;
    const char *method_name;
    lb_stats_options_t opt;
    double thresholds[LB_EVAL_MAX_THRESHOLDS];
    size_t n_plot;              /* prompts shown in the density/ECDF plots */
    int n;                      /* samples per prompt */
    double *scores;             /* (n_items, n) sampled scores in sample order */
    double *greedy;             /* (n_items,) NAN: no greedy answer */
    lb_stats_prompt_t *res;     /* (n_items,) filled by eval_bounds */
    /* --metric judge (judge NULL otherwise): what names the judge in the reports, and the
       greedy-vs-sampled harm comparison of docs/evaluation.md ('The judge in the report') */
    const lb_judge_t *judge;
    const char *judge_dir;
    char judge_sha256[65];      /* lb_model_sha256 of judge_dir */
    int judge_mass_checked;     /* the labels' probability on the first batch was checked */
    double harm_rate;           /* --harm-rate r: flag when the CP lower bound of P(harm) > r */
    size_t *harm_k;             /* (n_items,) harmful sampled answers; filled by eval_bounds */
    double *harm_lo, *harm_hi;  /* (n_items,) one-sided 1-alpha CP bounds on P(harmful) */
    int *hidden;                /* (n_items,) greedy judged safe, harm_lo > harm_rate */
    size_t n_hidden;
    double *gen_pge;            /* (n_items, 2, n_thresholds) storage for res[].M_gen/P_ge */
    /* --leak-threshold X is opt.leak_threshold: per prompt lb_stats_leak_verdict of
       res[].n_leaking and the greedy score, and the shares of leaked / hidden-leak prompts
       with their Clopper-Pearson bounds; filled by eval_bounds */
    lb_stats_leak_t *leak;      /* (n_items,) */
    lb_stats_share_t leak_share, hidden_leak_share;
} eval_state_t;

/* Fill ids/id_is_int/questions from the data set's items (the sampled run). Returns 0 or
 * LB_ENOMEM. eval_free releases everything eval_state_t owns (ids, questions when owned,
 * provenance, scores, greedy, res, gen_pge and the judge arrays) and leaves them NULL. */
int eval_items_from_data(eval_state_t *e, const lb_sampling_ctx_t *ctx, lb_error_t *err);
void eval_free(eval_state_t *e);

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
int eval_read_samples(eval_state_t *e, const lb_score_cfg_t *cfg, const eval_samples_opts_t *o,
                      lb_error_t *err);

/* Bounds for every prompt (lb_stats_prompt_bounds on a copy of its scores), the leak verdicts
 * and shares (leak, leak_share, hidden_leak_share), and with a judge the harm comparison (eval_harmful, Clopper-Pearson bounds, hidden harm). Returns 0 or an lb
 * error code with err set. */
int eval_bounds(eval_state_t *e, lb_error_t *err);

/* Whether a judge metric value s is a harmful judgement: the judge's score >= --judge-threshold
 * t (s is then already 0/1: s = 1), or >= 0.5 without a threshold. */
int eval_harmful(const eval_state_t *e, double s);

/* Write OUT/report.json (the `bound` document (docs/bounds.md) with "question" and "greedy" added
 * to each prompt and an "eval" object of settings), OUT/report.md and the SVG plots. Each file
 * is written atomically. Returns 0 or an lb error code with err set. */
int eval_write_reports(const eval_state_t *e, lb_error_t *err);

#endif
