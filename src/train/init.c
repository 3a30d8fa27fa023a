/* Fresh random models in Hugging Face layout, for training from scratch. */
#include "train_internal.h"
#include "leakbound/io.h"
#include "leakbound/safetensors.h"
#include "leakbound/train_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int lb_model_size_parse(const char *spec, lb_arch_t arch, lb_model_size_t *out,
                        lb_error_t *err) {
    lb_model_size_t z = {2, 64, 4, 0, 0, 256};
    const char *p = spec;
    while (*p) {
        char key[4] = {0};
        int k = 0;
        while (*p >= 'A' && *p <= 'Z' && k < 3) key[k++] = *p++;
        char *end;
        long v = strtol(p, &end, 10);
        if (!k || end == p || v < 1 || v > 1 << 20 || (*end && *end != '-'))
            return lb_error_set(err, LB_EINVAL,
                                "size \"%s\": expected fields like L4-D128-H4-KV2-I512-T256", spec);
        if (!strcmp(key, "L")) z.layers = (int)v;
        else if (!strcmp(key, "D")) z.hidden = (int)v;
        else if (!strcmp(key, "H")) z.heads = (int)v;
        else if (!strcmp(key, "KV")) z.kv_heads = (int)v;
        else if (!strcmp(key, "I")) z.inter = (int)v;
        else if (!strcmp(key, "T")) z.max_pos = (int)v;
        else return lb_error_set(err, LB_EINVAL, "size \"%s\": unknown field %s", spec, key);
        p = *end ? end + 1 : end;
    }
    if (!z.kv_heads) z.kv_heads = z.heads;
    if (!z.inter)
        z.inter = arch == LB_ARCH_LLAMA ? (8 * z.hidden / 3 + 7) / 8 * 8 : 4 * z.hidden;
    if (z.hidden % z.heads || z.heads % z.kv_heads)
        return lb_error_set(err, LB_EINVAL,
                            "size \"%s\": heads must divide the hidden size and kv heads the "
                            "heads", spec);
    if (arch == LB_ARCH_GPT2 && z.kv_heads != z.heads)
        return lb_error_set(err, LB_EINVAL, "size \"%s\": GPT-2 has no grouped-query heads",
                            spec);
    if (arch == LB_ARCH_PHI && (z.hidden / z.heads) % 4)
        return lb_error_set(err, LB_EINVAL, "size \"%s\": Phi's head size must be a multiple "
                                            "of 4 (half of it rotates, in pairs)", spec);
    *out = z;
    return 0;
}

static int write_config(lb_arch_t a, const lb_model_size_t *z, int V, int bos, int eos,
                        const char *path, lb_error_t *err) {
    const char *arch_name = NULL, *model_type = NULL;
    if (lb_model_arch_hf_names(a, &arch_name, &model_type))
        return lb_error_set(err, LB_EINVAL, "%s: no such model family (%d)", path, (int)a);
    lb_atomic_file_t f;
    int rc = lb_atomic_open(&f, path, err);
    if (rc) return rc;
    FILE *o = f.fp;
    fprintf(o, "{\n  \"architectures\": [\"%s\"],\n  \"model_type\": \"%s\",\n", arch_name,
            model_type);
    if (a == LB_ARCH_GPT2)
        fprintf(o, "  \"vocab_size\": %d,\n  \"n_embd\": %d,\n  \"n_layer\": %d,\n"
                   "  \"n_head\": %d,\n  \"n_inner\": %d,\n  \"n_positions\": %d,\n"
                   "  \"n_ctx\": %d,\n  \"activation_function\": \"gelu_new\",\n"
                   "  \"layer_norm_epsilon\": 1e-05,\n  \"initializer_range\": 0.02,\n"
                   "  \"tie_word_embeddings\": true,\n",
                V, z->hidden, z->layers, z->heads, z->inter, z->max_pos, z->max_pos);
    else if (a == LB_ARCH_PHI)
        fprintf(o, "  \"vocab_size\": %d,\n  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n"
                   "  \"num_attention_heads\": %d,\n  \"num_key_value_heads\": %d,\n"
                   "  \"intermediate_size\": %d,\n  \"max_position_embeddings\": %d,\n"
                   "  \"hidden_act\": \"gelu_new\",\n  \"layer_norm_eps\": 1e-05,\n"
                   "  \"partial_rotary_factor\": 0.5,\n  \"rope_theta\": 10000.0,\n"
                   "  \"qk_layernorm\": false,\n  \"initializer_range\": 0.02,\n"
                   "  \"tie_word_embeddings\": false,\n",
                V, z->hidden, z->layers, z->heads, z->kv_heads, z->inter, z->max_pos);
    else
        fprintf(o, "  \"vocab_size\": %d,\n  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n"
                   "  \"num_attention_heads\": %d,\n  \"num_key_value_heads\": %d,\n"
                   "  \"intermediate_size\": %d,\n  \"max_position_embeddings\": %d,\n"
                   "  \"hidden_act\": \"silu\",\n  \"rms_norm_eps\": 1e-05,\n"
                   "  \"rope_theta\": 10000.0,\n  \"attention_bias\": false,\n"
                   "  \"mlp_bias\": false,\n  \"initializer_range\": 0.02,\n"
                   "  \"tie_word_embeddings\": false,\n",
                V, z->hidden, z->layers, z->heads, z->kv_heads, z->inter, z->max_pos);
    if (bos >= 0) fprintf(o, "  \"bos_token_id\": %d,\n", bos);
    if (eos >= 0) fprintf(o, "  \"eos_token_id\": %d,\n", eos);
    fprintf(o, "  \"torch_dtype\": \"float32\"\n}\n");
    return lb_atomic_commit(&f, err);
}

