/* A table row's numbers (lb_demo_eval_t) from the eval run's lb_eval_result_t, not from its
 * files: the summary as report.json's (each field summed over questions in their order, times
 * 1/questions), the per-question greedy score, M_mu and count of leaking answers, the leak
 * verdicts' shares, the sampled scores in samples.jsonl's order (demo_forget.svg), and the
 * retain diversity from the answers' texts as each group passes (the texts live only during the
 * group hook: each question's similarity is computed there, nothing is copied). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo_internal.h"
#include "leakbound/text.h"

void lb_demo_eval_free(lb_demo_eval_t *e) {
    if (e->q_id)
        for (size_t i = 0; i < e->n_questions; i++) free(e->q_id[i]);
    free(e->q_id);
    free(e->q_m_mu);
    free(e->q_greedy);
    free(e->q_leaks);
    free(e->samples);
    e->q_id = NULL;
    e->q_m_mu = NULL;
    e->q_greedy = NULL;
    e->q_leaks = NULL;
    e->samples = NULL;
}

/* Mean pairwise ROUGE-L F between m texts: texts (m), lens (m) their byte lengths (a text may
 * hold a NUL). One text or none: 1. */
static int pair_similarity(lb_text_scorer_t *sc, const char *const *texts, const size_t *lens, size_t m, double *out,
                           lb_error_t *err) {
    double sum = 0;
    size_t pairs = 0;
    for (size_t a = 0; a < m; a++)
        for (size_t b = a + 1; b < m; b++) {
            lb_text_rouge_t r;
            int rc = lb_text_rouge_l(sc, texts[a], lens[a], texts[b], lens[b], &r, err);
            if (rc) return rc;
            sum += r.fmeasure;
            pairs++;
        }
    *out = pairs ? sum / (double)pairs : 1.0;
    return 0;
}

/* The collector: sized once at begin, filled per group, turned into the row at result. */
typedef struct {
    lb_demo_eval_t *row;
    int k;                    /* diversity: the first k sampled answers per question (0: none) */
    size_t P, n;
    double *sim;              /* (P) each question's mean pairwise ROUGE-L F (k > 0) */
    double *samples;          /* (P * n) sampled scores in group order; moved into the row */
    size_t n_kept;            /* of samples */
    const char **texts;       /* (k) this group's first k sampled answers (borrowed) */
    size_t *lens;             /* (k) */
    lb_text_scorer_t *sc;
} rows_t;

static int rows_begin(void *user, size_t n_items, long n, lb_error_t *err) {
    rows_t *c = user;
    c->P = n_items;
    c->n = n > 0 ? (size_t)n : 0;
    c->samples = malloc((c->P * c->n + 1) * sizeof *c->samples);
    if (!c->samples) return lb_error_set(err, LB_ENOMEM, "out of memory");
    if (c->k > 0) {
        c->sim = malloc((c->P + 1) * sizeof *c->sim);
        c->texts = malloc((size_t)c->k * sizeof *c->texts);
        c->lens = malloc((size_t)c->k * sizeof *c->lens);
        if (!c->sim || !c->texts || !c->lens) return lb_error_set(err, LB_ENOMEM, "out of memory");
        for (size_t p = 0; p < c->P; p++) c->sim[p] = 1.0;
        return lb_text_scorer_new(&c->sc, err);
    }
    return 0;
}

static int rows_group(void *user, size_t item, const lb_sample_result_t *res, int n_res, const double *scores,
                      lb_error_t *err) {
    rows_t *c = user;
    size_t m = 0;
    for (int r = 0; r < n_res; r++) {
        if (res[r].index < 0) continue; /* the greedy answer */
        if (c->n_kept == c->P * c->n)
            return lb_error_set(err, LB_EINVAL, "demo: more sampled answers than %zu questions x %zu", c->P, c->n);
        c->samples[c->n_kept++] = scores[r];
        if (m < (size_t)c->k) {
            c->texts[m] = res[r].text;
            c->lens[m++] = res[r].text_len;
        }
    }
    return c->k > 0 && item < c->P ? pair_similarity(c->sc, c->texts, c->lens, m, &c->sim[item], err) : 0;
}

