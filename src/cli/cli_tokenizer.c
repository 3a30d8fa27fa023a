/* `leakbound tokenizer train`: byte-level BPE training to a Hugging Face tokenizer.json. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/tokenizer_train.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound tokenizer train --vocab-size V --out tokenizer.json\n"
            "                 [--min-frequency F] [--special TOKEN]... FILE...\n"
            "       (FILEs may also be given as --data FILE, repeatable)\n"
            "\n"
            "Train a GPT-2-style byte-level BPE tokenizer and write it as a Hugging Face\n"
            "tokenizer.json (loadable by leakbound and by HF tokenizers). Text is cut by GPT-2's\n"
            "pre-token regex; the vocabulary starts with the special tokens and the 256 bytes, then\n"
            "the most frequent adjacent pair is merged until V tokens exist (ties: smallest ids).\n"
            "\n"
            "  --vocab-size V       vocabulary size, special tokens and the 256 bytes included\n"
            "  --data FILE          a training file: *.jsonl / *.json are TOFU-style JSONL (the\n"
            "                       \"question\" and \"answer\" of each line); other files are plain\n"
            "                       text, one sequence per line\n"
            "  --out FILE           the tokenizer.json to write (atomically; '-' = stdout)\n"
            "  --wait               if another leakbound run is writing FILE, wait for it to\n"
            "                       finish (default: refuse at once, exit 2)\n"
            "  --min-frequency F    never merge a pair seen fewer than F times (default 2)\n"
            "  --special TOKEN      a special token (repeatable; default <|endoftext|>)\n"
            "  --threads N          threads (default: OMP_NUM_THREADS, else the free cores)\n"
            "  -h, --help           this help\n"
            "\n"
            "The same files in the same order give the same bytes.\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

static int train(int argc, char **argv) {
    static const struct option opts[] = {
        {"vocab-size", required_argument, 0, 'v'}, {"data", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'},        {"min-frequency", required_argument, 0, 'm'},
        {"special", required_argument, 0, 's'},    LB_CLI_THREADS_OPTION, {"help", no_argument, 0, 'h'},
        LB_CLI_WAIT_OPTION, {0, 0, 0, 0}};
    int wait = 0;
    const char *out = NULL;
    long vocab = -1, minf = 2;
    int c, rc = LB_EXIT_USAGE;
    size_t n_files = 0, n_special = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    const char **special = calloc((size_t)argc + 1, sizeof *special);
    if (!files || !special) {
        free(files);
        free(special);
        fprintf(stderr, "leakbound tokenizer: out of memory\n");
        return LB_EXIT_FAIL;
    }
    lb_cli_parser_t cli = {.cmd = "tokenizer", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'v':
            if (lb_core_parse_long(optarg, &vocab) || vocab < 1) {
                lb_cli_failf("tokenizer train", "--vocab-size: want a positive integer, got '%s'", optarg);
                goto done;
            }
            break;
        case 'm':
            if (lb_core_parse_long(optarg, &minf) || minf < 0) {
                lb_cli_failf("tokenizer train", "--min-frequency: want an integer >= 0, got '%s'", optarg);
                goto done;
            }
            break;
        case 'd': files[n_files++] = optarg; break;
        case 's': special[n_special++] = optarg; break;
        case 'o': out = optarg; break;
        case LB_CLI_O_WAIT: wait = 1; break;
        case 'h': usage(stdout); rc = LB_EXIT_OK; goto done;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads("tokenizer", optarg)) goto done;
            break;
        default: goto done; /* LB_CLI_BAD: reported */
        }
    }
    while (optind < argc) files[n_files++] = argv[optind++];
    if (vocab < 0 || !out || !n_files) {
        lb_cli_failf("tokenizer", "train: --vocab-size, --out and at least one data file are required");
        goto done;
    }
    lb_error_t err = {0};
    lb_bpe_train_opts_t o = {(size_t)vocab, minf, n_special ? special : NULL, n_special};
    lb_bpe_train_result_t res;
    if (lb_bpe_train_write(&o, files, n_files, out, lb_cli_io_flags(wait), &res, &err)) {
        if (res.stage == LB_BPE_AT_LOCK && err.code == LB_EINVAL) lb_error_prefix(&err, "--out");
        fprintf(stderr, "leakbound tokenizer train: %s\n", err.msg);
        rc = res.stage == LB_BPE_AT_LOCK ? lb_cli_status(&err, NULL, NULL)
             : res.stage == LB_BPE_AT_TRAIN || res.stage == LB_BPE_AT_WRITE ? LB_EXIT_FAIL
                                                                            : LB_EXIT_USAGE;
        goto done;
    }
    fprintf(stderr, "leakbound tokenizer train: %zu tokens (%zu merges) written to %s\n",
            res.vocab_size, res.n_merges, out);
    rc = LB_EXIT_OK;
done:
    free(files);
    free(special);
    return rc;
}

int lb_cli_tokenizer(int argc, char **argv) {
    if (argc < 2) return lb_cli_failf("tokenizer", "an action is required: train");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return LB_EXIT_OK;
    }
    if (!strcmp(argv[1], "train")) return train(argc - 1, argv + 1);
    if (argv[1][0] == '-') return lb_cli_failf("tokenizer", "unknown option '%s'", argv[1]);
    return lb_cli_failf("tokenizer", "unknown action '%s' (want: train)", argv[1]);
}
