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
#include <sys/stat.h>
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

/* Which runs each flag applies to (lb_eval_flag_scope) and the refusals of the wrong ones
 * (lb_eval_samples_check), with the CLI's messages. */
static void test_flag_scope(void **state) {
    (void)state;
    const char *sampling[] = {"model", "tokenizer", "template", "n", "limit", "temperature",
                              "top-k", "top-p", "min-p", "max-length", "max-new-tokens", "stop",
                              "seed", "batch", "kv-budget", "adaptive-temperature", "confidence",
                              "confidence-threshold", "low-temperature", "greedy-too"};
    const char *samples[] = {"text-field", "id-field", "reference-field", "keywords-field",
                             "prompt-field", "greedy-field", "allow-duplicates"};
    const char *both[] = {"data", "data-format", "threads", "quiet", "verbose", "metric",
                          "alpha", "out", "judge", "strip-prefix", "samples", "wait", "x", ""};
    for (size_t i = 0; i < sizeof sampling / sizeof *sampling; i++)
        assert_int_equal(lb_eval_flag_scope(sampling[i]), LB_EVAL_FLAG_SAMPLING);
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
        assert_int_equal(lb_eval_flag_scope(samples[i]), LB_EVAL_FLAG_SAMPLES);
    for (size_t i = 0; i < sizeof both / sizeof *both; i++)
        assert_int_equal(lb_eval_flag_scope(both[i]), LB_EVAL_FLAG_BOTH);
    assert_int_equal(lb_eval_flag_scope(NULL), LB_EVAL_FLAG_BOTH);
    lb_error_t err = {0};
    assert_int_equal(lb_eval_samples_check("f", NULL, "--text-field", &err), 0);
    assert_int_equal(lb_eval_samples_check(NULL, "--top-p", NULL, &err), 0);
    assert_int_equal(lb_eval_samples_check("f", "--top-p=0.9", NULL, &err), LB_EINVAL);
    assert_string_equal(err.msg, "--top-p=0.9 does not apply to --samples FILE (the answers are "
                        "the file's; nothing is sampled)");
    assert_int_equal(lb_eval_samples_check(NULL, "-n", "--greedy-field", &err), LB_EINVAL);
    assert_string_equal(err.msg, "--greedy-field needs --samples FILE");
}

/* The bundled default's settings: given ones kept, the others set, paths into the buffer. */
static void test_default_apply(void **state) {
    (void)state;
    lb_error_t err = {0};
    char buf[64];
    for (int given = 0; given < 2; given++) {
        lb_eval_opts_t o;
        lb_eval_opts_default(&o);
        o.n = -1;
        lb_eval_flow_t f = {0};
        if (given) {
            assert_int_equal(lb_eval_opts_set(&o, "template", "raw", &err), 0);
            assert_int_equal(lb_eval_opts_set(&o, "n", "3", &err), 0);
            assert_int_equal(lb_eval_opts_set(&o, "top-p", "0.5", &err), 0);
            assert_int_equal(lb_eval_opts_set(&o, "max-length", "30", &err), 0);
            assert_int_equal(lb_eval_opts_set(&o, "metric", "exact", &err), 0);
            f.out_dir = "mine";
        }
        assert_int_equal(lb_eval_default_apply(&o, &f, "/d", given, buf, sizeof buf, &err), 0);
        assert_string_equal(o.model, "/d/model");
        assert_string_equal(o.data, "/d/forget.jsonl");
        assert_string_equal(o.tmpl, given ? "raw" : "phi");
        assert_int_equal((int)o.n, given ? 3 : 64);
        assert_true(o.have_p && o.p == (given ? 0.5 : 0.9));
        assert_int_equal(o.have_max_new, !given);
        if (!given) assert_int_equal((int)o.max_new, 56);
        assert_int_equal(o.metric, given ? LB_METRIC_EXACT : LB_METRIC_ROUGEL_RECALL);
        assert_int_equal(f.metric_given, 1);
        assert_string_equal(f.out_dir, given ? "mine" : "eval-default");
    }
    lb_eval_opts_t o;
    lb_eval_opts_default(&o);
    lb_eval_flow_t f = {0};
    const char *long_dir = "/a-folder-whose-name-is-long-enough/default";
    assert_int_equal(lb_eval_default_apply(&o, &f, long_dir, 0, buf, sizeof buf, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "too long"));
    assert_null(o.model);
    assert_null(f.out_dir);
}

/* eval --samples as a flow (lb_eval_flow_samples) and a job: the checks and their stages,
 * a worker rank that writes nothing, the judge's stages, and a run whose scores are the
 * file's; the job refuses sampling flags with samples and its fields without. */
