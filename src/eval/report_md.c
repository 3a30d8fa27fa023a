/* eval's report.md: overall and per-question tables (report module), the leak and judge
 * sections, streamed into its atomic file. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"
#include "leakbound/io.h"
#include "leakbound/report.h"
#include "leakbound/score.h"

/* Columns of both tables: label, greedy, mean, max, M_mu, M_sigma, ED, [M_bin]. */
static int table_columns(lb_report_table_t *t, const char *first, int binary, lb_error_t *err) {
    static const char *const num[] = {"greedy", "mean", "max", "M_mu", "M_sigma", "ED", "M_bin"};
    int rc = lb_report_table_column(t, first, LB_REPORT_ALIGN_LEFT, NULL, 60, err);
    for (int i = 0; !rc && i < 6 + binary; i++)
        rc = lb_report_table_column(t, num[i], LB_REPORT_ALIGN_RIGHT, "%.4f", 0, err);
    return rc;
}

static int table_values(lb_report_table_t *t, size_t c0, const double *v, int nv, lb_error_t *err) {
    int rc = 0;
    for (int i = 0; !rc && i < nv; i++)
        rc = isnan(v[i]) ? lb_report_table_text(t, c0 + (size_t)i, "-", err)
                         : lb_report_table_number(t, c0 + (size_t)i, v[i], err);
    return rc;
}

/* report.md is written as it is made: a line at a time into its atomic file (lb_atomic_*), the
 * per-question tables streamed (lb_report_table_stream), so memory does not grow with the
 * number of questions. */
typedef struct md_out {
    lb_atomic_file_t f;
    char *buf; /* md_printf's buffer */
    size_t cap;
} md_out_t;

static int md_write(void *ctx, const char *text, size_t len, lb_error_t *err) {
    return lb_atomic_write(&((md_out_t *)ctx)->f, text, len, err);
}

static int md_printf(md_out_t *o, lb_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int md_printf(md_out_t *o, lb_error_t *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf, o->cap, fmt, ap);
    va_end(ap);
    if (n < 0) return lb_error_set(err, LB_EINVAL, "report.md: bad format");
    if ((size_t)n >= o->cap) {
        char *b = realloc(o->buf, (size_t)n + 1);
        if (!b) return lb_error_set(err, LB_ENOMEM, "out of memory");
        o->buf = b;
        o->cap = (size_t)n + 1;
        va_start(ap, fmt);
        vsnprintf(o->buf, o->cap, fmt, ap);
        va_end(ap);
    }
    return md_write(o, o->buf, (size_t)n, err);
}

/* One row of the judge table: the question, its greedy judgement, the sampled harm rate with
 * its bounds, M_mu, ED, M_bin and the hidden-harm verdict. */
static int judge_row(void *ctx, size_t p, lb_report_table_t *t, lb_error_t *err) {
    const lb_eval_result_t *e = ctx;
    const lb_stats_prompt_t *r = &e->res[p];
    char label[512], cell[64];
    snprintf(label, sizeof label, "%s: %s", e->ids[p], e->questions[p] ? e->questions[p] : "");
    snprintf(cell, sizeof cell, "%zu/%d", e->harm_k[p], e->n);
    double v[4] = {r->M_mu, r->ED, r->binary ? r->M_bin : NAN};
    int rc = lb_report_table_row(t, err);
    if (!rc) rc = lb_report_table_text(t, 0, label, err);
    if (!rc) rc = lb_report_table_number(t, 1, e->greedy[p], err);
    if (!rc) rc = lb_report_table_text(t, 2, lb_judge_label(e->judge,
                                                            lb_eval_harmful(e, e->greedy[p]) ? 0 : 1), err);
    if (!rc) rc = lb_report_table_text(t, 3, cell, err);
    if (!rc) rc = lb_report_table_number(t, 4, e->harm_lo[p], err);
    if (!rc) rc = lb_report_table_number(t, 5, e->harm_hi[p], err);
    if (!rc) rc = table_values(t, 6, v, 3, err);
    if (!rc) rc = lb_report_table_text(t, 9, e->hidden[p] ? "yes" : "no", err);
    return rc;
}

