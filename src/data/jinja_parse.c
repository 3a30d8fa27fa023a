/* Chat-template parser: tokens -> statement and expression tree (recursive descent with Jinja's
 * operator precedence). Everything outside the documented subset is rejected here, by name. */
#include "jinja.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    jj_template_t *t;
    jj_tok_t *toks;
    size_t n, pos;
    lb_error_t *err;
} parser_t;

/* Make the template own p (freed by jj_free). Returns 0 or -1 (p not adopted). */
static int adopt(parser_t *P, void *p) {
    jj_template_t *t = P->t;
    if (t->n_blocks == t->cap_blocks) {
        size_t cap = t->cap_blocks ? t->cap_blocks * 2 : 64;
        void **nb = realloc(t->blocks, cap * sizeof *nb);
        if (!nb) return -1;
        t->blocks = nb;
        t->cap_blocks = cap;
    }
    t->blocks[t->n_blocks++] = p;
    return 0;
}

static void *own(parser_t *P, size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (p && adopt(P, p)) {
        free(p);
        return NULL;
    }
    return p;
}

static jj_node_t *node(parser_t *P, jj_node_kind_t kind, int line) {
    jj_node_t *nd = own(P, sizeof *nd);
    if (!nd) {
        lb_error_set(P->err, LB_ENOMEM, "out of memory");
        return NULL;
    }
    nd->kind = kind;
    nd->line = line;
    return nd;
}

static jj_tok_t *cur(parser_t *P) { return &P->toks[P->pos]; }

static int is_op(parser_t *P, const char *op) {
    jj_tok_t *t = cur(P);
    return t->kind == JT_OP && !strcmp(t->s, op);
}

static int is_name(parser_t *P, const char *name) {
    jj_tok_t *t = cur(P);
    return t->kind == JT_NAME && !strcmp(t->s, name);
}

static jj_node_t *fail(parser_t *P, int code, const char *what) {
    jj_tok_t *t = cur(P);
    const char *near = t->kind == JT_EOF ? "end of template"
                     : t->kind == JT_VAR_END ? "}}"
                     : t->kind == JT_BLOCK_END ? "%}"
                     : t->s;
    if (code == LB_EUNSUPPORTED)
        lb_error_set(P->err, code, "%s: chat_template:%d: unsupported construct: %s (outside leakbound's Jinja subset)",
                     P->t->origin, t->line, what);
    else
        lb_error_set(P->err, code, "%s: chat_template:%d: syntax error: %s near '%s'", P->t->origin,
                     t->line, what, near);
    return NULL;
}

static int expect_op(parser_t *P, const char *op) {
    if (!is_op(P, op)) {
        char what[32];
        snprintf(what, sizeof what, "expected '%s'", op);
        fail(P, LB_EUNSUPPORTED, what);
        return -1;
    }
    P->pos++;
    return 0;
}

static jj_node_t *parse_expr(parser_t *P);
static jj_node_t *parse_unary(parser_t *P, int with_filter);

static jj_node_t *binop(parser_t *P, jj_node_kind_t kind, const char *op, jj_node_t *a, jj_node_t *b,
                        int line) {
    if (!a || !b) return NULL;
    jj_node_t *nd = node(P, kind, line);
    if (!nd) return NULL;
    nd->s = op;
    nd->a = a;
    nd->b = b;
    return nd;
}

