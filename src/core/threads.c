/* The default thread count on a shared machine (core.h): the one rule the CLI and the library's
 * eval jobs apply when the caller chose no thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "leakbound/core.h"

/* procs_running from a /proc/stat-format file: processes runnable at this instant, the caller
 * included; -1 when unreadable. */
static long procs_running(const char *stat_path) {
    FILE *f = fopen(stat_path, "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "procs_running %ld", &v) == 1) break;
    fclose(f);
    return v;
}

int lb_core_default_threads(int ncpu, const char *stat_path) {
    if (!stat_path) {
        const char *env = getenv("LB_PROC_STAT");
        stat_path = env ? env : "/proc/stat";
    }
    long busy = -1;
    for (int i = 0; i < 3; i++) { /* the fewest of three looks, 2 ms apart: a persistent load */
        long r = procs_running(stat_path);
        if (r < 0) return ncpu > 0 ? ncpu : 1;
        if (busy < 0 || r - 1 < busy) busy = r - 1 > 0 ? r - 1 : 0;
        if (i < 2) nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    long n = (long)ncpu - busy;
    return n < 1 ? 1 : (int)n;
}
