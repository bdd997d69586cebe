/* ops.h - the forward ops of the model, one small function each, named after
 * their PyTorch counterparts.  Row-major float32; matrix products go through
 * cblas_sgemm. */
#ifndef HRM_OPS_H
#define HRM_OPS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Hot elementwise loops get AVX-512 and AVX2/FMA clones picked at run time.
 * The code contracts no multiply-adds (ISO C mode) and keeps reductions in
 * order, so every clone gives the same bits.  The AVX-512 clone (x86-64-v4)
 * is for the elementwise ops that took a third of a bf16 training step once
 * its products moved to oneDNN: on an AVX-512 core the bf16 SwiGLU took half
 * the CPU of its AVX2 clone, the bf16 softmax 10% less (perf samples).  Not
 * under sanitizers: the clones' ifunc resolvers run during relocation,
 * before a sanitizer runtime is up (under ThreadSanitizer the program died
 * there before main). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
	!defined(__SANITIZE_THREAD__)
#define HRM_VECTORIZE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HRM_VECTORIZE
#endif

/* exp(x) in float32 within 2 ulp (Cody-Waite reduction, degree-6 minimax
 * polynomial), branch-free so that loops over it vectorise; libm's expf is
 * a call per element.  Inputs are clamped to [lo, hi], which exp_f32 sets to
 * [-87, 88]. */
static inline float exp_f32_in(float x, float lo, float hi)
{
	x = x < lo ? lo : x;
	x = x > hi ? hi : x;
	/* n = round(x / ln 2), by the 1.5 * 2^23 trick (round to nearest) */
	float t = x * 1.44269504088896341f + 12582912.0f;
	float n = t - 12582912.0f;
	float r = x - n * 0.693359375f;
	r = r - n * -2.12194440e-4f;
	float p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	/* 2^n from t's bits: its low mantissa bits hold n (t = 1.5 * 2^23 + n),
	 * shifted unsigned, so a NaN x (t's bits anything) is no overflow of a
	 * float-to-int conversion or a signed shift: it gives NaN through p */
	uint32_t tb;
	memcpy(&tb, &t, sizeof tb);
	uint32_t e = (tb + 127u) << 23;
	float scale;
	memcpy(&scale, &e, sizeof scale);
	return p * scale;
}

static inline float exp_f32(float x)
{
	return exp_f32_in(x, -87.0f, 88.0f);
}

/* exp_f32's clamp bounds, hidden from the optimiser: a hot loop takes them
 * once before it and calls exp_f32_in(x, lo, hi), the same bits as exp_f32.
 * With the constants in sight GCC computes the clamped ends on paths of
 * their own, so a loop like x / (1 + exp(-x)) ran two vector divisions per
 * element instead of one (the bf16 SwiGLU took 2.5 times as long). */
#if defined(__GNUC__)
#define EXP_F32_BOUNDS(lo, hi)                              \
	float lo = -87.0f, hi = 88.0f;                      \
	__asm__("" : "+x"(lo), "+x"(hi))
#else
#define EXP_F32_BOUNDS(lo, hi) float lo = -87.0f, hi = 88.0f
#endif

static inline float sigmoid_f32(float x)
{
	return 1.0f / (1.0f + exp_f32(-x));
}

/* sigmoid_f32 with exp_f32_in's bounds (EXP_F32_BOUNDS): the same bits */
static inline float sigmoid_f32_in(float x, float lo, float hi)
{
	return 1.0f / (1.0f + exp_f32_in(-x, lo, hi));
}

/* The logistic function in double precision (q_halt as a probability), with
 * exp of a non-positive number only, so neither side overflows. */
static inline double sigmoid_f64(double x)
{
	return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* Row-major C[M][N] = alpha op(A) op(B) + beta C (op = transpose when ta,
 * tb), as cblas_sgemm; large products are split by rows or columns of C
 * over the pool threads (parallel.h), each part a one-thread product, so
 * that every element sums its K terms the same way whatever the split.
 * The layouts oneDNN runs faster go to its float32 brgemm when it is built
 * in (the rule and its measurements in ops.c), unless the environment has
 * HRMSCOPE_GEMM=openblas; the rest to OpenBLAS. */
void hrm_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
	       float beta, float *C, int ldc);
/* C[M][N] = alpha op(A) op(B) (beta 0) on the calling thread alone, for
 * the small strided products of one attention head inside a pool region:
 * oneDNN on compact copies of the operands where hrm_sgemm uses oneDNN
 * (the same switch), else one cblas_sgemm. */
void hrm_sgemm_small(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
		     int ldb, float *C, int ldc);
/* what computes hrm_sgemm's products: "OpenBLAS", or "oneDNN brgemm where
 * it wins, else OpenBLAS" */
