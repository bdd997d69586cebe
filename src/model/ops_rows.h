/* ops_rows.h - the row reductions shared by the fp32 and bf16 ops, in one
 * fixed order (8 interleaved partial results, combined pairwise) so that
 * both give the same bits on every run and thread count. */
#ifndef HRM_OPS_ROWS_H
#define HRM_OPS_ROWS_H

#include <math.h>
#include <stddef.h>

/* Inlined into every caller, so that each of a caller's target clones
 * (HRM_VECTORIZE) gets its own vector width: GCC left row_max and the sums
 * as calls compiled for the baseline ISA, and the tile took 1.3x as long. */
#if defined(__GNUC__)
#define ROWS_INLINE static inline __attribute__((always_inline))
#else
#define ROWS_INLINE static inline
#endif

/* 1/rms of a row of d: the sum of squares in 8 interleaved partial sums (a
 * fixed order that vectorises), combined pairwise. */
ROWS_INLINE float rms_inv_row(const float *row, int d, float eps)
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

/* the largest of r[0..n), in 64 partial maxima (four vectors of 16 lanes
 * side by side: one running maximum waits on itself every step).  The
 * maximum of numbers is the same whatever the order, so this is the same
 * value as a left-to-right scan; only a NaN, which makes the softmax of its
 * row NaN anyway, may or may not be the one returned, and of +0 and -0 in
 * a row whose largest is zero either may be (x - 0 is x for both). */
ROWS_INLINE float row_max(const float *r, int n)
{
	if (n < 64) {
		float m = r[0];
		for (int j = 1; j < n; j++)
			m = r[j] > m ? r[j] : m;
		return m;
	}
	float acc[64];
	for (int k = 0; k < 64; k++)
		acc[k] = r[k];
	int j = 64;
	for (; j + 64 <= n; j += 64)
		for (int k = 0; k < 64; k++)
			acc[k] = r[j + k] > acc[k] ? r[j + k] : acc[k];
	for (int k = 0; j < n; j++, k++)
		acc[k] = r[j] > acc[k] ? r[j] : acc[k];
	for (int w = 32; w >= 1; w /= 2)
		for (int k = 0; k < w; k++)
			acc[k] = acc[k + w] > acc[k] ? acc[k + w] : acc[k];
	return acc[0];
}

/* The sum of r[0..n) in the softmaxes' order: 8 interleaved partial sums
 * (lane k takes r[k], r[k + 8], ...), combined pairwise. */
ROWS_INLINE float row_sum8(const float *r, int n)
{
	float acc[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
	int j = 0;
	for (; j + 8 <= n; j += 8)
		for (int k = 0; k < 8; k++)
			acc[k] += r[j + k];
	for (int k = 0; j < n; j++, k++)
		acc[k] += r[j];
	return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* row_sum8 of four rows ld floats apart into sum[0..4): each the same bits
 * as row_sum8 of its row alone, the four chains of additions side by side
 * (one row alone waits on its own additions: a 128 x 901 softmax tile took
 * 0.097 ms with the rows one by one and the maxima in 8 lanes, 0.070 ms
 * with these two). */
ROWS_INLINE void row_sum8_x4(const float *r, size_t ld, int n, float *sum)
{
	const float *r0 = r, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
	float a[4][8] = { { 0.0f } };
	int j = 0;
	for (; j + 8 <= n; j += 8)
		for (int k = 0; k < 8; k++) {
			a[0][k] += r0[j + k];
			a[1][k] += r1[j + k];
			a[2][k] += r2[j + k];
			a[3][k] += r3[j + k];
		}
	for (int k = 0; j < n; j++, k++) {
		a[0][k] += r0[j];
		a[1][k] += r1[j];
		a[2][k] += r2[j];
		a[3][k] += r3[j];
	}
	for (int b = 0; b < 4; b++)
		sum[b] = ((a[b][0] + a[b][1]) + (a[b][2] + a[b][3])) + ((a[b][4] + a[b][5]) + (a[b][6] + a[b][7]));
}

/* row_sum8 of nr rows ld floats apart, four at a time where there are */
ROWS_INLINE void row_sums8(const float *r, size_t ld, int nr, int n, float *sum)
{
	int i = 0;
	for (; i + 4 <= nr; i += 4)
		row_sum8_x4(r + (size_t)i * ld, ld, n, sum + i);
	for (; i < nr; i++)
		sum[i] = row_sum8(r + (size_t)i * ld, n);
}

#endif
