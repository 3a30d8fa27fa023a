/* The demo: the paper's experiment end to end on a generated benchmark, by direct library calls:
 * data (lb_fictitious_write) → tokenizer (lb_bpe_trainer_*) → init (lb_train_init_model) →
 * finetune (lb_train_run, until greedy ROUGE-L recall on forget10 reaches the target, within a
 * round limit) → the retain model → unlearn (lb_train_run: GA, GD, NPO, each ± entropy, with the
 * greedy stop rule) → eval of every model on forget10 and a retain sample (the eval module) → TOFU
 * (lb_tofu_run) → the alignment section → demo.md / demo.json / plots. Each step's human lines
 * go to hooks->log; nothing is printed here. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "demo_internal.h"
#include "leakbound/data.h"
#include "leakbound/eval_checkpoint.h"
#include "leakbound/io.h"
#include "leakbound/report.h"
#include "leakbound/tokenizer.h"
#include "leakbound/tokenizer_train.h"
#include "leakbound/train_run.h"

lb_demo_opts_t lb_demo_opts_default(void) {
    lb_demo_opts_t o;
    memset(&o, 0, sizeof o);
    o.out = "leakbound-demo";
    o.seed = 0;
    o.authors = 10;
    o.n = 0;
    o.finetune_epochs = 15;
    o.unlearn_target = 0.45;
    o.unlearn_lr = "1e-4";
    o.unlearn_epochs = 30;
    o.entropy = "0.3,0";
    o.entropy_positions = "all";
    return o;
}

long lb_demo_opts_n(const lb_demo_opts_t *o) {
    return o->n ? o->n : o->quick ? LB_DEMO_N_QUICK : LB_DEMO_N_FULL;
}

double demo_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *demo_final_path(const lb_demo_result_t *d, const char *path, char *buf, size_t cap) {
    size_t n = d->out ? strlen(d->out) : 0;
    if (d->final_out && n && !strncmp(path, d->out, n) && (path[n] == '/' || !path[n]))
        snprintf(buf, cap, "%s%s", d->final_out, path + n);
    else snprintf(buf, cap, "%s", path);
    return buf;
}

/* ---- steps ---- */

void demo_step_begin(lb_demo_result_t *d, demo_step_t *s, const char *name, int flags) {
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->log_path, sizeof s->log_path, "%s/logs/%s.log", d->out, name);
    s->st.name = s->name;
    s->st.log_path = s->log_path;
    s->st.quiet = (flags & DEMO_QUIET) != 0;
    s->st.note = (flags & DEMO_NOTE) != 0;
    s->t0 = demo_now();
    if (d->hooks && d->hooks->step_begin) d->hooks->step_begin(d->hooks->user, &s->st);
}

void demo_log(lb_demo_result_t *d, demo_step_t *s, const char *fmt, ...) {
    if (!d->hooks || !d->hooks->log) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    d->hooks->log(d->hooks->user, &s->st, line);
}

int demo_step_end(lb_demo_result_t *d, demo_step_t *s, int rc, lb_error_t *err, const char *summary_fmt, ...) {
    s->st.rc = rc;
    s->st.seconds = demo_now() - s->t0;
    if (rc) {
        if (!err->code) lb_error_set(err, rc, "failed");
        demo_log(d, s, "leakbound demo: %s", err->msg);
        lb_error_prefix(err, s->name);
    } else if (summary_fmt) {
        va_list ap;
        va_start(ap, summary_fmt);
        vsnprintf(s->summary, sizeof s->summary, summary_fmt, ap);
        va_end(ap);
        s->st.summary = s->summary;
        demo_log(d, s, "%s", s->summary);
    }
    if (d->hooks && d->hooks->step_end) d->hooks->step_end(d->hooks->user, &s->st);
    return rc;
}

json_t *demo_provenance(const lb_demo_result_t *d, const char *model_dir, const char *data_path, lb_error_t *err) {
    json_t *p = NULL;
    if (d->hooks && d->hooks->provenance) {
        if (!(p = d->hooks->provenance(d->hooks->user, model_dir, data_path, err))) return NULL;
    } else if (!(p = json_pack("{s:s}", "leakbound_version", lb_version()))) {
        lb_error_set(err, LB_ENOMEM, "out of memory");
        return NULL;
    }
    char buf[4300];
    if (model_dir && json_object_get(p, "model"))
        json_object_set_new(p, "model", json_string(demo_final_path(d, model_dir, buf, sizeof buf)));
    if (data_path && json_object_get(p, "data"))
        json_object_set_new(p, "data", json_string(demo_final_path(d, data_path, buf, sizeof buf)));
    json_t *run = json_object_get(p, "model_run"), *file = json_object_get(run, "file");
    if (json_is_string(file))
        json_object_set_new(run, "file", json_string(demo_final_path(d, json_string_value(file), buf, sizeof buf)));
    return p;
}

