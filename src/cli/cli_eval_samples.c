/* `leakbound eval --samples FILE`: generations made elsewhere, scored and grouped for the
 * bounds. Each line is read in the shapes `score --text-field` reads (a string, an array of
 * strings, an array of objects with "text": leakbound, HF, vLLM, OpenAI-style) and scored by
 * the same code (lb_score_text); the greedy answer is a one-sample line with "sample": -1, or
 * the --greedy-field of a line. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_eval.h"
#include "leakbound/io.h"

typedef struct one {
    size_t prompt;
    double score;
} one_t;

typedef struct reader {
    eval_state_t *e;
    const lb_score_cfg_t *cfg;
    const char *greedy_field;
    lb_score_worker_t w;
    json_t *index;              /* id key ("s..." / "i...") -> prompt number */
    size_t cap_items;
    one_t *all;                 /* (n_all,) the sampled scores in file order */
    size_t n_all, cap_all;
    long *greedy_line;          /* (cap_items,) the line of each prompt's greedy answer, 0 none */
    long *first_line;           /* (cap_items,) the line where each id first appears */
    size_t *count;              /* (cap_items,) sampled answers of each prompt so far */
    char *out;                  /* DIR/samples.jsonl being built */
    size_t out_len, out_cap;
} reader_t;

/* The prompt number of the line's id (a new one when first seen). */
static int prompt_of(reader_t *r, json_t *id, long lineno, size_t *out, lb_error_t *err) {
    const lb_score_cfg_t *cfg = r->cfg;
    eval_state_t *e = r->e;
    char num[32], *key;
    const char *text;
    if (json_is_integer(id)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        text = num;
    } else if (json_is_string(id) && strlen(json_string_value(id)) == json_string_length(id)) {
        text = json_string_value(id);
    } else {
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" must be a string (without NUL) "
                            "or an integer (see --id-field)", cfg->path, lineno, cfg->id_field);
    }
    size_t tl = strlen(text);
    if (!(key = malloc(tl + 2))) return lb_error_set(err, LB_ENOMEM, "out of memory");
    key[0] = json_is_integer(id) ? 'i' : 's';
    memcpy(key + 1, text, tl + 1);
    json_t *have = json_object_get(r->index, key);
    if (have) {
        free(key);
        *out = (size_t)json_integer_value(have);
        return 0;
    }
    /* Seven arrays of cap_items entries: lb_grow's new capacity depends only on (cap, need),
     * so each grows from the same cap to the same one. */
    size_t p = e->n_items, c = 0;
#define GROW(a) (c = r->cap_items, lb_grow((void **)&(a), &c, p + 1, sizeof *(a)))
    int bad = GROW(e->ids) || GROW(e->id_is_int) || GROW(e->questions) || GROW(r->greedy_line) ||
              GROW(r->first_line) || GROW(e->greedy) || GROW(r->count);
#undef GROW
    if (!bad) r->cap_items = c;
    if (bad ||
        json_object_set_new(r->index, key, json_integer((json_int_t)p)) ||
        !(e->ids[p] = strdup(text))) {
        free(key);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    free(key);
    e->id_is_int[p] = (unsigned char)json_is_integer(id);
    e->questions[p] = NULL;
    e->greedy[p] = NAN;
    r->count[p] = 0;
    r->greedy_line[p] = 0;
    r->first_line[p] = lineno;
    e->n_items = p + 1;
    *out = p;
    return 0;
}

/* Score one generation t of the line obj and append its scored line to DIR/samples.jsonl:
 * {"id", "sample" (-1 greedy, else its place among its id's samples in file order), "prompt"
 * (when the line has one), "text" (as given), the reference or keywords, "score"}. */
