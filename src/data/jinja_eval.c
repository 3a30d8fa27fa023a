/* Chat-template evaluation: walks the tree with Jinja/Python value semantics for the subset.
 * Every intermediate string lives in a scratch pool released when the render returns. */
#include "jinja.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

typedef enum { V_UNDEF, V_NONE, V_BOOL, V_INT, V_STR, V_LIST, V_DICT, V_LOOP } vkind_t;

typedef struct jv {
    vkind_t k;
    long long i;              /* V_BOOL, V_INT; V_LOOP: index0 */
    const char *s;            /* V_STR */
    size_t n;                 /* V_STR bytes; V_LIST/V_DICT/V_LOOP: length */
    const struct jv *items;   /* (n) V_LIST elements, V_DICT values */
    const char *const *keys;  /* (n) V_DICT keys */
} jv_t;

typedef struct pool_chunk {
    struct pool_chunk *next;
    size_t used, cap;
    max_align_t data[];
} pool_chunk_t;

typedef struct var {
    const char *name;
    jv_t v;
} var_t;

typedef struct ctx {
    const jj_template_t *t;
    pool_chunk_t *pool;
    char *out;                /* output being built */
    size_t n_out, cap_out;
    var_t *vars;              /* (n_vars) innermost last */
    size_t n_vars, cap_vars;
    jv_t messages, bos, eos, add_gen;
    lb_error_t *err;
} ctx_t;

static void *palloc(ctx_t *c, size_t bytes) {
    bytes = (bytes + 15) & ~(size_t)15;
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

static int rt_error(ctx_t *c, int line, const char *fmt, const char *a) {
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a ? a : "");
    return lb_error_set(c->err, LB_EINVAL, "%s: chat_template:%d: %s", c->t->origin, line, msg);
}

static int oom(ctx_t *c) { return lb_error_set(c->err, LB_ENOMEM, "out of memory"); }

static jv_t str_v(const char *s, size_t n) {
    jv_t v = {.k = V_STR, .s = s, .n = n};
    return v;
}

static jv_t int_v(vkind_t k, long long i) {
    jv_t v = {.k = k, .i = i};
    return v;
}

static const char *kind_name(vkind_t k) {
    static const char *const names[] = {"undefined", "none", "boolean", "integer", "string",
                                        "list", "dict", "loop"};
    return names[k];
}

static int truthy(const jv_t *v) {
    switch (v->k) {
    case V_UNDEF: case V_NONE: return 0;
    case V_BOOL: case V_INT: return v->i != 0;
    case V_STR: case V_LIST: case V_DICT: return v->n != 0;
    case V_LOOP: return 1;
    }
    return 0;
}

/* Python's str() of a value, into the pool. */
static int to_str(ctx_t *c, const jv_t *v, int line, jv_t *out) {
    char buf[32];
    switch (v->k) {
    case V_STR: *out = *v; return LB_OK;
    case V_UNDEF: *out = str_v("", 0); return LB_OK;
    case V_NONE: *out = str_v("None", 4); return LB_OK;
    case V_BOOL: *out = v->i ? str_v("True", 4) : str_v("False", 5); return LB_OK;
    case V_INT: {
        int n = snprintf(buf, sizeof buf, "%lld", v->i);
        char *s = palloc(c, (size_t)n + 1);
        if (!s) return oom(c);
        memcpy(s, buf, (size_t)n + 1);
        *out = str_v(s, (size_t)n);
        return LB_OK;
    }
    default: return rt_error(c, line, "cannot turn a %s into text", kind_name(v->k));
    }
}

static int concat(ctx_t *c, const jv_t *a, const jv_t *b, jv_t *out) {
    char *s = palloc(c, a->n + b->n + 1);
    if (!s) return oom(c);
    if (a->n) memcpy(s, a->s, a->n);
    if (b->n) memcpy(s + a->n, b->s, b->n);
    s[a->n + b->n] = '\0';
    *out = str_v(s, a->n + b->n);
    return LB_OK;
}

static int equal(const jv_t *a, const jv_t *b) {
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
            if (!equal(&a->items[i], &b->items[i])) return 0;
        }
        return 1;
    default: return 0;
    }
}

