/* Safetensors reader: every lying or truncated header is refused with a message naming the file
 * and the tensor; sharded index errors; conversions; the writer; random corruption never crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/safetensors.h"

#include "lb_test_tmp.h"

static void tpath(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", lb_tmpdir, name); }

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len) assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

/* A safetensors file from a header string, a declared header length and `data_len` data bytes. */
static void write_st(const char *path, const char *header, uint64_t hlen_declared, size_t data_len) {
    size_t h = strlen(header);
    unsigned char *buf = calloc(1, 8 + h + data_len + 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(hlen_declared >> (8 * i));
    memcpy(buf + 8, header, h);
    for (size_t i = 0; i < data_len; i++) buf[8 + h + i] = (unsigned char)(i * 7 + 1);
    write_bytes(path, buf, 8 + h + data_len);
    free(buf);
}

/* Open header+data as a file and expect failure with code and every needle in the message. */
static void expect_fail(const char *name, const char *header, size_t data_len, int code,
                        const char *n1, const char *n2) {
    char path[300];
    tpath(path, sizeof path, name);
    write_st(path, header, strlen(header), data_len);
    lb_st_t *st = (lb_st_t *)1;
    lb_error_t e = {0};
    int rc = lb_st_open(path, &st, &e);
    if (rc != code || !strstr(e.msg, path) || (n1 && !strstr(e.msg, n1)) || (n2 && !strstr(e.msg, n2)))
        fail_msg("%s: rc=%d (want %d) msg=\"%s\"", name, rc, code, e.msg);
    assert_null(st);
}

static void test_valid_single(void **state) {
    (void)state;
    char path[300];
    tpath(path, sizeof path, "ok.safetensors");
    /* b: 2 F16 at [0,4); a: 2x2 F32 at [4,20) (unaligned to 8); z: empty at the very end. */
    const char *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[4,20]},"
                      "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                      "\"z\":{\"dtype\":\"BF16\",\"shape\":[0,3],\"data_offsets\":[20,20]}}";
    size_t h = strlen(hdr);
    unsigned char buf[512] = {0};
    buf[0] = (unsigned char)h;
    memcpy(buf + 8, hdr, h);
    uint16_t halves[2] = {0x3c00, 0xc000}; /* 1.0, -2.0 */
    float fl[4] = {1.5f, -0.25f, 3e38f, 1e-45f};
    memcpy(buf + 8 + h, halves, 4);
    memcpy(buf + 8 + h + 4, fl, 16);
    write_bytes(path, buf, 8 + h + 20);
    lb_st_t *st;
    lb_error_t e;
    assert_int_equal(lb_st_open(path, &st, &e), 0);
    assert_int_equal(lb_st_count(st), 3);
    assert_string_equal(lb_st_at(st, 0)->name, "a");
    assert_string_equal(lb_st_at(st, 2)->name, "z");
    assert_null(lb_st_at(st, 3));
    assert_null(lb_st_find(st, "nope"));
    assert_string_equal(lb_st_metadata(st, "format"), "pt");
    assert_null(lb_st_metadata(st, "other"));
    const lb_st_tensor_t *a = lb_st_find(st, "a"), *b = lb_st_find(st, "b");
    assert_non_null(a);
    assert_int_equal(a->ndim, 2);
    assert_int_equal(lb_st_numel(a), 4);
    float out[4];
    lb_st_to_f32(a, 1, 3, out);
    assert_memory_equal(out, fl + 1, 12);
    lb_st_to_f32(b, 0, 2, out);
    assert_true(out[0] == 1.0f && out[1] == -2.0f);
    const char *file;
    uint64_t off;
    assert_int_equal(lb_st_locate(st, a, &file, &off), 0);
    assert_string_equal(file, path);
    assert_int_equal(off, 8 + h + 4);
    assert_int_equal(lb_st_numel(lb_st_find(st, "z")), 0);
    lb_st_close(st);
}

/* A checkpoint of no tensors (only metadata) opens and answers lookups (found by tests/fuzz:
 * qsort and bsearch were handed the NULL table, undefined behaviour caught by UBSan). */
