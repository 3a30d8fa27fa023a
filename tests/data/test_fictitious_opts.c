/* lb_fictitious_opts_set (the --seed/--authors rules and messages of `data fictitious`) and
 * lb_fictitious_write_set's result: n_holdout equals the distinct authors found in the written
 * holdout.jsonl (and forget10.jsonl), n_authors those of full.jsonl, for several set sizes. */
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

static void expect_bad(const char *flag, const char *value, const char *msg) {
    lb_fictitious_opts_t o;
    lb_fictitious_opts_default(&o);
    lb_error_t e = {0};
    assert_int_equal(lb_fictitious_opts_set(&o, flag, value, &e), LB_EINVAL);
    assert_string_equal(e.msg, msg);
    assert_int_equal(o.n_authors, 50);
    assert_true(o.seed == 0);
}

static void test_opts_set(void **state) {
    (void)state;
    expect_bad("authors", "0", "--authors: expected an integer in [1, 10000], got '0'");
    expect_bad("authors", "10001", "--authors: expected an integer in [1, 10000], got '10001'");
    expect_bad("authors", "2x", "--authors: expected an integer in [1, 10000], got '2x'");
    expect_bad("seed", "-1", "--seed: expected a non-negative integer, got '-1'");
    expect_bad("seed", "", "--seed: expected a non-negative integer, got ''");
    expect_bad("out", "x", "data fictitious: unknown flag 'out'");
    lb_fictitious_opts_t o;
    lb_fictitious_opts_default(&o);
    lb_error_t e = {0};
    assert_int_equal(lb_fictitious_opts_set(&o, "authors", "10000", &e), 0);
    assert_int_equal(lb_fictitious_opts_set(&o, "seed", "18446744073709551615", &e), 0);
    assert_int_equal(o.n_authors, 10000);
    assert_true(o.seed == UINT64_MAX);
    /* the generator accepts exactly the range the flag does */
    lb_dataset_t full, hold;
    o.n_authors = LB_FICTITIOUS_MAX_AUTHORS + 1;
    assert_int_equal(lb_fictitious_generate(&o, &full, &hold, &e), LB_EINVAL);
}

/* Distinct non-NULL authors of dir/name.jsonl. */
static int count_authors(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, name);
    lb_dataset_t ds;
    lb_error_t e;
    if (lb_data_load(path, LB_DATA_AUTO, &ds, &e)) fail_msg("%s", e.msg);
    int n = 0;
    for (size_t i = 0; i < ds.n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(ds.items[i].author, ds.items[j].author);
        n += !seen;
    }
    lb_dataset_free(&ds);
    return n;
}

static void test_set_result(void **state) {
    (void)state;
    static const int sizes[] = {1, 4, 9, 14, 15, 25, 50};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char dir[400];
        snprintf(dir, sizeof dir, "%s/n%d", lb_tmpdir, sizes[k]);
        lb_fictitious_opts_t o;
        lb_fictitious_opts_default(&o);
        o.n_authors = sizes[k];
        lb_fictitious_set_result_t r;
        lb_error_t e;
        if (lb_fictitious_write_set(&o, dir, 0, &r, &e)) fail_msg("%s", e.msg);
        assert_int_equal(r.n_authors, count_authors(dir, "full"));
        assert_int_equal(r.n_holdout, count_authors(dir, "holdout"));
        assert_int_equal(r.n_holdout, count_authors(dir, "forget10"));
        assert_int_equal(r.at, 0);
    }
    /* a folder that cannot be made: at says so */
    char file[400], bad[420];
    snprintf(file, sizeof file, "%s/plain", lb_tmpdir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(bad, sizeof bad, "%s/sub", file);
    lb_fictitious_opts_t o;
    lb_fictitious_opts_default(&o);
    lb_fictitious_set_result_t r;
    lb_error_t e;
    assert_int_not_equal(lb_fictitious_write_set(&o, bad, 0, &r, &e), 0);
    assert_int_equal(r.at, LB_FICTITIOUS_AT_DIR);
    assert_int_equal(r.n_holdout, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_opts_set),
                                       cmocka_unit_test(test_set_result)};
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
