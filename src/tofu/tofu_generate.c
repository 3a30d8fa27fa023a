/* Greedy generation: TOFU's answer to every question of a split (one greedy decode each,
 * through the sampler), the template's answer prefix stripped (lb_score_strip), scored by ROUGE-L recall
 * against the reference answer (docs/tofu.md). */
#include <stdlib.h>
#include <string.h>

#include "leakbound/sample.h"
#include "leakbound/score.h"
#include "leakbound/text.h"
#include "tofu_internal.h"

typedef struct gen_ctx {
    lb_tofu_split_result_t *sp;
    lb_text_scorer_t *scorer;
    lb_score_opts_t strip; /* the one strip rule (lb_score_strip) with res->strip, when set */
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
    lb_score_strip(&g->strip, &t, &tl);
    lb_text_rouge_t rg;
    int rc = lb_text_rouge_l(g->scorer, t, tl, di->answer, strlen(di->answer), &rg, err);
    if (rc) return rc;
    it->rougeL_recall = rg.recall;
    g->res->tokens_generated += (size_t)r[0].n_tokens;
    g->done++;
    if (g->hooks && g->hooks->progress) g->hooks->progress(g->hooks->user, g->stage, g->done, g->sp->n);
    return LB_OK;
}

int lbi_tofu_generate_split(const engine_t *e, lb_tofu_split_result_t *sp, const lb_tofu_opts_t *o,
                           char **qparts, const lb_tofu_hooks_t *hooks, lb_tofu_result_t *res,
                           lb_error_t *err) {
    double t0 = lb_tofu_now_s();
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
        int given = o->eos && o->n_eos > 0;
        so.eos = given ? o->eos : e->stop;
        so.n_eos = given ? o->n_eos : e->n_stop;
        gen_ctx_t g = {.sp = sp, .scorer = scorer, .strip = lb_score_opts_default(), .hooks = hooks,
                       .res = res};
        if (res->strip && *res->strip) g.strip.strip[g.strip.n_strip++] = res->strip;
        snprintf(g.stage, sizeof g.stage, "greedy %s", sp->name);
        rc = lb_sampler_run(e->m, e->tok, pr, sp->n, &so, gen_emit, NULL, &g, err);
    }
    lb_text_scorer_free(scorer);
    for (size_t i = 0; ids && i < sp->n; i++) free(ids[i]);
    free(ids);
    free(pr);
    res->seconds_generate += lb_tofu_now_s() - t0;
    return rc;
}
