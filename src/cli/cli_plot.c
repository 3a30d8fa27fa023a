/* leakbound plot — the SVG plots of a `bound` (or `eval`) report: the density of sampled
 * scores per chosen prompt with the greedy score marked, their empirical CDFs with the DKW
 * band, and the distribution of ED over prompts. Inputs are read and checked in full before
 * any file is written; the three files are built in a temporary sibling folder and renamed
 * into place together (lb_io_dir_*), so DIR never holds some new plots beside old ones. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_plot.h"
#include "leakbound/io.h"
#include "leakbound/report.h"

#include <unistd.h>

#define CMD "plot"
#define DEFAULT_PANELS 4

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound plot REPORT.json [--scores SCORES.jsonl] --out DIR [options]\n"
            "\n"
            "Writes three SVG plots into DIR (created if missing):\n"
            "  density.svg  per chosen prompt: histogram and Gaussian KDE of the sampled scores,\n"
            "               the greedy answer's score as a dashed vertical line\n"
            "  ecdf.svg     per chosen prompt: the empirical CDF with its two-sided DKW band\n"
            "               (with probability >= 1-alpha the true CDF lies inside everywhere)\n"
            "  ed.svg       histogram of ED over all prompts of the report\n"
            "\n"
            "REPORT.json is the output of 'leakbound bound' or eval's report.json: its \"prompts\"\n"
            "give id, ED and n; \"alpha\" sets the band. SCORES.jsonl holds the sampled scores,\n"
            "lines {\"id\": ID, \"score\": s} or {\"id\": ID, \"scores\": [s, ...]} (s in [0,1]);\n"
            "a line with \"sample\": -1 is the greedy answer (as in eval's samples scored by\n"
            "'leakbound score'), otherwise the prompt's \"greedy\" field is used if present.\n"
            "\n"
            "options:\n"
            "  REPORT.json        the report document (required; --bound FILE is a synonym)\n"
            "  --scores FILE      the scores JSONL, '-' for stdin (default: samples.jsonl\n"
            "                     beside REPORT.json, as `leakbound eval` writes it)\n"
            "  --out DIR          output folder (required)\n"
            "  --prompts ID,...   the prompts to draw (ids as text, comma-separated; at most %d);\n"
            "                     default: the %d with the highest ED, in report order\n"
            "  --alpha A          DKW band level (default: the report's alpha, else 0.01)\n"
            "  --bins N           histogram bins (default 20)\n"
            "  --wait             if another leakbound run is writing DIR, wait for it to finish\n"
            "                     (default: refuse at once, exit 2)\n"
            "  -h, --help         this help\n"
            "\n"
            "Bad input (malformed JSON, a score outside [0,1], an unknown prompt id, a chosen\n"
            "prompt without scores) is reported with its file and line; exit 2, no file written.\n"
            "The three files are written together: a failure (exit 1 for a write error, with\n"
            "the file and the reason) leaves DIR as it was; other files in DIR are kept.\n"
            "\n%s",
            PLOT_MAX_PANELS, DEFAULT_PANELS, lb_cli_exit_help);
}

typedef struct plot_args {
    const char *bound, *scores, *out, *prompts;
    char scores_buf[4096];
    double alpha;
    long bins;
    int wait;
} plot_args_t;

/* Returns -1 to continue, or the exit status. */
static int parse_args(int argc, char **argv, plot_args_t *a) {
    enum { O_BOUND = 256, O_SCORES, O_OUT, O_PROMPTS, O_ALPHA, O_BINS };
    static const struct option longopts[] = {
        {"bound", required_argument, 0, O_BOUND},     {"scores", required_argument, 0, O_SCORES},
        {"out", required_argument, 0, O_OUT},         {"prompts", required_argument, 0, O_PROMPTS},
        {"alpha", required_argument, 0, O_ALPHA},     {"bins", required_argument, 0, O_BINS},
        {"help", no_argument, 0, 'h'},                LB_CLI_WAIT_OPTION,
        {0, 0, 0, 0},
    };
    memset(a, 0, sizeof *a);
    a->alpha = NAN;
    a->bins = 20;
    int c;
    lb_cli_parser_t cli = {.cmd = CMD, .argc = argc, .argv = argv, .shortopts = "h", .longopts = longopts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case O_BOUND: a->bound = optarg; break;
        case O_SCORES: a->scores = optarg; break;
        case O_OUT: a->out = optarg; break;
        case LB_CLI_O_WAIT: a->wait = 1; break;
        case O_PROMPTS: a->prompts = optarg; break;
        case O_ALPHA:
            if (lb_cli_parse_double(optarg, &a->alpha) || !(a->alpha > 0 && a->alpha < 1))
                return lb_cli_failf(CMD, "--alpha: expected a number in (0, 1), got '%s'", optarg);
            break;
        case O_BINS:
            if (lb_cli_parse_long(optarg, &a->bins) || a->bins < 1 || a->bins > 10000)
                return lb_cli_failf(CMD, "--bins: expected an integer in 1..10000, got '%s'", optarg);
            break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind < argc && !a->bound) a->bound = argv[optind++]; /* plot REPORT: --bound's synonym */
    if (optind < argc) return lb_cli_failf(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->bound) return lb_cli_failf(CMD, "a report is required (REPORT.json or --bound FILE)");
    if (!a->out) return lb_cli_failf(CMD, "--out DIR is required");
    if (!a->scores) {
        /* eval writes samples.jsonl (with "score", greedy "sample": -1) beside report.json */
        const char *slash = strrchr(a->bound, '/');
        int dl = slash ? (int)(slash - a->bound) + 1 : 0;
        snprintf(a->scores_buf, sizeof a->scores_buf, "%.*ssamples.jsonl", dl, a->bound);
        if (!strcmp(a->bound, "-") || access(a->scores_buf, R_OK))
            return lb_cli_failf(CMD, "--scores FILE is required (no samples.jsonl beside %s)", a->bound);
        a->scores = a->scores_buf;
    }
    if (!strcmp(a->bound, "-") && !strcmp(a->scores, "-"))
        return lb_cli_failf(CMD, "--bound and --scores cannot both read stdin");
    return -1;
}

