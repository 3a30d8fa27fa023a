/* lb_core_parse_double / lb_core_parse_long: the whole text is one number (C's strtod / strtol
 * base 10 syntax, so the expected values are the C library's own reading of the same text);
 * NULL, empty, trailing text, overflow and (double) inf/nan are refused with *out unchanged. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "leakbound/core.h"

static void test_double(void **state) {
    (void)state;
    const char *ok[] = {"0.5", "-3", "1e-5", " 2.5", "+7", "0x1p-3", "1E300"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        double v = -99;
        assert_int_equal(lb_core_parse_double(ok[i], &v), 0);
        assert_true(v == strtod(ok[i], NULL));
    }
    const char *bad[] = {"", "x", "0.5x", "0.5 ", "inf", "-inf", "nan", "1e999", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v = 42;
        assert_int_equal(lb_core_parse_double(bad[i], &v), -1);
        assert_true(v == 42);
    }
    double v = 42;
    assert_int_equal(lb_core_parse_double(NULL, &v), -1);
    assert_true(v == 42);
}

static void test_long(void **state) {
    (void)state;
    const char *ok[] = {"0", "-12", "+5", "007", "9223372036854775807"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        long v = -99;
        assert_int_equal(lb_core_parse_long(ok[i], &v), 0);
        assert_int_equal(v, strtol(ok[i], NULL, 10));
    }
    const char *bad[] = {"", "1.5", "12a", "0x10", "9223372036854775808", " ", "1 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        long v = 42;
        assert_int_equal(lb_core_parse_long(bad[i], &v), -1);
        assert_int_equal(v, 42);
    }
    long v = 42;
    assert_int_equal(lb_core_parse_long(NULL, &v), -1);
    assert_int_equal(v, 42);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
