/* Helpers shared by the subcommands: error printing, exit statuses, flag-value parsing,
 * provenance. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "leakbound/eval.h"
#include "leakbound/io.h"
#include "leakbound/model.h"

const char lb_cli_exit_help[] =
    "Exit status: 0 success; 2 bad usage or bad input (the message names the flag, or the\n"
    "file and line); 1 a runtime failure (out of memory, an output that cannot be written).\n";

const char lb_cli_wait_help[] =
    "  --wait                   if another leakbound run is writing the same output, wait for\n"
    "                           it to finish (default: refuse at once, exit 2)\n";

int lb_cli_io_flags(int wait) { return wait ? LB_IO_WAIT : 0; }

/* The part of cmd before a blank ("data show" -> "data"): the command whose --help helps. */
static void hint(const char *cmd) {
    int n = (int)strcspn(cmd, " ");
    fprintf(stderr, "Try 'leakbound %.*s --help'.\n", n, cmd);
}

int lb_cli_fail(const char *cmd, const lb_error_t *err) {
    fprintf(stderr, "leakbound %s: %s\n", cmd, err->msg);
    return LB_EXIT_USAGE;
}

/* "leakbound CMD: " + the formatted message + a newline, on stderr. */
static void vreport(const char *cmd, const char *fmt, va_list ap) {
    fprintf(stderr, "leakbound %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int lb_cli_failf(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    hint(cmd);
    return LB_EXIT_USAGE;
}

int lb_cli_errorf(const char *cmd, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap);
    va_end(ap);
    return status;
}

/* The long option nearest to the unknown word w ("--name", without "=value"): one edit away,
 * or two from a word of five letters or more; NULL when none is. */
static const char *nearest_option(const struct option *o, const char *w, size_t wl) {
    const char *best = NULL;
    size_t bd = 3;
    if (wl < 3 || strncmp(w, "--", 2)) return NULL;
    for (; o && o->name; o++) {
        size_t d = lb_edit_distance(w + 2, wl - 2, o->name, strlen(o->name));
        if (d < bd && (d <= 1 || wl - 2 >= 5)) bd = d, best = o->name;
    }
    return best;
}

int lb_cli_next(lb_cli_parser_t *p) {
    if (!p->started) {
        p->started = 1;
        optind = 0; /* glibc: start afresh (a previous command may have parsed) */
        opterr = 0;
        snprintf(p->spec, sizeof p->spec, ":%s", p->shortopts ? p->shortopts : "");
    }
    int c = getopt_long(p->argc, p->argv, p->spec, p->longopts, NULL);
    if (c == '?' || c == ':') {
        char name[256];
        const char *w = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "?";
        /* a long option as written (without "=value"); a short one by its letter */
        if (!strncmp(w, "--", 2) || !optopt || optopt > 127)
            snprintf(name, sizeof name, "%.*s", (int)strcspn(w, "="), w);
        else
            snprintf(name, sizeof name, "-%c", optopt);
        const char *near = c == '?' ? nearest_option(p->longopts, name, strlen(name)) : NULL;
        /* getopt_long refuses an abbreviation of several options: name them */
        char amb[256] = "";
        size_t n_amb = 0, nl = strlen(name), al = 0;
        for (const struct option *o = p->longopts; c == '?' && nl > 2 && !strncmp(name, "--", 2) &&
                                                   o && o->name; o++)
            if (!strncmp(o->name, name + 2, nl - 2) && al < sizeof amb - 80)
                al += (size_t)snprintf(amb + al, sizeof amb - al, "%s--%s", n_amb++ ? ", " : "",
                                       o->name);
        if (n_amb > 1)
            return lb_cli_failf(p->cmd, "option '%s' is ambiguous: %s", name, amb), LB_CLI_BAD;
        if (near)
            return lb_cli_failf(p->cmd, "unknown option '%s' (did you mean '--%s'?)", name, near),
                   LB_CLI_BAD;
        return c == '?' ? (lb_cli_failf(p->cmd, "unknown option '%s'", name), LB_CLI_BAD)
                        : (lb_cli_failf(p->cmd, "option '%s' needs a value", name), LB_CLI_BAD);
    }
    return c;
}

