/* lb_eval_opts_set and lb_eval_job_*: each flag's range and message as the CLI's, repeatable
 * flags, unknown flags, the job's checks (required flags, one run per job), its accessors
 * before and after a run, and a progress hook that stops the run (LB_ECANCELED) on the bundled
 * default (examples/default); lb_eval_flow_run's transport hooks and rank rule. The texts and reports themselves are compared with the CLI's
 * byte for byte in tests/oracle/python_eval.py. */
#include <math.h>
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

static char model_dir[4096], data_path[4096];

static void paths(void) {
    const char *src = getenv("LB_SOURCE_DIR");
    snprintf(model_dir, sizeof model_dir, "%s/examples/default/model", src ? src : ".");
    snprintf(data_path, sizeof data_path, "%s/examples/default/forget.jsonl", src ? src : ".");
}

static void test_opts_set(void **state) {
    (void)state;
    lb_eval_opts_t o;
    lb_eval_opts_default(&o);
    lb_error_t err = {0};
    assert_int_equal(lb_eval_opts_set(&o, "top-p", "0.9", &err), 0);
    assert_true(o.have_p && o.p == 0.9);
    assert_int_equal(lb_eval_opts_set(&o, "top-p", "1.5", &err), LB_EINVAL);
    assert_string_equal(err.msg, "--top-p: expected a number in (0, 1], got '1.5'");
    assert_int_equal(lb_eval_opts_set(&o, "n", "-1", &err), LB_EINVAL);
    assert_string_equal(err.msg, "-n: expected an integer in [0, 1000000], got '-1'");
    assert_int_equal(lb_eval_opts_set(&o, "seed", "-3", &err), LB_EINVAL);
    assert_int_equal(lb_eval_opts_set(&o, "seed", "18446744073709551615", &err), 0);
    assert_true(o.seed == 18446744073709551615ull);
    assert_int_equal(lb_eval_opts_set(&o, "temperature", "nan", &err), LB_EINVAL);
    assert_int_equal(lb_eval_opts_set(&o, "kv-budget", "512M", &err), 0);
    assert_true(o.kv_budget == 512u * 1048576u);
    assert_int_equal(lb_eval_opts_set(&o, "threshold", "0.5", &err), 0);
    assert_int_equal(lb_eval_opts_set(&o, "threshold", "0.9", &err), 0);
    assert_int_equal((int)o.n_thresholds, 2);
    /* the same key ("%g") as an earlier threshold: report.json would hold one M_gen "0.5" */
    assert_int_equal(lb_eval_opts_set(&o, "threshold", "0.50", &err), LB_EINVAL);
    assert_string_equal(err.msg, "--threshold 0.50: same key \"0.5\" as an earlier threshold");
    assert_int_equal(lb_eval_opts_set(&o, "threshold", "0.9000000001", &err), LB_EINVAL);
    assert_string_equal(err.msg,
                        "--threshold 0.9000000001: same key \"0.9\" as an earlier threshold");
    assert_int_equal(lb_eval_opts_set(&o, "threshold", "0.95", &err), 0);
    assert_int_equal((int)o.n_thresholds, 3);
    assert_int_equal(lb_eval_opts_set(&o, "threshold", "1.5", &err), LB_EINVAL);
    assert_string_equal(err.msg, "--threshold: expected a number in [0, 1], got '1.5'");
    assert_int_equal((int)o.n_thresholds, 3);
    assert_int_equal(lb_eval_opts_set(&o, "stop", "", &err), LB_EINVAL);
    assert_int_equal(lb_eval_opts_set(&o, "stop", ".", &err), 0);
    assert_int_equal(o.n_stop, 1);
    assert_int_equal(lb_eval_opts_set(&o, "metric", "bleu", &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "--metric: expected rougeL-recall"));
    assert_int_equal(lb_eval_opts_set(&o, "metric", "keywords", &err), 0);
    assert_int_equal(o.metric, LB_METRIC_KEYWORDS);
    assert_int_equal(lb_eval_opts_set(&o, "verbose", NULL, &err), 0);
    assert_int_equal(o.verbose, 1);
    assert_int_equal(lb_eval_opts_set(&o, "model", "x", &err), LB_EINVAL); /* a job's flag */
    assert_string_equal(err.msg, "unknown option 'model'");
    assert_int_equal(lb_eval_opts_set(&o, "harm-rate", "1", &err), LB_EINVAL);
    assert_int_equal(lb_eval_opts_set(&o, "top-p", NULL, &err), LB_EINVAL);
}

