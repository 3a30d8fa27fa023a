/* libFuzzer target: a .safetensors file (8-byte header length, JSON header, data area) through
 * lb_st_open, then every accessor over every tensor and metadata entry. Invariants checked:
 * a refused file gives a negative LB_E* code with a message; an accepted one has every tensor's
 * bytes inside the file, nbytes == numel × element size, names in sorted unique order. */
#include <string.h>

#include "fuzz_common.h"
#include "leakbound/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = lb_fuzz_memfd(data, size, path);
    lb_st_t *st = NULL;
    lb_error_t err = {0};
    int rc = lb_st_open(path, &st, &err);
    if (rc) {
        LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && !st, "rc %d", rc);
        LB_FUZZ_CHECK(err.msg[0] != '\0', "error %d without a message", rc);
        close(fd);
        return 0;
    }
    size_t n = lb_st_count(st);
    float buf[64];
    const char *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const lb_st_tensor_t *t = lb_st_at(st, i);
        LB_FUZZ_CHECK(t && t->name, "tensor %zu missing", i);
        LB_FUZZ_CHECK(lb_st_find(st, t->name) == t, "find(%s) is not at(%zu)", t->name, i);
        LB_FUZZ_CHECK(!prev || strcmp(prev, t->name) < 0, "names out of order");
        prev = t->name;
        LB_FUZZ_CHECK(t->ndim >= 0 && t->ndim <= LB_ST_MAX_DIMS, "ndim %d", t->ndim);
        size_t numel = lb_st_numel(t);
        LB_FUZZ_CHECK(numel * lb_dtype_size(t->dtype) == t->nbytes, "nbytes of %s", t->name);
        const char *file;
        uint64_t off;
        LB_FUZZ_CHECK(lb_st_locate(st, t, &file, &off) == 0, "locate %s", t->name);
        LB_FUZZ_CHECK(off <= size && t->nbytes <= size - off, "%s outside the file", t->name);
        (void)lb_dtype_name(t->dtype);
        /* Read the first and the last elements (every byte of a small tensor). */
        size_t k = numel < 64 ? numel : 64;
        if (k) {
            lb_st_to_f32(t, 0, k, buf);
            lb_st_to_f32(t, numel - k, k, buf);
        }
    }
    LB_FUZZ_CHECK(lb_st_at(st, n) == NULL, "at(count) is not NULL");
    size_t nm = lb_st_metadata_count(st);
    for (size_t i = 0; i < nm; i++) {
        const char *key, *val;
        LB_FUZZ_CHECK(lb_st_metadata_at(st, i, &key, &val) == 0 && key && val, "metadata %zu", i);
        (void)lb_st_metadata(st, key);
    }
    (void)lb_st_find(st, "model.embed_tokens.weight");
    lb_st_close(st);
    close(fd);
    return 0;
}
