/* `sample -o FILE`'s FILE.settings.json: what made FILE, so that --resume cannot mix two runs. */
#include <stdint.h>
#include <stdio.h>

#include "leakbound/eval.h"

static int set_str(json_t *o, const char *k, const char *v) {
    return json_object_set_new(o, k, json_string(v));
}

int lb_eval_sample_settings(const lb_eval_ctx_t *ctx, const char *template_name, json_t **out,
                            lb_error_t *err) {
    const lb_sampler_opts_t *o = &ctx->opts;
    const char *mh = ctx->model_sha256, *dh = ctx->data_sha256; /* of what was loaded */
    json_t *d = json_object(), *stop = json_array();
    int bad = !d || !stop;
    for (int i = 0; i < o->n_stop && !bad; i++) bad = json_array_append_new(stop, json_string(o->stop[i]));
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    bad = bad || set_str(d, "format", "leakbound sample settings 2") ||
          set_str(d, "model_sha256", mh) || set_str(d, "data_sha256", dh) ||
          set_str(d, "template", template_name) ||
          json_object_set_new(d, "n", json_integer(o->n_samples)) ||
          json_object_set_new(d, "greedy_too", json_boolean(o->greedy_too)) ||
          json_object_set_new(d, "seed", o->seed <= INT64_MAX ? json_integer((json_int_t)o->seed)
                                                              : json_string(seed)) ||
          json_object_set_new(d, "temperature", json_real(o->warp.temperature)) ||
          json_object_set_new(d, "top_k", json_integer(o->warp.top_k)) ||
          json_object_set_new(d, "top_p", json_real(o->warp.top_p)) ||
          json_object_set_new(d, "min_p", json_real(o->min_p)) ||
          json_object_set_new(d, "adaptive", json_boolean(o->adaptive)) ||
          set_str(d, "confidence", o->confidence == LB_CONFIDENCE_ENTROPY ? "entropy" : "maxprob") ||
          json_object_set_new(d, "confidence_threshold", json_real(o->confidence_threshold)) ||
          json_object_set_new(d, "low_temperature", json_real(o->low_temperature)) ||
          json_object_set_new(d, "max_new_tokens", json_integer(o->max_new_tokens)) ||
          json_object_set_new(d, "max_length", json_integer(o->max_length)) ||
          json_object_set(d, "stop", stop);
    json_decref(stop);
    if (bad) {
        json_decref(d);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    *out = d;
    return LB_OK;
}
