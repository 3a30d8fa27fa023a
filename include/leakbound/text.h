/*
 * leakbound/text.h — scoring a generation against a reference: ROUGE as rouge-score 0.1.2
 * computes it (use_stemmer=True), keyword leaks and exact match (docs/evaluation.md, 'Scores').
 *
 * Contract
 * - Text is UTF-8 given as (pointer, byte length); embedded NUL bytes are ordinary characters.
 *   Invalid UTF-8 never crashes anything: each byte that does not start a valid sequence is
 *   treated as one opaque character that is not a letter, not a digit, not whitespace and has
 *   no case; lowercasing copies it through unchanged and the stemmer counts it as a consonant.
 *   (Python, whose behaviour is the reference, never sees such bytes: JSON input is validated
 *   before it reaches here.)
 * - Lowercase means Python's str.lower(): the full Unicode lowercase mapping (utf8proc's
 *   simple mapping plus SpecialCasing's U+0130 -> "i" U+0307) and the Final_Sigma rule for
 *   U+03A3. Not case folding: "ß" stays "ß". The tables are utf8proc's (Unicode 15 in 2.8);
 *   Python 3.11 has Unicode 14, so only characters new in 15 can differ, and only as context
 *   of a capital sigma (tests/oracle/text_lower.py checks every code point).
 * - Tokens (rouge-score's tokenize with NLTK's PorterStemmer): lowercase; every maximal run of
 *   [a-z0-9] is a token; tokens longer than 3 characters are stemmed; empty results dropped.
 *   Non-ASCII letters therefore separate tokens, except where their lowercase is ASCII
 *   (U+0130 -> "i", Kelvin sign -> "k").
 * - Stemming is NLTK's PorterStemmer() in its default NLTK_EXTENSIONS mode, on code points,
 *   including its irregular-forms table and its quirks (the table is looked up with the word as
 *   given, before lowercasing; words of at most 2 code points are only lowercased).
 * - ROUGE-L: LCS of the token lists; precision = LCS/|prediction|, recall = LCS/|reference|,
 *   F = 2PR/(P+R) evaluated in that order (bit-identical to rouge-score); all three 0 when
 *   either side has no token. ROUGE-1: clipped unigram overlap over the same denominators.
 * - Keywords: a keyword leaks when its lowercase (after trimming Python-str.strip() whitespace)
 *   occurs (compared by code point) in the lowercased text, both lowercased as above; empty
 *   keywords are dropped; no keyword means no leak. Comma-separated keywords are split on every
 *   ",", then trimmed. Two modes, set per scorer:
 *     word (default)  the occurrence must have no letter or digit immediately before or after
 *                     it in the lowercased text. Letter or digit = Unicode general category
 *                     L* (Lu Ll Lt Lm Lo) or N* (Nd Nl No), from utf8proc; everything else
 *                     (blanks, punctuation, symbols, combining marks, "_", invalid bytes) is
 *                     a boundary. So "Ron" leaks into "Ron's wand" and "(ron)" but not into
 *                     "wrong" or "Ron2"; "Tom" not into "tomorrow". A keyword of several words
 *                     matches as the exact phrase (same blanks) with boundaries at its ends.
 *                     In Python's terms: re.search("(?<![^\W_])" + re.escape(kw) +
 *                     "(?![^\W_])", text) on the lowercased strings ([^\W_] = a letter or
 *                     digit: \w without the underscore).
 *     substring       any occurrence: kw in text (the behaviour of the reference HP script).
 * - Exact match: the two token lists are equal (two empty lists are equal).
 * - A scorer owns every buffer these need (token ids, LCS rows, a cache of stems) and reuses
 *   them, so scoring does not allocate per token; buffers grow only when an input is longer
 *   than any before, and the cache (amortised) when a new word appears; the cache is emptied
 *   between comparisons once it holds about a million words. One scorer per thread: a scorer is not thread-safe, distinct
 *   scorers are independent.
 */
