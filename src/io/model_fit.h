/* model_fit.h - can a model take a puzzle?  The one place that says so, for
 * the commands and the TUI (model_fit.c).
 *
 * Two policies, because the two uses differ on purpose:
 * - FIT_EXACT (run, trace, eval, pr, guess, probe-simple): the puzzle must
 *   be what the model was made for: its vocabulary, its seq_len, a puzzle
 *   identifier it has.  Metrics on anything else would mislead.
 * - FIT_RUNNABLE (the TUI): whatever the model can run, so that a teacher
 *   can show a RoPE model on a larger maze: every token inside the
 *   vocabulary and, for learned positions, the same seq_len.  Another size
 *   and an unknown puzzle identifier (run as 0) are notes, not errors. */
#ifndef HRM_IO_MODEL_FIT_H
#define HRM_IO_MODEL_FIT_H

#include "model/hrm.h"
#include "puzzles/puzzle.h"

#include <stddef.h>
#include <stdint.h>

enum fit_mode { FIT_EXACT, FIT_RUNNABLE };

struct fit_query {
	const char *what;      /* the puzzle source, for messages: "FILE" or "DIR/SPLIT example I" */
	int vocab;             /* the puzzle's vocabulary (its kind's, or its dataset's) */
	int seq_len;           /* its cells */
	const int32_t *tokens; /* FIT_RUNNABLE: its input tokens [seq_len] */
	int32_t pid;           /* its puzzle identifier */
};

/* A maze smaller than a maze model's square canvas, walled into it as
 * training and `gen --canvas` do, so that the model sees what it was made
 * for (the commands and the TUI alike).  Returns the maze's own side if it
 * was walled in, else 0. */
int model_fit_wall_maze(const struct hrm_model *m, struct puzzle *p);

/* The name of a vocabulary's puzzle kind ("maze", "sudoku", "ARC") or NULL. */
const char *model_fit_kind_name(int vocab);

/* 0 if m can take the puzzle, with *pid the identifier to run it with and
 * (pid may be NULL) and note (may be NULL) a remark or ""; -1 with *cause (one line naming
 * q->what) if it cannot. */
int model_fit(const struct hrm_model *m, const struct fit_query *q, enum fit_mode mode, int32_t *pid, char *note,
              size_t note_len, char **cause);

#endif
