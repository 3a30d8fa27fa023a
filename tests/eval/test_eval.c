/* The eval module as a library: options' defaults, loading errors, lb_eval_sample and
 * lb_eval_run on the bundled default (examples/default) with the hooks (groups, progress,
 * sampler, stopping early), and provenance. The numbers themselves are checked end to end
 * against independent oracles through `leakbound eval` (tests/oracle/sample_eval.py,
 * eval_leak.py), which runs on lb_eval_run. */
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

static void small_opts(lb_eval_opts_t *o) {
    lb_eval_opts_default(o);
    paths();
    o->model = model_dir;
    o->data = data_path;
    o->tmpl = "phi";
    o->n = 4;
    o->limit = 3;
    o->seed = 11;
    o->have_max_new = 1;
    o->max_new = 12;
    o->threads = 1;
}

static void test_defaults(void **state) {
    (void)state;
    lb_eval_opts_t o;
    lb_eval_opts_default(&o);
    assert_string_equal(o.tmpl, "raw");
    assert_int_equal(o.metric, LB_METRIC_ROUGEL_RECALL);
    assert_true(o.stats.alpha == 0.01 && o.stats.method == LB_STATS_EXACT);
    assert_true(o.stats.ed_lambda == 2.0 && o.conf_thr == 0.9 && o.n_plot == 6);
    assert_true(isnan(o.leak_threshold) && o.score.judge_threshold < 0);
    lb_score_opts_t so = lb_score_opts_default();
    assert_true(lb_eval_default_leak_threshold(LB_METRIC_ROUGEL_RECALL, &so) == 0.9);
    assert_true(lb_eval_default_leak_threshold(LB_METRIC_KEYWORDS, &so) == 1.0);
    assert_true(lb_eval_default_leak_threshold(LB_METRIC_EXACT, &so) == 1.0);
    assert_true(lb_eval_default_leak_threshold(LB_METRIC_JUDGE, &so) == 0.5);
    so.judge_threshold = 0.3;
    assert_true(lb_eval_default_leak_threshold(LB_METRIC_JUDGE, &so) == 1.0);
    lb_eval_result_t r;
    lb_eval_result_init(&r, &o);
    assert_int_equal(r.opt.n_thresholds, 1);
    assert_true(r.opt.thresholds == r.thresholds && r.thresholds[0] == 0.5);
    assert_true(r.opt.leak_threshold == 0.9 && r.ranks == 1);
    assert_string_equal(r.metric, "rougeL-recall");
}

static void test_load_errors(void **state) {
    (void)state;
    lb_eval_opts_t o;
    lb_eval_ctx_t ctx;
    lb_error_t err = {0};
    small_opts(&o);
    o.model = NULL;
    assert_int_equal(lb_eval_load(&o, &ctx, &err), LB_EINVAL);
    small_opts(&o);
    o.data = "/nonexistent/forget.jsonl";
    assert_true(lb_eval_load(&o, &ctx, &err) < 0);
    assert_non_null(strstr(err.msg, "/nonexistent/forget.jsonl"));
    assert_null(ctx.m); /* left freed */
    /* two items with one id: refused (ids key the random draws) */
    char tmp[] = "/tmp/lb_eval_dupXXXXXX.jsonl";
    int fd = mkstemps(tmp, 6);
    assert_true(fd >= 0);
    const char *two = "{\"id\": \"a\", \"question\": \"q?\", \"answer\": \"x\"}\n"
                      "{\"id\": \"a\", \"question\": \"r?\", \"answer\": \"y\"}\n";
    assert_int_equal(write(fd, two, strlen(two)), (ssize_t)strlen(two));
    close(fd);
    small_opts(&o);
    o.data = tmp;
    assert_int_equal(lb_eval_load(&o, &ctx, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "'a' is used by more than one item"));
    unlink(tmp);
}

/* What the hooks saw. */
#define MAX_GROUPS 16
typedef struct seen {
    size_t n_groups, items[MAX_GROUPS];
    char *texts[MAX_GROUPS][8];      /* (n_res,) per group, in result order */
    int idx[MAX_GROUPS][8], n_res[MAX_GROUPS];
    double scores[MAX_GROUPS][8];
    int has_scores;
    int stop_after;                  /* > 0: the group hook asks to stop after this many */
    int stop_progress;               /* the progress hook asks to stop */
    int n_progress, n_sampler;
    int n_res_expected;              /* > 0: every progress call's total is prompts x this */
    lb_sampler_progress_t last;      /* the last progress call's */
} seen_t;

