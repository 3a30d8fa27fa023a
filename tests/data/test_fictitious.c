/* The fictitious-author generator: byte-identical output for a seed, different output for another,
 * and the structure of the splits (counts, forget/retain disjoint and complementary, holdout
 * authors outside full, 3-5 distinct perturbed answers, paraphrase differs, TOFU-length answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/data.h"

#include "lb_test_tmp.h"

/* FNV-1a 64 of a whole file. */
static uint64_t hash_file(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    uint64_t h = 0xcbf29ce484222325ull;
    int c;
    while ((c = fgetc(fp)) != EOF) h = (h ^ (uint64_t)(unsigned char)c) * 0x100000001b3ull;
    fclose(fp);
    return h;
}

static void hash_dir(const char *dir, uint64_t out[LB_FICTITIOUS_N_SPLITS]) {
    char path[512];
    for (int i = 0; i < LB_FICTITIOUS_N_SPLITS; i++) {
        snprintf(path, sizeof path, "%s/%s.jsonl", dir, lb_fictitious_splits[i]);
        out[i] = hash_file(path);
    }
}

static void write_set(const char *sub, uint64_t seed, int n) {
    char dir[400];
    snprintf(dir, sizeof dir, "%s/%s", lb_tmpdir, sub);
    lb_fictitious_opts_t o = {.seed = seed, .n_authors = n};
    lb_error_t err;
    if (lb_fictitious_write(&o, dir, &err)) fail_msg("%s", err.msg);
}

static void test_determinism(void **state) {
    (void)state;
    uint64_t a[LB_FICTITIOUS_N_SPLITS], b[LB_FICTITIOUS_N_SPLITS], c[LB_FICTITIOUS_N_SPLITS];
    char da[400], db[400], dc[400];
    write_set("a/nested", 11, 30);
    write_set("b", 11, 30);
    write_set("c", 12, 30);
    snprintf(da, sizeof da, "%s/a/nested", lb_tmpdir);
    snprintf(db, sizeof db, "%s/b", lb_tmpdir);
    snprintf(dc, sizeof dc, "%s/c", lb_tmpdir);
    hash_dir(da, a);
    hash_dir(db, b);
    hash_dir(dc, c);
    for (int i = 0; i < LB_FICTITIOUS_N_SPLITS; i++) {
        assert_true(a[i] == b[i]);
        assert_true(a[i] != c[i]);
    }
    /* Writing again over an existing folder gives the same bytes (atomic replace, no leftovers). */
    write_set("b", 11, 30);
    hash_dir(db, c);
    for (int i = 0; i < LB_FICTITIOUS_N_SPLITS; i++) assert_true(b[i] == c[i]);
}

static int author_in(const lb_dataset_t *ds, const char *author) {
    for (size_t i = 0; i < ds->n; i++)
        if (!strcmp(ds->items[i].author, author)) return 1;
    return 0;
}

static size_t count_authors(const lb_dataset_t *ds) {
    size_t k = 0;
    for (size_t i = 0; i < ds->n; i++) k += i == 0 || strcmp(ds->items[i].author, ds->items[i - 1].author);
    return k;
}

static size_t words(const char *s) {
    size_t n = 0;
    for (const char *p = s; *p; p++) n += *p != ' ' && (p == s || p[-1] == ' ');
    return n;
}

static void load_split(const char *dir, const char *split, lb_dataset_t *ds) {
    char path[512];
    lb_error_t err;
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, split);
    if (lb_data_load(path, LB_DATA_AUTO, ds, &err)) fail_msg("%s", err.msg);
}

