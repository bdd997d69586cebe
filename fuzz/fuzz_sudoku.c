/* fuzz_sudoku.c - sudoku text files, lists and CSV rows (puzzles/sudoku.c). */
#include "fuzz.h"
#include "fuzz_puzzle.h"
#include "puzzles/sudoku.h"

FUZZ_TARGET(sudoku)
{
	const char *text = (const char *)data;
	char *cause = NULL;
	struct puzzle p, *list = NULL;
	int count = 0;
	if (sudoku_parse(text, size, "fuzz.txt", &p, &cause) == 0) {
		exercise_puzzle(&p);
		struct sudoku_stats st = {0};
		(void)sudoku_count_solutions(&p, 2, &st);
		if (sudoku_solve(&p, &cause) == 0) {
			exercise_puzzle(&p);
			if (!sudoku_check_answer(&p, p.label, NULL))
				abort(); /* the solver's answer must pass the checker */
		}
	}
	free(cause);
	cause = NULL;
	if (sudoku_parse_list(text, size, "fuzz.txt", 16, &list, &count, &cause) == 0) {
		for (int i = 0; i < count; i++)
			exercise_puzzle(&list[i]);
		free(list);
	}
	free(cause);
	exercise_csv(text, size, sudoku_from_strings);
	return 0;
}
