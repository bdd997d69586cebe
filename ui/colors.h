/* colors.h - semantic colour roles.  No drawing code names a raw colour:
 * text uses a ui_role, grid cells a swatch; the scheme maps them to the
 * terminal's 256 or 8 colours, or to attributes alone on a monochrome
 * terminal (and when NO_COLOR is set). */
#ifndef HRM_UI_COLORS_H
#define HRM_UI_COLORS_H

#include <curses.h>
#include <stdbool.h>

enum ui_role {
	UI_NORMAL,
	UI_HEADER,    /* the top bars */
	UI_HEADER_HI, /* emphasis inside them */
	UI_TITLE,     /* panel titles */
	UI_DIM,       /* secondary text, future bars */
	UI_STATUS,    /* the bottom line */
	UI_KEY,       /* key names */
	UI_ERROR,
	UI_WARN,
	UI_GOOD,
	UI_BAD,
	UI_BAR_A,     /* L bars, even H cycles */
	UI_BAR_B,     /* L bars, odd H cycles */
	UI_BAR_H,     /* H bars */
	UI_BAR_NOW,   /* the bar of the step on screen */
	UI_SEPARATOR, /* segment boundaries, box lines */
	UI_CAPTION,   /* teaching mode */
	UI_SELECT,    /* inspector cursor, selected row */
	UI_GIVEN,     /* sudoku givens */
	UI_DIGIT,     /* sudoku digits the model wrote */
	UI_WRONG,     /* a wrong cell's text */
	UI_SERIES2,   /* the compared run's points in the charts (tui --compare) */
	UI_ROLE_COUNT
};

/* Colours of grid cells (maze cells, ARC colours, shading). */
enum swatch {
	SW_OPEN,
	SW_WALL,
	SW_START,
	SW_GOAL,
	SW_PATH,
	SW_MISSED,
	SW_WRONG,
	SW_CHANGED,
	SW_PAD,
	SW_EOS,
	SW_ARC0,
	SW_ARC9 = SW_ARC0 + 9,
	SW_CONF0,
	SW_CONF4 = SW_CONF0 + 4,
	SW_INK_DARK,
	SW_INK_LIGHT, /* text drawn on a swatch */
	SW_COUNT
};

enum color_depth { DEPTH_MONO = 0, DEPTH_8 = 8, DEPTH_256 = 256 };

/* After initscr.  want_color false (NO_COLOR, --mono) gives monochrome. */
void colors_init(bool want_color);
enum color_depth colors_depth(void);
attr_t ui_attr(enum ui_role r);
void ui_set(WINDOW *w, enum ui_role r);
/* Colour pair attributes for a cell: foreground fg on background bg
 * (half blocks: top cell fg, bottom cell bg).  0 on a monochrome screen. */
attr_t swatch_attr(enum swatch fg, enum swatch bg);
/* Text colour that reads on swatch s. */
enum swatch swatch_ink(enum swatch s);
/* Terminal colour of a swatch (for the recorder); -1 default. */
short swatch_color(enum swatch s);

#endif
