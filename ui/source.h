/* source.h - where the TUI's puzzles come from, so n/p can walk them: the
 * puzzles of a file (a CSV, a sudoku list, an ARC task's pairs), the
 * examples of a dataset split, or mazes (a first one, then fresh mazes of
 * the same size, seeded by their number). */
#ifndef HRM_UI_SOURCE_H
#define HRM_UI_SOURCE_H

#include "puzzles/puzzle.h"

#include <stdint.h>

struct dataset_split;

enum source_kind { SOURCE_LIST, SOURCE_DATASET, SOURCE_FRESH };

struct puzzle_source {
	enum source_kind kind;
	char name[256]; /* the file or dataset, for the header */
	int64_t start;  /* index the spec asked for */
	/* SOURCE_LIST */
	struct puzzle *list;
	int count;
	/* SOURCE_DATASET */
	struct dataset_split *split;
	/* SOURCE_FRESH: index 0 is `first`, index i > 0 a puzzle of its kind
	 * generated with seed i: a maze of its side (paths of min_path moves
	 * or more), or a unique sudoku with as many givens */
	struct puzzle first;
	int side, min_path, givens;
};

/* FILE, FILE:INDEX (0-based), DIR (a dataset folder: split test, else
 * train), DIR:SPLIT, DIR:SPLIT:INDEX, as io/puzzle_spec.h reads them. */
int source_open(struct puzzle_source *s, const char *spec, char **cause);
/* first (a maze or a sudoku), then fresh ones like it: mazes of its size,
 * unique sudokus with as many givens. */
void source_open_fresh(struct puzzle_source *s, const struct puzzle *first);
void source_close(struct puzzle_source *s);
/* How many puzzles (INT64_MAX for generated ones). */
int64_t source_count(const struct puzzle_source *s);
/* Puzzle i, with its puzzle identifier.  Mazes and sudokus without a label
 * get the solver's. */
int source_get(const struct puzzle_source *s, int64_t i, struct puzzle *out, int32_t *pid, char **cause);

/* Fill p->label with the solver's answer when it has none (maze, sudoku). */
void source_complete_label(struct puzzle *p);

#endif
