/* check_guess.c - the guesses without a model: every perturbation composed
 * with its way back is the identity on puzzles and labels (every kind,
 * every transform); the transforms are the ones they claim to be (checked
 * against formulas written here); a perturbed puzzle's solver answer mapped
 * back is the original solution; noise is seeded; grouping and votes on
 * hand-made answer sets. */
#include "puzzles/arc.h"
#include "analysis/guess.h"
#include "puzzles/maze.h"
#include "analysis/perturb.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLES FIXTURES_DIR "/../../puzzles/examples"

static const char *const tid_names[8] = { "as given", "rot90", "rot180", "rot270",
					  "flip-lr", "flip-ud", "transpose", "anti-transpose" };

/* Where output cell (r, c) of an n x n grid comes from, numpy semantics. */
static void source_cell(int tid, int n, int r, int c, int *sr, int *sc)
{
	switch (tid) {
	case 1: *sr = c, *sc = n - 1 - r; break;         /* np.rot90 */
	case 2: *sr = n - 1 - r, *sc = n - 1 - c; break;
	case 3: *sr = n - 1 - c, *sc = r; break;
	case 4: *sr = r, *sc = n - 1 - c; break;         /* fliplr */
	case 5: *sr = n - 1 - r, *sc = c; break;         /* flipud */
	case 6: *sr = c, *sc = r; break;                 /* transpose */
	case 7: *sr = n - 1 - c, *sc = n - 1 - r; break; /* fliplr(rot90) */
	default: *sr = r, *sc = c;
	}
}

static int tid_of(const char *desc)
{
	for (int t = 0; t < 8; t++)
		if (strcmp(desc, tid_names[t]) == 0)
			return t;
	return -1;
}

static struct puzzle *load(const char *name, int index)
{
	struct puzzle *all = NULL;
	int n = 0;
	char *cause = NULL;
	ck_assert_msg(puzzle_load_all(name, index + 1, &all, &n, &cause) == 0, "%s", cause);
	ck_assert_int_gt(n, index);
	struct puzzle *p = xmalloc(sizeof *p);
	*p = all[index];
	free(all);
	return p;
}

/* apply, then back: the identity on input and label; returns the version */
static void round_trip(const struct perturb *t, const struct puzzle *p, struct puzzle *v)
{
	char *cause = NULL;
	int32_t back[PUZZLE_MAX_CELLS];
	ck_assert_msg(perturb_apply(t, p, v, &cause) == 0, "%s", cause);
	perturb_unapply(t, p, v->input, back);
	ck_assert_msg(memcmp(back, p->input, (size_t)p->seq_len * sizeof *back) == 0, "%s: input", t->desc);
	ck_assert(v->has_label == p->has_label);
	if (p->has_label) {
		perturb_unapply(t, p, v->label, back);
		ck_assert_msg(memcmp(back, p->label, (size_t)p->seq_len * sizeof *back) == 0, "%s: label", t->desc);
	}
}

