/* Dataset lifecycle, keyword splitting and the format dispatch of lb_data_load. */
#include "data_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "leakbound/io.h"

int lb_data_format_parse(const char *name, lb_data_format_t *out, lb_error_t *err) {
    static const struct { const char *name; lb_data_format_t fmt; } names[] = {
        {"auto", LB_DATA_AUTO}, {"json", LB_DATA_JSON}, {"jsonl", LB_DATA_JSONL}, {"csv", LB_DATA_CSV}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i].name)) {
            *out = names[i].fmt;
            return LB_OK;
        }
    return lb_error_set(err, LB_EINVAL, "unknown data format '%s' (auto, json, jsonl, csv)", name);
}

static char *dup_or_null(const char *s, int *oom) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = 1;
    return d;
}

static char **dup_list(char *const *v, size_t n, int *oom) {
    if (!n) return NULL;
    char **d = calloc(n, sizeof *d);
    if (!d) {
        *oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) d[i] = dup_or_null(v[i], oom);
    return d;
}

static void free_list(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void item_free(lb_data_item_t *it) {
    free(it->id);
    free(it->question);
    free(it->answer);
    free(it->prefix);
    free(it->paraphrased_answer);
    free(it->author);
    free_list(it->perturbed, it->n_perturbed);
    free_list(it->keywords, it->n_keywords);
    memset(it, 0, sizeof *it);
}

int lb_data_append(lb_dataset_t *ds, const lb_data_item_t *item, lb_error_t *err) {
    if (ds->n == ds->cap) {
        size_t cap = ds->cap ? ds->cap * 2 : 64;
        lb_data_item_t *ni = realloc(ds->items, cap * sizeof *ni);
        if (!ni) return lb_error_set(err, LB_ENOMEM, "out of memory");
        ds->items = ni;
        ds->cap = cap;
    }
    int oom = 0;
    lb_data_item_t it = {0};
    char idbuf[32];
    if (item->id) {
        it.id = dup_or_null(item->id, &oom);
    } else {
        snprintf(idbuf, sizeof idbuf, "%zu", ds->n);
        it.id = dup_or_null(idbuf, &oom);
    }
    it.question = dup_or_null(item->question ? item->question : "", &oom);
    it.answer = dup_or_null(item->answer, &oom);
    it.prefix = dup_or_null(item->prefix, &oom);
    it.paraphrased_answer = dup_or_null(item->paraphrased_answer, &oom);
    it.author = dup_or_null(item->author, &oom);
    it.perturbed = dup_list(item->perturbed, item->n_perturbed, &oom);
    it.n_perturbed = item->n_perturbed;
    it.keywords = dup_list(item->keywords, item->n_keywords, &oom);
    it.n_keywords = item->n_keywords;
    it.line = item->line;
    if (oom) {
        item_free(&it);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    ds->items[ds->n++] = it;
    return LB_OK;
}

int lb_data_split_keywords(const char *s, char ***out, size_t *n, lb_error_t *err) {
    *out = NULL;
    *n = 0;
    size_t max = 1;
    for (const char *p = s; *p; p++) max += *p == ',';
    char **v = NULL;
    size_t k = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *a = p, *b = end;
        /* Python's str.strip() on ASCII whitespace, as the reference code trims keywords. */
        while (a < b && strchr(" \t\n\r\v\f", *a)) a++;
        while (b > a && strchr(" \t\n\r\v\f", b[-1])) b--;
        if (b > a) {
            if (!v && !(v = calloc(max, sizeof *v))) goto oom;
            if (!(v[k] = strndup(a, (size_t)(b - a)))) goto oom;
            k++;
        }
        if (!*end) break;
        p = end + 1;
    }
    *out = v;
    *n = k;
    return LB_OK;
oom:
    free_list(v, k);
    return lb_error_set(err, LB_ENOMEM, "out of memory");
}

void lb_dataset_free(lb_dataset_t *ds) {
    for (size_t i = 0; i < ds->n; i++) item_free(&ds->items[i]);
    free(ds->items);
    memset(ds, 0, sizeof *ds);
}

static lb_data_format_t format_from_ext(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return LB_DATA_AUTO;
    if (!strcasecmp(dot, ".json")) return LB_DATA_JSON;
    if (!strcasecmp(dot, ".jsonl")) return LB_DATA_JSONL;
    if (!strcasecmp(dot, ".csv")) return LB_DATA_CSV;
    return LB_DATA_AUTO;
}

int lb_data_load(const char *path, lb_data_format_t fmt, lb_dataset_t *ds, lb_error_t *err) {
    memset(ds, 0, sizeof *ds);
    if (fmt == LB_DATA_AUTO) fmt = format_from_ext(path);
    if (fmt == LB_DATA_AUTO)
        return lb_error_set(err, LB_EINVAL,
                            "%s: cannot tell the format from the name (expected .json, .jsonl or "
                            ".csv); name it explicitly",
                            path);
    char *buf;
    size_t len;
    int rc = lb_io_read_file(path, &buf, &len, err);
    if (rc) return rc;
    char sha[65];
    lb_io_sha256_bytes(buf, len, sha);
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    if (fmt == LB_DATA_JSON) {
        /* Hugging Face `datasets` writes JSON Lines under a .json name: sniff the first value. */
        size_t i = 0;
        if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) i = 3;
        while (i < len && strchr(" \t\r\n", buf[i])) i++;
        if (i < len && buf[i] != '[') fmt = LB_DATA_JSONL;
    }
    if (fmt == LB_DATA_JSON)
        rc = lbi_data_parse_json_array(name, buf, len, ds, err);
    else if (fmt == LB_DATA_JSONL)
        rc = lbi_data_parse_jsonl(name, buf, len, ds, err);
    else
        rc = lbi_data_parse_csv(name, buf, len, ds, err);
    free(buf);
    if (rc) lb_dataset_free(ds);
    else memcpy(ds->sha256, sha, sizeof sha);
    return rc;
}

size_t lb_data_lenient_warning(const lb_dataset_t *ds, const char *path, char *buf, size_t cap) {
    if (cap) buf[0] = 0;
    if (!ds || !ds->n_lenient) return 0;
    int n = snprintf(buf, cap, "%s:%ld: blanks around a quoted field skipped (not RFC 4180; %zu "
                     "line%s)", path ? path : "-", ds->lenient_line, ds->n_lenient,
                     ds->n_lenient == 1 ? "" : "s");
    return n < 0 ? 0 : (size_t)n;
}
