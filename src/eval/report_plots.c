/* eval's SVG plots: density.svg and ecdf.svg of the questions with the highest ED, ed.svg of
 * ED over questions (report module). */
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

static const lb_eval_result_t *g_sort_e; /* qsort has no context argument in C11 */
static int by_ed_desc(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    double ex = g_sort_e->res[x].ED, ey = g_sort_e->res[y].ED;
    if (ex != ey) return ex > ey ? -1 : 1;
    return x < y ? -1 : x > y;
}

int lbi_eval_write_plots(const lb_eval_result_t *e, lb_error_t *err) {
    size_t np = e->n_items, k = e->n_plot < np ? e->n_plot : np;
    size_t *order = malloc(np * sizeof *order);
    lb_report_samples_t *s = calloc(k, sizeof *s);
    double *ed = malloc(np * sizeof *ed);
    int rc = 0;
    if (!order || !s || !ed) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    if (!rc) {
        for (size_t p = 0; p < np; p++) {
            order[p] = p;
            ed[p] = e->res[p].ED;
        }
        g_sort_e = e;
        qsort(order, np, sizeof *order, by_ed_desc);
        for (size_t i = 0; i < k; i++) {
            size_t p = order[i];
            s[i] = (lb_report_samples_t){e->ids[p], e->scores + p * (size_t)e->n,
                                         (size_t)e->n, e->greedy[p]};
        }
        char path[4096], title[256];
        lb_report_plot_t opt = {.title = title, .xlabel = e->metric, .ylabel = "density"};
        snprintf(title, sizeof title, "Sampled %s scores (n = %d), greedy marked", e->metric, e->n);
        snprintf(path, sizeof path, "%s/density.svg", e->out_dir);
        rc = lb_report_svg_density(path, s, k, 0, &opt, err);
        if (!rc) {
            snprintf(title, sizeof title, "Empirical CDF of %s with DKW band (alpha %g)", e->metric,
                     e->opt.alpha);
            opt.ylabel = "F(x)";
            snprintf(path, sizeof path, "%s/ecdf.svg", e->out_dir);
            rc = lb_report_svg_ecdf(path, s, k, e->opt.alpha, &opt, err);
        }
        if (!rc) {
            snprintf(title, sizeof title, "ED = M_mu + %g M_sigma over %zu questions",
                     e->opt.ed_lambda, np);
            opt.xlabel = "ED";
            opt.ylabel = "questions";
            snprintf(path, sizeof path, "%s/ed.svg", e->out_dir);
            rc = lb_report_svg_histogram(path, ed, np, 0, "questions", &opt, err);
        }
    }
    free(order);
    free(s);
    free(ed);
    return rc;
}
