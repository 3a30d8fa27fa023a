/* Checkpoints in Hugging Face layout, written so that a kill leaves all or nothing. */
#include "train_internal.h"
#include "leakbound/io.h"
#include "leakbound/safetensors.h"
#include "leakbound/train_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files a model folder may carry besides the weights; copied when present. */
static const char *const COPIED[] = {"config.json", "generation_config.json", "tokenizer.json",
                                     "tokenizer_config.json", "special_tokens_map.json",
                                     "vocab.json", "merges.txt", "tokenizer.model"};

static int copy_file(const char *src, const char *dst, lb_error_t *err) {
    char *data = NULL;
    size_t len = 0;
    int rc = lb_io_read_file(src, &data, &len, err);
    if (rc) return rc;
    rc = lb_atomic_write_file(dst, data, len, err);
    free(data);
    return rc;
}

int lbi_train_copy_model_files(const char *src_dir, const char *dir, lb_error_t *err) {
    char a[4096], b[4096];
    for (size_t i = 0; i < sizeof COPIED / sizeof *COPIED; i++) {
        snprintf(a, sizeof a, "%s/%s", src_dir, COPIED[i]);
        if (access(a, R_OK) != 0) continue;
        snprintf(b, sizeof b, "%s/%s", dir, COPIED[i]);
        int rc = copy_file(a, b, err);
        if (rc) return rc;
    }
    return 0;
}

/* The weights in dtype dt (F16/BF16: the fp32 master weights rounded to nearest even), or
 * (which = 1) the AdamW moments in F32, as safetensors tensor records. */
static int write_tensors(lb_train_t *tr, const char *path, int which, lb_dtype_t dt,
                         const char *const *mk, const char *const *mv, size_t n_meta,
                         lb_error_t *err) {
    int n = tr->n_params, per = which ? 2 : 1;
    if (which) dt = LB_DTYPE_F32;
    lb_st_tensor_t *ts = calloc((size_t)n * per, sizeof *ts);
    char (*names)[112] = calloc((size_t)n * per, sizeof *names);
    uint16_t *half = dt == LB_DTYPE_F32 ? NULL : malloc(tr->n_floats * sizeof *half);
    if (!ts || !names || (dt != LB_DTYPE_F32 && !half)) {
        free(ts), free(names), free(half);
        return lb_error_set(err, LB_ENOMEM, "%s: out of memory", path);
    }
    for (int k = 0; k < per; k++)
        for (int i = 0; i < n; i++) {
            const lb_train_param_t *p = &tr->params[i];
            lb_st_tensor_t *t = &ts[k * n + i];
            size_t off = (size_t)(p->w - tr->m->params);
            if (which) snprintf(names[k * n + i], sizeof names[0], "%s.%s",
                                k ? "exp_avg_sq" : "exp_avg", p->name);
            else snprintf(names[k * n + i], sizeof names[0], "%s", p->name);
            t->name = names[k * n + i];
            t->dtype = dt;
            t->ndim = p->ndim;
            t->shape[0] = p->shape[0];
            t->shape[1] = p->shape[1];
            t->data = which ? (k ? tr->m2 : tr->m1) + off : p->w;
            t->nbytes = p->numel * lb_dtype_size(dt);
            if (!half) continue;
            uint16_t *h = half + off;
            int f16 = dt == LB_DTYPE_F16;
            #pragma omp parallel for schedule(static) if (p->numel >= 65536)
            for (size_t e = 0; e < p->numel; e++)
                h[e] = f16 ? lb_f32_to_f16(p->w[e]) : lb_f32_to_bf16(p->w[e]);
            t->data = h;
        }
    int rc = lb_st_write(path, ts, (size_t)n * per, mk, mv, n_meta, err);
    free(ts), free(names), free(half);
    return rc;
}

