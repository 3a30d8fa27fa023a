/* config.json → lb_model_config_t, with Hugging Face's per-family defaults. */
#include "internal.h"
#include "leakbound/io.h"

#include <errno.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Allowed ranges of config values: generous beyond every published checkpoint, small enough that
 * no size computed from them overflows (the products stay below 2^31 per tensor dimension). */
#define MAX_VOCAB (1L << 24)
#define MAX_HIDDEN (1L << 16)
#define MAX_LAYERS 4096L
#define MAX_HEADS 4096L
#define MAX_INTER (1L << 20)
#define MAX_POS (1L << 21)
#define MAX_THETA 1e30

/* The families by the names users give them, in lb_arch_t order. */
static const char *const ARCH_NAMES[] = {"llama", "phi", "gpt2"};
#define N_ARCH (sizeof ARCH_NAMES / sizeof *ARCH_NAMES)

/* Hugging Face's names of each supported checkpoint: config.json's "architectures" entry, its
 * "model_type" (what older configs give alone), and the family that computes it. */
static const struct {
    const char *architecture, *model_type;
    lb_arch_t arch;
} HF_NAMES[] = {
    {"LlamaForCausalLM", "llama", LB_ARCH_LLAMA},  {"MistralForCausalLM", "mistral", LB_ARCH_LLAMA},
    {"Qwen2ForCausalLM", "qwen2", LB_ARCH_LLAMA},  {"PhiForCausalLM", "phi", LB_ARCH_PHI},
    {"GPT2LMHeadModel", "gpt2", LB_ARCH_GPT2},
};
#define N_HF (sizeof HF_NAMES / sizeof *HF_NAMES)

const char *lb_model_arch_name(lb_arch_t a) {
    return (unsigned)a < N_ARCH ? ARCH_NAMES[a] : NULL;
}

int lb_model_arch_hf_names(lb_arch_t a, const char **architecture, const char **model_type) {
    for (size_t i = 0; i < N_HF; i++) /* the family's first entry is its own checkpoint class */
        if (HF_NAMES[i].arch == a) {
            *architecture = HF_NAMES[i].architecture;
            *model_type = HF_NAMES[i].model_type;
            return 0;
        }
    return -1;
}

int lb_model_arch_parse(const char *s, lb_arch_t *out, lb_error_t *err) {
    const char *name = s ? s : "";
    char list[128] = "";
    for (size_t i = 0; i < N_ARCH; i++) {
        if (!strcmp(name, ARCH_NAMES[i])) {
            *out = (lb_arch_t)i;
            return 0;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 !i ? "" : i + 1 < N_ARCH ? ", " : " or ", ARCH_NAMES[i]);
    }
    return lb_error_set(err, LB_EINVAL, "want %s, got '%s'", list, name);
}

typedef struct {
    json_t *root;
    const char *path;
    lb_error_t *err;
} cfg_ctx_t;

#define REQUIRED LONG_MIN

#define describe lb_io_json_describe

/* Integer field in [lo, hi]: absent or null -> def (REQUIRED: an error). Every size is checked
 * here, before anything is allocated from it. */
static int get_int(cfg_ctx_t *c, const char *key, long def, long lo, long hi, int *out) {
    json_t *v = json_object_get(c->root, key);
    if (!v || json_is_null(v)) {
        if (def == REQUIRED)
            return lb_error_set(c->err, LB_EFORMAT, "%s: missing field \"%s\" (an integer in [%ld, %ld])",
                                c->path, key, lo, hi);
        *out = (int)def;
        return 0;
    }
    if (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi) {
        *out = (int)json_integer_value(v);
        return 0;
    }
    char got[80];
    describe(v, got, sizeof got);
    return lb_error_set(c->err, LB_EFORMAT, "%s: field \"%s\" must be an integer in [%ld, %ld], got %s",
                        c->path, key, lo, hi, got);
}

