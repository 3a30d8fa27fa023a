/* plot_read.c — what `leakbound plot` reads: the report document (of `bound` or `eval`) and
 * the scores JSONL, both checked fully before any plot is written. */
#include "leakbound/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/score.h"
#include "report_internal.h"

const char *lb_report_id_text(const json_t *id, char *buf, size_t cap) {
    if (json_is_string(id)) return json_string_value(id);
    snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    return buf;
}

static int is_id(const json_t *v) { return json_is_string(v) || json_is_integer(v); }

void lb_report_plot_doc_free(lb_report_plot_doc_t *d) {
    json_decref(d->root);
    free(d->ids);
    free(d->ed);
    free(d->greedy);
    free(d->n);
    memset(d, 0, sizeof *d);
}

/* An optional number: absent or null gives NaN; anything else but a number is an error. */
static int opt_number(const json_t *o, const char *key, double *out) {
    const json_t *v = json_object_get(o, key);
    *out = NAN;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return -1;
    *out = json_number_value(v);
    return 0;
}

int lb_report_plot_doc_read(const char *path, lb_report_plot_doc_t *d, lb_error_t *err) {
    memset(d, 0, sizeof *d);
    char *text;
    size_t len;
    int rc = lb_io_read_file(path, &text, &len, err);
    if (rc) return rc;
    json_error_t je;
    d->root = json_loadb(text, len, 0, &je);
    free(text);
    if (!d->root)
        return lb_error_set(err, LB_EFORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    const json_t *prompts = json_object_get(d->root, "prompts");
    if (!json_is_object(d->root) || !json_is_array(prompts))
        return lb_error_set(err, LB_EFORMAT,
                            "%s: not a report document (no \"prompts\" array; expected the "
                            "output of 'leakbound bound' or eval's report.json)", path);
    if (opt_number(d->root, "alpha", &d->alpha) ||
        (!isnan(d->alpha) && !(d->alpha > 0 && d->alpha < 1)))
        return lb_error_set(err, LB_EFORMAT, "%s: \"alpha\": expected a number in (0, 1)", path);
    if (opt_number(d->root, "ed_lambda", &d->ed_lambda))
        return lb_error_set(err, LB_EFORMAT, "%s: \"ed_lambda\": expected a number", path);
    size_t np = json_array_size(prompts);
    if (!np) return lb_error_set(err, LB_EINVAL, "%s: \"prompts\" is empty", path);
    d->n_prompts = np;
    d->ids = calloc(np, sizeof *d->ids);
    d->ed = calloc(np, sizeof *d->ed);
    d->greedy = calloc(np, sizeof *d->greedy);
    d->n = calloc(np, sizeof *d->n);
    if (!d->ids || !d->ed || !d->greedy || !d->n)
        return lb_error_set(err, LB_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < np; i++) {
        json_t *p = json_array_get(prompts, i);
        if (!json_is_object(p))
            return lb_error_set(err, LB_EFORMAT, "%s: prompts[%zu]: not an object", path, i);
        d->ids[i] = json_object_get(p, "id");
        if (!is_id(d->ids[i]))
            return lb_error_set(err, LB_EFORMAT, "%s: prompts[%zu].id: expected a string or an "
                                "integer", path, i);
        if (!json_object_get(p, "ED") || opt_number(p, "ED", &d->ed[i]))
            return lb_error_set(err, LB_EFORMAT, "%s: prompts[%zu].ED: expected a number (or "
                                "null)", path, i);
        if (!isnan(d->ed[i]) && !isfinite(d->ed[i]))
            return lb_error_set(err, LB_EFORMAT, "%s: prompts[%zu].ED is not finite", path, i);
        /* ed.svg's axis cannot span more (report.h: plotted values are at most 1e300). */
        if (fabs(d->ed[i]) > SVG_MAX_ABS)
            return lb_error_set(err, LB_EFORMAT, "%s: prompts[%zu].ED = %g: too large to plot "
                                "(|ED| <= %g)", path, i, d->ed[i], SVG_MAX_ABS);
        /* eval adds the greedy answer's score; either spelling is accepted. */
        const char *gkey = json_object_get(p, "greedy") ? "greedy" : "greedy_score";
        double g;
        if (opt_number(p, gkey, &g) || (!isnan(g) && !(g >= 0 && g <= 1)))
            return lb_error_set(err, LB_EFORMAT, "%s: prompts[%zu].%s: expected a score in "
                                "[0, 1]", path, i, gkey);
        d->greedy[i] = g;
        const json_t *n = json_object_get(p, "n");
        d->n[i] = json_is_integer(n) ? (long)json_integer_value(n) : -1;
    }
    return 0;
}

/* ---- scores ------------------------------------------------------------------------------- */

void lb_report_plot_scores_free(lb_report_plot_scores_t *s) {
    for (size_t i = 0; s->v && i < s->k; i++) free(s->v[i]);
    free(s->v);
    free(s->n);
    free(s->cap);
    free(s->greedy);
    memset(s, 0, sizeof *s);
}

/* Whether prompt p of in has the id (a JSON string or integer; lb_scores_t's key bytes). */
static int same_id(const lb_scores_t *in, size_t p, const json_t *id) {
    const char *k = in->keys + in->key_off[p];
    size_t len = in->key_off[p + 1] - in->key_off[p];
    if (json_is_integer(id)) {
        json_int_t i = json_integer_value(id);
        return len == 1 + sizeof i && k[0] == 'i' && !memcmp(k + 1, &i, sizeof i);
    }
    return json_is_string(id) && k[0] == 's' && len - 1 == json_string_length(id) &&
           !memcmp(k + 1, json_string_value(id), len - 1);
}

int lb_report_plot_scores_read(const char *path, json_t *const *sel, size_t k, lb_report_plot_scores_t *s,
                     lb_error_t *err) {
    memset(s, 0, sizeof *s);
    s->k = k;
    s->v = calloc(k, sizeof *s->v);
    s->n = calloc(k, sizeof *s->n);
    s->cap = calloc(k, sizeof *s->cap);
    s->greedy = malloc(k * sizeof *s->greedy);
    if (!s->v || !s->n || !s->cap || !s->greedy)
        return lb_error_set(err, LB_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < k; i++) s->greedy[i] = NAN;
    /* The one scores reader, as `bound` reads the file; a repeated (id, sample) pair is kept
       (a plot shows what the file holds, it tightens no bound). */
    lb_scores_t in;
    int rc = lb_scores_read(path, LB_SCORES_ALLOW_DUPLICATES, &in, err);
    if (rc) return rc;
    for (size_t i = 0; i < k && !rc; i++) {
        size_t p = 0;
        while (p < in.n_prompts && !same_id(&in, p, sel[i])) p++;
        if (p == in.n_prompts) continue; /* no scores: the caller says so */
        size_t n = in.offset[p + 1] - in.offset[p];
        if (!(s->v[i] = malloc(n * sizeof *s->v[i]))) {
            rc = lb_error_set(err, LB_ENOMEM, "%s: out of memory", path);
            break;
        }
        memcpy(s->v[i], in.scores + in.offset[p], n * sizeof *s->v[i]);
        s->n[i] = s->cap[i] = n;
        if (in.greedy) s->greedy[i] = in.greedy[p];
    }
    lb_scores_free(&in);
    return rc;
}
