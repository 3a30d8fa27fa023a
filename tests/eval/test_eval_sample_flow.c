/* lb_eval_sample_flow_run (`sample -o FILE` as a library call) on the bundled default
 * (examples/default): a run writes FILE and FILE.settings.json; a second writer of FILE is
 * refused while the first holds the lock (FILE untouched); runs stopped by their progress or
 * group hook and a FILE cut inside a group (a torn line) resume to the bytes of one
 * uninterrupted run; resuming with another seed is refused naming the setting; the transport hooks run in order
 * (loaded, ready, go, bcast, started), a worker (rank 1) never touches FILE and samples what
 * the broadcast leaves, and rank 0 meets the others at go with its error when FILE cannot be
 * locked; a resumed job (lb_eval_job_sample) hands back the groups FILE already held through
 * lb_eval_job_lines, FILE's bytes. The CLI's bytes themselves are compared in
 * tests/oracle/python_eval.py and the sample/mpi oracle tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/eval.h"

static char model_dir[4096], data_path[4096], work[4096];

static void paths(void) {
    const char *src = getenv("LB_SOURCE_DIR");
    snprintf(model_dir, sizeof model_dir, "%s/examples/default/model", src ? src : ".");
    snprintf(data_path, sizeof data_path, "%s/examples/default/forget.jsonl", src ? src : ".");
    snprintf(work, sizeof work, "%s/test_eval_sample_flow-%d",
             getenv("LB_WORK") ? getenv("LB_WORK") : "/tmp", (int)getpid());
    mkdir(work, 0755);
}

/* The file's bytes (NUL-terminated), *len their count; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = NULL;
    size_t cap = 0, n = 0, k;
    do {
        if (n + 4096 + 1 > cap) b = realloc(b, cap = 2 * cap + 4096 + 1);
        k = fread(b + n, 1, 4096, f);
        n += k;
    } while (k > 0);
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

static void spit(const char *path, const char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* -n 2 --greedy-too over 4 questions: 3 lines per group. */
static void opts(lb_eval_opts_t *o, const char *seed) {
    lb_eval_opts_default(o);
    lb_error_t err = {0};
    const char *kv[][2] = {{"n", "2"}, {"limit", "4"}, {"template", "phi"},
                           {"max-new-tokens", "6"}, {"batch", "2"}, {"greedy-too", NULL},
                           {"top-p", "0.9"}, {"seed", seed}};
    for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
        assert_int_equal(lb_eval_opts_set(o, kv[k][0], kv[k][1], &err), 0);
    o->model = model_dir;
    o->data = data_path;
    o->threads = 1;
}

typedef struct log {
    char order[16];
    int n, calls, stop_after, fail_ready, groups, stop_group;
    int go_rc;                 /* the rc go was given */
    size_t n_done, n_todo;     /* what started saw */
    unsigned char bcast_done;  /* a worker's bcast: item 0 done */
} log_t;

static void mark(log_t *l, char c) {
    if (l->n < 15) l->order[l->n++] = c;
}
static int on_loaded(void *u, const lb_eval_ctx_t *ctx, lb_error_t *err) {
    (void)ctx, (void)err;
    mark(u, 'L');
    return 0;
}
static int on_ready(void *u, int rc, const lb_eval_ctx_t *ctx, const lb_eval_opts_t *o,
                    lb_error_t *err) {
    log_t *l = u;
    (void)ctx, (void)o;
    mark(l, 'R');
    if (!rc && l->fail_ready) return lb_error_set(err, LB_EINVAL, "rank 1 of 2: failed");
    return rc;
}
static int on_go(void *u, int rc) {
    log_t *l = u;
    mark(l, 'G');
    l->go_rc = rc;
    return rc;
}
static void on_bcast(void *u, void *buf, size_t n) {
    log_t *l = u;
    mark(l, 'B');
    if (l->bcast_done && n) ((unsigned char *)buf)[0] = 1; /* what rank 0 found in FILE */
}
static int on_started(void *u, const lb_eval_ctx_t *ctx, size_t n_done, size_t n_todo,
                      lb_error_t *err) {
    log_t *l = u;
    (void)err;
    mark(l, 'S');
    assert_int_equal(n_done + n_todo, ctx->n_items);
    l->n_done = n_done;
    l->n_todo = n_todo;
    return 0;
}
static int on_group(void *u, size_t item, const lb_sample_result_t *res, int n_res,
                    const double *scores, lb_error_t *err) {
    log_t *l = u;
    (void)item, (void)res, (void)err;
    assert_int_equal(n_res, 3);
    assert_null(scores);
    return ++l->groups == l->stop_group; /* 1: stop before FILE gets this group */
}
static int on_progress(void *u, const lb_sampler_progress_t *p) {
    log_t *l = u;
    (void)p;
    return l->stop_after && ++l->calls >= l->stop_after;
}

