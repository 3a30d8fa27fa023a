/* Unit tests of the text module's edge cases. The expected stems are what
 * nltk.stem.porter.PorterStemmer().stem gives (tests/oracle/text_stem.py checks all words);
 * the ROUGE values are small hand-countable cases of the definitions in docs/evaluation.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "leakbound/text.h"

static int setup(void **state) {
    lb_text_scorer_t *s;
    if (lb_text_scorer_new(&s, NULL)) return -1;
    *state = s;
    return 0;
}

static int teardown(void **state) {
    lb_text_scorer_free(*state);
    return 0;
}

static void expect_stem(lb_text_scorer_t *s, const char *word, const char *want) {
    const char *out;
    size_t n;
    assert_int_equal(lb_text_stem(s, word, strlen(word), &out, &n, NULL), 0);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
}

static void test_stem(void **state) {
    lb_text_scorer_t *s = *state;
    expect_stem(s, "caresses", "caress");
    expect_stem(s, "ponies", "poni");
    expect_stem(s, "dying", "die");          /* irregular form */
    expect_stem(s, "skies", "sky");          /* irregular form */
    expect_stem(s, "Skies", "ski");          /* NLTK looks the table up before lowercasing */
    expect_stem(s, "generalization", "gener");
    expect_stem(s, "running", "run");
    expect_stem(s, "\xc4\xb0nnings", "i\xcc\x87n");  /* İ lowercases to i + U+0307 */
    expect_stem(s, "a", "a");
    expect_stem(s, "ab*ding", "abd");        /* NLTK's literal "*d" suffix quirk */
    expect_stem(s, "", "");
    /* A long word and invalid UTF-8 must not crash; bad bytes come back unchanged. */
    size_t big = 100000;
    char *w = malloc(big);
    assert_non_null(w);
    memset(w, 'y', big);
    const char *out;
    size_t n;
    assert_int_equal(lb_text_stem(s, w, big, &out, &n, NULL), 0);
    assert_true(n > 0 && n <= big);
    free(w);
    expect_stem(s, "\xff\xfe", "\xff\xfe");
}

static void expect_lower(const char *in, size_t len, const char *want) {
    char buf[64];
    size_t n = lb_text_lower(in, len, buf, sizeof buf);
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
    assert_true(n < lb_text_lower_bound(len));
}

static void test_lower(void **state) {
    (void)state;
    expect_lower("ABC xyz", 7, "abc xyz");
    expect_lower("\xc4\xb0", 2, "i\xcc\x87");                      /* İ -> i + combining dot */
    expect_lower("\xe2\x84\xaa", 3, "k");                          /* Kelvin sign */
    expect_lower("\xc3\x9f", 2, "\xc3\x9f");                       /* ß is not case folded */
    expect_lower("\xce\x9f\xce\x94\xce\x9f\xce\xa3", 8,            /* ΟΔΟΣ -> οδος (final) */
                 "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");
    expect_lower("\xce\xa3", 2, "\xcf\x83");                       /* lone Σ -> σ */
    expect_lower("A\xff" "B", 3, "a\xff" "b");                     /* bad byte copied */
    char nul[8];                                                   /* NUL is a character */
    assert_int_equal(lb_text_lower("a\0B", 3, nul, sizeof nul), 3);
    assert_memory_equal(nul, "a\0b", 4);
    /* snprintf-like: a short buffer gets a whole prefix and the full length comes back. */
    char small[3];
    assert_int_equal(lb_text_lower("\xc4\xb0\xc4\xb0", 4, small, sizeof small), 6);
    assert_string_equal(small, "i");
    assert_int_equal(lb_text_lower("ABCDEF", 6, NULL, 0), 6);
}

