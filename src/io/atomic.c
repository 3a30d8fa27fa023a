/* Atomic output: a file is written to a temporary name in its folder, fsync'ed and renamed; a
 * folder of several files is built in a temporary sibling folder and put in place under the
 * destination's lock (io.h, docs/guarantees.md). */
#include "leakbound/io.h"

#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
    /* "<path>.tmp.<pid>.<random>", created O_EXCL: unique beyond the pid (containers, NFS) */
    int fd = -1, e = 0;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        char rnd[8];
        lbi_io_random_name(rnd, 6);
        snprintf(f->tmp_path, n, "%s.tmp.%ld.%s", path, (long)getpid(), rnd);
        fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        e = errno;
        if (fd < 0 && e != EEXIST) break;
    }
    if (fd >= 0 && !(f->fp = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        unlink(f->tmp_path);
    }
    if (!f->fp) {
        free(f->tmp_path);
        f->tmp_path = NULL;
        lb_atomic_abort(f);
        return lb_error_set(err, LB_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    f->reg = lbi_io_cleanup_add(f->tmp_path);
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
    lbi_io_cleanup_remove(f->reg);
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
    lbi_io_cleanup_remove(f->reg);
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

int lb_atomic_write_json(const char *path, const json_t *doc, lb_error_t *err) {
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (!s) return lb_error_set(err, LB_ENOMEM, "%s: out of memory", path);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return lb_error_set(err, LB_ENOMEM, "%s: out of memory", path);
    }
    t[n] = '\n', t[n + 1] = '\0';
    int rc = lb_atomic_write_file(path, t, n + 1, err);
    free(t);
    return rc;
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

/* ---- the destination's lock --------------------------------------------------------------- */

/* "<dir>/.<base>.lock" for path (trailing slashes ignored); NULL when out of memory. */
static char *lock_path(const char *path) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    const char *slash = memrchr(path, '/', n);
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    char *p = malloc(n + 8);
    if (p) snprintf(p, n + 8, "%.*s.%.*s.lock", (int)dl, path, (int)(n - dl), path + dl);
    return p;
}

int lb_io_lock_acquire(lb_io_lock_t *l, const char *path, int flags, lb_error_t *err) {
    memset(l, 0, sizeof *l);
    if (flags & LB_IO_NOLOCK) return LB_OK; /* the caller holds a lock around path already */
    char *lp = lock_path(path);
    if (!lp) return lb_error_set(err, LB_ENOMEM, "out of memory");
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EISDIR))
        fd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); /* flock needs no write access */
    if (fd < 0) {
        int rc = lb_error_set(err, LB_EIO, "%s: cannot create the lock file %s: %s", path, lp,
                              strerror(errno));
        free(lp);
        return rc;
    }
    int r;
    while ((r = flock(fd, LOCK_EX | (flags & LB_IO_WAIT ? 0 : LOCK_NB))) != 0 && errno == EINTR) {
    }
    if (r != 0) {
        int e = errno, rc;
        if (e == EWOULDBLOCK)
            rc = lb_error_set(err, LB_EINVAL, "another leakbound run is writing %s (it holds %s); "
                              "wait for it or pass --wait", path, lp);
        else
            rc = lb_error_set(err, LB_EIO, "%s: cannot lock %s: %s", path, lp, strerror(e));
        close(fd);
        free(lp);
        return rc;
    }
    free(lp);
    l->fd = fd;
    l->held = 1;
    return LB_OK;
}

void lb_io_lock_release(lb_io_lock_t *l) {
    if (l->held) close(l->fd); /* closing the only descriptor releases the flock */
    memset(l, 0, sizeof *l);
}

/* ---- writing a whole folder as one ------------------------------------------------------- */

static int is_owned(const char *name, const char *const *owned) {
    for (; owned && *owned; owned++)
        if (fnmatch(*owned, name, FNM_PERIOD) == 0) return 1;
    return 0;
}

static int is_dot(const char *name) { return !strcmp(name, ".") || !strcmp(name, ".."); }

/* The names in folder dir (without . and ..), malloc'd; *n their count. Returns 0, or -1 with
 * errno set. */
