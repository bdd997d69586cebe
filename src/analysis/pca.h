/* pca.h - the plane that holds the most of a set of points: their first two
 * principal components, for the trajectory map (the states after every
 * step, projected).  Double precision throughout.
 *
 * The points are centred; the smaller of the n x n Gram matrix and the
 * dim x dim covariance (they share their non-zero eigenvalues) is
 * diagonalised by cyclic Jacobi rotations, so n or dim may be large but
 * not both (min(n, dim) <= PCA_MAX_SIDE). */
#ifndef HRM_PCA_H
#define HRM_PCA_H

#define PCA_MAX_SIDE 2048

struct pca2 {
	int n;
	double *xy;      /* [n][2] each point's coordinates on the two axes */
	double ratio[2]; /* share of the total variance along each axis (0 when there is none) */
	double var[2];   /* the variance along each axis (eigenvalue / n) */
};

/* The projection of points x[n][dim] (row-major) on their first two
 * principal components.  Each axis's sign puts the last point on its
 * positive side (ties: the first point on its negative side).  0, or -1
 * with *cause (n < 1, too many points and dimensions both). */
int pca2_fit(const float *x, int n, int dim, struct pca2 *out, char **cause);
void pca2_free(struct pca2 *p);

/* Eigenvalues (descending, into val[n]) and eigenvectors (columns of
 * vec[n][n], row-major) of the symmetric a[n][n], which is destroyed. */
void pca_jacobi(double *a, int n, double *val, double *vec);

#endif
