/* The many-sample sampler: shared-prompt prefill, forked continuations decoded as one batch,
 * continuous batching over several prompts in flight, KV memory kept under a budget.
 *
 * Scheduling, in one loop that does what the schedule (sched.c, lb_sampler_sched_next) says:
 * hand back the oldest prompt group once complete; launch pending samples of the prompts in
 * flight, oldest prompt first, while a batch slot and their worst-case KV blocks are free;
 * admit (prefill) a prompt only when no admitted prompt has a sample left to launch; else one
 * decode step over every live sequence. Draws are keyed by (seed, prompt key, sample, step),
 * so which sequences share a batch never changes a result. */
#include "sampler_internal.h"

#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "leakbound/kvcache.h"

lb_sampler_opts_t lb_sampler_defaults(void) {
    lb_sampler_opts_t o;
    memset(&o, 0, sizeof o);
    o.warp = lb_sample_warp_defaults();
    o.n_samples = 1;
    o.max_new_tokens = -1;
    o.max_length = 20;
    o.confidence = LB_CONFIDENCE_MAXPROB;
    o.confidence_threshold = 0.9;
    return o;
}

int lb_sampler_check(const lb_sampler_opts_t *o, lb_error_t *err) {
    int rc = lb_sample_warp_check(&o->warp, err);
    if (rc) return rc;
    if (!(o->min_p >= 0 && o->min_p <= 1))
        return lb_error_set(err, LB_EINVAL, "min_p must be in [0, 1] (got %g)", o->min_p);
    if (o->n_samples < 0) return lb_error_set(err, LB_EINVAL, "n_samples must be >= 0");
    if (o->first_sample < 0 || o->first_sample > INT_MAX - o->n_samples)
        return lb_error_set(err, LB_EINVAL, "first_sample must be in [0, %d] (got %d)",
                            INT_MAX - o->n_samples, o->first_sample);
    if (o->max_new_tokens < 0 && o->max_length < 0)
        return lb_error_set(err, LB_EINVAL, "set max_new_tokens or max_length");
    if (o->batch < 0) return lb_error_set(err, LB_EINVAL, "batch must be >= 0");
    if (o->n_eos < 0 || o->n_stop < 0) return lb_error_set(err, LB_EINVAL, "bad eos/stop count");
    if (o->adaptive) {
        if (!(o->low_temperature >= 0) || !isfinite(o->low_temperature))
            return lb_error_set(err, LB_EINVAL, "low_temperature must be >= 0 (got %g)",
                                o->low_temperature);
        if (!(o->confidence_threshold >= 0 && o->confidence_threshold <= 1))
            return lb_error_set(err, LB_EINVAL, "confidence_threshold must be in [0, 1] (got %g)",
                                o->confidence_threshold);
    }
    return LB_OK;
}

/* A field added to lb_sampler_opts_t changes its size: place it in lb_sampler_opts_hash (hashed,
 * or listed as not shaping a result) and update the size here and in tests/sample. */
_Static_assert(sizeof(void *) != 8 || sizeof(lb_sampler_opts_t) == 160,
               "lb_sampler_opts_t changed: update lb_sampler_opts_hash");

static uint64_t mix(uint64_t h, const void *p, size_t len) {
    return h * 1099511628211ull ^ lb_sample_key_hash((const char *)p, len);
}
static uint64_t mix_l(uint64_t h, long long v) { return mix(h, &v, sizeof v); }
static uint64_t mix_d(uint64_t h, double v) { return mix(h, &v, sizeof v); }

uint64_t lb_sampler_opts_hash(const lb_sampler_opts_t *o) {
    uint64_t h = 0;
    h = mix_d(h, o->warp.temperature);
    h = mix_l(h, o->warp.top_k);
    h = mix_d(h, o->warp.top_p);
    h = mix_d(h, o->min_p);
    h = mix_l(h, o->n_samples);
    h = mix_l(h, o->first_sample);
    h = mix_l(h, o->greedy_too);
    h = mix_l(h, o->max_new_tokens);
    h = mix_l(h, o->max_length);
    h = mix_l(h, o->n_eos);
    if (o->n_eos > 0 && o->eos) h = mix(h, o->eos, (size_t)o->n_eos * sizeof *o->eos);
    h = mix_l(h, o->n_stop);
    for (int i = 0; i < o->n_stop && o->stop; i++)
        h = o->stop[i] ? mix(h, o->stop[i], strlen(o->stop[i]) + 1) : mix_l(h, -1);
    h = mix(h, &o->seed, sizeof o->seed);
    /* batch, kv_budget, on_token: no result depends on them */
    h = mix_l(h, o->adaptive);
    h = mix_l(h, (long long)o->confidence);
    h = mix_d(h, o->confidence_threshold);
    h = mix_d(h, o->low_temperature);
    h = mix_l(h, o->record_temperatures);
    return h;
}

