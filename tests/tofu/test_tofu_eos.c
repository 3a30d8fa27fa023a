/* lb_tofu_run called from C without EOS ids (opts.eos NULL) ends each greedy answer where
 * `leakbound tofu` ends it: at the model folder's EOS ids, read by the tofu module itself from
 * generation_config.json (lb_sample_genconf_read), not only at config.json's one. The bundled
 * model (examples/default/model) is linked into a temporary folder whose generation_config.json
 * adds, as a second EOS id, the first token of the first item's greedy answer under config.json's
 * EOS alone; the answers from C must then be those the CLI writes to items.jsonl, the first one
 * cut short, and opts.eos given by the caller must still win. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/io.h"
#include "leakbound/tofu.h"
#include "leakbound/tokenizer.h"

#define N_ITEMS 3
#define MAX_NEW 24

static char src_model[4096], src_forget[4096], tmp[64], model[128], forget[128];

static void link_file(const char *name) {
    char from[4300], to[256];
    snprintf(from, sizeof from, "%s/%s", src_model, name);
    snprintf(to, sizeof to, "%s/%s", model, name);
    assert_int_equal(symlink(from, to), 0);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The first N_ITEMS items of the bundled forget set, and the model folder without
 * generation_config.json. */
static int setup(void **state) {
    (void)state;
    const char *src = getenv("LB_SOURCE_DIR");
    snprintf(src_model, sizeof src_model, "%s/examples/default/model", src ? src : ".");
    snprintf(src_forget, sizeof src_forget, "%s/examples/default/forget.jsonl", src ? src : ".");
    snprintf(tmp, sizeof tmp, "/tmp/lb_tofu_eos_XXXXXX");
    if (!mkdtemp(tmp)) return -1;
    snprintf(model, sizeof model, "%s/model", tmp);
    snprintf(forget, sizeof forget, "%s/forget.jsonl", tmp);
    if (mkdir(model, 0755)) return -1;
    FILE *in = fopen(src_forget, "r"), *out = fopen(forget, "w");
    if (!in || !out) return -1;
    char line[1 << 14];
    for (int i = 0; i < N_ITEMS && fgets(line, sizeof line, in); i++) fputs(line, out);
    fclose(in);
    return fclose(out) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    lb_io_remove_tree(tmp);
    return 0;
}

/* Greedy answers of lb_tofu_run on the forget items (eos: the caller's ids or NULL). */
static void run_c(const int32_t *eos, int n_eos, char *gen[N_ITEMS]) {
    lb_tofu_opts_t o = lb_tofu_opts_default();
    o.model_dir = model;
    o.splits[o.n_splits++] = (lb_tofu_split_spec_t){"forget", forget, LB_TOFU_FORGET};
    o.metrics = LB_TOFU_ROUGE;
    o.max_new_tokens = MAX_NEW;
    o.eos = eos;
    o.n_eos = n_eos;
    lb_tofu_result_t res;
    lb_error_t err = {0};
    int rc = lb_tofu_run(&o, NULL, &res, &err);
    if (rc) fprintf(stderr, "lb_tofu_run: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(res.splits[0].n, N_ITEMS);
    for (int i = 0; i < N_ITEMS; i++) {
        assert_non_null(res.splits[0].items[i].generation);
        gen[i] = strdup(res.splits[0].items[i].generation);
    }
    lb_tofu_result_free(&res);
}

/* The "generation" of each line of `leakbound tofu`'s items.jsonl. */
static void run_cli(char *gen[N_ITEMS]) {
    const char *cli = getenv("LB_CLI");
    assert_non_null(cli);
    char cmd[8192], out[128], items[160];
    snprintf(out, sizeof out, "%s/out", tmp);
    lb_io_remove_tree(out);
    snprintf(cmd, sizeof cmd, "'%s' tofu --model '%s' --forget '%s' --metrics rouge "
             "--max-new-tokens %d --out '%s' 2>/dev/null", cli, model, forget, MAX_NEW, out);
    assert_int_equal(system(cmd), 0);
    snprintf(items, sizeof items, "%s/items.jsonl", out);
    FILE *f = fopen(items, "r");
    assert_non_null(f);
    char line[1 << 14];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        assert_non_null(j);
        assert_true(n < N_ITEMS);
        const char *g = json_string_value(json_object_get(j, "generation"));
        assert_non_null(g);
        gen[n++] = strdup(g);
        json_decref(j);
    }
    fclose(f);
    assert_int_equal(n, N_ITEMS);
}

static void free_all(char *gen[N_ITEMS]) {
    for (int i = 0; i < N_ITEMS; i++) free(gen[i]);
}

static void test_model_eos(void **state) {
    (void)state;
    link_file("config.json");
    link_file("model.safetensors");
    link_file("tokenizer.json");
    /* config.json's EOS alone */
    char *base[N_ITEMS], *cfg_given[N_ITEMS];
    run_c(NULL, 0, base);
    char tokp[256];
    snprintf(tokp, sizeof tokp, "%s/tokenizer.json", model);
    lb_tokenizer_t *tok;
    lb_error_t err = {0};
    assert_int_equal(lb_tokenizer_load(tokp, &tok, &err), 0);
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(lb_tokenizer_encode(tok, base[0], strlen(base[0]), 0, &ids, &n, &err), 0);
    assert_true(n >= 3); /* an answer long enough to be cut */
    int32_t x = ids[0];
    free(ids);
    lb_tokenizer_free(tok);
    /* generation_config.json: config.json's EOS (0) and x */
    char path[256], text[128];
    snprintf(path, sizeof path, "%s/generation_config.json", model);
    snprintf(text, sizeof text, "{\"eos_token_id\": [0, %d]}\n", (int)x);
    write_text(path, text);

    char *from_c[N_ITEMS], *from_cli[N_ITEMS];
    run_c(NULL, 0, from_c);
    run_cli(from_cli);
    for (int i = 0; i < N_ITEMS; i++) assert_string_equal(from_c[i], from_cli[i]);
    /* the first answer ended at x: shorter than without it, and its start */
    assert_true(strlen(from_c[0]) < strlen(base[0]));
    assert_memory_equal(from_c[0], base[0], strlen(from_c[0]));
    /* the caller's ids win over the folder's */
    int32_t cfg_eos = 0;
    run_c(&cfg_eos, 1, cfg_given);
    for (int i = 0; i < N_ITEMS; i++) assert_string_equal(cfg_given[i], base[i]);
    free_all(base);
    free_all(from_c);
    free_all(from_cli);
    free_all(cfg_given);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_eos),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
