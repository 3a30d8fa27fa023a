/* Unit tests of `init` as a library call (lb_train_init_dir) and of the size string
 * (lb_model_size_format): the folder holds exactly what lb_train_init_model writes, appears
 * as one (no temporary sibling left, other files of out kept), and every refusal (the size, the
 * tokenizer, a held lock, out a file) leaves out as it was and says whether the inputs or the
 * output failed. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "leakbound/io.h"
#include "leakbound/tokenizer.h"
#include "leakbound/train_run.h"
#include "lb_test_tmp.h"

static void test_size_format(void **state) {
    (void)state;
    static const char *const specs[] = {"L4-D128-H4-KV2-I512-T256", "L1-D16-H2-KV2-I64-T32"};
    char buf[64];
    for (size_t i = 0; i < 2; i++) {
        lb_model_size_t z;
        lb_error_t err = {0};
        assert_int_equal(lb_model_size_parse(specs[i], LB_ARCH_LLAMA, &z, &err), 0);
        assert_ptr_equal(lb_model_size_format(&z, buf, sizeof buf), buf);
        assert_string_equal(buf, specs[i]);
    }
    lb_model_size_t z;
    lb_error_t err = {0};
    assert_int_equal(lb_model_size_parse("", LB_ARCH_LLAMA, &z, &err), 0);
    assert_string_equal(lb_model_size_format(&z, buf, sizeof buf), "L2-D64-H4-KV4-I176-T256");
    assert_string_equal(lb_model_size_format(&z, buf, 6), "L2-D6"); /* cut as snprintf cuts */
    buf[0] = 'x';
    lb_model_size_format(&z, buf, 0);
    assert_int_equal(buf[0], 'x');
}

/* The bytes of path (malloc'd, NUL-terminated) and their count; NULL when unreadable. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = NULL;
    size_t n = 0, cap = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + got + 1 > cap) {
            cap = (n + got + 1) * 2;
            b = realloc(b, cap);
            assert_non_null(b);
        }
        memcpy(b + n, chunk, got);
        n += got;
    }
    fclose(f);
    if (!b) b = calloc(1, 1);
    b[n] = 0;
    *len = n;
    return b;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The names in dir, sorted, joined by '|'. */
static void listing(const char *dir, char *out, size_t cap) {
    struct dirent **e;
    int n = scandir(dir, &e, NULL, alphasort);
    assert_true(n >= 0);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        snprintf(out + strlen(out), cap - strlen(out), "%s|", e[i]->d_name);
        free(e[i]);
    }
    free(e);
}

static void assert_file(const char *dir, const char *name, const char *text) {
    char p[512];
    size_t n;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *b = slurp(p, &n);
    assert_non_null(b);
    assert_string_equal(b, text);
    free(b);
}

static void assert_same_file(const char *a_dir, const char *b_dir, const char *name) {
    char a[512], b[512];
    size_t na, nb;
    snprintf(a, sizeof a, "%s/%s", a_dir, name);
    snprintf(b, sizeof b, "%s/%s", b_dir, name);
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x);
    free(y);
}

