/* gemm_inv — the batch-invariant product (lb_model_matmul_inv) against OpenBLAS sgemm on the
 * decode shapes of three model widths, in one run, interleaved: for each M, the sum over one
 * layer's weight matrices of the best time of REPS repetitions, for both, and their ratio.
 *   GPT-2-124M  W (K, N) (Conv1D): 768->2304, 768->768, 768->3072, 3072->768
 *   Llama-125M  W (N, K) (nn.Linear): q,k,v,o 768->768, gate/up 768->2048, down 2048->768
 *   Phi-1.5     W (N, K): q,k,v,dense 2048->2048, fc1 2048->8192, fc2 8192->2048
 * Times are wall clock (GEMM_CPUTIME=1: the process's CPU time, steadier on a busy machine
 * when one thread runs). Weights F32 unless DTYPE is bf16 or f16 (then ours reads 16-bit
 * weights and sgemm reads the same values widened to F32). Prints one JSON line per (model,
 * M); the spread is min/median.
 *
 *   gemm_inv [REPS] [DTYPE] [LEVEL]   (threads from OMP_NUM_THREADS; LEVEL as
 *                                      lb_model_matmul_inv_select, default best) */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leakbound/model.h"
#include "leakbound/safetensors.h"

static clockid_t g_clock = CLOCK_MONOTONIC;   /* GEMM_CPUTIME=1: process CPU time */

static double now(void) {
    struct timespec ts;
    clock_gettime(g_clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { int K, N, count; } shape_t;
typedef struct { const char *name; int nn; shape_t s[4]; int ns; } model_t;

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (getenv("GEMM_CPUTIME") && atoi(getenv("GEMM_CPUTIME")))
        g_clock = CLOCK_PROCESS_CPUTIME_ID;
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    const char *dts = argc > 2 ? argv[2] : "f32";
    int level = lb_model_matmul_inv_select(argc > 3 ? atoi(argv[3]) : -1);
    lb_dtype_t dt = !strcmp(dts, "bf16") ? LB_DTYPE_BF16 : !strcmp(dts, "f16") ? LB_DTYPE_F16
                                                                               : LB_DTYPE_F32;
    const model_t models[3] = {
        {"gpt2-124m", 1, {{768, 2304, 1}, {768, 768, 1}, {768, 3072, 1}, {3072, 768, 1}}, 4},
        {"llama-125m", 0, {{768, 768, 4}, {768, 2048, 2}, {2048, 768, 1}}, 3},
        {"phi-1.5", 0, {{2048, 2048, 4}, {2048, 8192, 1}, {8192, 2048, 1}}, 3},
    };
    const int Ms[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    const int nM = sizeof Ms / sizeof Ms[0];
    size_t maxw = (size_t)2048 * 8192, maxa = (size_t)256 * 8192;
    float *W = malloc(maxw * 4), *A = malloc(maxa * 4), *C = malloc(maxa * 4);
    uint16_t *W16 = malloc(maxw * 2);
    for (size_t i = 0; i < maxw; i++) {
        W[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
        if (dt != LB_DTYPE_F32) {
            W16[i] = dt == LB_DTYPE_BF16 ? lb_f32_to_bf16(W[i]) : lb_f32_to_f16(W[i]);
            W[i] = dt == LB_DTYPE_BF16 ? lb_bf16_to_f32(W16[i]) : lb_f16_to_f32(W16[i]);
        }
    }
    for (size_t i = 0; i < maxa; i++) A[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    const void *Wo = dt == LB_DTYPE_F32 ? (const void *)W : (const void *)W16;
    double *ts = malloc(sizeof(double) * reps), *to = malloc(sizeof(double) * reps);
    for (int mi = 0; mi < 3; mi++) {
        const model_t *md = &models[mi];
        for (int j = 0; j < nM; j++) {
            int M = Ms[j];
            double flops = 0;
            for (int s = 0; s < md->ns; s++)
                flops += 2.0 * M * md->s[s].K * md->s[s].N * md->s[s].count;
            for (int r = -1; r < reps; r++) {   /* r = -1 warms up */
                double t0 = now();
                for (int s = 0; s < md->ns; s++)
                    for (int c = 0; c < md->s[s].count; c++) {
                        int K = md->s[s].K, N = md->s[s].N;
                        cblas_sgemm(CblasRowMajor, CblasNoTrans,
                                    md->nn ? CblasNoTrans : CblasTrans, M, N, K, 1.0f, A, K, W,
                                    md->nn ? N : K, 0.0f, C, N);
                    }
                double t1 = now();
                for (int s = 0; s < md->ns; s++)
                    for (int c = 0; c < md->s[s].count; c++) {
                        int K = md->s[s].K, N = md->s[s].N;
                        lb_model_matmul_inv(C, A, Wo, dt, NULL, M, K, N, md->nn, 0.0f);
                    }
                double t2 = now();
                if (r >= 0) ts[r] = t1 - t0, to[r] = t2 - t1;
            }
            qsort(ts, reps, sizeof *ts, cmpd);
            qsort(to, reps, sizeof *to, cmpd);
            printf("{\"model\": \"%s\", \"dtype\": \"%s\", \"level\": %d, \"threads\": %d, "
                   "\"M\": %d, \"sgemm_gflops\": %.2f, \"inv_gflops\": %.2f, "
                   "\"ratio\": %.3f, \"sgemm_ms_min_med\": [%.3f, %.3f], "
                   "\"inv_ms_min_med\": [%.3f, %.3f]}\n",
                   md->name, dts, level, omp_get_max_threads(), M, flops / ts[0] / 1e9,
                   flops / to[0] / 1e9, ts[0] / to[0], ts[0] * 1e3, ts[reps / 2] * 1e3,
                   to[0] * 1e3, to[reps / 2] * 1e3);
            fflush(stdout);
        }
    }
    free(W), free(W16), free(A), free(C), free(ts), free(to);
    return 0;
}
