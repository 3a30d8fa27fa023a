/* libFuzzer target: encode and decode of arbitrary text with two fixed tokenizers, the bundled
 * byte-level BPE (examples/default/model/tokenizer.json) and a small SentencePiece-style BPE
 * (tests/fuzz/tokenizer_sp.json: NFKC + Replace normalizers, Metaspace, byte fallback, added
 * tokens with lstrip/rstrip, TemplateProcessing, a decoder Sequence). The input is the text;
 * the same bytes, read as 16-bit ids, are also decoded as an id sequence.
 * Invariants: invalid UTF-8 is refused with LB_EINVAL and nothing else is; every id encode
 * gives decodes; the byte-level tokenizer (no normalizer) round-trips valid UTF-8 exactly,
 * decode(encode(text), keep specials) == text. */
#include <string.h>

#include "fuzz_common.h"
#include "leakbound/tokenizer.h"

#ifndef LB_SOURCE_DIR
#error "LB_SOURCE_DIR must name the source tree"
#endif

static lb_tokenizer_t *tok_bl, *tok_sp;

static lb_tokenizer_t *load(const char *path) {
    lb_tokenizer_t *t = NULL;
    lb_error_t err;
    if (lb_tokenizer_load(path, &t, &err)) {
        fprintf(stderr, "fuzz_tokenizer_encode: %s\n", err.msg);
        abort();
    }
    return t;
}

static void release(void) {
    lb_tokenizer_free(tok_bl);
    lb_tokenizer_free(tok_sp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    tok_bl = load(LB_SOURCE_DIR "/examples/default/model/tokenizer.json");
    tok_sp = load(LB_SOURCE_DIR "/tests/fuzz/tokenizer_sp.json");
    atexit(release);
    return 0;
}

/* Whether s (n bytes) is valid UTF-8 (shortest forms, no surrogates, at most U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        else if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
        else return 0;
        if (n - i < k + 1) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += k + 1;
    }
    return 1;
}

static void run(const lb_tokenizer_t *tok, int roundtrip, const uint8_t *data, size_t size,
                int utf8) {
    lb_error_t err;
    for (int special = 0; special < 2; special++) {
        int32_t *ids = NULL;
        size_t n = 0;
        int rc = lb_tokenizer_encode(tok, (const char *)data, size, special, &ids, &n, &err);
        if (rc) {
            LB_FUZZ_CHECK(rc == LB_EINVAL && !utf8, "encode refused valid UTF-8 (%d): %s", rc,
                          err.msg);
            free(ids);
            return;
        }
        LB_FUZZ_CHECK(utf8, "encode accepted invalid UTF-8");
        for (int skip = 0; skip < 2; skip++) {
            char *out = NULL;
            size_t len = 0;
            rc = lb_tokenizer_decode(tok, ids, n, skip, &out, &len, &err);
            LB_FUZZ_CHECK(rc == 0, "decode of encode's ids failed: %s", err.msg);
            if (roundtrip && !special && !skip)
                LB_FUZZ_CHECK(len == size && !memcmp(out, data, size),
                              "byte-level round trip differs (%zu -> %zu bytes)", size, len);
            free(out);
        }
        free(ids);
    }
    /* The input as an id sequence, some of them out of range. */
    size_t n = size / 2, range = lb_tokenizer_vocab_size(tok) + 4;
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) abort();
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)((data[2 * i] | data[2 * i + 1] << 8) % range);
    for (int skip = 0; skip < 2; skip++) {
        char *out = NULL;
        int rc = lb_tokenizer_decode(tok, ids, n, skip, &out, NULL, &err);
        LB_FUZZ_CHECK(rc == 0 || (rc == LB_EINVAL && err.msg[0]), "decode rc %d", rc);
        free(out);
    }
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int utf8 = valid_utf8(data, size);
    run(tok_bl, 1, data, size, utf8);
    run(tok_sp, 0, data, size, utf8);
    return 0;
}
