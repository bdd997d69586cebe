/* check_mlp_t.c - the backward of TRM's mlp_t block (train/block_train.h)
 * against central finite differences of a naive float64 forward written
 * from TRM-SPEC, and its training forward against the engine's block, bit
 * for bit in fp32 and in bf16.
 *
 * The block: u = h^T per sequence (d rows of T positions); u = rms_norm(u +
 * down_t(silu(gate_t(u)) * up_t(u))) normalised over the T positions;
 * h = u^T; h = rms_norm(h + down(silu(gate(h)) * up(h))) over the d channels.
 *
 * Tolerances as check_backward.c's (same sizes, same kind of chain): the
 * analytic gradients run in float32, the differences of the float64
 * reference with step 1e-5 are exact to ~1e-10, so the measured error is
 * float32 rounding; a block measured 3e-7..8e-7 over seeds 1..20
 * (CHECK_MLP_T_SEED), the bound is 1e-5, far below the 1e-2..1 of a wrong
 * axis, a missing residual or a transposed weight. */
#include "train/block_train.h"
#include "model/forward.h"
#include "model/gemm_bf16.h"
#include "model/hrm.h"
#include "core/half.h"
#include "core/rng.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* batch, positions, hidden, channel SwiGLU width, positions' SwiGLU width */
enum { NB = 2, NT = 5, ND = 8, NI = 16, NIT = 12, NR = NB * NT };
#define EPS 1e-5
#define FD_STEP 1e-5
#define TOL_BLOCK 1e-5

static struct hrm_rng rng;

static float *rand_f(size_t n, double std)
{
	float *f = xmalloc(n * sizeof *f);
	for (size_t i = 0; i < n; i++)
		f[i] = (float)(std * hrm_rng_normal(&rng));
	return f;
}

static double *to_d(const float *f, size_t n)
{
	double *d = xmalloc(n * sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = f[i];
	return d;
}

/* ---- the float64 reference, from the spec ---- */

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

/* x = rms_norm(x + r) over rows of len */
static void ref_add_rmsnorm(double *x, const double *r, int rows, int len)
{
	for (int i = 0; i < rows; i++) {
		double *v = x + (size_t)i * len, ss = 0;
		for (int j = 0; j < len; j++) {
			v[j] += r[(size_t)i * len + j];
			ss += v[j] * v[j];
		}
		double inv = 1.0 / sqrt(ss / len + EPS);
		for (int j = 0; j < len; j++)
			v[j] *= inv;
	}
}

/* y [rows][len] = down(silu(gate(x)) * up(x)), gate_up rows [gate | up] */
static void ref_swiglu_mlp(double *y, const double *x, const double *gu_w, const double *down_w, int rows, int len,
			   int width)
{
	double *gu = xmalloc((size_t)rows * 2 * width * sizeof *gu), *act = xmalloc((size_t)rows * width * sizeof *act);
	ref_linear(gu, x, gu_w, rows, len, 2 * width);
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < width; j++) {
			double g = gu[(size_t)i * 2 * width + j], u = gu[(size_t)i * 2 * width + width + j];
			act[(size_t)i * width + j] = g / (1 + exp(-g)) * u;
		}
	ref_linear(y, act, down_w, rows, width, len);
	free(gu);
	free(act);
}

struct wpair {
	struct hrm_block_weights f;
	double *tgu, *tdown, *gu, *down;
};

static void wpair_init(struct wpair *w)
{
	memset(w, 0, sizeof *w);
	w->f.t_gate_up = rand_f(2 * NIT * NT, 1 / sqrt(NT)); /* LeCun std, as the official init */
	w->f.t_down = rand_f(NT * NIT, 1 / sqrt(NIT));
	w->f.gate_up = rand_f(2 * NI * ND, 1 / sqrt(ND));
	w->f.down = rand_f(ND * NI, 1 / sqrt(NI));
	w->tgu = to_d(w->f.t_gate_up, 2 * NIT * NT);
	w->tdown = to_d(w->f.t_down, NT * NIT);
	w->gu = to_d(w->f.gate_up, 2 * NI * ND);
	w->down = to_d(w->f.down, ND * NI);
}

static void wpair_free(struct wpair *w)
{
	free(w->f.t_gate_up), free(w->f.t_down), free(w->f.gate_up), free(w->f.down);
	free(w->tgu), free(w->tdown), free(w->gu), free(w->down);
}

static void grads_alloc(struct hrm_block_weights *g)
{
	memset(g, 0, sizeof *g);
	g->t_gate_up = xcalloc(2 * NIT * NT, sizeof(float));
	g->t_down = xcalloc(NT * NIT, sizeof(float));
	g->gate_up = xcalloc(2 * NI * ND, sizeof(float));
	g->down = xcalloc(ND * NI, sizeof(float));
}

static void grads_free(struct hrm_block_weights *g)
{
	free(g->t_gate_up), free(g->t_down), free(g->gate_up), free(g->down);
}

