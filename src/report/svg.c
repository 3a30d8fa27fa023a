/* The SVG skeleton every plot shares: figure and panel layout, nice linear axes with ticks
 * and labels, legends, and the atomic write. Coordinates are absolute figure pixels (no
 * transforms on data elements) so that a reader can map them back through the ticks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "report_internal.h"

#define MARGIN_L 64.0
#define MARGIN_R 16.0
#define MARGIN_T 30.0
#define MARGIN_B 46.0
#define TITLE_H 34.0
#define CHAR_W 6.6 /* rough width of a 12 px sans-serif character, for sizing boxes */

const char *svg_color(size_t i) {
    static const char *const tab10[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    return tab10[i % 10];
}

int check_finite(const double *v, size_t n, const char *what, lb_error_t *err) {
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return lb_error_set(err, LB_EINVAL, "%s: value %zu is %s (plots need finite numbers)",
                                what, i, isnan(v[i]) ? "NaN" : "infinite");
        /* Beyond this an axis span would overflow. */
        if (fabs(v[i]) > SVG_MAX_ABS)
            return lb_error_set(err, LB_EINVAL, "%s: value %zu is %g, too large to plot (|v| <= %g)",
                                what, i, v[i], SVG_MAX_ABS);
    }
    return 0;
}

/* ---- axes ----------------------------------------------------------------------------------- */

/* Step m * 10^e with m in {1, 2, 5} closest to raw from above-ish (the classic rule). */
static void nice_step(double raw, int *m, int *e) {
    int ex = (int)floor(log10(raw));
    double f = raw / pow(10.0, ex);
    int mm = f <= 1.0 ? 1 : f <= 2.0 ? 2 : f <= 5.0 ? 5 : 10;
    if (mm == 10) mm = 1, ex++;
    *m = mm;
    *e = ex;
}

/* k * m * 10^e computed so that decimal tick values come out as the nearest double (0.3, not
 * 0.30000000000000004): one rounding, by an exact power of ten. */
static double tick_value(double k, int m, int e) {
    double km = k * m;
    return e >= 0 ? km * pow(10.0, e) : km / pow(10.0, -e);
}

void axis_nice(axis_t *a, double dmin, double dmax, int target, int integer_step) {
    /* A span that doubles cannot split into ticks (equal values, or a span lost in the
     * rounding of large or subnormal values) is widened around the data. */
    double mag = fmax(fabs(dmin), fabs(dmax));
    if (!(dmax - dmin > mag * 1e-9) || dmax - dmin < 1e-200) {
        double half = fmax(0.5, mag * 1e-6);
        dmin -= half;
        dmax += half;
    }
    int m, e;
    nice_step((dmax - dmin) / (double)(target > 1 ? target - 1 : 1), &m, &e);
    if (integer_step && e < 0) m = 1, e = 0;
    double step = tick_value(1, m, e);
    /* Widen until the tick count fits (very wide or odd ranges). */
    double k0, k1;
    for (;;) {
        k0 = floor(dmin / step);
        k1 = ceil(dmax / step);
        /* Floating division can put an exact multiple one step out; pull it back. */
        if (tick_value(k0 + 1, m, e) <= dmin) k0 += 1;
        if (tick_value(k1 - 1, m, e) >= dmax) k1 -= 1;
        if (k1 - k0 + 1 <= SVG_MAX_TICKS) break;
        if (m == 1) m = 2;
        else if (m == 2) m = 5;
        else m = 1, e++;
        step = tick_value(1, m, e);
    }
    a->n_ticks = (size_t)(k1 - k0) + 1;
    for (size_t i = 0; i < a->n_ticks; i++) a->ticks[i] = tick_value(k0 + (double)i, m, e);
    a->lo = a->ticks[0];
    a->hi = a->ticks[a->n_ticks - 1];
    a->decimals = e < 0 ? -e : 0;
}

double axis_map(const axis_t *a, double v) {
    return a->px_lo + (v - a->lo) / (a->hi - a->lo) * (a->px_hi - a->px_lo);
}

/* ---- figure and panels ---------------------------------------------------------------------- */

