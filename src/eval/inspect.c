/* inspect.c — `leakbound inspect` as data: what a Hugging Face checkpoint folder holds
 * (config, tensors and their dtypes, EOS ids, tokenizer, the memory plan of sampling it, and
 * the run record of finetune/unlearn) as one JSON document; the CLI prints it or words it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakbound/eval.h"
#include "leakbound/safetensors.h"
#include "leakbound/train_run.h"

int lb_eval_inspect(const char *dir, const char *tokenizer, json_t **out, lb_error_t *err) {
    *out = NULL;
        lb_model_options_t opt = {.keep_file_dtype = 1};
    lb_model_t *m = NULL;
    lb_st_t *st = NULL;
    lb_tokenizer_t *tok = NULL;
    lb_genconf_t gc;
    int rc = lb_model_load(dir, &opt, &m, err);
    if (!rc) rc = lb_st_open(dir, &st, err);
    if (!rc) rc = lb_sample_genconf_read(dir, &gc, err);
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
            rc = lb_error_set(err, LB_EFORMAT, "%s:%d:%d: not a run record of finetune/unlearn%s%s",
                              run_path, je.line, je.column, run ? "" : ": ", run ? "" : je.text);
    }
    if (!rc && (tokenizer || access(tok_path, F_OK) == 0)) {
        rc = lb_tokenizer_load(tok_path, &tok, err);
        if (!rc) {
            lb_tokenizer_describe(tok, tok_desc, sizeof tok_desc);
            has_tok = 1;
        }
    }
    if (rc) goto done;
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
    json_object_set_new(doc, "family", json_string(lb_model_arch_name(cfg->arch)));
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
    json_object_set_new(mem, "fits", avail > 0 ? json_boolean(plan <= avail) : json_null());
    json_object_set_new(doc, "memory_plan", mem);
    if (run) json_object_set(doc, "run", run);
    if (!doc || !dts || !eos || !mem) {
        json_decref(doc);
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    *out = doc;
done:
    json_decref(run);
    lb_tokenizer_free(tok);
    lb_st_close(st);
    lb_model_free(m);
    return rc;
}
