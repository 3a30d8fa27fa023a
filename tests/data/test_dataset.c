/* Dataset readers: JSON array / JSONL (TOFU layout) and CSV (Harry Potter Q&A layout), their
 * quoting edge cases, and every error path with the place it names. */
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

/* Write data (len bytes; -1 = strlen) to lb_tmpdir/name and return the path (static buffer). */
static const char *put(const char *name, const char *data, long len) {
    static char path[400];
    snprintf(path, sizeof path, "%s/%s", lb_tmpdir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    size_t n = len < 0 ? strlen(data) : (size_t)len;
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
    return path;
}

/* Load and expect failure with code; the message must contain each of the fragments. */
static void expect_error(const char *name, const char *data, int code, const char *frag1, const char *frag2) {
    const char *path = put(name, data, -1);
    lb_dataset_t ds;
    lb_error_t err;
    int rc = lb_data_load(path, LB_DATA_AUTO, &ds, &err);
    if (rc != code || (frag1 && !strstr(err.msg, frag1)) || (frag2 && !strstr(err.msg, frag2)))
        fail_msg("%s: rc %d (want %d), message '%s' (want '%s' and '%s')", name, rc, code,
                 rc ? err.msg : "", frag1 ? frag1 : "", frag2 ? frag2 : "");
    assert_int_equal(ds.n, 0);
    assert_null(ds.items);
}

static void test_json_array_tofu(void **state) {
    (void)state;
    const char *path = put("a.json",
                           "\xef\xbb\xbf[\n"
                           "  {\"question\": \"Q1?\", \"answer\": \"A1\", \"paraphrased_answer\": \"P1\",\n"
                           "   \"perturbed_answer\": [\"w1\", \"w2\", \"w3\"], \"extra\": {\"ignored\": true}},\n"
                           "  {\"id\": \"x-7\", \"question\": \"Q2\", \"answer\": \"\", \"keywords\": \"a, ,b ,\"},\n"
                           "  {\"id\": 42, \"question\": \"Q\\u00e9\", \"answer\": \"A3\", \"perturbed_answer\": \"one\",\n"
                           "   \"keywords\": [\"k\"], \"author\": \"Au\", \"paraphrased_answer\": null}\n"
                           "]\n",
                           -1);
    lb_dataset_t ds;
    lb_error_t err;
    assert_int_equal(lb_data_load(path, LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 3);
    assert_string_equal(ds.items[0].id, "0");
    assert_string_equal(ds.items[0].question, "Q1?");
    assert_string_equal(ds.items[0].paraphrased_answer, "P1");
    assert_int_equal(ds.items[0].n_perturbed, 3);
    assert_string_equal(ds.items[0].perturbed[2], "w3");
    assert_int_equal(ds.items[0].line, 2);
    assert_null(ds.items[0].author);
    assert_string_equal(ds.items[1].id, "x-7");
    assert_string_equal(ds.items[1].answer, "");
    assert_int_equal(ds.items[1].n_keywords, 2);
    assert_string_equal(ds.items[1].keywords[0], "a");
    assert_string_equal(ds.items[1].keywords[1], "b");
    assert_int_equal(ds.items[1].line, 4);
    assert_string_equal(ds.items[2].id, "42");
    assert_string_equal(ds.items[2].question, "Q\xc3\xa9");
    assert_int_equal(ds.items[2].n_perturbed, 1);
    assert_string_equal(ds.items[2].author, "Au");
    assert_null(ds.items[2].paraphrased_answer);
    assert_int_equal(ds.items[2].line, 5);
    lb_dataset_free(&ds);

    /* An empty array is an empty dataset. */
    assert_int_equal(lb_data_load(put("e.json", " [ ] ", -1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 0);
    lb_dataset_free(&ds);
}

static void test_jsonl_and_json_named_jsonl(void **state) {
    (void)state;
    const char *data = "{\"question\": \"a\", \"answer\": \"b\"}\r\n\n  \n{\"question\": \"c\", \"answer\": \"d\"}";
    lb_dataset_t ds;
    lb_error_t err;
    assert_int_equal(lb_data_load(put("t.jsonl", data, -1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 2);
    assert_int_equal(ds.items[1].line, 4);
    assert_string_equal(ds.items[1].id, "1");
    lb_dataset_free(&ds);
    /* Hugging Face writes TOFU's forget10.json as JSON Lines. */
    assert_int_equal(lb_data_load(put("forget10.json", data, -1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 2);
    assert_string_equal(ds.items[1].answer, "d");
    lb_dataset_free(&ds);
    /* Explicit format overrides the extension. */
    assert_int_equal(lb_data_load(put("t.txt", data, -1), LB_DATA_JSONL, &ds, &err), 0);
    assert_int_equal(ds.n, 2);
    lb_dataset_free(&ds);
}

static void test_json_errors(void **state) {
    (void)state;
    expect_error("m1.jsonl", "{\"question\": \"a\", \"answer\": \"b\"}\n{\"question\": \"a\" \"answer\": 1}\n",
                 LB_EFORMAT, "m1.jsonl:2:", "malformed JSON");
    expect_error("m2.json", "[\n {\"question\": \"a\", \"answer\": \"b\"},\n {\"question\": tru}\n]",
                 LB_EFORMAT, "m2.json:3:", "malformed JSON");
    expect_error("m3.json", "[{\"question\": \"a\", \"answer\": \"b\"} {\"question\": \"c\"}]", LB_EFORMAT,
                 "m3.json:1:35", "expected ',' or ']'");
    expect_error("m4.json", "[{\"question\": \"a\", \"answer\": \"b\"}] x", LB_EFORMAT, "m4.json:1:36",
                 "text after the array");
    expect_error("m5.json", "[{\"question\": \"a\", \"answer\": \"b\"},", LB_EFORMAT, "m5.json:1:", NULL);
    expect_error("m6.json", "  \n 7", LB_EFORMAT, "m6.json:2:2: malformed JSON", NULL);
    expect_error("q1.jsonl", "{\"question\": \"a\", \"answer\": \"b\"}\n\n{\"answer\": \"b\"}\n", LB_EINVAL,
                 "q1.jsonl:3: item 1: missing \"question\"", NULL);
    expect_error("q2.json", "[\n{\"id\": 1}]", LB_EINVAL, "q2.json:2: item 0: missing \"question\" (or \"prompt\")", NULL);
    expect_error("q3.jsonl", "{\"prompt\": 3}", LB_EINVAL, "\"prompt\" must be a string", NULL);
    expect_error("t1.jsonl", "{\"question\": 3, \"answer\": \"b\"}", LB_EINVAL, "\"question\" must be a string", NULL);
    expect_error("t2.jsonl", "{\"question\": \"a\", \"answer\": null}", LB_EINVAL, "\"answer\" must be a string", NULL);
    expect_error("t3.jsonl", "{\"question\": \"a\", \"answer\": \"b\", \"perturbed_answer\": {}}", LB_EINVAL,
                 "\"perturbed_answer\" must be an array of strings", NULL);
    expect_error("t4.jsonl", "{\"question\": \"a\", \"answer\": \"b\", \"perturbed_answer\": [\"x\", 2]}",
                 LB_EINVAL, "\"perturbed_answer\"[1] must be a string", NULL);
    expect_error("t5.jsonl", "{\"question\": \"a\", \"answer\": \"b\", \"id\": 1.5}", LB_EINVAL,
                 "\"id\" must be a string or an integer", NULL);
    expect_error("t6.jsonl", "{\"question\": \"a\", \"answer\": \"b\", \"paraphrased_answer\": []}", LB_EINVAL,
                 "\"paraphrased_answer\" must be a string", NULL);
    expect_error("t7.jsonl", "{\"question\": \"a\", \"answer\": \"b\", \"keywords\": [true]}", LB_EINVAL,
                 "\"keywords\"[0] must be a string", NULL);
    expect_error("t8.jsonl", "[1]", LB_EINVAL, "t8.jsonl:1: item 0: expected an object", NULL);
    expect_error("noext", "[]", LB_EINVAL, "cannot tell the format", NULL);
    lb_dataset_t ds;
    lb_error_t err;
    assert_int_equal(lb_data_load("/nonexistent/x.json", LB_DATA_AUTO, &ds, &err), LB_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.json"));
}

/* Prompt-only sets (reference-free metrics): "prompt" stands for "question", "answer" may be
 * absent; CSV "goal" (AdvBench) or "Behavior" (HarmBench) columns are the question. */
static void test_prompt_only(void **state) {
    (void)state;
    lb_dataset_t ds;
    lb_error_t err = {0};
    const char *j = "{\"id\": \"p1\", \"prompt\": \"How do I pick a lock?\"}\n"
                    "{\"question\": \"Q\", \"prompt\": \"ignored\", \"answer\": \"A\"}\n";
    assert_int_equal(lb_data_load(put("po.jsonl", j, -1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 2);
    assert_string_equal(ds.items[0].id, "p1");
    assert_string_equal(ds.items[0].question, "How do I pick a lock?");
    assert_null(ds.items[0].answer);
    assert_string_equal(ds.items[1].question, "Q");
    assert_string_equal(ds.items[1].answer, "A");
    lb_dataset_free(&ds);
    const char *c = "goal,target\nWrite a threat,\"Sure, here is\"\n";
    assert_int_equal(lb_data_load(put("adv.csv", c, -1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 1);
    assert_string_equal(ds.items[0].question, "Write a threat");
    assert_null(ds.items[0].answer);
    lb_dataset_free(&ds);
    const char *h = "BehaviorID,Behavior\nb1,Explain X\n";
    assert_int_equal(lb_data_load(put("hb.csv", h, -1), LB_DATA_AUTO, &ds, &err), 0);
    assert_string_equal(ds.items[0].question, "Explain X");
    lb_dataset_free(&ds);
}

static void test_csv_quoting(void **state) {
    (void)state;
    /* BOM, CRLF, quoted commas, doubled quotes, embedded CRLF and LF, blanks kept in unquoted
     * fields, empty lines skipped, no final newline. */
    const char data[] =
        "\xef\xbb\xbf" "Question,Key Words,Answer\r\n"
        "\"Who is \"\"Harry\"\", really?\",\" Harry , Potter,, \",plain\r\n"
        "\r\n"
        "\"multi\r\nline\nquestion\",\"a,b\", spaced \r\n"
        "last,\"\",\"x\"";
    lb_dataset_t ds;
    lb_error_t err;
    assert_int_equal(lb_data_load(put("hp.csv", data, sizeof data - 1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 3);
    assert_string_equal(ds.items[0].question, "Who is \"Harry\", really?");
    assert_int_equal(ds.items[0].n_keywords, 2);
    assert_string_equal(ds.items[0].keywords[0], "Harry");
    assert_string_equal(ds.items[0].keywords[1], "Potter");
    assert_string_equal(ds.items[0].answer, "plain");
    assert_int_equal(ds.items[0].line, 2);
    assert_string_equal(ds.items[1].question, "multi\r\nline\nquestion");
    assert_int_equal(ds.items[1].n_keywords, 2);
    assert_string_equal(ds.items[1].answer, " spaced ");
    assert_int_equal(ds.items[1].line, 4);
    assert_string_equal(ds.items[2].question, "last");
    assert_int_equal(ds.items[2].n_keywords, 0);
    assert_null(ds.items[2].keywords);
    assert_int_equal(ds.items[2].line, 7);
    assert_string_equal(ds.items[2].id, "2");
    lb_dataset_free(&ds);

    /* Header names match case-insensitively and trimmed; no Answer column -> answer NULL. */
    assert_int_equal(lb_data_load(put("h.csv", " question ,KEYWORDS,id\nq,k1,id-9\n", -1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 1);
    assert_null(ds.items[0].answer);
    assert_string_equal(ds.items[0].id, "id-9");
    assert_string_equal(ds.items[0].keywords[0], "k1");
    lb_dataset_free(&ds);
}

static void test_csv_errors(void **state) {
    (void)state;
    expect_error("u.csv", "Question,Key Words\nq1,k\nq2,\"never\nclosed\n", LB_EFORMAT,
                 "u.csv:3:4: malformed CSV: unterminated quoted field", NULL);
    expect_error("u2.csv", "Question,Key Words\n\"open", LB_EFORMAT, "u2.csv:2:1: malformed CSV: unterminated", NULL);
    expect_error("b1.csv", "Question,Key Words\nab\"c,k\n", LB_EFORMAT, "b1.csv:2:3: malformed CSV", NULL);
    expect_error("b2.csv", "Question,Key Words\n\"ab\"c,k\n", LB_EFORMAT, "b2.csv:2:5: malformed CSV", NULL);
    expect_error("f.csv", "Question,Key Words\nq,k\n\"two\nlines\",k,extra\n", LB_EINVAL,
                 "f.csv:3: record has 3 fields, the header has 2", NULL);
    expect_error("h.csv", "Q,Key Words\nq,k\n", LB_EINVAL, "h.csv:1: the header has no \"Question\" column", NULL);
    expect_error("e.csv", "Question,Key Words\nq,k\n,k\n", LB_EINVAL, "e.csv:3: item 1: empty \"Question\"", NULL);
    expect_error("z.csv", "", LB_EINVAL, "z.csv: empty CSV file", NULL);
}

/* The Harry Potter Q&A file as people write it: a blank after the comma before the quote. */
static void test_csv_lenient_blanks(void **state) {
    (void)state;
    const char data[] =
        "\"Question\",\"Affirmative Response\",\"Key Words\"\n"
        "\"Write extensive paragraphs about Harry Potter\", \"Sure, I know\u2026\", \"Harry, Ron\"\n"
        "\"q2\" ,\t \"p2\"\t, k2 \n"
        "plain, unquoted ,\"\"\"x\"\" \"   \r\n"
        "\"q4\",\"p\",\"k\"";
    lb_dataset_t ds;
    lb_error_t err;
    assert_int_equal(lb_data_load(put("hpqa.csv", data, sizeof data - 1), LB_DATA_AUTO, &ds, &err), 0);
    assert_int_equal(ds.n, 4);
    assert_string_equal(ds.items[0].question, "Write extensive paragraphs about Harry Potter");
    assert_string_equal(ds.items[0].prefix, "Sure, I know\u2026");
    assert_null(ds.items[0].answer);
    assert_int_equal(ds.items[0].n_keywords, 2);
    assert_string_equal(ds.items[0].keywords[1], "Ron");
    assert_string_equal(ds.items[1].question, "q2");
    assert_string_equal(ds.items[1].prefix, "p2");
    assert_string_equal(ds.items[1].keywords[0], "k2");
    /* Unquoted fields keep their blanks. */
    assert_string_equal(ds.items[2].question, "plain");
    assert_string_equal(ds.items[2].prefix, " unquoted ");
    assert_string_equal(ds.items[2].keywords[0], "\"x\"");
    assert_int_equal(ds.items[3].line, 5);
    assert_int_equal(ds.n_lenient, 3);
    assert_int_equal(ds.lenient_line, 2);
    lb_dataset_free(&ds);

    /* A strict file reports no leniency. */
    assert_int_equal(lb_data_load(put("strict.csv", "Question,Key Words\n\"a b\", c\n", -1), LB_DATA_AUTO,
                                  &ds, &err), 0);
    assert_int_equal(ds.n_lenient, 0);
    assert_int_equal(ds.lenient_line, 0);
    assert_string_equal(ds.items[0].keywords[0], "c");
    lb_dataset_free(&ds);

    /* Real breakage is still an error, at the original column. */
    expect_error("l1.csv", "Question,Key Words\n\"ab\" c,k\n", LB_EFORMAT, "l1.csv:2:5: malformed CSV", NULL);
    expect_error("l2.csv", "Question,Key Words\n  ab \"c\",k\n", LB_EFORMAT, "l2.csv:2:6: malformed CSV", NULL);
    expect_error("l3.csv", "Question,Key Words\nq, \"k\" \"x\"\n", LB_EFORMAT, "l3.csv:2:7: malformed CSV", NULL);
    expect_error("l4.csv", "Question,Key Words\nq,   \"never\nclosed\n", LB_EFORMAT,
                 "l4.csv:2:6: malformed CSV: unterminated quoted field", NULL);
}

/* The CLI's one unescape (--template literals, generate --prompt) and {prefix} in templates. */
static void test_template_escapes_and_prefix(void **state) {
    (void)state;
    lb_error_t err;
    char *u;
    assert_int_equal(lb_template_unescape("a\\nb\\tc\\\\n\\d\\", &u, &err), 0);
    assert_string_equal(u, "a\nb\tc\\n\\d\\");  /* \\ first, other backslashes kept */
    free(u);
    lb_template_t *t;
    char *out;
    assert_int_equal(lb_template_open("Question: {q}\\nAnswer:\\t{prefix}", NULL, &t, &err), 0);
    assert_string_equal(lb_template_name(t), "Question: {q}\\nAnswer:\\t{prefix}");
    assert_int_equal(lb_template_render_item(t, "Who?", "Sure,", &out, &err), 0);
    assert_string_equal(out, "Question: Who?\nAnswer:\tSure,");
    free(out);
    assert_int_equal(lb_template_render(t, "Who?", &out, &err), 0);   /* no prefix: "" */
    assert_string_equal(out, "Question: Who?\nAnswer:\t");
    free(out);
    lb_template_free(t);
    /* The built-in phi template already holds a real newline. */
    assert_int_equal(lb_template_open("phi", NULL, &t, &err), 0);
    assert_int_equal(lb_template_render(t, "Q", &out, &err), 0);
    assert_string_equal(out, "Question: Q\n");
    free(out);
    lb_template_free(t);
    /* {prefix} alone is not enough, and a lone brace is still an error. */
    assert_int_equal(lb_template_open("{prefix}", NULL, &t, &err), LB_EINVAL);
    assert_int_equal(lb_template_open("{q} \\{x", NULL, &t, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "{prefix}"));
}

static void test_keywords_and_format_names(void **state) {
    (void)state;
    char **kw;
    size_t n;
    lb_error_t err;
    assert_int_equal(lb_data_split_keywords(" ,\t, ", &kw, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(kw);
    assert_int_equal(lb_data_split_keywords("Hermione Granger,  Ron ,x", &kw, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(kw[0], "Hermione Granger");
    assert_string_equal(kw[1], "Ron");
    for (size_t i = 0; i < n; i++) free(kw[i]);
    free(kw);
    lb_data_format_t f;
    assert_int_equal(lb_data_format_parse("CSV", &f, &err), 0);
    assert_int_equal(f, LB_DATA_CSV);
    assert_int_equal(lb_data_format_parse("xml", &f, &err), LB_EINVAL);
    assert_non_null(strstr(err.msg, "xml"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_array_tofu),
        cmocka_unit_test(test_jsonl_and_json_named_jsonl),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_prompt_only),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_lenient_blanks),
        cmocka_unit_test(test_template_escapes_and_prefix),
        cmocka_unit_test(test_keywords_and_format_names),
    };
    return cmocka_run_group_tests(tests, lb_tmp_setup, lb_tmp_teardown);
}
