/* `sample`'s run as a library call: the chosen items' prompts through the sampler, each group
 * to the caller's hook. */
#include <stdlib.h>

#include "eval_internal.h"

int lb_eval_sample(const lb_eval_ctx_t *ctx, const size_t *items, size_t n,
                   const lb_eval_hooks_t *hooks, lb_error_t *err) {
    const lb_sampler_prompt_t *prompts = ctx->prompts;
    lb_sampler_prompt_t *sub = NULL;
    if (!items) n = ctx->n_items;
    if (items) {
        if (!(sub = malloc((n + 1) * sizeof *sub))) return lb_error_set(err, LB_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            if (items[i] >= ctx->n_items) {
                free(sub);
                return lb_error_set(err, LB_EINVAL, "item %zu: out of range [0, %zu)", items[i],
                                    ctx->n_items);
            }
            sub[i] = ctx->prompts[items[i]];
        }
        prompts = sub;
    }
    lb_eval_drive_t d = {.hooks = hooks, .items = items};
    int rc = lbi_eval_drive(&d, ctx, prompts, n, err);
    free(sub);
    return rc;
}
