/* leakbound tofu — TOFU's unlearning metrics (docs/tofu.md): the encoding of TOFU's data
 * collator, batched teacher forcing, per-item metrics, greedy answers, MIA, forget quality and
 * model utility. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "leakbound/io.h"
#include "leakbound/kvcache.h"
#include "leakbound/model.h"
#include "leakbound/sample.h"
#include "leakbound/stats.h"
#include "leakbound/text.h"
#include "leakbound/tofu.h"
#include "leakbound/tokenizer.h"

#define MAX_SEQS_PER_PASS 64
#define LOGITS_BUDGET (64L << 20) /* floats of logits per forward pass (256 MiB) */
#define TR_EPS 1e-10 /* open-unlearning's guards in the truth ratio and normalised probability */

lb_tofu_opts_t lb_tofu_opts_default(void) {
    lb_tofu_opts_t o;
    memset(&o, 0, sizeof o);
    o.template_spec = "phi";
    o.max_new_tokens = 200;
    o.min_k = 0.4;
    o.batch_tokens = 2048;
    return o;
}

unsigned lb_tofu_metric_bit(const char *name) {
    static const struct { const char *n; unsigned b; } t[] = {
        {"probability", LB_TOFU_PROBABILITY}, {"truth_ratio", LB_TOFU_TRUTH_RATIO},
        {"rouge", LB_TOFU_ROUGE},             {"memorization", LB_TOFU_MEMORIZATION},
        {"mia", LB_TOFU_MIA}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(name, t[i].n)) return t[i].b;
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- the model side */

typedef struct engine {
    const char *dir;
    lb_model_t *m;
    lb_tokenizer_t *tok;
    lb_template_t *tpl;
    int add_special;
    const char *answer_tag;
    long max_length;
    int32_t eos;
    int V;
} engine_t;

static void engine_free(engine_t *e) {
    lb_template_free(e->tpl);
    lb_model_free(e->m);
    lb_tokenizer_free(e->tok);
    memset(e, 0, sizeof *e);
}

static int engine_open(engine_t *e, const char *dir, const lb_tofu_opts_t *o, lb_error_t *err) {
    memset(e, 0, sizeof *e);
    e->dir = dir;
    char path[4200];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    int rc = lb_tokenizer_load(path, &e->tok, err);
    if (!rc) rc = lb_template_open(o->template_spec, dir, &e->tpl, err);
    if (!rc) rc = lb_model_load(dir, &(lb_model_options_t){.keep_file_dtype = 1}, &e->m, err);
    if (rc) return rc;
    const lb_model_config_t *g = lb_model_config(e->m);
    if (g->eos_token_id < 0)
        return lb_error_set(err, LB_EINVAL, "%s/config.json: eos_token_id is needed (TOFU "
                            "appends EOS to every answer)", dir);
    e->eos = g->eos_token_id;
    e->V = g->vocab_size;
    e->add_special = !lb_template_is_chat(e->tpl);
    e->answer_tag = !strcmp(o->template_spec, "phi") ? "Answer: " : "";
    e->max_length = o->max_length > 0 ? o->max_length : g->max_position_embeddings;
    if (e->max_length > g->max_position_embeddings) e->max_length = g->max_position_embeddings;
    if (e->max_length < 2)
        return lb_error_set(err, LB_EINVAL, "--max-length %ld: at least 2 tokens are needed",
                            e->max_length);
    return LB_OK;
}

/* ---------------------------------------------------------------- sequences of one split */

enum { K_REF = 0, K_CORRECT, K_PERT };

typedef struct seqset {
    size_t n, cap;
    int32_t *ids;      /* all sequences' tokens */
    size_t n_ids, cap_ids;
    size_t *off;       /* (n) start of each sequence in ids */
    int *len, *nq, *nlab, *item, *kind;
    unsigned char *eos_label, *vocab_stats;
    size_t *loff;      /* (n) start of each sequence's labels in lp/match/zpp */
    size_t n_lab;
    double *lp, *zpp;  /* (n_lab) log-prob of the label; min-k++ z-score */
    unsigned char *match; /* (n_lab) argmax == label */
    double *nll;       /* (n) summed NLL over every label */
} seqset_t;

static void seqset_free(seqset_t *s) {
    free(s->ids), free(s->off), free(s->len), free(s->nq), free(s->nlab), free(s->item);
    free(s->kind), free(s->eos_label), free(s->vocab_stats), free(s->loff), free(s->lp);
    free(s->zpp), free(s->match), free(s->nll);
    memset(s, 0, sizeof *s);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int seqset_reserve(seqset_t *s, size_t n) {
    if (n <= s->cap) return 0;
    size_t c = s->cap ? s->cap * 2 : 256;
    while (c < n) c *= 2;
#define RE(f) do { void *q = realloc(s->f, c * sizeof *s->f); if (!q) return -1; s->f = q; } while (0)
    RE(off); RE(len); RE(nq); RE(nlab); RE(item); RE(kind); RE(eos_label); RE(vocab_stats);
    RE(loff); RE(nll);
#undef RE
    s->cap = c;
    return 0;
}

/* Encode question part and full text of one (question, answer) pair into a new sequence. */
static int add_seq(seqset_t *s, const engine_t *e, const char *qpart, size_t qn, const char *answer,
                   int item, int kind, int vocab_stats, const lb_tofu_split_result_t *sp,
                   const lb_data_item_t *it, int *truncated, lb_error_t *err) {
    size_t tl = strlen(e->answer_tag), al = strlen(answer);
    char *full = malloc(strlen(qpart) + tl + al + 1);
    if (!full) return lb_error_set(err, LB_ENOMEM, "out of memory");
    memcpy(full, qpart, strlen(qpart));
    memcpy(full + strlen(qpart), e->answer_tag, tl);
    memcpy(full + strlen(qpart) + tl, answer, al + 1);
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = lb_tokenizer_encode(e->tok, full, strlen(full), e->add_special, &ids, &n, err);
    free(full);
    if (rc) {
        lb_error_prefix(err, "%s:%ld: item '%s'", sp->path, it->line, it->id);
        return rc;
    }
    /* TOFU: EOS only when the text is shorter than max_length; a longer one is cut. */
    int trunc = (long)n > e->max_length, eos = (long)n < e->max_length;
    if (trunc) n = (size_t)e->max_length;
    long L = (long)n, nlab = L - (long)qn + eos;
    if ((long)qn > L) nlab = eos;
    if (qn == 0 || nlab <= 0) {
        free(ids);
        return lb_error_set(err, LB_EINVAL, "%s:%ld: item '%s': the question part takes %zu of "
                            "the %ld tokens --max-length allows: no answer token is left to score "
                            "(raise --max-length)", sp->path, it->line, it->id, qn, e->max_length);
    }
    if (seqset_reserve(s, s->n + 1) ||
        grow((void **)&s->ids, &s->cap_ids, s->n_ids + n, sizeof *s->ids)) {
        free(ids);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    size_t k = s->n++;
    memcpy(s->ids + s->n_ids, ids, n * sizeof *ids);
    free(ids);
    s->off[k] = s->n_ids;
    s->n_ids += n;
    s->len[k] = (int)L;
    s->nq[k] = (int)qn < (int)L ? (int)qn : (int)L;
    s->nlab[k] = (int)nlab;
    s->eos_label[k] = (unsigned char)eos;
    s->item[k] = item;
    s->kind[k] = kind;
    s->vocab_stats[k] = (unsigned char)vocab_stats;
    s->loff[k] = s->n_lab;
    s->n_lab += (size_t)nlab;
    if (truncated) *truncated = trunc;
    return LB_OK;
}

/* The target of logits row p (0-based position) of sequence k: the next input token, or EOS. */
static inline int32_t target_of(const seqset_t *s, size_t k, int p, int32_t eos) {
    return p + 1 < s->len[k] ? s->ids[s->off[k] + (size_t)p + 1] : eos;
}

/* One logits row: log-prob of y, whether argmax == y, and (vs) min-k++'s z-score. */
static void row_stats(const float *x, int V, int32_t y, int vs, double *lp, unsigned char *match,
                      double *z) {
    float mx = x[0];
    int am = 0;
    for (int v = 1; v < V; v++)
        if (x[v] > mx) mx = x[v], am = v;
    double sum = 0.0;
    for (int v = 0; v < V; v++) sum += (double)expf(x[v] - mx);
    double lse = (double)mx + log(sum);
    *lp = (double)x[y] - lse;
    *match = am == y;
    if (vs) {
        double mu = 0.0, m2 = 0.0;
        float lsef = (float)lse;
        for (int v = 0; v < V; v++) {
            float l = x[v] - lsef, p = expf(l);
            mu += (double)(p * l);
            m2 += (double)(p * l * l);
        }
        double sigma = m2 - mu * mu;
        if (sigma < 1e-6) sigma = 1e-6;
        *z = (*lp - mu) / sqrt(sigma);
    } else {
        *z = NAN;
    }
}

typedef struct rowref {
    int seq, pos;
    size_t row, lab;
} rowref_t;

/* The statistics of the rows q0 .. q1-1 of rows (parallel over rows). */
static void rows_stats(const engine_t *e, seqset_t *s, const rowref_t *rows, size_t q0, size_t q1,
                       const float *logits) {
    int V = e->V;
    int32_t eos = e->eos;
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t q = q0; q < q1; q++) {
        const rowref_t *rr = &rows[q];
        row_stats(logits + rr->row * (size_t)V, V, target_of(s, (size_t)rr->seq, rr->pos, eos),
                  s->vocab_stats[rr->seq], &s->lp[rr->lab], &s->match[rr->lab], &s->zpp[rr->lab]);
    }
}

/* Teacher forcing of every sequence of s, several per forward pass. Each batch is two calls on
 * the same cache: the question parts (logits of their last token only: the row that predicts
 * the first label), then the answers with every row's logits, so the head never runs on the
 * question's other positions. */
static int forward_all(const engine_t *e, seqset_t *s, long batch_tokens, const char *stage,
                       const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res, lb_error_t *err) {
    if (!s->n) return LB_OK;
    double t0 = now_s();
    /* One pass's logits stay within LOGITS_BUDGET floats (a 128k vocabulary: 512 tokens), but
     * the longest sequence always fits. */
    long cap = batch_tokens, by_mem = LOGITS_BUDGET / e->V;
    if (cap > by_mem) cap = by_mem;
    for (size_t k = 0; k < s->n; k++)
        if (s->len[k] > cap) cap = s->len[k];
    free(s->lp), free(s->zpp), free(s->match);
    s->lp = malloc((s->n_lab + 1) * sizeof *s->lp);
    s->zpp = malloc((s->n_lab + 1) * sizeof *s->zpp);
    s->match = malloc(s->n_lab + 1);
    rowref_t *rows = malloc((size_t)(cap + MAX_SEQS_PER_PASS) * sizeof *rows);
    int32_t *stage_ids = malloc((size_t)cap * sizeof *stage_ids);
    int *sids = malloc(2 * MAX_SEQS_PER_PASS * sizeof *sids), *ntok = malloc(MAX_SEQS_PER_PASS * sizeof *ntok);
    if (!s->lp || !s->zpp || !s->match || !rows || !stage_ids || !sids || !ntok) {
        free(rows), free(stage_ids), free(sids), free(ntok);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    int *sidb = sids + MAX_SEQS_PER_PASS;
    lb_model_runner_t *r = NULL;
    lb_kvcache_t *kv = NULL;
    int rc = lb_model_runner_create(e->m, MAX_SEQS_PER_PASS, (int)cap, (int)e->max_length, 1,
                                    &r, err);
    if (!rc)
        rc = lb_kvcache_create(e->m, (size_t)cap + 16 * MAX_SEQS_PER_PASS, MAX_SEQS_PER_PASS,
                               (int)e->max_length, 16, &kv, err);
    size_t i = 0;
    while (!rc && i < s->n) {
        size_t j = i, tokens = 0;
        while (j < s->n && j - i < MAX_SEQS_PER_PASS && tokens + (size_t)s->len[j] <= (size_t)cap)
            tokens += (size_t)s->len[j++];
        int nb = (int)(j - i);
        /* call A: the question parts */
        size_t nt = 0;
        for (int b = 0; b < nb && !rc; b++) {
            size_t k = i + (size_t)b;
            int id = lb_kvcache_seq_new(kv, err);
            if (id < 0) rc = id;
            sids[b] = id;
            ntok[b] = s->nq[k];
            memcpy(stage_ids + nt, s->ids + s->off[k], (size_t)s->nq[k] * sizeof *stage_ids);
            nt += (size_t)s->nq[k];
        }
        const float *logits = NULL;
        if (!rc) rc = lb_model_forward(r, kv, nb, sids, ntok, stage_ids, 0, &logits, err);
        if (!rc) {
            for (int b = 0; b < nb; b++) {
                size_t k = i + (size_t)b;
                rows[b] = (rowref_t){(int)k, s->nq[k] - 1, (size_t)b, s->loff[k]};
            }
            rows_stats(e, s, rows, 0, (size_t)nb, logits);
        }
        /* call B: the answers (positions nq .. last), every row's logits */
        int nbb = 0;
        size_t nrows = 0;
        nt = 0;
        for (int b = 0; b < nb && !rc; b++) {
            size_t k = i + (size_t)b;
            int last = s->len[k] - (s->eos_label[k] ? 1 : 2), n = last - s->nq[k] + 1;
            if (n <= 0) continue;
            sidb[nbb] = sids[b];
            ntok[nbb++] = n;
            memcpy(stage_ids + nt, s->ids + s->off[k] + s->nq[k], (size_t)n * sizeof *stage_ids);
            for (int p = s->nq[k]; p <= last; p++)
                rows[nrows++] = (rowref_t){(int)k, p, nt + (size_t)(p - s->nq[k]),
                                           s->loff[k] + (size_t)(p - s->nq[k] + 1)};
            nt += (size_t)n;
        }
        if (!rc && nbb > 0) {
            rc = lb_model_forward(r, kv, nbb, sidb, ntok, stage_ids, LB_FORWARD_ALL_LOGITS,
                                  &logits, err);
            if (!rc) rows_stats(e, s, rows, 0, nrows, logits);
        }
        for (int b = 0; !rc && b < nb; b++) {
            size_t k = i + (size_t)b;
            double sum = 0.0;
            for (int l = 0; l < s->nlab[k]; l++) sum -= s->lp[s->loff[k] + (size_t)l];
            s->nll[k] = sum;
        }
        for (int b = 0; b < nb; b++) lb_kvcache_seq_free(kv, sids[b]);
        res->tokens_forward += tokens;
        i = j;
        if (hooks && hooks->progress) hooks->progress(hooks->user, stage, i, s->n);
    }
    lb_kvcache_free(kv);
    lb_model_runner_free(r);
    free(rows), free(stage_ids), free(sids), free(ntok);
    res->seconds_forward += now_s() - t0;
    return rc;
}

/* ---------------------------------------------------------------- per-item metrics */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* -mean of the num_k = max(1, int(m * k)) smallest of v (m); v is sorted in place. */
static double min_k_score(double *v, int m, double k) {
    if (m <= 0) return 0.0;
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    int nk = (int)((double)m * k);
    if (nk < 1) nk = 1;
    double s = 0.0;
    for (int i = 0; i < nk; i++) s += v[i];
    return -s / nk;
}

static int zlib_len(const engine_t *e, const seqset_t *s, size_t k, size_t *out, lb_error_t *err) {
    int32_t *lab = malloc((size_t)s->nlab[k] * sizeof *lab);
    if (!lab) return lb_error_set(err, LB_ENOMEM, "out of memory");
    for (int l = 0; l < s->nlab[k]; l++) lab[l] = target_of(s, k, s->nq[k] - 1 + l, e->eos);
    char *text = NULL;
    size_t tl = 0;
    int rc = lb_tokenizer_decode(e->tok, lab, (size_t)s->nlab[k], 1, &text, &tl, err);
    free(lab);
    if (rc) return rc;
    uLongf dl = compressBound((uLong)tl);
    unsigned char *buf = malloc(dl);
    if (!buf) {
        free(text);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    if (compress(buf, &dl, (const unsigned char *)text, (uLong)tl) != Z_OK)
        rc = lb_error_set(err, LB_ENOMEM, "zlib: compress failed");
    *out = dl;
    free(buf);
    free(text);
    return rc;
}

static void item_metrics(const engine_t *e, const seqset_t *s, lb_tofu_split_result_t *sp,
                         const lb_tofu_opts_t *o, double *scratch, lb_error_t *err, int *rc) {
    /* sequences of one item are consecutive: ref, [correct], [perturbed...] */
    for (size_t k = 0; k < s->n && !*rc;) {
        size_t end = k + 1;
        while (end < s->n && s->item[end] == s->item[k]) end++;
        lb_tofu_item_t *it = &sp->items[s->item[k]];
        size_t ref = k;
        it->labels = s->nlab[ref];
        it->avg_nll = s->nll[ref] / s->nlab[ref];
        it->probability = exp(-it->avg_nll);
        int m = s->nlab[ref] - 1; /* open-unlearning drops the EOS prediction here */
        const double *lp = s->lp + s->loff[ref];
        const unsigned char *mt = s->match + s->loff[ref];
        if (sp->metrics & LB_TOFU_MEMORIZATION) {
            if (m <= 0) {
                it->exact_memorization = NAN;
                it->extraction_strength = 0.0;
            } else {
                int hits = 0, last_miss = -1;
                for (int l = 0; l < m; l++) {
                    hits += mt[l];
                    if (!mt[l]) last_miss = l;
                }
                it->exact_memorization = (double)hits / m;
                int kk = last_miss + 1;
                if (kk > m - 1) kk = m - 1; /* no suffix matched: the loop's last k */
                it->extraction_strength = 1.0 - (double)kk / m;
            }
        }
        if (sp->metrics & LB_TOFU_MIA) {
            it->mia_loss = it->avg_nll;
            size_t zl = 0;
            if ((*rc = zlib_len(e, s, ref, &zl, err))) break;
            it->mia_zlib = it->avg_nll / (double)zl;
            for (int l = 0; l < m; l++) scratch[l] = lp[l];
            it->mia_min_k = min_k_score(scratch, m, o->min_k);
            const double *z = s->zpp + s->loff[ref];
            for (int l = 0; l < m; l++) scratch[l] = z[l];
            it->mia_min_k_plus_plus = min_k_score(scratch, m, o->min_k);
        }
        if (sp->metrics & LB_TOFU_TRUTH_RATIO) {
            double correct = s->nll[ref] / s->nlab[ref], wrong = 0.0, pw = 0.0;
            int nw = 0;
            for (size_t q = k + 1; q < end; q++) {
                double a = s->nll[q] / s->nlab[q];
                if (s->kind[q] == K_CORRECT) correct = a;
                else wrong += a, pw += exp(-a), nw++;
            }
            wrong /= nw;
            it->truth_ratio = exp(-wrong) / (exp(-correct) + TR_EPS);
            if (sp->role == LB_TOFU_UTILITY)
                it->normalized_probability =
                    it->probability / (it->probability + pw + TR_EPS);
        }
        k = end;
    }
}

/* ---------------------------------------------------------------- greedy answers */

typedef struct gen_ctx {
    lb_tofu_split_result_t *sp;
    lb_text_scorer_t *scorer;
    const char *strip;
    const lb_tofu_hooks_t *hooks;
    char stage[96];
    size_t done;
    lb_tofu_result_t *res;
} gen_ctx_t;

static int gen_emit(void *user, size_t prompt, const lb_sample_result_t *r, int n_res,
                    lb_error_t *err) {
    gen_ctx_t *g = user;
    lb_tofu_item_t *it = &g->sp->items[prompt];
    const lb_data_item_t *di = &g->sp->ds.items[prompt];
    if (n_res < 1) return lb_error_set(err, LB_EINVAL, "greedy answer missing");
    if (!(it->generation = strndup(r[0].text, r[0].text_len)))
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    const char *t = r[0].text;
    size_t tl = r[0].text_len;
    if (g->strip && *g->strip) {
        size_t b = 0, k = strlen(g->strip);
        while (b < tl && strchr(" \t\r\n", t[b]) && t[b]) b++;
        if (k <= tl - b && !memcmp(t + b, g->strip, k)) t += b + k, tl -= b + k;
    }
    lb_text_rouge_t rg;
    int rc = lb_text_rouge_l(g->scorer, t, tl, di->answer, strlen(di->answer), &rg, err);
    if (rc) return rc;
    it->rougeL_recall = rg.recall;
    g->res->tokens_generated += (size_t)r[0].n_tokens;
    g->done++;
    if (g->hooks && g->hooks->progress) g->hooks->progress(g->hooks->user, g->stage, g->done, g->sp->n);
    return LB_OK;
}

static int generate_split(const engine_t *e, lb_tofu_split_result_t *sp, const lb_tofu_opts_t *o,
                          char **qparts, const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res,
                          lb_error_t *err) {
    double t0 = now_s();
    lb_sampler_prompt_t *pr = calloc(sp->n, sizeof *pr);
    int32_t **ids = calloc(sp->n, sizeof *ids);
    int rc = (!pr || !ids) ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; i < sp->n && !rc; i++) {
        size_t n = 0;
        rc = lb_tokenizer_encode(e->tok, qparts[i], strlen(qparts[i]), e->add_special, &ids[i], &n,
                                 err);
        pr[i] = (lb_sampler_prompt_t){sp->ds.items[i].id, ids[i], n};
    }
    lb_text_scorer_t *scorer = NULL;
    if (!rc) rc = lb_text_scorer_new(&scorer, err);
    if (!rc) {
        lb_sampler_opts_t so = lb_sampler_defaults();
        so.n_samples = 0;
        so.greedy_too = 1;
        so.max_new_tokens = o->max_new_tokens;
        int32_t eos1 = e->eos;
        so.eos = o->eos && o->n_eos ? o->eos : &eos1;
        so.n_eos = o->eos && o->n_eos ? o->n_eos : 1;
        gen_ctx_t g = {.sp = sp, .scorer = scorer, .strip = res->strip, .hooks = hooks, .res = res};
        snprintf(g.stage, sizeof g.stage, "greedy %s", sp->name);
        rc = lb_sampler_run(e->m, e->tok, pr, sp->n, &so, gen_emit, NULL, &g, err);
    }
    lb_text_scorer_free(scorer);
    for (size_t i = 0; ids && i < sp->n; i++) free(ids[i]);
    free(ids);
    free(pr);
    res->seconds_generate += now_s() - t0;
    return rc;
}

/* ---------------------------------------------------------------- one split, one model */

/* Teacher-force (and, with gen, answer greedily) every item of sp with engine e. */
static int score_split(const engine_t *e, lb_tofu_split_result_t *sp, const lb_tofu_opts_t *o,
                       int gen, const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res,
                       lb_error_t *err) {
    seqset_t s;
    memset(&s, 0, sizeof s);
    char **qparts = calloc(sp->n, sizeof *qparts);
    int rc = qparts ? 0 : lb_error_set(err, LB_ENOMEM, "out of memory");
    int tr = (sp->metrics & LB_TOFU_TRUTH_RATIO) != 0, mia = (sp->metrics & LB_TOFU_MIA) != 0;
    for (size_t i = 0; i < sp->n && !rc; i++) {
        const lb_data_item_t *it = &sp->ds.items[i];
        lb_tofu_item_t *ti = &sp->items[i];
        rc = lb_template_render_item(e->tpl, it->question, it->prefix, &qparts[i], err);
        if (rc) {
            lb_error_prefix(err, "%s:%ld: item '%s'", sp->path, it->line, it->id);
            break;
        }
        int32_t *q = NULL;
        size_t qn = 0;
        rc = lb_tokenizer_encode(e->tok, qparts[i], strlen(qparts[i]), e->add_special, &q, &qn, err);
        free(q);
        if (rc) {
            lb_error_prefix(err, "%s:%ld: item '%s'", sp->path, it->line, it->id);
            break;
        }
        if (qn > (size_t)e->max_length) qn = (size_t)e->max_length;
        int trunc = 0;
        rc = add_seq(&s, e, qparts[i], qn, it->answer, (int)i, K_REF, mia, sp, it, &trunc, err);
        ti->truncated = trunc;
        sp->n_truncated += (size_t)trunc;
        if (!rc && tr && sp->role != LB_TOFU_UTILITY)
            rc = add_seq(&s, e, qparts[i], qn, it->paraphrased_answer, (int)i, K_CORRECT, 0, sp,
                         it, NULL, err);
        for (size_t j = 0; !rc && tr && j < it->n_perturbed; j++)
            rc = add_seq(&s, e, qparts[i], qn, it->perturbed[j], (int)i, K_PERT, 0, sp, it, NULL,
                         err);
    }
    char stage[96];
    snprintf(stage, sizeof stage, "teacher forcing %s", sp->name);
    if (!rc) rc = forward_all(e, &s, o->batch_tokens, stage, hooks, res, err);
    if (!rc) {
        int maxl = 1;
        for (size_t k = 0; k < s.n; k++)
            if (s.nlab[k] > maxl) maxl = s.nlab[k];
        double *scratch = malloc((size_t)maxl * sizeof *scratch);
        if (!scratch) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        else item_metrics(e, &s, sp, o, scratch, err, &rc);
        free(scratch);
    }
    if (!rc && gen && (sp->metrics & LB_TOFU_ROUGE))
        rc = generate_split(e, sp, o, qparts, hooks, res, err);
    for (size_t i = 0; qparts && i < sp->n; i++) free(qparts[i]);
    free(qparts);
    seqset_free(&s);
    return rc;
}

/* ---------------------------------------------------------------- aggregates */

static double mean_of(const lb_tofu_split_result_t *sp, size_t field_off) {
    double s = 0.0;
    size_t n = 0;
    for (size_t i = 0; i < sp->n; i++) {
        double v = *(const double *)((const char *)&sp->items[i] + field_off);
        if (!isnan(v)) s += v, n++;
    }
    return n ? s / (double)n : NAN;
}

static void aggregate(lb_tofu_split_result_t *sp) {
    sp->probability = sp->metrics & LB_TOFU_PROBABILITY
                          ? mean_of(sp, offsetof(lb_tofu_item_t, probability)) : NAN;
    sp->rougeL_recall = sp->metrics & LB_TOFU_ROUGE
                            ? mean_of(sp, offsetof(lb_tofu_item_t, rougeL_recall)) : NAN;
    sp->exact_memorization = sp->metrics & LB_TOFU_MEMORIZATION
                                 ? mean_of(sp, offsetof(lb_tofu_item_t, exact_memorization)) : NAN;
    sp->extraction_strength = sp->metrics & LB_TOFU_MEMORIZATION
                                  ? mean_of(sp, offsetof(lb_tofu_item_t, extraction_strength)) : NAN;
    sp->truth_ratio = NAN;
    if (sp->metrics & LB_TOFU_TRUTH_RATIO) {
        double s = 0.0;
        for (size_t i = 0; i < sp->n; i++) {
            double tr = sp->items[i].truth_ratio;
            if (sp->role == LB_TOFU_FORGET) s += fmin(tr, 1.0 / (tr + TR_EPS));
            else s += fmax(0.0, 1.0 - tr);
        }
        sp->truth_ratio = s / (double)sp->n;
    }
}

/* ---------------------------------------------------------------- inputs */

static void item_init(lb_tofu_item_t *it, const lb_data_item_t *d) {
    memset(it, 0, sizeof *it);
    it->id = d->id;
    it->avg_nll = it->probability = it->truth_ratio = it->normalized_probability = NAN;
    it->rougeL_recall = it->exact_memorization = it->extraction_strength = NAN;
    it->mia_loss = it->mia_zlib = it->mia_min_k = it->mia_min_k_plus_plus = NAN;
}

/* Decide the metric groups of sp and check every item carries what they need. */
static int check_split(lb_tofu_split_result_t *sp, const lb_tofu_opts_t *o, int have_holdout,
                       lb_error_t *err) {
    unsigned want = o->metrics ? o->metrics : LB_TOFU_ALL;
    int need_para = sp->role != LB_TOFU_UTILITY;
    size_t with = 0, first_without = (size_t)-1;
    for (size_t i = 0; i < sp->n; i++) {
        const lb_data_item_t *it = &sp->ds.items[i];
        if (!it->answer)
            return lb_error_set(err, LB_EINVAL, "%s:%ld: item '%s' has no \"answer\" (every TOFU "
                                "metric scores the reference answer)", sp->path, it->line, it->id);
        int ok = it->n_perturbed > 0 && (!need_para || it->paraphrased_answer);
        if (ok) with++;
        else if (first_without == (size_t)-1) first_without = i;
    }
    unsigned m = want & ~(unsigned)LB_TOFU_MIA;
    if (with < sp->n && (want & LB_TOFU_TRUTH_RATIO)) {
        if (o->metrics || with > 0) {
            const lb_data_item_t *it = &sp->ds.items[first_without];
            return lb_error_set(err, LB_EINVAL,
                                "%s:%ld: item '%s' has %s (%zu of the %zu items lack them); the "
                                "truth ratio needs %s and a non-empty \"perturbed_answer\" list "
                                "(leave truth_ratio out of --metrics to skip it)",
                                sp->path, it->line, it->id,
                                it->n_perturbed == 0 ? "no perturbed answers (\"perturbed_answer\" "
                                                       "missing or an empty list)"
                                                     : "no \"paraphrased_answer\"",
                                sp->n - with, sp->n,
                                need_para ? "\"paraphrased_answer\"" : "the answer");
        }
        m &= ~(unsigned)LB_TOFU_TRUTH_RATIO;
        snprintf(sp->why_truth_ratio, sizeof sp->why_truth_ratio,
                 "no item of %s has %s and perturbed_answer", sp->path,
                 need_para ? "paraphrased_answer" : "an answer");
    } else if (!(want & LB_TOFU_TRUTH_RATIO)) {
        snprintf(sp->why_truth_ratio, sizeof sp->why_truth_ratio, "not in --metrics");
    }
    if ((want & LB_TOFU_MIA) && have_holdout &&
        (sp->role == LB_TOFU_FORGET || sp->role == LB_TOFU_HOLDOUT))
        m |= LB_TOFU_MIA;
    if (m & (LB_TOFU_MEMORIZATION | LB_TOFU_MIA | LB_TOFU_TRUTH_RATIO)) m |= LB_TOFU_PROBABILITY;
    sp->metrics = m;
    return LB_OK;
}

static int load_splits(const lb_tofu_opts_t *o, lb_tofu_result_t *res, lb_error_t *err) {
    int n_forget = 0, have_holdout = 0;
    for (int i = 0; i < o->n_splits; i++) {
        n_forget += o->splits[i].role == LB_TOFU_FORGET;
        have_holdout |= o->splits[i].role == LB_TOFU_HOLDOUT;
    }
    if (n_forget != 1)
        return lb_error_set(err, LB_EINVAL, "exactly one forget split is needed (got %d)", n_forget);
    if (o->metrics && (o->metrics & LB_TOFU_MIA) && !have_holdout)
        return lb_error_set(err, LB_EINVAL, "the MIA metrics need a holdout split (--holdout FILE)");
    for (int i = 0; i < o->n_splits; i++) {
        lb_tofu_split_result_t *sp = &res->splits[res->n_splits++];
        const lb_tofu_split_spec_t *ss = &o->splits[i];
        sp->role = ss->role;
        sp->name = strdup(ss->name);
        sp->path = strdup(ss->path);
        if (!sp->name || !sp->path) return lb_error_set(err, LB_ENOMEM, "out of memory");
        for (int j = 0; j < i; j++)
            if (!strcmp(o->splits[j].name, ss->name))
                return lb_error_set(err, LB_EINVAL, "split name '%s' is given twice", ss->name);
        int rc = lb_data_load(ss->path, LB_DATA_AUTO, &sp->ds, err);
        if (!rc) rc = lb_io_sha256_file(ss->path, sp->sha256, err);
        if (rc) return rc;
        sp->n = sp->ds.n;
        if (!sp->n) return lb_error_set(err, LB_EINVAL, "%s: no items", ss->path);
        if (!(sp->items = calloc(sp->n, sizeof *sp->items)))
            return lb_error_set(err, LB_ENOMEM, "out of memory");
        for (size_t k = 0; k < sp->n; k++) item_init(&sp->items[k], &sp->ds.items[k]);
        if ((rc = check_split(sp, o, have_holdout, err))) return rc;
    }
    return LB_OK;
}

static lb_tofu_split_result_t *find_role(lb_tofu_result_t *res, lb_tofu_role_t role) {
    for (int i = 0; i < res->n_splits; i++)
        if (res->splits[i].role == role) return &res->splits[i];
    return NULL;
}

static int mia_aucs(const lb_tofu_split_result_t *f, const lb_tofu_split_result_t *h, double out[4],
                    lb_error_t *err) {
    size_t n = f->n + h->n;
    double *sc = malloc(n * sizeof *sc);
    int *lab = malloc(n * sizeof *lab);
    int rc = (!sc || !lab) ? lb_error_set(err, LB_ENOMEM, "out of memory") : 0;
    const size_t offs[4] = {offsetof(lb_tofu_item_t, mia_loss), offsetof(lb_tofu_item_t, mia_zlib),
                            offsetof(lb_tofu_item_t, mia_min_k),
                            offsetof(lb_tofu_item_t, mia_min_k_plus_plus)};
    for (int a = 0; a < 4 && !rc; a++) {
        size_t k = 0;
        for (size_t i = 0; i < f->n; i++, k++)
            sc[k] = *(const double *)((const char *)&f->items[i] + offs[a]), lab[k] = 0;
        for (size_t i = 0; i < h->n; i++, k++)
            sc[k] = *(const double *)((const char *)&h->items[i] + offs[a]), lab[k] = 1;
        rc = lb_stats_auc(sc, lab, n, &out[a], err);
    }
    free(sc);
    free(lab);
    return rc;
}

/* --reference: the forget truth ratios (items.jsonl beside it) and the min-k AUC of tofu.json. */
static int read_reference(const char *path, double **tr, size_t *n, double *auc, lb_error_t *err) {
    *tr = NULL, *n = 0, *auc = NAN;
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return lb_error_set(err, LB_EINVAL, "--reference %s:%d:%d: %s", path, je.line, je.column,
                            je.text);
    json_t *mk = json_object_get(json_object_get(doc, "mia"), "min_k");
    if (json_is_number(mk)) *auc = json_number_value(mk);
    json_decref(doc);
    char ip[4200];
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(ip, sizeof ip, "%.*s/items.jsonl", (int)(slash - path), path);
    else snprintf(ip, sizeof ip, "items.jsonl");
    lb_jsonl_reader_t r;
    int rc = lb_jsonl_open(&r, ip, err);
    if (rc) {
        lb_error_prefix(err, "--reference needs the items.jsonl written beside %s", path);
        return rc;
    }
    size_t cap = 0;
    json_t *v = NULL;
    while ((rc = lb_jsonl_next(&r, &v, err)) == 1) {
        json_t *sp = json_object_get(v, "split"), *t = json_object_get(v, "truth_ratio");
        if (json_is_string(sp) && !strcmp(json_string_value(sp), "forget")) {
            if (!json_is_number(t)) {
                rc = lb_error_set(err, LB_EINVAL, "%s:%ld: a forget item without a numeric "
                                  "\"truth_ratio\" (the reference run needs the truth ratio)",
                                  ip, r.lineno);
                json_decref(v);
                break;
            }
            if (grow((void **)tr, &cap, *n + 1, sizeof **tr)) {
                rc = lb_error_set(err, LB_ENOMEM, "out of memory");
                json_decref(v);
                break;
            }
            (*tr)[(*n)++] = json_number_value(t);
        }
        json_decref(v);
    }
    lb_jsonl_close(&r);
    if (rc < 0) return rc;
    if (*n == 0) return lb_error_set(err, LB_EINVAL, "%s: no forget item with a truth ratio", ip);
    return LB_OK;
}

/* The retain model on the forget (and holdout) split: forget truth ratios and the min-k AUC. */
static int retain_model_run(const lb_tofu_opts_t *o, const engine_t *main_e, lb_tofu_result_t *res,
                            const lb_tofu_hooks_t *hooks, double **tr, size_t *ntr, double *auc,
                            lb_error_t *err) {
    char a[65], b[65], pa[4200], pb[4200];
    snprintf(pa, sizeof pa, "%s/tokenizer.json", main_e->dir);
    snprintf(pb, sizeof pb, "%s/tokenizer.json", o->retain_model_dir);
    int rc = lb_io_sha256_file(pa, a, err);
    if (!rc) rc = lb_io_sha256_file(pb, b, err);
    if (rc) return rc;
    if (strcmp(a, b))
        return lb_error_set(err, LB_EINVAL, "--retain-model: %s differs from %s: the retain model "
                            "must share the evaluated model's tokenizer (the truth ratios are "
                            "compared item by item's token sequences)", pb, pa);
    engine_t e;
    if ((rc = engine_open(&e, o->retain_model_dir, o, err))) {
        engine_free(&e);
        return rc;
    }
    lb_tofu_split_result_t *f = find_role(res, LB_TOFU_FORGET), *h = find_role(res, LB_TOFU_HOLDOUT);
    lb_tofu_split_result_t sf = *f, sh = h ? *h : (lb_tofu_split_result_t){0};
    sf.items = calloc(f->n, sizeof *sf.items);
    sh.items = h ? calloc(h->n, sizeof *sh.items) : NULL;
    if (!sf.items || (h && !sh.items)) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < f->n; i++) item_init(&sf.items[i], &f->ds.items[i]);
    for (size_t i = 0; !rc && h && i < h->n; i++) item_init(&sh.items[i], &h->ds.items[i]);
    sf.metrics &= LB_TOFU_TRUTH_RATIO | LB_TOFU_MIA | LB_TOFU_PROBABILITY;
    sh.metrics &= LB_TOFU_MIA | LB_TOFU_PROBABILITY;
    if (!rc) rc = score_split(&e, &sf, o, 0, hooks, res, err);
    if (!rc && h && (sf.metrics & LB_TOFU_MIA)) rc = score_split(&e, &sh, o, 0, hooks, res, err);
    if (rc) lb_error_prefix(err, "--retain-model %s", o->retain_model_dir);
    if (!rc && (sf.metrics & LB_TOFU_TRUTH_RATIO)) {
        if (!(*tr = malloc(f->n * sizeof **tr))) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < f->n; i++) (*tr)[i] = sf.items[i].truth_ratio;
        if (!rc) *ntr = f->n;
    }
    if (!rc && h && (sf.metrics & LB_TOFU_MIA)) {
        double au[4];
        rc = mia_aucs(&sf, &sh, au, err);
        if (!rc) *auc = au[2];
    }
    free(sf.items);
    free(sh.items);
    engine_free(&e);
    return rc;
}

static double hmean(const double *v, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        if (v[i] == 0.0) return 0.0;
        s += 1.0 / v[i];
    }
    return n / s;
}

