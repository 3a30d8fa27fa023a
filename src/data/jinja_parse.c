/* Chat-template statements: tokens -> tree of text, output, if/elif/else, for and set nodes,
 * plus the helpers shared with the expression parser (jinja_expr.c). */
#include "jinja_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Make the template own p (freed by lbi_jj_free). Returns 0 or -1 (p not adopted). */
int lbi_jj_adopt(parser_t *P, void *p) {
    lb_jj_template_t *t = P->t;
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

void *lbi_jj_own(parser_t *P, size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (p && lbi_jj_adopt(P, p)) {
        free(p);
        return NULL;
    }
    return p;
}

lb_jj_node_t *lbi_jj_node(parser_t *P, lb_jj_node_kind_t kind, int line) {
    lb_jj_node_t *nd = lbi_jj_own(P, sizeof *nd);
    if (!nd) {
        lb_error_set(P->err, LB_ENOMEM, "out of memory");
        return NULL;
    }
    nd->kind = kind;
    nd->line = line;
    return nd;
}

lb_jj_tok_t *lbi_jj_cur(parser_t *P) { return &P->toks[P->pos]; }

int lbi_jj_is_op(parser_t *P, const char *op) {
    lb_jj_tok_t *t = lbi_jj_cur(P);
    return t->kind == JT_OP && !strcmp(t->s, op);
}

int lbi_jj_is_name(parser_t *P, const char *name) {
    lb_jj_tok_t *t = lbi_jj_cur(P);
    return t->kind == JT_NAME && !strcmp(t->s, name);
}

lb_jj_node_t *lbi_jj_fail(parser_t *P, int code, const char *what) {
    lb_jj_tok_t *t = lbi_jj_cur(P);
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

int lbi_jj_depth_error(parser_t *P, int line) {
    lb_error_set(P->err, LB_EUNSUPPORTED,
                 "%s: chat_template:%d: unsupported construct: nesting deeper than %d levels "
                 "(leakbound's limit on statements and expressions inside one another)",
                 P->t->origin, line, LB_JJ_MAX_DEPTH);
    return -1;
}

/* The parser's recursion is about one level per tree level, two per pair of parentheses; the
 * exact limit is the tree's (check_depth), this one only keeps the parser's stack bounded. */
int lbi_jj_deeper(parser_t *P) {
    if (++P->depth > 2 * LB_JJ_MAX_DEPTH + 8) return lbi_jj_depth_error(P, lbi_jj_cur(P)->line);
    return 0;
}

int lbi_jj_expect_op(parser_t *P, const char *op) {
    if (!lbi_jj_is_op(P, op)) {
        char what[32];
        snprintf(what, sizeof what, "expected '%s'", op);
        lbi_jj_fail(P, LB_EUNSUPPORTED, what);
        return -1;
    }
    P->pos++;
    return 0;
}

/* ---------------------------------------------------------------- statements */

typedef struct body {
    lb_jj_node_t **v;
    size_t n, cap;
} body_t;

static int body_push(parser_t *P, body_t *b, lb_jj_node_t *nd) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        lb_jj_node_t **nv = lbi_jj_own(P, cap * sizeof *nv);
        if (!nv) return lb_error_set(P->err, LB_ENOMEM, "out of memory");
        if (b->n) memcpy(nv, b->v, b->n * sizeof *nv);
        b->v = nv;  /* the old array stays owned by the template until lbi_jj_free */
        b->cap = cap;
    }
    b->v[b->n++] = nd;
    return LB_OK;
}

static int expect_block_end(parser_t *P) {
    if (lbi_jj_cur(P)->kind != JT_BLOCK_END) {
        lbi_jj_fail(P, LB_EUNSUPPORTED, "expected '%}'");
        return -1;
    }
    P->pos++;
    return 0;
}

/* Parse statements until a block tag whose keyword is one of stops (then P->pos is at that
 * keyword) or the end of the template (stops == NULL only). */
static int parse_body(parser_t *P, const char *const *stops, body_t *out, const char **stopped);

