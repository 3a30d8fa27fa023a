/* leakbound bound — high-probability bounds per prompt from sampled scores.
 * Flags (checked by lb_report_bound_opts_set) and the output; the work is
 * lb_eval_bound_file (lb_report_bound_file with the run's provenance). */
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_bound.h"
#include "leakbound/eval.h"

#define CMD "bound"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound bound [options] [IN.jsonl|-]\n"
            "\n"
            "High-probability bounds per prompt from n sampled scores in [0,1] (docs/bounds.md).\n"
            "Input lines: {\"id\": ID, \"score\": s} (any number per id, any order) or\n"
            "{\"id\": ID, \"scores\": [s, ...]}; ID is a string or an integer. A line may\n"
            "number its answer with \"sample\" (as `sample` and `score` write them): -1 is\n"
            "the greedy answer, reported as the prompt's \"greedy\" and not counted as a\n"
            "sample; a repeated (id, sample) pair is refused (see --allow-duplicates).\n"
            "Output: one JSON document (or --format table) with, per prompt in order of\n"
            "first appearance, n [greedy] mean std max M_mu M_mu_lower M_sigma ED M_gen{x}\n"
            "[M_bin] P_ge{x} queries leak_at, and a summary of means over prompts.\n"
            "\n"
            "options:\n"
            "  --alpha A            each bound holds with probability >= 1-A (default 0.01,\n"
            "                       0 < A <= 0.5)\n"
            "  --method exact|conbo exact: Anderson bounds on the sorted samples and an M_sigma\n"
            "                       valid with mass at 0 (default); conbo: conbo 0.1's grid\n"
            "                       numbers (M_mu from expectation_bounds(x, 2A), M_sigma from\n"
            "                       std_bounds(x, A)), defects included\n"
            "  --threshold x        M_gen (DKW, all x at once) and P_ge (exact binomial, each x\n"
            "                       alone) bound P(X >= x); repeatable, x in [0,1]\n"
            "  --ed-lambda L        ED = M_mu + L * M_sigma (default 2)\n"
            "  --queries k          queries = 1 - (1 - M)^k, M the Clopper-Pearson bound on\n"
            "                       P(X >= leak threshold) (= M_bin for 0/1 data; default 1)\n"
            "  --leak-at k          leak@k estimate 1 - C(n-c,k)/C(n,k) (default 1)\n"
            "  --leak-threshold t   a sample leaks when its score >= t (default 1.0)\n"
            "  --report-above r     summary share of binary prompts with M_bin > r (default 0.1)\n"
            "  --format json|table  output format (default json)\n"
            "  --allow-duplicates   count a repeated (id, \"sample\") pair as one more sample\n"
            "                       (default: refused; a file concatenated twice would double n\n"
            "                       and tighten every bound without any new evidence)\n"
            "  --threads N          threads (default: OMP_NUM_THREADS, else the free cores)\n"
            "  -h, --help           this help\n"
            "\n"
            "Bad input (malformed JSON, a score outside [0,1], a missing field, no data) is\n"
            "reported with its file and line; exit 2 and nothing on stdout. See docs/bounds.md.\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

typedef struct bound_args {
    lb_report_bound_opts_t o;
    const char *path;
} bound_args_t;

/* Returns -1 to continue, or the exit status. */
static int parse_args(int argc, char **argv, bound_args_t *a) {
    /* longopts[i] for i < N_FLAGS: bound's flags, each with the code 256 + i */
    enum { N_FLAGS = 10 };
    static const struct option longopts[] = {
        {"alpha", required_argument, 0, 256 + 0},
        {"method", required_argument, 0, 256 + 1},
        {"threshold", required_argument, 0, 256 + 2},
        {"ed-lambda", required_argument, 0, 256 + 3},
        {"queries", required_argument, 0, 256 + 4},
        {"leak-at", required_argument, 0, 256 + 5},
        {"leak-threshold", required_argument, 0, 256 + 6},
        {"report-above", required_argument, 0, 256 + 7},
        {"format", required_argument, 0, 256 + 8},
        {"allow-duplicates", no_argument, 0, 256 + 9},
        LB_CLI_THREADS_OPTION,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    lb_report_bound_opts_default(&a->o);
    a->path = NULL;
    int c;
    lb_error_t e;
    lb_cli_parser_t cli = {.cmd = CMD, .argc = argc, .argv = argv, .shortopts = "h",
                           .longopts = longopts};
    while ((c = lb_cli_next(&cli)) != -1) {
        if (c >= 256 && c < 256 + N_FLAGS) { /* one of bound's flags: lb_report_bound_opts_set */
            if (lb_report_bound_opts_set(&a->o, longopts[c - 256].name, optarg, &e))
                return lb_cli_failf(CMD, "%s", e.msg);
            continue;
        }
        switch (c) {
        case 'h':
            usage(stdout);
            return LB_EXIT_OK;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads(CMD, optarg)) return LB_EXIT_USAGE;
            break;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (argc - optind > 1) return lb_cli_failf(CMD, "at most one input file (got %d)", argc - optind);
    a->path = optind < argc ? argv[optind] : "-";
    return -1;
}

/* The document goes to stdout in one piece, once all of it is ready. */
static int write_stdout(void *ctx, const char *text, size_t len, lb_error_t *err) {
    (void)ctx;
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
        return lb_error_set(err, LB_EIO, "cannot write the output");
    return 0;
}

int lb_cli_bound(int argc, char **argv) {
    bound_args_t a;
    int st = parse_args(argc, argv, &a);
    if (st >= 0) return st;
    lb_error_t err = {0};
    char **kav;
    int kac = lb_cli_kept_argv(&kav), read_failed;
    if (lb_eval_bound_file(kac, kav, a.path, &a.o, omp_get_max_threads(), write_stdout, NULL,
                           &read_failed, &err)) {
        fprintf(stderr, "leakbound %s: %s\n", CMD, err.msg);
        return read_failed ? LB_EXIT_USAGE : LB_EXIT_FAIL;
    }
    return LB_EXIT_OK;
}
