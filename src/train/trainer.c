/* Trainer creation: the arena plan (activations, gradients, AdamW moments) and the table of
 * trainable tensors under their Hugging Face names. */
#include "train_internal.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pass 0 sums sizes, pass 1 carves the arena: one list for both keeps them in step. */
typedef struct {
    lb_arena_t *a;
    int pass;
    size_t bytes;
    int failed;
} plan_t;

static void *take(plan_t *p, size_t count, size_t size) {
    size_t n = count * size;
    if (p->pass == 0) {
        p->bytes += (n + 63) & ~(size_t)63;
        return NULL;
    }
    void *r = lb_arena_calloc(p->a, count, size);
    if (!r && n) p->failed = 1;
    return r;
}

static void plan(struct lb_train *tr, plan_t *p) {
    const lb_model_config_t *g = tr->g;
    size_t BT = (size_t)tr->max_B * tr->T, D = (size_t)g->hidden_size, L = (size_t)g->n_layers;
    size_t qd = (size_t)g->n_heads * g->head_dim, kd = (size_t)g->n_kv_heads * g->head_dim;
    size_t I = (size_t)g->intermediate_size, V = (size_t)g->vocab_size, T = (size_t)tr->T;
    size_t half = (size_t)g->rotary_dim / 2, H = (size_t)g->n_heads;
    int phi = g->arch == LB_ARCH_PHI, llama = g->arch == LB_ARCH_LLAMA;
    tr->tokens = take(p, BT, sizeof(int32_t));
    tr->pos = take(p, BT, sizeof(int));
    tr->lens = take(p, (size_t)tr->max_B, sizeof(int));
    if (half) {
        tr->cos_t = take(p, T * half, sizeof(float));
        tr->sin_t = take(p, T * half, sizeof(float));
    }
    tr->res = take(p, (L + 1) * BT * D, sizeof(float));
    if (!phi) tr->mid = take(p, L * BT * D, sizeof(float));
    tr->xn1 = take(p, L * BT * D, sizeof(float));
    if (!phi) tr->xn2 = take(p, L * BT * D, sizeof(float));
    tr->qkv = take(p, L * BT * (qd + 2 * kd), sizeof(float));
    tr->probs = take(p, L * (size_t)tr->max_B * H * T * T, sizeof(float));
    tr->att = take(p, L * BT * qd, sizeof(float));
    tr->h_pre = take(p, L * BT * I, sizeof(float));
    if (llama) tr->h_up = take(p, L * BT * I, sizeof(float));
    tr->h_act = take(p, L * BT * I, sizeof(float));
    tr->xf = take(p, BT * D, sizeof(float));
    tr->logits = take(p, BT * V, sizeof(float));
    tr->row_lse = take(p, BT, sizeof(double));
    tr->row_ent = take(p, BT, sizeof(double));
    tr->row_nll = take(p, BT, sizeof(double));
    tr->params = take(p, (size_t)lb_model_tensors(g, NULL), sizeof(lb_train_param_t));
    if (!tr->with_grads) return;
    tr->grads = take(p, tr->n_floats, sizeof(float));
    tr->m1 = take(p, tr->n_floats, sizeof(float));
    tr->m2 = take(p, tr->n_floats, sizeof(float));
    tr->dres = take(p, BT * D, sizeof(float));
    tr->dtmp = take(p, BT * D, sizeof(float));
    tr->dxn = take(p, BT * D, sizeof(float));
    tr->dqkv = take(p, BT * (qd + 2 * kd), sizeof(float));
    tr->datt = take(p, BT * qd, sizeof(float));
    tr->dh = take(p, BT * I, sizeof(float));
    if (llama) tr->dup = take(p, BT * I, sizeof(float));
    tr->att_scratch = take(p, (size_t)tr->n_threads * T * T, sizeof(float));
}

