/*
 * driver_sampler — runs lb_sampler_run for the oracles (tests/oracle/sample_*.py).
 *
 *   driver_sampler MODEL_DIR JOB.json OUT.txt
 *   driver_sampler --philox < "c0 c1 c2 c3 k0 k1" lines (hex)  -> "o0 o1 o2 o3" lines (hex)
 *
 * JOB: {"prompts": [[ids]...], "keys": ["id"...], "n": N, "greedy_too": bool, "max_new": m,
 *        "temperature", "top_k", "top_p", "min_p", "seed", "batch", "eos": [ids],
 *        "kv_budget": bytes, "threads": t, "adaptive": bool, "confidence": "maxprob"|"entropy",
 *        "threshold", "low_temperature", "stop": [strings]}
 * OUT: one line per result, prompt groups in order: "PROMPT SAMPLE FINISH N t1 .. tN".
 * The tokenizer is MODEL_DIR/tokenizer.json. Exit 0 ok; 2 with the library's message.
 */
#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/model.h"
#include "leakbound/sample.h"
#include "leakbound/tokenizer.h"

static int emit(void *user, size_t prompt, const lb_sample_result_t *res, int n_res,
                lb_error_t *err) {
    FILE *f = user;
    for (int r = 0; r < n_res; r++) {
        fprintf(f, "%zu %d %s %d", prompt, res[r].index, lb_sample_finish_name(res[r].finish),
                res[r].n_tokens);
        for (int i = 0; i < res[r].n_tokens; i++) fprintf(f, " %d", res[r].tokens[i]);
        fputc('\n', f);
    }
    return 0;
}

static double num(json_t *spec, const char *k, double def) {
    json_t *v = json_object_get(spec, k);
    return v ? json_number_value(v) : def;
}

static int philox_mode(void) {
    unsigned c[4], k[2];
    while (scanf("%x %x %x %x %x %x", &c[0], &c[1], &c[2], &c[3], &k[0], &k[1]) == 6) {
        uint32_t ctr[4] = {c[0], c[1], c[2], c[3]}, key[2] = {k[0], k[1]}, out[4];
        lb_philox4x32_10(ctr, key, out);
        printf("%08x %08x %08x %08x\n", out[0], out[1], out[2], out[3]);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "--philox")) return philox_mode();
    if (argc != 4) {
        fprintf(stderr, "usage: driver_sampler MODEL_DIR JOB.json OUT.txt\n");
        return 2;
    }
    json_error_t je;
    json_t *spec = json_load_file(argv[2], 0, &je);
    if (!spec) {
        fprintf(stderr, "driver_sampler: %s: %s\n", argv[2], je.text);
        return 2;
    }
    lb_error_t err = {0};
    lb_model_t *m = NULL;
    lb_tokenizer_t *tok = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.json", argv[1]);
    int rc = lb_model_load(argv[1], NULL, &m, &err);
    if (!rc) rc = lb_tokenizer_load(path, &tok, &err);
    json_t *prompts = json_object_get(spec, "prompts"), *keys = json_object_get(spec, "keys");
    size_t np = json_array_size(prompts);
    lb_sampler_prompt_t *pr = calloc(np + 1, sizeof *pr);
    int32_t **ids = calloc(np + 1, sizeof *ids);
    for (size_t i = 0; i < np; i++) {
        json_t *a = json_array_get(prompts, i);
        ids[i] = malloc((json_array_size(a) + 1) * sizeof **ids);
        for (size_t j = 0; j < json_array_size(a); j++)
            ids[i][j] = (int32_t)json_integer_value(json_array_get(a, j));
        pr[i] = (lb_sampler_prompt_t){json_string_value(json_array_get(keys, i)), ids[i],
                                      json_array_size(a)};
    }
    json_t *eos = json_object_get(spec, "eos"), *stop = json_object_get(spec, "stop");
    int32_t eos_ids[16];
    const char *stops[16];
    int n_eos = 0, n_stop = 0;
    for (size_t i = 0; i < json_array_size(eos) && i < 16; i++)
        eos_ids[n_eos++] = (int32_t)json_integer_value(json_array_get(eos, i));
    for (size_t i = 0; i < json_array_size(stop) && i < 16; i++)
        stops[n_stop++] = json_string_value(json_array_get(stop, i));
    lb_sampler_opts_t o = lb_sampler_defaults();
    o.warp.temperature = num(spec, "temperature", 1.0);
    o.warp.top_k = (int)num(spec, "top_k", 50);
    o.warp.top_p = num(spec, "top_p", 1.0);
    o.min_p = num(spec, "min_p", 0);
    o.n_samples = (int)num(spec, "n", 1);
    o.greedy_too = json_is_true(json_object_get(spec, "greedy_too"));
    o.max_new_tokens = (long)num(spec, "max_new", 8);
    o.seed = (uint64_t)num(spec, "seed", 0);
    o.batch = (int)num(spec, "batch", 0);
    o.kv_budget = (size_t)num(spec, "kv_budget", 0);
    o.eos = eos_ids;
    o.n_eos = n_eos;
    o.stop = stops;
    o.n_stop = n_stop;
    o.adaptive = json_is_true(json_object_get(spec, "adaptive"));
    const char *conf = json_string_value(json_object_get(spec, "confidence"));
    o.confidence = conf && !strcmp(conf, "entropy") ? LB_CONFIDENCE_ENTROPY : LB_CONFIDENCE_MAXPROB;
    o.confidence_threshold = num(spec, "threshold", 0.9);
    o.low_temperature = num(spec, "low_temperature", 0);
    int threads = (int)num(spec, "threads", 0);
    if (threads > 0) omp_set_num_threads(threads);
    FILE *out = NULL;
    if (!rc) {
        out = fopen(argv[3], "w");
        if (!out) rc = lb_error_set(&err, LB_EIO, "%s: cannot open", argv[3]);
    }
    if (!rc) rc = lb_sampler_run(m, tok, pr, np, &o, emit, NULL, out, &err);
    if (out) fclose(out);
    for (size_t i = 0; i < np; i++) free(ids[i]);
    free(ids);
    free(pr);
    json_decref(spec);
    lb_tokenizer_free(tok);
    lb_model_free(m);
    if (rc) {
        fprintf(stderr, "driver_sampler: %s\n", err.msg);
        return 2;
    }
    return 0;
}
