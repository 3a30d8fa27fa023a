/* lb_eval_flow_samples's hooks: samples_progress is called with increasing counts every
 * LBI_EVAL_SAMPLES_EVERY (4096) lines and once at the end (final, the whole file); a hook that
 * returns non-zero ends the run with LB_ECANCELED and leaves the out folder as it was (absent,
 * or an earlier run's files byte for byte); warn gets --data's lenient-CSV note
 * (lb_data_lenient_warning's text) once; lines_per_s, answers_per_s and eta_s are the counts'
 * rates and the bytes' ETA (0 at the end). The CLI's and Python's use of them is checked in
 * tests/oracle/python_samples_progress.py. */
#include <math.h>
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
#include <dirent.h>

#include "leakbound/eval.h"

#define LINES 10000 /* two full steps of 4096 lines and a last part */
#define MAX_CALLS 64

typedef struct seen {
    lb_eval_samples_progress_t calls[MAX_CALLS];
    int n;
    int stop_at;                /* return 1 on this call (1-based); 0: never */
    char warned[8][512];
    lb_eval_warn_kind_t kinds[8];
    int n_warned;
} seen_t;

static int on_progress(void *user, const lb_eval_samples_progress_t *p) {
    seen_t *s = user;
    if (s->n < MAX_CALLS) s->calls[s->n] = *p;
    s->n++;
    return s->stop_at && s->n == s->stop_at;
}

static void on_warn(void *user, lb_eval_warn_kind_t kind, const char *msg) {
    seen_t *s = user;
    if (s->n_warned < 8) {
        snprintf(s->warned[s->n_warned], sizeof s->warned[0], "%s", msg);
        s->kinds[s->n_warned] = kind;
    }
    s->n_warned++;
}

static char dir[] = "/tmp/lb_sprogXXXXXX";
static char samples[512], data[512];
static long long samples_size;

/* LINES lines over 100 ids (q0..q99, 100 samples each) and a CSV naming those ids with blanks
 * around a quoted field on lines 3 and 5. */
static void files(void) {
    assert_non_null(mkdtemp(dir));
    snprintf(samples, sizeof samples, "%s/s.jsonl", dir);
    snprintf(data, sizeof data, "%s/d.csv", dir);
    FILE *f = fopen(samples, "w");
    assert_non_null(f);
    for (int i = 0; i < LINES; i++)
        fprintf(f, "{\"id\": \"q%d\", \"text\": \"answer %d of q%d\"}\n", i % 100, i, i % 100);
    assert_int_equal(fclose(f), 0);
    struct stat st;
    assert_int_equal(stat(samples, &st), 0);
    samples_size = st.st_size;
    f = fopen(data, "w");
    assert_non_null(f);
    fputs("id,Question,Key Words\n", f);
    for (int i = 0; i < 100; i++)
        fprintf(f, i == 1 || i == 3 ? "q%d, \"question %d\" ,answer\n" : "q%d,question %d,answer\n",
                i, i);
    assert_int_equal(fclose(f), 0);
}

static int run(seen_t *s, const char *out, lb_error_t *err) {
    lb_eval_opts_t o;
    lb_eval_opts_default(&o);
    o.metric = LB_METRIC_KEYWORDS;
    lb_eval_samples_opts_t so = {.path = samples, .data_path = data};
    char *argv[] = {"leakbound", "eval"};
    lb_eval_flow_t f = {.out_dir = out, .argc = 2, .argv = argv, .metric_given = 1, .ranks = 1,
                        .hooks = {.user = s, .samples_progress = on_progress, .warn = on_warn}};
    lb_eval_result_t r;
    int rc = lb_eval_flow_samples(&f, &o, &so, &r, err);
    lb_eval_result_free(&r);
    lb_eval_flow_free(&f);
    return rc;
}