#ifndef LEAKBOUND_TEXT_H
#define LEAKBOUND_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_text_scorer lb_text_scorer_t;

/* Precision, recall and F-measure of one ROUGE comparison. */
typedef struct lb_text_rouge {
    double precision;
    double recall;
    double fmeasure;
} lb_text_rouge_t;

/* The token list of one text: ids of stemmed tokens, equal ids <=> equal tokens. Points into
 * the scorer; valid until the scorer's next call. */
typedef struct lb_text_tokens {
    size_t n;
    const uint32_t *ids;  /* (n,) */
} lb_text_tokens_t;

/* Create a scorer. *out is freed with lb_text_scorer_free. Returns 0 or LB_ENOMEM. */
LB_API int lb_text_scorer_new(lb_text_scorer_t **out, lb_error_t *err);

/* Free a scorer and all its buffers; NULL is allowed. */
LB_API void lb_text_scorer_free(lb_text_scorer_t *s);

/* ROUGE-L and ROUGE-1 of the prediction (the generated text) against the reference (the
 * target). Returns 0, or LB_ENOMEM when a buffer could not grow (then *out is zeroed).
 * Memory (kept in the scorer for its next calls): about 4 bytes per token of each text (8 just
 * after a doubling), the stemmer's room for the longest word, the stem cache, and for ROUGE-L
 * two rows of the reference's token count; never a multiple of the texts' byte length. */
LB_API int lb_text_rouge_l(lb_text_scorer_t *s, const char *pred, size_t pred_len, const char *ref,
                           size_t ref_len, lb_text_rouge_t *out, lb_error_t *err);
/* ROUGE-1 of pred against ref; returns as lb_text_rouge_l. */
LB_API int lb_text_rouge_1(lb_text_scorer_t *s, const char *pred, size_t pred_len, const char *ref,
                           size_t ref_len, lb_text_rouge_t *out, lb_error_t *err);

/* *match = 1 when both texts give the same token list, else 0. Returns 0 or LB_ENOMEM. */
LB_API int lb_text_exact(lb_text_scorer_t *s, const char *a, size_t a_len, const char *b,
                         size_t b_len, int *match, lb_error_t *err);

/* How keywords match (see the contract). */
typedef enum lb_text_match {
    LB_TEXT_MATCH_WORD = 0,   /* on word boundaries (the default of a new scorer) */
    LB_TEXT_MATCH_SUBSTRING   /* anywhere */
} lb_text_match_t;

/* Set / read the keyword match mode of a scorer (a new scorer has LB_TEXT_MATCH_WORD). */
LB_API void lb_text_scorer_set_keyword_match(lb_text_scorer_t *s, lb_text_match_t mode);
/* The scorer's keyword match mode. */
LB_API lb_text_match_t lb_text_scorer_keyword_match(const lb_text_scorer_t *s);

/* "word" or "substring". */
LB_API const char *lb_text_match_name(lb_text_match_t mode);

/* Parse "word" or "substring" into *mode. Returns 0 or LB_EINVAL (err says what is allowed). */
LB_API int lb_text_match_parse(const char *name, lb_text_match_t *mode, lb_error_t *err);

/* *leak = 1 when any of the n_kw keywords (kw[i] of kw_len[i] bytes) leaks into text (see the
 * contract), else 0. Returns 0 or LB_ENOMEM. */
LB_API int lb_text_keywords(lb_text_scorer_t *s, const char *text, size_t text_len,
                     const char *const *kw /* (n_kw,) */, const size_t *kw_len /* (n_kw,) */,
                     size_t n_kw, int *leak, lb_error_t *err);

/* As lb_text_keywords, the keywords given as one comma-separated string (trimmed, empty ones dropped). */
LB_API int lb_text_keywords_csv(lb_text_scorer_t *s, const char *text, size_t text_len,
                                const char *csv, size_t csv_len, int *leak, lb_error_t *err);

