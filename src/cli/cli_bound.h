/*
 * cli_bound.h — the pieces of `leakbound bound` (private to src/cli): the scores are read by
 * lb_scores_read (leakbound/score.h); writing the document (cli_bound_write.c), and the
 * command (cli_bound.c).
 */
#ifndef LEAKBOUND_CLI_BOUND_H
#define LEAKBOUND_CLI_BOUND_H

#include <stdio.h>
#include <jansson.h>

#include "leakbound/core.h"
#include "leakbound/score.h"
#include "leakbound/stats.h"

typedef struct bound_report {
    const lb_stats_options_t *opt;
    const char *method_name;
    double report_above;
    const lb_scores_t *in;
    const lb_stats_prompt_t *prompts; /* (n_prompts) */
    json_t *provenance;               /* lb_cli_provenance's object, or NULL (borrowed) */
} bound_report_t;

/* The whole JSON document / the human table, as one malloc'd string (caller frees), so that
 * nothing reaches stdout unless all of it is ready. NULL when out of memory. */
char *bound_render_json(const bound_report_t *r);
char *bound_render_table(const bound_report_t *r);

#endif
