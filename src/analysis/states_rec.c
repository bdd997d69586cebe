/* states_rec.c - the states after every step, kept in memory for one batch
 * row and written as an .npz (see states_rec.h for the arrays). */
#include "analysis/states_rec.h"
#include "io/npz_write.h"
#include "core/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct step_row {
	int32_t segment, h_cycle, l_step;
	uint8_t kind;
	double res_abs, res_rel, res_rms, norm_zH, norm_zL;
};

struct seg_row {
	float q_halt, q_continue;
	bool halt_adaptive;
	int32_t changed;
	double dzH_rel, dzL_rel;
};

struct states_rec {
	struct hrm_engine *e;
	int every, T, d, S;
	size_t state_floats;          /* T * d */
	float *zH, *zL;               /* [cap_states][T][d] */
	int32_t *state_step;
	size_t n_states, cap_zH, cap_zL, cap_step_of;
	float *zH0, *zL0;             /* [T][d] */
	struct step_row *steps;
	size_t n_steps, cap_steps;
	struct seg_row *segs;
	int32_t *seg_pred;            /* [G][S] */
	size_t n_segs, cap_segs, cap_pred;
	int32_t *inputs, *labels;     /* [S]; labels NULL without */
	bool failed;                  /* a buffer could not grow */
};

