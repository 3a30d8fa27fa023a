/* Error reports: fixed-size messages so that reporting an error never allocates. */
#include "leakbound/core.h"

#include <stdio.h>
#include <string.h>

int lb_error_set(lb_error_t *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void lb_error_prefix(lb_error_t *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Truncation is acceptable: messages are bounded on purpose. */
    memcpy(old, err->msg, sizeof old);
    size_t np = strlen(prefix), cap = sizeof err->msg - 1;
    if (np > cap) np = cap;
    memcpy(err->msg, prefix, np);
    size_t at = np;
    for (const char *s = ": "; *s && at < cap; s++) err->msg[at++] = *s;
    size_t no = strnlen(old, sizeof old);
    if (no > cap - at) no = cap - at;
    memcpy(err->msg + at, old, no);
    err->msg[at + no] = '\0';
}
