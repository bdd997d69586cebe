/* guess.c - K perturbed versions as one batch, grouped and voted (guess.h). */
#include "analysis/guess.h"
#include "model/engine.h"
#include "model/ops.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void guess_result_init(struct guess_result *r, int S)
{
	memset(r, 0, sizeof *r);
	r->S = S;
	r->majority = r->weighted = -1;
}

void guess_result_free(struct guess_result *r)
{
	free(r->runs);
	free(r->answers);
	free(r->groups);
	memset(r, 0, sizeof *r);
	r->majority = r->weighted = -1;
}

struct guess_one *guess_add(struct guess_result *r, const int32_t *answer)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->runs = xrealloc(r->runs, (size_t)r->cap * sizeof *r->runs);
		r->answers = xrealloc(r->answers, (size_t)r->cap * r->S * sizeof *r->answers);
	}
	struct guess_one *o = &r->runs[r->n];
	memset(o, 0, sizeof *o);
	o->exact = -1;
	o->fp_entered = o->crit_seg = o->crit_h = o->repeat_of = -1;
	o->fp = FP_MOVING;
	memcpy(r->answers + (size_t)r->n * r->S, answer, (size_t)r->S * sizeof *answer);
	r->n++;
	return o;
}

/* Does group a come before group b in the table (and win the majority vote)? */
static bool before(const struct guess_group *a, const struct guess_group *b)
{
	if (a->runs != b->runs)
		return a->runs > b->runs;
	if (a->weight != b->weight)
		return a->weight > b->weight;
	return a->first < b->first;
}

void guess_tally(struct guess_result *r)
{
	free(r->groups);
	r->groups = xcalloc((size_t)(r->n ? r->n : 1), sizeof *r->groups);
	r->n_groups = 0;
	r->repeats = 0;
	size_t bytes = (size_t)r->S * sizeof *r->answers;
	for (int i = 0; i < r->n; i++) {
		if (r->runs[i].repeat_of >= 0) { /* the same version again: its answer is its first run's */
			r->repeats++;
			continue;
		}
		const int32_t *a = r->answers + (size_t)i * r->S;
		int g = 0;
		while (g < r->n_groups && memcmp(r->answers + (size_t)r->groups[g].first * r->S, a, bytes) != 0)
			g++;
		struct guess_group *gr = &r->groups[g];
		if (g == r->n_groups) {
			r->n_groups++;
			gr->first = i;
			gr->exact = r->runs[i].exact;
		}
		gr->runs++;
		gr->q_sum += r->runs[i].q_halt;
		gr->weight += sigmoid_f64(r->runs[i].q_halt);
		gr->settled += r->runs[i].fp_entered >= 0;
	}
	/* the table order: most runs first (insertion sort: a handful of groups) */
	for (int i = 1; i < r->n_groups; i++) {
		struct guess_group g = r->groups[i];
		int j = i;
		for (; j > 0 && before(&g, &r->groups[j - 1]); j--)
			r->groups[j] = r->groups[j - 1];
		r->groups[j] = g;
	}
	for (int g = 0; g < r->n_groups; g++)
		for (int i = 0; i < r->n; i++)
			if (memcmp(r->answers + (size_t)i * r->S, r->answers + (size_t)r->groups[g].first * r->S, bytes) == 0)
				r->runs[i].group = g;
	r->majority = r->n_groups > 0 ? 0 : -1;
	r->weighted = r->majority;
	for (int g = 1; g < r->n_groups; g++) {
		const struct guess_group *a = &r->groups[g], *w = &r->groups[r->weighted];
		if (a->weight > w->weight || (a->weight == w->weight && before(a, w)))
			r->weighted = g;
	}
}

void guess_group_name(int g, char *buf, size_t len)
{
	if (g < 26)
		snprintf(buf, len, "%c", 'A' + g);
	else
		snprintf(buf, len, "%c%c", 'A' + (g / 26 - 1) % 26, 'A' + g % 26);
}

/* The same version: the same transform, and no noise or the same noise. */
static bool same_version(const struct perturb *a, const struct perturb *b)
{
	return a->kind == b->kind && a->pk == b->pk && a->tid == b->tid && memcmp(&a->sd, &b->sd, sizeof a->sd) == 0 &&
	       memcmp(a->colours, b->colours, sizeof a->colours) == 0 && a->sigma == b->sigma &&
	       (a->sigma <= 0 || a->noise_seed == b->noise_seed) && strcmp(a->desc, b->desc) == 0;
}

/* Each version's pooled states after every step, into o->traj. */
struct traj_rows {
	struct hrm_engine *e;
	struct trajectory *traj;
	int S;
	float *pH, *pL;
};

static void keep_states(const struct hrm_event *ev, void *user)
{
	struct traj_rows *tr = user;
	if (ev->kind != HRM_EV_L_STEP && ev->kind != HRM_EV_H_STEP)
		return;
	int T = hrm_engine_T(tr->e), d = tr->traj[0].d;
	struct traj_step st = { ev->segment, ev->h_cycle, ev->kind == HRM_EV_L_STEP ? ev->l_step : -1, -1 };
	for (int k = 0; k < ev->B; k++) {
		size_t off = ((size_t)k * T + (size_t)(T - tr->S)) * d;
		traj_pool(hrm_engine_zH(tr->e) + off, tr->S, d, tr->pH);
		traj_pool(hrm_engine_zL(tr->e) + off, tr->S, d, tr->pL);
		traj_add(&tr->traj[k], &st, tr->pH, tr->pL);
	}
}

