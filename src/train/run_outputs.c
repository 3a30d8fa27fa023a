/* A run's defaults and its loss curve (leakbound/train_run.h): what finetune/unlearn and any
 * other caller of lb_train_run share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/report.h"
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
}

int lb_train_plot_loss(const char *dir, const char *check_metric, lb_error_t *err) {
    char path[4200], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/train_log.csv", dir);
    int rc = lb_io_read_file(path, &data, &len, err);
    if (rc) return rc;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) cap += data[i] == '\n';
    double *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y);
    size_t n = 0;
    char *line = strchr(data, '\n');   /* skip the header */
    while (x && y && line && *++line) {
        double step, epoch, lr, loss;
        if (sscanf(line, "%lf,%lf,%lf,%lf", &step, &epoch, &lr, &loss) == 4) {
            x[n] = step;
            y[n++] = loss;
        }
        line = strchr(line, '\n');
    }
    /* the greedy checks (eval_log.csv: step,greedy,stop), when the run made them */
    char *edata = NULL, label[96];
    size_t elen = 0, ne = 0;
    double *ex = NULL, *ey = NULL;
    snprintf(path, sizeof path, "%s/eval_log.csv", dir);
    if (!rc && check_metric && !(rc = lb_io_read_file(path, &edata, &elen, err))) {
        size_t ecap = 1;
        for (size_t i = 0; i < elen; i++) ecap += edata[i] == '\n';
        ex = malloc(ecap * sizeof *ex), ey = malloc(ecap * sizeof *ey);
        char *l = strchr(edata, '\n');
        while (ex && ey && l && *++l) {
            if (sscanf(l, "%lf,%lf", &ex[ne], &ey[ne]) == 2) ne++;
            l = strchr(l, '\n');
        }
        if (!ex || !ey) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (!rc && (!x || !y)) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    else if (!rc && n) {
        snprintf(label, sizeof label, "greedy %s (%s)", check_metric ? check_metric : "", "eval_log.csv");
        lb_report_series_t s[2] = {{.label = "loss", .x = x, .y = y, .n = n},
                                   {.label = label, .x = ex, .y = ey, .n = ne}};
        lb_report_plot_t opt = {.title = "training loss", .xlabel = "optimizer step",
                                .ylabel = ne ? "loss / greedy score" : "loss"};
        snprintf(path, sizeof path, "%s/loss.svg", dir);
        rc = lb_report_svg_lines(path, s, ne ? 2 : 1, &opt, err);
    }
    free(x), free(y), free(data), free(ex), free(ey), free(edata);
    return rc;
}
