/* `sample -o FILE --resume`: FILE.settings.json against this run's settings, and the complete
 * groups FILE already holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakbound/eval.h"
#include "leakbound/io.h"

/* A setting's value for a message: JSON, reals with the fewest digits that read back exactly. */
static char *show_value(const json_t *v) {
    if (!v) return strdup("(none)");
    if (json_is_real(v)) {
        double x = json_real_value(v);
        char buf[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, x);
            if (strtod(buf, NULL) == x) break;
        }
        return strdup(buf);
    }
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* --resume: FILE.settings.json must hold exactly this run's settings. A FILE with no lines yet
 * and no settings file just gets one. */
int lb_eval_sample_settings_check(const char *path, const char *spath, int fd, const json_t *doc,
                           lb_error_t *err) {
    struct stat st;
    if (access(spath, F_OK) != 0) {
        if (errno != ENOENT)
            return lb_error_set(err, LB_EIO, "%s: cannot read: %s", spath, strerror(errno));
        if (fstat(fd, &st) == 0 && st.st_size == 0) return lb_atomic_write_json(spath, doc, err);
        return lb_error_set(err, LB_EINVAL, "%s is missing: nothing tells which settings made %s, "
                            "so it cannot be resumed safely (sample again without --resume)",
                            spath, path);
    }
    json_error_t je;
    json_t *old = json_load_file(spath, 0, &je);
    if (!json_is_object(old)) {
        json_decref(old);
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: not a settings file of leakbound sample%s%s",
                            spath, je.line, je.column, old ? "" : ": ", old ? "" : je.text);
    }
    int rc = LB_OK;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v) {
        json_t *w = json_object_get(old, key);
        if (w && json_equal(v, w)) continue;
        char *was = show_value(w), *now = show_value(v);
        rc = lb_error_set(err, LB_EINVAL, "%s: setting '%s' differs: %s was made with %s, this run "
                          "has %s (resume with the same settings, or sample again without "
                          "--resume)", spath, key, path, was ? was : "?", now ? now : "?");
        free(was);
        free(now);
        break;
    }
    if (!rc)
        json_object_foreach(old, key, v) if (!json_object_get(doc, key)) {
            rc = lb_error_set(err, LB_EINVAL, "%s: setting '%s' is not one this version records: "
                              "%s was made by another version (sample again without --resume)",
                              spath, key, path);
            break;
        }
    json_decref(old);
    return rc;
}

/* ctx's item ids sorted (ties by item number), for finding a group's item in O(log P). */
typedef struct id_ix {
    const char *id;
    size_t i;
} id_ix_t;

static int id_ix_cmp(const void *a, const void *b) {
    const id_ix_t *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The first item (lowest number) with this id, as a scan from item 0 finds it; n when none. */
static size_t id_ix_find(const id_ix_t *ix, size_t n, const char *id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !strcmp(ix[lo].id, id) ? ix[lo].i : n;
}

/* --resume: find the complete groups of path (n_res lines each, samples in order), truncate
 * whatever follows the last complete group, and mark the items they cover as done; resumed
 * gets each complete group's bytes (gathered in grp as its lines are read). */
int lb_eval_sample_resume_scan(const char *path, int fd, const lb_eval_ctx_t *ctx, int n_res, int greedy,
                       unsigned char *done, size_t *n_done, lb_eval_resumed_fn resumed,
                       void *user, lb_error_t *err) {
    size_t n_items = ctx->n_items;
    id_ix_t *ix = malloc((n_items ? n_items : 1) * sizeof *ix);
    if (!ix) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_items; i++) ix[i] = (id_ix_t){ctx->ds.items[i].id, i};
    qsort(ix, n_items, sizeof *ix, id_ix_cmp);
    FILE *f = fdopen(dup(fd), "r");
    if (!f) {
        free(ix);
        return lb_error_set(err, LB_EIO, "%s: cannot read: %s", path, strerror(errno));
    }
    char *line = NULL, *gid = NULL, *grp = NULL;
    size_t cap = 0, grp_cap = 0, grp_len = 0;
    ssize_t n;
    off_t pos = 0, keep = 0;
    long lineno = 0;
    int in_group = 0, rc = 0;
    *n_done = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] != '\n') break; /* a torn last line */
        pos += n;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)n, 0, &je);
        const char *id = o ? json_string_value(json_object_get(o, "id")) : NULL;
        json_t *sv = o ? json_object_get(o, "sample") : NULL;
        if (!id || !json_is_integer(sv)) {
            json_decref(o);
            /* a line damaged by the interruption can only be the last one */
            if (getline(&line, &cap, f) > 0)
                rc = lb_error_set(err, LB_EFORMAT, "%s:%ld: not a line of leakbound sample", path, lineno);
            break;
        }
        long want = (long)in_group - (greedy ? 1 : 0);
        if (in_group > 0 && strcmp(id, gid)) {
            rc = lb_error_set(err, LB_EFORMAT, "%s:%ld: group of id '%s' ends after %d of %d lines: "
                              "the file was made with other settings (-n, --greedy-too)", path,
                              lineno, gid, in_group, n_res);
            json_decref(o);
            break;
        }
        if (json_integer_value(sv) != want) {
            /* id points into o: the message is made before o is released. */
            rc = lb_error_set(err, LB_EFORMAT, "%s:%ld: expected sample %ld of id '%s': the file "
                              "was made with other settings (-n, --greedy-too)", path, lineno, want, id);
            json_decref(o);
            break;
        }
        if (in_group == 0) {
            free(gid);
            gid = strdup(id);
            grp_len = 0;
        }
        json_decref(o);
        if (resumed) {
            if (lb_grow((void **)&grp, &grp_cap, grp_len + (size_t)n, 1)) {
                rc = lb_error_set(err, LB_ENOMEM, "out of memory");
                break;
            }
            memcpy(grp + grp_len, line, (size_t)n);
            grp_len += (size_t)n;
        }
        if (++in_group == n_res) {
            in_group = 0;
            keep = pos;
            size_t i = id_ix_find(ix, n_items, gid);
            if (i == n_items) {
                rc = lb_error_set(err, LB_EFORMAT, "%s:%ld: id '%s' is not among the questions of "
                                  "this dataset", path, lineno, gid);
                break;
            }
            if (done[i]) {
                rc = lb_error_set(err, LB_EFORMAT, "%s:%ld: id '%s' appears twice", path, lineno, gid);
                break;
            }
            done[i] = 1;
            (*n_done)++;
            if (resumed && (rc = resumed(user, i, grp, grp_len, err))) break;
        }
    }
    free(line);
    free(gid);
    free(grp);
    free(ix);
    fclose(f);
    if (rc) return rc;
    if (ftruncate(fd, keep) != 0 || lseek(fd, 0, SEEK_END) < 0)
        return lb_error_set(err, LB_EIO, "%s: cannot truncate: %s", path, strerror(errno));
    return LB_OK;
}