long lb_sampler_max_new(const lb_sampler_opts_t *o, size_t n_prompt, int ctx) {
    long n = o->max_new_tokens >= 0 ? o->max_new_tokens : o->max_length - (long)n_prompt;
    if (n < 0) n = 0;
    if ((long)n_prompt + n > ctx) n = ctx - (long)n_prompt;
    return n < 0 ? 0 : n;
}

/* A prompt in flight and its group's results. */
typedef struct pslot {
    size_t prompt;
    int root;                 /* kv sequence holding the prompt */
    uint64_t hash;
    long max_new;
    float *logits;            /* (V,) logits after the prompt's last token */
    int32_t *tokens;          /* (n_res, max_new_all) */
    float *temps;             /* (n_res, max_new_all) */
    int *n_tok;               /* (n_res,) */
    lb_finish_t *finish;      /* (n_res,) */
    char **text;              /* (n_res,) malloc'd by the tokenizer */
    size_t *text_len;         /* (n_res,) */
} pslot_t;

/* A live sequence of the decode batch. */
typedef struct seq {
    int live;
    int kv;
    int ps;                   /* its pslot */
    int res;                  /* result index in the pslot (0 = greedy when greedy_too) */
    int n;                    /* tokens generated */
    int32_t next;             /* token to feed at the next step */
    int done;                 /* set by the step when this sequence finished */
    lb_finish_t why;
} seq_t;

typedef struct sampler {
    const lb_model_t *m;
    const lb_tokenizer_t *tok;
    const lb_sampler_prompt_t *prompts;
    size_t n_prompts;
    const lb_sampler_opts_t *o;
    int V, ctx, B, P, n_res, bs;
    long max_new_all;
    lb_kvcache_t *kv;
    lb_model_runner_t *run;
    lb_sampler_sched_t sc;    /* admission, launches, emission and the blocks they reserve */
    int *root_blk, *smp_blk;  /* (n_prompts,) blocks of each prompt's cache and of a sample */
    pslot_t *ps;              /* (P,) prompt p lives in slot p % P */
    seq_t *seqs;              /* (B,) */
    int nthreads;
    float *work;              /* (nthreads, V) */
    unsigned char *scratch;   /* (nthreads, scratch_bytes) */
    size_t scratch_bytes;
    int *ids, *map;           /* (B,) decode call: kv ids, seq index */
    int32_t *feed;            /* (B,) */
    int32_t *filt;            /* (max_new_all,) ids handed to the tokenizer's decode */
    lb_sample_result_t *res;  /* (n_res,) */
    lb_sampler_progress_t prog;
    struct timespec t0;
    void *user;               /* lb_sampler_run's, for o->on_token */
} sampler_t;

static double now_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* A size for messages: bytes, KiB or MiB, whichever reads best (a tiny budget is not "0.0 MiB"). */
static void human_bytes(double b, char *buf, size_t cap) {
    if (b >= 1048576.0) snprintf(buf, cap, "%.1f MiB", b / 1048576.0);
    else if (b >= 1024.0) snprintf(buf, cap, "%.1f KiB", b / 1024.0);
    else snprintf(buf, cap, "%.0f B", b);
}

static int ceil_div(long a, long b) { return (int)((a + b - 1) / b); }

/* Blocks a sample may write: positions [plen, plen + max_new - 1) (its last token is never fed
 * back); every block it touches is new or a copy-on-write of the prompt's partial block. */
static int sample_blocks(long plen, long max_new, int bs) {
    if (max_new < 2) return 0;
    return (int)((plen + max_new - 2) / bs - plen / bs + 1);
}

static int is_eos(const lb_sampler_opts_t *o, int32_t t) {
    for (int i = 0; i < o->n_eos; i++)
        if (o->eos[i] == t) return 1;
    return 0;
}

/* Decode a result skipping special tokens; ids the tokenizer does not know (a model vocabulary
 * padded past the tokenizer's) are dropped, as Hugging Face's decode drops them. */
