/* score_line.c — scoring one JSONL line: the same object with its score added out.
 *
 * The output keeps the input line's own bytes (key order, spacing, number spellings) and
 * appends the new fields before its closing brace, so every other field is preserved exactly.
 * Only when the object already has a field of that name is it rebuilt with jansson (the value
 * replaced in place, the rest re-serialised). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/score.h"
#include "scores_internal.h"

static const char *const rouge_keys[] = {"score", "precision", "recall", "fmeasure"};
static const char *const judge_keys[] = {"score", "p_label_a", "p_label_b"};
/* The keys of the numbers a metric adds, in order. */
#define added_keys (cfg->metric == LB_METRIC_JUDGE ? judge_keys : rouge_keys)

static int reserve(char **out, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 256;
    while (nc < need) nc *= 2;
    char *nb = realloc(*out, nc);
    if (!nb) return LB_ENOMEM;
    *out = nb;
    *cap = nc;
    return 0;
}

/* The shortest of %.15g..%.17g that reads back as v, with ".0" on integral values (as
 * Python's repr writes floats). */
static size_t fmt_real(char *buf, double v) {
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, 40, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (!strpbrk(buf, ".eEn")) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    return (size_t)n;
}

void lb_score_set_field(lb_score_cfg_t *cfg, const char *reference_field,
                        const char *keywords_field) {
    if (cfg->metric == LB_METRIC_KEYWORDS)
        cfg->field = keywords_field ? keywords_field
                     : reference_field ? reference_field : "keywords";
    else
        cfg->field = reference_field ? reference_field : "reference";
}

const char *lb_score_user_field(const lb_score_cfg_t *cfg, json_t *obj) {
    if (cfg->prompt_field) return cfg->prompt_field;
    return json_is_string(json_object_get(obj, "question")) ? "question" : "prompt";
}

static int get_string(const lb_score_cfg_t *cfg, long lineno, json_t *obj, const char *key,
                      const char **s, size_t *len, lb_error_t *err) {
    *s = NULL;
    *len = 0;
    json_t *v = json_object_get(obj, key);
    if (!v) return lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"%s\"", cfg->path, lineno, key);
    if (!json_is_string(v))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" is not a string", cfg->path,
                            lineno, key);
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

/* The keywords of obj (cfg->field: an array of strings or one comma-separated string) as the
 * item's list or CSV; the list lives in the worker. */
static int keywords_item(const lb_score_cfg_t *cfg, lb_score_worker_t *w, long lineno, json_t *obj,
                         lb_score_item_t *it, lb_error_t *err) {
    const char *key = cfg->field;
    json_t *v = json_object_get(obj, key);
    if (!v) return lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"%s\"", cfg->path, lineno, key);
    /* an empty list (no keyword after trimming) would score 0 for every answer: refused, as
     * eval --samples and the data sets do */
    static const char blank[] = " \t\n\r\v\f", blank_or_comma[] = " \t\n\r\v\f,";
    int any = 0;
    if (json_is_string(v))
        any = strspn(json_string_value(v), blank_or_comma) < json_string_length(v);
    for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        any |= json_is_string(e) && strspn(json_string_value(e), blank) < json_string_length(e);
    }
    if (!any && (json_is_string(v) || json_is_array(v)))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" holds no keyword (an empty "
                            "list would score 0 for every answer)", cfg->path, lineno, key);
    if (json_is_string(v)) {
        it->ref = json_string_value(v);
        it->ref_len = json_string_length(v);
        return 0;
    }
    if (!json_is_array(v))
        return lb_error_set(err, LB_EINVAL,
                            "%s:%ld: field \"%s\" must be an array of strings or a "
                            "comma-separated string", cfg->path, lineno, key);
    size_t n = json_array_size(v);
    if (n > w->kw_cap) {
        size_t nc = n < 16 ? 16 : n;
        const char **k = realloc(w->kw, nc * sizeof *k);
        if (k) w->kw = k;
        size_t *kl = realloc(w->kw_len, nc * sizeof *kl);
        if (kl) w->kw_len = kl;
        if (!k || !kl) return lb_error_set(err, LB_ENOMEM, "out of memory for keywords");
        w->kw_cap = nc;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e))
            return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\", item %zu: not a string",
                                cfg->path, lineno, key, i);
        w->kw[i] = json_string_value(e);
        w->kw_len[i] = json_string_length(e);
    }
    static const char *const none[1] = {""};
    static const size_t none_len[1] = {0};
    it->kw = n ? w->kw : none;   /* an empty list: no keyword, no leak */
    it->kw_len = n ? w->kw_len : none_len;
    it->n_kw = n;
    return 0;
}

