/* leakbound tofu — TOFU's unlearning metrics (docs/tofu.md). This file holds the options, the
 * model (engine), the inputs (splits and the metric groups each can run), one split scored with
 * one model, the retain model or --reference, and lb_tofu_run, which puts forget quality,
 * model utility and privleak together. The parts it calls: tofu_seqset.c (labels and collator),
 * tofu_forward.c (teacher forcing), tofu_metrics.c (per-item metrics, aggregates, MIA),
 * tofu_generate.c (greedy answers); tofu_write.c writes the documents. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/model.h"
#include "leakbound/score.h"
#include "leakbound/stats.h"
#include "leakbound/tofu.h"
#include "leakbound/tokenizer.h"
#include "tofu_internal.h"

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

/* A flag's integer in [lo, hi] (lb_core_parse_long's reading). */
static int parse_long(const char *s, long lo, long hi, long *out) {
    long v;
    if (lb_core_parse_long(s, &v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

#define BAD(...) return lb_error_set(err, LB_EINVAL, __VA_ARGS__)

int lb_tofu_opts_set(lb_tofu_opts_t *o, const char *f, const char *v, lb_error_t *err) {
    const char *a = v ? v : "";
    if (!f) BAD("no flag name given");
    if (!strcmp(f, "max-length")) {
        if (parse_long(a, 2, 1 << 21, &o->max_length))
            BAD("--max-length: expected an integer in [2, 2097152], got '%s'", a);
    } else if (!strcmp(f, "max-new-tokens")) {
        if (parse_long(a, 1, 1 << 20, &o->max_new_tokens))
            BAD("--max-new-tokens: expected an integer in [1, 1048576], got '%s'", a);
    } else if (!strcmp(f, "batch-tokens")) {
        if (parse_long(a, 1, 1 << 20, &o->batch_tokens))
            BAD("--batch-tokens: expected an integer in [1, 1048576], got '%s'", a);
    } else if (!strcmp(f, "min-k")) {
        char *end;
        errno = 0;
        double d = strtod(a, &end);
        if (errno || end == a || *end || !isfinite(d) || !(d > 0.0 && d <= 1.0))
            BAD("--min-k: expected a share in (0, 1], got '%s'", a);
        o->min_k = d;
    } else if (!strcmp(f, "metrics")) {
        char buf[256];
        unsigned bits = 0;
        snprintf(buf, sizeof buf, "%s", a);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            unsigned b = lb_tofu_metric_bit(t);
            if (!b)
                BAD("--metrics: unknown group '%s' (probability, truth_ratio, rouge, memorization, "
                    "mia)", t);
            bits |= b;
        }
        if (!bits) BAD("--metrics: empty list");
        o->metrics = bits;
    } else {
        BAD("tofu: unknown flag '%s'", f);
    }
    return LB_OK;
}

int lb_tofu_opts_check(const lb_tofu_opts_t *o, lb_error_t *err) {
    if (o->retain_model_dir && o->reference_path)
        BAD("--retain-model and --reference exclude each other");
    return LB_OK;
}

#undef BAD

/* ---------------------------------------------------------------- the model side */

void lbi_tofu_engine_free(engine_t *e) {
    lb_template_free(e->tpl);
    lb_model_free(e->m);
    lb_tokenizer_free(e->tok);
    memset(e, 0, sizeof *e);
}

int lbi_tofu_engine_open(engine_t *e, const char *dir, const lb_tofu_opts_t *o, lb_error_t *err) {
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
    e->stop[0] = e->eos;
    e->n_stop = 1;
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
        rc = lbi_tofu_add_seq(&s, e, qparts[i], qn, it->answer, (int)i, K_REF, mia, sp, it, &trunc, err);
        ti->truncated = trunc;
        sp->n_truncated += (size_t)trunc;
        if (!rc && tr && sp->role != LB_TOFU_UTILITY)
            rc = lbi_tofu_add_seq(&s, e, qparts[i], qn, it->paraphrased_answer, (int)i, K_CORRECT, 0, sp,
                                 it, NULL, err);
        for (size_t j = 0; !rc && tr && j < it->n_perturbed; j++)
            rc = lbi_tofu_add_seq(&s, e, qparts[i], qn, it->perturbed[j], (int)i, K_PERT, 0, sp, it, NULL,
                                 err);
    }
    char stage[96];
    snprintf(stage, sizeof stage, "teacher forcing %s", sp->name);
    if (!rc) rc = lbi_tofu_forward_all(e, &s, o->batch_tokens, stage, hooks, res, err);
    if (!rc) {
        int maxl = 1;
        for (size_t k = 0; k < s.n; k++)
            if (s.nlab[k] > maxl) maxl = s.nlab[k];
        double *scratch = malloc((size_t)maxl * sizeof *scratch);
        if (!scratch) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
        else lbi_tofu_item_metrics(e, &s, sp, o, scratch, err, &rc);
        free(scratch);
    }
    if (!rc && gen && (sp->metrics & LB_TOFU_ROUGE))
        rc = lbi_tofu_generate_split(e, sp, o, qparts, hooks, res, err);
    for (size_t i = 0; qparts && i < sp->n; i++) free(qparts[i]);
    free(qparts);
    lbi_tofu_seqset_free(&s);
    return rc;
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
            if (lbi_tofu_grow((void **)tr, &cap, *n + 1, sizeof **tr)) {
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
    if ((rc = lbi_tofu_engine_open(&e, o->retain_model_dir, o, err))) {
        lbi_tofu_engine_free(&e);
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
        rc = lbi_tofu_mia_aucs(&sf, &sh, au, err);
        if (!rc) *auc = au[2];
    }
    free(sf.items);
    free(sh.items);
    lbi_tofu_engine_free(&e);
    return rc;
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
    int rc0 = lb_tofu_opts_check(o, err);
    if (rc0) return rc0;
    res->template_name = o->template_spec;
    const char *tag = lb_score_default_strip(o->template_spec);
    res->strip = o->strip ? o->strip : tag ? tag : "";
    /* The model folder's EOS ids (generation_config.json, else config.json) end a greedy
       answer, unless the caller gave its own. */
    lb_genconf_t gc = {0};
    int rc = o->eos && o->n_eos > 0 ? 0 : lb_sample_genconf_read(o->model_dir, &gc, err);
    if (!rc) rc = load_splits(o, res, err);
    if (rc) return rc;
    engine_t e;
    if ((rc = lbi_tofu_engine_open(&e, o->model_dir, o, err))) {
        lbi_tofu_engine_free(&e);
        return rc;
    }
    if (gc.n_eos > 0) {
        memcpy(e.stop, gc.eos, (size_t)gc.n_eos * sizeof *gc.eos);
        e.n_stop = gc.n_eos;
    }
    res->max_length = e.max_length;
    for (int i = 0; i < res->n_splits && !rc; i++) {
        rc = score_split(&e, &res->splits[i], o, 1, hooks, res, err);
        if (!rc) lbi_tofu_aggregate(&res->splits[i]);
    }
    lb_tofu_split_result_t *f = find_role(res, LB_TOFU_FORGET), *h = find_role(res, LB_TOFU_HOLDOUT);
    /* MIA */
    if (!rc) {
        if (!h) snprintf(res->why_mia, sizeof res->why_mia, "no holdout split (--holdout FILE)");
        else if (!(f->metrics & LB_TOFU_MIA)) snprintf(res->why_mia, sizeof res->why_mia, "not in --metrics");
        else rc = lbi_tofu_mia_aucs(f, h, res->mia, err);
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
                p = lbi_tofu_mean_of(sp, offsetof(lb_tofu_item_t, normalized_probability));
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
        if (!miss) res->model_utility = lbi_tofu_hmean(v, nv);
    }
    if (!rc) {
        char p[4200];
        snprintf(p, sizeof p, "%s/tokenizer.json", o->model_dir);
        rc = lb_io_sha256_file(p, res->model_sha_tokenizer, err);
    }
    lbi_tofu_engine_free(&e);
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
