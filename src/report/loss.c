/* The training runs' loss curve (finetune, unlearn, demo): loss.svg from train_log.csv and the
 * greedy checks of eval_log.csv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/report.h"

int lb_report_loss_svg(const char *out_dir, const char *check_metric, lb_error_t *err) {
    char path[4200], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/train_log.csv", out_dir);
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
    snprintf(path, sizeof path, "%s/eval_log.csv", out_dir);
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
        snprintf(label, sizeof label, "greedy %s (%s)", check_metric, "eval_log.csv");
        lb_report_series_t s[2] = {{.label = "loss", .x = x, .y = y, .n = n},
                                   {.label = label, .x = ex, .y = ey, .n = ne}};
        lb_report_plot_t opt = {.title = "training loss", .xlabel = "optimizer step",
                                .ylabel = ne ? "loss / greedy score" : "loss"};
        snprintf(path, sizeof path, "%s/loss.svg", out_dir);
        rc = lb_report_svg_lines(path, s, ne ? 2 : 1, &opt, err);
    }
    free(x), free(y), free(data), free(ex), free(ey), free(edata);
    return rc;
}

