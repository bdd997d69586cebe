/* check_gemm_bf16.c - the bf16 products (model/gemm_bf16.h) against the
 * exact sums, at the model's shapes and at odd ones, in whichever backend
 * this build has (oneDNN, or sgemm on the bf16 values).
 *
 * The reference is exact.  Operands are bf16 with exponents in [-4, 3]:
 * multiples of 2^-11 below 2^4, so every product is a multiple of 2^-22
 * below 2^8, and a sum of K <= 2048 of them needs at most 41 bits: the
 * float64 sum is the exact sum s, and no partial sum is subnormal.
 *
 * The bound.  The products of bf16 values are exact in fp32; only the K - 1
 * additions round, in whatever order the backend takes them.  Any order is a
 * binary tree of height h <= K - 1, and its fp32 result lies within
 * gamma_h * sum |a_i b_i| of s, gamma_h = h u / (1 - h u), u = 2^-24
 * (Higham, Accuracy and Stability, 4.2); gamma_{K-1} <= K u while
 * K (K - 1) u <= 1, true for K < 4096.  So with E = K 2^-24 sum |a_i b_i|:
 *
 *   gemm_bf16: |C - s| <= E;
 *   linear_bf16: y = RNE(fp32 sum), and RNE is monotone, so y lies between
 *   RNE(s - E) and RNE(s + E): y == RNE(s), or y is the bf16 neighbour
 *   of RNE(s) on the side of a rounding boundary that lies within E of s.
 *
 * Rounding by truncation, a missing rounding or a misplaced weight breaks
 * these on a large share of the outputs. */
#include "model/gemm_bf16.h"
#include "model/engine.h"
#include "model/ops.h"
#include "core/half.h"
#include "core/parallel.h"

#include "test_util.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* oneDNN's brgemm sums each row the same way whatever rows the product
 * has, so its results are the same bits at any thread count; OpenBLAS's
 * sgemm (the other backend) changes its order with the block shapes. */
static int same_at_any_threads(void)
{
	return strncmp(bf16_backend(), "oneDNN", 6) == 0;
}

static uint64_t rng_state;
static int all_positive; /* rand_bf16 without its random sign */

