/* Unit tests for lb_report_plot_files (`plot` as one library call): the default choice of
 * prompts (highest ED, shown in report order), named prompts, the notes, and that a bad input
 * (an unknown id, a prompt without scores) is an error that leaves the folder without plots.
 * The SVG contents are checked against numpy/scipy by oracle.report_cli_plot. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "leakbound/report.h"

static char dir[256], rep[300], sco[300], out[300];

static void put(const char *p, const char *text) {
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/lb_plot_files_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(rep, sizeof rep, "%s/report.json", dir);
    snprintf(sco, sizeof sco, "%s/scores.jsonl", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    /* six prompts; ED order: e (0.9), b (0.8), f (0.7), a (0.5), then c (0.1), d null */
    put(rep, "{\"alpha\": 0.05, \"prompts\": ["
             "{\"id\": \"a\", \"ED\": 0.5, \"n\": 3}, {\"id\": \"b\", \"ED\": 0.8, \"n\": 3},"
             "{\"id\": \"c\", \"ED\": 0.1}, {\"id\": \"d\", \"ED\": null},"
             "{\"id\": \"e\", \"ED\": 0.9, \"n\": 2}, {\"id\": \"f\", \"ED\": 0.7}]}\n");
    put(sco, "{\"id\": \"a\", \"scores\": [0.1, 0.2, 0.3]}\n{\"id\": \"b\", \"scores\": [0.5, 0.6, 0.7]}\n"
             "{\"id\": \"c\", \"score\": 0.4}\n{\"id\": \"e\", \"scores\": [0.9, 1.0, 0.8]}\n"
             "{\"id\": \"f\", \"score\": 0.3}\n{\"id\": \"e\", \"sample\": -1, \"score\": 1.0}\n");
    return 0;
}

static void rm_out(void) {
    const char *names[] = {"density.svg", "ecdf.svg", "ed.svg"};
    char p[400];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", out, names[i]);
        unlink(p);
    }
    rmdir(out);
    snprintf(p, sizeof p, "%s/.out.lock", dir);
    unlink(p);
}

static int teardown(void **state) {
    (void)state;
    rm_out();
    unlink(rep);
    unlink(sco);
    return rmdir(dir);
}

static int exists(const char *name) {
    char p[400];
    snprintf(p, sizeof p, "%s/%s", out, name);
    return access(p, F_OK) == 0;
}

static char notes[4][512];
static int n_notes;
static void on_note(void *ctx, const char *msg) {
    assert_ptr_equal(ctx, notes);
    if (n_notes < 4) snprintf(notes[n_notes], sizeof notes[0], "%s", msg);
    n_notes++;
}

static void count_panels(const char *needle, int want) {
    char p[400];
    snprintf(p, sizeof p, "%s/density.svg", out);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        for (const char *s = line; (s = strstr(s, needle)); s++) n++;
    fclose(f);
    assert_int_equal(n, want);
}

static void test_default_choice(void **state) {
    (void)state;
    rm_out();
    lb_report_plot_files_opts_t o;
    lb_report_plot_files_opts_default(&o);
    assert_true(isnan(o.alpha));
    assert_int_equal(o.bins, 20);
    assert_int_equal(o.max_panels, LB_REPORT_PLOT_DEFAULT_PANELS);
    o.report = rep, o.scores = sco, o.out_dir = out, o.note = on_note, o.note_ctx = notes;
    n_notes = 0;
    lb_report_plot_files_result_t res;
    lb_error_t err;
    assert_int_equal(lb_report_plot_files(&o, &res, &err), 0);
    assert_int_equal(res.n_panels, 4); /* e, b, f, a: not c (lower ED), not d (null) */
    assert_int_equal(res.unknown_prompt, -1);
    assert_true(exists("density.svg") && exists("ecdf.svg") && exists("ed.svg"));
    count_panels("prompt c<", 0);
    count_panels("prompt a<", 1);
    count_panels("prompt e<", 1);
    /* notes: e says n = 2 but has 3 scores; d's ED is null */
    assert_int_equal(n_notes, 2);
    assert_non_null(strstr(notes[0], "prompt 'e'"));
    assert_non_null(strstr(notes[0], "has 3 scores"));
    assert_string_equal(notes[1], "1 prompt(s) with ED null left out of ed.svg");
}

static void test_named_and_errors(void **state) {
    (void)state;
    rm_out();
    lb_report_plot_files_opts_t o;
    lb_report_plot_files_opts_default(&o);
    o.report = rep, o.scores = sco, o.out_dir = out;
    const char *ids[] = {"c", "nope"};
    o.prompts = ids, o.n_prompts = 2;
    lb_report_plot_files_result_t res;
    lb_error_t err;
    assert_int_equal(lb_report_plot_files(&o, &res, &err), LB_EINVAL);
    assert_int_equal(res.unknown_prompt, 1);
    assert_int_equal(res.writing, 0);
    assert_non_null(strstr(err.msg, "no prompt 'nope' in "));
    assert_false(exists("density.svg"));
    /* d has no scores */
    const char *ids2[] = {"d"};
    o.prompts = ids2, o.n_prompts = 1;
    assert_int_equal(lb_report_plot_files(&o, &res, &err), LB_EINVAL);
    assert_int_equal(res.unknown_prompt, -1);
    assert_non_null(strstr(err.msg, "no sampled scores for prompt 'd'"));
    assert_false(exists("density.svg"));
    /* c alone, as named */
    const char *ids3[] = {"c"};
    o.prompts = ids3, o.n_prompts = 1;
    assert_int_equal(lb_report_plot_files(&o, &res, &err), 0);
    assert_int_equal(res.n_panels, 1);
    count_panels("prompt c<", 1);
    count_panels("prompt e<", 0);
}

/* scores NULL: samples.jsonl beside the report, as eval writes it; without it, no_scores */
static void test_default_scores(void **state) {
    (void)state;
    rm_out();
    char sib[320];
    snprintf(sib, sizeof sib, "%s/samples.jsonl", dir);
    unlink(sib);
    lb_report_plot_files_opts_t o;
    lb_report_plot_files_opts_default(&o);
    o.report = rep, o.out_dir = out;
    assert_null(o.scores);
    lb_report_plot_files_result_t res;
    lb_error_t err;
    assert_int_equal(lb_report_plot_files(&o, &res, &err), LB_EINVAL);
    assert_int_equal(res.no_scores, 1);
    assert_int_equal(res.both_stdin, 0);
    assert_non_null(strstr(err.msg, "no samples.jsonl beside "));
    assert_false(exists("density.svg"));
    assert_int_equal(link(sco, sib), 0);
    assert_int_equal(lb_report_plot_files(&o, &res, &err), 0);
    assert_int_equal(res.no_scores, 0);
    assert_int_equal(res.n_panels, 4);
    count_panels("prompt e<", 1);
    unlink(sib);
    /* the report on stdin has no folder: no default */
    o.report = "-";
    assert_int_equal(lb_report_plot_files(&o, &res, &err), LB_EINVAL);
    assert_int_equal(res.no_scores, 1);
    o.scores = "-";
    assert_int_equal(lb_report_plot_files(&o, &res, &err), LB_EINVAL);
    assert_int_equal(res.no_scores, 0);
    assert_int_equal(res.both_stdin, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_choice),
        cmocka_unit_test(test_named_and_errors),
        cmocka_unit_test(test_default_scores),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
