/*
 * cli_genconf.h — the generation settings of a model folder now come from the eval module
 * (lb_eval_genconf_read, leakbound/eval.h); this name stays for the commands that still call
 * it by its old name.
 */
#ifndef LEAKBOUND_CLI_GENCONF_H
#define LEAKBOUND_CLI_GENCONF_H

#include "leakbound/eval.h"

static inline int lb_cli_genconf_read(const char *dir, lb_genconf_t *gc, lb_error_t *err) {
    return lb_eval_genconf_read(dir, gc, err);
}

#endif
