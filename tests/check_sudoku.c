/* check_sudoku.c - sudoku parsing, solver, validator, generator and the
 * official augmentation. */
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLES FIXTURES_DIR "/../../puzzles/examples"

/* A well-known puzzle and its solution, as published. */
static const char classic[] = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";
static const char classic_sol[] = "534678912672195348198342567859761423426853791713924856961537284287419635345286179";

static void parse81(const char *s, struct puzzle *p)
{
	char *cause = NULL;
	int rc = sudoku_parse(s, strlen(s), "test.txt", p, &cause);
	ck_assert_msg(rc == 0, "%s", cause ? cause : "?");
}

static void tokens_of(const char *s, int32_t *t)
{
	for (int i = 0; i < 81; i++)
		t[i] = s[i] == '.' || s[i] == '0' ? SUDOKU_BLANK : s[i] - '0' + 1;
}

static int givens(const struct puzzle *p)
{
	int n = 0;
	for (int i = 0; i < 81; i++)
		n += p->input[i] >= 2;
	return n;
}

START_TEST(test_classic)
{
	struct puzzle p;
	char *cause = NULL;
	int32_t want[81];
	parse81(classic, &p);
	ck_assert_int_eq(p.kind, PUZZLE_SUDOKU);
	ck_assert_int_eq(p.side, 9);
	ck_assert_int_eq(p.seq_len, 81);
	/* official tokens: blank 1, digit d as d + 1 */
	ck_assert_int_eq(p.input[0], 6);
	ck_assert_int_eq(p.input[2], SUDOKU_BLANK);
	ck_assert_int_eq(p.input[80], 10);
	ck_assert_int_eq(sudoku_count_solutions(&p, 2, NULL), 1);
	ck_assert_int_eq(sudoku_solve(&p, &cause), 0);
	tokens_of(classic_sol, want);
	ck_assert_mem_eq(p.label, want, sizeof want);
	ck_assert(sudoku_ops.validate(&p, p.label, NULL));
	char *s = sudoku_format(&p, p.label);
	ck_assert_str_eq(s, "534678912672195348198342567859761423426853791713924856961537284287419635345286179\n");
	free(s);
	s = sudoku_format(&p, p.input);
	ck_assert_int_eq(strncmp(s, classic, 81), 0);
	free(s);
}
END_TEST

START_TEST(test_counts)
{
	uint8_t d[81] = { 0 }, sol[81];
	struct sudoku_stats st;
	/* the empty grid has many solutions: counting stops at the limit */
	ck_assert_int_eq(sudoku_solve_digits(d, sol, 2, &st), 2);
	ck_assert_int_eq(sudoku_solve_digits(d, sol, 5, NULL), 5);
	/* a complete grid less one cell: that cell is forced */
	for (int i = 0; i < 81; i++)
		d[i] = (uint8_t)(classic_sol[i] - '0');
	d[40] = 0;
	ck_assert_int_eq(sudoku_solve_digits(d, sol, 2, &st), 1);
	ck_assert_int_eq(sol[40], classic_sol[40] - '0');
	ck_assert_int_eq(st.backtracks, 0);
	/* no two givens clash, yet there is no solution: row 1 needs a 9
	 * in column 9, which already has one */
	struct puzzle p;
	char *cause = NULL;
	char unsolvable[82];
	memset(unsolvable, '.', 81);
	memcpy(unsolvable, "12345678", 8);
	unsolvable[4 * 9 + 8] = '9';
	unsolvable[81] = '\0';
	parse81(unsolvable, &p);
	ck_assert_int_eq(sudoku_count_solutions(&p, 2, NULL), 0);
	ck_assert_int_eq(sudoku_solve(&p, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "no solution"));
	free(cause);
	/* sudoku_conflict names the first clash in scan order */
	int a, b;
	for (int i = 0; i < 81; i++)
		d[i] = (uint8_t)(classic_sol[i] - '0');
	ck_assert_int_eq(sudoku_conflict(d, &a, &b), -1);
	d[1] = d[0];
	ck_assert_int_eq(sudoku_conflict(d, &a, &b), 0);
	ck_assert_int_eq(a, 0);
	ck_assert_int_eq(b, 1);
}
END_TEST

