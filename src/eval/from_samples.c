/* `leakbound eval --samples FILE`: generations made elsewhere, scored and grouped for the
 * bounds. Each line is read in the shapes `score --text-field` reads (a string, an array of
 * strings, an array of objects with "text": leakbound, HF, vLLM, OpenAI-style) and scored by
 * the same code (lb_score_text); the greedy answer is a one-answer line with "sample": -1, or
 * the --greedy-field of a line. The bounds assume independent samples, so a repeated line or
 * (id, "sample") pair is refused (unless --allow-duplicates, which keeps one copy of a
 * repeated greedy answer of the same text), as are one id written as an integer and as a
 * string ("1" and 1) and one id with two references: what `leakbound bound` (lb_scores_read)
 * refuses and keeps too (the id rules through the same lb_score_ids_t). With --data, each
 * id's reference/keywords and question come from the data set's item of that id. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "leakbound/eval.h"
#include "leakbound/io.h"
#include "eval_internal.h"

typedef struct one {
    size_t prompt;
    double score;
} one_t;

typedef struct reader {
    lb_eval_result_t *e;
    const lb_score_cfg_t *cfg;
    const lb_eval_samples_opts_t *o;
    lb_score_worker_t w;
    lb_score_ids_t *ids;        /* the ids as `bound` keeps them: numbering, one JSON type per
                                   id, one greedy answer, one answer per (id, "sample") */
    json_t *seen;               /* repeated lines: "L<digest>" of a line -> its line (NULL with
                                   --allow-duplicates) */
    size_t cap_items;
    one_t *all;                 /* (n_all,) the sampled scores in file order */
    size_t n_all, cap_all;
    size_t *count;              /* (cap_items,) sampled answers of each prompt so far */
    json_t **ref;               /* (cap_items,) each prompt's reference (keywords: an array of
                                   strings), NULL until a line or the --data item gives it */
    long *ref_line;             /* (cap_items,) where ref came from: a line, or -L: --data line L */
    long n_greedy_field;        /* lines that have --greedy-field */
    size_t n_greedy;            /* greedy answers scored */
    lb_dataset_t ds;            /* --data */
    json_t *data_index;         /* --data: item id -> item number */
    unsigned char *data_hit;    /* (ds.n,) 1: the item's id is in FILE */
    struct sha256_ctx sha;      /* of FILE's bytes as read (a pipe is read once) */
    char *out;                  /* DIR/samples.jsonl being built */
    size_t out_len, out_cap;
} reader_t;

/* The value a --data item gives the metric's field: its keywords as an array (--metric
 * keywords) or its answer; NULL when it has none (the lines must then carry their own). */
static int data_ref(const reader_t *r, const lb_data_item_t *it, json_t **out) {
    *out = NULL;
    if (r->cfg->metric != LB_METRIC_KEYWORDS) {
        if (it->answer && !(*out = json_string(it->answer))) return LB_ENOMEM;
        return 0;
    }
    if (!it->n_keywords) return 0;
    json_t *a = json_array();
    for (size_t k = 0; a && k < it->n_keywords; k++)
        if (json_array_append_new(a, json_string(it->keywords[k]))) json_decref(a), a = NULL;
    *out = a;
    return a ? 0 : LB_ENOMEM;
}

