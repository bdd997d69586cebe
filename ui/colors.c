/* colors.c - the colour scheme (see colors.h). */
#include "ui/colors.h"

#include <string.h>

struct role_style {
	short fg, bg; /* 8-colour palette; -1 = terminal default */
	attr_t attr;  /* added in colour */
	attr_t mono;  /* used alone on a monochrome screen */
};

static const struct role_style role_styles[UI_ROLE_COUNT] = {
    [UI_NORMAL] = {-1, -1, 0, 0},
    [UI_HEADER] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
    [UI_HEADER_HI] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD},
    [UI_TITLE] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
    [UI_DIM] = {COLOR_WHITE, -1, A_DIM, A_DIM},
    [UI_STATUS] = {COLOR_WHITE, COLOR_BLUE, 0, A_REVERSE},
    [UI_KEY] = {COLOR_YELLOW, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD},
    [UI_ERROR] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
    [UI_WARN] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    [UI_GOOD] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
    [UI_BAD] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [UI_BAR_A] = {COLOR_GREEN, -1, 0, 0},
    [UI_BAR_B] = {COLOR_CYAN, -1, 0, 0},
    [UI_BAR_H] = {COLOR_MAGENTA, -1, 0, 0},
    [UI_BAR_NOW] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_REVERSE},
    [UI_SEPARATOR] = {COLOR_BLUE, -1, 0, A_DIM},
    [UI_CAPTION] = {COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE},
    [UI_SELECT] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE},
    [UI_GIVEN] = {-1, -1, A_BOLD, A_BOLD},
    [UI_DIGIT] = {COLOR_CYAN, -1, 0, 0},
    [UI_WRONG] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
    [UI_SERIES2] = {COLOR_WHITE, -1, A_BOLD, A_BOLD},
};

struct swatch_color {
	short c256, c8;
};

/* ARC colours follow the usual ARC palette (black, blue, red, green,
 * yellow, grey, magenta, orange, azure, maroon). */
static const struct swatch_color swatches[SW_COUNT] = {
    [SW_OPEN] = {235, COLOR_BLACK},      [SW_WALL] = {250, COLOR_WHITE},        [SW_START] = {40, COLOR_GREEN},
    [SW_GOAL] = {33, COLOR_BLUE},        [SW_PATH] = {220, COLOR_YELLOW},       [SW_MISSED] = {165, COLOR_MAGENTA},
    [SW_WRONG] = {196, COLOR_RED},       [SW_CHANGED] = {51, COLOR_CYAN},       [SW_PAD] = {237, COLOR_BLACK},
    [SW_EOS] = {60, COLOR_BLUE},         [SW_ARC0 + 0] = {16, COLOR_BLACK},     [SW_ARC0 + 1] = {32, COLOR_BLUE},
    [SW_ARC0 + 2] = {203, COLOR_RED},    [SW_ARC0 + 3] = {41, COLOR_GREEN},     [SW_ARC0 + 4] = {220, COLOR_YELLOW},
    [SW_ARC0 + 5] = {248, COLOR_WHITE},  [SW_ARC0 + 6] = {199, COLOR_MAGENTA},  [SW_ARC0 + 7] = {208, COLOR_YELLOW},
    [SW_ARC0 + 8] = {117, COLOR_CYAN},   [SW_ARC0 + 9] = {88, COLOR_RED},       [SW_CONF0 + 0] = {236, COLOR_BLACK},
    [SW_CONF0 + 1] = {240, COLOR_BLUE},  [SW_CONF0 + 2] = {245, COLOR_MAGENTA}, [SW_CONF0 + 3] = {250, COLOR_CYAN},
    [SW_CONF0 + 4] = {255, COLOR_WHITE}, [SW_INK_DARK] = {16, COLOR_BLACK},     [SW_INK_LIGHT] = {231, COLOR_WHITE},
};

static enum color_depth depth;
static short cell_pairs[SW_COUNT][SW_COUNT];
static int next_pair;

void colors_init(bool want_color)
{
	depth = DEPTH_MONO;
	memset(cell_pairs, 0, sizeof cell_pairs);
	if (!want_color || !has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	depth = COLORS >= 256 ? DEPTH_256 : COLORS >= 8 ? DEPTH_8 : DEPTH_MONO;
	if (depth == DEPTH_MONO || COLOR_PAIRS < UI_ROLE_COUNT + 1) {
		depth = DEPTH_MONO;
		return;
	}
	for (int r = 1; r < UI_ROLE_COUNT; r++)
		init_pair((short)r, role_styles[r].fg, role_styles[r].bg);
	next_pair = UI_ROLE_COUNT;
}

enum color_depth colors_depth(void)
{
	return depth;
}

attr_t ui_attr(enum ui_role r)
{
	if (depth == DEPTH_MONO)
		return role_styles[r].mono;
	if (r == UI_NORMAL)
		return A_NORMAL;
	return COLOR_PAIR(r) | role_styles[r].attr;
}

void ui_set(WINDOW *w, enum ui_role r)
{
	wattrset(w, ui_attr(r));
}

short swatch_color(enum swatch s)
{
	return depth == DEPTH_256 ? swatches[s].c256 : swatches[s].c8;
}

attr_t swatch_attr(enum swatch fg, enum swatch bg)
{
	if (depth == DEPTH_MONO)
		return 0;
	if (cell_pairs[fg][bg] == 0) {
		/* the palette is small, so pairs are made as they are first used */
		int limit = COLOR_PAIRS < 256 ? COLOR_PAIRS : 256;
		if (next_pair >= limit) {
			/* out of pairs: a solid cell of the background colour */
			if (fg != bg && cell_pairs[bg][bg])
				return COLOR_PAIR(cell_pairs[bg][bg]);
			return A_REVERSE;
		}
		init_pair((short)next_pair, swatch_color(fg), swatch_color(bg));
		cell_pairs[fg][bg] = (short)next_pair++;
	}
	return COLOR_PAIR(cell_pairs[fg][bg]);
}

enum swatch swatch_ink(enum swatch s)
{
	switch ((int)s) {
	case SW_WALL:
	case SW_START:
	case SW_PATH:
	case SW_CHANGED:
	case SW_CONF0 + 3:
	case SW_CONF0 + 4:
	case SW_ARC0 + 3:
	case SW_ARC0 + 4:
	case SW_ARC0 + 5:
	case SW_ARC0 + 7:
	case SW_ARC0 + 8:
		return SW_INK_DARK;
	default:
		return SW_INK_LIGHT;
	}
}
