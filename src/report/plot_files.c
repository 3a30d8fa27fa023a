/* plot_files.c — `leakbound plot` as one call: read a report document and its scores, choose
 * the prompts and write density.svg, ecdf.svg and ed.svg into a folder as one set
 * (lb_io_dir_*: DIR never holds some new plots beside old ones). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakbound/io.h"
#include "leakbound/report.h"

void lb_report_plot_files_opts_default(lb_report_plot_files_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->alpha = NAN;
    o->bins = 20;
    o->max_panels = LB_REPORT_PLOT_DEFAULT_PANELS;
}

static void note(const lb_report_plot_files_opts_t *o, const char *fmt, ...) {
    if (!o->note) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->note(o->note_ctx, msg);
}

/* The chosen prompts as indices into the document: o->prompts, or the highest ED. */
static int choose(const lb_report_plot_files_opts_t *o, const lb_report_plot_doc_t *d, size_t *pick,
                  size_t *k, lb_report_plot_files_result_t *res, lb_error_t *err) {
    *k = 0;
    if (o->n_prompts) {
        if (o->n_prompts > LB_REPORT_PLOT_MAX_PANELS)
            return lb_error_set(err, LB_EINVAL, "at most %d prompts", LB_REPORT_PLOT_MAX_PANELS);
        for (size_t j = 0; j < o->n_prompts; j++) {
            size_t found = d->n_prompts;
            char buf[32];
            for (size_t i = 0; i < d->n_prompts && found == d->n_prompts; i++)
                if (!strcmp(lb_report_id_text(d->ids[i], buf, sizeof buf), o->prompts[j])) found = i;
            if (found == d->n_prompts) {
                res->unknown_prompt = (long)j;
                return lb_error_set(err, LB_EINVAL, "no prompt '%s' in %s", o->prompts[j], o->report);
            }
            pick[(*k)++] = found;
        }
        return 0;
    }
    /* Highest finite ED first (ties: report order), then shown in report order. */
    size_t want = o->max_panels < 1 ? 1 : o->max_panels > LB_REPORT_PLOT_MAX_PANELS ? LB_REPORT_PLOT_MAX_PANELS
                                                                                     : o->max_panels;
    int *taken = calloc(d->n_prompts ? d->n_prompts : 1, sizeof *taken);
    if (!taken) return lb_error_set(err, LB_ENOMEM, "out of memory");
    while (*k < want && *k < d->n_prompts) {
        size_t best = d->n_prompts;
        for (size_t i = 0; i < d->n_prompts; i++)
            if (!taken[i] && (best == d->n_prompts || d->ed[i] > d->ed[best] ||
                              (isnan(d->ed[best]) && !isnan(d->ed[i]))))
                best = i;
        taken[best] = 1;
        (*k)++;
    }
    *k = 0;
    for (size_t i = 0; i < d->n_prompts; i++)
        if (taken[i]) pick[(*k)++] = i;
    free(taken);
    return 0;
}

/* The names plot writes: the set a new run replaces as a whole. */
static const char *const plot_files[] = {"density.svg", "ecdf.svg", "ed.svg", NULL};

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Draw the three plots into the folder dir. */
static int draw(const lb_report_plot_files_opts_t *o, const char *dir, const lb_report_plot_doc_t *d,
                const size_t *pick, size_t k, const lb_report_plot_scores_t *sc, lb_error_t *err) {
    lb_report_samples_t panels[LB_REPORT_PLOT_MAX_PANELS];
    char labels[LB_REPORT_PLOT_MAX_PANELS][96];
    for (size_t i = 0; i < k; i++) {
        char buf[32];
        snprintf(labels[i], sizeof labels[i], "prompt %.80s", lb_report_id_text(d->ids[pick[i]], buf, sizeof buf));
        panels[i] = (lb_report_samples_t){.label = labels[i], .values = sc->v[i], .n = sc->n[i],
                                          .greedy = isnan(sc->greedy[i]) ? d->greedy[pick[i]] : sc->greedy[i]};
    }
    /* ED of every prompt that has one (conbo mode can leave it null). */
    double *ed = malloc((d->n_prompts ? d->n_prompts : 1) * sizeof *ed);
    if (!ed) return lb_error_set(err, LB_ENOMEM, "out of memory");
    size_t ned = 0;
    for (size_t i = 0; i < d->n_prompts; i++)
        if (!isnan(d->ed[i])) ed[ned++] = d->ed[i];
    if (ned < d->n_prompts) note(o, "%zu prompt(s) with ED null left out of ed.svg", d->n_prompts - ned);
    double alpha = !isnan(o->alpha) ? o->alpha : !isnan(d->alpha) ? d->alpha : 0.01;
    size_t bins = o->bins ? o->bins : 20;
    char t_dens[128], t_ecdf[128], t_ed[128], x_ed[96];
    snprintf(t_dens, sizeof t_dens, "Sampled scores per prompt (greedy marked)");
    snprintf(t_ecdf, sizeof t_ecdf, "Empirical CDF with DKW band (1-\xce\xb1 = %g)", 1 - alpha);
    snprintf(t_ed, sizeof t_ed, "ED over %zu prompts", ned);
    if (isnan(d->ed_lambda))
        snprintf(x_ed, sizeof x_ed, "ED = M_mu + \xce\xbb M_sigma");
    else
        snprintf(x_ed, sizeof x_ed, "ED = M_mu + %g M_sigma", d->ed_lambda);
    lb_report_plot_t o_dens = {.title = t_dens}, o_ecdf = {.title = t_ecdf},
                     o_ed = {.title = t_ed, .xlabel = x_ed, .ylabel = "prompts"};
    char *p_dens = join(dir, "density.svg"), *p_ecdf = join(dir, "ecdf.svg"), *p_ed = join(dir, "ed.svg");
    int rc = !p_dens || !p_ecdf || !p_ed ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
    if (!rc && !ned) rc = lb_error_set(err, LB_EINVAL, "%s: every prompt's ED is null", o->report);
    if (!rc) rc = lb_report_svg_density(p_dens, panels, k, bins, &o_dens, err);
    if (!rc) rc = lb_report_svg_ecdf(p_ecdf, panels, k, alpha, &o_ecdf, err);
    if (!rc) rc = lb_report_svg_histogram(p_ed, ed, ned, bins, "prompts", &o_ed, err);
    free(p_dens);
    free(p_ecdf);
    free(p_ed);
    free(ed);
    return rc;
}

