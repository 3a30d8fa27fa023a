/* Provenance: what made a report (version, command line, the model and data by content). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakbound/eval.h"
#include "leakbound/train_run.h"

/* The model folder's leakbound_run.json (a finetune/unlearn output), linked by content: its
 * sha256 and the fields that say how the model was made. NULL when the folder has none;
 * json_null() when it is there but unreadable as a run record (the sha256 still names it). */
static json_t *model_run(const char *model_dir, lb_error_t *err, int *bad) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", model_dir, LB_TRAIN_RUN_FILE);
    if (access(path, F_OK) != 0) return NULL;
    char hex[65];
    if (lb_io_sha256_file(path, hex, err)) {
        *bad = 1;
        return NULL;
    }
    json_t *o = json_object(), *doc = json_load_file(path, 0, NULL);
    int b = !o || json_object_set_new(o, "file", json_string(path)) ||
            json_object_set_new(o, "sha256", json_string(hex));
    static const char *const keys[] = {"leakbound_version", "model_sha256", "data_sha256", "seed",
                                       "final_step", "kept_step"};
    for (size_t i = 0; !b && json_is_object(doc) && i < sizeof keys / sizeof *keys; i++) {
        json_t *v = json_object_get(doc, keys[i]);
        if (v) b = json_object_set(o, keys[i], v);
    }
    json_t *method = json_is_object(doc) ? json_object_get(json_object_get(doc, "config"), "method")
                                         : NULL;
    if (!b && method) b = json_object_set(o, "method", method);
    json_decref(doc);
    if (b) {
        json_decref(o);
        *bad = 1;
        lb_error_set(err, LB_ENOMEM, "out of memory");
        return NULL;
    }
    return o;
}

json_t *lb_eval_provenance(int argc, char *const *argv, const char *model_dir,
                           const char *model_sha, const char *data_path, const char *data_sha,
                           lb_error_t *err) {
    json_t *p = json_object(), *av = json_array();
    int bad = !p || !av;
    for (int i = 0; !bad && i < argc; i++) bad = json_array_append_new(av, json_string(argv[i]));
    bad = bad || json_object_set_new(p, "leakbound_version", json_string(lb_version())) ||
          json_object_set(p, "argv", av) ||
          json_object_set_new(p, "isa", json_string(lb_model_isa_name(lb_model_isa_current())));
    json_decref(av);
    if (bad) {
        json_decref(p);
        lb_error_set(err, LB_ENOMEM, "out of memory");
        return NULL;
    }
    char hex[65];
    if (model_dir) {
        if (!model_sha && lb_model_sha256(model_dir, hex, err)) {
            json_decref(p);
            return NULL;
        }
        int failed = 0;
        json_t *run = model_run(model_dir, err, &failed);
        if (failed) {
            json_decref(p);
            return NULL;
        }
        bad = json_object_set_new(p, "model", json_string(model_dir)) ||
              json_object_set_new(p, "model_sha256", json_string(model_sha ? model_sha : hex)) ||
              (run && json_object_set_new(p, "model_run", run));
    }
    if (!bad && data_path) {
        /* The hash of the bytes read (data_sha), else of the file when it is a regular one: a
         * pipe's bytes are gone, and hashing its path again would record another input. */
        struct stat sb;
        int hashable = data_sha || (strcmp(data_path, "-") && stat(data_path, &sb) == 0 &&
                                    S_ISREG(sb.st_mode));
        if (!data_sha && hashable && lb_io_sha256_file(data_path, hex, err)) {
            json_decref(p);
            return NULL;
        }
        bad = json_object_set_new(p, "data", json_string(data_path)) ||
              json_object_set_new(p, "data_sha256", !hashable ? json_null()
                                                    : json_string(data_sha ? data_sha : hex));
    }
    if (bad) {
        json_decref(p);
        lb_error_set(err, LB_ENOMEM, "out of memory");
        return NULL;
    }
    return p;
}
