/* Helpers shared by the subcommands: error printing, exit statuses, flag-value parsing. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int lb_cli_fail(const char *cmd, const lb_error_t *err) {
    fprintf(stderr, "leakbound %s: %s\n", cmd, err->msg);
    return LB_EXIT_USAGE;
}

int lb_cli_failf(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "leakbound %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return LB_EXIT_USAGE;
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

int lb_cli_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int lb_cli_parse_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}
