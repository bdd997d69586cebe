/* view_guess.c - the guesses view (G): the fixed points the K runs reach
 * with their counts, the votes, every run, and the selected run's answer
 * (the computation and the keys are in guess_job.c). */
#include "ui/tui.h"
#include "ui/guess_view.h"
#include "analysis/pca.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- drawing ---- */

static const char *yes_no(int v)
{
	return v < 0 ? "?" : v ? "yes" : "no";
}

static enum ui_role right_role(int v)
{
	return v < 0 ? UI_NORMAL : v ? UI_GOOD : UI_BAD;
}

static int draw_groups(WINDOW *w, int y, int maxy, int width, struct tui *t, const struct guess_result *r)
{
	draw_text(w, y++, 0, width, UI_DIM, "fixed points: the runs grouped by the answer they settle on (mapped back)");
	draw_text(w, y++, 0, width, UI_DIM, "group  runs  share  mean q_halt  settled  right");
	int sel_group = r->runs[t->gv->sel].group;
	for (int g = 0; g < r->n_groups && y < maxy; g++, y++) {
		const struct guess_group *gr = &r->groups[g];
		char name[8], line[128];
		guess_group_name(g, name, sizeof name);
		snprintf(line, sizeof line, "%5s  %4d  %4.0f%%  %+11.3f  %7d  ", name, gr->runs,
		         100.0 * gr->runs / (r->n - r->repeats),
		         gr->q_sum / gr->runs, gr->settled);
		draw_text(w, y, 0, width, g == sel_group ? UI_SELECT : UI_NORMAL, line);
		int x = text_width(line);
		draw_text(w, y, x, width - x, right_role(gr->exact), yes_no(gr->exact));
		x += 5;
		for (int k = 0; k < gr->runs && x < width; k++, x++)
			draw_text(w, y, x, 1, UI_BAR_H, t->g->bar[8]);
	}
	char a[8], b[8], c[8], line[200];
	guess_group_name(r->majority, a, sizeof a);
	guess_group_name(r->weighted, b, sizeof b);
	guess_group_name(r->runs[0].group, c, sizeof c);
	char plain[64];
	snprintf(line, sizeof line, "vote: majority %s (%d of %d, right %s)%sq_halt-weighted %s (right %s)", a,
	         r->groups[r->majority].runs, r->n - r->repeats, yes_no(r->groups[r->majority].exact), t->g->sep, b,
	         yes_no(r->groups[r->weighted].exact));
	snprintf(plain, sizeof plain, "plain run: %s (right %s)", c, yes_no(r->runs[0].exact));
	/* one line if it fits, else the plain run on a line of its own */
	if (text_width(line) + text_width(t->g->sep) + text_width(plain) <= width) {
		size_t n = strlen(line);
		snprintf(line + n, sizeof line - n, "%s%s", t->g->sep, plain);
		plain[0] = '\0';
	}
	if (y < maxy)
		draw_text(w, y++, 0, width, UI_TITLE, line);
	if (plain[0] && y < maxy)
		draw_text(w, y++, 0, width, UI_TITLE, plain);
	if (r->repeats > 0 && y < maxy) {
		/* more versions asked than the kind has: the later runs are the
		 * earlier ones again, and the votes count each version once */
		int d = r->n - r->repeats;
		snprintf(line, sizeof line, "K %d > the %d distinct versions: runs %d-%d repeat runs 1-%d, each counted once",
		         r->n, d, d + 1, r->n, r->repeats < d ? r->repeats : d);
		if (text_width(line) > width)
			snprintf(line, sizeof line, "runs %d-%d repeat 1-%d: counted once", d + 1, r->n,
			         r->repeats < d ? r->repeats : d);
		draw_text(w, y++, 0, width, UI_WARN, line);
	}
	return y + 1;
}

/* the run table's width, and without its version column (at 80 columns) */
enum { RUNS_FULL_W = 83, RUNS_COMPACT_W = 74 };

