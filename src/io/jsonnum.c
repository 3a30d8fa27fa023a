/* A JSON number token to the double that jansson (and strtod) gives for it, without building a
 * JSON value: the hot path of readers that take millions of scores (`bound`).
 *
 * Exactness: a decimal w * 10^e whose significand w is below 2^53 and whose |e| is at most 22
 * is converted with one IEEE multiplication or division of two exactly representable doubles,
 * which rounds correctly (Clinger 1990, the "fast path" of every exact parser). Everything else
 * goes to strtod, which glibc rounds correctly, so the result is the correctly rounded double
 * in every case. */
#include <errno.h>
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
