/* tofu_internal.h — what the files of src/tofu share, and only they: the evaluated model
 * (engine_t), the encoded sequences of one split (seqset_t, built by tofu_seqset.c, filled by
 * tofu_forward.c, read by tofu_metrics.c) and the functions each file lends the others. */
#ifndef LB_TOFU_INTERNAL_H
#define LB_TOFU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "leakbound/data.h"
#include "leakbound/model.h"
#include "leakbound/sample.h"
#include "leakbound/tofu.h"
#include "leakbound/tokenizer.h"

#define TR_EPS 1e-10 /* open-unlearning's guards in the truth ratio and normalised probability */

/* ---------------------------------------------------------------- the model side */

typedef struct engine {
    const char *dir;
    lb_model_t *m;
    lb_tokenizer_t *tok;
    lb_template_t *tpl;
    int add_special;
    const char *answer_tag;
    long max_length;
    int32_t eos;
    int32_t stop[LB_GENCONF_MAX_EOS]; /* (n_stop,) ids ending a greedy answer unless the
                                         caller gave its own (lb_tofu_opts_t.eos) */
    int n_stop;
    int V;
} engine_t;

/* ---------------------------------------------------------------- sequences of one split */

enum { K_REF = 0, K_CORRECT, K_PERT };

typedef struct seqset {
    size_t n, cap;
    int32_t *ids;      /* all sequences' tokens */
    size_t n_ids, cap_ids;
    size_t *off;       /* (n) start of each sequence in ids */
    int *len, *nq, *nlab, *item, *kind;
    unsigned char *eos_label, *vocab_stats;
    size_t *loff;      /* (n) start of each sequence's labels in lp/match/zpp */
    size_t n_lab;
    double *lp, *zpp;  /* (n_lab) log-prob of the label; min-k++ z-score */
    unsigned char *match; /* (n_lab) argmax == label */
    double *nll;       /* (n) summed NLL over every label */
} seqset_t;

/* Monotonic wall time in seconds (the stage timings of lb_tofu_result_t). */
static inline double lb_tofu_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The target of logits row p (0-based position) of sequence k: the next input token, or EOS. */
static inline int32_t lb_tofu_target_of(const seqset_t *s, size_t k, int p, int32_t eos) {
    return p + 1 < s->len[k] ? s->ids[s->off[k] + (size_t)p + 1] : eos;
}

/* tofu.c: load the model, tokenizer and template of dir; lbi_tofu_engine_free undoes it (also
 * after a failed open). */
int lbi_tofu_engine_open(engine_t *e, const char *dir, const lb_tofu_opts_t *o, lb_error_t *err);
void lbi_tofu_engine_free(engine_t *e);

/* tofu_seqset.c: grow *p (capacity *cap elements of elem bytes) to hold need; 0 or -1. */
int lbi_tofu_grow(void **p, size_t *cap, size_t need, size_t elem);
/* tofu_seqset.c: free every array of s and zero it. */
void lbi_tofu_seqset_free(seqset_t *s);
/* tofu_seqset.c: encode question part + answer tag + answer as TOFU's collator does (EOS only
 * when shorter than max_length, cut at max_length) and append it to s as one sequence of item
 * `item`, kind K_REF/K_CORRECT/K_PERT; qn is the question part's token count. */
int lbi_tofu_add_seq(seqset_t *s, const engine_t *e, const char *qpart, size_t qn,
                    const char *answer, int item, int kind, int vocab_stats,
                    const lb_tofu_split_result_t *sp, const lb_data_item_t *it, int *truncated,
                    lb_error_t *err);

/* tofu_forward.c: teacher-force every sequence of s (batched, at most batch_tokens per pass)
 * and fill its per-label log-probs, argmax matches, min-k++ z-scores and summed NLLs. */
int lbi_tofu_forward_all(const engine_t *e, seqset_t *s, long batch_tokens, const char *stage,
                        const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res, lb_error_t *err);

/* tofu_metrics.c: the per-item metrics of sp from the teacher-forced s (scratch: the longest
 * label count of doubles); sets *rc on failure. */
void lbi_tofu_item_metrics(const engine_t *e, const seqset_t *s, lb_tofu_split_result_t *sp,
                          const lb_tofu_opts_t *o, double *scratch, lb_error_t *err, int *rc);
/* tofu_metrics.c: the mean of the double at field_off of sp's items, NaNs left out (NaN if
 * all are). */
double lbi_tofu_mean_of(const lb_tofu_split_result_t *sp, size_t field_off);
/* tofu_metrics.c: sp's split-level means of its metric groups (NaN for groups not run). */
void lbi_tofu_aggregate(lb_tofu_split_result_t *sp);
/* tofu_metrics.c: the four MIA AUCs (loss, zlib, min-k, min-k++) of forget f (label 0)
 * against holdout h (label 1). */
int lbi_tofu_mia_aucs(const lb_tofu_split_result_t *f, const lb_tofu_split_result_t *h,
                     double out[4], lb_error_t *err);
/* tofu_metrics.c: harmonic mean of v (0 if any is 0). */
double lbi_tofu_hmean(const double *v, int n);

/* tofu_generate.c: greedy answers to every item of sp (qparts: the rendered question parts)
 * and their ROUGE-L recall against the answer. */
int lbi_tofu_generate_split(const engine_t *e, lb_tofu_split_result_t *sp, const lb_tofu_opts_t *o,
                           char **qparts, const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res,
                           lb_error_t *err);

#endif
