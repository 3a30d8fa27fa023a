/*
 * driver_train — runs training steps on a model folder for the PyTorch oracle (train_grad.py).
 *
 *   driver_train MODEL_DIR JOB.json OUT_DIR
 *
 * JOB: {"T": n, "method": "finetune|ga|gd|npo", "lambda": x, "beta": x, "ent_f": x,
 *        "ent_r": x, "ent_answer": bool,
 *        "micro": [{"forget": {"tokens": [[ids]], "labels": [[ids]], "lens": [n]},
 *                   "retain": {...}}, ...],
 *        "steps": n, "lr": x, "warmup": n, "total": n, "wd": x, "clip": x}
 * Each step accumulates every micro-batch (scale 1/len(micro)), clips and takes one AdamW step
 * at lr * HF's linear schedule factor. OUT_DIR/grads.safetensors: the first step's gradients
 * before clipping (HF names); OUT_DIR/result.json: {"loss": [per step], "parts": [[ce_f, ent_f,
 * npo_f, ce_r, ent_r] of the first micro-batch of step 0], "gnorm": [per step],
 * "step_parts": [[the five parts averaged over the micro-batches] per step],
 * "ref_mapped_bytes"/"ref_widened_bytes": lb_model_weight_bytes of the NPO reference (0 without)}.
 * Exit 0 ok; 2 with the library's message on stderr.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/model.h"
#include "leakbound/safetensors.h"
#include "leakbound/train.h"

static int fail(const lb_error_t *e) {
    fprintf(stderr, "driver_train: %s\n", e->msg);
    return 2;
}

/* rows (B, T) of ints from a JSON array of arrays; returns B. */
static int rows_of(json_t *arr, int T, int32_t *dst) {
    size_t i, j;
    json_t *row, *v;
    json_array_foreach(arr, i, row) json_array_foreach(row, j, v)
        dst[i * T + j] = (int32_t)json_integer_value(v);
    return (int)json_array_size(arr);
}

/* "lens": [n per sequence] of a batch (absent: full rows). */
static void lens_of(json_t *batch, int *dst) {
    size_t i;
    json_t *v, *rows = json_object_get(batch, "tokens"), *lens = json_object_get(batch, "lens");
    int T = (int)json_array_size(json_array_get(rows, 0));
    json_array_foreach(rows, i, v) dst[i] = lens ? (int)json_integer_value(json_array_get(lens, i))
                                                 : T;
}

