/* bound_file.c — `leakbound bound` as one call: its options by flag name, then a scores file
 * read, bounded and written as the JSON document or the table. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/report.h"

void lb_report_bound_opts_default(lb_report_bound_opts_t *o) {
    memset(o, 0, sizeof *o);
    lb_stats_options_default(&o->stats);
    o->report_above = LB_REPORT_ABOVE_DEFAULT;
}

size_t lb_report_bound_opts_size(void) { return sizeof(lb_report_bound_opts_t); }

int lb_report_bound_opts_set(lb_report_bound_opts_t *o, const char *flag, const char *value,
                             lb_error_t *err) {
    const char *v = value ? value : "";
    if (!flag) return lb_error_set(err, LB_EINVAL, "no flag name given");
    if (!strcmp(flag, "threshold"))
        return lb_report_threshold_add(o->thresholds, &o->stats.n_thresholds,
                                       LB_REPORT_BOUND_MAX_THRESHOLDS, v, err);
    if (!strcmp(flag, "report-above")) {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (errno || end == v || *end || !(d >= 0.0 && d <= 1.0))
            return lb_error_set(err, LB_EINVAL,
                                "--report-above: expected a number in [0, 1], got '%s'", v);
        o->report_above = d;
    } else if (!strcmp(flag, "format")) {
        if (strcmp(v, "json") && strcmp(v, "table"))
            return lb_error_set(err, LB_EINVAL, "--format: expected json or table, got '%s'", v);
        o->table = !strcmp(v, "table");
    } else if (!strcmp(flag, "allow-duplicates")) {
        o->read_flags |= LB_SCORES_ALLOW_DUPLICATES;
    } else {
        return lb_stats_options_set(&o->stats, flag, v, err);
    }
    return 0;
}

int lb_report_bound_file(const char *path, const lb_report_bound_opts_t *o, int threads,
                         lb_report_provenance_fn provenance, void *prov_ctx,
                         lb_report_write_fn write, void *write_ctx, int *read_failed,
                         lb_error_t *err) {
    if (read_failed) *read_failed = 0;
    const char *method = lb_stats_method_name(o->stats.method);
    if (!method)
        return lb_error_set(err, LB_EINVAL, "method must be exact (0) or conbo (1), got %d",
                            (int)o->stats.method);
    lb_stats_options_t opt = o->stats;
    opt.thresholds = o->thresholds;
    if (opt.n_thresholds > LB_REPORT_BOUND_MAX_THRESHOLDS)
        return lb_error_set(err, LB_EINVAL, "at most %d thresholds",
                            LB_REPORT_BOUND_MAX_THRESHOLDS);
    lb_scores_t in;
    int rc = lb_scores_read(path, o->read_flags, &in, err);
    if (rc) {
        if (read_failed) *read_failed = rc != LB_ENOMEM;
        return rc;
    }
    lb_stats_prompt_t *res;
    char *text = NULL;
    rc = lb_report_bound_prompts(&in, &opt, threads, &res, err);
    if (!rc) {
        lb_report_bound_t rep = {.opt = &opt,
                                 .report_above = o->report_above, .in = &in, .prompts = res};
        /* Where the numbers came from (docs/evaluation.md, 'Provenance'): the hash of the bytes
           read. */
        if (!o->table && provenance &&
            !(rep.provenance = provenance(prov_ctx, path, in.sha256, err)))
            rc = err && err->code ? err->code : lb_error_set(err, LB_ENOMEM, "out of memory");
        if (!rc) text = o->table ? lb_report_bound_table(&rep) : lb_report_bound_json(&rep);
        json_decref(rep.provenance);
        if (!rc && !text)
            rc = lb_error_set(err, LB_ENOMEM, "out of memory while writing the output");
    }
    free(res);
    lb_scores_free(&in);
    if (!rc) rc = write(write_ctx, text, strlen(text), err);
    free(text);
    return rc;
}
