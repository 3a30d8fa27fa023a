/* leakbound eval — the probabilistic evaluation in one command: the greedy answer
 * and n samples per question (the batched sampler), scored (text module), bounded (stats
 * module, the same document as `leakbound bound`), reported (report module). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_sampling.h"
#include "cli_score.h"
#include "cli_mpi.h"
#include "leakbound/io.h"
#include "leakbound/eval.h"
#include "leakbound/text.h"

#define CMD "eval"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound eval --model DIR --data FILE [--template T] -n N --metric M\n"
            "                      [--alpha A] [--method exact|conbo] --out DIR [options]\n"
            "       leakbound eval --samples FILE --metric M --out DIR [--data FILE] [options]\n"
            "       leakbound eval [options]   (the bundled default, see below)\n"
            "       leakbound eval --config FILE.yaml [KEY=VALUE ...] [--data-dir DIR] [options]\n"
            "                  (the reference's Hydra file as flags, before the others: a flag\n"
            "                  beats the file; docs/training.md, `leakbound config show`)\n"
            "\n"
            "For every question: the greedy answer and N sampled answers (as `leakbound sample\n"
            "--greedy-too`), each scored with M against the item's answer (or keywords), then\n"
            "the high-probability bounds of docs/bounds.md on the N sampled scores (as `leakbound\n"
            "bound`). Writes these files as one set (built in a temporary folder beside DIR and\n"
            "renamed into place at the end: a failed run leaves DIR as it was; exit 1 for a\n"
            "write error, naming the file and the reason):\n"
            "  DIR/samples.jsonl  the sample lines with \"score\" added\n"
            "  DIR/report.json    the `bound` document; each prompt also has \"question\" and\n"
            "                     \"greedy\" (its score); \"eval\" records the settings\n"
            "  DIR/report.md      overall and per-question tables: greedy, mean, max, M_mu,\n"
            "                     M_sigma, ED, M_bin (binary metrics), leaked; the leak and\n"
            "                     hidden-leak shares; M_gen and P_ge at each --threshold\n"
            "  DIR/density.svg    sampled-score densities with the greedy score marked\n"
            "  DIR/ecdf.svg       empirical CDFs with their DKW bands\n"
            "  DIR/ed.svg         the distribution of ED over questions\n"
            "\n"
            "  -n N                     sampled answers per question (N >= 1)\n"
            "  --metric M               rougeL-recall | rougeL-f | rouge1-recall | rouge1-f |\n"
            "                           keywords | exact | judge (as `leakbound score`; judge:\n"
            "                           the pair (question, answer) by --judge DIR, no\n"
            "                           reference needed: prompt-only data works)\n"
            "  --alpha A                each bound holds with probability >= 1-A (default 0.01)\n"
            "  --method exact|conbo     as `leakbound bound` (default exact)\n"
            "  --threshold x            M_gen/P_ge threshold (repeatable; default 0.5)\n"
            "  --ed-lambda L            ED = M_mu + L * M_sigma (default 2)\n"
            "  --leak-threshold X       a question is leaked when some sampled answer scores\n"
            "                           >= X, a hidden leak when also its greedy answer scores\n"
            "                           < 0.5; report.json gives \"leaked\"/\"hidden_leak\" per\n"
            "                           question and their shares with one-sided Clopper-\n"
            "                           Pearson bounds (confidence 1-A) in \"summary\"; X in\n"
            "                           [0, 1] (default 0.9 for the rouge metrics, 1 for\n"
            "                           keywords and exact; judge: its harmful cut, 0.5 or 1\n"
            "                           with --judge-threshold)\n"
            "  --plot-prompts K         questions in density.svg/ecdf.svg: the K with the\n"
            "                           highest ED (default 6)\n"
            "  --harm-rate r            --metric judge: a question counts as hidden harm when its\n"
            "                           greedy answer is judged safe (score < --judge-threshold,\n"
            "                           else 0.5) while the one-sided Clopper-Pearson lower bound\n"
            "                           (confidence 1-A) on P(harmful sampled answer) is > r\n"
            "                           (default 0: some sampled answer is harmful); report.json\n"
            "                           \"judge\" and report.md's Judge section name the judge\n"
            "                           (path, sha256, labels, template) and give the share\n"
            "  --out DIR                output folder (created if needed)\n"
            "%s"
            "  --samples FILE           no model, no sampling: score, bound and report the\n"
            "                           answers in FILE (JSON Lines, the shapes `score\n"
            "                           --text-field` reads: a string, an array of strings, an\n"
            "                           array of objects with \"text\" such as vLLM \"outputs\"\n"
            "                           or OpenAI-style \"choices\"). Every id needs the same\n"
            "                           number of samples. The greedy answer (optional) is a\n"
            "                           one-answer line with \"sample\": -1, or --greedy-field.\n"
            "                           report.json's \"eval\" records the file and its sha256\n"
            "                           instead of sampling settings (sampling flags refused).\n"
            "                           Refused (FILE:LINE named): a repeated line that numbers\n"
            "                           its answers (\"sample\", an array, a greedy answer), a\n"
            "                           repeated (id, \"sample\"), integer and string ids in one\n"
            "                           file, one id with two references, an empty keyword list\n"
            "                           --metric judge works here too: each line's user turn\n"
            "                           as `score --metric judge` reads it, the numbers of\n"
            "                           `score --metric judge` then `bound` (no judge section)\n"
            "  --allow-duplicates       with --samples: count repeated lines and (id, \"sample\")\n"
            "                           pairs as more samples (the bounds assume independent\n"
            "                           samples: only for answers that really were drawn twice)\n"
            "  --data FILE              with --samples: each id's reference, keywords and\n"
            "                           question from the item of that id in FILE (any data set\n"
            "                           format, HP CSV included: without an id column the ids\n"
            "                           are the rows from 0); ids in one file only are an error\n"
            "  --text-field F, --id-field F, --reference-field F, --keywords-field F,\n"
            "  --prompt-field F         with --samples: where each line keeps them (defaults\n"
            "                           text, id, reference, keywords, prompt; as `score`)\n"
            "  --greedy-field F         with --samples: field F of a line holds the greedy\n"
            "                           answer (a string, an object with \"text\", or an\n"
            "                           array of one of those)\n"
            "%s"
            "                           (--template phi strips \"Answer:\" by default, as TOFU's\n"
            "                           evaluation does; report.json's \"eval\" records both)\n"
            "%s"
            "  -h, --help               this help\n"
            "\n"
            "Without --model and --data, eval runs on the bundled default (examples/default: a\n"
            "small model unlearned with gradient difference and its forget set) with --template\n"
            "phi, -n 64, --metric rougeL-recall, --top-p 0.9, --max-new-tokens 56 and --out\n"
            "eval-default unless given.\n"
            "\n"
            "Under `mpirun -np K` (or srun) the sampling is shared over K ranks; rank 0 scores\n"
            "and writes DIR: the same bytes as one process, report.json's \"eval\" records\n"
            "\"ranks\": K (docs/scaling.md). A failing rank stops the job (exit non-zero).\n",
            lb_cli_wait_help, lb_score_opts_help, lb_cli_sampling_help);
    fprintf(out, "\n%s", lb_cli_exit_help);
}

/* The names eval writes: lb_eval_out_files (a new run replaces them as a set). */

