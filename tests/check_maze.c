/* check_maze.c - maze parsing, solver, validator, generator and CSV rows. */
#include "puzzles/maze.h"
#include "puzzles/puzzle.h"
#include "core/rng.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLES FIXTURES_DIR "/../../puzzles/examples"

static struct puzzle *parse_text(const char *text)
{
	struct puzzle *p = xmalloc(sizeof *p);
	char *cause = NULL;
	int rc = maze_parse(text, strlen(text), "test.txt", p, &cause);
	ck_assert_msg(rc == 0, "parse failed: %s", cause ? cause : "?");
	return p;
}

/* Tokens of a maze text (same side as p) for use as an answer. */
static void answer_of(const char *text, int32_t *ans)
{
	struct puzzle *q = parse_text(text);
	memcpy(ans, q->has_label ? q->label : q->input, sizeof q->input);
	free(q);
}

static int at(const struct puzzle *p, int r, int c)
{
	return r * p->side + c;
}

/* The 5x5 maze with two shortest paths, worked out by hand. */
static const char two_ways[] = "#####\n"
			       "#S  #\n"
			       "# # #\n"
			       "#  G#\n"
			       "#####\n";

START_TEST(test_hand_solve)
{
	struct puzzle *p = parse_text(two_ways);
	char *cause = NULL;
	ck_assert_int_eq(p->kind, PUZZLE_MAZE);
	ck_assert_int_eq(p->side, 5);
	ck_assert_int_eq(p->seq_len, 25);
	ck_assert(!p->has_label);
	/* official tokens: '#' 1, ' ' 2, 'S' 3, 'G' 4 */
	ck_assert_int_eq(p->input[0], 1);
	ck_assert_int_eq(p->input[at(p, 1, 1)], 3);
	ck_assert_int_eq(p->input[at(p, 1, 2)], 2);
	ck_assert_int_eq(p->input[at(p, 3, 3)], 4);
	ck_assert_int_eq(maze_shortest_length(p), 4);
	ck_assert_int_eq(maze_count_shortest_paths(p, 100), 2);
	ck_assert_int_eq(maze_solve(p, &cause), 0);
	/* BFS up, right, down, left: (2,3) discovers G before (3,2) does */
	char *s = maze_format(p, p->label);
	ck_assert_str_eq(s, "#####\n#Soo#\n# #o#\n#  G#\n#####\n");
	free(s);
	ck_assert_int_eq(p->label[at(p, 1, 2)], MAZE_PATH);
	ck_assert(maze_ops.validate(p, p->label, NULL));
	free(p);
}
END_TEST

