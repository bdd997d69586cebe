/* gemm_bf16.c - bf16 matrix products (gemm_bf16.h): oneDNN's bf16 matmul
 * when it is built in and the CPU has its kernels (onednn_matmul.h), else
 * hrm_sgemm on the bf16 values themselves.
 *
 * Threads: a product big enough is cut into row blocks (multiples of 16
 * rows), one per pool thread (core/parallel.h), as hrm_sgemm cuts its
 * products; each block converts its rows, runs oneDNN on its own thread and
 * rounds its outputs.  So --threads N (hrm_set_threads) is N threads here
 * too, read when the product starts; inside a pool region (attention's
 * per-head products) a product runs whole on its thread.  Row blocks change
 * no result: oneDNN's brgemm sums each row the same way whatever the rows
 * around it (checked by tests/check_gemm_bf16.c).
 *
 * Subnormals: AVX512-BF16's dot product flushes subnormal inputs and
 * results to zero (so does PyTorch's CPU bf16 path, which is oneDNN); the
 * sgemm path keeps them.  Model values never come near 2^-126. */
#include "model/gemm_bf16.h"
#include "model/onednn_matmul.h"
#include "model/ops.h"
#include "core/half.h"
#include "core/parallel.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Below this many flops a product runs on the caller: waking the pool
 * costs about what 20 us of bf16 products at 400 GFLOP/s would. */
#define BF16_SPLIT_MIN_FLOPS 8000000.0

struct bf16_mat {
	int rows, cols;
	float *f32; /* the sgemm path: W rounded to bf16, [rows][cols] */
#ifdef HAVE_ONEDNN
	struct onednn_weights *dnnl; /* the oneDNN path: packed bf16 */
#endif
};

const char *bf16_backend(void)
{
#ifdef HAVE_ONEDNN
	if (onednn_usable())
		return onednn_name();
	return "sgemm on bf16-rounded values (oneDNN has no bf16 kernels for this CPU)";
#else
	return "sgemm on bf16-rounded values";
#endif
}

/* the float32 value of bf16 bits */
static float bits_f32(uint16_t b)
{
	uint32_t u = (uint32_t)b << 16;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* n bf16 bits as float32 values, in a new buffer (the caller frees it):
 * for the paths that get bits where no oneDNN product takes them */
static float *floats_of_bits(const uint16_t *b, size_t n)
{
	float *f = xmalloc((n ? n : 1) * sizeof *f);
	for (size_t i = 0; i < n; i++)
		f[i] = bits_f32(b[i]);
	return f;
}

/* Round to nearest even, NaNs kept quiet: f32_to_bf16 (core/half.c) without
 * a branch, so that the loop vectorises. */
HRM_VECTORIZE
void round_bf16(float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &v[i], sizeof u);
		uint32_t rne = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
		uint32_t nan = (u | 0x00400000u) & 0xffff0000u;
		u = (u & 0x7fffffffu) > 0x7f800000u ? nan : rne;
		memcpy(&v[i], &u, sizeof u);
	}
}

struct round_job {
	float *v;
	size_t width;
	const float *add; /* NULL, or v = bf16(v + add) */
};

static void round_rows(void *ctx, size_t lo, size_t hi)
{
	const struct round_job *j = ctx;
	round_bf16(j->v + lo * j->width, (hi - lo) * j->width);
}

HRM_VECTORIZE
static void add_round_rows(void *ctx, size_t lo, size_t hi)
{
	const struct round_job *j = ctx;
	float *v = j->v + lo * j->width;
	const float *a = j->add + lo * j->width;
	size_t n = (hi - lo) * j->width;
	for (size_t i = 0; i < n; i++)
		v[i] += a[i];
	round_bf16(v, n);
}

/* elementwise over the pool in pieces of this many: big enough that a
 * piece costs more than handing it out */
#define ROUND_PIECE 4096

void round_bf16_pool(float *v, size_t n)
{
	size_t pieces = n / ROUND_PIECE;
	round_bf16(v + pieces * ROUND_PIECE, n - pieces * ROUND_PIECE);
	struct round_job rj = { v, ROUND_PIECE, NULL };
	if (pieces > 0)
		hrm_par_rows(pieces, ROUND_PIECE, round_rows, &rj);
}

