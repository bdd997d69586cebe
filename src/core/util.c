/* util.c - checked allocation, error messages, atomic file writes, files
 * and the clock. */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void out_of_memory(size_t n)
{
	fprintf(stderr, "hrmscope: out of memory (allocating %zu bytes)\n", n);
	abort();
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
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		out_of_memory(n * size);
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

static char *temp_name(const char *path)
{
	size_t n = strlen(path) + 32;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	return tmp;
}

int write_file_atomic(const char *path, const void *data, size_t len, char **cause)
{
	char *tmp = temp_name(path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		set_cause(cause, "%s: cannot create: %s", path, strerror(errno));
		free(tmp);
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
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		set_cause(cause, "%s: write failed: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		set_cause(cause, "%s: cannot rename into place: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int atomic_open(struct atomic_file *af, const char *path, char **cause)
{
	/* A device or a pipe (-o /dev/stdout) is written in place: renaming
	 * over it would replace the device node. */
	struct stat st;
	bool special = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	af->tmp = special ? NULL : temp_name(path);
	af->f = fopen(special ? path : af->tmp, "w");
	if (af->f == NULL) {
		set_cause(cause, "%s: cannot create: %s", path, strerror(errno));
		free(af->tmp);
		af->tmp = NULL;
		return -1;
	}
	af->path = xstrdup(path);
	return 0;
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
	else if (af->tmp != NULL && rename(af->tmp, af->path) != 0)
		rc = set_cause(cause, "%s: cannot rename into place: %s", af->path, strerror(errno));
	if (rc != 0 && af->tmp != NULL)
		unlink(af->tmp);
	free(af->tmp);
	free(af->path);
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
	memset(af, 0, sizeof *af);
}

int read_file_all(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return set_cause(cause, "%s: cannot open: %s", path, strerror(errno));
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
