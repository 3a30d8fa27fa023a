/* The sampler's pieces that need no model: Philox4x32-10 against Random123's known answers,
 * the uniform draw's layout, min-p, the new-token limit and option checks. The batched
 * sampler itself is checked end to end by tests/oracle/sample_cli.py and sample_stats.py. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/sample.h"

static void test_philox_kat(void **state) {
    (void)state;
    static const uint32_t v[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        lb_philox4x32_10(v[i], v[i] + 4, out);
        for (int j = 0; j < 4; j++) assert_int_equal(out[j], v[i][6 + j]);
    }
}

static void test_uniform_layout(void **state) {
    (void)state;
    uint64_t seed = 0x0123456789abcdefull, h = lb_sample_key_hash("q7", 2);
    uint32_t ctr[4] = {5, 9, (uint32_t)h, (uint32_t)(h >> 32)}, key[2] = {0x89abcdef, 0x01234567};
    uint32_t out[4];
    lb_philox4x32_10(ctr, key, out);
    double want = (double)((((uint64_t)out[0] << 32) | out[1]) >> 11) * 0x1p-53;
    assert_true(lb_sample_philox_uniform(seed, h, 9, 5) == want);
    /* Each coordinate changes the draw. */
    assert_true(lb_sample_philox_uniform(seed, h, 9, 6) != want);
    assert_true(lb_sample_philox_uniform(seed, h, 8, 5) != want);
    assert_true(lb_sample_philox_uniform(seed + 1, h, 9, 5) != want);
    assert_true(lb_sample_philox_uniform(seed, lb_sample_key_hash("q8", 2), 9, 5) != want);
    /* FNV-1a 64 of "" and "a" (published values). */
    assert_true(lb_sample_key_hash("", 0) == 0xcbf29ce484222325ull);
    assert_true(lb_sample_key_hash("a", 1) == 0xaf63dc4c8601ec8cull);
}

static void test_min_p(void **state) {
    (void)state;
    /* probs proportional to e^l: e^0 = 1, e^-1 = .37, e^-3 = .05; min_p .1 keeps >= .1 * max. */
    float l[5] = {0, -1, -3, -INFINITY, 0};
    assert_int_equal(lb_sample_min_p(l, 5, 0.1), 3);
    assert_true(l[0] == 0 && l[1] == -1 && isinf(l[2]) && isinf(l[3]) && l[4] == 0);
    float m[3] = {1, 2, 3};
    assert_int_equal(lb_sample_min_p(m, 3, 0), 3);   /* off */
    assert_int_equal(lb_sample_min_p(m, 3, 1.0), 1); /* only the top survives */
    assert_true(m[2] == 3 && isinf(m[0]) && isinf(m[1]));
    /* The listed form (only the listed ids finite) drops the same ids and keeps the rest listed,
     * ascending: random rows, some ties, several min_p, against lb_sample_min_p on a copy. */
    uint64_t st = 7;
    for (int t = 0; t < 200; t++) {
        float a[64], b[64];
        int32_t ids[64];
        int n = 0;
        double mp = (double)(lb_splitmix64(&st) % 1000) / 999.0;
        for (int i = 0; i < 64; i++) {
            uint64_t r = lb_splitmix64(&st);
            a[i] = r % 5 == 0 ? -INFINITY : (float)((int)(r >> 8) % 40) / 8.0f;
            b[i] = a[i];
            if (a[i] > -INFINITY) ids[n++] = i;
        }
        int kept = lb_sample_min_p(a, 64, mp), kept2 = lb_sample_min_p_list(b, ids, n, mp);
        assert_int_equal(kept, kept2);
        for (int i = 0, j = 0; i < 64; i++) {
            assert_true(a[i] == b[i] || (isinf(a[i]) && isinf(b[i])));
            if (a[i] > -INFINITY) assert_int_equal(ids[j++], i);
        }
    }
}

static void test_max_new(void **state) {
    (void)state;
    lb_sampler_opts_t o = lb_sampler_defaults();
    o.max_new_tokens = -1;
    o.max_length = 20;
    assert_int_equal(lb_sampler_max_new(&o, 8, 1024), 12);   /* max_length counts the prompt */
    assert_int_equal(lb_sampler_max_new(&o, 25, 1024), 0);
    o.max_new_tokens = 100;
    assert_int_equal(lb_sampler_max_new(&o, 8, 1024), 100); /* max_new_tokens wins */
    assert_int_equal(lb_sampler_max_new(&o, 1000, 1024), 24); /* capped by the context */
}