static int decode_text(sampler_t *s, const int32_t *t, int n, char **text, size_t *len,
                       lb_error_t *err) {
    size_t nv = lb_tokenizer_vocab_size(s->tok), k = 0;
    int32_t *f = s->filt;
    for (int i = 0; i < n; i++)
        if (t[i] >= 0 && (size_t)t[i] < nv) f[k++] = t[i];
    return lb_tokenizer_decode(s->tok, f, k, 1, text, len, err);
}

static int hits_stop(sampler_t *s, const int32_t *t, int n) {
    char *text = NULL;
    size_t len = 0;
    lb_error_t e;
    int hit = 0;
    /* A private buffer: this runs on several threads at once. */
    size_t nv = lb_tokenizer_vocab_size(s->tok);
    int32_t *f = malloc((size_t)(n > 0 ? n : 1) * sizeof *f);
    if (!f) return 0;
    size_t k = 0;
    for (int i = 0; i < n; i++)
        if (t[i] >= 0 && (size_t)t[i] < nv) f[k++] = t[i];
    if (lb_tokenizer_decode(s->tok, f, k, 1, &text, &len, &e) == 0) {
        for (int j = 0; j < s->o->n_stop && !hit; j++)
            if (s->o->stop[j][0] && memmem(text, len, s->o->stop[j], strlen(s->o->stop[j])))
                hit = 1;
        free(text);
    }
    free(f);
    return hit;
}

/* Record a finished result: decode its text, release its sequence and blocks. */
static int finish_result(sampler_t *s, int psi, int r, int n, lb_finish_t why, int kv_seq,
                         lb_error_t *err) {
    pslot_t *p = &s->ps[psi];
    p->n_tok[r] = n;
    p->finish[r] = why;
    int rc = decode_text(s, p->tokens + (size_t)r * s->max_new_all, n, &p->text[r],
                         &p->text_len[r], err);
    if (rc) return rc;
    if (kv_seq >= 0) lb_kvcache_seq_free(s->kv, kv_seq);
    lb_sampler_sched_finish(&s->sc, psi);
    s->prog.samples_done++;
    return LB_OK;
}

/* How the token just appended ends the sequence, or -1. */
static int end_reason(sampler_t *s, const pslot_t *p, const int32_t *t, int n) {
    if (is_eos(s->o, t[n - 1])) return LB_FINISH_EOS;
    if (s->o->n_stop > 0 && hits_stop(s, t, n)) return LB_FINISH_STOP;
    if (n >= p->max_new) return LB_FINISH_LENGTH;
    return -1;
}

/* Result r of a group: the greedy one first (when asked), then samples from first_sample on. */
static int sample_index(const sampler_t *s, int r) {
    int g = s->o->greedy_too ? 1 : 0;
    return r < g ? -1 : r - g + s->o->first_sample;
}

/* Start result r of slot psi: fork the prompt, choose its first token from the prompt's logits. */
static int launch(sampler_t *s, int psi, int r, lb_error_t *err) {
    pslot_t *p = &s->ps[psi];
    if (p->max_new == 0) return finish_result(s, psi, r, 0, LB_FINISH_LENGTH, -1, err);
    int32_t *t = p->tokens + (size_t)r * s->max_new_all;
    float *temp = p->temps + (size_t)r * s->max_new_all;
    int idx = sample_index(s, r);
    int tk = lbi_sampler_choose(s->o, idx < 0, p->logits, s->V, s->work, s->scratch, p->hash,
                               (uint32_t)idx, 0, temp);
    if (tk < 0)
        return lb_error_set(err, LB_EINVAL, "prompt '%s': the model's logits are all -inf or NaN",
                            s->prompts[p->prompt].key);
    t[0] = tk;
    s->prog.tokens++;
    int why = end_reason(s, p, t, 1);
    if (s->o->on_token) {
        int rc = s->o->on_token(s->user, p->prompt, idx, t, 1, why >= 0, err);
        if (rc) return rc;
    }
    if (why >= 0) return finish_result(s, psi, r, 1, (lb_finish_t)why, -1, err);
    int k = 0;
    while (s->seqs[k].live) k++; /* a free slot exists: the schedule keeps <= B running */
    int kvs = lb_kvcache_seq_fork(s->kv, p->root, err);
    if (kvs < 0) return kvs;
    s->seqs[k] = (seq_t){.live = 1, .kv = kvs, .ps = psi, .res = r, .n = 1, .next = tk};
    return LB_OK;
}

