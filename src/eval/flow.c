/* The flows of `leakbound eval` and `eval --samples FILE`, once each, and the rule of which
 * flags apply to which: what the CLI (with its MPI transport) and lb_eval_job_eval both run.
 * Nothing here prints; the caller's hooks do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/eval.h"
#include "leakbound/text.h"
#include "eval_internal.h"

#define BAD(...) return lb_error_set(err, LB_EINVAL, __VA_ARGS__)

/* Everything before the ranks meet: the checks, the judge (rank 0), lb_eval_load. */
static int flow_setup(lb_eval_flow_t *f, lb_eval_opts_t *o, lb_eval_ctx_t *ctx,
                      lb_eval_result_t *r, lb_error_t *err) {
    lb_eval_default_strip(o, f->strip_given);
    if (!f->metric_given) BAD("--metric M is required");
    if (!f->out_dir) BAD("--out DIR is required");
    if (o->n == 0) BAD("-n: the bounds need at least one sample per question");
    if (f->harm_given && o->metric != LB_METRIC_JUDGE)
        BAD("--harm-rate applies to --metric judge only");
    char judge_sha[65] = "";
    int rc;
    if (o->metric == LB_METRIC_JUDGE && f->rank == 0) { /* only rank 0 scores */
        if (!f->judge_dir) BAD("--metric judge needs --judge DIR (the judge model)");
        f->stage = LB_EVAL_FLOW_JUDGE;
        if ((rc = lb_judge_open(f->judge_dir, &f->judge_opts, &f->judge, err))) return rc;
        f->stage = LB_EVAL_FLOW_CHECK;
        if ((rc = lb_judge_sha256(f->judge, judge_sha, err))) {
            lb_error_prefix(err, "--judge");
            return rc == LB_ENOMEM ? rc : LB_EINVAL;
        }
        o->score.judge = f->judge;
        o->judge_dir = f->judge_dir;
    }
    o->greedy_too = 1;
    lb_eval_result_init(r, o);
    r->ranks = f->ranks;
    if (f->judge) { /* the judge as the reports name it */
        r->judge = f->judge;
        r->judge_dir = f->judge_dir;
        memcpy(r->judge_sha256, judge_sha, sizeof judge_sha);
    }
    if (!o->model) BAD("--model DIR is required");
    if (!o->data) BAD("--data FILE is required");
    if (o->n < 0) BAD("-n N is required");
    f->stage = LB_EVAL_FLOW_LOAD;
    if ((rc = lb_eval_load(o, ctx, err))) return rc;
    lbi_eval_warn_data(f->hooks.warn, f->hooks.user, &ctx->ds, o->data);
    return f->loaded ? f->loaded(f->hooks.user, ctx, err) : 0;
}

void lbi_eval_warn_data(lb_judge_warn_fn warn, void *user, const lb_dataset_t *ds,
                        const char *path) {
    char msg[4096 + 128];
    if (warn && lb_data_lenient_warning(ds, path, msg, sizeof msg)) warn(user, msg);
}

static json_t *provenance(const lb_eval_flow_t *f, const char *model, const char *model_sha,
                          const char *data, const char *data_sha, lb_error_t *err) {
    if (f->provenance) return f->provenance(f->hooks.user, model, model_sha, data, data_sha, err);
    return lb_eval_provenance(f->argc, f->argv, model, model_sha, data, data_sha, err);
}