/* The run's hook state (lb_eval_flow_t's user): progress lines and what the MPI transport
 * needs. */
typedef struct eval_run {
    lb_cli_progress_t prog; /* first: the progress callback reads it */
    const lb_eval_opts_t *a;
} eval_run_t;

/* The judge's label warning (the eval module calls it once per run, rank 0) and the data
 * set's lenient-CSV note. */
static void eval_warn(void *user, lb_eval_warn_kind_t kind, const char *msg) {
    (void)user, (void)kind;
    lb_cli_score_warn(CMD, msg);
}

/* After loading: the memory plan line. */
static int eval_loaded(void *user, const lb_eval_ctx_t *ctx, lb_error_t *err) {
    eval_run_t *r = user;
    (void)err;
    lb_cli_sampling_loaded(CMD, r->prog.quiet, ctx);
    return 0;
}

static json_t *eval_provenance(void *user, const char *model, const char *model_sha,
                               const char *data, const char *data_sha, lb_error_t *err) {
    (void)user; /* the whole command line main() kept, as every report records it */
    return lb_cli_provenance(model, model_sha, data, data_sha, err);
}

/* --samples FILE: score, bound and report the file's answers (lb_eval_flow_samples: its
 * checks, the judge, the run); here only the messages and the exit status. */
static int eval_from_file(lb_eval_flow_t *f, const lb_eval_opts_t *a,
                          const lb_eval_samples_opts_t *so, int quiet) {
    lb_error_t err = {0};
    lb_eval_result_t e;
    lb_cli_progress_t prog = {.cmd = CMD, .quiet = quiet};
    f->hooks = (lb_eval_hooks_t){.user = &prog, .warn = eval_warn,
                                 .samples_progress = lb_cli_samples_progress};
    int rc = lb_eval_flow_samples(f, a, so, &e, &err), status = LB_EXIT_OK;
    if (rc && f->stage == LB_EVAL_FLOW_CHECK) {
        status = lb_cli_failf(CMD, "%s", err.msg);
    } else if (rc && f->stage == LB_EVAL_FLOW_JUDGE) {
        fprintf(stderr, "leakbound %s: %s\n", CMD, err.msg);
        status = rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    } else if (rc) {
        status = lb_cli_fail_status(CMD, &err, f->out_dir, f->tmp_dir);
    }
    lb_eval_result_free(&e);
    lb_eval_flow_free(f);
    return status;
}

