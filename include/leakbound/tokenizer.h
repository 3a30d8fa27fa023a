/*
 * leakbound/tokenizer.h — Hugging Face tokenizer.json, encode and decode.
 *
 * Contract
 * - A tokenizer is loaded once from a tokenizer.json file and is then read-only: encode and
 *   decode may be called from several threads at once on the same lb_tokenizer_t (each call
 *   keeps its scratch state on its own stack/heap).
 * - Supported components (anything else is refused at load with an error naming the component
 *   type and the file): model BPE (vocab; merges as "a b" or ["a","b"]; byte-level alphabets,
 *   byte_fallback, unk_token, continuing_subword_prefix, end_of_word_suffix, ignore_merges);
 *   added tokens (special or not; single_word, lstrip, rstrip, normalized); normalizers NFC,
 *   NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence; pre-tokenizers ByteLevel,
 *   Split, Metaspace, Digits, Whitespace, WhitespaceSplit, Sequence; post-processors
 *   TemplateProcessing, ByteLevel, Sequence (single sequences only: no pairs); decoders
 *   ByteLevel, ByteFallback, Metaspace, Replace, Strip, Fuse, Sequence.
 * - Results equal Hugging Face `tokenizers` (Rust) for those components: encode(text,
 *   add_special_tokens) and decode(ids, skip_special_tokens) give the same ids / the same string
 *   (checked against HF's npm binding on GPT-2, Llama-3 and Mistral files and synthetic variants:
 *   tests/oracle/tokenizer_*.py). As in HF: added-token ids are re-derived (a token the model
 *   vocabulary already holds keeps the model's id); a character with no token, no byte fallback
 *   and no unk_token is dropped; "truncation" is applied; "padding" other than BatchLongest and
 *   model dropout > 0 are refused as unsupported.
 * - Known gaps: regexes in Split/Replace run on PCRE2 (with UTF + UCP) instead of Oniguruma, so a
 *   file's own pattern using \w or \s may differ from HF on rare characters (marks, joiners);
 *   the built-in ByteLevel and Whitespace patterns are spelled to match. Vocabulary keys holding
 *   U+0000 cannot be loaded (jansson), and are refused with a message naming the file.
 * - Limits (a tokenizer.json is model-folder input): one regex search of a Split/Replace
 *   pattern covers at most 64 KiB of text (a pattern with an unbounded lookahead takes time
 *   quadratic in it); PCRE2 runs with a match limit of 10^7, a depth limit of 10^6 and a heap
 *   limit of 256 MiB. Past any of them encode fails with LB_EINVAL naming the pattern.
 * - Text is UTF-8; invalid UTF-8 input to encode is refused with LB_EINVAL (HF cannot receive it
 *   either: its strings are valid UTF-8). Decode output replaces invalid byte sequences with
 *   U+FFFD as HF's String::from_utf8_lossy does.
 */
#ifndef LEAKBOUND_TOKENIZER_H
#define LEAKBOUND_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_tokenizer lb_tokenizer_t;

/* Load a Hugging Face tokenizer.json from path. On success *out owns everything it needs
 * (free with lb_tokenizer_free). Errors: LB_EIO (unreadable file), LB_EFORMAT (malformed JSON
 * or a missing/ill-typed field: the message names the file and the field), LB_EUNSUPPORTED
 * (an unknown component type: the message names the file and the type). */
LB_API int lb_tokenizer_load(const char *path, lb_tokenizer_t **out, lb_error_t *err);

/* Where a model's tokenizer is: tokenizer when not NULL (a tokenizer.json file, or a folder that
 * holds tokenizer.json: the reference loads phi-1_5's tokenizer apart from its models), else
 * model_dir/tokenizer.json. Writes the file's path into path (cap bytes). */
LB_API void lb_tokenizer_path(const char *model_dir, const char *tokenizer, char *path, size_t cap);

/* The folder whose tokenizer_config.json (chat template, bos/eos) goes with a model: model_dir
 * when it holds tokenizer_config.json or tokenizer is NULL; else the tokenizer folder (tokenizer
 * itself, or the folder of the file tokenizer). Writes it into dir (cap bytes). */
LB_API void lb_tokenizer_config_dir(const char *model_dir, const char *tokenizer, char *dir,
                                    size_t cap);

/* lb_tokenizer_load of lb_tokenizer_path(model_dir, tokenizer). A missing file is LB_EIO
 * "<path>: cannot open: <reason>" and, when tokenizer is NULL, the hint that a model folder
 * without tokenizer.json takes its tokenizer from --tokenizer FILE|DIR. */
