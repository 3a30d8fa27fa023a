/* libFuzzer target: `eval --samples FILE`'s reader (lb_eval_from_samples, src/eval/from_samples.c,
 * scoring through lb_score_text of the score module), compiled in from src/cli (it is private to the program).
 * The first input byte picks the options, the rest is FILE:
 *   bits 0-1  the text field: text, outputs, generations, text
 *   bits 2-3  the metric: rougeL-recall, keywords, exact, rouge1-f
 *   bit 4     --allow-duplicates
 *   bit 5     --greedy-field greedy
 *   bit 6     --data: a fixed three-item JSONL data set (ids "a", "1", "b") joined by id
 *   bit 7     --keyword-match substring
 * Invariants of an accepted file, checked against the input independently of the reader:
 * at least one id and one sample per id; ids unique by their text ("1" and 1 in one file is
 * refused); every score and greedy score in [0, 1] (or no greedy); samples.jsonl holds n_items * n sampled lines and one line per
 * greedy score, each with the score the reader holds; without --allow-duplicates no two input
 * lines share an id and a "sample" index >= 0, and no line that names its answers ("sample", an
 * array text, the greedy field) repeats an earlier one byte for byte; a "sample": -1 line with
 * an array text holds exactly one answer; with --greedy-field some line has that field. A refusal
 * is a negative LB_E* code with a message. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/eval.h"
#include "fuzz_common.h"

static char dir[64];
static char data_path[128], out_path[128];

static void cleanup(void) {
    remove(data_path);
    remove(out_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/lb_fuzz_eval_samples.XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(data_path, sizeof data_path, "%s/data.jsonl", dir);
    snprintf(out_path, sizeof out_path, "%s/samples.jsonl", dir);
    FILE *f = fopen(data_path, "w");
    if (!f) abort();
    fputs("{\"id\": \"a\", \"question\": \"Q a\", \"answer\": \"x y\", \"keywords\": [\"x\"]}\n"
          "{\"id\": 1, \"question\": \"Q 1\", \"answer\": \"y\", \"keywords\": \"y, z\"}\n"
          "{\"id\": \"b\", \"question\": \"Q b\", \"answer\": \"Paris.\", \"keywords\": [\"b\"]}\n",
          f);
    if (fclose(f)) abort();
    atexit(cleanup);
    return 0;
}

typedef struct in_line {
    const char *s;
    size_t len;
    long lineno;
    json_t *obj; /* NULL: not JSON (an accepted file has none) */
} in_line_t;

/* The input's non-blank lines, trimmed as the reader trims them. */
static size_t split(const char *text, size_t size, in_line_t **out) {
    size_t n = 0, cap = 16;
    in_line_t *v = malloc(cap * sizeof *v);
    if (!v) abort();
    long lineno = 0;
    for (size_t pos = 0; pos < size;) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - text) : size, len = end - pos;
        lineno++;
        while (len && strchr("\n\r \t", text[pos + len - 1])) len--;
        if (len) {
            if (n == cap && !(v = realloc(v, (cap *= 2) * sizeof *v))) abort();
            v[n++] = (in_line_t){text + pos, len, lineno,
                                 json_loadb(text + pos, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL)};
        }
        pos = end + 1;
    }
    *out = v;
    return n;
}

static long sample_of(json_t *o) {
    json_t *s = json_object_get(o, "sample");
    return json_is_integer(s) ? (long)json_integer_value(s) : -2;
}

/* The input invariants of an accepted file (see the top). */
static void check_input(const in_line_t *l, size_t n, const char *tf, const char *gf, int allow) {
    int has_gf = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = l[i].obj, *t = json_object_get(o, tf);
        LB_FUZZ_CHECK(json_is_object(o), "line %ld accepted but not an object", l[i].lineno);
        long s = sample_of(o);
        if (s == -1 && json_is_array(t))
            LB_FUZZ_CHECK(json_array_size(t) == 1, "line %ld: a greedy array of %zu answers",
                          l[i].lineno, json_array_size(t));
        has_gf |= gf && json_object_get(o, gf);
        if (allow) continue;
        int names = s != -2 || json_is_array(t) || (gf && json_object_get(o, gf));
        for (size_t j = 0; j < i; j++) {
            json_t *p = l[j].obj;
            if (s >= 0 && sample_of(p) == s)
                LB_FUZZ_CHECK(!json_equal(json_object_get(o, "id"), json_object_get(p, "id")),
                              "lines %ld and %ld: one id, one sample index %ld", l[j].lineno,
                              l[i].lineno, s);
            if (names)
                LB_FUZZ_CHECK(l[j].len != l[i].len || memcmp(l[j].s, l[i].s, l[i].len),
                              "line %ld repeats line %ld", l[i].lineno, l[j].lineno);
        }
    }
    if (gf) LB_FUZZ_CHECK(has_gf, "--greedy-field that no line has was accepted");
}

