/* view_grid.c - the puzzle grid with the current answer laid over it.
 *
 * Three ways to fit a grid: one row per cell row (text, 1 or 2 characters
 * per cell); half blocks, two cell rows per character row with the top
 * cell as foreground and the bottom one as background (needs colour and
 * UTF-8), so a 30x30 maze takes 15 rows; and, on a monochrome or ASCII
 * screen too short for the grid, a window that scrolls with the cursor. */
#include "ui/tui.h"
#include "ui/compare.h"
#include "puzzles/maze.h"

#include <string.h>

/* The part of the puzzle worth showing: all of it, except for ARC where
 * the grids sit in the top left of a 30x30 canvas of padding. */
static void crop(const struct puzzle *pz, struct grid_geom *g)
{
	int n = pz->side;
	g->r0 = g->c0 = 0;
	g->nr = g->nc = n;
	if (pz->kind != PUZZLE_ARC)
		return;
	int r1 = -1, c1 = -1, rmin = n, cmin = n;
	for (int r = 0; r < n; r++)
		for (int c = 0; c < n; c++) {
			int i = r * n + c;
			if (pz->input[i] != ARC_PAD || (pz->has_label && pz->label[i] != ARC_PAD)) {
				r1 = r > r1 ? r : r1;
				c1 = c > c1 ? c : c1;
				rmin = r < rmin ? r : rmin;
				cmin = c < cmin ? c : cmin;
			}
		}
	if (r1 < 0)
		return;
	/* one cell of margin shows stray colours the model writes next to it */
	g->r0 = rmin > 0 ? rmin - 1 : 0;
	g->c0 = cmin > 0 ? cmin - 1 : 0;
	g->nr = (r1 + 2 < n ? r1 + 2 : n) - g->r0;
	g->nc = (c1 + 2 < n ? c1 + 2 : n) - g->c0;
}

/* Beside a grid, the charts keep at least this many columns. */
#define CHARTS_MIN_W 62

/* Rows and columns the cells take at scale ch (cells of ch rows by 2 ch
 * characters); the columns include one blank after them (a sudoku's is
 * the one before it). */
static int cells_h(const struct grid_geom *g, int ch)
{
	return g->sudoku ? 9 * ch + 2 : g->nr * ch;
}
static int cells_w(const struct grid_geom *g, int ch)
{
	return g->sudoku ? 9 * 2 * ch + 2 * 2 + 1 : g->nc * 2 * ch + 1;
}

/* Plans the grid in a panel of avail_h x avail_w (title and legend
 * included) on a screen screen_w wide; *need_w is the width it takes.
 *
 * Where the cells fit twice as large or more, with a column to spare and
 * the charts keeping CHARTS_MIN_W, they take the largest such scale, and
 * the input goes beside the answer when both fit at twice the size (the
 * pair first: a projector shows the puzzle and what the model makes of
 * it).  A panel narrower or lower than the one the plan took never fits
 * a larger plan, so planning again in the panel gives the same plan. */
