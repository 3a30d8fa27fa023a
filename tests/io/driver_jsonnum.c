/* driver_jsonnum — lets tests/oracle/io_jsonnum.py check lb_io_json_number against Python's
 * float(). Reads one token per stdin line and prints, per line,
 *   RC IS_INTEGER CONSUMED BITS
 * where RC is lb_io_json_number's return code, CONSUMED the bytes the token took and BITS the
 * IEEE-754 bit pattern of the value as 16 hex digits (RC 0 only; "-" otherwise). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "leakbound/io.h"

int main(void) {
    static char line[1 << 16];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\n");
        double v = 0;
        int is_int = -1;
        const char *stop = line;
        int rc = lb_io_json_number(line, line + n, &v, &is_int, &stop);
        if (rc) {
            printf("%d - - -\n", rc);
            continue;
        }
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        printf("0 %d %zu %016llx\n", is_int, (size_t)(stop - line), (unsigned long long)bits);
    }
    return 0;
}
