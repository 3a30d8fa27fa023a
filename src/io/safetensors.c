/* Safetensors reading: map each file once, validate its header completely, then serve lookups.
 *
 * Every check that guards a memory access happens here, at open: a tensor that survives open
 * lies wholly inside its file's data area, so later readers need no bounds checks. */
#include "leakbound/safetensors.h"
#include "leakbound/io.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference implementation refuses headers above 100 MB; so do we (a lying length must not
 * make us parse gigabytes). */
#define ST_MAX_HEADER 100000000ull

typedef struct st_file {
    char *path;
    unsigned char *map; /* (size,) read-only mapping */
    size_t size;
} st_file_t;

typedef struct st_entry {
    lb_st_tensor_t t;
    size_t file;        /* index into files */
    uint64_t begin;     /* data_offsets, relative to the data area */
} st_entry_t;

struct lb_st {
    st_file_t *files;   /* (n_files,) */
    size_t n_files;
    st_entry_t *ents;   /* (n,) sorted by name once open returns */
    size_t n, cap;
    char **meta;        /* (2 * n_meta,) key, value, key, value, ... */
    size_t n_meta;
};

static int map_file(const char *path, st_file_t *f, lb_error_t *err) {
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    if (!f->path) return lb_error_set(err, LB_ENOMEM, "out of memory");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lb_error_set(err, LB_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return lb_error_set(err, LB_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size < 8) {
        close(fd);
        return lb_error_set(err, LB_EFORMAT,
                            "%s: truncated: %lld bytes, shorter than the 8-byte header length",
                            path, (long long)sb.st_size);
    }
    f->size = (size_t)sb.st_size;
    void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        f->size = 0;
        return lb_error_set(err, LB_EIO, "%s: mmap failed: %s", path, strerror(errno));
    }
    f->map = m;
    return LB_OK;
}

static int parse_dtype(const char *s, lb_dtype_t *dt) {
    if (!strcmp(s, "F32")) *dt = LB_DTYPE_F32;
    else if (!strcmp(s, "F16")) *dt = LB_DTYPE_F16;
    else if (!strcmp(s, "BF16")) *dt = LB_DTYPE_BF16;
    else return -1;
    return 0;
}

static int push_entry(lb_st_t *st, lb_error_t *err) {
    if (st->n < st->cap) return LB_OK;
    size_t cap = st->cap ? 2 * st->cap : 64;
    st_entry_t *e = realloc(st->ents, cap * sizeof *e);
    if (!e) return lb_error_set(err, LB_ENOMEM, "out of memory");
    st->ents = e;
    st->cap = cap;
    return LB_OK;
}

