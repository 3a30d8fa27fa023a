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
#include <sys/wait.h>
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

/* Entries of the parent folder whose names start with prefix (the lock file ".<name>.lock",
 * which stays by design, is not counted). */
static int count_prefixed(const char *prefix) {
    DIR *d = opendir(lb_tmpdir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
             strcmp(e->d_name + strlen(e->d_name) - 5, ".lock") != 0;
    closedir(d);
    return n;
}

static void test_fresh_folder_appears_whole(void **state) {
    (void)state;
    char out[300];
    snprintf(out, sizeof out, "%s/fresh", lb_tmpdir);
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, out, NULL, 0, &err), 0);
    put(d.path, "a.txt", "A");
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0); /* nothing at out before the commit */
    assert_int_equal(lb_io_dir_commit(&d, &err), 0);
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
    struct stat before, after;
    assert_int_equal(stat(out, &before), 0);
    assert_int_equal(lb_io_dir_begin(&d, out, owned, 0, &err), 0);
    put(d.path, "report.json", "new report");
    put(d.path, "new.svg", "new plot");
    assert_int_equal(lb_io_dir_commit(&d, &err), 0);
    assert_string_equal(get(out, "report.json"), "new report");
    assert_string_equal(get(out, "new.svg"), "new plot");
    assert_string_equal(get(out, "stale.svg"), "");
    assert_string_equal(get(out, "notes.txt"), "the user's");
    assert_string_equal(get(ck, "x"), "resume state");
    assert_int_equal(count_prefixed(".run."), 0);
    /* the user's entries were never moved: out is the same folder, not a new one swapped in */
    assert_int_equal(stat(out, &after), 0);
    assert_true(before.st_ino == after.st_ino);
}

static void test_abort_leaves_old_set(void **state) {
    (void)state;
    char out[300];
    snprintf(out, sizeof out, "%s/keep", lb_tmpdir);
    assert_int_equal(mkdir(out, 0755), 0);
    put(out, "report.json", "complete");
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, out, NULL, 0, &err), 0);
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
    assert_int_equal(lb_io_dir_begin(&d, ".", NULL, 0, &err), LB_EINVAL);
    assert_int_equal(lb_io_dir_begin(&d, "/", NULL, 0, &err), LB_EINVAL);
    char f[300];
    snprintf(f, sizeof f, "%s/plain", lb_tmpdir);
    put(lb_tmpdir, "plain", "x");
    assert_int_equal(lb_io_dir_begin(&d, f, NULL, 0, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "not a folder"));
    /* missing parents are created (mkdir -p); a parent that is a file is an error naming it */
    char miss[300], made[300];
    snprintf(miss, sizeof miss, "%s/no/such/out", lb_tmpdir);
    assert_int_equal(lb_io_dir_begin(&d, miss, NULL, 0, &err), LB_OK);
    snprintf(made, sizeof made, "%s/no/such", lb_tmpdir);
    struct stat st;
    assert_int_equal(stat(made, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    lb_io_dir_abort(&d);
    snprintf(miss, sizeof miss, "%s/plain/sub/out", lb_tmpdir);
    assert_int_equal(lb_io_dir_begin(&d, miss, NULL, 0, &err), LB_EIO);
    assert_non_null(strstr(err.msg, "cannot create its parent folder"));
    assert_non_null(strstr(err.msg, strerror(ENOTDIR)));
}

/* Only owned entries in out: the folder is swapped whole (an owned name the new set lacks goes). */
static void test_owned_only_swapped(void **state) {
    (void)state;
    char out[300];
    snprintf(out, sizeof out, "%s/swap", lb_tmpdir);
    assert_int_equal(mkdir(out, 0755), 0);
    put(out, "report.json", "old");
    put(out, "old.svg", "old plot");
    static const char *const owned[] = {"report.json", "*.svg", NULL};
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, out, owned, 0, &err), 0);
    put(d.path, "report.json", "new");
    assert_int_equal(lb_io_dir_commit(&d, &err), 0);
    assert_string_equal(get(out, "report.json"), "new");
    assert_string_equal(get(out, "old.svg"), "");
    assert_int_equal(count_prefixed(".swap."), 0);
}

/* A second writer of the same out is refused while the first holds it, with a message that
 * names out and --wait; once the first commits, the second gets it. */
