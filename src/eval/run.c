/* `eval`'s run as a library call: the greedy answer and n samples per item, each group scored
 * as it completes (one lb_score_batch call), handed to the caller, then bounded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

int lb_eval_result_init(lb_eval_result_t *r, const lb_eval_opts_t *o) {
    memset(r, 0, sizeof *r);
    r->metric = lb_metric_name(o->metric);
    r->opt = o->stats;
    size_t nt = o->n_thresholds < LB_EVAL_MAX_THRESHOLDS ? o->n_thresholds : LB_EVAL_MAX_THRESHOLDS;
    memcpy(r->thresholds, o->thresholds, nt * sizeof *r->thresholds);
    if (nt == 0) r->thresholds[nt++] = 0.5;
    r->opt.thresholds = r->thresholds;
    r->opt.n_thresholds = nt;
    r->opt.leak_threshold = isnan(o->leak_threshold)
                                ? lb_eval_default_leak_threshold(o->metric, &o->score)
                                : o->leak_threshold;
    r->harm_rate = o->harm_rate;
    r->n_plot = o->n_plot;
    r->score_opts = &o->score;
    r->ranks = 1;
    return LB_OK;
}

typedef struct run_state {
    lb_eval_result_t *r;
    const lb_eval_ctx_t *ctx;
    const lb_score_opts_t *so;
    lb_metric_t metric;
    lb_text_scorer_t *scorer;
    size_t *kw_len;              /* (max keywords,) */
    double *group;               /* (n + 1,) this group's scores */
    lb_score_item_t *items;      /* (n + 1,) this group's answers as lb_score_batch reads them */
    const lb_eval_hooks_t *hooks; /* the caller's: warn gets the judge's label warning */
} run_state_t;

/* Score a group (greedy and samples) in one lb_score_batch call: the reference is the item's
 * answer, its keywords, or (judge) its question as the user turn; keep the scores in r. With a
 * judge, the run's one label check (lb_judge_warn_once to the hooks' warn). */
static int score_group(void *self, size_t item, const lb_sample_result_t *res, int n_res,
                       const double **scores, lb_error_t *err) {
    run_state_t *s = self;
    lb_eval_result_t *r = s->r;
    const lb_data_item_t *it = &s->ctx->ds.items[item];
    const char *ref = s->metric == LB_METRIC_JUDGE ? it->question : it->answer ? it->answer : "";
    for (size_t k = 0; k < it->n_keywords; k++) s->kw_len[k] = strlen(it->keywords[k]);
    for (int i = 0; i < n_res; i++)
        s->items[i] = (lb_score_item_t){.text = res[i].text, .text_len = res[i].text_len,
                                        .ref = ref, .ref_len = strlen(ref),
                                        .kw = (const char *const *)it->keywords,
                                        .kw_len = s->kw_len, .n_kw = it->n_keywords};
    int rc = lb_score_batch(s->so, s->metric, s->scorer, s->items, (size_t)n_res, s->group, NULL,
                            err);
    if (rc) {
        if (s->metric == LB_METRIC_JUDGE) lb_error_prefix(err, "item '%s' (line %ld): judge", it->id, it->line);
        return rc;
    }
    if (s->metric == LB_METRIC_JUDGE) /* once the first group has been judged */
        lbi_eval_warn_judge(s->hooks, s->so->judge, &r->judge_mass_checked);
    for (int i = 0; i < n_res; i++) {
        if (res[i].index < 0)
            r->greedy[item] = s->group[i];
        else
            r->scores[item * (size_t)r->n + (size_t)res[i].index] = s->group[i];
    }
    r->n_done++;
    *scores = s->group;
    return LB_OK;
}

int lb_eval_run(lb_eval_ctx_t *ctx, const lb_eval_opts_t *o, const lb_eval_hooks_t *hooks,
                lb_eval_result_t *r, lb_error_t *err) {
    if (ctx->opts.n_samples < 1)
        return lb_error_set(err, LB_EINVAL, "the bounds need at least one sample per question");
    int rc = lb_eval_check_items(ctx, o->metric, err);
    if (!rc) rc = lbi_eval_items_from_ctx(r, ctx, err);
    if (rc) return rc;
    ctx->opts.greedy_too = 1;
    r->sampling = &ctx->opts;
    r->template_name = lb_template_name(ctx->tmpl);
    r->n = ctx->opts.n_samples;
    if (o->metric == LB_METRIC_JUDGE && o->score.judge && !r->judge) {
        r->judge = o->score.judge;
        r->judge_dir = o->judge_dir;
        if ((rc = lb_judge_sha256(o->score.judge, r->judge_sha256, err))) return rc;
    }
    run_state_t s = {.r = r, .ctx = ctx, .so = &o->score, .metric = o->metric, .hooks = hooks};
    size_t max_kw = 1, np = ctx->n_items, n = (size_t)r->n;
    for (size_t i = 0; i < np; i++)
        if (ctx->ds.items[i].n_keywords > max_kw) max_kw = ctx->ds.items[i].n_keywords;
    r->scores = malloc(np * n * sizeof *r->scores);
    r->greedy = malloc(np * sizeof *r->greedy);
    s.group = malloc((n + 1) * sizeof *s.group);
    s.kw_len = malloc(max_kw * sizeof *s.kw_len);
    s.items = malloc((n + 1) * sizeof *s.items);
    if (!r->scores || !r->greedy || !s.group || !s.kw_len || !s.items)
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < np; i++) r->greedy[i] = NAN;
    for (size_t i = 0; !rc && i < np * n; i++) r->scores[i] = NAN;
    if (!rc) rc = lb_text_scorer_new(&s.scorer, err);
    if (!rc) {
        lb_eval_drive_t d = {.hooks = hooks, .score = score_group, .self = &s};
        rc = lbi_eval_drive(&d, ctx, ctx->prompts, np, err);
    }
    /* the bounds where every group arrived (a distributing sampler delivers them to one
       process; the others only sampled) */
    if (!rc && r->n_done == np) rc = lb_eval_bounds(r, err);
    free(s.group);
    free(s.kw_len);
    free(s.items);
    lb_text_scorer_free(s.scorer);
    return rc;
}
