/* `leakbound demo`: argv into lb_demo_opts_t, --help, and the hooks that print: each step's lines
 * go to <out>/logs/<step>.log, the terminal gets one line per step, and provenance objects carry
 * the demo's command line. The experiment itself is the demo module's (include/leakbound/demo.h). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/demo.h"
#include "leakbound/eval.h"

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
            "step; sampled mean and M_mu at about 10 steps of each run, 8 answers per question there),\n"
            "and every step's files (data/, tokenizer.json, models/, eval/, logs/).\n"
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

/* The hooks' state: the demo's command line and the open log of the running step. */
typedef struct {
    int argc;
    char **argv;
    FILE *log;
} demo_cli_t;

static void on_begin(void *user, const lb_demo_step_t *s) {
    demo_cli_t *c = user;
    if (c->log) fclose(c->log);
    c->log = s->note ? NULL : fopen(s->log_path, "w");
    if (!s->note && !c->log) fprintf(stderr, "leakbound demo: cannot open %s\n", s->log_path);
}

static void on_log(void *user, const lb_demo_step_t *s, const char *line) {
    demo_cli_t *c = user;
    (void)s;
    if (c->log) {
        fprintf(c->log, "%s\n", line);
        fflush(c->log);
    }
}

static void on_end(void *user, const lb_demo_step_t *s) {
    demo_cli_t *c = user;
    if (c->log) fclose(c->log);
    c->log = NULL;
    if (s->rc) fprintf(stderr, "leakbound demo: step '%s' failed: see %s\n", s->name, s->log_path);
    else if (s->note) fprintf(stderr, "  %-28s %s\n", s->name, s->summary ? s->summary : "");
    else if (!s->quiet && s->summary) fprintf(stderr, "  %-28s %6.1fs  %s\n", s->name, s->seconds, s->summary);
    else if (!s->quiet) fprintf(stderr, "  %-28s %6.1fs\n", s->name, s->seconds);
}

static json_t *on_provenance(void *user, const char *model_dir, const char *data_path, lb_error_t *err) {
    (void)user;
    return lb_cli_provenance(model_dir, NULL, data_path, NULL, err);
}

enum { O_TARGET = 256, O_ULR, O_UEP, O_ENT, O_ENTPOS };

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
    lb_demo_opts_t o = lb_demo_opts_default();
    /* the demo's own command line, for demo.json's and the eval reports' provenance */
    static char *full[256];
    if (argc >= 255) return lb_cli_failf("demo", "too many arguments");
    full[0] = "leakbound";
    memcpy(full + 1, argv, (size_t)argc * sizeof *argv);
    demo_cli_t ctx = {argc + 1, full, NULL};
    long v;
    double x;
    int c;
    lb_cli_parser_t cli = {.cmd = "demo", .argc = argc, .argv = argv, .shortopts = "n:h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case LB_CLI_O_WAIT: o.wait = 1; break;
        case 'q': o.quick = 1; break;
        case 'n':
            if (lb_core_parse_long(optarg, &o.n) || o.n < 1 || o.n > 100000)
                return lb_cli_failf("demo", "-n: want an integer in 1..100000, got '%s'", optarg);
            break;
        case 's':
            if (lb_core_parse_long(optarg, &o.seed) || o.seed < 0)
                return lb_cli_failf("demo", "--seed: want an integer >= 0, got '%s'", optarg);
            break;
        case 'a':
            if (lb_core_parse_long(optarg, &v) || v < 1 || v > 10000)
                return lb_cli_failf("demo", "--authors: want an integer in 1..10000, got '%s'", optarg);
            o.authors = (int)v;
            break;
        case 'e':
            if (lb_core_parse_long(optarg, &v) || v < 1 || v > 10000)
                return lb_cli_failf("demo", "--finetune-epochs: want an integer in 1..10000, got '%s'", optarg);
            o.finetune_epochs = (int)v;
            break;
        case O_TARGET:
            if (lb_core_parse_double(optarg, &x) || !(x >= 0 && x <= 1))
                return lb_cli_failf("demo", "--unlearn-target: want a number in [0, 1], got '%s'", optarg);
            o.unlearn_target = x;
            break;
        case O_ULR:
            if (lb_core_parse_double(optarg, &x) || !(x > 0 && x <= 1))
                return lb_cli_failf("demo", "--unlearn-lr: want a number in (0, 1], got '%s'", optarg);
            o.unlearn_lr = optarg;
            break;
        case O_UEP:
            if (lb_core_parse_long(optarg, &v) || v < 1 || v > 1000)
                return lb_cli_failf("demo", "--unlearn-epochs: want an integer in 1..1000, got '%s'", optarg);
            o.unlearn_epochs = (int)v;
            break;
        case O_ENT: o.entropy = optarg; break;
        case O_ENTPOS:
            if (strcmp(optarg, "all") && strcmp(optarg, "answer"))
                return lb_cli_failf("demo", "--entropy-positions: want all or answer, got '%s'", optarg);
            o.entropy_positions = optarg;
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
        if (sscanf(o.entropy, "%lf,%lf%c", &lf, &lr, &tail) != 2 || !isfinite(lf) || !isfinite(lr))
            return lb_cli_failf("demo", "--entropy: want LF,LR (two numbers), got '%s'", o.entropy);
    }
    lb_demo_hooks_t hooks = {.user = &ctx, .log = on_log, .step_begin = on_begin, .step_end = on_end,
                             .provenance = on_provenance};
    lb_demo_result_t r;
    lb_error_t err = {0};
    lb_cli_keep_argv(ctx.argc, full);
    fprintf(stderr, "leakbound demo: %s run into %s (%d authors, n %ld); step logs in %s/logs\n",
            o.quick ? "quick" : "full", o.out, o.authors, lb_demo_opts_n(&o), o.out);
    int rc = lb_demo_run(&o, &hooks, &r, &err);
    if (ctx.log) fclose(ctx.log);
    int status = LB_EXIT_OK;
    if (rc && !r.final_out) {
        status = lb_cli_out_failed("demo", &err);
    } else if (rc) {
        fprintf(stderr, "leakbound demo: %s\n", err.msg);
        if (r.stage_dir[0])
            fprintf(stderr, "leakbound demo: %s is unchanged; this run's files (logs/) stay in %s until the "
                    "next demo into it\n", o.out, r.stage_dir);
        status = LB_EXIT_FAIL;
    } else {
        fputs(r.summary ? r.summary : "", stdout);
        fflush(stdout);
        fprintf(stderr, "leakbound demo: done in %.0fs; report in %s/demo.md\n", r.total_seconds, o.out);
    }
    lb_demo_result_free(&r);
    return status;
}