static void test_job_checks(void **state) {
    (void)state;
    lb_eval_job_t *j;
    lb_error_t err = {0};
    assert_int_equal(lb_eval_job_new(&j, &err), 0);
    assert_int_equal(lb_eval_job_n_items(j), 0);
    assert_null(lb_eval_job_lines(j, 0, NULL));
    assert_null(lb_eval_job_scores(j, NULL, NULL));
    assert_int_equal(lb_eval_job_set(j, "threads", "0", &err), LB_EINVAL);
    assert_string_equal(err.msg, "--threads: expected an integer in [1, 1024], got '0'");
    assert_int_equal(lb_eval_job_set(j, "judge-batch", "5000", &err), LB_EINVAL);
    assert_int_equal(lb_eval_job_sample(j, NULL, NULL, &err), LB_EINVAL);
    assert_string_equal(err.msg, "--model DIR is required");
    /* one run per job */
    assert_int_equal(lb_eval_job_sample(j, NULL, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "one run per job"));
    assert_int_equal(lb_eval_job_set(j, "n", "2", &err), LB_EINVAL);
    lb_eval_job_free(j);
    lb_eval_job_free(NULL);

    paths();
    assert_int_equal(lb_eval_job_new(&j, &err), 0);
    assert_int_equal(lb_eval_job_set(j, "model", model_dir, &err), 0);
    assert_int_equal(lb_eval_job_set(j, "data", data_path, &err), 0);
    assert_int_equal(lb_eval_job_set(j, "n", "2", &err), 0);
    char *argv[] = {"test"};
    assert_int_equal(lb_eval_job_eval(j, 1, argv, NULL, NULL, &err), LB_EINVAL);
    assert_string_equal(err.msg, "--metric M is required");
    lb_eval_job_free(j);
}

static int stop_at(void *user, const lb_sampler_progress_t *p) {
    int *calls = user;
    (void)p;
    return ++*calls >= 3;
}

static void test_job_sample(void **state) {
    (void)state;
    paths();
    lb_error_t err = {0};
    for (int stop = 0; stop < 2; stop++) {
        lb_eval_job_t *j;
        assert_int_equal(lb_eval_job_new(&j, &err), 0);
        assert_int_equal(lb_eval_job_set(j, "model", model_dir, &err), 0);
        assert_int_equal(lb_eval_job_set(j, "data", data_path, &err), 0);
        const char *kv[][2] = {{"n", "3"}, {"limit", "4"}, {"seed", "2"}, {"template", "phi"},
                               {"max-new-tokens", "10"}, {"threads", "1"}, {"batch", "2"},
                               {"greedy-too", NULL}};
        for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
            assert_int_equal(lb_eval_job_set(j, kv[k][0], kv[k][1], &err), 0);
        int calls = 0;
        int rc = lb_eval_job_sample(j, stop ? stop_at : NULL, &calls, &err);
        if (stop) {
            assert_int_equal(rc, LB_ECANCELED);
            assert_true(calls >= 3);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(lb_eval_job_n_items(j), 4);
            for (size_t p = 0; p < 4; p++) {
                size_t len;
                const char *l = lb_eval_job_lines(j, p, &len);
                assert_non_null(l);
                int lines = 0;
                for (size_t i = 0; i < len; i++) lines += l[i] == '\n';
                assert_int_equal(lines, 4); /* greedy + 3 */
                assert_non_null(strstr(l, "\"sample\":-1"));
            }
            assert_null(lb_eval_job_lines(j, 4, NULL));
            assert_null(lb_eval_job_scores(j, NULL, NULL)); /* sampling has no scores */
        }
        lb_eval_job_free(j);
    }
}

/* eval: a full run fills the scores and writes the CLI's files; a stopped run leaves out
   untouched (no folder) */
static void test_job_eval(void **state) {
    (void)state;
    paths();
    lb_error_t err = {0};
    char out[4200];
    snprintf(out, sizeof out, "%s/test_eval_job-%d", getenv("LB_WORK") ? getenv("LB_WORK") : "/tmp",
             (int)getpid());
    for (int stop = 1; stop >= 0; stop--) {
        lb_eval_job_t *j;
        assert_int_equal(lb_eval_job_new(&j, &err), 0);
        const char *kv[][2] = {{"model", model_dir}, {"data", data_path}, {"n", "3"},
                               {"limit", "3"}, {"template", "phi"}, {"max-new-tokens", "8"},
                               {"threads", "1"}, {"batch", "2"}, {"metric", "rougeL-recall"},
                               {"out", out}};
        for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
            assert_int_equal(lb_eval_job_set(j, kv[k][0], kv[k][1], &err), 0);
        int calls = 0;
        char *argv[] = {"test"};
        int rc = lb_eval_job_eval(j, 1, argv, stop ? stop_at : NULL, &calls, &err);
        char path[4300];
        snprintf(path, sizeof path, "%s/report.json", out);
        if (stop) {
            assert_int_equal(rc, LB_ECANCELED);
            assert_int_equal(access(out, F_OK), -1);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(access(path, F_OK), 0);
            size_t n;
            const double *g;
            const double *s = lb_eval_job_scores(j, &n, &g);
            assert_non_null(s);
            assert_int_equal((int)n, 3);
            for (size_t i = 0; i < 9; i++) assert_true(s[i] >= 0 && s[i] <= 1);
            for (size_t p = 0; p < 3; p++) assert_true(g[p] >= 0 && g[p] <= 1);
        }
        lb_eval_job_free(j);
    }
    lb_io_remove_tree(out);
}

