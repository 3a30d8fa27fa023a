/* Plots of one prompt's sampled scores, one panel per prompt (small multiples): the density
 * (histogram + KDE + greedy line, as the reference demo shows it) and the empirical CDF with
 * its DKW band. The panels share the x axis so that prompts compare at a glance; each has its
 * own y axis because a spike at 0 would flatten every other density. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/stats.h"
#include "report_internal.h"

#define KDE_POINTS 201
#define MAX_BINS 10000

static int check_samples(const char *plot, const lb_report_samples_t *s, size_t n_panels,
                         lb_error_t *err) {
    if (!n_panels || !s) return lb_error_set(err, LB_EINVAL, "%s: no panels to plot", plot);
    for (size_t i = 0; i < n_panels; i++) {
        char what[160];
        snprintf(what, sizeof what, "%s: panel %zu ('%.60s')", plot, i + 1,
                 s[i].label ? s[i].label : "");
        if (!s[i].n || !s[i].values)
            return lb_error_set(err, LB_EINVAL, "%s: no values", what);
        int rc = check_finite(s[i].values, s[i].n, what, err);
        if (rc) return rc;
        if (isinf(s[i].greedy) || fabs(s[i].greedy) > SVG_MAX_ABS)
            return lb_error_set(err, LB_EINVAL, "%s: the greedy score %g cannot be plotted", what,
                                s[i].greedy);
    }
    return 0;
}

/* Scores live in [0, 1]; other data get nice ticks around them. */
static void samples_xaxis(const lb_report_samples_t *s, size_t n_panels, axis_t *x) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n_panels; i++) {
        for (size_t j = 0; j < s[i].n; j++) {
            lo = fmin(lo, s[i].values[j]);
            hi = fmax(hi, s[i].values[j]);
        }
        if (!isnan(s[i].greedy)) {
            lo = fmin(lo, s[i].greedy);
            hi = fmax(hi, s[i].greedy);
        }
    }
    if (lo >= 0 && hi <= 1) lo = 0, hi = 1;
    axis_nice(x, lo, hi, 6, 0);
}

static size_t max_n(const lb_report_samples_t *s, size_t n_panels) {
    size_t m = 0;
    for (size_t i = 0; i < n_panels; i++)
        if (s[i].n > m) m = s[i].n;
    return m;
}

static void greedy_line(figure_t *f, const axis_t *x, const axis_t *y, double g) {
    double px = axis_map(x, g);
    rb_printf(f->b, "<line class=\"greedy\" x1=\"%.3f\" y1=\"%.3f\" x2=\"%.3f\" y2=\"%.3f\" "
                    "stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n",
              px, y->px_lo, px, y->px_hi, svg_color(3));
}

static void point(rb_t *b, const axis_t *x, const axis_t *y, double vx, double vy) {
    rb_printf(b, "%.3f,%.3f ", axis_map(x, vx), axis_map(y, vy));
}