static void test_no_tensors(void **state) {
    (void)state;
    char path[300];
    tpath(path, sizeof path, "empty.safetensors");
    const char *header = "{\"__metadata__\": {\"format\": \"pt\"}}";
    write_st(path, header, strlen(header), 0);
    lb_st_t *st = NULL;
    lb_error_t e = {0};
    assert_int_equal(lb_st_open(path, &st, &e), 0);
    assert_int_equal(lb_st_count(st), 0);
    assert_null(lb_st_at(st, 0));
    assert_null(lb_st_find(st, "model.embed_tokens.weight"));
    assert_string_equal(lb_st_metadata(st, "format"), "pt");
    lb_st_close(st);
}

static void test_truncated_and_lying_lengths(void **state) {
    (void)state;
    char path[300];
    lb_st_t *st;
    lb_error_t e;
    tpath(path, sizeof path, "short.safetensors");
    write_bytes(path, "\x10\0\0", 3);
    assert_int_equal(lb_st_open(path, &st, &e), LB_EFORMAT);
    assert_non_null(strstr(e.msg, "truncated"));
    assert_non_null(strstr(e.msg, path));
    tpath(path, sizeof path, "empty.safetensors");
    write_bytes(path, "", 0);
    assert_int_equal(lb_st_open(path, &st, &e), LB_EFORMAT);
    const char *hdr = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    tpath(path, sizeof path, "long.safetensors");
    write_st(path, hdr, strlen(hdr) + 100, 4); /* length past the end of the file */
    assert_int_equal(lb_st_open(path, &st, &e), LB_EFORMAT);
    assert_non_null(strstr(e.msg, "runs past the end of the file"));
    write_st(path, hdr, UINT64_C(1) << 63, 4); /* huge: refused before anything is read */
    assert_int_equal(lb_st_open(path, &st, &e), LB_EFORMAT);
    assert_non_null(strstr(e.msg, "exceeds"));
    write_st(path, hdr, UINT64_MAX, 4);
    assert_int_equal(lb_st_open(path, &st, &e), LB_EFORMAT);
    /* Declared length shorter than the JSON: the JSON is cut, so it is malformed. */
    write_st(path, hdr, strlen(hdr) - 5, 4);
    assert_int_equal(lb_st_open(path, &st, &e), LB_EFORMAT);
    assert_non_null(strstr(e.msg, "header JSON"));
    /* Data area truncated: the tensor's end is past it. */
    tpath(path, sizeof path, "cut.safetensors");
    write_st(path, hdr, strlen(hdr), 3);
    assert_int_equal(lb_st_open(path, &st, &e), LB_EFORMAT);
    assert_non_null(strstr(e.msg, "\"a\""));
    assert_non_null(strstr(e.msg, "run past the end of the data"));
}

