/* Loading tokenizer.json: the BPE model, added tokens and the pipeline; lookups and summary. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakbound/io.h"
#include "tok_internal.h"

static int fmt_err(lb_error_t *err, const char *file, const char *what) {
    return lb_error_set(err, LB_EFORMAT, "%s: %s", file, what);
}

/* Register id → token (the first registration of an id wins for model tokens; added tokens
 * override, as HF's added vocabulary is consulted first on decode). */
static void set_id(lb_tokenizer_t *t, int32_t id, const char *s, size_t n, int special) {
    t->id_tok[id] = s;
    t->id_len[id] = (uint32_t)n;
    t->id_special[id] = (uint8_t)special;
}

static int load_model(lb_tokenizer_t *t, json_t *m, const char *file, lb_error_t *err) {
    if (!json_is_object(m)) return fmt_err(err, file, "\"model\" must be an object");
    json_t *ty = json_object_get(m, "type");
    json_t *vocab = json_object_get(m, "vocab"), *merges = json_object_get(m, "merges");
    if (json_is_string(ty) && strcmp(json_string_value(ty), "BPE"))
        return lb_error_set(err, LB_EUNSUPPORTED, "%s: unsupported model type \"%s\" (only BPE)", file,
                            json_string_value(ty));
    if (!json_is_object(vocab)) return fmt_err(err, file, "model.vocab must be an object");
    if (!json_is_array(merges)) return fmt_err(err, file, "model.merges must be an array");
    json_t *dropout = json_object_get(m, "dropout");
    if (json_is_number(dropout) && json_number_value(dropout) > 0)
        return lb_error_set(err, LB_EUNSUPPORTED, "%s: model.dropout > 0 (random BPE) is not supported", file);
    t->byte_fallback = json_is_true(json_object_get(m, "byte_fallback"));
    t->fuse_unk = json_is_true(json_object_get(m, "fuse_unk"));
    t->ignore_merges = json_is_true(json_object_get(m, "ignore_merges"));
    json_t *pfx = json_object_get(m, "continuing_subword_prefix"), *sfx = json_object_get(m, "end_of_word_suffix");
    if (json_is_string(pfx) && json_string_length(pfx)) {
        t->cont_prefix_len = json_string_length(pfx);
        t->cont_prefix = tk_pool_strdup(&t->pool, json_string_value(pfx), t->cont_prefix_len);
    }
    if (json_is_string(sfx) && json_string_length(sfx)) {
        t->eow_suffix_len = json_string_length(sfx);
        t->eow_suffix = tk_pool_strdup(&t->pool, json_string_value(sfx), t->eow_suffix_len);
    }
    if (t->cont_prefix_len > 64 || t->eow_suffix_len > 64)
        return fmt_err(err, file, "model.continuing_subword_prefix / end_of_word_suffix longer than 64 bytes");

    const char *key;
    json_t *val;
    json_object_foreach(vocab, key, val) {
        if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > TK_MAX_ID) {
            char got[64];
            lb_io_json_describe(val, got, sizeof got);
            return lb_error_set(err, LB_EFORMAT, "%s: model.vocab[\"%.64s\"] must be an integer id in [0, %d], "
                                "got %s", file, key, TK_MAX_ID, got);
        }
        size_t kl = strlen(key); /* jansson keys cannot hold NUL */
        char *k = tk_pool_strdup(&t->pool, key, kl);
        if (!k || tk_strmap_put(&t->vocab, k, kl, (int32_t)json_integer_value(val))) return LB_ENOMEM;
    }
    t->model_vocab = t->vocab.n;

    size_t nm = json_array_size(merges);
    if (tk_pairmap_init(&t->merges, nm)) return LB_ENOMEM;
    char *buf = NULL;
    size_t buf_cap = 0;
    for (size_t i = 0; i < nm; i++) {
        json_t *e = json_array_get(merges, i);
        const char *a, *b;
        size_t al, bl;
        if (json_is_string(e)) {
            const char *s = json_string_value(e);
            const char *sp = strchr(s, ' ');
            if (!sp) {
                free(buf);
                return lb_error_set(err, LB_EFORMAT, "%s: model.merges[%zu] \"%.64s\" is not \"a b\"", file, i, s);
            }
            a = s;
            al = (size_t)(sp - s);
            b = sp + 1;
            bl = json_string_length(e) - al - 1;
        } else if (json_is_array(e) && json_array_size(e) == 2 && json_is_string(json_array_get(e, 0)) &&
                   json_is_string(json_array_get(e, 1))) {
            a = json_string_value(json_array_get(e, 0));
            al = json_string_length(json_array_get(e, 0));
            b = json_string_value(json_array_get(e, 1));
            bl = json_string_length(json_array_get(e, 1));
        } else {
            free(buf);
            return lb_error_set(err, LB_EFORMAT, "%s: model.merges[%zu] must be \"a b\" or [\"a\", \"b\"]", file, i);
        }
        int32_t ia = tk_strmap_get(&t->vocab, a, al), ib = tk_strmap_get(&t->vocab, b, bl);
        /* The merged token drops b's continuing-subword prefix. */
        size_t skip = t->cont_prefix_len && bl >= t->cont_prefix_len &&
                              !memcmp(b, t->cont_prefix, t->cont_prefix_len) ? t->cont_prefix_len : 0;
        if (al + bl + 1 > buf_cap) {
            buf_cap = (al + bl + 1) * 2;
            char *nb = realloc(buf, buf_cap);
            if (!nb) {
                free(buf);
                return LB_ENOMEM;
            }
            buf = nb;
        }
        memcpy(buf, a, al);
        memcpy(buf + al, b + skip, bl - skip);
        int32_t inew = tk_strmap_get(&t->vocab, buf, al + bl - skip);
        if (ia < 0 || ib < 0 || inew < 0) {
            int r = lb_error_set(err, LB_EFORMAT, "%s: model.merges[%zu] (\"%.*s\", \"%.*s\") uses a token missing "
                                 "from model.vocab", file, i, (int)(al > 64 ? 64 : al), a, (int)(bl > 64 ? 64 : bl), b);
            free(buf);
            return r;
        }
        tk_pairmap_put(&t->merges, ia, ib, (int32_t)i, inew);
    }
    free(buf);

    t->unk_id = -1;
    json_t *unk = json_object_get(m, "unk_token");
    if (json_is_string(unk)) {
        t->unk_id = tk_strmap_get(&t->vocab, json_string_value(unk), json_string_length(unk));
        if (t->unk_id < 0)
            return lb_error_set(err, LB_EFORMAT, "%s: model.unk_token \"%.64s\" is not in model.vocab", file,
                                json_string_value(unk));
    }
    for (int b = 0; b < 256; b++) {
        char hex[8];
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        t->byte_ids[b] = t->byte_fallback ? tk_strmap_get(&t->vocab, hex, 6) : -1;
    }
    return 0;
}

