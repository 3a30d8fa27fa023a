/* Normalizers: Unicode forms (utf8proc), Lowercase, Prepend, Replace, Strip, Sequence. Each one
 * maps a whole piece of text (the text between two added tokens) to a new string. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tok_internal.h"

static int unicode_form(int type, const char *s, size_t len, tk_buf_t *out) {
    int opts = UTF8PROC_STABLE;
    switch (type) {
    case TK_N_NFC: opts |= UTF8PROC_COMPOSE; break;
    case TK_N_NFD: opts |= UTF8PROC_DECOMPOSE; break;
    case TK_N_NFKC: opts |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    default: opts |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
    }
    if (len == 0) return 0;
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst,
                                      (utf8proc_option_t)opts);
    if (n < 0) return LB_EINVAL;
    int rc = tk_buf_append(out, dst, (size_t)n);
    free(dst);
    return rc;
}

static int lowercase(const char *s, size_t len, tk_buf_t *out) {
    if (tk_buf_reserve(out, len * 2)) return LB_ENOMEM;
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        int k = tk_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        i += (size_t)k;
        char enc[8];
        int m;
        if (cp == 0x130) { /* Rust's full mapping: İ → i + combining dot above */
            memcpy(enc, "i\xCC\x87", 3);
            m = 3;
        } else {
            m = tk_utf8_encode(cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : utf8proc_tolower(cp),
                               enc);
        }
        if (tk_buf_append(out, enc, (size_t)m)) return LB_ENOMEM;
    }
    return 0;
}

static int replace(const tk_normalizer_t *n, const char *s, size_t len, tk_buf_t *out,
                   tk_scratch_t *sc, lb_error_t *err) {
    tk_spans_t sp = {0};
    int rc = tk_pattern_find(&n->pat, s, len, &sp, err);
    for (size_t i = 0; !rc && i < sp.n; i++) {
        if (sp.v[i].is_match) rc = tk_buf_append(out, n->str, n->str_len);
        else rc = tk_buf_append(out, s + sp.v[i].start, sp.v[i].end - sp.v[i].start);
    }
    tk_spans_free(&sp);
    (void)sc;
    return rc;
}

static int strip(const tk_normalizer_t *n, const char *s, size_t len, tk_buf_t *out) {
    size_t a = 0, b = len;
    if (n->left)
        while (a < b) {
            int32_t cp;
            int k = tk_utf8_decode((const unsigned char *)s + a, b - a, &cp);
            if (!tk_is_whitespace(cp)) break;
            a += (size_t)k;
        }
    if (n->right)
        while (b > a) {
            size_t p = b - 1;
            while (p > a && ((unsigned char)s[p] & 0xC0) == 0x80) p--;
            int32_t cp;
            tk_utf8_decode((const unsigned char *)s + p, b - p, &cp);
            if (!tk_is_whitespace(cp)) break;
            b = p;
        }
    return tk_buf_append(out, s + a, b - a);
}

int tk_normalize(const tk_normalizer_t *n, const char *s, size_t len, tk_buf_t *out,
                 tk_scratch_t *sc, lb_error_t *err) {
    switch (n->type) {
    case TK_N_NFC:
    case TK_N_NFD:
    case TK_N_NFKC:
    case TK_N_NFKD:
        return unicode_form(n->type, s, len, out);
    case TK_N_LOWERCASE:
        return lowercase(s, len, out);
    case TK_N_PREPEND:
        if (len && tk_buf_append(out, n->str, n->str_len)) return LB_ENOMEM;
        return tk_buf_append(out, s, len);
    case TK_N_REPLACE:
        return replace(n, s, len, out, sc, err);
    case TK_N_STRIP:
        return strip(n, s, len, out);
    case TK_N_SEQUENCE: {
        /* Ping-pong between two local buffers; the last step writes into out. */
        tk_buf_t t[2] = {{0}, {0}};
        const char *cur = s;
        size_t cur_len = len;
        int rc = 0;
        for (size_t i = 0; i < n->n_sub && !rc; i++) {
            tk_buf_t *dst = i + 1 == n->n_sub ? out : &t[i & 1];
            if (dst != out) dst->len = 0;
            rc = tk_normalize(&n->sub[i], cur, cur_len, dst, sc, err);
            if (!rc && dst != out) {
                cur = dst->data ? dst->data : "";
                cur_len = dst->len;
            }
        }
        if (!rc && n->n_sub == 0) rc = tk_buf_append(out, s, len);
        tk_buf_free(&t[0]);
        tk_buf_free(&t[1]);
        return rc;
    }
    }
    return lb_error_set(err, LB_EUNSUPPORTED, "unknown normalizer");
}
