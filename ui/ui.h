/* ui.h - the TUI's entry point (tui.c): `hrmscope tui`, and `hrmscope` with
 * no arguments in a terminal. */
#ifndef HRM_UI_UI_H
#define HRM_UI_UI_H

int cmd_tui(int argc, char **argv);

#endif