/* Prefill prompt pi into slot psi. */
static int admit(sampler_t *s, size_t pi, int psi, lb_error_t *err) {
    const lb_sampler_prompt_t *pr = &s->prompts[pi];
    pslot_t *p = &s->ps[psi];
    p->prompt = pi;
    p->hash = lb_sample_key_hash(pr->key, strlen(pr->key));
    p->max_new = lb_sampler_max_new(s->o, pr->n_ids, s->ctx);
    int root = lb_kvcache_seq_new(s->kv, err);
    if (root < 0) return root;
    p->root = root;
    int n = (int)pr->n_ids;
    const float *logits;
    int rc = lb_model_forward(s->run, s->kv, 1, &root, &n, pr->ids, 0, &logits, err);
    if (rc) {
        lb_error_prefix(err, "prompt '%s'", pr->key);
        return rc;
    }
    memcpy(p->logits, logits, (size_t)s->V * sizeof *logits);
    return LB_OK;
}

/* Hand back the complete group of slot psi and release the prompt's cache. */
static int emit_group(sampler_t *s, int psi, lb_sampler_emit_fn emit, void *user,
                      lb_error_t *err) {
    pslot_t *p = &s->ps[psi];
    for (int r = 0; r < s->n_res; r++) {
        s->res[r] = (lb_sample_result_t){
            .index = sample_index(s, r),
            .tokens = p->tokens + (size_t)r * s->max_new_all,
            .n_tokens = p->n_tok[r],
            .text = p->text[r],
            .text_len = p->text_len[r],
            .finish = p->finish[r],
            .temperatures = s->o->record_temperatures ? p->temps + (size_t)r * s->max_new_all
                                                      : NULL};
    }
    int rc = emit ? emit(user, p->prompt, s->res, s->n_res, err) : 0;
    for (int r = 0; r < s->n_res; r++) {
        free(p->text[r]);
        p->text[r] = NULL;
    }
    if (rc) return rc;
    lb_kvcache_seq_free(s->kv, p->root);
    s->prog.prompts_done++;
    return LB_OK;
}

/* One decode step over every live sequence. */
static int step(sampler_t *s, lb_error_t *err) {
    int a = 0;
    for (int k = 0; k < s->B; k++)
        if (s->seqs[k].live) {
            s->ids[a] = s->seqs[k].kv;
            s->feed[a] = s->seqs[k].next;
            s->map[a++] = k;
        }
    const float *logits;
    int rc = lb_model_decode(s->run, s->kv, a, s->ids, s->feed, &logits, err);
    if (rc) return rc;
    int bad = -1;
    #pragma omp parallel for num_threads(s->nthreads) schedule(dynamic, 4)
    for (int i = 0; i < a; i++) {
        int th = omp_get_thread_num();
        seq_t *q = &s->seqs[s->map[i]];
        pslot_t *p = &s->ps[q->ps];
        int32_t *t = p->tokens + (size_t)q->res * s->max_new_all;
        float *temp = p->temps + (size_t)q->res * s->max_new_all;
        int idx = sample_index(s, q->res);
        int tk = lbi_sampler_choose(s->o, idx < 0, logits + (size_t)i * s->V, s->V,
                                   s->work + (size_t)th * s->V, s->scratch + (size_t)th * s->scratch_bytes,
                                   p->hash, (uint32_t)idx, (uint32_t)q->n, temp + q->n);
        if (tk < 0) {
            #pragma omp critical(lb_sampler_bad)
            if (bad < 0 || i < bad) bad = i;
            continue;
        }
        t[q->n++] = tk;
        q->next = tk;
        int why = end_reason(s, p, t, q->n);
        q->done = why >= 0;
        q->why = why >= 0 ? (lb_finish_t)why : LB_FINISH_LENGTH;
    }
    if (bad >= 0)
        return lb_error_set(err, LB_EINVAL, "prompt '%s': the model's logits are all -inf or NaN",
                            s->prompts[s->ps[s->seqs[s->map[bad]].ps].prompt].key);
    s->prog.tokens += (size_t)a;
    for (int i = 0; i < a && s->o->on_token; i++) {
        const seq_t *q = &s->seqs[s->map[i]];
        const pslot_t *p = &s->ps[q->ps];
        rc = s->o->on_token(s->user, p->prompt, sample_index(s, q->res),
                            p->tokens + (size_t)q->res * s->max_new_all, q->n, q->done, err);
        if (rc) return rc;
    }
    for (int i = 0; i < a; i++) {
        seq_t *q = &s->seqs[s->map[i]];
        if (!q->done) continue;
        rc = finish_result(s, q->ps, q->res, q->n, q->why, q->kv, err);
        if (rc) return rc;
        q->live = 0;
    }
    return LB_OK;
}