/* h [NB][NT][ND] = the mlp_t block of h, in place */
static void ref_block(const struct wpair *w, double *h)
{
	double u[ND * NT], o[ND * NT], p[NR * ND];
	for (int b = 0; b < NB; b++) {
		double *hb = h + (size_t)b * NT * ND;
		for (int t = 0; t < NT; t++)
			for (int c = 0; c < ND; c++)
				u[c * NT + t] = hb[t * ND + c];
		ref_swiglu_mlp(o, u, w->tgu, w->tdown, ND, NT, NIT);
		ref_add_rmsnorm(u, o, ND, NT); /* each channel over the positions */
		for (int t = 0; t < NT; t++)
			for (int c = 0; c < ND; c++)
				hb[t * ND + c] = u[c * NT + t];
	}
	ref_swiglu_mlp(p, h, w->gu, w->down, NR, ND, NI);
	ref_add_rmsnorm(h, p, NR, ND);
}

/* ---- finite differences ---- */

enum { LAYERS = 2 };

struct stack_ctx {
	struct wpair w[LAYERS];
	int layers;
	double *z, *inj, *R; /* inputs and the random projection of the output */
};

static double loss_stack(void *v)
{
	struct stack_ctx *c = v;
	double h[NR * ND], s = 0;
	for (int i = 0; i < NR * ND; i++)
		h[i] = c->z[i] + (c->inj ? c->inj[i] : 0);
	for (int l = 0; l < c->layers; l++)
		ref_block(&c->w[l], h);
	for (int i = 0; i < NR * ND; i++)
		s += h[i] * c->R[i];
	return s;
}

/* ||analytic - fd|| / ||fd|| over the n entries of p */
static double fd_err(struct stack_ctx *c, double *p, size_t n, const float *analytic, const char *what)
{
	double num = 0, den = 0;
	for (size_t i = 0; i < n; i++) {
		double save = p[i];
		p[i] = save + FD_STEP;
		double lp = loss_stack(c);
		p[i] = save - FD_STEP;
		double lm = loss_stack(c);
		p[i] = save;
		double g = (lp - lm) / (2 * FD_STEP), e = analytic[i] - g;
		num += e * e;
		den += g * g;
	}
	double err = sqrt(num / den);
	printf("  %-30s rel err %.2e\n", what, err);
	return err;
}

#define CHECK_FD(c, p, n, an, what) \
	do { \
		double e_ = fd_err(c, p, n, an, what); \
		ck_assert_msg(e_ < TOL_BLOCK, "%s: relative error %g >= %g", what, e_, (double)TOL_BLOCK); \
	} while (0)

static void check_weight_grads(struct stack_ctx *c, int l, const struct hrm_block_weights *g)
{
	char name[64];
	snprintf(name, sizeof name, "block %d dW mlp_t.gate_up", l);
	CHECK_FD(c, c->w[l].tgu, 2 * NIT * NT, g->t_gate_up, name);
	snprintf(name, sizeof name, "block %d dW mlp_t.down", l);
	CHECK_FD(c, c->w[l].tdown, NT * NIT, g->t_down, name);
	snprintf(name, sizeof name, "block %d dW mlp.gate_up", l);
	CHECK_FD(c, c->w[l].gu, 2 * NI * ND, g->gate_up, name);
	snprintf(name, sizeof name, "block %d dW mlp.down", l);
	CHECK_FD(c, c->w[l].down, ND * NI, g->down, name);
}

static void small_cfg(struct hrm_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->arch = HRM_ARCH_TRM;
	cfg->hidden_size = ND;
	cfg->num_heads = 2;
	cfg->head_dim = ND / 2;
	cfg->inter = NI;
	cfg->rms_norm_eps = EPS;
	cfg->pos_encodings = HRM_POS_NONE;
	cfg->mlp_t = true;
	cfg->T = NT;
	cfg->inter_t = NIT;
}

static void setup(void)
{
	const char *s = getenv("CHECK_MLP_T_SEED");
	hrm_rng_seed(&rng, s ? strtoull(s, NULL, 10) : 20);
}

START_TEST(test_block)
{
	struct hrm_config cfg;
	small_cfg(&cfg);
	printf(" mlp_t block:\n");
	struct stack_ctx c = { .layers = 1 };
	wpair_init(&c.w[0]);
	float *h = rand_f(NR * ND, 1), *R = rand_f(NR * ND, 1), dh[NR * ND];
	c.z = to_d(h, NR * ND);
	c.R = to_d(R, NR * ND);
	char *cause = NULL;
	struct block_cache *bc = block_cache_new(&cfg, NB, NT, &cause);
	ck_assert_msg(bc != NULL, "%s", cause);
	block_forward_train(bc, &c.w[0].f, &cfg, NB, NT, h, NULL, NULL);
	double ref[NR * ND], fe = 0;
	memcpy(ref, c.z, sizeof ref);
	ref_block(&c.w[0], ref);
	for (int i = 0; i < NR * ND; i++)
		fe = fmax(fe, fabs(h[i] - ref[i]) / fmax(1.0, fabs(ref[i])));
	printf("  block forward vs float64       max diff %.2e\n", fe);
	ck_assert_msg(fe < 1e-5, "mlp_t block forward differs from the float64 reference by %g", fe);

	struct hrm_block_weights g;
	grads_alloc(&g);
	memcpy(dh, R, sizeof dh);
	block_backward(bc, &c.w[0].f, &g, dh);
	CHECK_FD(&c, c.z, NR * ND, dh, "block d(h)");
	check_weight_grads(&c, 0, &g);
	block_cache_free(bc);
	grads_free(&g);
	wpair_free(&c.w[0]);
	free(h), free(R), free(c.z), free(c.R);
}
END_TEST

