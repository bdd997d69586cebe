/* pr.c - participation ratio of a set of states (HRM-SPEC, Readouts):
 * PR = (tr C)^2 / ||C||_F^2 for the covariance C of the centred samples.
 * C = Xc^T Xc / n and the Gram matrix G = Xc Xc^T / n share their non-zero
 * eigenvalues, so the smaller of the two gives the same PR exactly: the
 * Gram matrix when there are fewer samples than dimensions. */
#include "tui.h"

#include <math.h>
#include <stdlib.h>

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
