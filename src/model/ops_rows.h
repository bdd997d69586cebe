/* ops_rows.h - the row reductions shared by the fp32 and bf16 ops, in one
 * fixed order (8 interleaved partial results, combined pairwise) so that
 * both give the same bits on every run and thread count. */
#ifndef HRM_OPS_ROWS_H
#define HRM_OPS_ROWS_H

#include <math.h>

/* 1/rms of a row of d: the sum of squares in 8 interleaved partial sums (a
 * fixed order that vectorises), combined pairwise. */
static inline float rms_inv_row(const float *row, int d, float eps)
{
	float acc[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
	int j = 0;
	for (; j + 8 <= d; j += 8)
		for (int k = 0; k < 8; k++)
			acc[k] += row[j + k] * row[j + k];
	for (int k = 0; j < d; j++, k++)
		acc[k] += row[j] * row[j];
	float ss = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	/* torch: h * rsqrt(mean(h^2) + eps), all in float32 */
	return 1.0f / sqrtf(ss / (float)d + eps);
}

/* the largest of r[0..n) */
static inline float row_max(const float *r, int n)
{
	float acc[8];
	int j = 0;
	if (n >= 8) {
		for (int k = 0; k < 8; k++)
			acc[k] = r[k];
		for (j = 8; j + 8 <= n; j += 8)
			for (int k = 0; k < 8; k++)
				acc[k] = r[j + k] > acc[k] ? r[j + k] : acc[k];
	} else {
		for (int k = 0; k < 8; k++)
			acc[k] = r[0];
	}
	for (; j < n; j++)
		acc[0] = r[j] > acc[0] ? r[j] : acc[0];
	float m = acc[0];
	for (int k = 1; k < 8; k++)
		m = acc[k] > m ? acc[k] : m;
	return m;
}

#endif
