/* lb_tokenizer_decode: ids → token strings (skipping specials on request) → the decoder chain
 * (HF decode_chain semantics: each decoder maps a list of strings to a list of strings) → join. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

typedef struct {
    tk_buf_t buf;
    tk_pieces_t t;
} toks_t;

static int tok_push(toks_t *o, const char *s, size_t n) {
    size_t off = o->buf.len;
    if (tk_buf_append(&o->buf, s, n)) return LB_ENOMEM;
    return tk_pieces_push(&o->t, off, n, -1, 0);
}

static void toks_free(toks_t *o) {
    tk_buf_free(&o->buf);
    tk_pieces_free(&o->t);
}

#define TOK(in, i) ((in)->buf.data + (in)->t.v[i].off)
#define TLEN(in, i) ((in)->t.v[i].len)

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "<0xAB>" → 0xAB, else -1 (Rust's u8::from_str_radix also takes a leading '+'). */
static int byte_token(const char *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>') return -1;
    if (s[3] == '+') return hexval(s[4]);
    int a = hexval(s[3]), b = hexval(s[4]);
    return a < 0 || b < 0 ? -1 : a * 16 + b;
}

static int flush_bytes(toks_t *out, tk_buf_t *bytes) {
    if (!bytes->len) return 0;
    int rc;
    if (tk_utf8_validate((const unsigned char *)bytes->data, bytes->len) == (size_t)-1)
        rc = tok_push(out, bytes->data, bytes->len);
    else {
        rc = 0;
        for (size_t i = 0; i < bytes->len && !rc; i++) rc = tok_push(out, "\xEF\xBF\xBD", 3);
    }
    bytes->len = 0;
    return rc;
}

static int step(const tk_decoder_t *d, toks_t *in, toks_t *out, lb_error_t *err) {
    int rc = 0;
    switch (d->type) {
    case TK_D_BYTELEVEL: {
        tk_buf_t raw = {0};
        for (size_t i = 0; i < in->t.n && !rc; i++) {
            const char *s = TOK(in, i);
            size_t n = TLEN(in, i), mark = raw.len, p = 0;
            int ok = 1;
            while (p < n && !rc) {
                int32_t cp;
                p += (size_t)tk_utf8_decode((const unsigned char *)s + p, n - p, &cp);
                int b = tk_cp_to_byte(cp);
                if (b < 0) {
                    ok = 0;
                    break;
                }
                char c = (char)b;
                rc = tk_buf_append(&raw, &c, 1);
            }
            if (!ok) { /* a token outside the alphabet keeps its own bytes */
                raw.len = mark;
                rc = tk_buf_append(&raw, s, n);
            }
        }
        tk_buf_t txt = {0};
        if (!rc) rc = tk_utf8_lossy_append(&txt, (const unsigned char *)(raw.data ? raw.data : ""), raw.len);
        if (!rc) rc = tok_push(out, txt.data ? txt.data : "", txt.len);
        tk_buf_free(&raw);
        tk_buf_free(&txt);
        return rc;
    }
    case TK_D_BYTEFALLBACK: {
        tk_buf_t bytes = {0};
        for (size_t i = 0; i < in->t.n && !rc; i++) {
            int b = byte_token(TOK(in, i), TLEN(in, i));
            if (b >= 0) {
                char c = (char)b;
                rc = tk_buf_append(&bytes, &c, 1);
            } else {
                rc = flush_bytes(out, &bytes);
                if (!rc) rc = tok_push(out, TOK(in, i), TLEN(in, i));
            }
        }
        if (!rc) rc = flush_bytes(out, &bytes);
        tk_buf_free(&bytes);
        return rc;
    }
    case TK_D_FUSE: {
        size_t off = out->buf.len;
        for (size_t i = 0; i < in->t.n && !rc; i++) rc = tk_buf_append(&out->buf, TOK(in, i), TLEN(in, i));
        if (!rc && !out->buf.data) rc = tk_buf_reserve(&out->buf, 1);
        if (!rc) rc = tk_pieces_push(&out->t, off, out->buf.len - off, -1, 0);
        return rc;
    }
    case TK_D_METASPACE:
        for (size_t i = 0; i < in->t.n && !rc; i++) {
            const char *s = TOK(in, i);
            size_t n = TLEN(in, i), p = 0, off = out->buf.len;
            if ((rc = tk_buf_reserve(&out->buf, n))) break;
            while (p < n) {
                int32_t cp;
                int k = tk_utf8_decode((const unsigned char *)s + p, n - p, &cp);
                if (cp == d->repl_cp) {
                    if (!(i == 0 && d->prepend_scheme != TK_PREPEND_NEVER)) out->buf.data[out->buf.len++] = ' ';
                } else {
                    memcpy(out->buf.data + out->buf.len, s + p, (size_t)k);
                    out->buf.len += (size_t)k;
                }
                p += (size_t)k;
            }
            out->buf.data[out->buf.len] = 0;
            rc = tk_pieces_push(&out->t, off, out->buf.len - off, -1, 0);
        }
        return rc;
    case TK_D_REPLACE: {
        tk_spans_t sp = {0};
        for (size_t i = 0; i < in->t.n && !rc; i++) {
            const char *s = TOK(in, i);
            size_t off = out->buf.len;
            if ((rc = tk_pattern_find(&d->pat, s, TLEN(in, i), &sp, err))) break;
            for (size_t k = 0; k < sp.n && !rc; k++)
                rc = sp.v[k].is_match ? tk_buf_append(&out->buf, d->str, d->str_len)
                                      : tk_buf_append(&out->buf, s + sp.v[k].start, sp.v[k].end - sp.v[k].start);
            if (!rc && !out->buf.data) rc = tk_buf_reserve(&out->buf, 1);
            if (!rc) rc = tk_pieces_push(&out->t, off, out->buf.len - off, -1, 0);
        }
        tk_spans_free(&sp);
        return rc;
    }
    case TK_D_STRIP:
        for (size_t i = 0; i < in->t.n && !rc; i++) {
            const char *s = TOK(in, i);
            size_t n = TLEN(in, i), a = 0, b = n;
            for (size_t c = 0; c < d->start && a < n; c++) {
                int32_t cp;
                int k = tk_utf8_decode((const unsigned char *)s + a, n - a, &cp);
                if (cp != d->content_cp) break;
                a += (size_t)k;
            }
            for (size_t c = 0; c < d->stop && b > a; c++) {
                size_t p = b - 1;
                while (p > a && ((unsigned char)s[p] & 0xC0) == 0x80) p--;
                int32_t cp;
                tk_utf8_decode((const unsigned char *)s + p, b - p, &cp);
                if (cp != d->content_cp) break;
                b = p;
            }
            rc = tok_push(out, s + a, b - a);
        }
        return rc;
    case TK_D_SEQUENCE: {
        toks_t a = *in, b = {0};
        /* `in` stays owned by the caller; intermediate lists are ours. */
        toks_t cur = a;
        int own = 0;
        for (size_t k = 0; k < d->n_sub && !rc; k++) {
            toks_t *dst = k + 1 == d->n_sub ? out : &b;
            if (dst == &b) b = (toks_t){0};
            rc = step(&d->sub[k], &cur, dst, err);
            if (own) toks_free(&cur);
            if (dst == &b) {
                cur = b;
                own = 1;
            } else
                own = 0;
        }
        if (rc && own) toks_free(&cur);
        if (!rc && d->n_sub == 0)
            for (size_t i = 0; i < in->t.n && !rc; i++) rc = tok_push(out, TOK(in, i), TLEN(in, i));
        return rc;
    }
    }
    return lb_error_set(err, LB_EUNSUPPORTED, "unknown decoder");
}

