/* pr.c - the participation ratio: an accumulator of samples about a
 * reference point, and the exact one-shot PR of a sample array (pr.h). */
#include "analysis/pr.h"

#include "core/util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The upper triangle of c[m][m] += y^T y for y[k][m] (trans: k samples of
 * dimension m, the moments), or += y y^T for y[m][k] (m samples of dimension
 * k, the Gram matrix). */
static void syrk_upper(enum pr_mult mult, int m, int k, const double *y, bool trans, double *c)
{
	if (mult == PR_BLAS) {
		cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, m, k, 1.0, y, trans ? m : k,
		            1.0, c, m);
	} else if (trans) {
		for (int r = 0; r < k; r++) {
			const double *yr = y + (size_t)r * m;
			for (int i = 0; i < m; i++) {
				double yi = yr[i], *ci = c + (size_t)i * m;
				for (int j = i; j < m; j++)
					ci[j] += yi * yr[j];
			}
		}
	} else {
		for (int i = 0; i < m; i++)
			for (int j = i; j < m; j++) {
				const double *yi = y + (size_t)i * k, *yj = y + (size_t)j * k;
				double s = 0.0;
				for (int t = 0; t < k; t++)
					s += yi[t] * yj[t];
				c[(size_t)i * m + j] += s;
			}
	}
}

/* (tr C)^2 / ||C||_F^2 from the upper triangle of a symmetric c[m][m] */
static double upper_ratio(const double *c, long m)
{
	double tr = 0.0, fro = 0.0;
	for (long i = 0; i < m; i++) {
		const double *ci = c + (size_t)i * m;
		tr += ci[i];
		fro += ci[i] * ci[i];
		for (long j = i + 1; j < m; j++)
			fro += 2 * ci[j] * ci[j];
	}
	return fro > 0.0 ? tr * tr / fro : NAN;
}

void pr_acc_init(struct pr_acc *a, int dim, enum pr_mult mult)
{
	memset(a, 0, sizeof *a);
	a->dim = dim;
	a->mult = mult;
	a->ref = xcalloc((size_t)dim, sizeof *a->ref);
	a->sum = xcalloc((size_t)dim, sizeof *a->sum);
	a->rows = xmalloc((size_t)dim * dim * sizeof *a->rows);
}

void pr_acc_free(struct pr_acc *a)
{
	free(a->ref);
	free(a->sum);
	free(a->rows);
	free(a->cov);
	memset(a, 0, sizeof *a);
}

void pr_acc_clear(struct pr_acc *a, const struct pr_acc *like)
{
	int d = a->dim;
	bool had_cov = a->ncov > 0;
	a->n = a->ncov = 0;
	a->nrows = 0;
	a->ref_set = false;
	if (d <= 0) /* never initialised (no model yet): nothing to clear */
		return;
	if (had_cov)
		memset(a->cov, 0, (size_t)d * d * sizeof *a->cov);
	memset(a->sum, 0, (size_t)d * sizeof *a->sum);
	a->ref_set = like != NULL && like->ref_set && like->dim == d;
	if (a->ref_set)
		memcpy(a->ref, like->ref, (size_t)d * sizeof *a->ref);
}

void pr_acc_flush(struct pr_acc *a)
{
	int d = a->dim;
	if (a->nrows == 0)
		return;
	if (a->cov == NULL)
		a->cov = xcalloc((size_t)d * d, sizeof *a->cov);
	syrk_upper(a->mult, d, a->nrows, a->rows, true, a->cov);
	a->ncov += a->nrows;
	a->nrows = 0;
}

/* n samples from xf[n][d] or xd[n][d] (the other NULL) */
static void take_rows(struct pr_acc *a, const float *xf, const double *xd, long n)
{
	int d = a->dim;
	for (long r = 0; r < n; r++) {
		const float *f = xf ? xf + (size_t)r * d : NULL;
		const double *x = xd ? xd + (size_t)r * d : NULL;
		if (!a->ref_set) {
			for (int k = 0; k < d; k++)
				a->ref[k] = f ? f[k] : x[k];
			a->ref_set = true;
		}
		/* folded when the next sample needs the room: with no more
		 * than d samples the Gram route keeps them all */
		if (a->nrows == d)
			pr_acc_flush(a);
		double *y = a->rows + (size_t)a->nrows * d;
		if (f)
			for (int k = 0; k < d; k++)
				y[k] = (double)f[k] - a->ref[k];
		else
			for (int k = 0; k < d; k++)
				y[k] = x[k] - a->ref[k];
		for (int k = 0; k < d; k++)
			a->sum[k] += y[k];
		a->nrows++;
		a->n++;
	}
}

