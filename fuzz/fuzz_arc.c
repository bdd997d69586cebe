/* fuzz_arc.c - ARC task JSON (puzzles/arc.c, jansson): every pair of a
 * task turned into a puzzle, its canvas decoded back. */
#include "puzzles/arc.h"
#include "fuzz.h"
#include "fuzz_puzzle.h"

FUZZ_TARGET(arc)
{
	char *cause = NULL;
	struct arc_task t;
	if (arc_task_parse((const char *)data, size, "fuzz.json", &t, &cause) == 0) {
		free(arc_task_format(&t));
		for (int i = 0; i < t.n_train + t.n_test; i++) {
			struct puzzle p;
			if (arc_to_puzzle(&t, i, "fuzz", &p, &cause) != 0)
				continue;
			exercise_puzzle(&p);
			struct arc_grid g;
			(void)arc_decode(p.input, &g, &cause);
			arc_crop(p.input, &g);
			if (p.has_label)
				arc_crop(p.label, &g);
		}
		struct arc_task aug;
		uint8_t map[10] = {0, 2, 3, 4, 5, 6, 7, 8, 9, 1};
		arc_task_augment(&t, 7, map, &aug);
		arc_task_free(&aug);
		arc_task_free(&t);
	}
	free(cause);
	return 0;
}
