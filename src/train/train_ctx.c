/* train_ctx.c - the training step's buffers and its mode-independent pieces:
 * input embedding, module calls without gradient, output heads, and their
 * backward (see train_ctx.h). */
#include "train/train_ctx.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "train/ops_backward.h"
#include "core/half.h"
#include "core/util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the engine's constant for learned positions: 1/sqrt(2) as the official
 * code writes it, so that x is bit-identical */
#define LEARNED_POS_SCALE 0.707106781f

static void *alloc_zeroed(size_t n, size_t size, int *failed)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL)
		*failed = 1;
	return p;
}

void train_ctx_free(struct train_ctx *t)
{
	if (t == NULL)
		return;
	if (t->L != NULL)
		for (int i = 0; i < t->grad_cycles * t->grad_L_per_cycle; i++)
			module_cache_free(t->L[i]);
	if (t->H != NULL)
		for (int i = 0; i < t->grad_cycles; i++)
			module_cache_free(t->H[i]);
	free(t->L);
	free(t->H);
	float *bufs[] = { t->rope_cos, t->rope_sin, t->x, t->inj, t->zH2, t->zL2, t->dzH, t->dzL, t->dx,
			  t->logits, t->dhead, t->q, t->next_q, t->dq };
	block_scratch_free(&t->scratch);
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		free(bufs[i]);
	free(t->tok_idx);
	free(t->row_loss);
	free(t->row_acc);
	free(t->target);
	free(t->count);
	free(t->exact);
	free(t->is_last);
	free(t->bf16_dw);
	if (t->wr != NULL) {
		hrm_model_free(t->wr);
		free(t->wr);
	}
	free(t);
}

int train_ctx_set_dtype(struct train_ctx *t, enum hrm_dtype dt, char **cause)
{
	if (dt == HRM_DTYPE_BF16 && t->bf16_dw == NULL) {
		int failed = 0;
		t->bf16_dw = alloc_floats((size_t)t->cfg.vocab_size * t->d, &failed);
		if (failed)
			return set_cause(cause, "train: out of memory for the bf16 gradient buffer");
	}
	if (dt == HRM_DTYPE_BF16) {
		for (int i = 0; i < t->grad_cycles * t->grad_L_per_cycle; i++)
			if (module_cache_reserve_probs(t->L[i], cause) != 0)
				return -1;
		for (int i = 0; i < t->grad_cycles; i++)
			if (module_cache_reserve_probs(t->H[i], cause) != 0)
				return -1;
	}
	t->dt = dt;
	return 0;
}

const struct hrm_model *train_compute_model(struct train_ctx *t, const struct hrm_model *m, char **cause)
{
	if (t->dt != HRM_DTYPE_BF16)
		return m;
	if (t->wr == NULL) {
		t->wr = xcalloc(1, sizeof *t->wr);
		if (hrm_model_alloc(t->wr, &m->cfg, cause) != 0) {
			free(t->wr);
			t->wr = NULL;
			return NULL;
		}
	}
	for (size_t i = 0; i < m->arena_floats; i++)
		t->wr->arena[i] = bf16_round(m->arena[i]);
	if (hrm_model_prepare_bf16(t->wr, cause) != 0)
		return NULL;
	return t->wr;
}

static int check_shape(const struct hrm_config *c, int B, int S, char **cause)
{
	if (B < 1 || B > 65536)
		return set_cause(cause, "train: batch size %d out of range 1..65536", B);
	if (S < 1 || S > (1 << 20))
		return set_cause(cause, "train: sequence length %d out of range", S);
	if (c->vocab_size < 1)
		return set_cause(cause, "train: the model's vocab_size is unknown");
	if (c->pos_encodings == HRM_POS_LEARNED && S != c->seq_len)
		return set_cause(cause, "train: the model has learned positions for %d cells, the batch has %d",
				 c->seq_len, S);
	if (c->mlp_t && S != c->seq_len)
		return set_cause(cause, "train: the model's mlp_t blocks mix %d cells, the batch has %d", c->seq_len, S);
	/* the ops index rows with int and attention keeps [B][heads][T][T] */
	int64_t T = (int64_t)S + c->puzzle_emb_len;
	int64_t rows = (int64_t)B * T;
	int64_t widest = 3 * (int64_t)c->hidden_size;
	if (2 * (int64_t)c->inter > widest)
		widest = 2 * (int64_t)c->inter;
	if (rows * widest > INT_MAX || rows * c->num_heads * T > (int64_t)1 << 40)
		return set_cause(cause, "train: batch %d x %lld positions is too large for this model", B,
				 (long long)T);
	return 0;
}

