/* fmap.c - private file mappings and the SIGBUS handler that keeps a file
 * cut short while mapped from killing the process (fmap.h says what it
 * does).  The handler only looks at a fixed table of live mappings and calls
 * mmap, a plain system call on the systems this runs on; it allocates
 * nothing and takes no lock. */
#include "core/fmap.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_MAPS 64

struct slot {
	const uint8_t *volatile base;
	volatile size_t len;
	volatile sig_atomic_t damaged;
};

static struct slot slots[MAX_MAPS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int installed;
static void (*volatile fallback)(int);  /* for faults outside our mappings */
static struct fmap *live[MAX_MAPS];   /* for fmap_check_all, under lock */
static char *released_damaged;        /* a damaged mapping already released */

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	const uint8_t *a = si->si_addr;
	for (int i = 0; i < MAX_MAPS; i++) {
		const uint8_t *b = slots[i].base;
		if (b == NULL || a < b || a >= b + slots[i].len)
			continue;
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		void *p = (void *)((uintptr_t)a & ~(page - 1));
		if (mmap(p, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		slots[i].damaged = 1;
		return;         /* the read is retried and reads zeros */
	}
	/* not ours (or no way to patch it): the fallback (the TUI's, which
	 * restores the terminal), then the default action, as without us */
	void (*f)(int) = fallback;
	if (f != NULL)
		f(sig);
	signal(sig, SIG_DFL);
}

static void install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	installed = 1;
}

int fmap_open(int fd, size_t len, const char *name, struct fmap **out, char **cause)
{
	*out = NULL;
	if (len == 0)
		return set_cause(cause, "%s: empty file", name);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return set_cause(cause, "%s: cannot map: %s", name, strerror(errno));
	pthread_mutex_lock(&lock);
	int s = -1;
	for (int i = 0; i < MAX_MAPS && s < 0; i++)
		if (live[i] == NULL)
			s = i;
	if (s < 0) {
		pthread_mutex_unlock(&lock);
		munmap(p, len);
		return set_cause(cause, "%s: more than %d files mapped at once", name, MAX_MAPS);
	}
	if (!installed)
		install();
	struct fmap *m = xcalloc(1, sizeof *m);
	m->base = p;
	m->len = len;
	m->name = xstrdup(name);
	m->refs = 1;
	m->slot = s;
	live[s] = m;
	slots[s].damaged = 0;
	slots[s].len = len;
	slots[s].base = p;
	pthread_mutex_unlock(&lock);
	*out = m;
	return 0;
}

struct fmap *fmap_ref(struct fmap *m)
{
	if (m != NULL) {
		pthread_mutex_lock(&lock);
		m->refs++;
		pthread_mutex_unlock(&lock);
	}
	return m;
}

void fmap_release(struct fmap *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&lock);
	int last = --m->refs == 0;
	if (last) {
		if (slots[m->slot].damaged && released_damaged == NULL)
			released_damaged = xstrdup(m->name);
		slots[m->slot].base = NULL;
		slots[m->slot].len = 0;
		live[m->slot] = NULL;
	}
	pthread_mutex_unlock(&lock);
	if (!last)
		return;
	munmap((void *)m->base, m->len);
	free(m->name);
	free(m);
}

void fmap_drop(const struct fmap *m, const void *p, size_t len)
{
	if (m == NULL)
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)p, b = a + len;
	uintptr_t lo = (uintptr_t)m->base, hi = lo + m->len;
	if (a < lo || b > hi)
		return;
	a = (a + page - 1) & ~(page - 1);
	b &= ~(page - 1);
	/* a private mapping never written: the pages come back from the file */
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

void fmap_fault_fallback(void (*fn)(int))
{
	pthread_mutex_lock(&lock);
	if (!installed)
		install();
	fallback = fn;
	pthread_mutex_unlock(&lock);
}

void fmap_keep_faults(sigset_t *set)
{
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGILL);
}

int fmap_check(const struct fmap *m, char **cause)
{
	if (m == NULL || !slots[m->slot].damaged)
		return 0;
	return set_cause(cause, "%s: changed while open (cut short): values read from it after that are not valid",
	                 m->name);
}

int fmap_check_all(char **cause)
{
	int rc = 0;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_MAPS && rc == 0; i++)
		if (live[i] != NULL)
			rc = fmap_check(live[i], cause);
	if (rc == 0 && released_damaged != NULL)
		rc = set_cause(cause, "%s: changed while open (cut short): values read from it after that are not valid",
		               released_damaged);
	pthread_mutex_unlock(&lock);
	return rc;
}
