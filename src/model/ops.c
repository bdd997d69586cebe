/* ops.c - forward ops of the HRM block. */
#include "model/ops.h"
#include "model/ops_rows.h"
#include "core/half.h"
#include "core/parallel.h"

#ifdef HAVE_ONEDNN
#include "model/onednn_matmul.h"
#endif

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Below this many flops a product runs as one sgemm call (OpenBLAS threads
 * it or not as it sees fit); above, it is split into one column or row
 * block per pool thread, each a single-threaded sgemm. */
#define GEMM_SPLIT_MIN_FLOPS 4000000.0

struct gemm_job {
	int ta, tb, M, N, K;
	float alpha, beta;
	const float *A, *B;
	float *C;
	int lda, ldb, ldc;
	int by_cols;
};

/* block t of nth: the rows or columns [lo, hi) of C, cut at multiples of 16 */
static void gemm_part(void *v, int t, int nth)
{
	const struct gemm_job *j = v;
	size_t n16 = (size_t)((j->by_cols ? j->N : j->M) + 15) / 16, lo, hi;
	hrm_par_range(n16, t, nth, &lo, &hi);
	lo *= 16;
	hi *= 16;
	size_t lim = (size_t)(j->by_cols ? j->N : j->M);
	if (hi > lim)
		hi = lim;
	if (lo >= hi)
		return;
	int cnt = (int)(hi - lo);
	if (j->by_cols) {
		const float *B = j->tb ? j->B + lo * j->ldb : j->B + lo;
		cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans,
			    j->M, cnt, j->K, j->alpha, j->A, j->lda, B, j->ldb, j->beta, j->C + lo, j->ldc);
	} else {
		const float *A = j->ta ? j->A + lo : j->A + lo * j->lda;
		cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans,
			    cnt, j->N, j->K, j->alpha, A, j->lda, j->B, j->ldb, j->beta, j->C + lo * j->ldc, j->ldc);
	}
}

static void gemm_whole(void *v, int t, int nth)
{
	const struct gemm_job *j = v;
	(void)t;
	(void)nth;
	cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans,
		    j->M, j->N, j->K, j->alpha, j->A, j->lda, j->B, j->ldb, j->beta, j->C, j->ldc);
}

/* ---- float32 products in oneDNN ----
 *
 * OpenBLAS 0.3.21 runs its Haswell (AVX2) kernel on the AVX-512 CPUs it
 * does not know; oneDNN's brgemm kernels use AVX-512.  Measured on one
 * thread of an AVX-512 (Zen 5) core, GFLOP/s, the d = 64 model's training
 * products (half of B*T = 3904 rows: one row block of two threads), the
 * median of 7 samples in each of three runs (OpenBLAS / oneDNN):
 *
 *   forward x W^T  1952x192x64 22/180  1952x64x64 33/186  1952x512x64 22/172
 *                  1952x64x256 36/183  3904x6x64 (lm head) 19/26
 *   backward dy W  1952x64x64 32/189   1952x64x192 34/176  1952x64x512 34/56-148
 *                  1952x256x64 37/152  1952x64x6 27/150
 *   dW = dy^T x    64x64x3904 32/151   192x64x3904 35/85   512x64x3904 33/101
 *                  64x256x3904 29/121
 *
 * oneDNN won every one, by 1.3x (lm head) to 9x, so the rule is the
 * layouts it takes whole: A plain (ta = 0) with K <= 512, or A transposed
 * (a weight gradient, K the batch's rows) with M N <= 512 x 512; compact
 * operands, alpha 1, beta 0 (beta 1 too when ta).  The rest (strided
 * layouts, and anything bigger, not measured) stays in OpenBLAS; the
 * attention's small strided per-head products go to oneDNN on compact
 * copies (hrm_sgemm_small: 122x122x16 and 122x16x122 measured 30 / 146
 * and 30 / 145-158).  HRMSCOPE_GEMM=openblas in the environment keeps
 * every float32 product in OpenBLAS (a baseline for the benchmarks).
 *
 * Threads as in gemm_bf16.c: rows of C cut at multiples of 16 over the
 * pool, each block one oneDNN call on its thread; a transposed A is cut
 * along K into fixed chunks whose partial sums are added in chunk order,
 * so no answer depends on the number of threads. */

static pthread_once_t gemm_env_once = PTHREAD_ONCE_INIT;
static int gemm_openblas_only;

