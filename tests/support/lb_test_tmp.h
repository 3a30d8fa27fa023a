/* A fresh temporary folder per cmocka group: pass lb_tmp_setup / lb_tmp_teardown to
 * cmocka_run_group_tests and write test files under lb_tmpdir. */
#ifndef LB_TEST_TMP_H
#define LB_TEST_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char lb_tmpdir[256];

static int lb_tmp_setup(void **state) {
    (void)state;
    snprintf(lb_tmpdir, sizeof lb_tmpdir, "/tmp/lb_test_XXXXXX");
    return mkdtemp(lb_tmpdir) ? 0 : -1;
}

static int lb_tmp_teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", lb_tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
