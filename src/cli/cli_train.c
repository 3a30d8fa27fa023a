/* Shared by leakbound finetune / unlearn: flag parsing and progress lines. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_train.h"
#include "leakbound/eval_checkpoint.h"
#include "leakbound/io.h"
#include "leakbound/train_config.h"

const char lb_cli_train_flags_help[] =
    "  --out DIR             output folder: the trained model (HF layout), train_log.csv,\n"
    "                        loss.svg, leakbound_run.json (how the model was made: resolved\n"
    "                        settings, argv, source model and data sha256, seed, threads,\n"
    "                        steps), checkpoint-<step>/ folders. The model, log and plot\n"
    "                        are built in a temporary folder beside DIR and renamed into\n"
    "                        place when complete: a failed run leaves DIR's earlier model as\n"
    "                        it was (exit 1 for a write error, naming the file and reason).\n"
    "                        Checkpoints go straight to DIR (for --resume after a kill) and\n"
    "                        are kept, as are other files in DIR. Training keeps fp32\n"
    "                        master weights (a F16/BF16 model is widened at load); the\n"
    "                        final model is stored in the starting model's dtype (rounded\n"
    "                        to nearest even), checkpoints in F32 (exact resume).\n"
    "  --config FILE.yaml [KEY=VALUE ...]\n"
    "                        run the reference's Hydra YAML experiment file (finetuning/\n"
    "                        configs/phi.yaml, unlearning/configs/phi-GA|GD|NPO.yaml) as it\n"
    "                        is, with Hydra-style overrides (hparams.model=DIR\n"
    "                        hparams.num_epochs=1; ~KEY: back to the default); flags beat the\n"
    "                        file; keys for a GPU or Hydra are listed as ignored; see\n"
    "                        `leakbound config show` and docs/training.md\n"
    "  --data-dir DIR        with --config: the folder of TOFU's files named by split: N\n"
    "                        (forgetNN and retain(100-N), .json or .jsonl) or dataset: NAME\n"
    "  --tokenizer FILE|DIR  the tokenizer.json (or the folder holding it and its\n"
    "                        tokenizer_config.json) when --model's folder has none; copied\n"
    "                        into --out\n"
    "  --wait                if another leakbound run is writing DIR, wait for it to finish\n"
    "                        (default: refuse at once, exit 2)\n"
    "  --quiet               no progress on stderr (step lines, checks, the closing line);\n"
    "                        errors and warnings still go there\n"
    "  --template T          phi (default: \"Question: q\\nAnswer: a\"), llama2, raw, or a\n"
    "                        string with {q}\n"
    "  --epochs N            default 5 (finetune) / 10 (unlearn)\n"
    "  --lr X                peak learning rate, default 2e-5 (finetune) / 1e-5 (unlearn)\n"
    "  --batch-size N        sequences per micro-batch, default 16\n"
    "  --grad-accum N        micro-batches per optimizer step, default 2 / 4\n"
    "  --max-length N        tokens per sequence (truncate, right-pad), default 256\n"
    "  --warmup N            linear warmup steps, default one epoch\n"
    "  --weight-decay X      AdamW decoupled decay on matrices, default 0.01\n"
    "  --max-grad-norm X     gradient-norm clipping, default 1.0 (0: off)\n"
    "  --seed S              data order and retain pairing, default 0\n"
    "  --save-every N        write <out>/checkpoint-<step>/ every N steps (with optimizer state)\n"
    "  --resume DIR          continue from a checkpoint-<step> folder of the same run\n"
    "  --eval-every K        after every K-th optimizer step and after the last one, the\n"
    "                        greedy score of the model on --eval-data (mean over its\n"
    "                        questions, as `leakbound eval`'s \"greedy\" with --template);\n"
    "                        printed and written to <out>/eval_log.csv (step,greedy,stop),\n"
    "                        drawn in loss.svg beside the loss\n"
    "  --eval-data FILE      the questions of the checks (with answers or keywords)\n"
    "  --eval-metric M       rougeL-recall (default), rougeL-f, rouge1-recall, rouge1-f,\n"
    "                        keywords or exact\n"
    "  --eval-max-new-tokens N  answer length of the checks (default: eval's)\n"
    "  --stop-when RULE      'greedy<=X' or 'greedy>=X' (X in [0, 1]): end the run at the\n"
    "                        first check that meets it, its model being the output; the\n"
    "                        last step is a candidate too (no check meets it: the last\n"
    "                        step's model)\n"
    "  --threads N           threads (default: OMP_NUM_THREADS, else the free cores)\n"
    "  -h, --help            this text\n";

/* --wait and --quiet (kept here: lb_train_run_opts_t is the library's, the lock and the
 * progress lines are the command's). */