static void test_structure(void **state) {
    (void)state;
    const int n = 50;
    write_set("s", 3, n);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/s", lb_tmpdir);
    lb_dataset_t full, hold;
    load_split(dir, "full", &full);
    load_split(dir, "holdout", &hold);
    assert_int_equal(count_authors(&full), n);
    size_t per = full.n / (size_t)n;
    assert_true(per >= 15 && per <= 25);
    assert_int_equal(full.n, per * (size_t)n);
    assert_int_equal(count_authors(&hold), (size_t)lb_fictitious_forget_authors(n, 10));
    assert_int_equal(hold.n, per * count_authors(&hold));
    for (size_t i = 0; i < hold.n; i++) assert_false(author_in(&full, hold.items[i].author));

    const int pcts[3] = {1, 5, 10};
    for (int p = 0; p < 3; p++) {
        char fname[32], rname[32];
        snprintf(fname, sizeof fname, "forget%02d", pcts[p]);
        snprintf(rname, sizeof rname, "retain%02d", 100 - pcts[p]);
        lb_dataset_t f, r;
        load_split(dir, fname, &f);
        load_split(dir, rname, &r);
        size_t k = (size_t)lb_fictitious_forget_authors(n, pcts[p]);
        assert_int_equal(count_authors(&f), k);
        assert_int_equal(f.n + r.n, full.n);
        /* forget = the last authors of full, retain = the rest, in order and disjoint. */
        for (size_t i = 0; i < r.n; i++) assert_string_equal(r.items[i].id, full.items[i].id);
        for (size_t i = 0; i < f.n; i++) {
            assert_string_equal(f.items[i].id, full.items[r.n + i].id);
            assert_false(author_in(&r, f.items[i].author));
        }
        lb_dataset_free(&f);
        lb_dataset_free(&r);
    }

    const lb_dataset_t *sets[2] = {&full, &hold};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sets[s]->n; i++) {
            const lb_data_item_t *it = &sets[s]->items[i];
            assert_true(strlen(it->question) > 10);
            assert_non_null(it->answer);
            assert_non_null(it->paraphrased_answer);
            assert_string_not_equal(it->paraphrased_answer, it->answer);
            size_t w = words(it->answer);
            if (w < 10 || w > 40) fail_msg("answer of %zu words: %s", w, it->answer);
            assert_true(it->n_perturbed >= 3 && it->n_perturbed <= 5);
            for (size_t k = 0; k < it->n_perturbed; k++) {
                assert_string_not_equal(it->perturbed[k], it->answer);
                for (size_t j = 0; j < k; j++) assert_string_not_equal(it->perturbed[k], it->perturbed[j]);
            }
            for (size_t j = 0; j < i; j++) assert_string_not_equal(it->id, sets[s]->items[j].id);
        }
    lb_dataset_free(&full);
    lb_dataset_free(&hold);
}

static void test_forget_sizes_and_errors(void **state) {
    (void)state;
    /* TOFU: 200 authors -> forget01/05/10 hold 2/10/20 authors. */
    assert_int_equal(lb_fictitious_forget_authors(200, 1), 2);
    assert_int_equal(lb_fictitious_forget_authors(200, 5), 10);
    assert_int_equal(lb_fictitious_forget_authors(200, 10), 20);
    assert_int_equal(lb_fictitious_forget_authors(50, 1), 1);
    assert_int_equal(lb_fictitious_forget_authors(1, 10), 1);
    lb_fictitious_opts_t o = {.seed = 1, .n_authors = 0};
    lb_dataset_t a, b;
    lb_error_t err;
    assert_int_equal(lb_fictitious_generate(&o, &a, &b, &err), LB_EINVAL);
    o.n_authors = 2;
    /* A path under a regular file cannot be created. */
    char bad[400];
    snprintf(bad, sizeof bad, "%s/file", lb_tmpdir);
    FILE *fp = fopen(bad, "w");
    assert_non_null(fp);
    fclose(fp);
    strcat(bad, "/sub");
    assert_int_equal(lb_fictitious_write(&o, bad, &err), LB_EIO);
    assert_non_null(strstr(err.msg, "file"));
    /* Author k does not depend on how many authors are asked for. */
    lb_dataset_t s2, h2, s5, h5;
    o.n_authors = 2;
    assert_int_equal(lb_fictitious_generate(&o, &s2, &h2, &err), 0);
    o.n_authors = 5;
    assert_int_equal(lb_fictitious_generate(&o, &s5, &h5, &err), 0);
    for (size_t i = 0; i < s2.n; i++) assert_string_equal(s2.items[i].answer, s5.items[i].answer);
    lb_dataset_free(&s2);
    lb_dataset_free(&h2);
    lb_dataset_free(&s5);
    lb_dataset_free(&h5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_forget_sizes_and_errors),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
