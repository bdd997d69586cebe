/* check_probe.c - the simple-puzzle probe: its variants (sudoku blanks,
 * maze S and G moved along the true path), the outcome classes, and
 * `hrmscope probe-simple` end to end on the tiny fixture model, whose
 * counts are recomputed here one variant at a time through the engine,
 * with the fixed-point definitions written out again. */
#include "config.h"
#include "io/dataset.h"
#include "model/engine.h"
#include "analysis/fixedpoint.h"
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "puzzles/maze.h"
#include "analysis/probe_simple.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL FIXTURES_DIR "/models/tiny_maze"
#define EXAMPLES FIXTURES_DIR "/../../puzzles/examples"
#define TOL 0.01
#define MAXSEG 16

/* the varied model and the maze dataset, made before the tests (make_fixture) */
static char *varied, *mazes;

/* ---- sudoku variants ---- */

static void solved_sudoku(uint64_t seed, struct puzzle *p)
{
	struct hrm_rng r;
	struct sudoku_gen_opts o = { .givens = 30 };
	char *cause = NULL;
	hrm_rng_seed(&r, seed);
	ck_assert_msg(sudoku_generate(&r, &o, p, NULL, &cause) == 0, "%s", cause);
	ck_assert(p->has_label);
}

START_TEST(test_sudoku_variant)
{
	static const int ks[] = { 1, 2, 3, 4, 8, 16, 30 };
	int made = 0, differ = 0;
	for (int g = 0; g < 3; g++) {
		struct puzzle p, v, w;
		solved_sudoku(100 + (uint64_t)g, &p);
		for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
			int k = ks[ki];
			int32_t first_input[SUDOKU_CELLS];
			for (int rep = 0; rep < 3; rep++) {
				struct hrm_rng r;
				char *cause = NULL;
				probe_variant_rng(5, g, k, rep, &r);
				int rc = probe_sudoku_variant(&p, k, &r, &v, &cause);
				ck_assert_msg(rc == PROBE_MADE, "grid %d, %d blanks: %d %s", g, k, rc, cause ? cause : "");
				made++;
				int blanks = 0;
				for (int i = 0; i < SUDOKU_CELLS; i++) {
					if (v.input[i] == SUDOKU_BLANK)
						blanks++;
					else
						ck_assert_int_eq(v.input[i], p.label[i]);
				}
				ck_assert_int_eq(blanks, k);
				ck_assert(v.has_label && v.kind == PUZZLE_SUDOKU);
				ck_assert(memcmp(v.label, p.label, SUDOKU_CELLS * sizeof *v.label) == 0);
				/* one solution, and it is the original one */
				uint8_t d[SUDOKU_CELLS], sol[SUDOKU_CELLS], want[SUDOKU_CELLS];
				sudoku_to_digits(v.input, d);
				sudoku_to_digits(p.label, want);
				ck_assert_int_eq(sudoku_solve_digits(d, sol, 2, NULL), 1);
				ck_assert(memcmp(sol, want, sizeof sol) == 0);
				/* the same stream gives the same variant */
				probe_variant_rng(5, g, k, rep, &r);
				ck_assert_int_eq(probe_sudoku_variant(&p, k, &r, &w, &cause), PROBE_MADE);
				ck_assert(memcmp(v.input, w.input, sizeof v.input) == 0);
				if (rep == 0)
					memcpy(first_input, v.input, sizeof first_input);
				else
					differ += memcmp(first_input, v.input, sizeof first_input) != 0;
			}
		}
	}
	ck_assert_int_eq(made, 3 * 7 * 3);
	ck_assert_int_gt(differ, 3 * 6 * 2 - 3); /* other replicas, other cells (1 blank may repeat) */
	/* out of range, and a puzzle whose label is not a solution */
	struct puzzle p, v;
	struct hrm_rng r;
	char *cause = NULL;
	solved_sudoku(7, &p);
	hrm_rng_seed(&r, 1);
	ck_assert_int_eq(probe_sudoku_variant(&p, 0, &r, &v, &cause), -1);
	free(cause);
	cause = NULL;
	ck_assert_int_eq(probe_sudoku_variant(&p, PROBE_MAX_BLANKS + 1, &r, &v, &cause), -1);
	free(cause);
	cause = NULL;
	int a = p.label[0];
	p.label[0] = p.label[1];
	p.label[1] = a;
	ck_assert_int_eq(probe_sudoku_variant(&p, 2, &r, &v, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "label"));
	free(cause);
}
END_TEST

