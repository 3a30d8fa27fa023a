/* Tokenizer unit tests on tiny inline tokenizer.json documents whose results follow from the
 * definitions by hand (merge ranks, added-token stripping, lossy UTF-8), plus load errors and
 * concurrent use. The Hugging Face comparisons live in tests/oracle/tokenizer_*.py. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/tokenizer.h"

static lb_tokenizer_t *load(const char *json) {
    lb_error_t err = {0};
    lb_tokenizer_t *t = NULL;
    int rc = lb_tokenizer_load_string(json, strlen(json), "inline.json", &t, &err);
    if (rc) fprintf(stderr, "load failed: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return t;
}

static void expect_ids(const lb_tokenizer_t *t, const char *text, int special, const int32_t *want, size_t n) {
    int32_t *ids;
    size_t got;
    lb_error_t err = {0};
    assert_int_equal(lb_tokenizer_encode(t, text, strlen(text), special, &ids, &got, &err), 0);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], want[i]);
    free(ids);
}

static char *decode(const lb_tokenizer_t *t, const int32_t *ids, size_t n, int skip) {
    char *s;
    size_t len;
    lb_error_t err = {0};
    assert_int_equal(lb_tokenizer_decode(t, ids, n, skip, &s, &len, &err), 0);
    assert_int_equal(strlen(s), len);
    return s;
}

#define IDS(...) ((const int32_t[]){__VA_ARGS__}), sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t)

/* Merges apply lowest rank first, whatever their position. */
static void test_merge_rank_order(void **state) {
    (void)state;
    lb_tokenizer_t *t = load("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3,"
                             " \"bc\": 4, \"abc\": 5}, \"merges\": [\"a b\", \"ab c\", \"b c\"]}}");
    expect_ids(t, "abc", 1, IDS(5));    /* a b → ab, then ab c */
    expect_ids(t, "bca", 1, IDS(4, 0)); /* only b c applies */
    lb_tokenizer_free(t);
    t = load("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3,"
             " \"bc\": 4, \"abc\": 5}, \"merges\": [[\"b\", \"c\"], [\"a\", \"b\"], [\"ab\", \"c\"]]}}");
    expect_ids(t, "abc", 1, IDS(0, 4)); /* b c first leaves a + bc, which has no merge */
    expect_ids(t, "abab", 1, IDS(3, 3));
    /* No unk token: characters outside the vocabulary vanish, as in HF, and their neighbours
     * become adjacent symbols that may merge. */
    expect_ids(t, "axb", 1, IDS(3));
    lb_tokenizer_free(t);
}

/* ignore_merges: a word that is itself in the vocabulary is emitted whole. */
static void test_ignore_merges(void **state) {
    (void)state;
    const char *doc = "{\"model\": {\"type\": \"BPE\", \"ignore_merges\": %s, \"vocab\": {\"a\": 0, \"b\": 1,"
                      " \"ab\": 2, \"abb\": 3}, \"merges\": [\"a b\"]}}";
    char buf[512];
    snprintf(buf, sizeof buf, doc, "true");
    lb_tokenizer_t *t = load(buf);
    expect_ids(t, "abb", 1, IDS(3));
    lb_tokenizer_free(t);
    snprintf(buf, sizeof buf, doc, "false");
    t = load(buf);
    expect_ids(t, "abb", 1, IDS(2, 1));
    lb_tokenizer_free(t);
}

static const char *with_specials =
    "{\"added_tokens\": ["
    "{\"id\": 10, \"content\": \"<s>\", \"special\": true, \"normalized\": false},"
    "{\"id\": 11, \"content\": \"<x>\", \"special\": true, \"normalized\": false, \"lstrip\": true, \"rstrip\": true},"
    "{\"id\": 12, \"content\": \"ab\", \"special\": false, \"normalized\": false, \"single_word\": true}],"
    " \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\","
    " \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}], \"special_tokens\": {\"<s>\":"
    " {\"id\": \"<s>\", \"ids\": [10], \"tokens\": [\"<s>\"]}}},"
    " \"model\": {\"type\": \"BPE\", \"unk_token\": \"?\", \"vocab\": {\"?\": 0, \"a\": 1, \"b\": 2, \" \": 3},"
    " \"merges\": []}}";

