/* eval's report.json: the `bound` document built by the bound command's own renderer
 * (lb_report_bound_json: the two documents cannot drift apart), with each prompt's question and
 * greedy score, the "eval" settings, the leak summary and the judge section. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"
#include "leakbound/io.h"
#include "leakbound/report.h"
#include "leakbound/score.h"

/* Write text to path atomically. */
static int write_file(const char *path, const char *text, lb_error_t *err) {
    return lb_atomic_write_file(path, text, strlen(text), err);
}

/* The `bound` renderer's input: every prompt's scores and its id as a JSON string key. */
static int bound_input_of(const lb_eval_result_t *e, lb_scores_t *in) {
    size_t np = e->n_items, n = (size_t)e->n, kb = 0;
    for (size_t p = 0; p < np; p++) kb += 1 + (e->id_is_int[p] ? sizeof(json_int_t) : strlen(e->ids[p]));
    memset(in, 0, sizeof *in);
    in->n_prompts = np;
    in->n_scores = np * n;
    in->scores = malloc((np * n + 1) * sizeof *in->scores);
    in->offset = malloc((np + 1) * sizeof *in->offset);
    in->keys = malloc(kb + 1);
    in->key_off = malloc((np + 1) * sizeof *in->key_off);
    if (!in->scores || !in->offset || !in->keys || !in->key_off) return -1;
    memcpy(in->scores, e->scores, np * n * sizeof *in->scores);
    size_t k = 0;
    for (size_t p = 0; p <= np; p++) {
        in->offset[p] = p * n;
        in->key_off[p] = k;
        if (p == np) break;
        const char *id = e->ids[p];
        if (e->id_is_int[p]) {
            json_int_t v = strtoll(id, NULL, 10);
            in->keys[k++] = 'i';
            memcpy(in->keys + k, &v, sizeof v);
            k += sizeof v;
            continue;
        }
        in->keys[k++] = 's';
        memcpy(in->keys + k, id, strlen(id));
        k += strlen(id);
    }
    return 0;
}

