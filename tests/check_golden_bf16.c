/* check_golden_bf16.c - the engine's bf16 arithmetic (--dtype bf16) against
 * the PyTorch reference in torch.bfloat16 (tests/reference/hrm_ref.py,
 * "bfloat16 mode"; traces `trace_bf16` written by make_golden.py):
 *
 * - every op of one block of each level (the bf16 linear, RoPE, attention,
 *   residual + rms_norm, SwiGLU), each from the reference's own input;
 * - every L-step, H-step, probe, z_L decode, logits and q, each from the
 *   reference's own state; same argmax everywhere;
 * - free-running trajectories over 16 segments;
 * - the shipped maze model on 100 mazes: the predictions after every
 *   segment equal the reference's (golden/maze_bf16).
 *
 * Both sides round at the same points (HRM-SPEC, "The official arithmetic is
 * bfloat16"), and a product of two bf16 values is exact in fp32, so the only
 * freedom left is the order of the fp32 sums inside the matrix products and
 * reductions (oneDNN's blocking here, torch's there), plus the last fp32 bit
 * of exp/rsqrt.  Such a difference changes an fp32 result by an fp32 ulp or
 * so and flips its bf16 rounding only when it lies within that distance of a
 * rounding midpoint: a few elements in a thousand move by one bf16 ulp, and
 * everything computed from them follows.  The bounds below are set from
 * measurements (HRM_GOLDEN_BF16_REPORT=1 prints them); see each one. */
#include "model/engine.h"
#include "model/forward.h"
#include "model/gemm_bf16.h"
#include "model/hrm.h"
#include "model/ops.h"
#include "model/ops_bf16.h"
#include "io/checkpoint.h"
#include "io/torchzip.h"
#include "core/half.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Differences between two arrays of bf16 values. */
struct diff {
	size_t n, ndiff;   /* values, values not bit-equal */
	double max_ulp;    /* max |a - b| in bf16 ulps of the reference value */
	double rel;        /* ||a - b|| / ||b|| */
};

/* the bf16 ulp at |v|: 2^(exponent - 7) (8 significant bits) */
static double bf16_ulp(double v)
{
	int e;
	v = fabs(v);
	if (v < 1e-30)
		return ldexp(1.0, -133);
	frexp(v, &e); /* v = f * 2^e, f in [0.5, 1) */
	return ldexp(1.0, e - 8);
}

static struct diff diff_of(const float *a, const float *b, size_t n)
{
	struct diff d = { .n = n };
	double dd = 0, bb = 0;
	for (size_t i = 0; i < n; i++) {
		double df = (double)a[i] - b[i];
		if (a[i] != b[i]) {
			d.ndiff++;
			double u = fabs(df) / bf16_ulp(b[i]);
			if (u > d.max_ulp)
				d.max_ulp = u;
		}
		dd += df * df;
		bb += (double)b[i] * b[i];
	}
	d.rel = bb > 0 ? sqrt(dd / bb) : sqrt(dd);
	return d;
}

static int report(void)
{
	const char *r = getenv("HRM_GOLDEN_BF16_REPORT");
	return r != NULL && *r != '\0' && *r != '0';
}

struct gold {
	char dir[512];
	struct hrm_model m;
	struct tz_archive tr;
	struct hrm_engine *e;
	int B, S, T, V, nseg, Hc, Lc, Lp, d;
	size_t state_n; /* B*T*d */
	/* worst per kind over the case, for the report */
	struct diff worst_op, worst_step, worst_out;
	size_t vals_step, diffs_step;
	int argmax_excused;
};