/* The prompt number of the line's id (a new one when first seen). */
static int prompt_of(reader_t *r, json_t *id, long lineno, size_t *out, lb_error_t *err) {
    const lb_score_cfg_t *cfg = r->cfg;
    lb_eval_result_t *e = r->e;
    char num[32];
    const char *text;
    int is_int = json_is_integer(id), is_new;
    if (is_int) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        text = num;
    } else if (json_is_string(id) && strlen(json_string_value(id)) == json_string_length(id)) {
        text = json_string_value(id);
    } else {
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" must be a string (without NUL) "
                            "or an integer (see --id-field)", cfg->path, lineno, cfg->id_field);
    }
    /* "1" and 1 would be two questions both shown as 1 (and both --data's item "1"): one id,
     * one JSON type, as `leakbound bound` (lb_scores_read) reads it: the same book. */
    size_t p;
    int rc = lb_score_ids_prompt(r->ids, is_int, is_int ? json_integer_value(id) : 0,
                                 is_int ? NULL : text, is_int ? 0 : strlen(text), lineno, &p,
                                 &is_new, err);
    if (rc) return rc;
    *out = p;
    if (!is_new) return 0;
    json_t *item = r->data_index ? json_object_get(r->data_index, text) : NULL;
    if (r->data_index && !item)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: id '%s' is not in --data %s (every id "
                            "needs its item there, and every item its samples here)", cfg->path,
                            lineno, text, r->o->data_path);
    /* Seven arrays of cap_items entries: lb_grow's new capacity depends only on (cap, need),
     * so each grows from the same cap to the same one. */
    size_t c = 0;
#define GROW(a) (c = r->cap_items, lb_grow((void **)&(a), &c, p + 1, sizeof *(a)))
    int bad = GROW(e->ids) || GROW(e->id_is_int) || GROW(e->questions) || GROW(e->greedy) ||
              GROW(r->count) || GROW(r->ref) || GROW(r->ref_line);
#undef GROW
    if (!bad) r->cap_items = c;
    if (bad || !(e->ids[p] = strdup(text))) return lb_error_set(err, LB_ENOMEM, "out of memory");
    e->id_is_int[p] = (unsigned char)is_int;
    e->questions[p] = NULL;
    e->greedy[p] = NAN;
    r->count[p] = 0;
    r->ref[p] = NULL;
    r->ref_line[p] = 0;
    e->n_items = p + 1;
    if (item) {
        const lb_data_item_t *it = &r->ds.items[json_integer_value(item)];
        r->data_hit[json_integer_value(item)] = 1;
        r->ref_line[p] = -it->line;
        if (data_ref(r, it, &r->ref[p]) || !(e->questions[p] = strdup(it->question)))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    return 0;
}

/* The line's reference as compared across lines (*out, a new reference; NULL when the line
 * has none): the string, or for --metric keywords an array of keywords (a comma-separated
 * string split as data sets are). An empty keyword list is refused: it would score 0. */
static int ref_value(const reader_t *r, json_t *v, long lineno, json_t **out, lb_error_t *err) {
    const lb_score_cfg_t *cfg = r->cfg;
    *out = NULL;
    if (!v) return 0;
    if (cfg->metric != LB_METRIC_KEYWORDS) {
        if (!json_is_string(v))
            return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" is not a string", cfg->path,
                                lineno, cfg->field);
        *out = json_incref(v);
        return 0;
    }
    size_t n = 0;
    if (json_is_string(v)) {
        char **kw = NULL;
        if (strlen(json_string_value(v)) != json_string_length(v))
            return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" holds a NUL character",
                                cfg->path, lineno, cfg->field);
        if (lb_data_split_keywords(json_string_value(v), &kw, &n, err)) return err->code;
        json_t *a = json_array();
        for (size_t k = 0; k < n; k++) {
            if (a && json_array_append_new(a, json_string(kw[k]))) json_decref(a), a = NULL;
            free(kw[k]);
        }
        free(kw);
        if (!a) return lb_error_set(err, LB_ENOMEM, "out of memory");
        *out = a;
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!json_is_string(x))
                return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\", item %zu: not a string",
                                    cfg->path, lineno, cfg->field, i);
            n += strspn(json_string_value(x), " \t\n\r\v\f") < json_string_length(x);
        }
        *out = json_incref(v);
    } else {
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" must be an array of strings or "
                            "a comma-separated string", cfg->path, lineno, cfg->field);
    }
    if (n == 0) {
        json_decref(*out);
        *out = NULL;
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" holds no keyword (an empty "
                            "list would score 0 for every answer)", cfg->path, lineno, cfg->field);
    }
    return 0;
}

