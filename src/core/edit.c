/* Levenshtein distance, for "did you mean ...?" hints (unknown flags, unknown config keys). */
#include "leakbound/core.h"

#include <stdint.h>

size_t lb_edit_distance(const char *a, size_t la, const char *b, size_t lb) {
    size_t row[128];
    if (la > 127 || lb > 127) return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}
