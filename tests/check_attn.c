/* check_attn.c - the attention view's numbers (analysis/attention.h,
 * model/mixing.h) against a recomputation written here from the weights in
 * double precision, and against the training forward's kept probabilities;
 * the PCA of the trajectory map (analysis/pca.h) on points of a known
 * plane; `hrmscope attn` and `hrmscope traj` driven as a user would. */
#include "analysis/attention.h"
#include "analysis/pca.h"
#include "analysis/trajectory.h"
#include "io/checkpoint.h"
#include "model/engine.h"
#include "model/forward.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "model/ops_bf16.h"
#include "core/rng.h"
#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL FIXTURES_DIR "/../../models/maze"
#define MAZE FIXTURES_DIR "/../../puzzles/examples/maze-11.txt"

static void random_tokens(const struct hrm_model *m, int32_t *tok, int S, uint64_t seed)
{
	struct hrm_rng r;
	hrm_rng_seed(&r, seed);
	for (int s = 0; s < S; s++)
		tok[s] = 1 + (int32_t)hrm_rng_below(&r, (uint64_t)m->cfg.vocab_size - 1);
}

/* The state before step `step` of `segment` (both 1-based) of a run on tok:
 * its z_H, z_L and x ([T][d] each, malloc'd into st[0..2]). */
