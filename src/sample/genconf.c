/* Generation settings of a model folder (config.json, generation_config.json): the sampler's
 * defaults and the EOS ids, for every module that generates (eval, tofu). */
#include "leakbound/io.h"
#include "leakbound/model.h"
#include "leakbound/sample.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A token id: an integer in [0, INT32_MAX] (the vocabulary bound is checked where the model is
 * known). */
static int eos_id(json_t *v, const char *path, const char *what, int32_t *out, lb_error_t *err) {
    long long x;
    if (lb_io_json_int(v, 0, INT32_MAX, &x)) {
        char got[64];
        lb_io_json_describe(v, got, sizeof got);
        return lb_error_set(err, LB_EFORMAT, "%s: %s must be a token id, an integer in [0, %d], got %s",
                            path, what, INT32_MAX, got);
    }
    *out = (int32_t)x;
    return LB_OK;
}

static int read_eos(json_t *v, const char *path, lb_genconf_t *gc, lb_error_t *err) {
    if (!v || json_is_null(v)) return LB_OK;
    gc->n_eos = 0;
    if (!json_is_array(v)) {
        int rc = eos_id(v, path, "eos_token_id", &gc->eos[0], err);
        if (!rc) gc->n_eos = 1;
        return rc;
    }
    if (json_array_size(v) > LB_GENCONF_MAX_EOS)
        return lb_error_set(err, LB_EFORMAT, "%s: eos_token_id must be an integer or a list of at "
                            "most %d integers", path, LB_GENCONF_MAX_EOS);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        char what[48];
        snprintf(what, sizeof what, "eos_token_id[%zu]", i);
        int rc = eos_id(x, path, what, &gc->eos[gc->n_eos], err);
        if (rc) return rc;
        gc->n_eos++;
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

/* An integer setting in [0, LLONG_MAX] (lengths: capped by the context where they are used). */
static int get_count(json_t *root, const char *key, const char *path, long *out, lb_error_t *err) {
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) return 0;
    long long x;
    if (lb_io_json_int(v, 0, LONG_MAX, &x)) {
        char got[64];
        lb_io_json_describe(v, got, sizeof got);
        return lb_error_set(err, LB_EFORMAT, "%s: \"%s\" must be an integer in [0, %ld], got %s", path, key,
                            LONG_MAX, got);
    }
    *out = (long)x;
    return 1;
}

static int load_obj(const char *path, json_t **out, lb_error_t *err) {
    json_error_t je;
    int cannot_open;
    *out = lb_io_json_load_file(path, 0, &je, &cannot_open);
    if (!*out) {
        if (cannot_open) return lb_error_set(err, LB_EIO, "%s: cannot open", path);
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return lb_error_set(err, LB_EFORMAT, "%s: not a JSON object", path);
    }
    return LB_OK;
}

int lb_sample_genconf_read(const char *dir, lb_genconf_t *gc, lb_error_t *err) {
    memset(gc, 0, sizeof *gc);
    gc->warp = lb_sample_warp_defaults();
    gc->max_new_tokens = -1;
    gc->max_length = 20;
    char path[4096];
    json_t *root;
    int rc = lb_model_check_folder(dir, err); /* names what is missing */
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/config.json", dir);
    rc = load_obj(path, &root, err);
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
    long n = 0;
    if (rc >= 0 && (rc = get_count(root, "top_k", path, &n, err)) == 1) {
        gc->warp.top_k = n > INT_MAX ? 0 : (int)n; /* more than any vocabulary: off */
    }
    if (rc >= 0 && (rc = get_count(root, "max_new_tokens", path, &n, err)) == 1) gc->max_new_tokens = n;
    if (rc >= 0 && (rc = get_count(root, "max_length", path, &n, err)) == 1) gc->max_length = n;
    json_decref(root);
    if (rc < 0) return rc;
    if (lb_sample_warp_check(&gc->warp, err)) {
        lb_error_prefix(err, "%s", path);
        return LB_EFORMAT;
    }
    return LB_OK;
}
