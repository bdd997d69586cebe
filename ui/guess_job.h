/* guess_job.h - the guesses view's computation and requests (guess_job.c):
 * K perturbed versions of the puzzle as one batch on a thread of its own,
 * the fixed points they reach, the vote, and Enter to step into one run with
 * the debugger.  view_guess.c draws it. */
#ifndef HRM_UI_GUESS_JOB_H
#define HRM_UI_GUESS_JOB_H

#include "ui/keys.h"
#include "ui/tui.h"

#include <stdbool.h>

/* The guesses view's requests (and REQ_GUESSES); RES_NONE if r is not one. */
int guess_request(struct tui *t, enum request r);
/* News from the computation: marks the view dirty; true while it runs. */
bool guess_poll(struct tui *t);
void guess_view_free(struct tui *t);

#endif