static size_t default_budget(void) {
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psz <= 0) return (size_t)1 << 30;
    return (size_t)pages * (size_t)psz / 4;
}

static void sampler_free(sampler_t *s) {
    if (s->ps)
        for (int i = 0; i < s->P; i++) {
            pslot_t *p = &s->ps[i];
            if (p->text)
                for (int r = 0; r < s->n_res; r++) free(p->text[r]);
            free(p->logits);
            free(p->tokens);
            free(p->temps);
            free(p->n_tok);
            free(p->finish);
            free(p->text);
            free(p->text_len);
        }
    free(s->ps);
    free(s->seqs);
    free(s->work);
    free(s->scratch);
    free(s->ids);
    free(s->map);
    free(s->feed);
    free(s->filt);
    free(s->res);
    free(s->root_blk);
    free(s->smp_blk);
    lb_sampler_sched_free(&s->sc);
    lb_model_runner_free(s->run);
    lb_kvcache_free(s->kv);
}

static int allocate(sampler_t *s, lb_error_t *err) {
    size_t V = (size_t)s->V, R = (size_t)s->n_res, L = (size_t)(s->max_new_all > 0 ? s->max_new_all : 1);
    s->ps = calloc((size_t)s->P, sizeof *s->ps);
    s->seqs = calloc((size_t)s->B, sizeof *s->seqs);
    s->scratch_bytes = (lb_sample_scratch_bytes(s->V) + 63) / 64 * 64;
    s->work = malloc((size_t)s->nthreads * V * sizeof *s->work);
    s->scratch = aligned_alloc(64, (size_t)s->nthreads * s->scratch_bytes);
    s->ids = malloc((size_t)s->B * sizeof *s->ids);
    s->map = malloc((size_t)s->B * sizeof *s->map);
    s->feed = malloc((size_t)s->B * sizeof *s->feed);
    s->filt = malloc(L * sizeof *s->filt);
    s->res = calloc(R ? R : 1, sizeof *s->res);
    if (!s->ps || !s->seqs || !s->work || !s->scratch || !s->ids || !s->map || !s->feed ||
        !s->filt || !s->res)
        return lb_error_set(err, LB_ENOMEM, "sampler: out of memory");
    for (int i = 0; i < s->P; i++) {
        pslot_t *p = &s->ps[i];
        p->logits = malloc(V * sizeof *p->logits);
        p->tokens = malloc(R * L * sizeof *p->tokens + 1);
        p->temps = calloc(R * L + 1, sizeof *p->temps);
        p->n_tok = calloc(R + 1, sizeof *p->n_tok);
        p->finish = calloc(R + 1, sizeof *p->finish);
        p->text = calloc(R + 1, sizeof *p->text);
        p->text_len = calloc(R + 1, sizeof *p->text_len);
        if (!p->logits || !p->tokens || !p->temps || !p->n_tok || !p->finish || !p->text ||
            !p->text_len)
            return lb_error_set(err, LB_ENOMEM, "sampler: out of memory");
    }
    return LB_OK;
}