static void draw_runs(WINDOW *w, int y, int maxy, int width, struct tui *t, const struct guess_result *r)
{
	struct guess_view *gv = t->gv;
	bool compact = width < RUNS_FULL_W;
	draw_text(w, y++, 0, width, UI_DIM,
	          compact ? "  run  perturbation                q_halt  fixed pt  critical  group  right"
	                  : "  run  version  perturbation                q_halt  fixed pt  critical  group  right");
	int rows = maxy - y, first = 0;
	if (rows < 1)
		return;
	if (gv->sel >= rows)
		first = gv->sel - rows + 1;
	for (int i = first; i < r->n && y < maxy; i++, y++) {
		const struct guess_one *o = &r->runs[i];
		char fp[32] = "-", cr[32] = "-", g[8], line[200];
		if (o->fp_entered >= 0)
			snprintf(fp, sizeof fp, "seg %d", o->fp_entered + 1);
		if (o->crit_seg >= 0)
			snprintf(cr, sizeof cr, "%d.H%d", o->crit_seg + 1, o->crit_h + 1);
		guess_group_name(o->group, g, sizeof g);
		char ver[16] = "";
		if (!compact)
			snprintf(ver, sizeof ver, "  %7d", o->version);
		snprintf(line, sizeof line, "%s%4d%s  %-24.24s  %+7.3f  %8s  %8s  %5s  ", i == gv->sel ? ">" : " ", i + 1, ver,
		         o->pt.desc, o->q_halt, fp, cr, g);
		draw_text(w, y, 0, width, i == gv->sel ? UI_SELECT : UI_NORMAL, line);
		int x = text_width(line);
		if (x < width)
			draw_text(w, y, x, width - x, right_role(o->exact), yes_no(o->exact));
	}
}

/* The selected run's answer in the puzzle's frame, as characters. */
static void draw_answer(WINDOW *w, int y, int x, int h, int width, struct tui *t, const struct guess_result *r)
{
	struct guess_view *gv = t->gv;
	const struct puzzle *p = &gv->orig;
	const struct puzzle_ops *ops = puzzle_ops_for(p->kind);
	int side = p->side, rows = side < h - 1 ? side : h - 1, cols = side < width ? side : width;
	if (rows < 1 || cols < 1)
		return;
	char title[64];
	snprintf(title, sizeof title, "run %d", gv->sel + 1);
	draw_text(w, y, x, width, UI_DIM, title);
	const int32_t *a = r->answers + (size_t)gv->sel * r->S;
	for (int rr = 0; rr < rows; rr++)
		for (int c = 0; c < cols; c++) {
			int cell = rr * side + c;
			char ch[2] = {ops->look(p, cell, a[cell]).ch, 0};
			bool wrong = p->has_label && p->label[cell] != 0 && a[cell] != p->label[cell];
			draw_text(w, y + 1 + rr, x + c, 1, wrong ? UI_WRONG : UI_NORMAL, ch);
		}
}

/* z: every run's pooled z_H after every step, on the two principal axes of
 * all of them together; each run's last point named by its group (the
 * fixed point it falls into: green when that answer is right). */