static int train_wait, train_quiet;

enum { O_MODEL = 256, O_DATA, O_FORGET, O_RETAIN, O_OUT, O_TEMPLATE, O_EPOCHS, O_LR, O_BATCH,
       O_ACCUM, O_MAXLEN, O_WARMUP, O_WD, O_CLIP, O_SEED, O_SAVE, O_RESUME, O_METHOD,
       O_ENTROPY, O_ENTPOS, O_BETA, O_LAMBDA, O_STOP, O_TOKENIZER, O_CONFIG, O_DATADIR,
       O_EVAL_EVERY, O_EVAL_DATA, O_EVAL_METRIC, O_EVAL_MAXNEW, O_STOP_WHEN, O_QUIET };

/* The greedy checks (lb_cli_train_run prepares them from o's check_* options). */
static lb_eval_check_t g_check;

/* The resolved --config file: o's strings point into it, so it lives until lb_cli_train_run
 * ends (one run per process). */
static lb_train_config_t *train_config;

/* The flags into o (lb_train_run_opts_set: the values' rules are the library's); --config and
 * --data-dir into config and data_dir. Returns 0, a usage status or -1 (--help). */
static int parse_flags(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *), const char **config, const char **data_dir) {
    static const struct option opts[] = {
        {"model", required_argument, 0, O_MODEL},   {"data", required_argument, 0, O_DATA},
        {"forget", required_argument, 0, O_FORGET}, {"retain", required_argument, 0, O_RETAIN},
        {"out", required_argument, 0, O_OUT},       {"template", required_argument, 0, O_TEMPLATE},
        {"epochs", required_argument, 0, O_EPOCHS}, {"lr", required_argument, 0, O_LR},
        {"batch-size", required_argument, 0, O_BATCH},
        {"grad-accum", required_argument, 0, O_ACCUM},
        {"max-length", required_argument, 0, O_MAXLEN},
        {"warmup", required_argument, 0, O_WARMUP},
        {"weight-decay", required_argument, 0, O_WD},
        {"max-grad-norm", required_argument, 0, O_CLIP},
        {"seed", required_argument, 0, O_SEED},     {"save-every", required_argument, 0, O_SAVE},
        {"resume", required_argument, 0, O_RESUME}, {"method", required_argument, 0, O_METHOD},
        {"entropy", required_argument, 0, O_ENTROPY},
        {"entropy-positions", required_argument, 0, O_ENTPOS},
        {"beta", required_argument, 0, O_BETA},     {"lambda", required_argument, 0, O_LAMBDA},
        {"stop-after", required_argument, 0, O_STOP},
        {"config", required_argument, 0, O_CONFIG}, {"data-dir", required_argument, 0, O_DATADIR},
        {"tokenizer", required_argument, 0, O_TOKENIZER},
        {"eval-every", required_argument, 0, O_EVAL_EVERY},
        {"eval-data", required_argument, 0, O_EVAL_DATA},
        {"eval-metric", required_argument, 0, O_EVAL_METRIC},
        {"eval-max-new-tokens", required_argument, 0, O_EVAL_MAXNEW},
        {"stop-when", required_argument, 0, O_STOP_WHEN}, {"quiet", no_argument, 0, O_QUIET},
        LB_CLI_THREADS_OPTION, LB_CLI_WAIT_OPTION, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    train_wait = 0;
    train_quiet = 0;
    lb_cli_parser_t cli = {.cmd = cmd, .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return -1;
        case O_CONFIG: *config = optarg; break;
        case O_DATADIR: *data_dir = optarg; break;
        case LB_CLI_O_WAIT: train_wait = 1; break;
        case O_QUIET: train_quiet = 1; break;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads(cmd, optarg)) return LB_EXIT_USAGE;
            break;
        default: {
            const struct option *f = opts;
            while (f->name && f->val != c) f++;
            if (!f->name || c < O_MODEL) return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
            lb_error_t err = {0};
            if (lb_train_run_opts_set(o, f->name, optarg, &err))
                return lb_cli_failf(cmd, "%s", err.msg);
        }
        }
    }
    return 0;
}