static void test_lying_headers(void **state) {
    (void)state;
    expect_fail("past.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                8, LB_EFORMAT, "\"w\"", "run past the end");
    expect_fail("shape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                8, LB_EFORMAT, "\"w\"", "shape needs 12 bytes");
    expect_fail("shape16.safetensors", "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}",
                8, LB_EFORMAT, "\"w\"", "BF16");
    expect_fail("overlap.safetensors",
                "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                12, LB_EFORMAT, "\"x\" and \"y\" overlap", NULL);
    expect_fail("same.safetensors",
                "{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                "\"y\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
                4, LB_EFORMAT, "overlap", NULL);
    expect_fail("badjson.safetensors", "{\"w\":{\"dtype\":\"F32\",", 8, LB_EFORMAT, "header JSON", NULL);
    expect_fail("notobj.safetensors", "[1,2,3]", 0, LB_EFORMAT, "not an object", NULL);
    expect_fail("dtype.safetensors", "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                8, LB_EUNSUPPORTED, "unsupported dtype I64 for tensor \"ids\" in", NULL);
    expect_fail("dup.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                8, LB_EFORMAT, "duplicate", NULL);
    expect_fail("negdim.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                4, LB_EFORMAT, "\"w\"", "shape[0]");
    expect_fail("ndim.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
                4, LB_EUNSUPPORTED, "\"w\"", "dimensions");
    /* Dims whose product overflows 64 bits must not wrap around to a small size. */
    expect_fail("overflow.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,0]}}",
                4, LB_EFORMAT, "\"w\"", "more than");
    expect_fail("wrap.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}",
                4, LB_EFORMAT, "\"w\"", NULL);
    expect_fail("order.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}",
                4, LB_EFORMAT, "\"w\"", "begin <= end");
    expect_fail("offs3.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
                8, LB_EFORMAT, "\"w\"", "[begin, end]");
    expect_fail("offsneg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}",
                8, LB_EFORMAT, "\"w\"", NULL);
    expect_fail("offsfloat.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]}}",
                8, LB_EFORMAT, "\"w\"", NULL);
    expect_fail("entry.safetensors", "{\"w\":5}", 0, LB_EFORMAT, "\"w\"", NULL);
    expect_fail("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, LB_EFORMAT,
                "\"w\"", "dtype");
    expect_fail("meta.safetensors", "{\"__metadata__\":{\"n\":3}}", 0, LB_EFORMAT, "__metadata__", "\"n\"");
}

static void test_open_paths(void **state) {
    (void)state;
    char path[300];
    lb_st_t *st;
    lb_error_t e;
    tpath(path, sizeof path, "missing.safetensors");
    assert_int_equal(lb_st_open(path, &st, &e), LB_EIO);
    assert_non_null(strstr(e.msg, path));
    tpath(path, sizeof path, "emptydir");
    mkdir(path, 0755);
    assert_int_equal(lb_st_open(path, &st, &e), LB_EIO);
    assert_non_null(strstr(e.msg, "no model.safetensors"));
    /* Folder with model.safetensors. */
    char f[400];
    snprintf(f, sizeof f, "%s/model.safetensors", path);
    write_st(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
             strlen("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), 4);
    assert_int_equal(lb_st_open(path, &st, &e), 0);
    assert_int_equal(lb_st_count(st), 1);
    lb_st_close(st);
    lb_st_close(NULL);
}

/* Sharded layout helpers: shard files s1/s2 with tensors a (s1) and b (s2). */
static void make_shards(const char *dir) {
    char p[400];
    mkdir(dir, 0755);
    const char *h1 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    const char *h2 = "{\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
    snprintf(p, sizeof p, "%s/s1.safetensors", dir);
    write_st(p, h1, strlen(h1), 8);
    snprintf(p, sizeof p, "%s/s2.safetensors", dir);
    write_st(p, h2, strlen(h2), 4);
    const char *h3 = "{\"c\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]},"
                     "\"d\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]}}";
    snprintf(p, sizeof p, "%s/s3.safetensors", dir);
    write_st(p, h3, strlen(h3), 4);
}

static void expect_index(const char *dir, const char *index, int code, const char *n1, const char *n2) {
    char p[400];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    write_bytes(p, index, strlen(index));
    lb_st_t *st;
    lb_error_t e = {0};
    int rc = lb_st_open(dir, &st, &e);
    if (rc != code || (n1 && !strstr(e.msg, n1)) || (n2 && !strstr(e.msg, n2)))
        fail_msg("index %s: rc=%d (want %d) msg=\"%s\"", index, rc, code, e.msg);
    if (!rc) {
        assert_int_equal(lb_st_count(st), 2);
        float v[2];
        lb_st_to_f32(lb_st_find(st, "b"), 0, 2, v);
        lb_st_close(st);
    }
}

static void test_sharded(void **state) {
    (void)state;
    char dir[300];
    tpath(dir, sizeof dir, "shards");
    make_shards(dir);
    expect_index(dir, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}", 0, NULL, NULL);
    expect_index(dir, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\",\"c\":"
                 "\"s2.safetensors\"}}", LB_EFORMAT, "\"c\"", "s2.safetensors");
    expect_index(dir, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}}", LB_EFORMAT,
                 "\"b\"", "s1.safetensors");
    /* Shard s3 holds d, which the map does not list. */
    expect_index(dir, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"c\":\"s3.safetensors\"}}",
                 LB_EFORMAT, "\"d\"", "s3.safetensors");
    expect_index(dir, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"gone.safetensors\"}}", LB_EIO,
                 "gone.safetensors", "index.json");
    expect_index(dir, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":7}}", LB_EFORMAT, "\"b\"", NULL);
    expect_index(dir, "{\"metadata\":{}}", LB_EFORMAT, "weight_map", NULL);
    expect_index(dir, "{\"weight_map\":", LB_EFORMAT, "index.json", NULL);
    /* A broken shard is reported by its own name. */
    char p[400];
    snprintf(p, sizeof p, "%s/s2.safetensors", dir);
    write_bytes(p, "\1\0", 2);
    expect_index(dir, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}", LB_EFORMAT,
                 "s2.safetensors", "truncated");
}