int lb_report_svg_density(const char *path, const lb_report_samples_t *s, size_t n_panels,
                          size_t bins, const lb_report_plot_t *opt, lb_error_t *err) {
    int rc = check_samples("density", s, n_panels, err);
    if (rc) return rc;
    if (!bins) bins = 20;
    if (bins > MAX_BINS)
        return lb_error_set(err, LB_EINVAL, "density: %zu bins (at most %d)", bins, MAX_BINS);
    /* Every buffer once, for all panels: edges, counts, densities, KDE grid and values. */
    double *mem = malloc((4 * bins + 1 + 2 * KDE_POINTS) * sizeof *mem);
    if (!mem) return lb_error_set(err, LB_ENOMEM, "density: out of memory");
    double *edges = mem, *counts = edges + bins + 1, *dens = counts + bins,
           *kx = dens + bins, *ky = kx + KDE_POINTS;
    axis_t x, y;
    samples_xaxis(s, n_panels, &x);
    for (size_t j = 0; j < KDE_POINTS; j++)
        kx[j] = x.lo + (x.hi - x.lo) * (double)j / (KDE_POINTS - 1);

    rb_t b;
    rb_init(&b);
    figure_t f;
    fig_begin(&f, &b, n_panels, opt);
    lb_report_plot_t o = opt ? *opt : (lb_report_plot_t){0};
    if (!o.xlabel) o.xlabel = "score";
    if (!o.ylabel) o.ylabel = "density";
    for (size_t i = 0; i < n_panels; i++) {
        const lb_report_samples_t *p = &s[i];
        size_t counted = hist_counts(p->values, p->n, x.lo, x.hi, bins, edges, counts);
        double ymax = 0;
        for (size_t k = 0; k < bins; k++) {
            /* numpy: n / db / n.sum() */
            dens[k] = counts[k] / (edges[k + 1] - edges[k]) / (double)counted;
            ymax = fmax(ymax, dens[k]);
        }
        int has_kde = kde_eval(p->values, p->n, kx, KDE_POINTS, ky) == 0;
        for (size_t j = 0; has_kde && j < KDE_POINTS; j++) ymax = fmax(ymax, ky[j]);
        axis_nice(&y, 0, ymax * 1.2, 5, 0); /* headroom for the legend */
        panel_t pn;
        panel_begin(&f, i, p->label, &pn);
        panel_axes(&pn, &x, &y);
        panel_draw_axes(&f, &pn, &x, &y, &o);
        for (size_t k = 0; k < bins; k++) {
            double px0 = axis_map(&x, edges[k]), px1 = axis_map(&x, edges[k + 1]);
            double py = axis_map(&y, dens[k]), py0 = axis_map(&y, 0);
            rb_printf(&b, "<rect class=\"bar\" x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" "
                          "height=\"%.3f\" fill=\"%s\" fill-opacity=\"0.45\" stroke=\"white\" "
                          "stroke-width=\"0.5\"/>\n",
                      px0, py, px1 - px0, py0 - py, svg_color(0));
        }
        if (has_kde) {
            rb_printf(&b, "<polyline class=\"kde\" fill=\"none\" stroke=\"%s\" "
                          "stroke-width=\"2\" points=\"", svg_color(0));
            for (size_t j = 0; j < KDE_POINTS; j++) point(&b, &x, &y, kx[j], ky[j]);
            if (b.len && !b.oom) b.len--; /* the last separator */
            rb_puts(&b, "\"/>\n");
        }
        int has_greedy = !isnan(p->greedy);
        if (has_greedy) greedy_line(&f, &x, &y, p->greedy);
        char l0[64], l2[64];
        snprintf(l0, sizeof l0, "samples (n = %zu)", p->n);
        snprintf(l2, sizeof l2, "greedy = %.3f", p->greedy);
        const char *labels[3];
        size_t nl = 0;
        labels[nl++] = l0;
        if (has_kde) labels[nl++] = "KDE (Scott)";
        if (has_greedy) labels[nl++] = l2;
        /* The legend goes over the emptier half of the plot. */
        double left = 0, right = 0;
        for (size_t k = 0; k < bins; k++) {
            if (2 * k < bins) left = fmax(left, dens[k]);
            else right = fmax(right, dens[k]);
        }
        pn.legend_left = right > left;
        legend_begin(&f, &pn, labels, nl);
        size_t e = 0;
        legend_entry(&f, &pn, e++, 'b', svg_color(0), l0);
        if (has_kde) legend_entry(&f, &pn, e++, 'l', svg_color(0), labels[1]);
        if (has_greedy) legend_entry(&f, &pn, e++, 'd', svg_color(3), l2);
        panel_end(&f);
    }
    fig_end(&f);
    free(mem);
    return svg_write(path, &b, err);
}

