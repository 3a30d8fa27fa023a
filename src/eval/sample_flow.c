/* The flow of `leakbound sample -o FILE`, once: what the CLI (with its MPI transport) and
 * lb_eval_job_sample with an output file both run. Each group is appended whole to FILE and
 * fsync'ed, so an interrupted run keeps every finished group; resume drops a trailing partial
 * group and samples the rest. Nothing here prints; the caller's hooks do. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakbound/eval.h"
#include "leakbound/io.h"
#include "eval_internal.h"

#define BAD(...) return lb_error_set(err, LB_EINVAL, __VA_ARGS__)

/* Everything before the ranks meet: the checks, lb_eval_load, the loaded hook. */
static int setup(lb_eval_sample_flow_t *f, const lb_eval_opts_t *o, lb_eval_ctx_t *ctx,
                 lb_error_t *err) {
    if (!f->out) BAD("-o FILE is required");
    if (!o->model) BAD("--model DIR is required");
    if (!o->data) BAD("--data FILE is required");
    if (o->n < 0) BAD("-n N is required");
    f->stage = LB_EVAL_FLOW_LOAD;
    int rc = lb_eval_load(o, ctx, err);
    if (rc) return rc;
    lbi_eval_warn_data(f->hooks.warn, f->hooks.user, &ctx->ds, o->data);
    return f->loaded ? f->loaded(f->hooks.user, ctx, err) : 0;
}

/* Rank 0 before the run: FILE locked and opened, its settings file written (or, resuming,
 * checked) and its complete groups marked in done. */
static int open_file(const lb_eval_sample_flow_t *f, const lb_eval_opts_t *o,
                     const lb_eval_ctx_t *ctx, int n_res, lb_io_lock_t *lock, int *fd,
                     json_t **settings, unsigned char *done, lb_error_t *err) {
    const char *out = f->out;
    /* FILE and FILE.settings.json are this run's alone until it ends: a second run into FILE
     * is refused (or waits) before it truncates or appends anything */
    int rc = lb_io_lock_acquire(lock, out, f->io_flags, err);
    if (rc) {
        if (rc == LB_EINVAL) lb_error_prefix(err, "-o");
        return rc;
    }
    /* O_APPEND: each group is one write() at the end of the file */
    *fd = open(out, O_RDWR | O_APPEND | O_CREAT | (f->resume ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
    if (*fd < 0)
        return lb_error_set(err, LB_EIO, "%s: cannot open for writing: %s", out, strerror(errno));
    char spath[4200];
    if (snprintf(spath, sizeof spath, "%s.settings.json", out) >= (int)sizeof spath)
        return lb_error_set(err, LB_EINVAL, "%s: path too long", out);
    if ((rc = lb_eval_sample_settings(ctx, o->tmpl, settings, err))) return rc;
    rc = f->resume ? lb_eval_sample_settings_check(out, spath, *fd, *settings, err)
                   : lb_atomic_write_json(spath, *settings, err);
    if (rc) return rc;
    size_t n_done = 0;
    if (f->resume && n_res > 0)
        rc = lb_eval_sample_resume_scan(out, *fd, ctx, n_res, o->greedy_too, done, &n_done,
                                        f->resumed, f->hooks.user, err);
    return rc;
}

int lb_eval_sample_flow_run(lb_eval_sample_flow_t *f, lb_eval_opts_t *o, lb_eval_ctx_t *ctx,
                            lb_error_t *err) {
    memset(ctx, 0, sizeof *ctx);
    f->stage = LB_EVAL_FLOW_CHECK;
    f->n_done = f->n_todo = 0;
    int rc = setup(f, o, ctx, err);
    if (rc) return rc;
    f->stage = LB_EVAL_FLOW_RUN;
    int root = f->rank == 0, fd = -1;
    int n_res = ctx->opts.n_samples + o->greedy_too;
    size_t n = ctx->n_items;
    lb_io_lock_t lock = {0};
    json_t *settings = NULL;
    unsigned char *done = calloc(n ? n : 1, 1);
    size_t *todo = malloc((n ? n : 1) * sizeof *todo);
    lb_eval_writer_t w = {.ctx = ctx, .verbose = o->verbose, .fd = -1, .path = f->out};
    lbi_eval_chain_t run = {.hooks = &f->hooks, .w = &w};
    if (!done || !todo) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    /* Every rank is set up (and agrees on the job) before rank 0 touches FILE. */
    if (f->ready) rc = f->ready(f->hooks.user, rc, ctx, o, err);
    if (rc) goto end;
    if (root) rc = open_file(f, o, ctx, n_res, &lock, &fd, &settings, done, err);
    w.fd = fd;
    /* every rank, rank 0 also on its errors above: rank 0's outcome with FILE, then the
       questions left (resume) */
    if (f->go) rc = f->go(f->hooks.user, rc);
    if (rc) goto end;
    if (f->bcast) f->bcast(f->hooks.user, done, n);
    for (size_t i = 0; i < n; i++)
        if (!done[i]) todo[f->n_todo++] = i;
    f->n_done = n - f->n_todo;
    if (f->started && (rc = f->started(f->hooks.user, ctx, f->n_done, f->n_todo, err))) goto end;
    {
        lb_eval_hooks_t hooks = lbi_eval_chain_hooks(&run, root);
        rc = lb_eval_sample(ctx, todo, f->n_todo, &hooks, err);
    }
end:
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = lb_error_set(err, LB_EIO, "%s: close failed: %s", f->out, strerror(errno));
    lb_io_lock_release(&lock);
    free(done);
    free(todo);
    free(w.buf);
    json_decref(settings);
    return rc;
}