/* A number the row takes must be finite (report.json would hold null there). */
static int need_finite(double v, const char *what, const char *id, lb_error_t *err) {
    if (isfinite(v)) return 0;
    return id ? lb_error_set(err, LB_EINVAL, "demo: question %s: %s is not a number", id, what)
              : lb_error_set(err, LB_EINVAL, "demo: the eval's mean %s is not a number", what);
}

static int rows_result(void *user, const lb_eval_result_t *e, lb_error_t *err) {
    rows_t *c = user;
    lb_demo_eval_t *row = c->row;
    size_t P = e->n_items;
    if (!P || P != c->P || !e->res || !e->leak)
        return lb_error_set(err, LB_EINVAL, "demo: an eval of %zu questions with no bounds", P);
    if (c->n_kept != P * c->n)
        return lb_error_set(err, LB_EINVAL, "demo: %zu sampled answers, want %zu questions x %zu", c->n_kept, P, c->n);
    row->q_m_mu = malloc(P * sizeof *row->q_m_mu);
    row->q_id = calloc(P, sizeof *row->q_id);
    row->q_greedy = malloc(P * sizeof *row->q_greedy);
    row->q_leaks = malloc(P * sizeof *row->q_leaks);
    if (!row->q_m_mu || !row->q_id || !row->q_greedy || !row->q_leaks)
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    row->n_questions = P;
    /* report.json's summary: per field the sum over questions in order, times 1/questions */
    double s_mean = 0, s_max = 0, s_mu = 0, s_sigma = 0, s_ed = 0, g = 0, div = 0, inv = 1.0 / (double)P;
    for (size_t p = 0; p < P; p++) {
        const lb_stats_prompt_t *r = &e->res[p];
        /* the id as report.json writes it (a JSON integer or string), as compact JSON text */
        json_t *id = e->id_is_int[p] ? json_integer(strtoll(e->ids[p], NULL, 10)) : json_string(e->ids[p]);
        row->q_id[p] = id ? json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        json_decref(id);
        if (!row->q_id[p]) return lb_error_set(err, LB_ENOMEM, "out of memory");
        int rc = need_finite(e->greedy[p], "greedy", row->q_id[p], err);
        if (!rc) rc = need_finite(r->M_mu, "M_mu", row->q_id[p], err);
        if (rc) return rc;
        row->q_greedy[p] = e->greedy[p];
        row->q_m_mu[p] = r->M_mu;
        row->q_leaks[p] = r->n_leaking;
        s_mean += r->mean, s_max += r->max, s_mu += r->M_mu, s_sigma += r->M_sigma, s_ed += r->ED;
        g += e->greedy[p];
        if (c->k > 0) div += 1 - c->sim[p];
    }
    row->mean = s_mean * inv, row->max = s_max * inv, row->m_mu = s_mu * inv;
    row->m_sigma = s_sigma * inv, row->ed = s_ed * inv;
    int rc = 0;
    if ((rc = need_finite(row->mean, "mean", NULL, err)) || (rc = need_finite(row->max, "max", NULL, err)) ||
        (rc = need_finite(row->m_mu, "M_mu", NULL, err)) || (rc = need_finite(row->m_sigma, "M_sigma", NULL, err)) ||
        (rc = need_finite(row->ed, "ED", NULL, err)))
        return rc;
    row->greedy = g / (double)P;
    row->diversity = c->k > 0 ? div / (double)P : 0;
    row->n_samples = e->res[0].n;
    /* the leak verdicts (lb_stats_leak_verdict on n_leaking and greedy) and their shares */
    row->leak_share = e->leak_share.share;
    row->hidden_share = e->hidden_leak_share.share;
    row->samples = c->samples;
    c->samples = NULL;
    return 0;
}

int demo_eval_row(lb_demo_result_t *d, demo_step_t *s, const demo_eval_req_t *req, int diversity_samples,
                  lb_demo_eval_t *row, lb_error_t *err) {
    memset(row, 0, sizeof *row);
    rows_t c = {.row = row, .k = diversity_samples > 0 ? diversity_samples : 0};
    demo_eval_sink_t sink = {.user = &c, .begin = rows_begin, .group = rows_group, .result = rows_result};
    int rc = demo_eval_sink(d, s, req, &sink, err);
    if (rc) {
        lb_demo_eval_free(row);
        memset(row, 0, sizeof *row);
    }
    free(c.sim);
    free(c.samples);
    free(c.texts);
    free(c.lens);
    lb_text_scorer_free(c.sc);
    return rc;
}
