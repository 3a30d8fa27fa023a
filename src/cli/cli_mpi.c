/* One `sample`/`eval` job over MPI ranks (cli_mpi.h): static sharding by question (or by sample
 * range when there are fewer questions than ranks), results gathered on rank 0 and handed to
 * the command in question order. Built without MPI, every rank is rank 0 of 1. */
#include "cli_mpi.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#ifdef LB_HAVE_MPI
#include <mpi.h>
#endif

enum { PHASE_SETUP, PHASE_RUN, PHASE_DONE };
/* Messages: a worker sends rank 0 its results (DATA, one question's group or part of one) and
 * then one final message: DONE, or ERR with its error. Rank 0 sends each worker one STOP: when
 * the job is complete, or at once when the job failed (the worker then ends its share at its
 * next group). Rank 0 receives until every worker's final message is in, discarding results
 * after a failure, so every message is matched and every rank reaches MPI_Finalize: no
 * MPI_Abort (whose clean-up can hang OpenMPI 4.1's mpirun). */
enum { TAG_DATA = 1, TAG_DONE, TAG_ERR, TAG_STOP };
#define MSG_CAP 1024

static struct {
    int on;                     /* MPI_Init was called */
    int rank, size, phase;
    int deferred;               /* this rank stopped for another rank's failure, which that
                                   rank's status (and rank 0's message) accounts for */
    const char *cmd;
    char failed[MSG_CAP];       /* lb_cli_mpi_failed */
} g = {.size = 1};

int lb_cli_mpi_rank(void) { return g.rank; }
int lb_cli_mpi_size(void) { return g.size; }

void lb_cli_mpi_failed(const char *msg) { snprintf(g.failed, sizeof g.failed, "%s", msg); }

uint64_t lb_cli_mpi_fingerprint(const lb_sampler_prompt_t *prompts, size_t n,
                                const lb_sampler_opts_t *o) {
    uint64_t h = 0;
#define MIX(p, len) (h = h * 1099511628211ull ^ lb_sample_key_hash((const char *)(p), (len)))
    for (size_t i = 0; i < n; i++) {
        MIX(prompts[i].key, strlen(prompts[i].key) + 1);
        MIX(prompts[i].ids, prompts[i].n_ids * sizeof *prompts[i].ids);
    }
#undef MIX
    return h * 1099511628211ull ^ lb_sampler_opts_hash(o);
}

int lb_cli_mpi_flow_ready(void *user, int rc, const lb_eval_ctx_t *ctx, const lb_eval_opts_t *o,
                          lb_error_t *err) {
    (void)user;
    return lb_cli_mpi_ready(rc, &(lb_cli_mpi_job_t){
                                lb_cli_mpi_fingerprint(ctx->prompts, ctx->n_items, &ctx->opts),
                                o->model, ctx->model_sha256, o->data, ctx->data_sha256}, err);
}

int lb_cli_mpi_flow_go(void *user, int rc) {
    (void)user;
    return lb_cli_mpi_go(rc);
}

#ifndef LB_HAVE_MPI

void lb_cli_mpi_begin(const char *cmd) { g.cmd = cmd; }
int lb_cli_mpi_ready(int rc, const lb_cli_mpi_job_t *job, lb_error_t *err) { return rc; }
int lb_cli_mpi_go(int rc) { return rc; }
void lb_cli_mpi_bcast(void *buf, size_t n) {}
int lb_cli_mpi_sampler_run(const lb_model_t *m, const lb_tokenizer_t *tok,
                           const lb_sampler_prompt_t *prompts, size_t n_prompts,
                           const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                           lb_sampler_progress_fn progress, void *user, lb_error_t *err) {
    return lb_sampler_run(m, tok, prompts, n_prompts, o, emit, progress, user, err);
}
int lb_cli_mpi_end(int status) { return status; }

#else