static void test_tokens(void **state) {
    lb_text_scorer_t *s = *state;
    lb_text_tokens_t t;
    assert_int_equal(lb_text_tokenize(s, "", 0, &t, NULL), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(lb_text_tokenize(s, " ,;! \xe6\x9d\xb1 ", 9, &t, NULL), 0);
    assert_int_equal(t.n, 0);
    const char *txt = "\xff" "Cats, cats\xe2\x80\xa8" "CATS!x1";
    assert_int_equal(lb_text_tokenize(s, txt, strlen(txt), &t, NULL), 0);
    assert_int_equal(t.n, 4);
    assert_int_equal(t.ids[0], t.ids[1]);
    assert_int_equal(t.ids[1], t.ids[2]);
    size_t n;
    const char *str = lb_text_token_str(s, t.ids[0], &n);
    assert_int_equal(n, 3);
    assert_memory_equal(str, "cat", 3);
    str = lb_text_token_str(s, t.ids[3], &n);
    assert_int_equal(n, 2);
    assert_memory_equal(str, "x1", 2);
}

static void test_rouge(void **state) {
    lb_text_scorer_t *s = *state;
    lb_text_rouge_t r;
    assert_int_equal(lb_text_rouge_l(s, "", 0, "a b", 3, &r, NULL), 0);
    assert_true(r.precision == 0 && r.recall == 0 && r.fmeasure == 0);
    assert_int_equal(lb_text_rouge_l(s, "a b", 3, "!!", 2, &r, NULL), 0);
    assert_true(r.precision == 0 && r.recall == 0 && r.fmeasure == 0);
    assert_int_equal(lb_text_rouge_l(s, "a b c d", 7, "a c", 3, &r, NULL), 0);
    assert_true(r.precision == 0.5 && r.recall == 1.0);
    assert_true(r.fmeasure == 2 * 0.5 * 1.0 / 1.5);
    /* LCS is order-sensitive, ROUGE-1 is not. */
    assert_int_equal(lb_text_rouge_l(s, "d c b a", 7, "a b c d", 7, &r, NULL), 0);
    assert_true(r.recall == 0.25);
    assert_int_equal(lb_text_rouge_1(s, "d c b a", 7, "a b c d", 7, &r, NULL), 0);
    assert_true(r.recall == 1.0 && r.precision == 1.0 && r.fmeasure == 1.0);
    /* Clipping: three "the" in the prediction match the reference's one. */
    assert_int_equal(lb_text_rouge_1(s, "the the the", 11, "The", 3, &r, NULL), 0);
    assert_true(r.precision == 1.0 / 3 && r.recall == 1.0);
    assert_int_equal(lb_text_rouge_1(s, "", 0, "", 0, &r, NULL), 0);
    assert_true(r.precision == 0 && r.recall == 0 && r.fmeasure == 0);
    /* Stemming makes inflections meet. */
    assert_int_equal(lb_text_rouge_l(s, "running dogs", 12, "the dog runs", 12, &r, NULL), 0);
    assert_true(r.precision == 0.5 && r.recall == 1.0 / 3);
}

static void test_exact(void **state) {
    lb_text_scorer_t *s = *state;
    int m;
    assert_int_equal(lb_text_exact(s, "", 0, "", 0, &m, NULL), 0);
    assert_int_equal(m, 1);
    assert_int_equal(lb_text_exact(s, "Cats!", 5, "cat", 3, &m, NULL), 0);
    assert_int_equal(m, 1);
    assert_int_equal(lb_text_exact(s, "cat dog", 7, "dog cat", 7, &m, NULL), 0);
    assert_int_equal(m, 0);
    assert_int_equal(lb_text_exact(s, "cat", 3, "", 0, &m, NULL), 0);
    assert_int_equal(m, 0);
}

/* One keyword against one text in the scorer's current mode. */
static int kw1(lb_text_scorer_t *s, const char *text, const char *kw) {
    const char *k[1] = {kw};
    size_t kl[1] = {strlen(kw)};
    int leak = -1;
    assert_int_equal(lb_text_keywords(s, text, strlen(text), k, kl, 1, &leak, NULL), 0);
    return leak;
}

static void test_keywords_word(void **state) {
    lb_text_scorer_t *s = *state;
    assert_int_equal(lb_text_scorer_keyword_match(s), LB_TEXT_MATCH_WORD);
    assert_string_equal(lb_text_match_name(LB_TEXT_MATCH_WORD), "word");
    /* The false positives. */
    assert_int_equal(kw1(s, "that would be wrong to guess.", "Ron"), 0);
    assert_int_equal(kw1(s, "See you tomorrow", "Tom"), 0);
    assert_int_equal(kw1(s, "Ron's wand", "Ron"), 1);
    assert_int_equal(kw1(s, "(RON)", "ron"), 1);
    assert_int_equal(kw1(s, "ron", "Ron"), 1);
    assert_int_equal(kw1(s, "ron2 and ron", "Ron"), 1);   /* the second occurrence counts */
    assert_int_equal(kw1(s, "ron2", "Ron"), 0);           /* digits are word characters */
    assert_int_equal(kw1(s, "2ron", "Ron"), 0);
    assert_int_equal(kw1(s, "_ron_", "Ron"), 1);          /* "_" is not a letter or digit */
    assert_int_equal(kw1(s, "\xc3\xa9ron", "Ron"), 0);    /* é is a letter */
    assert_int_equal(kw1(s, "\xce\xb1ron", "Ron"), 0);    /* so is Greek alpha */
    assert_int_equal(kw1(s, "ron\xcc\x81", "Ron"), 1);    /* a combining mark (Mn) is not */
    assert_int_equal(kw1(s, "ron\xe2\x85\xa0", "Ron"), 0); /* Roman numeral one (Nl) is a number */
    assert_int_equal(kw1(s, "\xffron\xfe", "Ron"), 1);    /* invalid bytes are boundaries */
    /* Phrases match as a whole, with the same blanks. */
    assert_int_equal(kw1(s, "Hermione Granger's cat", "hermione granger"), 1);
    assert_int_equal(kw1(s, "Hermione  Granger", "hermione granger"), 0);
    assert_int_equal(kw1(s, "Hermione Grangers", "hermione granger"), 0);
    /* Boundaries are judged on the lowercased text: İ lowercases to i + U+0307 (Mn). */
    assert_int_equal(kw1(s, "\xc4\xb0stanbul", "i"), 1);
    assert_int_equal(kw1(s, "a - b", "-"), 1);            /* a keyword of punctuation ... */
    assert_int_equal(kw1(s, "a-b", "-"), 0);              /* ... needs boundaries too */
    int leak;
    assert_int_equal(lb_text_keywords_csv(s, "wrong, tomorrow", 15, "Ron, Tom", 8, &leak, NULL), 0);
    assert_int_equal(leak, 0);
    /* Substring mode keeps the old rule; the mode sticks to the scorer. */
    lb_text_scorer_set_keyword_match(s, LB_TEXT_MATCH_SUBSTRING);
    assert_int_equal(kw1(s, "that would be wrong to guess.", "Ron"), 1);
    assert_int_equal(kw1(s, "See you tomorrow", "Tom"), 1);
    assert_string_equal(lb_text_match_name(LB_TEXT_MATCH_SUBSTRING), "substring");
    lb_text_match_t m;
    assert_int_equal(lb_text_match_parse("substring", &m, NULL), 0);
    assert_int_equal(m, LB_TEXT_MATCH_SUBSTRING);
    assert_int_equal(lb_text_match_parse("word", &m, NULL), 0);
    assert_int_equal(m, LB_TEXT_MATCH_WORD);
    lb_error_t err;
    assert_int_equal(lb_text_match_parse("regex", &m, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "regex"));
    lb_text_scorer_set_keyword_match(s, LB_TEXT_MATCH_WORD);
}

static void test_keywords(void **state) {
    lb_text_scorer_t *s = *state;
    lb_text_scorer_set_keyword_match(s, LB_TEXT_MATCH_SUBSTRING);
    int leak = -1;
    assert_int_equal(lb_text_keywords(s, "Harry Potter", 12, NULL, NULL, 0, &leak, NULL), 0);
    assert_int_equal(leak, 0);
    const char *kw[] = {"  ", "  POTTER\t"};
    size_t kl[] = {2, 9};
    assert_int_equal(lb_text_keywords(s, "harry potter", 12, kw, kl, 1, &leak, NULL), 0);
    assert_int_equal(leak, 0);   /* a blank keyword is dropped, not "always leaks" */
    assert_int_equal(lb_text_keywords(s, "harry potter", 12, kw, kl, 2, &leak, NULL), 0);
    assert_int_equal(leak, 1);
    assert_int_equal(lb_text_keywords_csv(s, "harry potter", 12, " , ,Potter ", 11, &leak, NULL), 0);
    assert_int_equal(leak, 1);
    assert_int_equal(lb_text_keywords_csv(s, "harry potter", 12, ",,", 2, &leak, NULL), 0);
    assert_int_equal(leak, 0);
    assert_int_equal(lb_text_keywords_csv(s, "Hermione", 8, "hermione granger", 16, &leak, NULL), 0);
    assert_int_equal(leak, 0);
    /* Unicode case-insensitivity: İ in the text lowercases to i + U+0307. */
    assert_int_equal(lb_text_keywords_csv(s, "\xc4\xb0stanbul", 9, "i\xcc\x87stan", 7, &leak, NULL), 0);
    assert_int_equal(leak, 1);
    assert_int_equal(lb_text_keywords_csv(s, "", 0, "a", 1, &leak, NULL), 0);
    assert_int_equal(leak, 0);
    lb_text_scorer_set_keyword_match(s, LB_TEXT_MATCH_WORD);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stem),   cmocka_unit_test(test_lower),
        cmocka_unit_test(test_tokens), cmocka_unit_test(test_rouge),
        cmocka_unit_test(test_exact),  cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_keywords_word),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
