/* sudoku.h - 9x9 sudoku: text/CSV parsing, an exact solver that counts
 * solutions, a rule validator, a generator of unique puzzles, and the
 * official augmentation.
 *
 * Text format: one line of 81 characters, digits 1-9 for givens and '.' or
 * '0' for blanks (as the official CSV's question column), or 9 lines of 9
 * such characters.  A list file holds one 81-character puzzle per line.
 * Tokens (official build_sudoku_dataset.py: digit + 1 with blank as 0):
 * 0 pad, 1 blank, 2..10 = digits 1..9.  A parsed puzzle's givens must not
 * contradict each other (same digit twice in a row, column or box). */
#ifndef HRM_SUDOKU_H
#define HRM_SUDOKU_H

#include "puzzles/puzzle.h"
#include "core/rng.h"

#define SUDOKU_CELLS 81

/* sudoku_ops.parse: one puzzle (a single 81-line or a 9x9 block). */
int sudoku_parse(const char *text, size_t len, const char *fname, struct puzzle *out, char **cause);
/* A list file: *out malloc'd, up to max puzzles (0: all). */
int sudoku_parse_list(const char *text, size_t len, const char *fname, int max, struct puzzle **out, int *count,
		      char **cause);
/* One official CSV row: question and answer (may be NULL) of len (81)
 * characters; the answer must be a complete grid that keeps the givens and
 * the rules.  `where` names file and line. */
int sudoku_from_strings(const char *q, const char *a, size_t len, const char *where, struct puzzle *out,
			char **cause);
/* sudoku_ops.format: 81 characters and "\n", '.' for blank, '?' for tokens
 * outside the vocabulary. */
char *sudoku_format(const struct puzzle *p, const int32_t *cells);

/* Digits <-> tokens: digits[i] is 0 (blank) or 1..9. */
void sudoku_to_digits(const int32_t *tokens, uint8_t *digits);
void sudoku_from_digits(const uint8_t *digits, int32_t *tokens);
/* The k-th cell (0..8) of unit u: rows 0..8, columns 9..17, boxes 18..26. */
int sudoku_unit_cell(int u, int k);

/* Search effort.  The solver propagates naked and hidden singles, then
 * branches on the empty cell with the fewest candidates (lowest index on
 * ties), digits in ascending order.  nodes counts branch choices tried,
 * backtracks the dead ends met. */
struct sudoku_stats {
	long nodes;
	long backtracks;
};

/* Counts the solutions of digits[] up to limit (>= 1), stopping there;
 * solution (may be NULL) receives the first one found; stats (may be NULL)
 * the effort.  With limit 2 on a unique puzzle the whole tree is searched,
 * so its stats do not depend on how the digits are named: this is the
 * difficulty the generator measures.  Returns 0 if the givens contradict. */
int sudoku_solve_digits(const uint8_t *digits, uint8_t *solution, int limit, struct sudoku_stats *stats);
/* The same on a puzzle's input tokens. */
int sudoku_count_solutions(const struct puzzle *p, int limit, struct sudoku_stats *stats);
/* sudoku_ops.solve: label = the first solution (the only one for a proper
 * puzzle); -1 if there is none. */
int sudoku_solve(struct puzzle *p, char **cause);
/* Finds two givens that break a rule: returns 0 and sets *a < *b, or -1. */
int sudoku_conflict(const uint8_t *digits, int *a, int *b);

/* sudoku_ops.validate: true if answer is a complete grid of digits that
 * keeps every given and breaks no rule.  wrong[] marks blank or non-digit
 * cells, cells that change a given, and every cell of a digit repeated in a
 * row, column or box. */
bool sudoku_check_answer(const struct puzzle *p, const int32_t *answer, bool *wrong);

/* Generator: a random complete grid (the solver on an empty grid with the
 * digit order shuffled per branch), then givens removed in a random order,
 * each removal kept only if the solution stays unique, until `givens` are
 * left (0: until no removal keeps it unique, a minimal puzzle).  While the
 * puzzle's backtracks (limit-2 search, above) are below min_backtracks, a
 * local search swaps a random given for a random blank cell (filled from
 * the solution), keeping swaps that leave the solution unique and do not
 * lower the backtracks, up to 2000 swaps.  If the target is missed, a new
 * grid is drawn, up to max_tries (0: 1000).  Fewer givens and more
 * backtracks make harder puzzles: random minimal puzzles (22-28 givens)
 * mostly need 0-10 backtracks; 50 takes about 0.2 s, 200 about 10 s.
 * Same seed, same puzzles. */
struct sudoku_gen_opts {
	int givens;          /* 0 or 17..81 */
	long min_backtracks; /* 0: any */
	int max_tries;       /* 0: 1000 */
};
int sudoku_generate(struct hrm_rng *rng, const struct sudoku_gen_opts *o, struct puzzle *out,
		    struct sudoku_stats *stats, char **cause);

/* The official augmentation (build_sudoku_dataset.py shuffle_sudoku): a
 * permutation of the digits 1..9 (blank kept), a transpose with probability
 * 1/2, then a row order made of a band order and a row order within each
 * band, and a column order made of a stack order and a column order within
 * each stack.  Cell (i, j) of the result comes from cell
 * (row_perm[i], col_perm[j]) of the (possibly transposed) original. */
struct sudoku_transform {
	uint8_t digit[10]; /* digit[0] = 0; digit[d] = new digit for d */
	bool transpose;
	uint8_t row_perm[9], col_perm[9];
};
void sudoku_transform_random(struct hrm_rng *rng, struct sudoku_transform *t);
/* The original cell that new cell `cell` comes from. */
int sudoku_transform_source(const struct sudoku_transform *t, int cell);
/* 81 tokens in, 81 out (must not overlap); pad and unknown tokens kept. */
void sudoku_transform_apply(const struct sudoku_transform *t, const int32_t *in, int32_t *out);
/* One random transform applied to p->input and (if present) p->label. */
void sudoku_shuffle(struct hrm_rng *rng, struct puzzle *p);

#endif
