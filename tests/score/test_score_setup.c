/* Unit tests for the score module's setup, called as a library caller would (links lb_score
 * only): lb_score_opts_set reads every scoring flag by name with the CLI's messages and ranges
 * and leaves the options unchanged on a refusal; lb_score_judge_open refuses a missing --judge;
 * lb_score_cfg_default's fields, and a zeroed lb_score_cfg_t scoring as the defaults do in
 * lb_score_line and lb_score_stream; lb_score_stream seeding jansson's hash itself, before its
 * threads (json_object_seed is interposed here to count the calls). */
#include <dlfcn.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/score.h"

/* ---- jansson's seed, interposed: count the calls, then seed as jansson does ---- */

static int seed_calls;

void json_object_seed(size_t seed) {
    seed_calls++;
    void (*real)(size_t) = (void (*)(size_t))dlsym(RTLD_NEXT, "json_object_seed");
    if (real) real(seed);
}

/* Run lb_score_stream on text with cfg; the output (malloc'd) in *out. */
static int stream(const lb_score_cfg_t *cfg, const char *text, char **out, lb_error_t *err) {
    FILE *in = fmemopen((void *)text, strlen(text), "rb");
    size_t len = 0;
    FILE *o = open_memstream(out, &len);
    assert_non_null(in);
    assert_non_null(o);
    int rc = lb_score_stream(cfg, in, o, NULL, NULL, err);
    fclose(in);
    assert_int_equal(fclose(o), 0);
    return rc;
}

static void test_stream_seeds(void **state) {
    (void)state;
    seed_calls = 0;
    lb_score_cfg_t cfg = lb_score_cfg_default(LB_METRIC_EXACT);
    char *out = NULL;
    lb_error_t err = {0};
    assert_int_equal(stream(&cfg, "{\"text\": \"a\", \"reference\": \"a\"}\n", &out, &err), 0);
    free(out);
    assert_int_equal(seed_calls, 1);
}

/* ---- lb_score_opts_set ---- */

