/*
 * leakbound/score.h — the metrics: one table of their names and one dispatch that scores a
 * batch of generations with any of them (ROUGE, keywords and exact match from text.h, the
 * judge from judge.h). `leakbound score`, `leakbound eval` and Python's leakbound.score all
 * score through lb_score_batch, so a metric means the same number everywhere. It also holds
 * the JSONL side: scoring lines as `leakbound score` writes them (lb_score_line,
 * lb_score_stream) and reading a scores file as `leakbound bound` does (lb_scores_read).
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

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

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
LB_API const char *lb_metric_name(int m);

/* Parse a metric name into *m. Returns 0, or LB_EINVAL with err "unknown metric 'X' (N1, N2,
 * ...)" listing every allowed name in table order. */
LB_API int lb_metric_parse(const char *name, lb_metric_t *m, lb_error_t *err);

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
LB_API lb_score_opts_t lb_score_opts_default(void);

/* The judge a scoring run opens (--metric judge): its folder and lb_judge_open's options. */
typedef struct lb_score_judge_cfg {
    const char *dir;      /* --judge DIR; NULL: none given */
    lb_judge_opts_t opts; /* --judge-template, --judge-labels, --judge-batch, --judge-tokenizer */
} lb_score_judge_cfg_t;

/* Set the scoring flag named flag (without "--") to value (kept by pointer; NULL reads as ""):
 * the one reading of these flags that `score`, `eval` and the bindings' jobs (lb_eval_opts_set,
 * lb_eval_job_set) share. Into o: "keyword-match" (word or substring), "strip-prefix"
 * (appended, at most LB_SCORE_MAX_STRIP; "" appends nothing), "judge-threshold" (a number in
 * [0, 1]); with j not NULL also, into j: "judge" (the folder), "judge-template",
 * "judge-labels", "judge-tokenizer" and "judge-batch" (an integer in [1, 4096]). Returns 0;
 * LB_EINVAL with err "--FLAG: expected ..., got 'VALUE'" (or "--strip-prefix: at most N
 * strings"), o and j unchanged; or 1 when flag (NULL included) is none of these (with j NULL:
 * the judge's flags too), nothing changed and err untouched. */
LB_API int lb_score_opts_set(lb_score_opts_t *o, lb_score_judge_cfg_t *j, const char *flag,
                             const char *value, lb_error_t *err);

/* Open the judge that j names into *out (free with lb_judge_free; NULL on failure): the one
 * opening path of `score`, `eval` and `eval --samples`. Returns lb_judge_open(j->dir,
 * &j->opts, ...)'s result, or LB_EINVAL "--metric judge needs --judge DIR (the judge model)"
 * when j or j->dir is NULL. */
LB_API int lb_score_judge_open(const lb_score_judge_cfg_t *j, lb_judge_t **out, lb_error_t *err);

/* The text that is scored (see the contract): *text and *len moved past the stripped prefix. */
LB_API void lb_score_strip(const lb_score_opts_t *o, const char **text, size_t *len);

/* The strip prefix a chat template implies when none is given: "Answer:" for the phi template
 * (its prompt ends at "\n" and the model writes "Answer: " itself, so answers are scored
 * without the tag, as TOFU does), NULL for any other template name (and for NULL). The result
 * is a static string (never freed); thread-safe. The one rule that `eval`, training's checks,
 * the demo (lb_eval_default_strip) and `tofu` (lb_tofu_opts_t.strip NULL) apply. */
LB_API const char *lb_score_default_strip(const char *template_name);

/* A judge score as the metric's value: thresholded to 0/1 when o->judge_threshold >= 0. */
LB_API double lb_score_judge_value(const lb_score_opts_t *o, double score);

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
LB_API int lb_score_batch(const lb_score_opts_t *o, lb_metric_t m, lb_text_scorer_t *s,
                          const lb_score_item_t *items, size_t n, double *scores, double *detail,
                          lb_error_t *err);

/* ---- Scoring JSONL lines (what `leakbound score` and `eval --samples` do per line) ---- */

/* How the lines of one input are scored. */
typedef struct lb_score_cfg {
    lb_metric_t metric;
    const char *field;   /* "reference", "keywords" or --reference-field / --keywords-field */
    const char *text_field; /* "text" or --text-field: a string, an array of strings, or an
                               array of objects with a string "text" */
    const char *id_field;   /* "id" or --id-field: the "id" of lines built from an array */
    const char *prompt_field; /* --prompt-field: the user turn (--metric judge); NULL: see
                                 lb_score_user_field */
    const char *path;    /* input name for messages ("<stdin>" for -) */
    lb_score_opts_t opts;
} lb_score_cfg_t;

