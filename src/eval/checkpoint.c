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

int lb_eval_check_prepare(lb_eval_check_t *c, const char *data, const char *metric,
                          long max_new, const char *template_spec, lb_error_t *err) {
    memset(c, 0, sizeof *c);
    lb_eval_opts_default(&c->eo);
    c->data = c->eo.data = data;
    c->eo.tmpl = template_spec ? template_spec : "phi"; /* the run's own default */
    c->eo.n = 0; /* greedy answers only */
    if (max_new) c->eo.have_max_new = 1, c->eo.max_new = max_new;
    int rc = lb_metric_parse(metric ? metric : "rougeL-recall", &c->eo.metric, err);
    if (!rc) c->metric = lb_metric_name(c->eo.metric);
    if (!rc) rc = lb_eval_check_data(data, c->eo.metric, err);
    if (rc) lb_error_prefix(err, "--eval-data");
    return rc;
}

int lb_eval_check_run(void *ctx, long step, const char *model_dir, double *greedy,
                      lb_error_t *err) {
    lb_eval_check_t *c = ctx;
    lb_eval_checkpoint_summary_t sum;
    int rc = lb_eval_checkpoint(model_dir, &c->eo, &sum, err);
    if (rc) {
        lb_error_prefix(err, "the greedy check after step %ld", step);
        return rc;
    }
    *greedy = sum.greedy;
    if (c->on_check) c->on_check(c->ctx, step, *greedy);
    return 0;
}
