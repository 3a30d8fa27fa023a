/* Unit tests for lb_tokenizer_jsonl (`tokenize` as one library call): each output line is the
 * JSON of lb_tokenizer_encode / lb_tokenizer_decode of its input line, the options pass
 * add_special / skip_special through, and a bad line is an error naming IN:LINE. The ids
 * themselves are checked against HF tokenizers by oracle.tokenizer_cli. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "leakbound/tokenizer.h"

static lb_tokenizer_t *tok;
static char in[64];

static int setup(void **state) {
    (void)state;
    const char *src = getenv("LB_SOURCE_DIR");
    char p[4096];
    snprintf(p, sizeof p, "%s/examples/default/model/tokenizer.json", src ? src : ".");
    lb_error_t err;
    if (lb_tokenizer_load(p, &tok, &err)) return -1;
    snprintf(in, sizeof in, "/tmp/lb_tok_jsonl_XXXXXX");
    int fd = mkstemp(in);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    lb_tokenizer_free(tok);
    return unlink(in);
}

static void put(const char *text) {
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Run lb_tokenizer_jsonl on in; the output in a malloc'd string. */
static char *run(const lb_tokenizer_jsonl_opts_t *o, int want_rc, lb_error_t *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(lb_tokenizer_jsonl(tok, in, out, o, err), want_rc);
    fclose(out);
    return buf;
}

static void ids_line(const char *text, int add_special, char *line, size_t cap) {
    int32_t *ids;
    size_t n, o = 0;
    lb_error_t err;
    assert_int_equal(lb_tokenizer_encode(tok, text, strlen(text), add_special, &ids, &n, &err), 0);
    o += (size_t)snprintf(line + o, cap - o, "[");
    for (size_t i = 0; i < n; i++) o += (size_t)snprintf(line + o, cap - o, i ? ",%d" : "%d", ids[i]);
    snprintf(line + o, cap - o, "]\n");
    free(ids);
}

static void test_encode(void **state) {
    (void)state;
    put("\"hello world\"\n{\"text\": \"Who wrote it?\", \"id\": 3}\n");
    lb_tokenizer_jsonl_opts_t o;
    lb_tokenizer_jsonl_opts_default(&o);
    assert_int_equal(o.decode, 0);
    assert_int_equal(o.add_special, 1);
    assert_int_equal(o.skip_special, 1);
    lb_error_t err;
    for (int sp = 1; sp >= 0; sp--) {
        o.add_special = sp;
        char *got = run(&o, 0, &err), want[2048], l2[1024];
        ids_line("hello world", sp, want, sizeof want);
        ids_line("Who wrote it?", sp, l2, sizeof l2);
        strcat(want, l2);
        assert_string_equal(got, want);
        free(got);
    }
}

static void test_decode_and_errors(void **state) {
    (void)state;
    int32_t *ids;
    size_t n;
    lb_error_t err;
    assert_int_equal(lb_tokenizer_encode(tok, "a b", 3, 0, &ids, &n, &err), 0);
    char line[256];
    size_t o = 0;
    o += (size_t)snprintf(line + o, sizeof line - o, "[");
    for (size_t i = 0; i < n; i++) o += (size_t)snprintf(line + o, sizeof line - o, i ? ",%d" : "%d", ids[i]);
    snprintf(line + o, sizeof line - o, "]\n[]\n");
    free(ids);
    put(line);
    lb_tokenizer_jsonl_opts_t opt;
    lb_tokenizer_jsonl_opts_default(&opt);
    opt.decode = 1;
    char *got = run(&opt, 0, &err);
    assert_string_equal(got, "\"a b\"\n\"\"\n");
    free(got);
    /* the second line is bad: the first line's output stays, the error names IN:2 */
    put("[1]\n[1, -2]\n[3]\n");
    got = run(&opt, LB_EINVAL, &err);
    char want[128];
    snprintf(want, sizeof want, "%s:2: element 1 is not a token id (a non-negative integer)", in);
    assert_string_equal(err.msg, want);
    size_t lines = 0;
    for (const char *c = got; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 1);
    free(got);
    opt.decode = 0;
    put("\"x\"\n[1]\n");
    got = run(&opt, LB_EINVAL, &err);
    snprintf(want, sizeof want, "%s:2: expected a JSON string or an object with a string \"text\"", in);
    assert_string_equal(err.msg, want);
    free(got);
    put("\"x\"\n{\"text\": \n");
    got = run(&opt, LB_EFORMAT, &err);
    free(got);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_decode_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