/* Runs the batch M segments, a module call at a time so it can stop and
 * say how far it is after each (per_segment module calls a segment). */
static int run_segments(struct hrm_engine *e, int M, int per_segment, const struct guess_opts *o, char **cause)
{
	int done = 0;
	for (int s = 0; s < M; s++) {
		while (hrm_engine_cursor(e).segment == s) {
			if ((o->cancel && atomic_load(o->cancel)) || hrm_engine_step(e, HRM_GRAIN_MODULE) != 0)
				return set_cause(cause, "cancelled");
			if (o->progress)
				o->progress(o->progress_user, ++done, M * per_segment);
		}
	}
	return 0;
}

int guess_run(const struct hrm_model *m, int model_index, const struct guess_puzzle *gp, const struct guess_opts *o,
	      struct guess_result *r, char **cause)
{
	const struct puzzle *p = gp->p;
	int K = o->K, S = p->seq_len, M = o->M > 0 ? o->M : m->cfg.halt_max_steps;
	char why[160];
	if (K < 1 || K > 4096)
		return set_cause(cause, "guess: K = %d, expected 1..4096", K);
	if (S != r->S)
		return set_cause(cause, "guess: the puzzle has %d cells, the result %d", S, r->S);
	if (!perturb_applies(o->kind, p, gp->known_kind, why, sizeof why))
		return set_cause(cause, "%s", why);
	struct hrm_engine *e = hrm_engine_new_dtype(m, K, S, o->dtype, cause);
	if (e == NULL)
		return -1;
	struct perturb *pts = xcalloc((size_t)K, sizeof *pts);
	int32_t *in = xmalloc((size_t)K * S * sizeof *in), *pid = xmalloc((size_t)K * sizeof *pid);
	int32_t *lab = p->has_label ? xmalloc((size_t)K * S * sizeof *lab) : NULL;
	struct puzzle *v = xmalloc(sizeof *v);
	struct fp_tracker fp;
	fp_tracker_init(&fp, K, S, o->fp_tol > 0 ? o->fp_tol : FP_TOL_DEFAULT);
	int rc = 0;
	for (int k = 0; k < K && rc == 0; k++) {
		perturb_make(o->kind, p, gp->known_kind, o->seed, k, o->sigma, &pts[k]);
		rc = perturb_apply(&pts[k], p, v, cause);
		memcpy(in + (size_t)k * S, v->input, (size_t)S * sizeof *in);
		if (lab)
			memcpy(lab + (size_t)k * S, v->label, (size_t)S * sizeof *lab);
		pid[k] = gp->pid;
	}
	if (rc == 0)
		rc = hrm_engine_set_inputs(e, in, pid, cause);
	int d = m->cfg.hidden_size;
	struct traj_rows tr = { e, o->traj, S, xmalloc((size_t)d * sizeof(float)), xmalloc((size_t)d * sizeof(float)) };
	if (rc == 0) {
		fp_tracker_set_labels(&fp, lab, gp->has_ignore, gp->ignore);
		hrm_engine_add_observer(e, fp_tracker_observe, &fp);
		if (o->traj)
			hrm_engine_add_observer(e, keep_states, &tr);
		hrm_engine_reset(e, -1);
		hrm_engine_set_abort(e, o->cancel);
		size_t n = (size_t)hrm_engine_T(e) * m->cfg.hidden_size;
		for (int k = 0; k < K; k++)
			perturb_noise(&pts[k], hrm_engine_zH(e) + k * n, hrm_engine_zL(e) + k * n, n);
		rc = run_segments(e, M, m->cfg.H_cycles * (m->cfg.L_cycles + 1), o, cause);
	}
	if (rc == 0) {
		const int32_t *pred = hrm_engine_pred(e);
		const float *q = hrm_engine_q(e);
		int32_t *ans = xmalloc((size_t)S * sizeof *ans);
		for (int k = 0; k < K; k++) {
			perturb_unapply(&pts[k], p, pred + (size_t)k * S, ans);
			struct guess_one *one = guess_add(r, ans);
			const struct fp_track *f = &fp.rows[k];
			one->model = model_index;
			one->version = k;
			one->pt = pts[k];
			/* a version made again (more versions asked than the kind
			 * has): the same run, counted once in the votes */
			for (int j = 0; j < k && one->repeat_of < 0; j++)
				if (same_version(&pts[j], &pts[k]))
					one->repeat_of = r->n - 1 - k + j;
			one->q_halt = q[2 * k];
			one->q_continue = q[2 * k + 1];
			one->exact = p->has_label ? fp_exact(ans, p->label, S, gp->has_ignore, gp->ignore) : -1;
			one->fp_entered = fp_track_entered(f);
			one->fp = one->fp_entered < 0 ? FP_MOVING
				  : one->exact < 0    ? FP_UNLABELLED
				  : one->exact        ? FP_RIGHT
						      : FP_WRONG;
			one->crit_seg = f->crit_seg;
			one->crit_h = f->crit_h;
		}
		free(ans);
	}
	fp_tracker_free(&fp);
	free(tr.pH);
	free(tr.pL);
	free(pts);
	free(in);
	free(pid);
	free(lab);
	free(v);
	hrm_engine_free(e);
	return rc;
}
