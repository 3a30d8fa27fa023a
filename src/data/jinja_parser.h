/* Private to src/data: the parser state shared by the statement and expression parsers. */
#ifndef LB_JINJA_PARSER_H
#define LB_JINJA_PARSER_H

#include "jinja.h"

typedef struct parser {
    lb_jj_template_t *t;
    lb_jj_tok_t *toks;
    size_t n, pos;
    int depth;            /* recursion depth of the parser (bounded by LB_JJ_MAX_DEPTH) */
    lb_error_t *err;
} parser_t;

/* Make the template own p (freed by lbi_jj_free). Returns 0 or -1 (p not adopted). */
int lbi_jj_adopt(parser_t *P, void *p);
/* Zeroed memory owned by the template, or NULL. */
void *lbi_jj_own(parser_t *P, size_t bytes);
/* A new node owned by the template (NULL and err set when out of memory). */
lb_jj_node_t *lbi_jj_node(parser_t *P, lb_jj_node_kind_t kind, int line);
lb_jj_tok_t *lbi_jj_cur(parser_t *P);
int lbi_jj_is_op(parser_t *P, const char *op);
int lbi_jj_is_name(parser_t *P, const char *name);
/* Set a syntax / unsupported-construct error at the current token; returns NULL. */
lb_jj_node_t *lbi_jj_fail(parser_t *P, int code, const char *what);
/* Enter one more level of recursion: 0, or -1 with the nesting error set (leave with depth--). */
int lbi_jj_deeper(parser_t *P);
/* The nesting error at line (returns -1). */
int lbi_jj_depth_error(parser_t *P, int line);
/* Consume operator op or fail (returns -1). */
int lbi_jj_expect_op(parser_t *P, const char *op);

/* Expressions (jinja_expr.c): a full expression (with "a if c else b"), and an or-expression. */
lb_jj_node_t *lbi_jj_parse_expr(parser_t *P);
lb_jj_node_t *lbi_jj_parse_or(parser_t *P);

#endif