/* The reader's state against itself and its samples.jsonl. */
static void check_state(const lb_eval_result_t *e) {
    LB_FUZZ_CHECK(e->n_items >= 1 && e->n >= 1, "%zu ids, %d samples", e->n_items, e->n);
    size_t n_greedy = 0;
    for (size_t p = 0; p < e->n_items; p++) {
        for (size_t q = 0; q < p; q++)
            LB_FUZZ_CHECK(strcmp(e->ids[p], e->ids[q]), "id '%s' twice", e->ids[p]);
        for (int k = 0; k < e->n; k++) {
            double s = e->scores[p * (size_t)e->n + (size_t)k];
            LB_FUZZ_CHECK(s >= 0 && s <= 1, "score %.17g", s);
        }
        LB_FUZZ_CHECK(isnan(e->greedy[p]) || (e->greedy[p] >= 0 && e->greedy[p] <= 1),
                      "greedy %.17g", e->greedy[p]);
        n_greedy += !isnan(e->greedy[p]);
    }
    FILE *f = fopen(out_path, "rb");
    LB_FUZZ_CHECK(f, "no samples.jsonl");
    char *line = NULL;
    size_t cap = 0, n_lines = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)got, JSON_ALLOW_NUL, &je);
        LB_FUZZ_CHECK(json_is_object(o), "samples.jsonl: %s", je.text);
        json_t *id = json_object_get(o, "id"), *sc = json_object_get(o, "score");
        long s = sample_of(o);
        char num[32];
        const char *text = num;
        if (json_is_integer(id))
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        else
            text = json_string_value(id);
        size_t p = 0;
        while (text && p < e->n_items && strcmp(e->ids[p], text)) p++;
        LB_FUZZ_CHECK(text && p < e->n_items && json_is_real(sc) && s >= -1 && s < e->n,
                      "samples.jsonl line %zu: id, sample or score", n_lines + 1);
        double want = s < 0 ? e->greedy[p] : e->scores[p * (size_t)e->n + (size_t)s];
        LB_FUZZ_CHECK(json_real_value(sc) == want, "samples.jsonl line %zu: score %.17g != %.17g",
                      n_lines + 1, json_real_value(sc), want);
        json_decref(o);
        n_lines++;
    }
    free(line);
    fclose(f);
    LB_FUZZ_CHECK(n_lines == e->n_items * (size_t)e->n + n_greedy,
                  "samples.jsonl: %zu lines for %zu x %d samples and %zu greedy", n_lines,
                  e->n_items, e->n, n_greedy);
}

static void release(lb_eval_result_t *e) {
    for (size_t p = 0; p < e->n_items; p++) {
        free(e->ids[p]);
        free((char *)e->questions[p]);
    }
    free(e->ids);
    free(e->id_is_int);
    free(e->questions);
    free(e->greedy);
    free(e->scores);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const char *const text_fields[] = {"text", "outputs", "generations", "text"};
    static const lb_metric_t metrics[] = {LB_METRIC_ROUGEL_RECALL, LB_METRIC_KEYWORDS,
                                                LB_METRIC_EXACT, LB_METRIC_ROUGE1_F};
    unsigned o = data[0];
    char path[64];
    int fd = lb_fuzz_memfd(data + 1, size - 1, path);
    lb_metric_t m = metrics[(o >> 2) & 3];
    lb_score_cfg_t cfg = {
        .metric = m,
        .field = m == LB_METRIC_KEYWORDS ? "keywords" : "reference",
        .text_field = text_fields[o & 3],
        .id_field = "id",
        .prompt_field = "prompt",
        .path = path,
        .opts = {.keyword_match = o & 128 ? LB_TEXT_MATCH_SUBSTRING : LB_TEXT_MATCH_WORD,
                 .judge_threshold = -1}};
    lb_eval_samples_opts_t so = {.greedy_field = o & 32 ? "greedy" : NULL,
                              .allow_duplicates = (o >> 4) & 1,
                              .data_path = o & 64 ? data_path : NULL};
    lb_eval_result_t e;
    memset(&e, 0, sizeof e);
    e.out_dir = dir;
    lb_error_t err = {0};
    remove(out_path);
    int rc = lb_eval_from_samples(&e, &cfg, &so, &err);
    close(fd);
    if (rc) {
        LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && err.msg[0], "rc %d", rc);
        LB_FUZZ_CHECK(fopen(out_path, "rb") == NULL, "samples.jsonl written on a refusal");
    } else {
        in_line_t *lines;
        size_t n = split((const char *)data + 1, size - 1, &lines);
        check_input(lines, n, cfg.text_field, so.greedy_field, so.allow_duplicates);
        check_state(&e);
        /* the data set joined is JSONL: never a lenient CSV line */
        LB_FUZZ_CHECK(e.data_n_lenient == 0, "a JSONL data set with lenient CSV lines");
        for (size_t i = 0; i < n; i++) json_decref(lines[i].obj);
        free(lines);
    }
    release(&e);
    return 0;
}
