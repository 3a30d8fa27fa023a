/* Batch-invariant matmul at BLAS speed.
 *
 * Every output element is one fused multiply-add chain over k in order:
 *     acc = beta != 0 ? beta * out : 0;  for k = 0 .. C-1: acc = fma(inp[t][k], w(k, o), acc);
 *     out = bias ? acc + bias[o] : acc
 * with w(k, o) the weight widened to fp32 (exact for F16/BF16). That sequence depends on nothing
 * but C, so a row's result is bit-identical whatever T, its place in the batch, the thread
 * count or the code path (AVX-512, AVX2/FMA or the portable scalar loop with fmaf) — OpenBLAS
 * 0.3.21's sgemm is not (its 16-, 8-, 4- and 1-row micro-kernels and its thread split sum in
 * different orders, and sgemv differs from both).
 *
 * The SIMD paths are BLIS-style: the output columns are cut into panels of NR; threads split
 * the panels (never a reduction); K is cut into blocks of KC; for each (K block, panel) the
 * weights are packed — transposed when W is (OC, C), widened from F16/BF16 — into a (KC, NR)
 * buffer on the stack that stays in L1, and a register-blocked MR x NR micro-kernel streams
 * rows of inp (broadcast) past it. Between K blocks the partial chains live in out itself
 * (an fp32 store and load is exact, so K blocking does not change a bit). Rows beyond the last
 * multiple of MR use the same kernel with fewer rows: each lane's chain is the same. */
#include "internal.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define LB_HAVE_X86 1
#else
#define LB_HAVE_X86 0
#endif

/* K blocks: a packed (KC, NR) panel of 16 KiB and MR rows of inp (6 or 12 KiB) share L1. */
#define KC 128   /* AVX2 (NR 16) */
#define KC5 256  /* AVX-512 (NR 32) */

/* Selected implementation: 0 scalar, 1 AVX2+FMA, 2 AVX-512F; -1 not chosen yet. */
static int g_impl = -1, g_best = -1;

static int best_impl(void) {
    if (g_best >= 0) return g_best;
    int b = 0;
#if LB_HAVE_X86
    __builtin_cpu_init();
    /* F16C through cpuid (leaf 1, ECX bit 29): clang 14 rejects __builtin_cpu_supports("f16c"),
     * and the fuzz targets are built with clang */
    unsigned a1, b1, c1 = 0, d1;
    int f16c = __get_cpuid(1, &a1, &b1, &c1, &d1) && (c1 & (1u << 29));
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c) b = 1;
    if (b && __builtin_cpu_supports("avx512f")) b = 2;
#endif
    g_best = b;
    return b;
}

int lb_model_matmul_inv_select(int level) {
    int best = best_impl();
    if (level < 0 || level > best) level = best;
    g_impl = level;
    return level;
}

static const char *const isa_names[3] = {"scalar", "avx2", "avx512"};

const char *lb_model_isa_name(int level) {
    return level >= 0 && level <= 2 ? isa_names[level] : "?";
}

int lb_model_isa_current(void) {
    if (g_impl < 0) lb_model_matmul_inv_select(-1);
    return g_impl;
}

int lb_model_isa_force(const char *name, lb_error_t *err) {
    int level = -1;
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, isa_names[i])) level = i;
    if (level < 0)
        return lb_error_set(err, LB_EINVAL, "'%s' is not an instruction set: use scalar, avx2 "
                            "or avx512", name ? name : "");
    int best = best_impl();
    if (level > best)
        return lb_error_set(err, LB_EINVAL, "this CPU lacks %s (the most it has is %s)",
                            isa_names[level], isa_names[best]);
    lb_model_matmul_inv_select(level);
    return 0;
}

/* ---- element access ------------------------------------------------------------------ */

static inline float wget(const void *w, lb_dtype_t dt, size_t i) {
    switch (dt) {
    case LB_DTYPE_F16: return lb_f16_to_f32(((const uint16_t *)w)[i]);
    case LB_DTYPE_BF16: return lb_bf16_to_f32(((const uint16_t *)w)[i]);
    default: return ((const float *)w)[i];
    }
}

