/* check_fused_bf16.c - the bf16 ops that round inside their own pass give
 * exactly the values of the unfused sequence (the op, then round_bf16 over
 * what it wrote), bit for bit, on one thread and on two:
 *   rope_forward_ex / rope_backward_ex (q and k rounded, v untouched),
 *   add_rmsnorm_backward_ex, swiglu_backward_ex, attention_backward_ex;
 * and that the vector loops calling exp_f32_in with EXP_F32_BOUNDS give
 * exp_f32's bits: the bf16 SwiGLU forward against its formula element by
 * element (scalar exp_f32), the fp32 softmax against the same, including
 * inputs beyond the clamp (|x| > 88), infinities and NaN.  The ops that
 * round their input as they read it (a linear's unrounded output:
 * linear_bf16_ex) give the values of rounding it first, and a whole block
 * forward built that way gives the bits of the one whose linears round
 * their own outputs, with RoPE and with mlp_t. */
#include "model/engine.h"
#include "model/forward.h"
#include "model/hrm.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "model/ops_bf16.h"
#include "train/block_train.h"
#include "train/ops_backward.h"
#include "core/half.h"
#include "core/rng.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { B = 3, T = 37, HEADS = 2, HD = 8, D = HEADS * HD, INTER = 40 };

static struct hrm_rng rng;

static float *rand_f(size_t n, double scale)
{
	float *f = malloc(n * sizeof *f);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		f[i] = (float)(scale * hrm_rng_normal(&rng));
	return f;
}

static float *dup_f(const float *a, size_t n)
{
	float *f = malloc(n * sizeof *f);
	ck_assert_ptr_nonnull(f);
	memcpy(f, a, n * sizeof *f);
	return f;
}

/* the same bits (NaNs compared by bits too) */
static void assert_same(const float *a, const float *b, size_t n, const char *what)
{
	size_t bad = 0, first = n;
	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof a[i]) != 0) {
			if (first == n)
				first = i;
			bad++;
		}
	ck_assert_msg(bad == 0, "%s: %zu of %zu values differ, first at %zu (%.9g vs %.9g)", what, bad, n, first,
		      first < n ? (double)a[first] : 0.0, first < n ? (double)b[first] : 0.0);
}

/* values that change under rounding: not bf16 already */
static size_t count_unrounded(const float *a, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += bf16_round(a[i]) != a[i];
	return c;
}

static float rc[T * HD], rs[T * HD];

static void setup(void)
{
	hrm_rng_seed(&rng, 20261205);
	rope_tables(rc, rs, T, HD, 10000.0);
}

/* _i: 1 or 2 threads */
static void threads(int i)
{
	hrm_set_threads(i + 1);
}

