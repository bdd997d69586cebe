/* train_ctx.h - private to the trainer (train_ctx.c, train_segment.c): the
 * buffers of one training step, allocated once for (config, B, S, gradient
 * mode), and the pieces of the forward and backward that do not depend on
 * the gradient mode. */
#ifndef HRM_TRAIN_CTX_H
#define HRM_TRAIN_CTX_H

#include "train/block_train.h"
#include "model/forward.h"
#include "train/train.h"

struct train_ctx {
	struct hrm_config cfg;
	enum train_grad_mode grad;
	int B, S, T, d;
	/* differentiated module calls per segment: one L and one H call with
	 * the 1-step gradient, the last cycle's calls with the last-cycle
	 * gradient, every call with the full gradient; call k of the i-th
	 * differentiated cycle uses L[i * grad_L_per_cycle + k] and H[i] */
	int grad_cycles, grad_L_per_cycle;
	struct module_cache **L, **H;
	float *rope_cos, *rope_sin; /* [T][head_dim], rope only */

	float *x;        /* [B][T][d] input embedding */
	float *inj;      /* [B][T][d] z_H + x of a differentiated L call */
	float *zH2, *zL2; /* [B][T][d] the extra segment of the Q target */
	float *dzH, *dzL, *dx; /* [B][T][d] gradients */
	float *logits;   /* [B][S][V] */
	float *dhead;    /* [B][T][V] d loss / d (z_H W_lm^T): the logits' gradient
			  * on the cell rows, zero on the prefix rows */
	float *q, *next_q; /* [B][2] halt, continue */
	float *dq;       /* [B][2] d loss / d q, grad_scale included */
	int32_t *tok_idx; /* [B][T] token of each position, -1 on the prefix */
	double *row_loss, *row_acc, *target;
	int *count;
	bool *exact, *is_last;

	struct block_scratch scratch; /* no-grad module calls (the engine's code path) */

	/* bf16 training: the forward and backward run on wr, a copy of the
	 * model with every weight rounded to bf16 (and its bf16 matrices),
	 * made again from the fp32 master weights at each step */
	enum hrm_dtype dt;
	struct hrm_model *wr;
	float *bf16_dw;  /* [V][d] lm_head's bf16 weight gradient before it is added */
};

/* The blocks an H-step runs: H_level (HRM) or the one L_level (TRM); in
 * the gradients too, where TRM's two updates then add into L_level's. */
const struct hrm_block_weights *train_H_blocks(const struct hrm_model *m);
struct hrm_block_weights *train_H_grads(struct hrm_model *grads);
const struct hrm_bf16_block *train_H_blocks_bf16(const struct hrm_model *m);

/* the model the step computes with: m, or its bf16 copy */
const struct hrm_model *train_compute_model(struct train_ctx *t, const struct hrm_model *m, char **cause);

/* x = input embedding of the batch, as the engine computes it; also fills
 * tok_idx for the backward. */
void train_embed_forward(struct train_ctx *t, const struct hrm_model *m, const int32_t *inputs,
			 const int32_t *puzzle_ids);
/* Gradients of the embedding tables from t->dx (consumed: scaled in place). */
void train_embed_backward(struct train_ctx *t, struct hrm_model *grads, const int32_t *puzzle_ids);

/* z = L_level(z, zH + x) / z = H_level(z, zL) in place, saving nothing:
 * op for op the engine's module_forward, so the values are identical. */
void train_nograd_L(struct train_ctx *t, const struct hrm_model *m, float *zL, const float *zH);
void train_nograd_H(struct train_ctx *t, const struct hrm_model *m, float *zH, const float *zL);
/* One whole segment without gradient, in place. */
void train_nograd_segment(struct train_ctx *t, const struct hrm_model *m, float *zH, float *zL);

/* logits [B][S][V] (may be NULL: q only) and q [B][2] from z_H, as the
 * engine's hrm_engine_heads. */
void train_heads_forward(struct train_ctx *t, const struct hrm_model *m, const float *zH, float *logits,
			 float *q);
/* t->dzH (written) from t->dhead and dq [B][2]; lm_head and q_head
 * gradients accumulated into grads. */
void train_heads_backward(struct train_ctx *t, const struct hrm_model *m, struct hrm_model *grads,
			  const float *zH, const float *dq);

#endif
