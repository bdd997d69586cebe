/* compare.h - a second run beside the one in front (tui --compare): another
 * model, the model's own untrained init, or the model in the other
 * arithmetic, on the same puzzle, moved by the same cursor.
 *
 * A run is a session: the fields of struct tui that belong to one model's
 * run (model, worker, load, history snapshot, position, arithmetic, name).
 * A view draws the other run by swapping it into t around its usual
 * drawing (compare_swap), so that no view needs to know which run it
 * shows; the residual charts alone read both at once (t->cmp->hist). */
#ifndef HRM_UI_COMPARE_H
#define HRM_UI_COMPARE_H

#include "ui/tui.h"

#include <stdbool.h>
#include <stdint.h>

struct session {
	struct hrm_model *model;
	struct worker *worker;
	uint64_t gen;
	const struct history *hist; /* valid between compare_lock and compare_unlock */
	int hist_n, pos;
	bool busy;
	struct worker_status ws;
	double busy_since;
	enum hrm_dtype dtype;
	int32_t pid;
	char name[64]; /* a word or two: grid and table labels, the chart legend */
	char desc[96]; /* the same in full, for the header ("untrained init (seed 0)") */
	/* the compared run's own (not swapped) */
	int asked;       /* the position its worker was last asked for */
	bool swapped;    /* x: the compared run is in front */
	bool own_model;  /* its model is its own (not the front's, as --compare-dtype) */
};

/* Swaps the run in t with t->cmp (no-op without one). */
void compare_swap(struct tui *t);
/* x: the compared run comes in front (and back); the screen is redrawn. */
void compare_toggle_front(struct tui *t);
/* Once per loop pass, with the front's lock held and front_n the positions
 * its history has: asks the compared run's worker for the position the
 * front is going to and reads how far it got.  Returns its positions
 * computed for the puzzle on screen (the front shows no position the other
 * has not reached). */
int compare_sync(struct tui *t, int front_n);
/* After the front's position is set: the compared run's position (the
 * same, clamped to what it has) and its probe when the grid shows one. */
void compare_follow(struct tui *t);
/* Around drawing: the compared run's history in t->cmp->hist. */
void compare_lock(struct tui *t);
void compare_unlock(struct tui *t);
/* Stops its worker and frees its model when it is its own, the front back
 * in place first; t->cmp becomes NULL. */
void compare_free(struct tui *t);

extern const struct view_ops view_halt2_ops;

#endif
