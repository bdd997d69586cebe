/* check_train.c - one training step (src/train/train.h) against the float64
 * PyTorch reference (HRM: tests/reference/train_ref.py, fixtures in
 * tests/fixtures/train; TRM: train_trm_ref.py, whose gradients equal the
 * official trm.py's autograd, fixtures in tests/fixtures/train_trm, an
 * attention and an mlp_t network, each with puzzle_emb_len prefix tokens
 * and B 3): loss parts, metrics, the new carry, steps and halted
 * flags, and the gradient of every tensor; then the properties the fixtures
 * do not pin down: the training forward equals the engine's bit for bit,
 * gradients are added, and the q_learning / halt_max_steps / exploration
 * options.
 *
 * Tolerances.  C runs in float32 from the same float32 weights as the
 * float64 reference, so the errors are float32 rounding carried through a
 * segment (a few dozen chained ops per module call): measured gradient
 * errors are ~1e-6 (see the report printed per case), the required 1e-4
 * leaves room for other BLAS summation orders while a wrong or missing term
 * gives errors of order 1e-2..1. */
#include "model/engine.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "model/loss.h"
#include "puzzles/puzzle.h"
#include "core/half.h"
#include "core/rng.h"
#include "train/samples.h"
#include "io/torchzip.h"
#include "train/optim.h"
#include "train/train.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOSS_TOL 1e-5
#define CARRY_TOL 1e-5
#define GRAD_TOL 1e-4

static const char *const cases[] = { "train/one_step", "train/full", "train_trm/att", "train_trm/mlpt" };
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

struct fixture {
	char dir[512];
	struct hrm_model m;
	struct tz_archive st;
	int B, S, T, d;
	struct train_segment_opts opts;
	double grad_scale;
};

static const struct tz_tensor *need(const struct fixture *f, const char *name)
{
	const struct tz_tensor *t = tz_find(&f->st, name);
	ck_assert_msg(t != NULL, "%s: step has no tensor '%s'", f->dir, name);
	return t;
}

static double *as_f64(const struct tz_tensor *t)
{
	double *v = xmalloc((size_t)t->numel * sizeof *v);
	tz_to_f64(t, v);
	return v;
}

static void fixture_open(struct fixture *f, const char *name)
{
	char *cause = NULL, path[600];
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "%s/%s", FIXTURES_DIR, name);
	ck_assert_msg(hrm_model_load(&f->m, f->dir, &cause) == 0 && hrm_model_own(&f->m, &cause) == 0, "load %s: %s",
		      f->dir, cause);
	snprintf(path, sizeof path, "%s/step", f->dir);
	ck_assert_msg(tz_load(path, &f->st, &cause) == 0, "load %s: %s", path, cause);
	const struct tz_tensor *in = need(f, "inputs");
	ck_assert_int_eq(in->ndim, 2);
	f->B = (int)in->shape[0];
	f->S = (int)in->shape[1];
	f->T = f->S + f->m.cfg.puzzle_emb_len;
	f->d = f->m.cfg.hidden_size;
	double opts[3];
	ck_assert_int_eq(need(f, "opts")->numel, 3);
	tz_to_f64(need(f, "opts"), opts);
	/* the fixtures' numbering: 0 one-step, 1 full, 2 last cycle */
	ck_assert_msg(opts[0] >= 0 && opts[0] <= 2, "%s: gradient mode %g", f->dir, opts[0]);
	f->opts.grad = opts[0] == 0 ? TRAIN_GRAD_ONE_STEP : opts[0] == 1 ? TRAIN_GRAD_FULL : TRAIN_GRAD_LAST_CYCLE;
	f->opts.halt_max_steps = (int)opts[1];
	f->opts.q_learning = opts[2] != 0;
	f->opts.halt_exploration_prob = 0.0;
	ck_assert_msg(hrm_loss_kind_from_name(f->m.cfg.loss_type, &f->opts.loss, &cause) == 0, "%s", cause);
	tz_to_f64(need(f, "grad_scale"), &f->grad_scale);
}

static void fixture_close(struct fixture *f)
{
	tz_free(&f->st);
	hrm_model_free(&f->m);
}

static void copy_i32(int32_t *dst, const struct tz_tensor *t, size_t n)
{
	ck_assert(t->dtype == TZ_I32 && (size_t)t->numel == n);
	memcpy(dst, t->data, n * sizeof *dst);
}

