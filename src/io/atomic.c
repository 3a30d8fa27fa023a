/* Atomic output: a file is written to a temporary name in its folder, fsync'ed and renamed; a
 * folder of several files is built in a temporary sibling folder and renamed into place. */
#include "leakbound/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    /* The first failure's errno is the reason (a later call may overwrite errno). */
    int e = 0;
    errno = 0;
    if (fflush(f->fp) != 0 || ferror(f->fp)) e = errno ? errno : EIO;
    if (!f->tmp_path) {
        f->fp = NULL;
        return e ? lb_error_set(err, LB_EIO, "<stdout>: write failed: %s", strerror(e)) : LB_OK;
    }
    if (!e && fsync(fileno(f->fp)) != 0) e = errno;
    if (fclose(f->fp) != 0 && !e) e = errno;
    f->fp = NULL;
    if (!e && rename(f->tmp_path, f->path) != 0) e = errno;
    if (e) {
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

/* ---- writing a whole folder as one ------------------------------------------------------- */

/* Write len bytes of data to an open atomic file; a short write names the file and the reason. */
int lb_atomic_write(lb_atomic_file_t *f, const void *data, size_t len, lb_error_t *err) {
    errno = 0;
    if (len && fwrite(data, 1, len, f->fp) != len) {
        int e = errno ? errno : EIO;
        return lb_error_set(err, LB_EIO, "%s: write failed: %s", f->tmp_path ? f->path : "<stdout>",
                            strerror(e));
    }
    return LB_OK;
}

int lb_atomic_write_file(const char *path, const void *data, size_t len, lb_error_t *err) {
    lb_atomic_file_t f;
    int rc = lb_atomic_open(&f, path, err);
    if (rc) return rc;
    if ((rc = lb_atomic_write(&f, data, len, err))) {
        lb_atomic_abort(&f);
        return rc;
    }
    return lb_atomic_commit(&f, err);
}

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void lb_io_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    nftw(path, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void fsync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static char *join2(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int lb_io_dir_begin(lb_io_dir_t *d, const char *out, lb_error_t *err) {
    memset(d, 0, sizeof *d);
    size_t n = out ? strlen(out) : 0;
    while (n > 1 && out[n - 1] == '/') n--;
    if (!n) return lb_error_set(err, LB_EINVAL, "output folder: an empty name");
    char *given = strndup(out, n);
    if (!given) return lb_error_set(err, LB_ENOMEM, "out of memory");
    /* A link to a folder: replace the folder it names, keep the link. */
    struct stat st;
    char *target = NULL;
    if (lstat(given, &st) == 0 && S_ISLNK(st.st_mode)) {
        target = realpath(given, NULL);
        if (!target) {
            int e = errno;
            free(given);
            return lb_error_set(err, LB_EIO, "%s: cannot resolve the link: %s", out, strerror(e));
        }
        free(given);
        given = target;
        n = strlen(given);
    }
    const char *slash = strrchr(given, '/');
    const char *base = slash ? slash + 1 : given;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        int rc = lb_error_set(err, LB_EINVAL, "%s: name the output folder itself (not '.', '..' "
                              "or '/'): it is replaced as a whole", out);
        free(given);
        return rc;
    }
    if (stat(given, &st) == 0 && !S_ISDIR(st.st_mode)) {
        int rc = lb_error_set(err, LB_EINVAL, "%s: exists and is not a folder", out);
        free(given);
        return rc;
    }
    size_t cap = n + 48;
    d->out = given;
    d->path = malloc(cap);
    if (!d->path) {
        lb_io_dir_abort(d);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    snprintf(d->path, cap, "%.*s.%s.tmp-%ld", (int)(base - given), given, base, (long)getpid());
    /* One left by an earlier process with this pid: that process is gone. */
    lb_io_remove_tree(d->path);
    if (mkdir(d->path, 0777) != 0) {
        int e = errno;
        int rc = lb_error_set(err, LB_EIO, "%s: cannot create %s: %s", out, d->path, strerror(e));
        lb_io_dir_abort(d);
        return rc;
    }
    return LB_OK;
}

static int is_owned(const char *name, const char *const *owned) {
    for (; owned && *owned; owned++)
        if (fnmatch(*owned, name, FNM_PERIOD) == 0) return 1;
    return 0;
}

/* Move the entries of from that are not owned and that to lacks into to (renames); *n_moved
 * counts them (their names in *moved, for put_back). Returns 0, or -1 with errno set. */
static int carry(const char *from, const char *to, const char *const *owned, char ***moved,
                 long *n_moved) {
    DIR *dir = opendir(from);
    if (!dir) return -1;
    long n = 0;
    size_t cap = 0;
    struct dirent *e;
    int bad = 0;
    while (!bad && (errno = 0, e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_owned(e->d_name, owned))
            continue;
        char *src = join2(from, e->d_name), *dst = join2(to, e->d_name);
        struct stat st;
        if (!src || !dst) {
            errno = ENOMEM;
            bad = 1;
        } else if (lstat(dst, &st) == 0) {
            /* the new set has this name: the old entry goes with the old set */
        } else if (errno != ENOENT) {
            bad = 1;
        } else {
            if ((size_t)n == cap) {
                cap = cap ? 2 * cap : 8;
                char **m = realloc(*moved, cap * sizeof *m);
                if (!m) errno = ENOMEM, bad = 1;
                else *moved = m;
            }
            if (!bad && rename(src, dst) != 0) bad = 1;
            if (!bad) (*moved)[n++] = strdup(e->d_name);
            *n_moved = n;
        }
        int keep = errno;
        free(src), free(dst);
        errno = keep;
    }
    int keep = errno;
    if (!bad && keep) bad = 1;
    closedir(dir);
    errno = keep;
    return bad ? -1 : 0;
}

/* Undo carry: move the named entries back; returns 0 when all went back. */
static int put_back(const char *from, const char *to, char **moved, long n) {
    int bad = 0;
    for (long i = 0; i < n; i++) {
        char *src = moved[i] ? join2(from, moved[i]) : NULL, *dst = moved[i] ? join2(to, moved[i]) : NULL;
        if (!src || !dst || rename(src, dst) != 0) bad = 1;
        free(src), free(dst);
    }
    return bad ? -1 : 0;
}

int lb_io_dir_commit(lb_io_dir_t *d, const char *const *owned, lb_error_t *err) {
    struct stat st;
    int rc = LB_OK, e = 0;
    char **moved = NULL;
    long n_moved = 0;
    fsync_path(d->path);
    if (lstat(d->out, &st) != 0 && errno == ENOENT) {
        if (rename(d->path, d->out) != 0) {
            e = errno;
            rc = lb_error_set(err, LB_EIO, "%s: cannot rename %s into place: %s", d->out, d->path,
                              strerror(e));
        }
    } else {
        if (stat(d->out, &st) == 0) chmod(d->path, st.st_mode & 07777);
        if (carry(d->out, d->path, owned, &moved, &n_moved) != 0) {
            e = errno;
            rc = lb_error_set(err, LB_EIO, "%s: cannot carry its other entries over: %s", d->out,
                              strerror(e));
        } else if (renameat2(AT_FDCWD, d->path, AT_FDCWD, d->out, RENAME_EXCHANGE) != 0) {
            /* No atomic exchange here (a file system without it): aside, then in. */
            size_t cap = strlen(d->out) + 48;
            char *old = malloc(cap);
            const char *slash = strrchr(d->out, '/');
            const char *base = slash ? slash + 1 : d->out;
            if (old) snprintf(old, cap, "%.*s.%s.old-%ld", (int)(base - d->out), d->out, base,
                              (long)getpid());
            if (old) lb_io_remove_tree(old);
            if (!old) {
                e = ENOMEM;
            } else if (rename(d->out, old) != 0) {
                e = errno;
            } else if (rename(d->path, d->out) != 0) {
                e = errno;
                rename(old, d->out);
            } else {
                /* the old set now lives at old; let the code below remove it from d->path */
                rename(old, d->path);
            }
            free(old);
            if (e) rc = lb_error_set(err, LB_EIO, "%s: cannot rename %s into place: %s", d->out,
                                     d->path, strerror(e));
        }
        if (rc && n_moved > 0 && put_back(d->path, d->out, moved, n_moved) != 0) {
            /* Keep the temporary folder: it holds entries of out that could not go back. */
            if (err) {
                char prev[sizeof err->msg];
                memcpy(prev, err->msg, sizeof prev);
                lb_error_set(err, LB_EIO, "%s (entries of %s are left in %s)", prev, d->out, d->path);
            }
            d->keep = 1;
        }
        if (!rc) lb_io_remove_tree(d->path); /* the replaced set */
    }
    for (long i = 0; i < n_moved; i++) free(moved[i]);
    free(moved);
    if (!rc) {
        char *parent = strdup(d->out);
        char *slash = parent ? strrchr(parent, '/') : NULL;
        if (slash) slash[slash == parent] = 0;
        fsync_path(!parent ? "." : slash ? parent : ".");
        free(parent);
        d->keep = 1; /* nothing left to remove */
    }
    lb_io_dir_abort(d);
    return rc;
}

void lb_io_dir_abort(lb_io_dir_t *d) {
    if (d->path && !d->keep) lb_io_remove_tree(d->path);
    free(d->path);
    free(d->out);
    memset(d, 0, sizeof *d);
}
