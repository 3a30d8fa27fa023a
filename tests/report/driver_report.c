/* driver_report JOB.json — renders one table or plot described by a JSON spec, for the
 * Python oracle (tests/oracle/report_svg.py). Numbers may be given as the strings "nan",
 * "inf" or "-inf" (JSON has none) to exercise the error paths. Exit 0, or 2 with the
 * library's message on stderr. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/report.h"

static double num(const json_t *v) {
    if (json_is_number(v)) return json_number_value(v);
    const char *s = json_string_value(v);
    if (s && !strcmp(s, "nan")) return NAN;
    if (s && !strcmp(s, "inf")) return INFINITY;
    if (s && !strcmp(s, "-inf")) return -INFINITY;
    return NAN;
}

/* A malloc'd copy of a JSON array of numbers; *n its length. */
static double *nums(const json_t *a, size_t *n) {
    *n = json_array_size(a);
    double *v = malloc((*n + 1) * sizeof *v);
    for (size_t i = 0; v && i < *n; i++) v[i] = num(json_array_get(a, i));
    return v;
}

static const char *str(const json_t *o, const char *k) {
    return json_string_value(json_object_get(o, k));
}

static int table(const json_t *spec, const char *out, lb_error_t *err) {
    lb_report_table_t *t;
    int rc = lb_report_table_new(&t, err);
    if (rc) return rc;
    const json_t *cols = json_object_get(spec, "columns"), *rows = json_object_get(spec, "rows");
    for (size_t c = 0; !rc && c < json_array_size(cols); c++) {
        const json_t *col = json_array_get(cols, c);
        const char *al = str(col, "align");
        lb_report_align_t a = al && !strcmp(al, "right")    ? LB_REPORT_ALIGN_RIGHT
                              : al && !strcmp(al, "center") ? LB_REPORT_ALIGN_CENTER
                                                            : LB_REPORT_ALIGN_LEFT;
        rc = lb_report_table_column(t, str(col, "header"), a, str(col, "format"),
                                    (size_t)json_integer_value(json_object_get(col, "max_width")), err);
    }
    for (size_t r = 0; !rc && r < json_array_size(rows); r++) {
        rc = lb_report_table_row(t, err);
        const json_t *row = json_array_get(rows, r);
        for (size_t c = 0; !rc && c < json_array_size(row); c++) {
            const json_t *v = json_array_get(row, c);
            if (json_is_null(v)) continue;
            rc = json_is_number(v) ? lb_report_table_number(t, c, json_number_value(v), err)
                                   : lb_report_table_text(t, c, json_string_value(v), err);
        }
    }
    char *text = NULL;
    const char *fmt = str(spec, "format");
    if (!rc)
        rc = lb_report_table_render(t, fmt && !strcmp(fmt, "text") ? LB_REPORT_TEXT : LB_REPORT_MARKDOWN,
                                    &text, err);
    lb_report_table_free(t);
    if (rc) return rc;
    FILE *fp = fopen(out, "wb");
    if (!fp || fputs(text, fp) < 0 || fclose(fp)) rc = -2;
    free(text);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: driver_report JOB.json\n");
        return 2;
    }
    json_error_t jerr;
    json_t *spec = json_load_file(argv[1], 0, &jerr);
    if (!spec) {
        fprintf(stderr, "%s:%d: %s\n", argv[1], jerr.line, jerr.text);
        return 2;
    }
    const char *kind = str(spec, "kind"), *out = str(spec, "out");
    lb_report_plot_t opt = {
        .title = str(spec, "title"),
        .xlabel = str(spec, "xlabel"),
        .ylabel = str(spec, "ylabel"),
        .panel_width = json_number_value(json_object_get(spec, "panel_width")),
        .panel_height = json_number_value(json_object_get(spec, "panel_height")),
        .columns = (size_t)json_integer_value(json_object_get(spec, "columns")),
    };
    size_t bins = (size_t)json_integer_value(json_object_get(spec, "bins"));
    lb_error_t err = {0};
    int rc = 0;
    if (!kind || !out) {
        fprintf(stderr, "%s: needs \"kind\" and \"out\"\n", argv[1]);
        json_decref(spec);
        return 2;
    }
    if (!strcmp(kind, "table")) {
        rc = table(spec, out, &err);
    } else if (!strcmp(kind, "density") || !strcmp(kind, "ecdf")) {
        const json_t *panels = json_object_get(spec, "panels");
        size_t np = json_array_size(panels);
        lb_report_samples_t *s = calloc(np + 1, sizeof *s);
        for (size_t i = 0; i < np; i++) {
            const json_t *p = json_array_get(panels, i);
            s[i].label = str(p, "label");
            s[i].values = nums(json_object_get(p, "values"), &s[i].n);
            const json_t *g = json_object_get(p, "greedy");
            s[i].greedy = g && !json_is_null(g) ? num(g) : NAN;
        }
        if (!strcmp(kind, "density"))
            rc = lb_report_svg_density(out, s, np, bins, &opt, &err);
        else
            rc = lb_report_svg_ecdf(out, s, np, json_number_value(json_object_get(spec, "alpha")),
                                    &opt, &err);
        for (size_t i = 0; i < np; i++) free((void *)s[i].values);
        free(s);
    } else if (!strcmp(kind, "histogram")) {
        size_t n;
        double *v = nums(json_object_get(spec, "values"), &n);
        rc = lb_report_svg_histogram(out, v, n, bins, str(spec, "legend"), &opt, &err);
        free(v);
    } else if (!strcmp(kind, "lines")) {
        const json_t *ser = json_object_get(spec, "series");
        size_t ns = json_array_size(ser);
        lb_report_series_t *s = calloc(ns + 1, sizeof *s);
        for (size_t i = 0; i < ns; i++) {
            const json_t *p = json_array_get(ser, i);
            size_t nx, ny;
            s[i].label = str(p, "label");
            s[i].x = nums(json_object_get(p, "x"), &nx);
            s[i].y = nums(json_object_get(p, "y"), &ny);
            s[i].n = nx < ny ? nx : ny;
        }
        rc = lb_report_svg_lines(out, s, ns, &opt, &err);
        for (size_t i = 0; i < ns; i++) {
            free((void *)s[i].x);
            free((void *)s[i].y);
        }
        free(s);
    } else {
        fprintf(stderr, "%s: unknown kind '%s'\n", argv[1], kind);
        json_decref(spec);
        return 2;
    }
    json_decref(spec);
    if (rc) {
        fprintf(stderr, "%s\n", rc == -2 ? "write failed" : err.msg);
        return 2;
    }
    return 0;
}
