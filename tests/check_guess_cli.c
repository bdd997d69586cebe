/* check_guess_cli.c - fixed points, critical steps and guesses end to end:
 * `hrmscope run`, `trace`, `guess` and `eval --guesses` run on the tiny
 * fixture model (and a livelier variant made here) and every number they
 * print is checked against the engine API driven here, one puzzle and one
 * version at a time, with the transforms, the state changes and the votes
 * computed here from their definitions. */
#include "config.h"
#include "io/dataset.h"
#include "model/engine.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "core/rng.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL FIXTURES_DIR "/models/tiny_maze"
#define TOL 0.01 /* the default fixed-point tolerance */
#define MAXSEG 16

/* the varied model and the maze dataset, made before the tests (make_fixture) */
static char *varied, *data;

/* ---- reading the output ---- */

static const char *after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	ck_assert_msg(p != NULL, "no '%s' in\n%s", key, text);
	return p + strlen(key);
}

/* ---- the reference: one puzzle through the engine, segment by segment ---- */

struct traj {
	int M, S;
	int32_t pred[MAXSEG][25];
	float qh[MAXSEG], qc[MAXSEG];
	double relH[MAXSEG], relL[MAXSEG];
	bool changed[MAXSEG], exact[MAXSEG], still[MAXSEG];
	int entered[MAXSEG], crit[MAXSEG], crit_h[MAXSEG]; /* as known after segment s (-1 none) */
};

static double rel(const float *a, const float *b, size_t n)
{
	double dd = 0, aa = 0;
	for (size_t i = 0; i < n; i++) {
		dd += ((double)b[i] - a[i]) * ((double)b[i] - a[i]);
		aa += (double)a[i] * a[i];
	}
	return sqrt(dd / aa);
}

static bool exact_vs(const int32_t *pred, const int32_t *label, int S)
{
	for (int i = 0; i < S; i++)
		if (label[i] != 0 && pred[i] != label[i])
			return false;
	return true;
}

