/*
 * leakbound/io.h — reading and writing the files leakbound exchanges with other tools.
 *
 * Contract
 * - JSONL: one JSON value per line, parsed with jansson. Lines are split on "\n" only (JSON
 *   strings may hold raw U+2028/U+2029); a trailing "\r" is dropped; blank lines are skipped.
 *   A malformed line is an error naming "<file>:<line>:<column>". "-" means stdin.
 * - Atomic output: lb_atomic_* writes to "<path>.tmp.<pid>.<random>" (created O_EXCL: a name
 *   no other process, container or NFS client can share) and renames it over <path> only on
 *   commit, so a reader never sees a half-written file. "-" means stdout (written directly;
 *   callers buffer a whole document first when a partial stdout document must not appear).
 *   Every write failure names the file and the reason (strerror).
 * - Atomic folders: a command that writes several files into OUT builds them in a temporary
 *   sibling folder (lb_io_dir_begin: "<parent>/.<name>.tmp-<pid>-<random>") and puts them in
 *   place at the end (lb_io_dir_commit), holding the destination's lock (lb_io_lock_*) from
 *   begin to commit, so two runs never write one OUT at once; on failure (lb_io_dir_abort) the
 *   temporary folder is removed and OUT is untouched. The commit never moves, replaces or
 *   removes an entry of OUT the command does not own (docs/guarantees.md).
 * - SIGINT and SIGTERM (where the process left them at their default action) remove the
 *   temporary folders and files in progress before the process dies.
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
LB_API int lb_jsonl_open(lb_jsonl_reader_t *r, const char *path, lb_error_t *err);

/* Read the next non-blank line into *out (a new reference the caller must json_decref).
 * Returns 1 when a value was read, 0 at end of file, LB_EFORMAT/LB_EIO on error
 * ("<file>:<line>:<col>: <jansson message>"). */
LB_API int lb_jsonl_next(lb_jsonl_reader_t *r, json_t **out, lb_error_t *err);

/* Close the file (not stdin), free the reader's buffers and zero *r. */
LB_API void lb_jsonl_close(lb_jsonl_reader_t *r);

/* Read a whole file into a NUL-terminated malloc'd buffer (caller frees). "-" is stdin. */
LB_API int lb_io_read_file(const char *path, char **data, size_t *len, lb_error_t *err);

typedef struct lb_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;   /* NULL when writing to stdout */
    int reg;          /* internal: 1 + its slot among the temporaries removed on SIGINT/SIGTERM */
} lb_atomic_file_t;

/* Begin writing path ("-" = stdout). Nothing appears at path until lb_atomic_commit. */
LB_API int lb_atomic_open(lb_atomic_file_t *f, const char *path, lb_error_t *err);
/* Flush, fsync and rename over path. Returns 0 or LB_EIO (the temporary is removed). */
LB_API int lb_atomic_commit(lb_atomic_file_t *f, lb_error_t *err);
/* Discard: remove the temporary, leave any existing file at path untouched. */
LB_API void lb_atomic_abort(lb_atomic_file_t *f);
/* Write len bytes to f. Returns 0 or LB_EIO "<path>: write failed: <strerror>" (f stays open:
 * the caller aborts it). */
LB_API int lb_atomic_write(lb_atomic_file_t *f, const void *data, size_t len, lb_error_t *err);

/* The whole file at once: open, write len bytes, commit (abort on any failure, so an existing
 * file at path stays as it was). Returns 0 or the error of the step that failed. */
LB_API int lb_atomic_write_file(const char *path, const void *data, size_t len, lb_error_t *err);

/* A JSON document as a whole file: doc dumped as leakbound writes its documents (2-space
 * indent, keys in insertion order, reals to 17 significant digits) plus a final newline, then
 * lb_atomic_write_file (an existing file at path stays as it was on any failure). doc is not
 * changed. Returns 0, LB_ENOMEM (the dump) or the error of the write. */
LB_API int lb_atomic_write_json(const char *path, const json_t *doc, lb_error_t *err);

/* An advisory lock on a destination (a folder or a file): flock(2) on the lock file
 * "<parent>/.<name>.lock" beside it (created when missing, never removed: removing a lock file
 * lets two processes lock two different files of one name). Every leakbound command that writes
 * an output folder or an -o file holds it from its first write to its commit, so a second run
 * into the same destination is refused (or waits) instead of mixing or deleting files. The
 * lock is released by lb_io_lock_release or when the process ends, however it ends; it is
 * advisory (only leakbound takes it) and, on NFS, as good as the server's lock support. */