struct train_ctx *train_ctx_new(const struct hrm_config *cfg, int B, int S, enum train_grad_mode grad,
				char **cause)
{
	struct hrm_config c = *cfg;
	if (hrm_config_derive(&c, cause) != 0 || check_shape(&c, B, S, cause) != 0)
		return NULL;
	if (grad != TRAIN_GRAD_ONE_STEP && grad != TRAIN_GRAD_FULL && grad != TRAIN_GRAD_LAST_CYCLE) {
		set_cause(cause, "train: unknown gradient mode %d", (int)grad);
		return NULL;
	}
	struct train_ctx *t = xcalloc(1, sizeof *t);
	t->cfg = c;
	t->grad = grad;
	t->B = B;
	t->S = S;
	t->T = S + c.puzzle_emb_len;
	t->d = c.hidden_size;
	t->grad_cycles = grad == TRAIN_GRAD_FULL ? c.H_cycles : 1;
	t->grad_L_per_cycle = grad == TRAIN_GRAD_ONE_STEP ? 1 : c.L_cycles;

	size_t bt = (size_t)B * t->T, btd = bt * t->d, V = (size_t)c.vocab_size;
	int failed = 0;
	if (c.pos_encodings == HRM_POS_ROPE) {
		t->rope_cos = alloc_floats((size_t)t->T * c.head_dim, &failed);
		t->rope_sin = alloc_floats((size_t)t->T * c.head_dim, &failed);
		if (!failed)
			rope_tables(t->rope_cos, t->rope_sin, t->T, c.head_dim, c.rope_theta);
	}
	t->x = alloc_floats(btd, &failed);
	t->inj = alloc_floats(btd, &failed);
	t->zH2 = alloc_floats(btd, &failed);
	t->zL2 = alloc_floats(btd, &failed);
	t->dzH = alloc_floats(btd, &failed);
	t->dzL = alloc_floats(btd, &failed);
	t->dx = alloc_floats(btd, &failed);
	t->logits = alloc_floats((size_t)B * S * V, &failed);
	t->dhead = alloc_floats(bt * V, &failed);
	t->q = alloc_floats((size_t)B * 2, &failed);
	t->next_q = alloc_floats((size_t)B * 2, &failed);
	t->dq = alloc_floats((size_t)B * 2, &failed);
	if (block_scratch_alloc(&t->scratch, &c, B, t->T) != 0)
		failed = 1;
	t->tok_idx = alloc_zeroed(bt, sizeof *t->tok_idx, &failed);
	t->row_loss = alloc_zeroed((size_t)B, sizeof *t->row_loss, &failed);
	t->row_acc = alloc_zeroed((size_t)B, sizeof *t->row_acc, &failed);
	t->target = alloc_zeroed((size_t)B, sizeof *t->target, &failed);
	t->count = alloc_zeroed((size_t)B, sizeof *t->count, &failed);
	t->exact = alloc_zeroed((size_t)B, sizeof *t->exact, &failed);
	t->is_last = alloc_zeroed((size_t)B, sizeof *t->is_last, &failed);
	if (failed) {
		set_cause(cause, "train: out of memory for B=%d, T=%d, d=%d", B, t->T, t->d);
		train_ctx_free(t);
		return NULL;
	}

	int nL = t->grad_cycles * t->grad_L_per_cycle;
	t->L = xcalloc((size_t)nL, sizeof *t->L);
	t->H = xcalloc((size_t)t->grad_cycles, sizeof *t->H);
	for (int i = 0; i < nL; i++)
		if ((t->L[i] = module_cache_new(&c, c.L_layers, B, t->T, cause)) == NULL)
			goto fail;
	for (int i = 0; i < t->grad_cycles; i++)
		if ((t->H[i] = module_cache_new(&c, hrm_update_layers(&c, false), B, t->T, cause)) == NULL)
			goto fail;
	return t;
fail:
	train_ctx_free(t);
	return NULL;
}