/* A --config file: defaults < the file < its key=value overrides < --data-dir < flags. */
static int load_config(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *), const char *config,
                       const char *data_dir) {
    lb_error_t err = {0};
    lb_train_config_free(train_config);
    train_config = NULL;
    int rc = lb_train_config_load_dir(config, cmd, (const char *const *)argv + optind,
                                      (size_t)(argc - optind), data_dir, &train_config, &err);
    if (!rc) {
        lb_train_run_opts_default(o, !strcmp(cmd, "unlearn"));
        o->method_given = strcmp(cmd, "unlearn") != 0; /* unlearn names its method */
        rc = lb_train_config_apply(train_config, o, stderr, &err);
    }
    if (!rc) {
        const char *c2 = NULL, *d2 = NULL;
        int frc = parse_flags(cmd, argc, argv, o, usage, &c2, &d2);
        if (frc) return frc;
        rc = lb_train_config_check(train_config, o, stderr, &err);
    }
    if (rc) return rc == LB_ENOMEM ? (lb_cli_fail(cmd, &err), LB_EXIT_FAIL) : lb_cli_fail(cmd, &err);
    const char *const *ign;
    size_t n_ign = lb_train_config_ignored(train_config, &ign);
    if (n_ign) {
        fprintf(stderr, "leakbound %s: %s: ignored (they do not apply on a CPU or to leakbound):",
                cmd, config);
        for (size_t i = 0; i < n_ign; i++) fprintf(stderr, "%s %s", i ? "," : "", ign[i]);
        fputc('\n', stderr);
    }
    return 0;
}

int lb_cli_train_parse(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *)) {
    int unlearn = !strcmp(cmd, "unlearn");
    const char *config = NULL, *data_dir = NULL;
    lb_train_run_opts_default(o, unlearn);
    o->method_given = !unlearn; /* the unlearn command demands --method (or the config's loss) */
    int rc = parse_flags(cmd, argc, argv, o, usage, &config, &data_dir);
    if (rc) return rc;
    if (config) {
        if ((rc = load_config(cmd, argc, argv, o, usage, config, data_dir))) return rc;
    } else if (optind < argc) {
        return lb_cli_failf(cmd, "unexpected argument '%s'%s", argv[optind],
                            strchr(argv[optind], '=') ? " (key=value overrides go with --config FILE)" : "");
    } else if (data_dir) {
        return lb_cli_failf(cmd, "--data-dir is the folder of a --config file's split or dataset "
                            "files; without --config give %s", unlearn ? "--forget and --retain" : "--data");
    }
    lb_error_t err = {0}; /* the options' rules are the run's (lb_train_run_check) */
    return lb_train_run_check(o, &err) ? lb_cli_failf(cmd, "%s", err.msg) : 0;
}

