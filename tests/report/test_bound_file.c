/* Unit tests for `bound` as one call: lb_report_bound_opts_default/set (bound's own flags, each
 * valid and refused with the CLI's message, the options unchanged; the stats flags passed on)
 * and lb_report_bound_file (the document equal to the pieces called one by one, provenance
 * and write called as documented, nothing written on a failure, read failures told apart). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "leakbound/io.h"
#include "leakbound/report.h"

static void refused(const char *flag, const char *value, const char *msg) {
    static lb_report_bound_opts_t o, before;
    lb_report_bound_opts_default(&o);
    lb_error_t e = {0};
    assert_int_equal(lb_report_bound_opts_set(&o, "threshold", "0.5", &e), 0);
    before = o;
    assert_int_equal(lb_report_bound_opts_set(&o, flag, value, &e), LB_EINVAL);
    assert_string_equal(e.msg, msg);
    assert_memory_equal(&o, &before, sizeof o);
}

static void test_defaults(void **state) {
    (void)state;
    static lb_report_bound_opts_t o;
    lb_stats_options_t s;
    memset(&o, 0x5a, sizeof o);
    lb_report_bound_opts_default(&o);
    lb_stats_options_default(&s);
    assert_true(o.stats.alpha == s.alpha && o.stats.method == s.method &&
                o.stats.ed_lambda == s.ed_lambda && o.stats.queries_k == s.queries_k &&
                o.stats.leak_at_k == s.leak_at_k && o.stats.leak_threshold == s.leak_threshold);
    assert_int_equal(o.stats.n_thresholds, 0);
    assert_true(o.report_above == 0.1);
    assert_int_equal(o.table, 0);
    assert_int_equal(o.read_flags, 0);
    assert_int_equal(lb_report_bound_opts_size(), sizeof o);
}

static void test_set(void **state) {
    (void)state;
    static lb_report_bound_opts_t o;
    lb_error_t e = {0};
    lb_report_bound_opts_default(&o);
    assert_int_equal(lb_report_bound_opts_set(&o, "threshold", "0.25", &e), 0);
    assert_int_equal(lb_report_bound_opts_set(&o, "threshold", "1", &e), 0);
    assert_int_equal(o.stats.n_thresholds, 2);
    assert_true(o.thresholds[0] == 0.25 && o.thresholds[1] == 1.0);
    assert_int_equal(lb_report_bound_opts_set(&o, "report-above", "0", &e), 0);
    assert_true(o.report_above == 0.0);
    assert_int_equal(lb_report_bound_opts_set(&o, "format", "table", &e), 0);
    assert_int_equal(o.table, 1);
    assert_int_equal(lb_report_bound_opts_set(&o, "format", "json", &e), 0);
    assert_int_equal(o.table, 0);
    assert_int_equal(lb_report_bound_opts_set(&o, "allow-duplicates", NULL, &e), 0);
    assert_int_equal(o.read_flags, LB_SCORES_ALLOW_DUPLICATES);
    /* the stats flags go to lb_stats_options_set */
    assert_int_equal(lb_report_bound_opts_set(&o, "alpha", "0.2", &e), 0);
    assert_int_equal(lb_report_bound_opts_set(&o, "method", "conbo", &e), 0);
    assert_int_equal(lb_report_bound_opts_set(&o, "leak-at", "4", &e), 0);
    assert_true(o.stats.alpha == 0.2);
    assert_int_equal(o.stats.method, LB_STATS_CONBO);
    assert_int_equal(o.stats.leak_at_k, 4);

    refused("threshold", "0.50", "--threshold 0.50: same key \"0.5\" as an earlier threshold");
    refused("threshold", "1.5", "--threshold: expected a number in [0, 1], got '1.5'");
    refused("report-above", "1.5", "--report-above: expected a number in [0, 1], got '1.5'");
    refused("report-above", "-0.1", "--report-above: expected a number in [0, 1], got '-0.1'");
    refused("report-above", "nan", "--report-above: expected a number in [0, 1], got 'nan'");
    refused("report-above", NULL, "--report-above: expected a number in [0, 1], got ''");
    refused("format", "csv", "--format: expected json or table, got 'csv'");
    refused("alpha", "0.7", "--alpha: expected a number in (0, 0.5], got '0.7'");
    refused("queries", "0", "--queries: expected an integer >= 1, got '0'");
    refused("bogus", "1", "unknown option 'bogus'");
    refused(NULL, "1", "no flag name given");

    /* at most LB_REPORT_BOUND_MAX_THRESHOLDS */
    lb_report_bound_opts_default(&o);
    char v[32];
    for (int i = 0; i < LB_REPORT_BOUND_MAX_THRESHOLDS; i++) {
        snprintf(v, sizeof v, "%.6f", i / 1000.0);
        assert_int_equal(lb_report_bound_opts_set(&o, "threshold", v, &e), 0);
    }
    assert_int_equal(lb_report_bound_opts_set(&o, "threshold", "0.9", &e), LB_EINVAL);
    assert_string_equal(e.msg, "at most 256 thresholds");
}

/* ---- lb_report_bound_file ---------------------------------------------------------------- */

typedef struct calls {
    int prov, writes, fail_prov, fail_write;
    char sha[65], path[256];
    char *text;
} calls_t;

static json_t *prov(void *ctx, const char *path, const char *sha256, lb_error_t *err) {
    calls_t *c = ctx;
    c->prov++;
    snprintf(c->sha, sizeof c->sha, "%s", sha256);
    snprintf(c->path, sizeof c->path, "%s", path);
    if (c->fail_prov) {
        lb_error_set(err, LB_EIO, "provenance failed");
        return NULL;
    }
    return json_pack("{s:i}", "x", 1);
}

