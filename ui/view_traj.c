/* view_traj.c - the trajectory map (z): the pooled state after every step
 * computed so far (z_H, or z_L after Z; the mean over the cells, as the PR
 * pools it) projected on its first two principal components
 * (analysis/pca.h), drawn in braille dots with the steps joined; the step
 * on screen, the fixed point and where the answer was right are marked. */
#include "ui/tui.h"
#include "analysis/fixedpoint.h"
#include "analysis/pca.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* what a character cell of the plot shows, the strongest wins */
enum mark { MK_NONE, MK_LINE, MK_WRONG, MK_POINT, MK_RIGHT };

struct canvas {
	int w, h; /* characters */
	unsigned char *bits, *mark;
};

static void dot(struct canvas *c, int x, int y, enum mark m)
{
	if (x < 0 || y < 0 || x >= 2 * c->w || y >= 4 * c->h)
		return;
	static const unsigned char bit[4][2] = { { 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 } };
	size_t i = (size_t)(y / 4) * c->w + x / 2;
	c->bits[i] |= bit[y % 4][x % 2];
	if (m > c->mark[i])
		c->mark[i] = (unsigned char)m;
}

static void line(struct canvas *c, int x0, int y0, int x1, int y1)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
	for (;;) {
		dot(c, x0, y0, MK_LINE);
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

static void put_braille(WINDOW *w, unsigned bits, bool utf8)
{
	if (!utf8 || bits == 0) {
		waddch(w, bits ? '.' : ' ');
		return;
	}
	char s[4] = { (char)0xE2, (char)(0xA0 | (bits >> 6)), (char)(0x80 | (bits & 0x3F)), '\0' };
	waddstr(w, s);
}

void traj_plot(WINDOW *w, int y0, int h, int width, bool utf8, const double *xy, int n, const bool *start,
	       const int *exact, int *px, int *py)
{
	struct canvas c = { width, h, calloc((size_t)width * h, 1), calloc((size_t)width * h, 1) };
	if (c.bits == NULL || c.mark == NULL) {
		free(c.bits);
		free(c.mark);
		return;
	}
	double lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			lo[k] = fmin(lo[k], xy[2 * i + k]);
			hi[k] = fmax(hi[k], xy[2 * i + k]);
		}
	for (int i = 0; i < n; i++) {
		double fx = hi[0] > lo[0] ? (xy[2 * i] - lo[0]) / (hi[0] - lo[0]) : 0.5;
		double fy = hi[1] > lo[1] ? (xy[2 * i + 1] - lo[1]) / (hi[1] - lo[1]) : 0.5;
		px[i] = (int)lround(fx * (2 * c.w - 1));
		py[i] = (int)lround((1.0 - fy) * (4 * c.h - 1));
		if (i > 0 && (start == NULL || !start[i]))
			line(&c, px[i - 1], py[i - 1], px[i], py[i]);
	}
	for (int i = 0; i < n; i++)
		dot(&c, px[i], py[i], exact == NULL ? MK_POINT : exact[i] > 0 ? MK_RIGHT : exact[i] == 0 ? MK_WRONG : MK_POINT);
	static const enum ui_role role[] = { UI_DIM, UI_DIM, UI_BAD, UI_NORMAL, UI_GOOD };
	for (int y = 0; y < c.h; y++) {
		wmove(w, y0 + y, 0);
		for (int x = 0; x < c.w; x++) {
			size_t i = (size_t)y * c.w + x;
			wattrset(w, ui_attr(role[c.mark[i]]));
			put_braille(w, c.bits[i], utf8);
		}
	}
	wattrset(w, ui_attr(UI_NORMAL));
	free(c.bits);
	free(c.mark);
	/* the points' character cells, for labels */
	for (int i = 0; i < n; i++) {
		px[i] /= 2;
		py[i] /= 4;
	}
}

/* the points: every position after the reset, its answer carried over the
 * L-steps from the H-step before (1, 0, -1 unknown) */
