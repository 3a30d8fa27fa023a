/* The folder-transaction tests again on a file system without an atomic exchange: renameat2
 * is replaced here (the program's definition takes precedence over the C library's), so
 * lb_io_dir_commit takes its fallback (old folder aside, new one in, old removed). */
#include <errno.h>
#include <stdio.h>

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags);
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags) {
    (void)olddirfd, (void)oldpath, (void)newdirfd, (void)newpath, (void)flags;
    errno = EINVAL;
    return -1;
}

#include "test_atomic_dir.c"
