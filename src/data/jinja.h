/* Private to src/data: a small interpreter for the Jinja subset of chat templates
 * (the subset is listed in include/leakbound/data.h). Compilation builds a tree once;
 * rendering walks it with a scratch pool that is released before returning. */
#ifndef LB_JINJA_H
#define LB_JINJA_H

#include <stddef.h>
#include "leakbound/core.h"

/* Limits on what a model folder's template may make the renderer do (each exceeded one is an
 * error naming the template and the line, never a crash or unbounded memory):
 *   nesting of statements and expressions, checked when compiling and again when rendering
 *   (Python's Jinja itself fails between about 90 and 500 levels); the bytes of any one string
 *   value, of the rendered prompt and of all scratch strings of one render; for-loop iterations
 *   of one render (nested loops multiply). */
#define LB_JJ_MAX_DEPTH 256
#define LB_JJ_MAX_STRING ((size_t)1 << 24)
#define LB_JJ_MAX_OUTPUT ((size_t)1 << 24)
#define LB_JJ_MAX_SCRATCH ((size_t)1 << 28)
#define LB_JJ_MAX_ITERATIONS 65536L

typedef enum lb_jj_tok_kind {
    JT_TEXT, JT_VAR_BEGIN, JT_VAR_END, JT_BLOCK_BEGIN, JT_BLOCK_END,
    JT_NAME, JT_STRING, JT_INT, JT_OP, JT_EOF
} lb_jj_tok_kind_t;

typedef struct lb_jj_tok {
    lb_jj_tok_kind_t kind;
    char *s;          /* text, name, unescaped string or operator (malloc'd) */
    size_t n;         /* bytes in s */
    long long i;      /* JT_INT */
    int line;         /* 1-based line in the template source */
} lb_jj_tok_t;

/* Split src into tokens (*toks, n; free with lbi_jj_tokens_free), applying whitespace control,
 * trim_blocks and lstrip_blocks. Errors name origin and the line. */
int lbi_jj_lex(const char *src, const char *origin, lb_jj_tok_t **toks, size_t *n, lb_error_t *err);
void lbi_jj_tokens_free(lb_jj_tok_t *toks, size_t n);

typedef enum lb_jj_node_kind {
    /* statements */
    JN_TEXT, JN_OUTPUT, JN_IF, JN_FOR, JN_SET,
    /* expressions */
    JN_STR, JN_INT, JN_BOOL, JN_NONE, JN_NAME, JN_ATTR, JN_INDEX, JN_SLICE, JN_BINOP, JN_NOT,
    JN_NEG, JN_AND, JN_OR, JN_COND, JN_FILTER, JN_TEST, JN_RAISE, JN_METHOD
} lb_jj_node_kind_t;

typedef struct lbi_jj_node lb_jj_node_t;
struct lbi_jj_node {
    lb_jj_node_kind_t kind;
    int line;
    const char *s;        /* text / name / string literal / operator / filter, test, method name */
    size_t n;
    long long i;          /* integer literal, bool literal, JN_TEST negation */
    lb_jj_node_t *a, *b, *c; /* operands: JN_ATTR a; JN_INDEX a[b]; JN_SLICE a[b:c] (b, c may be
                             NULL); JN_BINOP/AND/OR a op b; JN_COND b if a else c; JN_FOR
                             iterable a; JN_SET / JN_OUTPUT value a; JN_METHOD a.s(b) */
    lb_jj_node_t **body;     /* (n_body) JN_FOR body */
    size_t n_body;
    lb_jj_node_t **conds;    /* (n_conds) JN_IF: one condition per branch; bodies[n_conds] is else */
    size_t n_conds;
    lb_jj_node_t ***bodies;  /* JN_IF: (n_conds + 1) branch bodies */
    size_t *n_bodies;     /* JN_IF: (n_conds + 1) */
};

typedef struct lb_jj_template {
    char *origin;
    lb_jj_node_t **body;     /* (n_body) top-level statements */
    size_t n_body;
    void **blocks;        /* (n_blocks) malloc'd memory owned by the template */
    size_t n_blocks, cap_blocks;
} lb_jj_template_t;

int lbi_jj_compile(const char *src, const char *origin, lb_jj_template_t **out, lb_error_t *err);

/* Render with messages = [{"role": "user", "content": question}]. *out is malloc'd. */
int lbi_jj_render(const lb_jj_template_t *t, const char *bos, const char *eos, const char *question,
              int add_generation_prompt, char **out, lb_error_t *err);

/* As lbi_jj_render with messages = [{"role": roles[i], "content": contents[i]}] (at most 16). */
int lbi_jj_render_messages(const lb_jj_template_t *t, const char *bos, const char *eos,
                          const char *const *roles, const char *const *contents, size_t n_msgs,
                          int add_generation_prompt, char **out, lb_error_t *err);

void lbi_jj_free(lb_jj_template_t *t);

#endif
