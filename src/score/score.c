/* The metric table and the one scoring dispatch (leakbound/score.h). */
#include <stdlib.h>
#include <string.h>

#include "leakbound/score.h"

static const char *const names[LB_METRIC_COUNT] = {
    [LB_METRIC_ROUGEL_RECALL] = "rougeL-recall", [LB_METRIC_ROUGEL_F] = "rougeL-f",
    [LB_METRIC_ROUGE1_RECALL] = "rouge1-recall", [LB_METRIC_ROUGE1_F] = "rouge1-f",
    [LB_METRIC_KEYWORDS] = "keywords",           [LB_METRIC_EXACT] = "exact",
    [LB_METRIC_JUDGE] = "judge",
};

const char *lb_metric_name(int m) {
    return m >= 0 && m < LB_METRIC_COUNT ? names[m] : NULL;
}

int lb_metric_parse(const char *name, lb_metric_t *m, lb_error_t *err) {
    for (int i = 0; name && i < LB_METRIC_COUNT; i++)
        if (!strcmp(name, names[i])) {
            *m = (lb_metric_t)i;
            return 0;
        }
    char list[256];
    size_t k = 0;
    for (int i = 0; i < LB_METRIC_COUNT; i++) {
        size_t l = strlen(names[i]);
        if (k + l + 3 > sizeof list) break;
        if (i) list[k++] = ',', list[k++] = ' ';
        memcpy(list + k, names[i], l);
        k += l;
    }
    list[k] = 0;
    return lb_error_set(err, LB_EINVAL, "unknown metric '%s' (%s)", name ? name : "", list);
}

lb_score_opts_t lb_score_opts_default(void) {
    lb_score_opts_t o;
    memset(&o, 0, sizeof o);
    o.keyword_match = LB_TEXT_MATCH_WORD;
    o.judge_threshold = -1;
    return o;
}

void lb_score_strip(const lb_score_opts_t *o, const char **text, size_t *len) {
    const char *t = *text;
    size_t n = *len, b = 0;
    while (b < n && t[b] && strchr(" \t\r\n", t[b])) b++;
    for (int i = 0; i < o->n_strip; i++) {
        size_t k = o->strip[i] ? strlen(o->strip[i]) : 0;
        if (k && k <= n - b && !memcmp(t + b, o->strip[i], k)) {
            *text = t + b + k;
            *len = n - b - k;
            return;
        }
    }
}

const char *lb_score_default_strip(const char *template_name) {
    return template_name && !strcmp(template_name, "phi") ? "Answer:" : NULL;
}

double lb_score_judge_value(const lb_score_opts_t *o, double score) {
    if (o->judge_threshold < 0) return score;
    return score >= o->judge_threshold ? 1.0 : 0.0;
}

/* judge: the stripped texts copied as C strings (up to a NUL), scored in one lb_judge_score. */
static int judge_batch(const lb_score_opts_t *o, const lb_score_item_t *items, size_t n,
                       double *scores, double *detail, lb_error_t *err) {
    if (!o->judge) return lb_error_set(err, LB_EINVAL, "--metric judge needs a judge");
    size_t m = n ? n : 1;
    const char **pr = malloc(m * sizeof *pr);
    char **re = calloc(m, sizeof *re);
    double *pp = malloc(2 * m * sizeof *pp);
    int rc = pr && re && pp ? 0 : lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const char *t = items[i].text;
        size_t tl = items[i].text_len;
        lb_score_strip(o, &t, &tl);
        if (!items[i].ref)
            rc = lb_error_set(err, LB_EINVAL, "sample %zu: no user turn for the judge", i);
        else if (!(re[i] = strndup(t, tl)))
            rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        pr[i] = items[i].ref;
    }
    if (!rc && n)
        rc = lb_judge_score(o->judge, n, pr, (const char *const *)re, scores, pp, err);
    for (size_t i = 0; !rc && i < n; i++) {
        scores[i] = lb_score_judge_value(o, scores[i]);
        if (detail) {
            detail[3 * i] = pp[2 * i];
            detail[3 * i + 1] = pp[2 * i + 1];
            detail[3 * i + 2] = 0;
        }
    }
    for (size_t i = 0; re && i < n; i++) free(re[i]);
    free(pr);
    free(re);
    free(pp);
    return rc;
}

static int score_one(const lb_score_opts_t *o, lb_metric_t m, lb_text_scorer_t *s,
                     const lb_score_item_t *it, double *score, double *detail, lb_error_t *err) {
    const char *t = it->text;
    size_t tl = it->text_len;
    lb_score_strip(o, &t, &tl);
    double d[3] = {0, 0, 0};
    int rc, v = 0;
    switch (m) {
    case LB_METRIC_ROUGEL_RECALL:
    case LB_METRIC_ROUGEL_F:
    case LB_METRIC_ROUGE1_RECALL:
    case LB_METRIC_ROUGE1_F: {
        lb_text_rouge_t r;
        int l = m == LB_METRIC_ROUGEL_RECALL || m == LB_METRIC_ROUGEL_F;
        rc = (l ? lb_text_rouge_l : lb_text_rouge_1)(s, t, tl, it->ref, it->ref_len, &r, err);
        int recall = m == LB_METRIC_ROUGEL_RECALL || m == LB_METRIC_ROUGE1_RECALL;
        *score = recall ? r.recall : r.fmeasure;
        d[0] = r.precision;
        d[1] = r.recall;
        d[2] = r.fmeasure;
        break;
    }
    case LB_METRIC_KEYWORDS:
        rc = it->kw ? lb_text_keywords(s, t, tl, it->kw, it->kw_len, it->n_kw, &v, err)
                    : lb_text_keywords_csv(s, t, tl, it->ref, it->ref_len, &v, err);
        *score = v;
        break;
    case LB_METRIC_EXACT:
        rc = lb_text_exact(s, t, tl, it->ref, it->ref_len, &v, err);
        *score = v;
        break;
    default: return lb_error_set(err, LB_EINVAL, "unknown metric %d", (int)m);
    }
    if (detail) memcpy(detail, d, sizeof d);
    return rc;
}

int lb_score_batch(const lb_score_opts_t *o, lb_metric_t m, lb_text_scorer_t *s,
                   const lb_score_item_t *items, size_t n, double *scores, double *detail,
                   lb_error_t *err) {
    if ((int)m < 0 || m >= LB_METRIC_COUNT)
        return lb_error_set(err, LB_EINVAL, "unknown metric %d", (int)m);
    if (m == LB_METRIC_JUDGE) return judge_batch(o, items, n, scores, detail, err);
    lb_text_scorer_t *own = NULL;
    int rc = 0;
    if (!s && (rc = lb_text_scorer_new(&own, err))) return rc;
    if (!s) s = own;
    lb_text_scorer_set_keyword_match(s, o->keyword_match);
    for (size_t i = 0; !rc && i < n; i++)
        if ((rc = score_one(o, m, s, &items[i], &scores[i], detail ? detail + 3 * i : NULL, err)))
            lb_error_prefix(err, "sample %zu", i);
    lb_text_scorer_free(own);
    return rc;
}