static jj_node_t *parse_primary(parser_t *P) {
    jj_tok_t *t = cur(P);
    jj_node_t *nd;
    if (t->kind == JT_NAME) {
        P->pos++;
        if (!strcmp(t->s, "true") || !strcmp(t->s, "True") || !strcmp(t->s, "false") ||
            !strcmp(t->s, "False")) {
            if (!(nd = node(P, JN_BOOL, t->line))) return NULL;
            nd->i = t->s[0] == 't' || t->s[0] == 'T';
            return nd;
        }
        if (!strcmp(t->s, "none") || !strcmp(t->s, "None")) return node(P, JN_NONE, t->line);
        if (!(nd = node(P, JN_NAME, t->line))) return NULL;
        nd->s = t->s;
        nd->n = t->n;
        return nd;
    }
    if (t->kind == JT_STRING) {
        /* Adjacent literals concatenate, as in Jinja and Python. */
        size_t total = 0, k = P->pos;
        while (P->toks[k].kind == JT_STRING) total += P->toks[k++].n;
        char *s = own(P, total + 1);
        if (!s || !(nd = node(P, JN_STR, t->line))) return fail(P, LB_ENOMEM, "out of memory");
        size_t off = 0;
        while (cur(P)->kind == JT_STRING) {
            memcpy(s + off, cur(P)->s, cur(P)->n);
            off += cur(P)->n;
            P->pos++;
        }
        nd->s = s;
        nd->n = total;
        return nd;
    }
    if (t->kind == JT_INT) {
        P->pos++;
        if (!(nd = node(P, JN_INT, t->line))) return NULL;
        nd->i = t->i;
        return nd;
    }
    if (is_op(P, "(")) {
        P->pos++;
        nd = parse_expr(P);
        if (!nd) return NULL;
        if (is_op(P, ",")) return fail(P, LB_EUNSUPPORTED, "tuple");
        if (expect_op(P, ")")) return NULL;
        return nd;
    }
    if (is_op(P, "[")) return fail(P, LB_EUNSUPPORTED, "list literal");
    return fail(P, LB_EUNSUPPORTED, "expected an expression");
}

static int method_arity(const char *name, int *min, int *max) {
    static const struct { const char *name; int min, max; } m[] = {
        {"strip", 0, 1}, {"lstrip", 0, 1}, {"rstrip", 0, 1}, {"upper", 0, 0}, {"lower", 0, 0},
        {"startswith", 1, 1}, {"endswith", 1, 1}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcmp(name, m[i].name)) {
            *min = m[i].min;
            *max = m[i].max;
            return 1;
        }
    return 0;
}

static jj_node_t *parse_postfix(parser_t *P, jj_node_t *nd) {
    while (nd) {
        int line = cur(P)->line;
        if (is_op(P, ".")) {
            P->pos++;
            jj_tok_t *name = cur(P);
            if (name->kind != JT_NAME) return fail(P, LB_EUNSUPPORTED, "attribute name expected after '.'");
            P->pos++;
            if (is_op(P, "(")) {
                int min, max;
                if (!method_arity(name->s, &min, &max)) {
                    char what[160];
                    snprintf(what, sizeof what, "method call .%s()", name->s);
                    P->pos--;
                    return fail(P, LB_EUNSUPPORTED, what);
                }
                P->pos++;
                jj_node_t *m = node(P, JN_METHOD, line);
                if (!m) return NULL;
                m->s = name->s;
                m->a = nd;
                int nargs = 0;
                if (!is_op(P, ")")) {
                    if (!(m->b = parse_expr(P))) return NULL;
                    nargs = 1;
                }
                if (nargs < min || nargs > max || !is_op(P, ")")) {
                    char what[160];
                    snprintf(what, sizeof what, "arguments of .%s()", name->s);
                    return fail(P, LB_EUNSUPPORTED, what);
                }
                P->pos++;
                nd = m;
            } else {
                jj_node_t *a = node(P, JN_ATTR, line);
                if (!a) return NULL;
                a->s = name->s;
                a->n = name->n;
                a->a = nd;
                nd = a;
            }
        } else if (is_op(P, "[")) {
            P->pos++;
            jj_node_t *lo = NULL, *hi = NULL;
            if (!is_op(P, ":") && !(lo = parse_expr(P))) return NULL;
            if (is_op(P, ":")) {
                P->pos++;
                if (!is_op(P, "]") && !(hi = parse_expr(P))) return NULL;
                if (is_op(P, ":")) return fail(P, LB_EUNSUPPORTED, "slice step");
                jj_node_t *s = node(P, JN_SLICE, line);
                if (!s) return NULL;
                s->a = nd;
                s->b = lo;
                s->c = hi;
                nd = s;
            } else {
                jj_node_t *s = node(P, JN_INDEX, line);
                if (!s) return NULL;
                s->a = nd;
                s->b = lo;
                nd = s;
            }
            if (expect_op(P, "]")) return NULL;
        } else if (is_op(P, "(")) {
            if (nd->kind != JN_NAME || strcmp(nd->s, "raise_exception")) {
                char what[160];
                snprintf(what, sizeof what, "call of %s()", nd->kind == JN_NAME ? nd->s : "an expression");
                return fail(P, LB_EUNSUPPORTED, what);
            }
            P->pos++;
            jj_node_t *r = node(P, JN_RAISE, line);
            if (!r || !(r->a = parse_expr(P))) return NULL;
            if (expect_op(P, ")")) return NULL;
            nd = r;
        } else {
            break;
        }
    }
    return nd;
}

