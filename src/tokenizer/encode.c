/* lb_tokenizer_encode: added tokens out first (raw, then normalized), normalizer per remaining
 * piece, pre-tokenizer, BPE per word, then truncation and the post-processor's special ids. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

static int is_word_char(int32_t c) {
    return c == '_' || tk_is_alphanumeric(c);
}

static int ends_with_word(const char *s, size_t n) {
    if (!n) return 0;
    size_t p = n - 1;
    while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80) p--;
    int32_t cp;
    tk_utf8_decode((const unsigned char *)s + p, n - p, &cp);
    return is_word_char(cp);
}

static int starts_with_word(const char *s, size_t n) {
    if (!n) return 0;
    int32_t cp;
    tk_utf8_decode((const unsigned char *)s, n, &cp);
    return is_word_char(cp);
}

/* Leftmost-longest match at or after `from`: returns the token or NULL; *at = its start. */
static const tk_added_t *find_added(const tk_matcher_t *m, const char *s, size_t n, size_t from, size_t *at) {
    for (size_t p = from; p < n; p++) {
        if (!m->first[(unsigned char)s[p]]) continue;
        const tk_added_t *best = NULL;
        for (size_t k = 0; k < m->n; k++) {
            const tk_added_t *x = m->tok[k];
            if (x->match_len <= n - p && (!best || x->match_len > best->match_len) &&
                !memcmp(s + p, x->match, x->match_len))
                best = x;
        }
        if (best) {
            *at = p;
            return best;
        }
    }
    return NULL;
}

/* HF AddedVocabulary::find_matches on s, appending text pieces (copied into out) and id pieces. */
static int split_added(const tk_matcher_t *m, const char *s, size_t n, int at_origin, tk_buf_t *out,
                       tk_pieces_t *op) {
    size_t start_offset = 0, scan = 0, at;
    const tk_added_t *x;
    while (m->n && scan < n && (x = find_added(m, s, n, scan, &at))) {
        size_t start = at, stop = at + x->match_len;
        scan = stop;
        if (x->single_word) {
            int start_space = start == 0 || !ends_with_word(s, start);
            int stop_space = stop == n || !starts_with_word(s + stop, n - stop);
            if (!start_space || !stop_space) continue;
        }
        if (x->lstrip) {
            size_t ns = start;
            while (ns > 0) {
                size_t p = ns - 1;
                while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80) p--;
                int32_t cp;
                tk_utf8_decode((const unsigned char *)s + p, ns - p, &cp);
                if (!tk_is_whitespace(cp)) break;
                ns = p;
            }
            start = ns > start_offset ? ns : start_offset;
        }
        if (x->rstrip) {
            while (stop < n) {
                int32_t cp;
                int k = tk_utf8_decode((const unsigned char *)s + stop, n - stop, &cp);
                if (!tk_is_whitespace(cp)) break;
                stop += (size_t)k;
            }
            scan = stop;
        }
        if (start_offset < start) {
            size_t off = out->len;
            if (tk_buf_append(out, s + start_offset, start - start_offset) ||
                tk_pieces_push(op, off, start - start_offset, -1, at_origin && start_offset == 0))
                return LB_ENOMEM;
        }
        if (tk_pieces_push(op, 0, 0, x->id, 0)) return LB_ENOMEM;
        start_offset = stop;
    }
    if (start_offset < n) {
        size_t off = out->len;
        if (tk_buf_append(out, s + start_offset, n - start_offset) ||
            tk_pieces_push(op, off, n - start_offset, -1, at_origin && start_offset == 0))
            return LB_ENOMEM;
    }
    if (!out->data && tk_buf_reserve(out, 1)) return LB_ENOMEM;
    return 0;
}

