/*
 * leakbound/report.h — what `eval`, `demo` and `plot` show to people: tables and SVG plots,
 * and the bound document that `bound` and `eval` write.
 *
 * Contract
 * - Tables: build a table column by column (header, alignment, number format), fill it row by
 *   row, then render it as GitHub-flavoured markdown or as aligned plain text for a terminal.
 *   The table copies every string it is given; the caller keeps ownership of its own. Cell text
 *   is escaped for the target format (markdown: | \ * _ ` [ ] < > & are backslash-escaped,
 *   line breaks become spaces; text: control characters become spaces). Widths count UTF-8
 *   code points.
 * - Plots: standalone SVG 1.1 documents written by hand (no dependency), each with a viewBox,
 *   width and height, axes, ticks, tick labels, axis labels, a title and a legend. All text is
 *   XML-escaped (& < > " ' and characters XML forbids). Data coordinates map linearly onto the
 *   axes; tick values are "nice" (1, 2, 5 x 10^k) and the axis range runs from the first tick
 *   to the last, so a reader can recover data values from the tick marks.
 * - Inputs are validated before anything is written: an empty input, a NaN or infinite value
 *   (or one beyond 1e300 in magnitude, where axis spans would overflow), or a bad option is an
 *   error (LB_EINVAL) naming the series/panel and the index, and no file appears. Files are written atomically (lb_atomic_* from io.h: a temporary renamed on
 *   success); "-" writes to stdout.
 * - Histograms use numpy.histogram's binning exactly (equal-width bins on [lo, hi], each bin
 *   half-open except the last, which is closed); densities are numpy's density=True. The KDE
 *   is Gaussian with Scott's bandwidth, as scipy.stats.gaussian_kde (std with ddof 1); it is
 *   omitted when all values are equal or there is only one.
 * - Elements carry classes an automated reader relies on (tests/oracle/report_svg.py):
 *   g.panel (one per axes, in order), line.xtick/line.ytick with text.xtick-label/.ytick-label
 *   in the same order, rect.bar (every bin, empty ones included, left to right), polyline.kde,
 *   line.greedy, polyline.ecdf, polygon.dkw-band, polyline.series (one per line series).
 * - Memory: each call allocates its buffers once (sized from the input), never per sample.
 *   Functions are reentrant.
 */
#ifndef LEAKBOUND_REPORT_H
#define LEAKBOUND_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "leakbound/core.h"
#include "leakbound/score.h"
#include "leakbound/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tables ------------------------------------------------------------------------------ */

typedef enum lb_report_align {
    LB_REPORT_ALIGN_LEFT = 0,
    LB_REPORT_ALIGN_RIGHT = 1,
    LB_REPORT_ALIGN_CENTER = 2
} lb_report_align_t;

typedef enum lb_report_format {
    LB_REPORT_MARKDOWN = 0, /* GitHub table: | a | b |, a |:---|---:| rule, padded to align */
    LB_REPORT_TEXT = 1      /* columns separated by two spaces, a dashed rule under the header */
} lb_report_format_t;

typedef struct lb_report_table lb_report_table_t; /* opaque */

/* A new empty table in *out (free with lb_report_table_free). Returns 0 or LB_ENOMEM. */
LB_API int lb_report_table_new(lb_report_table_t **out, lb_error_t *err);

/* Append a column. header: text (copied). number_format: a printf conversion for one double
 * ("%.4f", "%g", "%.1f%%"...; NULL means "%.4g") used by lb_report_table_number; it is checked
 * to hold exactly one floating conversion (f e g a, upper case too) and nothing else but text
 * and "%%". max_width: cells wider than this many code points are cut and end in "..."
 * (0 = no limit; otherwise >= 4). Columns must all be added before the first row.
 * Returns 0, LB_EINVAL (bad format, bad width, rows already added) or LB_ENOMEM. */
LB_API int lb_report_table_column(lb_report_table_t *t, const char *header, lb_report_align_t align,
                                  const char *number_format, size_t max_width, lb_error_t *err);

/* Start a new row; its cells are empty until set. Returns 0, LB_EINVAL (no columns) or
 * LB_ENOMEM. */