/* Number field in [lo, hi] ((lo, hi] when lo_open); shown names it in messages. */
static int get_num(cfg_ctx_t *c, json_t *obj, const char *key, const char *shown, double def,
                   double lo, int lo_open, double hi, double *out) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (isnan(def))
            return lb_error_set(c->err, LB_EFORMAT, "%s: missing field \"%s\" (a number in %c%.15g, %.15g])",
                                c->path, shown, lo_open ? '(' : '[', lo, hi);
        *out = def;
        return 0;
    }
    double x = json_is_number(v) ? json_number_value(v) : NAN;
    if (isfinite(x) && (lo_open ? x > lo : x >= lo) && x <= hi) {
        *out = x;
        return 0;
    }
    char got[80];
    describe(v, got, sizeof got);
    return lb_error_set(c->err, LB_EFORMAT, "%s: field \"%s\" must be a number in %c%.15g, %.15g], got %s",
                        c->path, shown, lo_open ? '(' : '[', lo, hi, got);
}

static int get_bool(cfg_ctx_t *c, const char *key, int def, int *out) {
    json_t *v = json_object_get(c->root, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (!json_is_boolean(v))
        return lb_error_set(c->err, LB_EFORMAT, "%s: field \"%s\" must be true or false",
                            c->path, key);
    *out = json_is_true(v);
    return 0;
}

/* bos/eos_token_id: absent or null (-1), an id in [0, vocab_size) or a non-empty list of them
 * (Llama-3's eos); the first is kept. */
static int get_token_id(cfg_ctx_t *c, const char *key, int vocab, int *out) {
    json_t *v = json_object_get(c->root, key);
    *out = -1;
    if (!v || json_is_null(v)) return 0;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) >= vocab) {
            char got[80];
            describe(e, got, sizeof got);
            return lb_error_set(c->err, LB_EFORMAT,
                                "%s: field \"%s\" must be a token id in [0, %d) (vocab_size) or a "
                                "list of them, got %s", c->path, key, vocab, got);
        }
        if (i == 0) *out = (int)json_integer_value(e);
    }
    if (n == 0)
        return lb_error_set(c->err, LB_EFORMAT, "%s: field \"%s\" is an empty list", c->path, key);
    return 0;
}

static int parse_act(cfg_ctx_t *c, const char *key, const char *def, lb_act_t *out) {
    json_t *v = json_object_get(c->root, key);
    const char *s = json_is_string(v) ? json_string_value(v) : def;
    if (!strcmp(s, "silu") || !strcmp(s, "swish")) *out = LB_ACT_SILU;
    else if (!strcmp(s, "gelu_new") || !strcmp(s, "gelu_pytorch_tanh") || !strcmp(s, "gelu_fast"))
        *out = LB_ACT_GELU_NEW;
    else if (!strcmp(s, "gelu")) *out = LB_ACT_GELU;
    else
        return lb_error_set(c->err, LB_EUNSUPPORTED, "%s: unsupported %s \"%s\"", c->path, key,
                            s);
    return 0;
}

