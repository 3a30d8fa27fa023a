/* SHA-256 of files and bytes (FIPS 180-4) through Debian's libnettle: the content hashes that
 * tie a resumed run to the model and data it started with. */
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakbound/io.h"

static void to_hex(struct sha256_ctx *c, char hex[65]) {
    unsigned char d[SHA256_DIGEST_SIZE];
    sha256_digest(c, sizeof d, d);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof d; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

/* Hash the bytes of the open file f (named path in messages); *n counts them. */
static int hash_stream(struct sha256_ctx *c, FILE *f, const char *path, uint64_t *n,
                       lb_error_t *err) {
    unsigned char buf[65536];
    size_t k;
    *n = 0;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(c, k, buf);
        *n += k;
    }
    if (ferror(f)) return lb_error_set(err, LB_EIO, "%s: read failed: %s", path, strerror(errno));
    return LB_OK;
}

static int hash_into(struct sha256_ctx *c, const char *path, lb_error_t *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return lb_error_set(err, LB_EIO, "%s: cannot read: %s", path, strerror(errno));
    uint64_t n;
    int rc = hash_stream(c, f, path, &n, err);
    fclose(f);
    return rc;
}

int lb_io_sha256_files(const char *const *paths, size_t n, char hex[65], lb_error_t *err) {
    struct sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < n; i++) {
        int rc = hash_into(&c, paths[i], err);
        if (rc) return rc;
    }
    to_hex(&c, hex);
    return LB_OK;
}

int lb_io_sha256_file(const char *path, char hex[65], lb_error_t *err) {
    return lb_io_sha256_files(&path, 1, hex, err);
}

void lb_io_sha256_bytes(const void *p, size_t n, char hex[65]) {
    struct sha256_ctx c;
    sha256_init(&c);
    if (n) sha256_update(&c, n, p);
    to_hex(&c, hex);
}

int lb_io_sha256_named(const char *const *paths, const char *const *names, size_t n,
                       char hex[65], lb_error_t *err) {
    struct sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < n; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f) return lb_error_set(err, LB_EIO, "%s: cannot read: %s", paths[i], strerror(errno));
        struct stat sb;
        if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
            fclose(f);
            return lb_error_set(err, LB_EIO, "%s: not a regular file", paths[i]);
        }
        /* name, NUL, size (8 bytes little-endian), bytes: no two file sets frame alike */
        unsigned char frame[8];
        uint64_t size = (uint64_t)sb.st_size, got;
        for (int b = 0; b < 8; b++) frame[b] = (unsigned char)(size >> (8 * b));
        sha256_update(&c, strlen(names[i]) + 1, (const uint8_t *)names[i]);
        sha256_update(&c, sizeof frame, frame);
        int rc = hash_stream(&c, f, paths[i], &got, err);
        fclose(f);
        if (rc) return rc;
        if (got != size)
            return lb_error_set(err, LB_EIO, "%s: changed while it was hashed (%llu bytes, then "
                                "%llu)", paths[i], (unsigned long long)size,
                                (unsigned long long)got);
    }
    to_hex(&c, hex);
    return LB_OK;
}
