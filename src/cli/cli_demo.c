/* `leakbound demo`: the paper's experiment end to end on a generated benchmark.
 *
 * Everything runs inside this process by calling the other subcommands' entry points with built
 * argv arrays: data → tokenizer train → init → finetune (until greedy ROUGE-L recall on forget10
 * reaches the target, within a round limit) → unlearn (GA, GD, NPO, each ± entropy) → eval of
 * every model on forget10 and on a retain sample → demo.md / demo.json / plots. Each step's own
 * progress goes to <out>/logs/<step>.log; the terminal gets one line per step. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_demo.h"
#include "leakbound/data.h"
#include "leakbound/io.h"
#include "leakbound/train_run.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound demo [--out DIR] [--quick] [-n N] [--seed S] [options]\n"
            "\n"
            "The paper's experiment end to end, offline, on 2 cores: generate a fictitious-author\n"
            "benchmark, train a byte-level BPE tokenizer and a tiny Llama on it, fine-tune until the\n"
            "answers are memorised (greedy ROUGE-L recall on forget10 >= 0.9, or the round limit),\n"
            "unlearn forget10 with GA, GD and NPO, each with and without entropy optimisation (EO),\n"
            "each run stopped at its first step whose mean greedy forget ROUGE-L recall is <= the\n"
            "target (`unlearn --stop-when`; the last step when none is: every method is compared at\n"
            "the same greedy level), evaluate every model\n"
            "greedily and with N sampled answers per question (alpha 0.01, T 1, top-p 0.9) on forget10\n"
            "and on a retain sample, and the EO models once more with adaptive temperature. Then the\n"
            "alignment section: a tiny chat model fine-tuned to refuse requests for forbidden things\n"
            "(from data that still complies now and then) and a tiny judge fine-tuned to label answers\n"
            "naming them unsafe; `eval --metric judge` compares the greedy judgement with N sampled\n"
            "answers per request (claim 4; at most 6 and 4 epochs, fewer with --finetune-epochs). A retain\n"
            "model (the fine-tuning recipe on retain90 only) is the reference for TOFU's metrics of every\n"
            "model (forget quality, model utility, forget truth ratio; eval/<model>/tofu/). Writes\n"
            "DIR/demo.md (the table, the claims and their verdicts), DIR/demo.json (the same numbers),\n"
            "DIR/demo_forget.svg, DIR/demo_trajectory_{ga,gd,npo}.svg (greedy forget score per unlearning\n"
            "step; sampled mean and M_mu at the kept step), and every step's files (data/, tokenizer.json,\n"
            "models/, eval/, logs/).\n"
            "docs/demo.md explains the design.\n"
            "\n"
            "The whole run is built in a temporary folder beside DIR (.DIR.tmp-PID-XXXXXX) and put in\n"
            "place at the end, under DIR's lock: a killed or failing run leaves DIR as it was (the\n"
            "previous report never sits beside new models); a failing run keeps its temporary folder\n"
            "(with its logs) until the next demo into DIR. Other files in DIR are kept.\n"
            "\n"
            "  --out DIR    output folder (default leakbound-demo; created)\n"
            "  --quick      fewer samples (N 128 instead of 1024): 1-2 minutes on 2 cores\n"
            "  -n N         sampled answers per forget question (default 1024, quick 128)\n"
            "  --seed S     seed of the data generator, the training runs and the samples (default 0)\n"
            "  --authors N  authors in the generated benchmark (default 10)\n"
            "  --finetune-epochs N  epochs per fine-tuning round (default 15; up to 3 rounds\n"
            "               until the target is reached)\n"
            "  --unlearn-target G   stop unlearning at greedy forget ROUGE-L recall <= G (default 0.45)\n"
            "  --unlearn-lr X       unlearning learning rate (default 1e-4)\n"
            "  --unlearn-epochs N   at most N epochs of unlearning (default 30)\n"
            "  --entropy LF,LR      EO weights (default 0.3,0; the reference's 1,-0.25 is an option)\n"
            "  --entropy-positions all|answer   EO positions (default all)\n"
            "  --threads N  threads for training and sampling (default: the free cores)\n"
            "  --wait       if another leakbound run is writing DIR, wait for it to finish\n"
            "               (default: refuse at once, exit 2)\n"
            "  -h, --help   this help\n"
            "\n"
            "A failing step names its log (exit 1).\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

double demo_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Path under the demo folder, in a ring of static buffers (the argv arrays hold several). */
static const char *pathf(const char *fmt, ...) {
    static char ring[32][1024];
    static int k;
    char *b = ring[k++ & 31];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof ring[0], fmt, ap);
    va_end(ap);
    return b;
}

