/* optim.c - AdamATan2 / AdamW, sign-SGD, schedule, clipping, EMA. */
#include "train/optim.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Offsets of the trainable tensors in the arena (buffers are skipped). */
struct span {
	size_t off, n;
};

static size_t trainable_spans(const struct hrm_model *m, struct span **out)
{
	struct hrm_model *mm = (struct hrm_model *)m; /* the table only reads */
	size_t n = hrm_tensor_list(mm, NULL, 0), k = 0;
	struct hrm_tensor_info *ti = xcalloc(n, sizeof *ti);
	hrm_tensor_list(mm, ti, n);
	*out = xcalloc(n, sizeof **out);
	for (size_t i = 0; i < n; i++) {
		if (ti[i].buffer)
			continue;
		(*out)[k].off = (size_t)(*ti[i].field - m->arena);
		(*out)[k].n = (size_t)ti[i].shape[0] * (ti[i].ndim == 2 ? (size_t)ti[i].shape[1] : 1);
		k++;
	}
	free(ti);
	return k;
}

int optim_init(struct optim *o, const struct hrm_model *m, enum optim_kind kind, double beta1, double beta2,
	       double weight_decay, char **cause)
{
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->beta1 = beta1;
	o->beta2 = beta2;
	o->eps = 1e-8;
	o->weight_decay = weight_decay;
	o->n = m->arena_floats;
	o->m = calloc(o->n ? o->n : 1, sizeof(float));
	o->v = calloc(o->n ? o->n : 1, sizeof(float));
	if (o->m == NULL || o->v == NULL) {
		optim_free(o);
		return set_cause(cause, "optimiser: out of memory for %zu parameters", m->arena_floats);
	}
	return 0;
}

void optim_free(struct optim *o)
{
	free(o->m);
	free(o->v);
	o->m = o->v = NULL;
}

void optim_step(struct optim *o, struct hrm_model *m, const struct hrm_model *grads, double lr)
{
	struct span *sp;
	size_t ns = trainable_spans(m, &sp);
	o->step++;
	double bc1 = 1.0 - pow(o->beta1, (double)o->step);
	double bc2_sqrt = sqrt(1.0 - pow(o->beta2, (double)o->step));
	float decay = (float)(1.0 - lr * o->weight_decay);
	float b1 = (float)o->beta1, b2 = (float)o->beta2;
	float step_size = (float)(lr / bc1), inv_bc2 = (float)(1.0 / bc2_sqrt), eps = (float)o->eps;
	for (size_t s = 0; s < ns; s++) {
		float *p = m->arena + sp[s].off, *mm = o->m + sp[s].off, *vv = o->v + sp[s].off;
		const float *g = grads->arena + sp[s].off;
		for (size_t i = 0; i < sp[s].n; i++) {
			p[i] *= decay; /* decoupled weight decay, before the update */
			mm[i] = b1 * mm[i] + (1.0f - b1) * g[i];
			vv[i] = b2 * vv[i] + (1.0f - b2) * g[i] * g[i];
			float denom = sqrtf(vv[i]) * inv_bc2;
			if (o->kind == OPTIM_ADAM_ATAN2)
				/* atan2 replaces m / (sqrt(v) + eps): bounded, no epsilon */
				p[i] -= step_size * atan2f(mm[i], denom);
			else
				p[i] -= step_size * mm[i] / (denom + eps);
		}
	}
	free(sp);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

void puzzle_emb_sign_sgd(struct hrm_model *m, const struct hrm_model *grads, const int32_t *ids, int n, double lr,
			 double weight_decay)
{
	int P = m->cfg.puzzle_emb_ndim;
	if (P <= 0 || n <= 0)
		return;
	int32_t *u = xmalloc((size_t)n * sizeof *u);
	memcpy(u, ids, (size_t)n * sizeof *u);
	qsort(u, (size_t)n, sizeof *u, cmp_i32);
	for (int i = 0; i < n; i++) {
		if (i > 0 && u[i] == u[i - 1])
			continue;
		float *p = m->w.puzzle_emb + (size_t)u[i] * P;
		const float *g = grads->w.puzzle_emb + (size_t)u[i] * P;
		for (int k = 0; k < P; k++) {
			float sg = (float)((g[k] > 0) - (g[k] < 0));
			p[k] = p[k] * (float)(1.0 - lr * weight_decay) - (float)lr * sg;
		}
	}
	free(u);
}

double clip_grad_norm(const struct hrm_model *m, struct hrm_model *grads, double max_norm)
{
	struct span *sp;
	size_t ns = trainable_spans(m, &sp);
	double ss = 0;
	for (size_t s = 0; s < ns; s++)
		for (size_t i = 0; i < sp[s].n; i++) {
			double g = grads->arena[sp[s].off + i];
			ss += g * g;
		}
	double norm = sqrt(ss);
	if (max_norm > 0 && norm > max_norm) {
		float f = (float)(max_norm / norm);
		for (size_t s = 0; s < ns; s++)
			for (size_t i = 0; i < sp[s].n; i++)
				grads->arena[sp[s].off + i] *= f;
	}
	free(sp);
	return norm;
}

double lr_at(long step, double base_lr, long warmup, long total, double min_ratio)
{
	if (step < warmup)
		return base_lr * (double)step / (double)(warmup > 1 ? warmup : 1);
	long span = total - warmup;
	double progress = (double)(step - warmup) / (double)(span > 1 ? span : 1);
	double cosine = 0.5 * (1.0 + cos(M_PI * progress));
	double f = (1.0 - min_ratio) * cosine;
	return base_lr * (min_ratio + (f > 0 ? f : 0));
}

void ema_update(struct hrm_model *ema, const struct hrm_model *m, double decay)
{
	float a = (float)decay, b = (float)(1.0 - decay);
	/* the official EMA (TRM's models/ema.py) averages the parameters; the
	 * buffers (H_init, L_init, the sign-SGD puzzle embeddings) are the
	 * model's own in the EMA copy */
	struct hrm_model *src = (struct hrm_model *)m;
	size_t nt = hrm_tensor_list(src, NULL, 0);
	struct hrm_tensor_info *te = xcalloc(nt, sizeof *te), *tm = xcalloc(nt, sizeof *tm);
	hrm_tensor_list(ema, te, nt);
	hrm_tensor_list(src, tm, nt);
	for (size_t k = 0; k < nt; k++) {
		size_t n = (size_t)tm[k].shape[0] * (tm[k].ndim == 2 ? (size_t)tm[k].shape[1] : 1);
		float *e = *te[k].field;
		const float *v = *tm[k].field;
		if (tm[k].buffer) {
			memcpy(e, v, n * sizeof(float));
			continue;
		}
		for (size_t i = 0; i < n; i++)
			e[i] = a * e[i] + b * v[i];
	}
	free(te);
	free(tm);
}
