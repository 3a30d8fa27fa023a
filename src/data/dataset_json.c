/* JSON (top-level array) and JSON Lines readers in TOFU layout, on jansson. */
#include "data_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string holding "\u0000" would be cut short at the NUL: an error naming the field (and the
 * element of a list when i >= 0). */
static int no_nul(json_t *v, const char *key, long i, const char *path, long line, size_t index,
                  lb_error_t *err) {
    if (!json_is_string(v) || strlen(json_string_value(v)) == json_string_length(v)) return LB_OK;
    char elem[32] = "";
    if (i >= 0) snprintf(elem, sizeof elem, "[%ld]", i);
    return lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: \"%s\"%s holds a NUL character (\\u0000), "
                        "which would cut the text short", path, line, index, key, elem);
}

/* Optional string field: absent or null -> NULL; a non-string is an error. */
static int opt_string(json_t *obj, const char *key, const char **out, const char *path, long line,
                      size_t index, lb_error_t *err) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) return LB_OK;
    if (!json_is_string(v))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: \"%s\" must be a string", path, line,
                            index, key);
    int rc = no_nul(v, key, -1, path, line, index, err);
    if (rc) return rc;
    *out = json_string_value(v);
    return LB_OK;
}

/* Array of strings (or one string) -> borrowed pointers in a malloc'd array. */
static int opt_string_list(json_t *obj, const char *key, const char ***out, size_t *n,
                           const char *path, long line, size_t index, lb_error_t *err) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) return LB_OK;
    if (json_is_string(v)) {
        int rc = no_nul(v, key, -1, path, line, index, err);
        if (rc) return rc;
        if (!(*out = malloc(sizeof **out))) return lb_error_set(err, LB_ENOMEM, "out of memory");
        (*out)[0] = json_string_value(v);
        *n = 1;
        return LB_OK;
    }
    if (!json_is_array(v))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: \"%s\" must be an array of strings",
                            path, line, index, key);
    size_t m = json_array_size(v);
    if (!m) return LB_OK;
    if (!(*out = malloc(m * sizeof **out))) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++) {
        json_t *s = json_array_get(v, i);
        int rc = json_is_string(s) ? no_nul(s, key, (long)i, path, line, index, err)
                                   : lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: \"%s\"[%zu] must be a string",
                                                  path, line, index, key, i);
        if (rc) {
            free(*out);
            *out = NULL;
            return rc;
        }
        (*out)[i] = json_string_value(s);
    }
    *n = m;
    return LB_OK;
}

int lbi_data_item_from_json(json_t *obj, const char *path, long line, size_t index, lb_dataset_t *ds,
                           lb_error_t *err) {
    if (!json_is_object(obj))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: expected an object", path, line, index);
    lb_data_item_t it = {0};
    it.line = line;
    /* The question: "question", or "prompt" in prompt-only sets ({"id", "prompt"}); "answer"
     * may be absent there (reference-free metrics such as a judge). */
    const char *qkey = json_object_get(obj, "question") || !json_object_get(obj, "prompt")
                       ? "question" : "prompt";
    static const char *const keys[] = {NULL, "answer"};
    for (int k = 0; k < 2; k++) {
        const char *key = k ? keys[k] : qkey;
        json_t *v = json_object_get(obj, key);
        if (!v && k == 0)
            return lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: missing \"question\" (or "
                                "\"prompt\")", path, line, index);
        if (!v) continue;
        if (!json_is_string(v))
            return lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: \"%s\" must be a string", path,
                                line, index, key);
        int rc = no_nul(v, key, -1, path, line, index, err);
        if (rc) return rc;
    }
    it.question = (char *)json_string_value(json_object_get(obj, qkey));
    it.answer = (char *)json_string_value(json_object_get(obj, "answer"));
    char idbuf[32];
    json_t *id = json_object_get(obj, "id");
    if (json_is_string(id)) {
        int rc = no_nul(id, "id", -1, path, line, index, err);
        if (rc) return rc;
        it.id = (char *)json_string_value(id);
    } else if (json_is_integer(id)) {
        snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        it.id = idbuf;
    } else if (id && !json_is_null(id)) {
        return lb_error_set(err, LB_EINVAL, "%s:%ld: item %zu: \"id\" must be a string or an integer",
                            path, line, index);
    }
    const char *para, *author;
    int rc = opt_string(obj, "paraphrased_answer", &para, path, line, index, err);
    if (!rc) rc = opt_string(obj, "author", &author, path, line, index, err);
    if (rc) return rc;
    it.paraphrased_answer = (char *)para;
    it.author = (char *)author;
    const char **pert = NULL, **kw = NULL;
    size_t n_kw = 0;
    rc = opt_string_list(obj, "perturbed_answer", &pert, &it.n_perturbed, path, line, index, err);
    if (!rc) {
        json_t *k = json_object_get(obj, "keywords");
        if (json_is_string(k)) {
            /* One string is a comma-separated list, as in the CSV layout. */
            rc = no_nul(k, "keywords", -1, path, line, index, err);
            if (!rc) rc = lb_data_split_keywords(json_string_value(k), &it.keywords, &it.n_keywords, err);
        } else {
            rc = opt_string_list(obj, "keywords", &kw, &n_kw, path, line, index, err);
            it.keywords = (char **)kw;
            it.n_keywords = n_kw;
        }
    }
    it.perturbed = (char **)pert;
    if (!rc) rc = lb_data_append(ds, &it, err);
    free(pert);
    if (json_is_string(json_object_get(obj, "keywords"))) {
        for (size_t i = 0; i < it.n_keywords; i++) free(it.keywords[i]);
        free(it.keywords);
    } else {
        free(kw);
    }
    return rc;
}

