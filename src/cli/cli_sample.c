/* leakbound sample — greedy and n sampled answers per question, as JSON Lines.
 * Each prompt group is appended whole and fsync'ed, so an interrupted run keeps every
 * finished group; --resume drops a trailing partial group and continues with the rest. The
 * file flow is lb_eval_sample_flow_run; this command turns argv into its options, prints and
 * passes the MPI transport (cli_mpi.h) as its hooks. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cli_mpi.h"
#include "cli_sampling.h"
#include "leakbound/eval.h"

#define CMD "sample"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound sample --model DIR --data FILE [--template T] -n N [options]\n"
            "                        [--greedy-too] [--resume] -o samples.jsonl\n"
            "\n"
            "For every question: prefill the prompt once, then N continuations sampled as Hugging\n"
            "Face generate(do_sample=True) does (temperature -> top-k -> top-p -> min-p ->\n"
            "multinomial), decoded together in batches that share the prompt's KV cache.\n"
            "One line per answer, grouped by question in data order:\n"
            "  {\"id\", \"sample\" (0..N-1, -1 = greedy), \"prompt\" (the templated prompt),\n"
            "   \"question\" (before the template: a judge's user turn), \"text\", \"reference\" |\n"
            "   \"keywords\" (copied from the data), \"tokens\", \"finish\" (eos|length|stop)}\n"
            "FILE.settings.json (written atomically before the first line) records what made\n"
            "FILE: sha256 of the model folder's files read (config, tokenizer, weights) and\n"
            "of the --data bytes loaded (a pipe's too: resuming with other bytes is refused),\n"
            "the template, -n, --greedy-too, the seed, every warper (temperature, top-k, top-p,\n"
            "min-p, adaptive temperature), the token limits and stop strings.\n"
            "An answer ends at an EOS id (generation_config.json, else config.json), a --stop\n"
            "string, or the length limit; text is decoded skipping special tokens.\n"
            "\n"
            "  -n N                     sampled answers per question (N >= 0)\n"
            "  --greedy-too             also the greedy answer (sample -1, first in its group)\n"
            "  -o FILE                  output (required); groups are appended and fsync'ed;\n"
            "                           FILE is locked while this run writes it (a second run\n"
            "                           into FILE is refused, exit 2, or waits with --wait)\n"
            "%s"
            "  --resume                 keep the complete groups FILE already has (a trailing\n"
            "                           partial group is dropped) and sample the other ids; the\n"
            "                           settings must be those of FILE.settings.json (exit 2\n"
            "                           naming the setting that differs)\n"
            "%s"
            "  -h, --help               this help\n"
            "\n"
            "Progress (prompts done, samples/s, tokens/s, ETA) goes to stderr. Exit 2 on bad\n"
            "usage or input (missing model, bad data, a prompt longer than the context).\n"
            "\n"
            "Under `mpirun -np K` (or srun) the questions are shared over K ranks and rank 0\n"
            "writes FILE: the same bytes as one process, --resume with any K (docs/scaling.md).\n",
            lb_cli_wait_help, lb_cli_sampling_help);
    fprintf(out, "\n%s", lb_cli_exit_help);
}

/* The run's hook state (lb_eval_sample_flow_t's user): progress lines and what the printing
 * hooks need. */
typedef struct sample_run {
    lb_cli_progress_t prog; /* first: the progress callback reads it */
    const lb_eval_opts_t *a;
    int resume;
} sample_run_t;

/* The flow's warnings (the data set's lenient-CSV note). */
static void sample_warn(void *user, lb_eval_warn_kind_t kind, const char *msg) {
    (void)user, (void)kind;
    fprintf(stderr, "leakbound %s: warning: %s\n", CMD, msg);
}

/* After loading: the memory plan line. */
static int sample_loaded(void *user, const lb_eval_ctx_t *ctx, lb_error_t *err) {
    sample_run_t *r = user;
    (void)err;
    lb_cli_sampling_loaded(CMD, r->prog.quiet, ctx);
    return 0;
}