static void test_added_tokens_and_template(void **state) {
    (void)state;
    lb_tokenizer_t *t = load(with_specials);
    expect_ids(t, "", 1, IDS(10));                 /* empty text: only the template's BOS */
    expect_ids(t, "", 0, NULL, 0);
    expect_ids(t, "a <x> b", 0, IDS(1, 11, 2));    /* lstrip/rstrip eat the spaces around <x> */
    expect_ids(t, "ab ab", 0, IDS(12, 3, 12));     /* whole words: the added token */
    expect_ids(t, "aab", 0, IDS(1, 1, 2));         /* inside a word: not the single_word token */
    expect_ids(t, "a<s>z", 1, IDS(10, 1, 10, 0));  /* specials split out; unknown z → unk */
    char *s = decode(t, IDS(10, 1, 11, 2), 1);
    assert_string_equal(s, "a b"); /* no decoder: tokens joined with spaces, specials skipped */
    free(s);
    s = decode(t, IDS(10, 1, 11, 2), 0);
    assert_string_equal(s, "<s> a <x> b");
    free(s);
    assert_int_equal(lb_tokenizer_token_to_id(t, "<x>"), 11);
    assert_int_equal(lb_tokenizer_token_to_id(t, "b"), 2);
    assert_int_equal(lb_tokenizer_token_to_id(t, "zz"), -1);
    assert_string_equal(lb_tokenizer_id_to_token(t, 12), "ab");
    assert_null(lb_tokenizer_id_to_token(t, 5)); /* a gap in the ids */
    assert_null(lb_tokenizer_id_to_token(t, 99));
    assert_int_equal(lb_tokenizer_vocab_size(t), 7);
    assert_true(lb_tokenizer_is_special(t, 10));
    assert_false(lb_tokenizer_is_special(t, 12));
    char desc[256];
    lb_tokenizer_describe(t, desc, sizeof desc);
    assert_non_null(strstr(desc, "BPE"));
    assert_non_null(strstr(desc, "7 tokens"));
    assert_non_null(strstr(desc, "<s>=10"));
    lb_tokenizer_describe(t, desc, 8); /* truncation keeps a terminated string */
    assert_int_equal(strlen(desc), 7);
    lb_error_t err = {0};
    char *out;
    assert_int_equal(lb_tokenizer_decode(t, IDS(1, 200), 1, &out, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "position 1"));
    int32_t *ids;
    size_t n;
    assert_int_equal(lb_tokenizer_encode(t, "a\xC3(b", 4, 1, &ids, &n, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "byte 1"));
    lb_tokenizer_free(t);
}

/* Decoders: byte fallback replaces each byte of an invalid run with U+FFFD; the byte-level
 * decoder decodes lossily, one U+FFFD per maximal invalid subpart. */
static void test_lossy_decoding(void **state) {
    (void)state;
    lb_tokenizer_t *t = load("{\"decoder\": {\"type\": \"ByteFallback\"}, \"model\": {\"type\": \"BPE\","
                             " \"byte_fallback\": true, \"vocab\": {\"<0xE2>\": 0, \"<0x82>\": 1, \"<0xAC>\": 2,"
                             " \"x\": 3}, \"merges\": []}}");
    char *s = decode(t, IDS(0, 1, 2, 3), 1);
    assert_string_equal(s, "\xE2\x82\xAC" "x"); /* a complete euro sign */
    free(s);
    s = decode(t, IDS(0, 1, 3), 1);
    assert_string_equal(s, "\xEF\xBF\xBD\xEF\xBF\xBD" "x");
    free(s);
    expect_ids(t, "\xE2\x82\xAC", 1, IDS(0, 1, 2)); /* € is not in the vocabulary: its bytes */
    lb_tokenizer_free(t);
    /* "âĤ" is the byte-level spelling of E2 82: an incomplete sequence, one replacement char. */
    t = load("{\"decoder\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\":"
             " {\"\xC3\xA2\xC4\xA4\": 0, \"A\": 1, \"\xC4\x8A\": 2}, \"merges\": []}}");
    s = decode(t, IDS(1, 0, 2, 1), 1);
    assert_string_equal(s, "A\xEF\xBF\xBD\nA");
    free(s);
    lb_tokenizer_free(t);
}