/* Run one subcommand with its stderr sent to logs/<log>.log; a terminal line when it ends unless
 * quiet (failures are always reported). Returns its exit status. */
enum { STEP_QUIET = 1, STEP_APPEND = 2 }; /* step_q flags: no terminal line; append to the log */
static int step_q(const demo_t *d, const char *log, int (*fn)(int, char **), char **argv, int flags) {
    int argc = 0;
    while (argv[argc]) argc++;
    /* subcommands may write into their arguments (e.g. splitting "LF,LR" in place): hand them
     * writable copies, as a real argv would be */
    char *copy[64];
    if (argc >= 64) return LB_EXIT_FAIL;
    int ok = 1;
    for (int i = 0; i < argc; i++) ok &= (copy[i] = strdup(argv[i])) != NULL;
    copy[argc] = NULL;
    if (!ok) {
        for (int i = 0; i < argc; i++) free(copy[i]);
        fprintf(stderr, "leakbound demo: out of memory\n");
        return LB_EXIT_FAIL;
    }
    const char *lp = pathf("%s/logs/%s.log", d->out, log);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(2), fd = open(lp, O_WRONLY | O_CREAT | (flags & STEP_APPEND ? O_APPEND : O_TRUNC), 0644);
    if (saved < 0 || fd < 0) {
        if (saved >= 0) close(saved);
        if (fd >= 0) close(fd);
        fprintf(stderr, "leakbound demo: cannot open %s\n", lp);
        for (int i = 0; i < argc; i++) free(copy[i]);
        return LB_EXIT_FAIL;
    }
    dup2(fd, 2);
    close(fd);
    /* stdout of a step (e.g. a summary) goes to the log too, keeping the terminal readable */
    int saved_out = dup(1);
    if (saved_out >= 0) dup2(2, 1);
    /* the step's report.json records its own command line (lb_cli_provenance), not the demo's */
    char *full[65];
    full[0] = "leakbound";
    memcpy(full + 1, copy, (size_t)argc * sizeof *copy);
    lb_cli_keep_argv(argc + 1, full);
    double t0 = demo_now();
    int rc = fn(argc, copy);
    lb_cli_keep_argv(d->argc, d->argv);
    for (int i = 0; i < argc; i++) free(copy[i]);
    fflush(stdout);
    fflush(stderr);
    if (saved_out >= 0) {
        dup2(saved_out, 1);
        close(saved_out);
    }
    dup2(saved, 2);
    close(saved);
    if (rc) fprintf(stderr, "leakbound demo: step '%s' failed (exit %d): see %s\n", log, rc, lp);
    else if (!(flags & STEP_QUIET)) fprintf(stderr, "  %-28s %6.1fs\n", log, demo_now() - t0);
    return rc;
}

static int step(const demo_t *d, const char *log, int (*fn)(int, char **), char **argv) {
    return step_q(d, log, fn, argv, 0);
}

int demo_step(const demo_t *d, const char *log, int (*fn)(int, char **), char **argv) {
    return step(d, log, fn, argv);
}

#define RUN(d, log, fn, ...)                                              \
    do {                                                                  \
        char *argv_[] = {__VA_ARGS__, NULL};                              \
        if (step((d), (log), (fn), argv_)) return LB_EXIT_FAIL;           \
    } while (0)

