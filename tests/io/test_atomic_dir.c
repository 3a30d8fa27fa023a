/* Folder transactions (lb_io_dir_*): a new set appears whole or not at all, an old complete
 * set is replaced as a whole, entries the command does not own survive, write errors give the
 * reason. */
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

static void put(const char *dir, const char *name, const char *text) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* The file's text, or "" when it is missing. */
static const char *get(const char *dir, const char *name) {
    static char buf[256];
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    buf[0] = 0;
    FILE *fp = fopen(p, "rb");
    if (!fp) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

/* Entries of the parent folder whose names start with prefix. */
static int count_prefixed(const char *prefix) {
    DIR *d = opendir(lb_tmpdir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void test_fresh_folder_appears_whole(void **state) {
    (void)state;
    char out[300];
    snprintf(out, sizeof out, "%s/fresh", lb_tmpdir);
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, out, &err), 0);
    put(d.path, "a.txt", "A");
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0); /* nothing at out before the commit */
    assert_int_equal(lb_io_dir_commit(&d, NULL, &err), 0);
    assert_string_equal(get(out, "a.txt"), "A");
    assert_int_equal(count_prefixed(".fresh."), 0);
}

static void test_old_set_replaced_others_kept(void **state) {
    (void)state;
    char out[300], ck[400];
    snprintf(out, sizeof out, "%s/run", lb_tmpdir);
    assert_int_equal(mkdir(out, 0755), 0);
    put(out, "report.json", "old report");
    put(out, "stale.svg", "old plot the new run does not make");
    put(out, "notes.txt", "the user's");
    snprintf(ck, sizeof ck, "%s/checkpoint-2", out);
    assert_int_equal(mkdir(ck, 0755), 0);
    put(ck, "x", "resume state");
    static const char *const owned[] = {"report.json", "*.svg", NULL};
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, out, &err), 0);
    put(d.path, "report.json", "new report");
    put(d.path, "new.svg", "new plot");
    assert_int_equal(lb_io_dir_commit(&d, owned, &err), 0);
    assert_string_equal(get(out, "report.json"), "new report");
    assert_string_equal(get(out, "new.svg"), "new plot");
    assert_string_equal(get(out, "stale.svg"), "");
    assert_string_equal(get(out, "notes.txt"), "the user's");
    assert_string_equal(get(ck, "x"), "resume state");
    assert_int_equal(count_prefixed(".run."), 0);
}

static void test_abort_leaves_old_set(void **state) {
    (void)state;
    char out[300];
    snprintf(out, sizeof out, "%s/keep", lb_tmpdir);
    assert_int_equal(mkdir(out, 0755), 0);
    put(out, "report.json", "complete");
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, out, &err), 0);
    put(d.path, "report.json", "half");
    lb_io_dir_abort(&d);
    assert_string_equal(get(out, "report.json"), "complete");
    assert_int_equal(count_prefixed(".keep."), 0);
    lb_io_dir_abort(&d); /* twice is harmless */
}

static void test_refuses_dot_and_files(void **state) {
    (void)state;
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, ".", &err), LB_EINVAL);
    assert_int_equal(lb_io_dir_begin(&d, "/", &err), LB_EINVAL);
    char f[300];
    snprintf(f, sizeof f, "%s/plain", lb_tmpdir);
    put(lb_tmpdir, "plain", "x");
    assert_int_equal(lb_io_dir_begin(&d, f, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "not a folder"));
    char miss[300];
    snprintf(miss, sizeof miss, "%s/no/such/out", lb_tmpdir);
    assert_int_equal(lb_io_dir_begin(&d, miss, &err), LB_EIO);
    assert_non_null(strstr(err.msg, strerror(ENOENT)));
}

/* A write that runs into the file-size limit fails with the reason, not a bare "write failed". */
static void test_write_error_names_reason(void **state) {
    (void)state;
    char p[300];
    snprintf(p, sizeof p, "%s/big.bin", lb_tmpdir);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    static char data[1 << 16];
    lb_atomic_file_t f;
    lb_error_t err;
    assert_int_equal(lb_atomic_open(&f, p, &err), 0);
    int rc = lb_atomic_write(&f, data, sizeof data, &err);
    if (!rc) rc = lb_atomic_commit(&f, &err);
    else lb_atomic_abort(&f);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, LB_EIO);
    assert_non_null(strstr(err.msg, "big.bin"));
    assert_non_null(strstr(err.msg, strerror(EFBIG)));
    assert_int_not_equal(access(p, F_OK), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_folder_appears_whole),
        cmocka_unit_test(test_old_set_replaced_others_kept),
        cmocka_unit_test(test_abort_leaves_old_set),
        cmocka_unit_test(test_refuses_dot_and_files),
        cmocka_unit_test(test_write_error_names_reason),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