/* The long name of the option with code c in o (NULL: none). */
static const char *opt_name(const struct option *o, int c) {
    for (; o->name; o++)
        if (o->val == c) return o->name;
    return NULL;
}

/* One of eval's bound flags (lb_eval_opts_set checks it), by its name. */
static int eval_flag(lb_eval_opts_t *a, const char *name, const char *value) {
    lb_error_t e = {0};
    if (lb_eval_opts_set(a, name, value, &e)) return lb_cli_failf(CMD, "%s", e.msg);
    return 0;
}

static int eval_main(int argc, char **argv) {
    enum { O_METRIC = 1, O_ALPHA, O_METHOD, O_OUT, O_THR, O_LAMBDA, O_PLOT, O_HARM, O_SAMPLES,
           O_TEXT_F, O_ID_F, O_REF_F, O_KW_F, O_PROMPT_F, O_GREEDY_F, O_ALLOW_DUP,
           O_LEAK_T };
    static const struct option opts[] = {LB_SAMPLING_OPTIONS,
                                         {"metric", required_argument, 0, O_METRIC},
                                         {"alpha", required_argument, 0, O_ALPHA},
                                         {"method", required_argument, 0, O_METHOD},
                                         {"out", required_argument, 0, O_OUT},
                                         {"threshold", required_argument, 0, O_THR},
                                         {"ed-lambda", required_argument, 0, O_LAMBDA},
                                         {"plot-prompts", required_argument, 0, O_PLOT},
                                         {"harm-rate", required_argument, 0, O_HARM},
                                         {"leak-threshold", required_argument, 0, O_LEAK_T},
                                         {"samples", required_argument, 0, O_SAMPLES},
                                         {"text-field", required_argument, 0, O_TEXT_F},
                                         {"id-field", required_argument, 0, O_ID_F},
                                         {"reference-field", required_argument, 0, O_REF_F},
                                         {"keywords-field", required_argument, 0, O_KW_F},
                                         {"prompt-field", required_argument, 0, O_PROMPT_F},
                                         {"greedy-field", required_argument, 0, O_GREEDY_F},
                                         {"allow-duplicates", no_argument, 0, O_ALLOW_DUP},
                                         LB_CLI_WAIT_OPTION,
                                         LB_SCORE_OPTIONS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    lb_eval_opts_t a;
    lb_cli_sampling_init(&a);
    lb_cli_score_flags_t so;
    lb_cli_score_flags_init(&so);
    int c, st, tmpl_given = 0, harm_given = 0, wait = 0;
    int metric_given = 0, quiet = 0;
    const char *sampling_flag = NULL, *out_dir = NULL;
    char field_flag[64] = "";
    lb_eval_samples_opts_t sop = {0};
    lb_cli_parser_t cli = {.cmd = CMD, .argc = argc, .argv = argv, .shortopts = "n:h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        /* which runs the flag applies to (lb_eval_samples_check below): the first sampling
           flag as written, the last --samples one */
        int scope = lb_eval_flag_scope(c == 'n' ? "n" : opt_name(opts, c));
        if (scope == LB_EVAL_FLAG_SAMPLING && !sampling_flag)
            sampling_flag = c == 'n' ? "-n"
                                     : argv[optind - 1 - (optarg && optarg == argv[optind - 1])];
        if (scope == LB_EVAL_FLAG_SAMPLES)
            snprintf(field_flag, sizeof field_flag, "--%s", opt_name(opts, c));
        switch (c) {
        case 'n':
            if ((st = lb_cli_sampling_option(&a, &quiet, LB_SO_N, optarg, CMD))) return st;
            break;
        case O_METRIC:
            if ((st = eval_flag(&a, "metric", optarg))) return st;
            metric_given = 1;
            break;
        case O_ALPHA: if ((st = eval_flag(&a, "alpha", optarg))) return st; break;
        case O_METHOD: if ((st = eval_flag(&a, "method", optarg))) return st; break;
        case O_OUT: out_dir = optarg; break;
        case LB_CLI_O_WAIT: wait = 1; break;
        case O_SAMPLES: sop.path = optarg; break;
        case O_TEXT_F: sop.text_field = optarg; break;
        case O_ID_F: sop.id_field = optarg; break;
        case O_REF_F: sop.reference_field = optarg; break;
        case O_KW_F: sop.keywords_field = optarg; break;
        case O_PROMPT_F: sop.prompt_field = optarg; break;
        case O_GREEDY_F: sop.greedy_field = optarg; break;
        case O_ALLOW_DUP: sop.allow_duplicates = 1; break;
        case O_THR: if ((st = eval_flag(&a, "threshold", optarg))) return st; break;
        case O_LAMBDA: if ((st = eval_flag(&a, "ed-lambda", optarg))) return st; break;
        case O_PLOT: if ((st = eval_flag(&a, "plot-prompts", optarg))) return st; break;
        case O_LEAK_T: if ((st = eval_flag(&a, "leak-threshold", optarg))) return st; break;
        case O_HARM:
            if ((st = eval_flag(&a, "harm-rate", optarg))) return st;
            harm_given = 1;
            break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        case LB_CLI_BAD: return LB_EXIT_USAGE;
        default:
            if ((st = lb_cli_score_option(&so, c, optarg, CMD)) != 1) {
                if (st) return st;
                break;
            }
            tmpl_given |= c == LB_SO_TEMPLATE;
            st = lb_cli_sampling_option(&a, &quiet, c, optarg, CMD);
            if (st == 1) return lb_cli_failf(CMD, "unknown option '%s'", argv[optind - 1]);
            if (st) return st;
        }
    }
    if (optind < argc) return lb_cli_failf(CMD, "unexpected argument '%s'", argv[optind]);
    lb_eval_result_t e;
    lb_error_t err = {0};
    if (lb_eval_samples_check(sop.path, sampling_flag, field_flag[0] ? field_flag : NULL, &err))
        return lb_cli_failf(CMD, "%s", err.msg);
    a.score = so.opts;
    lb_eval_flow_t f = {
        .out_dir = out_dir, .io_flags = lb_cli_io_flags(wait), .argc = argc, .argv = argv,
        .metric_given = metric_given, .strip_given = so.strip_given, .harm_given = harm_given,
        .judge_dir = so.judge.dir, .judge_opts = so.judge.opts,
        .rank = lb_cli_mpi_rank(), .ranks = lb_cli_mpi_size(), .provenance = eval_provenance};
    if (sop.path) { /* the items --data names are the ones the file's ids join */
        sop.data_path = a.data;
        sop.data_format = a.format;
        return eval_from_file(&f, &a, &sop, quiet);
    }
    char def_dir[4096], def_paths[8320];
    if (!a.model && !a.data) {
        if (lb_cli_default_dir(def_dir, sizeof def_dir))
            return lb_cli_failf(CMD, "no --model/--data given and the bundled default was not "
                                "found (set LEAKBOUND_DEFAULT_DIR to examples/default)");
        if (lb_eval_default_apply(&a, &f, def_dir, tmpl_given, def_paths, sizeof def_paths, &err))
            return lb_cli_failf(CMD, "%s", err.msg);
        if (lb_cli_mpi_rank() == 0)
            fprintf(stderr, "leakbound %s: the bundled default: %s\n", CMD, def_dir);
    }
    /* the flow (lb_eval_flow_run): the checks, the judge, loading, the run over the MPI
       transport; under MPI only rank 0 scores, bounds and writes */
    int root = lb_cli_mpi_rank() == 0;
    if (!root) quiet = 1;
    lb_eval_ctx_t ctx;
    eval_run_t run = {.prog = {.cmd = CMD, .quiet = quiet}, .a = &a};
    f.hooks = (lb_eval_hooks_t){.user = &run, .progress = lb_cli_sampling_progress,
                                .sampler = lb_cli_mpi_sampler_run, .warn = eval_warn};
    f.loaded = eval_loaded;
    f.ready = lb_cli_mpi_flow_ready; /* the ranks meet (cli_mpi.h) */
    f.go = lb_cli_mpi_flow_go;
    int rc = lb_eval_flow_run(&f, &a, &ctx, &e, &err), status = LB_EXIT_OK;
    if (rc && f.stage == LB_EVAL_FLOW_CHECK) {
        status = lb_cli_failf(CMD, "%s", err.msg);
    } else if (rc && f.stage != LB_EVAL_FLOW_RUN) { /* the judge or loading */
        fprintf(stderr, "leakbound %s: %s\n", CMD, err.msg);
        if (f.stage == LB_EVAL_FLOW_LOAD) lb_cli_mpi_failed(err.msg);
        status = rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    } else if (rc) { /* the one exit rule (lb_cli_status): an I/O error on DIR or its
                        temporary sibling is 1 */
        const char *tmp = f.tmp_dir[0] ? f.tmp_dir : NULL;
        status = root ? lb_cli_fail_status(CMD, &err, f.out_dir, tmp)
                      : (lb_cli_mpi_failed(err.msg), lb_cli_status(&err, NULL, NULL));
    }
    lb_eval_flow_free(&f);
    lb_eval_ctx_free(&ctx);
    lb_eval_result_free(&e);
    return status;
}

int lb_cli_eval(int argc, char **argv) {
    lb_cli_mpi_begin(CMD);
    int st = lb_cli_config_expand(CMD, &argc, &argv); /* --config FILE.yaml: its flags first */
    return lb_cli_mpi_end(st ? st : eval_main(argc, argv));
}
