/* Chat-template expressions: recursive descent with Jinja's precedence (or < and < not <
 * comparisons < + - < ~ < * % // < unary minus < postfix . [] () < filters and tests).
 * Everything outside the documented subset is rejected here, by name. */
#include "jinja_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lb_jj_node_t *parse_unary(parser_t *P, int with_filter);

static lb_jj_node_t *binop(parser_t *P, lb_jj_node_kind_t kind, const char *op, lb_jj_node_t *a, lb_jj_node_t *b,
                        int line) {
    if (!a || !b) return NULL;
    lb_jj_node_t *nd = lbi_jj_node(P, kind, line);
    if (!nd) return NULL;
    nd->s = op;
    nd->a = a;
    nd->b = b;
    return nd;
}

static lb_jj_node_t *parse_primary(parser_t *P) {
    lb_jj_tok_t *t = lbi_jj_cur(P);
    lb_jj_node_t *nd;
    if (t->kind == JT_NAME) {
        P->pos++;
        if (!strcmp(t->s, "true") || !strcmp(t->s, "True") || !strcmp(t->s, "false") ||
            !strcmp(t->s, "False")) {
            if (!(nd = lbi_jj_node(P, JN_BOOL, t->line))) return NULL;
            nd->i = t->s[0] == 't' || t->s[0] == 'T';
            return nd;
        }
        if (!strcmp(t->s, "none") || !strcmp(t->s, "None")) return lbi_jj_node(P, JN_NONE, t->line);
        if (!(nd = lbi_jj_node(P, JN_NAME, t->line))) return NULL;
        nd->s = t->s;
        nd->n = t->n;
        return nd;
    }
    if (t->kind == JT_STRING) {
        /* Adjacent literals concatenate, as in Jinja and Python. */
        size_t total = 0, k = P->pos;
        while (P->toks[k].kind == JT_STRING) total += P->toks[k++].n;
        char *s = lbi_jj_own(P, total + 1);
        if (!s || !(nd = lbi_jj_node(P, JN_STR, t->line))) return lbi_jj_fail(P, LB_ENOMEM, "out of memory");
        size_t off = 0;
        while (lbi_jj_cur(P)->kind == JT_STRING) {
            memcpy(s + off, lbi_jj_cur(P)->s, lbi_jj_cur(P)->n);
            off += lbi_jj_cur(P)->n;
            P->pos++;
        }
        nd->s = s;
        nd->n = total;
        return nd;
    }
    if (t->kind == JT_INT) {
        P->pos++;
        if (!(nd = lbi_jj_node(P, JN_INT, t->line))) return NULL;
        nd->i = t->i;
        return nd;
    }
    if (lbi_jj_is_op(P, "(")) {
        P->pos++;
        nd = lbi_jj_parse_expr(P);
        if (!nd) return NULL;
        if (lbi_jj_is_op(P, ",")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "tuple");
        if (lbi_jj_expect_op(P, ")")) return NULL;
        return nd;
    }
    if (lbi_jj_is_op(P, "[")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "list literal");
    return lbi_jj_fail(P, LB_EUNSUPPORTED, "expected an expression");
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

static lb_jj_node_t *parse_postfix(parser_t *P, lb_jj_node_t *nd) {
    while (nd) {
        int line = lbi_jj_cur(P)->line;
        if (lbi_jj_is_op(P, ".")) {
            P->pos++;
            lb_jj_tok_t *name = lbi_jj_cur(P);
            if (name->kind != JT_NAME) return lbi_jj_fail(P, LB_EUNSUPPORTED, "attribute name expected after '.'");
            P->pos++;
            if (lbi_jj_is_op(P, "(")) {
                int min, max;
                if (!method_arity(name->s, &min, &max)) {
                    char what[160];
                    snprintf(what, sizeof what, "method call .%s()", name->s);
                    P->pos--;
                    return lbi_jj_fail(P, LB_EUNSUPPORTED, what);
                }
                P->pos++;
                lb_jj_node_t *m = lbi_jj_node(P, JN_METHOD, line);
                if (!m) return NULL;
                m->s = name->s;
                m->a = nd;
                int nargs = 0;
                if (!lbi_jj_is_op(P, ")")) {
                    if (!(m->b = lbi_jj_parse_expr(P))) return NULL;
                    nargs = 1;
                }
                if (nargs < min || nargs > max || !lbi_jj_is_op(P, ")")) {
                    char what[160];
                    snprintf(what, sizeof what, "arguments of .%s()", name->s);
                    return lbi_jj_fail(P, LB_EUNSUPPORTED, what);
                }
                P->pos++;
                nd = m;
            } else {
                lb_jj_node_t *a = lbi_jj_node(P, JN_ATTR, line);
                if (!a) return NULL;
                a->s = name->s;
                a->n = name->n;
                a->a = nd;
                nd = a;
            }
        } else if (lbi_jj_is_op(P, "[")) {
            P->pos++;
            lb_jj_node_t *lo = NULL, *hi = NULL;
            if (!lbi_jj_is_op(P, ":") && !(lo = lbi_jj_parse_expr(P))) return NULL;
            if (lbi_jj_is_op(P, ":")) {
                P->pos++;
                if (!lbi_jj_is_op(P, "]") && !(hi = lbi_jj_parse_expr(P))) return NULL;
                if (lbi_jj_is_op(P, ":")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "slice step");
                lb_jj_node_t *s = lbi_jj_node(P, JN_SLICE, line);
                if (!s) return NULL;
                s->a = nd;
                s->b = lo;
                s->c = hi;
                nd = s;
            } else {
                lb_jj_node_t *s = lbi_jj_node(P, JN_INDEX, line);
                if (!s) return NULL;
                s->a = nd;
                s->b = lo;
                nd = s;
            }
            if (lbi_jj_expect_op(P, "]")) return NULL;
        } else if (lbi_jj_is_op(P, "(")) {
            if (nd->kind != JN_NAME || strcmp(nd->s, "raise_exception")) {
                char what[160];
                snprintf(what, sizeof what, "call of %s()", nd->kind == JN_NAME ? nd->s : "an expression");
                return lbi_jj_fail(P, LB_EUNSUPPORTED, what);
            }
            P->pos++;
            lb_jj_node_t *r = lbi_jj_node(P, JN_RAISE, line);
            if (!r || !(r->a = lbi_jj_parse_expr(P))) return NULL;
            if (lbi_jj_expect_op(P, ")")) return NULL;
            nd = r;
        } else {
            break;
        }
    }
    return nd;
}

static lb_jj_node_t *parse_filters(parser_t *P, lb_jj_node_t *nd) {
    static const char *const filters[] = {"trim", "length", "count", "lower", "upper"};
    static const char *const tests[] = {"defined", "undefined", "none", "string"};
    while (nd) {
        int line = lbi_jj_cur(P)->line;
        if (lbi_jj_is_op(P, "|")) {
            P->pos++;
            lb_jj_tok_t *name = lbi_jj_cur(P);
            if (name->kind != JT_NAME) return lbi_jj_fail(P, LB_EUNSUPPORTED, "filter name expected after '|'");
            int ok = 0;
            for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) ok |= !strcmp(name->s, filters[i]);
            char what[160];
            snprintf(what, sizeof what, "filter '%s'", name->s);
            if (!ok) return lbi_jj_fail(P, LB_EUNSUPPORTED, what);
            P->pos++;
            if (lbi_jj_is_op(P, "(")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "filter arguments");
            lb_jj_node_t *f = lbi_jj_node(P, JN_FILTER, line);
            if (!f) return NULL;
            f->s = name->s;
            f->a = nd;
            nd = f;
        } else if (lbi_jj_is_name(P, "is")) {
            P->pos++;
            int neg = 0;
            if (lbi_jj_is_name(P, "not")) {
                neg = 1;
                P->pos++;
            }
            lb_jj_tok_t *name = lbi_jj_cur(P);
            int ok = 0;
            if (name->kind == JT_NAME)
                for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) ok |= !strcmp(name->s, tests[i]);
            char what[160];
            snprintf(what, sizeof what, "test 'is %s'", name->kind == JT_NAME ? name->s : "?");
            if (!ok) return lbi_jj_fail(P, LB_EUNSUPPORTED, what);
            P->pos++;
            lb_jj_node_t *t = lbi_jj_node(P, JN_TEST, line);
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

static lb_jj_node_t *parse_unary_at(parser_t *P, int with_filter);

static lb_jj_node_t *parse_unary(parser_t *P, int with_filter) {
    if (lbi_jj_deeper(P)) return NULL;
    lb_jj_node_t *nd = parse_unary_at(P, with_filter);
    P->depth--;
    return nd;
}

static lb_jj_node_t *parse_unary_at(parser_t *P, int with_filter) {
    lb_jj_node_t *nd;
    int line = lbi_jj_cur(P)->line;
    if (lbi_jj_is_op(P, "-")) {
        P->pos++;
        nd = lbi_jj_node(P, JN_NEG, line);
        if (!nd || !(nd->a = parse_unary(P, 0))) return NULL;
    } else if (lbi_jj_is_op(P, "+")) {
        P->pos++;
        nd = parse_unary(P, 0);
    } else {
        nd = parse_primary(P);
    }
    nd = parse_postfix(P, nd);
    return with_filter ? parse_filters(P, nd) : nd;
}

static lb_jj_node_t *parse_math2(parser_t *P) {
    lb_jj_node_t *a = parse_unary(P, 1);
    while (a) {
        int line = lbi_jj_cur(P)->line;
        if (lbi_jj_is_op(P, "**")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "operator '**'");
        if (lbi_jj_is_op(P, "/")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "operator '/' (floats)");
        const char *op = lbi_jj_is_op(P, "*") ? "*" : lbi_jj_is_op(P, "%") ? "%" : lbi_jj_is_op(P, "//") ? "//" : NULL;
        if (!op) break;
        P->pos++;
        a = binop(P, JN_BINOP, op, a, parse_unary(P, 1), line);
    }
    return a;
}

static lb_jj_node_t *parse_concat(parser_t *P) {
    lb_jj_node_t *a = parse_math2(P);
    while (a && lbi_jj_is_op(P, "~")) {
        int line = lbi_jj_cur(P)->line;
        P->pos++;
        a = binop(P, JN_BINOP, "~", a, parse_math2(P), line);
    }
    return a;
}

static lb_jj_node_t *parse_math1(parser_t *P) {
    lb_jj_node_t *a = parse_concat(P);
    while (a && (lbi_jj_is_op(P, "+") || lbi_jj_is_op(P, "-"))) {
        int line = lbi_jj_cur(P)->line;
        const char *op = lbi_jj_is_op(P, "+") ? "+" : "-";
        P->pos++;
        a = binop(P, JN_BINOP, op, a, parse_concat(P), line);
    }
    return a;
}

static const char *compare_op(parser_t *P, int *width) {
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    *width = 1;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (lbi_jj_is_op(P, ops[i])) return ops[i];
    if (lbi_jj_is_name(P, "in")) return "in";
    if (lbi_jj_is_name(P, "not") && P->toks[P->pos + 1].kind == JT_NAME && !strcmp(P->toks[P->pos + 1].s, "in")) {
        *width = 2;
        return "not in";
    }
    return NULL;
}

static lb_jj_node_t *parse_compare(parser_t *P) {
    lb_jj_node_t *a = parse_math1(P);
    int width;
    const char *op;
    if (a && (op = compare_op(P, &width))) {
        int line = lbi_jj_cur(P)->line;
        P->pos += (size_t)width;
        a = binop(P, JN_BINOP, op, a, parse_math1(P), line);
        if (a && compare_op(P, &width)) return lbi_jj_fail(P, LB_EUNSUPPORTED, "chained comparison");
    }
    return a;
}

static lb_jj_node_t *parse_not(parser_t *P) {
    if (lbi_jj_is_name(P, "not")) {
        int line = lbi_jj_cur(P)->line;
        P->pos++;
        lb_jj_node_t *nd = lbi_jj_node(P, JN_NOT, line);
        if (!nd || lbi_jj_deeper(P)) return NULL;
        nd->a = parse_not(P);
        P->depth--;
        return nd->a ? nd : NULL;
    }
    return parse_compare(P);
}

static lb_jj_node_t *parse_and(parser_t *P) {
    lb_jj_node_t *a = parse_not(P);
    while (a && lbi_jj_is_name(P, "and")) {
        int line = lbi_jj_cur(P)->line;
        P->pos++;
        a = binop(P, JN_AND, "and", a, parse_not(P), line);
    }
    return a;
}

lb_jj_node_t *lbi_jj_parse_or(parser_t *P) {
    lb_jj_node_t *a = parse_and(P);
    while (a && lbi_jj_is_name(P, "or")) {
        int line = lbi_jj_cur(P)->line;
        P->pos++;
        a = binop(P, JN_OR, "or", a, parse_and(P), line);
    }
    return a;
}

static lb_jj_node_t *parse_expr_at(parser_t *P);

lb_jj_node_t *lbi_jj_parse_expr(parser_t *P) {
    if (lbi_jj_deeper(P)) return NULL;
    lb_jj_node_t *nd = parse_expr_at(P);
    P->depth--;
    return nd;
}

static lb_jj_node_t *parse_expr_at(parser_t *P) {
    lb_jj_node_t *a = lbi_jj_parse_or(P);
    if (a && lbi_jj_is_name(P, "if")) {
        int line = lbi_jj_cur(P)->line;
        P->pos++;
        lb_jj_node_t *c = lbi_jj_node(P, JN_COND, line);
        if (!c) return NULL;
        c->b = a;
        if (!(c->a = lbi_jj_parse_or(P))) return NULL;
        if (lbi_jj_is_name(P, "else")) {
            P->pos++;
            if (!(c->c = lbi_jj_parse_expr(P))) return NULL;
        }
        a = c;
    }
    return a;
}