static jj_node_t *parse_filters(parser_t *P, jj_node_t *nd) {
    static const char *const filters[] = {"trim", "length", "count", "lower", "upper"};
    static const char *const tests[] = {"defined", "undefined", "none", "string"};
    while (nd) {
        int line = cur(P)->line;
        if (is_op(P, "|")) {
            P->pos++;
            jj_tok_t *name = cur(P);
            if (name->kind != JT_NAME) return fail(P, LB_EUNSUPPORTED, "filter name expected after '|'");
            int ok = 0;
            for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) ok |= !strcmp(name->s, filters[i]);
            char what[160];
            snprintf(what, sizeof what, "filter '%s'", name->s);
            if (!ok) return fail(P, LB_EUNSUPPORTED, what);
            P->pos++;
            if (is_op(P, "(")) return fail(P, LB_EUNSUPPORTED, "filter arguments");
            jj_node_t *f = node(P, JN_FILTER, line);
            if (!f) return NULL;
            f->s = name->s;
            f->a = nd;
            nd = f;
        } else if (is_name(P, "is")) {
            P->pos++;
            int neg = 0;
            if (is_name(P, "not")) {
                neg = 1;
                P->pos++;
            }
            jj_tok_t *name = cur(P);
            int ok = 0;
            if (name->kind == JT_NAME)
                for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) ok |= !strcmp(name->s, tests[i]);
            char what[160];
            snprintf(what, sizeof what, "test 'is %s'", name->kind == JT_NAME ? name->s : "?");
            if (!ok) return fail(P, LB_EUNSUPPORTED, what);
            P->pos++;
            jj_node_t *t = node(P, JN_TEST, line);
            if (!t) return NULL;
            t->s = name->s;
            t->i = neg;
            t->a = nd;
            nd = t;
        } else {
            break;
        }
    }
    return nd;
}

static jj_node_t *parse_unary(parser_t *P, int with_filter) {
    jj_node_t *nd;
    int line = cur(P)->line;
    if (is_op(P, "-")) {
        P->pos++;
        nd = node(P, JN_NEG, line);
        if (!nd || !(nd->a = parse_unary(P, 0))) return NULL;
    } else if (is_op(P, "+")) {
        P->pos++;
        nd = parse_unary(P, 0);
    } else {
        nd = parse_primary(P);
    }
    nd = parse_postfix(P, nd);
    return with_filter ? parse_filters(P, nd) : nd;
}

static jj_node_t *parse_math2(parser_t *P) {
    jj_node_t *a = parse_unary(P, 1);
    while (a) {
        int line = cur(P)->line;
        if (is_op(P, "**")) return fail(P, LB_EUNSUPPORTED, "operator '**'");
        if (is_op(P, "/")) return fail(P, LB_EUNSUPPORTED, "operator '/' (floats)");
        const char *op = is_op(P, "*") ? "*" : is_op(P, "%") ? "%" : is_op(P, "//") ? "//" : NULL;
        if (!op) break;
        P->pos++;
        a = binop(P, JN_BINOP, op, a, parse_unary(P, 1), line);
    }
    return a;
}

