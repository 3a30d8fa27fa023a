/* Chat-template values with Python's semantics: truth, str(), equality, the str methods of the
 * subset (code-point aware), and the render pool every intermediate string lives in. */
#include "jinja_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

void *lbi_jv_palloc(ctx_t *c, size_t bytes) {
    bytes = (bytes + 15) & ~(size_t)15;
    if (bytes > LB_JJ_MAX_SCRATCH - c->scratch) {
        char msg[160];
        snprintf(msg, sizeof msg, "scratch strings of this render would take more than %zu MiB "
                 "(leakbound's limit)", LB_JJ_MAX_SCRATCH >> 20);
        c->limit_rc = lbi_jv_rt_error(c, c->line, "%s", msg);
        return NULL;
    }
    c->scratch += bytes;
    pool_chunk_t *p = c->pool;
    if (!p || p->cap - p->used < bytes) {
        size_t cap = bytes > 65536 ? bytes : 65536;
        p = malloc(sizeof *p + cap);
        if (!p) return NULL;
        p->next = c->pool;
        p->used = 0;
        p->cap = cap;
        c->pool = p;
    }
    void *r = (char *)p->data + p->used;
    p->used += bytes;
    return r;
}

int lbi_jv_rt_error(ctx_t *c, int line, const char *fmt, const char *a) {
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a ? a : "");
    return lb_error_set(c->err, LB_EINVAL, "%s: chat_template:%d: %s", c->t->origin, line, msg);
}

int lbi_jv_oom(ctx_t *c) {
    return c->limit_rc ? c->limit_rc : lb_error_set(c->err, LB_ENOMEM, "out of memory");
}

int lbi_jv_check_len(ctx_t *c, size_t n) {
    if (n <= LB_JJ_MAX_STRING) return LB_OK;
    char msg[160];
    snprintf(msg, sizeof msg, "string of %zu bytes is longer than %zu MiB (leakbound's limit for "
             "one template value)", n, LB_JJ_MAX_STRING >> 20);
    return lbi_jv_rt_error(c, c->line, "%s", msg);
}

lb_jv_t lbi_jv_str_v(const char *s, size_t n) {
    lb_jv_t v = {.k = V_STR, .s = s, .n = n};
    return v;
}

lb_jv_t lbi_jv_int_v(vkind_t k, long long i) {
    lb_jv_t v = {.k = k, .i = i};
    return v;
}

const char *lbi_jv_kind_name(vkind_t k) {
    static const char *const names[] = {"undefined", "none", "boolean", "integer", "string",
                                        "list", "dict", "loop"};
    return names[k];
}

int lbi_jv_truthy(const lb_jv_t *v) {
    switch (v->k) {
    case V_UNDEF: case V_NONE: return 0;
    case V_BOOL: case V_INT: return v->i != 0;
    case V_STR: case V_LIST: case V_DICT: return v->n != 0;
    case V_LOOP: return 1;
    }
    return 0;
}

/* Python's str() of a value, into the pool. */
int lbi_jv_to_str(ctx_t *c, const lb_jv_t *v, int line, lb_jv_t *out) {
    char buf[32];
    switch (v->k) {
    case V_STR: *out = *v; return LB_OK;
    case V_UNDEF: *out = lbi_jv_str_v("", 0); return LB_OK;
    case V_NONE: *out = lbi_jv_str_v("None", 4); return LB_OK;
    case V_BOOL: *out = v->i ? lbi_jv_str_v("True", 4) : lbi_jv_str_v("False", 5); return LB_OK;
    case V_INT: {
        int n = snprintf(buf, sizeof buf, "%lld", v->i);
        char *s = lbi_jv_palloc(c, (size_t)n + 1);
        if (!s) return lbi_jv_oom(c);
        memcpy(s, buf, (size_t)n + 1);
        *out = lbi_jv_str_v(s, (size_t)n);
        return LB_OK;
    }
    default: return lbi_jv_rt_error(c, line, "cannot turn a %s into text", lbi_jv_kind_name(v->k));
    }
}

int lbi_jv_concat(ctx_t *c, const lb_jv_t *a, const lb_jv_t *b, lb_jv_t *out) {
    int rc = lbi_jv_check_len(c, a->n + b->n);
    if (rc) return rc;
    char *s = lbi_jv_palloc(c, a->n + b->n + 1);
    if (!s) return lbi_jv_oom(c);
    if (a->n) memcpy(s, a->s, a->n);
    if (b->n) memcpy(s + a->n, b->s, b->n);
    s[a->n + b->n] = '\0';
    *out = lbi_jv_str_v(s, a->n + b->n);
    return LB_OK;
}

