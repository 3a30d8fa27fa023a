/* SHA-256 of files (FIPS 180-4) through Debian's libnettle: the content hashes that tie a
 * resumed run to the model and data it started with. */
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "leakbound/io.h"

static int hash_into(struct sha256_ctx *c, const char *path, lb_error_t *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return lb_error_set(err, LB_EIO, "%s: cannot read: %s", path, strerror(errno));
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(c, n, buf);
    int bad = ferror(f), e = errno;
    fclose(f);
    if (bad) return lb_error_set(err, LB_EIO, "%s: read failed: %s", path, strerror(e));
    return LB_OK;
}

int lb_io_sha256_files(const char *const *paths, size_t n, char hex[65], lb_error_t *err) {
    struct sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < n; i++) {
        int rc = hash_into(&c, paths[i], err);
        if (rc) return rc;
    }
    unsigned char d[SHA256_DIGEST_SIZE];
    sha256_digest(&c, sizeof d, d);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof d; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
    return LB_OK;
}

int lb_io_sha256_file(const char *path, char hex[65], lb_error_t *err) {
    return lb_io_sha256_files(&path, 1, hex, err);
}
