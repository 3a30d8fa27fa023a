/* `leakbound demo`: TOFU's metrics of every model (docs/tofu.md) by calling the tofu module
 * directly: forget quality against the retain model, model utility, forget truth ratio. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_demo.h"
#include "leakbound/tofu.h"

int demo_tofu(demo_t *d, const char *model, const char *eval_dir, demo_tofu_t *t) {
    char model_dir[1024], ref_dir[1024], forget[1024], retain[1024], out[1024];
    snprintf(model_dir, sizeof model_dir, "%s/models/%s", d->out, model);
    snprintf(ref_dir, sizeof ref_dir, "%s/models/%s", d->out, DEMO_RETAIN_MODEL);
    snprintf(forget, sizeof forget, "%s/data/forget10.jsonl", d->out);
    snprintf(retain, sizeof retain, "%s/data/retain90.jsonl", d->out);
    snprintf(t->dir, sizeof t->dir, "%s/tofu", eval_dir);
    snprintf(out, sizeof out, "%s/eval/%s", d->out, eval_dir);
    mkdir(out, 0755);
    snprintf(out, sizeof out, "%s/eval/%s", d->out, t->dir);
    if (mkdir(out, 0755) && errno != EEXIST) {
        fprintf(stderr, "leakbound demo: cannot create %s: %s\n", out, strerror(errno));
        return LB_EXIT_FAIL;
    }
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
    lb_error_t err = {0};
    double t0 = demo_now();
    int rc = lb_tofu_run(&o, NULL, &res, &err);
    json_t *prov = NULL;
    if (!rc && !(prov = lb_cli_provenance(d->argc, d->argv, model_dir, NULL, forget, NULL, &err))) rc = err.code;
    if (!rc) rc = lb_tofu_write(&res, &o, prov, out, &err);
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
    if (rc) {
        fprintf(stderr, "leakbound demo: step 'tofu-%s' failed: %s\n", model, err.msg);
        return LB_EXIT_FAIL;
    }
    char label[96];
    snprintf(label, sizeof label, "tofu-%s", eval_dir);
    fprintf(stderr, "  %-28s %6.1fs  forget quality %.3g, model utility %.3f, forget truth ratio %.3f\n",
            label, t->seconds, t->forget_quality, t->model_utility, t->forget_truth_ratio);
    return 0;
}
