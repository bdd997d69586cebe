/* view_inspect.c - the cell inspector: the cell's top tokens now (softmax
 * and stablemax) and its prediction at every step of the run. */
#include "ui/tui.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A token as one visible character ('_' for an open cell). */
static char token_char(const struct tui *t, int cell, int32_t tok)
{
	struct cell_look lk = t->pops->look(&t->puz, cell, tok);
	return lk.ch == ' ' ? '_' : lk.ch;
}

/* A token as a word for the top tokens: the padding token (the official
 * builders' 0, outside the grid) is "pad", not a bare '?'. */
static void token_word(const struct tui *t, int cell, int32_t tok, char *buf, size_t len)
{
	struct cell_look lk = t->pops->look(&t->puz, cell, tok);
	if (lk.role == ROLE_PAD)
		snprintf(buf, len, "pad");
	else
		snprintf(buf, len, "%c", lk.ch == ' ' ? '_' : lk.ch);
}

static void top_tokens(const struct tui *t, int cell, const double *p, int V, char *buf, size_t len)
{
	int order[64];
	for (int v = 0; v < V; v++)
		order[v] = v;
	for (int i = 0; i < V; i++)
		for (int j = i + 1; j < V; j++)
			if (p[order[j]] > p[order[i]]) {
				int k = order[i];
				order[i] = order[j];
				order[j] = k;
			}
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < 3 && i < V && n < len; i++) {
		char word[8];
		token_word(t, cell, order[i], word, sizeof word);
		n += (size_t)snprintf(buf + n, len - n, " %s %.2f", word, p[order[i]]);
	}
}

static void inspect_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	draw_title(w, t, 0, "Cell inspector");
	if (t->focus == FOCUS_MAIN) {
		draw_text(w, 1, 0, v->w, UI_DIM, "i or a click puts a cursor on the");
		draw_text(w, 2, 0, v->w, UI_DIM, "grid: top tokens and the cell's");
		draw_text(w, 3, 0, v->w, UI_DIM, "prediction at every step.");
		return;
	}
	int n = t->puz.side, cell = t->cur_r * n + t->cur_c, V = t->model->cfg.vocab_size;
	const struct puzzle *pz = &t->puz;
	char in[8], lab[8] = "none";
	token_word(t, cell, pz->input[cell], in, sizeof in);
	if (pz->has_label)
		token_word(t, cell, pz->label[cell], lab, sizeof lab);
	draw_fmt(w, 1, 0, v->w, UI_NORMAL, "row %d col %d  input %s  label %s", t->cur_r + 1, t->cur_c + 1, in, lab);
	enum grid_mode src = t->grid_mode == GRID_PROBE || t->grid_mode == GRID_ZL ? t->grid_mode : GRID_PRED;
	const float *lg = grid_logits(t, src, t->pos);
	int y = 2;
	if (lg && V <= 64) {
		double p[64];
		char buf[256];
		grid_softmax(lg + (size_t)cell * V, V, p);
		top_tokens(t, cell, p, V, buf, sizeof buf);
		draw_fmt(w, y++, 0, v->w, UI_NORMAL, "%-9s%s",
		         src == GRID_PROBE ? "probe"
		         : src == GRID_ZL  ? hrm_arch_desc(&t->model->cfg)->zL
		                           : "softmax",
		         buf);
		grid_stablemax(lg + (size_t)cell * V, V, p);
		top_tokens(t, cell, p, V, buf, sizeof buf);
		draw_fmt(w, y++, 0, v->w, UI_NORMAL, "%-9s%s", "stablemax", buf);
	}
	if (y >= v->h || t->hist == NULL)
		return;
	/* the cell's prediction (lm_head(z_H) argmax) at every position */
	draw_text(w, y++, 0, v->w, UI_DIM, "prediction at each step:");
	int per_line = v->w - 1, x = 0;
	for (int p = 0; p < t->hist_n && y < v->h; p++) {
		const float *row = t->hist->pos[p].logits_zH + (size_t)cell * V;
		char c[2] = {token_char(t, cell, history_argmax(row, V)), 0};
		enum ui_role r = p == t->pos ? UI_SELECT : p > t->pos ? UI_DIM : UI_NORMAL;
		if (pz->has_label && p <= t->pos && history_argmax(row, V) != pz->label[cell] && p != t->pos)
			r = UI_BAD;
		draw_text(w, y, x, 1, r, c);
		if (++x >= per_line) {
			x = 0;
			y++;
		}
	}
}

const struct view_ops view_inspect_ops = {
    .name = "inspector",
    .dirty = DIRTY_INSPECT,
    .draw = inspect_draw,
};
