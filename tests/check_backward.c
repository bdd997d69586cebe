/* check_backward.c - every backward op, the block, the module and the losses
 * against central finite differences of naive float64 reference forwards,
 * and the training forward against the engine's forward (bit for bit).
 *
 * Tolerances.  The analytic gradients run in float32 (unit roundoff 6e-8)
 * through chains of a few dozen operations on these small sizes; central
 * differences of the float64 reference with step FD_STEP have truncation
 * error ~ FD_STEP^2 |f'''| and cancellation error ~ 1e-16 |f| / FD_STEP, both
 * ~1e-10 here, so the measured error is the float32 one.  Worst relative
 * errors over 40 seeds (CHECK_BACKWARD_SEED=1..40): single ops 3.2e-7
 * (attention), block and module 1.0e-6, losses 3.9e-8.  Each tolerance sits
 * 5-10x above those, far below the 1e-3..1 that a wrong or missing term
 * gives, and loose enough for another BLAS's summation order. */
#include "train/block_train.h"
#include "model/engine.h"
#include "model/hrm.h"
#include "model/loss.h"
#include "model/ops.h"
#include "train/ops_backward.h"
#include "core/rng.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* small sizes: batch, positions, hidden, heads, head_dim, SwiGLU width */
enum { NB = 2, NT = 5, ND = 8, NH = 2, HD = 4, NI = 16, NR = NB * NT };
#define EPS 1e-5
#define FD_STEP 1e-5
#define TOL_OP 2e-6    /* single ops: a few roundings per element */
#define TOL_BLOCK 1e-5 /* a whole block / module: ~30 chained float32 ops */
#define TOL_LOSS 3e-7  /* losses run in float64; only the float32 gradient store rounds */

static struct hrm_rng rng;

static void randn(float *f, size_t n, double std)
{
	for (size_t i = 0; i < n; i++)
		f[i] = (float)(std * hrm_rng_normal(&rng));
}

/* float32 values and their exact float64 copy: the point where both the
 * analytic gradient and the differences are taken */
static float *rand_f(size_t n, double std)
{
	float *f = xmalloc(n * sizeof *f);
	randn(f, n, std);
	return f;
}

static double *to_d(const float *f, size_t n)
{
	double *d = xmalloc(n * sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = f[i];
	return d;
}

static double dot_d(const double *a, const double *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* ---- naive float64 reference forwards ---- */

static void ref_linear(double *y, const double *x, const double *W, int n, int in, int out)
{
	for (int i = 0; i < n; i++)
		for (int o = 0; o < out; o++) {
			double s = 0;
			for (int k = 0; k < in; k++)
				s += x[(size_t)i * in + k] * W[(size_t)o * in + k];
			y[(size_t)i * out + o] = s;
		}
}

static void ref_add_rmsnorm(double *x, const double *r, int n, int d)
{
	for (int i = 0; i < n; i++) {
		double *v = x + (size_t)i * d, ss = 0;
		for (int j = 0; j < d; j++) {
			v[j] += r[(size_t)i * d + j];
			ss += v[j] * v[j];
		}
		double inv = 1.0 / sqrt(ss / d + EPS);
		for (int j = 0; j < d; j++)
			v[j] *= inv;
	}
}

static void ref_rope(double *qkv, const double *c, const double *s, int B, int T, int heads, int hd)
{
	int d = heads * hd, half = hd / 2;
	for (int r = 0; r < B * T; r++) {
		int t = r % T;
		for (int h = 0; h < 2 * heads; h++) {
			double *v = qkv + (size_t)r * 3 * d + (size_t)h * hd;
			for (int i = 0; i < half; i++) {
				double a = v[i], b = v[i + half];
				v[i] = a * c[t * hd + i] - b * s[t * hd + i];
				v[i + half] = b * c[t * hd + i + half] + a * s[t * hd + i + half];
			}
		}
	}
}

static void ref_attention(double *out, const double *qkv, int B, int T, int heads, int hd)
{
	int d = heads * hd;
	double *p = xmalloc((size_t)T * sizeof *p);
	for (int b = 0; b < B; b++)
		for (int h = 0; h < heads; h++)
			for (int i = 0; i < T; i++) {
				const double *q = qkv + ((size_t)b * T + i) * 3 * d + h * hd;
				double mx = -INFINITY, sum = 0;
				for (int j = 0; j < T; j++) {
					const double *k = qkv + ((size_t)b * T + j) * 3 * d + d + h * hd;
					p[j] = dot_d(q, k, (size_t)hd) / sqrt((double)hd);
					mx = fmax(mx, p[j]);
				}
				for (int j = 0; j < T; j++)
					sum += p[j] = exp(p[j] - mx);
				for (int e = 0; e < hd; e++) {
					double acc = 0;
					for (int j = 0; j < T; j++)
						acc += p[j] / sum * qkv[((size_t)b * T + j) * 3 * d + 2 * d + h * hd + e];
					out[((size_t)b * T + i) * d + h * hd + e] = acc;
				}
			}
	free(p);
}

static void ref_swiglu(double *act, const double *gu, int n, int inter)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < inter; j++) {
			double g = gu[(size_t)i * 2 * inter + j], u = gu[(size_t)i * 2 * inter + inter + j];
			act[(size_t)i * inter + j] = g / (1 + exp(-g)) * u;
		}
}