/* The definitions of src/analysis/fixedpoint.h, written out again here. */
static void ref_run(const struct hrm_model *m, const int32_t *in, const int32_t *label, int M, struct traj *t)
{
	char *cause = NULL;
	int S = 25, V = m->cfg.vocab_size, Hc = m->cfg.H_cycles;
	int32_t pid = 0;
	struct hrm_engine *e = hrm_engine_new(m, 1, S, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert(hrm_engine_set_inputs(e, in, &pid, &cause) == 0);
	hrm_engine_reset(e, -1);
	size_t n = (size_t)hrm_engine_T(e) * m->cfg.hidden_size;
	float *zH = xmalloc(n * sizeof(float)), *zL = xmalloc(n * sizeof(float)), lg[25 * 16], q[2];
	memset(t, 0, sizeof *t);
	t->M = M;
	t->S = S;
	int still_from = -1, crit = -1, crit_h = -1;
	for (int s = 0; s < M; s++) {
		memcpy(zH, hrm_engine_zH(e), n * sizeof(float));
		memcpy(zL, hrm_engine_zL(e), n * sizeof(float));
		int h_run = -1;
		for (int h = 0; h < Hc; h++) {
			hrm_engine_step(e, HRM_GRAIN_H);
			hrm_engine_heads(e, hrm_engine_zH(e), lg, q);
			int32_t a[25];
			for (int i = 0; i < S; i++) {
				a[i] = 0;
				for (int v = 1; v < V; v++)
					if (lg[i * V + v] > lg[i * V + a[i]])
						a[i] = v;
			}
			bool ex = label && exact_vs(a, label, S);
			h_run = !ex ? -1 : h_run < 0 ? h : h_run;
		}
		memcpy(t->pred[s], hrm_engine_pred(e), (size_t)S * sizeof(int32_t));
		t->qh[s] = hrm_engine_q(e)[0];
		t->qc[s] = hrm_engine_q(e)[1];
		t->relH[s] = rel(zH, hrm_engine_zH(e), n);
		t->relL[s] = rel(zL, hrm_engine_zL(e), n);
		t->changed[s] = s == 0 || memcmp(t->pred[s], t->pred[s - 1], (size_t)S * sizeof(int32_t)) != 0;
		t->exact[s] = label && exact_vs(t->pred[s], label, S);
		t->still[s] = !t->changed[s] && t->relH[s] <= TOL && t->relL[s] <= TOL;
		still_from = t->still[s] ? (still_from < 0 ? s : still_from) : -1;
		t->entered[s] = still_from > 0 ? still_from - 1 : -1;
		if (!t->exact[s])
			crit = crit_h = -1;
		else if (crit < 0)
			crit = s, crit_h = h_run;
		t->crit[s] = crit;
		t->crit_h[s] = crit_h;
	}
	free(zH);
	free(zL);
	hrm_engine_free(e);
}

/* ---- the fixture: a livelier model, a dataset of 5x5 mazes ---- */

static struct dataset_split split;

static void example(int i, int32_t *in, int32_t *label)
{
	struct dataset_example ex;
	ck_assert(dataset_get_example(&split, i, &ex) == 0);
	memcpy(in, ex.inputs, 25 * sizeof *in);
	memcpy(label, ex.labels, 25 * sizeof *label);
}

static void load(const char *dir, struct hrm_model *m)
{
	char *cause = NULL;
	ck_assert_msg(hrm_model_load(m, dir, &cause) == 0, "%s", cause);
}

/* ---- run and trace ---- */

START_TEST(test_run_fixed_point)
{
	const char *models[2] = { MODEL, varied };
	int fixed = 0, crit = 0, no_fixed = 0;
	for (int mi = 0; mi < 2; mi++) {
		struct hrm_model m;
		load(models[mi], &m);
		for (int i = 0; i < 4; i++) {
			int32_t in[25], label[25];
			example(i, in, label);
			struct traj t;
			int M = mi == 0 ? 10 : 4; /* the varied model has not settled after 4 */
			ref_run(&m, in, label, M, &t);
			char *out = test_hrmscope_ok("run --model '%s' --puzzle '%s:test:%d' --max-steps %d --no-grid",
						     models[mi], data, i, M);
			/* the table's new columns */
			const char *line = strchr(after(out, "dz_L rel  still\n") - 1, '\n') + 1;
			for (int s = 0; s < M; s++) {
				char f[12][24];
				ck_assert_int_eq(sscanf(line, "%23s %23s %23s %23s %23s %23s %23s %23s %23s %23s %23s", f[0], f[1],
						        f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]),
						 11);
				ck_assert(fabs(atof(f[8]) - t.relH[s]) <= 1e-3 * t.relH[s] + 1e-9);
				ck_assert(fabs(atof(f[9]) - t.relL[s]) <= 1e-3 * t.relL[s] + 1e-9);
				ck_assert_str_eq(f[10], t.still[s] ? "yes" : "no");
				line = strchr(line, '\n') + 1;
			}
			char want[160];
			int e = t.entered[M - 1];
			if (e >= 0)
				snprintf(want, sizeof want, "fixed point: entered at segment %d (%s); still in segments %d-%d", e + 1,
					 t.exact[M - 1] ? "right" : "wrong", e + 2, M);
			else
				snprintf(want, sizeof want, "fixed point: none in %d segments", M);
			ck_assert_msg(strstr(out, want) != NULL, "missing '%s' in\n%s", want, out);
			if (t.crit[M - 1] >= 0)
				snprintf(want, sizeof want, "critical step: segment %d, H-step %d (", t.crit[M - 1] + 1,
					 t.crit_h[M - 1] + 1);
			else
				snprintf(want, sizeof want, "critical step: never");
			ck_assert_msg(strstr(out, want) != NULL, "missing '%s' in\n%s", want, out);
			fixed += e >= 0;
			no_fixed += e < 0;
			crit += t.crit[M - 1] >= 0;
			free(out);
		}
		hrm_model_free(&m);
	}
	/* the cases cover fixed points, their absence and critical steps */
	ck_assert_int_gt(fixed, 0);
	ck_assert_int_gt(no_fixed, 0);
	ck_assert_int_gt(crit, 0);
}
END_TEST

