/* Teacher forcing: every sequence of a split through the model, several per forward pass on
 * one KV cache, and per label the log-probability, whether the argmax matches and min-k++'s
 * z-score (docs/tofu.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/kvcache.h"
#include "leakbound/model.h"
#include "tofu_internal.h"

#define MAX_SEQS_PER_PASS 64
#define LOGITS_BUDGET (64L << 20) /* floats of logits per forward pass (256 MiB) */

/* One logits row: log-prob of y, whether argmax == y, and (vs) min-k++'s z-score. */
static void row_stats(const float *x, int V, int32_t y, int vs, double *lp, unsigned char *match,
                      double *z) {
    float mx = x[0];
    int am = 0;
    for (int v = 1; v < V; v++)
        if (x[v] > mx) mx = x[v], am = v;
    double sum = 0.0;
    for (int v = 0; v < V; v++) sum += (double)expf(x[v] - mx);
    double lse = (double)mx + log(sum);
    *lp = (double)x[y] - lse;
    *match = am == y;
    if (vs) {
        double mu = 0.0, m2 = 0.0;
        float lsef = (float)lse;
        for (int v = 0; v < V; v++) {
            float l = x[v] - lsef, p = expf(l);
            mu += (double)(p * l);
            m2 += (double)(p * l * l);
        }
        double sigma = m2 - mu * mu;
        if (sigma < 1e-6) sigma = 1e-6;
        *z = (*lp - mu) / sqrt(sigma);
    } else {
        *z = NAN;
    }
}

typedef struct rowref {
    int seq, pos;
    size_t row, lab;
} rowref_t;

/* The statistics of the rows q0 .. q1-1 of rows (parallel over rows). */
static void rows_stats(const engine_t *e, seqset_t *s, const rowref_t *rows, size_t q0, size_t q1,
                       const float *logits) {
    int V = e->V;
    int32_t eos = e->eos;
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t q = q0; q < q1; q++) {
        const rowref_t *rr = &rows[q];
        row_stats(logits + rr->row * (size_t)V, V, lb_tofu_target_of(s, (size_t)rr->seq, rr->pos, eos),
                  s->vocab_stats[rr->seq], &s->lp[rr->lab], &s->match[rr->lab], &s->zpp[rr->lab]);
    }
}

/* Teacher forcing of every sequence of s, several per forward pass. Each batch is two calls on
 * the same cache: the question parts (logits of their last token only: the row that predicts
 * the first label), then the answers with every row's logits, so the head never runs on the
 * question's other positions. */
