/* JSONL reader and atomic writer: line splitting, error locations, no half-written files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/io.h"

#include "lb_test_tmp.h"

static void write_file(const char *path, const char *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_lines_blank_crlf_and_u2028(void **state) {
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/a.jsonl", lb_tmpdir);
    /* U+2028 (e2 80 a8) raw inside a string must not split the line. */
    const char data[] = "{\"a\": 1}\r\n\n   \n{\"s\": \"x\xe2\x80\xa8y\"}\n[1,2]";
    write_file(path, data, sizeof data - 1);
    lb_jsonl_reader_t r;
    lb_error_t e;
    json_t *v;
    assert_int_equal(lb_jsonl_open(&r, path, &e), 0);
    assert_int_equal(lb_jsonl_next(&r, &v, &e), 1);
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
    assert_int_equal(r.lineno, 1);
    json_decref(v);
    assert_int_equal(lb_jsonl_next(&r, &v, &e), 1);
    assert_int_equal(r.lineno, 4);
    assert_string_equal(json_string_value(json_object_get(v, "s")), "x\xe2\x80\xa8y");
    json_decref(v);
    assert_int_equal(lb_jsonl_next(&r, &v, &e), 1);
    assert_true(json_is_array(v));
    json_decref(v);
    assert_int_equal(lb_jsonl_next(&r, &v, &e), 0);
    lb_jsonl_close(&r);
}

/* A two-line file whose second line is bad: the first reads, the second is LB_EFORMAT naming
 * file:2: and containing needle (NULL: no check beyond the place); the reader goes on (at EOF). */
static void expect_line2_error(const char *name, const char *data, size_t len, const char *needle) {
    char path[300];
    snprintf(path, sizeof path, "%s/%s", lb_tmpdir, name);
    write_file(path, data, len);
    lb_jsonl_reader_t r;
    lb_error_t e;
    json_t *v;
    assert_int_equal(lb_jsonl_open(&r, path, &e), 0);
    assert_int_equal(lb_jsonl_next(&r, &v, &e), 1);
    json_decref(v);
    assert_int_equal(lb_jsonl_next(&r, &v, &e), LB_EFORMAT);
    assert_null(v);
    char want[400];
    snprintf(want, sizeof want, "%s:2:", path);
    if (!strstr(e.msg, want) || (needle && !strstr(e.msg, needle))) fail_msg("%s", e.msg);
    assert_int_equal(lb_jsonl_next(&r, &v, &e), 0);
    lb_jsonl_close(&r);
}

static void test_malformed_names_file_line_column(void **state) {
    (void)state;
    const char data[] = "{\"a\": 1}\n{\"a\": }\n";
    expect_line2_error("bad.jsonl", data, sizeof data - 1, NULL);
}

static void test_missing_file(void **state) {
    (void)state;
    lb_jsonl_reader_t r;
    lb_error_t e;
    assert_int_equal(lb_jsonl_open(&r, "/nonexistent/x.jsonl", &e), LB_EIO);
    assert_non_null(strstr(e.msg, "/nonexistent/x.jsonl"));
}

static void test_atomic_commit_and_abort(void **state) {
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/out.json", lb_tmpdir);
    write_file(path, "old", 3);
    lb_atomic_file_t f;
    lb_error_t e;
    /* Abort leaves the old file untouched and no temporary behind. */
    assert_int_equal(lb_atomic_open(&f, path, &e), 0);
    fputs("half", f.fp);
    char tmp[400];
    snprintf(tmp, sizeof tmp, "%s", f.tmp_path);
    lb_atomic_abort(&f);
    assert_int_equal(access(tmp, F_OK), -1);
    char *data;
    size_t len;
    assert_int_equal(lb_io_read_file(path, &data, &len, &e), 0);
    assert_string_equal(data, "old");
    free(data);
    /* Until commit the target still holds the old content. */
    assert_int_equal(lb_atomic_open(&f, path, &e), 0);
    fputs("new content", f.fp);
    assert_int_equal(lb_io_read_file(path, &data, &len, &e), 0);
    assert_string_equal(data, "old");
    free(data);
    assert_int_equal(lb_atomic_commit(&f, &e), 0);
    assert_int_equal(lb_io_read_file(path, &data, &len, &e), 0);
    assert_string_equal(data, "new content");
    assert_int_equal(len, 11);
    free(data);
    /* A folder that does not exist: clear error naming the target. */
    assert_int_equal(lb_atomic_open(&f, "/nonexistent/dir/out.json", &e), LB_EIO);
    assert_non_null(strstr(e.msg, "/nonexistent/dir/out.json"));
}

/* A key written twice in one object is an error naming file:line and the key (it silently kept
 * the last value). */
static void test_duplicate_key(void **state) {
    (void)state;
    const char data[] = "{\"id\": 1, \"score\": 0.5}\n{\"id\": 2, \"score\": 0.5, \"id\": 3}\n";
    expect_line2_error("dup.jsonl", data, sizeof data - 1, "duplicate object key near '\"id\"'");
}

/* A folder given as a file says so (it said "read failed"). */
static void test_directory(void **state) {
    (void)state;
    lb_error_t e;
    char *data = NULL;
    assert_int_equal(lb_io_read_file(lb_tmpdir, &data, NULL, &e), LB_EIO);
    assert_null(data);
    char want[400];
    snprintf(want, sizeof want, "%s: is a directory", lb_tmpdir);
    if (!strstr(e.msg, want)) fail_msg("%s", e.msg);
    lb_jsonl_reader_t r;
    assert_int_equal(lb_jsonl_open(&r, lb_tmpdir, &e), LB_EIO);
    if (!strstr(e.msg, want)) fail_msg("%s", e.msg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_blank_crlf_and_u2028),
        cmocka_unit_test(test_malformed_names_file_line_column),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_atomic_commit_and_abort),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
