/* The runner: one arena planned at creation, and the forward pass of each family on it. */
#include "internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct lb_model_runner {
    const lb_model_t *m;
    int max_seqs, max_tokens, max_ctx, all_logits, n_threads;
    int batch_invariant;   /* every product through lb_model_matmul_forward_inv */
    lb_arena_t arena;
    float *x;        /* (T, D) residual stream */
    float *xn;       /* (T, D) normed input of a sublayer */
    float *qkv;      /* (T, qd + 2 kd) */
    float *att;      /* (T, qd) attention output */
    float *h1, *h2;  /* (T, I) MLP hidden (h2: SwiGLU's up projection) */
    float *last;     /* (max_seqs, D) final hidden state of each sequence's last token */
    float *logits;   /* (max_seqs, V), or (T, V) with all_logits */
    float *scratch;  /* (n_threads, scr_stride) attention scores */
    size_t scr_stride;
    float *cos_t, *sin_t;   /* (max_ctx, rotary_dim / 2) */
    int *pos;        /* (T,) position of each token */
    int *tok_off;    /* (max_seqs + 1,) first token of each sequence */
    int *pos0;       /* (max_seqs,) cache length of each sequence before the call */
    int *ones;       /* (max_seqs,) for lb_model_decode */
};

/* HF's default inv_freq, with the llama3 adjustment (_compute_llama3_parameters), in fp32 as
 * HF computes it; then cos/sin of position * inv_freq. */
void lb_model_rope_tables(const lb_model_config_t *g, int max_ctx, float *cos_t, float *sin_t) {
    int half = g->rotary_dim / 2;
    for (int i = 0; i < half; i++) {
        float inv = 1.0f / powf((float)g->rope_theta, (float)(2 * i) / (float)g->rotary_dim);
        if (g->rope_llama3) {
            float factor = (float)g->rope_factor, lo = (float)g->rope_low_freq_factor;
            float hi = (float)g->rope_high_freq_factor, old = (float)g->rope_original_max_pos;
            float lo_wl = old / lo, hi_wl = old / hi;
            float wl = 2.0f * (float)M_PI / inv;
            float adj = wl > lo_wl ? inv / factor : inv;
            if (!(wl < hi_wl) && !(wl > lo_wl)) {
                float smooth = (old / wl - lo) / (hi - lo);
                adj = (1.0f - smooth) * adj / factor + smooth * adj;
            }
            inv = adj;
        }
        for (int p = 0; p < max_ctx; p++) {
            float a = (float)p * inv;
            cos_t[(size_t)p * half + i] = cosf(a);
            sin_t[(size_t)p * half + i] = sinf(a);
        }
    }
}

#define ALLOC(ptr, count) \
    do { if (!((ptr) = lb_arena_alloc(&r->arena, (size_t)(count) * sizeof *(ptr)))) goto oom; } \
    while (0)

/* The arena's size in bytes (floats, then ints, plus alignment slack) and the attention
 * scratch stride, for the given sizes (already validated and adjusted). */
static size_t plan_bytes(const lb_model_t *m, int max_seqs, int max_tokens, int max_ctx,
                         int all_logits, int n_threads, size_t *scr_stride) {
    const lb_model_config_t *g = &m->cfg;
    size_t T = (size_t)max_tokens, D = (size_t)g->hidden_size, V = (size_t)g->vocab_size;
    size_t qd = (size_t)g->n_heads * g->head_dim, kd = (size_t)g->n_kv_heads * g->head_dim;
    size_t I = (size_t)g->intermediate_size, half = (size_t)g->rotary_dim / 2;
    size_t S = (size_t)max_seqs, L = all_logits ? (T > S ? T : S) : S;
    size_t fresh = (size_t)LB_MODEL_ATT_CHUNK * (size_t)(max_tokens < max_ctx ? max_tokens
                                                                               : max_ctx);
    size_t stride = fresh > (size_t)max_ctx ? fresh : (size_t)max_ctx;
    size_t I2 = g->arch == LB_ARCH_LLAMA ? I : 0;   /* SwiGLU's second hidden buffer */
    size_t fl = T * D * 2 + T * (qd + 2 * kd) + T * qd + T * (I + I2) + S * D + L * V +
                (size_t)n_threads * stride + 2 * (size_t)max_ctx * half;
    size_t ints = T + 3 * S + 1;
    if (scr_stride) *scr_stride = stride;
    return fl * sizeof(float) + ints * sizeof(int) + 32 * 64;
}

