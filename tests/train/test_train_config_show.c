/* lb_train_config_show_json: `config show --json`'s document for the reference's Hydra files
 * (tests/train/hydra) as finetune, unlearn, eval and tofu: its keys in order, "config" equal to
 * lb_train_config_json's values, "sources" each one of the allowed words and the same keys,
 * "ignored" lb_train_config_ignored's list, "flags" (eval, tofu only) lb_train_config_args's.
 * The CLI's bytes are compared with the previous binary's by hand (see the commit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "leakbound/train_config.h"

static void check(const char *file, const char *command) {
    char path[4096];
    const char *src = getenv("LB_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/train/hydra/%s", src ? src : ".", file);
    lb_train_config_t *c = NULL;
    lb_error_t e = {0};
    const char *ov[] = {"hparams.model=m0"};
    if (lb_train_config_load_dir(path, command, ov, 1, NULL, &c, &e)) fail_msg("%s", e.msg);
    json_t *doc = (json_t *)1;
    if (lb_train_config_show_json(c, &doc, &e)) fail_msg("%s", e.msg);
    int flags = !strcmp(command, "eval") || !strcmp(command, "tofu");
    static const char *const keys[] = {"file", "command", "config", "sources", "ignored", "flags"};
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        assert_true(i < 6);
        assert_string_equal(k, keys[i++]);
    }
    assert_int_equal(i, flags ? 6 : 5);
    assert_string_equal(json_string_value(json_object_get(doc, "file")), path);
    assert_string_equal(json_string_value(json_object_get(doc, "command")), command);
    json_t *vals = lb_train_config_json(c, 0);
    assert_true(json_equal(vals, json_object_get(doc, "config")));
    json_t *srcs = json_object_get(doc, "sources");
    assert_int_equal(json_object_size(srcs), json_object_size(vals));
    int overridden = 0;
    json_object_foreach(srcs, k, v) {
        const char *s = json_string_value(v);
        assert_non_null(s);
        assert_non_null(json_object_get(vals, k));
        assert_true(!strcmp(s, "file") || !strcmp(s, "override") || !strcmp(s, "default") ||
                    !strcmp(s, "unset"));
        overridden += !strcmp(s, "override");
    }
    if (json_object_get(vals, "hparams.model")) {
        assert_int_equal(overridden, 1);
        assert_string_equal(json_string_value(json_object_get(srcs, "hparams.model")),
                            "override");
    }
    const char *const *ign;
    size_t n_ign = lb_train_config_ignored(c, &ign);
    json_t *ig = json_object_get(doc, "ignored");
    assert_int_equal(json_array_size(ig), n_ign);
    for (size_t j = 0; j < n_ign; j++)
        assert_string_equal(json_string_value(json_array_get(ig, j)), ign[j]);
    if (flags) {
        const char *const *args;
        size_t n;
        assert_int_equal(lb_train_config_args(c, 0, NULL, NULL, &args, &n, &e), 0);
        json_t *fl = json_object_get(doc, "flags");
        assert_true(n > 0);
        assert_int_equal(json_array_size(fl), n);
        for (size_t j = 0; j < n; j++)
            assert_string_equal(json_string_value(json_array_get(fl, j)), args[j]);
    }
    json_decref(vals);
    json_decref(doc);
    lb_train_config_free(c);
}

static void test_show_json(void **state) {
    (void)state;
    static const char *const files[] = {"phi.yaml", "phi-GA.yaml", "phi-GD.yaml", "phi-NPO.yaml"};
    static const char *const cmds[] = {"finetune", "unlearn", "eval", "tofu"};
    for (int f = 0; f < 4; f++)
        for (int m = 0; m < 4; m++)
            if (m >= 2 || m == (f > 0)) check(files[f], cmds[m]); /* a file trains one way */
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_show_json)};
    return cmocka_run_group_tests(tests, 0, 0);
}
