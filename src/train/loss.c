/* Losses on the logits of the last forward (docs/training.md, 'What is computed') and their gradient, written over
 * the logits. Per-position statistics in double; two passes because the NPO weight of a
 * sequence depends on its whole summed NLL. */
#include "train_internal.h"

#include <math.h>

/* Does position r (row of the (B*T) batch) predict a supervised label? */
static int supervised(const int32_t *labels, int T, size_t r) {
    return (int)(r % (size_t)T) < T - 1 && labels[r + 1] != -100;
}

/* log-sum-exp, entropy and (when supervised) NLL of every row. */
static void row_stats(struct lb_train *tr, const int32_t *labels, int B) {
    int T = tr->T, V = tr->g->vocab_size;
    size_t BT = (size_t)B * T;
    #pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r++) {
        const float *z = tr->logits + r * V;
        float mx = z[0];
        for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
        double s = 0.0, sz = 0.0;
        for (int v = 0; v < V; v++) {
            double e = exp((double)z[v] - mx);
            s += e;
            sz += e * z[v];
        }
        double lse = mx + log(s);
        tr->row_lse[r] = lse;
        tr->row_ent[r] = lse - sz / s;   /* -sum p log p = lse - E_p[z] */
        tr->row_nll[r] = supervised(labels, T, r) ? lse - z[labels[r + 1]] : 0.0;
    }
}

static int check_labels(const struct lb_train *tr, const int32_t *labels, int B,
                        lb_error_t *err) {
    if (B != tr->B)
        return lb_error_set(err, LB_EINVAL, "train: loss on %d sequences, forward had %d", B,
                            tr->B);
    int T = tr->T, V = tr->g->vocab_size;
    for (int i = 0; i < B * T; i++)
        if (labels[i] != -100 && (labels[i] < 0 || labels[i] >= V))
            return lb_error_set(err, LB_EINVAL,
                                "train: sequence %d position %d: label %d outside [0, %d)", i / T,
                                i % T, (int)labels[i], V);
    return 0;
}

void lb_train_seq_nll(const lb_train_t *tr, const int32_t *labels, int B, double *out) {
    /* Computed afresh (the row statistics may belong to another batch). */
    int T = tr->T, V = tr->g->vocab_size;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        double s = 0.0;
        for (int t = 0; t < T - 1; t++) {
            size_t r = (size_t)b * T + t;
            if (labels[r + 1] == -100) continue;
            const float *z = tr->logits + r * V;
            float mx = z[0];
            for (int v = 1; v < V; v++) mx = z[v] > mx ? z[v] : mx;
            double e = 0.0;
            for (int v = 0; v < V; v++) e += exp((double)z[v] - mx);
            s += mx + log(e) - z[labels[r + 1]];
        }
        out[b] = s;
    }
}

/* log sigmoid(x), stable both ways. */
static double log_sigmoid(double x) { return x < 0 ? x - log1p(exp(x)) : -log1p(exp(-x)); }
static double sigmoid(double x) {
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

int lb_train_loss(lb_train_t *tr, const int32_t *labels, int B, const lb_loss_spec_t *spec,
                  double scale, int grad, lb_loss_parts_t *out, lb_error_t *err) {
    int rc = check_labels(tr, labels, B, err);
    if (rc) return rc;
    int T = tr->T, V = tr->g->vocab_size;
    size_t BT = (size_t)B * T;
    row_stats(tr, labels, B);
    long n_sup = 0, n_ent = 0;
    double nll = 0.0, ent = 0.0;
    for (size_t r = 0; r < BT; r++) {
        int sup = supervised(labels, T, r);
        n_sup += sup;
        nll += tr->row_nll[r];
        if (!spec->ent_answer_only || sup) {
            n_ent++;
            ent += tr->row_ent[r];
        }
    }
    /* NPO: L = -(2/beta) mean_b log sigmoid(beta (s_b - s_ref_b)); its per-sequence weight
     * dL/ds_b = -(2/B) sigmoid(-beta (s_b - s_ref_b)) is recomputed in the gradient pass. */
    double npo = 0.0;
    if (spec->npo_w != 0.0) {
        for (int b = 0; b < B; b++) {
            double s = 0.0;
            for (int t = 0; t < T; t++) s += tr->row_nll[(size_t)b * T + t];
            npo += log_sigmoid(spec->npo_beta * (s - spec->nll_ref[b]));
        }
        npo = -2.0 / spec->npo_beta * npo / B;
    }
    out->ce = n_sup ? nll / (double)n_sup : 0.0;
    out->ent = n_ent ? ent / (double)n_ent : 0.0;
    out->npo = npo;
    out->n_sup = n_sup;
    out->loss = spec->ce_w * out->ce + spec->ent_w * out->ent + spec->npo_w * npo;
    if (!grad) return 0;
    double ce_coef = n_sup ? scale * spec->ce_w / (double)n_sup : 0.0;
    double ent_coef = n_ent ? scale * spec->ent_w / (double)n_ent : 0.0;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        double c_seq = ce_coef;
        if (spec->npo_w != 0.0) {
            double s = 0.0;
            for (int t = 0; t < T; t++) s += tr->row_nll[(size_t)b * T + t];
            double d = s - spec->nll_ref[b];
            c_seq += scale * spec->npo_w * (-2.0 / B) * sigmoid(-spec->npo_beta * d);
        }
        for (int t = 0; t < T; t++) {
            size_t r = (size_t)b * T + t;
            float *z = tr->logits + r * V;
            int sup = supervised(labels, T, r);
            double c = sup ? c_seq : 0.0;
            double e = (!spec->ent_answer_only || sup) ? ent_coef : 0.0;
            double lse = tr->row_lse[r], H = tr->row_ent[r];
            for (int v = 0; v < V; v++) {
                double lp = (double)z[v] - lse, p = exp(lp);
                /* CE: p - onehot; entropy: dH/dz_v = -p_v (log p_v + H). */
                z[v] = (float)(c * p - e * p * (lp + H));
            }
            if (sup) z[labels[r + 1]] -= (float)c;
        }
    }
    return 0;
}