static void gemm_env(void)
{
	const char *e = getenv("HRMSCOPE_GEMM");
	gemm_openblas_only = e != NULL && strcmp(e, "openblas") == 0;
}

const char *hrm_sgemm_backend(void)
{
	pthread_once(&gemm_env_once, gemm_env);
#ifdef HAVE_ONEDNN
	if (!gemm_openblas_only && onednn_f32_usable())
		return "oneDNN brgemm where it wins, else OpenBLAS";
#endif
	return "OpenBLAS";
}

#ifdef HAVE_ONEDNN
#define SGEMM_KC 512

static int dnnl_plain(int ta, int tb, int M, int N, int K, float alpha, int lda, int ldb, float beta, int ldc)
{
	if (alpha != 1.0f || ldc != N || M < 1 || N < 1 || K < 1)
		return 0;
	if (!ta)
		return beta == 0.0f && K <= 512 && lda == K && ldb == (tb ? K : N);
	return (beta == 0.0f || beta == 1.0f) && !tb && (size_t)M * N <= 512 * 512 && lda == M && ldb == N;
}

static void dnnl_rows(void *v, int t, int nth)
{
	const struct gemm_job *j = v;
	size_t lo, hi;
	hrm_par_range((size_t)(j->M + 15) / 16, t, nth, &lo, &hi);
	lo *= 16;
	hi = hi * 16 < (size_t)j->M ? hi * 16 : (size_t)j->M;
	if (lo >= hi)
		return;
	int cnt = (int)(hi - lo);
	const float *A = j->A + lo * j->lda;
	float *C = j->C + lo * j->ldc;
	if (onednn_sgemm(0, j->tb, cnt, j->N, j->K, A, j->B, C) != 0)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, cnt, j->N, j->K, 1.0f, A,
			    j->lda, j->B, j->ldb, 0.0f, C, j->ldc);
}

struct dnnl_t_job {
	const struct gemm_job *g;
	float *P; /* nk partials [M][N] */
	int nk;
	int failed[HRM_PAR_MAX];
};

static void dnnl_t_part(void *v, int t, int nth)
{
	struct dnnl_t_job *j = v;
	const struct gemm_job *g = j->g;
	size_t lo, hi;
	hrm_par_range((size_t)j->nk, t, nth, &lo, &hi);
	for (size_t c = lo; c < hi && !j->failed[t]; c++) {
		int k0 = (int)c * SGEMM_KC, kc = g->K - k0 < SGEMM_KC ? g->K - k0 : SGEMM_KC;
		if (onednn_sgemm(1, 0, g->M, g->N, kc, g->A + (size_t)k0 * g->M, g->B + (size_t)k0 * g->N,
				 j->P + c * (size_t)g->M * g->N) != 0)
			j->failed[t] = 1;
	}
}

static void dnnl_t_sum(void *v, size_t lo, size_t hi)
{
	const struct dnnl_t_job *j = v;
	const struct gemm_job *g = j->g;
	size_t mn = (size_t)g->M * g->N, n = (size_t)g->N;
	for (size_t i = lo; i < hi; i++) {
		const float *p = j->P + i * n;
		float *c = g->C + i * n;
		for (size_t x = 0; x < n; x++) {
			float s = p[x];
			for (int k = 1; k < j->nk; k++)
				s += p[k * mn + x];
			c[x] = g->beta == 0.0f ? s : c[x] + s;
		}
	}
}

/* 0 when oneDNN computed C, -1 (C untouched) when it did not */
static int dnnl_gemm(const struct gemm_job *j)
{
	double flops = 2.0 * j->M * j->N * j->K;
	int nth = hrm_par_threads();
	if (!j->ta) {
		size_t blocks = (size_t)(j->M + 15) / 16;
		if ((size_t)nth > blocks)
			nth = (int)blocks;
		if (nth <= 1 || flops < GEMM_SPLIT_MIN_FLOPS)
			dnnl_rows((void *)j, 0, 1);
		else
			hrm_par_run(nth, dnnl_rows, (void *)j);
		return 0;
	}
	struct dnnl_t_job tj = { j, NULL, (j->K + SGEMM_KC - 1) / SGEMM_KC, { 0 } };
	tj.P = onednn_scratch(3, (size_t)tj.nk * j->M * j->N * sizeof(float));
	if (tj.P == NULL)
		return -1;
	if (nth > tj.nk)
		nth = tj.nk;
	if (nth <= 1 || flops < GEMM_SPLIT_MIN_FLOPS)
		dnnl_t_part(&tj, 0, 1);
	else
		hrm_par_run(nth, dnnl_t_part, &tj);
	for (int t = 0; t < HRM_PAR_MAX; t++)
		if (tj.failed[t])
			return -1;
	hrm_par_rows((size_t)j->M, (size_t)j->N * (size_t)tj.nk, dnnl_t_sum, &tj);
	return 0;
}
#endif

