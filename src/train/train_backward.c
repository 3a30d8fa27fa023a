/* Whole-model backward from the logits' gradient (left in tr->logits by lb_train_loss): the
 * layers in reverse, each sublayer's kernels' *_backward in reverse order. */
#include "train_internal.h"
#include "leakbound/model_backward.h"

#include <string.h>

/* dinp (T, C) = beta*dinp + dout @ W; weight and bias gradients added. */
static void linear_back(struct lb_train *tr, float *dinp, const float *dout, const float *inp,
                        const lb_weight_t *w, const lb_weight_t *b, int T, float beta) {
    int in_out = tr->g->arch == LB_ARCH_GPT2;
    int C = in_out ? w->rows : w->cols, OC = in_out ? w->cols : w->rows;
    lb_model_matmul_backward(dinp, lb_train_grad_of(tr, w), lb_train_grad_of(tr, b), dout, inp,
                             w->f32, T, C, OC, in_out, beta);
}

/* dinp (T, D) written from dout through the family's norm at input inp. */
static void norm_back(struct lb_train *tr, float *dinp, const float *dout, const float *inp,
                      const lb_weight_t *w, const lb_weight_t *b, int T) {
    const lb_model_config_t *g = tr->g;
    if (g->arch == LB_ARCH_LLAMA)
        lb_model_rmsnorm_backward(dinp, lb_train_grad_of(tr, w), dout, inp, w->f32, T,
                                  g->hidden_size, g->norm_eps);
    else
        lb_model_layernorm_backward(dinp, lb_train_grad_of(tr, w), lb_train_grad_of(tr, b),
                                    dout, inp, w->f32, T, g->hidden_size, g->norm_eps);
}