/* Grows *p (elements of size sz) to hold at least n; false when out of memory. */
static bool grow(void **p, size_t *cap, size_t n, size_t sz)
{
	if (n <= *cap)
		return true;
	size_t c = *cap ? *cap : 16, bytes;
	while (c < n)
		c *= 2;
	if (size_mul(c, sz, &bytes) != 0)
		return false;
	void *q = realloc(*p, bytes);
	if (q == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

struct states_rec *states_rec_new(struct hrm_engine *e, int d, int every, long expect_steps, char **cause)
{
	struct states_rec *r = xcalloc(1, sizeof *r);
	r->e = e;
	r->every = every > 0 ? every : 1;
	r->T = hrm_engine_T(e);
	r->S = hrm_engine_S(e);
	r->d = d;
	r->state_floats = (size_t)r->T * (size_t)d;
	r->zH0 = malloc(r->state_floats * sizeof(float));
	r->zL0 = malloc(r->state_floats * sizeof(float));
	r->inputs = xcalloc((size_t)r->S, sizeof *r->inputs);
	size_t keep = expect_steps > 0 ? (size_t)expect_steps / (size_t)r->every + 1 : 1, bytes;
	bool ok = r->zH0 && r->zL0 && size_mul(keep, r->state_floats * sizeof(float), &bytes) == 0;
	ok = ok && grow((void **)&r->zH, &r->cap_zH, keep, r->state_floats * sizeof(float));
	ok = ok && grow((void **)&r->zL, &r->cap_zL, keep, r->state_floats * sizeof(float));
	if (!ok) {
		set_cause(cause, "out of memory for the states of %zu steps (%zu floats each)", keep, r->state_floats);
		states_rec_free(r);
		return NULL;
	}
	return r;
}

void states_rec_free(struct states_rec *r)
{
	if (r == NULL)
		return;
	free(r->zH);
	free(r->zL);
	free(r->zH0);
	free(r->zL0);
	free(r->state_step);
	free(r->steps);
	free(r->segs);
	free(r->seg_pred);
	free(r->inputs);
	free(r->labels);
	free(r);
}

void states_rec_set_puzzle(struct states_rec *r, const int32_t *inputs, const int32_t *labels)
{
	memcpy(r->inputs, inputs, (size_t)r->S * sizeof *r->inputs);
	free(r->labels);
	r->labels = NULL;
	if (labels != NULL) {
		r->labels = xmalloc((size_t)r->S * sizeof *r->labels);
		memcpy(r->labels, labels, (size_t)r->S * sizeof *r->labels);
	}
}

/* The states after a step (all three buffers grow, or the run is marked failed). */
static void keep_state(struct states_rec *r)
{
	size_t n = r->n_states + 1, sb = r->state_floats * sizeof(float);
	if (!grow((void **)&r->zH, &r->cap_zH, n, sb) || !grow((void **)&r->zL, &r->cap_zL, n, sb) ||
	    !grow((void **)&r->state_step, &r->cap_step_of, n, sizeof(int32_t))) {
		r->failed = true;
		return;
	}
	memcpy(r->zH + r->n_states * r->state_floats, hrm_engine_zH(r->e), sb);
	memcpy(r->zL + r->n_states * r->state_floats, hrm_engine_zL(r->e), sb);
	r->state_step[r->n_states] = (int32_t)(r->n_steps - 1);
	r->n_states = n;
}

void states_rec_observe(const struct hrm_event *ev, void *user)
{
	struct states_rec *r = user;
	if (r->failed)
		return;
	if (ev->kind == HRM_EV_RESET) {
		if (ev->reset_row <= 0) {
			memcpy(r->zH0, hrm_engine_zH(r->e), r->state_floats * sizeof(float));
			memcpy(r->zL0, hrm_engine_zL(r->e), r->state_floats * sizeof(float));
		}
		return;
	}
	if (ev->kind == HRM_EV_SEGMENT_END) {
		if (!grow((void **)&r->segs, &r->cap_segs, r->n_segs + 1, sizeof *r->segs) ||
		    !grow((void **)&r->seg_pred, &r->cap_pred, r->n_segs + 1, (size_t)r->S * sizeof(int32_t))) {
			r->failed = true;
			return;
		}
		struct seg_row *g = &r->segs[r->n_segs];
		g->q_halt = ev->q_halt[0];
		g->q_continue = ev->q_continue[0];
		g->halt_adaptive = ev->halt_adaptive[0];
		g->changed = ev->cells_changed[0];
		g->dzH_rel = ev->seg_dzH[0].rel;
		g->dzL_rel = ev->seg_dzL[0].rel;
		memcpy(r->seg_pred + r->n_segs * (size_t)r->S, ev->pred, (size_t)r->S * sizeof(int32_t));
		r->n_segs++;
		return;
	}
	if (!grow((void **)&r->steps, &r->cap_steps, r->n_steps + 1, sizeof *r->steps)) {
		r->failed = true;
		return;
	}
	struct step_row *s = &r->steps[r->n_steps++];
	s->segment = ev->segment;
	s->h_cycle = ev->h_cycle;
	s->l_step = ev->kind == HRM_EV_L_STEP ? ev->l_step : -1;
	s->kind = ev->kind == HRM_EV_L_STEP ? 0 : 1;
	s->res_abs = ev->res[0].abs_l2;
	s->res_rel = ev->res[0].rel;
	s->res_rms = ev->res[0].rms;
	s->norm_zH = ev->norm_zH[0];
	s->norm_zL = ev->norm_zL[0];
	if (r->n_steps % (size_t)r->every == 0)
		keep_state(r);
}

/* ---- writing ---- */

static struct npy_array arr(enum npy_dtype dt, int ndim, int64_t n0, int64_t n1, int64_t n2, void *data)
{
	struct npy_array a = { .dtype = dt, .itemsize = npy_dtype_size(dt), .ndim = ndim, .data = data };
	int64_t sh[3] = { n0, n1, n2 };
	a.numel = 1;
	for (int i = 0; i < ndim; i++) {
		a.shape[i] = sh[i];
		a.numel *= sh[i];
	}
	return a;
}

enum { COL_SEG, COL_H, COL_L, N_ICOLS };
enum { COL_ABS, COL_REL, COL_RMS, COL_NZH, COL_NZL, N_DCOLS };

int states_rec_write(struct states_rec *r, const char *path, char **cause)
{
	if (r->failed)
		return set_cause(cause, "%s: out of memory while keeping the states (thin them with --states-every)",
				 path);
	size_t M = r->n_steps, G = r->n_segs, m1 = M ? M : 1, g1 = G ? G : 1;
	int32_t *icol = xmalloc(N_ICOLS * m1 * sizeof *icol);
	double *dcol = xmalloc(N_DCOLS * m1 * sizeof *dcol);
	uint8_t *kind = xmalloc(m1);
	for (size_t i = 0; i < M; i++) {
		const struct step_row *s = &r->steps[i];
		icol[COL_SEG * M + i] = s->segment;
		icol[COL_H * M + i] = s->h_cycle;
		icol[COL_L * M + i] = s->l_step;
		kind[i] = s->kind;
		dcol[COL_ABS * M + i] = s->res_abs;
		dcol[COL_REL * M + i] = s->res_rel;
		dcol[COL_RMS * M + i] = s->res_rms;
		dcol[COL_NZH * M + i] = s->norm_zH;
		dcol[COL_NZL * M + i] = s->norm_zL;
	}
	float *gq = xmalloc(2 * g1 * sizeof *gq);
	double *gd = xmalloc(2 * g1 * sizeof *gd);
	int32_t *gc = xmalloc(g1 * sizeof *gc);
	uint8_t *gh = xmalloc(g1);
	for (size_t i = 0; i < G; i++) {
		gq[i] = r->segs[i].q_halt;
		gq[G + i] = r->segs[i].q_continue;
		gd[i] = r->segs[i].dzH_rel;
		gd[G + i] = r->segs[i].dzL_rel;
		gc[i] = r->segs[i].changed;
		gh[i] = r->segs[i].halt_adaptive;
	}
	int32_t prefix = r->T - r->S;
	int64_t N = (int64_t)r->n_states, T = r->T, d = r->d, S = r->S;
	struct npy_array a[] = {
		arr(NPY_DT_F4, 3, N, T, d, r->zH), arr(NPY_DT_F4, 3, N, T, d, r->zL),
		arr(NPY_DT_F4, 2, T, d, 0, r->zH0), arr(NPY_DT_F4, 2, T, d, 0, r->zL0),
		arr(NPY_DT_I4, 1, N, 0, 0, r->state_step), arr(NPY_DT_U1, 1, (int64_t)M, 0, 0, kind),
		arr(NPY_DT_I4, 1, (int64_t)M, 0, 0, icol + COL_SEG * M), arr(NPY_DT_I4, 1, (int64_t)M, 0, 0, icol + COL_H * M),
		arr(NPY_DT_I4, 1, (int64_t)M, 0, 0, icol + COL_L * M), arr(NPY_DT_F8, 1, (int64_t)M, 0, 0, dcol + COL_ABS * M),
		arr(NPY_DT_F8, 1, (int64_t)M, 0, 0, dcol + COL_REL * M), arr(NPY_DT_F8, 1, (int64_t)M, 0, 0, dcol + COL_RMS * M),
		arr(NPY_DT_F8, 1, (int64_t)M, 0, 0, dcol + COL_NZH * M), arr(NPY_DT_F8, 1, (int64_t)M, 0, 0, dcol + COL_NZL * M),
		arr(NPY_DT_F4, 1, (int64_t)G, 0, 0, gq), arr(NPY_DT_F4, 1, (int64_t)G, 0, 0, gq + G),
		arr(NPY_DT_B1, 1, (int64_t)G, 0, 0, gh), arr(NPY_DT_I4, 1, (int64_t)G, 0, 0, gc),
		arr(NPY_DT_F8, 1, (int64_t)G, 0, 0, gd), arr(NPY_DT_F8, 1, (int64_t)G, 0, 0, gd + G),
		arr(NPY_DT_I4, 2, (int64_t)G, S, 0, r->seg_pred), arr(NPY_DT_I4, 1, S, 0, 0, r->inputs),
		arr(NPY_DT_I4, 0, 0, 0, 0, &prefix), arr(NPY_DT_I4, 1, S, 0, 0, r->labels),
	};
	static const char *const names[] = {
		"z_H", "z_L", "z_H_init", "z_L_init", "state_step", "step_kind", "step_segment", "step_h_cycle",
		"step_l_step", "step_res_abs", "step_res_rel", "step_res_rms", "step_norm_zH", "step_norm_zL",
		"seg_q_halt", "seg_q_continue", "seg_halt_adaptive", "seg_cells_changed", "seg_dzH_rel", "seg_dzL_rel",
		"seg_pred", "inputs", "prefix_len", "labels",
	};
	size_t n = sizeof a / sizeof a[0];
	if (r->labels == NULL)
		n--;
	struct npz_item items[sizeof a / sizeof a[0]];
	for (size_t i = 0; i < n; i++) {
		items[i].name = names[i];
		items[i].a = &a[i];
	}
	int rc = npz_write(path, items, n, cause);
	free(icol);
	free(dcol);
	free(kind);
	free(gq);
	free(gd);
	free(gc);
	free(gh);
	return rc;
}

size_t states_rec_estimate(long steps, int every, long segments, int T, int d, int S)
{
	size_t kept = (size_t)steps / (size_t)(every > 0 ? every : 1);
	size_t state = (size_t)T * (size_t)d * sizeof(float);
	/* the states, the step table, the segments, then 24 headers */
	return 2 * (kept + 1) * state + (size_t)steps * 60 + (size_t)segments * (36 + (size_t)S * 4) +
	       (size_t)S * 8 + 24 * 300;
}