/* ---- input embedding ---- */

void train_embed_forward(struct train_ctx *t, const struct hrm_model *m, const int32_t *inputs,
			 const int32_t *puzzle_ids)
{
	int Lp = t->cfg.puzzle_emb_len;
	if (t->dt == HRM_DTYPE_BF16)
		hrm_embed_forward_bf16(m, t->B, t->S, inputs, puzzle_ids, t->x);
	else
		hrm_embed_forward(m, t->B, t->S, inputs, puzzle_ids, t->x);
	/* the token behind each position, for the embedding backward */
	for (int b = 0; b < t->B; b++) {
		int32_t *idx = t->tok_idx + (size_t)b * t->T;
		for (int p = 0; p < Lp; p++)
			idx[p] = -1;
		for (int s = 0; s < t->S; s++)
			idx[Lp + s] = inputs[(size_t)b * t->S + s];
	}
}

void train_embed_backward(struct train_ctx *t, struct hrm_model *grads, const int32_t *puzzle_ids)
{
	const struct hrm_config *c = &t->cfg;
	struct hrm_weights *g = &grads->w;
	size_t td = (size_t)t->T * t->d, n = (size_t)t->B * td;
	/* x = scale * e, or scale * (1/sqrt 2) (e + pos): the same chain factor
	 * for every table */
	float f = (float)sqrt((double)t->d);
	if (c->pos_encodings == HRM_POS_LEARNED)
		f *= LEARNED_POS_SCALE;
	for (size_t i = 0; i < n; i++)
		t->dx[i] *= f;

	embedding_backward(g->embed_tokens, t->dx, t->tok_idx, t->B * t->T, t->d);
	if (c->pos_encodings == HRM_POS_LEARNED)
		for (int b = 0; b < t->B; b++) {
			const float *db = t->dx + (size_t)b * td;
			for (size_t i = 0; i < td; i++)
				g->embed_pos[i] += db[i];
		}
	if (c->puzzle_emb_ndim > 0)
		/* the prefix rows hold the puzzle row (then zero padding) */
		for (int b = 0; b < t->B; b++) {
			float *row = g->puzzle_emb + (size_t)puzzle_ids[b] * c->puzzle_emb_ndim;
			const float *db = t->dx + (size_t)b * td;
			for (int k = 0; k < c->puzzle_emb_ndim; k++)
				row[k] += db[k];
		}
}

enum train_grad_mode train_grad_official(const struct hrm_config *c)
{
	return c->arch == HRM_ARCH_TRM ? TRAIN_GRAD_LAST_CYCLE : TRAIN_GRAD_ONE_STEP;
}

const char *train_grad_name(enum train_grad_mode g)
{
	switch (g) {
	case TRAIN_GRAD_ONE_STEP: return "one-step";
	case TRAIN_GRAD_FULL: return "full";
	case TRAIN_GRAD_LAST_CYCLE: return "last-cycle";
	default: return "official";
	}
}

const struct hrm_block_weights *train_H_blocks(const struct hrm_model *m)
{
	return hrm_arch_desc(&m->cfg)->shared_net ? m->w.L : m->w.H;
}

struct hrm_block_weights *train_H_grads(struct hrm_model *grads)
{
	return hrm_arch_desc(&grads->cfg)->shared_net ? grads->w.L : grads->w.H;
}

const struct hrm_bf16_block *train_H_blocks_bf16(const struct hrm_model *m)
{
	return hrm_arch_desc(&m->cfg)->shared_net ? m->bf16->L : m->bf16->H;
}

/* ---- module calls without gradient ---- */