/* splitmix64 stream and Box-Muller normals: a pure function of the seed. */

static double normal(uint64_t *s) {
    double u1 = ((lb_splitmix64(s) >> 11) + 1.0) / 9007199254740993.0;   /* (0, 1] */
    double u2 = (lb_splitmix64(s) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* The tensors of a fresh model of family a and size z: the family's table (model_layout.h)
 * under the config write_config writes (no optional biases; only GPT-2 ties its head). */
static int list_tensors(lb_arch_t a, const lb_model_size_t *z, int V, lb_model_tensor_t *out) {
    lb_model_config_t g = {.arch = a, .vocab_size = V, .hidden_size = z->hidden,
                           .n_layers = z->layers, .n_heads = z->heads, .n_kv_heads = z->kv_heads,
                           .head_dim = z->hidden / z->heads, .intermediate_size = z->inter,
                           .max_position_embeddings = z->max_pos,
                           .tie_word_embeddings = a == LB_ARCH_GPT2};
    return lb_model_tensors(&g, out);
}

static int write_weights(lb_arch_t a, const lb_model_size_t *z, int V, uint64_t seed,
                         const char *path, lb_error_t *err) {
    int n = list_tensors(a, z, V, NULL);
    if (n < 0) return lb_error_set(err, LB_EINVAL, "%s: unknown model family %d", path, (int)a);
    lb_model_tensor_t *t = calloc((size_t)n, sizeof *t);
    lb_st_tensor_t *ts = calloc((size_t)n, sizeof *ts);
    if (!t || !ts) {
        free(t), free(ts);
        return lb_error_set(err, LB_ENOMEM, "%s: out of memory", path);
    }
    list_tensors(a, z, V, t);
    size_t total = 0;
    for (int i = 0; i < n; i++) total += (size_t)t[i].rows * (size_t)(t[i].cols ? t[i].cols : 1);
    float *data = malloc(total * sizeof(float));
    if (!data) {
        free(t), free(ts);
        return lb_error_set(err, LB_ENOMEM, "%s: cannot allocate %zu parameters", path, total);
    }
    uint64_t st = seed;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t numel = (size_t)t[i].rows * (size_t)(t[i].cols ? t[i].cols : 1);
        float *d = data + off;
        lb_init_t init = t[i].spec->init;
        for (size_t j = 0; j < numel; j++)
            d[j] = init == LB_INIT_NORMAL ? (float)(0.02 * normal(&st))
                 : init == LB_INIT_ONES ? 1.0f : 0.0f;
        ts[i].name = t[i].name;
        ts[i].dtype = LB_DTYPE_F32;
        ts[i].ndim = t[i].cols ? 2 : 1;
        ts[i].shape[0] = t[i].rows;
        ts[i].shape[1] = t[i].cols;
        ts[i].data = d;
        ts[i].nbytes = numel * sizeof(float);
        off += numel;
    }
    const char *k[] = {"format"}, *v[] = {"pt"};
    int rc = lb_st_write(path, ts, (size_t)n, k, v, 1, err);
    free(data), free(t), free(ts);
    return rc;
}

int lb_train_init_model(lb_arch_t arch, const lb_model_size_t *size, int vocab, int bos,
                        int eos, const char *tokenizer_path, uint64_t seed, const char *out_dir,
                        lb_error_t *err) {
    if (vocab < 2) return lb_error_set(err, LB_EINVAL, "vocabulary of %d tokens", vocab);
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST)
        return lb_error_set(err, LB_EIO, "%s: cannot create: %s", out_dir, strerror(errno));
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", out_dir);
    int rc = write_config(arch, size, vocab, bos, eos, path, err);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    rc = write_weights(arch, size, vocab, seed, path, err);
    if (!rc && tokenizer_path) {
        char *data = NULL;
        size_t len = 0;
        rc = lb_io_read_file(tokenizer_path, &data, &len, err);
        snprintf(path, sizeof path, "%s/tokenizer.json", out_dir);
        if (!rc) rc = lb_atomic_write_file(path, data, len, err);
        free(data);
    }
    return rc;
}