size_t lb_model_runner_plan_bytes(const lb_model_t *m, int max_seqs, int max_tokens, int max_ctx,
                                  int all_logits) {
    const lb_model_config_t *g = &m->cfg;
    if (max_ctx == 0) max_ctx = g->max_position_embeddings;
    if (max_seqs < 1 || max_tokens < 1 || max_ctx < 1) return 0;
    if (max_tokens < max_seqs) max_tokens = max_seqs;
    return plan_bytes(m, max_seqs, max_tokens, max_ctx, all_logits, omp_get_max_threads(), NULL);
}

int lb_model_runner_create(const lb_model_t *m, int max_seqs, int max_tokens, int max_ctx,
                           int all_logits, lb_model_runner_t **out, lb_error_t *err) {
    *out = NULL;
    const lb_model_config_t *g = &m->cfg;
    if (max_ctx == 0) max_ctx = g->max_position_embeddings;
    if (max_seqs < 1 || max_tokens < 1 || max_ctx < 1)
        return lb_error_set(err, LB_EINVAL, "runner: sizes must be positive");
    if (max_ctx > g->max_position_embeddings && g->arch == LB_ARCH_GPT2)
        return lb_error_set(err, LB_EINVAL, "runner: max_ctx %d exceeds n_positions %d",
                            max_ctx, g->max_position_embeddings);
    if (max_tokens < max_seqs) max_tokens = max_seqs;   /* a decode step of every sequence */
    lb_model_runner_t *r = calloc(1, sizeof *r);
    if (!r) return lb_error_set(err, LB_ENOMEM, "runner: out of memory");
    r->m = m;
    r->max_seqs = max_seqs;
    r->max_tokens = max_tokens;
    r->max_ctx = max_ctx;
    r->all_logits = all_logits;
    r->n_threads = omp_get_max_threads();
    size_t T = (size_t)max_tokens, D = (size_t)g->hidden_size, V = (size_t)g->vocab_size;
    size_t qd = (size_t)g->n_heads * g->head_dim, kd = (size_t)g->n_kv_heads * g->head_dim;
    size_t I = (size_t)g->intermediate_size, half = (size_t)g->rotary_dim / 2;
    size_t S = (size_t)max_seqs, L = all_logits ? (T > S ? T : S) : S;
    size_t I2 = g->arch == LB_ARCH_LLAMA ? I : 0;   /* SwiGLU's second hidden buffer */
    size_t bytes = plan_bytes(m, max_seqs, max_tokens, max_ctx, all_logits, r->n_threads,
                              &r->scr_stride);
    int rc = lb_arena_init(&r->arena, bytes, err);
    if (rc) {
        free(r);
        return rc;
    }
    ALLOC(r->x, T * D);
    ALLOC(r->xn, T * D);
    ALLOC(r->qkv, T * (qd + 2 * kd));
    ALLOC(r->att, T * qd);
    ALLOC(r->h1, T * I);
    if (I2) ALLOC(r->h2, T * I2);
    ALLOC(r->last, S * D);
    ALLOC(r->logits, L * V);
    ALLOC(r->scratch, (size_t)r->n_threads * r->scr_stride);
    if (half) {
        ALLOC(r->cos_t, (size_t)max_ctx * half);
        ALLOC(r->sin_t, (size_t)max_ctx * half);
        lb_model_rope_tables(g, max_ctx, r->cos_t, r->sin_t);
    }
    ALLOC(r->pos, T);
    ALLOC(r->tok_off, S + 1);
    ALLOC(r->pos0, S);
    ALLOC(r->ones, S);
    for (int i = 0; i < max_seqs; i++) r->ones[i] = 1;
    *out = r;
    return 0;
oom:
    lb_model_runner_free(r);
    return lb_error_set(err, LB_ENOMEM, "runner: arena plan too small (internal error)");
}

void lb_model_runner_free(lb_model_runner_t *r) {
    if (!r) return;
    lb_arena_free(&r->arena);
    free(r);
}

void lb_model_runner_set_batch_invariant(lb_model_runner_t *r, int on) {
    r->batch_invariant = on != 0;
}