START_TEST(test_rope_ex)
{
	threads(_i);
	size_t n = (size_t)B * T * 3 * D;
	float *x = rand_f(n, 1.0), *a = dup_f(x, n), *b = dup_f(x, n);
	for (int back = 0; back < 2; back++) {
		memcpy(a, x, n * sizeof *a);
		memcpy(b, x, n * sizeof *b);
		if (back) {
			rope_backward(a, rc, rs, B, T, HEADS, HD);
			rope_backward_ex(b, rc, rs, B, T, HEADS, HD, 1);
		} else {
			rope_forward(a, rc, rs, B, T, HEADS, HD);
			rope_forward_ex(b, rc, rs, B, T, HEADS, HD, 1);
		}
		ck_assert_uint_gt(count_unrounded(a, n), n / 2);
		/* unfused: q and k rounded after the rotation, v left alone */
		for (size_t r = 0; r < (size_t)B * T; r++)
			round_bf16(a + r * 3 * D, 2 * D);
		assert_same(a, b, n, back ? "rope_backward_ex" : "rope_forward_ex");
	}
	free(x);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_rmsnorm_bwd_ex)
{
	threads(_i);
	size_t n = (size_t)B * T * D;
	float *dy = rand_f(n, 1.0), *y = rand_f(n, 1.0), *inv = rand_f((size_t)B * T, 0.3);
	float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	add_rmsnorm_backward(a, dy, y, inv, B * T, D);
	ck_assert_uint_gt(count_unrounded(a, n), n / 2);
	round_bf16(a, n);
	add_rmsnorm_backward_ex(b, dy, y, inv, B * T, D, 1);
	assert_same(a, b, n, "add_rmsnorm_backward_ex");
	/* in place, as block_backward calls it */
	float *c = dup_f(dy, n);
	add_rmsnorm_backward_ex(c, c, y, inv, B * T, D, 1);
	assert_same(a, c, n, "add_rmsnorm_backward_ex in place");
	free(dy);
	free(y);
	free(inv);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(test_swiglu_bwd_ex)
{
	threads(_i);
	size_t n = (size_t)B * T;
	float *da = rand_f(n * INTER, 1.0), *gu = rand_f(n * 2 * INTER, 3.0);
	gu[1] = 95.0f;  /* beyond the clamp on both sides */
	gu[2] = -95.0f;
	float *a = malloc(n * 2 * INTER * sizeof *a), *b = malloc(n * 2 * INTER * sizeof *b);
	swiglu_backward(a, da, gu, (int)n, INTER);
	ck_assert_uint_gt(count_unrounded(a, n * 2 * INTER), n * INTER);
	round_bf16(a, n * 2 * INTER);
	swiglu_backward_ex(b, da, gu, (int)n, INTER, 1);
	assert_same(a, b, n * 2 * INTER, "swiglu_backward_ex");
	free(da);
	free(gu);
	free(a);
	free(b);
}
END_TEST

/* softmax probabilities, rows summing to 1 */
static float *rand_probs(void)
{
	size_t n = (size_t)B * HEADS * T * T;
	float *p = rand_f(n, 1.0);
	for (size_t r = 0; r < (size_t)B * HEADS * T; r++)
		softmax_rows(p + r * T, 1, T);
	return p;
}

START_TEST(test_attention_bwd_ex)
{
	threads(_i);
	size_t n = (size_t)B * T * 3 * D, no = (size_t)B * T * D, sc = (size_t)T * T * 4;
	float *qkv = rand_f(n, 1.0), *dout = rand_f(no, 1.0), *p = rand_probs(), *scratch = malloc(sc * sizeof(float));
	float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	attention_backward_n(a, dout, qkv, p, scratch, sc, B, T, HEADS, HD);
	ck_assert_uint_gt(count_unrounded(a, n), n / 2);
	round_bf16(a, n);
	attention_backward_ex(b, dout, qkv, p, scratch, sc, B, T, HEADS, HD, 1);
	assert_same(a, b, n, "attention_backward_ex");
	free(qkv);
	free(dout);
	free(p);
	free(scratch);
	free(a);
	free(b);
}
END_TEST

/* inputs for the exp tests: normal values, values past both clamp ends,
 * infinities and a NaN */
static void special_values(float *g, size_t n)
{
	static const float sp[] = { 87.5f, -87.5f, 88.5f, -88.5f, 100.0f, -100.0f, 1e30f, -1e30f, 0.0f, -0.0f };
	for (size_t i = 0; i < sizeof sp / sizeof *sp && i * 7 < n; i++)
		g[i * 7] = sp[i];
	if (n > 90) {
		g[80] = INFINITY;
		g[85] = -INFINITY;
		g[90] = NAN;
	}
}

START_TEST(test_swiglu_forward_exp)
{
	threads(_i);
	size_t n = (size_t)B * T;
	float *gu = rand_f(n * 2 * INTER, 4.0), *act = malloc(n * INTER * sizeof *act);
	special_values(gu, n * 2 * INTER);
	ck_assert_uint_gt(count_unrounded(gu, n * 2 * INTER), n * INTER);
	swiglu_forward_bf16(act, gu, (int)n, INTER);
	float *want = malloc(n * INTER * sizeof *want);
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < INTER; j++) {
			/* gate and up rounded as they are read */
			float g = bf16_round(gu[i * 2 * INTER + j]), u = bf16_round(gu[i * 2 * INTER + INTER + j]);
			volatile float e = exp_f32(-g); /* the scalar formula, one element at a time */
			float s = bf16_round(g / (1.0f + e));
			want[i * INTER + j] = bf16_round(s * u);
		}
	assert_same(want, act, n * INTER, "swiglu_forward_bf16 against its formula");
	free(gu);
	free(act);
	free(want);
}
END_TEST

