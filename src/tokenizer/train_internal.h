/*
 * train_internal.h — private state of the BPE trainer (train_count.c, train_merge.c,
 * train_json.c).
 *
 * Pre-tokens ("words") are counted once; each keeps its current symbol ids in one shared array
 * (sym + off[w], len[w] live symbols, compacted in place as merges shrink it). Pairs live in an
 * open-addressing map (a<<32|b → pair index) with their count and a singly linked list of the
 * words that may hold them (duplicates and stale entries allowed; a per-step stamp skips them).
 * A max-heap of (count, pair) with lazy deletion picks the next merge.
 */
#ifndef LB_TOK_TRAIN_INTERNAL_H
#define LB_TOK_TRAIN_INTERNAL_H

#include <stdint.h>

#include "leakbound/tokenizer_train.h"
#include "tok_internal.h"

typedef struct {
    int64_t cnt;
    int32_t pair;
} tt_heap_ent_t;

struct lb_bpe_trainer {
    size_t vocab_target;
    int64_t min_freq;
    size_t n_special;
    int trained;
    /* pre-tokenizer and its scratch */
    tk_pretok_t pretok;
    tk_scratch_t sc;
    tk_buf_t in, out;
    tk_pieces_t ip, op;
    /* word counts while feeding */
    tk_pool_t wpool;
    tk_strmap_t words;          /* byte-mapped pre-token → word index */
    int64_t *wcount;            /* (n_words) */
    size_t n_words, wcap;
    /* tokens */
    tk_pool_t tpool;
    tk_strmap_t vocab;          /* token string → id */
    const char **tok;           /* (n_tok) token strings, NUL-terminated */
    uint32_t *tok_len;          /* (n_tok) */
    size_t n_tok, tok_cap;
    int32_t *merge_a, *merge_b; /* (n_merges) */
    size_t n_merges, merge_cap;
    /* merge state (train_merge.c) */
    int32_t *sym;               /* (total symbols) */
    size_t *woff;               /* (n_words) */
    uint32_t *wlen;             /* (n_words) */
    uint32_t *wstamp;           /* (n_words) */
};

/* Append a token string (copied) with the next id; returns the id or -1 (out of memory). */
int32_t tt_add_token(lb_bpe_trainer_t *t, const char *s, size_t n);

#endif