static int load_added(lb_tokenizer_t *t, json_t *a, const char *file, lb_error_t *err) {
    if (!a || json_is_null(a)) return 0;
    if (!json_is_array(a)) return fmt_err(err, file, "\"added_tokens\" must be an array");
    t->n_added = json_array_size(a);
    if (t->n_added && !(t->added = calloc(t->n_added, sizeof *t->added))) return LB_ENOMEM;
    for (size_t i = 0; i < t->n_added; i++) {
        json_t *e = json_array_get(a, i);
        json_t *id = json_object_get(e, "id"), *c = json_object_get(e, "content");
        if (!json_is_integer(id) || json_integer_value(id) < 0 || json_integer_value(id) > TK_MAX_ID ||
            !json_is_string(c)) {
            char got[64];
            lb_io_json_describe(id, got, sizeof got);
            return lb_error_set(err, LB_EFORMAT, "%s: added_tokens[%zu] needs an integer \"id\" in [0, %d] and a "
                                "string \"content\" (id: got %s)", file, i, TK_MAX_ID, got);
        }
        tk_added_t *x = &t->added[i];
        x->id = (int32_t)json_integer_value(id);
        x->len = json_string_length(c);
        x->content = tk_pool_strdup(&t->pool, json_string_value(c), x->len);
        if (!x->content) return LB_ENOMEM;
        /* HF re-derives ids on load: a token the model already has keeps the model's id. */
        int32_t vid = tk_strmap_get(&t->vocab, x->content, x->len);
        if (vid >= 0) x->id = vid;
        x->special = json_is_true(json_object_get(e, "special"));
        x->single_word = json_is_true(json_object_get(e, "single_word"));
        x->lstrip = json_is_true(json_object_get(e, "lstrip"));
        x->rstrip = json_is_true(json_object_get(e, "rstrip"));
        /* HF's default: normalized unless special. */
        x->normalized = json_is_boolean(json_object_get(e, "normalized")) ?
                            json_is_true(json_object_get(e, "normalized")) : !x->special;
        if (tk_strmap_put(&t->added_map, x->content, x->len, x->id)) return LB_ENOMEM;
    }
    return 0;
}

