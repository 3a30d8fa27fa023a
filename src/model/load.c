/* Load a checkpoint folder: find and validate every tensor the family needs, widen to fp32. */
#include "internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    lb_model_t *m;
    const lb_st_t *st;
    lb_error_t *err;
    size_t n_floats;      /* pass 1 counts; pass 2 hands out */
    int pass;
    size_t counts[3];     /* parameters per file dtype */
} load_ctx_t;

static void shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

/* Bind w to tensor `name` of shape (rows) or (rows, cols) (cols 0 = a vector). */
static int bind(load_ctx_t *c, lb_weight_t *w, const char *name, int rows, int cols) {
    const lb_st_tensor_t *t = lb_st_find(c->st, name);
    if (!t)
        return lb_error_set(c->err, LB_EFORMAT, "%s: missing tensor %s", c->m->dir, name);
    int ndim = cols ? 2 : 1;
    int64_t want[2] = {rows, cols};
    if (t->ndim != ndim || t->shape[0] != rows || (cols && t->shape[1] != cols)) {
        char got[128], exp[128];
        shape_str(got, sizeof got, t->ndim, t->shape);
        shape_str(exp, sizeof exp, ndim, want);
        return lb_error_set(c->err, LB_EFORMAT,
                            "%s: tensor %s has shape %s, config.json implies %s", c->m->dir,
                            name, got, exp);
    }
    size_t n = (size_t)rows * (size_t)(cols ? cols : 1);
    w->src = t;
    w->rows = rows;
    w->cols = cols ? cols : 1;
    /* Matrices may stay in the file (mapped, in its dtype; the GEMM reads them there); vectors
     * are always widened (tiny, used per row), and so is a matrix whose data is not aligned to
     * its element size (safetensors does not promise it). */
    int widen = !c->m->keep_file_dtype || !cols ||
                (uintptr_t)t->data % lb_dtype_size(t->dtype) != 0;
    if (c->pass == 1) {
        if (widen) c->n_floats += n;
        if (cols && n > c->m->max_matrix) c->m->max_matrix = n;
        if (!widen) c->m->mapped_bytes += t->nbytes;
        c->counts[t->dtype] += n;
        c->m->param_count += n;
        return 0;
    }
    if (widen) {
        w->f32 = c->m->params + c->n_floats;
        c->n_floats += n;
        const size_t chunk = (size_t)1 << 16;   /* widen big matrices on every core */
        #pragma omp parallel for schedule(static) if (n > chunk)
        for (size_t o = 0; o < n; o += chunk)
            lb_st_to_f32(t, o, n - o < chunk ? n - o : chunk, w->f32 + o);
    }
    return 0;
}

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

/* Characters of the family's optional name prefix that m's file leaves out: all of them when
 * the file lacks the table's first tensor under its full name (GPT2Model checkpoints). */
static size_t prefix_dropped(const lb_model_t *m) {
    const lb_model_family_t *f = lb_model_family(m->cfg.arch);
    if (!f->optional_prefix || lb_st_find(m->st, f->specs[0].pattern)) return 0;
    return strlen(f->optional_prefix);
}

/* Bind every tensor of the family's table (model_layout.h) present under the config. */
static int bind_all(load_ctx_t *c, const lb_model_tensor_t *ts, int n) {
    lb_model_t *m = c->m;
    const lb_model_family_t *f = lb_model_family(m->cfg.arch);
    size_t strip = prefix_dropped(m);
    c->n_floats = 0;
    for (int i = 0; i < n; i++) {
        const char *name = ts[i].name;
        if (strip && !strncmp(name, f->optional_prefix, strip)) name += strip;
        TRY(bind(c, lb_model_tensor_slot(m, &ts[i]), name, ts[i].rows, ts[i].cols));
    }
    if (m->cfg.tie_word_embeddings) m->head_w = m->wte;
    return 0;
}

/* Layers the weights hold: 1 + the highest i among tensor names "<prefix><i>.". */
static long weight_layers(const lb_st_t *st, const char *prefix) {
    size_t np = strlen(prefix);
    long n = 0;
    for (size_t i = 0; i < lb_st_count(st); i++) {
        const char *name = lb_st_at(st, i)->name, *p = name + np;
        if (strncmp(name, prefix, np) || *p < '0' || *p > '9') continue;
        long k = 0;
        while (*p >= '0' && *p <= '9' && k < INT_MAX) k = k * 10 + (*p++ - '0');
        if (*p == '.' && k >= n) n = k + 1;
    }
    return n;
}