static void expect_load_error(const char *json, int code, const char *m1, const char *m2) {
    lb_error_t err = {0};
    lb_tokenizer_t *t = (lb_tokenizer_t *)1;
    assert_int_equal(lb_tokenizer_load_string(json, strlen(json), "bad.json", &t, &err), code);
    assert_null(t);
    if (!strstr(err.msg, m1) || (m2 && !strstr(err.msg, m2))) fail_msg("message %s lacks %s / %s", err.msg, m1, m2);
}

static void test_load_errors(void **state) {
    (void)state;
    expect_load_error("{\"model\": ", LB_EFORMAT, "bad.json:1:", NULL);
    expect_load_error("[]", LB_EFORMAT, "bad.json", "object");
    expect_load_error("{}", LB_EFORMAT, "bad.json", "model");
    expect_load_error("{\"model\": {\"type\": \"Unigram\"}}", LB_EUNSUPPORTED, "bad.json", "Unigram");
    expect_load_error("{\"model\": {\"vocab\": {\"a\": \"x\"}, \"merges\": []}}", LB_EFORMAT, "bad.json",
                      "model.vocab[\"a\"]");
    expect_load_error("{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [\"ab\"]}}", LB_EFORMAT, "merges[0]", NULL);
    expect_load_error("{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [\"a a\"]}}", LB_EFORMAT, "merges[0]",
                      "missing");
    expect_load_error("{\"normalizer\": {\"type\": \"BertNormalizer\"}, \"model\": {\"vocab\": {}, \"merges\": []}}",
                      LB_EUNSUPPORTED, "bad.json", "BertNormalizer");
    expect_load_error("{\"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"CTC\"}]},"
                      " \"model\": {\"vocab\": {}, \"merges\": []}}", LB_EUNSUPPORTED, "bad.json", "CTC");
    expect_load_error("{\"post_processor\": {\"type\": \"BertProcessing\"}, \"model\": {\"vocab\": {},"
                      " \"merges\": []}}", LB_EUNSUPPORTED, "bad.json", "BertProcessing");
    expect_load_error("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\":"
                      " \"Isolated\"}, \"model\": {\"vocab\": {}, \"merges\": []}}", LB_EUNSUPPORTED, "bad.json", "regex");
    expect_load_error("{\"model\": {\"unk_token\": \"?\", \"vocab\": {}, \"merges\": []}}", LB_EFORMAT, "bad.json",
                      "unk_token");
    /* Ids are bounded (found by tests/fuzz: id 2^31 - 1 overflowed the id table's size). */
    expect_load_error("{\"added_tokens\": [{\"id\": 2147483647, \"content\": \"<big>\"}],"
                      " \"model\": {\"vocab\": {\"a\": 0}, \"merges\": []}}", LB_EFORMAT, "added_tokens[0]",
                      "16777215");
    expect_load_error("{\"model\": {\"vocab\": {\"a\": 16777216}, \"merges\": []}}", LB_EFORMAT,
                      "model.vocab[\"a\"]", "16777215");
    expect_load_error("{\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\":"
                      " {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
                      " \"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [-5], \"tokens\": [\"<s>\"]}}},"
                      " \"model\": {\"vocab\": {\"a\": 0}, \"merges\": []}}", LB_EFORMAT, "TemplateProcessing",
                      "\"<s>\"");
    lb_error_t err = {0};
    lb_tokenizer_t *t;
    assert_int_not_equal(lb_tokenizer_load("/nonexistent/tokenizer.json", &t, &err), 0);
    assert_non_null(strstr(err.msg, "/nonexistent/tokenizer.json"));
}

