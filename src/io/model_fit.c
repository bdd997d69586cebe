/* model_fit.c - can a model take a puzzle: the vocabulary, the positions,
 * the puzzle identifier (model_fit.h says why there are two policies). */
#include "io/model_fit.h"
#include "core/util.h"
#include "puzzles/maze.h"
#include "puzzles/puzzle.h"

#include <stdio.h>

const char *model_fit_kind_name(int vocab)
{
	switch (vocab) {
	case MAZE_VOCAB: return "maze";
	case SUDOKU_VOCAB: return "sudoku";
	case ARC_VOCAB: return "ARC";
	default: return NULL;
	}
}

int model_fit_wall_maze(const struct hrm_model *m, struct puzzle *p)
{
	const struct hrm_config *c = &m->cfg;
	int canvas = puzzle_side_of(c->seq_len), side = p->side;
	if (p->kind != PUZZLE_MAZE || c->vocab_size != MAZE_VOCAB || canvas <= side || canvas > PUZZLE_MAX_SIDE)
		return 0;
	maze_wall_into(p, canvas, p);
	return side;
}

static int fit_exact(const struct hrm_model *m, const struct fit_query *q, char **cause)
{
	const struct hrm_config *c = &m->cfg;
	if (q->vocab != c->vocab_size) {
		const char *pk = model_fit_kind_name(q->vocab), *mk = model_fit_kind_name(c->vocab_size);
		return set_cause(cause, "%s: %s %s puzzle (vocabulary %d) but the model %s has vocabulary %d%s%s%s",
		                 q->what, pk && pk[0] == 'A' ? "an" : "a", pk ? pk : "custom", q->vocab, m->name,
		                 c->vocab_size, mk ? " (" : "", mk ? mk : "", mk ? ")" : "");
	}
	if (c->seq_len > 0 && q->seq_len != c->seq_len)
		return set_cause(cause, "%s: the puzzle has %d cells but the model %s was made for seq_len %d", q->what,
		                 q->seq_len, m->name, c->seq_len);
	if (c->puzzle_emb_ndim > 0 && (q->pid < 0 || q->pid >= c->num_puzzle_identifiers))
		return set_cause(cause, "%s: puzzle identifier %d but the model %s has %d (0..%d)", q->what, q->pid,
		                 m->name, c->num_puzzle_identifiers, c->num_puzzle_identifiers - 1);
	return 0;
}

static int fit_runnable(const struct hrm_model *m, const struct fit_query *q, int32_t *pid, char *note,
                        size_t note_len, char **cause)
{
	const struct hrm_config *c = &m->cfg;
	for (int i = 0; q->tokens != NULL && i < q->seq_len; i++)
		if (q->tokens[i] < 0 || q->tokens[i] >= c->vocab_size) {
			const char *pk = model_fit_kind_name(q->vocab);
			return set_cause(cause, "%s: token %d is outside the model's vocabulary of %d (%s puzzles need %d)",
			                 q->what, q->tokens[i], c->vocab_size, pk ? pk : "these", q->vocab);
		}
	if (c->pos_encodings == HRM_POS_LEARNED && q->seq_len != c->seq_len)
		return set_cause(cause, "%s: %d cells, but the model has learned positions for %d", q->what, q->seq_len,
		                 c->seq_len);
	if (c->puzzle_emb_ndim > 0 && (q->pid < 0 || q->pid >= c->num_puzzle_identifiers)) {
		if (note != NULL)
			snprintf(note, note_len, "puzzle identifier %d is unknown to the model: using 0", q->pid);
		*pid = 0;
	} else if (c->seq_len > 0 && q->seq_len != c->seq_len && note != NULL) {
		snprintf(note, note_len, "the model was trained on %d cells, this puzzle has %d", c->seq_len, q->seq_len);
	}
	return 0;
}

int model_fit(const struct hrm_model *m, const struct fit_query *q, enum fit_mode mode, int32_t *pid, char *note,
              size_t note_len, char **cause)
{
	if (note != NULL && note_len > 0)
		note[0] = '\0';
	int32_t ignored;
	if (pid == NULL)
		pid = &ignored;
	*pid = q->pid;
	return mode == FIT_EXACT ? fit_exact(m, q, cause) : fit_runnable(m, q, pid, note, note_len, cause);
}