int demo_tokenizer(lb_demo_result_t *d, const char *step, long vocab, const char *const *files, size_t n_files,
                   const char *out, lb_error_t *err) {
    demo_step_t s;
    demo_step_begin(d, &s, step, 0);
    lb_bpe_train_opts_t o = {(size_t)vocab, 2, NULL, 0};
    lb_bpe_trainer_t *t = NULL;
    char *json = NULL;
    size_t len = 0;
    int rc = lb_bpe_trainer_new(&o, &t, err);
    for (size_t i = 0; !rc && i < n_files; i++) rc = lb_bpe_trainer_feed_file(t, files[i], err);
    if (!rc) rc = lb_bpe_trainer_train(t, err);
    if (!rc) rc = lb_bpe_trainer_to_json(t, &json, &len, err);
    if (!rc) { /* the file as `tokenizer train` writes it: the JSON and a newline */
        char *nl = realloc(json, len + 1);
        if (!nl) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        else {
            json = nl;
            json[len++] = '\n';
            rc = lb_atomic_write_file(out, json, len, err);
        }
    }
    char fin[4300];
    if (!rc)
        demo_log(d, &s, "leakbound tokenizer train: %zu tokens (%zu merges) written to %s",
                 lb_bpe_trainer_vocab_size(t), lb_bpe_trainer_n_merges(t), demo_final_path(d, out, fin, sizeof fin));
    free(json);
    lb_bpe_trainer_free(t);
    return demo_step_end(d, &s, rc, err, NULL);
}

/* The family the demo trains (the paper's models are Llama-style). */
#define DEMO_ARCH LB_ARCH_LLAMA

int demo_init(lb_demo_result_t *d, const char *step, const char *size, const char *tokp, const char *out,
              lb_error_t *err) {
    demo_step_t s;
    demo_step_begin(d, &s, step, 0);
    /* the demo holds the lock of the folder that holds out */
    lb_train_init_opts_t o = {.arch = DEMO_ARCH, .size = size, .tokenizer = tokp, .out = out,
                              .seed = (uint64_t)d->seed};
    lb_train_init_info_t info;
    int rc = lb_train_init_dir(&o, LB_IO_NOLOCK, &info, err);
    char fin[4300], shape[128];
    if (!rc)
        demo_log(d, &s, "leakbound init: %s %s, vocabulary %d, in %s",
                 lb_model_arch_name(DEMO_ARCH),
                 lb_model_size_format(&info.size, shape, sizeof shape), info.vocab,
                 demo_final_path(d, out, fin, sizeof fin));
    return demo_step_end(d, &s, rc, err, NULL);
}

/* The training step's context: its step (for the log) and the greedy checks. */
typedef struct {
    lb_demo_result_t *d;
    demo_step_t *s;
    lb_eval_check_t chk; /* the greedy checks (lb_eval_check_run) */
    const char *stash;  /* each check's model moved to stash/step-<N> (NULL: none) */
    int said_ref;
} train_ctx_t;

static void progress(void *ctx, const lb_train_progress_t *p) {
    train_ctx_t *c = ctx;
    if (!c->said_ref && (p->ref_mapped_bytes || p->ref_widened_bytes)) {
        c->said_ref = 1;
        demo_log(c->d, c->s, "NPO reference: %.3g MB of %s matrices read in place from the file, %.3g MB widened to fp32",
                 p->ref_mapped_bytes / 1e6, lb_dtype_name(p->ref_dtype), p->ref_widened_bytes / 1e6);
    }
    char buf[512];
    int k = snprintf(buf, sizeof buf, "step %ld/%ld  epoch %ld  lr %.3g  loss %.5f  (forget ce %.4f ent %.4f", p->step,
                     p->total_steps, p->epoch, p->lr, p->loss, p->forget.ce, p->forget.ent);
    if (p->forget.npo != 0.0) k += snprintf(buf + k, sizeof buf - (size_t)k, " npo %.4f", p->forget.npo);
    if (p->retain.n_sup)
        k += snprintf(buf + k, sizeof buf - (size_t)k, "; retain ce %.4f ent %.4f", p->retain.ce, p->retain.ent);
    snprintf(buf + k, sizeof buf - (size_t)k, ")  |g| %.3g  %.0f tok/s  ETA %.0fs", p->grad_norm, p->tokens_per_s,
             p->eta_s);
    demo_log(c->d, c->s, "%s", buf);
}

/* lb_train_run's check: lb_eval_check_run (the greedy answers of the check's model on the check
 * data, the mean of their scores), then the model kept in the stash and the check's line. */