/* Build the two matchers; normalized tokens are searched for in normalized form. */
static int build_matchers(lb_tokenizer_t *t, lb_error_t *err) {
    for (int pass = 0; pass < 2; pass++) {
        tk_matcher_t *m = pass ? &t->m_norm : &t->m_raw;
        if (t->n_added && !(m->tok = calloc(t->n_added, sizeof *m->tok))) return LB_ENOMEM;
        for (size_t i = 0; i < t->n_added; i++) {
            tk_added_t *x = &t->added[i];
            if (x->normalized != pass || !x->len) continue;
            if (pass && t->normalizer) {
                tk_buf_t b = {0};
                tk_scratch_t sc = {0};
                int rc = tk_normalize(t->normalizer, x->content, x->len, &b, &sc, err);
                tk_scratch_free(&sc);
                if (rc) {
                    tk_buf_free(&b);
                    return rc;
                }
                x->match = tk_pool_strdup(&t->pool, b.data ? b.data : "", b.len);
                x->match_len = b.len;
                tk_buf_free(&b);
                if (!x->match) return LB_ENOMEM;
            } else {
                x->match = x->content;
                x->match_len = x->len;
            }
            if (!x->match_len) continue;
            m->tok[m->n++] = x;
            m->first[(unsigned char)x->match[0]] = 1;
        }
    }
    return 0;
}

static int build_id_table(lb_tokenizer_t *t) {
    int32_t max = -1;
    for (size_t i = 0; i < t->vocab.n; i++)
        if (t->vocab.val[i] > max) max = t->vocab.val[i];
    for (size_t i = 0; i < t->n_added; i++)
        if (t->added[i].id > max) max = t->added[i].id;
    t->n_ids = (size_t)(max + 1);
    t->id_tok = calloc(t->n_ids + 1, sizeof *t->id_tok);
    t->id_len = calloc(t->n_ids + 1, sizeof *t->id_len);
    t->id_special = calloc(t->n_ids + 1, 1);
    if (!t->id_tok || !t->id_len || !t->id_special) return LB_ENOMEM;
    for (size_t i = 0; i < t->vocab.n; i++)
        if (!t->id_tok[t->vocab.val[i]]) set_id(t, t->vocab.val[i], t->vocab.key[i], t->vocab.klen[i], 0);
    for (size_t i = 0; i < t->n_added; i++)
        set_id(t, t->added[i].id, t->added[i].content, t->added[i].len, t->added[i].special);
    return 0;
}

static int load_options(lb_tokenizer_t *t, json_t *root, const char *file, lb_error_t *err) {
    t->trunc_max = -1;
    json_t *tr = json_object_get(root, "truncation");
    if (tr && !json_is_null(tr)) {
        json_t *ml = json_object_get(tr, "max_length");
        long long x;
        if (lb_io_json_int(ml, 0, INT_MAX, &x)) {
            char got[64];
            lb_io_json_describe(ml, got, sizeof got);
            return lb_error_set(err, LB_EFORMAT, "%s: truncation.max_length must be an integer in [0, %d], "
                                "got %s", file, INT_MAX, got);
        }
        t->trunc_max = (int)x;
        json_t *dir = json_object_get(tr, "direction");
        t->trunc_left = json_is_string(dir) && !strcmp(json_string_value(dir), "Left");
    }
    json_t *pad = json_object_get(root, "padding");
    if (pad && !json_is_null(pad)) {
        json_t *st = json_object_get(pad, "strategy");
        json_t *mult = json_object_get(pad, "pad_to_multiple_of");
        if (!(json_is_string(st) && !strcmp(json_string_value(st), "BatchLongest")) ||
            (mult && !json_is_null(mult)))
            return lb_error_set(err, LB_EUNSUPPORTED, "%s: padding other than BatchLongest is not supported", file);
    }
    return 0;
}