static uint64_t next_u64(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* a bf16 value: random sign (unless all_positive) and 8-bit significand,
 * exponent in [-4, 3] */
static float rand_bf16(void)
{
	uint64_t r = next_u64();
	uint32_t sign = all_positive ? 0 : (uint32_t)(r & 1) << 31;
	uint32_t exp = (uint32_t)(127 - 4 + (int)((r >> 1) % 8)) << 23;
	uint32_t man = (uint32_t)((r >> 8) & 0x7f) << 16;
	uint32_t u = sign | exp | man;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static float *rand_matrix(size_t n)
{
	float *m = malloc(n * sizeof *m);
	ck_assert_ptr_nonnull(m);
	for (size_t i = 0; i < n; i++)
		m[i] = rand_bf16();
	return m;
}

/* x rounded once to bf16, nearest even, from float64 (no double rounding
 * through float32): 8 significant bits */
static double rne_bf16(double x)
{
	if (x == 0.0)
		return 0.0;
	int e;
	frexp(x, &e);
	return ldexp(nearbyint(ldexp(x, 8 - e)), e - 8);
}

static int is_bf16(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return (u & 0xffffu) == 0;
}

/* exact s = sum_k a[k * sa] b[k * sb] and its bound E */
static void exact_dot(const float *a, size_t sa, const float *b, size_t sb, int K, double *s, double *E)
{
	/* every partial sum is exact (see the top), so four of them in any
	 * order give the same s, four times faster */
	double sum[4] = { 0, 0, 0, 0 }, abs[4] = { 0, 0, 0, 0 };
	int k = 0;
	for (; k + 4 <= K; k += 4)
		for (int q = 0; q < 4; q++) {
			double p = (double)a[(size_t)(k + q) * sa] * (double)b[(size_t)(k + q) * sb];
			sum[q] += p;
			abs[q] += fabs(p);
		}
	for (; k < K; k++) {
		double p = (double)a[(size_t)k * sa] * (double)b[(size_t)k * sb];
		sum[0] += p;
		abs[0] += fabs(p);
	}
	*s = (sum[0] + sum[1]) + (sum[2] + sum[3]);
	*E = K * ldexp(1.0, -24) * ((abs[0] + abs[1]) + (abs[2] + abs[3]));
}

struct stats {
	long n, off, wide; /* outputs, those != RNE(s), those the bound lets round two ways */
};

/* y[n][rows] of linear_bf16 against x[n][cols] W^T (W [rows][cols]) */
static void check_linear_out(const float *y, const float *x, const float *W, int n, int rows, int cols,
			     struct stats *st)
{
	for (int i = 0; i < n; i++)
		for (int r = 0; r < rows; r++) {
			double s, E;
			exact_dot(x + (size_t)i * cols, 1, W + (size_t)r * cols, 1, cols, &s, &E);
			double got = y[(size_t)i * rows + r], want = rne_bf16(s);
			double lo = rne_bf16(s - E), hi = rne_bf16(s + E);
			/* plain ifs: a passing ck_assert writes to Check's pipe, and
			 * these loops check millions of values */
			if (!is_bf16(y[(size_t)i * rows + r]))
				ck_abort_msg("y[%d][%d] = %a is not a bf16 value", i, r, got);
			if (!(lo <= got && got <= hi))
				ck_abort_msg(
				      "%dx%dx%d: y[%d][%d] = %a, exact %a rounds to %a; the fp32 sum (within %.3g) "
				      "can round to [%a, %a] only",
				      n, rows, cols, i, r, got, s, want, E, lo, hi);
			st->n++;
			st->off += got != want;
			st->wide += lo != hi;
		}
}

/* C of gemm_bf16 against A[M][K] op(B) */
static void check_gemm_out(int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
			   const float *C, int ldc)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s, E;
			if (tb)
				exact_dot(A + (size_t)i * lda, 1, B + (size_t)j * ldb, 1, K, &s, &E);
			else
				exact_dot(A + (size_t)i * lda, 1, B + j, (size_t)ldb, K, &s, &E);
			double got = C[(size_t)i * ldc + j];
			if (!(fabs(got - s) <= E))
				ck_abort_msg("%dx%dx%d tb %d: C[%d][%d] = %a, exact %a, bound %.3g", M, N, K,
				      tb, i, j, got, s, E);
		}
}

/* n x rows x cols: rows outputs of cols inputs, as F.linear's shapes */
static const int linear_shapes[][3] = {
	{ 1, 1536, 512 },  /* one position, the 27M model's qkv */
	{ 3, 40, 100 },    /* cols not a multiple of 16 */
	{ 901, 1536, 512 }, /* the 27M model's qkv on a 30x30 maze (+1 puzzle position) */
	{ 61, 512, 1536 }, /* its down projection: K = 1536 */
	{ 37, 256, 64 },   /* K = 64 */
	{ 5, 2, 512 },     /* the Q head */
	{ 17, 11, 17 },    /* all odd */
	{ 48, 33, 31 },
};

/* Each shape twice: with random signs, as the model's values come, whose
 * cancellation makes the bound wide for the outputs near 0 (it lets them
 * round two ways); and with positive operands, where sum |a_i b_i| = s and
 * E = K 2^-24 s is far below bf16's half spacing 2^-9 s, so that nearly
 * every output has one allowed value: RNE(s). */
