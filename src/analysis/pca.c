/* pca.c - the first two principal components (pca.h). */
#include "analysis/pca.h"
#include "core/util.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void rotate(double *a, int n, int p, int q, double c, double s, int stride_k, int stride_pq)
{
	for (int k = 0; k < n; k++) {
		double *kp = a + (size_t)k * stride_k + (size_t)p * stride_pq, *kq = a + (size_t)k * stride_k + (size_t)q * stride_pq;
		double x = *kp, y = *kq;
		*kp = c * x - s * y;
		*kq = s * x + c * y;
	}
}

void pca_jacobi(double *a, int n, double *val, double *vec)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			vec[(size_t)i * n + j] = i == j;
	double total = 0.0;
	for (size_t i = 0; i < (size_t)n * n; i++)
		total += a[i] * a[i];
	for (int sweep = 0; sweep < 64; sweep++) {
		double off = 0.0;
		for (int p = 0; p < n; p++)
			for (int q = p + 1; q < n; q++)
				off += a[(size_t)p * n + q] * a[(size_t)p * n + q];
		if (off <= 1e-30 * total || off == 0.0)
			break;
		for (int p = 0; p < n; p++)
			for (int q = p + 1; q < n; q++) {
				double apq = a[(size_t)p * n + q];
				if (fabs(apq) < 1e-300)
					continue;
				double theta = (a[(size_t)q * n + q] - a[(size_t)p * n + p]) / (2.0 * apq);
				double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
				double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
				/* A' = J^T A J: columns p, q, then rows p, q */
				rotate(a, n, p, q, c, s, n, 1);
				rotate(a, n, p, q, c, s, 1, n);
				rotate(vec, n, p, q, c, s, n, 1);
			}
	}
	/* sort descending, moving the columns of vec along */
	int *order = xmalloc((size_t)n * sizeof *order);
	double *d = xmalloc((size_t)n * sizeof *d), *v2 = xmalloc((size_t)n * n * sizeof *v2);
	for (int i = 0; i < n; i++) {
		order[i] = i;
		d[i] = a[(size_t)i * n + i];
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && d[order[j]] > d[order[j - 1]]; j--) {
			int tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	for (int k = 0; k < n; k++) {
		val[k] = d[order[k]];
		for (int i = 0; i < n; i++)
			v2[(size_t)i * n + k] = vec[(size_t)i * n + order[k]];
	}
	memcpy(vec, v2, (size_t)n * n * sizeof *vec);
	free(order);
	free(d);
	free(v2);
}

int pca2_fit(const float *x, int n, int dim, struct pca2 *out, char **cause)
{
	memset(out, 0, sizeof *out);
	if (n < 1 || dim < 1)
		return set_cause(cause, "PCA: no points");
	int m = n < dim ? n : dim;
	if (m > PCA_MAX_SIDE)
		return set_cause(cause, "PCA: %d points in %d dimensions is more than it diagonalises (%d)", n, dim,
				 PCA_MAX_SIDE);
	double *mean = xcalloc((size_t)dim, sizeof *mean), *xc = xmalloc((size_t)n * dim * sizeof *xc);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < dim; j++)
			mean[j] += x[(size_t)i * dim + j];
	for (int j = 0; j < dim; j++)
		mean[j] /= n;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < dim; j++)
			xc[(size_t)i * dim + j] = x[(size_t)i * dim + j] - mean[j];
	double *a = xcalloc((size_t)m * m, sizeof *a), *val = xmalloc((size_t)m * sizeof *val),
	       *vec = xmalloc((size_t)m * m * sizeof *vec);
	bool gram = n <= dim;
	for (int p = 0; p < m; p++)
		for (int q = p; q < m; q++) {
			double acc = 0.0;
			if (gram)
				for (int j = 0; j < dim; j++)
					acc += xc[(size_t)p * dim + j] * xc[(size_t)q * dim + j];
			else
				for (int i = 0; i < n; i++)
					acc += xc[(size_t)i * dim + p] * xc[(size_t)i * dim + q];
			a[(size_t)p * m + q] = a[(size_t)q * m + p] = acc;
		}
	double trace = 0.0;
	for (int p = 0; p < m; p++)
		trace += a[(size_t)p * m + p];
	pca_jacobi(a, m, val, vec);
	out->n = n;
	out->xy = xcalloc((size_t)n * 2, sizeof *out->xy);
	for (int k = 0; k < 2 && k < m; k++) {
		double lam = val[k] > 0 ? val[k] : 0.0;
		for (int i = 0; i < n; i++) {
			double c = 0.0;
			if (gram) /* the Gram eigenvector u_k scaled: x_i . v_k = sqrt(lambda) u_k[i] */
				c = sqrt(lam) * vec[(size_t)i * m + k];
			else
				for (int j = 0; j < dim; j++)
					c += xc[(size_t)i * dim + j] * vec[(size_t)j * m + k];
			out->xy[(size_t)i * 2 + k] = c;
		}
		double last = out->xy[(size_t)(n - 1) * 2 + k], first = out->xy[k];
		if (last < 0 || (last == 0 && first > 0))
			for (int i = 0; i < n; i++)
				out->xy[(size_t)i * 2 + k] = -out->xy[(size_t)i * 2 + k];
		out->var[k] = lam / n;
		out->ratio[k] = trace > 0 ? lam / trace : 0.0;
	}
	free(mean);
	free(xc);
	free(a);
	free(val);
	free(vec);
	return 0;
}

void pca2_free(struct pca2 *p)
{
	free(p->xy);
	memset(p, 0, sizeof *p);
}
