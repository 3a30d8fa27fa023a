/* leakbound tofu — TOFU's standard unlearning metrics (docs/tofu.md): argv to lb_tofu_opts_t,
 * lb_tofu_run, the three files written as one atomic folder, a summary on stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "leakbound/eval.h"
#include "leakbound/io.h"
#include "leakbound/tofu.h"

#define CMD "tofu"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound tofu --model DIR --forget F [--retain R] [--holdout H]\n"
            "                      [--retain-model DIR2 | --reference TOFU_JSON]\n"
            "                      [--utility NAME=FILE]... [--template phi|chat|'...']\n"
            "                      [--max-length N] [--max-new-tokens N] [--metrics LIST]\n"
            "                      [--threads N] --out OUT\n"
            "       leakbound tofu --config FILE.yaml [KEY=VALUE ...] [--data-dir DIR] [options]\n"
            "\n"
            "TOFU's standard unlearning metrics, as locuslab/tofu and open-unlearning define them\n"
            "(docs/tofu.md): per item the answer's mean NLL and probability, the truth ratio\n"
            "(paraphrased vs perturbed answers), ROUGE-L recall of the greedy answer, exact\n"
            "memorisation and extraction strength; per run forget quality (KS test of the forget\n"
            "truth ratios against the retain model's), model utility (harmonic mean over the\n"
            "retain and utility splits), membership-inference AUCs (forget vs holdout) and\n"
            "privleak. F, R, H: TOFU layout (JSON array or JSON Lines with question, answer,\n"
            "paraphrased_answer, perturbed_answer). Writes as one set (a temporary folder beside\n"
            "OUT renamed into place; a failed run leaves OUT as it was):\n"
            "  OUT/tofu.json    per-split aggregates, forget_quality, model_utility, mia, privleak\n"
            "                   (null with \"why_<name>\" when not computable), settings, provenance\n"
            "  OUT/tofu.md      the same as tables\n"
            "  OUT/items.jsonl  one line per item and split: split, id, labels, truncated,\n"
            "                   avg_nll, probability, truth_ratio, rougeL_recall,\n"
            "                   exact_memorization, extraction_strength, mia, generation\n"
            "\n"
            "  --model DIR              the model to evaluate (Hugging Face folder)\n"
            "  --forget F               the forget split (required)\n"
            "  --retain R               the retain split (model utility, retain truth ratio)\n"
            "  --holdout H              questions the model never saw: MIA non-members\n"
            "  --retain-model DIR2      the model trained without the forget set: forget quality\n"
            "                           and privleak's reference AUC (same tokenizer required)\n"
            "  --reference FILE         a previous tofu.json of the retain model (with its\n"
            "                           items.jsonl beside it) instead of --retain-model\n"
            "  --utility NAME=FILE      a further model-utility split (TOFU's real authors and\n"
            "                           world facts; repeatable): normalised probability, ROUGE-L\n"
            "                           recall and truth ratio (correct = the answer)\n"
            "  --template T             phi (default: \"Question: {q}\\n\" and the answer tag\n"
            "                           \"Answer: \"), raw, llama2, chat, or a literal with {q}\n"
            "  --max-length N           tokens of question + answer (default and at most: the\n"
            "                           model's context); a longer text is cut with no EOS, as\n"
            "                           TOFU does, and counted (\"truncated\"); a question part\n"
            "                           that leaves no answer token is an error\n"
            "  --max-new-tokens N       greedy answer length (default 200, as TOFU)\n"
            "  --metrics LIST           comma-separated groups: probability, truth_ratio, rouge,\n"
            "                           memorization, mia (default: every one the inputs allow;\n"
            "                           a listed one whose fields an item lacks is an error)\n"
            "  --min-k K                share of tokens for min-k%% and min-k%%++ (default 0.4)\n"
            "  --batch-tokens N         tokens per teacher-forced forward pass (default 2048;\n"
            "                           fewer when one pass's logits would pass 256 MiB)\n"
            "  --threads N              OpenMP threads\n"
            "  --quiet                  no progress on stderr\n"
            "  --out OUT                output folder (required)\n"
            "  --config FILE.yaml [KEY=VALUE ...]\n"
            "                           the reference's Hydra file (hparams.model, the tags,\n"
            "                           max_length, split) as the flags above, put first: a flag\n"
            "                           beats the file; training keys listed as ignored\n"
            "                           (docs/training.md; `leakbound config show FILE --for tofu`)\n"
            "  --data-dir DIR           with --config: the folder of split N's forgetNN(_perturbed)\n"
            "                           and retain_perturbed or retain(100-N) files\n"
            "%s"
            "  -h, --help               this help\n", lb_cli_wait_help);
    fprintf(out, "\n%s", lb_cli_exit_help);
}

typedef struct progress {
    int quiet;
    double last;
    char stage[96];
} progress_t;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_progress(void *user, const char *stage, size_t done, size_t total) {
    progress_t *p = user;
    double t = now_s();
    int fresh = strcmp(p->stage, stage) != 0;
    if (p->quiet || (!fresh && done != total && t - p->last < 2.0)) return;
    p->last = t;
    snprintf(p->stage, sizeof p->stage, "%s", stage);
    fprintf(stderr, "leakbound %s: %s %zu/%zu\n", CMD, stage, done, total);
}

static void print_num(const char *name, double v, const char *why) {
    if (isnan(v)) printf("%-22s null (%s)\n", name, why);
    else printf("%-22s %.6g\n", name, v);
}

/* tofu.json's provenance (lb_eval_provenance of the kept argv, the model and the forget file). */
typedef struct tofu_prov {
    const char *model_dir, *forget;
} tofu_prov_t;

