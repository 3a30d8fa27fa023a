/*
 * leakbound/model.h — Hugging Face causal language models: load a checkpoint folder and run
 * the forward pass in fp32 on a paged KV cache (see kvcache.h).
 *
 * Contract
 * - A model folder holds config.json and model.safetensors (or a sharded
 *   model.safetensors.index.json), read through safetensors.h. Families (config "architectures"):
 *   LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM (RMSNorm, RoPE with rope_theta and
 *   the "llama3" rope_scaling, grouped-query attention, SwiGLU, attention biases where the
 *   config or family has them); PhiForCausalLM (LayerNorm, parallel attention and MLP, partial
 *   rotary, gelu_new, biases, lm_head bias); GPT2LMHeadModel (learned positions, Conv1D weights
 *   stored (in, out), fused c_attn, tied head). Names, order of operations and defaults follow
 *   Hugging Face's modeling_llama.py / modeling_phi.py / modeling_gpt2.py. Each family's tensor
 *   names, shapes and slots are written once, in its table (model_layout.h).
 * - Loading validates the config (missing or inconsistent field → LB_EFORMAT naming
 *   "<dir>/config.json" and the field; unknown architecture, activation or rope type →
 *   LB_EUNSUPPORTED) and every tensor the family needs: presence, and shape against the config
 *   (message names the tensor and the checkpoint). Tensors the family does not use are ignored.
 *   Every config value is range-checked before anything is sized from it, and a value outside
 *   its range is an error naming config.json, the field and the range: vocab_size in [1, 2^24],
 *   hidden sizes and head_dim in [1, 65536], layer and head counts in [1, 4096],
 *   intermediate_size in [1, 2^20], positions in [1, 2^21], rope_theta in [1, 1e30], norm
 *   epsilons in [0, 1], bos/eos_token_id (or each of a list) in [0, vocab_size). The layer
 *   count must be the number of layers in the weights (more or fewer is an error).
 * - Weights may be F32, F16 or BF16 (mixed is fine). By default they are widened to fp32 once at
 *   load (what training needs: fp32 weights it can update). With keep_file_dtype the matrices
 *   stay in the read-only mapping of the file, in its dtype, and are never copied: F32 ones are
 *   read in place, F16/BF16 ones are widened on the fly inside the GEMM (exactly; fp32
 *   accumulation); only vectors, and a matrix whose data the file left misaligned, are
 *   widened. Resident memory is then about the file size plus the KV cache and the runner.
 * - A loaded model is read-only: several runners may use it from different threads.
 * - Forward: an lb_model_runner_t owns one arena sized at creation for (max_seqs sequences,
 *   max_tokens tokens per call, max_ctx positions); lb_model_forward never allocates. Each call
 *   appends tokens to sequences of an lb_kvcache_t and returns logits; calling it with n tokens
 *   per sequence is a prefill, with 1 token per sequence a decode step. Matrix products run on
 *   the project's fixed-order GEMM (lb_model_gemm: one fma chain over k per element, F16/BF16
 *   matrices widened while packing); attention runs on the cache with OpenMP over (sequence,
 *   head). Every result is the same bits whatever the thread count and the kernels'
 *   instruction set (docs/reproducibility.md).
 * - Batch invariance: a sequence's logits are bit-identical whatever other sequences share the
 *   call, given the same tokens and the same calls for that sequence (a prefill of n tokens,
 *   then decode steps): products depend only on the sizes of the weights, and norms, RoPE,
 *   activations and the cache attention of a decode step are per row or per (sequence, head).
 *   lb_model_runner_set_batch_invariant is kept for callers that set it; both modes now
 *   compute the same. The kernels (AVX-512, AVX2/FMA, scalar, chosen at run time or by
 *   lb_model_isa_force) run near sgemm's rate (bench/RESULTS.md).
 */
#ifndef LEAKBOUND_MODEL_H
#define LEAKBOUND_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"
#include "leakbound/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LB_ARCH_LLAMA,   /* LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM */
    LB_ARCH_PHI,     /* PhiForCausalLM */
    LB_ARCH_GPT2     /* GPT2LMHeadModel */
} lb_arch_t;

