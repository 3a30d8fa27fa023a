/* Temporaries removed when SIGINT or SIGTERM ends the process (private to src/io).
 *
 * A small fixed registry of paths (temporary folders of lb_io_dir_*, temporary files of
 * lb_atomic_*). The first registration installs a handler for SIGINT and SIGTERM where their
 * action is still the default; the handler removes every registered path with async-signal-safe
 * calls only (openat, getdents64, unlinkat), restores the default action and raises the signal
 * again, so the process still dies of it. While a commit runs (lbi_io_cleanup_hold) a signal is
 * only noted; lbi_io_cleanup_release then acts on it. Best effort: a full registry (more than
 * LB_IO_CLEANUP_SLOTS temporaries at once) leaves the extra ones unregistered. */
#ifndef LB_IO_CLEANUP_H
#define LB_IO_CLEANUP_H

#define LB_IO_CLEANUP_SLOTS 32

/* Register path (copied; at most 4095 bytes); returns 1 + its slot, or 0 when not registered. */
int lbi_io_cleanup_add(const char *path);
/* Forget a registration (0 is ignored). */
void lbi_io_cleanup_remove(int reg);
/* Hold SIGINT/SIGTERM while a commit moves entries; release acts on a signal that came
 * meanwhile (removes what is still registered and dies of it). Not nested. */
void lbi_io_cleanup_hold(void);
void lbi_io_cleanup_release(void);
/* Fill buf with n random letters and digits (getrandom; a clock and counter mix without it). */
void lbi_io_random_name(char *buf, int n);

#endif