/* A fresh copy of the stored batch (train_segment changes it in place). */
static void batch_new(const struct fixture *f, struct train_batch *b)
{
	size_t bs = (size_t)f->B * f->S, state = (size_t)f->B * f->T * f->d;
	b->B = f->B;
	b->S = f->S;
	b->T = f->T;
	b->d = f->d;
	b->inputs = xmalloc(bs * sizeof *b->inputs);
	b->labels = xmalloc(bs * sizeof *b->labels);
	b->puzzle_ids = xmalloc((size_t)f->B * sizeof *b->puzzle_ids);
	b->zH = xmalloc(state * sizeof *b->zH);
	b->zL = xmalloc(state * sizeof *b->zL);
	b->steps = xmalloc((size_t)f->B * sizeof *b->steps);
	b->halted = xmalloc((size_t)f->B * sizeof *b->halted);
	copy_i32(b->inputs, need(f, "inputs"), bs);
	copy_i32(b->labels, need(f, "labels"), bs);
	copy_i32(b->puzzle_ids, need(f, "puzzle_ids"), (size_t)f->B);
	copy_i32(b->steps, need(f, "steps"), (size_t)f->B);
	ck_assert((size_t)need(f, "zH")->numel == state && (size_t)need(f, "zL")->numel == state);
	tz_to_f32(need(f, "zH"), b->zH);
	tz_to_f32(need(f, "zL"), b->zL);
	const struct tz_tensor *h = need(f, "halted");
	ck_assert(h->dtype == TZ_BOOL && h->numel == f->B);
	for (int i = 0; i < f->B; i++)
		b->halted[i] = ((const uint8_t *)h->data)[i] != 0;
}

static void grads_new(const struct fixture *f, struct hrm_model *g)
{
	char *cause = NULL;
	ck_assert_msg(hrm_model_alloc(g, &f->m.cfg, &cause) == 0, "%s", cause);
	memset(g->arena, 0, g->arena_floats * sizeof(float));
}

/* One train_segment on a fresh batch in dt's arithmetic; grads may be NULL. */
static void run_step_dt(const struct fixture *f, const struct train_segment_opts *o, struct hrm_model *grads,
			struct train_batch *b, struct hrm_rng *rng, struct train_metrics *met, enum hrm_dtype dt)
{
	char *cause = NULL;
	struct train_ctx *t = train_ctx_new(&f->m.cfg, f->B, f->S, o->grad, &cause);
	ck_assert_msg(t != NULL, "%s: %s", f->dir, cause);
	ck_assert_msg(train_ctx_set_dtype(t, dt, &cause) == 0, "%s", cause);
	int rc = train_segment(t, &f->m, grads, b, o, f->grad_scale, rng, met, &cause);
	ck_assert_msg(rc == 0, "%s: train_segment: %s", f->dir, cause);
	train_ctx_free(t);
}

static void run_step(const struct fixture *f, const struct train_segment_opts *o, struct hrm_model *grads,
		     struct train_batch *b, struct hrm_rng *rng, struct train_metrics *met)
{
	run_step_dt(f, o, grads, b, rng, met, HRM_DTYPE_FP32);
}

static double rel_err(const double *a, const double *b, size_t n)
{
	double dd = 0, bb = 0;
	for (size_t i = 0; i < n; i++) {
		dd += (a[i] - b[i]) * (a[i] - b[i]);
		bb += b[i] * b[i];
	}
	return bb > 0 ? sqrt(dd / bb) : sqrt(dd);
}

static double rel_err_f(const float *a, const struct tz_tensor *want)
{
	size_t n = (size_t)want->numel;
	double *w = as_f64(want), *g = xmalloc(n * sizeof *g);
	for (size_t i = 0; i < n; i++)
		g[i] = a[i];
	double e = rel_err(g, w, n);
	free(w);
	free(g);
	return e;
}

