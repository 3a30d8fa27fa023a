/* Unit tests for the SVG plots: each plot's structure (root, panels, bars, lines, legend),
 * text escaping, and that bad input is an error that leaves no file behind. Coordinates are
 * checked against numpy/scipy by tests/oracle/report_svg.py. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "leakbound/report.h"

static char dir[256];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/lb_report_test_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    const char *names[] = {"a.svg", "b.svg", "c.svg", "d.svg", "bad.svg"};
    char p[300];
    for (size_t i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

static const char *path(const char *name) {
    static char p[300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *p) {
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static size_t count(const char *s, const char *needle) {
    size_t c = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) c++;
    return c;
}

static void assert_svg_root(const char *s) {
    assert_non_null(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(s, "viewBox=\"0 0 "));
    assert_non_null(strstr(s, " width=\""));
    assert_non_null(strstr(s, " height=\""));
    assert_int_equal(count(s, "<svg"), 1);
    assert_int_equal(count(s, "</svg>\n"), 1);
    /* Element balance of the groups we open. */
    assert_int_equal(count(s, "<g "), count(s, "</g>"));
}

static const double scores[] = {0.0, 0.1, 0.1, 0.25, 0.5, 0.5, 0.75, 1.0, 1.0, 0.33};

static void test_density_grid(void **state) {
    (void)state;
    lb_report_samples_t s[3] = {
        {.label = "p1", .values = scores, .n = 10, .greedy = 0.4},
        {.label = "p2", .values = scores, .n = 1, .greedy = NAN},     /* no KDE: one value */
        {.label = NULL, .values = scores + 1, .n = 2, .greedy = 1.0}, /* no KDE: equal values */
    };
    lb_report_plot_t opt = {.title = "T", .xlabel = "score"};
    assert_int_equal(lb_report_svg_density(path("a.svg"), s, 3, 7, &opt, NULL), 0);
    char *svg = slurp(path("a.svg"));
    assert_svg_root(svg);
    assert_int_equal(count(svg, "class=\"panel\""), 3);
    assert_int_equal(count(svg, "class=\"bar\""), 21);
    assert_int_equal(count(svg, "class=\"kde\""), 1);
    assert_int_equal(count(svg, "class=\"greedy\""), 2);
    assert_int_equal(count(svg, "class=\"legend\""), 3);
    assert_int_equal(count(svg, "class=\"xtick\""), 3 * 6); /* 0, 0.2, ..., 1 per panel */
    assert_int_equal(count(svg, "class=\"panel-label\""), 2);
    assert_non_null(strstr(svg, ">1.0</text>"));
    /* 2 columns x 2 rows of 360 x 260 plus the title band. */
    assert_non_null(strstr(svg, "width=\"720\" height=\"554\""));
    free(svg);
}

static void test_ecdf(void **state) {
    (void)state;
    lb_report_samples_t s[2] = {
        {.label = "p1", .values = scores, .n = 10, .greedy = 0.4},
        {.label = "p2", .values = scores, .n = 3, .greedy = NAN},
    };
    assert_int_equal(lb_report_svg_ecdf(path("b.svg"), s, 2, 0.05, NULL, NULL), 0);
    char *svg = slurp(path("b.svg"));
    assert_svg_root(svg);
    assert_int_equal(count(svg, "class=\"ecdf\""), 2);
    assert_int_equal(count(svg, "class=\"dkw-band\""), 2);
    assert_int_equal(count(svg, "class=\"greedy\""), 1);
    free(svg);
    lb_error_t err;
    assert_int_equal(lb_report_svg_ecdf(path("bad.svg"), s, 2, 1.0, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "alpha"));
    assert_int_equal(access(path("bad.svg"), F_OK), -1);
}

static void test_histogram_and_lines(void **state) {
    (void)state;
    assert_int_equal(lb_report_svg_histogram(path("c.svg"), scores, 10, 5, "ED", NULL, NULL), 0);
    char *svg = slurp(path("c.svg"));
    assert_svg_root(svg);
    assert_int_equal(count(svg, "class=\"bar\""), 5);
    assert_int_equal(count(svg, "class=\"panel\""), 1);
    assert_non_null(strstr(svg, ">ED (n = 10)</text>"));
    free(svg);
    /* A single repeated value still makes a valid axis. */
    double same[3] = {2.5, 2.5, 2.5};
    assert_int_equal(lb_report_svg_histogram(path("c.svg"), same, 3, 0, NULL, NULL, NULL), 0);
    svg = slurp(path("c.svg"));
    assert_int_equal(count(svg, "class=\"bar\""), 20);
    free(svg);

    double x[4] = {0, 1, 2, 3}, y1[4] = {3, 2, 1.5, 1}, y2[1] = {2};
    lb_report_series_t ser[2] = {{.label = "train", .x = x, .y = y1, .n = 4},
                                 {.label = NULL, .x = x + 2, .y = y2, .n = 1}};
    assert_int_equal(lb_report_svg_lines(path("d.svg"), ser, 2, NULL, NULL), 0);
    svg = slurp(path("d.svg"));
    assert_svg_root(svg);
    assert_int_equal(count(svg, "class=\"series\""), 2);
    assert_int_equal(count(svg, "<circle"), 1);
    assert_non_null(strstr(svg, ">series 2</text>"));
    free(svg);
}

