/* Private to src/text: UTF-8 code points, Python's lowercase, the stemmer core, the scorer. */
#ifndef LB_TEXT_INTERNAL_H
#define LB_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "leakbound/text.h"

/* An invalid UTF-8 byte b travels as the pseudo code point LB_TEXT_BADBYTE + b (outside
 * Unicode), so that it survives lowercasing and stemming and is written back as the byte. */
#define LB_TEXT_BADBYTE 0x110000u

/* Decode one code point from s (n >= 1 bytes); *adv gets the bytes consumed (>= 1). Rejects
 * overlong forms, surrogates and values above U+10FFFF, as Python's strict UTF-8 does. */
static inline uint32_t lb__utf8_next(const unsigned char *s, size_t n, size_t *adv) {
    unsigned c = s[0];
    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *adv = 2;
        return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (c >= 0xE0 && c <= 0xEF && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        uint32_t cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
            *adv = 3;
            return cp;
        }
    }
    if (c >= 0xF0 && c <= 0xF4 && n >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        uint32_t cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
                      ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        if (cp >= 0x10000 && cp <= 0x10FFFF) {
            *adv = 4;
            return cp;
        }
    }
    *adv = 1;
    return LB_TEXT_BADBYTE + c;
}

/* Write code point c (or a LB_TEXT_BADBYTE pseudo code point) as UTF-8; returns 1..4. */
size_t lbi_utf8_put(uint32_t c, unsigned char *out);

/* Decode len bytes into out (capacity >= len code points); returns the count. */
size_t lbi_utf8_decode(const char *s, size_t len, uint32_t *out);

/* Python's full lowercase of one code point, without the Final_Sigma context: 1 or 2 code
 * points into out. */
unsigned lbi_lower_cp(uint32_t c, uint32_t out[2]);

/* Python's str.lower() over n code points into out (capacity >= 2n); returns the count. */
size_t lbi_lower_u32(const uint32_t *in, size_t n, uint32_t *out);

/* Python's str.isspace() for one code point (what str.strip() removes). */
int lbi_is_space(uint32_t c);

/* NLTK PorterStemmer().stem() of word (n code points, as given: not yet lowercased) into buf
 * (capacity >= 2n + 1 code points); returns the stem's length. */
size_t lbi_porter_stem(const uint32_t *word, size_t n, uint32_t *buf);

/* Open-addressing string table: maps a byte string to a uint32 value. A slot holds the key's
 * hash, its value and its first LB_STRTAB_INLINE bytes, so looking up a short key (most words)
 * touches one cache line; longer keys are compared against a copy in the pool. */
#define LB_STRTAB_INLINE 16

typedef struct lb__strslot {
    uint32_t hash;
    uint32_t len;        /* key length + 1, 0 = empty */
    uint32_t val;
    uint32_t off;        /* key offset into pool */
    char key[LB_STRTAB_INLINE];
} lb__strslot_t;

typedef struct lb__strent {
    uint32_t off, len;
} lb__strent_t;

typedef struct lb__strtab {
    lb__strslot_t *slots;  /* (cap,) */
    size_t cap;            /* power of two */
    size_t count;
    lb__strent_t *ent;     /* (ent_cap,) where the n-th added key sits in the pool */
    size_t ent_cap;
    char *pool;
    size_t pool_len, pool_cap;
} lb__strtab_t;

/* Above this many cached tokens the stem cache is emptied before the next comparison, so a
 * long run over an open vocabulary keeps bounded memory. */
#define LB_TEXT_CACHE_MAX (1u << 20)

/* Token ids reserved for a side before its text is read (fewer for a short text); the array
 * doubles from there as tokens come. */
#define LB_TEXT_IDS_FIRST ((size_t)1 << 12)

struct lb_text_scorer {
    /* raw lowercase token -> stem id; stem string -> stem id (id = entry index). */
    lb__strtab_t raw, stems;
    /* Token ids of the two sides of a comparison. */
    uint32_t *ids_a, *ids_b;          /* (cap_a,), (cap_b,) */
    size_t cap_a, cap_b;
    /* Per stem id counts for ROUGE-1, all zero between calls. */
    uint32_t *counts;                 /* (cap_counts,) */
    size_t cap_counts;
    /* Two LCS rows. */
    uint32_t *row;                    /* (2, cap_row) */
    size_t cap_row;
    /* Code point work space (stemming, lowercasing, keyword search). */
    uint32_t *cp;                     /* (cap_cp,) */
    size_t cap_cp;
    /* Byte work space: the token being read, stems written back as UTF-8. */
    char *tok, *bytes;                /* (cap_tok,), (cap_bytes,) */
    size_t cap_tok, cap_bytes;
    lb_text_match_t keyword_match;    /* 0 (calloc) = LB_TEXT_MATCH_WORD */
};

/* Tokenise into ids (side 0 -> ids_a, side 1 -> ids_b); returns 0 or LB_ENOMEM. */
int lbi_tokenize_side(lb_text_scorer_t *s, int side, const char *text, size_t len, size_t *n_out,
                      lb_error_t *err);

/* Size the work buffers for tokenising or stemming a text of len bytes. 0 or LB_ENOMEM. */
int lbi_ensure_work(lb_text_scorer_t *s, size_t len, lb_error_t *err);

/* Empty the stem cache when it has grown past LB_TEXT_CACHE_MAX (call between comparisons). */
void lbi_maybe_reset_cache(lb_text_scorer_t *s);

#endif
