/* Aligned tables rendered as GitHub markdown or as plain text. Cells are stored as the
 * caller's raw text; escaping and cutting happen at render time so one table renders in
 * both formats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

typedef struct column {
    char *header;
    char *format;
    lb_report_align_t align;
    size_t max_width;
} column_t;

struct lb_report_table {
    column_t *cols; /* (n_cols) */
    size_t n_cols, cols_cap;
    char **cells;   /* (n_rows, n_cols), NULL = empty */
    size_t n_rows, rows_cap;
};

int lb_report_table_new(lb_report_table_t **out, lb_error_t *err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return lb_error_set(err, LB_ENOMEM, "table: out of memory");
    return 0;
}

void lb_report_table_free(lb_report_table_t *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_cols; i++) {
        free(t->cols[i].header);
        free(t->cols[i].format);
    }
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++) free(t->cells[i]);
    free(t->cols);
    free(t->cells);
    free(t);
}

size_t lb_report_table_rows(const lb_report_table_t *t) { return t->n_rows; }

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

/* One floating conversion with optional flags, width and precision (at most two digits
 * each, so a cell stays bounded), surrounded by literal text and "%%". */
static int format_ok(const char *f) {
    int conversions = 0;
    for (const char *p = f; *p; p++) {
        if (*p != '%') continue;
        p++;
        if (*p == '%') continue;
        while (*p && strchr("-+ #0", *p)) p++;
        for (int d = 0; d < 2 && *p >= '0' && *p <= '9'; d++) p++;
        if (*p == '.') {
            p++;
            for (int d = 0; d < 2 && *p >= '0' && *p <= '9'; d++) p++;
        }
        if (!*p || !strchr("fFeEgGaA", *p)) return 0;
        conversions++;
    }
    return conversions == 1;
}

int lb_report_table_column(lb_report_table_t *t, const char *header, lb_report_align_t align,
                           const char *number_format, size_t max_width, lb_error_t *err) {
    const char *fmt = number_format ? number_format : "%.4g";
    if (t->n_rows)
        return lb_error_set(err, LB_EINVAL, "table: column '%s' added after the first row",
                            header ? header : "");
    if (!format_ok(fmt))
        return lb_error_set(err, LB_EINVAL,
                            "table: column '%s': number format '%s' must hold exactly one "
                            "floating conversion (%%f %%e %%g %%a, width/precision < 100)",
                            header ? header : "", fmt);
    if (max_width && max_width < 4)
        return lb_error_set(err, LB_EINVAL, "table: column '%s': max_width %zu (0 or >= 4)",
                            header ? header : "", max_width);
    if ((unsigned)align > LB_REPORT_ALIGN_CENTER)
        return lb_error_set(err, LB_EINVAL, "table: column '%s': bad alignment %d",
                            header ? header : "", (int)align);
    if (t->n_cols == t->cols_cap) {
        size_t cap = t->cols_cap ? 2 * t->cols_cap : 8;
        column_t *c = realloc(t->cols, cap * sizeof *c);
        if (!c) return lb_error_set(err, LB_ENOMEM, "table: out of memory");
        t->cols = c;
        t->cols_cap = cap;
    }
    column_t *c = &t->cols[t->n_cols];
    c->header = dup_or_empty(header);
    c->format = strdup(fmt);
    c->align = align;
    c->max_width = max_width;
    if (!c->header || !c->format) {
        free(c->header);
        free(c->format);
        return lb_error_set(err, LB_ENOMEM, "table: out of memory");
    }
    t->n_cols++;
    return 0;
}

int lb_report_table_row(lb_report_table_t *t, lb_error_t *err) {
    if (!t->n_cols) return lb_error_set(err, LB_EINVAL, "table: a row before any column");
    if (t->n_rows == t->rows_cap) {
        size_t cap = t->rows_cap ? 2 * t->rows_cap : 16;
        char **c = realloc(t->cells, cap * t->n_cols * sizeof *c);
        if (!c) return lb_error_set(err, LB_ENOMEM, "table: out of memory");
        t->cells = c;
        t->rows_cap = cap;
    }
    memset(t->cells + t->n_rows * t->n_cols, 0, t->n_cols * sizeof *t->cells);
    t->n_rows++;
    return 0;
}

static int set_cell(lb_report_table_t *t, size_t col, char *s, lb_error_t *err) {
    if (!s) return lb_error_set(err, LB_ENOMEM, "table: out of memory");
    if (!t->n_rows || col >= t->n_cols) {
        free(s);
        if (!t->n_rows) return lb_error_set(err, LB_EINVAL, "table: a cell before any row");
        return lb_error_set(err, LB_EINVAL, "table: column %zu of %zu", col, t->n_cols);
    }
    char **cell = &t->cells[(t->n_rows - 1) * t->n_cols + col];
    free(*cell);
    *cell = s;
    return 0;
}

