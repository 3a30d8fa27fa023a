/* BPE trainer unit tests on tiny corpora whose merges follow from the definitions by hand
 * (counts, non-overlapping merges, smallest-pair tie-breaking, min_frequency), the written file
 * reloaded and used, and the error contract. The comparison with a Python reference trainer and
 * with HF tokenizers lives in tests/oracle/tokenizer_train.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "leakbound/tokenizer.h"
#include "leakbound/tokenizer_train.h"

/* Train on texts (NULL-terminated) and return the tokenizer.json document. */
static char *train(const char *const *texts, size_t vocab, int64_t min_freq, size_t *n_merges) {
    lb_error_t err = {0};
    lb_bpe_train_opts_t o = {vocab, min_freq, NULL, 0};
    lb_bpe_trainer_t *t = NULL;
    assert_int_equal(lb_bpe_trainer_new(&o, &t, &err), 0);
    for (; *texts; texts++) assert_int_equal(lb_bpe_trainer_feed(t, *texts, strlen(*texts), &err), 0);
    assert_int_equal(lb_bpe_trainer_train(t, &err), 0);
    char *json;
    size_t len;
    assert_int_equal(lb_bpe_trainer_to_json(t, &json, &len, &err), 0);
    assert_int_equal(strlen(json), len);
    if (n_merges) *n_merges = lb_bpe_trainer_n_merges(t);
    lb_bpe_trainer_free(t);
    return json;
}

static void expect_merges(const char *json, const char *const *want, size_t n) {
    json_error_t je;
    json_t *doc = json_loads(json, 0, &je);
    assert_non_null(doc);
    json_t *m = json_object_get(json_object_get(doc, "model"), "merges");
    assert_int_equal(json_array_size(m), n);
    for (size_t i = 0; i < n; i++) assert_string_equal(json_string_value(json_array_get(m, i)), want[i]);
    json_decref(doc);
}

/* "aaaa": (a,a) occurs 3 times → "aa"; the word becomes [aa, aa] (left to right, non-overlapping),
 * so (aa,aa) occurs once → "aaaa". */
static void test_non_overlapping(void **state) {
    (void)state;
    const char *texts[] = {"aaaa", NULL};
    size_t nm;
    char *json = train(texts, 1 + 256 + 2, 0, &nm);
    assert_int_equal(nm, 2);
    const char *want[] = {"a a", "aa aa"};
    expect_merges(json, want, 2);
    lb_error_t err = {0};
    lb_tokenizer_t *tok = NULL;
    assert_int_equal(lb_tokenizer_load_string(json, strlen(json), "trained.json", &tok, &err), 0);
    assert_int_equal(lb_tokenizer_vocab_size(tok), 259);
    int32_t *ids;
    size_t n;
    assert_int_equal(lb_tokenizer_encode(tok, "aaaa", 4, 1, &ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 258); /* the last token learned */
    free(ids);
    /* "aaa" = [aa, a]; any byte string round-trips */
    const char *s = "aaa \xc3\xa9\xe2\x82\xac!\n<|endoftext|>";
    assert_int_equal(lb_tokenizer_encode(tok, s, strlen(s), 1, &ids, &n, &err), 0);
    assert_int_equal(ids[0], 257);
    assert_int_equal(ids[n - 1], 0); /* the special token keeps id 0 */
    char *back;
    size_t blen;
    assert_int_equal(lb_tokenizer_decode(tok, ids, n, 0, &back, &blen, &err), 0);
    assert_int_equal(blen, strlen(s));
    assert_memory_equal(back, s, blen);
    free(back);
    free(ids);
    lb_tokenizer_free(tok);
    free(json);
}

/* "ab cd": words "ab" and "Ġcd", every pair once. Byte characters are numbered in code point
 * order after the special token ('a' < 'b' < 'c' < 'd' < 'Ġ'), so ties go (a,b), (c,d), (Ġ,cd). */
static void test_ties(void **state) {
    (void)state;
    const char *texts[] = {"ab cd", NULL};
    char *json = train(texts, 1 + 256 + 3, 0, NULL);
    const char *want[] = {"a b", "c d", "\xc4\xa0 cd"};
    expect_merges(json, want, 3);
    free(json);
}

/* "ab ab": (a,b) twice, then (Ġ,ab) once: min_frequency 2 keeps only the first merge, even with
 * room left in the vocabulary; without it both are learned. */
static void test_min_frequency(void **state) {
    (void)state;
    const char *texts[] = {"ab ab", NULL};
    size_t nm;
    char *json = train(texts, 1000, 2, &nm);
    assert_int_equal(nm, 1);
    free(json);
    json = train(texts, 1000, 0, &nm);
    assert_int_equal(nm, 2);
    const char *want[] = {"a b", "\xc4\xa0 ab"};
    expect_merges(json, want, 2);
    free(json);
}

/* Counts are weighted by word frequency: "xy" three times beats "ab" twice though "ab" has
 * the smaller ids. */
static void test_frequency_wins(void **state) {
    (void)state;
    const char *texts[] = {"ab", "ab", "xy", "xy", "xy", NULL};
    char *json = train(texts, 1 + 256 + 2, 0, NULL);
    const char *want[] = {"x y", "a b"};
    expect_merges(json, want, 2);
    free(json);
}

static void test_deterministic(void **state) {
    (void)state;
    const char *texts[] = {"The author was born in Klidale.", "She writes poems; he wrote 3 novels!", NULL};
    char *a = train(texts, 300, 0, NULL), *b = train(texts, 300, 0, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_errors(void **state) {
    (void)state;
    lb_error_t err = {0};
    lb_bpe_trainer_t *t = NULL;
    lb_bpe_train_opts_t small = {256, 0, NULL, 0};
    assert_int_equal(lb_bpe_trainer_new(&small, &t, &err), LB_EINVAL);
    assert_null(t);
    assert_non_null(strstr(err.msg, "at least 257"));
    const char *dup[] = {"<x>", "<x>"};
    lb_bpe_train_opts_t twice = {400, 0, dup, 2};
    assert_int_equal(lb_bpe_trainer_new(&twice, &t, &err), LB_EINVAL);
    lb_bpe_train_opts_t o = {400, 0, NULL, 0};
    assert_int_equal(lb_bpe_trainer_new(&o, &t, &err), 0);
    assert_int_equal(lb_bpe_trainer_feed(t, "ok \xff", 4, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "byte 3"));
    char *json = NULL;
    size_t len;
    assert_int_equal(lb_bpe_trainer_to_json(t, &json, &len, &err), LB_EINVAL);
    assert_int_equal(lb_bpe_trainer_train(t, &err), 0);
    assert_int_equal(lb_bpe_trainer_train(t, &err), LB_EINVAL);
    assert_int_equal(lb_bpe_trainer_feed(t, "x", 1, &err), LB_EINVAL);
    assert_int_equal(lb_bpe_trainer_vocab_size(t), 257); /* nothing fed: bytes and the special */
    assert_int_equal(lb_bpe_trainer_feed_file(t, "/nonexistent/x.txt", &err), LB_EIO);
    lb_bpe_trainer_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_non_overlapping), cmocka_unit_test(test_ties),
        cmocka_unit_test(test_min_frequency),   cmocka_unit_test(test_frequency_wins),
        cmocka_unit_test(test_deterministic),   cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
