/* cli_puzzle.h - what the puzzle commands (run, trace, eval, pr, gen) share:
 * opening a puzzle given as FILE[:INDEX] or DATASET[:SPLIT[:INDEX]],
 * checking it against a model, checking an answer, drawing
 * grids side by side, and a few option parsers.
 *
 * Functions return 0, or -1 with *cause set to a malloc'd one-line message
 * naming the file and the problem. */
#ifndef HRM_CLI_PUZZLE_H
#define HRM_CLI_PUZZLE_H

#include "model/hrm.h"
#include "puzzles/puzzle.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A puzzle to give a model. */
struct cli_puzzle {
	struct puzzle p;       /* input, label (raw), side, seq_len, name */
	bool known_kind;       /* p.kind is maze, sudoku or ARC (else only tokens are known) */
	int vocab;             /* the kind's (or the dataset's) vocabulary size */
	int32_t pid;           /* puzzle identifier (0, the blank one, for puzzle files) */
	bool has_ignore;       /* label == ignore_label marks a cell without an answer */
	int32_t ignore_label;  /* official builders: 0 */
	bool label_solved;     /* a puzzle file without its answer: label by the exact solver */
	char where[160];       /* "FILE" or "DIR/SPLIT example I", for messages */
	int walled_from;       /* a smaller maze walled into the model's canvas: its side, else 0 */
};

/* FILE (the first puzzle of it), FILE:INDEX (0-based: a CSV row, a line of
 * a sudoku list, a pair of an ARC task), DIR (a dataset folder: split
 * "test", else "train" when it has no test split; example 0), DIR:SPLIT or
 * DIR:SPLIT:INDEX, as io/puzzle_spec.h reads them.  A maze or sudoku file
 * without its answer gets the exact solver's (maze: the label rule's
 * shortest path). */
int cli_puzzle_open(const char *spec, struct cli_puzzle *out, char **cause);

/* A dataset example as a cli_puzzle; the kind follows from the vocabulary
 * and seq_len (6 and a square: maze; 11 and 81: sudoku; 12 and 900: ARC). */
struct dataset_split;
int cli_puzzle_from_dataset(const struct dataset_split *s, const char *dir, int64_t index, struct cli_puzzle *out,
			    char **cause);

/* Can model m take the puzzle (io/model_fit.h, FIT_EXACT), after walling a
 * smaller maze into the model's canvas (cp->walled_from says so)? */
int cli_puzzle_fit(const struct hrm_model *m, struct cli_puzzle *cp, char **cause);

/* (Can a model take it, the one rule: model_fit, io/model_fit.h.  Scoring an answer
 * against its label: hrm_score_row, model/metrics.h.) */
/* Cells where a and b differ. */
int cli_changed(const int32_t *a, const int32_t *b, int S);

/* The kind's validator on an answer: 1 valid, 0 not, -1 cannot tell (no
 * validator for the kind, or ARC without a label).  wrong (may be NULL)
 * receives the validator's marks; detail (may be NULL) a short reason. */
int cli_validate(const struct cli_puzzle *cp, const int32_t *answer, bool *wrong, char *detail, size_t detail_len);

/* Draws token grids side by side, each under its title: row r of panel k
 * is drawn by look(); marks[k] (may be NULL) draws panel k from chars
 * instead of tokens (side*side chars). */
void cli_print_panels(FILE *f, const struct cli_puzzle *cp, int n, const char *const *titles,
		      const int32_t *const *grids, const char *const *marks);

/* "I/N" with 0 <= I < N. */
int cli_parse_shard(const char *s, long *i, long *n);

#endif
