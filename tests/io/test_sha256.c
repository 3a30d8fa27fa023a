/* lb_io_sha256_file(s) against FIPS 180-2's published SHA-256 examples (one block, two blocks,
 * one million 'a's), the empty file, a concatenation split over files, and a missing file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lb_test_tmp.h"
#include "leakbound/io.h"

static const char *put(const char *name, const char *data, size_t len, size_t repeat) {
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", lb_tmpdir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < repeat; i++) assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}

static void check(const char *path, const char *want) {
    char hex[65];
    lb_error_t err;
    assert_int_equal(lb_io_sha256_file(path, hex, &err), 0);
    assert_string_equal(hex, want);
}

static void test_published(void **state) {
    (void)state;
    check(put("empty", "", 0, 1), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check(put("abc", "abc", 3, 1), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(put("two", two, strlen(two), 1),
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* 1,000,000 'a': more than one read buffer. */
    char a[1000];
    memset(a, 'a', sizeof a);
    check(put("million", a, sizeof a, 1000),
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_concatenation(void **state) {
    (void)state;
    const char *paths[3] = {put("p1", "a", 1, 1), put("p2", "", 0, 1), put("p3", "bc", 2, 1)};
    char hex[65];
    lb_error_t err;
    assert_int_equal(lb_io_sha256_files(paths, 3, hex, &err), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_missing(void **state) {
    (void)state;
    char hex[65], path[600];
    lb_error_t err;
    snprintf(path, sizeof path, "%s/nope", lb_tmpdir);
    assert_int_equal(lb_io_sha256_file(path, hex, &err), LB_EIO);
    assert_non_null(strstr(err.msg, "nope"));
    assert_non_null(strstr(err.msg, "No such file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_concatenation),
        cmocka_unit_test(test_missing),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
