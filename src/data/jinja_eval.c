/* Chat-template evaluation: walks the tree with Jinja/Python value semantics for the subset.
 * Every intermediate string lives in a scratch pool released when the render returns. */
#include "jinja_value.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int eval(ctx_t *c, const lb_jj_node_t *nd, lb_jv_t *out);

static int lookup(ctx_t *c, const lb_jj_node_t *nd, lb_jv_t *out) {
    for (size_t i = c->n_vars; i-- > 0;)
        if (!strcmp(c->vars[i].name, nd->s)) {
            *out = c->vars[i].v;
            return LB_OK;
        }
    if (!strcmp(nd->s, "messages")) *out = c->messages;
    else if (!strcmp(nd->s, "bos_token")) *out = c->bos;
    else if (!strcmp(nd->s, "eos_token")) *out = c->eos;
    else if (!strcmp(nd->s, "add_generation_prompt")) *out = c->add_gen;
    else if (!strcmp(nd->s, "tools") || !strcmp(nd->s, "documents")) *out = lbi_jv_int_v(V_NONE, 0);
    else *out = lbi_jv_int_v(V_UNDEF, 0);
    return LB_OK;
}

static int get_attr(ctx_t *c, const lb_jv_t *obj, const char *name, int line, lb_jv_t *out) {
    *out = lbi_jv_int_v(V_UNDEF, 0);
    if (obj->k == V_UNDEF) return lbi_jv_rt_error(c, line, "attribute '%s' of an undefined value", name);
    if (obj->k == V_DICT) {
        for (size_t i = 0; i < obj->n; i++)
            if (!strcmp(obj->keys[i], name)) *out = obj->items[i];
    } else if (obj->k == V_LOOP) {
        long long i0 = obj->i, n = (long long)obj->n;
        if (!strcmp(name, "index")) *out = lbi_jv_int_v(V_INT, i0 + 1);
        else if (!strcmp(name, "index0")) *out = lbi_jv_int_v(V_INT, i0);
        else if (!strcmp(name, "revindex")) *out = lbi_jv_int_v(V_INT, n - i0);
        else if (!strcmp(name, "revindex0")) *out = lbi_jv_int_v(V_INT, n - i0 - 1);
        else if (!strcmp(name, "first")) *out = lbi_jv_int_v(V_BOOL, i0 == 0);
        else if (!strcmp(name, "last")) *out = lbi_jv_int_v(V_BOOL, i0 == n - 1);
        else if (!strcmp(name, "length")) *out = lbi_jv_int_v(V_INT, n);
        else return lbi_jv_rt_error(c, line, "loop.%s is outside the supported subset", name);
    }
    return LB_OK;
}

static int get_item(ctx_t *c, const lb_jv_t *obj, const lb_jv_t *key, int line, lb_jv_t *out) {
    *out = lbi_jv_int_v(V_UNDEF, 0);
    if (obj->k == V_UNDEF) return lbi_jv_rt_error(c, line, "subscript of an undefined value%s", NULL);
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
    return lbi_jv_rt_error(c, line, "subscript of a %s is outside the supported subset", lbi_jv_kind_name(obj->k));
}


/* Python's Jinja would give a big integer; ours are 64-bit. */
static int int_overflow(ctx_t *c, int line, const char *op) {
    char msg[160];
    snprintf(msg, sizeof msg, "integer overflow in %s%s%s (the result is outside the 64-bit range "
             "leakbound computes in; Python would give a big integer)",
             op[0] == 'u' ? "" : "'", op, op[0] == 'u' ? "" : "'");
    return lbi_jv_rt_error(c, line, "%s", msg);
}