static lb_jj_node_t *parse_if(parser_t *P, int line) {
    lb_jj_node_t *nd = lbi_jj_node(P, JN_IF, line);
    if (!nd) return NULL;
    static const char *const stops[] = {"elif", "else", "endif", NULL};
    body_t conds = {0};
    lb_jj_node_t **bodies[64];
    size_t nbodies[64];
    size_t k = 0;
    for (;;) {
        lb_jj_node_t *c = lbi_jj_parse_expr(P);
        if (!c || expect_block_end(P) || body_push(P, &conds, c)) return NULL;
        body_t b = {0};
        const char *stopped;
        if (parse_body(P, stops, &b, &stopped)) return NULL;
        if (k >= 63) return lbi_jj_fail(P, LB_EUNSUPPORTED, "more than 62 elif branches");
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
    nd->bodies = lbi_jj_own(P, (k + 1) * sizeof *nd->bodies);
    nd->n_bodies = lbi_jj_own(P, (k + 1) * sizeof *nd->n_bodies);
    if (!nd->bodies || !nd->n_bodies) return lbi_jj_fail(P, LB_ENOMEM, "out of memory");
    memcpy(nd->bodies, bodies, (k + 1) * sizeof *nd->bodies);
    memcpy(nd->n_bodies, nbodies, (k + 1) * sizeof *nd->n_bodies);
    return nd;
}

static lb_jj_node_t *parse_for(parser_t *P, int line) {
    lb_jj_tok_t *var = lbi_jj_cur(P);
    if (var->kind != JT_NAME) return lbi_jj_fail(P, LB_EUNSUPPORTED, "for: loop variable expected");
    P->pos++;
    if (lbi_jj_is_op(P, ",")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "for with several loop variables");
    if (!lbi_jj_is_name(P, "in")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "for: expected 'in'");
    P->pos++;
    lb_jj_node_t *nd = lbi_jj_node(P, JN_FOR, line);
    if (!nd || !(nd->a = lbi_jj_parse_or(P))) return NULL;
    nd->s = var->s;
    nd->n = var->n;
    if (lbi_jj_is_name(P, "if")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "for ... if (loop filter)");
    if (lbi_jj_is_name(P, "recursive")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "recursive for");
    if (expect_block_end(P)) return NULL;
    static const char *const stops[] = {"endfor", "else", NULL};
    body_t b = {0};
    const char *stopped;
    if (parse_body(P, stops, &b, &stopped)) return NULL;
    if (!strcmp(stopped, "else")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "for ... else");
    P->pos++;
    if (expect_block_end(P)) return NULL;
    nd->body = b.v;
    nd->n_body = b.n;
    return nd;
}

static lb_jj_node_t *parse_set(parser_t *P, int line) {
    lb_jj_tok_t *var = lbi_jj_cur(P);
    if (var->kind != JT_NAME) return lbi_jj_fail(P, LB_EUNSUPPORTED, "set: variable name expected");
    P->pos++;
    if (lbi_jj_is_op(P, ".")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "set of an attribute (namespace)");
    if (lbi_jj_is_op(P, ",")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "set of several variables");
    if (!lbi_jj_is_op(P, "=")) return lbi_jj_fail(P, LB_EUNSUPPORTED, "block set ({% set x %}...{% endset %})");
    P->pos++;
    lb_jj_node_t *nd = lbi_jj_node(P, JN_SET, line);
    if (!nd || !(nd->a = lbi_jj_parse_expr(P))) return NULL;
    nd->s = var->s;
    nd->n = var->n;
    if (expect_block_end(P)) return NULL;
    return nd;
}

static int parse_body_at(parser_t *P, const char *const *stops, body_t *out, const char **stopped);

static int parse_body(parser_t *P, const char *const *stops, body_t *out, const char **stopped) {
    if (lbi_jj_deeper(P)) return -1;
    int rc = parse_body_at(P, stops, out, stopped);
    P->depth--;
    return rc;
}

static int parse_body_at(parser_t *P, const char *const *stops, body_t *out, const char **stopped) {
    for (;;) {
        lb_jj_tok_t *t = lbi_jj_cur(P);
        lb_jj_node_t *nd = NULL;
        if (t->kind == JT_EOF) {
            if (!stops) return LB_OK;
            char what[64];
            snprintf(what, sizeof what, "missing {%% %s %%}", !strcmp(stops[0], "endfor") ? "endfor" : "endif");
            lbi_jj_fail(P, LB_EUNSUPPORTED, what);
            return P->err ? P->err->code : LB_EUNSUPPORTED;
        }
        if (t->kind == JT_TEXT) {
            P->pos++;
            if (!(nd = lbi_jj_node(P, JN_TEXT, t->line))) return LB_ENOMEM;
            nd->s = t->s;
            nd->n = t->n;
        } else if (t->kind == JT_VAR_BEGIN) {
            P->pos++;
            if (!(nd = lbi_jj_node(P, JN_OUTPUT, t->line)) || !(nd->a = lbi_jj_parse_expr(P))) return -1;
            if (lbi_jj_cur(P)->kind != JT_VAR_END) {
                lbi_jj_fail(P, LB_EUNSUPPORTED, "expected '}}'");
                return -1;
            }
            P->pos++;
        } else if (t->kind == JT_BLOCK_BEGIN) {
            P->pos++;
            lb_jj_tok_t *kw = lbi_jj_cur(P);
            if (kw->kind != JT_NAME) {
                lbi_jj_fail(P, LB_EUNSUPPORTED, "statement keyword expected after '{%'");
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
                lbi_jj_fail(P, LB_EUNSUPPORTED, what);
                return -1;
            }
            if (!nd) return -1;
        } else {
            lbi_jj_fail(P, LB_EUNSUPPORTED, "unexpected token");
            return -1;
        }
        if (body_push(P, out, nd)) return LB_ENOMEM;
    }
}

/* The tree's nesting (a top-level statement is level 1; each operand, condition or body
 * statement one more) must stay within LB_JJ_MAX_DEPTH: loops such as "1 + 1 + ..." or
 * "x|lower|lower..." build deep trees without deep parser recursion. The walk stops at the
 * limit, so its own recursion is bounded. */
static int check_depth(parser_t *P, const lb_jj_node_t *nd, int d) {
    if (!nd) return 0;
    if (d > LB_JJ_MAX_DEPTH) return lbi_jj_depth_error(P, nd->line);
    if (check_depth(P, nd->a, d + 1) || check_depth(P, nd->b, d + 1) || check_depth(P, nd->c, d + 1))
        return -1;
    for (size_t i = 0; i < nd->n_body; i++)
        if (check_depth(P, nd->body[i], d + 1)) return -1;
    for (size_t i = 0; i < nd->n_conds; i++)
        if (check_depth(P, nd->conds[i], d + 1)) return -1;
    if (nd->kind == JN_IF)
        for (size_t i = 0; i <= nd->n_conds; i++)
            for (size_t j = 0; j < nd->n_bodies[i]; j++)
                if (check_depth(P, nd->bodies[i][j], d + 1)) return -1;
    return 0;
}

int lbi_jj_compile(const char *src, const char *origin, lb_jj_template_t **out, lb_error_t *err) {
    *out = NULL;
    lb_jj_template_t *t = calloc(1, sizeof *t);
    if (!t || !(t->origin = strdup(origin ? origin : "chat_template"))) {
        free(t);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    lb_jj_tok_t *toks;
    size_t n;
    int rc = lbi_jj_lex(src, t->origin, &toks, &n, err);
    if (rc) {
        lbi_jj_free(t);
        return rc;
    }
    /* Token strings are referenced by the tree: hand them to the template. */
    parser_t P = {.t = t, .toks = toks, .n = n, .err = err};
    body_t b = {0};
    lb_error_t local;
    if (!err) P.err = &local;
    rc = parse_body(&P, NULL, &b, NULL);
    for (size_t i = 0; !rc && i < b.n; i++)
        if (check_depth(&P, b.v[i], 1)) rc = -1;
    if (rc) rc = P.err->code ? P.err->code : LB_EUNSUPPORTED;
    for (size_t i = 0; i < n; i++)
        if (lbi_jj_adopt(&P, toks[i].s)) {
            free(toks[i].s);
            rc = rc ? rc : lb_error_set(err, LB_ENOMEM, "out of memory");
        }
    free(toks);
    if (rc) {
        lbi_jj_free(t);
        return rc;
    }
    t->body = b.v;
    t->n_body = b.n;
    *out = t;
    return LB_OK;
}

void lbi_jj_free(lb_jj_template_t *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_blocks; i++) free(t->blocks[i]);
    free(t->blocks);
    free(t->origin);
    free(t);
}