/* ---- maze variants ---- */

/* The original path by its own walk: idx[cell] = moves from S along the
 * label's path, -1 off it; returns the path's moves. */
static int path_index(const struct puzzle *p, int *idx)
{
	int side = p->side, s = -1, g = -1;
	for (int i = 0; i < p->seq_len; i++) {
		idx[i] = -1;
		if (p->input[i] == MAZE_START)
			s = i;
		if (p->input[i] == MAZE_GOAL)
			g = i;
	}
	int cur = s, n = 0;
	idx[s] = 0;
	while (cur != g) {
		int next = -1, cand[4] = { cur - side, cur + 1, cur + side, cur - 1 };
		for (int k = 0; k < 4; k++) {
			int u = cand[k];
			if (u < 0 || u >= p->seq_len || (k % 2 == 1 && u / side != cur / side) || idx[u] >= 0)
				continue;
			if (u == g)
				next = u;
			else if (p->label[u] == MAZE_PATH && next != g)
				next = u;
		}
		ck_assert_int_ge(next, 0);
		idx[next] = ++n;
		cur = next;
	}
	return n;
}

static void check_maze_variant(const struct puzzle *p, const int *idx, int L, int d, const struct puzzle *v, int at)
{
	int S = p->seq_len, s = -1, g = -1, nS = 0, nG = 0, path_cells = 0;
	for (int i = 0; i < S; i++) {
		if (v->input[i] == MAZE_START)
			s = i, nS++;
		else if (v->input[i] == MAZE_GOAL)
			g = i, nG++;
		else if (p->input[i] == MAZE_START || p->input[i] == MAZE_GOAL)
			ck_assert_int_eq(v->input[i], MAZE_OPEN); /* the old S and G are open now */
		else
			ck_assert_int_eq(v->input[i], p->input[i]); /* walls and open cells kept */
	}
	ck_assert(nS == 1 && nG == 1);
	/* S and G on the original path, d moves apart along it */
	ck_assert(idx[s] >= 0 && idx[g] >= 0);
	ck_assert_int_eq(idx[g] - idx[s], d);
	ck_assert_int_eq(idx[s], at);
	ck_assert(idx[g] <= L);
	/* the label is the solver's shortest path between them, d moves long */
	struct puzzle u = *v;
	char *cause = NULL;
	u.has_label = false;
	ck_assert_msg(maze_solve(&u, &cause) == 0, "%s", cause);
	ck_assert(v->has_label && memcmp(u.label, v->label, (size_t)S * sizeof *u.label) == 0);
	ck_assert_int_eq(maze_shortest_length(v), d);
	ck_assert_int_eq(maze_count_shortest_paths(v, 5), 1);
	for (int i = 0; i < S; i++)
		if (v->label[i] == MAZE_PATH) {
			path_cells++;
			ck_assert(idx[i] > idx[s] && idx[i] < idx[g]); /* on the original path, between them */
		}
	ck_assert_int_eq(path_cells, d - 1);
	struct maze_check mc;
	ck_assert(maze_check_answer(v, v->label, NULL, &mc) && mc.shortest);
}

