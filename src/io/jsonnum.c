/* A JSON number token to the double that jansson (and strtod) gives for it, without building a
 * JSON value: the hot path of readers that take millions of scores (`bound`).
 *
 * Exactness: a decimal w * 10^e whose significand w is below 2^53 and whose |e| is at most 22
 * is converted with one IEEE multiplication or division of two exactly representable doubles,
 * which rounds correctly (Clinger 1990, the "fast path" of every exact parser). Everything else
 * goes to strtod, which glibc rounds correctly, so the result is the correctly rounded double
 * in every case. */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakbound/io.h"

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int lb_io_json_number(const char *s, const char *end, double *value, int *is_integer,
                      const char **stop) {
    const char *p = s;
    int neg = 0;
    if (p < end && *p == '-') neg = 1, p++;
    if (p >= end || !is_digit(*p)) return LB_EFORMAT;
    uint64_t w = 0;
    int sig = 0;      /* significant digits taken into w (after the leading zeros) */
    long dropped = 0; /* integer-part digits beyond 19 (w stops growing) */
    if (*p == '0') {
        p++;
    } else {
        for (; p < end && is_digit(*p); p++) {
            if (sig < 19) w = w * 10 + (uint64_t)(*p - '0'), sig += w != 0;
            else dropped++;
        }
    }
    int integer = 1;
    long frac = 0; /* fraction digits taken into w */
    if (p < end && *p == '.') {
        integer = 0;
        p++;
        if (p >= end || !is_digit(*p)) return LB_EFORMAT;
        for (; p < end && is_digit(*p); p++) {
            if (sig < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                sig += w != 0;
                frac++;
            } else if (*p != '0') {
                sig = 20; /* a nonzero digit lost: not exact here */
            }
        }
    }
    long e = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p == '-', p++;
        if (p >= end || !is_digit(*p)) return LB_EFORMAT;
        for (; p < end && is_digit(*p); p++)
            if (e < 100000) e = e * 10 + (*p - '0');
        if (eneg) e = -e;
    }
    *stop = p;
    *is_integer = integer;
    long e10 = e + dropped - frac;
    if (integer && (sig > 18 || dropped)) return LB_EUNSUPPORTED; /* maybe beyond json_int_t: declined */
    if (sig <= 19 && w <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
        double d = (double)w;
        d = e10 < 0 ? d / POW10[-e10] : d * POW10[e10];
        *value = neg ? -d : d;
        return 0;
    }
    char buf[128];
    size_t n = (size_t)(p - s);
    if (n >= sizeof buf) return LB_EUNSUPPORTED;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno == ERANGE && (d > 1.0 || d < -1.0)) return LB_EUNSUPPORTED; /* overflow to infinity */
    *value = d;
    return 0;
}

/* ------------------------------------------------------------------ any JSON number */

/* jansson keeps an integer token as json_int_t (long long) and refuses one beyond it ("too big
 * integer"), and refuses a real beyond the double range ("real number overflow"). Both are valid
 * JSON (RFC 8259 sets no limit; Python's json reads them), and Hugging Face writes one in most
 * tokenizer_config.json files ("model_max_length": int(1e30)). Such a token is rewritten, in a
 * copy of the text, as the real jansson would give for it: the correctly rounded double printed
 * with 17 significant digits (which reads back as the same double), or +-DBL_MAX for an
 * overflow. Every other byte is copied unchanged, so the parse, its other values and its error
 * positions (but for columns after a rewritten token on its line) are jansson's. */

static int int_fits(const char *s, size_t n) {
    /* s: an integer token (-?digits, no leading zeros). Fits in long long? */
    int neg = n && s[0] == '-';
    const char *d = s + neg;
    size_t nd = n - (size_t)neg;
    static const char MAX[] = "9223372036854775807", MIN[] = "9223372036854775808";
    const char *lim = neg ? MIN : MAX;
    if (nd != 19) return nd < 19;
    return memcmp(d, lim, 19) <= 0;
}

/* The replacement of the number token s[0..n) when jansson would refuse it: 1 and repl filled,
 * or 0 (keep it). */
static int replacement(const char *s, size_t n, int is_integer, char repl[40]) {
    if (is_integer && int_fits(s, n)) return 0;
    char small[128], *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) return 0; /* keep: jansson reports its own error */
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    int overflow = errno == ERANGE && (d > 1.0 || d < -1.0);
    if (buf != small) free(buf);
    if (overflow) {
        snprintf(repl, 40, "%s1.7976931348623157e308", s[0] == '-' ? "-" : "");
        return 1;
    }
    if (!is_integer) return 0; /* a real jansson reads itself */
    snprintf(repl, 40, "%.16e", d);
    return 1;
}

