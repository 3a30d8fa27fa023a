/* Where the bundled default checkpoint and data live (examples/default in the source tree,
 * share/leakbound/default once installed), so `leakbound eval` runs with no flags at all. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int has_model(const char *dir) {
    char p[PATH_MAX + 32];
    struct stat st;
    snprintf(p, sizeof p, "%s/model/config.json", dir);
    return stat(p, &st) == 0;
}

int lb_cli_default_dir(char *out, size_t cap) {
    const char *env = getenv("LEAKBOUND_DEFAULT_DIR");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return has_model(out) ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        /* build/leakbound → ../examples/default; bin/leakbound → ../share/leakbound/default */
        const char *rel[] = {"/../examples/default", "/../share/leakbound/default"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(out, cap, "%s%s", exe, rel[i]);
            if (has_model(out)) return 0;
        }
    }
#ifdef LB_SOURCE_DIR
    snprintf(out, cap, "%s/examples/default", LB_SOURCE_DIR);
    if (has_model(out)) return 0;
#endif
    return -1;
}
