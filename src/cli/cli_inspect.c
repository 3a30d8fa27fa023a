/* leakbound inspect --model DIR [--json]: what a Hugging Face checkpoint folder holds, as
 * lb_eval_inspect (leakbound/eval.h) describes it, printed as JSON or as text. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "leakbound/eval.h"
#include "leakbound/train_run.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: leakbound inspect DIR [--json] [--tokenizer FILE|DIR]\n\n"
            "Describe a Hugging Face checkpoint folder (config.json, model.safetensors or a sharded\n"
            "model.safetensors.index.json, tokenizer.json, generation_config.json): architecture,\n"
            "parameter count, tensor dtypes, context length, layer sizes, EOS ids, tokenizer.\n"
            "Weights are mapped, not converted, so this is quick even for large models.\n"
            "A folder made by finetune/unlearn also shows its leakbound_run.json: command,\n"
            "method, source model and data (sha256), seed, threads, steps (JSON: \"run\").\n\n"
            "  DIR           the checkpoint folder (--model DIR is a synonym)\n"
            "  --json        one JSON object instead of text\n"
            "  --tokenizer FILE|DIR  describe this tokenizer.json (or the one in this folder)\n"
            "                instead of DIR/tokenizer.json\n"
            "  -h, --help    this text\n");
    fprintf(out, "\n%s", lb_cli_exit_help);
}

int lb_cli_inspect(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"json", no_argument, 0, 'j'},
                                         {"tokenizer", required_argument, 0, 'z'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *dir = NULL, *tokenizer = NULL;
    int as_json = 0, c;
    lb_cli_parser_t cli = {.cmd = "inspect", .argc = argc, .argv = argv, .shortopts = "h", .longopts = opts};
    while ((c = lb_cli_next(&cli)) != -1) {
        switch (c) {
        case 'm': dir = optarg; break;
        case 'j': as_json = 1; break;
        case 'z': tokenizer = optarg; break;
        case 'h': usage(stdout); return LB_EXIT_OK;
        default: return LB_EXIT_USAGE; /* LB_CLI_BAD: reported */
        }
    }
    if (optind < argc && !dir) dir = argv[optind++]; /* inspect DIR: --model's synonym */
    if (optind < argc) return lb_cli_failf("inspect", "unexpected argument '%s'", argv[optind]);
    if (!dir) return lb_cli_failf("inspect", "a model folder is required (DIR or --model DIR)");
    lb_error_t err = {0};
    json_t *doc = NULL;
    if (lb_eval_inspect(dir, tokenizer, &doc, &err)) {
        lb_cli_fail("inspect", &err);
        return err.code == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
    }
    json_t *run = json_object_get(doc, "run"), *mem = json_object_get(doc, "memory_plan");
