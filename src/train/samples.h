/* samples.h - where training and evaluation samples come from: an official
 * dataset folder, or fresh puzzles from the generators (a new maze or sudoku
 * for every row of every batch, so the model never sees the same one twice). */
#ifndef HRM_SAMPLES_H
#define HRM_SAMPLES_H

#include "core/rng.h"

#include <stdint.h>

struct dataset_split;

enum sample_kind { SAMPLES_DATASET, SAMPLES_MAZE, SAMPLES_SUDOKU };

#define SAMPLES_MAX_MIX 8

struct sample_source {
	enum sample_kind kind;
	int seq_len, vocab_size, num_puzzle_identifiers;
	int32_t ignore_label_id;          /* dataset.json's, -1 when none */
	/* SAMPLES_DATASET */
	struct dataset_split *split;
	/* SAMPLES_MAZE: side x side mazes (walled into a canvas x canvas grid
	 * when canvas > side), shortest path >= min_path, extra openings `loops` */
	int side, canvas, min_path;
	double loops;
	/* training mixes: when nmix > 0 each maze's side is drawn from mix[]
	 * (every side <= canvas), walled into the canvas like a smaller maze */
	int mix[SAMPLES_MAX_MIX], nmix;
	/* SAMPLES_SUDOKU: unique sudokus with this many givens (each drawn
	 * uniformly from givens..givens_hi when givens_hi > givens) */
	int givens, givens_hi;
};

/* A dataset folder's split ("train" / "test"). */
int samples_open_dataset(struct sample_source *s, const char *dir, const char *split, char **cause);
/* Fresh mazes. */
int samples_open_maze(struct sample_source *s, int side, int canvas, int min_path, double loops, char **cause);
/* Fresh sudokus with a unique solution and exactly `givens` givens (17..80);
 * with hi > givens, each sudoku's count drawn from givens..hi. */
int samples_open_sudoku(struct sample_source *s, int givens, int hi, char **cause);
/* Draws each training maze's side from sides[0..n-1] instead (n <= SAMPLES_MAX_MIX). */
int samples_set_maze_mix(struct sample_source *s, const int *sides, int n, char **cause);
/* The distinct sides of the mix, in their first order (a side named twice is
 * drawn twice as often, but evaluated once); returns how many. */
int samples_mix_sides(const struct sample_source *s, int out[SAMPLES_MAX_MIX]);
void samples_close(struct sample_source *s);

/* One sample: inputs/labels [seq_len] (labels raw, as in the dataset), pid. */
int samples_next(struct sample_source *s, struct hrm_rng *rng, int32_t *inputs, int32_t *labels, int32_t *pid,
		 char **cause);
/* The i-th sample of a fixed set (dataset order, or maze i of the seed). */
int samples_get(struct sample_source *s, uint64_t seed, int64_t i, int32_t *inputs, int32_t *labels, int32_t *pid,
		char **cause);
/* Number of samples samples_get can give (dataset size; INT64_MAX for generators). */
int64_t samples_count(const struct sample_source *s);

#endif