#ifdef HAVE_ONEDNN
/* rows x cols of src (leading dimension ld) into compact dst */
static void pack(float *dst, const float *src, int ld, int rows, int cols)
{
	for (int i = 0; i < rows; i++)
		memcpy(dst + (size_t)i * cols, src + (size_t)i * ld, (size_t)cols * sizeof *dst);
}
#endif

const float *attn_head_compact(int which, const float *src, int ld, int T, int hd)
{
#ifdef HAVE_ONEDNN
	pthread_once(&gemm_env_once, gemm_env);
	if (gemm_openblas_only || !onednn_f32_usable() || which < 0 || which > 3)
		return NULL;
	float *dst = onednn_scratch(10 + which, (size_t)T * hd * sizeof *dst);
	if (dst != NULL)
		pack(dst, src, ld, T, hd);
	return dst;
#else
	(void)which, (void)src, (void)ld, (void)T, (void)hd;
	return NULL;
#endif
}

void hrm_sgemm_small(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
		     int ldb, float *C, int ldc)
{
#ifdef HAVE_ONEDNN
	pthread_once(&gemm_env_once, gemm_env);
	if (!gemm_openblas_only && M > 0 && N > 0 && K > 0 && onednn_f32_usable()) {
		int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
		float *Ap = lda == ac ? (float *)A : onednn_scratch(4, (size_t)ar * ac * sizeof *Ap);
		float *Bp = ldb == bc ? (float *)B : onednn_scratch(5, (size_t)br * bc * sizeof *Bp);
		int direct = ldc == N && alpha == 1.0f;
		float *Cp = direct ? C : onednn_scratch(6, (size_t)M * N * sizeof *Cp);
		if (Ap && Bp && Cp) {
			if (Ap != A)
				pack(Ap, A, lda, ar, ac);
			if (Bp != B)
				pack(Bp, B, ldb, br, bc);
			if (onednn_sgemm(ta, tb, M, N, K, Ap, Bp, Cp) == 0) {
				if (!direct)
					for (int i = 0; i < M; i++)
						for (int j = 0; j < N; j++)
							C[(size_t)i * ldc + j] = alpha * Cp[(size_t)i * N + j];
				return;
			}
		}
	}
#endif
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
		    lda, B, ldb, 0.0f, C, ldc);
}

void hrm_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
	       float beta, float *C, int ldc)
{
#ifdef HAVE_ONEDNN
	pthread_once(&gemm_env_once, gemm_env);
	if (!gemm_openblas_only && dnnl_plain(ta, tb, M, N, K, alpha, lda, ldb, beta, ldc) && onednn_f32_usable()) {
		struct gemm_job dj = { ta, tb, M, N, K, alpha, beta, A, B, C, lda, ldb, ldc, 0 };
		if (dnnl_gemm(&dj) == 0)
			return;
	}
#endif
	struct gemm_job j = { ta, tb, M, N, K, alpha, beta, A, B, C, lda, ldb, ldc, M < N };
	int nth = hrm_par_threads();
	size_t blocks = (size_t)((j.by_cols ? N : M) + 15) / 16;
	if ((size_t)nth > blocks)
		nth = (int)blocks;
	if (nth <= 1 || 2.0 * M * N * K < GEMM_SPLIT_MIN_FLOPS) {
		j.by_cols = 0;
		hrm_par_single(gemm_whole, &j);
		return;
	}
	hrm_par_run(nth, gemm_part, &j);
}

void linear_forward(float *y, const float *x, const float *W, int n, int in, int out)
{
	hrm_sgemm(0, 1, n, out, in, 1.0f, x, in, W, in, 0.0f, y, out);
}

struct rmsnorm_job {
	float *x;
	const float *r;
	float *inv;
	int d;
	float eps;
};

