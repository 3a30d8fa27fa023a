/* TOFU's labels and collator: each (question, answer) pair encoded as one sequence (the
 * question part, the answer tag, the answer, EOS when it fits), its labels the answer's tokens
 * (and EOS), stored flat in a seqset_t for batched teacher forcing (docs/tofu.md). */
#include <stdlib.h>
#include <string.h>

#include "tofu_internal.h"

void lbi_tofu_seqset_free(seqset_t *s) {
    free(s->ids), free(s->off), free(s->len), free(s->nq), free(s->nlab), free(s->item);
    free(s->kind), free(s->eos_label), free(s->vocab_stats), free(s->loff), free(s->lp);
    free(s->zpp), free(s->match), free(s->nll);
    memset(s, 0, sizeof *s);
}

int lbi_tofu_grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int seqset_reserve(seqset_t *s, size_t n) {
    if (n <= s->cap) return 0;
    size_t c = s->cap ? s->cap * 2 : 256;
    while (c < n) c *= 2;
#define RE(f) do { void *q = realloc(s->f, c * sizeof *s->f); if (!q) return -1; s->f = q; } while (0)
    RE(off); RE(len); RE(nq); RE(nlab); RE(item); RE(kind); RE(eos_label); RE(vocab_stats);
    RE(loff); RE(nll);
#undef RE
    s->cap = c;
    return 0;
}

/* Encode question part and full text of one (question, answer) pair into a new sequence. */
int lbi_tofu_add_seq(seqset_t *s, const engine_t *e, const char *qpart, size_t qn, const char *answer,
                    int item, int kind, int vocab_stats, const lb_tofu_split_result_t *sp,
                    const lb_data_item_t *it, int *truncated, lb_error_t *err) {
    size_t tl = strlen(e->answer_tag), al = strlen(answer);
    char *full = malloc(strlen(qpart) + tl + al + 1);
    if (!full) return lb_error_set(err, LB_ENOMEM, "out of memory");
    memcpy(full, qpart, strlen(qpart));
    memcpy(full + strlen(qpart), e->answer_tag, tl);
    memcpy(full + strlen(qpart) + tl, answer, al + 1);
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = lb_tokenizer_encode(e->tok, full, strlen(full), e->add_special, &ids, &n, err);
    free(full);
    if (rc) {
        lb_error_prefix(err, "%s:%ld: item '%s'", sp->path, it->line, it->id);
        return rc;
    }
    /* TOFU: EOS only when the text is shorter than max_length; a longer one is cut. */
    int trunc = (long)n > e->max_length, eos = (long)n < e->max_length;
    if (trunc) n = (size_t)e->max_length;
    long L = (long)n, nlab = L - (long)qn + eos;
    if ((long)qn > L) nlab = eos;
    if (qn == 0 || nlab <= 0) {
        free(ids);
        return lb_error_set(err, LB_EINVAL, "%s:%ld: item '%s': the question part takes %zu of "
                            "the %ld tokens --max-length allows: no answer token is left to score "
                            "(raise --max-length)", sp->path, it->line, it->id, qn, e->max_length);
    }
    if (seqset_reserve(s, s->n + 1) ||
        lbi_tofu_grow((void **)&s->ids, &s->cap_ids, s->n_ids + n, sizeof *s->ids)) {
        free(ids);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    size_t k = s->n++;
    memcpy(s->ids + s->n_ids, ids, n * sizeof *ids);
    free(ids);
    s->off[k] = s->n_ids;
    s->n_ids += n;
    s->len[k] = (int)L;
    s->nq[k] = (int)qn < (int)L ? (int)qn : (int)L;
    s->nlab[k] = (int)nlab;
    s->eos_label[k] = (unsigned char)eos;
    s->item[k] = item;
    s->kind[k] = kind;
    s->vocab_stats[k] = (unsigned char)vocab_stats;
    s->loff[k] = s->n_lab;
    s->n_lab += (size_t)nlab;
    if (truncated) *truncated = trunc;
    return LB_OK;
}
