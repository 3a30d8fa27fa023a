/* lb_scores_read's fast line reader: the common lines {"id": ..., "scores": [...]} (or
 * "score") parsed straight into doubles, without building jansson values.
 *
 * It accepts a strict subset of JSON and declines (returns 0) everything else — escapes or
 * non-ASCII bytes in a string, nested values in other fields, duplicate keys, a score outside
 * [0, 1], a missing or doubled field, an id that is not a short integer or a plain string —
 * so that jansson reads those lines and reports their errors exactly as before. On the lines
 * it accepts it yields the same id and the same doubles as jansson (numbers through
 * lb_io_json_number, which rounds as strtod does). */
#include <string.h>

#include "scores_internal.h"
#include "leakbound/io.h"

#define MAX_KEYS 16

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* A plain string at p (the opening quote): no escapes, no control or non-ASCII bytes.
 * Returns the byte after the closing quote, or NULL. */
static const char *plain_string(const char *p, const char *end, const char **str, size_t *len) {
    if (p >= end || *p != '"') return NULL;
    const char *q = ++p;
    while (q < end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c == '\\' || c < 0x20 || c >= 0x80) return NULL;
        q++;
    }
    if (q >= end) return NULL;
    *str = p;
    *len = (size_t)(q - p);
    return q + 1;
}

static int key_is(const char *k, size_t n, const char *name) {
    return n == strlen(name) && !memcmp(k, name, n);
}

/* A score in [0, 1] (+ 0.0: -0 reads as 0). Returns the byte after it, or NULL. */
static const char *score(const char *p, const char *end, double *v) {
    int is_int;
    const char *stop;
    if (lb_io_json_number(p, end, v, &is_int, &stop) || !(*v >= 0.0 && *v <= 1.0)) return NULL;
    *v += 0.0;
    return stop;
}

int lbi_scores_fast_parse(const char *s, size_t n, lb_scores_fast_line_t *o, double *vals, size_t cap) {
    const char *p = s, *end = s + n, *keys[MAX_KEYS];
    size_t key_len[MAX_KEYS], n_keys = 0;
    int have_id = 0, have_score = 0;
    o->has_sample = 0;
    p = skip_ws(p, end);
    if (p >= end || *p != '{') return 0;
    p = skip_ws(p + 1, end);
    for (;;) {
        const char *k;
        size_t kn;
        if (!(p = plain_string(p, end, &k, &kn)) || n_keys == MAX_KEYS) return 0;
        for (size_t i = 0; i < n_keys; i++)
            if (key_len[i] == kn && !memcmp(keys[i], k, kn)) return 0; /* duplicate */
        keys[n_keys] = k;
        key_len[n_keys++] = kn;
        p = skip_ws(p, end);
        if (p >= end || *p != ':') return 0;
        p = skip_ws(p + 1, end);
        if (p >= end) return 0;
        if (key_is(k, kn, "id")) {
            have_id = 1;
            if (*p == '"') {
                if (!(p = plain_string(p, end, &o->id_str, &o->id_len))) return 0;
                o->id_is_int = 0;
            } else {
                double d;
                int is_int;
                const char *stop;
                if (lb_io_json_number(p, end, &d, &is_int, &stop) || !is_int) return 0;
                long long v = 0; /* at most 18 digits: lb_io_json_number declines longer ones */
                for (const char *q = p + (*p == '-'); q < stop; q++) v = v * 10 + (*q - '0');
                o->id_int = *p == '-' ? -v : v;
                o->id_is_int = 1;
                p = stop;
            }
        } else if (key_is(k, kn, "sample")) {
            double d;
            int is_int;
            const char *stop;
            if (lb_io_json_number(p, end, &d, &is_int, &stop) || !is_int || d < -1) return 0;
            long long v = 0; /* at most 18 digits: lb_io_json_number declines longer ones */
            for (const char *q = p + (*p == '-'); q < stop; q++) v = v * 10 + (*q - '0');
            o->sample = *p == '-' ? -v : v;
            o->has_sample = 1;
            p = stop;
        } else if (key_is(k, kn, "score")) {
            if (have_score || cap < 1 || !(p = score(p, end, &vals[0]))) return 0;
            have_score = 1;
            o->count = 1;
        } else if (key_is(k, kn, "scores")) {
            if (have_score || *p != '[') return 0;
            have_score = 1;
            size_t c = 0;
            p = skip_ws(p + 1, end);
            for (;;) {
                if (c == cap || !(p = score(p, end, &vals[c]))) return 0; /* [] declined too */
                c++;
                p = skip_ws(p, end);
                if (p < end && *p == ',') {
                    p = skip_ws(p + 1, end);
                } else if (p < end && *p == ']') {
                    p++;
                    break;
                } else {
                    return 0;
                }
            }
            o->count = c;
        } else if (*p == '"') { /* another field: skipped, if it is a plain scalar */
            const char *str;
            size_t len;
            if (!(p = plain_string(p, end, &str, &len))) return 0;
        } else if (end - p >= 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) {
            p += 4;
        } else if (end - p >= 5 && !memcmp(p, "false", 5)) {
            p += 5;
        } else {
            double d;
            int is_int;
            const char *stop;
            if (lb_io_json_number(p, end, &d, &is_int, &stop)) return 0;
            p = stop;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') break;
        return 0;
    }
    p = skip_ws(p + 1, end);
    if (p != end || !have_id || !have_score) return 0;
    if (o->has_sample && o->count != 1) {
        if (o->sample == -1) return 0; /* a greedy line holds one score: jansson's path says so */
        o->has_sample = 0;             /* numbers one answer only on a one-score line */
    }
    return 1;
}