/* one block's weights: float32 for the code under test, float64 copies */
struct wpair {
	struct hrm_block_weights f;
	double *qkv, *o, *gu, *down;
};

static void wpair_init(struct wpair *w)
{
	w->f.qkv = rand_f(3 * ND * ND, 1 / sqrt(ND)); /* LeCun std, as the official init */
	w->f.o = rand_f(ND * ND, 1 / sqrt(ND));
	w->f.gate_up = rand_f(2 * NI * ND, 1 / sqrt(ND));
	w->f.down = rand_f(ND * NI, 1 / sqrt(NI));
	w->qkv = to_d(w->f.qkv, 3 * ND * ND);
	w->o = to_d(w->f.o, ND * ND);
	w->gu = to_d(w->f.gate_up, 2 * NI * ND);
	w->down = to_d(w->f.down, ND * NI);
}

static void wpair_free(struct wpair *w)
{
	free(w->f.qkv), free(w->f.o), free(w->f.gate_up), free(w->f.down);
	free(w->qkv), free(w->o), free(w->gu), free(w->down);
}

static void grads_alloc(struct hrm_block_weights *g)
{
	g->qkv = xcalloc(3 * ND * ND, sizeof(float));
	g->o = xcalloc(ND * ND, sizeof(float));
	g->gate_up = xcalloc(2 * NI * ND, sizeof(float));
	g->down = xcalloc(ND * NI, sizeof(float));
}

static void grads_free(struct hrm_block_weights *g)
{
	free(g->qkv), free(g->o), free(g->gate_up), free(g->down);
}

/* rope tables as the engine builds them (float32), and float64 copies */
static float rc_f[NT * HD], rs_f[NT * HD];
static double rc_d[NT * HD], rs_d[NT * HD];

static void tables_init(void)
{
	rope_tables(rc_f, rs_f, NT, HD, 10000.0);
	for (int i = 0; i < NT * HD; i++)
		rc_d[i] = rc_f[i], rs_d[i] = rs_f[i];
}

static void ref_block(const struct wpair *w, double *h, int rope)
{
	double *qkv = xmalloc(NR * 3 * ND * sizeof *qkv), *a = xmalloc(NR * ND * sizeof *a);
	double *p = xmalloc(NR * ND * sizeof *p), *gu = xmalloc(NR * 2 * NI * sizeof *gu);
	double *act = xmalloc(NR * NI * sizeof *act);
	ref_linear(qkv, h, w->qkv, NR, ND, 3 * ND);
	if (rope)
		ref_rope(qkv, rc_d, rs_d, NB, NT, NH, HD);
	ref_attention(a, qkv, NB, NT, NH, HD);
	ref_linear(p, a, w->o, NR, ND, ND);
	ref_add_rmsnorm(h, p, NR, ND);
	ref_linear(gu, h, w->gu, NR, ND, 2 * NI);
	ref_swiglu(act, gu, NR, NI);
	ref_linear(p, act, w->down, NR, NI, ND);
	ref_add_rmsnorm(h, p, NR, ND);
	free(qkv), free(a), free(p), free(gu), free(act);
}

