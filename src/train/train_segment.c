/* train_segment.c - one deep-supervision training step of the official ACT
 * recipe (HRM-SPEC "Training"; hrm_act_v1.py, losses.py): reset of halted
 * rows, one segment, loss, halting and Q target, and the backward. */
#include "train/train_ctx.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "core/half.h"
#include "core/util.h"

#include <math.h>
#include <string.h>

/* Everything that fixes a tensor's shape or the forward's control flow. */
static bool same_arch(const struct hrm_config *a, const struct hrm_config *b)
{
	return a->hidden_size == b->hidden_size && a->num_heads == b->num_heads &&
	       a->H_layers == b->H_layers && a->L_layers == b->L_layers &&
	       a->H_cycles == b->H_cycles && a->L_cycles == b->L_cycles && a->inter == b->inter &&
	       a->puzzle_emb_ndim == b->puzzle_emb_ndim && a->puzzle_emb_len == b->puzzle_emb_len &&
	       a->pos_encodings == b->pos_encodings && a->vocab_size == b->vocab_size &&
	       a->num_puzzle_identifiers == b->num_puzzle_identifiers && a->arch == b->arch &&
	       a->mlp_t == b->mlp_t && a->no_ACT_continue == b->no_ACT_continue &&
	       ((a->pos_encodings != HRM_POS_LEARNED && !a->mlp_t) || a->seq_len == b->seq_len);
}

static int check_args(const struct train_ctx *t, const struct hrm_model *m, const struct hrm_model *grads,
		      const struct train_batch *batch, const struct train_segment_opts *o,
		      const struct hrm_rng *rng, char **cause)
{
	const struct hrm_config *c = &t->cfg;
	if (!same_arch(&m->cfg, c))
		return set_cause(cause, "train: the model's architecture differs from the one the training "
				 "context was made for");
	if (m->map != NULL || (grads != NULL && grads->map != NULL))
		return set_cause(cause, "train: the model's puzzle-embedding table is still in its mapped file "
				 "(hrm_model_own it first)");
	if (grads != NULL && (!same_arch(&grads->cfg, c) || grads->arena_floats != m->arena_floats))
		return set_cause(cause, "train: the gradient buffers do not have the model's shapes");
	if (batch->B != t->B || batch->S != t->S || batch->T != t->T || batch->d != t->d)
		return set_cause(cause, "train: batch %d x %d (T %d, d %d) does not match the training context's "
				 "%d x %d (T %d, d %d)", batch->B, batch->S, batch->T, batch->d, t->B, t->S, t->T, t->d);
	if (o->halt_max_steps < 1)
		return set_cause(cause, "train: halt_max_steps %d must be at least 1", o->halt_max_steps);
	if (!(o->halt_exploration_prob >= 0.0 && o->halt_exploration_prob <= 1.0))
		return set_cause(cause, "train: halt_exploration_prob %g is outside [0, 1]",
				 o->halt_exploration_prob);
	if (o->halt_exploration_prob > 0.0 && o->q_learning && o->halt_max_steps > 1 && rng == NULL &&
	    o->row_rngs == NULL)
		return set_cause(cause, "train: exploration needs a random generator");
	if (o->grad != t->grad)
		return set_cause(cause, "train: the training context was made for the other gradient mode");
	for (int b = 0; b < t->B; b++) {
		for (int s = 0; s < t->S; s++) {
			size_t i = (size_t)b * t->S + s;
			int32_t tok = batch->inputs[i], lab = batch->labels[i];
			if (tok < 0 || tok >= c->vocab_size)
				return set_cause(cause, "train: row %d cell %d: token %d outside 0..%d", b, s, tok,
						 c->vocab_size - 1);
			if (lab != HRM_IGNORE_LABEL_ID && (lab < 0 || lab >= c->vocab_size))
				return set_cause(cause, "train: row %d cell %d: label %d outside 0..%d", b, s, lab,
						 c->vocab_size - 1);
		}
		if (c->puzzle_emb_ndim > 0 &&
		    (batch->puzzle_ids[b] < 0 || batch->puzzle_ids[b] >= c->num_puzzle_identifiers))
			return set_cause(cause, "train: row %d: puzzle identifier %d outside 0..%d", b,
					 batch->puzzle_ids[b], c->num_puzzle_identifiers - 1);
	}
	return 0;
}

/* The module caches of the differentiated calls; NULL = a call without
 * gradient (1-step: all but the last L and the last H call; last cycle:
 * every call of the cycles before the last). */
static struct module_cache *L_cache(const struct train_ctx *t, int i, int j)
{
	if (t->grad == TRAIN_GRAD_FULL)
		return t->L[i * t->cfg.L_cycles + j];
	if (i != t->cfg.H_cycles - 1)
		return NULL;
	if (t->grad == TRAIN_GRAD_LAST_CYCLE)
		return t->L[j];
	return j == t->cfg.L_cycles - 1 ? t->L[0] : NULL;
}

