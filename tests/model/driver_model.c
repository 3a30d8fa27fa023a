/*
 * driver_model — runs a scenario on a model folder for the PyTorch oracle (model_*.py).
 *
 *   driver_model MODEL_DIR JOB.json OUT.bin
 *
 * JOB: {"prompts": [[ids]...], "forks": [src prompt index...], "extend": [[ids] per sequence],
 *        "decode": [[one id per sequence] per step], "block_size": n, "keep_file_dtype": bool,
 *        "batch_invariant": bool}
 * Sequences are the prompts, then one fork per "forks" entry (made after the prefill). Calls:
 * one batched prefill of all prompts (all logits); optional "extend" (one multi-token call over
 * every sequence, all logits); then one batched decode call per step (last logits).
 * OUT.bin: float32 logits of every call, in order, back to back.
 * Exit 0 ok; 2 with the library's message on stderr when loading or a call fails.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/kvcache.h"
#include "leakbound/model.h"

static int fail(const lb_error_t *e) {
    fprintf(stderr, "driver_model: %s\n", e->msg);
    return 2;
}

static int ids_of(json_t *arr, int32_t *dst) {
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) dst[i] = (int32_t)json_integer_value(v);
    return (int)json_array_size(arr);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: driver_model MODEL_DIR JOB.json OUT.bin\n");
        return 2;
    }
    json_error_t je;
    json_t *spec = json_load_file(argv[2], 0, &je);
    if (!spec) {
        fprintf(stderr, "driver_model: %s: %s\n", argv[2], je.text);
        return 2;
    }
    json_t *prompts = json_object_get(spec, "prompts"), *forks = json_object_get(spec, "forks");
    json_t *extend = json_object_get(spec, "extend"), *decode = json_object_get(spec, "decode");
    int n_prompts = (int)json_array_size(prompts), n_forks = (int)json_array_size(forks);
    int n_all = n_prompts + n_forks, steps = (int)json_array_size(decode);
    int bs = (int)json_integer_value(json_object_get(spec, "block_size"));
    lb_model_options_t opt = {json_is_true(json_object_get(spec, "keep_file_dtype"))};

    size_t total = 0, max_call = (size_t)n_all;
    size_t i;
    json_t *v;
    size_t pre = 0, ext = 0;
    json_array_foreach(prompts, i, v) pre += json_array_size(v);
    json_array_foreach(extend, i, v) ext += json_array_size(v);
    total = pre + ext + (size_t)steps * n_all;
    if (pre > max_call) max_call = pre;
    if (ext > max_call) max_call = ext;

    lb_error_t err = {0};
    lb_model_t *m = NULL;
    lb_kvcache_t *kv = NULL;
    lb_model_runner_t *r = NULL;
    int rc = 0;
    int32_t *tok = malloc(max_call * sizeof *tok);
    int *ids = malloc((size_t)n_all * sizeof *ids), *lens = malloc((size_t)n_all * sizeof *lens);
    FILE *out = fopen(argv[3], "wb");
    if (!tok || !ids || !lens || !out) {
        fprintf(stderr, "driver_model: out of memory or cannot write %s\n", argv[3]);
        return 1;
    }
    if ((rc = lb_model_load(argv[1], &opt, &m, &err))) goto done;
    int V = lb_model_config(m)->vocab_size;
    /* Each sequence may hold one partly filled block of its own plus one copied on write. */
    size_t cap = total + (size_t)n_all * 2 * (size_t)(bs > 0 ? bs : 16);
    if ((rc = lb_kvcache_create(m, cap, n_all, 0, bs, &kv, &err))) goto done;
    if ((rc = lb_model_runner_create(m, n_all, (int)max_call, 0, 1, &r, &err))) goto done;
    lb_model_runner_set_batch_invariant(r, json_is_true(json_object_get(spec, "batch_invariant")));

    const float *logits;
    size_t n = 0;
    json_array_foreach(prompts, i, v) {
        if ((rc = lb_kvcache_seq_new(kv, &err)) < 0) goto done;
        ids[i] = rc;
        lens[i] = ids_of(v, tok + n);
        n += (size_t)lens[i];
    }
    rc = lb_model_forward(r, kv, n_prompts, ids, lens, tok, LB_FORWARD_ALL_LOGITS, &logits,
                          &err);
    if (rc) goto done;
    fwrite(logits, sizeof(float), n * (size_t)V, out);
    json_array_foreach(forks, i, v) {
        if ((rc = lb_kvcache_seq_fork(kv, ids[json_integer_value(v)], &err)) < 0) goto done;
        ids[n_prompts + i] = rc;
    }
    if (json_array_size(extend)) {
        n = 0;
        json_array_foreach(extend, i, v) {
            lens[i] = ids_of(v, tok + n);
            n += (size_t)lens[i];
        }
        rc = lb_model_forward(r, kv, n_all, ids, lens, tok, LB_FORWARD_ALL_LOGITS, &logits,
                              &err);
        if (rc) goto done;
        fwrite(logits, sizeof(float), n * (size_t)V, out);
    }
    json_array_foreach(decode, i, v) {
        ids_of(v, tok);
        if ((rc = lb_model_decode(r, kv, n_all, ids, tok, &logits, &err))) goto done;
        fwrite(logits, sizeof(float), (size_t)n_all * V, out);
    }
    rc = 0;
done:
    if (rc < 0) rc = fail(&err);
    fclose(out);
    lb_model_runner_free(r);
    lb_kvcache_free(kv);
    lb_model_free(m);
    free(tok);
    free(ids);
    free(lens);
    json_decref(spec);
    return rc;
}