static void test_init_dir(void **state) {
    (void)state;
    const char *src = getenv("LB_SOURCE_DIR");
    assert_non_null(src);
    char tok[512], out[300], ref[300], file[300], before[1024], now[1024], top[1024];
    snprintf(tok, sizeof tok, "%s/examples/default/model/tokenizer.json", src);
    snprintf(out, sizeof out, "%s/m", lb_tmpdir);
    snprintf(ref, sizeof ref, "%s/ref", lb_tmpdir);
    snprintf(file, sizeof file, "%s/afile", lb_tmpdir);
    assert_int_equal(mkdir(out, 0755), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/config.json", out);
    write_text(p, "old");
    snprintf(p, sizeof p, "%s/notes.txt", out);
    write_text(p, "mine");
    write_text(file, "a file");
    lb_io_lock_t lock = {0};
    lb_error_t err = {0};
    assert_int_equal(lb_io_lock_acquire(&lock, out, 0, &err), 0); /* its lock file stays */
    lb_io_lock_release(&lock);
    listing(out, before, sizeof before);
    listing(lb_tmpdir, top, sizeof top);

    const lb_train_init_opts_t good = {.arch = LB_ARCH_LLAMA, .size = "L2-D32-H4-KV2-I48-T64",
                                       .tokenizer = tok, .out = out, .seed = 7};
    lb_train_init_info_t info;

    /* refusals: out as it was, nothing left beside it */
    lb_train_init_opts_t o = good;
    o.size = "L2-D30-H4";
    assert_int_equal(lb_train_init_dir(&o, 0, &info, &err), LB_EINVAL);
    assert_int_equal(info.output, 0);
    assert_string_equal(err.msg, "size \"L2-D30-H4\": heads must divide the hidden size and kv "
                                 "heads the heads");
    o = good;
    o.tokenizer = "/nonexistent/tok.json";
    assert_int_equal(lb_train_init_dir(&o, 0, &info, &err), LB_EIO);
    assert_int_equal(info.output, 0);
    assert_non_null(strstr(err.msg, "/nonexistent/tok.json"));
    o = good;
    o.tokenizer = NULL;
    assert_int_equal(lb_train_init_dir(&o, 0, &info, &err), LB_EINVAL);
    assert_int_equal(info.output, 0);
    assert_int_equal(lb_io_lock_acquire(&lock, out, 0, &err), 0);
    assert_int_equal(lb_train_init_dir(&good, 0, &info, &err), LB_EINVAL);
    lb_io_lock_release(&lock);
    assert_int_equal(info.output, 1);
    assert_int_equal(info.vocab, 768); /* the inputs were read */
    assert_non_null(strstr(err.msg, "--out: another leakbound run is writing"));
    o = good;
    o.out = file;
    assert_int_not_equal(lb_train_init_dir(&o, 0, &info, &err), 0);
    assert_int_equal(info.output, 1);
    assert_non_null(strstr(err.msg, "--out: "));
    assert_file(lb_tmpdir, "afile", "a file");
    listing(out, now, sizeof now);
    assert_string_equal(now, before);
    assert_file(out, "config.json", "old");
    listing(lb_tmpdir, now, sizeof now);
    assert_string_equal(now, top);

    /* the folder: what lb_train_init_model writes, the three files replaced together */
    assert_int_equal(lb_train_init_dir(&good, 0, &info, &err), 0);
    lb_model_size_t z;
    assert_int_equal(lb_model_size_parse(good.size, good.arch, &z, &err), 0);
    assert_memory_equal(&info.size, &z, sizeof z);
    lb_tokenizer_t *t = NULL;
    assert_int_equal(lb_tokenizer_load(tok, &t, &err), 0);
    int bos, eos;
    lb_train_special_ids(t, &bos, &eos);
    assert_int_equal(info.vocab, (int)lb_tokenizer_vocab_size(t));
    assert_int_equal(info.bos, bos);
    assert_int_equal(info.eos, eos);
    lb_tokenizer_free(t);
    assert_int_equal(mkdir(ref, 0755), 0);
    assert_int_equal(lb_train_init_model(good.arch, &z, info.vocab, bos, eos, tok, good.seed,
                                         ref, &err), 0);
    listing(out, now, sizeof now);
    assert_string_equal(now, ".|..|config.json|model.safetensors|notes.txt|tokenizer.json|");
    assert_same_file(out, ref, "config.json");
    assert_same_file(out, ref, "model.safetensors");
    assert_same_file(out, ref, "tokenizer.json");
    assert_file(out, "notes.txt", "mine");
    listing(lb_tmpdir, now, sizeof now);
    assert_null(strstr(now, ".tmp-"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_format),
        cmocka_unit_test(test_init_dir),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