/* ---- portable scalar path: the definition itself ---------------------------------------- */

/* One product, in the general form every caller reduces to:
 *     c[i * ldc + j] = chain(i, j) (+ bias[j]),  i < M, j < N,
 *     chain: acc = beta != 0 ? beta * c : 0; for k = 0 .. K-1: acc = fma(A(i, k), B(k, j), acc)
 * with A(i, k) = a[i * lda + k], or a[k * lda + i] when a_trans, and B(k, j) = b[k * ldb + j]
 * (b_kn), or b[j * ldb + k], widened from dt. */
typedef struct gemm {
    float *c;
    const float *a;
    const void *b;
    const float *bias;
    lb_dtype_t dt;
    int M, N, K, lda, ldb, ldc, a_trans, b_kn;
    float beta;
} gemm_t;

static inline float aget(const gemm_t *g, int i, int k) {
    return g->a_trans ? g->a[(size_t)k * g->lda + i] : g->a[(size_t)i * g->lda + k];
}

static inline float bget(const gemm_t *g, int k, int j) {
    return wget(g->b, g->dt, g->b_kn ? (size_t)k * g->ldb + j : (size_t)j * g->ldb + k);
}

/* Output columns [o0, o1) of every row, 16 columns at a time: for each K chunk the chunk's
 * B block is copied to the stack (k-major) and every row runs its 16 chains through it. The
 * partial chains wait in c between chunks (an fp32 store and load is exact), so the chunking
 * changes no bit; the lane loop over 16 independent chains vectorizes where the build allows. */
#define SC_KC 256
static void scalar_cols(const gemm_t *g, int o0, int o1) {
    float bt[SC_KC * 16];
    for (int ob = o0; ob < o1; ob += 16) {
        const int nv = o1 - ob < 16 ? o1 - ob : 16;
        for (int k0 = 0;; k0 += SC_KC) {
            const int kc = g->K - k0 < SC_KC ? g->K - k0 : SC_KC;
            const int first = k0 == 0, last = k0 + kc >= g->K;
            for (int k = 0; k < kc; k++)
                for (int j = 0; j < 16; j++) bt[k * 16 + j] = j < nv ? bget(g, k0 + k, ob + j) : 0;
            for (int t = 0; t < g->M; t++) {
                float *y = g->c + (size_t)t * g->ldc + ob, acc[16];
                for (int j = 0; j < 16; j++)
                    acc[j] = j >= nv ? 0.0f
                           : !first ? y[j]
                           : g->beta != 0.0f ? g->beta * y[j] : 0.0f;
                for (int k = 0; k < kc; k++) {
                    const float av = aget(g, t, k0 + k);
                    for (int j = 0; j < 16; j++) acc[j] = fmaf(av, bt[k * 16 + j], acc[j]);
                }
                for (int j = 0; j < nv; j++)
                    y[j] = last && g->bias ? acc[j] + g->bias[ob + j] : acc[j];
            }
            if (last) break;
        }
    }
}

static void gemm_scalar(const gemm_t *g) {
    int nth = omp_get_max_threads();
    if ((size_t)g->M * g->K * g->N < 8 * (size_t)LB_PAR_MIN || omp_in_parallel()) nth = 1;
    const int nb = (g->N + 15) / 16;
    #pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int b = 0; b < nb; b++) scalar_cols(g, b * 16, b * 16 + 16 < g->N ? b * 16 + 16 : g->N);
}

#if LB_HAVE_X86

/* ---- packing: Bp[k * nr + j] = w(k0 + k, o0 + j), zero for j >= nv ----------------------- */

/* Slow path: any dtype, any edge. */
static void pack_any(float *bp, int nr, const gemm_t *g, int k0, int kc, int o0, int nv) {
    for (int k = 0; k < kc; k++)
        for (int j = 0; j < nr; j++) bp[k * nr + j] = j < nv ? bget(g, k0 + k, o0 + j) : 0.0f;
}