static char *num(double v) {
    static char ring[32][32];
    static int k;
    char *b = ring[k++ & 31];
    snprintf(b, sizeof ring[0], "%.17g", v);
    return b;
}

/* eval of one model on forget10 or a retain sample (limit questions): n sampled answers. */
static int eval(const demo_t *d, const char *model, const char *data, const char *out, const char *log,
                long n, long limit, int adaptive, int quiet) {
    char *argv[48];
    int k = 0;
    char nbuf[32], lbuf[32], mbuf[32], sbuf[32];
    snprintf(nbuf, sizeof nbuf, "%ld", n);
    snprintf(lbuf, sizeof lbuf, "%ld", limit);
    snprintf(mbuf, sizeof mbuf, "%ld", d->max_new);
    snprintf(sbuf, sizeof sbuf, "%ld", d->seed);
    char *fixed[] = {"eval", "--model", (char *)model, "--data", (char *)data, "--template", "phi", "-n", nbuf,
                     "--metric", "rougeL-recall", "--alpha", num(d->alpha), "--temperature", num(d->temperature),
                     "--top-p", num(d->top_p), "--top-k", "0", "--max-new-tokens", mbuf, "--seed", sbuf,
                     "--threshold", num(d->leak_threshold), "--leak-threshold", num(d->leak_threshold),
                     "--out", (char *)out};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[k++] = fixed[i];
    if (limit > 0) {
        argv[k++] = "--limit";
        argv[k++] = lbuf;
    }
    if (adaptive) { /* with top-p 0.9 a threshold >= 0.9 would change nothing: docs/demo.md */
        argv[k++] = "--adaptive-temperature";
        argv[k++] = "--confidence-threshold";
        argv[k++] = num(d->ats_threshold);
    }
    argv[k] = NULL;
    return step_q(d, log, lb_cli_eval, argv, quiet ? STEP_QUIET : 0);
}

/* Mean greedy forget score of one model (a greedy-only check: one sample per question). */
static int greedy_check(const demo_t *d, const char *model, const char *out, const char *log, double *greedy) {
    if (eval(d, model, pathf("%s/data/forget10.jsonl", d->out), out, log, 1, 0, 0, 1)) return LB_EXIT_FAIL;
    demo_eval_t e;
    lb_error_t err = {0};
    if (demo_read_eval(out, d->leak_threshold, 0, &e, &err)) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        return LB_EXIT_FAIL;
    }
    *greedy = e.greedy;
    demo_eval_free(&e);
    return 0;
}

/* One fine-tuning round r of the demo's recipe (ft_epochs epochs, lr ft_lr, batch 8, max length 72,
 * 10 warmup steps in round 1 and none later, the demo's seed) from src on data into dst. */
static int finetune_round(demo_t *d, const char *seed, const char *src, const char *data, const char *dst,
                          const char *log, int r) {
    char ep[16];
    snprintf(ep, sizeof ep, "%d", d->ft_epochs);
    RUN(d, log, lb_cli_finetune, "finetune", "--model", (char *)src, "--data", (char *)data, "--out", (char *)dst,
        "--epochs", ep, "--lr", (char *)d->ft_lr, "--batch-size", "8", "--grad-accum", "1", "--max-length", "72",
        "--warmup", r == 1 ? "10" : "0", "--seed", (char *)seed);
    return 0;
}

/* models/<name> -> models/<name>-<r>: the last round's folder is what everything downstream reads. */
static int link_round(demo_t *d, const char *name, int r) {
    const char *final = pathf("%s/models/%s", d->out, name);
    unlink(final);
    if (symlink(pathf("%s-%d", name, r), final)) {
        fprintf(stderr, "leakbound demo: cannot link %s\n", final);
        return LB_EXIT_FAIL;
    }
    return 0;
}