static void add_into(float *dst, const float *src, size_t n) {
    #pragma omp parallel for simd schedule(static) if (n >= LB_PAR_MIN)
    for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

/* dh = dout * act'(pre), in place on dh. */
static void act_back(const lb_model_config_t *g, float *dh, const float *pre, size_t n) {
    if (g->act == LB_ACT_GELU) lb_model_gelu_backward(dh, dh, pre, n);
    else lb_model_gelu_new_backward(dh, dh, pre, n);
}

/* From tr->dres (gradient at the layer's MLP output) to tr->dxn (gradient at its normed
 * input, written with beta). */
static void mlp_back(struct lb_train *tr, int l, int BT, const float *xn, float beta) {
    const lb_model_config_t *g = tr->g;
    const lb_layer_t *y = &tr->m->layers[l];
    size_t mBT = (size_t)tr->max_B * tr->T, I = (size_t)g->intermediate_size;
    size_t TI = (size_t)BT * I;
    const float *hp = tr->h_pre + (size_t)l * mBT * I, *ha = tr->h_act + (size_t)l * mBT * I;
    linear_back(tr, tr->dh, tr->dres, ha, &y->down_w, &y->down_b, BT, 0.0f);
    if (g->arch == LB_ARCH_LLAMA) {
        const float *hu = tr->h_up + (size_t)l * mBT * I;
        if (g->act == LB_ACT_SILU) {
            lb_model_swiglu_backward(tr->dh, tr->dup, tr->dh, hp, hu, TI);
        } else {
            /* act(gate) * up: dup = dh * act(gate) = dh * ha / up is unsafe at up = 0, so
             * recompute act(gate) into dup first. */
            memcpy(tr->dup, hp, TI * sizeof(float));
            if (g->act == LB_ACT_GELU) lb_model_gelu_forward(tr->dup, TI);
            else lb_model_gelu_new_forward(tr->dup, TI);
            for (size_t i = 0; i < TI; i++) {
                float d = tr->dh[i];
                tr->dh[i] = d * hu[i];
                tr->dup[i] *= d;
            }
            act_back(g, tr->dh, hp, TI);
        }
        linear_back(tr, tr->dxn, tr->dh, xn, &y->gate_w, &y->gate_b, BT, beta);
        linear_back(tr, tr->dxn, tr->dup, xn, &y->up_w, &y->up_b, BT, 1.0f);
    } else {
        act_back(g, tr->dh, hp, TI);
        linear_back(tr, tr->dxn, tr->dh, xn, &y->up_w, &y->up_b, BT, beta);
    }
}

/* From tr->dres (gradient at the attention output) to tr->dxn (written with beta). */
static void attention_back(struct lb_train *tr, int l, int B, float beta) {
    const lb_model_config_t *g = tr->g;
    const lb_layer_t *y = &tr->m->layers[l];
    int T = tr->T, BT = B * T;
    size_t mBT = (size_t)tr->max_B * T, D = (size_t)g->hidden_size;
    int qd = g->n_heads * g->head_dim, kd = g->n_kv_heads * g->head_dim;
    const float *xn = tr->xn1 + (size_t)l * mBT * D;
    const float *att = tr->att + (size_t)l * mBT * qd;
    const float *qkv = tr->qkv + (size_t)l * mBT * (qd + 2 * kd), *q, *k, *v;
    float *dq, *dk, *dv;
    int ldq, ldkv, gpt2 = g->arch == LB_ARCH_GPT2;
    if (gpt2) {
        q = qkv, k = q + qd, v = k + kd, ldq = ldkv = qd + 2 * kd;
        dq = tr->dqkv, dk = dq + qd, dv = dk + kd;
    } else {
        q = qkv, k = q + (size_t)BT * qd, v = k + (size_t)BT * kd, ldq = qd, ldkv = kd;
        dq = tr->dqkv, dk = dq + (size_t)BT * qd, dv = dk + (size_t)BT * kd;
    }
    linear_back(tr, tr->datt, tr->dres, att, &y->o_w, &y->o_b, BT, 0.0f);
    const float *probs = tr->probs + (size_t)l * tr->max_B * g->n_heads * (size_t)T * T;
    lb_model_attention_train_backward(dq, dk, dv, tr->datt, probs, q, ldq, k, v, ldkv, B, T,
                                      g->n_heads, g->n_kv_heads, g->head_dim, tr->att_scratch);
    if (g->rotary_dim) {
        lb_model_rope_backward(dq, ldq, tr->pos, BT, g->n_heads, g->head_dim, g->rotary_dim,
                               tr->cos_t, tr->sin_t);
        lb_model_rope_backward(dk, ldkv, tr->pos, BT, g->n_kv_heads, g->head_dim,
                               g->rotary_dim, tr->cos_t, tr->sin_t);
    }
    if (gpt2) {
        linear_back(tr, tr->dxn, tr->dqkv, xn, &y->q_w, &y->q_b, BT, beta);
    } else {
        linear_back(tr, tr->dxn, dq, xn, &y->q_w, &y->q_b, BT, beta);
        linear_back(tr, tr->dxn, dk, xn, &y->k_w, &y->k_b, BT, 1.0f);
        linear_back(tr, tr->dxn, dv, xn, &y->v_w, &y->v_b, BT, 1.0f);
    }
}

void lb_train_backward(lb_train_t *tr) {
    const lb_model_t *m = tr->m;
    const lb_model_config_t *g = tr->g;
    int B = tr->B, T = tr->T, BT = B * T, D = g->hidden_size, V = g->vocab_size;
    size_t mBT = (size_t)tr->max_B * T, n = (size_t)BT * D;
    /* Head: dxf = dlogits @ W_head; then the final norm into dres. */
    lb_model_matmul_backward(tr->dtmp, lb_train_grad_of(tr, &m->head_w),
                             lb_train_grad_of(tr, &m->head_b), tr->logits, tr->xf,
                             m->head_w.f32, BT, D, V, 0, 0.0f);
    norm_back(tr, tr->dres, tr->dtmp, tr->res + (size_t)g->n_layers * mBT * D, &m->lnf_w,
              &m->lnf_b, BT);
    for (int l = g->n_layers - 1; l >= 0; l--) {
        const lb_layer_t *y = &m->layers[l];
        const float *x = tr->res + (size_t)l * mBT * D;
        if (g->arch == LB_ARCH_PHI) {
            mlp_back(tr, l, BT, tr->xn1 + (size_t)l * mBT * D, 0.0f);
            attention_back(tr, l, B, 1.0f);
        } else {
            mlp_back(tr, l, BT, tr->xn2 + (size_t)l * mBT * D, 0.0f);
            norm_back(tr, tr->dtmp, tr->dxn, tr->mid + (size_t)l * mBT * D, &y->ln2_w,
                      &y->ln2_b, BT);
            add_into(tr->dres, tr->dtmp, n);
            attention_back(tr, l, B, 0.0f);
        }
        norm_back(tr, tr->dtmp, tr->dxn, x, &y->ln1_w, &y->ln1_b, BT);
        add_into(tr->dres, tr->dtmp, n);
    }
    lb_model_embedding_backward(lb_train_grad_of(tr, &m->wte),
                                g->arch == LB_ARCH_GPT2 ? lb_train_grad_of(tr, &m->wpe) : NULL,
                                tr->dres, tr->tokens, tr->pos, BT, D);
}