/* Python's str.isspace() for one code point. */
static int is_space_cp(int32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Decode the code point at s[i] (n bytes left); invalid bytes decode as themselves, 1 byte. */
static int32_t decode_at(const char *s, size_t n, size_t *len) {
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
static int strippable(int32_t cp, const jv_t *chars) {
    if (!chars) return is_space_cp(cp);
    for (size_t i = 0, k; i < chars->n; i += k)
        if (decode_at(chars->s + i, chars->n - i, &k) == cp) return 1;
    return 0;
}

static jv_t strip(const jv_t *s, const jv_t *chars, int left, int right) {
    size_t a = 0, b = s->n, k;
    if (left)
        while (a < b && strippable(decode_at(s->s + a, b - a, &k), chars)) a += k;
    if (right)
        while (b > a) {
            size_t start = b - 1;
            while (start > a && ((unsigned char)s->s[start] & 0xC0) == 0x80 && b - start < 4) start--;
            if (!strippable(decode_at(s->s + start, b - start, &k), chars) || start + k != b) break;
            b = start;
        }
    return str_v(s->s + a, b - a);
}

/* Simple Unicode case mapping per code point (utf8proc); Python's few one-to-many mappings,
 * such as German sharp s to "SS", are not applied. */
static int change_case(ctx_t *c, const jv_t *s, int upper, jv_t *out) {
    char *d = palloc(c, s->n * 2 + 1);
    if (!d) return oom(c);
    size_t n = 0, k;
    for (size_t i = 0; i < s->n; i += k) {
        int32_t cp = decode_at(s->s + i, s->n - i, &k);
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
    *out = str_v(d, n);
    return LB_OK;
}

/* Byte offset of code point number cp in s (s->n when past the end). */
static size_t cp_offset(const jv_t *s, size_t cp) {
    size_t i = 0;
    for (size_t k = 0; k < cp && i < s->n; k++) {
        i++;
        while (i < s->n && ((unsigned char)s->s[i] & 0xC0) == 0x80) i++;
    }
    return i;
}

static size_t utf8_len(const jv_t *s) {
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) k += ((unsigned char)s->s[i] & 0xC0) != 0x80;
    return k;
}

static int eval(ctx_t *c, const jj_node_t *nd, jv_t *out);

static int lookup(ctx_t *c, const jj_node_t *nd, jv_t *out) {
    for (size_t i = c->n_vars; i-- > 0;)
        if (!strcmp(c->vars[i].name, nd->s)) {
            *out = c->vars[i].v;
            return LB_OK;
        }
    if (!strcmp(nd->s, "messages")) *out = c->messages;
    else if (!strcmp(nd->s, "bos_token")) *out = c->bos;
    else if (!strcmp(nd->s, "eos_token")) *out = c->eos;
    else if (!strcmp(nd->s, "add_generation_prompt")) *out = c->add_gen;
    else if (!strcmp(nd->s, "tools") || !strcmp(nd->s, "documents")) *out = int_v(V_NONE, 0);
    else *out = int_v(V_UNDEF, 0);
    return LB_OK;
}

static int get_attr(ctx_t *c, const jv_t *obj, const char *name, int line, jv_t *out) {
    *out = int_v(V_UNDEF, 0);
    if (obj->k == V_UNDEF) return rt_error(c, line, "attribute '%s' of an undefined value", name);
    if (obj->k == V_DICT) {
        for (size_t i = 0; i < obj->n; i++)
            if (!strcmp(obj->keys[i], name)) *out = obj->items[i];
    } else if (obj->k == V_LOOP) {
        long long i0 = obj->i, n = (long long)obj->n;
        if (!strcmp(name, "index")) *out = int_v(V_INT, i0 + 1);
        else if (!strcmp(name, "index0")) *out = int_v(V_INT, i0);
        else if (!strcmp(name, "revindex")) *out = int_v(V_INT, n - i0);
        else if (!strcmp(name, "revindex0")) *out = int_v(V_INT, n - i0 - 1);
        else if (!strcmp(name, "first")) *out = int_v(V_BOOL, i0 == 0);
        else if (!strcmp(name, "last")) *out = int_v(V_BOOL, i0 == n - 1);
        else if (!strcmp(name, "length")) *out = int_v(V_INT, n);
        else return rt_error(c, line, "loop.%s is outside the supported subset", name);
    }
    return LB_OK;
}

static int get_item(ctx_t *c, const jv_t *obj, const jv_t *key, int line, jv_t *out) {
    *out = int_v(V_UNDEF, 0);
    if (obj->k == V_UNDEF) return rt_error(c, line, "subscript of an undefined value%s", NULL);
    if (key->k == V_STR) {
        char name[256];
        if (key->n >= sizeof name) return LB_OK;
        memcpy(name, key->s, key->n);
        name[key->n] = '\0';
        return get_attr(c, obj, name, line, out);
    }
    if (key->k == V_INT && obj->k == V_LIST) {
        long long i = key->i < 0 ? key->i + (long long)obj->n : key->i;
        if (i >= 0 && i < (long long)obj->n) *out = obj->items[i];
        return LB_OK;
    }
    return rt_error(c, line, "subscript of a %s is outside the supported subset", kind_name(obj->k));
}

/* Python slice bounds for length n. */
static void slice_bounds(const jv_t *lo, const jv_t *hi, size_t n, size_t *a, size_t *b) {
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

static int eval_binop(ctx_t *c, const jj_node_t *nd, jv_t *out) {
    jv_t a, b;
    int rc = eval(c, nd->a, &a);
    if (!rc) rc = eval(c, nd->b, &b);
    if (rc) return rc;
    const char *op = nd->s;
    int an = a.k == V_INT || a.k == V_BOOL, bn = b.k == V_INT || b.k == V_BOOL;
    if (!strcmp(op, "==")) { *out = int_v(V_BOOL, equal(&a, &b)); return LB_OK; }
    if (!strcmp(op, "!=")) { *out = int_v(V_BOOL, !equal(&a, &b)); return LB_OK; }
    if (!strcmp(op, "~")) {
        jv_t sa, sb;
        if ((rc = to_str(c, &a, nd->line, &sa)) || (rc = to_str(c, &b, nd->line, &sb))) return rc;
        return concat(c, &sa, &sb, out);
    }
    if (!strcmp(op, "in") || !strcmp(op, "not in")) {
        int found = 0;
        if (b.k == V_UNDEF)
            found = 0;  /* Jinja iterates an undefined value as empty */
        else if (b.k == V_STR && a.k == V_STR)
            found = a.n == 0 || memmem(b.s, b.n, a.s, a.n) != NULL;
        else if (b.k == V_LIST)
            for (size_t i = 0; i < b.n && !found; i++) found = equal(&a, &b.items[i]);
        else if (b.k == V_DICT && a.k == V_STR)
            for (size_t i = 0; i < b.n && !found; i++)
                found = strlen(b.keys[i]) == a.n && !memcmp(b.keys[i], a.s, a.n);
        else
            return rt_error(c, nd->line, "'in' on a %s", kind_name(b.k));
        *out = int_v(V_BOOL, op[0] == 'i' ? found : !found);
        return LB_OK;
    }
    if (op[0] == '<' || op[0] == '>') {
        int cmp;
        if (an && bn) cmp = (a.i > b.i) - (a.i < b.i);
        else if (a.k == V_STR && b.k == V_STR) {
            size_t m = a.n < b.n ? a.n : b.n;
            cmp = memcmp(a.s, b.s, m);
            if (!cmp) cmp = (a.n > b.n) - (a.n < b.n);
        } else
            return rt_error(c, nd->line, "cannot order a %s and another type", kind_name(a.k));
        int r = op[0] == '<' ? (op[1] ? cmp <= 0 : cmp < 0) : (op[1] ? cmp >= 0 : cmp > 0);
        *out = int_v(V_BOOL, r);
        return LB_OK;
    }
    if (!strcmp(op, "+") && a.k == V_STR && b.k == V_STR) return concat(c, &a, &b, out);
    if (!strcmp(op, "*") && (a.k == V_STR || b.k == V_STR) && (an || bn)) {
        const jv_t *s = a.k == V_STR ? &a : &b;
        long long k = a.k == V_STR ? b.i : a.i;
        if (k < 0) k = 0;
        if (k > 1000000 || s->n * (size_t)k > (1u << 26)) return rt_error(c, nd->line, "string repetition too large%s", NULL);
        char *d = palloc(c, s->n * (size_t)k + 1);
        if (!d) return oom(c);
        for (long long i = 0; i < k; i++) memcpy(d + (size_t)i * s->n, s->s, s->n);
        d[s->n * (size_t)k] = '\0';
        *out = str_v(d, s->n * (size_t)k);
        return LB_OK;
    }
    if (an && bn) {
        long long x = a.i, y = b.i, r;
        if (!strcmp(op, "+")) r = x + y;
        else if (!strcmp(op, "-")) r = x - y;
        else if (!strcmp(op, "*")) r = x * y;
        else {
            if (y == 0) return rt_error(c, nd->line, "integer division or modulo by zero%s", NULL);
            long long q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) q--, m += y;  /* Python floors */
            r = !strcmp(op, "%") ? m : q;
        }
        *out = int_v(V_INT, r);
        return LB_OK;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "operator '%s' on a %s and a %s", op, kind_name(a.k), kind_name(b.k));
    return rt_error(c, nd->line, "%s", msg);
}

static int eval_method(ctx_t *c, const jj_node_t *nd, jv_t *out) {
    jv_t s, arg = {0};
    int rc = eval(c, nd->a, &s);
    if (!rc && nd->b) rc = eval(c, nd->b, &arg);
    if (rc) return rc;
    if (s.k != V_STR) {
        char msg[128];
        snprintf(msg, sizeof msg, ".%s() on a %s", nd->s, kind_name(s.k));
        return rt_error(c, nd->line, "%s", msg);
    }
    if (nd->b && arg.k != V_STR && !(arg.k == V_NONE && strstr(nd->s, "strip"))) {
        char msg[128];
        snprintf(msg, sizeof msg, ".%s() needs a string argument", nd->s);
        return rt_error(c, nd->line, "%s", msg);
    }
    const jv_t *chars = nd->b && arg.k == V_STR ? &arg : NULL;
    const char *m = nd->s;
    if (!strcmp(m, "strip")) *out = strip(&s, chars, 1, 1);
    else if (!strcmp(m, "lstrip")) *out = strip(&s, chars, 1, 0);
    else if (!strcmp(m, "rstrip")) *out = strip(&s, chars, 0, 1);
    else if (!strcmp(m, "upper") || !strcmp(m, "lower")) return change_case(c, &s, m[0] == 'u', out);
    else if (!strcmp(m, "startswith"))
        *out = int_v(V_BOOL, arg.n <= s.n && !memcmp(s.s, arg.s, arg.n));
    else
        *out = int_v(V_BOOL, arg.n <= s.n && !memcmp(s.s + s.n - arg.n, arg.s, arg.n));
    return LB_OK;
}

static int eval(ctx_t *c, const jj_node_t *nd, jv_t *out) {
    jv_t a, b;
    int rc;
    switch (nd->kind) {
    case JN_STR: *out = str_v(nd->s, nd->n); return LB_OK;
    case JN_INT: *out = int_v(V_INT, nd->i); return LB_OK;
    case JN_BOOL: *out = int_v(V_BOOL, nd->i); return LB_OK;
    case JN_NONE: *out = int_v(V_NONE, 0); return LB_OK;
    case JN_NAME: return lookup(c, nd, out);
    case JN_ATTR:
        if ((rc = eval(c, nd->a, &a))) return rc;
        return get_attr(c, &a, nd->s, nd->line, out);
    case JN_INDEX:
        if ((rc = eval(c, nd->a, &a)) || (rc = eval(c, nd->b, &b))) return rc;
        return get_item(c, &a, &b, nd->line, out);
    case JN_SLICE: {
        jv_t lo = {0}, hi = {0};
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (nd->b && (rc = eval(c, nd->b, &lo))) return rc;
        if (nd->c && (rc = eval(c, nd->c, &hi))) return rc;
        if (a.k != V_LIST && a.k != V_STR) return rt_error(c, nd->line, "slice of a %s", kind_name(a.k));
        size_t x, y;
        if (a.k == V_STR) {
            /* Python slices strings by code point. */
            slice_bounds(nd->b ? &lo : NULL, nd->c ? &hi : NULL, utf8_len(&a), &x, &y);
            size_t bx = cp_offset(&a, x), by = cp_offset(&a, y);
            *out = str_v(a.s + bx, by - bx);
        } else {
            slice_bounds(nd->b ? &lo : NULL, nd->c ? &hi : NULL, a.n, &x, &y);
            *out = a;
            out->items = a.items + x;
            out->n = y - x;
        }
        return LB_OK;
    }
    case JN_BINOP: return eval_binop(c, nd, out);
    case JN_NOT:
        if ((rc = eval(c, nd->a, &a))) return rc;
        *out = int_v(V_BOOL, !truthy(&a));
        return LB_OK;
    case JN_NEG:
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (a.k != V_INT && a.k != V_BOOL) return rt_error(c, nd->line, "unary '-' on a %s", kind_name(a.k));
        *out = int_v(V_INT, -a.i);
        return LB_OK;
    case JN_AND: case JN_OR:
        /* Python semantics: the deciding operand itself is the result. */
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (truthy(&a) == (nd->kind == JN_OR)) {
            *out = a;
            return LB_OK;
        }
        return eval(c, nd->b, out);
    case JN_COND:
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (truthy(&a)) return eval(c, nd->b, out);
        if (nd->c) return eval(c, nd->c, out);
        *out = int_v(V_UNDEF, 0);
        return LB_OK;
    case JN_FILTER:
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (!strcmp(nd->s, "length") || !strcmp(nd->s, "count")) {
            if (a.k == V_STR) *out = int_v(V_INT, (long long)utf8_len(&a));
            else if (a.k == V_LIST || a.k == V_DICT || a.k == V_UNDEF) *out = int_v(V_INT, (long long)a.n);
            else return rt_error(c, nd->line, "|length of a %s", kind_name(a.k));
            return LB_OK;
        }
        if (a.k != V_STR) {
            if ((rc = to_str(c, &a, nd->line, &b))) return rc;
            a = b;
        }
        if (!strcmp(nd->s, "trim")) {
            *out = strip(&a, NULL, 1, 1);
            return LB_OK;
        }
        return change_case(c, &a, nd->s[0] == 'u', out);
    case JN_TEST: {
        if ((rc = eval(c, nd->a, &a))) return rc;
        int r = !strcmp(nd->s, "defined") ? a.k != V_UNDEF
              : !strcmp(nd->s, "undefined") ? a.k == V_UNDEF
              : !strcmp(nd->s, "none") ? a.k == V_NONE
              : a.k == V_STR;
        *out = int_v(V_BOOL, nd->i ? !r : r);
        return LB_OK;
    }
    case JN_RAISE:
        if ((rc = eval(c, nd->a, &a)) || (rc = to_str(c, &a, nd->line, &b))) return rc;
        return lb_error_set(c->err, LB_EINVAL, "%s: chat_template:%d: raise_exception: %.*s",
                            c->t->origin, nd->line, (int)(b.n > 400 ? 400 : b.n), b.s);
    case JN_METHOD: return eval_method(c, nd, out);
    default: return rt_error(c, nd->line, "internal: statement used as an expression%s", NULL);
    }
}

static int emit(ctx_t *c, const char *s, size_t n) {
    if (c->n_out + n + 1 > c->cap_out) {
        size_t cap = c->cap_out ? c->cap_out : 256;
        while (cap < c->n_out + n + 1) cap *= 2;
        char *no = realloc(c->out, cap);
        if (!no) return oom(c);
        c->out = no;
        c->cap_out = cap;
    }
    memcpy(c->out + c->n_out, s, n);
    c->n_out += n;
    c->out[c->n_out] = '\0';
    return LB_OK;
}

static int set_var(ctx_t *c, const char *name, jv_t v) {
    if (c->n_vars == c->cap_vars) {
        size_t cap = c->cap_vars ? c->cap_vars * 2 : 16;
        var_t *nv = realloc(c->vars, cap * sizeof *nv);
        if (!nv) return oom(c);
        c->vars = nv;
        c->cap_vars = cap;
    }
    c->vars[c->n_vars].name = name;
    c->vars[c->n_vars].v = v;
    c->n_vars++;
    return LB_OK;
}

static int exec_body(ctx_t *c, jj_node_t *const *body, size_t n);

static int exec(ctx_t *c, const jj_node_t *nd) {
    jv_t v, s;
    int rc;
    switch (nd->kind) {
    case JN_TEXT: return emit(c, nd->s, nd->n);
    case JN_OUTPUT:
        if ((rc = eval(c, nd->a, &v)) || (rc = to_str(c, &v, nd->line, &s))) return rc;
        return emit(c, s.s, s.n);
    case JN_SET:
        if ((rc = eval(c, nd->a, &v))) return rc;
        return set_var(c, nd->s, v);
    case JN_IF:
        for (size_t i = 0; i < nd->n_conds; i++) {
            if ((rc = eval(c, nd->conds[i], &v))) return rc;
            if (truthy(&v)) return exec_body(c, nd->bodies[i], nd->n_bodies[i]);
        }
        return exec_body(c, nd->bodies[nd->n_conds], nd->n_bodies[nd->n_conds]);
    case JN_FOR: {
        if ((rc = eval(c, nd->a, &v))) return rc;
        if (v.k == V_UNDEF) return LB_OK;  /* Jinja iterates an undefined value as empty */
        if (v.k != V_LIST && v.k != V_DICT)
            return rt_error(c, nd->line, "for over a %s is outside the supported subset", kind_name(v.k));
        /* Each iteration is a fresh scope: sets inside the loop vanish at its end. */
        size_t base = c->n_vars;
        for (size_t i = 0; i < v.n && !rc; i++) {
            c->n_vars = base;
            jv_t item = v.k == V_LIST ? v.items[i] : str_v(v.keys[i], strlen(v.keys[i]));
            jv_t loop = {.k = V_LOOP, .i = (long long)i, .n = v.n};
            if ((rc = set_var(c, nd->s, item)) || (rc = set_var(c, "loop", loop))) break;
            rc = exec_body(c, nd->body, nd->n_body);
        }
        c->n_vars = base;
        return rc;
    }
    default:
        return rt_error(c, nd->line, "internal: expression used as a statement%s", NULL);
    }
}

static int exec_body(ctx_t *c, jj_node_t *const *body, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int rc = exec(c, body[i]);
        if (rc) return rc;
    }
    return LB_OK;
}

int jj_render(const jj_template_t *t, const char *bos, const char *eos, const char *question,
              int add_generation_prompt, char **out, lb_error_t *err) {
    static const char *const keys[] = {"role", "content"};
    ctx_t c = {.t = t, .err = err};
    jv_t msg_fields[2] = {str_v("user", 4), str_v(question, strlen(question))};
    jv_t msg = {.k = V_DICT, .n = 2, .items = msg_fields, .keys = keys};
    c.messages = (jv_t){.k = V_LIST, .n = 1, .items = &msg};
    c.bos = bos ? str_v(bos, strlen(bos)) : int_v(V_UNDEF, 0);
    c.eos = eos ? str_v(eos, strlen(eos)) : int_v(V_UNDEF, 0);
    c.add_gen = int_v(V_BOOL, add_generation_prompt != 0);
    *out = NULL;
    int rc = emit(&c, "", 0);
    if (!rc) rc = exec_body(&c, t->body, t->n_body);
    while (c.pool) {
        pool_chunk_t *next = c.pool->next;
        free(c.pool);
        c.pool = next;
    }
    free(c.vars);
    if (rc) {
        free(c.out);
        return rc;
    }
    *out = c.out;
    return LB_OK;
}