/* One id, one reference: the line's must equal the one its id already has (from an earlier
 * line or the --data item); a line without one takes the --data item's. */
static int check_ref(reader_t *r, json_t *obj, long lineno, size_t p, lb_error_t *err) {
    const lb_score_cfg_t *cfg = r->cfg;
    json_t *v = json_object_get(obj, cfg->field), *have = r->ref[p], *mine;
    if (!v) {
        /* without --data the scorer names the missing field */
        if (have && r->ref_line[p] < 0 && json_object_set(obj, cfg->field, have))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
        return 0;
    }
    int rc = ref_value(r, v, lineno, &mine, err);
    if (rc) return rc;
    if (!have) {
        r->ref[p] = mine;
        r->ref_line[p] = lineno;
        return 0;
    }
    int same = json_equal(have, mine);
    json_decref(mine);
    if (same) return 0;
    if (r->ref_line[p] < 0)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: id '%s': field \"%s\" differs from the "
                            "item's in --data %s (line %ld)", cfg->path, lineno, r->e->ids[p],
                            cfg->field, r->o->data_path, -r->ref_line[p]);
    return lb_error_set(err, LB_EINVAL, "%s:%ld: id '%s': field \"%s\" differs from the one on "
                        "line %ld (an id has one %s)", cfg->path, lineno, r->e->ids[p],
                        cfg->field, r->ref_line[p],
                        cfg->metric == LB_METRIC_KEYWORDS ? "keyword list" : "reference");
}

/* Duplicates (skipped with --allow-duplicates): key (a line's digest) seen before is refused,
 * naming the earlier line. */
static int check_seen(reader_t *r, const char *key, long lineno, const char *what,
                      lb_error_t *err) {
    if (!r->seen) return 0;
    json_t *had = json_object_get(r->seen, key);
    if (had)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: %s line %" JSON_INTEGER_FORMAT ": the bounds "
                            "assume independent samples, each counted once (--allow-duplicates "
                            "counts repeats)", r->cfg->path, lineno, what, json_integer_value(had));
    if (json_object_set_new(r->seen, key, json_integer(lineno)))
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    return 0;
}

/* A line repeated byte for byte (a file concatenated twice, a retried request appended): its
 * digest (the first 128 bits of its SHA-256) seen before. */
static int check_line(reader_t *r, const char *line, size_t len, long lineno, lb_error_t *err) {
    if (!r->seen) return 0;
    struct sha256_ctx c;
    unsigned char d[SHA256_DIGEST_SIZE];
    char key[2 + 2 * 16];
    sha256_init(&c);
    sha256_update(&c, len, (const unsigned char *)line);
    sha256_digest(&c, sizeof d, d);
    key[0] = 'L';
    for (size_t i = 0; i < 16; i++) snprintf(key + 1 + 2 * i, 3, "%02x", d[i]);
    return check_seen(r, key, lineno, "the same bytes as", err);
}

/* Score one generation t of the line obj and append its scored line to DIR/samples.jsonl:
 * {"id", "sample" (-1 greedy, else its place among its id's samples in file order), "prompt"
 * (when the line has one), "text" (as given), the reference or keywords, "score"}. */
