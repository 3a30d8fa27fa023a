/* AdamW as torch.optim.AdamW (single-tensor path), clipping as clip_grad_norm_, and HF's
 * linear warmup/decay schedule. */
#include "train_internal.h"

#include <math.h>

double lb_train_lr_factor(long step, long warmup, long total) {
    if (step < warmup) return (double)step / (double)(warmup > 1 ? warmup : 1);
    double f = (double)(total - step) / (double)(total - warmup > 1 ? total - warmup : 1);
    return f > 0.0 ? f : 0.0;
}

/* Sum of squares of g (n,) in a fixed order whatever the thread count or timing: fixed chunks
 * summed in parallel, then added serially (an OpenMP reduction merges partial sums in arrival
 * order, which would make runs, and resumed runs, differ in the last bits). */
#define SS_CHUNKS 64
static double sum_squares(const float *g, size_t n) {
    double part[SS_CHUNKS];
    size_t per = (n + SS_CHUNKS - 1) / SS_CHUNKS;
    #pragma omp parallel for schedule(static) if (n >= LB_PAR_MIN)
    for (int c = 0; c < SS_CHUNKS; c++) {
        size_t a = (size_t)c * per, b = a + per < n ? a + per : n;
        double s = 0.0;
        for (size_t j = a; j < b; j++) s += (double)g[j] * g[j];
        part[c] = s;
    }
    double s = 0.0;
    for (int c = 0; c < SS_CHUNKS; c++) s += part[c];
    return s;
}

void lb_train_adamw_step(lb_train_t *tr, const lb_adamw_opts_t *o, double lr, double *gnorm) {
    double ss = 0.0;
    for (int i = 0; i < tr->n_params; i++) ss += sum_squares(tr->params[i].g, tr->params[i].numel);
    double norm = sqrt(ss);
    if (gnorm) *gnorm = norm;
    /* torch: coef = max_norm / (norm + 1e-6), clamped to 1, applied as an fp32 multiply. */
    float clip = 1.0f;
    if (o->max_grad_norm > 0.0) {
        double c = o->max_grad_norm / (norm + 1e-6);
        if (c < 1.0) clip = (float)c;
    }
    tr->step++;
    double bc1 = 1.0 - pow(o->beta1, (double)tr->step);
    double bc2 = 1.0 - pow(o->beta2, (double)tr->step);
    float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->eps;
    for (int i = 0; i < tr->n_params; i++) {
        lb_train_param_t *p = &tr->params[i];
        float decay = p->ndim == 2 ? (float)(1.0 - lr * o->weight_decay) : 1.0f;
        float *w = p->w, *g = p->g;
        float *m1 = tr->m1 + (w - tr->m->params), *m2 = tr->m2 + (w - tr->m->params);
        #pragma omp parallel for schedule(static) if (p->numel >= LB_PAR_MIN)
        for (size_t j = 0; j < p->numel; j++) {
            float gj = g[j] * clip;
            g[j] = gj;
            w[j] *= decay;
            m1[j] += (gj - m1[j]) * (1.0f - b1);   /* torch lerp_ */
            m2[j] = m2[j] * b2 + (1.0f - b2) * gj * gj;
            float denom = sqrtf(m2[j]) / bc2_sqrt + eps;
            w[j] -= step_size * (m1[j] / denom);
        }
    }
}
