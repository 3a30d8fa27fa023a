/* lb_score_ids_t, the one id bookkeeping of `bound` (lb_scores_read) and `eval --samples`
 * (lb_eval_from_samples), called directly: ids numbered by first appearance (past the tables'
 * first growth); one id one JSON type (1 and "1" refused both ways, "007", "-0" and 0 allowed);
 * one greedy answer per id (an identical one kept once with LB_SCORES_ALLOW_DUPLICATES, another
 * refused); one answer per (id, "sample") unless LB_SCORES_ALLOW_DUPLICATES; each refusal in
 * both readers' words, byte for byte as they word it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/score.h"

static lb_score_ids_t *book(unsigned flags, lb_score_ids_words_t words) {
    lb_score_ids_t *b = NULL;
    lb_error_t err = {0};
    assert_int_equal(lb_score_ids_new(&b, "f.jsonl", flags, words, &err), 0);
    assert_non_null(b);
    return b;
}

/* The number of string id s (NUL-terminated) on line; *is_new as the book says. */
static size_t str_id(lb_score_ids_t *b, const char *s, long line, int *is_new) {
    lb_error_t err = {0};
    size_t p = 99;
    assert_int_equal(lb_score_ids_prompt(b, 0, 0, s, strlen(s), line, &p, is_new, &err), 0);
    return p;
}

static size_t int_id(lb_score_ids_t *b, long long v, long line, int *is_new) {
    lb_error_t err = {0};
    size_t p = 99;
    assert_int_equal(lb_score_ids_prompt(b, 1, v, NULL, 0, line, &p, is_new, &err), 0);
    return p;
}

static void test_numbering(void **state) {
    (void)state;
    lb_score_ids_t *b = book(0, LB_SCORE_IDS_BOUND);
    int is_new;
    assert_int_equal(str_id(b, "a", 1, &is_new), 0);
    assert_true(is_new);
    assert_int_equal(int_id(b, 1, 2, &is_new), 1);
    assert_true(is_new);
    assert_int_equal(str_id(b, "b", 3, &is_new), 2);
    assert_int_equal(str_id(b, "a", 4, &is_new), 0);
    assert_false(is_new);
    assert_int_equal(int_id(b, 1, 5, &is_new), 1);
    assert_false(is_new);
    /* a NUL inside a string id is part of it: "a\0b" is not "a" */
    lb_error_t err = {0};
    size_t p;
    assert_int_equal(lb_score_ids_prompt(b, 0, 0, "a\0b", 3, 6, &p, &is_new, &err), 0);
    assert_int_equal(p, 3);
    assert_true(is_new);
    assert_int_equal(lb_score_ids_count(b), 4);
    assert_int_equal(lb_score_ids_first_line(b, 0), 1);
    assert_int_equal(lb_score_ids_first_line(b, 1), 2);
    assert_int_equal(lb_score_ids_first_line(b, 3), 6);
    size_t len;
    const char *k = lb_score_ids_key(b, 1, &len);
    json_int_t one = 1;
    assert_int_equal(len, 1 + sizeof one);
    assert_int_equal(k[0], 'i');
    assert_memory_equal(k + 1, &one, sizeof one);
    k = lb_score_ids_key(b, 3, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(k, "sa\0b", 4);
    /* 10,000 more ids, strings and integers in turn (the id table grows from 1,024 slots):
     * each keeps its number and first line */
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "id%d", i);
        assert_int_equal(str_id(b, name, 10 + i, &is_new), 4 + 2 * (size_t)i);
        assert_true(is_new);
        assert_int_equal(int_id(b, 100000 + i, 10 + i, &is_new), 5 + 2 * (size_t)i);
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(name, sizeof name, "id%d", i);
        assert_int_equal(str_id(b, name, 9999, &is_new), 4 + 2 * (size_t)i);
        assert_false(is_new);
        assert_int_equal(int_id(b, 100000 + i, 9999, &is_new), 5 + 2 * (size_t)i);
        assert_int_equal(lb_score_ids_first_line(b, 4 + 2 * (size_t)i), 10 + i);
    }
    assert_int_equal(lb_score_ids_count(b), 10004);
    lb_score_ids_free(b);
    lb_score_ids_free(NULL);
}

