/* Unit tests of a run's options by flag name (lb_train_run_opts_set), the rules that tie them
 * together (lb_train_run_check, also lb_train_run's first step) and lb_train_method_parse: the
 * values and messages `leakbound finetune|unlearn` prints for them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/train.h"
#include "leakbound/train_config.h"
#include "leakbound/train_run.h"

/* Set flag to value on o; expect success. */
static void set_ok(lb_train_run_opts_t *o, const char *flag, const char *value) {
    lb_error_t err = {0};
    int rc = lb_train_run_opts_set(o, flag, value, &err);
    if (rc) fail_msg("%s %s: %s", flag, value, err.msg);
}

/* Set flag to value on a fresh finetune (unlearn 0) or unlearn options; expect msg. */
static void set_bad(int unlearn, const char *flag, const char *value, const char *msg) {
    lb_train_run_opts_t o;
    lb_train_run_opts_default(&o, unlearn);
    lb_error_t err = {0};
    assert_int_equal(lb_train_run_opts_set(&o, flag, value, &err), LB_EINVAL);
    assert_string_equal(err.msg, msg);
}

static void test_set_values(void **state) {
    (void)state;
    lb_train_run_opts_t o;
    lb_train_run_opts_default(&o, 1);
    set_ok(&o, "model", "m");
    set_ok(&o, "forget", "f");
    set_ok(&o, "retain", "r");
    set_ok(&o, "out", "o");
    set_ok(&o, "method", "npo");
    set_ok(&o, "beta", "0.2");
    set_ok(&o, "lambda", "-1.5");
    set_ok(&o, "epochs", "3");
    set_ok(&o, "batch-size", "4");
    set_ok(&o, "grad-accum", "7");
    set_ok(&o, "max-length", "2");
    set_ok(&o, "warmup", "0");
    set_ok(&o, "seed", "1099511627776"); /* 2^40 */
    set_ok(&o, "lr", "3e-4");
    set_ok(&o, "weight-decay", "0");
    set_ok(&o, "max-grad-norm", "0.5");
    set_ok(&o, "entropy-positions", "answer");
    set_ok(&o, "eval-every", "2");
    set_ok(&o, "eval-data", "q.jsonl");
    set_ok(&o, "eval-metric", "rouge1-f");
    set_ok(&o, "eval-max-new-tokens", "9");
    set_ok(&o, "stop-when", "greedy>=0.25");
    assert_string_equal(o.model_dir, "m");
    assert_string_equal(o.data_path, "f");
    assert_string_equal(o.retain_path, "r");
    assert_int_equal(o.obj.method, LB_METHOD_NPO);
    assert_int_equal(o.method_given, 1);
    assert_true(o.obj.beta == 0.2 && o.obj.lambda == -1.5);
    assert_int_equal(o.epochs, 3);
    assert_int_equal(o.batch_size, 4);
    assert_int_equal(o.grad_accum, 7);
    assert_int_equal(o.max_length, 2);
    assert_int_equal(o.warmup, 0);
    assert_true(o.seed == (uint64_t)1 << 40);
    assert_true(o.lr == 3e-4 && o.weight_decay == 0 && o.max_grad_norm == 0.5);
    assert_int_equal(o.obj.ent_answer_only, 1);
    assert_int_equal(o.eval_every, 2);
    assert_string_equal(o.check_data, "q.jsonl");
    assert_string_equal(o.check_metric, "rouge1-f");
    assert_int_equal(o.check_max_new, 9);
    assert_int_equal(o.stop_rule, LB_TRAIN_STOP_AT_LEAST);
    assert_true(o.stop_at == 0.25);
    set_ok(&o, "stop-when", "greedy<=0");
    assert_int_equal(o.stop_rule, LB_TRAIN_STOP_AT_MOST);
    assert_true(o.stop_at == 0);
    /* template resets a --config file's answer prefix */
    o.answer_prefix = "A: ";
    set_ok(&o, "template", "raw");
    assert_string_equal(o.template_spec, "raw");
    assert_null(o.answer_prefix);
    assert_int_equal(lb_train_run_check(&o, &(lb_error_t){0}), 0);
}

/* "LF[,LR]": unlearn's LR defaults to the reference's lambda_r; finetune keeps its own. */
static void test_entropy(void **state) {
    (void)state;
    lb_train_run_opts_t o;
    lb_train_run_opts_default(&o, 1);
    set_ok(&o, "entropy", "0.5");
    assert_true(o.obj.ent_f == 0.5 && o.obj.ent_r == -0.25);
    set_ok(&o, "entropy", "1,0.125");
    assert_true(o.obj.ent_f == 1 && o.obj.ent_r == 0.125);
    lb_train_run_opts_default(&o, 0);
    set_ok(&o, "entropy", "2");
    assert_true(o.obj.ent_f == 2 && o.obj.ent_r == 0);
    set_bad(1, "entropy", "abc", "--entropy: want a number, got 'abc'");
    set_bad(1, "entropy", "0.5,x", "--entropy: want a number, got 'x'");
    set_bad(1, "entropy", ",1", "--entropy: want a number, got ''");
    set_bad(1, "entropy", "1,", "--entropy: want a number, got ''");
}