static void test_check(void **state) {
    (void)state;
    lb_error_t err;
    lb_sampler_opts_t o = lb_sampler_defaults();
    assert_int_equal(lb_sampler_check(&o, &err), 0);
    o.min_p = 1.5;
    assert_int_equal(lb_sampler_check(&o, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "min_p"));
    o = lb_sampler_defaults();
    o.warp.top_p = 0;
    assert_int_equal(lb_sampler_check(&o, &err), LB_EINVAL);
    o = lb_sampler_defaults();
    o.adaptive = 1;
    o.confidence_threshold = 2;
    assert_int_equal(lb_sampler_check(&o, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "confidence_threshold"));
    o = lb_sampler_defaults();
    o.first_sample = -1;
    assert_int_equal(lb_sampler_check(&o, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "first_sample"));
    o.first_sample = INT_MAX; /* the last index, first_sample + n_samples - 1, must be an int */
    assert_int_equal(lb_sampler_check(&o, &err), LB_EINVAL);
    o.first_sample = INT_MAX - 1;
    assert_int_equal(lb_sampler_check(&o, &err), 0);
    assert_string_equal(lb_sample_finish_name(LB_FINISH_STOP), "stop");
}

/* lb_sampler_opts_hash: every field is listed here (the listing must tile the struct, so a new
 * field fails this test until it is placed); changing a hashed field changes the hash, a
 * field that shapes no result (batch, kv_budget, on_token) does not, and eos/stop count by
 * content, not by pointer. */
#define F(name, hashed)                                                                            \
    {#name, offsetof(lb_sampler_opts_t, name), sizeof(((lb_sampler_opts_t *)0)->name), hashed}
static int dummy_token(void *user, size_t prompt, int index, const int32_t *tokens, int n_tokens,
                       int final, lb_error_t *err) {
    (void)user, (void)prompt, (void)index, (void)tokens, (void)n_tokens, (void)final, (void)err;
    return 0;
}

static void test_opts_hash(void **state) {
    (void)state;
    static const struct { const char *name; size_t off, size; int hashed; } f[] = {
        F(warp.temperature, 1), F(warp.top_k, 1), F(warp.top_p, 1), F(min_p, 1), F(n_samples, 1),
        F(first_sample, 1), F(greedy_too, 1), F(max_new_tokens, 1), F(max_length, 1), F(eos, 1),
        F(n_eos, 1), F(stop, 1), F(n_stop, 1), F(seed, 1), F(batch, 0), F(kv_budget, 0),
        F(adaptive, 1), F(confidence, 1), F(confidence_threshold, 1), F(low_temperature, 1),
        F(record_temperatures, 1), F(on_token, 0),
    };
    size_t nf = sizeof f / sizeof f[0], end = 0;
    for (size_t i = 0; i < nf; i++) { /* in order, no field missing: gaps only for alignment */
        assert_true(f[i].off >= end && f[i].off - end < 8);
        end = f[i].off + f[i].size;
    }
    assert_true(sizeof(lb_sampler_opts_t) >= end && sizeof(lb_sampler_opts_t) - end < 8);
    static const int32_t eos_a[] = {2, 7}, eos_b[] = {2, 7}, eos_c[] = {2, 8};
    static const char *const stop_a[] = {"\n\n", "END"}, *const stop_b[] = {"\n\n", "END"},
                             *const stop_c[] = {"\n\n", "ENF"};
    lb_sampler_opts_t base = lb_sampler_defaults();
    base.eos = eos_a, base.n_eos = 2, base.stop = stop_a, base.n_stop = 2;
    uint64_t h0 = lb_sampler_opts_hash(&base);
    for (size_t i = 0; i < nf; i++) {
        lb_sampler_opts_t o = base;
        unsigned char *p = (unsigned char *)&o + f[i].off;
        if (f[i].off == offsetof(lb_sampler_opts_t, eos)) o.eos = eos_c;
        else if (f[i].off == offsetof(lb_sampler_opts_t, stop)) o.stop = stop_c;
        else if (f[i].off == offsetof(lb_sampler_opts_t, on_token)) o.on_token = dummy_token;
        else if (f[i].off == offsetof(lb_sampler_opts_t, n_eos)) o.n_eos = 1;
        else if (f[i].off == offsetof(lb_sampler_opts_t, n_stop)) o.n_stop = 1;
        else p[0] ^= 1, p[f[i].size - 1] ^= 0x10;
        uint64_t h = lb_sampler_opts_hash(&o);
        if (f[i].hashed && h == h0) fail_msg("changing %s leaves the hash as it was", f[i].name);
        if (!f[i].hashed && h != h0) fail_msg("changing %s changes the hash", f[i].name);
    }
    lb_sampler_opts_t o = base; /* the same contents elsewhere: the same hash */
    o.eos = eos_b, o.stop = stop_b;
    assert_true(lb_sampler_opts_hash(&o) == h0);
}
#undef F

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_kat), cmocka_unit_test(test_uniform_layout),
        cmocka_unit_test(test_min_p),      cmocka_unit_test(test_max_new),
        cmocka_unit_test(test_check),      cmocka_unit_test(test_opts_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