START_TEST(test_linear_exact)
{
	const int *sh = linear_shapes[_i / 2];
	int n = sh[0], rows = sh[1], cols = sh[2];
	all_positive = _i % 2;
	rng_state = 1000 + (uint64_t)_i;
	float *x = rand_matrix((size_t)n * cols), *W = rand_matrix((size_t)rows * cols);
	float *y1 = malloc((size_t)n * rows * sizeof *y1), *y2 = malloc((size_t)n * rows * sizeof *y2);
	ck_assert(y1 && y2);
	struct bf16_mat *m = bf16_mat_new(rows, cols);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(bf16_mat_rows(m), rows);
	ck_assert_int_eq(bf16_mat_cols(m), cols);
	bf16_mat_set(m, W);
	hrm_set_threads(1);
	linear_bf16(y1, x, m, n);
	hrm_set_threads(2);
	linear_bf16(y2, x, m, n);
	if (same_at_any_threads())
		ck_assert_msg(memcmp(y1, y2, (size_t)n * rows * sizeof *y1) == 0, "1 and 2 threads differ");
	struct stats st = { 0, 0, 0 }, st2 = { 0, 0, 0 };
	check_linear_out(y1, x, W, n, rows, cols, &st);
	check_linear_out(y2, x, W, n, rows, cols, &st2);
	/* the fp32 sum lands within a few fp32 ulps of s, rarely across a
	 * rounding boundary of bf16 (2^16 fp32 ulps apart) */
	ck_assert_msg(st.off * 100 <= st.n, "%ld of %ld outputs are not RNE(exact)", st.off, st.n);
	ck_assert_msg(st2.off * 100 <= st2.n, "%ld of %ld outputs are not RNE(exact) (2 threads)", st2.off, st2.n);
	printf("linear %dx%dx%d, %s: %ld of %ld outputs are not RNE(exact), all within the bound (which allows "
	       "more than RNE(exact) for %ld)\n",
	       n, rows, cols, all_positive ? "positive" : "signed", st.off, st.n, st.wide);
	bf16_mat_free(m);
	free(x);
	free(W);
	free(y1);
	free(y2);
}
END_TEST

/* M x N x K, tb, lda, ldb, ldc: attention's products with its strided
 * layouts (q, k, v rows 3d apart; the output's head columns d apart) */
static const int gemm_shapes[][7] = {
	{ 901, 901, 64, 1, 192, 192, 901 }, /* scores q k^T, per head */
	{ 901, 64, 901, 0, 901, 192, 128 }, /* probabilities times v, into the head's columns */
	{ 128, 901, 64, 1, 64, 64, 901 },   /* an attention tile */
	{ 3, 5, 7, 0, 7, 5, 5 },
	{ 1, 33, 17, 1, 20, 17, 40 },
	{ 19, 16, 100, 0, 100, 16, 16 },
};

START_TEST(test_gemm_exact)
{
	const int *g = gemm_shapes[_i];
	int M = g[0], N = g[1], K = g[2], tb = g[3], lda = g[4], ldb = g[5], ldc = g[6];
	rng_state = 2000 + (uint64_t)_i;
	size_t nb = tb ? (size_t)N * ldb : (size_t)K * ldb;
	float *A = rand_matrix((size_t)M * lda), *B = rand_matrix(nb);
	float *C1 = malloc((size_t)M * ldc * sizeof *C1), *C2 = malloc((size_t)M * ldc * sizeof *C2);
	ck_assert(C1 && C2);
	/* gemm_bf16 writes N columns of each row and leaves the rest */
	for (size_t i = 0; i < (size_t)M * ldc; i++)
		C1[i] = C2[i] = 12345.0f;
	hrm_set_threads(1);
	gemm_bf16(tb, M, N, K, A, lda, B, ldb, C1, ldc);
	hrm_set_threads(2);
	gemm_bf16(tb, M, N, K, A, lda, B, ldb, C2, ldc);
	if (same_at_any_threads())
		ck_assert_msg(memcmp(C1, C2, (size_t)M * ldc * sizeof *C1) == 0, "1 and 2 threads differ");
	check_gemm_out(tb, M, N, K, A, lda, B, ldb, C1, ldc);
	check_gemm_out(tb, M, N, K, A, lda, B, ldb, C2, ldc);
	for (int i = 0; i < M; i++)
		for (int j = N; j < ldc; j++)
			if (C1[(size_t)i * ldc + j] != 12345.0f || C2[(size_t)i * ldc + j] != 12345.0f)
				ck_abort_msg("C[%d][%d] beyond N was written", i, j);
	free(A);
	free(B);
	free(C1);
	free(C2);
}
END_TEST

/* gemm_bf16_ex with A transposed (a weight gradient dy^T x: K the long
 * side, cut into chunks inside) and with rounded outputs (an input
 * gradient dy W):  M, N, K, ta, lda, ldb, ldc, round */
