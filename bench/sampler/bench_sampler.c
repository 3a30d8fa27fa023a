/* bench_sampler — times lb_sampler_run on one prompt for bench/sampler/run.py.
 *
 *   bench_sampler MODEL_DIR TOKENIZER_JSON N NEW_TOKENS BATCH PROMPT_LEN [keep|widen]
 *
 * One prompt of PROMPT_LEN ids, N samples of exactly NEW_TOKENS tokens each (no EOS, so every
 * sequence runs to the limit), temperature 1 and top-k 50 (HF's defaults), Philox seed 0.
 * BATCH 1 is "the same engine one sequence at a time". Prints one JSON line: seconds, tokens
 * generated, tokens/s. Model loading is not timed. keep (the default, as sample/eval load): weight
 * matrices used in place from the file in its dtype; widen: every weight copied to fp32 at load
 * (what training does, and what sample/eval did before). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leakbound/model.h"
#include "leakbound/sample.h"
#include "leakbound/tokenizer.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int count(void *user, size_t prompt, const lb_sample_result_t *res, int n_res,
                 lb_error_t *err) {
    size_t *tokens = user;
    for (int i = 0; i < n_res; i++) *tokens += (size_t)res[i].n_tokens;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: bench_sampler MODEL_DIR TOKENIZER_JSON N NEW_TOKENS BATCH "
                        "PROMPT_LEN [keep|widen]\n");
        return 2;
    }
    lb_error_t err = {0};
    lb_model_t *m = NULL;
    lb_tokenizer_t *tok = NULL;
    lb_model_options_t opt = {.keep_file_dtype = argc < 8 || strcmp(argv[7], "widen") != 0};
    if (lb_model_load(argv[1], &opt, &m, &err) || lb_tokenizer_load(argv[2], &tok, &err)) {
        fprintf(stderr, "bench_sampler: %s\n", err.msg);
        return 2;
    }
    int n = atoi(argv[3]), new_tokens = atoi(argv[4]), batch = atoi(argv[5]), plen = atoi(argv[6]);
    int32_t *ids = malloc((size_t)plen * sizeof *ids);
    for (int i = 0; i < plen; i++) ids[i] = (int32_t)((1000 + 37 * i) % lb_model_config(m)->vocab_size);
    lb_sampler_prompt_t pr = {"bench", ids, (size_t)plen};
    lb_sampler_opts_t o = lb_sampler_defaults();
    o.n_samples = n;
    o.max_new_tokens = new_tokens;
    o.batch = batch;
    size_t tokens = 0;
    double t0 = now();
    int rc = lb_sampler_run(m, tok, &pr, 1, &o, count, NULL, &tokens, &err);
    double dt = now() - t0;
    if (rc) {
        fprintf(stderr, "bench_sampler: %s\n", err.msg);
        return 2;
    }
    printf("{\"seconds\": %.4f, \"tokens\": %zu, \"tok_s\": %.2f, \"batch\": %d}\n", dt, tokens,
           (double)tokens / dt, batch);
    free(ids);
    lb_tokenizer_free(tok);
    lb_model_free(m);
    return 0;
}
