/* ops_backward.c - backward of the HRM block's ops (see ops_backward.h). */
#include "train/ops_backward.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "core/half.h"
#include "core/parallel.h"

#include <math.h>
#include <string.h>

void linear_backward(float *dx, float *dW, const float *dy, const float *x, const float *W,
		     int n, int in, int out)
{
	if (dx != NULL)
		hrm_sgemm(0, 0, n, in, out, 1.0f, dy, out, W, in, 0.0f, dx, in);
	if (dW != NULL)
		hrm_sgemm(1, 0, out, in, n, 1.0f, dy, out, x, in, 1.0f, dW, in);
}

void linear_backward_bf16(float *dx, float *dW, float *dW_tmp, const float *dy, const float *x,
			  const uint16_t *xb, const float *W, int n, int in, int out)
{
	/* bf16 products (oneDNN where it has the kernels), fp32 sums */
	linear_grad_bf16_ex(dx, dW != NULL ? dW_tmp : NULL, dy, x, xb, W, n, in, out);
	if (dW != NULL) {
		size_t nw = (size_t)out * in;
		for (size_t i = 0; i < nw; i++)
			dW[i] += bf16_round(dW_tmp[i]);
	}
}

void add_rmsnorm_forward_save(float *x, const float *r, float *inv, int n, int d, float eps)
{
	/* the very code of add_rmsnorm_forward, so that the training forward
	 * cannot drift from the engine's by a single bit */
	add_rmsnorm_forward_inv(x, r, inv, n, d, eps);
}

struct rmsnorm_bwd_job {
	float *dx;
	const float *dy, *y, *inv;
	int d, round;
};

static void rmsnorm_bwd_rows(void *v, size_t lo, size_t hi)
{
	const struct rmsnorm_bwd_job *jb = v;
	int d = jb->d;
	for (size_t i = lo; i < hi; i++) {
		const float *g = jb->dy + i * d, *yr = jb->y + i * d;
		float *o = jb->dx + i * d;
		/* y = v * inv(v): dv = inv * (dy - y * mean(dy . y)); the dot product
		 * is summed in double because it is a small difference of large
		 * terms when dy is nearly parallel to y. */
		double dot = 0.0;
		for (int j = 0; j < d; j++)
			dot += (double)g[j] * yr[j];
		float m = (float)(dot / d), s = jb->inv[i];
		for (int j = 0; j < d; j++)
			o[j] = s * (g[j] - yr[j] * m);
		if (jb->round)
			round_bf16(o, (size_t)d);
	}
}

void add_rmsnorm_backward_ex(float *dx, const float *dy, const float *y, const float *inv, int n, int d, int round)
{
	struct rmsnorm_bwd_job jb = { dx, dy, y, inv, d, round };
	hrm_par_rows((size_t)n, (size_t)d * 6, rmsnorm_bwd_rows, &jb);
}

void add_rmsnorm_backward(float *dx, const float *dy, const float *y, const float *inv, int n, int d)
{
	add_rmsnorm_backward_ex(dx, dy, y, inv, n, d, 0);
}

/* Transpose of rope_vec: the pair rotation by +angle becomes -angle. */
static void rope_vec_backward(float *g, const float *c, const float *s, int hd)
{
	int half = hd / 2;
	for (int i = 0; i < half; i++) {
		float a = g[i], b = g[i + half];
		/* forward: y1 = x1 c[i] - x2 s[i], y2 = x2 c[i+h] + x1 s[i+h] */
		g[i] = a * c[i] + b * s[i + half];
		g[i + half] = b * c[i + half] - a * s[i];
	}
}

void rope_backward_ex(float *dqkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd,
		      int round)
{
	rope_apply_ex(dqkv, cos_t, sin_t, B, T, heads, hd, rope_vec_backward, round);
}

void rope_backward(float *dqkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd)
{
	rope_backward_ex(dqkv, cos_t, sin_t, B, T, heads, hd, 0);
}

void attention_forward_save(float *out, const float *qkv, float *probs, int B, int T, int heads, int hd)
{
	attention_forward_tiled(out, qkv, probs, NULL, 0, B, T, heads, hd);
}

