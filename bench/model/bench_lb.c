/* bench_lb — leakbound's forward on a checkpoint: batched prefill and single-sequence decode.
 *
 *   bench_lb MODEL_DIR [BATCH SEQ_LEN DECODE_PROMPT DECODE_STEPS REPS]
 *
 * Prefill: BATCH sequences of SEQ_LEN random tokens in one lb_model_forward call (logits of the
 * last token of each, as generate needs), on a fresh cache each repetition; best of REPS.
 * Decode: one sequence, a DECODE_PROMPT-token prefill (not timed) then DECODE_STEPS greedy
 * lb_model_decode steps (argmax in the loop, as generate does); best of REPS.
 * Prints one JSON line: load seconds, prefill tokens/s, decode tokens/s. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "leakbound/kvcache.h"
#include "leakbound/model.h"
#include "leakbound/sample.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define CHECK(x)                                                        \
    do {                                                                \
        if ((x) < 0) {                                                  \
            fprintf(stderr, "bench_lb: %s\n", err.msg);                 \
            return 1;                                                   \
        }                                                               \
    } while (0)

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_lb MODEL_DIR [BATCH SEQ_LEN DECODE_PROMPT DECODE_STEPS REPS]\n");
        return 2;
    }
    int B = argc > 2 ? atoi(argv[2]) : 8, T = argc > 3 ? atoi(argv[3]) : 256;
    int P = argc > 4 ? atoi(argv[4]) : 128, S = argc > 5 ? atoi(argv[5]) : 128;
    int reps = argc > 6 ? atoi(argv[6]) : 3;
    lb_error_t err = {0};
    lb_model_t *m;
    double t0 = now();
    CHECK(lb_model_load(argv[1], NULL, &m, &err));
    double t_load = now() - t0;
    int V = lb_model_config(m)->vocab_size;
    int ctx = T > P + S ? T : P + S;
    lb_kvcache_t *kv;
    lb_model_runner_t *r;
    CHECK(lb_kvcache_create(m, (size_t)B * (ctx + 16), B, ctx, 0, &kv, &err));
    CHECK(lb_model_runner_create(m, B, B * T > P ? B * T : P, ctx, 0, &r, &err));
    int n_tok = B * T > P ? B * T : P;
    int32_t *tok = malloc(sizeof(int32_t) * n_tok);
    int ids[64], lens[64];
    if (B > 64) B = 64;
    srand(1);
    for (int i = 0; i < n_tok; i++) tok[i] = rand() % V;
    const float *logits;
    double best_prefill = 1e30, best_decode = 1e30;
    for (int rep = 0; rep < reps; rep++) {
        for (int b = 0; b < B; b++) {
            CHECK(ids[b] = lb_kvcache_seq_new(kv, &err));
            lens[b] = T;
        }
        t0 = now();
        CHECK(lb_model_forward(r, kv, B, ids, lens, tok, 0, &logits, &err));
        double t = now() - t0;
        if (t < best_prefill) best_prefill = t;
        for (int b = 0; b < B; b++) lb_kvcache_seq_free(kv, ids[b]);
    }
    for (int rep = 0; rep < reps; rep++) {
        int seq;
        CHECK(seq = lb_kvcache_seq_new(kv, &err));
        CHECK(lb_model_forward(r, kv, 1, &seq, &P, tok, 0, &logits, &err));
        t0 = now();
        for (int s = 0; s < S; s++) {
            int32_t next = lb_sample_argmax(logits, V);
            CHECK(lb_model_decode(r, kv, 1, &seq, &next, &logits, &err));
        }
        double t = now() - t0;
        if (t < best_decode) best_decode = t;
        lb_kvcache_seq_free(kv, seq);
    }
    printf("{\"load_s\": %.3f, \"prefill_s\": %.4f, \"prefill_tok_s\": %.1f, \"decode_s\": %.4f, "
           "\"decode_tok_s\": %.2f, \"batch\": %d, \"seq_len\": %d, \"decode_prompt\": %d, "
           "\"decode_steps\": %d}\n",
           t_load, best_prefill, B * T / best_prefill, best_decode, S / best_decode, B, T, P, S);
    lb_model_runner_free(r);
    lb_kvcache_free(kv);
    lb_model_free(m);
    free(tok);
    return 0;
}