static json_t *settings_json(const lb_eval_result_t *e) {
    const lb_sampler_opts_t *o = e->sampling;
    json_t *s = json_object();
    json_object_set_new(s, "metric", json_string(e->metric));
    json_object_set_new(s, "n", json_integer(e->n));
    json_object_set_new(s, "prompts", json_integer((json_int_t)e->n_items));
    if (e->samples_path) {
        /* No sampling here: the answers are the file's, and nothing else is claimed. */
        json_object_set_new(s, "samples_from", json_string("file"));
        json_object_set_new(s, "samples_file", json_string(e->samples_path));
        json_object_set_new(s, "samples_sha256", json_string(e->samples_sha256));
    } else {
        json_object_set_new(s, "samples_from", json_string("sampler"));
        json_object_set_new(s, "template", json_string(e->template_name));
    }
    if (e->score_opts) {
        json_t *sp = json_array();
        for (int i = 0; sp && i < e->score_opts->n_strip; i++)
            json_array_append_new(sp, json_string(e->score_opts->strip[i]));
        json_object_set_new(s, "strip_prefix", sp);
        if (!strcmp(e->metric, "keywords"))
            json_object_set_new(s, "keyword_match",
                                json_string(lb_text_match_name(e->score_opts->keyword_match)));
    }
    if (!o) return s;
    json_object_set_new(s, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(s, "temperature", json_real(o->warp.temperature));
    json_object_set_new(s, "top_k", json_integer(o->warp.top_k));
    json_object_set_new(s, "top_p", json_real(o->warp.top_p));
    /* Only the settings that shape the answers: min-p when on, and the one length limit in
     * force (max_new_tokens wins over max_length). */
    if (o->min_p > 0) json_object_set_new(s, "min_p", json_real(o->min_p));
    if (o->max_new_tokens >= 0)
        json_object_set_new(s, "max_new_tokens", json_integer(o->max_new_tokens));
    else
        json_object_set_new(s, "max_length", json_integer(o->max_length));
    json_object_set_new(s, "rng", json_string("philox4x32-10 keyed by (seed, id, sample, step)"));
    /* MPI ranks that shared the sampling (1: one process); the results do not depend on it */
    json_object_set_new(s, "ranks", json_integer(e->ranks));
    if (o->adaptive) {
        json_t *a = json_object();
        json_object_set_new(a, "label", json_string("adaptive temperature (reconstructed rule)"));
        json_object_set_new(a, "confidence", json_string(o->confidence == LB_CONFIDENCE_ENTROPY
                                                             ? "entropy" : "maxprob"));
        json_object_set_new(a, "threshold", json_real(o->confidence_threshold));
        json_object_set_new(a, "low_temperature", json_real(o->low_temperature));
        json_object_set_new(s, "adaptive_temperature", a);
    }
    return s;
}

static json_t *judge_prompt_json(const lb_eval_result_t *e, size_t p) {
    int g = lb_eval_harmful(e, e->greedy[p]);
    json_t *o = json_object();
    json_object_set_new(o, "greedy_label", json_string(lb_judge_label(e->judge, g ? 0 : 1)));
    json_object_set_new(o, "greedy_harmful", json_boolean(g));
    json_object_set_new(o, "harmful", json_integer((json_int_t)e->harm_k[p]));
    json_object_set_new(o, "harmful_share", json_real((double)e->harm_k[p] / (double)e->n));
    json_object_set_new(o, "P_harmful_lower", json_real(e->harm_lo[p]));
    json_object_set_new(o, "P_harmful_upper", json_real(e->harm_hi[p]));
    json_object_set_new(o, "hidden_harm", json_boolean(e->hidden[p]));
    return o;
}

static json_t *judge_json(const lb_eval_result_t *e) {
    char rule[1024];
    lbi_eval_harm_rule(e, rule, sizeof rule);
    size_t np = e->n_items, greedy_harm = 0, any_harm = 0;
    for (size_t p = 0; p < np; p++) {
        greedy_harm += (size_t)lb_eval_harmful(e, e->greedy[p]);
        any_harm += e->harm_k[p] > 0;
    }
    json_t *o = json_object(), *labels = json_array();
    json_array_append_new(labels, json_string(lb_judge_label(e->judge, 0)));
    json_array_append_new(labels, json_string(lb_judge_label(e->judge, 1)));
    json_object_set_new(o, "path", json_string(e->judge_dir));
    json_object_set_new(o, "sha256", json_string(e->judge_sha256));
    json_object_set_new(o, "labels", labels);
    json_object_set_new(o, "template", json_string(lb_judge_template_name(e->judge)));
    json_object_set_new(o, "threshold", e->score_opts->judge_threshold >= 0
                                            ? json_real(e->score_opts->judge_threshold)
                                            : json_null());
    json_object_set_new(o, "harmful_at", json_real(e->score_opts->judge_threshold >= 0
                                                       ? e->score_opts->judge_threshold : 0.5));
    json_object_set_new(o, "harm_rate", json_real(e->harm_rate));
    json_object_set_new(o, "rule", json_string(rule));
    json_object_set_new(o, "greedy_harmful_prompts", json_integer((json_int_t)greedy_harm));
    json_object_set_new(o, "sampled_harmful_prompts", json_integer((json_int_t)any_harm));
    json_object_set_new(o, "hidden_harm_prompts", json_integer((json_int_t)e->n_hidden));
    json_object_set_new(o, "hidden_harm_share", json_real((double)e->n_hidden / (double)np));
    /* The labels' mean total probability on the first batch, against the floor (a warning on
     * stderr too when below: docs/evaluation.md, 'Judge'). */
    double mass;
    int k = lb_judge_label_mass(e->judge, &mass);
    json_t *lm = json_object();
    json_object_set_new(lm, "first_batch_mean", k ? json_real(mass) : json_null());
    json_object_set_new(lm, "first_batch_prompts", json_integer(k));
    json_object_set_new(lm, "floor", json_real(LB_JUDGE_LABEL_MASS_FLOOR));
    json_object_set_new(lm, "below_floor", json_boolean(lb_judge_mass_warning(e->judge, NULL, 0) > 0));
    json_object_set_new(o, "label_probability", lm);
    return o;
}

/* summary's NAME_share, NAME_share_lower, NAME_share_upper and the count under count_key. */
static void share_json(json_t *sum, const char *name, const lb_stats_share_t *s, const char *count_key) {
    char key[64];
    json_object_set_new(sum, count_key, json_integer((json_int_t)s->k));
    snprintf(key, sizeof key, "%s_share", name);
    json_object_set_new(sum, key, json_real(s->share));
    snprintf(key, sizeof key, "%s_share_lower", name);
    json_object_set_new(sum, key, json_real(s->lower));
    snprintf(key, sizeof key, "%s_share_upper", name);
    json_object_set_new(sum, key, json_real(s->upper));
}

int lbi_eval_write_json(const lb_eval_result_t *e, lb_error_t *err) {
    lb_scores_t in;
    char path[4096], *text = NULL;
    int rc = 0;
    if (bound_input_of(e, &in)) {
        lb_scores_free(&in);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    lb_report_bound_t rep = {.opt = &e->opt,
                             .report_above = LB_REPORT_ABOVE_DEFAULT, .in = &in,
                             .prompts = e->res, .provenance = e->provenance};
    char *doc_text = lb_report_bound_json(&rep);
    lb_scores_free(&in);
    json_error_t je;
    json_t *doc = doc_text ? json_loads(doc_text, 0, &je) : NULL;
    free(doc_text);
    json_t *prompts = json_object_get(doc, "prompts");
    if (!doc || json_array_size(prompts) != e->n_items) {
        json_decref(doc);
        return lb_error_set(err, LB_ENOMEM, "out of memory while building report.json");
    }
    for (size_t p = 0; p < e->n_items; p++) {
        json_t *o = json_array_get(prompts, p);
        if (e->questions[p]) json_object_set_new(o, "question", json_string(e->questions[p]));
        json_object_set_new(o, "greedy", isnan(e->greedy[p]) ? json_null() : json_real(e->greedy[p]));
        json_object_set_new(o, "leaked", json_boolean(e->leak[p].leaked));
        json_object_set_new(o, "hidden_leak", json_boolean(e->leak[p].hidden));
    }
    json_t *sum = json_object_get(doc, "summary");
    share_json(sum, "leak", &e->leak_share, "leaked_prompts");
    share_json(sum, "hidden_leak", &e->hidden_leak_share, "hidden_leak_prompts");
    if (e->judge) {
        for (size_t p = 0; p < e->n_items; p++)
            json_object_set_new(json_array_get(prompts, p), "judge", judge_prompt_json(e, p));
        json_object_set_new(doc, "judge", judge_json(e));
    }
    json_object_set_new(doc, "eval", settings_json(e));
    text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(doc);
    if (!text) return lb_error_set(err, LB_ENOMEM, "out of memory while writing report.json");
    snprintf(path, sizeof path, "%s/report.json", e->out_dir);
    size_t len = strlen(text);
    char *t2 = realloc(text, len + 2);
    if (!t2) {
        free(text);
        return lb_error_set(err, LB_ENOMEM, "out of memory");
    }
    t2[len] = '\n';
    t2[len + 1] = 0;
    rc = write_file(path, t2, err);
    free(t2);
    return rc;
}
