/* guess_view.h - the state of the guesses view (G), shared by the job and
 * its requests (guess_job.c) and the drawing (view_guess.c). */
#ifndef HRM_UI_GUESS_VIEW_H
#define HRM_UI_GUESS_VIEW_H

#include "analysis/guess.h"
#include "puzzles/puzzle.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct guess_view {
	/* the computation: the thread reads the inputs below, which change only
	 * while no thread runs, and publishes under mu */
	pthread_t thread;
	bool started; /* a thread to join */
	pthread_mutex_t mu;
	atomic_int cancel;
	bool running, news;
	int step_done, step_total; /* module calls of the batch: done, to do */
	double since;              /* when it started (monotonic_ms) */
	char error[256];
	struct guess_result res; /* the last result (under mu) */
	bool have;
	const struct hrm_model *model;
	struct puzzle orig; /* the puzzle guessed on */
	int32_t pid;
	struct guess_opts opts;

	/* settings and the view */
	enum perturb_kind kind;
	int K;
	int sel;
	bool map;                 /* z: the trajectory map of the runs instead of the tables */
	struct trajectory *traj;  /* [traj_n] the runs' pooled states (under mu), NULL none */
	int traj_n;
	bool stepped; /* the debugger shows one of the runs, this input: */
	int32_t stepped_input[PUZZLE_MAX_CELLS];
	/* the session before the first Enter, for o: the puzzle on screen, its
	 * identifier, the position asked for and the noise of its run */
	struct puzzle back;
	int32_t back_pid;
	int back_target;
	double back_sigma;
	uint64_t back_seed;
};

#endif