/* The family's name as `init --arch` reads it and `inspect` prints it ("llama", "phi",
 * "gpt2": the one table of family names, in the model module); NULL for a value that is no
 * lb_arch_t. */
LB_API const char *lb_model_arch_name(lb_arch_t a);

/* The Hugging Face names a config.json of family a is written with (`leakbound init`): its
 * "architectures" entry and "model_type", the family's own checkpoint class (LlamaForCausalLM
 * and llama, PhiForCausalLM and phi, GPT2LMHeadModel and gpt2), from the same table that reads
 * them. Returns 0 with both set, or -1 for a value that is no lb_arch_t (both unchanged). */
LB_API int lb_model_arch_hf_names(lb_arch_t a, const char **architecture, const char **model_type);

/* The family named s (exactly one of lb_model_arch_name's names). Returns 0 with *out set, or
 * LB_EINVAL "want llama, phi or gpt2, got 's'" (the allowed names from the same table) with
 * *out unchanged; s NULL reads as "". */
LB_API int lb_model_arch_parse(const char *s, lb_arch_t *out, lb_error_t *err);

typedef enum { LB_ACT_SILU, LB_ACT_GELU_NEW, LB_ACT_GELU } lb_act_t;

/* What config.json says, with Hugging Face's defaults filled in. */
typedef struct lb_model_config {
    lb_arch_t arch;
    char architecture[64];     /* as written in config.json, e.g. "Qwen2ForCausalLM" */
    char model_type[32];       /* "llama", "mistral", "qwen2", "phi", "gpt2" */
    int vocab_size;            /* V */
    int hidden_size;           /* D */
    int n_layers;              /* L */
    int n_heads;               /* query heads */
    int n_kv_heads;            /* key/value heads (== n_heads without GQA) */
    int head_dim;              /* hd */
    int intermediate_size;     /* MLP width */
    int max_position_embeddings;
    lb_act_t act;
    float norm_eps;            /* rms_norm_eps or layer_norm_eps / layer_norm_epsilon */
    int rotary_dim;            /* dims of each head that RoPE rotates (0 for GPT-2) */
    double rope_theta;
    int rope_llama3;           /* rope_scaling of type "llama3" */
    double rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int rope_original_max_pos;
    int sliding_window;        /* Mistral/Qwen2 sliding-window attention; 0 = none */
    int qkv_bias;              /* q/k/v projections carry biases */
    int o_bias;                /* output projection carries a bias */
    int mlp_bias;              /* MLP projections carry biases */
    int lm_head_bias;          /* Phi */
    int tie_word_embeddings;
    int bos_token_id, eos_token_id;   /* -1 when absent */
} lb_model_config_t;

typedef struct lb_model lb_model_t;

typedef struct lb_model_options {
    int keep_file_dtype;   /* 0: widen all weights to fp32 at load; 1: matrices used in place */
} lb_model_options_t;

/* Load the model in folder dir (config.json + safetensors). opt may be NULL (defaults). On
 * success *out owns everything (free with lb_model_free). Errors: LB_EIO (missing file),
 * LB_EFORMAT (bad config, missing or misshapen tensor: the message names it and the
 * checkpoint), LB_EUNSUPPORTED (architecture, activation, rope type), LB_ENOMEM. */
LB_API int lb_model_load(const char *dir, const lb_model_options_t *opt, lb_model_t **out,
                         lb_error_t *err);

/* LB_OK when dir is a folder holding a readable config.json; otherwise LB_EIO with a message
 * naming what is missing (the folder, or its config.json) and what a model folder holds
 * (config.json, the weights, tokenizer.json or --tokenizer). lb_model_load gives the same
 * message; callers that read config.json themselves check the folder first. */
LB_API int lb_model_check_folder(const char *dir, lb_error_t *err);