int lb_train_create(lb_model_t *m, int max_batch, int T, int with_grads, lb_train_t **out,
                    lb_error_t *err) {
    *out = NULL;
    const lb_model_config_t *g = &m->cfg;
    if (with_grads && (m->keep_file_dtype || !m->params))
        return lb_error_set(err, LB_EINVAL,
                            "train: %s must be loaded with fp32 weights (not keep_file_dtype) "
                            "to be trained",
                            m->dir);
    if (max_batch < 1 || T < 2 || T > g->max_position_embeddings)
        return lb_error_set(err, LB_EINVAL,
                            "train: batch %d x length %d (need batch >= 1, 2 <= length <= %d)",
                            max_batch, T, g->max_position_embeddings);
    struct lb_train *tr = calloc(1, sizeof *tr);
    if (!tr) return lb_error_set(err, LB_ENOMEM, "train: out of memory");
    tr->m = m;
    tr->g = g;
    tr->max_B = max_batch;
    tr->T = T;
    tr->with_grads = with_grads;
    tr->n_threads = omp_get_max_threads();
    tr->n_floats = m->n_params;
    plan_t p = {.a = &tr->arena, .pass = 0};
    plan(tr, &p);
    /* The memory plan, as `sample`'s (core.h): the model's weights and this trainer's arena
     * (activations for batch x length tokens, and with gradients the gradients and AdamW's two
     * moments), refused before the arena is reserved. */
    size_t copied = 0, mapped = 0;
    lb_model_weight_bytes(m, &copied, &mapped);
    lb_mem_plan_t mp = {(double)copied + (double)mapped, 0, (double)p.bytes};
    char what[128];
    snprintf(what, sizeof what, "train: batch %d x length %d%s", max_batch, T,
             with_grads ? "" : " (frozen reference)");
    int rc = lb_mem_plan_check(&mp, what, "lower --batch-size (raise --grad-accum to keep the "
                               "step) or --max-length, or free memory", NULL, err);
    if (rc) {
        free(tr);
        return rc;
    }
    rc = lb_arena_init(&tr->arena, p.bytes + 64, err);
    if (rc) {
        free(tr);
        return rc;
    }
    p.pass = 1;
    plan(tr, &p);
    if (p.failed) {
        lb_train_free(tr);
        return lb_error_set(err, LB_ENOMEM, "train: arena plan too small (internal error)");
    }
    if (tr->cos_t) lb_model_rope_tables(g, T, tr->cos_t, tr->sin_t);
    for (int b = 0; b < max_batch; b++)
        for (int t = 0; t < T; t++) tr->pos[(size_t)b * T + t] = t;
    if ((rc = lbi_train_build_params(tr, err))) {
        lb_train_free(tr);
        return rc;
    }
    *out = tr;
    return 0;
}

void lb_train_free(lb_train_t *tr) {
    if (!tr) return;
    lb_arena_free(&tr->arena);
    free(tr);
}

size_t lb_train_bytes(const lb_train_t *tr) { return tr->arena.cap; }

const lb_train_param_t *lb_train_params(const lb_train_t *tr, int *n_out) {
    *n_out = tr->n_params;
    return tr->params;
}

void lb_train_zero_grad(lb_train_t *tr) {
    if (tr->grads) memset(tr->grads, 0, tr->n_floats * sizeof(float));
}

long lb_train_opt_state(lb_train_t *tr, float **m1, float **m2, size_t *n_floats) {
    *m1 = tr->m1;
    *m2 = tr->m2;
    *n_floats = tr->n_floats;
    return tr->step;
}

void lb_train_set_opt_step(lb_train_t *tr, long step) { tr->step = step; }

/* ---- the tensor table ------------------------------------------------------------------ */

static void add(struct lb_train *tr, const lb_weight_t *w, const char *name) {
    if (!w->f32) return;   /* not widened (never with a trainer) */
    for (int i = 0; i < tr->n_params; i++)
        if (tr->params[i].w == w->f32) return;   /* tied: listed once */
    lb_train_param_t *p = &tr->params[tr->n_params++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->w = w->f32;
    p->g = lb_train_grad_of(tr, w);
    p->numel = (size_t)w->rows * w->cols;
    /* Vectors were bound as (n, 1); checkpoints store them 1-D. */
    int vec = w->cols == 1;
    p->ndim = vec ? 1 : 2;
    p->shape[0] = w->rows;
    p->shape[1] = vec ? 0 : w->cols;
}

/* The trained tensors of the family's table (model_layout.h), in its order. */
int lbi_train_build_params(struct lb_train *tr, lb_error_t *err) {
    int n = lb_model_tensors(tr->g, NULL);
    lb_model_tensor_t *ts = n > 0 ? calloc((size_t)n, sizeof *ts) : NULL;
    if (!ts) return lb_error_set(err, LB_ENOMEM, "train: out of memory");
    lb_model_tensors(tr->g, ts);
    tr->n_params = 0;
    for (int i = 0; i < n; i++)
        if (ts[i].spec->trained) add(tr, lb_model_tensor_slot(tr->m, &ts[i]), ts[i].name);
    free(ts);
    return 0;
}