static void test_progress_counts(void **state) {
    (void)state;
    char out[600];
    snprintf(out, sizeof out, "%s/out", dir);
    seen_t s = {0};
    lb_error_t err = {0};
    assert_int_equal(run(&s, out, &err), LB_OK);
    assert_int_equal(s.n, LINES / 4096 + 1);
    for (int i = 0; i < s.n; i++) {
        const lb_eval_samples_progress_t *p = &s.calls[i];
        int last = i == s.n - 1;
        assert_int_equal(p->final, last);
        assert_int_equal(p->lines, last ? LINES : 4096L * (i + 1));
        assert_int_equal(p->answers, (size_t)p->lines); /* one answer per line */
        assert_int_equal(p->bytes_total, samples_size);
        assert_true(p->bytes_done > 0 && p->bytes_done <= samples_size);
        assert_true(p->seconds >= 0);
        /* the rates and the ETA are the library's: a caller only formats them */
        double t = p->seconds, b = (double)p->bytes_done;
        if (t > 0) {
            double lps = (double)p->lines / t, aps = (double)p->answers / t;
            double eta = t * ((double)p->bytes_total - b) / b;
            assert_true(fabs(p->lines_per_s - lps) <= 1e-9 * (1 + lps));
            assert_true(fabs(p->answers_per_s - aps) <= 1e-9 * (1 + aps));
            assert_true(fabs(p->eta_s - eta) <= 1e-9 * (1 + eta));
        }
        if (last) assert_true(p->eta_s == 0);
        if (i) {
            assert_true(p->bytes_done > s.calls[i - 1].bytes_done);
            assert_true(p->seconds >= s.calls[i - 1].seconds);
        }
    }
    assert_int_equal(s.calls[s.n - 1].bytes_done, samples_size);
    /* --data's lenient note through warn, once, in lb_data_lenient_warning's words */
    assert_int_equal(s.n_warned, 1);
    char want[600];
    snprintf(want, sizeof want, "%s:3: blanks around a quoted field skipped (not RFC 4180; 2 "
             "lines)", data);
    assert_string_equal(s.warned[0], want);
    assert_int_equal(s.kinds[0], LB_EVAL_WARN_DATA_LENIENT);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
}

/* The bytes of path (malloc'd, *len). */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = malloc(1 << 22);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 22, f);
    fclose(f);
    return b;
}

static void test_progress_cancels(void **state) {
    (void)state;
    lb_error_t err = {0};
    /* a new folder: a stop at the first report or at the final one leaves none */
    for (int stop = 1; stop <= 3; stop += 2) {
        char out[600];
        snprintf(out, sizeof out, "%s/new%d", dir, stop);
        seen_t s = {.stop_at = stop};
        assert_int_equal(run(&s, out, &err), LB_ECANCELED);
        assert_int_equal(s.n, stop);
        assert_string_equal(err.msg, "stopped by the caller");
        assert_int_equal(access(out, F_OK), -1);
    }
    /* an earlier run's folder (its report.json marked): as it was, and nothing beside it */
    char out[600], rep[700];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(rep, sizeof rep, "%s/report.json", out);
    FILE *f = fopen(rep, "w");
    assert_non_null(f);
    fputs("earlier\n", f);
    assert_int_equal(fclose(f), 0);
    seen_t s = {.stop_at = 2};
    assert_int_equal(run(&s, out, &err), LB_ECANCELED);
    size_t n;
    char *after = slurp(rep, &n);
    assert_true(n == 8 && !memcmp(after, "earlier\n", 8));
    free(after);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));) entries += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(entries, 3); /* s.jsonl, d.csv, out */
    /* the same run without the hook's stop replaces it */
    seen_t go = {0};
    assert_int_equal(run(&go, out, &err), LB_OK);
    after = slurp(rep, &n);
    assert_true(n > 8 && after[0] == '{');
    free(after);
}

/* A file the checks refuse at its end (unequal sample counts) gets no final call: the error
 * is the last word. */
static void test_refused_no_final(void **state) {
    (void)state;
    char bad[600], out[600];
    snprintf(bad, sizeof bad, "%s/bad.jsonl", dir);
    snprintf(out, sizeof out, "%s/out-bad", dir);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"id\": \"a\", \"text\": \"x\", \"reference\": \"x\"}\n"
          "{\"id\": \"a\", \"text\": \"y\", \"reference\": \"x\"}\n"
          "{\"id\": \"b\", \"text\": \"z\", \"reference\": \"z\"}\n", f);
    assert_int_equal(fclose(f), 0);
    lb_eval_opts_t o;
    lb_eval_opts_default(&o);
    o.metric = LB_METRIC_ROUGEL_RECALL;
    lb_eval_samples_opts_t so = {.path = bad};
    char *argv[] = {"leakbound", "eval"};
    seen_t s = {0};
    lb_eval_flow_t fl = {.out_dir = out, .argc = 2, .argv = argv, .metric_given = 1, .ranks = 1,
                         .hooks = {.user = &s, .samples_progress = on_progress}};
    lb_eval_result_t r;
    lb_error_t err = {0};
    assert_int_equal(lb_eval_flow_samples(&fl, &o, &so, &r, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "same number"));
    assert_int_equal(s.n, 0);
    assert_int_equal(access(out, F_OK), -1);
    lb_eval_result_free(&r);
    lb_eval_flow_free(&fl);
}

int main(void) {
    files();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_counts),
        cmocka_unit_test(test_progress_cancels),
        cmocka_unit_test(test_refused_no_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
