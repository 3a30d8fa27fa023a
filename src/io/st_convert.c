/* Element conversions between F32, F16 and BF16, and bulk widening of safetensors data.
 *
 * NaN policy: widening an F16 NaN keeps its sign and payload and sets the quiet bit, which is
 * what the F16C instruction (and PyTorch) produce, so the portable and vector paths agree bit for
 * bit. BF16 widening is a plain shift (no arithmetic), so every pattern is kept as is. */
#include "leakbound/safetensors.h"

#include <string.h>

#if defined(__F16C__) && defined(__AVX__)
#include <immintrin.h>
#define LB_HAVE_F16C 1
#endif

static inline float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

float lb_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) /* inf, or NaN made quiet */
        return bits_to_f32(sign | 0x7f800000u | (man << 13) | (man ? 0x00400000u : 0));
    if (exp == 0) {
        if (man == 0) return bits_to_f32(sign);
        /* Subnormal: man × 2^-24 exactly; renormalise so the leading 1 becomes implicit. */
        int e = -1;
        do {
            man <<= 1;
            e++;
        } while (!(man & 0x400u));
        man &= 0x3ffu;
        return bits_to_f32(sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13));
    }
    return bits_to_f32(sign | ((exp + 127 - 15) << 23) | (man << 13));
}

float lb_bf16_to_f32(uint16_t b) { return bits_to_f32((uint32_t)b << 16); }

uint16_t lb_f32_to_bf16(float f) {
    uint32_t u = f32_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest, ties to even */
    return (uint16_t)(u >> 16);
}

uint16_t lb_f32_to_f16(float f) {
    uint32_t u = f32_to_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504: inf */
    if (a < 0x38800000u) {
        /* Below the smallest normal (2^-14): a subnormal result, man × 2^-24. */
        if (a < 0x33000000u) return sign; /* below half the smallest subnormal: ±0 */
        uint32_t e = a >> 23;
        uint32_t m = (a & 0x7fffffu) | 0x800000u; /* value = m × 2^(e-150) */
        uint32_t shift = 126 - e; /* value / 2^-24 = m >> (126 - e), in 14..24 */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u))) q++;
        return (uint16_t)(sign | q);
    }
    /* Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even. */
    uint32_t r = a - ((uint32_t)(127 - 15) << 23);
    r += 0xfffu + ((r >> 13) & 1u);
    return (uint16_t)(sign | (r >> 13));
}

size_t lb_dtype_size(lb_dtype_t dt) { return dt == LB_DTYPE_F32 ? 4 : 2; }

const char *lb_dtype_name(lb_dtype_t dt) {
    switch (dt) {
    case LB_DTYPE_F32: return "F32";
    case LB_DTYPE_F16: return "F16";
    case LB_DTYPE_BF16: return "BF16";
    }
    return "?";
}

size_t lb_st_numel(const lb_st_tensor_t *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

static void widen_f16(const unsigned char *src, size_t n, float *dst) {
    size_t i = 0;
#ifdef LB_HAVE_F16C
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i))));
#endif
    for (; i < n; i++) {
        uint16_t h;
        memcpy(&h, src + 2 * i, 2);
        dst[i] = lb_f16_to_f32(h);
    }
}

static void widen_bf16(const unsigned char *src, size_t n, float *dst) {
    /* Written as a plain loop over memcpy'd halves: compilers vectorise it to shifts. */
    for (size_t i = 0; i < n; i++) {
        uint16_t b;
        memcpy(&b, src + 2 * i, 2);
        uint32_t u = (uint32_t)b << 16;
        memcpy(dst + i, &u, 4);
    }
}

void lb_st_to_f32(const lb_st_tensor_t *t, size_t off, size_t n, float *dst) {
    const unsigned char *src = (const unsigned char *)t->data + off * lb_dtype_size(t->dtype);
    switch (t->dtype) {
    case LB_DTYPE_F32: memcpy(dst, src, n * 4); break;
    case LB_DTYPE_F16: widen_f16(src, n, dst); break;
    case LB_DTYPE_BF16: widen_bf16(src, n, dst); break;
    }
}
