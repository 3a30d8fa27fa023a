/* libFuzzer target: the chat-template (Jinja subset) engine. The input is the template source,
 * compiled with lb_template_chat and rendered with the fixed message list that prompts use
 * (messages = [{"role": "user", "content": QUESTION}], bos "<s>", eos "</s>",
 * add_generation_prompt = true). The same text is also tried as a literal "{q}" template
 * through lb_template_open. Invariants: failures are negative LB_E* codes with a message; a
 * successful render returns a string. */
#include <string.h>

#include "fuzz_common.h"
#include "leakbound/data.h"

static const char QUESTION[] = "Who wrote \"The Silent Shore\"?  {{ not a tag }} \xc3\xa9\xe2\x9c\x93\n";

static void render(const lb_template_t *t) {
    char *out = NULL;
    lb_error_t err = {0};
    int rc = lb_template_render(t, QUESTION, &out, &err);
    if (rc)
        LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && err.msg[0], "render rc %d", rc);
    else
        LB_FUZZ_CHECK(out != NULL, "render gave no string");
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *src = lb_fuzz_cstr(data, size);
    lb_template_t *t = NULL;
    lb_error_t err = {0};
    int rc = lb_template_chat(src, "<s>", "</s>", "tokenizer_config.json", &t, &err);
    if (rc) {
        LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && err.msg[0], "compile rc %d", rc);
    } else {
        render(t);
        lb_template_free(t);
    }
    /* A literal format string ("{q}" with "{{"/"}}" escapes); the names "raw", "phi", ... and
     * "chat" (which reads a file) are not literal specs. */
    if (strstr(src, "{q}") && strcmp(src, "chat")) {
        t = NULL;
        if (lb_template_open(src, NULL, &t, &err) == 0) {
            render(t);
            lb_template_free(t);
        }
    }
    free(src);
    return 0;
}