HRM_VECTORIZE
static void rmsnorm_rows(void *v, size_t lo, size_t hi)
{
	const struct rmsnorm_job *jb = v;
	int d = jb->d;
	for (size_t i = lo; i < hi; i++) {
		float *row = jb->x + i * d;
		const float *rr = jb->r + i * d;
		for (int j = 0; j < d; j++)
			row[j] += rr[j];
		float inv = rms_inv_row(row, d, jb->eps);
		if (jb->inv != NULL)
			jb->inv[i] = inv;
		for (int j = 0; j < d; j++)
			row[j] *= inv;
	}
}

void add_rmsnorm_forward_inv(float *x, const float *r, float *inv, int n, int d, float eps)
{
	struct rmsnorm_job jb = { x, r, inv, d, eps };
	hrm_par_rows((size_t)n, (size_t)d * 4, rmsnorm_rows, &jb);
}

void add_rmsnorm_forward(float *x, const float *r, int n, int d, float eps)
{
	add_rmsnorm_forward_inv(x, r, NULL, n, d, eps);
}

void rope_tables(float *cos_t, float *sin_t, int T, int hd, double theta)
{
	int half = hd / 2;
	for (int i = 0; i < half; i++) {
		/* inv_freq = 1 / theta^(2i/hd), evaluated in float32 like torch.arange/float */
		float expo = (float)(2 * i) / (float)hd;
		float inv = 1.0f / powf((float)theta, expo);
		for (int t = 0; t < T; t++) {
			float a = (float)t * inv;
			float c = cosf(a), s = sinf(a);
			cos_t[(size_t)t * hd + i] = c;
			cos_t[(size_t)t * hd + i + half] = c;
			sin_t[(size_t)t * hd + i] = s;
			sin_t[(size_t)t * hd + i + half] = s;
		}
	}
}

/* inlined into rope_rows' clones (ROWS_INLINE), where it vectorises (the
 * restrict tells GCC that writing v leaves c and s alone: without it the
 * loop stayed scalar) */
ROWS_INLINE void rope_vec_in(float *restrict v, const float *restrict c, const float *restrict s, int hd)
{
	int half = hd / 2;
	for (int i = 0; i < half; i++) {
		float a = v[i], b = v[i + half];
		/* v*cos + rotate_half(v)*sin, rotate_half(v) = [-v2, v1] */
		v[i] = a * c[i] - b * s[i];
		v[i + half] = b * c[i + half] + a * s[i + half];
	}
}

struct rope_job {
	float *qkv;
	const float *cos_t, *sin_t;
	int T, heads, hd;
	rope_vec_fn vec;
	int round;
};

static void rope_vec(float *v, const float *c, const float *s, int hd)
{
	rope_vec_in(v, c, s, hd);
}

HRM_VECTORIZE
static void rope_rows(void *v, size_t lo, size_t hi)
{
	const struct rope_job *jb = v;
	int d = jb->heads * jb->hd;
	for (size_t i = lo; i < hi; i++) {
		float *row = jb->qkv + i * 3 * d;
		size_t t = i % (size_t)jb->T;
		const float *c = jb->cos_t + t * jb->hd, *s = jb->sin_t + t * jb->hd;
		if (jb->round == 2)
			for (int k = 0; k < 3 * d; k++)
				row[k] = bf16_round(row[k]);
		for (int h = 0; h < 2 * jb->heads; h++) { /* q heads then k heads */
			if (jb->vec == rope_vec)
				rope_vec_in(row + (size_t)h * jb->hd, c, s, jb->hd);
			else
				jb->vec(row + (size_t)h * jb->hd, c, s, jb->hd);
		}
		if (jb->round) /* core/half.h's rounding: gemm_bf16 calls this file */
			for (int k = 0; k < 2 * d; k++)
				row[k] = bf16_round(row[k]);
	}
}

void rope_apply_ex(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd,
		   rope_vec_fn vec, int round)
{
	struct rope_job jb = { qkv, cos_t, sin_t, T, heads, hd, vec, round };
	hrm_par_rows((size_t)B * T, (size_t)heads * hd * 3, rope_rows, &jb);
}

void rope_apply(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd,
		rope_vec_fn vec)
{
	rope_apply_ex(qkv, cos_t, sin_t, B, T, heads, hd, vec, 0);
}

void rope_forward_ex(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd, int round)
{
	rope_apply_ex(qkv, cos_t, sin_t, B, T, heads, hd, rope_vec, round);
}

void rope_forward(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd)
{
	rope_forward_ex(qkv, cos_t, sin_t, B, T, heads, hd, 0);
}

