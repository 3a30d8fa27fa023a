/* Safetensors writing: validate the tensor list, build the header with jansson, write atomically. */
#include "leakbound/io.h"
#include "leakbound/safetensors.h"

#include <stdlib.h>
#include <string.h>

static int cmp_name_idx(const void *a, const void *b, void *arg) {
    const lb_st_tensor_t *t = arg;
    return strcmp(t[*(const size_t *)a].name, t[*(const size_t *)b].name);
}

static int check_tensors(const lb_st_tensor_t *ts, size_t n, const char *path, lb_error_t *err) {
    for (size_t i = 0; i < n; i++) {
        const lb_st_tensor_t *t = &ts[i];
        if (!t->name || !strcmp(t->name, "__metadata__"))
            return lb_error_set(err, LB_EINVAL, "%s: tensor %zu has no usable name", path, i);
        if (t->dtype != LB_DTYPE_F32 && t->dtype != LB_DTYPE_F16 && t->dtype != LB_DTYPE_BF16)
            return lb_error_set(err, LB_EINVAL, "%s: tensor \"%s\": unknown dtype", path, t->name);
        if (t->ndim < 0 || t->ndim > LB_ST_MAX_DIMS)
            return lb_error_set(err, LB_EINVAL, "%s: tensor \"%s\": %d dimensions", path, t->name,
                                t->ndim);
        for (int d = 0; d < t->ndim; d++)
            if (t->shape[d] < 0)
                return lb_error_set(err, LB_EINVAL, "%s: tensor \"%s\": negative shape[%d]", path,
                                    t->name, d);
        size_t want = lb_st_numel(t) * lb_dtype_size(t->dtype);
        if (want != t->nbytes || (want && !t->data))
            return lb_error_set(err, LB_EINVAL, "%s: tensor \"%s\": shape needs %zu bytes, got %zu",
                                path, t->name, want, t->nbytes);
    }
    return LB_OK;
}

static int check_unique(const lb_st_tensor_t *ts, size_t n, const char *path, lb_error_t *err) {
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_name_idx, (void *)ts);
    int rc = LB_OK;
    for (size_t i = 1; i < n; i++)
        if (!strcmp(ts[idx[i - 1]].name, ts[idx[i]].name)) {
            rc = lb_error_set(err, LB_EINVAL, "%s: duplicate tensor name \"%s\"", path,
                              ts[idx[i]].name);
            break;
        }
    free(idx);
    return rc;
}

static json_t *build_header(const lb_st_tensor_t *ts, size_t n, const char *const *mk,
                            const char *const *mv, size_t n_meta) {
    json_t *root = json_object();
    int bad = !root;
    if (!bad && n_meta) {
        json_t *md = json_object();
        bad |= json_object_set_new(root, "__metadata__", md) != 0;
        for (size_t i = 0; !bad && i < n_meta; i++)
            bad |= json_object_set_new(md, mk[i], json_string(mv[i])) != 0;
    }
    uint64_t off = 0;
    for (size_t i = 0; !bad && i < n; i++) {
        json_t *e = json_object(), *shape = json_array(), *offs = json_array();
        bad |= !e || !shape || !offs;
        for (int d = 0; !bad && d < ts[i].ndim; d++)
            bad |= json_array_append_new(shape, json_integer(ts[i].shape[d])) != 0;
        bad |= json_array_append_new(offs, json_integer((json_int_t)off)) != 0;
        off += ts[i].nbytes;
        bad |= json_array_append_new(offs, json_integer((json_int_t)off)) != 0;
        bad |= json_object_set_new(e, "dtype", json_string(lb_dtype_name(ts[i].dtype))) != 0;
        bad |= json_object_set_new(e, "shape", shape) != 0;
        bad |= json_object_set_new(e, "data_offsets", offs) != 0;
        bad |= json_object_set_new(root, ts[i].name, e) != 0;
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int lb_st_write(const char *path, const lb_st_tensor_t *tensors, size_t n,
                const char *const *meta_keys, const char *const *meta_vals, size_t n_meta,
                lb_error_t *err) {
    int rc = check_tensors(tensors, n, path, err);
    if (!rc) rc = check_unique(tensors, n, path, err);
    if (rc) return rc;
    for (size_t i = 0; i < n_meta; i++)
        if (!meta_keys[i] || !meta_vals[i])
            return lb_error_set(err, LB_EINVAL, "%s: metadata entry %zu is NULL", path, i);
    json_t *root = build_header(tensors, n, meta_keys, meta_vals, n_meta);
    char *hdr = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!hdr) return lb_error_set(err, LB_EINVAL, "%s: cannot build the header (invalid UTF-8 in "
                                  "a name or metadata?)", path);
    size_t hlen = strlen(hdr), padded = (hlen + 7) & ~(size_t)7;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    lb_atomic_file_t f;
    rc = lb_atomic_open(&f, path, err);
    if (rc) {
        free(hdr);
        return rc;
    }
    static const char spaces[8] = "        ";
    int bad = lb_atomic_write(&f, len8, 8, err) || lb_atomic_write(&f, hdr, hlen, err) ||
              lb_atomic_write(&f, spaces, padded - hlen, err);
    for (size_t i = 0; !bad && i < n; i++)
        bad = lb_atomic_write(&f, tensors[i].data, tensors[i].nbytes, err) != 0;
    free(hdr);
    if (bad) {
        lb_atomic_abort(&f);
        return LB_EIO;
    }
    return lb_atomic_commit(&f, err);
}