static void test_flow_samples(void **state) {
    (void)state;
    char dir[4200], file[4300], out[4300], path[4400];
    snprintf(dir, sizeof dir, "%s/test_eval_samples-%d",
             getenv("LB_WORK") ? getenv("LB_WORK") : "/tmp", (int)getpid());
    lb_io_remove_tree(dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(file, sizeof file, "%s/s.jsonl", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(path, sizeof path, "%s/report.json", out);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fputs("{\"id\": \"a\", \"reference\": \"x y\", \"text\": [\"x y\", \"z\", \"x\"]}\n"
          "{\"id\": \"b\", \"ref\": \"u v\", \"reference\": \"q\", \"text\": \"u\"}\n"
          "{\"id\": \"b\", \"reference\": \"q\", \"ref\": \"u v\", \"text\": \"v\"}\n"
          "{\"id\": \"b\", \"reference\": \"q\", \"ref\": \"u v\", \"text\": \"q\"}\n"
          "{\"id\": \"b\", \"reference\": \"q\", \"sample\": -1, \"text\": \"q\"}\n", fp);
    fclose(fp);
    lb_eval_samples_opts_t so = {.path = file};
    struct {
        int metric_given, rank, judge;
        const char *out_dir, *judge_dir;
        int rc, stage;
    } t[] = {
        {0, 0, 0, out, NULL, LB_EINVAL, LB_EVAL_FLOW_CHECK},
        {1, 0, 0, NULL, NULL, LB_EINVAL, LB_EVAL_FLOW_CHECK},
        {1, 1, 1, out, NULL, 0, LB_EVAL_FLOW_CHECK}, /* a worker: nothing to do, no judge */
        {1, 0, 1, out, NULL, LB_EINVAL, LB_EVAL_FLOW_CHECK},
        {1, 0, 1, out, file, LB_EIO, LB_EVAL_FLOW_JUDGE},
    };
    const char *msgs[] = {"--metric M is required", "--out DIR is required", "",
                          "--metric judge needs --judge DIR (the judge model)", "not a folder"};
    for (size_t k = 0; k < sizeof t / sizeof *t; k++) {
        lb_eval_opts_t o;
        lb_eval_opts_default(&o);
        o.metric = t[k].judge ? LB_METRIC_JUDGE : LB_METRIC_EXACT;
        lb_eval_flow_t f = {.out_dir = t[k].out_dir, .metric_given = t[k].metric_given,
                            .rank = t[k].rank, .judge_dir = t[k].judge_dir};
        lb_eval_result_t r;
        lb_error_t err = {0};
        assert_int_equal(lb_eval_flow_samples(&f, &o, &so, &r, &err), t[k].rc);
        assert_int_equal(f.stage, t[k].stage);
        assert_non_null(strstr(err.msg, msgs[k]));
        assert_null(f.judge);
        assert_int_equal(access(out, F_OK), -1);
        lb_eval_result_free(&r);
    }
    /* the job: b's reference from --reference-field ref (rougeL-recall: u, v, q score 0.5,
       0.5, 0), its greedy line apart; a's three answers */
    lb_eval_job_t *j;
    lb_error_t err = {0};
    assert_int_equal(lb_eval_job_new(&j, &err), 0);
    const char *kv[][2] = {{"samples", file}, {"metric", "rougeL-recall"}, {"out", out},
                           {"reference-field", "ref"}, {"threads", "1"}};
    for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
        assert_int_equal(lb_eval_job_set(j, kv[k][0], kv[k][1], &err), 0);
    char *argv[] = {"test"};
    assert_int_equal(lb_eval_job_eval(j, 1, argv, NULL, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "s.jsonl:1: missing field \"ref\""));
    lb_eval_job_free(j);
    assert_int_equal(lb_eval_job_new(&j, &err), 0);
    kv[3][1] = "reference";
    for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
        assert_int_equal(lb_eval_job_set(j, kv[k][0], kv[k][1], &err), 0);
    assert_int_equal(lb_eval_job_eval(j, 1, argv, NULL, NULL, &err), 0);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal((int)lb_eval_job_n_items(j), 2);
    assert_null(lb_eval_job_lines(j, 0, NULL));
    size_t n;
    const double *g, *s = lb_eval_job_scores(j, &n, &g);
    assert_non_null(s);
    assert_int_equal((int)n, 3);
    const double want[] = {1, 0, 0.5, 0, 0, 1};
    for (int i = 0; i < 6; i++) assert_true(s[i] == want[i]);
    assert_true(isnan(g[0]) && g[1] == 1);
    lb_eval_job_free(j);
    lb_io_remove_tree(out);
    /* sampling flags with samples, its fields without, and samples in sample */
    const char *bad[][4] = {{"samples", file, "top-p", "0.9"}, {"samples", file, "n", "2"},
                            {"data", file, "greedy-field", "g"}, {"samples", file, "model", "m"}};
    const char *why[] = {"--top-p does not apply to --samples FILE (the answers are the file's; "
                         "nothing is sampled)", "-n does not apply to --samples FILE",
                         "--greedy-field needs --samples FILE", "--model does not apply"};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(lb_eval_job_new(&j, &err), 0);
        assert_int_equal(lb_eval_job_set(j, bad[k][0], bad[k][1], &err), 0);
        assert_int_equal(lb_eval_job_set(j, bad[k][2], bad[k][3], &err), 0);
        assert_int_equal(lb_eval_job_set(j, "metric", "exact", &err), 0);
        assert_int_equal(lb_eval_job_set(j, "out", out, &err), 0);
        assert_int_equal(lb_eval_job_eval(j, 1, argv, NULL, NULL, &err), LB_EINVAL);
        assert_non_null(strstr(err.msg, why[k]));
        lb_eval_job_free(j);
    }
    assert_int_equal(lb_eval_job_new(&j, &err), 0);
    assert_int_equal(lb_eval_job_set(j, "samples", file, &err), 0);
    assert_int_equal(lb_eval_job_sample(j, NULL, NULL, &err), LB_EINVAL);
    assert_string_equal(err.msg, "--samples is a flag of eval, not of sample");
    lb_eval_job_free(j);
    assert_int_equal(access(out, F_OK), -1);
    lb_io_remove_tree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_opts_set),
                                       cmocka_unit_test(test_job_checks),
                                       cmocka_unit_test(test_job_sample),
                                       cmocka_unit_test(test_job_eval),
                                       cmocka_unit_test(test_flow_ranks),
                                       cmocka_unit_test(test_flag_scope),
                                       cmocka_unit_test(test_default_apply),
                                       cmocka_unit_test(test_flow_samples)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