void add_round_bf16_pool(float *v, const float *add, size_t n)
{
	size_t pieces = n / ROUND_PIECE, done = pieces * ROUND_PIECE;
	struct round_job tail = { v + done, n - done, add + done };
	if (n > done)
		add_round_rows(&tail, 0, 1);
	struct round_job rj = { v, ROUND_PIECE, add };
	if (pieces > 0)
		hrm_par_rows(pieces, ROUND_PIECE, add_round_rows, &rj);
}

/* ---- the prepared weights ---- */

struct bf16_mat *bf16_mat_new(int rows, int cols)
{
	if (rows < 1 || cols < 1)
		return NULL;
	struct bf16_mat *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->rows = rows;
	m->cols = cols;
#ifdef HAVE_ONEDNN
	if (onednn_usable()) {
		m->dnnl = onednn_weights_new(rows, cols);
		if (!m->dnnl) {
			free(m);
			return NULL;
		}
		return m;
	}
#endif
	m->f32 = calloc((size_t)rows * (size_t)cols, sizeof *m->f32);
	if (!m->f32) {
		free(m);
		return NULL;
	}
	return m;
}

void bf16_mat_set(struct bf16_mat *m, const float *W)
{
#ifdef HAVE_ONEDNN
	if (m->dnnl) {
		onednn_weights_set(m->dnnl, W);
		return;
	}
#endif
	size_t n = (size_t)m->rows * (size_t)m->cols;
	memcpy(m->f32, W, n * sizeof *W);
	round_bf16(m->f32, n);
}

void bf16_mat_free(struct bf16_mat *m)
{
	if (!m)
		return;
#ifdef HAVE_ONEDNN
	onednn_weights_free(m->dnnl);
#endif
	free(m->f32);
	free(m);
}

int bf16_mat_rows(const struct bf16_mat *m)
{
	return m->rows;
}

int bf16_mat_cols(const struct bf16_mat *m)
{
	return m->cols;
}

#ifdef HAVE_ONEDNN
/* ---- row blocks over the pool ---- */

/* how many row blocks a product of M rows and this many flops runs in */
static int row_blocks(int M, double flops)
{
	int nth = hrm_par_threads();
	int n16 = (M + 15) / 16;
	if (nth > n16)
		nth = n16;
	return flops < BF16_SPLIT_MIN_FLOPS ? 1 : nth;
}

/* rows [*lo, *hi) of block t of nth, cut at multiples of 16 */
static void block_rows(int M, int t, int nth, int *lo, int *hi)
{
	size_t a, b;
	hrm_par_range((size_t)(M + 15) / 16, t, nth, &a, &b);
	*lo = (int)(a * 16);
	*hi = (int)(b * 16) < M ? (int)(b * 16) : M;
}

/* bf16 bits of values that are bf16 already: the high halves, exactly */
HRM_VECTORIZE
static void to_bf16_bits(uint16_t *dst, const float *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &src[i], sizeof u);
		dst[i] = (uint16_t)(u >> 16);
	}
}

/* rows of src (leading dimension ld) as compact bf16 rows of width n */
static void rows_to_bf16(uint16_t *dst, const float *src, int ld, int rows, int n)
{
	for (int i = 0; i < rows; i++)
		to_bf16_bits(dst + (size_t)i * n, src + (size_t)i * ld, (size_t)n);
}

struct conv_job {
	uint16_t *dst;
	const float *src;
	int ld, n;
};

static void conv_rows(void *v, size_t lo, size_t hi)
{
	const struct conv_job *j = v;
	rows_to_bf16(j->dst + lo * (size_t)j->n, j->src + lo * (size_t)j->ld, j->ld, (int)(hi - lo), j->n);
}

struct linear_job {
	float *y;
	const float *x; /* NULL: xb holds the input's bits already */
	uint16_t *xb;
	const struct bf16_mat *W;
	int n, round;
};

/* Only when oneDNN cannot make a primitive (not seen): the same sums, one
 * at a time, so that an answer still comes; the input as float32 x, or
 * (x NULL) as the bits xb. */
