/* fmap.h - a file mapped privately (copy on write: a write to the memory
 * stays in this process and never reaches the file), as big as fstat says
 * it is and no bigger, and what happens when it shrinks while mapped.
 *
 * Reading a page of a mapping past the end of a file that was truncated
 * after it was mapped raises SIGBUS.  The handler installed here turns that
 * into a recorded fault instead of a crash: the page is replaced by zeros
 * (so the interrupted read completes, reading zeros) and the mapping is
 * marked damaged.  Whoever relies on values read from a mapping asks
 * fmap_check afterwards (the command line does, after every command, and
 * the trainer after copying a table out of it) and reports the file as
 * changed while open.  A fault outside every live mapping keeps its
 * default action.
 *
 * Functions return 0, or -1 with *cause set to a malloc'd one-line message
 * naming the file and the problem. */
#ifndef HRM_CORE_FMAP_H
#define HRM_CORE_FMAP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fmap {
	const uint8_t *base;
	size_t len;
	char *name;          /* the file, for messages */
	int refs;
	int slot;            /* in the handler's table */
};

/* Maps the len bytes of the regular file open as fd (len from fstat, > 0).
 * The descriptor may be closed afterwards.  One reference. */
int fmap_open(int fd, size_t len, const char *name, struct fmap **out, char **cause);
struct fmap *fmap_ref(struct fmap *m);
/* Drops a reference; the last one unmaps.  NULL is ignored. */
void fmap_release(struct fmap *m);
/* Gives back the memory of the whole pages of [p, p + len) (inside m's
 * mapping): a later read maps them from the file again.  For bytes read
 * once and copied, so that they do not count twice at the peak. */
void fmap_drop(const struct fmap *m, const void *p, size_t len);
/* SIGBUS stays with fmap's handler; fn (or, when NULL, nothing) runs first
 * for a SIGBUS outside every mapping, before the default action.  For a
 * program that would install its own SIGBUS handler (the TUI restores the
 * terminal): it gives that handler here instead, or it would take the
 * signal away from the mappings. */
void fmap_fault_fallback(void (*fn)(int));
/* Takes the fault signals (SIGBUS, SIGSEGV, SIGFPE, SIGILL) out of set,
 * a mask for pthread_sigmask.  A thread that may read a mapping must not
 * block SIGBUS: a fault raised while it is blocked kills the process
 * whatever handler is installed.  For threads started with every other
 * signal blocked (so that signals go to the UI thread). */
void fmap_keep_faults(sigset_t *set);
/* -1 with "NAME: changed while open (cut short): ..." if a read of the
 * mapping faulted since it was mapped. */
int fmap_check(const struct fmap *m, char **cause);
/* The same for every mapping made so far, live or released. */
int fmap_check_all(char **cause);

#endif
