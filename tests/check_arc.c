/* check_arc.c - ARC task files, the 30x30 canvas, dihedral transforms and
 * colour permutations. */
#include "puzzles/arc.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLES FIXTURES_DIR "/../../puzzles/examples"

static void make_grid(struct arc_grid *g, int rows, int cols, const int *cells)
{
	memset(g, 0, sizeof *g);
	g->rows = rows;
	g->cols = cols;
	for (int i = 0; i < rows * cols; i++)
		g->cell[i / cols][i % cols] = (uint8_t)cells[i];
}

static void random_grid(struct hrm_rng *rng, struct arc_grid *g)
{
	memset(g, 0, sizeof *g);
	g->rows = 1 + (int)hrm_rng_below(rng, 30);
	g->cols = 1 + (int)hrm_rng_below(rng, 30);
	for (int r = 0; r < g->rows; r++)
		for (int c = 0; c < g->cols; c++)
			g->cell[r][c] = (uint8_t)hrm_rng_below(rng, 10);
}

/* The drop task's rule, written out: each top-row colour falls to the bottom. */
static void drop(const struct arc_grid *in, struct arc_grid *out)
{
	*out = *in;
	for (int c = 0; c < in->cols; c++)
		for (int r = 0; r < in->rows; r++)
			out->cell[r][c] = in->cell[0][c];
}