/* the ops that round their input as they read it: the same bits as
 * rounding the input first (the add and norm, the SwiGLU, RoPE's rows) */
START_TEST(test_round_on_read)
{
	threads(_i);
	size_t n = (size_t)B * T;
	float *x = rand_f(n * D, 1.0), *r = rand_f(n * D, 1.0), *rr = dup_f(r, n * D);
	round_bf16(x, n * D);
	round_bf16(rr, n * D);
	ck_assert_uint_gt(count_unrounded(r, n * D), n * D / 2);
	float *a = dup_f(x, n * D), *b = dup_f(x, n * D);
	add_rmsnorm_forward_bf16(a, r, (int)n, D, 1e-5f);
	add_rmsnorm_forward_bf16(b, rr, (int)n, D, 1e-5f);
	assert_same(b, a, n * D, "add_rmsnorm_forward_bf16 on an unrounded r");

	float *gu = rand_f(n * 2 * INTER, 2.0), *gr = dup_f(gu, n * 2 * INTER);
	round_bf16(gr, n * 2 * INTER);
	float *act = malloc(n * INTER * sizeof *act), *want = malloc(n * INTER * sizeof *want);
	swiglu_forward_bf16(act, gu, (int)n, INTER);
	swiglu_forward_bf16(want, gr, (int)n, INTER);
	assert_same(want, act, n * INTER, "swiglu_forward_bf16 on an unrounded gu");

	size_t nq = n * 3 * D;
	float *q = rand_f(nq, 1.0), *qr = dup_f(q, nq);
	round_bf16(qr, nq);
	rope_forward_bf16(q, rc, rs, B, T, HEADS, HD);
	rope_forward_ex(qr, rc, rs, B, T, HEADS, HD, 1);
	assert_same(qr, q, nq, "rope_forward_bf16 on unrounded rows (v too)");
	free(x), free(r), free(rr), free(a), free(b), free(gu), free(gr), free(act), free(want), free(q), free(qr);
}
END_TEST

/* a random model of one H and one L block, d 32 in 2 heads, bf16 weights
 * prepared: kind 0 HRM with RoPE, 1 HRM with learned positions, 2 TRM
 * with mlp_t; seq_len cells */
static void small_model(struct hrm_model *m, int kind, int seq_len, uint64_t seed)
{
	struct hrm_config cfg;
	char *cause = NULL;
	if (kind == 2) {
		hrm_config_default_trm(&cfg);
		cfg.mlp_t = true;
		cfg.pos_encodings = HRM_POS_NONE;
		cfg.puzzle_emb_len_key = 2;
		cfg.puzzle_emb_ndim = 32;
	} else {
		hrm_config_default(&cfg);
		cfg.pos_encodings = kind == 0 ? HRM_POS_ROPE : HRM_POS_LEARNED;
		cfg.puzzle_emb_ndim = 0;
	}
	cfg.hidden_size = 32;
	cfg.num_heads = 2;
	cfg.H_layers = 1;
	cfg.L_layers = 1;
	cfg.num_puzzle_identifiers = 1;
	cfg.vocab_size = 6;
	cfg.seq_len = seq_len;
	ck_assert_msg(hrm_model_alloc(m, &cfg, &cause) == 0, "%s", cause);
	hrm_model_init_random(m, seed);
	ck_assert_msg(hrm_model_prepare_bf16(m, &cause) == 0, "%s", cause);
}

