/* source.c - puzzle sources for the TUI (see source.h). */
#include "ui/source.h"
#include "io/dataset.h"
#include "io/puzzle_spec.h"
#include "puzzles/maze.h"
#include "core/rng.h"
#include "puzzles/sudoku.h"
#include "core/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_list(struct puzzle_source *s, const char *path, int64_t index, char **cause)
{
	if (puzzle_load_all(path, 0, &s->list, &s->count, cause) != 0)
		return -1;
	if (index >= s->count) {
		set_cause(cause, "%s: no puzzle %lld (the file has %d, numbered from 0)", path, (long long)index,
		          s->count);
		source_close(s);
		return -1;
	}
	s->kind = SOURCE_LIST;
	s->start = index;
	snprintf(s->name, sizeof s->name, "%s", path);
	return 0;
}

static int open_dataset(struct puzzle_source *s, const char *dir, const char *split, int64_t index, char **cause)
{
	s->split = xcalloc(1, sizeof *s->split);
	if (dataset_read_split(dir, split, s->split, cause) != 0) {
		free(s->split);
		s->split = NULL;
		return -1;
	}
	s->kind = SOURCE_DATASET;
	if (index >= s->split->num_examples) {
		set_cause(cause, "%s/%s: no example %lld (the split has %lld, numbered from 0)", dir, split,
		          (long long)index, (long long)s->split->num_examples);
		source_close(s);
		return -1;
	}
	s->start = index;
	/* the folder's own name: the header has little room */
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	const char *base = dir;
	for (size_t i = 0; i + 1 < dl; i++)
		if (dir[i] == '/')
			base = dir + i + 1;
	snprintf(s->name, sizeof s->name, "%.*s:%s", (int)(dl - (size_t)(base - dir)), base, split);
	return 0;
}

int source_open(struct puzzle_source *s, const char *spec, char **cause)
{
	struct puzzle_spec ps;
	memset(s, 0, sizeof *s);
	if (puzzle_spec_parse(spec, &ps, cause) != 0)
		return -1;
	int rc = ps.dataset ? open_dataset(s, ps.path, ps.split, ps.index, cause)
			    : open_list(s, ps.path, ps.index, cause);
	puzzle_spec_free(&ps);
	return rc;
}

void source_open_fresh(struct puzzle_source *s, const struct puzzle *first)
{
	memset(s, 0, sizeof *s);
	s->kind = SOURCE_FRESH;
	s->first = *first;
	s->side = first->side;
	/* long enough to need thinking, short enough to generate at once */
	s->min_path = first->side * first->side / 6;
	if (s->min_path > 111)
		s->min_path = 111;
	for (int c = 0; c < first->seq_len; c++)
		s->givens += first->input[c] > SUDOKU_BLANK;
	snprintf(s->name, sizeof s->name, "%s", first->name);
}

/* Fresh puzzle i > 0 of the kind of s->first, from seed i. */
static int fresh_puzzle(const struct puzzle_source *s, int64_t i, struct puzzle *out, char **cause)
{
	struct hrm_rng rng;
	hrm_rng_seed(&rng, (uint64_t)i);
	if (s->first.kind == PUZZLE_SUDOKU) {
		/* another stream than seed i's: the bundled examples are seeds 1..4 */
		hrm_rng_seed(&rng, (uint64_t)i + 1000);
		struct sudoku_gen_opts o = {.givens = s->givens};
		if (sudoku_generate(&rng, &o, out, NULL, cause) != 0)
			return -1;
		snprintf(out->name, sizeof out->name, "fresh sudoku, %d givens #%lld", s->givens, (long long)i);
		return 0;
	}
	struct maze_gen_opts o = {.side = s->side, .min_path = s->min_path};
	if (maze_generate(&rng, &o, out, cause) != 0)
		return -1;
	snprintf(out->name, sizeof out->name, "fresh maze %dx%d #%lld", s->side, s->side, (long long)i);
	return 0;
}

void source_close(struct puzzle_source *s)
{
	free(s->list);
	if (s->split) {
		dataset_split_free(s->split);
		free(s->split);
	}
	memset(s, 0, sizeof *s);
}

int64_t source_count(const struct puzzle_source *s)
{
	switch (s->kind) {
	case SOURCE_LIST:
		return s->count;
	case SOURCE_DATASET:
		return s->split->num_examples;
	default:
		return INT64_MAX;
	}
}

static int dataset_puzzle(const struct puzzle_source *s, int64_t i, struct puzzle *p, int32_t *pid, char **cause)
{
	const struct dataset_meta *m = &s->split->meta;
	struct dataset_example ex;
	if (dataset_get_example(s->split, i, &ex) != 0)
		return set_cause(cause, "%s: no example %lld", s->name, (long long)i);
	int S = (int)m->seq_len, side = puzzle_side_of(S);
	memset(p, 0, sizeof *p);
	if (m->vocab_size == MAZE_VOCAB && side >= MAZE_MIN_SIDE && side <= PUZZLE_MAX_SIDE)
		p->kind = PUZZLE_MAZE;
	else if (m->vocab_size == SUDOKU_VOCAB && S == SUDOKU_CELLS)
		p->kind = PUZZLE_SUDOKU;
	else if (m->vocab_size == ARC_VOCAB && S == PUZZLE_MAX_CELLS)
		p->kind = PUZZLE_ARC;
	else
		return set_cause(cause, "%s: vocabulary %lld with %d cells is not a maze, sudoku or ARC dataset",
		                 s->name, (long long)m->vocab_size, S);
	p->side = side;
	p->seq_len = S;
	memcpy(p->input, ex.inputs, (size_t)S * sizeof(int32_t));
	for (int c = 0; c < S; c++) {
		int32_t l = ex.labels[c];
		p->label[c] = l < 0 || l >= m->vocab_size ? 0 : l;
		if (p->label[c] != 0)
			p->has_label = true;
	}
	*pid = ex.puzzle_identifier;
	snprintf(p->name, sizeof p->name, "%.100s #%lld", s->name, (long long)i);
	return 0;
}

void source_complete_label(struct puzzle *p)
{
	if (p->has_label)
		return;
	char *cause = NULL;
	int rc = -1;
	if (p->kind == PUZZLE_MAZE)
		rc = maze_solve(p, &cause);
	else if (p->kind == PUZZLE_SUDOKU && sudoku_count_solutions(p, 1, NULL) >= 1)
		rc = sudoku_solve(p, &cause);
	free(cause);
	if (rc != 0)
		p->has_label = false;
}

int source_get(const struct puzzle_source *s, int64_t i, struct puzzle *out, int32_t *pid, char **cause)
{
	*pid = 0;
	if (i < 0 || i >= source_count(s))
		return set_cause(cause, "no puzzle %lld", (long long)i);
	switch (s->kind) {
	case SOURCE_LIST:
		*out = s->list[i];
		break;
	case SOURCE_DATASET:
		if (dataset_puzzle(s, i, out, pid, cause) != 0)
			return -1;
		break;
	case SOURCE_FRESH:
		if (i == 0)
			*out = s->first;
		else if (fresh_puzzle(s, i, out, cause) != 0)
			return -1;
		break;
	}
	source_complete_label(out);
	return 0;
}
