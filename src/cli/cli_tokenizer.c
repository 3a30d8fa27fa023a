/* `leakbound tokenizer train`: byte-level BPE training to a Hugging Face tokenizer.json. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/io.h"
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
    lb_io_lock_t lock = {0};
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
            if (lb_cli_parse_long(optarg, &vocab) || vocab < 1) {
                lb_cli_failf("tokenizer train", "--vocab-size: want a positive integer, got '%s'", optarg);
                goto done;
            }
            break;
        case 'm':
            if (lb_cli_parse_long(optarg, &minf) || minf < 0) {
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
    /* FILE is this run's until it ends: a second run into it is refused (or waits) */
    if (strcmp(out, "-") && lb_io_lock_acquire(&lock, out, lb_cli_io_flags(wait), &err)) {
        if (err.code == LB_EINVAL) lb_error_prefix(&err, "--out");
        rc = lb_cli_fail_status("tokenizer train", &err, NULL, NULL);
        goto done;
    }
    lb_bpe_train_opts_t o = {(size_t)vocab, minf, n_special ? special : NULL, n_special};
    lb_bpe_trainer_t *t = NULL;
    if (lb_bpe_trainer_new(&o, &t, &err)) {
        lb_cli_fail("tokenizer train", &err);
        goto done;
    }
    for (size_t i = 0; i < n_files; i++)
        if (lb_bpe_trainer_feed_file(t, files[i], &err)) {
            lb_cli_fail("tokenizer train", &err);
            goto free_t;
        }
    char *json = NULL;
    size_t len = 0;
    rc = LB_EXIT_FAIL;
    if (lb_bpe_trainer_train(t, &err) || lb_bpe_trainer_to_json(t, &json, &len, &err)) {
        fprintf(stderr, "leakbound tokenizer train: %s\n", err.msg);
        goto free_t;
    }
    lb_atomic_file_t f;
    if (lb_atomic_open(&f, out, &err)) {
        rc = lb_cli_fail("tokenizer train", &err);
    } else if (fwrite(json, 1, len, f.fp) != len || fputc('\n', f.fp) == EOF) {
        lb_atomic_abort(&f);
        fprintf(stderr, "leakbound tokenizer train: cannot write %s\n", out);
    } else if (lb_atomic_commit(&f, &err)) {
        fprintf(stderr, "leakbound tokenizer train: %s\n", err.msg);
    } else {
        fprintf(stderr, "leakbound tokenizer train: %zu tokens (%zu merges) written to %s\n",
                lb_bpe_trainer_vocab_size(t), lb_bpe_trainer_n_merges(t), out);
        rc = LB_EXIT_OK;
    }
    free(json);
free_t:
    lb_bpe_trainer_free(t);
done:
    lb_io_lock_release(&lock);
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