/* One flow run into out with the logging hooks. */
static int run(const char *out, int resume, int rank, const char *seed, log_t *l,
               lb_eval_sample_flow_t *f, lb_error_t *err) {
    lb_eval_opts_t o;
    opts(&o, seed);
    *f = (lb_eval_sample_flow_t){.out = out, .resume = resume, .rank = rank, .ranks = rank + 1,
                                 .hooks = {.user = l, .progress = on_progress,
                                           .group = on_group},
                                 .loaded = on_loaded, .ready = on_ready, .go = on_go,
                                 .bcast = on_bcast, .started = on_started};
    lb_eval_ctx_t ctx;
    int rc = lb_eval_sample_flow_run(f, &o, &ctx, err);
    lb_eval_ctx_free(&ctx);
    return rc;
}

static void test_write_lock_resume(void **state) {
    (void)state;
    paths();
    char out[4200], spath[4300], lockpath[4300];
    snprintf(out, sizeof out, "%s/s.jsonl", work);
    snprintf(spath, sizeof spath, "%s.settings.json", out);
    snprintf(lockpath, sizeof lockpath, "%s/.s.jsonl.lock", work);
    lb_error_t err = {0};
    lb_eval_sample_flow_t f;

    /* a whole run */
    log_t l = {0};
    assert_int_equal(run(out, 0, 0, "3", &l, &f, &err), 0);
    assert_int_equal(l.groups, 4);
    assert_string_equal(l.order, "LRGBS");
    assert_int_equal((int)l.n_done, 0);
    assert_int_equal((int)l.n_todo, 4);
    size_t n_full = 0, n = 0;
    char *full = slurp(out, &n_full);
    assert_non_null(full);
    int lines = 0;
    for (size_t i = 0; i < n_full; i++) lines += full[i] == '\n';
    assert_int_equal(lines, 12);                      /* 4 groups of greedy + 2 */
    assert_non_null(strstr(full, "\"sample\":-1"));
    size_t n_set = 0;
    char *set = slurp(spath, &n_set);
    assert_non_null(set);
    assert_non_null(strstr(set, "\"seed\": 3"));
    free(set);

    /* a second writer: refused while another holds FILE's lock, FILE untouched */
    lb_io_lock_t held = {0};
    assert_int_equal(lb_io_lock_acquire(&held, out, 0, &err), 0);
    log_t l2 = {0};
    assert_int_equal(run(out, 0, 0, "3", &l2, &f, &err), LB_EINVAL);
    assert_int_equal(f.stage, LB_EVAL_FLOW_RUN);
    assert_non_null(strstr(err.msg, "-o: another leakbound run is writing"));
    assert_string_equal(l2.order, "LRG");             /* rank 0 still meets the others at go */
    assert_int_equal(l2.go_rc, LB_EINVAL);
    char *now = slurp(out, &n);
    assert_true(n == n_full && !memcmp(now, full, n));
    free(now);
    lb_io_lock_release(&held);

    /* interrupted by its progress hook after some groups, then resumed: the whole run's bytes */
    log_t l3 = {.stop_after = 3};
    assert_int_equal(run(out, 0, 0, "3", &l3, &f, &err), LB_ECANCELED);
    now = slurp(out, &n);
    assert_true(n < n_full && !memcmp(now, full, n)); /* whole groups, a prefix of the run's */
    free(now);
    /* stopped by its group hook at the third group: FILE keeps the first two */
    log_t l3b = {.stop_group = 3};
    assert_int_equal(run(out, 1, 0, "3", &l3b, &f, &err), LB_ECANCELED);
    now = slurp(out, &n);
    size_t two = 0;
    for (int k = 0; k < 6; k++) two = (size_t)(strchr(full + two, '\n') - full) + 1;
    assert_true(n == two && !memcmp(now, full, n));
    free(now);
    log_t l4 = {0};
    assert_int_equal(run(out, 1, 0, "3", &l4, &f, &err), 0);
    assert_int_equal((int)f.n_done, 2);
    assert_int_equal((int)f.n_todo, 2);
    assert_int_equal(l4.groups, 2);                   /* only the groups FILE lacked */
    assert_int_equal((int)l4.n_todo, (int)f.n_todo);
    now = slurp(out, &n);
    assert_true(n == n_full && !memcmp(now, full, n));
    free(now);

    /* FILE cut inside its third group (two groups and a line and a half kept) */
    size_t cut = 0;
    for (int k = 0; k < 7; k++) cut = (size_t)(strchr(full + cut, '\n') - full) + 1;
    cut += 10;                                        /* a torn line */
    spit(out, full, cut);
    log_t l5 = {0};
    assert_int_equal(run(out, 1, 0, "3", &l5, &f, &err), 0);
    assert_int_equal((int)f.n_done, 2);
    assert_int_equal((int)f.n_todo, 2);
    now = slurp(out, &n);
    assert_true(n == n_full && !memcmp(now, full, n));
    free(now);

    /* another seed is refused, naming the setting; FILE untouched */
    log_t l6 = {0};
    assert_int_equal(run(out, 1, 0, "4", &l6, &f, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "setting 'seed' differs"));
    now = slurp(out, &n);
    assert_true(n == n_full && !memcmp(now, full, n));
    free(now);

    free(full);
    unlink(out);
    unlink(spath);
    unlink(lockpath);
}

