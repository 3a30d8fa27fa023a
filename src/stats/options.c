/* The bound options' defaults and their one range rule per flag (`bound`, `eval`, Python). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/stats.h"

static const char *const method_names[] = {[LB_STATS_EXACT] = "exact", [LB_STATS_CONBO] = "conbo"};

void lb_stats_options_default(lb_stats_options_t *o) {
    *o = (lb_stats_options_t){.alpha = 0.01, .method = LB_STATS_EXACT, .ed_lambda = 2.0,
                              .thresholds = NULL, .n_thresholds = 0, .queries_k = 1,
                              .leak_at_k = 1, .leak_threshold = 1.0};
}

int lb_stats_method_parse(const char *s, lb_stats_method_t *out) {
    for (int m = 0; s && m < (int)(sizeof method_names / sizeof *method_names); m++)
        if (!strcmp(s, method_names[m])) {
            *out = (lb_stats_method_t)m;
            return 0;
        }
    return LB_EINVAL;
}

const char *lb_stats_method_name(lb_stats_method_t m) {
    return (int)m >= 0 && (size_t)m < sizeof method_names / sizeof *method_names ? method_names[m]
                                                                                 : NULL;
}


int lb_stats_options_set(lb_stats_options_t *o, const char *flag, const char *value,
                         lb_error_t *err) {
    const char *v = value ? value : "";
    double d;
    long k;
    if (!flag) return lb_error_set(err, LB_EINVAL, "no flag name given");
    if (!strcmp(flag, "alpha")) {
        if (lb_core_parse_double(v, &d) || !(d > 0.0) || d > 0.5)
            return lb_error_set(err, LB_EINVAL, "--alpha: expected a number in (0, 0.5], got '%s'",
                                v);
        o->alpha = d;
    } else if (!strcmp(flag, "method")) {
        if (lb_stats_method_parse(v, &o->method))
            return lb_error_set(err, LB_EINVAL, "--method: expected exact or conbo, got '%s'", v);
    } else if (!strcmp(flag, "ed-lambda")) {
        if (lb_core_parse_double(v, &d) || d < 0)
            return lb_error_set(err, LB_EINVAL, "--ed-lambda: expected a number >= 0, got '%s'", v);
        o->ed_lambda = d;
    } else if (!strcmp(flag, "queries") || !strcmp(flag, "leak-at")) {
        if (lb_core_parse_long(v, &k) || k < 1)
            return lb_error_set(err, LB_EINVAL, "--%s: expected an integer >= 1, got '%s'", flag,
                                v);
        *(flag[0] == 'q' ? &o->queries_k : &o->leak_at_k) = k;
    } else if (!strcmp(flag, "leak-threshold")) {
        if (lb_core_parse_double(v, &d) || d < 0.0 || d > 1.0)
            return lb_error_set(err, LB_EINVAL,
                                "--leak-threshold: expected a number in [0, 1], got '%s'", v);
        o->leak_threshold = d;
    } else {
        return lb_error_set(err, LB_EINVAL, "unknown option '%s'", flag);
    }
    return 0;
}
