/* lb_model_sha256: one content hash for what lb_model_load (and the tokenizer and generation
 * settings beside it) read from a model folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakbound/io.h"
#include "leakbound/model.h"
#include "leakbound/safetensors.h"

/* The folder's own files that leakbound reads besides the weights; config.json is required. */
static const char *const SIDE_FILES[] = {"config.json", "generation_config.json", "tokenizer.json",
                                         "tokenizer_config.json"};
enum { N_SIDE = sizeof SIDE_FILES / sizeof *SIDE_FILES };

int lb_model_sha256(const char *dir, char hex[65], lb_error_t *err) {
    return lb_model_sha256_with(dir, NULL, NULL, hex, err);
}

int lb_model_sha256_with(const char *dir, const char *tokenizer_json, const char *tokenizer_config,
                         char hex[65], lb_error_t *err) {
    lb_st_t *st = NULL;
    int rc = lb_st_open(dir, &st, err); /* the loader's own choice of files, checked as it does */
    if (rc) return rc;
    size_t nw = lb_st_file_count(st), cap = N_SIDE + 1 + nw, n = 0, dl = strlen(dir);
    char **paths = calloc(cap, sizeof *paths);
    const char **names = calloc(cap, sizeof *names);
    if (!paths || !names) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < N_SIDE + 1; i++) {
        const char *name = i < N_SIDE ? SIDE_FILES[i] : "model.safetensors.index.json";
        size_t sz = dl + strlen(name) + 2;
        if (!(paths[n] = malloc(sz))) {
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
            break;
        }
        snprintf(paths[n], sz, "%s/%s", dir, name);
        /* the tokenizer files actually loaded stand in for the folder's, under the same names */
        const char *sub = !strcmp(name, "tokenizer.json") ? tokenizer_json
                          : !strcmp(name, "tokenizer_config.json") ? tokenizer_config : NULL;
        if (sub) {
            free(paths[n]);
            if (!(paths[n] = strdup(sub))) {
                rc = lb_error_set(err, LB_ENOMEM, "out of memory");
                break;
            }
        }
        if (i == 0 || access(paths[n], F_OK) == 0) names[n++] = name;
        else free(paths[n]), paths[n] = NULL;
    }
    for (size_t i = 0; !rc && i < nw; i++) {
        const char *p = lb_st_file_path(st, i), *slash = strrchr(p, '/');
        if (!(paths[n] = strdup(p))) {
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
            break;
        }
        names[n++] = slash ? slash + 1 : p;
    }
    if (!rc) rc = lb_io_sha256_named((const char *const *)paths, names, n, hex, err);
    for (size_t i = 0; paths && i < cap; i++) free(paths[i]);
    free(paths);
    free(names);
    lb_st_close(st);
    return rc;
}
