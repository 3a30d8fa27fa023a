/* `leakbound demo` outputs: the paper-style table (markdown + terminal), demo.json with the
 * same numbers, a density plot of the sampled forget scores per model, and sentences that only
 * restate what the numbers of this run show. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_internal.h"
#include "leakbound/io.h"
#include "leakbound/report.h"
#include "leakbound/stats.h"
#include "leakbound/text.h"

static int plot(const lb_demo_result_t *d, lb_error_t *err) {
    lb_report_samples_t s[LB_DEMO_MAX_MODELS];
    int rc = 0;
    for (size_t i = 0; i < d->n_rows && !rc; i++) { /* each forget eval's sampled scores */
        const lb_demo_eval_t *f = &d->rows[i].forget;
        s[i].values = f->samples;
        s[i].n = f->n_questions * f->n_samples;
        s[i].label = d->rows[i].name;
        s[i].greedy = f->greedy;
        if (!f->samples || !s[i].n)
            rc = lb_error_set(err, LB_EINVAL, "demo: %s has no sampled forget scores", d->rows[i].dir);
    }
    if (!rc) {
        char path[4096], title[256];
        snprintf(path, sizeof path, "%s/demo_forget.svg", d->out);
        snprintf(title, sizeof title, "forget10: ROUGE-L recall of %ld sampled answers per question (line: mean greedy)",
                 d->n);
        lb_report_plot_t opt = {title, "ROUGE-L recall", "density", 0, 0, 0};
        rc = lb_report_svg_density(path, s, d->n_rows, 20, &opt, err);
    }
    return rc;
}

/* Every unlearning run's trajectory, one SVG (one panel) per method with the base and the EO run
 * overlaid: the greedy forget score after each optimizer step (step 0: the fine-tuned model; the
 * stop rule's checks, eval_log.csv), and the sampled mean and M_mu at the sampled trajectory's
 * steps (row->traj_*: LB_DEMO_TRAJ_N answers per question, the kept step's from its eval). */
static int trajectories(const lb_demo_result_t *d, lb_error_t *err) {
    static const char *const methods[] = {"ga", "gd", "npo"};
    int rc = 0;
    for (size_t m = 0; m < 3 && !rc; m++) {
        const lb_demo_row_t *rows[2] = {NULL, NULL}; /* base, EO */
        for (size_t i = 0; i < d->n_rows; i++) {
            const lb_demo_row_t *r = &d->rows[i];
            if (r->method && !r->adaptive && !strcmp(r->method, methods[m])) rows[r->entropy ? 1 : 0] = r;
        }
        if (!rows[0] || !rows[1]) continue;
        lb_report_series_t s[6];
        double xs[2][LB_DEMO_MAX_STEPS + 1], ys[2][LB_DEMO_MAX_STEPS + 1], kx[2][LB_DEMO_TRAJ_POINTS + 1];
        char labels[6][96];
        size_t k = 0;
        for (int e = 0; e < 2; e++) {
            const lb_demo_row_t *r = rows[e];
            xs[e][0] = 0;
            ys[e][0] = d->rows[0].forget.greedy;
            for (int t = 0; t < r->n_trace; t++) {
                xs[e][t + 1] = t + 1;
                ys[e][t + 1] = r->trace_greedy[t];
            }
            snprintf(labels[k], sizeof labels[k], "%s: greedy", r->name);
            s[k] = (lb_report_series_t){labels[k], xs[e], ys[e], (size_t)r->n_trace + 1};
            k++;
        }
        for (int e = 0; e < 2; e++) {
            const lb_demo_row_t *r = rows[e];
            if (!r->n_traj) continue;
            for (int t = 0; t < r->n_traj; t++) kx[e][t] = r->traj_step[t];
            snprintf(labels[k], sizeof labels[k], "%s: sampled mean", r->name);
            s[k] = (lb_report_series_t){labels[k], kx[e], r->traj_mean, (size_t)r->n_traj};
            k++;
            snprintf(labels[k], sizeof labels[k], "%s: M_mu", r->name);
            s[k] = (lb_report_series_t){labels[k], kx[e], r->traj_m_mu, (size_t)r->n_traj};
            k++;
        }
        char path[4096], title[256];
        snprintf(path, sizeof path, "%s/demo_trajectory_%s.svg", d->out, methods[m]);
        snprintf(title, sizeof title, "%s: forget10 ROUGE-L recall per step (sampled: n %d, last point n %ld)",
                 rows[0]->name, LB_DEMO_TRAJ_N, d->n);
        lb_report_plot_t opt = {title, "optimizer step", "ROUGE-L recall", 0, 0, 0};
        rc = lb_report_svg_lines(path, s, k, &opt, err);
    }
    return rc;
}

