/* The memory a run holds at most, worked out before anything big is allocated
 * (lb_sampler_mem_plan: weights, the KV cache under its budget, scratch), with the numbers the
 * CLI prints; a plan above the memory available now is refused with the numbers. */
#include <omp.h>

#include "eval_internal.h"

int lbi_eval_memory_plan(lb_eval_ctx_t *ctx, lb_error_t *err) {
    size_t copied, mapped;
    lb_model_weight_bytes(ctx->m, &copied, &mapped);
    /* the samples per prompt; the greedy answer is not counted (greedy_too is set after
       loading, as the CLI always planned) */
    lb_mem_plan_t plan;
    lb_sampler_mem_plan(ctx->m, ctx->prompts, ctx->n_items, &ctx->opts, &plan);
    lb_eval_memplan_t *p = &ctx->plan;
    p->weights = plan.weights;
    p->mapped = (double)mapped;
    p->copied = (double)copied;
    p->kv = plan.kv;
    p->scratch = plan.scratch;
    p->available = lb_mem_available();
    p->threads = omp_get_max_threads();
    p->kernels = lb_model_isa_name(lb_model_isa_current());
    return lb_mem_plan_check(&plan, NULL, "lower --kv-budget or --batch, or free memory", &p->total,
                             err);
}