int lb_tokenizer_load_string(const char *json, size_t len, const char *name, lb_tokenizer_t **out,
                             lb_error_t *err) {
    *out = NULL;
    json_error_t je;
    json_t *root = lb_io_json_loadb(json, len, 0, &je);
    if (!root)
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: %s", name, je.line, je.column, je.text);
    lb_tokenizer_t *t = calloc(1, sizeof *t);
    if (!t) {
        json_decref(root);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&t->cache.lock, NULL);
    t->name = strdup(name);
    int rc = 0;
    json_t *j;
    if (!json_is_object(root)) rc = fmt_err(err, name, "top level must be a JSON object");
    if (!rc) rc = load_model(t, json_object_get(root, "model"), name, err);
    if (!rc) rc = load_added(t, json_object_get(root, "added_tokens"), name, err);
    if (!rc && (j = json_object_get(root, "normalizer")) && !json_is_null(j)) {
        if (!(t->normalizer = calloc(1, sizeof *t->normalizer))) rc = LB_ENOMEM;
        else rc = tk_load_normalizer(j, t->normalizer, name, err);
    }
    if (!rc && (j = json_object_get(root, "pre_tokenizer")) && !json_is_null(j)) {
        if (!(t->pretok = calloc(1, sizeof *t->pretok))) rc = LB_ENOMEM;
        else rc = tk_load_pretok(j, t->pretok, name, err);
    }
    if (!rc && (j = json_object_get(root, "decoder")) && !json_is_null(j)) {
        if (!(t->decoder = calloc(1, sizeof *t->decoder))) rc = LB_ENOMEM;
        else rc = tk_load_decoder(j, t->decoder, name, err);
    }
    if (!rc && (j = json_object_get(root, "post_processor")) && !json_is_null(j)) rc = tk_load_post(j, t, name, err);
    if (!rc) rc = load_options(t, root, name, err);
    if (!rc) rc = build_matchers(t, err);
    if (!rc) rc = build_id_table(t);
    if (!rc) {
        /* HF get_vocab_size(true): distinct token strings of the model and the added tokens. */
        t->vocab_size = t->model_vocab;
        for (size_t i = 0; i < t->n_added; i++)
            if (tk_strmap_get(&t->vocab, t->added[i].content, t->added[i].len) < 0) t->vocab_size++;
    }
    for (size_t i = 0; !rc && i < t->post.n_pre + t->post.n_post; i++) {
        int32_t id = i < t->post.n_pre ? t->post.pre[i] : t->post.post[i - t->post.n_pre];
        if (id < 0 || (size_t)id >= t->n_ids)
            rc = lb_error_set(err, LB_EFORMAT, "%s: post_processor special token id %d is outside the vocabulary",
                              name, id);
    }
    json_decref(root);
    if (rc == LB_ENOMEM) lb_error_set(err, LB_ENOMEM, "%s: out of memory while loading", name);
    if (rc) {
        lb_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int lb_tokenizer_load(const char *path, lb_tokenizer_t **out, lb_error_t *err) {
    char *data;
    size_t len;
    *out = NULL;
    int rc = lb_io_read_file(path, &data, &len, err);
    if (rc) return rc;
    rc = lb_tokenizer_load_string(data, len, path, out, err);
    free(data);
    return rc;
}

void lb_tokenizer_path(const char *model_dir, const char *tokenizer, char *path, size_t cap) {
    struct stat st;
    if (!tokenizer) snprintf(path, cap, "%s/tokenizer.json", model_dir);
    else if (!stat(tokenizer, &st) && S_ISDIR(st.st_mode)) snprintf(path, cap, "%s/tokenizer.json", tokenizer);
    else snprintf(path, cap, "%s", tokenizer);
}

void lb_tokenizer_config_dir(const char *model_dir, const char *tokenizer, char *dir, size_t cap) {
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/tokenizer_config.json", model_dir);
    if (!tokenizer || !stat(p, &st)) {
        snprintf(dir, cap, "%s", model_dir);
    } else if (!stat(tokenizer, &st) && S_ISDIR(st.st_mode)) {
        snprintf(dir, cap, "%s", tokenizer);
    } else {
        const char *slash = strrchr(tokenizer, '/');
        if (!slash) snprintf(dir, cap, ".");
        else snprintf(dir, cap, "%.*s", (int)(slash - tokenizer) + (slash == tokenizer), tokenizer);
    }
}

int lb_tokenizer_load_for_model(const char *model_dir, const char *tokenizer, lb_tokenizer_t **out,
                                lb_error_t *err) {
    char path[4096];
    lb_tokenizer_path(model_dir, tokenizer, path, sizeof path);
    int rc = lb_tokenizer_load(path, out, err);
    if (rc == LB_EIO && !tokenizer && access(path, F_OK) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        lb_error_set(err, LB_EIO, "%.700s (a model folder without tokenizer.json needs its tokenizer "
                     "given apart: --tokenizer FILE|DIR, a tokenizer.json or the folder that holds "
                     "it)", msg);
    }
    return rc;
}

void lb_tokenizer_free(lb_tokenizer_t *t) {
    if (!t) return;
    tk_strmap_free(&t->vocab);
    tk_pairmap_free(&t->merges);
    tk_strmap_free(&t->added_map);
    tk_strmap_free(&t->cache.map);
    tk_pool_free(&t->cache.pool);
    free(t->cache.ids);
    pthread_mutex_destroy(&t->cache.lock);
    free(t->m_raw.tok);
    free(t->m_norm.tok);
    free(t->added);
    free(t->id_tok);
    free(t->id_len);
    free(t->id_special);
    if (t->normalizer) tk_normalizer_free(t->normalizer);
    free(t->normalizer);
    if (t->pretok) tk_pretok_free(t->pretok);
    free(t->pretok);
    if (t->decoder) tk_decoder_free(t->decoder);
    free(t->decoder);
    free(t->post.pre);
    free(t->post.post);
    tk_pool_free(&t->pool);
    free(t->name);
    free(t);
}

size_t lb_tokenizer_vocab_size(const lb_tokenizer_t *t) {
    return t->vocab_size;
}

int32_t lb_tokenizer_token_to_id(const lb_tokenizer_t *t, const char *token) {
    size_t n = strlen(token);
    int32_t id = tk_strmap_get(&t->added_map, token, n);
    return id >= 0 ? id : tk_strmap_get(&t->vocab, token, n);
}

const char *lb_tokenizer_id_to_token(const lb_tokenizer_t *t, int32_t id) {
    if (id < 0 || (size_t)id >= t->n_ids) return NULL;
    return t->id_tok[id];
}

int lb_tokenizer_is_special(const lb_tokenizer_t *t, int32_t id) {
    return id >= 0 && (size_t)id < t->n_ids && t->id_special[id];
}

static int has_bytelevel(const tk_pretok_t *p) {
    if (!p) return 0;
    if (p->type == TK_P_BYTELEVEL) return 1;
    for (size_t i = 0; i < p->n_sub; i++)
        if (has_bytelevel(&p->sub[i])) return 1;
    return 0;
}

void lb_tokenizer_describe(const lb_tokenizer_t *t, char *buf, size_t cap) {
    if (!cap) return;
    int n = snprintf(buf, cap, "BPE (%s%s%s), %zu tokens", has_bytelevel(t->pretok) ? "byte-level" : "unicode",
                     t->byte_fallback ? ", byte_fallback" : "", t->ignore_merges ? ", ignore_merges" : "",
                     lb_tokenizer_vocab_size(t));
    size_t shown = 0, specials = 0;
    for (size_t i = 0; i < t->n_added; i++) specials += t->added[i].special;
    for (size_t i = 0; i < t->n_added && n >= 0 && (size_t)n < cap; i++) {
        if (!t->added[i].special) continue;
        if (shown == 4) {
            n += snprintf(buf + n, cap - (size_t)n, ", ... (%zu specials)", specials);
            break;
        }
        n += snprintf(buf + n, cap - (size_t)n, "%s%.40s=%d", shown ? ", " : ", specials: ", t->added[i].content,
                      t->added[i].id);
        shown++;
    }
}