/* The chosen prompts as indices into the document: from --prompts, or the highest ED. */
static int choose(const plot_args_t *a, const lb_report_plot_doc_t *d, size_t *pick, size_t *k) {
    *k = 0;
    if (a->prompts) {
        char *list = strdup(a->prompts), *save = NULL;
        if (!list) return lb_cli_errorf(CMD, LB_EXIT_FAIL, "out of memory");
        for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            size_t found = d->n_prompts;
            char buf[32];
            for (size_t i = 0; i < d->n_prompts && found == d->n_prompts; i++)
                if (!strcmp(lb_report_id_text(d->ids[i], buf, sizeof buf), tok)) found = i;
            if (found == d->n_prompts) {
                int rc = lb_cli_failf(CMD, "--prompts: no prompt '%s' in %s", tok, a->bound);
                free(list);
                return rc;
            }
            if (*k == PLOT_MAX_PANELS) {
                free(list);
                return lb_cli_failf(CMD, "--prompts: at most %d prompts", PLOT_MAX_PANELS);
            }
            pick[(*k)++] = found;
        }
        free(list);
        if (!*k) return lb_cli_failf(CMD, "--prompts: no id given");
        return -1;
    }
    /* Highest finite ED first (ties: report order), then shown in report order. */
    int *taken = calloc(d->n_prompts, sizeof *taken);
    if (!taken) return lb_cli_errorf(CMD, LB_EXIT_FAIL, "out of memory");
    while (*k < DEFAULT_PANELS && *k < d->n_prompts) {
        size_t best = d->n_prompts;
        for (size_t i = 0; i < d->n_prompts; i++)
            if (!taken[i] && (best == d->n_prompts || d->ed[i] > d->ed[best] ||
                              (isnan(d->ed[best]) && !isnan(d->ed[i]))))
                best = i;
        taken[best] = 1;
        (*k)++;
    }
    *k = 0;
    for (size_t i = 0; i < d->n_prompts; i++)
        if (taken[i]) pick[(*k)++] = i;
    free(taken);
    return -1;
}