static int finetune(demo_t *d, const char *seed) {
    char src[1024], dst[1024];
    snprintf(src, sizeof src, "%s/models/init", d->out);
    for (int r = 1; r <= d->ft_rounds; r++) {
        snprintf(dst, sizeof dst, "%s/models/finetuned-%d", d->out, r);
        if (finetune_round(d, seed, src, pathf("%s/data/full.jsonl", d->out), dst, pathf("finetune-%d", r), r))
            return LB_EXIT_FAIL;
        if (greedy_check(d, dst, pathf("%s/eval/finetune-check-%d", d->out, r), pathf("eval-finetune-check-%d", r),
                         &d->ft_greedy))
            return LB_EXIT_FAIL;
        d->ft_rounds_used = r;
        fprintf(stderr, "  fine-tuned %d epoch(s) x %d: greedy ROUGE-L recall on forget10 %.3f\n", d->ft_epochs,
                r, d->ft_greedy);
        if (link_round(d, "finetuned", r)) return LB_EXIT_FAIL;
        if (d->ft_greedy >= d->ft_target) break;
        memcpy(src, dst, sizeof src);
    }
    return 0;
}

/* The retain model (TOFU's reference for forget quality): the same recipe from the same initial
 * weights, on retain90 only, for as many rounds as the fine-tuned model took: models/retain90. */
static int finetune_retain(demo_t *d, const char *seed) {
    char src[1024], dst[1024];
    snprintf(src, sizeof src, "%s/models/init", d->out);
    for (int r = 1; r <= d->ft_rounds_used; r++) {
        snprintf(dst, sizeof dst, "%s/models/%s-%d", d->out, DEMO_RETAIN_MODEL, r);
        if (finetune_round(d, seed, src, pathf("%s/data/retain90.jsonl", d->out), dst,
                           pathf("finetune-%s-%d", DEMO_RETAIN_MODEL, r), r))
            return LB_EXIT_FAIL;
        memcpy(src, dst, sizeof src);
    }
    return link_round(d, DEMO_RETAIN_MODEL, d->ft_rounds_used);
}

/* The rows of the table: the fine-tuned model, each method without and with EO, and the EO
 * models again under adaptive temperature (base: the row compared with; -1 none). */
static const struct {
    const char *name, *dir, *model_dir, *method;
    int entropy, adaptive, base;
} MODELS[] = {
    {"fine-tuned (no unlearning)", "finetuned", "finetuned", NULL, 0, 0, -1},
    {"GA", "ga", "ga", "ga", 0, 0, -1},
    {"GA + EO", "ga-eo", "ga-eo", "ga", 1, 0, 1},
    {"GD", "gd", "gd", "gd", 0, 0, -1},
    {"GD + EO", "gd-eo", "gd-eo", "gd", 1, 0, 3},
    {"NPO", "npo", "npo", "npo", 0, 0, -1},
    {"NPO + EO", "npo-eo", "npo-eo", "npo", 1, 0, 5},
    {"GA + EO, ATS", "ga-eo-ats", "ga-eo", "ga", 1, 1, 2},
    {"GD + EO, ATS", "gd-eo-ats", "gd-eo", "gd", 1, 1, 4},
    {"NPO + EO, ATS", "npo-eo-ats", "npo-eo", "npo", 1, 1, 6},
};

