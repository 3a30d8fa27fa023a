/* samples.jsonl: one line per answer, a prompt's group written whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakbound/eval.h"
#include "eval_internal.h"

static int append(char **buf, size_t *cap, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (*len + n + 1 > c) c *= 2;
        char *b = realloc(*buf, c);
        if (!b) return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

/* A float as the shortest decimal that reads back to it (0.8f prints 0.8, not 0.800000011920929). */
static double round_float(float f) {
    char b[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, (double)f);
        if ((float)strtod(b, NULL) == f) break;
    }
    return strtod(b, NULL);
}

int lb_eval_format_group(const lb_eval_ctx_t *ctx, size_t it, const lb_sample_result_t *res,
                         int n_res, const double *scores, int verbose, char **buf, size_t *cap,
                         size_t *len, lb_error_t *err) {
    const lb_data_item_t *item = &ctx->ds.items[it];
    for (int r = 0; r < n_res; r++) {
        const lb_sample_result_t *x = &res[r];
        json_t *o = json_object();
        int bad = !o;
        bad = bad || json_object_set_new(o, "id", json_string(item->id));
        bad = bad || json_object_set_new(o, "sample", json_integer(x->index));
        bad = bad || json_object_set_new(o, "prompt", json_string(ctx->prompt_text[it]));
        /* the question before the template: the user turn a judge sees (score, eval) */
        bad = bad || json_object_set_new(o, "question", json_string(item->question));
        /* Decoded text is valid UTF-8 (the tokenizer replaces bad bytes with U+FFFD). */
        bad = bad || json_object_set_new(o, "text", json_stringn(x->text, x->text_len));
        if (!bad && item->answer) bad = json_object_set_new(o, "reference", json_string(item->answer));
        if (!bad && item->n_keywords) {
            json_t *kw = json_array();
            for (size_t k = 0; kw && k < item->n_keywords; k++)
                json_array_append_new(kw, json_string(item->keywords[k]));
            bad = json_object_set_new(o, "keywords", kw);
        }
        bad = bad || json_object_set_new(o, "tokens", json_integer(x->n_tokens));
        bad = bad || json_object_set_new(o, "finish", json_string(lb_sample_finish_name(x->finish)));
        if (!bad && scores) bad = json_object_set_new(o, "score", json_real(scores[r]));
        if (!bad && verbose && x->temperatures) {
            json_t *t = json_array();
            for (int k = 0; t && k < x->n_tokens; k++) json_array_append_new(t, json_real(round_float(x->temperatures[k])));
            bad = json_object_set_new(o, "temperatures", t);
        }
        char *line = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        json_decref(o);
        if (!line || append(buf, cap, len, line, strlen(line)) || append(buf, cap, len, "\n", 1)) {
            free(line);
            return lb_error_set(err, LB_ENOMEM, "out of memory while formatting samples");
        }
        free(line);
    }
    return LB_OK;
}

/* Write len bytes to fd in full and fsync it. Returns 0 or LB_EIO naming path. */
static int write_sync(int fd, const char *path, const char *buf, size_t len, lb_error_t *err) {
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return lb_error_set(err, LB_EIO, "%s: write failed: %s", path, strerror(errno));
        done += (size_t)w;
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        return lb_error_set(err, LB_EIO, "%s: fsync failed: %s", path, strerror(errno));
    return LB_OK;
}

int lb_eval_write_group(void *user, size_t item, const lb_sample_result_t *res, int n_res,
                        const double *scores, lb_error_t *err) {
    lb_eval_writer_t *w = user;
    w->len = 0;
    int rc = lb_eval_format_group(w->ctx, item, res, n_res, scores, w->verbose, &w->buf, &w->cap,
                                  &w->len, err);
    if (rc) return rc;
    if (w->file) return lb_atomic_write(w->file, w->buf, w->len, err);
    return w->len ? write_sync(w->fd, w->path, w->buf, w->len, err) : LB_OK;
}

static int chain_group(void *user, size_t item, const lb_sample_result_t *res, int n_res,
                       const double *scores, lb_error_t *err) {
    lbi_eval_chain_t *c = user;
    if (c->hooks->group) {
        int rc = c->hooks->group(c->hooks->user, item, res, n_res, scores, err);
        if (rc) return rc;
    }
    return lb_eval_write_group(c->w, item, res, n_res, scores, err);
}

static int chain_progress(void *user, const lb_sampler_progress_t *p) {
    lbi_eval_chain_t *c = user;
    return c->hooks->progress(c->hooks->user, p);
}

static void chain_warn(void *user, lb_eval_warn_kind_t kind, const char *msg) {
    lbi_eval_chain_t *c = user;
    c->hooks->warn(c->hooks->user, kind, msg);
}

lb_eval_hooks_t lbi_eval_chain_hooks(lbi_eval_chain_t *c, int write) {
    return (lb_eval_hooks_t){.user = c,
                             .progress = c->hooks->progress ? chain_progress : NULL,
                             .group = write ? chain_group : NULL,
                             .sampler = c->hooks->sampler,
                             .warn = c->hooks->warn ? chain_warn : NULL};
}
