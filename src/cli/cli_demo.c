/* `leakbound demo`: the paper's experiment end to end on a generated benchmark (issue 6 §3).
 *
 * Everything runs inside this process by calling the other subcommands' entry points with built
 * argv arrays: data → tokenizer train → init → finetune (until greedy ROUGE-L recall on forget10
 * reaches the target, within a round limit) → unlearn (GA, GD, NPO, each ± entropy) → eval of
 * every model on forget10 and on a retain sample → demo.md / demo.json / plots. Each step's own
 * progress goes to <out>/logs/<step>.log; the terminal gets one line per step. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_demo.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound demo [--out DIR] [--quick] [-n N] [--seed S]\n"
            "\n"
            "The paper's experiment end to end, offline, on 2 cores: generate a fictitious-author\n"
            "benchmark, train a byte-level BPE tokenizer and a tiny Llama on it, fine-tune until the\n"
            "answers are memorised (greedy ROUGE-L recall on forget10 >= 0.9, or the round limit),\n"
            "unlearn forget10 with GA, GD and NPO, each with and without entropy optimisation, and\n"
            "evaluate every model greedily and with N sampled answers per question (alpha 0.01,\n"
            "T 1, top-p 0.9) on forget10 and on a retain sample. Writes DIR/demo.md (the table and\n"
            "what the run shows), DIR/demo.json (the same numbers), DIR/demo_forget.svg, and every\n"
            "step's files (data/, tokenizer.json, models/, eval/, logs/).\n"
            "\n"
            "  --out DIR    output folder (default leakbound-demo; created)\n"
            "  --quick      fewer authors, smaller model budget and N 16: about 3 minutes\n"
            "  -n N         sampled answers per question (default 128, quick 16)\n"
            "  --seed S     seed of the data generator and of the training runs (default 0)\n"
            "  --authors N  authors in the generated benchmark (default 8, quick 4)\n"
            "  --finetune-epochs N  epochs per fine-tuning round (default 20; up to 3 rounds,\n"
            "               quick 2, until the target is reached)\n"
            "  -h, --help   this help\n"
            "\n"
            "Exit status 2 on bad usage, 1 when a step fails (its log is named).\n");
}

static double now(void) {
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

/* Run one subcommand with its stderr sent to logs/<log>.log. Returns its exit status. */
static int step(const demo_t *d, const char *log, int (*fn)(int, char **), char **argv) {
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
    int saved = dup(2), fd = open(lp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
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
    double t0 = now();
    int rc = fn(argc, copy);
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
    else fprintf(stderr, "  %-28s %6.1fs\n", log, now() - t0);
    return rc;
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

/* eval of one model on forget10 (n samples) or a retain sample (limit questions). */
static int eval(const demo_t *d, const char *model, const char *data, const char *out, const char *log,
                long n, long limit, const char *seed) {
    char *argv[40];
    int k = 0;
    char nbuf[32], lbuf[32], mbuf[32];
    snprintf(nbuf, sizeof nbuf, "%ld", n);
    snprintf(lbuf, sizeof lbuf, "%ld", limit);
    snprintf(mbuf, sizeof mbuf, "%ld", d->max_new);
    char *fixed[] = {"eval", "--model", (char *)model, "--data", (char *)data, "--template", "phi", "-n", nbuf,
                     "--metric", "rougeL-recall", "--alpha", num(d->alpha), "--temperature", num(d->temperature),
                     "--top-p", num(d->top_p), "--top-k", "0", "--max-new-tokens", mbuf, "--seed", (char *)seed,
                     "--out", (char *)out};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[k++] = fixed[i];
    if (limit > 0) {
        argv[k++] = "--limit";
        argv[k++] = lbuf;
    }
    argv[k] = NULL;
    return step(d, log, lb_cli_eval, argv);
}

static int finetune(demo_t *d, const char *seed) {
    const char *forget = pathf("%s/data/forget10.jsonl", d->out);
    char src[1024], dst[1024];
    snprintf(src, sizeof src, "%s/models/init", d->out);
    char ep[16];
    snprintf(ep, sizeof ep, "%d", d->ft_epochs);
    for (int r = 1; r <= d->ft_rounds; r++) {
        snprintf(dst, sizeof dst, "%s/models/finetuned-%d", d->out, r);
        const char *log = pathf("finetune-%d", r);
        RUN(d, log, lb_cli_finetune, "finetune", "--model", src, "--data",
            (char *)pathf("%s/data/full.jsonl", d->out), "--out", dst, "--epochs", ep, "--lr",
            (char *)d->ft_lr, "--batch-size", "8", "--grad-accum", "1", "--max-length", "72", "--warmup",
            r == 1 ? "10" : "0", "--seed", (char *)seed);
        const char *ev = pathf("%s/eval/finetune-check-%d", d->out, r);
        if (eval(d, dst, forget, ev, pathf("eval-finetune-check-%d", r), 1, 0, seed)) return LB_EXIT_FAIL;
        lb_error_t err = {0};
        if (demo_read_eval(ev, 0.9, &d->ft_greedy, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &err)) {
            fprintf(stderr, "leakbound demo: %s\n", err.msg);
            return LB_EXIT_FAIL;
        }
        d->ft_rounds_used = r;
        fprintf(stderr, "  fine-tuned %d epoch(s) x %d: greedy ROUGE-L recall on forget10 %.3f\n", d->ft_epochs,
                r, d->ft_greedy);
        /* the last round's folder is "finetuned" for everything downstream */
        const char *final = pathf("%s/models/finetuned", d->out);
        unlink(final);
        if (symlink(pathf("finetuned-%d", r), final)) {
            fprintf(stderr, "leakbound demo: cannot link %s\n", final);
            return LB_EXIT_FAIL;
        }
        if (d->ft_greedy >= d->ft_target) break;
        memcpy(src, dst, sizeof src);
    }
    return 0;
}

static const struct {
    const char *name, *dir, *method;
    int entropy;
} MODELS[] = {
    {"fine-tuned (no unlearning)", "finetuned", NULL, 0},
    {"GA", "ga", "ga", 0},
    {"GA + entropy", "ga-ent", "ga", 1},
    {"GD", "gd", "gd", 0},
    {"GD + entropy", "gd-ent", "gd", 1},
    {"NPO", "npo", "npo", 0},
    {"NPO + entropy", "npo-ent", "npo", 1},
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

static int unlearn(demo_t *d, demo_row_t *row, const char *seed) {
    const char *dst = pathf("%s/models/%s", d->out, row->dir);
    char ep[16];
    snprintf(ep, sizeof ep, "%d", d->ul_epochs);
    char *argv[40];
    int k = 0;
    char *fixed[] = {"unlearn", "--model", (char *)pathf("%s/models/finetuned", d->out), "--forget",
                     (char *)pathf("%s/data/forget10.jsonl", d->out), "--retain",
                     (char *)pathf("%s/data/retain90.jsonl", d->out), "--method", (char *)row->method, "--out",
                     (char *)dst, "--epochs", ep, "--lr", (char *)d->ul_lr, "--batch-size", "8", "--grad-accum",
                     "1", "--max-length", "72", "--warmup", "0", "--seed", (char *)seed};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[k++] = fixed[i];
    if (row->entropy) {
        argv[k++] = "--entropy";
        argv[k++] = "1,-0.25";
    }
    argv[k] = NULL;
    return step(d, pathf("unlearn-%s", row->dir), lb_cli_unlearn, argv);
}

static int evaluate(demo_t *d, demo_row_t *row, const char *seed) {
    const char *model = pathf("%s/models/%s", d->out, row->dir);
    const char *ef = pathf("%s/eval/%s/forget", d->out, row->dir), *er = pathf("%s/eval/%s/retain", d->out, row->dir);
    mkdir(pathf("%s/eval/%s", d->out, row->dir), 0755);
    if (eval(d, model, pathf("%s/data/forget10.jsonl", d->out), ef, pathf("eval-%s-forget", row->dir), d->n, 0,
             seed) ||
        eval(d, model, pathf("%s/data/retain90.jsonl", d->out), er, pathf("eval-%s-retain", row->dir), d->n,
             d->retain_q, seed))
        return LB_EXIT_FAIL;
    lb_error_t err = {0};
    if (demo_read_eval(ef, d->leak_threshold, &row->greedy, &row->mean, &row->max, &row->m_mu, &row->m_sigma,
                       &row->ed, &row->leak_share, &row->n_questions, &err) ||
        demo_read_eval(er, d->leak_threshold, &row->retain_greedy, &row->retain_mean, NULL, NULL, NULL, NULL,
                       NULL, NULL, &err)) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        return LB_EXIT_FAIL;
    }
    return 0;
}

int lb_cli_demo(int argc, char **argv) {
    static const struct option opts[] = {{"out", required_argument, 0, 'o'}, {"quick", no_argument, 0, 'q'},
                                         {"seed", required_argument, 0, 's'}, {"help", no_argument, 0, 'h'},
                                         {"authors", required_argument, 0, 'a'},
                                         {"finetune-epochs", required_argument, 0, 'e'},
                                         {0, 0, 0, 0}};
    demo_t d;
    memset(&d, 0, sizeof d);
    d.out = "leakbound-demo";
    long n = -1, seed = 0, authors = -1, ft_epochs = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': d.out = optarg; break;
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
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: usage(stderr); return LB_EXIT_USAGE;
        }
    }
    if (optind < argc) return lb_cli_failf("demo", "unexpected argument '%s'", argv[optind]);
    /* Sizes chosen so the whole run fits the time budget on 2 cores (issue 6 §3): the model is
     * small enough to memorise forget10 in a few epochs, the data small enough to train fast. */
    d.authors = d.quick ? 4 : 8;
    d.vocab = d.quick ? 768 : 1024;
    d.size = "L2-D64-H4-KV2-I192-T80";
    d.n = n > 0 ? n : d.quick ? 16 : 128;
    d.alpha = 0.01;
    d.temperature = 1.0;
    d.top_p = 0.9;
    d.leak_threshold = 0.9;
    d.max_new = 56;
    d.retain_q = 20;
    d.ft_epochs = 20;
    if (authors > 0) d.authors = (int)authors;
    if (ft_epochs > 0) d.ft_epochs = (int)ft_epochs;
    d.ft_rounds = d.quick ? 2 : 3;
    d.ft_target = 0.9;
    d.ft_lr = "5e-3";
    d.ul_lr = "5e-4";
    d.ul_epochs = 4;
    char sbuf[32], abuf[32], vbuf[32];
    snprintf(sbuf, sizeof sbuf, "%ld", seed);
    snprintf(abuf, sizeof abuf, "%d", d.authors);
    snprintf(vbuf, sizeof vbuf, "%ld", d.vocab);
    if (mkdirs(d.out)) return LB_EXIT_FAIL;
    double t0 = now();
    fprintf(stderr, "leakbound demo: %s run in %s (%d authors, %s, n %ld); step logs in %s/logs\n",
            d.quick ? "quick" : "full", d.out, d.authors, d.size, d.n, d.out);
    const char *data = pathf("%s/data", d.out), *tok = pathf("%s/tokenizer.json", d.out);
    RUN(&d, "data", lb_cli_data, "data", "fictitious", "--seed", sbuf, "--authors", abuf, "--out", (char *)data);
    RUN(&d, "tokenizer", lb_cli_tokenizer, "tokenizer", "train", "--vocab-size", vbuf, "--out", (char *)tok,
        (char *)pathf("%s/full.jsonl", data));
    RUN(&d, "init", lb_cli_init, "init", "--arch", "llama", "--size", (char *)d.size, "--tokenizer", (char *)tok,
        "--out", (char *)pathf("%s/models/init", d.out), "--seed", sbuf);
    if (finetune(&d, sbuf)) return LB_EXIT_FAIL;
    for (size_t i = 0; i < sizeof MODELS / sizeof MODELS[0]; i++) {
        demo_row_t *row = &d.rows[d.n_rows++];
        row->name = MODELS[i].name;
        row->dir = MODELS[i].dir;
        row->method = MODELS[i].method;
        row->entropy = MODELS[i].entropy;
        double t1 = now();
        if ((row->method && unlearn(&d, row, sbuf)) || evaluate(&d, row, sbuf)) return LB_EXIT_FAIL;
        row->seconds = now() - t1;
    }
    d.total_seconds = now() - t0;
    lb_error_t err = {0};
    if (demo_write_report(&d, &err)) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        return LB_EXIT_FAIL;
    }
    fprintf(stderr, "leakbound demo: done in %.0fs; report in %s/demo.md\n", d.total_seconds, d.out);
    return LB_EXIT_OK;
}
