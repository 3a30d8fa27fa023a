/* lb_scores_read — the scores/samples file (`leakbound bound` reads it): JSONL lines
 * {"id", "score"} or {"id", "scores": [...]}, ids string or integer ("1" and 1 in one file
 * refused), many lines per id in any order.
 *
 * Parsing with jansson dominates the run time (10,000 x 1,024 scores is ~130 MB of JSON), so
 * lines are parsed in parallel in batches; everything order-dependent (numbering prompts by
 * first appearance, picking the first bad line) happens sequentially between the parallel
 * steps, which keeps the result identical to a sequential read. */
#include "scores_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakbound/io.h"

#define BATCH_BYTES ((size_t)4 << 20)
#define BATCH_LINES 65536

typedef struct line_ref {
    size_t start, len;
    long lineno;
} line_ref_t;

/* A parsed line: its JSON value (owned until its scores are copied) and where they go. */
typedef struct line_slot {
    int fast;       /* read by lbi_scores_fast_parse: fl and vals hold it, v is NULL */
    lb_scores_fast_line_t fl;
    double *vals;   /* fast lines: the scores, in the batch's staging buffer */
    json_t *v;
    json_t *scores; /* borrowed from v: the array, or NULL for a single "score" */
    size_t count;
    size_t prompt;
    size_t dst;     /* first index in the staging array */
    int bad;
    int has_sample; /* the line's "sample" (an integer >= -1; -1: the greedy answer) */
    long long sample;
    long lineno;
} line_slot_t;

/* ---- the reader ------------------------------------------------------------------------ */

typedef struct reader {
    const char *path;
    lb_scores_t *in;
    lb_score_ids_t *ids;  /* the ids: numbering, types, greedy answers, (id, sample) pairs */
    size_t greedy_cap, first_cap, count_cap, score_cap;
    /* Per-prompt segments in the staging array while every prompt's lines are adjacent. */
    size_t *first, *count; /* (n_prompts) */
    int contiguous;
    /* Line records for regrouping when one id's lines are interleaved with another's. */
    size_t *rec_prompt, *rec_dst, *rec_count, n_rec, rec_cap[3];
    /* Fast lines' scores, one region per line: line i (bytes [start, start + len) of the
     * text) owns stage[(start - batch start) / 2 ...] for up to (len + 1) / 2 scores, as a
     * score takes at least two bytes ("0,"); regions of different lines never overlap. */
    double *stage;
    size_t stage_cap;
} reader_t;

/* Room for prompt p, just numbered by the book: no scores, no greedy answer yet. */
static int add_prompt(reader_t *r, size_t p) {
    lb_scores_t *in = r->in;
    if (lb_grow((void **)&r->first, &r->first_cap, p + 1, sizeof(size_t)) ||
        lb_grow((void **)&r->count, &r->count_cap, p + 1, sizeof(size_t)) ||
        lb_grow((void **)&in->greedy, &r->greedy_cap, p + 1, sizeof(double)))
        return -1;
    in->greedy[p] = NAN;
    r->first[p] = r->count[p] = 0;
    in->n_prompts = p + 1;
    return 0;
}

/* in->keys and in->key_off: the book's keys, once every line is read. */
static int take_keys(reader_t *r) {
    lb_scores_t *in = r->in;
    size_t n = lb_score_ids_count(r->ids), total = 0, len;
    for (size_t p = 0; p < n; p++) lb_score_ids_key(r->ids, p, &len), total += len;
    if (!(in->key_off = malloc((n + 1) * sizeof *in->key_off)) ||
        !(in->keys = malloc(total ? total : 1)))
        return -1;
    in->key_off[0] = 0;
    for (size_t p = 0; p < n; p++) {
        const char *k = lb_score_ids_key(r->ids, p, &len);
        memcpy(in->keys + in->key_off[p], k, len);
        in->key_off[p + 1] = in->key_off[p] + len;
    }
    return 0;
}

/* ---- one line ------------------------------------------------------------------------- */

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int check_score(const json_t *s, const char *what, const char *path, long ln,
                       lb_error_t *err) {
    if (!json_is_number(s))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: %s must be a number, got %s", path, ln, what,
                            type_name(s));
    double v = json_number_value(s);
    if (!(v >= 0.0 && v <= 1.0))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: %s = %.17g is outside [0, 1]", path, ln, what,
                            v);
    return 0;
}

/* Parse and validate one line into slot (v, scores, count). Thread-safe; err may be a
 * throw-away local. */
