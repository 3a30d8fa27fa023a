/* A run configured by flag names (lb_eval_opts_set, lb_eval_job_*): what bindings call to run
 * `sample` and `eval` exactly as the CLI does, without mirroring lb_eval_opts_t. */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/eval.h"
#include "leakbound/text.h"
#include "eval_internal.h"

const char *const lb_eval_out_files[] = {"samples.jsonl", "report.json", "report.md",
                                         "density.svg", "ecdf.svg", "ed.svg", NULL};


int lbi_eval_parse_temperature(const char *a, double *out) {
    double v;
    if (lb_core_parse_double(a, &v) || !(v > 0)) return -1;
    *out = v;
    return 0;
}

int lbi_eval_parse_top_k(const char *a, long *out) {
    long v;
    if (lb_core_parse_long(a, &v) || v < 0 || v > 1 << 30) return -1;
    *out = v;
    return 0;
}

int lbi_eval_parse_top_p(const char *a, double *out) {
    double v;
    if (lb_core_parse_double(a, &v) || !(v > 0 && v <= 1)) return -1;
    *out = v;
    return 0;
}

#define BAD(...) return lb_error_set(err, LB_EINVAL, __VA_ARGS__)

int lb_eval_opts_set(lb_eval_opts_t *o, const char *f, const char *v, lb_error_t *err) {
    const char *a = v ? v : "";
    if (!f) BAD("no flag name given");
    int rc = lb_score_opts_set(&o->score, NULL, f, v, err); /* the scoring flags */
    if (rc != 1) return rc;
    if (!strcmp(f, "template")) {
        o->tmpl = a;
    } else if (!strcmp(f, "data-format")) {
        lb_error_t e;
        if (lb_data_format_parse(a, &o->format, &e))
            BAD("--data-format: expected auto, json, jsonl or csv, got '%s'", a);
    } else if (!strcmp(f, "n")) {
        if (lb_core_parse_long(a, &o->n) || o->n < 0 || o->n > 1000000)
            BAD("-n: expected an integer in [0, 1000000], got '%s'", a);
    } else if (!strcmp(f, "limit")) {
        if (lb_core_parse_long(a, &o->limit) || o->limit < 1)
            BAD("--limit: expected an integer >= 1, got '%s'", a);
    } else if (!strcmp(f, "temperature")) {
        if (lbi_eval_parse_temperature(a, &o->T))
            BAD("--temperature: expected a number > 0, got '%s'", a);
        o->have_T = 1;
    } else if (!strcmp(f, "top-k")) {
        if (lbi_eval_parse_top_k(a, &o->k))
            BAD("--top-k: expected an integer >= 0, got '%s'", a);
        o->have_k = 1;
    } else if (!strcmp(f, "top-p")) {
        if (lbi_eval_parse_top_p(a, &o->p))
            BAD("--top-p: expected a number in (0, 1], got '%s'", a);
        o->have_p = 1;
    } else if (!strcmp(f, "min-p")) {
        if (lb_core_parse_double(a, &o->min_p) || !(o->min_p >= 0 && o->min_p <= 1))
            BAD("--min-p: expected a number in [0, 1], got '%s'", a);
    } else if (!strcmp(f, "max-length")) {
        if (lb_core_parse_long(a, &o->max_len) || o->max_len < 1 || o->max_len > 1 << 24)
            BAD("--max-length: expected an integer >= 1, got '%s'", a);
        o->have_max_len = 1;
    } else if (!strcmp(f, "max-new-tokens")) {
        if (lb_core_parse_long(a, &o->max_new) || o->max_new < 0 || o->max_new > 1 << 24)
            BAD("--max-new-tokens: expected an integer >= 0, got '%s'", a);
        o->have_max_new = 1;
    } else if (!strcmp(f, "stop")) {
        if (!*a) BAD("--stop: the string must not be empty");
        if (o->n_stop == LB_EVAL_MAX_STOP) BAD("--stop: at most %d strings", LB_EVAL_MAX_STOP);
        o->stop[o->n_stop++] = a;
    } else if (!strcmp(f, "seed")) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(a, &end, 10);
        if (!*a || *end || errno || a[0] == '-')
            BAD("--seed: expected a non-negative integer, got '%s'", a);
        o->seed = s;
    } else if (!strcmp(f, "batch")) {
        if (lb_core_parse_long(a, &o->batch) || o->batch < 1 || o->batch > 65536)
            BAD("--batch: expected an integer in [1, 65536], got '%s'", a);
    } else if (!strcmp(f, "kv-budget")) {
        if (lb_mem_size_parse(a, &o->kv_budget))
            BAD("--kv-budget: expected a size such as 512M or 4G, got '%s'", a);
    } else if (!strcmp(f, "adaptive-temperature")) {
        o->adaptive = 1;
    } else if (!strcmp(f, "confidence")) {
        if (!strcmp(a, "maxprob")) o->confidence = LB_CONFIDENCE_MAXPROB;
        else if (!strcmp(a, "entropy")) o->confidence = LB_CONFIDENCE_ENTROPY;
        else BAD("--confidence: expected maxprob or entropy, got '%s'", a);
    } else if (!strcmp(f, "confidence-threshold")) {
        if (lb_core_parse_double(a, &o->conf_thr) || !(o->conf_thr >= 0 && o->conf_thr <= 1))
            BAD("--confidence-threshold: expected a number in [0, 1], got '%s'", a);
    } else if (!strcmp(f, "low-temperature")) {
        if (lb_core_parse_double(a, &o->low_T) || !(o->low_T >= 0))
            BAD("--low-temperature: expected a number >= 0, got '%s'", a);
    } else if (!strcmp(f, "verbose")) {
        o->verbose = 1;
    } else if (!strcmp(f, "greedy-too")) {
        o->greedy_too = 1;
    } else if (!strcmp(f, "metric")) {
        if (lb_metric_parse(a, &o->metric, NULL)) {
            char list[256] = "";
            for (int i = 0; lb_metric_name(i); i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         !i ? "" : lb_metric_name(i + 1) ? ", " : " or ", lb_metric_name(i));
            BAD("--metric: expected %s, got '%s'", list, a);
        }
    } else if (!strcmp(f, "alpha") || !strcmp(f, "method") || !strcmp(f, "ed-lambda")) {
        return lb_stats_options_set(&o->stats, f, a, err); /* `bound`'s rule and message */
    } else if (!strcmp(f, "threshold")) {
        return lb_report_threshold_add(o->thresholds, &o->n_thresholds, LB_EVAL_MAX_THRESHOLDS,
                                       a, err);
    } else if (!strcmp(f, "plot-prompts")) {
        long n;
        if (lb_core_parse_long(a, &n) || n < 1 || n > 64)
            BAD("--plot-prompts: expected an integer in [1, 64], got '%s'", a);
        o->n_plot = (size_t)n;
    } else if (!strcmp(f, "harm-rate")) {
        if (lb_core_parse_double(a, &o->harm_rate) || !(o->harm_rate >= 0 && o->harm_rate < 1))
            BAD("--harm-rate: expected a number in [0, 1), got '%s'", a);
    } else if (!strcmp(f, "leak-threshold")) { /* `bound`'s rule; unset: the metric's default */
        lb_stats_options_t s = o->stats;
        rc = lb_stats_options_set(&s, f, a, err);
        if (!rc) o->leak_threshold = s.leak_threshold;
        return rc;
    } else {
        BAD("unknown option '%s'", f);
    }
    return 0;
}