static void test_opts_set(void **state) {
    (void)state;
    lb_score_opts_t o = lb_score_opts_default();
    lb_score_judge_cfg_t j = {0};
    lb_error_t err = {0};
    assert_int_equal(lb_score_opts_set(&o, &j, "keyword-match", "substring", &err), 0);
    assert_int_equal(o.keyword_match, LB_TEXT_MATCH_SUBSTRING);
    assert_int_equal(lb_score_opts_set(&o, &j, "strip-prefix", "Answer:", &err), 0);
    assert_int_equal(lb_score_opts_set(&o, &j, "strip-prefix", "", &err), 0); /* nothing */
    assert_int_equal(lb_score_opts_set(&o, &j, "strip-prefix", NULL, &err), 0);
    assert_int_equal(o.n_strip, 1);
    assert_string_equal(o.strip[0], "Answer:");
    assert_int_equal(lb_score_opts_set(&o, &j, "judge-threshold", "0.25", &err), 0);
    assert_true(o.judge_threshold == 0.25);
    assert_int_equal(lb_score_opts_set(&o, &j, "judge-threshold", "1", &err), 0);
    assert_true(o.judge_threshold == 1);
    assert_int_equal(lb_score_opts_set(&o, &j, "judge", "jdir", &err), 0);
    assert_int_equal(lb_score_opts_set(&o, &j, "judge-template", "T {response}", &err), 0);
    assert_int_equal(lb_score_opts_set(&o, &j, "judge-labels", "yes,no", &err), 0);
    assert_int_equal(lb_score_opts_set(&o, &j, "judge-tokenizer", "tok.json", &err), 0);
    assert_int_equal(lb_score_opts_set(&o, &j, "judge-batch", "4096", &err), 0);
    assert_string_equal(j.dir, "jdir");
    assert_string_equal(j.opts.tmpl, "T {response}");
    assert_string_equal(j.opts.labels, "yes,no");
    assert_string_equal(j.opts.tokenizer, "tok.json");
    assert_int_equal(j.opts.batch, 4096);

    /* refusals: the CLI's words, nothing changed */
    static const struct {
        const char *flag, *value, *msg;
    } bad[] = {
        {"keyword-match", "fuzzy", "--keyword-match: expected word or substring, got 'fuzzy'"},
        {"judge-threshold", "1.5", "--judge-threshold: expected a number in [0, 1], got '1.5'"},
        {"judge-threshold", "-0.1", "--judge-threshold: expected a number in [0, 1], got '-0.1'"},
        {"judge-threshold", "nan", "--judge-threshold: expected a number in [0, 1], got 'nan'"},
        {"judge-threshold", "", "--judge-threshold: expected a number in [0, 1], got ''"},
        {"judge-batch", "0", "--judge-batch: expected an integer in [1, 4096], got '0'"},
        {"judge-batch", "4097", "--judge-batch: expected an integer in [1, 4096], got '4097'"},
        {"judge-batch", "2x", "--judge-batch: expected an integer in [1, 4096], got '2x'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_score_opts_t o2 = o;
        lb_score_judge_cfg_t j2 = j;
        lb_error_t e = {0};
        assert_int_equal(lb_score_opts_set(&o2, &j2, bad[i].flag, bad[i].value, &e), LB_EINVAL);
        assert_string_equal(e.msg, bad[i].msg);
        assert_memory_equal(&o2, &o, sizeof o);
        assert_memory_equal(&j2, &j, sizeof j);
    }
    /* at most LB_SCORE_MAX_STRIP prefixes */
    for (int i = 1; i < LB_SCORE_MAX_STRIP; i++)
        assert_int_equal(lb_score_opts_set(&o, &j, "strip-prefix", "x", &err), 0);
    assert_int_equal(lb_score_opts_set(&o, &j, "strip-prefix", "y", &err), LB_EINVAL);
    assert_string_equal(err.msg, "--strip-prefix: at most 16 strings");
    assert_int_equal(o.n_strip, LB_SCORE_MAX_STRIP);

    /* not a scoring flag: 1, nothing touched (without j the judge's flags are not either) */
    lb_error_t e = {.code = 7, .msg = "kept"};
    lb_score_opts_t o3 = o;
    assert_int_equal(lb_score_opts_set(&o3, &j, "metric", "exact", &e), 1);
    assert_int_equal(lb_score_opts_set(&o3, &j, NULL, "x", &e), 1);
    assert_int_equal(lb_score_opts_set(&o3, NULL, "judge", "x", &e), 1);
    assert_int_equal(lb_score_opts_set(&o3, NULL, "judge-batch", "0", &e), 1);
    assert_int_equal(e.code, 7);
    assert_string_equal(e.msg, "kept");
    assert_memory_equal(&o3, &o, sizeof o);
    assert_int_equal(lb_score_opts_set(&o3, NULL, "judge-threshold", "0.5", &e), 0);
}

static void test_judge_open(void **state) {
    (void)state;
    lb_score_judge_cfg_t j = {0};
    lb_judge_t *judge = (lb_judge_t *)&j;
    lb_error_t err = {0};
    assert_int_equal(lb_score_judge_open(&j, &judge, &err), LB_EINVAL);
    assert_null(judge);
    assert_string_equal(err.msg, "--metric judge needs --judge DIR (the judge model)");
    j.dir = "/nonexistent/judge-folder";
    assert_int_not_equal(lb_score_judge_open(&j, &judge, &err), 0);
    assert_null(judge);
    assert_non_null(strstr(err.msg, "/nonexistent/judge-folder"));
}

/* ---- lb_score_cfg_default and a zeroed cfg ---- */

static void test_cfg_default(void **state) {
    (void)state;
    for (int m = 0; m < LB_METRIC_COUNT; m++) {
        lb_score_cfg_t c = lb_score_cfg_default((lb_metric_t)m);
        assert_int_equal(c.metric, m);
        assert_string_equal(c.field, m == LB_METRIC_KEYWORDS ? "keywords" : "reference");
        assert_string_equal(c.text_field, "text");
        assert_string_equal(c.id_field, "id");
        assert_string_equal(c.path, "<input>");
        assert_null(c.prompt_field);
        lb_score_opts_t d = lb_score_opts_default();
        assert_memory_equal(&c.opts, &d, sizeof d);
    }
    /* a zeroed cfg (rougeL-recall) scores as the defaults do, line by line and as a stream */
    static const char text[] =
        "{\"id\": 1, \"text\": \"the cat sat\", \"reference\": \"the cat\"}\n"
        "{\"id\": 2, \"text\": [\"a dog\", {\"text\": \"the cat\"}], \"reference\": \"the cat\"}\n";
    lb_score_cfg_t zero = {0}, def = lb_score_cfg_default(LB_METRIC_ROUGEL_RECALL);
    zero.opts = lb_score_opts_default();
    char *a = NULL, *b = NULL;
    lb_error_t err = {0};
    assert_int_equal(stream(&def, text, &a, &err), 0);
    assert_int_equal(stream(&zero, text, &b, &err), 0);
    assert_string_equal(b, a);
    assert_non_null(strstr(a, "{\"id\":2,\"sample\":1,\"text\":\"the cat\""));
    free(a);
    free(b);

    lb_score_worker_t w = {0};
    assert_int_equal(lb_text_scorer_new(&w.scorer, NULL), 0);
    char *out = NULL;
    size_t cap = 0, len = 0;
    const char *line = "{\"text\": \"the cat\", \"reference\": \"the cat\"}";
    assert_int_equal(lb_score_line(&zero, &w, line, strlen(line), 3, &out, &cap, &len, &err), 0);
    assert_non_null(strstr(out, "\"score\":1.0,"));
    double s = -1;
    json_t *obj = json_loads(line, 0, NULL);
    assert_int_equal(lb_score_text(&zero, &w, 3, obj, "the", 3, &s, &err), 0);
    assert_true(s == 0.5);
    json_decref(obj);
    /* messages name "<input>" */
    const char *bad = "{\"text\": \"the cat\"}";
    assert_int_equal(lb_score_line(&zero, &w, bad, strlen(bad), 3, &out, &cap, &len, &err),
                     LB_EINVAL);
    assert_string_equal(err.msg, "<input>:3: missing field \"reference\"");
    free(out);
    lb_text_scorer_free(w.scorer);
    free(w.kw);
    free(w.kw_len);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_seeds),
        cmocka_unit_test(test_opts_set),
        cmocka_unit_test(test_judge_open),
        cmocka_unit_test(test_cfg_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
