/* generate.c — `leakbound generate` as one call: one raw prompt, one continuation drawn by the
 * sampler (the draws and warpers of `sample`), its decoded text streamed as it grows. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/eval.h"
#include "eval_internal.h"

void lb_eval_generate_opts_default(lb_eval_generate_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->temperature = NAN;
    o->top_p = NAN;
    o->top_k = -1;
    o->max_new_tokens = -1;
    o->id = "0";
}

#define BAD(...) return lb_error_set(err, LB_EINVAL, __VA_ARGS__)

int lb_eval_generate_opts_set(lb_eval_generate_opts_t *o, const char *f, const char *v,
                              lb_error_t *err) {
    const char *a = v ? v : "";
    if (!o || !f) BAD("generate: no options or no flag name given");
    if (!strcmp(f, "model")) {
        o->model_dir = v;
    } else if (!strcmp(f, "prompt")) {
        o->prompt = v;
    } else if (!strcmp(f, "tokenizer")) {
        o->tokenizer = v;
    } else if (!strcmp(f, "id")) {
        o->id = a;
    } else if (!strcmp(f, "greedy")) {
        o->greedy = 1;
    } else if (!strcmp(f, "temperature")) {
        if (lbi_eval_parse_temperature(a, &o->temperature))
            BAD("--temperature: want a number > 0, got '%s'", a);
    } else if (!strcmp(f, "top-p")) {
        if (lbi_eval_parse_top_p(a, &o->top_p))
            BAD("--top-p: want a number in (0, 1], got '%s'", a);
    } else if (!strcmp(f, "top-k")) {
        if (lbi_eval_parse_top_k(a, &o->top_k))
            BAD("--top-k: want an integer >= 0, got '%s'", a);
    } else if (!strcmp(f, "max-new-tokens")) {
        char *end;
        errno = 0;
        long n = strtol(a, &end, 10);
        if (errno || end == a || *end || n < 0 || n > 1 << 30)
            BAD("--max-new-tokens: want an integer >= 0, got '%s'", a);
        o->max_new_tokens = n;
    } else if (!strcmp(f, "seed")) {
        char *end;
        errno = 0;
        long n = strtol(a, &end, 10);
        if (errno || end == a || *end) BAD("--seed: want an integer, got '%s'", a);
        o->seed = (uint64_t)n;
    } else if (!strcmp(f, "kv-budget")) {
        if (lb_mem_size_parse(a, &o->kv_budget))
            BAD("--kv-budget: expected a size such as 512M or 4G, got '%s'", a);
    } else {
        BAD("generate: unknown flag '%s'", f);
    }
    return LB_OK;
}

int lb_eval_generate_opts_check(const lb_eval_generate_opts_t *o, lb_error_t *err) {
    if (o->greedy && (!isnan(o->temperature) || o->top_k >= 0 || !isnan(o->top_p)))
        BAD("--greedy takes no --temperature/--top-k/--top-p");
    return LB_OK;
}

/* Streams decoded text: each token decodes every generated id (HF TextStreamer does the same)
 * and hands on what is new, except while the text ends in U+FFFD: that is a UTF-8 character
 * whose remaining bytes are still to come, so it is held back until it completes (or the end).
 * Ids the tokenizer does not know are dropped first, as the sampler drops them from its text. */
typedef struct streamer {
    const lb_eval_generate_opts_t *o;
    const lb_tokenizer_t *tok;
    size_t printed;  /* bytes of the decoded text already handed on */
    int32_t *known;  /* (max_new,) the ids handed to the tokenizer */
    int32_t *ids;    /* (max_new,) the generated ids */
    int n_ids;
} streamer_t;

static int stream_token(void *user, size_t prompt, int index, const int32_t *ids, int n, int final,
                        lb_error_t *err) {
    streamer_t *s = user;
    (void)prompt, (void)index;
    memcpy(s->ids, ids, (size_t)n * sizeof *ids);
    s->n_ids = n;
    if (!s->o->on_text) return LB_OK;
    size_t nv = lb_tokenizer_vocab_size(s->tok), k = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && (size_t)ids[i] < nv) s->known[k++] = ids[i];
    char *text;
    size_t len;
    int rc = lb_tokenizer_decode(s->tok, s->known, k, 1, &text, &len, err);
    if (rc) return rc;
    int pending = len >= 3 && !memcmp(text + len - 3, "\xef\xbf\xbd", 3);
    if ((final || !pending) && len > s->printed) {
        rc = s->o->on_text(s->o->ctx, text + s->printed, len - s->printed, err);
        s->printed = len;
    }
    free(text);
    return rc;
}

void lb_eval_generate_result_free(lb_eval_generate_result_t *r) {
    free(r->ids);
    memset(r, 0, sizeof *r);
}