static int greedy_check(void *ctx, long step, const char *model_dir, double *greedy, lb_error_t *err) {
    train_ctx_t *c = ctx;
    int rc = lb_eval_check_run(&c->chk, step, model_dir, greedy, err);
    if (!rc && c->stash) { /* keep this step's model for the sampled trajectory (a rename: no copy) */
        char dst[4400];
        snprintf(dst, sizeof dst, "%s/step-%ld", c->stash, step);
        if (rename(model_dir, dst) != 0)
            rc = lb_error_set(err, LB_EIO, "%s: cannot move to %s: %s", model_dir, dst, strerror(errno));
    }
    if (!rc) {
        char fin[4300];
        demo_log(c->d, c->s, "check after step %ld: greedy %s %.4f on %s", step, c->chk.metric,
                 *greedy, demo_final_path(c->d, c->chk.data, fin, sizeof fin));
    }
    return rc;
}

int demo_train(lb_demo_result_t *d, const char *step, lb_train_run_opts_t *o, const char *command,
               const char *check_data, long *kept, lb_error_t *err) {
    return demo_train_stash(d, step, o, command, check_data, NULL, kept, err);
}

int demo_train_stash(lb_demo_result_t *d, const char *step, lb_train_run_opts_t *o, const char *command,
                     const char *check_data, const char *stash, long *kept, lb_error_t *err) {
    demo_step_t s;
    demo_step_begin(d, &s, step, 0);
    train_ctx_t c = {.d = d, .s = &s, .stash = stash};
    long kept_step = 0;
    o->on_step = progress;
    o->ctx = &c;
    if (o->eval_every) { /* the checks: ROUGE-L recall (the default), the demo's answer length */
        o->check_data = check_data;
        o->check_max_new = d->max_new;
        int rc = lb_eval_check_prepare(&c.chk, o->check_data, o->check_metric, o->check_max_new,
                                       o->template_spec, err);
        if (rc) return demo_step_end(d, &s, rc, err, NULL);
        o->check = greedy_check;
        o->check_ctx = &c;
        o->kept_step = &kept_step;
    }
    /* the run record names the folders as they will be once the demo is in place */
    char fm[4300], fd[4300], fr[4300], fo[4300];
    lb_train_run_opts_t rec = *o;
    rec.model_dir = demo_final_path(d, o->model_dir, fm, sizeof fm);
    rec.data_path = demo_final_path(d, o->data_path, fd, sizeof fd);
    rec.retain_path = o->retain_path ? demo_final_path(d, o->retain_path, fr, sizeof fr) : NULL;
    rec.out_dir = demo_final_path(d, o->out_dir, fo, sizeof fo);
    /* the folder lies inside the demo's own temporary folder, whose lock the demo holds */
    lb_train_dir_t td = {.command = command, .io_flags = LB_IO_NOLOCK, .record = &rec,
                         .check_metric = o->eval_every ? c.chk.metric : NULL,
                         .plot = lb_report_loss_svg};
    lb_io_remove_tree(o->out_dir);
    int rc = lb_train_run_to_dir(o, &td, err);
    if (td.trained && o->stop_rule)
        demo_log(d, &s, "leakbound %s: %s of step %ld (greedy %.4f)", command,
                 td.info.stop_met ? "stop rule met: the output is the model"
                                  : "stop rule not met: the output is the last model",
                 td.info.kept_step, td.info.kept_greedy);
    if (!rc) demo_log(d, &s, "leakbound %s: model written to %s", command, fo);
    o->on_step = NULL, o->ctx = NULL, o->info = NULL, o->check = NULL, o->check_ctx = NULL, o->kept_step = NULL;
    if (kept) *kept = kept_step;
    return demo_step_end(d, &s, rc, err, NULL);
}

/* ---- the experiment ---- */

/* The demo's lb_train_run options: finetune's (or unlearn's) defaults, then the demo's recipe. */
static void train_defaults(lb_train_run_opts_t *o, int unlearn) {
    memset(o, 0, sizeof *o);
    o->template_spec = "phi";
    o->obj.method = unlearn ? LB_METHOD_GA : LB_METHOD_FINETUNE;
    o->obj.lambda = 1.0;
    o->obj.beta = 0.05;
    o->weight_decay = 0.01;
    o->max_grad_norm = 1.0;
    o->grad_accum = 1;
    o->max_length = 72;
}

/* An eval of one model on forget10 or a retain sample (limit questions): n sampled answers;
 * with row, the row's numbers from the run's result (diversity: its first that many answers). */