typedef struct lb_io_lock {
    int fd;   /* the lock file's descriptor (valid while held) */
    int held; /* 1 while held; a zeroed lock is not held */
} lb_io_lock_t;

/* Flags of lb_io_lock_acquire and lb_io_dir_begin. */
enum {
    LB_IO_WAIT = 1,   /* wait for the lock instead of refusing at once */
    LB_IO_NOLOCK = 2, /* lb_io_dir_begin: take no lock and recover nothing: the caller already
                         holds a lock on a folder that contains out (e.g. demo's steps) */
};

/* Take the lock of path (a trailing "/" is ignored; a link is not resolved here). flags: 0,
 * LB_IO_WAIT, or LB_IO_NOLOCK (returns 0 holding nothing). Errors: LB_EINVAL "another leakbound run is writing <path> (it holds <lock
 * file>); wait for it or pass --wait" when another process (or another lock of this process)
 * holds it and LB_IO_WAIT is not given; LB_EIO naming the lock file when it cannot be created
 * or locked (the parent is missing or read-only); LB_ENOMEM. */
LB_API int lb_io_lock_acquire(lb_io_lock_t *l, const char *path, int flags, lb_error_t *err);

/* Release the lock (the lock file stays). Safe on a zeroed or released lock. */
LB_API void lb_io_lock_release(lb_io_lock_t *l);

/* A folder written as one (see the contract). Use:
 *
 *     lb_io_dir_t d;
 *     if ((rc = lb_io_dir_begin(&d, out, owned, 0, err))) return rc;
 *     ... write every file under d.path (lb_atomic_* or plain files; subfolders too) ...
 *     if (rc) lb_io_dir_abort(&d);          // OUT untouched, d.path removed
 *     else rc = lb_io_dir_commit(&d, err);  // OUT now holds the new set
 *
 * Messages about a file should name the file actually written (under d.path). */
typedef struct lb_io_dir {
    char *out;    /* the final folder (a link to a folder is resolved: the folder is replaced) */
    char *path;   /* the temporary sibling to write into: "<parent>/.<name>.tmp-<pid>-<random>" */
    int keep;     /* 1: lb_io_dir_abort leaves path in place (a failed run's logs); the next
                     lb_io_dir_begin on out removes it as stale */
    const char *const *owned; /* the owned patterns given to lb_io_dir_begin */
    lb_io_lock_t lock;        /* out's lock, held from begin to commit/abort */
    int reg;      /* internal: 1 + path's slot among the temporaries removed on SIGINT/SIGTERM */
} lb_io_dir_t;

/* Create out's missing parent folders (as `mkdir -p`), take out's lock (lb_io_lock_acquire
 * with flags: 0, LB_IO_WAIT or LB_IO_NOLOCK), recover what runs killed earlier left, and create
 * the temporary sibling folder of out (out itself need not exist). owned: NULL-terminated
 * fnmatch patterns (FNM_PERIOD) of the names the command writes (its output set, e.g. "report.json", "*.svg"); may be NULL (nothing
 * owned); kept by pointer until the commit.
 * Recovery (with the lock held, so their owners are gone): every ".<name>.tmp-<pid>[-<random>]"
 * and ".<name>.old-<pid>[-<random>]" beside out is stale. This version's ".tmp-<pid>-<random>"
 * folders hold only a dead run's new set: removed. In the others (an older version's
 * ".tmp-<pid>", whose commit moved a user's entries there; ".old-" folders) each entry that is
 * not owned and that out lacks is moved back into out (created if missing); then the folder is
 * removed (kept if such an entry cannot go back).
 * Errors: LB_EINVAL (out is empty, ".", "..", "/" or an existing non-folder; another run holds
 * the lock), LB_EIO (the lock file or the folder cannot be created: the message names it and
 * the reason), LB_ENOMEM. On error nothing is held. */
LB_API int lb_io_dir_begin(lb_io_dir_t *d, const char *out, const char *const *owned, int flags,
                           lb_error_t *err);

/* Put the new set in place, then release d and its lock (whatever the result). It never
 * moves, replaces or removes an entry of out that is not owned:
 * - out missing: the temporary folder is renamed to out (atomic).
 * - out holds only owned entries (or is empty): the two folders are exchanged in one step
 *   (renameat2 RENAME_EXCHANGE; where the file system lacks it: out renamed aside to
 *   ".<name>.old-<pid>-<random>", the new one renamed in) and the old set is removed; an
 *   entry that another program created in out meanwhile is moved back, not removed. Atomic: a
 *   reader sees the old set or the new one.
 * - out holds other entries too (a user's notes, checkpoint-<step>/ folders of a resumable
 *   run, another command's files): each new entry is put in place on its own (renameat2
 *   RENAME_NOREPLACE when out lacks it, RENAME_EXCHANGE over an existing one, which is then
 *   removed), then the owned entries of out that the new set lacks are removed. Each entry is
 *   atomic; the set is not (for microseconds a reader can see some new entries beside old
 *   ones). On a failure the entries already exchanged are exchanged back.
 * The new folder takes the old one's mode. SIGINT/SIGTERM arriving during the commit are held
 * until it ends. Returns 0, or LB_EIO naming out and the reason (out then holds its previous
 * entries). */
