/* bound_doc.c — the bound document (`leakbound bound`'s output, eval's report.json): the JSON
 * document of docs/bounds.md (built with jansson) and the aligned human table. Both are
 * rendered into memory first so a failure prints nothing. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "leakbound/report.h"

/* JSON has no NaN; a value that is not a number (conbo's sqrt of a negative) becomes null. */
static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static void threshold_key(char *buf, size_t len, double t) { snprintf(buf, len, "%g", t); }

int lb_report_threshold_add(double *thresholds, size_t *n, size_t max, const char *s,
                            lb_error_t *err) {
    char *end;
    errno = 0;
    double t = s ? strtod(s, &end) : NAN;
    if (!s || errno || end == s || *end || !(t >= 0.0 && t <= 1.0))
        return lb_error_set(err, LB_EINVAL, "--threshold: expected a number in [0, 1], got '%s'",
                            s ? s : "");
    char key[64], other[64];
    threshold_key(key, sizeof key, t);
    for (size_t j = 0; j < *n; j++) {
        threshold_key(other, sizeof other, thresholds[j]);
        if (!strcmp(key, other))
            return lb_error_set(err, LB_EINVAL,
                                "--threshold %s: same key \"%s\" as an earlier threshold", s, key);
    }
    if (*n >= max) return lb_error_set(err, LB_EINVAL, "at most %zu thresholds", max);
    thresholds[(*n)++] = t;
    return 0;
}

/* Running means over prompts; NaN poisons a mean (reported as null), as it would in numpy. */
enum { F_N, F_MEAN, F_STD, F_MAX, F_MU, F_MU_LO, F_SIGMA, F_ED, F_BIN, F_QUERIES, F_LEAK, F_COUNT };
static const char *const field_names[F_COUNT] = {"n", "mean", "std", "max", "M_mu", "M_mu_lower",
                                                 "M_sigma", "ED", "M_bin", "queries", "leak_at"};

static void prompt_fields(const lb_stats_prompt_t *p, double v[F_COUNT]) {
    v[F_N] = (double)p->n;
    v[F_MEAN] = p->mean;
    v[F_STD] = p->std;
    v[F_MAX] = p->max;
    v[F_MU] = p->M_mu;
    v[F_MU_LO] = p->M_mu_lower;
    v[F_SIGMA] = p->M_sigma;
    v[F_ED] = p->ED;
    v[F_BIN] = p->M_bin;
    v[F_QUERIES] = p->queries;
    v[F_LEAK] = p->leak_at;
}

typedef struct summary {
    double sum[F_COUNT];
    double *gen, *pge; /* (n_thresholds) sums */
    size_t n, n_binary, n_above;
} summary_t;

static int summarize(const lb_report_bound_t *r, summary_t *s) {
    size_t nt = r->opt->n_thresholds;
    memset(s, 0, sizeof *s);
    s->gen = calloc(nt + 1, sizeof *s->gen);
    s->pge = calloc(nt + 1, sizeof *s->pge);
    if (!s->gen || !s->pge) return -1;
    for (size_t i = 0; i < r->in->n_prompts; i++) {
        const lb_stats_prompt_t *p = &r->prompts[i];
        double v[F_COUNT];
        prompt_fields(p, v);
        for (int f = 0; f < F_COUNT; f++)
            if (f != F_BIN) s->sum[f] += v[f];
        if (p->binary) {
            s->sum[F_BIN] += p->M_bin;
            s->n_binary++;
            s->n_above += p->M_bin > r->report_above;
        }
        for (size_t j = 0; j < nt; j++) {
            s->gen[j] += p->M_gen[j];
            s->pge[j] += p->P_ge[j];
        }
    }
    s->n = r->in->n_prompts;
    return 0;
}

static void summary_free(summary_t *s) {
    free(s->gen);
    free(s->pge);
}

/* Field order of a prompt object (and of the summary), as docs/bounds.md lists them. */
static json_t *threshold_object(const double *vals, const double *th, size_t nt, double scale) {
    json_t *o = json_object();
    char key[64];
    for (size_t j = 0; o && j < nt; j++) {
        threshold_key(key, sizeof key, th[j]);
        json_object_set_new(o, key, num(vals[j] * scale));
    }
    return o;
}