START_TEST(test_maze_dihedral)
{
	struct puzzle *p = xmalloc(sizeof *p), *v = xmalloc(sizeof *v);
	struct hrm_rng rng;
	struct maze_gen_opts o = { .side = 9, .min_path = 10 };
	char *cause = NULL;
	hrm_rng_seed(&rng, 7);
	ck_assert_msg(maze_generate(&rng, &o, p, &cause) == 0, "%s", cause);
	ck_assert(p->has_label);
	bool seen[8] = { false };
	for (int k = 0; k < 8; k++) {
		struct perturb t;
		perturb_make(PERTURB_DIHEDRAL, p, true, 3, k, 0, &t);
		int tid = tid_of(t.desc);
		ck_assert_msg(tid >= 0, "'%s'", t.desc);
		ck_assert_int_eq(tid == 0, k == 0); /* version 0 is the puzzle as given */
		seen[tid] = true;
		round_trip(&t, p, v);
		int n = p->side;
		for (int r = 0; r < n; r++)
			for (int c = 0; c < n; c++) {
				int sr, sc;
				source_cell(tid, n, r, c, &sr, &sc);
				ck_assert_int_eq(v->input[r * n + c], p->input[sr * n + sc]);
			}
		/* the solver on the version, mapped back: the original solution
		 * (a perfect maze has one path) */
		int32_t back[PUZZLE_MAX_CELLS];
		ck_assert(maze_solve(v, &cause) == 0);
		perturb_unapply(&t, p, v->label, back);
		ck_assert(memcmp(back, p->label, (size_t)p->seq_len * sizeof *back) == 0);
	}
	for (int t = 0; t < 8; t++)
		ck_assert_msg(seen[t], "8 versions cover the 8 transforms (missing %s)", tid_names[t]);
	/* augment on a maze is dihedral; kinds that do not apply say so */
	struct perturb a;
	perturb_make(PERTURB_AUGMENT, p, true, 3, 2, 0, &a);
	ck_assert_int_ge(tid_of(a.desc), 1);
	char why[160];
	ck_assert(!perturb_applies(PERTURB_RELABEL, p, true, why, sizeof why));
	ck_assert(strstr(why, "sudoku") != NULL);
	ck_assert(!perturb_applies(PERTURB_COLORS, p, true, why, sizeof why));
	ck_assert(!perturb_applies(PERTURB_DIHEDRAL, p, false, why, sizeof why));
	ck_assert(perturb_applies(PERTURB_NOISE, p, false, why, sizeof why));
	free(p);
	free(v);
}
END_TEST

START_TEST(test_sudoku_kinds)
{
	struct puzzle *p = load(EXAMPLES "/sudoku-medium.txt", 0), *v = xmalloc(sizeof *v);
	struct puzzle *q = xmalloc(sizeof *q);
	char *cause = NULL;
	ck_assert_msg(sudoku_solve(p, &cause) == 0, "%s", cause);
	p->has_label = true;
	static const enum perturb_kind kinds[] = { PERTURB_AUGMENT, PERTURB_DIHEDRAL, PERTURB_RELABEL, PERTURB_SHUFFLE };
	for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++)
		for (int k = 0; k < 10; k++) {
			struct perturb t;
			perturb_make(kinds[ki], p, true, 11, k, 0, &t);
			round_trip(&t, p, v);
			/* a sudoku still, whose label solves it */
			ck_assert_msg(sudoku_check_answer(v, v->label, NULL), "%s", t.desc);
			*q = *v;
			q->has_label = false;
			ck_assert(sudoku_solve(q, &cause) == 0);
			int32_t back[SUDOKU_CELLS];
			perturb_unapply(&t, p, q->label, back);
			ck_assert(memcmp(back, p->label, sizeof back) == 0);
			/* what each kind may change */
			bool digits_same = true, places_same = true;
			for (int i = 0; i < SUDOKU_CELLS; i++) {
				places_same &= (v->input[i] == 1) == (p->input[i] == 1);
				digits_same &= v->input[i] == p->input[i] || p->input[i] == 1 || v->input[i] == 1;
			}
			if (kinds[ki] == PERTURB_RELABEL)
				ck_assert(places_same);
			if (k == 0)
				ck_assert(places_same && digits_same);
			else if (kinds[ki] != PERTURB_DIHEDRAL || tid_of(t.desc) != 0)
				ck_assert_msg(!(places_same && digits_same), "%s changed nothing", t.desc);
		}
	free(p);
	free(q);
	free(v);
}
END_TEST

