/* bench_common.c - see bench_common.h. */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	if (n <= 0)
		return 0.0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void bench_tokens(int32_t *tok, int B, int S, int V)
{
	/* any fixed pattern will do: timing does not depend on the values,
	 * and the checksum comparison needs both sides to agree */
	for (int b = 0; b < B; b++)
		for (int s = 0; s < S; s++)
			tok[(size_t)b * S + s] = 1 + (int32_t)(((long)s * 7 + (long)b * 13 + ((long)s * s) % 5) % (V - 1));
}

void *bench_shared_alloc(size_t n)
{
	void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("bench: mmap");
		exit(1);
	}
	return p;
}

int bench_in_child(int (*fn)(void *arg), void *arg, long *maxrss_kb)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench: fork");
		return -1;
	}
	if (pid == 0)
		_exit(fn(arg) == 0 ? 0 : 1);
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("bench: wait4");
		return -1;
	}
	*maxrss_kb = ru.ru_maxrss;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

long bench_self_maxrss_kb(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss;
}

const char *bench_opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

int bench_flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

long bench_opt_long(int argc, char **argv, const char *name, long dflt)
{
	const char *v = bench_opt(argc, argv, name);
	if (v == NULL)
		return dflt;
	char *end;
	long x = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0') {
		fprintf(stderr, "bench: %s: expected an integer, got '%s'\n", name, v);
		exit(2);
	}
	return x;
}
