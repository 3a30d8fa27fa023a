/*
 * cli_plot.h — `leakbound plot` (private to src/cli): the report document and the scores
 * JSONL are read by lb_report_plot_doc_read / lb_report_plot_scores_read (leakbound/report.h);
 * the command (cli_plot.c) parses argv, picks the prompts and draws.
 */
#ifndef LEAKBOUND_CLI_PLOT_H
#define LEAKBOUND_CLI_PLOT_H

#include <jansson.h>
#include <stddef.h>

#include "leakbound/core.h"
#include "leakbound/report.h"

#define PLOT_MAX_PANELS 64

#endif
