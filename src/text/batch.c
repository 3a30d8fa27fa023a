/* Batched scoring: many (text, reference) pairs, or many (text, keywords) items, in one call,
 * for callers that hold them all at once (python/leakbound's score()). Each item is scored
 * exactly as the single-item functions score it; the texts come packed back to back in one
 * buffer with offsets, so the call allocates nothing per item. */
#include "leakbound/text.h"

#include <stdlib.h>

int lb_text_score_pairs(lb_text_scorer_t *s, lb_text_metric_t metric, const char *texts,
                        const size_t *text_off, const char *refs, const size_t *ref_off, size_t n,
                        double *scores, lb_text_rouge_t *detail, lb_error_t *err) {
    if (metric < LB_TEXT_ROUGEL_RECALL || metric > LB_TEXT_EXACT)
        return lb_error_set(err, LB_EINVAL, "metric: expected 0..4 (rougeL-recall, rougeL-f, "
                            "rouge1-recall, rouge1-f, exact), got %d", (int)metric);
    for (size_t i = 0; i < n; i++) {
        const char *t = texts + text_off[i], *r = refs + ref_off[i];
        size_t tl = text_off[i + 1] - text_off[i], rl = ref_off[i + 1] - ref_off[i];
        lb_text_rouge_t v = {0, 0, 0};
        int rc;
        if (metric == LB_TEXT_EXACT) {
            int match = 0;
            rc = lb_text_exact(s, t, tl, r, rl, &match, err);
            scores[i] = match;
        } else {
            int l = metric == LB_TEXT_ROUGEL_RECALL || metric == LB_TEXT_ROUGEL_F;
            rc = (l ? lb_text_rouge_l : lb_text_rouge_1)(s, t, tl, r, rl, &v, err);
            int recall = metric == LB_TEXT_ROUGEL_RECALL || metric == LB_TEXT_ROUGE1_RECALL;
            scores[i] = recall ? v.recall : v.fmeasure;
        }
        if (rc) {
            lb_error_prefix(err, "pair %zu", i);
            return rc;
        }
        if (detail) detail[i] = v;
    }
    return LB_OK;
}

int lb_text_keywords_pairs(lb_text_scorer_t *s, const char *texts, const size_t *text_off,
                           size_t n, const char *kw, const size_t *kw_off, const size_t *item_kw,
                           double *scores, lb_error_t *err) {
    size_t most = 1;
    for (size_t i = 0; i < n; i++) {
        if (item_kw[i + 1] < item_kw[i])
            return lb_error_set(err, LB_EINVAL, "item %zu: keyword offsets decrease", i);
        if (item_kw[i + 1] - item_kw[i] > most) most = item_kw[i + 1] - item_kw[i];
    }
    /* One pointer/length table for the item with the most keywords, reused for every item. */
    const char **ptrs = malloc(most * sizeof *ptrs);
    size_t *lens = malloc(most * sizeof *lens);
    int rc = ptrs && lens ? LB_OK : lb_error_set(err, LB_ENOMEM, "out of memory for keywords");
    for (size_t i = 0; !rc && i < n; i++) {
        size_t k = 0;
        for (size_t j = item_kw[i]; j < item_kw[i + 1]; j++, k++) {
            ptrs[k] = kw + kw_off[j];
            lens[k] = kw_off[j + 1] - kw_off[j];
        }
        int leak = 0;
        rc = lb_text_keywords(s, texts + text_off[i], text_off[i + 1] - text_off[i], ptrs, lens, k,
                              &leak, err);
        if (rc)
            lb_error_prefix(err, "item %zu", i);
        else
            scores[i] = leak;
    }
    free(ptrs);
    free(lens);
    return rc;
}
