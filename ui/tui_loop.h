/* tui_loop.h - the main loop (tui_loop.c): keys, mouse, signals and the
 * worker's news in; requests to state changes; one repaint per pass. */
#ifndef HRM_UI_TUI_LOOP_H
#define HRM_UI_TUI_LOOP_H

#include "ui/tui.h"

/* One key (or KEY_MOUSE, KEY_RESIZE): RES_NONE, RES_HANDLED or RES_QUIT. */
int tui_key(struct tui *t, int ch);
/* Runs until q or a quitting signal; returns the exit code. */
int tui_loop(struct tui *t);

#endif
