/* bench_train — one training step (forward + loss + backward + AdamW) of leakbound on a
 * checkpoint, timed.
 *
 *   bench_train MODEL_DIR [BATCH SEQ_LEN STEPS]
 *
 * BATCH sequences of SEQ_LEN random tokens, every position supervised (finetune loss), one
 * AdamW step each; one untimed warm-up step, then STEPS timed steps. Prints one JSON line:
 * best and mean step seconds, parameter count. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "leakbound/model.h"
#include "leakbound/train.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_train MODEL_DIR [BATCH SEQ_LEN STEPS]\n");
        return 2;
    }
    int B = argc > 2 ? atoi(argv[2]) : 4, T = argc > 3 ? atoi(argv[3]) : 64;
    int steps = argc > 4 ? atoi(argv[4]) : 5;
    lb_error_t err = {0};
    lb_model_t *m;
    lb_train_t *tr;
    if (lb_model_load(argv[1], NULL, &m, &err) || lb_train_create(m, B, T, 1, &tr, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    int V = lb_model_config(m)->vocab_size;
    int32_t *tok = malloc(sizeof(int32_t) * B * T), *lab = malloc(sizeof(int32_t) * B * T);
    srand(1);
    for (int i = 0; i < B * T; i++) tok[i] = lab[i] = rand() % V;
    lb_objective_t obj = {.method = LB_METHOD_FINETUNE};
    lb_adamw_opts_t ao = {.lr = 1e-5, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                          .weight_decay = 0.01, .max_grad_norm = 1.0};
    double best = 1e30, sum = 0, loss = 0;
    for (int s = 0; s <= steps; s++) {
        double t0 = now();
        lb_loss_parts_t parts[2];
        lb_train_zero_grad(tr);
        if (lb_objective_step(tr, NULL, &obj, tok, lab, NULL, B, NULL, NULL, NULL, 0, 1.0, parts,
                              &err)) {
            fprintf(stderr, "bench_train: %s\n", err.msg);
            return 1;
        }
        double gn;
        lb_train_adamw_step(tr, &ao, ao.lr, &gn);
        double dt = now() - t0;
        loss = parts[0].loss;
        if (s == 0) continue;   /* warm-up: page faults of the arena */
        sum += dt;
        if (dt < best) best = dt;
    }
    printf("{\"step_s\": %.6f, \"mean_s\": %.6f, \"params\": %zu, \"loss\": %.6f, "
           "\"arena_mb\": %.1f}\n", best, sum / steps, lb_model_param_count(m), loss,
           lb_train_bytes(tr) / 1e6);
    lb_train_free(tr);
    lb_model_free(m);
    free(tok), free(lab);
    return 0;
}