static int take(reader_t *r, json_t *obj, long lineno, size_t p, json_t *id, json_t *t,
                int greedy, lb_error_t *err) {
    long sample = greedy ? -1 : (long)r->count[p];
    const lb_score_cfg_t *cfg = r->cfg;
    double s;
    /* one greedy answer per id; --allow-duplicates keeps one copy of a repeated one of the same
     * text (as `bound` does): it is one answer whichever line repeats it, never a sample. */
    int take_it = 1;
    int rc = greedy ? lb_score_ids_greedy(r->ids, p, lineno, json_string_value(t),
                                          json_string_length(t), &take_it, err)
                    : 0;
    if (rc || !take_it) return rc;
    rc = lb_score_text(cfg, &r->w, lineno, obj, json_string_value(t), json_string_length(t),
                           &s, err);
    if (rc) return rc;
    if (!isfinite(s) || s < 0 || s > 1)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: score %g is outside [0, 1]", cfg->path, lineno, s);
    if (greedy) {
        r->e->greedy[p] = s;
        r->n_greedy++;
    } else {
        if (lb_grow((void **)&r->all, &r->cap_all, r->n_all + 1, sizeof *r->all))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
        r->all[r->n_all++] = (one_t){p, s};
        r->count[p]++;
    }
    json_t *o = json_object(), *ref = json_object_get(obj, cfg->field);
    json_t *prompt = json_object_get(obj, cfg->prompt_field ? cfg->prompt_field : "prompt");
    int bad = !o || json_object_set(o, "id", id) ||
              json_object_set_new(o, "sample", json_integer(sample)) ||
              (json_is_string(prompt) && json_object_set(o, "prompt", prompt)) ||
              json_object_set(o, "text", t) || (ref && json_object_set(o, cfg->field, ref)) ||
              json_object_set_new(o, "score", json_real(s));
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    size_t n = bad ? 0 : json_dumpb(o, NULL, 0, flags);
    if (!n || lb_grow((void **)&r->out, &r->out_cap, r->out_len + n + 1, 1)) {
        json_decref(o);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    r->out_len += json_dumpb(o, r->out + r->out_len, n, flags);
    r->out[r->out_len++] = '\n';
    json_decref(o);
    return 0;
}

static int greedy_of(reader_t *r, json_t *obj, long lineno, size_t p, json_t *id, lb_error_t *err) {
    json_t *g = json_object_get(obj, r->o->greedy_field);
    if (!g) return 0;
    r->n_greedy_field++;
    json_t *t = json_is_array(g) && json_array_size(g) == 1 ? lb_score_elem_text(json_array_get(g, 0))
                                                            : lb_score_elem_text(g);
    if (!t)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" (--greedy-field) must be a "
                            "string, an object with a string \"text\", or an array of one of "
                            "those", r->cfg->path, lineno, r->o->greedy_field);
    return take(r, obj, lineno, p, id, t, 1, err);
}