static void test_second_writer_refused(void **state) {
    (void)state;
    char out[300];
    snprintf(out, sizeof out, "%s/locked", lb_tmpdir);
    lb_io_dir_t a, b;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&a, out, NULL, 0, &err), 0);
    assert_int_equal(lb_io_dir_begin(&b, out, NULL, 0, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "another leakbound run is writing"));
    assert_non_null(strstr(err.msg, out));
    assert_non_null(strstr(err.msg, "--wait"));
    put(a.path, "a.txt", "A");
    assert_int_equal(lb_io_dir_commit(&a, &err), 0);
    assert_int_equal(lb_io_dir_begin(&b, out, NULL, 0, &err), 0);
    lb_io_dir_abort(&b);
    /* the same lock guards single files */
    lb_io_lock_t l1, l2;
    char f[300];
    snprintf(f, sizeof f, "%s/single.jsonl", lb_tmpdir);
    assert_int_equal(lb_io_lock_acquire(&l1, f, 0, &err), 0);
    assert_int_equal(lb_io_lock_acquire(&l2, f, 0, &err), LB_EINVAL);
    lb_io_lock_release(&l1);
    assert_int_equal(lb_io_lock_acquire(&l2, f, LB_IO_WAIT, &err), 0);
    lb_io_lock_release(&l2);
    lb_io_lock_release(&l2); /* twice is harmless */
}

/* Staging folders of killed runs (this version's names and the older pid-only ones): the user's
 * entries in them go back into out (where out lacks them), owned ones are dropped, the folders
 * are removed; the staging folder of another out with a similar name is left alone. */
static void test_stale_staging_recovered(void **state) {
    (void)state;
    char out[300], st1[400], st2[400], other[400];
    snprintf(out, sizeof out, "%s/rec", lb_tmpdir);
    snprintf(st1, sizeof st1, "%s/.rec.tmp-99999", lb_tmpdir);
    snprintf(st2, sizeof st2, "%s/.rec.old-123-abcXYZ", lb_tmpdir);
    snprintf(other, sizeof other, "%s/.rec.tmp-x.tmp-5-abcdef", lb_tmpdir);
    /* this version's staging folder of a dead run: its (partial) new set is not brought in */
    char dead[400];
    snprintf(dead, sizeof dead, "%s/.rec.tmp-77-abcDEF", lb_tmpdir);
    assert_int_equal(mkdir(dead, 0755), 0);
    put(dead, "other-command.json", "half of another command's set");
    assert_int_equal(mkdir(out, 0755), 0);
    assert_int_equal(mkdir(st1, 0755), 0);
    assert_int_equal(mkdir(st2, 0755), 0);
    assert_int_equal(mkdir(other, 0755), 0);
    put(out, "keep.txt", "in out");
    put(st1, "stranded.txt", "the user's");
    put(st1, "report.json", "half-made");
    put(st1, "keep.txt", "an older copy");
    put(st2, "also.txt", "the user's too");
    put(other, "x", "another out's");
    static const char *const owned[] = {"report.json", NULL};
    lb_io_dir_t d;
    lb_error_t err;
    assert_int_equal(lb_io_dir_begin(&d, out, owned, 0, &err), 0);
    put(d.path, "report.json", "new");
    assert_int_equal(lb_io_dir_commit(&d, &err), 0);
    assert_string_equal(get(out, "stranded.txt"), "the user's");
    assert_string_equal(get(out, "also.txt"), "the user's too");
    assert_string_equal(get(out, "keep.txt"), "in out");
    assert_string_equal(get(out, "report.json"), "new");
    /* st1 held a name out has: kept (nothing of a user's is removed); st2 is gone */
    assert_string_equal(get(st1, "keep.txt"), "an older copy");
    assert_int_not_equal(access(st2, F_OK), 0);
    assert_int_not_equal(access(dead, F_OK), 0);
    assert_string_equal(get(out, "other-command.json"), "");
    assert_string_equal(get(other, "x"), "another out's");
    lb_io_remove_tree(st1);
    lb_io_remove_tree(other);
}

/* SIGTERM while a folder and a file are being written: both temporaries are removed and the
 * process still dies of SIGTERM. */
static void test_sigterm_removes_temporaries(void **state) {
    (void)state;
    char out[300], f[300];
    snprintf(out, sizeof out, "%s/term", lb_tmpdir);
    snprintf(f, sizeof f, "%s/term.json", lb_tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        lb_io_dir_t d;
        lb_atomic_file_t af;
        lb_error_t err;
        if (lb_io_dir_begin(&d, out, NULL, 0, &err) || lb_atomic_open(&af, f, &err)) _exit(3);
        char sub[400];
        snprintf(sub, sizeof sub, "%s/sub", d.path);
        mkdir(sub, 0755);
        put(sub, "deep.txt", "x");
        put(d.path, "a.txt", "A");
        raise(SIGTERM);
        _exit(4);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_int_equal(count_prefixed(".term."), 0);
    assert_int_equal(count_prefixed("term.json.tmp"), 0);
    assert_int_not_equal(access(out, F_OK), 0);
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
        cmocka_unit_test(test_owned_only_swapped),
        cmocka_unit_test(test_second_writer_refused),
        cmocka_unit_test(test_stale_staging_recovered),
        cmocka_unit_test(test_sigterm_removes_temporaries),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