/* out (T, OC) = beta*out + inp (T, C) @ w (+ bias), by the runner's mode. */
static void matmul(lb_model_runner_t *r, float *out, const float *inp, const float *w,
                   const float *bias, int T, int C, int OC, int w_in_out, float beta) {
    if (r->batch_invariant)
        lb_model_matmul_forward_inv(out, inp, w, bias, T, C, OC, w_in_out, beta);
    else
        lb_model_matmul_forward(out, inp, w, bias, T, C, OC, w_in_out, beta);
}

size_t lb_model_runner_bytes(const lb_model_runner_t *r) { return r->arena.cap; }

/* The fp32 data of a vector (always widened at load), or NULL for an absent bias. */
static const float *wf(const lb_weight_t *w) { return w->f32; }

/* out (T, OC) = beta*out + inp (T, C) @ w (+ b). A widened matrix goes by the runner's mode; a
 * matrix kept in the file is read in place: F32 by sgemm or the invariant kernel, F16/BF16
 * always by the invariant kernel, which widens it while packing. */
static void linear_w(lb_model_runner_t *r, float *out, const float *inp, const lb_weight_t *w,
                     const float *bias, int T, int C, int OC, int in_out, float beta) {
    if (w->f32) {
        matmul(r, out, inp, w->f32, bias, T, C, OC, in_out, beta);
        return;
    }
    const lb_st_tensor_t *t = w->src;
    if (t->dtype == LB_DTYPE_F32 && !r->batch_invariant)
        lb_model_matmul_forward(out, inp, (const float *)t->data, bias, T, C, OC, in_out, beta);
    else
        lb_model_matmul_inv(out, inp, t->data, t->dtype, bias, T, C, OC, in_out, beta);
}

/* out (T, OC) = beta*out + inp (T, C) @ w (+ b). */
static void linear(lb_model_runner_t *r, float *out, const float *inp, const lb_weight_t *w,
                   const lb_weight_t *b, int T, float beta) {
    int in_out = r->m->cfg.arch == LB_ARCH_GPT2;   /* Conv1D: (in, out) */
    int C = in_out ? w->rows : w->cols, OC = in_out ? w->cols : w->rows;
    linear_w(r, out, inp, w, wf(b), T, C, OC, in_out, beta);
}

static void norm(lb_model_runner_t *r, float *out, const float *inp, const lb_weight_t *w,
                 const lb_weight_t *b, int T) {
    const lb_model_config_t *g = &r->m->cfg;
    if (g->arch == LB_ARCH_LLAMA)
        lb_model_rmsnorm_forward(out, inp, w->f32, T, g->hidden_size, g->norm_eps);
    else
        lb_model_layernorm_forward(out, inp, w->f32, b->f32, T, g->hidden_size, g->norm_eps);
}

static void activation(const lb_model_config_t *g, float *x, size_t n) {
    if (g->act == LB_ACT_GELU) lb_model_gelu_forward(x, n);
    else lb_model_gelu_new_forward(x, n);
}

static void embed(lb_model_runner_t *r, const int32_t *tokens, int T) {
    const lb_model_t *m = r->m;
    int D = m->cfg.hidden_size;
    #pragma omp parallel for schedule(static) if ((size_t)T * D >= LB_PAR_MIN)
    for (int t = 0; t < T; t++) {
        float *x = r->x + (size_t)t * D;
        if (m->wte.f32) memcpy(x, m->wte.f32 + (size_t)tokens[t] * D, (size_t)D * sizeof(float));
        else lb_st_to_f32(m->wte.src, (size_t)tokens[t] * D, (size_t)D, x);
        if (m->cfg.arch == LB_ARCH_GPT2) {
            float tmp[256];
            if (!m->wpe.f32)
                for (int o = 0; o < D; o += 256) {
                    int n = D - o < 256 ? D - o : 256;
                    lb_st_to_f32(m->wpe.src, (size_t)r->pos[t] * D + o, (size_t)n, tmp);
                    for (int i = 0; i < n; i++) x[o + i] += tmp[i];
                }
            else
                for (int i = 0; i < D; i++) x[i] += m->wpe.f32[(size_t)r->pos[t] * D + i];
        }
    }
}