/* its RoPE tables ([T][head_dim] each), or NULL without RoPE */
static void small_rope(const struct hrm_config *c, float **cs, float **sn)
{
	*cs = *sn = NULL;
	if (c->pos_encodings != HRM_POS_ROPE)
		return;
	*cs = malloc((size_t)c->T * c->head_dim * sizeof **cs);
	*sn = malloc((size_t)c->T * c->head_dim * sizeof **sn);
	ck_assert(*cs != NULL && *sn != NULL);
	rope_tables(*cs, *sn, c->T, c->head_dim, c->rope_theta);
}

/* the block forward with every linear rounding its own output, op after op
 * (what hrm_block_forward_bf16 computed before its linears left the
 * rounding to their readers) */
static void block_unfused(struct block_scratch *s, const struct hrm_bf16_block *bw, const struct hrm_config *c,
			  int nb, int nt, const float *cs, const float *sn, float *h)
{
	int n = nb * nt, d = c->hidden_size;
	float eps = (float)c->rms_norm_eps;
	if (c->mlp_t) {
		int nn = nb * d;
		hrm_transpose_rows(s->attn, h, nb, nt, d);
		linear_bf16(s->t_gu, s->attn, bw->t_gate_up, nn);
		swiglu_forward_bf16(s->t_act, s->t_gu, nn, c->inter_t);
		linear_bf16(s->qkv, s->t_act, bw->t_down, nn);
		add_rmsnorm_forward_bf16(s->attn, s->qkv, nn, nt, eps);
		hrm_transpose_rows(h, s->attn, nb, d, nt);
	} else {
		linear_bf16(s->qkv, h, bw->qkv, n);
		if (cs != NULL)
			rope_forward_ex(s->qkv, cs, sn, nb, nt, c->num_heads, c->head_dim, 1);
		attention_forward_bf16(s->attn, s->qkv, s->scores, attention_scratch_floats(nt), nb, nt,
				       c->num_heads, c->head_dim);
		linear_bf16(s->proj, s->attn, bw->o, n);
		add_rmsnorm_forward_bf16(h, s->proj, n, d, eps);
	}
	linear_bf16(s->gu, h, bw->gate_up, n);
	swiglu_forward_bf16(s->act, s->gu, n, c->inter);
	linear_bf16(s->proj, s->act, bw->down, n);
	add_rmsnorm_forward_bf16(h, s->proj, n, d, eps);
}

/* _i: 0 HRM with RoPE, 1 HRM with learned positions, 2 TRM with mlp_t;
 * on two threads */
START_TEST(test_block_forward_unfused)
{
	hrm_set_threads(2);
	struct hrm_model m;
	small_model(&m, _i, 40, 7);
	const struct hrm_config *c = &m.cfg;
	int nb = 2, nt = c->T, d = c->hidden_size;
	size_t n = (size_t)nb * nt * d;
	float *cs, *sn;
	small_rope(c, &cs, &sn);
	struct block_scratch s;
	ck_assert(block_scratch_alloc(&s, c, nb, nt) == 0);
	float *a = rand_f(n, 1.0);
	round_bf16(a, n);
	float *b = dup_f(a, n);
	hrm_block_forward_bf16(&s, &m.bf16->L[0], c, nb, nt, cs, sn, a);
	block_unfused(&s, &m.bf16->L[0], c, nb, nt, cs, sn, b);
	ck_assert_uint_eq(count_unrounded(a, n), 0);
	assert_same(b, a, n, "hrm_block_forward_bf16 against the block with rounding linears");
	block_scratch_free(&s);
	hrm_model_free(&m);
	free(cs), free(sn), free(a), free(b);
}
END_TEST

/* the bf16 training block, forward and backward, with the linears' input
 * bits kept by the forward for the weight gradients (block_cache: in_b ...)
 * and without (no_bits: converted as the products go): the same output,
 * input gradient and weight gradients, bit for bit.  _i: 0 HRM with RoPE,
 * 1 TRM with mlp_t; on two threads. */
