/* Driver for the text oracles. Reads records from stdin and writes one record per input
 * record to stdout; a record is a 4-byte little-endian length and that many bytes (so any
 * code point, NUL and newline included, travels unharmed).
 *   driver_text stem    — NLTK PorterStemmer().stem(record)
 *   driver_text lower   — Python str.lower(record)
 *   driver_text tokens  — rouge-score tokens of record, joined by single spaces
 *   driver_text keyword       — record = keyword NUL text: 1 when the keyword leaks into the
 *                               text (keywords API, substring mode), else 0
 *   driver_text keyword-word  — the same in word mode (the scorer's default) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/text.h"

static int read_rec(char **buf, size_t *cap, size_t *len) {
    unsigned char h[4];
    if (fread(h, 1, 4, stdin) != 4) return 0;
    *len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
    if (*len + 1 > *cap) {
        *cap = *len + 1;
        *buf = realloc(*buf, *cap);
        if (!*buf) exit(1);
    }
    if (*len && fread(*buf, 1, *len, stdin) != *len) exit(1);
    return 1;
}

static void write_rec(const char *s, size_t n) {
    unsigned char h[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 24)};
    fwrite(h, 1, 4, stdout);
    fwrite(s, 1, n, stdout);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: driver_text stem|lower|tokens|keyword|keyword-word < records\n");
        return 2;
    }
    const char *mode = argv[1];
    lb_text_scorer_t *sc;
    if (lb_text_scorer_new(&sc, NULL)) return 1;
    char *buf = NULL, *out = NULL;
    size_t cap = 0, len, out_cap = 0;
    while (read_rec(&buf, &cap, &len)) {
        if (!strcmp(mode, "stem")) {
            const char *st;
            size_t sl;
            if (lb_text_stem(sc, buf, len, &st, &sl, NULL)) return 1;
            write_rec(st, sl);
        } else if (!strcmp(mode, "lower")) {
            size_t need = lb_text_lower_bound(len);
            if (need > out_cap && !(out = realloc(out, out_cap = need))) return 1;
            size_t n = lb_text_lower(buf, len, out, out_cap);
            if (n >= out_cap) return 1;
            write_rec(out, n);
        } else if (!strcmp(mode, "tokens")) {
            lb_text_tokens_t t;
            if (lb_text_tokenize(sc, buf, len, &t, NULL)) return 1;
            size_t need = 2 * len + 2;
            if (need > out_cap && !(out = realloc(out, out_cap = need))) return 1;
            size_t k = 0;
            for (size_t i = 0; i < t.n; i++) {
                size_t tl;
                const char *ts = lb_text_token_str(sc, t.ids[i], &tl);
                if (i) out[k++] = ' ';
                memcpy(out + k, ts, tl);
                k += tl;
            }
            write_rec(out, k);
        } else if (!strcmp(mode, "keyword") || !strcmp(mode, "keyword-word")) {
            lb_text_scorer_set_keyword_match(sc, strcmp(mode, "keyword") ? LB_TEXT_MATCH_WORD
                                                                         : LB_TEXT_MATCH_SUBSTRING);
            /* record = keyword NUL text */
            const char *nul = memchr(buf, '\0', len);
            if (!nul) return 1;
            size_t kl = (size_t)(nul - buf);
            const char *kw[1] = {buf};
            size_t kwl[1] = {kl};
            int leak;
            if (lb_text_keywords(sc, nul + 1, len - kl - 1, kw, kwl, 1, &leak, NULL)) return 1;
            write_rec(leak ? "1" : "0", 1);
        } else {
            fprintf(stderr, "driver_text: unknown mode %s\n", mode);
            return 2;
        }
    }
    free(buf);
    free(out);
    lb_text_scorer_free(sc);
    return fflush(stdout) ? 1 : 0;
}