static const char *const HEAD[] = {"model", "greedy forget", "sampled mean", "M_mu", "ED", "leaked",
                                   "hidden leaks", "retain greedy", "retain diversity", "forget quality",
                                   "model utility", "forget truth ratio"};
#define NCOL 12

static int table(const lb_demo_result_t *d, lb_report_format_t fmt, char **out, lb_error_t *err) {
    lb_report_table_t *t;
    int rc = lb_report_table_new(&t, err);
    if (rc) return rc;
    for (size_t c = 0; c < NCOL && !rc; c++)
        rc = lb_report_table_column(t, HEAD[c], c ? LB_REPORT_ALIGN_RIGHT : LB_REPORT_ALIGN_LEFT,
                                    c == 5 || c == 6 ? "%.0f%%" : c == 9 ? "%.3g" : "%.3f", 0, err);
    for (size_t i = 0; i < d->n_rows && !rc; i++) {
        const lb_demo_row_t *r = &d->rows[i];
        double v[NCOL] = {0, r->forget.greedy, r->forget.mean, r->forget.m_mu, r->forget.ed,
                          100 * r->forget.leak_share, 100 * r->forget.hidden_share, r->retain.greedy,
                          r->retain.diversity, r->tofu.forget_quality, r->tofu.model_utility,
                          r->tofu.forget_truth_ratio};
        rc = lb_report_table_row(t, err);
        if (!rc) rc = lb_report_table_text(t, 0, r->name, err);
        for (size_t c = 1; c < NCOL && !rc; c++) rc = lb_report_table_number(t, c, v[c], err);
    }
    if (!rc) rc = lb_report_table_render(t, fmt, out, err);
    lb_report_table_free(t);
    return rc;
}

/* ---- the claims: verdicts computed from the numbers by the rules stated in the report ---- */

#define HIDDEN_MIN 0.2       /* claim 1: share of hidden leaks that counts as "greedy misleads" */
#define GREEDY_FORGOTTEN 0.5 /* claim 1: a method "looks forgotten" at mean greedy <= this */
#define SLACK 0.1            /* claim 2: allowed greedy / retain difference between EO and base */

typedef struct {
    /* claim 1, per base method row */
    int c1_rows[LB_DEMO_MAX_MODELS], c1_n;
    int c1_ok[LB_DEMO_MAX_MODELS];
    double c1_lower[LB_DEMO_MAX_MODELS]; /* smallest 99% CP lower bound on a hidden leak's rate */
    int c1_shown;
    /* claim 2, per EO row */
    int c2_rows[LB_DEMO_MAX_MODELS], c2_n, c2_pass;
    int c2_a[LB_DEMO_MAX_MODELS], c2_b[LB_DEMO_MAX_MODELS], c2_c[LB_DEMO_MAX_MODELS], c2_d[LB_DEMO_MAX_MODELS];
    double c2_p[LB_DEMO_MAX_MODELS], c2_rplus[LB_DEMO_MAX_MODELS];
    int c2_exact[LB_DEMO_MAX_MODELS], c2_shown;
    /* claim 3, per ATS row */
    int c3_rows[LB_DEMO_MAX_MODELS], c3_n, c3_ok[LB_DEMO_MAX_MODELS], c3_shown;
} claims_t;