int lbi_jv_equal(const lb_jv_t *a, const lb_jv_t *b) {
    int an = a->k == V_INT || a->k == V_BOOL, bn = b->k == V_INT || b->k == V_BOOL;
    if (an && bn) return a->i == b->i;  /* Python: True == 1 */
    if (a->k != b->k) return 0;
    switch (a->k) {
    case V_UNDEF: case V_NONE: return 1;
    case V_STR: return a->n == b->n && !memcmp(a->s, b->s, a->n);
    case V_LIST: case V_DICT:
        if (a->n != b->n) return 0;
        for (size_t i = 0; i < a->n; i++) {
            if (a->k == V_DICT && strcmp(a->keys[i], b->keys[i])) return 0;
            if (!lbi_jv_equal(&a->items[i], &b->items[i])) return 0;
        }
        return 1;
    default: return 0;
    }
}

/* Python's str.isspace() for one code point. */
static int lb_jv_is_space_cp(int32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Decode the code point at s[i] (n bytes left); invalid bytes decode as themselves, 1 byte. */
static int32_t lb_jv_decode_at(const char *s, size_t n, size_t *len) {
    int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &cp);
    if (k < 1) {
        *len = 1;
        return (unsigned char)s[0];
    }
    *len = (size_t)k;
    return cp;
}

/* Python's str.strip family: whitespace, or the characters of chars when given (code points). */
static int lb_jv_strippable(int32_t cp, const lb_jv_t *chars) {
    if (!chars) return lb_jv_is_space_cp(cp);
    for (size_t i = 0, k; i < chars->n; i += k)
        if (lb_jv_decode_at(chars->s + i, chars->n - i, &k) == cp) return 1;
    return 0;
}

lb_jv_t lbi_jv_strip(const lb_jv_t *s, const lb_jv_t *chars, int left, int right) {
    size_t a = 0, b = s->n, k;
    if (left)
        while (a < b && lb_jv_strippable(lb_jv_decode_at(s->s + a, b - a, &k), chars)) a += k;
    if (right)
        while (b > a) {
            size_t start = b - 1;
            while (start > a && ((unsigned char)s->s[start] & 0xC0) == 0x80 && b - start < 4) start--;
            if (!lb_jv_strippable(lb_jv_decode_at(s->s + start, b - start, &k), chars) || start + k != b) break;
            b = start;
        }
    return lbi_jv_str_v(s->s + a, b - a);
}

/* Simple Unicode case mapping per code point (utf8proc); Python's few one-to-many mappings,
 * such as German sharp s to "SS", are not applied. */
int lbi_jv_change_case(ctx_t *c, const lb_jv_t *s, int upper, lb_jv_t *out) {
    char *d = lbi_jv_palloc(c, s->n * 2 + 1);
    if (!d) return lbi_jv_oom(c);
    size_t n = 0, k;
    for (size_t i = 0; i < s->n; i += k) {
        int32_t cp = lb_jv_decode_at(s->s + i, s->n - i, &k);
        utf8proc_uint8_t tmp[8];
        int32_t m = upper ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
        utf8proc_ssize_t w = utf8proc_encode_char(m, tmp);
        if (w <= 0 || (size_t)w > k * 2) {  /* keep the original bytes */
            memcpy(d + n, s->s + i, k);
            n += k;
        } else {
            memcpy(d + n, tmp, (size_t)w);
            n += (size_t)w;
        }
    }
    d[n] = '\0';
    int rc = lbi_jv_check_len(c, n);
    if (rc) return rc;
    *out = lbi_jv_str_v(d, n);
    return LB_OK;
}

/* Byte offset of code point number cp in s (s->n when past the end). */
size_t lbi_jv_cp_offset(const lb_jv_t *s, size_t cp) {
    size_t i = 0;
    for (size_t k = 0; k < cp && i < s->n; k++) {
        i++;
        while (i < s->n && ((unsigned char)s->s[i] & 0xC0) == 0x80) i++;
    }
    return i;
}

size_t lbi_jv_utf8_len(const lb_jv_t *s) {
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) k += ((unsigned char)s->s[i] & 0xC0) != 0x80;
    return k;
}

/* Python slice bounds for length n. */
void lbi_jv_slice_bounds(const lb_jv_t *lo, const lb_jv_t *hi, size_t n, size_t *a, size_t *b) {
    long long len = (long long)n, x = 0, y = len;
    if (lo && lo->k == V_INT) x = lo->i < 0 ? lo->i + len : lo->i;
    if (hi && hi->k == V_INT) y = hi->i < 0 ? hi->i + len : hi->i;
    if (x < 0) x = 0;
    if (x > len) x = len;
    if (y < x) y = x;
    if (y > len) y = len;
    *a = (size_t)x;
    *b = (size_t)y;
}
