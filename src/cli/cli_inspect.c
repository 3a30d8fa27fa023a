/* leakbound inspect --model DIR [--json]: what a Hugging Face checkpoint folder holds. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "leakbound/eval.h"
#include "leakbound/model.h"
#include "leakbound/safetensors.h"
#include "leakbound/tokenizer.h"
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

static const char *arch_family(lb_arch_t a) {
    switch (a) {
    case LB_ARCH_LLAMA: return "llama";
    case LB_ARCH_PHI: return "phi";
    case LB_ARCH_GPT2: return "gpt2";
    }
    return "?";
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
    lb_model_options_t opt = {.keep_file_dtype = 1};
    lb_model_t *m = NULL;
    lb_st_t *st = NULL;
    lb_tokenizer_t *tok = NULL;
    lb_genconf_t gc;
    int rc = lb_model_load(dir, &opt, &m, &err);
    if (!rc) rc = lb_st_open(dir, &st, &err);
    if (!rc) rc = lb_eval_genconf_read(dir, &gc, &err);
    char tok_desc[512] = "none (no tokenizer.json)";
    char tok_path[4096];
    lb_tokenizer_path(dir, tokenizer, tok_path, sizeof tok_path);
    int has_tok = 0;
    /* How the model was made, when finetune/unlearn made it (docs/training.md, 'Run record'). */
    json_t *run = NULL;
    char run_path[4200];
    snprintf(run_path, sizeof run_path, "%s/%s", dir, LB_TRAIN_RUN_FILE);
    if (!rc && access(run_path, F_OK) == 0) {
        json_error_t je;
        run = json_load_file(run_path, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(run) || !json_is_object(json_object_get(run, "config")))
            rc = lb_error_set(&err, LB_EFORMAT, "%s:%d:%d: not a run record of finetune/unlearn%s%s",
                              run_path, je.line, je.column, run ? "" : ": ", run ? "" : je.text);
    }
    if (!rc && (tokenizer || access(tok_path, F_OK) == 0)) {
        rc = lb_tokenizer_load(tok_path, &tok, &err);
        if (!rc) {
            lb_tokenizer_describe(tok, tok_desc, sizeof tok_desc);
            has_tok = 1;
        }
    }
    if (rc) {
        int code = rc == LB_ENOMEM ? LB_EXIT_FAIL : LB_EXIT_USAGE;
        lb_cli_fail("inspect", &err);
        json_decref(run);
        lb_tokenizer_free(tok);
        lb_st_close(st);
        lb_model_free(m);
        return code;
    }
    const lb_model_config_t *cfg = lb_model_config(m);
    size_t n_dt[3] = {0}, bytes = 0;
    for (size_t i = 0; i < lb_st_count(st); i++) {
        const lb_st_tensor_t *t = lb_st_at(st, i);
        n_dt[t->dtype]++;
        bytes += t->nbytes;
    }
    size_t params = lb_model_param_count(m);
    /* Memory plan (loaded as sample/eval load it: matrices mapped from the file, in its dtype):
     * weights, KV cache per token and for one sequence at the full context, runner scratch. */
    size_t w_copied, w_mapped;
    lb_model_weight_bytes(m, &w_copied, &w_mapped);
    double kv_tok = 2.0 * cfg->n_layers * cfg->n_kv_heads * cfg->head_dim * sizeof(float);
    double kv_ctx = kv_tok * cfg->max_position_embeddings;
    double scratch = (double)lb_model_runner_plan_bytes(m, 1, cfg->max_position_embeddings, 0, 0);
    double plan = (double)w_copied + (double)w_mapped + kv_ctx + scratch;
    double avail = 0;
    {
        FILE *mf = fopen("/proc/meminfo", "r");
        char line[256];
        while (mf && fgets(line, sizeof line, mf))
            if (sscanf(line, "MemAvailable: %lf kB", &avail) == 1) break;
        if (mf) fclose(mf);
        avail *= 1024.0;
    }
    const char *main_dt = lb_dtype_name(lb_model_file_dtype(m));
    /* The whole document is built before anything is printed. */
    json_t *doc = json_object(), *dts = json_object(), *eos = json_array();
    for (int d = 0; d < 3; d++)
        if (n_dt[d]) json_object_set_new(dts, lb_dtype_name((lb_dtype_t)d), json_integer((json_int_t)n_dt[d]));
    for (int i = 0; i < gc.n_eos; i++) json_array_append_new(eos, json_integer(gc.eos[i]));
    json_object_set_new(doc, "model", json_string(dir));
    json_object_set_new(doc, "architecture", json_string(cfg->architecture));
    json_object_set_new(doc, "model_type", json_string(cfg->model_type));
    json_object_set_new(doc, "family", json_string(arch_family(cfg->arch)));
    json_object_set_new(doc, "parameters", json_integer((json_int_t)params));
    json_object_set_new(doc, "dtype", json_string(main_dt));
    json_object_set_new(doc, "tensor_dtypes", dts);
    json_object_set_new(doc, "tensors", json_integer((json_int_t)lb_st_count(st)));
    json_object_set_new(doc, "checkpoint_bytes", json_integer((json_int_t)bytes));
    json_object_set_new(doc, "context_length", json_integer(cfg->max_position_embeddings));
    json_object_set_new(doc, "layers", json_integer(cfg->n_layers));
    json_object_set_new(doc, "heads", json_integer(cfg->n_heads));
    json_object_set_new(doc, "kv_heads", json_integer(cfg->n_kv_heads));
    json_object_set_new(doc, "head_dim", json_integer(cfg->head_dim));
    json_object_set_new(doc, "hidden_size", json_integer(cfg->hidden_size));
    json_object_set_new(doc, "intermediate_size", json_integer(cfg->intermediate_size));
    json_object_set_new(doc, "vocab_size", json_integer(cfg->vocab_size));
    json_object_set_new(doc, "rotary_dim", json_integer(cfg->rotary_dim));
    json_object_set_new(doc, "rope_theta", json_real(cfg->rope_theta));
    json_object_set_new(doc, "tie_word_embeddings", json_boolean(cfg->tie_word_embeddings));
    json_object_set_new(doc, "eos_token_ids", eos);
    json_object_set_new(doc, "tokenizer", has_tok ? json_string(tok_desc) : json_null());
    json_t *mem = json_object();
    json_object_set_new(mem, "weights_mapped_bytes", json_integer((json_int_t)w_mapped));
    json_object_set_new(mem, "weights_copied_bytes", json_integer((json_int_t)w_copied));
    json_object_set_new(mem, "kv_bytes_per_token", json_integer((json_int_t)kv_tok));
    json_object_set_new(mem, "kv_bytes_full_context", json_integer((json_int_t)kv_ctx));
    json_object_set_new(mem, "scratch_bytes", json_integer((json_int_t)scratch));
    json_object_set_new(mem, "total_bytes", json_integer((json_int_t)plan));
    json_object_set_new(mem, "available_bytes", json_integer((json_int_t)avail));
    json_object_set_new(doc, "memory_plan", mem);
    if (run) json_object_set(doc, "run", run);
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
        char eosbuf[256] = "";
        size_t o = 0;
        for (int i = 0; i < gc.n_eos && o < sizeof eosbuf - 16; i++)
            o += (size_t)snprintf(eosbuf + o, sizeof eosbuf - o, "%s%d", i ? ", " : "", gc.eos[i]);
        char dtbuf[128] = "";
        o = 0;
        for (int d = 0; d < 3; d++)
            if (n_dt[d])
                o += (size_t)snprintf(dtbuf + o, sizeof dtbuf - o, "%s%s ×%zu", o ? ", " : "",
                                      lb_dtype_name((lb_dtype_t)d), n_dt[d]);
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
                     dir, cfg->architecture, cfg->model_type, params, params / 1e6, main_dt, dtbuf,
                     bytes / 1e6, cfg->max_position_embeddings, cfg->n_layers, cfg->n_heads,
                     cfg->n_kv_heads, cfg->head_dim, cfg->hidden_size, cfg->intermediate_size,
                     cfg->vocab_size, cfg->rotary_dim, cfg->rope_theta,
                     cfg->tie_word_embeddings ? "yes" : "no", gc.n_eos ? eosbuf : "none",
                     tok_desc, plan / 1e9, (double)(w_copied + w_mapped) / 1e9,
                     (double)w_mapped / 1e9, (double)w_copied / 1e9, kv_ctx / 1e9, kv_tok / 1e3,
                     scratch / 1e9, avail / 1e9,
                     avail > 0 && plan > avail ? " — DOES NOT FIT (sample/eval would refuse it; "
                                                 "a smaller --max-new-tokens or --kv-budget may)"
                                               : "",
                     run_line) < 0)
            text = NULL;
    }
    json_decref(doc);
    json_decref(run);
    lb_tokenizer_free(tok);
    lb_st_close(st);
    lb_model_free(m);
    if (!text) {
        fprintf(stderr, "leakbound inspect: out of memory\n");
        return LB_EXIT_FAIL;
    }
    printf("%s\n", text);
    free(text);
    return lb_cli_stdout_done("inspect", LB_EXIT_OK);
}
