/* forward.c - input embedding, block and module forward (see forward.h). */
#include "model/forward.h"
#include "model/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int block_scratch_alloc(struct block_scratch *s, const struct hrm_config *c, int B, int T)
{
	size_t bt = (size_t)B * T, btd = bt * c->hidden_size;
	/* callers pass an uninitialised struct: every field is set here */
	s->t_gu = s->t_act = NULL;
	s->qkv = malloc(btd * 3 * sizeof(float));
	s->attn = malloc(btd * sizeof(float));
	s->proj = malloc(btd * sizeof(float));
	s->gu = malloc(bt * 2 * c->inter * sizeof(float));
	s->act = malloc(bt * c->inter * sizeof(float));
	s->scores = malloc(attention_scratch_floats(T) * sizeof(float));
	if (c->mlp_t) {
		size_t bd = (size_t)B * c->hidden_size;
		s->t_gu = malloc(bd * 2 * c->inter_t * sizeof(float));
		s->t_act = malloc(bd * c->inter_t * sizeof(float));
		if (!s->t_gu || !s->t_act || T != c->T) {
			block_scratch_free(s);
			return -1;
		}
	}
	if (!s->qkv || !s->attn || !s->proj || !s->gu || !s->act || !s->scores) {
		block_scratch_free(s);
		return -1;
	}
	return 0;
}

void block_scratch_free(struct block_scratch *s)
{
	free(s->qkv);
	free(s->attn);
	free(s->proj);
	free(s->gu);
	free(s->act);
	free(s->scores);
	free(s->t_gu);
	free(s->t_act);
	memset(s, 0, sizeof *s);
}

void hrm_embed_forward(const struct hrm_model *m, int B, int S, const int32_t *tokens, const int32_t *puzzle_ids,
		       float *x)
{
	const struct hrm_config *c = &m->cfg;
	const struct hrm_weights *w = &m->w;
	int d = c->hidden_size, Lp = c->puzzle_emb_len, T = S + Lp;
	float scale = (float)sqrt((double)d);
	for (int b = 0; b < B; b++) {
		float *xb = x + (size_t)b * T * d;
		if (Lp > 0) {
			/* the puzzle row, zero-padded to Lp*d, as Lp prefix tokens */
			memset(xb, 0, (size_t)Lp * d * sizeof(float));
			int32_t id = puzzle_ids ? puzzle_ids[b] : 0;
			memcpy(xb, w->puzzle_emb + (size_t)id * c->puzzle_emb_ndim,
			       (size_t)c->puzzle_emb_ndim * sizeof(float));
		}
		for (int s = 0; s < S; s++) {
			int32_t tok = tokens[(size_t)b * S + s];
			memcpy(xb + (size_t)(Lp + s) * d, w->embed_tokens + (size_t)tok * d, (size_t)d * sizeof(float));
		}
		for (size_t i = 0; i < (size_t)T * d; i++) {
			float v = xb[i];
			if (c->pos_encodings == HRM_POS_LEARNED)
				v = 0.707106781f * (v + w->embed_pos[i]);
			xb[i] = scale * v;
		}
	}
}

/* TRM's mlp_t sub-layer, as the official Block.forward: transpose, SwiGLU
 * along the positions, add, rms_norm over the last (positions) axis,
 * transpose back.  u: s->attn, the SwiGLU's output: s->qkv. */
static void mlp_t_forward(struct block_scratch *s, const struct hrm_block_weights *bw, const struct hrm_config *c,
			  int B, int T, float *h)
{
	int d = c->hidden_size, n = B * d, it = c->inter_t;
	hrm_transpose_rows(s->attn, h, B, T, d);
	linear_forward(s->t_gu, s->attn, bw->t_gate_up, n, T, 2 * it);
	swiglu_forward(s->t_act, s->t_gu, n, it);
	linear_forward(s->qkv, s->t_act, bw->t_down, n, it, T);
	add_rmsnorm_forward(s->attn, s->qkv, n, T, (float)c->rms_norm_eps);
	hrm_transpose_rows(h, s->attn, B, d, T);
}

void hrm_block_forward(struct block_scratch *s, const struct hrm_block_weights *bw, const struct hrm_config *c,
		       int B, int T, const float *rope_cos, const float *rope_sin, float *h)
{
	int n = B * T, d = c->hidden_size;
	float eps = (float)c->rms_norm_eps;
	if (c->mlp_t) {
		mlp_t_forward(s, bw, c, B, T, h);
		goto channel_mlp;
	}
	linear_forward(s->qkv, h, bw->qkv, n, d, 3 * d);
	if (c->pos_encodings == HRM_POS_ROPE)
		rope_forward(s->qkv, rope_cos, rope_sin, B, T, c->num_heads, c->head_dim);
	attention_forward_tiled(s->attn, s->qkv, NULL, s->scores, attention_scratch_floats(T), B, T, c->num_heads,
				c->head_dim);
	linear_forward(s->proj, s->attn, bw->o, n, d, d);
	add_rmsnorm_forward(h, s->proj, n, d, eps);
channel_mlp:
	linear_forward(s->gu, h, bw->gate_up, n, d, 2 * c->inter);
	swiglu_forward(s->act, s->gu, n, c->inter);
	linear_forward(s->proj, s->act, bw->down, n, c->inter, d);
	add_rmsnorm_forward(h, s->proj, n, d, eps);
}

int hrm_module_forward(struct block_scratch *s, const struct hrm_block_weights *blocks, int layers,
		       const struct hrm_config *c, int B, int T, const float *rope_cos, const float *rope_sin,
		       const float *z, const float *a, const float *b, float *out, const atomic_int *abort)
{
	size_t n = (size_t)B * T * c->hidden_size;
	if (b != NULL) {
		/* torch evaluates z + (z_H + x): the injection is summed first */
		for (size_t i = 0; i < n; i++)
			out[i] = z[i] + (a[i] + b[i]);
	} else {
		for (size_t i = 0; i < n; i++)
			out[i] = z[i] + a[i];
	}
	for (int l = 0; l < layers; l++) {
		if (abort != NULL && atomic_load_explicit(abort, memory_order_relaxed))
			return 1;
		hrm_block_forward(s, &blocks[l], c, B, T, rope_cos, rope_sin, out);
	}
	return 0;
}