/* ---- the job ------------------------------------------------------------------------------- */

#define MAX_STRS 256

struct lb_eval_job {
    lb_eval_opts_t o;
    char *strs[MAX_STRS]; /* the copies of every string value set */
    int n_strs;
    int n_given, strip_given, harm_given, metric_given, wait, ran;
    const char *out_dir;
    const char *output;  /* sample: -o FILE (the sample flow), or NULL: lines in memory only */
    int resume;          /* sample: --resume */
    lb_score_judge_cfg_t judge; /* --judge DIR and the other --judge-* flags */
    lb_eval_flow_t flow; /* eval: the flow's settings and its judge */
    lb_eval_ctx_t ctx;
    lb_eval_result_t r;
    int have_result;
    char **lines;   /* (P,) each item's lines */
    size_t *lens;   /* (P,) */
    char *buf;      /* lb_eval_format_group's buffer, reused */
    size_t cap;
    int verbose;
    lb_eval_progress_fn hook_progress; /* the caller's progress hook and its user */
    void *hook_user;
    lb_eval_samples_opts_t so;  /* eval --samples FILE (so.path) and its fields */
    char sampling_flag[32];     /* the first LB_EVAL_FLAG_SAMPLING flag set ("--top-p"), or "" */
    char samples_flag[32];      /* the last LB_EVAL_FLAG_SAMPLES flag set, or "" */
    char *warning;  /* the judge's label warning of the run (lb_eval_job_warning), or NULL */
    char *data_warning; /* the data set's lenient-CSV note (lb_eval_job_data_warning), or NULL */
};

