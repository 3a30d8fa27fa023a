/* driver_io — lets tests/oracle/io_safetensors.py drive the safetensors reader and writer.
 *
 *   driver_io widen PATH OUT.f32     list tensors as JSON on stdout (name order, with metadata);
 *                                    their values widened to F32 go to OUT.f32, concatenated
 *   driver_io copy IN OUT            re-write IN's tensors and metadata with lb_st_write
 *   driver_io narrow f16|bf16 IN.f32 OUT.bin   convert raw F32 values with lb_f32_to_f16/bf16
 *   driver_io check PATH             exit 0 and print the tensor count, or exit 2 with the error
 *   driver_io json PATH              read PATH with lb_io_json_load_file and print it back (reals
 *                                    with 17 significant digits), or exit 2 with the error
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/safetensors.h"

static int fail(const lb_error_t *err) {
    fprintf(stderr, "%s\n", err->msg);
    return 2;
}

static int cmd_widen(const char *path, const char *out) {
    lb_error_t err;
    lb_st_t *st;
    if (lb_st_open(path, &st, &err)) return fail(&err);
    FILE *fp = fopen(out, "wb");
    if (!fp) {
        perror(out);
        lb_st_close(st);
        return 1;
    }
    json_t *doc = json_object(), *ts = json_array(), *md = json_object();
    json_object_set_new(doc, "tensors", ts);
    json_object_set_new(doc, "metadata", md);
    for (size_t i = 0; i < lb_st_metadata_count(st); i++) {
        const char *k, *v;
        lb_st_metadata_at(st, i, &k, &v);
        json_object_set_new(md, k, json_string(v));
    }
    for (size_t i = 0; i < lb_st_count(st); i++) {
        const lb_st_tensor_t *t = lb_st_at(st, i);
        json_t *shape = json_array();
        for (int d = 0; d < t->ndim; d++) json_array_append_new(shape, json_integer(t->shape[d]));
        json_array_append_new(ts, json_pack("{s:s, s:s, s:o, s:I}", "name", t->name, "dtype",
                                            lb_dtype_name(t->dtype), "shape", shape, "nbytes",
                                            (json_int_t)t->nbytes));
        if (lb_st_find(st, t->name) != t) {
            fprintf(stderr, "lb_st_find(%s) does not return lb_st_at(%zu)\n", t->name, i);
            return 1;
        }
        /* Widen in odd-sized chunks at odd offsets so the vector path's tails are exercised. */
        size_t n = lb_st_numel(t), chunk = 1000003 % (n + 1) + 1;
        float *buf = malloc((chunk ? chunk : 1) * sizeof *buf);
        for (size_t off = 0; off < n; off += chunk) {
            size_t m = n - off < chunk ? n - off : chunk;
            lb_st_to_f32(t, off, m, buf);
            fwrite(buf, sizeof *buf, m, fp);
        }
        free(buf);
    }
    int bad = fclose(fp) != 0;
    char *s = json_dumps(doc, JSON_COMPACT);
    puts(s);
    free(s);
    json_decref(doc);
    lb_st_close(st);
    return bad;
}

static int cmd_copy(const char *in, const char *out) {
    lb_error_t err;
    lb_st_t *st;
    if (lb_st_open(in, &st, &err)) return fail(&err);
    size_t n = lb_st_count(st), nm = lb_st_metadata_count(st);
    lb_st_tensor_t *ts = malloc((n + 1) * sizeof *ts);
    const char **mk = malloc((nm + 1) * sizeof *mk), **mv = malloc((nm + 1) * sizeof *mv);
    for (size_t i = 0; i < n; i++) ts[i] = *lb_st_at(st, i);
    for (size_t i = 0; i < nm; i++) lb_st_metadata_at(st, i, &mk[i], &mv[i]);
    int rc = lb_st_write(out, ts, n, mk, mv, nm, &err);
    free(ts);
    free(mk);
    free(mv);
    lb_st_close(st);
    return rc ? fail(&err) : 0;
}

static int cmd_narrow(const char *kind, const char *in, const char *out) {
    lb_error_t err;
    char *data;
    size_t len;
    if (lb_io_read_file(in, &data, &len, &err)) return fail(&err);
    size_t n = len / 4;
    uint16_t *o = malloc((n ? n : 1) * 2);
    int bf = !strcmp(kind, "bf16");
    for (size_t i = 0; i < n; i++) {
        float f;
        memcpy(&f, data + 4 * i, 4);
        o[i] = bf ? lb_f32_to_bf16(f) : lb_f32_to_f16(f);
    }
    FILE *fp = fopen(out, "wb");
    int bad = !fp || fwrite(o, 2, n, fp) != n;
    if (fp) bad |= fclose(fp) != 0;
    free(o);
    free(data);
    return bad;
}

static int cmd_check(const char *path) {
    lb_error_t err;
    lb_st_t *st;
    if (lb_st_open(path, &st, &err)) return fail(&err);
    printf("ok %zu\n", lb_st_count(st));
    lb_st_close(st);
    return 0;
}

static int cmd_json(const char *path) {
    json_error_t je;
    int cannot_open;
    json_t *v = lb_io_json_load_file(path, JSON_DECODE_ANY, &je, &cannot_open);
    if (!v) {
        fprintf(stderr, "%d:%d: %s\n", je.line, je.column, je.text);
        return 2;
    }
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(v);
    if (!s) return 1;
    puts(s);
    free(s);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "widen")) return cmd_widen(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "copy")) return cmd_copy(argv[2], argv[3]);
    if (argc == 5 && !strcmp(argv[1], "narrow")) return cmd_narrow(argv[2], argv[3], argv[4]);
    if (argc == 3 && !strcmp(argv[1], "check")) return cmd_check(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "json")) return cmd_json(argv[2]);
    fprintf(stderr, "usage: driver_io widen PATH OUT | copy IN OUT | narrow f16|bf16 IN OUT | "
                    "check PATH | json PATH\n");
    return 2;
}
