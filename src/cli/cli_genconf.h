/*
 * cli_genconf.h — what a model folder says about generation (private to src/cli): EOS ids and
 * sampling defaults from config.json and generation_config.json, as transformers'
 * GenerationConfig.from_model_config / from_pretrained read them.
 */
#ifndef LEAKBOUND_CLI_GENCONF_H
#define LEAKBOUND_CLI_GENCONF_H

#include <stdint.h>
#include "leakbound/core.h"
#include "leakbound/sample.h"

#define LB_GENCONF_MAX_EOS 16

typedef struct lb_genconf {
    int32_t eos[LB_GENCONF_MAX_EOS]; /* (n_eos,) */
    int n_eos;
    lb_warp_params_t warp;           /* HF defaults where the files say nothing */
    long max_new_tokens;             /* -1 when unset */
    long max_length;                 /* HF default 20 when unset */
    int has_generation_config;       /* generation_config.json was present */
} lb_genconf_t;

/* Read dir/config.json (eos_token_id) and, if present, dir/generation_config.json (eos_token_id,
 * temperature, top_k, top_p, max_new_tokens, max_length; it wins over config.json). eos_token_id
 * may be an int, a list of ints or null. Errors: LB_EIO (no config.json), LB_EFORMAT (malformed
 * JSON or a field of the wrong type: message names the file and the field). */
int lb_cli_genconf_read(const char *dir, lb_genconf_t *gc, lb_error_t *err);

#endif