static int list_dir(const char *dir, char ***names, size_t *n) {
    *names = NULL;
    *n = 0;
    DIR *dp = opendir(dir);
    if (!dp) return -1;
    size_t cap = 0;
    struct dirent *e;
    int bad = 0;
    while (!bad && (errno = 0, e = readdir(dp))) {
        if (is_dot(e->d_name)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char **m = realloc(*names, cap * sizeof *m);
            if (!m) {
                bad = ENOMEM;
                break;
            }
            *names = m;
        }
        if (!((*names)[*n] = strdup(e->d_name))) bad = ENOMEM;
        else (*n)++;
    }
    if (!bad && errno) bad = errno;
    closedir(dp);
    if (bad) {
        for (size_t i = 0; i < *n; i++) free((*names)[i]);
        free(*names);
        *names = NULL, *n = 0;
        errno = bad;
        return -1;
    }
    return 0;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* renameat2 with flags; EINVAL/ENOSYS (a file system or kernel without it) reported as such. */
static int rename2(const char *from, const char *to, unsigned flags) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
}

static int no_flag_support(int e) { return e == EINVAL || e == ENOSYS || e == ENOTSUP; }

/* name is a staging name of out's base b: ".<b>.tmp-<digits>[-<6 alnum>]" or the same with
 * ".old-". Returns 0 (not one), 1 (one that may hold a user's entries: an older version's
 * "-<pid>" only name, whose commit moved them there, or an ".old-" folder), 2 (this version's
 * temporary folder: only the new set of some command, never a user's entry). */
