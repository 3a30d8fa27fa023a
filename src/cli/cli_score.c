/* `leakbound score --metric M [--reference-field F] [IN.jsonl|-]`: add a score to every line.
 *
 * lb_score_stream (leakbound/score.h) scores the lines in parallel batches; the
 * results are written in input order to an unlinked temporary file, and only copied to stdout
 * once the whole input has been read and scored, so bad input never leaves a partial document
 * on stdout while memory stays flat for millions of lines. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_score.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound score --metric M [--reference-field F] [IN.jsonl|-] > OUT.jsonl\n"
            "\n"
            "Score each generation. Every input line is a JSON object with \"text\" (the\n"
            "generation) and \"reference\" (the true answer), or \"keywords\" (an array of\n"
            "strings, or one comma-separated string) for --metric keywords. Each output line\n"
            "is the input object, unchanged, with \"score\" added (and \"precision\", \"recall\",\n"
            "\"fmeasure\" for the ROUGE metrics), in input order.\n"
            "\n"
            "  --metric M             rougeL-recall | rougeL-f | rouge1-recall | rouge1-f |\n"
            "                         keywords | exact | judge\n"
            "                         ROUGE is rouge-score 0.1.2 with use_stemmer=True (NLTK\n"
            "                         Porter stemmer); keywords: 1 if any keyword (trimmed,\n"
            "                         empty ones dropped) occurs in the text (see\n"
            "                         --keyword-match; each line also gets \"keyword_match\");\n"
            "                         exact: 1 if both give the same ROUGE tokens; judge: a\n"
            "                         judge model's P(A) / (P(A) + P(B)) for the pair (the\n"
            "                         line's user turn, its text), with \"p_label_a\" and\n"
            "                         \"p_label_b\" (see --judge below; no reference needed).\n"
            "  --reference-field F    read the reference (or the keywords) from field F\n"
            "  --keywords-field F     read the keywords from field F (--metric keywords)\n"
            "  --text-field F         read the generation from field F (default text). F may\n"
            "                         hold a string (one sample), an array of strings (HF\n"
            "                         generate dumps) or an array of objects with \"text\"\n"
            "                         (vLLM \"outputs\", OpenAI-style \"choices\"): one output\n"
            "                         line per element, {\"id\", \"sample\" (its index),\n"
            "                         \"text\", the reference or keywords, the scores}\n"
            "  --id-field F           the id of those lines comes from field F (default id)\n"
            "  --prompt-field F       --metric judge: the user turn comes from field F\n"
            "                         (default: \"question\" when the line has it -- the\n"
            "                         question before the template, as `sample` and `eval`\n"
            "                         write it and `eval --metric judge` judges it -- else\n"
            "                         \"prompt\")\n"
            "%s"
            "  --threads N            scoring threads (default: OMP_NUM_THREADS, else the free cores)\n"
            "  -h, --help             this help\n"
            "\n"
            "IN defaults to stdin. On bad input nothing is written to stdout.\n",
            lb_score_opts_help);
    fprintf(out, "\n%s", lb_cli_exit_help);
}

/* Score everything from fp into spool (lb_score_stream). Returns an exit status; prints its
 * own message. Nothing reaches stdout here. */
static int run(const lb_score_cfg_t *cfg, FILE *fp, FILE *spool) {
    lb_error_t err = {0};
    int rc = lb_score_stream(cfg, fp, spool, lb_cli_score_warn, "score", &err);
    if (!rc) return LB_EXIT_OK;
    fprintf(stderr, "leakbound score: %s\n", err.msg);
    return rc == LB_ENOMEM || rc == LB_EIO ? LB_EXIT_FAIL : LB_EXIT_USAGE;
}

int lb_cli_score(int argc, char **argv) {
    static const struct option opts[] = {
        {"metric", required_argument, NULL, 'm'},
        {"reference-field", required_argument, NULL, 'r'},
        {"keywords-field", required_argument, NULL, 'k'},
        {"text-field", required_argument, NULL, 't'},
        {"id-field", required_argument, NULL, 'i'},
        {"prompt-field", required_argument, NULL, 'p'},
        LB_SCORE_OPTIONS,
        LB_CLI_THREADS_OPTION,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *metric = NULL, *field = NULL, *kw_field = NULL, *text_field = NULL,
               *id_field = NULL, *prompt_field = NULL;
    lb_cli_score_flags_t so;
    lb_cli_score_flags_init(&so);
    int c, st;
    lb_cli_parser_t cli = {.cmd = "score", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'm': metric = optarg; break;
        case 'r': field = optarg; break;
        case 'k': kw_field = optarg; break;
        case 't': text_field = optarg; break;
        case 'i': id_field = optarg; break;
        case 'p': prompt_field = optarg; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        case LB_CLI_BAD: return LB_EXIT_USAGE;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads("score", optarg)) return LB_EXIT_USAGE;
            break;
        default:
            if ((st = lb_cli_score_option(&so, c, optarg, "score")) != 1) {
                if (st) return st;
                break;
            }
            return lb_cli_failf("score", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!metric) return lb_cli_failf("score", "--metric is required");
    lb_metric_t m;
    lb_error_t me;
    if (lb_metric_parse(metric, &m, &me)) return lb_cli_failf("score", "%s", me.msg);
    lb_score_cfg_t cfg = lb_score_cfg_default(m);
    cfg.opts = so.opts;
    lb_score_set_field(&cfg, field, kw_field);
    cfg.prompt_field = prompt_field;
    if (text_field) cfg.text_field = text_field;
    if (id_field) cfg.id_field = id_field;
    if (argc - optind > 1) return lb_cli_failf("score", "at most one input file");
    const char *in = optind < argc ? argv[optind] : "-";
    FILE *fp = stdin;
    cfg.path = "<stdin>";
    if (strcmp(in, "-")) {
        fp = fopen(in, "rb");
        if (!fp) return lb_cli_errorf("score", LB_EXIT_USAGE, "%s: cannot open: %s", in, strerror(errno));
        cfg.path = in;
    }
    /* The output waits in an unlinked temporary file; in memory when none can be made. */
    lb_cli_spool_t spool;
    if (lb_cli_spool_open(&spool)) {
        if (fp != stdin) fclose(fp);
        fprintf(stderr, "leakbound score: cannot create a temporary output\n");
        return LB_EXIT_FAIL;
    }
    lb_judge_t *judge = NULL;
    if (cfg.metric == LB_METRIC_JUDGE && (st = lb_cli_score_judge_open(&so, "score", &judge))) {
        if (fp != stdin) fclose(fp);
        lb_cli_spool_close(&spool);
        return st;
    }
    cfg.opts.judge = judge;
    int status = run(&cfg, fp, spool.fp);
    lb_judge_free(judge);
    if (fp != stdin) fclose(fp);
    if (status == LB_EXIT_OK && lb_cli_spool_copy_out(&spool)) {
        fprintf(stderr, "leakbound score: writing stdout failed: %s\n", strerror(errno));
        status = LB_EXIT_FAIL;
    }
    lb_cli_spool_close(&spool);
    return status;
}
