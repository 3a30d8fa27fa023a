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

/* ---- streaming: the same bytes as the stored table, one row at a time ---------------------- */

static const char *const STREAM_TEXT[] = {"alpha", "b|c *x*", "h\xc3\xa9llo w\xc3\xb6rld, a long cell that is cut",
                                          "", "tab\there", "z"};
#define N_STREAM (sizeof STREAM_TEXT / sizeof STREAM_TEXT[0])

static lb_report_table_t *stream_columns(void) {
    lb_report_table_t *t;
    assert_int_equal(lb_report_table_new(&t, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "name", LB_REPORT_ALIGN_LEFT, NULL, 12, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "v", LB_REPORT_ALIGN_RIGHT, "%.3f", 0, NULL), 0);
    assert_int_equal(lb_report_table_column(t, "c", LB_REPORT_ALIGN_CENTER, NULL, 0, NULL), 0);
    return t;
}

typedef struct stream_fill {
    size_t calls;
    size_t rows_per_call; /* 1, or a wrong count to test the check */
    size_t fail_at;       /* call index that returns an error, or SIZE_MAX */
} stream_fill_t;

static int fill_row(void *ctx, size_t r, lb_report_table_t *t, lb_error_t *err) {
    stream_fill_t *f = ctx;
    if (f->calls++ == f->fail_at) return lb_error_set(err, LB_EIO, "fill failed at %zu", r);
    for (size_t k = 0; k < f->rows_per_call; k++) {
        assert_int_equal(lb_report_table_row(t, err), 0);
        assert_int_equal(lb_report_table_text(t, 0, STREAM_TEXT[r], err), 0);
        assert_int_equal(lb_report_table_number(t, 1, r == 3 ? NAN : 10.0 * (double)r - 7.125, err), 0);
        if (r % 2) assert_int_equal(lb_report_table_text(t, 2, "yes", err), 0);
    }
    return 0;
}

typedef struct sink {
    char buf[4096];
    size_t len, lines;
} sink_t;

static int sink_write(void *ctx, const char *text, size_t len, lb_error_t *err) {
    sink_t *s = ctx;
    if (s->len + len >= sizeof s->buf) return lb_error_set(err, LB_ENOMEM, "sink full");
    assert_true(len > 0 && text[len - 1] == '\n'); /* whole lines */
    memcpy(s->buf + s->len, text, len);
    s->len += len;
    s->buf[s->len] = 0;
    s->lines++;
    return 0;
}

static void test_stream_same_bytes(void **state) {
    (void)state;
    for (int f = 0; f < 2; f++) {
        lb_report_format_t fmt = f ? LB_REPORT_TEXT : LB_REPORT_MARKDOWN;
        lb_report_table_t *stored = stream_columns(), *streamed = stream_columns();
        stream_fill_t sf = {0, 1, SIZE_MAX};
        for (size_t r = 0; r < N_STREAM; r++) fill_row(&sf, r, stored, NULL);
        char *want = render(stored, fmt);
        sink_t sink = {.len = 0};
        sf.calls = 0;
        lb_error_t err;
        assert_int_equal(lb_report_table_stream(streamed, N_STREAM, fill_row, &sf, fmt, sink_write,
                                                &sink, &err), 0);
        assert_string_equal(sink.buf, want);
        assert_int_equal(sf.calls, 2 * N_STREAM); /* measured, then written */
        assert_int_equal(sink.lines, N_STREAM + 1); /* the header with its rule, then each row */
        assert_int_equal(lb_report_table_rows(streamed), 0);
        /* the table can stream again (no rows left behind) */
        sink.len = 0;
        sink.lines = 0;
        assert_int_equal(lb_report_table_stream(streamed, N_STREAM, fill_row, &sf, fmt, sink_write,
                                                &sink, &err), 0);
        assert_string_equal(sink.buf, want);
        /* no rows: the header and its rule, as render */
        char *head = render(streamed, fmt);
        sink.len = 0;
        assert_int_equal(lb_report_table_stream(streamed, 0, fill_row, &sf, fmt, sink_write, &sink, &err), 0);
        assert_string_equal(sink.buf, head);
        free(head);
        free(want);
        lb_report_table_free(stored);
        lb_report_table_free(streamed);
    }
}

static void test_stream_errors(void **state) {
    (void)state;
    lb_report_table_t *t = stream_columns();
    sink_t sink = {.len = 0};
    lb_error_t err;
    stream_fill_t two = {0, 2, SIZE_MAX}, none = {0, 0, SIZE_MAX}, bad = {0, 1, 4};
    assert_int_equal(lb_report_table_stream(t, 3, fill_row, &two, LB_REPORT_MARKDOWN, sink_write, &sink, &err),
                     LB_EINVAL);
    assert_non_null(strstr(err.msg, "want 1"));
    assert_int_equal(lb_report_table_stream(t, 3, fill_row, &none, LB_REPORT_MARKDOWN, sink_write, &sink, &err),
                     LB_EINVAL);
    /* a failing fill in the second pass stops the stream with its error */
    assert_int_equal(lb_report_table_stream(t, 3, fill_row, &bad, LB_REPORT_MARKDOWN, sink_write, &sink, &err),
                     LB_EIO);
    assert_non_null(strstr(err.msg, "fill failed at 1"));
    assert_int_equal(lb_report_table_rows(t), 0);
    /* a failing writer */
    stream_fill_t ok = {0, 1, SIZE_MAX};
    sink.len = sizeof sink.buf - 2;
    assert_int_equal(lb_report_table_stream(t, 3, fill_row, &ok, LB_REPORT_MARKDOWN, sink_write, &sink, &err),
                     LB_ENOMEM);
    /* stored rows before a stream */
    assert_int_equal(lb_report_table_row(t, NULL), 0);
    sink.len = 0;
    assert_int_equal(lb_report_table_stream(t, 3, fill_row, &ok, LB_REPORT_MARKDOWN, sink_write, &sink, &err),
                     LB_EINVAL);
    lb_report_table_free(t);
    lb_report_table_t *empty;
    assert_int_equal(lb_report_table_new(&empty, NULL), 0);
    assert_int_equal(lb_report_table_stream(empty, 1, fill_row, &ok, LB_REPORT_MARKDOWN, sink_write, &sink, &err),
                     LB_EINVAL);
    lb_report_table_free(empty);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_layout),  cmocka_unit_test(test_text_layout),
        cmocka_unit_test(test_markdown_escaping), cmocka_unit_test(test_utf8_width_and_cut),
        cmocka_unit_test(test_header_only),      cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stream_same_bytes), cmocka_unit_test(test_stream_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