void softmax_rows_scaled(float *m, int rows, int cols, float scale)
{
	softmax_rows_stats(m, rows, cols, scale, NULL);
}

HRM_VECTORIZE
void softmax_rows_stats(float *m, int rows, int cols, float scale, float *stats)
{
	EXP_F32_BOUNDS(elo, ehi);
	/* four rows at a time: the exponentials of each, a loop that
	 * vectorises whole (16 lanes where the CPU has them; with the sum in
	 * it GCC kept to the 8 of the accumulators), then their sums in 8
	 * lanes side by side (row_sums8: the same bits as one loop doing
	 * both, row by row), while the four rows stay in L1.  The scale is
	 * applied on the fly: max(s) * scale is max(s * scale) (rounding is
	 * monotonic, scale > 0), and s * scale is the same product wherever
	 * it is taken, so this is the softmax of the scaled rows, bit for bit */
	for (int i0 = 0; i0 < rows; i0 += 4) {
		int nb = rows - i0 < 4 ? rows - i0 : 4;
		float *rb = m + (size_t)i0 * cols, sum[4], mx[4];
		for (int b = 0; b < nb; b++) {
			float *r = rb + (size_t)b * cols;
			mx[b] = row_max(r, cols) * scale;
			for (int j = 0; j < cols; j++)
				r[j] = exp_f32_in(r[j] * scale - mx[b], elo, ehi);
		}
		row_sums8(rb, (size_t)cols, nb, cols, sum);
		for (int b = 0; b < nb; b++) {
			float *r = rb + (size_t)b * cols, inv = 1.0f / sum[b];
			for (int j = 0; j < cols; j++)
				r[j] *= inv;
			if (stats != NULL) {
				stats[2 * (i0 + b)] = mx[b];
				stats[2 * (i0 + b) + 1] = inv;
			}
		}
	}
}

HRM_VECTORIZE
void softmax_rows_from_stats(float *m, int rows, int cols, float scale, const float *stats)
{
	EXP_F32_BOUNDS(elo, ehi);
	/* the exponential and the product by 1/sum are the same two float32
	 * roundings as in softmax_rows_stats, in one pass */
	for (int i = 0; i < rows; i++) {
		float *r = m + (size_t)i * cols, mx = stats[2 * i], inv = stats[2 * i + 1];
		for (int j = 0; j < cols; j++)
			r[j] = exp_f32_in(r[j] * scale - mx, elo, ehi) * inv;
	}
}

void softmax_rows(float *m, int rows, int cols)
{
	softmax_rows_scaled(m, rows, cols, 1.0f);
}

/* Query rows per attention tile: a tile of scores (rows x T floats) stays in
 * the core's cache from the Q K^T product through the softmax to P V. */
#define ATTN_TILE_ROWS 128

int attn_tile_rows(int T)
{
	return T <= 2 * ATTN_TILE_ROWS ? T : ATTN_TILE_ROWS;
}

size_t attention_scratch_floats(int T)
{
	size_t tile = (size_t)attn_tile_rows(T) * T, all = (size_t)T * T;
	return tile * HRM_PAR_MAX > all ? tile * HRM_PAR_MAX : all;
}

void attention_probs_tile(float *S, const float *q, int ldq, const float *k, int ldk, int nr, int T, int hd,
			  float *stats_out, const float *stats_in)
{
	/* the scores unscaled, straight into S (with the scale in the
	 * product, hrm_sgemm_small wrote them to its scratch and copied them
	 * over, multiplied); the softmax scales them */
	hrm_sgemm_small(0, 1, nr, T, hd, 1.0f, q, ldq, k, ldk, S, T);
	float scale = 1.0f / sqrtf((float)hd);
	if (stats_in != NULL)
		softmax_rows_from_stats(S, nr, T, scale, stats_in);
	else
		softmax_rows_stats(S, nr, T, scale, stats_out);
}

struct attn_job {
	float *out;
	const float *qkv;
	float *probs;   /* NULL: tiles in scratch */
	float *scratch; /* one tile per thread */
	float *stats;   /* NULL, or each row's softmax statistics ([B][heads][T][2]) */
	int B, T, heads, hd, rows, nblk;
};

/* Tasks are (batch row, head, tile of query rows), in that order, split in
 * contiguous runs: each thread mostly keeps one head's K and V, compact
 * (attn_head_compact) from its first tile of the head to its last. */
