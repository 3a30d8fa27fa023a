/* BPE trainer: the trained model as a Hugging Face tokenizer.json document. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "train_internal.h"

static json_t *byte_level(int add_prefix_space, int trim_offsets) {
    return json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", add_prefix_space,
                     "trim_offsets", trim_offsets, "use_regex", 1);
}

static json_t *build(const lb_bpe_trainer_t *t) {
    json_t *vocab = json_object(), *merges = json_array(), *added = json_array();
    if (!vocab || !merges || !added) goto fail;
    for (size_t id = 0; id < t->n_tok; id++)
        if (json_object_set_new(vocab, t->tok[id], json_integer((json_int_t)id))) goto fail;
    char *line = NULL;
    size_t cap = 0;
    for (size_t m = 0; m < t->n_merges; m++) {
        /* byte-level tokens never hold a raw space (it is mapped to U+0120), so "a b" is safe */
        const char *a = t->tok[t->merge_a[m]], *b = t->tok[t->merge_b[m]];
        size_t la = t->tok_len[t->merge_a[m]], lb = t->tok_len[t->merge_b[m]];
        if (la + lb + 2 > cap) {
            cap = (la + lb + 2) * 2;
            char *nl = realloc(line, cap);
            if (!nl) { free(line); goto fail; }
            line = nl;
        }
        memcpy(line, a, la);
        line[la] = ' ';
        memcpy(line + la + 1, b, lb);
        if (json_array_append_new(merges, json_stringn(line, la + lb + 1))) { free(line); goto fail; }
    }
    free(line);
    for (size_t i = 0; i < t->n_special; i++) {
        json_t *e = json_pack("{s:I, s:s, s:b, s:b, s:b, s:b, s:b}", "id", (json_int_t)i, "content", t->tok[i],
                              "single_word", 0, "lstrip", 0, "rstrip", 0, "normalized", 0, "special", 1);
        if (!e || json_array_append_new(added, e)) goto fail;
    }
    json_t *model = json_pack("{s:s, s:n, s:n, s:s, s:s, s:b, s:b, s:b, s:o, s:o}", "type", "BPE", "dropout",
                              "unk_token", "continuing_subword_prefix", "", "end_of_word_suffix", "", "fuse_unk", 0,
                              "byte_fallback", 0, "ignore_merges", 0, "vocab", vocab, "merges", merges);
    vocab = merges = NULL; /* stolen by "o" even on failure */
    if (!model) goto fail;
    json_t *doc = json_pack("{s:s, s:n, s:n, s:o, s:n, s:o, s:o, s:o, s:o}", "version", "1.0", "truncation",
                            "padding", "added_tokens", added, "normalizer", "pre_tokenizer", byte_level(0, 1),
                            "post_processor", byte_level(1, 0), "decoder", byte_level(1, 1), "model", model);
    return doc;
fail:
    json_decref(vocab);
    json_decref(merges);
    json_decref(added);
    return NULL;
}

int lb_bpe_trainer_to_json(const lb_bpe_trainer_t *t, char **json, size_t *len, lb_error_t *err) {
    *json = NULL;
    if (!t->trained) return lb_error_set(err, LB_EINVAL, "the trainer has not been trained yet");
    json_t *doc = build(t);
    if (!doc) return lb_error_set(err, LB_ENOMEM, "out of memory");
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!s) return lb_error_set(err, LB_ENOMEM, "out of memory");
    *json = s;
    *len = strlen(s);
    return 0;
}
