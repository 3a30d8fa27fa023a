/* Unit tests for the table builder: exact markdown and text layouts, escaping, cutting,
 * number formats and every error path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/report.h"

static lb_report_table_t *three_columns(void) {
    lb_report_table_t *t;
    assert_int_equal(lb_report_table_new(&t, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "id", LB_REPORT_ALIGN_LEFT, NULL, 0, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "mean", LB_REPORT_ALIGN_RIGHT, "%.3f", 0, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "flag", LB_REPORT_ALIGN_CENTER, NULL, 0, NULL), 0);
    return t;
}

static char *render(const lb_report_table_t *t, lb_report_format_t f) {
    char *s = NULL;
    lb_error_t err;
    assert_int_equal(lb_report_table_render(t, f, &s, &err), 0);
    assert_non_null(s);
    return s;
}

static void test_markdown_layout(void **state) {
    (void)state;
    lb_report_table_t *t = three_columns();
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 0, "alpha", NULL), 0);
    assert_int_equal(lb_report_table_number(t, 1, 0.5, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 2, "y", NULL), 0);
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 0, "b", NULL), 0);
    assert_int_equal(lb_report_table_number(t, 1, 12.25, NULL), 0);
    /* flag left empty */
    char *s = render(t, LB_REPORT_MARKDOWN);
    assert_string_equal(s,
                        "| id    |   mean | flag |\n"
                        "|:------|-------:|:----:|\n"
                        "| alpha |  0.500 |  y   |\n"
                        "| b     | 12.250 |      |\n");
    free(s);
    assert_int_equal(lb_report_table_rows(t), 2);
    lb_report_table_free(t);
}

static void test_text_layout(void **state) {
    (void)state;
    lb_report_table_t *t = three_columns();
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 0, "alpha", NULL), 0);
    assert_int_equal(lb_report_table_number(t, 1, 0.5, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 2, "y", NULL), 0);
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 0, "b|c", NULL), 0);
    assert_int_equal(lb_report_table_number(t, 1, NAN, NULL), 0);
    char *s = render(t, LB_REPORT_TEXT);
    /* No trailing blanks; | is not special in text. */
    assert_string_equal(s,
                        "id      mean  flag\n"
                        "-----  -----  ----\n"
                        "alpha  0.500   y\n"
                        "b|c      nan\n");
    free(s);
    lb_report_table_free(t);
}

static void test_markdown_escaping(void **state) {
    (void)state;
    lb_report_table_t *t;
    assert_int_equal(lb_report_table_new(&t, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "q|a", LB_REPORT_ALIGN_LEFT, NULL, 0, NULL), 0);
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 0, "a|b\\c *d* _e_ `f` [g] <h> & i\nj\tk", NULL), 0);
    char *s = render(t, LB_REPORT_MARKDOWN);
    const char *row = strchr(strchr(s, '\n') + 1, '\n') + 1;
    assert_string_equal(row,
                        "| a\\|b\\\\c \\*d\\* \\_e\\_ \\`f\\` \\[g\\] \\<h\\> \\& i j k |\n");
    assert_non_null(strstr(s, "| q\\|a "));
    /* Every row has the same number of unescaped pipes: 2 for one column. */
    for (const char *line = s; *line;) {
        const char *end = strchr(line, '\n');
        int pipes = 0;
        for (const char *c = line; c < end; c++) pipes += *c == '|' && (c == line || c[-1] != '\\');
        assert_int_equal(pipes, 2);
        line = end + 1;
    }
    free(s);
    lb_report_table_free(t);
}

static void test_utf8_width_and_cut(void **state) {
    (void)state;
    lb_report_table_t *t;
    assert_int_equal(lb_report_table_new(&t, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "question", LB_REPORT_ALIGN_LEFT, NULL, 8, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "x", LB_REPORT_ALIGN_RIGHT, "%.1f%%", 0, NULL), 0);
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 0, "\xc3\xa9t\xc3\xa9", NULL), 0); /* 3 code points */
    assert_int_equal(lb_report_table_number(t, 1, 12.34, NULL), 0);
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    assert_int_equal(lb_report_table_text(t, 0, "a much longer question", NULL), 0);
    assert_int_equal(lb_report_table_number(t, 1, -INFINITY, NULL), 0);
    char *s = render(t, LB_REPORT_TEXT);
    assert_string_equal(s,
                        "question      x\n"
                        "--------  -----\n"
                        "\xc3\xa9t\xc3\xa9       12.3%\n"
                        "a muc...   -inf\n");
    free(s);
    lb_report_table_free(t);
}

static void test_header_only(void **state) {
    (void)state;
    lb_report_table_t *t = three_columns();
    char *s = render(t, LB_REPORT_MARKDOWN);
    assert_string_equal(s, "| id  | mean | flag |\n|:----|-----:|:----:|\n");
    free(s);
    lb_report_table_free(t);
}

static void test_errors(void **state) {
    (void)state;
    lb_report_table_t *t;
    lb_error_t err;
    char *s = (char *)1;
    assert_int_equal(lb_report_table_new(&t, NULL), 0);
    assert_int_equal(lb_report_table_render(t, LB_REPORT_MARKDOWN, &s, &err), LB_EINVAL);
    assert_null(s);
    assert_int_equal(lb_report_table_row(t, &err), LB_EINVAL);
    const char *bad[] = {"%d", "%s", "%f %f", "no conversion", "%", "%100f", "%.100f", "%*f",
                         "%Lf", "%n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(lb_report_table_column(t, "c", LB_REPORT_ALIGN_LEFT, bad[i], 0, &err),
                         LB_EINVAL);
        assert_non_null(strstr(err.msg, "number format"));
    }
    assert_int_equal(lb_report_table_column(t, "c", LB_REPORT_ALIGN_LEFT, "%+08.3e %%", 0, &err), 0);
    assert_int_equal(lb_report_table_column(t, "d", LB_REPORT_ALIGN_LEFT, NULL, 3, &err), LB_EINVAL);
    assert_int_equal(lb_report_table_column(t, "d", (lb_report_align_t)7, NULL, 0, &err), LB_EINVAL);
    assert_int_equal(lb_report_table_text(t, 0, "x", &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "before any row"));
    assert_int_equal(lb_report_table_row(t, &err), 0);
    assert_int_equal(lb_report_table_text(t, 1, "x", &err), LB_EINVAL);
    assert_int_equal(lb_report_table_number(t, 5, 1.0, &err), LB_EINVAL);
    assert_int_equal(lb_report_table_column(t, "late", LB_REPORT_ALIGN_LEFT, NULL, 0, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "after the first row"));
    assert_int_equal(lb_report_table_number(t, 0, 3.5, &err), 0);
    assert_int_equal(lb_report_table_text(t, 0, NULL, &err), 0); /* overwrite with empty */
    s = render(t, LB_REPORT_TEXT);
    assert_string_equal(s, "c\n-\n\n");
    free(s);
    lb_report_table_free(t);
    lb_report_table_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_layout),  cmocka_unit_test(test_text_layout),
        cmocka_unit_test(test_markdown_escaping), cmocka_unit_test(test_utf8_width_and_cut),
        cmocka_unit_test(test_header_only),      cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
