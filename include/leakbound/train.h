/*
 * leakbound/train.h — fp32 training of the Hugging Face causal LMs of model.h: whole-model
 * forward with saved activations, backward, the unlearning losses of docs/training.md and AdamW.
 *
 * Contract
 * - An lb_train_t borrows a model loaded WITHOUT keep_file_dtype and trains its fp32
 *   parameters in place (they are the master weights: a F16/BF16 checkpoint is widened
 *   exactly at load, so training from it follows the same trajectory as training from its F32
 *   widening). A forward-only trainer (the frozen NPO reference) may borrow a model loaded
 *   WITH keep_file_dtype: its matrices stay in the file's mapping and dtype (16-bit ones are
 *   widened inside the GEMM, model.h), so a 16-bit reference costs its file size, not twice
 *   it; its logits then match the widened model's to fp32 rounding (a different summation
 *   order), not bit for bit. It owns one arena planned at creation
 *   for batches of up to max_batch sequences of exactly T tokens (right-padded), the gradient
 *   buffer (same layout as the parameters; tied matrices share one gradient) and the AdamW
 *   moments. No call after creation allocates.
 * - Training runs without the KV cache: full sequences at positions 0..T-1.
 * - Losses (docs/training.md) are built from per-batch parts: a weighted causal-LM loss (token
 *   mean over the supervised positions of the batch, logits t predict labels t+1, label -100
 *   ignored), a weighted NPO term (summed sequence NLL against a frozen reference's), and a
 *   weighted mean next-token entropy over every position of the padded batch (or only the
 *   positions that predict a supervised label). lb_train_loss turns logits into their gradient
 *   in place; lb_train_backward then ADDS the parameter gradients, so several batches (forget
 *   and retain, accumulation micro-batches) sum into one step.
 * - AdamW as torch.optim.AdamW (decoupled decay, bias corrections, eps outside the sqrt), weight
 *   decay on matrices only (HF Trainer exempts biases and norm weights), gradient-norm clipping
 *   as torch.nn.utils.clip_grad_norm_; HF's linear warmup + linear decay schedule.
 */
#ifndef LEAKBOUND_TRAIN_H
#define LEAKBOUND_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"
#include "leakbound/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_train lb_train_t;

/* One trainable tensor, in HF naming (what a checkpoint calls it). */
typedef struct lb_train_param {
    char name[96];
    float *w;           /* (numel,) the parameter, inside the model */
    float *g;           /* (numel,) its gradient */
    int ndim;           /* 1 or 2 */
    int64_t shape[2];   /* as stored in an HF checkpoint */
    size_t numel;
} lb_train_param_t;

/* Plan a trainer for model m (borrowed, must outlive it) and batches of up to max_batch
 * sequences of T tokens (2 <= T <= max positions). with_grads 0 makes a forward-only trainer
 * (a frozen NPO reference; m may keep its file dtype, and lb_train_params then lists only the
 * tensors that were widened); with_grads 1 needs m loaded without keep_file_dtype. Errors:
 * LB_EINVAL (sizes, a model kept in its file dtype given to be trained), LB_ENOMEM. */
LB_API int lb_train_create(lb_model_t *m, int max_batch, int T, int with_grads, lb_train_t **out,
                           lb_error_t *err);
/* Free the trainer and its arena (not the model it borrows); NULL is a no-op. */
LB_API void lb_train_free(lb_train_t *tr);

/* Bytes the arena and buffers hold. */
LB_API size_t lb_train_bytes(const lb_train_t *tr);

/* The tensors (n_out of them; a tied head appears once, under the embedding's name). */
LB_API const lb_train_param_t *lb_train_params(const lb_train_t *tr, int *n_out);

/* Forward B (<= max_batch) sequences. tokens (B, T) in [0, V); lens (B,) real tokens of each
 * (1..T; the rest is right padding whose keys attention hides, as HF's attention_mask does;
 * NULL = no padding). *logits (B, T, V) points into the trainer (valid until its next call).
 * Errors: LB_EINVAL (B, length, token out of range). */
LB_API int lb_train_forward(lb_train_t *tr, const int32_t *tokens, const int *lens, int B,
                            const float **logits, lb_error_t *err);

/* What one batch contributes to the loss. */
typedef struct lb_loss_spec {
    double ce_w;             /* weight of the token-mean causal-LM loss */
    double ent_w;            /* weight of the mean entropy */
    int ent_answer_only;     /* 0: every position; 1: positions t whose label t+1 is supervised */
    double npo_w;            /* weight of -(2/beta) mean_b log sigmoid(beta (s_b - s_ref_b)) */
    double npo_beta;
    const double *nll_ref;   /* (B,) summed NLL per sequence under the reference (npo_w != 0) */
} lb_loss_spec_t;