static void test_conversions(void **state) {
    (void)state;
    /* Bulk (possibly vectorised) widening agrees with the scalar one on every F16 pattern, at
     * an odd offset; F16 -> F32 -> F16 is the identity on all non-NaN patterns; same for BF16. */
    uint16_t *h = malloc(65537 * 2);
    float *f = malloc(65536 * sizeof *f);
    for (uint32_t i = 0; i < 65536; i++) h[i + 1] = (uint16_t)i;
    for (int dt = 0; dt < 2; dt++) {
        lb_st_tensor_t t = {.name = "t", .dtype = dt ? LB_DTYPE_BF16 : LB_DTYPE_F16, .ndim = 1,
                            .shape = {65537}, .data = h, .nbytes = 65537 * 2};
        lb_st_to_f32(&t, 1, 65536, f);
        for (uint32_t i = 0; i < 65536; i++) {
            float s = dt ? lb_bf16_to_f32((uint16_t)i) : lb_f16_to_f32((uint16_t)i);
            if (memcmp(&s, &f[i], 4)) fail_msg("dtype %d pattern %04x: bulk and scalar differ", dt, i);
            if (s != s) continue;
            uint16_t back = dt ? lb_f32_to_bf16(s) : lb_f32_to_f16(s);
            if (back != i) fail_msg("dtype %d pattern %04x: round trip gives %04x", dt, i, back);
        }
    }
    assert_true(lb_f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(lb_f16_to_f32(0x7bff) == 65504.0f);
    assert_int_equal(lb_f32_to_f16(65520.0f), 0x7c00);
    assert_int_equal(lb_f32_to_f16(0x1p-25f), 0x0000);
    assert_int_equal(lb_f32_to_f16(0x1.8p-25f), 0x0001);
    assert_int_equal(lb_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80); /* tie to even */
    free(h);
    free(f);
}

static void test_writer(void **state) {
    (void)state;
    char path[300];
    tpath(path, sizeof path, "w.safetensors");
    float a[6] = {1, 2, 3, 4, 5, 6};
    uint16_t b[3] = {0x3c00, 0x4000, 0x0001};
    lb_st_tensor_t ts[2] = {
        {.name = "b", .dtype = LB_DTYPE_F16, .ndim = 1, .shape = {3}, .data = b, .nbytes = 6},
        {.name = "a", .dtype = LB_DTYPE_F32, .ndim = 2, .shape = {2, 3}, .data = a, .nbytes = 24},
    };
    const char *k[1] = {"format"}, *v[1] = {"pt"};
    lb_error_t e;
    assert_int_equal(lb_st_write(path, ts, 2, k, v, 1, &e), 0);
    lb_st_t *st;
    assert_int_equal(lb_st_open(path, &st, &e), 0);
    assert_string_equal(lb_st_metadata(st, "format"), "pt");
    const lb_st_tensor_t *ta = lb_st_find(st, "a");
    float out[6];
    lb_st_to_f32(ta, 0, 6, out);
    assert_memory_equal(out, a, sizeof a);
    assert_int_equal(ta->shape[1], 3);
    lb_st_to_f32(lb_st_find(st, "b"), 2, 1, out);
    assert_true(out[0] == 0x1p-24f);
    lb_st_close(st);
    /* Bad descriptions are refused and leave no file behind. */
    char bad[300];
    tpath(bad, sizeof bad, "bad.safetensors");
    ts[0].nbytes = 4;
    assert_int_equal(lb_st_write(bad, ts, 2, NULL, NULL, 0, &e), LB_EINVAL);
    assert_non_null(strstr(e.msg, "\"b\""));
    ts[0].nbytes = 6;
    ts[1].name = "b";
    assert_int_equal(lb_st_write(bad, ts, 2, NULL, NULL, 0, &e), LB_EINVAL);
    assert_non_null(strstr(e.msg, "duplicate"));
    assert_int_not_equal(access(bad, F_OK), 0);
    /* Unwritable destination. */
    assert_int_equal(lb_st_write("/nonexistent-dir/x.safetensors", ts, 1, NULL, NULL, 0, &e), LB_EIO);
}

/* Fuzz-ish: random byte flips and truncations of a valid file give an error or a load whose
 * every tensor lies inside the file and reads back the file's own bytes. */
static void test_corruption(void **state) {
    (void)state;
    char src[300], path[300];
    tpath(src, sizeof src, "fuzz_src.safetensors");
    tpath(path, sizeof path, "fuzz.safetensors");
    float a[24];
    uint16_t b[7], c[5];
    for (int i = 0; i < 24; i++) a[i] = (float)i - 3.5f;
    for (int i = 0; i < 7; i++) b[i] = (uint16_t)(0x3c00 + i);
    for (int i = 0; i < 5; i++) c[i] = (uint16_t)(0x3f80 + i);
    lb_st_tensor_t ts[3] = {
        {.name = "w", .dtype = LB_DTYPE_F32, .ndim = 3, .shape = {2, 3, 4}, .data = a, .nbytes = 96},
        {.name = "h", .dtype = LB_DTYPE_F16, .ndim = 1, .shape = {7}, .data = b, .nbytes = 14},
        {.name = "bf", .dtype = LB_DTYPE_BF16, .ndim = 2, .shape = {1, 5}, .data = c, .nbytes = 10},
    };
    const char *k[1] = {"format"}, *v[1] = {"pt"};
    lb_error_t e;
    assert_int_equal(lb_st_write(src, ts, 3, k, v, 1, &e), 0);
    FILE *fp = fopen(src, "rb");
    unsigned char orig[4096], buf[4096];
    size_t len = fread(orig, 1, sizeof orig, fp);
    fclose(fp);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | orig[i];
    srand(12345);
    int iters = getenv("LB_SANITIZED") ? 1500 : 4000, loaded = 0;
    float out[64];
    for (int it = 0; it < iters; it++) {
        memcpy(buf, orig, len);
        size_t n = len;
        int mode = rand() % 4;
        if (mode != 1) { /* flip 1-3 bytes, mostly in the header (where the lies live) */
            int flips = 1 + rand() % 3;
            for (int j = 0; j < flips; j++) {
                size_t at = rand() % 5 ? 8 + (size_t)rand() % hlen : (size_t)rand() % len;
                buf[at] = rand() % 2 ? (unsigned char)(buf[at] ^ (1u << (rand() % 8)))
                                     : (unsigned char)("0123456789[]{},\":-e"[rand() % 19]);
            }
        }
        if (mode >= 1 && mode <= 2) n = (size_t)rand() % (len + 1);
        write_bytes(path, buf, n);
        lb_st_t *st;
        int rc = lb_st_open(path, &st, &e);
        if (rc) {
            assert_true(rc < 0);
            assert_non_null(strstr(e.msg, path));
            continue;
        }
        loaded++;
        uint64_t mh = 0; /* the mutated file's own header length: data starts after it */
        for (int i = 7; i >= 0; i--) mh = (mh << 8) | buf[i];
        for (size_t i = 0; i < lb_st_count(st); i++) {
            const lb_st_tensor_t *t = lb_st_at(st, i);
            const char *file;
            uint64_t off;
            assert_int_equal(lb_st_locate(st, t, &file, &off), 0);
            size_t numel = lb_st_numel(t);
            if (off + t->nbytes > n || off < 8 + mh || t->nbytes != numel * lb_dtype_size(t->dtype))
                fail_msg("iteration %d: tensor %s at %llu+%zu escapes a %zu-byte file", it, t->name,
                         (unsigned long long)off, t->nbytes, n);
            assert_memory_equal(t->data, buf + off, t->nbytes);
            for (size_t o = 0; o < numel; o += 64) lb_st_to_f32(t, o, numel - o < 64 ? numel - o : 64, out);
        }
        lb_st_close(st);
    }
    print_message("corruption: %d of %d mutated files loaded\n", loaded, iters);
    assert_true(loaded > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_single),
        cmocka_unit_test(test_no_tensors),
        cmocka_unit_test(test_truncated_and_lying_lengths),
        cmocka_unit_test(test_lying_headers),
        cmocka_unit_test(test_open_paths),
        cmocka_unit_test(test_sharded),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_corruption),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