static int on_group(void *user, size_t item, const lb_sample_result_t *res, int n_res,
                    const double *scores, lb_error_t *err) {
    (void)err;
    seen_t *s = user;
    size_t g = s->n_groups++;
    assert_true(g < MAX_GROUPS && n_res <= 8);
    s->items[g] = item;
    s->n_res[g] = n_res;
    s->has_scores = scores != NULL;
    for (int i = 0; i < n_res; i++) {
        s->texts[g][i] = strndup(res[i].text, res[i].text_len);
        s->idx[g][i] = res[i].index;
        if (scores) s->scores[g][i] = scores[i];
    }
    return s->stop_after > 0 && (int)s->n_groups >= s->stop_after ? 1 : 0;
}

static int on_progress(void *user, const lb_sampler_progress_t *p) {
    seen_t *s = user;
    s->n_progress++;
    /* the totals, rates and ETA are the library's: a caller only formats them */
    if (s->n_res_expected > 0)
        assert_int_equal(p->samples_total, p->prompts_total * (size_t)s->n_res_expected);
    assert_true(p->samples_done <= p->samples_total);
    assert_true(!s->last.seconds || p->samples_done >= s->last.samples_done);
    if (p->seconds > 0) {
        double t = p->seconds, done = (double)p->samples_done;
        assert_true(fabs(p->samples_per_s - done / t) <= 1e-9 * (1 + done / t));
        assert_true(fabs(p->tokens_per_s - (double)p->tokens / t) <= 1e-9 * (1 + p->tokens / t));
        double eta = done > 0 ? t * (double)(p->samples_total - p->samples_done) / done : 0;
        assert_true(fabs(p->eta_s - eta) <= 1e-9 * (1 + eta));
    }
    s->last = *p;
    return s->stop_progress;
}

static seen_t *sampler_seen;
static int counting_sampler(const lb_model_t *m, const lb_tokenizer_t *tok,
                            const lb_sampler_prompt_t *prompts, size_t n_prompts,
                            const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                            lb_sampler_progress_fn progress, void *user, lb_error_t *err) {
    sampler_seen->n_sampler++;
    return lb_sampler_run(m, tok, prompts, n_prompts, o, emit, progress, user, err);
}

/* A transport's sampler (as the MPI one): its progress carries the raw counts only. */
static lb_sampler_progress_fn raw_fn;
static void *raw_user;
static void raw_progress(void *user, const lb_sampler_progress_t *p) {
    (void)user;
    lb_sampler_progress_t q = {.prompts_done = p->prompts_done,
                               .prompts_total = p->prompts_total,
                               .samples_done = p->samples_done, .tokens = p->tokens,
                               .seconds = p->seconds};
    raw_fn(raw_user, &q);
}
static int raw_sampler(const lb_model_t *m, const lb_tokenizer_t *tok,
                       const lb_sampler_prompt_t *prompts, size_t n_prompts,
                       const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                       lb_sampler_progress_fn progress, void *user, lb_error_t *err) {
    raw_fn = progress;
    raw_user = user;
    return lb_sampler_run(m, tok, prompts, n_prompts, o, emit, raw_progress, user, err);
}

static void seen_free(seen_t *s) {
    for (size_t g = 0; g < s->n_groups; g++)
        for (int i = 0; i < s->n_res[g]; i++) free(s->texts[g][i]);
}

static const char *text_of(const seen_t *s, size_t item, int index) {
    for (size_t g = 0; g < s->n_groups; g++)
        if (s->items[g] == item)
            for (int i = 0; i < s->n_res[g]; i++)
                if (s->idx[g][i] == index) return s->texts[g][i];
    return NULL;
}

