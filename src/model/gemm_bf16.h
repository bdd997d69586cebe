/* gemm_bf16.h - matrix products in bfloat16 with float32 accumulation, as
 * the official model's linear layers compute them (torch.bfloat16 on CPU
 * and GPU alike: bf16 operands, fp32 sums, one rounding of each result).
 *
 * Operands are bf16 values held in float32 storage (the low 16 bits zero):
 * a product of two of them is exact in float32, so the result depends only
 * on the order in which the fp32 sums are taken.  Built with oneDNN the
 * products run in its bf16 matmul (AVX512-BF16 or AMX where the CPU has
 * them); without it, in hrm_sgemm on the same values: the same answers up to
 * the accumulation order.  (AVX512-BF16 also flushes subnormal operands and
 * sums to zero, as PyTorch's CPU bf16 path does; model values never come
 * near 2^-126.)
 *
 * Threads: a product uses the threads hrm_set_threads allows, over the
 * worker pool (core/parallel.h); oneDNN starts no threads of its own.  Any
 * number of threads may call these functions at once. */
#ifndef HRM_GEMM_BF16_H
#define HRM_GEMM_BF16_H

#include <stddef.h>
#include <stdint.h>

/* A weight matrix W [rows][cols] (row-major) prepared for bf16 products:
 * its values rounded to bf16 (nearest even), in whatever layout the backend
 * wants. */
struct bf16_mat;
/* NULL when memory runs out */
struct bf16_mat *bf16_mat_new(int rows, int cols);
/* rounds W (rows x cols float32) into m; called again when W changed */
void bf16_mat_set(struct bf16_mat *m, const float *W);
void bf16_mat_free(struct bf16_mat *m);
int bf16_mat_rows(const struct bf16_mat *m);
int bf16_mat_cols(const struct bf16_mat *m);

/* y[n][rows] = bf16(x[n][cols] W^T) (F.linear in bf16, no bias): x holds
 * bf16 values; each output is the fp32 sum rounded once to bf16. */
void linear_bf16(float *y, const float *x, const struct bf16_mat *W, int n);
/* the same with the rounding left to the consumer when !round: y holds the
 * fp32 sums, and the op that reads y next rounds each value as it reads it
 * (the ops of ops_bf16.h that say so), which saves a pass over y, the
 * largest arrays of a forward (at T 901 they are out of cache) */
void linear_bf16_ex(float *y, const float *x, const struct bf16_mat *W, int n, int round);
/* linear_bf16_ex on an input given as bf16 bits (compact rows of cols),
 * written so by the op before it; for where bf16_bits_usable() */
void linear_bf16_bits_ex(float *y, const uint16_t *xb, const struct bf16_mat *W, int n, int round);
/* linear_bf16_ex that leaves x's bits in xb ([n][cols], compact), where
 * the backward's weight gradient reads them (linear_grad_bf16_ex); xb
 * NULL: linear_bf16_ex itself */
void linear_bf16_keep(float *y, const float *x, uint16_t *xb, const struct bf16_mat *W, int n, int round);

/* C[M][N] = A[M][K] op(B) (op = transpose when tb; B is [K][N], or [N][K]
 * when tb), fp32 sums of bf16 products, C not rounded: attention's scores
 * and its probabilities times values.  A and B hold bf16 values. */
void gemm_bf16(int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc);

/* gemm_bf16 with A read transposed too when ta (A [K][M]), and each
 * output rounded once to bf16 when round: the products of a backward,
 * dx = dy W (round) and dW = dy^T x (not rounded: the caller adds the
 * rounded product to an fp32 gradient). */
void gemm_bf16_ex(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
		  int ldc, int round);

/* ---- operands kept as bf16 bits ----
 * For operands converted once and read by many products (attention's
 * per-head q, k, v and its probabilities): the bits of a bf16 value are the
 * high half of its float32.  Only where bf16_bits_usable() says so (oneDNN
 * with bf16 kernels); elsewhere the callers use the float32 forms above. */

/* 1 when gemm_bf16_bits and bf16_scratch run (the oneDNN bf16 kernels) */
int bf16_bits_usable(void);
/* dst[i] = the bits of src[i], which holds a bf16 value */
void bf16_bits_from(uint16_t *dst, const float *src, size_t n);
/* C[M][N] = A op(B): A [M][K], B [K][N] (or [N][K] when tb), bf16 bits,
 * all compact; fp32 sums, not rounded; on the calling thread alone.  The
 * same sums as gemm_bf16 of the same values and shape. */
void gemm_bf16_bits(int tb, int M, int N, int K, const uint16_t *A, const uint16_t *B, float *C);
/* The calling thread's buffer i (0 .. 2) of at least `bytes` bytes, kept
 * for the thread's life; NULL when it cannot grow or !bf16_bits_usable(). */
void *bf16_scratch(int i, size_t bytes);

/* The two products of a linear layer's backward, y = x W^T with W [out][in]:
 * dx[n][in] = bf16(dy W) (when dx is not NULL) and dWp[out][in] = dy^T x,
 * fp32 sums not rounded (when dWp is not NULL); dy converted to bf16 once
 * for both.  The same sums as the two gemm_bf16_ex calls. */
void linear_grad_bf16(float *dx, float *dWp, const float *dy, const float *x, const float *W, int n, int in,
		      int out);
/* the same with x's bits given (xb, [n][in] compact), as the forward left
 * them (linear_bf16_keep, swiglu_forward_bf16_bits): the weight gradient
 * reads them instead of converting x, and x may then be NULL; xb NULL:
 * linear_grad_bf16 itself */
void linear_grad_bf16_ex(float *dx, float *dWp, const float *dy, const float *x, const uint16_t *xb,
			 const float *W, int n, int in, int out);

/* Round every element of v to bf16 in place (nearest even). */
void round_bf16(float *v, size_t n);

/* round_bf16 over the worker pool; and v = bf16(v + add), the sum of two
 * bf16 tensors, likewise */
void round_bf16_pool(float *v, size_t n);
void add_round_bf16_pool(float *v, const float *add, size_t n);

/* what computes the products: "oneDNN 2.6.3 (avx512_core_bf16)", or
 * "sgemm on bf16-rounded values" */
const char *bf16_backend(void);

#endif
