/* The run record of a finetune / unlearn output folder (leakbound_run.json): how the model in
 * it was made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/train_run.h"

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

json_t *lb_train_run_config(const lb_train_run_opts_t *o, const lb_train_run_info_t *info,
                            const char *command) {
    int unlearn = !strcmp(command, "unlearn");
    json_t *c = json_object();
    if (!c) return NULL;
    /* One line per setting, in the order of --help; the key is the flag's name. */
    int bad = json_object_set_new(c, "command", json_string(command)) ||
        json_object_set_new(c, "method", json_string(lb_train_method_name(o->obj.method))) ||
        json_object_set_new(c, "model", str_or_null(o->model_dir)) ||
        json_object_set_new(c, unlearn ? "forget" : "data", str_or_null(o->data_path)) ||
        (unlearn && json_object_set_new(c, "retain", str_or_null(o->retain_path))) ||
        json_object_set_new(c, "out", str_or_null(o->out_dir)) ||
        json_object_set_new(c, "resume", str_or_null(o->resume_dir)) ||
        json_object_set_new(c, "template", str_or_null(o->template_spec ? o->template_spec : "phi")) ||
        json_object_set_new(c, "epochs", json_integer(o->epochs)) ||
        json_object_set_new(c, "lr", json_real(o->lr)) ||
        json_object_set_new(c, "batch_size", json_integer(o->batch_size)) ||
        json_object_set_new(c, "grad_accum", json_integer(o->grad_accum)) ||
        json_object_set_new(c, "max_length", json_integer(o->max_length)) ||
        json_object_set_new(c, "warmup", json_integer(info ? info->warmup : o->warmup)) ||
        json_object_set_new(c, "weight_decay", json_real(o->weight_decay)) ||
        json_object_set_new(c, "max_grad_norm", json_real(o->max_grad_norm)) ||
        json_object_set_new(c, "seed", json_integer((json_int_t)o->seed)) ||
        json_object_set_new(c, "save_every", json_integer(o->save_every)) ||
        json_object_set_new(c, "lambda", json_real(o->obj.lambda)) ||
        json_object_set_new(c, "beta", json_real(o->obj.beta)) ||
        json_object_set_new(c, "entropy_forget", json_real(o->obj.ent_f)) ||
        json_object_set_new(c, "entropy_retain", json_real(o->obj.ent_r)) ||
        json_object_set_new(c, "entropy_positions",
                            json_string(o->obj.ent_answer_only ? "answer" : "all"));
    if (bad) {
        json_decref(c);
        return NULL;
    }
    return c;
}

int lb_train_write_record(const char *dir, const lb_train_run_opts_t *o,
                          const lb_train_run_info_t *info, const char *command, int argc,
                          char *const *argv, const json_t *file_config, int threads,
                          lb_error_t *err) {
    json_t *doc = json_object(), *av = json_array(), *ds = json_object(),
           *cfg = lb_train_run_config(o, info, command);
    int unlearn = !strcmp(command, "unlearn");
    int bad = !doc || !av || !ds || !cfg;
    if (!bad && file_config) bad = json_object_update(cfg, (json_t *)file_config) != 0;
    for (int i = 0; !bad && i < argc; i++) bad = json_array_append_new(av, json_string(argv[i]));
    bad = bad || json_object_set_new(ds, unlearn ? "forget" : "data", json_string(info->data_sha256)) ||
          (info->retain_sha256[0] && json_object_set_new(ds, "retain", json_string(info->retain_sha256)));
    bad = bad || json_object_set_new(doc, "format", json_string("leakbound run 1")) ||
          json_object_set_new(doc, "leakbound_version", json_string(lb_version())) ||
          json_object_set(doc, "argv", av) || json_object_set(doc, "config", cfg) ||
          json_object_set_new(doc, "model_sha256", json_string(info->model_sha256)) ||
          json_object_set(doc, "data_sha256", ds) ||
          json_object_set_new(doc, "seed", json_integer((json_int_t)o->seed)) ||
          json_object_set_new(doc, "threads", json_integer(threads)) ||
          json_object_set_new(doc, "total_steps", json_integer(info->total_steps)) ||
          json_object_set_new(doc, "final_step", json_integer(info->final_step)) ||
          json_object_set_new(doc, "kept_step", json_integer(info->kept_step)) ||
          json_object_set_new(doc, "log", json_string("train_log.csv")) ||
          json_object_set_new(doc, "loss_curve", json_string("loss.svg"));
    json_decref(av);
    json_decref(ds);
    json_decref(cfg);
    if (bad) {
        json_decref(doc);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, LB_TRAIN_RUN_FILE);
    int rc = lb_atomic_write_json(path, doc, err);
    json_decref(doc);
    return rc;
}
