/* Prompt templates: built-ins (docs/evaluation.md, 'Templates'), literal format strings, chat templates from
 * tokenizer_config.json, and the errors of each. The Jinja renderings below follow Jinja's rules;
 * tests/oracle/data_chat_templates.py re-renders these and many more with Python's jinja2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "leakbound/data.h"

#include "lb_test_tmp.h"

static void expect_render(const char *spec, const char *q, const char *want) {
    lb_template_t *t;
    lb_error_t err;
    if (lb_template_open(spec, NULL, &t, &err)) fail_msg("open '%s': %s", spec, err.msg);
    char *out;
    assert_int_equal(lb_template_render(t, q, &out, &err), 0);
    assert_string_equal(out, want);
    free(out);
    lb_template_free(t);
}

static void test_builtin_and_literal(void **state) {
    (void)state;
    expect_render("raw", "What?", "What?");
    expect_render("phi", "Who wrote it?", "Question: Who wrote it?\n");
    expect_render("llama2", "Who?", "[INST] Who? [/INST]");
    expect_render("Q: {q} A:", "x", "Q: x A:");
    expect_render("{{json}} {q}{q} }}", "ab", "{json} abab }");
    expect_render("{q}", "{q} stays", "{q} stays");
    /* An escaped brace before a placeholder name is literal text (a fuzzer found the sizing pass
     * counting "{{prefix}}" as an empty {prefix} while the writer copied 8 bytes). */
    expect_render("{{prefix}}{{prefix}}{{prefix}}{q}", "", "{prefix}{prefix}{prefix}");
    expect_render("{{q}}{q}", "x", "{q}x");
}

static void test_literal_errors(void **state) {
    (void)state;
    lb_template_t *t;
    lb_error_t err;
    assert_int_equal(lb_template_open("nonsense", NULL, &t, &err), LB_EINVAL);
    assert_null(t);
    assert_non_null(strstr(err.msg, "no {q} placeholder"));
    assert_int_equal(lb_template_open("{q} {x}", NULL, &t, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "unmatched '{' at offset 4"));
    assert_int_equal(lb_template_open("{q} }", NULL, &t, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "unmatched '}'"));
    assert_int_equal(lb_template_open("chat", NULL, &t, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "tokenizer_config.json"));
}

static char *chat(const char *src, const char *q, int want_rc, lb_error_t *err) {
    lb_template_t *t;
    int rc = lb_template_chat(src, "<s>", "</s>", "tokenizer_config.json", &t, err);
    char *out = NULL;
    if (!rc) {
        rc = lb_template_render(t, q, &out, err);
        lb_template_free(t);
    }
    if (rc != want_rc) fail_msg("'%s': rc %d, want %d (%s)", src, rc, want_rc, rc ? err->msg : out);
    return out;
}

static void expect_chat(const char *src, const char *q, const char *want) {
    lb_error_t err;
    char *out = chat(src, q, 0, &err);
    assert_string_equal(out, want);
    free(out);
}