static void draw_map(WINDOW *w, int y, int h, int width, struct tui *t, const struct guess_view *gv)
{
	const struct guess_result *r = &gv->res;
	int n = 0, d = gv->traj[0].d;
	for (int k = 0; k < gv->traj_n; k++)
		n += gv->traj[k].n;
	float *pts = malloc((size_t)(n > 0 ? n : 1) * d * sizeof *pts);
	bool *start = calloc((size_t)(n > 0 ? n : 1), sizeof *start);
	int *px = malloc((size_t)(n > 0 ? n : 1) * sizeof *px), *py = malloc((size_t)(n > 0 ? n : 1) * sizeof *py);
	struct pca2 p = { 0 };
	char *cause = NULL;
	if (pts == NULL || start == NULL || px == NULL || py == NULL || n < 3 || h < 6)
		goto out;
	int at = 0;
	for (int k = 0; k < gv->traj_n; k++) {
		memcpy(pts + (size_t)at * d, gv->traj[k].zH, (size_t)gv->traj[k].n * d * sizeof *pts);
		start[at] = true;
		at += gv->traj[k].n;
	}
	if (pca2_fit(pts, n, d, &p, &cause) != 0) {
		draw_text(w, y, 0, width, UI_ERROR, cause);
		goto out;
	}
	draw_fmt(w, y, 0, width, UI_NORMAL, "z_H map (cell mean), %d runs x %d steps%sexplained: PC1 %.1f %%, PC2 %.1f %%",
		 gv->traj_n, gv->traj[0].n, t->g->sep, 100.0 * p.ratio[0], 100.0 * p.ratio[1]);
	traj_plot(w, y + 1, h - 2, width, t->utf8, p.xy, n, start, NULL, px, py);
	/* each run's end: its group's name, where the runs settle */
	at = 0;
	for (int k = 0; k < gv->traj_n; k++) {
		at += gv->traj[k].n;
		for (int i = 0; i < r->n; i++) {
			const struct guess_one *o = &r->runs[i];
			if (o->version != k || o->group < 0 || at == 0)
				continue;
			char name[8];
			guess_group_name(o->group, name, sizeof name);
			int e = r->groups[o->group].exact;
			draw_text(w, y + 1 + py[at - 1], px[at - 1], width - px[at - 1], e > 0 ? UI_GOOD : e == 0 ? UI_BAD : UI_TITLE,
				  name);
			break;
		}
	}
	draw_text(w, y + h - 1, 0, width, UI_DIM, "A, B...: the group each run ends in (green: right)  z tables");
out:
	pca2_free(&p);
	free(cause);
	free(pts);
	free(start);
	free(px);
	free(py);
}

static void guess_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	struct guess_view *gv = t->gv;
	if (gv == NULL)
		return;
	char title[256];
	snprintf(title, sizeof title, "Guesses%sK = %d versions as one batch%sperturbation %s%s%s", t->g->sep, gv->K,
	         t->g->sep, perturb_kind_name(gv->kind), t->g->sep, gv->orig.name);
	draw_title(w, t, 0, title);
	pthread_mutex_lock(&gv->mu);
	if (gv->running) {
		/* progress a step (module call) at a time: a segment of the 27M
		 * model takes seconds */
		const struct hrm_config *c = &gv->model->cfg;
		int per = c->H_cycles * (c->L_cycles + 1), seg = gv->step_done / per + 1;
		if (seg > c->halt_max_steps)
			seg = c->halt_max_steps;
		char line[256];
		double s = (monotonic_ms() - gv->since) / 1e3;
		snprintf(line, sizeof line, "computing the %d versions: step %d of %d%ssegment %d of %d%s%.0f s%sEsc cancels",
		         gv->K, gv->step_done, gv->step_total, t->g->sep, seg, c->halt_max_steps, t->g->sep, s, t->g->sep);
		if (text_width(line) > v->w)
			snprintf(line, sizeof line, "computing %d versions: step %d of %d%sEsc cancels", gv->K, gv->step_done,
			         gv->step_total, t->g->sep);
		draw_text(w, 1, 0, v->w, UI_WARN, line);
	}
	else if (gv->error[0])
		draw_fmt(w, 1, 0, v->w, UI_ERROR, "%s", gv->error);
	if (gv->have && gv->res.n > 0 && gv->map && gv->traj_n > 0) {
		draw_map(w, 2, v->h - 2, v->w, t, gv);
	} else if (gv->have && gv->res.n > 0) {
		const struct guess_result *r = &gv->res;
		int aw = gv->orig.kind == PUZZLE_ARC ? 0 : gv->orig.side + 2;
		/* the answer beside the tables only where they keep their columns */
		int tw = v->w - (aw > 0 && v->w - aw >= RUNS_COMPACT_W ? aw : 0);
		int y = draw_groups(w, 2, v->h / 2, tw, t, r);
		draw_runs(w, y, v->h, tw, t, r);
		if (tw < v->w)
			draw_answer(w, 2, tw + 1, v->h - 2, v->w - tw - 1, t, r);
	}
	pthread_mutex_unlock(&gv->mu);
}

const struct view_ops view_guess_ops = {
    .name = "guesses",
    .dirty = DIRTY_ALL | DIRTY_GUESS,
    .draw = guess_draw,
};
