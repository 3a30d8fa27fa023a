/* Memory plans (core.h): the one check every command that loads a model runs before it
 * allocates the model's working memory (sample, generate, the judge). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakbound/core.h"

double lb_mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
    if (f) fclose(f);
    if (kb > 0) return kb * 1024.0;
    long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? (double)pages * (double)psz : 0;
}

void lb_mem_bytes_str(double b, char *buf, size_t cap) {
    if (b >= 1e9) snprintf(buf, cap, "%.2f GB", b / 1e9);
    else snprintf(buf, cap, "%.1f MB", b / 1e6);
}

int lb_mem_plan_check(const lb_mem_plan_t *p, const char *what, const char *hint, double *total,
                      lb_error_t *err) {
    double t = p->weights + p->kv + p->scratch, avail = lb_mem_available();
    if (total) *total = t;
    if (!(avail > 0 && t > avail)) return LB_OK;
    char st[32], sw[32], skv[32], ss[32], sa[32];
    lb_mem_bytes_str(t, st, sizeof st);
    lb_mem_bytes_str(p->weights, sw, sizeof sw);
    lb_mem_bytes_str(p->kv, skv, sizeof skv);
    lb_mem_bytes_str(p->scratch, ss, sizeof ss);
    lb_mem_bytes_str(avail, sa, sizeof sa);
    return lb_error_set(err, LB_ENOMEM, "%s%sthe memory plan needs %s (weights %s, KV cache %s, "
                        "scratch %s) but %s is available: %s", what ? what : "", what ? ": " : "",
                        st, sw, skv, ss, sa, hint);
}

int lb_mem_size_parse(const char *s, size_t *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0)) return -1;
    double mul = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1024.0; break;
        case 'm': case 'M': mul = 1048576.0; break;
        case 'g': case 'G': mul = 1073741824.0; break;
        default: return -1;
        }
        if (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB")) return -1;
    }
    v *= mul;
    if (v < 1 || v > 1e18) return -1;
    *out = (size_t)v;
    return 0;
}