void train_nograd_L(struct train_ctx *t, const struct hrm_model *m, float *zL, const float *zH)
{
	if (t->dt == HRM_DTYPE_BF16) {
		hrm_module_forward_bf16(&t->scratch, m->bf16->L, t->cfg.L_layers, &t->cfg, t->B, t->T, t->rope_cos,
					t->rope_sin, zL, zH, t->x, zL, NULL);
		return;
	}
	hrm_module_forward(&t->scratch, m->w.L, t->cfg.L_layers, &t->cfg, t->B, t->T, t->rope_cos, t->rope_sin, zL,
			   zH, t->x, zL, NULL);
}

void train_nograd_H(struct train_ctx *t, const struct hrm_model *m, float *zH, const float *zL)
{
	if (t->dt == HRM_DTYPE_BF16) {
		hrm_module_forward_bf16(&t->scratch, train_H_blocks_bf16(m), hrm_update_layers(&t->cfg, false), &t->cfg,
					t->B, t->T, t->rope_cos, t->rope_sin, zH, zL, NULL, zH, NULL);
		return;
	}
	hrm_module_forward(&t->scratch, train_H_blocks(m), hrm_update_layers(&t->cfg, false), &t->cfg, t->B, t->T,
			   t->rope_cos, t->rope_sin, zH, zL, NULL, zH, NULL);
}

void train_nograd_segment(struct train_ctx *t, const struct hrm_model *m, float *zH, float *zL)
{
	for (int i = 0; i < t->cfg.H_cycles; i++) {
		for (int j = 0; j < t->cfg.L_cycles; j++)
			train_nograd_L(t, m, zL, zH);
		train_nograd_H(t, m, zH, zL);
	}
}

/* ---- output heads ---- */

void train_heads_forward(struct train_ctx *t, const struct hrm_model *m, const float *zH, float *logits,
			 float *q)
{
	const struct hrm_config *c = &t->cfg;
	const struct hrm_weights *w = &m->w;
	int d = t->d, V = c->vocab_size, Lp = c->puzzle_emb_len;
	for (int b = 0; b < t->B; b++) {
		const float *zb = zH + (size_t)b * t->T * d;
		if (logits != NULL && t->dt == HRM_DTYPE_BF16)
			linear_bf16(logits + (size_t)b * t->S * V, zb + (size_t)Lp * d, m->bf16->lm_head, t->S);
		else if (logits != NULL)
			linear_forward(logits + (size_t)b * t->S * V, zb + (size_t)Lp * d, w->lm_head, t->S, d, V);
		hrm_q_head(m, zb, t->dt, q + b * 2);
	}
}

void train_heads_backward(struct train_ctx *t, const struct hrm_model *m, struct hrm_model *grads,
			  const float *zH, const float *dq)
{
	const struct hrm_weights *w = &m->w;
	struct hrm_weights *g = &grads->w;
	int d = t->d;
	/* all B*T rows at once: the prefix rows of dhead are zero, so they add
	 * nothing to lm_head's gradient and get a zero d z_H */
	bool bf16 = t->dt == HRM_DTYPE_BF16;
	if (bf16) {
		/* the logits are bf16 and so is their gradient */
		round_bf16(t->dhead, (size_t)t->B * t->T * t->cfg.vocab_size);
		linear_backward_bf16(t->dzH, g->lm_head, t->bf16_dw, t->dhead, zH, NULL, w->lm_head, t->B * t->T, d,
				     t->cfg.vocab_size);
	} else {
		linear_backward(t->dzH, g->lm_head, t->dhead, zH, w->lm_head, t->B * t->T, d, t->cfg.vocab_size);
	}
	for (int b = 0; b < t->B; b++) {
		const float *z0 = zH + (size_t)b * t->T * d;
		float *dz0 = t->dzH + (size_t)b * t->T * d;
		for (int r = 0; r < 2; r++) {
			float gr = bf16 ? bf16_round(dq[b * 2 + r]) : dq[b * 2 + r];
			if (gr == 0.0f)
				continue;
			const float *wr = w->q_head_w + (size_t)r * d;
			float *gw = g->q_head_w + (size_t)r * d;
			for (int k = 0; k < d; k++) {
				dz0[k] += gr * wr[k];
				gw[k] += gr * z0[k];
			}
			g->q_head_b[r] += gr;
		}
	}
	if (bf16)
		round_bf16(t->dzH, (size_t)t->B * t->T * d);
}