START_TEST(test_validate)
{
	struct puzzle p;
	bool wrong[81];
	int32_t ans[81];
	char *cause = NULL;
	parse81(classic, &p);
	ck_assert_int_eq(sudoku_solve(&p, &cause), 0);
	ck_assert(sudoku_check_answer(&p, p.label, wrong));
	for (int i = 0; i < 81; i++)
		ck_assert(!wrong[i]);

	/* row 1 column 3 (a blank, solution 4) set to 5: clashes with the 5
	 * at row 1 column 1 (same row and box) and row 9 column 3 (column) */
	memcpy(ans, p.label, sizeof ans);
	ans[2] = 6;
	ck_assert(!sudoku_check_answer(&p, ans, wrong));
	ck_assert(wrong[2] && wrong[0]);
	int col5 = -1;
	for (int r = 0; r < 9; r++)
		if (r != 0 && p.label[r * 9 + 2] == 6)
			col5 = r * 9 + 2;
	ck_assert_int_ge(col5, 0);
	ck_assert(wrong[col5]);
	/* the 4 now missing is no rule break on its own */
	int n = 0;
	for (int i = 0; i < 81; i++)
		n += wrong[i];
	ck_assert_int_eq(n, 3);

	/* a blank or a pad token where a digit should be */
	memcpy(ans, p.label, sizeof ans);
	ans[0] = SUDOKU_BLANK;
	ck_assert(!sudoku_check_answer(&p, ans, wrong));
	ck_assert(wrong[0]);
	memcpy(ans, p.label, sizeof ans);
	ans[80] = 0; /* pad */
	ck_assert(!sudoku_ops.validate(&p, ans, wrong));
	ck_assert(wrong[80]);

	/* a grid valid by the rules but contradicting a given */
	struct sudoku_transform t = { .digit = { 0, 2, 1, 3, 4, 5, 6, 7, 8, 9 },
				      .row_perm = { 0, 1, 2, 3, 4, 5, 6, 7, 8 },
				      .col_perm = { 0, 1, 2, 3, 4, 5, 6, 7, 8 } };
	sudoku_transform_apply(&t, p.label, ans);
	ck_assert(!sudoku_check_answer(&p, ans, wrong));
	for (int i = 0; i < 81; i++) {
		bool given = p.input[i] >= 2, changed = ans[i] != p.label[i];
		ck_assert_int_eq(wrong[i], given && changed);
	}
}
END_TEST