/* rope_scaling: null, {"rope_type"|"type": "default"} or "llama3". */
static int parse_rope_scaling(cfg_ctx_t *c, lb_model_config_t *cfg) {
    json_t *rs = json_object_get(c->root, "rope_scaling");
    if (!rs || json_is_null(rs)) return 0;
    if (!json_is_object(rs))
        return lb_error_set(c->err, LB_EFORMAT, "%s: rope_scaling must be an object", c->path);
    json_t *t = json_object_get(rs, "rope_type");
    if (!json_is_string(t)) t = json_object_get(rs, "type");
    const char *type = json_is_string(t) ? json_string_value(t) : "default";
    if (!strcmp(type, "default")) return 0;
    if (strcmp(type, "llama3"))
        return lb_error_set(c->err, LB_EUNSUPPORTED, "%s: unsupported rope_scaling type \"%s\"",
                            c->path, type);
    double opm;
    int rc;
    cfg->rope_llama3 = 1;
    /* closed below at 1e-6: a denormal factor (1e-320) passed "> 0" and its reciprocal made the
     * rotary angles inf, NaN logits (found by tests/fuzz) */
    if ((rc = get_num(c, rs, "factor", "rope_scaling.factor", NAN, 1e-6, 0, 1e6, &cfg->rope_factor)) ||
        (rc = get_num(c, rs, "low_freq_factor", "rope_scaling.low_freq_factor", NAN, 1e-6, 0, 1e6,
                      &cfg->rope_low_freq_factor)) ||
        (rc = get_num(c, rs, "high_freq_factor", "rope_scaling.high_freq_factor", NAN, 1e-6, 0, 1e6,
                      &cfg->rope_high_freq_factor)) ||
        (rc = get_num(c, rs, "original_max_position_embeddings",
                      "rope_scaling.original_max_position_embeddings", NAN, 1, 0, (double)MAX_POS, &opm)))
        return rc;
    if (cfg->rope_high_freq_factor <= cfg->rope_low_freq_factor)
        return lb_error_set(c->err, LB_EFORMAT, "%s: inconsistent llama3 rope_scaling: "
                            "high_freq_factor must be above low_freq_factor", c->path);
    cfg->rope_original_max_pos = (int)opm;
    return 0;
}

static int parse_llama(cfg_ctx_t *c, lb_model_config_t *cfg) {
    int rc, attn_bias = 0, qwen2 = !strcmp(cfg->model_type, "qwen2");
    double eps = 0, theta = 0;
    if ((rc = get_int(c, "vocab_size", REQUIRED, 1, MAX_VOCAB, &cfg->vocab_size)) ||
        (rc = get_int(c, "hidden_size", REQUIRED, 1, MAX_HIDDEN, &cfg->hidden_size)) ||
        (rc = get_int(c, "num_hidden_layers", REQUIRED, 1, MAX_LAYERS, &cfg->n_layers)) ||
        (rc = get_int(c, "num_attention_heads", REQUIRED, 1, MAX_HEADS, &cfg->n_heads)) ||
        (rc = get_int(c, "num_key_value_heads", 0, 1, MAX_HEADS, &cfg->n_kv_heads)) ||
        (rc = get_int(c, "head_dim", 0, 1, MAX_HIDDEN, &cfg->head_dim)) ||
        (rc = get_int(c, "intermediate_size", REQUIRED, 1, MAX_INTER, &cfg->intermediate_size)) ||
        (rc = get_int(c, "max_position_embeddings", 2048, 1, MAX_POS, &cfg->max_position_embeddings)) ||
        (rc = get_num(c, c->root, "rms_norm_eps", "rms_norm_eps", 1e-6, 0, 0, 1, &eps)) ||
        (rc = get_num(c, c->root, "rope_theta", "rope_theta", 10000.0, 1, 0, MAX_THETA, &theta)) ||
        (rc = get_bool(c, "attention_bias", 0, &attn_bias)) ||
        (rc = get_bool(c, "mlp_bias", 0, &cfg->mlp_bias)) ||
        (rc = get_bool(c, "tie_word_embeddings", 0, &cfg->tie_word_embeddings)) ||
        (rc = parse_act(c, "hidden_act", "silu", &cfg->act)) || (rc = parse_rope_scaling(c, cfg)))
        return rc;
    if (cfg->act != LB_ACT_SILU)
        return lb_error_set(c->err, LB_EUNSUPPORTED, "%s: hidden_act must be silu for %s",
                            c->path, cfg->architecture);
    if (cfg->n_kv_heads == 0) cfg->n_kv_heads = cfg->n_heads;
    if (cfg->head_dim == 0 && cfg->n_heads > 0) cfg->head_dim = cfg->hidden_size / cfg->n_heads;
    cfg->norm_eps = (float)eps;
    cfg->rope_theta = theta;
    cfg->rotary_dim = cfg->head_dim;
    /* Qwen2 has q/k/v biases and none on o_proj; Llama's attention_bias covers all four. */
    cfg->qkv_bias = qwen2 ? 1 : attn_bias;
    cfg->o_bias = qwen2 ? 0 : attn_bias;
    /* Sliding windows apply only where the family's config turns them on. */
    int use_sw = !strcmp(cfg->model_type, "mistral");
    if (qwen2 && (rc = get_bool(c, "use_sliding_window", 0, &use_sw))) return rc;
    if (use_sw && (rc = get_int(c, "sliding_window", 0, 0, MAX_POS, &cfg->sliding_window))) return rc;
    if (!use_sw) cfg->sliding_window = 0;
    if (qwen2 && cfg->sliding_window) {
        int mwl;
        if ((rc = get_int(c, "max_window_layers", 0, 0, MAX_LAYERS, &mwl))) return rc;
        if (mwl < cfg->n_layers)
            return lb_error_set(c->err, LB_EUNSUPPORTED,
                                "%s: per-layer sliding windows (max_window_layers) unsupported",
                                c->path);
        cfg->sliding_window = 0;
    }
    return 0;
}