LB_API int lb_tokenizer_load_for_model(const char *model_dir, const char *tokenizer,
                                       lb_tokenizer_t **out, lb_error_t *err);

/* Same as lb_tokenizer_load from an in-memory JSON document; name is used in messages. */
LB_API int lb_tokenizer_load_string(const char *json, size_t len, const char *name,
                                    lb_tokenizer_t **out, lb_error_t *err);

/* Release a tokenizer (NULL is fine). */
LB_API void lb_tokenizer_free(lb_tokenizer_t *tok);

/* HF encode(text, add_special_tokens): text is len bytes of UTF-8 (need not be NUL-terminated).
 * On success *ids is a malloc'd array of *n_ids ids (caller frees; non-NULL even when empty).
 * Errors: LB_EINVAL (invalid UTF-8: the message names the byte offset), LB_ENOMEM. */
LB_API int lb_tokenizer_encode(const lb_tokenizer_t *tok, const char *text, size_t len,
                               int add_special_tokens, int32_t **ids, size_t *n_ids,
                               lb_error_t *err);

/* HF decode(ids, skip_special_tokens). On success *text is a malloc'd NUL-terminated UTF-8
 * string (caller frees; it may hold U+0000 itself, so use *len) and *len (if non-NULL) its length
 * in bytes. Errors: LB_EINVAL (an id < 0 or ≥ the id range: the message names its position; HF
 * would skip it silently), LB_ENOMEM. An id inside the range that names no token is skipped. */
LB_API int lb_tokenizer_decode(const lb_tokenizer_t *tok, const int32_t *ids, size_t n_ids,
                               int skip_special_tokens, char **text, size_t *len, lb_error_t *err);

/* Number of ids: model vocabulary plus added tokens (HF get_vocab_size(with_added_tokens=True)). */
LB_API size_t lb_tokenizer_vocab_size(const lb_tokenizer_t *tok);

/* Id of a token string (model vocabulary or added token); -1 if absent. */
LB_API int32_t lb_tokenizer_token_to_id(const lb_tokenizer_t *tok, const char *token);

/* Token string of an id (owned by the tokenizer, valid until lb_tokenizer_free); NULL if absent. */
LB_API const char *lb_tokenizer_id_to_token(const lb_tokenizer_t *tok, int32_t id);

/* Whether id is an added token flagged special (skipped by decode(skip_special_tokens)). */
LB_API int lb_tokenizer_is_special(const lb_tokenizer_t *tok, int32_t id);

/* One-line human summary for `inspect`, e.g. "BPE (byte-level), 50257 tokens, specials:
 * <|endoftext|>=50256". Always NUL-terminated; truncated to cap bytes. */
LB_API void lb_tokenizer_describe(const lb_tokenizer_t *tok, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

/* ---- tokenize: a JSON Lines stream through the tokenizer ---------------------------------- */

/* What lb_tokenizer_jsonl does (lb_tokenizer_jsonl_opts_default: encode with special tokens). */
typedef struct lb_tokenizer_jsonl_opts {
    int decode;        /* 0: text -> ids; 1: ids -> text */
    int add_special;   /* encoding: add_special_tokens (default 1) */
    int skip_special;  /* decoding: skip_special_tokens (default 1) */
} lb_tokenizer_jsonl_opts_t;

/* Fill *o with the defaults: encode, add_special 1, skip_special 1. */
LB_API void lb_tokenizer_jsonl_opts_default(lb_tokenizer_jsonl_opts_t *o);

/* `leakbound tokenize`: read the JSON Lines file in ("-" = stdin; lb_jsonl_open) and write one
 * line to out per input line: encoding, each input a JSON string or an object with a string
 * "text", each output the JSON array of ids of lb_tokenizer_encode(text, add_special);
 * decoding, each input a JSON array of ids (integers in [0, INT32_MAX]), each output the JSON
 * string of lb_tokenizer_decode(ids, skip_special). Stops at the first bad line; what was
 * written to out before it stays (the caller buffers when it must not show). Returns 0, or
 * LB_EINVAL/LB_EFORMAT "IN:LINE: ..." (a line of the wrong shape, malformed JSON), LB_EIO
 * (in cannot be read; "IN:LINE: cannot write the output"), LB_ENOMEM. */
LB_API int lb_tokenizer_jsonl(const lb_tokenizer_t *tok, const char *in, FILE *out,
                              const lb_tokenizer_jsonl_opts_t *o, lb_error_t *err);

#endif