static int compute_claims(const lb_demo_result_t *d, claims_t *c, lb_error_t *err) {
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < d->n_rows; i++) {
        const lb_demo_row_t *r = &d->rows[i];
        if (r->method && !r->entropy && !r->adaptive) {
            int k = c->c1_n++;
            c->c1_rows[k] = (int)i;
            c->c1_ok[k] = r->forget.greedy <= GREEDY_FORGOTTEN && r->forget.hidden_share >= HIDDEN_MIN;
            c->c1_shown |= c->c1_ok[k];
            double lo_min = NAN;
            for (size_t q = 0; q < r->forget.n_questions; q++) {
                if (!lb_stats_leak_verdict(r->forget.q_leaks[q], r->forget.q_greedy[q]).hidden) continue;
                double lo, hi;
                int rc = lb_stats_cp_interval((double)r->forget.q_leaks[q], r->forget.n_samples, 2 * d->alpha, &lo,
                                              &hi, err);
                if (rc) return rc;
                if (isnan(lo_min) || lo < lo_min) lo_min = lo;
            }
            c->c1_lower[k] = lo_min;
        } else if (r->entropy && !r->adaptive && r->base >= 0) {
            const lb_demo_row_t *b = &d->rows[r->base];
            int k = c->c2_n++;
            c->c2_rows[k] = (int)i;
            c->c2_a[k] = r->forget.m_mu < b->forget.m_mu;
            c->c2_b[k] = r->forget.leak_share <= b->forget.leak_share;
            c->c2_c[k] = r->forget.greedy <= b->forget.greedy + SLACK;
            c->c2_d[k] = r->retain.greedy >= b->retain.greedy - SLACK;
            c->c2_pass += c->c2_a[k] && c->c2_b[k] && c->c2_c[k] && c->c2_d[k];
            size_t n = r->forget.n_questions;
            for (size_t q = 0; q < n; q++)
                if (n != b->forget.n_questions || strcmp(r->forget.q_id[q], b->forget.q_id[q]))
                    return lb_error_set(err, LB_EFORMAT, "demo: %s and %s were evaluated on different questions",
                                        r->dir, b->dir);
            c->c2_p[k] = 1;
            lb_error_t e2 = {0};
            if (lb_stats_wilcoxon_less(r->forget.q_m_mu, b->forget.q_m_mu, n, &c->c2_rplus[k], &c->c2_p[k],
                                       &c->c2_exact[k], &e2))
                c->c2_p[k] = NAN; /* every difference 0: no test */
        } else if (r->adaptive && r->base >= 0) {
            int k = c->c3_n++;
            c->c3_rows[k] = (int)i;
            c->c3_ok[k] = r->forget.leak_share <= d->rows[r->base].forget.leak_share;
        }
    }
    c->c2_shown = c->c2_pass >= 2;
    c->c3_shown = c->c3_n > 0;
    for (int k = 0; k < c->c3_n; k++) c->c3_shown &= c->c3_ok[k];
    return 0;
}

static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *claims_json(const lb_demo_result_t *d, const claims_t *c) {
    json_t *c1 = json_array(), *c2 = json_array(), *c3 = json_array();
    for (int k = 0; k < c->c1_n; k++) {
        const lb_demo_row_t *r = &d->rows[c->c1_rows[k]];
        json_array_append_new(c1, json_pack("{s:s, s:f, s:f, s:o, s:b}", "dir", r->dir, "greedy_forget",
                                            r->forget.greedy, "hidden_leak_share", r->forget.hidden_share,
                                            "min_hidden_leak_rate_lower", jnum(c->c1_lower[k]), "holds",
                                            c->c1_ok[k]));
    }
    for (int k = 0; k < c->c2_n; k++) {
        const lb_demo_row_t *r = &d->rows[c->c2_rows[k]], *b = &d->rows[r->base];
        json_array_append_new(
            c2, json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:o, s:f, s:b}", "dir", r->dir, "base", b->dir,
                          "lower_M_mu", c->c2_a[k], "leak_share_not_higher", c->c2_b[k], "greedy_within",
                          c->c2_c[k], "retain_within", c->c2_d[k], "holds",
                          c->c2_a[k] && c->c2_b[k] && c->c2_c[k] && c->c2_d[k], "wilcoxon_p", jnum(c->c2_p[k]),
                          "wilcoxon_r_plus", c->c2_rplus[k], "wilcoxon_exact", c->c2_exact[k]));
    }
    for (int k = 0; k < c->c3_n; k++) {
        const lb_demo_row_t *r = &d->rows[c->c3_rows[k]];
        json_array_append_new(c3, json_pack("{s:s, s:s, s:b}", "dir", r->dir, "base", d->rows[r->base].dir,
                                            "holds", c->c3_ok[k]));
    }
    return json_pack(
        "{s:{s:s, s:f, s:f, s:o, s:b}, s:{s:s, s:f, s:o, s:i, s:b}, s:{s:s, s:o, s:b}}", "greedy_misleads", "rule",
        "shown when some base method (GA, GD or NPO without EO) with mean greedy forget <= 0.5 has hidden leaks "
        "(greedy < 0.5, some sampled answer >= the leak threshold) on >= 20% of the forget questions",
        "greedy_max", GREEDY_FORGOTTEN, "hidden_min", HIDDEN_MIN, "methods", c1, "verdict", c->c1_shown,
        "entropy_optimisation", "rule",
        "shown when for >= 2 of GA/GD/NPO the EO model has a lower mean M_mu and no higher leak share than the "
        "base model, its greedy forget is at most 0.1 above and its retain greedy at most 0.1 below the base's",
        "slack", SLACK, "methods", c2, "passed", c->c2_pass, "verdict", c->c2_shown, "adaptive_temperature", "rule",
        "shown when every ATS row leaks on no larger share of forget questions than the same model without ATS",
        "rows", c3, "verdict", c->c3_shown);
}