int grid_plan(const struct tui *t, int avail_h, int avail_w, int screen_w, struct grid_geom *g, int *need_w)
{
	int rows = avail_h - 3;
	memset(g, 0, sizeof *g);
	crop(&t->puz, g);
	g->top = 1;
	g->ch = 1;
	g->sudoku = t->puz.kind == PUZZLE_SUDOKU;
	int one = 1, two = 0;
	for (int s = 2;; s++) {
		int h = cells_h(g, s), w = cells_w(g, s);
		if (h > rows || w + 1 > avail_w || screen_w - w < CHARTS_MIN_W)
			break;
		one = s;
		if (2 * w + 3 <= avail_w && screen_w - (2 * w + 2) >= CHARTS_MIN_W)
			two = s;
	}
	/* comparing two runs: the second grid is the compared run's answer, or,
	 * where the two do not fit, none (x brings it in front) */
	bool pair = t->cmp != NULL;
	if (one > 1 && (!pair || two)) {
		g->ch = two ? two : one;
		g->cw = 2 * g->ch;
		g->rows_shown = g->sudoku ? 9 : g->nr;
		int w = cells_w(g, g->ch);
		if (two)
			g->left2 = w + 2;
		g->pair = pair && two;
		*need_w = two ? 2 * w + 2 : w;
		return cells_h(g, g->ch) + 3;
	}
	one = 1;
	/* side by side at one row a cell row where they leave the charts the
	 * room of an 80-column screen: a row of labels under the title */
	const int pair_charts = 45;
	if (g->sudoku) {
		int w = 9 * 2 + 2 * 2 + 1;
		g->cw = 2;
		g->rows_shown = 9;
		*need_w = w;
		if (pair && 2 * w + 1 <= avail_w && screen_w - (2 * w + 2) >= pair_charts) {
			g->pair = true;
			g->left2 = w + 1;
			g->top = 2;
			*need_w = 2 * w + 1;
			return 11 + 4;
		}
		return 11 + 3;
	}
	if (avail_w > screen_w / 2) /* one row a cell row: as wide as half the screen */
		avail_w = screen_w / 2;
	int nr = g->nr, nc = g->nc;
	bool can_half = colors_depth() != DEPTH_MONO && t->utf8;
	/* square-looking cells when the charts keep room enough */
	g->cw = 2 * nc + 1 <= avail_w && screen_w - (2 * nc + 1) >= CHARTS_MIN_W ? 2 : 1;
	if (pair) {
		int w = 2 * nc + 1;
		g->cw = 2 * w + 1 <= avail_w && screen_w - (2 * w + 2) >= CHARTS_MIN_W ? 2 : 1;
		w = nc * g->cw + 1;
		g->pair = 2 * w <= avail_w && screen_w - (2 * w + 1) >= pair_charts;
		if (g->pair) {
			g->left2 = w;
			g->top = 2;
		}
	}
	if (nr <= rows) {
		g->rows_shown = nr;
	} else if (can_half) {
		g->half = true;
		g->rows_shown = nr;
	} else {
		g->rows_shown = rows > 1 ? rows : 1;
	}
	*need_w = g->pair ? 2 * (nc * g->cw + 1) : nc * g->cw + 1;
	/* a title above (and the labels), two lines of legend below */
	return (g->half ? (nr + 1) / 2 : g->rows_shown) + 3 + (g->top - 1);
}

/* One cell at (y, x): ch rows of cw characters, its glyph in the middle
 * (the top left when cells are one row), in grid mode m. */
static void put_cell(WINDOW *w, const struct tui *t, enum grid_mode m, int y, int x, int cell,
                     const struct grid_cell *gc, bool cursor)
{
	const struct puzzle *pz = &t->puz;
	struct cell_look lk = t->pops->look(pz, cell, gc->token);
	bool mono = colors_depth() == DEPTH_MONO, solid = false;
	char one[2] = {lk.ch, 0};
	const char *glyph = one;
	attr_t a;
	if (pz->kind == PUZZLE_SUDOKU) {
		enum ui_role r = gc->given ? UI_GIVEN : UI_DIGIT;
		if (gc->token == SUDOKU_BLANK) {
			r = UI_DIM;
			glyph = t->g->dot;
		}
		if (gc->wrong)
			r = UI_WRONG;
		a = ui_attr(r);
		if (m == GRID_CONF || grid_mode_heat(m) || gc->changed)
			a = mono ? (gc->changed ? A_REVERSE : A_NORMAL) : swatch_attr(swatch_ink(gc->sw), gc->sw);
		if (mono && (m == GRID_CONF || grid_mode_heat(m)))
			glyph = t->g->shade[gc->shade];
	} else {
		if (lk.role == ROLE_WALL) {
			glyph = t->g->bar[8];
			solid = true;
		} else if (lk.role == ROLE_EMPTY || lk.role == ROLE_PAD) {
			glyph = " ";
		}
		if (gc->missed) {
			glyph = t->g->dot;
			solid = false;
		}
		if (pz->kind == PUZZLE_ARC && !mono)
			glyph = " ";
		if (mono) {
			a = A_NORMAL;
			if (m == GRID_CONF || grid_mode_heat(m))
				glyph = t->g->shade[gc->shade];
			if (gc->missed)
				a = A_BOLD;
			if (gc->wrong || gc->changed)
				a = A_REVERSE | A_BOLD;
		} else {
			a = solid ? swatch_attr(gc->sw, gc->sw) : swatch_attr(swatch_ink(gc->sw), gc->sw);
		}
	}
	if (cursor)
		a = mono ? A_REVERSE | A_BOLD : ui_attr(UI_SELECT) | A_REVERSE;
	wattrset(w, a);
	int ch = t->geom.ch, cw = t->geom.cw, gy = (ch - 1) / 2, gx = ch - 1;
	for (int i = 0; i < ch; i++) {
		wmove(w, y + i, x);
		for (int k = 0; k < cw; k++)
			waddstr(w, solid || (i == gy && k == gx) ? glyph : " ");
	}
}

