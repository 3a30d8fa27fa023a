/* lb_core_default_threads: ncpu minus the other runnable processes of a /proc/stat-format file
 * (at least 1), ncpu when the file is unreadable or has no procs_running, and NULL reading
 * $LB_PROC_STAT (else /proc/stat). Expected counts follow from the stand-in files written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/core.h"

static char path[64];

static void write_stat(const char *procs_line) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "cpu  1 2 3 4\nintr 5\nctxt 6\nprocesses 8\n%sprocs_blocked 0\n", procs_line);
    assert_int_equal(fclose(f), 0);
}

static void test_rule(void **state) {
    (void)state;
    snprintf(path, sizeof path, "/tmp/lb_core_stat_%ld", (long)getpid());
    const long running[] = {0, 1, 2, 3, 8, 9, 13, 100};
    for (int ncpu = 1; ncpu <= 8; ncpu *= 2)
        for (size_t i = 0; i < sizeof running / sizeof *running; i++) {
            char line[64];
            snprintf(line, sizeof line, "procs_running %ld\n", running[i]);
            write_stat(line);
            long busy = running[i] > 1 ? running[i] - 1 : 0, want = ncpu - busy;
            assert_int_equal(lb_core_default_threads(ncpu, path), want < 1 ? 1 : want);
        }
    write_stat(""); /* no procs_running line */
    assert_int_equal(lb_core_default_threads(6, path), 6);
    assert_int_equal(lb_core_default_threads(0, path), 1);
    /* NULL: $LB_PROC_STAT */
    write_stat("procs_running 4\n");
    setenv("LB_PROC_STAT", path, 1);
    assert_int_equal(lb_core_default_threads(8, NULL), 5);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(lb_core_default_threads(8, path), 8); /* unreadable */
    assert_int_equal(lb_core_default_threads(8, NULL), 8);
    unsetenv("LB_PROC_STAT");
    int n = lb_core_default_threads(4, NULL); /* the real /proc/stat */
    assert_true(n >= 1 && n <= 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
