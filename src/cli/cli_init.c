/* leakbound init: a fresh random model in Hugging Face layout, for training from scratch; the
 * operation is lb_train_init_dir (leakbound/train_run.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "leakbound/train_run.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound init --arch llama|phi|gpt2 --size SHAPE --tokenizer FILE --out DIR\n"
            "                      [--seed S]\n\n"
            "Write a randomly initialised model to DIR: config.json with the family's Hugging Face\n"
            "keys, model.safetensors (F32; matrices N(0, 0.02) as HF's _init_weights, norm weights\n"
            "1, biases 0) and FILE copied as tokenizer.json. The vocabulary is the tokenizer's;\n"
            "BOS/EOS are its <|endoftext|>, </s>, <s> or <eos>/<bos> tokens when present.\n\n"
            "  --arch A        llama (RMSNorm, RoPE, SwiGLU, GQA), phi (LayerNorm, parallel block,\n"
            "                  partial rotary 0.5, gelu_new, biases) or gpt2 (tied head)\n"
            "  --size SHAPE    dash-separated fields: L layers, D hidden size, H heads, KV kv heads,\n"
            "                  I MLP width, T max positions, e.g. L4-D128-H4-KV2-I512-T256\n"
            "                  (defaults L2 D64 H4 KV=H, I 4D (Llama 8D/3 rounded to 8), T256)\n"
            "  --tokenizer F   a Hugging Face tokenizer.json\n"
            "  --out DIR       output folder (created; the three files appear together: they\n"
            "                  are built in a temporary folder beside DIR and renamed into\n"
            "                  place, so a failure (exit 1 for a write error, naming the file\n"
            "                  and the reason) leaves DIR as it was)\n"
            "  --seed S        weight RNG seed, default 0\n"
            "  --wait          if another leakbound run is writing DIR, wait for it to finish\n"
            "                  (default: refuse at once, exit 2)\n"
            "  -h, --help      this text\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

int lb_cli_init(int argc, char **argv) {
    static const struct option opts[] = {
        {"arch", required_argument, 0, 'a'},  {"size", required_argument, 0, 's'},
        {"tokenizer", required_argument, 0, 't'}, {"out", required_argument, 0, 'o'},
        {"seed", required_argument, 0, 'S'},  {"help", no_argument, 0, 'h'}, LB_CLI_WAIT_OPTION,
        {0, 0, 0, 0}};
    const char *arch = NULL, *size = "", *tokp = NULL, *out = NULL;
    long seed = 0;
    int c, wait = 0;
    lb_cli_parser_t cli = {.cmd = "init", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'a': arch = optarg; break;
        case 's': size = optarg; break;
        case 't': tokp = optarg; break;
        case 'o': out = optarg; break;
        case LB_CLI_O_WAIT: wait = 1; break;
        case 'S':
            if (lb_core_parse_long(optarg, &seed) || seed < 0)
                return lb_cli_failf("init", "--seed: want an integer >= 0, got '%s'", optarg);
            break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind < argc) return lb_cli_failf("init", "unexpected argument '%s'", argv[optind]);
    if (!arch || !tokp || !out) return lb_cli_failf("init", "--arch, --tokenizer and --out are required");
    lb_train_init_opts_t io = {.size = size, .tokenizer = tokp, .out = out,
                               .seed = (uint64_t)seed};
    lb_error_t ae = {0};
    if (lb_model_arch_parse(arch, &io.arch, &ae)) return lb_cli_failf("init", "--arch: %s", ae.msg);
    lb_error_t err = {0};
    lb_train_init_info_t info;
    if (lb_train_init_dir(&io, lb_cli_io_flags(wait), &info, &err)) {
        if (!info.output) return lb_cli_fail("init", &err); /* the inputs */
        fprintf(stderr, "leakbound init: %s\n", err.msg);
        return err.code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_FAIL;
    }
    char shape[128];
    fprintf(stderr, "leakbound init: %s %s, vocabulary %d, in %s\n", lb_model_arch_name(io.arch),
            lb_model_size_format(&info.size, shape, sizeof shape), info.vocab, out);
    return LB_EXIT_OK;
}