static int add_metadata(lb_st_t *st, const char *path, json_t *md, lb_error_t *err) {
    if (!json_is_object(md))
        return lb_error_set(err, LB_EFORMAT, "%s: \"__metadata__\" is not an object", path);
    size_t n = json_object_size(md);
    char **m = realloc(st->meta, 2 * (st->n_meta + n) * sizeof *m);
    if (!m) return lb_error_set(err, LB_ENOMEM, "out of memory");
    st->meta = m;
    const char *k;
    json_t *v;
    json_object_foreach(md, k, v) {
        if (!json_is_string(v))
            return lb_error_set(err, LB_EFORMAT, "%s: \"__metadata__\" value of \"%s\" is not a string",
                                path, k);
        char *ks = strdup(k), *vs = strdup(json_string_value(v));
        st->meta[2 * st->n_meta] = ks;
        st->meta[2 * st->n_meta + 1] = vs;
        st->n_meta++;
        if (!ks || !vs) return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    return LB_OK;
}

/* Non-negative JSON integer, or -1. */
static int64_t json_nonneg(const json_t *v) {
    if (!json_is_integer(v)) return -1;
    json_int_t x = json_integer_value(v);
    return x < 0 ? -1 : (int64_t)x;
}

/* Validate one header entry and append it. data_size is the file's data area length. */
static int parse_entry(lb_st_t *st, size_t fi, const char *name, json_t *v, uint64_t data_size,
                       const unsigned char *data, lb_error_t *err) {
    const char *path = st->files[fi].path;
    if (!json_is_object(v))
        return lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\": entry is not an object", path, name);
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"),
           *jo = json_object_get(v, "data_offsets");
    if (!json_is_string(jd) || !json_is_array(js) || !json_is_array(jo))
        return lb_error_set(err, LB_EFORMAT,
                            "%s: tensor \"%s\": needs string \"dtype\", array \"shape\" and array "
                            "\"data_offsets\"", path, name);
    int rc = push_entry(st, err);
    if (rc) return rc;
    st_entry_t *e = &st->ents[st->n];
    memset(e, 0, sizeof *e);
    if (parse_dtype(json_string_value(jd), &e->t.dtype))
        return lb_error_set(err, LB_EUNSUPPORTED, "unsupported dtype %s for tensor \"%s\" in %s",
                            json_string_value(jd), name, path);
    size_t nd = json_array_size(js);
    if (nd > LB_ST_MAX_DIMS)
        return lb_error_set(err, LB_EUNSUPPORTED, "%s: tensor \"%s\": %zu dimensions (at most %d)",
                            path, name, nd, LB_ST_MAX_DIMS);
    /* Product of dims with overflow detection: anything past 2^62 bytes cannot fit a file. */
    uint64_t numel = 1;
    int overflow = 0;
    for (size_t i = 0; i < nd; i++) {
        int64_t d = json_nonneg(json_array_get(js, i));
        if (d < 0)
            return lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\": shape[%zu] is not a "
                                "non-negative integer", path, name, i);
        e->t.shape[i] = d;
        if (d && numel > (UINT64_C(1) << 62) / (uint64_t)d) overflow = 1;
        else numel *= (uint64_t)d;
    }
    e->t.ndim = (int)nd;
    if (json_array_size(jo) != 2)
        return lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\": data_offsets must be [begin, end]",
                            path, name);
    int64_t b = json_nonneg(json_array_get(jo, 0)), en = json_nonneg(json_array_get(jo, 1));
    if (b < 0 || en < 0 || en < b)
        return lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\": data_offsets must be integers "
                            "0 <= begin <= end", path, name);
    if ((uint64_t)en > data_size)
        return lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\": data_offsets [%lld, %lld] run past "
                            "the end of the data (%llu bytes)", path, name, (long long)b,
                            (long long)en, (unsigned long long)data_size);
    uint64_t want = overflow ? UINT64_MAX : numel * lb_dtype_size(e->t.dtype);
    if (overflow || want != (uint64_t)(en - b))
        return lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\": shape needs %s%llu bytes of %s but "
                            "data_offsets span %lld", path, name, overflow ? "more than " : "",
                            overflow ? (unsigned long long)(UINT64_C(1) << 62)
                                     : (unsigned long long)want,
                            lb_dtype_name(e->t.dtype), (long long)(en - b));
    e->t.name = strdup(name);
    if (!e->t.name) return lb_error_set(err, LB_ENOMEM, "out of memory");
    e->t.data = data + b;
    e->t.nbytes = (size_t)(en - b);
    e->file = fi;
    e->begin = (uint64_t)b;
    st->n++;
    return LB_OK;
}

static int cmp_offset(const void *a, const void *b) {
    const st_entry_t *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->t.nbytes < y->t.nbytes ? -1 : x->t.nbytes > y->t.nbytes;
}

static int cmp_name(const void *a, const void *b) {
    const st_entry_t *x = a, *y = b;
    return strcmp(x->t.name, y->t.name);
}

