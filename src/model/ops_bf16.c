/* ops_bf16.c - the forward ops in bf16 arithmetic (ops_bf16.h). */
#include "model/ops_bf16.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "model/ops_rows.h"
#include "core/half.h"
#include "core/parallel.h"

#include <math.h>

struct rows_job {
	float *x;
	const float *r;
	float *inv;
	int d, inter;
	float eps;
};

HRM_VECTORIZE
static void rmsnorm_rows_bf16(void *v, size_t lo, size_t hi)
{
	const struct rows_job *jb = v;
	int d = jb->d;
	for (size_t i = lo; i < hi; i++) {
		float *row = jb->x + i * d;
		const float *rr = jb->r + i * d;
		for (int j = 0; j < d; j++)
			row[j] = bf16_round(row[j] + rr[j]);
		float inv = rms_inv_row(row, d, jb->eps);
		if (jb->inv != NULL)
			jb->inv[i] = inv;
		for (int j = 0; j < d; j++)
			row[j] = bf16_round(row[j] * inv);
	}
}

void add_rmsnorm_forward_bf16(float *x, const float *r, int n, int d, float eps)
{
	add_rmsnorm_forward_bf16_inv(x, r, NULL, n, d, eps);
}

void add_rmsnorm_forward_bf16_inv(float *x, const float *r, float *inv, int n, int d, float eps)
{
	struct rows_job jb = { .x = x, .r = r, .inv = inv, .d = d, .eps = eps };
	hrm_par_rows((size_t)n, (size_t)d * 6, rmsnorm_rows_bf16, &jb);
}

HRM_VECTORIZE
static void round_qk_rows(void *v, size_t lo, size_t hi)
{
	const struct rows_job *jb = v;
	for (size_t i = lo; i < hi; i++) {
		float *row = jb->x + i * 3 * jb->d;
		for (int j = 0; j < 2 * jb->d; j++)
			row[j] = bf16_round(row[j]);
	}
}

void rope_forward_bf16(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd)
{
	rope_forward(qkv, cos_t, sin_t, B, T, heads, hd);
	struct rows_job jb = { .x = qkv, .d = heads * hd };
	hrm_par_rows((size_t)B * T, (size_t)heads * hd * 2, round_qk_rows, &jb);
}

HRM_VECTORIZE
static void swiglu_rows_bf16(void *v, size_t lo, size_t hi)
{
	const struct rows_job *jb = v;
	int inter = jb->inter;
	for (size_t i = lo; i < hi; i++) {
		const float *g = jb->r + i * 2 * inter, *u = g + inter;
		float *a = jb->x + i * inter;
		for (int j = 0; j < inter; j++) {
			/* torch's silu: x / (1 + exp(-x)) in float32, then bf16 */
			float s = bf16_round(g[j] / (1.0f + exp_f32(-g[j])));
			a[j] = bf16_round(s * u[j]);
		}
	}
}

void swiglu_forward_bf16(float *act, const float *gu, int n, int inter)
{
	struct rows_job jb = { .x = act, .r = gu, .inter = inter };
	hrm_par_rows((size_t)n, (size_t)inter * 26, swiglu_rows_bf16, &jb);
}

/* s *= scale, then p = exp(s - max) per row, kept unnormalised and rounded to bf16; the fp32
 * sum of the unrounded p in sum[row] */
HRM_VECTORIZE
static void softmax_rows_bf16(float *m, float *sum, int rows, int cols, float scale)
{
	for (int i = 0; i < rows; i++) {
		float *r = m + (size_t)i * cols;
		for (int j = 0; j < cols; j++)
			r[j] *= scale;
		float mx = row_max(r, cols);
		float acc[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
		int j = 0;
		for (; j + 8 <= cols; j += 8)
			for (int k = 0; k < 8; k++) {
				float e = exp_f32(r[j + k] - mx);
				r[j + k] = bf16_round(e);
				acc[k] += e;
			}
		for (int k = 0; j < cols; j++, k++) {
			float e = exp_f32(r[j] - mx);
			r[j] = bf16_round(e);
			acc[k] += e;
		}
		sum[i] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	}
}

struct attn_job {
	float *out;
	const float *qkv;
	float *probs;   /* NULL: tiles in scratch */
	float *scratch;
	int B, T, heads, hd, rows, nblk;
};

/* (batch row, head, tile of query rows) tasks in contiguous runs, as the
 * fp32 attention splits them */
static void attn_part_bf16(void *v, int t, int nth)
{
	const struct attn_job *jb = v;
	int T = jb->T, heads = jb->heads, hd = jb->hd, d = heads * hd, ld = 3 * d;
	/* a tile has at most 2 * 128 rows (attn_tile_rows) */
	float scale = 1.0f / sqrtf((float)hd), sum[256];
	size_t lo, hi;
	hrm_par_range((size_t)jb->B * heads * jb->nblk, t, nth, &lo, &hi);
	for (size_t task = lo; task < hi; task++) {
		size_t bh = task / (size_t)jb->nblk;
		int blk = (int)(task % (size_t)jb->nblk), h = (int)(bh % (size_t)heads), b = (int)(bh / (size_t)heads);
		int r0 = blk * jb->rows, nr = T - r0 < jb->rows ? T - r0 : jb->rows;
		const float *base = jb->qkv + (size_t)b * T * ld;
		const float *q = base + (size_t)r0 * ld + (size_t)h * hd;
		const float *k = base + d + (size_t)h * hd;
		const float *vv = base + 2 * d + (size_t)h * hd;
		float *S = jb->probs ? jb->probs + (bh * T + r0) * T : jb->scratch + (size_t)t * jb->rows * T;
		float *o = jb->out + ((size_t)b * T + r0) * d + (size_t)h * hd;
		/* q, k, v and p hold bf16 values: bf16 products, fp32 sums */
		gemm_bf16(1, nr, T, hd, q, ld, k, ld, S, T);
		softmax_rows_bf16(S, sum, nr, T, scale);
		gemm_bf16(0, nr, hd, T, S, T, vv, ld, o, d);
		for (int i = 0; i < nr; i++) {
			float inv = 1.0f / sum[i];
			for (int j = 0; j < hd; j++)
				o[(size_t)i * d + j] = bf16_round(o[(size_t)i * d + j] * inv);
			/* kept for the backward: the weights the product used,
			 * bf16(p) / sum, whose rows sum to 1 within 2^-9 */
			if (jb->probs != NULL)
				for (int j = 0; j < T; j++)
					S[(size_t)i * T + j] *= inv;
		}
	}
}

void attention_forward_bf16(float *out, const float *qkv, float *scratch, size_t scratch_floats, int B, int T,
			    int heads, int hd)
{
	attention_forward_bf16_tiled(out, qkv, NULL, scratch, scratch_floats, B, T, heads, hd);
}

void attention_forward_bf16_tiled(float *out, const float *qkv, float *probs, float *scratch, size_t scratch_floats,
				  int B, int T, int heads, int hd)
{
	struct attn_job jb = { out, qkv, probs, scratch, B, T, heads, hd, attn_tile_rows(T), 0 };
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
	hrm_par_run(nth, attn_part_bf16, &jb);
}