static int read_line(reader_t *r, const char *line, size_t len, long lineno, lb_error_t *err) {
    const lb_score_cfg_t *cfg = r->cfg;
    const char *gf = r->o->greedy_field;
    json_error_t je;
    json_t *obj = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!obj)
        return lb_error_set(err, LB_EFORMAT, "%s:%ld:%d: malformed JSON: %s", cfg->path, lineno,
                            je.column, je.text);
    size_t p = 0;
    long s = -2; /* the line's "sample": -1 greedy, >= 0 its index, -2 none */
    json_t *id = json_object_get(obj, cfg->id_field), *t = json_object_get(obj, cfg->text_field);
    json_t *sv = json_object_get(obj, "sample");
    if (!json_is_object(obj))
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: expected a JSON object", cfg->path, lineno);
    else if (!id)
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"%s\" (see --id-field)",
                          cfg->path, lineno, cfg->id_field);
    else if (!t && !(gf && json_object_get(obj, gf)))
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"%s\" (see --text-field)",
                          cfg->path, lineno, cfg->text_field);
    else if (t && !json_is_string(t) && !json_is_array(t))
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" must be a string, an array of "
                          "strings or an array of objects with a string \"text\"", cfg->path,
                          lineno, cfg->text_field);
    else if (sv && (!json_is_integer(sv) || json_integer_value(sv) < -1))
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: field \"sample\" must be an integer >= -1 "
                          "(-1: the greedy answer)", cfg->path, lineno);
    else if (sv)
        s = json_integer_value(sv) > LONG_MAX ? LONG_MAX : (long)json_integer_value(sv);
    /* An array is one line's samples; "sample": -1 makes it the greedy answer, which is one. */
    if (!rc && json_is_array(t) && s >= 0)
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: \"sample\": %ld numbers one answer, but field "
                          "\"%s\" is an array (write one answer per line, or no \"sample\")",
                          cfg->path, lineno, s, cfg->text_field);
    if (!rc && json_is_array(t) && s == -1 && json_array_size(t) != 1)
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: a greedy line (\"sample\": -1) holds one "
                          "answer, but field \"%s\" holds %zu", cfg->path, lineno,
                          cfg->text_field, json_array_size(t));
    /* A line that names its answers (a "sample" index, a request's array of answers, a greedy
     * answer) is never repeated; lone unnumbered answers may be: a model repeats itself. */
    if (!rc && (s != -2 || json_is_array(t) || (gf && json_object_get(obj, gf))))
        rc = check_line(r, line, len, lineno, err);
    if (!rc) rc = prompt_of(r, id, lineno, &p, err);
    if (!rc && s >= 0) rc = lb_score_ids_sample(r->ids, p, s, lineno, err);
    if (!rc) rc = check_ref(r, obj, lineno, p, err);
    if (!rc && !r->e->questions[p]) {
        json_t *q = json_object_get(obj, "question");
        if (!json_is_string(q)) q = json_object_get(obj, cfg->prompt_field ? cfg->prompt_field : "prompt");
        if (json_is_string(q) && !(r->e->questions[p] = strdup(json_string_value(q))))
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (!rc && t) {
        json_t *one = json_is_string(t) ? t : NULL;
        size_t i = 0;
        for (; !rc && (one || (json_is_array(t) && i < json_array_size(t))); i++) {
            json_t *tx = one ? one : lb_score_elem_text(json_array_get(t, i));
            if (!tx)
                rc = lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\", item %zu: expected a "
                                  "string or an object with a string \"text\"", cfg->path, lineno,
                                  cfg->text_field, i);
            else
                rc = take(r, obj, lineno, p, id, tx, s == -1, err);
            if (one) break;
        }
    }
    if (!rc && gf) rc = greedy_of(r, obj, lineno, p, id, err);
    json_decref(obj);
    return rc;
}

/* Every prompt must have the same number of samples, at least one; with --data every item
 * must have its samples. */
static int group(reader_t *r, lb_error_t *err) {
    lb_eval_result_t *e = r->e;
    const lb_score_cfg_t *cfg = r->cfg;
    size_t np = e->n_items, *count = calloc(np + 1, sizeof *count);
    if (!count) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_all; i++) count[r->all[i].prompt]++;
    int rc = 0;
    for (size_t i = 0; !rc && i < r->ds.n; i++)
        if (!r->data_hit[i])
            rc = lb_error_set(err, LB_EINVAL, "%s: id '%s' of --data %s (line %ld) has no line "
                              "here (every item needs its samples, and every id its item)",
                              cfg->path, r->ds.items[i].id, r->o->data_path, r->ds.items[i].line);
    for (size_t p = 0; !rc && p < np; p++) {
        long first = lb_score_ids_first_line(r->ids, p);
        if (count[p] == 0 && lb_score_ids_greedy_line(r->ids, p))
            rc = lb_error_set(err, LB_EINVAL, "%s:%ld: id '%s' has a greedy answer (line %ld) but "
                              "no sampled one", cfg->path, first, e->ids[p],
                              lb_score_ids_greedy_line(r->ids, p));
        else if (count[p] == 0)
            rc = lb_error_set(err, LB_EINVAL, "%s:%ld: id '%s' has no answer: field \"%s\" is an "
                              "empty array on each of its lines", cfg->path, first,
                              e->ids[p], cfg->text_field);
        else if (count[p] != count[0])
            rc = lb_error_set(err, LB_EINVAL, "%s: id '%s' (first on line %ld) has %zu samples, id "
                              "'%s' has %zu: eval needs the same number for every question (`leakbound "
                              "bound` takes any)", cfg->path, e->ids[p], first,
                              count[p], e->ids[0], count[0]);
    }
    if (!rc && count[0] > (size_t)1 << 30)
        rc = lb_error_set(err, LB_EINVAL, "%s: %zu samples per question; at most 2^30",
                          cfg->path, count[0]);
    if (!rc) {
        e->n = (int)count[0];
        if (!(e->scores = malloc(np * count[0] * sizeof *e->scores)))
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (!rc) {
        memset(count, 0, np * sizeof *count);
        for (size_t i = 0; i < r->n_all; i++) {
            size_t p = r->all[i].prompt;
            e->scores[p * (size_t)e->n + count[p]++] = r->all[i].score;
        }
    }
    free(count);
    return rc;
}