static const int gemm_ex_shapes[][8] = {
	{ 64, 64, 3904, 1, 64, 64, 64, 0 },  /* the d = 64 model's o_proj weight gradient */
	{ 6, 64, 1000, 1, 6, 64, 64, 0 },    /* lm head */
	{ 17, 33, 1100, 1, 20, 40, 50, 1 },  /* strided, chunks of 512 and a tail */
	{ 192, 64, 513, 1, 192, 64, 64, 0 }, /* one term past a chunk */
	{ 1000, 64, 256, 0, 256, 64, 64, 1 }, /* dx = dy W, rounded */
	{ 37, 19, 40, 0, 45, 19, 30, 1 },
};

START_TEST(test_gemm_ex)
{
	const int *g = gemm_ex_shapes[_i];
	int M = g[0], N = g[1], K = g[2], ta = g[3], lda = g[4], ldb = g[5], ldc = g[6], round = g[7];
	rng_state = 5000 + (uint64_t)_i;
	size_t na = ta ? (size_t)K * lda : (size_t)M * lda;
	float *A = rand_matrix(na), *B = rand_matrix((size_t)K * ldb);
	float *C1 = malloc((size_t)M * ldc * sizeof *C1), *C2 = malloc((size_t)M * ldc * sizeof *C2);
	ck_assert(C1 && C2);
	for (size_t i = 0; i < (size_t)M * ldc; i++)
		C1[i] = C2[i] = 12345.0f;
	hrm_set_threads(1);
	gemm_bf16_ex(ta, 0, M, N, K, A, lda, B, ldb, C1, ldc, round);
	hrm_set_threads(2);
	gemm_bf16_ex(ta, 0, M, N, K, A, lda, B, ldb, C2, ldc, round);
	if (same_at_any_threads())
		ck_assert_msg(memcmp(C1, C2, (size_t)M * ldc * sizeof *C1) == 0, "1 and 2 threads differ");
	for (int i = 0; i < M; i++) {
		for (int j = 0; j < N; j++) {
			double s, E;
			if (ta)
				exact_dot(A + i, (size_t)lda, B + j, (size_t)ldb, K, &s, &E);
			else
				exact_dot(A + (size_t)i * lda, 1, B + j, (size_t)ldb, K, &s, &E);
			double got = C1[(size_t)i * ldc + j];
			double lo = round ? rne_bf16(s - E) : s - E, hi = round ? rne_bf16(s + E) : s + E;
			if (round && !is_bf16(C1[(size_t)i * ldc + j]))
				ck_abort_msg("C[%d][%d] = %a is not a bf16 value", i, j, got);
			if (!(lo <= got && got <= hi))
				ck_abort_msg("%dx%dx%d ta %d round %d: C[%d][%d] = %a, exact %a, allowed [%a, %a]", M, N,
					     K, ta, round, i, j, got, s, lo, hi);
		}
		for (int j = N; j < ldc; j++)
			if (C1[(size_t)i * ldc + j] != 12345.0f || C2[(size_t)i * ldc + j] != 12345.0f)
				ck_abort_msg("C[%d][%d] beyond N was written", i, j);
	}
	free(A);
	free(B);
	free(C1);
	free(C2);
}
END_TEST

/* linear_grad_bf16 converts dy once for both products: the same bits as the
 * two gemm_bf16_ex calls it stands for, with and without the weight
 * gradient, after other products have used the scratch.  n, in, out */
static const int grad_shapes[][3] = {
	{ 1000, 64, 192 }, /* rows not a multiple of 16 */
	{ 3904, 256, 64 }, /* the d = 64 model's down projection */
	{ 37, 512, 96 },   /* small: one thread */
};

