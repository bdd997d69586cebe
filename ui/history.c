/* history.c - the positions of a run (see history.h). */
#include "ui/history.h"
#include "analysis/fixedpoint.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void history_init(struct history *h, int S, int V, int d, int Lc, int Hc, int M)
{
	history_clear(h);
	h->S = S;
	h->V = V;
	h->d = d;
	h->Lc = Lc;
	h->Hc = Hc;
	h->K = Hc * (Lc + 1);
	h->M = M;
}

static void pos_free(struct hist_pos *p)
{
	free(p->logits_zH);
	free(p->logits_zL);
	free(p->probe);
	free(p->pool_zH);
	free(p->pool_zL);
}

void history_clear(struct history *h)
{
	for (int i = 0; i < h->n; i++)
		pos_free(&h->pos[i]);
	h->n = 0;
}

void history_free(struct history *h)
{
	history_clear(h);
	free(h->pos);
	h->pos = NULL;
	h->cap = 0;
}

static float *dup_floats(const float *src, size_t n)
{
	if (src == NULL)
		return NULL;
	float *p = xmalloc(n * sizeof *p);
	memcpy(p, src, n * sizeof *p);
	return p;
}

void history_append(struct history *h, const struct hist_pos *src)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->pos = xrealloc(h->pos, (size_t)h->cap * sizeof *h->pos);
	}
	struct hist_pos *p = &h->pos[h->n++];
	size_t sv = (size_t)h->S * h->V;
	*p = *src;
	p->logits_zH = dup_floats(src->logits_zH, sv);
	p->logits_zL = dup_floats(src->logits_zL, sv);
	p->probe = dup_floats(src->probe, sv);
	p->pool_zH = dup_floats(src->pool_zH, (size_t)h->d);
	p->pool_zL = dup_floats(src->pool_zL, (size_t)h->d);
}

bool history_halted_at(const struct history *h, int n, int p, bool adaptive)
{
	if (h == NULL)
		return false;
	if (p >= history_max_pos(h))
		return true;
	if (p >= n)
		return false;
	const struct hist_pos *hp = &h->pos[p];
	return hp->seg_end && (adaptive ? hp->halt_adaptive : hp->halt_max);
}

int history_max_pos(const struct history *h)
{
	return h->M * h->K;
}

struct hist_cursor history_cursor(const struct history *h, int p)
{
	struct hist_cursor c = {0};
	if (h->K <= 0)
		return c;
	if (p >= history_max_pos(h)) {
		c.segment = h->M - 1;
		c.h_cycle = h->Hc - 1;
		c.l_step = h->Lc;
		c.done = true;
		return c;
	}
	int r = p % h->K;
	c.segment = p / h->K;
	c.h_cycle = r / (h->Lc + 1);
	c.l_step = r % (h->Lc + 1);
	return c;
}

int history_pct_right(const struct hist_pos *hp)
{
	if (hp->scored <= 0)
		return -1;
	return (int)(100LL * hp->right / hp->scored);
}

int history_argmax(const float *row, int V)
{
	int best = 0;
	for (int v = 1; v < V; v++)
		if (row[v] > row[best])
			best = v;
	return best;
}

int history_fixed_point(const struct history *h, int upto, double tol, struct fp_track *out, bool *still)
{
	fp_track_reset(out);
	for (int p = 1; p <= upto && p < h->n; p++) {
		const struct hist_pos *hp = &h->pos[p];
		if (hp->kind != HIST_H)
			continue;
		int exact = hp->scored > 0 ? hp->exact : -1;
		fp_track_hstep(out, hp->h_cycle, exact);
		if (hp->seg_end) {
			int s = out->segments;
			bool st = fp_track_segment(out, hp->answer_changed, hp->seg_rel[0], hp->seg_rel[1], exact, tol);
			if (still && s < h->M)
				still[s] = st;
		}
	}
	return out->segments;
}
