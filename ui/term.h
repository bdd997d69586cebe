/* term.h - the terminal: curses start and stop, and getting it back in
 * every way the program can end (q, Ctrl-C, SIGTERM, SIGHUP, a crash or
 * abort, exit()).  Signals become bytes on a pipe the main loop polls. */
#ifndef HRM_UI_TERM_H
#define HRM_UI_TERM_H

#include <stdbool.h>

enum { TERM_EV_QUIT = 1, TERM_EV_RESIZE = 2 };

/* Installs the handlers, then starts curses on stdin/stdout.  Returns 0 or
 * -1 with *cause set. */
int term_start(bool want_color, char **cause);
/* Ends curses and restores the terminal; safe to call twice. */
void term_stop(void);
/* The pipe the handlers write to. */
int term_event_fd(void);
/* Reads the pending events: TERM_EV_* bits; *sig the quitting signal. */
int term_take_events(int *sig);
/* Applies the current window size to curses (after TERM_EV_RESIZE). */
void term_apply_size(void);

#endif
