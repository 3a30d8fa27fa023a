/*
 * leakbound/score.h — the metrics: one table of their names and one dispatch that scores a
 * batch of generations with any of them (ROUGE, keywords and exact match from text.h, the
 * judge from judge.h). `leakbound score`, `leakbound eval` and Python's leakbound.score all
 * score through lb_score_batch, so a metric means the same number everywhere.
 *
 * Contract
 * - Metrics and their names (what `--metric` accepts), in enum order: rougeL-recall,
 *   rougeL-f, rouge1-recall, rouge1-f, keywords, exact, judge. lb_metric_name walks the table
 *   (NULL past its end); lb_metric_parse is the only place a name is read.
 * - Before a text is scored, --strip-prefix applies (lb_score_strip): the text loses its
 *   leading blanks (space, tab, CR, LF) and the first of opts->strip that follows them, when
 *   one does; otherwise the text is scored unchanged. Empty prefixes never match.
 * - Values: ROUGE metrics give the recall or the F-measure of text.h (detail: precision,
 *   recall, F-measure); keywords and exact give 1.0 or 0.0 (detail all 0); judge gives the
 *   judge's P(A) / (P(A) + P(B)), or 1.0 / 0.0 when opts->judge_threshold >= 0 (score >=
 *   threshold), detail (p_A, p_B, 0). Every value is bit-identical to calling text.h or
 *   judge.h on the (stripped) pair alone.
 * - Keywords compare under opts->keyword_match; an item's keywords are either a list
 *   (kw/kw_len/n_kw) or, when kw is NULL, the comma-separated string in ref.
 * - judge reads the pair (user turn, stripped text) as C strings: the user turn (ref) must be
 *   NUL-terminated, the text is copied up to its length or its first NUL; it needs opts->judge
 *   (an open judge; LB_EINVAL when NULL). The judge's errors name "sample I" (I: the index in
 *   the batch); text errors are prefixed "sample I" likewise.
 * - Not thread-safe per scorer or judge: one text scorer per thread (see text.h); a judge
 *   is used by one call at a time.
 */
#ifndef LEAKBOUND_SCORE_H
#define LEAKBOUND_SCORE_H

#include <stddef.h>

#include "leakbound/core.h"
#include "leakbound/judge.h"
#include "leakbound/text.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lb_metric {
    LB_METRIC_ROUGEL_RECALL = 0, /* rougeL-recall */
    LB_METRIC_ROUGEL_F,          /* rougeL-f */
    LB_METRIC_ROUGE1_RECALL,     /* rouge1-recall */
    LB_METRIC_ROUGE1_F,          /* rouge1-f */
    LB_METRIC_KEYWORDS,          /* keywords */
    LB_METRIC_EXACT,             /* exact */
    LB_METRIC_JUDGE,             /* judge */
    LB_METRIC_COUNT
} lb_metric_t;

/* The name of metric m ("rougeL-recall", ...), or NULL when m is not in [0, LB_METRIC_COUNT). */
const char *lb_metric_name(int m);

/* Parse a metric name into *m. Returns 0, or LB_EINVAL with err "unknown metric 'X' (N1, N2,
 * ...)" listing every allowed name in table order. */
int lb_metric_parse(const char *name, lb_metric_t *m, lb_error_t *err);

#define LB_SCORE_MAX_STRIP 16

/* How a generation is scored beyond its metric. */
typedef struct lb_score_opts {
    const char *strip[LB_SCORE_MAX_STRIP]; /* prefixes removed before scoring, first match wins */
    int n_strip;
    lb_text_match_t keyword_match;         /* keywords: word (default) or substring */
    double judge_threshold;                /* judge: score >= t -> 1 else 0; < 0 (default): off */
    lb_judge_t *judge;                     /* judge: the open judge (not owned) */
} lb_score_opts_t;

/* The defaults: no prefixes, word matching, judge threshold off, no judge. */
lb_score_opts_t lb_score_opts_default(void);

/* The text that is scored (see the contract): *text and *len moved past the stripped prefix. */
void lb_score_strip(const lb_score_opts_t *o, const char **text, size_t *len);

/* A judge score as the metric's value: thresholded to 0/1 when o->judge_threshold >= 0. */
double lb_score_judge_value(const lb_score_opts_t *o, double score);

/* One item to score. */
typedef struct lb_score_item {
    const char *text;       /* the generation (before --strip-prefix), text_len bytes */
    size_t text_len;
    const char *ref;        /* rouge*, exact: the reference; keywords with kw NULL: the
                               comma-separated keywords; judge: the user turn (NUL-terminated) */
    size_t ref_len;
    const char *const *kw;  /* keywords: (n_kw,) keywords of kw_len[i] bytes, or NULL */
    const size_t *kw_len;
    size_t n_kw;
} lb_score_item_t;

/* Score n items with metric m into scores (n,); detail (n, 3) or NULL gets the extra numbers
 * (see the contract). s is the text scorer to use (NULL: one is made for the call; unused by
 * judge); its keyword match mode is set to o->keyword_match. The judge scores all n pairs in
 * batched forward calls (a pair's score does not depend on the others). Returns 0, LB_EINVAL
 * (an unknown metric, no judge, a NUL in a judge pair, the judge's own errors naming "sample
 * I"), or LB_ENOMEM; scores are then unspecified. */
int lb_score_batch(const lb_score_opts_t *o, lb_metric_t m, lb_text_scorer_t *s,
                   const lb_score_item_t *items, size_t n, double *scores, double *detail,
                   lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