int lb_report_plot_files(const lb_report_plot_files_opts_t *o, lb_report_plot_files_result_t *res,
                         lb_error_t *err) {
    lb_report_plot_files_result_t dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    res->unknown_prompt = -1;
    if (!o || !o->report || !o->out_dir)
        return lb_error_set(err, LB_EINVAL, "plot: report and output folder are required");
    /* scores NULL: the samples.jsonl that eval writes beside its report.json */
    char *sibling = NULL;
    lb_report_plot_files_opts_t with_scores = *o;
    if (!o->scores) {
        const char *slash = strrchr(o->report, '/');
        int dl = slash ? (int)(slash - o->report) + 1 : 0;
        size_t len = (size_t)dl + sizeof "samples.jsonl";
        if (!(sibling = malloc(len))) return lb_error_set(err, LB_ENOMEM, "out of memory");
        snprintf(sibling, len, "%.*ssamples.jsonl", dl, o->report);
        if (!strcmp(o->report, "-") || access(sibling, R_OK)) {
            free(sibling);
            res->no_scores = 1;
            return lb_error_set(err, LB_EINVAL, "no scores given and no samples.jsonl beside %s",
                                o->report);
        }
        with_scores.scores = sibling;
        o = &with_scores;
    }
    if (!strcmp(o->report, "-") && !strcmp(o->scores, "-")) {
        res->both_stdin = 1;
        return lb_error_set(err, LB_EINVAL, "the report and the scores cannot both read stdin");
    }
    lb_report_plot_doc_t d;
    int rc = lb_report_plot_doc_read(o->report, &d, err);
    size_t pick[LB_REPORT_PLOT_MAX_PANELS], k = 0;
    if (!rc) rc = choose(o, &d, pick, &k, res, err);
    json_t *sel[LB_REPORT_PLOT_MAX_PANELS];
    for (size_t i = 0; i < k; i++) sel[i] = d.ids[pick[i]];
    lb_report_plot_scores_t sc;
    memset(&sc, 0, sizeof sc);
    if (!rc) rc = lb_report_plot_scores_read(o->scores, sel, k, &sc, err);
    for (size_t i = 0; i < k && !rc; i++) {
        char buf[32];
        const char *id = lb_report_id_text(sel[i], buf, sizeof buf);
        if (!sc.n[i])
            rc = lb_error_set(err, LB_EINVAL, "%s: no sampled scores for prompt '%s' (of %s)", o->scores, id, o->report);
        else if (d.n[pick[i]] >= 0 && (size_t)d.n[pick[i]] != sc.n[i])
            note(o, "prompt '%s': %s says n = %ld, %s has %zu scores", id, o->report, d.n[pick[i]], o->scores, sc.n[i]);
    }
    lb_io_dir_t out = {0};
    if (!rc) {
        res->writing = 1;
        rc = lb_io_dir_begin(&out, o->out_dir, plot_files, o->io_flags, err);
    }
    if (!rc) rc = draw(o, out.path, &d, pick, k, &sc, err);
    if (!rc) rc = lb_io_dir_commit(&out, err);
    if (!rc) res->n_panels = k;
    lb_io_dir_abort(&out);
    lb_report_plot_scores_free(&sc);
    lb_report_plot_doc_free(&d);
    free(sibling);
    return rc;
}
