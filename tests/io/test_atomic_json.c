/* lb_atomic_write_json: the one writer of whole JSON documents (leakbound_run.json, tofu.json):
 * the exact bytes (2-space indent, insertion order, 17 significant digits, final newline), and
 * a failed write leaves the old file as it was with no temporary beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "leakbound/io.h"
#include "lb_test_tmp.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void test_bytes(void **state) {
    (void)state;
    char p[300];
    snprintf(p, sizeof p, "%s/doc.json", lb_tmpdir);
    json_t *doc = json_pack("{s:i, s:[f, s], s:{}}", "z", 1, "a", 0.1, "x", "y", "m");
    lb_error_t err;
    assert_int_equal(lb_atomic_write_json(p, doc, &err), 0);
    assert_string_equal(slurp(p), "{\n  \"z\": 1,\n  \"a\": [\n    0.10000000000000001,\n"
                                  "    \"x\"\n  ],\n  \"y\": {}\n}\n");
    /* the document is unchanged and a second write replaces the file whole */
    assert_int_equal(json_object_size(doc), 3);
    json_object_set_new(doc, "z", json_integer(2));
    assert_int_equal(lb_atomic_write_json(p, doc, &err), 0);
    assert_non_null(strstr(slurp(p), "\"z\": 2,"));
    json_decref(doc);
    unlink(p);
}

static void test_failure_keeps_old(void **state) {
    (void)state;
    char dir[300], p[400];
    snprintf(dir, sizeof dir, "%s/keep", lb_tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(p, sizeof p, "%s/doc.json", dir);
    FILE *f = fopen(p, "w");
    fputs("old\n", f);
    fclose(f);
    json_t *doc = json_array();
    for (int i = 0; i < 4000; i++) json_array_append_new(doc, json_real(i + 0.5));
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    lb_error_t err;
    int rc = lb_atomic_write_json(p, doc, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    json_decref(doc);
    assert_int_equal(rc, LB_EIO);
    assert_non_null(strstr(err.msg, "doc.json"));
    assert_string_equal(slurp(p), "old\n");
    assert_int_equal(entries(dir), 1);
    unlink(p);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_failure_keeps_old),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