/* --data: load the data set and index its items by id (one item per id). */
static int load_data(reader_t *r, lb_error_t *err) {
    const char *path = r->o->data_path;
    int rc = lb_data_load(path, r->o->data_format, &r->ds, err);
    if (rc) return rc;
    /* the lenient-CSV note, for the caller to show */
    r->e->data_n_lenient = r->ds.n_lenient;
    r->e->data_lenient_line = r->ds.lenient_line;
    if (!(r->data_index = json_object()) || !(r->data_hit = calloc(r->ds.n + 1, 1)))
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->ds.n; i++) {
        const lb_data_item_t *it = &r->ds.items[i];
        json_t *had = json_object_get(r->data_index, it->id);
        if (had)
            return lb_error_set(err, LB_EINVAL, "%s (line %ld): id '%s' is already the id of the "
                                "item on line %ld: --data needs one item per id", path, it->line,
                                it->id, r->ds.items[json_integer_value(had)].line);
        if (json_object_set_new(r->data_index, it->id, json_integer((json_int_t)i)))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    return 0;
}

/* Seconds since t0. */
static double since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* Report p to the progress hook of h (none: 0); a non-zero return is LB_ECANCELED. */
static int report(const lb_eval_hooks_t *h, lb_eval_samples_progress_t *p,
                  const struct timespec *t0, lb_error_t *err) {
    if (!h || !h->samples_progress) return 0;
    double t = p->seconds = since(t0);
    p->lines_per_s = t > 0 ? (double)p->lines / t : 0;
    p->answers_per_s = t > 0 ? (double)p->answers / t : 0;
    p->eta_s = p->bytes_done > 0 && p->bytes_total > p->bytes_done
                   ? t * (double)(p->bytes_total - p->bytes_done) / (double)p->bytes_done
                   : 0;
    if (h->samples_progress(h->user, p))
        return lb_error_set(err, LB_ECANCELED, "stopped by the caller");
    return 0;
}

int lb_eval_from_samples(lb_eval_result_t *e, const lb_score_cfg_t *cfg, const lb_eval_samples_opts_t *o,
                      lb_error_t *err) {
    return lbi_eval_from_samples(e, cfg, o, NULL, err);
}