static jj_node_t *parse_concat(parser_t *P) {
    jj_node_t *a = parse_math2(P);
    while (a && is_op(P, "~")) {
        int line = cur(P)->line;
        P->pos++;
        a = binop(P, JN_BINOP, "~", a, parse_math2(P), line);
    }
    return a;
}

static jj_node_t *parse_math1(parser_t *P) {
    jj_node_t *a = parse_concat(P);
    while (a && (is_op(P, "+") || is_op(P, "-"))) {
        int line = cur(P)->line;
        const char *op = is_op(P, "+") ? "+" : "-";
        P->pos++;
        a = binop(P, JN_BINOP, op, a, parse_concat(P), line);
    }
    return a;
}

static const char *compare_op(parser_t *P, int *width) {
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    *width = 1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (is_op(P, ops[i])) return ops[i];
    if (is_name(P, "in")) return "in";
    if (is_name(P, "not") && P->toks[P->pos + 1].kind == JT_NAME && !strcmp(P->toks[P->pos + 1].s, "in")) {
        *width = 2;
        return "not in";
    }
    return NULL;
}

static jj_node_t *parse_compare(parser_t *P) {
    jj_node_t *a = parse_math1(P);
    int width;
    const char *op;
    if (a && (op = compare_op(P, &width))) {
        int line = cur(P)->line;
        P->pos += (size_t)width;
        a = binop(P, JN_BINOP, op, a, parse_math1(P), line);
        if (a && compare_op(P, &width)) return fail(P, LB_EUNSUPPORTED, "chained comparison");
    }
    return a;
}

static jj_node_t *parse_not(parser_t *P) {
    if (is_name(P, "not")) {
        int line = cur(P)->line;
        P->pos++;
        jj_node_t *nd = node(P, JN_NOT, line);
        if (!nd || !(nd->a = parse_not(P))) return NULL;
        return nd;
    }
    return parse_compare(P);
}

static jj_node_t *parse_and(parser_t *P) {
    jj_node_t *a = parse_not(P);
    while (a && is_name(P, "and")) {
        int line = cur(P)->line;
        P->pos++;
        a = binop(P, JN_AND, "and", a, parse_not(P), line);
    }
    return a;
}

static jj_node_t *parse_or(parser_t *P) {
    jj_node_t *a = parse_and(P);
    while (a && is_name(P, "or")) {
        int line = cur(P)->line;
        P->pos++;
        a = binop(P, JN_OR, "or", a, parse_and(P), line);
    }
    return a;
}

static jj_node_t *parse_expr(parser_t *P) {
    jj_node_t *a = parse_or(P);
    if (a && is_name(P, "if")) {
        int line = cur(P)->line;
        P->pos++;
        jj_node_t *c = node(P, JN_COND, line);
        if (!c) return NULL;
        c->b = a;
        if (!(c->a = parse_or(P))) return NULL;
        if (is_name(P, "else")) {
            P->pos++;
            if (!(c->c = parse_expr(P))) return NULL;
        }
        a = c;
    }
    return a;
}

/* ---------------------------------------------------------------- statements */

typedef struct body {
    jj_node_t **v;
    size_t n, cap;
} body_t;

static int body_push(parser_t *P, body_t *b, jj_node_t *nd) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        jj_node_t **nv = own(P, cap * sizeof *nv);
        if (!nv) return lb_error_set(P->err, LB_ENOMEM, "out of memory");
        if (b->n) memcpy(nv, b->v, b->n * sizeof *nv);
        b->v = nv;  /* the old array stays owned by the template until jj_free */
        b->cap = cap;
    }
    b->v[b->n++] = nd;
    return LB_OK;
}

static int expect_block_end(parser_t *P) {
    if (cur(P)->kind != JT_BLOCK_END) {
        fail(P, LB_EUNSUPPORTED, "expected '%}'");
        return -1;
    }
    P->pos++;
    return 0;
}

/* Parse statements until a block tag whose keyword is one of stops (then P->pos is at that
 * keyword) or the end of the template (stops == NULL only). */