static int eval(lb_demo_result_t *d, const char *model, const char *data, const char *out, const char *step, long n,
                long limit, int adaptive, int quiet, double *greedy, lb_demo_eval_t *row, int diversity,
                lb_error_t *err) {
    demo_eval_req_t req = {.kind = DEMO_EVAL_ROUGE, .model_dir = model, .data_path = data, .out_dir = out,
                              .template_spec = "phi", .n = n, .limit = limit, .max_new = d->max_new, .seed = d->seed,
                              .alpha = d->alpha, .temperature = d->temperature, .top_p = d->top_p,
                              .leak_threshold = d->leak_threshold, .confidence_threshold = d->ats_threshold,
                              .adaptive = adaptive};
    if (!row) return demo_eval(d, step, &req, quiet, greedy, err);
    demo_step_t s;
    demo_step_begin(d, &s, step, quiet ? DEMO_QUIET : 0);
    int rc = demo_eval_row(d, &s, &req, diversity, row, err);
    return demo_step_end(d, &s, rc, err, NULL);
}

/* One fine-tuning round r of the demo's recipe (ft_epochs epochs, lr ft_lr, batch 8, max length 72,
 * 10 warmup steps in round 1 and none later, the demo's seed) from src on data into dst. */
static int finetune_round(lb_demo_result_t *d, const char *src, const char *data, const char *dst, const char *step,
                          int r, lb_error_t *err) {
    lb_train_run_opts_t o;
    train_defaults(&o, 0);
    o.model_dir = src;
    o.data_path = data;
    o.out_dir = dst;
    o.epochs = d->ft_epochs;
    o.lr = strtod(d->ft_lr, NULL);
    o.batch_size = 8;
    o.warmup = r == 1 ? 10 : 0;
    o.seed = (uint64_t)d->seed;
    return demo_train(d, step, &o, "finetune", NULL, NULL, err);
}

/* models/<name> -> models/<name>-<r>: the last round's folder is what everything downstream reads. */
static int link_round(lb_demo_result_t *d, const char *name, int r, lb_error_t *err) {
    char final[1200], target[256];
    snprintf(final, sizeof final, "%s/models/%s", d->out, name);
    snprintf(target, sizeof target, "%s-%d", name, r);
    unlink(final);
    if (symlink(target, final)) return lb_error_set(err, LB_EIO, "cannot link %s: %s", final, strerror(errno));
    return 0;
}

static int finetune(lb_demo_result_t *d, lb_error_t *err) {
    char src[1024], dst[1024], data[1024], fcheck[1024], check[1024], step[64], step2[64];
    snprintf(src, sizeof src, "%s/models/init", d->out);
    snprintf(data, sizeof data, "%s/data/full.jsonl", d->out);
    snprintf(fcheck, sizeof fcheck, "%s/data/forget10.jsonl", d->out);
    for (int r = 1; r <= d->ft_rounds; r++) {
        snprintf(dst, sizeof dst, "%s/models/finetuned-%d", d->out, r);
        snprintf(step, sizeof step, "finetune-%d", r);
        snprintf(check, sizeof check, "%s/eval/finetune-check-%d", d->out, r);
        snprintf(step2, sizeof step2, "eval-finetune-check-%d", r);
        int rc = finetune_round(d, src, data, dst, step, r, err);
        if (!rc) rc = eval(d, dst, fcheck, check, step2, 1, 0, 0, 1, &d->ft_greedy, NULL, 0, err);
        if (rc) return rc;
        d->ft_rounds_used = r;
        demo_step_t s;
        snprintf(step, sizeof step, "fine-tuned-%d", r);
        demo_step_begin(d, &s, step, DEMO_NOTE);
        demo_step_end(d, &s, 0, err, "fine-tuned %d epoch(s) x %d: greedy ROUGE-L recall on forget10 %.3f",
                      d->ft_epochs, r, d->ft_greedy);
        if ((rc = link_round(d, "finetuned", r, err))) return rc;
        if (d->ft_greedy >= d->ft_target) break;
        memcpy(src, dst, sizeof src);
    }
    return 0;
}

/* The retain model (TOFU's reference for forget quality): the same recipe from the same initial
 * weights, on retain90 only, for as many rounds as the fine-tuned model took: models/retain90. */
static int finetune_retain(lb_demo_result_t *d, lb_error_t *err) {
    char src[1024], dst[1024], data[1024], step[64];
    snprintf(src, sizeof src, "%s/models/init", d->out);
    snprintf(data, sizeof data, "%s/data/retain90.jsonl", d->out);
    for (int r = 1; r <= d->ft_rounds_used; r++) {
        snprintf(dst, sizeof dst, "%s/models/%s-%d", d->out, LB_DEMO_RETAIN_MODEL, r);
        snprintf(step, sizeof step, "finetune-%s-%d", LB_DEMO_RETAIN_MODEL, r);
        int rc = finetune_round(d, src, data, dst, step, r, err);
        if (rc) return rc;
        memcpy(src, dst, sizeof src);
    }
    return link_round(d, LB_DEMO_RETAIN_MODEL, d->ft_rounds_used, err);
}