/* Every output of the step against the reference. */
static void check_reference(int ci)
{
	struct fixture f;
	fixture_open(&f, cases[ci]);
	struct train_batch b;
	struct hrm_model g;
	struct train_metrics met;
	batch_new(&f, &b);
	grads_new(&f, &g);
	run_step(&f, &f.opts, &g, &b, NULL, &met);

	double *loss = as_f64(need(&f, "loss")), got_loss[4] = { met.loss, met.lm_loss, met.q_halt_loss,
								 met.q_continue_loss };
	static const char *const loss_names[] = { "loss", "lm_loss", "q_halt_loss", "q_continue_loss" };
	double worst_loss = 0;
	for (int i = 0; i < 4; i++) {
		double e = fabs(got_loss[i] - loss[i]) / (fabs(loss[i]) > 0 ? fabs(loss[i]) : 1.0);
		ck_assert_msg(e <= LOSS_TOL, "%s: %s = %.9g, reference %.9g (relative error %.3g > %g)", f.dir,
			      loss_names[i], got_loss[i], loss[i], e, LOSS_TOL);
		if (e > worst_loss)
			worst_loss = e;
	}
	free(loss);

	double *mt = as_f64(need(&f, "metrics"));
	ck_assert_msg(met.count == (int)mt[0], "%s: metrics count %d, reference %g", f.dir, met.count, mt[0]);
	ck_assert_msg(fabs(met.accuracy - mt[1]) <= 1e-9, "%s: metrics accuracy %.12g, reference %.12g", f.dir,
		      met.accuracy, mt[1]);
	ck_assert_msg(met.exact_accuracy == (int)mt[2], "%s: exact_accuracy %d, reference %g", f.dir,
		      met.exact_accuracy, mt[2]);
	ck_assert_msg(met.q_halt_accuracy == (int)mt[3], "%s: q_halt_accuracy %d, reference %g", f.dir,
		      met.q_halt_accuracy, mt[3]);
	ck_assert_msg(met.steps == (int)mt[4], "%s: steps %d, reference %g", f.dir, met.steps, mt[4]);
	free(mt);

	size_t state = (size_t)f.B * f.T * f.d;
	double eH = rel_err_f(b.zH, need(&f, "new.zH")), eL = rel_err_f(b.zL, need(&f, "new.zL"));
	ck_assert_msg(eH <= CARRY_TOL && eL <= CARRY_TOL, "%s: new carry relative error z_H %.3g, z_L %.3g > %g",
		      f.dir, eH, eL, CARRY_TOL);
	ck_assert(need(&f, "new.zH")->numel == (int64_t)state);
	const struct tz_tensor *ns = need(&f, "new.steps"), *nh = need(&f, "new.halted");
	for (int i = 0; i < f.B; i++) {
		ck_assert_msg(b.steps[i] == ((const int32_t *)ns->data)[i], "%s: row %d steps %d, reference %d",
			      f.dir, i, b.steps[i], ((const int32_t *)ns->data)[i]);
		ck_assert_msg(b.halted[i] == (((const uint8_t *)nh->data)[i] != 0), "%s: row %d halted %d, reference %d",
			      f.dir, i, b.halted[i], ((const uint8_t *)nh->data)[i]);
	}

	size_t nt = hrm_tensor_list(&g, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(nt, sizeof *ti);
	hrm_tensor_list(&g, ti, nt);
	double worst = 0;
	const char *worst_name = "";
	int bad = 0;
	for (size_t i = 0; i < nt; i++) {
		char key[128];
		snprintf(key, sizeof key, "grad.%s", ti[i].name);
		const struct tz_tensor *want = need(&f, key);
		size_t n = (size_t)ti[i].shape[0] * (ti[i].ndim == 2 ? (size_t)ti[i].shape[1] : 1);
		ck_assert_msg((size_t)want->numel == n, "%s: %s has %lld values, the model %zu", f.dir, key,
			      (long long)want->numel, n);
		double e = rel_err_f(*ti[i].field, want);
		if (getenv("CHECK_TRAIN_VERBOSE") != NULL)
			printf("  %-15s %-46s %.2e\n", cases[ci], key, e);
		if (!(e <= GRAD_TOL)) {
			fprintf(stderr, "%s: %s relative error %.3g > %g\n", f.dir, key, e, GRAD_TOL);
			bad++;
		}
		if (!(e <= worst)) {
			worst = e;
			worst_name = ti[i].name;
		}
	}
	printf("%-15s gradients: worst relative error %.2e (%s); loss %.1e, carry z_H %.1e z_L %.1e\n",
	       cases[ci], worst, worst_name, worst_loss, eH, eL);
	ck_assert_msg(bad == 0, "%s: %d gradient(s) off by more than %g, worst %s at %.3g", f.dir, bad, GRAD_TOL,
		      worst_name, worst);
	free(ti);
	hrm_model_free(&g);
	train_batch_free(&b);
	fixture_close(&f);
}

/* The new carry is what the engine computes from the same (reset) carry,
 * in fp32 and in bf16 (where the carry given must be bf16 values). */
static void check_engine_equal_dt(int ci, enum hrm_dtype dt)
{
	struct fixture f;
	fixture_open(&f, cases[ci]);
	struct train_batch b;
	batch_new(&f, &b);
	char *cause = NULL;
	if (dt == HRM_DTYPE_BF16) {
		ck_assert_msg(hrm_model_prepare_bf16(&f.m, &cause) == 0, "%s", cause);
		size_t nz = (size_t)f.B * f.T * f.d;
		for (size_t i = 0; i < nz; i++) {
			b.zH[i] = bf16_round(b.zH[i]);
			b.zL[i] = bf16_round(b.zL[i]);
		}
	}
	struct hrm_engine *e = hrm_engine_new_dtype(&f.m, f.B, f.S, dt, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert_msg(hrm_engine_set_inputs(e, b.inputs, b.puzzle_ids, &cause) == 0, "%s", cause);
	size_t td = (size_t)f.T * f.d;
	memcpy(hrm_engine_zH(e), b.zH, f.B * td * sizeof(float));
	memcpy(hrm_engine_zL(e), b.zL, f.B * td * sizeof(float));
	for (int r = 0; r < f.B; r++)
		if (b.halted[r]) {
			/* hrm_engine_reset(e, r) also rewinds the cursor: the same thing */
			hrm_engine_reset(e, r);
		}
	hrm_engine_step(e, HRM_GRAIN_SEGMENT);
	struct hrm_model g;
	grads_new(&f, &g);
	run_step_dt(&f, &f.opts, &g, &b, NULL, NULL, dt);
	ck_assert_msg(memcmp(hrm_engine_zH(e), b.zH, f.B * td * sizeof(float)) == 0,
		      "%s: training z_H differs from the engine's (%s)", f.dir, hrm_dtype_name(dt));
	ck_assert_msg(memcmp(hrm_engine_zL(e), b.zL, f.B * td * sizeof(float)) == 0,
		      "%s: training z_L differs from the engine's (%s)", f.dir, hrm_dtype_name(dt));
	hrm_model_free(&g);
	hrm_engine_free(e);
	train_batch_free(&b);
	fixture_close(&f);
}

static void check_engine_equal(int ci)
{
	check_engine_equal_dt(ci, HRM_DTYPE_FP32);
	check_engine_equal_dt(ci, HRM_DTYPE_BF16);
}

/* Per-tensor relative differences of two gradient sets (0 where the
 * reference is zero: buffers, rows no sample used); the sum of squared
 * differences of everything in *dd_all. */
static void grad_diffs(struct hrm_model *g, struct hrm_model *ref, double *e, double *dd_all)
{
	size_t nt = hrm_tensor_list(g, NULL, 0);
	struct hrm_tensor_info *tg = xcalloc(nt, sizeof *tg), *tr = xcalloc(nt, sizeof *tr);
	hrm_tensor_list(g, tg, nt);
	hrm_tensor_list(ref, tr, nt);
	*dd_all = 0;
	for (size_t i = 0; i < nt; i++) {
		size_t n = (size_t)tg[i].shape[0] * (tg[i].ndim == 2 ? (size_t)tg[i].shape[1] : 1);
		const float *a = *tg[i].field, *r = *tr[i].field;
		double dd = 0, rr = 0;
		for (size_t k = 0; k < n; k++) {
			dd += ((double)a[k] - r[k]) * ((double)a[k] - r[k]);
			rr += (double)r[k] * r[k];
		}
		*dd_all += dd;
		e[i] = rr > 0 ? sqrt(dd / rr) : 0.0;
	}
	free(tg);
	free(tr);
}

/* bf16 training against fp32.  No fp32 figure can be the answer of a bf16
 * step, so the tolerance is measured on the model itself: rounding only
 * the weights to bf16 (fp32 arithmetic) moves each gradient by e_w, its
 * sensitivity to perturbations of 2^-9 relative.  bf16 arithmetic adds
 * the same relative error at every activation and gradient (about 20
 * rounding points per block and direction), which moved the gradients by
 * 1.5x (1-step) to 4.4x (full gradient, where errors pass through every
 * call of the segment) e_w on these fixtures; the bound is 8 e_w + 1e-3.
 * The loss moves by at most 1e-2 relative (measured 8e-4).  And the bf16
 * gradients must differ from the fp32 ones: the bf16 path ran. */
static void check_bf16_grads(int ci)
{
	struct fixture f;
	fixture_open(&f, cases[ci]);
	struct train_batch b;
	struct hrm_model g32, g16, gw;
	struct train_metrics m32, m16, mw;
	grads_new(&f, &g32);
	grads_new(&f, &g16);
	grads_new(&f, &gw);
	batch_new(&f, &b);
	run_step_dt(&f, &f.opts, &g32, &b, NULL, &m32, HRM_DTYPE_FP32);
	train_batch_free(&b);
	batch_new(&f, &b);
	run_step_dt(&f, &f.opts, &g16, &b, NULL, &m16, HRM_DTYPE_BF16);
	train_batch_free(&b);
	for (size_t k = 0; k < f.m.arena_floats; k++)
		f.m.arena[k] = bf16_round(f.m.arena[k]);
	batch_new(&f, &b);
	run_step_dt(&f, &f.opts, &gw, &b, NULL, &mw, HRM_DTYPE_FP32);

	double el = fabs(m16.loss - m32.loss) / fabs(m32.loss);
	ck_assert_msg(el <= 1e-2, "%s: bf16 loss %.9g, fp32 %.9g (relative %.3g > 1e-2)", f.dir, m16.loss, m32.loss,
		      el);
	size_t nt = hrm_tensor_list(&g16, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(nt, sizeof *ti);
	hrm_tensor_list(&g16, ti, nt);
	double *e16 = xcalloc(nt, sizeof *e16), *ew = xcalloc(nt, sizeof *ew), dd16, ddw;
	grad_diffs(&g16, &g32, e16, &dd16);
	grad_diffs(&gw, &g32, ew, &ddw);
	double worst = 0;
	int bad = 0;
	for (size_t i = 0; i < nt; i++) {
		double bound = 8 * ew[i] + 1e-3, r = e16[i] / bound;
		if (getenv("CHECK_TRAIN_VERBOSE") != NULL)
			printf("  bf16 %-8s %-44s %.2e (weights rounded: %.2e)\n", cases[ci], ti[i].name, e16[i], ew[i]);
		if (r > worst)
			worst = r;
		if (!(e16[i] <= bound)) {
			fprintf(stderr, "%s: bf16 gradient %s off fp32 by %.3g > 8 x %.3g + 1e-3\n", f.dir, ti[i].name,
				e16[i], ew[i]);
			bad++;
		}
	}
	printf("%-15s bf16 gradients against fp32: at most %.2f of the bound, loss %.1e\n", cases[ci], worst,
	       el);
	ck_assert_msg(bad == 0, "%s: %d bf16 gradient(s) off their bound", f.dir, bad);
	ck_assert_msg(dd16 > 0, "%s: bf16 gradients equal the fp32 ones: the bf16 path did not run", f.dir);
	free(e16);
	free(ew);
	free(ti);
	hrm_model_free(&g16);
	hrm_model_free(&g32);
	hrm_model_free(&gw);
	train_batch_free(&b);
	fixture_close(&f);
}

/* Gradients are added to what grads holds; without grads the step computes
 * the same loss and carry and touches nothing else. */
static void check_accumulate(int ci)
{
	struct fixture f;
	fixture_open(&f, cases[ci]);
	struct hrm_model g1, g2;
	grads_new(&f, &g1);
	grads_new(&f, &g2);
	struct train_batch b;
	struct train_metrics m1, m2;
	batch_new(&f, &b);
	run_step(&f, &f.opts, &g1, &b, NULL, &m1);
	train_batch_free(&b);
	for (int k = 0; k < 2; k++) {
		batch_new(&f, &b);
		run_step(&f, &f.opts, &g2, &b, NULL, &m2);
		train_batch_free(&b);
	}
	double dd = 0, nn = 0;
	for (size_t i = 0; i < g1.arena_floats; i++) {
		double df = (double)g2.arena[i] - 2.0 * g1.arena[i];
		dd += df * df;
		nn += 4.0 * g1.arena[i] * g1.arena[i];
	}
	ck_assert_msg(nn > 0 && sqrt(dd / nn) < 1e-6, "%s: two steps did not add up: %.3g", f.dir, sqrt(dd / nn));
	ck_assert(m1.loss == m2.loss && m1.count == m2.count);

	batch_new(&f, &b);
	run_step(&f, &f.opts, NULL, &b, NULL, &m2);
	ck_assert(m1.loss == m2.loss && m1.lm_loss == m2.lm_loss && m1.q_continue_loss == m2.q_continue_loss);
	train_batch_free(&b);
	hrm_model_free(&g1);
	hrm_model_free(&g2);
	fixture_close(&f);
}

static double grad_norm(const float *g, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)g[i] * g[i];
	return sqrt(s);
}

/* q_learning off: lm loss only, no q_head gradient, halting at M only.
 * M = 1 with q_learning on: the official code has no continue target then
 * (halting is decided at M), but still trains q_halt. */
static void check_options(int ci)
{
	struct fixture f;
	fixture_open(&f, cases[ci]);
	struct train_segment_opts o = f.opts;
	struct train_batch b;
	struct train_metrics met;
	struct hrm_model g;
	size_t d = (size_t)f.d;

	o.q_learning = false;
	grads_new(&f, &g);
	batch_new(&f, &b);
	run_step(&f, &o, &g, &b, NULL, &met);
	ck_assert(met.q_halt_loss == 0 && met.q_continue_loss == 0 && met.loss == met.lm_loss);
	ck_assert(grad_norm(g.w.q_head_w, 2 * d) == 0 && grad_norm(g.w.q_head_b, 2) == 0);
	ck_assert(grad_norm(g.w.lm_head, (size_t)f.m.cfg.vocab_size * d) > 0);
	for (int r = 0; r < f.B; r++)
		ck_assert_msg(b.halted[r] == (b.steps[r] >= o.halt_max_steps), "%s: row %d halted %d at step %d",
			      f.dir, r, b.halted[r], b.steps[r]);
	train_batch_free(&b);
	hrm_model_free(&g);

	o.q_learning = true;
	o.halt_max_steps = 1;
	grads_new(&f, &g);
	batch_new(&f, &b);
	run_step(&f, &o, &g, &b, NULL, &met);
	ck_assert(met.q_halt_loss > 0 && met.q_continue_loss == 0);
	ck_assert(grad_norm(g.w.q_head_w, d) > 0 && grad_norm(g.w.q_head_w + d, d) == 0);
	for (int r = 0; r < f.B; r++)
		ck_assert(b.halted[r]);
	ck_assert_int_eq(met.count, f.B);
	train_batch_free(&b);
	hrm_model_free(&g);
	fixture_close(&f);
}

/* Exploration: a row may only stop on q after a minimum of U{2..M} steps,
 * drawn with probability p.  With p = 1 the new row (step 1) never halts, the
 * row at M always does, and a row at step 2 that q would stop halts exactly
 * when the draw is 2. */
static void check_exploration(int ci)
{
	struct fixture f;
	fixture_open(&f, cases[ci]);
	struct train_segment_opts o = f.opts;
	o.halt_exploration_prob = 1.0;
	const struct tz_tensor *nh = need(&f, "new.halted");
	int halted_at_2 = 0, runs = 30, row2 = -1;
	struct train_batch b;
	batch_new(&f, &b);
	for (int r = 0; r < f.B; r++)
		if (b.steps[r] == 1 && !b.halted[r] && ((const uint8_t *)nh->data)[r])
			row2 = r; /* at step 2 after this step, stopped by q without exploration */
	train_batch_free(&b);
	for (int k = 0; k < runs; k++) {
		struct hrm_rng rng;
		hrm_rng_seed(&rng, 1000 + k);
		batch_new(&f, &b);
		run_step(&f, &o, NULL, &b, &rng, NULL);
		for (int r = 0; r < f.B; r++) {
			if (b.steps[r] == 1)
				ck_assert_msg(!b.halted[r], "%s: row %d halted at step 1 under exploration", f.dir, r);
			if (b.steps[r] >= o.halt_max_steps)
				ck_assert(b.halted[r]);
		}
		if (row2 >= 0)
			halted_at_2 += b.halted[row2];
		train_batch_free(&b);
	}
	if (row2 >= 0)
		ck_assert_msg(halted_at_2 > 0 && halted_at_2 < runs, "%s: row %d halted %d of %d times", f.dir, row2,
			      halted_at_2, runs);

	/* a generator is required when exploration can happen */
	char *cause = NULL;
	batch_new(&f, &b);
	struct train_ctx *t = train_ctx_new(&f.m.cfg, f.B, f.S, o.grad, &cause);
	ck_assert_int_eq(train_segment(t, &f.m, NULL, &b, &o, f.grad_scale, NULL, NULL, &cause), -1);
	free(cause);
	train_ctx_free(t);
	train_batch_free(&b);
	fixture_close(&f);
}

/* Bad arguments are refused with a message, before anything changes. */
static void check_refuse(int ci)
{
	struct fixture f;
	fixture_open(&f, cases[ci]);
	char *cause = NULL;
	struct train_batch b;
	batch_new(&f, &b);
	struct train_ctx *t = train_ctx_new(&f.m.cfg, f.B, f.S, f.opts.grad, &cause);
	ck_assert(t != NULL);
	float zH0 = b.zH[(size_t)f.T * f.d];

	b.labels[3] = f.m.cfg.vocab_size;
	ck_assert_int_eq(train_segment(t, &f.m, NULL, &b, &f.opts, f.grad_scale, NULL, NULL, &cause), -1);
	ck_assert_msg(strstr(cause, "label") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	b.labels[3] = HRM_IGNORE_LABEL_ID;

	b.inputs[0] = -1;
	ck_assert_int_eq(train_segment(t, &f.m, NULL, &b, &f.opts, f.grad_scale, NULL, NULL, &cause), -1);
	free(cause);
	cause = NULL;
	b.inputs[0] = 0;

	struct train_segment_opts o = f.opts;
	o.grad = o.grad == TRAIN_GRAD_FULL ? TRAIN_GRAD_ONE_STEP : TRAIN_GRAD_FULL;
	ck_assert_int_eq(train_segment(t, &f.m, NULL, &b, &o, f.grad_scale, NULL, NULL, &cause), -1);
	free(cause);
	cause = NULL;

	b.B = f.B - 1;
	ck_assert_int_eq(train_segment(t, &f.m, NULL, &b, &f.opts, f.grad_scale, NULL, NULL, &cause), -1);
	free(cause);
	cause = NULL;
	b.B = f.B;
	ck_assert(b.zH[(size_t)f.T * f.d] == zH0 && b.halted[0]);
	train_ctx_free(t);

	ck_assert(train_ctx_new(&f.m.cfg, 0, f.S, f.opts.grad, &cause) == NULL);
	free(cause);
	train_batch_free(&b);
	fixture_close(&f);
}

START_TEST(test_reference) { check_reference(_i); }
END_TEST

START_TEST(test_engine_equal) { check_engine_equal(_i); }
END_TEST

START_TEST(test_bf16_grads) { check_bf16_grads(_i); }
END_TEST

START_TEST(test_accumulate) { check_accumulate(_i); }
END_TEST

START_TEST(test_options) { check_options(_i); }
END_TEST

START_TEST(test_exploration) { check_exploration(_i); }
END_TEST

START_TEST(test_refuse) { check_refuse(_i); }
END_TEST

/* EMA as the official EMAHelper (TRM's models/ema.py): the parameters
 * averaged, the buffers (H_init, L_init, puzzle embeddings) the model's own. */
START_TEST(test_ema)
{
	struct fixture f;
	fixture_open(&f, "train_trm/att");
	struct hrm_model e;
	grads_new(&f, &e);
	memcpy(e.arena, f.m.arena, f.m.arena_floats * sizeof(float));
	for (size_t i = 0; i < f.m.arena_floats; i++)
		f.m.arena[i] += 1.0f;
	ema_update(&e, &f.m, 0.75);
	size_t nt = hrm_tensor_list(&e, NULL, 0);
	struct hrm_tensor_info *te = xcalloc(nt, sizeof *te), *tm = xcalloc(nt, sizeof *tm);
	hrm_tensor_list(&e, te, nt);
	hrm_tensor_list(&f.m, tm, nt);
	int buffers = 0;
	for (size_t k = 0; k < nt; k++) {
		size_t n = (size_t)tm[k].shape[0] * (tm[k].ndim == 2 ? (size_t)tm[k].shape[1] : 1);
		const float *a = *te[k].field, *v = *tm[k].field;
		buffers += te[k].buffer;
		for (size_t i = 0; i < n; i++) {
			/* ema = 0.75 old + 0.25 (old + 1) = new - 0.75 */
			float want = te[k].buffer ? v[i] : v[i] - 0.75f;
			ck_assert_msg(fabsf(a[i] - want) <= 1e-5f * (1 + fabsf(want)), "%s[%zu] = %g, want %g", te[k].name,
				      i, a[i], want);
		}
	}
	ck_assert_int_eq(buffers, 3); /* H_init, L_init, puzzle_emb.weights */
	free(te);
	free(tm);
	hrm_model_free(&e);
	fixture_close(&f);
}
END_TEST

/* --maze-mix: each training maze's size is drawn from the list and walled
 * into the canvas; the sizes all occur, and outside its size a maze is wall. */
START_TEST(test_maze_mix)
{
	struct sample_source src;
	char *cause = NULL;
	ck_assert_msg(samples_open_maze(&src, 9, 9, 1, 0.0, &cause) == 0, "%s", cause);
	static const int sides[] = { 5, 7, 9 };
	ck_assert_msg(samples_set_maze_mix(&src, sides, 3, &cause) == 0, "%s", cause);
	struct hrm_rng rng;
	hrm_rng_seed(&rng, 11);
	int32_t in[81], lab[81], pid;
	int seen[10] = { 0 };
	for (int n = 0; n < 90; n++) {
		ck_assert_msg(samples_next(&src, &rng, in, lab, &pid, &cause) == 0, "%s", cause);
		/* the maze's size: one past the last row or column holding a non-wall */
		int size = 0, starts = 0, goals = 0;
		for (int i = 0; i < 81; i++) {
			int r = i / 9, c = i % 9;
			if (in[i] != MAZE_WALL) {
				size = r + 2 > size ? r + 2 : size;
				size = c + 2 > size ? c + 2 : size;
			}
			starts += in[i] == MAZE_START;
			goals += in[i] == MAZE_GOAL;
			ck_assert_int_eq(lab[i] == MAZE_WALL, in[i] == MAZE_WALL);
		}
		ck_assert_int_eq(starts, 1);
		ck_assert_int_eq(goals, 1);
		ck_assert_msg(size == 5 || size == 7 || size == 9, "a maze of size %d", size);
		seen[size]++;
	}
	ck_assert_msg(seen[5] >= 15 && seen[7] >= 15 && seen[9] >= 15, "sizes 5/7/9 drawn %d/%d/%d times of 90",
		      seen[5], seen[7], seen[9]);
	static const int too_big[] = { 11 };
	ck_assert_int_eq(samples_set_maze_mix(&src, too_big, 1, &cause), -1);
	ck_assert_msg(strstr(cause, "11") != NULL, "%s", cause);
	free(cause);
	samples_close(&src);
}
END_TEST

/* --sudoku-givens LO-HI: each training sudoku's givens lie in the range and
 * every count of it occurs; one count gives exactly that many, from the
 * same stream as before ranges existed (no extra draw). */
START_TEST(test_sudoku_givens_range)
{
	struct sample_source src, one, again;
	char *cause = NULL;
	ck_assert_msg(samples_open_sudoku(&src, 30, 33, &cause) == 0, "%s", cause);
	struct hrm_rng rng;
	hrm_rng_seed(&rng, 5);
	int32_t in[81], lab[81], pid;
	int seen[81] = { 0 };
	for (int n = 0; n < 60; n++) {
		ck_assert_msg(samples_next(&src, &rng, in, lab, &pid, &cause) == 0, "%s", cause);
		int g = 0;
		for (int i = 0; i < 81; i++) {
			g += in[i] != SUDOKU_BLANK;
			ck_assert(in[i] == SUDOKU_BLANK || in[i] == lab[i]);
		}
		ck_assert_msg(g >= 30 && g <= 33, "%d givens", g);
		seen[g]++;
	}
	for (int g = 30; g <= 33; g++)
		ck_assert_msg(seen[g] > 0, "no sudoku with %d givens in 60", g);
	samples_close(&src);
	/* one count: a range of one draws nothing extra */
	ck_assert_msg(samples_open_sudoku(&one, 36, 0, &cause) == 0, "%s", cause);
	ck_assert_msg(samples_open_sudoku(&again, 36, 36, &cause) == 0, "%s", cause);
	struct hrm_rng r1, r2;
	hrm_rng_seed(&r1, 9);
	hrm_rng_seed(&r2, 9);
	int32_t in2[81], lab2[81];
	for (int n = 0; n < 3; n++) {
		ck_assert_msg(samples_next(&one, &r1, in, lab, &pid, &cause) == 0, "%s", cause);
		ck_assert_msg(samples_next(&again, &r2, in2, lab2, &pid, &cause) == 0, "%s", cause);
		ck_assert(memcmp(in, in2, sizeof in) == 0);
		int g = 0;
		for (int i = 0; i < 81; i++)
			g += in[i] != SUDOKU_BLANK;
		ck_assert_int_eq(g, 36);
	}
	samples_close(&one);
	samples_close(&again);
	ck_assert_int_eq(samples_open_sudoku(&src, 30, 81, &cause), -1);
	free(cause);
}
END_TEST

static Suite *train_suite(void)
{
	Suite *s = suite_create("train");
	TCase *tc = tcase_create("segment");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_reference, 0, N_CASES);
	tcase_add_loop_test(tc, test_engine_equal, 0, N_CASES);
	tcase_add_loop_test(tc, test_accumulate, 0, N_CASES);
	tcase_add_loop_test(tc, test_bf16_grads, 0, N_CASES);
	tcase_add_loop_test(tc, test_options, 0, N_CASES);
	tcase_add_loop_test(tc, test_exploration, 0, N_CASES);
	tcase_add_loop_test(tc, test_refuse, 0, N_CASES);
	tcase_add_test(tc, test_maze_mix);
	tcase_add_test(tc, test_sudoku_givens_range);
	tcase_add_test(tc, test_ema);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(train_suite(), "check_train");
}