void fig_begin(figure_t *f, rb_t *b, size_t n_panels, const lb_report_plot_t *opt) {
    memset(f, 0, sizeof *f);
    f->b = b;
    int grid = n_panels > 1;
    f->panel_w = opt && opt->panel_width > 0 ? opt->panel_width : grid ? 360 : 640;
    f->panel_h = opt && opt->panel_height > 0 ? opt->panel_height : grid ? 260 : 400;
    /* A panel smaller than its margins has no room to plot in. */
    if (f->panel_w < 200) f->panel_w = 200;
    if (f->panel_h < 150) f->panel_h = 150;
    size_t cols = opt && opt->columns ? opt->columns : (size_t)ceil(sqrt((double)n_panels));
    if (cols < 1) cols = 1;
    if (cols > n_panels) cols = n_panels;
    f->columns = cols;
    size_t rows = (n_panels + cols - 1) / cols;
    const char *title = opt ? opt->title : NULL;
    f->title_h = title && *title ? TITLE_H : 8;
    f->width = f->panel_w * (double)cols;
    f->height = f->title_h + f->panel_h * (double)rows;
    rb_printf(b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
              "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" "
              "font-size=\"12\">\n",
              f->width, f->height, f->width, f->height);
    if (title && *title) {
        rb_puts(b, "<title>");
        rb_xml(b, title, 0);
        rb_puts(b, "</title>\n");
    }
    rb_printf(b, "<rect class=\"background\" x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
                 "fill=\"white\"/>\n", f->width, f->height);
    if (title && *title) {
        rb_printf(b, "<text class=\"title\" x=\"%.1f\" y=\"22\" text-anchor=\"middle\" "
                     "font-size=\"16\" font-weight=\"bold\">", f->width / 2);
        rb_xml(b, title, (size_t)(f->width / 9.0));
        rb_puts(b, "</text>\n");
    }
}

void fig_end(figure_t *f) { rb_puts(f->b, "</svg>\n"); }

void panel_begin(figure_t *f, size_t i, const char *label, panel_t *p) {
    double ox = f->panel_w * (double)(i % f->columns);
    double oy = f->title_h + f->panel_h * (double)(i / f->columns);
    memset(p, 0, sizeof *p);
    p->x0 = ox + MARGIN_L;
    p->x1 = ox + f->panel_w - MARGIN_R;
    p->y0 = oy + MARGIN_T;
    p->y1 = oy + f->panel_h - MARGIN_B;
    rb_puts(f->b, "<g class=\"panel\">\n");
    if (label && *label) {
        rb_printf(f->b, "<text class=\"panel-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                        "font-size=\"13\" font-weight=\"bold\">",
                  (p->x0 + p->x1) / 2, oy + 18);
        rb_xml(f->b, label, (size_t)((p->x1 - p->x0) / 7.5));
        rb_puts(f->b, "</text>\n");
    }
}

void panel_axes(const panel_t *p, axis_t *x, axis_t *y) {
    x->px_lo = p->x0;
    x->px_hi = p->x1;
    y->px_lo = p->y1;
    y->px_hi = p->y0;
}