START_TEST(test_linear_grad)
{
	const int *g = grad_shapes[_i];
	int n = g[0], in = g[1], out = g[2];
	rng_state = 7000 + (uint64_t)_i;
	float *dy = rand_matrix((size_t)n * out), *x = rand_matrix((size_t)n * in), *W = rand_matrix((size_t)out * in);
	size_t nx = (size_t)n * in, nw = (size_t)out * in;
	float *dx1 = malloc(nx * sizeof *dx1), *dx2 = malloc(nx * sizeof *dx2), *dx3 = malloc(nx * sizeof *dx3);
	float *dw1 = malloc(nw * sizeof *dw1), *dw2 = malloc(nw * sizeof *dw2);
	ck_assert(dx1 && dx2 && dx3 && dw1 && dw2);
	hrm_set_threads(2);
	gemm_bf16_ex(0, 0, n, in, out, dy, out, W, in, dx2, in, 1);
	gemm_bf16_ex(1, 0, out, in, n, dy, out, x, in, dw2, in, 0);
	/* another product before each, so that the scratch holds something else */
	float *other = malloc((size_t)n * out * sizeof *other);
	ck_assert(other);
	gemm_bf16_ex(0, 1, n, out, in, x, in, W, in, other, out, 0);
	linear_grad_bf16(dx1, dw1, dy, x, W, n, in, out);
	ck_assert_msg(memcmp(dx1, dx2, nx * sizeof *dx1) == 0, "%dx%dx%d: dx differs", n, in, out);
	ck_assert_msg(memcmp(dw1, dw2, nw * sizeof *dw1) == 0, "%dx%dx%d: dW differs", n, in, out);
	gemm_bf16_ex(0, 1, n, out, in, x, in, W, in, other, out, 0);
	free(other);
	linear_grad_bf16(dx3, NULL, dy, x, W, n, in, out);
	ck_assert_msg(memcmp(dx3, dx2, nx * sizeof *dx3) == 0, "%dx%dx%d: dx alone differs", n, in, out);
	free(dy);
	free(x);
	free(W);
	free(dx1);
	free(dx2);
	free(dx3);
	free(dw1);
	free(dw2);
}
END_TEST

/* hrm_sgemm, float32: the layouts that go to oneDNN (ops.c) and one that
 * stays in OpenBLAS, against exact sums; the same bits at 1 and 2 threads
 * for the oneDNN ones; beta 1 adds to C.  M, N, K, ta, tb, beta */
static const int sgemm_shapes[][6] = {
	{ 3904, 192, 64, 0, 1, 0 }, /* the d = 64 model's qkv projection */
	{ 1000, 256, 64, 0, 0, 0 }, /* an input gradient dy W */
	{ 64, 256, 3904, 1, 0, 0 }, /* a weight gradient dy^T x */
	{ 64, 64, 1500, 1, 0, 1 },  /* ... added to the gradient */
	{ 33, 17, 700, 1, 1, 0 },   /* both transposed: OpenBLAS */
};

START_TEST(test_sgemm_f32)
{
	const int *g = sgemm_shapes[_i];
	int M = g[0], N = g[1], K = g[2], ta = g[3], tb = g[4];
	float beta = (float)g[5];
	int lda = ta ? M : K, ldb = tb ? K : N;
	rng_state = 6000 + (uint64_t)_i;
	float *A = malloc((size_t)M * K * sizeof *A), *B = malloc((size_t)K * N * sizeof *B);
	float *C0 = malloc((size_t)M * N * sizeof *C0), *C1 = malloc((size_t)M * N * sizeof *C1),
	      *C2 = malloc((size_t)M * N * sizeof *C2);
	ck_assert(A && B && C0 && C1 && C2);
	/* float32 values, not bf16: products are rounded too */
	for (size_t i = 0; i < (size_t)M * K; i++)
		A[i] = (float)((double)(next_u64() >> 11) / 9007199254740992.0 - 0.5);
	for (size_t i = 0; i < (size_t)K * N; i++)
		B[i] = (float)((double)(next_u64() >> 11) / 9007199254740992.0 - 0.5);
	for (size_t i = 0; i < (size_t)M * N; i++)
		C0[i] = C1[i] = C2[i] = (float)((double)(next_u64() >> 11) / 9007199254740992.0);
	hrm_set_threads(1);
	hrm_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C1, N);
	hrm_set_threads(2);
	hrm_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C2, N);
	if (strncmp(hrm_sgemm_backend(), "oneDNN", 6) == 0 && !(ta && tb))
		ck_assert_msg(memcmp(C1, C2, (size_t)M * N * sizeof *C1) == 0, "1 and 2 threads differ");
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0, abs = 0;
			for (int k = 0; k < K; k++) {
				double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
				double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
				s += a * b;
				abs += fabs(a * b);
			}
			s += beta * C0[(size_t)i * N + j];
			abs += fabs(beta * C0[(size_t)i * N + j]);
			double E = (K + 2) * ldexp(1.0, -24) * abs;
			for (int t = 0; t < 2; t++) {
				double got = (t ? C2 : C1)[(size_t)i * N + j];
				if (!(fabs(got - s) <= E))
					ck_abort_msg("%dx%dx%d ta %d tb %d beta %g, %d thread(s): C[%d][%d] = %a, exact "
						     "%a, bound %.3g", M, N, K, ta, tb, beta, t + 1, i, j, got, s, E);
			}
		}
	free(A);
	free(B);
	free(C0);
	free(C1);
	free(C2);
}
END_TEST

