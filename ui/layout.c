/* layout.c - where each view goes, recomputed on every resize: header on
 * top, status line at the bottom, the grid and the cell inspector on the
 * left, the charts, the halting panel and the PR panel on the right. */
#include "ui/tui.h"

#include <string.h>

static void place(struct tui *t, enum view_id id, int y, int x, int h, int w)
{
	struct view *v = &t->views[id];
	v->y = y;
	v->x = x;
	v->h = h;
	v->w = w;
	v->shown = h > 0 && w > 0;
	if (v->shown)
		v->win = newwin(h, w, y, x);
	if (v->win == NULL)
		v->shown = false;
}

void layout_apply(struct tui *t)
{
	static const struct view_ops *const ops[V_COUNT] = {
	    [V_HEADER] = &view_header_ops, [V_GRID] = &view_grid_ops,       [V_INSPECT] = &view_inspect_ops,
	    [V_LCHART] = &view_lchart_ops, [V_HCHART] = &view_hchart_ops,   [V_HALT] = &view_halt_ops,
	    [V_PR] = &view_pr_ops,         [V_CAPTION] = &view_caption_ops, [V_STATUS] = &view_status_ops,
	    [V_GUESS] = &view_guess_ops,   [V_ATTN] = &view_attn_ops,       [V_TRAJ] = &view_traj_ops,
	    [V_HALT2] = &view_halt2_ops,
	};
	for (int i = 0; i < V_COUNT; i++) {
		if (t->views[i].win)
			delwin(t->views[i].win);
		memset(&t->views[i], 0, sizeof t->views[i]);
		t->views[i].ops = ops[i];
	}
	int H = LINES, W = COLS;
	t->too_small = H < TUI_MIN_LINES || W < TUI_MIN_COLS;
	if (t->too_small)
		return;
	/* a caption runs to about 150 columns: two lines below that */
	int caption = !t->teaching ? 0 : W >= 152 ? 1 : 2;
	/* the status line, two lines while a long message is shown */
	int sh = status_lines(t, W);
	place(t, V_HEADER, 0, 0, 2, W);
	place(t, V_STATUS, H - sh, 0, sh, W);
	if (caption)
		place(t, V_CAPTION, H - sh - caption, 0, caption, W);
	int top = 2, bh = H - sh - caption - top;
	if (t->focus == FOCUS_GUESS) { /* the guesses view takes the whole body */
		place(t, V_GUESS, top, 0, bh, W);
		return;
	}

	/* left: the grid as large as it wants (up to half the width; on a big
	 * screen, scaled up or beside the input, up to three fifths); under
	 * it the inspector and the PR panel, or only one of them (the
	 * inspector while a cell is inspected) when the screen is short */
	const int pr_h = 4, insp_h = 6, left_min = 34;
	int need_w;
	int gh = grid_plan(t, bh - 3, W * 3 / 5, W, &t->geom, &need_w);
	if (gh > bh - 3)
		gh = bh - 3;
	int lw = need_w + 1 > left_min ? need_w + 1 : left_min;
	int below = bh - gh;
	place(t, V_GRID, top, 0, gh, lw);
	if (below >= pr_h + insp_h - 1) {
		place(t, V_INSPECT, top + gh, 0, below - pr_h, lw);
		place(t, V_PR, top + bh - pr_h, 0, pr_h, lw);
	} else if (t->focus != FOCUS_MAIN) {
		place(t, V_INSPECT, top + gh, 0, below, lw);
	} else {
		place(t, V_PR, top + gh, 0, below, lw);
	}

	/* right: L chart, H chart, halting */
	int rx = lw + 1, rw = W - rx;
	int lh = bh * 40 / 100, hh = bh * 27 / 100;
	if (lh < 6)
		lh = 6;
	if (hh < 5)
		hh = 5;
	/* a tall screen: the halting panel takes what its rows need (title,
	 * header, a row a segment, the summary), the charts the rest */
	int halt_need = t->model->cfg.halt_max_steps + 3;
	if (t->cmp) { /* two halting panels, one a run: the charts at their least on a short screen */
		halt_need *= 2;
		if (bh - lh - hh < 10) {
			lh = 6;
			hh = 5;
		}
	}
	if (bh - lh - hh > halt_need) {
		lh = (bh - halt_need) * 60 / 100;
		hh = bh - halt_need - lh;
	}
	if (t->side != SIDE_CHARTS) { /* a side panel takes the whole right-hand side */
		place(t, t->side == SIDE_ATTN ? V_ATTN : V_TRAJ, top, rx, bh, rw);
		return;
	}
	place(t, V_LCHART, top, rx, lh, rw);
	place(t, V_HCHART, top + lh, rx, hh, rw);
	int halt_h = bh - lh - hh;
	if (t->cmp) { /* the front run's panel above the compared one's */
		place(t, V_HALT, top + lh + hh, rx, halt_h - halt_h / 2, rw);
		place(t, V_HALT2, top + lh + hh + halt_h - halt_h / 2, rx, halt_h / 2, rw);
		return;
	}
	place(t, V_HALT, top + lh + hh, rx, halt_h, rw);
}

void layout_draw_too_small(struct tui *t)
{
	(void)t;
	werase(stdscr);
	char line1[128], line2[128];
	snprintf(line1, sizeof line1, "The terminal is %dx%d: hrmscope needs at least %dx%d.", COLS, LINES,
	         TUI_MIN_COLS, TUI_MIN_LINES);
	snprintf(line2, sizeof line2, "Enlarge the window (q quits).");
	int y = LINES / 2 - 1;
	if (y < 0)
		y = 0;
	for (int i = 0; i < 2; i++) {
		const char *s = i ? line2 : line1;
		int len = (int)strlen(s), x = (COLS - len) / 2;
		if (x < 0)
			x = 0;
		attrset(ui_attr(i ? UI_NORMAL : UI_WARN));
		mvaddnstr(y + i, x, s, COLS);
	}
	wnoutrefresh(stdscr);
}
