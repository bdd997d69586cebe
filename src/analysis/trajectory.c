/* trajectory.c - the pooled states of every step of a run (trajectory.h). */
#include "analysis/trajectory.h"
#include "model/engine.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void traj_init(struct trajectory *t, int d)
{
	memset(t, 0, sizeof *t);
	t->d = d;
	t->fp_entered = -1;
	t->verdict = FP_MOVING;
}

void traj_free(struct trajectory *t)
{
	free(t->steps);
	free(t->zH);
	free(t->zL);
	traj_init(t, t->d);
}

void traj_add(struct trajectory *t, const struct traj_step *st, const float *pool_zH, const float *pool_zL)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->steps = xrealloc(t->steps, (size_t)t->cap * sizeof *t->steps);
		t->zH = xrealloc(t->zH, (size_t)t->cap * t->d * sizeof *t->zH);
		t->zL = xrealloc(t->zL, (size_t)t->cap * t->d * sizeof *t->zL);
	}
	t->steps[t->n] = *st;
	memcpy(t->zH + (size_t)t->n * t->d, pool_zH, (size_t)t->d * sizeof(float));
	memcpy(t->zL + (size_t)t->n * t->d, pool_zL, (size_t)t->d * sizeof(float));
	t->n++;
}

void traj_pool(const float *z, int S, int d, float *out)
{
	for (int k = 0; k < d; k++)
		out[k] = 0.0f;
	for (int s = 0; s < S; s++)
		for (int k = 0; k < d; k++)
			out[k] += z[(size_t)s * d + k];
	for (int k = 0; k < d; k++)
		out[k] /= (float)S;
}

bool traj_in_fixed_point(const struct trajectory *t, int i)
{
	return t->fp_entered >= 0 && i >= 0 && i < t->n && t->steps[i].segment > t->fp_entered;
}

struct traj_obs {
	struct hrm_engine *e;
	struct trajectory *t;
	const int32_t *labels;
	bool has_ignore;
	int32_t ignore;
	int S, exact; /* -1 until the first H-step gives an answer */
	float *pH, *pL;
};

static void on_event(const struct hrm_event *ev, void *user)
{
	struct traj_obs *o = user;
	if (ev->kind != HRM_EV_L_STEP && ev->kind != HRM_EV_H_STEP)
		return;
	int T = hrm_engine_T(o->e), d = o->t->d;
	size_t lp = (size_t)(T - o->S) * d;
	if (ev->kind == HRM_EV_H_STEP && o->labels)
		o->exact = fp_exact(ev->pred, o->labels, o->S, o->has_ignore, o->ignore);
	traj_pool(hrm_engine_zH(o->e) + lp, o->S, d, o->pH);
	traj_pool(hrm_engine_zL(o->e) + lp, o->S, d, o->pL);
	struct traj_step st = { ev->segment, ev->h_cycle, ev->kind == HRM_EV_L_STEP ? ev->l_step : -1, o->exact };
	traj_add(o->t, &st, o->pH, o->pL);
}

int traj_run(const struct hrm_model *m, enum hrm_dtype dt, const int32_t *tokens, const int32_t *labels,
	     bool has_ignore, int32_t ignore, int S, int32_t pid, int segments, double fp_tol,
	     struct trajectory *out, char **cause)
{
	int d = m->cfg.hidden_size;
	traj_init(out, d);
	struct hrm_engine *e = hrm_engine_new_dtype(m, 1, S, dt, cause);
	if (e == NULL)
		return -1;
	if (hrm_engine_set_inputs(e, tokens, m->cfg.puzzle_emb_ndim > 0 ? &pid : NULL, cause) != 0) {
		hrm_engine_free(e);
		return -1;
	}
	struct fp_tracker fp;
	fp_tracker_init(&fp, 1, S, fp_tol);
	if (labels)
		fp_tracker_set_labels(&fp, labels, has_ignore, ignore);
	struct traj_obs o = { e, out, labels, has_ignore, ignore, S, -1, xmalloc((size_t)d * sizeof(float)),
			      xmalloc((size_t)d * sizeof(float)) };
	hrm_engine_add_observer(e, fp_tracker_observe, &fp);
	hrm_engine_add_observer(e, on_event, &o);
	hrm_engine_reset(e, -1);
	for (int s = 0; s < segments; s++)
		hrm_engine_step(e, HRM_GRAIN_SEGMENT);
	out->fp_entered = fp_track_entered(&fp.rows[0]);
	out->verdict = fp_track_verdict(&fp.rows[0]);
	fp_tracker_free(&fp);
	free(o.pH);
	free(o.pL);
	hrm_engine_free(e);
	return 0;
}
