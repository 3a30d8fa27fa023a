/* Unit tests for the demo module's contract (include/leakbound/demo.h): the defaults, bad
 * options refused naming the field before anything is written, and a run whose first eval fails
 * (its provenance hook refuses):
 * the steps before it are library calls that announce themselves through the hooks (begin/end
 * pairs, log lines naming the final folder, never the temporary one), the error names the
 * failing step, the output folder is left as it was and the temporary one is kept and named.
 * The whole pipeline's numbers are checked by tests/demo/check_demo.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "leakbound/demo.h"
#include "leakbound/io.h"

static char root[256], out[300];

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "/tmp/lb_demo_test_XXXXXX");
    if (!mkdtemp(root)) return -1;
    snprintf(out, sizeof out, "%s/demo", root);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    lb_io_remove_tree(root);
    return 0;
}

typedef struct {
    int begins, ends, open, failed_ends, lines, stage_lines, evals;
    char failed[96], last_line[1024];
} seen_t;

static void on_begin(void *user, const lb_demo_step_t *s) {
    seen_t *v = user;
    assert_int_equal(v->open, 0); /* steps do not nest */
    assert_non_null(s->name);
    assert_non_null(strstr(s->log_path, s->name));
    v->open = 1;
    v->begins++;
}

static void on_log(void *user, const lb_demo_step_t *s, const char *line) {
    seen_t *v = user;
    (void)s;
    assert_int_equal(v->open, 1);
    v->lines++;
    v->stage_lines += strstr(line, ".tmp-") != NULL;
    snprintf(v->last_line, sizeof v->last_line, "%s", line);
}

static void on_end(void *user, const lb_demo_step_t *s) {
    seen_t *v = user;
    assert_int_equal(v->open, 1);
    v->open = 0;
    v->ends++;
    if (s->rc) {
        v->failed_ends++;
        snprintf(v->failed, sizeof v->failed, "%s", s->name);
    }
}

/* The first eval's report asks for its provenance: failing here fails that eval's step. */
static json_t *provenance_fails(void *user, const char *model_dir, const char *data_path, lb_error_t *err) {
    seen_t *v = user;
    v->evals++;
    assert_non_null(model_dir);
    assert_non_null(data_path);
    lb_error_set(err, LB_EIO, "no evaluation in this test");
    return NULL;
}

static void test_defaults(void **state) {
    (void)state;
    lb_demo_opts_t o = lb_demo_opts_default();
    assert_string_equal(o.out, "leakbound-demo");
    assert_int_equal(o.authors, 10);
    assert_int_equal(o.n, 0); /* by quick: */
    assert_int_equal(lb_demo_opts_n(&o), 1024);
    o.quick = 1;
    assert_int_equal(lb_demo_opts_n(&o), 128);
    o.n = 7;
    assert_int_equal(lb_demo_opts_n(&o), 7);
    assert_int_equal(o.finetune_epochs, 15);
    assert_int_equal(o.unlearn_epochs, 30);
    assert_true(o.unlearn_target == 0.45);
    assert_string_equal(o.unlearn_lr, "1e-4");
    assert_string_equal(o.entropy, "0.3,0");
    assert_string_equal(o.entropy_positions, "all");
}

/* Each bad option: LB_EINVAL naming the field, and nothing created. */
static void test_bad_options(void **state) {
    (void)state;
    seen_t v = {0};
    lb_demo_hooks_t h = {.user = &v, .provenance = provenance_fails};
    static const char *const field[] = {"n:", "authors:", "finetune_epochs:", "unlearn_target:", "unlearn_lr:",
                                        "unlearn_epochs:", "entropy:", "entropy_positions:"};
    for (int k = 0; k < 8; k++) {
        lb_demo_opts_t o = lb_demo_opts_default();
        o.out = out;
        if (k == 0) o.n = -1;
        if (k == 1) o.authors = 10001;
        if (k == 2) o.finetune_epochs = 0;
        if (k == 3) o.unlearn_target = 1.5;
        if (k == 4) o.unlearn_lr = "2";
        if (k == 5) o.unlearn_epochs = 1001;
        if (k == 6) o.entropy = "0.3";
        if (k == 7) o.entropy_positions = "some";
        lb_demo_result_t r;
        lb_error_t err = {0};
        assert_int_equal(lb_demo_run(&o, &h, &r, &err), LB_EINVAL);
        assert_non_null(strstr(err.msg, field[k]));
        assert_null(r.final_out);
        lb_demo_result_free(&r);
        assert_int_equal(access(out, F_OK), -1);
    }
    assert_int_equal(v.begins, 0);
}

static void test_eval_failure(void **state) {
    (void)state;
    seen_t v = {0};
    lb_demo_hooks_t h = {.user = &v, .log = on_log, .step_begin = on_begin, .step_end = on_end,
                         .provenance = provenance_fails};
    lb_demo_opts_t o = lb_demo_opts_default();
    o.out = out;
    o.authors = 1;
    o.finetune_epochs = 1;
    o.quick = 1; /* n 0: the quick run's 128 */
    lb_demo_result_t r;
    lb_error_t err = {0};
    int rc = lb_demo_run(&o, &h, &r, &err);
    assert_int_equal(rc, LB_EIO);
    assert_int_equal(r.n, 128); /* what the run used and records */
    /* data, tokenizer, init and finetune-1 ran; the first eval (the fine-tuning check) failed */
    assert_int_equal(v.evals, 1);
    assert_int_equal(v.begins, 5);
    assert_int_equal(v.ends, 5);
    assert_int_equal(v.failed_ends, 1);
    assert_string_equal(v.failed, "eval-finetune-check-1");
    assert_non_null(strstr(err.msg, "eval-finetune-check-1"));
    assert_non_null(strstr(err.msg, "no evaluation in this test"));
    assert_true(v.lines > 5);      /* progress lines of the training step, the steps' summaries */
    assert_int_equal(v.stage_lines, 0);
    /* out is as it was (missing); the temporary folder is kept, with the steps' files */
    assert_int_equal(access(out, F_OK), -1);
    assert_non_null(r.final_out);
    assert_true(r.stage_dir[0] != 0);
    char p[4400];
    snprintf(p, sizeof p, "%s/models/finetuned-1/model.safetensors", r.stage_dir);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/models/finetuned-1/leakbound_run.json", r.stage_dir);
    char *rec = NULL;
    size_t len = 0;
    lb_error_t e2 = {0};
    assert_int_equal(lb_io_read_file(p, &rec, &len, &e2), 0);
    assert_null(strstr(rec, ".tmp-"));            /* the record names the final folder */
    assert_non_null(strstr(rec, "\"argv\": []"));  /* a library call has no command line */
    free(rec);
    lb_demo_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