int lb_cli_threads(const char *cmd, const char *arg) {
    long v;
    if (lb_core_parse_long(arg, &v) || v < 1 || v > 1024)
        return lb_cli_failf(cmd, "--threads: expected an integer in [1, 1024], got '%s'", arg);
    omp_set_num_threads((int)v);
    return 0;
}

static int under(const char *msg, const char *dir) {
    size_t n = dir ? strlen(dir) : 0;
    return n && !strncmp(msg, dir, n) && (msg[n] == '/' || msg[n] == ':' || msg[n] == '.');
}

int lb_cli_status(const lb_error_t *err, const char *out, const char *tmp) {
    if (err->code == LB_ENOMEM) return LB_EXIT_FAIL;
    if (err->code == LB_EIO && (under(err->msg, out) || under(err->msg, tmp))) return LB_EXIT_FAIL;
    return LB_EXIT_USAGE;
}

int lb_cli_fail_status(const char *cmd, const lb_error_t *err, const char *out, const char *tmp) {
    fprintf(stderr, "leakbound %s: %s\n", cmd, err->msg);
    return lb_cli_status(err, out, tmp);
}

int lb_cli_stdout_done(const char *cmd, int status) {
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno ? errno : EIO;
    if (!bad) return status;
    fprintf(stderr, "leakbound %s: <stdout>: write failed: %s\n", cmd, strerror(e));
    return status == LB_EXIT_OK ? LB_EXIT_FAIL : status;
}


/* ---- provenance: what made a report ---------------------------------------------------- */

static char **kept_argv;
static int kept_argc;

void lb_cli_keep_argv(int argc, char **argv) {
    free(kept_argv);
    kept_argv = NULL;
    kept_argc = 0;
    if (argc <= 0 || !(kept_argv = malloc((size_t)argc * sizeof *kept_argv))) return;
    memcpy(kept_argv, argv, (size_t)argc * sizeof *kept_argv);
    kept_argc = argc;
}

int lb_cli_kept_argv(char ***argv) {
    *argv = kept_argv;
    return kept_argc;
}

json_t *lb_cli_provenance(const char *model_dir, const char *model_sha, const char *data_path,
                          const char *data_sha, lb_error_t *err) {
    return lb_eval_provenance(kept_argc, kept_argv, model_dir, model_sha, data_path, data_sha, err);
}

int lb_cli_spool_open(lb_cli_spool_t *s) {
    memset(s, 0, sizeof *s);
    if ((s->fp = tmpfile())) return 0;
    s->in_memory = 1;
    return (s->fp = open_memstream(&s->mem, &s->mem_len)) ? 0 : -1;
}

int lb_cli_spool_copy_out(lb_cli_spool_t *s) {
    errno = 0;
    if (s->in_memory) {
        int bad = fclose(s->fp);
        s->fp = NULL;
        if (bad || fwrite(s->mem, 1, s->mem_len, stdout) != s->mem_len) return -1;
        return fflush(stdout) ? -1 : 0;
    }
    char buf[1 << 16];
    size_t n;
    if (fflush(s->fp) || fseek(s->fp, 0, SEEK_SET)) return -1;
    while ((n = fread(buf, 1, sizeof buf, s->fp)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) return -1;
    if (ferror(s->fp)) return -1;
    return fflush(stdout) ? -1 : 0;
}

void lb_cli_spool_close(lb_cli_spool_t *s) {
    if (s->fp) fclose(s->fp);
    free(s->mem);
    memset(s, 0, sizeof *s);
}

int lb_cli_out_failed(const char *cmd, lb_error_t *err) {
    lb_error_prefix(err, "--out");
    fprintf(stderr, "leakbound %s: %s\n", cmd, err->msg);
    return err->code == LB_EINVAL ? LB_EXIT_USAGE : LB_EXIT_FAIL;
}