static const struct tz_tensor *need(struct gold *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const struct tz_tensor *need(struct gold *g, const char *fmt, ...)
{
	char name[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	const struct tz_tensor *t = tz_find(&g->tr, name);
	ck_assert_msg(t != NULL, "%s: trace_bf16 has no tensor '%s'", g->dir, name);
	return t;
}

static float *as_f32(const struct tz_tensor *t)
{
	float *v = xmalloc((size_t)t->numel * sizeof *v);
	tz_to_f32(t, v);
	return v;
}

static void gold_open(struct gold *g, const char *model_case, const char *trace_case)
{
	memset(g, 0, sizeof *g);
	snprintf(g->dir, sizeof g->dir, "%s/%s", FIXTURES_DIR, model_case);
	char *cause = NULL, path[600];
	ck_assert_msg(hrm_model_load(&g->m, g->dir, &cause) == 0, "load %s: %s", g->dir, cause);
	ck_assert_msg(hrm_model_prepare_bf16(&g->m, &cause) == 0, "%s", cause);
	snprintf(path, sizeof path, "%s/%s/trace_bf16", FIXTURES_DIR, trace_case);
	ck_assert_msg(tz_load(path, &g->tr, &cause) == 0, "load %s: %s", path, cause);
	const struct tz_tensor *meta = need(g, "meta");
	ck_assert_int_eq(meta->numel, 8);
	float mf[8];
	tz_to_f32(meta, mf);
	g->B = (int)mf[0]; g->S = (int)mf[1]; g->T = (int)mf[2]; g->V = (int)mf[3];
	g->nseg = (int)mf[4]; g->Hc = (int)mf[5]; g->Lc = (int)mf[6]; g->Lp = (int)mf[7];
	g->d = g->m.cfg.hidden_size;
	ck_assert_int_eq(g->m.cfg.vocab_size, g->V);
	ck_assert_int_eq(g->m.cfg.H_cycles, g->Hc);
	ck_assert_int_eq(g->m.cfg.L_cycles, g->Lc);
	ck_assert_int_eq(g->m.cfg.puzzle_emb_len, g->Lp);
	g->e = hrm_engine_new_dtype(&g->m, g->B, g->S, HRM_DTYPE_BF16, &cause);
	ck_assert_msg(g->e != NULL, "engine: %s", cause);
	ck_assert_int_eq(hrm_engine_dtype(g->e), HRM_DTYPE_BF16);
	ck_assert_int_eq(hrm_engine_T(g->e), g->T);
	g->state_n = (size_t)g->B * g->T * g->d;

	const struct tz_tensor *in = need(g, "inputs"), *pid = need(g, "puzzle_identifiers");
	ck_assert(in->dtype == TZ_I32 && pid->dtype == TZ_I32);
	ck_assert_msg(hrm_engine_set_inputs(g->e, (const int32_t *)in->data, (const int32_t *)pid->data, &cause) == 0,
		      "%s", cause);
}

static void gold_close(struct gold *g)
{
	hrm_engine_free(g->e);
	tz_free(&g->tr);
	hrm_model_free(&g->m);
}

static void keep_worst(struct diff *w, struct diff d)
{
	if (d.max_ulp > w->max_ulp)
		w->max_ulp = d.max_ulp;
	if (d.rel > w->rel)
		w->rel = d.rel;
	if (w->n == 0 || (double)d.ndiff / d.n > (double)w->ndiff / w->n) {
		w->ndiff = d.ndiff;
		w->n = d.n;
	}
}

/* Bounds for values computed from the reference's own input.
 *
 * Measured (HRM_GOLDEN_BF16_REPORT=1, oneDNN avx512_core_bf16 here): every
 * op of both blocks, on every case, bit-equal to the reference; every L-step,
 * H-step, probe, decode, logits and q bit-equal too, except one z_L value one
 * ulp off in `roundtrip` (1 of 7776 step values; relative error 1.2e-4 in
 * that step).  Another backend (sgemm on bf16 values, another ISA) sums in
 * another order and may flip a few more roundings, so the bounds allow a
 * one-ulp difference on 1% of an op's values, and for a step (a chain of
 * about 12 rounded ops, where a flipped value feeds the rest) 4% of the
 * values and a relative error of 2e-3 (one bf16 ulp is 2^-8..2^-7 relative).
 * An op that skips one of its roundings moves a quarter to a half of its
 * values (e.g. silu without its own rounding: 29%); the bf16 step against an
 * fp32 step differs by about 1e-2. */
#define OP_MAX_ULP 1.0
#define OP_MAX_FRAC 0.01
#define STEP_MAX_FRAC 0.04
#define STEP_REL 2e-3
/* ... and, whatever the fraction, a flipped rounding and what it feeds in
 * the two or three positions it reaches: the TRM fixtures' states are
 * 400 values (d 8) and their probes 108.  Measured on
 * golden_trm/att_rope_lp16 (rope attention over 25 positions, 16 of them
 * the prefix): one H-step from the reference's state with 17 of 400 z_H
 * values 1-5 ulps off (relative error 1.1e-3), and the probe before it 8
 * of 108; every op of the first block bit-equal, the mlp_t cases bit-equal
 * throughout. */
#define STEP_MAX_ABS 24
/* q: two fp32 numbers per row, each one bf16 rounding of an fp32 sum */
#define Q_MAX_ULP 1.0

static void expect_op(struct gold *g, const char *what, const float *got, const struct tz_tensor *want)
{
	float *w = as_f32(want);
	struct diff d = diff_of(got, w, (size_t)want->numel);
	free(w);
	keep_worst(&g->worst_op, d);
	if (report())
		fprintf(stderr, "bf16 %s: %-28s %5zu/%-6zu differ, max %.0f ulp, rel %.2e\n", g->dir + strlen(FIXTURES_DIR) + 1,
			what, d.ndiff, d.n, d.max_ulp, d.rel);
	ck_assert_msg(d.max_ulp <= OP_MAX_ULP && (double)d.ndiff <= OP_MAX_FRAC * d.n,
		      "%s: op %s: %zu of %zu values differ, by up to %.1f bf16 ulps (bound %.0f ulp on %.0f%%)", g->dir,
		      what, d.ndiff, d.n, d.max_ulp, OP_MAX_ULP, 100 * OP_MAX_FRAC);
}

static void expect_step(struct gold *g, const char *what, const float *got, const struct tz_tensor *want)
{
	float *w = as_f32(want);
	struct diff d = diff_of(got, w, (size_t)want->numel);
	free(w);
	keep_worst(&g->worst_step, d);
	g->vals_step += d.n;
	g->diffs_step += d.ndiff;
	if (report())
		fprintf(stderr, "bf16 %s: %-28s %5zu/%-6zu differ, max %.0f ulp, rel %.2e\n", g->dir + strlen(FIXTURES_DIR) + 1,
			what, d.ndiff, d.n, d.max_ulp, d.rel);
	ck_assert_msg(d.rel <= STEP_REL && ((double)d.ndiff <= STEP_MAX_FRAC * d.n || d.ndiff <= STEP_MAX_ABS),
		      "%s: %s: %zu of %zu values differ (bound %.0f%%), relative error %.3g > %.1g", g->dir, what,
		      d.ndiff, d.n, 100 * STEP_MAX_FRAC, d.rel, STEP_REL);
}

/* Same argmax per cell as the reference's logits, except where the
 * reference's top two are within `slack` ulps of its top value (a near-tie
 * that one ulp of one logit can break either way); ties break to the lower
 * index on both sides. */
static void expect_argmax(struct gold *g, const char *what, const float *got, const struct tz_tensor *want,
			  double slack)
{
	float *w = as_f32(want);
	int cells = (int)(want->numel / g->V), bad = 0;
	for (int c = 0; c < cells; c++) {
		const float *a = got + (size_t)c * g->V, *b = w + (size_t)c * g->V;
		int ia = argmax_f32(a, g->V), ib = argmax_f32(b, g->V);
		if (ia == ib)
			continue;
		if (fabs((double)b[ib] - b[ia]) <= slack * bf16_ulp(b[ib])) {
			g->argmax_excused++;
			continue;
		}
		bad++;
		if (bad <= 3)
			fprintf(stderr, "%s: %s cell %d: argmax %d, reference %d (reference logits %g, %g)\n", g->dir,
				what, c, ia, ib, (double)b[ia], (double)b[ib]);
	}
	free(w);
	ck_assert_msg(bad == 0, "%s: %s: %d of %d cells have another argmax", g->dir, what, bad, cells);
}

/* q: two fp32 numbers per row, each a bf16 rounding of a sum. */
static void expect_q(struct gold *g, const char *what, const float *got, const struct tz_tensor *want)
{
	float *w = as_f32(want);
	struct diff d = diff_of(got, w, (size_t)want->numel);
	free(w);
	keep_worst(&g->worst_out, d);
	if (report())
		fprintf(stderr, "bf16 %s: %-28s %5zu/%-6zu differ, max %.0f ulp, rel %.2e\n", g->dir + strlen(FIXTURES_DIR) + 1,
			what, d.ndiff, d.n, d.max_ulp, d.rel);
	ck_assert_msg(d.max_ulp <= Q_MAX_ULP, "%s: %s: %zu of %zu differ by up to %.1f bf16 ulps (bound %.0f)", g->dir,
		      what, d.ndiff, d.n, d.max_ulp, Q_MAX_ULP);
}

/* The channel SwiGLU sub-layer from the reference's h1 (both block kinds). */
static void check_channel_ops(struct gold *g, const char *lv, const struct hrm_bf16_block *bw, float *y)
{
	const struct hrm_config *c = &g->m.cfg;
	int n = g->T, d = g->d;
	char what[64];
#define OP(k) need(g, "op.%s." k, lv)
#define CHECK(k) (snprintf(what, sizeof what, "%s block 0 %s", lv, k), expect_op(g, what, y, OP(k)))
	float *h1 = as_f32(OP("h1")), *gu = as_f32(OP("gu")), *act = as_f32(OP("act")), *down = as_f32(OP("down"));
	linear_bf16(y, h1, bw->gate_up, n);
	CHECK("gu");
	swiglu_forward_bf16(y, gu, n, c->inter);
	CHECK("act");
	linear_bf16(y, act, bw->down, n);
	CHECK("down");
	memcpy(y, h1, (size_t)n * d * sizeof *y);
	add_rmsnorm_forward_bf16(y, down, n, d, (float)c->rms_norm_eps);
	CHECK("h2");
#undef CHECK
#undef OP
	free(h1);
	free(gu);
	free(act);
	free(down);
}

/* TRM's mlp_t block (batch row 0): the SwiGLU over positions on the
 * transposed input [d][T], the norm over positions, then the channel part. */
static void check_mlp_t_ops(struct gold *g, const char *lv, const struct hrm_bf16_block *bw)
{
	const struct hrm_config *c = &g->m.cfg;
	int T = g->T, d = g->d, it = c->inter_t;
	size_t big = (size_t)d * 2 * it > (size_t)T * 2 * c->inter ? (size_t)d * 2 * it : (size_t)T * 2 * c->inter;
	float *y = xmalloc(big * sizeof *y), *u = xmalloc((size_t)d * T * sizeof *u);
	char what[64];
#define OP(k) need(g, "op.%s." k, lv)
#define CHECK(k) (snprintf(what, sizeof what, "%s block 0 %s", lv, k), expect_op(g, what, y, OP(k)))
	float *in = as_f32(OP("in")), *tgu = as_f32(OP("t_gu")), *tact = as_f32(OP("t_act"));
	float *tdown = as_f32(OP("t_down"));
	hrm_transpose_rows(u, in, 1, T, d);
	linear_bf16(y, u, bw->t_gate_up, d);
	CHECK("t_gu");
	swiglu_forward_bf16(y, tgu, d, it);
	CHECK("t_act");
	linear_bf16(y, tact, bw->t_down, d);
	CHECK("t_down");
	memcpy(y, u, (size_t)d * T * sizeof *y);
	add_rmsnorm_forward_bf16(y, tdown, d, T, (float)c->rms_norm_eps);
	CHECK("t_h1");
	hrm_transpose_rows(u, y, 1, d, T);
	memcpy(y, u, (size_t)d * T * sizeof *y);
	CHECK("h1");
#undef CHECK
#undef OP
	check_channel_ops(g, lv, bw, y);
	free(in);
	free(tgu);
	free(tact);
	free(tdown);
	free(u);
	free(y);
}

/* The ops of one block from the reference's intermediates (op.L.*, op.H.*:
 * batch row 0 of the first block's call in the first L and H step). */
static void check_block_ops(struct gold *g, const char *lv, const struct hrm_bf16_block *bw)
{
	const struct hrm_config *c = &g->m.cfg;
	int n = g->T, d = g->d, inter = c->inter; /* batch row 0 */
	float *y = xmalloc((size_t)n * 2 * inter * sizeof *y);
	char what[64];
#define OP(k) need(g, "op.%s." k, lv)
#define CHECK(k) (snprintf(what, sizeof what, "%s block 0 %s", lv, k), expect_op(g, what, y, OP(k)))
	if (c->mlp_t) {
		free(y);
		check_mlp_t_ops(g, lv, bw);
		return;
	}
	float *in = as_f32(OP("in")), *qkv = as_f32(OP("qkv")), *qkv_rope = as_f32(OP("qkv_rope"));
	float *attn = as_f32(OP("attn")), *o = as_f32(OP("o")), *h1 = as_f32(OP("h1"));
	float *gu = as_f32(OP("gu")), *act = as_f32(OP("act")), *down = as_f32(OP("down"));

	linear_bf16(y, in, bw->qkv, n);
	CHECK("qkv");
	memcpy(y, qkv, (size_t)n * 3 * d * sizeof *y);
	if (c->pos_encodings == HRM_POS_ROPE) {
		float *cs = xmalloc((size_t)g->T * c->head_dim * sizeof *cs);
		float *sn = xmalloc((size_t)g->T * c->head_dim * sizeof *sn);
		rope_tables(cs, sn, g->T, c->head_dim, c->rope_theta);
		rope_forward_bf16(y, cs, sn, 1, g->T, c->num_heads, c->head_dim);
		free(cs);
		free(sn);
	}
	CHECK("qkv_rope");
	size_t sc = attention_scratch_floats(g->T);
	float *scratch = xmalloc(sc * sizeof *scratch);
	attention_forward_bf16(y, qkv_rope, scratch, sc, 1, g->T, c->num_heads, c->head_dim);
	free(scratch);
	CHECK("attn");
	linear_bf16(y, attn, bw->o, n);
	CHECK("o");
	memcpy(y, in, (size_t)n * d * sizeof *y);
	add_rmsnorm_forward_bf16(y, o, n, d, (float)c->rms_norm_eps);
	CHECK("h1");
	linear_bf16(y, h1, bw->gate_up, n);
	CHECK("gu");
	swiglu_forward_bf16(y, gu, n, inter);
	CHECK("act");
	linear_bf16(y, act, bw->down, n);
	CHECK("down");
	memcpy(y, h1, (size_t)n * d * sizeof *y);
	add_rmsnorm_forward_bf16(y, down, n, d, (float)c->rms_norm_eps);
	CHECK("h2");
#undef CHECK
#undef OP
	free(in);
	free(qkv);
	free(qkv_rope);
	free(attn);
	free(o);
	free(h1);
	free(gu);
	free(act);
	free(down);
	free(y);
}

/* model case, trace case: torch2_layout and zip64 hold rope_pe's weights in
 * other archive layouts and are checked against rope_pe's trace */
static const char *const cases[][2] = {
	{ "golden/rope_pe", "golden/rope_pe" },
	{ "golden/learned_nope", "golden/learned_nope" },
	{ "golden/rope_lp2", "golden/rope_lp2" },
	{ "golden/torch2_layout", "golden/rope_pe" },
	{ "golden/zip64", "golden/rope_pe" },
	{ "golden/roundtrip", "golden/roundtrip" },
	/* TRM (make_golden_trm.py) */
	{ "golden_trm/att_rope_lp16", "golden_trm/att_rope_lp16" },
	{ "golden_trm/mlpt_none_lp16_h3l6", "golden_trm/mlpt_none_lp16_h3l6" },
	{ "golden_trm/mlpt_learned_lp0", "golden_trm/mlpt_learned_lp0" },
	{ "golden_trm/att_none_nopuzzle", "golden_trm/att_none_nopuzzle" },
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static void print_summary(struct gold *g, const char *kind)
{
	if (report())
		fprintf(stderr,
			"bf16 %s %s: ops worst %.0f ulp rel %.2e; steps %zu of %zu values differ, worst %.0f ulp "
			"rel %.2e frac %.4f; q worst %.0f ulp; %d argmax near-ties excused\n",
			g->dir + strlen(FIXTURES_DIR) + 1, kind, g->worst_op.max_ulp, g->worst_op.rel, g->diffs_step,
			g->vals_step, g->worst_step.max_ulp, g->worst_step.rel,
			g->worst_step.n ? (double)g->worst_step.ndiff / g->worst_step.n : 0.0, g->worst_out.max_ulp,
			g->argmax_excused);
}

/* Argmax slack for logits computed from the reference's own state: the
 * engine's logits differ from the reference's by at most a few ulps (see
 * STEP_*), so a top-2 gap of at most 2 ulps may flip; measured: no flip in
 * any case. */
#define STEP_ARGMAX_SLACK 2.0

START_TEST(test_ops)
{
	struct gold g;
	gold_open(&g, cases[_i][0], cases[_i][1]);
	expect_op(&g, "input embedding x", hrm_engine_x(g.e), need(&g, "x"));
	check_block_ops(&g, "L", &g.m.bf16->L[0]);
	/* the H-step's module: H_level, or for TRM the same network */
	check_block_ops(&g, "H", hrm_arch_desc(&g.m.cfg)->shared_net ? &g.m.bf16->L[0] : &g.m.bf16->H[0]);
	print_summary(&g, "ops");
	gold_close(&g);
}
END_TEST

START_TEST(test_steps)
{
	struct gold g;
	gold_open(&g, cases[_i][0], cases[_i][1]);
	float *out = xmalloc(g.state_n * sizeof *out);
	size_t nl = (size_t)g.B * g.S * g.V;
	float *logits = xmalloc(nl * sizeof *logits), *q = xmalloc((size_t)g.B * 2 * sizeof *q);
	char what[64];
	for (int s = 0; s < g.nseg; s++) {
		float *zH = as_f32(need(&g, "s%d.zH0", s)), *zL = as_f32(need(&g, "s%d.zL0", s));
		for (int h = 0; h < g.Hc; h++) {
			for (int l = 0; l < g.Lc; l++) {
				hrm_engine_L_call(g.e, zL, zH, out);
				snprintf(what, sizeof what, "s%d H%d L%d z_L", s, h, l);
				expect_step(&g, what, out, need(&g, "s%d.h%d.l%d.zL", s, h, l));
				free(zL);
				zL = as_f32(need(&g, "s%d.h%d.l%d.zL", s, h, l));
				memcpy(hrm_engine_zH(g.e), zH, g.state_n * sizeof(float));
				memcpy(hrm_engine_zL(g.e), zL, g.state_n * sizeof(float));
				hrm_engine_probe(g.e, logits);
				snprintf(what, sizeof what, "s%d H%d L%d probe", s, h, l);
				expect_step(&g, what, logits, need(&g, "s%d.h%d.l%d.probe", s, h, l));
				expect_argmax(&g, what, logits, need(&g, "s%d.h%d.l%d.probe", s, h, l), STEP_ARGMAX_SLACK);
				hrm_engine_decode_zL(g.e, logits);
				snprintf(what, sizeof what, "s%d H%d L%d z_L decode", s, h, l);
				expect_step(&g, what, logits, need(&g, "s%d.h%d.l%d.zLdec", s, h, l));
				expect_argmax(&g, what, logits, need(&g, "s%d.h%d.l%d.zLdec", s, h, l), STEP_ARGMAX_SLACK);
			}
			hrm_engine_H_call(g.e, zH, zL, out);
			snprintf(what, sizeof what, "s%d H%d z_H", s, h);
			expect_step(&g, what, out, need(&g, "s%d.h%d.zH", s, h));
			free(zH);
			zH = as_f32(need(&g, "s%d.h%d.zH", s, h));
		}
		hrm_engine_heads(g.e, zH, logits, q);
		snprintf(what, sizeof what, "s%d logits", s);
		expect_step(&g, what, logits, need(&g, "s%d.logits", s));
		expect_argmax(&g, what, logits, need(&g, "s%d.logits", s), STEP_ARGMAX_SLACK);
		snprintf(what, sizeof what, "s%d q", s);
		expect_q(&g, what, q, need(&g, "s%d.q", s));
		free(zH);
		free(zL);
	}
	print_summary(&g, "steps");
	free(out);
	free(logits);
	free(q);
	gold_close(&g);
}
END_TEST

/* Free running: the engine's own trajectory against the reference's, at each
 * segment end (halt_max_steps segments), relative L2 error of z_H, z_L, the
 * logits and q.  Measured: bit-equal on learned_nope (8 segments) and
 * rope_lp2 (4); roundtrip one z_L value one ulp off after segment 3 (1.2e-4),
 * then bit-equal again (the next rounding absorbed it); rope_pe bit-equal
 * through segment 6, then one flipped rounding grows like any perturbation
 * of this map until the two runs are two different bf16 trajectories:
 * 8.1e-3 (q) after segment 7, 1.9e-2 after 10, at most 8.5e-2 (q, segment
 * 13; z_H at most 2.8e-2) over 16.  The bound allows a one-ulp flip in the
 * first segment (about 1e-4) growing 3x per segment, capped at 0.15 (1.8x
 * the worst measured); a missing rounding shows as about 1e-2 after the
 * first segment (bf16 against fp32: 1.3e-2), far above 1e-3. */
static double free_tol(int s)
{
	/* TRM's golden_trm/att_rope_lp16: 17 of 400 z_H values an ulp or a few
	 * off after its first segment (relative 1.1e-3; see STEP_MAX_ABS), 6.9e-3
	 * (z_L) after the second, growing about 4x a segment */
	double t = 2e-3 * pow(4.0, s);
	return t < 0.15 ? t : 0.15;
}

START_TEST(test_free_run)
{
	struct gold g;
	gold_open(&g, cases[_i][0], cases[_i][1]);
	hrm_engine_reset(g.e, -1);
	static const char *const part[4] = { "zH", "zL", "logits", "q" };
	const struct tz_tensor *want[4];
	float *w[4];
	size_t per[4];
	for (int k = 0; k < 4; k++) {
		want[k] = need(&g, "run.%s", part[k]);
		w[k] = as_f32(want[k]);
		per[k] = (size_t)(want[k]->numel / want[k]->shape[0]);
	}
	int R = (int)want[0]->shape[0];
	ck_assert_int_eq(R, g.m.cfg.halt_max_steps);
	for (int s = 0; s < R; s++) {
		hrm_engine_step(g.e, HRM_GRAIN_SEGMENT);
		const float *got[4] = { hrm_engine_zH(g.e), hrm_engine_zL(g.e), hrm_engine_logits(g.e), hrm_engine_q(g.e) };
		for (int k = 0; k < 4; k++) {
			struct diff d = diff_of(got[k], w[k] + (size_t)s * per[k], per[k]);
			if (report())
				fprintf(stderr, "bf16 %s: free run s%-2d %-6s %5zu/%-6zu differ, max %.0f ulp, rel %.2e\n",
					g.dir + strlen(FIXTURES_DIR) + 1, s, part[k], d.ndiff, d.n, d.max_ulp, d.rel);
			ck_assert_msg(d.rel <= free_tol(s), "%s: free run segment %d %s: relative error %.3g > %.3g", g.dir,
				      s, part[k], d.rel, free_tol(s));
		}
	}
	for (int k = 0; k < 4; k++)
		free(w[k]);
	gold_close(&g);
}
END_TEST

/* ---- the shipped maze model on 100 mazes (golden/maze_bf16) ----
 *
 * At this size (B 100, T 122, d 64, sums over 64 and 256 terms) the products
 * flip a rounding here and there even from identical inputs, and one segment
 * (12 blocks) spreads such flips over the state: measured after one L step
 * from the initial carry (maze 0, 7808 values): bit-equal; after the
 * first segment 65% of the z_H values differ by an ulp or two (relative
 * error 6.7e-3, 1e-2 at most later) and a logit by up to 0.38, a top-2 gap
 * by up to 0.28.  The predictions, measured: 9 of 96800 (segment, maze,
 * cell) differ - 5, 2 and 2 cells in segments 1-3, in 6 mazes - and none
 * from segment 4 on.  Each of those mazes had a near-tie in the reference
 * at or before the segment of its first difference (top-2 gap 0.006 to
 * 0.022; its later differences follow from that one, as the answer runs
 * along a corridor).  The rules:
 *  - the answer the official evaluation reads (segment M) is equal in every
 *    cell of every maze;
 *  - a maze may differ at segment s only if the reference had a cell in it
 *    with a top-2 gap of at most MAZE_TIE_GAP at segment s or before
 *    (0.3: above the largest change of a gap between the two runs after one
 *    segment, 0.28);
 *  - at most MAZE_MAX_CELLS cells differ per segment (measured at most 5). */
#define MAZE_TIE_GAP 0.3f
#define MAZE_MAX_CELLS 30
/* the one-step bound, as STEP_* above */
#define MAZE_STEP_MAX_FRAC STEP_MAX_FRAC
#define MAZE_STEP_REL STEP_REL

START_TEST(test_maze)
{
	char dir[600], path[700], *cause = NULL;
	snprintf(dir, sizeof dir, "%s/../../models/maze", FIXTURES_DIR);
	snprintf(path, sizeof path, "%s/golden/maze_bf16/pred_bf16", FIXTURES_DIR);
	struct hrm_model m;
	struct tz_archive tr;
	ck_assert_msg(hrm_model_load(&m, dir, &cause) == 0, "load %s: %s", dir, cause);
	ck_assert_msg(hrm_model_prepare_bf16(&m, &cause) == 0, "%s", cause);
	ck_assert_msg(tz_load(path, &tr, &cause) == 0, "load %s: %s", path, cause);
	const struct tz_tensor *meta = tz_find(&tr, "meta"), *in = tz_find(&tr, "inputs");
	const struct tz_tensor *pid = tz_find(&tr, "puzzle_identifiers"), *pred = tz_find(&tr, "pred");
	const struct tz_tensor *margin = tz_find(&tr, "margin"), *step = tz_find(&tr, "step.zL");
	ck_assert(meta && in && pid && pred && margin && step);
	ck_assert(meta->dtype == TZ_I32 && in->dtype == TZ_U8 && pid->dtype == TZ_I32 && pred->dtype == TZ_U8 &&
		  margin->dtype == TZ_F32);
	const int32_t *mv = (const int32_t *)meta->data;
	int B = mv[0], S = mv[1], M = mv[2], half = (S + 1) / 2;
	ck_assert_int_eq(mv[3], m.cfg.vocab_size);
	ck_assert_int_eq(M, m.cfg.halt_max_steps);
	ck_assert_int_eq(in->numel, (int64_t)B * S);
	ck_assert_int_eq(pred->numel, (int64_t)M * B * half);
	ck_assert_int_eq(margin->numel, (int64_t)M * B);
	const float *gap = (const float *)margin->data;
	int32_t *tok = xmalloc((size_t)B * S * sizeof *tok);
	for (size_t i = 0; i < (size_t)B * S; i++)
		tok[i] = ((const uint8_t *)in->data)[i];
	struct hrm_engine *e = hrm_engine_new_dtype(&m, B, S, HRM_DTYPE_BF16, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_msg(hrm_engine_set_inputs(e, tok, (const int32_t *)pid->data, &cause) == 0, "%s", cause);
	hrm_engine_reset(e, -1);

	/* one L step from the initial carry, maze 0 */
	size_t row = (size_t)hrm_engine_T(e) * m.cfg.hidden_size;
	ck_assert_int_eq(step->numel, (int64_t)row);
	float *out = xmalloc(row * B * sizeof *out), *want = as_f32(step);
	hrm_engine_L_call(e, hrm_engine_zL(e), hrm_engine_zH(e), out);
	struct diff d = diff_of(out, want, row);
	if (report())
		fprintf(stderr, "bf16 maze_bf16: first L step, maze 0: %zu/%zu differ, max %.0f ulp, rel %.2e\n", d.ndiff,
			d.n, d.max_ulp, d.rel);
	ck_assert_msg(d.rel <= MAZE_STEP_REL && (double)d.ndiff <= MAZE_STEP_MAX_FRAC * d.n,
		      "maze_bf16: first L step: %zu of %zu values differ, relative error %.3g", d.ndiff, d.n, d.rel);
	free(out);
	free(want);

	const uint8_t *pk = pred->data;
	bool *tied = xcalloc((size_t)B, sizeof *tied);
	int total = 0, excused_mazes = 0;
	for (int s = 0; s < M; s++) {
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		const int32_t *p = hrm_engine_pred(e);
		int bad = 0, bad_mazes = 0;
		for (int b = 0; b < B; b++) {
			int row_bad = 0;
			if (gap[(size_t)s * B + b] <= MAZE_TIE_GAP && !tied[b]) {
				tied[b] = true;
				excused_mazes++;
			}
			for (int c = 0; c < S; c++) {
				uint8_t byte = pk[((size_t)s * B + b) * half + c / 2];
				int ref = c % 2 ? byte >> 4 : byte & 15;
				if (p[(size_t)b * S + c] != ref) {
					if (report())
						fprintf(stderr, "maze_bf16: segment %d maze %d cell %d: %d, reference %d%s\n",
							s + 1, b, c, p[(size_t)b * S + c], ref, tied[b] ? " (near-tie before)" : "");
					ck_assert_msg(s < M - 1, "maze_bf16: segment %d (the last) maze %d cell %d: %d, reference %d",
						      s + 1, b, c, p[(size_t)b * S + c], ref);
					ck_assert_msg(tied[b],
						      "maze_bf16: segment %d maze %d cell %d: %d, reference %d, and the reference "
						      "has no top-2 gap <= %g in this maze up to here (smallest %g)",
						      s + 1, b, c, p[(size_t)b * S + c], ref, (double)MAZE_TIE_GAP,
						      (double)gap[(size_t)s * B + b]);
					bad++;
					row_bad = 1;
				}
			}
			bad_mazes += row_bad;
		}
		if (report())
			fprintf(stderr, "bf16 maze_bf16: segment %d: %d of %d cells differ (%d mazes); %d mazes past a near-tie\n",
				s + 1, bad, B * S, bad_mazes, excused_mazes);
		ck_assert_msg(bad <= MAZE_MAX_CELLS, "maze_bf16: segment %d: %d cells differ (bound %d)", s + 1, bad,
			      MAZE_MAX_CELLS);
		total += bad;
	}
	if (report())
		fprintf(stderr, "bf16 maze_bf16: %d predicted cells differ in all; products: %s\n", total,
			bf16_backend());
	free(tied);
	hrm_engine_free(e);
	free(tok);
	tz_free(&tr);
	hrm_model_free(&m);
}
END_TEST

static Suite *golden_bf16_suite(void)
{
	Suite *s = suite_create("golden_bf16");
	TCase *tc = tcase_create("bf16");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_ops, 0, N_CASES);
	tcase_add_loop_test(tc, test_steps, 0, N_CASES);
	tcase_add_loop_test(tc, test_free_run, 0, N_CASES);
	tcase_add_test(tc, test_maze);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(golden_bf16_suite(), "check_golden_bf16");
}