static double num(json_t *spec, const char *key, double dflt) {
    json_t *v = json_object_get(spec, key);
    return v ? json_number_value(v) : dflt;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: driver_train MODEL_DIR JOB.json OUT_DIR\n");
        return 2;
    }
    json_error_t je;
    json_t *spec = json_load_file(argv[2], 0, &je);
    if (!spec) {
        fprintf(stderr, "driver_train: %s: %s\n", argv[2], je.text);
        return 2;
    }
    lb_error_t err = {0};
    int T = (int)num(spec, "T", 16);
    const char *meth = json_string_value(json_object_get(spec, "method"));
    lb_objective_t obj = {.lambda = num(spec, "lambda", 1.0), .beta = num(spec, "beta", 0.05),
                          .ent_f = num(spec, "ent_f", 0.0), .ent_r = num(spec, "ent_r", 0.0),
                          .ent_answer_only = json_is_true(json_object_get(spec, "ent_answer"))};
    obj.method = !strcmp(meth, "ga") ? LB_METHOD_GA : !strcmp(meth, "gd") ? LB_METHOD_GD
               : !strcmp(meth, "npo") ? LB_METHOD_NPO : LB_METHOD_FINETUNE;
    json_t *micro = json_object_get(spec, "micro");
    int n_micro = (int)json_array_size(micro), max_B = 1;
    size_t i;
    json_t *mb;
    json_array_foreach(micro, i, mb) {
        int bf = (int)json_array_size(json_object_get(json_object_get(mb, "forget"), "tokens"));
        int br = (int)json_array_size(json_object_get(json_object_get(mb, "retain"), "tokens"));
        if (bf > max_B) max_B = bf;
        if (br > max_B) max_B = br;
    }
    lb_model_t *m = NULL, *mref = NULL;
    lb_train_t *tr = NULL, *ref = NULL;
    if (lb_model_load(argv[1], NULL, &m, &err)) return fail(&err);
    if (lb_train_create(m, max_B, T, 1, &tr, &err)) return fail(&err);
    if (obj.method == LB_METHOD_NPO) {
        /* As lb_train_run: the frozen reference stays in the file's dtype and mapping. */
        lb_model_options_t keep = {.keep_file_dtype = 1};
        if (lb_model_load(argv[1], &keep, &mref, &err)) return fail(&err);
        if (lb_train_create(mref, max_B, T, 0, &ref, &err)) return fail(&err);
    }
    size_t cap = (size_t)max_B * T;
    int32_t *ft = malloc(cap * sizeof *ft), *fl = malloc(cap * sizeof *fl);
    int32_t *rt = malloc(cap * sizeof *rt), *rl = malloc(cap * sizeof *rl);
    int *fn = malloc((size_t)max_B * sizeof *fn), *rn = malloc((size_t)max_B * sizeof *rn);
    int steps = (int)num(spec, "steps", 0);
    lb_adamw_opts_t ao = {.lr = num(spec, "lr", 1e-3), .beta1 = 0.9, .beta2 = 0.999,
                          .eps = 1e-8, .weight_decay = num(spec, "wd", 0.0),
                          .max_grad_norm = num(spec, "clip", 1.0)};
    long warmup = (long)num(spec, "warmup", 0), total = (long)num(spec, "total", steps);
    json_t *losses = json_array(), *gnorms = json_array(), *parts_j = json_array();
    json_t *step_parts = json_array();
    int n_params;
    const lb_train_param_t *ps = lb_train_params(tr, &n_params);
    for (int s = 0; s < (steps > 0 ? steps : 1); s++) {
        lb_train_zero_grad(tr);
        double loss = 0.0, avg[5] = {0};
        for (int k = 0; k < n_micro; k++) {
            json_t *mk = json_array_get(micro, (size_t)k);
            json_t *f = json_object_get(mk, "forget"), *r = json_object_get(mk, "retain");
            int bf = rows_of(json_object_get(f, "tokens"), T, ft);
            rows_of(json_object_get(f, "labels"), T, fl);
            int br = r ? rows_of(json_object_get(r, "tokens"), T, rt) : 0;
            if (r) rows_of(json_object_get(r, "labels"), T, rl);
            lb_loss_parts_t parts[2];
            lens_of(f, fn);
            if (r) lens_of(r, rn);
            if (lb_objective_step(tr, ref, &obj, ft, fl, fn, bf, rt, rl, rn, br, 1.0 / n_micro,
                                  parts, &err))
                return fail(&err);
            loss += (parts[0].loss + parts[1].loss) / n_micro;
            double pv[5] = {parts[0].ce, parts[0].ent, parts[0].npo, parts[1].ce, parts[1].ent};
            for (int q = 0; q < 5; q++) avg[q] += pv[q] / n_micro;
            if (s == 0 && k == 0) {
                double v[5] = {parts[0].ce, parts[0].ent, parts[0].npo, parts[1].ce,
                               parts[1].ent};
                for (int q = 0; q < 5; q++) json_array_append_new(parts_j, json_real(v[q]));
            }
        }
        if (s == 0) {
            lb_st_tensor_t *ts = calloc((size_t)n_params, sizeof *ts);
            for (int p = 0; p < n_params; p++) {
                ts[p].name = ps[p].name;
                ts[p].dtype = LB_DTYPE_F32;
                ts[p].ndim = ps[p].ndim;
                ts[p].shape[0] = ps[p].shape[0];
                ts[p].shape[1] = ps[p].shape[1];
                ts[p].data = ps[p].g;
                ts[p].nbytes = ps[p].numel * sizeof(float);
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/grads.safetensors", argv[3]);
            int rc = lb_st_write(path, ts, (size_t)n_params, NULL, NULL, 0, &err);
            free(ts);
            if (rc) return fail(&err);
        }
        json_array_append_new(losses, json_real(loss));
        json_t *sp = json_array();
        for (int q = 0; q < 5; q++) json_array_append_new(sp, json_real(avg[q]));
        json_array_append_new(step_parts, sp);
        if (steps > 0) {
            double gn;
            lb_train_adamw_step(tr, &ao, ao.lr * lb_train_lr_factor(s, warmup, total), &gn);
            json_array_append_new(gnorms, json_real(gn));
        }
    }
    size_t ref_widened = 0, ref_mapped = 0;
    if (mref) lb_model_weight_bytes(mref, &ref_widened, &ref_mapped);
    json_t *res = json_pack("{s:o, s:o, s:o, s:o, s:I, s:I}", "loss", losses, "parts", parts_j,
                            "gnorm", gnorms, "step_parts", step_parts, "ref_mapped_bytes",
                            (json_int_t)ref_mapped, "ref_widened_bytes",
                            (json_int_t)ref_widened);
    char path[4096];
    snprintf(path, sizeof path, "%s/result.json", argv[3]);
    int rc = json_dump_file(res, path, JSON_REAL_PRECISION(17));
    json_decref(res);
    json_decref(spec);
    free(ft), free(fl), free(rt), free(rl), free(fn), free(rn);
    lb_train_free(tr);
    lb_train_free(ref);
    lb_model_free(m);
    lb_model_free(mref);
    return rc ? 2 : 0;
}
