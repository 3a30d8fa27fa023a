/*
 * cli_bound.h — `leakbound bound` (private to src/cli): the scores are read by lb_scores_read
 * (leakbound/score.h), the bounds computed by lb_report_bound_prompts and the document written
 * by lb_report_bound_json/table (leakbound/report.h); cli_bound.c parses argv and prints.
 */
#ifndef LEAKBOUND_CLI_BOUND_H
#define LEAKBOUND_CLI_BOUND_H

#include <stdio.h>
#include <jansson.h>

#include "leakbound/core.h"
#include "leakbound/report.h"
#include "leakbound/score.h"
#include "leakbound/stats.h"

#endif
