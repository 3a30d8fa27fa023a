/* parse.c — a flag's number from its text (lb_core_parse_double, lb_core_parse_long): the one
 * reading of numbers that every options setter (eval, score, stats, the CLI) shares. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "leakbound/core.h"

int lb_core_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int lb_core_parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || end == s || *end) return -1;
    *out = v;
    return 0;
}
