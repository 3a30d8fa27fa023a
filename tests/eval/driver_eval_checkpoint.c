/* Driver for the eval_checkpoint oracle (tests/oracle/eval_checkpoint.py).
 *   driver_eval_checkpoint run MODEL DATA TEMPLATE METRIC N [MAX_NEW]
 *       lb_eval_checkpoint: prints {"n_items", "n", "greedy", "sampled", "M_mu"} (%.17g; NaN as
 *       null), or exit 2 with "code: message" on stderr
 *   driver_eval_checkpoint check DATA METRIC
 *       lb_eval_check_data: prints "ok", or exit 2 with "code: message" on stderr
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/eval_checkpoint.h"

static void num(const char *key, double v, const char *sep) {
    if (isnan(v)) printf("\"%s\": null%s", key, sep);
    else printf("\"%s\": %.17g%s", key, v, sep);
}

int main(int argc, char **argv) {
    lb_error_t err = {0};
    lb_metric_t m;
    if (argc >= 4 && !strcmp(argv[1], "check")) {
        int rc = lb_metric_parse(argv[3], &m, &err);
        if (!rc) rc = lb_eval_check_data(argv[2], m, &err);
        if (rc) return fprintf(stderr, "%d: %s\n", rc, err.msg), 2;
        return puts("ok"), 0;
    }
    if (argc < 7 || strcmp(argv[1], "run")) {
        fprintf(stderr, "usage: driver_eval_checkpoint run MODEL DATA TEMPLATE METRIC N [MAX_NEW] | "
                        "check DATA METRIC\n");
        return 2;
    }
    lb_eval_opts_t o;
    lb_eval_opts_default(&o);
    o.data = argv[3];
    o.tmpl = argv[4];
    o.n = atol(argv[6]);
    if (argc > 7) o.have_max_new = 1, o.max_new = atol(argv[7]);
    lb_eval_checkpoint_summary_t s = {0};
    int rc = lb_metric_parse(argv[5], &o.metric, &err);
    if (!rc) rc = lb_eval_checkpoint(argv[2], &o, &s, &err);
    if (rc) return fprintf(stderr, "%d: %s\n", rc, err.msg), 2;
    printf("{\"n_items\": %zu, \"n\": %ld, ", s.n_items, s.n);
    num("greedy", s.greedy, ", ");
    num("sampled", s.sampled, ", ");
    num("M_mu", s.M_mu, "}\n");
    return 0;
}
