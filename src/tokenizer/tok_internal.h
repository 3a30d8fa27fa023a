/*
 * tok_internal.h — private structures of the tokenizer module.
 *
 * Encoding runs as a pipeline over "pieces": byte ranges of a scratch buffer, each either plain
 * text still to be processed or an id already decided (an added token). Every stage reads one
 * piece list and writes the next into a second buffer (double buffering), so one encode call
 * allocates only when its scratch buffers must grow (geometric), never per token.
 */
#ifndef LB_TOK_INTERNAL_H
#define LB_TOK_INTERNAL_H

/* Largest token id a tokenizer.json may use. The id table has a slot per id up to the largest,
 * so a hostile file's id 2^31 - 1 would ask for gigabytes; real vocabularies stay below 2^18. */
#define TK_MAX_ID ((1 << 24) - 1)

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <pcre2.h>

#include "leakbound/core.h"
#include "leakbound/tokenizer.h"

/* ---- growable byte buffer and piece list (scratch of one encode/decode call) ---- */
typedef struct {
    char *data;
    size_t len, cap;
} tk_buf_t;

typedef struct {
    size_t off, len;   /* byte range in the owning buffer */
    int32_t id;        /* >= 0: an added token already decided; -1: text */
    int at_origin;     /* piece starts at byte 0 of the original input (Metaspace "first") */
} tk_piece_t;

typedef struct {
    tk_piece_t *v;
    size_t n, cap;
} tk_pieces_t;

int tk_buf_reserve(tk_buf_t *b, size_t extra);
int tk_buf_append(tk_buf_t *b, const void *p, size_t n);
void tk_buf_free(tk_buf_t *b);
int tk_pieces_push(tk_pieces_t *p, size_t off, size_t len, int32_t id, int at_origin);
void tk_pieces_free(tk_pieces_t *p);

/* ---- string → int32 hash map over a string pool (open addressing, never shrinks) ---- */
typedef struct {
    uint32_t *slots;   /* (cap) index+1 into keys, 0 = empty */
    size_t cap, n;
    const char **key;  /* (n) key pointers (owned by the pool of whoever inserts) */
    uint32_t *klen;    /* (n) */
    int32_t *val;      /* (n) */
    uint64_t *hash;    /* (n) */
    size_t kcap;
} tk_strmap_t;

uint64_t tk_hash(const char *s, size_t n);
int tk_strmap_put(tk_strmap_t *m, const char *k, size_t n, int32_t v); /* overwrite if present */
int32_t tk_strmap_get(const tk_strmap_t *m, const char *k, size_t n);   /* -1 if absent */
void tk_strmap_free(tk_strmap_t *m);

/* (id, id) → (rank, new id) map for BPE merges. */
typedef struct {
    uint64_t *keys;    /* (cap) a<<32|b, UINT64_MAX = empty */
    int32_t *rank;     /* (cap) */
    int32_t *newid;    /* (cap) */
    size_t cap, n;
} tk_pairmap_t;

int tk_pairmap_init(tk_pairmap_t *m, size_t expected);
void tk_pairmap_put(tk_pairmap_t *m, int32_t a, int32_t b, int32_t rank, int32_t newid);
/* Returns 1 and fills rank/newid when found. */
static inline int tk_pairmap_get(const tk_pairmap_t *m, int32_t a, int32_t b, int32_t *rank,
                                 int32_t *newid) {
    uint64_t k = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    uint64_t h = k * 0x9E3779B97F4A7C15ull;
    size_t mask = m->cap - 1, i = (size_t)(h >> 32) & mask;
    for (;;) {
        uint64_t s = m->keys[i];
        if (s == k) {
            *rank = m->rank[i];
            *newid = m->newid[i];
            return 1;
        }
        if (s == UINT64_MAX) return 0;
        i = (i + 1) & mask;
    }
}
void tk_pairmap_free(tk_pairmap_t *m);

/* ---- string pool: chunked, pointers stay valid ---- */
typedef struct tk_pool_chunk tk_pool_chunk_t;
typedef struct {
    tk_pool_chunk_t *head;
} tk_pool_t;
char *tk_pool_strdup(tk_pool_t *p, const char *s, size_t n); /* NUL-terminated copy */
void *tk_pool_alloc(tk_pool_t *p, size_t n);
void tk_pool_free(tk_pool_t *p);

