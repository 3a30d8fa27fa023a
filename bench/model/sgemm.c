/* sgemm — the OpenBLAS sgemm rate on the GEMM shapes of one GPT-2-124M layer's prefill
 * (M = 8 x 256 tokens): c_attn 768->2304, c_proj 768->768, c_fc 768->3072, mlp c_proj
 * 3072->768, each as out (M, N) = in (M, K) @ W (K, N), row-major (Conv1D layout), and also
 * with W stored (N, K) as nn.Linear (transposed B). Prints one JSON line: total GFLOP/s over
 * the four shapes (best of several repetitions), per layout.
 *
 *   sgemm [M]     (threads from OMP_NUM_THREADS / OPENBLAS_NUM_THREADS) */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int M = argc > 1 ? atoi(argv[1]) : 2048;
    const int shapes[4][2] = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}}; /* K, N */
    float *A = malloc(sizeof(float) * M * 3072), *B = malloc(sizeof(float) * 3072 * 3072),
          *C = malloc(sizeof(float) * M * 3072);
    for (long i = 0; i < (long)M * 3072; i++) A[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (long i = 0; i < 3072L * 3072; i++) B[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    double rate[2];
    for (int trans = 0; trans < 2; trans++) {
        double best = 1e30, flops = 0;
        for (int s = 0; s < 4; s++) flops += 2.0 * M * shapes[s][0] * shapes[s][1];
        for (int rep = 0; rep < 6; rep++) {
            double t0 = now();
            for (int s = 0; s < 4; s++) {
                int K = shapes[s][0], N = shapes[s][1];
                cblas_sgemm(CblasRowMajor, CblasNoTrans, trans ? CblasTrans : CblasNoTrans, M, N, K,
                            1.0f, A, K, B, trans ? K : N, 0.0f, C, N);
            }
            double t = now() - t0;
            if (rep > 0 && t < best) best = t; /* the first repetition warms up threads */
        }
        rate[trans] = flops / best / 1e9;
    }
    printf("{\"M\": %d, \"gflops_nn\": %.2f, \"gflops_nt\": %.2f}\n", M, rate[0], rate[1]);
    free(A);
    free(B);
    free(C);
    return 0;
}
