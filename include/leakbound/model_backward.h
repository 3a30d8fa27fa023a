/*
 * leakbound/model_backward.h — backward kernels for training, one next to each forward kernel
 * of model.h, plus the training-time attention that keeps its probabilities for the backward.
 *
 * Contract
 * - fp32, row-major, OpenMP-parallel; none allocates (callers pass planned scratch).
 * - Gradients of inputs are written (overwrite) or added (accumulate = 1) as each function
 *   says; gradients of weights and biases are always ADDED to what the buffers hold, so one
 *   zeroed gradient buffer collects a whole accumulation window and tied matrices sum both uses.
 * - Each *_backward takes the same shapes as its forward and the forward's saved inputs.
 */
#ifndef LEAKBOUND_MODEL_BACKWARD_H
#define LEAKBOUND_MODEL_BACKWARD_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Backward of lb_model_rmsnorm_forward. dinp (T, C) is written; dw (C,) accumulated.
 * dout (T, C), inp (T, C) the forward's input, w (C,). dinp must not alias dout or inp. */
LB_API void lb_model_rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp,
                                      const float *w, int T, int C, float eps);

/* Backward of lb_model_layernorm_forward. dinp (T, C) written; dw, db (C,) accumulated.
 * dout (T, C), inp (T, C) the forward's input, w (C,). dinp must not alias dout or inp. */
LB_API void lb_model_layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                                        const float *inp, const float *w, int T, int C, float eps);

/* Backward of lb_model_matmul_forward (out = inp @ W^T + bias; W (OC, C), or (C, OC) when
 * w_in_out). dinp (T, C) = beta * dinp + dout @ W (dinp may be NULL: not needed);
 * dw (same layout as w) += the weight gradient; dbias (OC,) += column sums of dout (NULL: no
 * bias). dout (T, OC), inp (T, C). */
LB_API void lb_model_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout,
                                     const float *inp, const float *w, int T, int C, int OC,
                                     int w_in_out, float beta);

/* Backward of lb_model_rope_forward, in place on the gradient dx (T, n_heads, hd) with row
 * stride ld: the rotation is orthogonal, so its backward rotates by the opposite angle. */
LB_API void lb_model_rope_backward(float *dx, int ld, const int *pos, int T, int n_heads, int hd,
                                   int rot, const float *cos_t, const float *sin_t);

/* Backward of lb_model_swiglu_forward. dgate, dup (n,) written; dout, gate, up (n,) the
 * forward's inputs. dgate may alias dout. */
LB_API void lb_model_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                                     const float *up, size_t n);

/* Backward of gelu_new / exact gelu: dx (n,) = dout * gelu'(x), x (n,) the forward's input.
 * dx may alias dout. */
LB_API void lb_model_gelu_new_backward(float *dx, const float *dout, const float *x, size_t n);
/* Backward of exact (erf) gelu: dx (n,) = dout * gelu'(x); dx may alias dout. */
LB_API void lb_model_gelu_backward(float *dx, const float *dout, const float *x, size_t n);

/* Embedding backward: dwte[tokens[t]] += dout[t] (and dwpe[pos[t]] += dout[t] when dwpe is not
 * NULL). dout (T, C), tokens (T,), pos (T,). */
LB_API void lb_model_embedding_backward(float *dwte, float *dwpe, const float *dout,
                                        const int32_t *tokens, const int *pos, int T, int C);

/* Training attention over B sequences of T tokens each (rows b*T .. b*T+T-1), causal,
 * grouped-query (head h reads kv head h / (n_heads / n_kv_heads)), optional sliding window
 * (0 = none) as HF masks it (key j visible from query i when i - window < j <= i),
 * and keys at or past lens[b] (right padding, as HF's attention_mask hides them; lens NULL =
 * all T) hidden from every query. out (B*T, n_heads*hd); probs (B, n_heads, T, T) keeps softmax(q k^T / sqrt(hd)) (zeros
 * above the diagonal) for the backward; q (B*T, n_heads, hd) row stride ldq; k, v
 * (B*T, n_kv_heads, hd) row stride ldkv. Two lb_model_gemm products per (sequence, head). */
LB_API void lb_model_attention_train_forward(float *out, float *probs, const float *q, int ldq,
                                             const float *k, const float *v, int ldkv, int B, int T,
                                             int n_heads, int n_kv_heads, int hd, int window,
                                             const int *lens);

/* Its backward. dq (written), dk, dv (written) in the layouts of q, k, v (strides ldq, ldkv);
 * dout (B*T, n_heads*hd); probs from the forward; scratch (n_threads, T*T) floats where
 * n_threads is omp_get_max_threads(). */
LB_API void lb_model_attention_train_backward(float *dq, float *dk, float *dv, const float *dout,
                                              const float *probs, const float *q, int ldq,
                                              const float *k, const float *v, int ldkv, int B,
                                              int T, int n_heads, int n_kv_heads, int hd,
                                              float *scratch);

#ifdef __cplusplus
}
#endif
#endif