/* report.md's judge section: the judge, the rule, the share of hidden harm and per question
 * the greedy judgement beside the sampled harm rate and its bounds. */
static int judge_md(const lb_eval_result_t *e, md_out_t *o, lb_error_t *err) {
    static const char *const head[] = {"question", "greedy", "greedy label", "harmful",
                                       "P(harm) >=", "P(harm) <=", "M_mu", "ED", "M_bin",
                                       "hidden harm"};
    size_t np = e->n_items;
    lb_report_table_t *t = NULL;
    char rule[1024];
    lbi_eval_harm_rule(e, rule, sizeof rule);
    double mass;
    int k = lb_judge_label_mass(e->judge, &mass);
    int rc = md_printf(o, err, "## Judge\n\n");
    if (!rc && lb_judge_mass_warning(e->judge, NULL, 0) > 0) /* the stderr warning's rule */
        rc = md_printf(o, err, "**Warning: the labels have total probability %.3g on average over "
                       "the first %d judge prompts, below the floor %g: the judge does not answer "
                       "with them, and these scores say nothing about the answers.**\n\n",
                       mass, k, LB_JUDGE_LABEL_MASS_FLOOR);
    if (!rc) rc = md_printf(o, err,
               "Judge `%s` (sha256 of its folder `%s`), labels `%s` / `%s`, template `%s`%s.\n\n"
               "Rule: %s.\n\n"
               "**Hidden harm: %zu of %zu questions (%.1f%%)** are judged safe greedily while their "
               "sampled answers are harmful at a rate whose lower bound is > %g.\n\n",
            e->judge_dir, e->judge_sha256, lb_judge_label(e->judge, 0), lb_judge_label(e->judge, 1),
            lb_judge_template_name(e->judge),
            e->score_opts->judge_threshold >= 0 ? ", scores thresholded (--judge-threshold)" : "",
            rule, e->n_hidden, np, 100.0 * (double)e->n_hidden / (double)np, e->harm_rate);
    if (!rc) rc = lb_report_table_new(&t, err);
    for (size_t c = 0; !rc && c < 10; c++)
        rc = lb_report_table_column(t, head[c], c ? LB_REPORT_ALIGN_RIGHT : LB_REPORT_ALIGN_LEFT,
                                    "%.4f", c ? 0 : 60, err);
    if (!rc) rc = lb_report_table_stream(t, np, judge_row, (void *)e, LB_REPORT_MARKDOWN, md_write, o, err);
    if (!rc) rc = md_write(o, "\n", 1, err);
    lb_report_table_free(t);
    return rc;
}

/* report.md's Leakage section: the shares of leaked and hidden-leak questions with their
 * bounds, and the means over questions of M_gen and P_ge at each --threshold. *out is malloc'd. */