static json_t *prompt_json(const lb_report_bound_t *r, size_t i) {
    const lb_stats_prompt_t *p = &r->prompts[i];
    const lb_stats_options_t *o = r->opt;
    json_t *j = json_object();
    if (!j) return NULL;
    int bad = 0;
    bad |= json_object_set_new(j, "id", lb_scores_id_json(r->in, i));
    bad |= json_object_set_new(j, "n", json_integer((json_int_t)p->n));
    if (r->in->greedy && !isnan(r->in->greedy[i]))
        bad |= json_object_set_new(j, "greedy", json_real(r->in->greedy[i]));
    double v[F_COUNT];
    prompt_fields(p, v);
    for (int f = F_MEAN; f <= F_ED; f++) bad |= json_object_set_new(j, field_names[f], num(v[f]));
    bad |= json_object_set_new(j, "M_gen", threshold_object(p->M_gen, o->thresholds, o->n_thresholds, 1));
    if (p->binary) bad |= json_object_set_new(j, "M_bin", num(p->M_bin));
    bad |= json_object_set_new(j, "P_ge", threshold_object(p->P_ge, o->thresholds, o->n_thresholds, 1));
    bad |= json_object_set_new(j, "queries", num(p->queries));
    bad |= json_object_set_new(j, "leak_at", num(p->leak_at));
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *summary_json(const lb_report_bound_t *r, const summary_t *s) {
    const lb_stats_options_t *o = r->opt;
    double inv = 1.0 / (double)s->n;
    json_t *j = json_object();
    if (!j) return NULL;
    int bad = 0;
    for (int f = F_N; f <= F_ED; f++) bad |= json_object_set_new(j, field_names[f], num(s->sum[f] * inv));
    bad |= json_object_set_new(j, "M_gen", threshold_object(s->gen, o->thresholds, o->n_thresholds, inv));
    if (s->n_binary)
        bad |= json_object_set_new(j, "M_bin", num(s->sum[F_BIN] / (double)s->n_binary));
    bad |= json_object_set_new(j, "P_ge", threshold_object(s->pge, o->thresholds, o->n_thresholds, inv));
    bad |= json_object_set_new(j, "queries", num(s->sum[F_QUERIES] * inv));
    bad |= json_object_set_new(j, "leak_at", num(s->sum[F_LEAK] * inv));
    bad |= json_object_set_new(j, "n_prompts", json_integer((json_int_t)s->n));
    if (s->n_binary) {
        bad |= json_object_set_new(j, "share_M_bin_above", num((double)s->n_above / (double)s->n_binary));
        bad |= json_object_set_new(j, "report_above", num(r->report_above));
        bad |= json_object_set_new(j, "n_binary_prompts", json_integer((json_int_t)s->n_binary));
    }
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

char *lb_report_bound_json(const lb_report_bound_t *r) {
    const lb_stats_options_t *o = r->opt;
    summary_t s;
    if (summarize(r, &s)) {
        summary_free(&s);
        return NULL;
    }
    json_t *doc = json_object(), *prompts = json_array();
    int bad = !doc || !prompts;
    if (!bad) {
        bad |= json_object_set_new(doc, "alpha", json_real(o->alpha));
        bad |= json_object_set_new(doc, "method", json_string(lb_stats_method_name(r->opt->method)));
        /* The run's other settings, so that a document explains its own numbers. */
        bad |= json_object_set_new(doc, "ed_lambda", json_real(o->ed_lambda));
        bad |= json_object_set_new(doc, "queries_k", json_integer(o->queries_k));
        bad |= json_object_set_new(doc, "leak_at_k", json_integer(o->leak_at_k));
        bad |= json_object_set_new(doc, "leak_threshold", json_real(o->leak_threshold));
        bad |= json_object_set_new(doc, "tail_event", json_string("P(X >= x)"));
        bad |= json_object_set_new(doc, "prompts", json_incref(prompts));
    }
    for (size_t i = 0; !bad && i < r->in->n_prompts; i++) bad |= json_array_append_new(prompts, prompt_json(r, i));
    if (!bad) bad |= json_object_set_new(doc, "summary", summary_json(r, &s));
    if (!bad && r->provenance) bad |= json_object_set(doc, "provenance", r->provenance);
    char *out = bad ? NULL : json_dumps(doc, JSON_REAL_PRECISION(17) | JSON_COMPACT);
    json_decref(prompts);
    json_decref(doc);
    summary_free(&s);
    if (out) {
        /* One document, one trailing newline. */
        size_t n = strlen(out);
        char *o2 = realloc(out, n + 2);
        if (!o2) {
            free(out);
            return NULL;
        }
        o2[n] = '\n';
        o2[n + 1] = '\0';
        out = o2;
    }
    return out;
}

/* ---- the human table ---------------------------------------------------------------------- */

#define ID_MAX_WIDTH 40

/* Display width of UTF-8 text (code points; good enough for ids). */
static size_t utf8_width(const char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* The id as printable text, cut to ID_MAX_WIDTH code points ("..." marks a cut). */
static void id_text(const lb_scores_t *in, size_t p, char *buf, size_t cap, size_t *width) {
    const char *k = in->keys + in->key_off[p];
    size_t len = in->key_off[p + 1] - in->key_off[p];
    if (k[0] == 'i') {
        json_int_t v;
        memcpy(&v, k + 1, sizeof v);
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, v);
        *width = strlen(buf);
        return;
    }
    size_t o = 0, w = 0;
    for (size_t i = 1; i < len && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)k[i];
        int starts = (c & 0xC0) != 0x80;
        if (starts && w == ID_MAX_WIDTH - 3 && utf8_width(k + i, len - i) > 3) {
            memcpy(buf + o, "...", 3);
            o += 3;
            w += 3;
            break;
        }
        buf[o++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
        w += starts;
    }
    buf[o] = '\0';
    *width = w;
}

static void cell(FILE *f, double v, int width) {
    if (isfinite(v))
        fprintf(f, "  %*.4f", width, v);
    else
        fprintf(f, "  %*s", width, "-");
}

char *lb_report_bound_table(const lb_report_bound_t *r) {
    const lb_stats_options_t *o = r->opt;
    const lb_scores_t *in = r->in;
    summary_t s;
    if (summarize(r, &s)) {
        summary_free(&s);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        summary_free(&s);
        return NULL;
    }
    size_t idw = 4; /* "mean" */
    char id[4 * ID_MAX_WIDTH + 16];
    for (size_t p = 0; p < in->n_prompts; p++) {
        size_t w;
        id_text(in, p, id, sizeof id, &w);
        if (w > idw) idw = w;
    }
    int nw = 1;
    for (size_t p = 0, maxn = 0; p < in->n_prompts; p++)
        if (r->prompts[p].n > maxn) nw = snprintf(NULL, 0, "%zu", maxn = r->prompts[p].n);
    if (nw < 1) nw = 1;

    /* Column headers: fixed fields, then M_bin when some prompt is binary, then thresholds. */
    char hdr[64][32];
    int nh = 0;
    static const char *const fixed[] = {"mean", "std", "max", "M_mu", "M_mu_lo", "M_sigma", "ED"};
    for (int i = 0; i < 7; i++) snprintf(hdr[nh++], sizeof hdr[0], "%s", fixed[i]);
    if (s.n_binary) snprintf(hdr[nh++], sizeof hdr[0], "M_bin");
    /* At most 27 thresholds fit the header array; the JSON document has them all. */
    size_t nt = o->n_thresholds;
    int show_th = (int)(nt < 27 ? nt : 27);
    for (int j = 0; j < show_th; j++) snprintf(hdr[nh++], sizeof hdr[0], "M_gen>=%g", o->thresholds[j]);
    for (int j = 0; j < show_th; j++) snprintf(hdr[nh++], sizeof hdr[0], "P_ge>=%g", o->thresholds[j]);
    snprintf(hdr[nh++], sizeof hdr[0], "queries@%ld", o->queries_k);
    snprintf(hdr[nh++], sizeof hdr[0], "leak@%ld", o->leak_at_k);
    int cw[64];
    for (int c = 0; c < nh; c++) {
        cw[c] = (int)strlen(hdr[c]);
        if (cw[c] < 6) cw[c] = 6;
    }

    fprintf(f, "leakbound bound: alpha=%g method=%s lambda=%g leak-threshold=%g (bounds on P(X >= x))\n",
            o->alpha, lb_stats_method_name(o->method), o->ed_lambda, o->leak_threshold);
    fprintf(f, "%-*s  %*s", (int)idw, "id", nw, "n");
    for (int c = 0; c < nh; c++) fprintf(f, "  %*s", cw[c], hdr[c]);
    fputc('\n', f);

    for (size_t p = 0; p <= in->n_prompts; p++) {
        const lb_stats_prompt_t *pr = p < in->n_prompts ? &r->prompts[p] : NULL;
        double v[F_COUNT];
        size_t w;
        if (pr) {
            prompt_fields(pr, v);
            if (!pr->binary) v[F_BIN] = NAN;
            id_text(in, p, id, sizeof id, &w);
            fprintf(f, "%s%*s  %*zu", id, (int)(idw - w), "", nw, pr->n);
        } else {
            /* The summary row: means over prompts. */
            fprintf(f, "%-*s  %*s", (int)idw, "mean", nw, "");
            for (int fi = 0; fi < F_COUNT; fi++) v[fi] = s.sum[fi] / (double)s.n;
            v[F_BIN] = s.n_binary ? s.sum[F_BIN] / (double)s.n_binary : NAN;
        }
        int c = 0;
        for (int fi = F_MEAN; fi <= F_ED; fi++) cell(f, v[fi], cw[c++]);
        if (s.n_binary) cell(f, v[F_BIN], cw[c++]);
        for (int j = 0; j < show_th; j++) cell(f, pr ? pr->M_gen[j] : s.gen[j] / (double)s.n, cw[c++]);
        for (int j = 0; j < show_th; j++) cell(f, pr ? pr->P_ge[j] : s.pge[j] / (double)s.n, cw[c++]);
        cell(f, v[F_QUERIES], cw[c++]);
        cell(f, v[F_LEAK], cw[c++]);
        fputc('\n', f);
    }
    fprintf(f, "%zu prompts", s.n);
    if (s.n_binary)
        fprintf(f, "; %zu binary, share with M_bin > %g: %.4f", s.n_binary, r->report_above,
                (double)s.n_above / (double)s.n_binary);
    fputc('\n', f);
    int bad = ferror(f);
    fclose(f);
    summary_free(&s);
    if (bad) {
        free(buf);
        return NULL;
    }
    return buf;
}