json_t *lb_io_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *je) {
    char *copy = NULL; /* NULL until the first rewrite */
    size_t clen = 0, ccap = 0, copied = 0; /* buf[0..copied) is in copy */
    int fail = 0;
    for (size_t i = 0; i < len && !fail; i++) {
        char c = buf[i];
        if (c == '"') {
            for (i++; i < len && buf[i] != '"'; i++)
                if (buf[i] == '\\') i++;
            continue;
        }
        if (c != '-' && !is_digit(c)) continue;
        if (i > 0 && (is_digit(buf[i - 1]) || buf[i - 1] == '.' || buf[i - 1] == 'e' ||
                      buf[i - 1] == 'E' || buf[i - 1] == '+' || buf[i - 1] == '-'))
            continue; /* inside something that is not a token start: jansson's to judge */
        double v;
        int is_int;
        const char *stop;
        int rc = lb_io_json_number(buf + i, buf + len, &v, &is_int, &stop);
        if (rc == LB_EFORMAT) continue;
        size_t n = (size_t)(stop - (buf + i));
        char repl[40];
        if (rc == LB_EUNSUPPORTED && replacement(buf + i, n, is_int, repl)) {
            size_t rl = strlen(repl), need = clen + (i - copied) + rl + 1;
            if (need > ccap) {
                size_t cap = ccap ? ccap : len + 64;
                while (cap < need) cap *= 2;
                char *p = realloc(copy, cap);
                if (!p) {
                    fail = 1;
                    break;
                }
                copy = p, ccap = cap;
            }
            memcpy(copy + clen, buf + copied, i - copied);
            clen += i - copied;
            memcpy(copy + clen, repl, rl);
            clen += rl;
            copied = i + n;
        }
        i += n - 1;
    }
    if (fail) {
        free(copy);
        if (je) {
            memset(je, 0, sizeof *je);
            snprintf(je->text, sizeof je->text, "out of memory");
        }
        return NULL;
    }
    if (!copy) return json_loadb(buf, len, flags, je);
    if (clen + (len - copied) + 1 > ccap) {
        char *p = realloc(copy, clen + (len - copied) + 1);
        if (!p) {
            free(copy);
            if (je) {
                memset(je, 0, sizeof *je);
                snprintf(je->text, sizeof je->text, "out of memory");
            }
            return NULL;
        }
        copy = p;
    }
    memcpy(copy + clen, buf + copied, len - copied);
    clen += len - copied;
    json_t *root = json_loadb(copy, clen, flags, je);
    free(copy);
    return root;
}

json_t *lb_io_json_load_file(const char *path, size_t flags, json_error_t *je, int *cannot_open) {
    char *buf;
    size_t len;
    lb_error_t err;
    *cannot_open = 0;
    if (lb_io_read_file(path, &buf, &len, &err)) {
        *cannot_open = 1;
        if (je) {
            memset(je, 0, sizeof *je);
            size_t m = strlen(err.msg);
            if (m >= sizeof je->text) m = sizeof je->text - 1;
            memcpy(je->text, err.msg, m);
            je->text[m] = '\0';
        }
        return NULL;
    }
    json_t *root = lb_io_json_loadb(buf, len, flags, je);
    free(buf);
    return root;
}

void lb_io_json_describe(const json_t *v, char *buf, size_t cap) {
    if (!v) snprintf(buf, cap, "nothing");
    else if (json_is_integer(v)) snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        double x = json_real_value(v);
        for (int prec = 6; prec <= 17; prec++) { /* the shortest %g that reads back as x */
            snprintf(buf, cap, "%.*g", prec, x);
            if (strtod(buf, NULL) == x) break;
        }
    }
    else if (json_is_string(v)) snprintf(buf, cap, "the string \"%.40s\"", json_string_value(v));
    else if (json_is_boolean(v)) snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_null(v)) snprintf(buf, cap, "null");
    else snprintf(buf, cap, "%s", json_is_array(v) ? "a list" : "an object");
}

int lb_io_json_int(const json_t *v, long long lo, long long hi, long long *out) {
    if (!json_is_integer(v)) return LB_EFORMAT;
    long long x = (long long)json_integer_value(v);
    if (x < lo || x > hi) return LB_EFORMAT;
    *out = x;
    return 0;
}
