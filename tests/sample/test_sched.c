/* The sampler's schedule (lb_sampler_sched_*) as a tested property, without a model: over
 * random prompt lengths, new-token limits, n, batch sizes, prompts in flight, block sizes and
 * KV budgets, and random endings (at the first token, at any step, at the limit), every prompt
 * is admitted once and in order, every result launched once and in order, every group handed
 * back once, in prompt order, complete; the schedule never gets stuck; and a paged cache
 * simulated here (reference counts, copy-on-write of a shared partial block, as kvcache.h
 * describes) never needs more blocks than the schedule reserved, and is empty at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/sample.h"

#define MAXP 16     /* prompts */
#define MAXR 8      /* results per prompt */
#define MAXB 2048   /* blocks */
#define MAXT 128    /* blocks in one sequence's table */

/* ---- A paged cache: blocks with reference counts, sequences as block tables ---- */
typedef struct sim_seq {
    int live, len, nb;
    int tab[MAXT];
} sim_seq_t;

typedef struct sim {
    int total, used, bs;
    int ref[MAXB];
} sim_t;

static int sim_alloc(sim_t *c) {
    for (int b = 0; b < c->total; b++)
        if (c->ref[b] == 0) {
            c->ref[b] = 1;
            c->used++;
            return b;
        }
    fail_msg("the cache ran out of blocks (%d in use of %d)", c->used, c->total);
    return -1;
}

static void sim_unref(sim_t *c, int b) {
    assert_true(c->ref[b] > 0);
    if (--c->ref[b] == 0) c->used--;
}

/* Write the next position of q: a new block at a block boundary, a copy of a shared last block. */
static void sim_write(sim_t *c, sim_seq_t *q) {
    if (q->len % c->bs == 0) {
        assert_true(q->nb < MAXT);
        q->tab[q->nb++] = sim_alloc(c);
    } else if (c->ref[q->tab[q->nb - 1]] > 1) {
        int nb = sim_alloc(c);
        sim_unref(c, q->tab[q->nb - 1]);
        q->tab[q->nb - 1] = nb;
    }
    q->len++;
}

static void sim_fork(sim_t *c, const sim_seq_t *src, sim_seq_t *dst) {
    *dst = *src;
    for (int i = 0; i < dst->nb; i++) c->ref[dst->tab[i]]++;
}

static void sim_free(sim_t *c, sim_seq_t *q) {
    for (int i = 0; i < q->nb; i++) sim_unref(c, q->tab[i]);
    q->live = 0;
    q->nb = q->len = 0;
}

/* ---- Randomness for the cases (splitmix64, seeded) ---- */
static uint64_t rng;
static double uniform(void) { return (double)(lb_splitmix64(&rng) >> 11) * 0x1p-53; }
static int rnd(int lo, int hi) { return lo + (int)(lb_splitmix64(&rng) % (uint64_t)(hi - lo + 1)); }
static int chance(double p) { return uniform() < p; }

typedef struct scase {
    int n_prompts, n_res, batch, in_flight, bs, extra;
    int len[MAXP], max_new[MAXP];
    double p_first, p_step; /* chance a result ends at its first token / at a step */
} scase_t;

/* Blocks a sample may write, counted position by position: it feeds back every token but its
 * last, at positions len .. len + max_new - 2, and touches each block of those once. */
static int count_sample_blocks(int len, int max_new, int bs) {
    int n = 0, last = -1;
    for (int pos = len; pos <= len + max_new - 2; pos++)
        if (pos / bs != last) {
            last = pos / bs;
            n++;
        }
    return n;
}