/* dS = P * (dP - rowsum(dP * P)) in place over dP, row by row; the row sums
 * in 8 interleaved partial sums (fixed order, vectorises).  Four rows' sums
 * side by side, as the forward softmax does them, ran slower here (0.28
 * against 0.25 ms for 901 x 901): these rows come from memory, not L1. */
HRM_VECTORIZE
void softmax_backward_rows_n(float *ds, const float *p, int rows, int T)
{
	for (int i = 0; i < rows; i++) {
		float *dr = ds + (size_t)i * T;
		const float *pr = p + (size_t)i * T;
		float acc[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
		int j = 0;
		for (; j + 8 <= T; j += 8)
			for (int k = 0; k < 8; k++)
				acc[k] += dr[j + k] * pr[j + k];
		for (int k = 0; j < T; j++, k++)
			acc[k] += dr[j] * pr[j];
		float dot = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
		for (j = 0; j < T; j++)
			dr[j] = pr[j] * (dr[j] - dot);
	}
}

void softmax_backward_rows(float *ds, const float *p, int T)
{
	softmax_backward_rows_n(ds, p, T, T);
}

struct attn_bwd_job {
	float *dqkv;
	const float *dout, *qkv, *probs;
	const float *stats; /* recomputing: the forward's softmax statistics, or NULL */
	float *scratch; /* T * T per thread */
	int B, T, heads, hd, round;
};

/* One (batch row, head) task's operands: its columns of qkv, dqkv and
 * dout, rows ld = 3d (qkv, dqkv) and d (dout) floats apart. */
struct head_cols {
	const float *q, *k, *v, *dO;
	float *dq, *dk, *dv;
};

static struct head_cols head_cols_of(const struct attn_bwd_job *jb, size_t bh)
{
	int T = jb->T, heads = jb->heads, d = heads * jb->hd, ld = 3 * d;
	int b = (int)(bh / (size_t)heads), h = (int)(bh % (size_t)heads);
	const float *base = jb->qkv + (size_t)b * T * ld;
	float *dbase = jb->dqkv + (size_t)b * T * ld;
	size_t off = (size_t)h * jb->hd;
	return (struct head_cols){ base + off, base + d + off, base + 2 * d + off, jb->dout + (size_t)b * T * d + off,
				   dbase + off, dbase + d + off, dbase + 2 * d + off };
}

/* bf16: the task's dq, dk and dv columns rounded, in cache */
static void round_head_grads(const struct attn_bwd_job *jb, float *dq)
{
	int d = jb->heads * jb->hd, ld = 3 * d;
	for (int r = 0; r < jb->T; r++)
		for (int part = 0; part < 3; part++)
			round_bf16(dq + (size_t)r * ld + (size_t)part * d, (size_t)jb->hd);
}

/* Tasks are (batch row, head) pairs, in contiguous runs per thread; each
 * writes only its own head's columns of dqkv. */
static void attn_bwd_part(void *vj, int t, int nth)
{
	const struct attn_bwd_job *jb = vj;
	int T = jb->T, heads = jb->heads, hd = jb->hd, d = heads * hd, ld = 3 * d;
	float scale = 1.0f / sqrtf((float)hd);
	float *ds = jb->scratch + (size_t)t * T * T;
	size_t lo, hi;
	hrm_par_range((size_t)jb->B * heads, t, nth, &lo, &hi);
	for (size_t bh = lo; bh < hi; bh++) {
		struct head_cols c = head_cols_of(jb, bh);
		const float *q = c.q, *k = c.k, *v = c.v, *dO = c.dO;
		float *dq = c.dq, *dk = c.dk, *dv = c.dv;
		const float *p = jb->probs + bh * T * T;
		/* dV = P^T dO */
		hrm_sgemm_small(1, 0, T, hd, T, 1.0f, p, T, dO, d, dv, ld);
		/* dP = dO V^T */
		hrm_sgemm_small(0, 1, T, T, hd, 1.0f, dO, d, v, ld, ds, T);
		softmax_backward_rows(ds, p, T);
		/* S = scale Q K^T: dQ = scale dS K, dK = scale dS^T Q */
		hrm_sgemm_small(0, 0, T, hd, T, scale, ds, T, k, ld, dq, ld);
		hrm_sgemm_small(1, 0, T, hd, T, scale, ds, T, q, ld, dk, ld);
		if (jb->round)
			round_head_grads(jb, dq);
	}
}

/* Floats of scratch one thread of the recomputing backward uses: a tile of
 * P and one of dS, and three [T][hd] blocks (a tile's part of dV or dK, and
 * the sums of both). */
static size_t recompute_floats(int T, int hd)
{
	return 2 * (size_t)attn_tile_rows(T) * T + 3 * (size_t)T * hd;
}

/* probs NULL: P is computed again, tile by tile of the forward's query rows
 * (attention_probs_tile: the forward's own bits), instead of read back: at
 * T 901 the saved probabilities were 415 MB per block of a batch of 32,
 * written once and read once from memory, and the forward that saved them
 * took 2.5x as long as the one that keeps its tiles in cache.  Per tile:
 * dV += P^T dO, dP = dO V^T, dS, dQ = scale dS K, dK += dS^T Q; dV and dK
 * add their tiles' parts in tile order (then dK is scaled), so the answer
 * does not depend on the threads; it differs from the saved-P backward's
 * by the order of those sums only. */
static void attn_bwd_recompute_part(void *vj, int t, int nth)
{
	const struct attn_bwd_job *jb = vj;
	int T = jb->T, heads = jb->heads, hd = jb->hd, d = heads * hd, ld = 3 * d, rows = attn_tile_rows(T);
	float scale = 1.0f / sqrtf((float)hd);
	float *P = jb->scratch + (size_t)t * recompute_floats(T, hd), *dS = P + (size_t)rows * T;
	float *part = dS + (size_t)rows * T, *sv = part + (size_t)T * hd, *sk = sv + (size_t)T * hd;
	size_t lo, hi, thd = (size_t)T * hd;
	hrm_par_range((size_t)jb->B * heads, t, nth, &lo, &hi);
	for (size_t bh = lo; bh < hi; bh++) {
		struct head_cols c = head_cols_of(jb, bh);
		const float *q = c.q, *k = c.k, *v = c.v, *dO = c.dO;
		float *dq = c.dq, *dk = c.dk, *dv = c.dv;
		/* the head's q, k, v and dO compact once for all its tiles where
		 * the products want them so (attn_head_compact) */
		int lq = ld, lk = ld, lv = ld, lo_ = d;
		const float *cq = attn_head_compact(0, q, ld, T, hd), *ck = attn_head_compact(1, k, ld, T, hd);
		const float *cv = attn_head_compact(2, v, ld, T, hd), *cdo = attn_head_compact(3, dO, d, T, hd);
		if (cq && ck && cv && cdo) {
			q = cq, k = ck, v = cv, dO = cdo;
			lq = lk = lv = lo_ = hd;
		}
		for (int r0 = 0; r0 < T; r0 += rows) {
			int nr = T - r0 < rows ? T - r0 : rows;
			const float *qt = q + (size_t)r0 * lq, *dOt = dO + (size_t)r0 * lo_;
			/* from the forward's statistics where it kept them: one
			 * pass instead of the maxima, exponentials, sums and
			 * division (the same bits) */
			attention_probs_tile(P, qt, lq, k, lk, nr, T, hd, NULL,
					     jb->stats ? jb->stats + 2 * (bh * T + (size_t)r0) : NULL);
			hrm_sgemm_small(1, 0, T, hd, nr, 1.0f, P, T, dOt, lo_, r0 ? part : sv, hd);
			if (r0)
				for (size_t e = 0; e < thd; e++)
					sv[e] += part[e];
			hrm_sgemm_small(0, 1, nr, T, hd, 1.0f, dOt, lo_, v, lv, dS, T);
			softmax_backward_rows_n(dS, P, nr, T);
			hrm_sgemm_small(0, 0, nr, hd, T, scale, dS, T, k, lk, dq + (size_t)r0 * ld, ld);
			hrm_sgemm_small(1, 0, T, hd, nr, 1.0f, dS, T, qt, lq, r0 ? part : sk, hd);
			if (r0)
				for (size_t e = 0; e < thd; e++)
					sk[e] += part[e];
		}
		for (int j = 0; j < T; j++)
			for (int c = 0; c < hd; c++) {
				dv[(size_t)j * ld + c] = sv[(size_t)j * hd + c];
				dk[(size_t)j * ld + c] = scale * sk[(size_t)j * hd + c];
			}
		if (jb->round)
			round_head_grads(jb, dq);
	}
}

size_t attention_backward_scratch_floats(int T, int hd, int recompute)
{
	return recompute ? recompute_floats(T, hd) : (size_t)T * T;
}

void attention_backward_ex(float *dqkv, const float *dout, const float *qkv, const float *probs, float *scratch,
			   size_t scratch_floats, int B, int T, int heads, int hd, int round)
{
	attention_backward_stats(dqkv, dout, qkv, probs, NULL, scratch, scratch_floats, B, T, heads, hd, round);
}

void attention_backward_stats(float *dqkv, const float *dout, const float *qkv, const float *probs,
			      const float *stats, float *scratch, size_t scratch_floats, int B, int T, int heads,
			      int hd, int round)
{
	struct attn_bwd_job jb = { dqkv, dout, qkv, probs, probs ? NULL : stats, scratch, B, T, heads, hd, round };
	size_t cap = scratch_floats / attention_backward_scratch_floats(T, hd, probs == NULL), ntask = (size_t)B * heads;
	int nth = hrm_par_threads();
	if ((size_t)nth > cap)
		nth = cap > 0 ? (int)cap : 1;
	if ((size_t)nth > ntask)
		nth = (int)ntask;
	hrm_par_run(nth, probs ? attn_bwd_part : attn_bwd_recompute_part, &jb);
}

void attention_backward_n(float *dqkv, const float *dout, const float *qkv, const float *probs, float *scratch,
			  size_t scratch_floats, int B, int T, int heads, int hd)
{
	attention_backward_ex(dqkv, dout, qkv, probs, scratch, scratch_floats, B, T, heads, hd, 0);
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *probs, float *scratch,
			int B, int T, int heads, int hd)
{
	attention_backward_n(dqkv, dout, qkv, probs, scratch, (size_t)T * T, B, T, heads, hd);
}

struct swiglu_bwd_job {
	float *dgu;
	const float *dact, *gu;
	int inter, round;
};

HRM_VECTORIZE
static void swiglu_bwd_rows(void *v, size_t lo, size_t hi)
{
	const struct swiglu_bwd_job *jb = v;
	int inter = jb->inter;
	EXP_F32_BOUNDS(elo, ehi);
	for (size_t i = lo; i < hi; i++) {
		const float *g = jb->gu + i * 2 * inter, *u = g + inter;
		const float *da = jb->dact + i * inter;
		float *dg = jb->dgu + i * 2 * inter, *du = dg + inter;
		for (int j = 0; j < inter; j++) {
			float s = sigmoid_f32_in(g[j], elo, ehi);
			/* silu(g) = g s(g), silu'(g) = s (1 + g (1 - s)) */
			du[j] = da[j] * g[j] * s;
			dg[j] = da[j] * u[j] * s * (1.0f + g[j] * (1.0f - s));
		}
		if (jb->round)
			round_bf16(dg, (size_t)2 * inter);
	}
}

void swiglu_backward_ex(float *dgu, const float *dact, const float *gu, int n, int inter, int round)
{
	struct swiglu_bwd_job jb = { dgu, dact, gu, inter, round };
	hrm_par_rows((size_t)n, (size_t)inter * 30, swiglu_bwd_rows, &jb);
}

void swiglu_backward(float *dgu, const float *dact, const float *gu, int n, int inter)
{
	swiglu_backward_ex(dgu, dact, gu, n, inter, 0);
}

void embedding_backward(float *dE, const float *dy, const int32_t *idx, int n, int d)
{
	for (int i = 0; i < n; i++) {
		if (idx[i] < 0)
			continue;
		float *row = dE + (size_t)idx[i] * d;
		const float *g = dy + (size_t)i * d;
		for (int j = 0; j < d; j++)
			row[j] += g[j];
	}
}