/* Parse file fi's header; its tensors are appended to st->ents[first..st->n). */
static int parse_file(lb_st_t *st, size_t fi, lb_error_t *err) {
    const st_file_t *f = &st->files[fi];
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | f->map[i];
    if (hlen > ST_MAX_HEADER)
        return lb_error_set(err, LB_EFORMAT, "%s: header length %llu exceeds the %llu-byte limit",
                            f->path, (unsigned long long)hlen, ST_MAX_HEADER);
    if (hlen > f->size - 8)
        return lb_error_set(err, LB_EFORMAT, "%s: header length %llu runs past the end of the file "
                            "(%zu bytes): truncated or not a safetensors file", f->path,
                            (unsigned long long)hlen, f->size);
    json_error_t je;
    json_t *root = json_loadb((const char *)f->map + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return lb_error_set(err, LB_EFORMAT, "%s: header JSON, byte %d: %s", f->path,
                            8 + je.position, je.text);
    int rc = LB_OK;
    if (!json_is_object(root)) {
        rc = lb_error_set(err, LB_EFORMAT, "%s: header JSON is not an object", f->path);
        goto out;
    }
    size_t first = st->n;
    const unsigned char *data = f->map + 8 + hlen;
    uint64_t data_size = f->size - 8 - hlen;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        rc = !strcmp(k, "__metadata__") ? add_metadata(st, f->path, v, err)
                                        : parse_entry(st, fi, k, v, data_size, data, err);
        if (rc) goto out;
    }
    /* Overlaps: sorted by offset, each non-empty tensor must start at or after the previous end. */
    if (st->n - first > 1) /* ents is NULL while no file has tensors: no qsort(NULL) */
        qsort(st->ents + first, st->n - first, sizeof *st->ents, cmp_offset);
    uint64_t end = 0;
    const char *prev = NULL;
    for (size_t i = first; i < st->n; i++) {
        const st_entry_t *e = &st->ents[i];
        if (!e->t.nbytes) continue;
        if (e->begin < end) {
            rc = lb_error_set(err, LB_EFORMAT, "%s: tensors \"%s\" and \"%s\" overlap", f->path,
                              prev, e->t.name);
            goto out;
        }
        end = e->begin + e->t.nbytes;
        prev = e->t.name;
    }
out:
    json_decref(root);
    return rc;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int add_file(lb_st_t *st, const char *path, lb_error_t *err) {
    st_file_t *f = realloc(st->files, (st->n_files + 1) * sizeof *f);
    if (!f) return lb_error_set(err, LB_ENOMEM, "out of memory");
    st->files = f;
    int rc = map_file(path, &st->files[st->n_files], err);
    st->n_files++; /* counted even on failure so close frees the path */
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Open every shard named by an index's weight_map and check the map against the shards. */
static int open_index(lb_st_t *st, const char *index_path, lb_error_t *err) {
    json_error_t je;
    int cannot_open;
    json_t *root = lb_io_json_load_file(index_path, JSON_REJECT_DUPLICATES, &je, &cannot_open);
    if (!root) {
        if (cannot_open)
            return lb_error_set(err, LB_EIO, "%s: cannot open: %s", index_path, strerror(errno));
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: %s", index_path, je.line, je.column, je.text);
    }
    int rc = LB_OK;
    const char **shards = NULL;
    char *dir = NULL, *path = NULL;
    json_t *wm = json_object_get(root, "weight_map");
    if (!json_is_object(wm) || json_object_size(wm) == 0) {
        rc = lb_error_set(err, LB_EFORMAT, "%s: \"weight_map\" is missing, empty or not an object",
                          index_path);
        goto out;
    }
    /* Distinct shard names, sorted, so each is mapped once and found by bsearch. */
    size_t nw = json_object_size(wm), ns = 0;
    shards = malloc(nw * sizeof *shards);
    if (!shards) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(wm, k, v) {
        if (!json_is_string(v) || !json_string_length(v)) {
            rc = lb_error_set(err, LB_EFORMAT, "%s: weight_map[\"%s\"] is not a file name",
                              index_path, k);
            goto out;
        }
        /* A shard is a file beside the index: a path could load another model's weights under
         * this folder's name (and its hash). */
        const char *sn = json_string_value(v);
        if (strchr(sn, '/') || strchr(sn, '\\') || !strcmp(sn, ".") || !strcmp(sn, "..") ||
            strlen(sn) != json_string_length(v)) {
            rc = lb_error_set(err, LB_EFORMAT, "%s: weight_map[\"%s\"] is \"%s\": a shard must be a "
                              "file name in the index's folder (no '/', '\\', '..' or NUL)",
                              index_path, k, sn);
            goto out;
        }
        shards[ns++] = json_string_value(v);
    }
    if (ns > 1) qsort(shards, ns, sizeof *shards, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < ns; i++)
        if (!u || strcmp(shards[u - 1], shards[i])) shards[u++] = shards[i];
    ns = u;
    dir = strdup(index_path);
    if (!dir) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto out;
    }
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = 0;
    else dir[0] = 0;
    for (size_t i = 0; i < ns; i++) {
        free(path);
        path = malloc(strlen(dir) + strlen(shards[i]) + 1);
        if (!path) {
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
            goto out;
        }
        strcpy(path, dir);
        strcat(path, shards[i]);
        size_t first = st->n;
        if ((rc = add_file(st, path, err)) || (rc = parse_file(st, st->n_files - 1, err))) {
            if (rc == LB_EIO) lb_error_prefix(err, "%s: shard", index_path);
            goto out;
        }
        /* Every tensor in this shard must be mapped to it. */
        for (size_t j = first; j < st->n; j++) {
            json_t *m = json_object_get(wm, st->ents[j].t.name);
            if (!m || strcmp(json_string_value(m), shards[i])) {
                rc = lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\" of shard %s is not mapped to it "
                                  "in %s", path, st->ents[j].t.name, shards[i], index_path);
                goto out;
            }
        }
    }
    /* Every mapped name must have been found (in its shard, by the check above). */
    if (st->n != nw) {
        if (st->n > 1) qsort(st->ents, st->n, sizeof *st->ents, cmp_name);
        json_object_foreach(wm, k, v) {
            st_entry_t key = {.t = {.name = k}};
            if (!st->n || !bsearch(&key, st->ents, st->n, sizeof key, cmp_name)) {
                rc = lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\" is mapped to %s%s, which does "
                                  "not contain it", index_path, k, dir, json_string_value(v));
                goto out;
            }
        }
    }
