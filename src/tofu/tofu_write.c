/* The documents of `leakbound tofu`: tofu.json, tofu.md and items.jsonl (docs/tofu.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"
#include "leakbound/tofu.h"

static const char *const role_names[] = {"forget", "retain", "holdout", "utility"};
static const char *const mia_names[] = {"loss", "zlib", "min_k", "min_k_plus_plus"};

static json_t *num(double v) { return isnan(v) ? json_null() : json_real(v); }

/* Set key to v, and "why_<key>" to why when v is NaN. */
static int set_num(json_t *o, const char *key, double v, const char *why) {
    int bad = json_object_set_new(o, key, num(v));
    if (isnan(v) && why && *why) {
        char k[96];
        snprintf(k, sizeof k, "why_%s", key);
        bad |= json_object_set_new(o, k, json_string(why));
    }
    return bad;
}

json_t *lb_tofu_json(const lb_tofu_result_t *res, const lb_tofu_opts_t *o, json_t *provenance) {
    json_t *doc = json_object(), *splits = json_object(), *mia = json_object(), *set = json_object();
    int bad = !doc || !splits || !mia || !set;
    for (int i = 0; i < res->n_splits && !bad; i++) {
        const lb_tofu_split_result_t *sp = &res->splits[i];
        json_t *s = json_object();
        bad |= !s;
        if (bad) break;
        bad |= json_object_set_new(s, "role", json_string(role_names[sp->role]));
        bad |= json_object_set_new(s, "n", json_integer((json_int_t)sp->n));
        bad |= json_object_set_new(s, "truncated", json_integer((json_int_t)sp->n_truncated));
        bad |= set_num(s, "probability", sp->probability,
                       sp->metrics & LB_TOFU_PROBABILITY ? "" : "not in --metrics");
        if (sp->role == LB_TOFU_UTILITY && (sp->metrics & LB_TOFU_TRUTH_RATIO)) {
            double t = 0.0;
            for (size_t k = 0; k < sp->n; k++) t += sp->items[k].normalized_probability;
            bad |= set_num(s, "normalized_probability", t / (double)sp->n, "");
        }
        bad |= set_num(s, "truth_ratio", sp->truth_ratio, sp->why_truth_ratio);
        bad |= json_object_set_new(s, "truth_ratio_aggregate",
                                   json_string(sp->role == LB_TOFU_FORGET ? "mean(min(tr, 1/tr))"
                                                                          : "mean(max(0, 1 - tr))"));
        bad |= set_num(s, "rougeL_recall", sp->rougeL_recall,
                       sp->metrics & LB_TOFU_ROUGE ? "" : "not in --metrics");
        bad |= set_num(s, "exact_memorization", sp->exact_memorization,
                       sp->metrics & LB_TOFU_MEMORIZATION ? "" : "not in --metrics");
        bad |= set_num(s, "extraction_strength", sp->extraction_strength,
                       sp->metrics & LB_TOFU_MEMORIZATION ? "" : "not in --metrics");
        bad |= json_object_set_new(s, "data", json_string(sp->path));
        bad |= json_object_set_new(s, "data_sha256", json_string(sp->sha256));
        bad |= json_object_set_new(splits, sp->name, s);
    }
    bad |= json_object_set_new(doc, "splits", splits);
    bad |= set_num(doc, "forget_quality", res->forget_quality, res->why_forget_quality);
    if (!isnan(res->forget_quality)) {
        json_t *ks = json_pack("{s:f, s:s, s:I}", "statistic", res->ks_statistic, "method",
                               res->ks_exact ? "exact" : "asymptotic", "reference_n",
                               (json_int_t)res->reference_n);
        bad |= !ks || json_object_set_new(doc, "ks_test", ks);
    }
    bad |= set_num(doc, "model_utility", res->model_utility, res->why_model_utility);
    if (isnan(res->mia[0])) {
        bad |= json_object_set_new(doc, "mia", json_null());
        bad |= json_object_set_new(doc, "why_mia", json_string(res->why_mia));
    } else {
        for (int a = 0; a < 4; a++) bad |= json_object_set_new(mia, mia_names[a], num(res->mia[a]));
        bad |= json_object_set_new(doc, "mia", mia);
        mia = NULL;
    }
    bad |= set_num(doc, "privleak", res->privleak, res->why_privleak);
    if (!isnan(res->privleak)) {
        bad |= json_object_set_new(doc, "privleak_reference_auc", num(res->privleak_ref_auc));
        if (*res->why_privleak) bad |= json_object_set_new(doc, "note_privleak", json_string(res->why_privleak));
    }
    bad |= json_object_set_new(set, "model", json_string(o->model_dir));
    bad |= json_object_set_new(set, "template", json_string(res->template_name));
    bad |= json_object_set_new(set, "answer_tag", json_string(strcmp(res->template_name, "phi") ? "" : "Answer: "));
    bad |= json_object_set_new(set, "strip", json_string(res->strip));
    bad |= json_object_set_new(set, "max_length", json_integer(res->max_length));
    bad |= json_object_set_new(set, "max_new_tokens", json_integer(o->max_new_tokens));
    bad |= json_object_set_new(set, "min_k", json_real(o->min_k));
    bad |= json_object_set_new(set, "batch_tokens", json_integer(o->batch_tokens));
    bad |= json_object_set_new(set, "retain_model", o->retain_model_dir ? json_string(o->retain_model_dir) : json_null());
    bad |= json_object_set_new(set, "reference", o->reference_path ? json_string(o->reference_path) : json_null());
    bad |= json_object_set_new(set, "tokenizer_sha256", json_string(res->model_sha_tokenizer));
    bad |= json_object_set_new(set, "tokens_forward", json_integer((json_int_t)res->tokens_forward));
    bad |= json_object_set_new(set, "tokens_generated", json_integer((json_int_t)res->tokens_generated));
    bad |= json_object_set_new(doc, "settings", set);
    if (provenance) bad |= json_object_set(doc, "provenance", provenance);
    json_decref(mia);
    if (bad) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static int write_items(const lb_tofu_result_t *res, const char *path, lb_error_t *err) {
    lb_atomic_file_t f;
    int rc = lb_atomic_open(&f, path, err);
    if (rc) return rc;
    for (int i = 0; i < res->n_splits && !rc; i++) {
        const lb_tofu_split_result_t *sp = &res->splits[i];
        for (size_t k = 0; k < sp->n && !rc; k++) {
            const lb_tofu_item_t *it = &sp->items[k];
            json_t *o = json_object();
            int bad = !o;
            bad |= bad || json_object_set_new(o, "split", json_string(sp->name));
            bad |= bad || json_object_set_new(o, "id", json_string(it->id));
            bad |= bad || json_object_set_new(o, "labels", json_integer(it->labels));
            bad |= bad || json_object_set_new(o, "truncated", json_boolean(it->truncated));
            bad |= bad || json_object_set_new(o, "avg_nll", num(it->avg_nll));
            bad |= bad || json_object_set_new(o, "probability", num(it->probability));
            if (sp->metrics & LB_TOFU_TRUTH_RATIO)
                bad |= bad || json_object_set_new(o, "truth_ratio", num(it->truth_ratio));
            if (sp->role == LB_TOFU_UTILITY && (sp->metrics & LB_TOFU_TRUTH_RATIO))
                bad |= bad || json_object_set_new(o, "normalized_probability",
                                                  num(it->normalized_probability));
            if (sp->metrics & LB_TOFU_ROUGE)
                bad |= bad || json_object_set_new(o, "rougeL_recall", num(it->rougeL_recall));
            if (sp->metrics & LB_TOFU_MEMORIZATION) {
                bad |= bad || json_object_set_new(o, "exact_memorization", num(it->exact_memorization));
                bad |= bad || json_object_set_new(o, "extraction_strength", num(it->extraction_strength));
            }
            if (sp->metrics & LB_TOFU_MIA) {
                json_t *m = json_pack("{s:o, s:o, s:o, s:o}", "loss", num(it->mia_loss), "zlib",
                                      num(it->mia_zlib), "min_k", num(it->mia_min_k),
                                      "min_k_plus_plus", num(it->mia_min_k_plus_plus));
                bad |= bad || !m || json_object_set_new(o, "mia", m);
            }
            if (it->generation) bad |= bad || json_object_set_new(o, "generation", json_string(it->generation));
            char *line = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
            json_decref(o);
            if (!line) rc = lb_error_set(err, LB_ENOMEM, "out of memory");
            if (!rc) rc = lb_atomic_write(&f, line, strlen(line), err);
            if (!rc) rc = lb_atomic_write(&f, "\n", 1, err);
            free(line);
        }
    }
    if (rc) lb_atomic_abort(&f);
    else rc = lb_atomic_commit(&f, err);
    return rc;
}

static void md_num(char *b, size_t cap, double v) {
    if (isnan(v)) snprintf(b, cap, "—");
    else snprintf(b, cap, "%.4g", v);
}

static int write_md(const lb_tofu_result_t *res, const lb_tofu_opts_t *o, const char *path,
                    lb_error_t *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return lb_error_set(err, LB_ENOMEM, "out of memory");
    char a[5][32];
    fprintf(m, "# TOFU metrics: %s\n\n", o->model_dir);
    fprintf(m, "| split | n | probability | truth ratio | ROUGE-L recall | exact mem. | extraction str. | truncated |\n");
    fprintf(m, "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < res->n_splits; i++) {
        const lb_tofu_split_result_t *sp = &res->splits[i];
        md_num(a[0], 32, sp->probability), md_num(a[1], 32, sp->truth_ratio);
        md_num(a[2], 32, sp->rougeL_recall), md_num(a[3], 32, sp->exact_memorization);
        md_num(a[4], 32, sp->extraction_strength);
        fprintf(m, "| %s | %zu | %s | %s | %s | %s | %s | %zu |\n", sp->name, sp->n, a[0], a[1],
                a[2], a[3], a[4], sp->n_truncated);
    }
    fprintf(m, "\n| metric | value | note |\n|---|---:|---|\n");
    md_num(a[0], 32, res->forget_quality);
    fprintf(m, "| forget quality (KS p-value) | %s | %s |\n", a[0],
            isnan(res->forget_quality) ? res->why_forget_quality : res->ks_exact ? "exact" : "asymptotic");
    md_num(a[0], 32, res->model_utility);
    fprintf(m, "| model utility (harmonic mean) | %s | %s |\n", a[0], res->why_model_utility);
    for (int k = 0; k < 4; k++) {
        md_num(a[0], 32, res->mia[k]);
        fprintf(m, "| MIA AUC %s | %s | %s |\n", mia_names[k], a[0], isnan(res->mia[k]) ? res->why_mia : "");
    }
    md_num(a[0], 32, res->privleak);
    fprintf(m, "| privleak (min-k, %%) | %s | %s |\n", a[0], res->why_privleak);
    fprintf(m, "\nTemplate %s, max length %ld, greedy answers of at most %ld tokens; "
            "definitions: docs/tofu.md.\n", res->template_name, res->max_length, o->max_new_tokens);
    if (fclose(m)) {
        free(buf);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    int rc = lb_atomic_write_file(path, buf, len, err);
    free(buf);
    return rc;
}

int lb_tofu_write(const lb_tofu_result_t *res, const lb_tofu_opts_t *o, json_t *provenance,
                  const char *dir, lb_error_t *err) {
    char p[4200];
    json_t *doc = lb_tofu_json(res, o, provenance);
    if (!doc) return lb_error_set(err, LB_ENOMEM, "out of memory");
    snprintf(p, sizeof p, "%s/tofu.json", dir);
    int rc = lb_atomic_write_json(p, doc, err);
    json_decref(doc);
    snprintf(p, sizeof p, "%s/items.jsonl", dir);
    if (!rc) rc = write_items(res, p, err);
    snprintf(p, sizeof p, "%s/tofu.md", dir);
    if (!rc) rc = write_md(res, o, p, err);
    return rc;
}
