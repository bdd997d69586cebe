/* attention.h - the attention a cell's position gets and gives at one step
 * of a run: the weights of one layer of the module that ran the step
 * (L_level for an L-step, H_level for an H-step), computed on demand from
 * the state before the step (model/mixing.h does the arithmetic).  The TUI
 * asks from its compute thread, `hrmscope attn` from a fresh run. */
#ifndef HRM_ATTENTION_H
#define HRM_ATTENTION_H

#include "model/engine.h"
#include "model/mixing.h"

/* One query's weights: rows (heads) x T positions, the first Lp the puzzle
 * embedding's prefix tokens, then the S cells. */
struct attn_result {
	enum hrm_module mod;
	enum hrm_mix_kind kind;
	int layer, query; /* query: a position 0..T-1 (cell c is Lp + c) */
	int rows, T, Lp;
	float *w; /* [rows][T] */
};

void attn_result_free(struct attn_result *r);

/* The module that runs step `step` (1-based) of a segment of the model:
 * an L-step, or the H-step closing an H cycle. */
enum hrm_module attn_step_module(const struct hrm_config *c, int step);
/* Module calls per segment: H_cycles * (L_cycles + 1). */
int attn_steps_per_segment(const struct hrm_config *c);

/* The weights of `layer` of module mod from the cell's position (0-based
 * cell index) when that module runs on row `row` of the engine's current
 * carry: the state before the step.  0, or -1 with *cause. */
int attn_from_engine(struct hrm_engine *e, const struct hrm_model *m, int row, enum hrm_module mod, int layer,
		     int cell, struct attn_result *out, char **cause);

/* The same at a step of a fresh run of one puzzle: segment (1-based) and
 * step (1-based within it) of the run from the reset carry. */
int attn_at_step(const struct hrm_model *m, enum hrm_dtype dt, const int32_t *tokens, int S, int32_t pid,
		 int segment, int step, int layer, int cell, struct attn_result *out, char **cause);

/* The weight on each cell, cells[S] (head h, or the mean over heads for
 * h < 0), and what goes to the prefix tokens (the same head or mean). */
void attn_cells(const struct attn_result *r, int head, float *cells);
double attn_prefix_share(const struct attn_result *r, int head);

#endif