/* Two blocks on z + inj, as a module call of TRM's one network. */
START_TEST(test_module)
{
	struct hrm_config cfg;
	small_cfg(&cfg);
	printf(" module of %d mlp_t blocks:\n", LAYERS);
	struct stack_ctx c = { .layers = LAYERS };
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
	struct module_cache *mc = module_cache_new(&cfg, LAYERS, NB, NT, &cause);
	ck_assert_msg(mc != NULL, "%s", cause);
	module_forward_train(mc, wf, &cfg, NB, NT, z, inj, out, NULL, NULL);
	module_backward(mc, wf, g, R, din);
	CHECK_FD(&c, c.z, NR * ND, din, "module d(z)");
	CHECK_FD(&c, c.inj, NR * ND, din, "module d(inj)");
	for (int l = 0; l < LAYERS; l++)
		check_weight_grads(&c, l, &g[l]);
	module_cache_free(mc);
	for (int l = 0; l < LAYERS; l++) {
		wpair_free(&c.w[l]);
		grads_free(&g[l]);
	}
	free(z), free(inj), free(R), free(c.z), free(c.inj), free(c.R);
}
END_TEST

/* A cache made for other positions is refused: mlp_t mixes exactly T. */
START_TEST(test_refuse_T)
{
	struct hrm_config cfg;
	small_cfg(&cfg);
	char *cause = NULL;
	ck_assert(block_cache_new(&cfg, NB, NT + 1, &cause) == NULL);
	ck_assert_msg(strstr(cause, "mlp_t") != NULL, "%s", cause);
	free(cause);
}
END_TEST

/* The training forward equals the engine's block bit for bit: fp32 on the
 * float32 weights, bf16 on the weights rounded (hrm_model_prepare_bf16). */
START_TEST(test_engine_equal)
{
	struct hrm_config cfg;
	struct hrm_model m;
	char *cause = NULL;
	hrm_config_default_trm(&cfg);
	cfg.hidden_size = ND;
	cfg.num_heads = 2;
	cfg.L_layers = 1;
	cfg.mlp_t = true;
	cfg.pos_encodings = HRM_POS_NONE;
	cfg.puzzle_emb_ndim = ND;
	cfg.puzzle_emb_len_key = 2;
	cfg.num_puzzle_identifiers = 1;
	cfg.vocab_size = 6;
	cfg.seq_len = NT - 2;
	ck_assert_msg(hrm_model_alloc(&m, &cfg, &cause) == 0, "%s", cause);
	hrm_model_init_random(&m, 3);
	ck_assert_msg(hrm_model_prepare_bf16(&m, &cause) == 0, "%s", cause);
	const struct hrm_config *mc = &m.cfg;
	ck_assert_int_eq(mc->T, NT);
	size_t n = (size_t)NR * ND;
	float *h = rand_f(n, 1), *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b);
	struct block_scratch s;
	ck_assert(block_scratch_alloc(&s, mc, NB, NT) == 0);
	struct block_cache *bc = block_cache_new(mc, NB, NT, &cause);
	ck_assert_msg(bc != NULL, "%s", cause);

	memcpy(a, h, n * sizeof *a);
	memcpy(b, h, n * sizeof *b);
	hrm_block_forward(&s, &m.w.L[0], mc, NB, NT, NULL, NULL, a);
	block_forward_train(bc, &m.w.L[0], mc, NB, NT, b, NULL, NULL);
	ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "fp32 mlp_t training forward differs from the engine");

	for (size_t i = 0; i < n; i++)
		a[i] = b[i] = bf16_round(h[i]);
	hrm_block_forward_bf16(&s, &m.bf16->L[0], mc, NB, NT, NULL, NULL, a);
	block_forward_train_bf16(bc, &m.bf16->L[0], mc, NB, NT, b, NULL, NULL);
	ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "bf16 mlp_t training forward differs from the engine");

	block_cache_free(bc);
	block_scratch_free(&s);
	hrm_model_free(&m);
	free(h), free(a), free(b);
}
END_TEST

static Suite *mlp_t_suite(void)
{
	Suite *s = suite_create("mlp_t");
	TCase *tc = tcase_create("backward");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_block);
	tcase_add_test(tc, test_module);
	tcase_add_test(tc, test_refuse_T);
	tcase_add_test(tc, test_engine_equal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(mlp_t_suite(), "check_mlp_t");
}