/* The rows of the table: the fine-tuned model, each method without and with EO, and the EO
 * models again under adaptive temperature (base: the row compared with; -1 none). */
static const struct {
    const char *name, *dir, *model_dir, *method;
    int entropy, adaptive, base;
} MODELS[] = {
    {"fine-tuned (no unlearning)", "finetuned", "finetuned", NULL, 0, 0, -1},
    {"GA", "ga", "ga", "ga", 0, 0, -1},
    {"GA + EO", "ga-eo", "ga-eo", "ga", 1, 0, 1},
    {"GD", "gd", "gd", "gd", 0, 0, -1},
    {"GD + EO", "gd-eo", "gd-eo", "gd", 1, 0, 3},
    {"NPO", "npo", "npo", "npo", 0, 0, -1},
    {"NPO + EO", "npo-eo", "npo-eo", "npo", 1, 0, 5},
    {"GA + EO, ATS", "ga-eo-ats", "ga-eo", "ga", 1, 1, 2},
    {"GD + EO, ATS", "gd-eo-ats", "gd-eo", "gd", 1, 1, 4},
    {"NPO + EO, ATS", "npo-eo-ats", "npo-eo", "npo", 1, 1, 6},
};

static int mkdirs(const char *out, lb_error_t *err) {
    const char *sub[] = {"", "/logs", "/models", "/eval"};
    for (size_t i = 0; i < 4; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", out, sub[i]);
        if (mkdir(p, 0755) && errno != EEXIST) return lb_error_set(err, LB_EIO, "cannot create %s: %s", p, strerror(errno));
    }
    return 0;
}

/* Unlearn with a greedy check after every optimizer step and lb_train_run's stop rule (the
 * first step whose mean greedy forget ROUGE-L recall is <= the target ends the run and its model
 * is the output; the last step is a candidate too): models/<dir>, whose eval_log.csv gives the
 * trace and train_log.csv runs up to that step. */
static int unlearn(lb_demo_result_t *d, lb_demo_row_t *row, lb_error_t *err) {
    char src[1024], dst[1024], data[1024], retain[1024], step[96];
    snprintf(src, sizeof src, "%s/models/finetuned", d->out);
    snprintf(dst, sizeof dst, "%s/models/%s", d->out, row->dir);
    snprintf(data, sizeof data, "%s/data/forget10.jsonl", d->out);
    snprintf(retain, sizeof retain, "%s/data/retain90.jsonl", d->out);
    snprintf(step, sizeof step, "unlearn-%s", row->dir);
    lb_train_run_opts_t o;
    train_defaults(&o, 1);
    o.model_dir = src;
    o.data_path = data;
    o.retain_path = retain;
    o.out_dir = dst;
    if (lb_train_run_opts_set(&o, "method", row->method, err)) return LB_EINVAL;
    o.epochs = d->ul_epochs;
    o.lr = strtod(d->ul_lr, NULL);
    o.batch_size = d->ul_batch;
    o.warmup = 0;
    o.seed = (uint64_t)d->seed;
    o.eval_every = 1;
    o.stop_rule = LB_TRAIN_STOP_AT_MOST;
    o.stop_at = d->ul_target;
    if (row->entropy) {
        o.obj.ent_f = strtod(d->entropy, NULL);
        o.obj.ent_r = strtod(strchr(d->entropy, ',') + 1, NULL);
        o.obj.ent_answer_only = !strcmp(d->entropy_positions, "answer");
    }
    char stash[1100];
    snprintf(stash, sizeof stash, "%s/models/.traj-%s", d->out, row->dir);
    lb_io_remove_tree(stash);
    if (mkdir(stash, 0755) != 0) return lb_error_set(err, LB_EIO, "%s: cannot create: %s", stash, strerror(errno));
    int rc = demo_train_stash(d, step, &o, "unlearn", data, stash, NULL, err);
    if (rc) return rc;
    /* the trace: eval_log.csv's rows (step,greedy,stop), one per step */
    char path[1200], line[256];
    snprintf(path, sizeof path, "%s/eval_log.csv", dst);
    FILE *f = fopen(path, "r");
    row->n_trace = 0;
    row->reached = 0;
    if (f && fgets(line, sizeof line, f))
        while (row->n_trace < LB_DEMO_MAX_STEPS && fgets(line, sizeof line, f)) {
            long st;
            double g;
            int stop;
            if (sscanf(line, "%ld,%lf,%d", &st, &g, &stop) != 3 || st != row->n_trace + 1) break;
            row->trace_greedy[row->n_trace++] = g;
            row->reached = lb_train_stop_met(LB_TRAIN_STOP_AT_MOST, d->ul_target, g);
        }
    if (f) fclose(f);
    if (!row->n_trace) return lb_error_set(err, LB_EFORMAT, "%s holds no greedy check", path);
    row->step = row->n_trace;
    row->steps = d->ul_steps_total;
    demo_step_t s;
    snprintf(step, sizeof step, "select-%s", row->dir);
    demo_step_begin(d, &s, step, DEMO_NOTE);
    demo_step_end(d, &s, 0, err, "step %d of %d: greedy forget %.3f (target %.2f%s)", row->step, row->steps,
                  row->trace_greedy[row->n_trace - 1], d->ul_target, row->reached ? "" : ": NOT reached");
    return 0;
}

