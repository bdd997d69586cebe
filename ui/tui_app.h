/* tui_app.h - the application around the views: puzzles in and out, the
 * main loop.  cmd_tui (tui.c) is the entry point. */
#ifndef HRM_UI_TUI_APP_H
#define HRM_UI_TUI_APP_H

#include "ui/tui.h"

/* `o`: open FILE[:INDEX] or DATASET[:SPLIT[:INDEX]]; on failure the
 * current puzzle stays and the status line says why.  Returns 0 or -1. */
int app_open(struct tui *t, const char *spec);
/* `n` / `p`. */
void app_step_puzzle(struct tui *t, int delta);
/* Shows puzzle p (pid) and starts it, after checking that the model can
 * take it; returns 0, or -1 with *why set. */
int app_show_puzzle(struct tui *t, const struct puzzle *p, int32_t pid, char *why, size_t len);

/* tui_loop.c */
int tui_key(struct tui *t, int ch);
/* Runs until q or a quitting signal; returns the exit code. */
int tui_loop(struct tui *t);

#endif
