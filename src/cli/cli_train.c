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

/* The greedy checks' settings (--eval-*): the parse fills them, the run's check reads them. */
static struct {
    const char *data, *metric;
    long max_new;    /* 0: eval's default */
    int flags_given; /* --eval-metric or --eval-max-new-tokens */
    lb_eval_opts_t eo; /* the checks' evaluation (lb_cli_train_run fills it) */
    long last_step; /* the latest check: its step and score */
    double last_greedy;
} g_check;

static int want_long(const char *cmd, const char *flag, const char *s, long lo, long *out) {
    if (lb_cli_parse_long(s, out) || *out < lo || *out > (1L << 40))
        return lb_cli_failf(cmd, "%s: want an integer >= %ld, got '%s'", flag, lo, s);
    return 0;
}

static int want_double(const char *cmd, const char *flag, const char *s, double *out) {
    if (lb_cli_parse_double(s, out))
        return lb_cli_failf(cmd, "%s: want a number, got '%s'", flag, s);
    return 0;
}

/* The resolved --config file: o's strings point into it, so it lives until lb_cli_train_run
 * ends (one run per process). */
static lb_train_config_t *train_config;

/* The flags into o; --config and --data-dir into config and data_dir. Returns 0, a usage status or -1
 * (--help). */
static int parse_flags(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *), int *have_method, const char **config,
                       const char **data_dir) {
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
    int unlearn = !strcmp(cmd, "unlearn");
    int c;
    train_wait = 0;
    train_quiet = 0;
    memset(&g_check, 0, sizeof g_check);
    g_check.metric = "rougeL-recall";
    long v;
    double d;
    lb_cli_parser_t cli = {.cmd = cmd, .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        int rc = 0;
        switch (c) {
        case 'h': usage(stdout); return -1;
        case O_MODEL: o->model_dir = optarg; break;
        case O_TOKENIZER: o->tokenizer = optarg; break;
        case O_CONFIG: *config = optarg; break;
        case O_DATADIR: *data_dir = optarg; break;
        case O_DATA:
            if (unlearn) return lb_cli_failf(cmd, "--data is finetune's; use --forget");
            o->data_path = optarg;
            break;
        case O_FORGET:
        case O_RETAIN:
        case O_METHOD:
        case O_ENTROPY:
        case O_ENTPOS:
        case O_BETA:
        case O_LAMBDA:
            if (!unlearn && c != O_ENTROPY && c != O_ENTPOS)
                return lb_cli_failf(cmd, "%s is unlearn's flag", argv[optind - 2]);
            if (c == O_FORGET) o->data_path = optarg;
            else if (c == O_RETAIN) o->retain_path = optarg;
            else if (c == O_METHOD) {
                *have_method = 1;
                if (!strcmp(optarg, "ga")) o->obj.method = LB_METHOD_GA;
                else if (!strcmp(optarg, "gd")) o->obj.method = LB_METHOD_GD;
                else if (!strcmp(optarg, "npo")) o->obj.method = LB_METHOD_NPO;
                else return lb_cli_failf(cmd, "--method: want ga, gd or npo, got '%s'", optarg);
            } else if (c == O_ENTROPY) {
                char *comma = strchr(optarg, ',');
                if (comma) *comma = 0;
                rc = want_double(cmd, "--entropy", optarg, &o->obj.ent_f);
                if (!rc && comma) rc = want_double(cmd, "--entropy", comma + 1, &o->obj.ent_r);
                else if (!rc && unlearn) o->obj.ent_r = -0.25;
                if (comma) *comma = ','; /* argv as given: --config parses the flags twice */
            } else if (c == O_ENTPOS) {
                if (!strcmp(optarg, "all")) o->obj.ent_answer_only = 0;
                else if (!strcmp(optarg, "answer")) o->obj.ent_answer_only = 1;
                else return lb_cli_failf(cmd, "--entropy-positions: want all or answer");
            } else if (c == O_BETA) {
                rc = want_double(cmd, "--beta", optarg, &o->obj.beta);
                if (!rc && !(o->obj.beta > 0)) return lb_cli_failf(cmd, "--beta: want > 0");
            } else {
                rc = want_double(cmd, "--lambda", optarg, &o->obj.lambda);
            }
            break;
        case O_OUT: o->out_dir = optarg; break;
        case LB_CLI_O_WAIT: train_wait = 1; break;
        case O_QUIET: train_quiet = 1; break;
        case O_TEMPLATE: o->template_spec = optarg, o->answer_prefix = NULL; break;
        case O_RESUME: o->resume_dir = optarg; break;
        case O_EPOCHS: if (!(rc = want_long(cmd, "--epochs", optarg, 1, &v))) o->epochs = (int)v; break;
        case O_BATCH: if (!(rc = want_long(cmd, "--batch-size", optarg, 1, &v))) o->batch_size = (int)v; break;
        case O_ACCUM: if (!(rc = want_long(cmd, "--grad-accum", optarg, 1, &v))) o->grad_accum = (int)v; break;
        case O_MAXLEN: if (!(rc = want_long(cmd, "--max-length", optarg, 2, &v))) o->max_length = (int)v; break;
        case O_WARMUP: rc = want_long(cmd, "--warmup", optarg, 0, &o->warmup); break;
        case O_SAVE: rc = want_long(cmd, "--save-every", optarg, 1, &o->save_every); break;
        case O_STOP: rc = want_long(cmd, "--stop-after", optarg, 1, &o->stop_after); break;
        case O_EVAL_EVERY: rc = want_long(cmd, "--eval-every", optarg, 1, &o->eval_every); break;
        case O_EVAL_DATA: g_check.data = optarg; break;
        case O_EVAL_MAXNEW:
            rc = want_long(cmd, "--eval-max-new-tokens", optarg, 1, &g_check.max_new);
            g_check.flags_given = 1;
            break;
        case O_EVAL_METRIC: {
            static const char *const ok[] = {"rougeL-recall", "rougeL-f", "rouge1-recall", "rouge1-f",
                                             "keywords", "exact"};
            size_t i = 0;
            while (i < sizeof ok / sizeof ok[0] && strcmp(optarg, ok[i])) i++;
            if (i == sizeof ok / sizeof ok[0])
                return lb_cli_failf(cmd, "--eval-metric: want rougeL-recall, rougeL-f, rouge1-recall, "
                                    "rouge1-f, keywords or exact, got '%s'", optarg);
            g_check.metric = ok[i];
            g_check.flags_given = 1;
            break;
        }
        case O_STOP_WHEN: {
            char tail;
            int at_most = !strncmp(optarg, "greedy<=", 8), at_least = !strncmp(optarg, "greedy>=", 8);
            if ((!at_most && !at_least) || sscanf(optarg + 8, "%lf%c", &d, &tail) != 1 || !(d >= 0 && d <= 1))
                return lb_cli_failf(cmd, "--stop-when: want 'greedy<=X' or 'greedy>=X' with X in [0, 1], "
                                    "got '%s'", optarg);
            o->stop_rule = at_most ? LB_TRAIN_STOP_AT_MOST : LB_TRAIN_STOP_AT_LEAST;
            o->stop_at = d;
            break;
        }
        case O_SEED: if (!(rc = want_long(cmd, "--seed", optarg, 0, &v))) o->seed = (uint64_t)v; break;
        case O_LR:
            rc = want_double(cmd, "--lr", optarg, &d);
            if (!rc && !(d > 0)) return lb_cli_failf(cmd, "--lr: want a number > 0");
            o->lr = d;
            break;
        case O_WD:
            rc = want_double(cmd, "--weight-decay", optarg, &d);
            if (!rc && d < 0) return lb_cli_failf(cmd, "--weight-decay: want >= 0");
            o->weight_decay = d;
            break;
        case O_CLIP:
            rc = want_double(cmd, "--max-grad-norm", optarg, &d);
            if (!rc && d < 0) return lb_cli_failf(cmd, "--max-grad-norm: want >= 0");
            o->max_grad_norm = d;
            break;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads(cmd, optarg)) return LB_EXIT_USAGE;
            break;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
        if (rc) return rc;
    }
    return 0;
}