static int parse_phi(cfg_ctx_t *c, lb_model_config_t *cfg) {
    int rc, qk_ln = 0;
    double eps = 0, theta = 0, prf = 0;
    if ((rc = get_int(c, "vocab_size", REQUIRED, 1, MAX_VOCAB, &cfg->vocab_size)) ||
        (rc = get_int(c, "hidden_size", REQUIRED, 1, MAX_HIDDEN, &cfg->hidden_size)) ||
        (rc = get_int(c, "num_hidden_layers", REQUIRED, 1, MAX_LAYERS, &cfg->n_layers)) ||
        (rc = get_int(c, "num_attention_heads", REQUIRED, 1, MAX_HEADS, &cfg->n_heads)) ||
        (rc = get_int(c, "num_key_value_heads", 0, 1, MAX_HEADS, &cfg->n_kv_heads)) ||
        (rc = get_int(c, "intermediate_size", REQUIRED, 1, MAX_INTER, &cfg->intermediate_size)) ||
        (rc = get_int(c, "max_position_embeddings", 2048, 1, MAX_POS, &cfg->max_position_embeddings)) ||
        (rc = get_num(c, c->root, "layer_norm_eps", "layer_norm_eps", 1e-5, 0, 0, 1, &eps)) ||
        (rc = get_num(c, c->root, "rope_theta", "rope_theta", 10000.0, 1, 0, MAX_THETA, &theta)) ||
        (rc = get_num(c, c->root, "partial_rotary_factor", "partial_rotary_factor", 0.5, 0, 1, 1, &prf)) ||
        (rc = get_bool(c, "qk_layernorm", 0, &qk_ln)) ||
        (rc = get_bool(c, "tie_word_embeddings", 0, &cfg->tie_word_embeddings)) ||
        (rc = parse_act(c, "hidden_act", "gelu_new", &cfg->act)) ||
        (rc = parse_rope_scaling(c, cfg)))
        return rc;
    if (qk_ln)
        return lb_error_set(c->err, LB_EUNSUPPORTED, "%s: qk_layernorm is unsupported", c->path);
    if (cfg->n_kv_heads == 0) cfg->n_kv_heads = cfg->n_heads;  /* phi-1.5 writes null */
    if (cfg->n_heads > 0) cfg->head_dim = cfg->hidden_size / cfg->n_heads;
    cfg->norm_eps = (float)eps;
    cfg->rope_theta = theta;
    cfg->rotary_dim = (int)(prf * cfg->head_dim);   /* int() truncation, as HF */
    if (prf <= 0 || prf > 1 || cfg->rotary_dim % 2)
        return lb_error_set(c->err, LB_EFORMAT,
                            "%s: partial_rotary_factor %g gives an odd or empty rotary dim",
                            c->path, prf);
    cfg->qkv_bias = cfg->o_bias = cfg->mlp_bias = cfg->lm_head_bias = 1;
    return 0;
}

