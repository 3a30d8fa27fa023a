/* `leakbound demo` outputs: the paper-style table (markdown + terminal), demo.json with the
 * same numbers, a density plot of the sampled forget scores per model, and sentences that only
 * restate what the numbers of this run show. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_demo.h"
#include "leakbound/io.h"
#include "leakbound/report.h"

static int get_num(json_t *o, const char *key, double *out, const char *file, lb_error_t *err) {
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) return lb_error_set(err, LB_EFORMAT, "%s: field \"%s\" is not a number", file, key);
    if (out) *out = json_number_value(v);
    return 0;
}

int demo_read_eval(const char *dir, double threshold, double *greedy, double *mean, double *max, double *m_mu,
                   double *m_sigma, double *ed, double *share, size_t *n_prompts, lb_error_t *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/report.json", dir);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) return lb_error_set(err, LB_EFORMAT, "%s:%d: %s", path, je.line, je.text);
    int rc = 0;
    json_t *sum = json_object_get(doc, "summary"), *pr = json_object_get(doc, "prompts");
    if (!json_is_object(sum) || !json_is_array(pr) || !json_array_size(pr)) {
        rc = lb_error_set(err, LB_EFORMAT, "%s: no \"summary\" object or empty \"prompts\"", path);
        goto done;
    }
    if ((rc = get_num(sum, "mean", mean, path, err)) || (rc = get_num(sum, "max", max, path, err)) ||
        (rc = get_num(sum, "M_mu", m_mu, path, err)) || (rc = get_num(sum, "M_sigma", m_sigma, path, err)) ||
        (rc = get_num(sum, "ED", ed, path, err)))
        goto done;
    double g = 0, hit = 0;
    size_t n = json_array_size(pr);
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(pr, i);
        double gi = 0, mi = 0;
        if ((rc = get_num(p, "greedy", &gi, path, err)) || (rc = get_num(p, "max", &mi, path, err))) goto done;
        g += gi;
        hit += mi >= threshold;
    }
    if (greedy) *greedy = g / (double)n;
    if (share) *share = hit / (double)n;
    if (n_prompts) *n_prompts = n;
done:
    json_decref(doc);
    return rc;
}

/* Sampled (not greedy) forget scores of one model, from its samples.jsonl. */
static int read_scores(const char *dir, double **v, size_t *n, lb_error_t *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/samples.jsonl", dir);
    lb_jsonl_reader_t r;
    int rc = lb_jsonl_open(&r, path, err);
    if (rc) return rc;
    size_t cap = 1024;
    *n = 0;
    *v = malloc(cap * sizeof **v);
    if (!*v) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    json_t *o;
    while (!rc && (rc = lb_jsonl_next(&r, &o, err)) == 1) {
        rc = 0;
        json_t *s = json_object_get(o, "sample"), *sc = json_object_get(o, "score");
        if (!json_is_integer(s) || !json_is_number(sc))
            rc = lb_error_set(err, LB_EFORMAT, "%s:%ld: want integer \"sample\" and number \"score\"", path, r.lineno);
        else if (json_integer_value(s) >= 0) {
            if (*n == cap) {
                double *nv = realloc(*v, 2 * cap * sizeof *nv);
                if (!nv) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
                else {
                    *v = nv;
                    cap *= 2;
                }
            }
            if (!rc) (*v)[(*n)++] = json_number_value(sc);
        }
        json_decref(o);
    }
    lb_jsonl_close(&r);
    if (rc < 0) {
        free(*v);
        *v = NULL;
        return rc;
    }
    if (!*n) {
        free(*v);
        *v = NULL;
        return lb_error_set(err, LB_EFORMAT, "%s: no sampled answers", path);
    }
    return 0;
}

static int plot(const demo_t *d, lb_error_t *err) {
    lb_report_samples_t s[DEMO_MAX_MODELS];
    double *vals[DEMO_MAX_MODELS] = {0};
    int rc = 0;
    for (size_t i = 0; i < d->n_rows && !rc; i++) {
        char dir[2048];
        snprintf(dir, sizeof dir, "%.1900s/eval/%s/forget", d->out, d->rows[i].dir);
        rc = read_scores(dir, &vals[i], &s[i].n, err);
        s[i].values = vals[i];
        s[i].label = d->rows[i].name;
        s[i].greedy = d->rows[i].greedy;
    }
    if (!rc) {
        char path[4096], title[256];
        snprintf(path, sizeof path, "%s/demo_forget.svg", d->out);
        snprintf(title, sizeof title, "forget10: ROUGE-L recall of %ld sampled answers per question (line: mean greedy)",
                 d->n);
        lb_report_plot_t opt = {title, "ROUGE-L recall", "density", 0, 0, 0};
        rc = lb_report_svg_density(path, s, d->n_rows, 20, &opt, err);
    }
    for (size_t i = 0; i < d->n_rows; i++) free(vals[i]);
    return rc;
}

