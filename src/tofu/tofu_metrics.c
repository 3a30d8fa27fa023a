/* TOFU's numbers from the teacher-forced sequences: per item (probability, truth ratio,
 * normalised probability, exact memorization, extraction strength, the four MIA scores), per
 * split (the aggregates), the MIA AUCs of forget against holdout, and the harmonic mean that
 * makes model utility (docs/tofu.md). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <zlib.h>

#include "leakbound/stats.h"
#include "tofu_internal.h"

/* ---------------------------------------------------------------- per-item metrics */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* -mean of the num_k = max(1, int(m * k)) smallest of v (m); v is sorted in place. */
static double min_k_score(double *v, int m, double k) {
    if (m <= 0) return 0.0;
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    int nk = (int)((double)m * k);
    if (nk < 1) nk = 1;
    double s = 0.0;
    for (int i = 0; i < nk; i++) s += v[i];
    return -s / nk;
}

static int zlib_len(const engine_t *e, const seqset_t *s, size_t k, size_t *out, lb_error_t *err) {
    int32_t *lab = malloc((size_t)s->nlab[k] * sizeof *lab);
    if (!lab) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (int l = 0; l < s->nlab[k]; l++) lab[l] = lb_tofu_target_of(s, k, s->nq[k] - 1 + l, e->eos);
    char *text = NULL;
    size_t tl = 0;
    int rc = lb_tokenizer_decode(e->tok, lab, (size_t)s->nlab[k], 1, &text, &tl, err);
    free(lab);
    if (rc) return rc;
    uLongf dl = compressBound((uLong)tl);
    unsigned char *buf = malloc(dl);
    if (!buf) {
        free(text);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (compress(buf, &dl, (const unsigned char *)text, (uLong)tl) != Z_OK)
        rc = lb_error_set(err, LB_ENOMEM, "zlib: compress failed");
    *out = dl;
    free(buf);
    free(text);
    return rc;
}

void lbi_tofu_item_metrics(const engine_t *e, const seqset_t *s, lb_tofu_split_result_t *sp,
                          const lb_tofu_opts_t *o, double *scratch, lb_error_t *err, int *rc) {
    /* sequences of one item are consecutive: ref, [correct], [perturbed...] */
    for (size_t k = 0; k < s->n && !*rc;) {
        size_t end = k + 1;
        while (end < s->n && s->item[end] == s->item[k]) end++;
        lb_tofu_item_t *it = &sp->items[s->item[k]];
        size_t ref = k;
        it->labels = s->nlab[ref];
        it->avg_nll = s->nll[ref] / s->nlab[ref];
        it->probability = exp(-it->avg_nll);
        int m = s->nlab[ref] - 1; /* open-unlearning drops the EOS prediction here */
        const double *lp = s->lp + s->loff[ref];
        const unsigned char *mt = s->match + s->loff[ref];
        if (sp->metrics & LB_TOFU_MEMORIZATION) {
            if (m <= 0) {
                it->exact_memorization = NAN;
                it->extraction_strength = 0.0;
            } else {
                int hits = 0, last_miss = -1;
                for (int l = 0; l < m; l++) {
                    hits += mt[l];
                    if (!mt[l]) last_miss = l;
                }
                it->exact_memorization = (double)hits / m;
                int kk = last_miss + 1;
                if (kk > m - 1) kk = m - 1; /* no suffix matched: the loop's last k */
                it->extraction_strength = 1.0 - (double)kk / m;
            }
        }
        if (sp->metrics & LB_TOFU_MIA) {
            it->mia_loss = it->avg_nll;
            size_t zl = 0;
            if ((*rc = zlib_len(e, s, ref, &zl, err))) break;
            it->mia_zlib = it->avg_nll / (double)zl;
            for (int l = 0; l < m; l++) scratch[l] = lp[l];
            it->mia_min_k = min_k_score(scratch, m, o->min_k);
            const double *z = s->zpp + s->loff[ref];
            for (int l = 0; l < m; l++) scratch[l] = z[l];
            it->mia_min_k_plus_plus = min_k_score(scratch, m, o->min_k);
        }
        if (sp->metrics & LB_TOFU_TRUTH_RATIO) {
            double correct = s->nll[ref] / s->nlab[ref], wrong = 0.0, pw = 0.0;
            int nw = 0;
            for (size_t q = k + 1; q < end; q++) {
                double a = s->nll[q] / s->nlab[q];
                if (s->kind[q] == K_CORRECT) correct = a;
                else wrong += a, pw += exp(-a), nw++;
            }
            wrong /= nw;
            it->truth_ratio = exp(-wrong) / (exp(-correct) + TR_EPS);
            if (sp->role == LB_TOFU_UTILITY)
                it->normalized_probability =
                    it->probability / (it->probability + pw + TR_EPS);
        }
        k = end;
    }
}

/* ---------------------------------------------------------------- aggregates */

double lbi_tofu_mean_of(const lb_tofu_split_result_t *sp, size_t field_off) {
    double s = 0.0;
    size_t n = 0;
    for (size_t i = 0; i < sp->n; i++) {
        double v = *(const double *)((const char *)&sp->items[i] + field_off);
        if (!isnan(v)) s += v, n++;
    }
    return n ? s / (double)n : NAN;
}

void lbi_tofu_aggregate(lb_tofu_split_result_t *sp) {
    sp->probability = sp->metrics & LB_TOFU_PROBABILITY
                          ? lbi_tofu_mean_of(sp, offsetof(lb_tofu_item_t, probability)) : NAN;
    sp->rougeL_recall = sp->metrics & LB_TOFU_ROUGE
                            ? lbi_tofu_mean_of(sp, offsetof(lb_tofu_item_t, rougeL_recall)) : NAN;
    sp->exact_memorization = sp->metrics & LB_TOFU_MEMORIZATION
                                 ? lbi_tofu_mean_of(sp, offsetof(lb_tofu_item_t, exact_memorization)) : NAN;
    sp->extraction_strength = sp->metrics & LB_TOFU_MEMORIZATION
                                  ? lbi_tofu_mean_of(sp, offsetof(lb_tofu_item_t, extraction_strength)) : NAN;
    sp->truth_ratio = NAN;
    if (sp->metrics & LB_TOFU_TRUTH_RATIO) {
        double s = 0.0;
        for (size_t i = 0; i < sp->n; i++) {
            double tr = sp->items[i].truth_ratio;
            if (sp->role == LB_TOFU_FORGET) s += fmin(tr, 1.0 / (tr + TR_EPS));
            else s += fmax(0.0, 1.0 - tr);
        }
        sp->truth_ratio = s / (double)sp->n;
    }
}

/* ---------------------------------------------------------------- MIA */

int lbi_tofu_mia_aucs(const lb_tofu_split_result_t *f, const lb_tofu_split_result_t *h, double out[4],
                     lb_error_t *err) {
    size_t n = f->n + h->n;
    double *sc = malloc(n * sizeof *sc);
    int *lab = malloc(n * sizeof *lab);
    int rc = (!sc || !lab) ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
    const size_t offs[4] = {offsetof(lb_tofu_item_t, mia_loss), offsetof(lb_tofu_item_t, mia_zlib),
                            offsetof(lb_tofu_item_t, mia_min_k),
                            offsetof(lb_tofu_item_t, mia_min_k_plus_plus)};
    for (int a = 0; a < 4 && !rc; a++) {
        size_t k = 0;
        for (size_t i = 0; i < f->n; i++, k++)
            sc[k] = *(const double *)((const char *)&f->items[i] + offs[a]), lab[k] = 0;
        for (size_t i = 0; i < h->n; i++, k++)
            sc[k] = *(const double *)((const char *)&h->items[i] + offs[a]), lab[k] = 1;
        rc = lb_stats_auc(sc, lab, n, &out[a], err);
    }
    free(sc);
    free(lab);
    return rc;
}

/* ---------------------------------------------------------------- model utility */

double lbi_tofu_hmean(const double *v, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        if (v[i] == 0.0) return 0.0;
        s += 1.0 / v[i];
    }
    return n / s;
}