START_TEST(test_block_train_bits)
{
	hrm_set_threads(2);
	struct hrm_model m, g[2];
	char *cause = NULL;
	small_model(&m, _i == 1 ? 2 : 0, 40, 11);
	const struct hrm_config *c = &m.cfg;
	int nb = 3, nt = c->T, d = c->hidden_size;
	size_t n = (size_t)nb * nt * d;
	float *cs, *sn;
	small_rope(c, &cs, &sn);
	float *h0 = rand_f(n, 1.0), *dy = rand_f(n, 1.0), *h[2], *dh[2];
	round_bf16(h0, n);
	round_bf16(dy, n);
	for (int k = 0; k < 2; k++) {
		ck_assert_msg(hrm_model_alloc(&g[k], c, &cause) == 0, "%s", cause);
		memset(g[k].arena, 0, g[k].arena_floats * sizeof(float));
		struct block_cache *bc = block_cache_new(c, nb, nt, &cause);
		ck_assert_msg(bc != NULL, "%s", cause);
		bc->no_bits = k;
		h[k] = dup_f(h0, n);
		dh[k] = dup_f(dy, n);
		block_forward_train_bf16(bc, &m.bf16->L[0], c, nb, nt, h[k], cs, sn);
		ck_assert_int_eq(bc->bits, k == 0 && bf16_bits_usable());
		block_backward(bc, &m.w.L[0], &g[k].w.L[0], dh[k]);
		block_cache_free(bc);
	}
	assert_same(h[1], h[0], n, "bf16 training forward with and without kept bits");
	assert_same(dh[1], dh[0], n, "bf16 input gradient with and without kept bits");
	assert_same(g[1].arena, g[0].arena, g[0].arena_floats, "bf16 weight gradients with and without kept bits");
	size_t nz = 0; /* the block's weights are about half the model's */
	for (size_t i = 0; i < g[0].arena_floats; i++)
		nz += g[0].arena[i] != 0.0f;
	ck_assert_uint_gt(nz, g[0].arena_floats / 4);
	for (int k = 0; k < 2; k++) {
		hrm_model_free(&g[k]);
		free(h[k]), free(dh[k]);
	}
	hrm_model_free(&m);
	free(cs), free(sn), free(h0), free(dy);
}
END_TEST

/* the attention probabilities of a training block: fp32 over more than
 * one tile (T 300) recomputes them and never allocates them; bf16 saves
 * them; fp32 within one tile (T 40) saves them */
START_TEST(test_cache_probs)
{
	hrm_set_threads(2);
	static const int seqs[] = { 300, 40 };
	for (int k = 0; k < 2; k++) {
		struct hrm_model m;
		char *cause = NULL;
		small_model(&m, 0, seqs[k], 5);
		const struct hrm_config *c = &m.cfg;
		int nt = c->T;
		size_t n = (size_t)nt * c->hidden_size;
		float *cs, *sn;
		small_rope(c, &cs, &sn);
		struct block_cache *bc = block_cache_new(c, 1, nt, &cause);
		ck_assert_msg(bc != NULL, "%s", cause);
		float *h = rand_f(n, 1.0);
		round_bf16(h, n);
		block_forward_train(bc, &m.w.L[0], c, 1, nt, h, cs, sn);
		int big = attn_tile_rows(nt) < nt;
		ck_assert_int_eq(bc->probs_saved, !big);
		ck_assert_msg(big ? bc->probs == NULL : bc->probs != NULL, "T %d: fp32 probabilities %s", nt,
			      bc->probs ? "allocated" : "not allocated");
		block_forward_train_bf16(bc, &m.bf16->L[0], c, 1, nt, h, cs, sn);
		ck_assert(bc->probs != NULL && bc->probs_saved);
		block_forward_train(bc, &m.w.L[0], c, 1, nt, h, cs, sn);
		ck_assert_int_eq(bc->probs_saved, !big);
		block_cache_free(bc);
		hrm_model_free(&m);
		free(cs), free(sn), free(h);
	}
}
END_TEST

