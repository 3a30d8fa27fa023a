/*
 * leakbound/tokenizer_train.h — byte-level BPE training, written as a Hugging Face tokenizer.json.
 *
 * Contract
 * - GPT-2 style: text is cut into pre-tokens by the ByteLevel pre-tokenizer (GPT-2's regex, no
 *   prefix space), every byte is mapped to GPT-2's byte alphabet, and merges are learned from the
 *   pre-token counts. The initial vocabulary is the special tokens (ids 0..) followed by the 256
 *   byte characters in code point order, so any text can be encoded (no unknown token).
 * - Each step merges the adjacent pair with the highest count over all pre-tokens (pre-token
 *   frequency × occurrences, non-overlapping left to right as HF's BPE trainer counts them);
 *   ties go to the smallest (left id, right id). Training stops when the vocabulary holds
 *   vocab_size entries, when no pair is left, or when the best count is below min_frequency.
 *   A merge whose result string is already a token keeps that token's id (HF does the same).
 *   Same input in the same order → the same bytes out.
 * - Pair counts are updated incrementally (only the pre-tokens holding the merged pair are
 *   touched), so a few MB of text trains in seconds.
 * - The written tokenizer.json loads in lb_tokenizer_load and in HF tokenizers: model BPE (vocab,
 *   merges as "a b"), pre_tokenizer / post_processor / decoder ByteLevel, the special tokens as
 *   added tokens (special = true). encode(x) then decode gives x back for any UTF-8 x.
 */
#ifndef LEAKBOUND_TOKENIZER_TRAIN_H
#define LEAKBOUND_TOKENIZER_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_bpe_trainer lb_bpe_trainer_t;

typedef struct lb_bpe_train_opts {
    size_t vocab_size;            /* target size, special tokens and the 256 bytes included */
    int64_t min_frequency;        /* a pair seen fewer times is never merged (0 or 1: no limit) */
    const char *const *special;   /* (n_special) special tokens; NULL = {"<|endoftext|>"} */
    size_t n_special;
} lb_bpe_train_opts_t;

/* A trainer with no text yet. vocab_size must be at least n_special + 256 (LB_EINVAL otherwise,
 * the message names the minimum); special tokens must be non-empty, distinct UTF-8 strings.
 * Free with lb_bpe_trainer_free. */
LB_API int lb_bpe_trainer_new(const lb_bpe_train_opts_t *opts, lb_bpe_trainer_t **out,
                              lb_error_t *err);
/* Free the trainer and everything it counted; NULL is a no-op. */
LB_API void lb_bpe_trainer_free(lb_bpe_trainer_t *t);

/* Count the pre-tokens of one text sequence (len bytes of UTF-8, need not be NUL-terminated).
 * Errors: LB_EINVAL for invalid UTF-8 (the message names the byte offset), LB_ENOMEM. */
LB_API int lb_bpe_trainer_feed(lb_bpe_trainer_t *t, const char *text, size_t len, lb_error_t *err);

/* Count a file: a name ending in .jsonl or .json is read as JSONL of question/answer objects
 * (TOFU layout: each of "question" and "answer" is one sequence; other fields are ignored);
 * anything else is plain text, one sequence per line (the newline included, as HF's trainer
 * reads files). Errors name the file and line: LB_EIO, LB_EFORMAT (bad JSON, a line without a
 * string "question" or "answer"), LB_EINVAL (invalid UTF-8). */
LB_API int lb_bpe_trainer_feed_file(lb_bpe_trainer_t *t, const char *path, lb_error_t *err);

/* Learn the merges from everything fed so far. Call once. Errors: LB_ENOMEM, LB_EINVAL (called
 * twice). */
LB_API int lb_bpe_trainer_train(lb_bpe_trainer_t *t, lb_error_t *err);

/* Sizes after training: the vocabulary (specials + 256 + merge results) and the merge count. */
LB_API size_t lb_bpe_trainer_vocab_size(const lb_bpe_trainer_t *t);
/* The number of merges learned. */
LB_API size_t lb_bpe_trainer_n_merges(const lb_bpe_trainer_t *t);

/* The trained tokenizer as a tokenizer.json document: *json is malloc'd, NUL-terminated (caller
 * frees), *len its length. Errors: LB_EINVAL (not trained yet), LB_ENOMEM. */
LB_API int lb_bpe_trainer_to_json(const lb_bpe_trainer_t *t, char **json, size_t *len,
                                  lb_error_t *err);

/* Where lb_bpe_train_write stopped, and what it wrote. */
enum {
    LB_BPE_AT_LOCK = 0,  /* taking out's lock (lb_io_lock_acquire) */
    LB_BPE_AT_INPUT = 1, /* the options or a training file (lb_bpe_trainer_new/feed_file) */
    LB_BPE_AT_TRAIN = 2, /* learning the merges, building the document */
    LB_BPE_AT_OPEN = 3,  /* opening out (lb_atomic_open) */
    LB_BPE_AT_WRITE = 4  /* writing or renaming out */
};
typedef struct lb_bpe_train_result {
    int stage;          /* the last stage reached (LB_BPE_AT_*) */
    size_t vocab_size;  /* on success: lb_bpe_trainer_vocab_size */
    size_t n_merges;    /* on success: lb_bpe_trainer_n_merges */
} lb_bpe_train_result_t;

/* `leakbound tokenizer train`: a trainer with opts fed the n_files files in order
 * (lb_bpe_trainer_feed_file), trained, its tokenizer.json plus a newline written atomically to
 * out ("-" = stdout), holding out's lock (lb_io_lock_acquire with io_flags: 0 or LB_IO_WAIT)
 * from before the first file is read to the rename. The same files in the same order give the
 * same bytes. res (may be NULL) is filled also on failure. Returns 0, or the error of the stage
 * res->stage names: lb_io_lock_acquire's (LB_EINVAL: another run holds the lock), the trainer's
 * LB_EINVAL/LB_EIO/LB_EFORMAT naming the file and line, LB_ENOMEM, lb_atomic_open's LB_EIO, or
 * LB_EIO "cannot write OUT" / the rename's error; out is never left half-written. */
LB_API int lb_bpe_train_write(const lb_bpe_train_opts_t *opts, const char *const *files,
                              size_t n_files, const char *out, int io_flags,
                              lb_bpe_train_result_t *res, lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