/* The string field added after the numbers (key, value), when there is one. */
typedef struct added_str {
    const char *key, *val;
} added_str_t;

/* Rebuild the object with jansson when a field we add already exists. */
static int dump_replaced(const lb_score_cfg_t *cfg, json_t *obj, const double *vals, size_t nvals, int integral,
                         const added_str_t *extra, char **out, size_t *cap, size_t *out_len,
                         lb_error_t *err) {
    for (size_t i = 0; i < nvals; i++) {
        json_t *v = integral ? json_integer((json_int_t)vals[i]) : json_real(vals[i]);
        if (!v || json_object_set_new(obj, added_keys[i], v))
            return lb_error_set(err, LB_ENOMEM, "out of memory building the output");
    }
    if (extra && json_object_set_new(obj, extra->key, json_string(extra->val)))
        return lb_error_set(err, LB_ENOMEM, "out of memory building the output");
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    size_t n = json_dumpb(obj, NULL, 0, flags);
    if (!n || reserve(out, cap, n + 1)) return lb_error_set(err, LB_ENOMEM, "cannot serialise output");
    *out_len = json_dumpb(obj, *out, n, flags);
    return 0;
}

/* Append the fields to the line's own text, before its closing brace. */
static int splice(const lb_score_cfg_t *cfg, const char *line, size_t len, int nonempty, const double *vals, size_t nvals,
                  int integral, const added_str_t *extra, char **out, size_t *cap,
                  size_t *out_len, lb_error_t *err) {
    size_t end = len;
    while (end > 0 && line[end - 1] != '}') end--;   /* validated: an object ends in '}' */
    if (end == 0) return lb_error_set(err, LB_EINVAL, "internal: object without closing brace");
    end--;
    if (reserve(out, cap, end + 64 * nvals + 64 + 2))
        return lb_error_set(err, LB_ENOMEM, "out of memory building the output");
    char *o = *out;
    memcpy(o, line, end);
    size_t k = end;
    for (size_t i = 0; i < nvals; i++) {
        if (nonempty || i) o[k++] = ',';
        k += (size_t)sprintf(o + k, "\"%s\":", added_keys[i]);
        if (integral)
            k += (size_t)sprintf(o + k, "%d", (int)vals[i]);
        else
            k += fmt_real(o + k, vals[i]);
    }
    if (extra) k += (size_t)sprintf(o + k, ",\"%s\":\"%s\"", extra->key, extra->val);
    o[k++] = '}';
    *out_len = k;
    return 0;
}

/* Score one generation (text, text_len) of obj; vals/nvals/integral get the numbers. The line
 * only supplies the item (its reference, keywords or judge scores); lb_score_batch scores it. */