/* every path of softmax_rows: rows one by one and four at a time
 * (row_sums8), maxima in one scan (fewer than 64 columns) and in 64 lanes
 * with and without a tail, the largest value anywhere in the row */
START_TEST(test_softmax_exp)
{
	static const int col_counts[] = { 1, 7, 8, 63, 64, 65, 133, 901 };
	for (size_t c = 0; c < sizeof col_counts / sizeof col_counts[0]; c++)
		for (int rows = 1; rows <= 9; rows++) {
			int cols = col_counts[c];
			size_t n = (size_t)rows * cols;
			float *m = rand_f(n, 30.0);
			if (cols > 4) {
				m[3] = -1e30f;
				m[(size_t)(rows - 1) * cols + 4] = -INFINITY;
			}
			m[(size_t)(rows / 2) * cols + (size_t)(cols - 1)] = 40.0f; /* a maximum in the tail */
			float *want = dup_f(m, n);
			softmax_rows(m, rows, cols);
			for (int i = 0; i < rows; i++) {
				float *r = want + (size_t)i * cols, mx = r[0];
				for (int j = 1; j < cols; j++)
					mx = r[j] > mx ? r[j] : mx;
				float acc[8] = { 0 };
				for (int j = 0; j < cols; j++) {
					volatile float e = exp_f32(r[j] - mx);
					r[j] = e;
					acc[j % 8] += e;
				}
				float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
				float inv = 1.0f / sum;
				for (int j = 0; j < cols; j++)
					r[j] *= inv;
			}
			assert_same(want, m, n, "softmax_rows against its formula");
			/* the attention's form: the scale applied inside is the
			 * same as multiplying the rows first (1/sqrt(24) is no
			 * power of two: the products round) */
			static const float scales[] = { 0.25f, 0.20412415f };
			for (int si = 0; si < 2; si++) {
				float *a = rand_f(n, 30.0), *pre = dup_f(a, n);
				for (size_t e = 0; e < n; e++)
					pre[e] *= scales[si];
				softmax_rows(pre, rows, cols);
				softmax_rows_scaled(a, rows, cols, scales[si]);
				assert_same(pre, a, n, "softmax_rows_scaled against scaling first");
				free(a);
				free(pre);
			}
			free(m);
			free(want);
		}
}
END_TEST

/* softmax_backward_rows against its formula, one row at a time: the order
 * of its sums is part of the training's bits */
START_TEST(test_softmax_backward_rows)
{
	static const int sizes[] = { 1, 3, 4, 5, 8, 9, 67, 133 };
	for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
		int n = sizes[c];
		size_t nn = (size_t)n * n;
		float *ds = rand_f(nn, 2.0), *p = rand_f(nn, 1.0);
		float *want = dup_f(ds, nn);
		softmax_backward_rows(ds, p, n);
		for (int i = 0; i < n; i++) {
			float *dr = want + (size_t)i * n;
			const float *pr = p + (size_t)i * n;
			float acc[8] = { 0 };
			for (int j = 0; j < n; j++) {
				volatile float t = dr[j] * pr[j];
				acc[j % 8] += t;
			}
			float dot = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
			for (int j = 0; j < n; j++)
				dr[j] = pr[j] * (dr[j] - dot);
		}
		assert_same(want, ds, nn, "softmax_backward_rows against its formula");
		free(ds);
		free(p);
		free(want);
	}
}
END_TEST

/* Attention over more positions than one tile (T 300: tiles of 128, 128
 * and 44 query rows), heads of 16 as the maze models have: the forward
 * that keeps its tiles in scratch writes the same bits as the one that
 * saves the probabilities, and the backward that computes them again
 * (probs NULL) agrees with the one that reads them back, up to the order
 * of the sums of dV and dK over the tiles; its own answer does not depend
 * on the threads. */
