/*
 * train_internal.h — the trainer's private state, shared by the files of src/train only. The model's
 * weights are reached through the layout the model module exports (leakbound/model_layout.h):
 * the gradient of a weight lives at the same offset in grads as the weight in
 * m->params, so tied matrices share one gradient for free.
 */
#ifndef LB_TRAIN_INTERNAL_H
#define LB_TRAIN_INTERNAL_H

#include "leakbound/model_layout.h"
#include "leakbound/train.h"

struct lb_train {
    lb_model_t *m;
    const lb_model_config_t *g;
    int max_B, T, with_grads, B, n_threads;
    lb_arena_t arena;
    size_t n_floats;              /* floats in m->params */
    float *grads, *m1, *m2;       /* (n_floats,) each; NULL without grads */
    long step;                    /* AdamW steps taken */
    lb_train_param_t *params;     /* (n_params,) */
    int n_params;
    int32_t *tokens;              /* (max_B * T) the last forward's tokens */
    int *pos;                     /* (max_B * T) position of each row */
    int *lens;                    /* (max_B,) real tokens of each sequence of the last forward */
    float *cos_t, *sin_t;         /* (T, rotary_dim / 2) */
    /* Activations; BT = max_B * T rows. */
    float *res;      /* (L + 1, BT, D) input of each layer; res[L] feeds the final norm */
    float *mid;      /* (L, BT, D) residual after attention (not Phi) */
    float *xn1;      /* (L, BT, D) */
    float *xn2;      /* (L, BT, D) (not Phi) */
    float *qkv;      /* (L, BT, qd + 2 kd) after RoPE, layout of forward.c */
    float *probs;    /* (L, max_B, H, T, T) */
    float *att;      /* (L, BT, qd) */
    float *h_pre;    /* (L, BT, I) the MLP's first product (Llama: the gate) */
    float *h_up;     /* (L, BT, I) Llama up projection */
    float *h_act;    /* (L, BT, I) input of the down projection */
    float *xf;       /* (BT, D) after the final norm */
    float *logits;   /* (BT, V); lb_train_loss overwrites it with its gradient */
    double *row_lse, *row_ent, *row_nll;   /* (BT,) per-position statistics */
    /* Backward scratch. */
    float *dres, *dtmp, *dxn;   /* (BT, D) */
    float *dqkv;                /* (BT, qd + 2 kd) */
    float *datt;                /* (BT, qd) */
    float *dh, *dup;            /* (BT, I) */
    float *att_scratch;         /* (n_threads, T * T) */
};

/* Gradient of weight w (NULL for an absent bias or a forward-only trainer). */
static inline float *lb_train_grad_of(const struct lb_train *tr, const lb_weight_t *w) {
    if (!w->f32 || !tr->grads) return NULL;
    return tr->grads + (w->f32 - tr->m->params);
}

/* Build tr->params (HF names) into the arena. */
int lbi_train_build_params(struct lb_train *tr, lb_error_t *err);

/* checkpoint.c: copy config.json and tokenizer files of src_dir into dir (each atomically);
 * write dir/model.safetensors in dtype dt (F16/BF16: the master weights rounded to nearest
 * even; checkpoints to resume from are always F32); read the AdamW moments and step of dir/optimizer.safetensors,
 * refusing a checkpoint whose fingerprint differs (LB_EINVAL). */
int lbi_train_copy_model_files(const char *src_dir, const char *dir, lb_error_t *err);
int lbi_train_save_weights(lb_train_t *tr, const char *dir, lb_dtype_t dt, lb_error_t *err);
int lbi_train_load_opt(lb_train_t *tr, const char *dir, const char *fingerprint, lb_error_t *err);

#endif
