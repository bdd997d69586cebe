/* view_pr.c - the participation ratio of z_H and z_L over the states
 * gathered so far (each H-step's z_H, each L-step's z_L, averaged over the
 * puzzle cells), for this puzzle or every puzzle seen, with N. */
#include "tui.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pr_cache {
	uint64_t gen;
	int pos, hist_n, acc_nH, acc_nL;
	bool accumulate;
	double prH, prL;
	int nH, nL;
};

static double gather_pr(const struct tui *t, enum hist_kind kind, int *count)
{
	int d = t->model->cfg.hidden_size;
	const float *acc = kind == HIST_H ? t->acc_zH : t->acc_zL;
	int nacc = t->pr_accumulate ? (kind == HIST_H ? t->acc_nH : t->acc_nL) : 0;
	int n = nacc;
	for (int p = 1; p <= t->pos && p < t->hist_n; p++)
		n += t->hist->pos[p].kind == kind;
	*count = n;
	if (n < 2)
		return NAN;
	float *x = xmalloc((size_t)n * d * sizeof *x);
	if (nacc)
		memcpy(x, acc, (size_t)nacc * d * sizeof *x);
	int i = nacc;
	for (int p = 1; p <= t->pos && p < t->hist_n; p++) {
		const struct hist_pos *hp = &t->hist->pos[p];
		if (hp->kind == kind)
			memcpy(x + (size_t)i++ * d, kind == HIST_H ? hp->pool_zH : hp->pool_zL, (size_t)d * sizeof *x);
	}
	double pr = pr_participation_ratio(x, n, d);
	free(x);
	return pr;
}

static void pr_draw(struct view *v, struct tui *t)
{
	static struct pr_cache c = {.gen = (uint64_t)-1};
	WINDOW *w = v->win;
	draw_title(w, t, 0, "PR of the steps so far");
	if (t->hist == NULL)
		return;
	if (c.gen != t->gen || c.pos != t->pos || c.hist_n != t->hist_n || c.acc_nH != t->acc_nH ||
	    c.acc_nL != t->acc_nL || c.accumulate != t->pr_accumulate) {
		c.gen = t->gen;
		c.pos = t->pos;
		c.hist_n = t->hist_n;
		c.acc_nH = t->acc_nH;
		c.acc_nL = t->acc_nL;
		c.accumulate = t->pr_accumulate;
		c.prH = gather_pr(t, HIST_H, &c.nH);
		c.prL = gather_pr(t, HIST_L, &c.nL);
	}
	char h[32], l[32];
	snprintf(h, sizeof h, isnan(c.prH) ? "-" : "%.2f", c.prH);
	snprintf(l, sizeof l, isnan(c.prL) ? "-" : "%.2f", c.prL);
	draw_fmt(w, 1, 0, v->w, UI_NORMAL, "PR(z_H) %-7s N=%d", h, c.nH);
	draw_fmt(w, 2, 0, v->w, UI_NORMAL, "PR(z_L) %-7s N=%d", l, c.nL);
	if (t->pr_accumulate)
		draw_fmt(w, 3, 0, v->w, UI_DIM, "over %d puzzles + this one (A)", t->acc_puzzles);
	else
		draw_text(w, 3, 0, v->w, UI_DIM, "over this puzzle (A: all seen)");
	if (c.nH < 20 || c.nL < 20)
		draw_text(w, 0, 23, v->w - 23, UI_DIM, "small N!");
}

const struct view_ops view_pr_ops = {
    .name = "PR",
    .dirty = DIRTY_PR,
    .draw = pr_draw,
};