LB_API int lb_report_table_row(lb_report_table_t *t, lb_error_t *err);

/* Set cell `col` of the current row to text (copied; NULL = empty) or to v printed with the
 * column's number format (NaN prints "nan", infinities "inf"/"-inf", whatever the format).
 * Returns 0, LB_EINVAL (no row yet, col out of range) or LB_ENOMEM. */
LB_API int lb_report_table_text(lb_report_table_t *t, size_t col, const char *text,
                                lb_error_t *err);
/* Cell `col` of the current row = v in the column's number format (as above). */
LB_API int lb_report_table_number(lb_report_table_t *t, size_t col, double v, lb_error_t *err);

/* Render the whole table into *out (malloc'd, NUL-terminated, ends in "\n"; caller frees).
 * A table with columns and no rows renders its header only. Returns 0, LB_EINVAL (no
 * columns) or LB_ENOMEM. */
LB_API int lb_report_table_render(const lb_report_table_t *t, lb_report_format_t fmt, char **out,
                                  lb_error_t *err);

/* Streamed rendering, for tables with one row per question: the rows are not stored. fill is
 * called twice for each row r in 0..n_rows-1, in order (once to measure the column widths,
 * once to write): it must start exactly one row on t (lb_report_table_row) and set its cells,
 * and return 0 or an lb error code (which stops the stream and is returned). The output goes
 * to write(write_ctx, text, len, err) in whole lines ending in "\n" (first the header with its
 * rule, then one call per row), which returns 0 or an lb error code. t must have columns and no stored rows; on
 * return it has none again. The bytes written equal lb_report_table_render's for the same rows
 * stored. Memory: one row and one line at a time, whatever n_rows. Returns 0, LB_EINVAL (no
 * columns, stored rows, fill adding other than one row), LB_ENOMEM or the callbacks' code. */
typedef int (*lb_report_fill_fn)(void *ctx, size_t row, lb_report_table_t *t, lb_error_t *err);
typedef int (*lb_report_write_fn)(void *ctx, const char *text, size_t len, lb_error_t *err);
/* Write n_rows rows filled one at a time by fill, as the comment above the two callback
 * types says. */
LB_API int lb_report_table_stream(lb_report_table_t *t, size_t n_rows, lb_report_fill_fn fill,
                                  void *fill_ctx, lb_report_format_t fmt, lb_report_write_fn write,
                                  void *write_ctx, lb_error_t *err);

/* Rows stored so far (0 again after lb_report_table_stream). */
LB_API size_t lb_report_table_rows(const lb_report_table_t *t);
/* Free the table and every string it copied; NULL is a no-op. */
LB_API void lb_report_table_free(lb_report_table_t *t);

/* ---- plots ------------------------------------------------------------------------------- */

/* Options shared by every plot. Any pointer may be NULL (no title/label); numbers <= 0 take
 * the default. The text is escaped; the caller keeps ownership. */
typedef struct lb_report_plot {
    const char *title;  /* over the whole figure */
    const char *xlabel; /* under each panel's x axis */
    const char *ylabel; /* beside each panel's y axis */
    double panel_width;  /* pixels of one panel (default 640 for one panel, 360 in a grid) */
    double panel_height; /* default 400 / 260 */
    size_t columns;      /* panels per grid row (default ceil(sqrt(panels))) */
} lb_report_plot_t;

/* One prompt's sampled scores for the density and ECDF plots. */
typedef struct lb_report_samples {
    const char *label;     /* panel title, e.g. the prompt id (may be NULL) */
    const double *values;  /* (n) the sampled scores, any order; not modified */
    size_t n;              /* >= 1 */
    double greedy;         /* the greedy answer's score, marked by a vertical line; NaN = none */
} lb_report_samples_t;

/* Density of sampled scores, one panel per entry of s (small multiples in a grid when
 * n_panels > 1): a density histogram (numpy density=True) with `bins` equal bins (0 = 20),
 * the Gaussian KDE as a line, and the greedy score as a vertical line. The x range is [0, 1]
 * when every value (and greedy) lies there, else nice ticks around the data. s: (n_panels).
 * Returns 0, LB_EINVAL (n_panels = 0, an empty panel, a NaN/inf value, bins > 10000),
 * LB_ENOMEM or LB_EIO (with the path). */