START_TEST(test_hand_validate)
{
	struct puzzle *p = parse_text(two_ways);
	int32_t ans[PUZZLE_MAX_CELLS];
	bool wrong[PUZZLE_MAX_CELLS];
	struct maze_check c;
	char *cause = NULL;
	ck_assert_int_eq(maze_solve(p, &cause), 0);

	/* the other shortest path is also right */
	answer_of("#####\n#S  #\n#o# #\n#ooG#\n#####\n", ans);
	ck_assert(maze_check_answer(p, ans, wrong, &c));
	ck_assert(c.valid && c.shortest && c.intact && c.connected);
	ck_assert_int_eq(c.path_len, 4);
	ck_assert_int_eq(c.n_wrong, 0);

	/* nothing marked: the label's cells are missing */
	ck_assert(!maze_check_answer(p, p->input, wrong, &c));
	ck_assert(c.intact && !c.connected && !c.valid);
	ck_assert_int_eq(c.n_wrong, 3);
	ck_assert(wrong[at(p, 1, 2)] && wrong[at(p, 1, 3)] && wrong[at(p, 2, 3)]);

	/* a gap: only the missing cell is blamed */
	answer_of("#####\n#So #\n# #o#\n#  G#\n#####\n", ans);
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(!c.connected);
	ck_assert_int_eq(c.n_wrong, 1);
	ck_assert(wrong[at(p, 1, 3)]);

	/* a dead-end branch */
	answer_of("#####\n#Soo#\n#o#o#\n#  G#\n#####\n", ans);
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(c.connected && !c.valid);
	ck_assert_int_eq(c.n_wrong, 1);
	ck_assert(wrong[at(p, 2, 1)]);

	/* a stray cell away from the path */
	answer_of("#####\n#Soo#\n# #o#\n#o G#\n#####\n", ans);
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(c.connected && !c.valid);
	ck_assert_int_eq(c.n_wrong, 1);
	ck_assert(wrong[at(p, 3, 1)]);

	/* both paths at once: a loop, valid but not a shortest path */
	answer_of("#####\n#Soo#\n#o#o#\n#ooG#\n#####\n", ans);
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(c.valid && !c.shortest);
	ck_assert_int_eq(c.path_len, 7);
	ck_assert_int_eq(c.n_wrong, 3);
	ck_assert(wrong[at(p, 2, 1)] && wrong[at(p, 3, 1)] && wrong[at(p, 3, 2)]);

	/* a wall turned into path, and S moved */
	memcpy(ans, p->label, sizeof ans);
	ans[at(p, 2, 2)] = MAZE_PATH;
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(!c.intact && !c.valid);
	ck_assert(wrong[at(p, 2, 2)]);
	memcpy(ans, p->label, sizeof ans);
	ans[at(p, 1, 1)] = MAZE_OPEN;
	ans[at(p, 2, 1)] = MAZE_START;
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(!c.intact);
	ck_assert(wrong[at(p, 1, 1)] && wrong[at(p, 2, 1)]);
	/* a pad token is a bad token */
	memcpy(ans, p->label, sizeof ans);
	ans[0] = MAZE_PAD;
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(wrong[0]);
	free(p);
}
END_TEST

START_TEST(test_detour)
{
	struct puzzle *p = parse_text("#######\n#S   G#\n# ### #\n#     #\n#######\n#######\n#######\n");
	int32_t ans[PUZZLE_MAX_CELLS];
	bool wrong[PUZZLE_MAX_CELLS];
	struct maze_check c;
	ck_assert_int_eq(maze_count_shortest_paths(p, 10), 1);
	answer_of("#######\n#S   G#\n#o###o#\n#ooooo#\n#######\n#######\n#######\n", ans);
	ck_assert(!maze_check_answer(p, ans, wrong, &c));
	ck_assert(c.valid && !c.shortest);
	ck_assert_int_eq(c.path_len, 8);
	ck_assert_int_eq(c.shortest_len, 4);
	ck_assert_int_eq(c.n_wrong, 7);
	ck_assert(wrong[at(p, 3, 3)] && !wrong[at(p, 1, 3)]);
	free(p);

	/* an unreachable G: parses, but has no solution */
	char *cause = NULL;
	p = parse_text("#####\n#S# #\n# #G#\n#####\n#####\n");
	ck_assert_int_eq(maze_solve(p, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "cannot be reached"));
	ck_assert(!maze_check_answer(p, p->input, NULL, &c));
	ck_assert_int_eq(c.shortest_len, -1);
	free(cause);
	free(p);
}
END_TEST

