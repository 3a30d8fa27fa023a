/*
 * fuzz_common.h — helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * The library reads most inputs from paths; a target hands it the fuzz input through a memfd
 * (an anonymous in-memory file) named "/proc/self/fd/N", so nothing touches the disk and each
 * input is a real regular file (mmap, fstat and read all behave as on a file). Every helper
 * aborts on a failure of the harness itself (never of the library under test), so a broken
 * harness shows up as a finding instead of silently fuzzing nothing.
 */
#ifndef LB_FUZZ_COMMON_H
#define LB_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding data (size bytes); *path receives "/proc/self/fd/N". Returns the fd (the
 * caller closes it). */
static inline int lb_fuzz_memfd(const uint8_t *data, size_t size, char path[64]) {
    int fd = memfd_create("lb_fuzz", MFD_CLOEXEC);
    if (fd < 0) {
        perror("memfd_create");
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            perror("write");
            abort();
        }
        off += (size_t)w;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

/* A NUL-terminated malloc'd copy of data (size bytes). */
static inline char *lb_fuzz_cstr(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Abort (a finding) with a message when cond is false: a broken invariant of the library. */
#define LB_FUZZ_CHECK(cond, ...)                                                       \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: invariant broken: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            abort();                                                                   \
        }                                                                              \
    } while (0)

#endif
