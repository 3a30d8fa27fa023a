/*
 * cli.h — the subcommands of the `leakbound` program (private to src/cli).
 *
 * Each subcommand lives in its own file, cli_<name>.c, and exposes one entry point
 * `int lb_cli_<name>(int argc, char **argv)` that receives argv starting at the subcommand's
 * name, parses its flags through the one option layer below (lb_cli_next), prints results to
 * stdout and messages to stderr, and returns the process exit status. One dialect for all:
 * - errors read "leakbound CMD: message"; a usage error (unknown option, missing value or
 *   required input, bad flag value) adds the line "Try 'leakbound CMD --help'." (never the
 *   whole usage);
 * - exit status (lb_cli_exit_help, ending every --help): 0 success, 2 bad usage or bad input
 *   (including an input file that cannot be read), 1 a runtime failure (out of memory, an
 *   output that cannot be written: lb_cli_status);
 * - --threads N on every command that computes (lb_cli_threads);
 * - a command that reads one input takes it as a positional argument (a flag kept as synonym).
 * tests/oracle/cli_dialect.py (test oracle.cli_dialect) runs every subcommand against these rules.
 * Only this folder parses argv or prints for humans.
 */
#ifndef LEAKBOUND_CLI_H
#define LEAKBOUND_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "leakbound/core.h"

#define LB_EXIT_OK 0
#define LB_EXIT_FAIL 1
#define LB_EXIT_USAGE 2

typedef struct lb_cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} lb_cli_command_t;

/* The entry points main.c's table lists: ordinary (strong) symbols, so a missing
 * cli_<name>.c fails the link instead of silently dropping the command. */
#define LB_CLI_ENTRY(name) int lb_cli_##name(int argc, char **argv)
LB_CLI_ENTRY(score);
LB_CLI_ENTRY(bound);
LB_CLI_ENTRY(tokenize);
LB_CLI_ENTRY(inspect);
LB_CLI_ENTRY(generate);
LB_CLI_ENTRY(data);
LB_CLI_ENTRY(sample);
LB_CLI_ENTRY(eval);
LB_CLI_ENTRY(plot);
LB_CLI_ENTRY(tokenizer);
LB_CLI_ENTRY(demo);
LB_CLI_ENTRY(init);
LB_CLI_ENTRY(finetune);
LB_CLI_ENTRY(unlearn);
LB_CLI_ENTRY(config);
LB_CLI_ENTRY(tofu);

/* eval/tofu --config FILE.yaml [KEY=VALUE ...] [--data-dir DIR] (cli_config.c): when argv has
 * --config, load the file for cmd with the KEY=VALUE words right after FILE as overrides and
 * --data-dir as hparams.data_dir=DIR, and replace *argc and *argv by argv[0], the file's settings
 * as flags (lb_train_config_args), then the rest of argv: the command's own flags come later and
 * win. Ignored keys and notes go to stderr (MPI rank 0 only). The new argv lives until exit.
 * Returns 0 (argv unchanged without --config) or an exit status (a bad file, key or value:
 * LB_EXIT_USAGE naming the file, line and key). */
int lb_cli_config_expand(const char *cmd, int *argc, char ***argv);

/* The exit-status paragraph every --help ends with. */
extern const char lb_cli_exit_help[];

/* Bad input: print "leakbound <cmd>: <msg>" to stderr and return LB_EXIT_USAGE. */
int lb_cli_fail(const char *cmd, const lb_error_t *err);
/* A usage error: print "leakbound <cmd>: <message>" and "Try 'leakbound <cmd> --help'." (the
 * first word of cmd: "data show" -> data) to stderr; return LB_EXIT_USAGE. */
