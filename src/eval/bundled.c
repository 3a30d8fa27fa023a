/* The bundled default's settings (`leakbound eval` without --model and --data). Finding its
 * folder is the caller's (the CLI looks beside its executable, lb_cli_default_dir). */
#include <stdio.h>
#include <string.h>

#include "leakbound/eval.h"

int lb_eval_default_apply(lb_eval_opts_t *o, lb_eval_flow_t *f, const char *dir, int tmpl_given,
                          char *buf, size_t cap, lb_error_t *err) {
    int a = snprintf(buf, cap, "%s/model", dir);
    int b = a >= 0 && (size_t)a < cap ? snprintf(buf + a + 1, cap - (size_t)a - 1,
                                                 "%s/forget.jsonl", dir) : -1;
    if (b < 0 || (size_t)a + 1 + (size_t)b >= cap)
        return lb_error_set(err, LB_EINVAL, "%s: the bundled default's path is too long "
                            "(at most %zu bytes for its two files)", dir, cap);
    o->model = buf;
    o->data = buf + a + 1;
    if (!tmpl_given) o->tmpl = "phi";
    if (o->n < 0) o->n = 64;
    if (!o->have_p) o->have_p = 1, o->p = 0.9;
    if (!o->have_max_new && !o->have_max_len) o->have_max_new = 1, o->max_new = 56;
    f->metric_given = 1;
    if (!f->out_dir) f->out_dir = "eval-default";
    return 0;
}
