/* Atomic file output: temporary file in the same directory, fsync, rename. */
#include "leakbound/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lb_atomic_open(lb_atomic_file_t *f, const char *path, lb_error_t *err) {
    memset(f, 0, sizeof *f);
    if (strcmp(path, "-") == 0) {
        f->fp = stdout;
        return LB_OK;
    }
    size_t n = strlen(path) + 32;
    f->path = strdup(path);
    f->tmp_path = malloc(n);
    if (!f->path || !f->tmp_path) {
        lb_atomic_abort(f);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    snprintf(f->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        int e = errno;
        lb_atomic_abort(f);
        return lb_error_set(err, LB_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    return LB_OK;
}

int lb_atomic_commit(lb_atomic_file_t *f, lb_error_t *err) {
    if (!f->tmp_path) {
        int bad = fflush(f->fp) != 0 || ferror(f->fp);
        f->fp = NULL;
        return bad ? lb_error_set(err, LB_EIO, "<stdout>: write failed") : LB_OK;
    }
    int bad = fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) != 0;
    bad |= fclose(f->fp) != 0;
    f->fp = NULL;
    if (bad || rename(f->tmp_path, f->path) != 0) {
        int e = errno;
        int rc = lb_error_set(err, LB_EIO, "%s: write failed: %s", f->path, strerror(e));
        lb_atomic_abort(f);
        return rc;
    }
    free(f->tmp_path);
    free(f->path);
    memset(f, 0, sizeof *f);
    return LB_OK;
}

void lb_atomic_abort(lb_atomic_file_t *f) {
    if (f->tmp_path) {
        if (f->fp) fclose(f->fp);
        unlink(f->tmp_path);
    }
    free(f->tmp_path);
    free(f->path);
    memset(f, 0, sizeof *f);
}