const char *hrm_sgemm_backend(void);
/* y[n][out] = x[n][in] W^T, W: [out][in] (F.linear without bias) */
void linear_forward(float *y, const float *x, const float *W, int n, int in, int out);
/* x = rmsnorm(x + r) row-wise over d, weightless (rms_norm(h + r)) */
void add_rmsnorm_forward(float *x, const float *r, int n, int d, float eps);
/* the same, also keeping each row's 1/rms in inv[n] (inv may be NULL) */
void add_rmsnorm_forward_inv(float *x, const float *r, float *inv, int n, int d, float eps);
/* RoPE on the q and k parts of qkv rows ([n_tok][3d]); cos/sin [T][hd] */
void rope_forward(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd);
/* Applies vec to every q and k head of every qkv row (threaded); rope_forward
 * and rope_backward differ only in the per-head rotation. */
typedef void (*rope_vec_fn)(float *v, const float *c, const float *s, int hd);
void rope_apply(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd,
		rope_vec_fn vec);
/* rope_apply that, with round, rounds each rotated q and k value to bf16
 * (round_bf16) while the row is in cache: the same values as rope_apply
 * followed by rounding the q and k parts; round 2 rounds the whole row
 * (q, k and v) to bf16 before the rotation too */
void rope_apply_ex(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd,
		   rope_vec_fn vec, int round);
/* rope_forward, then (round) q and k rounded to bf16, in one pass (round 2:
 * the row rounded first as well, rope_apply_ex) */
void rope_forward_ex(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd, int round);
/* Non-causal attention per batch row and head; qkv [B*T][3d] -> out [B*T][d];
 * scores is scratch of T*T floats. */
void attention_forward(float *out, const float *qkv, float *scores, int B, int T, int heads, int hd);
/* attention_forward with any scratch size and, when probs ([B][heads][T][T])
 * is not NULL, the softmax probabilities kept there (the scratch is then
 * unused).  Both ways compute the same bits.  Runs on hrm_par_threads()
 * threads, as many as the scratch holds tiles for: scratch_floats =
 * attention_scratch_floats(T) is enough for all (T * T for one). */
void attention_forward_tiled(float *out, const float *qkv, float *probs, float *scratch, size_t scratch_floats,
			     int B, int T, int heads, int hd);
/* the same, also keeping each query row's softmax statistics in stats
 * ([B][heads][T][2]: max x scale, 1 / sum; NULL: none), from which a
 * backward computes the probabilities again with the same bits in one pass
 * (attention_probs_tile with stats_in) */
void attention_forward_stats(float *out, const float *qkv, float *probs, float *stats, float *scratch,
			     size_t scratch_floats, int B, int T, int heads, int hd);
size_t attention_scratch_floats(int T);
/* query rows per attention tile for T positions (a tile is rows x T scores) */
int attn_tile_rows(int T);
/* S[nr][T] = the softmax probabilities of nr query rows of one head, q the
 * first row's q and k the first key's (rows ldq and ldk floats apart,
 * head_dim hd); the rows' softmax statistics (2 floats a row) written to
 * stats_out (softmax_rows_stats; NULL: not kept), or, given as stats_in,
 * read (softmax_rows_from_stats: the same bits, without the maxima and
 * sums):
 * the forward's own tile, so a backward that recomputes P gets its bits */
void attention_probs_tile(float *S, const float *q, int ldq, const float *k, int ldk, int nr, int T, int hd,
			  float *stats_out, const float *stats_in);
/* One head's columns [T][hd] of rows ld floats apart as a compact copy, in
 * the calling thread's buffer `which` (0 .. 3, kept for the thread's
 * life), where the attention's products run in oneDNN: it wants compact
 * operands, and hrm_sgemm_small copied a head's K and V again for every
 * tile of queries (5 % of the 30x30 trainer's time).  NULL elsewhere
 * (OpenBLAS reads the columns where they are): the caller then passes
 * src and ld. */
const float *attn_head_compact(int which, const float *src, int ld, int T, int hd);
/* act[n][inter] = silu(gu[:, :inter]) * gu[:, inter:] */
void swiglu_forward(float *act, const float *gu, int n, int inter);

/* dst [B][cols][rows] = each src [B][rows][cols] transposed (TRM's mlp_t
 * mixes positions on the transposed sequence) */
void hrm_transpose_rows(float *dst, const float *src, int B, int rows, int cols);
/* in place, row-wise softmax (max subtracted, float32) */
void softmax_rows(float *m, int rows, int cols);
/* softmax_rows of the rows multiplied by scale (> 0), the same bits as
 * multiplying first */
void softmax_rows_scaled(float *m, int rows, int cols, float scale);
/* the same, keeping each row's max x scale and 1 / sum in stats[2 i],
 * stats[2 i + 1] (stats may be NULL) */
void softmax_rows_stats(float *m, int rows, int cols, float scale, float *stats);
/* the rows' softmax from those statistics: exp(s x scale - max) x (1 / sum),
 * the bits of softmax_rows_stats on the same rows, in one pass */
void softmax_rows_from_stats(float *m, int rows, int cols, float scale, const float *stats);
/* rope tables as torch computes them in float32 */
void rope_tables(float *cos_t, float *sin_t, int T, int hd, double theta);
/* index of the largest value (first on ties, as torch.argmax) */
int argmax_f32(const float *v, int n);

#endif