static void test_set_refused(void **state) {
    (void)state;
    set_bad(1, "method", "xx", "--method: want ga, gd or npo, got 'xx'");
    set_bad(1, "method", "finetune", "--method: want ga, gd or npo, got 'finetune'");
    set_bad(0, "method", "ga", "--method is unlearn's flag");
    set_bad(0, "forget", "f", "--forget is unlearn's flag");
    set_bad(0, "retain", "r", "--retain is unlearn's flag");
    set_bad(0, "beta", "1", "--beta is unlearn's flag");
    set_bad(0, "lambda", "1", "--lambda is unlearn's flag");
    set_bad(1, "data", "d", "--data is finetune's; use --forget");
    set_bad(1, "beta", "0", "--beta: want > 0");
    set_bad(1, "beta", "x", "--beta: want a number, got 'x'");
    set_bad(1, "lambda", "inf", "--lambda: want a number, got 'inf'");
    set_bad(0, "epochs", "0", "--epochs: want an integer >= 1, got '0'");
    set_bad(0, "epochs", "1.5", "--epochs: want an integer >= 1, got '1.5'");
    set_bad(0, "batch-size", "0", "--batch-size: want an integer >= 1, got '0'");
    set_bad(0, "grad-accum", "", "--grad-accum: want an integer >= 1, got ''");
    set_bad(0, "max-length", "1", "--max-length: want an integer >= 2, got '1'");
    set_bad(0, "warmup", "-1", "--warmup: want an integer >= 0, got '-1'");
    set_bad(0, "seed", "1099511627777", "--seed: want an integer >= 0, got '1099511627777'");
    set_bad(0, "save-every", "0", "--save-every: want an integer >= 1, got '0'");
    set_bad(0, "stop-after", "x", "--stop-after: want an integer >= 1, got 'x'");
    set_bad(0, "eval-every", "0", "--eval-every: want an integer >= 1, got '0'");
    set_bad(0, "eval-max-new-tokens", "0", "--eval-max-new-tokens: want an integer >= 1, got '0'");
    set_bad(0, "lr", "0", "--lr: want a number > 0");
    set_bad(0, "lr", "x", "--lr: want a number, got 'x'");
    set_bad(0, "weight-decay", "-1", "--weight-decay: want >= 0");
    set_bad(0, "max-grad-norm", "-0.1", "--max-grad-norm: want >= 0");
    set_bad(0, "entropy-positions", "some", "--entropy-positions: want all or answer");
    static const char metric_msg[] = "--eval-metric: want rougeL-recall, rougeL-f, rouge1-recall, "
                                     "rouge1-f, keywords or exact, got '%s'";
    char want[256];
    snprintf(want, sizeof want, metric_msg, "judge");
    set_bad(0, "eval-metric", "judge", want);
    snprintf(want, sizeof want, metric_msg, "bleu");
    set_bad(0, "eval-metric", "bleu", want);
    static const char *const stops[] = {"greedy<1", "greedy<=2", "greedy>=-0.1", "greedy>=0.5x",
                                        "greedy>=", "greedy>=nan", "loss<=1"};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        snprintf(want, sizeof want, "--stop-when: want 'greedy<=X' or 'greedy>=X' with X in "
                 "[0, 1], got '%s'", stops[i]);
        set_bad(0, "stop-when", stops[i], want);
    }
    set_bad(0, "threads", "2", "unknown flag --threads");
    set_bad(0, "model", NULL, "--model: a value is required");
    lb_method_t m = LB_METHOD_GA;
    lb_error_t err = {0};
    assert_int_equal(lb_train_method_parse("gd", &m, &err), 0);
    assert_int_equal(m, LB_METHOD_GD);
    assert_int_equal(lb_train_method_parse("GA", &m, &err), LB_EINVAL);
    assert_int_equal(m, LB_METHOD_GD);
}

/* A fresh unlearn (or finetune) with model, out and data set, method given. */
static void base(lb_train_run_opts_t *o, int unlearn) {
    lb_train_run_opts_default(o, unlearn);
    set_ok(o, "model", "/nonexistent/model");
    set_ok(o, "out", "/nonexistent/out");
    set_ok(o, unlearn ? "forget" : "data", "/nonexistent/data.jsonl");
    if (unlearn) set_ok(o, "method", "ga");
}