/* ---- UTF-8 and character classes (Rust char semantics) ---- */
/* Decode one code point at s (n bytes left, valid UTF-8 assumed); returns its length. */
int tk_utf8_decode(const unsigned char *s, size_t n, int32_t *cp);
int tk_utf8_encode(int32_t cp, char out[4]);
/* Offset of the first invalid byte, or (size_t)-1 when s is valid UTF-8. */
size_t tk_utf8_validate(const unsigned char *s, size_t n);
/* Append s to b, replacing invalid sequences with U+FFFD as Rust's from_utf8_lossy does. */
int tk_utf8_lossy_append(tk_buf_t *b, const unsigned char *s, size_t n);
int tk_is_whitespace(int32_t cp);   /* char::is_whitespace */
int tk_is_numeric(int32_t cp);      /* char::is_numeric (Nd, Nl, No) */
int tk_is_alphanumeric(int32_t cp); /* char::is_alphanumeric */

/* ---- patterns (Replace / Split): a literal string or a PCRE2 regex ---- */
typedef struct {
    int is_regex;
    char *lit;          /* literal (NUL-terminated), when !is_regex */
    size_t lit_len;
    pcre2_code *re;     /* compiled with UTF|UCP, JIT when available */
    pcre2_match_context *mctx; /* the match, depth and heap limits below */
    char *shown;        /* the regex as written (at most 200 bytes), for messages */
} tk_pattern_t;

/* Limits on one regex search (a Split/Replace pattern comes from the model folder): the text it
 * searches (a pattern with an unbounded lookahead runs in time quadratic in it), PCRE2's match
 * limit (backtracking steps of one search), depth limit and heap limit (KiB). */
#define TK_REGEX_MAX_TEXT ((size_t)1 << 16)
#define TK_REGEX_MATCH_LIMIT 10000000u
#define TK_REGEX_DEPTH_LIMIT 1000000u
#define TK_REGEX_HEAP_LIMIT_KIB 262144u

/* One match span (byte offsets) or gap. */
typedef struct {
    size_t start, end;
    int is_match;
} tk_span_t;

typedef struct {
    tk_span_t *v;
    size_t n, cap;
    pcre2_match_data *md;   /* per-call match data, sized for the largest pattern */
} tk_spans_t;

int tk_pattern_compile(tk_pattern_t *p, const char *src, size_t len, int is_regex, const char *what,
                       lb_error_t *err);
void tk_pattern_free(tk_pattern_t *p);
/* HF Pattern::find_matches: spans covering [0,n) alternating gaps and matches (an empty input
 * yields one empty gap). Returns 0 or LB_ENOMEM/LB_EINVAL. */
int tk_pattern_find(const tk_pattern_t *p, const char *s, size_t n, tk_spans_t *out, lb_error_t *err);
void tk_spans_free(tk_spans_t *s);

/* HF SplitDelimiterBehavior */
enum { TK_REMOVED, TK_ISOLATED, TK_MERGED_PREV, TK_MERGED_NEXT, TK_CONTIGUOUS };
/* Apply a behaviour to spans in place: the result lists the ranges to keep (is_match = 0) and
 * the ranges to drop (is_match = 1, Removed only). */
void tk_spans_apply_behavior(tk_spans_t *s, int behavior);

/* ---- components ---- */
enum {
    TK_N_NFC, TK_N_NFD, TK_N_NFKC, TK_N_NFKD, TK_N_LOWERCASE, TK_N_PREPEND, TK_N_REPLACE,
    TK_N_STRIP, TK_N_SEQUENCE
};
typedef struct tk_normalizer {
    int type;
    char *str;               /* Prepend text / Replace content */
    size_t str_len;
    tk_pattern_t pat;        /* Replace */
    int left, right;         /* Strip */
    struct tk_normalizer *sub;
    size_t n_sub;
} tk_normalizer_t;

enum {
    TK_P_BYTELEVEL, TK_P_SPLIT, TK_P_METASPACE, TK_P_DIGITS, TK_P_WHITESPACE, TK_P_WHITESPACE_SPLIT,
    TK_P_SEQUENCE
};
enum { TK_PREPEND_ALWAYS, TK_PREPEND_FIRST, TK_PREPEND_NEVER };
typedef struct tk_pretok {
    int type;
    int add_prefix_space, use_regex;     /* ByteLevel */
    tk_pattern_t pat;                    /* Split; ByteLevel's GPT-2 regex; Whitespace */
    int behavior, invert;                /* Split */
    char repl[5];                        /* Metaspace replacement char (UTF-8) */
    int32_t repl_cp;
    size_t repl_len;
    int prepend_scheme, split;           /* Metaspace */
    int individual_digits;               /* Digits */
    struct tk_pretok *sub;
    size_t n_sub;
} tk_pretok_t;

enum { TK_D_BYTELEVEL, TK_D_BYTEFALLBACK, TK_D_METASPACE, TK_D_REPLACE, TK_D_STRIP, TK_D_FUSE,
       TK_D_SEQUENCE };
typedef struct tk_decoder {
    int type;
    tk_pattern_t pat;         /* Replace */
    char *str;                /* Replace content */
    size_t str_len;
    int32_t content_cp;       /* Strip */
    size_t start, stop;       /* Strip */
    int32_t repl_cp;          /* Metaspace */
    int prepend_scheme;       /* Metaspace */
    struct tk_decoder *sub;
    size_t n_sub;
} tk_decoder_t;