static int eval_binop(ctx_t *c, const lb_jj_node_t *nd, lb_jv_t *out) {
    lb_jv_t a, b;
    int rc = eval(c, nd->a, &a);
    if (!rc) rc = eval(c, nd->b, &b);
    if (rc) return rc;
    const char *op = nd->s;
    int an = a.k == V_INT || a.k == V_BOOL, bn = b.k == V_INT || b.k == V_BOOL;
    if (!strcmp(op, "==")) { *out = lbi_jv_int_v(V_BOOL, lbi_jv_equal(&a, &b)); return LB_OK; }
    if (!strcmp(op, "!=")) { *out = lbi_jv_int_v(V_BOOL, !lbi_jv_equal(&a, &b)); return LB_OK; }
    if (!strcmp(op, "~")) {
        lb_jv_t sa, sb;
        if ((rc = lbi_jv_to_str(c, &a, nd->line, &sa)) || (rc = lbi_jv_to_str(c, &b, nd->line, &sb))) return rc;
        return lbi_jv_concat(c, &sa, &sb, out);
    }
    if (!strcmp(op, "in") || !strcmp(op, "not in")) {
        int found = 0;
        if (b.k == V_UNDEF)
            found = 0;  /* Jinja iterates an undefined value as empty */
        else if (b.k == V_STR && a.k == V_STR)
            found = a.n == 0 || memmem(b.s, b.n, a.s, a.n) != NULL;
        else if (b.k == V_LIST)
            for (size_t i = 0; i < b.n && !found; i++) found = lbi_jv_equal(&a, &b.items[i]);
        else if (b.k == V_DICT && a.k == V_STR)
            for (size_t i = 0; i < b.n && !found; i++)
                found = strlen(b.keys[i]) == a.n && !memcmp(b.keys[i], a.s, a.n);
        else
            return lbi_jv_rt_error(c, nd->line, "'in' on a %s", lbi_jv_kind_name(b.k));
        *out = lbi_jv_int_v(V_BOOL, op[0] == 'i' ? found : !found);
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
            return lbi_jv_rt_error(c, nd->line, "cannot order a %s and another type", lbi_jv_kind_name(a.k));
        int r = op[0] == '<' ? (op[1] ? cmp <= 0 : cmp < 0) : (op[1] ? cmp >= 0 : cmp > 0);
        *out = lbi_jv_int_v(V_BOOL, r);
        return LB_OK;
    }
    if (!strcmp(op, "+") && a.k == V_STR && b.k == V_STR) return lbi_jv_concat(c, &a, &b, out);
    if (!strcmp(op, "*") && (a.k == V_STR || b.k == V_STR) && (an || bn)) {
        const lb_jv_t *s = a.k == V_STR ? &a : &b;
        long long k = a.k == V_STR ? b.i : a.i;
        if (k < 0 || s->n == 0) k = 0; /* '' * 4e9 copied nothing 4e9 times (found by tests/fuzz) */
        size_t total;
        if (__builtin_mul_overflow(s->n, (size_t)k, &total)) total = SIZE_MAX;
        if ((rc = lbi_jv_check_len(c, total))) return rc;
        char *d = lbi_jv_palloc(c, s->n * (size_t)k + 1);
        if (!d) return lbi_jv_oom(c);
        for (long long i = 0; i < k; i++) memcpy(d + (size_t)i * s->n, s->s, s->n);
        d[s->n * (size_t)k] = '\0';
        *out = lbi_jv_str_v(d, s->n * (size_t)k);
        return LB_OK;
    }
    if (an && bn) {
        long long x = a.i, y = b.i, r;
        int over;
        if (!strcmp(op, "+")) over = __builtin_add_overflow(x, y, &r);
        else if (!strcmp(op, "-")) over = __builtin_sub_overflow(x, y, &r);
        else if (!strcmp(op, "*")) over = __builtin_mul_overflow(x, y, &r);
        else {
            if (y == 0) return lbi_jv_rt_error(c, nd->line, "integer division or modulo by zero%s", NULL);
            /* x / -1 is -x (it overflows only for the minimum); x % -1 is 0. */
            over = y == -1 && x == LLONG_MIN && op[0] == '/';
            long long q = y == -1 ? (x == LLONG_MIN ? 0 : -x) : x / y, m = y == -1 ? 0 : x % y;
            if (m != 0 && ((m < 0) != (y < 0))) q--, m += y;  /* Python floors */
            r = !strcmp(op, "%") ? m : q;
        }
        if (over) return int_overflow(c, nd->line, op);
        *out = lbi_jv_int_v(V_INT, r);
        return LB_OK;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "operator '%s' on a %s and a %s", op, lbi_jv_kind_name(a.k), lbi_jv_kind_name(b.k));
    return lbi_jv_rt_error(c, nd->line, "%s", msg);
}

