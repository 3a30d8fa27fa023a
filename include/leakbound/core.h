/*
 * leakbound/core.h — the base every module stands on: error reports and the arena.
 *
 * Contract
 * - Errors: a function that can fail takes an `lb_error_t *err` (may be NULL) and returns
 *   0 on success or a negative `LB_E*` code. On failure it writes a one-line, human-readable
 *   message into err->msg that names the file and place where possible ("data.jsonl:12: ...").
 *   Nothing is printed by library code; only `cli` prints.
 * - Arena: one bump allocator per run. Memory is handed out in 64-byte-aligned chunks and freed
 *   all at once (lb_arena_reset / lb_arena_free). Hot loops (per token, per training step,
 *   per prompt) allocate from an arena sized up front, never from malloc.
 * - Exports: LB_API opens every function and data declaration of the public headers; the
 *   library is compiled with hidden visibility, so libleakbound.so exports exactly those.
 */
#ifndef LEAKBOUND_CORE_H
#define LEAKBOUND_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* Marks a public function or data object: default visibility, exported by libleakbound.so
 * (every other library symbol is hidden). Empty for compilers without GCC's attributes. */
#if defined(__GNUC__) || defined(__clang__)
#define LB_API __attribute__((visibility("default")))
#else
#define LB_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum {
    LB_OK = 0,
    LB_EINVAL = -1,   /* bad argument or bad input data */
    LB_EIO = -2,      /* read/write failed */
    LB_ENOMEM = -3,   /* allocation failed or arena exhausted */
    LB_EFORMAT = -4,  /* malformed file (JSON, safetensors, ...) */
    LB_EUNSUPPORTED = -5,
    LB_ECANCELED = -6 /* the caller's hook asked the run to stop (lb_eval_hooks_t) */
};

/* The library's binary interface revision: raised whenever a public struct layout or a
 * function signature that bindings (python/leakbound) call changes. */
#define LB_ABI_VERSION 1

/* LB_ABI_VERSION as compiled into the library (a binding compares it with the revision it was
 * written for, and so recognises a library that is not libleakbound at all: no such symbol). */
LB_API int lb_abi_version(void);

typedef struct lb_error {
    int code;
    char msg[1024];
} lb_error_t;

/* Set err (if non-NULL) to code and a printf-style message; returns code so callers can
 * `return lb_error_set(err, LB_EINVAL, "...")`. */
