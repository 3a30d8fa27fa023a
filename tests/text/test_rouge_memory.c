/* The ROUGE tokenizer's memory follows the text's tokens, not a multiple of its bytes: a long
 * generation (20 MB here; LB_ROUGE_MB=200 for the size users reported) is scored in a child
 * process whose address space may grow by only 3x the text over what it had, so reserving even
 * 4 bytes per text byte for one side fails. The child prints its VmPeak growth. Skipped under
 * sanitizers (LB_SANITIZED=1), whose shadow memory makes an address-space limit meaningless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "leakbound/text.h"

/* A VmSize/VmPeak line of /proc/self/status, in bytes (0 if absent). */
static size_t proc_status_bytes(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    size_t kb = 0, kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') kb = strtoull(line + kl + 1, NULL, 10);
    fclose(f);
    return kb * 1024;
}

/* A text of about `bytes` bytes: words of a small vocabulary (with stems to compute), one
 * 100,000-letter word in the middle, and "paris capital" near the end. *n_words gets the
 * number of words (each one ROUGE token). */
static char *make_text(size_t bytes, size_t *len, size_t *n_words) {
    static const char *const words[] = {"Running", "the", "cats", "generalization", "happily",
                                        "of", "and", "Hogwarts", "relational", "42"};
    char *t = malloc(bytes + 200000);
    size_t n = 0, w = 0;
    unsigned r = 7;
    while (n < bytes) {
        if (w == 1000) {
            memset(t + n, 'x', 100000);
            n += 100000;
        } else {
            r = r * 1103515245u + 12345u;
            const char *s = words[(r >> 16) % 10];
            size_t l = strlen(s);
            memcpy(t + n, s, l);
            n += l;
        }
        t[n++] = ' ';
        w++;
    }
    memcpy(t + n, "Paris, the capital.", 19);
    *len = n + 19;
    *n_words = w + 3;
    return t;
}

static void test_long_generation_address_space(void **state) {
    (void)state;
    const char *san = getenv("LB_SANITIZED");
    if (san && san[0] == '1') {
        print_message("skipped: sanitizer build\n");
        skip();
    }
    const char *mb_env = getenv("LB_ROUGE_MB");
    size_t mb = mb_env ? strtoull(mb_env, NULL, 10) : 20;
    size_t len, n_words;
    char *text = make_text(mb * 1000 * 1000, &len, &n_words);
    const char *ref = "Paris is the capital";
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        size_t base = proc_status_bytes("VmSize");
        struct rlimit lim = {base + 3 * len, base + 3 * len};
        if (!base || setrlimit(RLIMIT_AS, &lim)) _exit(10);
        lb_text_scorer_t *s;
        lb_error_t err = {0};
        if (lb_text_scorer_new(&s, &err)) _exit(11);
        lb_text_rouge_t l, one;
        lb_text_tokens_t toks;
        int match = -1;
        int rc = lb_text_rouge_l(s, text, len, ref, strlen(ref), &l, &err);
        if (!rc) rc = lb_text_rouge_1(s, text, len, ref, strlen(ref), &one, &err);
        if (!rc) rc = lb_text_exact(s, text, len, text, len, &match, &err);
        if (!rc) rc = lb_text_tokenize(s, text, len, &toks, &err);
        size_t grew = proc_status_bytes("VmPeak") - base;
        printf("text %zu bytes, %zu words: rc %d (%s), VmPeak grew %.1f MB (%.2f x the text)\n",
               len, n_words, rc, err.msg, grew / 1e6, (double)grew / (double)len);
        fflush(stdout);
        if (rc) _exit(12);
        /* "paris", "the", "capital" of the reference occur in order at the end: recall 3/4
         * ("is" nowhere in the text); ROUGE-1 finds all three too. */
        if (l.recall != 0.75 || one.recall != 0.75 || match != 1) _exit(13);
        if (toks.n != n_words) _exit(14);
        lb_text_scorer_free(s);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    free(text);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_generation_address_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
