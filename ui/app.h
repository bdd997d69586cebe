/* app.h - the application state the loop, the editor and the guesses view
 * change (app.c): the puzzle on screen, the position of the run, and the
 * status line's message.  Views only read this state; they never call here. */
#ifndef HRM_UI_APP_H
#define HRM_UI_APP_H

#include "ui/tui.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The status line's message for a few seconds (longer for an error). */
void app_message(struct tui *t, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* `o`: open FILE[:INDEX] or DATASET[:SPLIT[:INDEX]]; on failure the
 * current puzzle stays and the status line says why.  Returns 0 or -1. */
int app_open(struct tui *t, const char *spec);
/* `n` / `p`. */
void app_step_puzzle(struct tui *t, int delta);
/* Can the model run puzzle p (FIT_RUNNABLE, io/model_fit.h)?  0, with a
 * note (a puzzle identifier the model does not know becomes 0 in *pid), or
 * -1 with *cause. */
int app_check_fit(const struct hrm_model *m, const struct puzzle *p, int32_t *pid, char *note, size_t note_len,
                  char **cause);
/* Shows puzzle p (pid) and starts it, after checking that the model can
 * take it; returns 0, or -1 with *why set. */
int app_show_puzzle(struct tui *t, const struct puzzle *p, int32_t pid, char *why, size_t len);

/* The last position of a run: every step of all halt_max_steps segments. */
int app_max_pos(const struct tui *t);
/* Load t->puz afresh (history cleared). */
void app_restart(struct tui *t);
/* The loads from now on run in arithmetic dt (tui --dtype): the model's
 * bf16 weights are made the first time.  0, or -1 with the reason in the
 * status line (the arithmetic unchanged). */
int app_set_dtype(struct tui *t, enum hrm_dtype dt);
/* D: the other arithmetic (fp32 <-> bf16), the puzzle restarted in it
 * (history cleared, as R does). */
void app_switch_dtype(struct tui *t);
/* Move the screen to position p (computing it if needed). */
void app_goto(struct tui *t, int p);
/* Run until the halting rule stops the run (or to the end). */
void app_run(struct tui *t);

#endif
