/* `leakbound tokenize (--tokenizer FILE | --model DIR) [--decode] [--no-special] [IN|-]`.
 *
 * One output line per input line, in order. Results go to an unlinked temporary file and are
 * copied to stdout only once the whole input has been processed, so bad input never leaves a
 * partial document on stdout. */
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/io.h"
#include "leakbound/tokenizer.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound tokenize (--tokenizer FILE | --model DIR) [--decode] [--no-special]\n"
            "                          [--keep-special] [IN|-] > OUT.jsonl\n"
            "\n"
            "Encode or decode text with a Hugging Face tokenizer.json, as HF tokenizers does.\n"
            "Encoding: each input line is a JSON string, or a JSON object with a string \"text\";\n"
            "each output line is the JSON array of ids of encode(text, add_special_tokens=True).\n"
            "Decoding (--decode): each input line is a JSON array of ids; each output line is the\n"
            "JSON string decode(ids, skip_special_tokens=True).\n"
            "\n"
            "  --tokenizer FILE   the tokenizer.json to use\n"
            "  --model DIR        use DIR/tokenizer.json\n"
            "  --decode           ids → text instead of text → ids\n"
            "  --no-special       encode with add_special_tokens=False (no BOS/EOS template)\n"
            "  --keep-special     decode with skip_special_tokens=False\n"
            "  --threads N        threads (default: OMP_NUM_THREADS, else the free cores)\n"
            "  -h, --help         this help\n"
            "\n"
            "IN defaults to stdin. On bad input nothing is written to stdout.\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

int lb_cli_tokenize(int argc, char **argv) {
    static const struct option opts[] = {
        {"tokenizer", required_argument, NULL, 't'}, {"model", required_argument, NULL, 'm'},
        {"decode", no_argument, NULL, 'd'},          {"no-special", no_argument, NULL, 'n'},
        {"keep-special", no_argument, NULL, 'k'},    LB_CLI_THREADS_OPTION, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *tok_path = NULL, *model_dir = NULL;
    int decode = 0, no_special = 0, keep_special = 0, c;
    lb_cli_parser_t cli = {.cmd = "tokenize", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 't': tok_path = optarg; break;
        case 'm': model_dir = optarg; break;
        case 'd': decode = 1; break;
        case 'n': no_special = 1; break;
        case 'k': keep_special = 1; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads("tokenize", optarg)) return LB_EXIT_USAGE;
            break;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (!!tok_path + !!model_dir != 1)
        return lb_cli_failf("tokenize", "give exactly one of --tokenizer FILE and --model DIR");
    if (decode && no_special) return lb_cli_failf("tokenize", "--no-special applies to encoding, not --decode");
    if (!decode && keep_special) return lb_cli_failf("tokenize", "--keep-special applies to --decode only");
    if (argc - optind > 1) return lb_cli_failf("tokenize", "at most one input file (got %d)", argc - optind);
    const char *in = optind < argc ? argv[optind] : "-";

    char path[4096];
    if (model_dir) lb_tokenizer_path(model_dir, NULL, path, sizeof path), tok_path = path;
    lb_error_t err = {0};
    lb_tokenizer_t *tok = NULL;
    if (lb_tokenizer_load(tok_path, &tok, &err)) return lb_cli_fail("tokenize", &err);
    lb_cli_spool_t spool; /* stdout waits here: nothing is written on bad input */
    if (lb_cli_spool_open(&spool)) {
        lb_tokenizer_free(tok);
        fprintf(stderr, "leakbound tokenize: cannot create a temporary file\n");
        return LB_EXIT_FAIL;
    }
    lb_tokenizer_jsonl_opts_t o;
    lb_tokenizer_jsonl_opts_default(&o);
    o.decode = decode;
    o.add_special = !no_special;
    o.skip_special = !keep_special;
    int status = LB_EXIT_OK;
    if (lb_tokenizer_jsonl(tok, in, spool.fp, &o, &err)) status = lb_cli_status(&err, NULL, NULL);
    if (status == LB_EXIT_OK && lb_cli_spool_copy_out(&spool)) {
        lb_error_set(&err, LB_EIO, "cannot write to stdout");
        status = LB_EXIT_FAIL;
    }
    if (status != LB_EXIT_OK) fprintf(stderr, "leakbound tokenize: %s\n", err.msg);
    lb_cli_spool_close(&spool);
    lb_tokenizer_free(tok);
    return status;
}