static void test_chat_subset(void **state) {
    (void)state;
    expect_chat("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
                "hi", "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    expect_chat("a  {%- if true -%}  \n x {% endif %}\n  {% if 1 %}\n  y\n{% endif %}\nz\n", " Hi ", "ax   y\nz");
    expect_chat("{{ messages[0].content.strip() ~ 1 ~ true ~ none }}|{{ messages|length }}|"
                "{{ messages[-1][\"role\"]|upper }}|{{ (7 // 2) * -1 % 5 }}",
                " Hi ", "Hi1TrueNone|1|USER|2");
    expect_chat("{{ \"x\" if messages[0].nope is defined else \"y\" }}{{ messages[0].content is string }}"
                "{{ \"us\" in messages[0].role }}{{ 1 if not add_generation_prompt }}|{{ messages[1:]|length }}{{ \"abc\"[1:] }}",
                " Hi ", "yTrueTrue|0bc");
    expect_chat("{% for m in messages %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}"
                "{% set x = 5 %}{% endfor %}{{ x }}{# c #}",
                " Hi ", "1TrueTrue1");
    expect_chat("{{ bos_token }}{% if messages[0]['role'] == 'system' %}S{% elif messages[0]['role'] == 'user' %}U"
                "{% else %}O{% endif %}{{ eos_token }}",
                "q", "<s>U</s>");
}

static void expect_chat_error(const char *src, int code, const char *frag) {
    lb_error_t err;
    char *out = chat(src, "q", code, &err);
    free(out);
    if (!strstr(err.msg, frag)) fail_msg("'%s': message '%s' lacks '%s'", src, err.msg, frag);
    assert_non_null(strstr(err.msg, "tokenizer_config.json: chat_template:"));
}

static void test_chat_errors(void **state) {
    (void)state;
    /* Outside the subset: named, with the template line. */
    expect_chat_error("{% macro f() %}x{% endmacro %}", LB_EUNSUPPORTED, ":1: unsupported construct: {% macro %}");
    expect_chat_error("\n\n{{ x|tojson }}", LB_EUNSUPPORTED, ":3: unsupported construct: filter 'tojson'");
    expect_chat_error("{% set ns = namespace(a=1) %}", LB_EUNSUPPORTED, "call of namespace()");
    expect_chat_error("{{ m.items() }}", LB_EUNSUPPORTED, "method call .items()");
    expect_chat_error("{% for a, b in x %}{% endfor %}", LB_EUNSUPPORTED, "several loop variables");
    expect_chat_error("{{ [1, 2] }}", LB_EUNSUPPORTED, "list literal");
    expect_chat_error("{{ 1 / 2 }}", LB_EUNSUPPORTED, "operator '/'");
    expect_chat_error("{{ x is sameas y }}", LB_EUNSUPPORTED, "test 'is sameas'");
    expect_chat_error("{% if true %}x", LB_EUNSUPPORTED, "missing {% endif %}");
    expect_chat_error("{% for m in messages %}x", LB_EUNSUPPORTED, "missing {% endfor %}");
    expect_chat_error("{{ 'abc }}", LB_EUNSUPPORTED, "unterminated string literal");
    expect_chat_error("{{ 1 < 2 < 3 }}", LB_EUNSUPPORTED, "chained comparison");
    expect_chat_error("{{ x", LB_EUNSUPPORTED, "unclosed tag");
    expect_chat_error("{# x", LB_EUNSUPPORTED, "unclosed comment");
    expect_chat_error("{% generation %}", LB_EUNSUPPORTED, "{% generation %}");
    /* Run time: raise_exception and type errors, with the line. */
    expect_chat_error("a\n{% if messages[0].role == 'user' %}{{ raise_exception('no users here') }}{% endif %}",
                      LB_EINVAL, ":2: raise_exception: no users here");
    expect_chat_error("{{ 'a' + 1 }}", LB_EINVAL, "operator '+' on a string and a integer");
    expect_chat_error("{{ nothing.attr }}", LB_EINVAL, "attribute 'attr' of an undefined value");
    expect_chat_error("{{ messages }}", LB_EINVAL, "cannot turn a list into text");
    expect_chat_error("{{ 1 % 0 }}", LB_EINVAL, "modulo by zero");
}

/* src repeated k times between head and tail (malloc'd). */
static char *repeat(const char *head, const char *unit, size_t k, const char *mid, const char *unit2,
                    const char *tail) {
    size_t n = strlen(head) + k * (strlen(unit) + strlen(unit2)) + strlen(mid) + strlen(tail) + 1;
    char *s = malloc(n), *d = s;
    assert_non_null(s);
    d += sprintf(d, "%s", head);
    for (size_t i = 0; i < k; i++) d += sprintf(d, "%s", unit);
    d += sprintf(d, "%s", mid);
    for (size_t i = 0; i < k; i++) d += sprintf(d, "%s", unit2);
    sprintf(d, "%s", tail);
    return s;
}

/* Deep nesting of every recursive construct: 20000 levels overflowed the stack (SIGSEGV) before
 * the depth limit; 40 levels (within what Python's Jinja renders) still work. */
static void test_chat_depth(void **state) {
    (void)state;
    static const struct { const char *head, *unit, *mid, *unit2, *tail, *want; } kinds[] = {
        {"{{ ", "(", "1", ")", " }}", "1"},
        {"", "{% if true %}", "x", "{% endif %}", "", "x"},
        {"", "{% for m in messages %}", "y", "{% endfor %}", "", "y"},
        {"{{ ", "1 + ", "1", "", " }}", NULL},
        {"{{ ", "not ", "1", "", " }}", NULL},
        {"{{ ", "-", "1", "", " }}", NULL},
        {"{{ ", "", "messages", "[0:]", "|length }}", "1"},
        {"{{ ", "", "messages[0]", ".a", " is defined }}", NULL},
        {"{{ ", "", "'A'", "|lower", " }}", "a"},
        {"{{ ", "", "'A'", ".lower()", " }}", "a"},
        {"{{ ", "", "'A'", " ~ 'b'", " }}", NULL},
        {"{{ ", "'a' if false else ", "'b'", "", " }}", "b"},
        {"{{ ", "raise_exception(", "'x'", ")", " }}", NULL},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char *src = repeat(kinds[i].head, kinds[i].unit, 20000, kinds[i].mid, kinds[i].unit2, kinds[i].tail);
        expect_chat_error(src, LB_EUNSUPPORTED, "nesting deeper than 256 levels");
        free(src);
        if (!kinds[i].want) continue;
        src = repeat(kinds[i].head, kinds[i].unit, 40, kinds[i].mid, kinds[i].unit2, kinds[i].tail);
        expect_chat(src, "q", kinds[i].want);
        free(src);
    }
    /* Just below and just above the limit, counted as statements plus expression levels. */
    char *src = repeat("", "{% if true %}", 255, "x", "{% endif %}", "");
    expect_chat(src, "q", "x");
    free(src);
    src = repeat("", "{% if true %}", 256, "x", "{% endif %}", "");
    expect_chat_error(src, LB_EUNSUPPORTED, ":1: unsupported construct: nesting deeper than 256 levels");
    free(src);
}

/* Integers are 64-bit: an operation whose result Python would make a big integer is an error
 * naming the operation (before: SIGFPE for // and % by -1, silent wraparound for + - * and
 * unary minus, literals above 2^63 - 1 clamped). Results that fit are Python's, floored. */
static void test_chat_integers(void **state) {
    (void)state;
    expect_chat("{{ (-9223372036854775807 - 1) % -1 }}|{{ 9223372036854775807 // -1 }}|"
                "{{ -9223372036854775807 - 1 }}|{{ 9223372036854775807 }}|{{ 7 % -3 }}{{ -7 // 2 }}|"
                "{{ (-9223372036854775807 - 1) % 10 }}|{{ (-9223372036854775807 - 1) // 2 }}",
                "q", "0|-9223372036854775807|-9223372036854775808|9223372036854775807|-2-4|2|"
                "-4611686018427387904");
    expect_chat_error("{{ (-9223372036854775807 - 1) // -1 }}", LB_EINVAL, ":1: integer overflow in '//'");
    expect_chat_error("\n{{ 9223372036854775807 + 1 }}", LB_EINVAL, ":2: integer overflow in '+'");
    expect_chat_error("{{ -9223372036854775807 - 2 }}", LB_EINVAL, "integer overflow in '-'");
    expect_chat_error("{{ 4611686018427387904 * 2 }}", LB_EINVAL, "integer overflow in '*'");
    expect_chat_error("{{ 3037000500 * -3037000500 }}", LB_EINVAL, "integer overflow in '*'");
    expect_chat_error("{{ -(-9223372036854775807 - 1) }}", LB_EINVAL, "integer overflow in unary '-'");
    expect_chat_error("{{ 9223372036854775808 }}", LB_EUNSUPPORTED,
                      ":1: unsupported construct: integer literal 9223372036854775808");
    expect_chat_error("{{ 1 + 99999999999999999999999 }}", LB_EUNSUPPORTED, "integer literal 99999999999999999999999");
}

/* Every way a template makes memory or work is bounded, with an error naming the line: one
 * string value (~, +, *, upper/lower), the rendered prompt, all scratch strings of a render
 * (before: {% set s = s ~ s %} repeated grew without limit) and loop iterations (nested loops
 * over a dict's keys doubled per level). */
static void test_chat_sizes(void **state) {
    (void)state;
    char *src = repeat("{% set s = 'aaaaaaaaaaaaaaaa' %}", "\n{% set s = s ~ s %}", 21, "", "", "{{ s|length }}");
    expect_chat_error(src, LB_EINVAL, ":22: string of 33554432 bytes is longer than 16 MiB");
    free(src);
    src = repeat("{% set s = 'aaaaaaaaaaaaaaaa' %}", "{% set s = s + s %}", 20, "", "", "{{ s|length }}");
    expect_chat(src, "q", "16777216");  /* exactly 16 MiB is allowed */
    free(src);
    src = repeat("{% set s = 'aaaaaaaaaaaaaaaa' %}", "{% set s = s + s %}", 20, "", "", "{{ (s + 'b')|length }}");
    expect_chat_error(src, LB_EINVAL, "string of 16777217 bytes is longer than 16 MiB");
    free(src);
    expect_chat_error("{{ ('ab' * 8388608) ~ 'c' }}", LB_EINVAL, "longer than 16 MiB");
    expect_chat_error("{{ 'abc' * 8388608 }}", LB_EINVAL, "string of 25165824 bytes is longer than 16 MiB");
    /* An empty string times a huge count is empty at once (it copied nothing 4e9 times: > 20 s). */
    {
        clock_t t0 = clock();
        expect_chat("{{ ('' * 4000000000)|length }}", "q", "0");
        assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    }
    /* U+0250 (2 bytes) upper-cases to U+2C6F (3 bytes). */
    expect_chat("{{ ('\xc9\x90' * 5000000)|upper|length }}", "q", "5000000");
    expect_chat_error("{{ ('\xc9\x90' * 6000000)|upper }}", LB_EINVAL, "string of 18000000 bytes is longer than 16 MiB");
    expect_chat_error("{{ ('\xc9\x90' * 6000000).upper() }}", LB_EINVAL, "longer than 16 MiB");
    /* The rendered prompt. */
    expect_chat_error("{% set s = 'x' * 10000000 %}{{ s }}\n{{ s }}", LB_EINVAL,
                      ":2: the rendered prompt would be longer than 16 MiB");
    /* Loop iterations: 15 nested loops over a dict's 2 keys run 65534 iterations in all, 16 run
     * 131070. */
    src = repeat("", "{% for k in messages[0] %}", 15, "{% if loop.first %}y{% endif %}", "{% endfor %}", "");
    lb_error_t err;
    char *out = chat(src, "q", 0, &err);
    assert_int_equal(strlen(out), 16384);
    free(out);
    free(src);
    src = repeat("", "{% for k in messages[0] %}", 16, "{% if loop.first %}y{% endif %}", "{% endfor %}", "");
    expect_chat_error(src, LB_EINVAL, ":1: more than 65536 loop iterations");
    free(src);
    /* Scratch: 256 copies of a 2 MB string, each under the per-value limit, are 512 MB. */
    src = repeat("{% set big = 'x' * 2000000 %}", "{% for k in messages[0] %}", 8, "{% set t = big ~ k %}", "{% endfor %}", "");
    expect_chat_error(src, LB_EINVAL, ":1: scratch strings of this render would take more than 256 MiB");
    free(src);
}

static const char *put(const char *name, const char *data) {
    static char path[400];
    snprintf(path, sizeof path, "%s/%s", lb_tmpdir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(data, fp);
    fclose(fp);
    return path;
}

static void test_tokenizer_config(void **state) {
    (void)state;
    lb_template_t *t;
    lb_error_t err;
    char *out;
    /* The model folder or the file itself; AddedToken objects for special tokens. */
    put("tokenizer_config.json",
        "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\",\n"
        " \"chat_template\": \"{{ bos_token + '[INST] ' + messages[0]['content'].strip() + ' [/INST]' }}\"}");
    assert_int_equal(lb_template_open("chat", lb_tmpdir, &t, &err), 0);
    assert_string_equal(lb_template_name(t), "chat");
    assert_int_equal(lb_template_render(t, " Who? ", &out, &err), 0);
    assert_string_equal(out, "<s>[INST] Who? [/INST]");
    free(out);
    lb_template_free(t);
    /* A list of named templates: the "default" one. */
    const char *p = put("named.json",
                        "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                        " {\"name\": \"default\", \"template\": \"D{{ messages[0].content }}\"}]}");
    assert_int_equal(lb_template_open("chat", p, &t, &err), 0);
    assert_int_equal(lb_template_render(t, "x", &out, &err), 0);
    assert_string_equal(out, "Dx");
    free(out);
    lb_template_free(t);
    /* Errors: no template, malformed JSON, unsupported construct (names the file), missing file. */
    p = put("none.json", "{\"eos_token\": \"</s>\"}");
    assert_int_equal(lb_template_open("chat", p, &t, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "none.json: no \"chat_template\""));
    p = put("bad.json", "{\"chat_template\": \"x\",\n \"eos_token\": }");
    assert_int_equal(lb_template_open("chat", p, &t, &err), LB_EFORMAT);
    assert_non_null(strstr(err.msg, "bad.json:2:"));
    p = put("macro.json", "{\"chat_template\": \"{% macro m() %}{% endmacro %}\"}");
    assert_int_equal(lb_template_open("chat", p, &t, &err), LB_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "macro.json: chat_template:1: unsupported construct: {% macro %}"));
    assert_int_equal(lb_template_open("chat", "/nonexistent/dir/tokenizer_config.json", &t, &err), LB_EIO);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_and_literal),
        cmocka_unit_test(test_literal_errors),
        cmocka_unit_test(test_chat_subset),
        cmocka_unit_test(test_chat_errors),
        cmocka_unit_test(test_chat_depth),
        cmocka_unit_test(test_chat_integers),
        cmocka_unit_test(test_chat_sizes),
        cmocka_unit_test(test_tokenizer_config),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
