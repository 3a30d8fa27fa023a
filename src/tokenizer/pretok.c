/* Pre-tokenizers: cut each text piece into the words the model sees (ByteLevel, Split,
 * Metaspace, Digits, Whitespace, WhitespaceSplit, Sequence), following HF's split rules: a
 * pattern yields matches and gaps, a behaviour decides what is kept, empty pieces vanish. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* HF's char-predicate pattern: every matching char is its own match, runs of others are gaps. */
static int char_spans(const char *s, size_t n, int (*pred)(int32_t, const void *), const void *ctx,
                      tk_spans_t *out) {
    out->n = 0;
    size_t last = 0, i = 0;
#define PUSH(a, b, m)                                                                             \
    do {                                                                                          \
        if (out->n == out->cap) {                                                                 \
            size_t cap_ = out->cap ? out->cap * 2 : 64;                                           \
            tk_span_t *v_ = realloc(out->v, cap_ * sizeof *v_);                                   \
            if (!v_) return LB_ENOMEM;                                                            \
            out->v = v_;                                                                          \
            out->cap = cap_;                                                                      \
        }                                                                                         \
        out->v[out->n++] = (tk_span_t){(a), (b), (m)};                                            \
    } while (0)
    if (n == 0) {
        PUSH(0, 0, 0);
        return 0;
    }
    while (i < n) {
        int32_t cp;
        int k = tk_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (pred(cp, ctx)) {
            if (last < i) PUSH(last, i, 0);
            PUSH(i, i + (size_t)k, 1);
            last = i + (size_t)k;
        }
        i += (size_t)k;
    }
    if (last < n) PUSH(last, n, 0);
#undef PUSH
    return 0;
}

static int pred_numeric(int32_t c, const void *ctx) {
    (void)ctx;
    return tk_is_numeric(c);
}
static int pred_space(int32_t c, const void *ctx) {
    (void)ctx;
    return tk_is_whitespace(c);
}
static int pred_char(int32_t c, const void *ctx) {
    return c == *(const int32_t *)ctx;
}

/* Emit the kept spans of text s as pieces of out (copying their bytes). */
static int emit_spans(const char *s, const tk_spans_t *sp, int at_origin, tk_buf_t *out, tk_pieces_t *op) {
    for (size_t i = 0; i < sp->n; i++) {
        if (sp->v[i].is_match) continue; /* removed */
        size_t len = sp->v[i].end - sp->v[i].start;
        if (!len) continue;
        size_t off = out->len;
        if (tk_buf_append(out, s + sp->v[i].start, len)) return LB_ENOMEM;
        if (tk_pieces_push(op, off, len, -1, at_origin && sp->v[i].start == 0)) return LB_ENOMEM;
    }
    return 0;
}