/* ---- finite differences ---- */

typedef double (*loss_fn)(void *ctx);

/* ||analytic - fd|| / ||fd|| over the n entries of p, each moved by
 * +-FD_STEP in the float64 loss f. */
static double fd_err(loss_fn f, void *ctx, double *p, size_t n, const float *analytic, const char *what)
{
	double num = 0, den = 0;
	for (size_t i = 0; i < n; i++) {
		double save = p[i];
		p[i] = save + FD_STEP;
		double lp = f(ctx);
		p[i] = save - FD_STEP;
		double lm = f(ctx);
		p[i] = save;
		double g = (lp - lm) / (2 * FD_STEP), e = analytic[i] - g;
		num += e * e;
		den += g * g;
	}
	double err = sqrt(num / den);
	printf("  %-28s rel err %.2e\n", what, err);
	return err;
}

#define CHECK_FD(f, ctx, p, n, an, what, tol) \
	do { \
		double e_ = fd_err(f, ctx, p, n, an, what); \
		ck_assert_msg(e_ < (tol), "%s: relative error %g >= %g", what, e_, (double)(tol)); \
	} while (0)

/* ---- single ops ---- */

struct op_ctx {
	double *a, *b, *R; /* inputs and the random projection of the output */
	const int32_t *idx;
};

static double loss_linear(void *v)
{
	struct op_ctx *c = v;
	double y[NR * 3 * ND];
	ref_linear(y, c->a, c->b, NR, ND, 3 * ND);
	return dot_d(y, c->R, NR * 3 * ND);
}

START_TEST(test_linear)
{
	float *x = rand_f(NR * ND, 1), *W = rand_f(3 * ND * ND, 1), *R = rand_f(NR * 3 * ND, 1);
	float dx[NR * ND], dW[3 * ND * ND] = { 0 }, dW2[3 * ND * ND];
	linear_backward(dx, dW, R, x, W, NR, ND, 3 * ND);
	struct op_ctx c = { to_d(x, NR * ND), to_d(W, 3 * ND * ND), to_d(R, NR * 3 * ND), NULL };
	CHECK_FD(loss_linear, &c, c.a, NR * ND, dx, "linear dx", TOL_OP);
	CHECK_FD(loss_linear, &c, c.b, 3 * ND * ND, dW, "linear dW", TOL_OP);
	/* dW accumulates; dx NULL is skipped */
	memcpy(dW2, dW, sizeof dW);
	linear_backward(NULL, dW2, R, x, W, NR, ND, 3 * ND);
	for (int i = 0; i < 3 * ND * ND; i++)
		ck_assert_float_eq_tol(dW2[i], 2 * dW[i], 1e-6);
	free(x), free(W), free(R), free(c.a), free(c.b), free(c.R);
}
END_TEST

static double loss_rmsnorm(void *v)
{
	struct op_ctx *c = v;
	double y[NR * ND];
	memcpy(y, c->a, sizeof y);
	ref_add_rmsnorm(y, c->b, NR, ND);
	return dot_d(y, c->R, NR * ND);
}

START_TEST(test_add_rmsnorm)
{
	float *x = rand_f(NR * ND, 1), *r = rand_f(NR * ND, 0.5), *R = rand_f(NR * ND, 1);
	float y[NR * ND], y0[NR * ND], inv[NR], dx[NR * ND];
	memcpy(y, x, sizeof y);
	memcpy(y0, x, sizeof y0);
	add_rmsnorm_forward_save(y, r, inv, NR, ND, (float)EPS);
	add_rmsnorm_forward(y0, r, NR, ND, (float)EPS);
	ck_assert(memcmp(y, y0, sizeof y) == 0);
	memcpy(dx, R, sizeof dx);
	add_rmsnorm_backward(dx, dx, y, inv, NR, ND); /* in place, as the block uses it */
	struct op_ctx c = { to_d(x, NR * ND), to_d(r, NR * ND), to_d(R, NR * ND), NULL };
	CHECK_FD(loss_rmsnorm, &c, c.a, NR * ND, dx, "add_rmsnorm d(x)", TOL_OP);
	CHECK_FD(loss_rmsnorm, &c, c.b, NR * ND, dx, "add_rmsnorm d(r)", TOL_OP);
	free(x), free(r), free(R), free(c.a), free(c.b), free(c.R);
}
END_TEST