int lbi_train_save_weights(lb_train_t *tr, const char *dir, lb_dtype_t dt, lb_error_t *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/model.safetensors", dir) >= (int)sizeof path)
        return lb_error_set(err, LB_EINVAL, "%s: path too long", dir);
    const char *k[] = {"format"}, *v[] = {"pt"};
    return write_tensors(tr, path, 0, dt, k, v, 1, err);
}

static void remove_tree_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

static void fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int lb_train_save(lb_train_t *tr, const char *src_dir, const char *dir, int opt_state,
                  const char *fingerprint, const char *log_path, lb_error_t *err) {
    char tmp[4096], path[4400], step[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    remove_tree_files(tmp);
    if (mkdir(tmp, 0755) != 0)
        return lb_error_set(err, LB_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int rc = lbi_train_copy_model_files(src_dir, tmp, err);
    if (!rc) rc = lbi_train_save_weights(tr, tmp, LB_DTYPE_F32, err);
    if (!rc && opt_state) {
        snprintf(path, sizeof path, "%s/optimizer.safetensors", tmp);
        snprintf(step, sizeof step, "%ld", tr->step);
        const char *k[] = {"step", "fingerprint"}, *v[] = {step, fingerprint ? fingerprint : ""};
        rc = write_tensors(tr, path, 1, LB_DTYPE_F32, k, v, 2, err);
    }
    if (!rc && log_path) {
        snprintf(path, sizeof path, "%s/train_log.csv", tmp);
        rc = copy_file(log_path, path, err);
    }
    if (!rc) {
        fsync_dir(tmp);
        remove_tree_files(dir);
        if (rename(tmp, dir) != 0)
            rc = lb_error_set(err, LB_EIO, "%s: cannot rename to %s: %s", tmp, dir,
                              strerror(errno));
    }
    if (rc) {
        remove_tree_files(tmp);
        return rc;
    }
    /* The rename itself must reach the disk before the checkpoint counts. */
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = 0;
    fsync_dir(slash ? parent : ".");
    return 0;
}

int lbi_train_load_opt(lb_train_t *tr, const char *dir, const char *fingerprint, lb_error_t *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    lb_st_t *st = NULL;
    int rc = lb_st_open(path, &st, err);
    if (rc) return rc;
    const char *fp = lb_st_metadata(st, "fingerprint"), *step = lb_st_metadata(st, "step");
    if (!fp || !step || strcmp(fp, fingerprint)) {
        /* Name the first differing "key=value" of the two fingerprints. */
        const char *a = fp ? fp : "", *b = fingerprint;
        size_t la = strcspn(a, " "), lb = strcspn(b, " ");
        while (la == lb && !strncmp(a, b, la) && a[la] && b[lb]) {
            a += la + 1;
            b += lb + 1;
            la = strcspn(a, " ");
            lb = strcspn(b, " ");
        }
        rc = lb_error_set(err, LB_EINVAL,
                          "%s: checkpoint of another run: it has %.*s, this run %.*s "
                          "(fingerprint \"%s\", this run \"%s\")",
                          path, (int)la, a, (int)lb, b, fp ? fp : "", fingerprint);
        lb_st_close(st);   /* fp lives in st */
        return rc;
    }
    tr->step = strtol(step, NULL, 10);
    char name[160];
    for (int k = 0; k < 2 && !rc; k++)
        for (int i = 0; i < tr->n_params && !rc; i++) {
            const lb_train_param_t *p = &tr->params[i];
            snprintf(name, sizeof name, "%s.%s", k ? "exp_avg_sq" : "exp_avg", p->name);
            const lb_st_tensor_t *t = lb_st_find(st, name);
            if (!t || t->dtype != LB_DTYPE_F32 || t->nbytes != p->numel * sizeof(float)) {
                rc = lb_error_set(err, LB_EFORMAT, "%s: tensor %s missing or misshapen", path,
                                  name);
                break;
            }
            float *dst = (k ? tr->m2 : tr->m1) + (p->w - tr->m->params);
            lb_st_to_f32(t, 0, p->numel, dst);
        }
    lb_st_close(st);
    return rc;
}