/* Append s to out with every byte replaced by its GPT-2 alphabet character. */
static int byte_map(const char *s, size_t n, tk_buf_t *out) {
    if (tk_buf_reserve(out, n * 2)) return LB_ENOMEM;
    char *d = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        int32_t cp = tk_byte_to_cp[(unsigned char)s[i]];
        if (cp < 0x80) *d++ = (char)cp;
        else {
            *d++ = (char)(0xC0 | (cp >> 6));
            *d++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    out->len = (size_t)(d - out->data);
    out->data[out->len] = 0;
    return 0;
}

static int one_piece(const tk_pretok_t *p, const char *s, size_t n, int at_origin, tk_buf_t *out,
                     tk_pieces_t *op, tk_scratch_t *sc, tk_buf_t *tmp, lb_error_t *err) {
    tk_spans_t *sp = &sc->spans;
    int rc;
    switch (p->type) {
    case TK_P_BYTELEVEL: {
        if (p->add_prefix_space && (n == 0 || s[0] != ' ')) {
            tmp->len = 0;
            if (tk_buf_append(tmp, " ", 1) || tk_buf_append(tmp, s, n)) return LB_ENOMEM;
            s = tmp->data;
            n = tmp->len;
        }
        if (p->use_regex) {
            if ((rc = tk_pattern_find(&p->pat, s, n, sp, err))) return rc;
        } else {
            sp->n = 0;
            if (n) {
                if (!sp->cap && !(sp->v = malloc(64 * sizeof *sp->v))) return LB_ENOMEM;
                if (!sp->cap) sp->cap = 64;
                sp->v[0] = (tk_span_t){0, n, 0};
                sp->n = 1;
            }
        }
        for (size_t i = 0; i < sp->n; i++) {
            size_t len = sp->v[i].end - sp->v[i].start;
            if (!len) continue;
            size_t off = out->len;
            if (byte_map(s + sp->v[i].start, len, out)) return LB_ENOMEM;
            if (tk_pieces_push(op, off, out->len - off, -1, at_origin && sp->v[i].start == 0))
                return LB_ENOMEM;
        }
        return 0;
    }
    case TK_P_SPLIT:
        if ((rc = tk_pattern_find(&p->pat, s, n, sp, err))) return rc;
        if (p->invert)
            for (size_t i = 0; i < sp->n; i++) sp->v[i].is_match = !sp->v[i].is_match;
        tk_spans_apply_behavior(sp, p->behavior);
        return emit_spans(s, sp, at_origin, out, op);
    case TK_P_WHITESPACE:
        if ((rc = tk_pattern_find(&p->pat, s, n, sp, err))) return rc;
        for (size_t i = 0; i < sp->n; i++) sp->v[i].is_match = !sp->v[i].is_match; /* keep words */
        return emit_spans(s, sp, at_origin, out, op);
    case TK_P_WHITESPACE_SPLIT:
        if (char_spans(s, n, pred_space, NULL, sp)) return LB_ENOMEM;
        return emit_spans(s, sp, at_origin, out, op);
    case TK_P_DIGITS:
        if (char_spans(s, n, pred_numeric, NULL, sp)) return LB_ENOMEM;
        tk_spans_apply_behavior(sp, p->individual_digits ? TK_ISOLATED : TK_CONTIGUOUS);
        return emit_spans(s, sp, at_origin, out, op);
    case TK_P_METASPACE: {
        tmp->len = 0;
        if (tk_buf_reserve(tmp, n * 3 + 4)) return LB_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == ' ') tk_buf_append(tmp, p->repl, p->repl_len);
            else tk_buf_append(tmp, s + i, 1);
        }
        int starts = tmp->len >= p->repl_len && !memcmp(tmp->data, p->repl, p->repl_len);
        int prepend = (p->prepend_scheme == TK_PREPEND_ALWAYS && !starts) ||
                      (p->prepend_scheme == TK_PREPEND_FIRST && !starts && at_origin);
        if (prepend) {
            if (tk_buf_reserve(tmp, p->repl_len)) return LB_ENOMEM;
            memmove(tmp->data + p->repl_len, tmp->data, tmp->len);
            memcpy(tmp->data, p->repl, p->repl_len);
            tmp->len += p->repl_len;
            tmp->data[tmp->len] = 0;
        }
        if (!p->split) {
            sp->n = 0;
            if (!tmp->len) return 0;
            size_t off = out->len;
            if (tk_buf_append(out, tmp->data, tmp->len)) return LB_ENOMEM;
            return tk_pieces_push(op, off, tmp->len, -1, at_origin);
        }
        if (char_spans(tmp->data, tmp->len, pred_char, &p->repl_cp, sp)) return LB_ENOMEM;
        tk_spans_apply_behavior(sp, TK_MERGED_NEXT);
        return emit_spans(tmp->data, sp, at_origin, out, op);
    }
    }
    return lb_error_set(err, LB_EUNSUPPORTED, "unknown pre-tokenizer");
}

int tk_pretokenize(const tk_pretok_t *p, const tk_buf_t *in, const tk_pieces_t *ip, tk_buf_t *out,
                   tk_pieces_t *op, tk_scratch_t *sc, lb_error_t *err) {
    out->len = 0;
    op->n = 0;
    int rc = 0;
    if (p->type == TK_P_SEQUENCE) {
        /* Ping-pong through two local buffer pairs; the last stage writes into out. */
        tk_buf_t tb[2] = {{0}, {0}};
        tk_pieces_t tp[2] = {{0}, {0}};
        const tk_buf_t *cb = in;
        const tk_pieces_t *cp = ip;
        if (p->n_sub == 0) {
            rc = tk_buf_append(out, in->data ? in->data : "", in->len);
            for (size_t i = 0; !rc && i < ip->n; i++) rc = tk_pieces_push(op, ip->v[i].off, ip->v[i].len, ip->v[i].id, ip->v[i].at_origin);
        }
        for (size_t i = 0; i < p->n_sub && !rc; i++) {
            tk_buf_t *db = i + 1 == p->n_sub ? out : &tb[i & 1];
            tk_pieces_t *dp = i + 1 == p->n_sub ? op : &tp[i & 1];
            rc = tk_pretokenize(&p->sub[i], cb, cp, db, dp, sc, err);
            cb = db;
            cp = dp;
        }
        tk_buf_free(&tb[0]);
        tk_buf_free(&tb[1]);
        tk_pieces_free(&tp[0]);
        tk_pieces_free(&tp[1]);
        return rc;
    }
    tk_buf_t tmp = {0};
    for (size_t i = 0; i < ip->n && !rc; i++) {
        const tk_piece_t *pc = &ip->v[i];
        if (pc->id >= 0) {
            rc = tk_pieces_push(op, 0, 0, pc->id, 0);
            continue;
        }
        rc = one_piece(p, in->data + pc->off, pc->len, pc->at_origin, out, op, sc, &tmp, err);
    }
    tk_buf_free(&tmp);
    if (!rc && !out->data) rc = tk_buf_reserve(out, 1);
    return rc;
}
