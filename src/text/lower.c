/* Python's str.lower() on UTF-8: utf8proc's simple lowercase mapping, SpecialCasing's one
 * unconditional lowercase expansion (U+0130), and the Final_Sigma rule for U+03A3. */
#include <string.h>
#include <utf8proc.h>

#include "text_internal.h"

size_t lbi_utf8_put(uint32_t c, unsigned char *out) {
    if (c >= LB_TEXT_BADBYTE) {
        out[0] = (unsigned char)(c - LB_TEXT_BADBYTE);
        return 1;
    }
    if (c < 0x80) {
        out[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (unsigned char)(0xC0 | (c >> 6));
        out[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (c >> 12));
        out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (c >> 18));
    out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

size_t lbi_utf8_decode(const char *s, size_t len, uint32_t *out) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0, adv;
    while (i < len) {
        out[n++] = lb__utf8_next(p + i, len - i, &adv);
        i += adv;
    }
    return n;
}

unsigned lbi_lower_cp(uint32_t c, uint32_t out[2]) {
    if (c < 0x80) {
        out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        return 1;
    }
    if (c >= LB_TEXT_BADBYTE) {
        out[0] = c;
        return 1;
    }
    /* SpecialCasing.txt: the only unconditional lowercase mapping that differs from the
     * simple one (Python applies it; utf8proc gives the simple "i"). */
    if (c == 0x130) {
        out[0] = 0x69;
        out[1] = 0x307;
        return 2;
    }
    out[0] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
    return 1;
}

/* Unicode's Cased property, from what utf8proc knows: the cased letter categories, or any
 * case mapping. tests/oracle/text_lower.py checks this against Python next to a capital
 * sigma for every code point. */
static int is_cased(uint32_t c) {
    if (c >= LB_TEXT_BADBYTE) return 0;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)c);
    if (p->category == UTF8PROC_CATEGORY_LU || p->category == UTF8PROC_CATEGORY_LL ||
        p->category == UTF8PROC_CATEGORY_LT)
        return 1;
    return p->lowercase_seqindex != UINT16_MAX || p->uppercase_seqindex != UINT16_MAX ||
           p->titlecase_seqindex != UINT16_MAX;
}

/* Unicode's Case_Ignorable: categories Mn, Me, Cf, Lm, Sk, plus the Word_Break classes
 * MidLetter, MidNumLet and Single_Quote (a handful of punctuation code points). */
static int is_case_ignorable(uint32_t c) {
    switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55:
    case 0xFF07: case 0xFF0E: case 0xFF1A:
        return 1;
    default:
        break;
    }
    if (c >= LB_TEXT_BADBYTE) return 0;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_SK:
        return 1;
    default:
        return 0;
    }
}

/* CPython's handle_capital_sigma: U+03A3 lowercases to final ς when preceded by a cased
 * character (skipping case-ignorable ones) and not followed by one (likewise). */
static uint32_t sigma_lower(const uint32_t *in, size_t n, size_t i) {
    size_t j = i;
    uint32_t c = 0;
    int found = 0;
    while (j > 0) {
        c = in[--j];
        if (!is_case_ignorable(c)) {
            found = 1;
            break;
        }
    }
    int final = found && is_cased(c);
    if (final) {
        for (j = i + 1; j < n; j++) {
            c = in[j];
            if (!is_case_ignorable(c)) break;
        }
        final = j == n || !is_cased(c);
    }
    return final ? 0x3C2 : 0x3C3;
}

size_t lbi_lower_u32(const uint32_t *in, size_t n, uint32_t *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = in[i];
        if (c == 0x3A3)
            out[k++] = sigma_lower(in, n, i);
        else
            k += lbi_lower_cp(c, out + k);
    }
    return k;
}

int lbi_is_space(uint32_t c) {
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    if (c >= LB_TEXT_BADBYTE) return 0;
    const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)c);
    return p->category == UTF8PROC_CATEGORY_ZS || p->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
           p->bidi_class == UTF8PROC_BIDI_CLASS_B || p->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

size_t lb_text_lower_bound(size_t len) { return len + len / 2 + 2; }

size_t lb_text_lower(const char *s, size_t len, char *out, size_t cap) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k = 0, adv;
    size_t written = 0;     /* bytes of out holding a whole prefix of the result */
    int fits = 1;
    uint32_t prev = 0;      /* last code point before i that is not case-ignorable */
    int have_prev = 0;
    unsigned char tmp[8];
    while (i < len) {
        uint32_t c = lb__utf8_next(p + i, len - i, &adv);
        uint32_t low[2];
        unsigned m = 1;
        if (c == 0x3A3) {
            /* Final_Sigma as CPython's handle_capital_sigma, with the look-behind carried
             * along the forward scan and the look-ahead decoded here. */
            low[0] = 0x3C3;
            if (have_prev && is_cased(prev)) {
                size_t q = i + adv, a2;
                uint32_t next = 0;
                int have_next = 0;
                while (q < len) {
                    uint32_t d = lb__utf8_next(p + q, len - q, &a2);
                    q += a2;
                    if (!is_case_ignorable(d)) {
                        next = d;
                        have_next = 1;
                        break;
                    }
                }
                if (!have_next || !is_cased(next)) low[0] = 0x3C2;
            }
        } else {
            m = lbi_lower_cp(c, low);
        }
        if (!is_case_ignorable(c)) {
            prev = c;
            have_prev = 1;
        }
        for (unsigned t = 0; t < m; t++) {
            size_t w = lbi_utf8_put(low[t], tmp);
            if (fits && k + w < cap) {
                memcpy(out + k, tmp, w);
                written = k + w;
            } else {
                fits = 0;
            }
            k += w;
        }
        i += adv;
    }
    if (cap) out[written] = '\0';
    return k;
}