/* Loads maze-<n>.txt and its solution; checks the solver agrees. */
static void check_example(int n, int min_path)
{
	char path[2048], *cause = NULL;
	struct puzzle *p = xmalloc(sizeof *p), *s = xmalloc(sizeof *s);
	snprintf(path, sizeof path, "%s/maze-%d.txt", EXAMPLES, n);
	ck_assert_msg(puzzle_load_file(path, p, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(p->kind, PUZZLE_MAZE);
	ck_assert_int_eq(p->side, n);
	snprintf(path, sizeof path, "maze-%d.txt", n);
	ck_assert_str_eq(p->name, path);
	snprintf(path, sizeof path, "%s/maze-%d.solution.txt", EXAMPLES, n);
	ck_assert_msg(puzzle_load_file(path, s, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert(s->has_label);
	ck_assert_mem_eq(s->input, p->input, sizeof p->input);
	ck_assert_int_eq(maze_solve(p, &cause), 0);
	ck_assert_mem_eq(s->label, p->label, sizeof p->label);
	ck_assert(maze_ops.validate(p, s->label, NULL));
	ck_assert_int_ge(maze_shortest_length(p), min_path);
	free(p);
	free(s);
}

START_TEST(test_examples)
{
	check_example(11, 20);
	check_example(15, 36);
	check_example(21, 50);
	check_example(30, 111); /* Maze-Hard: path > 110 */
}
END_TEST

/* Open cells form a tree: connected, and edges = cells - 1. */
static bool is_perfect(const struct puzzle *p)
{
	int n = 0, edges = 0, dist[PUZZLE_MAX_CELLS], reached = 0, side = p->side;
	for (int i = 0; i < p->seq_len; i++) {
		if (!maze_passable(p->input[i]))
			continue;
		n++;
		if (i % side + 1 < side && maze_passable(p->input[i + 1]))
			edges++;
		if (i + side < p->seq_len && maze_passable(p->input[i + side]))
			edges++;
	}
	maze_bfs(p, maze_find(p, MAZE_START), dist, NULL);
	for (int i = 0; i < p->seq_len; i++)
		reached += dist[i] >= 0;
	return reached == n && edges == n - 1;
}

static bool walled(const struct puzzle *p)
{
	int n = p->side;
	for (int k = 0; k < n; k++)
		if (p->input[k] != MAZE_WALL || p->input[(n - 1) * n + k] != MAZE_WALL || p->input[k * n] != MAZE_WALL ||
		    p->input[k * n + n - 1] != MAZE_WALL)
			return false;
	return true;
}

START_TEST(test_generate_perfect)
{
	static const int sides[] = { 5, 6, 11, 15, 20, 21, 29, 30 };
	char *cause = NULL;
	struct puzzle *p = xmalloc(sizeof *p), *q = xmalloc(sizeof *q);
	for (size_t k = 0; k < sizeof sides / sizeof sides[0]; k++)
		for (uint64_t seed = 0; seed < 60; seed++) {
			struct hrm_rng rng;
			int side = sides[k], min_path = side < 10 ? 4 : 2 * side;
			struct maze_gen_opts o = { .side = side, .min_path = min_path };
			hrm_rng_seed(&rng, seed);
			ck_assert_msg(maze_generate(&rng, &o, p, &cause) == 0, "%s", cause ? cause : "?");
			ck_assert(p->has_label);
			ck_assert_int_eq(p->side, side);
			ck_assert(walled(p));
			ck_assert(is_perfect(p));
			ck_assert_int_ge(maze_shortest_length(p), min_path);
			ck_assert_int_eq(maze_count_shortest_paths(p, 10), 1);
			/* generate -> solve -> validate */
			*q = *p;
			ck_assert_int_eq(maze_solve(q, &cause), 0);
			ck_assert_mem_eq(q->label, p->label, sizeof p->label);
			ck_assert(maze_ops.validate(p, p->label, NULL));
			/* and through the text format */
			char *s = maze_format(p, p->label);
			ck_assert_int_eq(maze_parse(s, strlen(s), "gen.txt", q, &cause), 0);
			ck_assert_mem_eq(q->input, p->input, sizeof p->input);
			ck_assert_mem_eq(q->label, p->label, sizeof p->label);
			free(s);
		}
	free(p);
	free(q);
}
END_TEST

/* The longest path between two open cells of p (BFS from every open cell). */
static int longest_open_path(const struct puzzle *p)
{
	static const int dr[4] = { -1, 0, 1, 0 }, dc[4] = { 0, 1, 0, -1 };
	int n = p->side, best = 0, queue[PUZZLE_MAX_CELLS], dist[PUZZLE_MAX_CELLS];
	for (int s = 0; s < n * n; s++) {
		if (p->input[s] == MAZE_WALL)
			continue;
		for (int i = 0; i < n * n; i++)
			dist[i] = -1;
		int head = 0, tail = 0;
		dist[s] = 0;
		queue[tail++] = s;
		while (head < tail) {
			int v = queue[head++];
			best = dist[v] > best ? dist[v] : best;
			for (int k = 0; k < 4; k++) {
				int r = v / n + dr[k], c = v % n + dc[k];
				if (r < 0 || r >= n || c < 0 || c >= n || p->input[r * n + c] == MAZE_WALL || dist[r * n + c] >= 0)
					continue;
				dist[r * n + c] = dist[v] + 1;
				queue[tail++] = r * n + c;
			}
		}
	}
	return best;
}

/* maze_longest_path bounds every perfect maze's paths, and is reached:
 * a 2x2-cell maze is always one corridor. */
START_TEST(test_longest_path)
{
	char *cause = NULL;
	struct puzzle *p = xmalloc(sizeof *p);
	ck_assert_int_eq(maze_longest_path(5), 6);
	for (int side = 5; side <= 12; side++) {
		int reached = 0;
		for (uint64_t seed = 0; seed < 40; seed++) {
			struct hrm_rng rng;
			struct maze_gen_opts o = { .side = side, .min_path = 1 };
			hrm_rng_seed(&rng, seed);
			ck_assert_msg(maze_generate(&rng, &o, p, &cause) == 0, "%s", cause ? cause : "?");
			int longest = longest_open_path(p);
			ck_assert_int_le(longest, maze_longest_path(side));
			reached = longest > reached ? longest : reached;
		}
		if (side <= 6)
			ck_assert_int_eq(reached, maze_longest_path(side));
	}
	struct hrm_rng rng;
	hrm_rng_seed(&rng, 1);
	struct maze_gen_opts o = { .side = 5, .min_path = 7, .max_mazes = 50 };
	ck_assert_int_eq(maze_generate(&rng, &o, p, &cause), -1);
	free(cause);
	free(p);
}
END_TEST

START_TEST(test_generate_loops)
{
	char *cause = NULL;
	struct puzzle *p = xmalloc(sizeof *p), *q = xmalloc(sizeof *q);
	int with_cycles = 0;
	for (uint64_t seed = 0; seed < 200; seed++) {
		struct hrm_rng rng;
		struct maze_gen_opts o = { .side = 21, .min_path = 30, .loops = 0.2 };
		hrm_rng_seed(&rng, seed);
		ck_assert_msg(maze_generate(&rng, &o, p, &cause) == 0, "%s", cause ? cause : "?");
		ck_assert(walled(p));
		with_cycles += !is_perfect(p);
		ck_assert_int_ge(maze_shortest_length(p), 30);
		*q = *p;
		ck_assert_int_eq(maze_solve(q, &cause), 0);
		ck_assert_mem_eq(q->label, p->label, sizeof p->label);
		struct maze_check c;
		ck_assert(maze_check_answer(p, p->label, NULL, &c));
		ck_assert_int_eq(c.path_len, c.shortest_len);
	}
	ck_assert_int_gt(with_cycles, 150);
	free(p);
	free(q);
}
END_TEST

START_TEST(test_generate_hard_and_seeded)
{
	char *cause = NULL;
	struct puzzle *p = xmalloc(sizeof *p), *q = xmalloc(sizeof *q);
	struct hrm_rng a, b;
	struct maze_gen_opts o = { .side = 30, .min_path = 111 };
	hrm_rng_seed(&a, 42);
	hrm_rng_seed(&b, 42);
	for (int i = 0; i < 1000; i++) {
		ck_assert_msg(maze_generate(&a, &o, p, &cause) == 0, "%s", cause ? cause : "?");
		ck_assert_int_gt(maze_shortest_length(p), 110);
		if (i < 20) {
			ck_assert_int_eq(maze_generate(&b, &o, q, &cause), 0);
			ck_assert_mem_eq(p->input, q->input, sizeof p->input);
		}
	}
	/* impossible settings are reported */
	o.min_path = 900;
	ck_assert_int_eq(maze_generate(&a, &o, p, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "does not fit"));
	o.min_path = 500;
	o.max_mazes = 3;
	ck_assert_int_eq(maze_generate(&a, &o, p, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "in 3 mazes"));
	o.side = 31;
	ck_assert_int_eq(maze_generate(&a, &o, p, &cause), -1);
	free(cause);
	free(p);
	free(q);
}
END_TEST

START_TEST(test_dihedral)
{
	char *cause = NULL;
	struct puzzle *p = xmalloc(sizeof *p), *t = xmalloc(sizeof *t);
	struct hrm_rng rng;
	struct maze_gen_opts o = { .side = 15, .min_path = 20, .loops = 0.1 };
	hrm_rng_seed(&rng, 7);
	ck_assert_int_eq(maze_generate(&rng, &o, p, &cause), 0);
	for (int tid = 0; tid < 8; tid++) {
		int32_t back[PUZZLE_MAX_CELLS];
		*t = *p;
		puzzle_dihedral(tid, 15, p->input, t->input);
		puzzle_dihedral(tid, 15, p->label, t->label);
		puzzle_dihedral(puzzle_dihedral_inverse(tid), 15, t->input, back);
		ck_assert_mem_eq(back, p->input, 225 * sizeof back[0]);
		/* a symmetry keeps a shortest path shortest */
		ck_assert(maze_ops.validate(t, t->label, NULL));
		ck_assert_int_eq(maze_shortest_length(t), maze_shortest_length(p));
	}
	free(p);
	free(t);
}
END_TEST

START_TEST(test_padding)
{
	/* trailing spaces stripped by an editor: padded back */
	struct puzzle *p = parse_text("#####\n#S   \n#   #\n#  G#\n#####\n");
	struct puzzle *q = parse_text("#####\n#S\n#   #\n#  G#\n#####\n");
	ck_assert_mem_eq(p->input, q->input, sizeof p->input);
	free(q);
	/* an open last column (no walls around) still works if one line is full */
	q = parse_text("S  \n # \n  G\n\n\n");
	ck_assert_int_eq(q->side, 3);
	ck_assert_int_eq(q->input[8], MAZE_GOAL);
	free(p);
	free(q);
	/* CRLF line ends */
	p = parse_text("####\r\n#SG#\r\n#  #\r\n####\r\n");
	ck_assert_int_eq(p->side, 4);
	free(p);
}
END_TEST

START_TEST(test_bad_inputs)
{
	char big[40 * 32], *o = big;
	test_bad_puzzle("empty.txt", "", "empty file");
	test_bad_puzzle("blank.txt", "\n \n", "only blank lines");
	test_bad_puzzle("rect.txt", "###\n#S#\n# #\n#G#\n###\n", "not square: 5 rows but the longest line has 3 cells");
	test_bad_puzzle("wide.txt", "####\n#S #\n# G#\n#####\n",
			"not square: line 4 has 5 cells but the maze has 4 rows");
	test_bad_puzzle("char.txt", "#####\n#S  #\n# #x#\n#  G#\n#####\n", "line 3 column 4: unknown character 'x'");
	test_bad_puzzle("tab.txt", "#####\n#S  #\n#\t# #\n#  G#\n#####\n", "line 3 column 2: unknown character tab");
	test_bad_puzzle("twos.txt", "#####\n#S  #\n# #S#\n#  G#\n#####\n",
			"two S (line 2 column 2 and line 3 column 4)");
	test_bad_puzzle("twog.txt", "#####\n#S G#\n# # #\n#  G#\n#####\n", "two G");
	test_bad_puzzle("nog.txt", "#####\n#S  #\n# # #\n#   #\n#####\n", "no G");
	test_bad_puzzle("nos.txt", "#####\n#   #\n# # #\n#  G#\n#####\n", "no S");
	for (int r = 0; r < 31; r++) {
		for (int c = 0; c < 31; c++)
			*o++ = r == 1 && c == 1 ? 'S' : r == 2 && c == 2 ? 'G' : '#';
		*o++ = '\n';
	}
	*o = '\0';
	test_bad_puzzle("big.txt", big, "31x31, larger than the 30x30 maximum");
	test_bad_puzzle("kind.txt", "hello\n", "cannot tell the puzzle kind");
	char *cause = NULL;
	struct puzzle p;
	ck_assert_int_eq(puzzle_load_file("/nonexistent/maze.txt", &p, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "/nonexistent/maze.txt: cannot open"));
	free(cause);
}
END_TEST

START_TEST(test_csv)
{
	char *cause = NULL, *rows = xstrdup("source,question,answer,rating\n");
	struct puzzle *gen = xmalloc(3 * sizeof *gen), *all = NULL, *one = xmalloc(sizeof *one);
	struct hrm_rng rng;
	struct maze_gen_opts o = { .side = 30, .min_path = 111 };
	int n = 0;
	hrm_rng_seed(&rng, 5);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(maze_generate(&rng, &o, &gen[i], &cause), 0);
		char *row = puzzle_csv_row(&gen[i], i == 1 ? "with, comma \"q\"" : "gen", maze_shortest_length(&gen[i]));
		if (i == 1) /* quoted as Python's csv module would */
			ck_assert_str_eq(strchr(row, '#') - 1 == row + 19 ? "ok" : row, "ok");
		rows = xrealloc(rows, strlen(rows) + strlen(row) + 1);
		strcat(rows, row);
		free(row);
	}
	char *path = test_write_tmp("mazes.csv", rows);
	ck_assert_msg(puzzle_load_all(path, 0, &all, &n, &cause) == 0, "%s", cause ? cause : "?");
	ck_assert_int_eq(n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(all[i].kind, PUZZLE_MAZE);
		ck_assert_int_eq(all[i].side, 30);
		ck_assert(all[i].has_label);
		ck_assert_mem_eq(all[i].input, gen[i].input, sizeof gen[i].input);
		ck_assert_mem_eq(all[i].label, gen[i].label, sizeof gen[i].label);
	}
	ck_assert_str_eq(all[1].name, "mazes.csv row 2");
	free(all);
	ck_assert_int_eq(puzzle_load_file(path, one, &cause), 0);
	ck_assert_mem_eq(one->input, gen[0].input, sizeof gen[0].input);
	free(path);

	/* an answer that moves a wall */
	char *bad = xstrdup(rows), *second = strchr(bad, '\n') + 1;
	char *ans = strchr(strchr(second, ',') + 1, ',') + 1;
	ans[0] = ' ';
	path = test_write_tmp("bad.csv", bad);
	ck_assert_int_eq(puzzle_load_file(path, one, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, path));
	ck_assert_ptr_nonnull(strstr(cause, "line 2: answer row 1 column 1 is ' ' where the question has '#'"));
	free(path);
	free(bad);
	path = test_write_tmp("short.csv", "source,question,answer,rating\nx,#S G#,#SoG#,1\n");
	ck_assert_int_eq(puzzle_load_file(path, one, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "not a square grid"));
	free(path);
	free(cause);
	free(rows);
	free(gen);
	free(one);
}
END_TEST

START_TEST(test_ops)
{
	const struct puzzle_ops *ops = puzzle_ops_for(PUZZLE_MAZE);
	struct puzzle *p = parse_text(two_ways);
	ck_assert_ptr_eq(ops, &maze_ops);
	ck_assert_str_eq(ops->name, "maze");
	ck_assert_int_eq(ops->vocab_size, 6);
	struct cell_look l = ops->look(p, 0, MAZE_WALL);
	ck_assert(l.ch == '#' && l.role == ROLE_WALL);
	l = ops->look(p, 6, MAZE_START);
	ck_assert(l.ch == 'S' && l.role == ROLE_START);
	l = ops->look(p, 6, MAZE_PATH);
	ck_assert(l.ch == 'o' && l.role == ROLE_PATH);
	l = ops->look(p, 6, 0);
	ck_assert(l.role == ROLE_PAD);
	char *s = ops->format(p, p->input);
	ck_assert_str_eq(s, two_ways);
	free(s);
	free(p);
}
END_TEST

static Suite *maze_suite(void)
{
	Suite *s = suite_create("maze");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hand_solve);
	tcase_add_test(tc, test_hand_validate);
	tcase_add_test(tc, test_detour);
	tcase_add_test(tc, test_examples);
	tcase_add_test(tc, test_generate_perfect);
	tcase_add_test(tc, test_longest_path);
	tcase_add_test(tc, test_generate_loops);
	tcase_add_test(tc, test_generate_hard_and_seeded);
	tcase_add_test(tc, test_dihedral);
	tcase_add_test(tc, test_padding);
	tcase_add_test(tc, test_bad_inputs);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_ops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(maze_suite(), "check_maze");
}
