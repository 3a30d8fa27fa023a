/* Unit tests for the score module's JSONL side, called as a library caller would (this test
 * links lb_score only, no src/cli): lb_scores_read groups a scores file by id in order of first
 * appearance with bit-identical values through both of its parsers (fast lines and lines with
 * escapes or nesting), and words its errors with file and line; lb_score_stream writes what
 * lb_score_line writes, line by line, in input order. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/io.h"
#include "leakbound/score.h"
#include "lb_test_tmp.h"

#define NP 5
#define PER 40

/* Deterministic scores in [0, 1] with full 53-bit mantissas (0 and 1 included now and then). */
static double draw(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t r = *s >> 11;
    if (r % 97 == 0) return 0.0;
    if (r % 89 == 0) return 1.0;
    return (double)r / 9007199254740992.0;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Prompt p's id: even p strings (p 2 with an escape, so its lines go through jansson), odd p
 * integers (negative for 3). */
static void id_json_text(size_t p, char *buf, size_t cap) {
    if (p % 2) snprintf(buf, cap, "%d", p == 3 ? -70000 : (int)p * 11);
    else if (p == 2) snprintf(buf, cap, "\"q\\u00e9%zu\"", p);
    else snprintf(buf, cap, "\"q%zu\"", p);
}

static void test_read_groups(void **state) {
    (void)state;
    double want[NP][PER];
    size_t have[NP] = {0};
    uint64_t seed = 12345;
    char path[300], id[64];
    snprintf(path, sizeof path, "%s/scores.jsonl", lb_tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* The prompts first appear in the order 3, 0, 4, 1, 2; then lines rotate through them,
     * alternating "score" lines and "scores" arrays of 1..3, some with extra fields. */
    static const size_t first[NP] = {3, 0, 4, 1, 2};
    size_t line = 0;
    for (size_t done = 0; done < NP * PER;) {
        size_t p = line < NP ? first[line] : (line * 7 + 3) % NP;
        line++;
        if (have[p] == PER) continue;
        id_json_text(p, id, sizeof id);
        size_t m = line % 2 ? 1 : 1 + line % 3;
        if (m > PER - have[p]) m = PER - have[p];
        if (line % 2) {
            double v = draw(&seed);
            want[p][have[p]++] = v;
            fprintf(f, "{\"id\": %s, \"score\": %.17g%s}\n", id, v,
                    line % 5 == 0 ? ", \"meta\": {\"k\": [1, 2]}" : "");
        } else {
            fprintf(f, "{\"sample\": %zu, \"id\": %s, \"scores\": [", line, id);
            for (size_t j = 0; j < m; j++) {
                double v = draw(&seed);
                want[p][have[p]++] = v;
                fprintf(f, "%s%.17g", j ? ", " : "", v);
            }
            fprintf(f, "]}\n%s", line % 11 == 0 ? "\n   \n" : "");
        }
        done += m;
    }
    assert_int_equal(fclose(f), 0);

    lb_scores_t s;
    lb_error_t err = {0};
    assert_int_equal(lb_scores_read(path, 0, &s, &err), 0);
    assert_int_equal(s.n_prompts, NP);
    assert_int_equal(s.n_scores, NP * PER);
    char sha[65];
    assert_int_equal(lb_io_sha256_file(path, sha, &err), 0);
    assert_string_equal(s.sha256, sha);
    assert_int_equal(s.offset[0], 0);
    for (size_t q = 0; q < NP; q++) {
        size_t p = first[q];
        assert_int_equal(s.offset[q + 1] - s.offset[q], PER);
        for (size_t j = 0; j < PER; j++)
            assert_memory_equal(&s.scores[s.offset[q] + j], &want[p][j], sizeof(double));
        json_t *got = lb_scores_id_json(&s, q);
        id_json_text(p, id, sizeof id);
        json_t *exp = json_loads(id, JSON_DECODE_ANY, NULL);
        assert_non_null(got);
        assert_non_null(exp);
        assert_true(json_equal(got, exp));
        json_decref(got);
        json_decref(exp);
    }
    lb_scores_free(&s);
    assert_null(s.scores);
    lb_scores_free(NULL);
}

static void test_read_errors(void **state) {
    (void)state;
    char path[300], want[400];
    snprintf(path, sizeof path, "%s/bad.jsonl", lb_tmpdir);
    static const struct {
        const char *text, *where;
    } cases[] = {
        {"{\"id\": 1, \"score\": 0.5}\n\n{\"id\": 1, \"score\": 1.5}\n", ":3: "},
        {"{\"id\": \"a\", \"scores\": [0.1]}\n{\"id\": \"a\", \"scores\": []}\n", ":2: "},
        {"{\"id\": 1.5, \"score\": 0.5}\n", ":1: "},
        {"{\"id\": 1, \"score\": 0.5}\n{\"id\": 1 \"score\": 0.5}\n", ":2:"},
        {"", ": empty input"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].text);
        lb_scores_t s;
        lb_error_t err = {0};
        int rc = lb_scores_read(path, 0, &s, &err);
        assert_true(rc == LB_EINVAL || rc == LB_EFORMAT);
        snprintf(want, sizeof want, "%s%s", path, cases[i].where);
        assert_memory_equal(err.msg, want, strlen(want));
        assert_int_equal(s.n_prompts, 0);
        assert_null(s.scores);
        lb_scores_free(&s);
    }
    lb_scores_t s;
    lb_error_t err = {0};
    snprintf(path, sizeof path, "%s/none.jsonl", lb_tmpdir);
    assert_int_equal(lb_scores_read(path, 0, &s, &err), LB_EIO);
    assert_non_null(strstr(err.msg, "none.jsonl: cannot open"));
}

/* lb_score_stream's output is lb_score_line's, line by line, blank lines skipped. */
static void test_stream_matches_lines(void **state) {
    (void)state;
    static const char *const lines[] = {
        "{\"id\": 1, \"text\": \"The cat sat.\", \"reference\": \"the cat sat\"}",
        "{\"id\": 2, \"text\": \"a dog\", \"reference\": \"the cat\", \"x\": [1, {}]}",
        "{\"id\": 3, \"outputs\": [\"the cat\"], \"text\": [\"cat the\", {\"text\": \"the cat\"}], "
        "\"reference\": \"the cat\"}",
        "{\"score\": 7, \"text\": \"x\", \"reference\": \"x\"}",
    };
    char path[300];
    snprintf(path, sizeof path, "%s/gen.jsonl", lb_tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < 4; i++) fprintf(f, "%s\n%s", lines[i], i == 1 ? "  \n" : "");
    assert_int_equal(fclose(f), 0);

    for (int m = 0; m < LB_METRIC_JUDGE; m++) {
        lb_score_cfg_t cfg = {.metric = (lb_metric_t)m, .text_field = "text", .id_field = "id",
                              .field = "reference", .path = path,
                              .opts = lb_score_opts_default()};
        /* expected: each line alone */
        lb_score_worker_t w = {0};
        assert_int_equal(lb_text_scorer_new(&w.scorer, NULL), 0);
        char *want = NULL, *one = NULL;
        size_t want_len = 0, one_cap = 0, one_len;
        FILE *ws = open_memstream(&want, &want_len);
        assert_non_null(ws);
        long lineno[4] = {1, 2, 4, 5};
        for (size_t i = 0; i < 4; i++) {
            lb_error_t err = {0};
            assert_int_equal(lb_score_line(&cfg, &w, lines[i], strlen(lines[i]), lineno[i], &one,
                                           &one_cap, &one_len, &err), 0);
            fwrite(one, 1, one_len, ws);
            fputc('\n', ws);
        }
        assert_int_equal(fclose(ws), 0);
        lb_text_scorer_free(w.scorer);
        free(w.kw);
        free(w.kw_len);
        free(one);

        FILE *in = fopen(path, "rb");
        char *got = NULL;
        size_t got_len = 0;
        FILE *out = open_memstream(&got, &got_len);
        assert_non_null(in);
        assert_non_null(out);
        lb_error_t err = {0};
        int rc = lb_score_stream(&cfg, in, out, NULL, NULL, &err);
        fclose(in);
        assert_int_equal(fclose(out), 0);
        assert_int_equal(rc, 0);
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
        /* every text element got its own line: 1 + 1 + 2 + 1 */
        size_t nl = 0;
        for (size_t i = 0; i < got_len; i++) nl += got[i] == '\n';
        assert_int_equal(nl, 5);
        free(got);
        free(want);
    }
}

static void test_stream_errors(void **state) {
    (void)state;
    char path[300], want[400];
    snprintf(path, sizeof path, "%s/bad.jsonl", lb_tmpdir);
    lb_score_cfg_t cfg = {.metric = LB_METRIC_EXACT, .text_field = "text", .id_field = "id",
                          .field = "reference", .path = path, .opts = lb_score_opts_default()};
    static const struct {
        const char *text, *where;
    } cases[] = {
        {"{\"text\": \"a\", \"reference\": \"a\"}\n\n{\"text\": 1, \"reference\": \"a\"}\n",
         ":3: field \"text\" is not a string"},
        {"{\"text\": \"a\", \"reference\": \"a\"}\n{\"text\":\"a\"\n", ":2:11: malformed JSON"},
        {"\n \n", ": empty input (no JSON lines)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(path, cases[i].text);
        FILE *in = fopen(path, "rb");
        char *got = NULL;
        size_t got_len = 0;
        FILE *out = open_memstream(&got, &got_len);
        lb_error_t err = {0};
        int rc = lb_score_stream(&cfg, in, out, NULL, NULL, &err);
        fclose(in);
        fclose(out);
        free(got);
        assert_true(rc == LB_EINVAL || rc == LB_EFORMAT);
        snprintf(want, sizeof want, "%s%s", path, cases[i].where);
        assert_memory_equal(err.msg, want, strlen(want));
    }
}

/* The field rule `score` and `eval --samples` share (lb_score_set_field): keywords prefers
 * --keywords-field, then --reference-field; the other metrics read --reference-field only. */
static void test_set_field(void **state) {
    (void)state;
    lb_score_cfg_t c = {.metric = LB_METRIC_KEYWORDS};
    lb_score_set_field(&c, NULL, NULL);
    assert_string_equal(c.field, "keywords");
    lb_score_set_field(&c, "ref", NULL);
    assert_string_equal(c.field, "ref");
    lb_score_set_field(&c, "ref", "kw");
    assert_string_equal(c.field, "kw");
    for (int m = 0; m < LB_METRIC_COUNT; m++) {
        if (m == LB_METRIC_KEYWORDS) continue;
        c.metric = (lb_metric_t)m;
        lb_score_set_field(&c, NULL, "kw");
        assert_string_equal(c.field, "reference");
        lb_score_set_field(&c, "ref", "kw");
        assert_string_equal(c.field, "ref");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_groups),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_stream_matches_lines),
        cmocka_unit_test(test_stream_errors),
        cmocka_unit_test(test_set_field),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
