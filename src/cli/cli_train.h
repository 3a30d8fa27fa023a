/* Flags, progress and loss plot shared by `leakbound finetune` and `leakbound unlearn`. */
#ifndef LEAKBOUND_CLI_TRAIN_H
#define LEAKBOUND_CLI_TRAIN_H

#include "leakbound/train_run.h"

/* Parse argv for cmd ("finetune" or "unlearn") into o (defaults: docs/training.md for that command)
 * Returns 0, LB_EXIT_USAGE (message printed) or -1 after printing --help to stdout. */
int lb_cli_train_parse(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *));

/* Run o with progress on stderr; then the loss curve <out>/loss.svg from train_log.csv.
 * Returns the exit status. */
int lb_cli_train_run(const char *cmd, lb_train_run_opts_t *o);

/* Mean of the prompts' "greedy" scores of an eval report.json at path (summed in order, divided
 * by their number) into *out. Returns 0 or LB_EFORMAT naming the file. */
int lb_cli_mean_greedy(const char *report, double *out, lb_error_t *err);

/* The flag lines both commands print in --help. */
extern const char lb_cli_train_flags_help[];

#endif
