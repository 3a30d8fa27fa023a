/* The sampler between the hooks: each finished group goes through the run's scoring (eval) to
 * the caller's group hook; a hook's stop request ends the run with LB_ECANCELED. */
#include "eval_internal.h"

static int stopped(lb_error_t *err) {
    return lb_error_set(err, LB_ECANCELED, "stopped by the caller");
}

static int emit(void *user, size_t prompt, const lb_sample_result_t *res, int n_res,
                lb_error_t *err) {
    lb_eval_drive_t *d = user;
    if (d->stop) return stopped(err);
    size_t item = d->items ? d->items[prompt] : prompt;
    const double *scores = NULL;
    int rc = d->score ? d->score(d->self, item, res, n_res, &scores, err) : 0;
    if (rc) return rc;
    if (d->hooks && d->hooks->group) {
        rc = d->hooks->group(d->hooks->user, item, res, n_res, scores, err);
        if (rc > 0) {
            d->stop = 1;
            return stopped(err);
        }
    }
    return rc;
}

static void progress(void *user, const lb_sampler_progress_t *p) {
    lb_eval_drive_t *d = user;
    if (!d->hooks || !d->hooks->progress || d->stop) return; /* no calls after a stop */
    /* the run's totals, rates and ETA, also when the sampler is a transport's (the job's
       prompts_total) */
    lb_sampler_progress_t q = *p;
    lb_sampler_progress_derive(&q, d->n_res);
    if (d->hooks->progress(d->hooks->user, &q)) d->stop = 1;
}

int lbi_eval_drive(lb_eval_drive_t *d, const lb_eval_ctx_t *ctx, const lb_sampler_prompt_t *prompts,
                  size_t n_prompts, lb_error_t *err) {
    lb_eval_sampler_fn run = d->hooks && d->hooks->sampler ? d->hooks->sampler : lb_sampler_run;
    d->stop = 0;
    d->n_res = ctx->opts.n_samples + (ctx->opts.greedy_too ? 1 : 0);
    int rc = run(ctx->m, ctx->tok, prompts, n_prompts, &ctx->opts, emit, progress, d, err);
    if (!rc && d->stop) rc = stopped(err);
    return rc;
}