/* Validate prompts; size the batch, the number of prompts in flight and the cache. */
static int plan(sampler_t *s, lb_error_t *err) {
    const lb_model_config_t *cfg = lb_model_config(s->m);
    s->V = cfg->vocab_size;
    s->ctx = cfg->max_position_embeddings;
    s->bs = 16;
    const lb_sampler_opts_t *o = s->o;
    size_t bpt = 2 * (size_t)cfg->n_layers * (size_t)cfg->n_kv_heads * (size_t)cfg->head_dim *
                 sizeof(float);
    size_t budget = o->kv_budget ? o->kv_budget : default_budget();
    long budget_blocks = (long)(budget / (bpt * (size_t)s->bs));
    long max_root = 1, max_sample = 0, max_plen = 1, max_ctx = 1;
    s->max_new_all = 0;
    s->root_blk = malloc(s->n_prompts * sizeof *s->root_blk);
    s->smp_blk = malloc(s->n_prompts * sizeof *s->smp_blk);
    if (!s->root_blk || !s->smp_blk) return lb_error_set(err, LB_ENOMEM, "sampler: out of memory");
    for (size_t i = 0; i < s->n_prompts; i++) {
        const lb_sampler_prompt_t *pr = &s->prompts[i];
        if (pr->n_ids == 0)
            return lb_error_set(err, LB_EINVAL, "prompt '%s' encodes to no tokens", pr->key);
        if ((long)pr->n_ids >= s->ctx)
            return lb_error_set(err, LB_EINVAL, "prompt '%s' is %zu tokens: the model's context "
                                "(%d) leaves no room for a new token", pr->key, pr->n_ids, s->ctx);
        for (size_t j = 0; j < pr->n_ids; j++)
            if (pr->ids[j] < 0 || pr->ids[j] >= s->V)
                return lb_error_set(err, LB_EINVAL, "prompt '%s': token %zu (id %d) is outside the "
                                    "model's vocabulary (%d)", pr->key, j, pr->ids[j], s->V);
        long mn = lb_sampler_max_new(o, pr->n_ids, s->ctx);
        long root = ceil_div((long)pr->n_ids, s->bs), smp = sample_blocks((long)pr->n_ids, mn, s->bs);
        if (root + smp > budget_blocks) {
            char need[32], have[32];
            human_bytes((double)((root + smp) * s->bs) * (double)bpt, need, sizeof need);
            human_bytes((double)budget, have, sizeof have);
            return lb_error_set(err, LB_EINVAL, "prompt '%s' needs %s of KV cache for its %zu tokens "
                                "and one sample of %ld, more than the budget of %s (--kv-budget must "
                                "be at least %s)", pr->key, need, pr->n_ids, mn, have, need);
        }
        s->root_blk[i] = (int)root;
        s->smp_blk[i] = (int)smp;
        if (root > max_root) max_root = root;
        if (smp > max_sample) max_sample = smp;
        if ((long)pr->n_ids > max_plen) max_plen = (long)pr->n_ids;
        if ((long)pr->n_ids + mn > max_ctx) max_ctx = (long)pr->n_ids + mn;
        if (mn > s->max_new_all) s->max_new_all = mn;
    }
    long total = (long)s->n_res * (long)s->n_prompts;
    long B = o->batch > 0 ? o->batch : 256;
    if (B > total) B = total;
    if (max_sample > 0 && B > (budget_blocks - 2 * max_root) / max_sample)
        B = (budget_blocks - 2 * max_root) / max_sample;
    if (B < 1) B = 1;
    long P = B / s->n_res + 2;
    if (P > (long)s->n_prompts) P = (long)s->n_prompts;
    s->B = (int)B;
    s->P = (int)P;
    long blocks = P * max_root + B * max_sample + 1;
    if (blocks > budget_blocks) blocks = budget_blocks;
    s->nthreads = omp_get_max_threads();
    int rc = lb_kvcache_create(s->m, (size_t)blocks * (size_t)s->bs, s->B + s->P, (int)max_ctx,
                               s->bs, &s->kv, err);
    if (!rc)
        rc = lb_model_runner_create(s->m, s->B, (int)(max_plen > B ? max_plen : B), (int)max_ctx, 0,
                                    &s->run, err);
    /* Samples must not depend on the batch: a sequence's logits may not either. */
    if (!rc) lb_model_runner_set_batch_invariant(s->run, 1);
    if (!rc)
        rc = lb_sampler_sched_init(&s->sc, s->n_prompts, s->root_blk, s->smp_blk, s->n_res, s->B,
                                   s->P, lb_kvcache_free_blocks(s->kv), err);
    return rc;
}

void lb_sampler_progress_derive(lb_sampler_progress_t *p, int n_res) {
    p->samples_total = p->prompts_total * (size_t)(n_res > 0 ? n_res : 0);
    double t = p->seconds;
    p->samples_per_s = t > 0 ? (double)p->samples_done / t : 0;
    p->tokens_per_s = t > 0 ? (double)p->tokens / t : 0;
    size_t left = p->samples_total > p->samples_done ? p->samples_total - p->samples_done : 0;
    p->eta_s = p->samples_done ? t * (double)left / (double)p->samples_done : 0;
}