static int mkdirs(const char *out) {
    const char *sub[] = {"", "/logs", "/models", "/eval"};
    for (size_t i = 0; i < 4; i++) {
        const char *p = pathf("%s%s", out, sub[i]);
        if (mkdir(p, 0755) && errno != EEXIST) {
            fprintf(stderr, "leakbound demo: cannot create %s: %s\n", p, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Unlearn with a greedy check after every optimizer step and the stop rule of `unlearn
 * --stop-when` (lb_train_run's: the first step whose mean greedy forget ROUGE-L recall is <= the
 * target ends the run and its model is the output; the last step is a candidate too):
 * models/<dir>, whose eval_log.csv gives the trace and train_log.csv runs up to that step. */
static int unlearn(demo_t *d, demo_row_t *row) {
    /* own copies: pathf's ring is reused by the many calls below */
    char dst[1024], data[1024], rule[64], mx[32];
    snprintf(dst, sizeof dst, "%s/models/%s", d->out, row->dir);
    snprintf(data, sizeof data, "%s/data/forget10.jsonl", d->out);
    snprintf(rule, sizeof rule, "greedy<=%.17g", d->ul_target);
    snprintf(mx, sizeof mx, "%ld", d->max_new);
    lb_io_remove_tree(dst);
    char ep[16], bs[16], sd[32];
    snprintf(ep, sizeof ep, "%d", d->ul_epochs);
    snprintf(bs, sizeof bs, "%d", d->ul_batch);
    snprintf(sd, sizeof sd, "%ld", d->seed);
    char *argv[48];
    int k = 0;
    char *fixed[] = {"unlearn", "--model", (char *)pathf("%s/models/finetuned", d->out), "--forget", data,
                     "--retain", (char *)pathf("%s/data/retain90.jsonl", d->out), "--method", (char *)row->method,
                     "--out", dst, "--epochs", ep, "--lr", (char *)d->ul_lr, "--batch-size", bs, "--grad-accum", "1",
                     "--max-length", "72", "--warmup", "0", "--seed", sd, "--eval-every", "1", "--eval-data", data,
                     "--eval-max-new-tokens", mx, "--stop-when", rule};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[k++] = fixed[i];
    if (row->entropy) {
        argv[k++] = "--entropy";
        argv[k++] = (char *)d->entropy;
        argv[k++] = "--entropy-positions";
        argv[k++] = (char *)d->entropy_positions;
    }
    argv[k] = NULL;
    if (step_q(d, pathf("unlearn-%s", row->dir), lb_cli_unlearn, argv, 0)) return LB_EXIT_FAIL;
    /* the trace: eval_log.csv's rows (step,greedy,stop), one per step */
    FILE *f = fopen(pathf("%s/eval_log.csv", dst), "r");
    char line[256];
    row->n_trace = 0;
    row->reached = 0;
    if (f && fgets(line, sizeof line, f))
        while (row->n_trace < DEMO_MAX_STEPS && fgets(line, sizeof line, f)) {
            long st;
            double g;
            int stop;
            if (sscanf(line, "%ld,%lf,%d", &st, &g, &stop) != 3 || st != row->n_trace + 1) break;
            row->trace_greedy[row->n_trace++] = g;
            row->reached = lb_train_stop_met(LB_TRAIN_STOP_AT_MOST, d->ul_target, g);
        }
    if (f) fclose(f);
    if (!row->n_trace) {
        fprintf(stderr, "leakbound demo: %s/eval_log.csv holds no greedy check\n", dst);
        return LB_EXIT_FAIL;
    }
    row->step = row->n_trace;
    row->steps = d->ul_steps_total;
    fprintf(stderr, "  %-28s step %d of %d: greedy forget %.3f (target %.2f%s)\n", pathf("select-%s", row->dir),
            row->step, row->steps, row->trace_greedy[row->n_trace - 1], d->ul_target,
            row->reached ? "" : ": NOT reached");
    return 0;
}

static int evaluate(demo_t *d, demo_row_t *row) {
    char model[1024], ef[1024], er[1024];
    snprintf(model, sizeof model, "%s/models/%s", d->out, row->model_dir);
    snprintf(ef, sizeof ef, "%s/eval/%s/forget", d->out, row->dir);
    snprintf(er, sizeof er, "%s/eval/%s/retain", d->out, row->dir);
    mkdir(pathf("%s/eval/%s", d->out, row->dir), 0755);
    if (eval(d, model, pathf("%s/data/forget10.jsonl", d->out), ef, pathf("eval-%s-forget", row->dir), d->n, 0,
             row->adaptive, 0) ||
        eval(d, model, pathf("%s/data/retain90.jsonl", d->out), er, pathf("eval-%s-retain", row->dir), d->retain_n,
             d->retain_q, row->adaptive, 0))
        return LB_EXIT_FAIL;
    lb_error_t err = {0};
    if (demo_read_eval(ef, d->leak_threshold, 0, &row->forget, &err) ||
        demo_read_eval(er, d->leak_threshold, d->diversity_samples, &row->retain, &err)) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        return LB_EXIT_FAIL;
    }
    return 0;
}

static void free_rows(demo_t *d) {
    for (size_t i = 0; i < d->n_rows; i++) {
        demo_eval_free(&d->rows[i].forget);
        demo_eval_free(&d->rows[i].retain);
    }
}

/* Questions in the generated forget set (read by the data module, as unlearn reads it), or -1. */
static long count_items(const char *path) {
    lb_dataset_t ds;
    lb_error_t err = {0};
    if (lb_data_load(path, LB_DATA_AUTO, &ds, &err)) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        return -1;
    }
    long n = (long)ds.n;
    lb_dataset_free(&ds);
    return n;
}

enum { O_TARGET = 256, O_ULR, O_UEP, O_ENT, O_ENTPOS };

/* The names the demo writes at the top of DIR: the set a new run replaces (other files stay). */
static const char *const demo_files[] = {"demo.md", "demo.json", "demo_forget.svg", "demo_trajectory_ga.svg",
                                         "demo_trajectory_gd.svg", "demo_trajectory_npo.svg", "tokenizer.json",
                                         "data", "models", "eval", "logs", "align", NULL};

static int demo_run(demo_t *d, char *sbuf, char *abuf, char *vbuf);

int lb_cli_demo(int argc, char **argv) {
    static const struct option opts[] = {{"out", required_argument, 0, 'o'}, {"quick", no_argument, 0, 'q'},
                                         {"seed", required_argument, 0, 's'}, LB_CLI_THREADS_OPTION, {"help", no_argument, 0, 'h'},
                                         {"authors", required_argument, 0, 'a'},
                                         {"finetune-epochs", required_argument, 0, 'e'},
                                         {"unlearn-target", required_argument, 0, O_TARGET},
                                         {"unlearn-lr", required_argument, 0, O_ULR},
                                         {"unlearn-epochs", required_argument, 0, O_UEP},
                                         {"entropy", required_argument, 0, O_ENT},
                                         {"entropy-positions", required_argument, 0, O_ENTPOS},
                                         LB_CLI_WAIT_OPTION,
                                         {0, 0, 0, 0}};
    static demo_t d;
    memset(&d, 0, sizeof d);
    /* the demo's own command line, for demo.json and to restore after each step */
    static char *full[256];
    if (argc >= 255) return lb_cli_failf("demo", "too many arguments");
    full[0] = "leakbound";
    memcpy(full + 1, argv, (size_t)argc * sizeof *argv);
    d.argc = argc + 1;
    d.argv = full;
    d.out = "leakbound-demo";
    d.ul_lr = "1e-4";
    d.entropy = "0.3,0";
    d.entropy_positions = "all";
    d.ul_target = 0.45;
    d.ul_epochs = 30;
    long n = -1, seed = 0, authors = -1, ft_epochs = -1;
    double x;
    int c, wait = 0;
    lb_cli_parser_t cli = {.cmd = "demo", .argc = argc, .argv = argv, .shortopts = "n:h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'o': d.out = optarg; break;
        case LB_CLI_O_WAIT: wait = 1; break;
        case 'q': d.quick = 1; break;
        case 'n':
            if (lb_cli_parse_long(optarg, &n) || n < 1 || n > 100000)
                return lb_cli_failf("demo", "-n: want an integer in 1..100000, got '%s'", optarg);
            break;
        case 's':
            if (lb_cli_parse_long(optarg, &seed) || seed < 0)
                return lb_cli_failf("demo", "--seed: want an integer >= 0, got '%s'", optarg);
            break;
        case 'a':
            if (lb_cli_parse_long(optarg, &authors) || authors < 1 || authors > 10000)
                return lb_cli_failf("demo", "--authors: want an integer in 1..10000, got '%s'", optarg);
            break;
        case 'e':
            if (lb_cli_parse_long(optarg, &ft_epochs) || ft_epochs < 1 || ft_epochs > 10000)
                return lb_cli_failf("demo", "--finetune-epochs: want an integer in 1..10000, got '%s'", optarg);
            break;
        case O_TARGET:
            if (lb_cli_parse_double(optarg, &x) || !(x >= 0 && x <= 1))
                return lb_cli_failf("demo", "--unlearn-target: want a number in [0, 1], got '%s'", optarg);
            d.ul_target = x;
            break;
        case O_ULR:
            if (lb_cli_parse_double(optarg, &x) || !(x > 0 && x <= 1))
                return lb_cli_failf("demo", "--unlearn-lr: want a number in (0, 1], got '%s'", optarg);
            d.ul_lr = optarg;
            break;
        case O_UEP: {
            long e;
            if (lb_cli_parse_long(optarg, &e) || e < 1 || e > 1000)
                return lb_cli_failf("demo", "--unlearn-epochs: want an integer in 1..1000, got '%s'", optarg);
            d.ul_epochs = (int)e;
            break;
        }
        case O_ENT: d.entropy = optarg; break; /* checked by unlearn, before any model is trained */
        case O_ENTPOS:
            if (strcmp(optarg, "all") && strcmp(optarg, "answer"))
                return lb_cli_failf("demo", "--entropy-positions: want all or answer, got '%s'", optarg);
            d.entropy_positions = optarg;
            break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads("demo", optarg)) return LB_EXIT_USAGE;
            break;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind < argc) return lb_cli_failf("demo", "unexpected argument '%s'", argv[optind]);
    {
        double lf, lr;
        char tail;
        if (sscanf(d.entropy, "%lf,%lf%c", &lf, &lr, &tail) != 2 || !isfinite(lf) || !isfinite(lr))
            return lb_cli_failf("demo", "--entropy: want LF,LR (two numbers), got '%s'", d.entropy);
    }
    /* Sizes: see docs/demo.md. The model is small enough to memorise the benchmark in seconds;
     * the time goes into sampling. */
    d.seed = seed;
    d.authors = 10;
    d.vocab = 1024;
    d.size = "L2-D64-H4-KV2-I192-T80";
    d.n = n > 0 ? n : d.quick ? 128 : 1024;
    d.retain_n = d.n < 32 ? d.n : 32; /* as many as the diversity measure reads */
    d.diversity_samples = 32;
    d.alpha = 0.01;
    d.temperature = 1.0;
    d.top_p = 0.9;
    d.leak_threshold = 0.9;
    d.ats_threshold = 0.5;
    d.max_new = 56;
    d.retain_q = 20;
    d.ft_epochs = 15;
    if (authors > 0) d.authors = (int)authors;
    if (ft_epochs > 0) d.ft_epochs = (int)ft_epochs;
    d.ft_rounds = 3;
    d.ft_target = 0.9;
    d.ft_lr = "5e-3";
    d.ul_batch = 4;
    char sbuf[32], abuf[32], vbuf[32];
    snprintf(sbuf, sizeof sbuf, "%ld", seed);
    snprintf(abuf, sizeof abuf, "%d", d.authors);
    snprintf(vbuf, sizeof vbuf, "%ld", d.vocab);
    /* Everything goes into a temporary sibling of DIR, put in place at the end under DIR's lock
     * (the steps write inside it and take no locks of their own). */
    lb_io_dir_t dir;
    lb_error_t err = {0};
    if (lb_io_dir_begin(&dir, d.out, demo_files, lb_cli_io_flags(wait), &err)) {
        lb_error_prefix(&err, "--out");
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        return err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_FAIL;
    }
    d.final_out = d.out;
    d.out = dir.path;
    lb_cli_set_nested(1);
    int rc = demo_run(&d, sbuf, abuf, vbuf);
    lb_cli_set_nested(0);
    if (!rc && lb_io_dir_commit(&dir, &err)) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        rc = LB_EXIT_FAIL;
    }
    if (rc && dir.path) {
        fprintf(stderr, "leakbound demo: %s is unchanged; this run's files (logs/) stay in %s until the "
                "next demo into it\n", d.final_out, dir.path);
        dir.keep = 1;
    }
    lb_io_dir_abort(&dir);
    d.out = d.final_out;
    free_rows(&d);
    if (!rc) fprintf(stderr, "leakbound demo: done in %.0fs; report in %s/demo.md\n", d.total_seconds, d.out);
    return rc;
}

