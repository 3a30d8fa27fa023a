/* The sampler's scheduling bookkeeping, apart from the model: which prompt to admit, which
 * sample to launch, which group to hand back, and the KV blocks reserved for each.
 *
 * Why no state strands a prompt (the order of lb_sampler_sched_next's checks):
 * - A finished oldest group is handed back first, so the blocks of finished prompts never
 *   stand in the way of an admission. (The earlier loop admitted first and emitted after: when
 *   every result of the prompts in flight ended at its first token — an EOS chosen from the
 *   prompt's logits, or a limit of one new token — no sequence entered the batch, admission
 *   stopped at the in-flight or block limit, the emission then emptied everything, and the
 *   loop took "nothing running, nothing admitted" for a cache too small.)
 * - Only the newest admitted prompt can have samples left to launch (a prompt is admitted only
 *   when none has), so with nothing running and nothing to hand back, either one prompt is in
 *   flight, holding only its prompt blocks, and its next sample fits (root + sample <= total,
 *   checked at init), or none is and the next prompt fits. LB_SCHED_STUCK is unreachable. */
#include <stdlib.h>

#include "leakbound/sample.h"

int lb_sampler_sched_init(lb_sampler_sched_t *s, size_t n_prompts, const int *root_blocks,
                          const int *sample_blocks, int n_res, int batch, int in_flight,
                          int total_blocks, lb_error_t *err) {
    *s = (lb_sampler_sched_t){0};
    if (n_res < 1 || batch < 1 || in_flight < 1 || total_blocks < 0)
        return lb_error_set(err, LB_EINVAL, "sampler schedule: n_res (%d), batch (%d) and prompts "
                            "in flight (%d) must be >= 1, blocks (%d) >= 0", n_res, batch,
                            in_flight, total_blocks);
    for (size_t i = 0; i < n_prompts; i++)
        if (root_blocks[i] < 0 || sample_blocks[i] < 0 ||
            (long)root_blocks[i] + sample_blocks[i] > total_blocks)
            return lb_error_set(err, LB_EINVAL, "sampler schedule: prompt %zu needs %d + %d blocks, "
                                "the cache has %d", i, root_blocks[i], sample_blocks[i],
                                total_blocks);
    s->launched = calloc((size_t)in_flight, sizeof *s->launched);
    s->finished = calloc((size_t)in_flight, sizeof *s->finished);
    s->prompt_of = calloc((size_t)in_flight, sizeof *s->prompt_of);
    if (!s->launched || !s->finished || !s->prompt_of) {
        lb_sampler_sched_free(s);
        return lb_error_set(err, LB_ENOMEM, "sampler schedule: out of memory");
    }
    s->n_prompts = n_prompts;
    s->root_blocks = root_blocks;
    s->sample_blocks = sample_blocks;
    s->n_res = n_res;
    s->batch = batch;
    s->in_flight = in_flight;
    s->total_blocks = total_blocks;
    return LB_OK;
}

void lb_sampler_sched_free(lb_sampler_sched_t *s) {
    free(s->launched);
    free(s->finished);
    free(s->prompt_of);
    s->launched = s->finished = NULL;
    s->prompt_of = NULL;
}

lb_sched_op_t lb_sampler_sched_next(lb_sampler_sched_t *s, lb_sched_action_t *a) {
    *a = (lb_sched_action_t){.op = LB_SCHED_DONE};
    /* 1. The oldest group, when complete. */
    if (s->emitted < s->next_prompt) {
        int sl = (int)(s->emitted % (size_t)s->in_flight);
        if (s->finished[sl] == s->n_res) {
            a->op = LB_SCHED_EMIT;
            a->prompt = s->emitted++;
            a->slot = sl;
            s->reserved -= s->root_blocks[a->prompt];
            return a->op;
        }
    }
    if (s->active < s->batch) {
        /* 2. The next sample of the oldest prompt that has one left. */
        for (size_t q = s->emitted; q < s->next_prompt; q++) {
            int sl = (int)(q % (size_t)s->in_flight);
            if (s->launched[sl] == s->n_res) continue;
            if (s->reserved + s->sample_blocks[q] > s->total_blocks)
                break; /* wait for a step to free blocks; admit nothing meanwhile */
            a->op = LB_SCHED_LAUNCH;
            a->prompt = q;
            a->slot = sl;
            a->res = s->launched[sl]++;
            s->reserved += s->sample_blocks[q];
            s->active++;
            return a->op;
        }
        /* 3. The next prompt, when every admitted one is fully launched. */
        int open = 0;
        for (size_t q = s->emitted; q < s->next_prompt && !open; q++)
            open = s->launched[q % (size_t)s->in_flight] < s->n_res;
        size_t p = s->next_prompt;
        if (!open && p < s->n_prompts && p - s->emitted < (size_t)s->in_flight &&
            s->reserved + s->root_blocks[p] + s->sample_blocks[p] <= s->total_blocks) {
            int sl = (int)(p % (size_t)s->in_flight);
            a->op = LB_SCHED_ADMIT;
            a->prompt = p;
            a->slot = sl;
            s->prompt_of[sl] = p;
            s->launched[sl] = s->finished[sl] = 0;
            s->next_prompt++;
            s->reserved += s->root_blocks[p];
            return a->op;
        }
    }
    /* 4. Decode what is running. */
    if (s->active > 0) return a->op = LB_SCHED_STEP;
    if (s->emitted == s->n_prompts) return a->op = LB_SCHED_DONE;
    return a->op = LB_SCHED_STUCK;
}

void lb_sampler_sched_finish(lb_sampler_sched_t *s, int slot) {
    s->finished[slot]++;
    s->active--;
    s->reserved -= s->sample_blocks[s->prompt_of[slot]];
}