static struct module_cache *H_cache(const struct train_ctx *t, int i)
{
	if (t->grad == TRAIN_GRAD_FULL)
		return t->H[i];
	return i == t->cfg.H_cycles - 1 ? t->H[0] : NULL;
}

/* dst += src; in bf16 the sum of two gradients of a bf16 tensor is one */
static void add_into(const struct train_ctx *t, float *dst, const float *src, size_t n)
{
	if (t->dt == HRM_DTYPE_BF16) {
		for (size_t i = 0; i < n; i++)
			dst[i] = bf16_round(dst[i] + src[i]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

/* Rows starting a new sample take H_init/L_init and steps 0 (reset_carry). */
static void reset_rows(struct train_ctx *t, const struct hrm_model *m, struct train_batch *batch)
{
	size_t td = (size_t)t->T * t->d;
	for (int b = 0; b < t->B; b++) {
		if (!batch->halted[b])
			continue;
		for (int p = 0; p < t->T; p++) {
			memcpy(batch->zH + b * td + (size_t)p * t->d, m->w.H_init, (size_t)t->d * sizeof(float));
			memcpy(batch->zL + b * td + (size_t)p * t->d, m->w.L_init, (size_t)t->d * sizeof(float));
		}
		batch->steps[b] = 0;
	}
}

/* One segment on the carry in place; differentiated calls keep their
 * activations in their caches. */
static void forward_segment(struct train_ctx *t, const struct hrm_model *m, float *zH, float *zL)
{
	const struct hrm_config *c = &t->cfg;
	size_t n = (size_t)t->B * t->T * t->d;
	for (int i = 0; i < c->H_cycles; i++) {
		for (int j = 0; j < c->L_cycles; j++) {
			struct module_cache *mc = L_cache(t, i, j);
			if (mc == NULL) {
				train_nograd_L(t, m, zL, zH);
				continue;
			}
			if (t->dt == HRM_DTYPE_BF16) {
				for (size_t k = 0; k < n; k++)
					t->inj[k] = bf16_round(zH[k] + t->x[k]);
				module_forward_train_bf16(mc, m->bf16->L, c, t->B, t->T, zL, t->inj, zL, t->rope_cos,
							  t->rope_sin);
				continue;
			}
			for (size_t k = 0; k < n; k++)
				t->inj[k] = zH[k] + t->x[k];
			module_forward_train(mc, m->w.L, c, t->B, t->T, zL, t->inj, zL, t->rope_cos, t->rope_sin);
		}
		struct module_cache *mc = H_cache(t, i);
		if (mc == NULL)
			train_nograd_H(t, m, zH, zL);
		else if (t->dt == HRM_DTYPE_BF16)
			module_forward_train_bf16(mc, train_H_blocks_bf16(m), c, t->B, t->T, zH, zL, zH, t->rope_cos,
						  t->rope_sin);
		else
			module_forward_train(mc, train_H_blocks(m), c, t->B, t->T, zH, zL, zH, t->rope_cos, t->rope_sin);
	}
}

/* From t->dzH (d loss / d final z_H) back through the differentiated calls
 * in reverse order to t->dx.  A module's input is z + injection, so its input
 * gradient goes to both: H(z_H, z_L) feeds z_H and z_L of its cycle's start
 * and end; L(z_L, z_H + x) feeds z_L, the cycle's z_H and x.  The gradients
 * reaching the carry at the segment start (or the no-grad part) stop there. */
static void backward_segment(struct train_ctx *t, const struct hrm_model *m, struct hrm_model *grads)
{
	const struct hrm_config *c = &t->cfg;
	size_t n = (size_t)t->B * t->T * t->d;
	memset(t->dzL, 0, n * sizeof(float));
	memset(t->dx, 0, n * sizeof(float));
	for (int i = c->H_cycles - 1; i >= 0; i--) {
		struct module_cache *mc = H_cache(t, i);
		if (mc == NULL)
			break;
		module_backward(mc, train_H_blocks(m), train_H_grads(grads), t->dzH, t->dzH);
		add_into(t, t->dzL, t->dzH, n);
		for (int j = c->L_cycles - 1; j >= 0; j--) {
			mc = L_cache(t, i, j);
			if (mc == NULL)
				break;
			module_backward(mc, m->w.L, grads->w.L, t->dzL, t->dzL);
			add_into(t, t->dx, t->dzL, n);
			add_into(t, t->dzH, t->dzL, n);
		}
	}
}

/* steps += 1 and the new halted flags (the ACT wrapper's training rule). */
static void update_halting(struct train_ctx *t, struct train_batch *batch, const struct train_segment_opts *o,
			   struct hrm_rng *rng)
{
	int M = o->halt_max_steps;
	bool act = o->q_learning && M > 1;
	for (int b = 0; b < t->B; b++) {
		int steps = ++batch->steps[b];
		bool halted = t->is_last[b] = steps >= M;
		if (act) {
			halted = halted || hrm_halts_adaptive(&t->cfg, t->q[b * 2], t->q[b * 2 + 1]);
			/* exploration: with probability p the row must run at least
			 * U{2..M} steps before the Q rule may stop it */
			struct hrm_rng *r = o->row_rngs != NULL ? &o->row_rngs[b] : rng;
			if (o->halt_exploration_prob > 0.0 && hrm_rng_uniform(r) < o->halt_exploration_prob) {
				int min_steps = 2 + (int)hrm_rng_below(r, (uint64_t)(M - 1));
				halted = halted && steps >= min_steps;
			}
		}
		batch->halted[b] = halted;
	}
}

/* The Q target of the continue logit: one more segment, no gradient, from
 * the new carry on the same data (no replay buffer, as the official code). */
static void q_targets(struct train_ctx *t, const struct hrm_model *m, const struct train_batch *batch)
{
	size_t n = (size_t)t->B * t->T * t->d;
	memcpy(t->zH2, batch->zH, n * sizeof(float));
	memcpy(t->zL2, batch->zL, n * sizeof(float));
	train_nograd_segment(t, m, t->zH2, t->zL2);
	train_heads_forward(t, m, t->zH2, NULL, t->next_q);
	for (int b = 0; b < t->B; b++) {
		double qh = t->next_q[b * 2], qc = t->next_q[b * 2 + 1];
		t->target[b] = sigmoid_f64((t->is_last[b] || qh >= qc) ? qh : qc);
	}
}

int train_segment(struct train_ctx *t, const struct hrm_model *m, struct hrm_model *grads,
		  struct train_batch *batch, const struct train_segment_opts *o, double grad_scale,
		  struct hrm_rng *rng, struct train_metrics *met, char **cause)
{
	if (check_args(t, m, grads, batch, o, rng, cause) != 0)
		return -1;
	/* from here on the step computes with m, or in bf16 with its rounded
	 * copy; the gradients still go to grads, the fp32 masters' */
	m = train_compute_model(t, m, cause);
	if (m == NULL)
		return -1;
	const struct hrm_config *c = &t->cfg;
	int B = t->B, S = t->S, T = t->T, V = c->vocab_size, Lp = c->puzzle_emb_len;

	reset_rows(t, m, batch);
	train_embed_forward(t, m, batch->inputs, batch->puzzle_ids);
	forward_segment(t, m, batch->zH, batch->zL);
	train_heads_forward(t, m, batch->zH, t->logits, t->q);

	/* lm loss per row, its gradient written straight into the cell rows of
	 * the head gradient (the prefix rows stay zero from allocation) */
	double lm = 0.0;
	for (int b = 0; b < B; b++) {
		float *dl = t->dhead + ((size_t)b * T + Lp) * V;
		lm += lm_loss(o->loss, t->logits + (size_t)b * S * V, batch->labels + (size_t)b * S, 1, S, V,
			      &t->row_loss[b], dl);
		for (size_t i = 0; i < (size_t)S * V; i++)
			dl[i] = (float)(dl[i] * grad_scale);
	}
	lm_accuracy(t->logits, batch->labels, B, S, V, t->count, t->row_acc, t->exact);

	update_halting(t, batch, o, rng);
	/* TRM with no_ACT_continue: no continue target, so no extra segment */
	bool act = o->q_learning && o->halt_max_steps > 1 && hrm_q_continue_used(c);
	if (act)
		q_targets(t, m, batch);

	/* loss = lm + 0.5 (BCE(q_halt, exact) + BCE(q_continue, target));
	 * official: the continue term only exists when M > 1 (and q_continue
	 * takes part in halting) */
	double qh_loss = 0.0, qc_loss = 0.0;
	for (int b = 0; b < B; b++) {
		float g = 0.0f;
		t->dq[b * 2] = t->dq[b * 2 + 1] = 0.0f;
		if (o->q_learning) {
			qh_loss += bce_with_logits(t->q[b * 2], t->exact[b] ? 1.0 : 0.0, &g);
			t->dq[b * 2] = (float)(0.5 * grad_scale * g);
		}
		if (act) {
			qc_loss += bce_with_logits(t->q[b * 2 + 1], t->target[b], &g);
			t->dq[b * 2 + 1] = (float)(0.5 * grad_scale * g);
		}
	}

	if (met != NULL) {
		memset(met, 0, sizeof *met);
		met->lm_loss = lm;
		met->q_halt_loss = qh_loss;
		met->q_continue_loss = qc_loss;
		met->loss = lm + 0.5 * (qh_loss + qc_loss);
		/* official metrics: rows that halted in this step and have labels */
		for (int b = 0; b < B; b++) {
			if (!batch->halted[b] || t->count[b] == 0)
				continue;
			met->count++;
			met->accuracy += t->row_acc[b];
			met->exact_accuracy += t->exact[b];
			met->q_halt_accuracy += (t->q[b * 2] >= 0.0f) == t->exact[b];
			met->steps += batch->steps[b];
		}
	}

	if (grads != NULL) {
		train_heads_backward(t, m, grads, batch->zH, t->dq);
		backward_segment(t, m, grads);
		train_embed_backward(t, grads, batch->puzzle_ids);
	}
	return 0;
}