static double loss_rope(void *v)
{
	struct op_ctx *c = v;
	double y[NR * 3 * ND];
	memcpy(y, c->a, sizeof y);
	ref_rope(y, rc_d, rs_d, NB, NT, NH, HD);
	return dot_d(y, c->R, NR * 3 * ND);
}

START_TEST(test_rope)
{
	float *qkv = rand_f(NR * 3 * ND, 1), *R = rand_f(NR * 3 * ND, 1), d[NR * 3 * ND];
	memcpy(d, R, sizeof d);
	rope_backward(d, rc_f, rs_f, NB, NT, NH, HD);
	struct op_ctx c = { to_d(qkv, NR * 3 * ND), NULL, to_d(R, NR * 3 * ND), NULL };
	CHECK_FD(loss_rope, &c, c.a, NR * 3 * ND, d, "rope d(qkv)", TOL_OP);
	free(qkv), free(R), free(c.a), free(c.R);
}
END_TEST

static double loss_attention(void *v)
{
	struct op_ctx *c = v;
	double y[NR * ND];
	ref_attention(y, c->a, NB, NT, NH, HD);
	return dot_d(y, c->R, NR * ND);
}

START_TEST(test_attention)
{
	float *qkv = rand_f(NR * 3 * ND, 1.5), *R = rand_f(NR * ND, 1);
	float out[NR * ND], out0[NR * ND], probs[NB * NH * NT * NT], scores[NT * NT], scratch[NT * NT];
	float d[NR * 3 * ND];
	attention_forward_save(out, qkv, probs, NB, NT, NH, HD);
	attention_forward(out0, qkv, scores, NB, NT, NH, HD);
	ck_assert(memcmp(out, out0, sizeof out) == 0);
	attention_backward(d, R, qkv, probs, scratch, NB, NT, NH, HD);
	struct op_ctx c = { to_d(qkv, NR * 3 * ND), NULL, to_d(R, NR * ND), NULL };
	CHECK_FD(loss_attention, &c, c.a, NR * 3 * ND, d, "attention d(qkv)", TOL_OP);
	free(qkv), free(R), free(c.a), free(c.R);
}
END_TEST

static double loss_swiglu(void *v)
{
	struct op_ctx *c = v;
	double y[NR * NI];
	ref_swiglu(y, c->a, NR, NI);
	return dot_d(y, c->R, NR * NI);
}

START_TEST(test_swiglu)
{
	float *gu = rand_f(NR * 2 * NI, 2), *R = rand_f(NR * NI, 1), d[NR * 2 * NI];
	swiglu_backward(d, R, gu, NR, NI);
	struct op_ctx c = { to_d(gu, NR * 2 * NI), NULL, to_d(R, NR * NI), NULL };
	CHECK_FD(loss_swiglu, &c, c.a, NR * 2 * NI, d, "swiglu d(gu)", TOL_OP);
	free(gu), free(R), free(c.a), free(c.R);
}
END_TEST

enum { EV = 4, EN = 7 };

static double loss_embedding(void *v)
{
	struct op_ctx *c = v;
	double s = 0;
	for (int i = 0; i < EN; i++)
		if (c->idx[i] >= 0)
			s += dot_d(c->a + c->idx[i] * ND, c->R + i * ND, ND);
	return s;
}

START_TEST(test_embedding)
{
	static const int32_t idx[EN] = { 2, 0, 2, -1, 3, 2, 0 }; /* repeats add, -1 skipped */
	float *E = rand_f(EV * ND, 1), *R = rand_f(EN * ND, 1), dE[EV * ND] = { 0 };
	embedding_backward(dE, R, idx, EN, ND);
	struct op_ctx c = { to_d(E, EV * ND), NULL, to_d(R, EN * ND), idx };
	CHECK_FD(loss_embedding, &c, c.a, EV * ND, dE, "embedding dE", TOL_OP);
	free(E), free(R), free(c.a), free(c.R);
}
END_TEST

/* ---- block and module ---- */