static long count_lines(const char *buf, size_t from, size_t to, long line) {
    for (size_t i = from; i < to; i++) line += buf[i] == '\n';
    return line;
}

static size_t skip_ws(const char *buf, size_t len, size_t i) {
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) i++;
    return i;
}

/* Column (1-based, bytes) of position i. */
static long column_of(const char *buf, size_t i) {
    size_t s = i;
    while (s > 0 && buf[s - 1] != '\n') s--;
    return (long)(i - s) + 1;
}

/* Parse the array one element at a time, so every item knows the line it starts on. */
int lbi_data_parse_json_array(const char *path, const char *buf, size_t len, lb_dataset_t *ds,
                             lb_error_t *err) {
    size_t i = 0;
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) i = 3;
    long line = 1;
    i = skip_ws(buf, len, i);
    line = count_lines(buf, 0, i, 1);
    if (i >= len || buf[i] != '[')
        return lb_error_set(err, LB_EFORMAT, "%s:%ld:%ld: expected a JSON array of objects", path,
                            line, column_of(buf, i));
    size_t pos = i + 1;
    for (size_t index = 0;; index++) {
        size_t j = skip_ws(buf, len, pos);
        line = count_lines(buf, pos, j, line);
        if (j < len && buf[j] == ']' && index == 0) {
            pos = j + 1;
            break;
        }
        json_error_t je;
        json_t *v = json_loadb(buf + j, len - j, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
        if (!v) {
            long el = line + je.line - 1;
            long ec = je.line <= 1 ? column_of(buf, j) + je.column - 1 : je.column;
            if (je.line < 1) el = line, ec = column_of(buf, j);
            return lb_error_set(err, LB_EFORMAT, "%s:%ld:%ld: malformed JSON: %s", path, el, ec,
                                je.text);
        }
        int rc = lbi_data_item_from_json(v, path, line, index, ds, err);
        json_decref(v);
        if (rc) return rc;
        size_t end = j + je.position;
        line = count_lines(buf, j, end, line);
        pos = skip_ws(buf, len, end);
        line = count_lines(buf, end, pos, line);
        if (pos < len && buf[pos] == ',') {
            pos++;
            continue;
        }
        if (pos < len && buf[pos] == ']') {
            pos++;
            break;
        }
        return lb_error_set(err, LB_EFORMAT, "%s:%ld:%ld: malformed JSON: expected ',' or ']' after item %zu",
                            path, line, column_of(buf, pos), index);
    }
    size_t tail = skip_ws(buf, len, pos);
    if (tail < len)
        return lb_error_set(err, LB_EFORMAT, "%s:%ld:%ld: malformed JSON: text after the array",
                            path, count_lines(buf, pos, tail, line), column_of(buf, tail));
    return LB_OK;
}

/* Same line rules as lb_jsonl_next: split on "\n", drop a trailing "\r", skip blank lines. */
int lbi_data_parse_jsonl(const char *path, const char *buf, size_t len, lb_dataset_t *ds,
                        lb_error_t *err) {
    size_t pos = 0, index = 0;
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) pos = 3;
    for (long line = 1; pos < len; line++) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, next = nl ? end + 1 : len;
        size_t n = end - pos;
        if (n && buf[pos + n - 1] == '\r') n--;
        size_t k = 0;
        while (k < n && strchr(" \t\r", buf[pos + k])) k++;
        if (k < n) {
            json_error_t je;
            json_t *v = json_loadb(buf + pos, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
            if (!v)
                return lb_error_set(err, LB_EFORMAT, "%s:%ld:%d: malformed JSON: %s", path, line,
                                    je.column, je.text);
            int rc = lbi_data_item_from_json(v, path, line, index++, ds, err);
            json_decref(v);
            if (rc) return rc;
        }
        pos = next;
    }
    return LB_OK;
}