int lb_tokenizer_encode(const lb_tokenizer_t *t, const char *text, size_t len, int add_special_tokens,
                        int32_t **ids_out, size_t *n_out, lb_error_t *err) {
    *ids_out = NULL;
    *n_out = 0;
    size_t bad = tk_utf8_validate((const unsigned char *)text, len);
    if (bad != (size_t)-1)
        return lb_error_set(err, LB_EINVAL, "invalid UTF-8 at byte %zu of the text", bad);
    tk_scratch_t sc = {0};
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    /* 1. Non-normalized added tokens on the raw text. */
    rc = split_added(&t->m_raw, text, len, 1, &sc.a, &sc.pa);
    /* 2. Normalize each remaining piece, then split out normalized added tokens. */
    tk_buf_t norm = {0};
    for (size_t i = 0; !rc && i < sc.pa.n; i++) {
        tk_piece_t pc = sc.pa.v[i];
        if (pc.id >= 0) {
            rc = tk_pieces_push(&sc.pb, 0, 0, pc.id, 0);
            continue;
        }
        const char *s = sc.a.data + pc.off;
        size_t sl = pc.len;
        if (t->normalizer) {
            norm.len = 0;
            rc = tk_normalize(t->normalizer, s, sl, &norm, &sc, err);
            if (rc) break;
            s = norm.data ? norm.data : "";
            sl = norm.len;
        }
        rc = split_added(&t->m_norm, s, sl, pc.at_origin, &sc.b, &sc.pb);
    }
    tk_buf_free(&norm);
    if (!rc && !sc.b.data) rc = tk_buf_reserve(&sc.b, 1);
    /* 3. Pre-tokenize. */
    tk_buf_t *wb = &sc.b;
    tk_pieces_t *wp = &sc.pb;
    if (!rc && t->pretok) {
        rc = tk_pretokenize(t->pretok, &sc.b, &sc.pb, &sc.c, &sc.pc, &sc, err);
        wb = &sc.c;
        wp = &sc.pc;
    }
    /* 4. The model, word by word (the post-processor's leading ids go first). */
    size_t n_pre = add_special_tokens ? t->post.n_pre : 0, n_post = add_special_tokens ? t->post.n_post : 0;
    for (size_t i = 0; !rc && i < n_pre; i++) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            int32_t *v = realloc(ids, cap * sizeof *v);
            if (!v) rc = LB_ENOMEM;
            else ids = v;
        }
        if (!rc) ids[n++] = t->post.pre[i];
    }
    for (size_t i = 0; !rc && i < wp->n; i++) {
        tk_piece_t pc = wp->v[i];
        if (pc.id >= 0) {
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                int32_t *v = realloc(ids, cap * sizeof *v);
                if (!v) {
                    rc = LB_ENOMEM;
                    break;
                }
                ids = v;
            }
            ids[n++] = pc.id;
        } else
            rc = tk_bpe_encode_word(t, wb->data + pc.off, pc.len, &ids, &n, &cap, &sc, err);
    }
    /* 5. Truncation (HF keeps room for the special ids), then the trailing special ids. */
    if (!rc && t->trunc_max >= 0) {
        size_t body = n - n_pre;
        size_t room = (size_t)t->trunc_max > n_pre + n_post ? (size_t)t->trunc_max - n_pre - n_post : 0;
        if (body > room) {
            if (t->trunc_left) memmove(ids + n_pre, ids + n_pre + (body - room), room * sizeof *ids);
            n = n_pre + room;
        }
    }
    if (!rc) {
        int32_t *v = realloc(ids, (n + n_post + 1) * sizeof *v);
        if (!v) rc = LB_ENOMEM;
        else {
            ids = v;
            if (n_post) memcpy(ids + n, t->post.post, n_post * sizeof *ids);
            n += n_post;
        }
    }
    tk_scratch_free(&sc);
    if (rc) {
        free(ids);
        if (rc == LB_ENOMEM) lb_error_set(err, rc, "out of memory while encoding");
        return rc;
    }
    *ids_out = ids;
    *n_out = n;
    return 0;
}
