/* Dataset inputs that used to be read wrongly without a word: a NUL inside a text (a CSV field
 * holding a 0 byte, a JSON string holding "\u0000") cut the text short, and a key written twice
 * in one JSON object silently kept the last value. Each is now an error naming the file, the
 * line and the field or key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/data.h"

#include "lb_test_tmp.h"

static const char *put(const char *name, const char *data, size_t len) {
    static char path[400];
    snprintf(path, sizeof path, "%s/%s", lb_tmpdir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
    return path;
}

#define PUT(name, lit) put(name, lit, sizeof lit - 1)

static void expect_error(const char *path, int code, const char *frag1, const char *frag2) {
    lb_dataset_t ds = {0};
    lb_error_t err;
    int rc = lb_data_load(path, LB_DATA_AUTO, &ds, &err);
    if (rc != code) fail_msg("%s: rc %d, want %d (%s)", path, rc, code, rc ? err.msg : "loaded");
    if (!strstr(err.msg, frag1) || (frag2 && !strstr(err.msg, frag2)))
        fail_msg("%s: message '%s' lacks '%s' / '%s'", path, err.msg, frag1, frag2 ? frag2 : "");
    lb_dataset_free(&ds);
}

static void test_nul_in_json_strings(void **state) {
    (void)state;
    const char *p = PUT("q.jsonl", "{\"question\": \"ok\", \"answer\": \"a\"}\n"
                                   "{\"question\": \"Who\\u0000 wrote it?\", \"answer\": \"a\"}\n");
    expect_error(p, LB_EINVAL, "q.jsonl:2: item 1: \"question\" holds a NUL character", NULL);
    p = PUT("a.json", "[\n{\"question\": \"q\",\n \"answer\": \"x\\u0000y\"}]");
    expect_error(p, LB_EINVAL, "a.json:2: item 0: \"answer\" holds a NUL character", NULL);
    p = PUT("p.jsonl", "{\"question\": \"q\", \"answer\": \"a\", \"perturbed_answer\": [\"b\", \"\\u0000\"]}\n");
    expect_error(p, LB_EINVAL, "p.jsonl:1: item 0: \"perturbed_answer\"[1] holds a NUL character", NULL);
    p = PUT("k.jsonl", "{\"question\": \"q\", \"answer\": \"a\", \"keywords\": \"x,\\u0000\"}\n");
    expect_error(p, LB_EINVAL, "k.jsonl:1: item 0: \"keywords\" holds a NUL character", NULL);
    p = PUT("i.jsonl", "{\"id\": \"a\\u0000\", \"question\": \"q\", \"answer\": \"a\"}\n");
    expect_error(p, LB_EINVAL, "i.jsonl:1: item 0: \"id\" holds a NUL character", NULL);
}

static void test_nul_in_csv_fields(void **state) {
    (void)state;
    const char *p = PUT("q.csv", "Question,Key Words\nfine,a\n\"Who\0 wrote\",b\n");
    expect_error(p, LB_EINVAL, "q.csv:3: \"Question\" field holds a NUL byte", NULL);
    p = PUT("k.csv", "Question,Key Words\n\"multi\nline\",\"a\0b\"\n");
    expect_error(p, LB_EINVAL, "k.csv:2: \"Key Words\" field holds a NUL byte", NULL);
    p = PUT("o.csv", "Question,Key Words,Other\nq,k,x\0y\n");
    expect_error(p, LB_EINVAL, "o.csv:2: field 3 holds a NUL byte", NULL);
    p = PUT("h.csv", "Ques\0tion,Key Words\nq,k\n");
    expect_error(p, LB_EINVAL, "h.csv:1: header field 1 holds a NUL byte", NULL);
}

static void test_duplicate_json_keys(void **state) {
    (void)state;
    const char *p = PUT("d.jsonl", "{\"question\": \"q\", \"answer\": \"a\"}\n\n"
                                   "{\"question\": \"first\", \"answer\": \"a\", \"question\": \"second\"}\n");
    expect_error(p, LB_EFORMAT, "d.jsonl:3:", "duplicate object key near '\"question\"'");
    p = PUT("d.json", "[{\"question\": \"q\", \"answer\": \"a\"},\n"
                      " {\"question\": \"q\", \"answer\": \"a\", \"answer\": \"b\"}]");
    expect_error(p, LB_EFORMAT, "d.json:2:", "duplicate object key near '\"answer\"'");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nul_in_json_strings),
        cmocka_unit_test(test_nul_in_csv_fields),
        cmocka_unit_test(test_duplicate_json_keys),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