static void linear_slow(float *y, const float *x, const uint16_t *xb, const struct bf16_mat *W, int n)
{
	for (int i = 0; i < n; i++)
		for (int r = 0; r < W->rows; r++) {
			float s = 0.0f;
			for (int c = 0; c < W->cols; c++) {
				size_t e = (size_t)i * W->cols + c;
				s += (x ? x[e] : bits_f32(xb[e])) * onednn_weights_get(W->dnnl, r, c);
			}
			y[(size_t)i * W->rows + r] = s;
		}
}

/* Rows per step inside a thread's block when the other operand (the
 * weights) stays in the core's cache: each step converts its input rows,
 * runs the product and rounds its output while they are still in cache,
 * instead of three passes over the whole block (at d = 64 those passes
 * cost more than the products).  Steps are multiples of 16 rows, so the
 * sums are the same (row blocks change no result).  0: one step, when the
 * other operand is large (re-reading it per step would cost more). */
#define STEP_OUT_BYTES 65536
#define STEP_MAX_OTHER_BYTES 262144

static int step_rows(int out_cols, size_t other_bytes)
{
	if (other_bytes > STEP_MAX_OTHER_BYTES)
		return 0;
	int r = STEP_OUT_BYTES / (out_cols * (int)sizeof(float)) / 16 * 16;
	return r < 32 ? 32 : r > 512 ? 512 : r;
}

static void linear_part(void *v, int t, int nth)
{
	const struct linear_job *j = v;
	int lo, hi, rows = j->W->rows, cols = j->W->cols;
	block_rows(j->n, t, nth, &lo, &hi);
	int step = step_rows(rows, (size_t)rows * cols * 2);
	for (int a = lo; a < hi; a += step > 0 ? step : hi - lo) {
		int b = step > 0 && a + step < hi ? a + step : hi;
		float *y = j->y + (size_t)a * rows;
		uint16_t *xb = j->xb + (size_t)a * cols;
		if (j->x != NULL)
			rows_to_bf16(xb, j->x + (size_t)a * cols, cols, b - a, cols);
		if (onednn_linear(y, xb, b - a, j->W->dnnl) != 0)
			linear_slow(y, NULL, xb, j->W, b - a);
		if (j->round)
			round_bf16(y, (size_t)(b - a) * rows);
	}
}

struct gemm_job {
	int tb, M, N, K, lda, ldb, ldc, round, a_ready; /* a_ready: Ab holds A already */
	const float *A, *B;
	float *C;
	uint16_t *Ab;
	const uint16_t *Bb;
	float *Cb; /* compact C when ldc != N (oneDNN's brgemm wants dense rows) */
};

static void gemm_rows(const struct gemm_job *j, int lo, int hi);

static void gemm_part(void *v, int t, int nth)
{
	const struct gemm_job *j = v;
	int lo, hi;
	block_rows(j->M, t, nth, &lo, &hi);
	int step = step_rows(j->N, (size_t)j->N * j->K * 2);
	for (int a = lo; a < hi; a += step > 0 ? step : hi - lo)
		gemm_rows(j, a, step > 0 && a + step < hi ? a + step : hi);
}

static void gemm_rows(const struct gemm_job *j, int lo, int hi)
{
	if (lo >= hi)
		return;
	int cnt = hi - lo;
	uint16_t *Ab = j->Ab + (size_t)lo * j->K;
	float *C = j->C + (size_t)lo * j->ldc;
	float *out = j->Cb ? j->Cb + (size_t)lo * j->N : C;
	const float *A = j->A + (size_t)lo * j->lda;
	if (!j->a_ready)
		rows_to_bf16(Ab, A, j->lda, cnt, j->K);
	if (onednn_gemm(0, j->tb, cnt, j->N, j->K, Ab, j->Bb, out) != 0) {
		hrm_sgemm(0, j->tb, cnt, j->N, j->K, 1.0f, A, j->lda, j->B, j->ldb, 0.0f, C, j->ldc);
		out = C;
	} else if (j->Cb) {
		for (int i = 0; i < cnt; i++)
			memcpy(C + (size_t)i * j->ldc, out + (size_t)i * j->N, (size_t)j->N * sizeof *C);
		out = C;
	}
	if (j->round)
		for (int i = 0; i < cnt; i++)
			round_bf16(C + (size_t)i * j->ldc, (size_t)j->N);
}

