/* Arena: alignment, exhaustion, mark/rewind, and error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/core.h"

static void test_alignment_and_exhaustion(void **state) {
    (void)state;
    lb_arena_t a;
    assert_int_equal(lb_arena_init(&a, 1000, NULL), LB_OK);
    char *p = lb_arena_alloc(&a, 3);
    char *q = lb_arena_alloc(&a, 5);
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)p % 64, 0);
    assert_int_equal((uintptr_t)q % 64, 0);
    assert_ptr_equal(q, p + 64);
    assert_null(lb_arena_alloc(&a, 5000));
    assert_null(lb_arena_calloc(&a, SIZE_MAX / 2, 4));
    size_t m = lb_arena_mark(&a);
    int *z = lb_arena_calloc(&a, 10, sizeof(int));
    assert_non_null(z);
    for (int i = 0; i < 10; i++) assert_int_equal(z[i], 0);
    lb_arena_rewind(&a, m);
    assert_int_equal(a.used, m);
    assert_true(a.peak > m);
    lb_arena_free(&a);
}

static void test_error_messages(void **state) {
    (void)state;
    lb_error_t e;
    assert_int_equal(lb_error_set(&e, LB_EINVAL, "line %d: bad", 3), LB_EINVAL);
    assert_int_equal(e.code, LB_EINVAL);
    lb_error_prefix(&e, "%s", "f.jsonl");
    assert_string_equal(e.msg, "f.jsonl: line 3: bad");
    assert_int_equal(lb_error_set(NULL, LB_EIO, "ignored"), LB_EIO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_exhaustion),
        cmocka_unit_test(test_error_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
