/* fuzz_maze.c - maze text files and maze CSV rows (puzzles/maze.c). */
#include "fuzz.h"
#include "fuzz_puzzle.h"
#include "puzzles/maze.h"

FUZZ_TARGET(maze)
{
	const char *text = (const char *)data;
	char *cause = NULL;
	struct puzzle p;
	if (maze_parse(text, size, "fuzz.txt", &p, &cause) == 0) {
		exercise_puzzle(&p);
		struct maze_check chk;
		bool wrong[PUZZLE_MAX_CELLS];
		(void)maze_check_answer(&p, p.input, wrong, &chk);
		(void)maze_count_shortest_paths(&p, 1000);
		if (maze_solve(&p, &cause) == 0) {
			exercise_puzzle(&p);
			if (!maze_check_answer(&p, p.label, wrong, &chk) || !chk.valid)
				abort(); /* the solver's answer must pass the checker */
		}
	}
	free(cause);
	exercise_csv(text, size, maze_from_strings);
	return 0;
}