int lb_sampler_run(const lb_model_t *m, const lb_tokenizer_t *tok,
                   const lb_sampler_prompt_t *prompts, size_t n_prompts,
                   const lb_sampler_opts_t *o, lb_sampler_emit_fn emit,
                   lb_sampler_progress_fn progress, void *user, lb_error_t *err) {
    int rc = lb_sampler_check(o, err);
    if (rc) return rc;
    sampler_t s;
    memset(&s, 0, sizeof s);
    s.m = m;
    s.tok = tok;
    s.prompts = prompts;
    s.n_prompts = n_prompts;
    s.o = o;
    s.user = user;
    s.n_res = o->n_samples + (o->greedy_too ? 1 : 0);
    s.prog.prompts_total = n_prompts;
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    if (n_prompts == 0) return LB_OK;
    if (s.n_res == 0) { /* nothing to generate: empty groups, no model call */
        for (size_t i = 0; i < n_prompts && !rc; i++) rc = emit ? emit(user, i, NULL, 0, err) : 0;
        return rc;
    }
    if ((rc = plan(&s, err)) || (rc = allocate(&s, err))) goto done;
    for (;;) {
        lb_sched_action_t act;
        lb_sched_op_t op = lb_sampler_sched_next(&s.sc, &act);
        if (op == LB_SCHED_DONE) break;
        switch (op) {
        case LB_SCHED_EMIT: rc = emit_group(&s, act.slot, emit, user, err); break;
        case LB_SCHED_LAUNCH: rc = launch(&s, act.slot, act.res, err); break;
        case LB_SCHED_ADMIT: rc = admit(&s, act.prompt, act.slot, err); break;
        case LB_SCHED_STEP:
            rc = step(&s, err);
            if (!rc && progress) {
                s.prog.seconds = now_since(&s.t0);
                lb_sampler_progress_derive(&s.prog, s.n_res);
                progress(user, &s.prog);
            }
            break;
        default: /* the schedule's guarantee broken: a bug, reported rather than looped on */
            rc = lb_error_set(err, LB_EINVAL, "sampler: internal error: the schedule is stuck "
                              "with %zu of %zu prompts handed back", s.sc.emitted, n_prompts);
        }
        if (rc) goto done;
    }
    if (progress) {
        s.prog.seconds = now_since(&s.t0);
        lb_sampler_progress_derive(&s.prog, s.n_res);
        progress(user, &s.prog);
    }
done:
    sampler_free(&s);
    return rc;
}

void lb_sampler_mem_plan(const lb_model_t *m, const lb_sampler_prompt_t *prompts, size_t n_prompts,
                         const lb_sampler_opts_t *o, lb_mem_plan_t *plan) {
    const lb_model_config_t *g = lb_model_config(m);
    size_t copied, mapped;
    lb_model_weight_bytes(m, &copied, &mapped);
    long max_plen = 1, max_ctx = 1;
    for (size_t i = 0; i < n_prompts; i++) {
        long n = (long)prompts[i].n_ids, mn = lb_sampler_max_new(o, prompts[i].n_ids,
                                                                 g->max_position_embeddings);
        if (n > max_plen) max_plen = n;
        if (n + (mn > 0 ? mn : 0) > max_ctx) max_ctx = n + (mn > 0 ? mn : 0);
    }
    if (max_ctx > g->max_position_embeddings) max_ctx = g->max_position_embeddings;
    long n_res = o->n_samples + (o->greedy_too ? 1 : 0), seqs = n_res * (long)n_prompts;
    long B = o->batch > 0 ? o->batch : 256;
    if (B > seqs) B = seqs;
    if (B < 1) B = 1;
    long P = B / (n_res > 0 ? n_res : 1) + 2;
    if (P > (long)n_prompts) P = (long)n_prompts;
    double bpt = 2.0 * g->n_layers * g->n_kv_heads * g->head_dim * sizeof(float);
    double budget = o->kv_budget ? (double)o->kv_budget : (double)default_budget();
    double kv = bpt * (double)(B + P) * (double)max_ctx;
    if (kv > budget) kv = budget;
    double scratch = (double)lb_model_runner_plan_bytes(m, (int)B, (int)(max_plen > B ? max_plen : B),
                                                        (int)max_ctx, 0) +
                     (double)(B + P) * g->vocab_size * 2 * sizeof(float);
    *plan = (lb_mem_plan_t){(double)copied + (double)mapped, kv, scratch};
}
