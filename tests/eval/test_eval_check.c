/* Unit tests of a training run's greedy checks as the library prepares them
 * (lb_eval_check_prepare): the evaluation's settings, the default metric, and the refusals of
 * --eval-data before any training. lb_eval_check_run's scores are checked end to end by
 * tests/oracle/train_stop.py (an independent `eval` of the kept model against eval_log.csv). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/eval_checkpoint.h"
#include "lb_test_tmp.h"

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_prepare(void **state) {
    (void)state;
    char ok[300], noans[300], want[700];
    snprintf(ok, sizeof ok, "%s/ok.jsonl", lb_tmpdir);
    snprintf(noans, sizeof noans, "%s/noans.jsonl", lb_tmpdir);
    write_file(ok, "{\"id\": \"a\", \"question\": \"q?\", \"answer\": \"x y\"}\n");
    write_file(noans, "{\"id\": \"b\", \"question\": \"q?\"}\n");
    lb_eval_check_t c;
    lb_error_t err = {0};
    /* defaults: rougeL-recall, greedy only, the run's phi template, eval's answer length */
    assert_int_equal(lb_eval_check_prepare(&c, ok, NULL, 0, NULL, &err), 0);
    assert_string_equal(c.metric, "rougeL-recall");
    assert_int_equal(c.eo.metric, LB_METRIC_ROUGEL_RECALL);
    assert_int_equal(c.eo.n, 0);
    assert_string_equal(c.eo.tmpl, "phi");
    assert_string_equal(c.eo.data, ok);
    assert_string_equal(c.data, ok);
    assert_int_equal(c.eo.have_max_new, 0);
    assert_null(c.on_check);
    assert_int_equal(lb_eval_check_prepare(&c, ok, "exact", 7, "raw", &err), 0);
    assert_string_equal(c.metric, "exact");
    assert_int_equal(c.eo.have_max_new, 1);
    assert_int_equal(c.eo.max_new, 7);
    assert_string_equal(c.eo.tmpl, "raw");
    /* refused before training, named as the flag */
    assert_int_equal(lb_eval_check_prepare(&c, noans, NULL, 0, NULL, &err), LB_EINVAL);
    snprintf(want, sizeof want, "--eval-data: %s: item 'b' (line 1) has no answer for metric "
             "rougeL-recall", noans);
    assert_string_equal(err.msg, want);
    assert_int_equal(lb_eval_check_prepare(&c, noans, "keywords", 0, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "has no keywords for metric keywords"));
    assert_int_not_equal(lb_eval_check_prepare(&c, "/nonexistent/q.jsonl", NULL, 0, NULL, &err), 0);
    assert_true(!strncmp(err.msg, "--eval-data: ", 13));
    assert_int_equal(lb_eval_check_prepare(&c, ok, "bleu", 0, NULL, &err), LB_EINVAL);
    assert_true(!strncmp(err.msg, "--eval-data: ", 13));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_prepare)};
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
