/* Loading a run: model, tokenizer, data set, template, the rendered and encoded prompts and the
 * effective sampler settings (generation_config.json, then the options). Nothing is printed:
 * the caller shows the error and the memory plan. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

void lb_eval_ctx_free(lb_eval_ctx_t *ctx) {
    if (ctx->prompt_text)
        for (size_t i = 0; i < ctx->n_items; i++) free(ctx->prompt_text[i]);
    if (ctx->ids)
        for (size_t i = 0; i < ctx->n_items; i++) free(ctx->ids[i]);
    free(ctx->prompt_text);
    free(ctx->ids);
    free(ctx->prompts);
    lb_dataset_free(&ctx->ds);
    lb_template_free(ctx->tmpl);
    lb_model_free(ctx->m);
    lb_tokenizer_free(ctx->tok);
    memset(ctx, 0, sizeof *ctx);
}

static int cmp_str(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Ids key the random draws and --resume, so two items may not share one. */
static int check_unique_ids(lb_eval_ctx_t *ctx, lb_error_t *err) {
    const char **k = malloc((ctx->n_items + 1) * sizeof *k);
    if (!k) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < ctx->n_items; i++) k[i] = ctx->ds.items[i].id;
    qsort(k, ctx->n_items, sizeof *k, cmp_str);
    int rc = 0;
    for (size_t i = 1; i < ctx->n_items && !rc; i++)
        if (!strcmp(k[i - 1], k[i]))
            rc = lb_error_set(err, LB_EINVAL, "id '%s' is used by more than one item (ids key the "
                              "random draws and --resume: make them unique)", k[i]);
    free(k);
    return rc;
}

/* lb_model_sha256 of the model folder with the tokenizer files actually loaded: with a
 * tokenizer option, its tokenizer.json and the tokenizer_config.json of cfg_dir (the chat
 * template's folder) stand in for the folder's, so the hash (and sample --resume's check of
 * it) covers them. */
static int model_hash(const lb_eval_opts_t *a, const char *cfg_dir, char hex[65], lb_error_t *err) {
    if (!a->tokenizer) return lb_model_sha256(a->model, hex, err);
    char tok[4096], cfg[4200];
    lb_tokenizer_path(a->model, a->tokenizer, tok, sizeof tok);
    snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", cfg_dir);
    return lb_model_sha256_with(a->model, tok, cfg, hex, err);
}

/* The effective sampler settings: generation_config.json, then what o gives. */
static void sampler_opts(const lb_eval_opts_t *a, lb_eval_ctx_t *ctx) {
    lb_sampler_opts_t *o = &ctx->opts;
    *o = lb_sampler_defaults();
    o->warp = ctx->gc.warp;
    if (a->have_T) o->warp.temperature = a->T;
    if (a->have_k) o->warp.top_k = (int)a->k;
    if (a->have_p) o->warp.top_p = a->p;
    o->min_p = a->min_p;
    o->n_samples = (int)a->n;
    o->max_new_tokens = a->have_max_new ? a->max_new : a->have_max_len ? -1 : ctx->gc.max_new_tokens;
    o->max_length = a->have_max_len ? a->max_len : ctx->gc.max_length;
    o->eos = ctx->gc.eos;
    o->n_eos = ctx->gc.n_eos;
    o->stop = a->stop;
    o->n_stop = a->n_stop;
    o->seed = (uint64_t)a->seed;
    o->batch = (int)a->batch;
    o->kv_budget = a->kv_budget;
    o->adaptive = a->adaptive;
    o->confidence = a->confidence;
    o->confidence_threshold = a->conf_thr;
    o->low_temperature = a->low_T;
    o->record_temperatures = a->verbose;
}

