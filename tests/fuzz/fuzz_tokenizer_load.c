/* libFuzzer target: a tokenizer.json document through lb_tokenizer_load_string (every
 * component parser: model, added tokens, normalizers, pre-tokenizers, post-processors,
 * decoders, truncation/padding). A tokenizer the loader accepts then encodes a few fixed texts
 * with and without special tokens, decodes the ids keeping and skipping specials, and answers
 * the lookups. */
#include <string.h>

#include "fuzz_common.h"
#include "leakbound/tokenizer.h"

static const char *const texts[] = {
    "Hello, world! It's 2024.",
    "  leading and trailing  \n\tblanks ",
    "<|endoftext|>a<s></s>[UNK]",
    "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",
    "",
};

static void exercise(const lb_tokenizer_t *tok) {
    size_t vocab = lb_tokenizer_vocab_size(tok);
    char desc[256];
    lb_tokenizer_describe(tok, desc, sizeof desc);
    LB_FUZZ_CHECK(memchr(desc, '\0', sizeof desc) != NULL, "describe not terminated");
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (int special = 0; special < 2; special++) {
            int32_t *ids = NULL;
            size_t n = 0;
            lb_error_t err;
            if (lb_tokenizer_encode(tok, texts[i], strlen(texts[i]), special, &ids, &n, &err)) {
                free(ids);
                continue;
            }
            LB_FUZZ_CHECK(ids != NULL, "encode gave NULL ids");
            for (size_t k = 0; k < n; k++) LB_FUZZ_CHECK(ids[k] >= 0, "negative id %d", ids[k]);
            for (int skip = 0; skip < 2; skip++) {
                char *out = NULL;
                size_t len = 0;
                int rc = lb_tokenizer_decode(tok, ids, n, skip, &out, &len, &err);
                if (rc == 0)
                    LB_FUZZ_CHECK(out && out[len] == '\0', "decode output not terminated");
                else
                    LB_FUZZ_CHECK(rc < 0 && err.msg[0], "decode error %d without a message", rc);
                free(out);
            }
            for (size_t k = 0; k < n && k < 8; k++) {
                const char *s = lb_tokenizer_id_to_token(tok, ids[k]);
                if (s) (void)lb_tokenizer_token_to_id(tok, s);
                (void)lb_tokenizer_is_special(tok, ids[k]);
            }
            free(ids);
        }
    }
    (void)lb_tokenizer_id_to_token(tok, -1);
    (void)lb_tokenizer_id_to_token(tok, (int32_t)vocab);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lb_tokenizer_t *tok = NULL;
    lb_error_t err = {0};
    int rc = lb_tokenizer_load_string((const char *)data, size, "tokenizer.json", &tok, &err);
    if (rc) {
        LB_FUZZ_CHECK(rc < 0 && rc >= LB_EUNSUPPORTED && !tok, "rc %d", rc);
        LB_FUZZ_CHECK(err.msg[0] != '\0', "error %d without a message", rc);
        return 0;
    }
    exercise(tok);
    lb_tokenizer_free(tok);
    return 0;
}