/* hrm_sgemm_small: one attention head's products, strided operands and C
 * (ld = 3 d as in qkv), alpha the score scale, every transposition the
 * backward uses, against exact sums; columns of C past N untouched.
 * M, N, K, ta, tb, lda, ldb, ldc, alpha x 4 */
static const int small_shapes[][9] = {
	{ 122, 122, 16, 0, 1, 192, 192, 122, 1 }, /* scores q k^T */
	{ 122, 16, 122, 0, 0, 122, 192, 64, 4 },  /* p v, dq = scale ds k */
	{ 122, 16, 122, 1, 0, 122, 64, 192, 4 },  /* dv = p^T do, dk = scale ds^T q */
	{ 30, 8, 30, 1, 0, 30, 8, 8, 4 },         /* compact: no copies */
};

START_TEST(test_sgemm_small)
{
	const int *g = small_shapes[_i];
	int M = g[0], N = g[1], K = g[2], ta = g[3], tb = g[4], lda = g[5], ldb = g[6], ldc = g[7];
	float alpha = 0.25f * (float)g[8];
	rng_state = 7000 + (uint64_t)_i;
	size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb;
	float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *C = malloc((size_t)M * ldc * sizeof *C);
	ck_assert(A && B && C);
	for (size_t i = 0; i < na; i++)
		A[i] = (float)((double)(next_u64() >> 11) / 9007199254740992.0 - 0.5);
	for (size_t i = 0; i < nb; i++)
		B[i] = (float)((double)(next_u64() >> 11) / 9007199254740992.0 - 0.5);
	for (size_t i = 0; i < (size_t)M * ldc; i++)
		C[i] = 12345.0f;
	hrm_sgemm_small(ta, tb, M, N, K, alpha, A, lda, B, ldb, C, ldc);
	for (int i = 0; i < M; i++) {
		for (int j = 0; j < N; j++) {
			double s = 0, abs = 0;
			for (int k = 0; k < K; k++) {
				double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
				double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
				s += a * b;
				abs += fabs(a * b);
			}
			double got = C[(size_t)i * ldc + j], E = (K + 2) * ldexp(1.0, -24) * abs * alpha;
			if (!(fabs(got - alpha * s) <= E))
				ck_abort_msg("%dx%dx%d ta %d tb %d: C[%d][%d] = %a, exact %a, bound %.3g", M, N, K, ta, tb, i,
					     j, got, alpha * s, E);
		}
		for (int j = N; j < ldc; j++)
			if (C[(size_t)i * ldc + j] != 12345.0f)
				ck_abort_msg("C[%d][%d] beyond N was written", i, j);
	}
	free(A);
	free(B);
	free(C);
}
END_TEST

/* HRMSCOPE_GEMM=openblas keeps every float32 product in OpenBLAS: read
 * once per process, so asked in a child of its own */
START_TEST(test_sgemm_env)
{
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		setenv("HRMSCOPE_GEMM", "openblas", 1);
		_exit(strcmp(hrm_sgemm_backend(), "OpenBLAS") == 0 ? 0 : 1);
	}
	int st;
	ck_assert(waitpid(pid, &st, 0) == pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "HRMSCOPE_GEMM=openblas did not select OpenBLAS");
	printf("float32 products: %s\n", hrm_sgemm_backend());
}
END_TEST