static int parse_gpt2(cfg_ctx_t *c, lb_model_config_t *cfg) {
    int rc, inner = 0, by_layer = 0, upcast = 0, scale = 1;
    double eps = 0;
    if ((rc = get_int(c, "vocab_size", 50257, 1, MAX_VOCAB, &cfg->vocab_size)) ||
        (rc = get_int(c, "n_embd", 768, 1, MAX_HIDDEN, &cfg->hidden_size)) ||
        (rc = get_int(c, "n_layer", 12, 1, MAX_LAYERS, &cfg->n_layers)) ||
        (rc = get_int(c, "n_head", 12, 1, MAX_HEADS, &cfg->n_heads)) ||
        (rc = get_int(c, "n_inner", 0, 1, MAX_INTER, &inner)) ||
        (rc = get_int(c, "n_positions", 1024, 1, MAX_POS, &cfg->max_position_embeddings)) ||
        (rc = get_num(c, c->root, "layer_norm_epsilon", "layer_norm_epsilon", 1e-5, 0, 0, 1, &eps)) ||
        (rc = get_bool(c, "scale_attn_weights", 1, &scale)) ||
        (rc = get_bool(c, "scale_attn_by_inverse_layer_idx", 0, &by_layer)) ||
        (rc = get_bool(c, "reorder_and_upcast_attn", 0, &upcast)) ||
        (rc = get_bool(c, "tie_word_embeddings", 1, &cfg->tie_word_embeddings)) ||
        (rc = parse_act(c, "activation_function", "gelu_new", &cfg->act)))
        return rc;
    if (!scale || by_layer)
        return lb_error_set(c->err, LB_EUNSUPPORTED,
                            "%s: only scale_attn_weights=true without per-layer scaling is "
                            "supported", c->path);
    (void)upcast;   /* only changes the precision of fp16 runs; we compute in fp32 */
    if (cfg->act == LB_ACT_SILU)
        return lb_error_set(c->err, LB_EUNSUPPORTED, "%s: GPT-2 with silu is unsupported",
                            c->path);
    cfg->n_kv_heads = cfg->n_heads;
    if (cfg->n_heads > 0) cfg->head_dim = cfg->hidden_size / cfg->n_heads;
    cfg->intermediate_size = inner > 0 ? inner : 4 * cfg->hidden_size;
    cfg->norm_eps = (float)eps;
    cfg->qkv_bias = cfg->o_bias = cfg->mlp_bias = 1;
    return 0;
}

static int check_sizes(cfg_ctx_t *c, lb_model_config_t *cfg) {
    const char *bad = NULL;
    if (cfg->vocab_size <= 0) bad = "vocab_size must be positive";
    else if (cfg->hidden_size <= 0) bad = "hidden size must be positive";
    else if (cfg->n_layers <= 0) bad = "number of layers must be positive";
    else if (cfg->n_heads <= 0 || cfg->n_kv_heads <= 0) bad = "head counts must be positive";
    else if (cfg->n_heads % cfg->n_kv_heads) bad = "num_attention_heads must be a multiple of "
                                                   "num_key_value_heads";
    else if (cfg->head_dim <= 0 || (cfg->arch != LB_ARCH_LLAMA &&
                                    cfg->head_dim * cfg->n_heads != cfg->hidden_size))
        bad = "hidden size must be a multiple of the number of heads";
    else if (cfg->rotary_dim % 2 || cfg->rotary_dim > cfg->head_dim) bad = "bad rotary dim";
    else if (cfg->intermediate_size <= 0) bad = "intermediate size must be positive";
    else if (cfg->max_position_embeddings <= 0) bad = "max_position_embeddings must be positive";
    else if (cfg->norm_eps < 0) bad = "norm epsilon must not be negative";
    if (bad) return lb_error_set(c->err, LB_EFORMAT, "%s: %s", c->path, bad);
    return 0;
}

