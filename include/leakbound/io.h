/*
 * leakbound/io.h — reading and writing the files leakbound exchanges with other tools.
 *
 * Contract
 * - JSONL: one JSON value per line, parsed with jansson. Lines are split on "\n" only (JSON
 *   strings may hold raw U+2028/U+2029); a trailing "\r" is dropped; blank lines are skipped.
 *   A malformed line is an error naming "<file>:<line>:<column>". "-" means stdin.
 * - Atomic output: lb_io_atomic_* writes to "<path>.tmp.<pid>" and renames it over <path> only on
 *   commit, so a reader never sees a half-written file. "-" means stdout (written directly;
 *   callers buffer a whole document first when a partial stdout document must not appear).
 */
#ifndef LEAKBOUND_IO_H
#define LEAKBOUND_IO_H

#include <stdio.h>
#include <jansson.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_jsonl_reader {
    FILE *fp;
    int owns_fp;
    char *path;       /* for messages; "<stdin>" for "-" */
    char *line;       /* getline buffer, reused across lines */
    size_t line_cap;
    long lineno;      /* 1-based number of the line last returned */
} lb_jsonl_reader_t;

/* Open path ("-" for stdin). Returns 0 or LB_EIO with a message naming the file. */
int lb_jsonl_open(lb_jsonl_reader_t *r, const char *path, lb_error_t *err);

/* Read the next non-blank line into *out (a new reference the caller must json_decref).
 * Returns 1 when a value was read, 0 at end of file, LB_EFORMAT/LB_EIO on error
 * ("<file>:<line>:<col>: <jansson message>"). */
int lb_jsonl_next(lb_jsonl_reader_t *r, json_t **out, lb_error_t *err);

void lb_jsonl_close(lb_jsonl_reader_t *r);

/* Read a whole file into a NUL-terminated malloc'd buffer (caller frees). "-" is stdin. */
int lb_io_read_file(const char *path, char **data, size_t *len, lb_error_t *err);

typedef struct lb_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;   /* NULL when writing to stdout */
} lb_atomic_file_t;

/* Begin writing path ("-" = stdout). Nothing appears at path until lb_atomic_commit. */
int lb_atomic_open(lb_atomic_file_t *f, const char *path, lb_error_t *err);
/* Flush, fsync and rename over path. Returns 0 or LB_EIO (the temporary is removed). */
int lb_atomic_commit(lb_atomic_file_t *f, lb_error_t *err);
/* Discard: remove the temporary, leave any existing file at path untouched. */
void lb_atomic_abort(lb_atomic_file_t *f);

#ifdef __cplusplus
}
#endif
#endif