START_TEST(test_arc_kinds)
{
	/* train pair 0 of the mirror task: a 2x3 grid, so transposing transforms change its shape */
	struct puzzle *p = load(EXAMPLES "/arc-mirror.json", 0), *v = xmalloc(sizeof *v);
	ck_assert(p->has_label);
	struct arc_grid g0, g;
	char *cause = NULL;
	ck_assert(arc_decode(p->input, &g0, &cause) == 0);
	static const enum perturb_kind kinds[] = { PERTURB_AUGMENT, PERTURB_DIHEDRAL, PERTURB_COLORS };
	for (size_t ki = 0; ki < 3; ki++)
		for (int k = 0; k < 10; k++) {
			struct perturb t;
			perturb_make(kinds[ki], p, true, 5, k, 0, &t);
			round_trip(&t, p, v);
			ck_assert(arc_check_answer(v, v->label, NULL));
			ck_assert(arc_decode(v->input, &g, &cause) == 0);
			/* cell by cell: the colour map after the transform */
			ck_assert_int_eq(g.rows * g.cols, g0.rows * g0.cols);
			for (int r = 0; r < g.rows; r++)
				for (int c = 0; c < g.cols; c++) {
					int sr, sc;
					puzzle_dihedral_source(t.tid, g0.rows, g0.cols, r, c, &sr, &sc);
					ck_assert_int_eq(g.cell[r][c], t.colours[g0.cell[sr][sc]]);
				}
			ck_assert_int_eq(t.colours[0], 0); /* black stays */
		}
	char why[160];
	ck_assert(!perturb_applies(PERTURB_SHUFFLE, p, true, why, sizeof why));
	free(p);
	free(v);
}
END_TEST

START_TEST(test_noise)
{
	struct puzzle *p = load(EXAMPLES "/maze-7.txt", 0), *v = xmalloc(sizeof *v);
	struct perturb t0, t1, t1b, t2, t1s;
	perturb_make(PERTURB_NOISE, p, false, 9, 0, 0, &t0);
	perturb_make(PERTURB_NOISE, p, false, 9, 1, 0, &t1);
	perturb_make(PERTURB_NOISE, p, false, 9, 1, 0, &t1b);
	perturb_make(PERTURB_NOISE, p, false, 9, 2, 0, &t2);
	perturb_make(PERTURB_NOISE, p, false, 10, 1, 0, &t1s);
	ck_assert(t0.sigma == 0);
	ck_assert(t1.sigma == PERTURB_SIGMA_DEFAULT);
	round_trip(&t1, p, v);
	ck_assert(memcmp(v->input, p->input, (size_t)p->seq_len * sizeof *v->input) == 0);
	enum { N = 64 };
	float a[5][2][N];
	memset(a, 0, sizeof a);
	const struct perturb *ts[5] = { &t0, &t1, &t1b, &t2, &t1s };
	for (int i = 0; i < 5; i++)
		perturb_noise(ts[i], a[i][0], a[i][1], N);
	double s = 0;
	for (int j = 0; j < N; j++) {
		ck_assert(a[0][0][j] == 0 && a[0][1][j] == 0); /* version 0: none */
		s += (double)a[1][0][j] * a[1][0][j];
	}
	ck_assert(memcmp(a[1], a[2], sizeof a[1]) == 0); /* seeded */
	ck_assert(memcmp(a[1], a[3], sizeof a[1]) != 0); /* versions differ */
	ck_assert(memcmp(a[1], a[4], sizeof a[1]) != 0); /* seeds differ */
	ck_assert(fabs(sqrt(s / N) - PERTURB_SIGMA_DEFAULT) < 0.1);
	/* --noise on top of a transform, never on version 0 */
	struct perturb d;
	perturb_make(PERTURB_DIHEDRAL, p, true, 9, 1, 0.5, &d);
	ck_assert(d.sigma == 0.5 && strstr(d.desc, "noise 0.5") != NULL);
	perturb_make(PERTURB_DIHEDRAL, p, true, 9, 0, 0.5, &d);
	ck_assert(d.sigma == 0 && strcmp(d.desc, "as given") == 0);
	enum perturb_kind k;
	ck_assert(perturb_kind_parse("colours", &k) == 0 && k == PERTURB_COLORS);
	ck_assert(perturb_kind_parse("rotate", &k) != 0);
	free(p);
	free(v);
}
END_TEST

