/* jsonl.c — `leakbound tokenize` as one call: a JSON Lines stream of texts to their ids, or
 * of ids to their texts, one output line per input line. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/tokenizer.h"

static int write_ids(FILE *out, const int32_t *ids, size_t n) {
    fputc('[', out);
    for (size_t i = 0; i < n; i++) fprintf(out, i ? ",%d" : "%d", ids[i]);
    fputc(']', out);
    return fputc('\n', out) == EOF ? -1 : 0;
}

static int encode_line(const lb_tokenizer_t *tok, json_t *v, int add_special, FILE *out, lb_error_t *err) {
    json_t *s = json_is_object(v) ? json_object_get(v, "text") : v;
    if (!json_is_string(s))
        return lb_error_set(err, LB_EINVAL, "expected a JSON string or an object with a string \"text\"");
    int32_t *ids;
    size_t n;
    int rc = lb_tokenizer_encode(tok, json_string_value(s), json_string_length(s), add_special, &ids, &n, err);
    if (rc) return rc;
    rc = write_ids(out, ids, n) ? LB_EIO : 0;
    free(ids);
    return rc ? lb_error_set(err, LB_EIO, "cannot write the output") : 0;
}

static int decode_line(const lb_tokenizer_t *tok, json_t *v, int skip_special, FILE *out, int32_t **buf,
                       size_t *cap, lb_error_t *err) {
    if (!json_is_array(v)) return lb_error_set(err, LB_EINVAL, "expected a JSON array of token ids");
    size_t n = json_array_size(v);
    if (n > *cap) {
        int32_t *b = realloc(*buf, n * sizeof *b);
        if (!b) return lb_error_set(err, LB_ENOMEM, "out of memory");
        *buf = b;
        *cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > INT32_MAX)
            return lb_error_set(err, LB_EINVAL, "element %zu is not a token id (a non-negative integer)", i);
        (*buf)[i] = (int32_t)json_integer_value(x);
    }
    char *text;
    size_t len;
    int rc = lb_tokenizer_decode(tok, *buf, n, skip_special, &text, &len, err);
    if (rc) return rc;
    json_t *js = json_stringn(text, len);
    free(text);
    if (!js) return lb_error_set(err, LB_ENOMEM, "out of memory");
    rc = json_dumpf(js, out, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(js);
    if (rc || fputc('\n', out) == EOF) return lb_error_set(err, LB_EIO, "cannot write the output");
    return 0;
}

void lb_tokenizer_jsonl_opts_default(lb_tokenizer_jsonl_opts_t *o) {
    o->decode = 0;
    o->add_special = 1;
    o->skip_special = 1;
}

int lb_tokenizer_jsonl(const lb_tokenizer_t *tok, const char *in, FILE *out,
                       const lb_tokenizer_jsonl_opts_t *o, lb_error_t *err) {
    lb_jsonl_reader_t r;
    int rc = lb_jsonl_open(&r, in, err);
    if (rc) return rc;
    int32_t *buf = NULL;
    size_t cap = 0;
    json_t *v;
    while ((rc = lb_jsonl_next(&r, &v, err)) == 1) {
        int lrc = o->decode ? decode_line(tok, v, o->skip_special, out, &buf, &cap, err)
                            : encode_line(tok, v, o->add_special, out, err);
        json_decref(v);
        if (lrc) {
            lb_error_prefix(err, "%s:%ld", r.path, r.lineno);
            rc = lrc;
            break;
        }
    }
    if (rc == 0 || rc == 1) rc = 0;
    else if (rc > 0) rc = err->code;
    free(buf);
    lb_jsonl_close(&r);
    return rc;
}