static void small_cfg(struct hrm_config *cfg, int rope)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->hidden_size = ND;
	cfg->num_heads = NH;
	cfg->head_dim = HD;
	cfg->inter = NI;
	cfg->rms_norm_eps = EPS;
	cfg->pos_encodings = rope ? HRM_POS_ROPE : HRM_POS_LEARNED;
}

enum { LAYERS = 2 };

struct stack_ctx {
	struct wpair w[LAYERS];
	int layers, rope;
	double *z, *inj, *R;
};

/* layers == 1 and inj == NULL: one block on z */
static double loss_stack(void *v)
{
	struct stack_ctx *c = v;
	double h[NR * ND];
	for (int i = 0; i < NR * ND; i++)
		h[i] = c->z[i] + (c->inj ? c->inj[i] : 0);
	for (int l = 0; l < c->layers; l++)
		ref_block(&c->w[l], h, c->rope);
	return dot_d(h, c->R, NR * ND);
}

static void check_weight_grads(struct stack_ctx *c, int l, const struct hrm_block_weights *g)
{
	char name[64];
	snprintf(name, sizeof name, "block %d dW qkv", l);
	CHECK_FD(loss_stack, c, c->w[l].qkv, 3 * ND * ND, g->qkv, name, TOL_BLOCK);
	snprintf(name, sizeof name, "block %d dW o", l);
	CHECK_FD(loss_stack, c, c->w[l].o, ND * ND, g->o, name, TOL_BLOCK);
	snprintf(name, sizeof name, "block %d dW gate_up", l);
	CHECK_FD(loss_stack, c, c->w[l].gu, 2 * NI * ND, g->gate_up, name, TOL_BLOCK);
	snprintf(name, sizeof name, "block %d dW down", l);
	CHECK_FD(loss_stack, c, c->w[l].down, ND * NI, g->down, name, TOL_BLOCK);
}

static double max_rel_diff(const float *a, const double *b, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m = fmax(m, fabs(a[i] - b[i]) / fmax(1.0, fabs(b[i])));
	return m;
}

/* _i: 1 = rope, 0 = learned positions (no rope) */
START_TEST(test_block)
{
	int rope = _i;
	struct hrm_config cfg;
	small_cfg(&cfg, rope);
	printf(" block, %s:\n", rope ? "rope" : "no rope");
	struct stack_ctx c = { .layers = 1, .rope = rope };
	wpair_init(&c.w[0]);
	float *h = rand_f(NR * ND, 1), *R = rand_f(NR * ND, 1), dh[NR * ND];
	c.z = to_d(h, NR * ND);
	c.R = to_d(R, NR * ND);
	char *cause = NULL;
	struct block_cache *bc = block_cache_new(&cfg, NB, NT, &cause);
	ck_assert_msg(bc != NULL, "%s", cause);
	block_forward_train(bc, &c.w[0].f, &cfg, NB, NT, h, rc_f, rs_f);
	double ref[NR * ND];
	memcpy(ref, c.z, sizeof ref);
	ref_block(&c.w[0], ref, rope);
	double fe = max_rel_diff(h, ref, NR * ND);
	printf("  block forward vs float64     max diff %.2e\n", fe);
	ck_assert_msg(fe < 1e-5, "block forward differs from the float64 reference by %g", fe);

	struct hrm_block_weights g;
	grads_alloc(&g);
	memcpy(dh, R, sizeof dh);
	block_backward(bc, &c.w[0].f, &g, dh);
	CHECK_FD(loss_stack, &c, c.z, NR * ND, dh, "block d(h)", TOL_BLOCK);
	check_weight_grads(&c, 0, &g);
	block_cache_free(bc);
	grads_free(&g);
	wpair_free(&c.w[0]);
	free(h), free(R), free(c.z), free(c.R);
}
END_TEST

