/* util.h - small helpers shared by the library: checked allocation and the
 * `char **cause` error convention. */
#ifndef HRM_UTIL_H
#define HRM_UTIL_H

#include <stddef.h>
#include <stdarg.h>

/* Allocation failure of small bookkeeping is fatal in one place (prints and
 * aborts); big tensor allocations use plain malloc and report a cause. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Sets *cause (if cause != NULL) to a malloc'd formatted message; returns -1. */
int set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes an existing *cause: "prefix: old". */
int prefix_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Overflow-checked size arithmetic: returns 0 and stores the result, or -1. */
int size_mul(size_t a, size_t b, size_t *out);
int size_add(size_t a, size_t b, size_t *out);

/* Write a whole buffer to path atomically (temp file in the same directory,
 * fsync, rename).  Returns 0 or -1 with cause. */
int write_file_atomic(const char *path, const void *data, size_t len, char **cause);
/* Read a whole file (up to max bytes) into a malloc'd buffer, NUL-terminated. */
int read_file_all(const char *path, size_t max, char **data, size_t *len, char **cause);

#endif
