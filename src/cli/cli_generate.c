/* leakbound generate: stream a model's continuation of one prompt, sampled as HF generate does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_genconf.h"
#include "leakbound/data.h"
#include "leakbound/model.h"
#include "leakbound/sample.h"
#include "leakbound/tokenizer.h"

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
    const char *dir, *prompt, *id, *tokenizer;
    int greedy, print_ids, have_T, have_k, have_p;
    double T, p;
    long k, max_new, seed;
    size_t kv_budget;
} gen_args_t;

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
    a->max_new = -1;
    a->id = "0";
    int c;
    lb_cli_parser_t cli = {.cmd = "generate", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'm': a->dir = optarg; break;
        case 'P': a->prompt = optarg; break;
        case 'z': a->tokenizer = optarg; break;
        case 'g': a->greedy = 1; break;
        case 'i': a->print_ids = 1; break;
        case 'I': a->id = optarg; break;
        case 'T':
            if (lb_cli_parse_double(optarg, &a->T) || !(a->T > 0))
                return lb_cli_failf("generate", "--temperature: want a number > 0, got '%s'", optarg);
            a->have_T = 1;
            break;
        case 'p':
            if (lb_cli_parse_double(optarg, &a->p) || !(a->p > 0 && a->p <= 1))
                return lb_cli_failf("generate", "--top-p: want a number in (0, 1], got '%s'", optarg);
            a->have_p = 1;
            break;
        case 'k':
            if (lb_cli_parse_long(optarg, &a->k) || a->k < 0 || a->k > 1 << 30)
                return lb_cli_failf("generate", "--top-k: want an integer >= 0, got '%s'", optarg);
            a->have_k = 1;
            break;
        case 'n':
            if (lb_cli_parse_long(optarg, &a->max_new) || a->max_new < 0 || a->max_new > 1 << 30)
                return lb_cli_failf("generate", "--max-new-tokens: want an integer >= 0, got '%s'",
                                    optarg);
            break;
        case 's':
            if (lb_cli_parse_long(optarg, &a->seed))
                return lb_cli_failf("generate", "--seed: want an integer, got '%s'", optarg);
            break;
        case 'K':
            if (lb_mem_size_parse(optarg, &a->kv_budget))
                return lb_cli_failf("generate", "--kv-budget: expected a size such as 512M or 4G, "
                                    "got '%s'", optarg);
            break;
        case 'h': usage(stdout); return -1;
        case LB_CLI_O_THREADS:
            if (lb_cli_threads("generate", optarg)) return LB_EXIT_USAGE;
            break;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind < argc && !a->dir) a->dir = argv[optind++]; /* generate DIR: --model's synonym */
    if (optind < argc) return lb_cli_failf("generate", "unexpected argument '%s'", argv[optind]);
    if (!a->dir) return lb_cli_failf("generate", "a model folder is required (DIR or --model DIR)");
    if (!a->prompt) return lb_cli_failf("generate", "--prompt TEXT is required");
    if (a->greedy && (a->have_T || a->have_k || a->have_p))
        return lb_cli_failf("generate", "--greedy takes no --temperature/--top-k/--top-p");
    return 0;
}

/* Streams decoded text: each token decodes every generated id (HF TextStreamer does the same)
 * and prints what is new, except while the text ends in U+FFFD: that is a UTF-8 character whose
 * remaining bytes are still to come, so it is held back until it completes (or the end). Ids
 * the tokenizer does not know are dropped first, as the sampler drops them from its text. */
typedef struct streamer {
    const lb_tokenizer_t *tok;
    int print_ids;
    size_t printed;  /* bytes of the decoded text already written */
    int32_t *known;  /* (max_new,) the ids handed to the tokenizer */
    int32_t *ids;    /* (max_new,) the generated ids, for --ids */
    int n_ids;
} streamer_t;

static int stream_token(void *user, size_t prompt, int index, const int32_t *ids, int n,
                        int final, lb_error_t *err) {
    streamer_t *s = user;
    (void)prompt, (void)index;
    memcpy(s->ids, ids, (size_t)n * sizeof *ids);
    s->n_ids = n;
    if (s->print_ids) return LB_OK;
    size_t nv = lb_tokenizer_vocab_size(s->tok), k = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && (size_t)ids[i] < nv) s->known[k++] = ids[i];
    char *text;
    size_t len;
    int rc = lb_tokenizer_decode(s->tok, s->known, k, 1, &text, &len, err);
    if (rc) return rc;
    int pending = len >= 3 && !memcmp(text + len - 3, "\xef\xbf\xbd", 3);
    if ((final || !pending) && len > s->printed) {
        fwrite(text + s->printed, 1, len - s->printed, stdout);
        fflush(stdout);
        s->printed = len;
    }
    free(text);
    return LB_OK;
}

