/* leakbound generate: stream a model's continuation of one prompt, sampled as HF generate does:
 * argv into lb_eval_generate_opts_t; the run is lb_eval_generate (leakbound/eval.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/data.h"
#include "leakbound/eval.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound generate DIR --prompt TEXT [--greedy | --temperature T\n"
            "                          --top-p P --top-k K] [--max-new-tokens N] [--seed S] [--id ID]\n"
            "                          [--ids] [--kv-budget SIZE]\n\n"
            "Encode TEXT with DIR/tokenizer.json (special tokens added, as HF's tokenizer(text)),\n"
            "run the model in DIR and stream the decoded continuation to stdout (special tokens\n"
            "skipped; a partial UTF-8 character is held back until it is complete), ending with a\n"
            "newline. Generation stops at an EOS id (generation_config.json, else config.json;\n"
            "an int or a list) or after N new tokens.\n\n"
            "Sampling follows Hugging Face generate with do_sample: temperature -> top-k (ties\n"
            "kept) -> top-p -> softmax -> multinomial, through the sampler of `sample` (one\n"
            "sequence; the model in batch-invariant mode). Defaults come from\n"
            "generation_config.json, else HF's: temperature 1, top-k 50, top-p 1.\n\n"
            "  DIR, --model DIR      checkpoint folder (config.json, safetensors, tokenizer.json)\n"
            "  --tokenizer FILE|DIR  the tokenizer.json (or the folder holding it) when DIR has none\n"
            "  --threads N           threads (default: OMP_NUM_THREADS, else the free cores)\n"
            "  --prompt TEXT         the prompt; \\n, \\t and \\\\ in TEXT are a newline, a tab\n"
            "                        and a backslash (any other backslash is kept)\n"
            "  --greedy              always take the most likely token (HF do_sample=False)\n"
            "  --temperature T       T > 0\n"
            "  --top-k K             K >= 0 (0: off)\n"
            "  --top-p P             0 < P <= 1 (1: off)\n"
            "  --max-new-tokens N    default: generation_config's max_new_tokens, else its\n"
            "                        max_length (HF default 20) minus the prompt's length\n"
            "  --seed S              seed of the Philox4x32-10 draws, keyed as `sample` keys them:\n"
            "                        (seed S, id --id, sample 0, step t), t = 0, 1, ... the\n"
            "                        new token's index (default seed 0). generate --seed S --id ID --prompt TEXT gives\n"
            "                        the text of `sample -n 1 --seed S` (template raw, same\n"
            "                        warpers and limits) for a question TEXT with id ID\n"
            "  --id ID               the prompt's key in the draws (default 0: the id `sample`\n"
            "                        gives the first question of a file without ids)\n"
            "  --ids                 print the generated token ids as a JSON array instead of text\n"
            "  --kv-budget SIZE      KV cache memory, e.g. 512M, 4G (default: a quarter of RAM).\n"
            "                        Before loading the cache, the memory plan (weights, KV\n"
            "                        cache, scratch) is checked against the available memory: a\n"
            "                        plan above it is refused (exit 1), as `sample` does\n"
            "  -h, --help            this text\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

typedef struct gen_args {
    lb_eval_generate_opts_t o; /* the library's options, set flag by flag */
    int print_ids;
} gen_args_t;

/* One flag into a->o (lb_eval_generate_opts_set checks it and words the error). */
static int set_flag(gen_args_t *a, const char *flag, const char *value) {
    lb_error_t e = {0};
    if (lb_eval_generate_opts_set(&a->o, flag, value, &e))
        return lb_cli_failf("generate", "%s", e.msg);
    return 0;
}

static int parse_args(int argc, char **argv, gen_args_t *a) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},       {"prompt", required_argument, 0, 'P'},
        {"greedy", no_argument, 0, 'g'},            {"temperature", required_argument, 0, 'T'},
        {"top-k", required_argument, 0, 'k'},       {"top-p", required_argument, 0, 'p'},
        {"max-new-tokens", required_argument, 0, 'n'}, {"seed", required_argument, 0, 's'},
        {"ids", no_argument, 0, 'i'},               LB_CLI_THREADS_OPTION, {"help", no_argument, 0, 'h'},
        {"id", required_argument, 0, 'I'},          {"tokenizer", required_argument, 0, 'z'},
        {"kv-budget", required_argument, 0, 'K'},   {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    lb_eval_generate_opts_default(&a->o);
    int c, rc;
    lb_cli_parser_t cli = {.cmd = "generate", .argc = argc, .argv = argv, .shortopts = "h",
                           .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'i': a->print_ids = 1; break;
        case 'h': usage(stdout); return -1;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads("generate", optarg)) return LB_EXIT_USAGE;
            break;
        case 'm': case 'P': case 'z': case 'I': case 'g': case 'T': case 'p': case 'k': case 'n':
        case 's': case 'K': {
            int i = 0;
            while (opts[i].val != c) i++; /* the long name: the library's flag name */
            if ((rc = set_flag(a, opts[i].name, optarg))) return rc;
            break;
        }
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind < argc && !a->o.model_dir) a->o.model_dir = argv[optind++]; /* --model's synonym */
    if (optind < argc) return lb_cli_failf("generate", "unexpected argument '%s'", argv[optind]);
    if (!a->o.model_dir)
        return lb_cli_failf("generate", "a model folder is required (DIR or --model DIR)");
    if (!a->o.prompt) return lb_cli_failf("generate", "--prompt TEXT is required");
    lb_error_t e = {0};
    if (lb_eval_generate_opts_check(&a->o, &e)) return lb_cli_failf("generate", "%s", e.msg);
    return 0;
}

/* Each new piece of the continuation, straight to stdout. */
static int print_text(void *ctx, const char *text, size_t len, lb_error_t *err) {
    (void)ctx, (void)err;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return LB_OK;
}

int lb_cli_generate(int argc, char **argv) {
    gen_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? LB_EXIT_OK : rc;
    lb_error_t err = {0};
    lb_eval_generate_opts_t o = a.o;
    lb_eval_generate_result_t res = {0};
    char *prompt = NULL;
    int out_failed = 0;
    o.on_text = a.print_ids ? NULL : print_text;
    if ((rc = lb_template_unescape(a.o.prompt, &prompt, &err))) goto done;
    o.prompt = prompt;
    if ((rc = lb_eval_generate(&o, &res, &err))) goto done;
    if (a.print_ids) {
        printf("[");
        for (int i = 0; i < res.n_ids; i++) printf("%s%d", i ? "," : "", res.ids[i]);
        printf("]");
    }
    printf("\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        rc = lb_error_set(&err, LB_EIO, "<stdout>: write failed");
        out_failed = 1;
    }
done:;
    int code = LB_EXIT_OK;
    if (rc) {
        code = rc == LB_ENOMEM || out_failed ? LB_EXIT_FAIL : LB_EXIT_USAGE;
        fprintf(stderr, "leakbound generate: %s\n", err.msg);
    }
    lb_eval_generate_result_free(&res);
    free(prompt);
    return code;
}