static void test_sample_and_run(void **state) {
    (void)state;
    lb_eval_opts_t o;
    lb_eval_ctx_t ctx;
    lb_error_t err = {0};
    small_opts(&o);
    o.score.strip[o.score.n_strip++] = "Answer:";
    assert_int_equal(lb_eval_load(&o, &ctx, &err), LB_OK);
    assert_int_equal(ctx.n_items, 3);
    assert_int_equal(strlen(ctx.model_sha256), 64);
    assert_int_equal(strlen(ctx.data_sha256), 64);
    assert_true(ctx.plan.total > 0 && ctx.plan.weights > 0 && ctx.plan.threads == 1);

    /* sample: every item, no greedy, no scores; then items {2, 0} only: the same texts (the
       draws are keyed by id), handed over with their item index */
    seen_t all = {.n_res_expected = 4}, sub = {.n_res_expected = 4};
    sampler_seen = &all;
    lb_eval_hooks_t h = {.user = &all, .group = on_group, .progress = on_progress,
                         .sampler = counting_sampler};
    assert_int_equal(lb_eval_sample(&ctx, NULL, 0, &h, &err), LB_OK);
    assert_int_equal(all.n_groups, 3);
    assert_int_equal(all.n_sampler, 1);
    assert_true(all.n_progress >= 1 && !all.has_scores);
    /* the last call: every answer drawn (3 items x 4), nothing left */
    assert_int_equal(all.last.samples_total, 12);
    assert_int_equal(all.last.samples_done, 12);
    assert_true(all.last.eta_s == 0 && all.last.samples_per_s > 0 && all.last.tokens_per_s > 0);
    size_t items[2] = {2, 0};
    h.user = &sub;
    h.sampler = NULL;
    assert_int_equal(lb_eval_sample(&ctx, items, 2, &h, &err), LB_OK);
    assert_int_equal(sub.n_groups, 2);
    assert_int_equal(sub.last.samples_total, 8); /* the items asked for: 2 x 4 */
    assert_int_equal(sub.last.samples_done, 8);
    for (size_t g = 0; g < sub.n_groups; g++) {
        assert_true(sub.items[g] == 2 || sub.items[g] == 0);
        for (int i = 0; i < sub.n_res[g]; i++)
            assert_string_equal(sub.texts[g][i], text_of(&all, sub.items[g], sub.idx[g][i]));
    }
    size_t bad = 3;
    assert_int_equal(lb_eval_sample(&ctx, &bad, 1, &h, &err), LB_EINVAL);

    /* run: greedy + 4 samples per item, scored; the hook's scores are the result's */
    seen_t run = {.n_res_expected = 5};
    h.user = &run;
    lb_eval_result_t r;
    lb_eval_result_init(&r, &o);
    assert_int_equal(lb_eval_run(&ctx, &o, &h, &r, &err), LB_OK);
    assert_int_equal(r.n_items, 3);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.n_done, 3);
    assert_true(run.has_scores);
    assert_int_equal(run.last.samples_total, 15); /* 3 items x (4 + greedy) */
    assert_int_equal(run.last.samples_done, 15);
    assert_true(run.last.eta_s == 0);
    /* through a transport whose progress carries only the counts: the same totals and rates */
    seen_t raw = {.n_res_expected = 5};
    h.user = &raw;
    h.sampler = raw_sampler;
    lb_eval_result_t r2;
    lb_eval_result_init(&r2, &o);
    assert_int_equal(lb_eval_run(&ctx, &o, &h, &r2, &err), LB_OK);
    assert_int_equal(raw.last.samples_total, 15);
    assert_true(raw.last.eta_s == 0 && raw.last.samples_per_s > 0);
    lb_eval_result_free(&r2);
    seen_free(&raw);
    h.sampler = NULL;
    for (size_t g = 0; g < run.n_groups; g++) {
        size_t p = run.items[g];
        assert_int_equal(run.n_res[g], 5);
        assert_string_equal(r.ids[p], ctx.ds.items[p].id);
        for (int i = 0; i < 5; i++) {
            double s = run.scores[g][i];
            assert_true(s >= 0 && s <= 1);
            if (run.idx[g][i] < 0) assert_true(r.greedy[p] == s);
            else assert_true(r.scores[p * 4 + (size_t)run.idx[g][i]] == s);
            /* the samples are those lb_eval_sample drew */
            if (run.idx[g][i] >= 0)
                assert_string_equal(run.texts[g][i], text_of(&all, p, run.idx[g][i]));
        }
    }
    /* bounds were computed: the sample mean is M_mu's centre of mass */
    assert_non_null(r.res);
    assert_non_null(r.leak);
    for (size_t p = 0; p < 3; p++) {
        double mean = 0;
        for (int i = 0; i < 4; i++) mean += r.scores[p * 4 + (size_t)i] / 4;
        assert_true(fabs(r.res[p].mean - mean) < 1e-12);
    }
    lb_eval_result_free(&r);
    assert_null(r.scores);

    /* stopping early: the group hook after one group, the progress hook at once */
    seen_t stop = {.stop_after = 1};
    h.user = &stop;
    lb_eval_result_init(&r, &o);
    assert_int_equal(lb_eval_run(&ctx, &o, &h, &r, &err), LB_ECANCELED);
    assert_int_equal(stop.n_groups, 1);
    assert_null(r.res); /* no bounds */
    lb_eval_result_free(&r);
    seen_t stop2 = {.stop_progress = 1};
    h.user = &stop2;
    assert_int_equal(lb_eval_sample(&ctx, NULL, 0, &h, &err), LB_ECANCELED);
    assert_true(stop2.n_groups <= 1);
    assert_non_null(strstr(err.msg, "stopped"));

    seen_free(&all);
    seen_free(&sub);
    seen_free(&run);
    seen_free(&stop);
    seen_free(&stop2);
    lb_eval_ctx_free(&ctx);
}

