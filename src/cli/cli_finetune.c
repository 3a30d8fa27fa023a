/* leakbound finetune: train a model on question/answer pairs (encoding: docs/training.md). */
#include <stdio.h>

#include "cli.h"
#include "cli_train.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound finetune --model DIR --data FILE --out DIR [options]\n\n"
            "Fine-tune the model in DIR on the question/answer pairs of FILE (JSON, JSONL or CSV,\n"
            "TOFU layout): each pair is encoded as \"Question: q\\nAnswer: a\" + EOS, the prompt\n"
            "and padding unsupervised; loss = token-mean NLL of the answers. fp32 AdamW\n"
            "(0.9, 0.999, 1e-8), linear warmup then linear decay, gradient clipping.\n"
            "Progress goes to stderr; the model is written to --out in Hugging Face layout.\n\n"
            "  --model DIR           starting checkpoint (config.json, safetensors, tokenizer.json)\n"
            "  --data FILE           training pairs\n"
            "  --entropy L           add L x mean next-token entropy over all positions\n"
            "  --entropy-positions P all (default) or answer\n"
            "%s",
            lb_cli_train_flags_help);
    fprintf(out, "\n%s", lb_cli_exit_help);
}

int lb_cli_finetune(int argc, char **argv) {
    lb_train_run_opts_t o;
    int rc = lb_cli_train_parse("finetune", argc, argv, &o, usage);
    if (rc) return rc < 0 ? LB_EXIT_OK : rc;
    return lb_cli_train_run("finetune", &o);
}