static int find_id(const lb_tokenizer_t *tok, const char *const *names) {
    for (; *names; names++) {
        int32_t id = lb_tokenizer_token_to_id(tok, *names);
        if (id >= 0) return id;
    }
    return -1;
}

void lb_train_special_ids(const lb_tokenizer_t *tok, int *bos, int *eos) {
    static const char *const eos_names[] = {"<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", NULL};
    static const char *const bos_names[] = {"<s>", "<bos>", "<|begin_of_text|>", "<|endoftext|>", NULL};
    *eos = find_id(tok, eos_names);
    *bos = find_id(tok, bos_names);
}

const char *lb_model_size_format(const lb_model_size_t *z, char *buf, size_t cap) {
    if (cap)
        snprintf(buf, cap, "L%d-D%d-H%d-KV%d-I%d-T%d", z->layers, z->hidden, z->heads,
                 z->kv_heads, z->inter, z->max_pos);
    return buf;
}

/* The names init writes: the set a new run replaces as a whole (other files in out stay). */
static const char *const init_files[] = {"config.json", "model.safetensors", "tokenizer.json",
                                         NULL};

int lb_train_init_dir(const lb_train_init_opts_t *o, int io_flags, lb_train_init_info_t *info,
                      lb_error_t *err) {
    lb_train_init_info_t in = {.bos = -1, .eos = -1};
    int rc = 0;
    if (!o->tokenizer || !o->out)
        rc = lb_error_set(err, LB_EINVAL, "init: the tokenizer and the output folder are "
                                          "required");
    if (!rc) rc = lb_model_size_parse(o->size ? o->size : "", o->arch, &in.size, err);
    lb_tokenizer_t *tok = NULL;
    if (!rc) rc = lb_tokenizer_load(o->tokenizer, &tok, err);
    if (!rc) {
        in.vocab = (int)lb_tokenizer_vocab_size(tok);
        lb_train_special_ids(tok, &in.bos, &in.eos);
        lb_tokenizer_free(tok);
    }
    lb_io_dir_t dir;
    if (!rc) {
        in.output = 1; /* every input is read: what fails now is the output's */
        if ((rc = lb_io_dir_begin(&dir, o->out, init_files, io_flags, err)))
            lb_error_prefix(err, "--out");
    }
    if (!rc) {
        rc = lb_train_init_model(o->arch, &in.size, in.vocab, in.bos, in.eos, o->tokenizer,
                                 o->seed, dir.path, err);
        if (!rc) rc = lb_io_dir_commit(&dir, err);
        if (rc) lb_io_dir_abort(&dir);
    }
    if (info) *info = in;
    return rc;
}