START_TEST(test_module)
{
	int rope = _i;
	struct hrm_config cfg;
	small_cfg(&cfg, rope);
	printf(" module of %d blocks, %s:\n", LAYERS, rope ? "rope" : "no rope");
	struct stack_ctx c = { .layers = LAYERS, .rope = rope };
	struct hrm_block_weights wf[LAYERS], g[LAYERS];
	for (int l = 0; l < LAYERS; l++) {
		wpair_init(&c.w[l]);
		wf[l] = c.w[l].f;
		grads_alloc(&g[l]);
	}
	float *z = rand_f(NR * ND, 1), *inj = rand_f(NR * ND, 1), *R = rand_f(NR * ND, 1);
	float out[NR * ND], din[NR * ND];
	c.z = to_d(z, NR * ND);
	c.inj = to_d(inj, NR * ND);
	c.R = to_d(R, NR * ND);
	char *cause = NULL;
	/* capacity above the batch used: calls may run smaller batches */
	struct module_cache *mc = module_cache_new(&cfg, LAYERS, NB + 1, NT, &cause);
	ck_assert_msg(mc != NULL, "%s", cause);
	module_forward_train(mc, wf, &cfg, NB, NT, z, inj, out, rc_f, rs_f);
	module_backward(mc, wf, g, R, din);
	CHECK_FD(loss_stack, &c, c.z, NR * ND, din, "module d(z)", TOL_BLOCK);
	CHECK_FD(loss_stack, &c, c.inj, NR * ND, din, "module d(inj)", TOL_BLOCK);
	for (int l = 0; l < LAYERS; l++)
		check_weight_grads(&c, l, &g[l]);

	/* the cache is reusable and gradients accumulate: a second identical
	 * step doubles them; out aliasing z is allowed */
	float first[ND * NI], z2[NR * ND];
	memcpy(first, g[0].down, sizeof first);
	memcpy(z2, z, sizeof z2);
	module_forward_train(mc, wf, &cfg, NB, NT, z2, inj, z2, rc_f, rs_f);
	ck_assert(memcmp(z2, out, sizeof out) == 0);
	memcpy(din, R, sizeof din);
	module_backward(mc, wf, g, din, din);
	for (int i = 0; i < ND * NI; i++)
		ck_assert_float_eq_tol(g[0].down[i], 2 * first[i], 1e-5);
	module_cache_free(mc);
	for (int l = 0; l < LAYERS; l++) {
		wpair_free(&c.w[l]);
		grads_free(&g[l]);
	}
	free(z), free(inj), free(R), free(c.z), free(c.inj), free(c.R);
}
END_TEST

/* The training forward against the engine on a tiny model: identical bits
 * for both modules, with rope (_i = 1) and learned positions (_i = 0). */
