/* The scorer object and rouge-score's tokenisation (lowercase, [a-z0-9] runs, Porter stems),
 * with a cache from raw token to stem id so that each distinct word is stemmed once. */
#include <stdlib.h>
#include <string.h>

#include "strtab.h"
#include "text_internal.h"

int lb_text_scorer_new(lb_text_scorer_t **out, lb_error_t *err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return lb_error_set(err, LB_ENOMEM, "out of memory creating a text scorer");
    return 0;
}

void lb_text_scorer_free(lb_text_scorer_t *s) {
    if (!s) return;
    lbi_strtab_free(&s->raw);
    lbi_strtab_free(&s->stems);
    free(s->ids_a);
    free(s->ids_b);
    free(s->counts);
    free(s->row);
    free(s->cp);
    free(s->tok);
    free(s->bytes);
    free(s);
}

int lbi_ensure_work(lb_text_scorer_t *s, size_t len, lb_error_t *err) {
    /* Stemming a word of n code points needs n (decoded) + 2n + 1 (lowercased, stemmed)
     * code points and up to 4 bytes for each of the latter. */
    if (lb_grow((void **)&s->cp, &s->cap_cp, 3 * len + 8, sizeof *s->cp) ||
        lb_grow((void **)&s->tok, &s->cap_tok, len + 8, 1) ||
        lb_grow((void **)&s->bytes, &s->cap_bytes, 8 * len + 8, 1))
        return lb_error_set(err, LB_ENOMEM, "out of memory for a text of %zu bytes", len);
    return 0;
}

void lbi_maybe_reset_cache(lb_text_scorer_t *s) {
    if (s->raw.count <= LB_TEXT_CACHE_MAX) return;
    lbi_strtab_clear(&s->raw);
    lbi_strtab_clear(&s->stems);
}

/* Stem id of one raw token (lowercase [a-z0-9]+), through the cache. -1 on out of memory.
 * The stemmer's work space is sized by this token (n + 2n + 1 code points, 2n + 1 bytes), so
 * it follows the longest word seen, not the length of the text. */
static long token_id(lb_text_scorer_t *s, const char *tok, size_t n) {
    uint32_t h = lbi_strtab_hash(tok, n);
    long e = lbi_strtab_find(&s->raw, tok, n, h);
    if (e >= 0) return e;
    const char *stem = tok;
    size_t sl = n;
    if (n > 3) {
        if (lb_grow((void **)&s->cp, &s->cap_cp, 3 * n + 8, sizeof *s->cp) ||
            lb_grow((void **)&s->bytes, &s->cap_bytes, 2 * n + 8, 1))
            return -1;
        uint32_t *w = s->cp, *buf = s->cp + n;
        for (size_t i = 0; i < n; i++) w[i] = (unsigned char)tok[i];
        sl = lbi_porter_stem(w, n, buf);
        for (size_t i = 0; i < sl; i++) s->bytes[i] = (char)buf[i];
        stem = s->bytes;
    }
    long id;
    if (sl == 0) {
        id = UINT32_MAX;  /* an empty stem is dropped (rouge-score's final filter) */
    } else {
        uint32_t hs = lbi_strtab_hash(stem, sl);
        id = lbi_strtab_find(&s->stems, stem, sl, hs);
        if (id < 0) {
            id = lbi_strtab_add(&s->stems, stem, sl, hs, (uint32_t)s->stems.count);
            if (id < 0) return -1;
        }
    }
    if (lbi_strtab_add(&s->raw, tok, n, h, (uint32_t)id) < 0) return -1;
    return id;
}

static inline int is_tok_ascii(unsigned c) { return (c - 'a' < 26u) || (c - '0' < 10u); }