/* A row's forget and retain evals: their folders under eval/<dir>/, and the row's numbers from
 * each run's lb_eval_result_t (demo_eval_row; nothing is read back from the folders). */
static int evaluate(lb_demo_result_t *d, lb_demo_row_t *row, lb_error_t *err) {
    char model[1024], ef[1024], er[1024], df[1024], dr[1024], sf[96], sr[96];
    snprintf(model, sizeof model, "%s/models/%s", d->out, row->model_dir);
    snprintf(ef, sizeof ef, "%s/eval/%s", d->out, row->dir);
    mkdir(ef, 0755);
    snprintf(ef, sizeof ef, "%s/eval/%s/forget", d->out, row->dir);
    snprintf(er, sizeof er, "%s/eval/%s/retain", d->out, row->dir);
    snprintf(df, sizeof df, "%s/data/forget10.jsonl", d->out);
    snprintf(dr, sizeof dr, "%s/data/retain90.jsonl", d->out);
    snprintf(sf, sizeof sf, "eval-%s-forget", row->dir);
    snprintf(sr, sizeof sr, "eval-%s-retain", row->dir);
    int rc = eval(d, model, df, ef, sf, d->n, 0, row->adaptive, 0, NULL, &row->forget, 0, err);
    if (!rc) rc = eval(d, model, dr, er, sr, d->retain_n, d->retain_q, row->adaptive, 0, NULL, &row->retain,
                       d->diversity_samples, err);
    return rc;
}

/* The sampled trajectory of an unlearning row (after its forget eval): the stashed check models
 * at steps k, 2k, ... < row->step (k = ceil(step / LB_DEMO_TRAJ_POINTS)) evaluated with
 * LB_DEMO_TRAJ_N sampled answers per forget question (the forget eval's settings, no files),
 * then the kept step from the row's forget eval. The stash is removed. */
static int trajectory(lb_demo_result_t *d, lb_demo_row_t *row, lb_error_t *err) {
    char stash[1100], model[1200], df[1024], step[96];
    snprintf(stash, sizeof stash, "%s/models/.traj-%s", d->out, row->dir);
    snprintf(df, sizeof df, "%s/data/forget10.jsonl", d->out);
    snprintf(step, sizeof step, "trajectory-%s", row->dir);
    demo_step_t s;
    demo_step_begin(d, &s, step, 0);
    int S = row->step, k = (S + LB_DEMO_TRAJ_POINTS - 1) / LB_DEMO_TRAJ_POINTS, rc = 0;
    row->n_traj = 0;
    for (int t = k; t < S && !rc && row->n_traj < LB_DEMO_TRAJ_POINTS; t += k) {
        snprintf(model, sizeof model, "%s/step-%d", stash, t);
        demo_eval_req_t req = {.kind = DEMO_EVAL_ROUGE, .model_dir = model, .data_path = df,
                               .template_spec = "phi", .n = LB_DEMO_TRAJ_N, .max_new = d->max_new,
                               .seed = d->seed, .alpha = d->alpha, .temperature = d->temperature,
                               .top_p = d->top_p, .leak_threshold = d->leak_threshold};
        int i = row->n_traj;
        double g;
        rc = demo_eval_means(d, &s, &req, &g, &row->traj_mean[i], &row->traj_m_mu[i], err);
        if (!rc) {
            row->traj_step[i] = t;
            row->traj_greedy[i] = row->trace_greedy[t - 1];
            row->n_traj++;
            demo_log(d, &s, "step %d: greedy %.4f, sampled mean %.4f, M_mu %.4f (n %d)", t, row->traj_greedy[i],
                     row->traj_mean[i], row->traj_m_mu[i], LB_DEMO_TRAJ_N);
        }
    }
    if (!rc) {
        int i = row->n_traj++;
        row->traj_step[i] = S;
        row->traj_greedy[i] = row->trace_greedy[S - 1];
        row->traj_mean[i] = row->forget.mean;
        row->traj_m_mu[i] = row->forget.m_mu;
    }
    lb_io_remove_tree(stash);
    rc = demo_step_end(d, &s, rc, err, rc ? NULL : "%d points (every %d steps, n %d; the kept step %d: n %ld)",
                       row->n_traj, k, LB_DEMO_TRAJ_N, S, d->n);
    row->traj_seconds = s.st.seconds;
    return rc;
}

