/* leakbound data: generate the fictitious-author benchmark, show a dataset with rendered prompts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_sampling.h"
#include "leakbound/data.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound data fictitious [--seed S] [--authors N] --out DIR\n"
            "       leakbound data show FILE [--template T] [--config PATH] [--format F] [-n N]\n"
            "\n"
            "fictitious  write a TOFU-style benchmark about generated authors (no real people):\n"
            "            DIR/{full,forget01,forget05,forget10,retain99,retain95,retain90,holdout}.jsonl,\n"
            "            JSON Lines with question, answer, paraphrased_answer, perturbed_answer (3-5),\n"
            "            author and id; about 20 facts per author. forgetNN holds the last NN%% of the\n"
            "            authors (at least one), retainMM the others, holdout extra authors not in full\n"
            "            (as many as forget10). The same seed and N give byte-identical files.\n"
            "  --seed S       random seed (default 0)\n"
            "  --authors N    authors in full (default 50, at most 10000)\n"
            "  --out DIR      output folder (created if needed, parents too). The files are\n"
            "                 written in a temporary folder beside DIR and renamed into place\n"
            "                 together; other files in DIR are kept\n"
            "  --wait         if another leakbound run is writing DIR, wait for it to finish\n"
            "                 (default: refuse at once, exit 2)\n"
            "\n"
            "show        print the first N items of a dataset with their rendered prompts\n"
            "  --template T   raw | phi | llama2 | chat | a literal containing {q} (default raw)\n"
            "  --config PATH  for chat: the model folder or its tokenizer_config.json\n"
            "  --format F     auto | json | jsonl | csv (default auto: by extension)\n"
            "  -n N           items to show (default 5; 0 = all)\n"
            "\n%s", lb_cli_exit_help);
}

static int cmd_fictitious(int argc, char **argv) {
    static const struct option opts[] = {{"seed", required_argument, 0, 's'},
                                         {"authors", required_argument, 0, 'a'},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         LB_CLI_WAIT_OPTION,
                                         {0, 0, 0, 0}};
    int wait = 0;
    lb_fictitious_opts_t fo;
    lb_fictitious_opts_default(&fo);
    const char *out = NULL;
    lb_error_t err = {0};
    int c;
    lb_cli_parser_t cli = {.cmd = "data", .argc = argc, .argv = argv, .shortopts = "s:a:o:h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 's': case 'a':
            if (lb_fictitious_opts_set(&fo, c == 's' ? "seed" : "authors", optarg, &err))
                return lb_cli_failf("data", "%s", err.msg);
            break;
        case 'o': out = optarg; break;
        case LB_CLI_O_WAIT: wait = 1; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind < argc) return lb_cli_failf("data", "fictitious: unexpected argument '%s'", argv[optind]);
    if (!out) return lb_cli_failf("data", "fictitious: --out DIR is required");
    lb_fictitious_set_result_t res;
    int rc = lb_fictitious_write_set(&fo, out, lb_cli_io_flags(wait), &res, &err);
    if (rc && res.at == LB_FICTITIOUS_AT_DIR) return lb_cli_out_failed("data", &err);
    if (rc) {
        fprintf(stderr, "leakbound data: %s\n", err.msg);
        return rc == LB_EIO || rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    }
    fprintf(stderr, "leakbound data: wrote %d authors (+%d holdout) to %s\n", res.n_authors,
            res.n_holdout, out);
    return LB_EXIT_OK;
}

/* Print s as a double-quoted C-style literal, so the prompt's exact whitespace shows. */
static void put_quoted(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\n') fputs("\\n", f);
        else if (ch == '\t') fputs("\\t", f);
        else if (ch == '\r') fputs("\\r", f);
        else if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\x%02x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static int cmd_show(int argc, char **argv) {
    static const struct option opts[] = {{"template", required_argument, 0, 't'},
                                         {"config", required_argument, 0, 'c'},
                                         {"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *spec = "raw", *config = NULL;
    lb_data_format_t fmt = LB_DATA_AUTO;
    long n = 5;
    lb_error_t err;
    int c;
    lb_cli_parser_t cli = {.cmd = "data", .argc = argc, .argv = argv, .shortopts = "t:c:f:n:h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 't': spec = optarg; break;
        case 'c': config = optarg; break;
        case 'f':
            if (lb_data_format_parse(optarg, &fmt, &err)) return lb_cli_fail("data", &err);
            break;
        case 'n':
            if (lb_core_parse_long(optarg, &n) || n < 0)
                return lb_cli_failf("data", "-n: expected a non-negative integer, got '%s'", optarg);
            break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind + 1 != argc) return lb_cli_failf("data", "show: expected exactly one FILE");
    lb_template_t *t;
    if (lb_template_open(spec, config, &t, &err)) return lb_cli_fail("data", &err);
    lb_dataset_t ds;
    if (lb_data_load(argv[optind], fmt, &ds, &err)) {
        lb_template_free(t);
        return lb_cli_fail("data", &err);
    }
    lb_cli_sampling_warn_data("data", argv[optind], &ds);
    /* Build the whole document first: a failing render must not leave half of it on stdout. */
    char *doc = NULL;
    size_t doc_len = 0;
    FILE *f = open_memstream(&doc, &doc_len);
    int rc = f ? 0 : LB_ENOMEM;
    size_t shown = n == 0 || (size_t)n > ds.n ? ds.n : (size_t)n;
    fprintf(f, "%s: %zu items (template %s)\n", argv[optind], ds.n, lb_template_name(t));
    for (size_t i = 0; i < shown && !rc; i++) {
        const lb_data_item_t *it = &ds.items[i];
        char *prompt;
        if ((rc = lb_template_render_item(t, it->question, it->prefix, &prompt, &err))) break;
        fprintf(f, "\n[%zu] id %s (line %ld)%s%s\n  prompt:     ", i, it->id, it->line,
                it->author ? ", author " : "", it->author ? it->author : "");
        put_quoted(f, prompt);
        free(prompt);
        if (it->answer) {
            fprintf(f, "\n  answer:     ");
            put_quoted(f, it->answer);
        }
        if (it->prefix) {
            fprintf(f, "\n  prefix:     ");
            put_quoted(f, it->prefix);
        }
        if (it->paraphrased_answer) {
            fprintf(f, "\n  paraphrase: ");
            put_quoted(f, it->paraphrased_answer);
        }
        for (size_t k = 0; k < it->n_perturbed; k++) {
            fprintf(f, "\n  perturbed:  ");
            put_quoted(f, it->perturbed[k]);
        }
        if (it->n_keywords) {
            fprintf(f, "\n  keywords:  ");
            for (size_t k = 0; k < it->n_keywords; k++) {
                fputc(' ', f);
                put_quoted(f, it->keywords[k]);
            }
        }
        fputc('\n', f);
    }
    if (f) fclose(f);
    lb_dataset_free(&ds);
    lb_template_free(t);
    if (rc) {
        free(doc);
        if (rc == LB_ENOMEM) {
            fprintf(stderr, "leakbound data: out of memory\n");
            return LB_EXIT_FAIL;
        }
        return lb_cli_fail("data", &err);
    }
    int bad = fwrite(doc, 1, doc_len, stdout) != doc_len || fflush(stdout) != 0;
    free(doc);
    if (bad) {
        fprintf(stderr, "leakbound data: write to stdout failed\n");
        return LB_EXIT_FAIL;
    }
    return LB_EXIT_OK;
}

int lb_cli_data(int argc, char **argv) {
    if (argc < 2) return lb_cli_failf("data", "an action is required: fictitious or show");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return LB_EXIT_OK;
    }
    if (!strcmp(argv[1], "fictitious")) return cmd_fictitious(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show")) return cmd_show(argc - 1, argv + 1);
    if (argv[1][0] == '-') return lb_cli_failf("data", "unknown option '%s'", argv[1]);
    return lb_cli_failf("data", "unknown action '%s' (fictitious or show)", argv[1]);
}
