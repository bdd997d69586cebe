/* ops_bf16.c - the forward ops in bf16 arithmetic (ops_bf16.h). */
#include "model/ops_bf16.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "model/ops_rows.h"
#include "core/half.h"
#include "core/parallel.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

struct rows_job {
	float *x;
	uint16_t *bits;
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
		/* r rounded as it is read (a no-op on bf16 values): r may be
		 * a linear's fp32 sums (linear_bf16_ex) */
		for (int j = 0; j < d; j++)
			row[j] = bf16_round(row[j] + bf16_round(rr[j]));
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

void rope_forward_bf16(float *qkv, const float *cos_t, const float *sin_t, int B, int T, int heads, int hd)
{
	/* the row (a linear's fp32 sums, or bf16 values already) rounded to
	 * bf16 first, then RoPE in fp32 and q and k rounded again, one pass */
	rope_forward_ex(qkv, cos_t, sin_t, B, T, heads, hd, 2);
}

/* one value of the bf16 SwiGLU: torch's silu, x / (1 + exp(-x)) in
 * float32, then bf16, times up, then bf16; gate and up rounded as they are
 * read (a no-op on bf16 values: gu may be a linear's fp32 sums) */
ROWS_INLINE float swiglu_bf16(float g, float u, float elo, float ehi)
{
	g = bf16_round(g);
	float s = bf16_round(g / (1.0f + exp_f32_in(-g, elo, ehi)));
	return bf16_round(s * bf16_round(u));
}

/* the rows' values as float32 (jb->x), or as bits (jb->bits: the high
 * halves of the bf16 values) */
HRM_VECTORIZE
static void swiglu_rows_bf16(void *v, size_t lo, size_t hi)
{
	const struct rows_job *jb = v;
	int inter = jb->inter;
	EXP_F32_BOUNDS(elo, ehi);
	for (size_t i = lo; i < hi; i++) {
		const float *g = jb->r + i * 2 * inter, *u = g + inter;
		if (jb->bits == NULL) {
			float *a = jb->x + i * inter;
			for (int j = 0; j < inter; j++)
				a[j] = swiglu_bf16(g[j], u[j], elo, ehi);
			continue;
		}
		uint16_t *a = jb->bits + i * inter;
		for (int j = 0; j < inter; j++) {
			float f = swiglu_bf16(g[j], u[j], elo, ehi);
			uint32_t w;
			memcpy(&w, &f, sizeof w);
			a[j] = (uint16_t)(w >> 16);
		}
	}
}

void swiglu_forward_bf16(float *act, const float *gu, int n, int inter)
{
	struct rows_job jb = { .x = act, .r = gu, .inter = inter };
	hrm_par_rows((size_t)n, (size_t)inter * 26, swiglu_rows_bf16, &jb);
}

void swiglu_forward_bf16_bits(uint16_t *act, const float *gu, int n, int inter)
{
	struct rows_job jb = { .bits = act, .r = gu, .inter = inter };
	hrm_par_rows((size_t)n, (size_t)inter * 26, swiglu_rows_bf16, &jb);
}

void swiglu_down_bf16(float *y, float *act, uint16_t *act_bits, const float *gu, const struct bf16_mat *down, int n,
		      int inter)
{
	if (act_bits != NULL) {
		swiglu_forward_bf16_bits(act_bits, gu, n, inter);
		linear_bf16_bits_ex(y, act_bits, down, n, 0);
	} else {
		swiglu_forward_bf16(act, gu, n, inter);
		linear_bf16_ex(y, act, down, n, 0);
	}
}

/* s *= scale, then p = exp(s - max) per row, kept unnormalised and rounded to bf16; the fp32
 * sum of the unrounded p in sum[row] */
HRM_VECTORIZE
static void softmax_rows_bf16(float *m, float *sum, int rows, int cols, float scale)
{
	EXP_F32_BOUNDS(elo, ehi);
	for (int i = 0; i < rows; i++) {
		float *r = m + (size_t)i * cols;
		for (int j = 0; j < cols; j++)
			r[j] *= scale;
		float mx = row_max(r, cols);
		float acc[8] = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
		int j = 0;
		for (; j + 8 <= cols; j += 8)
			for (int k = 0; k < 8; k++) {
				float e = exp_f32_in(r[j + k] - mx, elo, ehi);
				r[j + k] = bf16_round(e);
				acc[k] += e;
			}
		for (int k = 0; j < cols; j++, k++) {
			float e = exp_f32_in(r[j] - mx, elo, ehi);
			r[j] = bf16_round(e);
			acc[k] += e;
		}
		sum[i] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	}
}

/* softmax_rows_bf16 writing the rounded p as bf16 bits into P ([rows][cols]
 * compact), the scale applied on the fly (max(s) * scale is max(s * scale):
 * rounding is monotonic); with keep, bf16(p) / sum back into m.
 * The same bits as softmax_rows_bf16: the rounding drops bf16_round's NaN
 * branch, which changes nothing for exp's results (finite, or the default
 * NaN, which rounds to itself either way). */
HRM_VECTORIZE
static void softmax_rows_bits(float *m, uint16_t *P, float *sum, int rows, int cols, float scale, int keep)
{
	EXP_F32_BOUNDS(elo, ehi);
	/* four rows at a time (softmax_rows in ops.c says why): the
	 * exponentials of each, a loop that vectorises whole; then the sums in
	 * softmax_rows_bf16's order (row_sums8) and the rounding */
	for (int i0 = 0; i0 < rows; i0 += 4) {
		int nb = rows - i0 < 4 ? rows - i0 : 4;
		float *rb = m + (size_t)i0 * cols;
		for (int b = 0; b < nb; b++) {
			float *r = rb + (size_t)b * cols;
			float mx = row_max(r, cols) * scale;
			for (int j = 0; j < cols; j++)
				r[j] = exp_f32_in(r[j] * scale - mx, elo, ehi);
		}
		row_sums8(rb, (size_t)cols, nb, cols, sum + i0);
		for (int b = 0; b < nb; b++) {
			float *r = rb + (size_t)b * cols;
			uint16_t *pr = P + (size_t)(i0 + b) * cols;
			if (keep) {
				/* the weights the product uses, bf16(p) / sum, kept
				 * for the backward (rows sum to 1 within 2^-9) */
				float inv = 1.0f / sum[i0 + b];
				for (int j = 0; j < cols; j++) {
					uint32_t u;
					float pb;
					memcpy(&u, &r[j], sizeof u);
					u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
					pr[j] = (uint16_t)(u >> 16);
					memcpy(&pb, &u, sizeof pb);
					r[j] = pb * inv;
				}
			} else {
				for (int j = 0; j < cols; j++) {
					uint32_t u;
					memcpy(&u, &r[j], sizeof u);
					pr[j] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
				}
			}
		}
	}
}

struct attn_job {
	float *out;
	const float *qkv;
	float *probs;   /* NULL: tiles in scratch */
	float *scratch;
	const uint16_t *qkvb; /* bf16 bits: [B][3][heads][T][hd], or NULL */
	int B, T, heads, hd, rows, nblk;
};

/* q, k and v of every head as compact bf16 bits, once per call: each
 * (head, tile) product reads its operands from here instead of converting
 * a whole K and V per tile */
static void pack_qkv_rows(void *v, size_t lo, size_t hi)
{
	const struct attn_job *jb = v;
	int T = jb->T, heads = jb->heads, hd = jb->hd, d = heads * hd;
	uint16_t *dst = (uint16_t *)jb->qkvb;
	for (size_t row = lo; row < hi; row++) {
		size_t b = row / (size_t)T, t = row % (size_t)T;
		const float *src = jb->qkv + row * 3 * d;
		for (int part = 0; part < 3; part++)
			for (int h = 0; h < heads; h++)
				bf16_bits_from(dst + (((b * 3 + part) * heads + h) * T + t) * hd,
					       src + (size_t)part * d + (size_t)h * hd, (size_t)hd);
	}
}

/* one task's output rows: o = bf16(pv / sum); with S, the weights the
 * product used, bf16(p) / sum, kept for the backward */
static void attn_finish(const struct attn_job *jb, float *o, const float *pv, int ldpv, float *S, const float *sum,
			int nr)
{
	int T = jb->T, hd = jb->hd, d = jb->heads * hd;
	for (int i = 0; i < nr; i++) {
		float inv = 1.0f / sum[i];
		for (int j = 0; j < hd; j++)
			o[(size_t)i * d + j] = bf16_round(pv[(size_t)i * ldpv + j] * inv);
		/* rows of bf16(p) / sum sum to 1 within 2^-9 */
		if (S != NULL)
			for (int j = 0; j < T; j++)
				S[(size_t)i * T + j] *= inv;
	}
}

/* (batch row, head, tile of query rows) tasks in contiguous runs, as the
 * fp32 attention splits them */
static void attn_part_bf16(void *v, int t, int nth)
{
	const struct attn_job *jb = v;
	int T = jb->T, heads = jb->heads, hd = jb->hd, d = heads * hd, ld = 3 * d;
	/* a tile has at most 2 * 128 rows (attn_tile_rows) */
	float scale = 1.0f / sqrtf((float)hd), sum[256];
	uint16_t *P = NULL;
	float *PV = NULL;
	if (jb->qkvb != NULL) {
		P = bf16_scratch(1, (size_t)jb->rows * T * sizeof *P);
		PV = bf16_scratch(2, (size_t)jb->rows * hd * sizeof *PV);
	}
	size_t lo, hi;
	hrm_par_range((size_t)jb->B * heads * jb->nblk, t, nth, &lo, &hi);
	for (size_t task = lo; task < hi; task++) {
		size_t bh = task / (size_t)jb->nblk;
		int blk = (int)(task % (size_t)jb->nblk), h = (int)(bh % (size_t)heads), b = (int)(bh / (size_t)heads);
		int r0 = blk * jb->rows, nr = T - r0 < jb->rows ? T - r0 : jb->rows;
		float *S = jb->probs ? jb->probs + (bh * T + r0) * T : jb->scratch + (size_t)t * jb->rows * T;
		float *o = jb->out + ((size_t)b * T + r0) * d + (size_t)h * hd;
		if (P != NULL && PV != NULL) {
			const uint16_t *hb = jb->qkvb + ((size_t)b * 3 * heads + h) * T * hd;
			const uint16_t *qb = hb, *kb = hb + (size_t)heads * T * hd, *vb = kb + (size_t)heads * T * hd;
			gemm_bf16_bits(1, nr, T, hd, qb + (size_t)r0 * hd, kb, S);
			softmax_rows_bits(S, P, sum, nr, T, scale, jb->probs != NULL);
			gemm_bf16_bits(0, nr, hd, T, P, vb, PV);
			attn_finish(jb, o, PV, hd, NULL, sum, nr);
			continue;
		}
		const float *base = jb->qkv + (size_t)b * T * ld;
		const float *q = base + (size_t)r0 * ld + (size_t)h * hd;
		const float *k = base + d + (size_t)h * hd;
		const float *vv = base + 2 * d + (size_t)h * hd;
		/* q, k, v and p hold bf16 values: bf16 products, fp32 sums */
		gemm_bf16(1, nr, T, hd, q, ld, k, ld, S, T);
		softmax_rows_bf16(S, sum, nr, T, scale);
		gemm_bf16(0, nr, hd, T, S, T, vv, ld, o, d);
		attn_finish(jb, o, o, d, jb->probs ? S : NULL, sum, nr);
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
	struct attn_job jb = { out, qkv, probs, scratch, NULL, B, T, heads, hd, attn_tile_rows(T), 0 };
	jb.nblk = (T + jb.rows - 1) / jb.rows;
	if (bf16_bits_usable()) {
		jb.qkvb = bf16_scratch(0, (size_t)B * T * 3 * heads * hd * sizeof(uint16_t));
		if (jb.qkvb != NULL)
			hrm_par_rows((size_t)B * T, (size_t)heads * hd * 3, pack_qkv_rows, &jb);
	}
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
