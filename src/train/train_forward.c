/* Whole-model training forward: every activation the backward needs is kept, per layer. */
#include "train_internal.h"
#include "leakbound/model_backward.h"

#include <string.h>

/* out (T, OC) = beta*out + inp (T, C) @ w (+ b). A trained (fp32) weight, or an F32 one a
 * forward-only trainer reads in place from the file, goes through sgemm; an F16/BF16 matrix
 * of a forward-only trainer (the NPO reference kept in its file dtype) through the GEMM that
 * widens it while packing (model.h), so it is never copied whole. */
static void linear_w(float *out, const float *inp, const lb_weight_t *w, const float *bias,
                     int T, int C, int OC, int in_out, float beta) {
    if (w->f32)
        lb_model_matmul_forward(out, inp, w->f32, bias, T, C, OC, in_out, beta);
    else if (w->src->dtype == LB_DTYPE_F32)
        lb_model_matmul_forward(out, inp, (const float *)w->src->data, bias, T, C, OC, in_out,
                                beta);
    else
        lb_model_matmul_inv(out, inp, w->src->data, w->src->dtype, bias, T, C, OC, in_out,
                            beta);
}

/* out (T, OC) = beta*out + inp (T, C) @ w (+ b), the family's weight layout. */
static void lb_train_linear(const struct lb_train *tr, float *out, const float *inp,
                            const lb_weight_t *w, const lb_weight_t *b, int T, float beta) {
    int in_out = tr->g->arch == LB_ARCH_GPT2;   /* Conv1D: (in, out) */
    int C = in_out ? w->rows : w->cols, OC = in_out ? w->cols : w->rows;
    linear_w(out, inp, w, b->f32, T, C, OC, in_out, beta);
}

/* dst (n,) = elements off .. off+n-1 of weight w, widened when it stays in the file. */
static void row_of(const lb_weight_t *w, size_t off, size_t n, float *dst) {
    if (w->f32) memcpy(dst, w->f32 + off, n * sizeof(float));
    else lb_st_to_f32(w->src, off, n, dst);
}

static void lb_train_norm(const struct lb_train *tr, float *out, const float *inp,
                          const lb_weight_t *w, const lb_weight_t *b, int T) {
    const lb_model_config_t *g = tr->g;
    if (g->arch == LB_ARCH_LLAMA)
        lb_model_rmsnorm_forward(out, inp, w->f32, T, g->hidden_size, g->norm_eps);
    else
        lb_model_layernorm_forward(out, inp, w->f32, b->f32, T, g->hidden_size, g->norm_eps);
}

static void attention(struct lb_train *tr, int l, int B) {
    const lb_model_config_t *g = tr->g;
    const lb_layer_t *y = &tr->m->layers[l];
    int T = tr->T, BT = B * T;
    size_t mBT = (size_t)tr->max_B * T, D = (size_t)g->hidden_size;
    int qd = g->n_heads * g->head_dim, kd = g->n_kv_heads * g->head_dim;
    const float *xn = tr->xn1 + (size_t)l * mBT * D;
    float *qkv = tr->qkv + (size_t)l * mBT * (qd + 2 * kd), *q, *k, *v;
    int ldq, ldkv;
    if (g->arch == LB_ARCH_GPT2) {
        lb_train_linear(tr, qkv, xn, &y->q_w, &y->q_b, BT, 0.0f);
        q = qkv, k = q + qd, v = k + kd, ldq = ldkv = qd + 2 * kd;
    } else {
        q = qkv, k = q + (size_t)BT * qd, v = k + (size_t)BT * kd, ldq = qd, ldkv = kd;
        lb_train_linear(tr, q, xn, &y->q_w, &y->q_b, BT, 0.0f);
        lb_train_linear(tr, k, xn, &y->k_w, &y->k_b, BT, 0.0f);
        lb_train_linear(tr, v, xn, &y->v_w, &y->v_b, BT, 0.0f);
    }
    if (g->rotary_dim) {
        lb_model_rope_forward(q, ldq, tr->pos, BT, g->n_heads, g->head_dim, g->rotary_dim,
                              tr->cos_t, tr->sin_t);
        lb_model_rope_forward(k, ldkv, tr->pos, BT, g->n_kv_heads, g->head_dim, g->rotary_dim,
                              tr->cos_t, tr->sin_t);
    }
    float *probs = tr->probs + (size_t)l * tr->max_B * g->n_heads * (size_t)T * T;
    lb_model_attention_train_forward(tr->att + (size_t)l * mBT * qd, probs, q, ldq, k, v, ldkv,
                                     B, T, g->n_heads, g->n_kv_heads, g->head_dim,
                                     g->sliding_window, tr->lens);
}

static void activation(const lb_model_config_t *g, float *out, const float *in, size_t n) {
    memcpy(out, in, n * sizeof(float));
    if (g->act == LB_ACT_GELU) lb_model_gelu_forward(out, n);
    else lb_model_gelu_new_forward(out, n);
}

