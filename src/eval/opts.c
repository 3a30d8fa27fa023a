/* The eval options' defaults: what the absence of each `sample`/`eval` flag means. */
#include <math.h>
#include <string.h>

#include "leakbound/eval.h"

void lb_eval_opts_default(lb_eval_opts_t *o) {
    memset(o, 0, sizeof *o);
    o->tmpl = "raw";
    o->format = LB_DATA_AUTO;
    o->confidence = LB_CONFIDENCE_MAXPROB;
    o->conf_thr = 0.9;
    o->metric = LB_METRIC_ROUGEL_RECALL;
    o->score = lb_score_opts_default();
    lb_stats_options_default(&o->stats);
    o->leak_threshold = NAN;
    o->n_plot = 6;
}

double lb_eval_default_leak_threshold(lb_metric_t m, const lb_score_opts_t *so) {
    if (m == LB_METRIC_KEYWORDS || m == LB_METRIC_EXACT) return 1.0;
    if (m == LB_METRIC_JUDGE) return so->judge_threshold >= 0 ? 1.0 : 0.5;
    return 0.9;
}

void lb_eval_default_strip(lb_eval_opts_t *o, int strip_given) {
    const char *tag = lb_score_default_strip(o->tmpl);
    if (!strip_given && tag && o->score.n_strip < LB_SCORE_MAX_STRIP)
        o->score.strip[o->score.n_strip++] = tag;
}
