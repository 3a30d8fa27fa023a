/* Temporaries removed on SIGINT/SIGTERM (cleanup.h), and random names for temporaries. */
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { FREE = 0, CLAIMED = 1, READY = 2 };

static struct {
    int state; /* FREE, CLAIMED (being filled), READY (the handler may remove path) */
    char path[4096];
} slots[LB_IO_CLEANUP_SLOTS];

static volatile sig_atomic_t holding, pending;
static int installed;

/* The layout getdents64 fills (linux_dirent64). */
struct dent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Remove name (relative to dirfd) and, for a folder, everything under it: system calls only,
 * no allocation (safe in a signal handler). depth bounds the stack it uses. */
static void remove_at(int dirfd, const char *name, int depth) {
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) return;
    if (depth > 48) return;
    for (int pass = 0; pass < 3; pass++) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return;
        char buf[1024] __attribute__((aligned(8)));
        long n;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
            for (long off = 0; off < n;) {
                struct dent64 *e = (struct dent64 *)(buf + off);
                off += e->d_reclen;
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                remove_at(fd, e->d_name, depth + 1);
            }
        }
        close(fd);
        /* entries removed while listing can make a listing skip some: list again */
        if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno != ENOTEMPTY) return;
    }
}

static void remove_registered(void) {
    for (int i = 0; i < LB_IO_CLEANUP_SLOTS; i++)
        if (__atomic_load_n(&slots[i].state, __ATOMIC_ACQUIRE) == READY)
            remove_at(AT_FDCWD, slots[i].path, 0);
}

static void die_of(int sig) {
    int e = errno;
    remove_registered();
    signal(sig, SIG_DFL);
    raise(sig); /* blocked inside the handler: delivered, with the default action, on return */
    errno = e;
}

static void on_signal(int sig) {
    if (holding) {
        pending = sig;
        return;
    }
    die_of(sig);
}

static void install(void) {
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) return;
    static const int sigs[] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0) continue;
        /* a host (Python, an MPI launcher's library) with its own handler, or an ignored
         * signal: leave it as it is */
        if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, SIGINT);
        sigaddset(&sa.sa_mask, SIGTERM);
        sa.sa_flags = SA_RESTART;
        sigaction(sigs[i], &sa, NULL);
    }
}

int lbi_io_cleanup_add(const char *path) {
    size_t n = strlen(path);
    if (n >= sizeof slots[0].path) return 0;
    install();
    for (int i = 0; i < LB_IO_CLEANUP_SLOTS; i++) {
        int want = FREE;
        if (__atomic_compare_exchange_n(&slots[i].state, &want, CLAIMED, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            memcpy(slots[i].path, path, n + 1);
            __atomic_store_n(&slots[i].state, READY, __ATOMIC_RELEASE);
            return i + 1;
        }
    }
    return 0;
}

void lbi_io_cleanup_remove(int reg) {
    if (reg > 0 && reg <= LB_IO_CLEANUP_SLOTS)
        __atomic_store_n(&slots[reg - 1].state, FREE, __ATOMIC_RELEASE);
}

void lbi_io_cleanup_hold(void) { holding = 1; }

void lbi_io_cleanup_release(void) {
    holding = 0;
    int sig = pending;
    if (sig) {
        pending = 0;
        die_of(sig);
    }
}

void lbi_io_random_name(char *buf, int n) {
    static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[64];
    if (n > 64) n = 64;
    if (getrandom(r, (size_t)n, GRND_NONBLOCK) != n) {
        static unsigned counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                     ((uint64_t)getpid() << 17) ^ (uint64_t)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        for (int i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            r[i] = (unsigned char)x;
        }
    }
    for (int i = 0; i < n; i++) buf[i] = abc[r[i] % 62];
    buf[n] = 0;
}
