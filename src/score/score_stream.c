/* score_stream.c — lb_score_stream: score a whole JSONL stream.
 *
 * Lines are read in batches and scored in parallel (OpenMP, one text scorer per thread); the
 * results are written in input order to the caller's stream, batch after batch, so memory stays
 * flat for millions of lines. */
#include <errno.h>
#include <jansson.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/score.h"
#include "scores_internal.h"

#define BATCH 8192

typedef struct batch {
    char *text;          /* (text_cap,) the batch's lines, back to back */
    size_t text_len, text_cap;
    size_t off[BATCH], len[BATCH];
    long lineno[BATCH];
    char *out[BATCH];    /* per slot output line, reused across batches */
    size_t out_cap[BATCH], out_len[BATCH];
    int rc[BATCH];
    lb_error_t *err;     /* (BATCH,) */
    size_t n;
} batch_t;

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

/* Read up to BATCH non-blank lines. Returns 0, LB_EIO on a read error, or LB_ENOMEM. */
static int read_batch(FILE *fp, batch_t *b, char **line, size_t *line_cap, long *lineno) {
    b->n = 0;
    b->text_len = 0;
    while (b->n < BATCH) {
        errno = 0;
        ssize_t got = getline(line, line_cap, fp);
        if (got < 0) return ferror(fp) ? LB_EIO : 0;
        ++*lineno;
        size_t len = (size_t)got;
        if (len && (*line)[len - 1] == '\n') len--;
        if (len && (*line)[len - 1] == '\r') len--;
        if (is_blank(*line, len)) continue;
        if (b->text_len + len > b->text_cap) {
            size_t nc = b->text_cap ? b->text_cap : 1 << 20;
            while (nc < b->text_len + len) nc *= 2;
            char *nt = realloc(b->text, nc);
            if (!nt) return LB_ENOMEM;
            b->text = nt;
            b->text_cap = nc;
        }
        memcpy(b->text + b->text_len, *line, len);
        b->off[b->n] = b->text_len;
        b->len[b->n] = len;
        b->lineno[b->n] = *lineno;
        b->text_len += len;
        b->n++;
    }
    return 0;
}

/* --metric judge: parse the batch's lines, collect every (user turn, text) pair in order and
 * score them all with lb_score_batch (one judge run); lines it cannot read get no pairs
 * (lb_score_line reports them). */
static int judge_batch(const lb_score_cfg_t *cfg, batch_t *b, double **sc, double **pp,
                       size_t *cap, size_t *first, lb_error_t *err) {
    size_t n = 0, alloc = 0;
    lb_score_item_t *items = NULL;
    double *detail = NULL;
    json_t **objs = calloc(b->n, sizeof *objs);
    int rc = objs ? 0 : lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < b->n; i++) {
        first[i] = n;
        json_t *o = objs[i] = json_loadb(b->text + b->off[i], b->len[i],
                                         JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        json_t *p = json_object_get(o, lb_score_user_field(cfg, o)), *t = json_object_get(o, cfg->text_field);
        if (!json_is_string(p) || !(json_is_string(t) || json_is_array(t))) continue;
        size_t m = json_is_array(t) ? json_array_size(t) : 1;
        /* a NUL in the user turn or a text: lb_score_line refuses the whole line */
        int nul = strlen(json_string_value(p)) != json_string_length(p);
        for (size_t k = 0; !nul && k < m; k++) {
            json_t *e = lb_score_elem_text(json_is_array(t) ? json_array_get(t, k) : t);
            nul = e && strlen(json_string_value(e)) != json_string_length(e);
        }
        if (nul) continue;
        if (n + m > alloc) {
            size_t na = alloc ? alloc : 256;
            while (na < n + m) na *= 2;
            lb_score_item_t *ni = realloc(items, na * sizeof *ni);
            if (!ni) {
                rc = lb_error_set(err, LB_ENOMEM, "out of memory");
                break;
            }
            items = ni;
            alloc = na;
        }
        for (size_t k = 0; k < m; k++) {
            json_t *e = lb_score_elem_text(json_is_array(t) ? json_array_get(t, k) : t);
            if (!e) break;   /* lb_score_line names the item */
            items[n++] = (lb_score_item_t){.text = json_string_value(e),
                                           .text_len = json_string_length(e),
                                           .ref = json_string_value(p),
                                           .ref_len = json_string_length(p)};
        }
    }
    first[b->n] = n;
    if (!rc && n > *cap) {
        double *a = realloc(*sc, n * sizeof *a);
        if (a) *sc = a;
        double *q = realloc(*pp, 2 * n * sizeof *q);
        if (q) *pp = q;
        if (!a || !q) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        else *cap = n;
    }
    if (!rc && n && !(detail = malloc(3 * n * sizeof *detail)))
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    if (!rc && n) {
        rc = lb_score_batch(&cfg->opts, LB_METRIC_JUDGE, NULL, items, n, *sc, detail, err);
        if (rc) {
            /* Name the line the failing sample came from. */
            size_t s = 0, i = 0;
            sscanf(err->msg, "sample %zu", &s);
            while (i + 1 < b->n && first[i + 1] <= s) i++;
            lb_error_prefix(err, "%s:%ld", cfg->path, b->lineno[i]);
        }
        for (size_t k = 0; !rc && k < n; k++) {
            (*pp)[2 * k] = detail[3 * k];
            (*pp)[2 * k + 1] = detail[3 * k + 1];
        }
    }
    free(detail);
    free(items);
    if (objs)
        for (size_t i = 0; i < b->n; i++) json_decref(objs[i]);
    free(objs);
    return rc;
}

