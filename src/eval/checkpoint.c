/* A model folder's evaluation reduced to its means (leakbound/eval_checkpoint.h): what
 * finetune/unlearn's checks, the demo and Python need without report files. */
#include <math.h>
#include <string.h>

#include "leakbound/eval_checkpoint.h"

int lb_eval_checkpoint(const char *model_dir, const lb_eval_opts_t *o,
                       lb_eval_checkpoint_summary_t *out, lb_error_t *err) {
    if (o->n < 0) return lb_error_set(err, LB_EINVAL, "samples per question: want >= 0, got %ld", o->n);
    lb_eval_opts_t a = *o;
    a.model = model_dir;
    a.n = o->n ? o->n : 1; /* the bounds need one sample; not reported with o->n == 0 */
    a.greedy_too = 1;
    lb_eval_default_strip(&a, a.score.n_strip > 0); /* `eval`'s rule */
    lb_eval_ctx_t ctx;
    lb_eval_result_t r;
    lb_eval_result_init(&r, &a);
    int rc = lb_eval_load(&a, &ctx, err);
    if (rc) return rc;
    rc = lb_eval_run(&ctx, &a, &(lb_eval_hooks_t){0}, &r, err);
    if (!rc) {
        size_t P = r.n_items, n = (size_t)o->n;
        double g = 0, s = 0, mu = 0;
        for (size_t p = 0; p < P; p++) g += r.greedy[p];
        for (size_t i = 0; i < P * n; i++) s += r.scores[i];
        for (size_t p = 0; n && p < P; p++) mu += r.res[p].M_mu;
        out->n_items = P;
        out->n = o->n;
        out->greedy = g / (double)P;
        out->sampled = n ? s / (double)(P * n) : NAN;
        out->M_mu = n ? mu / (double)P : NAN;
    }
    lb_eval_result_free(&r);
    lb_eval_ctx_free(&ctx);
    return rc;
}

int lb_eval_check_data(const char *path, lb_metric_t m, lb_error_t *err) {
    lb_dataset_t ds;
    memset(&ds, 0, sizeof ds);
    int rc = lb_data_load(path, LB_DATA_AUTO, &ds, err);
    if (rc) return rc;
    int kw = m == LB_METRIC_KEYWORDS;
    for (size_t i = 0; !rc && m != LB_METRIC_JUDGE && i < ds.n; i++) {
        const lb_data_item_t *it = &ds.items[i];
        if (kw ? it->n_keywords == 0 : !it->answer)
            rc = lb_error_set(err, LB_EINVAL, "%s: item '%s' (line %ld) has no %s for metric %s", path,
                              it->id, it->line, kw ? "keywords" : "answer", lb_metric_name(m));
    }
    if (!rc && !ds.n) rc = lb_error_set(err, LB_EINVAL, "%s holds no questions", path);
    lb_dataset_free(&ds);
    return rc;
}
