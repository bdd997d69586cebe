/* parallel.c - the worker pool of parallel.h.
 *
 * Workers are started on first use and live for the process.  A region
 * hands them (fn, ctx, nth) under a mutex, bumps a generation counter and
 * wakes them; worker i runs part i, the caller runs part 0 and then waits
 * for the others.  One region runs at a time: a caller that finds the pool
 * busy runs every part itself. */
#include "core/parallel.h"

#include <cblas.h>
#include <pthread.h>
#include <stdint.h>

static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_start = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_done = PTHREAD_COND_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* guarded by mu */
static int n_started;                  /* workers 1 .. n_started are running */
static unsigned long generation;       /* bumped once per region */
static unsigned long start_gen[HRM_PAR_MAX];
static hrm_par_fn job_fn;
static void *job_ctx;
static int job_nth;
static int pending; /* workers of the current region still running */

int hrm_par_threads(void)
{
	int n = openblas_get_num_threads();
	if (n < 1)
		n = 1;
	if (n > HRM_PAR_MAX)
		n = HRM_PAR_MAX;
	return n;
}

static void *worker_main(void *arg)
{
	int id = (int)(intptr_t)arg;
	pthread_mutex_lock(&mu);
	unsigned long seen = start_gen[id];
	for (;;) {
		while (generation == seen)
			pthread_cond_wait(&cv_start, &mu);
		seen = generation;
		if (id >= job_nth)
			continue;
		hrm_par_fn fn = job_fn;
		void *ctx = job_ctx;
		int nth = job_nth;
		pthread_mutex_unlock(&mu);
		fn(ctx, id, nth);
		pthread_mutex_lock(&mu);
		if (--pending == 0)
			pthread_cond_signal(&cv_done);
	}
	return NULL;
}

/* A forked child has none of the parent's workers: start afresh. */
static void atfork_child(void)
{
	pthread_mutex_t m0 = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c0 = PTHREAD_COND_INITIALIZER;
	region_lock = m0;
	mu = m0;
	cv_start = c0;
	cv_done = c0;
	n_started = 0;
	pending = 0;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
}

/* Workers 1 .. nth - 1 running; returns how many parts can run in parallel
 * (nth, or fewer when a thread could not be started).  Called with
 * region_lock held and mu not held. */
static int start_workers(int nth)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&mu);
	while (n_started < nth - 1) {
		int id = n_started + 1;
		start_gen[id] = generation;
		pthread_attr_t attr;
		pthread_t th;
		int ok = pthread_attr_init(&attr) == 0;
		if (ok) {
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			ok = pthread_create(&th, &attr, worker_main, (void *)(intptr_t)id) == 0;
			pthread_attr_destroy(&attr);
		}
		if (!ok)
			break;
		n_started = id;
	}
	int avail = n_started + 1;
	pthread_mutex_unlock(&mu);
	return avail < nth ? avail : nth;
}

static void run_serial(int nth, hrm_par_fn fn, void *ctx)
{
	for (int t = 0; t < nth; t++)
		fn(ctx, t, nth);
}

void hrm_par_single(hrm_par_fn fn, void *ctx)
{
	int blas = openblas_get_num_threads();
	if (blas <= 1 || pthread_mutex_trylock(&region_lock) != 0) {
		fn(ctx, 0, 1);
		return;
	}
	openblas_set_num_threads(1);
	fn(ctx, 0, 1);
	openblas_set_num_threads(blas);
	pthread_mutex_unlock(&region_lock);
}

void hrm_par_run(int nth, hrm_par_fn fn, void *ctx)
{
	if (nth > HRM_PAR_MAX)
		nth = HRM_PAR_MAX;
	if (nth <= 1) {
		/* one part: its BLAS calls on one thread too, as every part's
		 * below (a one-part region had OpenBLAS thread them, and the
		 * attention's per-head products then differed in their last
		 * bits between --threads 1 and 2 wherever they run in OpenBLAS:
		 * CPUs without AVX-512, HRMSCOPE_GEMM=openblas) */
		hrm_par_single(fn, ctx);
		return;
	}
	if (pthread_mutex_trylock(&region_lock) != 0) {
		run_serial(nth, fn, ctx);
		return;
	}
	if (start_workers(nth) < nth) {
		pthread_mutex_unlock(&region_lock);
		run_serial(nth, fn, ctx);
		return;
	}
	/* the parts' BLAS calls run on their own thread */
	int blas = openblas_get_num_threads();
	openblas_set_num_threads(1);
	pthread_mutex_lock(&mu);
	job_fn = fn;
	job_ctx = ctx;
	job_nth = nth;
	pending = nth - 1;
	generation++;
	pthread_cond_broadcast(&cv_start);
	pthread_mutex_unlock(&mu);

	fn(ctx, 0, nth);

	pthread_mutex_lock(&mu);
	while (pending > 0)
		pthread_cond_wait(&cv_done, &mu);
	pthread_mutex_unlock(&mu);
	openblas_set_num_threads(blas);
	pthread_mutex_unlock(&region_lock);
}

/* below this many element operations a region costs more than it saves */
#define ROWS_MIN_WORK 32768

struct rows_job {
	hrm_rows_fn fn;
	void *ctx;
	size_t n;
};

static void rows_part(void *v, int t, int nth)
{
	struct rows_job *j = v;
	size_t lo, hi;
	hrm_par_range(j->n, t, nth, &lo, &hi);
	if (lo < hi)
		j->fn(j->ctx, lo, hi);
}

void hrm_par_rows(size_t n, size_t cost, hrm_rows_fn fn, void *ctx)
{
	int nth = hrm_par_threads();
	if ((size_t)nth > n)
		nth = (int)n;
	if (nth <= 1 || n * cost < ROWS_MIN_WORK) {
		if (n > 0)
			fn(ctx, 0, n);
		return;
	}
	struct rows_job j = { fn, ctx, n };
	hrm_par_run(nth, rows_part, &j);
}