static int take(reader_t *r, json_t *obj, long lineno, size_t p, json_t *id, json_t *t,
                int greedy, lb_error_t *err) {
    long sample = greedy ? -1 : (long)r->count[p];
    const lb_score_cfg_t *cfg = r->cfg;
    double s;
    int rc = lb_score_text(cfg, &r->w, lineno, obj, json_string_value(t), json_string_length(t),
                           &s, err);
    if (rc) return rc;
    if (!isfinite(s) || s < 0 || s > 1)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: score %g is outside [0, 1]", cfg->path, lineno, s);
    if (greedy) {
        if (r->greedy_line[p])
            return lb_error_set(err, LB_EINVAL, "%s:%ld: a second greedy answer for id '%s' (the "
                                "first is on line %ld)", cfg->path, lineno, r->e->ids[p],
                                r->greedy_line[p]);
        r->greedy_line[p] = lineno;
        r->e->greedy[p] = s;
    } else {
        if (lb_grow((void **)&r->all, &r->cap_all, r->n_all + 1, sizeof *r->all))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
        r->all[r->n_all++] = (one_t){p, s};
        r->count[p]++;
    }
    json_t *o = json_object(), *ref = json_object_get(obj, cfg->field);
    json_t *prompt = json_object_get(obj, cfg->prompt_field);
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
    json_t *g = json_object_get(obj, r->greedy_field);
    if (!g) return 0;
    json_t *t = json_is_array(g) && json_array_size(g) == 1 ? lb_score_elem_text(json_array_get(g, 0))
                                                            : lb_score_elem_text(g);
    if (!t)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" (--greedy-field) must be a "
                            "string, an object with a string \"text\", or an array of one of "
                            "those", r->cfg->path, lineno, r->greedy_field);
    return take(r, obj, lineno, p, id, t, 1, err);
}

static int read_line(reader_t *r, const char *line, size_t len, long lineno, lb_error_t *err) {
    const lb_score_cfg_t *cfg = r->cfg;
    json_error_t je;
    json_t *obj = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!obj)
        return lb_error_set(err, LB_EFORMAT, "%s:%ld:%d: malformed JSON: %s", cfg->path, lineno,
                            je.column, je.text);
    size_t p = 0;
    json_t *id = json_object_get(obj, cfg->id_field), *t = json_object_get(obj, cfg->text_field);
    if (!json_is_object(obj))
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: expected a JSON object", cfg->path, lineno);
    else if (!id)
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"%s\" (see --id-field)",
                          cfg->path, lineno, cfg->id_field);
    else if (!t && !(r->greedy_field && json_object_get(obj, r->greedy_field)))
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"%s\" (see --text-field)",
                          cfg->path, lineno, cfg->text_field);
    else if (t && !json_is_string(t) && !json_is_array(t))
        rc = lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\" must be a string, an array of "
                          "strings or an array of objects with a string \"text\"", cfg->path,
                          lineno, cfg->text_field);
    if (!rc) rc = prompt_of(r, id, lineno, &p, err);
    if (!rc && !r->e->questions[p]) {
        json_t *q = json_object_get(obj, "question");
        if (!json_is_string(q)) q = json_object_get(obj, cfg->prompt_field);
        if (json_is_string(q) && !(r->e->questions[p] = strdup(json_string_value(q))))
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (!rc && json_is_string(t)) {
        /* One sample per line: "sample": -1 marks the greedy answer. */
        json_t *sv = json_object_get(obj, "sample");
        long s = -2;
        if (sv && (!json_is_integer(sv) || json_integer_value(sv) < -1))
            rc = lb_error_set(err, LB_EINVAL, "%s:%ld: field \"sample\" must be an integer >= -1 "
                              "(-1: the greedy answer)", cfg->path, lineno);
        else if (sv)
            s = (long)json_integer_value(sv);
        if (!rc) rc = take(r, obj, lineno, p, id, t, s == -1, err);
    } else if (!rc && t) {
        size_t i;
        json_t *x;
        json_array_foreach(t, i, x) {
            json_t *tx = lb_score_elem_text(x);
            if (!tx) {
                rc = lb_error_set(err, LB_EINVAL, "%s:%ld: field \"%s\", item %zu: expected a "
                                  "string or an object with a string \"text\"", cfg->path, lineno,
                                  cfg->text_field, i);
                break;
            }
            if ((rc = take(r, obj, lineno, p, id, tx, 0, err))) break;
        }
    }
    if (!rc && r->greedy_field) rc = greedy_of(r, obj, lineno, p, id, err);
    json_decref(obj);
    return rc;
}