out:
    free(path);
    free(dir);
    free(shards);
    json_decref(root);
    return rc;
}

int lb_st_open(const char *dir_or_file, lb_st_t **out, lb_error_t *err) {
    *out = NULL;
    lb_st_t *st = calloc(1, sizeof *st);
    if (!st) return lb_error_set(err, LB_ENOMEM, "out of memory");
    int rc;
    struct stat sb;
    char *path = NULL;
    if (stat(dir_or_file, &sb) != 0) {
        rc = lb_error_set(err, LB_EIO, "%s: %s", dir_or_file, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(sb.st_mode)) {
        size_t n = strlen(dir_or_file) + 64;
        path = malloc(n);
        if (!path) {
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
            goto fail;
        }
        snprintf(path, n, "%s/model.safetensors.index.json", dir_or_file);
        if (access(path, F_OK) == 0) {
            rc = open_index(st, path, err);
        } else {
            snprintf(path, n, "%s/model.safetensors", dir_or_file);
            if (access(path, F_OK) != 0) {
                rc = lb_error_set(err, LB_EIO, "%s: no model.safetensors or "
                                  "model.safetensors.index.json in this folder", dir_or_file);
                goto fail;
            }
            rc = add_file(st, path, err);
            if (!rc) rc = parse_file(st, 0, err);
        }
    } else if (ends_with(dir_or_file, ".json")) {
        rc = open_index(st, dir_or_file, err);
    } else {
        rc = add_file(st, dir_or_file, err);
        if (!rc) rc = parse_file(st, 0, err);
    }
    if (rc) goto fail;
    if (st->n > 1) qsort(st->ents, st->n, sizeof *st->ents, cmp_name);
    for (size_t i = 1; i < st->n; i++)
        if (!strcmp(st->ents[i - 1].t.name, st->ents[i].t.name)) {
            rc = lb_error_set(err, LB_EFORMAT, "%s: tensor \"%s\" appears in both %s and %s",
                              dir_or_file, st->ents[i].t.name, st->files[st->ents[i - 1].file].path,
                              st->files[st->ents[i].file].path);
            goto fail;
        }
    free(path);
    *out = st;
    return LB_OK;
fail:
    free(path);
    lb_st_close(st);
    return rc;
}

void lb_st_close(lb_st_t *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n_files; i++) {
        if (st->files[i].map) munmap(st->files[i].map, st->files[i].size);
        free(st->files[i].path);
    }
    for (size_t i = 0; i < st->n; i++) free((char *)st->ents[i].t.name);
    for (size_t i = 0; i < 2 * st->n_meta; i++) free(st->meta[i]);
    free(st->meta);
    free(st->files);
    free(st->ents);
    free(st);
}

const lb_st_tensor_t *lb_st_find(const lb_st_t *st, const char *name) {
    if (!st->n) return NULL; /* ents is NULL: no tensors */
    st_entry_t key = {.t = {.name = name}};
    const st_entry_t *e = bsearch(&key, st->ents, st->n, sizeof key, cmp_name);
    return e ? &e->t : NULL;
}

size_t lb_st_count(const lb_st_t *st) { return st->n; }

size_t lb_st_file_count(const lb_st_t *st) { return st->n_files; }

const char *lb_st_file_path(const lb_st_t *st, size_t i) {
    return i < st->n_files ? st->files[i].path : NULL;
}

const lb_st_tensor_t *lb_st_at(const lb_st_t *st, size_t i) {
    return i < st->n ? &st->ents[i].t : NULL;
}

const char *lb_st_metadata(const lb_st_t *st, const char *key) {
    for (size_t i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[2 * i], key)) return st->meta[2 * i + 1];
    return NULL;
}

size_t lb_st_metadata_count(const lb_st_t *st) { return st->n_meta; }

int lb_st_metadata_at(const lb_st_t *st, size_t i, const char **key, const char **val) {
    if (i >= st->n_meta) return -1;
    *key = st->meta[2 * i];
    *val = st->meta[2 * i + 1];
    return 0;
}

int lb_st_locate(const lb_st_t *st, const lb_st_tensor_t *t, const char **file, uint64_t *offset) {
    /* t is the first member of its entry, so the entry is found by pointer arithmetic. */
    const st_entry_t *e = (const st_entry_t *)t;
    if (st->n == 0 || e < st->ents || e >= st->ents + st->n) return -1;
    const st_file_t *f = &st->files[e->file];
    *file = f->path;
    *offset = (uint64_t)((const unsigned char *)t->data - f->map);
    return 0;
}
