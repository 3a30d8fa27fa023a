/* libFuzzer target: the two JSONL readers of the score module: the scores reader
 * (lb_scores_read, scores_read.c + scores_alloc.c: {"id", "score"} / {"id", "scores": [...]}
 * lines, ids grouped, as `bound` reads them) and `score`'s generation reader (lb_score_line: one
 * {"text", "reference"/"keywords", ...} line in, the line(s) with score fields out), the latter
 * with every metric (and both keyword match modes) on every line of the input.
 * Invariants: bound — every score in [0, 1], offsets increasing from 0 to n_scores, every id
 * key typed 's' or 'i'; every line that the fast reader (scores_fast.c, module-private)
 * accepts is one jansson accepts too, with the same id and bit-identical scores; score — every
 * output line (one per sample: "text" may be an array) is a JSON object holding "score". */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "leakbound/score.h"
#include "scores_internal.h"

static lb_score_worker_t worker;

static void release(void) {
    lb_text_scorer_free(worker.scorer);
    free(worker.kw);
    free(worker.kw_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    if (lb_text_scorer_new(&worker.scorer, NULL)) abort();
    atexit(release);
    return 0;
}

static void fuzz_bound(const uint8_t *data, size_t size) {
    char path[64];
    int fd = lb_fuzz_memfd(data, size, path);
    lb_scores_t in;
    lb_error_t err = {0};
    int rc = lb_scores_read(path, 0, &in, &err);
    close(fd);
    if (rc) {
        LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && err.msg[0], "bound rc %d", rc);
        return;
    }
    LB_FUZZ_CHECK(in.n_prompts >= 1 && in.offset[0] == 0 &&
                      in.offset[in.n_prompts] == in.n_scores && in.key_off[0] == 0,
                  "bound: bad layout");
    for (size_t p = 0; p < in.n_prompts; p++) {
        LB_FUZZ_CHECK(in.offset[p] < in.offset[p + 1], "bound: prompt %zu has no score", p);
        LB_FUZZ_CHECK(in.key_off[p] < in.key_off[p + 1], "bound: prompt %zu has no key", p);
        char kind = in.keys[in.key_off[p]];
        LB_FUZZ_CHECK(kind == 's' || kind == 'i', "bound: key type %d", kind);
        json_t *id = lb_scores_id_json(&in, p);
        LB_FUZZ_CHECK(id && (json_is_string(id) || json_is_integer(id)), "bound: id %zu", p);
        json_decref(id);
    }
    for (size_t i = 0; i < in.n_scores; i++)
        LB_FUZZ_CHECK(in.scores[i] >= 0.0 && in.scores[i] <= 1.0, "bound: score %.17g",
                      in.scores[i]);
    lb_scores_free(&in);
}

static void fuzz_score(const uint8_t *data, size_t size) {
    static const lb_metric_t metrics[] = {LB_METRIC_ROUGEL_RECALL, LB_METRIC_ROUGEL_F,
                                                LB_METRIC_ROUGE1_RECALL, LB_METRIC_ROUGE1_F,
                                                LB_METRIC_KEYWORDS, LB_METRIC_EXACT};
    char *out = NULL;
    size_t cap = 0;
    const char *text = (const char *)data;
    size_t pos = 0;
    long lineno = 0;
    while (pos < size) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - text) : size;
        lineno++;
        for (size_t m = 0; m < sizeof metrics / sizeof metrics[0] + 1; m++) {
            /* Every metric, and the keyword metric a second time with substring matching. */
            int kw = m >= sizeof metrics / sizeof metrics[0];
            lb_score_cfg_t cfg = {
                .metric = kw ? LB_METRIC_KEYWORDS : metrics[m],
                .field = kw || metrics[m] == LB_METRIC_KEYWORDS ? "keywords" : "reference",
                .text_field = "text",
                .id_field = "id",
                .path = "fuzz.jsonl",
                .opts = {.keyword_match = kw ? LB_TEXT_MATCH_SUBSTRING : LB_TEXT_MATCH_WORD}};
            lb_text_scorer_set_keyword_match(worker.scorer, cfg.opts.keyword_match);
            size_t len = 0;
            lb_error_t err = {0};
            int rc = lb_score_line(&cfg, &worker, text + pos, end - pos, lineno, &out, &cap, &len,
                                   &err);
            if (rc) {
                LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && err.msg[0], "score rc %d", rc);
                continue;
            }
            /* One output line per sample: several when "text" is an array, none when empty. */
            for (size_t a = 0; a < len;) {
                const char *e = memchr(out + a, '\n', len - a);
                size_t b = e ? (size_t)(e - out) : len;
                json_error_t je;
                json_t *o = json_loadb(out + a, b - a, JSON_ALLOW_NUL, &je);
                LB_FUZZ_CHECK(o && json_is_object(o) && json_object_get(o, "score"),
                              "score: output line is not an object with \"score\": %s", je.text);
                json_decref(o);
                a = b + 1;
            }
        }
        pos = end + 1;
    }
    free(out);
}

/* The fast reader accepts only what jansson accepts, and reads the same id and scores. */
static void fuzz_fast_line(const char *s, size_t n) {
    size_t cap = (n + 1) / 2;
    double *vals = malloc((cap ? cap : 1) * sizeof *vals);
    lb_scores_fast_line_t fl;
    if (!vals) abort();
    if (lbi_scores_fast_parse(s, n, &fl, vals, cap)) {
        json_error_t je;
        json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
        LB_FUZZ_CHECK(v && json_is_object(v), "fast: accepted what jansson rejects: %s", je.text);
        json_t *id = json_object_get(v, "id"), *one = json_object_get(v, "score"),
               *many = json_object_get(v, "scores");
        if (fl.id_is_int)
            LB_FUZZ_CHECK(json_is_integer(id) && json_integer_value(id) == fl.id_int, "fast: id");
        else
            LB_FUZZ_CHECK(json_is_string(id) && json_string_length(id) == fl.id_len &&
                              !memcmp(json_string_value(id), fl.id_str, fl.id_len),
                          "fast: string id");
        LB_FUZZ_CHECK(!one != !many, "fast: score and scores");
        LB_FUZZ_CHECK(fl.count == (one ? 1 : json_array_size(many)), "fast: count");
        for (size_t i = 0; i < fl.count; i++) {
            double want = json_number_value(one ? one : json_array_get(many, i)) + 0.0;
            LB_FUZZ_CHECK(!memcmp(&want, &vals[i], sizeof want), "fast: score %zu %.17g != %.17g",
                          i, vals[i], want);
        }
        json_decref(v);
    }
    free(vals);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (size_t start = 0; start <= size;) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        fuzz_fast_line((const char *)data + start, end - start);
        start = end + 1;
    }
    fuzz_bound(data, size);
    fuzz_score(data, size);
    return 0;
}