/* ---- A transposed: a weight gradient dy^T x, K the batch's rows ---- */

/* K (thousands of rows, M and N tens to hundreds) is cut into chunks of
 * this many: chunk c is rows [c KC, (c + 1) KC) of both operands, plain
 * compact blocks (oneDNN's brgemm reads the transposed A chunk with its
 * own copy kernel, at the speed of a plain one: 130-320 GFLOP/s for the
 * d = 64 model's shapes on one thread), each chunk's product lands in its
 * own partial sum, and the partials are added in chunk order.  The chunks,
 * not the threads, fix the order of the sums: the answer is the same on
 * any number of threads. */
#define KC 512

struct gemm_t_job {
	int tb, M, N, K, nk;
	const uint16_t *Ab, *Bb; /* A [K][M], B [K][N] (or [N][K] when tb), bf16 */
	int b_ready;             /* Bb holds B's bits already (compact [K][N]) */
	float *P;                /* nk partials [M][N] */
	const float *A, *B;      /* the float32 operands, for the fallback */
	int lda, ldb;
	float *C;
	int ldc, round;
	int failed[HRM_PAR_MAX];
};

static void gemm_t_part(void *v, int t, int nth)
{
	struct gemm_t_job *j = v;
	size_t lo, hi;
	hrm_par_range((size_t)j->nk, t, nth, &lo, &hi);
	for (size_t c = lo; c < hi; c++) {
		int k0 = (int)c * KC, kc = j->K - k0 < KC ? j->K - k0 : KC;
		const uint16_t *B = j->Bb + (j->tb ? (size_t)k0 : (size_t)k0 * j->N);
		float *P = j->P + c * (size_t)j->M * j->N;
		if (j->tb) {
			/* B [N][K] read transposed: a chunk of it is not compact */
			j->failed[t] = 1;
			return;
		}
		/* the chunk's rows of both operands converted here, where
		 * the product reads them next (in cache) */
		rows_to_bf16((uint16_t *)j->Ab + (size_t)k0 * j->M, j->A + (size_t)k0 * j->lda, j->lda, kc, j->M);
		if (!j->b_ready)
			rows_to_bf16((uint16_t *)B, j->B + (size_t)k0 * j->ldb, j->ldb, kc, j->N);
		if (onednn_gemm(1, 0, j->M, j->N, kc, j->Ab + (size_t)k0 * j->M, B, P) != 0) {
			j->failed[t] = 1;
			return;
		}
	}
}

static void gemm_t_sum(void *v, size_t lo, size_t hi)
{
	const struct gemm_t_job *j = v;
	size_t mn = (size_t)j->M * j->N;
	for (size_t i = lo; i < hi; i++) {
		float *c = j->C + i * j->ldc;
		const float *p = j->P + i * j->N;
		memcpy(c, p, (size_t)j->N * sizeof *c);
		for (int k = 1; k < j->nk; k++)
			for (int n = 0; n < j->N; n++)
				c[n] += p[k * mn + n];
		if (j->round)
			round_bf16(c, (size_t)j->N);
	}
}

/* 0, or -1 (C untouched) when oneDNN could not run it; bbits: B's bits
 * (compact [K][N]), or NULL to convert B */
static int gemm_t(int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
		  const uint16_t *bbits, float *C, int ldc, int round)
{
	if (tb)
		return -1;
	struct gemm_t_job j = { tb, M, N, K, (K + KC - 1) / KC, NULL, NULL, bbits != NULL, NULL, A, B, lda, ldb, C, ldc,
				round, { 0 } };
	uint16_t *Ab = onednn_scratch(0, (size_t)M * K * sizeof *Ab);
	uint16_t *Bb = bbits ? (uint16_t *)bbits : onednn_scratch(1, (size_t)K * N * sizeof *Bb);
	float *P = onednn_scratch(2, (size_t)j.nk * M * N * sizeof *P);
	if (!Ab || !Bb || !P)
		return -1;
	j.Ab = Ab;
	j.Bb = Bb;
	j.P = P;
	int nth = hrm_par_threads();
	if (nth > j.nk)
		nth = j.nk;
	if (2.0 * M * N * K < BF16_SPLIT_MIN_FLOPS)
		nth = 1;
	if (nth <= 1)
		gemm_t_part(&j, 0, 1);
	else
		hrm_par_run(nth, gemm_t_part, &j);
	for (int t = 0; t < HRM_PAR_MAX; t++)
		if (j.failed[t])
			return -1;
	hrm_par_rows((size_t)M, (size_t)N * (size_t)j.nk, gemm_t_sum, &j);
	return 0;
}