int lb_score_stream(const lb_score_cfg_t *cfg, FILE *fp, FILE *out,
                    lb_judge_warn_fn warn, void *user, lb_error_t *err) {
    lb_score_cfg_t c; /* NULL fields: the defaults (lb_score_cfg_default) */
    lbi_score_cfg_fill(cfg, &c);
    cfg = &c;
    /* jansson seeds its hash function on first use, racily when threads make their first
       objects at once: seed it here, before any thread starts */
    json_object_seed(0);
    int nthreads = omp_get_max_threads();
    double *jsc = NULL, *jp = NULL;
    size_t jcap = 0, *jfirst = NULL;
    int rc = 0, mass_checked = 0;
    batch_t *b = calloc(1, sizeof *b);
    lb_score_worker_t *workers = calloc((size_t)nthreads, sizeof *workers);
    char *line = NULL;
    size_t line_cap = 0, total = 0;
    long lineno = 0;
    if (!b || !workers || !(b->err = calloc(BATCH, sizeof *b->err))) {
        rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        goto done;
    }
    for (int t = 0; t < nthreads; t++) {
        if (lb_text_scorer_new(&workers[t].scorer, NULL)) {
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
            goto done;
        }
        lb_text_scorer_set_keyword_match(workers[t].scorer, cfg->opts.keyword_match);
    }
    for (;;) {
        if ((rc = read_batch(fp, b, &line, &line_cap, &lineno))) {
            lb_error_set(err, rc, "%s:%ld: %s", cfg->path, lineno + 1,
                         rc == LB_EIO ? "read error" : "out of memory");
            goto done;
        }
        if (!b->n) break;
        long n = (long)b->n;
        if (cfg->metric == LB_METRIC_JUDGE) {
            if (!jfirst && !(jfirst = malloc((BATCH + 1) * sizeof *jfirst))) {
                rc = lb_error_set(err, LB_ENOMEM, "out of memory");
                goto done;
            }
            if ((rc = judge_batch(cfg, b, &jsc, &jp, &jcap, jfirst, err))) goto done;
            lb_judge_warn_once(cfg->opts.judge, &mass_checked, warn, user);
            /* The judge ran over the whole batch; the lines are put together in order. */
            for (long i = 0; i < n; i++) {
                lb_score_worker_t *w = &workers[0];
                w->judge = jsc + jfirst[i];
                w->judge_p = jp + 2 * jfirst[i];
                w->judge_n = jfirst[i + 1] - jfirst[i];
                w->judge_next = 0;
                b->rc[i] = lb_score_line(cfg, w, b->text + b->off[i], b->len[i], b->lineno[i],
                                         &b->out[i], &b->out_cap[i], &b->out_len[i], &b->err[i]);
            }
        } else {
#pragma omp parallel for schedule(dynamic, 64)
            for (long i = 0; i < n; i++) {
                lb_score_worker_t *w = &workers[omp_get_thread_num()];
                b->rc[i] = lb_score_line(cfg, w, b->text + b->off[i], b->len[i], b->lineno[i],
                                         &b->out[i], &b->out_cap[i], &b->out_len[i], &b->err[i]);
            }
        }
        for (size_t i = 0; i < b->n; i++) {
            if ((rc = b->rc[i])) {
                if (err) *err = b->err[i];
                goto done;
            }
            if (b->out_len[i] && (fwrite(b->out[i], 1, b->out_len[i], out) != b->out_len[i] ||
                                  putc('\n', out) == EOF)) {
                rc = lb_error_set(err, LB_EIO, "cannot write the temporary output: %s",
                                  strerror(errno));
                goto done;
            }
        }
        total += b->n;
    }
    if (!total) rc = lb_error_set(err, LB_EFORMAT, "%s: empty input (no JSON lines)", cfg->path);
done:
    free(line);
    free(jsc);
    free(jp);
    free(jfirst);
    if (workers) {
        for (int t = 0; t < nthreads; t++) {
            lb_text_scorer_free(workers[t].scorer);
            free(workers[t].kw);
            free(workers[t].kw_len);
        }
        free(workers);
    }
    if (b) {
        for (size_t i = 0; i < BATCH; i++) free(b->out[i]);
        free(b->err);
        free(b->text);
        free(b);
    }
    return rc;
}