START_TEST(test_formats)
{
	struct puzzle a, b, c;
	char block[128], *o = block;
	parse81(classic, &a);
	for (int r = 0; r < 9; r++) {
		memcpy(o, classic + 9 * r, 9);
		o += 9;
		*o++ = '\n';
	}
	*o = '\0';
	parse81(block, &b);
	ck_assert_mem_eq(a.input, b.input, sizeof a.input);
	char zeros[82];
	for (int i = 0; i < 81; i++)
		zeros[i] = classic[i] == '.' ? '0' : classic[i];
	zeros[81] = '\0';
	parse81(zeros, &c);
	ck_assert_mem_eq(a.input, c.input, sizeof a.input);

	/* a list file and the CSV */
	char list[400], *cause = NULL;
	snprintf(list, sizeof list, "%s\n\n%s\r\n%s  \n", classic, zeros, classic_sol);
	char *path = test_write_tmp("list.txt", list);
	struct puzzle *all = NULL;
	int n = 0;
	ck_assert_msg(puzzle_load_all(path, 0, &all, &n, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(n, 3);
	ck_assert_mem_eq(all[1].input, a.input, sizeof a.input);
	ck_assert_str_eq(all[2].name, "list.txt line 4");
	free(all);
	free(path);

	ck_assert_int_eq(sudoku_solve(&a, &cause), 0);
	char *row = puzzle_csv_row(&a, "classic", 0);
	char csv[600];
	snprintf(csv, sizeof csv, "source,question,answer,rating\n%s", row);
	ck_assert_str_eq(row, "classic,53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79,"
			      "534678912672195348198342567859761423426853791713924856961537284287419635345286179,0\n");
	free(row);
	path = test_write_tmp("sudoku.csv", csv);
	ck_assert_msg(puzzle_load_file(path, &b, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(b.kind, PUZZLE_SUDOKU);
	ck_assert(b.has_label);
	ck_assert_mem_eq(b.input, a.input, sizeof a.input);
	ck_assert_mem_eq(b.label, a.label, sizeof a.label);
	free(path);
}
END_TEST

/* sudoku-<level>.txt with its solution; min backtracks as generated. */
static void check_example(const char *level, long min_backtracks)
{
	char path[2048], *cause = NULL;
	struct puzzle p, s;
	struct sudoku_stats st;
	snprintf(path, sizeof path, "%s/sudoku-%s.txt", EXAMPLES, level);
	ck_assert_msg(puzzle_load_file(path, &p, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(p.kind, PUZZLE_SUDOKU);
	snprintf(path, sizeof path, "sudoku-%s.txt", level);
	ck_assert_str_eq(p.name, path);
	snprintf(path, sizeof path, "%s/sudoku-%s.solution.txt", EXAMPLES, level);
	ck_assert_msg(puzzle_load_file(path, &s, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(sudoku_count_solutions(&p, 2, &st), 1);
	ck_assert_int_ge(st.backtracks, min_backtracks);
	ck_assert_int_eq(sudoku_solve(&p, &cause), 0);
	ck_assert_mem_eq(p.label, s.input, sizeof p.label);
	ck_assert(sudoku_ops.validate(&p, s.input, NULL));
}

START_TEST(test_examples)
{
	check_example("easy", 0);
	check_example("medium", 0);
	check_example("hard", 10);
	check_example("extreme", 100);
}
END_TEST

START_TEST(test_generate)
{
	struct puzzle p, q;
	char *cause = NULL;
	struct sudoku_stats st;
	for (uint64_t seed = 0; seed < 40; seed++) {
		struct hrm_rng rng;
		struct sudoku_gen_opts o = { .givens = seed % 2 ? 30 : 0 };
		hrm_rng_seed(&rng, seed);
		ck_assert_msg(sudoku_generate(&rng, &o, &p, &st, &cause) == 0, "%s", cause ? cause : "?");
		ck_assert(p.has_label);
		if (o.givens)
			ck_assert_int_eq(givens(&p), 30);
		ck_assert_int_le(givens(&p), 40);
		/* unique, and generate -> solve -> validate */
		ck_assert_int_eq(sudoku_count_solutions(&p, 2, NULL), 1);
		q = p;
		ck_assert_int_eq(sudoku_solve(&q, &cause), 0);
		ck_assert_mem_eq(q.label, p.label, sizeof p.label);
		ck_assert(sudoku_ops.validate(&p, p.label, NULL));
		/* minimal: no given can go */
		if (!o.givens && seed < 6)
			for (int i = 0; i < 81; i++) {
				if (p.input[i] == SUDOKU_BLANK)
					continue;
				q = p;
				q.input[i] = SUDOKU_BLANK;
				ck_assert_int_eq(sudoku_count_solutions(&q, 2, NULL), 2);
			}
	}
	/* the difficulty knob */
	struct hrm_rng rng;
	struct sudoku_gen_opts o = { .givens = 26, .min_backtracks = 15 };
	hrm_rng_seed(&rng, 99);
	ck_assert_int_eq(sudoku_generate(&rng, &o, &p, &st, &cause), 0);
	ck_assert_int_ge(st.backtracks, 15);
	ck_assert_int_eq(givens(&p), 26);
	ck_assert_int_eq(sudoku_count_solutions(&p, 2, &st), 1);
	ck_assert_int_ge(st.backtracks, 15);
	/* same seed, same puzzle */
	struct hrm_rng r2;
	hrm_rng_seed(&r2, 99);
	ck_assert_int_eq(sudoku_generate(&r2, &o, &q, NULL, &cause), 0);
	ck_assert_mem_eq(p.input, q.input, sizeof p.input);
	/* impossible targets are reported */
	o.givens = 16;
	ck_assert_int_eq(sudoku_generate(&rng, &o, &p, NULL, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "outside 17..81"));
	o.givens = 18;
	o.min_backtracks = 0;
	o.max_tries = 2;
	ck_assert_int_eq(sudoku_generate(&rng, &o, &p, NULL, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "in 2 tries"));
	free(cause);
}
END_TEST

START_TEST(test_augment)
{
	struct puzzle p, q;
	char *cause = NULL;
	struct hrm_rng rng;
	int transposed = 0;
	parse81(classic, &p);
	ck_assert_int_eq(sudoku_solve(&p, &cause), 0);
	hrm_rng_seed(&rng, 3);
	for (int k = 0; k < 300; k++) {
		struct sudoku_transform t;
		int hits[81] = { 0 };
		bool seen[10] = { false };
		sudoku_transform_random(&rng, &t);
		transposed += t.transpose;
		/* a bijection on cells, bands and stacks kept together */
		for (int i = 0; i < 81; i++)
			hits[sudoku_transform_source(&t, i)]++;
		for (int i = 0; i < 81; i++)
			ck_assert_int_eq(hits[i], 1);
		for (int i = 0; i < 9; i++) {
			ck_assert_int_eq(t.row_perm[i] / 3, t.row_perm[i / 3 * 3] / 3);
			ck_assert_int_eq(t.col_perm[i] / 3, t.col_perm[i / 3 * 3] / 3);
		}
		/* digits permuted, blank kept */
		ck_assert_int_eq(t.digit[0], 0);
		for (int d = 1; d <= 9; d++) {
			ck_assert(t.digit[d] >= 1 && t.digit[d] <= 9 && !seen[t.digit[d]]);
			seen[t.digit[d]] = true;
		}
		/* validity and uniqueness preserved; blanks stay where they go */
		q = p;
		if (k == 0) {
			sudoku_shuffle(&rng, &q);
		} else {
			sudoku_transform_apply(&t, p.input, q.input);
			sudoku_transform_apply(&t, p.label, q.label);
			for (int i = 0; i < 81; i++)
				ck_assert_int_eq(q.input[i] == SUDOKU_BLANK,
						 p.input[sudoku_transform_source(&t, i)] == SUDOKU_BLANK);
		}
		ck_assert(sudoku_ops.validate(&q, q.label, NULL));
		ck_assert_int_eq(givens(&q), givens(&p));
		if (k < 50) {
			struct puzzle r = q;
			ck_assert_int_eq(sudoku_count_solutions(&q, 2, NULL), 1);
			ck_assert_int_eq(sudoku_solve(&r, &cause), 0);
			ck_assert_mem_eq(r.label, q.label, sizeof q.label);
		}
	}
	ck_assert(transposed > 100 && transposed < 200);
}
END_TEST

START_TEST(test_bad_inputs)
{
	char buf[400];
	test_bad_puzzle("empty.txt", "", "empty file");
	test_bad_puzzle("short.txt",
			"53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..7\n",
			"line 1 has 80 characters, a sudoku line has 81");
	snprintf(buf, sizeof buf, "%.40sx%s\n", classic, classic + 41);
	test_bad_puzzle("char.txt", buf, "line 1 column 41: unknown character 'x'");
	test_bad_puzzle("block.txt", "53..7....\n6..195...\n.98....6.\n8...6...3\n4..8.3..1\n7...2...6\n.6....28.\n"
				     "...419..5\n....8.x79\n",
			"line 9 column 7: unknown character 'x'");
	test_bad_puzzle("lines8.txt", "53..7....\n6..195...\n.98....6.\n8...6...3\n4..8.3..1\n7...2...6\n.6....28.\n"
				      "...419..5\n",
			"8 lines of 9");
	test_bad_puzzle("clash.txt",
			"55..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79\n",
			"the givens contradict each other: 5 at line 1 column 1 and at line 1 column 2 (same row)");
	test_bad_puzzle("clashcol.txt",
			"53..7....8..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79\n",
			"(same column)");
	snprintf(buf, sizeof buf, "%.11s3%s\n", classic, classic + 12);
	test_bad_puzzle("clashbox.txt", buf, "3 at line 1 column 2 and at line 1 column 12 (same box)");
	snprintf(buf, sizeof buf, "%s\n%s\n", classic, classic);
	test_bad_puzzle("two.txt", buf, "line 2: a second puzzle");
	test_bad_puzzle("csv.csv", "source,question,answer,rating\nx,53..7....,534678912,0\n",
			"line 2: a sudoku question has 81 characters, not 9");
	snprintf(buf, sizeof buf, "source,question,answer,rating\nx,%s,%.80s1,0\n", classic, classic_sol);
	test_bad_puzzle("wrong.csv", buf, "line 2: the answer is not a solution of the question");
	snprintf(buf, sizeof buf, "source,question,answer,rating\nx,%s,%.80s.,0\n", classic, classic_sol);
	test_bad_puzzle("blank.csv", buf, "answer character 81 is '.', not a digit 1-9");
}
END_TEST

START_TEST(test_ops)
{
	const struct puzzle_ops *ops = puzzle_ops_for(PUZZLE_SUDOKU);
	struct puzzle p;
	parse81(classic, &p);
	ck_assert_ptr_eq(ops, &sudoku_ops);
	ck_assert_str_eq(ops->name, "sudoku");
	ck_assert_int_eq(ops->vocab_size, 11);
	struct cell_look l = ops->look(&p, 0, 6);
	ck_assert(l.ch == '5' && l.role == ROLE_GIVEN);
	l = ops->look(&p, 2, 5);
	ck_assert(l.ch == '4' && l.role == ROLE_DIGIT);
	l = ops->look(&p, 2, SUDOKU_BLANK);
	ck_assert(l.ch == '.' && l.role == ROLE_BLANK);
	l = ops->look(&p, 2, SUDOKU_PAD);
	ck_assert(l.role == ROLE_PAD);
}
END_TEST

static Suite *sudoku_suite(void)
{
	Suite *s = suite_create("sudoku");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_classic);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_examples);
	tcase_add_test(tc, test_generate);
	tcase_add_test(tc, test_augment);
	tcase_add_test(tc, test_bad_inputs);
	tcase_add_test(tc, test_ops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(sudoku_suite(), "check_sudoku");
}
