/* A whole finetune / unlearning run: data, schedule, steps, log, checkpoints, resume. */
#include "train_internal.h"
#include "leakbound/io.h"
#include "leakbound/tokenizer.h"
#include "leakbound/train_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    lb_model_t *m, *mref;
    lb_train_t *tr, *ref;
    lb_tokenizer_t *tok;
    lb_template_t *tpl;
    lb_dataset_t dsf, dsr;
    lb_train_rows_t f, r;
    int32_t *bt, *bl, *rt, *rl;   /* (batch, T) gathered micro-batch */
    int *bn, *rn;                 /* (batch,) */
    size_t *perm;                 /* (n forget) */
    FILE *log;
    FILE *eval_log;               /* <stage>/eval_log.csv with checks, else NULL */
    lb_dtype_t out_dtype;         /* the final model's: the starting model's file dtype */
    double last_greedy;           /* the latest check's score and whether it met the stop rule */
    int last_met;
} run_t;

static void run_free(run_t *s) {
    lb_train_free(s->tr);
    lb_train_free(s->ref);
    lb_model_free(s->m);
    lb_model_free(s->mref);
    lb_tokenizer_free(s->tok);
    lb_template_free(s->tpl);
    lb_dataset_free(&s->dsf);
    lb_dataset_free(&s->dsr);
    lb_train_rows_free(&s->f);
    lb_train_rows_free(&s->r);
    free(s->bt), free(s->bl), free(s->rt), free(s->rl), free(s->bn), free(s->rn);
    free(s->perm);
    if (s->log) fclose(s->log);
    if (s->eval_log) fclose(s->eval_log);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Everything that shapes the trajectory; a resumed run must match it exactly. The data files
 * enter by content (sha256; retain "-" when unused), not only by their item counts. */
static void fingerprint(const lb_train_run_opts_t *o, size_t nf, size_t nr, long warmup,
                        const char *data_sha, const char *retain_sha, char *buf, size_t cap) {
    snprintf(buf, cap,
             "%s lambda=%.17g beta=%.17g ent=%.17g,%.17g pos=%d lr=%.17g epochs=%d batch=%d "
             "accum=%d T=%d warmup=%ld wd=%.17g clip=%.17g seed=%llu n=%zu,%zu data=%s "
             "retain=%s tpl=%s",
             lb_train_method_name(o->obj.method), o->obj.lambda, o->obj.beta, o->obj.ent_f,
             o->obj.ent_r, o->obj.ent_answer_only, o->lr, o->epochs, o->batch_size, o->grad_accum,
             o->max_length, warmup, o->weight_decay, o->max_grad_norm,
             (unsigned long long)o->seed, nf, nr, data_sha, retain_sha, o->template_spec);
    size_t n = strlen(buf);
    if (o->answer_prefix && n < cap) /* a --config file's answer_tag */
        snprintf(buf + n, cap - n, " answer=%s", o->answer_prefix);
}

static int load_data(run_t *s, const char *path, lb_dataset_t *ds, lb_train_rows_t *rows,
                     const char *prefix, int T, int32_t eos, lb_error_t *err) {
    int rc = lb_data_load(path, LB_DATA_AUTO, ds, err);
    if (!rc) rc = lb_train_encode(s->tok, s->tpl, prefix, ds, path, T, eos, rows, err);
    if (!rc && rows->n == 0) rc = lb_error_set(err, LB_EINVAL, "%s: no examples", path);
    return rc;
}

static void gather(const lb_train_rows_t *rows, size_t idx, int j, int32_t *t, int32_t *l,
                   int *n) {
    size_t T = (size_t)rows->T;
    memcpy(t + (size_t)j * T, rows->tokens + idx * T, T * sizeof(int32_t));
    memcpy(l + (size_t)j * T, rows->labels + idx * T, T * sizeof(int32_t));
    n[j] = rows->lens[idx];
}

static int check_opts(const lb_train_run_opts_t *o, lb_error_t *err) {
    int rc = lb_train_run_check(o, err);
    if (rc) return rc;
    if (o->epochs < 1 || o->batch_size < 1 || o->grad_accum < 1 || o->max_length < 2)
        return lb_error_set(err, LB_EINVAL,
                            "epochs, batch size and accumulation must be >= 1, max length >= 2");
    if (!(o->lr > 0.0) || o->weight_decay < 0.0)
        return lb_error_set(err, LB_EINVAL, "learning rate must be > 0, weight decay >= 0");
    if (o->obj.method == LB_METHOD_NPO && !(o->obj.beta > 0.0))
        return lb_error_set(err, LB_EINVAL, "NPO needs beta > 0");
    if (o->eval_every && !o->check)
        return lb_error_set(err, LB_EINVAL, "--eval-every: the run has no check function "
                            "(lb_train_run_opts_t.check; lb_eval_check_run)");
    return 0;
}

/* --tokenizer's files into the output folder, so that it is a complete model folder. */
static int copy_tokenizer(const lb_train_run_opts_t *o, const char *stage, lb_error_t *err) {
    char src[4200], dst[4200], *data = NULL;
    size_t len = 0;
    lb_tokenizer_path(o->model_dir, o->tokenizer, src, sizeof src);
    int rc = lb_io_read_file(src, &data, &len, err);
    snprintf(dst, sizeof dst, "%s/tokenizer.json", stage);
    if (!rc) rc = lb_atomic_write_file(dst, data, len, err);
    free(data);
    data = NULL;
    char dir[4096];
    lb_tokenizer_config_dir(o->model_dir, o->tokenizer, dir, sizeof dir);
    snprintf(src, sizeof src, "%s/tokenizer_config.json", dir);
    if (!rc && strcmp(dir, o->model_dir) && access(src, R_OK) == 0) {
        snprintf(dst, sizeof dst, "%s/tokenizer_config.json", stage);
        rc = lb_io_read_file(src, &data, &len, err);
        if (!rc) rc = lb_atomic_write_file(dst, data, len, err);
        free(data);
    }
    return rc;
}

static int setup(run_t *s, const lb_train_run_opts_t *o, lb_error_t *err) {
    int rc = lb_model_load(o->resume_dir ? o->resume_dir : o->model_dir, NULL, &s->m, err);
    if (rc) return rc;
    const lb_model_config_t *g = lb_model_config(s->m);
    if (g->eos_token_id < 0)
        return lb_error_set(err, LB_EINVAL, "%s/config.json: eos_token_id is needed (padding)",
                            o->model_dir);
    char cfg_dir[4096];
    if ((rc = lb_tokenizer_load_for_model(o->model_dir, o->tokenizer, &s->tok, err))) return rc;
    lb_tokenizer_config_dir(o->model_dir, o->tokenizer, cfg_dir, sizeof cfg_dir);
    const char *spec = o->template_spec ? o->template_spec : "phi";
    if ((rc = lb_template_open(spec, cfg_dir, &s->tpl, err))) return rc;
    /* The Phi TOFU layout writes "Answer: " before the answer (docs/training.md). */
    const char *prefix = o->answer_prefix ? o->answer_prefix : !strcmp(spec, "phi") ? "Answer: " : "";
    int T = o->max_length;
    if (T > g->max_position_embeddings) T = g->max_position_embeddings;
    if ((rc = load_data(s, o->data_path, &s->dsf, &s->f, prefix, T, g->eos_token_id, err)))
        return rc;
    if (o->retain_path && lb_objective_needs_retain(&o->obj) &&
        (rc = load_data(s, o->retain_path, &s->dsr, &s->r, prefix, T, g->eos_token_id, err)))
        return rc;
    if ((rc = lb_train_create(s->m, o->batch_size, T, 1, &s->tr, err))) return rc;
    /* The starting model, kept in its file dtype (nothing widened but vectors): NPO's frozen
     * reference reads it in place, and the final model is saved in its dtype. */
    lb_model_options_t keep = {.keep_file_dtype = 1};
    if (o->obj.method == LB_METHOD_NPO || o->resume_dir) {
        if ((rc = lb_model_load(o->model_dir, &keep, &s->mref, err))) return rc;
        s->out_dtype = lb_model_file_dtype(s->mref);
    } else {
        s->out_dtype = lb_model_file_dtype(s->m);
    }
    if (o->obj.method == LB_METHOD_NPO) {
        if ((rc = lb_train_create(s->mref, o->batch_size, T, 0, &s->ref, err))) return rc;
    }
    size_t B = (size_t)o->batch_size, BT = B * T;
    s->bt = malloc(BT * sizeof(int32_t)), s->bl = malloc(BT * sizeof(int32_t));
    s->rt = malloc(BT * sizeof(int32_t)), s->rl = malloc(BT * sizeof(int32_t));
    s->bn = malloc(B * sizeof(int)), s->rn = malloc(B * sizeof(int));
    s->perm = malloc(s->f.n * sizeof(size_t));
    if (!s->bt || !s->bl || !s->rt || !s->rl || !s->bn || !s->rn || !s->perm)
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    return 0;
}

/* Open stage/train_log.csv: fresh with a header, or (resume) the checkpoint's copy. */
static int open_log(run_t *s, const lb_train_run_opts_t *o, const char *stage, char *log_path,
                    size_t cap, lb_error_t *err) {
    snprintf(log_path, cap, "%s/train_log.csv", stage);
    if (o->resume_dir) {
        char src[4096], *data = NULL;
        size_t len = 0;
        snprintf(src, sizeof src, "%s/train_log.csv", o->resume_dir);
        int rc = lb_io_read_file(src, &data, &len, err);
        if (rc) return rc;
        s->log = fopen(log_path, "w");
        if (s->log) fwrite(data, 1, len, s->log);
        free(data);
    } else {
        s->log = fopen(log_path, "w");
        if (s->log)
            fputs("step,epoch,lr,loss,ce_forget,entropy_forget,npo,ce_retain,entropy_retain,"
                  "grad_norm,tokens,seconds\n", s->log);
    }
    if (!s->log) return lb_error_set(err, LB_EIO, "%s: %s", log_path, strerror(errno));
    return 0;
}

int lb_train_stop_met(int rule, double at, double greedy) {
    if (rule == LB_TRAIN_STOP_AT_MOST) return greedy <= at;
    if (rule == LB_TRAIN_STOP_AT_LEAST) return greedy >= at;
    return 0;
}

static int checks_on(const lb_train_run_opts_t *o) { return o->eval_every > 0 && o->check; }

/* Open stage/eval_log.csv: fresh with its header, or (resume) the checkpoint's copy when it has
 * one. */
static int open_eval_log(run_t *s, const lb_train_run_opts_t *o, const char *stage, char *path,
                         size_t cap, lb_error_t *err) {
    snprintf(path, cap, "%s/eval_log.csv", stage);
    char src[4096], *data = NULL;
    size_t len = 0;
    if (o->resume_dir) {
        snprintf(src, sizeof src, "%s/eval_log.csv", o->resume_dir);
        if (access(src, F_OK) == 0) {
            int rc = lb_io_read_file(src, &data, &len, err);
            if (rc) return rc;
        }
    }
    s->eval_log = fopen(path, "w");
    if (s->eval_log) {
        if (data) fwrite(data, 1, len, s->eval_log);
        else fputs("step,greedy,stop\n", s->eval_log);
    }
    free(data);
    if (!s->eval_log || fflush(s->eval_log))
        return lb_error_set(err, LB_EIO, "%s: %s", path, strerror(errno));
    return 0;
}

/* One greedy check after `step`: the weights as an HF folder for the caller's check, the
 * result appended to eval_log.csv. *met: the stop rule holds. */
static int run_check(run_t *s, const lb_train_run_opts_t *o, const char *stage, long step,
                     const char *fp, int *met, lb_error_t *err) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/.check-%ld", stage, step);
    double g = 0;
    int rc = lb_train_save(s->tr, o->model_dir, dir, 0, fp, NULL, err);
    if (!rc) rc = o->check(o->check_ctx, step, dir, &g, err);
    lb_io_remove_tree(dir);
    if (rc) return rc;
    *met = lb_train_stop_met(o->stop_rule, o->stop_at, g);
    s->last_greedy = g, s->last_met = *met;
    fprintf(s->eval_log, "%ld,%.17g,%d\n", step, g, *met);
    if (fflush(s->eval_log) != 0)
        return lb_error_set(err, LB_EIO, "%s/eval_log.csv: write failed: %s", stage, strerror(errno));
    return 0;
}