START_TEST(test_maze_variant)
{
	int checked = 0, skipped_loops = 0;
	for (int m = 0; m < 6; m++) {
		struct maze_gen_opts o = { .side = 11, .min_path = 12, .loops = m < 3 ? 0.0 : 0.3 };
		struct hrm_rng r;
		struct puzzle p, v;
		char *cause = NULL;
		hrm_rng_seed(&r, 40 + (uint64_t)m);
		ck_assert_msg(maze_generate(&r, &o, &p, &cause) == 0, "%s", cause);
		int idx[PUZZLE_MAX_CELLS], cells[PUZZLE_MAX_CELLS];
		int L = path_index(&p, idx);
		ck_assert_int_eq(probe_maze_path(&p, cells, &cause), L);
		for (int i = 0; i <= L; i++)
			ck_assert_int_eq(idx[cells[i]], i);
		int ds[] = { 1, 2, 3, 5, 8, L, L + 1 };
		for (int di = 0; di < 7; di++)
			for (int rep = 0; rep < 3; rep++) {
				int at = -2;
				probe_variant_rng(9, m, ds[di], rep, &r);
				int rc = probe_maze_variant(&p, ds[di], &r, &v, &at, &cause);
				if (ds[di] > L) {
					ck_assert_int_eq(rc, PROBE_SKIP);
					continue;
				}
				if (o.loops == 0)
					ck_assert_int_eq(rc, PROBE_MADE); /* a perfect maze: always one path */
				if (rc == PROBE_SKIP) {
					skipped_loops++;
					continue;
				}
				ck_assert_int_eq(rc, PROBE_MADE);
				check_maze_variant(&p, idx, L, ds[di], &v, at);
				checked++;
			}
	}
	ck_assert_int_gt(checked, 6 * 6 * 3 / 2);
	(void)skipped_loops;
	/* a label that is not a path is reported */
	struct puzzle p, v;
	struct hrm_rng r;
	struct maze_gen_opts o = { .side = 9, .min_path = 6 };
	char *cause = NULL;
	hrm_rng_seed(&r, 3);
	ck_assert(maze_generate(&r, &o, &p, &cause) == 0);
	for (int i = 0; i < p.seq_len; i++)
		if (p.label[i] == MAZE_PATH) {
			p.label[i] = MAZE_OPEN;
			break;
		}
	ck_assert_int_eq(probe_maze_variant(&p, 1, &r, &v, NULL, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "shortest"));
	free(cause);
}
END_TEST

/* ---- outcome classes on hand-made trajectories ---- */

/* Segments: changed answer?, relative state change, exact? */
struct seg {
	bool changed;
	double rel;
	int exact;
};

static enum probe_outcome classify(const struct seg *s, int n)
{
	struct fp_track f;
	fp_track_reset(&f);
	bool right_before = false;
	for (int i = 0; i < n; i++) {
		fp_track_segment(&f, s[i].changed, s[i].rel, s[i].rel, s[i].exact, TOL);
		if (i < n - 1 && s[i].exact == 1)
			right_before = true;
	}
	return probe_classify(&f, right_before);
}