/* lb_eval_flow_run's transport contract: each hook once and in order (loaded, ready, go), only
 * rank 0 makes provenance and writes (a worker's run leaves out untouched), the caller's group
 * hook sees every group on rank 0, a failing ready stops every step after it with out never
 * created, and r->ranks records the job's ranks. */
typedef struct flow_log {
    char order[16];
    int n, groups, prov, ready_rc;
} flow_log_t;

static void flow_mark(flow_log_t *l, char c) {
    if (l->n < 15) l->order[l->n++] = c;
}
static int flow_loaded(void *u, const lb_eval_ctx_t *ctx, lb_error_t *err) {
    (void)ctx, (void)err;
    flow_mark(u, 'L');
    return 0;
}
static int flow_ready(void *u, int rc, const lb_eval_ctx_t *ctx, const lb_eval_opts_t *o,
                      lb_error_t *err) {
    flow_log_t *l = u;
    (void)ctx, (void)o;
    flow_mark(l, 'R');
    if (!rc && l->ready_rc) return lb_error_set(err, l->ready_rc, "rank 1 of 2: failed");
    return rc;
}
static int flow_go(void *u, int rc) {
    flow_mark(u, 'G');
    return rc;
}
static int flow_group(void *u, size_t item, const lb_sample_result_t *res, int n_res,
                      const double *scores, lb_error_t *err) {
    (void)item, (void)res, (void)err;
    assert_int_equal(n_res, 3); /* the greedy answer and -n 2 */
    assert_non_null(scores);
    ((flow_log_t *)u)->groups++;
    return 0;
}
static json_t *flow_prov(void *u, const char *model, const char *model_sha, const char *data,
                         const char *data_sha, lb_error_t *err) {
    (void)model, (void)model_sha, (void)data, (void)data_sha, (void)err;
    ((flow_log_t *)u)->prov++;
    return json_object();
}

static void test_flow_ranks(void **state) {
    (void)state;
    paths();
    char out[4200], path[4300];
    snprintf(out, sizeof out, "%s/test_eval_flow-%d", getenv("LB_WORK") ? getenv("LB_WORK") : "/tmp",
             (int)getpid());
    snprintf(path, sizeof path, "%s/samples.jsonl", out);
    /* rank 1 of 2; rank 0 whose ready fails; rank 0 of 2 */
    const int ranks[] = {1, 0, 0}, fails[] = {0, LB_EIO, 0};
    const char *orders[] = {"LRG", "LRG", "LRG"};
    for (int t = 0; t < 3; t++) {
        lb_eval_opts_t o;
        lb_eval_opts_default(&o);
        lb_error_t err = {0};
        const char *kv[][2] = {{"n", "2"}, {"limit", "3"}, {"template", "phi"},
                               {"max-new-tokens", "6"}, {"batch", "2"},
                               {"metric", "rougeL-recall"}};
        for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
            assert_int_equal(lb_eval_opts_set(&o, kv[k][0], kv[k][1], &err), 0);
        o.model = model_dir;
        o.data = data_path;
        o.threads = 1;
        flow_log_t log = {.ready_rc = fails[t]};
        lb_eval_flow_t f = {.out_dir = out, .metric_given = 1, .rank = ranks[t], .ranks = 2,
                            .hooks = {.user = &log, .group = flow_group},
                            .loaded = flow_loaded, .ready = flow_ready, .go = flow_go,
                            .provenance = flow_prov};
        lb_eval_ctx_t ctx;
        lb_eval_result_t r;
        int rc = lb_eval_flow_run(&f, &o, &ctx, &r, &err);
        assert_string_equal(log.order, orders[t]);
        assert_int_equal(f.stage, LB_EVAL_FLOW_RUN);
        if (t < 2) { /* a worker, or a failed job: nothing written, no provenance */
            assert_int_equal(rc, fails[t]);
            assert_int_equal(log.prov, 0);
            assert_int_equal(log.groups, 0);
            assert_int_equal(access(out, F_OK), -1);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(log.prov, 1);
            assert_int_equal(log.groups, 3);
            assert_int_equal(r.ranks, 2);
            assert_int_equal(access(path, F_OK), 0);
            /* the phi template's "Answer:" strip was added: no --strip-prefix given */
            assert_int_equal(o.score.n_strip, 1);
            assert_string_equal(o.score.strip[0], "Answer:");
        }
        lb_eval_flow_free(&f);
        lb_eval_ctx_free(&ctx);
        lb_eval_result_free(&r);
        lb_io_remove_tree(out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_opts_set),
                                       cmocka_unit_test(test_job_checks),
                                       cmocka_unit_test(test_job_sample),
                                       cmocka_unit_test(test_job_eval),
                                       cmocka_unit_test(test_flow_ranks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