START_TEST(test_attention_recompute)
{
	enum { RB = 2, RT = 300, RH = 2, RHD = 16, RD = RH * RHD };
	size_t n = (size_t)RB * RT * 3 * RD, no = (size_t)RB * RT * RD;
	float *qkv = rand_f(n, 2.0), *dout = rand_f(no, 1.0);
	float *probs = malloc((size_t)RB * RH * RT * RT * sizeof *probs);
	size_t sc = (size_t)RT * RT * 2;
	float *scratch = malloc(sc * sizeof *scratch);
	float *o1 = malloc(no * sizeof *o1), *o2 = malloc(no * sizeof *o2);
	float *saved = malloc(n * sizeof *saved), *re1 = malloc(n * sizeof *re1), *re2 = malloc(n * sizeof *re2);
	hrm_set_threads(2);
	attention_forward_tiled(o1, qkv, probs, NULL, 0, RB, RT, RH, RHD);
	attention_forward_tiled(o2, qkv, NULL, scratch, sc, RB, RT, RH, RHD);
	assert_same(o1, o2, no, "attention forward with and without saved probabilities");
	attention_backward_n(saved, dout, qkv, probs, scratch, sc, RB, RT, RH, RHD);
	attention_backward_n(re2, dout, qkv, NULL, scratch, sc, RB, RT, RH, RHD);
	hrm_set_threads(1);
	attention_backward_n(re1, dout, qkv, NULL, scratch, sc, RB, RT, RH, RHD);
	assert_same(re1, re2, n, "recomputing attention backward on 1 and 2 threads");
	/* from the forward's softmax statistics: the same bits */
	float *stats = malloc((size_t)RB * RH * RT * 2 * sizeof *stats), *o3 = malloc(no * sizeof *o3);
	float *rs3 = malloc(n * sizeof *rs3);
	hrm_set_threads(2);
	attention_forward_stats(o3, qkv, NULL, stats, scratch, sc, RB, RT, RH, RHD);
	assert_same(o1, o3, no, "attention forward keeping its softmax statistics");
	attention_backward_stats(rs3, dout, qkv, NULL, stats, scratch, sc, RB, RT, RH, RHD, 0);
	assert_same(re2, rs3, n, "recomputing attention backward from the softmax statistics");
	free(stats), free(o3), free(rs3);
	double big = 0, err = 0;
	for (size_t i = 0; i < n; i++)
		big = fabs(saved[i]) > big ? fabs(saved[i]) : big;
	/* float32 sums of 128-row parts against one product over 300 rows;
	 * a NaN anywhere fails too (!(e <= tol)) */
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)saved[i] - re1[i]);
		bad += !(e <= 1e-5 * big);
		err = e > err ? e : err;
	}
	ck_assert_msg(big > 0 && bad == 0, "recomputing backward: %zu values off by more than 1e-5 of the largest, %g "
		      "(max difference %g)", bad, big, err);
	free(qkv), free(dout), free(probs), free(scratch), free(o1), free(o2), free(saved), free(re1), free(re2);
}
END_TEST

static Suite *fused_suite(void)
{
	Suite *s = suite_create("fused_bf16");
	TCase *tc = tcase_create("fused");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_rope_ex, 0, 2);
	tcase_add_loop_test(tc, test_rmsnorm_bwd_ex, 0, 2);
	tcase_add_loop_test(tc, test_swiglu_bwd_ex, 0, 2);
	tcase_add_loop_test(tc, test_attention_bwd_ex, 0, 2);
	tcase_add_loop_test(tc, test_swiglu_forward_exp, 0, 2);
	tcase_add_loop_test(tc, test_round_on_read, 0, 2);
	tcase_add_loop_test(tc, test_block_forward_unfused, 0, 3);
	tcase_add_loop_test(tc, test_block_train_bits, 0, 2);
	tcase_add_test(tc, test_cache_probs);
	tcase_add_test(tc, test_softmax_exp);
	tcase_add_test(tc, test_softmax_backward_rows);
	tcase_add_test(tc, test_attention_recompute);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(fused_suite(), "check_fused_bf16");
}
