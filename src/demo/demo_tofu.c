/* The demo's TOFU step: TOFU's metrics of every model (docs/tofu.md) by calling the tofu module
 * directly: forget quality against the retain model, model utility, forget truth ratio. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "demo_internal.h"
#include "leakbound/tofu.h"

int demo_tofu(lb_demo_result_t *d, const char *model, const char *eval_dir, lb_demo_tofu_t *t, lb_error_t *err) {
    char model_dir[1024], ref_dir[1024], forget[1024], retain[1024], out[1024], label[96];
    snprintf(model_dir, sizeof model_dir, "%s/models/%s", d->out, model);
    snprintf(ref_dir, sizeof ref_dir, "%s/models/%s", d->out, LB_DEMO_RETAIN_MODEL);
    snprintf(forget, sizeof forget, "%s/data/forget10.jsonl", d->out);
    snprintf(retain, sizeof retain, "%s/data/retain90.jsonl", d->out);
    snprintf(t->dir, sizeof t->dir, "%s/tofu", eval_dir);
    snprintf(label, sizeof label, "tofu-%s", eval_dir);
    demo_step_t s;
    demo_step_begin(d, &s, label, 0);
    snprintf(out, sizeof out, "%s/eval/%s", d->out, eval_dir);
    mkdir(out, 0755);
    snprintf(out, sizeof out, "%s/eval/%s", d->out, t->dir);
    if (mkdir(out, 0755) && errno != EEXIST)
        return demo_step_end(d, &s, lb_error_set(err, LB_EIO, "cannot create %s: %s", out, strerror(errno)), err,
                             NULL);
    t->forget_quality = t->model_utility = t->forget_truth_ratio = NAN;
    lb_tofu_opts_t o = lb_tofu_opts_default();
    o.model_dir = model_dir;
    o.template_spec = "phi";
    o.splits[0] = (lb_tofu_split_spec_t){"forget", forget, LB_TOFU_FORGET};
    o.splits[1] = (lb_tofu_split_spec_t){"retain", retain, LB_TOFU_RETAIN};
    o.n_splits = 2;
    o.retain_model_dir = ref_dir;
    o.max_new_tokens = d->max_new;
    o.metrics = LB_TOFU_PROBABILITY | LB_TOFU_TRUTH_RATIO | LB_TOFU_ROUGE | LB_TOFU_MEMORIZATION;
    lb_tofu_result_t res;
    double t0 = demo_now();
    int rc = lb_tofu_run(&o, NULL, &res, err);
    /* tofu.json names the paths as they will be once the demo folder is in place */
    char fm[1024], fr[1024], ff[1024], fre[1024];
    lb_tofu_opts_t fo = o;
    fo.model_dir = demo_final_path(d, model_dir, fm, sizeof fm);
    fo.retain_model_dir = demo_final_path(d, ref_dir, fr, sizeof fr);
    fo.splits[0].path = demo_final_path(d, forget, ff, sizeof ff);
    fo.splits[1].path = demo_final_path(d, retain, fre, sizeof fre);
    for (int i = 0; !rc && i < res.n_splits; i++) { /* the splits' recorded paths too */
        const char *p = res.splits[i].path;
        char *c = p && !strcmp(p, forget) ? strdup(ff) : p && !strcmp(p, retain) ? strdup(fre) : NULL;
        if (c) {
            free(res.splits[i].path);
            res.splits[i].path = c;
        } else if (p && (!strcmp(p, forget) || !strcmp(p, retain))) {
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        }
    }
    json_t *prov = NULL;
    if (!rc && !(prov = demo_provenance(d, model_dir, forget, err))) rc = err->code;
    if (!rc) rc = lb_tofu_write(&res, &fo, prov, out, err);
    if (!rc) {
        t->forget_quality = res.forget_quality;
        t->model_utility = res.model_utility;
        for (int i = 0; i < res.n_splits; i++)
            if (res.splits[i].role == LB_TOFU_FORGET) t->forget_truth_ratio = res.splits[i].truth_ratio;
        t->run = 1;
    }
    json_decref(prov);
    lb_tofu_result_free(&res);
    t->seconds = demo_now() - t0;
    return demo_step_end(d, &s, rc, err, "forget quality %.3g, model utility %.3f, forget truth ratio %.3f",
                         t->forget_quality, t->model_utility, t->forget_truth_ratio);
}