/* SHA-256 (hex) of what leakbound reads from the model folder dir, with lb_io_sha256_named's
 * framing (name, NUL, 8-byte size, bytes) in this order: config.json; generation_config.json,
 * tokenizer.json and tokenizer_config.json where present; model.safetensors.index.json where
 * the loader uses it; then the weight files lb_st_open(dir) maps (model.safetensors, or the
 * index's shards in name order), each named by its file name. So two folders hash alike only
 * when a load reads the same bytes. Errors: those of lb_st_open (a bad index, a shard named by
 * a path), LB_EIO naming a file that cannot be read, LB_ENOMEM. Documented in
 * docs/evaluation.md, 'Provenance'. */
LB_API int lb_model_sha256(const char *dir, char hex[65], lb_error_t *err);

/* lb_model_sha256 of dir with the tokenizer files a load actually reads in place of the
 * folder's: tokenizer_json (when not NULL) is hashed as "tokenizer.json" and tokenizer_config
 * (when not NULL; skipped when that file does not exist) as "tokenizer_config.json", in their
 * places of the order above. So `--tokenizer FILE|DIR` enters the hash, and a folder holding
 * copies of those files hashes alike. Both NULL: lb_model_sha256. Errors: as lb_model_sha256,
 * LB_EIO naming a tokenizer file that cannot be read. */
LB_API int lb_model_sha256_with(const char *dir, const char *tokenizer_json,
                                const char *tokenizer_config, char hex[65], lb_error_t *err);

/* Free a model (NULL is fine). Runners and caches made from it must be freed first. */
LB_API void lb_model_free(lb_model_t *m);

/* The parsed configuration (owned by m). */
LB_API const lb_model_config_t *lb_model_config(const lb_model_t *m);

/* Number of parameters (tied matrices counted once). */
LB_API size_t lb_model_param_count(const lb_model_t *m);

/* Bytes of weights the model holds: *copied widened fp32 copies (its own memory), *mapped the
 * matrices read in place from the file mapping (resident once touched). Either may be NULL. */
LB_API void lb_model_weight_bytes(const lb_model_t *m, size_t *copied, size_t *mapped);

/* Bytes lb_model_runner_create(m, max_seqs, max_tokens, max_ctx, all_logits) would reserve. */
LB_API size_t lb_model_runner_plan_bytes(const lb_model_t *m, int max_seqs, int max_tokens,
                                         int max_ctx, int all_logits);

/* The dtype most of the model's parameters have in the file. */
LB_API lb_dtype_t lb_model_file_dtype(const lb_model_t *m);

/* ---- Forward ------------------------------------------------------------------------- */

typedef struct lb_kvcache lb_kvcache_t;   /* kvcache.h */
typedef struct lb_model_runner lb_model_runner_t;

/* Flags for lb_model_forward. */
#define LB_FORWARD_ALL_LOGITS 1   /* logits for every token of the call, not just the last */

/* A runner: the activations arena for calls of at most max_seqs sequences and max_tokens
 * tokens in all (raised to max_seqs when smaller, so a decode step of every sequence fits),
 * at positions < max_ctx (0 = max_position_embeddings, which GPT-2 cannot exceed). all_logits
 * reserves room for LB_FORWARD_ALL_LOGITS ((max_tokens, V) floats). Errors: LB_EINVAL (bad
 * sizes), LB_ENOMEM. The runner borrows m. */
LB_API int lb_model_runner_create(const lb_model_t *m, int max_seqs, int max_tokens, int max_ctx,
                                  int all_logits, lb_model_runner_t **out, lb_error_t *err);
/* Free the runner and its arena (not the model); NULL is a no-op. */
LB_API void lb_model_runner_free(lb_model_runner_t *r);

/* Batch-invariant mode on (on != 0) or off (the default) for r's later calls. Both modes now
 * run the same fixed-order products (see the contract above); kept for existing callers.
 * Cheap; needs no memory. */
LB_API void lb_model_runner_set_batch_invariant(lb_model_runner_t *r, int on);

/* Bytes the runner's arena reserved. */
LB_API size_t lb_model_runner_bytes(const lb_model_runner_t *r);

