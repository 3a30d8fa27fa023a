/*
 * leakbound/kvcache.h — the key/value cache of a model's attention layers, shared between
 * sequences by paging.
 *
 * Contract
 * - Storage is a pool of fixed-size blocks (block_size positions each) allocated once at
 *   creation; a block holds K and V of every layer and KV head for its positions. A sequence is
 *   a table of block ids plus a length. Blocks carry reference counts, so lb_kvcache_seq_fork
 *   makes a sequence that shares all of its source's blocks (a prompt's cache referenced by
 *   many continuations, no copy). The first write into a shared, partly filled last block
 *   copies that block (copy-on-write); full shared blocks are never copied.
 * - Sequence ids are small integers in [0, max_seqs), reused after lb_kvcache_seq_free.
 * - No function allocates after lb_kvcache_create. A cache is not thread-safe; one runner
 *   writes to it at a time.
 */
#ifndef LEAKBOUND_KVCACHE_H
#define LEAKBOUND_KVCACHE_H

#include <stddef.h>
#include "leakbound/core.h"
#include "leakbound/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A cache for model m: room for capacity_tokens positions in all (rounded up to whole
 * blocks), at most max_seqs live sequences, each at most max_seq_len positions long
 * (0 = the model's max_position_embeddings). block_size 0 means 16. Errors: LB_EINVAL,
 * LB_ENOMEM. The cache borrows nothing from m after creation. */
LB_API int lb_kvcache_create(const lb_model_t *m, size_t capacity_tokens, int max_seqs,
                             int max_seq_len, int block_size, lb_kvcache_t **out, lb_error_t *err);
/* Free the cache and its block pool; NULL is a no-op. */
LB_API void lb_kvcache_free(lb_kvcache_t *kv);

/* A new empty sequence; returns its id (>= 0) or LB_ENOMEM when max_seqs are live. */
LB_API int lb_kvcache_seq_new(lb_kvcache_t *kv, lb_error_t *err);

/* A new sequence whose cache is src's as it is now (blocks shared, not copied); returns its
 * id, LB_EINVAL (src not live) or LB_ENOMEM (no free sequence slot). */
LB_API int lb_kvcache_seq_fork(lb_kvcache_t *kv, int src, lb_error_t *err);

/* Release a sequence and its references to blocks (blocks no one references become free).
 * Freeing a dead or out-of-range id does nothing. */
LB_API void lb_kvcache_seq_free(lb_kvcache_t *kv, int seq);

/* Positions cached for seq (0 for a dead id). */
LB_API int lb_kvcache_seq_len(const lb_kvcache_t *kv, int seq);

/* Blocks currently free (referenced by no live sequence). */
LB_API int lb_kvcache_free_blocks(const lb_kvcache_t *kv);
/* Positions per block. */
LB_API int lb_kvcache_block_size(const lb_kvcache_t *kv);

/* Bytes reserved for K and V. */
LB_API size_t lb_kvcache_bytes(const lb_kvcache_t *kv);

#ifdef __cplusplus
}
#endif
#endif
