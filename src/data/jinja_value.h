/* Private to src/data: values and the render context of the chat-template interpreter
 * (jinja_value.c: Python semantics of values; jinja_eval.c: evaluation). */
#ifndef LB_JINJA_VALUE_H
#define LB_JINJA_VALUE_H

#include <stdint.h>
#include "jinja.h"

typedef enum { V_UNDEF, V_NONE, V_BOOL, V_INT, V_STR, V_LIST, V_DICT, V_LOOP } vkind_t;

typedef struct jv {
    vkind_t k;
    long long i;              /* V_BOOL, V_INT; V_LOOP: index0 */
    const char *s;            /* V_STR */
    size_t n;                 /* V_STR bytes; V_LIST/V_DICT/V_LOOP: length */
    const struct jv *items;   /* (n) V_LIST elements, V_DICT values */
    const char *const *keys;  /* (n) V_DICT keys */
} lb_jv_t;

typedef struct pool_chunk {
    struct pool_chunk *next;
    size_t used, cap;
    max_align_t data[];
} pool_chunk_t;

typedef struct var {
    const char *name;
    lb_jv_t v;
} var_t;

typedef struct ctx {
    const lb_jj_template_t *t;
    pool_chunk_t *pool;
    char *out;                /* output being built */
    size_t n_out, cap_out;
    var_t *vars;              /* (n_vars) innermost last */
    size_t n_vars, cap_vars;
    lb_jv_t messages, bos, eos, add_gen;
    int depth;                /* nodes being evaluated inside one another (<= LB_JJ_MAX_DEPTH) */
    int line;                 /* template line of the node being evaluated (for limit errors) */
    int limit_rc;             /* set (with err) when the pool refused a request at a limit */
    long iterations;          /* for-loop iterations so far (<= LB_JJ_MAX_ITERATIONS) */
    size_t scratch;           /* bytes taken from the pool so far (<= LB_JJ_MAX_SCRATCH) */
    lb_error_t *err;
} ctx_t;

/* Scratch memory for this render; NULL when out of memory or past LB_JJ_MAX_SCRATCH (then
 * lbi_jv_oom returns the limit's error). */
void *lbi_jv_palloc(ctx_t *c, size_t bytes);
/* 0, or the error for a string value of n bytes (more than LB_JJ_MAX_STRING) at c->line. */
int lbi_jv_check_len(ctx_t *c, size_t n);
int lbi_jv_rt_error(ctx_t *c, int line, const char *fmt, const char *a);
int lbi_jv_oom(ctx_t *c);
lb_jv_t lbi_jv_str_v(const char *s, size_t n);
lb_jv_t lbi_jv_int_v(vkind_t k, long long i);
const char *lbi_jv_kind_name(vkind_t k);
int lbi_jv_truthy(const lb_jv_t *v);
int lbi_jv_to_str(ctx_t *c, const lb_jv_t *v, int line, lb_jv_t *out);
int lbi_jv_concat(ctx_t *c, const lb_jv_t *a, const lb_jv_t *b, lb_jv_t *out);
int lbi_jv_equal(const lb_jv_t *a, const lb_jv_t *b);
lb_jv_t lbi_jv_strip(const lb_jv_t *s, const lb_jv_t *chars, int left, int right);
int lbi_jv_change_case(ctx_t *c, const lb_jv_t *s, int upper, lb_jv_t *out);
size_t lbi_jv_cp_offset(const lb_jv_t *s, size_t cp);
size_t lbi_jv_utf8_len(const lb_jv_t *s);
void lbi_jv_slice_bounds(const lb_jv_t *lo, const lb_jv_t *hi, size_t n, size_t *a, size_t *b);

#endif