static int gather(const struct tui *t, float **pts, int **exact)
{
	const struct history *h = t->hist;
	int n = t->hist_n - 1;
	if (h == NULL || n < 1)
		return 0;
	*pts = malloc((size_t)n * h->d * sizeof **pts);
	*exact = malloc((size_t)n * sizeof **exact);
	if (*pts == NULL || *exact == NULL)
		return 0;
	int ex = -1;
	for (int i = 0; i < n; i++) {
		const struct hist_pos *p = &h->pos[i + 1];
		if (p->kind == HIST_H && p->scored > 0)
			ex = p->exact;
		(*exact)[i] = ex;
		memcpy(*pts + (size_t)i * h->d, t->traj_zL ? p->pool_zL : p->pool_zH, (size_t)h->d * sizeof(float));
	}
	return n;
}

static void traj_draw(struct view *v, struct tui *t)
{
	WINDOW *w = v->win;
	const char *zn = t->traj_zL ? "z_L" : "z_H";
	draw_fmt(w, 0, 0, v->w, UI_TITLE, "Trajectory map %s %s, cell mean, PCA", t->g->dot, zn);
	float *pts = NULL;
	int *exact = NULL, n = gather(t, &pts, &exact);
	struct pca2 p = { 0 };
	char *cause = NULL;
	if (n < 3 || pca2_fit(pts, n, t->hist->d, &p, &cause) != 0) {
		draw_text(w, 1, 0, v->w, cause ? UI_ERROR : UI_DIM, cause ? cause : "Run a few steps (l, h, s): the map needs 3.");
		free(cause);
		free(pts);
		free(exact);
		return;
	}
	draw_fmt(w, 1, 0, v->w, UI_NORMAL, "explained: PC1 %.1f %%, PC2 %.1f %% (%d steps)",
		 100.0 * p.ratio[0], 100.0 * p.ratio[1], n);
	/* the fixed point: the steps of the segments after the one it is the end of */
	struct fp_track fp;
	tui_fixed_point(t, &fp, NULL);
	int fp_seg = fp_track_entered(&fp), K = t->hist->K;
	int ch = v->h - 4;
	int *px = malloc((size_t)n * sizeof *px), *py = malloc((size_t)n * sizeof *py);
	if (ch < 3 || px == NULL || py == NULL)
		goto out;
	traj_plot(w, 2, ch, v->w, t->utf8, p.xy, n, NULL, exact, px, py);
	/* labels: where the answer was right, the fixed point, the start, the step on screen */
	int nr = 0;
	double rx = 0, ry = 0;
	for (int i = 0; i < n; i++)
		if (exact[i] > 0) {
			rx += px[i];
			ry += py[i];
			nr++;
		}
	if (nr > 0) {
		int x = (int)(rx / nr), y = (int)(ry / nr);
		const char *lab = "right answer";
		/* beside the region, on the side with room */
		int lx = x + 1 + (int)strlen(lab) <= v->w ? x + 1 : x - 1 - (int)strlen(lab);
		draw_text(w, 2 + y, lx < 0 ? 0 : lx, v->w, UI_GOOD, lab);
	}
	draw_text(w, 2 + py[0], px[0], 1, UI_TITLE, "S");
	if (fp_seg >= 0 && n - 1 >= (fp_seg + 1) * K) {
		int i = n - 1;
		char lab[48];
		snprintf(lab, sizeof lab, "%s fixed point", t->g->fixed);
		int len = text_width(lab), x = px[i] - len < 0 ? px[i] : px[i] - len;
		draw_text(w, 2 + py[i], x, v->w, fp.last_exact > 0 ? UI_GOOD : UI_WARN, lab);
	}
	if (t->pos >= 1 && t->pos <= n) {
		int i = t->pos - 1;
		draw_text(w, 2 + py[i], px[i], 1, UI_SELECT, t->utf8 ? "\xe2\x97\x89" : "@");
	}
	draw_fmt(w, v->h - 2, 0, v->w, UI_DIM, "S start %s now %s fixed point  right answer", t->utf8 ? "\xe2\x97\x89" : "@",
		 t->g->fixed);
	draw_text(w, v->h - 1, 0, v->w, UI_DIM, "Z z_H/z_L  z close");
out:
	free(px);
	free(py);
	pca2_free(&p);
	free(pts);
	free(exact);
}

const struct view_ops view_traj_ops = {
	.name = "trajectory",
	.dirty = DIRTY_CHARTS,
	.draw = traj_draw,
};
