/* leakbound sample — greedy and n sampled answers per question, as JSON Lines.
 * Each prompt group is appended whole and fsync'ed, so an interrupted run keeps every
 * finished group; --resume drops a trailing partial group and continues with the rest. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_mpi.h"
#include "cli_sampling.h"
#include "leakbound/eval.h"
#include "leakbound/io.h"

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

/* The run's hook state: progress lines and the samples.jsonl writer (a group appended whole to
 * FILE and fsync'ed). */
typedef struct sample_run {
    lb_cli_progress_t prog; /* first: the progress callback reads it */
    lb_eval_writer_t w;
} sample_run_t;

static int sample_group(void *user, size_t item, const lb_sample_result_t *res, int n_res,
                        const double *scores, lb_error_t *err) {
    return lb_eval_write_group(&((sample_run_t *)user)->w, item, res, n_res, scores, err);
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
    if (!out) return lb_cli_failf(CMD, "-o FILE is required");
    int root = lb_cli_mpi_rank() == 0; /* under MPI only rank 0 reads and writes FILE */
    if (!root) quiet = 1;
    lb_eval_ctx_t ctx;
    lb_error_t err = {0};
    if ((st = lb_cli_sampling_setup(&a, CMD, quiet, &ctx, &err))) {
        lb_cli_mpi_failed(err.msg);
        return st;
    }
    int n_res = ctx.opts.n_samples + a.greedy_too;
    int rc = 0, fd = -1;
    lb_io_lock_t lock = {0};
    char spath[4200];
    json_t *settings = NULL;
    size_t n_done = 0, n_todo = 0;
    unsigned char *done = calloc(ctx.n_items, 1);
    size_t *todo = malloc(ctx.n_items * sizeof *todo);
    sample_run_t run = {.prog = {.cmd = CMD, .quiet = quiet},
                        .w = {.ctx = &ctx, .verbose = a.verbose, .fd = -1, .path = out}};
    if (!done || !todo) {
        rc = lb_error_set(&err, LB_ENOMEM, "out of memory");
        goto end;
    }
    /* Every rank is set up (and agrees on the job) before rank 0 touches FILE. */
    if ((rc = lb_cli_mpi_ready(rc, &(lb_cli_mpi_job_t){
                                   lb_cli_mpi_fingerprint(ctx.prompts, ctx.n_items, &ctx.opts),
                                   a.model, ctx.model_sha256, a.data, ctx.data_sha256}, &err)))
        goto end;
    if (!root) goto share;
    /* FILE and FILE.settings.json are this run's alone until it ends: a second run into FILE
     * is refused (or waits) before it truncates or appends anything */
    if ((rc = lb_io_lock_acquire(&lock, out, lb_cli_io_flags(wait), &err))) {
        if (rc == LB_EINVAL) lb_error_prefix(&err, "-o");
        goto share;
    }
    /* O_APPEND: each group is one write() at the end of the file */
    fd = open(out, O_RDWR | O_APPEND | O_CREAT | (resume ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = lb_error_set(&err, LB_EIO, "%s: cannot open for writing: %s", out, strerror(errno));
        goto share;
    }
    run.w.fd = fd;
    if (snprintf(spath, sizeof spath, "%s.settings.json", out) >= (int)sizeof spath) {
        rc = lb_error_set(&err, LB_EINVAL, "%s: path too long", out);
        goto share;
    }
    if ((rc = lb_eval_sample_settings(&ctx, a.tmpl, &settings, &err))) goto share;
    rc = resume ? lb_eval_sample_settings_check(out, spath, fd, settings, &err)
                : lb_atomic_write_json(spath, settings, &err);
    if (rc) goto share;
    if (resume && n_res > 0 &&
        (rc = lb_eval_sample_resume_scan(out, fd, &ctx, n_res, a.greedy_too, done, &n_done, &err)))
        goto share;
share: /* every rank, rank 0 also on its errors above: rank 0's outcome with FILE, then the
        questions left (--resume) */
    if ((rc = lb_cli_mpi_go(rc))) goto end;
    lb_cli_mpi_bcast(done, ctx.n_items);
    for (size_t i = 0; i < ctx.n_items; i++)
        if (!done[i]) todo[n_todo++] = i;
    if (resume && !quiet)
        fprintf(stderr, "leakbound %s: resuming: %zu of %zu questions already complete\n", CMD,
                n_done, ctx.n_items);
    run.prog.samples_total = n_todo * (size_t)n_res;
    rc = lb_eval_sample(&ctx, todo, n_todo,
                        &(lb_eval_hooks_t){.user = &run, .progress = lb_cli_sampling_progress,
                                           .group = sample_group,
                                           .sampler = lb_cli_mpi_sampler_run},
                        &err);
end:
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = lb_error_set(&err, LB_EIO, "%s: close failed: %s", out, strerror(errno));
    lb_io_lock_release(&lock);
    free(done);
    free(todo);
    free(run.w.buf);
    json_decref(settings);
    lb_eval_ctx_free(&ctx);
    if (rc && !root) { /* a worker: rank 0 reports (lb_cli_mpi_end passes the message on) */
        lb_cli_mpi_failed(err.msg);
        return lb_cli_status(&err, NULL, NULL);
    }
    return rc ? lb_cli_fail_status(CMD, &err, out, NULL) : LB_EXIT_OK;
}

int lb_cli_sample(int argc, char **argv) {
    lb_cli_mpi_begin(CMD);
    return lb_cli_mpi_end(sample_main(argc, argv));
}
