/*
 * report_internal.h — pieces shared by the report module's files (private to src/report):
 * a growable text buffer, UTF-8/XML/markdown escaping, and the SVG figure skeleton (layout,
 * nice axes, ticks, legend) that every plot draws into.
 */
#ifndef LEAKBOUND_REPORT_INTERNAL_H
#define LEAKBOUND_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "leakbound/core.h"
#include "leakbound/report.h"

/* ---- text buffer (buf.c) ----------------------------------------------------------------- */

/* A growable string. Allocation failure is sticky (oom = 1) so that callers check once at the
 * end instead of after every append. */
typedef struct rb {
    char *s;
    size_t len, cap;
    int oom;
} rb_t;

void rb_init(rb_t *b);
void rb_free(rb_t *b);
int rb_reserve(rb_t *b, size_t extra);
void rb_putn(rb_t *b, const char *s, size_t n);
void rb_puts(rb_t *b, const char *s);
void rb_putc(rb_t *b, char c);
void rb_printf(rb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the string over (NUL-terminated) and reset b; NULL if any append failed. */
char *rb_take(rb_t *b);

/* Decode one UTF-8 code point from s (n bytes left, n >= 1). Returns the bytes consumed
 * (1..4) and sets *cp; an invalid or truncated sequence consumes 1 byte and gives U+FFFD. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
void rb_put_cp(rb_t *b, uint32_t cp);
/* Code points in s (decoding as above). */
size_t utf8_width(const char *s);

/* Append s as XML character data / attribute text: & < > " ' become entities, characters
 * XML 1.0 forbids (C0 controls except tab/LF/CR, U+FFFE/U+FFFF) and invalid UTF-8 become
 * U+FFFD, and at most max_cp code points are written (0 = all; a cut ends in "..."). */
void rb_xml(rb_t *b, const char *s, size_t max_cp);

/* ---- SVG skeleton (svg.c) ---------------------------------------------------------------- */

#define SVG_MAX_TICKS 48
#define SVG_MAX_ABS 1e300 /* plotted values must be at most this in magnitude */

/* A linear axis from data [lo, hi] onto pixels [px_lo, px_hi] (for y, px_lo is the bottom). */
typedef struct axis {
    double lo, hi;
    double px_lo, px_hi;
    double ticks[SVG_MAX_TICKS]; /* (n_ticks) */
    size_t n_ticks;
    int decimals;                /* digits after the point in tick labels */
} axis_t;

/* Nice ticks (1, 2, 5 x 10^k, about `target` of them) covering [dmin, dmax]; the axis runs
 * from the first tick to the last. dmin == dmax is widened by 0.5 each side. With
 * integer_step, the step is at least 1 (counts). */
void axis_nice(axis_t *a, double dmin, double dmax, int target, int integer_step);
double axis_map(const axis_t *a, double v);

/* One figure: a title band and a grid of equal panels. */
typedef struct figure {
    rb_t *b;
    double width, height;
    double panel_w, panel_h, title_h;
    size_t columns;
} figure_t;

/* Layout for n_panels panels from opt (NULL = defaults) and write the root <svg> opening,
 * background and title. */
void fig_begin(figure_t *f, rb_t *b, size_t n_panels, const lb_report_plot_t *opt);
/* Close the root element. */
void fig_end(figure_t *f);

/* A panel's plot area in figure pixels. */
typedef struct panel {
    double x0, x1; /* left, right */
    double y0, y1; /* top, bottom */
    size_t n_legend;
    double legend_w;
    int legend_left, legend_bottom; /* the corner the legend goes in (default top right) */
} panel_t;

/* Open <g class="panel"> for panel i with its label on top; sets the plot area. */
void panel_begin(figure_t *f, size_t i, const char *label, panel_t *p);
/* Set the axes' pixel spans to the panel's plot area. */
void panel_axes(const panel_t *p, axis_t *x, axis_t *y);
/* Grid lines, axis lines, ticks, tick labels and axis labels (opt may be NULL). */
void panel_draw_axes(figure_t *f, const panel_t *p, const axis_t *x, const axis_t *y,
                     const lb_report_plot_t *opt);
/* Legend: call legend_begin with every label (to size the box), then legend_entry for each.
 * kind: 'b' a filled box, 'l' a line, 'd' a dashed line. */
void legend_begin(figure_t *f, panel_t *p, const char *const *labels, size_t n);
void legend_entry(figure_t *f, panel_t *p, size_t i, char kind, const char *color,
                  const char *label);
void panel_end(figure_t *f);

/* Colour i of the palette (matplotlib's tab10). */
const char *svg_color(size_t i);

/* Write the document atomically to path ("-" = stdout). Returns 0 or LB_EIO/LB_ENOMEM. */
int svg_write(const char *path, rb_t *b, lb_error_t *err);

/* Check n values are finite; `what` names the series in the message. */
int check_finite(const double *v, size_t n, const char *what, lb_error_t *err);

/* ---- binning (bins.c) -------------------------------------------------------------------- */

/* numpy.histogram(v, bins=k, range=(lo, hi)): edges (k + 1) = numpy.linspace(lo, hi, k + 1),
 * counts (k). Values outside [lo, hi] are not counted. Returns the number counted. */
size_t hist_counts(const double *v, size_t n, double lo, double hi, size_t k, double *edges,
                   double *counts);

/* scipy.stats.gaussian_kde(v) (Scott's factor, ddof 1) evaluated at xs (m) into ys (m).
 * Returns 0, or -1 when the KDE is undefined (n < 2 or zero variance). */
int kde_eval(const double *v, size_t n, const double *xs, size_t m, double *ys);

#endif