START_TEST(test_classify)
{
	const struct seg right_settled[] = { { true, 1, 0 }, { true, 0.1, 1 }, { false, 0.001, 1 }, { false, 1e-4, 1 } };
	const struct seg right_moving[] = { { true, 1, 0 }, { true, 0.1, 1 }, { false, 0.5, 1 } };
	const struct seg left_right[] = { { true, 1, 0 }, { true, 0.1, 1 }, { false, 0.001, 1 }, { true, 0.2, 0 } };
	/* right once, then settled on a wrong answer: still a violation */
	const struct seg left_right_settled[] = { { true, 1, 1 }, { true, 0.3, 0 }, { false, 0.001, 0 } };
	const struct seg left_rest[] = { { true, 1, 0 }, { false, 0.001, 0 }, { true, 0.3, 0 }, { true, 0.2, 0 } };
	const struct seg left_rest_resettled[] = { { true, 1, 0 }, { false, 0.001, 0 }, { false, 0.05, 0 },
						   { false, 0.001, 0 } };
	const struct seg wrong_fp[] = { { true, 1, 0 }, { true, 0.2, 0 }, { false, 0.001, 0 }, { false, 1e-5, 0 } };
	const struct seg no_fp[] = { { true, 1, 0 }, { true, 0.2, 0 }, { false, 0.05, 0 } };
	ck_assert_int_eq(classify(right_settled, 4), PROBE_RIGHT_SETTLED);
	ck_assert_int_eq(classify(right_moving, 3), PROBE_RIGHT_MOVING);
	ck_assert_int_eq(classify(left_right, 4), PROBE_VIOLATION_LEFT_RIGHT);
	ck_assert_int_eq(classify(left_right_settled, 3), PROBE_VIOLATION_LEFT_RIGHT);
	ck_assert_int_eq(classify(left_rest, 4), PROBE_VIOLATION_LEFT_REST);
	ck_assert_int_eq(classify(left_rest_resettled, 4), PROBE_VIOLATION_LEFT_REST);
	ck_assert_int_eq(classify(wrong_fp, 4), PROBE_WRONG_FIXED_POINT);
	ck_assert_int_eq(classify(no_fp, 3), PROBE_NO_FIXED_POINT);
	ck_assert(probe_outcome_is_violation(PROBE_VIOLATION_LEFT_REST));
	ck_assert(!probe_outcome_is_violation(PROBE_WRONG_FIXED_POINT));
}
END_TEST

/* ---- the command ---- */

/* The value of " key=" in the summary line of level `value`. */
static long summary(const char *out, int value, const char *key)
{
	char head[64], k[64];
	snprintf(head, sizeof head, " value=%d ", value);
	const char *l = strstr(out, "hrmscope-probe-simple ");
	while (l != NULL) {
		const char *end = strchr(l, '\n');
		const char *h = strstr(l, head);
		if (h != NULL && h < end) {
			snprintf(k, sizeof k, " %s=", key);
			const char *p = strstr(l, k);
			ck_assert_msg(p != NULL && p < end, "no %s in the line of level %d", key, value);
			return atol(p + strlen(k));
		}
		l = strstr(end, "hrmscope-probe-simple ");
	}
	ck_abort_msg("no summary line for level %d in\n%s", value, out);
	return -1;
}

static double rel(const float *a, const float *b, size_t n)
{
	double dd = 0, aa = 0;
	for (size_t i = 0; i < n; i++) {
		dd += ((double)b[i] - a[i]) * ((double)b[i] - a[i]);
		aa += (double)a[i] * a[i];
	}
	return sqrt(dd / aa);
}

/* One variant alone through the engine, M segments; the outcome from the
 * definitions (probe_simple.h, fixedpoint.h) written out again. */
