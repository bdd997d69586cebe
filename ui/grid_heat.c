/* grid_heat.c - the two heat grid modes: how much each cell changed over
 * the last step, and the step at which each cell's answer last changed.
 * Both read only the history's per-position readouts (lm_head of z_H and
 * z_L), so they work for any model the engine steps.  Cells are shaded in
 * five levels (the confidence mode's swatches, or its shade glyphs on a
 * monochrome screen) over the puzzle's own cells. */
#include "ui/tui.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool grid_mode_heat(enum grid_mode m)
{
	return m == GRID_HEAT_STEP || m == GRID_HEAT_LAST;
}

/* The readout of the state the step into p updated: lm_head(z_L) after an
 * L-step, lm_head(z_H) otherwise; *before the same at p - 1. */
static const float *step_readout(const struct history *h, int p, const float **before)
{
	const struct hist_pos *a = &h->pos[p - 1], *b = &h->pos[p];
	bool low = b->kind == HIST_L;
	*before = low ? a->logits_zL : a->logits_zH;
	return low ? b->logits_zL : b->logits_zH;
}

/* ||readout_p[c] - readout_{p-1}[c]|| per cell into v, the smallest into
 * *lo; returns the largest, or -1 when there is no step to compare
 * (position 0, or not computed). */
static double step_change(const struct tui *t, double *v, double *lo)
{
	const struct history *h = t->hist;
	int p = t->pos;
	if (h == NULL || p <= 0 || p >= t->hist_n || h->S != t->puz.seq_len)
		return -1;
	const float *was, *now = step_readout(h, p, &was);
	if (now == NULL || was == NULL)
		return -1;
	int S = h->S, V = h->V;
	double mx = 0, mn = INFINITY;
	for (int c = 0; c < S; c++) {
		double s = 0;
		for (int k = 0; k < V; k++) {
			double d = (double)now[(size_t)c * V + k] - was[(size_t)c * V + k];
			s += d * d;
		}
		v[c] = sqrt(s);
		mx = v[c] > mx ? v[c] : mx;
		mn = v[c] < mn ? v[c] : mn;
	}
	*lo = S > 0 ? mn : 0;
	return mx;
}

static int share_shade(double x)
{
	return x < 0.1 ? 0 : x < 0.3 ? 1 : x < 0.5 ? 2 : x < 0.75 ? 3 : 4;
}

/* The answer per cell after each H-step up to t->pos (lm_head(z_H); the
 * input before the first H-step, as the prediction mode shows it: until
 * then z_H is its initial state, no answer); the position at which it
 * last differed from the one before into last[c], 0 for never. */
static bool last_change(const struct tui *t, int *last)
{
	const struct history *h = t->hist;
	int p = t->pos, S = t->puz.seq_len;
	if (h == NULL || p >= t->hist_n || h->S != S)
		return false;
	int32_t prev[PUZZLE_MAX_CELLS];
	memcpy(prev, t->puz.input, (size_t)S * sizeof *prev);
	memset(last, 0, (size_t)S * sizeof *last);
	for (int q = 1; q <= p; q++) {
		if (h->pos[q].kind != HIST_H)
			continue;
		const float *lz = h->pos[q].logits_zH;
		if (lz == NULL)
			return false;
		for (int c = 0; c < S; c++) {
			int32_t a = history_argmax(lz + (size_t)c * h->V, h->V);
			if (a != prev[c])
				last[c] = q;
			prev[c] = a;
		}
	}
	return true;
}

/* The shade of a step q in 1..p: four equal spans of the steps so far. */
static int step_shade(int q, int p)
{
	if (q <= 0)
		return 0;
	int s = 1 + (int)((4.0 * (q - 1)) / p);
	return s > 4 ? 4 : s;
}

bool grid_heat_cells(const struct tui *t, enum grid_mode mode, struct grid_cell *cells, const char **why)
{
	const struct puzzle *pz = &t->puz;
	int S = pz->seq_len;
	double v[PUZZLE_MAX_CELLS];
	int last[PUZZLE_MAX_CELLS];
	double mx = 0, mn = 0;
	if (mode == GRID_HEAT_STEP) {
		mx = step_change(t, v, &mn);
		if (mx < 0) {
			*why = t->pos == 0 ? "no step yet: l, h or s runs one" : "computing...";
			return false;
		}
	} else if (!last_change(t, last)) {
		*why = "computing...";
		return false;
	}
	for (int c = 0; c < S; c++) {
		struct grid_cell *g = &cells[c];
		memset(g, 0, sizeof *g);
		g->token = pz->input[c];
		g->given = pz->kind == PUZZLE_SUDOKU && pz->input[c] >= 2 && pz->input[c] <= 10;
		if (mode == GRID_HEAT_STEP)
			/* where it lies between the step's smallest and largest change:
			 * after an RMS norm every cell moves by a similar amount, and
			 * the differences are what shows where the step acted */
			g->shade = mx > mn ? share_shade((v[c] - mn) / (mx - mn)) : 0;
		else
			g->shade = step_shade(last[c], t->pos);
		g->sw = (enum swatch)(SW_CONF0 + g->shade);
	}
	return true;
}

int grid_heat_legend(const struct tui *t, enum grid_mode m, int *sw, const char **text)
{
	static char head[64], span[4][24];
	int n = 0;
	if (m == GRID_HEAT_STEP) {
		double v[PUZZLE_MAX_CELLS], mn = 0, mx = step_change(t, v, &mn);
		bool low = mx >= 0 && t->hist->pos[t->pos].kind == HIST_L;
		/* the logits' change, not the raw state's (whose size the RMS norms set) */
		snprintf(head, sizeof head, "|d logits(%s)| %.2g..%.2g:", low ? "z_L" : "z_H", mx > 0 ? mn : 0.0,
			 mx > 0 ? mx : 0.0);
		static const char *const cut[5] = { "<.1", "<.3", "<.5", "<.75", "to 1" };
		sw[n] = -1;
		text[n++] = head;
		for (int k = 0; k < 5; k++) {
			sw[n] = SW_CONF0 + k;
			text[n++] = cut[k];
		}
		return n;
	}
	int p = t->pos;
	sw[n] = -1;
	text[n++] = "answer last changed:";
	sw[n] = SW_CONF0;
	text[n++] = "never";
	for (int k = 1; k <= 4 && p > 0; k++) {
		/* the steps q in 1..p with step_shade(q, p) == k */
		int lo = 0, hi = 0;
		for (int q = 1; q <= p; q++)
			if (step_shade(q, p) == k) {
				lo = lo ? lo : q;
				hi = q;
			}
		if (lo == 0)
			continue;
		if (lo == hi)
			snprintf(span[k - 1], sizeof span[k - 1], "%d", lo);
		else
			snprintf(span[k - 1], sizeof span[k - 1], "%d-%d", lo, hi);
		sw[n] = SW_CONF0 + k;
		text[n++] = span[k - 1];
	}
	return n;
}
