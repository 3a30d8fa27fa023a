/* The demo's evaluations as eval-module calls (include/leakbound/eval.h): the settings the demo
 * always used (docs/demo.md), the run, and the reports written into the step's eval folder. The
 * reports name the final paths (demo_provenance); what the demo takes from a run (means, a
 * row's numbers, the alignment counts) comes from its lb_eval_result_t and group hook through
 * a demo_eval_sink_t, never from the files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_internal.h"
#include "leakbound/eval.h"
#include "leakbound/io.h"
#include "leakbound/judge.h"

/* The names an eval folder holds: the set a new eval replaces as a whole. */
static const char *const eval_files[] = {"samples.jsonl", "report.json", "report.md",
                                         "density.svg", "ecdf.svg", "ed.svg", NULL};

/* req's options: eval's defaults and what the request sets (docs/demo.md, 'Evaluations'). */
static void req_opts(const demo_eval_req_t *r, lb_eval_opts_t *a) {
    lb_eval_opts_default(a);
    a->model = r->model_dir;
    a->data = r->data_path;
    a->tmpl = r->template_spec;
    a->n = r->n;
    a->greedy_too = 1;
    a->have_max_new = 1;
    a->max_new = r->max_new;
    if (r->kind == DEMO_EVAL_JUDGE) {
        a->metric = LB_METRIC_JUDGE;
        a->harm_rate = r->harm_rate;
        a->stats.alpha = r->alpha;
        a->have_T = 1, a->T = 1;
        a->have_p = 1, a->p = 1;
        a->have_k = 1, a->k = 0;
        a->seed = (unsigned long long)r->seed;
    } else {
        a->metric = LB_METRIC_ROUGEL_RECALL;
        a->stats.alpha = r->alpha;
        a->have_T = 1, a->T = r->temperature;
        a->have_p = 1, a->p = r->top_p;
        a->have_k = 1, a->k = 0;
        a->seed = (unsigned long long)r->seed;
        a->thresholds[a->n_thresholds++] = r->leak_threshold;
        a->leak_threshold = r->leak_threshold;
        a->limit = r->limit > 0 ? r->limit : 0;
        if (r->adaptive) a->adaptive = 1, a->conf_thr = r->confidence_threshold;
    }
    a->score = lb_score_opts_default();
    lb_eval_default_strip(a, 0);
}

typedef struct {
    lb_eval_writer_t w;
    int writing;
    const demo_eval_sink_t *sink;
} group_ctx_t;

/* Each group: samples.jsonl's lines first (when the eval writes files), then the sink's hook. */
static int on_group(void *user, size_t item, const lb_sample_result_t *res, int n_res, const double *scores,
                    lb_error_t *err) {
    group_ctx_t *g = user;
    int rc = g->writing ? lb_eval_write_group(&g->w, item, res, n_res, scores, err) : 0;
    if (!rc && g->sink && g->sink->group) rc = g->sink->group(g->sink->user, item, res, n_res, scores, err);
    return rc;
}