static int parse_line(const char *text, const line_ref_t *lr, const char *path, line_slot_t *slot,
                      lb_error_t *err) {
    long ln = lr->lineno;
    json_error_t je;
    json_t *v = json_loadb(text + lr->start, lr->len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    slot->v = v;
    if (!v)
        return lb_error_set(err, LB_EFORMAT, "%s:%ld:%d: malformed JSON: %s", path, ln, je.column,
                            je.text);
    if (!json_is_object(v))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: expected a JSON object, got %s", path, ln,
                            type_name(v));
    json_t *id = json_object_get(v, "id");
    if (!id) return lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"id\"", path, ln);
    if (!json_is_string(id) && !json_is_integer(id))
        return lb_error_set(err, LB_EINVAL,
                            "%s:%ld: field \"id\" must be a string or an integer, got %s", path, ln,
                            type_name(id));
    json_t *one = json_object_get(v, "score"), *many = json_object_get(v, "scores");
    if (one && many)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: both \"score\" and \"scores\" given", path, ln);
    if (!one && !many)
        return lb_error_set(err, LB_EINVAL, "%s:%ld: missing field \"score\" (or \"scores\")", path,
                            ln);
    json_t *smp = json_object_get(v, "sample");
    slot->has_sample = smp != NULL;
    if (smp) {
        if (!json_is_integer(smp) || json_integer_value(smp) < -1)
            return lb_error_set(err, LB_EINVAL,
                                "%s:%ld: field \"sample\" must be an integer >= 0, or -1 for the "
                                "greedy answer; got %s",
                                path, ln, json_is_integer(smp) ? "a smaller integer" : type_name(smp));
        slot->sample = json_integer_value(smp);
    }
    if (one) {
        slot->scores = NULL;
        slot->count = 1;
        return check_score(one, "field \"score\"", path, ln, err);
    }
    if (!json_is_array(many))
        return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"scores\" must be an array, got %s",
                            path, ln, type_name(many));
    size_t n = json_array_size(many);
    if (n == 0) return lb_error_set(err, LB_EINVAL, "%s:%ld: field \"scores\" is empty", path, ln);
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(many, i);
        if (!json_is_number(s) || !(json_number_value(s) >= 0.0 && json_number_value(s) <= 1.0)) {
            char what[64];
            snprintf(what, sizeof what, "\"scores\"[%zu]", i);
            return check_score(s, what, path, ln, err);
        }
    }
    slot->scores = many;
    slot->count = n;
    if (smp && n != 1) {
        if (slot->sample == -1)
            return lb_error_set(err, LB_EINVAL,
                                "%s:%ld: a greedy line (\"sample\": -1) holds one score, got %zu "
                                "in \"scores\"",
                                path, ln, n);
        slot->has_sample = 0; /* "sample" numbers one answer: not a line of several */
    }
    return 0;
}

/* A validated line's id: an integer (*is_int, *ival) or a string (*str, *len bytes). */
static void line_id(const line_slot_t *slot, int *is_int, long long *ival, const char **str,
                    size_t *len) {
    *ival = 0;
    *str = NULL;
    *len = 0;
    if (slot->fast) {
        *is_int = slot->fl.id_is_int;
        if (*is_int)
            *ival = slot->fl.id_int;
        else
            *str = slot->fl.id_str, *len = slot->fl.id_len;
        return;
    }
    const json_t *id = json_object_get(slot->v, "id");
    *is_int = json_is_integer(id);
    if (*is_int)
        *ival = json_integer_value(id);
    else
        *str = json_string_value(id), *len = json_string_length(id);
}

/* ---- batches -------------------------------------------------------------------------- */

static int nomem(lb_error_t *err) { return lb_error_set(err, LB_ENOMEM, "out of memory"); }