START_TEST(test_examples)
{
	struct arc_task t;
	struct arc_grid g;
	char *cause = NULL;
	ck_assert_msg(arc_task_load(EXAMPLES "/arc-mirror.json", &t, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(t.n_train, 3);
	ck_assert_int_eq(t.n_test, 1);
	for (int i = 0; i < t.n_train + t.n_test; i++) {
		const struct arc_pair *p = i < t.n_train ? &t.train[i] : &t.test[i - t.n_train];
		ck_assert(p->has_output);
		arc_dihedral(4, &p->input, &g); /* flip left-right */
		ck_assert(arc_grid_equal(&g, &p->output));
	}
	ck_assert_int_eq(t.train[1].input.rows, 3);
	ck_assert_int_eq(t.train[1].input.cols, 4);
	arc_task_free(&t);

	ck_assert_msg(arc_task_load(EXAMPLES "/arc-drop.json", &t, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(t.n_train, 3);
	ck_assert_int_eq(t.n_test, 2);
	for (int i = 0; i < t.n_train + t.n_test; i++) {
		const struct arc_pair *p = i < t.n_train ? &t.train[i] : &t.test[i - t.n_train];
		drop(&p->input, &g);
		ck_assert(arc_grid_equal(&g, &p->output));
	}
	arc_task_free(&t);

	/* as a puzzle: the first test pair at the top left */
	struct puzzle p;
	ck_assert_msg(puzzle_load_file(EXAMPLES "/arc-drop.json", &p, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(p.kind, PUZZLE_ARC);
	ck_assert_int_eq(p.side, 30);
	ck_assert_int_eq(p.seq_len, 900);
	ck_assert(p.has_label);
	ck_assert_str_eq(p.name, "arc-drop.json");
	ck_assert_int_eq(p.input[0], 5 + 2);
	ck_assert_int_eq(p.input[4], ARC_EOS);
	ck_assert_int_eq(p.input[3 * 30], ARC_EOS);
	ck_assert_int_eq(p.label[2 * 30 + 2], 7 + 2);
	ck_assert(arc_ops.validate(&p, p.label, NULL));
	ck_assert(!arc_ops.validate(&p, p.input, NULL));

	struct puzzle *all = NULL;
	int n = 0;
	ck_assert_int_eq(puzzle_load_all(EXAMPLES "/arc-drop.json", 0, &all, &n, &cause), 0);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(all[0].name, "arc-drop.json train 1");
	ck_assert_str_eq(all[4].name, "arc-drop.json test 2");
	ck_assert_mem_eq(all[3].input, p.input, sizeof p.input);
	free(all);
}
END_TEST

START_TEST(test_encode_hand)
{
	static const int cells[] = { 0, 1, 2, 3, 4, 9 };
	struct arc_grid g, back;
	int32_t cv[900];
	char *cause = NULL;
	make_grid(&g, 2, 3, cells);
	arc_encode(&g, 0, 0, cv);
	/* colours + 2; end-of-grid below and right; the corner stays pad */
	ck_assert_int_eq(cv[0], 2);
	ck_assert_int_eq(cv[2], 4);
	ck_assert_int_eq(cv[30 + 2], 11);
	ck_assert_int_eq(cv[3], ARC_EOS);
	ck_assert_int_eq(cv[30 + 3], ARC_EOS);
	ck_assert_int_eq(cv[60], ARC_EOS);
	ck_assert_int_eq(cv[62], ARC_EOS);
	ck_assert_int_eq(cv[63], ARC_PAD);
	int nonpad = 0;
	for (int i = 0; i < 900; i++)
		nonpad += cv[i] != ARC_PAD;
	ck_assert_int_eq(nonpad, 6 + 3 + 2);
	ck_assert_int_eq(arc_decode(cv, &back, &cause), 0);
	ck_assert(arc_grid_equal(&g, &back));

	/* full width: no column marker; full size: no markers at all */
	struct hrm_rng rng;
	hrm_rng_seed(&rng, 1);
	random_grid(&rng, &g);
	g.rows = 30;
	g.cols = 30;
	arc_encode(&g, 0, 0, cv);
	for (int i = 0; i < 900; i++)
		ck_assert(cv[i] >= 2 && cv[i] <= 11);
	ck_assert_int_eq(arc_decode(cv, &back, &cause), 0);
	ck_assert(arc_grid_equal(&g, &back));
	g.cols = 5;
	arc_encode(&g, 0, 0, cv);
	ck_assert_int_eq(cv[29 * 30 + 5], ARC_EOS);
	ck_assert_int_eq(cv[29 * 30 + 6], ARC_PAD);

	/* formatting a canvas gives the grid */
	struct puzzle p = { .kind = PUZZLE_ARC, .side = 30, .seq_len = 900 };
	make_grid(&g, 2, 3, cells);
	arc_encode(&g, 0, 0, cv);
	char *s = arc_ops.format(&p, cv);
	ck_assert_str_eq(s, "[[0, 1, 2],\n [3, 4, 9]]\n");
	free(s);
	cv[0] = ARC_EOS;
	s = arc_ops.format(&p, cv);
	ck_assert_int_eq(strncmp(s, "+12+..", 6), 0);
	ck_assert_int_eq(strlen(s), 30 * 31);
	free(s);
}
END_TEST

START_TEST(test_round_trip)
{
	struct hrm_rng rng;
	struct arc_grid a, b, back;
	int32_t cv[900];
	char *cause = NULL;
	hrm_rng_seed(&rng, 2);
	for (int k = 0; k < 2000; k++) {
		int top, left;
		random_grid(&rng, &a);
		random_grid(&rng, &b);
		arc_random_offset(&rng, &a, &b, &top, &left);
		/* the official range: both grids of the pair fit */
		ck_assert_int_le(top + a.rows, 30);
		ck_assert_int_le(top + b.rows, 30);
		ck_assert_int_le(left + a.cols, 30);
		ck_assert_int_le(left + b.cols, 30);
		arc_encode(&a, top, left, cv);
		ck_assert_msg(arc_decode(cv, &back, &cause) == 0, "%s", cause ? cause : "?");
		ck_assert(arc_grid_equal(&a, &back));
		arc_encode(&a, 0, 0, cv);
		arc_crop(cv, &back);
		ck_assert(arc_grid_equal(&a, &back));
	}
	/* a malformed canvas is refused by the strict decoder */
	static const int cells[] = { 1, 2, 3, 4 };
	make_grid(&a, 2, 2, cells);
	arc_encode(&a, 0, 0, cv);
	cv[29 * 30 + 29] = 5;
	ck_assert_int_eq(arc_decode(cv, &back, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "row 30 column 30 holds token 5"));
	arc_encode(&a, 0, 0, cv);
	cv[2] = ARC_PAD;
	ck_assert_int_eq(arc_decode(cv, &back, &cause), -1);
	memset(cv, 0, sizeof cv);
	ck_assert_int_eq(arc_decode(cv, &back, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "no grid"));
	/* the crop reads a ragged prediction as the official evaluation does */
	arc_crop(cv, &back);
	ck_assert_int_eq(back.rows * back.cols, 0);
	cv[0] = cv[1] = cv[2] = 5;       /* row 1: width 3 */
	cv[30] = cv[31] = 5;             /* row 2: width 2 -> 2x2 = 4 > 3 */
	cv[60] = cv[61] = cv[62] = 5;    /* row 3: still width 2 -> 3x2 = 6 */
	cv[90] = 5;                      /* row 4: width 1 -> 4 < 6 */
	arc_crop(cv, &back);
	ck_assert_int_eq(back.rows, 3);
	ck_assert_int_eq(back.cols, 2);
	free(cause);
}
END_TEST

START_TEST(test_dihedral)
{
	static const int sq[] = { 1, 2, 3, 4 };
	/* numpy's results on [[1,2],[3,4]] */
	static const int want[8][4] = {
		{ 1, 2, 3, 4 }, /* identity */
		{ 2, 4, 1, 3 }, /* rot90 */
		{ 4, 3, 2, 1 }, /* rot180 */
		{ 3, 1, 4, 2 }, /* rot270 */
		{ 2, 1, 4, 3 }, /* fliplr */
		{ 3, 4, 1, 2 }, /* flipud */
		{ 1, 3, 2, 4 }, /* transpose */
		{ 4, 2, 3, 1 }, /* fliplr(rot90) */
	};
	struct arc_grid g, t, back, w;
	make_grid(&g, 2, 2, sq);
	for (int tid = 0; tid < 8; tid++) {
		arc_dihedral(tid, &g, &t);
		make_grid(&w, 2, 2, want[tid]);
		ck_assert_msg(arc_grid_equal(&t, &w), "transform %d", tid);
	}
	/* non-square: [[1,2,3]] rot90 -> [[3],[2],[1]] */
	static const int row[] = { 1, 2, 3 }, col[] = { 3, 2, 1 };
	make_grid(&g, 1, 3, row);
	arc_dihedral(1, &g, &t);
	make_grid(&w, 3, 1, col);
	ck_assert(arc_grid_equal(&t, &w));

	/* inverses, and the eight are distinct on an asymmetric grid */
	struct hrm_rng rng;
	hrm_rng_seed(&rng, 4);
	for (int k = 0; k < 200; k++) {
		struct arc_grid all[8];
		random_grid(&rng, &g);
		g.cell[0][0] = (uint8_t)((g.cell[0][0] + 1) % 10);
		for (int tid = 0; tid < 8; tid++) {
			arc_dihedral(tid, &g, &all[tid]);
			arc_dihedral(puzzle_dihedral_inverse(tid), &all[tid], &back);
			ck_assert(arc_grid_equal(&g, &back));
		}
		if (g.rows > 3 && g.cols > 3)
			for (int i = 0; i < 8; i++)
				for (int j = i + 1; j < 8; j++) {
					/* random 4x4+ grids: a coincidence has negligible odds */
					ck_assert(!arc_grid_equal(&all[i], &all[j]));
				}
	}
	/* the same numbering on square token grids */
	int32_t in[900], out[900], back2[900];
	for (int i = 0; i < 900; i++)
		in[i] = i;
	for (int tid = 0; tid < 8; tid++) {
		puzzle_dihedral(tid, 30, in, out);
		puzzle_dihedral(puzzle_dihedral_inverse(tid), 30, out, back2);
		ck_assert_mem_eq(in, back2, sizeof in);
	}
	puzzle_dihedral(1, 30, in, out);
	ck_assert_int_eq(out[0], 29); /* rot90: top-left comes from top-right */
}
END_TEST

START_TEST(test_colours)
{
	struct hrm_rng rng;
	struct arc_task t, aug;
	char *cause = NULL;
	hrm_rng_seed(&rng, 5);
	for (int k = 0; k < 500; k++) {
		uint8_t map[10];
		bool seen[10] = { false };
		arc_random_colours(&rng, map);
		ck_assert_int_eq(map[0], 0); /* black stays */
		for (int c = 0; c < 10; c++) {
			ck_assert(map[c] <= 9 && !seen[map[c]]);
			seen[map[c]] = true;
		}
	}
	/* the augmented task: recoloured then transformed, every pair; the
	 * mirror rule becomes another dihedral relation but stays consistent */
	ck_assert_int_eq(arc_task_load(EXAMPLES "/arc-mirror.json", &t, &cause), 0);
	uint8_t map[10];
	arc_random_colours(&rng, map);
	for (int tid = 0; tid < 8; tid++) {
		struct arc_grid tmp, want;
		arc_task_augment(&t, tid, map, &aug);
		ck_assert_int_eq(aug.n_train, 3);
		ck_assert_int_eq(aug.n_test, 1);
		for (int i = 0; i < 3; i++) {
			arc_recolour(map, &t.train[i].output, &tmp);
			arc_dihedral(tid, &tmp, &want);
			ck_assert(arc_grid_equal(&aug.train[i].output, &want));
			/* fliplr in original coordinates is an involution that
			 * maps each augmented input to its output */
			struct arc_grid orig_in, mirrored, back;
			arc_dihedral(puzzle_dihedral_inverse(tid), &aug.train[i].input, &orig_in);
			arc_dihedral(4, &orig_in, &mirrored);
			arc_dihedral(tid, &mirrored, &back);
			ck_assert(arc_grid_equal(&back, &aug.train[i].output));
		}
		arc_task_free(&aug);
	}
	/* the task written back out reads the same */
	char *json = arc_task_format(&t);
	struct arc_task again;
	ck_assert_int_eq(arc_task_parse(json, strlen(json), "formatted", &again, &cause), 0);
	ck_assert_int_eq(again.n_train, t.n_train);
	for (int i = 0; i < t.n_train; i++)
		ck_assert(arc_grid_equal(&again.train[i].output, &t.train[i].output));
	free(json);
	arc_task_free(&again);
	arc_task_free(&t);
}
END_TEST

START_TEST(test_validate)
{
	struct puzzle p;
	char *cause = NULL;
	int32_t ans[900];
	bool wrong[900];
	ck_assert_int_eq(puzzle_load_file(EXAMPLES "/arc-mirror.json", &p, &cause), 0);
	ck_assert(arc_check_answer(&p, p.label, wrong));
	/* junk beyond the end-of-grid border does not change the crop */
	memcpy(ans, p.label, sizeof ans);
	ans[20] = 5;
	ck_assert(arc_check_answer(&p, ans, wrong));
	ck_assert(wrong[20]);
	/* a wrong colour inside the grid */
	memcpy(ans, p.label, sizeof ans);
	ans[31] = 9;
	ck_assert(!arc_check_answer(&p, ans, wrong));
	ck_assert(wrong[31] && !wrong[0]);
	/* a missing border makes the grid too big */
	memcpy(ans, p.label, sizeof ans);
	ans[5] = ans[35] = 2;
	ck_assert(!arc_check_answer(&p, ans, wrong));
	ck_assert(wrong[5] && wrong[35]);
	/* no label: nothing is correct */
	p.has_label = false;
	ck_assert(!arc_check_answer(&p, ans, NULL));
	ck_assert_int_eq(arc_ops.solve(&p, &cause), -1);
	ck_assert_str_eq(cause, "ARC tasks have no solver: the label comes from the task file");
	free(cause);

	struct cell_look l = arc_ops.look(&p, 0, 2 + 7);
	ck_assert(l.ch == '7' && l.role == ROLE_ARC0 + 7);
	l = arc_ops.look(&p, 0, ARC_EOS);
	ck_assert(l.role == ROLE_EOS);
	l = arc_ops.look(&p, 0, ARC_PAD);
	ck_assert(l.role == ROLE_PAD);
	ck_assert_ptr_eq(puzzle_ops_for(PUZZLE_ARC), &arc_ops);
	ck_assert_int_eq(arc_ops.vocab_size, 12);
}
END_TEST

START_TEST(test_bad_inputs)
{
	char big[4000], *o = big;
	test_bad_puzzle("empty.json", "", "empty file");
	test_bad_puzzle("syntax.json", "{\"train\": [\n  {\"input\": [[1]], }\n]}", "line 2 column");
	test_bad_puzzle("list.json", "[1, 2]", "the task is an array, not an object");
	test_bad_puzzle("notest.json", "{\"train\": [{\"input\": [[1]], \"output\": [[2]]}]}", "no \"test\" examples");
	test_bad_puzzle("emptytest.json", "{\"test\": []}", "no \"test\" examples");
	test_bad_puzzle("noout.json", "{\"train\": [{\"input\": [[1]]}], \"test\": [{\"input\": [[1]]}]}",
			"train[0] has no \"output\"");
	test_bad_puzzle("colour.json", "{\"test\": [{\"input\": [[1, 2], [3, 10]]}]}",
			"test[0].input row 2 column 2: colour 10 is outside 0-9");
	test_bad_puzzle("string.json", "{\"test\": [{\"input\": [[1, \"2\"]]}]}",
			"test[0].input row 1 column 2 is a string, not a colour 0-9");
	test_bad_puzzle("ragged.json", "{\"test\": [{\"input\": [[1, 2], [3]]}]}",
			"test[0].input row 2 has 1 cells, row 1 has 2");
	test_bad_puzzle("emptygrid.json", "{\"test\": [{\"input\": []}]}", "test[0].input is an empty grid");
	o += sprintf(o, "{\"test\": [{\"input\": [");
	for (int r = 0; r < 31; r++)
		o += sprintf(o, "%s[0]", r ? "," : "");
	sprintf(o, "]}]}");
	test_bad_puzzle("tall.json", big, "test[0].input has 31 rows, more than 30");
	/* a test output may be missing: the puzzle has no label */
	struct puzzle p;
	char *cause = NULL, *path = test_write_tmp("hidden.json", "{\"test\": [{\"input\": [[1, 2]]}]}");
	ck_assert_int_eq(puzzle_load_file(path, &p, &cause), 0);
	ck_assert(!p.has_label);
	free(path);
}
END_TEST

static Suite *arc_suite(void)
{
	Suite *s = suite_create("arc");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_examples);
	tcase_add_test(tc, test_encode_hand);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_dihedral);
	tcase_add_test(tc, test_colours);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_bad_inputs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(arc_suite(), "check_arc");
}