static void sample_bcast(void *user, void *buf, size_t n) {
    (void)user;
    lb_cli_mpi_bcast(buf, n);
}

/* Before the run: what --resume found. */
static int sample_started(void *user, const lb_eval_ctx_t *ctx, size_t n_done, size_t n_todo,
                          lb_error_t *err) {
    sample_run_t *r = user;
    (void)err, (void)n_todo;
    if (r->resume && !r->prog.quiet)
        fprintf(stderr, "leakbound %s: resuming: %zu of %zu questions already complete\n", CMD,
                n_done, ctx->n_items);
    return 0;
}

static int sample_main(int argc, char **argv) {
    static const struct option opts[] = {LB_SAMPLING_OPTIONS,
                                         {"greedy-too", no_argument, 0, 'g'},
                                         {"resume", no_argument, 0, 'r'},
                                         {"output", required_argument, 0, 'o'},
                                         LB_CLI_WAIT_OPTION,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    lb_eval_opts_t a;
    lb_cli_sampling_init(&a);
    int resume = 0, wait = 0, quiet = 0, c, st;
    const char *out = NULL;
    lb_cli_parser_t cli = {.cmd = CMD, .argc = argc, .argv = argv, .shortopts = "n:o:h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'n': if ((st = lb_cli_sampling_option(&a, &quiet, LB_SO_N, optarg, CMD))) return st; break;
        case 'g': a.greedy_too = 1; break;
        case 'r': resume = 1; break;
        case 'o': out = optarg; break;
        case LB_CLI_O_WAIT: wait = 1; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        case LB_CLI_BAD: return LB_EXIT_USAGE;
        default:
            st = lb_cli_sampling_option(&a, &quiet, c, optarg, CMD);
            if (st == 1) return lb_cli_failf(CMD, "unknown option '%s'", argv[optind - 1]);
            if (st) return st;
        }
    }
    if (optind < argc) return lb_cli_failf(CMD, "unexpected argument '%s'", argv[optind]);
    /* the flow (lb_eval_sample_flow_run): the checks, loading, FILE, the run over the MPI
       transport; under MPI only rank 0 reads and writes FILE */
    int root = lb_cli_mpi_rank() == 0;
    if (!root) quiet = 1;
    lb_eval_ctx_t ctx;
    lb_error_t err = {0};
    sample_run_t run = {.prog = {.cmd = CMD, .quiet = quiet}, .a = &a, .resume = resume};
    lb_eval_sample_flow_t f = {
        .out = out, .resume = resume, .io_flags = lb_cli_io_flags(wait),
        .rank = lb_cli_mpi_rank(), .ranks = lb_cli_mpi_size(),
        .hooks = {.user = &run, .progress = lb_cli_sampling_progress,
                  .sampler = lb_cli_mpi_sampler_run, .warn = sample_warn},
        .loaded = sample_loaded, .ready = lb_cli_mpi_flow_ready, .go = lb_cli_mpi_flow_go,
        .bcast = sample_bcast,
        .started = sample_started};
    int rc = lb_eval_sample_flow_run(&f, &a, &ctx, &err), status = LB_EXIT_OK;
    if (rc && f.stage == LB_EVAL_FLOW_CHECK) {
        status = lb_cli_failf(CMD, "%s", err.msg);
    } else if (rc && f.stage == LB_EVAL_FLOW_LOAD) {
        fprintf(stderr, "leakbound %s: %s\n", CMD, err.msg);
        lb_cli_mpi_failed(err.msg);
        status = rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    } else if (rc) { /* a worker: rank 0 reports (lb_cli_mpi_end passes the message on) */
        status = root ? lb_cli_fail_status(CMD, &err, out, NULL)
                      : (lb_cli_mpi_failed(err.msg), lb_cli_status(&err, NULL, NULL));
    }
    lb_eval_ctx_free(&ctx);
    return status;
}

int lb_cli_sample(int argc, char **argv) {
    lb_cli_mpi_begin(CMD);
    return lb_cli_mpi_end(sample_main(argc, argv));
}