int lb_eval_job_new(lb_eval_job_t **out, lb_error_t *err) {
    lb_eval_job_t *j = calloc(1, sizeof *j);
    *out = j;
    if (!j) return lb_error_set(err, LB_ENOMEM, "out of memory");
    lb_eval_opts_default(&j->o);
    j->o.n = -1;
    return 0;
}

void lb_eval_job_free(lb_eval_job_t *j) {
    if (!j) return;
    if (j->lines)
        for (size_t p = 0; p < j->ctx.n_items; p++) free(j->lines[p]);
    free(j->lines);
    free(j->lens);
    free(j->buf);
    free(j->warning);
    free(j->data_warning);
    if (j->have_result) lb_eval_result_free(&j->r);
    lb_eval_ctx_free(&j->ctx);
    lb_eval_flow_free(&j->flow);
    for (int i = 0; i < j->n_strs; i++) free(j->strs[i]);
    free(j);
}

/* The flags of `eval --samples FILE` (1: f is not one). */
static int samples_set(lb_eval_job_t *j, const char *f, const char *a) {
    if (!strcmp(f, "samples")) j->so.path = a;
    else if (!strcmp(f, "text-field")) j->so.text_field = a;
    else if (!strcmp(f, "id-field")) j->so.id_field = a;
    else if (!strcmp(f, "reference-field")) j->so.reference_field = a;
    else if (!strcmp(f, "keywords-field")) j->so.keywords_field = a;
    else if (!strcmp(f, "prompt-field")) j->so.prompt_field = a;
    else if (!strcmp(f, "greedy-field")) j->so.greedy_field = a;
    else if (!strcmp(f, "allow-duplicates")) j->so.allow_duplicates = 1;
    else return 1;
    return 0;
}

static int job_set(lb_eval_job_t *j, const char *f, const char *v, lb_error_t *err);

int lb_eval_job_set(lb_eval_job_t *j, const char *f, const char *v, lb_error_t *err) {
    int rc = job_set(j, f, v, err);
    if (rc) return rc;
    int scope = lb_eval_flag_scope(f); /* what lb_eval_job_eval checks them against */
    if (scope == LB_EVAL_FLAG_SAMPLING && !j->sampling_flag[0])
        snprintf(j->sampling_flag, sizeof j->sampling_flag, "%s%s", strcmp(f, "n") ? "--" : "-", f);
    if (scope == LB_EVAL_FLAG_SAMPLES)
        snprintf(j->samples_flag, sizeof j->samples_flag, "--%s", f);
    return 0;
}

static int job_set(lb_eval_job_t *j, const char *f, const char *v, lb_error_t *err) {
    if (!f) BAD("no flag name given");
    if (j->ran) BAD("the job has run already: set its options before running it");
    char *s = NULL;
    if (v) {
        if (j->n_strs == MAX_STRS) BAD("at most %d option values per run", MAX_STRS);
        if (!(s = strdup(v))) return lb_error_set(err, LB_ENOMEM, "out of memory");
        j->strs[j->n_strs++] = s;
    }
    const char *a = s ? s : "";
    int rc = lb_score_opts_set(&j->o.score, &j->judge, f, a, err); /* the scoring flags */
    if (rc != 1) {
        j->strip_given |= !rc && !strcmp(f, "strip-prefix");
        return rc;
    }
    if (!strcmp(f, "model")) j->o.model = a;
    else if (!strcmp(f, "data")) j->o.data = a;
    else if (!strcmp(f, "tokenizer")) j->o.tokenizer = a;
    else if (!strcmp(f, "out")) j->out_dir = a;
    else if (!strcmp(f, "output")) j->output = a;
    else if (!strcmp(f, "resume")) j->resume = 1;
    else if (!strcmp(f, "wait")) j->wait = 1;
    else if (!samples_set(j, f, a)) return 0;
    else if (!strcmp(f, "threads")) {
        if (lb_core_parse_long(a, &j->o.threads) || j->o.threads < 1 || j->o.threads > 1024)
            BAD("--threads: expected an integer in [1, 1024], got '%s'", a);
    } else {
        if ((rc = lb_eval_opts_set(&j->o, f, s, err))) return rc;
        j->harm_given |= !strcmp(f, "harm-rate");
        j->metric_given |= !strcmp(f, "metric");
    }
    return 0;
}

static int job_progress(void *user, const lb_sampler_progress_t *p) {
    lb_eval_job_t *j = user;
    return j->hook_progress(j->hook_user, p);
}