/* The attention sublayer on r->xn: projections, RoPE, cache write, attention → r->att. */
static void attention_block(lb_model_runner_t *r, lb_kvcache_t *kv, int l, int n_seqs,
                            const int *seq_ids, int T) {
    const lb_model_config_t *g = &r->m->cfg;
    const lb_layer_t *y = &r->m->layers[l];
    int qd = g->n_heads * g->head_dim, kd = g->n_kv_heads * g->head_dim;
    float *q, *k, *v;
    int ldq, ldkv;
    if (g->arch == LB_ARCH_GPT2) {   /* fused c_attn: rows are [q | k | v] */
        linear(r, r->qkv, r->xn, &y->q_w, &y->q_b, T, 0.0f);
        q = r->qkv, k = q + qd, v = k + kd, ldq = ldkv = qd + 2 * kd;
    } else {
        q = r->qkv, k = q + (size_t)T * qd, v = k + (size_t)T * kd, ldq = qd, ldkv = kd;
        linear(r, q, r->xn, &y->q_w, &y->q_b, T, 0.0f);
        linear(r, k, r->xn, &y->k_w, &y->k_b, T, 0.0f);
        linear(r, v, r->xn, &y->v_w, &y->v_b, T, 0.0f);
    }
    if (g->rotary_dim) {
        lb_model_rope_forward(q, ldq, r->pos, T, g->n_heads, g->head_dim, g->rotary_dim,
                              r->cos_t, r->sin_t);
        lb_model_rope_forward(k, ldkv, r->pos, T, g->n_kv_heads, g->head_dim, g->rotary_dim,
                              r->cos_t, r->sin_t);
    }
    lbi_kvcache_write(kv, l, k, v, ldkv, n_seqs, seq_ids, r->tok_off, r->pos0);
    lbi_model_attention_forward(r->att, q, ldq, k, v, ldkv, kv, l, n_seqs, seq_ids, r->tok_off,
                               r->pos0, g->n_heads, g->sliding_window, r->scratch,
                               r->scr_stride, r->n_threads);
}

static void layer_forward(lb_model_runner_t *r, lb_kvcache_t *kv, int l, int n_seqs,
                          const int *seq_ids, int T) {
    const lb_model_config_t *g = &r->m->cfg;
    const lb_layer_t *y = &r->m->layers[l];
    size_t TI = (size_t)T * g->intermediate_size;
    norm(r, r->xn, r->x, &y->ln1_w, &y->ln1_b, T);
    attention_block(r, kv, l, n_seqs, seq_ids, T);
    /* Residual adds ride on sgemm's beta = 1. */
    linear(r, r->x, r->att, &y->o_w, &y->o_b, T, 1.0f);
    if (g->arch == LB_ARCH_PHI) {
        /* Phi: the MLP reads the same normed input as attention (parallel block). */
        linear(r, r->h1, r->xn, &y->up_w, &y->up_b, T, 0.0f);
        activation(g, r->h1, TI);
        linear(r, r->x, r->h1, &y->down_w, &y->down_b, T, 1.0f);
        return;
    }
    norm(r, r->xn, r->x, &y->ln2_w, &y->ln2_b, T);
    if (g->arch == LB_ARCH_LLAMA) {
        linear(r, r->h1, r->xn, &y->gate_w, &y->gate_b, T, 0.0f);
        linear(r, r->h2, r->xn, &y->up_w, &y->up_b, T, 0.0f);
        lb_model_swiglu_forward(r->h1, r->h1, r->h2, TI);
    } else {
        linear(r, r->h1, r->xn, &y->up_w, &y->up_b, T, 0.0f);
        activation(g, r->h1, TI);
    }
    linear(r, r->x, r->h1, &y->down_w, &y->down_b, T, 1.0f);
}

