/* worker.h - the compute thread: it owns the engine, so the UI never waits
 * on BLAS.
 *
 * The UI does not queue jobs; it states what it wants (a puzzle loaded,
 * the history computed up to a position, a probe at a position) and the
 * worker works towards it one module call at a time, appending each
 * position to the history and waking the UI through a pipe.  Cancelling is
 * lowering the target: the call in flight finishes, nothing more starts.
 *
 * Every function takes the lock itself except worker_history(), which the
 * caller reads between worker_lock() and worker_unlock(). */
#ifndef HRM_UI_WORKER_H
#define HRM_UI_WORKER_H

#include "ui/history.h"
#include "analysis/attention.h"
#include "model/hrm.h"

#include <stdbool.h>
#include <stdint.h>

struct worker;

struct worker_status {
	uint64_t loaded_gen; /* the puzzle load the history belongs to */
	bool busy;           /* a module call or a probe is in flight */
	int target;          /* position being computed towards */
	bool until_halt;     /* running until the halting rule fires */
	double ms_L, ms_H;   /* latest time of an L-step and of an H-step */
	char error[256];     /* last load error, "" if none */
};

/* The model must outlive the worker.  threads: BLAS threads. */
struct worker *worker_new(const struct hrm_model *m, char **cause);
void worker_free(struct worker *w);
/* Readable whenever the worker has published something; drain it. */
int worker_fd(const struct worker *w);
void worker_drain(struct worker *w);

void worker_lock(struct worker *w);
void worker_unlock(struct worker *w);
const struct history *worker_history(const struct worker *w);
struct worker_status worker_status(struct worker *w);

/* A new puzzle (or a restart): tokens [S], puzzle id, labels [S] raw
 * (label 0 not scored; NULL when unknown).  Returns the load's generation;
 * the history is cleared and position 0 published once it is done. */
uint64_t worker_load(struct worker *w, const int32_t *tokens, int S, int32_t pid, const int32_t *labels);
/* Noise on the initial state of the loads from now on (a guess run, see
 * src/analysis/perturb.h; sigma 0: none). */
void worker_set_noise(struct worker *w, double sigma, uint64_t seed);
/* The arithmetic of the loads from now on (the engine is remade in it at the
 * next load); bf16 needs the model's bf16 weights (hrm_model_prepare_bf16)
 * made before this is called. */
void worker_set_dtype(struct worker *w, enum hrm_dtype dt);
/* Compute positions up to pos (clamped to M segments). */
void worker_compute_to(struct worker *w, int pos);
/* Run from position `from` until the first segment end after it where the
 * rule halts (adaptive: q_halt > q_continue, or M).  Returns that position
 * if it is already known, else -1 (and the worker runs towards it). */
int worker_run_until_halt(struct worker *w, int from, bool adaptive);
void worker_cancel(struct worker *w);
/* Ask for lm_head(H_level(z_H, z_L)) at position pos (replaces any earlier ask). */
void worker_want_probe(struct worker *w, int pos);

/* The attention view's ask: the weights of `layer` of the module that ran
 * the step to position pos (>= 1; 0 asks nothing) from cell's position,
 * recomputed from the state before it (analysis/attention.h). */
struct worker_attn_ask {
	int pos, layer, cell;
};
struct worker_attn {
	uint64_t gen; /* the load it belongs to */
	struct worker_attn_ask ask;
	struct attn_result r; /* r.w NULL when it failed: */
	char error[160];      /* why ("" when r holds the weights) */
};
void worker_want_attn(struct worker *w, int pos, int layer, int cell);
/* The last answer for the puzzle on screen, read between worker_lock() and
 * worker_unlock(); NULL before the first.  Compare its ask with the one
 * wanted: it may be an older one while the new one is computed. */
const struct worker_attn *worker_attention(const struct worker *w);

#endif