static void state_before(const struct hrm_model *m, enum hrm_dtype dt, const int32_t *tok, int S, int segment,
			 int step, float *st[3])
{
	char *cause = NULL;
	struct hrm_engine *e = hrm_engine_new_dtype(m, 1, S, dt, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	int32_t pid = 0;
	ck_assert(hrm_engine_set_inputs(e, tok, &pid, &cause) == 0);
	hrm_engine_reset(e, -1);
	int K = attn_steps_per_segment(&m->cfg);
	for (int i = 0; i < (segment - 1) * K + step - 1; i++)
		hrm_engine_step(e, HRM_GRAIN_MODULE);
	size_t n = (size_t)hrm_engine_T(e) * m->cfg.hidden_size;
	const float *src[3] = { hrm_engine_zH(e), hrm_engine_zL(e), hrm_engine_x(e) };
	for (int k = 0; k < 3; k++) {
		st[k] = malloc(n * sizeof(float));
		memcpy(st[k], src[k], n * sizeof(float));
	}
	hrm_engine_free(e);
}

/* The softmax row of every head, in double, from the block's input h: the
 * q and k projections as sums over the weight rows, RoPE as the HRM code
 * writes it (q cos + rotate_half(q) sin, rotate_half(x) = (-x2, x1)). */
static void reference_rows(const struct hrm_model *m, const float *Wqkv, const float *h, int T, int query,
			   double *out)
{
	const struct hrm_config *c = &m->cfg;
	int d = c->hidden_size, hd = c->head_dim, half = hd / 2;
	double *q = calloc((size_t)d, sizeof *q), *k = calloc((size_t)T * d, sizeof *k);
	for (int t = 0; t < T; t++)
		for (int j = 0; j < 2 * d; j++) {
			double acc = 0.0;
			for (int i = 0; i < d; i++)
				acc += (double)h[(size_t)t * d + i] * Wqkv[(size_t)j * d + i];
			if (j < d && t == query)
				q[j] = acc;
			else if (j >= d)
				k[(size_t)t * d + j - d] = acc;
		}
	for (int t = 0; t < T; t++)
		for (int head = 0; head < c->num_heads; head++) {
			double *vk = k + (size_t)t * d + (size_t)head * hd, *vq = q + (size_t)head * hd, rk[512], rq[512];
			for (int i = 0; i < hd; i++) {
				int f = i % half;
				double ang = t * pow(c->rope_theta, -2.0 * f / hd);
				double rot_k = i < half ? -vk[i + half] : vk[i - half];
				rk[i] = vk[i] * cos(ang) + rot_k * sin(ang);
				if (t == query) {
					double rot_q = i < half ? -vq[i + half] : vq[i - half];
					rq[i] = vq[i] * cos(ang) + rot_q * sin(ang);
				}
			}
			memcpy(vk, rk, (size_t)hd * sizeof *rk);
			if (t == query)
				memcpy(vq, rq, (size_t)hd * sizeof *rq);
		}
	for (int head = 0; head < c->num_heads; head++) {
		double *row = out + (size_t)head * T, mx = -INFINITY, sum = 0.0;
		for (int t = 0; t < T; t++) {
			double s = 0.0;
			for (int i = 0; i < hd; i++)
				s += q[head * hd + i] * k[(size_t)t * d + head * hd + i];
			row[t] = s / sqrt((double)hd);
			mx = fmax(mx, row[t]);
		}
		for (int t = 0; t < T; t++)
			sum += row[t] = exp(row[t] - mx);
		for (int t = 0; t < T; t++)
			row[t] /= sum;
	}
	free(q);
	free(k);
}

static struct hrm_model model;
static int S;

static int setup(void)
{
	char *cause = NULL;
	if (hrm_model_load(&model, MODEL, &cause) != 0 || hrm_model_prepare_bf16(&model, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	S = model.cfg.seq_len;
	return 0;
}

/* fp32: every step kind and layer, rows summing to 1 and matching the
 * double-precision recomputation from the weights. */
START_TEST(test_fp32_matches_reference)
{
	const struct hrm_config *c = &model.cfg;
	int32_t *tok = malloc((size_t)S * sizeof *tok);
	random_tokens(&model, tok, S, 7);
	int steps[] = { 1, 3 }; /* an L-step and an H-step (L_cycles 2) */
	for (int si = 0; si < 2; si++)
		for (int layer = 0; layer < 2; layer++) {
			int segment = 2, step = steps[si], cell = 17 + 30 * layer;
			enum hrm_module mod = attn_step_module(c, step);
			ck_assert_int_eq(mod, step == 3 ? HRM_MODULE_H : HRM_MODULE_L);
			struct attn_result r;
			char *cause = NULL;
			ck_assert_msg(attn_at_step(&model, HRM_DTYPE_FP32, tok, S, 0, segment, step, layer, cell, &r,
						   &cause) == 0, "%s", cause);
			int T = r.T, d = c->hidden_size;
			ck_assert_int_eq(r.rows, c->num_heads);
			ck_assert_int_eq(r.query, r.Lp + cell);
			float *st[3];
			state_before(&model, HRM_DTYPE_FP32, tok, S, segment, step, st);
			/* the module's input, then the blocks before `layer` (the forward's own,
			 * checked against PyTorch by check_golden) */
			float *h = malloc((size_t)T * d * sizeof *h), *rc = malloc((size_t)T * c->head_dim * sizeof *rc),
			      *rs = malloc((size_t)T * c->head_dim * sizeof *rs);
			for (size_t i = 0; i < (size_t)T * d; i++)
				h[i] = mod == HRM_MODULE_L ? st[1][i] + (st[0][i] + st[2][i]) : st[0][i] + st[1][i];
			rope_tables(rc, rs, T, c->head_dim, c->rope_theta);
			struct block_scratch sc;
			ck_assert(block_scratch_alloc(&sc, c, 1, T) == 0);
			const struct hrm_block_weights *bl = mod == HRM_MODULE_L ? model.w.L : model.w.H;
			for (int l = 0; l < layer; l++)
				hrm_block_forward(&sc, &bl[l], c, 1, T, rc, rs, h);
			double *ref = malloc((size_t)r.rows * T * sizeof *ref);
			reference_rows(&model, bl[layer].qkv, h, T, r.query, ref);
			double worst = 0.0;
			for (int head = 0; head < r.rows; head++) {
				double sum = 0.0;
				for (int t = 0; t < T; t++) {
					sum += r.w[(size_t)head * T + t];
					worst = fmax(worst, fabs(r.w[(size_t)head * T + t] - ref[(size_t)head * T + t]));
				}
				ck_assert_msg(fabs(sum - 1.0) < 1e-5, "head %d sums to %.9f", head, sum);
			}
			ck_assert_msg(worst < 2e-5, "step %d layer %d: %g from the reference", step, layer, worst);
			/* the cells and the prefix add up to the whole row, head by head and in the mean */
			float *cells = malloc((size_t)S * sizeof *cells);
			for (int head = -1; head < r.rows; head++) {
				attn_cells(&r, head, cells);
				double tot = attn_prefix_share(&r, head);
				for (int s = 0; s < S; s++)
					tot += cells[s];
				ck_assert_msg(fabs(tot - 1.0) < 1e-5, "head %d: cells + prefix = %.9f", head, tot);
			}
			free(cells);
			block_scratch_free(&sc);
			free(h);
			free(rc);
			free(rs);
			free(ref);
			for (int k = 0; k < 3; k++)
				free(st[k]);
			attn_result_free(&r);
		}
	free(tok);
}
END_TEST

/* bf16: the weights the bf16 forward's product with v uses, as the training
 * forward keeps them (attention_forward_bf16_tiled with probs), and close to
 * the fp32 weights. */
START_TEST(test_bf16_matches_forward_probs)
{
	const struct hrm_config *c = &model.cfg;
	int32_t *tok = malloc((size_t)S * sizeof *tok);
	random_tokens(&model, tok, S, 9);
	int segment = 3, step = 2, cell = 60;
	struct attn_result r, r32;
	char *cause = NULL;
	ck_assert_msg(attn_at_step(&model, HRM_DTYPE_BF16, tok, S, 0, segment, step, 0, cell, &r, &cause) == 0, "%s",
		      cause);
	ck_assert(attn_at_step(&model, HRM_DTYPE_FP32, tok, S, 0, segment, step, 0, cell, &r32, &cause) == 0);
	int T = r.T, d = c->hidden_size;
	float *st[3];
	state_before(&model, HRM_DTYPE_BF16, tok, S, segment, step, st);
	float *h = malloc((size_t)T * d * sizeof *h), *rc = malloc((size_t)T * c->head_dim * sizeof *rc),
	      *rs = malloc((size_t)T * c->head_dim * sizeof *rs);
	hrm_module_forward_bf16(NULL, model.bf16->L, 0, c, 1, T, NULL, NULL, st[1], st[0], st[2], h, NULL);
	rope_tables(rc, rs, T, c->head_dim, c->rope_theta);
	struct block_scratch sc;
	ck_assert(block_scratch_alloc(&sc, c, 1, T) == 0);
	float *probs = malloc((size_t)c->num_heads * T * T * sizeof *probs);
	linear_bf16(sc.qkv, h, model.bf16->L[0].qkv, T);
	rope_forward_bf16(sc.qkv, rc, rs, 1, T, c->num_heads, c->head_dim);
	attention_forward_bf16_tiled(sc.attn, sc.qkv, probs, NULL, 0, 1, T, c->num_heads, c->head_dim);
	for (int head = 0; head < r.rows; head++) {
		double sum = 0.0, worst = 0.0, from32 = 0.0;
		for (int t = 0; t < T; t++) {
			float v = r.w[(size_t)head * T + t];
			sum += v;
			worst = fmax(worst, fabs(v - probs[((size_t)head * T + r.query) * T + t]));
			from32 = fmax(from32, fabs(v - r32.w[(size_t)head * T + t]));
		}
		ck_assert_msg(fabs(sum - 1.0) < 1.0 / 256, "head %d sums to %.6f", head, sum);
		ck_assert_msg(worst < 1e-6, "head %d: %g from the forward's probabilities", head, worst);
		ck_assert_msg(from32 < 0.05, "head %d: %g from fp32", head, from32);
	}
	free(probs);
	block_scratch_free(&sc);
	free(h);
	free(rc);
	free(rs);
	for (int k = 0; k < 3; k++)
		free(st[k]);
	attn_result_free(&r);
	attn_result_free(&r32);
	free(tok);
}
END_TEST

START_TEST(test_bad_requests)
{
	int32_t *tok = malloc((size_t)S * sizeof *tok);
	random_tokens(&model, tok, S, 3);
	struct attn_result r;
	char *cause = NULL;
	ck_assert_int_eq(attn_at_step(&model, HRM_DTYPE_FP32, tok, S, 0, 1, 1, 2, 0, &r, &cause), -1);
	ck_assert_msg(strstr(cause, "L_level has layers 0..1") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(attn_at_step(&model, HRM_DTYPE_FP32, tok, S, 0, 1, 7, 0, 0, &r, &cause), -1);
	ck_assert_msg(strstr(cause, "step 7") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(attn_at_step(&model, HRM_DTYPE_FP32, tok, S, 0, 99, 1, 0, 0, &r, &cause), -1);
	free(cause);
	ck_assert_int_eq(hrm_block_mix_kind(&model.cfg, HRM_MODULE_H, 5), HRM_MIX_NONE);
	ck_assert_int_eq(hrm_block_mix_rows(&model.cfg, HRM_MODULE_H, 5), 0);
	free(tok);
}
END_TEST

/* Points a u + b v + centre on a plane of R^dim (u, v orthonormal, var a >
 * var b), plus a little noise along a third direction: the two axes give
 * back (a, b) centred, up to sign, with the variance shares known. */
static void plane_case(int n, int dim)
{
	double *u = calloc((size_t)dim, sizeof *u), *v = calloc((size_t)dim, sizeof *v), *w = calloc((size_t)dim, sizeof *w);
	/* u and v spread over every coordinate, w along one */
	for (int j = 0; j < dim; j++) {
		u[j] = (j % 2 ? 1.0 : -1.0) / sqrt((double)dim);
		v[j] = (j < dim / 2 ? 1.0 : -1.0) / sqrt((double)dim);
	}
	/* v orthogonal to u when dim is a multiple of 4 */
	w[dim - 1] = 1.0;
	double uw = u[dim - 1], vw = v[dim - 1];
	for (int j = 0; j < dim; j++)
		w[j] -= uw * u[j] + vw * v[j];
	double wn = 0.0;
	for (int j = 0; j < dim; j++)
		wn += w[j] * w[j];
	for (int j = 0; j < dim; j++)
		w[j] /= sqrt(wn);
	float *x = malloc((size_t)n * dim * sizeof *x);
	double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b), ma = 0, mb = 0;
	struct hrm_rng r;
	hrm_rng_seed(&r, 5);
	for (int i = 0; i < n; i++) {
		a[i] = 10.0 * cos(0.7 * i) + 0.1 * i;
		b[i] = 3.0 * sin(1.3 * i);
		double c = 0.01 * ((double)hrm_rng_below(&r, 1000) / 1000.0 - 0.5);
		for (int j = 0; j < dim; j++)
			x[(size_t)i * dim + j] = (float)(a[i] * u[j] + b[i] * v[j] + c * w[j] + 5.0 + j);
		ma += a[i] / n;
		mb += b[i] / n;
	}
	/* b made uncorrelated with a over the sample, so that u and v are the axes */
	double cab = 0, caa = 0;
	for (int i = 0; i < n; i++) {
		cab += (a[i] - ma) * (b[i] - mb);
		caa += (a[i] - ma) * (a[i] - ma);
	}
	for (int i = 0; i < n; i++) {
		double shift = cab / caa * (a[i] - ma);
		b[i] -= shift;
		for (int j = 0; j < dim; j++)
			x[(size_t)i * dim + j] -= (float)(shift * v[j]);
	}
	double va = 0, vb = 0;
	for (int i = 0; i < n; i++) {
		va += (a[i] - ma) * (a[i] - ma);
		vb += (b[i] - mb) * (b[i] - mb);
	}
	struct pca2 p;
	char *cause = NULL;
	ck_assert_msg(pca2_fit(x, n, dim, &p, &cause) == 0, "%s", cause);
	double sa = (a[n - 1] - ma) < 0 ? -1 : 1, sb = (b[n - 1] - mb) < 0 ? -1 : 1;
	for (int i = 0; i < n; i++) {
		ck_assert_msg(fabs(p.xy[2 * i] - sa * (a[i] - ma)) < 2e-3, "n %d dim %d point %d: pc1 %g, a %g", n, dim, i,
			      p.xy[2 * i], a[i] - ma);
		ck_assert_msg(fabs(p.xy[2 * i + 1] - sb * (b[i] - mb)) < 2e-3, "point %d: pc2 %g, b %g", i, p.xy[2 * i + 1],
			      b[i] - mb);
	}
	ck_assert_msg(fabs(p.ratio[0] - va / (va + vb)) < 1e-4, "ratio %g, expected %g", p.ratio[0], va / (va + vb));
	ck_assert_msg(fabs(p.ratio[1] - vb / (va + vb)) < 1e-4, "ratio %g, expected %g", p.ratio[1], vb / (va + vb));
	ck_assert(p.xy[2 * (n - 1)] >= 0 && p.xy[2 * (n - 1) + 1] >= 0);
	pca2_free(&p);
	free(u);
	free(v);
	free(w);
	free(x);
	free(a);
	free(b);
}

START_TEST(test_pca_known_plane)
{
	plane_case(30, 64);  /* the Gram route: fewer points than dimensions */
	plane_case(200, 16); /* the covariance route */
}
END_TEST

START_TEST(test_jacobi_known_matrix)
{
	/* Q diag(5, 2, -1) Q^T for a rotation Q: the eigenvalues come back sorted */
	double c = cos(0.4), s = sin(0.4), Q[9] = { c, -s, 0, s, c, 0, 0, 0, 1 }, D[3] = { 2, 5, -1 }, a[9], val[3], vec[9];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			a[i * 3 + j] = 0;
			for (int k = 0; k < 3; k++)
				a[i * 3 + j] += Q[i * 3 + k] * D[k] * Q[j * 3 + k];
		}
	pca_jacobi(a, 3, val, vec);
	ck_assert(fabs(val[0] - 5) < 1e-12 && fabs(val[1] - 2) < 1e-12 && fabs(val[2] + 1) < 1e-12);
	/* the first eigenvector is Q's second column, up to sign */
	ck_assert(fabs(fabs(vec[0 * 3]) - s) < 1e-12 && fabs(fabs(vec[1 * 3]) - c) < 1e-12);
}
END_TEST

/* `hrmscope attn --format csv`: the weights it prints sum to 1 and the
 * query cell is where it was asked; bad requests are one-line errors. */
START_TEST(test_attn_cli)
{
	char *out = test_hrmscope_ok("attn --model '%s' --puzzle '%s' --segment 2 --step 3 --layer 1 --head 2 "
				     "--cell 3,4 --format csv", MODEL, MAZE);
	ck_assert(strncmp(out, "kind,row,col,position,head,weight\n", 34) == 0);
	double sum = 0.0;
	int lines = 0, prefix = 0;
	for (char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		char *nl = strchr(l, '\n');
		ck_assert(nl != NULL);
		*nl = '\0';
		const char *last = strrchr(l, ',');
		ck_assert(last != NULL);
		sum += strtod(last + 1, NULL);
		*nl = '\n';
		prefix += strncmp(l, "prefix,", 7) == 0;
		lines++;
	}
	ck_assert_int_eq(lines, 121 + 1);
	ck_assert_int_eq(prefix, 1);
	ck_assert_msg(fabs(sum - 1.0) < 1e-5, "sum %.9f", sum);
	free(out);
	out = test_hrmscope_ok("attn --model '%s' --puzzle '%s' --segment 1 --step 1 --layer 0 --cell 3,4", MODEL, MAZE);
	ck_assert_msg(strstr(out, "an L-step: L_level") && strstr(out, "mean over 4 heads") &&
			      strstr(out, "position 38 of 122"), "%s", out);
	free(out);
	struct test_output r = test_hrmscope("attn --model '%s' --puzzle '%s' --segment 1 --step 1 --layer 0 --cell 11,0",
					     MODEL, MAZE);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_msg(strstr(r.err, "outside the 11x11 grid") != NULL, "%s", r.err);
	ck_assert_str_eq(r.out, "");
	test_output_free(&r);
	r = test_hrmscope("attn --model '%s' --puzzle '%s' --segment 1 --step 1 --layer 9 --cell 1,1", MODEL, MAZE);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "L_level has layers 0..1, not 9") != NULL, "%s", r.err);
	ck_assert_str_eq(r.out, "");
	test_output_free(&r);
}
END_TEST

/* A TRM's H-step runs the one L_level (there is no H_level): its attention
 * comes from those blocks, and an mlp_t block says it has none. */
START_TEST(test_attn_trm)
{
	char *dir = test_path("trm_attn");
	const char *arch = FIXTURES_DIR "/../../models/trm_maze.yaml";
	free(test_hrmscope_ok("init --arch '%s' --vocab 6 --seq-len 121 --seed 2 --force -o '%s'", arch, dir));
	char *out = test_hrmscope_ok("attn --model '%s' --puzzle '%s' --segment 1 --step 5 --layer 1 --head 3 "
				     "--cell 3,4 --format csv", dir, MAZE);
	double sum = 0.0;
	int lines = 0;
	for (char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1, lines++) {
		char *nl = strchr(l, '\n');
		ck_assert(nl != NULL);
		*nl = '\0';
		sum += strtod(strrchr(l, ',') + 1, NULL);
		*nl = '\n';
	}
	ck_assert_int_eq(lines, 121 + 16); /* the cells and the 16 prefix tokens */
	ck_assert_msg(fabs(sum - 1.0) < 1e-5, "sum %.9f", sum);
	free(out);
	out = test_hrmscope_ok("attn --model '%s' --puzzle '%s' --segment 1 --step 5 --layer 1 --cell 3,4", dir, MAZE);
	ck_assert_msg(strstr(out, "an H-step: L_level") && strstr(out, "layer 1 of 2"), "%s", out);
	free(out);
	arch = FIXTURES_DIR "/../../models/trm_sudoku_mlp.yaml";
	free(test_hrmscope_ok("init --arch '%s' --vocab 11 --seq-len 81 --seed 2 --force -o '%s'", arch, dir));
	const char *sud = FIXTURES_DIR "/../../puzzles/examples/sudoku-easy.txt";
	struct test_output r = test_hrmscope("attn --model '%s' --puzzle '%s' --segment 1 --step 7 --layer 0 --cell 1,1",
					     dir, sud);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "L_level layer 0 has no attention") != NULL, "%s", r.err);
	test_output_free(&r);
	free(dir);
}
END_TEST