static int check_call(lb_model_runner_t *r, const lb_kvcache_t *kv, int n_seqs,
                      const int *seq_ids, const int *n_tokens, const int32_t *tokens, int flags,
                      int *T_out, lb_error_t *err) {
    const lb_model_config_t *g = &r->m->cfg;
    if (kv->n_layers != g->n_layers || kv->n_kv_heads != g->n_kv_heads ||
        kv->head_dim != g->head_dim)
        return lb_error_set(err, LB_EINVAL, "forward: the kv cache was made for another model");
    if (n_seqs < 1 || n_seqs > r->max_seqs)
        return lb_error_set(err, LB_EINVAL, "forward: %d sequences (runner allows 1..%d)",
                            n_seqs, r->max_seqs);
    if ((flags & LB_FORWARD_ALL_LOGITS) && !r->all_logits)
        return lb_error_set(err, LB_EINVAL,
                            "forward: all logits asked of a runner created without them");
    long T = 0;
    for (int i = 0; i < n_seqs; i++) {
        int s = seq_ids[i];
        if (s < 0 || s >= kv->max_seqs || !kv->seqs[s].live)
            return lb_error_set(err, LB_EINVAL, "forward: sequence %d is not live", s);
        for (int j = 0; j < i; j++)
            if (seq_ids[j] == s)
                return lb_error_set(err, LB_EINVAL, "forward: sequence %d appears twice", s);
        if (n_tokens[i] < 1)
            return lb_error_set(err, LB_EINVAL, "forward: sequence %d gets %d tokens", s,
                                n_tokens[i]);
        long end = (long)kv->seqs[s].len + n_tokens[i];
        if (end > r->max_ctx || end > kv->max_seq_len)
            return lb_error_set(err, LB_EINVAL,
                                "forward: sequence %d would reach %ld positions (limit %d)", s,
                                end, r->max_ctx < kv->max_seq_len ? r->max_ctx
                                                                  : kv->max_seq_len);
        T += n_tokens[i];
        if (T > r->max_tokens)
            return lb_error_set(err, LB_EINVAL, "forward: more than %d tokens in one call",
                                r->max_tokens);
    }
    for (long t = 0; t < T; t++)
        if (tokens[t] < 0 || tokens[t] >= g->vocab_size)
            return lb_error_set(err, LB_EINVAL, "forward: token %ld is %d, outside [0, %d)", t,
                                (int)tokens[t], g->vocab_size);
    *T_out = (int)T;
    return 0;
}

int lb_model_forward(lb_model_runner_t *r, lb_kvcache_t *kv, int n_seqs, const int *seq_ids,
                     const int *n_tokens, const int32_t *tokens, int flags,
                     const float **logits, lb_error_t *err) {
    const lb_model_t *m = r->m;
    const lb_model_config_t *g = &m->cfg;
    int T = 0, rc = check_call(r, kv, n_seqs, seq_ids, n_tokens, tokens, flags, &T, err);
    if (rc) return rc;
    if ((rc = lbi_kvcache_reserve(kv, n_seqs, seq_ids, n_tokens, err))) return rc;
    r->tok_off[0] = 0;
    for (int i = 0; i < n_seqs; i++) {
        r->pos0[i] = kv->seqs[seq_ids[i]].len;
        r->tok_off[i + 1] = r->tok_off[i] + n_tokens[i];
        for (int t = r->tok_off[i]; t < r->tok_off[i + 1]; t++)
            r->pos[t] = r->pos0[i] + (t - r->tok_off[i]);
    }
    embed(r, tokens, T);
    for (int l = 0; l < g->n_layers; l++) layer_forward(r, kv, l, n_seqs, seq_ids, T);
    lbi_kvcache_advance(kv, n_seqs, seq_ids, n_tokens);

    int D = g->hidden_size, rows;
    float *h;
    if (flags & LB_FORWARD_ALL_LOGITS) {
        h = r->xn, rows = T;
        norm(r, h, r->x, &m->lnf_w, &m->lnf_b, T);
    } else {
        /* Only each sequence's last token needs the final norm and the head. */
        h = r->last, rows = n_seqs;
        for (int i = 0; i < n_seqs; i++)
            memcpy(h + (size_t)i * D, r->x + (size_t)(r->tok_off[i + 1] - 1) * D,
                   (size_t)D * sizeof(float));
        norm(r, h, h, &m->lnf_w, &m->lnf_b, n_seqs);
    }
    /* The head is (V, D) as nn.Linear / nn.Embedding store it, for every family. */
    linear_w(r, r->logits, h, &m->head_w, wf(&m->head_b), rows, D, g->vocab_size, 0, 0.0f);
    *logits = r->logits;
    return 0;
}

int lb_model_decode(lb_model_runner_t *r, lb_kvcache_t *kv, int n_seqs, const int *seq_ids,
                    const int32_t *tokens, const float **logits, lb_error_t *err) {
    if (n_seqs < 1 || n_seqs > r->max_seqs)
        return lb_error_set(err, LB_EINVAL, "decode: %d sequences (runner allows 1..%d)",
                            n_seqs, r->max_seqs);
    return lb_model_forward(r, kv, n_seqs, seq_ids, r->ones, tokens, 0, logits, err);
}