static int eval_method(ctx_t *c, const lb_jj_node_t *nd, lb_jv_t *out) {
    lb_jv_t s, arg = {0};
    int rc = eval(c, nd->a, &s);
    if (!rc && nd->b) rc = eval(c, nd->b, &arg);
    if (rc) return rc;
    if (s.k != V_STR) {
        char msg[128];
        snprintf(msg, sizeof msg, ".%s() on a %s", nd->s, lbi_jv_kind_name(s.k));
        return lbi_jv_rt_error(c, nd->line, "%s", msg);
    }
    if (nd->b && arg.k != V_STR && !(arg.k == V_NONE && strstr(nd->s, "strip"))) {
        char msg[128];
        snprintf(msg, sizeof msg, ".%s() needs a string argument", nd->s);
        return lbi_jv_rt_error(c, nd->line, "%s", msg);
    }
    const lb_jv_t *chars = nd->b && arg.k == V_STR ? &arg : NULL;
    const char *m = nd->s;
    if (!strcmp(m, "strip")) *out = lbi_jv_strip(&s, chars, 1, 1);
    else if (!strcmp(m, "lstrip")) *out = lbi_jv_strip(&s, chars, 1, 0);
    else if (!strcmp(m, "rstrip")) *out = lbi_jv_strip(&s, chars, 0, 1);
    else if (!strcmp(m, "upper") || !strcmp(m, "lower")) return lbi_jv_change_case(c, &s, m[0] == 'u', out);
    else if (!strcmp(m, "startswith"))
        *out = lbi_jv_int_v(V_BOOL, arg.n <= s.n && !memcmp(s.s, arg.s, arg.n));
    else
        *out = lbi_jv_int_v(V_BOOL, arg.n <= s.n && !memcmp(s.s + s.n - arg.n, arg.s, arg.n));
    return LB_OK;
}

/* The evaluator's own guard on recursion; lbi_jj_compile already refuses deeper trees. */
static int enter(ctx_t *c, const lb_jj_node_t *nd) {
    c->line = nd->line;
    if (++c->depth <= LB_JJ_MAX_DEPTH) return LB_OK;
    c->depth--;
    char msg[96];
    snprintf(msg, sizeof msg, "nesting deeper than %d levels (leakbound's limit)", LB_JJ_MAX_DEPTH);
    return lbi_jv_rt_error(c, nd->line, "%s", msg);
}

static int eval_at(ctx_t *c, const lb_jj_node_t *nd, lb_jv_t *out);

static int eval(ctx_t *c, const lb_jj_node_t *nd, lb_jv_t *out) {
    int rc = enter(c, nd);
    if (rc) return rc;
    rc = eval_at(c, nd, out);
    c->depth--;
    return rc;
}