/* Weights that are not bf16 yet: bf16_mat_set rounds each to nearest even,
 * and each lands where its row and column say (identity inputs pick single
 * weights out: y[i][r] = W[r][i], one exact product). */
START_TEST(test_weights_rounded)
{
	int rows = 40, cols = 100;
	rng_state = 3000;
	float *W = malloc((size_t)rows * cols * sizeof *W), *x = calloc((size_t)cols * cols, sizeof *x);
	float *y = malloc((size_t)cols * rows * sizeof *y);
	ck_assert(W && x && y);
	for (int i = 0; i < rows * cols; i++) {
		uint32_t u = (uint32_t)next_u64();
		u = (u & 0x807fffffu) | (uint32_t)(120 + (u >> 23) % 12) << 23;
		if (i % 7 == 0)
			u = (u & 0xffff0000u) | 0x8000u; /* a tie */
		memcpy(&W[i], &u, sizeof u);
	}
	for (int i = 0; i < cols; i++)
		x[(size_t)i * cols + i] = 1.0f;
	struct bf16_mat *m = bf16_mat_new(rows, cols);
	ck_assert_ptr_nonnull(m);
	bf16_mat_set(m, W);
	hrm_set_threads(2);
	linear_bf16(y, x, m, cols);
	for (int i = 0; i < cols; i++)
		for (int r = 0; r < rows; r++)
			if (y[(size_t)i * rows + r] != bf16_to_f32(f32_to_bf16(W[(size_t)r * cols + i])))
				ck_abort_msg("W[%d][%d] = %a: got %a, want %a", r, i, W[(size_t)r * cols + i],
				      y[(size_t)i * rows + r], bf16_to_f32(f32_to_bf16(W[(size_t)r * cols + i])));
	/* set again with other values: the old ones are gone */
	for (int i = 0; i < rows * cols; i++)
		W[i] = -W[i];
	bf16_mat_set(m, W);
	linear_bf16(y, x, m, cols);
	for (int i = 0; i < cols; i++)
		for (int r = 0; r < rows; r++)
			if (y[(size_t)i * rows + r] != bf16_to_f32(f32_to_bf16(W[(size_t)r * cols + i])))
				ck_abort_msg("W[%d][%d] set again: got %a", r, i, y[(size_t)i * rows + r]);
	bf16_mat_free(m);
	free(W);
	free(x);
	free(y);
}
END_TEST

/* round_bf16 is f32_to_bf16 (torch's rounding) on every kind of value */
START_TEST(test_round_bf16)
{
	enum { N = 1 << 16 };
	static float v[N], w[N];
	static const uint32_t special[] = { 0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
					    0x7f800001u, 0xff812345u, 0x7f7fffffu, 0x00000001u, 0x00008000u,
					    0x00018000u, 0x3f808000u, 0x3f818000u, 0x3f807fffu, 0x3f808001u,
					    0x7f7f8000u, 0x807fffffu };
	rng_state = 4000;
	for (int i = 0; i < N; i++) {
		uint32_t u = i < (int)(sizeof special / sizeof *special) ? special[i] : (uint32_t)next_u64();
		if (i % 5 == 1)
			u = (u & 0xffff0000u) | 0x8000u;
		memcpy(&v[i], &u, sizeof u);
		w[i] = v[i];
	}
	round_bf16(w, N);
	for (int i = 0; i < N; i++) {
		uint32_t got, want = (uint32_t)f32_to_bf16(v[i]) << 16, in;
		memcpy(&got, &w[i], sizeof got);
		memcpy(&in, &v[i], sizeof in);
		if (got != want)
			ck_abort_msg("round_bf16(0x%08x) = 0x%08x, f32_to_bf16 gives 0x%08x", in, got, want);
	}
}
END_TEST

struct nested_job {
	const float *A, *B;
	float *C;
	int M, N, K;
};

/* two products at once, one per pool thread, as attention runs its heads */
static void nested_part(void *v, int t, int nth)
{
	const struct nested_job *j = v;
	(void)nth;
	gemm_bf16(1, j->M, j->N, j->K, j->A + (size_t)t * j->M * j->K, j->K, j->B, j->K,
		  j->C + (size_t)t * j->M * j->N, j->N);
}