/* Number the batch's prompts, place its scores in the staging array, then copy them. */
static int place_batch(reader_t *r, line_slot_t *slots, size_t nb, lb_error_t *err) {
    lb_scores_t *in = r->in;
    for (size_t i = 0; i < nb; i++) {
        int is_int, is_new, rc;
        long long ival;
        const char *str;
        size_t len, p;
        line_id(&slots[i], &is_int, &ival, &str, &len);
        if ((rc = lb_score_ids_prompt(r->ids, is_int, ival, str, len, slots[i].lineno, &p,
                                      &is_new, err)))
            return rc;
        if (is_new && add_prompt(r, p)) return nomem(err);
        slots[i].prompt = p;
        if (slots[i].has_sample) {
            if (slots[i].sample == -1) { /* the greedy answer: kept apart, not a sample */
                const line_slot_t *g = &slots[i];
                double gv = (g->fast ? g->vals[0]
                             : g->scores ? json_number_value(json_array_get(g->scores, 0))
                                         : json_number_value(json_object_get(g->v, "score"))) +
                            0.0;
                int take; /* two answers are the same when their scores are (+ 0.0: no -0) */
                if ((rc = lb_score_ids_greedy(r->ids, p, g->lineno, &gv, sizeof gv, &take, err)))
                    return rc;
                if (take) {
                    in->greedy[p] = gv;
                    in->n_greedy++;
                }
                slots[i].count = 0;
                continue;
            }
            if ((rc = lb_score_ids_sample(r->ids, p, slots[i].sample, slots[i].lineno, err)))
                return rc;
        }
        slots[i].dst = in->n_scores;
        if (r->count[p] && r->first[p] + r->count[p] != in->n_scores) r->contiguous = 0;
        if (!r->count[p]) r->first[p] = in->n_scores;
        r->count[p] += slots[i].count;
        in->n_scores += slots[i].count;
        if (lb_grow((void **)&r->rec_prompt, &r->rec_cap[0], r->n_rec + 1, sizeof(size_t)) ||
            lb_grow((void **)&r->rec_dst, &r->rec_cap[1], r->n_rec + 1, sizeof(size_t)) ||
            lb_grow((void **)&r->rec_count, &r->rec_cap[2], r->n_rec + 1, sizeof(size_t)))
            return nomem(err);
        r->rec_prompt[r->n_rec] = p;
        r->rec_dst[r->n_rec] = slots[i].dst;
        r->rec_count[r->n_rec] = slots[i].count;
        r->n_rec++;
    }
    if (lb_grow((void **)&in->scores, &r->score_cap, in->n_scores, sizeof(double))) return nomem(err);
    double *dst = in->scores;
    #pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = 0; i < nb; i++) {
        line_slot_t *s = &slots[i];
        double *d = dst + s->dst;
        if (!s->count) { /* a greedy line: read in the loop above */
            s->v = NULL;
        } else if (s->fast) {
            memcpy(d, s->vals, s->count * sizeof *d); /* already + 0.0 */
        } else if (!s->scores) {
            /* + 0.0 turns -0.0 into 0.0 */
            d[0] = json_number_value(json_object_get(s->v, "score")) + 0.0;
        } else {
            for (size_t k = 0; k < s->count; k++) d[k] = json_number_value(json_array_get(s->scores, k)) + 0.0;
        }
        s->v = NULL; /* released all at once by lbi_scores_alloc_rewind */
    }
    lbi_scores_alloc_rewind();
    return 0;
}

static int parse_batch(reader_t *r, const char *text, const line_ref_t *lines, size_t nb,
                       line_slot_t *slots, lb_error_t *err) {
    int any_bad = 0;
    size_t base = lines[0].start, need = (lines[nb - 1].start + lines[nb - 1].len + 1 - base) / 2 + 1;
    if (lb_grow((void **)&r->stage, &r->stage_cap, need, sizeof(double))) return nomem(err);
    double *stage = r->stage;
    #pragma omp parallel for schedule(dynamic, 16) reduction(| : any_bad)
    for (size_t i = 0; i < nb; i++) {
        lb_error_t local;
        line_slot_t *slot = &slots[i];
        memset(slot, 0, sizeof *slot);
        slot->lineno = lines[i].lineno;
        slot->vals = stage + (lines[i].start - base) / 2;
        if (lbi_scores_fast_parse(text + lines[i].start, lines[i].len, &slot->fl, slot->vals,
                             (lines[i].len + 1) / 2)) {
            slot->fast = 1;
            slot->count = slot->fl.count;
            slot->has_sample = slot->fl.has_sample;
            slot->sample = slot->fl.sample;
            continue;
        }
        slot->bad = parse_line(text, &lines[i], r->path, slot, &local) != 0;
        any_bad |= slot->bad;
    }
    if (!any_bad) return 0;
    int rc = 0;
    for (size_t i = 0; i < nb; i++) {
        if (slots[i].bad && !rc) {
            line_slot_t again;
            rc = parse_line(text, &lines[i], r->path, &again, err); /* the message, in order */
            json_decref(again.v);
        }
        json_decref(slots[i].v);
        slots[i].v = NULL;
    }
    return rc ? rc : lb_error_set(err, LB_EINVAL, "%s: bad input", r->path);
}

/* Group every prompt's scores together when some id's lines were interleaved. */
static int regroup(reader_t *r, lb_error_t *err) {
    lb_scores_t *in = r->in;
    double *out = malloc((in->n_scores ? in->n_scores : 1) * sizeof *out);
    if (!out) return nomem(err);
    size_t *pos = r->first; /* reuse: running write position per prompt */
    size_t acc = 0;
    for (size_t p = 0; p < in->n_prompts; p++) {
        pos[p] = acc;
        acc += r->count[p];
    }
    for (size_t i = 0; i < r->n_rec; i++) {
        size_t p = r->rec_prompt[i];
        memcpy(out + pos[p], in->scores + r->rec_dst[i], r->rec_count[i] * sizeof *out);
        pos[p] += r->rec_count[i];
    }
    free(in->scores);
    in->scores = out;
    for (size_t p = 0; p < in->n_prompts; p++) r->first[p] = pos[p] - r->count[p];
    return 0;
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* A regular file is mapped (no copy of a 100+ MB input); stdin and pipes are read whole.
 * *mapped says which of the two must release the buffer. */
static int load_text(const char *path, char **text, size_t *len, int *mapped, lb_error_t *err) {
    *mapped = 0;
    if (strcmp(path, "-")) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) return lb_error_set(err, LB_EIO, "%s: cannot open: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
            if (m != MAP_FAILED) {
                close(fd);
                *text = m;
                *len = (size_t)st.st_size;
                *mapped = 1;
                return 0;
            }
        }
        close(fd);
    }
    return lb_io_read_file(path, text, len, err);
}