static int collect(void *ctx, const char *text, size_t len, lb_error_t *err) {
    calls_t *c = ctx;
    c->writes++;
    if (c->fail_write) return lb_error_set(err, LB_EIO, "write failed");
    free(c->text);
    c->text = strndup(text, len);
    return 0;
}

static char *write_file(const char *body) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/lb_test_bound_file_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
    close(fd);
    return path;
}

static const char BODY[] = "{\"id\": \"a\", \"score\": 1}\n{\"id\": \"a\", \"score\": 0}\n"
                           "{\"id\": 7, \"scores\": [0.25, 0.5, 1]}\n"
                           "{\"id\": \"a\", \"score\": 1}\n";

/* the document built from the pieces, one by one, as cli_bound.c built it before */
static char *by_pieces(const char *path, const lb_report_bound_opts_t *o, json_t *provenance) {
    lb_scores_t in;
    lb_error_t e;
    assert_int_equal(lb_scores_read(path, o->read_flags, &in, &e), 0);
    lb_stats_options_t opt = o->stats;
    opt.thresholds = o->thresholds;
    lb_stats_prompt_t *res;
    assert_int_equal(lb_report_bound_prompts(&in, &opt, 1, &res, &e), 0);
    lb_report_bound_t rep = {.opt = &opt,
                             .report_above = o->report_above, .in = &in, .prompts = res,
                             .provenance = provenance};
    char *t = o->table ? lb_report_bound_table(&rep) : lb_report_bound_json(&rep);
    free(res);
    lb_scores_free(&in);
    return t;
}

static void test_file(void **state) {
    (void)state;
    static lb_report_bound_opts_t o;
    lb_error_t e = {0};
    lb_report_bound_opts_default(&o);
    assert_int_equal(lb_report_bound_opts_set(&o, "threshold", "0.5", &e), 0);
    assert_int_equal(lb_report_bound_opts_set(&o, "method", "conbo", &e), 0);
    char *path = write_file(BODY);
    calls_t c = {0};
    int rf = -1;
    assert_int_equal(lb_report_bound_file(path, &o, 2, prov, &c, collect, &c, &rf, &e), 0);
    assert_int_equal(rf, 0);
    assert_int_equal(c.prov, 1);
    assert_int_equal(c.writes, 1);
    assert_string_equal(c.path, path);
    char hex[65];
    assert_int_equal(lb_io_sha256_file(path, hex, &e), 0);
    assert_string_equal(c.sha, hex);
    json_t *p = json_pack("{s:i}", "x", 1);
    char *want = by_pieces(path, &o, p);
    json_decref(p);
    assert_string_equal(c.text, want);
    assert_non_null(strstr(c.text, "\"provenance\":{\"x\":1}"));
    free(want);

    /* no provenance callback: none in the document */
    assert_int_equal(lb_report_bound_file(path, &o, 1, NULL, NULL, collect, &c, &rf, &e), 0);
    want = by_pieces(path, &o, NULL);
    assert_string_equal(c.text, want);
    assert_null(strstr(c.text, "provenance"));
    free(want);

    /* the table: provenance not asked for */
    assert_int_equal(lb_report_bound_opts_set(&o, "format", "table", &e), 0);
    c.prov = 0;
    assert_int_equal(lb_report_bound_file(path, &o, 1, prov, &c, collect, &c, &rf, &e), 0);
    assert_int_equal(c.prov, 0);
    want = by_pieces(path, &o, NULL);
    assert_string_equal(c.text, want);
    free(want);
    o.table = 0;

    /* a failing provenance or write: its error, not an input error, nothing (more) written */
    c.writes = 0;
    c.fail_prov = 1;
    assert_int_equal(lb_report_bound_file(path, &o, 1, prov, &c, collect, &c, &rf, &e), LB_EIO);
    assert_string_equal(e.msg, "provenance failed");
    assert_int_equal(rf, 0);
    assert_int_equal(c.writes, 0);
    c.fail_prov = 0;
    c.fail_write = 1;
    assert_int_equal(lb_report_bound_file(path, &o, 1, prov, &c, collect, &c, &rf, &e), LB_EIO);
    assert_string_equal(e.msg, "write failed");
    assert_int_equal(rf, 0);
    c.fail_write = 0;
    unlink(path);

    /* bad input: read_failed, nothing called */
    char *bad = write_file("{\"id\": \"a\", \"score\": 1.5}\n");
    c.writes = c.prov = 0;
    int rc = lb_report_bound_file(bad, &o, 1, prov, &c, collect, &c, &rf, &e);
    assert_true(rc == LB_EINVAL || rc == LB_EFORMAT);
    assert_int_equal(rf, 1);
    assert_non_null(strstr(e.msg, ":1:"));
    assert_int_equal(c.writes + c.prov, 0);
    unlink(bad);
    rc = lb_report_bound_file("/nonexistent/x.jsonl", &o, 1, prov, &c, collect, &c, &rf, &e);
    assert_int_equal(rc, LB_EIO);
    assert_int_equal(rf, 1);
    /* a repeated (id, sample) pair: refused, or counted with allow-duplicates */
    char *dup = write_file("{\"id\": \"a\", \"score\": 1, \"sample\": 0}\n"
                           "{\"id\": \"a\", \"score\": 1, \"sample\": 0}\n");
    assert_int_not_equal(lb_report_bound_file(dup, &o, 1, NULL, NULL, collect, &c, &rf, &e), 0);
    assert_int_equal(rf, 1);
    assert_int_equal(lb_report_bound_opts_set(&o, "allow-duplicates", NULL, &e), 0);
    assert_int_equal(lb_report_bound_file(dup, &o, 1, NULL, NULL, collect, &c, &rf, &e), 0);
    assert_non_null(strstr(c.text, "\"n\":2"));
    unlink(dup);
    free(c.text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