LB_API int lb_report_svg_density(const char *path, const lb_report_samples_t *s, size_t n_panels,
                                 size_t bins, const lb_report_plot_t *opt, lb_error_t *err);

/* Empirical CDF F_n of each entry's scores as a step line, with the simultaneous two-sided
 * DKW band [max(F_n - eps, 0), min(F_n + eps, 1)], eps = lb_stats_eps_two_sided(n, alpha):
 * with probability >= 1 - alpha the true CDF lies inside the band everywhere. The greedy
 * score (when not NaN) is marked. s: (n_panels). alpha in (0, 1). Errors as above. */
LB_API int lb_report_svg_ecdf(const char *path, const lb_report_samples_t *s, size_t n_panels,
                              double alpha, const lb_report_plot_t *opt, lb_error_t *err);

/* Histogram of counts of one value per prompt (e.g. ED over prompts): `bins` equal bins
 * (0 = 20) on a nice range around the data (width 1 around a single repeated value).
 * values: (n), n >= 1. legend: the series name (NULL = "prompts"). Errors as above. */
LB_API int lb_report_svg_histogram(const char *path, const double *values, size_t n, size_t bins,
                                   const char *legend, const lb_report_plot_t *opt,
                                   lb_error_t *err);

/* One line series of a line chart (e.g. training loss against step). */
typedef struct lb_report_series {
    const char *label;  /* legend entry (may be NULL: "series <i>") */
    const double *x;    /* (n) */
    const double *y;    /* (n) */
    size_t n;           /* >= 1 */
} lb_report_series_t;

/* Line chart of several series on shared axes (nice ranges covering every point), one colour
 * each, with a legend. series: (n_series), n_series in 1..64. Errors as above. */
LB_API int lb_report_svg_lines(const char *path, const lb_report_series_t *series, size_t n_series,
                               const lb_report_plot_t *opt, lb_error_t *err);

/* dir/loss.svg from dir/train_log.csv (step,epoch,lr,loss,...: loss against step) and, when
 * check_metric is not NULL, dir/eval_log.csv's greedy checks (step,greedy,...) as a second
 * series labelled "greedy <check_metric> (eval_log.csv)". Errors: LB_EIO (a file unreadable or
 * unwritable, naming it), LB_ENOMEM. */
LB_API int lb_report_loss_svg(const char *dir, const char *check_metric, lb_error_t *err);

/* ---- the bound document (`leakbound bound`, eval's report.json) ------------------------- */

/* What the bound document shows: every prompt's bounds (lb_stats_prompt_bounds on the scores
 * of in's prompt p, in in's order) under the settings that computed them. */
typedef struct lb_report_bound {
    const lb_stats_options_t *opt;    /* the settings the bounds were computed with (the
                                         document's "method": lb_stats_method_name) */
    double report_above;              /* summary: share of binary prompts with M_bin above it */
    const lb_scores_t *in;            /* the prompts (ids, n) */
    const lb_stats_prompt_t *prompts; /* (in->n_prompts) */
    json_t *provenance;               /* the document's "provenance", or NULL (borrowed) */
} lb_report_bound_t;

/* Add the threshold written as text s (`--threshold s`) to thresholds[0 .. *n) (capacity max):
 * the one rule of `bound`, `eval` and lb_eval_opts_set. s must be a finite number in [0, 1]
 * ("--threshold: expected a number in [0, 1], got 's'"), its key ("%g", what the document's
 * M_gen/P_ge objects are keyed by) must differ from every earlier threshold's ("--threshold s:
 * same key \"k\" as an earlier threshold"), and *n < max ("at most MAX thresholds"). Returns
 * 0 (thresholds[*n] set, *n incremented), or LB_EINVAL with that message and nothing changed. */
LB_API int lb_report_threshold_add(double *thresholds, size_t *n, size_t max, const char *s,
                                   lb_error_t *err);