static int score_text(const lb_score_cfg_t *cfg, lb_score_worker_t *w, long lineno, json_t *obj,
                      const char *text, size_t text_len, double *vals, size_t *nvals,
                      int *integral, lb_error_t *err) {
    lb_score_item_t it = {.text = text, .text_len = text_len};
    double detail[3];
    int rc;
    *nvals = 1;
    *integral = 0;
    if (cfg->metric == LB_METRIC_JUDGE) {
        /* lb_score_batch scored the line's pairs before (judge_batch in score_stream.c) */
        const char *p;
        size_t pl;
        if ((rc = get_string(cfg, lineno, obj, lb_score_user_field(cfg, obj), &p, &pl, err)))
            return rc;
        if (!w->judge && cfg->opts.judge) {
            /* no batch scored before (eval --samples): this pair alone; the judge is
               batch-invariant, so the numbers are those of score's batches */
            it.ref = p;
            it.ref_len = pl;
            if ((rc = lb_score_batch(&cfg->opts, LB_METRIC_JUDGE, NULL, &it, 1, vals, detail, err))) {
                lb_error_prefix(err, "%s:%ld", cfg->path, lineno);
                return rc;
            }
            if (cfg->opts.judge_threshold >= 0) {
                *integral = 1;
                return LB_OK;
            }
            vals[1] = detail[0];
            vals[2] = detail[1];
            *nvals = 3;
            return LB_OK;
        }
        if (w->judge_next >= w->judge_n)
            return lb_error_set(err, LB_EINVAL, "%s:%ld: internal: no judge score", cfg->path, lineno);
        size_t k = w->judge_next++;
        vals[0] = w->judge[k];
        if (cfg->opts.judge_threshold >= 0) {
            *integral = 1;
            return LB_OK;
        }
        vals[1] = w->judge_p[2 * k];
        vals[2] = w->judge_p[2 * k + 1];
        *nvals = 3;
        return LB_OK;
    }
    if (cfg->metric == LB_METRIC_KEYWORDS) {
        if ((rc = keywords_item(cfg, w, lineno, obj, &it, err))) return rc;
    } else if ((rc = get_string(cfg, lineno, obj, cfg->field, &it.ref, &it.ref_len, err))) {
        return rc;
    }
    if ((rc = lb_score_batch(&cfg->opts, cfg->metric, w->scorer, &it, 1, vals, detail, err)))
        return rc;
    if (cfg->metric == LB_METRIC_KEYWORDS || cfg->metric == LB_METRIC_EXACT) {
        *integral = 1;
        return LB_OK;
    }
    memcpy(vals + 1, detail, sizeof detail);
    *nvals = 4;
    return LB_OK;
}

int lb_score_text(const lb_score_cfg_t *cfg, lb_score_worker_t *w, long lineno, json_t *obj,
                  const char *text, size_t text_len, double *score, lb_error_t *err) {
    lb_score_cfg_t c; /* NULL fields: the defaults (lb_score_cfg_default) */
    lbi_score_cfg_fill(cfg, &c);
    cfg = &c;
    double vals[4];
    size_t nvals;
    int integral;
    int rc = score_text(cfg, w, lineno, obj, text, text_len, vals, &nvals, &integral, err);
    if (!rc) *score = vals[0];
    return rc;
}

json_t *lb_score_elem_text(json_t *e) {
    json_t *t = json_is_object(e) ? json_object_get(e, "text") : e;
    return json_is_string(t) ? t : NULL;
}

/* The text field holds an array: one output line per element (a string, or an object with a
 * string "text"), {"id", "sample", "text", the reference or keywords, the scores}. */
static int score_array(const lb_score_cfg_t *cfg, lb_score_worker_t *w, long lineno, json_t *obj,
                       json_t *arr, char **out, size_t *out_cap, size_t *out_len,
                       lb_error_t *err) {
    const char *key = cfg->text_field;
    json_t *id = json_object_get(obj, cfg->id_field);
    if (!id)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"%s\" (the id of the samples "
                            "in \"%s\"; see --id-field)", cfg->path, lineno, cfg->id_field, key);
    if (!json_is_string(id) && !json_is_integer(id))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" must be a string or an integer",
                            cfg->path, lineno, cfg->id_field);
    /* copied to each output line: the reference, the keywords or (judge) the user turn */
    const char *ref_key = cfg->metric == LB_METRIC_JUDGE ? lb_score_user_field(cfg, obj) : cfg->field;
    json_t *ref = json_object_get(obj, ref_key);
    *out_len = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        json_t *t = lb_score_elem_text(e);
        if (!t)
            return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\", item %zu: expected a string "
                                "or an object with a string \"text\"", cfg->path, lineno, key, i);
        double vals[4];
        size_t nvals;
        int integral, rc;
        if ((rc = score_text(cfg, w, lineno, obj, json_string_value(t), json_string_length(t), vals,
                             &nvals, &integral, err)))
            return rc;
        json_t *o = json_object();
        int bad = !o || json_object_set(o, "id", id) ||
                  json_object_set_new(o, "sample", json_integer((json_int_t)i)) ||
                  json_object_set(o, "text", t) || (ref && json_object_set(o, ref_key, ref));
        for (size_t k = 0; !bad && k < nvals; k++)
            bad = json_object_set_new(o, added_keys[k], integral ? json_integer((json_int_t)vals[k])
                                                                 : json_real(vals[k]));
        if (!bad && cfg->metric == LB_METRIC_KEYWORDS)
            bad = json_object_set_new(o, "keyword_match",
                                      json_string(lb_text_match_name(cfg->opts.keyword_match)));
        size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
        size_t n = bad ? 0 : json_dumpb(o, NULL, 0, flags);
        if (!n || reserve(out, out_cap, *out_len + n + 2)) {
            json_decref(o);
            return lb_error_set(err, LB_ENOMEM, "out of memory building the output");
        }
        if (*out_len) (*out)[(*out_len)++] = '\n';
        *out_len += json_dumpb(o, *out + *out_len, n, flags);
        json_decref(o);
    }
    return 0;
}