int lbi_tofu_forward_all(const engine_t *e, seqset_t *s, long batch_tokens, const char *stage,
                        const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res, lb_error_t *err) {
    if (!s->n) return LB_OK;
    double t0 = lb_tofu_now_s();
    /* One pass's logits stay within LOGITS_BUDGET floats (a 128k vocabulary: 512 tokens), but
     * the longest sequence always fits. */
    long cap = batch_tokens, by_mem = LOGITS_BUDGET / e->V;
    if (cap > by_mem) cap = by_mem;
    for (size_t k = 0; k < s->n; k++)
        if (s->len[k] > cap) cap = s->len[k];
    free(s->lp), free(s->zpp), free(s->match);
    s->lp = malloc((s->n_lab + 1) * sizeof *s->lp);
    s->zpp = malloc((s->n_lab + 1) * sizeof *s->zpp);
    s->match = malloc(s->n_lab + 1);
    rowref_t *rows = malloc((size_t)(cap + MAX_SEQS_PER_PASS) * sizeof *rows);
    int32_t *stage_ids = malloc((size_t)cap * sizeof *stage_ids);
    int *sids = malloc(2 * MAX_SEQS_PER_PASS * sizeof *sids), *ntok = malloc(MAX_SEQS_PER_PASS * sizeof *ntok);
    if (!s->lp || !s->zpp || !s->match || !rows || !stage_ids || !sids || !ntok) {
        free(rows), free(stage_ids), free(sids), free(ntok);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    int *sidb = sids + MAX_SEQS_PER_PASS;
    lb_model_runner_t *r = NULL;
    lb_kvcache_t *kv = NULL;
    int rc = lb_model_runner_create(e->m, MAX_SEQS_PER_PASS, (int)cap, (int)e->max_length, 1,
                                    &r, err);
    if (!rc)
        rc = lb_kvcache_create(e->m, (size_t)cap + 16 * MAX_SEQS_PER_PASS, MAX_SEQS_PER_PASS,
                               (int)e->max_length, 16, &kv, err);
    size_t i = 0;
    while (!rc && i < s->n) {
        size_t j = i, tokens = 0;
        while (j < s->n && j - i < MAX_SEQS_PER_PASS && tokens + (size_t)s->len[j] <= (size_t)cap)
            tokens += (size_t)s->len[j++];
        int nb = (int)(j - i);
        /* call A: the question parts */
        size_t nt = 0;
        for (int b = 0; b < nb && !rc; b++) {
            size_t k = i + (size_t)b;
            int id = lb_kvcache_seq_new(kv, err);
            if (id < 0) rc = id;
            sids[b] = id;
            ntok[b] = s->nq[k];
            memcpy(stage_ids + nt, s->ids + s->off[k], (size_t)s->nq[k] * sizeof *stage_ids);
            nt += (size_t)s->nq[k];
        }
        const float *logits = NULL;
        if (!rc) rc = lb_model_forward(r, kv, nb, sids, ntok, stage_ids, 0, &logits, err);
        if (!rc) {
            for (int b = 0; b < nb; b++) {
                size_t k = i + (size_t)b;
                rows[b] = (rowref_t){(int)k, s->nq[k] - 1, (size_t)b, s->loff[k]};
            }
            rows_stats(e, s, rows, 0, (size_t)nb, logits);
        }
        /* call B: the answers (positions nq .. last), every row's logits */
        int nbb = 0;
        size_t nrows = 0;
        nt = 0;
        for (int b = 0; b < nb && !rc; b++) {
            size_t k = i + (size_t)b;
            int last = s->len[k] - (s->eos_label[k] ? 1 : 2), n = last - s->nq[k] + 1;
            if (n <= 0) continue;
            sidb[nbb] = sids[b];
            ntok[nbb++] = n;
            memcpy(stage_ids + nt, s->ids + s->off[k] + s->nq[k], (size_t)n * sizeof *stage_ids);
            for (int p = s->nq[k]; p <= last; p++)
                rows[nrows++] = (rowref_t){(int)k, p, nt + (size_t)(p - s->nq[k]),
                                           s->loff[k] + (size_t)(p - s->nq[k] + 1)};
            nt += (size_t)n;
        }
        if (!rc && nbb > 0) {
            rc = lb_model_forward(r, kv, nbb, sidb, ntok, stage_ids, LB_FORWARD_ALL_LOGITS,
                                  &logits, err);
            if (!rc) rows_stats(e, s, rows, 0, nrows, logits);
        }
        for (int b = 0; !rc && b < nb; b++) {
            size_t k = i + (size_t)b;
            double sum = 0.0;
            for (int l = 0; l < s->nlab[k]; l++) sum -= s->lp[s->loff[k] + (size_t)l];
            s->nll[k] = sum;
        }
        for (int b = 0; b < nb; b++) lb_kvcache_seq_free(kv, sids[b]);
        res->tokens_forward += tokens;
        i = j;
        if (hooks && hooks->progress) hooks->progress(hooks->user, stage, i, s->n);
    }
    lb_kvcache_free(kv);
    lb_model_runner_free(r);
    free(rows), free(stage_ids), free(sids), free(ntok);
    res->seconds_forward += lb_tofu_now_s() - t0;
    return rc;
}
