/* view_attn.c - the attention view (v): where the inspected cell's position
 * looks at the step on screen, for one layer and head (or the mean over
 * heads) of the module that ran it, as a heat map on the puzzle's grid; the
 * share of the puzzle embedding's prefix tokens apart.  The worker
 * computes it on demand (worker_want_attn); nothing is kept per step. */
#include "ui/tui.h"
#include "model/arch.h"

#include <stdio.h>
#include <stdlib.h>

/* weight -> 0..4 against the largest cell weight */
static int level(float v, float top)
{
	if (top <= 0 || v <= 0)
		return 0;
	int k = (int)(v / top * 4.0f + 0.5f);
	return k < 0 ? 0 : k > 4 ? 4 : k;
}

static void draw_heat(struct view *v, struct tui *t, int y0, const float *cells, int query)
{
	WINDOW *w = v->win;
	int side = t->puz.side;
	const struct grid_geom *g = &t->geom;
	int r0 = g->nr > 0 ? g->r0 : 0, c0 = g->nr > 0 ? g->c0 : 0;
	int nr = g->nr > 0 ? g->nr : side, nc = g->nc > 0 ? g->nc : side;
	int rows = v->h - y0 - 2, cw = nc * 2 <= v->w ? 2 : 1;
	bool mono = colors_depth() == DEPTH_MONO;
	/* a grid larger than the panel: the part around the query cell */
	int qr = query / side, qc = query % side;
	int vr = nr < rows ? nr : rows, vc = nc < v->w / cw ? nc : v->w / cw;
	int fr = qr - vr / 2, fc = qc - vc / 2;
	fr = fr < r0 ? r0 : fr > r0 + nr - vr ? r0 + nr - vr : fr;
	fc = fc < c0 ? c0 : fc > c0 + nc - vc ? c0 + nc - vc : fc;
	float top = 0;
	for (int r = r0; r < r0 + nr; r++)
		for (int c = c0; c < c0 + nc; c++)
			if (cells[r * side + c] > top)
				top = cells[r * side + c];
	for (int r = 0; r < vr; r++)
		for (int c = 0; c < vc; c++) {
			int cell = (fr + r) * side + fc + c, k = level(cells[cell], top);
			wmove(w, y0 + r, c * cw);
			if (cell == query) {
				wattrset(w, ui_attr(UI_SELECT));
				waddstr(w, cw == 2 ? t->g->fixed : "@");
				if (cw == 2)
					waddstr(w, " ");
				continue;
			}
			/* the input's glyph (a wall, a given): on the weight's shade in
			 * colour, where no weight reaches in monochrome */
			struct cell_look lk = t->pops->look(&t->puz, cell, t->puz.input[cell]);
			if (mono && k == 0) {
				wattrset(w, ui_attr(UI_DIM));
				char s[3] = { lk.ch, ' ', '\0' };
				s[cw] = '\0';
				waddstr(w, s);
			} else if (mono) {
				wattrset(w, ui_attr(UI_NORMAL));
				for (int i = 0; i < cw; i++)
					waddstr(w, t->g->shade[k]);
			} else {
				enum swatch sw = (enum swatch)(SW_CONF0 + k);
				wattrset(w, swatch_attr(swatch_ink(sw), sw));
				char s[3] = { lk.ch == ' ' ? ' ' : lk.ch, ' ', '\0' };
				s[cw] = '\0';
				waddstr(w, s);
			}
		}
	wattrset(w, ui_attr(UI_NORMAL));
	draw_fmt(w, v->h - 2, 0, v->w, UI_DIM, "%s%s%s%s weight/top (%.1f %%) %s the cell%s", t->g->shade[1],
		 t->g->shade[2], t->g->shade[3], t->g->shade[4], 100.0 * top, cw == 2 ? t->g->fixed : "@",
		 vr < nr || vc < nc ? " (a part)" : "");
	draw_text(w, v->h - 1, 0, v->w, UI_DIM, "< > layer  { } head  H mean  v close");
}

static void attn_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	const struct hrm_config *c = &t->model->cfg;
	enum hrm_module mod;
	struct worker_attn_ask want = side_attn_ask(t, &mod);
	bool L = mod == HRM_MODULE_L;
	char head[48];
	int hi = t->attn_head - 1; /* -1: the mean */
	if (hi < 0)
		snprintf(head, sizeof head, "mean of %d heads", c->num_heads);
	else
		snprintf(head, sizeof head, "head %d/%d", hi + 1, c->num_heads);
	draw_fmt(w, 0, 0, v->w, UI_TITLE, "Attention %s layer %d/%d %s %s", L || hrm_arch_desc(c)->shared_net ? "L_level" : "H_level", want.layer + 1,
		 hrm_update_layers(c, L), t->g->dot, head);
	if (want.pos < 1) {
		draw_text(w, 1, 0, v->w, UI_DIM, "No step yet: l runs one, and this shows the attention of");
		draw_text(w, 2, 0, v->w, UI_DIM, "the module that ran it, from the inspected cell (i).");
		return;
	}
	int K = attn_steps_per_segment(c), k = (want.pos - 1) % K;
	draw_fmt(w, 1, 0, v->w, UI_NORMAL, "segment %d %s %s-step %d/%d %s from cell (%d,%d)", (want.pos - 1) / K + 1,
		 t->g->dot, L ? "L" : "H", k + 1, K, t->g->dot, t->cur_r, t->cur_c);
	const struct worker_attn *a = worker_attention(t->worker);
	if (a == NULL || a->ask.pos != want.pos || a->ask.layer != want.layer || a->ask.cell != want.cell) {
		draw_text(w, 2, 0, v->w, UI_DIM, "computing...");
		return;
	}
	if (a->r.w == NULL) {
		draw_text(w, 2, 0, v->w, UI_ERROR, a->error);
		return;
	}
	int S = a->r.T - a->r.Lp;
	float *cells = malloc((size_t)S * sizeof *cells);
	if (cells == NULL)
		return;
	attn_cells(&a->r, hi, cells);
	int best = 0;
	for (int s = 1; s < S; s++)
		if (cells[s] > cells[best])
			best = s;
	double pre = attn_prefix_share(&a->r, hi);
	/* the prefix: the puzzle embedding's tokens, before the cells */
	if (a->r.Lp > 0)
		draw_fmt(w, 2, 0, v->w, UI_NORMAL, "prefix tokens %.1f %% %s top (%d,%d) %.1f %%", 100.0 * pre, t->g->dot,
			 best / t->puz.side, best % t->puz.side, 100.0 * cells[best]);
	else
		draw_fmt(w, 2, 0, v->w, UI_NORMAL, "no prefix tokens %s top (%d,%d) %.1f %%", t->g->dot, best / t->puz.side,
			 best % t->puz.side, 100.0 * cells[best]);
	draw_heat(v, t, 3, cells, want.cell);
	free(cells);
}

const struct view_ops view_attn_ops = {
	.name = "attention",
	.dirty = DIRTY_CHARTS | DIRTY_GRID | DIRTY_INSPECT,
	.draw = attn_draw,
};