#define S(o, k) json_string_value(json_object_get(o, k))
#define I(o, k) json_integer_value(json_object_get(o, k))
    char run_line[1400] = "";
    if (run) {
        const json_t *cf = json_object_get(run, "config");
        const char *cmd = json_string_value(json_object_get(cf, "command")),
                   *meth = json_string_value(json_object_get(cf, "method")),
                   *src = json_string_value(json_object_get(cf, "model")),
                   *msha = json_string_value(json_object_get(run, "model_sha256"));
        json_t *dsha = json_object_get(run, "data_sha256"), *v;
        const char *role;
        char data_desc[600] = "";
        size_t o = 0;
        json_object_foreach(dsha, role, v)
            if (o < sizeof data_desc - 1)
                o += (size_t)snprintf(data_desc + o, sizeof data_desc - o, "%s%s %.12s", o ? ", " : "",
                                      role, json_is_string(v) ? json_string_value(v) : "?");
        snprintf(run_line, sizeof run_line,
                 "\ntraining run:   %s %s (%s), from %s (sha256 %.12s), data %s; seed %lld, %lld "
                 "thread(s), kept step %lld (last step %lld; leakbound %s)",
                 cmd ? cmd : "?", meth ? meth : "?", LB_TRAIN_RUN_FILE, src ? src : "?",
                 msha ? msha : "?", data_desc,
                 (long long)json_integer_value(json_object_get(run, "seed")),
                 (long long)json_integer_value(json_object_get(run, "threads")),
                 (long long)json_integer_value(json_object_get(run, "kept_step")),
                 (long long)json_integer_value(json_object_get(run, "final_step")),
                 json_is_string(json_object_get(run, "leakbound_version"))
                     ? json_string_value(json_object_get(run, "leakbound_version")) : "?");
    }
    char *text = NULL;
    if (as_json) {
        text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    } else {
        json_t *eos = json_object_get(doc, "eos_token_ids"), *v;
        char eosbuf[256] = "";
        size_t o = 0, i;
        json_array_foreach(eos, i, v)
            if (o < sizeof eosbuf - 16)
                o += (size_t)snprintf(eosbuf + o, sizeof eosbuf - o, "%s%d", i ? ", " : "",
                                      (int)json_integer_value(v));
        char dtbuf[128] = "";
        const char *dt;
        o = 0;
        json_object_foreach(json_object_get(doc, "tensor_dtypes"), dt, v)
            o += (size_t)snprintf(dtbuf + o, sizeof dtbuf - o, "%s%s ×%zu", o ? ", " : "", dt,
                                  (size_t)json_integer_value(v));
        size_t params = (size_t)I(doc, "parameters");
        double w_copied = (double)I(mem, "weights_copied_bytes"), w_mapped = (double)I(mem, "weights_mapped_bytes"),
               kv_tok = (double)I(mem, "kv_bytes_per_token"), kv_ctx = (double)I(mem, "kv_bytes_full_context"),
               scratch = (double)I(mem, "scratch_bytes"), plan = (double)I(mem, "total_bytes"),
               avail = (double)I(mem, "available_bytes");
        const char *tok_desc = json_is_string(json_object_get(doc, "tokenizer")) ? S(doc, "tokenizer")
                                                                                  : "none (no tokenizer.json)";
        if (asprintf(&text,
                     "model:          %s\n"
                     "architecture:   %s (%s)\n"
                     "parameters:     %zu (%.2f M)\n"
                     "dtype:          %s (tensors: %s; %.1f MB in files)\n"
                     "context length: %d\n"
                     "layers:         %d\n"
                     "heads:          %d query, %d key/value, head dim %d\n"
                     "hidden size:    %d (MLP %d)\n"
                     "vocabulary:     %d\n"
                     "rotary:         %d dims per head, theta %g\n"
                     "tied embedding: %s\n"
                     "eos token ids:  %s\n"
                     "tokenizer:      %s\n"
                     "memory plan:    %.2f GB for one sequence at the full context: weights %.2f GB "
                     "(%.2f GB mapped from the file, %.3f GB copied), KV cache %.2f GB (%.1f KB per "
                     "token), scratch %.3f GB; %.2f GB available%s%s",
                     dir, S(doc, "architecture"), S(doc, "model_type"), params, params / 1e6,
                     S(doc, "dtype"), dtbuf, (double)I(doc, "checkpoint_bytes") / 1e6,
                     (int)I(doc, "context_length"), (int)I(doc, "layers"), (int)I(doc, "heads"),
                     (int)I(doc, "kv_heads"), (int)I(doc, "head_dim"), (int)I(doc, "hidden_size"),
                     (int)I(doc, "intermediate_size"), (int)I(doc, "vocab_size"),
                     (int)I(doc, "rotary_dim"), json_real_value(json_object_get(doc, "rope_theta")),
                     json_is_true(json_object_get(doc, "tie_word_embeddings")) ? "yes" : "no",
                     json_array_size(eos) ? eosbuf : "none",
                     tok_desc, plan / 1e9, (w_copied + w_mapped) / 1e9,
                     w_mapped / 1e9, w_copied / 1e9, kv_ctx / 1e9, kv_tok / 1e3,
                     scratch / 1e9, avail / 1e9,
                     json_is_false(json_object_get(mem, "fits"))
                         ? " — DOES NOT FIT (sample/eval would refuse it; "
                           "a smaller --max-new-tokens or --kv-budget may)"
                         : "",
                     run_line) < 0)
            text = NULL;
    }
#undef S
#undef I
    json_decref(doc);
    if (!text) {
        fprintf(stderr, "leakbound inspect: out of memory\n");
        return LB_EXIT_FAIL;
    }
    printf("%s\n", text);
    free(text);
    return lb_cli_stdout_done("inspect", LB_EXIT_OK);
}
