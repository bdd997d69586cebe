/* view_pr.c - the participation ratio of z_H and z_L over the states
 * gathered so far (each H-step's z_H, each L-step's z_L, averaged over the
 * puzzle cells), for this puzzle or every puzzle seen, with N. */
#include "ui/tui.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pr_cache {
	uint64_t gen;
	int pos, hist_n;
	long acc_nH, acc_nL;
	bool accumulate;
	double prH, prL;
	long nH, nL;
	struct pr_acc cur; /* this puzzle's states up to the cursor */
};

/* PR over this puzzle's pooled states up to the cursor, plus (A) every
 * earlier puzzle's, kept as running moments (pr.h). */
static double gather_pr(const struct tui *t, struct pr_acc *cur, enum hist_kind kind, long *count)
{
	const struct pr_acc *acc = kind == HIST_H ? &t->acc_H : &t->acc_L;
	if (cur->dim != acc->dim) {
		pr_acc_free(cur);
		pr_acc_init(cur, acc->dim, PR_LOOPS);
	}
	pr_acc_clear(cur, t->pr_accumulate ? acc : NULL);
	for (int p = 1; p <= t->pos && p < t->hist_n; p++) {
		const struct hist_pos *hp = &t->hist->pos[p];
		if (hp->kind == kind)
			pr_acc_add(cur, kind == HIST_H ? hp->pool_zH : hp->pool_zL);
	}
	*count = cur->n + (t->pr_accumulate ? acc->n : 0);
	return pr_acc_ratio(cur, t->pr_accumulate ? acc : NULL);
}

static void pr_draw(struct view *v, struct tui *t)
{
	static struct pr_cache c = {.gen = (uint64_t)-1};
	WINDOW *w = v->win;
	draw_title(w, t, 0, "PR of the steps so far");
	if (t->hist == NULL)
		return;
	if (c.gen != t->gen || c.pos != t->pos || c.hist_n != t->hist_n || c.acc_nH != t->acc_H.n ||
	    c.acc_nL != t->acc_L.n || c.accumulate != t->pr_accumulate) {
		c.gen = t->gen;
		c.pos = t->pos;
		c.hist_n = t->hist_n;
		c.acc_nH = t->acc_H.n;
		c.acc_nL = t->acc_L.n;
		c.accumulate = t->pr_accumulate;
		c.prH = gather_pr(t, &c.cur, HIST_H, &c.nH);
		c.prL = gather_pr(t, &c.cur, HIST_L, &c.nL);
	}
	char h[32], l[32];
	snprintf(h, sizeof h, isnan(c.prH) ? "-" : "%.2f", c.prH);
	snprintf(l, sizeof l, isnan(c.prL) ? "-" : "%.2f", c.prL);
	const struct hrm_arch_desc *a = hrm_arch_desc(&t->model->cfg);
	draw_fmt(w, 1, 0, v->w, UI_NORMAL, "PR(%s) %-7s N=%ld", a->zH, h, c.nH);
	draw_fmt(w, 2, 0, v->w, UI_NORMAL, "PR(%s) %-7s N=%ld", a->zL, l, c.nL);
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
