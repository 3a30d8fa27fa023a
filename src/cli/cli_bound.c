/* leakbound bound — high-probability bounds per prompt from sampled scores.
 * Flags and orchestration; input by lb_scores_read (score module), output by
 * lb_report_bound_prompts (the numbers) and lb_report_bound_json/table (report module). */
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
#define MAX_THRESHOLDS 256

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
    lb_stats_options_t opt;
    double thresholds[MAX_THRESHOLDS];
    double report_above;
    int table;
    unsigned read_flags; /* lb_scores_read: LB_SCORES_ALLOW_DUPLICATES */
    const char *path;
} bound_args_t;

static int parse_unit(const char *flag, const char *s, double *out) {
    if (lb_cli_parse_double(s, out) || *out < 0.0 || *out > 1.0)
        return lb_cli_failf(CMD, "%s: expected a number in [0, 1], got '%s'", flag, s);
    return 0;
}

static int parse_count(const char *flag, const char *s, long *out) {
    if (lb_cli_parse_long(s, out) || *out < 1)
        return lb_cli_failf(CMD, "%s: expected an integer >= 1, got '%s'", flag, s);
    return 0;
}

static int add_threshold(bound_args_t *a, const char *s) {
    lb_error_t e = {0};
    if (lb_report_threshold_add(a->thresholds, &a->opt.n_thresholds, MAX_THRESHOLDS, s, &e))
        return lb_cli_failf(CMD, "%s", e.msg);
    return 0;
}

/* Returns -1 to continue, or the exit status. */
static int parse_args(int argc, char **argv, bound_args_t *a) {
    enum { O_ALPHA = 256, O_METHOD, O_THRESHOLD, O_LAMBDA, O_QUERIES, O_LEAK_AT, O_LEAK_T,
           O_REPORT, O_FORMAT, O_ALLOW_DUP };
    static const struct option longopts[] = {
        {"alpha", required_argument, 0, O_ALPHA},
        {"method", required_argument, 0, O_METHOD},
        {"threshold", required_argument, 0, O_THRESHOLD},
        {"ed-lambda", required_argument, 0, O_LAMBDA},
        {"queries", required_argument, 0, O_QUERIES},
        {"leak-at", required_argument, 0, O_LEAK_AT},
        {"leak-threshold", required_argument, 0, O_LEAK_T},
        {"report-above", required_argument, 0, O_REPORT},
        {"format", required_argument, 0, O_FORMAT},
        {"allow-duplicates", no_argument, 0, O_ALLOW_DUP},
        LB_CLI_THREADS_OPTION,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(a, 0, sizeof *a);
    a->opt = (lb_stats_options_t){.alpha = 0.01, .method = LB_STATS_EXACT, .ed_lambda = 2.0,
                                  .thresholds = a->thresholds, .queries_k = 1, .leak_at_k = 1,
                                  .leak_threshold = 1.0};
    a->report_above = 0.1;
    int c;
    lb_cli_parser_t cli = {.cmd = CMD, .argc = argc, .argv = argv, .shortopts = "h", .longopts = longopts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case O_ALPHA:
            if (lb_cli_parse_double(optarg, &a->opt.alpha) || !(a->opt.alpha > 0.0) ||
                a->opt.alpha > 0.5)
                return lb_cli_failf(CMD, "--alpha: expected a number in (0, 0.5], got '%s'", optarg);
            break;
        case O_METHOD:
            if (!strcmp(optarg, "exact"))
                a->opt.method = LB_STATS_EXACT;
            else if (!strcmp(optarg, "conbo"))
                a->opt.method = LB_STATS_CONBO;
            else
                return lb_cli_failf(CMD, "--method: expected exact or conbo, got '%s'", optarg);
            break;
        case O_THRESHOLD:
            if (add_threshold(a, optarg)) return LB_EXIT_USAGE;
            break;
        case O_LAMBDA:
            if (lb_cli_parse_double(optarg, &a->opt.ed_lambda) || a->opt.ed_lambda < 0)
                return lb_cli_failf(CMD, "--ed-lambda: expected a number >= 0, got '%s'", optarg);
            break;
        case O_QUERIES:
            if (parse_count("--queries", optarg, &a->opt.queries_k)) return LB_EXIT_USAGE;
            break;
        case O_LEAK_AT:
            if (parse_count("--leak-at", optarg, &a->opt.leak_at_k)) return LB_EXIT_USAGE;
            break;
        case O_LEAK_T:
            if (parse_unit("--leak-threshold", optarg, &a->opt.leak_threshold)) return LB_EXIT_USAGE;
            break;
        case O_REPORT:
            if (parse_unit("--report-above", optarg, &a->report_above)) return LB_EXIT_USAGE;
            break;
        case O_FORMAT:
            if (!strcmp(optarg, "json") || !strcmp(optarg, "table"))
                a->table = !strcmp(optarg, "table");
            else
                return lb_cli_failf(CMD, "--format: expected json or table, got '%s'", optarg);
            break;
        case O_ALLOW_DUP:
            a->read_flags |= LB_SCORES_ALLOW_DUPLICATES;
            break;
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

int lb_cli_bound(int argc, char **argv) {
    bound_args_t a;
    int st = parse_args(argc, argv, &a);
    if (st >= 0) return st;

    lb_error_t err;
    lb_scores_t in;
    if (lb_scores_read(a.path, a.read_flags, &in, &err)) {
        fprintf(stderr, "leakbound %s: %s\n", CMD, err.msg);
        return err.code == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    }
    lb_stats_prompt_t *res;
    int rc = lb_report_bound_prompts(&in, &a.opt, omp_get_max_threads(), &res, &err);
    char *text = NULL;
    if (!rc) {
        lb_report_bound_t rep = {.opt = &a.opt,
                              .method_name = a.opt.method == LB_STATS_CONBO ? "conbo" : "exact",
                              .report_above = a.report_above, .in = &in, .prompts = res};
        /* Where the numbers came from (docs/evaluation.md, 'Provenance'): the hash of the bytes read. */
        if (!a.table && !(rep.provenance = lb_cli_provenance(NULL, NULL, a.path, in.sha256, &err)))
            rc = err.code;
        if (!rc) text = a.table ? lb_report_bound_table(&rep) : lb_report_bound_json(&rep);
        json_decref(rep.provenance);
        if (!rc && !text) rc = lb_error_set(&err, LB_ENOMEM, "out of memory while writing the output");
    }
    free(res);
    lb_scores_free(&in);
    if (rc) {
        fprintf(stderr, "leakbound %s: %s\n", CMD, err.msg);
        return LB_EXIT_FAIL;
    }
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0;
    free(text);
    if (bad) {
        fprintf(stderr, "leakbound %s: cannot write the output\n", CMD);
        return LB_EXIT_FAIL;
    }
    return LB_EXIT_OK;
}