/* `hrmscope traj --format csv`: a line per step, the axes' shares in order,
 * and the coordinates centred (PCA centres the points). */
START_TEST(test_traj_cli)
{
	char *out = test_hrmscope_ok("traj --model '%s' --puzzle '%s' --format csv --segments 5", MODEL, MAZE);
	int lines = 0;
	double s1 = 0, s2 = 0, e1 = -1, e2 = -1;
	for (char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		int step, seg, hc, ls, ex, fp;
		char kind;
		double x, y;
		ck_assert(sscanf(l, "%d,%d,%d,%d,%c,%lf,%lf,%d,%d,%lf,%lf", &step, &seg, &hc, &ls, &kind, &x, &y, &ex, &fp,
				 &e1, &e2) == 11);
		ck_assert_int_eq(step, lines + 1);
		ck_assert_int_eq(seg, lines / 6);
		ck_assert(kind == (ls < 0 ? 'H' : 'L'));
		s1 += x;
		s2 += y;
		lines++;
	}
	ck_assert_int_eq(lines, 5 * 6);
	ck_assert(fabs(s1) < 1e-3 && fabs(s2) < 1e-3);
	ck_assert(e1 >= e2 && e2 > 0 && e1 + e2 <= 1.0 + 1e-9);
	free(out);
	/* 16 segments: the run settles; the steps flagged as the fixed point are
	 * the whole segments after the one it entered, and their answer is right */
	out = test_hrmscope_ok("traj --model '%s' --puzzle '%s' --format csv --segments 16", MODEL, MAZE);
	/* the text names the segment whose end state is the fixed point (1-based):
	 * the flagged steps start with the next segment, 0-based the same number */
	char *txt = test_hrmscope_ok("traj --model '%s' --puzzle '%s' --segments 16", MODEL, MAZE);
	const char *fpl = strstr(txt, "fixed point: the end of segment ");
	ck_assert_msg(fpl != NULL, "%s", txt);
	int fp_end = atoi(fpl + strlen("fixed point: the end of segment "));
	free(txt);
	int first_fp = -1, first_seg = -1, n16 = 0;
	for (char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		int step, seg, hc, ls, ex, fp;
		char kind;
		double x, y;
		ck_assert(sscanf(l, "%d,%d,%d,%d,%c,%lf,%lf,%d,%d", &step, &seg, &hc, &ls, &kind, &x, &y, &ex, &fp) == 9);
		if (fp && first_fp < 0) {
			first_fp = step;
			first_seg = seg;
			ck_assert(hc == 0 && ls == 0 && seg > 0);
		}
		ck_assert_msg(fp == (first_fp >= 0), "step %d: fixed_point %d after the first at %d", step, fp, first_fp);
		if (fp && kind == 'H')
			ck_assert_int_eq(ex, 1);
		n16++;
	}
	ck_assert_int_eq(n16, 16 * 6);
	ck_assert_msg(first_fp > 0 && first_fp < n16, "no fixed point in 16 segments");
	ck_assert_int_eq(first_seg, fp_end);
	free(out);

	/* the guesses: every run's steps, on the axes of all of them */
	out = test_hrmscope_ok("traj --model '%s' --puzzle '%s' --format csv --segments 2 --guesses 4", MODEL, MAZE);
	ck_assert(strncmp(out, "run,group,step,", 15) == 0);
	lines = 0;
	s1 = s2 = 0;
	for (char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		int run, step, seg, hc, ls;
		char group[8], kind;
		double x, y;
		ck_assert(sscanf(l, "%d,%7[A-Z],%d,%d,%d,%d,%c,%lf,%lf", &run, group, &step, &seg, &hc, &ls, &kind, &x, &y) == 9);
		ck_assert_int_eq(run, lines / 12);
		ck_assert_int_eq(step, lines % 12 + 1);
		s1 += x;
		s2 += y;
		lines++;
	}
	ck_assert_int_eq(lines, 4 * 12);
	ck_assert(fabs(s1) < 1e-3 && fabs(s2) < 1e-3);
	free(out);
	struct test_output r = test_hrmscope("traj --model '%s' --puzzle '%s' --state zQ", MODEL, MAZE);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_msg(strstr(r.err, "--state: expected zH or zL") != NULL, "%s", r.err);
	test_output_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("attn");
	TCase *tc = tcase_create("attn");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fp32_matches_reference);
	tcase_add_test(tc, test_bf16_matches_forward_probs);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_pca_known_plane);
	tcase_add_test(tc, test_jacobi_known_matrix);
	tcase_add_test(tc, test_attn_cli);
	tcase_add_test(tc, test_attn_trm);
	tcase_add_test(tc, test_traj_cli);
	suite_add_tcase(s, tc);
	return test_main_setup(s, "check_attn", setup);
}
