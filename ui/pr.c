/* pr.c - participation ratio of a set of states (HRM-SPEC, Readouts):
 * PR = (tr C)^2 / ||C||_F^2 for the covariance C of the centred samples.
 * C = Xc^T Xc / n and the Gram matrix G = Xc Xc^T / n share their non-zero
 * eigenvalues, so the smaller of the two gives the same PR exactly: the
 * Gram matrix when there are fewer samples than dimensions. */
#include "tui.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

double pr_participation_ratio(const float *samples, int n, int dim)
{
	if (n < 2 || dim < 1)
		return NAN;
	double *mean = xcalloc((size_t)dim, sizeof *mean);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < dim; k++)
			mean[k] += samples[(size_t)i * dim + k];
	for (int k = 0; k < dim; k++)
		mean[k] /= n;
	double tr = 0.0, fro = 0.0;
	if (n <= dim) {
		/* Gram: G[i][j] = <x_i - mean, x_j - mean> */
		double *xc = xmalloc((size_t)n * dim * sizeof *xc);
		for (int i = 0; i < n; i++)
			for (int k = 0; k < dim; k++)
				xc[(size_t)i * dim + k] = samples[(size_t)i * dim + k] - mean[k];
		for (int i = 0; i < n; i++)
			for (int j = i; j < n; j++) {
				double s = 0.0;
				for (int k = 0; k < dim; k++)
					s += xc[(size_t)i * dim + k] * xc[(size_t)j * dim + k];
				if (i == j) {
					tr += s;
					fro += s * s;
				} else {
					fro += 2.0 * s * s;
				}
			}
		free(xc);
	} else {
		/* covariance: C[a][b] = sum_i (x_ia - m_a)(x_ib - m_b) */
		double *c = xcalloc((size_t)dim * dim, sizeof *c);
		double *row = xmalloc((size_t)dim * sizeof *row);
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < dim; k++)
				row[k] = samples[(size_t)i * dim + k] - mean[k];
			for (int a = 0; a < dim; a++)
				for (int b = a; b < dim; b++)
					c[(size_t)a * dim + b] += row[a] * row[b];
		}
		for (int a = 0; a < dim; a++)
			for (int b = a; b < dim; b++) {
				double s = c[(size_t)a * dim + b];
				if (a == b) {
					tr += s;
					fro += s * s;
				} else {
					fro += 2.0 * s * s;
				}
			}
		free(c);
		free(row);
	}
	free(mean);
	return fro > 0.0 ? tr * tr / fro : NAN;
}

/* Moments of a growing set of samples, kept about a reference point (the
 * first sample) so that the covariance does not lose its digits to a large
 * mean: s1 = sum (x - ref), s2 = sum (x - ref)(x - ref)^T (upper triangle). */
void pr_moments_init(struct pr_moments *m, int dim)
{
	m->dim = dim;
	m->n = 0;
	m->ref = xcalloc((size_t)dim, sizeof *m->ref);
	m->s1 = xcalloc((size_t)dim, sizeof *m->s1);
	m->s2 = xcalloc((size_t)dim * dim, sizeof *m->s2);
	m->y = xmalloc((size_t)dim * sizeof *m->y);
}

void pr_moments_free(struct pr_moments *m)
{
	free(m->ref);
	free(m->s1);
	free(m->s2);
	free(m->y);
	memset(m, 0, sizeof *m);
}

void pr_moments_clear(struct pr_moments *m, const struct pr_moments *like)
{
	int d = m->dim;
	m->n = 0;
	memset(m->s1, 0, (size_t)d * sizeof *m->s1);
	memset(m->s2, 0, (size_t)d * d * sizeof *m->s2);
	if (like != NULL && like->n > 0)
		memcpy(m->ref, like->ref, (size_t)d * sizeof *m->ref);
	m->ref_set = like != NULL && like->n > 0;
}

void pr_moments_add(struct pr_moments *m, const float *x)
{
	int d = m->dim;
	if (!m->ref_set) {
		for (int k = 0; k < d; k++)
			m->ref[k] = x[k];
		m->ref_set = true;
	}
	double *y = m->y;
	for (int k = 0; k < d; k++) {
		y[k] = (double)x[k] - m->ref[k];
		m->s1[k] += y[k];
	}
	for (int a = 0; a < d; a++) {
		double ya = y[a], *row = m->s2 + (size_t)a * d;
		for (int b = a; b < d; b++)
			row[b] += ya * y[b];
	}
	m->n++;
}

double pr_moments_ratio(const struct pr_moments *a, const struct pr_moments *b)
{
	int d = a->dim;
	long n = a->n + (b ? b->n : 0);
	if (n < 2)
		return NAN;
	double tr = 0.0, fro = 0.0;
	for (int i = 0; i < d; i++) {
		double mi = (a->s1[i] + (b ? b->s1[i] : 0.0)) / (double)n;
		for (int j = i; j < d; j++) {
			double mj = (a->s1[j] + (b ? b->s1[j] : 0.0)) / (double)n;
			size_t k = (size_t)i * d + j;
			double c = (a->s2[k] + (b ? b->s2[k] : 0.0)) / (double)n - mi * mj;
			if (i == j) {
				tr += c;
				fro += c * c;
			} else {
				fro += 2.0 * c * c;
			}
		}
	}
	return fro > 0.0 ? tr * tr / fro : NAN;
}