/* The sudoku from column x0: box lines between the 3x3 boxes, a line of
 * ─ and ┼ after every third row of cells and a │ after every third column. */
static void draw_sudoku(WINDOW *w, struct tui *t, enum grid_mode m, int x0, const struct grid_cell *cells)
{
	const struct glyphs *g = t->g;
	int ch = t->geom.ch, cw = t->geom.cw, box = 3 * cw + 2, width = 9 * cw + 2 * 2 + 1;
	int y = t->geom.top;
	for (int r = 0; r < 9; r++) {
		if (r == 3 || r == 6) {
			wattrset(w, ui_attr(UI_SEPARATOR));
			wmove(w, y++, x0);
			for (int x = 0; x < width; x++)
				waddstr(w, x == box - 1 || x == 2 * box - 1 ? g->cross : g->hline);
		}
		int x = x0 + 1;
		for (int c = 0; c < 9; c++) {
			if (c == 3 || c == 6) {
				wattrset(w, ui_attr(UI_SEPARATOR));
				for (int i = 0; i < ch; i++)
					mvwaddstr(w, y + i, x, g->vline);
				x += 2;
			}
			bool cur = t->focus != FOCUS_MAIN && r == t->cur_r && c == t->cur_c;
			put_cell(w, t, m, y, x, r * 9 + c, &cells[r * 9 + c], cur);
			x += cw;
		}
		y += ch;
	}
}

static void draw_half(WINDOW *w, struct tui *t, const struct grid_cell *cells)
{
	const struct grid_geom *g = &t->geom;
	int n = t->puz.side;
	for (int i = 0; i < g->nr; i += 2) {
		int r = g->r0 + i;
		wmove(w, g->top + i / 2, g->left);
		for (int j = 0; j < g->nc; j++) {
			int c = g->c0 + j;
			enum swatch top = cells[r * n + c].sw;
			/* odd height: the last row's lower half is plain */
			enum swatch bot = i + 1 < g->nr ? cells[(r + 1) * n + c].sw : top;
			wattrset(w, swatch_attr(top, bot));
			for (int k = 0; k < g->cw; k++)
				waddstr(w, top == bot ? " " : t->g->upper_half);
		}
	}
}

static void draw_rows(WINDOW *w, struct tui *t, enum grid_mode m, int x0, const struct grid_cell *cells)
{
	const struct grid_geom *g = &t->geom;
	int n = t->puz.side;
	for (int i = 0; i < g->rows_shown && g->row0 + i < g->nr; i++) {
		int r = g->r0 + g->row0 + i;
		for (int j = 0; j < g->nc; j++) {
			int c = g->c0 + j;
			bool cur = t->focus != FOCUS_MAIN && r == t->cur_r && c == t->cur_c;
			put_cell(w, t, m, g->top + i * g->ch, x0 + j * g->cw, r * n + c, &cells[r * n + c], cur);
		}
	}
}

struct legend_item {
	int sw; /* swatch, or -1 for plain text */
	const char *text;
};

