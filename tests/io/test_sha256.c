/* lb_io_sha256_file(s) against FIPS 180-2's published SHA-256 examples (one block, two blocks,
 * one million 'a's), the empty file, a concatenation split over files, and a missing file;
 * lb_io_sha256_bytes on the same examples; lb_io_sha256_named's framing against values from
 * Python's hashlib (name, NUL, 8-byte little-endian size, bytes), where moving a byte across a
 * file boundary changes the hash. */
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

static void test_bytes(void **state) {
    (void)state;
    char hex[65];
    lb_io_sha256_bytes(NULL, 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    lb_io_sha256_bytes("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_named(void **state) {
    (void)state;
    const char *names[2] = {"config.json", "w.safetensors"};
    const char *a[2] = {put("n1", "{}", 2, 1), put("n2", "abc", 3, 1)};
    const char *b[2] = {put("n3", "{}a", 3, 1), put("n4", "bc", 2, 1)};
    char hex[65];
    lb_error_t err;
    /* hashlib: for n, b in files: h.update(n.encode() + b"\0" + len(b).to_bytes(8, "little") + b) */
    assert_int_equal(lb_io_sha256_named(a, names, 2, hex, &err), 0);
    assert_string_equal(hex, "c78888b9081b6b8fc8ab7f7bf354c1468240b86dcceadc92980d54c71b497219");
    assert_int_equal(lb_io_sha256_named(b, names, 2, hex, &err), 0);
    assert_string_equal(hex, "58def25b30a53f29d281ee4d12a02d90f2bd8542086a86b287ab47170845838b");
    const char *dir[1] = {lb_tmpdir};
    assert_int_equal(lb_io_sha256_named(dir, names, 1, hex, &err), LB_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_concatenation),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_named),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