LB_API int lb_io_dir_commit(lb_io_dir_t *d, lb_error_t *err);

/* Remove the file or folder tree at path, not following links (a link is removed, not its
 * target); a missing path is fine. Best effort: what cannot be removed stays. */
LB_API void lb_io_remove_tree(const char *path);

/* Discard: remove the temporary folder and everything in it and release the lock; out is
 * untouched. Safe on a zeroed or already released d. */
LB_API void lb_io_dir_abort(lb_io_dir_t *d);

/* SHA-256 (FIPS 180-4, Debian's libnettle) of the bytes of the file at path, as 64 lowercase hex
 * digits and a NUL in hex. Errors: LB_EIO naming the file and the reason. */
LB_API int lb_io_sha256_file(const char *path, char hex[65], lb_error_t *err);

/* SHA-256 of the n files' bytes one after another, in the order given (= sha256 of their
 * concatenation). */
LB_API int lb_io_sha256_files(const char *const *paths, size_t n, char hex[65], lb_error_t *err);

/* SHA-256 of the n bytes at p (p may be NULL when n is 0): 64 lowercase hex digits and a NUL. */
LB_API void lb_io_sha256_bytes(const void *p, size_t n, char hex[65]);

/* SHA-256 of a set of named regular files, in the order given: for each file its name
 * (names[i], as UTF-8), one NUL byte, its size as 8 bytes little-endian, then its bytes (so
 * that no two sets of names and contents hash alike). In Python:
 *   for name, data in files: h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
 * Errors: LB_EIO naming the file (unreadable, not a regular file, or its size changed while it
 * was read). */
LB_API int lb_io_sha256_named(const char *const *paths, const char *const *names, size_t n,
                              char hex[65], lb_error_t *err);

/* Parses the JSON number token that starts at s (strict RFC 8259 grammar:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) and ends at or before end, without a NUL.
 * On success returns 0, *value is the correctly rounded double (the value jansson and strtod
 * give), *is_integer says the token had no fraction and no exponent, *stop is the first byte
 * after the token. Returns LB_EFORMAT when s does not start with a number token, and
 * LB_EUNSUPPORTED when the token is valid but this fast path declines it (an integer of 19+ digits,
 * which jansson reads as an integer that may overflow, a token of 128+ bytes, or a real that
 * overflows): callers then fall back to a full JSON parser for the exact error or value. */
LB_API int lb_io_json_number(const char *s, const char *end, double *value, int *is_integer,
                             const char **stop);

/* json_loadb that accepts every valid JSON number (RFC 8259 sets no limit), as Python's json
 * does. jansson refuses an integer beyond long long ("too big integer": Hugging Face writes
 * "model_max_length": 1000000000000000019884624838656 in most tokenizer_config.json files) and a
 * real beyond the double range; here the first becomes a real (the correctly rounded double)
 * and the second +-DBL_MAX. Every other value is jansson's own (integers that fit stay exact
 * json_int_t), so a reader that range-checks the fields it uses rejects such a value by name.
 * Returns the root (a new reference) or NULL with je filled as json_loadb fills it. */
LB_API json_t *lb_io_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *je);

/* lb_io_json_loadb on the file at path. NULL on failure: *cannot_open = 1 when the file cannot
 * be read (je->text holds "<path>: <reason>"), else 0 and je holds the parse error. */
LB_API json_t *lb_io_json_load_file(const char *path, size_t flags, json_error_t *je,
                                    int *cannot_open);

/* v in a few words for "got ..." in messages: an integer exactly, a real as the shortest %g
 * (6 to 17 significant digits) that reads back as the same double, a string quoted (first 40 bytes), true/false/null, "a list", "an object", or
 * "nothing" for NULL. */
LB_API void lb_io_json_describe(const json_t *v, char *buf, size_t cap);

/* *out = v when v is a JSON integer in [lo, hi]; LB_EFORMAT (out untouched) otherwise (a real,
 * such as a rewritten too-big integer, is out of every range). */
LB_API int lb_io_json_int(const json_t *v, long long lo, long long hi, long long *out);

#ifdef __cplusplus
}
#endif
#endif
