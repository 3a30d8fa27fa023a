/* A run's defaults (leakbound/train_run.h): what finetune/unlearn and any other caller of
 * lb_train_run share. (Its loss curve is the report module's lb_report_loss_svg.) */
#include <string.h>

#include "leakbound/train_run.h"

void lb_train_run_opts_default(lb_train_run_opts_t *o, int unlearn) {
    memset(o, 0, sizeof *o);
    o->template_spec = "phi";
    o->obj.method = unlearn ? LB_METHOD_GA : LB_METHOD_FINETUNE;
    o->obj.lambda = 1.0;
    o->obj.beta = 0.05;
    o->epochs = unlearn ? 10 : 5;
    o->lr = unlearn ? 1e-5 : 2e-5;
    o->batch_size = 16;
    o->grad_accum = unlearn ? 4 : 2;
    o->max_length = 256;
    o->warmup = -1;
    o->weight_decay = 0.01;
    o->max_grad_norm = 1.0;
    o->method_given = 1; /* the default method stands for a library caller; the unlearn command
                            clears this to demand --method */
}