/* Run one case through the schedule; fail on any broken property. Returns the actions taken. */
static long run_case(const scase_t *k) {
    static sim_t c;
    static sim_seq_t root[MAXP], seq[MAXP][MAXR];
    static int ntok[MAXP][MAXR];
    int rb[MAXP], sb[MAXP], launched[MAXP] = {0}, finished[MAXP] = {0}, admitted = 0, emitted = 0;
    int worst = 0;
    memset(&c, 0, sizeof c);
    memset(root, 0, sizeof root);
    memset(seq, 0, sizeof seq);
    c.bs = k->bs;
    for (int p = 0; p < k->n_prompts; p++) {
        rb[p] = (k->len[p] + k->bs - 1) / k->bs;
        sb[p] = count_sample_blocks(k->len[p], k->max_new[p], k->bs);
        if (rb[p] + sb[p] > worst) worst = rb[p] + sb[p];
    }
    c.total = worst + k->extra;
    assert_true(c.total <= MAXB);
    lb_sampler_sched_t s;
    lb_error_t err;
    assert_int_equal(lb_sampler_sched_init(&s, (size_t)k->n_prompts, rb, sb, k->n_res, k->batch,
                                           k->in_flight, c.total, &err), 0);
    long actions = 0;
    for (;; actions++) {
        assert_true(actions < 1000000);
        lb_sched_action_t a;
        lb_sched_op_t op = lb_sampler_sched_next(&s, &a);
        int running = 0;
        for (int p = 0; p < k->n_prompts; p++) running += launched[p] - finished[p];
        if (op == LB_SCHED_DONE) break;
        int p = (int)a.prompt;
        switch (op) {
        case LB_SCHED_ADMIT:
            assert_int_equal(p, admitted); /* in order, once */
            assert_true(admitted - emitted < k->in_flight);
            assert_int_equal(a.slot, p % k->in_flight);
            for (int q = emitted; q < admitted; q++) assert_int_equal(launched[q], k->n_res);
            admitted++;
            root[p].live = 1;
            for (int i = 0; i < k->len[p]; i++) sim_write(&c, &root[p]); /* the prefill */
            break;
        case LB_SCHED_LAUNCH: {
            assert_true(p >= emitted && p < admitted);
            assert_int_equal(a.slot, p % k->in_flight);
            assert_int_equal(a.res, launched[p]); /* results in order, each once */
            assert_true(a.res < k->n_res);
            assert_true(running < k->batch);
            launched[p]++;
            ntok[p][a.res] = 1; /* the first token comes from the prompt's logits */
            if (k->max_new[p] <= 1 || chance(k->p_first)) {
                finished[p]++;
                lb_sampler_sched_finish(&s, a.slot);
            } else {
                sim_fork(&c, &root[p], &seq[p][a.res]);
                seq[p][a.res].live = 1;
            }
            break;
        }
        case LB_SCHED_STEP:
            assert_true(running > 0);
            for (int q = emitted; q < admitted; q++)
                for (int r = 0; r < launched[q]; r++) {
                    sim_seq_t *x = &seq[q][r];
                    if (!x->live) continue;
                    sim_write(&c, x); /* feed the last token */
                    ntok[q][r]++;
                    if (ntok[q][r] >= k->max_new[q] || chance(k->p_step)) {
                        sim_free(&c, x);
                        finished[q]++;
                        lb_sampler_sched_finish(&s, q % k->in_flight);
                    }
                }
            break;
        case LB_SCHED_EMIT:
            assert_int_equal(p, emitted); /* groups in prompt order, once */
            assert_true(p < admitted);
            assert_int_equal(launched[p], k->n_res);
            assert_int_equal(finished[p], k->n_res);
            sim_free(&c, &root[p]);
            emitted++;
            break;
        default:
            fail_msg("schedule stuck: %d admitted, %d handed back of %d; %d running; %d blocks "
                     "reserved of %d", admitted, emitted, k->n_prompts, running, s.reserved,
                     c.total);
        }
        /* What the cache holds is never more than what the schedule reserved. */
        assert_true(c.used <= s.reserved);
        assert_true(s.reserved <= c.total);
    }
    assert_int_equal(emitted, k->n_prompts);
    assert_int_equal(admitted, k->n_prompts);
    assert_int_equal(c.used, 0);
    assert_int_equal(s.reserved, 0);
    assert_int_equal(s.active, 0);
    lb_sampler_sched_free(&s);
    return actions;
}

