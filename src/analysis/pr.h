/* pr.h - the participation ratio of a set of d-dimensional samples
 * (HRM-SPEC, Readouts): PR = (tr C)^2 / ||C||_F^2 = (sum l)^2 / sum l^2 for
 * the covariance C of the samples, in double precision.  `hrmscope pr`
 * feeds it the final states of many puzzles, the TUI the states of the
 * steps seen so far.
 *
 * C = Yc^T Yc / n and the Gram matrix G = Yc Yc^T / n of the centred
 * samples Yc share their non-zero eigenvalues, so the smaller of the two
 * gives the same PR: the Gram matrix while there are no more samples than
 * dimensions, else the d x d covariance.
 *
 * The accumulator keeps every sample as y = x - ref about a reference point
 * (its first sample), so that a mean far from the origin next to a small
 * spread costs no digits when sum y y^T - s s^T / n is formed.  It holds the
 * first d samples as rows (the Gram route needs them); past d, rows are
 * folded, d at a time, into the d x d moments sum y y^T. */
#ifndef HRM_PR_H
#define HRM_PR_H

#include <stdbool.h>

/* How an accumulator multiplies.  PR_BLAS: cblas_dsyrk, for the command
 * line.  PR_LOOPS: plain loops, for the TUI's thread, which must never wait
 * on the compute thread (the threaded OpenBLAS serialises level-3 calls). */
enum pr_mult { PR_LOOPS, PR_BLAS };

struct pr_acc {
	int dim; /* d */
	enum pr_mult mult;
	long n;    /* samples added: ncov + nrows */
	long ncov; /* samples folded into cov; the Gram route needs 0 */
	int nrows; /* samples held in rows, at most d */
	bool ref_set;
	double *ref;  /* [d] the reference point */
	double *sum;  /* [d] sum of y = x - ref over all n samples */
	double *rows; /* [d][d] the y of the held samples */
	double *cov;  /* [d][d] upper triangle: sum y y^T over the folded samples; NULL before the first fold */
};

void pr_acc_init(struct pr_acc *a, int dim, enum pr_mult mult);
void pr_acc_free(struct pr_acc *a);
/* Empties a.  With `like` (non-NULL, with a reference point) a takes like's
 * reference point, so that the two can be combined in pr_acc_ratio; else
 * its next sample becomes its reference point. */
void pr_acc_clear(struct pr_acc *a, const struct pr_acc *like);
/* One sample x[d]. */
void pr_acc_add(struct pr_acc *a, const float *x);
/* n samples, row after row: x[n][d]. */
void pr_acc_add_rows(struct pr_acc *a, const float *x, long n);
void pr_acc_add_rows_f64(struct pr_acc *a, const double *x, long n);
/* Folds the held rows into the moments now, so that pr_acc_ratio no longer
 * passes over them (the TUI's running total of earlier puzzles, read on
 * every redraw); gives up the Gram route for a's samples. */
void pr_acc_flush(struct pr_acc *a);
/* The PR of a's samples together with b's (b may be NULL; when both have
 * samples they must share a reference point and d: see pr_acc_clear), or
 * NAN for fewer than 2 samples, no variance or a mismatch.  Uses a's mult. */
double pr_acc_ratio(const struct pr_acc *a, const struct pr_acc *b);
/* Whether pr_acc_ratio(a, b) takes the Gram route. */
bool pr_acc_gram(const struct pr_acc *a, const struct pr_acc *b);

/* The PR of samples[n][dim] in two passes: the exact mean first, then the
 * samples about it (plain loops); NAN for n < 2 or no variance. */
double pr_participation_ratio(const float *samples, long n, int dim);

#endif