/* The message for a config.json that cannot be read: which of the folder and the file is missing
 * (or why it cannot be read), and what a model folder holds. */
static int missing_config(const char *dir, const char *path, lb_error_t *err);

int lb_model_check_folder(const char *dir, lb_error_t *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    struct stat st;
    if (!stat(path, &st) && S_ISREG(st.st_mode) && !access(path, R_OK)) return LB_OK;
    return missing_config(dir, path, err);
}

static int missing_config(const char *dir, const char *path, lb_error_t *err) {
    static const char holds[] = "a model folder holds config.json (the architecture), the weights "
                                "(model.safetensors, or model.safetensors.index.json and its shards) "
                                "and tokenizer.json (or give --tokenizer FILE|DIR)";
    struct stat st;
    if (stat(dir, &st)) return lb_error_set(err, LB_EIO, "%s: no such model folder (%s); %s", dir,
                                            strerror(errno), holds);
    if (!S_ISDIR(st.st_mode))
        return lb_error_set(err, LB_EIO, "%s: not a folder; %s", dir, holds);
    int e = access(path, F_OK) ? errno : 0;
    if (e == ENOENT)
        return lb_error_set(err, LB_EIO, "%s: missing: this folder has no config.json; %s", path, holds);
    return lb_error_set(err, LB_EIO, "%s: cannot open: %s", path, e ? strerror(e) : "cannot be read");
}

int lbi_model_parse_config(const char *dir, lb_model_config_t *cfg, lb_error_t *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    memset(cfg, 0, sizeof *cfg);
    json_error_t jerr;
    int cannot_open;
    json_t *root = lb_io_json_load_file(path, 0, &jerr, &cannot_open);
    if (!root) {
        if (cannot_open) return missing_config(dir, path, err);
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                            jerr.text);
    }
    cfg_ctx_t c = {root, path, err};
    int rc = 0;
    if (!json_is_object(root)) {
        rc = lb_error_set(err, LB_EFORMAT, "%s: not a JSON object", path);
        goto done;
    }
    json_t *archs = json_object_get(root, "architectures");
    json_t *mt = json_object_get(root, "model_type");
    const char *arch = json_is_array(archs) && json_is_string(json_array_get(archs, 0))
                           ? json_string_value(json_array_get(archs, 0)) : NULL;
    const char *type = json_is_string(mt) ? json_string_value(mt) : "";
    size_t h = N_HF;
    if (!arch) {  /* older configs name only the model type */
        for (h = 0; h < N_HF && strcmp(type, HF_NAMES[h].model_type); h++) continue;
        if (h == N_HF) {
            rc = lb_error_set(err, LB_EFORMAT, "%s: no \"architectures\" or known model_type",
                              path);
            goto done;
        }
        arch = HF_NAMES[h].architecture;
    }
    snprintf(cfg->architecture, sizeof cfg->architecture, "%s", arch);
    for (h = 0; h < N_HF && strcmp(arch, HF_NAMES[h].architecture); h++) continue;
    if (h == N_HF) {
        rc = lb_error_set(err, LB_EUNSUPPORTED, "%s: unsupported architecture \"%s\"", path,
                          arch);
        goto done;
    }
    snprintf(cfg->model_type, sizeof cfg->model_type, "%s", HF_NAMES[h].model_type);
    cfg->arch = HF_NAMES[h].arch;
    if (cfg->arch == LB_ARCH_PHI) rc = parse_phi(&c, cfg);
    else if (cfg->arch == LB_ARCH_GPT2) rc = parse_gpt2(&c, cfg);
    else rc = parse_llama(&c, cfg);
    if (!rc) rc = check_sizes(&c, cfg);
    if (!rc) rc = get_token_id(&c, "bos_token_id", cfg->vocab_size, &cfg->bos_token_id);
    if (!rc) rc = get_token_id(&c, "eos_token_id", cfg->vocab_size, &cfg->eos_token_id);
done:
    json_decref(root);
    return rc;
}
