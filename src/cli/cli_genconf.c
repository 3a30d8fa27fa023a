/* Generation settings of a model folder (config.json, generation_config.json). */
#include "cli_genconf.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int read_eos(json_t *v, const char *path, lb_genconf_t *gc, lb_error_t *err) {
    if (!v || json_is_null(v)) return LB_OK;
    gc->n_eos = 0;
    if (json_is_integer(v)) {
        gc->eos[gc->n_eos++] = (int32_t)json_integer_value(v);
        return LB_OK;
    }
    if (!json_is_array(v) || json_array_size(v) > LB_GENCONF_MAX_EOS)
        return lb_error_set(err, LB_EFORMAT, "%s: eos_token_id must be an integer or a list of at "
                            "most %d integers", path, LB_GENCONF_MAX_EOS);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        if (!json_is_integer(x))
            return lb_error_set(err, LB_EFORMAT, "%s: eos_token_id[%zu] is not an integer", path, i);
        gc->eos[gc->n_eos++] = (int32_t)json_integer_value(x);
    }
    return LB_OK;
}

static int get_number(json_t *root, const char *key, const char *path, double *out, lb_error_t *err) {
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v))
        return lb_error_set(err, LB_EFORMAT, "%s: \"%s\" is not a number", path, key);
    *out = json_number_value(v);
    return 1;
}

static int load_obj(const char *path, json_t **out, lb_error_t *err) {
    json_error_t je;
    *out = json_load_file(path, 0, &je);
    if (!*out) {
        if (access(path, R_OK) != 0) return lb_error_set(err, LB_EIO, "%s: cannot open", path);
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return lb_error_set(err, LB_EFORMAT, "%s: not a JSON object", path);
    }
    return LB_OK;
}

int lb_cli_genconf_read(const char *dir, lb_genconf_t *gc, lb_error_t *err) {
    memset(gc, 0, sizeof *gc);
    gc->warp = lb_sample_warp_defaults();
    gc->max_new_tokens = -1;
    gc->max_length = 20;
    char path[4096];
    json_t *root;
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = load_obj(path, &root, err);
    if (rc) return rc;
    rc = read_eos(json_object_get(root, "eos_token_id"), path, gc, err);
    json_decref(root);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    if (access(path, F_OK) != 0) return LB_OK;
    if ((rc = load_obj(path, &root, err))) return rc;
    gc->has_generation_config = 1;
    double x = 0;
    rc = read_eos(json_object_get(root, "eos_token_id"), path, gc, err);
    if (!rc && (rc = get_number(root, "temperature", path, &x, err)) == 1) gc->warp.temperature = x;
    if (rc >= 0 && (rc = get_number(root, "top_p", path, &x, err)) == 1) gc->warp.top_p = x;
    if (rc >= 0 && (rc = get_number(root, "top_k", path, &x, err)) == 1) gc->warp.top_k = (int)x;
    if (rc >= 0 && (rc = get_number(root, "max_new_tokens", path, &x, err)) == 1)
        gc->max_new_tokens = (long)x;
    if (rc >= 0 && (rc = get_number(root, "max_length", path, &x, err)) == 1) gc->max_length = (long)x;
    json_decref(root);
    if (rc < 0) return rc;
    if (lb_sample_warp_check(&gc->warp, err)) {
        lb_error_prefix(err, "%s", path);
        return LB_EFORMAT;
    }
    return LB_OK;
}