/* 8 consecutive elements of w from element i, widened. */
__attribute__((target("avx2,fma,f16c"))) static inline __m256 load8(const void *w,
                                                                      lb_dtype_t dt, size_t i) {
    if (dt == LB_DTYPE_F32) return _mm256_loadu_ps((const float *)w + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)w + i));
    if (dt == LB_DTYPE_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* Transpose 8 rows of 8 into r (r[i] = column i). */
__attribute__((target("avx2,fma"))) static inline void tr8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Pack a full panel (nv == nr, nr a multiple of 8). */
__attribute__((target("avx2,fma,f16c"))) static void pack_full(float *bp, int nr,
                                                                const gemm_t *g, int k0, int kc,
                                                                int o0) {
    const void *w = g->b;
    const lb_dtype_t dt = g->dt;
    const size_t ld = (size_t)g->ldb;
    if (g->b_kn && dt == LB_DTYPE_F32) { /* rows of B are k: a plain copy of nr floats each */
        const float *src = (const float *)w + (size_t)k0 * ld + o0;
        for (int k = 0; k < kc; k++, src += ld)
            for (int j = 0; j < nr; j += 16) {
                _mm256_store_ps(bp + k * nr + j, _mm256_loadu_ps(src + j));
                _mm256_store_ps(bp + k * nr + j + 8, _mm256_loadu_ps(src + j + 8));
            }
        return;
    }
    if (g->b_kn) {   /* rows of B are k: nr contiguous elements each */
        for (int k = 0; k < kc; k++)
            for (int j = 0; j < nr; j += 8)
                _mm256_store_ps(bp + k * nr + j, load8(w, dt, (size_t)(k0 + k) * ld + o0 + j));
        return;
    }
    int k8 = kc & ~7;
    for (int j = 0; j < nr; j += 8)
        for (int k = 0; k < k8; k += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = load8(w, dt, (size_t)(o0 + j + i) * ld + k0 + k);
            tr8(r);
            for (int i = 0; i < 8; i++) _mm256_store_ps(bp + (k + i) * nr + j, r[i]);
        }
    if (k8 < kc) pack_any(bp + k8 * nr, nr, g, k0 + k8, kc - k8, o0, nr);
}

/* ---- prefetching the next panel's weights -------------------------------------------------
 * Packing reads W from memory (it is streamed once per product: far bigger than any cache),
 * and a load that misses stalls the packing loop with nothing to overlap it. So while the
 * micro-kernels work on panel p, they prefetch the lines panel p + 1 will pack: one line per
 * k step, the panel's lines shared out over its row blocks. Prefetches change no value. */
typedef struct pf_walk {
    const char *row; /* current source row */
    size_t stride;   /* bytes between source rows */
    int lines;       /* 64-byte lines per row */
    int col;         /* next line in the row */
    int left;        /* lines still to prefetch in this kernel call */
} pf_walk_t;

__attribute__((always_inline)) static inline void pf_step(pf_walk_t *w) {
    if (w->left <= 0) return;
    __builtin_prefetch(w->row + (size_t)w->col * 64, 0, 3);
    if (++w->col == w->lines) {
        w->col = 0;
        w->row += w->stride;
    }
    w->left--;
}

/* ---- micro-kernels ---------------------------------------------------------------------
 * c (mr, NR) with row stride ldc: first block starts each chain at beta * c (or 0), later
 * blocks continue from c; the last adds bias (NR,) when given. a: the rows packed k-major,
 * a[k * mr + i] = row i, column k (one stream of broadcasts). */

#define UKR_BODY(VEC, NV, LOAD, STORE, SET0, SETB, FMA, ADD, MUL)                           \
    pf_walk_t pfw = *pf;                                                                     \
    VEC acc[MRMAX][NV];                                                                      \
    for (int i = 0; i < mr; i++)                                                             \
        for (int v = 0; v < NV; v++)                                                         \
            acc[i][v] = !first ? LOAD(c + (size_t)i * ldc + v * VL)                          \
                      : beta != 0.0f ? MUL(SETB(beta), LOAD(c + (size_t)i * ldc + v * VL))   \
                                     : SET0();                                               \
    for (int k = 0; k < kc; k++) {                                                           \
        pf_step(&pfw);                                                                       \
        VEC b[NV];                                                                           \
        for (int v = 0; v < NV; v++) b[v] = LOAD(bp + (size_t)k * NR_ + v * VL);              \
        for (int i = 0; i < mr; i++) {                                                       \
            VEC av = SETB(a[(size_t)k * mr + i]);                                           \
            for (int v = 0; v < NV; v++) acc[i][v] = FMA(av, b[v], acc[i][v]);              \
        }                                                                                    \
    }                                                                                        \
    if (last && bias)                                                                        \
        for (int i = 0; i < mr; i++)                                                         \
            for (int v = 0; v < NV; v++) acc[i][v] = ADD(acc[i][v], LOAD(bias + v * VL));    \
    for (int i = 0; i < mr; i++)                                                             \
        for (int v = 0; v < NV; v++) STORE(c + (size_t)i * ldc + v * VL, acc[i][v]);        \
    *pf = pfw;

/* AVX2: 6 x 16 (12 accumulators). */
#define MRMAX 6
#define NR_ 16
#define VL 8
__attribute__((target("avx2,fma"), always_inline)) static inline void
ukr2(const int mr, int kc, const float *a, const float *bp, float *c, size_t ldc,
     int first, int last, float beta, const float *bias, pf_walk_t *pf) {
    UKR_BODY(__m256, 2, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps, _mm256_set1_ps,
             _mm256_fmadd_ps, _mm256_add_ps, _mm256_mul_ps)
}
__attribute__((target("avx2,fma"))) static void
ukr2_n(int mr, int kc, const float *a, const float *bp, float *c, size_t ldc,
       int first, int last, float beta, const float *bias, pf_walk_t *pf) {
    switch (mr) {
    case 6: ukr2(6, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 5: ukr2(5, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 4: ukr2(4, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 3: ukr2(3, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 2: ukr2(2, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    default: ukr2(1, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    }
}
#undef MRMAX
#undef NR_
#undef VL

/* AVX-512: 12 x 32 (24 accumulators). */
#define MRMAX 12
#define NR_ 32
#define VL 16
__attribute__((target("avx512f"), always_inline)) static inline void
ukr5(const int mr, int kc, const float *a, const float *bp, float *c, size_t ldc,
     int first, int last, float beta, const float *bias, pf_walk_t *pf) {
    UKR_BODY(__m512, 2, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps, _mm512_set1_ps,
             _mm512_fmadd_ps, _mm512_add_ps, _mm512_mul_ps)
}
__attribute__((target("avx512f"))) static void
ukr5_n(int mr, int kc, const float *a, const float *bp, float *c, size_t ldc,
       int first, int last, float beta, const float *bias, pf_walk_t *pf) {
    switch (mr) {
    case 12: ukr5(12, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 11: ukr5(11, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 10: ukr5(10, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 9: ukr5(9, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 8: ukr5(8, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 7: ukr5(7, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 6: ukr5(6, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 5: ukr5(5, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 4: ukr5(4, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 3: ukr5(3, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    case 2: ukr5(2, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    default: ukr5(1, kc, a, bp, c, ldc, first, last, beta, bias, pf); break;
    }
}
#undef MRMAX
#undef NR_
#undef VL

typedef void (*ukr_fn)(int, int, const float *, const float *, float *, size_t, int, int,
                       float, const float *, pf_walk_t *);

#define MC 256  /* rows of inp packed at a time: (MC, KC) floats */

/* Each thread's packed rows of inp, (MC, KC) floats (256 KiB: too big for a thread's stack
 * everywhere), allocated at its first product and freed when the thread ends. */
static pthread_key_t ap_key;
static pthread_once_t ap_once = PTHREAD_ONCE_INIT;
static int ap_key_ok;

static void ap_key_init(void) { ap_key_ok = pthread_key_create(&ap_key, free) == 0; }

static float *thread_ap(void) {
    pthread_once(&ap_once, ap_key_init);
    if (!ap_key_ok) return NULL;
    float *ap = pthread_getspecific(ap_key);
    if (!ap) {
        void *p = NULL;
        if (posix_memalign(&p, 64, sizeof(float) * MC * (KC > KC5 ? KC : KC5))) return NULL;
        if (pthread_setspecific(ap_key, p)) {
            free(p);
            return NULL;
        }
        ap = p;
    }
    return ap;
}

/* ap: rows t0 .. t0+mc-1, columns k0 .. k0+kc-1 of A, in blocks of mrmax rows (the last may
 * be shorter), each block k-major (a[k * mr + i]). */
static void pack_a(float *ap, const gemm_t *g, int t0, int mc, int k0, int kc, int mrmax) {
    for (int b = 0; b < mc; b += mrmax) {
        const int mr = mc - b < mrmax ? mc - b : mrmax;
        float *d = ap + (size_t)b * kc;
        if (g->a_trans) {   /* A^T stored: row k holds the rows' values contiguously */
            for (int k = 0; k < kc; k++) {
                const float *x = g->a + (size_t)(k0 + k) * g->lda + t0 + b;
                for (int i = 0; i < mr; i++) d[(size_t)k * mr + i] = x[i];
            }
            continue;
        }
        for (int i = 0; i < mr; i++) {
            const float *x = g->a + (size_t)(t0 + b + i) * g->lda + k0;
            for (int k = 0; k < kc; k++) d[(size_t)k * mr + i] = x[k];
        }
    }
}

/* One thread's panels [p0, p1) for all rows and all K blocks. */
static void run_panels(float *ap, const gemm_t *g, int p0, int p1, int impl) {
    const int nr = impl == 2 ? 32 : 16, mrmax = impl == 2 ? 12 : 6;
    ukr_fn ukr = impl == 2 ? ukr5_n : ukr2_n;
    float bp[KC * 16 > KC5 * 32 ? KC * 16 : KC5 * 32] __attribute__((aligned(64)));
    float tile[12 * 32] __attribute__((aligned(64))), tbias[32];
    const int T = g->M, C = g->K, OC = g->N;
    const float *bias = g->bias;
    const float beta = g->beta;
    const int kcb = impl == 2 ? KC5 : KC;
    const int nkb = C > 0 ? (C + kcb - 1) / kcb : 1;
    for (int kb = 0; kb < nkb; kb++) {
        const int k0 = kb * kcb, kc = C - k0 < kcb ? C - k0 : kcb;
        const int first = kb == 0, last = kb == nkb - 1;
        for (int m0 = 0; m0 < T; m0 += MC) {
            const int mc = T - m0 < MC ? T - m0 : MC;
            pack_a(ap, g, m0, mc, k0, kc, mrmax);
            const int nblk = (mc + mrmax - 1) / mrmax;
            for (int p = p0; p < p1; p++) {
                const int o0 = p * nr, nv = OC - o0 < nr ? OC - o0 : nr;
                if (nv == nr) pack_full(bp, nr, g, k0, kc, o0);
                else pack_any(bp, nr, g, k0, kc, o0, nv);
                /* The next panel's source: kc rows of its nr columns (B is (K, N)), or its
                 * rows' kc columns (B is (N, K)). */
                pf_walk_t pf = {0};
                int pf_total = 0;
                if (p + 1 < p1) {
                    const int on = o0 + nr, nvn = OC - on < nr ? OC - on : nr;
                    const size_t es = lb_dtype_size(g->dt);
                    const char *wb = (const char *)g->b;
                    if (g->b_kn) {
                        pf.row = wb + ((size_t)k0 * g->ldb + on) * es;
                        pf.stride = (size_t)g->ldb * es;
                        pf.lines = (int)(((size_t)nvn * es + 63) / 64) + 1;
                        pf_total = pf.lines * kc;
                    } else {
                        pf.row = wb + ((size_t)on * g->ldb + k0) * es;
                        pf.stride = (size_t)g->ldb * es;
                        pf.lines = (int)(((size_t)kc * es + 63) / 64) + 1;
                        pf_total = pf.lines * nvn;
                    }
                    pf.row = (const char *)((uintptr_t)pf.row & ~(uintptr_t)63);
                }
                const int pf_share = (pf_total + nblk - 1) / nblk;
                const float *bs = NULL;
                if (last && bias) {
                    if (nv == nr) bs = bias + o0;
                    else {
                        memset(tbias, 0, sizeof tbias);
                        memcpy(tbias, bias + o0, (size_t)nv * sizeof(float));
                        bs = tbias;
                    }
                }
                for (int b = 0; b < mc; b += mrmax) {
                    const int mr = mc - b < mrmax ? mc - b : mrmax;
                    const float *a = ap + (size_t)b * kc;
                    float *c = g->c + (size_t)(m0 + b) * g->ldc + o0;
                    pf.left = pf_share;
                    if (nv == nr) {
                        ukr(mr, kc, a, bp, c, (size_t)g->ldc, first, last, beta, bs, &pf);
                        continue;
                    }
                    /* Edge panel: the same kernel on a copy of the valid columns. */
                    int need_in = !first || beta != 0.0f;
                    for (int i = 0; i < mr; i++) {
                        memset(tile + i * nr, 0, (size_t)nr * sizeof(float));
                        if (need_in)
                            memcpy(tile + i * nr, c + (size_t)i * g->ldc,
                                   (size_t)nv * sizeof(float));
                    }
                    ukr(mr, kc, a, bp, tile, (size_t)nr, first, last, beta, bs, &pf);
                    for (int i = 0; i < mr; i++)
                        memcpy(c + (size_t)i * g->ldc, tile + i * nr, (size_t)nv * sizeof(float));
                }
            }
        }
    }
}

static void gemm_simd(const gemm_t *g, int impl) {
    const int nr = impl == 2 ? 32 : 16;
    const int n_panels = (g->N + nr - 1) / nr;
    int nth = omp_get_max_threads();
    if ((size_t)g->M * g->K * g->N < 8 * (size_t)LB_PAR_MIN || omp_in_parallel()) nth = 1;
    if (nth > n_panels) nth = n_panels;
    /* One parallel region; threads split the column panels. A thread that cannot get its
     * packed-rows buffer computes its panels on the scalar path: the same bits. */
    #pragma omp parallel num_threads(nth) if (nth > 1)
    {
        int id = omp_get_thread_num(), n = omp_get_num_threads();
        int p0 = (int)((long)n_panels * id / n), p1 = (int)((long)n_panels * (id + 1) / n);
        float *ap = thread_ap();
        if (ap) run_panels(ap, g, p0, p1, impl);
        else scalar_cols(g, p0 * nr, p1 * nr < g->N ? p1 * nr : g->N);
    }
}

#endif

static void gemm_run(const gemm_t *g) {
    if (g->M < 1 || g->N < 1) return;
    if (g_impl < 0) lb_model_matmul_inv_select(-1);
#if LB_HAVE_X86
    if (g_impl > 0) {
        gemm_simd(g, g_impl);
        return;
    }
#endif
    gemm_scalar(g);
}

void lb_model_matmul_inv(float *out, const float *inp, const void *w, lb_dtype_t dt,
                         const float *bias, int T, int C, int OC, int w_in_out, float beta) {
    gemm_t g = {.c = out, .a = inp, .b = w, .bias = bias, .dt = dt, .M = T, .N = OC, .K = C,
                .lda = C, .ldb = w_in_out ? OC : C, .ldc = OC, .a_trans = 0,
                .b_kn = w_in_out != 0, .beta = beta};
    gemm_run(&g);
}

void lb_model_matmul_forward_inv(float *out, const float *inp, const float *w,
                                 const float *bias, int T, int C, int OC, int w_in_out,
                                 float beta) {
    lb_model_matmul_inv(out, inp, w, LB_DTYPE_F32, bias, T, C, OC, w_in_out, beta);
}

void lb_model_gemm(float *c, int ldc, const float *a, int lda, int a_trans, const float *b,
                   int ldb, int b_kn, int M, int N, int K, float beta) {
    gemm_t g = {.c = c, .a = a, .b = b, .bias = NULL, .dt = LB_DTYPE_F32, .M = M, .N = N,
                .K = K, .lda = lda, .ldb = ldb, .ldc = ldc, .a_trans = a_trans != 0,
                .b_kn = b_kn != 0, .beta = beta};
    gemm_run(&g);
}
