/* scores_internal.h — the pieces of lb_scores_read (private to the score module and its fuzz
 * target): the fast line reader (scores_fast.c) and jansson's bump allocator (scores_alloc.c). */
#ifndef LEAKBOUND_SCORES_INTERNAL_H
#define LEAKBOUND_SCORES_INTERNAL_H

#include <stddef.h>

#include "leakbound/score.h"

/* *out = *cfg with its NULL text_field, id_field, path and field set as lb_score_cfg_default
 * sets them (the one place that reads NULL as the default). */
void lbi_score_cfg_fill(const lb_score_cfg_t *cfg, lb_score_cfg_t *out);

/* A line read by the fast path (scores_fast.c). */
typedef struct lb_scores_fast_line {
    int id_is_int;
    long long id_int;   /* when id_is_int */
    const char *id_str; /* otherwise: the id's bytes in the line (no escapes), id_len of them */
    size_t id_len;
    size_t count;       /* scores written to vals */
    int has_sample;     /* the line has an integer "sample" field ... */
    long long sample;   /* ... with this value */
} lb_scores_fast_line_t;

/* Parse the line s[0..n) when it is in the fast subset (a JSON object with a plain-string or
 * short-integer "id", "score" or a non-empty "scores" array of numbers in [0, 1], and other
 * fields only plain scalars; no escapes, no non-ASCII, no duplicate keys): returns 1 with *o
 * filled and the scores in vals[0 .. o->count), count <= cap. Returns 0 for every other line
 * (including every malformed one), which the caller then parses with jansson; vals may have
 * been written. Thread-safe. */
/* A "sample" field must be an integer >= -1 (else the line is declined and jansson's path
 * reports it); it numbers the answer on a line with one score and is ignored on a line with
 * several, except -1 (the greedy answer), which declines such a line. */
int lbi_scores_fast_parse(const char *s, size_t n, lb_scores_fast_line_t *o, double *vals, size_t cap);

/* jansson's allocator during parsing (scores_alloc.c): per-thread bump chunks, free a
 * no-op. begin installs it (0, or -1 out of memory); rewind releases every value allocated
 * since the last rewind at once; end frees the chunks and restores malloc/free. No jansson
 * value may be alive across rewind or end. */
int lbi_scores_alloc_begin(void);
void lbi_scores_alloc_rewind(void);
void lbi_scores_alloc_end(void);

#endif