typedef struct lb_loss_parts {
    double loss;   /* ce_w*ce + ent_w*ent + npo_w*npo */
    double ce, ent, npo;
    long n_sup;    /* supervised positions */
} lb_loss_parts_t;

/* Loss of the last forward's logits against labels (B, T) (-100 = ignored), and with grad 1 its
 * gradient times scale written over the logits (for lb_train_backward). Errors: LB_EINVAL
 * (label out of range, B differs from the forward's). */
LB_API int lb_train_loss(lb_train_t *tr, const int32_t *labels, int B, const lb_loss_spec_t *spec,
                         double scale, int grad, lb_loss_parts_t *out, lb_error_t *err);

/* Summed NLL of each sequence's supervised labels under the last forward. out (B,). */
LB_API void lb_train_seq_nll(const lb_train_t *tr, const int32_t *labels, int B, double *out);

/* Backpropagate the gradient lb_train_loss left in the logits; adds into the gradients. */
LB_API void lb_train_backward(lb_train_t *tr);

/* Zero every gradient. */
LB_API void lb_train_zero_grad(lb_train_t *tr);

typedef struct lb_adamw_opts {
    double lr, beta1, beta2, eps, weight_decay, max_grad_norm;   /* max_grad_norm <= 0: no clip */
} lb_adamw_opts_t;

/* Clip (returns the pre-clip global L2 norm in *gnorm) and take one AdamW step at lr. */
LB_API void lb_train_adamw_step(lb_train_t *tr, const lb_adamw_opts_t *o, double lr, double *gnorm);

/* HF get_linear_schedule_with_warmup: lr multiplier at optimizer step `step` (0-based). */
LB_API double lb_train_lr_factor(long step, long warmup, long total);

/* Optimizer state for checkpoints: the step count and the two moment buffers, each
 * (n_floats,) laid out like the parameters. */
LB_API long lb_train_opt_state(lb_train_t *tr, float **m1, float **m2, size_t *n_floats);
/* Set the optimizer step count (AdamW's bias correction uses step + 1 next). The moment
 * buffers are filled through lb_train_opt_state's pointers. */
LB_API void lb_train_set_opt_step(lb_train_t *tr, long step);

/* ---- Objectives (docs/training.md) ------------------------------------------------------ */

typedef enum { LB_METHOD_FINETUNE, LB_METHOD_GA, LB_METHOD_GD, LB_METHOD_NPO } lb_method_t;

/* The method's name as the command line and the run record spell it: "finetune", "ga", "gd",
 * "npo" ("?" for a value outside the enum). Never NULL, never freed. */
LB_API const char *lb_train_method_name(lb_method_t m);
/* The unlearning method s names, as --method spells it: "ga", "gd" or "npo" (the one place a
 * name is read; finetune is the command, not a choice). Errors: LB_EINVAL "--method: want ga,
 * gd or npo, got 'S'" (*m unchanged). */
LB_API int lb_train_method_parse(const char *s, lb_method_t *m, lb_error_t *err);

typedef struct lb_objective {
    lb_method_t method;
    double lambda;          /* retain weight (GD, NPO) */
    double beta;            /* NPO */
    double ent_f, ent_r;    /* entropy weights on forget (or finetune data) and retain logits */
    int ent_answer_only;    /* --entropy-positions answer */
} lb_objective_t;

/* Does the objective read a retain batch? (GD, NPO, or a retain entropy weight.) */
LB_API int lb_objective_needs_retain(const lb_objective_t *o);

/* One micro-batch of the objective: forward, loss (times scale, e.g. 1/accumulation) and
 * backward of the forget batch (the data for finetune), then of the retain batch when
 * needed; gradients are ADDED. ref: forward-only trainer on the frozen starting model (NPO
 * only; NULL otherwise). tokens/labels (B, T) each, lens (B,) as lb_train_forward. parts[0] forget, parts[1] retain (zeroed
 * when unused). Errors: as lb_train_forward / lb_train_loss. */
LB_API int lb_objective_step(lb_train_t *tr, lb_train_t *ref, const lb_objective_t *o,
                             const int32_t *f_tokens, const int32_t *f_labels, const int *f_lens,
                             int B_f, const int32_t *r_tokens, const int32_t *r_labels,
                             const int *r_lens, int B_r, double scale, lb_loss_parts_t parts[2],
                             lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
