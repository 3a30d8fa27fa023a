/* The run's bump allocator. One malloc at init; everything after is pointer arithmetic. */
#include "leakbound/core.h"

#include <stdlib.h>
#include <string.h>

#define LB_ARENA_ALIGN 64

int lb_arena_init(lb_arena_t *a, size_t cap, lb_error_t *err) {
    memset(a, 0, sizeof *a);
    cap = (cap + LB_ARENA_ALIGN - 1) & ~(size_t)(LB_ARENA_ALIGN - 1);
    if (cap == 0) cap = LB_ARENA_ALIGN;
    a->base = aligned_alloc(LB_ARENA_ALIGN, cap);
    if (!a->base) return lb_error_set(err, LB_ENOMEM, "cannot reserve %zu bytes for the arena", cap);
    a->cap = cap;
    return LB_OK;
}

void *lb_arena_alloc(lb_arena_t *a, size_t bytes) {
    size_t start = (a->used + LB_ARENA_ALIGN - 1) & ~(size_t)(LB_ARENA_ALIGN - 1);
    if (start > a->cap || bytes > a->cap - start) return NULL;
    a->used = start + bytes;
    if (a->used > a->peak) a->peak = a->used;
    return a->base + start;
}

void *lb_arena_calloc(lb_arena_t *a, size_t count, size_t size) {
    if (size && count > (size_t)-1 / size) return NULL;
    void *p = lb_arena_alloc(a, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

size_t lb_arena_mark(const lb_arena_t *a) { return a->used; }
void lb_arena_rewind(lb_arena_t *a, size_t mark) { if (mark <= a->used) a->used = mark; }
void lb_arena_reset(lb_arena_t *a) { a->used = 0; }

void lb_arena_free(lb_arena_t *a) {
    free(a->base);
    memset(a, 0, sizeof *a);
}