static int legend(const struct tui *t, struct legend_item *it)
{
	int n = 0;
	const struct puzzle *pz = &t->puz;
	enum grid_mode m = tui_grid_mode_shown(t);
	if (grid_mode_heat(m)) {
		int sw[8];
		const char *text[8];
		n = grid_heat_legend(t, m, sw, text);
		for (int i = 0; i < n; i++)
			it[i] = (struct legend_item){sw[i], text[i]};
		return n;
	}
	if (m == GRID_CONF) {
		it[n++] = (struct legend_item){-1, "max softmax p:"};
		it[n++] = (struct legend_item){SW_CONF0, "<.5"};
		it[n++] = (struct legend_item){SW_CONF0 + 1, "<.7"};
		it[n++] = (struct legend_item){SW_CONF0 + 2, "<.85"};
		it[n++] = (struct legend_item){SW_CONF0 + 3, "<.95"};
		it[n++] = (struct legend_item){SW_CONF0 + 4, ">=.95"};
		return n;
	}
	if (m == GRID_CHANGED) {
		it[n++] = (struct legend_item){SW_CHANGED, "prediction changed since the previous step"};
		return n;
	}
	if (pz->kind == PUZZLE_SUDOKU) {
		it[n++] = (struct legend_item){-1, "bold: given  cyan: model"};
		if (m != GRID_INPUT && m != GRID_LABEL)
			it[n++] =
			    (struct legend_item){SW_WRONG, m == GRID_DIFF ? "differs from the label" : "breaks a rule"};
		return n;
	}
	if (pz->kind == PUZZLE_ARC) {
		it[n++] = (struct legend_item){-1, "colours"};
		static const char *digits[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
		for (int k = 0; k < 10; k++)
			it[n++] = (struct legend_item){SW_ARC0 + k, digits[k]};
		it[n++] = (struct legend_item){SW_EOS, "end"};
		if (m == GRID_DIFF)
			it[n++] = (struct legend_item){SW_WRONG, "wrong"};
		return n;
	}
	it[n++] = (struct legend_item){SW_WALL, "wall"};
	it[n++] = (struct legend_item){SW_START, "S"};
	it[n++] = (struct legend_item){SW_GOAL, "G"};
	if (m == GRID_DIFF) {
		it[n++] = (struct legend_item){SW_WRONG, "differs from the label"};
		return n;
	}
	if (m != t->grid_mode) /* the prediction, before there is one */
		it[n++] = (struct legend_item){-1, "the path shows after an H-step"};
	if (m != GRID_INPUT)
		it[n++] = (struct legend_item){SW_PATH, "path"};
	/* z_L read through the output head is no answer: a wall cell may
	 * read as S; said before the marks against the label */
	if (m == GRID_ZL)
		it[n++] = (struct legend_item){-1, "z_L's tokens, not an answer"};
	if (m != GRID_INPUT && m != GRID_LABEL && pz->has_label) {
		it[n++] = (struct legend_item){SW_WRONG, "off the true path"};
		it[n++] = (struct legend_item){SW_MISSED, "missed"};
	}
	return n;
}

static void draw_legend(WINDOW *w, struct tui *t, int y)
{
	struct legend_item it[24];
	int n = legend(t, it), x = 0, maxx = getmaxx(w);
	bool mono = colors_depth() == DEPTH_MONO;
	for (int i = 0; i < n; i++) {
		int need = (it[i].sw >= 0 ? 2 : 0) + text_width(it[i].text);
		if (x > 0 && x + need > maxx) {
			if (y + 1 >= getmaxy(w))
				break;
			y++;
			x = 0;
		}
		if (it[i].sw >= 0) {
			if (mono) {
				/* the glyphs put_cell draws without colour: a wall is the
				 * block (# in ASCII), a missed cell the dot */
				static const char *const marks[SW_COUNT] = {
				    [SW_START] = "S", [SW_GOAL] = "G", [SW_PATH] = "o", [SW_WRONG] = "X", [SW_CHANGED] = "*"};
				bool shade = it[i].sw >= SW_CONF0 && it[i].sw <= SW_CONF4;
				const char *c = shade                   ? t->g->shade[it[i].sw - SW_CONF0]
				                : it[i].sw == SW_WALL   ? t->g->bar[8]
				                : it[i].sw == SW_MISSED ? t->g->dot
				                : marks[it[i].sw]       ? marks[it[i].sw]
				                                        : "=";
				draw_text(w, y, x, 1, it[i].sw == SW_WRONG ? UI_BAD : UI_NORMAL, c);
			} else {
				wattrset(w, swatch_attr(it[i].sw, it[i].sw));
				mvwaddstr(w, y, x, t->g->bar[8]);
			}
			x += 2;
		}
		draw_text(w, y, x, maxx - x, UI_DIM, it[i].text);
		x += text_width(it[i].text) + 2;
	}
}

/* The cells in grid mode m from column x0: a sudoku with its box lines, or
 * a row of text for every cell row shown. */
static void draw_grid(WINDOW *w, struct tui *t, enum grid_mode m, int x0, const struct grid_cell *cells)
{
	if (t->geom.sudoku)
		draw_sudoku(w, t, m, x0, cells);
	else
		draw_rows(w, t, m, x0, cells);
}

/* The cells from column x0: half blocks, a sudoku, or rows. */
static void draw_cells(WINDOW *w, struct tui *t, enum grid_mode m, int x0, const struct grid_cell *cells)
{
	if (t->geom.half) {
		int left = t->geom.left;
		t->geom.left = x0;
		draw_half(w, t, cells);
		t->geom.left = left;
	} else {
		draw_grid(w, t, m, x0, cells);
	}
}

/* Comparing, both runs' answers side by side: the labels (on the title
 * line when the grids are wide, else on a line of their own), the front
 * run's cells, then the compared run's, drawn with it in front. */
static void draw_pair(WINDOW *w, struct tui *t, enum grid_mode shown, struct grid_cell *cells)
{
	struct grid_geom *gg = &t->geom;
	const char *why = NULL;
	int y = gg->top - 1, x2 = gg->left2, maxw = getmaxx(w);
	for (int k = 0; k < 2; k++) {
		int x = k ? x2 : 0, room = k ? maxw - x2 : x2 - 1;
		if (y == 0) /* the title line: the label beside the mode */
			draw_fmt(w, 0, x, room, UI_TITLE, "%s%s%s", t->run_name, t->g->sep,
			         shown != t->grid_mode ? "input" : tui_grid_mode_short(t, shown));
		else
			draw_text(w, y, x, room, UI_TITLE, t->run_name);
		if (grid_cells(t, cells, &why))
			draw_cells(w, t, shown, x, cells);
		else
			draw_text(w, gg->top, x, room, UI_DIM, why);
		compare_swap(t);
	}
}

static void grid_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	struct grid_cell cells[PUZZLE_MAX_CELLS];
	const char *why = NULL;
	int need_w;
	int used_h = grid_plan(t, v->h, v->w, COLS, &t->geom, &need_w);
	struct grid_geom *gg = &t->geom;
	int n = t->puz.side;
	gg->left = 0;
	char rows[32] = "";
	if (!gg->half && !gg->sudoku && gg->rows_shown < gg->nr) {
		/* a window over the rows that follows the cursor */
		static int row0;
		int cr = t->cur_r - gg->r0;
		if (cr < row0)
			row0 = cr;
		if (cr >= row0 + gg->rows_shown)
			row0 = cr - gg->rows_shown + 1;
		if (row0 > gg->nr - gg->rows_shown)
			row0 = gg->nr - gg->rows_shown;
		if (row0 < 0)
			row0 = 0;
		gg->row0 = row0;
		snprintf(rows, sizeof rows, " rows %d-%d", gg->r0 + row0 + 1, gg->r0 + row0 + gg->rows_shown);
	}
	char title[200];
	const char *kind = t->puz.kind == PUZZLE_MAZE ? "Maze" : t->puz.kind == PUZZLE_SUDOKU ? "Sudoku" : "ARC";
	enum grid_mode shown = tui_grid_mode_shown(t);
	/* the prediction before the first H-step: the input, and say so */
	const char *name = shown != t->grid_mode ? "input (no answer before the first H-step)" : tui_grid_mode_name(t, shown);
	snprintf(title, sizeof title, "%s %dx%d%s%s%s", kind, n, n, rows, t->g->sep, name);
	if (text_width(title) > getmaxx(w)) /* e.g. an 11x11 maze: the mode's short name */
		snprintf(title, sizeof title, "%s %dx%d%s%s%s", kind, n, n, rows, t->g->sep,
		         shown != t->grid_mode ? "input" : tui_grid_mode_short(t, shown));
	if (gg->pair) {
		if (gg->top > 1)
			draw_title(w, t, 0, title);
		draw_pair(w, t, shown, cells);
		int ly = used_h - 2 < v->h - 2 ? used_h - 2 : v->h - 2;
		draw_legend(w, t, ly);
		return;
	}
	if (tui_run_label(t)) { /* comparing, one grid: whose answer it is */
		const char *label = tui_run_label(t);
		size_t ll = strlen(label) + 2, tl = strlen(title);
		if (ll + tl < sizeof title) {
			memmove(title + ll, title, tl + 1);
			memcpy(title, label, ll - 2);
			memcpy(title + ll - 2, ": ", 2);
		}
		if (text_width(title) > getmaxx(w))
			snprintf(title, sizeof title, "%.64s%s%s", label, t->g->sep,
			         shown != t->grid_mode ? "input" : tui_grid_mode_short(t, shown));
	}
	if (gg->left2) { /* the input on the left, the answer beside it under its own title */
		snprintf(title, sizeof title, "%s %dx%d%sinput", kind, n, n, t->g->sep);
		draw_title(w, t, 0, title);
		const char *right = name;
		if (text_width(right) > getmaxx(w) - gg->left2)
			right = shown != t->grid_mode ? "input" : tui_grid_mode_short(t, shown);
		draw_text(w, 0, gg->left2, getmaxx(w) - gg->left2, UI_TITLE, right);
		if (grid_cells_in(t, GRID_INPUT, cells, &why))
			draw_grid(w, t, GRID_INPUT, 0, cells);
	} else {
		draw_title(w, t, 0, title);
	}
	if (!grid_cells(t, cells, &why)) {
		draw_text(w, 2, gg->left2 + 1, v->w - gg->left2 - 2, UI_DIM, why);
		return;
	}
	draw_cells(w, t, shown, gg->left2, cells);
	int ly = used_h - 2 < v->h - 2 ? used_h - 2 : v->h - 2;
	draw_legend(w, t, ly);
}

