/* lb_fast_expf (src/model/internal.h, the exp of softmax, SiLU and tanh-GELU): defined for
 * NaN and +-inf (the sanitizer build stops on undefined behaviour), and bit-identical for
 * every finite input to the formulation it had before NaN handling was added, so that the
 * model's outputs did not move. Set LB_EXPF_FULL=1 to sweep all 2^32 bit patterns (about a
 * minute in a Release build); by default every 61st pattern is checked. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/model/internal.h"

/* The previous formulation, kept here only as the reference of "unchanged for finite x" (it
 * is undefined for NaN, so the sweep skips NaN patterns). */
static float expf_before(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
                                                            r * (1.0f / 720))))));
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void test_nan_and_infinities(void **state) {
    (void)state;
    /* volatile: the values reach the function at run time, as weights read from a file do. */
    volatile float qnan = NAN, pinf = INFINITY, ninf = -INFINITY;
    volatile float neg_nan = -NAN;
    assert_true(isnan(lb_fast_expf(qnan)));
    assert_true(isnan(lb_fast_expf(neg_nan)));
    uint32_t snan_bits = 0x7fa00001u;       /* a signalling NaN pattern */
    float snan;
    memcpy(&snan, &snan_bits, sizeof snan);
    assert_true(isnan(lb_fast_expf(snan)));
    /* +-inf clamp to the ends of the range: e^88 and e^-87, finite and positive. */
    assert_true(bits_of(lb_fast_expf(pinf)) == bits_of(lb_fast_expf(88.0f)));
    assert_true(bits_of(lb_fast_expf(ninf)) == bits_of(lb_fast_expf(-87.0f)));
    assert_true(fabs(lb_fast_expf(88.0f) / exp(88.0) - 1) < 1e-6);
    assert_true(fabs(lb_fast_expf(-87.0f) / exp(-87.0) - 1) < 1e-6);
}

static void test_finite_bit_identical(void **state) {
    (void)state;
    const char *full = getenv("LB_EXPF_FULL");
    uint64_t step = full && full[0] == '1' ? 1 : 61;
    uint64_t checked = 0, differ = 0;
    double worst = 0;                       /* relative error against exp() in [-87, 88] */
    for (uint64_t u = 0; u < ((uint64_t)1 << 32); u += step) {
        uint32_t b = (uint32_t)u;
        float x;
        memcpy(&x, &b, sizeof x);
        if (!isfinite(x)) continue;
        float got = lb_fast_expf(x);
        if (bits_of(got) != bits_of(expf_before(x))) differ++;
        if (x >= -87.0f && x <= 88.0f) {
            double e = fabs(got / exp((double)x) - 1);
            if (e > worst) worst = e;
        }
        checked++;
    }
    print_message("checked %llu finite floats, %llu differ, worst relative error %.3g\n",
                  (unsigned long long)checked, (unsigned long long)differ, worst);
    assert_true(checked > 1000000);
    assert_true(differ == 0);
    assert_true(worst < 5e-7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nan_and_infinities),
        cmocka_unit_test(test_finite_bit_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
