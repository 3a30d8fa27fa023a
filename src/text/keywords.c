/* Keyword leaks (docs/evaluation.md, 'Keyword leaks'). Substring mode: kw.strip().lower() in text.lower(), in Python's
 * terms. Word mode (the default): the same, and the occurrence has no letter or digit right
 * before or after it in the lowercased text, as Python's
 * re.search(r"(?<![^\W_])" + re.escape(kw) + r"(?![^\W_])", text) finds it. */
#include <string.h>
#include <utf8proc.h>

#include "text_internal.h"

void lb_text_scorer_set_keyword_match(lb_text_scorer_t *s, lb_text_match_t mode) {
    s->keyword_match = mode;
}

lb_text_match_t lb_text_scorer_keyword_match(const lb_text_scorer_t *s) {
    return s->keyword_match;
}

const char *lb_text_match_name(lb_text_match_t mode) {
    return mode == LB_TEXT_MATCH_SUBSTRING ? "substring" : "word";
}

/* A letter (Unicode category L*) or a digit/number (N*): what may not touch a word match.
 * Invalid-byte pseudo code points are neither. */
static int is_alnum(uint32_t c) {
    if (c > 0x10FFFF) return 0;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* Does needle (k,) occur in hay (n,) (word: with no letter or digit on either side)? Plain
 * scan: keywords are short. */
static int contains(const uint32_t *hay, size_t n, const uint32_t *needle, size_t k, int word) {
    if (k > n) return 0;
    uint32_t first = needle[0];
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == first && !memcmp(hay + i + 1, needle + 1, (k - 1) * sizeof *hay) &&
            (!word || ((i == 0 || !is_alnum(hay[i - 1])) && (i + k == n || !is_alnum(hay[i + k])))))
            return 1;
    return 0;
}

/* Lowercased text at s->cp[0..*n); the room after 3 * len code points is free for keywords. */
static int lower_text(lb_text_scorer_t *s, const char *text, size_t len, size_t max_kw, size_t *n,
                      lb_error_t *err) {
    size_t need = 3 * len + 3 * max_kw + 8;
    if (lb_grow((void **)&s->cp, &s->cap_cp, need, sizeof *s->cp))
        return lb_error_set(err, LB_ENOMEM, "out of memory for a text of %zu bytes", len);
    /* Decode into the upper part, lowercase into the lower part (at most 2 per code point). */
    uint32_t *raw = s->cp + 2 * len;
    size_t m = lbi_utf8_decode(text, len, raw);
    *n = lbi_lower_u32(raw, m, s->cp);
    return 0;
}

/* Does keyword kw (kl bytes) leak into the lowercased text s->cp[0..n)? Scratch space starts
 * at s->cp + base. */
static int keyword_leaks(lb_text_scorer_t *s, size_t n, size_t base, const char *kw, size_t kl) {
    uint32_t *raw = s->cp + base + 2 * kl, *low = s->cp + base;
    size_t m = lbi_utf8_decode(kw, kl, raw);
    size_t a = 0, b = m;
    while (a < b && lbi_is_space(raw[a])) a++;
    while (b > a && lbi_is_space(raw[b - 1])) b--;
    if (a == b) return 0;
    size_t k = lbi_lower_u32(raw + a, b - a, low);
    return contains(s->cp, n, low, k, s->keyword_match == LB_TEXT_MATCH_WORD);
}

int lb_text_keywords(lb_text_scorer_t *s, const char *text, size_t text_len,
                     const char *const *kw, const size_t *kw_len, size_t n_kw, int *leak,
                     lb_error_t *err) {
    *leak = 0;
    size_t max_kw = 0, n = 0;
    for (size_t i = 0; i < n_kw; i++)
        if (kw_len[i] > max_kw) max_kw = kw_len[i];
    int rc = lower_text(s, text, text_len, max_kw, &n, err);
    if (rc) return rc;
    for (size_t i = 0; i < n_kw && !*leak; i++)
        *leak = keyword_leaks(s, n, 3 * text_len, kw[i], kw_len[i]);
    return 0;
}

int lb_text_keywords_csv(lb_text_scorer_t *s, const char *text, size_t text_len,
                         const char *csv, size_t csv_len, int *leak, lb_error_t *err) {
    *leak = 0;
    size_t n = 0;
    int rc = lower_text(s, text, text_len, csv_len, &n, err);
    if (rc) return rc;
    size_t start = 0;
    for (size_t i = 0; i <= csv_len && !*leak; i++) {
        if (i < csv_len && csv[i] != ',') continue;
        *leak = keyword_leaks(s, n, 3 * text_len, csv + start, i - start);
        start = i + 1;
    }
    return 0;
}

int lb_text_match_parse(const char *name, lb_text_match_t *mode, lb_error_t *err) {
    if (!strcmp(name, "word")) *mode = LB_TEXT_MATCH_WORD;
    else if (!strcmp(name, "substring")) *mode = LB_TEXT_MATCH_SUBSTRING;
    else return lb_error_set(err, LB_EINVAL, "keyword match '%s': expected word or substring", name);
    return 0;
}
