/* util.c - checked allocation, error messages, atomic file writes, files
 * and the clock. */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The one place the library exits: the allocation of small bookkeeping
 * failed (big buffers use plain malloc and report a cause; every size taken
 * from a file or an option is checked against a limit before).  One line
 * and exit status 1, as for any runtime failure, not an abort and a core
 * dump; atexit handlers still run (the TUI restores the terminal). */
static void out_of_memory(size_t n)
{
	fprintf(stderr, "hrmscope: out of memory (%zu bytes)\n", n);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	size_t total;
	if (size_mul(n, size, &total) != 0)
		out_of_memory(SIZE_MAX);
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		out_of_memory(total);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		out_of_memory(n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

static char *vformat(const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		n = 0;
	char *s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

int set_cause(char **cause, const char *fmt, ...)
{
	if (cause == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *s = vformat(fmt, ap);
	va_end(ap);
	free(*cause);
	*cause = s;
	return -1;
}

int prefix_cause(char **cause, const char *fmt, ...)
{
	if (cause == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *pre = vformat(fmt, ap);
	va_end(ap);
	const char *old = *cause ? *cause : "unknown error";
	size_t n = strlen(pre) + strlen(old) + 3;
	char *s = xmalloc(n);
	snprintf(s, n, "%s: %s", pre, old);
	free(pre);
	free(*cause);
	*cause = s;
	return -1;
}

bool mem_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i += 4096) {
		size_t k = n - i < 4096 ? n - i : 4096;
		uint8_t any = 0;
		for (size_t j = 0; j < k; j++)
			any |= b[i + j];
		if (any != 0)
			return false;
	}
	return true;
}

int size_mul(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int size_add(size_t a, size_t b, size_t *out)
{
	if (b > SIZE_MAX - a)
		return -1;
	*out = a + b;
	return 0;
}

void crash_point(void)
{
	static long left = -1;
	if (left == -1) {
		const char *e = getenv("HRMSCOPE_DIE_AFTER_RENAMES");
		left = e != NULL && atol(e) > 0 ? atol(e) : 0;
	}
	if (left > 0 && --left == 0)
		raise(SIGKILL);
}

/* The file a write to path replaces: path itself, or the file a symlink at
 * path points to (so the link stays a link).  malloc'd. */
static char *write_target(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *real = realpath(path, NULL);
		if (real != NULL)
			return real;
	}
	return xstrdup(path);
}

/* Creates TARGET.tmp.PID.N beside target, exclusively: a name that exists,
 * a planted symlink included, is never opened (O_EXCL), another is tried.
 * A file replaced on purpose keeps its permission bits; a new one gets
 * 0666 less the umask.  Returns the descriptor and *tmp, or -1. */
static int create_temp(const char *target, char **tmp, char **cause, const char *path)
{
	static unsigned counter;
	size_t n = strlen(target) + 48;
	*tmp = xmalloc(n);
	struct stat st;
	bool keep_mode = stat(target, &st) == 0 && S_ISREG(st.st_mode);
	for (int attempt = 0; attempt < 100; attempt++) {
		snprintf(*tmp, n, "%s.tmp.%ld.%u", target, (long)getpid(), counter++);
		int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0) {
			if (keep_mode && fchmod(fd, st.st_mode & 07777) != 0) {
				int e = errno;
				close(fd);
				unlink(*tmp);
				free(*tmp);
				*tmp = NULL;
				return set_cause(cause, "%s: cannot keep its mode: %s", path, strerror(e));
			}
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	int e = errno;
	free(*tmp);
	*tmp = NULL;
	return set_cause(cause, "%s: cannot create: %s", path, strerror(e));
}

int write_file_atomic(const char *path, const void *data, size_t len, char **cause)
{
	char *target = write_target(path), *tmp;
	int fd = create_temp(target, &tmp, cause, path);
	if (fd < 0) {
		free(target);
		return -1;
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			set_cause(cause, "%s: write failed: %s", path, strerror(errno));
			close(fd);
			unlink(tmp);
			free(tmp);
			free(target);
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		set_cause(cause, "%s: write failed: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(target);
		return -1;
	}
	if (rename(tmp, target) != 0) {
		set_cause(cause, "%s: cannot rename into place: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(target);
		return -1;
	}
	crash_point();
	free(tmp);
	free(target);
	return 0;
}

int atomic_open(struct atomic_file *af, const char *path, char **cause)
{
	/* A device or a pipe (-o /dev/stdout) is written in place: renaming
	 * over it would replace the device node. */
	struct stat st;
	bool special = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	memset(af, 0, sizeof *af);
	if (special) {
		af->f = fopen(path, "w");
		if (af->f == NULL)
			return set_cause(cause, "%s: cannot create: %s", path, strerror(errno));
	} else {
		af->target = write_target(path);
		int fd = create_temp(af->target, &af->tmp, cause, path);
		if (fd < 0 || (af->f = fdopen(fd, "w")) == NULL) {
			if (fd >= 0) {
				set_cause(cause, "%s: cannot create: %s", path, strerror(errno));
				close(fd);
				unlink(af->tmp);
			}
			free(af->tmp);
			free(af->target);
			memset(af, 0, sizeof *af);
			return -1;
		}
	}
	af->path = xstrdup(path);
	return 0;
}

int stream_check(FILE *f, const char *path, char **cause)
{
	errno = 0;
	if (fflush(f) == 0 && !ferror(f))
		return 0;
	int err = errno ? errno : EIO; /* ferror from an earlier write: errno may be gone */
	if (path == NULL)
		return set_cause(cause, "cannot write to standard output: %s", strerror(err));
	return set_cause(cause, "%s: write failed: %s", path, strerror(err));
}

static const char *volatile signal_tmp; /* the temporary the handler removes */

static void remove_tmp_and_die(int sig)
{
	const char *t = signal_tmp;
	if (t != NULL)
		unlink(t);
	signal(sig, SIG_DFL);
	raise(sig);
}

void atomic_remove_on_signals(struct atomic_file *af)
{
	if (af->tmp == NULL)
		return;
	signal_tmp = af->tmp;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = remove_tmp_and_die;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void forget_signal_tmp(const struct atomic_file *af)
{
	if (af->tmp != NULL && signal_tmp == af->tmp)
		signal_tmp = NULL;
}

int atomic_commit(struct atomic_file *af, char **cause)
{
	forget_signal_tmp(af);
	int rc = 0;
	bool bad = fflush(af->f) != 0 || ferror(af->f) || (af->tmp != NULL && fsync(fileno(af->f)) != 0);
	int err = errno;
	if (fclose(af->f) != 0 && !bad) {
		bad = true;
		err = errno;
	}
	if (bad)
		rc = set_cause(cause, "%s: write failed: %s", af->path, strerror(err));
	else if (af->tmp != NULL && rename(af->tmp, af->target) != 0)
		rc = set_cause(cause, "%s: cannot rename into place: %s", af->path, strerror(errno));
	else if (af->tmp != NULL)
		crash_point();
	if (rc != 0 && af->tmp != NULL)
		unlink(af->tmp);
	free(af->tmp);
	free(af->path);
	free(af->target);
	memset(af, 0, sizeof *af);
	return rc;
}

void atomic_abort(struct atomic_file *af)
{
	if (af->f == NULL)
		return;
	forget_signal_tmp(af);
	fclose(af->f);
	if (af->tmp != NULL)
		unlink(af->tmp);
	free(af->tmp);
	free(af->path);
	free(af->target);
	memset(af, 0, sizeof *af);
}

int fd_open_regular(const char *path, char **cause)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return set_cause(cause, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	int flags;
	if (fstat(fd, &st) != 0 || (flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return set_cause(cause, "%s: cannot open: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return set_cause(cause, S_ISDIR(st.st_mode) ? "%s: is a directory" : "%s: not a regular file", path);
	}
	return fd;
}

FILE *fopen_regular(const char *path, char **cause)
{
	int fd = fd_open_regular(path, cause);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "rb");
	if (f == NULL) {
		set_cause(cause, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int read_file_all(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	FILE *f = fopen_regular(path, cause);
	if (f == NULL)
		return -1;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= max + 1) {
				fclose(f);
				free(buf);
				return set_cause(cause, "%s: file larger than %zu bytes", path, max);
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - 1 - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				set_cause(cause, "%s: read failed: %s", path, strerror(errno));
				fclose(f);
				free(buf);
				return -1;
			}
			break;
		}
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

float *alloc_floats(size_t n, int *failed)
{
	float *p = calloc(n ? n : 1, sizeof(float));
	if (p == NULL)
		*failed = 1;
	return p;
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

bool path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Switches this thread to the "C" numeric locale; returns what to restore. */
locale_t numeric_c_begin(locale_t *c_loc)
{
	*c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return *c_loc != (locale_t)0 ? uselocale(*c_loc) : (locale_t)0;
}

void numeric_c_end(locale_t c_loc, locale_t old)
{
	if (c_loc != (locale_t)0) {
		uselocale(old);
		freelocale(c_loc);
	}
}
