/* The memory a run holds at most, worked out before anything big is allocated: weights
 * (matrices mapped from the file, vectors copied), the KV cache (every sequence of a batch at
 * the longest question's full length, capped by the KV budget or its default, a quarter of
 * RAM), and the runner's arena plus the sampler's logits. A plan above the memory available
 * now is refused with the numbers. */
#include <omp.h>
#include <unistd.h>

#include "eval_internal.h"

int lb_eval_memory_plan(lb_eval_ctx_t *ctx, lb_error_t *err) {
    const lb_model_config_t *g = lb_model_config(ctx->m);
    const lb_sampler_opts_t *o = &ctx->opts;
    size_t copied, mapped;
    lb_model_weight_bytes(ctx->m, &copied, &mapped);
    long max_plen = 1, max_ctx = 1;
    for (size_t i = 0; i < ctx->n_items; i++) {
        long n = (long)ctx->prompts[i].n_ids, mn = lb_sampler_max_new(o, ctx->prompts[i].n_ids,
                                                                      g->max_position_embeddings);
        if (n > max_plen) max_plen = n;
        if (n + (mn > 0 ? mn : 0) > max_ctx) max_ctx = n + (mn > 0 ? mn : 0);
    }
    if (max_ctx > g->max_position_embeddings) max_ctx = g->max_position_embeddings;
    /* the samples per prompt; the greedy answer is not counted (as the CLI always planned:
       it set greedy_too after loading) */
    long n_res = o->n_samples, seqs = n_res * (long)ctx->n_items;
    long B = o->batch > 0 ? o->batch : 256;
    if (B > seqs) B = seqs;
    if (B < 1) B = 1;
    long P = B / (n_res > 0 ? n_res : 1) + 2;
    if (P > (long)ctx->n_items) P = (long)ctx->n_items;
    double bpt = 2.0 * g->n_layers * g->n_kv_heads * g->head_dim * sizeof(float);
    long phys = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    double budget = o->kv_budget ? (double)o->kv_budget
                  : phys > 0 && psz > 0 ? (double)phys * (double)psz / 4 : (double)(1 << 30);
    double kv = bpt * (double)(B + P) * (double)max_ctx;
    if (kv > budget) kv = budget;
    double scratch = (double)lb_model_runner_plan_bytes(ctx->m, (int)B,
                                                        (int)(max_plen > B ? max_plen : B),
                                                        (int)max_ctx, 0) +
                     (double)(B + P) * g->vocab_size * 2 * sizeof(float);
    lb_eval_memplan_t *p = &ctx->plan;
    p->weights = (double)copied + (double)mapped;
    p->mapped = (double)mapped;
    p->copied = (double)copied;
    p->kv = kv;
    p->scratch = scratch;
    p->available = lb_mem_available();
    p->threads = omp_get_max_threads();
    p->kernels = lb_model_isa_name(lb_model_isa_current());
    lb_mem_plan_t plan = {p->weights, kv, scratch};
    return lb_mem_plan_check(&plan, NULL, "lower --kv-budget or --batch, or free memory", &p->total,
                             err);
}