int lb_report_table_text(lb_report_table_t *t, size_t col, const char *text, lb_error_t *err) {
    return set_cell(t, col, dup_or_empty(text), err);
}

int lb_report_table_number(lb_report_table_t *t, size_t col, double v, lb_error_t *err) {
    char buf[320];
    if (isnan(v))
        snprintf(buf, sizeof buf, "nan");
    else if (isinf(v))
        snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
    else if (col < t->n_cols) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(buf, sizeof buf, t->cols[col].format, v); /* checked by format_ok */
#pragma GCC diagnostic pop
    } else
        buf[0] = '\0';
    return set_cell(t, col, strdup(buf), err);
}

/* ---- rendering ------------------------------------------------------------------------------ */

/* Append the display form of raw cell text: cut to max_width code points, then escaped. */
static void put_cell(rb_t *b, const char *s, size_t max_width, lb_report_format_t fmt) {
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t keep = max_width && utf8_width(s) > max_width ? max_width - 3 : (size_t)-1;
    size_t w = 0;
    for (size_t i = 0; i < n && w < keep; w++) {
        uint32_t cp;
        i += utf8_decode(u + i, n - i, &cp);
        if (cp < 0x20 || cp == 0x7F) cp = ' '; /* a line break would end the row */
        if (fmt == LB_REPORT_MARKDOWN && cp < 0x80 && strchr("|\\*_`[]<>&", (int)cp) && cp)
            rb_putc(b, '\\');
        rb_put_cp(b, cp);
    }
    if (keep != (size_t)-1) rb_puts(b, "...");
}

static void pad(rb_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) rb_putc(b, ' ');
}

static void put_aligned(rb_t *b, const char *cell, size_t width, lb_report_align_t align,
                        int last_text_col) {
    size_t w = utf8_width(cell);
    size_t gap = width > w ? width - w : 0;
    size_t left = align == LB_REPORT_ALIGN_RIGHT ? gap : align == LB_REPORT_ALIGN_CENTER ? gap / 2 : 0;
    pad(b, left);
    rb_puts(b, cell);
    if (!last_text_col) pad(b, gap - left);
}

static void put_line_end(rb_t *b) {
    /* Text rows never end in padding: trim what the last column may have left. */
    while (b->len && b->s[b->len - 1] == ' ') b->len--;
    if (b->s) b->s[b->len] = '\0';
    rb_putc(b, '\n');
}

/* Clear every stored row (their cells freed), keeping the capacity: the streamed table's one
 * row is refilled in place. */
static void clear_rows(lb_report_table_t *t) {
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++) {
        free(t->cells[i]);
        t->cells[i] = NULL;
    }
    t->n_rows = 0;
}

/* The raw text of cell (r, c); r = 0 is the header, r >= 1 the stored row r - 1. */
static const char *raw_cell(const lb_report_table_t *t, size_t r, size_t c) {
    const char *raw = r == 0 ? t->cols[c].header : t->cells[(r - 1) * t->n_cols + c];
    return raw ? raw : "";
}

/* Widen width[] (n_cols) to the display widths of stored rows [from, n_rows] (0: the header).
 * scratch holds one cell's display text at a time. */
static void measure(const lb_report_table_t *t, size_t from, lb_report_format_t fmt, rb_t *scratch,
                    size_t *width) {
    for (size_t r = from; r <= t->n_rows; r++)
        for (size_t c = 0; c < t->n_cols; c++) {
            scratch->len = 0;
            put_cell(scratch, raw_cell(t, r, c), t->cols[c].max_width, fmt);
            rb_putn(scratch, "", 0);
            if (scratch->s) {
                size_t w = utf8_width(scratch->s);
                if (w > width[c]) width[c] = w;
            }
        }
}