static const char *const HEAD[] = {"method", "greedy forget", "sampled mean", "sampled max", "M_mu", "M_sigma",
                                   "ED", "leaked (max >= 0.9)", "retain greedy"};

static int table(const demo_t *d, lb_report_format_t fmt, char **out, lb_error_t *err) {
    lb_report_table_t *t;
    int rc = lb_report_table_new(&t, err);
    if (rc) return rc;
    for (size_t c = 0; c < 9 && !rc; c++)
        rc = lb_report_table_column(t, HEAD[c], c ? LB_REPORT_ALIGN_RIGHT : LB_REPORT_ALIGN_LEFT,
                                    c == 7 ? "%.0f%%" : "%.3f", 0, err);
    for (size_t i = 0; i < d->n_rows && !rc; i++) {
        const demo_row_t *r = &d->rows[i];
        double v[9] = {0, r->greedy, r->mean, r->max, r->m_mu, r->m_sigma, r->ed, 100 * r->leak_share,
                       r->retain_greedy};
        rc = lb_report_table_row(t, err);
        if (!rc) rc = lb_report_table_text(t, 0, r->name, err);
        for (size_t c = 1; c < 9 && !rc; c++) rc = lb_report_table_number(t, c, v[c], err);
    }
    if (!rc) rc = lb_report_table_render(t, fmt, out, err);
    lb_report_table_free(t);
    return rc;
}

static json_t *numbers(const demo_t *d) {
    json_t *rows = json_array();
    for (size_t i = 0; i < d->n_rows; i++) {
        const demo_row_t *r = &d->rows[i];
        json_array_append_new(
            rows, json_pack("{s:s, s:s, s:s?, s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:f}", "name",
                            r->name, "dir", r->dir, "method", r->method, "entropy", r->entropy, "greedy_forget",
                            r->greedy, "sampled_mean", r->mean, "sampled_max", r->max, "M_mu", r->m_mu, "M_sigma",
                            r->m_sigma, "ED", r->ed, "leak_share", r->leak_share, "forget_questions",
                            (json_int_t)r->n_questions, "retain_greedy", r->retain_greedy, "retain_mean",
                            r->retain_mean, "seconds", r->seconds));
    }
    return json_pack("{s:b, s:i, s:I, s:s, s:I, s:f, s:f, s:f, s:f, s:I, s:I, s:i, s:i, s:f, s:f, s:s, s:s, s:i, "
                     "s:f, s:o}",
                     "quick", d->quick, "authors", d->authors, "vocab_size", (json_int_t)d->vocab, "model_size",
                     d->size, "n", (json_int_t)d->n, "alpha", d->alpha, "temperature", d->temperature, "top_p",
                     d->top_p, "leak_threshold", d->leak_threshold, "max_new_tokens", (json_int_t)d->max_new,
                     "retain_questions", (json_int_t)d->retain_q, "finetune_epochs_per_round", d->ft_epochs,
                     "finetune_rounds", d->ft_rounds_used, "finetune_greedy_forget", d->ft_greedy,
                     "finetune_target", d->ft_target, "finetune_lr", d->ft_lr, "unlearn_lr", d->ul_lr,
                     "unlearn_epochs", d->ul_epochs, "seconds", d->total_seconds, "rows", rows);
}

static int write_text(const char *path, const char *s, lb_error_t *err) {
    lb_atomic_file_t f;
    int rc = lb_atomic_open(&f, path, err);
    if (rc) return rc;
    if (fputs(s, f.fp) == EOF) {
        lb_atomic_abort(&f);
        return lb_error_set(err, LB_EIO, "%s: cannot write", path);
    }
    return lb_atomic_commit(&f, err);
}