/* Tokenise text into *out (see lb_text_tokens_t). Returns 0 or LB_ENOMEM. */
LB_API int lb_text_tokenize(lb_text_scorer_t *s, const char *text, size_t len,
                            lb_text_tokens_t *out, lb_error_t *err);

/* The characters of token id (as returned by lb_text_tokenize on this scorer since its last
 * cache reset); *len gets the byte count. Not NUL-terminated. */
LB_API const char *lb_text_token_str(const lb_text_scorer_t *s, uint32_t id, size_t *len);

/* NLTK PorterStemmer().stem(word) of one UTF-8 word; *out (not NUL-terminated, *out_len
 * bytes) points into the scorer, valid until its next call. Returns 0 or LB_ENOMEM. */
LB_API int lb_text_stem(lb_text_scorer_t *s, const char *word, size_t len, const char **out,
                        size_t *out_len, lb_error_t *err);

/* Python's str.lower() of s (len bytes) into out (cap bytes), NUL-terminated when cap > 0,
 * like snprintf: returns the byte length of the whole result, which was written in full when
 * it is < cap. out may be NULL when cap is 0 (to measure). */
LB_API size_t lb_text_lower(const char *s, size_t len, char *out, size_t cap);

/* A capacity that always suffices for lb_text_lower of len bytes, NUL included (no code
 * point's lowercase takes more than 1.5 times its UTF-8 bytes: U+0130 goes from 2 to 3). */
LB_API size_t lb_text_lower_bound(size_t len);

/* ---- many items in one call -------------------------------------------------------------- */

/* The score a metric reports (the names of `leakbound score --metric`). */
typedef enum lb_text_metric {
    LB_TEXT_ROUGEL_RECALL = 0, /* rougeL-recall: ROUGE-L recall */
    LB_TEXT_ROUGEL_F,          /* rougeL-f: ROUGE-L F-measure */
    LB_TEXT_ROUGE1_RECALL,     /* rouge1-recall */
    LB_TEXT_ROUGE1_F,          /* rouge1-f */
    LB_TEXT_EXACT              /* exact: 1 when both give the same token list, else 0 */
} lb_text_metric_t;

/* Score n (text, reference) pairs with one scorer: pair i's text is texts[text_off[i] ..
 * text_off[i+1]) and its reference refs[ref_off[i] .. ref_off[i+1]) (offsets (n+1),
 * nondecreasing; the texts packed back to back in one buffer). scores: (n) gets the metric's
 * value, bit-identical to lb_text_rouge_l / lb_text_rouge_1 / lb_text_exact on the pair alone;
 * detail: (n) or NULL gets precision, recall and F-measure (all 0 for LB_TEXT_EXACT). Returns
 * 0, LB_EINVAL for an unknown metric, or the first failing pair's error prefixed "pair I"
 * (LB_ENOMEM). */
LB_API int lb_text_score_pairs(lb_text_scorer_t *s, lb_text_metric_t metric, const char *texts,
                               const size_t *text_off, const char *refs, const size_t *ref_off,
                               size_t n, double *scores, lb_text_rouge_t *detail, lb_error_t *err);

/* Keyword leaks of n items with one scorer (its keyword match mode): item i's text is
 * texts[text_off[i] .. text_off[i+1]) and its keywords are keywords j = item_kw[i] ..
 * item_kw[i+1]-1, keyword j being kw[kw_off[j] .. kw_off[j+1]) (text_off, item_kw: (n+1);
 * kw_off: (item_kw[n]+1)). scores: (n) gets 1.0 for a leak, else 0.0, as lb_text_keywords
 * decides. One table of pointers sized for the item with the most keywords is allocated per
 * call. Returns 0, or LB_EINVAL (item_kw decreasing) / LB_ENOMEM, naming the item. */
LB_API int lb_text_keywords_pairs(lb_text_scorer_t *s, const char *texts, const size_t *text_off,
                                  size_t n, const char *kw, const size_t *kw_off,
                                  const size_t *item_kw, double *scores, lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