/* A worker (rank 1) never locks, opens or writes FILE, samples what the broadcast leaves; a
 * failing ready stops the run before FILE and before go. */
static void test_ranks(void **state) {
    (void)state;
    paths();
    char out[4200];
    snprintf(out, sizeof out, "%s/w.jsonl", work);
    lb_error_t err = {0};
    lb_eval_sample_flow_t f;
    log_t l = {.bcast_done = 1};
    assert_int_equal(run(out, 1, 1, "3", &l, &f, &err), 0);
    assert_string_equal(l.order, "LRGBS");
    assert_int_equal((int)l.n_done, 1);
    assert_int_equal((int)l.n_todo, 3);
    assert_int_equal(access(out, F_OK), -1);
    log_t l2 = {.fail_ready = 1};
    assert_int_equal(run(out, 0, 0, "3", &l2, &f, &err), LB_EINVAL);
    assert_string_equal(l2.order, "LR");
    assert_int_equal(access(out, F_OK), -1);
    /* the checks come first, in the CLI's order */
    lb_eval_opts_t o;
    opts(&o, "3");
    lb_eval_ctx_t ctx;
    f = (lb_eval_sample_flow_t){0};
    assert_int_equal(lb_eval_sample_flow_run(&f, &o, &ctx, &err), LB_EINVAL);
    assert_int_equal(f.stage, LB_EVAL_FLOW_CHECK);
    assert_string_equal(err.msg, "-o FILE is required");
    f.out = out;
    o.n = -1;
    assert_int_equal(lb_eval_sample_flow_run(&f, &o, &ctx, &err), LB_EINVAL);
    assert_string_equal(err.msg, "-n N is required");
    rmdir(work);
}