void lb_demo_result_free(lb_demo_result_t *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_rows && i < LB_DEMO_MAX_MODELS; i++) {
        lb_demo_eval_free(&r->rows[i].forget);
        lb_demo_eval_free(&r->rows[i].retain);
    }
    free(r->summary);
    memset(r, 0, sizeof *r);
}

/* Questions in the generated forget set (read by the data module, as unlearn reads it). */
static int count_items(const char *path, long *n, lb_error_t *err) {
    lb_dataset_t ds;
    int rc = lb_data_load(path, LB_DATA_AUTO, &ds, err);
    if (rc) return rc;
    *n = (long)ds.n;
    lb_dataset_free(&ds);
    if (*n < 1) return lb_error_set(err, LB_EFORMAT, "%s: no questions", path);
    return 0;
}

/* The names the demo writes at the top of its folder: the set a new run replaces. */
static const char *const demo_files[] = {"demo.md", "demo.json", "demo_forget.svg", "demo_trajectory_ga.svg",
                                         "demo_trajectory_gd.svg", "demo_trajectory_npo.svg", "tokenizer.json",
                                         "data", "models", "eval", "logs", "align", NULL};

static int check_opts(const lb_demo_opts_t *o, lb_error_t *err) {
    double lf, lr, x;
    char tail, *end;
    if (!o->out || !*o->out) return lb_error_set(err, LB_EINVAL, "out: want a folder");
    if (o->n < 0 || o->n > 100000)
        return lb_error_set(err, LB_EINVAL, "n: want 0 (by quick) or an integer in 1..100000, got %ld",
                            o->n);
    if (o->seed < 0) return lb_error_set(err, LB_EINVAL, "seed: want an integer >= 0, got %ld", o->seed);
    if (o->authors < 1 || o->authors > 10000)
        return lb_error_set(err, LB_EINVAL, "authors: want an integer in 1..10000, got %d", o->authors);
    if (o->finetune_epochs < 1 || o->finetune_epochs > 10000)
        return lb_error_set(err, LB_EINVAL, "finetune_epochs: want an integer in 1..10000, got %d", o->finetune_epochs);
    if (!(o->unlearn_target >= 0 && o->unlearn_target <= 1))
        return lb_error_set(err, LB_EINVAL, "unlearn_target: want a number in [0, 1], got %g", o->unlearn_target);
    if (!o->unlearn_lr || !(x = strtod(o->unlearn_lr, &end), end != o->unlearn_lr && !*end && x > 0 && x <= 1))
        return lb_error_set(err, LB_EINVAL, "unlearn_lr: want a number in (0, 1], got '%s'",
                            o->unlearn_lr ? o->unlearn_lr : "");
    if (o->unlearn_epochs < 1 || o->unlearn_epochs > 1000)
        return lb_error_set(err, LB_EINVAL, "unlearn_epochs: want an integer in 1..1000, got %d", o->unlearn_epochs);
    if (!o->entropy || sscanf(o->entropy, "%lf,%lf%c", &lf, &lr, &tail) != 2 || !isfinite(lf) || !isfinite(lr))
        return lb_error_set(err, LB_EINVAL, "entropy: want LF,LR (two numbers), got '%s'", o->entropy ? o->entropy : "");
    if (!o->entropy_positions || (strcmp(o->entropy_positions, "all") && strcmp(o->entropy_positions, "answer")))
        return lb_error_set(err, LB_EINVAL, "entropy_positions: want all or answer, got '%s'",
                            o->entropy_positions ? o->entropy_positions : "");
    return 0;
}

static int run_steps(lb_demo_result_t *d, lb_error_t *err);