static int leak_md(const lb_eval_result_t *e, char **out, lb_error_t *err) {
    static const char *const head[] = {"share", "questions", "value", "lower", "upper"};
    const lb_stats_share_t *sh[2] = {&e->leak_share, &e->hidden_leak_share};
    static const char *const name[2] = {"leaked", "hidden leaks"};
    size_t np = e->n_items, nt = e->opt.n_thresholds;
    lb_report_table_t *t = NULL, *g = NULL;
    char *t_share = NULL, *t_gen = NULL, cell[64];
    int rc = lb_report_table_new(&t, err);
    if (!rc) rc = lb_report_table_new(&g, err);
    for (size_t c = 0; !rc && c < 5; c++)
        rc = lb_report_table_column(t, head[c], c ? LB_REPORT_ALIGN_RIGHT : LB_REPORT_ALIGN_LEFT,
                                    "%.4f", 0, err);
    for (int i = 0; !rc && i < 2; i++) {
        snprintf(cell, sizeof cell, "%zu/%zu", sh[i]->k, sh[i]->n);
        rc = lb_report_table_row(t, err);
        if (!rc) rc = lb_report_table_text(t, 0, name[i], err);
        if (!rc) rc = lb_report_table_text(t, 1, cell, err);
        if (!rc) rc = lb_report_table_number(t, 2, sh[i]->share, err);
        if (!rc) rc = lb_report_table_number(t, 3, sh[i]->lower, err);
        if (!rc) rc = lb_report_table_number(t, 4, sh[i]->upper, err);
    }
    if (!rc) rc = lb_report_table_column(g, "threshold", LB_REPORT_ALIGN_RIGHT, "%g", 0, err);
    if (!rc) rc = lb_report_table_column(g, "M_gen", LB_REPORT_ALIGN_RIGHT, "%.4f", 0, err);
    if (!rc) rc = lb_report_table_column(g, "P_ge", LB_REPORT_ALIGN_RIGHT, "%.4f", 0, err);
    for (size_t i = 0; !rc && i < nt; i++) {
        double gen = 0, pge = 0; /* means over questions, as report.json's summary */
        for (size_t p = 0; p < np; p++) {
            gen += e->res[p].M_gen[i];
            pge += e->res[p].P_ge[i];
        }
        rc = lb_report_table_row(g, err);
        if (!rc) rc = lb_report_table_number(g, 0, e->thresholds[i], err);
        if (!rc) rc = lb_report_table_number(g, 1, gen * (1.0 / (double)np), err);
        if (!rc) rc = lb_report_table_number(g, 2, pge * (1.0 / (double)np), err);
    }
    if (!rc) rc = lb_report_table_render(t, LB_REPORT_MARKDOWN, &t_share, err);
    if (!rc) rc = lb_report_table_render(g, LB_REPORT_MARKDOWN, &t_gen, err);
    lb_report_table_free(t);
    lb_report_table_free(g);
    char *doc = NULL;
    size_t len = 0;
    FILE *f = rc ? NULL : open_memstream(&doc, &len);
    if (!rc && !f) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    if (!rc) {
        double x = e->opt.leak_threshold;
        fprintf(f, "## Leakage\n\n"
                   "A question is *leaked* when some sampled answer scores >= %g (--leak-threshold), "
                   "a *hidden leak* when it is leaked while its greedy answer scores < %g%s. "
                   "Bounds: one-sided Clopper-Pearson over the %zu questions, each holding with "
                   "probability >= %g.\n\n%s\n"
                   "M_gen (DKW) and P_ge (exact binomial) bound P(X >= t), the chance that one "
                   "sampled answer scores at least t; means over questions:\n\n%s\n",
                x, LB_STATS_HIDDEN_GREEDY,
                e->sampling ? "" : " (a question without a greedy answer is not a hidden leak)",
                np, 1 - e->opt.alpha, t_share, t_gen);
        if (fclose(f)) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    free(t_share);
    free(t_gen);
    if (rc) {
        free(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

/* One row of the per-question table: greedy, mean, max, M_mu, M_sigma, ED, [M_bin], leaked. */
typedef struct per_ctx {
    const lb_eval_result_t *e;
    int binary;
} per_ctx_t;

static int per_row(void *ctx, size_t p, lb_report_table_t *t, lb_error_t *err) {
    const per_ctx_t *pc = ctx;
    const lb_eval_result_t *e = pc->e;
    const lb_stats_prompt_t *r = &e->res[p];
    double v[7] = {e->greedy[p], r->mean, r->max, r->M_mu, r->M_sigma, r->ED,
                   r->binary ? r->M_bin : NAN};
    char label[512];
    if (e->questions[p])
        snprintf(label, sizeof label, "%s: %s", e->ids[p], e->questions[p]);
    else
        snprintf(label, sizeof label, "%s", e->ids[p]);
    int rc = lb_report_table_row(t, err);
    if (!rc) rc = lb_report_table_text(t, 0, label, err);
    if (!rc) rc = table_values(t, 1, v, 6 + pc->binary, err);
    if (!rc) rc = lb_report_table_text(t, 7 + (size_t)pc->binary,
                                       e->leak[p].hidden ? "hidden" : e->leak[p].leaked ? "yes" : "no", err);
    return rc;
}

int lbi_eval_write_md(const lb_eval_result_t *e, lb_error_t *err) {
    size_t np = e->n_items;
    /* M_bin is defined for prompts whose scores are all 0/1: a column when any prompt has one,
     * "-" for the others, and its overall mean over those prompts only. */
    int binary = 0;
    size_t n_bin = 0;
    double sum[7] = {0};
    for (size_t p = 0; p < np; p++) {
        const lb_stats_prompt_t *r = &e->res[p];
        double v[6] = {e->greedy[p], r->mean, r->max, r->M_mu, r->M_sigma, r->ED};
        for (int i = 0; i < 6; i++) sum[i] += v[i];
        if (r->binary) {
            sum[6] += r->M_bin;
            n_bin++;
        }
        binary |= r->binary;
    }
    for (int i = 0; i < 6; i++) sum[i] /= (double)np;
    sum[6] = n_bin ? sum[6] / (double)n_bin : NAN;
    lb_report_table_t *all = NULL, *per = NULL;
    char *t_all = NULL, *t_leak = NULL, path[4096];
    md_out_t o = {0};
    int opened = 0;
    int rc = lb_report_table_new(&all, err);
    if (!rc) rc = lb_report_table_new(&per, err);
    if (!rc) rc = table_columns(all, "over questions", binary, err);
    if (!rc) rc = table_columns(per, "question", binary, err);
    if (!rc) rc = lb_report_table_column(per, "leaked", LB_REPORT_ALIGN_LEFT, NULL, 0, err);
    if (!rc) rc = leak_md(e, &t_leak, err);
    if (!rc) rc = lb_report_table_row(all, err);
    if (!rc) rc = lb_report_table_text(all, 0, "mean", err);
    if (!rc) rc = table_values(all, 1, sum, 6 + binary, err);
    if (!rc) rc = lb_report_table_render(all, LB_REPORT_MARKDOWN, &t_all, err);
    if (!rc) {
        snprintf(path, sizeof path, "%s/report.md", e->out_dir);
        rc = lb_atomic_open(&o.f, path, err);
        opened = !rc;
    }
    if (!rc) {
        const lb_sampler_opts_t *so = e->sampling;
        char source[8192];
        if (so)
            snprintf(source, sizeof source,
                     "Sampling: temperature %g, top-k %d, top-p %g, min-p %g, seed %llu%s.",
                     so->warp.temperature, so->warp.top_k, so->warp.top_p, so->min_p,
                     (unsigned long long)so->seed,
                     so->adaptive ? "; adaptive temperature (reconstructed rule)" : "");
        else
            snprintf(source, sizeof source, "Samples read from `%s` (sha256 %s); how they were "
                     "sampled is not known to leakbound.", e->samples_path, e->samples_sha256);
        rc = md_printf(&o, err,
                       "# leakbound eval\n\n"
                       "%zu questions, %s%d samples each, metric `%s`, alpha %g (each bound "
                       "holds with probability >= %g), method `%s`, ED = M_mu + %g M_sigma.\n"
                       "%s\n\n"
                       "## Overall\n\n%s\n%s## Per question\n\n",
                       np, so ? "greedy + " : "", e->n, e->metric, e->opt.alpha, 1 - e->opt.alpha,
                       lb_stats_method_name(e->opt.method), e->opt.ed_lambda, source, t_all, t_leak);
    }
    per_ctx_t pc = {e, binary};
    if (!rc) rc = lb_report_table_stream(per, np, per_row, &pc, LB_REPORT_MARKDOWN, md_write, &o, err);
    if (!rc) rc = md_write(&o, "\n", 1, err);
    if (!rc && e->judge) rc = judge_md(e, &o, err);
    if (!rc)
        rc = md_printf(&o, err,
                       "## Plots\n\n"
                       "- [density.svg](density.svg): sampled-score densities, greedy score marked "
                       "(the %zu questions with the highest ED)\n"
                       "- [ecdf.svg](ecdf.svg): empirical CDFs with their DKW bands (alpha %g)\n"
                       "- [ed.svg](ed.svg): ED over questions\n",
                       e->n_plot < np ? e->n_plot : np, e->opt.alpha);
    if (!rc) {
        opened = 0;
        rc = lb_atomic_commit(&o.f, err);
    }
    if (opened) lb_atomic_abort(&o.f);
    free(o.buf);
    free(t_leak);
    free(t_all);
    lb_report_table_free(all);
    lb_report_table_free(per);
    return rc;
}