static json_t *provenance(void *user, lb_error_t *err) {
    const tofu_prov_t *p = user;
    return lb_cli_provenance(p->model_dir, NULL, p->forget, NULL, err);
}

int lb_cli_tofu(int argc, char **argv) {
    enum { O_MODEL = 1, O_FORGET, O_RETAIN, O_HOLDOUT, O_RMODEL, O_REF, O_UTIL, O_TEMPLATE,
           O_MAXLEN, O_MAXNEW, O_METRICS, O_MINK, O_BATCH, O_OUT, O_QUIET };
    static const struct option opts[] = {{"model", required_argument, 0, O_MODEL},
                                         {"forget", required_argument, 0, O_FORGET},
                                         {"retain", required_argument, 0, O_RETAIN},
                                         {"holdout", required_argument, 0, O_HOLDOUT},
                                         {"retain-model", required_argument, 0, O_RMODEL},
                                         {"reference", required_argument, 0, O_REF},
                                         {"utility", required_argument, 0, O_UTIL},
                                         {"template", required_argument, 0, O_TEMPLATE},
                                         {"max-length", required_argument, 0, O_MAXLEN},
                                         {"max-new-tokens", required_argument, 0, O_MAXNEW},
                                         {"metrics", required_argument, 0, O_METRICS},
                                         {"min-k", required_argument, 0, O_MINK},
                                         {"batch-tokens", required_argument, 0, O_BATCH},
                                         {"out", required_argument, 0, O_OUT},
                                         {"quiet", no_argument, 0, O_QUIET},
                                         LB_CLI_THREADS_OPTION,
                                         LB_CLI_WAIT_OPTION,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    lb_tofu_opts_t o = lb_tofu_opts_default();
    const char *forget = NULL, *retain = NULL, *holdout = NULL, *out_dir = NULL;
    const char *util_name[LB_TOFU_MAX_SPLITS], *util_path[LB_TOFU_MAX_SPLITS];
    char util_buf[LB_TOFU_MAX_SPLITS][256];
    int n_util = 0, st, c, wait = 0;
    progress_t prog = {0};
    lb_error_t err = {0};
    if ((st = lb_cli_config_expand(CMD, &argc, &argv))) return st; /* --config: its flags first */
    lb_cli_parser_t p = {.cmd = CMD, .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&p)) != -1) {
        switch (c) {
        case O_MODEL: o.model_dir = optarg; break;
        case O_FORGET: forget = optarg; break;
        case O_RETAIN: retain = optarg; break;
        case O_HOLDOUT: holdout = optarg; break;
        case O_RMODEL: o.retain_model_dir = optarg; break;
        case O_REF: o.reference_path = optarg; break;
        case O_TEMPLATE: o.template_spec = optarg; break;
        case O_OUT: out_dir = optarg; break;
        case O_QUIET: prog.quiet = 1; break;
        case O_UTIL: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1] || (size_t)(eq - optarg) >= sizeof util_buf[0])
                return lb_cli_failf(CMD, "--utility: expected NAME=FILE, got '%s'", optarg);
            if (n_util >= LB_TOFU_MAX_SPLITS - 3)
                return lb_cli_failf(CMD, "--utility: at most %d utility splits", LB_TOFU_MAX_SPLITS - 3);
            snprintf(util_buf[n_util], sizeof util_buf[0], "%.*s", (int)(eq - optarg), optarg);
            util_name[n_util] = util_buf[n_util];
            util_path[n_util++] = eq + 1;
            break;
        }
        case O_MAXLEN: case O_MAXNEW: case O_BATCH: case O_MINK: case O_METRICS: {
            int i = 0;
            while (opts[i].val != c) i++; /* the long name: the library's flag name */
            if (lb_tofu_opts_set(&o, opts[i].name, optarg, &err))
                return lb_cli_failf(CMD, "%s", err.msg);
            break;
        }
        case LB_CLI_O_THREADS:
            if ((st = lb_cli_threads(CMD, optarg))) return st;
            break;
        case LB_CLI_O_WAIT: wait = 1; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: return LB_EXIT_USAGE;
        }
    }
    if (optind < argc) return lb_cli_failf(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o.model_dir) return lb_cli_failf(CMD, "--model DIR is required");
    if (!forget) return lb_cli_failf(CMD, "--forget FILE is required");
    if (!out_dir) return lb_cli_failf(CMD, "--out OUT is required");
    if (lb_tofu_opts_check(&o, &err)) return lb_cli_failf(CMD, "%s", err.msg);
    o.splits[o.n_splits++] = (lb_tofu_split_spec_t){"forget", forget, LB_TOFU_FORGET};
    if (retain) o.splits[o.n_splits++] = (lb_tofu_split_spec_t){"retain", retain, LB_TOFU_RETAIN};
    if (holdout) o.splits[o.n_splits++] = (lb_tofu_split_spec_t){"holdout", holdout, LB_TOFU_HOLDOUT};
    for (int i = 0; i < n_util; i++)
        o.splits[o.n_splits++] = (lb_tofu_split_spec_t){util_name[i], util_path[i], LB_TOFU_UTILITY};
    lb_tofu_hooks_t hooks = {.progress = on_progress, .user = &prog};
    lb_tofu_result_t res;
    tofu_prov_t pv = {.model_dir = o.model_dir, .forget = forget};
    lb_tofu_dir_t td = {.out_dir = out_dir, .io_flags = lb_cli_io_flags(wait), .provenance = provenance,
                       .user = &pv};
    int rc = lb_tofu_run_to_dir(&o, &hooks, &td, &res, &err), status = LB_EXIT_OK;
    if (rc && td.stage == LB_TOFU_DIR_CHECK) status = lb_cli_failf(CMD, "%s", err.msg);
    else if (rc) status = lb_cli_fail_status(CMD, &err, out_dir, td.tmp_dir[0] ? td.tmp_dir : NULL);
    if (!rc) {
        for (int i = 0; i < res.n_splits; i++) {
            const lb_tofu_split_result_t *sp = &res.splits[i];
            printf("%s (n=%zu): probability %.4g, truth ratio %.4g, ROUGE-L recall %.4g, "
                   "exact mem. %.4g, extraction %.4g%s\n", sp->name, sp->n, sp->probability,
                   sp->truth_ratio, sp->rougeL_recall, sp->exact_memorization,
                   sp->extraction_strength, sp->n_truncated ? " (some truncated)" : "");
        }
        print_num("forget_quality", res.forget_quality, res.why_forget_quality);
        print_num("model_utility", res.model_utility, res.why_model_utility);
        print_num("mia_min_k_auc", res.mia[2], res.why_mia);
        print_num("privleak", res.privleak, res.why_privleak);
        printf("wrote %s/tofu.json, tofu.md, items.jsonl\n", out_dir);
        status = lb_cli_stdout_done(CMD, status);
    }
    lb_tofu_result_free(&res);
    return status;
}