/* A job with output out (and resume): the options of opts() by flag names. */
static lb_eval_job_t *job(const char *out, int resume) {
    lb_eval_job_t *j = NULL;
    lb_error_t err = {0};
    assert_int_equal(lb_eval_job_new(&j, &err), 0);
    const char *kv[][2] = {{"model", model_dir}, {"data", data_path}, {"n", "2"},
                           {"limit", "4"}, {"template", "phi"}, {"max-new-tokens", "6"},
                           {"batch", "2"}, {"greedy-too", NULL}, {"top-p", "0.9"},
                           {"seed", "3"}, {"threads", "1"}, {"output", out},
                           {"resume", resume ? "" : NULL}};
    for (size_t k = 0; k < sizeof kv / sizeof *kv; k++)
        if (strcmp(kv[k][0], "resume") || resume)
            assert_int_equal(lb_eval_job_set(j, kv[k][0], kv[k][1], &err), 0);
    return j;
}

/* lb_eval_job_sample with resume: the groups FILE already held come back through
 * lb_eval_job_lines as FILE's bytes, as the groups sampled by the run do, so every item's lines
 * joined are the whole run's FILE. */
static void test_job_resumed_lines(void **state) {
    (void)state;
    paths();
    char out[4200], spath[4300], lockpath[4300];
    snprintf(out, sizeof out, "%s/j.jsonl", work);
    snprintf(spath, sizeof spath, "%s.settings.json", out);
    snprintf(lockpath, sizeof lockpath, "%s/.j.jsonl.lock", work);
    lb_error_t err = {0};
    lb_eval_job_t *j = job(out, 0);
    assert_int_equal(lb_eval_job_sample(j, NULL, NULL, &err), 0);
    lb_eval_job_free(j);
    size_t n_full = 0, n = 0;
    char *full = slurp(out, &n_full);
    assert_non_null(full);
    /* FILE cut inside its third group: two groups (6 lines) and a torn line kept */
    size_t cut = 0;
    for (int k = 0; k < 7; k++) cut = (size_t)(strchr(full + cut, '\n') - full) + 1;
    spit(out, full, cut + 10);
    j = job(out, 1);
    assert_int_equal(lb_eval_job_sample(j, NULL, NULL, &err), 0);
    assert_int_equal((int)lb_eval_job_n_items(j), 4);
    size_t at = 0, len = 0;
    for (size_t p = 0; p < 4; p++) {
        const char *lines = lb_eval_job_lines(j, p, &len);
        assert_non_null(lines);                       /* resumed (0, 1) and sampled (2, 3) */
        assert_true(at + len <= n_full && !memcmp(lines, full + at, len));
        assert_int_equal(lines[len], 0);
        at += len;
    }
    assert_int_equal(at, n_full);
    char *now = slurp(out, &n);
    assert_true(n == n_full && !memcmp(now, full, n));
    free(now);
    lb_eval_job_free(j);
    /* everything resumed: nothing sampled, every item's lines still there */
    j = job(out, 1);
    assert_int_equal(lb_eval_job_sample(j, NULL, NULL, &err), 0);
    at = 0;
    for (size_t p = 0; p < 4; p++) {
        const char *lines = lb_eval_job_lines(j, p, &len);
        assert_non_null(lines);
        assert_true(at + len <= n_full && !memcmp(lines, full + at, len));
        at += len;
    }
    assert_int_equal(at, n_full);
    lb_eval_job_free(j);
    free(full);
    unlink(out);
    unlink(spath);
    unlink(lockpath);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_write_lock_resume),
                                       cmocka_unit_test(test_job_resumed_lines),
                                       cmocka_unit_test(test_ranks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