/* Append line r (0: the header, then its rule; r >= 1: stored row r - 1) to b. */
static void put_line(rb_t *b, const lb_report_table_t *t, size_t r, const size_t *width,
                     lb_report_format_t fmt, rb_t *scratch) {
    size_t nc = t->n_cols;
    for (size_t c = 0; c < nc; c++) {
        scratch->len = 0;
        put_cell(scratch, raw_cell(t, r, c), t->cols[c].max_width, fmt);
        rb_putn(scratch, "", 0);
        const char *s = scratch->s ? scratch->s : "";
        if (fmt == LB_REPORT_MARKDOWN) {
            rb_puts(b, c ? " " : "| ");
            put_aligned(b, s, width[c], t->cols[c].align, 0);
            rb_puts(b, " |");
        } else {
            if (c) rb_puts(b, "  ");
            put_aligned(b, s, width[c], t->cols[c].align, c + 1 == nc);
        }
    }
    put_line_end(b);
    if (r == 0) { /* the rule under the header */
        for (size_t c = 0; c < nc; c++) {
            lb_report_align_t a = t->cols[c].align;
            if (fmt == LB_REPORT_MARKDOWN) {
                rb_puts(b, c ? "" : "|");
                rb_putc(b, a == LB_REPORT_ALIGN_LEFT || a == LB_REPORT_ALIGN_CENTER ? ':' : '-');
                for (size_t k = 0; k < width[c]; k++) rb_putc(b, '-');
                rb_putc(b, a == LB_REPORT_ALIGN_RIGHT || a == LB_REPORT_ALIGN_CENTER ? ':' : '-');
                rb_putc(b, '|');
            } else {
                if (c) rb_puts(b, "  ");
                for (size_t k = 0; k < width[c]; k++) rb_putc(b, '-');
            }
        }
        put_line_end(b);
    }
}

static void min_widths(size_t *width, size_t nc, lb_report_format_t fmt) {
    for (size_t c = 0; c < nc; c++)
        if (fmt == LB_REPORT_MARKDOWN && width[c] < 3) width[c] = 3;
}

int lb_report_table_render(const lb_report_table_t *t, lb_report_format_t fmt, char **out,
                           lb_error_t *err) {
    *out = NULL;
    if (!t->n_cols) return lb_error_set(err, LB_EINVAL, "table: no columns");
    size_t nc = t->n_cols, nr = t->n_rows;
    size_t *width = calloc(nc, sizeof *width);
    rb_t b, cell;
    rb_init(&b);
    rb_init(&cell);
    int oom = !width;
    if (!oom) {
        measure(t, 0, fmt, &cell, width);
        min_widths(width, nc, fmt);
        for (size_t r = 0; r <= nr; r++) put_line(&b, t, r, width, fmt, &cell);
        oom = cell.oom;
    }
    free(width);
    rb_free(&cell);
    if (oom) {
        rb_free(&b);
        return lb_error_set(err, LB_ENOMEM, "table: out of memory");
    }
    *out = rb_take(&b);
    if (!*out) return lb_error_set(err, LB_ENOMEM, "table: out of memory");
    return 0;
}

/* Call fill for row r and check that it left exactly one row. */
static int fill_one(lb_report_table_t *t, size_t r, lb_report_fill_fn fill, void *ctx,
                    lb_error_t *err) {
    clear_rows(t);
    int rc = fill(ctx, r, t, err);
    if (!rc && t->n_rows != 1)
        rc = lb_error_set(err, LB_EINVAL, "table: streamed row %zu: the callback added %zu rows, "
                                          "want 1", r, t->n_rows);
    return rc;
}

int lb_report_table_stream(lb_report_table_t *t, size_t n_rows, lb_report_fill_fn fill,
                           void *fill_ctx, lb_report_format_t fmt, lb_report_write_fn write,
                           void *write_ctx, lb_error_t *err) {
    if (!t->n_cols) return lb_error_set(err, LB_EINVAL, "table: no columns");
    if (t->n_rows) return lb_error_set(err, LB_EINVAL, "table: stored rows before a stream");
    size_t nc = t->n_cols;
    size_t *width = calloc(nc, sizeof *width);
    rb_t line, cell;
    rb_init(&line);
    rb_init(&cell);
    int rc = width ? 0 : lb_error_set(err, LB_ENOMEM, "table: out of memory");
    /* pass 1: the widths (header, then each row as fill makes it) */
    if (!rc) measure(t, 0, fmt, &cell, width);
    for (size_t r = 0; !rc && r < n_rows; r++) {
        rc = fill_one(t, r, fill, fill_ctx, err);
        if (!rc) measure(t, 1, fmt, &cell, width);
    }
    if (!rc) min_widths(width, nc, fmt);
    /* pass 2: header and rule, then each row again, one line at a time */
    for (size_t r = 0; !rc && r <= n_rows; r++) {
        if (r) rc = fill_one(t, r - 1, fill, fill_ctx, err);
        if (rc) break;
        line.len = 0;
        put_line(&line, t, r ? 1 : 0, width, fmt, &cell);
        if (line.oom || cell.oom) rc = lb_error_set(err, LB_ENOMEM, "table: out of memory");
        else rc = write(write_ctx, line.s, line.len, err);
    }
    if (!rc && cell.oom) rc = lb_error_set(err, LB_ENOMEM, "table: out of memory");
    clear_rows(t);
    free(width);
    rb_free(&line);
    rb_free(&cell);
    return rc;
}