int lb_eval_generate(const lb_eval_generate_opts_t *o, lb_eval_generate_result_t *res, lb_error_t *err) {
    memset(res, 0, sizeof *res);
    if (!o || !o->model_dir || !o->prompt)
        return lb_error_set(err, LB_EINVAL, "generate: a model folder and a prompt are required");
    int rc = lb_eval_generate_opts_check(o, err);
    if (rc) return rc;
    lb_genconf_t gc;
    lb_tokenizer_t *tok = NULL;
    lb_model_t *m = NULL;
    int32_t *prompt_ids = NULL;
    streamer_t s = {.o = o};
    size_t n_prompt = 0;
    char tok_path[4096];
    lb_tokenizer_path(o->model_dir, o->tokenizer, tok_path, sizeof tok_path);
    if ((rc = lb_sample_genconf_read(o->model_dir, &gc, err)) ||
        (rc = lb_tokenizer_load_for_model(o->model_dir, o->tokenizer, &tok, err)) ||
        (rc = lb_tokenizer_encode(tok, o->prompt, strlen(o->prompt), 1, &prompt_ids, &n_prompt, err)) ||
        (rc = lb_model_load(o->model_dir, &(lb_model_options_t){.keep_file_dtype = 1}, &m, err)))
        goto done;
    const lb_model_config_t *cfg = lb_model_config(m);
    int V = cfg->vocab_size, ctx = cfg->max_position_embeddings;
    lb_warp_params_t wp = gc.warp;
    if (!isnan(o->temperature)) wp.temperature = o->temperature;
    if (o->top_k >= 0) wp.top_k = (int)o->top_k;
    if (!isnan(o->top_p)) wp.top_p = o->top_p;
    long max_new = o->max_new_tokens >= 0 ? o->max_new_tokens
                   : gc.max_new_tokens >= 0 ? gc.max_new_tokens
                                            : gc.max_length - (long)n_prompt;
    if (max_new < 0) max_new = 0;
    if (n_prompt == 0) {
        rc = lb_error_set(err, LB_EINVAL, "the prompt encodes to no tokens (the tokenizer adds "
                          "no start token): give a non-empty prompt");
        goto done;
    }
    if ((long)n_prompt > ctx) {
        rc = lb_error_set(err, LB_EINVAL, "the prompt is %zu tokens, longer than the model's "
                          "context (%d)", n_prompt, ctx);
        goto done;
    }
    if ((long)n_prompt + max_new > ctx) max_new = ctx - (long)n_prompt;
    for (size_t i = 0; i < n_prompt; i++)
        if (prompt_ids[i] < 0 || prompt_ids[i] >= V) {
            rc = lb_error_set(err, LB_EINVAL, "%s: token id %d of the prompt is outside the "
                              "model's vocabulary (%d)", tok_path, prompt_ids[i], V);
            goto done;
        }
    /* One prompt, one continuation: sample 0 keyed by (seed, id), or the greedy one. */
    lb_sampler_opts_t so = lb_sampler_defaults();
    so.warp = wp;
    so.n_samples = o->greedy ? 0 : 1;
    so.greedy_too = o->greedy;
    so.max_new_tokens = max_new;
    so.eos = gc.eos;
    so.n_eos = gc.n_eos;
    so.seed = o->seed;
    so.batch = 1;
    so.kv_budget = o->kv_budget;
    so.on_token = stream_token;
    lb_sampler_prompt_t sp = {o->id ? o->id : "0", prompt_ids, n_prompt};
    /* The memory plan, as `sample`'s (core.h): refused before the cache and the runner exist. */
    lb_mem_plan_t plan;
    lb_sampler_mem_plan(m, &sp, 1, &so, &plan);
    plan.scratch += 2.0 * ((double)max_new + 1) * sizeof(int32_t); /* the streamer's ids */
    if ((rc = lb_mem_plan_check(&plan, NULL, "lower --max-new-tokens or --kv-budget, or free "
                                "memory", NULL, err)))
        goto done;
    s.tok = tok;
    s.known = malloc(((size_t)max_new + 1) * sizeof *s.known);
    s.ids = malloc(((size_t)max_new + 1) * sizeof *s.ids);
    if (!s.known || !s.ids) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    if (max_new > 0 && (rc = lb_sampler_run(m, tok, &sp, 1, &so, NULL, NULL, &s, err))) goto done;
    res->ids = s.ids;
    res->n_ids = s.n_ids;
    res->n_prompt = n_prompt;
    s.ids = NULL;
done:
    lb_model_free(m);
    lb_tokenizer_free(tok);
    free(prompt_ids);
    free(s.known);
    free(s.ids);
    return rc;
}