static void random_case(scase_t *k) {
    memset(k, 0, sizeof *k);
    k->n_prompts = rnd(0, MAXP);
    k->n_res = rnd(1, MAXR);
    k->batch = rnd(1, 12);
    k->in_flight = rnd(1, 5);
    static const int bss[] = {1, 2, 3, 4, 16};
    k->bs = bss[rnd(0, 4)];
    k->extra = chance(0.3) ? 0 : rnd(0, 40);
    int short_new = chance(0.2); /* many limits of 0 or 1: results that end at launch */
    for (int p = 0; p < k->n_prompts; p++) {
        k->len[p] = rnd(1, 48);
        k->max_new[p] = short_new ? rnd(0, 1) : rnd(0, 24);
    }
    static const double pf[] = {0, 0.1, 0.5, 0.95, 1};
    k->p_first = pf[rnd(0, 4)];
    k->p_step = chance(0.3) ? 0 : uniform() * 0.5;
}

static void test_sched_random(void **state) {
    (void)state;
    rng = 20240611;
    long actions = 0;
    for (int i = 0; i < 20000; i++) {
        scase_t k;
        random_case(&k);
        actions += run_case(&k);
    }
    assert_true(actions > 100000); /* the cases did exercise the schedule */
}

/* The demo's failure, made small: every result of every prompt ends at its first token (an
 * EOS with probability > top-p), so no sequence ever runs; prompts fill the in-flight places
 * or the blocks without a decode step in between. */
static void test_sched_all_end_at_first_token(void **state) {
    (void)state;
    rng = 7;
    for (int in_flight = 1; in_flight <= 4; in_flight++)
        for (int extra = 0; extra <= 8; extra++) {
            scase_t k = {.n_prompts = 12, .n_res = 5, .batch = 4, .in_flight = in_flight,
                         .bs = 4, .extra = extra, .p_first = 1, .p_step = 0};
            for (int p = 0; p < k.n_prompts; p++) {
                k.len[p] = 3 + 5 * p % 17;
                k.max_new[p] = 56;
            }
            run_case(&k);
        }
}

/* Every result runs to its limit, so all of a batch end at the same step. */
static void test_sched_all_end_together(void **state) {
    (void)state;
    rng = 8;
    for (int batch = 1; batch <= 10; batch++) {
        scase_t k = {.n_prompts = 9, .n_res = 3, .batch = batch, .in_flight = batch / 3 + 2,
                     .bs = 16, .extra = 1, .p_first = 0, .p_step = 0};
        for (int p = 0; p < k.n_prompts; p++) {
            k.len[p] = 20;
            k.max_new[p] = 8;
        }
        run_case(&k);
    }
}

static void test_sched_init_checks(void **state) {
    (void)state;
    lb_sampler_sched_t s;
    lb_error_t err;
    int rb[2] = {2, 3}, sb[2] = {1, 2};
    assert_int_equal(lb_sampler_sched_init(&s, 2, rb, sb, 1, 1, 1, 4, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "prompt 1"));
    assert_int_equal(lb_sampler_sched_init(&s, 2, rb, sb, 0, 1, 1, 9, &err), LB_EINVAL);
    assert_int_equal(lb_sampler_sched_init(&s, 2, rb, sb, 1, 1, 1, 5, &err), 0);
    lb_sampler_sched_free(&s);
    /* No prompts: done at once. */
    assert_int_equal(lb_sampler_sched_init(&s, 0, rb, sb, 3, 2, 2, 0, &err), 0);
    lb_sched_action_t a;
    assert_int_equal(lb_sampler_sched_next(&s, &a), LB_SCHED_DONE);
    lb_sampler_sched_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched_init_checks),
        cmocka_unit_test(test_sched_all_end_at_first_token),
        cmocka_unit_test(test_sched_all_end_together),
        cmocka_unit_test(test_sched_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
