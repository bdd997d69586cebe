/* util.h - small helpers shared by the library: checked allocation, the
 * `char **cause` error convention, files and the clock. */
#ifndef HRM_UTIL_H
#define HRM_UTIL_H

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Allocation failure of small bookkeeping is fatal in one place (prints
 * "hrmscope: out of memory (N bytes)" and exits 1: the only exit in the
 * library); big tensor allocations use plain malloc and report a cause. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* A zeroed buffer of n floats (one when n is 0) for a group of allocations
 * checked once: on failure returns NULL and sets *failed to 1. */
float *alloc_floats(size_t n, int *failed);

/* Sets *cause (if cause != NULL) to a malloc'd formatted message; returns -1. */
int set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes an existing *cause: "prefix: old". */
int prefix_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Overflow-checked size arithmetic: returns 0 and stores the result, or -1. */
/* Every byte of p[0..n) is zero (n 0: true).  An OR over each 4 KiB block,
 * which vectorises, leaving at the first block with a bit set (weights are
 * rarely zero for long); -0.0f is not zero here. */
bool mem_is_zero(const void *p, size_t n);
int size_mul(size_t a, size_t b, size_t *out);
int size_add(size_t a, size_t b, size_t *out);

/* Write a whole buffer to path atomically (temp file in the same directory,
 * fsync, rename).  Returns 0 or -1 with cause. */
int write_file_atomic(const char *path, const void *data, size_t len, char **cause);
/* A file streamed under a temporary name in the same directory and renamed
 * over path only once it is complete (flushed and fsync'd), so that a crash,
 * a kill or a full disk leaves the old file or the whole new one, never a
 * part of one.  Write to af->f; atomic_commit closes and renames (it fails,
 * keeping the old file, if any write failed); atomic_abort closes and
 * removes the temporary. */
struct atomic_file {
	FILE *f;
	char *path, *tmp;
	char *target; /* what the temporary replaces: path, or where a symlink at path points */
};
int atomic_open(struct atomic_file *af, const char *path, char **cause);
/* Flushes a stream written so far and reports a write that failed ("PATH:
 * write failed: No space left on device"; path NULL: standard output), so
 * that a long writer stops at the first failure instead of computing to the
 * end.  For af->f, or any stream. */
int stream_check(FILE *f, const char *path, char **cause);
int atomic_commit(struct atomic_file *af, char **cause);
void atomic_abort(struct atomic_file *af);
/* Until atomic_commit/atomic_abort, SIGINT, SIGTERM and SIGHUP remove af's
 * temporary file before they end the process as they would have (one file
 * at a time; for commands, never called by the library). */
void atomic_remove_on_signals(struct atomic_file *af);

/* Called after each rename into place: for the durability tests, the
 * environment variable HRMSCOPE_DIE_AFTER_RENAMES=N kills the process with
 * SIGKILL right after its Nth one, so that a test can stop a command between
 * any two renames (tests/check_outdir.c). */
void crash_point(void);

/* Opens path for reading if it is a regular file: never blocks on a FIFO
 * (opened non-blocking, checked, then made blocking), and refuses
 * directories, FIFOs, devices and sockets ("PATH: is a directory", "PATH:
 * not a regular file").  The descriptor (fd_open_regular) or stream. */
int fd_open_regular(const char *path, char **cause);
FILE *fopen_regular(const char *path, char **cause);

/* Read a whole file (up to max bytes) into a malloc'd buffer, NUL-terminated. */
int read_file_all(const char *path, size_t max, char **data, size_t *len, char **cause);

/* "DIR/NAME", malloc'd. */
char *path_join(const char *dir, const char *name);
/* What path names (stat, following links): a directory, a regular file, anything. */
bool path_is_dir(const char *path);
bool path_is_file(const char *path);
bool path_exists(const char *path);

/* The monotonic clock (CLOCK_MONOTONIC) in seconds and in milliseconds: for
 * elapsed times, rates and deadlines. */
double monotonic_s(void);
double monotonic_ms(void);

/* Switches this thread to the "C" numeric locale (a decimal point, whatever
 * locale the UI set) until numeric_c_end(c_loc, what begin returned). */
locale_t numeric_c_begin(locale_t *c_loc);
void numeric_c_end(locale_t c_loc, locale_t old);

#endif