/* The demo's steps, all under d->out (the temporary folder). */
static int demo_run(demo_t *d, char *sbuf, char *abuf, char *vbuf) {
    if (mkdirs(d->out)) return LB_EXIT_FAIL;
    double t0 = demo_now();
    fprintf(stderr, "leakbound demo: %s run into %s (%d authors, %s, n %ld); step logs in %s/logs\n",
            d->quick ? "quick" : "full", d->final_out, d->authors, d->size, d->n, d->out);
    const char *data = pathf("%s/data", d->out), *tok = pathf("%s/tokenizer.json", d->out);
    RUN(d, "data", lb_cli_data, "data", "fictitious", "--seed", sbuf, "--authors", abuf, "--out", (char *)data);
    RUN(d, "tokenizer", lb_cli_tokenizer, "tokenizer", "train", "--vocab-size", vbuf, "--out", (char *)tok,
        (char *)pathf("%s/full.jsonl", data));
    RUN(d, "init", lb_cli_init, "init", "--arch", "llama", "--size", (char *)d->size, "--tokenizer", (char *)tok,
        "--out", (char *)pathf("%s/models/init", d->out), "--seed", sbuf);
    long nf = count_items(pathf("%s/forget10.jsonl", data));
    if (nf < 1) {
        fprintf(stderr, "leakbound demo: %s/forget10.jsonl: no questions\n", data);
        return LB_EXIT_FAIL;
    }
    d->ul_steps_total = d->ul_epochs * (int)((nf + d->ul_batch - 1) / d->ul_batch);
    if (finetune(d, sbuf)) return LB_EXIT_FAIL;
    double tr0 = demo_now();
    if (finetune_retain(d, sbuf)) return LB_EXIT_FAIL;
    d->retain_seconds = demo_now() - tr0;
    if (demo_tofu(d, DEMO_RETAIN_MODEL, DEMO_RETAIN_MODEL, &d->retain_tofu)) return LB_EXIT_FAIL;
    int rc = LB_EXIT_OK;
    for (size_t i = 0; i < sizeof MODELS / sizeof MODELS[0] && !rc; i++) {
        demo_row_t *row = &d->rows[d->n_rows++];
        row->name = MODELS[i].name;
        row->dir = MODELS[i].dir;
        row->model_dir = MODELS[i].model_dir;
        row->method = MODELS[i].method;
        row->entropy = MODELS[i].entropy;
        row->adaptive = MODELS[i].adaptive;
        row->base = MODELS[i].base;
        double t1 = demo_now();
        if (row->adaptive) {
            const demo_row_t *m = &d->rows[row->base];
            row->step = m->step, row->steps = m->steps, row->reached = m->reached;
        }
        if ((row->method && !row->adaptive && unlearn(d, row)) || evaluate(d, row)) rc = LB_EXIT_FAIL;
        row->seconds = demo_now() - t1;
        if (!rc && row->adaptive) row->tofu = d->rows[row->base].tofu; /* the same model */
        else if (!rc && demo_tofu(d, row->model_dir, row->dir, &row->tofu)) rc = LB_EXIT_FAIL;
    }
    if (!rc && demo_align(d)) rc = LB_EXIT_FAIL;
    d->total_seconds = demo_now() - t0;
    lb_error_t err = {0};
    if (!rc && demo_write_report(d, &err)) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        rc = LB_EXIT_FAIL;
    }
    return rc;
}
