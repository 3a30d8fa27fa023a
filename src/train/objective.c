/* The unlearning objectives as weighted loss parts per batch (docs/training.md, 'What is computed'). */
#include "train_internal.h"

#include <stdlib.h>
#include <string.h>

int lb_objective_needs_retain(const lb_objective_t *o) {
    if (o->method == LB_METHOD_FINETUNE) return 0;
    return o->method == LB_METHOD_GD || o->method == LB_METHOD_NPO || o->ent_r != 0.0;
}

#define LB_NPO_MAX_BATCH 4096

int lb_objective_step(lb_train_t *tr, lb_train_t *ref, const lb_objective_t *o,
                      const int32_t *f_tokens, const int32_t *f_labels, const int *f_lens,
                      int B_f, const int32_t *r_tokens, const int32_t *r_labels,
                      const int *r_lens, int B_r, double scale,
                      lb_loss_parts_t parts[2], lb_error_t *err) {
    memset(parts, 0, 2 * sizeof *parts);
    const float *logits;
    lb_loss_spec_t fs = {.ent_w = o->ent_f, .ent_answer_only = o->ent_answer_only};
    double nll_ref[LB_NPO_MAX_BATCH];
    switch (o->method) {
    case LB_METHOD_FINETUNE: fs.ce_w = 1.0; break;
    case LB_METHOD_GA:
    case LB_METHOD_GD: fs.ce_w = -1.0; break;
    case LB_METHOD_NPO:
        if (!ref) return lb_error_set(err, LB_EINVAL, "train: NPO needs a reference model");
        if (B_f > LB_NPO_MAX_BATCH)
            return lb_error_set(err, LB_EINVAL, "train: NPO batch over %d", LB_NPO_MAX_BATCH);
        int rc = lb_train_forward(ref, f_tokens, f_lens, B_f, &logits, err);
        if (rc) return rc;
        lb_train_seq_nll(ref, f_labels, B_f, nll_ref);
        fs.npo_w = 1.0;
        fs.npo_beta = o->beta;
        fs.nll_ref = nll_ref;
        break;
    }
    int rc = lb_train_forward(tr, f_tokens, f_lens, B_f, &logits, err);
    if (!rc) rc = lb_train_loss(tr, f_labels, B_f, &fs, scale, 1, &parts[0], err);
    if (rc) return rc;
    lb_train_backward(tr);
    if (!lb_objective_needs_retain(o)) return 0;
    lb_loss_spec_t rs = {.ent_w = o->ent_r, .ent_answer_only = o->ent_answer_only};
    if (o->method == LB_METHOD_GD || o->method == LB_METHOD_NPO) rs.ce_w = o->lambda;
    rc = lb_train_forward(tr, r_tokens, r_lens, B_r, &logits, err);
    if (!rc) rc = lb_train_loss(tr, r_labels, B_r, &rs, scale, 1, &parts[1], err);
    if (rc) return rc;
    lb_train_backward(tr);
    return 0;
}

const char *lb_train_method_name(lb_method_t m) {
    switch (m) {
    case LB_METHOD_FINETUNE: return "finetune";
    case LB_METHOD_GA: return "ga";
    case LB_METHOD_GD: return "gd";
    case LB_METHOD_NPO: return "npo";
    }
    return "?";
}

int lb_train_method_parse(const char *s, lb_method_t *m, lb_error_t *err) {
    static const lb_method_t methods[] = {LB_METHOD_GA, LB_METHOD_GD, LB_METHOD_NPO};
    for (size_t i = 0; s && i < sizeof methods / sizeof methods[0]; i++)
        if (!strcmp(s, lb_train_method_name(methods[i]))) {
            *m = methods[i];
            return 0;
        }
    return lb_error_set(err, LB_EINVAL, "--method: want ga, gd or npo, got '%s'", s ? s : "");
}
