/* fictitious_set.c — `leakbound data fictitious` as one call: the whole benchmark written into
 * a folder as one set (lb_io_dir_*: under the folder's lock, renamed into place together, so
 * two runs never mix seeds and a failure leaves the folder as it was). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "leakbound/data.h"
#include "leakbound/io.h"

/* The folders above out, created (mkdir -p) before out's lock is taken beside out. */
static int make_parents(const char *out, int *at, lb_error_t *err) {
    size_t n = strlen(out);
    char *p = malloc(n + 1);
    if (!p) return lb_error_set(err, LB_ENOMEM, "out of memory");
    memcpy(p, out, n + 1);
    while (n > 1 && p[n - 1] == '/') p[--n] = 0; /* "a/b/" is "a/b" */
    char *last = strrchr(p, '/');
    n = last && last != p ? (size_t)(last - p) : 0; /* the parent's length; 0: "." or "/" */
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/') continue;
        char keep = p[i];
        p[i] = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            int rc = lb_error_set(err, LB_EIO, "cannot create %s: %s", p, strerror(errno));
            *at = LB_FICTITIOUS_AT_DIR;
            free(p);
            return rc;
        }
        p[i] = keep;
    }
    free(p);
    return 0;
}

int lb_fictitious_write_set(const lb_fictitious_opts_t *opts, const char *out, int io_flags,
                            lb_fictitious_set_result_t *res, lb_error_t *err) {
    lb_fictitious_set_result_t dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    int *at = &res->at;
    *at = LB_FICTITIOUS_AT_WRITE;
    int rc = make_parents(out, at, err);
    if (rc) return rc;
    static const char *const owned[] = {"full.jsonl", "forget01.jsonl", "forget05.jsonl",
                                        "forget10.jsonl", "retain99.jsonl", "retain95.jsonl",
                                        "retain90.jsonl", "holdout.jsonl", NULL};
    lb_io_dir_t d;
    if ((rc = lb_io_dir_begin(&d, out, owned, io_flags, err))) {
        *at = LB_FICTITIOUS_AT_DIR;
        return rc;
    }
    rc = lb_fictitious_write(opts, d.path, err);
    if (!rc) rc = lb_io_dir_commit(&d, err);
    lb_io_dir_abort(&d);
    if (!rc) {
        res->n_authors = opts->n_authors;
        res->n_holdout = lb_fictitious_forget_authors(opts->n_authors, 10); /* generate's rule */
    }
    return rc;
}