static void test_escaping(void **state) {
    (void)state;
    /* markup characters, a control character, invalid UTF-8 and a forbidden code point */
    lb_report_samples_t s = {.label = "a<b>&\"c\"'d'\x01\xff\xef\xbf\xbe", .values = scores,
                             .n = 10, .greedy = NAN};
    lb_report_plot_t opt = {.title = "<script>alert(1)</script> & co", .ylabel = "P(X <= x)"};
    assert_int_equal(lb_report_svg_density(path("a.svg"), &s, 1, 0, &opt, NULL), 0);
    char *svg = slurp(path("a.svg"));
    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    assert_non_null(strstr(svg, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
    assert_non_null(strstr(svg, "P(X &lt;= x)"));
    assert_null(strstr(svg, "\x01"));
    free(svg);
}

static void test_bad_input_writes_nothing(void **state) {
    (void)state;
    lb_error_t err;
    double v[3] = {0.1, NAN, 0.3};
    lb_report_samples_t s[2] = {{.label = "ok", .values = scores, .n = 3, .greedy = NAN},
                                {.label = "q7", .values = v, .n = 3, .greedy = NAN}};
    assert_int_equal(lb_report_svg_density(path("bad.svg"), s, 2, 0, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "panel 2 ('q7'): value 1 is NaN"));
    assert_int_equal(lb_report_svg_ecdf(path("bad.svg"), s, 2, 0.01, NULL, &err), LB_EINVAL);
    assert_int_equal(access(path("bad.svg"), F_OK), -1);
    s[1].values = scores;
    s[1].greedy = INFINITY;
    assert_int_equal(lb_report_svg_density(path("bad.svg"), s, 2, 0, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "greedy"));
    s[1].n = 0;
    assert_int_equal(lb_report_svg_density(path("bad.svg"), s, 2, 0, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "no values"));
    assert_int_equal(lb_report_svg_density(path("bad.svg"), s, 0, 0, NULL, &err), LB_EINVAL);
    assert_int_equal(lb_report_svg_density(path("bad.svg"), s, 1, 10001, NULL, &err), LB_EINVAL);
    v[1] = -INFINITY;
    assert_int_equal(lb_report_svg_histogram(path("bad.svg"), v, 3, 0, NULL, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "value 1 is infinite"));
    assert_int_equal(lb_report_svg_histogram(path("bad.svg"), v, 0, 0, NULL, NULL, &err), LB_EINVAL);
    lb_report_series_t ser = {.label = "loss", .x = scores, .y = v, .n = 3};
    assert_int_equal(lb_report_svg_lines(path("bad.svg"), &ser, 1, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "series 1 ('loss') y"));
    assert_int_equal(lb_report_svg_lines(path("bad.svg"), &ser, 0, NULL, &err), LB_EINVAL);
    assert_int_equal(lb_report_svg_lines(path("bad.svg"), &ser, 65, NULL, &err), LB_EINVAL);
    assert_int_equal(access(path("bad.svg"), F_OK), -1);
    /* An unwritable place is an I/O error naming the path. */
    assert_int_equal(lb_report_svg_histogram("/nonexistent-dir/x.svg", scores, 3, 0, NULL, NULL, &err),
                     LB_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.svg"));
}

/* Extreme but finite data still give finite coordinates and at least two distinct ticks. */
static void test_extreme_values(void **state) {
    (void)state;
    const double cases[][3] = {
        {1e300, -1e300, 0},           {1e20, 1e20, 1e20},          {1.0, 1.0 + 1e-15, 1.0},
        {4.9e-324, 1e-310, 2e-310},   {-7.5, -7.5, -7.5},          {0, 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        assert_int_equal(lb_report_svg_histogram(path("c.svg"), cases[c], 3, 0, NULL, NULL, NULL), 0);
        lb_report_series_t ser = {.label = "s", .x = cases[c], .y = cases[c], .n = 3};
        assert_int_equal(lb_report_svg_lines(path("d.svg"), &ser, 1, NULL, NULL), 0);
        for (int f = 0; f < 2; f++) {
            char *svg = slurp(path(f ? "d.svg" : "c.svg"));
            assert_null(strstr(svg, "nan"));
            assert_null(strstr(svg, "inf"));
            assert_true(count(svg, "class=\"xtick\"") >= 2);
            assert_true(count(svg, "class=\"ytick\"") >= 2);
            free(svg);
        }
    }
    lb_error_t err;
    double big[2] = {0, 2e300};
    assert_int_equal(lb_report_svg_histogram(path("bad.svg"), big, 2, 0, NULL, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "too large"));
    lb_report_samples_t s = {.label = "g", .values = big, .n = 1, .greedy = -1e301};
    assert_int_equal(lb_report_svg_density(path("bad.svg"), &s, 1, 0, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "greedy"));
}

static void test_existing_file_kept_on_error(void **state) {
    (void)state;
    assert_int_equal(lb_report_svg_histogram(path("c.svg"), scores, 10, 0, NULL, NULL, NULL), 0);
    char *before = slurp(path("c.svg"));
    double v[1] = {NAN};
    assert_int_equal(lb_report_svg_histogram(path("c.svg"), v, 1, 0, NULL, NULL, NULL), LB_EINVAL);
    char *after = slurp(path("c.svg"));
    assert_string_equal(before, after);
    free(before);
    free(after);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_density_grid),
        cmocka_unit_test(test_ecdf),
        cmocka_unit_test(test_histogram_and_lines),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_bad_input_writes_nothing),
        cmocka_unit_test(test_extreme_values),
        cmocka_unit_test(test_existing_file_kept_on_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