LB_API int lb_error_set(lb_error_t *err, int code, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with "prefix: " (used to add a file name on the way up). */
LB_API void lb_error_prefix(lb_error_t *err, const char *fmt,
                            ...) __attribute__((format(printf, 2, 3)));

/* The library's version ("MAJOR.MINOR.PATCH", from CMake's project(VERSION)): the one version
 * string; the CLI prints it, reports record it and Python's leakbound.__version__ reads it.
 * Never NULL, never freed. */
LB_API const char *lb_version(void);

/* ---- memory plans: what a run will hold at most, checked before it is allocated ---------- */

typedef struct lb_mem_plan {
    double weights;  /* model weights (mapped from the file and copied) */
    double kv;       /* KV cache */
    double scratch;  /* activations, logits, work space */
} lb_mem_plan_t;

/* Bytes of memory available now: MemAvailable of /proc/meminfo, else the free pages; 0 when
 * unknown. */
LB_API double lb_mem_available(void);

/* A memory size as the CLI's --kv-budget takes it: a positive number with an optional K, M or
 * G (binary: 1024, 1024^2, 1024^3; "B" or "iB" may follow), e.g. 512M, 4G, 1.5GiB; at least 1
 * byte, at most 1e18. Returns 0 and *out, or -1 (*out untouched). */
LB_API int lb_mem_size_parse(const char *s, size_t *out);

/* "12.3 MB" / "4.56 GB" into buf (cap bytes). */
LB_API void lb_mem_bytes_str(double bytes, char *buf, size_t cap);

/* Refuse a plan above the memory available now: returns LB_ENOMEM with "<what>: the memory
 * plan needs T (weights W, KV cache K, scratch S) but A is available: <hint>", else 0 (also
 * when the available memory is unknown). *total (may be NULL) gets the plan's sum. */
LB_API int lb_mem_plan_check(const lb_mem_plan_t *p, const char *what, const char *hint,
                             double *total, lb_error_t *err);

/* ---- threads on a shared machine ----------------------------------------------------------- */

/* The default thread count when the caller chose none: ncpu minus the other processes runnable
 * now (procs_running of stat_path minus the caller; the fewest of three looks 2 ms apart, so a
 * passing blip does not count), at least 1; ncpu (at least 1) when the file cannot be read or
 * has no procs_running line. OpenMP threads that outnumber the free cores wait at every barrier
 * for a preempted partner, which made 2 threads slower than 1 beside one busy process.
 * stat_path NULL: $LB_PROC_STAT when set (a stand-in file for tests), else /proc/stat. The CLI
 * applies it at start and lb_eval_job_sample/lb_eval_job_eval when their "threads" was not set,
 * both only when OMP_NUM_THREADS is unset. Takes about 4 ms. */
LB_API int lb_core_default_threads(int ncpu, const char *stat_path);

/* A flag's number from its whole text s: a finite double (strtod's syntax) or a base-10 long,
 * with nothing after it. Returns 0 with *out set, or -1 (*out unchanged) for NULL, an empty or
 * partly numeric text, an overflow, or a double that is inf or nan. The one number reading of
 * every options setter (lb_eval_opts_set, lb_score_opts_set, lb_stats_options_set, the CLI). */
LB_API int lb_core_parse_double(const char *s, double *out);

/* The base-10 long of lb_core_parse_double's rules (no fraction, no hex): 0 or -1. */
LB_API int lb_core_parse_long(const char *s, long *out);

/* The Levenshtein distance between a (la bytes) and b (lb bytes): the fewest single-byte
 * insertions, deletions and substitutions that turn one into the other; SIZE_MAX when either is
 * longer than 127 bytes. For "did you mean ...?" hints (unknown flags, unknown config keys). */
LB_API size_t lb_edit_distance(const char *a, size_t la, const char *b, size_t lb);

typedef struct lb_arena {
    unsigned char *base;
    size_t cap;    /* bytes reserved */
    size_t used;   /* bytes handed out */
    size_t peak;   /* high-water mark, for sizing reports */
} lb_arena_t;

/* Reserve cap bytes. Returns 0 or LB_ENOMEM. */
LB_API int lb_arena_init(lb_arena_t *a, size_t cap, lb_error_t *err);
/* 64-byte aligned, uninitialised memory, or NULL when the arena is exhausted. */
LB_API void *lb_arena_alloc(lb_arena_t *a, size_t bytes);
/* Like lb_arena_alloc but zero-filled. */
LB_API void *lb_arena_calloc(lb_arena_t *a, size_t count, size_t size);
/* Mark/rewind: everything allocated after the mark is released. */
LB_API size_t lb_arena_mark(const lb_arena_t *a);
/* Release everything allocated after `mark` (a mark above the current use is ignored). */
LB_API void lb_arena_rewind(lb_arena_t *a, size_t mark);
/* Release everything; the buffer stays allocated for reuse. */
LB_API void lb_arena_reset(lb_arena_t *a);
/* Free the buffer and zero *a (a zeroed arena may be freed again). */
LB_API void lb_arena_free(lb_arena_t *a);

/* Make room for need elements of elem bytes in the growable array *buf of *cap elements:
 * nothing when need <= *cap, else realloc to the first power-of-two multiple of *cap (16 when
 * it is 0) that holds need, updating *buf and *cap. Returns 0, or LB_ENOMEM (allocation failed
 * or the size overflows size_t), leaving *buf and *cap as they were. The one growth rule behind
 * every growable array of leakbound's readers and scorers. */
LB_API int lb_grow(void **buf, size_t *cap, size_t need, size_t elem);

/* splitmix64 (Steele, Lea and Flood, 2014): advance *state by the golden-ratio increment and
 * return its mix. The one definition behind every seeded stream of leakbound (the generated
 * benchmark, RNG seeding, initial weights, the training order): changing it changes every
 * seeded output. */
static inline uint64_t lb_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#ifdef __cplusplus
}
#endif
#endif