int lb_eval_load(const lb_eval_opts_t *a, lb_eval_ctx_t *ctx, lb_error_t *err) {
    memset(ctx, 0, sizeof *ctx);
    if (!a->model) return lb_error_set(err, LB_EINVAL, "the model folder is required");
    if (!a->data) return lb_error_set(err, LB_EINVAL, "the data file is required");
    if (a->n < 0) return lb_error_set(err, LB_EINVAL, "the number of samples is required");
    if (a->threads > 0) omp_set_num_threads((int)a->threads);
    char cfg_dir[4096];
    int rc;
    lb_tokenizer_config_dir(a->model, a->tokenizer, cfg_dir, sizeof cfg_dir);
    if ((rc = lb_sample_genconf_read(a->model, &ctx->gc, err)) ||
        (rc = lb_data_load(a->data, a->format, &ctx->ds, err)) ||
        (rc = lb_tokenizer_load_for_model(a->model, a->tokenizer, &ctx->tok, err)) ||
        (rc = lb_template_open(a->tmpl, cfg_dir, &ctx->tmpl, err)) ||
        (rc = lb_model_load(a->model, &(lb_model_options_t){.keep_file_dtype = 1}, &ctx->m,
                            err)) ||
        (rc = model_hash(a, cfg_dir, ctx->model_sha256, err)))
        goto fail;
    memcpy(ctx->data_sha256, ctx->ds.sha256, sizeof ctx->data_sha256);
    ctx->n_items = ctx->ds.n;
    if (a->limit > 0 && (size_t)a->limit < ctx->n_items) ctx->n_items = (size_t)a->limit;
    if (ctx->n_items == 0) {
        rc = lb_error_set(err, LB_EINVAL, "%s: no questions", a->data);
        goto fail;
    }
    if ((rc = check_unique_ids(ctx, err))) goto fail;
    ctx->prompt_text = calloc(ctx->n_items, sizeof *ctx->prompt_text);
    ctx->ids = calloc(ctx->n_items, sizeof *ctx->ids);
    ctx->prompts = calloc(ctx->n_items, sizeof *ctx->prompts);
    if (!ctx->prompt_text || !ctx->ids || !ctx->prompts) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto fail;
    }
    int add_special = strcmp(a->tmpl, "chat") != 0;
    for (size_t i = 0; i < ctx->n_items; i++) {
        const lb_data_item_t *it = &ctx->ds.items[i];
        size_t n = 0;
        if ((rc = lb_template_render_item(ctx->tmpl, it->question, it->prefix, &ctx->prompt_text[i],
                                          err)) ||
            (rc = lb_tokenizer_encode(ctx->tok, ctx->prompt_text[i], strlen(ctx->prompt_text[i]),
                                      add_special, &ctx->ids[i], &n, err))) {
            lb_error_prefix(err, "%s:%ld: item '%s'", a->data, it->line, it->id);
            goto fail;
        }
        ctx->prompts[i] = (lb_sampler_prompt_t){it->id, ctx->ids[i], n};
    }
    sampler_opts(a, ctx);
    if ((rc = lb_sampler_check(&ctx->opts, err)) || (rc = lbi_eval_memory_plan(ctx, err))) goto fail;
    ctx->opts.greedy_too = a->greedy_too;
    return LB_OK;
fail:
    lb_eval_ctx_free(ctx);
    return rc;
}

int lb_eval_check_items(const lb_eval_ctx_t *ctx, lb_metric_t m, lb_error_t *err) {
    for (size_t i = 0; i < ctx->n_items; i++) {
        const lb_data_item_t *it = &ctx->ds.items[i];
        if (m == LB_METRIC_KEYWORDS && it->n_keywords == 0)
            return lb_error_set(err, LB_EINVAL, "item '%s' (line %ld) has no keywords for "
                                "--metric keywords", it->id, it->line);
        if (m != LB_METRIC_KEYWORDS && m != LB_METRIC_JUDGE && !it->answer)
            return lb_error_set(err, LB_EINVAL, "item '%s' (line %ld) has no answer for --metric "
                                "%s", it->id, it->line, lb_metric_name(m));
    }
    return LB_OK;
}