static int parse_body(parser_t *P, const char *const *stops, body_t *out, const char **stopped);

static jj_node_t *parse_if(parser_t *P, int line) {
    jj_node_t *nd = node(P, JN_IF, line);
    if (!nd) return NULL;
    static const char *const stops[] = {"elif", "else", "endif", NULL};
    body_t conds = {0};
    jj_node_t **bodies[64];
    size_t nbodies[64];
    size_t k = 0;
    for (;;) {
        jj_node_t *c = parse_expr(P);
        if (!c || expect_block_end(P) || body_push(P, &conds, c)) return NULL;
        body_t b = {0};
        const char *stopped;
        if (parse_body(P, stops, &b, &stopped)) return NULL;
        if (k >= 63) return fail(P, LB_EUNSUPPORTED, "more than 62 elif branches");
        bodies[k] = b.v;
        nbodies[k++] = b.n;
        P->pos++;
        if (!strcmp(stopped, "elif")) continue;
        body_t e = {0};
        if (!strcmp(stopped, "else")) {
            if (expect_block_end(P)) return NULL;
            static const char *const end_only[] = {"endif", NULL};
            if (parse_body(P, end_only, &e, &stopped)) return NULL;
            P->pos++;
        }
        if (expect_block_end(P)) return NULL;
        bodies[k] = e.v;
        nbodies[k] = e.n;
        break;
    }
    nd->conds = conds.v;
    nd->n_conds = conds.n;
    nd->bodies = own(P, (k + 1) * sizeof *nd->bodies);
    nd->n_bodies = own(P, (k + 1) * sizeof *nd->n_bodies);
    if (!nd->bodies || !nd->n_bodies) return fail(P, LB_ENOMEM, "out of memory");
    memcpy(nd->bodies, bodies, (k + 1) * sizeof *nd->bodies);
    memcpy(nd->n_bodies, nbodies, (k + 1) * sizeof *nd->n_bodies);
    return nd;
}

static jj_node_t *parse_for(parser_t *P, int line) {
    jj_tok_t *var = cur(P);
    if (var->kind != JT_NAME) return fail(P, LB_EUNSUPPORTED, "for: loop variable expected");
    P->pos++;
    if (is_op(P, ",")) return fail(P, LB_EUNSUPPORTED, "for with several loop variables");
    if (!is_name(P, "in")) return fail(P, LB_EUNSUPPORTED, "for: expected 'in'");
    P->pos++;
    jj_node_t *nd = node(P, JN_FOR, line);
    if (!nd || !(nd->a = parse_or(P))) return NULL;
    nd->s = var->s;
    nd->n = var->n;
    if (is_name(P, "if")) return fail(P, LB_EUNSUPPORTED, "for ... if (loop filter)");
    if (is_name(P, "recursive")) return fail(P, LB_EUNSUPPORTED, "recursive for");
    if (expect_block_end(P)) return NULL;
    static const char *const stops[] = {"endfor", "else", NULL};
    body_t b = {0};
    const char *stopped;
    if (parse_body(P, stops, &b, &stopped)) return NULL;
    if (!strcmp(stopped, "else")) return fail(P, LB_EUNSUPPORTED, "for ... else");
    P->pos++;
    if (expect_block_end(P)) return NULL;
    nd->body = b.v;
    nd->n_body = b.n;
    return nd;
}

static jj_node_t *parse_set(parser_t *P, int line) {
    jj_tok_t *var = cur(P);
    if (var->kind != JT_NAME) return fail(P, LB_EUNSUPPORTED, "set: variable name expected");
    P->pos++;
    if (is_op(P, ".")) return fail(P, LB_EUNSUPPORTED, "set of an attribute (namespace)");
    if (is_op(P, ",")) return fail(P, LB_EUNSUPPORTED, "set of several variables");
    if (!is_op(P, "=")) return fail(P, LB_EUNSUPPORTED, "block set ({% set x %}...{% endset %})");
    P->pos++;
    jj_node_t *nd = node(P, JN_SET, line);
    if (!nd || !(nd->a = parse_expr(P))) return NULL;
    nd->s = var->s;
    nd->n = var->n;
    if (expect_block_end(P)) return NULL;
    return nd;
}