static void test_format_group(void **state) {
    (void)state;
    lb_eval_opts_t o;
    lb_eval_ctx_t ctx;
    lb_error_t err = {0};
    small_opts(&o);
    o.limit = 1;
    assert_int_equal(lb_eval_load(&o, &ctx, &err), LB_OK);
    lb_sample_result_t res[2] = {{.index = -1, .text = "a\"b", .text_len = 3, .n_tokens = 2,
                                  .finish = LB_FINISH_EOS},
                                 {.index = 0, .text = "c", .text_len = 1, .n_tokens = 1,
                                  .finish = LB_FINISH_LENGTH}};
    double sc[2] = {0.5, 1};
    char *buf = NULL;
    size_t cap = 0, len = 0;
    assert_int_equal(lb_eval_format_group(&ctx, 0, res, 2, sc, 0, &buf, &cap, &len, &err), LB_OK);
    json_error_t je;
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    json_t *l0 = json_loadb(buf, (size_t)(nl - buf), 0, &je);
    assert_non_null(l0);
    assert_string_equal(json_string_value(json_object_get(l0, "id")), ctx.ds.items[0].id);
    assert_int_equal(json_integer_value(json_object_get(l0, "sample")), -1);
    assert_string_equal(json_string_value(json_object_get(l0, "text")), "a\"b");
    assert_string_equal(json_string_value(json_object_get(l0, "prompt")), ctx.prompt_text[0]);
    assert_string_equal(json_string_value(json_object_get(l0, "finish")), "eos");
    assert_true(json_real_value(json_object_get(l0, "score")) == 0.5);
    /* field order: id, sample, prompt, question, text, ... */
    assert_true(strstr(buf, "\"id\"") < strstr(buf, "\"sample\"") &&
                strstr(buf, "\"prompt\"") < strstr(buf, "\"question\"") &&
                strstr(buf, "\"question\"") < strstr(buf, "\"text\""));
    assert_int_equal(buf[len - 1], '\n');
    json_decref(l0);
    free(buf);
    lb_eval_ctx_free(&ctx);
}