int lb_demo_run(const lb_demo_opts_t *opts, const lb_demo_hooks_t *hooks, lb_demo_result_t *d, lb_error_t *err) {
    memset(d, 0, sizeof *d);
    int rc = check_opts(opts, err);
    if (rc) return rc;
    d->opts = opts;
    d->hooks = hooks;
    /* Sizes: see docs/demo.md. The model is small enough to memorise the benchmark in seconds;
     * the time goes into sampling. */
    d->quick = opts->quick;
    d->seed = opts->seed;
    d->authors = opts->authors;
    d->vocab = 1024;
    d->size = "L2-D64-H4-KV2-I192-T80";
    d->n = lb_demo_opts_n(opts);
    d->retain_n = d->n < 32 ? d->n : 32; /* as many as the diversity measure reads */
    d->diversity_samples = 32;
    d->alpha = 0.01;
    d->temperature = 1.0;
    d->top_p = 0.9;
    d->leak_threshold = 0.9;
    d->ats_threshold = 0.5;
    d->max_new = 56;
    d->retain_q = 20;
    d->ft_epochs = opts->finetune_epochs;
    d->ft_rounds = 3;
    d->ft_target = 0.9;
    d->ft_lr = "5e-3";
    d->ul_lr = opts->unlearn_lr;
    d->ul_epochs = opts->unlearn_epochs;
    d->ul_batch = 4;
    d->ul_target = opts->unlearn_target;
    d->entropy = opts->entropy;
    d->entropy_positions = opts->entropy_positions;
    /* Everything goes into a temporary sibling of out, put in place at the end under out's lock
     * (the steps write inside it and take no locks of their own). */
    lb_io_dir_t dir;
    if ((rc = lb_io_dir_begin(&dir, opts->out, demo_files, opts->wait ? LB_IO_WAIT : 0, err))) return rc;
    d->final_out = opts->out;
    d->out = dir.path;
    rc = run_steps(d, err);
    if (!rc) rc = lb_io_dir_commit(&dir, err);
    if (rc && dir.path) {
        snprintf(d->stage_dir, sizeof d->stage_dir, "%s", dir.path);
        dir.keep = 1;
    }
    lb_io_dir_abort(&dir);
    d->out = d->final_out;
    return rc;
}

/* The demo's steps, all under d->out (the temporary folder). */
static int run_steps(lb_demo_result_t *d, lb_error_t *err) {
    int rc = mkdirs(d->out, err);
    if (rc) return rc;
    double t0 = demo_now();
    char data[1100], tok[1100], full[1200], init[1100], forget[1200];
    snprintf(data, sizeof data, "%s/data", d->out);
    snprintf(tok, sizeof tok, "%s/tokenizer.json", d->out);
    snprintf(full, sizeof full, "%s/full.jsonl", data);
    snprintf(init, sizeof init, "%s/models/init", d->out);
    snprintf(forget, sizeof forget, "%s/forget10.jsonl", data);
    demo_step_t s;
    demo_step_begin(d, &s, "data", 0);
    lb_fictitious_opts_t fo = {.seed = (uint64_t)d->seed, .n_authors = d->authors};
    rc = lb_fictitious_write(&fo, data, err);
    char fin[4300];
    if (!rc)
        demo_log(d, &s, "leakbound data: fictitious benchmark of %d authors (%d in forget10) in %s", d->authors,
                 lb_fictitious_forget_authors(d->authors, 10), demo_final_path(d, data, fin, sizeof fin));
    if (demo_step_end(d, &s, rc, err, NULL)) return rc;
    const char *files[] = {full};
    if ((rc = demo_tokenizer(d, "tokenizer", d->vocab, files, 1, tok, err))) return rc;
    if ((rc = demo_init(d, "init", d->size, tok, init, err))) return rc;
    long nf;
    if ((rc = count_items(forget, &nf, err))) return rc;
    d->ul_steps_total = d->ul_epochs * (int)((nf + d->ul_batch - 1) / d->ul_batch);
    if ((rc = finetune(d, err))) return rc;
    double tr0 = demo_now();
    if ((rc = finetune_retain(d, err))) return rc;
    d->retain_seconds = demo_now() - tr0;
    if ((rc = demo_tofu(d, LB_DEMO_RETAIN_MODEL, LB_DEMO_RETAIN_MODEL, &d->retain_tofu, err))) return rc;
    for (size_t i = 0; i < sizeof MODELS / sizeof MODELS[0] && !rc; i++) {
        lb_demo_row_t *row = &d->rows[d->n_rows++];
        row->name = MODELS[i].name;
        row->dir = MODELS[i].dir;
        row->model_dir = MODELS[i].model_dir;
        row->method = MODELS[i].method;
        row->entropy = MODELS[i].entropy;
        row->adaptive = MODELS[i].adaptive;
        row->base = MODELS[i].base;
        double t1 = demo_now();
        if (row->adaptive) {
            const lb_demo_row_t *m = &d->rows[row->base];
            row->step = m->step, row->steps = m->steps, row->reached = m->reached;
        }
        if (row->method && !row->adaptive) rc = unlearn(d, row, err);
        if (!rc) rc = evaluate(d, row, err);
        if (!rc && row->method && !row->adaptive) rc = trajectory(d, row, err);
        row->seconds = demo_now() - t1;
        if (!rc && row->adaptive) row->tofu = d->rows[row->base].tofu; /* the same model */
        else if (!rc) rc = demo_tofu(d, row->model_dir, row->dir, &row->tofu, err);
    }
    if (!rc) rc = demo_align(d, err);
    d->total_seconds = demo_now() - t0;
    if (!rc) rc = lb_demo_write_report(d, err);
    return rc;
}
