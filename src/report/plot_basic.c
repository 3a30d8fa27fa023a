/* Single-panel plots of plain series: a histogram of one value per prompt (ED over prompts)
 * and a line chart of several (x, y) series (training loss curves). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_internal.h"

#define MAX_BINS 10000
#define MAX_SERIES 64

int lb_report_svg_histogram(const char *path, const double *values, size_t n, size_t bins,
                            const char *legend, const lb_report_plot_t *opt, lb_error_t *err) {
    if (!n || !values) return lb_error_set(err, LB_EINVAL, "histogram: no values to plot");
    int rc = check_finite(values, n, "histogram", err);
    if (rc) return rc;
    if (!bins) bins = 20;
    if (bins > MAX_BINS)
        return lb_error_set(err, LB_EINVAL, "histogram: %zu bins (at most %d)", bins, MAX_BINS);
    double *mem = malloc((2 * bins + 1) * sizeof *mem);
    if (!mem) return lb_error_set(err, LB_ENOMEM, "histogram: out of memory");
    double *edges = mem, *counts = mem + bins + 1;
    double lo = values[0], hi = values[0];
    for (size_t i = 1; i < n; i++) {
        lo = fmin(lo, values[i]);
        hi = fmax(hi, values[i]);
    }
    axis_t x, y;
    axis_nice(&x, lo, hi, 6, 0);
    hist_counts(values, n, x.lo, x.hi, bins, edges, counts);
    double cmax = 0;
    for (size_t k = 0; k < bins; k++) cmax = fmax(cmax, counts[k]);
    axis_nice(&y, 0, cmax * 1.2, 5, 1); /* headroom for the legend */

    rb_t b;
    rb_init(&b);
    figure_t f;
    fig_begin(&f, &b, 1, opt);
    lb_report_plot_t o = opt ? *opt : (lb_report_plot_t){0};
    if (!o.ylabel) o.ylabel = "count";
    panel_t pn;
    panel_begin(&f, 0, NULL, &pn);
    panel_axes(&pn, &x, &y);
    panel_draw_axes(&f, &pn, &x, &y, &o);
    for (size_t k = 0; k < bins; k++) {
        double px0 = axis_map(&x, edges[k]), px1 = axis_map(&x, edges[k + 1]);
        double py = axis_map(&y, counts[k]), py0 = axis_map(&y, 0);
        rb_printf(&b, "<rect class=\"bar\" x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" "
                      "fill=\"%s\" fill-opacity=\"0.6\" stroke=\"white\" stroke-width=\"0.5\"/>\n",
                  px0, py, px1 - px0, py0 - py, svg_color(0));
    }
    char l0[160];
    snprintf(l0, sizeof l0, "%.120s (n = %zu)", legend ? legend : "prompts", n);
    const char *labels[1] = {l0};
    double left = 0, right = 0; /* the legend goes over the emptier half */
    for (size_t k = 0; k < bins; k++) {
        if (2 * k < bins) left = fmax(left, counts[k]);
        else right = fmax(right, counts[k]);
    }
    pn.legend_left = right > left;
    legend_begin(&f, &pn, labels, 1);
    legend_entry(&f, &pn, 0, 'b', svg_color(0), l0);
    panel_end(&f);
    fig_end(&f);
    free(mem);
    return svg_write(path, &b, err);
}

int lb_report_svg_lines(const char *path, const lb_report_series_t *series, size_t n_series,
                        const lb_report_plot_t *opt, lb_error_t *err) {
    if (!n_series || !series) return lb_error_set(err, LB_EINVAL, "lines: no series to plot");
    if (n_series > MAX_SERIES)
        return lb_error_set(err, LB_EINVAL, "lines: %zu series (at most %d)", n_series, MAX_SERIES);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t s = 0; s < n_series; s++) {
        const lb_report_series_t *p = &series[s];
        char what[160];
        snprintf(what, sizeof what, "lines: series %zu ('%.60s')", s + 1, p->label ? p->label : "");
        if (!p->n || !p->x || !p->y) return lb_error_set(err, LB_EINVAL, "%s: no points", what);
        char wx[176], wy[176];
        snprintf(wx, sizeof wx, "%s x", what);
        snprintf(wy, sizeof wy, "%s y", what);
        int rc = check_finite(p->x, p->n, wx, err);
        if (!rc) rc = check_finite(p->y, p->n, wy, err);
        if (rc) return rc;
        for (size_t i = 0; i < p->n; i++) {
            xlo = fmin(xlo, p->x[i]);
            xhi = fmax(xhi, p->x[i]);
            ylo = fmin(ylo, p->y[i]);
            yhi = fmax(yhi, p->y[i]);
        }
    }
    axis_t x, y;
    axis_nice(&x, xlo, xhi, 6, 0);
    axis_nice(&y, ylo, yhi, 5, 0);

    rb_t b;
    rb_init(&b);
    figure_t f;
    fig_begin(&f, &b, 1, opt);
    panel_t pn;
    panel_begin(&f, 0, NULL, &pn);
    panel_axes(&pn, &x, &y);
    panel_draw_axes(&f, &pn, &x, &y, opt);
    for (size_t s = 0; s < n_series; s++) {
        const lb_report_series_t *p = &series[s];
        rb_printf(&b, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" "
                      "points=\"", svg_color(s));
        for (size_t i = 0; i < p->n; i++)
            rb_printf(&b, "%s%.3f,%.3f", i ? " " : "", axis_map(&x, p->x[i]), axis_map(&y, p->y[i]));
        rb_puts(&b, "\"/>\n");
        if (p->n == 1) /* a one-point polyline draws nothing */
            rb_printf(&b, "<circle cx=\"%.3f\" cy=\"%.3f\" r=\"3\" fill=\"%s\"/>\n",
                      axis_map(&x, p->x[0]), axis_map(&y, p->y[0]), svg_color(s));
    }
    /* Default names live in one buffer sized up front. */
    char (*names)[24] = malloc(n_series * sizeof *names);
    const char **labels = malloc(n_series * sizeof *labels);
    if (!names || !labels) {
        free(names);
        free(labels);
        rb_free(&b);
        return lb_error_set(err, LB_ENOMEM, "lines: out of memory");
    }
    for (size_t s = 0; s < n_series; s++) {
        snprintf(names[s], sizeof names[s], "series %zu", s + 1);
        labels[s] = series[s].label ? series[s].label : names[s];
    }
    legend_begin(&f, &pn, labels, n_series);
    for (size_t s = 0; s < n_series; s++) legend_entry(&f, &pn, s, 'l', svg_color(s), labels[s]);
    free(names);
    free(labels);
    panel_end(&f);
    fig_end(&f);
    return svg_write(path, &b, err);
}