/* ---- grouping and votes ---- */

static void add(struct guess_result *r, int32_t a, float q, int exact, int fp)
{
	int32_t ans[3] = { a, a, a };
	struct guess_one *o = guess_add(r, ans);
	o->q_halt = q;
	o->exact = exact;
	o->fp_entered = fp;
}

START_TEST(test_group_and_vote)
{
	struct guess_result r;
	guess_result_init(&r, 3);
	guess_tally(&r);
	ck_assert_int_eq(r.majority, -1);
	/* C once, A three times with low q_halt, B twice with high q_halt */
	add(&r, 3, 0.0f, 0, -1);
	add(&r, 1, -1.0f, 1, 2);
	add(&r, 2, 5.0f, 0, 1);
	add(&r, 1, -1.0f, 1, -1);
	add(&r, 2, 5.0f, 0, 3);
	add(&r, 1, -1.0f, 1, 0);
	guess_tally(&r);
	ck_assert_int_eq(r.n_groups, 3);
	/* most runs first: A (3), B (2), C (1) */
	ck_assert_int_eq(r.groups[0].runs, 3);
	ck_assert_int_eq(r.answers[r.groups[0].first * 3], 1);
	ck_assert_int_eq(r.groups[1].runs, 2);
	ck_assert_int_eq(r.answers[r.groups[1].first * 3], 2);
	ck_assert_int_eq(r.groups[2].runs, 1);
	ck_assert_int_eq(r.groups[0].settled, 2);
	ck_assert_int_eq(r.groups[1].settled, 2);
	ck_assert_int_eq(r.groups[2].settled, 0);
	ck_assert(fabs(r.groups[0].q_sum + 3.0) < 1e-9);
	ck_assert(fabs(r.groups[1].weight - 2.0 / (1.0 + exp(-5.0))) < 1e-9);
	ck_assert_int_eq(r.groups[0].exact, 1);
	ck_assert_int_eq(r.groups[1].exact, 0);
	int want_group[6] = { 2, 0, 1, 0, 1, 0 };
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(r.runs[i].group, want_group[i]);
	/* majority: A; weighted: B (2 sigmoid(5) = 1.99 > 3 sigmoid(-1) = 0.81) */
	ck_assert_int_eq(r.majority, 0);
	ck_assert_int_eq(r.weighted, 1);
	guess_result_free(&r);

	/* ties: equal runs -> the larger weight wins the majority; equal both -> first seen */
	guess_result_init(&r, 3);
	add(&r, 4, -2.0f, 0, -1);
	add(&r, 5, 1.0f, 1, -1);
	guess_tally(&r);
	ck_assert_int_eq(r.answers[r.groups[r.majority].first * 3], 5);
	ck_assert_int_eq(r.answers[r.groups[r.weighted].first * 3], 5);
	guess_result_free(&r);
	guess_result_init(&r, 3);
	add(&r, 6, 0.5f, 0, -1);
	add(&r, 7, 0.5f, 1, -1);
	guess_tally(&r);
	ck_assert_int_eq(r.answers[r.groups[r.majority].first * 3], 6);
	ck_assert_int_eq(r.answers[r.groups[r.weighted].first * 3], 6);
	guess_result_free(&r);

	char name[8];
	guess_group_name(0, name, sizeof name);
	ck_assert_str_eq(name, "A");
	guess_group_name(25, name, sizeof name);
	ck_assert_str_eq(name, "Z");
	guess_group_name(26, name, sizeof name);
	ck_assert_str_eq(name, "AA");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("guess");
	TCase *tc = tcase_create("perturb");
	tcase_add_test(tc, test_maze_dihedral);
	tcase_add_test(tc, test_sudoku_kinds);
	tcase_add_test(tc, test_arc_kinds);
	tcase_add_test(tc, test_noise);
	tcase_add_test(tc, test_group_and_vote);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(suite(), "check_guess");
}