static int is_staging_of(const char *name, const char *b) {
    size_t bl = strlen(b);
    if (name[0] != '.' || strncmp(name + 1, b, bl) || name[1 + bl] != '.') return 0;
    const char *p = name + 2 + bl;
    int tmp = !strncmp(p, "tmp-", 4);
    if (tmp || !strncmp(p, "old-", 4)) p += 4;
    else return 0;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
    if (!*p) return 1;
    if (*p++ != '-') return 0;
    int k = 0;
    for (; *p; p++, k++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    return k != 6 ? 0 : tmp ? 2 : 1;
}

/* With out's lock held: move the entries of the stale folder st that are not owned and that
 * out lacks back into out (created if needed), then remove st. A not-owned entry that cannot
 * go back (out has one of that name, a rename fails) keeps st in place: nothing of a user's is
 * removed. */
static void recover_one(const char *out, const char *st, const char *const *owned) {
    char **names;
    size_t n;
    int keep = 0;
    if (list_dir(st, &names, &n) != 0) return;
    for (size_t i = 0; i < n; i++) {
        if (is_owned(names[i], owned)) continue;
        char *src = join2(st, names[i]), *dst = join2(out, names[i]);
        if (!src || !dst || (mkdir(out, 0777) != 0 && errno != EEXIST) ||
            rename2(src, dst, RENAME_NOREPLACE) != 0) {
            int e = errno;
            struct stat s;
            if (!src || !dst || !no_flag_support(e) || lstat(dst, &s) == 0 || rename(src, dst) != 0)
                keep = 1;
        }
        free(src), free(dst);
    }
    free_names(names, n);
    if (!keep) lb_io_remove_tree(st);
}

/* Every stale staging folder of out (see lb_io_dir_begin), recovered and removed. */
static void recover(const char *out, const char *const *owned) {
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    char *parent = slash ? strndup(out, (size_t)(slash - out) + (slash == out)) : strdup(".");
    char **names;
    size_t n;
    if (parent && list_dir(parent, &names, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            int kind = is_staging_of(names[i], base);
            if (!kind) continue;
            char *st = join2(parent, names[i]);
            /* a dead run's new set (of this or another command) is not brought into out */
            if (st && kind == 2) lb_io_remove_tree(st);
            else if (st) recover_one(out, st, owned);
            free(st);
        }
        free_names(names, n);
    }
    free(parent);
}

/* mkdir "<prefix><pid>-<random>" (0777 & ~umask); returns the malloc'd path, or NULL (errno). */
static char *make_unique_dir(const char *prefix) {
    size_t cap = strlen(prefix) + 48;
    char *p = malloc(cap);
    if (!p) return NULL;
    for (int tries = 0; tries < 100; tries++) {
        char rnd[8];
        lbi_io_random_name(rnd, 6);
        snprintf(p, cap, "%s%ld-%s", prefix, (long)getpid(), rnd);
        if (mkdir(p, 0777) == 0) return p;
        if (errno != EEXIST) break;
    }
    int e = errno;
    free(p);
    errno = e;
    return NULL;
}

/* "<parent>/.<base>.<kind>-" for out. */
static char *staging_prefix(const char *out, const char *kind) {
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    size_t cap = strlen(out) + strlen(kind) + 4;
    char *p = malloc(cap);
    if (p) snprintf(p, cap, "%.*s.%s.%s-", (int)(base - out), out, base, kind);
    return p;
}

int lb_io_dir_begin(lb_io_dir_t *d, const char *out, const char *const *owned, int flags,
                    lb_error_t *err) {
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
    d->out = given;
    d->owned = owned;
    /* Missing parent folders are created (each with mkdir, as `mkdir -p`), so that the lock
     * file and the staging folder beside out can be. */
    if (base > given) {
        char *parent = strndup(given, (size_t)(base - given));
        int e = parent ? 0 : ENOMEM;
        for (char *q = parent ? parent + 1 : NULL; !e && q && *q; q++) {
            if (*q != '/') continue;
            *q = 0;
            if (mkdir(parent, 0777) != 0 && errno != EEXIST) e = errno;
            *q = '/';
        }
        int rc = e ? (e == ENOMEM ? lb_error_set(err, LB_ENOMEM, "out of memory")
                                  : lb_error_set(err, LB_EIO, "%s: cannot create its parent folder "
                                                 "%s: %s", out, parent, strerror(e)))
                   : LB_OK;
        free(parent);
        if (rc) {
            lb_io_dir_abort(d);
            return rc;
        }
    }
    if (!(flags & LB_IO_NOLOCK)) {
        int rc = lb_io_lock_acquire(&d->lock, d->out, flags & LB_IO_WAIT, err);
        if (rc) {
            lb_io_dir_abort(d);
            return rc;
        }
        /* the lock is ours: every staging folder of out left beside it is a dead run's */
        recover(d->out, owned);
    }
    char *prefix = staging_prefix(d->out, "tmp");
    if (!prefix) {
        lb_io_dir_abort(d);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    d->path = make_unique_dir(prefix);
    if (!d->path) {
        int e = errno;
        int rc = e == ENOMEM ? lb_error_set(err, LB_ENOMEM, "out of memory")
                             : lb_error_set(err, LB_EIO, "%s: cannot create %sPID-XXXXXX: %s", out,
                                            prefix, strerror(e));
        free(prefix);
        lb_io_dir_abort(d);
        return rc;
    }
    free(prefix);
    d->reg = lbi_io_cleanup_add(d->path);
    return LB_OK;
}

/* out holds only owned entries (or none)? -1 with errno when it cannot be listed. */
static int only_owned(const char *out, const char *const *owned) {
    char **names;
    size_t n;
    if (list_dir(out, &names, &n) != 0) return -1;
    int all = 1;
    for (size_t i = 0; i < n && all; i++) all = is_owned(names[i], owned);
    free_names(names, n);
    return all;
}

/* After an exchange: the old set is at old. An entry that is not owned got there between the
 * check and the exchange (another program wrote into out): move it into out. */
static void return_strays(const char *old, const char *out, const char *const *owned) {
    char **names;
    size_t n;
    if (list_dir(old, &names, &n) != 0) return;
    for (size_t i = 0; i < n; i++) {
        if (is_owned(names[i], owned)) continue;
        char *src = join2(old, names[i]), *dst = join2(out, names[i]);
        if (src && dst && rename2(src, dst, RENAME_NOREPLACE) != 0 && no_flag_support(errno)) {
            struct stat s;
            if (lstat(dst, &s) != 0) rename(src, dst);
        }
        free(src), free(dst);
    }
    free_names(names, n);
}

/* Whole-folder swap (out holds only owned entries). Returns 0 or an errno. */
static int swap_folder(lb_io_dir_t *d) {
    if (rename2(d->path, d->out, RENAME_EXCHANGE) == 0) {
        return_strays(d->path, d->out, d->owned);
        return 0; /* d->path now holds the old set: removed by the caller */
    }
    if (!no_flag_support(errno)) return errno;
    /* No atomic exchange here (a file system without it): aside, then in. */
    char *prefix = staging_prefix(d->out, "old");
    char *old = prefix ? make_unique_dir(prefix) : NULL;
    free(prefix);
    if (!old) return errno ? errno : ENOMEM;
    int e = 0;
    if (rename(d->out, old) != 0) {
        e = errno;
    } else if (rename(d->path, d->out) != 0) {
        e = errno;
        rename(old, d->out);
    } else {
        return_strays(old, d->out, d->owned);
        rename(old, d->path); /* the old set: the caller removes d->path */
    }
    lb_io_remove_tree(old);
    free(old);
    return e;
}

/* Entry by entry (out holds entries the command does not own). Returns 0 or an errno; on
 * failure the entries exchanged so far are exchanged back. */
static int place_entries(lb_io_dir_t *d) {
    char **names;
    size_t n;
    if (list_dir(d->path, &names, &n) != 0) return errno;
    /* done[i]: 0 not moved, 1 moved into a free name, 2 exchanged (old entry now in d->path),
     * 3 renamed over an old file (no way back) */
    unsigned char *done = calloc(n ? n : 1, 1);
    int e = done ? 0 : ENOMEM;
    for (size_t i = 0; i < n && !e; i++) {
        char *src = join2(d->path, names[i]), *dst = join2(d->out, names[i]);
        if (!src || !dst) {
            e = ENOMEM;
        } else if (rename2(src, dst, RENAME_NOREPLACE) == 0) {
            done[i] = 1;
        } else if (errno == EEXIST) {
            if (rename2(src, dst, RENAME_EXCHANGE) == 0) done[i] = 2;
            else if (!no_flag_support(errno)) e = errno;
            else if (rename(src, dst) == 0) done[i] = 3;
            else e = errno;
        } else if (no_flag_support(errno)) {
            if (rename(src, dst) == 0) done[i] = 3;
            else e = errno;
        } else {
            e = errno;
        }
        free(src), free(dst);
    }
    if (e) { /* undo what can be undone */
        for (size_t i = 0; i < n; i++) {
            if (done[i] != 1 && done[i] != 2) continue;
            char *src = join2(d->path, names[i]), *dst = join2(d->out, names[i]);
            if (src && dst) {
                if (done[i] == 1) rename(dst, src);
                else rename2(src, dst, RENAME_EXCHANGE);
            }
            free(src), free(dst);
        }
    } else {
        /* owned entries of out the new set lacks: the old set's, removed */
        char **old;
        size_t m;
        if (list_dir(d->out, &old, &m) == 0) {
            for (size_t j = 0; j < m; j++) {
                if (!is_owned(old[j], d->owned)) continue;
                int in_new = 0;
                for (size_t i = 0; i < n && !in_new; i++) in_new = !strcmp(names[i], old[j]);
                if (in_new) continue;
                char *p = join2(d->out, old[j]);
                if (p) lb_io_remove_tree(p);
                free(p);
            }
            free_names(old, m);
        }
    }
    free(done);
    free_names(names, n);
    return e;
}

int lb_io_dir_commit(lb_io_dir_t *d, lb_error_t *err) {
    struct stat st;
    int rc = LB_OK, e = 0;
    fsync_path(d->path);
    lbi_io_cleanup_hold();
    int have_out = lstat(d->out, &st) == 0 || errno != ENOENT;
    if (!have_out) {
        if (rename2(d->path, d->out, RENAME_NOREPLACE) == 0) {
            d->keep = 1;
        } else if (no_flag_support(errno)) {
            if (rename(d->path, d->out) == 0) d->keep = 1;
            else e = errno;
        } else if (errno == EEXIST) {
            have_out = 1; /* created meanwhile (by another program): treat it as existing */
        } else {
            e = errno;
        }
    }
    if (have_out && !e) {
        if (stat(d->out, &st) == 0) chmod(d->path, st.st_mode & 07777);
        int all = only_owned(d->out, d->owned);
        if (all < 0) e = errno;
        else e = all ? swap_folder(d) : place_entries(d);
        /* d->path holds what the new set replaced (or, on failure, the new set): removed */
    }
    if (e) rc = lb_error_set(err, LB_EIO, "%s: cannot put %s in place: %s", d->out, d->path,
                             strerror(e));
    if (!rc) {
        if (!d->keep) lb_io_remove_tree(d->path);
        d->keep = 1;
        char *parent = strdup(d->out);
        char *slash = parent ? strrchr(parent, '/') : NULL;
        if (slash) slash[slash == parent] = 0;
        fsync_path(!parent ? "." : slash ? parent : ".");
        free(parent);
    }
    lb_io_dir_abort(d);
    lbi_io_cleanup_release();
    return rc;
}

void lb_io_dir_abort(lb_io_dir_t *d) {
    lbi_io_cleanup_remove(d->reg);
    if (d->path && !d->keep) lb_io_remove_tree(d->path);
    free(d->path);
    free(d->out);
    lb_io_lock_release(&d->lock);
    memset(d, 0, sizeof *d);
}
