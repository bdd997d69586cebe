/* parallel.h - a small pool of worker threads for the non-BLAS parts of the
 * forward and backward (attention over (batch, head) pairs, softmax, SwiGLU,
 * RMSNorm, RoPE), so that they use every core OpenBLAS is allowed to.
 *
 * Work is partitioned statically: a region runs fn(ctx, t, nth) once for
 * each t in [0, nth), and fn must split its work by t alone (never by which
 * thread finishes first), so that results do not depend on scheduling.  The
 * thread count follows OpenBLAS's (hrm_set_threads), read when a region
 * starts.  Inside a region OpenBLAS is set to one thread, so that the BLAS
 * calls a part makes run on the calling thread; the count is restored after.
 *
 * When the pool cannot be used (a region is already running on another
 * thread, a worker could not be started, or nth is 1) the caller runs
 * fn(ctx, 0, nth) ... fn(ctx, nth - 1, nth) itself, in order: the same work,
 * the same results. */
#ifndef HRM_PARALLEL_H
#define HRM_PARALLEL_H

#include <stddef.h>

/* the most threads a region uses (and the size of per-thread scratch arrays) */
#define HRM_PAR_MAX 16

/* the thread count a region started now would use: OpenBLAS's, clamped to
 * [1, HRM_PAR_MAX] */
int hrm_par_threads(void);

typedef void (*hrm_par_fn)(void *ctx, int t, int nth);

/* Runs fn(ctx, t, nth) for t = 0 .. nth - 1 (nth from hrm_par_threads() or
 * smaller, >= 1) and returns when all are done.  The parts' OpenBLAS calls
 * run on one thread each, whatever nth (one part: as hrm_par_single). */
void hrm_par_run(int nth, hrm_par_fn fn, void *ctx);

/* fn(ctx, lo, hi) over the rows [0, n), in contiguous row ranges, one per
 * thread when n * cost (a rough count of element operations) is worth
 * waking the pool for, else fn(ctx, 0, n) on the caller.  fn must treat
 * rows independently, so that how they are split changes no result. */
typedef void (*hrm_rows_fn)(void *ctx, size_t lo, size_t hi);
void hrm_par_rows(size_t n, size_t cost, hrm_rows_fn fn, void *ctx);

/* fn(ctx, 0, 1) on the caller with OpenBLAS at one thread: for BLAS calls
 * too small to be worth threading, which OpenBLAS would still thread (and
 * then leave its workers spinning). */
void hrm_par_single(hrm_par_fn fn, void *ctx);

/* [*lo, *hi): part t of nth of the range [0, n), contiguous and balanced */
static inline void hrm_par_range(size_t n, int t, int nth, size_t *lo, size_t *hi)
{
	*lo = n * (size_t)t / (size_t)nth;
	*hi = n * (size_t)(t + 1) / (size_t)nth;
}

#endif