/* The bounds of every prompt of in under opt (what `leakbound bound` reports):
 * lb_stats_ragged_bounds on in's prompts with `threads` (>= 1) OpenMP threads, each prompt's
 * scores sorted in place in in->scores (in is modified; its other fields are not). *out
 * receives one malloc'd block with the (in->n_prompts) results and their M_gen/P_ge arrays,
 * which the caller frees with free(); the numbers do not depend on threads. opt (not NULL) is
 * taken as given (checked by lb_stats_ragged_bounds). Returns 0, or (*out NULL) the lowest
 * failing prompt's error prefixed "prompt P" (P from 1, in in's order; a score outside [0, 1]
 * reads "prompt P: sample J: score ... is outside [0, 1]", J from 0 among that prompt's scores
 * as in holds them), LB_EINVAL for a bad opt or threads, LB_EUNSUPPORTED (a bound's GSL
 * failure), LB_ENOMEM. Reentrant: calls on different in may run at once. */
LB_API int lb_report_bound_prompts(lb_scores_t *in, const lb_stats_options_t *opt, int threads,
                                   lb_stats_prompt_t **out, lb_error_t *err);

/* The JSON document of docs/bounds.md (settings, "prompts" in order with every bound,
 * "summary" of means over prompts, "provenance"; compact, 17 significant digits, NaN as null,
 * one trailing newline) as one malloc'd string the caller frees, so that nothing is written
 * unless all of it is ready. NULL when out of memory. */
LB_API char *lb_report_bound_json(const lb_report_bound_t *r);

/* The same as an aligned plain-text table for a terminal (`bound --format table`: a settings
 * line, a header, a row per prompt with ids cut to 40 code points, a row of means and a
 * summary line), one malloc'd string; NULL when out of memory. */
LB_API char *lb_report_bound_table(const lb_report_bound_t *r);

/* ---- `bound` as one call: options by flag name, a scores file in, the document out -------- */

#define LB_REPORT_BOUND_MAX_THRESHOLDS 256 /* --threshold values at most */
#define LB_REPORT_ABOVE_DEFAULT 0.1         /* the summary's M_bin level (`bound`, report.json) */

/* `bound`'s settings (lb_report_bound_opts_default, then lb_report_bound_opts_set per flag). */
typedef struct lb_report_bound_opts {
    lb_stats_options_t stats;  /* the bounds; stats.n_thresholds counts thresholds[] and
                                  stats.thresholds is ignored (a run points it at thresholds) */
    double thresholds[LB_REPORT_BOUND_MAX_THRESHOLDS];
    double report_above;       /* summary: share of binary prompts with M_bin above it */
    int table;                 /* 1: the plain-text table (--format table), 0: the JSON document */
    unsigned read_flags;       /* lb_scores_read's: LB_SCORES_ALLOW_DUPLICATES */
} lb_report_bound_opts_t;

/* Set *o to `bound`'s defaults: lb_stats_options_default, no thresholds, report_above
 * LB_REPORT_ABOVE_DEFAULT, JSON, no read flags. */
LB_API void lb_report_bound_opts_default(lb_report_bound_opts_t *o);

/* sizeof(lb_report_bound_opts_t), for bindings that allocate one without mirroring its fields
 * (python/leakbound's bound_file). */
LB_API size_t lb_report_bound_opts_size(void);

/* Set one of `bound`'s flags by name (without "--"), with the messages `bound` prints:
 * "threshold" (lb_report_threshold_add: repeatable), "report-above" (a number in [0, 1]:
 * "--report-above: expected a number in [0, 1], got 'V'"), "format" ("json" or "table":
 * "--format: expected json or table, got 'V'"), "allow-duplicates" (value ignored), and the
 * stats flags of lb_stats_options_set (alpha, method, ed-lambda, queries, leak-at,
 * leak-threshold). value NULL reads as "". Returns 0, or LB_EINVAL with the message and *o
 * unchanged ("unknown option 'F'" for other names). */
LB_API int lb_report_bound_opts_set(lb_report_bound_opts_t *o, const char *flag, const char *value,
                                    lb_error_t *err);

/* The document's "provenance" for the scores read from path (sha256: the hex SHA-256 of the
 * bytes read): a new JSON object the run takes over, or NULL with err set. */
