/* driver_warp — lets tests/oracle/sample_warp.py check the HF warpers.
 * stdin: one JSON object per line {"logits": [number|null(-inf)...], "temperature": T,
 * "top_k": K, "top_p": P, "u": U}; stdout: one line per case
 * {"logits": [warped, null for -inf], "kept": n, "pick": id, "argmax": id}. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/sample.h"

int main(void) {
    lb_jsonl_reader_t r;
    lb_error_t err;
    if (lb_jsonl_open(&r, "-", &err)) return 2;
    json_t *c;
    int rc;
    while ((rc = lb_jsonl_next(&r, &c, &err)) == 1) {
        json_t *jl = json_object_get(c, "logits");
        int V = (int)json_array_size(jl);
        float *l = malloc((V ? V : 1) * sizeof *l);
        void *scratch = malloc(lb_sample_scratch_bytes(V));
        for (int i = 0; i < V; i++) {
            json_t *x = json_array_get(jl, i);
            l[i] = json_is_null(x) ? -INFINITY : (float)json_number_value(x);
        }
        lb_warp_params_t p = {json_number_value(json_object_get(c, "temperature")),
                              (int)json_integer_value(json_object_get(c, "top_k")),
                              json_number_value(json_object_get(c, "top_p"))};
        if (lb_sample_warp_check(&p, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 2;
        }
        int am = lb_sample_argmax(l, V);
        int kept = lb_sample_warp(l, V, &p, scratch);
        int pick = lb_sample_pick(l, V, json_number_value(json_object_get(c, "u")));
        const int32_t *ids = lb_sample_warp_kept(scratch, V);
        int pick_list = lb_sample_pick_list(l, ids, kept, json_number_value(json_object_get(c, "u")));
        json_t *kept_ids = json_array();
        for (int j = 0; j < kept; j++) json_array_append_new(kept_ids, json_integer(ids[j]));
        json_t *out = json_array();
        for (int i = 0; i < V; i++)
            json_array_append_new(out, isinf(l[i]) && l[i] < 0 ? json_null() : json_real(l[i]));
        json_t *doc = json_pack("{s:o, s:i, s:i, s:i, s:o, s:i}", "logits", out, "kept", kept,
                                "pick", pick, "argmax", am, "kept_ids", kept_ids, "pick_list",
                                pick_list);
        char *s = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(9));
        puts(s);
        free(s);
        json_decref(doc);
        json_decref(c);
        free(l);
        free(scratch);
    }
    lb_jsonl_close(&r);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    return 0;
}