static void test_mixed_types(void **state) {
    (void)state;
    lb_score_ids_t *b = book(0, LB_SCORE_IDS_BOUND);
    lb_error_t err = {0};
    int is_new;
    size_t p;
    int_id(b, 7, 2, &is_new);
    /* refused: "7" after 7, nothing added */
    assert_int_equal(lb_score_ids_prompt(b, 0, 0, "7", 1, 4, &p, &is_new, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:4: id '7' is a string, but line 2's id 7 is an "
                                 "integer: one id must be written one way in a file, always an "
                                 "integer or always a string (mixed id types)");
    assert_int_equal(lb_score_ids_count(b), 1);
    /* allowed: other strings than the integer's digits as JSON writes them */
    str_id(b, "007", 5, &is_new);
    assert_true(is_new);
    str_id(b, "+7", 6, &is_new);
    str_id(b, "-0", 7, &is_new);
    int_id(b, 0, 8, &is_new);
    assert_true(is_new);
    str_id(b, "99999999999999999999", 9, &is_new); /* past json_int_t */
    /* refused the other way round: -5 after "-5" */
    str_id(b, "-5", 10, &is_new);
    assert_int_equal(lb_score_ids_prompt(b, 1, -5, NULL, 0, 11, &p, &is_new, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:11: id -5 is an integer, but line 10's id '-5' is a "
                                 "string: one id must be written one way in a file, always an "
                                 "integer or always a string (mixed id types)");
    lb_score_ids_free(b);
    /* `eval --samples` words it with the string quoted "..." */
    b = book(0, LB_SCORE_IDS_EVAL_SAMPLES);
    int_id(b, 1, 1, &is_new);
    assert_int_equal(lb_score_ids_prompt(b, 0, 0, "1", 1, 2, &p, &is_new, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:2: id \"1\" is a string, but line 1's id 1 is an "
                                 "integer: one id must be written one way in a file, always an "
                                 "integer or always a string (mixed id types)");
    lb_score_ids_free(b);
}

static void test_greedy(void **state) {
    (void)state;
    lb_error_t err = {0};
    int is_new, take = -1;
    double g = 0.5, same = 0.5, other = 0.25;
    /* without allow-duplicates: any second greedy answer is refused */
    lb_score_ids_t *b = book(0, LB_SCORE_IDS_BOUND);
    size_t p = str_id(b, "a", 1, &is_new);
    assert_int_equal(lb_score_ids_greedy_line(b, p), 0);
    assert_int_equal(lb_score_ids_greedy(b, p, 1, &g, sizeof g, &take, &err), 0);
    assert_int_equal(take, 1);
    assert_int_equal(lb_score_ids_greedy_line(b, p), 1);
    assert_int_equal(lb_score_ids_greedy(b, p, 3, &same, sizeof same, &take, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:3: id 'a' has a second greedy answer (\"sample\": -1; "
                                 "the first is on line 1)");
    lb_score_ids_free(b);
    /* with it: the same answer kept once, another refused */
    b = book(LB_SCORES_ALLOW_DUPLICATES, LB_SCORE_IDS_BOUND);
    p = int_id(b, 3, 1, &is_new);
    assert_int_equal(lb_score_ids_greedy(b, p, 1, &g, sizeof g, &take, &err), 0);
    assert_int_equal(take, 1);
    assert_int_equal(lb_score_ids_greedy(b, p, 2, &same, sizeof same, &take, &err), 0);
    assert_int_equal(take, 0);
    assert_int_equal(lb_score_ids_greedy_line(b, p), 1);
    assert_int_equal(lb_score_ids_greedy(b, p, 4, &other, sizeof other, &take, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:4: id 3 has a second greedy answer (\"sample\": -1; "
                                 "the first is on line 1, with another score)");
    lb_score_ids_free(b);
    /* `eval --samples`: texts */
    b = book(LB_SCORES_ALLOW_DUPLICATES, LB_SCORE_IDS_EVAL_SAMPLES);
    p = int_id(b, 3, 1, &is_new);
    size_t q = str_id(b, "q", 2, &is_new);
    assert_int_equal(lb_score_ids_greedy(b, p, 1, "yes", 3, &take, &err), 0);
    assert_int_equal(lb_score_ids_greedy(b, q, 2, "no", 2, &take, &err), 0);
    assert_int_equal(lb_score_ids_greedy(b, p, 5, "yes", 3, &take, &err), 0);
    assert_int_equal(take, 0);
    assert_int_equal(lb_score_ids_greedy(b, p, 6, "yes!", 4, &take, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:6: a second greedy answer for id '3' (the first is on "
                                 "line 1, with another text)");
    assert_int_equal(lb_score_ids_greedy(b, q, 7, "no", 2, &take, &err), 0);
    assert_int_equal(take, 0);
    lb_score_ids_free(b);
    b = book(0, LB_SCORE_IDS_EVAL_SAMPLES);
    p = str_id(b, "x", 1, &is_new);
    assert_int_equal(lb_score_ids_greedy(b, p, 1, "t", 1, &take, &err), 0);
    assert_int_equal(lb_score_ids_greedy(b, p, 2, "t", 1, &take, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:2: a second greedy answer for id 'x' (the first is on "
                                 "line 1)");
    lb_score_ids_free(b);
}

static void test_samples(void **state) {
    (void)state;
    lb_error_t err = {0};
    int is_new;
    char id[80];
    memset(id, 'x', 70);
    id[70] = 0;
    lb_score_ids_t *b = book(0, LB_SCORE_IDS_BOUND);
    size_t a = str_id(b, id, 1, &is_new), c = str_id(b, "c", 2, &is_new);
    assert_int_equal(lb_score_ids_sample(b, a, 0, 1, &err), 0);
    assert_int_equal(lb_score_ids_sample(b, c, 0, 2, &err), 0); /* another id, the same sample */
    assert_int_equal(lb_score_ids_sample(b, a, 1, 3, &err), 0);
    /* 10,000 more pairs (the pair table grows from 4,096 slots) */
    for (long long s = 2; s < 10002; s++)
        assert_int_equal(lb_score_ids_sample(b, a, s, 4, &err), 0);
    assert_int_equal(lb_score_ids_sample(b, a, 0, 9, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:9: id 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                 "xxxxxxxxxxx...', sample 0 again (first on line 1): a repeated "
                                 "answer would count twice and tighten every bound; remove the "
                                 "duplicate lines, or allow them with --allow-duplicates");
    assert_int_equal(lb_score_ids_sample(b, a, 9000, 10, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "sample 9000 again (first on line 4)"));
    lb_score_ids_free(b);
    /* `eval --samples` words it its way */
    b = book(0, LB_SCORE_IDS_EVAL_SAMPLES);
    a = str_id(b, "a", 1, &is_new);
    assert_int_equal(lb_score_ids_sample(b, a, 0, 1, &err), 0);
    assert_int_equal(lb_score_ids_sample(b, a, 0, 4, &err), LB_EINVAL);
    assert_string_equal(err.msg, "f.jsonl:4: this id and \"sample\" are already on line 1: the "
                                 "bounds assume independent samples, each counted once "
                                 "(--allow-duplicates counts repeats)");
    lb_score_ids_free(b);
    /* allow-duplicates: every repeat counts */
    b = book(LB_SCORES_ALLOW_DUPLICATES, LB_SCORE_IDS_BOUND);
    a = str_id(b, "a", 1, &is_new);
    for (int k = 0; k < 3; k++) assert_int_equal(lb_score_ids_sample(b, a, 0, 1 + k, &err), 0);
    lb_score_ids_free(b);
}

static void test_name(void **state) {
    (void)state;
    int is_new;
    char buf[96], id[80];
    memset(id, 'y', 70);
    id[70] = 0;
    lb_score_ids_t *b = book(0, LB_SCORE_IDS_BOUND);
    size_t p = str_id(b, id, 1, &is_new), q = int_id(b, -12, 2, &is_new);
    assert_string_equal(lb_score_ids_name(b, p, buf, sizeof buf),
                        "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...'");
    assert_string_equal(lb_score_ids_name(b, q, buf, sizeof buf), "-12");
    lb_score_ids_free(b);
    b = book(0, LB_SCORE_IDS_EVAL_SAMPLES);
    p = str_id(b, id, 1, &is_new);
    q = int_id(b, -12, 2, &is_new);
    assert_string_equal(lb_score_ids_name(b, p, buf, sizeof buf), id);
    assert_string_equal(lb_score_ids_name(b, q, buf, sizeof buf), "-12");
    lb_score_ids_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbering), cmocka_unit_test(test_mixed_types),
        cmocka_unit_test(test_greedy), cmocka_unit_test(test_samples),
        cmocka_unit_test(test_name)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