static int eval_at(ctx_t *c, const lb_jj_node_t *nd, lb_jv_t *out) {
    lb_jv_t a, b;
    int rc;
    switch (nd->kind) {
    case JN_STR: *out = lbi_jv_str_v(nd->s, nd->n); return LB_OK;
    case JN_INT: *out = lbi_jv_int_v(V_INT, nd->i); return LB_OK;
    case JN_BOOL: *out = lbi_jv_int_v(V_BOOL, nd->i); return LB_OK;
    case JN_NONE: *out = lbi_jv_int_v(V_NONE, 0); return LB_OK;
    case JN_NAME: return lookup(c, nd, out);
    case JN_ATTR:
        if ((rc = eval(c, nd->a, &a))) return rc;
        return get_attr(c, &a, nd->s, nd->line, out);
    case JN_INDEX:
        if ((rc = eval(c, nd->a, &a)) || (rc = eval(c, nd->b, &b))) return rc;
        return get_item(c, &a, &b, nd->line, out);
    case JN_SLICE: {
        lb_jv_t lo = {0}, hi = {0};
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (nd->b && (rc = eval(c, nd->b, &lo))) return rc;
        if (nd->c && (rc = eval(c, nd->c, &hi))) return rc;
        if (a.k != V_LIST && a.k != V_STR) return lbi_jv_rt_error(c, nd->line, "slice of a %s", lbi_jv_kind_name(a.k));
        size_t x, y;
        if (a.k == V_STR) {
            /* Python slices strings by code point. */
            lbi_jv_slice_bounds(nd->b ? &lo : NULL, nd->c ? &hi : NULL, lbi_jv_utf8_len(&a), &x, &y);
            size_t bx = lbi_jv_cp_offset(&a, x), by = lbi_jv_cp_offset(&a, y);
            *out = lbi_jv_str_v(a.s + bx, by - bx);
        } else {
            lbi_jv_slice_bounds(nd->b ? &lo : NULL, nd->c ? &hi : NULL, a.n, &x, &y);
            *out = a;
            out->items = a.items + x;
            out->n = y - x;
        }
        return LB_OK;
    }
    case JN_BINOP: return eval_binop(c, nd, out);
    case JN_NOT:
        if ((rc = eval(c, nd->a, &a))) return rc;
        *out = lbi_jv_int_v(V_BOOL, !lbi_jv_truthy(&a));
        return LB_OK;
    case JN_NEG:
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (a.k != V_INT && a.k != V_BOOL) return lbi_jv_rt_error(c, nd->line, "unary '-' on a %s", lbi_jv_kind_name(a.k));
        if (a.i == LLONG_MIN) return int_overflow(c, nd->line, "unary '-'");
        *out = lbi_jv_int_v(V_INT, -a.i);
        return LB_OK;
    case JN_AND: case JN_OR:
        /* Python semantics: the deciding operand itself is the result. */
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (lbi_jv_truthy(&a) == (nd->kind == JN_OR)) {
            *out = a;
            return LB_OK;
        }
        return eval(c, nd->b, out);
    case JN_COND:
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (lbi_jv_truthy(&a)) return eval(c, nd->b, out);
        if (nd->c) return eval(c, nd->c, out);
        *out = lbi_jv_int_v(V_UNDEF, 0);
        return LB_OK;
    case JN_FILTER:
        if ((rc = eval(c, nd->a, &a))) return rc;
        if (!strcmp(nd->s, "length") || !strcmp(nd->s, "count")) {
            if (a.k == V_STR) *out = lbi_jv_int_v(V_INT, (long long)lbi_jv_utf8_len(&a));
            else if (a.k == V_LIST || a.k == V_DICT || a.k == V_UNDEF) *out = lbi_jv_int_v(V_INT, (long long)a.n);
            else return lbi_jv_rt_error(c, nd->line, "|length of a %s", lbi_jv_kind_name(a.k));
            return LB_OK;
        }
        if (a.k != V_STR) {
            if ((rc = lbi_jv_to_str(c, &a, nd->line, &b))) return rc;
            a = b;
        }
        if (!strcmp(nd->s, "trim")) {
            *out = lbi_jv_strip(&a, NULL, 1, 1);
            return LB_OK;
        }
        return lbi_jv_change_case(c, &a, nd->s[0] == 'u', out);
    case JN_TEST: {
        if ((rc = eval(c, nd->a, &a))) return rc;
        int r = !strcmp(nd->s, "defined") ? a.k != V_UNDEF
              : !strcmp(nd->s, "undefined") ? a.k == V_UNDEF
              : !strcmp(nd->s, "none") ? a.k == V_NONE
              : a.k == V_STR;
        *out = lbi_jv_int_v(V_BOOL, nd->i ? !r : r);
        return LB_OK;
    }
    case JN_RAISE:
        if ((rc = eval(c, nd->a, &a)) || (rc = lbi_jv_to_str(c, &a, nd->line, &b))) return rc;
        return lb_error_set(c->err, LB_EINVAL, "%s: chat_template:%d: raise_exception: %.*s",
                            c->t->origin, nd->line, (int)(b.n > 400 ? 400 : b.n), b.s);
    case JN_METHOD: return eval_method(c, nd, out);
    default: return lbi_jv_rt_error(c, nd->line, "internal: statement used as an expression%s", NULL);
    }
}

static int emit(ctx_t *c, const char *s, size_t n) {
    if (n > LB_JJ_MAX_OUTPUT - c->n_out) {
        char msg[128];
        snprintf(msg, sizeof msg, "the rendered prompt would be longer than %zu MiB (leakbound's limit)",
                 LB_JJ_MAX_OUTPUT >> 20);
        return lbi_jv_rt_error(c, c->line, "%s", msg);
    }
    if (c->n_out + n + 1 > c->cap_out) {
        size_t cap = c->cap_out ? c->cap_out : 256;
        while (cap < c->n_out + n + 1) cap *= 2;
        char *no = realloc(c->out, cap);
        if (!no) return lbi_jv_oom(c);
        c->out = no;
        c->cap_out = cap;
    }
    memcpy(c->out + c->n_out, s, n);
    c->n_out += n;
    c->out[c->n_out] = '\0';
    return LB_OK;
}

static int set_var(ctx_t *c, const char *name, lb_jv_t v) {
    if (c->n_vars == c->cap_vars) {
        size_t cap = c->cap_vars ? c->cap_vars * 2 : 16;
        var_t *nv = realloc(c->vars, cap * sizeof *nv);
        if (!nv) return lbi_jv_oom(c);
        c->vars = nv;
        c->cap_vars = cap;
    }
    c->vars[c->n_vars].name = name;
    c->vars[c->n_vars].v = v;
    c->n_vars++;
    return LB_OK;
}

static int exec_body(ctx_t *c, lb_jj_node_t *const *body, size_t n);

static int exec_at(ctx_t *c, const lb_jj_node_t *nd);

static int exec(ctx_t *c, const lb_jj_node_t *nd) {
    int rc = enter(c, nd);
    if (rc) return rc;
    rc = exec_at(c, nd);
    c->depth--;
    return rc;
}

