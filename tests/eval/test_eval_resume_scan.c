/* lb_eval_sample_resume_scan (`sample -o FILE --resume`) on a synthetic context: a file of
 * 50,000 complete groups, written in the reverse of the data set's order (the worst case for
 * a scan of the items from the first), is read well under a second; an id not in the data
 * set, an id twice, and a data set with one id on two items (the first item is the one
 * marked) give the results and messages they always gave; a torn last group is cut off. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/eval.h"

static char work[4096];

/* A context holding only what the scan reads: n items with these ids. */
static void ctx_of(lb_eval_ctx_t *ctx, char **ids, size_t n) {
    memset(ctx, 0, sizeof *ctx);
    ctx->ds.items = calloc(n ? n : 1, sizeof *ctx->ds.items);
    assert_non_null(ctx->ds.items);
    for (size_t i = 0; i < n; i++) ctx->ds.items[i].id = ids[i];
    ctx->ds.n = ctx->n_items = n;
}

/* path holding b (n bytes), opened read-write at its start. */
static int file_of(const char *path, const char *b, size_t n) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void test_many_items(void **state) {
    (void)state;
    enum { P = 50000 };
    char **ids = malloc(P * sizeof *ids), path[4200];
    assert_non_null(ids);
    for (size_t i = 0; i < P; i++) {
        ids[i] = malloc(16);
        snprintf(ids[i], 16, "q%05zu", i);
    }
    lb_eval_ctx_t ctx;
    ctx_of(&ctx, ids, P);
    /* --greedy-too -n 1: two lines a group, the last item's group first */
    size_t cap = (size_t)P * 80, len = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    for (size_t k = 0; k < P; k++) {
        const char *id = ids[P - 1 - k];
        len += (size_t)snprintf(b + len, cap - len, "{\"id\":\"%s\",\"sample\":-1,\"text\":\"g\"}\n"
                                "{\"id\":\"%s\",\"sample\":0,\"text\":\"s\"}\n", id, id);
    }
    snprintf(path, sizeof path, "%s/many.jsonl", work);
    int fd = file_of(path, b, len);
    unsigned char *done = calloc(P, 1);
    size_t n_done = 0;
    lb_error_t err = {0};
    double t0 = now_s();
    int rc = lb_eval_sample_resume_scan(path, fd, &ctx, 2, 1, done, &n_done, NULL, NULL, &err);
    double dt = now_s() - t0;
    assert_int_equal(rc, 0);
    assert_int_equal(n_done, P);
    for (size_t i = 0; i < P; i++) assert_int_equal(done[i], 1);
    assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)len); /* every group complete: nothing cut */
    /* a scan from the first item for each group made 1.25e9 string compares here (seconds) */
    double limit = getenv("LB_SANITIZED") ? 5.0 : 0.5;
    if (dt > limit) fail_msg("resume scan of %d groups took %.3f s (limit %.1f s)", P, dt, limit);
    close(fd);

    /* an id not in the data set, after 3 good groups: named with its line */
    memset(done, 0, P);
    len = 0;
    for (size_t k = 0; k < 3; k++)
        len += (size_t)snprintf(b + len, cap - len, "{\"id\":\"%s\",\"sample\":-1,\"text\":\"g\"}\n"
                                "{\"id\":\"%s\",\"sample\":0,\"text\":\"s\"}\n", ids[k], ids[k]);
    size_t good = len;
    len += (size_t)snprintf(b + len, cap - len, "{\"id\":\"nope\",\"sample\":-1,\"text\":\"g\"}\n"
                            "{\"id\":\"nope\",\"sample\":0,\"text\":\"s\"}\n");
    fd = file_of(path, b, len);
    rc = lb_eval_sample_resume_scan(path, fd, &ctx, 2, 1, done, &n_done, NULL, NULL, &err);
    assert_int_equal(rc, LB_EFORMAT);
    char want[4400];
    snprintf(want, sizeof want, "%s:8: id 'nope' is not among the questions of this dataset", path);
    assert_string_equal(err.msg, want);
    close(fd);

    /* the first group again */
    memset(done, 0, P);
    len = good;
    len += (size_t)snprintf(b + len, cap - len, "{\"id\":\"%s\",\"sample\":-1,\"text\":\"g\"}\n"
                            "{\"id\":\"%s\",\"sample\":0,\"text\":\"s\"}\n", ids[0], ids[0]);
    fd = file_of(path, b, len);
    rc = lb_eval_sample_resume_scan(path, fd, &ctx, 2, 1, done, &n_done, NULL, NULL, &err);
    assert_int_equal(rc, LB_EFORMAT);
    snprintf(want, sizeof want, "%s:8: id 'q00000' appears twice", path);
    assert_string_equal(err.msg, want);
    close(fd);

    /* a torn last group (its first line only): cut off, the 3 groups before it done */
    memset(done, 0, P);
    len = good;
    len += (size_t)snprintf(b + len, cap - len, "{\"id\":\"%s\",\"sample\":-1,\"text\":\"g\"}\n",
                            ids[9]);
    fd = file_of(path, b, len);
    rc = lb_eval_sample_resume_scan(path, fd, &ctx, 2, 1, done, &n_done, NULL, NULL, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(n_done, 3);
    assert_int_equal(done[0] + done[1] + done[2] + done[9], 3);
    assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)good);
    close(fd);

    unlink(path);
    free(done);
    free(b);
    free(ctx.ds.items);
    for (size_t i = 0; i < P; i++) free(ids[i]);
    free(ids);
}

/* One id on two items: the first of them is marked, and a second group of it is refused. */
static void test_same_id_twice(void **state) {
    (void)state;
    char *ids[] = {"b", "a", "a", "c"}, path[4200];
    lb_eval_ctx_t ctx;
    ctx_of(&ctx, ids, 4);
    snprintf(path, sizeof path, "%s/twice.jsonl", work);
    const char *body = "{\"id\":\"c\",\"sample\":0}\n{\"id\":\"a\",\"sample\":0}\n";
    int fd = file_of(path, body, strlen(body));
    unsigned char done[4] = {0};
    size_t n_done = 0;
    lb_error_t err = {0};
    assert_int_equal(
        lb_eval_sample_resume_scan(path, fd, &ctx, 1, 0, done, &n_done, NULL, NULL, &err), 0);
    assert_int_equal(n_done, 2);
    assert_int_equal(done[0], 0);
    assert_int_equal(done[1], 1);
    assert_int_equal(done[2], 0);
    assert_int_equal(done[3], 1);
    close(fd);
    body = "{\"id\":\"a\",\"sample\":0}\n{\"id\":\"a\",\"sample\":0}\n";
    memset(done, 0, sizeof done);
    fd = file_of(path, body, strlen(body));
    assert_int_equal(
        lb_eval_sample_resume_scan(path, fd, &ctx, 1, 0, done, &n_done, NULL, NULL, &err),
                     LB_EFORMAT);
    char want[4400];
    snprintf(want, sizeof want, "%s:2: id 'a' appears twice", path);
    assert_string_equal(err.msg, want);
    close(fd);
    unlink(path);
    free(ctx.ds.items);
}

int main(void) {
    snprintf(work, sizeof work, "%s/test_eval_resume_scan-%d",
             getenv("LB_WORK") ? getenv("LB_WORK") : "/tmp", (int)getpid());
    mkdir(work, 0755);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_many_items),
                                       cmocka_unit_test(test_same_id_twice)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(work);
    return rc;
}