int demo_eval_sink(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, const demo_eval_sink_t *sink,
                   lb_error_t *err) {
    lb_eval_opts_t a;
    req_opts(req, &a);
    lb_eval_result_t e;
    lb_eval_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    lb_judge_t *judge = NULL;
    lb_io_dir_t out = {0};
    lb_atomic_file_t samples_file;
    int opened = 0;
    char path[4300], fin_judge[4300];
    group_ctx_t g = {.w = {.ctx = &ctx, .fd = -1}, .sink = sink};
    int rc = 0;
    if (req->kind == DEMO_EVAL_JUDGE) {
        lb_judge_opts_t jo = {.tmpl = req->judge_template, .labels = req->judge_labels};
        if (!(rc = lb_judge_open(req->judge_dir, &jo, &judge, err))) a.score.judge = judge;
    }
    lb_eval_result_init(&e, &a);
    if (!rc && judge) { /* the judge as the reports name it: its final folder */
        e.judge = judge;
        e.judge_dir = demo_final_path(d, req->judge_dir, fin_judge, sizeof fin_judge);
        rc = lb_judge_sha256(judge, e.judge_sha256, err);
    }
    if (!rc) rc = lb_eval_load(&a, &ctx, err);
    if (!rc) {
        const lb_eval_memplan_t *p = &ctx.plan;
        demo_log(d, s, "eval: %zu questions, n %ld, memory plan %.3g MB, %d thread%s, kernels %s", ctx.n_items,
                 a.n, p->total / 1e6, p->threads, p->threads == 1 ? "" : "s", p->kernels);
    }
    if (!rc) rc = lb_eval_check_items(&ctx, a.metric, err);
    if (!rc && sink && sink->begin) rc = sink->begin(sink->user, ctx.n_items, ctx.opts.n_samples, err);
    if (!rc && req->out_dir) {
        /* the reports name the final paths: the demo's provenance (demo_provenance) */
        if (!(e.provenance = demo_provenance(d, req->model_dir, req->data_path, err))) rc = err->code;
        if (!rc) rc = lb_io_dir_begin(&out, req->out_dir, eval_files, LB_IO_NOLOCK, err);
        if (!rc) {
            e.out_dir = out.path;
            snprintf(path, sizeof path, "%s/samples.jsonl", e.out_dir);
            if (!(rc = lb_atomic_open(&samples_file, path, err))) {
                opened = 1;
                g.writing = 1;
                g.w.file = &samples_file;
                g.w.path = path;
            }
        }
    }
    if (!rc) rc = lb_eval_run(&ctx, &a, &(lb_eval_hooks_t){.user = &g, .group = on_group}, &e, err);
    if (!rc && e.n_done != e.n_items)
        rc = lb_error_set(err, LB_EINVAL, "the eval ended with %zu of %zu questions answered", e.n_done, e.n_items);
    if (!rc && sink && sink->result) rc = sink->result(sink->user, &e, err);
    if (!rc && req->out_dir) {
        rc = lb_eval_write_reports(&e, err);
        if (!rc) {
            opened = 0;
            rc = lb_atomic_commit(&samples_file, err);
        }
        if (!rc) rc = lb_io_dir_commit(&out, err);
    }
    if (opened) lb_atomic_abort(&samples_file);
    lb_io_dir_abort(&out);
    free(g.w.buf);
    lb_eval_ctx_free(&ctx);
    lb_eval_result_free(&e);
    lb_judge_free(judge);
    return rc;
}

/* demo_eval_means' outputs, taken from the run's result. */
typedef struct {
    double *greedy_mean, *mean, *m_mu;
} means_t;

static int means_result(void *user, const lb_eval_result_t *e, lb_error_t *err) {
    (void)err;
    means_t *m = user;
    if (m->greedy_mean) { /* summed in item order, divided by their number */
        double sum = 0;
        for (size_t p = 0; p < e->n_items; p++) sum += e->greedy[p];
        *m->greedy_mean = e->n_items ? sum / (double)e->n_items : NAN;
    }
    if (m->mean || m->m_mu) {
        double sm = 0, su = 0, inv = e->n_items ? 1.0 / (double)e->n_items : NAN;
        for (size_t p = 0; p < e->n_items; p++) sm += e->res[p].mean, su += e->res[p].M_mu;
        if (m->mean) *m->mean = sm * inv;
        if (m->m_mu) *m->m_mu = su * inv;
    }
    return 0;
}

int demo_eval_means(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, double *greedy_mean,
                    double *mean, double *m_mu, lb_error_t *err) {
    means_t m = {greedy_mean, mean, m_mu};
    demo_eval_sink_t sink = {.user = &m, .result = means_result};
    return demo_eval_sink(d, s, req, &sink, err);
}

int demo_eval_in(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, double *greedy_mean,
                 lb_error_t *err) {
    return demo_eval_means(d, s, req, greedy_mean, NULL, NULL, err);
}

int demo_eval(lb_demo_result_t *d, const char *step, const demo_eval_req_t *req, int quiet, double *greedy_mean,
              lb_error_t *err) {
    demo_step_t s;
    demo_step_begin(d, &s, step, quiet ? DEMO_QUIET : 0);
    int rc = demo_eval_in(d, &s, req, greedy_mean, err);
    return demo_step_end(d, &s, rc, err, NULL);
}
