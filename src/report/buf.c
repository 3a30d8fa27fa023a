/* A growable text buffer and the UTF-8 / XML escaping every output of the module goes
 * through. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

void rb_init(rb_t *b) { memset(b, 0, sizeof *b); }

void rb_free(rb_t *b) {
    free(b->s);
    rb_init(b);
}

int rb_reserve(rb_t *b, size_t extra) {
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void rb_putn(rb_t *b, const char *s, size_t n) {
    if (rb_reserve(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void rb_puts(rb_t *b, const char *s) { rb_putn(b, s, strlen(s)); }

void rb_putc(rb_t *b, char c) { rb_putn(b, &c, 1); }

void rb_printf(rb_t *b, const char *fmt, ...) {
    if (b->oom) return;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        rb_putn(b, small, (size_t)n);
        return;
    }
    if (rb_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *rb_take(rb_t *b) {
    if (!b->oom && !b->s) rb_reserve(b, 0);
    if (b->oom) {
        rb_free(b);
        return NULL;
    }
    b->s[b->len] = '\0';
    char *s = b->s;
    rb_init(b);
    return s;
}

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n < len) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return len;
}

void rb_put_cp(rb_t *b, uint32_t cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    rb_putn(b, u, n);
}

size_t utf8_width(const char *s) {
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += utf8_decode(u + i, n - i, &cp);
        w++;
    }
    return w;
}

void rb_xml(rb_t *b, const char *s, size_t max_cp) {
    if (!s) return;
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t keep = max_cp && utf8_width(s) > max_cp ? (max_cp > 3 ? max_cp - 3 : 0) : (size_t)-1;
    size_t w = 0;
    for (size_t i = 0; i < n && w < keep; w++) {
        uint32_t cp;
        i += utf8_decode(u + i, n - i, &cp);
        switch (cp) {
        case '&': rb_puts(b, "&amp;"); break;
        case '<': rb_puts(b, "&lt;"); break;
        case '>': rb_puts(b, "&gt;"); break;
        case '"': rb_puts(b, "&quot;"); break;
        case '\'': rb_puts(b, "&#39;"); break;
        default:
            if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
                cp == 0xFFFF)
                cp = 0xFFFD;
            rb_put_cp(b, cp);
        }
    }
    if (keep != (size_t)-1) rb_puts(b, "...");
}