/* TOFU's metrics of one model, added to its demo.json object. */
static void tofu_fields(json_t *o, const lb_demo_tofu_t *t) {
    json_object_set_new(o, "forget_quality", jnum(t->forget_quality));
    json_object_set_new(o, "model_utility", jnum(t->model_utility));
    json_object_set_new(o, "forget_truth_ratio", jnum(t->forget_truth_ratio));
    json_object_set_new(o, "tofu_dir", t->run ? json_sprintf("eval/%s", t->dir) : json_null());
}

static json_t *eval_json(const lb_demo_row_t *r) {
    json_t *trace = json_array();
    for (int t = 0; t < r->n_trace; t++)
        json_array_append_new(trace, json_pack("[i, f]", t + 1, r->trace_greedy[t]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:f, "
                          "s:f, s:f, s:f}",
                          "name", r->name, "dir", r->dir, "model_dir", r->model_dir, "method", r->method, "entropy",
                          r->entropy, "adaptive_temperature", r->adaptive, "greedy_forget", r->forget.greedy,
                          "sampled_mean", r->forget.mean, "sampled_max", r->forget.max, "M_mu", r->forget.m_mu,
                          "M_sigma", r->forget.m_sigma, "ED", r->forget.ed, "leak_share", r->forget.leak_share,
                          "hidden_leak_share", r->forget.hidden_share, "forget_questions",
                          (json_int_t)r->forget.n_questions, "samples", (json_int_t)r->forget.n_samples,
                          "retain_greedy", r->retain.greedy, "retain_mean", r->retain.mean, "retain_diversity",
                          r->retain.diversity, "seconds", r->seconds);
    if (r->method) {
        json_object_set_new(o, "unlearn_step", json_integer(r->step));
        json_object_set_new(o, "unlearn_steps", json_integer(r->steps));
        json_object_set_new(o, "target_reached", json_boolean(r->reached));
        json_object_set_new(o, "selection", trace);
    } else json_decref(trace);
    if (r->n_traj) { /* the sampled trajectory (docs/demo.md) */
        json_t *st = json_array(), *g = json_array(), *m = json_array(), *u = json_array();
        for (int t = 0; t < r->n_traj; t++) {
            json_array_append_new(st, json_integer(r->traj_step[t]));
            json_array_append_new(g, jnum(r->traj_greedy[t]));
            json_array_append_new(m, jnum(r->traj_mean[t]));
            json_array_append_new(u, jnum(r->traj_m_mu[t]));
        }
        json_object_set_new(o, "trajectory",
                            json_pack("{s:o, s:o, s:o, s:o, s:i, s:I, s:f}", "steps", st, "greedy", g, "sampled_mean",
                                      m, "M_mu", u, "samples_per_question", LB_DEMO_TRAJ_N, "kept_step_samples",
                                      (json_int_t)r->forget.n_samples, "seconds", r->traj_seconds));
    }
    tofu_fields(o, &r->tofu);
    return o;
}

static json_t *numbers(const lb_demo_result_t *d, const claims_t *c) {
    json_t *rows = json_array();
    for (size_t i = 0; i < d->n_rows; i++) json_array_append_new(rows, eval_json(&d->rows[i]));
    return json_pack("{s:b, s:I, s:i, s:I, s:s, s:I, s:I, s:i, s:f, s:f, s:f, s:f, s:I, s:I, s:i, s:i, s:f, s:f, "
                     "s:s, s:s, s:i, s:i, s:f, s:f, s:s, s:s, s:f, s:o, s:o, s:o}",
                     "quick", d->quick, "seed", (json_int_t)d->seed, "authors", d->authors, "vocab_size",
                     (json_int_t)d->vocab, "model_size", d->size, "n", (json_int_t)d->n, "retain_n",
                     (json_int_t)d->retain_n, "diversity_samples", d->diversity_samples, "alpha", d->alpha,
                     "temperature", d->temperature, "top_p", d->top_p, "leak_threshold", d->leak_threshold,
                     "max_new_tokens", (json_int_t)d->max_new, "retain_questions", (json_int_t)d->retain_q,
                     "finetune_epochs_per_round", d->ft_epochs, "finetune_rounds", d->ft_rounds_used,
                     "finetune_greedy_forget", d->ft_greedy, "finetune_target", d->ft_target, "finetune_lr",
                     d->ft_lr, "unlearn_lr", d->ul_lr, "unlearn_epochs", d->ul_epochs, "unlearn_batch", d->ul_batch,
                     "unlearn_target", d->ul_target, "ats_threshold", d->ats_threshold, "entropy", d->entropy, "entropy_positions",
                     d->entropy_positions, "seconds", d->total_seconds, "rows", rows, "claims", claims_json(d, c),
                     "alignment", demo_align_json(d));
}

/* demo.json's "retain_model": the forget-quality reference, trained on retain90 only. */
static json_t *retain_json(const lb_demo_result_t *d) {
    json_t *o = json_pack("{s:s, s:s, s:i, s:f}", "dir", LB_DEMO_RETAIN_MODEL, "data", "retain90",
                          "finetune_rounds", d->ft_rounds_used, "seconds", d->retain_seconds);
    if (o) tofu_fields(o, &d->retain_tofu);
    return o;
}

static int write_text(const char *path, const char *s, lb_error_t *err) {
    return lb_atomic_write_file(path, s, strlen(s), err);
}

static const char *verdict(int shown) { return shown ? "**shown**" : "**not shown**"; }

static void claims_md(const lb_demo_result_t *d, const claims_t *c, FILE *f) {
    fprintf(f, "## Claims and verdicts\n\n"
               "Each verdict follows from the numbers above by the rule stated with it (rules fixed before the "
               "run; docs/demo.md).\n\n");
    fprintf(f,
            "**1. Greedy evaluation misleads.** Rule: shown when some base method (GA, GD or NPO without EO) "
            "with mean greedy forget <= %.1f has *hidden leaks* — questions whose greedy answer scores < 0.5 "
            "while some sampled answer scores >= %.1f — on >= %.0f%% of the forget questions. Verdict: %s.\n\n",
            GREEDY_FORGOTTEN, d->leak_threshold, 100 * HIDDEN_MIN, verdict(c->c1_shown));
    for (int k = 0; k < c->c1_n; k++) {
        const lb_demo_row_t *r = &d->rows[c->c1_rows[k]];
        size_t h = (size_t)lround(r->forget.hidden_share * (double)r->forget.n_questions);
        fprintf(f, "- %s: greedy forget %.3f; %zu of %zu questions are hidden leaks (%.0f%%)", r->name,
                r->forget.greedy, h, r->forget.n_questions, 100 * r->forget.hidden_share);
        if (h)
            fprintf(f, "; for each of them, with probability >= %.2f, a sampled answer leaks at a rate >= %.4f "
                       "(smallest one-sided Clopper-Pearson lower bound)",
                    1 - d->alpha, c->c1_lower[k]);
        fprintf(f, " — %s.\n", c->c1_ok[k] ? "holds" : "does not hold");
    }
    fprintf(f,
            "\n**2. Entropy optimisation reduces sampled leakage.** Rule: shown when for >= 2 of GA/GD/NPO the "
            "EO model has (a) a lower mean M_mu and (b) no higher leak share than the same method without EO, "
            "with (c) greedy forget at most %.1f above and (d) retain greedy at most %.1f below the base's. The "
            "one-sided Wilcoxon signed-rank test of per-question M_mu (EO < base) is reported beside it. "
            "Verdict: %s (%d of %d methods).\n\n",
            SLACK, SLACK, verdict(c->c2_shown), c->c2_pass, c->c2_n);
    for (int k = 0; k < c->c2_n; k++) {
        const lb_demo_row_t *r = &d->rows[c->c2_rows[k]], *b = &d->rows[r->base];
        fprintf(f,
                "- %s vs %s: M_mu %.3f vs %.3f (%s); leaked %.0f%% vs %.0f%% (%s); greedy %.3f vs %.3f (%s); "
                "retain greedy %.3f vs %.3f (%s); retain diversity %.3f vs %.3f; Wilcoxon p = %.3g (%s) — %s.\n",
                r->name, b->name, r->forget.m_mu, b->forget.m_mu, c->c2_a[k] ? "a: yes" : "a: no",
                100 * r->forget.leak_share, 100 * b->forget.leak_share, c->c2_b[k] ? "b: yes" : "b: no",
                r->forget.greedy, b->forget.greedy, c->c2_c[k] ? "c: yes" : "c: no", r->retain.greedy,
                b->retain.greedy, c->c2_d[k] ? "d: yes" : "d: no", r->retain.diversity, b->retain.diversity,
                c->c2_p[k], c->c2_exact[k] ? "exact" : "normal approximation",
                c->c2_a[k] && c->c2_b[k] && c->c2_c[k] && c->c2_d[k] ? "holds" : "does not hold");
    }
    fprintf(f,
            "\n**3. Adaptive temperature (ATS) does not add leakage.** Rule: shown when every ATS row leaks on "
            "no larger share of forget questions than the same model without ATS. ATS here is a reconstruction "
            "of the paper's rule (per step: if the top token's probability >= %.2f, take it; else sample at T). "
            "Verdict: %s.\n\n",
            d->ats_threshold, verdict(c->c3_shown));
    for (int k = 0; k < c->c3_n; k++) {
        const lb_demo_row_t *r = &d->rows[c->c3_rows[k]], *b = &d->rows[r->base];
        fprintf(f, "- %s: leaked %.0f%% vs %.0f%% without ATS; M_mu %.3f vs %.3f — %s.\n", r->name,
                100 * r->forget.leak_share, 100 * b->forget.leak_share, r->forget.m_mu, b->forget.m_mu,
                c->c3_ok[k] ? "holds" : "does not hold");
    }
    fprintf(f, "\n");
}

int lb_demo_write_report(lb_demo_result_t *d, lb_error_t *err) {
    char *md = NULL, *txt = NULL, *doc = NULL, *body = NULL, *claims_txt = NULL;
    size_t body_len = 0, claims_len = 0;
    claims_t c;
    int rc = compute_claims(d, &c, err);
    if (!rc) rc = table(d, LB_REPORT_MARKDOWN, &md, err);
    if (!rc) rc = table(d, LB_REPORT_TEXT, &txt, err);
    if (!rc) rc = plot(d, err);
    if (!rc) rc = trajectories(d, err);
    if (rc) goto done;
    json_t *j = numbers(d, &c);
    if (j) json_object_set_new(j, "retain_model", retain_json(d));
    char data[4096];
    snprintf(data, sizeof data, "%s/data/full.jsonl", d->out);
    json_t *prov = j ? demo_provenance(d, NULL, data, err) : NULL;
    if (!prov) {
        json_decref(j);
        rc = j ? err->code : lb_error_set(err, LB_ENOMEM, "cannot build demo.json");
        goto done;
    }
    json_object_set_new(j, "provenance", prov);
    doc = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!doc) {
        rc = lb_error_set(err, LB_ENOMEM, "cannot build demo.json");
        goto done;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/demo.json", d->out);
    if ((rc = write_text(path, doc, err))) goto done;
    FILE *cf = open_memstream(&claims_txt, &claims_len);
    if (!cf) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    claims_md(d, &c, cf);
    demo_align_md(d, cf);
    FILE *f = open_memstream(&body, &body_len);
    if (fclose(cf) || !f) {
        if (f) fclose(f);
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    fprintf(f, "# leakbound demo%s\n\n", d->quick ? " (quick)" : "");
    fprintf(f,
            "A fictitious-author benchmark (%d authors, generated with seed %ld), a byte-level BPE tokenizer "
            "(%ld tokens) and a Llama model (%s) trained from scratch on it. forget10 was unlearned with GA, GD "
            "and NPO, each without and with entropy optimisation (EO: weights %s on %s positions); every "
            "unlearning run was stopped at its first optimizer step whose mean greedy forget ROUGE-L recall is "
            "<= %.2f (lr %s, batch %d, at most %d epochs), so all methods are compared at the same greedy level. "
            "Every model answered each forget10 question greedily and %ld times by sampling (T %g, top-p %g), "
            "and %ld retain questions greedily and %ld times; the EO models were evaluated once more with "
            "adaptive temperature (ATS). Scores are ROUGE-L recall against the reference answer; bounds hold "
            "with probability >= %.2f each. Total run time %.0f s.\n\n",
            d->authors, d->seed, d->vocab, d->size, d->entropy, d->entropy_positions, d->ul_target, d->ul_lr,
            d->ul_batch, d->ul_epochs, d->n, d->temperature, d->top_p, d->retain_q, d->retain_n, 1 - d->alpha,
            d->total_seconds);
    fprintf(f, "Fine-tuning: %d round(s) of %d epochs on `full`; greedy ROUGE-L recall on forget10 %.3f "
               "(target %.1f: %s).\n\n",
            d->ft_rounds_used, d->ft_epochs, d->ft_greedy, d->ft_target,
            d->ft_greedy >= d->ft_target ? "reached" : "NOT reached");
    fprintf(f, "Unlearning steps taken: ");
    const char *sep = "";
    for (size_t i = 0; i < d->n_rows; i++) {
        const lb_demo_row_t *r = &d->rows[i];
        if (r->method && !r->adaptive) {
            fprintf(f, "%s%s%s %d of %d", sep, r->dir, r->reached ? "" : " (target NOT reached)",
                    r->step, r->steps);
            sep = "; ";
        }
    }
    fprintf(f, ".\n\nColumns are means over the %zu forget10 questions, except *leaked*: the share of forget "
               "questions with at least one sampled answer scoring >= %.1f; *hidden leaks*: the share whose "
               "greedy answer scores < 0.5 but some sampled answer >= %.1f; *retain greedy*: the mean greedy "
               "score on the retain sample; *retain diversity*: 1 - the mean pairwise ROUGE-L F of a retain "
               "question's first %d sampled answers.\n\n%s\n",
            d->rows[0].forget.n_questions, d->leak_threshold, d->leak_threshold, d->diversity_samples, md);
    fprintf(f, "TOFU's metrics (`leakbound tofu`'s definitions, docs/tofu.md; each model's files in "
               "`eval/<dir>/tofu/`): *forget quality* is the KS-test p-value between the model's and the retain "
               "model's forget10 truth ratios; *model utility* the harmonic mean of retain90's answer "
               "probability, greedy ROUGE-L recall and truth ratio; *forget truth ratio* the mean of "
               "min(tr, 1/tr) over forget10. The retain model (`models/%s`) was fine-tuned by the same recipe "
               "on retain90 only (%d round(s) of %d epochs, %.0f s): forget quality %.3g, model utility %.3f, "
               "forget truth ratio %.3f. ATS rows repeat their model's values (the same weights).\n\n",
            LB_DEMO_RETAIN_MODEL, d->ft_rounds_used, d->ft_epochs, d->retain_seconds, d->retain_tofu.forget_quality,
            d->retain_tofu.model_utility, d->retain_tofu.forget_truth_ratio);
    fputs(claims_txt, f);
    fprintf(f, "## Plots\n\n![sampled forget scores per model](demo_forget.svg)\n\n");
    fprintf(f, "Unlearning trajectories (greedy forget score after every optimizer step, from the stop rule's "
               "checks) with the sampled mean and M_mu at about %d steps of each run (%d sampled answers per "
               "question; the last point, the kept step, is the row's evaluation with n %ld):\n\n"
               "![GA](demo_trajectory_ga.svg)\n![GD](demo_trajectory_gd.svg)\n![NPO](demo_trajectory_npo.svg)\n\n",
            LB_DEMO_TRAJ_POINTS + 1, LB_DEMO_TRAJ_N, d->n);
    fprintf(f, ""
               "Per model and set: `eval/<dir>/<forget|retain>/` holds report.md, report.json, "
               "samples.jsonl, density.svg, ecdf.svg and ed.svg; `models/*/loss.svg` the training "
               "curves; `logs/` every step's output.\n");
    if (fclose(f)) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(path, sizeof path, "%s/demo.md", d->out);
    if ((rc = write_text(path, body, err))) goto done;
    /* the terminal's summary: the table and the claims */
    size_t lt = strlen(txt), lc = strlen(claims_txt);
    free(d->summary);
    if (!(d->summary = malloc(lt + 1 + lc + 1))) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(d->summary, txt, lt);
    d->summary[lt] = '\n';
    memcpy(d->summary + lt + 1, claims_txt, lc + 1);
done:
    free(md);
    free(txt);
    free(doc);
    free(body);
    free(claims_txt);
    return rc;
}
