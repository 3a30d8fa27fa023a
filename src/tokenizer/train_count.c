/* BPE trainer: creation, pre-token counting from text and files. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "leakbound/io.h"
#include "train_internal.h"

static const char *const default_special[] = {"<|endoftext|>"};

int32_t tt_add_token(lb_bpe_trainer_t *t, const char *s, size_t n) {
    if (t->n_tok == t->tok_cap) {
        size_t cap = t->tok_cap ? t->tok_cap * 2 : 1024;
        const char **tk = realloc(t->tok, cap * sizeof *tk);
        if (!tk) return -1;
        t->tok = tk;
        uint32_t *tl = realloc(t->tok_len, cap * sizeof *tl);
        if (!tl) return -1;
        t->tok_len = tl;
        t->tok_cap = cap;
    }
    char *d = tk_pool_strdup(&t->tpool, s, n);
    if (!d) return -1;
    int32_t id = (int32_t)t->n_tok;
    if (tk_strmap_put(&t->vocab, d, n, id)) return -1;
    t->tok[id] = d;
    t->tok_len[id] = (uint32_t)n;
    t->n_tok++;
    return id;
}

static int cmp_cp(const void *a, const void *b) {
    int32_t x = tk_byte_to_cp[*(const uint8_t *)a], y = tk_byte_to_cp[*(const uint8_t *)b];
    return (x > y) - (x < y);
}

int lb_bpe_trainer_new(const lb_bpe_train_opts_t *opts, lb_bpe_trainer_t **out, lb_error_t *err) {
    *out = NULL;
    const char *const *sp = opts->special ? opts->special : default_special;
    size_t nsp = opts->special ? opts->n_special : 1;
    if (opts->vocab_size < nsp + 256 || opts->vocab_size > INT32_MAX)
        return lb_error_set(err, LB_EINVAL, "vocabulary size %zu: want at least %zu (%zu special tokens + 256 bytes)",
                            opts->vocab_size, nsp + 256, nsp);
    lb_bpe_trainer_t *t = calloc(1, sizeof *t);
    if (!t) return lb_error_set(err, LB_ENOMEM, "out of memory");
    t->vocab_target = opts->vocab_size;
    t->min_freq = opts->min_frequency;
    t->n_special = nsp;
    /* The pre-tokenizer is built from its JSON description so it is exactly the one a loaded
     * tokenizer.json gets (same regex, same byte mapping). */
    json_t *pj = json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 0,
                           "trim_offsets", 1, "use_regex", 1);
    int rc = pj ? tk_load_pretok(pj, &t->pretok, "<trainer>", err) : lb_error_set(err, LB_ENOMEM, "out of memory");
    json_decref(pj);
    if (rc) {
        free(t);
        return rc;
    }
    for (size_t i = 0; i < nsp; i++) {
        size_t n = strlen(sp[i]);
        if (!n || tk_utf8_validate((const unsigned char *)sp[i], n) != (size_t)-1) {
            lb_bpe_trainer_free(t);
            return lb_error_set(err, LB_EINVAL, "special token %zu is empty or not UTF-8", i);
        }
        if (tk_strmap_get(&t->vocab, sp[i], n) >= 0) {
            lb_bpe_trainer_free(t);
            return lb_error_set(err, LB_EINVAL, "special token '%s' is listed twice", sp[i]);
        }
        if (tt_add_token(t, sp[i], n) < 0) goto oom;
    }
    /* The 256 byte characters in code point order, as HF's trainer sorts its alphabet. */
    uint8_t bytes[256];
    for (int b = 0; b < 256; b++) bytes[b] = (uint8_t)b;
    qsort(bytes, 256, 1, cmp_cp);
    for (int i = 0; i < 256; i++) {
        char u[4];
        int n = tk_utf8_encode(tk_byte_to_cp[bytes[i]], u);
        if (tk_strmap_get(&t->vocab, u, (size_t)n) >= 0) continue; /* a special token spelled as a byte */
        if (tt_add_token(t, u, (size_t)n) < 0) goto oom;
    }
    *out = t;
    return 0;
oom:
    lb_bpe_trainer_free(t);
    return lb_error_set(err, LB_ENOMEM, "out of memory");
}