static void test_provenance(void **state) {
    (void)state;
    paths();
    char *argv[] = {"prog", "eval", "--seed", "3"};
    lb_error_t err = {0};
    json_t *p = lb_eval_provenance(4, argv, model_dir, "ab", data_path, NULL, &err);
    assert_non_null(p);
    json_t *av = json_object_get(p, "argv");
    assert_int_equal(json_array_size(av), 4);
    assert_string_equal(json_string_value(json_array_get(av, 0)), "prog");
    assert_string_equal(json_string_value(json_array_get(av, 3)), "3");
    assert_string_equal(json_string_value(json_object_get(p, "model_sha256")), "ab");
    assert_string_equal(json_string_value(json_object_get(p, "leakbound_version")), lb_version());
    /* the data file's own hash, as lb_io_sha256_file gives it */
    char hex[65];
    assert_int_equal(lb_io_sha256_file(data_path, hex, &err), LB_OK);
    assert_string_equal(json_string_value(json_object_get(p, "data_sha256")), hex);
    json_decref(p);
    assert_null(lb_eval_provenance(1, argv, "/nonexistent/model", NULL, NULL, NULL, &err));
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

/* eval --samples as library calls: keyword scores (1 when the text has the item's keyword),
 * greedy lines, the data set joined by id (its lenient CSV line reported, not printed), the
 * bounds, and the report files. */
static void test_from_samples_reports(void **state) {
    (void)state;
    char dir[] = "/tmp/lb_eval_fsXXXXXX", path[256], data[256], file[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.jsonl", dir);
    snprintf(data, sizeof data, "%s/d.csv", dir);
    write_text(path, "{\"id\": \"a\", \"sample\": -1, \"text\": \"yes\"}\n"
                     "{\"id\": \"a\", \"sample\": 0, \"text\": \"yes\"}\n"
                     "{\"id\": \"a\", \"sample\": 1, \"text\": \"no\"}\n"
                     "{\"id\": \"b\", \"sample\": 0, \"text\": \"two\"}\n"
                     "{\"id\": \"b\", \"sample\": 1, \"text\": \"two\"}\n");
    write_text(data, "id,Question,Key Words\na, \"q a\",yes\nb,q b,two\n");
    lb_eval_opts_t o;
    lb_eval_opts_default(&o);
    o.metric = LB_METRIC_KEYWORDS;
    lb_eval_result_t r;
    lb_eval_result_init(&r, &o);
    r.out_dir = dir;
    lb_score_cfg_t cfg = {.metric = LB_METRIC_KEYWORDS, .field = "keywords", .text_field = "text",
                          .id_field = "id", .prompt_field = "prompt", .path = path,
                          .opts = o.score};
    lb_eval_samples_opts_t so = {.data_path = data};
    lb_error_t err = {0};
    assert_int_equal(lb_eval_from_samples(&r, &cfg, &so, &err), LB_OK);
    assert_int_equal(r.n_items, 2);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.data_n_lenient, 1);
    assert_int_equal(r.data_lenient_line, 2);
    assert_string_equal(r.ids[0], "a");
    assert_true(r.scores[0] == 1 && r.scores[1] == 0 && r.scores[2] == 1 && r.scores[3] == 1);
    assert_true(r.greedy[0] == 1 && isnan(r.greedy[1]));
    assert_int_equal(strlen(r.samples_sha256), 64);
    assert_int_equal(lb_eval_bounds(&r, &err), LB_OK);
    assert_true(r.res[0].mean == 0.5 && r.res[1].mean == 1);
    /* the bounds sort a copy: the scores keep the sampled order */
    assert_true(r.scores[0] == 1 && r.scores[1] == 0);
    assert_int_equal(lb_eval_write_reports(&r, &err), LB_OK);
    /* a bad score (lb_stats_ragged_bounds checks every row) is named by its item */
    {
        lb_eval_result_t bad = r;
        double s3 = r.scores[3];
        r.scores[3] = NAN;
        assert_int_equal(lb_eval_bounds(&bad, &err), LB_EINVAL);
        assert_string_equal(err.msg, "item 'b': sample 1: score nan is outside [0, 1]");
        free(bad.res);
        free(bad.gen_pge);
        r.scores[3] = s3;
    }
    static const char *const files[] = {"samples.jsonl", "report.json", "report.md",
                                        "density.svg", "ecdf.svg", "ed.svg"};
    for (size_t i = 0; i < 6; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, files[i]);
        assert_int_equal(access(file, R_OK), 0);
    }
    snprintf(file, sizeof file, "%s/report.json", dir);
    json_error_t je;
    json_t *doc = json_load_file(file, 0, &je);
    assert_non_null(doc);
    json_t *prompts = json_object_get(doc, "prompts");
    assert_int_equal(json_is_array(prompts) ? json_array_size(prompts) : json_object_size(prompts), 2);
    json_decref(doc);
    /* a bad line is refused, naming FILE:LINE */
    lb_eval_result_free(&r);
    write_text(path, "{\"id\": \"a\", \"sample\": 0, \"text\": \"yes\", \"keywords\": [\"y\"]}\n"
                     "not json\n");
    lb_eval_result_init(&r, &o);
    r.out_dir = dir;
    so.data_path = NULL;
    assert_true(lb_eval_from_samples(&r, &cfg, &so, &err) < 0);
    char want[300];
    snprintf(want, sizeof want, "%s:2", path);
    assert_non_null(strstr(err.msg, want));
    lb_eval_result_free(&r);
    for (size_t i = 0; i < 6; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, files[i]);
        unlink(file);
    }
    unlink(path);
    unlink(data);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_sample_and_run), cmocka_unit_test(test_format_group),
        cmocka_unit_test(test_provenance),   cmocka_unit_test(test_from_samples_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