static int grid_click(struct view *v, struct tui *t, int y, int x, int *pos)
{
	(void)v;
	(void)pos;
	struct grid_geom *g = &t->geom;
	int r, c, ch = g->ch > 0 ? g->ch : 1;
	if (g->left2 && x >= g->left2) /* the grid on the right: the same cells */
		x -= g->left2;
	if (g->sudoku) {
		/* three boxes of 3 cells and a box line, across and down */
		int bw = 3 * g->cw + 2, bh = 3 * ch + 1;
		int ry = y - g->top, cx = x - 1, rb = ry / bh, cb = cx / bw;
		if (ry < 0 || cx < 0 || ry - rb * bh >= 3 * ch || cx - cb * bw >= 3 * g->cw)
			return RES_NONE;
		r = rb * 3 + (ry - rb * bh) / ch;
		c = cb * 3 + (cx - cb * bw) / g->cw;
		if (r > 8 || c > 8)
			return RES_NONE;
	} else {
		if (y < g->top || x < g->left)
			return RES_NONE;
		int j = (x - g->left) / (g->cw ? g->cw : 1);
		int i = g->half ? (y - g->top) * 2 : g->row0 + (y - g->top) / ch;
		if (i >= g->nr || j >= g->nc)
			return RES_NONE;
		r = g->r0 + i;
		c = g->c0 + j;
	}
	t->cur_r = r;
	t->cur_c = c;
	if (t->focus == FOCUS_MAIN) {
		t->focus = FOCUS_GRID;
		t->dirty |= DIRTY_ALL | DIRTY_LAYOUT;
	}
	t->dirty |= DIRTY_GRID | DIRTY_INSPECT | DIRTY_STATUS;
	return RES_HANDLED;
}

const struct view_ops view_grid_ops = {
    .name = "grid",
    .dirty = DIRTY_GRID,
    .draw = grid_draw,
    .click = grid_click,
};
