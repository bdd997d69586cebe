/* puzzle.h - one interface over the puzzle kinds (maze, sudoku, ARC).
 *
 * A puzzle is a square grid of cells in the official token vocabulary of its
 * kind (HRM-SPEC "Datasets"): the model sees `input`, is trained on `label`.
 * Functions return 0 or -1 with *cause set to a malloc'd one-line message. */
#ifndef HRM_PUZZLE_H
#define HRM_PUZZLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

enum puzzle_kind { PUZZLE_MAZE, PUZZLE_SUDOKU, PUZZLE_ARC };

#define PUZZLE_MAX_SIDE 30
#define PUZZLE_MAX_CELLS (PUZZLE_MAX_SIDE * PUZZLE_MAX_SIDE)

/* Official tokens.  Maze: 0 pad, '#' 1, ' ' 2, 'S' 3, 'G' 4, 'o' 5 (path).
 * Sudoku: 0 pad, 1 blank, 2..10 = digits 1..9.  ARC: 0 pad, 1 end-of-grid,
 * 2..11 = colours 0..9. */
enum { MAZE_PAD = 0, MAZE_WALL = 1, MAZE_OPEN = 2, MAZE_START = 3, MAZE_GOAL = 4, MAZE_PATH = 5, MAZE_VOCAB = 6 };
enum { SUDOKU_PAD = 0, SUDOKU_BLANK = 1, SUDOKU_VOCAB = 11 };
enum { ARC_PAD = 0, ARC_EOS = 1, ARC_VOCAB = 12 };

struct puzzle {
	enum puzzle_kind kind;
	int side;                       /* grid is side x side (maze: the maze's own side; ARC: 30 canvas) */
	int seq_len;                    /* cells given to the model: side*side (ARC: 900) */
	int32_t input[PUZZLE_MAX_CELLS];
	int32_t label[PUZZLE_MAX_CELLS];
	bool has_label;
	char name[128];                 /* file name, dataset index... for display */
};

/* How the UI draws one cell: a character and a semantic colour role. */
enum cell_role {
	ROLE_EMPTY, ROLE_WALL, ROLE_START, ROLE_GOAL, ROLE_PATH,
	ROLE_GIVEN, ROLE_DIGIT, ROLE_BLANK,
	ROLE_ARC0 /* .. ROLE_ARC0 + 9 */, ROLE_ARC_LAST = ROLE_ARC0 + 9,
	ROLE_PAD, ROLE_EOS,
};
struct cell_look {
	char ch;
	enum cell_role role;
};

/* The per-kind operations. */
struct puzzle_ops {
	const char *name;                           /* "maze", "sudoku", "arc" */
	int vocab_size;
	/* parse a text file's contents (the kind's own text format) */
	int (*parse)(const char *text, size_t len, const char *fname, struct puzzle *out, char **cause);
	/* format tokens as the kind's text (NUL-terminated, malloc'd) */
	char *(*format)(const struct puzzle *p, const int32_t *cells);
	struct cell_look (*look)(const struct puzzle *p, int cell, int32_t token);
	/* fill p->label with the exact answer; -1 if unsolvable */
	int (*solve)(struct puzzle *p, char **cause);
	/* is `answer` (seq_len tokens) a correct answer for p->input?  wrong[i]
	 * (may be NULL) is set for each cell that is wrong or breaks a rule. */
	bool (*validate)(const struct puzzle *p, const int32_t *answer, bool *wrong);
};

extern const struct puzzle_ops maze_ops, sudoku_ops, arc_ops;
const struct puzzle_ops *puzzle_ops_for(enum puzzle_kind k);

/* The side of a square grid of `cells` cells (its integer square root), or
 * 0 when `cells` is not a square. */
int puzzle_side_of(int cells);

/* Load a puzzle file, guessing the kind from its contents/extension
 * (.json ARC task, 81-char line sudoku, '#'-grid maze). */
int puzzle_load_file(const char *path, struct puzzle *out, char **cause);

/* ---- additions (see maze.h, sudoku.h, arc.h for kind-specific functions) ---- */

/* puzzle_load_file's rules, in order: an empty file is an error; a name
 * ending in .json (any case) or text starting with '{' is an ARC task (the
 * puzzle is its first test pair); a name ending in .csv is an official
 * dataset CSV (source,question,answer,rating; the puzzle is its first data
 * row, a maze or a sudoku by its question); text with '#', 'S' or 'G' is a
 * maze; other text with a digit or '.' is a sudoku; anything else is
 * reported.  p->name is the file's base name ("name row N" for CSV rows). */

/* Up to max (0: no limit) puzzles of a file: each row of a CSV, each line of
 * a sudoku list (one 81-character puzzle per line), each pair of an ARC task
 * (train pairs first, then test pairs), or the one maze.  *out is malloc'd
 * (free it); a puzzle takes about 7 KiB. */
int puzzle_load_all(const char *path, int max, struct puzzle **out, int *count, char **cause);

/* One row of the official CSV (source,question,answer,rating) for a maze or
 * sudoku with a label: malloc'd, ending in "\n" (NULL for other puzzles).
 * The rating column is the caller's (puzzlegen writes the path length / the
 * search backtracks). */
char *puzzle_csv_row(const struct puzzle *p, const char *source, long rating);

/* The eight dihedral transforms, numbered as the official dataset/common.py:
 * 0 identity, 1 rot90 (counter-clockwise, np.rot90 k=1), 2 rot180, 3 rot270,
 * 4 flip left-right, 5 flip up-down, 6 transpose, 7 anti-transpose
 * (fliplr(rot90)).  A rows x cols grid becomes *out_rows x *out_cols;
 * puzzle_dihedral_source maps an output cell (r, c) to the input cell it
 * comes from. */
void puzzle_dihedral_shape(int tid, int rows, int cols, int *out_rows, int *out_cols);
void puzzle_dihedral_source(int tid, int rows, int cols, int r, int c, int *src_r, int *src_c);
int puzzle_dihedral_inverse(int tid);
/* Square token grids (side x side; in and out must not overlap). */
void puzzle_dihedral(int tid, int side, const int32_t *in, int32_t *out);

#endif