START_TEST(test_trace_columns)
{
	struct hrm_model m;
	load(varied, &m);
	int32_t in[25], label[25];
	example(1, in, label);
	struct traj t;
	int M = 8;
	ref_run(&m, in, label, M, &t);
	char *out = test_hrmscope_ok("trace --model '%s' --puzzle '%s:test:1' --segments %d --format csv", varied, data,
				     M);
	ck_assert_ptr_nonnull(strstr(out, ",changed,seg_dzH_abs,seg_dzH_rel,seg_dzL_abs,seg_dzL_rel,answer_changed,still,"
					  "fixed_point,critical_segment,critical_h,dtype\n"));
	int seg = 0, hrows = 0;
	for (const char *l = strchr(out, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
		char buf[512], *f[26];
		int nf = 0;
		snprintf(buf, sizeof buf, "%.*s", (int)(strchr(l, '\n') - l), l);
		for (char *p = buf; nf < 26 && p; nf++) {
			f[nf] = p;
			p = strchr(p, ',');
			if (p)
				*p++ = '\0';
		}
		ck_assert_int_eq(nf, 26);
		ck_assert_str_eq(f[25], "fp32"); /* the arithmetic, last */
		if (!strcmp(f[0], "H")) { /* the H-step's answer is scored */
			ck_assert(f[13][0] && f[14][0]);
			hrows++;
			continue;
		}
		if (strcmp(f[0], "segment"))
			continue;
		ck_assert_int_eq(atoi(f[1]), seg);
		ck_assert(fabs(atof(f[17]) - t.relH[seg]) <= 1e-6 * t.relH[seg]);
		ck_assert(fabs(atof(f[19]) - t.relL[seg]) <= 1e-6 * t.relL[seg]);
		ck_assert_int_eq(atoi(f[20]), t.changed[seg]);
		ck_assert_int_eq(atoi(f[21]), t.still[seg]);
		ck_assert_int_eq(f[22][0] ? atoi(f[22]) : -1, t.entered[seg]);
		ck_assert_int_eq(f[23][0] ? atoi(f[23]) : -1, t.crit[seg]);
		ck_assert_int_eq(f[24][0] ? atoi(f[24]) : -1, t.crit[seg] >= 0 ? t.crit_h[seg] : -1);
		seg++;
	}
	ck_assert_int_eq(seg, M);
	ck_assert_int_eq(hrows, M * m.cfg.H_cycles);
	free(out);
	hrm_model_free(&m);
}
END_TEST

/* ---- guesses ---- */

static const char *const tid_names[8] = { "as given", "rot90", "rot180", "rot270",
					  "flip-lr", "flip-ud", "transpose", "anti-transpose" };

static void source_cell(int tid, int n, int r, int c, int *sr, int *sc)
{
	switch (tid) {
	case 1: *sr = c, *sc = n - 1 - r; break;
	case 2: *sr = n - 1 - r, *sc = n - 1 - c; break;
	case 3: *sr = n - 1 - c, *sc = r; break;
	case 4: *sr = r, *sc = n - 1 - c; break;
	case 5: *sr = n - 1 - r, *sc = c; break;
	case 6: *sr = c, *sc = r; break;
	case 7: *sr = n - 1 - c, *sc = n - 1 - r; break;
	default: *sr = r, *sc = c;
	}
}

/* A version (transform tid) run here; its answer mapped back. */
struct ref_guess {
	float q;
	int32_t back[25];
	bool exact;
};

static void ref_guess(const struct hrm_model *m, const int32_t *in, const int32_t *label, int tid, struct ref_guess *g)
{
	int32_t v[25];
	for (int r = 0; r < 5; r++)
		for (int c = 0; c < 5; c++) {
			int sr, sc;
			source_cell(tid, 5, r, c, &sr, &sc);
			v[r * 5 + c] = in[sr * 5 + sc];
		}
	struct traj t;
	ref_run(m, v, NULL, m->cfg.halt_max_steps, &t);
	int M = t.M;
	for (int r = 0; r < 5; r++)
		for (int c = 0; c < 5; c++) {
			int sr, sc;
			source_cell(tid, 5, r, c, &sr, &sc);
			g->back[sr * 5 + sc] = t.pred[M - 1][r * 5 + c];
		}
	g->q = t.qh[M - 1];
	g->exact = exact_vs(g->back, label, 25);
}

/* The votes of n reference guesses: index of the majority's and the
 * weighted vote's representative. */
static void ref_votes(const struct ref_guess *g, int n, int *maj, int *wtd, int *groups)
{
	int rep[64], runs[64], ng = 0;
	double w[64];
	for (int i = 0; i < n; i++) {
		int k = 0;
		while (k < ng && memcmp(g[rep[k]].back, g[i].back, sizeof g[i].back))
			k++;
		if (k == ng)
			rep[ng] = i, runs[ng] = 0, w[ng++] = 0;
		runs[k]++;
		w[k] += 1 / (1 + exp(-(double)g[i].q));
	}
	int a = 0, b = 0;
	for (int k = 1; k < ng; k++) {
		if (runs[k] > runs[a] || (runs[k] == runs[a] && w[k] > w[a]))
			a = k;
		if (w[k] > w[b] || (w[k] == w[b] && runs[k] > runs[b]))
			b = k;
	}
	*maj = rep[a];
	*wtd = rep[b];
	*groups = ng;
}

START_TEST(test_guess_dihedral)
{
	const char *models[2] = { MODEL, varied };
	int vote_beats_plain = 0, several = 0;
	for (int mi = 0; mi < 2; mi++) {
		struct hrm_model m;
		load(models[mi], &m);
		for (int i = 0; i < 4; i++) {
			int32_t in[25], label[25];
			example(i, in, label);
			char *out = test_hrmscope_ok("guess --model '%s' --puzzle '%s:test:%d' --k 8 --perturb dihedral "
						     "--seed %d --no-grid", models[mi], data, i, i);
			const char *line = strchr(after(out, "critical  group  right\n") - 1, '\n') + 1;
			struct ref_guess g[8];
			char group[8][8];
			for (int k = 0; k < 8; k++) {
				int run, model, version;
				ck_assert_int_eq(sscanf(line, "%d %d %d", &run, &model, &version), 3);
				ck_assert(run == k + 1 && model == 1 && version == k);
				char desc[40], fp[16], cr[16], right[8];
				float q;
				snprintf(desc, sizeof desc, "%.36s", line + 22);
				for (int j = (int)strlen(desc) - 1; j >= 0 && desc[j] == ' '; j--)
					desc[j] = '\0';
				ck_assert_int_eq(sscanf(line + 60, "%f %15s %15s %7s %7s", &q, fp, cr, group[k], right), 5);
				int tid = -1;
				for (int tt = 0; tt < 8; tt++)
					if (!strcmp(desc, tid_names[tt]))
						tid = tt;
				ck_assert_msg(tid >= 0 && (tid == 0) == (k == 0), "run %d: '%s'", k + 1, desc);
				ref_guess(&m, in, label, tid, &g[k]);
				ck_assert_msg(fabs(q - g[k].q) < 1e-4, "run %d: q_halt %f vs %f", k + 1, q, g[k].q);
				ck_assert_str_eq(right, g[k].exact ? "yes" : "no");
				line = strchr(line, '\n') + 1;
			}
			/* same group <=> same answer in the original frame */
			for (int a = 0; a < 8; a++)
				for (int b = 0; b < 8; b++)
					ck_assert_int_eq(!strcmp(group[a], group[b]), !memcmp(g[a].back, g[b].back, sizeof g[a].back));
			int maj, wtd, ng;
			ref_votes(g, 8, &maj, &wtd, &ng);
			ck_assert_int_eq(atoi(after(out, " groups=")), ng);
			ck_assert_int_eq(atoi(after(out, " majority_right=")), g[maj].exact);
			ck_assert_int_eq(atoi(after(out, " weighted_right=")), g[wtd].exact);
			ck_assert_int_eq(atoi(after(out, " plain_right=")), g[0].exact);
			vote_beats_plain += g[maj].exact && !g[0].exact;
			several += ng > 1;
			free(out);
		}
		hrm_model_free(&m);
	}
	ck_assert_int_gt(several, 0);
	ck_assert_int_gt(vote_beats_plain, 0);
}
END_TEST

/* several --model pool their runs; a seed gives the same run every time */
START_TEST(test_guess_models_and_seed)
{
	char *out = test_hrmscope_ok("guess --model '%s' --model '%s' --puzzle '%s:test:2' --k 3 --perturb noise "
				     "--seed 4 --no-grid", MODEL, varied, data);
	ck_assert_int_eq(atoi(after(out, "hrmscope-guess runs=")), 6);
	const char *l = strchr(after(out, "critical  group  right\n") - 1, '\n') + 1;
	float q[6];
	for (int k = 0; k < 6; k++) {
		int run, model, version;
		ck_assert_int_eq(sscanf(l, "%d %d %d", &run, &model, &version), 3);
		ck_assert(model == 1 + k / 3 && version == k % 3);
		q[k] = (float)atof(l + 60);
		l = strchr(l, '\n') + 1;
	}
	/* version 0 is the plain run of each model */
	struct hrm_model m;
	int32_t in[25], label[25];
	struct traj t;
	example(2, in, label);
	load(varied, &m);
	ref_run(&m, in, label, 4, &t);
	ck_assert(fabs(q[3] - t.qh[3]) < 1e-4);
	hrm_model_free(&m);
	char *again = test_hrmscope_ok("guess --model '%s' --model '%s' --puzzle '%s:test:2' --k 3 --perturb noise "
				       "--seed 4 --no-grid", MODEL, varied, data);
	ck_assert_str_eq(out, again);
	char *other = test_hrmscope_ok("guess --model '%s' --puzzle '%s:test:2' --k 3 --perturb noise "
				       "--seed 5 --no-grid", MODEL, data);
	const char *o = strchr(after(other, "critical  group  right\n") - 1, '\n') + 1;
	ck_assert(fabs(atof(o + 60) - q[0]) < 1e-6);   /* version 0: no noise */
	o = strchr(o, '\n') + 1;
	ck_assert(fabs(atof(o + 60) - q[1]) > 1e-7);   /* another seed, another kick */
	free(out);
	free(again);
	free(other);
}
END_TEST

START_TEST(test_eval_guesses)
{
	int n = 6, M = 4;
	char *out = test_hrmscope_ok("eval --model '%s' --data '%s' --limit %d --guesses 8 --perturb dihedral", varied,
				     data, n);
	struct hrm_model m;
	load(varied, &m);
	long plain = 0, maj = 0, wtd = 0, crit_at[MAXSEG + 1] = { 0 }, used_at[MAXSEG] = { 0 }, fp[3] = { 0 };
	for (int i = 0; i < n; i++) {
		int32_t in[25], label[25];
		example(i, in, label);
		struct ref_guess g[8];
		for (int tid = 0; tid < 8; tid++) /* 8 dihedral versions: all 8 transforms, in some order */
			ref_guess(&m, in, label, tid, &g[tid]);
		int a, b, ng;
		ref_votes(g, 8, &a, &b, &ng);
		plain += g[0].exact;
		maj += g[a].exact;
		wtd += g[b].exact;
		struct traj t;
		ref_run(&m, in, label, M, &t);
		crit_at[t.crit[M - 1] >= 0 ? t.crit[M - 1] : M]++;
		int used = M - 1;
		for (int s = 0; s < M; s++)
			if (t.qh[s] > t.qc[s]) {
				used = s;
				break;
			}
		used_at[used]++;
		fp[t.entered[M - 1] < 0 ? 2 : t.exact[M - 1] ? 0 : 1]++;
	}
	ck_assert_int_eq(atol(after(out, " guess_n=")), n);
	ck_assert_int_eq(atol(after(out, " guess_plain=")), plain);
	ck_assert_int_eq(atol(after(out, " guess_majority=")), maj);
	ck_assert_int_eq(atol(after(out, " guess_weighted=")), wtd);
	ck_assert_int_eq(atol(after(out, " fp_right=")), fp[0]);
	ck_assert_int_eq(atol(after(out, " fp_wrong=")), fp[1]);
	ck_assert_int_eq(atol(after(out, " fp_none=")), fp[2]);
	const char *p = after(out, " critical_at=");
	for (int s = 0; s <= M; s++, p = strchr(p, s <= M ? ',' : ' ') + 1)
		ck_assert_int_eq(atol(p), crit_at[s]);
	p = after(out, " used_at=");
	for (int s = 0; s < M; s++, p = strchr(p, s < M ? ',' : ' ') + 1)
		ck_assert_int_eq(atol(p), used_at[s]);
	/* the text: the accuracies and the two histograms side by side */
	char want[128];
	snprintf(want, sizeof want, "exact with the majority vote                       %6.2f%%", 100.0 * maj / n);
	ck_assert_msg(strstr(out, want) != NULL, "missing '%s' in\n%s", want, out);
	ck_assert_ptr_nonnull(strstr(out, "critical step                           segments used (adaptive)"));
	snprintf(want, sizeof want, "\n  never  %6ld", crit_at[M]);
	ck_assert_msg(strstr(out, want) != NULL, "missing '%s' in\n%s", want, out);
	/* shards merge, guesses included */
	char *path = test_path("shards.txt");
	FILE *f = fopen(path, "w");
	for (int s = 0; s < 2; s++) {
		char *sh = test_hrmscope_ok("eval --model '%s' --data '%s' --limit %d --guesses 8 --perturb dihedral "
					    "--shard %d/2", varied, data, n, s);
		fputs(sh, f);
		free(sh);
	}
	fclose(f);
	char *merged = test_hrmscope_ok("eval --merge '%s'", path);
	ck_assert_int_eq(atol(after(merged, " guess_majority=")), maj);
	ck_assert_int_eq(atol(after(merged, " fp_none=")), fp[2]);
	ck_assert_int_eq(atol(after(after(merged, " critical_at="), ",")), crit_at[1]);
	free(merged);
	free(path);
	free(out);
	hrm_model_free(&m);
}
END_TEST

/* K 16 of the 8 dihedral versions: runs 9-16 are runs 1-8 again; said,
 * and each version counted once in the groups and the votes (issue 22) */
START_TEST(test_guess_repeats)
{
	char *out = test_hrmscope_ok("guess --model '%s' --puzzle '%s:test:0' --k 16 --perturb dihedral --no-grid", MODEL,
				     data);
	ck_assert_msg(strstr(out, "8 runs repeat an earlier run's version") != NULL, "%s", out);
	ck_assert_msg(strstr(out, " of 8 runs  right:") != NULL, "%s", out);
	/* the line for scripts counts the 8 versions, and says 8 repeated */
	const char *line = strstr(out, "hrmscope-guess runs=");
	ck_assert_msg(line != NULL, "%s", out);
	ck_assert_int_eq(atoi(line + strlen("hrmscope-guess runs=")), 8);
	const char *rep = strstr(line, " repeats=");
	ck_assert_msg(rep != NULL, "%s", line);
	ck_assert_int_eq(atoi(rep + strlen(" repeats=")), 8);
	int settled = atoi(strstr(line, " settled=") + strlen(" settled="));
	ck_assert_msg(settled >= 0 && settled <= 8, "settled=%d counts a repeated run: %s", settled, line);
	free(out);
}
END_TEST

static Suite *guess_cli_suite(void)
{
	Suite *s = suite_create("guess_cli");
	TCase *tc = tcase_create("cli");
	tcase_add_test(tc, test_run_fixed_point);
	tcase_add_test(tc, test_trace_columns);
	tcase_add_test(tc, test_guess_dihedral);
	tcase_add_test(tc, test_guess_repeats);
	tcase_add_test(tc, test_guess_models_and_seed);
	tcase_add_test(tc, test_eval_guesses);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- set-up ---- */

/* The varied fixture model (with the Q head's biases set, as tests/check_cli.c
 * makes it, so that answers and halting vary) and a dataset of 5x5 mazes. */
static int make_fixture(void)
{
	char *cause = NULL;
	if (test_make_varied_fixture(HRMSCOPE_BIN, true, &varied, &data) != 0)
		return -1;
	if (dataset_read_split(data, "test", &split, &cause) != 0)
		return fprintf(stderr, "cannot read the maze dataset: %s\n", cause), -1;
	return 0;
}

int main(void)
{
	int rc = test_main_setup(guess_cli_suite(), "check_guess_cli", make_fixture);
	dataset_split_free(&split);
	return rc;
}
