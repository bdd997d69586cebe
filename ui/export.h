/* export.h - E: the screen as text and as SVG, and the data of the charts
 * on screen as CSV, to new files in the current folder.
 *
 * Names: hrmscope-YYYYMMDD-HHMMSS.txt, .svg and .csv (local time), with
 * -2, -3, ... before the extension when a file of that name is there:
 * an existing file is never replaced (each file is written under a
 * temporary name and hard-linked into place, which fails rather than
 * replace). */
#ifndef HRM_UI_EXPORT_H
#define HRM_UI_EXPORT_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

struct tui;

/* One character cell of the screen as curses shows it. */
struct export_cell {
	wchar_t ch[4]; /* the character (and combining ones), 0-terminated; empty: a space */
	short fg, bg;  /* curses colours, -1 the terminal's default */
	bool bold, dim, underline, reverse;
};
struct export_screen {
	int rows, cols;
	struct export_cell *cells; /* [rows][cols] */
};

/* The screen as last flushed (curscr). */
void export_capture(struct export_screen *s);
void export_screen_free(struct export_screen *s);

/* UTF-8 text, one line per row, trailing spaces dropped; malloc'd. */
char *export_text(const struct export_screen *s, size_t *len);
/* An SVG: a grid of cells (9 x 18 px) with the backgrounds as rects and the
 * text as text elements placed character by character; malloc'd. */
char *export_svg(const struct export_screen *s, size_t *len);
/* The xterm colour of a curses colour number, as "#rrggbb". */
void export_color_hex(short c, bool bg, char out[8]);

/* The whole request: capture, write the three files, say their names on the
 * status line (or the error). */
void export_request(struct tui *t);

#endif
