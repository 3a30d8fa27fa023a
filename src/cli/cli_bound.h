/*
 * cli_bound.h — the pieces of `leakbound bound` (private to src/cli): reading the scores
 * (cli_bound_read.c), writing the document (cli_bound_write.c), and the command (cli_bound.c).
 */
#ifndef LEAKBOUND_CLI_BOUND_H
#define LEAKBOUND_CLI_BOUND_H

#include <stdio.h>
#include <jansson.h>

#include "leakbound/core.h"
#include "leakbound/stats.h"

/* Every prompt's scores, grouped: prompt p owns scores[offset[p] .. offset[p+1]). Prompts are
 * numbered in order of first appearance. */
typedef struct bound_input {
    size_t n_prompts;
    size_t n_scores;
    double *scores;   /* (n_scores) */
    size_t *offset;   /* (n_prompts + 1) */
    /* ids: key bytes of prompt p are keys[key_off[p] .. key_off[p+1]); the first byte is 's'
     * (JSON string, the rest its UTF-8 bytes, NULs allowed) or 'i' (JSON integer, the rest a
     * json_int_t in native byte order). */
    char *keys;
    size_t *key_off;  /* (n_prompts + 1) */
    char sha256[65];  /* SHA-256 (hex) of the bytes read (a file, or stdin / a pipe as read) */
} bound_input_t;

/* Read IN ("-" = stdin) in the JSONL layout of README.md's Formats section. Returns 0, or
 * LB_EFORMAT/LB_EINVAL (bad input: message "<file>:<line>[:<col>]: ..."), LB_EIO, LB_ENOMEM. Lines are parsed in
 * parallel (OpenMP); the error reported is always the first bad line. */
int bound_read_input(const char *path, bound_input_t *in, lb_error_t *err);
void bound_input_free(bound_input_t *in);

/* A line read by the fast path (cli_bound_fast.c). */
typedef struct bound_fast_line {
    int id_is_int;
    long long id_int;   /* when id_is_int */
    const char *id_str; /* otherwise: the id's bytes in the line (no escapes), id_len of them */
    size_t id_len;
    size_t count;       /* scores written to vals */
} bound_fast_line_t;

/* Parse the line s[0..n) when it is in the fast subset (a JSON object with a plain-string or
 * short-integer "id", "score" or a non-empty "scores" array of numbers in [0, 1], and other
 * fields only plain scalars; no escapes, no non-ASCII, no duplicate keys): returns 1 with *o
 * filled and the scores in vals[0 .. o->count), count <= cap. Returns 0 for every other line
 * (including every malformed one), which the caller then parses with jansson; vals may have
 * been written. Thread-safe. */
int bound_fast_parse(const char *s, size_t n, bound_fast_line_t *o, double *vals, size_t cap);

/* jansson's allocator during parsing (cli_bound_alloc.c): per-thread bump chunks, free a
 * no-op. begin installs it (0, or -1 out of memory); rewind releases every value allocated
 * since the last rewind at once; end frees the chunks and restores malloc/free. No jansson
 * value may be alive across rewind or end. */
int bound_alloc_begin(void);
void bound_alloc_rewind(void);
void bound_alloc_end(void);

/* The prompt's id as a new JSON value of its original type. */
json_t *bound_id_json(const bound_input_t *in, size_t p);

typedef struct bound_report {
    const lb_stats_options_t *opt;
    const char *method_name;
    double report_above;
    const bound_input_t *in;
    const lb_stats_prompt_t *prompts; /* (n_prompts) */
    json_t *provenance;               /* lb_cli_provenance's object, or NULL (borrowed) */
} bound_report_t;

/* The whole JSON document / the human table, as one malloc'd string (caller frees), so that
 * nothing reaches stdout unless all of it is ready. NULL when out of memory. */
char *bound_render_json(const bound_report_t *r);
char *bound_render_table(const bound_report_t *r);

#endif