int lb_scores_read(const char *path, unsigned flags, lb_scores_t *in, lb_error_t *err) {
    memset(in, 0, sizeof *in);
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    char *text;
    size_t len;
    int mapped;
    int rc = load_text(path, &text, &len, &mapped, err);
    if (rc) return rc;
    /* the bytes read, hashed once here: a pipe cannot be read again for the provenance */
    lb_io_sha256_bytes(text, len, in->sha256);
    json_object_seed(0); /* before any thread creates an object */
    if (lbi_scores_alloc_begin()) {
        lbi_scores_alloc_end();
        if (mapped)
            munmap(text, len);
        else
            free(text);
        return nomem(err);
    }

    reader_t r = {.path = name, .in = in, .contiguous = 1};
    line_ref_t *lines = malloc(BATCH_LINES * sizeof *lines);
    line_slot_t *slots = malloc(BATCH_LINES * sizeof *slots);
    if (!lines || !slots) rc = nomem(err);
    if (!rc) rc = lb_score_ids_new(&r.ids, name, flags, LB_SCORE_IDS_BOUND, err);

    size_t pos = 0;
    long lineno = 0;
    while (!rc && pos < len) {
        size_t nb = 0, bytes = 0;
        while (pos < len && nb < BATCH_LINES && bytes < BATCH_BYTES) {
            const char *nl = memchr(text + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - text) : len, l = end - pos;
            lineno++;
            if (l && text[pos + l - 1] == '\r') l--;
            if (!is_blank(text + pos, l)) {
                lines[nb++] = (line_ref_t){pos, l, lineno};
                bytes += l;
            }
            pos = end + 1;
        }
        if (nb == 0) break;
        rc = parse_batch(&r, text, lines, nb, slots, err);
        if (!rc && (rc = place_batch(&r, slots, nb, err)) != 0)
            for (size_t i = 0; i < nb; i++) json_decref(slots[i].v); /* not copied: release */
    }
    for (size_t p = 0; !rc && p < in->n_prompts; p++)
        if (!r.count[p]) {
            char idb[80];
            rc = lb_error_set(err, LB_EINVAL,
                              "%s:%ld: id %s has a greedy answer (\"sample\": -1) but no sampled "
                              "score: the bounds need the sampled answers",
                              name, lb_score_ids_greedy_line(r.ids, p),
                              lb_score_ids_name(r.ids, p, idb, sizeof idb));
        }
    if (!rc && in->n_scores == 0)
        rc = lb_error_set(err, LB_EINVAL, "%s: empty input: no JSON lines (%ld lines read)", name,
                          lineno);
    if (!rc && in->n_greedy == 0) {
        free(in->greedy);
        in->greedy = NULL;
    }
    if (!rc && !r.contiguous) rc = regroup(&r, err);
    if (!rc && take_keys(&r)) rc = nomem(err);
    if (!rc) {
        in->offset = malloc((in->n_prompts + 1) * sizeof *in->offset);
        if (!in->offset) rc = nomem(err);
    }
    if (!rc) {
        for (size_t p = 0; p < in->n_prompts; p++) in->offset[p] = r.first[p];
        in->offset[in->n_prompts] = in->n_scores;
    }
    lbi_scores_alloc_end();
    if (mapped)
        munmap(text, len);
    else
        free(text);
    free(lines);
    free(slots);
    free(r.first);
    free(r.count);
    free(r.rec_prompt);
    free(r.rec_dst);
    free(r.rec_count);
    free(r.stage);
    lb_score_ids_free(r.ids);
    if (rc) lb_scores_free(in);
    return rc;
}

void lb_scores_free(lb_scores_t *in) {
    if (!in) return;
    free(in->scores);
    free(in->offset);
    free(in->keys);
    free(in->key_off);
    free(in->greedy);
    memset(in, 0, sizeof *in);
}

json_t *lb_scores_id_json(const lb_scores_t *in, size_t p) {
    const char *k = in->keys + in->key_off[p];
    size_t len = in->key_off[p + 1] - in->key_off[p];
    if (k[0] == 'i') {
        json_int_t i;
        memcpy(&i, k + 1, sizeof i);
        return json_integer(i);
    }
    return json_stringn(k + 1, len - 1);
}