void pr_acc_add(struct pr_acc *a, const float *x)
{
	take_rows(a, x, NULL, 1);
}

void pr_acc_add_rows(struct pr_acc *a, const float *x, long n)
{
	take_rows(a, x, NULL, n);
}

void pr_acc_add_rows_f64(struct pr_acc *a, const double *x, long n)
{
	take_rows(a, NULL, x, n);
}

bool pr_acc_gram(const struct pr_acc *a, const struct pr_acc *b)
{
	long n = a->n + (b ? b->n : 0);
	return a->ncov == 0 && (b == NULL || b->ncov == 0) && n <= a->dim;
}

double pr_acc_ratio(const struct pr_acc *a, const struct pr_acc *b)
{
	int d = a->dim;
	long n = a->n + (b ? b->n : 0);
	if (n < 2)
		return NAN;
	if (b != NULL && (b->dim != d || (a->n > 0 && b->n > 0 && memcmp(a->ref, b->ref, (size_t)d * sizeof *a->ref))))
		return NAN;
	const struct pr_acc *part[2] = {a, b};
	double *s = xmalloc((size_t)d * sizeof *s), pr;
	for (int k = 0; k < d; k++)
		s[k] = a->sum[k] + (b ? b->sum[k] : 0.0);
	if (pr_acc_gram(a, b)) {
		/* G = Yc Yc^T over the held rows of both, centred */
		double *y = xmalloc((size_t)n * d * sizeof *y), *g = xcalloc((size_t)n * n, sizeof *g);
		size_t off = 0;
		for (int p = 0; p < 2 && part[p]; p++) {
			memcpy(y + off, part[p]->rows, (size_t)part[p]->nrows * d * sizeof *y);
			off += (size_t)part[p]->nrows * d;
		}
		for (long r = 0; r < n; r++)
			for (int k = 0; k < d; k++)
				y[(size_t)r * d + k] -= s[k] / (double)n;
		syrk_upper(a->mult, (int)n, d, y, false, g);
		pr = upper_ratio(g, n);
		free(y);
		free(g);
	} else {
		/* C = sum y y^T - s s^T / n: the covariance times n */
		double *c = xcalloc((size_t)d * d, sizeof *c);
		for (int p = 0; p < 2 && part[p]; p++) {
			if (part[p]->ncov > 0)
				for (size_t i = 0; i < (size_t)d * d; i++)
					c[i] += part[p]->cov[i];
			if (part[p]->nrows > 0)
				syrk_upper(a->mult, d, part[p]->nrows, part[p]->rows, true, c);
		}
		for (int i = 0; i < d; i++)
			for (int j = i; j < d; j++)
				c[(size_t)i * d + j] -= s[i] * s[j] / (double)n;
		pr = upper_ratio(c, d);
		free(c);
	}
	free(s);
	return pr;
}

double pr_participation_ratio(const float *samples, long n, int dim)
{
	if (n < 2 || dim < 1)
		return NAN;
	struct pr_acc a;
	pr_acc_init(&a, dim, PR_LOOPS);
	/* the exact mean as the reference point: the samples about it are
	 * the centred ones, up to rounding */
	for (long i = 0; i < n; i++)
		for (int k = 0; k < dim; k++)
			a.ref[k] += samples[(size_t)i * dim + k];
	for (int k = 0; k < dim; k++)
		a.ref[k] /= (double)n;
	a.ref_set = true;
	pr_acc_add_rows(&a, samples, n);
	double pr = pr_acc_ratio(&a, NULL);
	pr_acc_free(&a);
	return pr;
}
