/* forward_bf16.c - input embedding, block and module forward in the
 * official bf16 arithmetic (forward.h). */
#include "model/forward.h"
#include "model/gemm_bf16.h"
#include "model/ops.h"
#include "model/ops_bf16.h"
#include "core/half.h"

#include <math.h>
#include <string.h>

void hrm_embed_forward_bf16(const struct hrm_model *m, int B, int S, const int32_t *tokens,
			    const int32_t *puzzle_ids, float *x)
{
	const struct hrm_config *c = &m->cfg;
	const struct hrm_weights *w = &m->w;
	int d = c->hidden_size, Lp = c->puzzle_emb_len, T = S + Lp;
	/* torch multiplies a bf16 tensor by a Python float in float32 */
	float scale = (float)sqrt((double)d);
	for (int b = 0; b < B; b++) {
		float *xb = x + (size_t)b * T * d;
		if (Lp > 0) {
			memset(xb, 0, (size_t)Lp * d * sizeof(float));
			int32_t id = puzzle_ids ? puzzle_ids[b] : 0;
			const float *row = w->puzzle_emb + (size_t)id * c->puzzle_emb_ndim;
			for (int i = 0; i < c->puzzle_emb_ndim; i++)
				xb[i] = bf16_round(row[i]);
		}
		for (int s = 0; s < S; s++) {
			const float *e = w->embed_tokens + (size_t)tokens[(size_t)b * S + s] * d;
			float *o = xb + (size_t)(Lp + s) * d;
			for (int i = 0; i < d; i++)
				o[i] = bf16_round(e[i]);
		}
		for (size_t i = 0; i < (size_t)T * d; i++) {
			float v = xb[i];
			if (c->pos_encodings == HRM_POS_LEARNED)
				v = bf16_round(0.707106781f * bf16_round(v + bf16_round(w->embed_pos[i])));
			xb[i] = bf16_round(scale * v);
		}
	}
}

/* where the products take bf16 bits, the SwiGLU writes its output as bits
 * into act's own room (n x inter bits in n x inter floats), half the bytes,
 * and the down linear reads them as they are */
static uint16_t *act_bits(float *act)
{
	return bf16_bits_usable() ? (uint16_t *)act : NULL;
}

/* mlp_t in bf16: the transposes move bf16 values; the linears, the SwiGLU
 * and the add round as everywhere else, the norm over positions is fp32
 * inside (rms_norm casts up and back) */
static void mlp_t_forward_bf16(struct block_scratch *s, const struct hrm_bf16_block *bw, const struct hrm_config *c,
			       int B, int T, float *h)
{
	int d = c->hidden_size, n = B * d;
	hrm_transpose_rows(s->attn, h, B, T, d);
	linear_bf16_ex(s->t_gu, s->attn, bw->t_gate_up, n, 0);
	swiglu_down_bf16(s->qkv, s->t_act, act_bits(s->t_act), s->t_gu, bw->t_down, n, c->inter_t);
	add_rmsnorm_forward_bf16(s->attn, s->qkv, n, T, (float)c->rms_norm_eps);
	hrm_transpose_rows(h, s->attn, B, d, T);
}

void hrm_block_forward_bf16(struct block_scratch *s, const struct hrm_bf16_block *bw, const struct hrm_config *c,
			    int B, int T, const float *rope_cos, const float *rope_sin, float *h)
{
	int n = B * T, d = c->hidden_size;
	float eps = (float)c->rms_norm_eps;
	if (c->mlp_t) {
		mlp_t_forward_bf16(s, bw, c, B, T, h);
		goto channel_mlp;
	}
	/* the linears leave their rounding to the op that reads them next
	 * (linear_bf16_ex): RoPE, the add and norm, the SwiGLU */
	int rope = c->pos_encodings == HRM_POS_ROPE;
	linear_bf16_ex(s->qkv, h, bw->qkv, n, !rope);
	if (rope)
		rope_forward_bf16(s->qkv, rope_cos, rope_sin, B, T, c->num_heads, c->head_dim);
	attention_forward_bf16(s->attn, s->qkv, s->scores, attention_scratch_floats(T), B, T, c->num_heads,
			       c->head_dim);
	linear_bf16_ex(s->proj, s->attn, bw->o, n, 0);
	add_rmsnorm_forward_bf16(h, s->proj, n, d, eps);
channel_mlp:
	linear_bf16_ex(s->gu, h, bw->gate_up, n, 0);
	swiglu_down_bf16(s->proj, s->act, act_bits(s->act), s->gu, bw->down, n, c->inter);
	add_rmsnorm_forward_bf16(h, s->proj, n, d, eps);
}

int hrm_module_forward_bf16(struct block_scratch *s, const struct hrm_bf16_block *blocks, int layers,
			    const struct hrm_config *c, int B, int T, const float *rope_cos, const float *rope_sin,
			    const float *z, const float *a, const float *b, float *out, const atomic_int *abort)
{
	size_t n = (size_t)B * T * c->hidden_size;
	/* bf16 adds: the injection z_H + x first, then z + injection */
	if (b != NULL) {
		for (size_t i = 0; i < n; i++)
			out[i] = bf16_round(z[i] + bf16_round(a[i] + b[i]));
	} else {
		for (size_t i = 0; i < n; i++)
			out[i] = bf16_round(z[i] + a[i]);
	}
	for (int l = 0; l < layers; l++) {
		if (abort != NULL && atomic_load_explicit(abort, memory_order_relaxed))
			return 1;
		hrm_block_forward_bf16(s, &blocks[l], c, B, T, rope_cos, rope_sin, out);
	}
	return 0;
}

void hrm_q_head(const struct hrm_model *m, const float *z0, enum hrm_dtype dt, float *q)
{
	const struct hrm_weights *w = &m->w;
	int d = m->cfg.hidden_size;
	for (int r = 0; r < 2; r++) {
		const float *wr = w->q_head_w + (size_t)r * d;
		float acc = 0.0f;
		if (dt == HRM_DTYPE_BF16) {
			for (int k = 0; k < d; k++)
				acc += z0[k] * bf16_round(wr[k]);
			q[r] = bf16_round(acc + bf16_round(w->q_head_b[r]));
		} else {
			for (int k = 0; k < d; k++)
				acc += z0[k] * wr[k];
			q[r] = acc + w->q_head_b[r];
		}
	}
}