START_TEST(test_engine_equal)
{
	int rope = _i;
	struct hrm_config cfg;
	struct hrm_model m;
	char *cause = NULL;
	hrm_config_default(&cfg);
	cfg.hidden_size = ND;
	cfg.num_heads = NH;
	cfg.H_layers = 2;
	cfg.L_layers = 3;
	cfg.puzzle_emb_ndim = ND;
	cfg.num_puzzle_identifiers = 3;
	cfg.vocab_size = 6;
	cfg.seq_len = NT - 1;
	cfg.pos_encodings = rope ? HRM_POS_ROPE : HRM_POS_LEARNED;
	ck_assert_msg(hrm_model_alloc(&m, &cfg, &cause) == 0, "%s", cause);
	hrm_model_init_random(&m, 7);
	randn(m.w.puzzle_emb, (size_t)3 * ND, 1); /* the init leaves them 0 */
	const struct hrm_config *mc = &m.cfg;
	ck_assert_int_eq(mc->T, NT);
	struct hrm_engine *e = hrm_engine_new(&m, NB, NT - 1, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	int32_t tokens[NB * (NT - 1)], ids[NB] = { 1, 2 };
	for (int i = 0; i < NB * (NT - 1); i++)
		tokens[i] = (int32_t)hrm_rng_below(&rng, 6);
	ck_assert_msg(hrm_engine_set_inputs(e, tokens, ids, &cause) == 0, "%s", cause);

	size_t n = (size_t)NR * ND;
	float *zH = rand_f(n, 1), *zL = rand_f(n, 1), *inj = xmalloc(n * sizeof *inj);
	float *ref = xmalloc(n * sizeof *ref), *out = xmalloc(n * sizeof *out);
	float *cs = xmalloc((size_t)NT * mc->head_dim * sizeof *cs), *sn = xmalloc((size_t)NT * mc->head_dim * sizeof *sn);
	rope_tables(cs, sn, NT, mc->head_dim, mc->rope_theta);
	struct module_cache *H = module_cache_new(mc, mc->H_layers, NB, NT, &cause);
	struct module_cache *L = module_cache_new(mc, mc->L_layers, NB, NT, &cause);
	ck_assert(H != NULL && L != NULL);

	hrm_engine_H_call(e, zH, zL, ref);
	module_forward_train(H, m.w.H, mc, NB, NT, zH, zL, out, cs, sn);
	ck_assert_msg(memcmp(ref, out, n * sizeof *out) == 0, "H_level differs from the engine");
	const float *x = hrm_engine_x(e);
	for (size_t i = 0; i < n; i++)
		inj[i] = zH[i] + x[i];
	hrm_engine_L_call(e, zL, zH, ref);
	module_forward_train(L, m.w.L, mc, NB, NT, zL, inj, out, cs, sn);
	ck_assert_msg(memcmp(ref, out, n * sizeof *out) == 0, "L_level differs from the engine");

	module_cache_free(H);
	module_cache_free(L);
	hrm_engine_free(e);
	hrm_model_free(&m);
	free(zH), free(zL), free(inj), free(ref), free(out), free(cs), free(sn);
}
END_TEST

/* ---- losses ---- */

enum { LB = 3, LS = 6, LV = 5 };

struct loss_ctx {
	double *x;
	const int32_t *lab;
	int stablemax;
};

static double ref_s(double x)
{
	return x < 0 ? 1 / (1 - x) : x + 1;
}

static double loss_lm(void *v)
{
	struct loss_ctx *c = v;
	double total = 0;
	for (int b = 0; b < LB; b++) {
		double sum = 0;
		int count = 0;
		for (int s = 0; s < LS; s++) {
			int32_t y = c->lab[b * LS + s];
			if (y == HRM_IGNORE_LABEL_ID)
				continue;
			const double *x = c->x + (b * LS + s) * LV;
			double z = 0, mx = -INFINITY;
			for (int j = 0; j < LV; j++)
				mx = fmax(mx, x[j]);
			for (int j = 0; j < LV; j++)
				z += c->stablemax ? ref_s(x[j]) : exp(x[j] - mx);
			sum -= c->stablemax ? log(ref_s(x[y]) / z) : x[y] - mx - log(z);
			count++;
		}
		total += sum / (count > 0 ? count : 1);
	}
	return total;
}

START_TEST(test_lm_loss)
{
	int stablemax = _i;
	/* sequence 2 is unlabelled: loss 0, zero gradient, no NaN */
	static const int32_t lab[LB * LS] = { 1, 0, 4, -100, 2, 3, -100, -100, 1, 1, 0, -100,
					      -100, -100, -100, -100, -100, -100 };
	float *x = rand_f(LB * LS * LV, 2), g[LB * LS * LV];
	double loss[LB];
	enum hrm_loss_kind kind = stablemax ? HRM_LOSS_STABLEMAX : HRM_LOSS_SOFTMAX;
	double total = lm_loss(kind, x, lab, LB, LS, LV, loss, g);
	struct loss_ctx c = { to_d(x, LB * LS * LV), lab, stablemax };
	ck_assert_double_eq_tol(total, loss_lm(&c), 1e-12);
	ck_assert_double_eq_tol(total, loss[0] + loss[1] + loss[2], 1e-12);
	ck_assert(loss[2] == 0.0);
	for (int i = 2 * LS * LV; i < LB * LS * LV; i++)
		ck_assert(g[i] == 0.0f);
	CHECK_FD(loss_lm, &c, c.x, LB * LS * LV, g, stablemax ? "stablemax CE d(logits)" : "softmax CE d(logits)",
		 TOL_LOSS);
	free(x), free(c.x);
}
END_TEST

START_TEST(test_bce)
{
	static const float xs[] = { -30.0f, -3.0f, -0.5f, 0.0f, 0.7f, 4.0f, 25.0f };
	static const double ts[] = { 0.0, 1.0, 0.3 };
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
		for (size_t k = 0; k < 3; k++) {
			double x = xs[i], t = ts[k];
			float dx;
			double l = bce_with_logits(xs[i], t, &dx);
			/* -t log sig(x) - (1 - t) log(1 - sig(x)), written via log1p */
			double ref = t * log1p(exp(-x)) + (1 - t) * log1p(exp(x));
			double sig = 1 / (1 + exp(-x));
			ck_assert_double_eq_tol(l, ref, 1e-12 * fmax(1, ref));
			ck_assert_float_eq_tol(dx, sig - t, 1e-7);
			double fd = (t * log1p(exp(-(x + FD_STEP))) + (1 - t) * log1p(exp(x + FD_STEP)) -
				     t * log1p(exp(-(x - FD_STEP))) - (1 - t) * log1p(exp(x - FD_STEP))) / (2 * FD_STEP);
			ck_assert_double_eq_tol(dx, fd, 1e-7);
		}
}
END_TEST

START_TEST(test_accuracy_and_labels)
{
	/* V = 3; row 0: both labelled cells right; row 1: one of two; row 2: none labelled */
	static const float x[3 * 2 * 3] = { 0, 5, 1, 9, 0, 0,   2, 1, 0, 0, 1, 1,   1, 2, 3, 0, 0, 0 };
	int32_t lab[6] = { 1, 0, 0, 2, 0, 0 };
	char *cause = NULL;
	int32_t bad[2] = { 1, 3 };
	ck_assert(labels_prepare(bad, 2, 0, 3, &cause) == -1);
	free(cause);
	/* dataset ignore_label_id 0 -> -100, like puzzle_dataset.py */
	ck_assert(labels_prepare(lab, 6, 0, 3, &cause) == 0);
	lab[0] = 1, lab[1] = 0; /* row 0 uses a real class 0 (a dataset without ignore id) */
	int count[3];
	double acc[3];
	bool exact[3];
	lm_accuracy(x, lab, 3, 2, 3, count, acc, exact);
	ck_assert_int_eq(count[0], 2);
	ck_assert_int_eq(count[1], 1);
	ck_assert_int_eq(count[2], 0);
	ck_assert(acc[0] == 1.0 && exact[0]);
	ck_assert(acc[1] == 0.0 && !exact[1]); /* label 2, argmax of (0, 1, 1) is 1 (first) */
	ck_assert(acc[2] == 0.0 && exact[2]);
	enum hrm_loss_kind k;
	ck_assert(hrm_loss_kind_from_name("stablemax_cross_entropy", &k, NULL) == 0 && k == HRM_LOSS_STABLEMAX);
	ck_assert(hrm_loss_kind_from_name("softmax_cross_entropy", &k, NULL) == 0 && k == HRM_LOSS_SOFTMAX);
	ck_assert(hrm_loss_kind_from_name("mse", &k, NULL) == -1);
}
END_TEST

/* CHECK_BACKWARD_SEED=n reruns the checks on other random draws */
static void setup(void)
{
	const char *env = getenv("CHECK_BACKWARD_SEED");
	hrm_rng_seed(&rng, env ? strtoull(env, NULL, 10) : 20250601);
	tables_init();
}

static Suite *backward_suite(void)
{
	Suite *s = suite_create("backward");
	TCase *ops = tcase_create("ops");
	tcase_add_checked_fixture(ops, setup, NULL);
	tcase_add_test(ops, test_linear);
	tcase_add_test(ops, test_add_rmsnorm);
	tcase_add_test(ops, test_rope);
	tcase_add_test(ops, test_attention);
	tcase_add_test(ops, test_swiglu);
	tcase_add_test(ops, test_embedding);
	suite_add_tcase(s, ops);
	TCase *blk = tcase_create("block");
	tcase_set_timeout(blk, 60);
	tcase_add_checked_fixture(blk, setup, NULL);
	tcase_add_loop_test(blk, test_block, 0, 2);
	tcase_add_loop_test(blk, test_module, 0, 2);
	tcase_add_loop_test(blk, test_engine_equal, 0, 2);
	suite_add_tcase(s, blk);
	TCase *loss = tcase_create("loss");
	tcase_add_checked_fixture(loss, setup, NULL);
	tcase_add_loop_test(loss, test_lm_loss, 0, 2);
	tcase_add_test(loss, test_bce);
	tcase_add_test(loss, test_accuracy_and_labels);
	suite_add_tcase(s, loss);
	return s;
}

int main(void)
{
	return test_main(backward_suite(), "check_backward");
}