/* Rank 0 before the run: provenance, the temporary folder and its samples.jsonl. */
static int flow_open(lb_eval_flow_t *f, const lb_eval_opts_t *o, lb_eval_ctx_t *ctx,
                     lb_eval_result_t *r, lb_io_dir_t *out, lb_atomic_file_t *sf, char *path,
                     size_t path_size, lb_error_t *err) {
    r->provenance = provenance(f, o->model, ctx->model_sha256, o->data, ctx->data_sha256, err);
    if (!r->provenance) return err->code ? err->code : LB_ENOMEM;
    if (o->tokenizer) { /* the tokenizer loaded (model_sha256 covers its bytes) */
        char tok[4096];
        lb_tokenizer_path(o->model, o->tokenizer, tok, sizeof tok);
        if (json_object_set_new(r->provenance, "tokenizer", json_string(tok)))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    int rc = lb_io_dir_begin(out, f->out_dir, lb_eval_out_files, f->io_flags, err);
    if (out->path) snprintf(f->tmp_dir, sizeof f->tmp_dir, "%s", out->path);
    if (rc) {
        if (rc == LB_EINVAL) lb_error_prefix(err, "--out");
        return rc;
    }
    r->out_dir = out->path; /* every file is written into the temporary folder */
    snprintf(path, path_size, "%s/samples.jsonl", out->path);
    return lb_atomic_open(sf, path, err);
}

int lb_eval_flow_run(lb_eval_flow_t *f, lb_eval_opts_t *o, lb_eval_ctx_t *ctx,
                     lb_eval_result_t *r, lb_error_t *err) {
    memset(ctx, 0, sizeof *ctx);
    memset(r, 0, sizeof *r);
    f->judge = NULL;
    f->tmp_dir[0] = 0;
    f->stage = LB_EVAL_FLOW_CHECK;
    int rc = flow_setup(f, o, ctx, r, err);
    if (rc) return rc;
    f->stage = LB_EVAL_FLOW_RUN;
    int root = f->rank == 0, opened = 0;
    lb_io_dir_t out = {0};
    lb_atomic_file_t sf;
    char path[4096];
    lb_eval_writer_t w = {.ctx = ctx, .verbose = o->verbose, .fd = -1, .file = &sf, .path = path};
    lbi_eval_chain_t run = {.hooks = &f->hooks, .w = &w};
    rc = lb_eval_check_items(ctx, o->metric, err);
    if (f->ready) rc = f->ready(f->hooks.user, rc, ctx, o, err);
    if (!rc && root) {
        rc = flow_open(f, o, ctx, r, &out, &sf, path, sizeof path, err);
        opened = !rc;
    }
    if (f->go) rc = f->go(f->hooks.user, rc); /* rank 0's outcome, on every rank */
    if (!rc) {
        lb_eval_hooks_t hooks = lbi_eval_chain_hooks(&run, root);
        rc = lb_eval_run(ctx, o, &hooks, r, err);
    }
    if (root) {
        if (!rc) rc = lb_eval_write_reports(r, err);
        if (!rc) {
            opened = 0;
            rc = lb_atomic_commit(&sf, err);
        }
        if (!rc) rc = lb_io_dir_commit(&out, err);
    }
    if (opened) lb_atomic_abort(&sf);
    lb_io_dir_abort(&out);
    r->out_dir = NULL;
    free(w.buf);
    return rc;
}

int lb_eval_flag_scope(const char *flag) {
    static const char *const sampling[] = {
        "model", "tokenizer", "template", "n", "limit", "temperature", "top-k", "top-p", "min-p",
        "max-length", "max-new-tokens", "stop", "seed", "batch", "kv-budget",
        "adaptive-temperature", "confidence", "confidence-threshold", "low-temperature",
        "greedy-too", NULL};
    static const char *const samples[] = {"text-field", "id-field", "reference-field",
                                          "keywords-field", "prompt-field", "greedy-field",
                                          "allow-duplicates", NULL};
    for (int i = 0; flag && sampling[i]; i++)
        if (!strcmp(flag, sampling[i])) return LB_EVAL_FLAG_SAMPLING;
    for (int i = 0; flag && samples[i]; i++)
        if (!strcmp(flag, samples[i])) return LB_EVAL_FLAG_SAMPLES;
    return LB_EVAL_FLAG_BOTH;
}

int lb_eval_samples_check(const char *samples, const char *sampling_flag,
                          const char *samples_flag, lb_error_t *err) {
    if (samples && sampling_flag)
        BAD("%s does not apply to --samples FILE (the answers are the file's; nothing is "
            "sampled)", sampling_flag);
    if (!samples && samples_flag) BAD("%s needs --samples FILE", samples_flag);
    return 0;
}

/* --samples before its run: the checks, the score settings, the judge (rank 0). */
static int samples_setup(lb_eval_flow_t *f, const lb_eval_opts_t *o,
                         const lb_eval_samples_opts_t *so, lb_score_cfg_t *cfg, lb_error_t *err) {
    if (!f->metric_given) BAD("--metric M is required");
    if (!f->out_dir) BAD("--out DIR is required");
    if (f->rank != 0) return 0;
    *cfg = (lb_score_cfg_t){.metric = o->metric, .prompt_field = so->prompt_field,
                            .text_field = so->text_field ? so->text_field : "text",
                            .id_field = so->id_field ? so->id_field : "id", .path = so->path,
                            .opts = o->score};
    lb_score_set_field(cfg, so->reference_field, so->keywords_field);
    if (o->metric != LB_METRIC_JUDGE) return 0;
    if (!f->judge_dir) BAD("--metric judge needs --judge DIR (the judge model)");
    f->stage = LB_EVAL_FLOW_JUDGE;
    int rc = lb_judge_open(f->judge_dir, &f->judge_opts, &f->judge, err);
    cfg->opts.judge = f->judge;
    return rc;
}

int lb_eval_flow_samples(lb_eval_flow_t *f, const lb_eval_opts_t *o,
                         const lb_eval_samples_opts_t *so, lb_eval_result_t *r, lb_error_t *err) {
    lb_io_dir_t out = {0};
    lb_score_cfg_t cfg;
    lb_eval_result_init(r, o);
    f->judge = NULL;
    f->tmp_dir[0] = 0;
    f->stage = LB_EVAL_FLOW_CHECK;
    int rc = samples_setup(f, o, so, &cfg, err);
    if (rc || f->rank != 0) return rc;
    f->stage = LB_EVAL_FLOW_RUN;
    r->samples_path = so->path;
    rc = (r->provenance = provenance(f, NULL, NULL, so->data_path, NULL, err)) ? 0 : err->code;
    if (!rc && (rc = lb_io_dir_begin(&out, f->out_dir, lb_eval_out_files, f->io_flags, err)) ==
                   LB_EINVAL)
        lb_error_prefix(err, "--out");
    if (!rc) {
        r->out_dir = out.path;
        snprintf(f->tmp_dir, sizeof f->tmp_dir, "%s", out.path);
        rc = lbi_eval_from_samples(r, &cfg, so, &f->hooks, err);
        /* the judge has scored every line (or failed on one) */
        if (cfg.metric == LB_METRIC_JUDGE && cfg.opts.judge)
            lb_judge_warn_once(cfg.opts.judge, &r->judge_mass_checked, f->hooks.warn,
                               f->hooks.user);
        lb_dataset_t ds = {.n_lenient = r->data_n_lenient, .lenient_line = r->data_lenient_line};
        lbi_eval_warn_data(f->hooks.warn, f->hooks.user, &ds, so->data_path);
    }
    if (!rc) rc = lb_eval_bounds(r, err);
    if (!rc) rc = lb_eval_write_reports(r, err);
    if (!rc) rc = lb_io_dir_commit(&out, err);
    lb_io_dir_abort(&out);
    r->out_dir = NULL;
    return rc;
}

void lb_eval_flow_free(lb_eval_flow_t *f) {
    if (!f) return;
    lb_judge_free(f->judge);
    f->judge = NULL;
}