/* A checkpoint carries the eval log so far (a resumed run continues it). */
static int copy_eval_log(const char *stage, const char *dir, lb_error_t *err) {
    char src[4200], dst[4400], *data = NULL;
    size_t len = 0;
    snprintf(src, sizeof src, "%s/eval_log.csv", stage);
    snprintf(dst, sizeof dst, "%s/eval_log.csv", dir);
    int rc = lb_io_read_file(src, &data, &len, err);
    if (!rc) rc = lb_atomic_write_file(dst, data, len, err);
    free(data);
    return rc;
}

static void avg_into(lb_loss_parts_t *acc, const lb_loss_parts_t *p, double w) {
    acc->loss += p->loss * w;
    acc->ce += p->ce * w;
    acc->ent += p->ent * w;
    acc->npo += p->npo * w;
    acc->n_sup += p->n_sup;
}

int lb_train_run(const lb_train_run_opts_t *o, lb_error_t *err) {
    int rc = check_opts(o, err);
    if (rc) return rc;
    const char *stage = o->stage_dir ? o->stage_dir : o->out_dir;
    if (mkdir(stage, 0755) != 0 && errno != EEXIST)
        return lb_error_set(err, LB_EIO, "%s: cannot create: %s", stage, strerror(errno));
    run_t s = {0};
    rc = setup(&s, o, err);
    size_t nf = s.f.n, nr = s.r.n, B = (size_t)o->batch_size;
    long n_batches = (long)((nf + B - 1) / B);
    long spe = (n_batches + o->grad_accum - 1) / o->grad_accum;
    long total = spe * o->epochs, warmup = o->warmup < 0 ? spe : o->warmup;
    /* The data enter by the hash of the bytes loaded (a pipe's too), not by their path. */
    char fp[1024], log_path[4200], data_sha[65] = "-", retain_sha[65] = "-";
    if (!rc) snprintf(data_sha, sizeof data_sha, "%s", s.dsf.sha256);
    if (!rc && o->retain_path && lb_objective_needs_retain(&o->obj))
        snprintf(retain_sha, sizeof retain_sha, "%s", s.dsr.sha256);
    fingerprint(o, nf, nr, warmup, data_sha, retain_sha, fp, sizeof fp);
    if (!rc && o->resume_dir) rc = lbi_train_load_opt(s.tr, o->resume_dir, fp, err);
    if (!rc) rc = open_log(&s, o, stage, log_path, sizeof log_path, err);
    char eval_path[4200];
    if (!rc && checks_on(o)) rc = open_eval_log(&s, o, stage, eval_path, sizeof eval_path, err);
    long kept = total;
    lb_adamw_opts_t ao = {.lr = o->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                          .weight_decay = o->weight_decay, .max_grad_norm = o->max_grad_norm};
    long start = s.tr ? s.tr->step : 0, cached_epoch = -1;
    double t0 = now_s(), tokens_total = 0;
    for (long step = start; !rc && step < total; step++) {
        long epoch = step / spe, k = step % spe;
        if (epoch != cached_epoch) {
            lb_train_epoch_order(o->seed, epoch, nf, s.perm);
            cached_epoch = epoch;
        }
        long mb0 = k * o->grad_accum, mb1 = mb0 + o->grad_accum;
        if (mb1 > n_batches) mb1 = n_batches;
        lb_train_zero_grad(s.tr);
        lb_train_progress_t pr = {.step = step + 1, .total_steps = total, .epoch = epoch};
        if (s.ref) {
            lb_model_weight_bytes(s.mref, &pr.ref_widened_bytes, &pr.ref_mapped_bytes);
            pr.ref_dtype = lb_model_file_dtype(s.mref);
        }
        double w = 1.0 / (double)(mb1 - mb0), toks = 0;
        for (long mb = mb0; mb < mb1 && !rc; mb++) {
            int nb = 0;
            for (size_t i = (size_t)mb * B; i < nf && i < (size_t)(mb + 1) * B; i++, nb++) {
                gather(&s.f, s.perm[i], nb, s.bt, s.bl, s.bn);
                if (nr) gather(&s.r, lb_train_retain_partner(o->seed, epoch, i, nr), nb, s.rt,
                               s.rl, s.rn);
                toks += s.bn[nb] + (nr ? s.rn[nb] : 0);
            }
            lb_loss_parts_t parts[2];
            rc = lb_objective_step(s.tr, s.ref, &o->obj, s.bt, s.bl, s.bn, nb, s.rt, s.rl, s.rn,
                                   nb, w, parts, err);
            if (rc) break;
            avg_into(&pr.forget, &parts[0], w);
            avg_into(&pr.retain, &parts[1], w);
        }
        if (rc) break;
        pr.lr = o->lr * lb_train_lr_factor(step, warmup, total);
        lb_train_adamw_step(s.tr, &ao, pr.lr, &pr.grad_norm);
        pr.loss = pr.forget.loss + pr.retain.loss;
        tokens_total += toks;
        pr.elapsed_s = now_s() - t0;
        pr.tokens_per_s = tokens_total / (pr.elapsed_s > 0 ? pr.elapsed_s : 1e-9);
        pr.eta_s = pr.elapsed_s / (double)(step + 1 - start) * (double)(total - step - 1);
        fprintf(s.log, "%ld,%ld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.0f,%.3f\n", pr.step,
                epoch, pr.lr, pr.loss, pr.forget.ce, pr.forget.ent, pr.forget.npo, pr.retain.ce,
                pr.retain.ent, pr.grad_norm, toks, pr.elapsed_s);
        fflush(s.log);
        if (o->on_step) o->on_step(o->ctx, &pr);
        if (checks_on(o) && ((step + 1) % o->eval_every == 0 || step + 1 == total)) {
            int met = 0;
            rc = run_check(&s, o, stage, step + 1, fp, &met, err);
            if (rc) break;
            if (met && o->stop_rule) { /* this step's weights are the output */
                kept = step + 1;
                break;
            }
        }
        if (o->save_every > 0 && (step + 1) % o->save_every == 0 && step + 1 < total) {
            char dir[4300];
            snprintf(dir, sizeof dir, "%s/checkpoint-%ld", o->out_dir, step + 1);
            if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST)
                rc = lb_error_set(err, LB_EIO, "%s: cannot create: %s", o->out_dir,
                                  strerror(errno));
            if (!rc) rc = lb_train_save(s.tr, o->model_dir, dir, 1, fp, log_path, err);
            if (!rc && s.eval_log) rc = copy_eval_log(stage, dir, err);
        }
        if (o->stop_after > 0 && step + 1 == o->stop_after) {
            run_free(&s);
            return rc;
        }
    }
    if (!rc && (fflush(s.log) != 0 || ferror(s.log) || fsync(fileno(s.log)) != 0))
        rc = lb_error_set(err, LB_EIO, "%s: write failed: %s", log_path, strerror(errno));
    if (!rc && s.eval_log &&
        (fflush(s.eval_log) != 0 || ferror(s.eval_log) || fsync(fileno(s.eval_log)) != 0))
        rc = lb_error_set(err, LB_EIO, "%s: write failed: %s", eval_path, strerror(errno));
    if (!rc && o->kept_step) *o->kept_step = kept;
    if (!rc) {
        rc = lbi_train_copy_model_files(o->model_dir, stage, err);
        if (!rc && o->tokenizer) rc = copy_tokenizer(o, stage, err);
        if (!rc) rc = lbi_train_save_weights(s.tr, stage, s.out_dtype, err);
    }
    if (!rc && o->info) {
        lb_train_run_info_t *in = o->info;
        memset(in, 0, sizeof *in);
        snprintf(in->data_sha256, sizeof in->data_sha256, "%s", data_sha);
        if (strcmp(retain_sha, "-")) snprintf(in->retain_sha256, sizeof in->retain_sha256, "%s", retain_sha);
        in->total_steps = total;
        in->final_step = s.tr ? s.tr->step : total;
        /* the output holds the weights of the step the stop rule kept, else the last step's */
        in->kept_step = o->eval_every ? kept : in->final_step;
        in->warmup = warmup;
        in->stop_met = o->stop_rule && s.last_met; /* the last check is kept_step's */
        in->kept_greedy = s.last_greedy;
        if (!o->tokenizer) {
            rc = lb_model_sha256(o->model_dir, in->model_sha256, err);
        } else { /* the tokenizer files loaded, as sample's and eval's model_sha256 */
            char tok[4096], dir[4096], cfg[4200];
            lb_tokenizer_path(o->model_dir, o->tokenizer, tok, sizeof tok);
            lb_tokenizer_config_dir(o->model_dir, o->tokenizer, dir, sizeof dir);
            snprintf(cfg, sizeof cfg, "%s/tokenizer_config.json", dir);
            rc = lb_model_sha256_with(o->model_dir, tok, cfg, in->model_sha256, err);
        }
    }
    run_free(&s);
    return rc;
}
