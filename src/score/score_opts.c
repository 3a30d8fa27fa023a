/* score_opts.c — the scoring flags read by name (lb_score_opts_set), the judge they name opened
 * (lb_score_judge_open) and the line scoring's defaults (lb_score_cfg_default): the one reading
 * that `score`, `eval` and the bindings' jobs share. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/score.h"

#define BAD(...) return lb_error_set(err, LB_EINVAL, __VA_ARGS__)


/* The judge's flags (1: f is not one). */
static int judge_set(lb_score_judge_cfg_t *j, const char *f, const char *a, lb_error_t *err) {
    if (!strcmp(f, "judge")) j->dir = a;
    else if (!strcmp(f, "judge-template")) j->opts.tmpl = a;
    else if (!strcmp(f, "judge-labels")) j->opts.labels = a;
    else if (!strcmp(f, "judge-tokenizer")) j->opts.tokenizer = a;
    else if (!strcmp(f, "judge-batch")) {
        long n;
        if (lb_core_parse_long(a, &n) || n < 1 || n > 4096)
            BAD("--judge-batch: expected an integer in [1, 4096], got '%s'", a);
        j->opts.batch = (int)n;
    } else {
        return 1;
    }
    return 0;
}

int lb_score_opts_set(lb_score_opts_t *o, lb_score_judge_cfg_t *j, const char *f, const char *v,
                      lb_error_t *err) {
    const char *a = v ? v : "";
    if (!f) return 1;
    if (!strcmp(f, "keyword-match")) {
        lb_error_t e;
        if (lb_text_match_parse(a, &o->keyword_match, &e))
            BAD("--keyword-match: expected word or substring, got '%s'", a);
    } else if (!strcmp(f, "strip-prefix")) {
        if (!*a) return 0;
        if (o->n_strip == LB_SCORE_MAX_STRIP)
            BAD("--strip-prefix: at most %d strings", LB_SCORE_MAX_STRIP);
        o->strip[o->n_strip++] = a;
    } else if (!strcmp(f, "judge-threshold")) {
        double t;
        if (lb_core_parse_double(a, &t) || !(t >= 0) || t > 1)
            BAD("--judge-threshold: expected a number in [0, 1], got '%s'", a);
        o->judge_threshold = t;
    } else {
        return j ? judge_set(j, f, a, err) : 1;
    }
    return 0;
}

int lb_score_judge_open(const lb_score_judge_cfg_t *j, lb_judge_t **out, lb_error_t *err) {
    *out = NULL;
    if (!j || !j->dir) BAD("--metric judge needs --judge DIR (the judge model)");
    return lb_judge_open(j->dir, &j->opts, out, err);
}

lb_score_cfg_t lb_score_cfg_default(lb_metric_t metric) {
    lb_score_cfg_t c = {.metric = metric, .text_field = "text", .id_field = "id",
                        .path = "<input>", .opts = lb_score_opts_default()};
    lb_score_set_field(&c, NULL, NULL);
    return c;
}

void lbi_score_cfg_fill(const lb_score_cfg_t *cfg, lb_score_cfg_t *out) {
    *out = *cfg;
    if (!out->text_field) out->text_field = "text";
    if (!out->id_field) out->id_field = "id";
    if (!out->path) out->path = "<input>";
    if (!out->field) lb_score_set_field(out, NULL, NULL);
}
