/*
 * leakbound/model_layout.h — where a loaded model keeps its weights, and the one table per
 * model family that names them. For the modules that compute with or update the weights
 * themselves (train); everything else uses the opaque lb_model_t of model.h.
 *
 * Contract
 * - Each family (lb_arch_t) has one table of lb_model_tensor_spec_t, in checkpoint order: the
 *   Hugging Face name pattern ("%d" = the layer index), the slot of its lb_weight_t (offsetof
 *   in lb_layer_t for per-layer tensors, in struct lb_model otherwise), the shape rule (rows
 *   and columns as symbols of the config; a vector has cols LB_DIM_NONE), when the tensor is
 *   present (a config flag), how a fresh checkpoint initialises it, and whether training
 *   updates it. Loading (src/model/load.c) binds exactly these tensors, `init` writes them and
 *   the trainer lists them, all by walking the table with lb_model_tensors: adding a family
 *   means adding a table (and its forward quirks in forward.c).
 * - GPT-2 names carry the prefix "transformer."; a checkpoint saved from GPT2Model lacks it,
 *   and the loader accepts that (lb_model_family_t.optional_prefix).
 * - The layout is read-only for everyone but the model module, except the values of the
 *   fp32 weights, which a trainer updates in place (model.h: weights widened to fp32).
 */
#ifndef LEAKBOUND_MODEL_LAYOUT_H
#define LEAKBOUND_MODEL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"
#include "leakbound/model.h"
#include "leakbound/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A weight matrix or vector. Either f32 (owned by the model's parameter buffer) or, when the
 * model keeps the file dtype, only src: the GEMM reads src->data in place (F32, F16, BF16).
 * rows × cols as stored in the file (a vector: cols 1). */
typedef struct lb_weight {
    const lb_st_tensor_t *src;
    float *f32;     /* (rows, cols) or NULL */
    int rows, cols;
} lb_weight_t;

/* One layer's weights; the family tables say which HF tensor fills each slot. */
typedef struct lb_layer {
    lb_weight_t ln1_w, ln1_b;          /* norm before attention */
    lb_weight_t ln2_w, ln2_b;          /* norm before the MLP (not Phi: parallel block) */
    /* Llama/Phi: q, k, v separate (nn.Linear, (out, in)). GPT-2: qkv fused in q (Conv1D). */
    lb_weight_t q_w, q_b, k_w, k_b, v_w, v_b;
    lb_weight_t o_w, o_b;              /* attention output projection */
    lb_weight_t up_w, up_b;            /* the MLP's first matrix (Llama: the up half) */
    lb_weight_t gate_w, gate_b;        /* the MLP's gate (Llama only) */
    lb_weight_t down_w, down_b;        /* the MLP's last matrix */
} lb_layer_t;

struct lb_model {
    lb_model_config_t cfg;
    char *dir;
    lb_st_t *st;              /* kept open only with keep_file_dtype */
    int keep_file_dtype;
    float *params;            /* every widened parameter, one buffer */
    size_t n_params;          /* floats in params */
    size_t param_count;       /* distinct parameters of the model */
    lb_dtype_t file_dtype;
    size_t max_matrix;        /* largest matrix (elements) */
    size_t mapped_bytes;      /* bytes of the matrices used in place from the mapping */
    lb_weight_t wte;          /* (V, D) */
    lb_weight_t wpe;          /* (P, D), GPT-2 */
    lb_weight_t lnf_w, lnf_b; /* final norm */
    lb_weight_t head_w;       /* (V, D): lm_head or the tied embedding */
    lb_weight_t head_b;       /* (V,), Phi */
    lb_layer_t *layers;       /* (L,) */
};

/* Elementwise loops smaller than this many elements run on one thread: waking the team costs
 * more than the loop (a decode step's rows). */
#define LB_PAR_MIN 65536

/* Shape symbols, resolved against a config by lb_model_dim. */
typedef enum {
    LB_DIM_NONE,   /* no second dimension: a vector */
    LB_DIM_V,      /* vocab_size */
    LB_DIM_D,      /* hidden_size */
    LB_DIM_3D,     /* 3 * hidden_size (GPT-2's fused q, k, v) */
    LB_DIM_I,      /* intermediate_size */
    LB_DIM_P,      /* max_position_embeddings */
    LB_DIM_Q,      /* n_heads * head_dim */
    LB_DIM_KV      /* n_kv_heads * head_dim */
} lb_dim_t;

/* When a tensor is present, given the config. */
typedef enum {
    LB_WHEN_ALWAYS,
    LB_WHEN_QKV_BIAS,   /* cfg.qkv_bias */
    LB_WHEN_O_BIAS,     /* cfg.o_bias */
    LB_WHEN_MLP_BIAS,   /* cfg.mlp_bias */
    LB_WHEN_UNTIED      /* !cfg.tie_word_embeddings (the head is the embedding otherwise) */
} lb_when_t;

/* How `init` fills the tensor in a fresh checkpoint (HF's _init_weights). */
typedef enum {
    LB_INIT_NORMAL,   /* N(0, 0.02) */
    LB_INIT_ONES,     /* norm weights */
    LB_INIT_ZEROS     /* biases */
} lb_init_t;

/* Where a tensor of the table sits. */
enum { LB_AT_MODEL, LB_AT_LAYER };

typedef struct lb_model_tensor_spec {
    const char *pattern;     /* HF name; per-layer patterns hold one "%d" */
    int at;                  /* LB_AT_LAYER: slot in lb_layer_t, else in struct lb_model */
    size_t slot;             /* offsetof(..., the lb_weight_t) */
    lb_dim_t rows, cols;     /* shape as stored in the file (Conv1D: (in, out)) */
    lb_when_t when;
    lb_init_t init;
    int trained;             /* the trainer updates it */
} lb_model_tensor_spec_t;

typedef struct lb_model_family {
    lb_arch_t arch;
    const char *optional_prefix;   /* names may lack it in a file ("transformer.") or NULL */
    /* The table in checkpoint order: model-level entries before the layers, one run of
     * per-layer entries (repeated for each layer), model-level entries after them. */
    const lb_model_tensor_spec_t *specs;
    int n_specs;
} lb_model_family_t;

/* The table of family arch (never NULL for a valid lb_arch_t; NULL otherwise). */
LB_API const lb_model_family_t *lb_model_family(lb_arch_t arch);

/* Size of symbol d under config g (0 for LB_DIM_NONE). */
LB_API int lb_model_dim(const lb_model_config_t *g, lb_dim_t d);

/* Whether a tensor with rule `when` is present under config g. */
LB_API int lb_model_tensor_present(const lb_model_config_t *g, lb_when_t when);

/* One tensor of a model with config g, resolved from its family's table. */
typedef struct lb_model_tensor {
    char name[96];                        /* full HF name (optional prefix included) */
    const lb_model_tensor_spec_t *spec;
    int layer;                            /* layer index, or -1 */
    int rows, cols;                       /* cols 0: a vector */
} lb_model_tensor_t;

/* The tensors present under config g (g->arch's table), in checkpoint order: layer after
 * layer between the model-level ones. Fills out[0 .. n) when out is not NULL (room for
 * lb_model_tensors(g, NULL) entries) and returns n (a negative LB_EINVAL for an unknown
 * arch). No allocation. */
LB_API int lb_model_tensors(const lb_model_config_t *g, lb_model_tensor_t *out);

/* The weight slot of tensor t in m (m's layers must exist). */
LB_API lb_weight_t *lb_model_tensor_slot(lb_model_t *m, const lb_model_tensor_t *t);

#ifdef __cplusplus
}
#endif
#endif