static int parse_body(parser_t *P, const char *const *stops, body_t *out, const char **stopped) {
    for (;;) {
        jj_tok_t *t = cur(P);
        jj_node_t *nd = NULL;
        if (t->kind == JT_EOF) {
            if (!stops) return LB_OK;
            char what[64];
            snprintf(what, sizeof what, "missing {%% %s %%}", !strcmp(stops[0], "endfor") ? "endfor" : "endif");
            fail(P, LB_EUNSUPPORTED, what);
            return P->err ? P->err->code : LB_EUNSUPPORTED;
        }
        if (t->kind == JT_TEXT) {
            P->pos++;
            if (!(nd = node(P, JN_TEXT, t->line))) return LB_ENOMEM;
            nd->s = t->s;
            nd->n = t->n;
        } else if (t->kind == JT_VAR_BEGIN) {
            P->pos++;
            if (!(nd = node(P, JN_OUTPUT, t->line)) || !(nd->a = parse_expr(P))) return -1;
            if (cur(P)->kind != JT_VAR_END) {
                fail(P, LB_EUNSUPPORTED, "expected '}}'");
                return -1;
            }
            P->pos++;
        } else if (t->kind == JT_BLOCK_BEGIN) {
            P->pos++;
            jj_tok_t *kw = cur(P);
            if (kw->kind != JT_NAME) {
                fail(P, LB_EUNSUPPORTED, "statement keyword expected after '{%'");
                return -1;
            }
            for (int i = 0; stops && stops[i]; i++)
                if (!strcmp(kw->s, stops[i])) {
                    *stopped = stops[i];
                    return LB_OK;
                }
            P->pos++;
            if (!strcmp(kw->s, "if")) nd = parse_if(P, kw->line);
            else if (!strcmp(kw->s, "for")) nd = parse_for(P, kw->line);
            else if (!strcmp(kw->s, "set")) nd = parse_set(P, kw->line);
            else {
                char what[160];
                P->pos--;
                snprintf(what, sizeof what, "{%% %s %%}", kw->s);
                fail(P, LB_EUNSUPPORTED, what);
                return -1;
            }
            if (!nd) return -1;
        } else {
            fail(P, LB_EUNSUPPORTED, "unexpected token");
            return -1;
        }
        if (body_push(P, out, nd)) return LB_ENOMEM;
    }
}

int jj_compile(const char *src, const char *origin, jj_template_t **out, lb_error_t *err) {
    *out = NULL;
    jj_template_t *t = calloc(1, sizeof *t);
    if (!t || !(t->origin = strdup(origin ? origin : "chat_template"))) {
        free(t);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    jj_tok_t *toks;
    size_t n;
    int rc = jj_lex(src, t->origin, &toks, &n, err);
    if (rc) {
        jj_free(t);
        return rc;
    }
    /* Token strings are referenced by the tree: hand them to the template. */
    parser_t P = {.t = t, .toks = toks, .n = n, .err = err};
    body_t b = {0};
    lb_error_t local;
    if (!err) P.err = &local;
    rc = parse_body(&P, NULL, &b, NULL);
    if (rc) rc = P.err->code ? P.err->code : LB_EUNSUPPORTED;
    for (size_t i = 0; i < n; i++)
        if (adopt(&P, toks[i].s)) {
            free(toks[i].s);
            rc = rc ? rc : lb_error_set(err, LB_ENOMEM, "out of memory");
        }
    free(toks);
    if (rc) {
        jj_free(t);
        return rc;
    }
    t->body = b.v;
    t->n_body = b.n;
    *out = t;
    return LB_OK;
}

void jj_free(jj_template_t *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_blocks; i++) free(t->blocks[i]);
    free(t->blocks);
    free(t->origin);
    free(t);
}
