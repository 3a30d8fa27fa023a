/* The eval job's default thread count (lb_eval_job_sample; lb_eval_job_eval shares its start):
 * with no "threads" and no OMP_NUM_THREADS it runs on the cores other processes leave free, the
 * rule the CLI starts with (lb_core_default_threads), read here from a stand-in /proc/stat named
 * by LB_PROC_STAT; "threads" and OMP_NUM_THREADS override it. Observed as the calling thread's
 * omp_get_max_threads() after the run (the job sets it at load, as the CLI does at start). The
 * rule's own arithmetic is tests/core/test_default_threads.c; the CLI's:
 * tests/oracle/cli_threads.py. */
#include <omp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/eval.h"

static char model_dir[4096], data_path[4096], stat_path[64];

static void write_stat(long running) {
    FILE *f = fopen(stat_path, "w");
    assert_non_null(f);
    fprintf(f, "cpu  1 2 3 4\nintr 5\nctxt 6\nprocesses 8\nprocs_running %ld\nprocs_blocked 0\n",
            running);
    assert_int_equal(fclose(f), 0);
}

/* omp_get_max_threads() after a small sample job, threads (NULL: not set). */
static int run_job(const char *threads) {
    lb_eval_job_t *j;
    lb_error_t err = {0};
    assert_int_equal(lb_eval_job_new(&j, &err), 0);
    const char *kv[][2] = {{"model", model_dir}, {"data", data_path}, {"n", "1"}, {"limit", "1"},
                           {"max-new-tokens", "2"}, {"threads", threads}};
    for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
        if (kv[k][1]) assert_int_equal(lb_eval_job_set(j, kv[k][0], kv[k][1], &err), 0);
    int rc = lb_eval_job_sample(j, NULL, NULL, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    lb_eval_job_free(j);
    return omp_get_max_threads();
}

static void test_default_threads(void **state) {
    (void)state;
    const char *src = getenv("LB_SOURCE_DIR");
    snprintf(model_dir, sizeof model_dir, "%s/examples/default/model", src ? src : ".");
    snprintf(data_path, sizeof data_path, "%s/examples/default/forget.jsonl", src ? src : ".");
    snprintf(stat_path, sizeof stat_path, "/tmp/lb_test_stat_%ld", (long)getpid());
    int ncpu = omp_get_num_procs();
    unsetenv("OMP_NUM_THREADS");
    setenv("LB_PROC_STAT", stat_path, 1);

    /* busy machine: ncpu + 5 runnable (the caller one of them) leaves 1 thread */
    write_stat(ncpu + 5);
    omp_set_num_threads(ncpu + 3);
    assert_int_equal(run_job(NULL), 1);
    /* one more runnable than the caller: ncpu - 1 (at least 1) */
    write_stat(2);
    omp_set_num_threads(ncpu + 3);
    assert_int_equal(run_job(NULL), ncpu > 1 ? ncpu - 1 : 1);
    /* an idle machine: every core */
    write_stat(1);
    omp_set_num_threads(ncpu + 3);
    assert_int_equal(run_job(NULL), ncpu);
    /* "threads" beats the rule */
    write_stat(ncpu + 5);
    assert_int_equal(run_job("3"), 3);
    /* OMP_NUM_THREADS set: the job leaves the count alone */
    setenv("OMP_NUM_THREADS", "2", 1);
    omp_set_num_threads(ncpu + 3);
    assert_int_equal(run_job(NULL), ncpu + 3);
    unsetenv("OMP_NUM_THREADS");
    /* an unreadable stat file: every core */
    assert_int_equal(unlink(stat_path), 0);
    omp_set_num_threads(ncpu + 3);
    assert_int_equal(run_job(NULL), ncpu);
    unsetenv("LB_PROC_STAT");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