void panel_draw_axes(figure_t *f, const panel_t *p, const axis_t *x, const axis_t *y,
                     const lb_report_plot_t *opt) {
    rb_t *b = f->b;
    for (size_t i = 0; i < y->n_ticks; i++) {
        double py = axis_map(y, y->ticks[i]);
        rb_printf(b, "<line class=\"grid\" x1=\"%.3f\" y1=\"%.3f\" x2=\"%.3f\" y2=\"%.3f\" "
                     "stroke=\"#e6e6e6\" stroke-width=\"1\"/>\n", p->x0, py, p->x1, py);
    }
    rb_printf(b, "<line class=\"axis\" x1=\"%.3f\" y1=\"%.3f\" x2=\"%.3f\" y2=\"%.3f\" "
                 "stroke=\"black\"/>\n", p->x0, p->y1, p->x1, p->y1);
    rb_printf(b, "<line class=\"axis\" x1=\"%.3f\" y1=\"%.3f\" x2=\"%.3f\" y2=\"%.3f\" "
                 "stroke=\"black\"/>\n", p->x0, p->y1, p->x0, p->y0);
    for (size_t i = 0; i < x->n_ticks; i++) {
        double px = axis_map(x, x->ticks[i]);
        rb_printf(b, "<line class=\"xtick\" x1=\"%.3f\" y1=\"%.3f\" x2=\"%.3f\" y2=\"%.3f\" "
                     "stroke=\"black\"/>\n", px, p->y1, px, p->y1 + 5);
        rb_printf(b, "<text class=\"xtick-label\" x=\"%.3f\" y=\"%.3f\" text-anchor=\"middle\">"
                     "%.*f</text>\n", px, p->y1 + 18, x->decimals, x->ticks[i]);
    }
    for (size_t i = 0; i < y->n_ticks; i++) {
        double py = axis_map(y, y->ticks[i]);
        rb_printf(b, "<line class=\"ytick\" x1=\"%.3f\" y1=\"%.3f\" x2=\"%.3f\" y2=\"%.3f\" "
                     "stroke=\"black\"/>\n", p->x0 - 5, py, p->x0, py);
        rb_printf(b, "<text class=\"ytick-label\" x=\"%.3f\" y=\"%.3f\" text-anchor=\"end\">"
                     "%.*f</text>\n", p->x0 - 8, py + 4, y->decimals, y->ticks[i]);
    }
    if (opt && opt->xlabel && *opt->xlabel) {
        rb_printf(b, "<text class=\"xlabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                  (p->x0 + p->x1) / 2, p->y1 + 36);
        rb_xml(b, opt->xlabel, (size_t)((p->x1 - p->x0) / CHAR_W));
        rb_puts(b, "</text>\n");
    }
    if (opt && opt->ylabel && *opt->ylabel) {
        double cx = p->x0 - 50, cy = (p->y0 + p->y1) / 2;
        rb_printf(b, "<text class=\"ylabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                     "transform=\"rotate(-90 %.1f %.1f)\">", cx, cy, cx, cy);
        rb_xml(b, opt->ylabel, (size_t)((p->y1 - p->y0) / CHAR_W));
        rb_puts(b, "</text>\n");
    }
}

#define LEGEND_ROW 16.0
#define LEGEND_MAX_CHARS 40

static void legend_origin(const panel_t *p, double *x, double *y) {
    *x = p->legend_left ? p->x0 + 6 : p->x1 - p->legend_w - 6;
    *y = p->legend_bottom ? p->y1 - 6 - (LEGEND_ROW * (double)p->n_legend + 8) : p->y0 + 6;
}

void legend_begin(figure_t *f, panel_t *p, const char *const *labels, size_t n) {
    size_t chars = 4;
    for (size_t i = 0; i < n; i++) {
        size_t w = labels[i] ? utf8_width(labels[i]) : 0;
        if (w > chars) chars = w;
    }
    if (chars > LEGEND_MAX_CHARS) chars = LEGEND_MAX_CHARS;
    p->n_legend = n;
    p->legend_w = 34 + CHAR_W * (double)chars;
    double x, y;
    legend_origin(p, &x, &y);
    rb_printf(f->b, "<g class=\"legend\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbbbbb\"/>\n",
              x, y, p->legend_w, LEGEND_ROW * (double)n + 8);
}

void legend_entry(figure_t *f, panel_t *p, size_t i, char kind, const char *color,
                  const char *label) {
    double x, y;
    legend_origin(p, &x, &y);
    x += 6;
    y += 4 + LEGEND_ROW * (double)i;
    if (kind == 'b')
        rb_printf(f->b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\" fill=\"%s\" "
                        "fill-opacity=\"0.45\" stroke=\"%s\"/>\n", x, y + 3, color, color);
    else
        rb_printf(f->b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-width=\"2\"%s/>\n", x, y + 8, x + 18, y + 8, color,
                  kind == 'd' ? " stroke-dasharray=\"5,3\"" : "");
    rb_printf(f->b, "<text x=\"%.1f\" y=\"%.1f\">", x + 24, y + 12);
    rb_xml(f->b, label, LEGEND_MAX_CHARS);
    rb_puts(f->b, "</text>\n");
    if (i + 1 == p->n_legend) rb_puts(f->b, "</g>\n");
}

void panel_end(figure_t *f) { rb_puts(f->b, "</g>\n"); }

int svg_write(const char *path, rb_t *b, lb_error_t *err) {
    size_t len = b->len;
    char *doc = rb_take(b);
    if (!doc) return lb_error_set(err, LB_ENOMEM, "%s: out of memory building the SVG", path);
    int rc = lb_atomic_write_file(path, doc, len, err);
    free(doc);
    return rc;
}
