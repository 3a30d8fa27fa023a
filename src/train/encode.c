/* TOFU encoding of question/answer pairs (docs/training.md, 'What is computed') and the seeded data order. */
#include "train_internal.h"
#include "leakbound/train_run.h"

#include <stdlib.h>
#include <string.h>

void lb_train_rows_free(lb_train_rows_t *r) {
    if (!r) return;
    free(r->tokens);
    free(r->labels);
    free(r->lens);
    memset(r, 0, sizeof *r);
}

int lb_train_encode(const lb_tokenizer_t *tok, const lb_template_t *tpl,
                    const char *answer_prefix, const lb_dataset_t *ds, const char *path, int T,
                    int32_t eos, lb_train_rows_t *out, lb_error_t *err) {
    memset(out, 0, sizeof *out);
    size_t n = ds->n;
    out->T = T;
    out->n = n;
    out->tokens = malloc((n ? n : 1) * (size_t)T * sizeof(int32_t));
    out->labels = malloc((n ? n : 1) * (size_t)T * sizeof(int32_t));
    out->lens = malloc((n ? n : 1) * sizeof(int));
    if (!out->tokens || !out->labels || !out->lens) {
        lb_train_rows_free(out);
        return lb_error_set(err, LB_ENOMEM, "%s: out of memory encoding", path);
    }
    int rc = 0;
    char *prompt = NULL, *full = NULL;
    int32_t *ids = NULL, *pids = NULL;
    for (size_t i = 0; i < n && !rc; i++) {
        const lb_data_item_t *it = &ds->items[i];
        if (!it->answer) {
            rc = lb_error_set(err, LB_EINVAL, "%s:%ld: item %s has no answer to train on", path,
                              it->line, it->id);
            break;
        }
        if ((rc = lb_template_render(tpl, it->question, &prompt, err))) break;
        size_t lp = strlen(prompt), la = strlen(answer_prefix), lq = strlen(it->answer);
        full = malloc(lp + la + lq + 1);
        if (!full) {
            rc = lb_error_set(err, LB_ENOMEM, "%s: out of memory encoding", path);
            break;
        }
        memcpy(full, prompt, lp);
        memcpy(full + lp, answer_prefix, la);
        memcpy(full + lp + la, it->answer, lq + 1);
        size_t n_ids, n_p;
        if ((rc = lb_tokenizer_encode(tok, full, strlen(full), 1, &ids, &n_ids, err)) ||
            (rc = lb_tokenizer_encode(tok, prompt, lp, 1, &pids, &n_p, err))) {
            lb_error_prefix(err, "%s:%ld", path, it->line);
            break;
        }
        int32_t *row = out->tokens + i * (size_t)T, *lab = out->labels + i * (size_t)T;
        size_t len = n_ids + 1 < (size_t)T ? n_ids + 1 : (size_t)T;
        for (size_t t = 0; t < (size_t)T; t++) {
            int32_t id = t < n_ids ? ids[t] : eos;
            row[t] = id;
            lab[t] = t < len && t >= n_p ? id : -100;
        }
        out->lens[i] = (int)len;
        free(ids), free(pids), free(full), free(prompt);
        ids = pids = NULL, full = prompt = NULL;
    }
    free(ids), free(pids), free(full), free(prompt);
    if (rc) lb_train_rows_free(out);
    return rc;
}

/* splitmix64: a counter-based mix, so every (seed, epoch, i) draw is independent of the others
 * and of how far a previous process got. */
static uint64_t mix(uint64_t x) { return lb_splitmix64(&x); }

/* Uniform in [0, n) without modulo bias (Lemire's rejection on a stream of mixes). */
static size_t uniform(uint64_t key, size_t n) {
    for (uint64_t k = 0;; k++) {
        uint64_t r = mix(key ^ mix(k + 0x51ed270b7f4a7c15ULL));
        __uint128_t m = (__uint128_t)r * n;
        uint64_t lo = (uint64_t)m;
        if (lo >= (uint64_t)(-(uint64_t)n) % n || lo >= n) return (size_t)(m >> 64);
    }
}

void lb_train_epoch_order(uint64_t seed, long epoch, size_t n, size_t *perm) {
    for (size_t i = 0; i < n; i++) perm[i] = i;
    uint64_t base = mix(seed ^ mix((uint64_t)epoch * 2 + 1));
    for (size_t i = n; i > 1; i--) {
        size_t j = uniform(base ^ mix(i), i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

size_t lb_train_retain_partner(uint64_t seed, long epoch, size_t i, size_t n_retain) {
    uint64_t base = mix(seed ^ mix((uint64_t)epoch * 2 + 2));
    return uniform(base ^ mix(i + 0x1234567ULL), n_retain);
}