/* Every prompt must have the same number of samples, at least one. */
static int group(reader_t *r, lb_error_t *err) {
    eval_state_t *e = r->e;
    size_t np = e->n_items, *count = calloc(np + 1, sizeof *count);
    if (!count) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_all; i++) count[r->all[i].prompt]++;
    int rc = 0;
    for (size_t p = 0; !rc && p < np; p++) {
        if (count[p] == 0)
            rc = lb_error_set(err, LB_EINVAL, "%s:%ld: id '%s' has a greedy answer but no sampled "
                              "one", r->cfg->path, r->first_line[p], e->ids[p]);
        else if (count[p] != count[0])
            rc = lb_error_set(err, LB_EINVAL, "%s: id '%s' (first on line %ld) has %zu samples, id "
                              "'%s' has %zu: eval needs the same number for every question (`leakbound "
                              "bound` takes any)", r->cfg->path, e->ids[p], r->first_line[p],
                              count[p], e->ids[0], count[0]);
    }
    if (!rc && count[0] > (size_t)1 << 30)
        rc = lb_error_set(err, LB_EINVAL, "%s: %zu samples per question; at most 2^30",
                          r->cfg->path, count[0]);
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

int eval_read_samples(eval_state_t *e, const lb_score_cfg_t *cfg, const char *greedy_field,
                      lb_error_t *err) {
    reader_t r = {.e = e, .cfg = cfg, .greedy_field = greedy_field, .index = json_object()};
    char *line = NULL, path[4096];
    e->owns_questions = 1; /* strdup'd from the lines */
    size_t line_cap = 0;
    long lineno = 0;
    int rc = r.index ? 0 : lb_error_set(err, LB_ENOMEM, "out of memory");
    FILE *fp = NULL;
    if (!rc) rc = lb_io_sha256_file(cfg->path, e->samples_sha256, err);
    if (!rc && !(fp = fopen(cfg->path, "rb")))
        rc = lb_error_set(err, LB_EIO, "%s: cannot open: %s", cfg->path, strerror(errno));
    if (!rc) rc = lb_text_scorer_new(&r.w.scorer, err);
    if (!rc) lb_text_scorer_set_keyword_match(r.w.scorer, cfg->opts.keyword_match);
    while (!rc) {
        errno = 0;
        ssize_t got = getline(&line, &line_cap, fp);
        if (got < 0) {
            if (ferror(fp)) rc = lb_error_set(err, LB_EIO, "%s:%ld: read error", cfg->path, lineno + 1);
            break;
        }
        lineno++;
        size_t len = (size_t)got;
        while (len && strchr("\n\r \t", line[len - 1])) len--;
        if (len) rc = read_line(&r, line, len, lineno, err);
    }
    if (!rc && e->n_items == 0) rc = lb_error_set(err, LB_EINVAL, "%s: no samples (no JSON lines)", cfg->path);
    if (!rc) rc = group(&r, err);
    if (!rc) {
        snprintf(path, sizeof path, "%s/samples.jsonl", e->out_dir);
        rc = lb_atomic_write_file(path, r.out, r.out_len, err);
    }
    if (fp) fclose(fp);
    free(line);
    free(r.all);
    free(r.greedy_line);
    free(r.first_line);
    free(r.count);
    free(r.out);
    free(r.w.kw);
    free(r.w.kw_len);
    lb_text_scorer_free(r.w.scorer);
    json_decref(r.index);
    return rc;
}