static int exec_at(ctx_t *c, const lb_jj_node_t *nd) {
    lb_jv_t v, s;
    int rc;
    switch (nd->kind) {
    case JN_TEXT: return emit(c, nd->s, nd->n);
    case JN_OUTPUT:
        if ((rc = eval(c, nd->a, &v)) || (rc = lbi_jv_to_str(c, &v, nd->line, &s))) return rc;
        return emit(c, s.s, s.n);
    case JN_SET:
        if ((rc = eval(c, nd->a, &v))) return rc;
        return set_var(c, nd->s, v);
    case JN_IF:
        for (size_t i = 0; i < nd->n_conds; i++) {
            if ((rc = eval(c, nd->conds[i], &v))) return rc;
            if (lbi_jv_truthy(&v)) return exec_body(c, nd->bodies[i], nd->n_bodies[i]);
        }
        return exec_body(c, nd->bodies[nd->n_conds], nd->n_bodies[nd->n_conds]);
    case JN_FOR: {
        if ((rc = eval(c, nd->a, &v))) return rc;
        if (v.k == V_UNDEF) return LB_OK;  /* Jinja iterates an undefined value as empty */
        if (v.k != V_LIST && v.k != V_DICT)
            return lbi_jv_rt_error(c, nd->line, "for over a %s is outside the supported subset", lbi_jv_kind_name(v.k));
        /* Each iteration is a fresh scope: sets inside the loop vanish at its end. */
        size_t base = c->n_vars;
        for (size_t i = 0; i < v.n && !rc; i++) {
            if (++c->iterations > LB_JJ_MAX_ITERATIONS) {
                char msg[128];
                snprintf(msg, sizeof msg, "more than %ld loop iterations in one render (leakbound's limit)",
                         LB_JJ_MAX_ITERATIONS);
                rc = lbi_jv_rt_error(c, nd->line, "%s", msg);
                break;
            }
            c->n_vars = base;
            lb_jv_t item = v.k == V_LIST ? v.items[i] : lbi_jv_str_v(v.keys[i], strlen(v.keys[i]));
            lb_jv_t loop = {.k = V_LOOP, .i = (long long)i, .n = v.n};
            if ((rc = set_var(c, nd->s, item)) || (rc = set_var(c, "loop", loop))) break;
            rc = exec_body(c, nd->body, nd->n_body);
        }
        c->n_vars = base;
        return rc;
    }
    default:
        return lbi_jv_rt_error(c, nd->line, "internal: expression used as a statement%s", NULL);
    }
}

static int exec_body(ctx_t *c, lb_jj_node_t *const *body, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int rc = exec(c, body[i]);
        if (rc) return rc;
    }
    return LB_OK;
}

int lbi_jj_render(const lb_jj_template_t *t, const char *bos, const char *eos, const char *question,
              int add_generation_prompt, char **out, lb_error_t *err) {
    const char *role = "user";
    return lbi_jj_render_messages(t, bos, eos, &role, &question, 1, add_generation_prompt, out, err);
}

#define LB_JJ_MAX_MESSAGES 16

int lbi_jj_render_messages(const lb_jj_template_t *t, const char *bos, const char *eos,
                          const char *const *roles, const char *const *contents, size_t n_msgs,
                          int add_generation_prompt, char **out, lb_error_t *err) {
    static const char *const keys[] = {"role", "content"};
    ctx_t c = {.t = t, .err = err};
    *out = NULL;
    if (n_msgs > LB_JJ_MAX_MESSAGES)
        return lb_error_set(err, LB_EINVAL, "at most %d messages in a conversation", LB_JJ_MAX_MESSAGES);
    lb_jv_t msg_fields[LB_JJ_MAX_MESSAGES][2], msgs[LB_JJ_MAX_MESSAGES];
    for (size_t i = 0; i < n_msgs; i++) {
        msg_fields[i][0] = lbi_jv_str_v(roles[i], strlen(roles[i]));
        msg_fields[i][1] = lbi_jv_str_v(contents[i], strlen(contents[i]));
        msgs[i] = (lb_jv_t){.k = V_DICT, .n = 2, .items = msg_fields[i], .keys = keys};
    }
    c.messages = (lb_jv_t){.k = V_LIST, .n = n_msgs, .items = msgs};
    c.bos = bos ? lbi_jv_str_v(bos, strlen(bos)) : lbi_jv_int_v(V_UNDEF, 0);
    c.eos = eos ? lbi_jv_str_v(eos, strlen(eos)) : lbi_jv_int_v(V_UNDEF, 0);
    c.add_gen = lbi_jv_int_v(V_BOOL, add_generation_prompt != 0);
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