/* What the run shows, one sentence per unlearned model, from the numbers only. */
static void findings(const demo_t *d, FILE *f) {
    const demo_row_t *base = &d->rows[0];
    for (size_t i = 1; i < d->n_rows; i++) {
        const demo_row_t *r = &d->rows[i];
        size_t k = (size_t)lround(r->leak_share * (double)r->n_questions);
        fprintf(f,
                "- **%s**: greedy forget ROUGE-L recall %.3f (fine-tuned: %.3f); sampled mean %.3f; "
                "%zu of %zu forget questions had at least one of %ld sampled answers with ROUGE-L recall "
                ">= %.1f; the bound M_mu = %.3f (holds with probability >= %.2f); retain greedy %.3f "
                "(fine-tuned: %.3f).\n",
                r->name, r->greedy, base->greedy, r->mean, k, r->n_questions, d->n, d->leak_threshold, r->m_mu,
                1 - d->alpha, r->retain_greedy, base->retain_greedy);
    }
    size_t hidden = 0;
    for (size_t i = 1; i < d->n_rows; i++)
        hidden += d->rows[i].greedy < 0.5 && d->rows[i].leak_share > 0;
    fprintf(f,
            "\n%zu of %zu unlearned models score below 0.5 under greedy decoding while sampling still "
            "reproduces at least one forget answer (ROUGE-L recall >= %.1f).\n",
            hidden, d->n_rows - 1, d->leak_threshold);
}

int demo_write_report(const demo_t *d, lb_error_t *err) {
    char *md = NULL, *txt = NULL, *doc = NULL, *body = NULL;
    size_t body_len = 0;
    int rc = table(d, LB_REPORT_MARKDOWN, &md, err);
    if (!rc) rc = table(d, LB_REPORT_TEXT, &txt, err);
    if (!rc) rc = plot(d, err);
    if (rc) goto done;
    json_t *j = numbers(d);
    doc = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!doc) {
        rc = lb_error_set(err, LB_ENOMEM, "cannot build demo.json");
        goto done;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/demo.json", d->out);
    if ((rc = write_text(path, doc, err))) goto done;
    FILE *f = open_memstream(&body, &body_len);
    if (!f) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    fprintf(f, "# leakbound demo%s\n\n", d->quick ? " (quick)" : "");
    fprintf(f,
            "A fictitious-author benchmark (%d authors, generated), a byte-level BPE tokenizer (%ld tokens) "
            "and a Llama model (%s) trained from scratch on it; forget10 unlearned with GA, GD and NPO, each "
            "with and without entropy optimisation. Every model answered each forget10 question greedily and "
            "%ld times by sampling (T %g, top-p %g); the same on %ld retain questions. Scores are ROUGE-L "
            "recall against the reference answer; bounds hold with probability >= %.2f each. Total run time "
            "%.0f s.\n\n",
            d->authors, d->vocab, d->size, d->n, d->temperature, d->top_p, d->retain_q, 1 - d->alpha,
            d->total_seconds);
    fprintf(f, "Fine-tuning: %d round(s) of %d epochs on `full`; greedy ROUGE-L recall on forget10 %.3f "
               "(target %.1f: %s).\n\n",
            d->ft_rounds_used, d->ft_epochs, d->ft_greedy, d->ft_target,
            d->ft_greedy >= d->ft_target ? "reached" : "NOT reached");
    fprintf(f, "Columns are means over the %zu forget10 questions, except *leaked*: the share of forget "
               "questions with at least one sampled answer scoring >= %.1f, and *retain greedy*: the mean "
               "greedy score on the retain sample.\n\n%s\n",
            d->rows[0].n_questions, d->leak_threshold, md);
    fprintf(f, "## What this run shows\n\n");
    findings(d, f);
    fprintf(f, "\n## Plots\n\n![sampled forget scores per model](demo_forget.svg)\n\n"
               "Per model and set: `eval/<model>/<forget|retain>/` holds report.md, report.json, "
               "samples.jsonl, density.svg, ecdf.svg and ed.svg; `models/*/loss.svg` the training "
               "curves; `logs/` every step's output.\n");
    if (fclose(f)) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(path, sizeof path, "%s/demo.md", d->out);
    if ((rc = write_text(path, body, err))) goto done;
    fputs(txt, stdout);
    fflush(stdout);
done:
    free(md);
    free(txt);
    free(doc);
    free(body);
    return rc;
}