/* Keep a copy of len bytes as the item's lines. */
static int keep(lb_eval_job_t *j, size_t item, const char *bytes, size_t len, lb_error_t *err) {
    char *c = malloc(len + 1);
    if (!c) return lb_error_set(err, LB_ENOMEM, "out of memory");
    memcpy(c, bytes, len);
    c[len] = 0;
    free(j->lines[item]);
    j->lines[item] = c;
    j->lens[item] = len;
    return 0;
}

/* The group hook: keep the item's lines. */
static int keep_group(void *user, size_t item, const lb_sample_result_t *res, int n_res,
                      const double *scores, lb_error_t *err) {
    lb_eval_job_t *j = user;
    size_t len = 0;
    int rc = lb_eval_format_group(&j->ctx, item, res, n_res, scores, j->verbose, &j->buf,
                                  &j->cap, &len, err);
    return rc ? rc : keep(j, item, j->buf, len, err);
}

/* lb_eval_sample_flow_t.resumed: keep the lines of a group FILE already holds, FILE's bytes. */
static int keep_resumed(void *user, size_t item, const char *lines, size_t len,
                        lb_error_t *err) {
    return keep(user, item, lines, len, err);
}

/* The warn hook: keep the data set's lenient-CSV note for lb_eval_job_data_warning, the
 * judge's label warning for lb_eval_job_warning (NULL when no memory: the warning is lost,
 * the run goes on). */
static void keep_warning(void *user, lb_eval_warn_kind_t kind, const char *msg) {
    lb_eval_job_t *j = user;
    char **keep = kind == LB_EVAL_WARN_DATA_LENIENT ? &j->data_warning : &j->warning;
    free(*keep);
    *keep = strdup(msg);
}

/* `eval --samples`'s progress, to the caller's lb_eval_progress_fn: prompts_done/prompts_total
 * are FILE's bytes read and its size (0 while unknown), samples_done the answers scored,
 * samples_per_s their rate, eta_s the time left at the bytes' rate (0 while the size is
 * unknown). */
static int job_samples_progress(void *user, const lb_eval_samples_progress_t *p) {
    lb_eval_job_t *j = user;
    size_t done = (size_t)p->bytes_done, total = p->bytes_total < 0 ? 0 : (size_t)p->bytes_total;
    lb_sampler_progress_t sp = {.prompts_done = done, .prompts_total = total,
                                .samples_done = p->answers, .seconds = p->seconds};
    sp.samples_per_s = p->answers_per_s;
    sp.eta_s = p->eta_s;
    return j->hook_progress(j->hook_user, &sp);
}

/* One run per job. */
static int once(lb_eval_job_t *j, lb_error_t *err) {
    if (j->ran) BAD("the job has run already: one run per job");
    j->ran = 1;
    return 0;
}

/* What a sampling run needs. */
static int required(lb_eval_job_t *j, lb_error_t *err) {
    if (!j->o.model) BAD("--model DIR is required");
    if (!j->o.data) BAD("--data FILE is required");
    if (j->o.n < 0) BAD("-n N is required");
    /* no "threads" and no OMP_NUM_THREADS: the free cores, as the CLI starts with */
    if (j->o.threads == 0 && !getenv("OMP_NUM_THREADS"))
        j->o.threads = lb_core_default_threads(omp_get_num_procs(), NULL);
    return 0;
}

static int alloc_lines(lb_eval_job_t *j, lb_error_t *err) {
    j->lines = calloc(j->ctx.n_items ? j->ctx.n_items : 1, sizeof *j->lines);
    j->lens = calloc(j->ctx.n_items ? j->ctx.n_items : 1, sizeof *j->lens);
    return !j->lines || !j->lens ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
}

static int load(lb_eval_job_t *j, lb_error_t *err) {
    int rc = lb_eval_load(&j->o, &j->ctx, err);
    if (rc) return rc;
    lbi_eval_warn_data(&(lb_eval_hooks_t){.user = j, .warn = keep_warning}, &j->ctx.ds, j->o.data);
    if ((rc = alloc_lines(j, err))) return rc;
    j->verbose = j->o.verbose;
    return 0;
}

/* lb_eval_flow_t.loaded, lb_eval_sample_flow_t.loaded: room for each item's lines. */
static int job_loaded(void *user, const lb_eval_ctx_t *ctx, lb_error_t *err) {
    (void)ctx;
    return alloc_lines(user, err);
}