static void progress(void *ctx, const lb_train_progress_t *p) {
    int *said_ref = ctx;
    if (!*said_ref && (p->ref_mapped_bytes || p->ref_widened_bytes)) {
        *said_ref = 1;
        fprintf(stderr, "NPO reference: %.3g MB of %s matrices read in place from the file, "
                "%.3g MB widened to fp32\n", p->ref_mapped_bytes / 1e6,
                lb_dtype_name(p->ref_dtype), p->ref_widened_bytes / 1e6);
    }
    fprintf(stderr, "step %ld/%ld  epoch %ld  lr %.3g  loss %.5f", p->step, p->total_steps,
            p->epoch, p->lr, p->loss);
    fprintf(stderr, "  (forget ce %.4f ent %.4f", p->forget.ce, p->forget.ent);
    if (p->forget.npo != 0.0) fprintf(stderr, " npo %.4f", p->forget.npo);
    if (p->retain.n_sup) fprintf(stderr, "; retain ce %.4f ent %.4f", p->retain.ce,
                                 p->retain.ent);
    fprintf(stderr, ")  |g| %.3g  %.0f tok/s  ETA %.0fs\n", p->grad_norm, p->tokens_per_s,
            p->eta_s);
}

/* After each greedy check (lb_eval_check_run): its line. */
static void check_line(void *ctx, long step, double greedy) {
    (void)ctx;
    if (!train_quiet)
        fprintf(stderr, "check after step %ld: greedy %s %.4f on %s\n", step, g_check.metric,
                greedy, g_check.data);
}

/* The run into --out as one folder (lb_train_run_to_dir); --stop-after (tests) ends without the
 * final set: nothing is renamed. */
int lb_cli_train_run(const char *cmd, lb_train_run_opts_t *o) {
    lb_error_t err = {0};
    int said_ref = 0;
    if (o->eval_every) { /* --eval-data is read before any training */
        if (lb_eval_check_prepare(&g_check, o->check_data, o->check_metric, o->check_max_new,
                                  o->template_spec, &err)) {
            fprintf(stderr, "leakbound %s: %s\n", cmd, err.msg);
            return LB_EXIT_USAGE;
        }
        g_check.on_check = check_line;
        o->check = lb_eval_check_run;
        o->check_ctx = &g_check;
    }
    o->on_step = train_quiet ? NULL : progress;
    o->ctx = &said_ref;
    char **av;
    int ac = lb_cli_kept_argv(&av);
    json_t *file_cfg = train_config ? lb_train_config_json(train_config, 0) : NULL;
    lb_train_dir_t d = {.command = cmd, .io_flags = lb_cli_io_flags(train_wait), .argc = ac, .argv = av,
                        .file_config = file_cfg,
                        .check_metric = o->eval_every ? g_check.metric : NULL,
                        .plot = lb_report_loss_svg};
    int rc = train_config && !file_cfg ? lb_error_set(&err, LB_ENOMEM, "out of memory")
                                       : lb_train_run_to_dir(o, &d, &err);
    json_decref(file_cfg);
    if (d.trained && o->stop_rule && !o->stop_after && !train_quiet)
        fprintf(stderr, "leakbound %s: %s of step %ld (greedy %.4f)\n", cmd,
                d.info.stop_met ? "stop rule met: the output is the model"
                                : "stop rule not met: the output is the last model",
                d.info.kept_step, d.info.kept_greedy);
    int status = LB_EXIT_OK;
    if (rc && d.stage == LB_TRAIN_DIR_BEGIN) {
        status = lb_cli_out_failed(cmd, &err);
    } else if (rc) {
        status = lb_cli_fail_status(cmd, &err, o->out_dir, d.tmp_dir[0] ? d.tmp_dir : NULL);
    }
    o->on_step = NULL, o->ctx = NULL;   /* said_ref dies here */
    if (!rc && !o->stop_after && !train_quiet)
        fprintf(stderr, "leakbound %s: model written to %s\n", cmd, o->out_dir);
    lb_train_config_free(train_config); /* o's strings from --config end here */
    train_config = NULL;
    return status;
}