int lbi_eval_from_samples(lb_eval_result_t *e, const lb_score_cfg_t *cfg,
                          const lb_eval_samples_opts_t *o, const lb_eval_hooks_t *h,
                          lb_error_t *err) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lb_eval_samples_progress_t prog = {.bytes_total = -1};
    /* a judge answer takes a model run: report after each line; else every few thousand */
    long every = cfg->metric == LB_METRIC_JUDGE ? 1 : LBI_EVAL_SAMPLES_EVERY;
    reader_t r = {.e = e, .cfg = cfg, .o = o,
                  .seen = o->allow_duplicates ? NULL : json_object()};
    char *line = NULL, path[4096];
    e->owns_questions = 1; /* strdup'd from the lines */
    size_t line_cap = 0;
    long lineno = 0;
    long long nbytes = 0;
    int rc = r.seen || o->allow_duplicates ? 0 : lb_error_set(err, LB_ENOMEM, "out of memory");
    if (!rc)
        rc = lb_score_ids_new(&r.ids, cfg->path,
                              o->allow_duplicates ? LB_SCORES_ALLOW_DUPLICATES : 0,
                              LB_SCORE_IDS_EVAL_SAMPLES, err);
    FILE *fp = NULL;
    sha256_init(&r.sha);
    if (!rc && o->data_path) rc = load_data(&r, err);
    if (!rc && !(fp = fopen(cfg->path, "rb")))
        rc = lb_error_set(err, LB_EIO, "%s: cannot open: %s", cfg->path, strerror(errno));
    if (!rc) rc = lb_text_scorer_new(&r.w.scorer, err);
    if (!rc) lb_text_scorer_set_keyword_match(r.w.scorer, cfg->opts.keyword_match);
    struct stat st;
    if (!rc && !fstat(fileno(fp), &st) && S_ISREG(st.st_mode)) prog.bytes_total = st.st_size;
    while (!rc) {
        errno = 0;
        ssize_t got = getline(&line, &line_cap, fp);
        if (got < 0) {
            if (ferror(fp)) rc = lb_error_set(err, LB_EIO, "%s:%ld: read error", cfg->path, lineno + 1);
            break;
        }
        sha256_update(&r.sha, (size_t)got, (const unsigned char *)line);
        nbytes += got;
        lineno++;
        size_t len = (size_t)got;
        while (len && strchr("\n\r \t", line[len - 1])) len--;
        if (len) rc = read_line(&r, line, len, lineno, err);
        if (!rc && lineno % every == 0) {
            prog.bytes_done = nbytes;
            prog.lines = lineno;
            prog.answers = r.n_all + r.n_greedy;
            rc = report(h, &prog, &t0, err);
        }
    }
    if (!rc && e->n_items == 0)
        rc = lb_error_set(err, LB_EINVAL, "%s: no samples: %lld bytes read, no JSON line",
                          cfg->path, nbytes);
    if (!rc && o->greedy_field && !r.n_greedy_field)
        rc = lb_error_set(err, LB_EINVAL, "%s: no line has field \"%s\" (--greedy-field): check "
                          "the name, or leave the flag out when there is no greedy answer",
                          cfg->path, o->greedy_field);
    if (!rc) rc = group(&r, err);
    if (!rc) { /* every line read, scored and grouped: no error of the file's is left */
        prog.bytes_done = nbytes;
        prog.bytes_total = nbytes;
        prog.lines = lineno;
        prog.answers = r.n_all + r.n_greedy;
        prog.final = 1;
        rc = report(h, &prog, &t0, err);
    }
    if (!rc) {
        unsigned char d[SHA256_DIGEST_SIZE];
        sha256_digest(&r.sha, sizeof d, d);
        for (size_t i = 0; i < sizeof d; i++) snprintf(e->samples_sha256 + 2 * i, 3, "%02x", d[i]);
        snprintf(path, sizeof path, "%s/samples.jsonl", e->out_dir);
        rc = lb_atomic_write_file(path, r.out, r.out_len, err);
    }
    if (fp) fclose(fp);
    free(line);
    free(r.all);
    free(r.count);
    for (size_t p = 0; r.ref && p < e->n_items; p++) json_decref(r.ref[p]);
    free(r.ref);
    free(r.ref_line);
    free(r.out);
    free(r.w.kw);
    free(r.w.kw_len);
    lb_text_scorer_free(r.w.scorer);
    lb_score_ids_free(r.ids);
    json_decref(r.seen);
    json_decref(r.data_index);
    free(r.data_hit);
    lb_dataset_free(&r.ds);
    return rc;
}