static void run_blocks(int M, double flops, hrm_par_fn fn, void *job)
{
	int nth = row_blocks(M, flops);
	if (nth <= 1)
		fn(job, 0, 1);
	else
		hrm_par_run(nth, fn, job);
}

/* a linear over the pool in row blocks; x NULL: xb holds its bits already,
 * else each block converts its rows of x into xb */
static void linear_blocks(float *y, const float *x, uint16_t *xb, const struct bf16_mat *W, int n, int round)
{
	struct linear_job j = { y, x, xb, W, n, round };
	run_blocks(n, 2.0 * n * W->rows * W->cols, linear_part, &j);
}
#endif

/* ---- operands as bf16 bits ---- */

int bf16_bits_usable(void)
{
#ifdef HAVE_ONEDNN
	return onednn_usable();
#else
	return 0;
#endif
}

void bf16_bits_from(uint16_t *dst, const float *src, size_t n)
{
#ifdef HAVE_ONEDNN
	to_bf16_bits(dst, src, n);
#else
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &src[i], sizeof u);
		dst[i] = (uint16_t)(u >> 16);
	}
#endif
}

void gemm_bf16_bits(int tb, int M, int N, int K, const uint16_t *A, const uint16_t *B, float *C)
{
#ifdef HAVE_ONEDNN
	if (onednn_usable() && onednn_gemm(0, tb, M, N, K, A, B, C) == 0)
		return;
#endif
	/* no primitive (not seen): the same sums, one at a time */
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float s = 0.0f;
			for (int k = 0; k < K; k++)
				s += bits_f32(A[(size_t)i * K + k]) *
				     bits_f32(tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j]);
			C[(size_t)i * N + j] = s;
		}
}

void *bf16_scratch(int i, size_t bytes)
{
#ifdef HAVE_ONEDNN
	if (i >= 0 && i < 3 && onednn_usable())
		return onednn_scratch(7 + i, bytes);
#endif
	(void)i;
	(void)bytes;
	return NULL;
}

/* ---- the products ---- */

void linear_bf16(float *y, const float *x, const struct bf16_mat *W, int n)
{
	linear_bf16_ex(y, x, W, n, 1);
}

void linear_bf16_ex(float *y, const float *x, const struct bf16_mat *W, int n, int round)
{
	if (n <= 0)
		return;
	int rows = W->rows, cols = W->cols;
#ifdef HAVE_ONEDNN
	if (W->dnnl) {
		/* the caller's buffer, each block converting its own rows into it */
		uint16_t *xb = onednn_scratch(0, (size_t)n * cols * sizeof *xb);
		if (!xb) {
			linear_slow(y, x, NULL, W, n);
			if (round)
				round_bf16(y, (size_t)n * rows);
			return;
		}
		linear_blocks(y, x, xb, W, n, round);
		return;
	}
#endif
	hrm_sgemm(0, 1, n, rows, cols, 1.0f, x, cols, W->f32, cols, 0.0f, y, rows);
	if (!round)
		return;
	struct round_job rj = { y, (size_t)rows, NULL };
	hrm_par_rows((size_t)n, (size_t)rows, round_rows, &rj);
}

void linear_bf16_keep(float *y, const float *x, uint16_t *xb, const struct bf16_mat *W, int n, int round)
{
	if (n <= 0)
		return;
	if (xb == NULL) {
		linear_bf16_ex(y, x, W, n, round);
		return;
	}
#ifdef HAVE_ONEDNN
	if (W->dnnl) {
		linear_blocks(y, x, xb, W, n, round);
		return;
	}
#endif
	bf16_bits_from(xb, x, (size_t)n * W->cols);
	linear_bf16_ex(y, x, W, n, round);
}

