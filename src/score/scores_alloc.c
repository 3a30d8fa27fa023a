/* A per-thread bump allocator for jansson while lb_scores_read parses its input.
 *
 * Parsing 10 million scores creates 10 million jansson values that live only until their
 * numbers are copied out; with malloc/free that churn (allocation, free, consolidation, page
 * faults as memory is returned and taken back) costs about a fifth of the run. jansson lets a
 * program install its own allocator (json_set_alloc_funcs): here each OpenMP thread bumps
 * through its own chunks, free is a no-op, and the chunks are rewound after every batch and
 * reused. Only valid while no jansson value outlives a batch: lb_scores_read guarantees that
 * and restores malloc/free before any other JSON is built. */
#include "scores_internal.h"

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES ((size_t)1 << 20)
#define ALIGN 16

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    /* data follows, ALIGN-aligned */
} chunk_t;

typedef struct thread_arena {
    chunk_t *head;    /* chunks in use, newest first */
    chunk_t *spare;   /* rewound chunks, ready for reuse */
    char pad[64 - 2 * sizeof(chunk_t *)]; /* one cache line per thread */
} thread_arena_t;

static thread_arena_t *arenas;
static int n_arenas;

static inline unsigned char *chunk_data(chunk_t *c) {
    return (unsigned char *)c + ((sizeof(chunk_t) + ALIGN - 1) & ~(size_t)(ALIGN - 1));
}

static chunk_t *chunk_new(size_t need) {
    size_t cap = need > CHUNK_BYTES ? need : CHUNK_BYTES;
    size_t hdr = (sizeof(chunk_t) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    chunk_t *c = malloc(hdr + cap);
    if (!c) return NULL;
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

static void *arena_malloc(size_t size) {
    int t = omp_get_thread_num();
    if (t < 0 || t >= n_arenas) return NULL;
    thread_arena_t *a = &arenas[t];
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    chunk_t *c = a->head;
    if (!c || c->cap - c->used < size) {
        if (a->spare && a->spare->cap >= size) {
            c = a->spare;
            a->spare = c->next;
        } else if (!(c = chunk_new(size))) {
            return NULL;
        }
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = chunk_data(c) + c->used;
    c->used += size;
    return p;
}

static void arena_free(void *p) { (void)p; }

int lbi_scores_alloc_begin(void) {
    n_arenas = omp_get_max_threads();
    arenas = calloc((size_t)n_arenas, sizeof *arenas);
    if (!arenas) return -1;
    json_set_alloc_funcs(arena_malloc, arena_free);
    return 0;
}

void lbi_scores_alloc_rewind(void) {
    for (int t = 0; t < n_arenas; t++) {
        thread_arena_t *a = &arenas[t];
        while (a->head) {
            chunk_t *c = a->head;
            a->head = c->next;
            c->next = a->spare;
            a->spare = c;
        }
    }
}

void lbi_scores_alloc_end(void) {
    json_set_alloc_funcs(malloc, free);
    for (int t = 0; arenas && t < n_arenas; t++) {
        for (chunk_t *lists[2] = {arenas[t].head, arenas[t].spare}, **l = lists; l < lists + 2; l++) {
            for (chunk_t *c = *l, *next; c; c = next) {
                next = c->next;
                free(c);
            }
        }
    }
    free(arenas);
    arenas = NULL;
    n_arenas = 0;
}