int lb_eval_job_sample(lb_eval_job_t *j, lb_eval_progress_fn progress, void *user,
                       lb_error_t *err) {
    int rc = once(j, err);
    if (!rc && (j->so.path || j->samples_flag[0]))
        BAD("%s is a flag of eval, not of sample", j->so.path ? "--samples" : j->samples_flag);
    if (!rc) rc = required(j, err);
    if (rc) return rc;
    /* the progress hook gets the caller's user; the group hook the job */
    lb_eval_hooks_t h = {.user = j, .group = keep_group, .warn = keep_warning};
    if (progress) {
        j->hook_progress = progress;
        j->hook_user = user;
        h.progress = job_progress;
    }
    if (j->output || j->resume) { /* FILE as `sample -o FILE [--resume]` writes it */
        j->verbose = j->o.verbose;
        lb_eval_sample_flow_t f = {.out = j->output, .resume = j->resume,
                                   .io_flags = j->wait ? LB_IO_WAIT : 0, .ranks = 1,
                                   .hooks = h, .loaded = job_loaded,
                                   .resumed = keep_resumed};
        return lb_eval_sample_flow_run(&f, &j->o, &j->ctx, err);
    }
    if (!(rc = load(j, err))) rc = lb_eval_sample(&j->ctx, NULL, 0, &h, err);
    return rc;
}

/* `eval --samples FILE`: the flow of the CLI, its items joined from data when set. */
static int job_samples(lb_eval_job_t *j, int argc, char *const *argv,
                       lb_eval_progress_fn progress, void *user, lb_error_t *err) {
    j->hook_progress = progress;
    j->hook_user = user;
    j->so.data_path = j->o.data;
    j->so.data_format = j->o.format;
    j->have_result = 1;
    j->flow = (lb_eval_flow_t){.out_dir = j->out_dir, .io_flags = j->wait ? LB_IO_WAIT : 0,
                               .argc = argc, .argv = argv, .metric_given = j->metric_given,
                               .judge_dir = j->judge.dir, .judge_opts = j->judge.opts, .ranks = 1,
                               .hooks = {.user = j, .warn = keep_warning,
                                         .samples_progress =
                                             progress ? job_samples_progress : NULL}};
    return lb_eval_flow_samples(&j->flow, &j->o, &j->so, &j->r, err);
}

int lb_eval_job_eval(lb_eval_job_t *j, int argc, char *const *argv, lb_eval_progress_fn progress,
                     void *user, lb_error_t *err) {
    int rc = once(j, err);
    if (!rc) rc = lb_eval_samples_check(j->so.path, j->sampling_flag[0] ? j->sampling_flag : NULL,
                                        j->samples_flag[0] ? j->samples_flag : NULL, err);
    if (!rc && !j->so.path) rc = required(j, err);
    if (rc) return rc;
    if (j->output || j->resume)
        BAD("output and resume are flags of sample: eval writes into out (a folder)");
    if (j->so.path) return job_samples(j, argc, argv, progress, user, err);
    j->hook_progress = progress;
    j->hook_user = user;
    j->verbose = j->o.verbose;
    j->have_result = 1;
    j->flow = (lb_eval_flow_t){.out_dir = j->out_dir, .io_flags = j->wait ? LB_IO_WAIT : 0,
                               .argc = argc, .argv = argv, .metric_given = j->metric_given,
                               .strip_given = j->strip_given, .harm_given = j->harm_given,
                               .judge_dir = j->judge.dir, .judge_opts = j->judge.opts, .ranks = 1,
                               .hooks = {.user = j, .progress = progress ? job_progress : NULL,
                                         .group = keep_group, .warn = keep_warning},
                               .loaded = job_loaded};
    return lb_eval_flow_run(&j->flow, &j->o, &j->ctx, &j->r, err);
}

size_t lb_eval_job_n_items(const lb_eval_job_t *j) {
    if (j && j->so.path) return j->have_result ? j->r.n_items : 0; /* --samples: the file's */
    return j && j->lines ? j->ctx.n_items : 0;
}

const char *lb_eval_job_lines(const lb_eval_job_t *j, size_t p, size_t *len) {
    if (!j || !j->lines || p >= j->ctx.n_items || !j->lines[p]) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = j->lens[p];
    return j->lines[p];
}

const double *lb_eval_job_scores(const lb_eval_job_t *j, size_t *n_out, const double **greedy) {
    int ok = j && j->have_result && j->r.scores;
    if (n_out) *n_out = ok ? (size_t)j->r.n : 0;
    if (greedy) *greedy = ok ? j->r.greedy : NULL;
    return ok ? j->r.scores : NULL;
}

const char *lb_eval_job_warning(const lb_eval_job_t *j) { return j ? j->warning : NULL; }

const char *lb_eval_job_data_warning(const lb_eval_job_t *j) {
    return j ? j->data_warning : NULL;
}