/* The defaults of lb_score_cfg_t for metric m: field as lb_score_set_field(cfg, NULL, NULL)
 * sets it ("keywords" for keywords, else "reference"), text_field "text", id_field "id",
 * prompt_field NULL, path "<input>", opts lb_score_opts_default(). lb_score_line,
 * lb_score_text and lb_score_stream read a NULL field, text_field, id_field or path as these
 * defaults (a zeroed cfg scores rougeL-recall of "text" against "reference"). */
LB_API lb_score_cfg_t lb_score_cfg_default(lb_metric_t m);

/* One thread's reusable state: its scorer and room for a line's keyword list. Zero it, then
 * set scorer (lb_text_scorer_new); the owner frees scorer, kw and kw_len. */
typedef struct lb_score_worker {
    lb_text_scorer_t *scorer;
    const char **kw;     /* (kw_cap,) */
    size_t *kw_len;      /* (kw_cap,) */
    size_t kw_cap;
    /* --metric judge: the judge's scores and (p_A, p_B) of the line being scored, in the
       order of its texts, computed before lb_score_line (which only reads them); judge NULL:
       lb_score_text asks cfg->opts.judge for each pair alone. */
    const double *judge, *judge_p;
    size_t judge_n, judge_next;
} lb_score_worker_t;

/* The field rule of `score` and `eval --samples`: set cfg->field, where each line keeps what
 * cfg->metric compares against, from --reference-field (reference_field) and
 * --keywords-field (keywords_field), each NULL when not given: for --metric keywords
 * keywords_field, else reference_field, else "keywords"; for the other metrics
 * reference_field, else "reference" (keywords_field is then not read). The strings are kept
 * by pointer. */
LB_API void lb_score_set_field(lb_score_cfg_t *cfg, const char *reference_field,
                               const char *keywords_field);

/* The field of obj that holds the user turn for --metric judge: --prompt-field when given;
 * else "question" when obj has a string "question" (the item's question before the prompt
 * template, as `sample` and `eval` write it, which is what `eval --metric judge` judges), else
 * "prompt". */
LB_API const char *lb_score_user_field(const lb_score_cfg_t *cfg, json_t *obj);

/* Parse one input line (len bytes, line number lineno), score it and write the output line
 * (without newline; several, joined by newlines, when the text field is an array; none for an
 * empty array) to *out (*out_cap bytes, grown with realloc as needed), *out_len bytes. The
 * output is the line's own bytes with the new fields ("score"; ROUGE: "precision", "recall",
 * "fmeasure"; judge: "p_label_a", "p_label_b"; keywords: "keyword_match") before its closing
 * brace, or the object re-serialised when it already has one of them. Thread-safe with one
 * worker per thread. Returns 0, or LB_EFORMAT/LB_EINVAL with err naming
 * "<path>:<lineno>[:<col>]", or LB_ENOMEM. */
LB_API int lb_score_line(const lb_score_cfg_t *cfg, lb_score_worker_t *w, const char *line,
                         size_t len, long lineno, char **out, size_t *out_cap, size_t *out_len,
                         lb_error_t *err);

/* The generation that one element e of a text field array holds: e when it is a string, else
 * e's string "text" member (vLLM "outputs", OpenAI-style "choices"); NULL when neither. */
LB_API json_t *lb_score_elem_text(json_t *e);

/* Score one generation (text, text_len) of the line object obj (its reference or keywords
 * read as cfg says; --strip-prefix applied) into *score. Returns 0, or LB_EINVAL naming
 * "<path>:<lineno>", LB_ENOMEM. */
LB_API int lb_score_text(const lb_score_cfg_t *cfg, lb_score_worker_t *w, long lineno, json_t *obj,
                         const char *text, size_t text_len, double *score, lb_error_t *err);

/* Score every line of in (JSONL; blank lines skipped; line numbers count them) as
 * lb_score_line does and write the output lines, each ending in a newline, to out in input
 * order. Lines are read in batches of 8192 and scored in parallel (OpenMP, omp_get_max_threads
 * threads); jansson's hash seed is set (json_object_seed(0)) once before any thread starts, so
 * a caller need not seed it (other threads of the caller must not be making their first
 * jansson objects meanwhile); --metric judge scores each batch's pairs in one lb_score_batch
 * call on cfg->opts.judge, and after the first one calls warn(user, msg) once when the judge's labels
 * are unlikely (lb_judge_warn_once; warn NULL: none), before that batch's lines are written
 * (the CLI prints "leakbound score: warning: " msg). Stops at the first
 * bad line: out then holds the lines before its batch (write to a temporary file to keep a
 * result whole). Returns 0, or the first error in input order: LB_EFORMAT/LB_EINVAL (a bad
 * line, as lb_score_line; "<path>: empty input (no JSON lines)"), LB_EIO ("<path>:<line>:
 * read error", or out cannot be written), LB_ENOMEM. */