/* A --config file: defaults < the file < its key=value overrides < --data-dir < flags. */
static int load_config(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *), int *have_method, const char *config,
                       const char *data_dir) {
    lb_error_t err = {0};
    size_t n_ov = (size_t)(argc - optind);
    const char **ov = calloc(n_ov + 1, sizeof *ov);
    char *dd = data_dir ? malloc(strlen(data_dir) + 20) : NULL;
    if (!ov || (data_dir && !dd)) {
        free(ov);
        free(dd);
        fprintf(stderr, "leakbound %s: out of memory\n", cmd);
        return LB_EXIT_FAIL;
    }
    for (size_t i = 0; i < n_ov; i++) ov[i] = argv[optind + (int)i];
    if (dd) {
        sprintf(dd, "hparams.data_dir=%s", data_dir);
        ov[n_ov++] = dd;
    }
    lb_train_config_free(train_config);
    train_config = NULL;
    int rc = lb_train_config_load(config, cmd, ov, n_ov, &train_config, &err);
    free(ov);
    free(dd);
    if (!rc) {
        lb_train_run_opts_default(o, !strcmp(cmd, "unlearn"));
        rc = lb_train_config_apply(train_config, o, stderr, &err);
    }
    if (!rc) {
        const char *c2 = NULL, *d2 = NULL;
        int frc = parse_flags(cmd, argc, argv, o, usage, have_method, &c2, &d2);
        if (frc) return frc;
        rc = lb_train_config_check(train_config, o, stderr, &err);
    }
    if (rc) return rc == LB_ENOMEM ? (lb_cli_fail(cmd, &err), LB_EXIT_FAIL) : lb_cli_fail(cmd, &err);
    *have_method = 1;
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
    int unlearn = !strcmp(cmd, "unlearn"), have_method = 0;
    const char *config = NULL, *data_dir = NULL;
    lb_train_run_opts_default(o, unlearn);
    int rc = parse_flags(cmd, argc, argv, o, usage, &have_method, &config, &data_dir);
    if (rc) return rc;
    if (config) {
        if ((rc = load_config(cmd, argc, argv, o, usage, &have_method, config, data_dir))) return rc;
    } else if (optind < argc) {
        return lb_cli_failf(cmd, "unexpected argument '%s'%s", argv[optind],
                            strchr(argv[optind], '=') ? " (key=value overrides go with --config FILE)" : "");
    } else if (data_dir) {
        return lb_cli_failf(cmd, "--data-dir is the folder of a --config file's split or dataset "
                            "files; without --config give %s", unlearn ? "--forget and --retain" : "--data");
    }
    if (!o->model_dir || !o->out_dir || !o->data_path)
        return lb_cli_failf(cmd, "--model, --out and %s are required",
                            unlearn ? "--forget" : "--data");
    if (unlearn && !have_method) return lb_cli_failf(cmd, "--method ga|gd|npo is required");
    if (!o->eval_every != !g_check.data)
        return lb_cli_failf(cmd, "--eval-every K and --eval-data FILE go together");
    if (!o->eval_every && (o->stop_rule || g_check.flags_given))
        return lb_cli_failf(cmd, "--stop-when, --eval-metric and --eval-max-new-tokens need --eval-every K "
                            "--eval-data FILE");
    if (unlearn && !o->retain_path && lb_objective_needs_retain(&o->obj))
        return lb_cli_failf(cmd, "--retain is required for this method / entropy weight");
    return 0;
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

/* The run's check: the greedy answers of the check's model on --eval-data (eval's, as `eval
 * -n 1 --template T --metric M` scores them), their mean score. */
static int greedy_check(void *ctx, long step, const char *model_dir, double *greedy, lb_error_t *err) {
    (void)ctx;
    lb_eval_checkpoint_summary_t sum;
    int rc = lb_eval_checkpoint(model_dir, &g_check.eo, &sum, err);
    if (rc) {
        lb_error_prefix(err, "the greedy check after step %ld", step);
        return rc;
    }
    *greedy = sum.greedy;
    if (!train_quiet)
        fprintf(stderr, "check after step %ld: greedy %s %.4f on %s\n", step, g_check.metric, *greedy,
                g_check.data);
    g_check.last_step = step;
    g_check.last_greedy = *greedy;
    return 0;
}

/* --eval-data is read before any training: a file eval would refuse (unreadable, malformed, an
 * item without the answer or keywords the metric compares against, no item) fails now, not at
 * the first check. The checks' options are set here too. */
static int check_eval_data(const char *cmd, const lb_train_run_opts_t *o) {
    lb_error_t err = {0};
    lb_eval_opts_default(&g_check.eo);
    g_check.eo.data = g_check.data;
    g_check.eo.tmpl = o->template_spec;
    g_check.eo.n = 0; /* greedy answers only */
    if (g_check.max_new) g_check.eo.have_max_new = 1, g_check.eo.max_new = g_check.max_new;
    int rc = lb_metric_parse(g_check.metric, &g_check.eo.metric, &err);
    if (!rc) rc = lb_eval_check_data(g_check.data, g_check.eo.metric, &err);
    if (!rc) return 0;
    lb_error_prefix(&err, "--eval-data");
    fprintf(stderr, "leakbound %s: %s\n", cmd, err.msg);
    return LB_EXIT_USAGE;
}

/* The run into --out as one folder (lb_train_run_to_dir); --stop-after (tests) ends without the
 * final set: nothing is renamed. */
int lb_cli_train_run(const char *cmd, lb_train_run_opts_t *o) {
    lb_error_t err = {0};
    int said_ref = 0;
    if (o->eval_every) {
        int st = check_eval_data(cmd, o);
        if (st) return st;
    }
    o->on_step = train_quiet ? NULL : progress;
    o->ctx = &said_ref;
    long kept = 0;
    if (o->eval_every) {
        o->check = greedy_check;
        o->kept_step = &kept;
    }
    char **av;
    int ac = lb_cli_kept_argv(&av);
    json_t *file_cfg = train_config ? lb_train_config_json(train_config, 0) : NULL;
    lb_train_dir_t d = {.command = cmd, .io_flags = lb_cli_io_flags(train_wait), .argc = ac, .argv = av,
                        .file_config = file_cfg, .check_metric = g_check.data ? g_check.metric : NULL,
                        .plot = lb_report_loss_svg};
    int rc = train_config && !file_cfg ? lb_error_set(&err, LB_ENOMEM, "out of memory")
                                       : lb_train_run_to_dir(o, &d, &err);
    json_decref(file_cfg);
    if (d.trained && o->stop_rule && !o->stop_after && !train_quiet)
        fprintf(stderr, "leakbound %s: %s of step %ld (greedy %.4f)\n", cmd,
                g_check.last_step == kept && lb_train_stop_met(o->stop_rule, o->stop_at, g_check.last_greedy)
                    ? "stop rule met: the output is the model"
                    : "stop rule not met: the output is the last model",
                kept, g_check.last_greedy);
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