void linear_bf16_bits_ex(float *y, const uint16_t *xb, const struct bf16_mat *W, int n, int round)
{
	if (n <= 0)
		return;
#ifdef HAVE_ONEDNN
	if (W->dnnl) {
		linear_blocks(y, NULL, (uint16_t *)xb, W, n, round);
		return;
	}
#endif
	/* not reached while bf16_bits_usable() (the oneDNN weights); an
	 * answer all the same: the values back in float32 */
	float *x = floats_of_bits(xb, (size_t)n * W->cols);
	linear_bf16_ex(y, x, W, n, round);
	free(x);
}

/* gemm_bf16_ex; a_ready: this thread's onednn_scratch(0) holds A as
 * compact bf16 bits already (!ta, lda == K); bbits (ta, !tb only): B's
 * bits, compact [K][N], B itself then may be NULL.  1 when the product ran
 * in oneDNN (for ta: its scratch 0 then holds A [K][M] as compact bits). */
static int gemm_ex(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
		   const uint16_t *bbits, float *C, int ldc, int round, int a_ready)
{
	if (M <= 0 || N <= 0)
		return 0;
	if (K <= 0) {
		for (int i = 0; i < M; i++)
			memset(C + (size_t)i * ldc, 0, (size_t)N * sizeof *C);
		return 0;
	}
#ifdef HAVE_ONEDNN
	if (ta && onednn_usable() && gemm_t(tb, M, N, K, A, lda, B, ldb, bbits, C, ldc, round) == 0)
		return lda == M;
	if (!ta && onednn_usable()) {
		uint16_t *Ab = onednn_scratch(0, (size_t)M * K * sizeof *Ab);
		uint16_t *Bb = onednn_scratch(1, (size_t)K * N * sizeof *Bb);
		float *Cb = ldc != N ? onednn_scratch(2, (size_t)M * N * sizeof *Cb) : NULL;
		if (Ab && Bb && (ldc == N || Cb)) {
			/* B once, before the blocks: every block reads all of it
			 * (over the pool when it is large: a backward's B is
			 * the saved activations, thousands of rows) */
			struct conv_job cj = { Bb, B, ldb, tb ? K : N };
			int brows = tb ? N : K;
			if (hrm_par_threads() > 1 && (size_t)brows * cj.n >= 65536)
				hrm_par_rows((size_t)brows, (size_t)cj.n, conv_rows, &cj);
			else
				rows_to_bf16(Bb, B, ldb, brows, cj.n);
			struct gemm_job j = { tb, M, N, K, lda, ldb, ldc, round, a_ready && lda == K, A, B, C, Ab, Bb, Cb };
			run_blocks(M, 2.0 * M * N * K, gemm_part, &j);
			return 1;
		}
	}
#endif
	(void)a_ready;
	float *bf = NULL;
	if (B == NULL) {
		/* only bits given, and no oneDNN product (not seen): B back in
		 * float32 ([K][N], bbits' layout) */
		bf = floats_of_bits(bbits, (size_t)K * N);
		B = bf;
		ldb = N;
	}
	hrm_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
	free(bf);
	if (round)
		for (int i = 0; i < M; i++)
			round_bf16(C + (size_t)i * ldc, (size_t)N);
	return 0;
}

void gemm_bf16_ex(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
		  int ldc, int round)
{
	gemm_ex(ta, tb, M, N, K, A, lda, B, ldb, NULL, C, ldc, round, 0);
}

void linear_grad_bf16(float *dx, float *dWp, const float *dy, const float *x, const float *W, int n, int in,
		      int out)
{
	linear_grad_bf16_ex(dx, dWp, dy, x, NULL, W, n, in, out);
}

void linear_grad_bf16_ex(float *dx, float *dWp, const float *dy, const float *x, const uint16_t *xb,
			 const float *W, int n, int in, int out)
{
	/* the weight gradient first: its chunks leave dy [n][out] converted
	 * in this thread's scratch 0, where the dx product reads its A */
	int ready = 0;
	if (dWp != NULL)
		ready = gemm_ex(1, 0, out, in, n, dy, out, x, in, xb, dWp, in, 0, 0);
	if (dx != NULL)
		gemm_ex(0, 0, n, in, out, dy, out, W, in, NULL, dx, in, 1, ready);
}

void gemm_bf16(int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
	gemm_bf16_ex(0, tb, M, N, K, A, lda, B, ldb, C, ldc, 0);
}