/* Append tokens to n_seqs sequences of kv and run the model on them.
 *   seq_ids  (n_seqs,)  distinct live sequences of kv (lb_kvcache_seq_new / _fork)
 *   n_tokens (n_seqs,)  tokens to append to each (>= 1)
 *   tokens   (sum n_tokens,) the tokens, sequence after sequence, each in [0, V)
 * On success *logits points into the runner (valid until its next call):
 *   (n_seqs, V) for each sequence's last new token, or with LB_FORWARD_ALL_LOGITS
 *   (sum n_tokens, V) in the order of tokens. The sequences' cache lengths grow by n_tokens.
 * Errors (nothing is changed): LB_EINVAL (bad id, duplicate sequence, token out of range,
 * too many tokens or sequences for the runner, position >= max_ctx), LB_ENOMEM (the cache has
 * no free block). */
LB_API int lb_model_forward(lb_model_runner_t *r, lb_kvcache_t *kv, int n_seqs, const int *seq_ids,
                            const int *n_tokens, const int32_t *tokens, int flags,
                            const float **logits, lb_error_t *err);

/* One decode step: one token per sequence; *logits is (n_seqs, V). */
LB_API int lb_model_decode(lb_model_runner_t *r, lb_kvcache_t *kv, int n_seqs, const int *seq_ids,
                           const int32_t *tokens, const float **logits, lb_error_t *err);

/* ---- Layer kernels (llm.c style; training adds *_backward next to each) ---------------
 * All are fp32, row-major, OpenMP-parallel over rows; none allocates. */

/* out = rmsnorm(inp) * w, as LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * w.
 * out (T, C), inp (T, C), w (C,). out may equal inp. */
LB_API void lb_model_rmsnorm_forward(float *out, const float *inp, const float *w, int T, int C,
                                     float eps);

/* out = layernorm(inp) * w + b (biased variance, as torch.nn.LayerNorm).
 * out (T, C), inp (T, C), w (C,), b (C,). out may equal inp. */
LB_API void lb_model_layernorm_forward(float *out, const float *inp, const float *w, const float *b,
                                       int T, int C, float eps);

/* out = beta * out + inp @ W^T (+ bias), by lb_model_matmul_forward_inv's fixed order (the
 * same bits). W is (OC, C) as nn.Linear stores
 * it, or (C, OC) when w_in_out (GPT-2 Conv1D). out (T, OC), inp (T, C), bias (OC,) or NULL. */
LB_API void lb_model_matmul_forward(float *out, const float *inp, const float *w, const float *bias,
                                    int T, int C, int OC, int w_in_out, float beta);

/* lb_model_matmul_forward with a fixed order of operations per output element: one fused
 * multiply-add chain over k in order, acc = beta != 0 ? beta * out : 0, acc = fma(inp[t][k],
 * w(k, o), acc) for k = 0 .. C-1, then out = acc (+ bias[o]). It depends only on C, never on T,
 * the row's place or the thread count, and every implementation (AVX-512, AVX2/FMA, scalar
 * fmaf) gives the same bits. Same arguments and shapes. */
LB_API void lb_model_matmul_forward_inv(float *out, const float *inp, const float *w,
                                        const float *bias, int T, int C, int OC, int w_in_out,
                                        float beta);

/* As lb_model_matmul_forward_inv with w in dtype dt (F32, F16 or BF16, widened exactly on
 * the fly while the kernel packs it; w is not modified or copied whole). */
LB_API void lb_model_matmul_inv(float *out, const float *inp, const void *w, lb_dtype_t dt,
                                const float *bias, int T, int C, int OC, int w_in_out, float beta);

/* Choose the implementation of lb_model_matmul_inv for the whole process: 0 the portable
 * scalar loop, 1 AVX2+FMA+F16C, 2 AVX-512F, -1 (or more than the CPU has) the best the CPU
 * has. Returns the level chosen. Not thread-safe: call it before any product runs. */