int lb_tofu_run(const lb_tofu_opts_t *o, const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res,
                lb_error_t *err) {
    memset(res, 0, sizeof *res);
    res->forget_quality = res->ks_statistic = res->model_utility = res->privleak = NAN;
    res->privleak_ref_auc = NAN;
    for (int a = 0; a < 4; a++) res->mia[a] = NAN;
    if (!o->model_dir) return lb_error_set(err, LB_EINVAL, "no model");
    if (o->n_splits < 1 || o->n_splits > LB_TOFU_MAX_SPLITS)
        return lb_error_set(err, LB_EINVAL, "1 to %d splits allowed (got %d)", LB_TOFU_MAX_SPLITS,
                            o->n_splits);
    if (!(o->min_k > 0.0 && o->min_k <= 1.0))
        return lb_error_set(err, LB_EINVAL, "min-k share %g outside (0, 1]", o->min_k);
    if (o->max_new_tokens < 1 || o->batch_tokens < 1)
        return lb_error_set(err, LB_EINVAL, "max new tokens and batch tokens must be >= 1");
    if (o->retain_model_dir && o->reference_path)
        return lb_error_set(err, LB_EINVAL, "--retain-model and --reference exclude each other");
    res->template_name = o->template_spec;
    res->strip = o->strip ? o->strip : !strcmp(o->template_spec, "phi") ? "Answer:" : "";
    int rc = load_splits(o, res, err);
    if (rc) return rc;
    engine_t e;
    if ((rc = engine_open(&e, o->model_dir, o, err))) {
        engine_free(&e);
        return rc;
    }
    res->max_length = e.max_length;
    for (int i = 0; i < res->n_splits && !rc; i++) {
        rc = score_split(&e, &res->splits[i], o, 1, hooks, res, err);
        if (!rc) aggregate(&res->splits[i]);
    }
    lb_tofu_split_result_t *f = find_role(res, LB_TOFU_FORGET), *h = find_role(res, LB_TOFU_HOLDOUT);
    /* MIA */
    if (!rc) {
        if (!h) snprintf(res->why_mia, sizeof res->why_mia, "no holdout split (--holdout FILE)");
        else if (!(f->metrics & LB_TOFU_MIA)) snprintf(res->why_mia, sizeof res->why_mia, "not in --metrics");
        else rc = mia_aucs(f, h, res->mia, err);
    }
    /* The retain model's forget truth ratios and min-k AUC. */
    double *rtr = NULL, rauc = NAN;
    size_t nrtr = 0;
    if (!rc && o->retain_model_dir) {
        rc = retain_model_run(o, &e, res, hooks, &rtr, &nrtr, &rauc, err);
    } else if (!rc && o->reference_path) {
        rc = read_reference(o->reference_path, &rtr, &nrtr, &rauc, err);
    }
    if (!rc) {
        if (!(f->metrics & LB_TOFU_TRUTH_RATIO)) {
            snprintf(res->why_forget_quality, sizeof res->why_forget_quality,
                     "no forget truth ratio: %.200s", f->why_truth_ratio);
        } else if (!rtr) {
            snprintf(res->why_forget_quality, sizeof res->why_forget_quality,
                     "no retain model: give --retain-model DIR (the model trained without the "
                     "forget set) or --reference its tofu.json");
        } else {
            double *ftr = malloc(f->n * sizeof *ftr);
            if (!ftr) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
            for (size_t i = 0; !rc && i < f->n; i++) ftr[i] = f->items[i].truth_ratio;
            if (!rc)
                rc = lb_stats_ks_2samp(ftr, f->n, rtr, nrtr, &res->ks_statistic,
                                       &res->forget_quality, &res->ks_exact, err);
            res->reference_n = nrtr;
            free(ftr);
        }
    }
    free(rtr);
    /* privleak from the min-k AUC */
    if (!rc) {
        if (isnan(res->mia[2])) {
            snprintf(res->why_privleak, sizeof res->why_privleak, "no MIA: %.200s", res->why_mia);
        } else {
            double ref = isnan(rauc) ? 0.5 : rauc;
            res->privleak_ref_auc = ref;
            res->privleak = ((1.0 - res->mia[2]) - (1.0 - ref)) / ((1.0 - ref) + TR_EPS) * 100.0;
            if (isnan(rauc))
                snprintf(res->why_privleak, sizeof res->why_privleak,
                         "reference AUC 0.5 (no retain model with a holdout run)");
        }
    }
    /* model utility */
    if (!rc) {
        lb_tofu_split_result_t *r = find_role(res, LB_TOFU_RETAIN);
        double v[3 * LB_TOFU_MAX_SPLITS];
        int nv = 0;
        const char *miss = NULL;
        if (!r) miss = "no retain split (--retain FILE)";
        for (int i = 0; i < res->n_splits && !miss; i++) {
            lb_tofu_split_result_t *sp = &res->splits[i];
            if (sp->role != LB_TOFU_RETAIN && sp->role != LB_TOFU_UTILITY) continue;
            double p = sp->probability;
            if (sp->role == LB_TOFU_UTILITY && (sp->metrics & LB_TOFU_TRUTH_RATIO))
                p = mean_of(sp, offsetof(lb_tofu_item_t, normalized_probability));
            v[nv++] = p, v[nv++] = sp->rougeL_recall, v[nv++] = sp->truth_ratio;
            for (int k = nv - 3; k < nv; k++)
                if (isnan(v[k])) {
                    snprintf(res->why_model_utility, sizeof res->why_model_utility,
                             "split %s lacks %s", sp->name,
                             k == nv - 3 ? "the probability" : k == nv - 2 ? "ROUGE" : "the truth ratio");
                    miss = res->why_model_utility;
                    break;
                }
        }
        if (miss && miss != res->why_model_utility)
            snprintf(res->why_model_utility, sizeof res->why_model_utility, "%s", miss);
        if (!miss) res->model_utility = hmean(v, nv);
    }
    if (!rc) {
        char p[4200];
        snprintf(p, sizeof p, "%s/tokenizer.json", o->model_dir);
        rc = lb_io_sha256_file(p, res->model_sha_tokenizer, err);
    }
    engine_free(&e);
    return rc;
}

void lb_tofu_result_free(lb_tofu_result_t *res) {
    if (!res) return;
    for (int i = 0; i < res->n_splits; i++) {
        lb_tofu_split_result_t *sp = &res->splits[i];
        for (size_t k = 0; sp->items && k < sp->n; k++) free(sp->items[k].generation);
        free(sp->items);
        free(sp->name);
        free(sp->path);
        lb_dataset_free(&sp->ds);
    }
    memset(res, 0, sizeof *res);
}