/* The config's layer count must be the weights' (checked before anything is sized from it):
 * fewer would silently drop layers, more would read tensors that are not there. */
static int check_layers(const lb_model_t *m, lb_error_t *err) {
    const lb_model_config_t *g = &m->cfg;
    /* The table's per-layer names up to the layer index, as the file writes them. */
    const lb_model_family_t *f = lb_model_family(g->arch);
    const char *pat = NULL;
    for (int i = 0; i < f->n_specs && !pat; i++)
        if (f->specs[i].at == LB_AT_LAYER) pat = f->specs[i].pattern + prefix_dropped(m);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%.*s", (int)(strstr(pat, "%d") - pat), pat);
    long have = weight_layers(m->st, prefix);
    if (have == g->n_layers) return 0;
    const char *field = g->arch == LB_ARCH_GPT2 ? "n_layer" : "num_hidden_layers";
    if (have == 0)
        return lb_error_set(err, LB_EFORMAT, "%s/config.json: field \"%s\" is %d but the weights "
                            "hold no layers (no tensor named %s0.*)", m->dir, field, g->n_layers, prefix);
    return lb_error_set(err, LB_EFORMAT, "%s/config.json: field \"%s\" is %d but the weights hold "
                        "%ld layers (%s0.* to %s%ld.*)", m->dir, field, g->n_layers, have, prefix,
                        prefix, have - 1);
}

int lb_model_load(const char *dir, const lb_model_options_t *opt, lb_model_t **out,
                  lb_error_t *err) {
    *out = NULL;
    lb_model_t *m = calloc(1, sizeof *m);
    if (!m) return lb_error_set(err, LB_ENOMEM, "out of memory loading %s", dir);
    m->dir = strdup(dir);
    m->keep_file_dtype = opt ? opt->keep_file_dtype : 0;
    int rc = m->dir ? 0 : lb_error_set(err, LB_ENOMEM, "out of memory loading %s", dir);
    if (!rc) rc = lbi_model_parse_config(dir, &m->cfg, err);
    if (!rc) rc = lb_st_open(dir, &m->st, err);
    if (!rc) rc = check_layers(m, err);
    if (!rc) {
        m->layers = calloc((size_t)m->cfg.n_layers, sizeof *m->layers);
        if (!m->layers) rc = lb_error_set(err, LB_ENOMEM, "out of memory loading %s", dir);
    }
    /* The family's tensors under this config (model_layout.h), bound in two passes: sizes,
     * then the one parameter buffer. */
    lb_model_tensor_t *ts = NULL;
    int n_ts = rc ? 0 : lb_model_tensors(&m->cfg, NULL);
    if (!rc) {
        ts = malloc((size_t)n_ts * sizeof *ts);
        if (!ts) rc = lb_error_set(err, LB_ENOMEM, "out of memory loading %s", dir);
        else lb_model_tensors(&m->cfg, ts);
    }
    load_ctx_t c = {.m = m, .st = m->st, .err = err, .pass = 1};
    if (!rc) rc = bind_all(&c, ts, n_ts);
    if (!rc) {
        m->n_params = c.n_floats;
        m->params = malloc((c.n_floats ? c.n_floats : 1) * sizeof(float));
        if (!m->params)
            rc = lb_error_set(err, LB_ENOMEM, "cannot allocate %zu parameters for %s",
                              c.n_floats, dir);
    }
    if (!rc) {
        size_t best = 0;
        for (int d = 0; d < 3; d++)
            if (c.counts[d] > best) best = c.counts[d], m->file_dtype = (lb_dtype_t)d;
        c.pass = 2;
        rc = bind_all(&c, ts, n_ts);
    }
    free(ts);
    if (!rc && !m->keep_file_dtype) {
        /* Every weight lives in params now; the src pointers die with the mapping and are
         * never read without keep_file_dtype. */
        lb_st_close(m->st);
        m->st = NULL;
    }
    if (rc) {
        lb_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void lb_model_free(lb_model_t *m) {
    if (!m) return;
    lb_st_close(m->st);
    free(m->params);
    free(m->layers);
    free(m->dir);
    free(m);
}

const lb_model_config_t *lb_model_config(const lb_model_t *m) { return &m->cfg; }

void lb_model_weight_bytes(const lb_model_t *m, size_t *copied, size_t *mapped) {
    if (copied) *copied = m->n_params * sizeof(float);
    if (mapped) *mapped = m->mapped_bytes;
}
size_t lb_model_param_count(const lb_model_t *m) { return m->param_count; }
lb_dtype_t lb_model_file_dtype(const lb_model_t *m) { return m->file_dtype; }
