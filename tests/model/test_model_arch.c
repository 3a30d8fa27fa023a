/* The family names (lb_model_arch_name / lb_model_arch_parse): every lb_arch_t has a name that
 * parses back to it, and an unknown name is refused with the allowed names in the message
 * (what `leakbound init --arch` prints after "--arch: "). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/model.h"

static void test_round_trip(void **state) {
    (void)state;
    const lb_arch_t all[] = {LB_ARCH_LLAMA, LB_ARCH_PHI, LB_ARCH_GPT2};
    const char *want[] = {"llama", "phi", "gpt2"};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        const char *name = lb_model_arch_name(all[i]);
        assert_non_null(name);
        assert_string_equal(name, want[i]);
        lb_arch_t back = (lb_arch_t)-1;
        lb_error_t err = {0};
        assert_int_equal(lb_model_arch_parse(name, &back, &err), 0);
        assert_int_equal(back, all[i]);
    }
    assert_null(lb_model_arch_name((lb_arch_t)3));
    assert_null(lb_model_arch_name((lb_arch_t)-1));
}

static void test_unknown(void **state) {
    (void)state;
    const char *bad[][2] = {
        {"mistral", "want llama, phi or gpt2, got 'mistral'"}, /* a model_type, not a family */
        {"Llama", "want llama, phi or gpt2, got 'Llama'"},
        {"llama ", "want llama, phi or gpt2, got 'llama '"},
        {"", "want llama, phi or gpt2, got ''"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lb_arch_t a = LB_ARCH_PHI;
        lb_error_t err = {0};
        assert_int_equal(lb_model_arch_parse(bad[i][0], &a, &err), LB_EINVAL);
        assert_string_equal(err.msg, bad[i][1]);
        assert_int_equal(a, LB_ARCH_PHI); /* unchanged */
    }
    lb_arch_t a = LB_ARCH_GPT2;
    lb_error_t err = {0};
    assert_int_equal(lb_model_arch_parse(NULL, &a, &err), LB_EINVAL);
    assert_string_equal(err.msg, "want llama, phi or gpt2, got ''");
    assert_int_equal(a, LB_ARCH_GPT2);
}

/* init's config.json names: each family's own Hugging Face class and model_type (transformers'
 * LlamaForCausalLM / PhiForCausalLM / GPT2LMHeadModel), not another class the family reads. */
static void test_hf_names(void **state) {
    (void)state;
    const lb_arch_t all[] = {LB_ARCH_LLAMA, LB_ARCH_PHI, LB_ARCH_GPT2};
    const char *want[][2] = {{"LlamaForCausalLM", "llama"}, {"PhiForCausalLM", "phi"},
                             {"GPT2LMHeadModel", "gpt2"}};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        const char *arch = NULL, *type = NULL;
        assert_int_equal(lb_model_arch_hf_names(all[i], &arch, &type), 0);
        assert_string_equal(arch, want[i][0]);
        assert_string_equal(type, want[i][1]);
    }
    const char *arch = "x", *type = "y";
    assert_int_equal(lb_model_arch_hf_names((lb_arch_t)3, &arch, &type), -1);
    assert_string_equal(arch, "x");
    assert_string_equal(type, "y");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_hf_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