static void attn_part(void *v, int t, int nth)
{
	const struct attn_job *jb = v;
	int T = jb->T, heads = jb->heads, hd = jb->hd, d = heads * hd, ld = 3 * d;
	size_t lo, hi, packed = (size_t)-1;
	const float *kc = NULL, *vc = NULL;
	hrm_par_range((size_t)jb->B * heads * jb->nblk, t, nth, &lo, &hi);
	for (size_t task = lo; task < hi; task++) {
		size_t bh = task / (size_t)jb->nblk;
		int blk = (int)(task % (size_t)jb->nblk), h = (int)(bh % (size_t)heads), b = (int)(bh / (size_t)heads);
		int r0 = blk * jb->rows, nr = T - r0 < jb->rows ? T - r0 : jb->rows;
		const float *base = jb->qkv + (size_t)b * T * ld;
		const float *q = base + (size_t)r0 * ld + (size_t)h * hd;
		const float *k = base + d + (size_t)h * hd;
		const float *vv = base + 2 * d + (size_t)h * hd;
		if (bh != packed) {
			kc = attn_head_compact(0, k, ld, T, hd);
			vc = attn_head_compact(1, vv, ld, T, hd);
			packed = bh;
		}
		float *S = jb->probs ? jb->probs + (bh * T + r0) * T : jb->scratch + (size_t)t * jb->rows * T;
		attention_probs_tile(S, q, ld, kc ? kc : k, kc ? hd : ld, nr, T, hd,
				     jb->stats ? jb->stats + 2 * (bh * T + r0) : NULL, NULL);
		hrm_sgemm_small(0, 0, nr, hd, T, 1.0f, S, T, vc ? vc : vv, vc ? hd : ld,
				jb->out + ((size_t)b * T + r0) * d + (size_t)h * hd, d);
	}
}

void attention_forward_tiled(float *out, const float *qkv, float *probs, float *scratch, size_t scratch_floats,
			     int B, int T, int heads, int hd)
{
	attention_forward_stats(out, qkv, probs, NULL, scratch, scratch_floats, B, T, heads, hd);
}

void attention_forward_stats(float *out, const float *qkv, float *probs, float *stats, float *scratch,
			     size_t scratch_floats, int B, int T, int heads, int hd)
{
	struct attn_job jb = { out, qkv, probs, scratch, stats, B, T, heads, hd, attn_tile_rows(T), 0 };
	jb.nblk = (T + jb.rows - 1) / jb.rows;
	size_t ntask = (size_t)B * heads * jb.nblk;
	int nth = hrm_par_threads();
	if (probs == NULL) {
		size_t cap = scratch_floats / ((size_t)jb.rows * T);
		if ((size_t)nth > cap)
			nth = cap > 0 ? (int)cap : 1;
	}
	if ((size_t)nth > ntask)
		nth = (int)ntask;
	hrm_par_run(nth, attn_part, &jb);
}

void attention_forward(float *out, const float *qkv, float *scores, int B, int T, int heads, int hd)
{
	attention_forward_tiled(out, qkv, NULL, scores, (size_t)T * T, B, T, heads, hd);
}

struct swiglu_job {
	float *act;
	const float *gu;
	int inter;
};

HRM_VECTORIZE
static void swiglu_rows(void *v, size_t lo, size_t hi)
{
	const struct swiglu_job *jb = v;
	int inter = jb->inter;
	EXP_F32_BOUNDS(elo, ehi);
	for (size_t i = lo; i < hi; i++) {
		const float *g = jb->gu + i * 2 * inter, *u = g + inter;
		float *a = jb->act + i * inter;
		for (int j = 0; j < inter; j++)
			a[j] = g[j] * sigmoid_f32_in(g[j], elo, ehi) * u[j];
	}
}

void swiglu_forward(float *act, const float *gu, int n, int inter)
{
	struct swiglu_job jb = { act, gu, inter };
	hrm_par_rows((size_t)n, (size_t)inter * 24, swiglu_rows, &jb);
}

int argmax_f32(const float *v, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

void hrm_transpose_rows(float *dst, const float *src, int B, int rows, int cols)
{
	for (int b = 0; b < B; b++) {
		const float *sb = src + (size_t)b * rows * cols;
		float *db = dst + (size_t)b * rows * cols;
		for (int r = 0; r < rows; r++)
			for (int k = 0; k < cols; k++)
				db[(size_t)k * rows + r] = sb[(size_t)r * cols + k];
	}
}
