/* NLTK's PorterStemmer() in its default NLTK_EXTENSIONS mode, on code points.
 *
 * Written from the algorithm as nltk/stem/porter.py (NLTK 3.8) states it; every quirk that
 * changes a result is kept on purpose and marked "NLTK:". Non-ASCII code points are
 * consonants, as in NLTK (only a, e, i, o, u and a vowel-following y are vowels). */
#include <string.h>

#include "text_internal.h"

static int is_vowel_letter(uint32_t c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/* Is w[i] a consonant? y is one at the start and after a vowel; runs of y alternate. */
static int is_cons(const uint32_t *w, size_t i) {
    if (w[i] != 'y') return !is_vowel_letter(w[i]);
    size_t j = i;
    while (j > 0 && w[j] == 'y') j--;
    int base = (w[j] == 'y') ? 1 : !is_vowel_letter(w[j]);
    return ((i - j) % 2 == 0) ? base : !base;
}

/* Porter's m of w[0..n): the number of vowel-consonant transitions. */
static size_t measure(const uint32_t *w, size_t n) {
    size_t m = 0;
    int prev = 0;
    for (size_t i = 0; i < n; i++) {
        int c;
        if (is_vowel_letter(w[i]))
            c = 0;
        else if (w[i] == 'y')
            c = i == 0 ? 1 : !prev;
        else
            c = 1;
        if (i > 0 && !prev && c) m++;
        prev = c;
    }
    return m;
}

static int contains_vowel(const uint32_t *w, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!is_cons(w, i)) return 1;
    return 0;
}

static int ends_double_cons(const uint32_t *w, size_t n) {
    return n >= 2 && w[n - 1] == w[n - 2] && is_cons(w, n - 1);
}

/* *o: consonant-vowel-consonant, the last not w, x or y; NLTK: also a 2-letter vowel-consonant. */
static int ends_cvc(const uint32_t *w, size_t n) {
    if (n >= 3 && is_cons(w, n - 3) && !is_cons(w, n - 2) && is_cons(w, n - 1) &&
        w[n - 1] != 'w' && w[n - 1] != 'x' && w[n - 1] != 'y')
        return 1;
    return n == 2 && !is_cons(w, 0) && is_cons(w, 1);
}

static int ends_with(const uint32_t *w, size_t n, const char *suf, size_t sl) {
    if (sl > n) return 0;
    for (size_t i = 0; i < sl; i++)
        if (w[n - sl + i] != (unsigned char)suf[i]) return 0;
    return 1;
}

static size_t put(uint32_t *w, size_t at, const char *rep, size_t rl) {
    for (size_t i = 0; i < rl; i++) w[at + i] = (unsigned char)rep[i];
    return at + rl;
}

enum { C_NONE, C_M0, C_M1, C_ION, C_LOGI };

typedef struct rule {
    const char *suf;
    unsigned char sl;
    const char *rep;
    unsigned char rl;
    unsigned char cond;
} rule_t;

#define R(s, r, c) {s, sizeof(s) - 1, r, sizeof(r) - 1, c}

/* _apply_rule_list: the first rule whose suffix matches decides; if its condition fails the
 * word is returned unchanged (no later rule is tried). */
static size_t apply_rules(uint32_t *w, size_t n, const rule_t *rules, size_t nr) {
    for (size_t k = 0; k < nr; k++) {
        const rule_t *r = &rules[k];
        if (!ends_with(w, n, r->suf, r->sl)) continue;
        size_t stem = n - r->sl;
        int ok;
        switch (r->cond) {
        case C_M0: ok = measure(w, stem) > 0; break;
        case C_M1: ok = measure(w, stem) > 1; break;
        case C_ION: ok = measure(w, stem) > 1 && (w[stem - 1] == 's' || w[stem - 1] == 't'); break;
        /* NLTK: the l of -logi stays with the stem for the measure (word[:-3]). */
        case C_LOGI: ok = measure(w, n - 3) > 0; break;
        default: ok = 1; break;
        }
        return ok ? put(w, stem, r->rep, r->rl) : n;
    }
    return n;
}

static size_t step1a(uint32_t *w, size_t n) {
    /* NLTK: a 4-letter -ies word keeps "ie" ("dies" -> "die"). */
    if (n == 4 && ends_with(w, n, "ies", 3)) return n - 1;
    static const rule_t rules[] = {
        R("sses", "ss", C_NONE), R("ies", "i", C_NONE), R("ss", "ss", C_NONE), R("s", "", C_NONE),
    };
    return apply_rules(w, n, rules, sizeof rules / sizeof rules[0]);
}

static size_t step1b(uint32_t *w, size_t n) {
    /* NLTK: -ied becomes -ie in 4-letter words ("died"), else -i ("spied"). */
    if (ends_with(w, n, "ied", 3)) return n == 4 ? n - 1 : n - 2;
    if (ends_with(w, n, "eed", 3)) return measure(w, n - 3) > 0 ? n - 1 : n;
    size_t m = 0;
    int ok = 0;
    if (ends_with(w, n, "ed", 2) && contains_vowel(w, n - 2)) {
        m = n - 2;
        ok = 1;
    } else if (ends_with(w, n, "ing", 3) && contains_vowel(w, n - 3)) {
        m = n - 3;
        ok = 1;
    }
    if (!ok) return n;
    if (ends_with(w, m, "at", 2) || ends_with(w, m, "bl", 2) || ends_with(w, m, "iz", 2))
        return put(w, m, "e", 1);
    uint32_t last = w[m - 1];   /* m >= 1: the stem holds a vowel */
    int keep_double = last == 'l' || last == 's' || last == 'z';
    if (ends_double_cons(w, m)) return keep_double ? m : m - 1;
    /* NLTK: its rule list names the double-consonant rule by the suffix "*d", and a stem that
     * literally ends in "*d" matches that suffix; it then becomes stem[:-2] + its last letter. */
    if (ends_with(w, m, "*d", 2)) {
        if (keep_double) return m;
        w[m - 2] = last;
        return m - 1;
    }
    if (measure(w, m) == 1 && ends_cvc(w, m)) return put(w, m, "e", 1);
    return m;
}