LB_API int lb_score_stream(const lb_score_cfg_t *cfg, FILE *in, FILE *out, lb_judge_warn_fn warn,
                           void *user, lb_error_t *err);

/* ---- The scores file: what `leakbound bound` reads ---- */

/* Every prompt's scores, grouped: prompt p owns scores[offset[p] .. offset[p+1]). Prompts are
 * numbered in order of first appearance. */
typedef struct lb_scores {
    size_t n_prompts;
    size_t n_scores;
    double *scores;   /* (n_scores) */
    size_t *offset;   /* (n_prompts + 1) */
    /* ids: key bytes of prompt p are keys[key_off[p] .. key_off[p+1]); the first byte is 's'
     * (JSON string, the rest its UTF-8 bytes, NULs allowed) or 'i' (JSON integer, the rest a
     * json_int_t in native byte order). lb_scores_id_json gives it as JSON. */
    char *keys;
    size_t *key_off;  /* (n_prompts + 1) */
    char sha256[65];  /* SHA-256 (hex) of the bytes read (a file, or stdin / a pipe as read) */
    /* The greedy answers: a line with "sample": -1 (as `sample --greedy-too` and `score` write
     * it) is prompt p's greedy score greedy[p], not one of its samples; NaN where p has none.
     * NULL when no line was a greedy one (n_greedy 0). Callers that build an lb_scores_t by
     * hand leave both zero. */
    double *greedy;   /* (n_prompts) or NULL */
    size_t n_greedy;
} lb_scores_t;

/* lb_scores_read's flags. */
#define LB_SCORES_ALLOW_DUPLICATES 1u /* count a repeated (id, "sample") pair as another sample */

/* Read path ("-" = stdin) in the JSONL layout of README.md's Formats section (lines {"id": ID,
 * "score": s} or {"id": ID, "scores": [s, ...]}, ID a string or an integer (one id written one
 * way: "1" on one line and 1 on another is an error naming both lines), s in [0, 1], any
 * number of lines per id in any order; blank lines skipped) into *s (zeroed first; free with
 * lb_scores_free). A line with one score may number its answer with "sample", an integer >= -1
 * (on a line of several scores it is only checked to be one); -1 marks the greedy answer, kept
 * in s->greedy and not counted as a sample (a greedy line holds one score). Each
 * (id, sample) pair may appear once (a file concatenated twice would otherwise double n and
 * tighten every bound unsoundly) unless flags has LB_SCORES_ALLOW_DUPLICATES; a second greedy
 * line for an id (with LB_SCORES_ALLOW_DUPLICATES: one with another score; the same score is
 * kept once), and an id with a greedy line but no sampled score, are errors too. Lines are parsed in parallel (OpenMP) with jansson's allocator replaced by
 * a bump allocator for the call (no other thread may use jansson meanwhile); the result and
 * the error are those of a sequential read: the error is always the first bad line's. Returns
 * 0, or LB_EFORMAT/LB_EINVAL (bad input: "<file>:<line>[:<col>]: ...", "<file>: empty input:
 * ..."), LB_EIO ("<file>: cannot open: ..."), LB_ENOMEM; *s then holds nothing. */
LB_API int lb_scores_read(const char *path, unsigned flags, lb_scores_t *s, lb_error_t *err);

/* Free what lb_scores_read allocated and zero *s (NULL or a zeroed *s: nothing). */
LB_API void lb_scores_free(lb_scores_t *s);

/* Prompt p's id (p < s->n_prompts) as a new JSON value of its original type (string or
 * integer); NULL when out of memory. */
LB_API json_t *lb_scores_id_json(const lb_scores_t *s, size_t p);

/* sizeof(lb_scores_t): a binding that mirrors the struct (Python's ctypes) checks its own
 * layout against it before calling lb_scores_read, and refuses to run on a mismatch. */
LB_API size_t lb_scores_struct_size(void);

/* ---- The ids of a samples or scores file: one bookkeeping for both readers ---- */