int lbi_tokenize_side(lb_text_scorer_t *s, int side, const char *text, size_t len, size_t *n_out,
                      lb_error_t *err) {
    *n_out = 0;
    /* The buffers grow with what the text holds (its token count, its longest token), doubling
     * when full, so a long text costs about 4 bytes per token (8 at worst, just after a
     * doubling) plus its longest word, not a multiple of its length: the two checks below
     * run once per token and per letter, and reallocate only on the rare doubling. */
    uint32_t **ids = side ? &s->ids_b : &s->ids_a;
    size_t *cap = side ? &s->cap_b : &s->cap_a;
    size_t first = len / 2 + 2 < LB_TEXT_IDS_FIRST ? len / 2 + 2 : LB_TEXT_IDS_FIRST;
    if (lb_grow((void **)ids, cap, first, sizeof **ids) ||
        lb_grow((void **)&s->tok, &s->cap_tok, 64, 1))
        return lb_error_set(err, LB_ENOMEM, "out of memory for a text of %zu bytes", len);
    const unsigned char *p = (const unsigned char *)text;
    char *tok = s->tok;
    uint32_t *out = *ids;
    size_t nt = 0, tl = 0, i = 0;
    while (i <= len) {
        unsigned c = i < len ? p[i] : ' ';
        uint32_t low[2];
        unsigned m = 1;
        if (c < 0x80) {
            low[0] = (c - 'A' < 26u) ? c + 32 : c;
            i++;
        } else {
            size_t adv;
            uint32_t cp = lb__utf8_next(p + i, len - i, &adv);
            m = lbi_lower_cp(cp, low);
            i += adv;
        }
        for (unsigned k = 0; k < m; k++) {
            if (is_tok_ascii(low[k])) {
                if (tl == s->cap_tok) {
                    if (lb_grow((void **)&s->tok, &s->cap_tok, tl + 1, 1))
                        return lb_error_set(err, LB_ENOMEM, "out of memory for a word of %zu "
                                            "letters in a text of %zu bytes", tl + 1, len);
                    tok = s->tok;
                }
                tok[tl++] = (char)low[k];
                continue;
            }
            if (!tl) continue;
            long id = token_id(s, tok, tl);
            if (id < 0) return lb_error_set(err, LB_ENOMEM, "out of memory in the stem cache");
            if (id != UINT32_MAX) {
                if (nt == *cap) {
                    if (lb_grow((void **)ids, cap, nt + 1, sizeof **ids))
                        return lb_error_set(err, LB_ENOMEM, "out of memory for %zu tokens of a "
                                            "text of %zu bytes", nt + 1, len);
                    out = *ids;
                }
                out[nt++] = (uint32_t)id;
            }
            tl = 0;
        }
    }
    *n_out = nt;
    return 0;
}

int lb_text_tokenize(lb_text_scorer_t *s, const char *text, size_t len, lb_text_tokens_t *out,
                     lb_error_t *err) {
    lbi_maybe_reset_cache(s);
    out->n = 0;
    out->ids = NULL;
    size_t n;
    int rc = lbi_tokenize_side(s, 0, text, len, &n, err);
    if (rc) return rc;
    out->n = n;
    out->ids = s->ids_a;
    return 0;
}

const char *lb_text_token_str(const lb_text_scorer_t *s, uint32_t id, size_t *len) {
    if (id >= s->stems.count) {
        *len = 0;
        return "";
    }
    *len = s->stems.ent[id].len;
    return s->stems.pool + s->stems.ent[id].off;
}

int lb_text_stem(lb_text_scorer_t *s, const char *word, size_t len, const char **out,
                 size_t *out_len, lb_error_t *err) {
    *out = "";
    *out_len = 0;
    if (lbi_ensure_work(s, len, err)) return LB_ENOMEM;
    size_t n = lbi_utf8_decode(word, len, s->cp);
    size_t m = lbi_porter_stem(s->cp, n, s->cp + n);
    size_t k = 0;
    for (size_t i = 0; i < m; i++) k += lbi_utf8_put(s->cp[n + i], (unsigned char *)s->bytes + k);
    *out = s->bytes;
    *out_len = k;
    return 0;
}
