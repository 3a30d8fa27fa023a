/* Shared by leakbound finetune / unlearn: flag parsing, progress lines, the loss curve. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_train.h"
#include "leakbound/io.h"
#include "leakbound/report.h"

const char lb_cli_train_flags_help[] =
    "  --out DIR             output folder: the trained model (HF layout), train_log.csv,\n"
    "                        loss.svg, checkpoint-<step>/ folders. The model, log and plot\n"
    "                        are built in a temporary folder beside DIR and renamed into\n"
    "                        place when complete: a failed run leaves DIR's earlier model as\n"
    "                        it was (exit 1 for a write error, naming the file and reason).\n"
    "                        Checkpoints go straight to DIR (for --resume after a kill) and\n"
    "                        are kept, as are other files in DIR. Training keeps fp32\n"
    "                        master weights (a F16/BF16 model is widened at load); the\n"
    "                        final model is stored in the starting model's dtype (rounded\n"
    "                        to nearest even), checkpoints in F32 (exact resume).\n"
    "  --wait                if another leakbound run is writing DIR, wait for it to finish\n"
    "                        (default: refuse at once, exit 2)\n"
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
    "  --threads N           threads (default: OMP_NUM_THREADS, else the free cores)\n"
    "  -h, --help            this text\n";

/* --wait (kept here: lb_train_run_opts_t is the library's, the lock is the command's). */
static int train_wait;

enum { O_MODEL = 256, O_DATA, O_FORGET, O_RETAIN, O_OUT, O_TEMPLATE, O_EPOCHS, O_LR, O_BATCH,
       O_ACCUM, O_MAXLEN, O_WARMUP, O_WD, O_CLIP, O_SEED, O_SAVE, O_RESUME, O_METHOD,
       O_ENTROPY, O_ENTPOS, O_BETA, O_LAMBDA, O_STOP };

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

int lb_cli_train_parse(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *)) {
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
        LB_CLI_THREADS_OPTION, LB_CLI_WAIT_OPTION, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int unlearn = !strcmp(cmd, "unlearn");
    memset(o, 0, sizeof *o);
    train_wait = 0;
    o->template_spec = "phi";
    o->obj.method = unlearn ? LB_METHOD_GA : LB_METHOD_FINETUNE;
    o->obj.lambda = 1.0;
    o->obj.beta = 0.05;
    o->epochs = unlearn ? 10 : 5;
    o->lr = unlearn ? 1e-5 : 2e-5;
    o->batch_size = 16;
    o->grad_accum = unlearn ? 4 : 2;
    o->max_length = 256;
    o->warmup = -1;
    o->weight_decay = 0.01;
    o->max_grad_norm = 1.0;
    int c, have_method = 0;
    long v;
    double d;
    lb_cli_parser_t cli = {.cmd = cmd, .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        int rc = 0;
        switch (c) {
        case 'h': usage(stdout); return -1;
        case O_MODEL: o->model_dir = optarg; break;
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
                have_method = 1;
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
        case O_TEMPLATE: o->template_spec = optarg; break;
        case O_RESUME: o->resume_dir = optarg; break;
        case O_EPOCHS: if (!(rc = want_long(cmd, "--epochs", optarg, 1, &v))) o->epochs = (int)v; break;
        case O_BATCH: if (!(rc = want_long(cmd, "--batch-size", optarg, 1, &v))) o->batch_size = (int)v; break;
        case O_ACCUM: if (!(rc = want_long(cmd, "--grad-accum", optarg, 1, &v))) o->grad_accum = (int)v; break;
        case O_MAXLEN: if (!(rc = want_long(cmd, "--max-length", optarg, 2, &v))) o->max_length = (int)v; break;
        case O_WARMUP: rc = want_long(cmd, "--warmup", optarg, 0, &o->warmup); break;
        case O_SAVE: rc = want_long(cmd, "--save-every", optarg, 1, &o->save_every); break;
        case O_STOP: rc = want_long(cmd, "--stop-after", optarg, 1, &o->stop_after); break;
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
    if (optind < argc) return lb_cli_failf(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o->model_dir || !o->out_dir || !o->data_path)
        return lb_cli_failf(cmd, "--model, --out and %s are required",
                            unlearn ? "--forget" : "--data");
    if (unlearn && !have_method) return lb_cli_failf(cmd, "--method ga|gd|npo is required");
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

/* The names a run writes into DIR besides checkpoints: the set a new run replaces as a whole
 * (lb_train_copy_model_files' list, the weights, the log and the plot). */
static const char *const train_files[] = {
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "model.safetensors",
    "model-*.safetensors", "model.safetensors.index.json", "train_log.csv", "loss.svg", NULL};

/* Loss against step from train_log.csv (written by the run, resumed parts included). */
static int plot_loss(const char *out_dir, lb_error_t *err) {
    char path[4200], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/train_log.csv", out_dir);
    int rc = lb_io_read_file(path, &data, &len, err);
    if (rc) return rc;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += data[i] == '\n';
    double *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y);
    size_t n = 0;
    char *line = strchr(data, '\n');   /* skip the header */
    while (x && y && line && *++line) {
        double step, epoch, lr, loss;
        if (sscanf(line, "%lf,%lf,%lf,%lf", &step, &epoch, &lr, &loss) == 4) {
            x[n] = step;
            y[n++] = loss;
        }
        line = strchr(line, '\n');
    }
    if (!x || !y) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    else if (n) {
        lb_report_series_t s = {.label = "loss", .x = x, .y = y, .n = n};
        lb_report_plot_t opt = {.title = "training loss", .xlabel = "optimizer step",
                                .ylabel = "loss"};
        snprintf(path, sizeof path, "%s/loss.svg", out_dir);
        rc = lb_report_svg_lines(path, &s, 1, &opt, err);
    }
    free(x), free(y), free(data);
    return rc;
}

/* The run is staged in a temporary sibling of --out (lb_io_dir_*); checkpoints go to --out
 * itself, so that a killed run can be resumed from them, and the commit carries them (and any
 * other file of the user's) into the new folder. --resume reads only the checkpoint folder,
 * never the staged files. --stop-after (tests) ends without the final set: nothing is renamed. */
int lb_cli_train_run(const char *cmd, lb_train_run_opts_t *o) {
    lb_error_t err = {0};
    lb_io_dir_t out = {0};
    int said_ref = 0;
    o->on_step = progress;
    o->ctx = &said_ref;
    int rc = lb_io_dir_begin(&out, o->out_dir, train_files, lb_cli_io_flags(train_wait), &err);
    if (rc) {
        lb_error_prefix(&err, "--out");
        fprintf(stderr, "leakbound %s: %s\n", cmd, err.msg);
        return rc == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_FAIL;
    }
    o->stage_dir = out.path;
    rc = lb_train_run(o, &err);
    if (!rc && !o->stop_after) rc = plot_loss(out.path, &err);
    if (!rc && !o->stop_after) rc = lb_io_dir_commit(&out, &err);
    int status = rc ? lb_cli_fail_status(cmd, &err, o->out_dir, out.path) : LB_EXIT_OK;
    lb_io_dir_abort(&out);
    o->stage_dir = NULL;
    o->on_step = NULL, o->ctx = NULL;   /* said_ref dies here */
    if (!rc && !o->stop_after)
        fprintf(stderr, "leakbound %s: model written to %s\n", cmd, o->out_dir);
    return status;
}
