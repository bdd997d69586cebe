/* bench_puzzles.c - speed of the puzzle generators and solvers (issue 3):
 * 10,000 30x30 Maze-Hard mazes (path > 110), BFS solves of them, sudoku
 * solves of the bundled examples from easy to extreme, and sudoku
 * generation with a target number of givens.  Medians of several runs. */
#include "bench_common.h"
#include "puzzles/maze.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>

#define RUNS 3

static double time_maze_gen(int count, struct puzzle *keep)
{
	struct hrm_rng r;
	struct maze_gen_opts o = { .side = 30, .min_path = 111 };
	char *cause = NULL;
	hrm_rng_seed(&r, 1);
	double t0 = bench_now();
	for (int i = 0; i < count; i++)
		if (maze_generate(&r, &o, &keep[i % 64], &cause) != 0) {
			fprintf(stderr, "bench_puzzles: %s\n", cause);
			exit(1);
		}
	return bench_now() - t0;
}

static double time_maze_solve(struct puzzle *mazes, int n, int reps)
{
	char *cause = NULL;
	double t0 = bench_now();
	for (int k = 0; k < reps; k++)
		for (int i = 0; i < n; i++)
			if (maze_solve(&mazes[i], &cause) != 0) {
				fprintf(stderr, "bench_puzzles: %s\n", cause);
				exit(1);
			}
	return bench_now() - t0;
}

static int load_sudoku(const char *dir, const char *level, struct puzzle *p)
{
	char path[1024], *cause = NULL;
	snprintf(path, sizeof path, "%s/sudoku-%s.txt", dir, level);
	if (puzzle_load_file(path, p, &cause) != 0) {
		fprintf(stderr, "bench_puzzles: %s\n", cause);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *examples = bench_opt(argc, argv, "--examples");
	if (examples == NULL)
		examples = "puzzles/examples";
	int count = (int)bench_opt_long(argc, argv, "--mazes", 10000);
	struct puzzle *mazes = xcalloc(64, sizeof *mazes);
	double t[RUNS];

	for (int i = 0; i < RUNS; i++)
		t[i] = time_maze_gen(count, mazes);
	double gen = bench_median(t, RUNS);
	printf("maze generator   %d mazes 30x30, path > 110: %.2f s (%.0f mazes/s)\n", count, gen, count / gen);
	for (int i = 0; i < RUNS; i++)
		t[i] = time_maze_solve(mazes, 64, 100);
	double solve = bench_median(t, RUNS) / (64 * 100);
	printf("maze BFS solver  30x30 hard: %.1f us per maze\n", solve * 1e6);

	static const char *const levels[] = { "easy", "medium", "hard", "extreme" };
	for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
		struct puzzle p;
		if (load_sudoku(examples, levels[k], &p) != 0)
			return 1;
		struct sudoku_stats st = { 0 };
		int reps = 200;
		sudoku_count_solutions(&p, 2, &st);
		for (int i = 0; i < RUNS; i++) {
			double t0 = bench_now();
			for (int j = 0; j < reps; j++)
				sudoku_count_solutions(&p, 2, NULL);
			t[i] = (bench_now() - t0) / reps;
		}
		printf("sudoku solver    %-8s (uniqueness search, %ld backtracks): %.1f us\n", levels[k],
		       st.backtracks, bench_median(t, RUNS) * 1e6);
	}
	struct hrm_rng r;
	hrm_rng_seed(&r, 7);
	struct sudoku_gen_opts go = { .givens = 30 };
	int ngen = 50;
	char *cause = NULL;
	for (int i = 0; i < RUNS; i++) {
		double t0 = bench_now();
		for (int j = 0; j < ngen; j++) {
			struct puzzle p;
			if (sudoku_generate(&r, &go, &p, NULL, &cause) != 0) {
				fprintf(stderr, "bench_puzzles: %s\n", cause);
				return 1;
			}
		}
		t[i] = (bench_now() - t0) / ngen;
	}
	printf("sudoku generator 30 givens, unique: %.2f ms per puzzle\n", bench_median(t, RUNS) * 1e3);
	free(mazes);
	return 0;
}