START_TEST(test_concurrent_callers)
{
	int M = 200, N = 300, K = 64;
	rng_state = 5000;
	float *A = rand_matrix((size_t)2 * M * K), *B = rand_matrix((size_t)N * K);
	float *C = malloc((size_t)2 * M * N * sizeof *C), *R = malloc((size_t)2 * M * N * sizeof *R);
	ck_assert(C && R);
	hrm_set_threads(1);
	gemm_bf16(1, 2 * M, N, K, A, K, B, K, R, N);
	hrm_set_threads(2);
	struct nested_job j = { A, B, C, M, N, K };
	for (int rep = 0; rep < 20; rep++) {
		memset(C, 0, (size_t)2 * M * N * sizeof *C);
		hrm_par_run(2, nested_part, &j);
		if (same_at_any_threads() && memcmp(C, R, (size_t)2 * M * N * sizeof *C) != 0)
			ck_abort_msg("repetition %d differs from the product made whole", rep);
		if (rep == 0)
			check_gemm_out(1, 2 * M, N, K, A, K, B, K, C, N);
	}
	free(A);
	free(B);
	free(C);
	free(R);
}
END_TEST

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void nothing(void *ctx, int t, int nth)
{
	(void)ctx;
	(void)t;
	(void)nth;
}

/* --threads 2 is the caller and one pool worker (and OpenBLAS's own, started
 * by hrm_set_threads): the products add no thread, no OpenMP team beside
 * them (oneDNN is held at one thread on each caller). */
START_TEST(test_no_extra_threads)
{
	int n = 901, rows = 512, cols = 512;
	if (count_threads() < 0)
		return; /* no /proc */
	rng_state = 6000;
	float *x = rand_matrix((size_t)n * cols), *W = rand_matrix((size_t)rows * cols);
	float *y = malloc((size_t)n * n * sizeof *y);
	ck_assert_ptr_nonnull(y);
	struct bf16_mat *m = bf16_mat_new(rows, cols);
	ck_assert_ptr_nonnull(m);
	bf16_mat_set(m, W);
	hrm_set_threads(2);
	hrm_par_run(2, nothing, NULL);
	int before = count_threads();
	for (int rep = 0; rep < 5; rep++) {
		linear_bf16(y, x, m, n);
		gemm_bf16(1, n, n, 64, x, cols, x, cols, y, n); /* attention's scores */
	}
	int after = count_threads();
	ck_assert_msg(after == before, "%d threads before bf16 products at --threads 2, %d after (%s)", before, after,
		      bf16_backend());
	bf16_mat_free(m);
	free(x);
	free(W);
	free(y);
}
END_TEST

static Suite *gemm_bf16_suite(void)
{
	Suite *s = suite_create("gemm_bf16");
	TCase *tc = tcase_create("products");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_linear_exact, 0, 2 * (int)(sizeof linear_shapes / sizeof *linear_shapes));
	tcase_add_loop_test(tc, test_gemm_exact, 0, (int)(sizeof gemm_shapes / sizeof *gemm_shapes));
	tcase_add_loop_test(tc, test_gemm_ex, 0, (int)(sizeof gemm_ex_shapes / sizeof *gemm_ex_shapes));
	tcase_add_loop_test(tc, test_linear_grad, 0, (int)(sizeof grad_shapes / sizeof *grad_shapes));
	tcase_add_loop_test(tc, test_sgemm_f32, 0, (int)(sizeof sgemm_shapes / sizeof *sgemm_shapes));
	tcase_add_loop_test(tc, test_sgemm_small, 0, (int)(sizeof small_shapes / sizeof *small_shapes));
	tcase_add_test(tc, test_sgemm_env);
	tcase_add_test(tc, test_weights_rounded);
	tcase_add_test(tc, test_round_bf16);
	tcase_add_test(tc, test_concurrent_callers);
	tcase_add_test(tc, test_no_extra_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	printf("bf16 products: %s\n", bf16_backend());
	return test_main(gemm_bf16_suite(), "check_gemm_bf16");
}
