/* The tensor table of each model family (model_layout.h): the only place that names the
 * Hugging Face tensors. Loading, `init` and the trainer's parameter list all walk it. */
#include "internal.h"

#include <stdio.h>

#define M_(f) LB_AT_MODEL, offsetof(struct lb_model, f)
#define L_(f) LB_AT_LAYER, offsetof(lb_layer_t, f)

/* LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM (modeling_llama.py). */
static const lb_model_tensor_spec_t LLAMA[] = {
    {"model.embed_tokens.weight", M_(wte), LB_DIM_V, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.input_layernorm.weight", L_(ln1_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"model.layers.%d.post_attention_layernorm.weight", L_(ln2_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"model.layers.%d.self_attn.q_proj.weight", L_(q_w), LB_DIM_Q, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.q_proj.bias", L_(q_b), LB_DIM_Q, LB_DIM_NONE, LB_WHEN_QKV_BIAS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.self_attn.k_proj.weight", L_(k_w), LB_DIM_KV, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.k_proj.bias", L_(k_b), LB_DIM_KV, LB_DIM_NONE, LB_WHEN_QKV_BIAS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.self_attn.v_proj.weight", L_(v_w), LB_DIM_KV, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.v_proj.bias", L_(v_b), LB_DIM_KV, LB_DIM_NONE, LB_WHEN_QKV_BIAS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.self_attn.o_proj.weight", L_(o_w), LB_DIM_D, LB_DIM_Q, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.o_proj.bias", L_(o_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_O_BIAS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.mlp.gate_proj.weight", L_(gate_w), LB_DIM_I, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.mlp.gate_proj.bias", L_(gate_b), LB_DIM_I, LB_DIM_NONE, LB_WHEN_MLP_BIAS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.mlp.up_proj.weight", L_(up_w), LB_DIM_I, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.mlp.up_proj.bias", L_(up_b), LB_DIM_I, LB_DIM_NONE, LB_WHEN_MLP_BIAS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.mlp.down_proj.weight", L_(down_w), LB_DIM_D, LB_DIM_I, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.mlp.down_proj.bias", L_(down_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_MLP_BIAS, LB_INIT_ZEROS, 1},
    {"model.norm.weight", M_(lnf_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"lm_head.weight", M_(head_w), LB_DIM_V, LB_DIM_D, LB_WHEN_UNTIED, LB_INIT_NORMAL, 1},
};

/* PhiForCausalLM (modeling_phi.py): one LayerNorm per layer (parallel attention and MLP). */
static const lb_model_tensor_spec_t PHI[] = {
    {"model.embed_tokens.weight", M_(wte), LB_DIM_V, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.input_layernorm.weight", L_(ln1_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"model.layers.%d.input_layernorm.bias", L_(ln1_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.self_attn.q_proj.weight", L_(q_w), LB_DIM_Q, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.q_proj.bias", L_(q_b), LB_DIM_Q, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.self_attn.k_proj.weight", L_(k_w), LB_DIM_KV, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.k_proj.bias", L_(k_b), LB_DIM_KV, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.self_attn.v_proj.weight", L_(v_w), LB_DIM_KV, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.v_proj.bias", L_(v_b), LB_DIM_KV, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.self_attn.dense.weight", L_(o_w), LB_DIM_D, LB_DIM_Q, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.self_attn.dense.bias", L_(o_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.mlp.fc1.weight", L_(up_w), LB_DIM_I, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.mlp.fc1.bias", L_(up_b), LB_DIM_I, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"model.layers.%d.mlp.fc2.weight", L_(down_w), LB_DIM_D, LB_DIM_I, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"model.layers.%d.mlp.fc2.bias", L_(down_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"model.final_layernorm.weight", M_(lnf_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"model.final_layernorm.bias", M_(lnf_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"lm_head.weight", M_(head_w), LB_DIM_V, LB_DIM_D, LB_WHEN_UNTIED, LB_INIT_NORMAL, 1},
    {"lm_head.bias", M_(head_b), LB_DIM_V, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
};

/* GPT2LMHeadModel (modeling_gpt2.py): Conv1D weights are stored (in, out); q, k, v fused. */
static const lb_model_tensor_spec_t GPT2[] = {
    {"transformer.wte.weight", M_(wte), LB_DIM_V, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"transformer.wpe.weight", M_(wpe), LB_DIM_P, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"transformer.h.%d.ln_1.weight", L_(ln1_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"transformer.h.%d.ln_1.bias", L_(ln1_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"transformer.h.%d.attn.c_attn.weight", L_(q_w), LB_DIM_D, LB_DIM_3D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"transformer.h.%d.attn.c_attn.bias", L_(q_b), LB_DIM_3D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"transformer.h.%d.attn.c_proj.weight", L_(o_w), LB_DIM_D, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"transformer.h.%d.attn.c_proj.bias", L_(o_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"transformer.h.%d.ln_2.weight", L_(ln2_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"transformer.h.%d.ln_2.bias", L_(ln2_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"transformer.h.%d.mlp.c_fc.weight", L_(up_w), LB_DIM_D, LB_DIM_I, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"transformer.h.%d.mlp.c_fc.bias", L_(up_b), LB_DIM_I, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"transformer.h.%d.mlp.c_proj.weight", L_(down_w), LB_DIM_I, LB_DIM_D, LB_WHEN_ALWAYS, LB_INIT_NORMAL, 1},
    {"transformer.h.%d.mlp.c_proj.bias", L_(down_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"transformer.ln_f.weight", M_(lnf_w), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ONES, 1},
    {"transformer.ln_f.bias", M_(lnf_b), LB_DIM_D, LB_DIM_NONE, LB_WHEN_ALWAYS, LB_INIT_ZEROS, 1},
    {"lm_head.weight", M_(head_w), LB_DIM_V, LB_DIM_D, LB_WHEN_UNTIED, LB_INIT_NORMAL, 1},
};

#undef M_
#undef L_

#define N_(t) (int)(sizeof t / sizeof *t)
static const lb_model_family_t FAMILIES[] = {
    {LB_ARCH_LLAMA, NULL, LLAMA, N_(LLAMA)},
    {LB_ARCH_PHI, NULL, PHI, N_(PHI)},
    {LB_ARCH_GPT2, "transformer.", GPT2, N_(GPT2)},
};
#undef N_

const lb_model_family_t *lb_model_family(lb_arch_t arch) {
    for (size_t i = 0; i < sizeof FAMILIES / sizeof *FAMILIES; i++)
        if (FAMILIES[i].arch == arch) return &FAMILIES[i];
    return NULL;
}

int lb_model_dim(const lb_model_config_t *g, lb_dim_t d) {
    switch (d) {
    case LB_DIM_NONE: return 0;
    case LB_DIM_V: return g->vocab_size;
    case LB_DIM_D: return g->hidden_size;
    case LB_DIM_3D: return 3 * g->hidden_size;
    case LB_DIM_I: return g->intermediate_size;
    case LB_DIM_P: return g->max_position_embeddings;
    case LB_DIM_Q: return g->n_heads * g->head_dim;
    case LB_DIM_KV: return g->n_kv_heads * g->head_dim;
    }
    return 0;
}

int lb_model_tensor_present(const lb_model_config_t *g, lb_when_t when) {
    switch (when) {
    case LB_WHEN_ALWAYS: return 1;
    case LB_WHEN_QKV_BIAS: return g->qkv_bias;
    case LB_WHEN_O_BIAS: return g->o_bias;
    case LB_WHEN_MLP_BIAS: return g->mlp_bias;
    case LB_WHEN_UNTIED: return !g->tie_word_embeddings;
    }
    return 0;
}

static int add(const lb_model_config_t *g, const lb_model_tensor_spec_t *s, int layer,
               lb_model_tensor_t *out, int n) {
    if (!lb_model_tensor_present(g, s->when)) return n;
    if (out) {
        lb_model_tensor_t *t = &out[n];
        if (s->at == LB_AT_LAYER) snprintf(t->name, sizeof t->name, s->pattern, layer);
        else snprintf(t->name, sizeof t->name, "%s", s->pattern);
        t->spec = s;
        t->layer = s->at == LB_AT_LAYER ? layer : -1;
        t->rows = lb_model_dim(g, s->rows);
        t->cols = lb_model_dim(g, s->cols);
    }
    return n + 1;
}

int lb_model_tensors(const lb_model_config_t *g, lb_model_tensor_t *out) {
    const lb_model_family_t *f = lb_model_family(g->arch);
    if (!f) return LB_EINVAL;
    int n = 0, i = 0;
    while (i < f->n_specs) {
        if (f->specs[i].at != LB_AT_LAYER) {
            n = add(g, &f->specs[i++], -1, out, n);
            continue;
        }
        int end = i;   /* the run of per-layer entries, repeated for each layer */
        while (end < f->n_specs && f->specs[end].at == LB_AT_LAYER) end++;
        for (int l = 0; l < g->n_layers; l++)
            for (int k = i; k < end; k++) n = add(g, &f->specs[k], l, out, n);
        i = end;
    }
    return n;
}

lb_weight_t *lb_model_tensor_slot(lb_model_t *m, const lb_model_tensor_t *t) {
    char *base = t->spec->at == LB_AT_LAYER ? (char *)&m->layers[t->layer] : (char *)m;
    return (lb_weight_t *)(base + t->spec->slot);
}