typedef json_t *(*lb_report_provenance_fn)(void *ctx, const char *path, const char *sha256,
                                           lb_error_t *err);

/* `leakbound bound` as one call: lb_scores_read(path ("-": stdin), o->read_flags), the bounds of
 * every prompt (lb_report_bound_prompts with `threads` >= 1 OpenMP threads), then the JSON
 * document (with provenance(prov_ctx, path, sha256) as its "provenance" when provenance is
 * not NULL; none otherwise) or, with o->table, the table, handed whole to write(write_ctx,
 * text, len, err) in one call only once all of it is ready, so that nothing is written on a
 * failure. *read_failed (may be NULL) is set to 1 when the failure is the input's (lb_scores_read
 * refused or could not open path: a bad-input error, exit 2 in the CLI), else 0. Returns 0, or
 * lb_scores_read's LB_EFORMAT/LB_EINVAL/LB_EIO naming "path:line", lb_report_bound_prompts'
 * errors, the provenance's or write's error, LB_ENOMEM. */
LB_API int lb_report_bound_file(const char *path, const lb_report_bound_opts_t *o, int threads,
                                lb_report_provenance_fn provenance, void *prov_ctx,
                                lb_report_write_fn write, void *write_ctx, int *read_failed,
                                lb_error_t *err);

/* ---- what `plot` reads: a report document and a scores JSONL ------------------------------ */

/* What the plots need from a report document (`leakbound bound`'s output or eval's
 * report.json). */
typedef struct lb_report_plot_doc {
    json_t *root;        /* the parsed document (owned) */
    size_t n_prompts;
    json_t **ids;        /* (n_prompts) borrowed from root: string or integer */
    double *ed;          /* (n_prompts) NaN where the document has null */
    double *greedy;      /* (n_prompts) NaN where the document has none */
    long *n;             /* (n_prompts) "n" of each prompt, -1 when absent */
    double alpha;        /* NaN when absent */
    double ed_lambda;    /* NaN when absent */
} lb_report_plot_doc_t;

/* Read and check the document at path into *d (zeroed first; free with
 * lb_report_plot_doc_free, also after an error): {"prompts": [{"id", "ED", "n"?, "greedy"? or
 * "greedy_score"?} ...], "alpha"?, "ed_lambda"?}; ids strings or integers, ED a number or null
 * with |ED| <= 1e300, greedy in [0, 1], alpha in (0, 1). Returns 0, or LB_EFORMAT/LB_EINVAL
 * naming the file and the place ("report.json:3:7: ..." for JSON syntax, "report.json:
 * prompts[4].ED: ..." for content), LB_EIO (cannot read), LB_ENOMEM. */
LB_API int lb_report_plot_doc_read(const char *path, lb_report_plot_doc_t *d, lb_error_t *err);

/* Free what lb_report_plot_doc_read allocated and zero *d. */
LB_API void lb_report_plot_doc_free(lb_report_plot_doc_t *d);

/* The sampled scores of the selected prompts. */
typedef struct lb_report_plot_scores {
    size_t k;            /* selected prompts */
    double **v;          /* (k) arrays of scores, in file order */
    size_t *n, *cap;     /* (k) */
    double *greedy;      /* (k) score of the line with "sample": -1; NaN when none */
} lb_report_plot_scores_t;

/* Read the scores JSONL at path ("-" = stdin) with lb_scores_read (the one scores reader, as
 * `bound` reads it; every line checked, its errors naming "file:line"), repeated (id, sample)
 * pairs allowed (LB_SCORES_ALLOW_DUPLICATES), into *s (zeroed first; free with
 * lb_report_plot_scores_free, also after an error), keeping the scores of the k prompts whose
 * ids are sel (k; a string or an integer, matched by type and value) in file order and their
 * greedy scores (a line with "sample": -1). A selected id the file lacks gets n 0. Returns 0, or
 * lb_scores_read's LB_EFORMAT/LB_EINVAL/LB_EIO, LB_ENOMEM. */
LB_API int lb_report_plot_scores_read(const char *path, json_t *const *sel, size_t k,
                                      lb_report_plot_scores_t *s, lb_error_t *err);

