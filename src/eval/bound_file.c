/* `leakbound bound` with eval's provenance (the command line and the hash of the scores read). */
#include "leakbound/eval.h"

typedef struct prov_args {
    int argc;
    char *const *argv;
} prov_args_t;

static json_t *provenance(void *ctx, const char *path, const char *sha256, lb_error_t *err) {
    const prov_args_t *a = ctx;
    return lb_eval_provenance(a->argc, a->argv, NULL, NULL, path, sha256, err);
}

int lb_eval_bound_file(int argc, char *const *argv, const char *path,
                       const lb_report_bound_opts_t *o, int threads, lb_report_write_fn write,
                       void *write_ctx, int *read_failed, lb_error_t *err) {
    prov_args_t a = {.argc = argc, .argv = argv};
    return lb_report_bound_file(path, o, threads, provenance, &a, write, write_ctx, read_failed,
                                err);
}
