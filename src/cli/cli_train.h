/* Flags and progress shared by `leakbound finetune` and `leakbound unlearn`. */
#ifndef LEAKBOUND_CLI_TRAIN_H
#define LEAKBOUND_CLI_TRAIN_H

#include "leakbound/train_run.h"

/* Parse argv for cmd ("finetune" or "unlearn") into o (defaults: docs/training.md for that command)
 * Returns 0, LB_EXIT_USAGE (message printed) or -1 after printing --help to stdout. */
int lb_cli_train_parse(const char *cmd, int argc, char **argv, lb_train_run_opts_t *o,
                       void (*usage)(FILE *));

/* Run o with progress on stderr; then the loss curve <out>/loss.svg (lb_report_loss_svg).
 * Returns the exit status. */
int lb_cli_train_run(const char *cmd, lb_train_run_opts_t *o);

/* The flag lines both commands print in --help. */
extern const char lb_cli_train_flags_help[];

#endif