static void check_msg(const lb_train_run_opts_t *o, const char *msg) {
    lb_error_t err = {0};
    assert_int_equal(lb_train_run_check(o, &err), LB_EINVAL);
    assert_string_equal(err.msg, msg);
    /* lb_train_run refuses the same options with the same message before touching a file */
    memset(&err, 0, sizeof err);
    assert_int_equal(lb_train_run(o, &err), LB_EINVAL);
    assert_string_equal(err.msg, msg);
}

static void test_check_rules(void **state) {
    (void)state;
    static const char need_eval[] = "--stop-when, --eval-metric and --eval-max-new-tokens need "
                                    "--eval-every K --eval-data FILE";
    lb_train_run_opts_t o;
    lb_train_run_opts_default(&o, 0);
    check_msg(&o, "--model, --out and --data are required");
    lb_train_run_opts_default(&o, 1);
    o.method_given = 0; /* as the unlearn command: the method must be named */
    set_ok(&o, "model", "m");
    set_ok(&o, "forget", "f");
    check_msg(&o, "--model, --out and --forget are required");
    set_ok(&o, "out", "o");
    check_msg(&o, "--method ga|gd|npo is required"); /* unlearn's default GA is not a choice */
    set_ok(&o, "method", "gd");
    check_msg(&o, "--retain is required for this method / entropy weight");
    base(&o, 1);
    set_ok(&o, "entropy", "1"); /* LR -0.25 uses the retain set */
    check_msg(&o, "--retain is required for this method / entropy weight");
    base(&o, 1);
    set_ok(&o, "eval-every", "2");
    check_msg(&o, "--eval-every K and --eval-data FILE go together");
    base(&o, 0);
    set_ok(&o, "eval-data", "q.jsonl");
    check_msg(&o, "--eval-every K and --eval-data FILE go together");
    base(&o, 0);
    set_ok(&o, "stop-when", "greedy<=0.5"); /* once silently ignored by lb_train_run */
    check_msg(&o, need_eval);
    base(&o, 0);
    set_ok(&o, "eval-metric", "rougeL-recall"); /* the default named is still a choice */
    check_msg(&o, need_eval);
    base(&o, 0);
    set_ok(&o, "eval-max-new-tokens", "4");
    check_msg(&o, need_eval);
    /* checks without a check function: lb_train_run's own rule */
    base(&o, 0);
    set_ok(&o, "eval-every", "1");
    set_ok(&o, "eval-data", "q.jsonl");
    lb_error_t err = {0};
    assert_int_equal(lb_train_run_check(&o, &err), 0);
    assert_int_equal(lb_train_run(&o, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "no check function"));
    /* a library caller's defaults and its own choice of method pass; a cleared method_given
       (the unlearn command's) is refused */
    lb_train_run_opts_default(&o, 1);
    o.model_dir = "m", o.out_dir = "o", o.data_path = "f", o.retain_path = "r";
    assert_int_equal(lb_train_run_check(&o, &err), 0);
    o.obj.method = LB_METHOD_NPO;
    assert_int_equal(lb_train_run_check(&o, &err), 0);
    o.method_given = 0;
    assert_int_equal(lb_train_run_check(&o, &err), LB_EINVAL);
}

/* The resolved keys of path loaded with overrides ov and data_dir, as JSON text. */
static char *config_text(const char *path, const char *const *ov, size_t n, const char *data_dir,
                         int with_dir) {
    lb_train_config_t *c = NULL;
    lb_error_t err = {0};
    int rc = with_dir ? lb_train_config_load_dir(path, "unlearn", ov, n, data_dir, &c, &err)
                      : lb_train_config_load(path, "unlearn", ov, n, &c, &err);
    if (rc) fail_msg("%s: %s", path, err.msg);
    json_t *j = lb_train_config_json(c, 1);
    char *s = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    lb_train_config_free(c);
    return s;
}

/* --data-dir DIR is the last override hparams.data_dir=DIR. */
static void test_config_data_dir(void **state) {
    (void)state;
    const char *src = getenv("LB_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/train/hydra/phi-GA.yaml", src ? src : ".");
    const char *ov[] = {"hparams.num_epochs=2", "hparams.data_dir=/first"};
    const char *ov_dir[] = {"hparams.num_epochs=2", "hparams.data_dir=/first",
                            "hparams.data_dir=/d i r"};
    char *a = config_text(path, ov, 2, "/d i r", 1), *b = config_text(path, ov_dir, 3, NULL, 0);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\"/d i r\""));
    free(a), free(b);
    a = config_text(path, ov, 2, NULL, 1), b = config_text(path, ov, 2, NULL, 0);
    assert_string_equal(a, b);
    assert_null(strstr(a, "/d i r"));
    free(a), free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_values),
        cmocka_unit_test(test_entropy),
        cmocka_unit_test(test_set_refused),
        cmocka_unit_test(test_check_rules),
        cmocka_unit_test(test_config_data_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
