/* samples.c - training samples from a dataset folder or the maze generator. */
#include "train/samples.h"
#include "io/dataset.h"
#include "puzzles/maze.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int samples_open_dataset(struct sample_source *s, const char *dir, const char *split, char **cause)
{
	memset(s, 0, sizeof *s);
	s->kind = SAMPLES_DATASET;
	s->split = xcalloc(1, sizeof *s->split);
	if (dataset_read_split(dir, split, s->split, cause) != 0) {
		free(s->split);
		s->split = NULL;
		return -1;
	}
	if (s->split->num_examples <= 0) {
		samples_close(s);
		return set_cause(cause, "%s/%s: the split has no examples", dir, split);
	}
	s->seq_len = (int)s->split->meta.seq_len;
	s->vocab_size = (int)s->split->meta.vocab_size;
	s->num_puzzle_identifiers = (int)s->split->meta.num_puzzle_identifiers;
	s->ignore_label_id = s->split->meta.has_ignore_label_id ? (int32_t)s->split->meta.ignore_label_id : -1;
	return 0;
}

int samples_open_maze(struct sample_source *s, int side, int canvas, int min_path, double loops, char **cause)
{
	memset(s, 0, sizeof *s);
	if (canvas < side)
		canvas = side;
	if (side < MAZE_GEN_MIN_SIDE || canvas > PUZZLE_MAX_SIDE)
		return set_cause(cause, "maze size %d (canvas %d) outside %d..%d", side, canvas, MAZE_GEN_MIN_SIDE,
				 PUZZLE_MAX_SIDE);
	s->kind = SAMPLES_MAZE;
	s->side = side;
	s->canvas = canvas;
	s->min_path = min_path > 0 ? min_path : 1;
	s->loops = loops;
	s->seq_len = canvas * canvas;
	s->vocab_size = MAZE_VOCAB;
	s->num_puzzle_identifiers = 1;
	/* the official maze builder writes ignore_label_id 0: pad cells carry no loss */
	s->ignore_label_id = 0;
	return 0;
}

int samples_open_sudoku(struct sample_source *s, int givens, int hi, char **cause)
{
	memset(s, 0, sizeof *s);
	if (givens < 17 || givens > 80)
		return set_cause(cause, "sudoku givens %d outside 17..80", givens);
	if (hi > 80)
		return set_cause(cause, "sudoku givens %d outside 17..80", hi);
	s->kind = SAMPLES_SUDOKU;
	s->givens = givens;
	s->givens_hi = hi > givens ? hi : givens;
	s->side = 9;
	s->canvas = 9;
	s->seq_len = SUDOKU_CELLS;
	s->vocab_size = SUDOKU_VOCAB;
	s->num_puzzle_identifiers = 1;
	/* the official sudoku builder labels every cell; 0 (pad) never occurs */
	s->ignore_label_id = 0;
	return 0;
}

int samples_set_maze_mix(struct sample_source *s, const int *sides, int n, char **cause)
{
	if (n < 0 || n > SAMPLES_MAX_MIX)
		return set_cause(cause, "maze mix: %d sizes (at most %d)", n, SAMPLES_MAX_MIX);
	for (int i = 0; i < n; i++)
		if (sides[i] < MAZE_GEN_MIN_SIDE || sides[i] > s->canvas)
			return set_cause(cause, "maze mix: size %d outside %d..%d (the canvas)", sides[i],
					 MAZE_GEN_MIN_SIDE, s->canvas);
	memcpy(s->mix, sides, (size_t)n * sizeof *sides);
	s->nmix = n;
	return 0;
}

int samples_mix_sides(const struct sample_source *s, int out[SAMPLES_MAX_MIX])
{
	int n = 0;
	for (int i = 0; i < s->nmix; i++) {
		int j = 0;
		while (j < n && out[j] != s->mix[i])
			j++;
		if (j == n)
			out[n++] = s->mix[i];
	}
	return n;
}

void samples_close(struct sample_source *s)
{
	if (s->split) {
		dataset_split_free(s->split);
		free(s->split);
	}
	memset(s, 0, sizeof *s);
}

static int maze_sample(struct sample_source *s, struct hrm_rng *rng, int32_t *inputs, int32_t *labels, int32_t *pid,
		       char **cause)
{
	int side = s->nmix > 0 ? s->mix[hrm_rng_below(rng, (uint64_t)s->nmix)] : s->side;
	struct maze_gen_opts o = { .side = side, .min_path = s->min_path, .loops = s->loops };
	struct puzzle p;
	if (maze_generate(rng, &o, &p, cause) != 0)
		return -1;
	maze_wall_into(&p, s->canvas, &p);
	memcpy(inputs, p.input, (size_t)p.seq_len * sizeof *inputs);
	memcpy(labels, p.label, (size_t)p.seq_len * sizeof *labels);
	*pid = 0;
	return 0;
}

static int sudoku_sample(struct sample_source *s, struct hrm_rng *rng, int32_t *inputs, int32_t *labels,
			 int32_t *pid, char **cause)
{
	/* a range draws its count first; one count draws nothing (the same
	 * stream as before ranges existed) */
	int g = s->givens;
	if (s->givens_hi > s->givens)
		g += (int)hrm_rng_below(rng, (uint64_t)(s->givens_hi - s->givens + 1));
	struct sudoku_gen_opts o = {.givens = g};
	struct puzzle p;
	if (sudoku_generate(rng, &o, &p, NULL, cause) != 0)
		return -1;
	memcpy(inputs, p.input, (size_t)p.seq_len * sizeof *inputs);
	memcpy(labels, p.label, (size_t)p.seq_len * sizeof *labels);
	*pid = 0;
	return 0;
}

static int generate(struct sample_source *s, struct hrm_rng *rng, int32_t *inputs, int32_t *labels, int32_t *pid,
		    char **cause)
{
	return s->kind == SAMPLES_SUDOKU ? sudoku_sample(s, rng, inputs, labels, pid, cause)
					 : maze_sample(s, rng, inputs, labels, pid, cause);
}

int samples_next(struct sample_source *s, struct hrm_rng *rng, int32_t *inputs, int32_t *labels, int32_t *pid,
		 char **cause)
{
	if (s->kind != SAMPLES_DATASET)
		return generate(s, rng, inputs, labels, pid, cause);
	int64_t i = (int64_t)hrm_rng_below(rng, (uint64_t)s->split->num_examples);
	return samples_get(s, 0, i, inputs, labels, pid, cause);
}

int samples_get(struct sample_source *s, uint64_t seed, int64_t i, int32_t *inputs, int32_t *labels, int32_t *pid,
		char **cause)
{
	if (s->kind != SAMPLES_DATASET) {
		/* puzzle i of a seed does not depend on the others: a stream per index */
		struct hrm_rng r;
		hrm_rng_seed(&r, seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i);
		return generate(s, &r, inputs, labels, pid, cause);
	}
	struct dataset_example ex;
	if (i < 0 || i >= s->split->num_examples || dataset_get_example(s->split, i, &ex) != 0)
		return set_cause(cause, "dataset: example %lld out of range", (long long)i);
	memcpy(inputs, ex.inputs, (size_t)s->seq_len * sizeof *inputs);
	memcpy(labels, ex.labels, (size_t)s->seq_len * sizeof *labels);
	*pid = ex.puzzle_identifier;
	return 0;
}

int64_t samples_count(const struct sample_source *s)
{
	return s->kind == SAMPLES_DATASET ? s->split->num_examples : INT64_MAX;
}