/* The BPE cache is shared: concurrent encodes must agree with a single-threaded run. */
typedef struct {
    const lb_tokenizer_t *t;
    int ok;
} job_t;

static const char *WORDS[] = {"abc", "bca", "cab", "aabbcc", "abcabc", "cba", "a", "bb", "ccc", "acb"};

static void *worker(void *arg) {
    job_t *j = arg;
    j->ok = 1;
    for (int rep = 0; rep < 2000; rep++) {
        const char *w = WORDS[rep % 10];
        int32_t *ids;
        size_t n;
        if (lb_tokenizer_encode(j->t, w, strlen(w), 0, &ids, &n, NULL)) {
            j->ok = 0;
            return NULL;
        }
        char *s = NULL;
        if (lb_tokenizer_decode(j->t, ids, n, 1, &s, NULL, NULL) || strcmp(s, w)) j->ok = 0;
        free(s);
        free(ids);
    }
    return NULL;
}

static void test_concurrent_encode(void **state) {
    (void)state;
    lb_tokenizer_t *t = load("{\"decoder\": {\"type\": \"Fuse\"}, \"model\": {\"type\": \"BPE\", \"vocab\":"
                             " {\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3, \"bc\": 4, \"abc\": 5, \"ca\": 6},"
                             " \"merges\": [\"a b\", \"ab c\", \"b c\", \"c a\"]}}");
    pthread_t th[4];
    job_t jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job_t){t, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(jobs[i].ok);
    }
    lb_tokenizer_free(t);
}

/* A file's regex cannot make encoding take unbounded time: one regex search covers at most
 * 64 KiB of text (before: a(?=[^c]*c) ran quadratically, 200k characters took seconds), and
 * catastrophic backtracking stops at the match limit; both are errors naming the pattern. */
static void test_regex_limits(void **state) {
    (void)state;
    lb_tokenizer_t *t = load("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"c\": 1, \"b\": 2}, \"merges\": []},"
                             " \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"a(?=[^c]*c)\"},"
                             " \"behavior\": \"Isolated\", \"invert\": false}}");
    expect_ids(t, "aac", 1, IDS(0, 0, 1));
    size_t n = 200000;
    char *text = malloc(n + 1);
    assert_non_null(text);
    memset(text, 'a', n);
    text[n] = '\0';
    int32_t *ids = NULL;
    size_t got;
    lb_error_t err = {0};
    assert_int_equal(lb_tokenizer_encode(t, text, n, 1, &ids, &got, &err), LB_EINVAL);
    assert_null(ids);
    if (!strstr(err.msg, "200000 bytes") || !strstr(err.msg, "65536") || !strstr(err.msg, "a(?=[^c]*c)"))
        fail_msg("message: %s", err.msg);
    /* At the limit it still works ("acac...": each lookahead ends at the next c). */
    for (size_t i = 1; i < 65536; i += 2) text[i] = 'c';
    assert_int_equal(lb_tokenizer_encode(t, text, 65536, 1, &ids, &got, &err), 0);
    assert_int_equal(got, 65536);
    free(ids);
    lb_tokenizer_free(t);
    t = load("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"c\": 1, \"b\": 2}, \"merges\": []},"
             " \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(a|aa)+\\\\d\"},"
             " \"behavior\": \"Isolated\", \"invert\": false}}");
    expect_ids(t, "aa", 1, IDS(0, 0));
    memset(text, 'a', 60);
    text[60] = '\0';
    assert_int_equal(lb_tokenizer_encode(t, text, 60, 1, &ids, &got, &err), LB_EINVAL);
    if (!strstr(err.msg, "(a|aa)+\\d") || !strstr(err.msg, "match limit"))
        fail_msg("message: %s", err.msg);
    free(text);
    lb_tokenizer_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_rank_order),
        cmocka_unit_test(test_ignore_merges),
        cmocka_unit_test(test_added_tokens_and_template),
        cmocka_unit_test(test_lossy_decoding),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_concurrent_encode),
        cmocka_unit_test(test_regex_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