int lb_tokenizer_decode(const lb_tokenizer_t *t, const int32_t *ids, size_t n_ids, int skip_special_tokens,
                        char **text, size_t *len, lb_error_t *err) {
    *text = NULL;
    if (len) *len = 0;
    toks_t in = {0}, out = {0};
    int rc = 0;
    for (size_t i = 0; i < n_ids && !rc; i++) {
        int32_t id = ids[i];
        if (id < 0 || (size_t)id >= t->n_ids) {
            toks_free(&in);
            return lb_error_set(err, LB_EINVAL, "id %d at position %zu is outside the vocabulary (0..%zu)", id, i,
                                t->n_ids - 1);
        }
        if (!t->id_tok[id]) continue; /* a gap in the ids: HF skips it */
        if (skip_special_tokens && t->id_special[id]) continue;
        rc = tok_push(&in, t->id_tok[id], t->id_len[id]);
    }
    toks_t *res = &in;
    if (!rc && t->decoder) {
        rc = step(t->decoder, &in, &out, err);
        res = &out;
    }
    tk_buf_t joined = {0};
    if (!rc && t->decoder) {
        for (size_t i = 0; i < res->t.n && !rc; i++) rc = tk_buf_append(&joined, TOK(res, i), TLEN(res, i));
    } else if (!rc) {
        /* No decoder: HF joins the tokens with spaces. */
        for (size_t i = 0; i < res->t.n && !rc; i++) {
            if (i) rc = tk_buf_append(&joined, " ", 1);
            if (!rc) rc = tk_buf_append(&joined, TOK(res, i), TLEN(res, i));
        }
    }
    if (!rc && !joined.data) rc = tk_buf_reserve(&joined, 1);
    toks_free(&in);
    toks_free(&out);
    if (rc) {
        tk_buf_free(&joined);
        if (rc == LB_ENOMEM) lb_error_set(err, rc, "out of memory while decoding");
        return rc;
    }
    joined.data[joined.len] = 0;
    *text = joined.data;
    if (len) *len = joined.len;
    return 0;
}