void lb_bpe_trainer_free(lb_bpe_trainer_t *t) {
    if (!t) return;
    tk_pretok_free(&t->pretok);
    tk_scratch_free(&t->sc);
    tk_buf_free(&t->in);
    tk_buf_free(&t->out);
    tk_pieces_free(&t->ip);
    tk_pieces_free(&t->op);
    tk_pool_free(&t->wpool);
    tk_strmap_free(&t->words);
    free(t->wcount);
    tk_pool_free(&t->tpool);
    tk_strmap_free(&t->vocab);
    free(t->tok);
    free(t->tok_len);
    free(t->merge_a);
    free(t->merge_b);
    free(t->sym);
    free(t->woff);
    free(t->wlen);
    free(t->wstamp);
    free(t);
}

static int count_word(lb_bpe_trainer_t *t, const char *w, size_t n) {
    int32_t k = tk_strmap_get(&t->words, w, n);
    if (k >= 0) {
        t->wcount[k]++;
        return 0;
    }
    if (t->n_words == t->wcap) {
        size_t cap = t->wcap ? t->wcap * 2 : 4096;
        int64_t *c = realloc(t->wcount, cap * sizeof *c);
        if (!c) return LB_ENOMEM;
        t->wcount = c;
        t->wcap = cap;
    }
    if (t->n_words >= INT32_MAX) return LB_ENOMEM;
    char *d = tk_pool_strdup(&t->wpool, w, n);
    if (!d || tk_strmap_put(&t->words, d, n, (int32_t)t->n_words)) return LB_ENOMEM;
    t->wcount[t->n_words++] = 1;
    return 0;
}

int lb_bpe_trainer_feed(lb_bpe_trainer_t *t, const char *text, size_t len, lb_error_t *err) {
    if (t->trained) return lb_error_set(err, LB_EINVAL, "the trainer has already been trained");
    size_t bad = tk_utf8_validate((const unsigned char *)text, len);
    if (bad != (size_t)-1) return lb_error_set(err, LB_EINVAL, "invalid UTF-8 at byte %zu", bad);
    t->in.len = 0;
    t->ip.n = 0;
    if (tk_buf_append(&t->in, text, len) || tk_pieces_push(&t->ip, 0, len, -1, 1))
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    int rc = tk_pretokenize(&t->pretok, &t->in, &t->ip, &t->out, &t->op, &t->sc, err);
    if (rc) return rc;
    for (size_t i = 0; i < t->op.n; i++) {
        const tk_piece_t *p = &t->op.v[i];
        if (p->len && count_word(t, t->out.data + p->off, p->len))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    return 0;
}

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static int feed_jsonl(lb_bpe_trainer_t *t, const char *path, lb_error_t *err) {
    lb_jsonl_reader_t r;
    int rc = lb_jsonl_open(&r, path, err);
    if (rc) return rc;
    json_t *v;
    static const char *const fields[] = {"question", "answer"};
    while ((rc = lb_jsonl_next(&r, &v, err)) == 1) {
        rc = 0;
        for (int f = 0; f < 2 && !rc; f++) {
            json_t *s = json_is_object(v) ? json_object_get(v, fields[f]) : NULL;
            if (!json_is_string(s))
                rc = lb_error_set(err, LB_EFORMAT, "%s:%ld: want an object with a string \"%s\"", r.path,
                                  r.lineno, fields[f]);
            else if ((rc = lb_bpe_trainer_feed(t, json_string_value(s), json_string_length(s), err)))
                lb_error_prefix(err, "%s:%ld: field \"%s\"", r.path, r.lineno, fields[f]);
        }
        json_decref(v);
        if (rc) break;
    }
    lb_jsonl_close(&r);
    return rc < 0 ? rc : 0;
}

static int feed_text(lb_bpe_trainer_t *t, const char *path, lb_error_t *err) {
    char *data;
    size_t len;
    int rc = lb_io_read_file(path, &data, &len, err);
    if (rc) return rc;
    size_t a = 0;
    long line = 1;
    while (a < len && !rc) {
        const char *nl = memchr(data + a, '\n', len - a);
        size_t b = nl ? (size_t)(nl - data) + 1 : len;
        if ((rc = lb_bpe_trainer_feed(t, data + a, b - a, err))) lb_error_prefix(err, "%s:%ld", path, line);
        a = b;
        line++;
    }
    free(data);
    return rc;
}

int lb_bpe_trainer_feed_file(lb_bpe_trainer_t *t, const char *path, lb_error_t *err) {
    if (ends_with(path, ".jsonl") || ends_with(path, ".json")) return feed_jsonl(t, path, err);
    return feed_text(t, path, err);
}

size_t lb_bpe_trainer_vocab_size(const lb_bpe_trainer_t *t) { return t->n_tok; }
size_t lb_bpe_trainer_n_merges(const lb_bpe_trainer_t *t) { return t->n_merges; }