/* What `leakbound bound` (lb_scores_read) and `leakbound eval --samples` (lb_eval_from_samples)
 * both refuse about a file's ids, kept in one place: one id written both as an integer and as
 * the string of its digits (1 and "1"); a second greedy answer of an id (with
 * LB_SCORES_ALLOW_DUPLICATES an identical one is kept once, another refused); a repeated (id,
 * "sample") pair unless LB_SCORES_ALLOW_DUPLICATES. Ids are numbered 0, 1, ... in order of first
 * appearance; a key is a type byte ('i': an integer, then its json_int_t in native byte order;
 * 's': a string, then its bytes) as lb_scores_t's keys. Messages are "PATH:LINE: ..." in the
 * wording of the reader named at creation. Opaque; not thread-safe. */
typedef struct lb_score_ids lb_score_ids_t;

/* Whose messages an lb_score_ids_t words. */
typedef enum lb_score_ids_words {
    LB_SCORE_IDS_BOUND = 0,    /* `leakbound bound`: ids as 'text' (cut at 60 bytes) or 12 */
    LB_SCORE_IDS_EVAL_SAMPLES  /* `leakbound eval --samples` */
} lb_score_ids_words_t;

/* A new empty book for the file path (named in every message; kept by pointer: it must
 * outlive the book), flags 0 or LB_SCORES_ALLOW_DUPLICATES, words the messages' wording.
 * Returns 0 or LB_ENOMEM (*out NULL). Free with lb_score_ids_free. */
LB_API int lb_score_ids_new(lb_score_ids_t **out, const char *path, unsigned flags,
                            lb_score_ids_words_t words, lb_error_t *err);

/* Release the book (NULL: nothing). */
LB_API void lb_score_ids_free(lb_score_ids_t *b);

/* The number (*p) of the id on line: an integer (is_int, value ival) or a string (s, len bytes,
 * NUL allowed). A new id is appended (*is_new 1, its first line recorded), unless its other
 * type is already there (the integer i and the string of i's digits as JSON writes them, "-0"
 * and leading zeros not: those are other strings): LB_EINVAL "PATH:LINE: id ... is an integer,
 * but line L's id ... is a string: one id must be written one way in a file ... (mixed id
 * types)", nothing added. Returns 0, LB_EINVAL, LB_ENOMEM. Amortized O(1). */
LB_API int lb_score_ids_prompt(lb_score_ids_t *b, int is_int, long long ival, const char *s,
                               size_t len, long line, size_t *p, int *is_new, lb_error_t *err);

/* A greedy answer ("sample": -1) of id p (< lb_score_ids_count) on line, the answer being len
 * bytes (what makes two answers the same: `bound` passes its score's double, `eval --samples`
 * its text). The id's first: recorded, *take 1. Another: refused, LB_EINVAL "PATH:LINE: ...
 * second greedy answer ... (the first is on line L ...)"; with LB_SCORES_ALLOW_DUPLICATES one of
 * the same bytes is kept once (*take 0, 0 returned), one of other bytes refused. Returns 0,
 * LB_EINVAL, LB_ENOMEM. */
LB_API int lb_score_ids_greedy(lb_score_ids_t *b, size_t p, long line, const void *answer,
                               size_t len, int *take, lb_error_t *err);

/* The sampled answer numbered sample (>= 0) of id p on line: a pair (p, sample) seen before is
 * refused, LB_EINVAL "PATH:LINE: ..." naming the line that brought it first, unless
 * LB_SCORES_ALLOW_DUPLICATES (then nothing is recorded: every repeat counts). Returns 0,
 * LB_EINVAL, LB_ENOMEM. Amortized O(1). */
LB_API int lb_score_ids_sample(lb_score_ids_t *b, size_t p, long long sample, long line,
                               lb_error_t *err);

/* The ids numbered so far. */
LB_API size_t lb_score_ids_count(const lb_score_ids_t *b);

/* Id p's key (*len bytes, the type byte first; owned by the book, valid until the next id is
 * added). p < lb_score_ids_count. */
LB_API const char *lb_score_ids_key(const lb_score_ids_t *b, size_t p, size_t *len);

/* The line where id p first appears. */
LB_API long lb_score_ids_first_line(const lb_score_ids_t *b, size_t p);

/* The line of id p's greedy answer (0: none yet). */
LB_API long lb_score_ids_greedy_line(const lb_score_ids_t *b, size_t p);

/* Id p as the book's messages name it, into buf (cap bytes, truncated): for
 * LB_SCORE_IDS_BOUND 12 or 'text' (cut at 60 bytes, "..." added; the text up to a NUL), for
 * LB_SCORE_IDS_EVAL_SAMPLES the integer's digits or the text. Returns buf. */
LB_API const char *lb_score_ids_name(const lb_score_ids_t *b, size_t p, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