/* --metric judge reads the user turn and the texts as C strings: a NUL (\u0000) in either is
 * refused for the whole line before anything of it is scored (the judge batch skipped it). */
static int judge_nul(const lb_score_cfg_t *cfg, long lineno, json_t *obj, json_t *tv,
                     lb_error_t *err) {
    const char *uf = lb_score_user_field(cfg, obj);
    json_t *u = json_object_get(obj, uf);
    size_t n = json_is_array(tv) ? json_array_size(tv) : 1;
    if (json_is_string(u) && strlen(json_string_value(u)) != json_string_length(u))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" holds a NUL character "
                            "(\\u0000), which the judge cannot read: remove it", cfg->path, lineno, uf);
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_is_array(tv) ? lb_score_elem_text(json_array_get(tv, i)) : tv;
        if (json_is_string(t) && strlen(json_string_value(t)) != json_string_length(t))
            return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\"%s holds a NUL character "
                                "(\\u0000), which the judge cannot read: remove it", cfg->path,
                                lineno, cfg->text_field, json_is_array(tv) ? ", an item," : "");
    }
    return 0;
}

int lb_score_line(const lb_score_cfg_t *cfg, lb_score_worker_t *w, const char *line, size_t len,
                  long lineno, char **out, size_t *out_cap, size_t *out_len, lb_error_t *err) {
    lb_score_cfg_t c; /* NULL fields: the defaults (lb_score_cfg_default) */
    lbi_score_cfg_fill(cfg, &c);
    cfg = &c;
    json_error_t je;
    json_t *obj = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    if (!obj)
        return lb_error_set(err, LB_EFORMAT, "%s:%ld:%d: malformed JSON: %s", cfg->path, lineno,
                            je.column, je.text);
    int rc;
    const char *text = NULL;
    size_t text_len = 0;
    double vals[4];
    size_t nvals = 1;
    int integral = 0;
    if (!json_is_object(obj)) {
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: expected a JSON object", cfg->path, lineno);
        goto done;
    }
    json_t *tv = json_object_get(obj, cfg->text_field);
    if (cfg->metric == LB_METRIC_JUDGE && (rc = judge_nul(cfg, lineno, obj, tv, err))) goto done;
    if (json_is_array(tv)) {
        rc = score_array(cfg, w, lineno, obj, tv, out, out_cap, out_len, err);
        goto done;
    }
    rc = get_string(cfg, lineno, obj, cfg->text_field, &text, &text_len, err);
    if (rc) goto done;
    rc = score_text(cfg, w, lineno, obj, text, text_len, vals, &nvals, &integral, err);
    if (rc) goto done;
    /* Keyword scores record how keywords matched. */
    added_str_t match = {"keyword_match", lb_text_match_name(cfg->opts.keyword_match)};
    const added_str_t *extra = cfg->metric == LB_METRIC_KEYWORDS ? &match : NULL;
    int clash = extra && json_object_get(obj, extra->key);
    for (size_t i = 0; i < nvals; i++)
        if (json_object_get(obj, added_keys[i])) clash = 1;
    if (clash)
        rc = dump_replaced(cfg, obj, vals, nvals, integral, extra, out, out_cap, out_len, err);
    else
        rc = splice(cfg, line, len, json_object_size(obj) > 0, vals, nvals, integral, extra, out,
                    out_cap, out_len, err);
done:
    json_decref(obj);
    return rc;
}
