/* A run's options by flag name (lb_train_run_opts_set) and the rules that tie them together
 * (lb_train_run_check): what `leakbound finetune|unlearn` and any other caller of lb_train_run
 * share, with the command line's messages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/score.h"
#include "leakbound/train_run.h"

#define BAD(...) return lb_error_set(err, LB_EINVAL, __VA_ARGS__)

/* s[0..len) as a finite number (strtod, nothing left over). */
static int parse_double(const char *s, size_t len, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || (size_t)(end - s) != len || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* An integer in [lo, 2^40] (the flags' counts). */
static int want_long(const char *flag, const char *s, long lo, long *out, lb_error_t *err) {
    long v;
    if (lb_core_parse_long(s, &v) || v < lo || v > (1L << 40))
        BAD("--%s: want an integer >= %ld, got '%s'", flag, lo, s);
    *out = v;
    return 0;
}

static int want_double(const char *flag, const char *s, size_t len, double *out,
                       lb_error_t *err) {
    if (parse_double(s, len, out)) BAD("--%s: want a number, got '%.*s'", flag, (int)len, s);
    return 0;
}

/* "greedy<=X" / "greedy>=X", X in [0, 1]. */
static int set_stop_when(lb_train_run_opts_t *o, const char *v, lb_error_t *err) {
    int at_most = !strncmp(v, "greedy<=", 8), at_least = !strncmp(v, "greedy>=", 8);
    double x;
    if ((!at_most && !at_least) || parse_double(v + 8, strlen(v + 8), &x) || !(x >= 0 && x <= 1))
        BAD("--stop-when: want 'greedy<=X' or 'greedy>=X' with X in [0, 1], got '%s'", v);
    o->stop_rule = at_most ? LB_TRAIN_STOP_AT_MOST : LB_TRAIN_STOP_AT_LEAST;
    o->stop_at = x;
    return 0;
}

/* "LF[,LR]"; an unlearning run's LR defaults to the reference's lambda_r. */
static int set_entropy(lb_train_run_opts_t *o, const char *v, int unlearn, lb_error_t *err) {
    const char *comma = strchr(v, ',');
    size_t n = comma ? (size_t)(comma - v) : strlen(v);
    int rc = want_double("entropy", v, n, &o->obj.ent_f, err);
    if (!rc && comma) rc = want_double("entropy", comma + 1, strlen(comma + 1), &o->obj.ent_r, err);
    else if (!rc && unlearn) o->obj.ent_r = LB_TRAIN_ENTROPY_RETAIN_DEFAULT;
    return rc;
}

/* The checks' metric: the text metrics (the judge needs a model of its own). */
static int set_check_metric(lb_train_run_opts_t *o, const char *v, lb_error_t *err) {
    lb_metric_t m;
    lb_error_t e = {0};
    if (lb_metric_parse(v, &m, &e) || m == LB_METRIC_JUDGE)
        BAD("--eval-metric: want rougeL-recall, rougeL-f, rouge1-recall, rouge1-f, keywords or "
            "exact, got '%s'", v);
    o->check_metric = lb_metric_name(m);
    return 0;
}

static int set_unlearn_flag(lb_train_run_opts_t *o, const char *f, const char *v,
                            lb_error_t *err) {
    double d;
    if (!strcmp(f, "forget")) {
        o->data_path = v;
    } else if (!strcmp(f, "retain")) {
        o->retain_path = v;
    } else if (!strcmp(f, "method")) {
        if (lb_train_method_parse(v, &o->obj.method, err)) return LB_EINVAL;
        o->method_given = 1;
    } else if (!strcmp(f, "beta")) {
        if (want_double("beta", v, strlen(v), &d, err)) return LB_EINVAL;
        if (!(d > 0)) BAD("--beta: want > 0");
        o->obj.beta = d;
    } else { /* lambda */
        return want_double("lambda", v, strlen(v), &o->obj.lambda, err);
    }
    return 0;
}

int lb_train_run_opts_set(lb_train_run_opts_t *o, const char *f, const char *v, lb_error_t *err) {
    int unlearn = o->obj.method != LB_METHOD_FINETUNE;
    long n;
    double d;
    if (!f) BAD("no flag name given");
    if (!v) BAD("--%s: a value is required", f);
    if (!strcmp(f, "model")) o->model_dir = v;
    else if (!strcmp(f, "tokenizer")) o->tokenizer = v;
    else if (!strcmp(f, "out")) o->out_dir = v;
    else if (!strcmp(f, "resume")) o->resume_dir = v;
    else if (!strcmp(f, "template")) o->template_spec = v, o->answer_prefix = NULL;
    else if (!strcmp(f, "data")) {
        if (unlearn) BAD("--data is finetune's; use --forget");
        o->data_path = v;
    } else if (!strcmp(f, "forget") || !strcmp(f, "retain") || !strcmp(f, "method") ||
               !strcmp(f, "beta") || !strcmp(f, "lambda")) {
        if (!unlearn) BAD("--%s is unlearn's flag", f);
        return set_unlearn_flag(o, f, v, err);
    } else if (!strcmp(f, "entropy")) {
        return set_entropy(o, v, unlearn, err);
    } else if (!strcmp(f, "entropy-positions")) {
        if (!strcmp(v, "all")) o->obj.ent_answer_only = 0;
        else if (!strcmp(v, "answer")) o->obj.ent_answer_only = 1;
        else BAD("--entropy-positions: want all or answer");
    } else if (!strcmp(f, "epochs") || !strcmp(f, "batch-size") || !strcmp(f, "grad-accum") ||
               !strcmp(f, "max-length")) {
        if (want_long(f, v, !strcmp(f, "max-length") ? 2 : 1, &n, err)) return LB_EINVAL;
        int *dst = !strcmp(f, "epochs") ? &o->epochs : !strcmp(f, "batch-size") ? &o->batch_size
                 : !strcmp(f, "grad-accum") ? &o->grad_accum : &o->max_length;
        *dst = (int)n;
    } else if (!strcmp(f, "warmup")) return want_long(f, v, 0, &o->warmup, err);
    else if (!strcmp(f, "save-every")) return want_long(f, v, 1, &o->save_every, err);
    else if (!strcmp(f, "stop-after")) return want_long(f, v, 1, &o->stop_after, err);
    else if (!strcmp(f, "eval-every")) return want_long(f, v, 1, &o->eval_every, err);
    else if (!strcmp(f, "eval-max-new-tokens")) return want_long(f, v, 1, &o->check_max_new, err);
    else if (!strcmp(f, "seed")) {
        if (want_long(f, v, 0, &n, err)) return LB_EINVAL;
        o->seed = (uint64_t)n;
    } else if (!strcmp(f, "eval-data")) o->check_data = v;
    else if (!strcmp(f, "eval-metric")) return set_check_metric(o, v, err);
    else if (!strcmp(f, "stop-when")) return set_stop_when(o, v, err);
    else if (!strcmp(f, "lr") || !strcmp(f, "weight-decay") || !strcmp(f, "max-grad-norm")) {
        if (want_double(f, v, strlen(v), &d, err)) return LB_EINVAL;
        int lr = !strcmp(f, "lr");
        if (lr && !(d > 0)) BAD("--lr: want a number > 0");
        if (!lr && d < 0) BAD("--%s: want >= 0", f);
        *(lr ? &o->lr : !strcmp(f, "weight-decay") ? &o->weight_decay : &o->max_grad_norm) = d;
    } else BAD("unknown flag --%s", f);
    return 0;
}

int lb_train_run_check(const lb_train_run_opts_t *o, lb_error_t *err) {
    int unlearn = o->obj.method != LB_METHOD_FINETUNE;
    if (!o->model_dir || !o->out_dir || !o->data_path)
        BAD("--model, --out and %s are required", unlearn ? "--forget" : "--data");
    if (unlearn && !o->method_given) BAD("--method ga|gd|npo is required");
    if (!o->eval_every != !o->check_data)
        BAD("--eval-every K and --eval-data FILE go together");
    if (!o->eval_every && (o->stop_rule || o->check_metric || o->check_max_new))
        BAD("--stop-when, --eval-metric and --eval-max-new-tokens need --eval-every K "
            "--eval-data FILE");
    if (unlearn && !o->retain_path && lb_objective_needs_retain(&o->obj))
        BAD("--retain is required for this method / entropy weight");
    return 0;
}