static void layer(struct lb_train *tr, int l, int B) {
    const lb_model_config_t *g = tr->g;
    const lb_layer_t *y = &tr->m->layers[l];
    int BT = B * tr->T;
    size_t mBT = (size_t)tr->max_B * tr->T, D = (size_t)g->hidden_size;
    size_t I = (size_t)g->intermediate_size, qd = (size_t)g->n_heads * g->head_dim;
    size_t n = (size_t)BT * D, TI = (size_t)BT * I;
    const float *x = tr->res + (size_t)l * mBT * D;
    float *next = tr->res + (size_t)(l + 1) * mBT * D;
    float *xn1 = tr->xn1 + (size_t)l * mBT * D, *att = tr->att + (size_t)l * mBT * qd;
    float *hp = tr->h_pre + (size_t)l * mBT * I, *ha = tr->h_act + (size_t)l * mBT * I;
    lb_train_norm(tr, xn1, x, &y->ln1_w, &y->ln1_b, BT);
    attention(tr, l, B);
    if (g->arch == LB_ARCH_PHI) {
        /* Parallel block: x + attn(ln(x)) + mlp(ln(x)). */
        memcpy(next, x, n * sizeof(float));
        lb_train_linear(tr, next, att, &y->o_w, &y->o_b, BT, 1.0f);
        lb_train_linear(tr, hp, xn1, &y->up_w, &y->up_b, BT, 0.0f);
        activation(g, ha, hp, TI);
        lb_train_linear(tr, next, ha, &y->down_w, &y->down_b, BT, 1.0f);
        return;
    }
    float *mid = tr->mid + (size_t)l * mBT * D, *xn2 = tr->xn2 + (size_t)l * mBT * D;
    memcpy(mid, x, n * sizeof(float));
    lb_train_linear(tr, mid, att, &y->o_w, &y->o_b, BT, 1.0f);
    lb_train_norm(tr, xn2, mid, &y->ln2_w, &y->ln2_b, BT);
    if (g->arch == LB_ARCH_LLAMA) {
        float *hu = tr->h_up + (size_t)l * mBT * I;
        lb_train_linear(tr, hp, xn2, &y->gate_w, &y->gate_b, BT, 0.0f);
        lb_train_linear(tr, hu, xn2, &y->up_w, &y->up_b, BT, 0.0f);
        if (g->act == LB_ACT_SILU) lb_model_swiglu_forward(ha, hp, hu, TI);
        else {
            activation(g, ha, hp, TI);
            for (size_t i = 0; i < TI; i++) ha[i] *= hu[i];
        }
    } else {
        lb_train_linear(tr, hp, xn2, &y->up_w, &y->up_b, BT, 0.0f);
        activation(g, ha, hp, TI);
    }
    memcpy(next, mid, n * sizeof(float));
    lb_train_linear(tr, next, ha, &y->down_w, &y->down_b, BT, 1.0f);
}

int lb_train_forward(lb_train_t *tr, const int32_t *tokens, const int *lens, int B,
                     const float **logits, lb_error_t *err) {
    const lb_model_t *m = tr->m;
    const lb_model_config_t *g = tr->g;
    if (B < 1 || B > tr->max_B)
        return lb_error_set(err, LB_EINVAL, "train: batch of %d sequences (trainer allows 1..%d)",
                            B, tr->max_B);
    int T = tr->T, BT = B * T, D = g->hidden_size;
    for (int i = 0; i < BT; i++)
        if (tokens[i] < 0 || tokens[i] >= g->vocab_size)
            return lb_error_set(err, LB_EINVAL,
                                "train: sequence %d position %d: token %d outside [0, %d)",
                                i / T, i % T, (int)tokens[i], g->vocab_size);
    for (int b = 0; b < B; b++) {
        tr->lens[b] = lens ? lens[b] : T;
        if (tr->lens[b] < 1 || tr->lens[b] > T)
            return lb_error_set(err, LB_EINVAL, "train: sequence %d has length %d (1..%d)", b,
                                tr->lens[b], T);
    }
    tr->B = B;
    memcpy(tr->tokens, tokens, (size_t)BT * sizeof(int32_t));
    float *x = tr->res;
    #pragma omp parallel for schedule(static) if ((size_t)BT * D >= LB_PAR_MIN)
    for (int t = 0; t < BT; t++) {
        float *r = x + (size_t)t * D;
        row_of(&m->wte, (size_t)tokens[t] * D, (size_t)D, r);
        if (g->arch != LB_ARCH_GPT2) continue;
        if (m->wpe.f32) {
            for (int i = 0; i < D; i++) r[i] += m->wpe.f32[(size_t)tr->pos[t] * D + i];
            continue;
        }
        float tmp[256];   /* a position row kept in the file, widened in pieces */
        for (int o = 0; o < D; o += 256) {
            int n = D - o < 256 ? D - o : 256;
            row_of(&m->wpe, (size_t)tr->pos[t] * D + o, (size_t)n, tmp);
            for (int i = 0; i < n; i++) r[o + i] += tmp[i];
        }
    }
    for (int l = 0; l < g->n_layers; l++) layer(tr, l, B);
    const float *last = tr->res + (size_t)g->n_layers * tr->max_B * T * D;
    lb_train_norm(tr, tr->xf, last, &m->lnf_w, &m->lnf_b, BT);
    linear_w(tr->logits, tr->xf, &m->head_w, m->head_b.f32, BT, D, g->vocab_size, 0, 0.0f);
    *logits = tr->logits;
    return 0;
}
