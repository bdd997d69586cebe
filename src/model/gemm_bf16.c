/* gemm_bf16.c - bf16 products on hrm_sgemm: the operands are bf16 values
 * in float32 storage, so each product is exact and the sums are fp32, as in
 * a bf16 matmul; only the order of the sums can differ from another
 * backend's. */
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "core/half.h"

#include <stdlib.h>

struct bf16_mat {
	int rows, cols;
	float *v; /* rows x cols, bf16 values */
};

struct bf16_mat *bf16_mat_new(int rows, int cols)
{
	struct bf16_mat *m = malloc(sizeof *m);
	if (m == NULL)
		return NULL;
	m->rows = rows;
	m->cols = cols;
	m->v = malloc((size_t)rows * cols * sizeof(float) + 1);
	if (m->v == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void bf16_mat_set(struct bf16_mat *m, const float *W)
{
	size_t n = (size_t)m->rows * m->cols;
	for (size_t i = 0; i < n; i++)
		m->v[i] = bf16_round(W[i]);
}

void bf16_mat_free(struct bf16_mat *m)
{
	if (m == NULL)
		return;
	free(m->v);
	free(m);
}

int bf16_mat_rows(const struct bf16_mat *m) { return m->rows; }
int bf16_mat_cols(const struct bf16_mat *m) { return m->cols; }

void round_bf16(float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = bf16_round(v[i]);
}

void linear_bf16(float *y, const float *x, const struct bf16_mat *W, int n)
{
	hrm_sgemm(0, 1, n, W->rows, W->cols, 1.0f, x, W->cols, W->v, W->cols, 0.0f, y, W->rows);
	round_bf16(y, (size_t)n * W->rows);
}

void gemm_bf16(int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
	hrm_sgemm(0, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
}

const char *bf16_backend(void)
{
	return "sgemm on bf16-rounded values";
}
