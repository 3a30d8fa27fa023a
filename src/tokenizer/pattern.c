/* Patterns of Replace and Split (a literal or a PCRE2 regex standing in for HF's Oniguruma), the
 * match iteration HF uses, and the split behaviours that turn matches into pieces. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

int tk_pattern_compile(tk_pattern_t *p, const char *src, size_t len, int is_regex, const char *what,
                       lb_error_t *err) {
    memset(p, 0, sizeof *p);
    p->is_regex = is_regex || len == 0;
    if (!p->is_regex) {
        p->lit = malloc(len + 1);
        if (!p->lit) return LB_ENOMEM;
        memcpy(p->lit, src, len);
        p->lit[len] = 0;
        p->lit_len = len;
        return 0;
    }
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK | (is_regex ? 0 : PCRE2_LITERAL);
    p->re = pcre2_compile((PCRE2_SPTR)src, len, opts, &ec, &eo, NULL);
    if (!p->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        return lb_error_set(err, LB_EUNSUPPORTED, "%s: regex /%.*s/ at offset %zu: %s", what,
                            (int)(len > 200 ? 200 : len), src, (size_t)eo, (char *)msg);
    }
    pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* best effort: the interpreter is the fallback */
    size_t shown = len > 200 ? 200 : len;
    p->mctx = pcre2_match_context_create(NULL);
    p->shown = malloc(shown + 1);
    if (!p->mctx || !p->shown) {
        tk_pattern_free(p);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    memcpy(p->shown, src, shown);
    p->shown[shown] = '\0';
    pcre2_set_match_limit(p->mctx, TK_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(p->mctx, TK_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(p->mctx, TK_REGEX_HEAP_LIMIT_KIB);
    return 0;
}

void tk_pattern_free(tk_pattern_t *p) {
    free(p->lit);
    if (p->re) pcre2_code_free(p->re);
    if (p->mctx) pcre2_match_context_free(p->mctx);
    free(p->shown);
    memset(p, 0, sizeof *p);
}

void tk_spans_free(tk_spans_t *s) {
    free(s->v);
    if (s->md) pcre2_match_data_free(s->md);
    memset(s, 0, sizeof *s);
}

static int span_push(tk_spans_t *s, size_t a, size_t b, int m) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        tk_span_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) return LB_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (tk_span_t){a, b, m};
    return 0;
}

/* Next match at or after `from`: returns 1 and sets the match bounds, 0 when none, < 0 on error. */
static int next_match(const tk_pattern_t *p, const char *s, size_t n, size_t from, tk_spans_t *out,
                      size_t *ms, size_t *me, lb_error_t *err) {
    if (!p->is_regex) {
        const char *hit = memmem(s + from, n - from, p->lit, p->lit_len);
        if (!hit) return 0;
        *ms = (size_t)(hit - s);
        *me = *ms + p->lit_len;
        return 1;
    }
    if (!out->md) {
        out->md = pcre2_match_data_create(1, NULL);
        if (!out->md) return LB_ENOMEM;
    }
    int rc = pcre2_match(p->re, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK, out->md, p->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(p->re, (PCRE2_SPTR)s, n, from, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, out->md, p->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        return lb_error_set(err, LB_EINVAL, "regex /%s/ failed on a text of %zu bytes at byte %zu: %s "
                            "(leakbound's limits: match limit %u, depth limit %u, heap %u KiB)",
                            p->shown, n, from, (char *)msg, TK_REGEX_MATCH_LIMIT,
                            TK_REGEX_DEPTH_LIMIT, TK_REGEX_HEAP_LIMIT_KIB);
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(out->md);
    *ms = ov[0];
    *me = ov[1];
    return 1;
}

int tk_pattern_find(const tk_pattern_t *p, const char *s, size_t n, tk_spans_t *out, lb_error_t *err) {
    out->n = 0;
    if (p->is_regex && n > TK_REGEX_MAX_TEXT)
        return lb_error_set(err, LB_EINVAL, "regex /%s/: a text of %zu bytes is longer than %zu bytes, "
                            "leakbound's limit for one regex search (a pattern with an unbounded "
                            "lookahead takes time quadratic in the text)", p->shown, n, TK_REGEX_MAX_TEXT);
    if (n == 0) return span_push(out, 0, 0, 0);
    size_t prev = 0, from = 0, last_end = (size_t)-1;
    while (from <= n) {
        size_t ms, me;
        int rc = next_match(p, s, n, from, out, &ms, &me, err);
        if (rc < 0) return rc;
        if (!rc) break;
        if (ms == me && last_end == me) {
            /* Oniguruma's iterator: no empty match right after the previous match; step a char. */
            if (from >= n) break;
            int32_t cp;
            from += (size_t)tk_utf8_decode((const unsigned char *)s + from, n - from, &cp);
            continue;
        }
        if (prev != ms && span_push(out, prev, ms, 0)) return LB_ENOMEM;
        if (span_push(out, ms, me, 1)) return LB_ENOMEM;
        prev = me;
        from = me;
        last_end = me;
    }
    if (prev != n && span_push(out, prev, n, 0)) return LB_ENOMEM;
    return 0;
}

void tk_spans_apply_behavior(tk_spans_t *s, int behavior) {
    size_t k = 0;
    int prev_match = 0;
    switch (behavior) {
    case TK_REMOVED:
        return;
    case TK_ISOLATED:
        for (size_t i = 0; i < s->n; i++) s->v[i].is_match = 0;
        return;
    case TK_CONTIGUOUS:
        for (size_t i = 0; i < s->n; i++) {
            int m = s->v[i].is_match;
            if (k && m == prev_match) s->v[k - 1].end = s->v[i].end;
            else s->v[k++] = (tk_span_t){s->v[i].start, s->v[i].end, 0};
            prev_match = m;
        }
        break;
    case TK_MERGED_PREV:
        for (size_t i = 0; i < s->n; i++) {
            int m = s->v[i].is_match;
            if (k && m && !prev_match) s->v[k - 1].end = s->v[i].end;
            else s->v[k++] = (tk_span_t){s->v[i].start, s->v[i].end, 0};
            prev_match = m;
        }
        break;
    case TK_MERGED_NEXT: {
        /* Walk backwards, writing the result at the end of the array, then slide it down. */
        size_t w = s->n;
        for (size_t i = s->n; i-- > 0;) {
            int m = s->v[i].is_match;
            tk_span_t sp = s->v[i];
            if (w < s->n && m && !prev_match) s->v[w].start = sp.start;
            else s->v[--w] = (tk_span_t){sp.start, sp.end, 0};
            prev_match = m;
        }
        if (s->n) memmove(s->v, s->v + w, (s->n - w) * sizeof *s->v);
        k = s->n - w;
        break;
    }
    }
    s->n = k;
}
