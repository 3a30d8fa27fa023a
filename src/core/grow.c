/* lb_grow: the growable-array rule (core.h). */
#include <stdint.h>
#include <stdlib.h>

#include "leakbound/core.h"

int lb_grow(void **buf, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return LB_ENOMEM;
        nc *= 2;
    }
    if (elem && nc > SIZE_MAX / elem) return LB_ENOMEM;
    void *nb = realloc(*buf, nc * elem);
    if (!nb) return LB_ENOMEM;
    *buf = nb;
    *cap = nc;
    return 0;
}