void lb_cli_mpi_begin(const char *cmd) {
    g.cmd = cmd;
    if (g.on || !(getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK")))
        return;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g.size);
    g.on = 1;
}

#define PATH_CAP 512

typedef struct ready_msg {
    int rc;
    uint64_t fingerprint;
    char model[PATH_CAP], model_sha256[65], data[PATH_CAP], data_sha256[65];
    char msg[MSG_CAP];
} ready_msg_t;

/* Rank 0: does rank r's input (what, "model" or "data") differ from rank 0's? Then err says
 * which two (path and content hash) and the verdict is LB_EINVAL. */
static int differs(const char *what, const char *flag, const char *p0, const char *h0,
                   const char *p, const char *h, int r, lb_error_t *err) {
    if (!h0[0] || !h[0] || !strcmp(h0, h)) return 0;
    return lb_error_set(err, LB_EINVAL, "rank %d of %d: its %s differs from rank 0's: rank 0 "
                        "read %s '%s' (sha256 %s), rank %d read %s '%s' (sha256 %s): every rank "
                        "must load the same %s", r, g.size, what, flag, p0, h0, r, flag, p, h,
                        what);
}

int lb_cli_mpi_ready(int rc, const lb_cli_mpi_job_t *job, lb_error_t *err) {
    if (!g.on || g.phase != PHASE_SETUP) return rc;
    g.phase = PHASE_RUN;
    if (g.size == 1) return rc;
    ready_msg_t mine = {.rc = rc, .fingerprint = job ? job->fingerprint : 0}, *all = NULL;
    if (job) {
        snprintf(mine.model, sizeof mine.model, "%s", job->model ? job->model : "");
        snprintf(mine.model_sha256, sizeof mine.model_sha256, "%s", job->model_sha256 ? job->model_sha256 : "");
        snprintf(mine.data, sizeof mine.data, "%s", job->data ? job->data : "");
        snprintf(mine.data_sha256, sizeof mine.data_sha256, "%s", job->data_sha256 ? job->data_sha256 : "");
    }
    snprintf(mine.msg, sizeof mine.msg, "%s", rc && err && err->msg[0] ? err->msg
                                              : g.failed[0] ? g.failed
                                              : "failed before it started (its message is above)");
    if (g.rank == 0 && !(all = malloc((size_t)g.size * sizeof *all))) {
        fprintf(stderr, "leakbound %s: out of memory\n", g.cmd);
        MPI_Abort(MPI_COMM_WORLD, LB_EXIT_FAIL);
    }
    MPI_Gather(&mine, sizeof mine, MPI_BYTE, all, sizeof mine, MPI_BYTE, 0, MPI_COMM_WORLD);
    int verdict = rc;
    for (int r = 1; g.rank == 0 && !verdict && r < g.size; r++) {
        const ready_msg_t *o = &all[r];
        if (o->rc)
            verdict = lb_error_set(err, o->rc, "rank %d of %d: %s", r, g.size, o->msg);
        else if (!(verdict = differs("model", "--model", mine.model, mine.model_sha256, o->model,
                                     o->model_sha256, r, err)) &&
                 !(verdict = differs("data", "--data", mine.data, mine.data_sha256, o->data,
                                     o->data_sha256, r, err)) &&
                 o->fingerprint != mine.fingerprint)
            verdict = lb_error_set(err, LB_EINVAL, "rank %d of %d: its questions or sampling "
                                   "settings differ from rank 0's (another --data file or other "
                                   "flags on its node?): every rank must run the same job",
                                   r, g.size);
    }
    free(all);
    MPI_Bcast(&verdict, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (verdict) g.phase = PHASE_DONE; /* every rank stops here: nobody is left to wait for */
    if (verdict && !rc && g.rank != 0) g.deferred = 1; /* another rank's failure */
    return verdict;
}

int lb_cli_mpi_go(int rc) {
    if (!g.on || g.size == 1 || g.phase != PHASE_RUN) return rc;
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc) g.phase = PHASE_DONE;
    if (rc && g.rank != 0) g.deferred = 1; /* rank 0's failure: its status counts */
    return rc;
}

void lb_cli_mpi_bcast(void *buf, size_t n) {
    if (g.on && g.size > 1) MPI_Bcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
}

/* An error for rank 0: its LB_E* code (4 bytes, so that rank 0 classifies it as this rank
 * does: the exit status) and its message. */
static void send_error(int32_t code, const char *msg) {
    char m[MSG_CAP + sizeof code];
    memcpy(m, &code, sizeof code);
    snprintf(m + sizeof code, MSG_CAP, "%s", msg && msg[0] ? msg : "failed");
    MPI_Send(m, (int)(sizeof code + strlen(m + sizeof code) + 1), MPI_BYTE, 0, TAG_ERR,
             MPI_COMM_WORLD);
}

/* The LB_E* code that lb_cli_status maps to exit status (for a rank's own failure). */
static int status_code(int status) { return status == LB_EXIT_FAIL ? LB_ENOMEM : LB_EINVAL; }

static void recv_stop(void) {
    MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

static void stop_workers(void);

int lb_cli_mpi_end(int status) {
    if (!g.on) return status;
    if (g.phase == PHASE_SETUP) {
        lb_error_t err = {0};
        int v = lb_cli_mpi_ready(status ? status_code(status) : 0, NULL, &err);
        if (v && !status) {
            if (g.rank == 0) {
                fprintf(stderr, "leakbound %s: %s\n", g.cmd, err.msg);
                status = lb_cli_status(&err, NULL, NULL);
            }
        }
    } else if (g.phase == PHASE_RUN && g.size > 1) {
        /* failed after lb_cli_mpi_ready but before the run: end it as the run would */
        if (g.rank != 0) {
            char m[64];
            snprintf(m, sizeof m, "failed (exit status %d)", status);
            send_error(status_code(status), g.failed[0] ? g.failed : m);
            recv_stop();
        } else {
            stop_workers();
        }
    }
    /* One exit status for the whole job, whichever rank mpirun hears from first: the most
     * severe (largest) status of the ranks that failed on their own; a rank that only stopped
     * for another's failure counts as 0 (the failing rank, and rank 0 that reports it with its
     * code, carry that status). */
    if (g.size > 1) {
        int mine = g.deferred ? 0 : status, all = status;
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        status = all ? all : status;
    }
    MPI_Finalize();
    g.on = 0;
    return status;
}

/* ---- the run ------------------------------------------------------------------------------ */

/* One question's results as they arrive on rank 0. */
typedef struct group {
    int have;                   /* results stored */
    lb_sample_result_t *res;    /* (n_res,) by result index (greedy first) */
    char **blob;                /* (n_res,) each result's tokens, temperatures and text */
} group_t;

typedef struct job {
    const lb_sampler_prompt_t *prompts;
    size_t n_prompts;
    const lb_sampler_opts_t *o;
    int n_res, greedy;
    lb_sampler_emit_fn emit;
    lb_sampler_progress_fn progress;
    void *user;
    const size_t *map;          /* local prompt index of the current lb_sampler_run -> global */
    /* rank 0 */
    group_t *grp;               /* (n_prompts,) */
    size_t next;                /* groups handed to emit */
    int workers_done, final_shown;
    int draining;               /* rank 0 after a failure: results are discarded */
    int stopped;                /* a worker: rank 0 said STOP */
    size_t samples, tokens;     /* finished by other ranks, and by earlier local runs */
    lb_sampler_progress_t local;/* the current local run's progress */
    struct timespec t0;
    int rc;                     /* an error met while polling (returned by the next local emit) */
    lb_error_t err;
    char *buf;                  /* message buffer */
    size_t cap, len;
} job_t;

static void put(job_t *j, const void *p, size_t n) {
    memcpy(j->buf + j->len, p, n);
    j->len += n;
}

typedef struct wire {           /* one result's header in a message */
    int32_t index, n_tokens, finish, has_temps;
    uint64_t text_len;
} wire_t;

/* Store result x of global prompt p on rank 0 (a copy: x is valid only during the call). */
static int store(job_t *j, size_t p, const wire_t *w, const int32_t *tokens, const float *temps,
                 const char *text, lb_error_t *err) {
    int ri = w->index < 0 ? 0 : w->index + j->greedy;
    if (p >= j->n_prompts || ri >= j->n_res || (w->index < 0 && !j->greedy))
        return lb_error_set(err, LB_EINVAL, "internal error: result (%zu, %d) is outside the job",
                            p, (int)w->index);
    group_t *gp = &j->grp[p];
    if (!gp->res) {
        gp->res = calloc((size_t)j->n_res, sizeof *gp->res);
        gp->blob = calloc((size_t)j->n_res, sizeof *gp->blob);
        if (!gp->res || !gp->blob) return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (gp->blob[ri])
        return lb_error_set(err, LB_EINVAL, "internal error: result (%zu, %d) arrived twice", p,
                            (int)w->index);
    size_t nt = (size_t)w->n_tokens, tb = nt * sizeof(int32_t), fb = w->has_temps ? nt * sizeof(float) : 0;
    char *b = malloc(tb + fb + w->text_len + 1);
    if (!b) return lb_error_set(err, LB_ENOMEM, "out of memory");
    memcpy(b, tokens, tb);
    if (fb) memcpy(b + tb, temps, fb);
    memcpy(b + tb + fb, text, w->text_len);
    b[tb + fb + w->text_len] = 0;
    gp->blob[ri] = b;
    gp->res[ri] = (lb_sample_result_t){.index = w->index, .tokens = (const int32_t *)b,
                                       .n_tokens = w->n_tokens, .text = b + tb + fb,
                                       .text_len = w->text_len, .finish = (lb_finish_t)w->finish,
                                       .temperatures = fb ? (const float *)(b + tb) : NULL};
    gp->have++;
    return LB_OK;
}

static void report(job_t *j) {
    if (!j->progress || j->final_shown) return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    lb_sampler_progress_t p = {.prompts_done = j->next, .prompts_total = j->n_prompts,
                               .samples_done = j->samples + j->local.samples_done,
                               .tokens = j->tokens + j->local.tokens,
                               .seconds = (double)(t.tv_sec - j->t0.tv_sec) +
                                          1e-9 * (double)(t.tv_nsec - j->t0.tv_nsec)};
    j->final_shown = j->next == j->n_prompts;
    j->progress(j->user, &p);
}

/* Hand every complete group, in order, to the command. */
static int flush(job_t *j, lb_error_t *err) {
    size_t before = j->next;
    while (j->next < j->n_prompts && j->grp[j->next].have == j->n_res) {
        group_t *gp = &j->grp[j->next];
        int rc = j->emit ? j->emit(j->user, j->next, gp->res, j->n_res, err) : 0;
        for (int r = 0; r < j->n_res; r++) free(gp->blob[r]);
        free(gp->blob);
        free(gp->res);
        gp->blob = NULL;
        gp->res = NULL;
        if (rc) return rc;
        j->next++;
    }
    if (j->next != before) report(j);
    return LB_OK;
}

/* Rank 0: receive one message (wait for it when block), store it, hand on what is complete.
 * Returns 0 (also when nothing was waiting), or the error (a rank's message names it). */
static int poll_one(job_t *j, int block, lb_error_t *err) {
    MPI_Status st;
    int ready = 1, n;
    if (block)
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    else
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &ready, &st);
    if (!ready) return LB_OK;
    MPI_Get_count(&st, MPI_BYTE, &n);
    if (lb_grow((void **)&j->buf, &j->cap, (size_t)n + 1, 1))
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    MPI_Recv(j->buf, n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st.MPI_TAG == TAG_DONE || st.MPI_TAG == TAG_ERR) j->workers_done++;
    if (st.MPI_TAG == TAG_DONE || j->draining) return LB_OK;
    if (st.MPI_TAG == TAG_ERR) {
        int32_t code = LB_EINVAL;
        j->buf[n] = 0;
        if ((size_t)n >= sizeof code) memcpy(&code, j->buf, sizeof code);
        if (code == LB_OK) code = LB_EINVAL;
        return lb_error_set(err, code, "rank %d of %d: %s", st.MPI_SOURCE, g.size,
                            (size_t)n >= sizeof code ? j->buf + sizeof code : "failed");
    }
    /* TAG_DATA: (uint64 prompt, int32 count) then per result: wire_t, tokens, temps, text */
    size_t off = 0, p;
    int32_t count;
    memcpy(&p, j->buf, sizeof p);
    memcpy(&count, j->buf + sizeof p, sizeof count);
    off = sizeof p + sizeof count;
    for (int32_t i = 0; i < count; i++) {
        wire_t w;
        memcpy(&w, j->buf + off, sizeof w);
        off += sizeof w;
        const char *tk = j->buf + off;
        off += (size_t)w.n_tokens * sizeof(int32_t);
        const char *tp = j->buf + off;
        off += w.has_temps ? (size_t)w.n_tokens * sizeof(float) : 0;
        const char *tx = j->buf + off;
        off += w.text_len;
        if (off > (size_t)n)
            return lb_error_set(err, LB_EINVAL, "internal error: a short message from rank %d",
                                st.MPI_SOURCE);
        /* tokens and temperatures are copied byte-wise: no alignment needed here */
        int rc = store(j, p, &w, (const int32_t *)(const void *)tk, (const float *)(const void *)tp,
                       tx, err);
        if (rc) return rc;
        j->samples++;
        j->tokens += (size_t)w.n_tokens;
    }
    return flush(j, err);
}

static int poll_all(job_t *j, lb_error_t *err) {
    int rc = 0, flag = 1;
    while (!rc && flag) {
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        if (flag) rc = poll_one(j, 1, err);
    }
    return rc;
}

/* A worker: has rank 0 said STOP (the job failed elsewhere)? */
static int stop_seen(job_t *j) {
    int flag = 0;
    if (!j->stopped) {
        MPI_Iprobe(0, TAG_STOP, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        if (flag) {
            recv_stop();
            j->stopped = 1;
        }
    }
    return j->stopped;
}

static void local_progress(void *user, const lb_sampler_progress_t *p) {
    job_t *j = user;
    j->local = *p;
    if (g.rank != 0) {
        stop_seen(j);
        return;
    }
    if (!j->rc) j->rc = poll_all(j, &j->err);
    report(j);
}

/* The local sampler's emit: rank 0 stores and hands on; another rank sends to rank 0. */
static int local_emit(void *user, size_t prompt, const lb_sample_result_t *res, int n_res,
                      lb_error_t *err) {
    job_t *j = user;
    size_t p = j->map[prompt];
    if (g.rank == 0) {
        if (j->rc) { /* met while polling: stop this run with it */
            *err = j->err;
            return j->rc;
        }
        for (int r = 0; r < n_res; r++) {
            const lb_sample_result_t *x = &res[r];
            wire_t w = {x->index, x->n_tokens, (int32_t)x->finish, x->temperatures != NULL,
                        x->text_len};
            int rc = store(j, p, &w, x->tokens, x->temperatures, x->text, err);
            if (rc) return rc;
        }
        int rc = flush(j, err);
        return rc ? rc : poll_all(j, err);
    }
    if (stop_seen(j)) return lb_error_set(err, LB_EINVAL, "stopped by rank 0");
    size_t need = sizeof(uint64_t) + sizeof(int32_t);
    for (int r = 0; r < n_res; r++)
        need += sizeof(wire_t) + res[r].text_len +
                (size_t)res[r].n_tokens * (sizeof(int32_t) + (res[r].temperatures ? sizeof(float) : 0));
    if (need > INT_MAX) return lb_error_set(err, LB_EINVAL, "prompt '%s': %zu bytes of results "
                                            "are too many for one message", j->prompts[p].key, need);
    if (lb_grow((void **)&j->buf, &j->cap, need, 1))
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    j->len = 0;
    uint64_t p64 = p;
    int32_t count = n_res;
    put(j, &p64, sizeof p64);
    put(j, &count, sizeof count);
    for (int r = 0; r < n_res; r++) {
        const lb_sample_result_t *x = &res[r];
        wire_t w = {x->index, x->n_tokens, (int32_t)x->finish, x->temperatures != NULL, x->text_len};
        put(j, &w, sizeof w);
        put(j, x->tokens, (size_t)x->n_tokens * sizeof *x->tokens);
        if (x->temperatures) put(j, x->temperatures, (size_t)x->n_tokens * sizeof *x->temperatures);
        put(j, x->text, x->text_len);
    }
    MPI_Send(j->buf, (int)j->len, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
    return LB_OK;
}

/* Rank 0: one STOP to every worker (zero bytes: sent eagerly, nothing waits on it). */
static void stop_all(void) {
    for (int r = 1; r < g.size; r++) MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, MPI_COMM_WORLD);
}

static void stop_workers(void) {
    job_t j = {.draining = 1};
    lb_error_t ignored;
    stop_all();
    while (j.workers_done < g.size - 1) poll_one(&j, 1, &ignored);
    free(j.buf);
}

/* This rank's share: whole questions p with p mod K == rank, or, with fewer questions than
 * ranks, its contiguous range of the job's (question, result) pairs. */
static int run_share(job_t *j, const lb_model_t *m, const lb_tokenizer_t *tok, lb_error_t *err) {
    size_t P = j->n_prompts, K = (size_t)g.size, R = (size_t)g.rank;
    lb_sampler_progress_fn prog = local_progress;
    int rc = 0;
    if (P >= K) {
        size_t n = (P - R + K - 1) / K;
        lb_sampler_prompt_t *sub = malloc((n + 1) * sizeof *sub);
        size_t *map = malloc((n + 1) * sizeof *map);
        if (!sub || !map) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < n; i++) {
            map[i] = R + i * K;
            sub[i] = j->prompts[map[i]];
        }
        j->map = map;
        if (!rc) rc = lb_sampler_run(m, tok, sub, n, j->o, local_emit, prog, j, err);
        free(sub);
        free(map);
        return rc;
    }
    size_t T = P * (size_t)j->n_res, t0 = T * R / K, t1 = T * (R + 1) / K;
    while (!rc && t0 < t1) {
        size_t p = t0 / (size_t)j->n_res;
        int lo = (int)(t0 % (size_t)j->n_res), hi = j->n_res;
        if ((p + 1) * (size_t)j->n_res > t1) hi = (int)(t1 - p * (size_t)j->n_res);
        lb_sampler_opts_t o = *j->o;
        o.greedy_too = j->greedy && lo == 0;
        int first = lo > j->greedy ? lo - j->greedy : 0;
        o.first_sample = j->o->first_sample + first;
        o.n_samples = hi - j->greedy - first;
        if (o.n_samples < 0) o.n_samples = 0;
        j->map = &p;
        rc = lb_sampler_run(m, tok, &j->prompts[p], 1, &o, local_emit, prog, j, err);
        j->samples += j->local.samples_done; /* this local run's counts move to the base */
        j->tokens += j->local.tokens;
        j->local = (lb_sampler_progress_t){0};
        t0 = (p + 1) * (size_t)j->n_res;
    }
    return rc;
}

int lb_cli_mpi_sampler_run(const lb_model_t *m, const lb_tokenizer_t *tok,
                           const lb_sampler_prompt_t *prompts, size_t n_prompts,
                           const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                           lb_sampler_progress_fn progress, void *user, lb_error_t *err) {
    int n_res = o->n_samples + (o->greedy_too ? 1 : 0);
    if (!g.on || g.size == 1 || n_res == 0) { /* nothing to share: rank 0 alone */
        g.phase = PHASE_DONE;
        return g.rank == 0 ? lb_sampler_run(m, tok, prompts, n_prompts, o, emit, progress, user, err)
                           : LB_OK;
    }
    job_t j = {.prompts = prompts, .n_prompts = n_prompts, .o = o, .n_res = n_res,
               .greedy = o->greedy_too ? 1 : 0, .emit = emit, .progress = progress, .user = user};
    clock_gettime(CLOCK_MONOTONIC, &j.t0);
    int rc = 0;
    if (g.rank == 0 && !(j.grp = calloc(n_prompts + 1, sizeof *j.grp)))
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    if (!rc) rc = run_share(&j, m, tok, err);
    if (g.rank != 0) {
        free(j.buf);
        if (rc && !j.stopped)
            send_error(err->code, err->msg);
        else
            MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
        if (!j.stopped) recv_stop();
        g.phase = PHASE_DONE;
        if (j.stopped) g.deferred = 1;
        return j.stopped ? LB_OK : rc; /* stopped: rank 0 reports why */
    }
    if (!rc && j.rc) {
        rc = j.rc;
        *err = j.err;
    }
    j.samples += j.local.samples_done; /* the last local run (whole questions) */
    j.tokens += j.local.tokens;
    j.local = (lb_sampler_progress_t){0};
    while (!rc && (j.next < n_prompts || j.workers_done < g.size - 1)) rc = poll_one(&j, 1, err);
    if (!rc) report(&j); /* the final line, unless the last group already showed it */
    if (rc) { /* stop the workers now, then take (and drop) what they still send */
        j.draining = 1;
        stop_all();
    }
    lb_error_t ignored;
    while (j.workers_done < g.size - 1) poll_one(&j, 1, &ignored);
    if (!rc) stop_all();
    g.phase = PHASE_DONE;
    for (size_t p = 0; j.grp && p < n_prompts; p++) {
        if (j.grp[p].blob)
            for (int r = 0; r < n_res; r++) free(j.grp[p].blob[r]);
        free(j.grp[p].blob);
        free(j.grp[p].res);
    }
    free(j.grp);
    free(j.buf);
    return rc;
}

#endif