/* Post-processing reduced to what a single sequence needs: ids before and after. */
typedef struct {
    int present;
    int32_t *pre, *post;
    size_t n_pre, n_post;
} tk_post_t;

typedef struct {
    char *content;            /* as written in the file */
    size_t len;
    char *match;              /* what is searched for (normalized content when normalized) */
    size_t match_len;
    int32_t id;
    int special, single_word, lstrip, rstrip, normalized;
} tk_added_t;

/* Leftmost-longest matcher over a set of added tokens. */
typedef struct {
    tk_added_t **tok;         /* (n) */
    size_t n;
    uint8_t first[256];       /* first bytes present */
} tk_matcher_t;

/* BPE encode cache entry: pre-token → ids. */
typedef struct {
    tk_strmap_t map;          /* pre-token → index into ids_off */
    tk_pool_t pool;
    int32_t **ids;            /* (n) each [len, id...] */
    size_t n, cap;
    pthread_mutex_t lock;
} tk_cache_t;

struct lb_tokenizer {
    char *name;                    /* file name, for messages */
    tk_pool_t pool;                /* token strings */
    /* model */
    tk_strmap_t vocab;             /* model vocabulary */
    tk_pairmap_t merges;
    int byte_level;                /* vocabulary in GPT-2's byte-to-char alphabet */
    int byte_fallback, fuse_unk, ignore_merges;
    int32_t unk_id;                /* -1 if none */
    char *cont_prefix, *eow_suffix;
    size_t cont_prefix_len, eow_suffix_len;
    int32_t byte_ids[256];         /* byte_fallback: id of "<0xXX>" or -1 */
    tk_cache_t cache;
    /* id → token */
    const char **id_tok;           /* (n_ids) NULL where no token */
    uint32_t *id_len;              /* (n_ids) */
    uint8_t *id_special;           /* (n_ids) 1 = added special token */
    size_t n_ids;
    size_t model_vocab;            /* number of model vocabulary entries */
    size_t vocab_size;             /* HF get_vocab_size(true), computed once at load */
    /* added tokens */
    tk_added_t *added;
    size_t n_added;
    tk_strmap_t added_map;         /* content → id */
    tk_matcher_t m_raw, m_norm;    /* non-normalized / normalized tokens */
    /* pipeline */
    tk_normalizer_t *normalizer;   /* NULL = none */
    tk_pretok_t *pretok;
    tk_decoder_t *decoder;
    tk_post_t post;
    int trunc_max;                 /* -1 = no truncation */
    int trunc_left;
    size_t max_pattern_groups;
};

/* Scratch state of one encode call. */
typedef struct {
    tk_buf_t a, b, c;
    tk_pieces_t pa, pb, pc;
    tk_spans_t spans;
    int32_t *cp; size_t cp_cap;     /* code points of one piece */
    void *bpe; size_t bpe_cap;      /* BPE symbols and heap */
} tk_scratch_t;
void tk_scratch_free(tk_scratch_t *s);

/* Stages. Each appends to out/op from the pieces in/ip (text pieces are processed, id pieces
 * are copied through). */
int tk_normalize(const tk_normalizer_t *n, const char *s, size_t len, tk_buf_t *out,
                 tk_scratch_t *sc, lb_error_t *err);
int tk_pretokenize(const tk_pretok_t *p, const tk_buf_t *in, const tk_pieces_t *ip, tk_buf_t *out,
                   tk_pieces_t *op, tk_scratch_t *sc, lb_error_t *err);
int tk_bpe_encode_word(const lb_tokenizer_t *t, const char *w, size_t n, int32_t **ids, size_t *n_ids,
                       size_t *cap_ids, tk_scratch_t *sc, lb_error_t *err);

/* GPT-2 byte ↔ char alphabet. */
extern const int32_t tk_byte_to_cp[256];
int tk_cp_to_byte(int32_t cp); /* -1 when cp is not in the alphabet */

/* Loader helpers (load_components.c). */
#include <jansson.h>
int tk_load_normalizer(json_t *j, tk_normalizer_t *out, const char *file, lb_error_t *err);
int tk_load_pretok(json_t *j, tk_pretok_t *out, const char *file, lb_error_t *err);
int tk_load_decoder(json_t *j, tk_decoder_t *out, const char *file, lb_error_t *err);
int tk_load_post(json_t *j, lb_tokenizer_t *t, const char *file, lb_error_t *err);
void tk_normalizer_free(tk_normalizer_t *n);
void tk_pretok_free(tk_pretok_t *p);
void tk_decoder_free(tk_decoder_t *d);

#endif
