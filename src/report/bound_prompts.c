/* bound_prompts.c — the numbers of the bound document: every prompt's bounds from a scores file
 * as lb_scores_read gives it (ragged rows), through the stats module's one loop. */
#include <stdlib.h>

#include "leakbound/report.h"

int lb_report_bound_prompts(lb_scores_t *in, const lb_stats_options_t *opt, int threads,
                            lb_stats_prompt_t **out, lb_error_t *err) {
    *out = NULL;
    if (threads < 1) return lb_error_set(err, LB_EINVAL, "threads must be >= 1, got %d", threads);
    size_t np = in->n_prompts, nt = opt->n_thresholds, max_n = 1;
    for (size_t p = 0; p < np; p++)
        if (in->offset[p + 1] - in->offset[p] > max_n) max_n = in->offset[p + 1] - in->offset[p];
    /* One block the caller frees: (np) results, then their M_gen (np, nt) and P_ge (np, nt). The
       results' size is a multiple of sizeof(double) (they hold doubles), so the doubles align. */
    lb_stats_prompt_t *res = malloc(np * sizeof *res + (2 * np * nt + 1) * sizeof(double));
    double *scratch = malloc((size_t)threads * max_n * sizeof *scratch); /* (threads, max_n) */
    if (!res || !scratch) {
        free(res);
        free(scratch);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    double *M_gen = (double *)(res + np), *P_ge = M_gen + np * nt;
    size_t bad;
    int rc = lb_stats_ragged_bounds(in->scores, in->offset, np, max_n, scratch, threads, opt, res,
                                    M_gen, P_ge, &bad, err);
    free(scratch);
    if (rc) {
        if (bad < np) lb_error_prefix(err, "prompt %zu", bad + 1);
        free(res);
        return rc;
    }
    *out = res;
    return LB_OK;
}
