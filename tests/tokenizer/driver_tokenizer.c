/* Driver for the tokenizer oracles and benchmark.
 *
 *   driver_tokenizer check TOKENIZER.json IN.jsonl OUT.jsonl
 *     IN: one JSON string per line. OUT: per line {"ids": encode(x, True), "ids_plain":
 *     encode(x, False), "dec_skip": decode(ids, True), "dec_keep": decode(ids, False)} or
 *     {"error": "..."} when the library refuses the line.
 *   driver_tokenizer vocab TOKENIZER.json N OUT.json
 *     {"vocab_size": lb_tokenizer_vocab_size, "id_to_token": [token or null for ids 0..N-1],
 *      "token_to_id": {token: lb_tokenizer_token_to_id(token) for each token listed}}.
 *   driver_tokenizer bench TOKENIZER.json TEXT.txt REPEATS
 *     Encodes every line of TEXT.txt (add_special_tokens=False) REPEATS times; prints one JSON
 *     object: {"bytes":..., "tokens":..., "seconds": best of the repeats, "load_seconds": ...}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "leakbound/io.h"
#include "leakbound/tokenizer.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static json_t *ids_json(const int32_t *ids, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_integer(ids[i]));
    return a;
}

static int check(const char *tok_path, const char *in, const char *out_path) {
    lb_error_t err = {0};
    lb_tokenizer_t *tok;
    if (lb_tokenizer_load(tok_path, &tok, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    lb_jsonl_reader_t r;
    if (lb_jsonl_open(&r, in, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        lb_tokenizer_free(tok);
        return 2;
    }
    FILE *out = fopen(out_path, "w");
    if (!out) {
        perror(out_path);
        lb_jsonl_close(&r);
        lb_tokenizer_free(tok);
        return 2;
    }
    json_t *v;
    int rc, status = 0;
    while ((rc = lb_jsonl_next(&r, &v, &err)) == 1) {
        json_t *o = json_object();
        if (!json_is_string(v)) {
            json_object_set_new(o, "error", json_string("not a string"));
        } else {
            int32_t *ids = NULL, *plain = NULL;
            size_t n = 0, np = 0;
            char *a = NULL, *b = NULL;
            size_t al = 0, bl = 0;
            const char *s = json_string_value(v);
            size_t sl = json_string_length(v);
            if (lb_tokenizer_encode(tok, s, sl, 1, &ids, &n, &err) ||
                lb_tokenizer_encode(tok, s, sl, 0, &plain, &np, &err) ||
                lb_tokenizer_decode(tok, ids, n, 1, &a, &al, &err) ||
                lb_tokenizer_decode(tok, ids, n, 0, &b, &bl, &err)) {
                json_object_set_new(o, "error", json_string(err.msg));
            } else {
                json_object_set_new(o, "ids", ids_json(ids, n));
                json_object_set_new(o, "ids_plain", ids_json(plain, np));
                json_object_set_new(o, "dec_skip", json_stringn(a, al));
                json_object_set_new(o, "dec_keep", json_stringn(b, bl));
            }
            free(ids);
            free(plain);
            free(a);
            free(b);
        }
        char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        fprintf(out, "%s\n", line);
        free(line);
        json_decref(o);
        json_decref(v);
    }
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        status = 2;
    }
    lb_jsonl_close(&r);
    if (fclose(out)) status = 1;
    lb_tokenizer_free(tok);
    return status;
}

static int bench(const char *tok_path, const char *text_path, int repeats) {
    lb_error_t err = {0};
    double t0 = now();
    lb_tokenizer_t *tok;
    if (lb_tokenizer_load(tok_path, &tok, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    double load = now() - t0;
    char *data;
    size_t len;
    if (lb_io_read_file(text_path, &data, &len, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        lb_tokenizer_free(tok);
        return 2;
    }
    double best = 1e30;
    size_t tokens = 0;
    for (int rep = 0; rep < repeats; rep++) {
        tokens = 0;
        double s = now();
        size_t i = 0;
        while (i < len) {
            char *nl = memchr(data + i, '\n', len - i);
            size_t e = nl ? (size_t)(nl - data) : len;
            int32_t *ids;
            size_t n;
            if (lb_tokenizer_encode(tok, data + i, e - i, 0, &ids, &n, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                free(data);
                lb_tokenizer_free(tok);
                return 1;
            }
            tokens += n;
            free(ids);
            i = e + 1;
        }
        double el = now() - s;
        if (el < best) best = el;
    }
    printf("{\"bytes\": %zu, \"tokens\": %zu, \"seconds\": %.6f, \"load_seconds\": %.6f}\n", len, tokens, best, load);
    free(data);
    lb_tokenizer_free(tok);
    return 0;
}

static int vocab(const char *tok_path, long n, const char *out_path) {
    lb_error_t err = {0};
    lb_tokenizer_t *tok;
    if (lb_tokenizer_load(tok_path, &tok, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    json_t *o = json_object(), *ids = json_array(), *map = json_object();
    json_object_set_new(o, "vocab_size", json_integer((json_int_t)lb_tokenizer_vocab_size(tok)));
    for (long i = 0; i < n; i++) {
        const char *t = lb_tokenizer_id_to_token(tok, (int32_t)i);
        json_array_append_new(ids, t ? json_string(t) : json_null());
        if (t) json_object_set_new(map, t, json_integer(lb_tokenizer_token_to_id(tok, t)));
    }
    json_object_set_new(o, "id_to_token", ids);
    json_object_set_new(o, "token_to_id", map);
    int rc = json_dump_file(o, out_path, JSON_COMPACT) ? 1 : 0;
    json_decref(o);
    lb_tokenizer_free(tok);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "vocab")) return vocab(argv[2], atol(argv[3]), argv[4]);
    if (argc == 5 && !strcmp(argv[1], "check")) return check(argv[2], argv[3], argv[4]);
    if (argc == 5 && !strcmp(argv[1], "bench")) return bench(argv[2], argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: driver_tokenizer check TOKENIZER.json IN.jsonl OUT.jsonl\n"
                    "       driver_tokenizer bench TOKENIZER.json TEXT.txt REPEATS\n");
    return 2;
}