/* The names plot writes: the set a new run replaces as a whole. */
static const char *const plot_files[] = {"density.svg", "ecdf.svg", "ed.svg", NULL};

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Draw the three plots into the folder dir; returns the exit status. */
static int draw(const plot_args_t *a, const char *dir, const lb_report_plot_doc_t *d, const size_t *pick,
                size_t k, const lb_report_plot_scores_t *sc) {
    lb_report_samples_t panels[PLOT_MAX_PANELS];
    char labels[PLOT_MAX_PANELS][96];
    for (size_t i = 0; i < k; i++) {
        char buf[32];
        snprintf(labels[i], sizeof labels[i], "prompt %.80s", lb_report_id_text(d->ids[pick[i]], buf, sizeof buf));
        panels[i] = (lb_report_samples_t){.label = labels[i], .values = sc->v[i], .n = sc->n[i],
                                          .greedy = isnan(sc->greedy[i]) ? d->greedy[pick[i]] : sc->greedy[i]};
    }
    /* ED of every prompt that has one (conbo mode can leave it null). */
    double *ed = malloc(d->n_prompts * sizeof *ed);
    if (!ed) return lb_cli_errorf(CMD, LB_EXIT_FAIL, "out of memory");
    size_t ned = 0;
    for (size_t i = 0; i < d->n_prompts; i++)
        if (!isnan(d->ed[i])) ed[ned++] = d->ed[i];
    if (ned < d->n_prompts)
        fprintf(stderr, "leakbound %s: note: %zu prompt(s) with ED null left out of ed.svg\n", CMD,
                d->n_prompts - ned);
    double alpha = !isnan(a->alpha) ? a->alpha : !isnan(d->alpha) ? d->alpha : 0.01;
    char t_dens[128], t_ecdf[128], t_ed[128], x_ed[96];
    snprintf(t_dens, sizeof t_dens, "Sampled scores per prompt (greedy marked)");
    snprintf(t_ecdf, sizeof t_ecdf, "Empirical CDF with DKW band (1-\xce\xb1 = %g)", 1 - alpha);
    snprintf(t_ed, sizeof t_ed, "ED over %zu prompts", ned);
    if (isnan(d->ed_lambda))
        snprintf(x_ed, sizeof x_ed, "ED = M_mu + \xce\xbb M_sigma");
    else
        snprintf(x_ed, sizeof x_ed, "ED = M_mu + %g M_sigma", d->ed_lambda);
    lb_report_plot_t o_dens = {.title = t_dens}, o_ecdf = {.title = t_ecdf},
                     o_ed = {.title = t_ed, .xlabel = x_ed, .ylabel = "prompts"};
    char *p_dens = join(dir, "density.svg"), *p_ecdf = join(dir, "ecdf.svg"),
         *p_ed = join(dir, "ed.svg");
    lb_error_t err;
    int rc = !p_dens || !p_ecdf || !p_ed ? lb_error_set(&err, LB_ENOMEM, "out of memory") : 0;
    if (!rc && !ned) rc = lb_error_set(&err, LB_EINVAL, "%s: every prompt's ED is null", a->bound);
    if (!rc) rc = lb_report_svg_density(p_dens, panels, k, (size_t)a->bins, &o_dens, &err);
    if (!rc) rc = lb_report_svg_ecdf(p_ecdf, panels, k, alpha, &o_ecdf, &err);
    if (!rc) rc = lb_report_svg_histogram(p_ed, ed, ned, (size_t)a->bins, "prompts", &o_ed, &err);
    free(p_dens);
    free(p_ecdf);
    free(p_ed);
    free(ed);
    if (rc) {
        lb_cli_fail(CMD, &err);
        return rc == LB_EIO || rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    }
    return LB_EXIT_OK;
}

int lb_cli_plot(int argc, char **argv) {
    plot_args_t a;
    int st = parse_args(argc, argv, &a);
    if (st >= 0) return st;
    lb_error_t err;
    lb_report_plot_doc_t d;
    if (lb_report_plot_doc_read(a.bound, &d, &err)) {
        lb_report_plot_doc_free(&d);
        lb_cli_fail(CMD, &err);
        return err.code == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    }
    size_t pick[PLOT_MAX_PANELS], k;
    st = choose(&a, &d, pick, &k);
    if (st >= 0) {
        lb_report_plot_doc_free(&d);
        return st;
    }
    json_t *sel[PLOT_MAX_PANELS];
    for (size_t i = 0; i < k; i++) sel[i] = d.ids[pick[i]];
    lb_report_plot_scores_t sc;
    if (lb_report_plot_scores_read(a.scores, sel, k, &sc, &err)) {
        lb_report_plot_scores_free(&sc);
        lb_report_plot_doc_free(&d);
        lb_cli_fail(CMD, &err);
        return err.code == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    }
    st = LB_EXIT_OK;
    for (size_t i = 0; i < k && st == LB_EXIT_OK; i++) {
        char buf[32];
        const char *id = lb_report_id_text(sel[i], buf, sizeof buf);
        if (!sc.n[i])
            st = lb_cli_errorf(CMD, LB_EXIT_USAGE, "%s: no sampled scores for prompt '%s' (of %s)", a.scores, id, a.bound);
        else if (d.n[pick[i]] >= 0 && (size_t)d.n[pick[i]] != sc.n[i])
            fprintf(stderr, "leakbound %s: note: prompt '%s': %s says n = %ld, %s has %zu scores\n",
                    CMD, id, a.bound, d.n[pick[i]], a.scores, sc.n[i]);
    }
    lb_io_dir_t out = {0};
    if (st == LB_EXIT_OK && lb_io_dir_begin(&out, a.out, plot_files, lb_cli_io_flags(a.wait), &err)) {
        lb_cli_fail(CMD, &err);
        st = err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_FAIL;
    }
    if (st == LB_EXIT_OK) st = draw(&a, out.path, &d, pick, k, &sc);
    if (st == LB_EXIT_OK && lb_io_dir_commit(&out, &err)) {
        lb_cli_fail(CMD, &err);
        st = LB_EXIT_FAIL;
    }
    lb_io_dir_abort(&out);
    lb_report_plot_scores_free(&sc);
    lb_report_plot_doc_free(&d);
    return st;
}