static size_t step1c(uint32_t *w, size_t n) {
    /* NLTK: y -> i only after a consonant that is not the first letter. */
    if (ends_with(w, n, "y", 1) && n - 1 > 1 && is_cons(w, n - 2)) w[n - 1] = 'i';
    return n;
}

static size_t step2(uint32_t *w, size_t n) {
    /* NLTK: -alli -> -al first, then step 2 again on the result. */
    while (ends_with(w, n, "alli", 4) && measure(w, n - 4) > 0) n -= 2;
    static const rule_t rules[] = {
        R("ational", "ate", C_M0), R("tional", "tion", C_M0), R("enci", "ence", C_M0),
        R("anci", "ance", C_M0),   R("izer", "ize", C_M0),    R("bli", "ble", C_M0),
        R("alli", "al", C_M0),     R("entli", "ent", C_M0),   R("eli", "e", C_M0),
        R("ousli", "ous", C_M0),   R("ization", "ize", C_M0), R("ation", "ate", C_M0),
        R("ator", "ate", C_M0),    R("alism", "al", C_M0),    R("iveness", "ive", C_M0),
        R("fulness", "ful", C_M0), R("ousness", "ous", C_M0), R("aliti", "al", C_M0),
        R("iviti", "ive", C_M0),   R("biliti", "ble", C_M0),  R("fulli", "ful", C_M0),
        R("logi", "log", C_LOGI),
    };
    return apply_rules(w, n, rules, sizeof rules / sizeof rules[0]);
}

static size_t step3(uint32_t *w, size_t n) {
    static const rule_t rules[] = {
        R("icate", "ic", C_M0), R("ative", "", C_M0), R("alize", "al", C_M0),
        R("iciti", "ic", C_M0), R("ical", "ic", C_M0), R("ful", "", C_M0), R("ness", "", C_M0),
    };
    return apply_rules(w, n, rules, sizeof rules / sizeof rules[0]);
}

static size_t step4(uint32_t *w, size_t n) {
    static const rule_t rules[] = {
        R("al", "", C_M1),    R("ance", "", C_M1), R("ence", "", C_M1), R("er", "", C_M1),
        R("ic", "", C_M1),    R("able", "", C_M1), R("ible", "", C_M1), R("ant", "", C_M1),
        R("ement", "", C_M1), R("ment", "", C_M1), R("ent", "", C_M1),  R("ion", "", C_ION),
        R("ou", "", C_M1),    R("ism", "", C_M1),  R("ate", "", C_M1),  R("iti", "", C_M1),
        R("ous", "", C_M1),   R("ive", "", C_M1),  R("ize", "", C_M1),
    };
    return apply_rules(w, n, rules, sizeof rules / sizeof rules[0]);
}

static size_t step5a(uint32_t *w, size_t n) {
    if (!ends_with(w, n, "e", 1)) return n;
    size_t m = measure(w, n - 1);
    if (m > 1 || (m == 1 && !ends_cvc(w, n - 1))) return n - 1;
    return n;
}

static size_t step5b(uint32_t *w, size_t n) {
    if (ends_with(w, n, "ll", 2) && measure(w, n - 1) > 1) return n - 1;
    return n;
}

/* NLTK's irregular forms: word -> stem, looked up with the word as given. */
static const struct {
    const char *word, *stem;
} pool[] = {
    {"sky", "sky"},        {"skies", "sky"},       {"dying", "die"},         {"lying", "lie"},
    {"tying", "tie"},      {"news", "news"},       {"innings", "inning"},    {"inning", "inning"},
    {"outings", "outing"}, {"outing", "outing"},   {"cannings", "canning"},  {"canning", "canning"},
    {"howe", "howe"},      {"proceed", "proceed"}, {"exceed", "exceed"},     {"succeed", "succeed"},
};

static int equals_ascii(const uint32_t *w, size_t n, const char *s) {
    size_t i = 0;
    for (; i < n && s[i]; i++)
        if (w[i] != (unsigned char)s[i]) return 0;
    return i == n && !s[i];
}

size_t lbi_porter_stem(const uint32_t *word, size_t n, uint32_t *buf) {
    for (size_t k = 0; k < sizeof pool / sizeof pool[0]; k++)
        if (equals_ascii(word, n, pool[k].word)) {
            size_t l = strlen(pool[k].stem);
            for (size_t i = 0; i < l; i++) buf[i] = (unsigned char)pool[k].stem[i];
            return l;
        }
    size_t m = lbi_lower_u32(word, n, buf);
    /* NLTK: words of at most 2 code points (before lowercasing) are only lowercased. */
    if (n <= 2) return m;
    m = step1a(buf, m);
    m = step1b(buf, m);
    m = step1c(buf, m);
    m = step2(buf, m);
    m = step3(buf, m);
    m = step4(buf, m);
    m = step5a(buf, m);
    m = step5b(buf, m);
    return m;
}
