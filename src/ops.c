/* ops.c - forward ops of the HRM block. */
#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void linear_forward(float *y, const float *x, const float *W, int n, int in, int out)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in,
		    1.0f, x, in, W, in, 0.0f, y, out);
}

HRM_VECTORIZE
void add_rmsnorm_forward(float *x, const float *r, int n, int d, float eps)
{
	for (int i = 0; i < n; i++) {
		float *row = x + (size_t)i * d;
		const float *rr = r + (size_t)i * d;
		for (int j = 0; j < d; j++)
			row[j] += rr[j];
		float ss = 0.0f;
		for (int j = 0; j < d; j++)
			ss += row[j] * row[j];
		/* torch: h * rsqrt(mean(h^2) + eps), all in float32 */
		float inv = 1.0f / sqrtf(ss / (float)d + eps);
		for (int j = 0; j < d; j++)
			row[j] *= inv;
	}
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

static void rope_vec(float *v, const float *c, const float *s, int hd)
{
	int half = hd / 2;
	for (int i = 0; i < half; i++) {
		float a = v[i], b = v[i + half];
		/* v*cos + rotate_half(v)*sin, rotate_half(v) = [-v2, v1] */
		v[i] = a * c[i] - b * s[i];
		v[i + half] = b * c[i + half] + a * s[i + half];
	}
}

void rope_forward(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd)
{
	int d = heads * hd;
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			float *row = qkv + ((size_t)b * T + t) * 3 * d;
			const float *c = cos_t + (size_t)t * hd, *s = sin_t + (size_t)t * hd;
			for (int h = 0; h < 2 * heads; h++) /* q heads then k heads */
				rope_vec(row + (size_t)h * hd, c, s, hd);
		}
}

HRM_VECTORIZE
void softmax_rows(float *m, int rows, int cols)
{
	for (int i = 0; i < rows; i++) {
		float *r = m + (size_t)i * cols;
		float mx = r[0];
		for (int j = 1; j < cols; j++)
			if (r[j] > mx)
				mx = r[j];
		for (int j = 0; j < cols; j++) /* vectorises: no reduction here */
			r[j] = exp_f32(r[j] - mx);
		float sum = 0.0f;
		for (int j = 0; j < cols; j++)
			sum += r[j];
		float inv = 1.0f / sum;
		for (int j = 0; j < cols; j++)
			r[j] *= inv;
	}
}

void attention_forward(float *out, const float *qkv, float *scores, int B, int T, int heads, int hd)
{
	int d = heads * hd, ld = 3 * d;
	float scale = 1.0f / sqrtf((float)hd);
	for (int b = 0; b < B; b++) {
		const float *base = qkv + (size_t)b * T * ld;
		for (int h = 0; h < heads; h++) {
			const float *q = base + (size_t)h * hd;
			const float *k = base + d + (size_t)h * hd;
			const float *v = base + 2 * d + (size_t)h * hd;
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd,
				    scale, q, ld, k, ld, 0.0f, scores, T);
			softmax_rows(scores, T, T);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T,
				    1.0f, scores, T, v, ld, 0.0f, out + (size_t)b * T * d + (size_t)h * hd, d);
		}
	}
}

HRM_VECTORIZE
void swiglu_forward(float *act, const float *gu, int n, int inter)
{
	for (int i = 0; i < n; i++) {
		const float *g = gu + (size_t)i * 2 * inter, *u = g + inter;
		float *a = act + (size_t)i * inter;
		for (int j = 0; j < inter; j++)
			a[j] = g[j] * sigmoid_f32(g[j]) * u[j];
	}
}

int argmax_f32(const float *v, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}