int lb_cli_generate(int argc, char **argv) {
    gen_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? LB_EXIT_OK : rc;
    lb_error_t err = {0};
    lb_genconf_t gc;
    lb_tokenizer_t *tok = NULL;
    lb_model_t *m = NULL;
    int32_t *prompt_ids = NULL;
    char *prompt = NULL;
    streamer_t s = {.print_ids = a.print_ids};
    size_t n_prompt = 0;
    int out_failed = 0;
    char tok_path[4096];
    lb_tokenizer_path(a.dir, a.tokenizer, tok_path, sizeof tok_path);
    if ((rc = lb_cli_genconf_read(a.dir, &gc, &err)) ||
        (rc = lb_tokenizer_load_for_model(a.dir, a.tokenizer, &tok, &err)) ||
        (rc = lb_template_unescape(a.prompt, &prompt, &err)) ||
        (rc = lb_tokenizer_encode(tok, prompt, strlen(prompt), 1, &prompt_ids, &n_prompt, &err)) ||
        (rc = lb_model_load(a.dir, &(lb_model_options_t){.keep_file_dtype = 1}, &m, &err)))
        goto done;
    const lb_model_config_t *cfg = lb_model_config(m);
    int V = cfg->vocab_size, ctx = cfg->max_position_embeddings;
    lb_warp_params_t wp = gc.warp;
    if (a.have_T) wp.temperature = a.T;
    if (a.have_k) wp.top_k = (int)a.k;
    if (a.have_p) wp.top_p = a.p;
    long max_new = a.max_new >= 0 ? a.max_new
                   : gc.max_new_tokens >= 0 ? gc.max_new_tokens
                                            : gc.max_length - (long)n_prompt;
    if (max_new < 0) max_new = 0;
    if (n_prompt == 0) {
        rc = lb_error_set(&err, LB_EINVAL, "the prompt encodes to no tokens (the tokenizer adds "
                          "no start token): give a non-empty prompt");
        goto done;
    }
    if ((long)n_prompt > ctx) {
        rc = lb_error_set(&err, LB_EINVAL, "the prompt is %zu tokens, longer than the model's "
                          "context (%d)", n_prompt, ctx);
        goto done;
    }
    if ((long)n_prompt + max_new > ctx) max_new = ctx - (long)n_prompt;
    for (size_t i = 0; i < n_prompt; i++)
        if (prompt_ids[i] < 0 || prompt_ids[i] >= V) {
            rc = lb_error_set(&err, LB_EINVAL, "%s: token id %d of the prompt is outside the "
                              "model's vocabulary (%d)", tok_path, prompt_ids[i], V);
            goto done;
        }
    /* One prompt, one continuation, drawn by the sampler (the draws and warpers of `sample`):
     * sample 0 keyed by (seed, --id), or the greedy one. */
    lb_sampler_opts_t so = lb_sampler_defaults();
    so.warp = wp;
    so.n_samples = a.greedy ? 0 : 1;
    so.greedy_too = a.greedy;
    so.max_new_tokens = max_new;
    so.eos = gc.eos;
    so.n_eos = gc.n_eos;
    so.seed = (uint64_t)a.seed;
    so.batch = 1;
    so.kv_budget = a.kv_budget;
    so.on_token = stream_token;
    lb_sampler_prompt_t sp = {a.id, prompt_ids, n_prompt};
    /* The memory plan, as `sample`'s (core.h): refused before the cache and the runner exist. */
    lb_mem_plan_t plan;
    lb_sampler_mem_plan(m, &sp, 1, &so, &plan);
    plan.scratch += 2.0 * ((double)max_new + 1) * sizeof(int32_t); /* the streamer's ids */
    if ((rc = lb_mem_plan_check(&plan, NULL, "lower --max-new-tokens or --kv-budget, or free "
                                "memory", NULL, &err)))
        goto done;
    s.tok = tok;
    s.known = malloc(((size_t)max_new + 1) * sizeof *s.known);
    s.ids = malloc(((size_t)max_new + 1) * sizeof *s.ids);
    if (!s.known || !s.ids) {
        rc = lb_error_set(&err, LB_ENOMEM, "out of memory");
        goto done;
    }
    if (max_new > 0 && (rc = lb_sampler_run(m, tok, &sp, 1, &so, NULL, NULL, &s, &err)))
        goto done;
    if (a.print_ids) {
        printf("[");
        for (int i = 0; i < s.n_ids; i++) printf("%s%d", i ? "," : "", s.ids[i]);
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
    lb_model_free(m);
    lb_tokenizer_free(tok);
    free(prompt_ids);
    free(prompt);
    free(s.known);
    free(s.ids);
    return code;
}
