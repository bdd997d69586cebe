/* arc.h - ARC tasks: the JSON task file, the official 30x30 canvas encoding
 * and its decoding, and the official augmentations.
 *
 * Task file: {"train": [{"input": grid, "output": grid}, ...], "test": [...]}
 * with grids as arrays of rows of colours 0..9, 1x1 to 30x30, rows of equal
 * length; test outputs may be missing (hidden); other keys are ignored.
 *
 * Canvas (official build_arc_dataset.py): 30x30 tokens, 0 pad, 1 end of
 * grid, colour + 2.  A rows x cols grid goes at (top, left); end-of-grid
 * tokens fill the row below it (columns left..left+cols-1, if that row
 * exists) and the column right of it (rows top..top+rows-1, if it exists);
 * the corner cell below-right stays pad.  The official builder translates
 * train-split examples at random (one example per puzzle left at 0,0, an
 * input and its output by the same offset) and leaves every test-split
 * example at the top left: puzzles made from a task here are at 0,0. */
#ifndef HRM_ARC_H
#define HRM_ARC_H

#include "puzzles/puzzle.h"
#include "core/rng.h"

#define ARC_SIDE 30

struct arc_grid {
	int rows, cols;
	uint8_t cell[ARC_SIDE][ARC_SIDE];
};
struct arc_pair {
	struct arc_grid input, output;
	bool has_output;
};
struct arc_task {
	int n_train, n_test;
	struct arc_pair *train, *test; /* malloc'd */
};

/* Errors name fname and the place ("train[1].output row 3"). */
int arc_task_parse(const char *text, size_t len, const char *fname, struct arc_task *t, char **cause);
int arc_task_load(const char *path, struct arc_task *t, char **cause);
void arc_task_free(struct arc_task *t);
/* The task as JSON (malloc'd), one grid row per line. */
char *arc_task_format(const struct arc_task *t);

/* Puzzle `index` of the task: train pairs first (0..n_train-1), then test
 * pairs; input and output encoded at 0,0; label only if the output is known. */
int arc_to_puzzle(const struct arc_task *t, int index, const char *name, struct puzzle *out, char **cause);
/* arc_ops.parse: the task's first test pair. */
int arc_parse(const char *text, size_t len, const char *fname, struct puzzle *out, char **cause);

/* Encodes g at (top, left) into canvas[900]; g must fit there. */
void arc_encode(const struct arc_grid *g, int top, int left, int32_t *canvas);
/* The official random offset for an input/output pair: top uniform in
 * 0..30 - max(rows), left in 0..30 - max(cols). */
void arc_random_offset(struct hrm_rng *rng, const struct arc_grid *a, const struct arc_grid *b, int *top,
		       int *left);
/* Strict decoding of a well-formed canvas (as arc_encode writes, at any
 * offset): the grid starts at the first non-pad row and column, its size is
 * read from the end-of-grid border, and every other cell must be pad. */
int arc_decode(const int32_t *canvas, struct arc_grid *g, char **cause);
/* The official evaluation's reading of a prediction (arc_eval.ipynb crop):
 * the largest-area rectangle of colour tokens at the top left, where the
 * width of each row is limited by the rows above.  May give 0x0. */
void arc_crop(const int32_t *canvas, struct arc_grid *g);

/* Dihedral transform tid (puzzle.h numbering) of a grid; in != out. */
void arc_dihedral(int tid, const struct arc_grid *in, struct arc_grid *out);
/* Colour map: out cell = map[in cell]. */
void arc_recolour(const uint8_t map[10], const struct arc_grid *in, struct arc_grid *out);
/* The official colour permutation: 0 (black) fixed, 1..9 shuffled. */
void arc_random_colours(struct hrm_rng *rng, uint8_t map[10]);
/* The official task augmentation: every grid recoloured with map, then
 * transformed by tid.  out is allocated (arc_task_free it). */
void arc_task_augment(const struct arc_task *in, int tid, const uint8_t map[10], struct arc_task *out);
bool arc_grid_equal(const struct arc_grid *a, const struct arc_grid *b);

/* arc_ops.validate: the answer is correct when its official crop equals the
 * label's grid.  wrong[] marks cells that differ from the label within the
 * label grid and its border, and colour cells outside them. */
bool arc_check_answer(const struct puzzle *p, const int32_t *answer, bool *wrong);

#endif
