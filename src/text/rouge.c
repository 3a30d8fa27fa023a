/* ROUGE-L, ROUGE-1 and exact match over token ids, as rouge-score 0.1.2 scores them. */
#include <string.h>

#include "text_internal.h"

/* rouge-score's scoring.fmeasure, operation for operation. */
static double fmeasure(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

static int tokenize_pair(lb_text_scorer_t *s, const char *pred, size_t pred_len, const char *ref,
                         size_t ref_len, size_t *np, size_t *nr, lb_error_t *err) {
    lbi_maybe_reset_cache(s);
    int rc = lbi_tokenize_side(s, 0, pred, pred_len, np, err);
    if (!rc) rc = lbi_tokenize_side(s, 1, ref, ref_len, nr, err);
    return rc;
}

/* LCS length of a (n,) and b (m,) with two rows of m + 1 counters. */
static size_t lcs(uint32_t *row, const uint32_t *a, size_t n, const uint32_t *b, size_t m) {
    uint32_t *prev = row, *cur = row + m + 1;
    memset(prev, 0, (m + 1) * sizeof *prev);
    cur[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ai = a[i];
        for (size_t j = 0; j < m; j++) {
            uint32_t v = prev[j + 1] > cur[j] ? prev[j + 1] : cur[j];
            cur[j + 1] = b[j] == ai ? prev[j] + 1 : v;
        }
        uint32_t *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

int lb_text_rouge_l(lb_text_scorer_t *s, const char *pred, size_t pred_len, const char *ref,
                    size_t ref_len, lb_text_rouge_t *out, lb_error_t *err) {
    memset(out, 0, sizeof *out);
    size_t np, nr;
    int rc = tokenize_pair(s, pred, pred_len, ref, ref_len, &np, &nr, err);
    if (rc) return rc;
    if (!np || !nr) return 0;
    if (lb_grow((void **)&s->row, &s->cap_row, 2 * (nr + 1), sizeof *s->row))
        return lb_error_set(err, LB_ENOMEM, "out of memory for the LCS rows");
    size_t l = lcs(s->row, s->ids_a, np, s->ids_b, nr);
    out->precision = (double)l / (double)np;
    out->recall = (double)l / (double)nr;
    out->fmeasure = fmeasure(out->precision, out->recall);
    return 0;
}

int lb_text_rouge_1(lb_text_scorer_t *s, const char *pred, size_t pred_len, const char *ref,
                    size_t ref_len, lb_text_rouge_t *out, lb_error_t *err) {
    memset(out, 0, sizeof *out);
    size_t np, nr;
    int rc = tokenize_pair(s, pred, pred_len, ref, ref_len, &np, &nr, err);
    if (rc) return rc;
    size_t old = s->cap_counts;
    if (lb_grow((void **)&s->counts, &s->cap_counts, s->stems.count + 1, sizeof *s->counts))
        return lb_error_set(err, LB_ENOMEM, "out of memory for ROUGE-1 counts");
    if (s->cap_counts > old) memset(s->counts + old, 0, (s->cap_counts - old) * sizeof *s->counts);
    /* Clipped overlap: each reference token can be matched once. */
    for (size_t j = 0; j < nr; j++) s->counts[s->ids_b[j]]++;
    size_t hit = 0;
    for (size_t i = 0; i < np; i++) {
        uint32_t *c = &s->counts[s->ids_a[i]];
        if (*c) {
            (*c)--;
            hit++;
        }
    }
    for (size_t j = 0; j < nr; j++) s->counts[s->ids_b[j]] = 0;
    out->precision = (double)hit / (double)(np ? np : 1);
    out->recall = (double)hit / (double)(nr ? nr : 1);
    out->fmeasure = fmeasure(out->precision, out->recall);
    return 0;
}

int lb_text_exact(lb_text_scorer_t *s, const char *a, size_t a_len, const char *b, size_t b_len,
                  int *match, lb_error_t *err) {
    *match = 0;
    size_t na, nb;
    int rc = tokenize_pair(s, a, a_len, b, b_len, &na, &nb, err);
    if (rc) return rc;
    *match = na == nb && (na == 0 || !memcmp(s->ids_a, s->ids_b, na * sizeof *s->ids_a));
    return 0;
}
