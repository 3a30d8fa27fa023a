/* leakbound plot — the SVG plots of a `bound` (or `eval`) report: argv into
 * lb_report_plot_files_opts_t; the reading, choosing and writing are lb_report_plot_files
 * (leakbound/report.h). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/report.h"

#define CMD "plot"

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
            "lines {\"id\": ID, \"score\": s} or {\"id\": ID, \"scores\": [s, ...]} (s in [0,1]),\n"
            "read and checked as 'leakbound bound' reads its input (a repeated (id, sample)\n"
            "line is kept);\n"
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
            LB_REPORT_PLOT_MAX_PANELS, LB_REPORT_PLOT_DEFAULT_PANELS, lb_cli_exit_help);
}

typedef struct plot_args {
    const char *bound, *scores, *out, *prompts;
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
            if (lb_core_parse_double(optarg, &a->alpha) || !(a->alpha > 0 && a->alpha < 1))
                return lb_cli_failf(CMD, "--alpha: expected a number in (0, 1), got '%s'", optarg);
            break;
        case O_BINS:
            if (lb_core_parse_long(optarg, &a->bins) || a->bins < 1 || a->bins > 10000)
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
    return -1;
}

static void print_note(void *ctx, const char *msg) {
    (void)ctx;
    fprintf(stderr, "leakbound %s: note: %s\n", CMD, msg);
}

int lb_cli_plot(int argc, char **argv) {
    plot_args_t a;
    int st = parse_args(argc, argv, &a);
    if (st >= 0) return st;
    /* --prompts ID,...: the ids as text */
    char *list = NULL, *ids[LB_REPORT_PLOT_MAX_PANELS];
    size_t k = 0;
    if (a.prompts) {
        char *save = NULL;
        if (!(list = strdup(a.prompts))) return lb_cli_errorf(CMD, LB_EXIT_FAIL, "out of memory");
        for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (k == LB_REPORT_PLOT_MAX_PANELS) {
                free(list);
                return lb_cli_failf(CMD, "--prompts: at most %d prompts", LB_REPORT_PLOT_MAX_PANELS);
            }
            ids[k++] = tok;
        }
        if (!k) {
            free(list);
            return lb_cli_failf(CMD, "--prompts: no id given");
        }
    }
    lb_report_plot_files_opts_t o;
    lb_report_plot_files_opts_default(&o);
    o.report = a.bound;
    o.scores = a.scores;
    o.out_dir = a.out;
    o.prompts = (const char *const *)ids;
    o.n_prompts = k;
    o.alpha = a.alpha;
    o.bins = (size_t)a.bins;
    o.io_flags = lb_cli_io_flags(a.wait);
    o.note = print_note;
    lb_report_plot_files_result_t res;
    lb_error_t err;
    st = LB_EXIT_OK;
    if (lb_report_plot_files(&o, &res, &err)) {
        if (res.unknown_prompt >= 0)
            st = lb_cli_failf(CMD, "--prompts: %s", err.msg);
        else if (res.no_scores) /* eval writes samples.jsonl beside report.json */
            st = lb_cli_failf(CMD, "--scores FILE is required (no samples.jsonl beside %s)",
                              a.bound);
        else if (res.both_stdin)
            st = lb_cli_failf(CMD, "--bound and --scores cannot both read stdin");
        else {
            lb_cli_fail(CMD, &err);
            st = err.code == LB_ENOMEM || (res.writing && err.code != LB_EINVAL) ? LB_EXIT_FAIL : LB_EXIT_USAGE;
        }
    }
    free(list);
    return st;
}