static enum probe_outcome ref_outcome(const struct hrm_model *m, const struct puzzle *v, int M)
{
	char *cause = NULL;
	int S = v->seq_len;
	int32_t pid = 0, prev[PUZZLE_MAX_CELLS];
	struct hrm_engine *e = hrm_engine_new(m, 1, S, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	ck_assert(hrm_engine_set_inputs(e, v->input, &pid, &cause) == 0);
	hrm_engine_reset(e, -1);
	size_t n = (size_t)hrm_engine_T(e) * m->cfg.hidden_size;
	float *zH = xmalloc(n * sizeof(float)), *zL = xmalloc(n * sizeof(float));
	bool still[MAXSEG], exact[MAXSEG];
	for (int s = 0; s < M; s++) {
		memcpy(zH, hrm_engine_zH(e), n * sizeof(float));
		memcpy(zL, hrm_engine_zL(e), n * sizeof(float));
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
		const int32_t *pred = hrm_engine_pred(e);
		bool changed = s == 0 || memcmp(pred, prev, (size_t)S * sizeof *pred) != 0;
		still[s] = !changed && rel(zH, hrm_engine_zH(e), n) <= TOL && rel(zL, hrm_engine_zL(e), n) <= TOL;
		exact[s] = true;
		for (int i = 0; i < S; i++)
			if (v->label[i] != 0 && pred[i] != v->label[i])
				exact[s] = false;
		memcpy(prev, pred, (size_t)S * sizeof *pred);
	}
	free(zH);
	free(zL);
	hrm_engine_free(e);
	/* settled: the last segment still and the run of still segments it ends
	 * does not start at segment 0 (which never is still) */
	bool settled = still[M - 1], right_before = false, ended_run = false;
	for (int s = 0; s < M - 1; s++) {
		right_before |= exact[s];
		ended_run |= still[s] && !still[s + 1];
	}
	if (exact[M - 1])
		return settled ? PROBE_RIGHT_SETTLED : PROBE_RIGHT_MOVING;
	if (right_before)
		return PROBE_VIOLATION_LEFT_RIGHT;
	if (ended_run)
		return PROBE_VIOLATION_LEFT_REST;
	return settled ? PROBE_WRONG_FIXED_POINT : PROBE_NO_FIXED_POINT;
}

START_TEST(test_cli_counts)
{
	static const int ds[] = { 1, 2, 3, 5, 7 };
	const int nd = 5, R = 2, seed = 3;
	const char *models[2] = { MODEL, varied };
	struct dataset_split split;
	char *cause = NULL;
	ck_assert_msg(dataset_read_split(mazes, "test", &split, &cause) == 0, "%s", cause);
	long fails = 0, violations = 0, made_total = 0, skipped_total = 0;
	for (int mi = 0; mi < 2; mi++) {
		struct hrm_model m;
		ck_assert_msg(hrm_model_load(&m, models[mi], &cause) == 0, "%s", cause);
		int M = mi == 0 ? 8 : 4;
		struct test_output r =
			test_hrmscope("probe-simple --model '%s' --data '%s' --distances 1,2,3,5,7 --variants %d "
				      "--seed %d --max-steps %d --batch 5 --show 2", models[mi], mazes, R, seed, M);
		ck_assert_msg(r.rc == 0, "status %d: %s", r.rc, r.err);
		for (int di = 0; di < nd; di++) {
			long want[PROBE_OUTCOMES] = { 0 }, made = 0, skipped = 0;
			for (int i = 0; i < (int)split.num_examples; i++) {
				struct dataset_example ex;
				ck_assert(dataset_get_example(&split, i, &ex) == 0);
				struct puzzle p = { .kind = PUZZLE_MAZE, .side = 5, .seq_len = 25, .has_label = true };
				memcpy(p.input, ex.inputs, 25 * sizeof *p.input);
				memcpy(p.label, ex.labels, 25 * sizeof *p.label);
				for (int rep = 0; rep < R; rep++) {
					struct hrm_rng rng;
					struct puzzle v;
					probe_variant_rng(seed, i, ds[di], rep, &rng);
					int rc = probe_maze_variant(&p, ds[di], &rng, &v, NULL, &cause);
					ck_assert_int_ge(rc, 0);
					if (rc == PROBE_SKIP) {
						skipped++;
						continue;
					}
					made++;
					want[ref_outcome(&m, &v, M)]++;
				}
			}
			int d = ds[di];
			ck_assert_int_eq(summary(r.out, d, "variants"), made);
			ck_assert_int_eq(summary(r.out, d, "skipped"), skipped);
			ck_assert_int_eq(made + skipped, split.num_examples * R);
			long exact = want[PROBE_RIGHT_SETTLED] + want[PROBE_RIGHT_MOVING];
			ck_assert_int_eq(summary(r.out, d, "exact"), exact);
			ck_assert_int_eq(summary(r.out, d, "right_settled"), want[PROBE_RIGHT_SETTLED]);
			ck_assert_int_eq(summary(r.out, d, "right_moving"), want[PROBE_RIGHT_MOVING]);
			ck_assert_int_eq(summary(r.out, d, "failed"), made - exact);
			ck_assert_int_eq(summary(r.out, d, "violation_left_right"), want[PROBE_VIOLATION_LEFT_RIGHT]);
			ck_assert_int_eq(summary(r.out, d, "violation_left_rest"), want[PROBE_VIOLATION_LEFT_REST]);
			ck_assert_int_eq(summary(r.out, d, "violation"),
					 want[PROBE_VIOLATION_LEFT_RIGHT] + want[PROBE_VIOLATION_LEFT_REST]);
			ck_assert_int_eq(summary(r.out, d, "wrong_fp"), want[PROBE_WRONG_FIXED_POINT]);
			ck_assert_int_eq(summary(r.out, d, "no_fp"), want[PROBE_NO_FIXED_POINT]);
			/* the counts add up */
			ck_assert_int_eq(summary(r.out, d, "failed"), summary(r.out, d, "violation") +
								     summary(r.out, d, "wrong_fp") +
								     summary(r.out, d, "no_fp"));
			/* the table row says the same */
			char row[200];
			snprintf(row, sizeof row, "\n%8d  %8ld  %7ld  %6ld  %6.1f%%", d, made, skipped, exact,
				 made ? 100.0 * exact / made : 0.0);
			ck_assert_msg(strstr(r.out, row) != NULL, "no row '%s' in\n%s", row + 1, r.out);
			fails += made - exact;
			violations += want[PROBE_VIOLATION_LEFT_RIGHT] + want[PROBE_VIOLATION_LEFT_REST];
			made_total += made;
			skipped_total += skipped;
		}
		if (strstr(r.out, "\nfailures (the first ") != NULL)
			ck_assert_ptr_nonnull(strstr(r.out, "\n1. distance "));
		test_output_free(&r);
		hrm_model_free(&m);
	}
	/* the cases cover failures, violations and skipped levels */
	ck_assert_int_gt(fails, 0);
	ck_assert_int_gt(violations, 0);
	ck_assert_int_gt(skipped_total, 0);
	ck_assert_int_gt(made_total, 0);
	/* the same seed, the same report; another seed, other variants */
	struct test_output a = test_hrmscope("probe-simple --model '%s' --data '%s' --distances 2 --seed 1", varied,
					     mazes);
	struct test_output b = test_hrmscope("probe-simple --model '%s' --data '%s' --distances 2 --seed 1", varied,
					     mazes);
	ck_assert(a.rc == 0 && b.rc == 0);
	ck_assert_str_eq(a.out, b.out);
	test_output_free(&a);
	test_output_free(&b);
	dataset_split_free(&split);
}
END_TEST

/* A sudoku model (random, sized by hrmscope init) on puzzle files. */
START_TEST(test_cli_sudoku_files)
{
	char model[1200];
	snprintf(model, sizeof model, "%s/sudoku-model", test_tmpdir());
	struct test_output r =
		test_hrmscope("init --arch '%s/models/tiny_maze.yaml' --vocab 11 --seq-len 81 --seed 2 -o '%s'",
			      FIXTURES_DIR, model);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope("probe-simple --model '%s' --puzzle '%s/sudoku-easy.txt' "
			  "--puzzle '%s/sudoku-hard.solution.txt' --blanks 3 --variants 2", model, EXAMPLES, EXAMPLES);
	ck_assert_msg(r.rc == 0, "status %d: %s", r.rc, r.err);
	for (int k = 1; k <= 3; k++) { /* "3" is a maximum: levels 1, 2, 3 */
		ck_assert_int_eq(summary(r.out, k, "variants"), 4);
		ck_assert_int_eq(summary(r.out, k, "skipped"), 0);
		ck_assert_int_eq(summary(r.out, k, "exact") + summary(r.out, k, "failed"), 4);
		ck_assert_int_eq(summary(r.out, k, "failed"), summary(r.out, k, "violation") +
								 summary(r.out, k, "wrong_fp") + summary(r.out, k, "no_fp"));
	}
	ck_assert_ptr_null(strstr(r.out, " value=4 "));
	ck_assert_ptr_nonnull(strstr(r.out, " kind=sudoku level=blanks "));
	test_output_free(&r);
}
END_TEST

/* The first line of stderr: one line naming the problem. */
static void check_error(struct test_output *r, int status, const char *want1, const char *want2)
{
	ck_assert_msg(r->rc == status, "status %d, wanted %d: %s", r->rc, status, r->err);
	const char *nl = strchr(r->err, '\n');
	ck_assert_ptr_nonnull(nl);
	char line[1024];
	snprintf(line, sizeof line, "%.*s", (int)(nl - r->err), r->err);
	ck_assert_msg(strstr(line, want1) && strstr(line, want2), "'%s' lacks '%s' or '%s'", line, want1, want2);
	if (status == 1) /* runtime errors are one line */
		ck_assert_msg(nl[1] == '\0', "more than one line: %s", r->err);
	ck_assert_str_eq(r->out, "");
	test_output_free(r);
}

START_TEST(test_cli_errors)
{
	struct test_output r = test_hrmscope("probe-simple --model '%s' --data '%s' --blanks 0", MODEL, mazes);
	check_error(&r, 2, "--blanks", "'0'");
	r = test_hrmscope("probe-simple --model '%s' --data '%s' --distances 1,,2", MODEL, mazes);
	check_error(&r, 2, "--distances", "'1,,2'");
	/* a numeric option out of range: cli_opt_int's message */
	r = test_hrmscope("probe-simple --model '%s' --data '%s' --variants 0", MODEL, mazes);
	check_error(&r, 2, "hrmscope probe-simple: --variants: expected an integer 1..1000", ", got '0'");
	r = test_hrmscope("probe-simple --model '%s' --data '%s' --blanks 1,2", MODEL, mazes);
	check_error(&r, 2, "--blanks", "holds mazes");
	r = test_hrmscope("probe-simple --model '%s' --data '%s' --puzzle '%s/maze-7.txt'", MODEL, mazes, EXAMPLES);
	check_error(&r, 2, "--data", "--puzzle");
	/* a maze model with sudoku data */
	char sd[1200];
	snprintf(sd, sizeof sd, "%s/sudokus", test_tmpdir());
	r = test_hrmscope("gen sudoku --count 1 --test-count 2 --givens 40 --seed 1 -o '%s'", sd);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	test_output_free(&r);
	r = test_hrmscope("probe-simple --model '%s' --data '%s'", MODEL, sd);
	check_error(&r, 1, "sudoku", "vocabulary 6");
	/* a maze of another size than the model's */
	r = test_hrmscope("probe-simple --model '%s' --puzzle '%s/maze-7.txt'", MODEL, EXAMPLES);
	check_error(&r, 1, "maze-7.txt", "seq_len 25");
	/* ARC is refused */
	r = test_hrmscope("probe-simple --model '%s' --puzzle '%s/arc-mirror.json'", MODEL, EXAMPLES);
	check_error(&r, 1, "arc-mirror.json", "ARC");
}
END_TEST

static Suite *probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tv = tcase_create("variants");
	tcase_add_test(tv, test_sudoku_variant);
	tcase_add_test(tv, test_maze_variant);
	tcase_add_test(tv, test_classify);
	suite_add_tcase(s, tv);
	TCase *tc = tcase_create("cli");
	tcase_add_test(tc, test_cli_counts);
	tcase_add_test(tc, test_cli_sudoku_files);
	tcase_add_test(tc, test_cli_errors);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- set-up ---- */

/* The varied fixture model (the Q head's biases kept; tests/check_guess_cli.c
 * sets them), so that answers move and fail, and a dataset of 5x5 mazes. */
static int make_fixture(void)
{
	return test_make_varied_fixture(HRMSCOPE_BIN, false, &varied, &mazes);
}

int main(void)
{
	return test_main_setup(probe_suite(), "check_probe", make_fixture);
}