int lb_report_svg_ecdf(const char *path, const lb_report_samples_t *s, size_t n_panels,
                       double alpha, const lb_report_plot_t *opt, lb_error_t *err) {
    int rc = check_samples("ecdf", s, n_panels, err);
    if (rc) return rc;
    if (!(alpha > 0 && alpha < 1))
        return lb_error_set(err, LB_EINVAL, "ecdf: alpha %g outside (0, 1)", alpha);
    size_t m = max_n(s, n_panels);
    /* sorted values, the sort's scratch, and the step heights F_j of the distinct values */
    double *mem = malloc(3 * m * sizeof *mem);
    if (!mem) return lb_error_set(err, LB_ENOMEM, "ecdf: out of memory");
    double *sorted = mem, *scratch = mem + m, *F = mem + 2 * m;
    axis_t x, y;
    samples_xaxis(s, n_panels, &x);
    axis_nice(&y, 0, 1, 6, 0);

    rb_t b;
    rb_init(&b);
    figure_t f;
    fig_begin(&f, &b, n_panels, opt);
    lb_report_plot_t o = opt ? *opt : (lb_report_plot_t){0};
    if (!o.xlabel) o.xlabel = "score";
    if (!o.ylabel) o.ylabel = "P(X <= x)";
    for (size_t i = 0; i < n_panels; i++) {
        const lb_report_samples_t *p = &s[i];
        size_t n = p->n;
        memcpy(sorted, p->values, n * sizeof *sorted);
        lb_stats_sort(sorted, n, scratch);
        /* Compact to the distinct values u (in sorted) with F = share of samples <= u. */
        size_t u = 0;
        for (size_t j = 0; j < n; j++) {
            if (j + 1 < n && sorted[j + 1] == sorted[j]) continue;
            sorted[u] = sorted[j];
            F[u++] = (double)(j + 1) / (double)n;
        }
        double eps = lb_stats_eps_two_sided(n, alpha);
        panel_t pn;
        panel_begin(&f, i, p->label, &pn);
        panel_axes(&pn, &x, &y);
        panel_draw_axes(&f, &pn, &x, &y, &o);
        /* The band: its upper edge left to right, then its lower edge right to left, both
         * with the same steps as F_n (2u + 2 points each). */
        rb_printf(&b, "<polygon class=\"dkw-band\" fill=\"%s\" fill-opacity=\"0.2\" "
                      "stroke=\"none\" points=\"", svg_color(0));
        point(&b, &x, &y, x.lo, fmin(eps, 1));
        for (size_t j = 0; j < u; j++) {
            point(&b, &x, &y, sorted[j], fmin((j ? F[j - 1] : 0) + eps, 1));
            point(&b, &x, &y, sorted[j], fmin(F[j] + eps, 1));
        }
        point(&b, &x, &y, x.hi, 1);
        point(&b, &x, &y, x.hi, fmax(1 - eps, 0));
        for (size_t j = u; j-- > 0;) {
            point(&b, &x, &y, sorted[j], fmax(F[j] - eps, 0));
            point(&b, &x, &y, sorted[j], fmax((j ? F[j - 1] : 0) - eps, 0));
        }
        point(&b, &x, &y, x.lo, 0);
        if (b.len && !b.oom) b.len--;
        rb_puts(&b, "\"/>\n");
        rb_printf(&b, "<polyline class=\"ecdf\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                      "points=\"", svg_color(0));
        point(&b, &x, &y, x.lo, 0);
        for (size_t j = 0; j < u; j++) {
            point(&b, &x, &y, sorted[j], j ? F[j - 1] : 0);
            point(&b, &x, &y, sorted[j], F[j]);
        }
        point(&b, &x, &y, x.hi, 1);
        if (b.len && !b.oom) b.len--;
        rb_puts(&b, "\"/>\n");
        int has_greedy = !isnan(p->greedy);
        if (has_greedy) greedy_line(&f, &x, &y, p->greedy);
        char l0[64], l1[96], l2[64];
        snprintf(l0, sizeof l0, "ECDF (n = %zu)", n);
        snprintf(l1, sizeof l1, "DKW %g%% band (\xce\xb5 = %.3f)", 100 * (1 - alpha), eps);
        snprintf(l2, sizeof l2, "greedy = %.3f", p->greedy);
        const char *labels[3] = {l0, l1, l2};
        /* An ECDF leaves the top left empty when it rises late, the bottom right when early. */
        size_t med = 0;
        while (med + 1 < u && F[med] < 0.5) med++;
        int early = sorted[med] < (x.lo + x.hi) / 2;
        pn.legend_bottom = early;
        pn.legend_left = !early;
        legend_begin(&f, &pn, labels, has_greedy ? 3 : 2);
        legend_entry(&f, &pn, 0, 'l', svg_color(0), l0);
        legend_entry(&f, &pn, 1, 'b', svg_color(0), l1);
        if (has_greedy) legend_entry(&f, &pn, 2, 'd', svg_color(3), l2);
        panel_end(&f);
    }
    fig_end(&f);
    free(mem);
    return svg_write(path, &b, err);
}
