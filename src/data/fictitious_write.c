/* Writing the fictitious-author benchmark: one JSON Lines file per TOFU split, each atomically. */
#include "leakbound/data.h"
#include "leakbound/io.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const lb_fictitious_splits[LB_FICTITIOUS_N_SPLITS] = {
    "full", "forget01", "forget05", "forget10", "retain99", "retain95", "retain90", "holdout"};

static int mkdir_p(const char *dir, lb_error_t *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return lb_error_set(err, LB_EINVAL, "%s: path too long", dir);
    for (char *p = path + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return lb_error_set(err, LB_EIO, "%s: cannot create directory: %s", path, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return lb_error_set(err, LB_EIO, "%s: not a directory", dir);
    return LB_OK;
}

static int write_items(const char *dir, const char *split, const lb_dataset_t *ds, size_t from,
                       size_t to, lb_error_t *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, split);
    lb_atomic_file_t f;
    int rc = lb_atomic_open(&f, path, err);
    if (rc) return rc;
    for (size_t i = from; i < to && !rc; i++) {
        const lb_data_item_t *it = &ds->items[i];
        json_t *o = json_object(), *pert = json_array();
        for (size_t k = 0; k < it->n_perturbed; k++) json_array_append_new(pert, json_string(it->perturbed[k]));
        json_object_set_new(o, "question", json_string(it->question));
        json_object_set_new(o, "answer", json_string(it->answer));
        json_object_set_new(o, "paraphrased_answer", json_string(it->paraphrased_answer));
        json_object_set_new(o, "perturbed_answer", pert);
        json_object_set_new(o, "author", json_string(it->author));
        json_object_set_new(o, "id", json_string(it->id));
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!s || fputs(s, f.fp) == EOF || fputc('\n', f.fp) == EOF)
            rc = lb_error_set(err, s ? LB_EIO : LB_ENOMEM, "%s: write failed", path);
        free(s);
    }
    if (rc) {
        lb_atomic_abort(&f);
        return rc;
    }
    return lb_atomic_commit(&f, err);
}

int lb_fictitious_write(const lb_fictitious_opts_t *opts, const char *dir, lb_error_t *err) {
    lb_dataset_t full, hold;
    int rc = lb_fictitious_generate(opts, &full, &hold, err);
    if (rc) return rc;
    rc = mkdir_p(dir, err);
    size_t per = full.n / (size_t)opts->n_authors;  /* every author has the same facts */
    static const int pcts[3] = {1, 5, 10};
    if (!rc) rc = write_items(dir, "full", &full, 0, full.n, err);
    for (int i = 0; i < 3 && !rc; i++) {
        size_t k = (size_t)lb_fictitious_forget_authors(opts->n_authors, pcts[i]);
        size_t cut = full.n - k * per;
        char name[32];
        snprintf(name, sizeof name, "forget%02d", pcts[i]);
        rc = write_items(dir, name, &full, cut, full.n, err);
        snprintf(name, sizeof name, "retain%02d", 100 - pcts[i]);
        if (!rc) rc = write_items(dir, name, &full, 0, cut, err);
    }
    if (!rc) rc = write_items(dir, "holdout", &hold, 0, hold.n, err);
    lb_dataset_free(&full);
    lb_dataset_free(&hold);
    return rc;
}