/* Free what lb_report_plot_scores_read allocated and zero *s. */
LB_API void lb_report_plot_scores_free(lb_report_plot_scores_t *s);

/* ---- `plot` as one call: the three SVG files of a report ------------------------------------ */

#define LB_REPORT_PLOT_MAX_PANELS 64    /* prompts drawn at most */
#define LB_REPORT_PLOT_DEFAULT_PANELS 4 /* prompts drawn when none are named */

/* What lb_report_plot_files draws (lb_report_plot_files_opts_default sets the defaults). */
typedef struct lb_report_plot_files_opts {
    const char *report;          /* the report document (lb_report_plot_doc_read; "-" stdin) */
    const char *scores;          /* the scores JSONL (lb_report_plot_scores_read; "-" stdin); */
                                 /*   NULL: samples.jsonl beside report (as eval writes it) */
    const char *out_dir;         /* the folder receiving density.svg, ecdf.svg, ed.svg */
    const char *const *prompts;  /* n_prompts ids (as text) to draw, in this order; */
    size_t n_prompts;            /*   0: the max_panels prompts of highest ED, in report order */
    size_t max_panels;           /* default LB_REPORT_PLOT_DEFAULT_PANELS (1..MAX_PANELS) */
    double alpha;                /* DKW band level; NaN (default): the report's, else 0.01 */
    size_t bins;                 /* histogram bins (default 20) */
    int io_flags;                /* lb_io_dir_begin's flags for out_dir (LB_IO_WAIT: wait) */
    /* Called with each note (a prompt whose n differs from its scores, prompts with ED null
       left out of ed.svg), one sentence without a newline; NULL: notes are dropped. */
    void (*note)(void *ctx, const char *msg);
    void *note_ctx;
} lb_report_plot_files_opts_t;

/* What lb_report_plot_files tells about its run, also on failure. */
typedef struct lb_report_plot_files_result {
    size_t n_panels;      /* prompts drawn (0 on failure) */
    long unknown_prompt;  /* index into opts.prompts of an id the report lacks, else -1 */
    int writing;          /* 1: the inputs were good and the failure is in writing out_dir */
    int no_scores;        /* 1: scores NULL and no readable samples.jsonl beside report */
    int both_stdin;       /* 1: report and scores are both "-" */
} lb_report_plot_files_result_t;

/* Set *o to the defaults: no paths, alpha NaN, bins 20, max_panels 4, no notes, no flags. */
LB_API void lb_report_plot_files_opts_default(lb_report_plot_files_opts_t *o);

/* `leakbound plot`: read o->report and o->scores in full (every line checked), choose the
 * prompts, then write density.svg (per prompt: histogram and KDE, greedy score dashed),
 * ecdf.svg (per prompt: ECDF with the two-sided DKW band at level alpha) and ed.svg (ED over
 * every prompt whose ED is not null) into o->out_dir as one set: they are built in a
 * temporary sibling folder and renamed into place together (lb_io_dir_*), so a failure
 * leaves out_dir as it was and other files there are kept. o->scores NULL reads the
 * samples.jsonl in o->report's folder. res (may be NULL) is filled also on failure. Returns
 * 0, or LB_EINVAL (scores NULL and no readable samples.jsonl beside the report, or the report
 * is "-": res->no_scores set; report and scores both "-": res->both_stdin set; an id not in
 * the report: "no prompt 'ID' in REPORT",
 * res->unknown_prompt set; more than LB_REPORT_PLOT_MAX_PANELS ids; a chosen prompt without
 * scores: "SCORES: no sampled scores for prompt 'ID' (of REPORT)"; every ED null; out_dir
 * locked by another run), the readers' LB_EFORMAT/LB_EINVAL/LB_EIO naming file and place,
 * LB_EIO (a write failed: the file and the reason; res->writing set), LB_ENOMEM. */
LB_API int lb_report_plot_files(const lb_report_plot_files_opts_t *o,
                                lb_report_plot_files_result_t *res, lb_error_t *err);

/* A prompt id as text: a JSON string as is (its bytes), an integer in decimal written to buf
 * (cap bytes); returns the text. */
LB_API const char *lb_report_id_text(const json_t *id, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