int lb_cli_failf(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Any other error: print "leakbound <cmd>: <message>" (no hint); return status. */
int lb_cli_errorf(const char *cmd, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The option layer: getopt_long (permuting: options and positional inputs mix) with the
 * dialect's messages. Use:
 *     lb_cli_parser_t p = {.cmd = CMD, .argc = argc, .argv = argv, .shortopts = "n:h",
 *                          .longopts = longopts};
 *     while ((c = lb_cli_next(&p)) != -1) switch (c) { ... case LB_CLI_BAD: return LB_EXIT_USAGE; }
 *     positional inputs: argv[optind .. argc)
 * shortopts as for getopt (without the leading ':'). */
typedef struct lb_cli_parser {
    const char *cmd;
    int argc;
    char **argv;
    const char *shortopts;
    const struct option *longopts;
    int started;
    char spec[64];
} lb_cli_parser_t;
#define LB_CLI_BAD (-2)
/* The next option's code (its value in optarg), -1 when no option is left, or LB_CLI_BAD after
 * printing "unknown option '--x'" / "option '--x' needs a value" as a usage error. */
int lb_cli_next(lb_cli_parser_t *p);

/* --threads N: the option entry every computing command lists, and its handler (N in
 * [1, 1024]; sets OpenMP's thread count). Returns 0, or the usage error's status. */
#define LB_CLI_O_THREADS 3000
#define LB_CLI_THREADS_OPTION {"threads", required_argument, 0, LB_CLI_O_THREADS}
int lb_cli_threads(const char *cmd, const char *arg);

/* --wait on every command that writes an output folder or an -o file: that output is locked
 * (lb_io_lock_*) while the command writes it; a second run into the same output is refused at
 * once (exit 2, "another leakbound run is writing OUT; wait for it or pass --wait"), or with
 * --wait waits for the first one to finish. lb_cli_wait_help is its --help line (ends with a
 * newline). lb_cli_io_flags gives the lb_io flags for such an output: LB_IO_WAIT with --wait. */
#define LB_CLI_O_WAIT 3001
#define LB_CLI_WAIT_OPTION {"wait", no_argument, 0, LB_CLI_O_WAIT}
extern const char lb_cli_wait_help[];
int lb_cli_io_flags(int wait);

/* The exit status for a failed command that writes its results under the folder out (and its
 * temporary sibling tmp; either may be NULL): LB_EXIT_FAIL (1) for out of memory and for an I/O
 * error on a file there (the message starts with such a path: errors name their file first),
 * LB_EXIT_USAGE (2) otherwise (bad input, including an input file that cannot be read). */
int lb_cli_status(const lb_error_t *err, const char *out, const char *tmp);
/* Print "leakbound <cmd>: <msg>" to stderr and return lb_cli_status(err, out, tmp). */
int lb_cli_fail_status(const char *cmd, const lb_error_t *err, const char *out, const char *tmp);
/* At the end of a command that printed to stdout: flush it; when that fails (a full disk, a
 * closed pipe) print "<stdout>: write failed: <reason>" and turn status 0 into 1. Returns the
 * status. */
int lb_cli_stdout_done(const char *cmd, int status);

/* Find the bundled default (a folder with model/ and forget.jsonl): $LEAKBOUND_DEFAULT_DIR, else
 * next to the program (../examples/default, ../share/leakbound/default), else the source tree.
 * Writes the folder into out; returns 0, or -1 when none is there. It stays in the CLI (it
 * looks beside the running program, /proc/self/exe); what the folder means for a run, its
 * files and settings, is the library's (lb_eval_default_apply). */
int lb_cli_default_dir(char *out, size_t cap);

/* Keep a copy of the program's whole command line (main() calls this first, before any
 * getopt_long reorders a subcommand's argv): the "argv" of lb_eval_provenance. */
void lb_cli_keep_argv(int argc, char **argv);

/* The command line lb_cli_keep_argv kept: its argc, and *argv (NULL when none was kept). */
int lb_cli_kept_argv(char ***argv);

/* lb_eval_provenance of the kept command line and these inputs (any may be NULL, as there):
 * the "provenance" object every report of the CLI records. NULL with err set on failure. */
json_t *lb_cli_provenance(const char *model_dir, const char *model_sha, const char *data_path,
                          const char *data_sha, lb_error_t *err);

/* A command's stdout held back until the command succeeded ("on bad input nothing is written
 * to stdout"): an unlinked temporary file, in memory when none can be made. */
typedef struct lb_cli_spool {
    FILE *fp;          /* write the output here */
    char *mem;         /* the memory stream's buffer (in_memory) */
    size_t mem_len;
    int in_memory;
} lb_cli_spool_t;
/* Open s. Returns 0, or -1 when neither a temporary file nor a memory stream can be made. */
int lb_cli_spool_open(lb_cli_spool_t *s);
/* Copy what s holds to stdout and flush it. Returns 0, or -1 (errno says why, 0 if unknown). */
int lb_cli_spool_copy_out(lb_cli_spool_t *s);
/* Close s and free its memory; s->fp NULL is a no-op. */
void lb_cli_spool_close(lb_cli_spool_t *s);

/* An --out folder that could not be taken (its lock or its creation): err prefixed with
 * "--out", printed as "leakbound <cmd>: <msg>"; returns 2 for LB_EINVAL (locked by another
 * run, not a folder), else 1. */
int lb_cli_out_failed(const char *cmd, lb_error_t *err);

#endif
