/* forward.h - the forward pass pieces shared by the engine (inference,
 * stepping) and the trainer's no-grad recurrences, so that both compute the
 * same bits: the input embedding, one post-norm block, one reasoning module. */
#ifndef HRM_FORWARD_H
#define HRM_FORWARD_H

#include <stdatomic.h>
#include "model/hrm.h"

/* Scratch for the block forward of B sequences of T positions. */
struct block_scratch {
	float *qkv;    /* [B*T][3d] */
	float *attn;   /* [B*T][d] */
	float *proj;   /* [B*T][d] */
	float *gu;     /* [B*T][2 inter] */
	float *act;    /* [B*T][inter] */
	float *scores; /* attention tiles, attention_scratch_floats(T) */
	float *t_gu;   /* mlp_t only: [B*d][2 inter_t] */
	float *t_act;  /* mlp_t only: [B*d][inter_t] */
};

int block_scratch_alloc(struct block_scratch *s, const struct hrm_config *c, int B, int T);
void block_scratch_free(struct block_scratch *s);

/* x [B][T][d] = the input embedding of tokens [B][S] and puzzle ids [B]
 * (ids may be NULL when P == 0).  Inputs must already be range-checked. */
void hrm_embed_forward(const struct hrm_model *m, int B, int S, const int32_t *tokens, const int32_t *puzzle_ids,
		       float *x);

/* h [B*T][d] = block(h), in place. rope tables [T][hd] (NULL without rope).
 * With c->mlp_t (TRM) the first sub-layer mixes positions instead of
 * attending: per sequence u = h^T (d rows of T), u = rms_norm(u +
 * SwiGLU_T(u)) normalised over the T positions, h = u^T. */
void hrm_block_forward(struct block_scratch *s, const struct hrm_block_weights *bw, const struct hrm_config *c,
		       int B, int T, const float *rope_cos, const float *rope_sin, float *h);

/* out = blocks(z + (a + b)) (b may be NULL: z + a); out may alias z.
 * When abort (may be NULL) becomes nonzero the call stops between two
 * blocks and returns 1, out then half computed; otherwise 0. */
int hrm_module_forward(struct block_scratch *s, const struct hrm_block_weights *blocks, int layers,
		       const struct hrm_config *c, int B, int T, const float *rope_cos, const float *rope_sin,
		       const float *z, const float *a, const float *b, float *out, const atomic_int *abort);

/* (q_halt, q_continue) = q_head(z0) for the first position's state z0 [d],
 * in dt's arithmetic (bf16: weight and bias rounded, fp32 sum, one
 * rounding, then cast to float32 as the official code does). */
void hrm_q_head(const struct hrm_model *m, const float *z0, enum hrm_dtype dt, float *q);

/* The same three in the official bf16 arithmetic (forward_bf16.c): every
 * value they write is a bf16 value; the states they read must be too. */
void hrm_embed_forward_bf16(const struct hrm_model *m, int B, int S, const int32_t *tokens,
			    const int32_t *puzzle_ids, float *x);
void hrm_block_forward_bf16(struct block_scratch *s, const struct hrm_bf16_block *bw, const struct hrm_config *c,
			    int B, int T, const float *rope_cos, const float *rope_sin, float *h);
int hrm_module_forward_bf16(struct block_scratch *s, const struct hrm_bf16_block *blocks, int layers,
			    const struct hrm_config *c, int B, int T, const float *rope_cos, const float *rope_sin,
			    const float *z, const float *a, const float *b, float *out, const atomic_int *abort);

#endif
