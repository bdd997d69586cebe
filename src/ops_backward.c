/* ops_backward.c - backward of the HRM block's ops (see ops_backward.h). */
#include "ops_backward.h"
#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void linear_backward(float *dx, float *dW, const float *dy, const float *x, const float *W,
		     int n, int in, int out)
{
	if (dx != NULL)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out,
			    1.0f, dy, out, W, in, 0.0f, dx, in);
	if (dW != NULL)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n,
			    1.0f, dy, out, x, in, 1.0f, dW, in);
}

void add_rmsnorm_forward_save(float *x, const float *r, float *inv, int n, int d, float eps)
{
	/* The 1/rms is computed here with the forward's float32 arithmetic, and
	 * the normalisation itself is left to add_rmsnorm_forward, so that the
	 * training forward cannot drift from the engine's by a single bit. */
	for (int i = 0; i < n; i++) {
		const float *row = x + (size_t)i * d, *rr = r + (size_t)i * d;
		float ss = 0.0f;
		for (int j = 0; j < d; j++) {
			float v = row[j] + rr[j];
			ss += v * v;
		}
		inv[i] = 1.0f / sqrtf(ss / (float)d + eps);
	}
	add_rmsnorm_forward(x, r, n, d, eps);
}

void add_rmsnorm_backward(float *dx, const float *dy, const float *y, const float *inv, int n, int d)
{
	for (int i = 0; i < n; i++) {
		const float *g = dy + (size_t)i * d, *yr = y + (size_t)i * d;
		float *o = dx + (size_t)i * d;
		/* y = v * inv(v): dv = inv * (dy - y * mean(dy . y)); the dot product
		 * is summed in double because it is a small difference of large
		 * terms when dy is nearly parallel to y. */
		double dot = 0.0;
		for (int j = 0; j < d; j++)
			dot += (double)g[j] * yr[j];
		float m = (float)(dot / d), s = inv[i];
		for (int j = 0; j < d; j++)
			o[j] = s * (g[j] - yr[j] * m);
	}
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

void rope_backward(float *dqkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd)
{
	int d = heads * hd;
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			float *row = dqkv + ((size_t)b * T + t) * 3 * d;
			const float *c = cos_t + (size_t)t * hd, *s = sin_t + (size_t)t * hd;
			for (int h = 0; h < 2 * heads; h++) /* q heads then k heads */
				rope_vec_backward(row + (size_t)h * hd, c, s, hd);
		}
}

void attention_forward_save(float *out, const float *qkv, float *probs, int B, int T, int heads, int hd)
{
	int d = heads * hd, ld = 3 * d;
	float scale = 1.0f / sqrtf((float)hd);
	for (int b = 0; b < B; b++) {
		const float *base = qkv + (size_t)b * T * ld;
		for (int h = 0; h < heads; h++) {
			const float *q = base + (size_t)h * hd;
			const float *k = base + d + (size_t)h * hd;
			const float *v = base + 2 * d + (size_t)h * hd;
			float *p = probs + ((size_t)b * heads + h) * T * T;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd,
				    scale, q, ld, k, ld, 0.0f, p, T);
			softmax_rows(p, T, T);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T,
				    1.0f, p, T, v, ld, 0.0f, out + (size_t)b * T * d + (size_t)h * hd, d);
		}
	}
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *probs, float *scratch,
			int B, int T, int heads, int hd)
{
	int d = heads * hd, ld = 3 * d;
	float scale = 1.0f / sqrtf((float)hd);
	for (int b = 0; b < B; b++) {
		const float *base = qkv + (size_t)b * T * ld;
		float *dbase = dqkv + (size_t)b * T * ld;
		for (int h = 0; h < heads; h++) {
			size_t off = (size_t)h * hd;
			const float *q = base + off, *k = base + d + off, *v = base + 2 * d + off;
			float *dq = dbase + off, *dk = dbase + d + off, *dv = dbase + 2 * d + off;
			const float *dO = dout + (size_t)b * T * d + off;
			const float *p = probs + ((size_t)b * heads + h) * T * T;
			float *ds = scratch;
			/* dV = P^T dO */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T,
				    1.0f, p, T, dO, d, 0.0f, dv, ld);
			/* dP = dO V^T */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd,
				    1.0f, dO, d, v, ld, 0.0f, ds, T);
			/* softmax Jacobian per row: dS = P * (dP - sum_j dP_j P_j) */
			for (int i = 0; i < T; i++) {
				float *dr = ds + (size_t)i * T;
				const float *pr = p + (size_t)i * T;
				float dot = 0.0f;
				for (int j = 0; j < T; j++)
					dot += dr[j] * pr[j];
				for (int j = 0; j < T; j++)
					dr[j] = pr[j] * (dr[j] - dot);
			}
			/* S = scale Q K^T: dQ = scale dS K, dK = scale dS^T Q */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T,
				    scale, ds, T, k, ld, 0.0f, dq, ld);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T,
				    scale, ds, T, q, ld, 0.0f, dk, ld);
		}
	}
}

HRM_VECTORIZE
void swiglu_backward(float *dgu, const float *dact, const float *gu, int n, int inter)
{
	for (int i = 0; i < n; i++) {
		const float *g = gu + (size_t)i * 2 * inter, *u = g + inter;
		const float *da = dact + (size_t)i * inter;
		float *dg = dgu + (size_t)i * 2 * inter, *du = dg + inter;
		for (int j = 0; j < inter; j++) {
			float s = sigmoid_f32(g[j]);
			/* silu(g) = g s(g), silu'(g) = s (1 + g (1 - s)) */
			du[j] = da[j] * g[j] * s;
			dg[j] = da[j] * u[j] * s * (1.0f + g[j] * (1.0f - s));
		}
	}
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