LB_API int lb_model_matmul_inv_select(int level);

/* The name of implementation level 0, 1 or 2 of the fixed-order kernels ("scalar", "avx2",
 * "avx512"); "?" for any other level. */
LB_API const char *lb_model_isa_name(int level);

/* The level the fixed-order kernels use (choosing the CPU's best on the first call). */
LB_API int lb_model_isa_current(void);

/* Force the fixed-order kernels onto the path named "scalar", "avx2" or "avx512" (what the
 * environment variable LEAKBOUND_ISA carries). Every path gives the same bits; forcing one is
 * for tests and for checking a result on the path another machine took. LB_EINVAL (err names
 * the allowed values) for another name or a path this CPU lacks. Not thread-safe: call it
 * before any product runs. */
LB_API int lb_model_isa_force(const char *name, lb_error_t *err);

/* c (M, N) with row stride ldc = chain(i, j) for i < M, j < N, where chain is the same fixed
 * sequence as lb_model_matmul_forward_inv's: acc = beta != 0 ? beta * c[i][j] : 0, then
 * acc = fma(A(i, k), B(k, j), acc) for k = 0 .. K-1 in order. A(i, k) = a[i * lda + k], or
 * a[k * lda + i] when a_trans; B(k, j) = b[k * ldb + j] when b_kn, else b[j * ldb + k]. The
 * bits depend only on the operands and K: never on M, N, the thread count (inside an OpenMP
 * parallel region it runs on the calling thread) or the implementation chosen by
 * lb_model_matmul_inv_select. c must not overlap a or b. */
LB_API void lb_model_gemm(float *c, int ldc, const float *a, int lda, int a_trans, const float *b,
                          int ldb, int b_kn, int M, int N, int K, float beta);

/* Rotate the first rot dims of each head in place, HF rotate_half convention (pairs i and
 * i + rot/2). x (T, n_heads, hd) with row stride ld floats; pos (T,); cos/sin (max_pos, rot/2). */
LB_API void lb_model_rope_forward(float *x, int ld, const int *pos, int T, int n_heads, int hd,
                                  int rot, const float *cos_t, const float *sin_t);

/* Queries per chunk of lb_model_causal_attention_forward's score matrix. */
#define LB_MODEL_ATT_CHUNK 64

/* Causal self-attention of one sequence whose keys and values are all at hand (training; a
 * prefill from position 0), softmax(q k^T / sqrt(hd)) v per head, grouped-query heads sharing
 * kv head h / (n_heads / n_kv_heads). Scores are two lb_model_gemm products per chunk of LB_MODEL_ATT_CHUNK
 * queries; OpenMP over heads.
 * out (T, n_heads * hd); q (T, n_heads, hd) with row stride ldq; k, v (T, n_kv_heads, hd) with
 * row stride ldkv; scratch (n_heads, LB_MODEL_ATT_CHUNK * T). */
LB_API void lb_model_causal_attention_forward(float *out, const float *q, int ldq, const float *k,
                                              const float *v, int ldkv, int T, int n_heads,
                                              int n_kv_heads, int hd, float *scratch);

/* The RoPE tables lb_model_rope_forward reads: HF's default inv_freq (with the llama3
 * rope_scaling adjustment when configured), in fp32 as HF computes it, and cos/sin of
 * position * inv_freq. cos_t, sin_t (max_pos, rotary_dim / 2). */
LB_API void lb_model_rope_tables(const lb_model_config_t *g, int max_pos, float *cos_t,
                                 float *sin_t);

/* out = silu(gate) * up. out (T, I), gate (T, I), up (T, I); out may equal gate. */
LB_API void lb_model_swiglu_forward(float *out, const float *gate, const float *up, size_t n);

/* In place: x = gelu_new(x) (tanh form) or exact gelu (erf form). x (n,). */
LB_API void lb_model_gelu_new_forward(float *x, size_t n);
/* In place: x = exact gelu(x) = x * Phi(x) (erf form). x (n,). */
LB_API void lb_model_gelu_forward(float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
